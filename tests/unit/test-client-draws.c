/* test-client-draws: the draw types the client renders through canvas/ (ROP3, rops on COPY, masks, STROKE, TEXT, COMPOSITE, scaled TRANSPARENT), pixel values computed by hand. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-state.h"
#include "codecs/quic.h"
#include "protocol/wire.h"

/* Messages are built as a fixed part then appended objects, whose offsets are patched in. */
static void rect(WireWriter *w, int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    wire_write_i32(w, top);
    wire_write_i32(w, left);
    wire_write_i32(w, bottom);
    wire_write_i32(w, right);
}

static void base(WireWriter *w, int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    wire_writer_init(w);
    wire_write_u32(w, 0);
    rect(w, left, top, right, bottom);
    wire_write_u8(w, SPICE_CLIP_TYPE_NONE);
}

/* A top-down BITMAP (32BIT, or RGBA with alpha) at the end of @w; returns its offset. */
static uint32_t append_image(WireWriter *w, uint8_t format, uint32_t width, uint32_t height,
                             const uint32_t *pixels)
{
    uint32_t at = (uint32_t)wire_writer_size(w);
    wire_write_u64(w, 1);
    wire_write_u8(w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(w, 0);
    wire_write_u32(w, width);
    wire_write_u32(w, height);
    wire_write_u8(w, format);
    wire_write_u8(w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(w, width);
    wire_write_u32(w, height);
    wire_write_u32(w, width * 4);
    wire_write_u32(w, 0);
    for (uint32_t i = 0; i < width * height; i++) {
        wire_write_u32(w, pixels[i]);
    }
    return at;
}

static uint32_t append_bitmap(WireWriter *w, uint32_t width, uint32_t height, const uint32_t *pixels)
{
    return append_image(w, SPICE_BITMAP_FMT_32BIT, width, height, pixels);
}

static DisplayResult send(DisplayState *ds, uint16_t type, WireWriter *w)
{
    DisplayResult r = display_state_handle(ds, type, wire_writer_data(w), wire_writer_size(w));
    wire_writer_finish(w);
    return r;
}

static uint32_t px(DisplayState *ds, int x, int y)
{
    pixman_image_t *img = display_state_primary(ds);
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    return ((const uint32_t *)(const void *)(d + (size_t)y * pixman_image_get_stride(img)))[x] & 0xffffff;
}

/* A 8x4 xRGB primary filled with @color. */
static DisplayState *new_state(ImageCaches *caches, uint32_t color)
{
    DisplayState *ds = display_state_new(0, caches);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    wire_write_u32(&w, 8);
    wire_write_u32(&w, 4);
    wire_write_u32(&w, SPICE_SURFACE_FMT_32_xRGB);
    wire_write_u32(&w, SPICE_SURFACE_FLAGS_PRIMARY);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_SURFACE_CREATE, &w), ==, DISPLAY_RESULT_SURFACE);
    base(&w, 0, 0, 8, 4);
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, color);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_zeros(&w, 13);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_FILL, &w), ==, DISPLAY_RESULT_DRAW);
    return ds;
}

static void test_rop3_and_copy_rops(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = new_state(c, 0x0f0f0f);
    const uint32_t src[2] = { 0x00ff00, 0x0000ff };
    /* ROP3 0x96 (P ^ S ^ D) at (0,0)-(2,1) with brush 0x300000. */
    WireWriter w;
    base(&w, 0, 0, 2, 1);
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 2, 1);
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, 0x300000);
    wire_write_u8(&w, 0x96);
    wire_write_u8(&w, SPICE_IMAGE_SCALE_MODE_NEAREST);
    wire_write_zeros(&w, 13);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w, 2, 1, src));
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_ROP3, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 0, 0), ==, 0x300000 ^ 0x00ff00 ^ 0x0f0f0f);
    g_assert_cmphex(px(ds, 1, 0), ==, 0x300000 ^ 0x0000ff ^ 0x0f0f0f);
    g_assert_cmphex(px(ds, 2, 0), ==, 0x0f0f0f);
    /* COPY with OR | INVERS_RES at (4,0): ~(s | d). */
    base(&w, 4, 0, 6, 1);
    ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 2, 1);
    wire_write_u16(&w, SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_RES);
    wire_write_u8(&w, SPICE_IMAGE_SCALE_MODE_NEAREST);
    wire_write_zeros(&w, 13);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w, 2, 1, src));
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_COPY, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 4, 0), ==, ~(0x00ff00u | 0x0f0f0fu) & 0xffffff);
    g_assert_cmphex(px(ds, 5, 0), ==, ~(0x0000ffu | 0x0f0f0fu) & 0xffffff);
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

