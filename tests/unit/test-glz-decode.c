/* test-glz-decode: the GLZ decoder's fast path (streams long enough to use it): every kind of op against a pixel model, hostile ops, truncations, flips. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/glz.h"
#include "test-pixbuf-images.h"

/*
 * The decoder takes a fast path for every op that starts 128 bytes or more before the end of
 * the stream, and writes and reads whole groups of pixels there. Streams here are built by hand
 * so that each kind of op (and each hostile one) is decoded on that path, and checked against
 * a model that applies the ops one pixel at a time.
 */

/* Two 512x512 images (ids 0 and 1) that later images refer to: over 2^17 pixels, so offsets
 * need the long form and its very-long byte. */
#define BASE_SIDE 512u
#define BASE_PIXELS (BASE_SIDE * BASE_SIDE)
#define WINDOW_PIXELS (1u << 22)

typedef struct Model {
    GByteArray *stream;
    uint32_t *px;          /* the image as the decoder must produce it */
    size_t n;
    size_t op;
} Model;

static uint32_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* A value in [lo, hi]. */
static size_t rng_range(size_t lo, size_t hi)
{
    return lo + rng() % (hi - lo + 1);
}

static void put_be32(GByteArray *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    g_byte_array_append(b, x, 4);
}

static void put_byte(GByteArray *b, uint32_t v)
{
    uint8_t x = (uint8_t)v;
    g_byte_array_append(b, &x, 1);
}

/* A top-down RGB32 header for image @id of @width x @height. */
static void model_start(Model *m, uint32_t width, uint32_t height, uint64_t id,
                        uint32_t win_head_dist)
{
    static const uint8_t magic[] = { 0x20, 0x20, 0x5A, 0x4C, 0x00, 0x01, 0x00, 0x01, 0x18 };
    m->stream = g_byte_array_new();
    g_byte_array_append(m->stream, magic, sizeof(magic));
    put_be32(m->stream, width);
    put_be32(m->stream, height);
    put_be32(m->stream, width * 4);
    put_be32(m->stream, (uint32_t)(id >> 32));
    put_be32(m->stream, (uint32_t)id);
    put_be32(m->stream, win_head_dist);
    g_assert_cmpuint(m->stream->len, ==, GLZ_HEADER_SIZE);
    m->n = (size_t)width * height;
    m->px = g_new0(uint32_t, m->n);
    m->op = 0;
}

static void model_free(Model *m)
{
    g_byte_array_free(m->stream, TRUE);
    g_free(m->px);
}

/* A literal run of @count random pixels (or past the end of the image: the stream only). */
static void put_literals(Model *m, size_t count)
{
    g_assert_cmpuint(count, >=, 1);
    g_assert_cmpuint(count, <=, 32);
    put_byte(m->stream, (uint32_t)count - 1);
    for (size_t i = 0; i < count; i++) {
        uint32_t v = rng() & 0xFFFFFF;
        put_byte(m->stream, v);
        put_byte(m->stream, v >> 8);
        put_byte(m->stream, v >> 16);
        if (m->op < m->n) {
            m->px[m->op++] = v;
        }
    }
}

/* The bytes of a match; @force_long codes a small offset in the long form (legal, and the
 * decoder must read it the same). */
static void put_match_bytes(GByteArray *b, size_t len, uint32_t pixel_ofs, uint32_t image_dist,
                            bool force_long)
{
    g_assert_cmpuint(len, >=, 1);
    bool long_form = force_long || pixel_ofs >= (1u << 12);
    bool very_long = pixel_ofs >= (1u << 17);
    uint32_t dist_bits = long_form ? image_dist : image_dist >> 6;
    unsigned n_dist = dist_bits == 0 ? 0 : dist_bits < 0x100 ? 1 : dist_bits < 0x10000 ? 2 : 3;
    put_byte(b, (len >= 7 ? 7u : (uint32_t)len) << 5 | (long_form ? 0x10u : 0u) | (pixel_ofs & 15));
    if (len >= 7) {
        size_t rest = len - 7;
        for (; rest >= 255; rest -= 255) {
            put_byte(b, 255);
        }
        put_byte(b, (uint32_t)rest);
    }
    put_byte(b, pixel_ofs >> 4);
    if (!long_form) {
        put_byte(b, n_dist << 6 | (image_dist & 63));
    } else {
        put_byte(b, n_dist << 6 | (very_long ? 0x20u : 0u) | (pixel_ofs >> 12 & 31));
    }
    for (unsigned i = 0; i < n_dist; i++) {
        put_byte(b, dist_bits >> (8 * i));
    }
    if (long_form && very_long) {
        put_byte(b, pixel_ofs >> 17);
    }
}

