/* draws-vm: a guest that issues every QXL draw type (and an off-screen surface), through the public API only, then dumps the server's own picture. */
/*
 *   draws-vm --port N --dump FILE.ppm [--live]
 *
 * With --live the frame is queued only once a display client is present (set_client_capabilities),
 * so the client receives the draws as messages instead of the finished picture.
 *
 * Plays QEMU's role like tools/spice-demo-vm (same core and guest RAM helpers), so it runs on
 * our library and on upstream's (LD_LIBRARY_PATH). It queues one frame that uses FILL (solid,
 * pattern, rops, mask), OPAQUE, COPY (plain, clipped, rop, masked, scaled, from a surface), BLEND,
 * BLACKNESS, WHITENESS, INVERS, ROP3, STROKE (lines, bezier, dashes), TEXT (A1 glyphs),
 * TRANSPARENT, ALPHA_BLEND, COMPOSITE and COPY_BITS, some of them inside an off-screen surface
 * that is then copied to the primary. Then spice_qxl_update_area brings the primary's guest
 * memory up to date and the program writes it as a binary PPM to FILE, prints "draws-vm: dumped",
 * and serves clients until SIGTERM.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>
#include <spice.h>

#include "core-glib.h"
#include "guest-ram.h"

#define WIDTH 320
#define HEIGHT 240
#define GROUP_HOST 0
#define GROUP_GUEST 1
#define SLOT_GUEST 1

static GuestRam *ram;
static GMutex ring_lock;
static GQueue ring = G_QUEUE_INIT;        /* of QXLCommandExt* */
static QXLInstance qxl;
static uint64_t next_id = 1;
static size_t primary_offset;
static unsigned released;

/* ---- guest memory ---- */

static void *guest_new(size_t size, QXLPHYSICAL *phys)
{
    size_t offset;
    void *p = guest_ram_alloc(ram, size, &offset);
    if (!p) {
        fprintf(stderr, "draws-vm: guest RAM is full\n");
        exit(1);
    }
    memset(p, 0, size);
    *phys = guest_ram_phys(ram, offset);
    return p;
}

static void push(uint32_t type, QXLPHYSICAL data)
{
    QXLCommandExt *ext = g_new0(QXLCommandExt, 1);
    ext->cmd.type = type;
    ext->cmd.data = data;
    ext->group_id = GROUP_GUEST;
    g_mutex_lock(&ring_lock);
    g_queue_push_tail(&ring, ext);
    g_mutex_unlock(&ring_lock);
}

static QXLRect rect(int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    return (QXLRect){ .top = top, .left = left, .bottom = bottom, .right = right };
}

static QXLDrawable *draw(uint8_t type, uint32_t surface_id, QXLRect bbox, QXLPHYSICAL *phys)
{
    QXLDrawable *d = guest_new(sizeof(*d), phys);
    d->release_info.id = next_id++;
    d->surface_id = surface_id;
    d->effect = QXL_EFFECT_OPAQUE;
    d->type = type;
    d->bbox = bbox;
    d->clip.type = SPICE_CLIP_TYPE_NONE;
    for (int i = 0; i < 3; i++) {
        d->surfaces_dest[i] = -1;
    }
    return d;
}

static void submit(QXLPHYSICAL phys)
{
    push(QXL_CMD_DRAW, phys);
}

/* A top-down DIRECT bitmap of 32-bit pixels (32BIT or RGBA). */
static QXLPHYSICAL bitmap32(uint8_t format, uint32_t w, uint32_t h, const uint32_t *pixels)
{
    QXLPHYSICAL data_phys, image_phys;
    uint32_t *data = guest_new((size_t)w * h * 4, &data_phys);
    memcpy(data, pixels, (size_t)w * h * 4);
    QXLImage *img = guest_new(sizeof(*img), &image_phys);
    img->descriptor.id = next_id++;
    img->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img->descriptor.width = w;
    img->descriptor.height = h;
    img->bitmap.format = format;
    img->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    img->bitmap.x = w;
    img->bitmap.y = h;
    img->bitmap.stride = w * 4;
    img->bitmap.data = data_phys;
    return image_phys;
}

