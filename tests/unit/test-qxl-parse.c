/* test-qxl-parse: qxl/parse-*.c against fake guest memory: valid commands and every rejection status. */
#include <stddef.h>

#include "test-qxl-guest.h"

#include "qxl/qxl-parse.h"

#define N_SURFACES 16

static QxlParseLimits default_limits(void)
{
    QxlParseLimits l;
    qxl_parse_limits_init(&l, N_SURFACES);
    return l;
}

/* ---- guest object builders -------------------------------------------------------------- */

static uint64_t put_chunk(FakeGuest *g, const void *data, uint32_t size)
{
    uint64_t off = fake_alloc(g, sizeof(QXLDataChunk) + size);
    QXLDataChunk c = { .data_size = size };
    memcpy(fake_ptr(g, off), &c, sizeof(c));
    if (size) {
        memcpy(fake_ptr(g, off + sizeof(QXLDataChunk)), data, size);
    }
    return off;
}

/* Sets next_chunk of the chunk header at @from_header (an offset) to the chunk at @to. */
static void link_chunk(FakeGuest *g, uint64_t from_header, uint64_t to)
{
    QXLPHYSICAL next = fake_addr(to);
    memcpy(fake_ptr(g, from_header + offsetof(QXLDataChunk, next_chunk)), &next, sizeof(next));
}

static uint64_t put_image(FakeGuest *g, uint8_t format, uint8_t flags, uint32_t w, uint32_t h,
                          uint32_t stride, QXLPHYSICAL palette, QXLPHYSICAL data)
{
    QXLImage img;
    memset(&img, 0, sizeof(img));
    img.descriptor.id = UINT64_C(0x0000123400000001);
    img.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img.descriptor.flags = QXL_IMAGE_CACHE;
    img.descriptor.width = w;
    img.descriptor.height = h;
    img.bitmap.format = format;
    img.bitmap.flags = flags;
    img.bitmap.x = w;
    img.bitmap.y = h;
    img.bitmap.stride = stride;
    img.bitmap.palette = palette;
    img.bitmap.data = data;
    return fake_put(g, &img, sizeof(img));
}

static uint64_t put_palette(FakeGuest *g, uint16_t num_ents, const uint32_t *ents)
{
    uint64_t off = fake_alloc(g, sizeof(QXLPalette) + (uint64_t)num_ents * 4);
    QXLPalette p = { .unique = 77, .num_ents = num_ents };
    memcpy(fake_ptr(g, off), &p, sizeof(p));
    if (ents) {
        memcpy(fake_ptr(g, off + sizeof(p)), ents, (size_t)num_ents * 4);
    }
    return off;
}

static QXLDrawable base_drawable(uint8_t type)
{
    QXLDrawable d;
    memset(&d, 0, sizeof(d));
    d.surface_id = 0;
    d.effect = QXL_EFFECT_OPAQUE;
    d.type = type;
    d.bbox = (QXLRect) { .top = 0, .left = 0, .bottom = 3, .right = 4 };
    d.clip.type = SPICE_CLIP_TYPE_NONE;
    d.mm_time = 1234;
    for (int i = 0; i < 3; i++) {
        d.surfaces_dest[i] = -1;
    }
    return d;
}

static QXLDrawable copy_drawable(QXLPHYSICAL image, int32_t w, int32_t h)
{
    QXLDrawable d = base_drawable(QXL_DRAW_COPY);
    d.u.copy.src_bitmap = image;
    d.u.copy.src_area = (QXLRect) { .top = 0, .left = 0, .bottom = h, .right = w };
    d.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    d.u.copy.scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST;
    return d;
}

static QxlStatus parse_draw_put(FakeGuest *g, const QXLDrawable *d, const QxlParseLimits *l,
                                QxlDrawCommand *out, uint64_t *cmd_off)
{
    uint64_t off = fake_put(g, d, sizeof(*d));
    if (cmd_off) {
        *cmd_off = off;
    }
    return qxl_parse_draw(g->slots, FAKE_GROUP, fake_addr(off), 0, l, out);
}

/* A COPY drawable of a w x h image at @data, parsed; returns the status (out cleared on return). */
static QxlStatus parse_copy_of(FakeGuest *g, uint8_t format, uint8_t flags, uint32_t w, uint32_t h,
                               uint32_t stride, QXLPHYSICAL palette, QXLPHYSICAL data,
                               const QxlParseLimits *l)
{
    uint64_t img = put_image(g, format, flags, w, h, stride, palette, data);
    QXLDrawable d = copy_drawable(fake_addr(img), (int32_t)(w > 4 ? 4 : w), (int32_t)(h > 3 ? 3 : h));
    QxlDrawCommand cmd;
    QxlStatus st = parse_draw_put(g, &d, l, &cmd, NULL);
    g_assert_nonnull(cmd.release_info);
    if (st != QXL_STATUS_OK) {
        g_assert_null(cmd.u.copy.src);
    }
    qxl_draw_command_clear(&cmd);
    return st;
}

/* ---- draw: COPY with images ------------------------------------------------------------- */

