#!/usr/bin/python3
"""test-qemu-migrate: QEMU saves a VM to a file and a second QEMU restores it, both on the library.

    test-qemu-migrate.py --vga qxl|std --lib ours|upstream

The source QEMU (a spice-gtk client connected) is stopped and migrated to a file
("exec:cat > FILE"): QEMU calls spice_server_migrate_start/_end and, for QXL, saves its device
state. A destination QEMU started with -incoming defer loads it (QXL post_load: memslots, primary
surface with KEEP_DATA, VGA mode), then runs. Its screendump while still paused must equal the
source's, and after cont spice-gtk's picture must equal the destination's screendump.
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
VGA = sys.argv[sys.argv.index('--vga') + 1] if '--vga' in sys.argv else 'qxl'
MIN_LIT_PIXELS = 2000
CELL_W, CELL_H = 9, 16      # one character cell of SeaBIOS's 720x400 text mode


def differing_box(a, b):
    """(x0, y0, x1, y1) bounding the pixels that differ between two same-size pictures, or None."""
    (w, h, ra), (w2, h2, rb) = a, b
    check((w, h) == (w2, h2), 'picture sizes differ: %dx%d vs %dx%d' % (w, h, w2, h2))
    box = None
    for i in range(0, len(ra), 3):
        if ra[i:i + 3] != rb[i:i + 3]:
            x, y = (i // 3) % w, (i // 3) // w
            box = (x, y, x, y) if box is None else (min(box[0], x), min(box[1], y),
                                                    max(box[2], x), max(box[3], y))
    return box


def wait_migration(qemu, client, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = qemu.qmp.execute('query-migrate').get('status')
        if status in ('completed', 'failed', 'cancelled'):
            return status
        client.iterate(0.1)
    raise TestFailure('migration still %s after %d s' % (status, timeout))


def run():
    state = os.path.join(qemuvm.artifact_dir(), 'migrate-%s-%s-%d.state' % (VGA, LIB, os.getpid()))
    try:
        with qemuvm.Qemu(LIB, vga=VGA) as source:
            with qemuvm.spice_client(source) as client:
                client.wait_primary(quiet=0.4, settle_max=1.0)
                deadline = time.monotonic() + 30
                while qemuvm.lit_pixels(source.screendump('src.ppm')[2]) < MIN_LIT_PIXELS:
                    check(time.monotonic() < deadline, 'the source showed no BIOS text within 30 s')
                    client.iterate(0.25)
                client.iterate(1.0)
                source.qmp.execute('stop')
                saved = source.screendump('source.ppm')
                source.qmp.execute('migrate', uri='exec:cat > %s' % state)
                status = wait_migration(source, client)
                check(status == 'completed', 'migration to a file ended %s' % status)
                run_state = source.qmp.execute('query-status').get('status')
                log('source: migration %s, VM %s, %d bytes saved' % (status, run_state, os.path.getsize(state)))
                source.check_healthy()

        with qemuvm.Qemu(LIB, vga=VGA, extra_args=['-incoming', 'defer']) as dest:
            with qemuvm.spice_client(dest) as client:
                dest.qmp.execute('migrate-incoming', uri='exec:cat %s' % state)
                status = wait_migration(dest, client)
                check(status == 'completed', 'loading the saved state ended %s' % status)
                check(dest.qmp.execute('query-status').get('status') == 'paused',
                      'the destination is not paused after loading')
                restored = dest.screendump('restored.ppm')
                box = differing_box(saved, restored)
                # QEMU does not migrate the VGA text cursor's blink phase: one cell may differ.
                check(box is None or (box[2] - box[0] < CELL_W and box[3] - box[1] < CELL_H),
                      'restored screen differs from the saved one beyond the cursor cell: %s'
                      % qemuvm.diff_pictures(saved, restored))
                log('restored screen equals the saved one%s' % ('' if box is None else
                    ' except the text cursor cell %s' % (box,)))
                dest.qmp.execute('cont')
                client.wait_primary(quiet=0.4, settle_max=1.0)
                client.iterate(1.0)
                qemuvm.compare_stopped(dest, client, 'restored', 'qemu-migrate-%s-%s' % (VGA, LIB),
                                       MIN_LIT_PIXELS)
            dest.check_healthy()
    finally:
        try:
            os.unlink(state)
        except OSError:
            pass


if __name__ == '__main__':
    check(VGA in ('qxl', 'std'), '--vga qxl|std')
    harness.run_cases([('save and restore, -vga %s, %s library' % (VGA, LIB), run)])
