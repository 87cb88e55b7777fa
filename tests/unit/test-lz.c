/* test-lz: round trips, known streams and every error path of the LZ codec (codecs/lz-*.c). */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/lz.h"
#include "test-pixbuf-images.h"

typedef struct {
    LzImageType type;
    PixbufFormat format;
} TypeCase;

static const TypeCase type_cases[] = {
    { LZ_IMAGE_TYPE_PLT1_LE, PIXBUF_FORMAT_PLT1_LE },
    { LZ_IMAGE_TYPE_PLT1_BE, PIXBUF_FORMAT_PLT1_BE },
    { LZ_IMAGE_TYPE_PLT4_LE, PIXBUF_FORMAT_PLT4_LE },
    { LZ_IMAGE_TYPE_PLT4_BE, PIXBUF_FORMAT_PLT4_BE },
    { LZ_IMAGE_TYPE_PLT8, PIXBUF_FORMAT_PLT8 },
    { LZ_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16 },
    { LZ_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24 },
    { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32 },
    { LZ_IMAGE_TYPE_A8, PIXBUF_FORMAT_A8 },
};

/* Encodes @src; the caller frees the result. Asserts success and the bound. */
static uint8_t *encode_or_die(const Pixbuf *src, LzImageType type, bool top_down, size_t *size)
{
    size_t bound = lz_encode_bound(type, src->width, src->height);
    g_assert_cmpuint(bound, >, LZ_HEADER_SIZE);
    uint8_t *out = g_malloc(bound);
    CodecStatus st = lz_encode(src, type, top_down, out, bound, size);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpuint(*size, <=, bound);
    return out;
}

/* Round trip of one image through a packed and a padded source and destination. */
static void round_trip_full(const TypeCase *tc, uint32_t w, uint32_t h, TestImageKind kind,
                            bool padded_too)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, tc->format, w, h), ==, CODEC_OK);
    test_image_fill(&src, kind, w * 31 + h);

    size_t size;
    uint8_t *stream = encode_or_die(&src, tc->type, true, &size);

    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, tc->format, w, h), ==, CODEC_OK);
    LzHeader hdr;
    CodecStatus st = lz_decode(stream, size, NULL, &dst, &hdr);
    if (st != CODEC_OK) {
        g_error("%ux%u type %d %s: %s", w, h, tc->type, test_image_kind_name(kind),
                codec_status_to_str(st));
    }
    g_assert_cmpint(hdr.type, ==, tc->type);
    g_assert_cmpuint(hdr.width, ==, w);
    g_assert_cmpuint(hdr.height, ==, h);
    g_assert_true(hdr.top_down);
    g_assert_true(test_pixbuf_same_pixels(&src, &dst));
    if (!padded_too) {
        g_free(stream);
        pixbuf_free(&dst);
        pixbuf_free(&src);
        return;
    }

    /* Padded rows on both sides: same stream, same pixels. */
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(tc->format, w, &row_bytes), ==, CODEC_OK);
    size_t stride = row_bytes + 13;
    uint8_t *padded_src_mem = g_malloc0(stride * h);
    uint8_t *padded_dst_mem = g_malloc0(stride * h);
    Pixbuf psrc, pdst;
    g_assert_cmpint(pixbuf_init_view(&psrc, tc->format, w, h, stride, padded_src_mem, stride * h),
                    ==, CODEC_OK);
    g_assert_cmpint(pixbuf_init_view(&pdst, tc->format, w, h, stride, padded_dst_mem, stride * h),
                    ==, CODEC_OK);
    test_image_fill(&psrc, kind, w * 31 + h);
    size_t size2;
    uint8_t *stream2 = encode_or_die(&psrc, tc->type, true, &size2);
    g_assert_cmpuint(size2, ==, size);
    g_assert_cmpmem(stream2, size2, stream, size);
    g_assert_cmpint(lz_decode(stream2, size2, NULL, &pdst, NULL), ==, CODEC_OK);
    g_assert_true(test_pixbuf_same_pixels(&src, &pdst));

    g_free(stream2);
    g_free(padded_src_mem);
    g_free(padded_dst_mem);
    g_free(stream);
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
        { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 3 }, { 4, 1 }, { 5, 7 }, { 7, 5 }, { 9, 9 },
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

