/* test-qxl-parse-draws: the draw ops of qxl/parse-draw*.c beyond FILL/COPY (brushes, masks, rop3, stroke, text, composite...) and their rejections. */
#include <stddef.h>

#include "test-qxl-guest.h"

#include "qxl/qxl-parse.h"

#define N_SURFACES 16

static QxlParseLimits limits(void)
{
    QxlParseLimits l;
    qxl_parse_limits_init(&l, N_SURFACES);
    return l;
}

static QXLDrawable drawable(uint8_t type)
{
    QXLDrawable d;
    memset(&d, 0, sizeof(d));
    d.type = type;
    d.bbox = (QXLRect) { .top = 0, .left = 0, .bottom = 4, .right = 4 };
    for (int i = 0; i < 3; i++) {
        d.surfaces_dest[i] = -1;
    }
    return d;
}

static QxlStatus parse(FakeGuest *g, const QXLDrawable *d, QxlDrawCommand *out)
{
    QxlParseLimits l = limits();
    return qxl_parse_draw(g->slots, FAKE_GROUP, fake_addr(fake_put(g, d, sizeof(*d))), 0, &l, out);
}

/* A 32-bit DIRECT top-down bitmap (w x h) or a 1-bit one (for masks). */
static QXLPHYSICAL put_bitmap(FakeGuest *g, uint8_t format, uint32_t w, uint32_t h)
{
    uint32_t stride = format == SPICE_BITMAP_FMT_32BIT ? w * 4 : (w + 7) / 8;
    uint64_t data = fake_alloc(g, (uint64_t)stride * h);
    memset(fake_ptr(g, data), 0xa5, (size_t)stride * h);
    QXLImage img;
    memset(&img, 0, sizeof(img));
    img.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img.descriptor.width = w;
    img.descriptor.height = h;
    img.bitmap.format = format;
    img.bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    img.bitmap.x = w;
    img.bitmap.y = h;
    img.bitmap.stride = stride;
    img.bitmap.data = fake_addr(data);
    if (format == SPICE_BITMAP_FMT_1BIT_BE) {
        uint64_t pal = fake_alloc(g, sizeof(QXLPalette) + 8);
        QXLPalette p = { .num_ents = 2 };
        memcpy(fake_ptr(g, pal), &p, sizeof(p));
        img.bitmap.palette = fake_addr(pal);
    }
    return fake_addr(fake_put(g, &img, sizeof(img)));
}