static void test_copy_direct_bitmap(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    uint8_t pixels[4 * 3 * 4];
    for (size_t i = 0; i < sizeof(pixels); i++) {
        pixels[i] = (uint8_t)i;
    }
    uint64_t data = fake_put(&g, pixels, sizeof(pixels));
    uint64_t img = put_image(&g, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN,
                             4, 3, 16, 0, fake_addr(data));
    QXLDrawable d = copy_drawable(fake_addr(img), 4, 3);
    d.u.copy.src_area = (QXLRect) { .top = 1, .left = 1, .bottom = 3, .right = 4 };
    QxlDrawCommand cmd;
    uint64_t cmd_off;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, &cmd_off), ==, QXL_STATUS_OK);

    g_assert_true((void *)cmd.release_info == fake_ptr(&g, cmd_off));
    g_assert_cmpuint(cmd.type, ==, QXL_DRAW_COPY);
    g_assert_cmpuint(cmd.surface_id, ==, 0);
    g_assert_cmpuint(cmd.effect, ==, QXL_EFFECT_OPAQUE);
    g_assert_cmpuint(cmd.mm_time, ==, 1234);
    g_assert_cmpint(cmd.bbox.right, ==, 4);
    g_assert_cmpint(cmd.bbox.bottom, ==, 3);
    g_assert_cmpuint(cmd.clip.type, ==, SPICE_CLIP_TYPE_NONE);
    g_assert_cmpint(cmd.surfaces_dest[2], ==, -1);
    const QxlImage *src = cmd.u.copy.src;
    g_assert_nonnull(src);
    g_assert_cmpuint(src->id, ==, UINT64_C(0x0000123400000001));
    g_assert_cmpuint(src->type, ==, SPICE_IMAGE_TYPE_BITMAP);
    g_assert_cmpuint(src->flags, ==, QXL_IMAGE_CACHE);
    g_assert_cmpuint(src->width, ==, 4);
    g_assert_cmpuint(src->height, ==, 3);
    g_assert_cmpuint(src->format, ==, SPICE_BITMAP_FMT_32BIT);
    g_assert_cmpuint(src->stride, ==, 16);
    g_assert_false(src->has_palette);
    g_assert_cmpmem(src->data, src->data_size, pixels, sizeof(pixels));
    g_assert_cmpint(cmd.u.copy.src_area.left, ==, 1);
    g_assert_cmpuint(cmd.u.copy.rop_descriptor, ==, SPICE_ROPD_OP_PUT);
    g_assert_cmpuint(cmd.u.copy.scale_mode, ==, SPICE_IMAGE_SCALE_MODE_NEAREST);
    g_assert_cmpuint(cmd.u.copy.brush.type, ==, SPICE_BRUSH_TYPE_NONE);

    /* Our copy is ours: the guest rewriting its memory changes nothing. */
    memset(fake_ptr(&g, data), 0xAA, sizeof(pixels));
    g_assert_cmpmem(src->data, src->data_size, pixels, sizeof(pixels));
    qxl_draw_command_clear(&cmd);
    g_assert_null(cmd.u.copy.src);
    qxl_draw_command_clear(NULL);
    fake_guest_finish(&g);
}

/* 3x3 24-bit, stride 12 (3 pad bytes), bottom-up, in 3 chunks of 10 + 20 + 6 bytes. */
static uint8_t guest_rows_24[36];

static void fill_guest_rows_24(void)
{
    for (int row = 0; row < 3; row++) {
        for (int b = 0; b < 12; b++) {
            guest_rows_24[row * 12 + b] = b < 9 ? (uint8_t)((row + 1) * 16 + b) : 0xEE;
        }
    }
}

static uint64_t put_chain_24(FakeGuest *g, uint64_t *a, uint64_t *b, uint64_t *c)
{
    fill_guest_rows_24();
    *a = put_chunk(g, guest_rows_24, 10);
    *b = put_chunk(g, guest_rows_24 + 10, 20);
    *c = put_chunk(g, guest_rows_24 + 30, 6);
    link_chunk(g, *a, *b);
    link_chunk(g, *b, *c);
    return *a;
}

static void test_copy_chunked_bottom_up(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    uint64_t a, b, c;
    put_chain_24(&g, &a, &b, &c);
    uint64_t img = put_image(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a));
    QXLDrawable d = copy_drawable(fake_addr(img), 3, 3);
    QxlDrawCommand cmd;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    const QxlImage *src = cmd.u.copy.src;
    g_assert_cmpuint(src->stride, ==, 9);       /* tightened */
    g_assert_cmpuint(src->data_size, ==, 27);
    for (int y = 0; y < 3; y++) {               /* top-down: first row = last guest row */
        g_assert_cmpmem(src->data + y * 9, 9, guest_rows_24 + (2 - y) * 12, 9);
    }
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_chunk_chain_errors(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    uint64_t a, b, c;

    /* a -> b -> a */
    put_chain_24(&g, &a, &b, &c);
    link_chunk(&g, b, a);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_CHUNK_LOOP);
    /* a -> a, with no data at all */
    a = put_chunk(&g, NULL, 0);
    link_chunk(&g, a, a);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_CHUNK_LOOP);

    /* Shorter: 10 + 20 = 30 of 36 bytes. */
    put_chain_24(&g, &a, &b, &c);
    QXLPHYSICAL none = 0;
    memcpy(fake_ptr(&g, b + offsetof(QXLDataChunk, next_chunk)), &none, sizeof(none));
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_DATA_SIZE_MISMATCH);
    /* Longer: a fourth chunk of 4 bytes. */
    put_chain_24(&g, &a, &b, &c);
    uint64_t extra = put_chunk(&g, "abcd", 4);
    link_chunk(&g, c, extra);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_DATA_SIZE_MISMATCH);
    /* One chunk claiming more than the image needs. */
    a = put_chunk(&g, guest_rows_24, 36);
    uint32_t big = 37;
    memcpy(fake_ptr(&g, a), &big, sizeof(big));
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_DATA_SIZE_MISMATCH);

    /* Three links with a limit of two. */
    put_chain_24(&g, &a, &b, &c);
    QxlParseLimits two = l;
    two.max_chunks = 2;
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &two), ==,
                    QXL_STATUS_TOO_MANY_CHUNKS);
    two.max_chunks = 3;
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &two), ==,
                    QXL_STATUS_OK);

    /* A link into an inactive slot, and a chunk whose data runs past the slot end. */
    put_chain_24(&g, &a, &b, &c);
    QXLPHYSICAL elsewhere = fake_addr_in(FAKE_SLOT + 1, FAKE_GENERATION, 64);
    memcpy(fake_ptr(&g, b + offsetof(QXLDataChunk, next_chunk)), &elsewhere, sizeof(elsewhere));
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(a), &l), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    uint64_t tail = FAKE_SIZE - sizeof(QXLDataChunk) - 16;
    QXLDataChunk at_end = { .data_size = 36 };
    memcpy(fake_ptr(&g, tail), &at_end, sizeof(at_end));
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_24BIT, 0, 3, 3, 12, 0, fake_addr(tail), &l),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    fake_guest_finish(&g);
}