/* A 1-bit big-endian bitmap (palette black / white), for masks: bit = @pattern(x, y). */
static QXLPHYSICAL bitmap1(uint32_t w, uint32_t h, int (*pattern)(int x, int y))
{
    uint32_t stride = (w + 7) / 8;
    QXLPHYSICAL data_phys, pal_phys, image_phys;
    uint8_t *data = guest_new((size_t)stride * h, &data_phys);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            if (pattern((int)x, (int)y)) {
                data[y * stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
            }
        }
    }
    QXLPalette *pal = guest_new(sizeof(QXLPalette) + 8, &pal_phys);
    pal->unique = next_id++;
    pal->num_ents = 2;
    uint32_t ents[2] = { 0x000000, 0xffffff };
    memcpy((uint8_t *)pal + sizeof(QXLPalette), ents, sizeof(ents));
    QXLImage *img = guest_new(sizeof(*img), &image_phys);
    img->descriptor.id = next_id++;
    img->descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img->descriptor.width = w;
    img->descriptor.height = h;
    img->bitmap.format = SPICE_BITMAP_FMT_1BIT_BE;
    img->bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    img->bitmap.x = w;
    img->bitmap.y = h;
    img->bitmap.stride = stride;
    img->bitmap.palette = pal_phys;
    img->bitmap.data = data_phys;
    return image_phys;
}

static QXLPHYSICAL surface_image(uint32_t surface_id, uint32_t w, uint32_t h)
{
    QXLPHYSICAL phys;
    QXLImage *img = guest_new(sizeof(*img), &phys);
    img->descriptor.id = next_id++;
    img->descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    img->descriptor.width = w;
    img->descriptor.height = h;
    img->surface_image.surface_id = surface_id;
    return phys;
}

static int checker(int x, int y) { return ((x / 4) + (y / 4)) % 2; }
static int disc(int x, int y) { return (x - 8) * (x - 8) + (y - 8) * (y - 8) < 49; }
static int stripes(int x, int y) { return (x + y) % 5 < 2; }

static QXLBrush solid(uint32_t color)
{
    return (QXLBrush){ .type = SPICE_BRUSH_TYPE_SOLID, .u.color = color };
}

static QXLBrush pattern(QXLPHYSICAL image, int32_t x, int32_t y)
{
    QXLBrush b = { .type = SPICE_BRUSH_TYPE_PATTERN };
    b.u.pattern.pat = image;
    b.u.pattern.pos.x = x;
    b.u.pattern.pos.y = y;
    return b;
}

static void gradient(uint32_t *px, uint32_t w, uint32_t h, uint32_t seed)
{
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            px[y * w + x] = ((x * 255 / w) << 16) | ((y * 255 / h) << 8) | ((seed * 37 + x * y) & 0xff);
        }
    }
}

/* ---- paths and glyph strings ---- */

static QXLPHYSICAL path(const int32_t *words, uint32_t nwords)
{
    QXLPHYSICAL phys;
    uint32_t bytes = nwords * 4;
    QXLPath *p = guest_new(sizeof(QXLPath) + bytes, &phys);
    p->data_size = bytes;
    p->chunk.data_size = bytes;
    memcpy((uint8_t *)p + sizeof(QXLPath), words, bytes);
    return phys;
}

#define FIX(v) ((int32_t)((v) * 16))

/* A string of @n A1 glyphs, 7x9 each, every one a different pattern, on a baseline. */
static QXLPHYSICAL glyph_string(int n, int x0, int baseline)
{
    const int gw = 7, gh = 9, stride = 1;
    uint32_t bytes = (uint32_t)n * (sizeof(QXLRasterGlyph) + gh * stride);
    QXLPHYSICAL phys;
    QXLString *s = guest_new(sizeof(QXLString) + bytes, &phys);
    s->data_size = bytes;
    s->length = (uint16_t)n;
    s->flags = SPICE_STRING_FLAGS_RASTER_A1;
    s->chunk.data_size = bytes;
    uint8_t *out = (uint8_t *)s + sizeof(QXLString);
    for (int i = 0; i < n; i++) {
        QXLRasterGlyph g = { .render_pos = { x0 + i * 8, baseline }, .glyph_origin = { 0, -gh },
                             .width = gw, .height = gh };
        memcpy(out, &g, sizeof(g));
        out += sizeof(g);
        for (int y = 0; y < gh; y++) {
            uint8_t row = 0;
            for (int x = 0; x < gw; x++) {
                int on = (y == 0 || y == gh - 1 || x == 0 || ((x + y + i) % (i % 3 + 2) == 0));
                if (on) {
                    row |= (uint8_t)(0x80 >> x);
                }
            }
            *out++ = row;
        }
    }
    return phys;
}

