#!/usr/bin/python3
"""test-client-connect: how our spice-viewer reaches servers: TLS, unix sockets, .vv files, libvirt.

    test-client-connect.py CASE [CASE...]

Cases (ports 6340-6359, harness.port_range; SPICE_TEST_PORTS overrides):
  tls-upstream, tls-ours   Debian's QEMU 7.2 on upstream's / our libspice-server with
                           -spice port=P,tls-port=T,x509-dir=D,tls-channel=main,tls-channel=display
                           (a test PKI made with the openssl CLI), VM stopped on the BIOS text:
                           spice://h?port=P&tls-port=T --ca-file CA (main and display answer
                           NEED_SECURED on the plain port; the viewer moves them to TLS) and
                           spice+tls://h:T both equal QMP screendump; the wrong CA is exit 7
                           "certificate verify failed ... --ca-file"; no CA (system store) is
                           exit 7 too; a wrong --host-subject is refused (exit 7), the right one
                           is accepted for "localhost" (which the certificate does not name,
                           and which is refused without it); spice://h:P alone is exit 7
                           "NEED_SECURED".
  channel-security-upstream, channel-security-ours
                           QEMU with port=P,tls-port=T,tls-channel=main,plaintext-channel=inputs
                           and a .vv with both ports and secure-channels=display;inputs: QMP
                           query-spice during our session says main TLS (moved by NEED_SECURED),
                           display TLS (secure-channels), inputs plain (asked secure, moved back
                           by NEED_UNSECURED), cursor plain; the screenshot equals screendump.
  unix-upstream, unix-ours QEMU -spice unix=on,addr=PATH on upstream's / our library:
                           spice+unix://PATH equals QMP screendump; a missing socket is exit 2
                           naming QEMU's unix=on option.
  vv-tls-password          QEMU (upstream) TLS only with password-secret: a .vv file with
                           tls-port, password, inline ca (\\n escapes), host-subject and
                           delete-this-file=1 gives a screenshot equal to QMP screendump and is
                           deleted; the same file with a wrong password is exit 3; a .vv with
                           port=70000 is exit 1 naming the key.
  libvirt-test-driver      our demo VM (--image) on a port; libvirt's test driver (no daemon) with a
                           node XML whose domain has <graphics type='spice' port=that>:
                           --connect test:///NODE DOMAIN equals the image and spice-gtk's picture;
                           a domain without SPICE graphics and an unknown domain are exit 2 with
                           the fix in the message.
  libvirt-daemon           a private libvirtd (tests/interop/libvirt/libvirtd.py, root) runs a QEMU
                           domain (upstream library) with autoport='yes' (remote_display_port_min
                           / _max keep it in our range) and a passwd: --connect URI DOMAIN while
                           the domain is suspended (the password read from the secure XML)
                           equals `virsh screenshot` and spice-gtk's picture; a wrong --password
                           overrides it and is exit 3; a second domain with <listen
                           type='socket'> is reached through its unix socket (equals virsh
                           screenshot);
                           once destroyed, --connect is exit 2 "not running ... virsh ... start".
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.sax.saxutils

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..', 'libvirt'))
sys.path.insert(0, os.path.join(HERE, '..'))
import qemuvm  # noqa: E402
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

PORT_FIRST, PORT_LAST = harness.port_range(6340, 6359)
MIN_LIT_PIXELS = 2000
EXIT_OK, EXIT_USAGE, EXIT_CONNECT, EXIT_AUTH, EXIT_TLS = 0, 1, 2, 3, 7
DOMAIN_PASSWORD = 'libvirt-pw-7'   # the libvirtd domain's graphics passwd
_next = [PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)]


def free_ports(count):
    """@count free ports of our range (rotating, so a port in TIME_WAIT gets a rest)."""
    found = []
    for _ in range(PORT_LAST - PORT_FIRST + 1):
        port = _next[0]
        _next[0] = PORT_FIRST + (port + 1 - PORT_FIRST) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(port) and port not in found:
            found.append(port)
            if len(found) == count:
                return found
    raise TestFailure('no %d free ports in %d-%d (a stale QEMU?)' % (count, PORT_FIRST, PORT_LAST))


def viewer_path():
    path = os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
    check(os.access(path, os.X_OK), '%s is missing: build it (ninja -C %s client/spice-viewer)'
          % (path, harness.BUILD_DIR))
    return path


def run_viewer(args, png, timeout=20):
    """spice-viewer --headless --screenshot PNG ARGS; returns (exit code, stderr)."""
    if os.path.exists(png):
        os.unlink(png)
    argv = [viewer_path(), '--headless', '--screenshot', png, '--timeout', str(timeout)] + list(args)
    log('run: %s' % ' '.join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 30,
                          env=dict(os.environ, LIBVIRT_DEFAULT_URI=''))
    err = proc.stderr.decode(errors='replace')
    log('spice-viewer exit %d; stderr %r' % (proc.returncode, err[-2000:]))
    check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report from spice-viewer:\n' + err)
    return proc.returncode, err


def expect_failure(args, png, code, words, what):
    got, err = run_viewer(args, png)
    check(got == code, '%s: expected exit %d, got %d: %s' % (what, code, got, err[-1500:]))
    for w in words:
        check(w in err, '%s: the message lacks %r: %s' % (what, w, err[-1500:]))
    check(not os.path.exists(png), '%s: a failed connection must not write a screenshot' % what)


def compare(expected, png, stem):
    check(os.path.exists(png), 'spice-viewer exited 0 but wrote no %s' % png)
    got = harness.load_rgb(png)
    problem = qemuvm.diff_pictures(expected, got)
    if problem is not None:
        saved = qemuvm.save_png(os.path.join(harness.work_dir(), stem + '-expected.png'), *expected)
        raise TestFailure('%s: our screenshot differs: %s; pictures %s %s'
                          % (stem, problem.replace('spice-gtk', 'ours').replace('QEMU', 'expected'), saved, png))
    log('%s: our screenshot equals the expected picture (%dx%d)' % (stem, expected[0], expected[1]))


def shot(name):
    return os.path.join(harness.work_dir(), 'client-connect-%s.png' % name)


# ---------------------------------------------------------------------------------------------
# A test PKI (openssl CLI): a CA, a server certificate for 127.0.0.1, a CA that signed nothing

SUBJECT = 'C=IL, O=Spice Suite, CN=127.0.0.1'


class Pki:
    def __init__(self):
        self.root = tempfile.mkdtemp(prefix='connect-pki-', dir=qemuvm.artifact_dir())
        self.x509_dir = os.path.join(self.root, 'x509')
        os.makedirs(self.x509_dir)
        self._ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out',
                  'x509/ca-cert.pem', '-days', '2', '-subj', '/CN=client-connect test CA')
        self._ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'x509/server-key.pem', '-out',
                  'server.csr', '-subj', '/C=IL/O=Spice Suite/CN=127.0.0.1')
        with open(os.path.join(self.root, 'san.cnf'), 'w') as f:
            f.write('subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n')
        self._ssl('x509', '-req', '-in', 'server.csr', '-CA', 'x509/ca-cert.pem', '-CAkey', 'ca-key.pem',
                  '-CAcreateserial', '-out', 'x509/server-cert.pem', '-days', '2', '-extfile', 'san.cnf')
        self._ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'wrong-key.pem', '-out',
                  'wrong-ca.pem', '-days', '2', '-subj', '/CN=a CA that signed nothing')
        self.ca = os.path.join(self.x509_dir, 'ca-cert.pem')
        self.wrong_ca = os.path.join(self.root, 'wrong-ca.pem')

    def _ssl(self, *args):
        res = subprocess.run(['openssl'] + list(args), cwd=self.root, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=60)
        check(res.returncode == 0, 'openssl %s failed: %s' % (' '.join(args), res.stdout.decode()[-2000:]))

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# QEMU with -spice options of our own (TLS ports, a unix socket)

class ConnectQemu(qemuvm.Qemu):
    """qemuvm.Qemu whose -spice argument is @make_opts(ports) (@nports ports of our range);
    self.port is the first port (None with nports 0)."""

    def __init__(self, lib, make_opts, nports, extra_args=(), ready_timeout=30):
        self.lib = lib
        self.qmp = None
        env = qemuvm.qemu_env(lib)
        for attempt in range(5):
            self.ports = free_ports(nports) if nports else []
            self.port = self.ports[0] if self.ports else None
            self.tmp = tempfile.mkdtemp(prefix='qemu-connect-', dir=qemuvm.artifact_dir())
            self.qmp_path = os.path.join(self.tmp, 'qmp.sock')
            argv = [qemuvm.QEMU_BIN] + qemuvm.base_args('qxl') + list(extra_args) + [
                '-spice', make_opts(self.ports), '-qmp', 'unix:%s,server=on,wait=off' % self.qmp_path]
            log('start QEMU (%s library): %s' % (lib, ' '.join(argv)))
            self.proc = harness.Proc('qemu-connect-%s' % lib, argv, env=env)
            deadline = time.monotonic() + ready_timeout
            while time.monotonic() < deadline and self.alive() and not os.path.exists(self.qmp_path):
                time.sleep(0.05)
            if self.alive():
                try:
                    self.qmp = qemuvm.Qmp(self.qmp_path, timeout=max(1, deadline - time.monotonic()))
                except (TestFailure, OSError) as e:
                    log('QMP: %s' % e)
                    self.qmp = None
            if self.qmp is not None and self.alive():
                break
            err = self.proc.stderr_text()
            self.stop()
            if 'Address already in use' in err:
                continue
            raise TestFailure('QEMU (%s library) did not start; stderr:\n%s' % (lib, err[-4000:]))
        else:
            raise TestFailure('QEMU found no free ports in 5 attempts')
        for port in self.ports:
            check(harness.wait_port_open(port, 5), 'QEMU answers QMP but port %d is closed' % port)

    def stop_on_bios_text(self, timeout=40):
        """Waits until SeaBIOS's text stands still, stops the VM, returns QMP screendump."""
        deadline = time.monotonic() + timeout
        last, stable_since = -1, None
        while time.monotonic() < deadline:
            w, h, rgb = self.screendump('wait.ppm')
            lit = qemuvm.lit_pixels(rgb)
            if lit >= MIN_LIT_PIXELS and abs(lit - last) <= 64:
                if stable_since is None:
                    stable_since = time.monotonic()
                elif time.monotonic() - stable_since >= 1.0:
                    self.qmp.execute('stop')
                    return self.screendump('stopped.ppm')
            else:
                stable_since = None
            last = lit
            time.sleep(0.25)
        raise TestFailure('QEMU showed no stable SeaBIOS text within %d s' % timeout)


