/* test-glz: GLZ round trips (single images, sequences, scrolled pages), window eviction, every decoder error, ZLIB_GLZ. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/glz.h"
#include "test-pixbuf-images.h"

#define WINDOW (4u * 1024 * 1024)

/* Encodes @src as the next image of @d; the caller frees the result. */
static uint8_t *encode_or_die(GlzDictionary *d, const Pixbuf *src, LzImageType type,
                              size_t *size, uint64_t *id)
{
    size_t bound = glz_encode_bound(type, src->width, src->height);
    g_assert_cmpuint(bound, >, GLZ_HEADER_SIZE);
    uint8_t *out = g_malloc(bound);
    CodecStatus st = glz_encode(d, src, type, true, out, bound, size, id);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpuint(*size, <=, bound);
    return out;
}

/* Decodes and compares with @expect (alpha compared only for RGBA). */
static void decode_and_check(GlzWindow *w, const uint8_t *s, size_t size, const Pixbuf *expect,
                             LzImageType type)
{
    Pixbuf out;
    GlzHeader h;
    CodecStatus st = glz_decode(w, s, size, &out, &h);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpint(h.type, ==, type);
    g_assert_cmpuint(out.width, ==, expect->width);
    g_assert_cmpuint(out.height, ==, expect->height);
    for (uint32_t y = 0; y < expect->height; y++) {
        const uint32_t *a = (const uint32_t *)(const void *)pixbuf_row(expect, y);
        const uint32_t *b = (const uint32_t *)(const void *)pixbuf_row(&out, y);
        uint32_t mask = type == LZ_IMAGE_TYPE_RGBA ? 0xFFFFFFFFu : 0x00FFFFFFu;
        for (uint32_t x = 0; x < expect->width; x++) {
            if (((a[x] ^ b[x]) & mask) != 0) {
                g_error("pixel %u,%u: %08x != %08x", x, y, a[x], b[x]);
            }
        }
    }
    pixbuf_free(&out);
}

static void make_image(Pixbuf *pb, PixbufFormat f, uint32_t w, uint32_t h, TestImageKind k,
                       uint32_t seed)
{
    g_assert_cmpint(pixbuf_alloc(pb, f, w, h), ==, CODEC_OK);
    test_image_fill(pb, k, seed);
}

static void test_round_trip_single(void)
{
    static const uint32_t sizes[][2] = {
        { 1, 1 }, { 2, 1 }, { 3, 3 }, { 5, 7 }, { 33, 1 }, { 64, 64 }, { 257, 31 },
        { 5000, 3 }, { 640, 480 },
    };
    static const LzImageType types[] = { LZ_IMAGE_TYPE_RGB32, LZ_IMAGE_TYPE_RGBA };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
            for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
                GlzDictionary *d = glz_dictionary_new(WINDOW);
                GlzWindow *w = glz_window_new(WINDOW);
                Pixbuf src;
                make_image(&src, PIXBUF_FORMAT_ARGB32, sizes[s][0], sizes[s][1],
                           (TestImageKind)k, (uint32_t)s * 7 + (uint32_t)k);
                size_t size;
                uint64_t id = 99;
                uint8_t *st = encode_or_die(d, &src, types[t], &size, &id);
                g_assert_cmpuint(id, ==, 0);
                decode_and_check(w, st, size, &src, types[t]);
                g_assert_cmpuint(glz_window_image_count(w), ==, 1);
                g_free(st);
                pixbuf_free(&src);
                glz_window_free(w);
                glz_dictionary_free(d);
            }
        }
    }
}

/* A stream written by hand from codecs.md: 2 literal pixels, then a cross-image match with a
 * short offset, then a long-offset one, then a same-image run. */
static void test_known_stream(void)
{
    GlzWindow *w = glz_window_new(1u << 20);
    /* Image 0: 5000x1 literal-only noise, through our encoder (fresh dictionary). */
    GlzDictionary *d = glz_dictionary_new(1u << 20);
    Pixbuf img0;
    make_image(&img0, PIXBUF_FORMAT_XRGB32, 5000, 1, TEST_IMAGE_NOISE, 1);
    size_t size0;
    uint64_t id0;
    uint8_t *s0 = encode_or_die(d, &img0, LZ_IMAGE_TYPE_RGB32, &size0, &id0);
    decode_and_check(w, s0, size0, &img0, LZ_IMAGE_TYPE_RGB32);

    static const uint8_t hdr[] = {
        0x20, 0x20, 0x5A, 0x4C, 0x00, 0x01, 0x00, 0x01, 0x18,
        0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 80,
        0, 0, 0, 0, 0, 0, 0, 1,   /* id 1 */
        0, 0, 0, 1,               /* win_head_dist 1 */
    };
    static const uint8_t body[] = {
        0x01, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,     /* 2 literals */
        0x63, 0x02, 0x01,        /* L=3, ofs 0x23 = 35, image_dist 1: 3 pixels of img0[35..] */
        0x94, 0x38, 0x41, 0x01,  /* L=4, F, ofs 0x1384 = 4996, one LE image_dist byte: 1 */
        0xE0, 0x04, 0x00, 0x00,  /* L=7+4=11, ofs 0 in this image: a run of the last pixel */
    };
    uint8_t stream[sizeof(hdr) + sizeof(body)];
    memcpy(stream, hdr, sizeof(hdr));
    memcpy(stream + sizeof(hdr), body, sizeof(body));
    Pixbuf out;
    GlzHeader h;
    g_assert_cmpint(glz_decode(w, stream, sizeof(stream), &out, &h), ==, CODEC_OK);
    g_assert_cmpuint(h.id, ==, 1);
    g_assert_true(h.top_down);
    const uint32_t *o = (const uint32_t *)(const void *)out.data;
    const uint32_t *r = (const uint32_t *)(const void *)img0.data;
    g_assert_cmphex(o[0], ==, 0x332211);
    g_assert_cmphex(o[1], ==, 0x665544);
    for (int i = 0; i < 3; i++) {
        g_assert_cmphex(o[2 + i], ==, r[35 + i] & 0xFFFFFF);
    }
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(o[5 + i], ==, r[4996 + i] & 0xFFFFFF);
    }
    for (int i = 9; i < 20; i++) {
        g_assert_cmphex(o[i], ==, r[4999] & 0xFFFFFF);
    }
    pixbuf_free(&out);

    /* The same match one pixel further would run past the end of img0. */
    stream[sizeof(hdr) + 10] = 0x95;
    g_assert_cmpint(glz_decode(w, stream, sizeof(stream), &out, NULL), ==, CODEC_ERR_CORRUPT);
    g_free(s0);
    pixbuf_free(&img0);
    glz_dictionary_free(d);
    glz_window_free(w);
}

