#!/usr/bin/python3
"""check-bench-output: runs `bench-codecs --smoke` and asserts its output format and round trips.

    check-bench-output.py BENCH_CODECS_BINARY

Not a speed test: tiny pictures, one repetition. Fails if the benchmark exits non-zero (a codec
failed its own round trip), if a codec line is missing or malformed, or if a speed is not
positive.
"""
import re
import subprocess
import sys

CODECS = ('quic', 'lz', 'glz', 'lz4')
IMAGES = ('gradient', 'text', 'noise', 'text-scrolled', 'ALL')
NUM = r'\s+(\d+\.\d+)'
LINE = re.compile(r'^(\S+)\s+(\w+)\s+\|' + NUM + r'\s+(\S+)\s+(\S+)\s+\|' + NUM +
                  r'\s+(\S+)\s+(\S+)\s+\|\s+(\S+)\s+\|' + NUM + r'\s+(\S+)\s+\|\s+(\S+)$')


def main():
    proc = subprocess.run([sys.argv[1], '--smoke'], capture_output=True, text=True, timeout=50)
    out = proc.stdout
    print(out)
    if proc.returncode != 0:
        sys.exit('bench-codecs --smoke exited %d: %s' % (proc.returncode, proc.stderr))
    if not re.search(r'^memcpy\s+ceiling\s+\d+\.\d+ MP/s$', out, re.M):
        sys.exit('no memcpy ceiling line')
    seen = set()
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        image, codec, enc, _, _, dec, _, _, _, bpp, _, checks = m.groups()
        if float(enc) <= 0 or float(dec) <= 0 or float(bpp) <= 0:
            sys.exit('non-positive number in: ' + line)
        if image != 'ALL' and checks != 'ok':
            sys.exit('check failed in: ' + line)
        seen.add((image, codec))
    missing = [(i, c) for i in IMAGES for c in CODECS if (i, c) not in seen]
    if missing:
        sys.exit('missing lines: %s' % missing)
    # The scrolled copy is what GLZ exists for: it must cost far less than the original.
    glz = {i: float(LINE.match(l).group(10)) for l in out.splitlines()
           if LINE.match(l) and LINE.match(l).group(2) == 'glz' for i in [LINE.match(l).group(1)]}
    if not glz['text-scrolled'] < glz['text'] / 2:
        sys.exit('GLZ did not use the previous image: %s' % glz)
    print('bench-codecs smoke: %d lines checked' % len(seen))


if __name__ == '__main__':
    main()