/* ---- the frame ---- */

static void queue_frame(void)
{
    QXLPHYSICAL p;
    QXLDrawable *d;
    uint32_t px[64 * 64];

    /* Background, then a pattern fill and rop fills over it. */
    d = draw(QXL_DRAW_FILL, 0, rect(0, 0, WIDTH, HEIGHT), &p);
    d->u.fill.brush = solid(0x00405060);
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    submit(p);
    uint32_t tile[8 * 8];
    for (int i = 0; i < 64; i++) {
        tile[i] = (i / 8 + i % 8) % 2 ? 0x00f0c020 : 0x00203080;
    }
    QXLPHYSICAL tile_img = bitmap32(SPICE_BITMAP_FMT_32BIT, 8, 8, tile);
    d = draw(QXL_DRAW_FILL, 0, rect(4, 4, 60, 40), &p);
    d->u.fill.brush = pattern(tile_img, 3, 5);
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    submit(p);
    d = draw(QXL_DRAW_FILL, 0, rect(30, 20, 90, 50), &p);
    d->u.fill.brush = solid(0x00ff00ff);
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_XOR;
    submit(p);
    d = draw(QXL_DRAW_FILL, 0, rect(64, 4, 96, 36), &p);
    d->u.fill.brush = solid(0x0000ff00);
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    d->u.fill.mask.bitmap = bitmap1(16, 16, disc);
    d->u.fill.mask.pos.x = 0;
    d->u.fill.mask.pos.y = 0;
    submit(p);

    /* COPY: plain with a clip, with a rop, masked, scaled. */
    gradient(px, 32, 32, 1);
    QXLPHYSICAL grad = bitmap32(SPICE_BITMAP_FMT_32BIT, 32, 32, px);
    QXLPHYSICAL clip_phys;
    QXLClipRects *clip = guest_new(sizeof(QXLClipRects) + 2 * sizeof(QXLRect), &clip_phys);
    clip->num_rects = 2;
    clip->chunk.data_size = 2 * sizeof(QXLRect);
    QXLRect clip_rects[2] = { rect(100, 4, 116, 20), rect(120, 20, 132, 36) };
    memcpy((uint8_t *)clip + sizeof(QXLClipRects), clip_rects, sizeof(clip_rects));
    d = draw(QXL_DRAW_COPY, 0, rect(100, 4, 132, 36), &p);
    d->clip.type = SPICE_CLIP_TYPE_RECTS;
    d->clip.data = clip_phys;
    d->u.copy.src_bitmap = grad;
    d->u.copy.src_area = rect(0, 0, 32, 32);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    submit(p);
    d = draw(QXL_DRAW_COPY, 0, rect(140, 4, 172, 36), &p);
    d->u.copy.src_bitmap = grad;
    d->u.copy.src_area = rect(0, 0, 32, 32);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_SRC;
    submit(p);
    d = draw(QXL_DRAW_COPY, 0, rect(180, 4, 212, 36), &p);
    d->u.copy.src_bitmap = grad;
    d->u.copy.src_area = rect(0, 0, 32, 32);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    d->u.copy.mask.bitmap = bitmap1(32, 32, stripes);
    d->u.copy.mask.flags = SPICE_MASK_FLAGS_INVERS;
    submit(p);
    d = draw(QXL_DRAW_COPY, 0, rect(220, 4, 284, 36), &p);
    d->u.copy.src_bitmap = grad;
    d->u.copy.src_area = rect(8, 8, 24, 24);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    d->u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    submit(p);

    /* OPAQUE, BLEND, ROP3 over the background. */
    gradient(px, 24, 24, 2);
    QXLPHYSICAL g24 = bitmap32(SPICE_BITMAP_FMT_32BIT, 24, 24, px);
    d = draw(QXL_DRAW_OPAQUE, 0, rect(4, 50, 28, 74), &p);
    d->u.opaque.src_bitmap = g24;
    d->u.opaque.src_area = rect(0, 0, 24, 24);
    d->u.opaque.brush = solid(0x0080ff80);
    d->u.opaque.rop_descriptor = SPICE_ROPD_OP_AND;
    submit(p);
    d = draw(QXL_DRAW_BLEND, 0, rect(34, 50, 58, 74), &p);
    d->u.blend.src_bitmap = g24;
    d->u.blend.src_area = rect(0, 0, 24, 24);
    d->u.blend.rop_descriptor = SPICE_ROPD_OP_XOR;
    submit(p);
    d = draw(QXL_DRAW_ROP3, 0, rect(64, 50, 88, 74), &p);
    d->u.rop3.src_bitmap = g24;
    d->u.rop3.src_area = rect(0, 0, 24, 24);
    d->u.rop3.brush = pattern(tile_img, 0, 0);
    d->u.rop3.rop3 = 0xb8;
    submit(p);
    d = draw(QXL_DRAW_ROP3, 0, rect(94, 50, 118, 74), &p);
    d->u.rop3.src_bitmap = g24;
    d->u.rop3.src_area = rect(0, 0, 24, 24);
    d->u.rop3.brush = solid(0x00c0c0c0);
    d->u.rop3.rop3 = 0x6c;
    submit(p);

    /* BLACKNESS, WHITENESS, INVERS (masked). */
    d = draw(QXL_DRAW_BLACKNESS, 0, rect(124, 50, 140, 74), &p);
    submit(p);
    d = draw(QXL_DRAW_WHITENESS, 0, rect(144, 50, 160, 74), &p);
    submit(p);
    d = draw(QXL_DRAW_INVERS, 0, rect(124, 58, 168, 70), &p);
    d->u.invers.mask.bitmap = bitmap1(16, 16, checker);
    submit(p);

    /* TRANSPARENT: the key (pure red) keeps the background. */
    for (int i = 0; i < 16 * 16; i++) {
        px[i] = (i % 16 + i / 16) % 3 == 0 ? 0x00ff0000 : 0x000000ff + (uint32_t)i * 0x100;
    }
    d = draw(QXL_DRAW_TRANSPARENT, 0, rect(174, 50, 190, 66), &p);
    d->u.transparent.src_bitmap = bitmap32(SPICE_BITMAP_FMT_32BIT, 16, 16, px);
    d->u.transparent.src_area = rect(0, 0, 16, 16);
    d->u.transparent.src_color = 0x00ff0000;
    d->u.transparent.true_color = 0x00ff0000;
    submit(p);

    /* ALPHA_BLEND: a constant alpha, and a premultiplied RGBA source. */
    gradient(px, 24, 24, 3);
    d = draw(QXL_DRAW_ALPHA_BLEND, 0, rect(196, 50, 220, 74), &p);
    d->u.alpha_blend.alpha = 0x80;
    d->u.alpha_blend.src_bitmap = bitmap32(SPICE_BITMAP_FMT_32BIT, 24, 24, px);
    d->u.alpha_blend.src_area = rect(0, 0, 24, 24);
    submit(p);
    for (int i = 0; i < 24 * 24; i++) {
        uint32_t a = (uint32_t)(i % 24) * 10;
        px[i] = (a << 24) | ((a * 0xff / 255) << 16) | ((a / 2) << 8);   /* premultiplied */
    }
    d = draw(QXL_DRAW_ALPHA_BLEND, 0, rect(226, 50, 250, 74), &p);
    d->u.alpha_blend.alpha = 0xff;
    d->u.alpha_blend.alpha_flags = SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA;
    d->u.alpha_blend.src_bitmap = bitmap32(SPICE_BITMAP_FMT_RGBA, 24, 24, px);
    d->u.alpha_blend.src_area = rect(0, 0, 24, 24);
    submit(p);

    /* COMPOSITE: OVER with an ARGB source, and SRC scaled 2x by a transform. */
    QXLPHYSICAL argb = bitmap32(SPICE_BITMAP_FMT_RGBA, 24, 24, px);
    d = draw(QXL_DRAW_COMPOSITE, 0, rect(256, 50, 280, 74), &p);
    d->u.composite.flags = QXL_OP_OVER;
    d->u.composite.src = argb;
    submit(p);
    QXLPHYSICAL transform_phys;
    QXLTransform *t = guest_new(sizeof(*t), &transform_phys);
    t->t00 = 0x8000;   /* dest pixel x reads source x / 2 */
    t->t11 = 0x8000;
    gradient(px, 16, 16, 4);
    d = draw(QXL_DRAW_COMPOSITE, 0, rect(286, 50, 318, 82), &p);
    d->u.composite.flags = QXL_OP_SOURCE;
    d->u.composite.src = bitmap32(SPICE_BITMAP_FMT_32BIT, 16, 16, px);
    d->u.composite.src_transform = transform_phys;
    submit(p);

    /* STROKE: a closed polyline, a bezier, a dashed line. */
    int32_t poly[] = { SPICE_PATH_BEGIN | SPICE_PATH_END | SPICE_PATH_CLOSE, 4,
                       FIX(10), FIX(90), FIX(60), FIX(95), FIX(50), FIX(130), FIX(14), FIX(120) };
    d = draw(QXL_DRAW_STROKE, 0, rect(0, 80, 100, 140), &p);
    d->u.stroke.path = path(poly, G_N_ELEMENTS(poly));
    d->u.stroke.brush = solid(0x00ffff00);
    d->u.stroke.fore_mode = SPICE_ROPD_OP_PUT;
    d->u.stroke.back_mode = SPICE_ROPD_OP_PUT;
    submit(p);
    int32_t curve[] = { SPICE_PATH_BEGIN | SPICE_PATH_BEZIER | SPICE_PATH_END, 4,
                        FIX(70), FIX(135), FIX(80), FIX(80), FIX(120), FIX(150), FIX(140), FIX(90) };
    d = draw(QXL_DRAW_STROKE, 0, rect(60, 80, 150, 150), &p);
    d->u.stroke.path = path(curve, G_N_ELEMENTS(curve));
    d->u.stroke.brush = solid(0x0000ffff);
    d->u.stroke.fore_mode = SPICE_ROPD_OP_XOR;
    d->u.stroke.back_mode = SPICE_ROPD_OP_PUT;
    submit(p);
    int32_t line[] = { SPICE_PATH_BEGIN | SPICE_PATH_END, 2, FIX(150), FIX(90), FIX(230), FIX(140) };
    QXLPHYSICAL style_phys;
    int32_t *style = guest_new(2 * sizeof(int32_t), &style_phys);
    style[0] = FIX(6);
    style[1] = FIX(3);
    d = draw(QXL_DRAW_STROKE, 0, rect(150, 88, 232, 142), &p);
    d->u.stroke.path = path(line, G_N_ELEMENTS(line));
    d->u.stroke.attr.flags = SPICE_LINE_FLAGS_STYLED;
    d->u.stroke.attr.style_nseg = 2;
    d->u.stroke.attr.style = style_phys;
    d->u.stroke.brush = solid(0x00ffffff);
    d->u.stroke.fore_mode = SPICE_ROPD_OP_PUT;
    d->u.stroke.back_mode = SPICE_ROPD_OP_PUT;
    submit(p);

    /* TEXT: a background box and 8 glyphs. */
    d = draw(QXL_DRAW_TEXT, 0, rect(236, 90, 316, 110), &p);
    d->u.text.str = glyph_string(8, 240, 104);
    d->u.text.back_area = rect(236, 90, 316, 110);
    d->u.text.fore_brush = solid(0x00000000);
    d->u.text.back_brush = solid(0x00e0e0a0);
    d->u.text.fore_mode = SPICE_ROPD_OP_PUT;
    d->u.text.back_mode = SPICE_ROPD_OP_PUT;
    submit(p);

    /* An off-screen surface: filled, written on, copied (and used as a pattern), destroyed. */
    QXLPHYSICAL surf_mem_phys, surf_cmd_phys;
    guest_new(64 * 64 * 4, &surf_mem_phys);
    QXLSurfaceCmd *sc = guest_new(sizeof(*sc), &surf_cmd_phys);
    sc->release_info.id = next_id++;
    sc->surface_id = 1;
    sc->type = QXL_SURFACE_CMD_CREATE;
    sc->u.surface_create.format = SPICE_SURFACE_FMT_32_xRGB;
    sc->u.surface_create.width = 64;
    sc->u.surface_create.height = 64;
    sc->u.surface_create.stride = 64 * 4;
    sc->u.surface_create.data = surf_mem_phys;
    push(QXL_CMD_SURFACE, surf_cmd_phys);
    d = draw(QXL_DRAW_FILL, 1, rect(0, 0, 64, 64), &p);
    d->u.fill.brush = pattern(tile_img, 0, 0);
    d->u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    submit(p);
    d = draw(QXL_DRAW_TEXT, 1, rect(2, 20, 62, 40), &p);
    d->u.text.str = glyph_string(7, 4, 34);
    d->u.text.back_area = rect(2, 20, 62, 40);
    d->u.text.fore_brush = solid(0x00ffffff);
    d->u.text.back_brush = solid(0x00800000);
    d->u.text.fore_mode = SPICE_ROPD_OP_PUT;
    d->u.text.back_mode = SPICE_ROPD_OP_PUT;
    submit(p);
    QXLPHYSICAL surf_img = surface_image(1, 64, 64);
    d = draw(QXL_DRAW_COPY, 0, rect(4, 160, 68, 224), &p);
    d->u.copy.src_bitmap = surf_img;
    d->u.copy.src_area = rect(0, 0, 64, 64);
    d->u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    /* As drivers do: the surfaces a draw reads are named, so the server keeps them meanwhile. */
    d->surfaces_dest[0] = 1;
    d->surfaces_rects[0] = rect(0, 0, 64, 64);
    submit(p);
    d = draw(QXL_DRAW_BLEND, 0, rect(76, 160, 108, 192), &p);
    d->u.blend.src_bitmap = surf_img;
    d->u.blend.src_area = rect(16, 16, 48, 48);
    d->u.blend.rop_descriptor = SPICE_ROPD_OP_OR;
    d->surfaces_dest[0] = 1;
    d->surfaces_rects[0] = rect(16, 16, 48, 48);
    submit(p);

    /* COPY_BITS: the top-left corner moves down. */
    d = draw(QXL_COPY_BITS, 0, rect(120, 160, 220, 200), &p);
    d->u.copy_bits.src_pos.x = 0;
    d->u.copy_bits.src_pos.y = 0;
    submit(p);

    QXLPHYSICAL destroy_phys;
    QXLSurfaceCmd *sd = guest_new(sizeof(*sd), &destroy_phys);
    sd->release_info.id = next_id++;
    sd->surface_id = 1;
    sd->type = QXL_SURFACE_CMD_DESTROY;
    push(QXL_CMD_SURFACE, destroy_phys);
}

