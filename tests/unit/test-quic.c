/* test-quic: round trips, hand-derived streams and every error path of the QUIC codec (codecs/quic-*.c). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/quic.h"
#include "test-pixbuf-images.h"

typedef struct {
    QuicImageType type;
    PixbufFormat format;
} TypeCase;

static const TypeCase type_cases[] = {
    { QUIC_IMAGE_TYPE_GRAY, PIXBUF_FORMAT_A8 },
    { QUIC_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16 },
    { QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24 },
    { QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32 },
    { QUIC_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32 },
};

static uint8_t *encode_or_die(const Pixbuf *src, QuicImageType type, size_t *size)
{
    size_t bound = quic_encode_bound(type, src->width, src->height);
    g_assert_cmpuint(bound, >, QUIC_HEADER_SIZE);
    uint8_t *out = g_malloc(bound);
    CodecStatus st = quic_encode(src, type, out, bound, size);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpuint(*size, <=, bound);
    g_assert_cmpuint(*size % 4, ==, 0);
    /* The trailer: a whole zero word. */
    g_assert_cmpuint(*size, >=, QUIC_HEADER_SIZE + 8);
    static const uint8_t zero[4];
    g_assert_cmpmem(out + *size - 4, 4, zero, 4);
    return out;
}

static void round_trip_full(const TypeCase *tc, uint32_t w, uint32_t h, TestImageKind kind,
                            bool padded_too)
{
    Pixbuf src, dst;
    g_assert_cmpint(pixbuf_alloc(&src, tc->format, w, h), ==, CODEC_OK);
    test_image_fill(&src, kind, w * 17 + h);
    size_t size;
    uint8_t *s = encode_or_die(&src, tc->type, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, tc->format, w, h), ==, CODEC_OK);
    QuicHeader hdr;
    CodecStatus st = quic_decode(s, size, &dst, &hdr);
    if (st != CODEC_OK) {
        g_error("%ux%u type %d %s: %s", w, h, tc->type, test_image_kind_name(kind),
                codec_status_to_str(st));
    }
    g_assert_cmpint(hdr.type, ==, tc->type);
    g_assert_cmpuint(hdr.width, ==, w);
    g_assert_cmpuint(hdr.height, ==, h);
    if (!test_pixbuf_same_pixels(&src, &dst)) {
        g_error("%ux%u type %d %s: pixels differ", w, h, tc->type, test_image_kind_name(kind));
    }
    if (!padded_too) {
        g_free(s);
        pixbuf_free(&dst);
        pixbuf_free(&src);
        return;
    }

    /* A padded source codes to the same stream; a padded destination gets the same pixels. */
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(tc->format, w, &row_bytes), ==, CODEC_OK);
    size_t stride = row_bytes + 7;
    uint8_t *mem_src = g_malloc0(stride * h), *mem_dst = g_malloc0(stride * h);
    Pixbuf psrc, pdst;
    g_assert_cmpint(pixbuf_init_view(&psrc, tc->format, w, h, stride, mem_src, stride * h), ==,
                    CODEC_OK);
    g_assert_cmpint(pixbuf_init_view(&pdst, tc->format, w, h, stride, mem_dst, stride * h), ==,
                    CODEC_OK);
    test_image_fill(&psrc, kind, w * 17 + h);
    size_t size2;
    uint8_t *s2 = encode_or_die(&psrc, tc->type, &size2);
    g_assert_cmpmem(s2, size2, s, size);
    g_assert_cmpint(quic_decode(s2, size2, &pdst, NULL), ==, CODEC_OK);
    g_assert_true(test_pixbuf_same_pixels(&src, &pdst));

    g_free(s2);
    g_free(mem_src);
    g_free(mem_dst);
    g_free(s);
    pixbuf_free(&dst);
    pixbuf_free(&src);
}

static void round_trip(const TypeCase *tc, uint32_t w, uint32_t h, TestImageKind kind)
{
    round_trip_full(tc, w, h, kind, true);
}

