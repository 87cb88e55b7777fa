/* test-canvas-draw: server/canvas-draw.c pixel results for every draw op on small surfaces, computed by hand. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/qxl_dev.h>

#include "server/canvas-draw.h"

#define W 8
#define H 4

typedef struct Canvas {
    uint32_t mem[W * H];
    Surface *surface;
    pixman_region32_t region;
} Canvas;

static void canvas_init(Canvas *c, uint32_t background)
{
    for (int i = 0; i < W * H; i++) {
        c->mem[i] = background;
    }
    c->surface = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, W * 4, (uint8_t *)c->mem);
    g_assert_nonnull(c->surface);
    pixman_region32_init_rect(&c->region, 0, 0, W, H);
}

static void canvas_fini(Canvas *c)
{
    surface_destroy(c->surface);
    pixman_region32_fini(&c->region);
}

static uint32_t px(const Canvas *c, int x, int y)
{
    return c->mem[y * W + x] & 0xffffff;
}

static void test_ropd_table(void)
{
    const uint32_t s = 0x00ff00f0, d = 0x000ff0cc;
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_PUT, false, false, s, d), ==, s);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_OR, false, false, s, d), ==, s | d);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_AND, false, false, s, d), ==, s & d);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_XOR, false, false, s, d), ==, s ^ d);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_PUT, true, false, s, d), ==, ~s);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_OR, true, true, s, d), ==, ~s | ~d);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_AND | SPICE_ROPD_INVERS_RES, false, true, s, d),
                    ==, ~(s & ~d));
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_BLACKNESS, false, false, s, d), ==, 0);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_WHITENESS, false, false, s, d), ==, 0xffffffff);
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_INVERS, false, false, s, d), ==, ~d);
    /* PUT wins over the others, as upstream decodes a descriptor. */
    g_assert_cmphex(canvas_ropd_apply(SPICE_ROPD_OP_PUT | SPICE_ROPD_OP_XOR, false, false, s, d),
                    ==, s);
}

static void test_rop3_table(void)
{
    const uint32_t p = 0xf0f0f0f0, s = 0xcccccccc, d = 0xaaaaaaaa;
    /* The classic codes name their own truth tables with these inputs. */
    g_assert_cmphex(canvas_rop3_apply(0xcc, p, s, d), ==, 0xcccccccc);   /* SRCCOPY */
    g_assert_cmphex(canvas_rop3_apply(0xf0, p, s, d), ==, 0xf0f0f0f0);   /* PATCOPY */
    g_assert_cmphex(canvas_rop3_apply(0xaa, p, s, d), ==, 0xaaaaaaaa);   /* D */
    g_assert_cmphex(canvas_rop3_apply(0x66, p, s, d), ==, s ^ d);        /* SRCINVERT */
    g_assert_cmphex(canvas_rop3_apply(0x5a, p, s, d), ==, p ^ d);        /* PATINVERT */
    g_assert_cmphex(canvas_rop3_apply(0xb8, p, s, d), ==, 0xb8b8b8b8);   /* PSDPxax */
    g_assert_cmphex(canvas_rop3_apply(0xb8, 0x1, 0x2, 0x4), ==, ((0x1 ^ 0x4) & 0x2) ^ 0x1);
    g_assert_cmphex(canvas_rop3_apply(0x00, p, s, d), ==, 0);
    g_assert_cmphex(canvas_rop3_apply(0xff, p, s, d), ==, 0xffffffff);
}