static void test_brushes_masks_rop3(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlDrawCommand cmd;
    QXLDrawable d = drawable(QXL_DRAW_ROP3);
    d.u.rop3.src_bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 4, 4);
    d.u.rop3.src_area = (QXLRect) { .top = 0, .left = 0, .bottom = 4, .right = 4 };
    d.u.rop3.brush.type = SPICE_BRUSH_TYPE_PATTERN;
    d.u.rop3.brush.u.pattern.pat = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 2, 2);
    d.u.rop3.brush.u.pattern.pos = (QXLPoint) { .x = 3, .y = -1 };
    d.u.rop3.rop3 = 0xb8;
    d.u.rop3.mask.bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_1BIT_BE, 4, 4);
    d.u.rop3.mask.flags = SPICE_MASK_FLAGS_INVERS;
    d.u.rop3.mask.pos = (QXLPoint) { .x = 1, .y = 2 };
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.copy.rop3, ==, 0xb8);
    g_assert_cmpuint(cmd.u.copy.brush.type, ==, SPICE_BRUSH_TYPE_PATTERN);
    g_assert_cmpuint(cmd.u.copy.brush.pattern->width, ==, 2);
    g_assert_cmpint(cmd.u.copy.brush.pattern_x, ==, 3);
    g_assert_cmpint(cmd.u.copy.brush.pattern_y, ==, -1);
    g_assert_cmpuint(cmd.u.copy.mask.bitmap->format, ==, SPICE_BITMAP_FMT_1BIT_BE);
    g_assert_cmpuint(cmd.u.copy.mask.flags, ==, SPICE_MASK_FLAGS_INVERS);
    g_assert_cmpint(cmd.u.copy.mask.y, ==, 2);
    qxl_draw_command_clear(&cmd);

    /* A pattern from another surface, and one whose surface id is out of range. */
    QXLImage simg;
    memset(&simg, 0, sizeof(simg));
    simg.descriptor.type = SPICE_IMAGE_TYPE_SURFACE;
    simg.descriptor.width = simg.descriptor.height = 4;
    simg.surface_image.surface_id = 5;
    d.u.rop3.brush.u.pattern.pat = fake_addr(fake_put(&g, &simg, sizeof(simg)));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.copy.brush.pattern->surface_id, ==, 5);
    qxl_draw_command_clear(&cmd);
    simg.surface_image.surface_id = 0xffffffff;
    d.u.rop3.brush.u.pattern.pat = fake_addr(fake_put(&g, &simg, sizeof(simg)));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_SURFACE_ID);
    g_assert_null(cmd.u.copy.src);
    qxl_draw_command_clear(&cmd);

    /* Blackness / whiteness / invers: a mask or none; a 32-bit mask is refused. */
    QXLDrawable b = drawable(QXL_DRAW_WHITENESS);
    g_assert_cmpint(parse(&g, &b, &cmd), ==, QXL_STATUS_OK);
    g_assert_null(cmd.u.mask_only.mask.bitmap);
    qxl_draw_command_clear(&cmd);
    b.u.whiteness.mask.bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 2, 2);
    g_assert_cmpint(parse(&g, &b, &cmd), ==, QXL_STATUS_BAD_FORMAT);
    qxl_draw_command_clear(&cmd);

    /* BLEND shares COPY's layout. */
    QXLDrawable bl = drawable(QXL_DRAW_BLEND);
    bl.u.blend.src_bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 4, 4);
    bl.u.blend.src_area = (QXLRect) { .top = 1, .left = 1, .bottom = 3, .right = 3 };
    bl.u.blend.rop_descriptor = SPICE_ROPD_OP_AND;
    g_assert_cmpint(parse(&g, &bl, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.copy.rop_descriptor, ==, SPICE_ROPD_OP_AND);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_transparent_alpha(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlDrawCommand cmd;
    QXLDrawable d = drawable(QXL_DRAW_TRANSPARENT);
    d.u.transparent.src_bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 4, 4);
    d.u.transparent.src_area = (QXLRect) { .top = 0, .left = 0, .bottom = 4, .right = 4 };
    d.u.transparent.true_color = 0x00ff00ff;
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmphex(cmd.u.transparent.true_color, ==, 0x00ff00ff);
    qxl_draw_command_clear(&cmd);
    d.u.transparent.src_area.right = 5;
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);

    QXLDrawable a = drawable(QXL_DRAW_ALPHA_BLEND);
    a.u.alpha_blend.alpha = 0x40;
    a.u.alpha_blend.alpha_flags = SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA;
    a.u.alpha_blend.src_bitmap = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 4, 4);
    a.u.alpha_blend.src_area = (QXLRect) { .top = 0, .left = 0, .bottom = 2, .right = 2 };
    g_assert_cmpint(parse(&g, &a, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.alpha_blend.alpha, ==, 0x40);
    g_assert_cmpuint(cmd.u.alpha_blend.src->height, ==, 4);
    qxl_draw_command_clear(&cmd);
    a.u.alpha_blend.src_bitmap = 0;
    g_assert_cmpint(parse(&g, &a, &cmd), ==, QXL_STATUS_NULL_POINTER);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

/* A QXLPath whose data is @bytes, in one chunk. */
static QXLPHYSICAL put_path(FakeGuest *g, const void *bytes, uint32_t size, uint32_t claimed)
{
    uint64_t off = fake_alloc(g, sizeof(QXLPath) + size);
    QXLPath p;
    memset(&p, 0, sizeof(p));
    p.data_size = claimed;
    p.chunk.data_size = size;
    memcpy(fake_ptr(g, off), &p, sizeof(p));
    memcpy(fake_ptr(g, off + sizeof(p)), bytes, size);
    return fake_addr(off);
}

static void test_stroke(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlDrawCommand cmd;
    /* BEGIN with 1 point + 3 bezier points; then a line segment with 2 points, END|CLOSE. */
    int32_t data[] = {
        SPICE_PATH_BEGIN | SPICE_PATH_BEZIER, 4, 0, 0, 16, 0, 16, 16, 32, 16,
        SPICE_PATH_END | SPICE_PATH_CLOSE, 2, 48, 48, 0, 48,
    };
    QXLDrawable d = drawable(QXL_DRAW_STROKE);
    d.u.stroke.path = put_path(&g, data, sizeof(data), sizeof(data));
    d.u.stroke.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.stroke.fore_mode = SPICE_ROPD_OP_PUT;
    int32_t style[3] = { 32, 16, 48 };
    d.u.stroke.attr.flags = SPICE_LINE_FLAGS_STYLED;
    d.u.stroke.attr.style_nseg = 3;
    d.u.stroke.attr.style = fake_addr(fake_put(&g, style, sizeof(style)));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.stroke.path.num_segments, ==, 2);
    g_assert_cmpuint(cmd.u.stroke.path.num_points, ==, 6);
    g_assert_cmpuint(cmd.u.stroke.path.segments[1].first_point, ==, 4);
    g_assert_cmpint(cmd.u.stroke.path.points[5].y, ==, 48);
    g_assert_cmpint(cmd.u.stroke.style[2], ==, 48);
    qxl_draw_command_clear(&cmd);

    /* Style without lengths. */
    d.u.stroke.attr.style_nseg = 0;
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_SIZE);
    qxl_draw_command_clear(&cmd);
    d.u.stroke.attr.flags = 0;

    /* A bezier whose points do not come in threes. */
    int32_t bad_bezier[] = { SPICE_PATH_BEGIN | SPICE_PATH_BEZIER, 3, 0, 0, 16, 0, 16, 16 };
    d.u.stroke.path = put_path(&g, bad_bezier, sizeof(bad_bezier), sizeof(bad_bezier));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_SIZE);
    qxl_draw_command_clear(&cmd);
    /* A count running past the data. */
    int32_t overrun[] = { SPICE_PATH_BEGIN, 1000, 0, 0 };
    d.u.stroke.path = put_path(&g, overrun, sizeof(overrun), sizeof(overrun));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_draw_command_clear(&cmd);
    /* data_size larger than the chunk carries, and larger than the limit. */
    d.u.stroke.path = put_path(&g, data, sizeof(data), sizeof(data) + 8);
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_draw_command_clear(&cmd);
    d.u.stroke.path = put_path(&g, data, sizeof(data), 0xffffffffu);
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_TOO_LARGE);
    qxl_draw_command_clear(&cmd);
    /* Unknown segment flags. */
    int32_t bad_flags[] = { 0x100, 0 };
    d.u.stroke.path = put_path(&g, bad_flags, sizeof(bad_flags), sizeof(bad_flags));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

