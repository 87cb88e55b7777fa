"""libvirtd: a private libvirt daemon (root, headless) whose domains run QEMU on a chosen spice library.

The machine's /etc and libvirt state stay untouched: libvirtd runs inside `unshare -m` with private
copies bind-mounted over /etc/libvirt, /var/lib/libvirt, /run/libvirt, /var/log/libvirt,
/var/cache/libvirt, and over /etc/passwd and /etc/group (Debian's QEMU driver wants the user
libvirt-qemu to exist even when qemu.conf says user="root"). It listens on a unix socket only, in
its private directory, reached as qemu:///system?socket=PATH from outside the namespace.

Ownership: a Libvirtd owns its directory (removed by stop() unless keep_dir) and its daemon process
(harness.Proc, stopped by PID). Domains it started are destroyed first (libvirtd leaves running
QEMUs behind when it exits), and their QEMU is killed by PID if destroy did not end it.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import harness
from harness import TestFailure, check, log

LIBVIRTD = '/usr/sbin/libvirtd'
VIRSH = '/usr/bin/virsh'
# The machine's libvirt paths, each shadowed by a private directory of the same role.
SHADOWED_DIRS = {
    'etc': '/etc/libvirt',
    'lib': '/var/lib/libvirt',
    'run': '/run/libvirt',
    'log': '/var/log/libvirt',
    'cache': '/var/cache/libvirt',
}

# Why each line: the daemon runs as root without cgroups, namespaces, a security driver or
# seccomp (an ASan report would need to spawn a symbolizer), QEMU's stderr goes to its log file,
# and spice listens on loopback only.
QEMU_CONF = '''user = "root"
group = "root"
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
seccomp_sandbox = 0
spice_listen = "127.0.0.1"
'''

LIBVIRTD_CONF = '''listen_tls = 0
listen_tcp = 0
unix_sock_dir = "{sock_dir}"
unix_sock_group = "root"
unix_sock_ro_perms = "0700"
unix_sock_rw_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
log_outputs = "3:stderr"
'''


def clean_env():
    """The test's environment without sanitizer preloads or our library path (virsh, libvirtd)."""
    env = dict(os.environ)
    for name in ('LD_PRELOAD', 'LD_LIBRARY_PATH', 'ASAN_OPTIONS', 'UBSAN_OPTIONS'):
        env.pop(name, None)
    return env


def _with_libvirt_qemu(src, dst, line):
    with open(src) as f:
        text = f.read()
    if not any(l.split(':', 1)[0] == 'libvirt-qemu' for l in text.splitlines()):
        text = text.rstrip('\n') + '\n' + line + '\n'
    with open(dst, 'w') as f:
        f.write(text)


