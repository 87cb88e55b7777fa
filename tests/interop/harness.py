"""harness: paths, ports, the demo VM process and picture comparison shared by the interop tests.

Every process a test starts is owned by a Proc object, stopped by its PID (SIGTERM, then SIGKILL)
in a finally block or at interpreter exit, including when meson's timeout sends SIGTERM.
"""
import atexit
import collections
import fcntl
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.environ.get('SPICE_SUITE_SOURCE_DIR') or os.path.normpath(os.path.join(HERE, '..', '..'))
BUILD_DIR = os.environ.get('SPICE_SUITE_BUILD_DIR') or os.path.join(SOURCE_DIR, 'build')
DATA_DIR = os.path.join(SOURCE_DIR, 'tests', 'data')
UPSTREAM_LIB_DIR = '/usr/lib/x86_64-linux-gnu'
OUR_LIB_DIR = os.path.join(BUILD_DIR, 'server')


def port_range(first, last):
    """(first, last) ports a test may use: its own allocation, or SPICE_TEST_PORTS=FIRST-LAST
    (so several engineers can run the same tests at once on disjoint ranges)."""
    override = os.environ.get('SPICE_TEST_PORTS')
    if override:
        lo, _, hi = override.partition('-')
        return int(lo), int(hi)
    return first, last


# The ports this suite may use (the team's allocation for interop tests).
PORT_FIRST, PORT_LAST = port_range(5940, 5969)


class TestFailure(Exception):
    """An assertion about a peer's behaviour did not hold."""


def check(cond, message):
    if not cond:
        raise TestFailure(message)


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------------------------------------
# Process ownership

def log_dir():
    path = os.path.join(BUILD_DIR, 'tests', 'interop', 'logs')
    os.makedirs(path, exist_ok=True)
    return path


_live_procs = []


def _cleanup_all():
    for proc in list(_live_procs):
        proc.stop()


def _on_sigterm(signum, frame):
    # meson's timeout sends SIGTERM: unwind so every finally block stops its processes.
    raise SystemExit('interrupted by signal %d' % signum)


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _on_sigterm)