/* An in-image match @dist pixels back (the model copies forward, pixel by pixel). */
static void put_back_match(Model *m, size_t len, size_t dist, bool force_long)
{
    put_match_bytes(m->stream, len, (uint32_t)(dist - 1), 0, force_long);
    for (size_t i = 0; i < len; i++, m->op++) {
        m->px[m->op] = m->px[m->op - dist];
    }
}

/* A match into @src, image @image_dist before this one. */
static void put_image_match(Model *m, size_t len, uint32_t pixel_ofs, uint32_t image_dist,
                            const uint32_t *src, bool force_long)
{
    put_match_bytes(m->stream, len, pixel_ofs, image_dist, force_long);
    memcpy(m->px + m->op, src + pixel_ofs, len * 4);
    m->op += len;
}

static uint32_t *base_px[2];
static GByteArray *base_stream[2];

/* A window holding images 0 and 1 (random literal pixels, made once). */
static GlzWindow *new_base_window(void)
{
    GlzWindow *w = glz_window_new(WINDOW_PIXELS);
    g_assert_nonnull(w);
    for (uint32_t id = 0; id < 2; id++) {
        if (base_stream[id] == NULL) {
            Model m;
            model_start(&m, BASE_SIDE, BASE_SIDE, id, id);   /* keeps image 0 */
            rng_state = 0x9E3779B9u + id;
            while (m.op < m.n) {
                put_literals(&m, 32);
            }
            base_stream[id] = m.stream;
            base_px[id] = m.px;
        }
        Pixbuf out;
        g_assert_cmpint(glz_decode(w, base_stream[id]->data, base_stream[id]->len, &out, NULL),
                        ==, CODEC_OK);
        g_assert_cmpint(memcmp(out.data, base_px[id], (size_t)BASE_PIXELS * 4), ==, 0);
        pixbuf_free(&out);
    }
    return w;
}

/* Decodes @m's stream both ways (a copy, and the window's own pixels) into copies of @base. */
static void check_decodes(const Model *m)
{
    GlzWindow *a = new_base_window(), *b = new_base_window();
    Pixbuf out;
    CodecStatus st = glz_decode(a, m->stream->data, m->stream->len, &out, NULL);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    for (size_t i = 0; i < m->n; i++) {
        uint32_t got = ((const uint32_t *)(const void *)out.data)[i];
        if (got != m->px[i]) {
            g_error("pixel %zu: %08x, expected %08x", i, got, m->px[i]);
        }
    }
    pixbuf_free(&out);
    GlzPixels *px;
    g_assert_cmpint(glz_decode_shared(b, m->stream->data, m->stream->len, &px, NULL), ==,
                    CODEC_OK);
    g_assert_cmpint(memcmp(glz_pixels_data(px), m->px, m->n * 4), ==, 0);
    glz_pixels_unref(px);
    glz_window_free(a);
    glz_window_free(b);
}

/* Random images made of every kind of op: literal runs of 1-32, fills, short repeating patterns
 * (distances 2-7), group-sized and far distances, long lengths (several length bytes), both
 * offset forms, matches into the two earlier images alternately and up to their last pixel. */
static void test_every_op(void)
{
    glz_window_free(new_base_window());   /* makes base_px */
    for (uint32_t seed = 1; seed <= 24; seed++) {
        Model m;
        model_start(&m, 256, 64, 2, 2);
        rng_state = seed * 2654435761u;
        while (m.op < m.n) {
            size_t left = m.n - m.op;
            size_t len = rng() % 8 == 0 ? rng_range(1, 700) : rng_range(1, 24);
            len = len < left ? len : left;
            uint32_t kind = rng() % 10;
            if (kind < 3 || m.op == 0) {
                put_literals(&m, rng_range(1, left < 32 ? left : 32));
            } else if (kind < 7) {
                uint32_t dclass = rng() % 4;
                size_t far = m.op < 5000 ? m.op : 5000;
                size_t dist = dclass == 0 ? 1
                            : dclass == 1 ? rng_range(1, m.op < 7 ? m.op : 7)
                            : dclass == 2 ? rng_range(1, m.op < 20 ? m.op : 20)
                                          : rng_range(1, far);
                put_back_match(&m, len, dist, rng() % 4 == 0);
            } else {
                uint32_t which = rng() % 2;
                uint32_t ofs = rng() % 8 == 0 ? (uint32_t)(BASE_PIXELS - len)
                                              : (uint32_t)rng_range(0, BASE_PIXELS - len);
                put_image_match(&m, len, ofs, 2 - which, base_px[which], rng() % 4 == 0);
            }
        }
        /* The model's pixels are right by construction; the stream must end on the last op. */
        check_decodes(&m);
        model_free(&m);
    }
}