static void test_round_trip_small(void)
{
    static const uint32_t sizes[][2] = {
        { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 3 }, { 4, 4 }, { 5, 7 }, { 7, 5 }, { 9, 9 },
        { 17, 13 }, { 33, 1 }, { 1, 33 }, { 64, 64 }, { 257, 31 }, { 1000, 3 },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
            for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
                round_trip(&type_cases[t], sizes[s][0], sizes[s][1], (TestImageKind)k);
            }
        }
    }
}

/* Widths around the 2048-pixel wait-mask steps, where rows split into segments. */
static void test_round_trip_segments(void)
{
    static const uint32_t widths[] = { 2047, 2048, 2049, 4095, 4097, 5000 };
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        for (size_t i = 0; i < G_N_ELEMENTS(widths); i++) {
            round_trip(&type_cases[t], widths[i], 6, TEST_IMAGE_TEXT);
            round_trip(&type_cases[t], widths[i], 3, TEST_IMAGE_GRADIENT);
        }
        round_trip(&type_cases[t], 3, 2000, TEST_IMAGE_TEXT);
    }
}

static void test_round_trip_1080p(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            /* Padded strides are covered by the smaller sizes; -m slow adds them here too. */
            round_trip_full(&type_cases[t], 1920, 1080, (TestImageKind)k, g_test_slow());
        }
    }
}

/* RGB24 and RGB32 sources give the same body (only the type word differs), and each decodes
 * into the other's format. */
static void test_rgb24_rgb32_same_body(void)
{
    Pixbuf s24, s32;
    g_assert_cmpint(pixbuf_alloc(&s24, PIXBUF_FORMAT_RGB24, 50, 20), ==, CODEC_OK);
    g_assert_cmpint(pixbuf_alloc(&s32, PIXBUF_FORMAT_XRGB32, 50, 20), ==, CODEC_OK);
    test_image_fill(&s24, TEST_IMAGE_TEXT, 2);
    test_image_fill(&s32, TEST_IMAGE_TEXT, 2);
    size_t n24, n32;
    uint8_t *a = encode_or_die(&s24, QUIC_IMAGE_TYPE_RGB24, &n24);
    uint8_t *b = encode_or_die(&s32, QUIC_IMAGE_TYPE_RGB32, &n32);
    g_assert_cmpuint(n24, ==, n32);
    g_assert_cmpuint(a[8], ==, 3);
    g_assert_cmpuint(b[8], ==, 4);
    g_assert_cmpmem(a + 12, n24 - 12, b + 12, n32 - 12);
    Pixbuf d32, d24;
    g_assert_cmpint(pixbuf_alloc(&d32, PIXBUF_FORMAT_XRGB32, 50, 20), ==, CODEC_OK);
    g_assert_cmpint(pixbuf_alloc(&d24, PIXBUF_FORMAT_RGB24, 50, 20), ==, CODEC_OK);
    g_assert_cmpint(quic_decode(a, n24, &d32, NULL), ==, CODEC_OK);
    g_assert_true(test_pixbuf_same_pixels(&s32, &d32));
    for (uint32_t i = 0; i < 1000; i++) {
        g_assert_cmpuint(d32.data[4 * i + 3], ==, 0);
    }
    g_assert_cmpint(quic_decode(b, n32, &d24, NULL), ==, CODEC_OK);
    g_assert_true(test_pixbuf_same_pixels(&s24, &d24));
    g_free(a);
    g_free(b);
    pixbuf_free(&s24);
    pixbuf_free(&s32);
    pixbuf_free(&d24);
    pixbuf_free(&d32);
}

static void test_rgb16_to_32(void)
{
    Pixbuf src, dst;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_RGB16, 21, 4), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_NOISE, 3);
    size_t size;
    uint8_t *s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGB16, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 21, 4), ==, CODEC_OK);
    g_assert_cmpint(quic_decode(s, size, &dst, NULL), ==, CODEC_OK);
    for (uint32_t i = 0; i < 84; i++) {
        uint16_t v;
        memcpy(&v, src.data + 2 * i, 2);
        uint32_t r = v >> 10 & 31, g = v >> 5 & 31, b = v & 31;
        g_assert_cmpuint(dst.data[4 * i + 2], ==, r << 3 | r >> 2);
        g_assert_cmpuint(dst.data[4 * i + 1], ==, g << 3 | g >> 2);
        g_assert_cmpuint(dst.data[4 * i], ==, b << 3 | b >> 2);
        g_assert_cmpuint(dst.data[4 * i + 3], ==, 0);
    }
    g_free(s);
    pixbuf_free(&src);
    pixbuf_free(&dst);
}

