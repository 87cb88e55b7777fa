"""qemuvm: runs Debian's unchanged QEMU on our libspice-server.so.1 or upstream's, talks QMP, reads PPM.

Ports 5970-5989 belong to these QEMU tests (the rest of the interop suite uses 5940-5969).
Every QEMU is a harness.Proc: stopped by its PID in a finally block or at interpreter exit.
"""
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

QEMU_BIN = os.environ.get('SPICE_SUITE_QEMU') or '/usr/bin/qemu-system-x86_64'
PORT_FIRST, PORT_LAST = 5970, 5989
LIB_NAME = 'libspice-server.so.1'
# How long spice-gtk gets to show what QEMU's screendump shows.
CONVERGE_SECONDS = 5.0

# What QEMU prints when it cannot use the library it dlopened (ui-spice-core.so module).
QEMU_LOAD_FAILURES = ('spice support is disabled', 'undefined symbol', 'failed to open module',
                      'is not a valid', 'spice: failed')


def our_lib_path():
    return os.path.join(harness.OUR_LIB_DIR, LIB_NAME)


def lib_dir(which):
    if which == 'ours':
        return harness.OUR_LIB_DIR
    if which == 'upstream':
        return harness.UPSTREAM_LIB_DIR
    raise ValueError(which)


def artifact_dir():
    """Where pictures and QEMU logs are kept for inspection: <build>/tests/interop/qemu-work.
    Shared by the tests, which run in parallel: what they keep there is in mkdtemp directories
    (short paths: QMP's unix socket path must stay under 108 bytes) or named after the test."""
    path = os.path.join(harness.BUILD_DIR, 'tests', 'interop', 'qemu-work')
    os.makedirs(path, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# The environment QEMU runs in

def lib_uses_asan(path):
    """True when @path was linked against libasan (the test build uses -Db_sanitize=address,...)."""
    try:
        out = subprocess.run(['ldd', path], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             timeout=20).stdout.decode('utf-8', 'replace')
    except (OSError, subprocess.TimeoutExpired):
        return False
    return 'libasan' in out


def _gcc_runtime(name):
    try:
        out = subprocess.run(['gcc', '-print-file-name=%s' % name], stdout=subprocess.PIPE,
                             timeout=20).stdout.decode().strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out if os.path.isabs(out) and os.path.exists(out) else None


def qemu_env(which):
    """Environment for QEMU on @which library ('ours' or 'upstream')."""
    env = dict(os.environ)
    # meson's test_env asks sanitizers to report leaks; QEMU's own leaks at exit are not ours.
    env.pop('LD_PRELOAD', None)
    if which == 'upstream':
        env.pop('LD_LIBRARY_PATH', None)   # QEMU finds /usr/lib/x86_64-linux-gnu/libspice-server.so.1
        return env
    lib = our_lib_path()
    if not os.path.exists(lib):
        raise TestFailure('our library %s is missing: build it first (ninja -C %s)' % (lib, harness.BUILD_DIR))
    env['LD_LIBRARY_PATH'] = lib_dir('ours')
    if lib_uses_asan(lib):
        # Our library is built with ASan+UBSan, QEMU is not. The ASan runtime must be the first
        # library in the process (it interposes malloc), so it is preloaded, with UBSan's runtime;
        # otherwise ld.so loads libasan only when ui-spice-core.so is dlopened and ASan aborts with
        # "ASan runtime does not come first in initial library list". detect_leaks=0: QEMU leaks
        # at exit by design and LeakSanitizer would blame them on us. Errors in our code still abort.
        preload = [_gcc_runtime('libasan.so'), _gcc_runtime('libubsan.so')]
        check(all(preload), 'our library uses ASan but gcc -print-file-name finds no libasan.so/libubsan.so')
        env['LD_PRELOAD'] = ':'.join(preload)
        env['ASAN_OPTIONS'] = 'detect_leaks=0:abort_on_error=1:halt_on_error=1'
        env['UBSAN_OPTIONS'] = 'print_stacktrace=1:halt_on_error=1'
    return env


# ---------------------------------------------------------------------------------------------
# Ports

_next_port = [PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)]


