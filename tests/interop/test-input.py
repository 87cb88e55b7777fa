#!/usr/bin/python3
"""test-input: keys and mouse from spice-gtk reach the demo VM's keyboard, mouse and tablet.

    test-input.py --lib ours|upstream

The demo prints one line per event it receives through the public interfaces:
  input key-down 0x1e / input key-up 0xe048        (set-1 make code, E0 prefix kept)
  input mouse-motion DX DY BUTTONS                 (server mouse mode, SpiceMouseInterface)
  input mouse-buttons BUTTONS
  input tablet-position X Y BUTTONS                (client mouse mode, SpiceTabletInterface)
BUTTONS are in the host's (PS/2) order: left 1, right 2, middle 4.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import MOUSE_MODE_CLIENT, MOUSE_MODE_SERVER, SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
# spice-gtk button numbers and its button-state mask bits.
BUTTON_LEFT, BUTTON_MIDDLE, BUTTON_RIGHT = 1, 2, 3
MASK_LEFT, MASK_MIDDLE, MASK_RIGHT = 1, 2, 4
# The host (PS/2) order the server must hand to the mouse/tablet interfaces.
HOST_LEFT, HOST_RIGHT, HOST_MIDDLE = 1, 2, 4


def parse_input(line):
    """('key-down', 0x1e) / ('mouse-motion', dx, dy, buttons) ... or None for other lines."""
    parts = line.split()
    if len(parts) < 2 or parts[0] != 'input':
        return None
    try:
        return (parts[1],) + tuple(int(v, 0) for v in parts[2:])
    except ValueError:
        return None


def events_since(demo, start, kinds):
    return [e for e in (parse_input(l) for l in demo.proc.lines_since(start)) if e and e[0] in kinds]


def wait_events(demo, start, kinds, enough, timeout=10.0):
    """Waits until enough(events) holds for the demo's input events of @kinds since @start."""
    deadline = time.monotonic() + timeout
    while True:
        events = events_since(demo, start, kinds)
        if enough(events) or time.monotonic() > deadline:
            return events
        time.sleep(0.05)


def connect(demo):
    client = SpiceTestClient(port=demo.port, timeout=30).connect()
    client.wait_primary()
    client.wait_channel_open('inputs')
    return client


def picture():
    return harness.test_image(333, 77)


def case_keys():
    codes = [0x1e, 0xe048, 0x30, 0xe04b, 0x1c]   # a, Up, b, Left, Enter
    expected = []
    for code in codes:
        expected += [('key-down', code), ('key-up', code)]
    with harness.Demo(LIB, ['--image', picture()]) as demo:
        client = connect(demo)
        try:
            start = demo.proc.line_count()
            client.send_keys(codes, pace=0.03)
            client.flush()
            got = wait_events(demo, start, ('key-down', 'key-up'), lambda ev: len(ev) >= len(expected))
        finally:
            client.close()
        check(got == expected, 'key events: got %s, expected %s' % (fmt_events(got), fmt_events(expected)))
        demo.check_healthy()


def case_key_held():
    # A held key: press, press (autorepeat), release: two downs then one up, in order.
    with harness.Demo(LIB, ['--image', picture()]) as demo:
        client = connect(demo)
        try:
            start = demo.proc.line_count()
            client.key_press(0x2a)      # left shift
            client.iterate(0.03)
            client.key_press(0xe01d)    # right ctrl
            client.iterate(0.03)
            client.key_release(0xe01d)
            client.iterate(0.03)
            client.key_release(0x2a)
            client.flush()
            expected = [('key-down', 0x2a), ('key-down', 0xe01d), ('key-up', 0xe01d), ('key-up', 0x2a)]
            got = wait_events(demo, start, ('key-down', 'key-up'), lambda ev: len(ev) >= 4)
        finally:
            client.close()
        check(got == expected, 'key events: got %s, expected %s' % (fmt_events(got), fmt_events(expected)))
        demo.check_healthy()


def case_mouse_server_mode():
    with harness.Demo(LIB, ['--image', picture()]) as demo:
        client = connect(demo)
        try:
            client.request_mouse_mode(MOUSE_MODE_SERVER)
            check(client.mouse_mode == MOUSE_MODE_SERVER, 'mouse mode is %d after asking for server mode'
                  % client.mouse_mode)
            start = demo.proc.line_count()
            moves = [(5, 3), (-2, 7), (10, -4), (0, 1)]
            for dx, dy in moves:
                client.motion(dx, dy, 0)
                client.iterate(0.05)
            client.flush()
            want_dx, want_dy = sum(m[0] for m in moves), sum(m[1] for m in moves)
            got = wait_events(demo, start, ('mouse-motion',),
                              lambda ev: (sum(e[1] for e in ev), sum(e[2] for e in ev)) == (want_dx, want_dy))
            check(got, 'no "input mouse-motion" line after %d motions in server mode' % len(moves))
            total = (sum(e[1] for e in got), sum(e[2] for e in got))
            check(total == (want_dx, want_dy), 'mouse-motion deltas sum to %s, sent %s (lines %s)'
                  % (total, (want_dx, want_dy), fmt_events(got)))
            check(all(e[3] == 0 for e in got), 'motion without buttons reported buttons: %s' % fmt_events(got))

            # The right button: spice-gtk mask 4 must reach the host as PS/2 right (2).
            start = demo.proc.line_count()
            client.button_press(BUTTON_RIGHT, MASK_RIGHT)
            client.iterate(0.05)
            client.motion(1, 1, MASK_RIGHT)
            client.iterate(0.05)
            client.button_release(BUTTON_RIGHT, 0)
            client.flush()
            got = wait_events(demo, start, ('mouse-motion', 'mouse-buttons'),
                              lambda ev: any(e[-1] == HOST_RIGHT for e in ev) and ev[-1][-1] == 0)
            check(any(e[-1] == HOST_RIGHT for e in got),
                  'right button (spice mask 4) never reached the mouse as buttons %d: %s'
                  % (HOST_RIGHT, fmt_events(got)))
            check(got and got[-1][-1] == 0, 'after the release the last mouse event still has buttons: %s'
                  % fmt_events(got))
        finally:
            client.close()
        demo.check_healthy()