/* A text page, then the same page scrolled up by 16 rows with 16 new rows at the bottom. */
static void test_scrolled_page(void)
{
    const uint32_t W = 1024, H = 768;
    Pixbuf tall, f1, f2;
    make_image(&tall, PIXBUF_FORMAT_XRGB32, W, H + 16, TEST_IMAGE_TEXT, 5);
    g_assert_cmpint(pixbuf_init_view(&f1, PIXBUF_FORMAT_XRGB32, W, H, tall.stride, tall.data,
                                     tall.stride * H), ==, CODEC_OK);
    g_assert_cmpint(pixbuf_init_view(&f2, PIXBUF_FORMAT_XRGB32, W, H, tall.stride,
                                     pixbuf_row(&tall, 16), tall.stride * H), ==, CODEC_OK);
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    GlzWindow *w = glz_window_new(WINDOW);
    size_t s1, s2;
    uint64_t id;
    gint64 t0 = g_get_monotonic_time();
    uint8_t *a = encode_or_die(d, &f1, LZ_IMAGE_TYPE_RGB32, &s1, &id);
    gint64 t1 = g_get_monotonic_time();
    uint8_t *b = encode_or_die(d, &f2, LZ_IMAGE_TYPE_RGB32, &s2, &id);
    gint64 t2 = g_get_monotonic_time();
    g_assert_cmpuint(id, ==, 1);
    decode_and_check(w, a, s1, &f1, LZ_IMAGE_TYPE_RGB32);
    gint64 t3 = g_get_monotonic_time();
    decode_and_check(w, b, s2, &f2, LZ_IMAGE_TYPE_RGB32);
    double px = (double)W * H;
    double bpp1 = s1 * 8.0 / px, bpp2 = s2 * 8.0 / px;
    g_test_message("scroll: frame1 %zu bytes (%.3f bpp), frame2 %zu bytes (%.4f bpp); encode "
                   "%.1f / %.1f MP/s, decode %.1f MP/s (sanitized build)",
                   s1, bpp1, s2, bpp2, px / (double)(t1 - t0), px / (double)(t2 - t1),
                   px / (double)(t3 - t2 + 1));
    g_assert_cmpfloat(bpp2, <=, 0.15);
    g_assert_cmpfloat(bpp2 * 4, <, bpp1);   /* mostly references to frame 1 */
    g_free(a);
    g_free(b);
    pixbuf_free(&tall);
    glz_window_free(w);
    glz_dictionary_free(d);
}

/*
 * What a server sends when a small window scrolls: the page, the page again (a redraw: one
 * long match into the first), then the page moved up 24 rows. The scrolled frame must still
 * find the page: the image right before it was coded as references only, and on a small text
 * page the hash slots point at other copies of the same glyphs.
 */
static void test_scrolled_after_redraw(void)
{
    const uint32_t W = 320, H = 240, SCROLL = 24;
    Pixbuf tall, page, scrolled;
    make_image(&tall, PIXBUF_FORMAT_XRGB32, W, H + SCROLL, TEST_IMAGE_TEXT, 9);
    g_assert_cmpint(pixbuf_init_view(&page, PIXBUF_FORMAT_XRGB32, W, H, tall.stride, tall.data,
                                     tall.stride * H), ==, CODEC_OK);
    g_assert_cmpint(pixbuf_init_view(&scrolled, PIXBUF_FORMAT_XRGB32, W, H, tall.stride,
                                     pixbuf_row(&tall, SCROLL), tall.stride * H), ==, CODEC_OK);
    GlzDictionary *alone = glz_dictionary_new(WINDOW);
    size_t alone_size;
    uint64_t id;
    g_free(encode_or_die(alone, &scrolled, LZ_IMAGE_TYPE_RGB32, &alone_size, &id));
    glz_dictionary_free(alone);

    GlzDictionary *d = glz_dictionary_new(WINDOW);
    GlzWindow *w = glz_window_new(WINDOW);
    const Pixbuf *frames[] = { &page, &page, &scrolled };
    size_t sizes[3];
    for (unsigned i = 0; i < 3; i++) {
        uint8_t *s = encode_or_die(d, frames[i], LZ_IMAGE_TYPE_RGB32, &sizes[i], &id);
        decode_and_check(w, s, sizes[i], frames[i], LZ_IMAGE_TYPE_RGB32);
        g_free(s);
    }
    g_test_message("scrolled after a redraw: %zu bytes, alone %zu bytes (page %zu, redraw %zu)",
                   sizes[2], alone_size, sizes[0], sizes[1]);
    g_assert_cmpuint(sizes[1] * 20, <, sizes[0]);     /* the redraw refers to the page */
    g_assert_cmpuint(sizes[2] * 3, <, alone_size);    /* so does the scrolled frame */
    pixbuf_free(&tall);
    glz_window_free(w);
    glz_dictionary_free(d);
}