/*
 * Streams worked out by hand from the format description (codecs.md section 2):
 * 1x1 black RGB32: each channel codes symbol 0 with k = 7 (every bucket starts at bpc - 1):
 *   '1' + seven zeros, three times = 0x808080, padded to the word 0x80808000, then a zero word.
 * 3x1 GRAY 0,1,3: 0 -> '10000000' (k=7); the model update after it makes k=0 best for bucket 0;
 *   1 (residual +1, symbol 2, context 0) -> '001'; 3 (residual +2, symbol 4, context 2 = bucket
 *   1, still k=7) -> '10000100'. 19 bits: 0x80308000.
 */
static void test_known_streams(void)
{
    static const uint8_t black[] = {
        0x51, 0x55, 0x49, 0x43, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
        0x00, 0x80, 0x80, 0x80, 0, 0, 0, 0,
    };
    static const uint8_t gray[] = {
        0x51, 0x55, 0x49, 0x43, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0,
        0x00, 0x80, 0x30, 0x80, 0, 0, 0, 0,
    };
    uint8_t px[4] = { 0, 0, 0, 0x77 };
    Pixbuf src, dst;
    size_t size;
    g_assert_cmpint(pixbuf_init_view(&src, PIXBUF_FORMAT_XRGB32, 1, 1, 4, px, 4), ==, CODEC_OK);
    uint8_t *s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGB32, &size);
    g_assert_cmpmem(s, size, black, sizeof(black));
    g_free(s);

    uint8_t g3[3] = { 0, 1, 3 };
    g_assert_cmpint(pixbuf_init_view(&src, PIXBUF_FORMAT_A8, 3, 1, 3, g3, 3), ==, CODEC_OK);
    s = encode_or_die(&src, QUIC_IMAGE_TYPE_GRAY, &size);
    g_assert_cmpmem(s, size, gray, sizeof(gray));
    g_free(s);

    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_A8, 3, 1), ==, CODEC_OK);
    g_assert_cmpint(quic_decode(gray, sizeof(gray), &dst, NULL), ==, CODEC_OK);
    g_assert_cmpmem(dst.data, 3, g3, 3);
    pixbuf_free(&dst);
}

static void check_all_truncations(const uint8_t *s, size_t size, PixbufFormat f, uint32_t w,
                                  uint32_t h)
{
    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, f, w, h), ==, CODEC_OK);
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *copy = g_memdup2(s, cut ? cut : 1);
        CodecStatus st = quic_decode(cut ? copy : NULL, cut, &dst, NULL);
        g_assert_cmpint(st, !=, CODEC_OK);
        g_free(copy);
    }
    /* Extra bytes after the trailer do not matter (upstream reads only what it needs). */
    uint8_t *longer = g_malloc0(size + 5);
    memcpy(longer, s, size);
    g_assert_cmpint(quic_decode(longer, size + 5, &dst, NULL), ==, CODEC_OK);
    g_free(longer);
    pixbuf_free(&dst);
}