static void test_bitmap_geometry_errors(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    uint64_t data = fake_alloc(&g, 4096);
    QXLPHYSICAL d = fake_addr(data);
    const uint8_t flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;

    /* Stride smaller than width * 4 bytes. */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 4, 3, 15, 0, d, &l), ==,
                    QXL_STATUS_BAD_SIZE);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 4, 3, 16, 0, d, &l), ==,
                    QXL_STATUS_OK);
    /* 1-bit rows round up to bytes: 9 pixels need 2 bytes. */
    uint32_t two_ents[2] = { 0, 0xffffff };
    QXLPHYSICAL pal = fake_addr(put_palette(&g, 2, two_ents));
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_1BIT_BE, flags, 9, 3, 1, pal, d, &l), ==,
                    QXL_STATUS_BAD_SIZE);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_1BIT_BE, flags, 9, 3, 2, pal, d, &l), ==,
                    QXL_STATUS_OK);
    /* Width x height far beyond the caps (65536 x 65536 x 4 would be 16 GiB). */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 65536, 65536, 262144, 0, d, &l),
                    ==, QXL_STATUS_TOO_LARGE);
    /* Within the dimension cap, but stride * height over 256 MiB. */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 16384, 16384, 65536, 0, d, &l),
                    ==, QXL_STATUS_TOO_LARGE);
    /* A huge stride on a tiny image is caught by the byte cap, not by reading past the slot. */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 1, 2, 0xFFFFFFFF, 0, d, &l),
                    ==, QXL_STATUS_TOO_LARGE);
    /* Image bigger than the slot has room for. */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 1024, 1024, 4096, 0, d, &l),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    /* Zero sizes, unknown format, null data. */
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 0, 3, 16, 0, d, &l), ==,
                    QXL_STATUS_BAD_SIZE);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_INVALID, flags, 4, 3, 16, 0, d, &l), ==,
                    QXL_STATUS_BAD_FORMAT);
    g_assert_cmpint(parse_copy_of(&g, 42, flags, 4, 3, 16, 0, d, &l), ==, QXL_STATUS_BAD_FORMAT);
    g_assert_cmpint(parse_copy_of(&g, SPICE_BITMAP_FMT_32BIT, flags, 4, 3, 16, 0, 0, &l), ==,
                    QXL_STATUS_NULL_POINTER);

    /* bitmap.x disagreeing with the descriptor. */
    uint64_t img = put_image(&g, SPICE_BITMAP_FMT_32BIT, flags, 4, 3, 16, 0, d);
    uint32_t wider = 5;
    memcpy(fake_ptr(&g, img + offsetof(QXLImage, bitmap) + offsetof(QXLBitmap, x)), &wider, 4);
    QxlImage image;
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &image), ==,
                    QXL_STATUS_BAD_SIZE);
    g_assert_null(image.data);
    qxl_image_clear(&image);
    fake_guest_finish(&g);
}

static void test_image_types(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QXLImage img;
    memset(&img, 0, sizeof(img));
    img.descriptor.width = img.descriptor.height = 1;
    QxlImage out;

    img.descriptor.type = SPICE_IMAGE_TYPE_QUIC;
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(fake_put(&g, &img, sizeof(img))), 0,
                                    &l, &out), ==, QXL_STATUS_UNSUPPORTED);
    g_assert_cmpuint(out.type, ==, SPICE_IMAGE_TYPE_QUIC);
    img.descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    img.surface_image.surface_id = 3;
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(fake_put(&g, &img, sizeof(img))), 0,
                                    &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.type, ==, SPICE_IMAGE_TYPE_SURFACE);
    g_assert_cmpuint(out.surface_id, ==, 3);
    g_assert_null(out.data);
    img.surface_image.surface_id = N_SURFACES;
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(fake_put(&g, &img, sizeof(img))), 0,
                                    &l, &out), ==, QXL_STATUS_BAD_SURFACE_ID);
    img.descriptor.type = SPICE_IMAGE_TYPE_LZ_RGB;  /* server-side encodings are not guest input */
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(fake_put(&g, &img, sizeof(img))), 0,
                                    &l, &out), ==, QXL_STATUS_BAD_TYPE);
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, 0, 0, &l, &out), ==, QXL_STATUS_NULL_POINTER);
    /* A bitmap descriptor whose bitmap part runs past the slot end. */
    uint64_t tail = FAKE_SIZE - sizeof(QXLImageDescriptor) - 4;
    img.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    memcpy(fake_ptr(&g, tail), &img.descriptor, sizeof(img.descriptor));
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(tail), 0, &l, &out), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    fake_guest_finish(&g);
}