# ---------------------------------------------------------------------------------------------
# Cases

def case_tls(lib):
    pki = Pki()
    try:
        def opts(ports):
            return ('addr=127.0.0.1,port=%d,tls-port=%d,x509-dir=%s,disable-ticketing=on,'
                    'tls-channel=main,tls-channel=display' % (ports[0], ports[1], pki.x509_dir))
        with ConnectQemu(lib, opts, 2) as qemu:
            plain, tls = qemu.ports
            expected = qemu.stop_on_bios_text()
            png = shot('tls-%s' % lib)
            # Both ports: main and display are refused on the plain port (NEED_SECURED) and move.
            code, err = run_viewer(['--ca-file', pki.ca, 'spice://127.0.0.1?port=%d&tls-port=%d' % (plain, tls)], png)
            check(code == EXIT_OK, 'spice://?port&tls-port with the right CA failed (exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-tls-mixed-%s' % lib)
            code, err = run_viewer(['--ca-file', pki.ca, 'spice+tls://127.0.0.1:%d' % tls], png)
            check(code == EXIT_OK, 'spice+tls:// with the right CA failed (exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-tls-only-%s' % lib)
            expect_failure(['--ca-file', pki.wrong_ca, 'spice+tls://127.0.0.1:%d' % tls], png, EXIT_TLS,
                           ['TLS failed', 'certificate verify failed', '--ca-file'], 'the wrong CA')
            expect_failure(['spice+tls://127.0.0.1:%d' % tls], png, EXIT_TLS,
                           ['certificate verify failed', "system's trusted CAs"], 'no CA (system store)')
            expect_failure(['--ca-file', pki.ca, '--host-subject', 'C=IL, O=Spice Suite, CN=other.host',
                            'spice+tls://127.0.0.1:%d' % tls], png, EXIT_TLS,
                           ['is not the expected host subject', SUBJECT], 'a wrong --host-subject')
            expect_failure(['--ca-file', pki.ca, 'spice+tls://localhost:%d' % tls], png, EXIT_TLS,
                           ["not for host 'localhost'", '--host-subject'], 'a host the certificate does not name')
            code, err = run_viewer(['--ca-file', pki.ca, '--host-subject', SUBJECT,
                                    'spice+tls://localhost:%d' % tls], png)
            check(code == EXIT_OK, 'the right --host-subject must accept the certificate for localhost '
                  '(exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-tls-subject-%s' % lib)
            expect_failure(['spice://127.0.0.1:%d' % plain], png, EXIT_TLS,
                           ['NEED_SECURED', 'tls-port'], 'a TLS-only main channel without a TLS port')
            qemu.check_healthy()
    finally:
        pki.remove()