def free_port():
    """A port of 5970-5989 nobody listens on (rotating, so one in TIME_WAIT gets a rest)."""
    count = PORT_LAST - PORT_FIRST + 1
    for _ in range(count):
        port = _next_port[0]
        _next_port[0] = PORT_FIRST + (port + 1 - PORT_FIRST) % count
        if harness.port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d (is a stale QEMU running?)' % (PORT_FIRST, PORT_LAST))


# ---------------------------------------------------------------------------------------------
# QMP

class Qmp:
    """A minimal synchronous QMP client on a unix socket (events are kept, not acted on)."""

    def __init__(self, path, timeout=20):
        self.timeout = timeout
        self.pump = None    # a function(seconds) run while waiting, e.g. SpiceTestClient.iterate
        # The socket file appears at bind(), before listen(): refusals are retried for a while.
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(timeout)
            try:
                self.sock.connect(path)
                break
            except (ConnectionRefusedError, FileNotFoundError) as e:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise TestFailure('QMP socket %s: %s' % (path, e))
                time.sleep(0.05)
        self.buf = b''
        self.events = []
        greeting = self._read()
        check('QMP' in greeting, 'QMP greeting expected, got %r' % greeting)
        self.execute('qmp_capabilities')

    def _read(self):
        deadline = time.monotonic() + self.timeout
        while b'\n' not in self.buf:
            if self.pump is not None:
                # A spice-gtk client in this thread must keep reading while QEMU works: upstream's
                # library blocks some QXL calls (reset, destroy surfaces) until the client drained
                # its pipe, which would stall this call until its timeout.
                ready, _, _ = select.select([self.sock], [], [], 0)
                if not ready:
                    if time.monotonic() > deadline:
                        raise TestFailure('QMP: no answer within %d s' % self.timeout)
                    self.pump(0.01)
                    continue
            data = self.sock.recv(65536)
            if not data:
                raise TestFailure('QEMU closed its QMP socket')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line.decode('utf-8', 'replace'))

    def execute(self, command, **arguments):
        msg = {'execute': command}
        if arguments:
            msg['arguments'] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            reply = self._read()
            if 'event' in reply:
                self.events.append(reply)
                continue
            if 'error' in reply:
                raise TestFailure('QMP %s failed: %s' % (command, reply['error']))
            return reply.get('return')

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# QEMU

def base_args(vga):
    """A diskless PC that shows SeaBIOS's text screen; no guest needed."""
    return ['-machine', 'pc,accel=tcg', '-m', '256', '-nodefaults', '-no-user-config',
            '-vga', vga, '-display', 'none']


