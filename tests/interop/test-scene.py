#!/usr/bin/python3
"""test-scene: spice-gtk follows the demo's animated desktop and ends on the demo's own picture.

    test-scene.py --lib ours|upstream

The demo animates (fills, chunked copies, COPY_BITS scrolling, ~25 frames/s), then freezes
(--freeze-after) and writes what it believes is on its screen (--dump-frame, binary PPM). A
spice-gtk client connected during the whole animation (incremental updates) and one that
connects after the freeze (the server's replay of the current screen) must both hold exactly
that picture.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)


def load_ppm(path):
    """(width, height, packed RGB) of a binary PPM (P6, maxval 255)."""
    with open(path, 'rb') as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b'#':
            pos = data.index(b'\n', pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1   # the single whitespace after maxval
    check(fields[0] == b'P6' and fields[3] == b'255', '%s is not a binary 8-bit PPM: %r' % (path, fields))
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos:pos + width * height * 3]
    check(len(pixels) == width * height * 3, '%s is truncated' % path)
    return width, height, pixels


def case_follow_animation(size, freeze_after):
    dump = os.path.join(harness.work_dir(), 'scene-%s-%s.ppm' % (LIB, size))
    if os.path.exists(dump):
        os.unlink(dump)
    with harness.Demo(LIB, ['--size', size, '--freeze-after', str(freeze_after), '--dump-frame', dump]) as demo:
        live = SpiceTestClient(port=demo.port, timeout=30).connect()
        try:
            live.wait_primary(quiet=0.0, settle_max=0.0)
            # Keep the client's loop running through the animation until the demo says it froze.
            live.run_until(lambda: any('frozen' in l for l in demo.proc.lines_since(0)),
                           freeze_after + 30, 'the demo to freeze')
            check(live.invalidates > 10, 'only %d display updates during %d s of animation'
                  % (live.invalidates, freeze_after))
            live.wait_primary(quiet=1.0, settle_max=8.0)
            width, height, expected = load_ppm(dump)
            w, h, got = live.primary_rgb()
            check((w, h) == (width, height), 'primary %dx%d, the demo dumped %dx%d' % (w, h, width, height))
            harness.compare_rgb(expected, got, width, 'client connected during the animation vs --dump-frame')
            harness.log('%d display updates followed' % live.invalidates)
        finally:
            live.close()
        with SpiceTestClient(port=demo.port, timeout=30) as late:
            late.wait_primary(quiet=1.0, settle_max=8.0)
            w, h, got = late.primary_rgb()
            check((w, h) == (width, height), 'late client: primary %dx%d, expected %dx%d' % (w, h, width, height))
            harness.compare_rgb(expected, got, width, 'client connected after the freeze vs --dump-frame')
        demo.check_healthy()


if __name__ == '__main__':
    harness.run_cases([
        ('animated desktop 1024x768 (%s library)' % LIB, lambda: case_follow_animation('1024x768', 10)),
        ('animated desktop 801x597 (%s library)' % LIB, lambda: case_follow_animation('801x597', 4)),
    ])