static void test_fill_rops_and_pattern(void)
{
    Canvas c;
    canvas_init(&c, 0x00102030);
    CanvasBrush solid = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0x00ff0000 };
    pixman_region32_t r;
    pixman_region32_init_rect(&r, 1, 0, 2, 1);      /* x 1..2, row 0 */
    canvas_draw_fill(c.surface, &r, &solid, SPICE_ROPD_OP_XOR);
    g_assert_cmphex(px(&c, 0, 0), ==, 0x102030);
    g_assert_cmphex(px(&c, 1, 0), ==, 0xef2030);
    g_assert_cmphex(px(&c, 2, 0), ==, 0xef2030);
    g_assert_cmphex(px(&c, 3, 0), ==, 0x102030);
    g_assert_cmphex(px(&c, 1, 1), ==, 0x102030);
    /* OR with the brush inverted: ~ff0000 = 00ffff, | 102030 */
    canvas_draw_fill(c.surface, &r, &solid, SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_BRUSH);
    g_assert_cmphex(px(&c, 1, 0), ==, 0xefffff);
    pixman_region32_fini(&r);

    /* A 2x2 pattern, origin (1, 0): pixel (x, y) takes tile ((x - 1) mod 2, y mod 2). */
    uint32_t tile_bits[4] = { 0x00000001, 0x00000002, 0x00000003, 0x00000004 };
    pixman_image_t *tile = pixman_image_create_bits(PIXMAN_x8r8g8b8, 2, 2, tile_bits, 8);
    CanvasBrush pattern = { .type = SPICE_BRUSH_TYPE_PATTERN, .pattern = tile, .pattern_x = 1 };
    pixman_region32_init_rect(&r, 0, 1, 4, 2);      /* rows 1..2, x 0..3 */
    canvas_draw_fill(c.surface, &r, &pattern, SPICE_ROPD_OP_PUT);
    pixman_region32_fini(&r);
    pixman_image_unref(tile);
    g_assert_cmphex(px(&c, 0, 1), ==, 4);
    g_assert_cmphex(px(&c, 1, 1), ==, 3);
    g_assert_cmphex(px(&c, 2, 1), ==, 4);
    g_assert_cmphex(px(&c, 1, 2), ==, 1);
    g_assert_cmphex(px(&c, 2, 2), ==, 2);
    g_assert_cmphex(px(&c, 4, 1), ==, 0x102030);
    canvas_fini(&c);
}

static void test_mask_region(void)
{
    /* 1BIT_BE mask 6x1: bits 1010 11 -> x 0, 2, 4, 5; placed with mask pos (1, 0) at origin (2, 1). */
    uint8_t bits[1] = { 0xac };
    QxlImage image = { .type = SPICE_IMAGE_TYPE_BITMAP, .width = 6, .height = 1,
                       .format = SPICE_BITMAP_FMT_1BIT_BE, .stride = 1, .data = bits,
                       .data_size = 1 };
    QxlMask mask = { .x = 1, .y = 0, .bitmap = &image };
    pixman_region32_t r;
    pixman_region32_init_rect(&r, 0, 0, W, H);
    g_assert_true(canvas_region_apply_mask(&r, &mask, 2, 1));
    /* Mask pixel m lands on x = 2 + (m - 1): set m = 0, 2, 4, 5 -> x = 1, 3, 5, 6. */
    g_assert_true(pixman_region32_contains_point(&r, 1, 1, NULL));
    g_assert_false(pixman_region32_contains_point(&r, 2, 1, NULL));
    g_assert_true(pixman_region32_contains_point(&r, 3, 1, NULL));
    g_assert_true(pixman_region32_contains_point(&r, 6, 1, NULL));
    g_assert_false(pixman_region32_contains_point(&r, 7, 1, NULL));
    g_assert_false(pixman_region32_contains_point(&r, 3, 0, NULL));
    pixman_region32_fini(&r);

    /* INVERS keeps the clear bits (inside the mask only); LE reads bit 0 first. */
    mask.flags = SPICE_MASK_FLAGS_INVERS;
    image.format = SPICE_BITMAP_FMT_1BIT_LE;   /* 0xac LE: x 2, 3, 5 set */
    pixman_region32_init_rect(&r, 0, 0, W, H);
    g_assert_true(canvas_region_apply_mask(&r, &mask, 1, 0));
    /* clear m = 0, 1, 4 -> x = m: 0, 1, 4 */
    g_assert_true(pixman_region32_contains_point(&r, 0, 0, NULL));
    g_assert_true(pixman_region32_contains_point(&r, 4, 0, NULL));
    g_assert_false(pixman_region32_contains_point(&r, 2, 0, NULL));
    g_assert_false(pixman_region32_contains_point(&r, 6, 0, NULL));
    pixman_region32_fini(&r);
}

static pixman_image_t *image_2x2(uint32_t *bits, pixman_format_code_t format)
{
    return pixman_image_create_bits(format, 2, 2, bits, 8);
}

