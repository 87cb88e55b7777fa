"""displaymsgs: builders of server->client display and cursor message bodies (wire layout of spice.proto), for fuzz seeds and hostile-server tests.

Bodies are little-endian; pointers are u32 offsets from the start of the body, so a Body keeps a
fixed part and appended objects and patches the offsets when it is finished.
"""
import struct

# SPICE_MSG_DISPLAY_* (spice-protocol enums.h)
SURFACE_CREATE, SURFACE_DESTROY = 314, 315
DRAW_FILL, DRAW_OPAQUE, DRAW_COPY, DRAW_BLEND = 302, 303, 304, 305
DRAW_BLACKNESS, DRAW_WHITENESS, DRAW_INVERS, DRAW_ROP3 = 306, 307, 308, 309
DRAW_STROKE, DRAW_TEXT, DRAW_TRANSPARENT, DRAW_ALPHA_BLEND = 310, 311, 312, 313
DRAW_COMPOSITE = 318
COPY_BITS, MARK, RESET, INVAL_LIST = 104, 102, 103, 105
STREAM_CREATE, STREAM_DATA, STREAM_CLIP, STREAM_DESTROY = 122, 123, 124, 125
STREAM_DATA_SIZED, MONITORS_CONFIG = 316, 317

IMG_BITMAP, IMG_LZ_RGB, IMG_GLZ_RGB, IMG_FROM_CACHE, IMG_SURFACE = 0, 101, 102, 103, 104
BMP_1BIT_LE, BMP_1BIT_BE, BMP_32BIT = 1, 2, 8
BMP_TOP_DOWN = 4
ROPD_PUT, ROPD_OR, ROPD_AND, ROPD_XOR = 1 << 3, 1 << 4, 1 << 5, 1 << 6
PATH_BEGIN, PATH_END, PATH_CLOSE, PATH_BEZIER = 1, 2, 8, 16


class Ptr:
    """A placeholder for a u32 offset to an appended object."""

    def __init__(self, data):
        self.data = data


class Body:
    def __init__(self):
        self.parts = []

    def raw(self, b):
        self.parts.append(b)
        return self

    def u8(self, v):
        return self.raw(struct.pack('<B', v & 0xff))

    def u16(self, v):
        return self.raw(struct.pack('<H', v & 0xffff))

    def i16(self, v):
        return self.raw(struct.pack('<h', v))

    def u32(self, v):
        return self.raw(struct.pack('<I', v & 0xffffffff))

    def i32(self, v):
        return self.raw(struct.pack('<i', v))

    def u64(self, v):
        return self.raw(struct.pack('<Q', v))

    def rect(self, left, top, right, bottom):
        return self.i32(top).i32(left).i32(bottom).i32(right)

    def ptr(self, data):
        """A pointer to @data (bytes, or None for NULL), appended after the fixed part."""
        self.parts.append(Ptr(data) if data is not None else struct.pack('<I', 0))
        return self

    def base(self, surface, box, clip=None):
        self.u32(surface).rect(*box)
        if clip is None:
            return self.u8(0)
        self.u8(1).u32(len(clip))
        for r in clip:
            self.rect(*r)
        return self

    def mask(self, bitmap=None, x=0, y=0, flags=0):
        return self.u8(flags).i32(x).i32(y).ptr(bitmap)

    def brush_solid(self, color):
        return self.u8(1).u32(color)

    def brush_pattern(self, image, x=0, y=0):
        return self.u8(2).ptr(image).i32(x).i32(y)

    def bytes(self):
        fixed = sum(4 if isinstance(p, Ptr) else len(p) for p in self.parts)
        out, tail = b'', b''
        for p in self.parts:
            if isinstance(p, Ptr):
                out += struct.pack('<I', fixed + len(tail))
                tail += p.data
            else:
                out += p
        return out + tail


def bitmap32(width, height, pixels=None, image_id=1, flags=0):
    """A top-down 32-bit BITMAP SpiceImage (its palette pointer NULL)."""
    pixels = pixels or [0x00ff0000 + 0x101 * (i % 200) for i in range(width * height)]
    data = b''.join(struct.pack('<I', p) for p in pixels)
    return (struct.pack('<QBBII', image_id, IMG_BITMAP, flags, width, height) +
            struct.pack('<BBIII', BMP_32BIT, BMP_TOP_DOWN, width, height, width * 4) +
            struct.pack('<I', 0) + data)


def mask_bitmap(width, height, rows, image_id=7):
    """A top-down 1BIT_BE BITMAP whose palette follows right after its bits (offset patched by
    the caller is not possible inside an image, so the palette pointer is NULL: peers ignore a
    mask's palette)."""
    stride = (width + 7) // 8
    data = b''.join(bytes(r[:stride]).ljust(stride, b'\0') for r in rows[:height])
    return (struct.pack('<QBBII', image_id, IMG_BITMAP, 0, width, height) +
            struct.pack('<BBIII', BMP_1BIT_BE, BMP_TOP_DOWN, width, height, stride) +
            struct.pack('<I', 0) + data)