/* Long-distance matches (far offsets, > 8191 units) and the 73K-unit window. */
static void test_round_trip_wide(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        round_trip(&type_cases[t], 9000, 4, TEST_IMAGE_TEXT);
        round_trip(&type_cases[t], 20000, 5, TEST_IMAGE_NOISE);
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

/* Desktop content must compress well, noise must stay within the bound. */
static void test_ratio(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 1920, 1080), ==, CODEC_OK);
    size_t raw = (size_t)1920 * 1080 * 4, size;
    test_image_fill(&src, TEST_IMAGE_TEXT, 1);
    uint8_t *s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB32, true, &size);
    g_test_message("text 1080p: %zu bytes (%.2f%% of raw)", size, 100.0 * size / raw);
    g_assert_cmpuint(size, <, raw / 10);
    g_free(s);
    test_image_fill(&src, TEST_IMAGE_FLAT, 1);
    s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB32, true, &size);
    g_assert_cmpuint(size, <, 40000);
    g_free(s);
    pixbuf_free(&src);
}

/* Header bytes exactly as upstream writes them (codecs.md appendix A, 16x4 images). */
static void test_header_bytes(void)
{
    static const uint8_t rgb32[] = { 0x20, 0x20, 0x5a, 0x4c, 0x00, 0x01, 0x00, 0x01,
                                     0, 0, 0, 8, 0, 0, 0, 0x10, 0, 0, 0, 4, 0, 0, 0, 0x40,
                                     0, 0, 0, 1 };
    static const uint8_t plt1_be[] = { 0x20, 0x20, 0x5a, 0x4c, 0x00, 0x01, 0x00, 0x01,
                                       0, 0, 0, 2, 0, 0, 0, 0x10, 0, 0, 0, 4, 0, 0, 0, 2,
                                       0, 0, 0, 0 };
    Pixbuf src;
    size_t size;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 16, 4), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_GRADIENT, 0);
    uint8_t *s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB32, true, &size);
    g_assert_cmpmem(s, LZ_HEADER_SIZE, rgb32, sizeof(rgb32));
    /* The first unit is always a literal run. */
    g_assert_cmpuint(s[LZ_HEADER_SIZE], <, 32);
    g_free(s);
    pixbuf_free(&src);

    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_PLT1_BE, 16, 4), ==, CODEC_OK);
    s = encode_or_die(&src, LZ_IMAGE_TYPE_PLT1_BE, false, &size);
    g_assert_cmpmem(s, LZ_HEADER_SIZE, plt1_be, sizeof(plt1_be));
    Pixbuf dst;
    LzHeader hdr;
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_PLT1_BE, 16, 4), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(s, size, NULL, &dst, &hdr), ==, CODEC_OK);
    g_assert_false(hdr.top_down);
    g_assert_cmpuint(hdr.stride, ==, 2);
    g_free(s);
    pixbuf_free(&dst);
    pixbuf_free(&src);
}

/* Appends a 28-byte header. */
static void put_header(GByteArray *a, uint32_t type, uint32_t w, uint32_t h, uint32_t stride,
                       uint32_t top_down)
{
    uint32_t fields[7] = { 0x20205A4Cu, 0x00010001u, type, w, h, stride, top_down };
    for (int i = 0; i < 7; i++) {
        uint8_t be[4] = { fields[i] >> 24, fields[i] >> 16, fields[i] >> 8, fields[i] };
        g_byte_array_append(a, be, 4);
    }
}

static void put_bytes(GByteArray *a, const uint8_t *b, size_t n)
{
    g_byte_array_append(a, b, (guint)n);
}

