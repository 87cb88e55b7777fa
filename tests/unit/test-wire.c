/* test-wire: the bounds-checked reader and the growable writer of protocol/wire.c. */
#include <string.h>

#include <glib.h>

#include "protocol/wire.h"

static void test_read_little_endian(void)
{
    static const uint8_t bytes[] = {
        0x01,                                           /* u8 */
        0x02, 0x03,                                     /* u16 0x0302 */
        0x04, 0x05, 0x06, 0x07,                         /* u32 0x07060504 */
        0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* u64 */
        0xfe, 0xff,                                     /* i16 -2 */
        0xfd, 0xff, 0xff, 0xff,                         /* i32 -3 */
    };
    WireReader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_cmpuint(wire_read_u8(&r), ==, 0x01);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0x0302);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0x07060504);
    g_assert_cmpuint(wire_read_u64(&r), ==, G_GUINT64_CONSTANT(0x0f0e0d0c0b0a0908));
    g_assert_cmpint(wire_read_i16(&r), ==, -2);
    g_assert_cmpint(wire_read_i32(&r), ==, -3);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    g_assert_cmpuint(wire_reader_offset(&r), ==, sizeof(bytes));
}

static void test_read_big_endian(void)
{
    static const uint8_t bytes[] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };
    WireReader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_cmpuint(wire_read_u32_be(&r), ==, 0x12345678);
    g_assert_cmpuint(wire_read_u16_be(&r), ==, 0x9abc);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_read_u16_be(&r), ==, 0);
    g_assert_false(wire_reader_ok(&r));
}

/* Each width must fail when exactly one byte is missing, and consume nothing. */
static void test_read_every_bound(void)
{
    static const uint8_t bytes[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const size_t widths[] = { 1, 2, 4, 8 };
    for (size_t i = 0; i < G_N_ELEMENTS(widths); i++) {
        size_t w = widths[i];
        for (size_t avail = 0; avail <= w; avail++) {
            WireReader r;
            wire_reader_init(&r, bytes, avail);
            uint64_t v;
            switch (w) {
            case 1: v = wire_read_u8(&r); break;
            case 2: v = wire_read_u16(&r); break;
            case 4: v = wire_read_u32(&r); break;
            default: v = wire_read_u64(&r); break;
            }
            if (avail < w) {
                g_assert_false(wire_reader_ok(&r));
                g_assert_cmpuint(v, ==, 0);
                g_assert_cmpuint(wire_reader_offset(&r), ==, 0);
                g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
            } else {
                g_assert_true(wire_reader_ok(&r));
                g_assert_cmpuint(v, !=, 0);
            }
        }
    }
}

static void test_read_sticky_failure(void)
{
    static const uint8_t bytes[] = { 0xaa, 0xbb, 0xcc };
    WireReader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);   /* 4 > 3 */
    g_assert_false(wire_reader_ok(&r));
    /* Later reads that would fit still fail: the parser's state is unknown. */
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_null(wire_read_span(&r, 0));
    g_assert_false(wire_reader_skip(&r, 0));
    g_assert_false(wire_reader_seek(&r, 0));
    g_assert_false(wire_reader_ok(&r));
}

static void test_read_bytes_and_span(void)
{
    static const uint8_t bytes[] = { 1, 2, 3, 4, 5 };
    WireReader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    uint8_t out[3];
    g_assert_true(wire_read_bytes(&r, out, 3));
    g_assert_cmpmem(out, 3, bytes, 3);
    const uint8_t *span = wire_read_span(&r, 2);
    g_assert_true(span == bytes + 3);
    g_assert_nonnull(wire_read_span(&r, 0));
    g_assert_true(wire_reader_ok(&r));

    /* A failed copy zero-fills the destination so no stale data is used. */
    memset(out, 0x55, sizeof(out));
    g_assert_false(wire_read_bytes(&r, out, 1));
    static const uint8_t zeros[3];
    g_assert_cmpmem(out, 1, zeros, 1);

    /* A span larger than SIZE_MAX - offset must not wrap around. */
    wire_reader_init(&r, bytes, sizeof(bytes));
    wire_read_u8(&r);
    g_assert_null(wire_read_span(&r, SIZE_MAX));
    g_assert_false(wire_reader_ok(&r));
}

static void test_read_empty_and_null(void)
{
    WireReader r;
    wire_reader_init(&r, NULL, 0);
    g_assert_nonnull(wire_read_span(&r, 0));
    g_assert_true(wire_read_bytes(&r, NULL, 0));
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_false(wire_reader_ok(&r));
    /* NULL data with a bogus size is treated as empty. */
    wire_reader_init(&r, NULL, 100);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
}

static void test_seek_and_skip(void)
{
    static const uint8_t bytes[] = { 10, 11, 12, 13 };
    WireReader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_true(wire_reader_seek(&r, 3));
    g_assert_cmpuint(wire_read_u8(&r), ==, 13);
    g_assert_true(wire_reader_seek(&r, 1));
    g_assert_cmpuint(wire_read_u8(&r), ==, 11);
    g_assert_true(wire_reader_seek(&r, 4));   /* the end is a valid position */
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    g_assert_true(wire_reader_ok(&r));
    g_assert_false(wire_reader_seek(&r, 5));
    g_assert_false(wire_reader_ok(&r));

    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_true(wire_reader_skip(&r, 2));
    g_assert_cmpuint(wire_read_u8(&r), ==, 12);
    g_assert_false(wire_reader_skip(&r, 2));
    g_assert_false(wire_reader_ok(&r));
    wire_reader_init(&r, bytes, sizeof(bytes));
    g_assert_false(wire_reader_skip(&r, SIZE_MAX));
}

