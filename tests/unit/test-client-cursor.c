/* test-client-cursor: cursor channel messages into shapes (client/cursor.c), valid and hostile. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "client/cursor.h"
#include "protocol/wire.h"

static void write_header(WireWriter *w, uint16_t flags, uint64_t unique, uint8_t type, uint16_t width,
                         uint16_t height, uint16_t hx, uint16_t hy)
{
    wire_write_u16(w, flags);
    wire_write_u64(w, unique);
    wire_write_u8(w, type);
    wire_write_u16(w, width);
    wire_write_u16(w, height);
    wire_write_u16(w, hx);
    wire_write_u16(w, hy);
}

static CursorResult send_init(CursorState *cs, int16_t x, int16_t y, uint8_t visible, WireWriter *cursor)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_i16(&w, x);
    wire_write_i16(&w, y);
    wire_write_u16(&w, 0);
    wire_write_u16(&w, 0);
    wire_write_u8(&w, visible);
    wire_write_bytes(&w, wire_writer_data(cursor), wire_writer_size(cursor));
    CursorResult r = cursor_state_handle(cs, SPICE_MSG_CURSOR_INIT, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    return r;
}

static CursorResult send_set(CursorState *cs, int16_t x, int16_t y, WireWriter *cursor)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_i16(&w, x);
    wire_write_i16(&w, y);
    wire_write_u8(&w, 1);
    wire_write_bytes(&w, wire_writer_data(cursor), wire_writer_size(cursor));
    CursorResult r = cursor_state_handle(cs, SPICE_MSG_CURSOR_SET, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    return r;
}

static uint32_t pixel(pixman_image_t *img, int x, int y)
{
    uint32_t *d = pixman_image_get_data(img);
    return d[y * pixman_image_get_stride(img) / 4 + x];
}

static void test_alpha_cache(void)
{
    CursorState *cs = cursor_state_new();
    SpiceClientCursor cur;
    g_assert_false(cursor_state_get(cs, &cur));
    WireWriter c;
    wire_writer_init(&c);
    write_header(&c, SPICE_CURSOR_FLAGS_CACHE_ME, 77, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 1, 5);
    wire_write_u32(&c, 0xff112233);
    wire_write_u32(&c, 0x80402010);
    wire_write_u32(&c, 0x00000000);
    wire_write_u32(&c, 0xffffffff);
    g_assert_cmpint(send_init(cs, 10, -3, 1, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_true(cur.visible);
    g_assert_cmpint(cur.x, ==, 10);
    g_assert_cmpint(cur.y, ==, -3);
    g_assert_cmpint(cur.hot_x, ==, 1);
    g_assert_cmpint(cur.hot_y, ==, 2);   /* clamped to the height */
    g_assert_nonnull(cur.shape);
    g_assert_cmpint(pixman_image_get_width(cur.shape), ==, 2);
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0xff112233);
    g_assert_cmphex(pixel(cur.shape, 1, 0), ==, 0x80402010);
    g_assert_cmphex(pixel(cur.shape, 1, 1), ==, 0xffffffff);
    g_assert_cmpuint(cursor_state_cache_size(cs), ==, 1);

    /* NONE: no shape. Then FROM_CACHE brings the cached one back. */
    wire_writer_init(&c);
    wire_write_u16(&c, SPICE_CURSOR_FLAGS_NONE);
    g_assert_cmpint(send_set(cs, 1, 2, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_null(cur.shape);
    wire_writer_init(&c);
    write_header(&c, SPICE_CURSOR_FLAGS_FROM_CACHE, 77, SPICE_CURSOR_TYPE_ALPHA, 2, 2, 0, 0);
    g_assert_cmpint(send_set(cs, 3, 4, &c), ==, CURSOR_RESULT_CHANGED);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_nonnull(cur.shape);
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0xff112233);
    g_assert_cmpint(cur.x, ==, 3);

    /* INVAL_ONE: the next FROM_CACHE is an error and changes nothing. */
    uint8_t id[8] = { 77 };
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_INVAL_ONE, id, 8), ==, CURSOR_RESULT_NONE);
    g_assert_cmpuint(cursor_state_cache_size(cs), ==, 0);
    g_assert_cmpint(send_set(cs, 9, 9, &c), ==, CURSOR_RESULT_ERROR);
    wire_writer_finish(&c);
    g_assert_nonnull(cursor_state_problem(cs));
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmpint(cur.x, ==, 3);
    g_assert_nonnull(cur.shape);

    /* MOVE, HIDE, TRAIL, RESET. */
    uint8_t pos[4] = { 5, 0, 6, 0 };
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_MOVE, pos, 4), ==, CURSOR_RESULT_CHANGED);
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_MOVE, pos, 3), ==, CURSOR_RESULT_ERROR);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmpint(cur.x, ==, 5);
    g_assert_cmpint(cur.y, ==, 6);
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_HIDE, NULL, 0), ==, CURSOR_RESULT_CHANGED);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_false(cur.visible);
    uint8_t trail[4] = { 0 };
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_TRAIL, trail, 4), ==, CURSOR_RESULT_NONE);
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_TRAIL, trail, 2), ==, CURSOR_RESULT_ERROR);
    g_assert_cmpint(cursor_state_handle(cs, SPICE_MSG_CURSOR_RESET, NULL, 0), ==, CURSOR_RESULT_CHANGED);
    g_assert_false(cursor_state_get(cs, &cur));
    g_assert_null(cur.shape);
    cursor_state_free(cs);
}

