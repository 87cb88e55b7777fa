#!/usr/bin/python3
"""test-client-draws: every QXL draw type; OUR client's screenshot against spice-gtk's picture, on both libraries.

    test-client-draws.py PATH/TO/draws-vm PATH/TO/spice-viewer [CASE...]

draws-vm (see draws-vm.c) issues one frame with every draw type. Each case runs it twice on one
library: once with our viewer (spice-viewer --headless --screenshot), once with spice-gtk
(SpiceClientGLib via spiceclient.py), and the two pictures must agree pixel for pixel:
  upstream-live  Debian's libspice-server.so.1, clients connected before the frame: upstream
                 forwards the draws as they are (ROP3, STROKE, TEXT, COMPOSITE, masks, brushes,
                 rops, ...), so our client renders each type itself with canvas/.
  upstream       the same, client joining after the frame.
  ours-live      our library (it sends what its own canvas rendered): same pictures.
test-draws.py proves spice-gtk's picture equals the server canvas on each library, so these
cases also pin our client to upstream's canvas. Ports 6380-6389 (clcanvas's range).
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402
import drawscene  # noqa: E402
from drawscene import WIDTH, HEIGHT, KNOWN_DIFFERENCES, differences  # noqa: E402

DRAWS_VM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.BUILD_DIR, 'tests', 'interop',
                                                               'draws', 'draws-vm')
VIEWER = sys.argv[2] if len(sys.argv) > 2 else os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
FIRST, LAST = harness.port_range(6380, 6389)


def start_vm(lib, live, tag):
    port = drawscene.free_port(range(FIRST, LAST + 1))
    dump = os.path.join(harness.work_dir(), 'client-draws-%s.ppm' % tag)
    return drawscene.start_vm(DRAWS_VM, lib, port, dump, live, 'client-draws-vm-%s' % tag), port


def vm_healthy(proc, lib, tag, live):
    if live:
        check(proc.wait_line(lambda l: 'dumped' in l, 20) is not None, 'draws-vm (%s) did not draw' % tag)
    drawscene.check_healthy(proc, lib, tag)


# What upstream's library forwards of draws-vm's frame when the client is there before it: our
# client must have rendered each of these itself (G_MESSAGES_DEBUG names them).
UPSTREAM_LIVE_TYPES = ['DRAW_FILL', 'DRAW_COPY', 'DRAW_OPAQUE', 'DRAW_BLEND', 'DRAW_ROP3',
                       'DRAW_BLACKNESS', 'DRAW_WHITENESS', 'DRAW_INVERS', 'DRAW_TRANSPARENT',
                       'DRAW_ALPHA_BLEND', 'DRAW_COMPOSITE', 'DRAW_STROKE', 'DRAW_TEXT']


def ours(lib, live):
    """Our viewer's screenshot (RGB bytes)."""
    tag = '%s%s-ours' % (lib, '-live' if live else '')
    proc, port = start_vm(lib, live, tag)
    try:
        png = os.path.join(harness.work_dir(), 'client-draws-%s.png' % tag)
        if os.path.exists(png):
            os.unlink(png)
        check(os.access(VIEWER, os.X_OK), '%s is missing: build it (ninja client/spice-viewer)' % VIEWER)
        argv = [VIEWER, '--headless', '--screenshot', png, '--timeout', '25',
                'spice://127.0.0.1:%d' % port]
        log('run: %s' % ' '.join(argv))
        env = dict(os.environ, G_MESSAGES_DEBUG='all')
        run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
        err = run.stderr.decode(errors='replace') + run.stdout.decode(errors='replace')
        rendered = sorted(set(l.split('rendered ', 1)[1].split()[0] for l in err.splitlines()
                              if 'rendered DRAW_' in l))
        log('spice-viewer exit %d; rendered %s' % (run.returncode, ' '.join(rendered)))
        if lib == 'upstream' and live:
            missing = [t for t in UPSTREAM_LIVE_TYPES if t not in rendered]
            check(not missing, 'upstream sent the draws, but our client rendered none of %s' % missing)
        check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report from spice-viewer:\n' + err)
        check(run.returncode == 0, 'spice-viewer failed on the draws (%s, exit %d): %s'
              % (tag, run.returncode, err[-1500:]))
        # Nothing may have been skipped or dropped: the viewer names what it could not draw.
        for words in ('not rendered', 'dropped a malformed', 'does not exist', 'failed'):
            check(words not in err, 'our client could not draw something (%s): %s' % (tag, err[-1500:]))
        vm_healthy(proc, lib, tag, live)
        w, h, rgb = harness.load_rgb(png)
        check((w, h) == (WIDTH, HEIGHT), 'our screenshot is %dx%d' % (w, h))
        return rgb
    finally:
        proc.stop()


def spice_gtk(lib, live):
    tag = '%s%s-gtk' % (lib, '-live' if live else '')
    proc, port = start_vm(lib, live, tag)
    try:
        with SpiceTestClient(port=port, timeout=30) as client:
            client.wait_primary()
            if live:
                vm_healthy(proc, lib, tag, live)
                client.wait_primary()   # until no invalidate for a while: the draws have landed
            w, h, rgb = client.primary_rgb()
            check((w, h) == (WIDTH, HEIGHT), 'spice-gtk primary is %dx%d' % (w, h))
            client.save_png(os.path.join(harness.work_dir(), 'client-draws-%s.png' % tag))
        if not live:
            vm_healthy(proc, lib, tag, live)
        return rgb
    finally:
        proc.stop()


def case(lib, live):
    def run_case():
        mine = ours(lib, live)
        theirs = spice_gtk(lib, live)
        diff = differences(theirs, mine)
        known = {}
        for name, why in KNOWN_DIFFERENCES.items():
            if name in diff:
                known[name] = diff.pop(name)
                log('known difference in %s (%d pixels): %s' % (name, known[name], why))
        first = drawscene.first_diff(theirs, mine, known, ('spice-gtk', 'ours'))
        check(not diff, '%s%s: our client differs from spice-gtk in %s; first %s (pictures in %s)'
              % (lib, ' live' if live else '', diff, first, harness.work_dir()))
        log('%s%s: our screenshot == spice-gtk\'s picture (%d pixels, outside known differences)'
            % (lib, ' live' if live else '', WIDTH * HEIGHT))
    return run_case


CASES = {
    'upstream-live': case('upstream', True),
    'upstream': case('upstream', False),
    'ours-live': case('ours', True),
}

if __name__ == '__main__':
    names = sys.argv[3:] or list(CASES)
    harness.run_cases([(n, CASES[n]) for n in names])
