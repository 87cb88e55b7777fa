/* test-client-parse: display message parsers (client/display-parse.c) on valid, cut and hostile bodies. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-parse.h"
#include "protocol/wire.h"

static void write_rect(WireWriter *w, int32_t top, int32_t left, int32_t bottom, int32_t right)
{
    wire_write_i32(w, top);
    wire_write_i32(w, left);
    wire_write_i32(w, bottom);
    wire_write_i32(w, right);
}

/* A DRAW_COPY with two clip rects and an 18-byte descriptor appended (offset patched in). */
static void build_copy(WireWriter *w, uint32_t num_rects)
{
    wire_write_u32(w, 0);                 /* surface */
    write_rect(w, 1, 2, 11, 22);          /* box */
    wire_write_u8(w, SPICE_CLIP_TYPE_RECTS);
    wire_write_u32(w, num_rects);
    for (uint32_t i = 0; i < num_rects; i++) {
        write_rect(w, 1, 2, 5, 6);
    }
    size_t ptr_at = wire_writer_size(w);
    wire_write_u32(w, 0);                 /* src_bitmap, patched */
    write_rect(w, 0, 0, 10, 20);          /* src_area */
    wire_write_u16(w, SPICE_ROPD_OP_PUT);
    wire_write_u8(w, 0);                  /* scale mode */
    wire_write_u8(w, 0);                  /* mask flags */
    wire_write_i32(w, 0);
    wire_write_i32(w, 0);
    wire_write_u32(w, 0);                 /* mask bitmap */
    wire_writer_patch_u32(w, ptr_at, (uint32_t)wire_writer_size(w));
    wire_write_zeros(w, 18);
}

static void test_copy_valid(void)
{
    WireWriter w;
    wire_writer_init(&w);
    build_copy(&w, 2);
    DisplayCopy c;
    g_assert_true(display_parse_draw_copy(wire_writer_data(&w), wire_writer_size(&w), &c));
    g_assert_cmpint(c.base.box.left, ==, 2);
    g_assert_cmpint(c.base.box.bottom, ==, 11);
    g_assert_cmpuint(c.base.clip.num_rects, ==, 2);
    g_assert_cmpint(c.base.clip.rects[1].right, ==, 6);
    g_assert_cmpuint(c.src_bitmap_offset, ==, wire_writer_size(&w) - 18);
    g_assert_cmpuint(c.rop_descriptor, ==, SPICE_ROPD_OP_PUT);
    display_clip_clear(&c.base.clip);
    wire_writer_finish(&w);
}

/* Every prefix of a valid body is refused (the descriptor pointer then points past the end). */
static void test_copy_truncated(void)
{
    WireWriter w;
    wire_writer_init(&w);
    build_copy(&w, 3);
    size_t full = wire_writer_size(&w);
    size_t fixed_end = full - 18;
    for (size_t n = 0; n <= fixed_end; n++) {
        uint8_t *copy = g_memdup2(wire_writer_data(&w), n ? n : 1);
        DisplayCopy c;
        g_assert_false(display_parse_draw_copy(copy, n, &c));
        display_clip_clear(&c.base.clip);
        g_free(copy);
    }
    wire_writer_finish(&w);
}

