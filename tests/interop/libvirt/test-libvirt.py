#!/usr/bin/python3
"""test-libvirt: a libvirt domain (type qemu, spice graphics, qxl video) on our library or upstream's.

    test-libvirt.py --lib ours|upstream

A private libvirtd (libvirtd.py: unshare -m, private state, unix socket only) defines and starts a
diskless domain whose QEMU shows SeaBIOS's screen. Checked:
- `virsh domdisplay` prints spice://127.0.0.1:PORT (6180, or the next free one), and QEMU maps
  the chosen library;
- spice-gtk's picture equals `virsh screenshot` (QMP screendump) while the domain is suspended;
- `virt-viewer --connect URI NAME` under Xvfb shows the guest picture, every pixel exact;
- without any daemon, the test driver (`virsh -c test:///ABS/node.xml domdisplay`) names the
  same spice URI (libvirt's own view, independent of the library: a check of the XML we write).
Ports 6180-6199 belong to this test; display numbers come from xsession (the first free >= :70).
"""
import os
import shutil
import sys
import tempfile
import time
import xml.sax.saxutils

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..'))
import qemuvm  # noqa: E402  (the QEMU environment for each library, PPM/picture helpers)
import harness  # noqa: E402
import xsession  # noqa: E402
import libvirtd  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
# This test's ports are 6180-6199: the domain's spice port is the first free one (another build may
# run this test at the same time), the test driver's domain names the last (nothing listens there).
PORT_FIRST, PORT_LAST = 6180, 6199
TEST_DRIVER_PORT = PORT_LAST
DOMAIN = 'spice-suite-bios-%s' % LIB
# SeaBIOS's text on a diskless PC lights at least this many pixels of its 720x400 screen.
MIN_LIT_PIXELS = 2000
VIEWER_TIMEOUT = 45
# Our Xvfb displays start here (the other interop tests use :60 and up).
X_FIRST = 70


def domain_env():
    """Variables QEMU needs for @LIB, as (name, value): what qemuvm gives a directly started QEMU
    beyond our own environment (libvirt starts QEMU with a clean environment)."""
    env = qemuvm.qemu_env(LIB)
    names = ('LD_LIBRARY_PATH', 'LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS')
    return [(n, env[n]) for n in names if n in env and (LIB == 'ours' or n != 'LD_LIBRARY_PATH')]


def domain_xml(name, port, kind='qemu', env=()):
    q = xml.sax.saxutils.quoteattr
    envs = ''.join('    <qemu:env name=%s value=%s/>\n' % (q(n), q(v)) for n, v in env)
    cmdline = '  <qemu:commandline>\n%s  </qemu:commandline>\n' % envs if envs else ''
    emulator = '    <emulator>%s</emulator>\n' % qemuvm.QEMU_BIN if kind == 'qemu' else ''
    return ('''<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%s</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
%s    <graphics type='spice' port='%d' autoport='no' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video><model type='qxl'/></video>
    <memballoon model='none'/>
  </devices>
%s</domain>
''' % (kind, name, emulator, port, cmdline))