/* A QXLString of @length glyphs whose data is @bytes. */
static QXLPHYSICAL put_string(FakeGuest *g, uint16_t flags, uint16_t length, const void *bytes,
                              uint32_t size)
{
    uint64_t off = fake_alloc(g, sizeof(QXLString) + size);
    QXLString s;
    memset(&s, 0, sizeof(s));
    s.data_size = size;
    s.length = length;
    s.flags = flags;
    s.chunk.data_size = size;
    memcpy(fake_ptr(g, off), &s, sizeof(s));
    memcpy(fake_ptr(g, off + sizeof(s)), bytes, size);
    return fake_addr(off);
}

static void test_text(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlDrawCommand cmd;
    /* Two glyphs: 9x2 (stride 2, 4 bytes) and 1x1 (1 byte). */
    uint8_t buf[2 * sizeof(QXLRasterGlyph) + 5];
    QXLRasterGlyph g1 = { .render_pos = { 10, 20 }, .glyph_origin = { 0, -2 }, .width = 9, .height = 2 };
    QXLRasterGlyph g2 = { .render_pos = { 19, 20 }, .glyph_origin = { 1, -1 }, .width = 1, .height = 1 };
    memcpy(buf, &g1, sizeof(g1));
    memset(buf + sizeof(g1), 0xff, 4);
    memcpy(buf + sizeof(g1) + 4, &g2, sizeof(g2));
    buf[sizeof(buf) - 1] = 0x80;
    QXLDrawable d = drawable(QXL_DRAW_TEXT);
    d.u.text.str = put_string(&g, SPICE_STRING_FLAGS_RASTER_A1, 2, buf, sizeof(buf));
    d.u.text.fore_brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.text.back_area = (QXLRect) { .top = 1, .left = 1, .bottom = 2, .right = 2 };
    d.u.text.fore_mode = SPICE_ROPD_OP_PUT;
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_cmpuint(cmd.u.text.num_glyphs, ==, 2);
    g_assert_cmpuint(cmd.u.text.glyphs[0].stride, ==, 2);
    g_assert_cmpuint(cmd.u.text.glyphs[1].data_offset, ==, 2 * sizeof(QXLRasterGlyph) + 4);
    g_assert_cmpint(cmd.u.text.glyphs[1].origin_y, ==, -1);
    g_assert_cmpuint(cmd.u.text.glyph_data[cmd.u.text.glyphs[1].data_offset], ==, 0x80);
    qxl_draw_command_clear(&cmd);

    /* One glyph more than the data holds; A4 strings; no raster flag; an inverted back area. */
    d.u.text.str = put_string(&g, SPICE_STRING_FLAGS_RASTER_A1, 3, buf, sizeof(buf));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_draw_command_clear(&cmd);
    d.u.text.str = put_string(&g, SPICE_STRING_FLAGS_RASTER_A1, 2, buf, sizeof(buf) - 1);
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_DATA_SIZE_MISMATCH);
    qxl_draw_command_clear(&cmd);
    d.u.text.str = put_string(&g, SPICE_STRING_FLAGS_RASTER_A4, 2, buf, sizeof(buf));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_UNSUPPORTED);
    qxl_draw_command_clear(&cmd);
    d.u.text.str = put_string(&g, 0, 2, buf, sizeof(buf));
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_FORMAT);
    qxl_draw_command_clear(&cmd);
    d.u.text.back_area = (QXLRect) { .top = 3, .left = 1, .bottom = 2, .right = 2 };
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_RECT);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