static void test_copy_hostile(void)
{
    WireWriter w;
    DisplayCopy c;
    /* A clip count far larger than the body. */
    wire_writer_init(&w);
    build_copy(&w, 1);
    uint8_t *b = g_memdup2(wire_writer_data(&w), wire_writer_size(&w));
    size_t n = wire_writer_size(&w);
    memcpy(b + 21, "\xff\xff\xff\x0f", 4);
    g_assert_false(display_parse_draw_copy(b, n, &c));
    display_clip_clear(&c.base.clip);
    /* An inverted box. */
    g_free(b);
    b = g_memdup2(wire_writer_data(&w), n);
    memcpy(b + 4, "\x64\x00\x00\x00", 4);   /* top = 100 > bottom = 11 */
    g_assert_false(display_parse_draw_copy(b, n, &c));
    display_clip_clear(&c.base.clip);
    /* An unknown clip type. */
    g_free(b);
    b = g_memdup2(wire_writer_data(&w), n);
    b[20] = 7;
    g_assert_false(display_parse_draw_copy(b, n, &c));
    display_clip_clear(&c.base.clip);
    g_free(b);
    wire_writer_finish(&w);

    /* A NULL source image and one pointing past the end. */
    for (int k = 0; k < 2; k++) {
        wire_writer_init(&w);
        wire_write_u32(&w, 0);
        write_rect(&w, 0, 0, 1, 1);
        wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
        wire_write_u32(&w, k == 0 ? 0 : 0x7fffffff);
        wire_write_zeros(&w, 16 + 2 + 1 + 13);
        g_assert_false(display_parse_draw_copy(wire_writer_data(&w), wire_writer_size(&w), &c));
        display_clip_clear(&c.base.clip);
        wire_writer_finish(&w);
    }
}

static void test_fill(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 3);
    write_rect(&w, 0, 0, 4, 4);
    wire_write_u8(&w, SPICE_CLIP_TYPE_NONE);
    wire_write_u8(&w, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&w, 0x123456);
    wire_write_u16(&w, SPICE_ROPD_OP_PUT);
    wire_write_zeros(&w, 13);
    DisplayFill f;
    g_assert_true(display_parse_draw_fill(wire_writer_data(&w), wire_writer_size(&w), &f));
    g_assert_cmpuint(f.base.surface_id, ==, 3);
    g_assert_cmphex(f.brush_color, ==, 0x123456);
    for (size_t n = 0; n < wire_writer_size(&w); n++) {
        g_assert_false(display_parse_draw_fill(wire_writer_data(&w), n, &f));
        display_clip_clear(&f.base.clip);
    }
    /* Unknown brush type. */
    uint8_t *b = g_memdup2(wire_writer_data(&w), wire_writer_size(&w));
    b[21] = 9;
    g_assert_false(display_parse_draw_fill(b, wire_writer_size(&w), &f));
    display_clip_clear(&f.base.clip);
    g_free(b);
    wire_writer_finish(&w);
}

static void test_surface_and_small(void)
{
    uint8_t body[20] = { 1, 0, 0, 0, 0x20, 0, 0, 0, 0x10, 0, 0, 0, 32, 0, 0, 0, 1, 0, 0, 0 };
    DisplaySurfaceCreate sc;
    g_assert_true(display_parse_surface_create(body, sizeof(body), &sc));
    g_assert_cmpuint(sc.surface_id, ==, 1);
    g_assert_cmpuint(sc.width, ==, 32);
    g_assert_cmpuint(sc.height, ==, 16);
    g_assert_cmpuint(sc.flags, ==, SPICE_SURFACE_FLAGS_PRIMARY);
    for (size_t n = 0; n < sizeof(body); n++) {
        g_assert_false(display_parse_surface_create(body, n, &sc));
    }
    uint32_t id;
    g_assert_false(display_parse_surface_destroy(body, 3, &id));
    uint64_t pal;
    g_assert_false(display_parse_inval_palette(body, 7, &pal));
    DisplayMonitors mon;
    uint8_t mon_hostile[4] = { 0xff, 0xff, 1, 0 };   /* 65535 heads in 0 bytes */
    g_assert_false(display_parse_monitors_config(mon_hostile, sizeof(mon_hostile), &mon));
}

static void count_inval(uint8_t type, uint64_t id, void *user)
{
    (*(unsigned *)user)++;
}

static void test_inval_list(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, 2);
    wire_write_u8(&w, 1);
    wire_write_u64(&w, 7);
    wire_write_u8(&w, 1);
    wire_write_u64(&w, 8);
    unsigned n = 0;
    g_assert_true(display_parse_inval_list(wire_writer_data(&w), wire_writer_size(&w), count_inval, &n));
    g_assert_cmpuint(n, ==, 2);
    n = 0;
    g_assert_false(display_parse_inval_list(wire_writer_data(&w), wire_writer_size(&w) - 1, count_inval, &n));
    g_assert_cmpuint(n, ==, 0);   /* the count is checked against the size first */
    wire_writer_finish(&w);
}