/* ---- QXLInterface ---- */

static void iface_attached_worker(QXLInstance *qin) {}
static void iface_set_compression_level(QXLInstance *qin, int level) {}
static void iface_set_mm_time(QXLInstance *qin, uint32_t mm_time) {}

static void iface_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    memset(info, 0, sizeof(*info));
    info->num_memslots_groups = 2;
    info->num_memslots = 8;
    info->memslot_gen_bits = GUEST_RAM_SLOT_GEN_BITS;
    info->memslot_id_bits = GUEST_RAM_SLOT_ID_BITS;
    info->qxl_ram_size = (uint32_t)guest_ram_size(ram);
    info->n_surfaces = 64;
}

static int iface_get_command(QXLInstance *qin, QXLCommandExt *ext)
{
    g_mutex_lock(&ring_lock);
    QXLCommandExt *head = g_queue_pop_head(&ring);
    g_mutex_unlock(&ring_lock);
    if (!head) {
        return 0;
    }
    *ext = *head;
    g_free(head);
    return 1;
}

static int iface_req_cmd_notification(QXLInstance *qin)
{
    g_mutex_lock(&ring_lock);
    int empty = g_queue_is_empty(&ring);
    g_mutex_unlock(&ring_lock);
    return empty;
}

static int iface_get_cursor_command(QXLInstance *qin, QXLCommandExt *ext) { return 0; }
static int iface_req_cursor_notification(QXLInstance *qin) { return 1; }