static void test_composite(void)
{
    FakeGuest g;
    fake_guest_init(&g);
    QxlDrawCommand cmd;
    QXLTransform t = { .t00 = 0x10000, .t11 = 0x10000, .t02 = 0x20000 };
    QXLDrawable d = drawable(QXL_DRAW_COMPOSITE);
    d.u.composite.flags = QXL_OP_OVER | (1u << 8) | (2u << 14);
    d.u.composite.src = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 4, 4);
    d.u.composite.src_transform = fake_addr(fake_put(&g, &t, sizeof(t)));
    d.u.composite.mask = put_bitmap(&g, SPICE_BITMAP_FMT_32BIT, 2, 2);
    d.u.composite.src_origin = (QXLPoint16) { .x = -3, .y = 7 };
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OK);
    g_assert_true(cmd.u.composite.has_src_transform);
    g_assert_cmpuint(cmd.u.composite.src_transform[2], ==, 0x20000);
    g_assert_false(cmd.u.composite.has_mask_transform);
    g_assert_nonnull(cmd.u.composite.mask);
    g_assert_cmpint(cmd.u.composite.src_x, ==, -3);
    qxl_draw_command_clear(&cmd);

    /* Unknown operator, a convolution filter, a transform out of the slot. */
    d.u.composite.flags = 0x20;
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    d.u.composite.flags = QXL_OP_OVER | (5u << 8);
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_BAD_TYPE);
    qxl_draw_command_clear(&cmd);
    d.u.composite.flags = QXL_OP_OVER;
    d.u.composite.src_transform = fake_addr(FAKE_SIZE - 4);
    g_assert_cmpint(parse(&g, &d, &cmd), ==, QXL_STATUS_OUT_OF_BOUNDS);
    qxl_draw_command_clear(&cmd);
    fake_guest_finish(&g);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/qxl-parse-draws/brushes-masks-rop3", test_brushes_masks_rop3);
    g_test_add_func("/qxl-parse-draws/transparent-alpha", test_transparent_alpha);
    g_test_add_func("/qxl-parse-draws/stroke", test_stroke);
    g_test_add_func("/qxl-parse-draws/text", test_text);
    g_test_add_func("/qxl-parse-draws/composite", test_composite);
    return g_test_run();
}
