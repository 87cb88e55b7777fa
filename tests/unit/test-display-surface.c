/* test-display-surface: the server canvas (fill, copy, copy-bits, clips, negative stride) and guest bitmap conversion. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "server/qxl-worker-bitmap.h"
#include "server/surface.h"

#define W 8
#define H 6

static uint32_t px(const uint32_t *mem, int x, int y)
{
    return mem[y * W + x];
}

static void test_fill_and_clip(void)
{
    uint32_t mem[W * H] = { 0 };
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, W * 4, (uint8_t *)mem);
    g_assert_nonnull(s);
    pixman_box32_t box = { 1, 1, 4, 3 };
    surface_fill(s, &box, NULL, 0x00112233);
    g_assert_cmphex(px(mem, 0, 0), ==, 0);
    g_assert_cmphex(px(mem, 1, 1), ==, 0x00112233);
    g_assert_cmphex(px(mem, 3, 2), ==, 0x00112233);
    g_assert_cmphex(px(mem, 4, 2), ==, 0);
    g_assert_cmphex(px(mem, 3, 3), ==, 0);

    /* A clip lets only its part through; a box past the edges is cut, never written outside. */
    pixman_box32_t clip_box = { 6, 0, 7, 6 };
    pixman_region32_t clip;
    pixman_region32_init_rects(&clip, &clip_box, 1);
    pixman_box32_t wide = { -100, -100, 100, 100 };
    surface_fill(s, &wide, &clip, 0x00aabbcc);
    pixman_region32_fini(&clip);
    g_assert_cmphex(px(mem, 6, 0), ==, 0x00aabbcc);
    g_assert_cmphex(px(mem, 6, 5), ==, 0x00aabbcc);
    g_assert_cmphex(px(mem, 5, 0), ==, 0);
    g_assert_cmphex(px(mem, 7, 5), ==, 0);
    surface_destroy(s);
}

static void test_negative_stride(void)
{
    /* Bottom-up memory: line 0 (top) is the LAST line in memory. */
    uint32_t mem[W * H] = { 0 };
    uint8_t *line0 = (uint8_t *)&mem[(H - 1) * W];
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, -(int32_t)(W * 4), line0);
    g_assert_nonnull(s);
    pixman_box32_t top_row = { 0, 0, W, 1 };
    surface_fill(s, &top_row, NULL, 0x00ff0000);
    g_assert_cmphex(mem[(H - 1) * W], ==, 0x00ff0000);
    g_assert_cmphex(mem[0], ==, 0);
    uint32_t out[W];
    surface_read_rect_32(s, &top_row, (uint8_t *)out, sizeof(out));
    g_assert_cmphex(out[3] & 0xffffff, ==, 0xff0000);
    surface_destroy(s);
}

static void test_rejects_bad_geometry(void)
{
    uint32_t mem[W * H];
    g_assert_null(surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, W * 4 - 4, (uint8_t *)mem));
    g_assert_null(surface_new(0, SPICE_SURFACE_FMT_16_555, 3, H, 6, (uint8_t *)mem));   /* stride % 4 */
    g_assert_null(surface_new(0, 12345, W, H, W * 4, (uint8_t *)mem));
    g_assert_null(surface_new(0, SPICE_SURFACE_FMT_32_xRGB, 0, H, W * 4, (uint8_t *)mem));
}

static void test_copy_image_and_scale(void)
{
    uint32_t mem[W * H] = { 0 };
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, W * 4, (uint8_t *)mem);
    uint32_t src_px[4] = { 0x010101, 0x020202, 0x030303, 0x040404 };   /* 2x2 */
    pixman_image_t *src = pixman_image_create_bits(PIXMAN_x8r8g8b8, 2, 2, src_px, 8);
    pixman_box32_t dest = { 2, 2, 4, 4 }, area = { 0, 0, 2, 2 };
    surface_copy_image(s, &dest, src, &area, NULL, false);
    g_assert_cmphex(px(mem, 2, 2) & 0xffffff, ==, 0x010101);
    g_assert_cmphex(px(mem, 3, 2) & 0xffffff, ==, 0x020202);
    g_assert_cmphex(px(mem, 2, 3) & 0xffffff, ==, 0x030303);
    g_assert_cmphex(px(mem, 3, 3) & 0xffffff, ==, 0x040404);
    g_assert_cmphex(px(mem, 4, 4), ==, 0);

    /* A 1x1 source area stretched over 2x2 (nearest). */
    pixman_box32_t one = { 1, 1, 2, 2 }, big = { 5, 0, 7, 2 };
    surface_copy_image(s, &big, src, &one, NULL, false);
    g_assert_cmphex(px(mem, 5, 0) & 0xffffff, ==, 0x040404);
    g_assert_cmphex(px(mem, 6, 1) & 0xffffff, ==, 0x040404);
    g_assert_cmphex(px(mem, 7, 1), ==, 0);
    pixman_image_unref(src);
    surface_destroy(s);
}

