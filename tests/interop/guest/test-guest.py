#!/usr/bin/python3
"""test-guest: a real Linux guest with the QXL DRM driver, under Debian's QEMU, through the library.

    test-guest.py --case boot-console|fbdraw|reboot --lib ours|upstream

The guest (build-guest.py: Debian's kernel, a busybox initramfs, qxl.ko and its dependencies)
boots under TCG to a shell on the QXL framebuffer console; milestones and command output reach
the test through the serial port (QEMU -serial file:LOG). Keys are typed through spice-gtk's
inputs channel, paced 40 ms (QEMU's PS/2 queue drops bursts). Every picture comparison stops
the VM first (QMP stop), then requires spice-gtk's primary surface to equal QMP screendump pixel
for pixel (Guest.compare_stopped says why a screendump of the running VM comes first). The
guest's fbcon cursor does not blink, so an idle console stands still. Cases:
  boot-console  a client from power-on follows SeaBIOS, the switch to the QXL driver and the
                console; a typed `echo` runs (its output reaches the serial port and adds two
                text rows on screen) and the client equals screendump; so it does after 400
                lines of output scrolled the console
  fbdraw        a late client; the guest's /bin/fbdraw fills a rectangle of /dev/fb0 and the
                client shows the exact pattern at the right place, equal to screendump; then
                50 frames at 25 fps in another rectangle: the last one, exactly; then the client
                leaves during an animation and a new one shows its last frame exactly; then
                /bin/drmcursor's 64x64 cursor (DRM cursor plane) reaches the cursor channel exactly
  reboot        `reboot -f` in the guest resets the QXL device (surfaces destroyed, memslots
                reset, a new primary) and boots again; the same client, still connected, shows
                the new console; then QMP system_reset while fbdraw animates: the same, and a
                command typed afterwards runs and shows
Ports 6080-6099 on 127.0.0.1. On a difference both pictures are saved as PNG under
<build>/tests/interop/guest-work/, with the serial log.
"""
import ctypes
import importlib.util
import os
import random
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..'))
import qemuvm  # noqa: E402
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402
from gi.repository import GObject  # noqa: E402  (spiceclient required the versions)

LIB = harness.lib_choice_from_argv(sys.argv)
CASE = sys.argv[sys.argv.index('--case') + 1] if '--case' in sys.argv else 'boot-console'
PORT_FIRST, PORT_LAST = 6080, 6099
KERNEL_CMDLINE = 'console=ttyS0 console=tty1 loglevel=3 consoleblank=0'
BOOT_TIMEOUT = 90          # seconds to GUEST-READY; about 8 s alone, more on a busy machine
KEY_PACE = 0.04            # between key events: QEMU's PS/2 queue drops bursts
CONVERGE_SECONDS = 5.0     # for the client to equal screendump once the VM is stopped
# Kernel messages (error level or worse) that mean the guest's driver or kernel is unhappy.
KERNEL_ERRORS = ('*ERROR*', 'BUG:', 'Oops', 'general protection', 'Kernel panic',
                 'timed out', 'hung_task')
# What QEMU's qxl device prints when the library misbehaves (hw/display/qxl.c): a release or an
# async completion while the VM is stopped, a cookie it does not expect, a full release ring.
QEMU_COMPLAINTS = ('spice-server bug', 'guest bug', 'qxl: ', 'no flush, full release ring', 'unexpected')
FONT_HEIGHT = 16           # fbcon's 8x16 font on the 1024x768 QXL console
# Where fbdraw draws (its defaults, away from the console's text), and where its animation runs.
FB_RECT = (640, 256, 256, 128)
FB_ANIM_RECT = (128, 512, 320, 96)
FB_ANIM_FRAMES = 50
FB_RECONNECT_FRAMES = 125
# drmcursor.c: a 64x64 shape with hot spot (3,5), placed with its top-left corner at CURSOR_POS;
# QXL and spice-gtk report the hot spot's position.
CURSOR_SIZE = 64
CURSOR_HOT = (3, 5)
CURSOR_POS = (300, 200)
CURSOR_AT = (CURSOR_POS[0] + CURSOR_HOT[0], CURSOR_POS[1] + CURSOR_HOT[1])


