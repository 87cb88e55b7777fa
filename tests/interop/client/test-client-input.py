#!/usr/bin/python3
"""test-client-input: our client library's keys, mouse and cursor against real servers.

    test-client-input.py demo-ours|demo-upstream|qemu-guest

demo-*: tools/spice-demo-vm on our library or upstream's prints every input event it gets
(input-log.c). Our client (client-input-driver, a thin stdin driver of client/spice-client.h)
sends keys incl. E0-extended ones, Print Screen and Pause, which must arrive as exactly those
set-1 codes; relative motion in server mode (a burst beyond the MOTION_ACK window: the deltas
must sum exactly) and absolute positions in client mode (the mode the client asks for by
itself, as remote-viewer); buttons in the PS/2 order the host gets. The demo's cursor shape as
our client converts it must equal what spice-gtk's cursor channel hands out.

qemu-guest: Debian's QEMU 7.2 with upstream's library boots the real guest of ../guest;
`spice-viewer --headless --type` types a command that writes to the serial port: it must run,
and the viewer's screenshot taken after it must equal QMP screendump.

Ports 6300-6319 (SPICE_TEST_PORTS=FIRST-LAST overrides).
"""
import ctypes
import importlib.util
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

PORT_FIRST, PORT_LAST = harness.port_range(6300, 6319)
DRIVER = os.path.join(harness.BUILD_DIR, 'tests', 'interop', 'client', 'client-input-driver')
VIEWER = os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
# The host (PS/2) button order the server hands to the mouse and tablet interfaces.
HOST_LEFT, HOST_RIGHT, HOST_MIDDLE = 1, 2, 4
# SPICE_MOUSE_BUTTON_* and SPICE_MOUSE_BUTTON_MASK_* (spice/enums.h).
BUTTON_LEFT, BUTTON_MIDDLE, BUTTON_RIGHT = 1, 2, 3
MASK_LEFT, MASK_MIDDLE, MASK_RIGHT = 1, 2, 4


def pick_port():
    ports = list(range(PORT_FIRST, PORT_LAST + 1))
    random.shuffle(ports)
    for port in ports:
        if harness.port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


class Driver:
    """client-input-driver: one command line in, one answer line out."""

    def __init__(self, port):
        check(os.access(DRIVER, os.X_OK), '%s is missing: build it (ninja tests/interop/client/'
              'client-input-driver)' % DRIVER)
        self.proc = harness.Proc('client-input-driver', [DRIVER, '127.0.0.1', str(port)],
                                 stdin=subprocess.PIPE)
        self.seen = 0

    def cmd(self, line, timeout=30):
        self.proc.popen.stdin.write((line + '\n').encode())
        self.proc.popen.stdin.flush()
        found = self.proc.wait_line(lambda l: l.startswith(('ok', 'error')), timeout, start=self.seen)
        check(found is not None, 'driver: no answer to %r within %d s (alive: %s; stderr: %s)'
              % (line, timeout, self.proc.alive(), self.proc.stderr_text()[-1500:]))
        self.seen = found[0] + 1
        check(found[1].startswith('ok'), 'driver: %r answered %r' % (line, found[1]))
        return found[1].split()[1:]

    def events(self):
        return [l for l in self.proc.lines_since(0) if l.startswith('event ')]

    def close(self):
        try:
            self.cmd('quit', timeout=5)
        except TestFailure:
            pass
        status = self.proc.stop()
        err = self.proc.stderr_text()
        check(not any(m in err for m in harness.SANITIZER_MARKERS),
              'sanitizer report from our client: %s' % err[-4000:])
        return status


def parse_input(line):
    parts = line.split()
    if len(parts) < 2 or parts[0] != 'input':
        return None
    try:
        return (parts[1],) + tuple(int(v, 0) for v in parts[2:])
    except ValueError:
        return None


