/* test-client-canvas: display messages applied to surfaces (client/display-state.c): pixels and refusals. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-state.h"
#include "protocol/wire.h"

static void rect(WireWriter *w, int32_t top, int32_t left, int32_t bottom, int32_t right)
{
    wire_write_i32(w, top);
    wire_write_i32(w, left);
    wire_write_i32(w, bottom);
    wire_write_i32(w, right);
}

static DisplayResult send_writer(DisplayState *ds, uint16_t type, WireWriter *w)
{
    DisplayResult r = display_state_handle(ds, type, wire_writer_data(w), wire_writer_size(w));
    wire_writer_finish(w);
    return r;
}

static DisplayResult create(DisplayState *ds, uint32_t id, uint32_t w_, uint32_t h, uint32_t flags)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, id);
    wire_write_u32(&w, w_);
    wire_write_u32(&w, h);
    wire_write_u32(&w, SPICE_SURFACE_FMT_32_xRGB);
    wire_write_u32(&w, flags);
    return send_writer(ds, SPICE_MSG_DISPLAY_SURFACE_CREATE, &w);
}

/* DRAW_FILL of @color over @box, clipped to @clip when it is not NULL. */
static DisplayResult fill(DisplayState *ds, uint32_t surface, int32_t t, int32_t l, int32_t b, int32_t r,
                          const int32_t *clip, uint32_t color)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, surface);
    rect(&w, t, l, b, r);
    if (clip) {
        wire_write_u8(&w, SPICE_CLIP_TYPE_RECTS);
        wire_write_u32(&w, 1);
        rect(&w, clip[0], clip[1], clip[2], clip[3]);
    } else {
        wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    }
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, color);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_zeros(&w, 13);
    return send_writer(ds, SPICE_MSG_DISPLAY_DRAW_FILL, &w);
}

static uint32_t px(pixman_image_t *img, int x, int y)
{
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    return ((const uint32_t *)(const void *)(d + (size_t)y * (size_t)pixman_image_get_stride(img)))[x] & 0xffffff;
}

static void test_fill_clip_copy_bits(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = display_state_new(0, c);
    g_assert_null(display_state_primary(ds));
    g_assert_cmpint(create(ds, 0, 8, 8, SPICE_SURFACE_FLAGS_PRIMARY), ==, DISPLAY_RESULT_SURFACE);
    pixman_image_t *p = display_state_primary(ds);
    g_assert_nonnull(p);
    g_assert_cmpint(fill(ds, 0, 0, 0, 8, 8, NULL, 0xff0000), ==, DISPLAY_RESULT_DRAW);
    const int32_t clip[4] = { 2, 2, 4, 4 };
    g_assert_cmpint(fill(ds, 0, 0, 0, 8, 8, clip, 0x0000ff), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 0, 0), ==, 0xff0000);
    g_assert_cmphex(px(p, 2, 2), ==, 0x0000ff);
    g_assert_cmphex(px(p, 3, 3), ==, 0x0000ff);
    g_assert_cmphex(px(p, 4, 4), ==, 0xff0000);

    /* COPY_BITS: the blue 2x2 square at (2,2) moves to (5,0); overlapping sources work too. */
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 5, 2, 7);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    wire_write_i32(&w, 2);
    wire_write_i32(&w, 2);
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_COPY_BITS, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 5, 0), ==, 0x0000ff);
    g_assert_cmphex(px(p, 6, 1), ==, 0x0000ff);
    g_assert_cmphex(px(p, 7, 1), ==, 0xff0000);

    /* A fill that runs off the surface is clipped by pixman, not written out of bounds. */
    g_assert_cmpint(fill(ds, 0, -100, -100, 100000, 100000, NULL, 0x00ff00), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 7, 7), ==, 0x00ff00);

    /* DRAW_INVERS on (0,0)-(1,1): green 0x00ff00 becomes magenta 0xff00ff; BLACKNESS at (1,0). */
    for (int k = 0; k < 2; k++) {
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        rect(&w, 0, k, 1, k + 1);
        wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
        wire_write_zeros(&w, 13);
        g_assert_cmpint(send_writer(ds, k == 0 ? SPICE_MSG_DISPLAY_DRAW_INVERS : SPICE_MSG_DISPLAY_DRAW_BLACKNESS,
                                    &w), ==, DISPLAY_RESULT_DRAW);
    }
    g_assert_cmphex(px(p, 0, 0), ==, 0xff00ff);
    g_assert_cmphex(px(p, 1, 0), ==, 0x000000);
    g_assert_cmphex(px(p, 2, 0), ==, 0x00ff00);

    g_assert_false(display_state_marked(ds));
    g_assert_cmpint(display_state_handle(ds, SPICE_MSG_DISPLAY_MARK, NULL, 0), ==, DISPLAY_RESULT_MARK);
    g_assert_true(display_state_marked(ds));
    g_assert_null(display_state_problem(ds));

    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_SURFACE_DESTROY, &w), ==, DISPLAY_RESULT_SURFACE);
    g_assert_null(display_state_primary(ds));
    display_state_free(ds);
    image_caches_free(c);
}