/* Encoder and decoder drop the same old images; a stream referencing a dropped one fails. */
static void test_window_eviction(void)
{
    const uint32_t W = 100, H = 100;          /* 10000 pixels; the window holds 3 */
    GlzDictionary *d = glz_dictionary_new(30000);
    GlzWindow *w = glz_window_new(30000);
    Pixbuf img;
    make_image(&img, PIXBUF_FORMAT_XRGB32, W, H, TEST_IMAGE_TEXT, 3);
    uint8_t *streams[6];
    size_t sizes[6];
    for (int i = 0; i < 6; i++) {
        uint64_t id;
        streams[i] = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGB32, &sizes[i], &id);
        g_assert_cmpuint(id, ==, (uint64_t)i);
        GlzHeader h;
        g_assert_cmpint(glz_read_header(streams[i], sizes[i], &h), ==, CODEC_OK);
        g_assert_cmpuint(h.win_head_dist, ==, i < 2 ? i : 2);
        decode_and_check(w, streams[i], sizes[i], &img, LZ_IMAGE_TYPE_RGB32);
        g_assert_cmpuint(glz_window_image_count(w), ==, i < 2 ? i + 1 : 3);
        g_assert_cmpuint(glz_window_pixel_count(w), <=, 30000);
        if (i > 0) {
            g_assert_cmpuint(sizes[i], <, sizes[0] / 4);   /* references the previous images */
        }
    }
    g_assert_false(glz_window_has_image(w, 2));
    g_assert_true(glz_window_has_image(w, 3));
    /* Image 4 referenced image 3 or later (dist <= 2): decoding it again still works; image 1
     * is gone, so its stream (referencing image 0) fails. */
    Pixbuf out;
    g_assert_cmpint(glz_decode(w, streams[1], sizes[1], &out, NULL), ==, CODEC_ERR_CORRUPT);
    g_assert_null(out.data);
    /* An image bigger than the window is refused by both sides. */
    Pixbuf big;
    make_image(&big, PIXBUF_FORMAT_XRGB32, 200, 200, TEST_IMAGE_FLAT, 1);
    uint8_t buf[64];
    size_t size;
    g_assert_cmpint(glz_encode(d, &big, LZ_IMAGE_TYPE_RGB32, true, buf, sizeof(buf), &size, NULL),
                    ==, CODEC_ERR_TOO_LARGE);
    g_assert_cmpuint(glz_dictionary_next_id(d), ==, 6);
    GlzDictionary *d2 = glz_dictionary_new(1u << 20);
    uint64_t id;
    uint8_t *bs = encode_or_die(d2, &big, LZ_IMAGE_TYPE_RGB32, &size, &id);
    g_assert_cmpint(glz_decode(w, bs, size, &out, NULL), ==, CODEC_ERR_TOO_LARGE);
    g_free(bs);
    glz_dictionary_free(d2);
    pixbuf_free(&big);
    for (int i = 0; i < 6; i++) {
        g_free(streams[i]);
    }
    glz_window_clear(w);
    g_assert_cmpuint(glz_window_image_count(w), ==, 0);
    pixbuf_free(&img);
    glz_window_free(w);
    glz_dictionary_free(d);
}

/* Release callbacks for test_encode_shared: count calls per buffer (opaque = its counter). */
static void count_release(void *data, void *opaque)
{
    (void)data;
    (*(int *)opaque)++;
}

static void count_and_free(void *data, void *opaque)
{
    g_free(data);
    (*(int *)opaque)++;
}

/*
 * glz_encode_shared keeps references instead of copies: the streams are byte-identical to
 * glz_encode's, each buffer is released exactly when its image leaves the window (or the
 * dictionary is freed) even though the caller dropped its own reference right after encoding,
 * and nothing is kept for copies (strided sources), failures or owners that do not hold the
 * pixels. Run under ASan, a read of a released buffer would fail the test.
 */