static void test_mono(void)
{
    CursorState *cs = cursor_state_new();
    WireWriter c;
    wire_writer_init(&c);
    write_header(&c, 0, 1, SPICE_CURSOR_TYPE_MONO, 4, 1, 0, 0);
    wire_write_u8(&c, 0xa0);   /* AND: 1 0 1 0 */
    wire_write_u8(&c, 0x60);   /* XOR: 0 1 1 0 */
    g_assert_cmpint(send_init(cs, 0, 0, 1, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    SpiceClientCursor cur;
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0x00000000);   /* transparent */
    g_assert_cmphex(pixel(cur.shape, 1, 0), ==, 0xffffffff);   /* white */
    g_assert_cmphex(pixel(cur.shape, 2, 0) >> 24, !=, 0);      /* inverted: drawn visibly */
    g_assert_cmphex(pixel(cur.shape, 3, 0), ==, 0xff000000);   /* black */
    g_assert_cmpuint(cursor_state_cache_size(cs), ==, 0);      /* no CACHE_ME */
    cursor_state_free(cs);
}

static void test_color(void)
{
    CursorState *cs = cursor_state_new();
    SpiceClientCursor cur;
    WireWriter c;
    /* COLOR32 2x1: pixel 0 opaque, pixel 1 masked out. */
    wire_writer_init(&c);
    write_header(&c, 0, 1, SPICE_CURSOR_TYPE_COLOR32, 2, 1, 0, 0);
    wire_write_u32(&c, 0x00123456);
    wire_write_u32(&c, 0x00abcdef);
    wire_write_u8(&c, 0x40);
    g_assert_cmpint(send_init(cs, 0, 0, 1, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0xff123456);
    g_assert_cmphex(pixel(cur.shape, 1, 0), ==, 0);
    /* COLOR16 (x1r5g5b5) 1x1: pure red. */
    wire_writer_init(&c);
    write_header(&c, 0, 2, SPICE_CURSOR_TYPE_COLOR16, 1, 1, 0, 0);
    wire_write_u16(&c, 0x7c00);
    wire_write_u8(&c, 0x00);
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0xfff80000);
    /* COLOR4 3x1: indices 1, 2, 15 (high nibble first), palette, mask. */
    wire_writer_init(&c);
    write_header(&c, 0, 3, SPICE_CURSOR_TYPE_COLOR4, 3, 1, 0, 0);
    wire_write_u8(&c, 0x12);
    wire_write_u8(&c, 0xf0);
    for (uint32_t i = 0; i < 16; i++) {
        wire_write_u32(&c, i * 0x010101);
    }
    wire_write_u8(&c, 0x20);   /* third pixel masked: transparent */
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_cmphex(pixel(cur.shape, 0, 0), ==, 0xff010101);
    g_assert_cmphex(pixel(cur.shape, 1, 0), ==, 0xff020202);
    g_assert_cmphex(pixel(cur.shape, 2, 0), ==, 0);
    /* COLOR8 is not drawn (like spice-gtk): default cursor, no error. */
    wire_writer_init(&c);
    write_header(&c, 0, 4, SPICE_CURSOR_TYPE_COLOR8, 1, 1, 0, 0);
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_CHANGED);
    wire_writer_finish(&c);
    g_assert_true(cursor_state_get(cs, &cur));
    g_assert_null(cur.shape);
    cursor_state_free(cs);
}

static void test_hostile(void)
{
    CursorState *cs = cursor_state_new();
    WireWriter c;
    /* Data shorter than the shape needs. */
    wire_writer_init(&c);
    write_header(&c, 0, 1, SPICE_CURSOR_TYPE_ALPHA, 16, 16, 0, 0);
    wire_write_zeros(&c, 16 * 16 * 4 - 1);
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_ERROR);
    wire_writer_finish(&c);
    g_assert_nonnull(strstr(cursor_state_problem(cs), "needs 1024 bytes"));
    /* Oversized and empty shapes. */
    wire_writer_init(&c);
    write_header(&c, 0, 1, SPICE_CURSOR_TYPE_MONO, 60000, 60000, 0, 0);
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_ERROR);
    wire_writer_finish(&c);
    wire_writer_init(&c);
    write_header(&c, 0, 1, SPICE_CURSOR_TYPE_ALPHA, 0, 5, 0, 0);
    g_assert_cmpint(send_set(cs, 0, 0, &c), ==, CURSOR_RESULT_ERROR);
    wire_writer_finish(&c);
    /* Truncated headers and bodies of every message, then random bytes: never a crash. */
    uint8_t buf[64];
    GRand *rand = g_rand_new_with_seed(42);
    for (int round = 0; round < 5000; round++) {
        size_t n = (size_t)g_rand_int_range(rand, 0, sizeof(buf) + 1);
        for (size_t i = 0; i < n; i++) {
            buf[i] = (uint8_t)g_rand_int(rand);
        }
        uint16_t type = (uint16_t)g_rand_int_range(rand, SPICE_MSG_CURSOR_INIT, SPICE_MSG_END_CURSOR + 1);
        cursor_state_handle(cs, type, n ? buf : NULL, n);
        SpiceClientCursor cur;
        if (cursor_state_get(cs, &cur) && cur.shape) {
            g_assert_cmpint(pixman_image_get_width(cur.shape), <=, 1024);
        }
    }
    g_rand_free(rand);
    cursor_state_free(cs);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Hostile input is logged with g_warning by design: not fatal here. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/client-cursor/alpha-cache", test_alpha_cache);
    g_test_add_func("/client-cursor/mono", test_mono);
    g_test_add_func("/client-cursor/color", test_color);
    g_test_add_func("/client-cursor/hostile", test_hostile);
    return g_test_run();
}