static void test_palette_bitmap(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    const uint32_t ents[3] = { 0x000000, 0xff0000, 0x00ff00 };
    uint64_t pal = put_palette(&g, 3, ents);
    /* 3x2 8-bit, stride 4, bottom-up. */
    const uint8_t rows[8] = { 2, 1, 0, 9, /* bottom */ 0, 1, 2, 9 /* top */ };
    uint64_t data = fake_put(&g, rows, sizeof(rows));
    uint64_t img = put_image(&g, SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_DIRECT, 3, 2, 4, fake_addr(pal),
                             fake_addr(data));
    QxlImage out;
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &out), ==,
                    QXL_STATUS_OK);
    g_assert_true(out.has_palette);
    g_assert_cmpuint(out.palette.unique, ==, 77);
    g_assert_cmpuint(out.palette.num_ents, ==, 3);
    g_assert_cmpuint(out.palette.ents[1], ==, 0xff0000);
    g_assert_cmpuint(out.palette.ents[2], ==, 0x00ff00);
    g_assert_cmpuint(out.palette.ents[3], ==, 0);
    g_assert_cmpuint(out.palette.ents[255], ==, 0);
    g_assert_cmpuint(out.stride, ==, 3);
    const uint8_t expect[6] = { 0, 1, 2, 2, 1, 0 };
    g_assert_cmpmem(out.data, out.data_size, expect, sizeof(expect));
    qxl_image_clear(&out);
    g_assert_null(out.data);

    /* Palette format without a palette; a palette too big; a palette past the slot end. */
    img = put_image(&g, SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_DIRECT, 3, 2, 4, 0, fake_addr(data));
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &out), ==,
                    QXL_STATUS_MISSING_PALETTE);
    uint64_t huge = put_palette(&g, 300, NULL);
    img = put_image(&g, SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_DIRECT, 3, 2, 4, fake_addr(huge),
                    fake_addr(data));
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &out), ==,
                    QXL_STATUS_TOO_LARGE);
    uint64_t tail = FAKE_SIZE - sizeof(QXLPalette) - 8;
    QXLPalette header = { .unique = 1, .num_ents = 3 };
    memcpy(fake_ptr(&g, tail), &header, sizeof(header));
    img = put_image(&g, SPICE_BITMAP_FMT_8BIT, QXL_BITMAP_DIRECT, 3, 2, 4, fake_addr(tail),
                    fake_addr(data));
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &out), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    /* 8BIT_A is alpha only: no palette needed. */
    img = put_image(&g, SPICE_BITMAP_FMT_8BIT_A, QXL_BITMAP_DIRECT, 3, 2, 4, 0, fake_addr(data));
    g_assert_cmpint(qxl_parse_image(g.slots, FAKE_GROUP, fake_addr(img), 0, &l, &out), ==,
                    QXL_STATUS_OK);
    g_assert_false(out.has_palette);
    qxl_image_clear(&out);
    fake_guest_finish(&g);
}

/* ---- draw: other ops and drawable fields -------------------------------------------------- */