/* Hand-built streams decode to what the format description says. */
static void test_known_streams(void)
{
    Pixbuf dst;
    GByteArray *a = g_byte_array_new();

    /* RGB32 2x2: one literal pixel (B,G,R = 1,2,3), then a run of 3 at distance 1. */
    put_header(a, LZ_IMAGE_TYPE_RGB32, 2, 2, 8, 1);
    static const uint8_t rgb_body[] = { 0x00, 1, 2, 3, 3 << 5, 0x00 };
    put_bytes(a, rgb_body, sizeof(rgb_body));
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 2, 2), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(a->data, a->len, NULL, &dst, NULL), ==, CODEC_OK);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpuint(dst.data[4 * i], ==, 1);
        g_assert_cmpuint(dst.data[4 * i + 1], ==, 2);
        g_assert_cmpuint(dst.data[4 * i + 2], ==, 3);
        g_assert_cmpuint(dst.data[4 * i + 3], ==, 0);
    }
    pixbuf_free(&dst);

    /* RGB16 3x1: literal 0x7C00 (red, big-endian), then a match of 2 (field 1) at distance 1. */
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGB16, 3, 1, 6, 1);
    static const uint8_t rgb16_body[] = { 0x00, 0x7C, 0x00, 1 << 5, 0x00 };
    put_bytes(a, rgb16_body, sizeof(rgb16_body));
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 3, 1), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(a->data, a->len, NULL, &dst, NULL), ==, CODEC_OK);
    for (int i = 0; i < 3; i++) {
        uint32_t px;
        memcpy(&px, dst.data + 4 * i, 4);
        g_assert_cmphex(px, ==, 0x00FF0000);
    }
    pixbuf_free(&dst);

    /* PLT8 8200+8 bytes: 8200 literal bytes, then a far match of 8 (field 6) at distance 8192
     * (offset 8191 = far flag, far value 0), then an extended-length match of
     * 2 + 7 + 255 + 3 = 267 at distance 1. */
    g_byte_array_set_size(a, 0);
    uint32_t w = 8200 + 8 + 267;
    put_header(a, LZ_IMAGE_TYPE_PLT8, w, 1, w, 1);
    uint8_t lit[33];
    for (uint32_t done = 0; done < 8200;) {
        uint32_t n = 8200 - done < 32 ? 8200 - done : 32;
        lit[0] = (uint8_t)(n - 1);
        for (uint32_t i = 0; i < n; i++) {
            lit[1 + i] = (uint8_t)((done + i) * 7);
        }
        put_bytes(a, lit, n + 1);
        done += n;
    }
    static const uint8_t far_match[] = { 6 << 5 | 31, 255, 0, 0 };
    static const uint8_t long_run[] = { 7 << 5, 255, 3, 0 };
    put_bytes(a, far_match, sizeof(far_match));
    put_bytes(a, long_run, sizeof(long_run));
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_PLT8, w, 1), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(a->data, a->len, NULL, &dst, NULL), ==, CODEC_OK);
    for (uint32_t i = 0; i < 8; i++) {
        g_assert_cmpuint(dst.data[8200 + i], ==, dst.data[8200 + i - 8192]);
    }
    for (uint32_t i = 8208; i < w; i++) {
        g_assert_cmpuint(dst.data[i], ==, dst.data[8207]);
    }
    pixbuf_free(&dst);

    /* The same PLT8 stream through a palette. */
    uint32_t ents[256];
    for (int i = 0; i < 256; i++) {
        ents[i] = 0xFF000000u | (uint32_t)i * 0x010101u;
    }
    LzPalette pal = { ents, 256 };
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, w, 1), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(a->data, a->len, &pal, &dst, NULL), ==, CODEC_OK);
    uint32_t px;
    memcpy(&px, dst.data + 4 * 3, 4);
    g_assert_cmphex(px, ==, (uint32_t)(uint8_t)(3 * 7) * 0x010101u);
    pixbuf_free(&dst);
    g_byte_array_free(a, TRUE);
}

/* Palette expansion of every PLT type agrees with a direct reading of the indices. */
static void test_palette_expansion(void)
{
    uint32_t ents[256];
    for (int i = 0; i < 256; i++) {
        ents[i] = (uint32_t)i * 0x00030507u;
    }
    LzPalette pal = { ents, 256 };
    for (size_t t = 0; t < 5; t++) {
        const TypeCase *tc = &type_cases[t];
        Pixbuf src, rgb;
        g_assert_cmpint(pixbuf_alloc(&src, tc->format, 13, 5), ==, CODEC_OK);
        test_image_fill(&src, TEST_IMAGE_NOISE, 5);
        size_t size;
        uint8_t *s = encode_or_die(&src, tc->type, true, &size);
        g_assert_cmpint(pixbuf_alloc(&rgb, PIXBUF_FORMAT_XRGB32, 13, 5), ==, CODEC_OK);
        g_assert_cmpint(lz_decode(s, size, &pal, &rgb, NULL), ==, CODEC_OK);
        for (uint32_t y = 0; y < 5; y++) {
            for (uint32_t x = 0; x < 13; x++) {
                const uint8_t *row = pixbuf_row(&src, y);
                uint32_t idx;
                switch (tc->format) {
                case PIXBUF_FORMAT_PLT1_LE: idx = row[x / 8] >> (x % 8) & 1; break;
                case PIXBUF_FORMAT_PLT1_BE: idx = row[x / 8] >> (7 - x % 8) & 1; break;
                case PIXBUF_FORMAT_PLT4_LE: idx = row[x / 2] >> (x % 2 ? 4 : 0) & 15; break;
                case PIXBUF_FORMAT_PLT4_BE: idx = row[x / 2] >> (x % 2 ? 0 : 4) & 15; break;
                default: idx = row[x]; break;
                }
                uint32_t px;
                memcpy(&px, pixbuf_row(&rgb, y) + 4 * x, 4);
                g_assert_cmphex(px, ==, ents[idx] & 0x00FFFFFF);
            }
        }
        /* A palette too small for the indices used is refused, as is none at all. */
        LzPalette small = { ents, 1 };
        g_assert_cmpint(lz_decode(s, size, &small, &rgb, NULL), ==, CODEC_ERR_BAD_PALETTE);
        g_assert_cmpint(lz_decode(s, size, NULL, &rgb, NULL), ==, CODEC_ERR_BAD_PALETTE);
        g_free(s);
        pixbuf_free(&rgb);
        pixbuf_free(&src);
    }
}