def case_unix(lib):
    sock_dir = tempfile.mkdtemp(prefix='spice-unix-')   # /tmp: a socket path stays short
    path = os.path.join(sock_dir, 'spice.sock')
    try:
        with ConnectQemu(lib, lambda ports: 'unix=on,addr=%s,disable-ticketing=on' % path, 0) as qemu:
            deadline = time.monotonic() + 5
            while not os.path.exists(path) and time.monotonic() < deadline:
                time.sleep(0.05)
            check(os.path.exists(path), 'QEMU made no socket at %s' % path)
            expected = qemu.stop_on_bios_text()
            png = shot('unix-%s' % lib)
            code, err = run_viewer(['spice+unix://%s' % path], png)
            check(code == EXIT_OK, 'spice+unix:// failed (exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-unix-%s' % lib)
            expect_failure(['spice+unix://%s.missing' % path], png, EXIT_CONNECT,
                           ['unix socket', 'unix=on,addr='], 'a unix socket that does not exist')
            qemu.check_healthy()
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)


def case_channel_security(lib):
    """Per-channel security as the server and a .vv file ask: QMP query-spice tells which
    channel of our live session runs TLS."""
    pki = Pki()
    vv_dir = tempfile.mkdtemp(prefix='vv-', dir=qemuvm.artifact_dir())
    try:
        with open(pki.ca) as f:
            ca_inline = f.read().strip().replace('\n', '\\n')

        def opts(ports):
            return ('addr=127.0.0.1,port=%d,tls-port=%d,x509-dir=%s,disable-ticketing=on,'
                    'tls-channel=main,plaintext-channel=inputs' % (ports[0], ports[1], pki.x509_dir))
        with ConnectQemu(lib, opts, 2) as qemu:
            plain, tls = qemu.ports
            expected = qemu.stop_on_bios_text()
            vv = os.path.join(vv_dir, 'mixed.vv')
            # main: plain first, NEED_SECURED moves it; display: secure-channels starts it on TLS;
            # inputs: asked secure, the server answers NEED_UNSECURED and it moves back; cursor: plain.
            write_vv(vv, type='spice', host='127.0.0.1', port=plain, tls_port=tls, ca=ca_inline,
                     secure_channels='display;inputs')
            png = shot('channel-security-%s' % lib)
            if os.path.exists(png):
                os.unlink(png)
            argv = [viewer_path(), '--headless', '--screenshot', png, '--timeout', '30', '--settle', '6', vv]
            log('run: %s' % ' '.join(argv))
            viewer = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            want = {1: True, 2: True, 3: False, 4: False}   # SPICE_CHANNEL_MAIN, DISPLAY, INPUTS, CURSOR
            seen = {}
            try:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and viewer.poll() is None:
                    info = qemu.qmp.execute('query-spice')
                    seen = {c['channel-type']: c['tls'] for c in info.get('channels', [])}
                    if all(t in seen for t in want):
                        break
                    time.sleep(0.2)
                out, err = viewer.communicate(timeout=40)
            finally:
                if viewer.poll() is None:
                    viewer.kill()
                    viewer.wait()
            err = err.decode(errors='replace')
            log('spice-viewer exit %d; stderr %r; query-spice tls by channel type: %s'
                % (viewer.returncode, err[-1500:], seen))
            check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report:\n' + err)
            check(viewer.returncode == EXIT_OK, 'the mixed-security .vv failed (exit %d): %s'
                  % (viewer.returncode, err[-1500:]))
            check(seen == want, 'channel security (type: tls) is %s, expected %s' % (seen, want))
            compare(expected, png, 'client-connect-channel-security-%s' % lib)
            qemu.check_healthy()
    finally:
        shutil.rmtree(vv_dir, ignore_errors=True)
        pki.remove()