static void iface_release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
    /* Guest RAM is a bump allocator here: nothing to free, only counted. */
    g_atomic_int_inc((gint *)&released);
}

static void iface_notify_update(QXLInstance *qin, uint32_t update_id) {}
static int iface_flush_resources(QXLInstance *qin) { return 0; }
static void iface_async_complete(QXLInstance *qin, uint64_t cookie) {}
static void iface_update_area_complete(QXLInstance *qin, uint32_t surface_id, QXLRect *rects,
                                       uint32_t num_rects) {}
static gint client_present_flag;

static void iface_set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                          uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
    if (client_present) {
        g_atomic_int_set(&client_present_flag, 1);
    }
}
static int iface_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *mc) { return 0; }

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const QXLInterface qxl_interface = {
    .base = {
        .type = SPICE_INTERFACE_QXL,
        .description = "draws-vm qxl",
        .major_version = SPICE_INTERFACE_QXL_MAJOR,
        .minor_version = SPICE_INTERFACE_QXL_MINOR,
    },
    .attached_worker = iface_attached_worker,
    .set_compression_level = iface_set_compression_level,
    .set_mm_time = iface_set_mm_time,
    .get_init_info = iface_get_init_info,
    .get_command = iface_get_command,
    .req_cmd_notification = iface_req_cmd_notification,
    .release_resource = iface_release_resource,
    .get_cursor_command = iface_get_cursor_command,
    .req_cursor_notification = iface_req_cursor_notification,
    .notify_update = iface_notify_update,
    .flush_resources = iface_flush_resources,
    .async_complete = iface_async_complete,
    .update_area_complete = iface_update_area_complete,
    .set_client_capabilities = iface_set_client_capabilities,
    .client_monitors_config = iface_client_monitors_config,
};
#pragma GCC diagnostic pop

