/* test-display-messages: display and cursor message bodies, read back field by field with a WireReader. */
#include <glib.h>
#include <spice/enums.h>

#include "server/cursor-channel-messages.h"
#include "server/display-channel-messages.h"

static void read_rect(WireReader *r, int32_t top, int32_t left, int32_t bottom, int32_t right)
{
    g_assert_cmpint(wire_read_i32(r), ==, top);
    g_assert_cmpint(wire_read_i32(r), ==, left);
    g_assert_cmpint(wire_read_i32(r), ==, bottom);
    g_assert_cmpint(wire_read_i32(r), ==, right);
}

static void read_empty_mask(WireReader *r)
{
    g_assert_cmpuint(wire_read_u8(r), ==, 0);
    g_assert_cmpint(wire_read_i32(r), ==, 0);
    g_assert_cmpint(wire_read_i32(r), ==, 0);
    g_assert_cmpuint(wire_read_u32(r), ==, 0);
}

static void test_surface_create_destroy(void)
{
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_surface_create(&w, 0, 720, 400, SPICE_SURFACE_FMT_32_xRGB,
                                     SPICE_SURFACE_FLAGS_PRIMARY);
    /* The bytes upstream sent in captures/wire.log for the same surface. */
    static const uint8_t expected[] = {
        0x00, 0x00, 0x00, 0x00, 0xd0, 0x02, 0x00, 0x00, 0x90, 0x01, 0x00, 0x00,
        0x20, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    wire_writer_reset(&w);
    display_msg_write_surface_destroy(&w, 7);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 7);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

static void test_draw_fill_with_clip(void)
{
    pixman_box32_t clip[2] = { { 1, 2, 3, 4 }, { 5, 6, 7, 8 } };
    DisplayDrawBase base = {
        .surface_id = 0,
        .box = { .x1 = 10, .y1 = 20, .x2 = 30, .y2 = 40 },
        .clip_rects = clip,
        .num_clip_rects = 2,
    };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_draw_fill(&w, &base, 0x00ff8040, SPICE_ROPD_OP_PUT);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 20, 10, 40, 30);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_RECTS);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);
    read_rect(&r, 2, 1, 4, 3);
    read_rect(&r, 6, 5, 8, 7);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BRUSH_TYPE_SOLID);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0x00ff8040);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_ROPD_OP_PUT);
    read_empty_mask(&r);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

static void test_draw_copy_bitmap(void)
{
    /* A 2x2 crop out of a 3-pixel-wide image: rows must be packed on the wire. */
    uint32_t pixels[3 * 3];
    for (unsigned i = 0; i < G_N_ELEMENTS(pixels); i++) {
        pixels[i] = 0x10101 * i;
    }
    DisplayBitmap bitmap = {
        .image_id = 0x1122334455667788,
        .format = SPICE_BITMAP_FMT_32BIT,
        .width = 2,
        .height = 2,
        .stride = 3 * 4,
        .pixels = (const uint8_t *)&pixels[3 + 1],
    };
    DisplayDrawBase base = { .surface_id = 0, .box = { .x1 = 5, .y1 = 6, .x2 = 7, .y2 = 8 } };
    pixman_box32_t src_area = { 0, 0, 2, 2 };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_draw_copy(&w, &base, &bitmap, &src_area, SPICE_ROPD_OP_PUT,
                                SPICE_IMAGE_SCALE_MODE_NEAREST);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 6, 5, 8, 7);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    uint32_t image_offset = wire_read_u32(&r);
    read_rect(&r, 0, 0, 2, 2);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_ROPD_OP_PUT);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_SCALE_MODE_NEAREST);
    read_empty_mask(&r);
    /* The image follows the fixed part (as in the capture: offset 57 with clip NONE). */
    g_assert_cmpuint(image_offset, ==, 57);
    g_assert_cmpuint(wire_reader_offset(&r), ==, image_offset);
    g_assert_cmpuint(wire_read_u64(&r), ==, 0x1122334455667788);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_TYPE_BITMAP);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FMT_32BIT);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FLAGS_TOP_DOWN);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);     /* x = width */
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);     /* y = height */
    g_assert_cmpuint(wire_read_u32(&r), ==, 8);     /* packed stride */
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);     /* no palette */
    g_assert_cmpuint(wire_read_u32(&r), ==, pixels[4]);
    g_assert_cmpuint(wire_read_u32(&r), ==, pixels[5]);
    g_assert_cmpuint(wire_read_u32(&r), ==, pixels[7]);
    g_assert_cmpuint(wire_read_u32(&r), ==, pixels[8]);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    g_assert_cmpuint(wire_writer_size(&w), ==, DISPLAY_DRAW_COPY_OVERHEAD(0) - 4 + 16);
    wire_writer_finish(&w);
}