/* RGB16/RGB24 to 32-bit, RGB32 into ARGB32, and XXXA touching nothing but alpha. */
static void test_conversions(void)
{
    Pixbuf src, dst;
    size_t size;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_RGB16, 9, 3), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_NOISE, 9);
    uint8_t *s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB16, true, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 9, 3), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(s, size, NULL, &dst, NULL), ==, CODEC_OK);
    for (uint32_t i = 0; i < 27; i++) {
        uint16_t v;
        memcpy(&v, src.data + 2 * i, 2);
        uint32_t r = v >> 10 & 31, g = v >> 5 & 31, b = v & 31;
        g_assert_cmpuint(dst.data[4 * i + 2], ==, r << 3 | r >> 2);
        g_assert_cmpuint(dst.data[4 * i + 1], ==, g << 3 | g >> 2);
        g_assert_cmpuint(dst.data[4 * i], ==, b << 3 | b >> 2);
    }
    /* RGB16 cannot become RGB24. */
    Pixbuf rgb24;
    g_assert_cmpint(pixbuf_alloc(&rgb24, PIXBUF_FORMAT_RGB24, 9, 3), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(s, size, NULL, &rgb24, NULL), ==, CODEC_ERR_UNSUPPORTED);
    g_free(s);
    pixbuf_free(&src);
    pixbuf_free(&dst);

    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_RGB24, 9, 3), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_NOISE, 10);
    s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB24, true, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, 9, 3), ==, CODEC_OK);
    g_assert_cmpint(lz_decode(s, size, NULL, &dst, NULL), ==, CODEC_OK);
    for (uint32_t i = 0; i < 27; i++) {
        g_assert_cmpmem(dst.data + 4 * i, 3, src.data + 3 * i, 3);
        g_assert_cmpuint(dst.data[4 * i + 3], ==, 0);
    }
    g_free(s);
    pixbuf_free(&src);
    pixbuf_free(&dst);
    pixbuf_free(&rgb24);

    /* XXXA: colours of the destination survive, alpha comes from the stream. */
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_ARGB32, 11, 4), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_GRADIENT, 11);
    s = encode_or_die(&src, LZ_IMAGE_TYPE_XXXA, true, &size);
    for (int padded = 0; padded < 2; padded++) {
        size_t stride = 44 + (padded ? 8 : 0);
        uint8_t *mem = g_malloc(stride * 4);
        memset(mem, 0x5A, stride * 4);
        g_assert_cmpint(pixbuf_init_view(&dst, PIXBUF_FORMAT_ARGB32, 11, 4, stride, mem,
                                         stride * 4), ==, CODEC_OK);
        g_assert_cmpint(lz_decode(s, size, NULL, &dst, NULL), ==, CODEC_OK);
        for (uint32_t y = 0; y < 4; y++) {
            for (uint32_t x = 0; x < 11; x++) {
                const uint8_t *d = pixbuf_row(&dst, y) + 4 * x;
                g_assert_cmpuint(d[0], ==, 0x5A);
                g_assert_cmpuint(d[2], ==, 0x5A);
                g_assert_cmpuint(d[3], ==, pixbuf_row(&src, y)[4 * x + 3]);
            }
        }
        g_free(mem);
    }
    g_free(s);
    pixbuf_free(&src);
}