static void test_masked_fill(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = new_state(c, 0);
    /* WHITENESS over row 1 through a 1BIT_BE mask 0b10100000 (pixels 0 and 2 kept), placed
     * with mask pixel (1, 0) on the bbox's corner: pixels 1 (mask 2) lit, 0 (mask 1) not. */
    WireWriter w;
    base(&w, 0, 1, 4, 2);
    wire_write_u8(&w, 0);
    wire_write_i32(&w, 1);
    wire_write_i32(&w, 0);
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    uint32_t at = (uint32_t)wire_writer_size(&w);
    wire_write_u64(&w, 2);
    wire_write_u8(&w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(&w, 0);
    wire_write_u32(&w, 8);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, SPICE_BITMAP_FMT_1BIT_BE);
    wire_write_u8(&w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(&w, 8);
    wire_write_u32(&w, 1);
    wire_write_u32(&w, 1);
    wire_write_u32(&w, 0);
    wire_write_u8(&w, 0xa0);
    wire_writer_patch_u32(&w, ptr, at);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_WHITENESS, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 0, 1), ==, 0);
    g_assert_cmphex(px(ds, 1, 1), ==, 0xffffff);
    g_assert_cmphex(px(ds, 2, 1), ==, 0);
    g_assert_cmphex(px(ds, 1, 0), ==, 0);
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

static void test_stroke_and_text(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = new_state(c, 0);
    /* STROKE (1,2) -> (5,2), one segment BEGIN|END: CapNotLast lights x = 1..4. */
    WireWriter w;
    base(&w, 0, 0, 8, 4);
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    wire_write_u8(&w, 0);                      /* line flags: solid */
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, 0xabcdef);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    uint32_t at = (uint32_t)wire_writer_size(&w);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, SPICE_PATH_BEGIN | SPICE_PATH_END);
    wire_write_u32(&w, 2);
    wire_write_i32(&w, 1 * 16);
    wire_write_i32(&w, 2 * 16);
    wire_write_i32(&w, 5 * 16);
    wire_write_i32(&w, 2 * 16);
    wire_writer_patch_u32(&w, ptr, at);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_STROKE, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 0, 2), ==, 0);
    for (int x = 1; x <= 4; x++) {
        g_assert_cmphex(px(ds, x, 2), ==, 0xabcdef);
    }
    g_assert_cmphex(px(ds, 5, 2), ==, 0);
    /* TEXT: one A1 glyph 4x2 at (2,0); rows stored bottom row first: 0x90 then 0x60, so the top
     * row shows 0110 and the bottom 1001. */
    base(&w, 0, 0, 8, 4);
    ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 0, 0);                       /* no back area */
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, 0x112233);
    wire_write_u8(&w, SPICE_BRUSH_TYPE_NONE);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    at = (uint32_t)wire_writer_size(&w);
    wire_write_u16(&w, 1);
    wire_write_u8(&w, SPICE_STRING_FLAGS_RASTER_A1);
    wire_write_i32(&w, 2);
    wire_write_i32(&w, 0);
    wire_write_i32(&w, 0);
    wire_write_i32(&w, 0);
    wire_write_u16(&w, 4);
    wire_write_u16(&w, 2);
    wire_write_u8(&w, 0x90);
    wire_write_u8(&w, 0x60);
    wire_writer_patch_u32(&w, ptr, at);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_TEXT, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 2, 0), ==, 0);
    g_assert_cmphex(px(ds, 3, 0), ==, 0x112233);
    g_assert_cmphex(px(ds, 4, 0), ==, 0x112233);
    g_assert_cmphex(px(ds, 5, 0), ==, 0);
    g_assert_cmphex(px(ds, 2, 1), ==, 0x112233);
    g_assert_cmphex(px(ds, 3, 1), ==, 0);
    g_assert_cmphex(px(ds, 5, 1), ==, 0x112233);
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

