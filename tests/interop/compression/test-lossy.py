#!/usr/bin/python3
"""test-lossy: draws over JPEG areas, seen by upstream spice-gtk: an XOR never lands on JPEG approximations.

    test-lossy.py

tools/spice-demo-vm shows a photo (image-compression quic, jpeg-wan-compression always), draws it
twice more once spice-gtk is there (so it arrives as JPEG), then plays two guest steps:
  1. scroll:40  one COPY_BITS moving the picture up 40 rows, the freed rows filled black;
  2. xor:...    a FILL with the XOR rop over a box inside the scrolled, still approximate area.
XOR with 0x1f1f1f turns JPEG's small errors into large ones (a pixel off by one can end up off
by 31), so the server must not let the client XOR its approximations: ours sends that box from
its own canvas, losslessly (server/display-lossy.c). The COPY_BITS has to carry the
approximation along, or the box would look exact to the server.
On ours spice-gtk's primary must then be exact in the XOR box and the black rows, and within
PSNR >= 30 dB but NOT exact elsewhere (so the photo really went as JPEG and the test means
something). Upstream runs the same scene as the reference for the JPEG part (its photo too must
arrive approximate and >= 30 dB); for the box it follows its own rule, which resends the drawn
area as an image that may itself be JPEG: measured 17.6 dB there (ours without the resend: 21.8
dB), so its box is only logged. Ports 6440-6449.
"""
import math
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'capture'))
import harness  # noqa: E402
import record  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

PORT_FIRST, PORT_LAST = harness.port_range(6440, 6449)
W, H = 320, 240
SCROLL = 40
XOR_BOX = (40, 60, 120, 80)        # x, y, w, h: inside the scrolled photo
XOR_COLOR = 0x1f1f1f
MIN_PSNR = 30.0


def free_port():
    for p in range(PORT_FIRST, PORT_LAST + 1):
        if harness.port_is_free(p):
            return p
    raise harness.TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def expected_picture(photo):
    """What the guest shows after its steps, as rows of (r, g, b)."""
    rows = [list(r) for r in photo[SCROLL:]] + [[(0, 0, 0)] * W for _ in range(SCROLL)]
    x0, y0, w, h = XOR_BOX
    xr, xg, xb = XOR_COLOR >> 16, (XOR_COLOR >> 8) & 0xff, XOR_COLOR & 0xff
    for y in range(y0, y0 + h):
        for x in range(x0, x0 + w):
            r, g, b = rows[y][x]
            rows[y][x] = (r ^ xr, g ^ xg, b ^ xb)
    return rows


def split(expected, shown_rgb):
    """Per area, (expected, shown) byte lists: the XOR box, the black rows, the rest."""
    areas = {'xor box': ([], []), 'black rows': ([], []), 'photo': ([], [])}
    x0, y0, w, h = XOR_BOX
    for y in range(H):
        for x in range(W):
            if x0 <= x < x0 + w and y0 <= y < y0 + h:
                name = 'xor box'
            elif y >= H - SCROLL:
                name = 'black rows'
            else:
                name = 'photo'
            i = (y * W + x) * 3
            areas[name][0].extend(expected[y][x])
            areas[name][1].extend(shown_rgb[i:i + 3])
    return areas


def psnr(expected, got):
    se = sum((a - b) * (a - b) for a, b in zip(expected, got))
    return 99.0 if se == 0 else 10 * math.log10(255.0 * 255.0 * len(expected) / se)


def case_xor_over_jpeg(lib, photo_png, expected, box_exact):
    x0, y0, w, h = XOR_BOX
    # The photo twice: the first drawing can race the client's start-up (then it gets the
    # canvas, losslessly); the second comes a frame interval later, as JPEG.
    args = ['--image', photo_png, '--image', photo_png, '--image-compression', 'quic',
            '--jpeg-wan-compression', 'always', '--frame-interval', '400',
            '--image-step', 'scroll:%d' % SCROLL,
            '--image-step', 'xor:%d,%d,%d,%d,%06x' % (x0, y0, w, h, XOR_COLOR)]
    with harness.Demo(lib, args, port=free_port()) as demo:
        with SpiceTestClient(port=demo.port, timeout=30) as client:
            client.wait_primary(settle_max=1.0)
            check(demo.proc.wait_line(lambda l: 'step 2 of 2 drawn' in l, 20) is not None,
                  '%s: the demo never drew its steps; stdout %s' % (lib, demo.proc.lines[-5:]))
            client.wait_primary(quiet=0.5, settle_max=2.0)
            client.iterate(0.3)
            width, height, shown = client.primary_rgb()
        demo.check_healthy()
    check((width, height) == (W, H), '%s: primary %dx%d, expected %dx%d' % (lib, width, height, W, H))
    areas = split(expected, shown)
    harness.log('%s: xor box PSNR %.1f dB' % (lib, psnr(*areas['xor box'])))
    for name in ('xor box', 'black rows') if box_exact else ('black rows',):
        want, got = areas[name]
        wrong = sum(1 for i in range(0, len(want), 3) if want[i:i + 3] != got[i:i + 3])
        check(wrong == 0, '%s: %d pixels of the %s differ from the guest\'s picture (PSNR %.1f dB): '
              'a draw landed on JPEG approximations' % (lib, wrong, name, psnr(want, got)))
    want, got = areas['photo']
    quality = psnr(want, got)
    harness.log('%s: scrolled photo PSNR %.1f dB' % (lib, quality))
    check(want != got, '%s: the photo arrived exact: it did not go as JPEG, the test proves nothing'
          % lib)
    check(quality >= MIN_PSNR, '%s: the scrolled photo is at %.1f dB, under %.0f dB'
          % (lib, quality, MIN_PSNR))


if __name__ == '__main__':
    photo = record.picture_photo(W, H, random.Random('lossy-photo'))
    photo_png = os.path.join(harness.work_dir(), 'lossy-photo.png')
    record.write_png(photo_png, photo)
    expected = expected_picture(photo)
    harness.run_cases([
        ('ours: an XOR over a scrolled JPEG photo arrives exact, the photo as JPEG',
         lambda: case_xor_over_jpeg('ours', photo_png, expected, box_exact=True)),
        ('upstream: the same scene sends the photo as JPEG (>= 30 dB, not exact)',
         lambda: case_xor_over_jpeg('upstream', photo_png, expected, box_exact=False)),
    ])
