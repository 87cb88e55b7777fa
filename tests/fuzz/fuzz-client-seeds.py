#!/usr/bin/python3
"""fuzz-client-seeds: writes the seed corpora of fuzz-client-display, -image, -cursor and -main.

    tests/fuzz/fuzz-client-seeds.py [CORPUS_DIR]   (default: tests/fuzz/corpus)

Display seeds are every draw type as spice.proto lays it out (tests/interop/client/displaymsgs.py,
the builders the hostile-server test uses), one scene per file in the fuzzer's record format
[selector u8][length u16 LE][body]. Image seeds are upstream's recorded images
(tests/data/upstream-images: LZ then GLZ chains against one window, QUIC) plus bitmaps and
cache hits. Cursor seeds: INIT, SET with cache, MOVE, INVAL. Main seeds: INIT, CHANNELS_LIST,
mouse modes, multimedia time, name, uuid, agent messages.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'interop', 'client'))
import displaymsgs as m  # noqa: E402

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus')

# fuzz-client-display.c's TYPES, in order.
DISPLAY_TYPES = [m.SURFACE_CREATE, m.SURFACE_DESTROY, m.DRAW_FILL, m.DRAW_OPAQUE, m.DRAW_COPY,
                 m.DRAW_BLEND, m.DRAW_BLACKNESS, m.DRAW_WHITENESS, m.DRAW_INVERS, m.DRAW_ROP3,
                 m.DRAW_STROKE, m.DRAW_TEXT, m.DRAW_TRANSPARENT, m.DRAW_ALPHA_BLEND,
                 m.DRAW_COMPOSITE, m.COPY_BITS, m.MARK, m.RESET, m.INVAL_LIST]
CURSOR_TYPES = [101, 102, 103, 104, 105, 106, 107, 108]


def records(types, msgs):
    out = b''
    for t, body in msgs:
        out += struct.pack('<BH', types.index(t), len(body)) + body
    return out


def write(name, sub, data):
    d = os.path.join(OUT, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def display_scenes():
    img = m.bitmap32(4, 4)
    cached = m.bitmap32(4, 4, image_id=42, flags=1)   # CACHE_ME
    mask = m.mask_bitmap(8, 8, [[0xaa], [0x55]] * 4)
    glyph = [(2, 10, 8, 8, [0x18, 0x24, 0x42, 0x7e, 0x42, 0x42, 0x42, 0x00])]
    yield 'fill', [(m.DRAW_FILL, m.draw_fill(0, (1, 1, 20, 10), 0xff00ff, m.ROPD_XOR,
                                             clip=[(0, 0, 8, 8), (10, 2, 30, 20)]))]
    yield 'fill-mask', [(m.DRAW_FILL, m.draw_fill(0, (0, 0, 8, 8), 0x00ff00, mask=mask))]
    yield 'copy', [(m.DRAW_COPY, m.draw_copy(0, (2, 2, 6, 6), img, (0, 0, 4, 4)))]
    yield 'copy-scaled-rop', [(m.DRAW_COPY, m.draw_copy(0, (0, 0, 16, 12), img, (0, 0, 4, 4),
                                                        ropd=m.ROPD_OR, scale=0, mask=mask))]
    yield 'cache', [(m.DRAW_COPY, m.draw_copy(0, (0, 0, 4, 4), cached, (0, 0, 4, 4))),
                    (m.DRAW_BLEND, m.draw_copy(0, (4, 4, 8, 8), m.from_cache(42, 4, 4), (0, 0, 4, 4),
                                               ropd=m.ROPD_XOR)),
                    (m.INVAL_LIST, struct.pack('<HBQ', 1, 1, 42))]
    yield 'surface-copy', [(m.DRAW_COPY, m.draw_copy(1, (0, 0, 8, 8), m.surface_image(0, 32, 24),
                                                     (0, 0, 8, 8)))]
    yield 'opaque', [(m.DRAW_OPAQUE, m.draw_opaque(0, (0, 0, 4, 4), img, (0, 0, 4, 4), 0x80ff80))]
    yield 'rop3', [(m.DRAW_ROP3, m.draw_rop3(0, (0, 0, 4, 4), img, (0, 0, 4, 4), 0x123456, 0xb8))]
    yield 'flat', [(m.DRAW_BLACKNESS, m.draw_flat(0, (0, 0, 4, 4))),
                   (m.DRAW_WHITENESS, m.draw_flat(0, (4, 0, 8, 4), mask)),
                   (m.DRAW_INVERS, m.draw_flat(0, (2, 2, 10, 10)))]
    yield 'stroke', [(m.DRAW_STROKE, m.draw_stroke(0, (0, 0, 32, 24),
                                                   [(m.PATH_BEGIN, [(1, 1), (30, 20), (5, 20)]),
                                                    (m.PATH_END | m.PATH_CLOSE, [(2, 3)])],
                                                   0xffffff))]
    yield 'stroke-bezier-dash', [(m.DRAW_STROKE, m.draw_stroke(
        0, (0, 0, 32, 24), [(m.PATH_BEGIN | m.PATH_BEZIER | m.PATH_END,
                             [(0, 0), (10, 30), (20, -10), (31, 23)])], 0xff0000, style=[3, 2]))]
    yield 'text', [(m.DRAW_TEXT, m.draw_text(0, (0, 0, 32, 24), glyph, 0x000000,
                                             back_area=(0, 0, 16, 12), back=0xffffff))]
    yield 'text-a8', [(m.DRAW_TEXT, m.draw_text(0, (0, 0, 32, 24),
                                                [(1, 8, 4, 4, list(range(0, 256, 16)))], 0xff00ff,
                                                bpp=8))]
    yield 'transparent', [(m.DRAW_TRANSPARENT, m.draw_transparent(0, (0, 0, 8, 8), img,
                                                                  (0, 0, 4, 4), 0x00ff0000))]
    yield 'alpha', [(m.DRAW_ALPHA_BLEND, m.draw_alpha_blend(0, (0, 0, 4, 4), img, (0, 0, 4, 4),
                                                            0x80, flags=2))]
    yield 'composite', [(m.DRAW_COMPOSITE, m.draw_composite(
        0, (0, 0, 8, 8), img, op=3, mask=img,
        transform=[1 << 15, 0, 0, 0, 1 << 15, 0]))]
    yield 'surfaces', [(m.SURFACE_CREATE, m.surface_create(5, 10, 10, 32, primary=False)),
                       (m.COPY_BITS, m.copy_bits(5, (0, 0, 5, 5), 3, 3)),
                       (m.SURFACE_DESTROY, struct.pack('<I', 5)),
                       (m.COPY_BITS, m.copy_bits(0, (2, 2, 30, 20), 0, 0)),
                       (m.MARK, b''), (m.RESET, b'')]


def image_seeds():
    yield 'bitmap', [m.bitmap32(3, 2)]
    yield 'cache', [m.bitmap32(2, 2, image_id=9, flags=1), m.from_cache(9, 2, 2)]
    yield 'surface', [m.surface_image(0, 16, 16)]
    rec = os.path.join(ROOT, 'tests', 'data', 'upstream-images')
    if os.path.isdir(rec):
        for session in sorted(os.listdir(rec)):
            d = os.path.join(rec, session)
            if not os.path.isdir(d) or 'photo' in session or 'desktop' in session:
                continue   # the small and text pictures are enough, and keep the seeds small
            imgs = []
            for f in sorted(os.listdir(d)):
                if f.endswith('.bin'):
                    with open(os.path.join(d, f), 'rb') as fh:
                        imgs.append(fh.read())
            if imgs:
                yield session, imgs


def cursor_seeds():
    shape = m.cursor_shape(4, 4)
    yield 'init-set', [(101, m.cursor_init(shape)), (103, m.cursor_set(shape)),
                       (104, struct.pack('<hh', 3, 4))]
    yield 'cache', [(103, m.cursor_set(shape)),
                    (103, struct.pack('<hhBH', 1, 1, 1, 4) + struct.pack('<Q', 5)),
                    (107, struct.pack('<Q', 5)), (108, b''), (105, b''), (102, b'')]


def main_seeds():
    """fuzz-client-main records: [type - 101][length u16][body]."""
    def rec(t, body):
        return struct.pack('<BH', t - 101, len(body)) + body
    yield 'init-list', (rec(103, struct.pack('<8I', 7, 1, 3, 2, 0, 10, 1234, 0)) +
                        rec(104, struct.pack('<I', 3) + bytes([2, 0, 4, 0, 3, 0])))
    yield 'modes-time', rec(105, struct.pack('<HH', 3, 2)) + rec(106, struct.pack('<I', 99))
    yield 'name-uuid', rec(113, struct.pack('<I', 5) + b'test\0') + rec(114, bytes(range(16)))
    yield 'agent', (rec(107, b'') + rec(115, struct.pack('<I', 10)) + rec(110, struct.pack('<I', 3)) +
                    rec(108, struct.pack('<I', 1)) + rec(109, b'\x01\0\0\0' * 5))


def main():
    for name, msgs in display_scenes():
        write(name, 'client-display', records(DISPLAY_TYPES, msgs))
    for name, imgs in image_seeds():
        write(name, 'client-image', b''.join(struct.pack('<H', len(i)) + i for i in imgs))
    for name, msgs in cursor_seeds():
        write(name, 'client-cursor', records(CURSOR_TYPES, msgs))
    for name, data in main_seeds():
        write(name, 'client-main', data)
    print('seeds written under', OUT)


if __name__ == '__main__':
    main()
