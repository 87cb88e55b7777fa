#!/usr/bin/python3
"""test-qemu-keys: keys typed in spice-gtk reach QEMU's PS/2 keyboard and drive SeaBIOS's menu.

    test-qemu-keys.py --lib ours|upstream

With -boot menu=on SeaBIOS waits for ESC ("Press ESC for boot menu."). A key sent by spice-gtk
goes through the library's inputs channel to QEMU's SpiceKbdInterface. ESC must bring up
"Select boot device:" (text row 4) and "1" must then start the listed option ROM (text below row
7); with no key the menu must not appear (the control). The end picture must equal screendump.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import qemuvm  # noqa: E402  (first: it puts tests/interop on the path too)
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
ROW = 16                 # pixel rows per text row in SeaBIOS's 720x400 text mode
SCAN_ESC, SCAN_1 = 0x01, 0x02
MIN_ROW_LIT = 100        # a text row with a few words lights far more pixels than this


def row_lit(qemu, first_row, last_row):
    """Lit pixels of QEMU's own picture in text rows [first_row, last_row]."""
    w, h, rgb = qemu.screendump('keys.ppm')
    return qemuvm.lit_pixels(rgb, w, (first_row * ROW, min(h, (last_row + 1) * ROW)))


def wait_rows(qemu, client, first_row, last_row, timeout, what):
    deadline = time.monotonic() + timeout
    lit = 0
    while time.monotonic() < deadline:
        lit = row_lit(qemu, first_row, last_row)
        if lit >= MIN_ROW_LIT:
            log('%s: %d lit pixels in text rows %d-%d' % (what, lit, first_row, last_row))
            return
        client.iterate(0.2)
    raise TestFailure('%s: text rows %d-%d still dark after %d s (%d lit pixels)'
                      % (what, first_row, last_row, timeout, lit))


def run():
    # splash-time: how long SeaBIOS waits for ESC; long enough for a slow sanitizer start.
    with qemuvm.Qemu(LIB, extra_args=['-boot', 'menu=on,splash-time=30000']) as qemu:
        with qemuvm.spice_client(qemu) as client:
            client.wait_channel_open('inputs')
            client.wait_primary(quiet=0.4, settle_max=1.0)
            wait_rows(qemu, client, 2, 2, 20, '"Press ESC for boot menu."')
            client.iterate(1.0)
            control = row_lit(qemu, 4, 24)
            check(control < MIN_ROW_LIT, 'the menu area (rows 4-24) is lit (%d pixels) before any key' % control)
            client.send_keys([SCAN_ESC], pace=0.05)
            wait_rows(qemu, client, 4, 4, 10, 'ESC: "Select boot device:"')
            after_menu = row_lit(qemu, 8, 24)
            check(after_menu < MIN_ROW_LIT, 'rows 8-24 lit (%d pixels) before "1" was typed' % after_menu)
            client.send_keys([SCAN_1], pace=0.05)
            wait_rows(qemu, client, 8, 24, 10, '"1": booting the option ROM')
            client.iterate(1.0)
            qemuvm.compare_stopped(qemu, client, 'after-keys', 'qemu-keys-%s' % LIB, 2000)
        qemu.check_healthy()


# Lock keys typed in spice-gtk: SeaBIOS toggles the keyboard LEDs, QEMU calls
# spice_server_kbd_leds, and the library must tell the client (INPUTS_KEY_MODIFIERS).
# SPICE_KEYBOARD_MODIFIER_FLAGS: SCROLL_LOCK 1, NUM_LOCK 2, CAPS_LOCK 4.
LED_STEPS = [(0x3a, 'CapsLock', 4), (0x45, 'NumLock', 6), (0x46, 'ScrollLock', 7), (0x3a, 'CapsLock', 3)]


def run_leds():
    with qemuvm.Qemu(LIB, extra_args=['-boot', 'menu=on,splash-time=30000']) as qemu:
        with qemuvm.spice_client(qemu) as client:
            client.wait_channel_open('inputs')
            client.wait_primary(quiet=0.4, settle_max=1.0)
            wait_rows(qemu, client, 2, 2, 20, '"Press ESC for boot menu."')
            inputs = client.channels['inputs']
            check(inputs.get_property('key-modifiers') == 0, 'LEDs %d before any key'
                  % inputs.get_property('key-modifiers'))
            for code, name, want in LED_STEPS:
                client.send_keys([code], pace=0.05)
                deadline = time.monotonic() + 5
                while inputs.get_property('key-modifiers') != want and time.monotonic() < deadline:
                    client.iterate(0.1)
                got = inputs.get_property('key-modifiers')
                log('%s: client LEDs %d' % (name, got))
                check(got == want, 'after %s the client shows LEDs %d, expected %d' % (name, got, want))
        qemu.check_healthy()


if __name__ == '__main__':
    harness.run_cases([('SeaBIOS menu by spice-gtk keys on the %s library' % LIB, run),
                       ('keyboard LEDs from QEMU reach spice-gtk on the %s library' % LIB, run_leds)])