/* Every prefix of a valid stream is an error, never OK and never a crash. */
static void check_all_truncations(const uint8_t *s, size_t size, PixbufFormat f, uint32_t w,
                                  uint32_t h, const LzPalette *pal)
{
    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, f, w, h), ==, CODEC_OK);
    for (size_t cut = 0; cut < size; cut++) {
        /* Copy to an exact-size heap block so ASan sees any read past the end. */
        uint8_t *copy = g_memdup2(s, cut ? cut : 1);
        CodecStatus st = lz_decode(cut ? copy : NULL, cut, pal, &dst, NULL);
        g_assert_cmpint(st, !=, CODEC_OK);
        g_free(copy);
    }
    uint8_t *longer = g_malloc(size + 1);
    memcpy(longer, s, size);
    longer[size] = 0;
    g_assert_cmpint(lz_decode(longer, size + 1, pal, &dst, NULL), ==, CODEC_ERR_TRAILING_DATA);
    g_free(longer);
    pixbuf_free(&dst);
}

static void test_truncation(void)
{
    uint32_t ents[256] = { 0 };
    LzPalette pal = { ents, 256 };
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        const TypeCase *tc = &type_cases[t];
        for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            Pixbuf src;
            g_assert_cmpint(pixbuf_alloc(&src, tc->format, 23, 7), ==, CODEC_OK);
            test_image_fill(&src, (TestImageKind)k, 3);
            size_t size;
            uint8_t *s = encode_or_die(&src, tc->type, true, &size);
            check_all_truncations(s, size, tc->format, 23, 7, NULL);
            if (t < 5) {
                check_all_truncations(s, size, PIXBUF_FORMAT_XRGB32, 23, 7, &pal);
            }
            g_free(s);
            pixbuf_free(&src);
        }
    }
}

/* Decodes @a into a fresh buffer of @f, @w x @h, and returns the status. */
static CodecStatus decode_bytes(GByteArray *a, PixbufFormat f, uint32_t w, uint32_t h)
{
    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, f, w, h), ==, CODEC_OK);
    CodecStatus st = lz_decode(a->data, a->len, NULL, &dst, NULL);
    pixbuf_free(&dst);
    return st;
}

static void test_bad_headers(void)
{
    GByteArray *a = g_byte_array_new();
    LzHeader hdr;
    static const uint8_t one_literal[] = { 0x00, 1, 2, 3 };

#define EXPECT_HEADER(type, w, h, stride, td, status)                                  \
    do {                                                                               \
        g_byte_array_set_size(a, 0);                                                   \
        put_header(a, type, w, h, stride, td);                                         \
        g_assert_cmpint(lz_read_header(a->data, a->len, &hdr), ==, status);            \
    } while (0)

    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 1, 1, 4, 1, CODEC_OK);
    EXPECT_HEADER(0, 1, 1, 4, 1, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(12, 1, 1, 4, 1, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 0, 1, 0, 1, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 1, 0, 4, 1, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 1, 1, 8, 1, CODEC_ERR_BAD_HEADER);    /* lying stride */
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 1, 1, 3, 1, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(LZ_IMAGE_TYPE_PLT1_LE, 9, 1, 1, 1, CODEC_ERR_BAD_HEADER);  /* needs 2 */
    EXPECT_HEADER(LZ_IMAGE_TYPE_PLT1_LE, 9, 1, 2, 1, CODEC_OK);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 1, 1, 4, 2, CODEC_ERR_BAD_HEADER);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 70000, 1, 280000, 1, CODEC_ERR_TOO_LARGE);
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFCu, 1,
                  CODEC_ERR_TOO_LARGE);                                     /* w*h overflow */
    EXPECT_HEADER(LZ_IMAGE_TYPE_RGB32, 65536, 65536, 262144, 1, CODEC_ERR_TOO_LARGE);
#undef EXPECT_HEADER

    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGB32, 1, 1, 4, 1);
    a->data[3] ^= 1;
    g_assert_cmpint(lz_read_header(a->data, a->len, &hdr), ==, CODEC_ERR_BAD_MAGIC);
    a->data[3] ^= 1;
    a->data[7] = 2;
    g_assert_cmpint(lz_read_header(a->data, a->len, &hdr), ==, CODEC_ERR_BAD_MAGIC);

    /* Destination disagreeing with the header. */
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGB32, 1, 1, 4, 1);
    put_bytes(a, one_literal, sizeof(one_literal));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_XRGB32, 1, 1), ==, CODEC_OK);
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_XRGB32, 2, 1), ==, CODEC_ERR_BAD_HEADER);
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_A8, 1, 1), ==, CODEC_ERR_UNSUPPORTED);
    g_byte_array_free(a, TRUE);
}