static void test_draw_copy_bitmap(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = display_state_new(0, c);
    create(ds, 0, 4, 4, SPICE_SURFACE_FLAGS_PRIMARY);
    /* A 2x2 bitmap copied to (1,1) from src_area (0,0)-(2,2). */
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, 1, 1, 3, 3);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 2, 2);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_u8(&w, 0);
    wire_write_zeros(&w, 13);
    wire_writer_patch_u32(&w, ptr, (uint32_t)wire_writer_size(&w));
    wire_write_u64(&w, 1);
    wire_write_u8(&w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(&w, 0);
    wire_write_u32(&w, 2);
    wire_write_u32(&w, 2);
    wire_write_u8(&w, SPICE_BITMAP_FMT_32BIT);
    wire_write_u8(&w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(&w, 2);
    wire_write_u32(&w, 2);
    wire_write_u32(&w, 8);
    wire_write_u32(&w, 0);
    wire_write_u32(&w, 0x111111);
    wire_write_u32(&w, 0x222222);
    wire_write_u32(&w, 0x333333);
    wire_write_u32(&w, 0x444444);
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_DRAW_COPY, &w), ==, DISPLAY_RESULT_DRAW);
    pixman_image_t *p = display_state_primary(ds);
    g_assert_cmphex(px(p, 0, 0), ==, 0);
    g_assert_cmphex(px(p, 1, 1), ==, 0x111111);
    g_assert_cmphex(px(p, 2, 1), ==, 0x222222);
    g_assert_cmphex(px(p, 1, 2), ==, 0x333333);
    g_assert_cmphex(px(p, 2, 2), ==, 0x444444);
    display_state_free(ds);
    image_caches_free(c);
}

/* A 2x1 32-bit BITMAP descriptor (white, red) appended at the end of @w; returns its offset. */
static uint32_t append_bitmap(WireWriter *w)
{
    uint32_t at = (uint32_t)wire_writer_size(w);
    wire_write_u64(w, 1);
    wire_write_u8(w, SPICE_IMAGE_TYPE_BITMAP);
    wire_write_u8(w, 0);
    wire_write_u32(w, 2);
    wire_write_u32(w, 1);
    wire_write_u8(w, SPICE_BITMAP_FMT_32BIT);
    wire_write_u8(w, SPICE_BITMAP_FLAGS_TOP_DOWN);
    wire_write_u32(w, 2);
    wire_write_u32(w, 1);
    wire_write_u32(w, 8);
    wire_write_u32(w, 0);
    wire_write_u32(w, 0xffffff);
    wire_write_u32(w, 0xff0000);
    return at;
}

static void test_alpha_blend_transparent_opaque(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = display_state_new(0, c);
    create(ds, 0, 4, 1, SPICE_SURFACE_FLAGS_PRIMARY);
    pixman_image_t *p = display_state_primary(ds);
    /* ALPHA_BLEND alpha 128 of (white, red) over black at (0,0). */
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 1, 2);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    wire_write_u8(&w, 0);
    wire_write_u8(&w, 128);
    size_t ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 1, 2);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w));
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 0, 0), ==, 0x808080);
    g_assert_cmphex(px(p, 1, 0), ==, 0x800000);
    /* TRANSPARENT at (2,0) keyed on white (true_color is the key peers compare): only the
     * red pixel lands. */
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 2, 1, 4);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 1, 2);
    wire_write_u32(&w, 0xffffff);
    wire_write_u32(&w, 0xffffff);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w));
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_DRAW_TRANSPARENT, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 2, 0), ==, 0);
    g_assert_cmphex(px(p, 3, 0), ==, 0xff0000);
    /* OPAQUE with a PUT rop and a solid brush: the source, then the brush put over it (as
     * upstream's canvas: rop COPY of the brush onto the drawn source). */
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 1, 2);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    ptr = wire_writer_size(&w);
    wire_write_u32(&w, 0);
    rect(&w, 0, 0, 1, 2);
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, 0x00ff00);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_u8(&w, 0);
    wire_write_zeros(&w, 13);
    wire_writer_patch_u32(&w, ptr, append_bitmap(&w));
    g_assert_cmpint(send_writer(ds, SPICE_MSG_DISPLAY_DRAW_OPAQUE, &w), ==, DISPLAY_RESULT_DRAW);
    g_assert_cmphex(px(p, 0, 0), ==, 0x00ff00);
    g_assert_cmphex(px(p, 1, 0), ==, 0x00ff00);
    g_assert_null(display_state_problem(ds));
    display_state_free(ds);
    image_caches_free(c);
}