static void test_copy_bits(void)
{
    DisplayDrawBase base = { .surface_id = 0, .box = { .x1 = 0, .y1 = 10, .x2 = 100, .y2 = 50 } };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_copy_bits(&w, &base, 0, 12);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 10, 0, 50, 100);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    g_assert_cmpint(wire_read_i32(&r), ==, 0);
    g_assert_cmpint(wire_read_i32(&r), ==, 12);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

static void test_draw_mask_only_and_rop_fill(void)
{
    /* BLACKNESS / WHITENESS / INVERS: DisplayBase then an empty QMask, nothing else. */
    DisplayDrawBase base = { .surface_id = 0, .box = { .x1 = 1, .y1 = 2, .x2 = 3, .y2 = 4 } };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_draw_mask_only(&w, &base);
    static const uint8_t expected[] = {
        0, 0, 0, 0,                               /* surface 0 */
        2, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0,   /* top left bottom right */
        SPICE_CLIP_TYPE_NONE,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,    /* mask: flags, pos, NULL bitmap */
    };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    /* FILL carries any rop descriptor as sent. */
    wire_writer_reset(&w);
    display_msg_write_draw_fill(&w, &base, 0x00123456, SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_RES);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 2, 1, 4, 3);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BRUSH_TYPE_SOLID);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0x00123456);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_ROPD_OP_XOR | SPICE_ROPD_INVERS_RES);
    read_empty_mask(&r);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

static void test_draw_image_ops(void)
{
    DisplayDrawBase base = { .surface_id = 0, .box = { .x1 = 0, .y1 = 0, .x2 = 2, .y2 = 1 } };
    uint32_t pixels[2] = { 0x80ff0000, 0x40004000 };
    DisplayBitmap bitmap = { .image_id = 9, .format = SPICE_BITMAP_FMT_RGBA, .width = 2, .height = 1,
                             .stride = 8, .pixels = (const uint8_t *)pixels };
    /* ALPHA_BLEND: flags, alpha, then the image pointer and the src_area. */
    DisplayImageDraw draw = { .msg_type = SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND,
                              .src_area = { 0, 0, 2, 1 }, .alpha_flags = 2, .alpha = 0x80 };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_image_draw(&w, &base, &draw, &bitmap);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 0, 0, 1, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    g_assert_cmpuint(wire_read_u8(&r), ==, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0x80);
    uint32_t image_at = wire_read_u32(&r);
    read_rect(&r, 0, 0, 1, 2);
    g_assert_cmpuint(image_at, ==, 21 + 2 + 4 + 16);
    g_assert_cmpuint(wire_read_u64(&r), ==, 9);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_TYPE_BITMAP);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);
    g_assert_cmpuint(wire_read_u32(&r), ==, 1);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FMT_RGBA);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FLAGS_TOP_DOWN);
    g_assert_cmpuint(wire_read_u32(&r), ==, 2);
    g_assert_cmpuint(wire_read_u32(&r), ==, 1);
    g_assert_cmpuint(wire_read_u32(&r), ==, 8);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmphex(wire_read_u32(&r), ==, 0x80ff0000);
    g_assert_cmphex(wire_read_u32(&r), ==, 0x40004000);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);

    /* ROP3 with a solid brush: pointer, src_area, brush (type, color), rop3, scale mode, mask. */
    wire_writer_reset(&w);
    draw = (DisplayImageDraw){ .msg_type = SPICE_MSG_DISPLAY_DRAW_ROP3, .src_area = { 0, 0, 2, 1 },
                               .brush_type = SPICE_BRUSH_TYPE_SOLID, .brush_color = 0x00c0c0c0,
                               .rop3 = 0xb8, .scale_mode = SPICE_IMAGE_SCALE_MODE_NEAREST };
    display_msg_write_image_draw(&w, &base, &draw, &bitmap);
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    read_rect(&r, 0, 0, 1, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    image_at = wire_read_u32(&r);
    read_rect(&r, 0, 0, 1, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BRUSH_TYPE_SOLID);
    g_assert_cmphex(wire_read_u32(&r), ==, 0x00c0c0c0);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0xb8);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_SCALE_MODE_NEAREST);
    read_empty_mask(&r);
    g_assert_cmpuint(image_at, ==, wire_writer_size(&w) - wire_reader_remaining(&r));
    g_assert_true(wire_reader_ok(&r));

    /* OPAQUE without a brush: the brush is its type alone, then the rop descriptor. */
    wire_writer_reset(&w);
    draw = (DisplayImageDraw){ .msg_type = SPICE_MSG_DISPLAY_DRAW_OPAQUE, .src_area = { 0, 0, 2, 1 },
                               .brush_type = SPICE_BRUSH_TYPE_NONE, .rop_descriptor = SPICE_ROPD_OP_AND };
    display_msg_write_image_draw(&w, &base, &draw, &bitmap);
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    wire_read_u32(&r);
    read_rect(&r, 0, 0, 1, 2);
    wire_read_u8(&r);
    wire_read_u32(&r);
    read_rect(&r, 0, 0, 1, 2);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BRUSH_TYPE_NONE);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_ROPD_OP_AND);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    read_empty_mask(&r);
    g_assert_true(wire_reader_ok(&r));
    wire_writer_finish(&w);
}