static void test_copy_opaque_rop3_transparent(void)
{
    Canvas c;
    canvas_init(&c, 0x000000ff);
    uint32_t bits[4] = { 0x00ff0000, 0x0000ff00, 0x00000000, 0x00ffffff };
    pixman_image_t *img = image_2x2(bits, PIXMAN_x8r8g8b8);
    CanvasSource src = { .image = img, .area = { 0, 0, 2, 2 } };
    pixman_box32_t bbox = { 0, 0, 2, 2 };
    pixman_region32_t r;
    pixman_region32_init_rect(&r, 0, 0, 2, 2);
    canvas_draw_copy(c.surface, &r, &bbox, &src, SPICE_ROPD_OP_OR);
    g_assert_cmphex(px(&c, 0, 0), ==, 0xff00ff);
    g_assert_cmphex(px(&c, 1, 0), ==, 0x00ffff);
    g_assert_cmphex(px(&c, 0, 1), ==, 0x0000ff);
    g_assert_cmphex(px(&c, 2, 0), ==, 0x0000ff);
    pixman_region32_fini(&r);

    /* Scaled 2x2 -> 4x2 at (4, 0), nearest: each source column twice. */
    pixman_box32_t wide = { 4, 0, 8, 2 };
    pixman_region32_init_rect(&r, 4, 0, 4, 2);
    canvas_draw_copy(c.surface, &r, &wide, &src, SPICE_ROPD_OP_PUT);
    g_assert_cmphex(px(&c, 4, 0), ==, 0xff0000);
    g_assert_cmphex(px(&c, 5, 0), ==, 0xff0000);
    g_assert_cmphex(px(&c, 6, 0), ==, 0x00ff00);
    g_assert_cmphex(px(&c, 7, 1), ==, 0xffffff);
    pixman_region32_fini(&r);

    /* OPAQUE: source, then brush AND source. */
    CanvasBrush brush = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0x00f0f0f0 };
    pixman_box32_t b2 = { 0, 2, 2, 4 };
    pixman_region32_init_rect(&r, 0, 2, 2, 2);
    canvas_draw_opaque(c.surface, &r, &b2, &src, &brush, SPICE_ROPD_OP_AND);
    g_assert_cmphex(px(&c, 0, 2), ==, 0xf00000);
    g_assert_cmphex(px(&c, 1, 3), ==, 0xf0f0f0);
    g_assert_cmphex(px(&c, 0, 3), ==, 0x000000);
    /* ROP3 0x5a (P ^ D) over it: P = f0f0f0 */
    canvas_draw_rop3(c.surface, &r, &b2, &src, &brush, 0x5a);
    g_assert_cmphex(px(&c, 0, 2), ==, 0x00f0f0);
    g_assert_cmphex(px(&c, 1, 3), ==, 0x000000);
    pixman_region32_fini(&r);

    /* TRANSPARENT: key white leaves the destination alone. */
    pixman_box32_t b3 = { 2, 2, 4, 4 };
    pixman_region32_init_rect(&r, 2, 2, 2, 2);
    canvas_draw_transparent(c.surface, &r, &b3, &src, 0x00ffffff);
    g_assert_cmphex(px(&c, 2, 2), ==, 0xff0000);
    g_assert_cmphex(px(&c, 2, 3), ==, 0x000000);
    g_assert_cmphex(px(&c, 3, 3), ==, 0x0000ff);   /* kept */
    pixman_region32_fini(&r);
    pixman_image_unref(img);
    canvas_fini(&c);
}

static void test_alpha_and_composite(void)
{
    Canvas c;
    canvas_init(&c, 0x00000000);
    uint32_t white[4] = { 0x00ffffff, 0x00ffffff, 0x00ffffff, 0x00ffffff };
    pixman_image_t *img = image_2x2(white, PIXMAN_x8r8g8b8);
    CanvasSource src = { .image = img, .area = { 0, 0, 2, 2 } };
    pixman_box32_t bbox = { 0, 0, 2, 2 };
    pixman_region32_t r;
    pixman_region32_init_rect(&r, 0, 0, 2, 2);
    canvas_draw_alpha_blend(c.surface, &r, &bbox, &src, 0x80);
    g_assert_cmphex(px(&c, 0, 0), ==, 0x808080);
    g_assert_cmphex(px(&c, 2, 0), ==, 0);
    pixman_region32_fini(&r);
    pixman_image_unref(img);

    /* Premultiplied ARGB OVER: half-transparent red on black. */
    uint32_t red[4] = { 0x80800000, 0x80800000, 0x80800000, 0x80800000 };
    pixman_image_t *argb = image_2x2(red, PIXMAN_a8r8g8b8);
    QxlComposite comp = { .flags = QXL_OP_OVER };
    pixman_box32_t b2 = { 4, 0, 6, 2 };
    pixman_region32_init_rect(&r, 4, 0, 2, 2);
    canvas_draw_composite(c.surface, &r, &b2, &comp, argb, NULL);
    g_assert_cmphex(px(&c, 4, 0), ==, 0x800000);
    g_assert_cmphex(px(&c, 6, 0), ==, 0);
    /* SRC with a source origin: the composite reads from (src_x, src_y) on. */
    comp.flags = QXL_OP_SOURCE;
    comp.src_x = 1;
    canvas_draw_composite(c.surface, &r, &b2, &comp, argb, NULL);
    g_assert_cmphex(px(&c, 4, 0), ==, 0x800000);
    g_assert_cmphex(px(&c, 5, 0), ==, 0);          /* outside the 2x2 source: transparent */
    pixman_region32_fini(&r);
    pixman_image_unref(argb);
    canvas_fini(&c);
}

