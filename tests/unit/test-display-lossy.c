/* test-display-lossy: the approximate-area rules of server/display-lossy.c, draw type by draw type. */
#include <glib.h>
#include <spice/enums.h>

#include "server/display-lossy.h"

static pixman_region32_t region_of(int x, int y, int w, int h)
{
    pixman_region32_t r;
    pixman_region32_init_rect(&r, x, y, (unsigned)w, (unsigned)h);
    return r;
}

static bool region_is(pixman_region32_t *r, int x, int y, int w, int h)
{
    pixman_region32_t want = region_of(x, y, w, h);
    bool same = pixman_region32_equal(r, &want);
    pixman_region32_fini(&want);
    return same;
}

static void test_rop_use(void)
{
    g_assert_cmpint(display_draw_use_for_rop(SPICE_ROPD_OP_PUT).dest, ==, DISPLAY_DEST_OVERWRITTEN);
    g_assert_cmpint(display_draw_use_for_rop(SPICE_ROPD_OP_XOR).dest, ==, DISPLAY_DEST_NEEDS_EXACT);
    g_assert_cmpint(display_draw_use_for_rop(SPICE_ROPD_OP_OR | SPICE_ROPD_INVERS_SRC).dest, ==,
                    DISPLAY_DEST_NEEDS_EXACT);
    g_assert_cmpint(display_draw_use_for_rop(SPICE_ROPD_OP_AND).dest, ==, DISPLAY_DEST_NEEDS_EXACT);
    g_assert_cmpint(display_draw_use_for_rop(SPICE_ROPD_OP_WHITENESS).dest, ==,
                    DISPLAY_DEST_OVERWRITTEN);
}

/* A JPEG copy makes its area approximate; an exact fill over part of it makes that part exact. */
static void test_jpeg_then_fill(void)
{
    pixman_region32_t lossy, photo = region_of(0, 0, 100, 100), bar = region_of(0, 90, 100, 10);
    pixman_region32_init(&lossy);
    DisplayDrawUse copy = { .dest = DISPLAY_DEST_OVERWRITTEN };
    display_lossy_after_draw(&lossy, &copy, &photo, true);
    g_assert_true(region_is(&lossy, 0, 0, 100, 100));
    DisplayDrawUse put = display_draw_use_for_rop(SPICE_ROPD_OP_PUT);
    g_assert_false(display_lossy_must_resend(&lossy, &put, &bar));
    display_lossy_after_draw(&lossy, &put, &bar, false);
    g_assert_true(region_is(&lossy, 0, 0, 100, 90));
    /* A lossless copy over all of it: nothing approximate is left. */
    display_lossy_after_draw(&lossy, &copy, &photo, false);
    g_assert_false(pixman_region32_not_empty(&lossy));
    pixman_region32_fini(&lossy);
    pixman_region32_fini(&photo);
    pixman_region32_fini(&bar);
}

/* XOR over an approximate area must be resent; away from it, it goes as itself. */
static void test_xor_needs_exact(void)
{
    pixman_region32_t lossy = region_of(10, 10, 20, 20);
    pixman_region32_t over = region_of(25, 25, 10, 10), away = region_of(40, 40, 10, 10);
    DisplayDrawUse xor_fill = display_draw_use_for_rop(SPICE_ROPD_OP_XOR);
    g_assert_true(display_lossy_must_resend(&lossy, &xor_fill, &over));
    g_assert_false(display_lossy_must_resend(&lossy, &xor_fill, &away));
    DisplayDrawUse invers = { .dest = DISPLAY_DEST_KEPT };
    g_assert_false(display_lossy_must_resend(&lossy, &invers, &over));
    display_lossy_after_draw(&lossy, &invers, &over, false);
    g_assert_true(region_is(&lossy, 10, 10, 20, 20));
    /* The resend is exact: its box leaves the region. */
    pixman_box32_t box = { 25, 25, 35, 35 };
    display_lossy_sent_exact(&lossy, &box);
    g_assert_false(display_lossy_must_resend(&lossy, &xor_fill, &over));
    pixman_region32_fini(&lossy);
    pixman_region32_fini(&over);
    pixman_region32_fini(&away);
}

/* COPY_BITS: the destination is approximate exactly where its source was. */
static void test_copy_bits_moves(void)
{
    /* Rows 0..49 approximate; scroll everything up by 20 rows in a 100x100 picture. */
    pixman_region32_t lossy = region_of(0, 0, 100, 50), dest = region_of(0, 0, 100, 80);
    DisplayDrawUse scroll = { .dest = DISPLAY_DEST_MOVED, .src_dx = 0, .src_dy = 20 };
    g_assert_false(display_lossy_must_resend(&lossy, &scroll, &dest));
    display_lossy_after_draw(&lossy, &scroll, &dest, false);
    g_assert_true(region_is(&lossy, 0, 0, 100, 30));
    /* Dest rows 40..59 come from rows 0..19 (approximate): they become approximate too. */
    pixman_region32_t low = region_of(0, 40, 100, 20);
    DisplayDrawUse down = { .dest = DISPLAY_DEST_MOVED, .src_dx = 0, .src_dy = -40 };
    display_lossy_after_draw(&lossy, &down, &low, false);
    pixman_region32_t want;
    pixman_region32_init(&want);
    pixman_region32_union_rect(&want, &want, 0, 0, 100, 30);
    pixman_region32_union_rect(&want, &want, 0, 40, 100, 20);
    g_assert_true(pixman_region32_equal(&lossy, &want));
    /* Moved back up from exact rows 70..89: rows 0..19 become exact. */
    pixman_region32_t top = region_of(0, 0, 100, 20);
    DisplayDrawUse up = { .dest = DISPLAY_DEST_MOVED, .src_dx = 0, .src_dy = 70 };
    display_lossy_after_draw(&lossy, &up, &top, false);
    g_assert_false(pixman_region32_contains_point(&lossy, 5, 5, NULL));
    g_assert_true(pixman_region32_contains_point(&lossy, 5, 25, NULL));
    pixman_region32_fini(&top);
    pixman_region32_fini(&want);
    pixman_region32_fini(&low);
    pixman_region32_fini(&lossy);
    pixman_region32_fini(&dest);
}

/* Many scattered stream frames: the region stays bounded (its extents), never smaller. */
static void test_bounded(void)
{
    pixman_region32_t lossy;
    pixman_region32_init(&lossy);
    for (int i = 0; i < 100; i++) {
        pixman_region32_t frame = region_of(i * 7, i * 5, 3, 3);
        display_lossy_add(&lossy, &frame);
        g_assert_true(pixman_region32_contains_point(&lossy, i * 7 + 1, i * 5 + 1, NULL));
        pixman_region32_fini(&frame);
    }
    g_assert_cmpint(pixman_region32_n_rects(&lossy), <=, 33);
    pixman_region32_fini(&lossy);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display-lossy/rop-use", test_rop_use);
    g_test_add_func("/display-lossy/jpeg-then-fill", test_jpeg_then_fill);
    g_test_add_func("/display-lossy/xor-needs-exact", test_xor_needs_exact);
    g_test_add_func("/display-lossy/copy-bits-moves", test_copy_bits_moves);
    g_test_add_func("/display-lossy/bounded", test_bounded);
    return g_test_run();
}