static void test_composite_and_scaled_transparent(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = new_state(c, 0x000080);
    /* COMPOSITE OVER of a 2x1 ARGB bitmap (opaque red, half-transparent green) at (0,0). */
    const uint32_t argb[2] = { 0xffff0000, 0x8000ff00 };
    WireWriter w;
    base(&w, 0, 0, 2, 1);
    wire_write_u32(&w, PIXMAN_OP_OVER | (PIXMAN_FILTER_NEAREST << 8));
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    wire_write_i16(&w, 0);
    wire_write_i16(&w, 0);
    wire_write_i16(&w, 0);
    wire_write_i16(&w, 0);
    /* An RGBA bitmap keeps its alpha. */
    wire_writer_patch_u32(&w, ptr, append_image(&w, SPICE_BITMAP_FMT_RGBA, 2, 1, argb));
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_COMPOSITE, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 0, 0), ==, 0xff0000);
    uint32_t mixed = px(ds, 1, 0);
    g_assert_cmpuint((mixed >> 8) & 0xff, ==, 0xff);            /* premultiplied green */
    g_assert_cmpuint(mixed & 0xff, >=, 0x3e);                   /* blue: 0x80 * (1 - 0.5) */
    g_assert_cmpuint(mixed & 0xff, <=, 0x41);
    /* TRANSPARENT scaled 2x1 -> 4x2 at (4,2), keyed on white: the white half stays blue. */
    const uint32_t keyed[2] = { 0xffffff, 0x00ff00 };
    base(&w, 4, 2, 8, 4);
    ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 2, 1);
    wire_write_u32(&w, 0xffffff);
    wire_write_u32(&w, 0xffffff);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w, 2, 1, keyed));
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_TRANSPARENT, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(ds, 4, 2), ==, 0x000080);
    g_assert_cmphex(px(ds, 5, 3), ==, 0x000080);
    g_assert_cmphex(px(ds, 6, 2), ==, 0x00ff00);
    g_assert_cmphex(px(ds, 7, 3), ==, 0x00ff00);
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

/* A DRAW_COPY (rop PUT, no mask) of the whole @image_w x @image_h image at @image_at onto
 * (@left, @top), clipped to @clip (4 ints: left, top, right, bottom) or not. */
static DisplayResult copy_image(DisplayState *ds, WireWriter *img, uint32_t image_w, uint32_t image_h,
                                int32_t left, int32_t top, const int32_t *clip)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, left, top, left + (int32_t)image_w, top + (int32_t)image_h);
    if (clip) {
        wire_write_u8(&w, SPICE_CLIP_TYPE_RECTS);
        wire_write_u32(&w, 1);
        rect(&w, clip[0], clip[1], clip[2], clip[3]);
    } else {
        wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    }
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, (int32_t)image_w, (int32_t)image_h);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_u8(&w, SPICE_IMAGE_SCALE_MODE_NEAREST);
    wire_write_zeros(&w, 13);
    wire_writer_patch_u32(&w, ptr, (uint32_t)wire_writer_size(&w));
    wire_write_bytes(&w, wire_writer_data(img), wire_writer_size(img));
    return send(ds, SPICE_MSG_DISPLAY_DRAW_COPY, &w);
}

/* A QUIC image descriptor + data for @pixels (4 x 2, xRGB), cut to @keep bytes of QUIC data
 * when @keep is non-zero. */
static void quic_image(WireWriter *w, const uint32_t *pixels, uint8_t flags, size_t keep)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_init_view(&src, PIXBUF_FORMAT_XRGB32, 4, 2, 16, (void *)pixels, 32),
                    ==, CODEC_OK);
    size_t bound = quic_encode_bound(QUIC_IMAGE_TYPE_RGB32, 4, 2), size = 0;
    uint8_t *stream = g_malloc(bound);
    g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_RGB32, stream, bound, &size), ==, CODEC_OK);
    if (keep && keep < size) {
        size = keep;
    }
    wire_writer_init(w);
    wire_write_u64(w, 77);
    wire_write_u8(w, SPICE_IMAGE_TYPE_QUIC);
    wire_write_u8(w, flags);
    wire_write_u32(w, 4);
    wire_write_u32(w, 2);
    wire_write_u32(w, (uint32_t)size);
    wire_write_bytes(w, stream, size);
    g_free(stream);
}

/* A plain COPY of a whole QUIC image is decoded straight into the surface (the same pixels as
 * the general path, which clipped, cached or cut-off draws still take); a stream that fails
 * there is reported and the draw counts (its first rows may be on the surface). */