static void test_stroke(void)
{
    Canvas c;
    canvas_init(&c, 0);
    /* One BEGIN|END segment from (1, 1) to (5, 1) in 28.4: pixels 1..4, the end excluded. */
    QxlPathSegment seg = { .flags = SPICE_PATH_BEGIN | SPICE_PATH_END, .first_point = 0, .count = 2 };
    QxlPointFix points[2] = { { 1 << 4, 1 << 4 }, { 5 << 4, 1 << 4 } };
    QxlStroke stroke = { .path = { .num_segments = 1, .segments = &seg, .num_points = 2,
                                   .points = points },
                         .fore_mode = SPICE_ROPD_OP_PUT };
    CanvasBrush brush = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0x00abcdef };
    canvas_draw_stroke(c.surface, &c.region, &stroke, &brush);
    g_assert_cmphex(px(&c, 0, 1), ==, 0);
    g_assert_cmphex(px(&c, 1, 1), ==, 0xabcdef);
    g_assert_cmphex(px(&c, 4, 1), ==, 0xabcdef);
    g_assert_cmphex(px(&c, 5, 1), ==, 0);
    g_assert_cmphex(px(&c, 2, 0), ==, 0);

    /* Dashed 1 on, 1 off on row 2, XOR: x 0, 2, 4, 6 flipped. */
    int32_t style[2] = { 1 << 4, 1 << 4 };
    points[0] = (QxlPointFix) { 0, 2 << 4 };
    points[1] = (QxlPointFix) { 8 << 4, 2 << 4 };
    stroke.attr_flags = SPICE_LINE_FLAGS_STYLED;
    stroke.style = style;
    stroke.style_nseg = 2;
    stroke.fore_mode = SPICE_ROPD_OP_XOR;
    canvas_draw_stroke(c.surface, &c.region, &stroke, &brush);
    g_assert_cmphex(px(&c, 0, 2), ==, 0xabcdef);
    g_assert_cmphex(px(&c, 1, 2), ==, 0);
    g_assert_cmphex(px(&c, 6, 2), ==, 0xabcdef);
    g_assert_cmphex(px(&c, 7, 2), ==, 0);

    /* A tie (dx 8, dy 1, half way at x 4): X's bias steps there going right, not going left, so
     * both directions light the same pixels. */
    Canvas d;
    canvas_init(&d, 0);
    stroke.attr_flags = 0;
    stroke.fore_mode = SPICE_ROPD_OP_PUT;
    points[0] = (QxlPointFix) { 0, 0 };
    points[1] = (QxlPointFix) { 8 << 4, 1 << 4 };
    canvas_draw_stroke(d.surface, &d.region, &stroke, &brush);
    g_assert_cmphex(px(&d, 3, 0), ==, 0xabcdef);
    g_assert_cmphex(px(&d, 4, 0), ==, 0);
    g_assert_cmphex(px(&d, 4, 1), ==, 0xabcdef);
    g_assert_cmphex(px(&d, 7, 1), ==, 0xabcdef);
    canvas_fini(&d);
    canvas_init(&d, 0);
    points[0] = (QxlPointFix) { 8 << 4, 1 << 4 };
    points[1] = (QxlPointFix) { 0, 0 };
    canvas_draw_stroke(d.surface, &d.region, &stroke, &brush);
    g_assert_cmphex(px(&d, 3, 0), ==, 0xabcdef);
    g_assert_cmphex(px(&d, 4, 0), ==, 0);
    g_assert_cmphex(px(&d, 4, 1), ==, 0xabcdef);
    g_assert_cmphex(px(&d, 0, 0), ==, 0);          /* the end point is not drawn */
    canvas_fini(&d);
    canvas_fini(&c);
}

