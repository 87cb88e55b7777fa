/* test-pixbuf: checked construction of pixel buffers and the codec status names (codecs/pixbuf.c). */
#include <string.h>

#include <glib.h>

#include "codecs/pixbuf.h"

static void test_formats(void)
{
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_PLT1_BE), ==, 1);
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_PLT4_LE), ==, 4);
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_RGB16), ==, 16);
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_RGB24), ==, 24);
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_ARGB32), ==, 32);
    g_assert_cmpuint(pixbuf_format_bpp(PIXBUF_FORMAT_INVALID), ==, 0);
    g_assert_true(pixbuf_format_is_palette(PIXBUF_FORMAT_PLT8));
    g_assert_false(pixbuf_format_is_palette(PIXBUF_FORMAT_A8));
    /* Same values as the wire enum. */
    g_assert_cmpint(pixbuf_format_from_spice(SPICE_BITMAP_FMT_32BIT), ==, PIXBUF_FORMAT_XRGB32);
    g_assert_cmpint(pixbuf_format_from_spice(SPICE_BITMAP_FMT_RGBA), ==, PIXBUF_FORMAT_ARGB32);
    g_assert_cmpint(pixbuf_format_from_spice(SPICE_BITMAP_FMT_8BIT_A), ==, PIXBUF_FORMAT_A8);
    g_assert_cmpint(pixbuf_format_from_spice(0), ==, PIXBUF_FORMAT_INVALID);
    g_assert_cmpint(pixbuf_format_from_spice(11), ==, PIXBUF_FORMAT_INVALID);
    g_assert_cmpint(pixbuf_format_from_spice(0xFFFFFFFFu), ==, PIXBUF_FORMAT_INVALID);

    size_t rb;
    g_assert_cmpint(pixbuf_row_bytes(PIXBUF_FORMAT_PLT1_LE, 9, &rb), ==, CODEC_OK);
    g_assert_cmpuint(rb, ==, 2);
    g_assert_cmpint(pixbuf_row_bytes(PIXBUF_FORMAT_PLT4_BE, 3, &rb), ==, CODEC_OK);
    g_assert_cmpuint(rb, ==, 2);
    g_assert_cmpint(pixbuf_row_bytes(PIXBUF_FORMAT_RGB24, 5, &rb), ==, CODEC_OK);
    g_assert_cmpuint(rb, ==, 15);
    g_assert_cmpint(pixbuf_row_bytes(PIXBUF_FORMAT_INVALID, 5, &rb), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(pixbuf_row_bytes(PIXBUF_FORMAT_A8, PIXBUF_MAX_DIMENSION + 1, &rb), ==,
                    CODEC_ERR_TOO_LARGE);
}

static void test_views(void)
{
    uint8_t mem[100];
    Pixbuf pb;
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_XRGB32, 5, 5, 20, mem, 100), ==, CODEC_OK);
    g_assert_true(pixbuf_is_packed(&pb));
    g_assert_false(pb.owned);
    g_assert_true(pixbuf_row(&pb, 2) == mem + 40);
    pixbuf_free(&pb);   /* a view: nothing freed, struct zeroed */
    g_assert_null(pb.data);

    /* The last row needs only its pixels. */
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_A8, 10, 4, 30, mem, 100), ==, CODEC_OK);
    g_assert_false(pixbuf_is_packed(&pb));
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_A8, 11, 4, 30, mem, 100), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_null(pb.data);
    /* Stride below the row size, missing memory, unknown format. */
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_XRGB32, 5, 1, 19, mem, 100), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_XRGB32, 5, 1, 20, NULL, 100), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_INVALID, 5, 1, 20, mem, 100), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    /* Sizes that overflow or pass the limits. */
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_XRGB32, 65536, 65536, 262144, mem,
                                     SIZE_MAX), ==, CODEC_ERR_TOO_LARGE);
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_A8, 1, 2, SIZE_MAX / 2 + 1, mem,
                                     SIZE_MAX), ==, CODEC_ERR_TOO_LARGE);
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_A8, 1, PIXBUF_MAX_DIMENSION + 1, 1, mem,
                                     SIZE_MAX), ==, CODEC_ERR_TOO_LARGE);
    /* An empty image needs no memory. */
    g_assert_cmpint(pixbuf_init_view(&pb, PIXBUF_FORMAT_A8, 0, 7, 0, NULL, 0), ==, CODEC_OK);
}

static void test_alloc_and_flip(void)
{
    Pixbuf pb;
    g_assert_cmpint(pixbuf_alloc(&pb, PIXBUF_FORMAT_RGB24, 300, 3), ==, CODEC_OK);
    g_assert_true(pb.owned);
    g_assert_cmpuint(pb.stride, ==, 900);
    for (uint32_t y = 0; y < 3; y++) {
        memset(pixbuf_row(&pb, y), (int)y + 1, 900);
    }
    pixbuf_flip_rows(&pb);
    g_assert_cmpuint(pixbuf_row(&pb, 0)[899], ==, 3);
    g_assert_cmpuint(pixbuf_row(&pb, 1)[0], ==, 2);
    g_assert_cmpuint(pixbuf_row(&pb, 2)[450], ==, 1);
    pixbuf_free(&pb);
    g_assert_null(pb.data);
    pixbuf_free(NULL);
    g_assert_cmpint(pixbuf_alloc(&pb, PIXBUF_FORMAT_XRGB32, 65536, 65536), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_cmpint(pixbuf_alloc(&pb, PIXBUF_FORMAT_INVALID, 1, 1), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
}

static void test_status_names(void)
{
    for (int s = CODEC_OK; s <= CODEC_ERR_UNSUPPORTED; s++) {
        g_assert_cmpstr(codec_status_to_str((CodecStatus)s), !=, "unknown status");
    }
    g_assert_cmpstr(codec_status_to_str((CodecStatus)999), ==, "unknown status");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pixbuf/formats", test_formats);
    g_test_add_func("/pixbuf/views", test_views);
    g_test_add_func("/pixbuf/alloc-and-flip", test_alloc_and_flip);
    g_test_add_func("/pixbuf/status-names", test_status_names);
    return g_test_run();
}