static void test_corrupt_bodies(void)
{
    GByteArray *a = g_byte_array_new();

    /* Match reaching before the start: 1 literal, then distance 5. */
    static const uint8_t before_start[] = { 0x00, 1, 2, 3, 1 << 5, 4 };
    put_header(a, LZ_IMAGE_TYPE_RGB32, 4, 1, 16, 1);
    put_bytes(a, before_start, sizeof(before_start));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_XRGB32, 4, 1), ==, CODEC_ERR_CORRUPT);

    /* Match running past the end: 1 literal, then 5 more into a 2-pixel image. */
    static const uint8_t past_end[] = { 0x00, 1, 2, 3, 5 << 5, 0 };
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGB32, 2, 1, 8, 1);
    put_bytes(a, past_end, sizeof(past_end));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_XRGB32, 2, 1), ==, CODEC_ERR_CORRUPT);

    /* Literal run longer than the image. */
    static const uint8_t long_literal[] = { 31, 1, 2, 3, 4, 5, 6 };
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGB32, 2, 1, 8, 1);
    put_bytes(a, long_literal, sizeof(long_literal));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_XRGB32, 2, 1), ==, CODEC_ERR_CORRUPT);

    /* Far match before the start, and a huge extended length. */
    static const uint8_t far_before[] = { 0x02, 1, 2, 3, 7 << 5 | 31, 255, 0, 0 };
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_PLT8, 64, 1, 64, 1);
    put_bytes(a, far_before, sizeof(far_before));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_PLT8, 64, 1), ==, CODEC_ERR_CORRUPT);
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_PLT8, 64, 1, 64, 1);
    static const uint8_t head[] = { 0x02, 1, 2, 3, 7 << 5 };
    put_bytes(a, head, sizeof(head));
    for (int i = 0; i < 1000; i++) {
        static const uint8_t ff = 255;
        put_bytes(a, &ff, 1);
    }
    static const uint8_t tail[] = { 0, 0 };
    put_bytes(a, tail, sizeof(tail));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_PLT8, 64, 1), ==, CODEC_ERR_CORRUPT);

    /* An all-255 run of length bytes that never ends is a truncation. */
    a->len -= 2;
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_PLT8, 64, 1), ==, CODEC_ERR_TRUNCATED);

    /* RGBA: the alpha pass is required. */
    static const uint8_t rgb_only[] = { 0x00, 1, 2, 3 };
    g_byte_array_set_size(a, 0);
    put_header(a, LZ_IMAGE_TYPE_RGBA, 1, 1, 4, 1);
    put_bytes(a, rgb_only, sizeof(rgb_only));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_ARGB32, 1, 1), ==, CODEC_ERR_TRUNCATED);
    static const uint8_t alpha[] = { 0x00, 0x80 };
    put_bytes(a, alpha, sizeof(alpha));
    g_assert_cmpint(decode_bytes(a, PIXBUF_FORMAT_ARGB32, 1, 1), ==, CODEC_OK);
    g_byte_array_free(a, TRUE);
}

static void test_encoder_errors(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 40, 20), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_TEXT, 4);
    size_t size, bound = lz_encode_bound(LZ_IMAGE_TYPE_RGB32, 40, 20);
    uint8_t *out = g_malloc(bound);
    g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_RGBA, true, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_PLT8, true, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_INVALID, true, out, bound, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_RGB32, true, out, bound, &size), ==, CODEC_OK);
    size_t full = size;
    /* Every capacity below what is needed fails cleanly (ASan checks we stay inside). */
    for (size_t cap = 0; cap < full; cap++) {
        uint8_t *small = g_malloc(cap ? cap : 1);
        g_assert_cmpint(lz_encode(&src, LZ_IMAGE_TYPE_RGB32, true, small, cap, &size), ==,
                        CODEC_ERR_NO_SPACE);
        g_assert_cmpuint(size, ==, 0);
        g_free(small);
    }
    g_assert_cmpuint(lz_encode_bound(LZ_IMAGE_TYPE_INVALID, 1, 1), ==, 0);
    g_assert_cmpuint(lz_encode_bound(LZ_IMAGE_TYPE_RGB32, 70000, 1), ==, 0);
    g_assert_cmpint(lz_image_type_for_format(PIXBUF_FORMAT_XRGB32), ==, LZ_IMAGE_TYPE_RGB32);
    g_assert_cmpint(lz_image_type_for_format(PIXBUF_FORMAT_INVALID), ==, LZ_IMAGE_TYPE_INVALID);
    g_free(out);
    pixbuf_free(&src);
}