static void test_text(void)
{
    Canvas c;
    canvas_init(&c, 0);
    /* One 3x2 A1 glyph stored bottom row first: 101 then 010, so 010 is drawn on top; its box
     * is at render (2, 2) + origin (0, -1) = (2, 1). */
    uint8_t data[2] = { 0xa0, 0x40 };
    QxlGlyph glyph = { .render_x = 2, .render_y = 2, .origin_x = 0, .origin_y = -1, .width = 3,
                       .height = 2, .stride = 1, .data_offset = 0 };
    QxlText text = { .string_flags = SPICE_STRING_FLAGS_RASTER_A1, .num_glyphs = 1,
                     .glyphs = &glyph, .glyph_data = data, .glyph_data_size = 2,
                     .back_area = { .top = 0, .left = 0, .bottom = 1, .right = 2 },
                     .fore_mode = SPICE_ROPD_OP_PUT, .back_mode = SPICE_ROPD_OP_PUT };
    CanvasBrush fore = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0x00111111 };
    CanvasBrush back = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0x00222222 };
    canvas_draw_text(c.surface, &c.region, &text, &fore, &back);
    g_assert_cmphex(px(&c, 0, 0), ==, 0x222222);
    g_assert_cmphex(px(&c, 1, 0), ==, 0x222222);
    g_assert_cmphex(px(&c, 2, 0), ==, 0);
    g_assert_cmphex(px(&c, 2, 1), ==, 0);
    g_assert_cmphex(px(&c, 3, 1), ==, 0x111111);
    g_assert_cmphex(px(&c, 4, 1), ==, 0);
    g_assert_cmphex(px(&c, 2, 2), ==, 0x111111);
    g_assert_cmphex(px(&c, 3, 2), ==, 0);
    g_assert_cmphex(px(&c, 4, 2), ==, 0x111111);
    /* RASTER_TOP_DOWN changes nothing (as upstream): XOR-ing the same glyph clears it. */
    text.string_flags = SPICE_STRING_FLAGS_RASTER_A1 | SPICE_STRING_FLAGS_RASTER_TOP_DOWN;
    text.back_area = (QxlRect) { 0 };
    text.fore_mode = SPICE_ROPD_OP_XOR;
    canvas_draw_text(c.surface, &c.region, &text, &fore, &back);
    g_assert_cmphex(px(&c, 3, 1), ==, 0);
    g_assert_cmphex(px(&c, 2, 2), ==, 0);
    g_assert_cmphex(px(&c, 4, 2), ==, 0);
    canvas_fini(&c);
}

static void test_16bit_surface(void)
{
    uint16_t mem[W * H];
    for (int i = 0; i < W * H; i++) {
        mem[i] = 0x001f;    /* 565 blue */
    }
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_16_565, W, H, W * 2, (uint8_t *)mem);
    g_assert_nonnull(s);
    pixman_region32_t r;
    pixman_region32_init_rect(&r, 0, 0, 2, 1);
    /* The brush color is in the surface's format: XOR with 565 red. */
    CanvasBrush red = { .type = SPICE_BRUSH_TYPE_SOLID, .color = 0xf800 };
    canvas_draw_fill(s, &r, &red, SPICE_ROPD_OP_XOR);
    g_assert_cmphex(mem[0], ==, 0xf81f);
    g_assert_cmphex(mem[1], ==, 0xf81f);
    g_assert_cmphex(mem[2], ==, 0x001f);
    canvas_draw_fill(s, &r, &red, SPICE_ROPD_OP_INVERS);
    g_assert_cmphex(mem[0], ==, 0x07e0);
    pixman_region32_fini(&r);
    surface_destroy(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/canvas-draw/ropd-table", test_ropd_table);
    g_test_add_func("/canvas-draw/rop3-table", test_rop3_table);
    g_test_add_func("/canvas-draw/fill-rops-pattern", test_fill_rops_and_pattern);
    g_test_add_func("/canvas-draw/mask-region", test_mask_region);
    g_test_add_func("/canvas-draw/copy-opaque-rop3-transparent", test_copy_opaque_rop3_transparent);
    g_test_add_func("/canvas-draw/alpha-composite", test_alpha_and_composite);
    g_test_add_func("/canvas-draw/stroke", test_stroke);
    g_test_add_func("/canvas-draw/text", test_text);
    g_test_add_func("/canvas-draw/16bit", test_16bit_surface);
    return g_test_run();
}