static void test_monitors_config(void)
{
    /* The capture's MONITORS_CONFIG(1, 1, {0, 0, 720, 400, 0, 0, 0}). */
    DisplayHead head = { .monitor_id = 0, .surface_id = 0, .width = 720, .height = 400 };
    WireWriter w;
    wire_writer_init(&w);
    display_msg_write_monitors_config(&w, &head, 1, 1);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u16(&r), ==, 1);
    g_assert_cmpuint(wire_read_u16(&r), ==, 1);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 720);
    g_assert_cmpuint(wire_read_u32(&r), ==, 400);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

static void test_cursor_set_and_init(void)
{
    uint8_t data[2 * 2 * 4] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    CursorShape shape = {
        .unique = 42, .type = SPICE_CURSOR_TYPE_ALPHA, .width = 2, .height = 2,
        .hot_spot_x = 1, .hot_spot_y = 0, .data = data, .data_size = sizeof(data),
    };
    WireWriter w;
    wire_writer_init(&w);
    cursor_msg_write_set(&w, -3, 400, true, &shape);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpint(wire_read_i16(&r), ==, -3);
    g_assert_cmpint(wire_read_i16(&r), ==, 400);
    g_assert_cmpuint(wire_read_u8(&r), ==, 1);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);                     /* flags: a shape follows */
    g_assert_cmpuint(wire_read_u64(&r), ==, 42);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CURSOR_TYPE_ALPHA);  /* u8 on the wire */
    g_assert_cmpuint(wire_read_u16(&r), ==, 2);
    g_assert_cmpuint(wire_read_u16(&r), ==, 2);
    g_assert_cmpuint(wire_read_u16(&r), ==, 1);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);
    const uint8_t *rest = wire_read_span(&r, sizeof(data));
    g_assert_nonnull(rest);
    g_assert_cmpmem(rest, sizeof(data), data, sizeof(data));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);

    wire_writer_reset(&w);
    cursor_msg_write_init(&w, 5, 6, false, NULL);
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpint(wire_read_i16(&r), ==, 5);
    g_assert_cmpint(wire_read_i16(&r), ==, 6);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);   /* trail length */
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);   /* trail frequency */
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_CURSOR_FLAGS_NONE);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);

    wire_writer_reset(&w);
    cursor_msg_write_move(&w, 7, -8);
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpint(wire_read_i16(&r), ==, 7);
    g_assert_cmpint(wire_read_i16(&r), ==, -8);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    wire_writer_finish(&w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display-messages/surface-create-destroy", test_surface_create_destroy);
    g_test_add_func("/display-messages/draw-fill-clip", test_draw_fill_with_clip);
    g_test_add_func("/display-messages/draw-mask-only-rop-fill", test_draw_mask_only_and_rop_fill);
    g_test_add_func("/display-messages/draw-image-ops", test_draw_image_ops);
    g_test_add_func("/display-messages/draw-copy-bitmap", test_draw_copy_bitmap);
    g_test_add_func("/display-messages/copy-bits", test_copy_bits);
    g_test_add_func("/display-messages/monitors-config", test_monitors_config);
    g_test_add_func("/display-messages/cursor", test_cursor_set_and_init);
    return g_test_run();
}