static void test_fill(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlDrawCommand cmd;
    QXLDrawable d = base_drawable(QXL_DRAW_FILL);
    d.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.fill.brush.u.color = 0x00336699;
    d.u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.type, ==, QXL_DRAW_FILL);
    g_assert_cmpuint(cmd.u.fill.brush.type, ==, SPICE_BRUSH_TYPE_SOLID);
    g_assert_cmpuint(cmd.u.fill.brush.color, ==, 0x00336699);
    g_assert_cmpuint(cmd.u.fill.rop_descriptor, ==, SPICE_ROPD_OP_PUT);
    qxl_draw_command_clear(&cmd);

    d.u.fill.brush.type = SPICE_BRUSH_TYPE_PATTERN;   /* with a NULL pattern image */
    d.u.fill.brush.u.pattern.pat = 0;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_NULL_POINTER);
    qxl_draw_command_clear(&cmd);
    d.u.fill.brush.u.color = 0x00336699;
    d.u.fill.brush.type = 17;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    d.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    /* zeroes: a BITMAP (type 0) of format INVALID */
    d.u.fill.mask.bitmap = fake_addr(fake_alloc(&g, sizeof(QXLImage)));
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_FORMAT);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_opaque_and_copy_checks(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    uint64_t data = fake_alloc(&g, 48);
    uint64_t img = put_image(&g, SPICE_BITMAP_FMT_32BIT, QXL_BITMAP_DIRECT, 4, 3, 16, 0,
                             fake_addr(data));
    QxlDrawCommand cmd;

    QXLDrawable d = base_drawable(QXL_DRAW_OPAQUE);
    d.u.opaque.src_bitmap = fake_addr(img);
    d.u.opaque.src_area = (QXLRect) { .top = 0, .left = 0, .bottom = 3, .right = 4 };
    d.u.opaque.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.opaque.brush.u.color = 0xabcdef;
    d.u.opaque.rop_descriptor = SPICE_ROPD_OP_PUT;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.type, ==, QXL_DRAW_OPAQUE);
    g_assert_cmpuint(cmd.u.copy.brush.color, ==, 0xabcdef);
    g_assert_cmpuint(cmd.u.copy.src->width, ==, 4);
    qxl_draw_command_clear(&cmd);

    /* src_area one pixel past the image, and inverted. */
    QXLDrawable c = copy_drawable(fake_addr(img), 4, 3);
    c.u.copy.src_area.right = 5;
    g_assert_cmpint(parse_draw_put(&g, &c, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    g_assert_null(cmd.u.copy.src);
    qxl_draw_command_clear(&cmd);
    c.u.copy.src_area = (QXLRect) { .top = 2, .left = 0, .bottom = 1, .right = 4 };
    g_assert_cmpint(parse_draw_put(&g, &c, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);
    c = copy_drawable(fake_addr(img), 4, 3);
    c.u.copy.src_area.top = -1;
    g_assert_cmpint(parse_draw_put(&g, &c, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);
    /* A mask that is not a 1-bit bitmap, and an unknown scale mode. */
    c = copy_drawable(fake_addr(img), 4, 3);
    c.u.copy.mask.bitmap = fake_addr(img);
    g_assert_cmpint(parse_draw_put(&g, &c, &l, &cmd, NULL), ==, QXL_STATUS_BAD_FORMAT);
    qxl_draw_command_clear(&cmd);
    c = copy_drawable(fake_addr(img), 4, 3);
    c.u.copy.scale_mode = 2;
    g_assert_cmpint(parse_draw_put(&g, &c, &l, &cmd, NULL), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_copy_bits(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlDrawCommand cmd;
    QXLDrawable d = base_drawable(QXL_COPY_BITS);
    d.u.copy_bits.src_pos = (QXLPoint) { .x = -3, .y = 5 };
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.type, ==, QXL_COPY_BITS);
    g_assert_cmpint(cmd.u.copy_bits.src_x, ==, -3);
    g_assert_cmpint(cmd.u.copy_bits.src_y, ==, 5);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

/* QXLClipRects with its first chunk inline: num_rects, chunk header, then the rects. */
static uint64_t put_clip_rects(FakeGuest *g, uint32_t num_rects, uint32_t inline_rects,
                               const QXLRect *rects, uint64_t *inline_chunk)
{
    uint64_t off = fake_alloc(g, sizeof(QXLClipRects) + inline_rects * sizeof(QXLRect));
    QXLClipRects header = { .num_rects = num_rects };
    header.chunk.data_size = inline_rects * sizeof(QXLRect);
    memcpy(fake_ptr(g, off), &header, sizeof(header));
    memcpy(fake_ptr(g, off + sizeof(header)), rects, inline_rects * sizeof(QXLRect));
    *inline_chunk = off + offsetof(QXLClipRects, chunk);
    return off;
}

static void test_clip_rects(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlDrawCommand cmd;
    const QXLRect rects[3] = {
        { .top = 0, .left = 0, .bottom = 1, .right = 2 },
        { .top = 1, .left = 1, .bottom = 3, .right = 4 },
        { .top = 2, .left = 3, .bottom = 2, .right = 3 },  /* empty is fine */
    };
    /* Two rects inline, the third in a second chunk. */
    uint64_t inline_chunk;
    uint64_t clip = put_clip_rects(&g, 3, 2, rects, &inline_chunk);
    link_chunk(&g, inline_chunk, put_chunk(&g, &rects[2], sizeof(QXLRect)));
    QXLDrawable d = base_drawable(QXL_COPY_BITS);
    d.clip.type = SPICE_CLIP_TYPE_RECTS;
    d.clip.data = fake_addr(clip);
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.clip.type, ==, SPICE_CLIP_TYPE_RECTS);
    g_assert_cmpuint(cmd.clip.num_rects, ==, 3);
    g_assert_cmpint(cmd.clip.rects[1].right, ==, 4);
    g_assert_cmpint(cmd.clip.rects[2].top, ==, 2);
    qxl_draw_command_clear(&cmd);
    g_assert_null(cmd.clip.rects);

    /* Zero rects: valid, clips everything. */
    d.clip.data = fake_addr(put_clip_rects(&g, 0, 0, rects, &inline_chunk));
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.clip.num_rects, ==, 0);
    g_assert_null(cmd.clip.rects);
    qxl_draw_command_clear(&cmd);

    /* Count says 3, chain holds 2. */
    d.clip.data = fake_addr(put_clip_rects(&g, 3, 2, rects, &inline_chunk));
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_draw_command_clear(&cmd);
    /* An inverted rect. */
    const QXLRect bad = { .top = 0, .left = 5, .bottom = 1, .right = 4 };
    d.clip.data = fake_addr(put_clip_rects(&g, 1, 1, &bad, &inline_chunk));
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    g_assert_null(cmd.clip.rects);
    qxl_draw_command_clear(&cmd);
    /* More rects than the limit (nothing is read or allocated for them). */
    d.clip.data = fake_addr(put_clip_rects(&g, 0x7fffffff, 0, rects, &inline_chunk));
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_TOO_LARGE);
    qxl_draw_command_clear(&cmd);
    /* Unknown clip type; rects clip without data. */
    d.clip.type = 2;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    d.clip.type = SPICE_CLIP_TYPE_RECTS;
    d.clip.data = 0;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_NULL_POINTER);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_drawable_fields(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlDrawCommand cmd;
    QXLDrawable d;

    /* Surface ids: the target and the dependencies. */
    d = base_drawable(QXL_COPY_BITS);
    d.surface_id = N_SURFACES;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_SURFACE_ID);
    g_assert_nonnull(cmd.release_info);   /* the worker still releases it */
    g_assert_cmpuint(cmd.surface_id, ==, N_SURFACES);
    qxl_draw_command_clear(&cmd);
    d.surface_id = N_SURFACES - 1;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    qxl_draw_command_clear(&cmd);
    d = base_drawable(QXL_COPY_BITS);
    d.surfaces_dest[1] = N_SURFACES;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_SURFACE_ID);
    qxl_draw_command_clear(&cmd);
    d.surfaces_dest[1] = -2;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_SURFACE_ID);
    qxl_draw_command_clear(&cmd);
    d.surfaces_dest[1] = 3;
    d.surfaces_rects[1] = (QXLRect) { .top = 0, .left = 0, .bottom = 10, .right = 10 };
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_OK);
    g_assert_cmpint(cmd.surfaces_dest[1], ==, 3);
    g_assert_cmpint(cmd.surfaces_rects[1].right, ==, 10);
    qxl_draw_command_clear(&cmd);
    d.surfaces_rects[1].left = 11;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);

    /* bbox, effect, self bitmap area. */
    d = base_drawable(QXL_COPY_BITS);
    d.bbox.left = 5;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);
    d = base_drawable(QXL_COPY_BITS);
    d.effect = QXL_EFFECT_OPAQUE_BRUSH + 1;
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    d = base_drawable(QXL_COPY_BITS);
    d.self_bitmap = 1;
    d.self_bitmap_area = (QXLRect) { .top = 3, .left = 0, .bottom = 2, .right = 1 };
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);

    /* Types: a stroke without a path, NOP, and unknown. */
    d = base_drawable(QXL_DRAW_STROKE);
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_NULL_POINTER);
    g_assert_cmpuint(cmd.type, ==, QXL_DRAW_STROKE);
    qxl_draw_command_clear(&cmd);
    d = base_drawable(QXL_DRAW_NOP);
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_UNSUPPORTED);
    qxl_draw_command_clear(&cmd);
    d = base_drawable(QXL_DRAW_COMPOSITE + 1);
    g_assert_cmpint(parse_draw_put(&g, &d, &l, &cmd, NULL), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);

    /* Compat layout: unsupported, but releasable. */
    d = base_drawable(QXL_COPY_BITS);
    uint64_t off = fake_put(&g, &d, sizeof(d));
    g_assert_cmpint(qxl_parse_draw(g.slots, FAKE_GROUP, fake_addr(off), QXL_COMMAND_FLAG_COMPAT, &l,
                                   &cmd), ==, QXL_STATUS_UNSUPPORTED);
    g_assert_true((void *)cmd.release_info == fake_ptr(&g, off));
    qxl_draw_command_clear(&cmd);

    /* The command itself unmapped, or straddling the slot end. */
    g_assert_cmpint(qxl_parse_draw(g.slots, FAKE_GROUP, fake_addr_in(0, 0, 64), 0, &l, &cmd), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    g_assert_null(cmd.release_info);
    qxl_draw_command_clear(&cmd);
    g_assert_cmpint(qxl_parse_draw(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 100), 0, &l, &cmd),
                    ==, QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_true((void *)cmd.release_info == fake_ptr(&g, FAKE_SIZE - 100));
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

/* ---- surfaces ----------------------------------------------------------------------------- */

static QxlStatus parse_surface_cmd(FakeGuest *g, const QXLSurfaceCmd *s, const QxlParseLimits *l,
                                   QxlSurfaceCommand *out)
{
    uint64_t off = fake_put(g, s, sizeof(*s));
    QxlStatus st = qxl_parse_surface(g->slots, FAKE_GROUP, fake_addr(off), 0, l, out);
    g_assert_true((void *)out->release_info == fake_ptr(g, off));
    return st;
}

static void test_surface_commands(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlSurfaceCommand out;
    uint64_t mem = fake_alloc(&g, 8 * 4 * 4);

    QXLSurfaceCmd s;
    memset(&s, 0, sizeof(s));
    s.surface_id = 5;
    s.type = QXL_SURFACE_CMD_CREATE;
    s.flags = QXL_SURF_FLAG_KEEP_DATA;
    s.u.surface_create = (QXLSurface) {
        .format = SPICE_SURFACE_FMT_32_xRGB, .width = 8, .height = 4, .stride = -32,
        .data = fake_addr(mem),
    };
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.surface_id, ==, 5);
    g_assert_cmpuint(out.type, ==, QXL_SURFACE_CMD_CREATE);
    g_assert_cmpuint(out.flags, ==, QXL_SURF_FLAG_KEEP_DATA);
    g_assert_cmpuint(out.create.format, ==, SPICE_SURFACE_FMT_32_xRGB);
    g_assert_cmpuint(out.create.width, ==, 8);
    g_assert_cmpuint(out.create.height, ==, 4);
    g_assert_cmpint(out.create.stride, ==, -32);
    g_assert_true(out.create.mem == fake_ptr(&g, mem));
    g_assert_cmpuint(out.create.mem_size, ==, 128);
    g_assert_true(out.create.line0 == (uint8_t *)fake_ptr(&g, mem) + 96);
    qxl_surface_command_clear(&out);

    s.u.surface_create.stride = 32;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OK);
    g_assert_true(out.create.line0 == fake_ptr(&g, mem));

    /* Rejections. */
    s.u.surface_create.stride = -28;       /* less than 8 * 4 */
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_SIZE);
    s.u.surface_create.stride = 34;        /* not 4-byte aligned */
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_SIZE);
    s.u.surface_create.stride = 0;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_SIZE);
    s.u.surface_create.stride = INT32_MIN; /* |stride| * 4 rows = 8 GiB */
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_TOO_LARGE);
    s.u.surface_create.stride = -36;       /* valid geometry, but 144 bytes from the last 128 */
    s.u.surface_create.data = fake_addr(FAKE_SIZE - 128);
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OUT_OF_BOUNDS);
    s.u.surface_create.stride = -32;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OK);
    s.u.surface_create.data = 0;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_NULL_POINTER);
    s.u.surface_create.data = fake_addr(mem);
    s.u.surface_create.format = 7;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_FORMAT);
    s.u.surface_create.format = SPICE_SURFACE_FMT_16_565;
    s.u.surface_create.stride = -16;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OK);
    s.u.surface_create.height = 0;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_SIZE);
    s.u.surface_create.height = 20000;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_TOO_LARGE);
    s.u.surface_create.height = 4;
    s.surface_id = N_SURFACES;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_SURFACE_ID);
    s.surface_id = 1;
    s.type = 2;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_BAD_TYPE);

    /* DESTROY ignores the create fields. */
    memset(&s, 0xff, sizeof(s));
    s.surface_id = 1;
    s.type = QXL_SURFACE_CMD_DESTROY;
    g_assert_cmpint(parse_surface_cmd(&g, &s, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.type, ==, QXL_SURFACE_CMD_DESTROY);
    g_assert_null(out.create.mem);
    fake_guest_finish(&g);
}