def write_vv(path, **keys):
    with open(path, 'w') as f:
        f.write('[virt-viewer]\n')
        for k, v in keys.items():
            f.write('%s=%s\n' % (k.replace('_', '-'), v))


def case_vv():
    pki = Pki()
    vv_dir = tempfile.mkdtemp(prefix='vv-', dir=qemuvm.artifact_dir())
    try:
        with open(pki.ca) as f:
            ca_inline = f.read().strip().replace('\n', '\\n')

        def opts(ports):
            return 'addr=127.0.0.1,port=0,tls-port=%d,x509-dir=%s,password-secret=sec0' % (ports[0], pki.x509_dir)
        with ConnectQemu('upstream', opts, 1, extra_args=['-object', 'secret,id=sec0,data=vv-pass-1']) as qemu:
            expected = qemu.stop_on_bios_text()
            png = shot('vv')
            vv = os.path.join(vv_dir, 'console.vv')
            common = dict(type='spice', host='127.0.0.1', port='-1', tls_port=qemu.port, ca=ca_inline,
                          host_subject=SUBJECT, title='vm from a vv file', secure_channels='all')
            write_vv(vv, password='vv-pass-1', delete_this_file='1', **common)
            code, err = run_viewer([vv], png)
            check(code == EXIT_OK, 'the .vv file failed (exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-vv')
            check(not os.path.exists(vv), 'delete-this-file=1: the viewer must delete %s once read' % vv)
            write_vv(vv, password='not-the-password', **common)
            expect_failure([vv], png, EXIT_AUTH, ['auth failed', 'PERMISSION_DENIED'], 'a .vv with a wrong password')
            check(os.path.exists(vv), 'a .vv without delete-this-file must stay')
            write_vv(vv, type='spice', host='127.0.0.1', port='70000')
            expect_failure([vv], png, EXIT_USAGE, ['port=70000', 'from 0 to 65535'], 'a .vv with port=70000')
            qemu.check_healthy()
    finally:
        shutil.rmtree(vv_dir, ignore_errors=True)
        pki.remove()