static void test_truncation(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            Pixbuf src;
            g_assert_cmpint(pixbuf_alloc(&src, type_cases[t].format, 19, 6), ==, CODEC_OK);
            test_image_fill(&src, (TestImageKind)k, 8);
            size_t size;
            uint8_t *s = encode_or_die(&src, type_cases[t].type, &size);
            check_all_truncations(s, size, type_cases[t].format, 19, 6);
            g_free(s);
            pixbuf_free(&src);
        }
    }
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void test_bad_headers(void)
{
    uint8_t h[32] = { 0 };
    QuicHeader hdr;
    put_le32(h, 0x43495551u);
#define EXPECT(type, w, ht, status)                                         \
    do {                                                                    \
        put_le32(h + 8, type);                                              \
        put_le32(h + 12, w);                                                \
        put_le32(h + 16, ht);                                               \
        g_assert_cmpint(quic_read_header(h, sizeof(h), &hdr), ==, status);  \
    } while (0)
    EXPECT(4, 1, 1, CODEC_OK);
    EXPECT(0, 1, 1, CODEC_ERR_BAD_HEADER);
    EXPECT(6, 1, 1, CODEC_ERR_BAD_HEADER);
    EXPECT(4, 0, 1, CODEC_ERR_BAD_HEADER);
    EXPECT(4, 1, 0, CODEC_ERR_BAD_HEADER);
    EXPECT(4, 70000, 1, CODEC_ERR_TOO_LARGE);
    EXPECT(4, 0xFFFFFFFFu, 0xFFFFFFFFu, CODEC_ERR_TOO_LARGE);
    EXPECT(4, 65536, 65536, CODEC_ERR_TOO_LARGE);
#undef EXPECT
    g_assert_cmpint(quic_read_header(h, 19, &hdr), ==, CODEC_ERR_TRUNCATED);
    put_le32(h + 4, 1);
    g_assert_cmpint(quic_read_header(h, sizeof(h), &hdr), ==, CODEC_ERR_BAD_MAGIC);
    put_le32(h + 4, 0);
    h[0] = 'X';
    g_assert_cmpint(quic_read_header(h, sizeof(h), &hdr), ==, CODEC_ERR_BAD_MAGIC);

    /* Destination mismatches. */
    static const uint8_t black[] = {
        0x51, 0x55, 0x49, 0x43, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
        0x00, 0x80, 0x80, 0x80, 0, 0, 0, 0,
    };
    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 2, 1), ==, CODEC_OK);
    g_assert_cmpint(quic_decode(black, sizeof(black), &dst, NULL), ==, CODEC_ERR_BAD_HEADER);
    pixbuf_free(&dst);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_A8, 1, 1), ==, CODEC_OK);
    g_assert_cmpint(quic_decode(black, sizeof(black), &dst, NULL), ==, CODEC_ERR_UNSUPPORTED);
    pixbuf_free(&dst);
}

static void test_corrupt(void)
{
    /* Out-of-range escapes and overlong runs need a model state that only real data builds,
     * so flip every bit of a real stream: each decode must end in a status (ASan/UBSan watch
     * for anything else), and most flips must be detected. */
    Pixbuf src, dst;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 40, 30), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_TEXT, 1);
    size_t size;
    uint8_t *s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGB32, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 40, 30), ==, CODEC_OK);
    unsigned errors = 0;
    for (size_t byte = QUIC_HEADER_SIZE; byte < size; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            s[byte] ^= (uint8_t)(1 << bit);
            CodecStatus st = quic_decode(s, size, &dst, NULL);
            errors += st != CODEC_OK;
            s[byte] ^= (uint8_t)(1 << bit);
        }
    }
    g_test_message("%u of %zu single-bit flips detected", errors, (size - QUIC_HEADER_SIZE) * 8);
    g_assert_cmpuint(errors, >, 0);

    /* An all-ones body: endless run hits must stop at the row end, not loop or overflow. */
    uint8_t ones[QUIC_HEADER_SIZE + 64];
    memset(ones, 0xFF, sizeof(ones));
    memcpy(ones, s, QUIC_HEADER_SIZE);
    g_assert_cmpint(quic_decode(ones, sizeof(ones), &dst, NULL), !=, CODEC_OK);
    /* An all-zero body: every symbol an escape of its low value; runs out of data. */
    memset(ones + QUIC_HEADER_SIZE, 0, 64);
    g_assert_cmpint(quic_decode(ones, sizeof(ones), &dst, NULL), ==, CODEC_ERR_TRUNCATED);
    g_free(s);
    pixbuf_free(&src);
    pixbuf_free(&dst);
}

