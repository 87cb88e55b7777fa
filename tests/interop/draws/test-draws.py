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
sys.path.insert(0, HERE)   # drawscene, also when test-compression-draws.py loads this file
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402
import drawscene  # noqa: E402
from drawscene import WIDTH, HEIGHT, KNOWN_DIFFERENCES, differences, first_diff  # noqa: E402

DRAWS_VM = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.BUILD_DIR, 'tests', 'interop',
                                                               'draws', 'draws-vm')
PORTS = range(harness.port_range(6100, 6119)[0], harness.port_range(6100, 6119)[1] + 1)


def run(lib, live):
    """(canvas rgb, spice-gtk rgb) for one library."""
    port = drawscene.free_port(PORTS)
    tag = lib + ('-live' if live else '')
    dump = os.path.join(harness.work_dir(), 'draws-%s.ppm' % tag)
    proc = drawscene.start_vm(DRAWS_VM, lib, port, dump, live, 'draws-vm-%s' % tag)
    try:
        with SpiceTestClient(port=port, timeout=30) as client:
            client.wait_primary()
            if live:
                drawscene.wait_dumped(proc, tag)
                client.wait_primary()   # until no invalidate for a while: the draws have landed
            gw, gh, got = client.primary_rgb()
            check((gw, gh) == (WIDTH, HEIGHT), 'spice-gtk primary is %dx%d' % (gw, gh))
            client.save_png(os.path.join(harness.work_dir(), 'draws-%s-client.png' % tag))
        w, h, canvas = drawscene.load_ppm(dump)
        check((w, h) == (WIDTH, HEIGHT), 'dump is %dx%d' % (w, h))
        drawscene.check_healthy(proc, lib, lib)
        return canvas, got
    finally:
        proc.stop()


results = {}


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
