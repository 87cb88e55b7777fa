#!/usr/bin/env python3
"""fuzz-qxl-parse-seeds: writes valid QXL commands in guest memory as seeds for fuzz-qxl-parse.

Layout of each seed (see fuzz-qxl-parse.c): u8 command type, u8 flags, u16 0, u32 offset, then
guest memory = slot 1 / generation 2 of group 1. Struct layouts follow spice/qxl_dev.h (packed).
Usage: fuzz-qxl-parse-seeds.py OUTPUT_DIR
"""
import os
import struct
import sys

CMD_DRAW, CMD_CURSOR, CMD_MESSAGE, CMD_SURFACE = 1, 3, 4, 5
DRAW_FILL, DRAW_OPAQUE, DRAW_COPY, COPY_BITS = 1, 2, 3, 4
DRAW_BLEND, DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS, DRAW_ROP3 = 5, 6, 7, 8, 9
DRAW_STROKE, DRAW_TEXT, DRAW_TRANSPARENT, DRAW_ALPHA_BLEND, DRAW_COMPOSITE = 10, 11, 12, 13, 14
FMT_1BIT_BE, FMT_8BIT, FMT_24BIT, FMT_32BIT = 2, 5, 7, 8
IMAGE_SURFACE = 104
BITMAP_DIRECT, BITMAP_TOP_DOWN = 1, 4
CLIP_NONE, CLIP_RECTS = 0, 1
BRUSH_SOLID, BRUSH_PATTERN = 1, 2


class Guest:
    """A growing guest memory image with QXLPHYSICAL addresses for slot 1, generation 2."""

    def __init__(self):
        self.mem = bytearray(64)  # nothing at offset 0

    def put(self, blob):
        off = len(self.mem)
        self.mem += blob
        self.mem += b"\0" * (-len(self.mem) % 8)
        return off

    def patch(self, off, blob):
        self.mem[off:off + len(blob)] = blob

    @staticmethod
    def addr(off):
        return (1 << 56) | (2 << 48) | off


def rect(top, left, bottom, right):
    return struct.pack("<4i", top, left, bottom, right)


def chunk(data, next_addr=0):
    return struct.pack("<IQQ", len(data), 0, next_addr) + data


def image(fmt, flags, w, h, stride, palette, data):
    return (struct.pack("<QBBII", 0x100000001, 0, 0, w, h) +
            struct.pack("<BBIIIQQ", fmt, flags, w, h, stride, palette, data))


def no_mask():
    return struct.pack("<BiiQ", 0, 0, 0, 0)


def drawable(dtype, op, bbox=(0, 0, 4, 4), clip_type=CLIP_NONE, clip_addr=0):
    head = struct.pack("<QIBBB", 0x1234, 0, 1, dtype, 0) + rect(0, 0, 0, 0) + rect(*bbox)
    head += struct.pack("<IQI", clip_type, clip_addr, 1000)
    head += struct.pack("<3i", -1, -1, -1) + rect(0, 0, 0, 0) * 3
    assert len(head) == 123
    return head + op.ljust(68, b"\0")


def mask(flags, x, y, bitmap):
    return struct.pack("<BiiQ", flags, x, y, bitmap)


def surface_image(surface_id, w, h):
    return struct.pack("<QBBII", 0x200000001, IMAGE_SURFACE, 0, w, h) + struct.pack("<I", surface_id)


def copy_op(src, w, h):
    return struct.pack("<Q", src) + rect(0, 0, h, w) + struct.pack("<HB", 8, 1) + no_mask()


def seed(cmd_type, guest, off, flags=0):
    return struct.pack("<BBHI", cmd_type, flags, 0, off) + bytes(guest.mem)