class Proc:
    """A child process whose stdout lines are collected by a reader thread; stderr to a file."""

    def __init__(self, name, argv, env=None, stdin=subprocess.DEVNULL, capture_stdout=True):
        self.name = name
        self.argv = argv
        self.lines = []
        self._cond = threading.Condition()
        # In the build tree, so a failed run leaves its logs where the test output points.
        self.stderr_file = tempfile.NamedTemporaryFile(prefix='%s-' % name, suffix='.err', delete=False,
                                                       dir=log_dir())
        self.popen = subprocess.Popen(argv, env=env, stdin=stdin,
                                      stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                                      stderr=self.stderr_file, start_new_session=True)
        self.pid = self.popen.pid
        _live_procs.append(self)
        self._reader = None
        if capture_stdout:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self):
        for raw in self.popen.stdout:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def alive(self):
        return self.popen.poll() is None

    def wait_line(self, predicate, timeout, start=0):
        """Returns (index, line) of the first line from @start on matching @predicate, or None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    if predicate(self.lines[i]):
                        return i, self.lines[i]
                start = max(start, len(self.lines))
                left = deadline - time.monotonic()
                if left <= 0 or (self.popen.poll() is not None and
                                 (self._reader is None or not self._reader.is_alive())):
                    return None
                self._cond.wait(min(left, 0.2))

    def lines_since(self, start):
        with self._cond:
            return list(self.lines[start:])

    def line_count(self):
        with self._cond:
            return len(self.lines)

    def stderr_text(self):
        try:
            with open(self.stderr_file.name, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def stop(self, timeout=10):
        """Stops the process by its PID (SIGTERM, then SIGKILL); returns its exit status."""
        if self in _live_procs:
            _live_procs.remove(self)
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(5)
        if self._reader is not None:
            self._reader.join(2)
        return self.popen.returncode

    def remove_logs(self):
        try:
            os.unlink(self.stderr_file.name)
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# Ports

# Tests run in parallel (meson test --num-processes), and a port or X display checked free is
# only taken later, when the server has started. So one checked free is also claimed: an flock
# on a file named after it, which other test processes see and the kernel drops when this
# process ends. Once its server listens, the bind check protects a port; so a process keeps only
# its last few port claims (enough for every server one case starts at once and restarts on the
# same port). Display claims are kept (a test starts few X servers).
CLAIM_DIR = os.path.join(tempfile.gettempdir(), 'spice-suite-claims')
PORT_CLAIMS_KEPT = 12
_claims = {'port': collections.OrderedDict(), 'display': collections.OrderedDict()}   # n -> fd


def claim(kind, number):
    """True if this process holds the claim on @kind ('port' or 'display') @number now, taking
    it if no other process has it."""
    held = _claims[kind]
    if number in held:
        held.move_to_end(number)
        return True
    os.makedirs(CLAIM_DIR, exist_ok=True)
    fd = os.open(os.path.join(CLAIM_DIR, '%s-%d.lock' % (kind, number)), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False
    held[number] = fd
    while kind == 'port' and len(held) > PORT_CLAIMS_KEPT:
        os.close(held.popitem(last=False)[1])
    return True


def port_is_free(port):
    """True if nobody listens on @port and no other test process claimed it; then it is ours."""
    if not claim('port', port):
        return False
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


_next_port = [PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)]


def free_port():
    """A port of our range nobody listens on (rotating, so a port in TIME_WAIT gets a rest)."""
    count = PORT_LAST - PORT_FIRST + 1
    for _ in range(count):
        port = _next_port[0]
        _next_port[0] = PORT_FIRST + (port + 1 - PORT_FIRST) % count
        if port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d (is a stale server running?)' % (PORT_FIRST, PORT_LAST))


def wait_port_open(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


# ---------------------------------------------------------------------------------------------
# The demo VM

def demo_path():
    return os.path.join(BUILD_DIR, 'tools', 'spice-demo-vm')


def lib_dir(which):
    if which == 'ours':
        return OUR_LIB_DIR
    if which == 'upstream':
        return UPSTREAM_LIB_DIR
    raise ValueError(which)


def lib_choice_from_argv(argv):
    """Reads --lib ours|upstream from the command line (default ours)."""
    if '--lib' in argv:
        return argv[argv.index('--lib') + 1]
    return 'ours'


SANITIZER_MARKERS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:',
                     'SUMMARY: UndefinedBehaviorSanitizer')


class Demo:
    """tools/spice-demo-vm on one of our ports, on our library or upstream's."""

    def __init__(self, lib, args, port=None, ready_timeout=20):
        self.lib = lib
        self.port = port or free_port()
        path = demo_path()
        if not os.access(path, os.X_OK):
            raise TestFailure('%s is missing: build it first (ninja -C %s tools/spice-demo-vm)'
                              % (path, BUILD_DIR))
        if lib == 'ours' and not os.path.exists(os.path.join(OUR_LIB_DIR, 'libspice-server.so.1')):
            raise TestFailure('our library %s/libspice-server.so.1 is missing' % OUR_LIB_DIR)
        env = dict(os.environ)
        env['LD_LIBRARY_PATH'] = lib_dir(lib)
        if lib == 'upstream':
            # Upstream's leaks at exit are not ours to judge.
            env['ASAN_OPTIONS'] = 'detect_leaks=0'
        args = list(args)
        if '--password' not in args and '--noauth' not in args:
            args.append('--noauth')   # the demo insists on a choice
        # QEMU's default (auto) sends photos as JPEG when the main channel's network test finds
        # the link slow, which a loaded test machine can make it do on localhost: pixel-exact
        # tests would then fail by chance. Tests of JPEG say --jpeg-wan-compression themselves.
        if not any(a.startswith('--jpeg-wan-compression') for a in args):
            args += ['--jpeg-wan-compression', 'never']
        argv = [path, '--port', str(self.port), '--addr', '127.0.0.1'] + args
        log('start demo (%s library): %s' % (lib, ' '.join(argv)))
        self.proc = Proc('demo-%s' % lib, argv, env=env)
        found = self.proc.wait_line(lambda l: 'listening on' in l, ready_timeout)
        if found is None:
            err = self.proc.stderr_text()
            self.stop()
            raise TestFailure('demo (%s library) did not print "listening on" within %d s; stdout=%r '
                              'stderr tail=%r' % (lib, ready_timeout, self.proc.lines[-10:], err[-2000:]))

    def alive(self):
        return self.proc.alive()

    def sanitizer_report(self):
        err = self.proc.stderr_text()
        if not any(marker in err for marker in SANITIZER_MARKERS):
            return None
        # The sanitizer may still be writing: wait until stderr stops growing (or the process ends).
        for _ in range(40):
            time.sleep(0.1)
            again = self.proc.stderr_text()
            if again == err and not self.alive():
                break
            if again == err and len(err) > 0 and 'SUMMARY:' in err:
                break
            err = again
        at = min(err.index(m) for m in SANITIZER_MARKERS if m in err)
        return err[max(0, at - 200):at + 6000]

    def check_healthy(self):
        """Fails if the demo died or a sanitizer reported anything."""
        report = self.sanitizer_report()
        check(report is None, 'sanitizer report from the demo (%s library; full log %s):\n%s'
              % (self.lib, self.proc.stderr_file.name, report))
        check(self.alive(), 'the demo (%s library) exited (status %s); stderr tail: %s'
              % (self.lib, self.proc.popen.returncode, self.proc.stderr_text()[-2000:]))

    def stop(self):
        status = self.proc.stop()
        report = self.sanitizer_report()
        if report is None:
            self.proc.remove_logs()
        return status, report

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        status, report = self.stop()
        if exc[0] is None and self.lib == 'ours' and report is not None:
            raise TestFailure('sanitizer report from the demo at exit:\n%s' % report)
        return False