static void test_encode_shared(void)
{
    const uint32_t W = 100, H = 100;   /* 10000 pixels; the window holds 3 */
    enum { N = 6 };
    GlzDictionary *shared_dict = glz_dictionary_new(30000);
    GlzDictionary *copy_dict = glz_dictionary_new(30000);
    GlzWindow *w = glz_window_new(30000);
    int released[N] = { 0 };
    for (int i = 0; i < N; i++) {
        LzImageType type = i == 4 ? LZ_IMAGE_TYPE_RGBA : LZ_IMAGE_TYPE_RGB32;
        Pixbuf owned;
        make_image(&owned, PIXBUF_FORMAT_ARGB32, W, H, TEST_IMAGE_TEXT, (uint32_t)(i % 3));
        /* The caller's buffer: malloc'd, freed only through the release callback. */
        uint8_t *bytes = g_malloc((size_t)W * H * 4);
        memcpy(bytes, owned.data, (size_t)W * H * 4);
        GlzSharedPixels *px = glz_shared_pixels_wrap(bytes, (size_t)W * H * 4, count_and_free,
                                                     &released[i]);
        g_assert_nonnull(px);
        g_assert_true(glz_shared_pixels_data(px) == bytes);
        g_assert_cmpuint(glz_shared_pixels_size(px), ==, (size_t)W * H * 4);
        Pixbuf view;
        g_assert_cmpint(pixbuf_init_view(&view, PIXBUF_FORMAT_ARGB32, W, H, W * 4, bytes,
                                         (size_t)W * H * 4), ==, CODEC_OK);
        size_t bound = glz_encode_bound(type, W, H), s_size, c_size;
        uint8_t *s_out = g_malloc(bound), *c_out = g_malloc(bound);
        uint64_t id;
        g_assert_cmpint(glz_encode_shared(shared_dict, &view, px, type, true, s_out, bound,
                                          &s_size, &id), ==, CODEC_OK);
        g_assert_cmpuint(id, ==, (uint64_t)i);
        g_assert_cmpint(glz_encode(copy_dict, &owned, type, true, c_out, bound, &c_size, NULL),
                        ==, CODEC_OK);
        g_assert_cmpmem(s_out, s_size, c_out, c_size);
        decode_and_check(w, s_out, s_size, &owned, type);
        /* The caller lets go at once; the dictionary's reference keeps the pixels. */
        glz_shared_pixels_unref(px);
        for (int k = 0; k <= i; k++) {
            g_assert_cmpint(released[k], ==, k <= i - 3 ? 1 : 0);
        }
        g_free(s_out);
        g_free(c_out);
        pixbuf_free(&owned);
    }

    /* Nothing kept: a strided source (copied), an owner that does not hold the pixels, and a
     * failed encode. */
    GlzSharedPixels *big = glz_shared_pixels_new((size_t)W * 2 * H * 4);
    g_assert_nonnull(big);
    Pixbuf strided;
    memset(glz_shared_pixels_data(big), 0x5A, (size_t)W * 2 * H * 4);
    g_assert_cmpint(pixbuf_init_view(&strided, PIXBUF_FORMAT_XRGB32, W, H, W * 8,
                                     glz_shared_pixels_data(big), (size_t)W * 2 * H * 4),
                    ==, CODEC_OK);
    size_t bound = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, W, H), size;
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(glz_encode_shared(shared_dict, &strided, big, LZ_IMAGE_TYPE_RGB32, true, out,
                                      bound, &size, NULL), ==, CODEC_OK);
    decode_and_check(w, out, size, &strided, LZ_IMAGE_TYPE_RGB32);
    int other_released = 0;
    uint8_t other_bytes[64];
    GlzSharedPixels *other = glz_shared_pixels_wrap(other_bytes, sizeof(other_bytes),
                                                    count_release, &other_released);
    g_assert_cmpint(glz_encode_shared(shared_dict, &strided, other, LZ_IMAGE_TYPE_RGB32, true,
                                      out, bound, &size, NULL), ==, CODEC_ERR_INVALID_ARGUMENT);
    glz_shared_pixels_unref(other);
    g_assert_cmpint(other_released, ==, 1);
    int fail_released = 0;
    uint8_t *fail_bytes = g_malloc0((size_t)W * H * 4);
    GlzSharedPixels *fail = glz_shared_pixels_wrap(fail_bytes, (size_t)W * H * 4,
                                                   count_and_free, &fail_released);
    Pixbuf fail_view;
    g_assert_cmpint(pixbuf_init_view(&fail_view, PIXBUF_FORMAT_XRGB32, W, H, W * 4, fail_bytes,
                                     (size_t)W * H * 4), ==, CODEC_OK);
    g_assert_cmpint(glz_encode_shared(shared_dict, &fail_view, fail, LZ_IMAGE_TYPE_RGB32, true,
                                      out, GLZ_HEADER_SIZE + 1, &size, NULL), ==,
                    CODEC_ERR_NO_SPACE);
    g_assert_cmpuint(glz_dictionary_next_id(shared_dict), ==, N + 1);
    glz_shared_pixels_unref(fail);
    g_assert_cmpint(fail_released, ==, 1);
    glz_shared_pixels_unref(big);   /* freed now: the strided image was copied */

    /* The copied image pushed image 3 out; freeing the dictionary releases the rest. */
    g_assert_cmpint(released[3], ==, 1);
    g_assert_cmpint(released[4] + released[5], ==, 0);
    glz_dictionary_free(shared_dict);
    for (int k = 0; k < N; k++) {
        g_assert_cmpint(released[k], ==, 1);
    }
    g_free(out);
    glz_window_free(w);
    glz_dictionary_free(copy_dict);
    g_assert_null(glz_shared_pixels_new(0));
    glz_shared_pixels_unref(NULL);

    /* A few packed rows of a much larger buffer are copied, not referenced: a reference would
     * pin the whole buffer while the window counts only those rows. */
    GlzDictionary *part_dict = glz_dictionary_new(30000);
    int part_released = 0;
    uint8_t *part_bytes = g_malloc0((size_t)W * H * 4);
    GlzSharedPixels *part = glz_shared_pixels_wrap(part_bytes, (size_t)W * H * 4, count_and_free,
                                                   &part_released);
    Pixbuf rows;
    g_assert_cmpint(pixbuf_init_view(&rows, PIXBUF_FORMAT_XRGB32, W, 10, W * 4, part_bytes,
                                     (size_t)W * 10 * 4), ==, CODEC_OK);
    uint8_t *part_out = g_malloc(glz_encode_bound(LZ_IMAGE_TYPE_RGB32, W, 10));
    g_assert_cmpint(glz_encode_shared(part_dict, &rows, part, LZ_IMAGE_TYPE_RGB32, true, part_out,
                                      glz_encode_bound(LZ_IMAGE_TYPE_RGB32, W, 10), &size, NULL),
                    ==, CODEC_OK);
    glz_shared_pixels_unref(part);
    g_assert_cmpint(part_released, ==, 1);   /* the dictionary kept a copy, not the buffer */
    g_free(part_out);
    glz_dictionary_free(part_dict);
}

/* glz_decode_shared hands out the window's pixels: they equal glz_decode's copy, stay valid
 * (and unchanged) after the window drops them and after it is freed, and a buffer still held
 * by a caller is never reused for a later image. */
