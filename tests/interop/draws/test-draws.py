#!/usr/bin/python3
"""test-draws: every QXL draw type; spice-gtk's picture against the server's own canvas, on both libraries.

    test-draws.py PATH/TO/draws-vm

draws-vm issues one frame with every draw type (see draws-vm.c), then dumps the primary's guest
memory after spice_qxl_update_area: that is the server's canvas, what QEMU's screendump shows.
Cases (each twice: the client joining after the frame, and "live": connected before it, so it
gets the draws as messages):
  ours      our library: spice-gtk's primary equals our canvas pixel for pixel
  upstream  Debian's libspice-server.so.1: spice-gtk's primary equals upstream's canvas
            (proves the scene and the harness on the reference)
  agree     spice-gtk's picture on our library equals spice-gtk's picture on upstream's, so our
            rendering and wire agree with upstream's; differences are reported per draw area.
Ports 6100-6119 (draw-helper's range).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

DRAWS_VM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.BUILD_DIR, 'tests', 'interop',
                                                               'draws', 'draws-vm')
PORTS = range(harness.port_range(6100, 6119)[0], harness.port_range(6100, 6119)[1] + 1)
WIDTH, HEIGHT = 320, 240

# The bbox of each draw in draws-vm.c's frame (left, top, right, bottom), to name differences.
AREAS = [
    ('pattern fill', (4, 4, 60, 40)), ('xor fill', (30, 20, 90, 50)),
    ('masked fill', (64, 4, 96, 36)), ('clipped copy', (100, 4, 132, 36)),
    ('rop copy', (140, 4, 172, 36)), ('masked copy', (180, 4, 212, 36)),
    ('scaled copy', (220, 4, 284, 36)), ('opaque', (4, 50, 28, 74)), ('blend', (34, 50, 58, 74)),
    ('rop3 pattern', (64, 50, 88, 74)), ('rop3 solid', (94, 50, 118, 74)),
    ('blackness/whiteness/invers', (124, 50, 168, 74)), ('transparent', (174, 50, 190, 66)),
    ('alpha blend', (196, 50, 220, 74)), ('alpha blend rgba', (226, 50, 250, 74)),
    ('composite over', (256, 50, 280, 74)), ('composite scaled', (286, 50, 318, 82)),
    ('stroke polyline', (0, 80, 100, 140)), ('stroke bezier', (60, 80, 150, 150)),
    ('stroke dashed', (150, 88, 232, 142)), ('text', (236, 90, 316, 110)),
    ('surface copy', (4, 160, 68, 224)), ('surface blend', (76, 160, 108, 192)),
    ('copy bits', (120, 160, 220, 200)),
]


def free_port():
    for port in PORTS:
        if harness.port_is_free(port):
            return port
    raise harness.TestFailure('no free port in 6100-6119')


def load_ppm(path):
    with open(path, 'rb') as f:
        data = f.read()
    parts = data.split(b'\n', 3)
    check(parts[0] == b'P6', '%s is not a binary PPM' % path)
    w, h = (int(v) for v in parts[1].split())
    return w, h, parts[3]


def run(lib, live):
    """(canvas rgb, spice-gtk rgb) for one library."""
    port = free_port()
    tag = lib + ('-live' if live else '')
    dump = os.path.join(harness.work_dir(), 'draws-%s.ppm' % tag)
    if os.path.exists(dump):
        os.unlink(dump)
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = harness.lib_dir(lib)
    if lib == 'upstream':
        env['ASAN_OPTIONS'] = 'detect_leaks=0'
    check(os.access(DRAWS_VM, os.X_OK), '%s is missing: build it (ninja tests/interop/draws/draws-vm)' % DRAWS_VM)
    argv = [DRAWS_VM, '--port', str(port), '--dump', dump] + (['--live'] if live else [])
    proc = harness.Proc('draws-vm-%s' % tag, argv, env=env)
    try:
        def dumped():
            check(proc.wait_line(lambda l: 'dumped' in l, 20) is not None,
                  'draws-vm (%s) did not dump its frame; stderr tail: %s' % (tag, proc.stderr_text()[-2000:]))
        if not live:
            dumped()
        else:
            check(proc.wait_line(lambda l: 'listening on' in l, 20) is not None, 'draws-vm did not start')
        with SpiceTestClient(port=port, timeout=30) as client:
            client.wait_primary()
            if live:
                dumped()
                client.wait_primary()   # until no invalidate for a while: the draws have landed
            gw, gh, got = client.primary_rgb()
            check((gw, gh) == (WIDTH, HEIGHT), 'spice-gtk primary is %dx%d' % (gw, gh))
            client.save_png(os.path.join(harness.work_dir(), 'draws-%s-client.png' % tag))
        w, h, canvas = load_ppm(dump)
        check((w, h) == (WIDTH, HEIGHT), 'dump is %dx%d' % (w, h))
        err = proc.stderr_text()
        for marker in harness.SANITIZER_MARKERS:
            check(marker not in err or lib == 'upstream',
                  'sanitizer report from draws-vm (%s): %s' % (lib, err[err.find(marker) - 200:][:4000]))
        check(proc.alive(), 'draws-vm (%s) died: %s' % (lib, err[-2000:]))
        return canvas, got
    finally:
        proc.stop()


def differences(a, b):
    """Per named area, the number of pixels whose RGB differ; plus those outside every area."""
    out = {}
    for y in range(HEIGHT):
        for x in range(WIDTH):
            i = 3 * (y * WIDTH + x)
            if a[i:i + 3] != b[i:i + 3]:
                names = [n for n, (l, t, r, bt) in AREAS if l <= x < r and t <= y < bt] or ['elsewhere']
                for n in names:
                    out[n] = out.get(n, 0) + 1
    return out


def first_diff(a, b):
    for i in range(0, len(a), 3):
        if a[i:i + 3] != b[i:i + 3]:
            p = i // 3
            return '(%d,%d): %s vs %s' % (p % WIDTH, p // WIDTH, a[i:i + 3].hex(), b[i:i + 3].hex())
    return 'none'


results = {}

# Areas where our picture is known to differ from upstream's, and why. Everything else must agree.
KNOWN_DIFFERENCES = {
    # Upstream draws dashed zero-width lines with X's miWideDash at width 1 (dash lengths measured
    # along the line); we count dash lengths in pixels along the major axis, so the dash phase
    # drifts by a pixel here and there. Same line pixels, different on/off split.
    'stroke dashed': 'dash lengths are counted per major-axis pixel, upstream measures along the line',
}


def case_lib(lib, live=False):
    def run_case():
        canvas, client = run(lib, live)
        results[(lib, live)] = client
        diff = differences(canvas, client)
        check(not diff, '%s library: spice-gtk differs from the server canvas in %s; first %s'
              % (lib, diff, first_diff(canvas, client)))
        log('%s: spice-gtk picture == server canvas (%d pixels)' % (lib, WIDTH * HEIGHT))
    return run_case


def case_agree(live=False):
    return lambda: agree(live)


def agree(live):
    check(('ours', live) in results and ('upstream', live) in results,
          'a library case failed to produce a picture')
    ours, upstream = results[('ours', live)], results[('upstream', live)]
    diff = differences(upstream, ours)
    for name, why in KNOWN_DIFFERENCES.items():
        if name in diff:
            log('known difference in %s (%d pixels): %s' % (name, diff.pop(name), why))
    check(not diff, 'spice-gtk on our library differs from spice-gtk on upstream\'s in %s; first %s '
          '(upstream vs ours)' % (diff, first_diff(upstream, ours)))
    log('spice-gtk shows the same picture on both libraries (outside the known differences)')


if __name__ == '__main__':
    harness.run_cases([('ours', case_lib('ours')), ('upstream', case_lib('upstream')),
                       ('agree', case_agree()),
                       ('ours-live', case_lib('ours', True)), ('upstream-live', case_lib('upstream', True)),
                       ('agree-live', case_agree(True))])
