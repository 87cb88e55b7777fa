#!/usr/bin/python3
"""make-test-images: writes the deterministic test pictures the interop pixel tests compare.

Every pixel is a gradient plus xorshift noise, so a one-pixel shift, a swapped channel or a
lost row changes the comparison. The small pictures are committed in tests/data; the big ones
are generated at test time into the build directory (same function, same bytes every time).

    make-test-images.py OUTDIR [WxH ...]      (no sizes: the committed set)
"""
import os
import sys

import gi

gi.require_version('GdkPixbuf', '2.0')
from gi.repository import GdkPixbuf, GLib  # noqa: E402

# Sizes committed to tests/data (small) and sizes generated at test time (big).
COMMITTED_SIZES = [(1, 1), (3, 7), (17, 13), (333, 77)]
GENERATED_SIZES = [(640, 480), (1920, 1080)]
JPEG_SIZE = (64, 48)


def image_name(width, height, ext='png'):
    return 'pattern-%dx%d.%s' % (width, height, ext)


def pattern_rgb(width, height):
    """Packed RGB bytes (3 per pixel, no row padding) of the test pattern for this size."""
    out = bytearray(width * height * 3)
    state = (width * 73856093) ^ (height * 19349663) ^ 0x9E3779B9
    state &= 0xFFFFFFFF
    state = state or 1
    xmax = max(width - 1, 1)
    ymax = max(height - 1, 1)
    i = 0
    for y in range(height):
        green = (y * 255) // ymax
        for x in range(width):
            # xorshift32: cheap, deterministic, no module-level state.
            state ^= (state << 13) & 0xFFFFFFFF
            state ^= state >> 17
            state ^= (state << 5) & 0xFFFFFFFF
            red = (x * 255) // xmax
            out[i] = (red + (state & 0x1F)) & 0xFF
            out[i + 1] = (green ^ ((state >> 8) & 0x0F)) & 0xFF
            out[i + 2] = (state >> 16) & 0xFF
            i += 3
    return bytes(out)


def pixbuf_from_rgb(width, height, rgb):
    return GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(rgb), GdkPixbuf.Colorspace.RGB,
                                           False, 8, width, height, width * 3)


def write_png(path, width, height):
    pixbuf_from_rgb(width, height, pattern_rgb(width, height)).savev(path, 'png', [], [])


def write_jpeg(path, width, height):
    pixbuf_from_rgb(width, height, pattern_rgb(width, height)).savev(path, 'jpeg', ['quality'],
                                                                      ['90'])


def ensure_png(outdir, width, height):
    """Returns the path of the pattern PNG for this size, writing it if it is missing."""
    path = os.path.join(outdir, image_name(width, height))
    if not os.path.exists(path):
        os.makedirs(outdir, exist_ok=True)
        tmp = path + '.tmp%d' % os.getpid()
        write_png(tmp, width, height)
        os.replace(tmp, path)
    return path


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    if len(argv) > 2:
        for spec in argv[2:]:
            width, height = (int(v) for v in spec.lower().split('x'))
            write_png(os.path.join(outdir, image_name(width, height)), width, height)
        return 0
    for width, height in COMMITTED_SIZES:
        write_png(os.path.join(outdir, image_name(width, height)), width, height)
    write_jpeg(os.path.join(outdir, image_name(*JPEG_SIZE, ext='jpg')), *JPEG_SIZE)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