typedef struct {
    unsigned calls;
    uint16_t types[4];
} SubLog;

static void log_sub(uint16_t type, const uint8_t *sub, size_t sub_size, void *user)
{
    SubLog *l = user;
    if (l->calls < 4) {
        l->types[l->calls] = type;
    }
    l->calls++;
}

static void test_sub_list(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, 2);
    wire_write_u32(&w, 10);
    wire_write_u32(&w, 16);
    wire_write_u16(&w, 105);   /* at 10: type, size 0 */
    wire_write_u32(&w, 0);
    wire_write_u16(&w, 5);     /* at 16: type, size 2 */
    wire_write_u32(&w, 2);
    wire_write_u16(&w, 0);
    SubLog l = { 0 };
    g_assert_true(display_parse_sub_list(wire_writer_data(&w), wire_writer_size(&w), log_sub, &l));
    g_assert_cmpuint(l.calls, ==, 2);
    g_assert_cmpuint(l.types[0], ==, 105);
    g_assert_cmpuint(l.types[1], ==, 5);
    /* Cut off inside the second sub-message: nothing at all is delivered. */
    memset(&l, 0, sizeof(l));
    g_assert_false(display_parse_sub_list(wire_writer_data(&w), wire_writer_size(&w) - 1, log_sub, &l));
    g_assert_cmpuint(l.calls, ==, 0);
    /* An offset past the end. */
    uint8_t *b = g_memdup2(wire_writer_data(&w), wire_writer_size(&w));
    memcpy(b + 6, "\xff\xff\x00\x00", 4);
    g_assert_false(display_parse_sub_list(b, wire_writer_size(&w), log_sub, &l));
    g_assert_cmpuint(l.calls, ==, 0);
    g_free(b);
    wire_writer_finish(&w);
}

/* Random bytes through every parser: they may accept or refuse, never read out of bounds. */
static void test_random(void)
{
    GRand *rand = g_rand_new_with_seed(1234);
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)g_rand_int_range(rand, 0, 96);
        uint8_t *b = g_malloc(n ? n : 1);
        for (size_t k = 0; k < n; k++) {
            b[k] = (uint8_t)g_rand_int_range(rand, 0, 4) == 0 ? 0xff : (uint8_t)g_rand_int_range(rand, 0, 4);
        }
        DisplayCopy c;
        DisplayFill f;
        DisplayCopyBits cb;
        SubLog l = { 0 };
        unsigned count = 0;
        if (display_parse_draw_copy(b, n, &c)) {
            g_assert_cmpuint(c.src_bitmap_offset, <, n);
        }
        display_clip_clear(&c.base.clip);
        if (display_parse_draw_fill(b, n, &f)) {
            g_assert_cmpuint(f.brush_pattern_offset, <, n);
        }
        display_clip_clear(&f.base.clip);
        (void)display_parse_copy_bits(b, n, &cb);
        display_clip_clear(&cb.base.clip);
        (void)display_parse_sub_list(b, n, log_sub, &l);
        (void)display_parse_inval_list(b, n, count_inval, &count);
        g_free(b);
    }
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-parse/copy-valid", test_copy_valid);
    g_test_add_func("/client-parse/copy-truncated", test_copy_truncated);
    g_test_add_func("/client-parse/copy-hostile", test_copy_hostile);
    g_test_add_func("/client-parse/fill", test_fill);
    g_test_add_func("/client-parse/surface-and-small", test_surface_and_small);
    g_test_add_func("/client-parse/inval-list", test_inval_list);
    g_test_add_func("/client-parse/sub-list", test_sub_list);
    g_test_add_func("/client-parse/random", test_random);
    return g_test_run();
}