def make_image(path, width=320, height=200):
    rgb = bytearray()
    for y in range(height):
        for x in range(width):
            rgb += bytes(((x * 5 + y) & 255, (y * 3) & 255, ((x ^ y) * 7) & 255))
    qemuvm.save_png(path, width, height, bytes(rgb))
    return width, height, bytes(rgb)


def spice_gtk_picture(port, password=None, attempts=1):
    """spice-gtk's picture of the display at @port, the reference for our viewer's. @attempts:
    how many fresh spice-gtk sessions may try (more than 1 only when both ends are upstream's)."""
    from spiceclient import ClientError, SpiceTestClient
    for attempt in range(1, attempts + 1):
        try:
            with SpiceTestClient(port=port, timeout=20, password=password) as client:
                client.connect()
                client.wait_primary()
                return client.primary_rgb()
        except ClientError as err:
            if attempt == attempts:
                raise
            log('spice-gtk reference attempt %d failed (%s): a fresh session' % (attempt, err))


def test_domain_xml(name, port, graphics=True):
    g = ("    <graphics type='spice' port='%d' autoport='no' listen='127.0.0.1'>\n"
         "      <listen type='address' address='127.0.0.1'/>\n    </graphics>\n" % port) if graphics else ''
    return ("<domain type='test'>\n  <name>%s</name>\n  <memory unit='MiB'>128</memory>\n"
            "  <os><type arch='x86_64'>hvm</type></os>\n  <devices>\n%s  </devices>\n</domain>\n"
            % (xml.sax.saxutils.escape(name), g))