static void test_refusals(void)
{
    ImageCaches *c = image_caches_new();
    DisplayState *ds = display_state_new(0, c);
    /* Surfaces too big, with a bad id, or with an unknown format are refused with a problem. */
    g_assert_cmpint(create(ds, 0, 100000, 100000, SPICE_SURFACE_FLAGS_PRIMARY), ==, DISPLAY_RESULT_DROPPED);
    g_assert_cmpint(create(ds, 5000, 8, 8, 0), ==, DISPLAY_RESULT_DROPPED);
    g_assert_nonnull(display_state_problem(ds));
    g_assert_null(display_state_primary(ds));
    /* A draw on a surface that does not exist. */
    g_assert_cmpint(fill(ds, 3, 0, 0, 1, 1, NULL, 0), ==, DISPLAY_RESULT_DROPPED);
    /* Truncated messages of every handled type are dropped. */
    const uint16_t types[] = {
        SPICE_MSG_DISPLAY_SURFACE_CREATE, SPICE_MSG_DISPLAY_SURFACE_DESTROY,
        SPICE_MSG_DISPLAY_DRAW_FILL, SPICE_MSG_DISPLAY_DRAW_COPY, SPICE_MSG_DISPLAY_DRAW_BLEND,
        SPICE_MSG_DISPLAY_COPY_BITS, SPICE_MSG_DISPLAY_DRAW_BLACKNESS, SPICE_MSG_DISPLAY_DRAW_INVERS,
        SPICE_MSG_DISPLAY_INVAL_LIST, SPICE_MSG_DISPLAY_INVAL_PALETTE, SPICE_MSG_DISPLAY_MONITORS_CONFIG,
        SPICE_MSG_DISPLAY_DRAW_OPAQUE, SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND, SPICE_MSG_DISPLAY_DRAW_TRANSPARENT,
        SPICE_MSG_DISPLAY_DRAW_ROP3, SPICE_MSG_DISPLAY_DRAW_STROKE, SPICE_MSG_DISPLAY_DRAW_TEXT,
        SPICE_MSG_DISPLAY_DRAW_COMPOSITE, SPICE_MSG_DISPLAY_DRAW_WHITENESS,
    };
    uint8_t junk[3] = { 0xff, 0xff, 0xff };
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++) {
        g_assert_cmpint(display_state_handle(ds, types[i], junk, sizeof(junk)), ==, DISPLAY_RESULT_DROPPED);
    }
    /* A truncated TEXT is dropped like the others, not a crash. */
    g_assert_cmpint(display_state_handle(ds, SPICE_MSG_DISPLAY_DRAW_TEXT, junk, sizeof(junk)), ==,
                    DISPLAY_RESULT_DROPPED);
    /* Random bodies for every type, on a state with surfaces. */
    create(ds, 0, 16, 16, SPICE_SURFACE_FLAGS_PRIMARY);
    create(ds, 1, 16, 16, 0);
    GRand *rand = g_rand_new_with_seed(7);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)g_rand_int_range(rand, 0, 120);
        uint8_t *b = g_malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++) {
            int pick = g_rand_int_range(rand, 0, 5);
            b[k] = pick == 0 ? 0xff : pick == 1 ? (uint8_t)g_rand_int_range(rand, 0, 256) : (uint8_t)(pick - 2);
        }
        uint16_t type = types[g_rand_int_range(rand, 2, (gint32)G_N_ELEMENTS(types))];
        (void)display_state_handle(ds, type, b, n);
        g_free(b);
    }
    g_rand_free(rand);
    display_state_free(ds);
    image_caches_free(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/client-canvas/fill-clip-copy-bits", test_fill_clip_copy_bits);
    g_test_add_func("/client-canvas/draw-copy-bitmap", test_draw_copy_bitmap);
    g_test_add_func("/client-canvas/alpha-blend-transparent-opaque", test_alpha_blend_transparent_opaque);
    g_test_add_func("/client-canvas/refusals", test_refusals);
    return g_test_run();
}