class Libvirtd:
    def __init__(self, ready_timeout=30, keep_dir=False):
        for path in (LIBVIRTD, VIRSH, '/usr/bin/unshare'):
            check(os.access(path, os.X_OK), '%s is missing (scripts/install-deps.sh installs libvirt-daemon, '
                  'libvirt-daemon-driver-qemu, libvirt-clients)' % path)
        check(os.getuid() == 0, 'a private system libvirtd needs root (unshare -m, bind mounts)')
        self.keep_dir = keep_dir
        self.domains = []
        # In /tmp, not the build tree: a unix socket path must stay under 108 bytes.
        self.dir = tempfile.mkdtemp(prefix='spice-libvirt-')
        self.paths = {role: os.path.join(self.dir, role) for role in SHADOWED_DIRS}
        for role, path in self.paths.items():
            if role == 'etc':
                shutil.copytree('/etc/libvirt', path)
            else:
                os.makedirs(path)
        self.sock_dir = os.path.join(self.dir, 'sock')
        os.makedirs(self.sock_dir)
        with open(os.path.join(self.paths['etc'], 'qemu.conf'), 'w') as f:
            f.write(QEMU_CONF)
        conf = os.path.join(self.paths['etc'], 'libvirtd.conf')
        with open(conf, 'w') as f:
            f.write(LIBVIRTD_CONF.format(sock_dir=self.sock_dir))
        passwd, group = os.path.join(self.dir, 'passwd'), os.path.join(self.dir, 'group')
        _with_libvirt_qemu('/etc/passwd', passwd,
                           'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin')
        _with_libvirt_qemu('/etc/group', group, 'libvirt-qemu:x:64055:')
        # The mount points are the package's own directories; mkdir -p creates only missing ones.
        lines = ['set -e']
        binds = [(self.paths[role], target) for role, target in SHADOWED_DIRS.items()]
        binds += [(passwd, '/etc/passwd'), (group, '/etc/group')]
        for src, dst in binds:
            if os.path.isdir(src):
                lines.append('mkdir -p %s' % dst)
            lines.append('mount --bind %s %s' % (src, dst))
        # exec: the PID harness.Proc owns is libvirtd's own.
        lines.append('exec %s --config %s' % (LIBVIRTD, conf))
        self.uri = 'qemu:///system?socket=%s' % os.path.join(self.sock_dir, 'libvirt-sock')
        log('start private libvirtd in %s (%s)' % (self.dir, self.uri))
        self.proc = harness.Proc('libvirtd', ['unshare', '-m', '--propagation', 'private', 'sh', '-c',
                                              '\n'.join(lines)], env=clean_env(), capture_stdout=False)
        deadline = time.monotonic() + ready_timeout
        while True:
            if not self.proc.alive():
                err = self.proc.stderr_text()
                self.stop()
                raise TestFailure('libvirtd exited (status %s); stderr tail:\n%s'
                                  % (self.proc.popen.returncode, err[-3000:]))
            if os.path.exists(os.path.join(self.sock_dir, 'libvirt-sock')):
                result = self.virsh(['version'], check_ok=False)
                if result[0] == 0 and 'Running hypervisor: QEMU' in result[1]:
                    log(result[1].strip().splitlines()[-1])
                    break
            if time.monotonic() > deadline:
                err = self.proc.stderr_text()
                self.stop()
                raise TestFailure('libvirtd did not answer `virsh version` within %d s; stderr tail:\n%s'
                                  % (ready_timeout, err[-3000:]))
            time.sleep(0.1)

    def virsh(self, args, check_ok=True, timeout=60, pump=None):
        """Runs `virsh -c URI ARGS`; returns (status, stdout, stderr). @pump(seconds) runs while it waits
        (a spice-gtk client in this thread must keep reading while QEMU works)."""
        argv = [VIRSH, '-c', self.uri] + list(args)
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
        deadline = time.monotonic() + timeout
        if pump is not None:
            while p.poll() is None and time.monotonic() < deadline:
                pump(0.02)
        try:
            out, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise TestFailure('virsh %s: no answer within %d s' % (' '.join(args), timeout))
        out, err = out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')
        if check_ok and p.returncode != 0:
            raise TestFailure('virsh %s failed (status %d): %s%s' % (' '.join(args), p.returncode, err.strip(),
                                                                 self.daemon_errors()))
        return p.returncode, out, err

    def daemon_errors(self):
        lines = [l for l in self.proc.stderr_text().splitlines() if ': error : ' in l]
        return ('\nlibvirtd errors:\n' + '\n'.join(lines[-10:])) if lines else ''

    def qemu_log(self, name):
        """QEMU's command line and stderr for domain @name (stdio_handler="file")."""
        try:
            with open(os.path.join(self.paths['log'], 'qemu', name + '.log'), 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def qemu_pid(self, name):
        """The PID of domain @name's running QEMU (libvirt's pid file), or None."""
        try:
            with open(os.path.join(self.paths['run'], 'qemu', name + '.pid')) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def start_domain(self, xml_text, name):
        path = os.path.join(self.dir, name + '.xml')
        with open(path, 'w') as f:
            f.write(xml_text)
        self.virsh(['define', path])
        self.domains.append(name)
        status, out, err = self.virsh(['start', name], check_ok=False)
        if status != 0:
            raise TestFailure('virsh start %s failed: %s\nQEMU log:\n%s%s'
                              % (name, err.strip(), self.qemu_log(name)[-3000:], self.daemon_errors()))
        pid = self.qemu_pid(name)
        check(pid is not None, 'domain %s started but libvirt wrote no QEMU pid file' % name)
        return pid

    def destroy_domain(self, name):
        """Destroys domain @name (if running); kills its QEMU by PID if it outlives that."""
        pid = self.qemu_pid(name)
        self.virsh(['destroy', name], check_ok=False)
        if pid is not None:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and os.path.exists('/proc/%d' % pid):
                time.sleep(0.05)
            if os.path.exists('/proc/%d' % pid):
                log('QEMU %d of domain %s survived virsh destroy: SIGKILL' % (pid, name))
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def stop(self):
        if self.proc.alive():
            for name in self.domains:
                self.destroy_domain(name)
        else:
            # No daemon to ask: its QEMUs are ended by their pid files.
            for name in self.domains:
                pid = self.qemu_pid(name)
                if pid is not None and os.path.exists('/proc/%d' % pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self.domains = []
        self.proc.stop()
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.proc.remove_logs()
        self.stop()
        return False