/* Image @id (64x64) made of @at pixels of valid ops, then @bad (the bytes of one op), then
 * 300 filler bytes, so that @bad is decoded on the fast path. */
static CodecStatus decode_with_op(uint64_t id, size_t at, const GByteArray *bad,
                                  size_t filler, GlzPixels **keep)
{
    GlzWindow *w = new_base_window();
    Model m;
    model_start(&m, 64, 64, id, (uint32_t)id);
    rng_state = 77;
    if (at > 0) {
        put_literals(&m, 1);
        if (at > 1) {
            put_back_match(&m, at - 1, 1, false);
        }
    }
    g_byte_array_append(m.stream, bad->data, bad->len);
    for (size_t i = 0; i < filler; i++) {
        put_byte(m.stream, 0);
    }
    /* Into the caller's buffer (no slack after the image), then into the window's own. */
    Pixbuf out;
    CodecStatus copy_st = glz_decode(w, m.stream->data, m.stream->len, &out, NULL);
    g_assert_true((copy_st == CODEC_OK) == (out.data != NULL));
    pixbuf_free(&out);
    GlzPixels *px = NULL;
    CodecStatus st = glz_decode_shared(w, m.stream->data, m.stream->len, &px, NULL);
    g_assert_cmpint(st, ==, copy_st);
    g_assert_true((st == CODEC_OK) == (px != NULL));
    g_assert_cmpuint(glz_window_image_count(w), ==, st == CODEC_OK ? 3 : 2);
    if (keep != NULL) {
        *keep = px;
    } else {
        glz_pixels_unref(px);
    }
    model_free(&m);
    glz_window_free(w);
    return st;
}

static void expect_status(const char *what, CodecStatus got, CodecStatus want)
{
    if (got != want) {
        g_error("%s: %s, expected %s", what, codec_status_to_str(got), codec_status_to_str(want));
    }
}