static void test_encoder_errors(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 30, 10), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_NOISE, 4);
    size_t size, bound = quic_encode_bound(QUIC_IMAGE_TYPE_RGB32, 30, 10);
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_RGBA, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_GRAY, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_INVALID, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_RGB32, out, bound, &size), ==, CODEC_OK);
    /* Capacities well below the need fail cleanly without writing outside the buffer. */
    for (size_t cap = 0; cap < size / 2; cap += 7) {
        uint8_t *small = g_malloc(cap ? cap : 1);
        g_assert_cmpint(quic_encode(&src, QUIC_IMAGE_TYPE_RGB32, small, cap, &size), ==,
                        CODEC_ERR_NO_SPACE);
        g_free(small);
    }
    g_assert_cmpuint(quic_encode_bound(QUIC_IMAGE_TYPE_INVALID, 1, 1), ==, 0);
    g_assert_cmpuint(quic_encode_bound(QUIC_IMAGE_TYPE_RGB32, 70000, 1), ==, 0);
    g_assert_cmpint(quic_image_type_for_format(PIXBUF_FORMAT_PLT8), ==, QUIC_IMAGE_TYPE_INVALID);
    g_assert_cmpint(quic_image_type_for_format(PIXBUF_FORMAT_ARGB32), ==, QUIC_IMAGE_TYPE_RGBA);
    g_free(out);
    pixbuf_free(&src);
}

/* Smooth and desktop content must at least halve the raw size. */
static void test_ratio(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 640, 480), ==, CODEC_OK);
    size_t raw = (size_t)640 * 480 * 3, size;
    test_image_fill(&src, TEST_IMAGE_GRADIENT, 1);
    uint8_t *s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGB32, &size);
    g_test_message("gradient: %zu bytes (%.2f%% of 24-bit raw)", size, 100.0 * size / raw);
    /* Every channel steps by one: symbol 2 costs 3 bits, about 9 bits per pixel. */
    g_assert_cmpuint(size, <, raw * 2 / 5);
    g_free(s);
    test_image_fill(&src, TEST_IMAGE_TEXT, 1);
    s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGB32, &size);
    g_test_message("text: %zu bytes (%.2f%% of 24-bit raw)", size, 100.0 * size / raw);
    /* High-contrast glyph edges are QUIC's weak spot (the server picks LZ/GLZ for them). */
    g_assert_cmpuint(size, <, raw / 2);
    g_free(s);
    pixbuf_free(&src);
}

static void test_decode_new(void)
{
    Pixbuf src, out;
    QuicHeader hdr;
    size_t size;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_ARGB32, 30, 20), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_GRADIENT, 6);
    uint8_t *s = encode_or_die(&src, QUIC_IMAGE_TYPE_RGBA, &size);
    g_assert_cmpint(quic_decode_new(s, size, PIXBUF_FORMAT_ARGB32, 600, &out, &hdr), ==,
                    CODEC_OK);
    g_assert_cmpint(hdr.type, ==, QUIC_IMAGE_TYPE_RGBA);
    g_assert_true(out.owned);
    g_assert_true(test_pixbuf_same_pixels(&src, &out));
    pixbuf_free(&out);
    g_assert_cmpint(quic_decode_new(s, size, PIXBUF_FORMAT_ARGB32, 599, &out, NULL), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_null(out.data);
    g_assert_cmpint(quic_decode_new(s, size, PIXBUF_FORMAT_XRGB32, 600, &out, NULL), ==,
                    CODEC_ERR_UNSUPPORTED);
    g_assert_null(out.data);
    g_assert_cmpint(quic_decode_new(s, size - 4, PIXBUF_FORMAT_ARGB32, 600, &out, NULL), ==,
                    CODEC_ERR_TRUNCATED);
    g_assert_null(out.data);
    g_free(s);
    pixbuf_free(&src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/quic/round-trip-small", test_round_trip_small);
    g_test_add_func("/quic/round-trip-segments", test_round_trip_segments);
    g_test_add_func("/quic/round-trip-1080p", test_round_trip_1080p);
    g_test_add_func("/quic/rgb24-rgb32-same-body", test_rgb24_rgb32_same_body);
    g_test_add_func("/quic/rgb16-to-32", test_rgb16_to_32);
    g_test_add_func("/quic/known-streams", test_known_streams);
    g_test_add_func("/quic/truncation", test_truncation);
    g_test_add_func("/quic/bad-headers", test_bad_headers);
    g_test_add_func("/quic/corrupt", test_corrupt);
    g_test_add_func("/quic/encoder-errors", test_encoder_errors);
    g_test_add_func("/quic/ratio", test_ratio);
    g_test_add_func("/quic/decode-new", test_decode_new);
    return g_test_run();
}