class Qemu:
    """qemu-system-x86_64 with -spice on a port of ours and QMP on a unix socket."""

    def __init__(self, lib, vga='qxl', extra_args=(), port=None, ready_timeout=30,
                 spice_opts='disable-ticketing=on'):
        self.lib = lib
        self.qmp = None
        check(os.access(QEMU_BIN, os.X_OK), '%s is missing (apt-get install qemu-system-x86)' % QEMU_BIN)
        env = qemu_env(lib)
        # Another build's run of these tests may take a port between our check and QEMU's bind:
        # QEMU then exits with "Address already in use" and we try the next port.
        for attempt in range(5):
            self.port = port or free_port()
            self.tmp = tempfile.mkdtemp(prefix='qemu-', dir=artifact_dir())
            self.qmp_path = os.path.join(self.tmp, 'qmp.sock')
            argv = [QEMU_BIN] + base_args(vga) + [
                '-spice', 'port=%d,addr=127.0.0.1,%s' % (self.port, spice_opts),
                '-qmp', 'unix:%s,server=on,wait=off' % self.qmp_path] + list(extra_args)
            log('start QEMU (%s library): %s%s' % (lib, 'LD_LIBRARY_PATH=%s ' % env['LD_LIBRARY_PATH']
                                                  if 'LD_LIBRARY_PATH' in env else '', ' '.join(argv)))
            self.proc = harness.Proc('qemu-%s' % lib, argv, env=env)
            deadline = time.monotonic() + ready_timeout
            while time.monotonic() < deadline and self.alive() and not os.path.exists(self.qmp_path):
                time.sleep(0.05)
            if self.alive():
                try:
                    # QEMU answers QMP only from its main loop, after spice_server_init: a live
                    # QEMU that answers has bound its spice port (it exits when it cannot).
                    self.qmp = Qmp(self.qmp_path, timeout=max(1, deadline - time.monotonic()))
                except (TestFailure, OSError) as e:
                    log('QMP: %s' % e)
                    self.qmp = None
            if self.qmp is not None and self.alive():
                break
            err = self.proc.stderr_text()
            self.stop()
            if port is None and 'Address already in use' in err:
                log('port %d was taken meanwhile; trying another' % self.port)
                continue
            raise TestFailure('QEMU (%s library) %s within %d s; stderr:\n%s'
                              % (lib, 'exited (status %s)' % self.proc.popen.returncode
                                 if self.proc.popen.returncode is not None else 'did not answer QMP',
                                 ready_timeout, err[-4000:]))
        else:
            raise TestFailure('QEMU found no free spice port in 5 attempts')
        check(harness.wait_port_open(self.port, 5), 'QEMU answers QMP but its spice port %d is closed'
              % self.port)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.alive()

    def stderr_text(self):
        return self.proc.stderr_text()

    def load_failures(self):
        """Lines of QEMU's stderr saying it could not use the spice library."""
        return [l for l in self.stderr_text().splitlines() if any(m in l for m in QEMU_LOAD_FAILURES)]

    def mapped_spice_libs(self):
        """Paths of every libspice-server mapped into QEMU (from /proc/PID/maps)."""
        found = set()
        with open('/proc/%d/maps' % self.pid) as f:
            for line in f:
                parts = line.split(None, 5)
                if len(parts) == 6 and 'libspice-server' in parts[5]:
                    found.add(parts[5].strip())
        return sorted(found)

    def sanitizer_report(self):
        err = self.stderr_text()
        if not any(marker in err for marker in harness.SANITIZER_MARKERS):
            return None
        for _ in range(40):   # the sanitizer may still be writing
            time.sleep(0.1)
            again = self.stderr_text()
            if again == err and (not self.alive() or 'SUMMARY:' in err):
                break
            err = again
        at = min(err.index(m) for m in harness.SANITIZER_MARKERS if m in err)
        return err[max(0, at - 200):at + 6000]

    def check_healthy(self):
        """Fails if QEMU died, a sanitizer reported, or QEMU complained about the library."""
        report = self.sanitizer_report()
        check(report is None, 'sanitizer report from QEMU on the %s library:\n%s' % (self.lib, report))
        check(self.alive(), 'QEMU (%s library) exited (status %s); stderr tail:\n%s'
              % (self.lib, self.proc.popen.returncode, self.stderr_text()[-3000:]))
        bad = self.load_failures()
        check(not bad, 'QEMU (%s library) complained about the spice library: %s' % (self.lib, bad))

    def screendump(self, name):
        """QEMU's own picture of the screen (QMP screendump, PPM) as (width, height, RGB)."""
        path = os.path.join(self.tmp, name)
        self.qmp.execute('screendump', filename=path)
        return read_ppm(path)

    def stop(self):
        """Stops QEMU by its PID; returns (exit status, sanitizer report or None)."""
        if self.qmp is not None:
            try:
                self.qmp.execute('quit')
            except (TestFailure, OSError):
                pass
            self.qmp.close()
            self.qmp = None
            deadline = time.monotonic() + 10
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        status = self.proc.stop()
        return status, self.sanitizer_report()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        status, report = self.stop()
        if exc[0] is None:
            check(report is None, 'sanitizer report from QEMU on the %s library at exit:\n%s'
                  % (self.lib, report))
            # QEMU exits 0 after QMP quit; a crash in our library at exit shows here.
            check(status == 0, 'QEMU (%s library) exited with status %s after QMP quit; stderr tail:\n%s'
                  % (self.lib, status, self.stderr_text()[-3000:]))
            self.proc.remove_logs()   # kept only when something went wrong
        return False


# ---------------------------------------------------------------------------------------------
# Pictures