static void test_copy_bits_overlapping(void)
{
    uint32_t mem[W * H];
    for (int i = 0; i < W * H; i++) {
        mem[i] = (uint32_t)i;
    }
    Surface *s = surface_new(0, SPICE_SURFACE_FMT_32_xRGB, W, H, W * 4, (uint8_t *)mem);
    /* Scroll rows 1..5 up by one (source overlaps destination). */
    pixman_box32_t dest = { 0, 0, W, H - 1 };
    surface_copy_bits(s, &dest, 0, 1, NULL);
    for (int y = 0; y < H - 1; y++) {
        for (int x = 0; x < W; x++) {
            g_assert_cmpuint(px(mem, x, y) & 0xffffff, ==, (uint32_t)((y + 1) * W + x));
        }
    }
    g_assert_cmpuint(px(mem, 0, H - 1), ==, (uint32_t)((H - 1) * W));   /* untouched */

    /* Scroll right by 2 with overlap. */
    uint32_t before[W * H];
    memcpy(before, mem, sizeof(mem));
    pixman_box32_t right = { 2, 0, W, H };
    surface_copy_bits(s, &right, 0, 0, NULL);
    for (int y = 0; y < H; y++) {
        for (int x = 2; x < W; x++) {
            g_assert_cmpuint(px(mem, x, y) & 0xffffff, ==, before[y * W + x - 2] & 0xffffff);
        }
    }
    /* A source far outside changes nothing. */
    memcpy(before, mem, sizeof(mem));
    surface_copy_bits(s, &right, 100000, -5000, NULL);
    g_assert_cmpmem(before, sizeof(before), mem, sizeof(mem));
    surface_destroy(s);
}

static void test_bitmap_palette_and_formats(void)
{
    QxlImage image = { 0 };
    uint8_t data[2] = { 0x12, 0x30 };   /* 4BIT_BE, 3 pixels: 1, 2, 3 */
    image.format = SPICE_BITMAP_FMT_4BIT_BE;
    image.width = 3;
    image.height = 1;
    image.stride = 2;
    image.has_palette = true;
    image.palette.num_ents = 4;
    image.palette.ents[1] = 0x111111;
    image.palette.ents[2] = 0x222222;
    image.palette.ents[3] = 0x333333;
    image.data = data;
    image.data_size = sizeof(data);
    uint8_t wire_format = 0;
    pixman_image_t *img = qxl_bitmap_to_pixman(&image, &wire_format);
    g_assert_nonnull(img);
    g_assert_cmpuint(wire_format, ==, SPICE_BITMAP_FMT_32BIT);
    uint32_t *p = pixman_image_get_data(img);
    g_assert_cmphex(p[0], ==, 0x111111);
    g_assert_cmphex(p[1], ==, 0x222222);
    g_assert_cmphex(p[2], ==, 0x333333);
    pixman_image_unref(img);

    image.format = SPICE_BITMAP_FMT_1BIT_LE;
    data[0] = 0x02;   /* pixel 1 set */
    img = qxl_bitmap_to_pixman(&image, &wire_format);
    p = pixman_image_get_data(img);
    g_assert_cmphex(p[0], ==, image.palette.ents[0]);
    g_assert_cmphex(p[1], ==, 0x111111);
    pixman_image_unref(img);

    uint8_t rgb24[6] = { 0x01, 0x02, 0x03, 0x0a, 0x0b, 0x0c };   /* B G R */
    QxlImage rgb = { .format = SPICE_BITMAP_FMT_24BIT, .width = 2, .height = 1, .stride = 6,
                     .data = rgb24, .data_size = 6 };
    img = qxl_bitmap_to_pixman(&rgb, &wire_format);
    p = pixman_image_get_data(img);
    g_assert_cmphex(p[0], ==, 0x030201);
    g_assert_cmphex(p[1], ==, 0x0c0b0a);
    pixman_image_unref(img);

    uint16_t p555[2] = { 0x7c00, 0x001f };   /* red, blue */
    QxlImage hi = { .format = SPICE_BITMAP_FMT_16BIT, .width = 2, .height = 1, .stride = 4,
                    .data = (uint8_t *)p555, .data_size = 4 };
    img = qxl_bitmap_to_pixman(&hi, &wire_format);
    p = pixman_image_get_data(img);
    g_assert_cmphex(p[0], ==, 0xff0000);
    g_assert_cmphex(p[1], ==, 0x0000ff);
    pixman_image_unref(img);

    uint32_t argb[1] = { 0x80112233 };
    QxlImage alpha = { .format = SPICE_BITMAP_FMT_RGBA, .width = 1, .height = 1, .stride = 4,
                       .data = (uint8_t *)argb, .data_size = 4 };
    img = qxl_bitmap_to_pixman(&alpha, &wire_format);
    g_assert_cmpuint(wire_format, ==, SPICE_BITMAP_FMT_RGBA);
    g_assert_cmphex(pixman_image_get_data(img)[0], ==, 0x80112233);
    pixman_image_unref(img);

    QxlImage a8 = { .format = SPICE_BITMAP_FMT_8BIT_A, .width = 1, .height = 1, .stride = 1,
                    .data = (uint8_t *)argb, .data_size = 1 };
    g_assert_null(qxl_bitmap_to_pixman(&a8, &wire_format));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display-surface/fill-clip", test_fill_and_clip);
    g_test_add_func("/display-surface/negative-stride", test_negative_stride);
    g_test_add_func("/display-surface/bad-geometry", test_rejects_bad_geometry);
    g_test_add_func("/display-surface/copy-image-scale", test_copy_image_and_scale);
    g_test_add_func("/display-surface/copy-bits-overlap", test_copy_bits_overlapping);
    g_test_add_func("/display-surface/bitmap-formats", test_bitmap_palette_and_formats);
    return g_test_run();
}