def from_cache(image_id, width, height):
    return struct.pack('<QBBII', image_id, IMG_FROM_CACHE, 0, width, height)


def surface_image(surface_id, width, height):
    return struct.pack('<QBBII', 99, IMG_SURFACE, 0, width, height) + struct.pack('<I', surface_id)


def surface_create(surface_id, width, height, fmt=32, primary=True):
    return Body().u32(surface_id).u32(width).u32(height).u32(fmt).u32(1 if primary else 0).bytes()


def draw_fill(surface, box, color, ropd=ROPD_PUT, clip=None, mask=None):
    return Body().base(surface, box, clip).brush_solid(color).u16(ropd).mask(mask).bytes()


def draw_copy(surface, box, image, src_area, ropd=ROPD_PUT, scale=1, mask=None, clip=None):
    return (Body().base(surface, box, clip).ptr(image).rect(*src_area).u16(ropd).u8(scale)
            .mask(mask).bytes())


def draw_opaque(surface, box, image, src_area, color, ropd=ROPD_AND):
    return (Body().base(surface, box).ptr(image).rect(*src_area).brush_solid(color).u16(ropd)
            .u8(1).mask().bytes())


def draw_rop3(surface, box, image, src_area, color, rop3):
    return (Body().base(surface, box).ptr(image).rect(*src_area).brush_solid(color).u8(rop3)
            .u8(1).mask().bytes())


def path(segments):
    """segments: [(flags, [(x, y) in pixels])] -> a Path in 28.4 fixed point."""
    out = struct.pack('<I', len(segments))
    for flags, pts in segments:
        out += struct.pack('<BI', flags, len(pts))
        out += b''.join(struct.pack('<ii', x * 16, y * 16) for x, y in pts)
    return out


def draw_stroke(surface, box, segments, color, ropd=ROPD_PUT, style=None):
    b = Body().base(surface, box).ptr(path(segments))
    if style:
        b.u8(8).u8(len(style)).ptr(b''.join(struct.pack('<i', v * 16) for v in style))
    else:
        b.u8(0)
    return b.brush_solid(color).u16(ropd).u16(ropd).bytes()


def glyph_string(glyphs, bpp=1):
    """glyphs: [(render_x, render_y, width, height, bytes)] with origin 0."""
    flags = {1: 1, 4: 2, 8: 4}[bpp]
    out = struct.pack('<HB', len(glyphs), flags)
    for x, y, w, h, data in glyphs:
        stride = (w * bpp + 7) // 8
        out += struct.pack('<iiiiHH', x, y, 0, 0, w, h) + bytes(data).ljust(stride * h, b'\0')[:stride * h]
    return out


def draw_text(surface, box, glyphs, fore, back_area=None, back=None, bpp=1):
    b = Body().base(surface, box).ptr(glyph_string(glyphs, bpp))
    b.rect(*(back_area or (0, 0, 0, 0)))
    b.brush_solid(fore)
    if back is None:
        b.u8(0)
    else:
        b.brush_solid(back)
    return b.u16(ROPD_PUT).u16(ROPD_PUT).bytes()


def draw_composite(surface, box, image, op=3, transform=None, mask=None):
    flags = op | (1 << 19 if mask else 0) | (1 << 20 if transform else 0)
    b = Body().base(surface, box).u32(flags).ptr(image)
    if mask:
        b.ptr(mask)
    if transform:
        for v in transform:
            b.u32(v)
    return b.i16(0).i16(0).i16(0).i16(0).bytes()


def draw_flat(surface, box, mask=None):
    return Body().base(surface, box).mask(mask).bytes()


def draw_transparent(surface, box, image, src_area, key):
    return Body().base(surface, box).ptr(image).rect(*src_area).u32(key).u32(key).bytes()


def draw_alpha_blend(surface, box, image, src_area, alpha, flags=0):
    return Body().base(surface, box).u8(flags).u8(alpha).ptr(image).rect(*src_area).bytes()


def copy_bits(surface, box, src_x, src_y):
    return Body().base(surface, box).i32(src_x).i32(src_y).bytes()


def stream_data(stream_id, data):
    return struct.pack('<III', stream_id, 0, len(data)) + data


# ---- cursor channel ----
CURSOR_INIT, CURSOR_RESET, CURSOR_SET, CURSOR_MOVE = 101, 102, 103, 104


def cursor_shape(width, height, cursor_type=0, unique=5, flags=2):
    """Cursor: flags u16, header (unique, type, w, h, hot x, y), data (ALPHA: w*h*4 bytes)."""
    data = b'\xff\x80\x40\xc0' * (width * height)
    return struct.pack('<HQBHHHH', flags, unique, cursor_type, width, height, 1, 1) + data


def cursor_init(shape):
    return struct.pack('<hhHHB', 10, 10, 0, 0, 1) + shape


def cursor_set(shape):
    return struct.pack('<hhB', 5, 5, 1) + shape
