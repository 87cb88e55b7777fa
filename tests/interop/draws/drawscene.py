"""drawscene: draws-vm's one frame of every QXL draw type, shared by test-draws.py and test-client-draws.py.

What both tests need of the scene: its size, the bbox of each draw (to name differences), the
known differences of our canvas from upstream's, starting draws-vm on one library (it dumps the
server's own picture as a PPM), checking it stayed healthy, and comparing two pictures per area.
"""
import os

import harness
from harness import check

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

# Areas where our canvas (shared by our server and our client) is known to differ from
# upstream's, and why. Everything else must agree.
KNOWN_DIFFERENCES = {
    # Upstream draws dashed zero-width lines with X's miWideDash at width 1 (dash lengths measured
    # along the line); we count dash lengths in pixels along the major axis, so the dash phase
    # drifts by a pixel here and there. Same line pixels, different on/off split.
    'stroke dashed': 'dash lengths are counted per major-axis pixel, upstream measures along the line',
}


def free_port(ports):
    """The first port of @ports (a range) nobody listens on."""
    for port in ports:
        if harness.port_is_free(port):
            return port
    raise harness.TestFailure('no free port in %d-%d' % (ports[0], ports[-1]))


def load_ppm(path):
    """(width, height, RGB bytes) of draws-vm's binary PPM dump."""
    with open(path, 'rb') as f:
        data = f.read()
    parts = data.split(b'\n', 3)
    check(parts[0] == b'P6', '%s is not a binary PPM' % path)
    w, h = (int(v) for v in parts[1].split())
    return w, h, parts[3]


def start_vm(draws_vm, lib, port, dump, live, name):
    """draws-vm on @lib's library, dumping its canvas to @dump (removed first). Live: returns once
    it listens (the frame waits for a display client); else once the frame is dumped."""
    if os.path.exists(dump):
        os.unlink(dump)
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = harness.lib_dir(lib)
    if lib == 'upstream':
        env['ASAN_OPTIONS'] = 'detect_leaks=0'
    check(os.access(draws_vm, os.X_OK), '%s is missing: build it (ninja tests/interop/draws/draws-vm)' % draws_vm)
    argv = [draws_vm, '--port', str(port), '--dump', dump] + (['--live'] if live else [])
    proc = harness.Proc(name, argv, env=env)
    if live:
        check(proc.wait_line(lambda l: 'listening on' in l, 20) is not None, 'draws-vm did not start')
    else:
        wait_dumped(proc, name)
    return proc


def wait_dumped(proc, tag):
    check(proc.wait_line(lambda l: 'dumped' in l, 20) is not None,
          'draws-vm (%s) did not dump its frame; stderr tail: %s' % (tag, proc.stderr_text()[-2000:]))


def check_healthy(proc, lib, tag):
    """No sanitizer report from draws-vm on our library, and it is still running."""
    err = proc.stderr_text()
    for marker in harness.SANITIZER_MARKERS:
        check(marker not in err or lib == 'upstream',
              'sanitizer report from draws-vm (%s): %s' % (tag, err[err.find(marker) - 200:][:4000]))
    check(proc.alive(), 'draws-vm (%s) died: %s' % (tag, err[-2000:]))


def _areas_at(x, y):
    return [n for n, (l, t, r, bt) in AREAS if l <= x < r and t <= y < bt]


def differences(a, b):
    """Per named area, the number of pixels whose RGB differ; plus those outside every area."""
    out = {}
    for i in range(0, min(len(a), len(b)), 3):
        if a[i:i + 3] != b[i:i + 3]:
            p = i // 3
            for n in _areas_at(p % WIDTH, p // WIDTH) or ['elsewhere']:
                out[n] = out.get(n, 0) + 1
    return out


def first_diff(a, b, skip=(), names=('', '')):
    """'(x,y): A vs B' of the first differing pixel outside the areas named in @skip."""
    for i in range(0, len(a), 3):
        if a[i:i + 3] != b[i:i + 3]:
            p = i // 3
            x, y = p % WIDTH, p // WIDTH
            if any(n in skip for n in _areas_at(x, y)):
                continue
            if names[0]:
                return '(%d,%d): %s %s, %s %s' % (x, y, names[0], a[i:i + 3].hex(), names[1], b[i:i + 3].hex())
            return '(%d,%d): %s vs %s' % (x, y, a[i:i + 3].hex(), b[i:i + 3].hex())
    return 'none'