static void test_primary_surface(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlSurfaceMemory out;
    uint64_t mem = fake_alloc(&g, 64 * 32 * 4);
    g_assert_cmpint(qxl_parse_primary_surface(g.slots, FAKE_GROUP, SPICE_SURFACE_FMT_32_xRGB, 64, 32,
                                              -256, fake_addr(mem), &l, &out), ==, QXL_STATUS_OK);
    g_assert_true(out.line0 == (uint8_t *)fake_ptr(&g, mem) + 31 * 256);
    g_assert_cmpuint(out.mem_size, ==, 64 * 32 * 4);
    g_assert_cmpint(qxl_parse_primary_surface(g.slots, FAKE_GROUP, SPICE_SURFACE_FMT_32_xRGB, 64, 32,
                                              -256, fake_addr(mem), &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpint(qxl_parse_primary_surface(g.slots, 0, SPICE_SURFACE_FMT_32_xRGB, 64, 32,
                                              -256, fake_addr(mem), &l, &out), ==,
                    QXL_STATUS_SLOT_NOT_ACTIVE);
    g_assert_null(out.mem);
    g_assert_cmpint(qxl_parse_primary_surface(g.slots, FAKE_GROUP, SPICE_SURFACE_FMT_32_xRGB, 4096,
                                              4096, 16384, fake_addr(mem), &l, &out), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    fake_guest_finish(&g);
}

/* ---- cursor ------------------------------------------------------------------------------- */

/* QXLCursor with @inline_size bytes of data inline; data_size as given. */
static uint64_t put_cursor_shape(FakeGuest *g, uint16_t type, uint16_t w, uint16_t h,
                                 uint32_t data_size, const void *data, uint32_t inline_size)
{
    uint64_t off = fake_alloc(g, sizeof(QXLCursor) + inline_size);
    QXLCursor c;
    memset(&c, 0, sizeof(c));
    c.header = (QXLCursorHeader) {
        .unique = 99, .type = type, .width = w, .height = h, .hot_spot_x = 1, .hot_spot_y = 2,
    };
    c.data_size = data_size;
    c.chunk.data_size = inline_size;
    memcpy(fake_ptr(g, off), &c, sizeof(c));
    if (inline_size) {
        memcpy(fake_ptr(g, off + sizeof(c)), data, inline_size);
    }
    return off;
}

static QxlStatus parse_cursor_cmd(FakeGuest *g, const QXLCursorCmd *c, const QxlParseLimits *l,
                                  QxlCursorCommand *out)
{
    uint64_t off = fake_put(g, c, sizeof(*c));
    QxlStatus st = qxl_parse_cursor(g->slots, FAKE_GROUP, fake_addr(off), 0, l, out);
    g_assert_true((void *)out->release_info == fake_ptr(g, off));
    return st;
}

static QXLCursorCmd cursor_set(QXLPHYSICAL shape)
{
    QXLCursorCmd c;
    memset(&c, 0, sizeof(c));
    c.type = QXL_CURSOR_SET;
    c.u.set.position = (QXLPoint16) { .x = -4, .y = 7 };
    c.u.set.visible = 1;
    c.u.set.shape = shape;
    return c;
}

static void test_cursor_set(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlCursorCommand out;

    /* ALPHA 2x2: 16 bytes, inline. */
    uint8_t argb[16];
    for (int i = 0; i < 16; i++) {
        argb[i] = (uint8_t)(0xA0 + i);
    }
    QXLCursorCmd c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 16,
                                                           argb, 16)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.type, ==, QXL_CURSOR_SET);
    g_assert_cmpint(out.x, ==, -4);
    g_assert_cmpint(out.y, ==, 7);
    g_assert_true(out.visible);
    g_assert_cmpuint(out.shape.unique, ==, 99);
    g_assert_cmpuint(out.shape.type, ==, SPICE_CURSOR_TYPE_ALPHA);
    g_assert_cmpuint(out.shape.width, ==, 2);
    g_assert_cmpuint(out.shape.hot_spot_y, ==, 2);
    g_assert_cmpmem(out.shape.data, out.shape.data_size, argb, sizeof(argb));
    qxl_cursor_command_clear(&out);
    g_assert_null(out.shape.data);

    /* MONO 10x2: 2 masks of 2 rows x 2 bytes = 8 bytes, split 5 inline + 3 in a second chunk. */
    const uint8_t mono[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint64_t shape = put_cursor_shape(&g, SPICE_CURSOR_TYPE_MONO, 10, 2, 8, mono, 5);
    link_chunk(&g, shape + offsetof(QXLCursor, chunk), put_chunk(&g, mono + 5, 3));
    c = cursor_set(fake_addr(shape));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.shape.type, ==, SPICE_CURSOR_TYPE_MONO);
    g_assert_cmpmem(out.shape.data, out.shape.data_size, mono, sizeof(mono));
    qxl_cursor_command_clear(&out);

    /* Truncated: ALPHA 2x2 declaring 12 bytes. */
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 12, argb, 12)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    g_assert_null(out.shape.data);
    qxl_cursor_command_clear(&out);
    /* Declares 16, the chunk holds 12. */
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 16, argb, 12)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_cursor_command_clear(&out);
    /* MONO missing its second chunk. */
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_MONO, 10, 2, 8, mono, 5)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_cursor_command_clear(&out);
    /* Too big, unknown type, no shape, data_size absurd. */
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ALPHA, 2000, 2, 16000, argb, 0)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_TOO_LARGE);
    qxl_cursor_command_clear(&out);
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ENUM_END, 2, 2, 16, argb, 16)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_BAD_TYPE);
    qxl_cursor_command_clear(&out);
    c = cursor_set(0);
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_NULL_POINTER);
    qxl_cursor_command_clear(&out);
    c = cursor_set(fake_addr(put_cursor_shape(&g, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 0xFFFFFFF0, argb, 16)));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_TOO_LARGE);
    qxl_cursor_command_clear(&out);
    /* Shape struct straddling the slot end. */
    c = cursor_set(fake_addr(FAKE_SIZE - 30));
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OUT_OF_BOUNDS);
    qxl_cursor_command_clear(&out);
    fake_guest_finish(&g);
}