static void test_shared_pixels(void)
{
    const uint32_t W = 100, H = 100;          /* the window holds 2 images */
    GlzDictionary *d = glz_dictionary_new(20000);
    GlzWindow *w = glz_window_new(20000);
    Pixbuf imgs[4];
    GlzPixels *held[4];
    for (int i = 0; i < 4; i++) {
        make_image(&imgs[i], PIXBUF_FORMAT_XRGB32, W, H, i % 2 ? TEST_IMAGE_NOISE : TEST_IMAGE_TEXT,
                   (uint32_t)i + 40);
        size_t size;
        uint64_t id;
        uint8_t *stream = encode_or_die(d, &imgs[i], LZ_IMAGE_TYPE_RGB32, &size, &id);
        GlzHeader h;
        g_assert_cmpint(glz_decode_shared(w, stream, size, &held[i], &h), ==, CODEC_OK);
        g_assert_nonnull(held[i]);
        g_assert_true(h.top_down);
        for (int j = 0; j <= i; j++) {      /* earlier ones, dropped or not, are intact */
            const uint32_t *px = glz_pixels_data(held[j]);
            for (uint32_t y = 0; y < H; y++) {
                const uint32_t *want = (const uint32_t *)(const void *)pixbuf_row(&imgs[j], y);
                for (uint32_t x = 0; x < W; x++) {
                    g_assert_cmphex(px[y * W + x] & 0xffffff, ==, want[x] & 0xffffff);
                }
            }
        }
        for (int j = 0; j < i; j++) {
            g_assert_true(glz_pixels_data(held[j]) != glz_pixels_data(held[i]));
        }
        g_free(stream);
    }
    g_assert_false(glz_window_has_image(w, 0));
    GlzPixels *bad = (GlzPixels *)&bad;
    g_assert_cmpint(glz_decode_shared(w, (const uint8_t *)"x", 1, &bad, NULL), !=, CODEC_OK);
    g_assert_null(bad);
    glz_window_free(w);
    for (int i = 0; i < 4; i++) {
        g_assert_cmphex(glz_pixels_data(held[i])[0] & 0xffffff, ==,
                        *(const uint32_t *)(const void *)pixbuf_row(&imgs[i], 0) & 0xffffff);
        glz_pixels_unref(held[i]);
        pixbuf_free(&imgs[i]);
    }
    glz_pixels_unref(NULL);
    glz_dictionary_free(d);
}

/* Two display channels: images arrive out of order; the window keeps what is still needed. */
static void test_out_of_order(void)
{
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    GlzWindow *w = glz_window_new(WINDOW);
    Pixbuf img;
    make_image(&img, PIXBUF_FORMAT_ARGB32, 64, 48, TEST_IMAGE_TEXT, 9);
    size_t s0, s1;
    uint64_t id;
    uint8_t *a = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGBA, &s0, &id);
    uint8_t *b = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGBA, &s1, &id);
    Pixbuf out;
    g_assert_cmpint(glz_decode(w, b, s1, &out, NULL), ==, CODEC_ERR_CORRUPT);
    g_assert_false(glz_window_has_image(w, 0));
    g_assert_cmpuint(glz_window_image_count(w), ==, 0);
    decode_and_check(w, a, s0, &img, LZ_IMAGE_TYPE_RGBA);
    decode_and_check(w, b, s1, &img, LZ_IMAGE_TYPE_RGBA);
    g_assert_cmpuint(glz_window_image_count(w), ==, 2);
    g_free(a);
    g_free(b);
    pixbuf_free(&img);
    glz_window_free(w);
    glz_dictionary_free(d);
}

/* Matches with a "very long" (>= 2^17) pixel offset in RGB32 stream @s; fails the test on a
 * malformed token (the layout is put_match's in codecs/glz-encode-private.h). */
static size_t count_very_long_matches(const uint8_t *s, size_t size)
{
    size_t count = 0;
    size_t i = GLZ_HEADER_SIZE;
    while (i < size) {
        uint8_t b0 = s[i++];
        if (b0 < 32) {                       /* b0 + 1 literals of 3 bytes */
            i += 3 * ((size_t)b0 + 1);
            continue;
        }
        if (b0 >> 5 == 7) {                  /* length continues in bytes, 255 = more */
            while (i < size && s[i] == 255) {
                i++;
            }
            i++;
        }
        i++;                                 /* pixel offset bits 4-11 */
        g_assert_cmpuint(i, <, size);
        uint8_t c2 = s[i++];
        bool very_long = (b0 & 0x10) != 0 && (c2 & 0x20) != 0;
        i += (size_t)(c2 >> 6) + (very_long ? 1 : 0);
        count += very_long;
    }
    g_assert_cmpuint(i, ==, size);
    return count;
}