/* Ops that must fail, decoded on the fast path; and the edges that must not. */
static void test_hostile_fast_ops(void)
{
    const size_t n = 64 * 64;
    GByteArray *op = g_byte_array_new();
    Model lit;
#define OP(...)                                      \
    do {                                             \
        g_byte_array_set_size(op, 0);                \
        put_match_bytes(op, __VA_ARGS__);            \
    } while (0)

    /* Literal runs one pixel longer than what is left; the same runs fitting exactly, then
     * junk: decoded (no group write past the image: the caller's buffer has no slack), then
     * refused as trailing bytes. */
    static const size_t runs[] = { 1, 5, 32 };
    for (size_t i = 0; i < G_N_ELEMENTS(runs); i++) {
        model_start(&lit, 1, 1, 0, 0);
        put_literals(&lit, runs[i]);
        g_byte_array_set_size(op, 0);
        g_byte_array_append(op, lit.stream->data + GLZ_HEADER_SIZE,
                            lit.stream->len - GLZ_HEADER_SIZE);
        if (runs[i] > 1) {
            expect_status("literals past the end",
                          decode_with_op(10, n - runs[i] + 1, op, 300, NULL), CODEC_ERR_CORRUPT);
        }
        expect_status("literals to the end", decode_with_op(10, n - runs[i], op, 300, NULL),
                      CODEC_ERR_TRAILING_DATA);
        model_free(&lit);
    }

    /* A match one pixel too long (with and without length bytes). */
    OP(n - 100 + 1, 0, 0, false);
    expect_status("match past the end", decode_with_op(11, 100, op, 300, NULL), CODEC_ERR_CORRUPT);
    OP(4, 0, 0, false);
    expect_status("short match past the end", decode_with_op(11, n - 3, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
    OP(n - 100, 0, 0, false);
    expect_status("match to the end", decode_with_op(11, 100, op, 300, NULL),
                  CODEC_ERR_TRAILING_DATA);
    OP(3, 0, 0, false);
    expect_status("short match to the end", decode_with_op(11, n - 3, op, 300, NULL),
                  CODEC_ERR_TRAILING_DATA);
    /* Before the start of the image, in both forms. */
    OP(5, 100, 0, false);
    expect_status("before the start", decode_with_op(12, 100, op, 300, NULL), CODEC_ERR_CORRUPT);
    OP(5, 100, 0, true);
    expect_status("before the start, long form", decode_with_op(12, 100, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
    OP(5, n - 6, 0, true);
    expect_status("at the start, long form", decode_with_op(12, n - 5, op, 300, NULL),
                  CODEC_ERR_TRAILING_DATA);
    /* Image 0 is 13 images back from image 13: past its end by one pixel, by an offset past
     * it, and exactly up to its last pixel (the group reads past it stay in its padding). */
    OP(5, BASE_PIXELS - 4, 13, false);
    expect_status("past another image's end", decode_with_op(13, 100, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
    OP(1, BASE_PIXELS + 1, 13, false);
    expect_status("offset past another image", decode_with_op(13, 100, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
    OP(5, BASE_PIXELS - 5, 13, false);
    expect_status("up to another image's end, fast", decode_with_op(13, n - 5, op, 300, NULL),
                  CODEC_ERR_TRAILING_DATA);
    GlzPixels *px;
    expect_status("up to another image's end", decode_with_op(13, n - 5, op, 0, &px), CODEC_OK);
    const uint32_t *got = glz_pixels_data(px);
    for (int i = 0; i < 5; i++) {
        g_assert_cmphex(got[n - 5 + i], ==, base_px[0][BASE_PIXELS - 5 + i]);
    }
    glz_pixels_unref(px);
    /* Images the window does not hold: a distance past image 0, one to an id never seen. */
    OP(5, 0, 15, false);
    expect_status("before the first image", decode_with_op(14, 100, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
    OP(5, 0, 200, true);
    expect_status("distance past id 0", decode_with_op(14, 100, op, 300, NULL), CODEC_ERR_CORRUPT);
    OP(5, 0, 7, false);
    expect_status("an id never seen", decode_with_op(14, 100, op, 300, NULL), CODEC_ERR_CORRUPT);
    /* Length bytes (255, 255, ...) running into the last 128 bytes, then the end. */
    g_byte_array_set_size(op, 0);
    put_byte(op, 0xE0);
    for (int i = 0; i < 200; i++) {
        put_byte(op, 255);
    }
    expect_status("length bytes to the end", decode_with_op(15, 100, op, 0, NULL),
                  CODEC_ERR_TRUNCATED);
    expect_status("length bytes, too long", decode_with_op(15, 100, op, 300, NULL),
                  CODEC_ERR_CORRUPT);
#undef OP
    g_byte_array_free(op, TRUE);
}

static CodecStatus decode_status(GlzWindow *w, const uint8_t *s, size_t size)
{
    Pixbuf out;
    size_t before = glz_window_image_count(w);
    CodecStatus st = glz_decode(w, s, size, &out, NULL);
    if (st == CODEC_OK) {
        pixbuf_free(&out);
    } else {
        g_assert_null(out.data);
        g_assert_cmpuint(glz_window_image_count(w), ==, before);
    }
    return st;
}

/* Our encoder's streams for a page and the page scrolled (so references into the first image),
 * cut at every length and with a bit flipped at every byte: errors or pixels, nothing else. */
static void test_truncations_and_flips(void)
{
    GlzDictionary *d = glz_dictionary_new(1u << 20);
    Pixbuf page, scrolled;
    g_assert_cmpint(pixbuf_alloc(&page, PIXBUF_FORMAT_XRGB32, 160, 100), ==, CODEC_OK);
    test_image_fill(&page, TEST_IMAGE_TEXT, 3);
    g_assert_cmpint(pixbuf_alloc(&scrolled, PIXBUF_FORMAT_XRGB32, 160, 100), ==, CODEC_OK);
    test_image_fill(&scrolled, TEST_IMAGE_NOISE, 5);
    memcpy(scrolled.data, page.data + 12 * page.stride, 80 * page.stride);
    uint8_t *s[2];
    size_t size[2];
    const Pixbuf *src[2] = { &page, &scrolled };
    for (int i = 0; i < 2; i++) {
        size_t bound = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, 160, 100);
        s[i] = g_malloc(bound);
        g_assert_cmpint(glz_encode(d, src[i], LZ_IMAGE_TYPE_RGB32, true, s[i], bound, &size[i],
                                   NULL), ==, CODEC_OK);
    }
    g_assert_cmpuint(size[1], >, 1000);   /* long enough for the fast path */
    GlzWindow *w = glz_window_new(1u << 20);
    g_assert_cmpint(decode_status(w, s[0], size[0]), ==, CODEC_OK);
    g_assert_cmpint(decode_status(w, s[1], size[1]), ==, CODEC_OK);
    for (size_t cut = 0; cut < size[1]; cut += cut < GLZ_HEADER_SIZE + 64 || cut > size[1] - 300 ? 1 : 7) {
        CodecStatus st = decode_status(w, s[1], cut);
        g_assert_true(st != CODEC_OK);
    }
    uint8_t *bad = g_malloc(size[1]);
    for (size_t at = GLZ_HEADER_SIZE; at < size[1]; at += at < 3000 || at > size[1] - 300 ? 1 : 5) {
        memcpy(bad, s[1], size[1]);
        bad[at] ^= (uint8_t)(1u << (at % 8));
        (void)decode_status(w, bad, size[1]);
    }
    g_free(bad);
    for (int i = 0; i < 2; i++) {
        g_free(s[i]);
    }
    glz_window_free(w);
    pixbuf_free(&page);
    pixbuf_free(&scrolled);
    glz_dictionary_free(d);
}

/* RGBA (two passes, the copy made after the second) and RGB32 images through both entry points. */
static void test_other_types(void)
{
    static const struct {
        LzImageType type;
        PixbufFormat format;
        uint32_t mask;
    } types[] = {
        { LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, 0xFFFFFFFFu },
        { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, 0x00FFFFFFu },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        GlzDictionary *d = glz_dictionary_new(1u << 20);
        GlzWindow *w = glz_window_new(1u << 20);
        for (uint32_t k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            Pixbuf img;
            g_assert_cmpint(pixbuf_alloc(&img, types[t].format, 200, 90), ==, CODEC_OK);
            test_image_fill(&img, (TestImageKind)k, k + 1);
            size_t bound = glz_encode_bound(types[t].type, 200, 90), size;
            uint8_t *s = g_malloc(bound);
            g_assert_cmpint(glz_encode(d, &img, types[t].type, true, s, bound, &size, NULL), ==,
                            CODEC_OK);
            Pixbuf out;
            g_assert_cmpint(glz_decode(w, s, size, &out, NULL), ==, CODEC_OK);
            GlzPixels *px;
            g_assert_cmpint(glz_decode_shared(w, s, size, &px, NULL), ==, CODEC_OK);
            for (uint32_t y = 0; y < 90; y++) {
                const uint32_t *a = (const uint32_t *)(const void *)pixbuf_row(&img, y);
                const uint32_t *b = (const uint32_t *)(const void *)pixbuf_row(&out, y);
                const uint32_t *c = glz_pixels_data(px) + (size_t)y * 200;
                for (uint32_t x = 0; x < 200; x++) {
                    g_assert_cmphex(b[x] & types[t].mask, ==, a[x] & types[t].mask);
                    g_assert_cmphex(c[x], ==, b[x]);
                }
            }
            glz_pixels_unref(px);
            pixbuf_free(&out);
            pixbuf_free(&img);
            g_free(s);
        }
        glz_window_free(w);
        glz_dictionary_free(d);
    }
}

/* pixbuf_alloc_uninit, which glz_decode's copies use: an owned buffer of the tightest stride. */
static void test_alloc_uninit(void)
{
    Pixbuf pb;
    g_assert_cmpint(pixbuf_alloc_uninit(&pb, PIXBUF_FORMAT_XRGB32, 7, 3), ==, CODEC_OK);
    g_assert_true(pb.owned);
    g_assert_nonnull(pb.data);
    g_assert_cmpuint(pb.stride, ==, 28);
    memset(pb.data, 0xAB, pb.stride * pb.height);
    pixbuf_free(&pb);
    g_assert_cmpint(pixbuf_alloc_uninit(&pb, PIXBUF_FORMAT_XRGB32, PIXBUF_MAX_DIMENSION + 1, 1),
                    ==, CODEC_ERR_TOO_LARGE);
    g_assert_null(pb.data);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/glz-decode/every-op", test_every_op);
    g_test_add_func("/glz-decode/hostile-fast-ops", test_hostile_fast_ops);
    g_test_add_func("/glz-decode/truncations-and-flips", test_truncations_and_flips);
    g_test_add_func("/glz-decode/other-types", test_other_types);
    g_test_add_func("/glz-decode/alloc-uninit", test_alloc_uninit);
    int rc = g_test_run();
    for (int i = 0; i < 2; i++) {
        g_free(base_px[i]);
        if (base_stream[i] != NULL) {
            g_byte_array_free(base_stream[i], TRUE);
        }
    }
    return rc;
}
