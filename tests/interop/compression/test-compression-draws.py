#!/usr/bin/python3
"""test-compression-draws: every QXL draw type of draws-vm with image compression on; spice-gtk equals our canvas.

    test-compression-draws.py PATH/TO/draws-vm

Runs tests/interop/draws/test-draws.py's 'ours' and 'ours-live' cases (spice-gtk's primary
equals the server canvas pixel for pixel) with DRAWS_VM_IMAGE_COMPRESSION set to quic, lz,
auto_lz, glz and auto_glz, so the inline bitmaps of COPY, OPAQUE, BLEND, ROP3, TRANSPARENT and
ALPHA_BLEND (xRGB and ARGB) reach spice-gtk as QUIC, LZ_RGB and GLZ_RGB images. Ports 6140-6159
(compression-helper's range; SPICE_TEST_PORTS overrides).
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402

spec = importlib.util.spec_from_file_location('test_draws',
                                              os.path.join(HERE, '..', 'draws', 'test-draws.py'))
draws = importlib.util.module_from_spec(spec)
spec.loader.exec_module(draws)
draws.PORTS = range(harness.port_range(6140, 6159)[0], harness.port_range(6140, 6159)[1] + 1)
if len(sys.argv) > 1:
    draws.DRAWS_VM = sys.argv[1]

# SpiceImageCompression values (spice/enums.h).
MODES = {'quic': 4, 'lz': 6, 'auto_lz': 3, 'glz': 5, 'auto_glz': 2}


def with_mode(value, case):
    def run_case():
        os.environ['DRAWS_VM_IMAGE_COMPRESSION'] = str(value)
        try:
            case()
        finally:
            del os.environ['DRAWS_VM_IMAGE_COMPRESSION']
    return run_case


if __name__ == '__main__':
    cases = []
    for name, value in MODES.items():
        cases.append(('ours, image-compression=%s' % name, with_mode(value, draws.case_lib('ours'))))
        cases.append(('ours-live, image-compression=%s' % name,
                      with_mode(value, draws.case_lib('ours', True))))
    harness.run_cases(cases)