class Domain:
    """The diskless domain running under @daemon; destroyed on exit."""

    def __init__(self, daemon):
        self.daemon = daemon
        # The first free port only: checking one also claims it from parallel tests.
        self.port = next((p for p in range(PORT_FIRST, PORT_LAST) if harness.port_is_free(p)), None)
        check(self.port is not None, 'ports %d-%d are all taken: is a stale QEMU running?'
              % (PORT_FIRST, PORT_LAST - 1))
        env = domain_env()
        log('domain %s, QEMU environment: %s' % (DOMAIN, ' '.join('%s=%s' % e for e in env) or '(none)'))
        self.pid = daemon.start_domain(domain_xml(DOMAIN, self.port, env=env), DOMAIN)
        log('domain %s runs as QEMU pid %d' % (DOMAIN, self.pid))
        check(harness.wait_port_open(self.port, 20), 'QEMU of %s does not listen on port %d; log:\n%s'
              % (DOMAIN, self.port, daemon.qemu_log(DOMAIN)[-3000:]))
        self.tmp = tempfile.mkdtemp(prefix='shots-', dir=qemuvm.artifact_dir())

    def screenshot(self, label, pump=None):
        """`virsh screenshot` (QMP screendump; a PNG) as (width, height, RGB)."""
        path = os.path.join(self.tmp, '%s.png' % label)
        self.daemon.virsh(['screenshot', DOMAIN, path], pump=pump)
        return harness.load_rgb(path)

    def wait_bios_text(self, timeout=30):
        """Waits until the screen shows SeaBIOS text that no longer grows; returns the picture."""
        deadline = time.monotonic() + timeout
        last = -1
        stable_since = None
        while time.monotonic() < deadline:
            pic = self.screenshot('wait')
            lit = qemuvm.lit_pixels(pic[2])
            if lit >= MIN_LIT_PIXELS and abs(lit - last) <= 64:   # the cursor cell may blink
                if stable_since is None:
                    stable_since = time.monotonic()
                elif time.monotonic() - stable_since >= 1.0:
                    return pic
            else:
                stable_since = None
            last = lit
            time.sleep(0.25)
        raise TestFailure('%s showed no stable SeaBIOS text within %d s (last screenshot: %d lit pixels)'
                          % (DOMAIN, timeout, last))

    def mapped_spice_libs(self):
        found = set()
        with open('/proc/%d/maps' % self.pid) as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and 'libspice-server' in parts[5]:
                    found.add(parts[5].strip())
        return sorted(found)

    def check_healthy(self):
        text = self.daemon.qemu_log(DOMAIN)
        bad = [m for m in harness.SANITIZER_MARKERS + qemuvm.QEMU_LOAD_FAILURES if m in text]
        check(not bad, 'QEMU of %s (%s library) reported %s; log tail:\n%s' % (DOMAIN, LIB, bad, text[-4000:]))
        check(os.path.exists('/proc/%d' % self.pid), 'QEMU of %s (%s library) exited; log tail:\n%s'
              % (DOMAIN, LIB, text[-3000:]))

    def close(self):
        self.daemon.destroy_domain(DOMAIN)
        self.daemon.virsh(['undefine', DOMAIN], check_ok=False)
        self.daemon.domains.remove(DOMAIN)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.check_healthy()
        self.close()
        if exc[0] is None:
            # A sanitizer report written while QEMU shut down is ours too.
            text = self.daemon.qemu_log(DOMAIN)
            bad = [m for m in harness.SANITIZER_MARKERS if m in text]
            check(not bad, 'QEMU of %s reported %s at exit; log tail:\n%s' % (DOMAIN, bad, text[-4000:]))
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False


def check_library(dom):
    libs = dom.mapped_spice_libs()
    log('QEMU maps: %s' % libs)
    if LIB == 'ours':
        want = os.path.realpath(qemuvm.our_lib_path())
        check([os.path.realpath(l) for l in libs] == [want],
              'QEMU of %s maps %s, expected only our %s' % (DOMAIN, libs, want))
    else:
        check(len(libs) == 1 and libs[0].startswith(harness.UPSTREAM_LIB_DIR + '/'),
              'QEMU of %s maps %s, expected only Debian\'s library in %s' % (DOMAIN, libs, harness.UPSTREAM_LIB_DIR))


def compare_suspended(daemon, dom, client, label):
    """Suspends the domain; spice-gtk's primary surface must equal `virsh screenshot`."""
    daemon.virsh(['suspend', DOMAIN], pump=client.iterate)
    try:
        expected = dom.screenshot(label, pump=client.iterate)
        lit = qemuvm.lit_pixels(expected[2])
        check(lit >= MIN_LIT_PIXELS, '%s: virsh screenshot shows no BIOS text (%d lit pixels)' % (label, lit))
        deadline = time.monotonic() + qemuvm.CONVERGE_SECONDS
        got, problem = None, 'no primary surface'
        while time.monotonic() < deadline:
            client.iterate(0.05)
            if client.primary is None or not client.marked:
                continue
            got = client.primary_rgb()
            problem = qemuvm.diff_pictures(expected, got)
            if problem is None:
                log('%s: spice-gtk equals virsh screenshot (%dx%d, %d lit pixels)'
                    % (label, expected[0], expected[1], lit))
                return expected
        stem = os.path.join(qemuvm.artifact_dir(), 'libvirt-%s-%s' % (LIB, label))
        saved = [qemuvm.save_png(stem + '-virsh.png', *expected)]
        if got is not None:
            saved.append(qemuvm.save_png(stem + '-spicegtk.png', *got))
        raise TestFailure('%s (%s library): after %.0f s %s; pictures: %s'
                          % (label, LIB, qemuvm.CONVERGE_SECONDS, problem, ' '.join(saved)))
    finally:
        daemon.virsh(['resume', DOMAIN], check_ok=False, pump=client.iterate)