static void test_decode_new(void)
{
    Pixbuf src, out;
    LzHeader hdr;
    size_t size;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 30, 20), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_TEXT, 6);
    uint8_t *s = encode_or_die(&src, LZ_IMAGE_TYPE_RGB32, true, &size);
    g_assert_cmpint(lz_decode_new(s, size, NULL, PIXBUF_FORMAT_XRGB32, 600, &out, &hdr), ==,
                    CODEC_OK);
    g_assert_true(out.owned);
    g_assert_true(test_pixbuf_same_pixels(&src, &out));
    pixbuf_free(&out);
    /* The caller's size policy, a wrong format and a truncated stream leave nothing behind. */
    g_assert_cmpint(lz_decode_new(s, size, NULL, PIXBUF_FORMAT_XRGB32, 599, &out, &hdr), ==,
                    CODEC_ERR_TOO_LARGE);
    g_assert_null(out.data);
    g_assert_cmpint(lz_decode_new(s, size, NULL, PIXBUF_FORMAT_A8, 600, &out, NULL), ==,
                    CODEC_ERR_UNSUPPORTED);
    g_assert_null(out.data);
    g_assert_cmpint(lz_decode_new(s, size - 1, NULL, PIXBUF_FORMAT_XRGB32, 600, &out, NULL), ==,
                    CODEC_ERR_TRUNCATED);
    g_assert_null(out.data);
    g_free(s);
    pixbuf_free(&src);

    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_ARGB32, 3, 3), ==, CODEC_OK);
    s = encode_or_die(&src, LZ_IMAGE_TYPE_XXXA, true, &size);
    g_assert_cmpint(lz_decode_new(s, size, NULL, PIXBUF_FORMAT_ARGB32, 600, &out, NULL), ==,
                    CODEC_ERR_UNSUPPORTED);
    g_free(s);
    pixbuf_free(&src);
}

/*
 * A second, deliberately naive reading of the body format, written from the format notes
 * (codecs.md section 3) rather than from our decoder: it checks that what the encoder emits is
 * what the notes describe, independently of lz-decode.c. Units are returned as u32: B|G<<8|R<<16
 * for RGB, the u16 for RGB16, the byte for PLT/A8/alpha. Returns the number of body bytes read.
 */
static size_t spec_decode_pass(const uint8_t *in, size_t in_size, uint32_t *units, size_t n,
                               int literal_bytes, int bias)
{
    size_t ip = 0, op = 0;
    while (op < n) {
        g_assert_cmpuint(ip, <, in_size);
        uint32_t c = in[ip++];
        if (c < 32) {
            for (uint32_t k = 0; k <= c; k++) {
                uint32_t v = 0;
                g_assert_cmpuint(ip + (size_t)literal_bytes, <=, in_size);
                if (literal_bytes == 3) {
                    v = in[ip] | in[ip + 1] << 8 | in[ip + 2] << 16;   /* B, G, R */
                } else if (literal_bytes == 2) {
                    v = (uint32_t)in[ip] << 8 | in[ip + 1];           /* big-endian u16 */
                } else {
                    v = in[ip];
                }
                ip += (size_t)literal_bytes;
                g_assert_cmpuint(op, <, n);
                units[op++] = v;
            }
            continue;
        }
        size_t len = c >> 5, offset = (c & 31) << 8;
        if (len == 7) {
            uint8_t more;
            do {
                g_assert_cmpuint(ip, <, in_size);
                more = in[ip++];
                len += more;
            } while (more == 255);
        }
        g_assert_cmpuint(ip, <, in_size);
        uint8_t low = in[ip++];
        offset += low;
        if (low == 255 && (c & 31) == 31) {
            g_assert_cmpuint(ip + 2, <=, in_size);
            offset = 8191 + ((size_t)in[ip] << 8 | in[ip + 1]);
            ip += 2;
        }
        len += (size_t)bias;
        size_t distance = offset + 1;
        g_assert_cmpuint(distance, <=, op);
        g_assert_cmpuint(op + len, <=, n);
        for (size_t k = 0; k < len; k++, op++) {
            units[op] = units[op - distance];
        }
    }
    return ip;
}