static void test_cursor_other(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlCursorCommand out;
    QXLCursorCmd c;

    memset(&c, 0, sizeof(c));
    c.type = QXL_CURSOR_MOVE;
    c.u.position = (QXLPoint16) { .x = 100, .y = -1 };
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.type, ==, QXL_CURSOR_MOVE);
    g_assert_cmpint(out.x, ==, 100);
    g_assert_cmpint(out.y, ==, -1);
    qxl_cursor_command_clear(&out);
    c.type = QXL_CURSOR_HIDE;
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.type, ==, QXL_CURSOR_HIDE);
    c.type = QXL_CURSOR_TRAIL;
    c.u.trail.length = 3;
    c.u.trail.frequency = 9;
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_OK);
    g_assert_cmpuint(out.trail_length, ==, 3);
    g_assert_cmpuint(out.trail_frequency, ==, 9);
    c.type = 4;
    g_assert_cmpint(parse_cursor_cmd(&g, &c, &l, &out), ==, QXL_STATUS_BAD_TYPE);
    g_assert_cmpuint(out.type, ==, 4);
    qxl_cursor_command_clear(&out);
    qxl_cursor_command_clear(NULL);
    fake_guest_finish(&g);
}

static void test_cursor_sizes(void)
{
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_ALPHA, 32, 32), ==, 4096);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_MONO, 9, 3), ==, 2 * 2 * 3);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR4, 3, 2), ==, 2 * 2 + 1 * 2 + 64);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR8, 4, 2), ==, 8 + 2 + 1024);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR16, 4, 2), ==, 16 + 2);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR24, 4, 2), ==, 24 + 2);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_COLOR32, 4, 2), ==, 32 + 2);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_ENUM_END, 4, 2), ==, 0);
    g_assert_cmpuint(qxl_cursor_data_size(SPICE_CURSOR_TYPE_ALPHA, 65535, 65535), ==,
                     UINT64_C(65535) * 65535 * 4);
}

/* ---- helpers, release info, monitors config ----------------------------------------------- */