def case_libvirt_test_driver():
    img = os.path.join(harness.work_dir(), 'client-connect-source.png')
    expected = make_image(img)
    tmp = tempfile.mkdtemp(prefix='libvirt-test-', dir=qemuvm.artifact_dir())
    try:
        with harness.Demo('ours', ['--image', img], port=free_ports(1)[0]) as demo:
            node = os.path.join(tmp, 'node.xml')
            with open(node, 'w') as f:
                f.write('<node>\n%s%s</node>\n' % (test_domain_xml('demo-vm', demo.port),
                                                   test_domain_xml('no-graphics', 0, graphics=False)))
            uri = 'test://' + node
            png = shot('libvirt-test')
            code, err = run_viewer(['--connect', uri, 'demo-vm'], png)
            check(code == EXIT_OK, '--connect %s demo-vm failed (exit %d): %s' % (uri, code, err[-1500:]))
            compare(expected, png, 'client-connect-libvirt-test')
            gtk = spice_gtk_picture(demo.port)
            compare(gtk, png, 'client-connect-libvirt-test-vs-spice-gtk')
            expect_failure(['--connect', uri, 'no-graphics'], png, EXIT_CONNECT,
                           ['connect failed', 'no SPICE display', "<graphics type='spice'/>"],
                           'a domain without SPICE graphics')
            expect_failure(['--connect', uri, 'nonexistent'], png, EXIT_CONNECT,
                           ["no domain 'nonexistent'", 'list --all'], 'an unknown domain')
            demo.check_healthy()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def suspend_on_bios_text(daemon, name, path):
    """Waits for the domain's SeaBIOS text to stand still, suspends it, returns virsh screenshot."""
    deadline = time.monotonic() + 40
    last, stable_since = -1, None
    while True:
        check(time.monotonic() < deadline, '%s showed no stable BIOS text within 40 s' % name)
        daemon.virsh(['screenshot', name, path])
        lit = qemuvm.lit_pixels(harness.load_rgb(path)[2])
        if lit >= MIN_LIT_PIXELS and abs(lit - last) <= 64:
            if stable_since is None:
                stable_since = time.monotonic()
            elif time.monotonic() - stable_since >= 1.0:
                break
        else:
            stable_since = None
        last = lit
        time.sleep(0.25)
    daemon.virsh(['suspend', name])
    daemon.virsh(['screenshot', name, path])
    return harness.load_rgb(path)