/* Multi-byte image distances in both offset forms, and "very long" (>= 2^17) pixel offsets. */
static void test_far_references(void)
{
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    GlzWindow *w = glz_window_new(WINDOW);
    Pixbuf big, mid, small, tail;
    make_image(&big, PIXBUF_FORMAT_XRGB32, 400, 400, TEST_IMAGE_NOISE, 11);  /* id 0 */
    make_image(&mid, PIXBUF_FORMAT_XRGB32, 100, 50, TEST_IMAGE_NOISE, 12);   /* id 1 */
    size_t size;
    uint64_t id;
    uint8_t *s = encode_or_die(d, &big, LZ_IMAGE_TYPE_RGB32, &size, &id);
    decode_and_check(w, s, size, &big, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    s = encode_or_die(d, &mid, LZ_IMAGE_TYPE_RGB32, &size, &id);
    decode_and_check(w, s, size, &mid, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    /* 300 distinct small images push the first two 300+ ids back. */
    for (uint32_t i = 0; i < 300; i++) {
        make_image(&small, PIXBUF_FORMAT_XRGB32, 8, 8, TEST_IMAGE_NOISE, 100 + i);
        s = encode_or_die(d, &small, LZ_IMAGE_TYPE_RGB32, &size, &id);
        decode_and_check(w, s, size, &small, LZ_IMAGE_TYPE_RGB32);
        g_free(s);
        pixbuf_free(&small);
    }
    /* The first small image again: short offsets, image_dist 300 (two bytes). */
    make_image(&small, PIXBUF_FORMAT_XRGB32, 8, 8, TEST_IMAGE_NOISE, 100);
    s = encode_or_die(d, &small, LZ_IMAGE_TYPE_RGB32, &size, &id);
    g_assert_cmpuint(id, ==, 302);
    g_assert_cmpuint(size, <, GLZ_HEADER_SIZE + 16);
    decode_and_check(w, s, size, &small, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    /* The 100x50 image again: offsets up to 4999 (long form), image_dist 302 (two LE bytes). */
    s = encode_or_die(d, &mid, LZ_IMAGE_TYPE_RGB32, &size, &id);
    g_assert_cmpuint(size, <, GLZ_HEADER_SIZE + 64);
    decode_and_check(w, s, size, &mid, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    /* The last 70 rows of the 400x400 image: source offset 132000 >= 2^17 ("very long"). */
    g_assert_cmpint(pixbuf_init_view(&tail, PIXBUF_FORMAT_XRGB32, 400, 70, big.stride,
                                     pixbuf_row(&big, 330), big.stride * 70), ==, CODEC_OK);
    s = encode_or_die(d, &tail, LZ_IMAGE_TYPE_RGB32, &size, &id);
    /* A few long matches (84000 bytes as literals): in noise the encoder probes its hash
     * less and less often, so the copy is found where both images were probed, and carried
     * on from there. */
    g_assert_cmpuint(size, <, GLZ_HEADER_SIZE + 2048);
    g_assert_cmpuint(count_very_long_matches(s, size), >, 0);
    decode_and_check(w, s, size, &tail, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    pixbuf_free(&small);
    pixbuf_free(&mid);
    pixbuf_free(&big);
    glz_window_free(w);
    glz_dictionary_free(d);
}

/*
 * A long sequence through a small window: every kind of picture, sizes down to a few pixels,
 * and scrolled copies of the previous image (same size, rows shifted up, new rows below), so
 * the encoder's sources in earlier images run past those images' ends, into images that left
 * the window, and into the image being coded. Every stream must decode to its picture.
 */
static void test_mixed_sequence(void)
{
    static const uint32_t dims[][2] = { { 97, 61 }, { 200, 120 }, { 7, 3 }, { 1, 50 },
                                        { 320, 200 }, { 9, 9 } };
    GlzDictionary *d = glz_dictionary_new(150000);
    GlzWindow *w = glz_window_new(150000);
    Pixbuf prev = { 0 };
    size_t scrolled_bytes = 0, scrolled_pixels = 0;
    for (uint32_t i = 0; i < 72; i++) {
        Pixbuf img;
        TestImageKind kind = (TestImageKind)(i % TEST_IMAGE_KIND_COUNT);
        bool scroll = prev.data != NULL && i % 3 != 0 && prev.height > 8;
        if (scroll) {
            uint32_t shift = i % 5 + 1;
            make_image(&img, PIXBUF_FORMAT_XRGB32, prev.width, prev.height, kind, 1000 + i);
            for (uint32_t y = 0; y + shift < prev.height; y++) {
                memcpy(pixbuf_row(&img, y), pixbuf_row(&prev, y + shift), (size_t)prev.width * 4);
            }
        } else {
            make_image(&img, PIXBUF_FORMAT_XRGB32, dims[i % 6][0], dims[i % 6][1], kind, 1000 + i);
        }
        size_t size;
        uint64_t id;
        uint8_t *s = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGB32, &size, &id);
        g_assert_cmpuint(id, ==, i);
        decode_and_check(w, s, size, &img, LZ_IMAGE_TYPE_RGB32);
        if (scroll) {
            scrolled_bytes += size;
            scrolled_pixels += (size_t)img.width * img.height;
        }
        g_free(s);
        pixbuf_free(&prev);
        prev = img;
    }
    /* Scrolled copies are mostly found in the previous image (noise alone is 24 bpp). */
    g_assert_cmpuint(scrolled_bytes * 8, <, scrolled_pixels * 6);
    pixbuf_free(&prev);
    glz_window_free(w);
    glz_dictionary_free(d);
}

static CodecStatus decode_status(GlzWindow *w, const uint8_t *s, size_t size)
{
    Pixbuf out;
    CodecStatus st = glz_decode(w, s, size, &out, NULL);
    if (st == CODEC_OK) {
        pixbuf_free(&out);
    } else {
        g_assert_null(out.data);
    }
    return st;
}

static void test_decoder_errors(void)
{
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    Pixbuf img;
    make_image(&img, PIXBUF_FORMAT_ARGB32, 37, 11, TEST_IMAGE_TEXT, 4);
    size_t size;
    uint64_t id;
    uint8_t *s = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGBA, &size, &id);
    GlzWindow *w = glz_window_new(WINDOW);

    /* Every truncation. */
    for (size_t n = 0; n < size; n++) {
        CodecStatus st = decode_status(w, s, n);
        g_assert_true(st == CODEC_ERR_TRUNCATED || st == CODEC_ERR_CORRUPT);
    }
    g_assert_cmpuint(glz_window_image_count(w), ==, 0);
    /* Trailing byte. */
    uint8_t *longer = g_malloc(size + 1);
    memcpy(longer, s, size);
    longer[size] = 0;
    g_assert_cmpint(decode_status(w, longer, size + 1), ==, CODEC_ERR_TRAILING_DATA);
    /* Header fields. */
    uint8_t *bad = g_malloc(size);
    static const struct {
        size_t at;
        uint8_t value;
        CodecStatus expect;
    } edits[] = {
        { 0, 0x21, CODEC_ERR_BAD_MAGIC }, { 7, 2, CODEC_ERR_BAD_MAGIC },
        { 8, 0x10, CODEC_ERR_BAD_HEADER },       /* type 0 */
        { 8, 0x1C, CODEC_ERR_BAD_HEADER },       /* type 12 */
        { 8, 0x39, CODEC_ERR_BAD_HEADER },       /* stray bit 5 */
        { 8, 0x15, CODEC_ERR_UNSUPPORTED },      /* PLT8 */
        { 8, 0x1B, CODEC_ERR_UNSUPPORTED },      /* A8 */
        { 8, 0x17, CODEC_ERR_BAD_HEADER },       /* RGB24: stride should be 3 * width */
        { 12, 0, CODEC_ERR_BAD_HEADER },         /* width 0 */
        { 9, 0x7F, CODEC_ERR_TOO_LARGE },        /* width 2^30 */
        { 20, 0x95, CODEC_ERR_BAD_HEADER },      /* stride */
    };
    for (size_t e = 0; e < G_N_ELEMENTS(edits); e++) {
        memcpy(bad, s, size);
        bad[edits[e].at] = edits[e].value;
        g_assert_cmpstr(codec_status_to_str(decode_status(w, bad, size)), ==,
                        codec_status_to_str(edits[e].expect));
    }
    /* Over the window's pixel limit. */
    GlzWindow *tiny = glz_window_new(100);
    g_assert_cmpint(decode_status(tiny, s, size), ==, CODEC_ERR_TOO_LARGE);
    glz_window_free(tiny);
    Pixbuf unused;
    g_assert_cmpint(glz_decode(NULL, s, size, &unused, NULL), ==, CODEC_ERR_INVALID_ARGUMENT);

    /* Bodies: a 4x1 RGB32 image with hand-made tokens. */
    static const uint8_t hdr[] = {
        0x20, 0x20, 0x5A, 0x4C, 0x00, 0x01, 0x00, 0x01, 0x08,
        0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 16,
        0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0,
    };
    static const struct {
        uint8_t body[12];
        size_t len;
        CodecStatus expect;
    } bodies[] = {
        { { 0x04 }, 1, CODEC_ERR_CORRUPT },                          /* 5 literals in 4 */
        { { 0x00, 1, 2, 3, 0x20, 0x01, 0x00 }, 7, CODEC_ERR_CORRUPT },  /* dist 2 > 1 */
        { { 0x00, 1, 2, 3, 0x80, 0x00, 0x00 }, 7, CODEC_ERR_CORRUPT },  /* 4 > 3 left */
        { { 0x00, 1, 2, 3, 0x20, 0x00, 0x01 }, 7, CODEC_ERR_CORRUPT },  /* image 6: unknown */
        { { 0x00, 1, 2, 3, 0x20, 0x00, 0xC8 }, 7, CODEC_ERR_TRUNCATED },/* 3 dist bytes */
        { { 0x00, 1, 2, 3, 0x30, 0x00, 0xA0 }, 7, CODEC_ERR_TRUNCATED },/* very long ofs byte */
        { { 0x00, 1, 2, 3, 0xE0, 0xFF }, 6, CODEC_ERR_TRUNCATED },     /* length bytes */
        { { 0x00, 1, 2 }, 3, CODEC_ERR_TRUNCATED },                  /* literal cut */
        { { 0x00, 1, 2, 3, 0x20, 0x00, 0x08 }, 7, CODEC_ERR_CORRUPT },  /* dist 8 > id 7 */
        { { 0x00, 1, 2, 3, 0x40, 0x00, 0x00 }, 7, CODEC_ERR_TRUNCATED },/* 3 px, need 1 more */
        { { 0x00, 1, 2, 3, 0x60, 0x00, 0x00 }, 7, CODEC_OK },          /* a valid run */
    };
    uint8_t buf[sizeof(hdr) + 12];
    memcpy(buf, hdr, sizeof(hdr));
    for (size_t b = 0; b < G_N_ELEMENTS(bodies); b++) {
        memcpy(buf + sizeof(hdr), bodies[b].body, bodies[b].len);
        CodecStatus st = decode_status(w, buf, sizeof(hdr) + bodies[b].len);
        if (st != bodies[b].expect) {
            g_error("body %zu: %s, expected %s", b, codec_status_to_str(st),
                    codec_status_to_str(bodies[b].expect));
        }
    }
    /* A reference past the end of a known image (image 7, 4 pixels, from image 8). */
    uint8_t ref[sizeof(hdr) + 7];
    memcpy(ref, hdr, sizeof(hdr));
    ref[28] = 8;
    static const uint8_t past_end[] = { 0x00, 1, 2, 3, 0x62, 0x00, 0x01 };  /* 3 px at 2 */
    memcpy(ref + sizeof(hdr), past_end, sizeof(past_end));
    g_assert_cmpint(decode_status(w, ref, sizeof(ref)), ==, CODEC_ERR_CORRUPT);
    ref[sizeof(hdr) + 4] = 0x61;   /* 3 px at 1: fits */
    g_assert_cmpint(decode_status(w, ref, sizeof(ref)), ==, CODEC_OK);

    g_free(bad);
    g_free(longer);
    g_free(s);
    pixbuf_free(&img);
    glz_window_free(w);
    glz_dictionary_free(d);
}

static void test_encoder_errors(void)
{
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    g_assert_null(glz_dictionary_new(0));
    Pixbuf img, a8;
    make_image(&img, PIXBUF_FORMAT_XRGB32, 64, 64, TEST_IMAGE_NOISE, 1);
    make_image(&a8, PIXBUF_FORMAT_A8, 8, 8, TEST_IMAGE_FLAT, 1);
    uint8_t small[100];
    size_t size;
    g_assert_cmpint(glz_encode(d, &img, LZ_IMAGE_TYPE_RGB32, true, small, sizeof(small), &size,
                               NULL), ==, CODEC_ERR_NO_SPACE);
    g_assert_cmpint(glz_encode(d, &img, LZ_IMAGE_TYPE_RGBA, true, small, sizeof(small), &size,
                               NULL), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(glz_encode(d, &a8, LZ_IMAGE_TYPE_RGB32, true, small, sizeof(small), &size,
                               NULL), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(glz_encode(d, &img, LZ_IMAGE_TYPE_PLT8, true, small, sizeof(small), &size,
                               NULL), ==, CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpuint(glz_encode_bound(LZ_IMAGE_TYPE_PLT8, 8, 8), ==, 0);
    g_assert_cmpuint(glz_dictionary_next_id(d), ==, 0);   /* failures use no id */
    /* And the dictionary still works. */
    GlzWindow *w = glz_window_new(WINDOW);
    uint64_t id;
    uint8_t *s = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGB32, &size, &id);
    g_assert_cmpuint(id, ==, 0);
    decode_and_check(w, s, size, &img, LZ_IMAGE_TYPE_RGB32);
    g_free(s);
    glz_window_free(w);
    pixbuf_free(&img);
    pixbuf_free(&a8);
    glz_dictionary_free(d);
}

static void test_zlib(void)
{
    GlzDictionary *d = glz_dictionary_new(WINDOW);
    GlzWindow *w = glz_window_new(WINDOW);
    Pixbuf img;
    make_image(&img, PIXBUF_FORMAT_XRGB32, 300, 200, TEST_IMAGE_TEXT, 2);
    size_t size;
    uint64_t id;
    uint8_t *s = encode_or_die(d, &img, LZ_IMAGE_TYPE_RGB32, &size, &id);
    uint8_t *z = g_malloc(size + 1024);
    size_t zsize;
    g_assert_cmpint(glz_zlib_compress(s, size, z, size + 1024, &zsize), ==, CODEC_OK);
    g_assert_cmpuint(zsize, <, size);
    g_assert_cmpint(z[0] & 0x0F, ==, 8);   /* RFC 1950 header: deflate */
    Pixbuf out;
    g_assert_cmpint(glz_zlib_compress(s, size, z, 10, &zsize), ==, CODEC_ERR_NO_SPACE);
    g_assert_cmpint(glz_zlib_compress(s, size, z, size + 1024, &zsize), ==, CODEC_OK);
    /* Errors: wrong inflated size either way, truncated, corrupt; none touch the window. */
    g_assert_cmpint(glz_zlib_decode(w, z, zsize, (uint32_t)size + 1, &out, NULL), ==,
                    CODEC_ERR_TRUNCATED);
    g_assert_cmpint(glz_zlib_decode(w, z, zsize, (uint32_t)size - 1, &out, NULL), ==,
                    CODEC_ERR_CORRUPT);
    g_assert_cmpint(glz_zlib_decode(w, z, zsize / 2, (uint32_t)size, &out, NULL), ==,
                    CODEC_ERR_TRUNCATED);
    g_assert_cmpint(glz_zlib_decode(w, z, zsize, 5, &out, NULL), ==, CODEC_ERR_TRUNCATED);
    uint8_t junk[16] = { 0x78, 0x9C, 0xFF, 0xFF, 0xFF };
    g_assert_cmpint(glz_zlib_decode(w, junk, sizeof(junk), (uint32_t)size, &out, NULL), ==,
                    CODEC_ERR_CORRUPT);
    g_assert_cmpuint(glz_window_image_count(w), ==, 0);
    GlzHeader h;
    g_assert_cmpint(glz_zlib_decode(w, z, zsize, (uint32_t)size, &out, &h), ==, CODEC_OK);
    g_assert_true(test_pixbuf_same_pixels(&img, &out));
    g_assert_cmpuint(glz_window_image_count(w), ==, 1);
    pixbuf_free(&out);
    g_free(z);
    g_free(s);
    pixbuf_free(&img);
    glz_window_free(w);
    glz_dictionary_free(d);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/glz/round-trip-single", test_round_trip_single);
    g_test_add_func("/glz/known-stream", test_known_stream);
    g_test_add_func("/glz/scrolled-page", test_scrolled_page);
    g_test_add_func("/glz/scrolled-after-redraw", test_scrolled_after_redraw);
    g_test_add_func("/glz/window-eviction", test_window_eviction);
    g_test_add_func("/glz/out-of-order", test_out_of_order);
    g_test_add_func("/glz/far-references", test_far_references);
    g_test_add_func("/glz/mixed-sequence", test_mixed_sequence);
    g_test_add_func("/glz/decoder-errors", test_decoder_errors);
    g_test_add_func("/glz/encoder-errors", test_encoder_errors);
    g_test_add_func("/glz/zlib", test_zlib);
    g_test_add_func("/glz/shared-pixels", test_shared_pixels);
    g_test_add_func("/glz/encode-shared", test_encode_shared);
    return g_test_run();
}