static void test_formats_and_rects(void)
{
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_1BIT_LE), ==, 1);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_4BIT_BE), ==, 4);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_8BIT_A), ==, 8);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_16BIT), ==, 16);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_24BIT), ==, 24);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_RGBA), ==, 32);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_INVALID), ==, 0);
    g_assert_cmpuint(qxl_bitmap_format_bpp(SPICE_BITMAP_FMT_ENUM_END), ==, 0);
    g_assert_true(qxl_bitmap_format_has_palette(SPICE_BITMAP_FMT_4BIT_LE));
    g_assert_false(qxl_bitmap_format_has_palette(SPICE_BITMAP_FMT_32BIT));
    g_assert_cmpuint(qxl_surface_format_bpp(SPICE_SURFACE_FMT_16_565), ==, 16);
    g_assert_cmpuint(qxl_surface_format_bpp(SPICE_SURFACE_FMT_32_ARGB), ==, 32);
    g_assert_cmpuint(qxl_surface_format_bpp(SPICE_SURFACE_FMT_INVALID), ==, 0);

    QxlRect r = { .top = 0, .left = 0, .bottom = 3, .right = 4 };
    g_assert_true(qxl_rect_is_within(&r, 4, 3));
    g_assert_false(qxl_rect_is_within(&r, 3, 3));
    g_assert_false(qxl_rect_is_within(&r, 4, 2));
    g_assert_false(qxl_rect_is_empty(&r));
    r.left = 4;
    g_assert_true(qxl_rect_is_empty(&r));
    g_assert_true(qxl_rect_is_valid(&r));
    r.left = 5;
    g_assert_false(qxl_rect_is_valid(&r));
    QxlRect neg = { .top = -1, .left = 0, .bottom = 1, .right = 1 };
    g_assert_false(qxl_rect_is_within(&neg, 10, 10));
}

static void test_release_info(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QXLReleaseInfo *info = (QXLReleaseInfo *)1;
    uint64_t off = fake_alloc(&g, 16);
    g_assert_cmpint(qxl_parse_release_info(g.slots, FAKE_GROUP, fake_addr(off), &info), ==,
                    QXL_STATUS_OK);
    g_assert_true((void *)info == fake_ptr(&g, off));
    g_assert_cmpint(qxl_parse_release_info(g.slots, FAKE_GROUP, fake_addr(FAKE_SIZE - 7), &info), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_null(info);
    fake_guest_finish(&g);
}

static void test_monitors_config(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlParseLimits l = default_limits();
    QxlMonitorsConfig out;
    uint64_t off = fake_alloc(&g, sizeof(QXLMonitorsConfig) + 2 * sizeof(QXLHead));
    QXLMonitorsConfig header = { .count = 2, .max_allowed = 4 };
    QXLHead heads[2] = {
        { .id = 0, .width = 1024, .height = 768 },
        { .id = 1, .width = 800, .height = 600, .x = 1024 },
    };
    memcpy(fake_ptr(&g, off), &header, sizeof(header));
    memcpy(fake_ptr(&g, off + sizeof(header)), heads, sizeof(heads));
    g_assert_cmpint(qxl_parse_monitors_config(g.slots, FAKE_GROUP, fake_addr(off), &l, &out), ==,
                    QXL_STATUS_OK);
    g_assert_cmpuint(out.count, ==, 2);
    g_assert_cmpuint(out.max_allowed, ==, 4);
    g_assert_cmpuint(out.heads[1].x, ==, 1024);
    g_assert_cmpuint(out.heads[0].width, ==, 1024);
    qxl_monitors_config_clear(&out);
    g_assert_null(out.heads);

    header.count = 65;
    memcpy(fake_ptr(&g, off), &header, sizeof(header));
    g_assert_cmpint(qxl_parse_monitors_config(g.slots, FAKE_GROUP, fake_addr(off), &l, &out), ==,
                    QXL_STATUS_TOO_LARGE);
    uint64_t tail = FAKE_SIZE - sizeof(header) - sizeof(QXLHead);
    header.count = 2;
    memcpy(fake_ptr(&g, tail), &header, sizeof(header));
    g_assert_cmpint(qxl_parse_monitors_config(g.slots, FAKE_GROUP, fake_addr(tail), &l, &out), ==,
                    QXL_STATUS_OUT_OF_BOUNDS);
    g_assert_null(out.heads);
    qxl_monitors_config_clear(NULL);
    fake_guest_finish(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qxl-parse/copy-direct-bitmap", test_copy_direct_bitmap);
    g_test_add_func("/qxl-parse/copy-chunked-bottom-up", test_copy_chunked_bottom_up);
    g_test_add_func("/qxl-parse/chunk-chain-errors", test_chunk_chain_errors);
    g_test_add_func("/qxl-parse/bitmap-geometry-errors", test_bitmap_geometry_errors);
    g_test_add_func("/qxl-parse/image-types", test_image_types);
    g_test_add_func("/qxl-parse/palette-bitmap", test_palette_bitmap);
    g_test_add_func("/qxl-parse/fill", test_fill);
    g_test_add_func("/qxl-parse/opaque-and-copy-checks", test_opaque_and_copy_checks);
    g_test_add_func("/qxl-parse/copy-bits", test_copy_bits);
    g_test_add_func("/qxl-parse/clip-rects", test_clip_rects);
    g_test_add_func("/qxl-parse/drawable-fields", test_drawable_fields);
    g_test_add_func("/qxl-parse/surface-commands", test_surface_commands);
    g_test_add_func("/qxl-parse/primary-surface", test_primary_surface);
    g_test_add_func("/qxl-parse/cursor-set", test_cursor_set);
    g_test_add_func("/qxl-parse/cursor-other", test_cursor_other);
    g_test_add_func("/qxl-parse/cursor-sizes", test_cursor_sizes);
    g_test_add_func("/qxl-parse/formats-and-rects", test_formats_and_rects);
    g_test_add_func("/qxl-parse/release-info", test_release_info);
    g_test_add_func("/qxl-parse/monitors-config", test_monitors_config);
    return g_test_run();
}
