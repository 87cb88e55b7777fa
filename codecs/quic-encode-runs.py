#!/usr/bin/env python3
# quic-encode-runs.py: writes quic-encode-runs.c (run: python3 codecs/quic-encode-runs.py).
MELC = [0,0,0,0,1,1,1,1,2,2,2,2,3,3,3,3,4,4,5,5,6,6,7,7,8,9,10,11,12,13,14,15]
RUNS = 64
def code(state, run):
    hits = 0
    while run >= (1 << MELC[state]):
        hits += 1
        run -= 1 << MELC[state]
        if state < 31:
            state += 1
    l = MELC[state]
    bits = ((1 << hits) - 1) << (l + 1) | run
    length = hits + 1 + l
    if state > 0:
        state -= 1
    return bits, length, state
maxlen = 0
rows = []
for s in range(32):
    row = []
    for r in range(RUNS):
        b, l, ns = code(s, r)
        maxlen = max(maxlen, l)
        assert b < (1 << 22) and l < 32
        row.append(b | l << 22 | ns << 27)
    rows.append(row)
assert maxlen <= 32  # one put_bits per run
HERE = __import__("os").path.dirname(__import__("os").path.abspath(__file__))
out = ['/* quic-encode-runs: the QUIC run coder\'s output for every run state and run length < 64. */',
       '#include "codecs/quic-encode-runs.h"', '',
       '/* Generated from quic_melc_len (the MELCODE state table): for state s and run r, the hits',
       ' * ("1" per full block of 2^melclen pixels, each raising the state), the "0" and the',
       ' * remainder in melclen bits, and the state after the run (one lower). */',
       'const uint32_t quic_run_codes[QUIC_MELC_STATES][QUIC_RUN_CODES] = {']
for s, row in enumerate(rows):
    out.append('    { /* state %d */' % s)
    for i in range(0, RUNS, 6):
        out.append('        ' + ' '.join('0x%08x,' % v for v in row[i:i+6]))
    out.append('    },')
out.append('};')
open(HERE + "/quic-encode-runs.c", "w").write('\n'.join(out) + '\n')