static void test_write_little_and_big_endian(void)
{
    WireWriter w;
    wire_writer_init(&w);
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
    g_assert_nonnull(wire_writer_data(&w));   /* safe to pass to memcpy even when empty */
    wire_write_u8(&w, 0x01);
    wire_write_u16(&w, 0x0302);
    wire_write_u32(&w, 0x07060504);
    wire_write_u64(&w, G_GUINT64_CONSTANT(0x0f0e0d0c0b0a0908));
    wire_write_i16(&w, -2);
    wire_write_i32(&w, -3);
    wire_write_u32_be(&w, 0x12345678);
    wire_write_bytes(&w, "ab", 2);
    wire_write_bytes(&w, NULL, 0);
    wire_write_zeros(&w, 3);
    static const uint8_t expected[] = {
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
        0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
        0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff,
        0x12, 0x34, 0x56, 0x78, 'a', 'b', 0, 0, 0,
    };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));

    /* What the writer writes, the reader reads back. */
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    g_assert_cmpuint(wire_read_u8(&r), ==, 0x01);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0x0302);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0x07060504);
    g_assert_cmpuint(wire_read_u64(&r), ==, G_GUINT64_CONSTANT(0x0f0e0d0c0b0a0908));
    g_assert_cmpint(wire_read_i16(&r), ==, -2);
    g_assert_cmpint(wire_read_i32(&r), ==, -3);
    g_assert_cmpuint(wire_read_u32_be(&r), ==, 0x12345678);
    g_assert_true(wire_reader_ok(&r));
    wire_writer_finish(&w);
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
}

static void test_write_growth(void)
{
    WireWriter w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < 100000; i++) {
        wire_write_u32(&w, i);
    }
    g_assert_cmpuint(wire_writer_size(&w), ==, 400000);
    WireReader r;
    wire_reader_init(&r, wire_writer_data(&w), wire_writer_size(&w));
    for (uint32_t i = 0; i < 100000; i++) {
        g_assert_cmpuint(wire_read_u32(&r), ==, i);
    }
    wire_write_zeros(&w, 1 << 20);
    g_assert_cmpuint(wire_writer_size(&w), ==, 400000 + (1 << 20));
    wire_writer_finish(&w);
}

static void test_write_patch(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 0);          /* a pointer field filled in later */
    wire_write_u16(&w, 0);
    wire_write_u8(&w, 0xee);
    g_assert_true(wire_writer_patch_u32(&w, 0, 0xdeadbeef));
    g_assert_true(wire_writer_patch_u16(&w, 4, 0xcafe));
    g_assert_true(wire_writer_patch_u32(&w, 3, 0x04030201));   /* last 4 bytes */
    static const uint8_t expected[] = { 0xef, 0xbe, 0xad, 0x01, 0x02, 0x03, 0x04 };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    /* Out of range patches change nothing. */
    g_assert_false(wire_writer_patch_u32(&w, 4, 1));
    g_assert_false(wire_writer_patch_u32(&w, 7, 1));
    g_assert_false(wire_writer_patch_u32(&w, SIZE_MAX, 1));
    g_assert_false(wire_writer_patch_u16(&w, 6, 1));
    g_assert_false(wire_writer_patch_u16(&w, SIZE_MAX - 1, 1));
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    wire_writer_finish(&w);

    wire_writer_init(&w);
    g_assert_false(wire_writer_patch_u32(&w, 0, 1));
    wire_writer_finish(&w);
}

static void test_write_reserve(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, 9);
    uint8_t *p = wire_writer_reserve(&w, 3);
    memcpy(p, "xyz", 3);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), "\x09xyz", 4);
    wire_writer_finish(&w);
}

static void test_write_steal_and_reset(void)
{
    WireWriter w;
    wire_writer_init(&w);
    size_t size = 99;
    uint8_t *empty = wire_writer_steal(&w, &size);
    g_assert_nonnull(empty);
    g_assert_cmpuint(size, ==, 0);
    g_free(empty);

    wire_write_u32(&w, 0x11223344);
    uint8_t *data = wire_writer_steal(&w, &size);
    g_assert_cmpuint(size, ==, 4);
    g_assert_cmpmem(data, 4, "\x44\x33\x22\x11", 4);
    g_free(data);
    /* The writer is empty and reusable after a steal. */
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
    wire_write_u8(&w, 7);
    g_assert_cmpuint(wire_writer_size(&w), ==, 1);

    wire_writer_reset(&w);
    g_assert_cmpuint(wire_writer_size(&w), ==, 0);
    wire_write_u16(&w, 0x0102);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), "\x02\x01", 2);
    wire_writer_finish(&w);
    wire_writer_finish(&w);   /* finish twice is harmless */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/wire/read/little-endian", test_read_little_endian);
    g_test_add_func("/wire/read/big-endian", test_read_big_endian);
    g_test_add_func("/wire/read/every-bound", test_read_every_bound);
    g_test_add_func("/wire/read/sticky-failure", test_read_sticky_failure);
    g_test_add_func("/wire/read/bytes-and-span", test_read_bytes_and_span);
    g_test_add_func("/wire/read/empty-and-null", test_read_empty_and_null);
    g_test_add_func("/wire/read/seek-and-skip", test_seek_and_skip);
    g_test_add_func("/wire/write/endianness", test_write_little_and_big_endian);
    g_test_add_func("/wire/write/growth", test_write_growth);
    g_test_add_func("/wire/write/patch", test_write_patch);
    g_test_add_func("/wire/write/reserve", test_write_reserve);
    g_test_add_func("/wire/write/steal-and-reset", test_write_steal_and_reset);
    return g_test_run();
}