static void test_quic_copy_in_place(void)
{
    const uint32_t pixels[8] = { 0x102030, 0x405060, 0x708090, 0xa0b0c0,
                                 0xff0000, 0x00ff00, 0x0000ff, 0xffffff };
    ImageCaches *c = image_caches_new();
    for (int pass = 0; pass < 4; pass++) {
        /* 0: in place; 1: clipped to its left half; 2: CACHE_ME; 3: runs off the surface. */
        DisplayState *ds = new_state(c, 0x0f0f0f);
        WireWriter img;
        quic_image(&img, pixels, pass == 2 ? SPICE_IMAGE_FLAGS_CACHE_ME : 0, 0);
        int32_t half[4] = { 2, 1, 4, 3 };
        int32_t left = pass == 3 ? 6 : 2;
        g_assert_cmpint(copy_image(ds, &img, 4, 2, left, 1, pass == 1 ? half : NULL), ==,
                        DISPLAY_RESULT_DRAW);
        wire_writer_finish(&img);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 8; x++) {
                bool inside = x >= left && x < left + 4 && y >= 1 && y < 3 && (pass != 1 || x < 4);
                uint32_t want = inside ? pixels[(y - 1) * 4 + (x - left)] : 0x0f0f0f;
                g_assert_cmphex(px(ds, x, y), ==, want);
            }
        }
        g_assert_null(display_state_problem(ds));
        g_assert_cmpuint(image_caches_pixmap_count(c), ==, pass >= 2 ? 1 : 0);
        display_state_free(ds);
    }
    DisplayState *ds = new_state(c, 0x0f0f0f);
    WireWriter img;
    quic_image(&img, pixels, 0, 0);
    /* Its header whole, then 4 bytes of the picture: the decode starts and runs out. */
    QuicHeader hdr;
    size_t header = 0;
    for (size_t n = 1; n < wire_writer_size(&img) - 22 && header == 0; n++) {
        if (quic_read_header(wire_writer_data(&img) + 22, n, &hdr) == CODEC_OK) {
            header = n;
        }
    }
    g_assert_cmpuint(header, >, 0);
    wire_writer_finish(&img);
    quic_image(&img, pixels, 0, header + 4);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*QUIC decode failed*");
    g_assert_cmpint(copy_image(ds, &img, 4, 2, 2, 1, NULL), ==, DISPLAY_RESULT_DRAW);
    g_test_assert_expected_messages();
    wire_writer_finish(&img);
    g_assert_nonnull(display_state_problem(ds));
    g_assert_nonnull(strstr(display_state_problem(ds), "QUIC decode failed"));
    g_assert_cmphex(px(ds, 0, 0), ==, 0x0f0f0f);
    g_assert_cmphex(px(ds, 7, 3), ==, 0x0f0f0f);
    display_state_free(ds);
    image_caches_free(c);
}

/* Surfaces of 2 MB or more live in a huge-page mapping of their own: drawn to the last pixel,
 * destroyed, created again. */
static void test_large_surface(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = display_state_new(0, c);
    for (int round = 0; round < 2; round++) {
        WireWriter w;
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        wire_write_u32(&w, 1024);
        wire_write_u32(&w, 600);
        wire_write_u32(&w, SPICE_SURFACE_FMT_32_xRGB);
        wire_write_u32(&w, SPICE_SURFACE_FLAGS_PRIMARY);
        g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_SURFACE_CREATE, &w), ==, DISPLAY_RESULT_SURFACE);
        g_assert_cmphex(px(ds, 0, 0), ==, 0);
        g_assert_cmphex(px(ds, 1023, 599), ==, 0);
        base(&w, 0, 0, 1024, 600);
        wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
        wire_write_u32(&w, 0x123456);
        wire_write_u16(&w, SPICE_ROPD_OP_PUT);
        wire_write_zeros(&w, 13);
        g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_DRAW_FILL, &w), ==, DISPLAY_RESULT_DRAW);
        const uint32_t pixels[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
        WireWriter img;
        quic_image(&img, pixels, 0, 0);
        g_assert_cmpint(copy_image(ds, &img, 4, 2, 1020, 598, NULL), ==, DISPLAY_RESULT_DRAW);
        wire_writer_finish(&img);
        g_assert_cmphex(px(ds, 0, 0), ==, 0x123456);
        g_assert_cmphex(px(ds, 1019, 599), ==, 0x123456);
        g_assert_cmphex(px(ds, 1023, 599), ==, 8);
        g_assert_cmphex(px(ds, 1020, 598), ==, 1);
        pixman_image_t *primary = display_state_primary(ds);
        g_assert_cmpint(pixman_image_get_stride(primary), ==, 4096);
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_SURFACE_DESTROY, &w), ==, DISPLAY_RESULT_SURFACE);
        g_assert_null(display_state_primary(ds));
    }
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-draws/rop3-copy-rops", test_rop3_and_copy_rops);
    g_test_add_func("/client-draws/masked-fill", test_masked_fill);
    g_test_add_func("/client-draws/stroke-text", test_stroke_and_text);
    g_test_add_func("/client-draws/composite-transparent-scaled", test_composite_and_scaled_transparent);
    g_test_add_func("/client-draws/quic-copy-in-place", test_quic_copy_in_place);
    g_test_add_func("/client-draws/large-surface", test_large_surface);
    return g_test_run();
}