def seeds():
    out = {}

    g = Guest()
    data = g.put(bytes(range(64)))
    img = g.put(image(FMT_32BIT, BITMAP_DIRECT | BITMAP_TOP_DOWN, 4, 4, 16, 0, g.addr(data)))
    out["draw-copy-direct"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_COPY, copy_op(g.addr(img), 4, 4))))

    g = Guest()
    rows = bytes(range(36))
    c3 = g.put(chunk(rows[30:]))
    c2 = g.put(chunk(rows[10:30], g.addr(c3)))
    c1 = g.put(chunk(rows[:10], g.addr(c2)))
    img = g.put(image(FMT_24BIT, 0, 3, 3, 12, 0, g.addr(c1)))
    clip = g.put(struct.pack("<I", 2) + chunk(rect(0, 0, 1, 2) + rect(1, 1, 3, 3)))
    out["draw-copy-chunks-clip"] = seed(CMD_DRAW, g, g.put(
        drawable(DRAW_COPY, copy_op(g.addr(img), 3, 3), (0, 0, 3, 3), CLIP_RECTS, g.addr(clip))))

    g = Guest()
    pal = g.put(struct.pack("<QH", 5, 4) + struct.pack("<4I", 0, 0xff, 0xff00, 0xff0000))
    data = g.put(bytes([0, 1, 2, 3] * 2))
    img = g.put(image(FMT_8BIT, BITMAP_DIRECT, 4, 2, 4, g.addr(pal), g.addr(data)))
    opaque = (struct.pack("<Q", g.addr(img)) + rect(0, 0, 2, 4) +
              struct.pack("<IIQ", BRUSH_SOLID, 0x808080, 0) + struct.pack("<HB", 8, 0) + no_mask())
    out["draw-opaque-palette"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_OPAQUE, opaque)))

    g = Guest()
    fill = struct.pack("<IIQ", BRUSH_SOLID, 0x00ff8040, 0) + struct.pack("<H", 8) + no_mask()
    out["draw-fill"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_FILL, fill)))

    # The draw ops beyond FILL/COPY: brushes, masks, surfaces as images, paths, glyph strings.
    g = Guest()
    data = g.put(bytes(range(64)))
    img = g.put(image(FMT_32BIT, BITMAP_DIRECT | BITMAP_TOP_DOWN, 4, 4, 16, 0, g.addr(data)))
    pal = g.put(struct.pack("<QH", 6, 2) + struct.pack("<2I", 0, 0xffffff))
    mbits = g.put(bytes([0xa0, 0x50, 0xa0, 0x50]))
    mimg = g.put(image(FMT_1BIT_BE, BITMAP_DIRECT | BITMAP_TOP_DOWN, 4, 4, 1, g.addr(pal), g.addr(mbits)))
    simg = g.put(surface_image(3, 4, 4))
    rop3 = (struct.pack("<Q", g.addr(img)) + rect(0, 0, 4, 4) +
            struct.pack("<IQii", BRUSH_PATTERN, g.addr(simg), 1, 2)[:20] + struct.pack("<BB", 0xb8, 0) +
            mask(1, 0, 0, g.addr(mimg)))
    out["draw-rop3-pattern-mask"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_ROP3, rop3)))
    blend = struct.pack("<Q", g.addr(simg)) + rect(0, 0, 4, 4) + struct.pack("<HB", 0x20, 0) + no_mask()
    out["draw-blend-surface"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_BLEND, blend)))
    out["draw-invers-mask"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_INVERS, mask(0, 1, 1, g.addr(mimg)))))
    transparent = struct.pack("<Q", g.addr(img)) + rect(0, 0, 4, 4) + struct.pack("<II", 0x0f0e0d0c, 0x0f0e0d)
    out["draw-transparent"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_TRANSPARENT, transparent)))
    alpha = struct.pack("<HBQ", 2, 0x80, g.addr(img)) + rect(0, 0, 2, 2)
    out["draw-alpha-blend"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_ALPHA_BLEND, alpha)))
    transform = g.put(struct.pack("<6I", 0x10000, 0, 0x8000, 0, 0x10000, 0))
    composite = struct.pack("<IQQQQhhhh", 3 | (1 << 8), g.addr(img), g.addr(transform), g.addr(img), 0,
                            1, 1, 0, 0)
    out["draw-composite"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_COMPOSITE, composite)))

    g = Guest()
    segs = (struct.pack("<II", 1 | 16, 4) + struct.pack("<8i", 0, 0, 16, 0, 16, 16, 32, 16) +
            struct.pack("<II", 2 | 8, 1) + struct.pack("<2i", 48, 48))
    path = g.put(struct.pack("<I", len(segs)) + chunk(segs))
    style = g.put(struct.pack("<2i", 32, 16))
    stroke = (struct.pack("<Q", g.addr(path)) + struct.pack("<BBBBiiQ", 8, 0, 0, 2, 0, 0, g.addr(style)) +
              struct.pack("<IIQI", BRUSH_SOLID, 0xff00, 0, 0) + struct.pack("<HH", 8, 8))
    out["draw-stroke-dashed"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_STROKE, stroke)))

    g = Guest()
    glyphs = (struct.pack("<iiiiHH", 1, 3, 0, -3, 9, 3) + bytes([0xff, 0x80] * 3) +
              struct.pack("<iiiiHH", 10, 3, 0, -2, 2, 2) + bytes([0xc0, 0x40]))
    string = g.put(struct.pack("<IHH", len(glyphs), 2, 1) + chunk(glyphs))
    text = (struct.pack("<Q", g.addr(string)) + rect(0, 0, 4, 12) +
            struct.pack("<IIQI", BRUSH_SOLID, 0xffffff, 0, 0) +
            struct.pack("<IIQI", BRUSH_SOLID, 0x000080, 0, 0) + struct.pack("<HH", 8, 8))
    out["draw-text-a1"] = seed(CMD_DRAW, g, g.put(drawable(DRAW_TEXT, text, (0, 0, 4, 12))))

    g = Guest()
    out["draw-copy-bits"] = seed(CMD_DRAW, g, g.put(drawable(COPY_BITS, struct.pack("<ii", 2, 1))))

    g = Guest()
    mem = g.put(bytes(8 * 4 * 4))
    surf = struct.pack("<QIBI", 0x55, 3, 0, 0) + struct.pack("<IIIiQ", 32, 8, 4, -32, g.addr(mem))
    out["surface-create"] = seed(CMD_SURFACE, g, g.put(surf))
    g = Guest()
    out["surface-destroy"] = seed(CMD_SURFACE, g, g.put(struct.pack("<QIBI", 0x56, 3, 1, 0) + bytes(24)))

    g = Guest()
    argb = bytes(range(16))
    shape = g.put(struct.pack("<QHHHHHI", 7, 0, 2, 2, 0, 0, 16) + chunk(argb))
    cmd = struct.pack("<QBhhBQ", 0x77, 0, 10, 20, 1, g.addr(shape)).ljust(150, b"\0")
    out["cursor-set-alpha"] = seed(CMD_CURSOR, g, g.put(cmd))

    g = Guest()
    tail = g.put(chunk(bytes([5, 6, 7])))
    shape = g.put(struct.pack("<QHHHHHI", 8, 1, 10, 2, 1, 1, 8) + chunk(bytes([1, 2, 3, 4, 5]), g.addr(tail)))
    cmd = struct.pack("<QBhhBQ", 0x78, 0, 0, 0, 1, g.addr(shape)).ljust(150, b"\0")
    out["cursor-set-mono-chunks"] = seed(CMD_CURSOR, g, g.put(cmd))

    g = Guest()
    out["cursor-move"] = seed(CMD_CURSOR, g, g.put(struct.pack("<QBhh", 0x79, 1, 300, 200).ljust(150, b"\0")))

    g = Guest()
    heads = struct.pack("<7I", 0, 0, 1024, 768, 0, 0, 0) + struct.pack("<7I", 1, 0, 800, 600, 1024, 0, 0)
    out["monitors-config"] = seed(CMD_MESSAGE, g, g.put(struct.pack("<HH", 2, 4) + heads))

    g = Guest()
    mem = g.put(bytes(16 * 8 * 4))
    out["primary-surface"] = seed(CMD_MESSAGE, g, g.put(struct.pack("<IIIiQ", 32, 16, 8, 64, g.addr(mem))))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, blob in seeds().items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