def case_domain_with_spice_gtk():
    with libvirtd.Libvirtd() as daemon, Domain(daemon) as dom:
        out = daemon.virsh(['domdisplay', DOMAIN])[1].strip()
        check(out == 'spice://127.0.0.1:%d' % dom.port, 'virsh domdisplay printed %r, expected '
              'spice://127.0.0.1:%d' % (out, dom.port))
        log('virsh domdisplay: %s' % out)
        check_library(dom)
        dom.wait_bios_text()
        from spiceclient import SpiceTestClient
        with SpiceTestClient(port=dom.port, timeout=30) as client:
            client.wait_primary(quiet=0.4, settle_max=1.0)
            compare_suspended(daemon, dom, client, 'bios')
            # Running again, the picture still follows (the text cursor blinks on).
            client.iterate(1.5)
            compare_suspended(daemon, dom, client, 'after-resume')
        dom.check_healthy()


def case_virt_viewer():
    home = tempfile.mkdtemp(prefix='interop-vv-')
    shot = os.path.join(qemuvm.artifact_dir(), 'libvirt-virt-viewer-%s.png' % LIB)
    xsession.X_FIRST = max(xsession.X_FIRST, X_FIRST)
    try:
        with libvirtd.Libvirtd() as daemon, Domain(daemon) as dom, xsession.Xvfb() as x:
            dom.wait_bios_text()
            # Suspended, the guest picture is fixed (no blinking cursor) and equals QEMU's own.
            daemon.virsh(['suspend', DOMAIN])
            w, h, expected = dom.screenshot('viewer')
            env = x.env(home)
            for name in ('LD_PRELOAD', 'LD_LIBRARY_PATH'):
                env.pop(name, None)
            argv = ['virt-viewer', '--connect', daemon.uri, DOMAIN]
            log('start %s on %s' % (' '.join(argv), x.display))
            viewer = harness.Proc('virt-viewer', argv, env=env)
            try:
                found = None
                deadline = time.monotonic() + VIEWER_TIMEOUT
                while time.monotonic() < deadline and found is None:
                    time.sleep(1.0)
                    check(viewer.alive(), 'virt-viewer exited (%s): %s'
                          % (viewer.popen.returncode, viewer.stderr_text()[-2000:]))
                    x.screenshot(shot)
                    sw, sh, screen = harness.load_rgb(shot)
                    found = xsession.find_subimage(screen, sw, sh, expected, w, h)
                check(found is not None, 'the %dx%d guest picture never appeared exactly in virt-viewer '
                      'within %d s (last screenshot: %s)' % (w, h, VIEWER_TIMEOUT, shot))
                log('virt-viewer shows the whole %dx%d guest picture at %s' % (w, h, found))
            finally:
                viewer.stop()
                viewer.remove_logs()
            dom.check_healthy()
    finally:
        shutil.rmtree(home, ignore_errors=True)


def case_test_driver():
    """libvirt's test driver (no daemon) reads the same kind of XML and names the spice URI."""
    tmp = tempfile.mkdtemp(prefix='libvirt-test-')
    try:
        node = os.path.join(tmp, 'node.xml')
        with open(node, 'w') as f:
            f.write('<node>\n%s</node>\n' % domain_xml(DOMAIN, TEST_DRIVER_PORT, kind='test'))
        status, out, err = libvirtd_virsh_test(node, ['domdisplay', DOMAIN])
        check(status == 0, 'virsh -c test:///%s domdisplay failed: %s' % (node, err.strip()))
        check(out.strip() == 'spice://127.0.0.1:%d' % TEST_DRIVER_PORT,
              'test driver domdisplay printed %r, expected spice://127.0.0.1:%d' % (out.strip(), TEST_DRIVER_PORT))
        log('test driver domdisplay: %s' % out.strip())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def libvirtd_virsh_test(node, args):
    import subprocess
    p = subprocess.run([libvirtd.VIRSH, '-c', 'test://' + node] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=libvirtd.clean_env(), timeout=60)
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


if __name__ == '__main__':
    harness.run_cases([
        ('libvirt domain: domdisplay, library, spice-gtk equals virsh screenshot (%s library)' % LIB,
         case_domain_with_spice_gtk),
        ('virt-viewer --connect URI NAME shows the guest exactly (%s library)' % LIB, case_virt_viewer),
        ('test driver without a daemon: domdisplay names the spice URI (%s library)' % LIB, case_test_driver),
    ])