def wait_events(demo, start, kinds, enough, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        events = [e for e in (parse_input(l) for l in demo.proc.lines_since(start)) if e and e[0] in kinds]
        if enough(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def fmt(events):
    return '[' + ', '.join(' '.join([e[0]] + [hex(v) if e[0].startswith('key') else str(v) for v in e[1:]])
                           for e in events) + ']'


# ---------------------------------------------------------------------------------------------
# Against the demo VM

# (scancode our API takes, the code the demo prints): letters, E0 keys, Print Screen, Pause.
KEYS = [(0x1e, 0x1e), (0x2a, 0x2a), (0x148, 0xe048), (0x11d, 0xe01d), (0x138, 0xe038),
        (0x11c, 0xe01c), (0x135, 0xe035), (0x153, 0xe053), (0x15b, 0xe05b), (0x14b, 0xe04b),
        (0x58, 0x58), (0x137, 0xe037)]
PAUSE = 0x146


def case_keys(demo, drv):
    # First (the servers also count lock-key bytes they pass on, Pause's 0x45 among them).
    # KEY_MODIFIERS: the client says only Caps Lock is on; the server types each lock key whose
    # state differs from the guest's (scroll 1: 0x46, num 2: 0x45, caps 4: 0x3a).
    start = demo.proc.line_count()
    guest = int(drv.cmd('locks 4')[0])
    differ = [code for bit, code in ((1, 0x46), (2, 0x45), (4, 0x3a)) if (guest ^ 4) & bit]
    want = [ev for code in differ for ev in (('key-down', code), ('key-up', code))]
    got = wait_events(demo, start, ('key-down', 'key-up'), lambda ev: len(ev) >= len(want))
    check(want and sorted(got) == sorted(want) and all(got[i][1] == got[i + 1][1] for i in range(0, len(got), 2)),
          'lock sync (guest locks %d, client Caps Lock only) gave %s, expected %s' % (guest, fmt(got), fmt(want)))
    log('lock keys: the guest had %d, the server toggled %s to follow the client' % (guest, [hex(c) for c in differ]))
    start = demo.proc.line_count()
    expected = []
    for code, shown in KEYS:
        drv.cmd('key %#x down' % code)
        drv.cmd('sleep 10')
        drv.cmd('key %#x up' % code)
        drv.cmd('sleep 10')
        expected += [('key-down', shown), ('key-up', shown)]
    # Pause: E1 1D 45 E1 9D C5 on press, nothing on release.
    drv.cmd('key %#x down' % PAUSE)
    drv.cmd('key %#x up' % PAUSE)
    expected += [('key-down', 0xe11d45), ('key-up', 0xe11d45)]
    # Held keys released on focus loss, the last pressed first.
    drv.cmd('key 0x1d down')
    drv.cmd('key 0x138 down')
    drv.cmd('release-all')
    expected += [('key-down', 0x1d), ('key-down', 0xe038), ('key-up', 0xe038), ('key-up', 0x1d)]
    got = wait_events(demo, start, ('key-down', 'key-up'), lambda ev: len(ev) >= len(expected))
    check(got == expected, 'key events: got %s, expected %s' % (fmt(got), fmt(expected)))
    log('%d key events arrived exactly, E0 keys, Print Screen and Pause included' % len(got))


def case_server_mode(demo, drv):
    drv.cmd('mode server')
    check('event mouse-mode 1' in drv.events(), 'no mouse-mode 1 event: %s' % drv.events())
    start = demo.proc.line_count()
    moves = [(3, -1), (-2, 5), (7, 0), (0, 2)]
    for dx, dy in moves:
        drv.cmd('motion %d %d 0' % (dx, dy))
    # A burst far beyond the MOTION_ACK window (8 unacknowledged): merged, never lost.
    burst = 200
    drv.cmd('motion-burst %d 1 -2 0' % burst)
    moves += [(1, -2)] * burst
    want = (sum(m[0] for m in moves), sum(m[1] for m in moves))
    got = wait_events(demo, start, ('mouse-motion',),
                      lambda ev: (sum(e[1] for e in ev), sum(e[2] for e in ev)) == want)
    total = (sum(e[1] for e in got), sum(e[2] for e in got))
    check(total == want, 'motion deltas sum to %s, sent %s in %d motions (lines %s)'
          % (total, want, len(moves), fmt(got[-10:])))
    check(len(got) < len(moves), 'the %d-motion burst was not merged (%d lines): no MOTION_ACK '
          'window?' % (burst, len(got)))
    log('server mode: %d motions arrived as %d (merged beyond the ack window), deltas exact %s'
        % (len(moves), len(got), want))
    start = demo.proc.line_count()
    drv.cmd('button %d down %d' % (BUTTON_RIGHT, MASK_RIGHT))
    drv.cmd('motion 1 1 %d' % MASK_RIGHT)
    drv.cmd('button %d up 0' % BUTTON_RIGHT)
    drv.cmd('button %d down %d' % (BUTTON_MIDDLE, MASK_MIDDLE))
    drv.cmd('button %d up 0' % BUTTON_MIDDLE)
    # The server hands a press to the mouse as a motion of 0 with the new buttons (upstream's
    # way, ours the same); the button states in order, repeats collapsed, must be these.
    def states(ev):
        out = []
        for e in ev:
            if not out or out[-1] != e[-1]:
                out.append(e[-1])
        return out
    want_states = [HOST_RIGHT, 0, HOST_MIDDLE, 0]
    got = wait_events(demo, start, ('mouse-motion', 'mouse-buttons'), lambda ev: states(ev) == want_states)
    check(states(got) == want_states, 'mouse button states %s, expected right (2), none, middle (4), '
          'none: %s' % (states(got), fmt(got)))
    check(('mouse-motion', 1, 1, HOST_RIGHT) in got, 'the drag motion (1, 1) with the right button '
          'held did not arrive: %s' % fmt(got))


def case_client_mode(demo, drv, width, height):
    drv.cmd('mode client')
    check(drv.events()[-1] == 'event mouse-mode 2', 'mouse mode events: %s' % drv.events())
    start = demo.proc.line_count()
    points = [(0, 0), (10, 20), (width - 1, height - 1), (517, 300)]
    for x, y in points:
        drv.cmd('position %d %d 0' % (x, y))
        drv.cmd('sleep 20')
    got = wait_events(demo, start, ('tablet-position',), lambda ev: ev and ev[-1][1:3] == points[-1])
    positions = [e[1:3] for e in got]
    check(positions == points, 'tablet positions %s, sent %s' % (positions, points))
    start = demo.proc.line_count()
    drv.cmd('position 30 40 0')
    drv.cmd('button %d down %d' % (BUTTON_LEFT, MASK_LEFT))
    drv.cmd('button %d up 0' % BUTTON_LEFT)
    # Upstream hands a client-mode press to the tablet as a wheel of 0 with the new buttons.
    kinds = ('tablet-position', 'tablet-buttons', 'tablet-wheel')
    got = wait_events(demo, start, kinds, lambda ev: [e[-1] for e in ev[1:]] == [HOST_LEFT, 0])
    check(got and got[0][:3] == ('tablet-position', 30, 40), 'the click position: %s' % fmt(got))
    buttons = [e[-1] for e in got[1:]]
    check(buttons == [HOST_LEFT, 0], 'tablet button states %s, expected left (1) then none: %s'
          % (buttons, fmt(got)))
    log('client mode: positions and a click at (30, 40) arrived exactly')


def spice_gtk_cursor(port):
    """(w, h, hot_x, hot_y, RGBA bytes) of the first cursor shape spice-gtk gets."""
    from spiceclient import SpiceTestClient
    from gi.repository import GObject
    got = {}

    def on_new(session, channel):
        if type(channel).__name__ == 'CursorChannel':
            def on_set(chan, w, h, hx, hy, rgba):
                if rgba and 'shape' not in got:
                    got['shape'] = (w, h, hx, hy, ctypes.string_at(rgba, w * h * 4))
            GObject.Object.connect(channel, 'cursor-set', on_set)

    client = SpiceTestClient(port=port, timeout=20).connect()
    try:
        GObject.Object.connect(client.session, 'channel-new', on_new)
        client.run_until(lambda: 'shape' in got, 15, 'a cursor shape in spice-gtk')
    finally:
        client.close()
    return got['shape']


def case_cursor(lib):
    with harness.Demo(lib, [], port=pick_port()) as demo:
        w, h, hx, hy, rgba = spice_gtk_cursor(demo.port)
        time.sleep(0.5)
        drv = Driver(demo.port)
        try:
            drv.cmd('wait-ready')
            drv.cmd('wait-cursor')
            path = os.path.join(harness.work_dir(), 'clinput-cursor-%s.argb' % lib)
            vis, cw, ch, chx, chy = (int(v) for v in drv.cmd('cursor %s' % path)[:5])
            with open(path, 'rb') as f:
                ours = f.read()
        finally:
            drv.close()
        demo.check_healthy()
    check((cw, ch, chx, chy) == (w, h, hx, hy), 'our cursor %dx%d hot (%d,%d), spice-gtk %dx%d hot (%d,%d)'
          % (cw, ch, chx, chy, w, h, hx, hy))
    # Ours is a8r8g8b8 in memory (B, G, R, A bytes); spice-gtk hands out R, G, B, A.
    ours_rgba = bytearray(len(ours))
    ours_rgba[0::4], ours_rgba[1::4], ours_rgba[2::4], ours_rgba[3::4] = ours[2::4], ours[1::4], ours[0::4], ours[3::4]
    check(bytes(ours_rgba) == rgba, 'cursor pixels differ from spice-gtk\'s (first at byte %s)'
          % next((i for i in range(len(rgba)) if i >= len(ours_rgba) or ours_rgba[i] != rgba[i]), None))
    check(vis == 1, 'our cursor is hidden')
    log('cursor: %dx%d, hot spot (%d,%d), %d bytes equal to spice-gtk\'s' % (w, h, hx, hy, len(rgba)))


def run_demo(lib):
    picture = harness.test_image(640, 480)
    with harness.Demo(lib, ['--image', picture], port=pick_port()) as demo:
        drv = Driver(demo.port)
        try:
            drv.cmd('wait-ready')
            # The demo registers a tablet: our client asks for client mode by itself.
            deadline = time.monotonic() + 5
            while 'event mouse-mode 2' not in drv.events() and time.monotonic() < deadline:
                time.sleep(0.05)
            check('event mouse-mode 2' in drv.events(), 'our client did not get client mouse mode '
                  'by itself: %s' % drv.events())
            case_keys(demo, drv)
            case_server_mode(demo, drv)
            case_client_mode(demo, drv, 640, 480)
        finally:
            drv.close()
        demo.check_healthy()


# ---------------------------------------------------------------------------------------------
# Against Debian's QEMU with upstream's library and the real guest

def load_guest_module():
    spec = importlib.util.spec_from_file_location('test_guest', os.path.join(HERE, '..', 'guest', 'test-guest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.PORT_FIRST, mod.PORT_LAST = PORT_FIRST, PORT_LAST   # its Guest takes ports from these
    return mod


def check_guest_cursor(tg, guest):
    """drmcursor (../guest/drmcursor.c) sets a known 64x64 shape through the DRM cursor plane; typed
    through our client, the shape, hot spot and position our cursor channel shows must be its."""
    drv = Driver(guest.port)
    try:
        drv.cmd('wait-ready')
        start = len(guest.serial_lines())
        done = 'DRMCURSOR-DONE %d %d' % tg.CURSOR_POS
        drv.cmd('type drmcursor %d %d &\\n' % tg.CURSOR_POS, timeout=90)
        guest.wait_serial(lambda l: l.strip() == done, done, 30, start=max(0, start - 1))
        path = os.path.join(guest.dir, 'clinput-guest-cursor.argb')
        deadline = time.monotonic() + 10
        while True:
            try:
                vis, w, h, hx, hy, x, y = (int(v) for v in drv.cmd('cursor %s' % path))
            except TestFailure:
                vis = w = 0   # no cursor yet
            if (w == tg.CURSOR_SIZE and (x, y) == tg.CURSOR_AT) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(w == tg.CURSOR_SIZE and h == tg.CURSOR_SIZE, 'our cursor is %dx%d, expected drmcursor\'s %dx%d'
              % (w, h if w else 0, tg.CURSOR_SIZE, tg.CURSOR_SIZE))
        check((hx, hy) == tg.CURSOR_HOT, 'hot spot (%d,%d), expected %s' % (hx, hy, tg.CURSOR_HOT))
        check((x, y) == tg.CURSOR_AT, 'cursor at (%d,%d), expected %s' % (x, y, tg.CURSOR_AT))
        check(vis == 1, 'our cursor is hidden')
        with open(path, 'rb') as f:
            ours = f.read()
        rgba = bytearray(len(ours))
        rgba[0::4], rgba[1::4], rgba[2::4], rgba[3::4] = ours[2::4], ours[1::4], ours[0::4], ours[3::4]
        expected = tg.cursor_bytes()
        if bytes(rgba) != expected:
            at = next((i for i in range(min(len(rgba), len(expected))) if rgba[i] != expected[i]), 0) // 4
            raise TestFailure('guest cursor differs first at (%d,%d): RGBA %s, expected %s'
                              % (at % w, at // w, bytes(rgba[at * 4:at * 4 + 4]).hex(),
                                 expected[at * 4:at * 4 + 4].hex()))
        log('guest cursor through our client: %dx%d, hot spot %s, at %s, pixels exact' % (w, h, (hx, hy), (x, y)))
    finally:
        drv.close()


def run_qemu_guest():
    import qemuvm
    tg = load_guest_module()
    guest = tg.Guest('upstream')
    passed = False
    try:
        took = guest.wait_ready()
        log('guest shell ready after %.0f s' % took)
        n = random.randrange(1000, 9000)
        command = 'echo clinput-$((%d+1000)) | tee /dev/ttyS0' % n
        expect = 'clinput-%d' % (n + 1000)
        shot = os.path.join(guest.dir, 'clinput-viewer.png')
        start = len(guest.serial_lines())
        t0 = time.monotonic()
        viewer = subprocess.run([VIEWER, '--headless', '--screenshot', shot, '--type', command + '\n',
                                 '--key-delay', '40', '--settle', '2', '--timeout', '60',
                                 'spice://127.0.0.1:%d' % guest.port],
                                capture_output=True, text=True, timeout=90)
        check(viewer.returncode == 0, 'spice-viewer --type exited %d: %s %s'
              % (viewer.returncode, viewer.stdout, viewer.stderr[-2000:]))
        check(not any(m in viewer.stderr for m in harness.SANITIZER_MARKERS),
              'sanitizer report from spice-viewer: %s' % viewer.stderr[-4000:])
        guest.wait_serial(lambda l: l.strip() == expect, 'output %r of %r typed by spice-viewer' % (expect, command),
                          30, start=max(0, start - 1))
        log('typed through our client, the command ran: %r on the serial port (%.1f s)'
            % (expect, time.monotonic() - t0))
        # The console stood still since the viewer's settle: QEMU's picture must equal ours.
        got = harness.load_rgb(shot)
        running = guest.qemu.screendump('clinput-running.ppm')
        guest.qemu.qmp.execute('stop')
        stopped = guest.qemu.screendump('clinput-stopped.ppm')
        guest.qemu.qmp.execute('cont')
        problem = qemuvm.diff_pictures(stopped, got)
        if problem is not None:
            saved = guest.save_pictures('clinput', stopped, got)
            raise TestFailure('our screenshot after typing differs from QMP screendump: %s (running '
                              'screendump %s the stopped one); pictures %s'
                              % (problem, 'equals' if running == stopped else 'differs from', saved))
        log('our screenshot after typing equals QMP screendump (%dx%d)' % (got[0], got[1]))
        check_guest_cursor(tg, guest)
        passed = True
    finally:
        guest.stop(passed)


if __name__ == '__main__':
    which = sys.argv[1] if len(sys.argv) > 1 else 'demo-ours'
    if which in ('demo-ours', 'demo-upstream'):
        lib = which.split('-')[1]
        harness.run_cases([
            ('keys, server and client mouse modes through our client (%s library)' % lib,
             lambda: run_demo(lib)),
            ('cursor shape equals spice-gtk\'s (%s library)' % lib, lambda: case_cursor(lib)),
        ])
    elif which == 'qemu-guest':
        harness.run_cases([('typing through our client runs a command in the guest, its cursor exact (QEMU, upstream '
                            'library)', run_qemu_guest)])
    else:
        sys.exit('unknown case %r (demo-ours, demo-upstream, qemu-guest)' % which)
