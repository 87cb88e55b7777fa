#!/usr/bin/python3
"""test-pixels: the demo VM shows a picture; spice-gtk's primary surface must equal it pixel for pixel.

    test-pixels.py --lib ours|upstream

One demo per picture (odd widths, 1x1, a full-HD noise picture, a JPEG), each checked with RGB
equality (the x byte of xRGB is ignored). Upstream compresses (auto_glz, lossless), so its
pixels must be equal too.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)


def pictures():
    gen = harness._load_generator()
    out = [harness.test_image(w, h) for w, h in gen.COMMITTED_SIZES + gen.GENERATED_SIZES]
    out.append(os.path.join(harness.DATA_DIR, gen.image_name(*gen.JPEG_SIZE, ext='jpg')))
    return out


def check_picture(path):
    width, height, expected = harness.load_rgb(path)
    with harness.Demo(LIB, ['--image', path]) as demo:
        with SpiceTestClient(port=demo.port, timeout=30) as client:
            client.wait_primary()
            got_w, got_h, got = client.primary_rgb()
            check((got_w, got_h) == (width, height),
                  'primary surface is %dx%d, the picture %s is %dx%d' % (got_w, got_h, path, width, height))
            harness.compare_rgb(expected, got, width, 'primary surface vs %s' % os.path.basename(path))
        demo.check_healthy()


def check_second_client_same_pixels():
    # A client that connects after the first one left gets the whole picture again.
    path = harness.test_image(333, 77)
    width, height, expected = harness.load_rgb(path)
    with harness.Demo(LIB, ['--image', path]) as demo:
        for attempt in range(2):
            with SpiceTestClient(port=demo.port, timeout=30) as client:
                client.wait_primary()
                got_w, got_h, got = client.primary_rgb()
                check((got_w, got_h) == (width, height), 'client %d: primary %dx%d, expected %dx%d'
                      % (attempt + 1, got_w, got_h, width, height))
                harness.compare_rgb(expected, got, width, 'client %d primary' % (attempt + 1))
        demo.check_healthy()


def check_second_client_takes_over():
    # One client per session (as upstream without SPICE_DEBUG_ALLOW_MC): a second client's main
    # link disconnects the first, and the second is served the whole picture.
    path = harness.test_image(640, 480)
    width, height, expected = harness.load_rgb(path)
    with harness.Demo(LIB, ['--image', path]) as demo:
        first = SpiceTestClient(port=demo.port, timeout=30).connect()
        try:
            first.wait_primary()
            second = SpiceTestClient(port=demo.port, timeout=30).connect()
            try:
                second.wait_primary()
                w, h, got = second.primary_rgb()
                check((w, h) == (width, height), 'second client: primary %dx%d' % (w, h))
                harness.compare_rgb(expected, got, width, 'second client primary')
                # Both clients share the default GLib context: iterating one runs the other.
                first.run_until(lambda: first.failure() is not None or
                                any(e[1].value_nick == 'closed' for e in first.events if e[0] == 'main'),
                                10, 'the first client to be disconnected')
            finally:
                second.close()
        finally:
            first.close()
        demo.check_healthy()


# SpiceImageCompression (spice/enums.h): what a client may prefer; every one of them is lossless.
COMPRESSIONS = {'off': 1, 'auto_glz': 2, 'auto_lz': 3, 'quic': 4, 'glz': 5, 'lz': 6, 'lz4': 7}


def check_preferred_compressions():
    # The client's PREFERRED_COMPRESSION may change the encoder, never the pixels.
    path = harness.test_image(640, 480)
    width, height, expected = harness.load_rgb(path)
    with harness.Demo(LIB, ['--image', path]) as demo:
        for name, value in COMPRESSIONS.items():
            with SpiceTestClient(port=demo.port, timeout=30, compression=value) as client:
                client.wait_primary()
                w, h, got = client.primary_rgb()
                check((w, h) == (width, height), '%s: primary %dx%d' % (name, w, h))
                harness.compare_rgb(expected, got, width, 'client preferring %s compression' % name)
        demo.check_healthy()


if __name__ == '__main__':
    cases = [('%s on %s library' % (os.path.basename(p), LIB), (lambda p=p: check_picture(p)))
             for p in pictures()]
    cases.append(('reconnect gets the same pixels (%s library)' % LIB, check_second_client_same_pixels))
    cases.append(('a second client takes over (%s library)' % LIB, check_second_client_takes_over))
    cases.append(('every preferred compression is lossless (%s library)' % LIB, check_preferred_compressions))
    harness.run_cases(cases)