static void check_against_spec(const TypeCase *tc, uint32_t w, uint32_t h, TestImageKind kind)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, tc->format, w, h), ==, CODEC_OK);
    test_image_fill(&src, kind, 77);
    size_t size;
    uint8_t *s = encode_or_die(&src, tc->type, true, &size);
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(tc->format, w, &row_bytes), ==, CODEC_OK);
    bool rgb = tc->type == LZ_IMAGE_TYPE_RGB24 || tc->type == LZ_IMAGE_TYPE_RGB32 ||
               tc->type == LZ_IMAGE_TYPE_RGBA;
    /* RGB units are pixels; PLT and A8 units are the bytes of the coded rows. */
    size_t per_row = rgb || tc->type == LZ_IMAGE_TYPE_RGB16 ? w : row_bytes;
    size_t n = per_row * h;
    uint32_t *units = g_new0(uint32_t, n);
    uint32_t *alpha = g_new0(uint32_t, n);
    const uint8_t *body = s + LZ_HEADER_SIZE;
    size_t body_size = size - LZ_HEADER_SIZE;
    size_t used;
    if (rgb) {
        used = spec_decode_pass(body, body_size, units, n, 3, 0);
        if (tc->type == LZ_IMAGE_TYPE_RGBA) {
            used += spec_decode_pass(body + used, body_size - used, alpha, n, 1, 2);
        }
    } else if (tc->type == LZ_IMAGE_TYPE_RGB16) {
        used = spec_decode_pass(body, body_size, units, n, 2, 1);
    } else {
        used = spec_decode_pass(body, body_size, units, n, 1, 2);
    }
    g_assert_cmpuint(used, ==, body_size);   /* no trailing bytes, as upstream requires */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *row = pixbuf_row(&src, (uint32_t)(i / per_row));
        size_t x = i % per_row;
        uint32_t expect;
        if (tc->type == LZ_IMAGE_TYPE_RGB24) {
            expect = row[3 * x] | row[3 * x + 1] << 8 | row[3 * x + 2] << 16;
        } else if (rgb) {
            expect = row[4 * x] | row[4 * x + 1] << 8 | row[4 * x + 2] << 16;
            if (tc->type == LZ_IMAGE_TYPE_RGBA) {
                g_assert_cmpuint(alpha[i], ==, row[4 * x + 3]);
            }
        } else if (tc->type == LZ_IMAGE_TYPE_RGB16) {
            expect = (uint32_t)row[2 * x] | (uint32_t)row[2 * x + 1] << 8;
        } else {
            expect = row[x];
        }
        g_assert_cmphex(units[i], ==, expect);
    }
    g_free(units);
    g_free(alpha);
    g_free(s);
    pixbuf_free(&src);
}

/* Our streams, read by the format notes instead of by our decoder. */
static void test_spec_reading(void)
{
    for (size_t t = 0; t < G_N_ELEMENTS(type_cases); t++) {
        for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            check_against_spec(&type_cases[t], 37, 11, (TestImageKind)k);
        }
        check_against_spec(&type_cases[t], 9000, 3, TEST_IMAGE_TEXT);    /* far matches */
        check_against_spec(&type_cases[t], 640, 120, TEST_IMAGE_TEXT);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lz/round-trip-small", test_round_trip_small);
    g_test_add_func("/lz/round-trip-wide", test_round_trip_wide);
    g_test_add_func("/lz/round-trip-1080p", test_round_trip_1080p);
    g_test_add_func("/lz/ratio", test_ratio);
    g_test_add_func("/lz/header-bytes", test_header_bytes);
    g_test_add_func("/lz/known-streams", test_known_streams);
    g_test_add_func("/lz/palette-expansion", test_palette_expansion);
    g_test_add_func("/lz/conversions", test_conversions);
    g_test_add_func("/lz/truncation", test_truncation);
    g_test_add_func("/lz/bad-headers", test_bad_headers);
    g_test_add_func("/lz/corrupt-bodies", test_corrupt_bodies);
    g_test_add_func("/lz/encoder-errors", test_encoder_errors);
    g_test_add_func("/lz/decode-new", test_decode_new);
    g_test_add_func("/lz/spec-reading", test_spec_reading);
    return g_test_run();
}