def load_builder():
    spec = importlib.util.spec_from_file_location('build_guest', os.path.join(HERE, 'build-guest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def work_dir():
    path = os.path.join(harness.BUILD_DIR, 'tests', 'interop', 'guest-work')
    os.makedirs(path, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------------
# Typing: US layout, set-1 scancodes

_UNSHIFTED = {}
_SHIFTED = {}
for _row, _codes in (('1234567890-=', range(0x02, 0x0e)), ('qwertyuiop[]', range(0x10, 0x1c)),
                     ("asdfghjkl;'`", range(0x1e, 0x2a)), ('\\zxcvbnm,./', range(0x2b, 0x36))):
    for _ch, _code in zip(_row, _codes):
        _UNSHIFTED[_ch] = _code
for _row, _base in (('!@#$%^&*()_+', '1234567890-='), ('{}', '[]'), (':"~', ";'`"), ('|<>?', '\\,./')):
    for _ch, _b in zip(_row, _base):
        _SHIFTED[_ch] = _UNSHIFTED[_b]
_UNSHIFTED[' '] = 0x39
_UNSHIFTED['\n'] = 0x1c
SHIFT = 0x2a


def type_text(client, text):
    """Types @text through spice-gtk's inputs channel, one event every KEY_PACE seconds."""
    for ch in text:
        if ch in _UNSHIFTED:
            client.send_keys([_UNSHIFTED[ch]], pace=KEY_PACE)
        elif ch in _SHIFTED or ch.isupper():
            code = _SHIFTED[ch] if ch in _SHIFTED else _UNSHIFTED[ch.lower()]
            client.key_press(SHIFT)
            client.iterate(KEY_PACE)
            client.send_keys([code], pace=KEY_PACE)
            client.key_release(SHIFT)
            client.iterate(KEY_PACE)
        else:
            raise ValueError('cannot type %r' % ch)


# ---------------------------------------------------------------------------------------------
# The guest under QEMU

def free_port():
    start = PORT_FIRST + random.randrange(PORT_LAST - PORT_FIRST + 1)
    for i in range(PORT_LAST - PORT_FIRST + 1):
        port = PORT_FIRST + (start - PORT_FIRST + i) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d (is a stale QEMU running?)' % (PORT_FIRST, PORT_LAST))


class Guest:
    """QEMU (pc, TCG, 2 vCPUs, -vga qxl) booting the test guest; the serial port goes to a file."""

    def __init__(self, lib):
        builder = load_builder()
        try:
            meta = builder.ensure_guest()
        except builder.BuildError as e:
            raise TestFailure('building the guest (tests/interop/guest/build-guest.py): %s' % e)
        self.lib = lib
        self.client = None
        self.dir = tempfile.mkdtemp(prefix='guest-%s-' % lib, dir=work_dir())
        self.serial_path = os.path.join(self.dir, 'serial.log')
        extra = ['-smp', '2', '-kernel', meta['kernel'], '-initrd', meta['initrd'],
                 '-append', KERNEL_CMDLINE, '-serial', 'file:%s' % self.serial_path]
        # By hand: more QEMU arguments, e.g. '-trace qxl_create_guest_primary -trace qxl_io_write'.
        extra += shlex.split(os.environ.get('SPICE_SUITE_GUEST_QEMU_ARGS', ''))
        self.qemu = None
        for attempt in range(5):
            try:
                self.started = time.monotonic()
                self.qemu = qemuvm.Qemu(lib, vga='qxl', extra_args=extra, port=free_port())
                break
            except TestFailure as e:
                if 'Address already in use' not in str(e):
                    raise
                log('port taken meanwhile; trying another')
        check(self.qemu is not None, 'QEMU found no free spice port in 5 attempts')
        self.port = self.qemu.port

    # -- serial log --------------------------------------------------------------------------
    def serial_lines(self):
        try:
            with open(self.serial_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace').replace('\r', '').split('\n')
        except OSError:
            return []

    def wait_serial(self, predicate, what, timeout, start=0):
        """Waits for a serial line from index @start matching @predicate; returns (index, line).

        A connected client keeps reading meanwhile (its channels must not stall the server)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.serial_lines()
            # The last element is an unfinished line (or '' after the final newline).
            for i in range(start, max(start, len(lines) - 1)):
                if predicate(lines[i]):
                    return i, lines[i]
            bad = [l for l in lines if l.startswith(('GUEST-MODULE-FAILED', 'GUEST-NO-FB0'))]
            check(not bad, 'the guest failed to start its console: %s; serial log %s'
                  % (bad, self.serial_path))
            self.qemu.check_healthy()
            if time.monotonic() > deadline:
                raise TestFailure('%s: not seen on the serial port within %d s; serial log %s, last '
                                  'lines: %s' % (what, timeout, self.serial_path, lines[-8:]))
            self.pump(0.1)

    def serial_count(self, prefix):
        return sum(1 for l in self.serial_lines() if l.startswith(prefix))

    def wait_ready(self, nth=1):
        """Waits for the @nth GUEST-READY line (one per boot) and the shell that follows it.

        Returns the seconds from QEMU's start to that GUEST-READY."""
        start = 0
        for _ in range(nth):
            start, line = self.wait_serial(lambda l: l.startswith('GUEST-READY'), 'GUEST-READY #%d' % nth,
                                           BOOT_TIMEOUT, start=start)
            start += 1
        check('1024x768' in line, 'the guest console is not 1024x768: %r' % line)
        took = time.monotonic() - self.started
        self.wait_serial(lambda l: l.startswith('GUEST-SHELL'), 'GUEST-SHELL after boot #%d' % nth, 30,
                         start=start)
        return took

    # -- client --------------------------------------------------------------------------------
    def pump(self, seconds):
        if self.client is not None:
            self.client.iterate(seconds)
        else:
            time.sleep(seconds)

    def close_client(self):
        self.qemu.qmp.pump = None
        self.client.close()
        self.client = None

    def connect_client(self):
        self.client = SpiceTestClient(port=self.port, timeout=30).connect()
        # QMP calls wait while the client keeps reading (see qemuvm.Qmp).
        self.qemu.qmp.pump = self.client.iterate
        return self.client

    def run_command(self, command, expect, timeout=30):
        """Types @command + Enter; waits for a serial line equal to @expect; returns its index."""
        start = len(self.serial_lines())
        type_text(self.client, command + '\n')
        return self.wait_serial(lambda l: l.strip() == expect, 'output %r of %r' % (expect, command),
                                timeout, start=max(0, start - 1))[0]

    # -- pictures ------------------------------------------------------------------------------
    def compare_stopped(self, label):
        """Stops the VM; requires the client's primary to equal QMP screendump; returns the picture.

        In QXL native mode QEMU's screendump of a *stopped* VM only copies the rectangles that
        earlier update_area_complete calls reported (qxl_render_update_area_unlocked), so it can
        be stale. A screendump of the running VM asks the library for update_area of the whole
        primary first: that one is taken, then the VM is stopped and a second screendump must
        equal it (else the guest was still drawing: try again), and the client must equal both.
        """
        for attempt in range(3):
            running = self.qemu.screendump('%s-running.ppm' % label)
            self.qemu.qmp.execute('stop')
            stopped = self.qemu.screendump('%s.ppm' % label)
            if running == stopped:
                break
            log('%s: the guest still drew between two screendumps; again' % label)
            self.qemu.qmp.execute('cont')
            self.client.iterate(1.0)
        else:
            self.qemu.qmp.execute('cont')
            raise TestFailure('%s: the guest screen never stood still for two screendumps' % label)
        try:
            expected = stopped
            deadline = time.monotonic() + CONVERGE_SECONDS
            got = None
            problem = 'no primary surface'
            while time.monotonic() < deadline:
                self.client.iterate(0.05)
                if self.client.primary is None or not self.client.marked:
                    continue
                got = self.client.primary_rgb()
                problem = qemuvm.diff_pictures(expected, got)
                if problem is None:
                    log('%s: spice-gtk equals QEMU screendump (%dx%d)' % (label, expected[0], expected[1]))
                    return expected
            saved = self.save_pictures(label, expected, got)
            raise TestFailure('%s (%s library): after %.0f s %s; pictures: %s; serial log %s'
                              % (label, self.lib, CONVERGE_SECONDS, problem, ' '.join(saved),
                                 self.serial_path))
        finally:
            if self.qemu.alive():
                self.qemu.qmp.execute('cont')

    def save_pictures(self, label, expected, got):
        stem = os.path.join(self.dir, 'guest-%s-%s' % (self.lib, label))
        saved = [qemuvm.save_png(stem + '-qemu.png', *expected)]
        if got is not None:
            saved.append(qemuvm.save_png(stem + '-spicegtk.png', *got))
        return saved

    def stop(self, passed):
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.qemu is not None:
            self.qemu.__exit__(None if passed else TestFailure, None, None)
            self.qemu = None
        if passed:
            shutil.rmtree(self.dir, ignore_errors=True)


def run_guest(body):
    """Boots a guest on LIB, runs body(guest), stops QEMU (checking its exit) in every case."""
    guest = Guest(LIB)
    passed = False
    try:
        body(guest)
        guest.qemu.check_healthy()
        # loglevel=3: the kernel prints its errors (DRM_ERROR from the qxl driver among them) on
        # the serial port too; a library that confuses the driver shows here.
        errors = [l for l in guest.serial_lines() if any(m in l for m in KERNEL_ERRORS)]
        check(not errors, 'the guest kernel reported errors: %s; serial log %s'
              % (errors[:10], guest.serial_path))
        stderr = guest.qemu.stderr_text().splitlines()
        complaints = [l for l in stderr if any(m in l for m in QEMU_COMPLAINTS)]
        check(not complaints, 'QEMU complained about the %s library: %s' % (LIB, complaints[:10]))
        # For the log: what the library said (ASan's notes about QEMU's coroutines left out).
        said = [l for l in stderr if 'qemu-system' in l]
        if said:
            log('QEMU stderr (%d lines from QEMU or the library), first ones:\n  %s'
                % (len(said), '\n  '.join(said[:15])))
        passed = True
    finally:
        guest.stop(passed)


# ---------------------------------------------------------------------------------------------
# Pictures of the console

def lit_text_rows(picture):
    """Indexes of the console's 16-pixel text rows holding any non-black pixel."""
    width, height, rgb = picture
    rows = []
    row_bytes = width * 3 * FONT_HEIGHT
    blank = bytes(row_bytes)
    for r in range(height // FONT_HEIGHT):
        if rgb[r * row_bytes:(r + 1) * row_bytes] != blank:
            rows.append(r)
    return rows


def fbdraw_rgb(w, h, frame=0):
    """Frame @frame of fbdraw.c's pattern, as packed RGB rows of @w x @h."""
    out = bytearray(w * h * 3)
    for j in range(h):
        for i in range(w):
            o = (j * w + i) * 3
            out[o] = (i + frame) & 0xff
            out[o + 1] = (2 * j) & 0xff
            out[o + 2] = 0xe0 if ((i // 16) + (j // 16)) & 1 else 0x20
    return bytes(out)


def crop(picture, x, y, w, h):
    width, _, rgb = picture
    return b''.join(rgb[((y + j) * width + x) * 3:((y + j) * width + x + w) * 3] for j in range(h))


def echo_and_check(guest, label):
    """Types an echo whose output differs from its text; checks serial, screen rows, screendump."""
    before = lit_text_rows(guest.compare_stopped(label + '-before'))
    n = random.randrange(1000, 9000)
    guest.run_command('echo hello-$((%d+%d)) | tee /dev/ttyS0' % (n, 1000), 'hello-%d' % (n + 1000))
    guest.client.iterate(0.5)
    after = lit_text_rows(guest.compare_stopped(label + '-after'))
    # The command line, its output and a new prompt: two more text rows than the lone prompt.
    check(len(after) == len(before) + 2 and after[:len(before)] == before,
          '%s: text rows with pixels before the command %s, after %s: expected two new rows '
          '(the output and the next prompt)' % (label, before, after))
    log('%s: the echo output reached the serial port and the screen (text rows %s -> %s)'
        % (label, before[-1:], after[-2:]))


# ---------------------------------------------------------------------------------------------
# Cases

def case_boot_console():
    def body(guest):
        client = guest.connect_client()
        client.wait_primary(quiet=0.4, settle_max=1.0)
        took = guest.wait_ready()
        log('boot: GUEST-READY %.1f s after QEMU started (%s library)' % (took, LIB))
        client.wait_channel_open('inputs')
        # The console prints its banner and prompt after GUEST-READY.
        client.iterate(1.5)
        check(client.primary is not None and client.primary[1:3] == (1024, 768),
              'the client shows %r, expected the 1024x768 QXL console' % (client.primary,))
        echo_and_check(guest, 'boot-console')
        # 400 lines: the console scrolls (fbcon redraws the whole screen, many times over).
        guest.run_command('seq 1 400; echo seq-$((400+1)) > /dev/ttyS0', 'seq-401', timeout=60)
        client.iterate(0.5)
        rows = lit_text_rows(guest.compare_stopped('boot-console-scrolled'))
        check(len(rows) >= 768 // FONT_HEIGHT - 1, 'after 400 lines of output only text rows %s have pixels'
              % rows)
    run_guest(body)


def fbdraw_command(rect, frames):
    return 'fbdraw %d %d %d %d %d' % (rect + (frames,)), 'FBDRAW-DONE %d %d %d %d %d' % (rect + (frames,))


def check_fbdraw_frame(guest, rect, frame, label):
    """Requires frame @frame of the pattern exactly at @rect, in the client, then in screendump."""
    x, y, w, h = rect
    client = guest.client
    expected = fbdraw_rgb(w, h, frame)
    deadline = time.monotonic() + 10
    while True:
        client.iterate(0.1)
        got = crop(client.primary_rgb(), x, y, w, h)
        if got == expected:
            break
        if time.monotonic() > deadline:
            shot = client.primary_rgb()
            saved = guest.save_pictures(label, (w, h, expected), (w, h, got))
            saved.append(qemuvm.save_png(os.path.join(guest.dir, label + '-whole-spicegtk.png'), *shot))
            harness.compare_rgb(expected, got, w, '%s: fbdraw frame %d of %dx%d at %d,%d in the client '
                                '(pictures %s)' % (label, frame, w, h, x, y, ' '.join(saved)))
    log('%s: the client shows frame %d of the %dx%d pattern at %d,%d exactly' % (label, frame, w, h, x, y))
    picture = guest.compare_stopped(label)
    check(crop(picture, x, y, w, h) == expected, '%s: QEMU screendump lacks frame %d of the fbdraw '
          'pattern' % (label, frame))


def cursor_bytes():
    """drmcursor.c's 64x64 shape as spice-gtk's cursor-set hands it over: bytes R,G,B,A."""
    out = bytearray(CURSOR_SIZE * CURSOR_SIZE * 4)
    for j in range(CURSOR_SIZE):
        for i in range(CURSOR_SIZE):
            o = (j * CURSOR_SIZE + i) * 4
            out[o:o + 4] = bytes(((4 * i) & 0xff, (4 * j) & 0xff, 0x80, 0xff))
    return bytes(out)


def check_drm_cursor(guest):
    """The guest's DRM cursor plane (QXL cursor SET + MOVE) reaches spice-gtk's cursor channel."""
    client = guest.client
    channel = client.channels.get('cursor')
    check(channel is not None, 'the client has no cursor channel')
    shapes, moves = [], []
    # The 'cursor' property's SpiceCursorShape has wrong GI field offsets in spice-gtk 0.42 (as
    # SpiceDisplayPrimary, see spiceclient.py): the 'cursor-set' signal gives the same values
    # plainly. Its pixel pointer is valid during the signal only: copied there.
    GObject.Object.connect(channel, 'cursor-set', lambda ch, w, h, hx, hy, rgba: shapes.append(
        (w, h, hx, hy, ctypes.string_at(rgba, w * h * 4) if rgba and 0 < w <= 512 and 0 < h <= 512 else b'')))
    GObject.Object.connect(channel, 'cursor-move', lambda ch, x, y: moves.append((x, y)))
    guest.run_command('drmcursor %d %d &' % CURSOR_POS, 'DRMCURSOR-DONE %d %d' % CURSOR_POS)
    client.run_until(lambda: any(s[0] == CURSOR_SIZE for s in shapes) and moves, 10,
                     'a %dx%d cursor shape and a cursor move' % (CURSOR_SIZE, CURSOR_SIZE))
    client.iterate(0.5)
    width, height, hot_x, hot_y, got = [s for s in shapes if s[0] == CURSOR_SIZE][-1]
    log('cursor: %dx%d, hot spot (%d,%d), moves %s' % (width, height, hot_x, hot_y, moves))
    check((width, height, hot_x, hot_y) == (CURSOR_SIZE, CURSOR_SIZE) + CURSOR_HOT,
          'cursor shape %dx%d hot spot (%d,%d), expected %dx%d (%d,%d)'
          % ((width, height, hot_x, hot_y, CURSOR_SIZE, CURSOR_SIZE) + CURSOR_HOT))
    expected = cursor_bytes()
    check(len(got) == len(expected), 'cursor shape: %d bytes, expected %d' % (len(got), len(expected)))
    if got != expected:
        at = next(i for i in range(len(got)) if got[i] != expected[i]) // 4
        raise TestFailure('cursor shape differs first at (%d,%d): got RGBA %s, expected %s'
                          % (at % CURSOR_SIZE, at // CURSOR_SIZE, got[at * 4:at * 4 + 4].hex(),
                             expected[at * 4:at * 4 + 4].hex()))
    check(moves[-1] == CURSOR_AT, 'the cursor moved to %s, expected %s' % (moves[-1], CURSOR_AT))


def case_fbdraw():
    def body(guest):
        took = guest.wait_ready()
        log('boot: GUEST-READY %.1f s after QEMU started (%s library)' % (took, LIB))
        time.sleep(1.5)
        client = guest.connect_client()
        client.wait_primary(quiet=0.4, settle_max=1.0)
        client.wait_channel_open('inputs')
        guest.compare_stopped('fbdraw-late-client')
        guest.run_command(*fbdraw_command(FB_RECT, 1))
        check_fbdraw_frame(guest, FB_RECT, 0, 'fbdraw-1-frame')
        # 2 s of a region redrawn at 25 fps: the last frame must arrive exactly.
        guest.run_command(*fbdraw_command(FB_ANIM_RECT, FB_ANIM_FRAMES))
        check_fbdraw_frame(guest, FB_ANIM_RECT, FB_ANIM_FRAMES - 1, 'fbdraw-%d-frames' % FB_ANIM_FRAMES)
        # The first rectangle is still there, untouched.
        x, y, w, h = FB_RECT
        check(crop(guest.client.primary_rgb(), x, y, w, h) == fbdraw_rgb(w, h),
              'the first fbdraw rectangle changed in the client after the animation')
        # The client leaves while the guest draws at 25 fps and a new one comes: it must get the
        # whole picture and follow the rest of the animation.
        command, done = fbdraw_command(FB_ANIM_RECT, FB_RECONNECT_FRAMES)
        start = len(guest.serial_lines())
        type_text(guest.client, command + '\n')
        guest.client.iterate(1.5)
        guest.close_client()
        time.sleep(0.5)
        guest.connect_client().wait_primary(quiet=0.4, settle_max=1.0)
        guest.wait_serial(lambda l: l.strip() == done, done, 60, start=max(0, start - 1))
        check_fbdraw_frame(guest, FB_ANIM_RECT, FB_RECONNECT_FRAMES - 1, 'fbdraw-reconnect')
        check_drm_cursor(guest)
    run_guest(body)


def case_reboot():
    def body(guest):
        client = guest.connect_client()
        client.wait_primary(quiet=0.4, settle_max=1.0)
        took = guest.wait_ready()
        log('boot: GUEST-READY %.1f s after QEMU started (%s library)' % (took, LIB))
        client.wait_channel_open('inputs')
        client.iterate(1.5)
        guest.compare_stopped('reboot-first-boot')
        creates = client.primary_creates
        events = len(client.events)
        t0 = time.monotonic()
        type_text(client, 'reboot -f\n')
        guest.wait_ready(nth=2)
        log('reboot: GUEST-READY again %.1f s after the command' % (time.monotonic() - t0))
        client.iterate(1.5)
        later = [(k, e.value_nick) for k, e in client.events[events:]]
        check(not later, 'the client saw channel events during the reboot (it should stay connected): %s'
              % later)
        check(client.primary_creates > creates, 'the reboot (QXL reset) gave the client no new primary '
              'surface (%d creates before, %d after)' % (creates, client.primary_creates))
        check(client.primary is not None and client.primary[1:3] == (1024, 768),
              'after the reboot the client shows %r, expected the 1024x768 console' % (client.primary,))
        rows = lit_text_rows(guest.compare_stopped('reboot-second-boot'))
        check(len(rows) >= 3, 'after the reboot the console shows only text rows %s' % rows)
        # A reset in the middle of drawing: fbdraw animates in the background, QMP system_reset.
        type_text(client, fbdraw_command(FB_ANIM_RECT, 2000)[0] + ' &\n')
        invalidates = client.invalidates
        client.iterate(2.0)
        check(client.invalidates >= invalidates + 10, 'fbdraw in the background drew only %d updates '
              'in 2 s' % (client.invalidates - invalidates))
        creates = client.primary_creates
        events = len(client.events)
        guest.qemu.qmp.execute('system_reset')
        guest.wait_ready(nth=3)
        client.iterate(1.5)
        later = [(k, e.value_nick) for k, e in client.events[events:]]
        check(not later, 'the client saw channel events during system_reset: %s' % later)
        check(client.primary_creates > creates, 'system_reset gave the client no new primary surface')
        echo_and_check(guest, 'reboot-after-reset')
    run_guest(body)


CASES = {
    'boot-console': case_boot_console,
    'fbdraw': case_fbdraw,
    'reboot': case_reboot,
}

if __name__ == '__main__':
    check(CASE in CASES, '--case %s' % '|'.join(CASES))
    harness.run_cases([('guest %s, %s library' % (CASE, LIB), CASES[CASE])])