# ---------------------------------------------------------------------------------------------
# Pictures

def load_rgb(path):
    """(width, height, packed RGB bytes) of an image file, decoded by GdkPixbuf."""
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf
    pb = GdkPixbuf.Pixbuf.new_from_file(path)
    w, h, n, stride = pb.get_width(), pb.get_height(), pb.get_n_channels(), pb.get_rowstride()
    data = pb.get_pixels()
    return w, h, pack_rgb(data, w, h, stride, n, (0, 1, 2))


def pack_rgb(data, width, height, stride, bpp, order):
    """Packs pixels of @bpp bytes whose R, G, B bytes sit at @order offsets into RGB bytes."""
    out = bytearray(width * height * 3)
    r, g, b = order
    if stride == width * bpp and len(data) >= stride * height:
        src = memoryview(data)[:stride * height]
        out[0::3] = src[r::bpp]
        out[1::3] = src[g::bpp]
        out[2::3] = src[b::bpp]
        return bytes(out)
    for y in range(height):
        row = memoryview(data)[y * stride:y * stride + width * bpp]
        o = y * width * 3
        out[o:o + width * 3:3] = row[r::bpp]
        out[o + 1:o + width * 3:3] = row[g::bpp]
        out[o + 2:o + width * 3:3] = row[b::bpp]
    return bytes(out)


def compare_rgb(expected, actual, width, what):
    """Fails with the first differing pixel and the count of differences."""
    if expected == actual:
        return
    check(len(expected) == len(actual), '%s: %d bytes of RGB, expected %d' % (what, len(actual), len(expected)))
    diffs = 0
    first = None
    for i in range(0, len(expected), 3):
        if expected[i:i + 3] != actual[i:i + 3]:
            diffs += 1
            if first is None:
                first = i // 3
    x, y = first % width, first // width
    raise TestFailure('%s: %d pixel(s) differ; first at (%d,%d): got #%s expected #%s'
                      % (what, diffs, x, y, actual[first * 3:first * 3 + 3].hex(),
                         expected[first * 3:first * 3 + 3].hex()))


def test_image(width, height):
    """Path of the pattern PNG for a size: the committed file, else one generated into the
    shared images_dir() (written under a temporary name, then renamed: parallel tests share it)."""
    gen = _load_generator()
    committed = os.path.join(DATA_DIR, gen.image_name(width, height))
    if os.path.exists(committed):
        return committed
    return gen.ensure_png(images_dir(), width, height)


def images_dir():
    """Generated pattern pictures, shared by every test of the build tree."""
    path = os.path.join(BUILD_DIR, 'tests', 'interop', 'images')
    os.makedirs(path, exist_ok=True)
    return path


_generator = []


def _load_generator():
    if not _generator:
        import importlib.util
        spec = importlib.util.spec_from_file_location('make_test_images',
                                                      os.path.join(DATA_DIR, 'make-test-images.py'))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _generator.append(mod)
    return _generator[0]


def test_name():
    """This test's name: its script and the arguments that are not paths (test-pixels--lib-ours,
    test-client-viewer-demo-image), which tell the tests meson registers apart."""
    parts = [os.path.splitext(os.path.basename(sys.argv[0]))[0]]
    parts += [arg for arg in sys.argv[1:] if os.sep not in arg]
    return re.sub(r'[^A-Za-z0-9_.+-]', '_', '-'.join(parts))


def work_dir():
    """This test's scratch directory in the build tree for generated pictures and screenshots:
    BUILD/tests/interop/work/<test_name()>, so tests running in parallel never write each
    other's files."""
    path = os.path.join(BUILD_DIR, 'tests', 'interop', 'work', test_name())
    os.makedirs(path, exist_ok=True)
    return path


def run_cases(cases):
    """Runs (name, function) cases, all of them, and exits non-zero if any failed."""
    failed = []
    for name, func in cases:
        log('=== %s' % name)
        t0 = time.monotonic()
        try:
            func()
            log('--- PASS %s (%.1f s)' % (name, time.monotonic() - t0))
        except TestFailure as e:
            failed.append(name)
            log('--- FAIL %s: %s' % (name, e))
        except Exception as e:  # a harness error is a failure too, with its trace
            import traceback
            traceback.print_exc()
            failed.append(name)
            log('--- FAIL %s: %s: %s' % (name, type(e).__name__, e))
    log('%d case(s), %d failed%s' % (len(cases), len(failed), (': ' + ', '.join(failed)) if failed else ''))
    sys.exit(1 if failed else 0)