def read_ppm(path):
    """(width, height, RGB bytes) of a binary PPM (P6, maxval 255) as QEMU writes it."""
    with open(path, 'rb') as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while end < len(data) and not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1   # the single whitespace byte after maxval
    check(fields[0] == b'P6' and fields[3] == b'255', '%s is not a P6/255 PPM: %r' % (path, fields))
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos:pos + width * height * 3]
    check(len(pixels) == width * height * 3, '%s: %d pixel bytes, expected %d'
          % (path, len(pixels), width * height * 3))
    return width, height, pixels


def save_png(path, width, height, rgb):
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf, GLib
    pb = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(rgb), GdkPixbuf.Colorspace.RGB, False,
                                         8, width, height, width * 3)
    pb.savev(path, 'png', [], [])
    return path


def count_colors(rgb):
    return len({rgb[i:i + 3] for i in range(0, len(rgb), 3)})


def diff_pictures(expected, actual):
    """None when equal, else a sentence: sizes, or the first differing pixel and the count."""
    (ew, eh, erg), (aw, ah, arg) = expected, actual
    if (ew, eh) != (aw, ah):
        return 'size differs: spice-gtk %dx%d, QEMU %dx%d' % (aw, ah, ew, eh)
    if erg == arg:
        return None
    diffs = 0
    first = None
    box = [ew, eh, -1, -1]
    for i in range(0, len(erg), 3):
        if erg[i:i + 3] != arg[i:i + 3]:
            diffs += 1
            p = i // 3
            x, y = p % ew, p // ew
            if first is None:
                first = (x, y, arg[i:i + 3].hex(), erg[i:i + 3].hex())
            box = [min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y)]
    return ('%d of %d pixels differ, first at (%d,%d): spice-gtk #%s, QEMU #%s; differences within '
            '(%d,%d)-(%d,%d)' % ((diffs, ew * eh) + first + tuple(box)))


def lit_pixels(rgb, width=None, rows=None):
    """Number of non-black pixels, in rows [rows[0], rows[1]) when given (needs @width)."""
    if rows is not None:
        rgb = rgb[rows[0] * width * 3:rows[1] * width * 3]
    return sum(1 for i in range(0, len(rgb), 3) if rgb[i:i + 3] != b'\0\0\0')


def spice_client(qemu, **kwargs):
    """A spice-gtk client of @qemu (not yet connected), kept reading while QMP calls wait."""
    from spiceclient import SpiceTestClient
    client = SpiceTestClient(port=qemu.port, timeout=30, **kwargs)
    qemu.qmp.pump = client.iterate
    return client


def compare_stopped(qemu, client, label, stem, min_lit):
    """Stops the VM, then requires spice-gtk's primary surface to equal QMP screendump.

    The VM runs again afterwards. On a difference both pictures are saved as
    <artifact_dir>/<stem>-qemu.png and -spicegtk.png and the failure names them.
    """
    qemu.qmp.execute('stop')
    try:
        expected = qemu.screendump('%s.ppm' % label)
        check(lit_pixels(expected[2]) >= min_lit, '%s: QEMU screendump shows no BIOS text (%d lit pixels)'
              % (label, lit_pixels(expected[2])))
        deadline = time.monotonic() + CONVERGE_SECONDS
        got = None
        problem = 'no primary surface'
        while time.monotonic() < deadline:
            client.iterate(0.05)
            if client.primary is None or not client.marked:
                continue
            got = client.primary_rgb()
            problem = diff_pictures(expected, got)
            if problem is None:
                log('%s: spice-gtk equals QEMU screendump (%dx%d, %d lit pixels)'
                    % (label, expected[0], expected[1], lit_pixels(expected[2])))
                return
        out = artifact_dir()
        saved = [save_png(os.path.join(out, stem + '-qemu.png'), *expected)]
        if got is not None:
            saved.append(save_png(os.path.join(out, stem + '-spicegtk.png'), *got))
        raise TestFailure('%s (%s library): after %.0f s %s; pictures: %s'
                          % (label, qemu.lib, CONVERGE_SECONDS, problem, ' '.join(saved)))
    finally:
        if qemu.alive():
            qemu.qmp.execute('cont')