/* ---- main ---- */

static bool write_ppm(const char *path)
{
    char *tmp = g_strconcat(path, ".tmp", NULL);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        fprintf(stderr, "draws-vm: cannot write %s\n", tmp);
        g_free(tmp);
        return false;
    }
    fprintf(f, "P6\n%d %d\n255\n", WIDTH, HEIGHT);
    const uint32_t *mem = (const uint32_t *)(guest_ram_base(ram) + primary_offset);
    for (int i = 0; i < WIDTH * HEIGHT; i++) {
        uint8_t rgb[3] = { (uint8_t)(mem[i] >> 16), (uint8_t)(mem[i] >> 8), (uint8_t)mem[i] };
        fwrite(rgb, 1, 3, f);
    }
    bool ok = fclose(f) == 0 && rename(tmp, path) == 0;
    g_free(tmp);
    return ok;
}

static const char *dump_path;

static gboolean dump_frame(gpointer data)
{
    QXLRect all = rect(0, 0, WIDTH, HEIGHT);
    spice_qxl_update_area(&qxl, 0, &all, NULL, 0, 1);
    if (!write_ppm(dump_path)) {
        exit(1);
    }
    printf("draws-vm: dumped %s (%u commands released)\n", dump_path, g_atomic_int_get((gint *)&released));
    fflush(stdout);
    return G_SOURCE_REMOVE;
}