def case_mouse_client_mode():
    path = picture()
    width, height, _ = harness.load_rgb(path)
    with harness.Demo(LIB, ['--image', path]) as demo:
        client = connect(demo)
        try:
            # spice-gtk asks for client mode by itself when the server offers it (a tablet).
            client.run_until(lambda: client.mouse_mode == MOUSE_MODE_CLIENT, 10,
                             'client mouse mode (the demo registers a tablet)')
            start = demo.proc.line_count()
            points = [(0, 0), (10, 20), (width - 1, height - 1), (100, 40)]
            for x, y in points:
                client.position(x, y, 0)
                client.iterate(0.05)
            client.flush()
            got = wait_events(demo, start, ('tablet-position',),
                              lambda ev: ev and ev[-1][1:3] == points[-1])
            check(got, 'no "input tablet-position" line in client mode')
            check(got[-1][1:3] == points[-1], 'last tablet position %s, sent %s (lines %s)'
                  % (got[-1][1:3], points[-1], fmt_events(got)))
            positions = [e[1:3] for e in got]
            check(all(p in points for p in positions), 'tablet positions %s not among those sent %s'
                  % (positions, points))
            # Delivered in order: the client may coalesce positions, never reorder them.
            check(positions == sorted(positions, key=points.index),
                  'tablet positions out of order: %s' % positions)
            # Motion in client mode must not move the relative mouse.
            start = demo.proc.line_count()
            client.motion(7, 7, 0)
            client.flush(0.5)
            stray = events_since(demo, start, ('mouse-motion',))
            check(not stray, 'relative motion delivered to the mouse in client mode: %s' % fmt_events(stray))

            # Buttons with a position: left press at (30, 30).
            start = demo.proc.line_count()
            client.position(30, 30, 0)
            client.iterate(0.05)
            client.button_press(BUTTON_LEFT, MASK_LEFT)
            client.iterate(0.05)
            client.button_release(BUTTON_LEFT, 0)
            client.flush()
            got = wait_events(demo, start, ('tablet-position', 'tablet-buttons', 'mouse-buttons', 'tablet-wheel'),
                              lambda ev: any(e[-1] == HOST_LEFT for e in ev) and ev[-1][-1] == 0)
            check(any(e[-1] == HOST_LEFT for e in got), 'left button never reached the tablet: %s'
                  % fmt_events(got))
            check(got[-1][-1] == 0, 'after the release the last tablet event has buttons: %s' % fmt_events(got))
        finally:
            client.close()
        demo.check_healthy()


def case_lock_keys():
    # KEY_MODIFIERS: the client's Caps Lock on while the guest's is off -> the server types
    # Caps Lock (0x3a down, up) into the keyboard so the guest's state follows.
    CAPS_LOCK = 4   # SPICE_INPUTS_CAPS_LOCK
    with harness.Demo(LIB, ['--image', picture()]) as demo:
        client = connect(demo)
        try:
            start = demo.proc.line_count()
            client.inputs.set_key_locks(CAPS_LOCK)
            client.flush()
            got = wait_events(demo, start, ('key-down', 'key-up'), lambda ev: len(ev) >= 2)
        finally:
            client.close()
        check(got[:2] == [('key-down', 0x3a), ('key-up', 0x3a)],
              'Caps Lock sync gave %s, expected key-down 0x3a, key-up 0x3a' % fmt_events(got))
        demo.check_healthy()


def case_wheel():
    # Wheel up is button 4, down is 5: dz -1 / +1, to the mouse (server) or the tablet (client).
    BUTTON_UP, BUTTON_DOWN = 4, 5
    with harness.Demo(LIB, ['--image', picture()]) as demo:
        client = connect(demo)
        try:
            for mode, kind in ((MOUSE_MODE_SERVER, 'mouse-wheel'), (MOUSE_MODE_CLIENT, 'tablet-wheel')):
                client.request_mouse_mode(mode)
                if mode == MOUSE_MODE_CLIENT:
                    client.position(5, 5, 0)
                    client.iterate(0.05)
                start = demo.proc.line_count()
                for button in (BUTTON_UP, BUTTON_DOWN, BUTTON_DOWN):
                    client.button_press(button, 0)
                    client.iterate(0.03)
                    client.button_release(button, 0)
                    client.iterate(0.03)
                client.flush()
                got = wait_events(demo, start, (kind,), lambda ev: len(ev) >= 3)
                dz = [e[1] for e in got]
                check(dz == [-1, 1, 1], '%s: wheel up, down, down gave %s, expected dz -1, 1, 1'
                      % (kind, fmt_events(got)))
        finally:
            client.close()
        demo.check_healthy()


def fmt_events(events):
    return '[' + ', '.join(' '.join([e[0]] + [hex(v) if e[0].startswith('key') else str(v) for v in e[1:]])
                           for e in events) + ']'


if __name__ == '__main__':
    harness.run_cases([
        ('keys incl. extended (%s library)' % LIB, case_keys),
        ('held modifier keys (%s library)' % LIB, case_key_held),
        ('mouse server mode (%s library)' % LIB, case_mouse_server_mode),
        ('tablet client mode (%s library)' % LIB, case_mouse_client_mode),
        ('wheel in both modes (%s library)' % LIB, case_wheel),
        ('lock keys follow the client (%s library)' % LIB, case_lock_keys),
    ])