def case_libvirt_daemon():
    import libvirtd
    check(os.getuid() == 0, 'a private system libvirtd needs root')
    # Autoport within our range: libvirt takes the first port of it that it can bind.
    libvirtd.QEMU_CONF = libvirtd.QEMU_CONF + ('remote_display_port_min = %d\nremote_display_port_max = %d\n'
                                               % (PORT_FIRST, PORT_LAST))
    name = 'spice-suite-connect'
    domain = ('''<domain type='qemu'>
  <name>%s</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <devices>
    <emulator>%s</emulator>
    <graphics type='spice' autoport='yes' listen='127.0.0.1' passwd='%s'>
      <listen type='address' address='127.0.0.1'/>
    </graphics>
    <video><model type='qxl'/></video>
    <memballoon model='none'/>
  </devices>
</domain>
''' % (name, qemuvm.QEMU_BIN, DOMAIN_PASSWORD))
    with libvirtd.Libvirtd() as daemon:
        shots = tempfile.mkdtemp(prefix='connect-shots-', dir=qemuvm.artifact_dir())
        sock_dir = tempfile.mkdtemp(prefix='spice-connect-')
        try:
            daemon.start_domain(domain, name)
            status, out, _ = daemon.virsh(['domdisplay', name])
            log('domdisplay: %s' % out.strip())
            port = int(out.strip().rsplit(':', 1)[1])
            check(PORT_FIRST <= port <= PORT_LAST, 'autoport chose %d, outside %d-%d' % (port, PORT_FIRST, PORT_LAST))
            # A still picture for everyone: suspended on the BIOS text.
            expected = suspend_on_bios_text(daemon, name, os.path.join(shots, 'dom.png'))
            png = shot('libvirt-daemon')
            code, err = run_viewer(['--connect', daemon.uri, name], png, timeout=30)
            check(code == EXIT_OK, '--connect %s %s failed (exit %d): %s' % (daemon.uri, name, code, err[-1500:]))
            compare(expected, png, 'client-connect-libvirt-daemon')
            # Upstream's server in QEMU and spice-gtk, nothing of ours: spice-gtk opens a second
            # main channel there and closes one, and in 1 of 5 to 1 of 12 runs (right after our
            # viewer's session) that close comes as an I/O error, which the client treats as
            # fatal though the other main channel is open. A second session takes the picture.
            gtk = spice_gtk_picture(port, DOMAIN_PASSWORD, attempts=2)
            compare(gtk, png, 'client-connect-libvirt-daemon-vs-spice-gtk')
            # The password came from the domain's XML (read with VIR_DOMAIN_XML_SECURE): a wrong
            # one on the command line overrides it and is refused.
            expect_failure(['--password', 'not-it', '--connect', daemon.uri, name], png, EXIT_AUTH,
                           ['auth failed'], '--connect with a wrong --password')
            daemon.destroy_domain(name)
            expect_failure(['--connect', daemon.uri, name], png, EXIT_CONNECT,
                           ['is not running', 'start %s' % name], 'a domain that is not running')
            # A domain whose SPICE display listens on a unix socket (in /tmp: outside the
            # daemon's private mounts, so the same path from here).
            sock = os.path.join(sock_dir, 'vm.sock')
            unix_name = name + '-unix'
            daemon.start_domain(domain.replace(name, unix_name).replace(
                "autoport='yes' listen='127.0.0.1' passwd='%s'>\n      <listen type='address' address='127.0.0.1'/>"
                % DOMAIN_PASSWORD, ">\n      <listen type='socket' socket='%s'/>" % sock), unix_name)
            check(os.path.exists(sock), 'the unix-socket domain made no socket at %s (QEMU log: %s)'
                  % (sock, daemon.qemu_log(unix_name)[-1500:]))
            expected = suspend_on_bios_text(daemon, unix_name, os.path.join(shots, 'unix.png'))
            png = shot('libvirt-daemon-unix')
            code, err = run_viewer(['--connect', daemon.uri, unix_name], png, timeout=30)
            check(code == EXIT_OK, '--connect to the unix-socket domain failed (exit %d): %s' % (code, err[-1500:]))
            compare(expected, png, 'client-connect-libvirt-daemon-unix')
        finally:
            shutil.rmtree(shots, ignore_errors=True)
            shutil.rmtree(sock_dir, ignore_errors=True)


CASES = {
    'tls-upstream': ('TLS, CA file, host subject, NEED_SECURED against QEMU (upstream library)',
                     lambda: case_tls('upstream')),
    'tls-ours': ('TLS, CA file, host subject, NEED_SECURED against QEMU (our library)', lambda: case_tls('ours')),
    'channel-security-upstream': ('per-channel TLS: NEED_SECURED, NEED_UNSECURED, secure-channels (upstream)',
                                  lambda: case_channel_security('upstream')),
    'channel-security-ours': ('per-channel TLS: NEED_SECURED, NEED_UNSECURED, secure-channels (ours)',
                              lambda: case_channel_security('ours')),
    'unix-upstream': ('spice+unix:// against QEMU unix=on (upstream library)', lambda: case_unix('upstream')),
    'unix-ours': ('spice+unix:// against QEMU unix=on (our library)', lambda: case_unix('ours')),
    'vv-tls-password': ('a .vv file with tls-port, password, inline CA, host-subject', case_vv),
    'libvirt-test-driver': ('--connect test:///node.xml DOMAIN (demo VM, our library)', case_libvirt_test_driver),
    'libvirt-daemon': ('--connect to a private libvirtd domain with autoport (upstream library)',
                       case_libvirt_daemon),
}

if __name__ == '__main__':
    names = sys.argv[1:] or list(CASES)
    for n in names:
        if n not in CASES:
            sys.exit('unknown case %s (cases: %s)' % (n, ', '.join(CASES)))
    harness.run_cases([(CASES[n][0], CASES[n][1]) for n in names])