static gboolean dump_frame(gpointer data);

/* --live: polls (main thread) until a client is present, then draws. */
static gboolean wait_for_client(gpointer data)
{
    if (!g_atomic_int_get(&client_present_flag)) {
        return G_SOURCE_CONTINUE;
    }
    /* Let the client finish its start-up before the draws arrive. */
    g_usleep(300 * 1000);
    queue_frame();
    spice_qxl_wakeup(&qxl);
    g_timeout_add(300, dump_frame, NULL);
    return G_SOURCE_REMOVE;
}

static gboolean on_signal(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
    int port = 0;
    bool live = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--live") == 0) {
            live = true;
        } else if (i + 1 >= argc) {
            break;
        } else if (strcmp(argv[i], "--port") == 0) {
            port = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--dump") == 0) {
            dump_path = argv[++i];
        }
    }
    if (port <= 0 || !dump_path) {
        fprintf(stderr, "usage: draws-vm --port N --dump FILE.ppm\n");
        return 2;
    }
    ram = guest_ram_create(16u << 20, SLOT_GUEST, 0);
    if (!ram || !guest_ram_alloc(ram, (size_t)WIDTH * HEIGHT * 4, &primary_offset)) {
        fprintf(stderr, "draws-vm: no guest RAM\n");
        return 1;
    }
    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, "127.0.0.1", 0);
    spice_server_set_port(server, port);
    spice_server_set_noauth(server);
    /* Raw bitmaps on the wire by default; tests/interop/compression sets
     * DRAWS_VM_IMAGE_COMPRESSION (a SpiceImageCompression value) to run the draws through the
     * server's image encoder. */
    const char *compression = getenv("DRAWS_VM_IMAGE_COMPRESSION");
    spice_server_set_image_compression(server, compression ? (SpiceImageCompression)atoi(compression)
                                                           : SPICE_IMAGE_COMPRESSION_OFF);
    spice_server_set_jpeg_compression(server, SPICE_WAN_COMPRESSION_NEVER);
    spice_server_set_zlib_glz_compression(server, SPICE_WAN_COMPRESSION_NEVER);
    spice_server_set_streaming_video(server, SPICE_STREAM_VIDEO_OFF);
    if (spice_server_init(server, core_glib_interface(g_main_context_default())) != 0) {
        fprintf(stderr, "draws-vm: spice_server_init failed (port %d)\n", port);
        return 1;
    }
    qxl.base.sif = &qxl_interface.base;
    qxl.id = 0;
    if (spice_server_add_interface(server, &qxl.base) != 0) {
        fprintf(stderr, "draws-vm: adding the QXL interface failed\n");
        return 1;
    }
    /* As QEMU's qxl_hard_reset and the guest driver's start. */
    QXLDevMemSlot host = { .slot_group_id = GROUP_HOST, .virt_end = UINTPTR_MAX };
    spice_qxl_add_memslot(&qxl, &host);
    uintptr_t start = (uintptr_t)guest_ram_base(ram);
    QXLDevMemSlot guest = {
        .slot_group_id = GROUP_GUEST, .slot_id = SLOT_GUEST, .generation = 0,
        .virt_start = start, .virt_end = start + guest_ram_size(ram), .addr_delta = start,
    };
    spice_qxl_add_memslot(&qxl, &guest);
    QXLDevSurfaceCreate primary = {
        .width = WIDTH, .height = HEIGHT, .stride = WIDTH * 4,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mouse_mode = 1, .type = QXL_SURF_TYPE_PRIMARY,
        .mem = guest_ram_phys(ram, primary_offset), .group_id = GROUP_GUEST,
    };
    spice_qxl_create_primary_surface(&qxl, 0, &primary);
    spice_server_vm_start(server);
    printf("draws-vm: listening on 127.0.0.1:%d\n", port);
    fflush(stdout);

    if (live) {
        g_timeout_add(50, wait_for_client, NULL);
    } else {
        queue_frame();
        spice_qxl_wakeup(&qxl);
        g_timeout_add(300, dump_frame, NULL);
    }
    g_unix_signal_add(SIGTERM, on_signal, loop);
    g_unix_signal_add(SIGINT, on_signal, loop);
    g_main_loop_run(loop);

    spice_server_vm_stop(server);
    spice_server_remove_interface(&qxl.base);
    spice_server_destroy(server);
    g_main_loop_unref(loop);
    guest_ram_destroy(ram);
    g_queue_clear_full(&ring, g_free);
    return 0;
}
