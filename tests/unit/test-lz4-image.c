/* test-lz4-image: round trips, the container's bytes, cross-block references and every error path of codecs/lz4-image-*.c. */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/lz4-image.h"
#include "test-pixbuf-images.h"

/* The pictures of a round trip: every format as test_image_fill makes it (garbage in X: 32-bit
 * pictures whose 4th byte changes from pixel to pixel go through liblz4), and XRGB32 with X 255
 * as guests draw it (our pixel writer). */
static const struct { PixbufFormat format; int fourth_byte; } pictures[] = {
    { PIXBUF_FORMAT_RGB16, -1 }, { PIXBUF_FORMAT_RGB24, -1 }, { PIXBUF_FORMAT_XRGB32, -1 },
    { PIXBUF_FORMAT_XRGB32, 255 }, { PIXBUF_FORMAT_ARGB32, -1 },
};

static void fill_picture(Pixbuf *pb, TestImageKind kind, uint32_t seed, int fourth_byte)
{
    test_image_fill(pb, kind, seed);
    if (fourth_byte >= 0) {
        test_pixbuf_set_fourth_byte(pb, (uint8_t)fourth_byte);
    }
}

/* liblz4's stream size for @pb's packed rows, as upstream's server codes a one-chunk bitmap
 * (plus our 2-byte header and 4-byte block size). */
static size_t liblz4_size(const Pixbuf *pb)
{
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(pb->format, pb->width, &row_bytes), ==, CODEC_OK);
    size_t total = row_bytes * pb->height;
    char *plain = g_malloc(total), *out = g_malloc(LZ4_compressBound((int)total));
    for (uint32_t y = 0; y < pb->height; y++) {
        memcpy(plain + (size_t)y * row_bytes, pixbuf_row(pb, y), row_bytes);
    }
    LZ4_stream_t stream;
    LZ4_initStream(&stream, sizeof(stream));
    int n = LZ4_compress_fast_continue(&stream, plain, out, (int)total,
                                       LZ4_compressBound((int)total), 1);
    g_assert_cmpint(n, >, 0);
    g_free(plain);
    g_free(out);
    return LZ4_IMAGE_HEADER_SIZE + 4 + (size_t)n;
}

/* Encodes @src; the caller frees the result. Asserts success and the bound. */
static uint8_t *encode_or_die(const Pixbuf *src, bool top_down, uint32_t rows_per_block,
                              size_t *size)
{
    size_t bound = lz4_image_encode_bound(src->format, src->width, src->height, rows_per_block);
    g_assert_cmpuint(bound, >, LZ4_IMAGE_HEADER_SIZE + 4);
    uint8_t *out = g_malloc(bound);
    CodecStatus st = lz4_image_encode(src, top_down, rows_per_block, out, bound, size);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpuint(*size, <=, bound);
    return out;
}

/* LZ4 carries every byte (the X of XRGB32 and bit 15 of RGB16 too): rows must be identical. */
static void assert_same_bytes(const Pixbuf *a, const Pixbuf *b)
{
    g_assert_cmpint(a->format == b->format ||
                    (pixbuf_format_bpp(a->format) == 32 && pixbuf_format_bpp(b->format) == 32),
                    ==, 1);
    g_assert_cmpuint(a->width, ==, b->width);
    g_assert_cmpuint(a->height, ==, b->height);
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(a->format, a->width, &row_bytes), ==, CODEC_OK);
    for (uint32_t y = 0; y < a->height; y++) {
        g_assert_cmpmem(pixbuf_row(a, y), row_bytes, pixbuf_row(b, y), row_bytes);
    }
}

/* Counts the blocks of a valid container (asserting its framing adds up to @size). */
static unsigned count_blocks(const uint8_t *s, size_t size)
{
    unsigned n = 0;
    size_t pos = LZ4_IMAGE_HEADER_SIZE;
    while (pos < size) {
        g_assert_cmpuint(size - pos, >=, 4);
        uint32_t len = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 |
                       (uint32_t)s[pos + 2] << 8 | s[pos + 3];
        pos += 4 + (size_t)len;
        n++;
    }
    g_assert_cmpuint(pos, ==, size);
    return n;
}

static void round_trip(PixbufFormat format, int fourth_byte, uint32_t w, uint32_t h,
                       TestImageKind kind, bool top_down, uint32_t rows_per_block)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, format, w, h), ==, CODEC_OK);
    fill_picture(&src, kind, w * 31 + h, fourth_byte);
    size_t size;
    uint8_t *stream = encode_or_die(&src, top_down, rows_per_block, &size);
    g_assert_cmpuint(stream[0], ==, top_down ? 1 : 0);
    g_assert_cmpuint(stream[1], ==, (unsigned)format);
    if (rows_per_block != 0) {
        g_assert_cmpuint(count_blocks(stream, size), ==, (h + rows_per_block - 1) / rows_per_block);
    }

    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, format, w, h), ==, CODEC_OK);
    Lz4ImageHeader hdr;
    CodecStatus st = lz4_image_decode(stream, size, &dst, &hdr);
    if (st != CODEC_OK) {
        g_error("%ux%u fmt %d %s rpb %u: %s", w, h, format, test_image_kind_name(kind),
                rows_per_block, codec_status_to_str(st));
    }
    g_assert_cmpint(hdr.format, ==, format);
    g_assert_cmpint(hdr.top_down, ==, top_down);
    assert_same_bytes(&src, &dst);

    /* Padded source and destination: same stream, same pixels. */
    size_t row_bytes;
    g_assert_cmpint(pixbuf_row_bytes(format, w, &row_bytes), ==, CODEC_OK);
    size_t stride = row_bytes + 13;
    uint8_t *smem = g_malloc0(stride * h), *dmem = g_malloc0(stride * h);
    Pixbuf psrc, pdst;
    g_assert_cmpint(pixbuf_init_view(&psrc, format, w, h, stride, smem, stride * h), ==, CODEC_OK);
    g_assert_cmpint(pixbuf_init_view(&pdst, format, w, h, stride, dmem, stride * h), ==, CODEC_OK);
    for (uint32_t y = 0; y < h; y++) {
        memcpy(pixbuf_row(&psrc, y), pixbuf_row(&src, y), row_bytes);
    }
    size_t size2;
    uint8_t *stream2 = encode_or_die(&psrc, top_down, rows_per_block, &size2);
    g_assert_cmpmem(stream2, size2, stream, size);
    g_assert_cmpint(lz4_image_decode(stream2, size2, &pdst, NULL), ==, CODEC_OK);
    assert_same_bytes(&src, &pdst);

    g_free(stream2);
    g_free(smem);
    g_free(dmem);
    g_free(stream);
    pixbuf_free(&dst);
    pixbuf_free(&src);
}

static void test_round_trip_small(void)
{
    static const uint32_t sizes[][2] = {
        { 1, 1 }, { 2, 1 }, { 1, 2 }, { 3, 3 }, { 5, 7 }, { 17, 13 }, { 33, 1 }, { 1, 33 },
        { 257, 31 }, { 1000, 3 },
    };
    static const uint32_t rpbs[] = { 0, 1, 2, 7 };
    for (size_t f = 0; f < G_N_ELEMENTS(pictures); f++) {
        for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
            for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
                for (size_t r = 0; r < G_N_ELEMENTS(rpbs); r++) {
                    round_trip(pictures[f].format, pictures[f].fourth_byte, sizes[s][0],
                               sizes[s][1], (TestImageKind)k, (k + r) % 2 == 0, rpbs[r]);
                }
            }
        }
    }
}

/* 1920x1080 in every kind; reports ratio and speed (meaningful only without sanitizers). */
static void test_round_trip_1080p(void)
{
    const uint32_t w = 1920, h = 1080;
    for (size_t f = 0; f < G_N_ELEMENTS(pictures); f++) {
        const PixbufFormat format = pictures[f].format;
        for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
            Pixbuf src, dst;
            g_assert_cmpint(pixbuf_alloc(&src, format, w, h), ==, CODEC_OK);
            g_assert_cmpint(pixbuf_alloc(&dst, format, w, h), ==, CODEC_OK);
            fill_picture(&src, (TestImageKind)k, 7, pictures[f].fourth_byte);
            size_t bound = lz4_image_encode_bound(format, w, h, 0), size;
            uint8_t *out = g_malloc(bound);
            /* Best of 3, so page faults of the first touch and a busy machine count less. */
            gint64 enc_us = G_MAXINT64, dec_us = G_MAXINT64;
            for (int run = 0; run < 3; run++) {
                gint64 t0 = g_get_monotonic_time();
                g_assert_cmpint(lz4_image_encode(&src, false, 0, out, bound, &size), ==, CODEC_OK);
                gint64 t1 = g_get_monotonic_time();
                g_assert_cmpint(lz4_image_decode(out, size, &dst, NULL), ==, CODEC_OK);
                gint64 t2 = g_get_monotonic_time();
                enc_us = MIN(enc_us, t1 - t0 + 1);
                dec_us = MIN(dec_us, t2 - t1 + 1);
            }
            assert_same_bytes(&src, &dst);
            if (k == TEST_IMAGE_FLAT || k == TEST_IMAGE_TEXT) {
                /* Screen content must compress well, or the codec is pointless. */
                g_assert_cmpuint(size * 4, <, (size_t)w * h * pixbuf_format_bpp(format) / 8);
            }
            if (k == TEST_IMAGE_TEXT) {
                /* No more bytes than upstream's server sends (liblz4). */
                g_assert_cmpuint(size, <=, liblz4_size(&src));
            }
            double mp = (double)w * h / 1e6;
            g_test_message("lz4 fmt %d%s %-8s %7.3f bpp  enc %7.1f MP/s  dec %7.1f MP/s",
                           format, pictures[f].fourth_byte >= 0 ? " x255" : "",
                           test_image_kind_name((TestImageKind)k),
                           size * 8.0 / ((double)w * h), mp / (enc_us / 1e6), mp / (dec_us / 1e6));
            g_free(out);
            pixbuf_free(&src);
            pixbuf_free(&dst);
        }
    }
}

/*
 * Which LZ4 writer a 32-bit picture gets: whole-pixel matching (ours) needs the 4th byte to
 * repeat with the others; with garbage in X liblz4's byte-granular matching finds more (on this
 * text 7.7 bpp against 6.0 before the choice), so such pictures get liblz4's exact stream.
 */
static void test_fourth_byte_choice(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, 480, 270), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_TEXT, 11);   /* X = x * 7 + y */
    size_t size;
    uint8_t *garbage = encode_or_die(&src, true, 0, &size);
    g_assert_cmpuint(size, ==, liblz4_size(&src));
    g_free(garbage);
    /* X 255 (and ARGB32 with opaque alpha): our writer, under liblz4's bytes. */
    static const PixbufFormat solid[] = { PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_ARGB32 };
    for (size_t f = 0; f < G_N_ELEMENTS(solid); f++) {
        src.format = solid[f];
        test_pixbuf_set_fourth_byte(&src, 255);
        uint8_t *ours = encode_or_die(&src, true, 0, &size);
        g_assert_cmpuint(size, <, liblz4_size(&src));
        Pixbuf dst;
        g_assert_cmpint(pixbuf_alloc(&dst, solid[f], 480, 270), ==, CODEC_OK);
        g_assert_cmpint(lz4_image_decode(ours, size, &dst, NULL), ==, CODEC_OK);
        assert_same_bytes(&src, &dst);
        pixbuf_free(&dst);
        g_free(ours);
    }
    /* A few pixels with their own X (one in 32) still repeat enough for ours. */
    src.format = PIXBUF_FORMAT_XRGB32;
    for (uint32_t y = 0; y < src.height; y++) {
        for (uint32_t x = 0; x < src.width; x += 4 * 8) {
            pixbuf_row(&src, y)[4 * x + 3] = (uint8_t)(x + y);
        }
    }
    uint8_t *mixed = encode_or_die(&src, true, 0, &size);
    g_assert_cmpuint(size, <, liblz4_size(&src));
    g_free(mixed);
    pixbuf_free(&src);
}

/* The exact bytes of a 1-pixel image: header, BE32 length 5, one literal-only LZ4 sequence. */
static void test_known_stream(void)
{
    uint8_t px[4] = { 0x11, 0x22, 0x33, 0x44 };
    Pixbuf src;
    g_assert_cmpint(pixbuf_init_view(&src, PIXBUF_FORMAT_XRGB32, 1, 1, 4, px, 4), ==, CODEC_OK);
    size_t size;
    uint8_t *s = encode_or_die(&src, true, 0, &size);
    static const uint8_t expected[] = { 1, 8, 0, 0, 0, 5, 0x40, 0x11, 0x22, 0x33, 0x44 };
    g_assert_cmpmem(s, size, expected, sizeof(expected));
    g_free(s);

    /* Hand-written two-block RGB24 stream for a 1x2 image, each block a literal run. */
    static const uint8_t two[] = { 0, 7, 0, 0, 0, 4, 0x30, 1, 2, 3, 0, 0, 0, 4, 0x30, 4, 5, 6 };
    Pixbuf out;
    Lz4ImageHeader hdr;
    g_assert_cmpint(lz4_image_decode_new(two, sizeof(two), 1, 2, 2, &out, &hdr), ==, CODEC_OK);
    g_assert_false(hdr.top_down);
    g_assert_cmpint(out.format, ==, PIXBUF_FORMAT_RGB24);
    static const uint8_t pixels[] = { 1, 2, 3, 4, 5, 6 };
    g_assert_cmpmem(out.data, 6, pixels, 6);
    pixbuf_free(&out);
}

/* Block k copies from blocks < k: a repeated row costs almost nothing after the first block,
 * and the same block decoded without its predecessor fails. */
static void test_cross_block_references(void)
{
    const uint32_t w = 64, h = 8;
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, w, h), ==, CODEC_OK);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w * 4; x++) {
            pixbuf_row(&src, y)[x] = (uint8_t)(x * 37 + (x >> 3) * 11);   /* no repeats in a row */
        }
    }
    size_t size;
    uint8_t *s = encode_or_die(&src, true, 1, &size);
    g_assert_cmpuint(count_blocks(s, size), ==, h);
    size_t first_len = (size_t)s[2] << 24 | (size_t)s[3] << 16 | (size_t)s[4] << 8 | s[5];
    g_assert_cmpuint(first_len, >, w * 4 / 2);             /* mostly literals */
    size_t rest = size - LZ4_IMAGE_HEADER_SIZE - 4 - first_len;
    g_assert_cmpuint(rest, <, (h - 1) * 32u);              /* matches into earlier blocks */

    /* Drop the first block: the second now points before the start of the output. */
    size_t cut_size = size - 4 - first_len;
    uint8_t *cut = g_malloc(cut_size);
    memcpy(cut, s, LZ4_IMAGE_HEADER_SIZE);
    memcpy(cut + LZ4_IMAGE_HEADER_SIZE, s + LZ4_IMAGE_HEADER_SIZE + 4 + first_len,
           cut_size - LZ4_IMAGE_HEADER_SIZE);
    Pixbuf dst;
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_XRGB32, w, h - 1), ==, CODEC_OK);
    g_assert_cmpint(lz4_image_decode(cut, cut_size, &dst, NULL), ==, CODEC_ERR_CORRUPT);
    pixbuf_free(&dst);
    g_free(cut);
    g_free(s);
    pixbuf_free(&src);
}

/* Makes a small multi-block stream used by the error tests. */
static uint8_t *small_stream(Pixbuf *src, size_t *size)
{
    g_assert_cmpint(pixbuf_alloc(src, PIXBUF_FORMAT_RGB24, 9, 5), ==, CODEC_OK);
    test_image_fill(src, TEST_IMAGE_TEXT, 3);
    return encode_or_die(src, true, 2, size);
}

static void test_truncation(void)
{
    Pixbuf src, dst;
    size_t size;
    uint8_t *s = small_stream(&src, &size);
    g_assert_cmpuint(count_blocks(s, size), ==, 3);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_RGB24, 9, 5), ==, CODEC_OK);
    for (size_t n = 0; n < size; n++) {
        uint8_t *copy = g_memdup2(s, n == 0 ? 1 : n);   /* exact-size heap copy for ASan */
        CodecStatus st = lz4_image_decode(copy, n, &dst, NULL);
        if (st != CODEC_ERR_TRUNCATED && st != CODEC_ERR_CORRUPT) {
            g_error("truncated at %zu of %zu: %s", n, size, codec_status_to_str(st));
        }
        g_free(copy);
    }
    g_assert_cmpint(lz4_image_decode(s, size, &dst, NULL), ==, CODEC_OK);
    assert_same_bytes(&src, &dst);

    /* One byte more: trailing data. */
    uint8_t *longer = g_malloc(size + 1);
    memcpy(longer, s, size);
    longer[size] = 0;
    g_assert_cmpint(lz4_image_decode(longer, size + 1, &dst, NULL), ==, CODEC_ERR_TRAILING_DATA);
    g_free(longer);
    pixbuf_free(&dst);
    g_free(s);
    pixbuf_free(&src);
}

static void test_bad_headers_and_sizes(void)
{
    Pixbuf src, dst;
    size_t size;
    uint8_t *s = small_stream(&src, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_RGB24, 9, 5), ==, CODEC_OK);
    uint8_t *c = g_memdup2(s, size);

    c[0] = 2;
    g_assert_cmpint(lz4_image_decode(c, size, &dst, NULL), ==, CODEC_ERR_BAD_HEADER);
    c[0] = 1;
    static const uint8_t bad_formats[] = { 0, 1, 5, 10, 11, 255 };
    for (size_t i = 0; i < sizeof(bad_formats); i++) {
        c[1] = bad_formats[i];
        g_assert_cmpint(lz4_image_decode(c, size, &dst, NULL), ==, CODEC_ERR_BAD_HEADER);
    }
    c[1] = 8;   /* valid format, but not the destination's */
    g_assert_cmpint(lz4_image_decode(c, size, &dst, NULL), ==, CODEC_ERR_INVALID_ARGUMENT);
    c[1] = 7;

    /* A block length claiming more than is left, and a zero length. */
    uint8_t saved = c[2];
    c[2] = 0x80;
    g_assert_cmpint(lz4_image_decode(c, size, &dst, NULL), ==, CODEC_ERR_TRUNCATED);
    c[2] = saved;
    memset(c + 2, 0, 4);
    g_assert_cmpint(lz4_image_decode(c, size, &dst, NULL), ==, CODEC_ERR_CORRUPT);
    g_free(c);

    /* The descriptor lies about the size: image too small (a block overflows) or too big. */
    Pixbuf small, big;
    g_assert_cmpint(pixbuf_alloc(&small, PIXBUF_FORMAT_RGB24, 9, 3), ==, CODEC_OK);
    g_assert_cmpint(lz4_image_decode(s, size, &small, NULL), ==, CODEC_ERR_CORRUPT);
    pixbuf_free(&small);
    /* Blocks of 2 rows: 4 rows end on a block boundary, the third block is left over. */
    g_assert_cmpint(pixbuf_alloc(&small, PIXBUF_FORMAT_RGB24, 9, 4), ==, CODEC_OK);
    g_assert_cmpint(lz4_image_decode(s, size, &small, NULL), ==, CODEC_ERR_TRAILING_DATA);
    g_assert_cmpint(pixbuf_alloc(&big, PIXBUF_FORMAT_RGB24, 9, 6), ==, CODEC_OK);
    g_assert_cmpint(lz4_image_decode(s, size, &big, NULL), ==, CODEC_ERR_TRUNCATED);
    pixbuf_free(&small);
    pixbuf_free(&big);

    /* decode_new: the caller's pixel limit and empty geometry. */
    Pixbuf out;
    g_assert_cmpint(lz4_image_decode_new(s, size, 9, 5, 44, &out, NULL), ==, CODEC_ERR_TOO_LARGE);
    g_assert_null(out.data);
    g_assert_cmpint(lz4_image_decode_new(s, size, 0, 5, 100, &out, NULL), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpint(lz4_image_decode_new(s, size, 9, 6, 100, &out, NULL), ==, CODEC_ERR_TRUNCATED);
    g_assert_null(out.data);
    g_assert_cmpint(lz4_image_decode_new(s, size, 9, 5, 45, &out, NULL), ==, CODEC_OK);
    assert_same_bytes(&src, &out);
    pixbuf_free(&out);

    pixbuf_free(&dst);
    g_free(s);
    pixbuf_free(&src);
}

/* Every single-byte change of the block bodies: never a crash, and most are caught. */
static void test_corrupt_bodies(void)
{
    Pixbuf src, dst;
    size_t size;
    uint8_t *s = small_stream(&src, &size);
    g_assert_cmpint(pixbuf_alloc(&dst, PIXBUF_FORMAT_RGB24, 9, 5), ==, CODEC_OK);
    unsigned errors = 0, tries = 0;
    for (size_t i = LZ4_IMAGE_HEADER_SIZE; i < size; i++) {
        static const uint8_t xors[] = { 0x01, 0x10, 0x80, 0xFF };
        for (size_t x = 0; x < sizeof(xors); x++) {
            uint8_t *c = g_memdup2(s, size);
            c[i] ^= xors[x];
            errors += lz4_image_decode(c, size, &dst, NULL) != CODEC_OK;
            tries++;
            g_free(c);
        }
    }
    /* Literal bytes may change freely; lengths and tokens must not. */
    g_assert_cmpuint(errors, >, tries / 8);
    pixbuf_free(&dst);
    g_free(s);
    pixbuf_free(&src);
}

static void test_encoder_errors(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_A8, 4, 4), ==, CODEC_OK);
    uint8_t out[256];
    size_t size;
    g_assert_cmpint(lz4_image_encode(&src, true, 0, out, sizeof(out), &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_assert_cmpuint(lz4_image_encode_bound(PIXBUF_FORMAT_A8, 4, 4, 0), ==, 0);
    g_assert_cmpuint(lz4_image_encode_bound(PIXBUF_FORMAT_PLT8, 4, 4, 0), ==, 0);
    g_assert_cmpuint(lz4_image_encode_bound(PIXBUF_FORMAT_XRGB32, 0, 4, 0), ==, 0);
    g_assert_cmpuint(lz4_image_encode_bound(PIXBUF_FORMAT_XRGB32, 65537, 1, 0), ==, 0);
    pixbuf_free(&src);

    size_t full;
    uint8_t *s = small_stream(&src, &full);
    g_assert_cmpint(lz4_image_encode(&src, true, 2, out, full, &size), ==, CODEC_OK);
    g_assert_cmpuint(size, ==, full);
    for (size_t cap = 0; cap < full; cap++) {
        g_assert_cmpint(lz4_image_encode(&src, true, 2, out, cap, &size), ==, CODEC_ERR_NO_SPACE);
    }
    g_assert_cmpint(lz4_image_encode(NULL, true, 2, out, full, &size), ==,
                    CODEC_ERR_INVALID_ARGUMENT);
    g_free(s);
    pixbuf_free(&src);
}

/* The stream is plain liblz4 streaming blocks: a reference decoder written from liblz4's
 * documentation (one contiguous buffer, LZ4_decompress_safe_usingDict with the whole prefix)
 * gives the same bytes. */
static void test_independent_decoder(void)
{
    Pixbuf src;
    g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_ARGB32, 300, 200), ==, CODEC_OK);
    test_image_fill(&src, TEST_IMAGE_TEXT, 9);
    size_t size;
    uint8_t *s = encode_or_die(&src, true, 17, &size);
    size_t total = 300u * 200u * 4u, done = 0, pos = LZ4_IMAGE_HEADER_SIZE;
    char *plain = g_malloc(total);
    while (pos < size) {
        uint32_t len = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 |
                       (uint32_t)s[pos + 2] << 8 | s[pos + 3];
        pos += 4;
        int n = LZ4_decompress_safe_usingDict((const char *)s + pos, plain + done, (int)len,
                                              (int)(total - done), plain, (int)done);
        g_assert_cmpint(n, >, 0);
        done += (size_t)n;
        pos += len;
    }
    g_assert_cmpuint(done, ==, total);
    g_assert_cmpmem(plain, total, src.data, total);
    g_free(plain);
    g_free(s);
    pixbuf_free(&src);
}

/* Our 32-bit block writer keeps LZ4's end-of-block rules (last 5 bytes literals, last match
 * 12 bytes before the end): each block decodes with an output buffer of exactly its size, as
 * a strict decoder would give it. Too little room is CODEC_ERR_NO_SPACE at every size. */
static void test_pixel_encoder_rules(void)
{
    const uint32_t w = 61, h = 23, rows = 3;
    for (int k = 0; k < TEST_IMAGE_KIND_COUNT; k++) {
        Pixbuf src;
        g_assert_cmpint(pixbuf_alloc(&src, PIXBUF_FORMAT_XRGB32, w, h), ==, CODEC_OK);
        /* X 255: the rules of our pixel writer (garbage in X would go to liblz4). */
        fill_picture(&src, (TestImageKind)k, 5, 255);
        size_t size;
        uint8_t *s = encode_or_die(&src, true, rows, &size);
        size_t total = (size_t)w * h * 4, done = 0, pos = LZ4_IMAGE_HEADER_SIZE;
        char *plain = g_malloc(total);
        while (pos < size) {
            uint32_t len = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 |
                           (uint32_t)s[pos + 2] << 8 | s[pos + 3];
            pos += 4;
            size_t exact = MIN((size_t)rows * w * 4, total - done);
            int n = LZ4_decompress_safe_usingDict((const char *)s + pos, plain + done, (int)len,
                                                  (int)exact, plain, (int)done);
            g_assert_cmpint(n, ==, (int)exact);
            done += exact;
            pos += len;
        }
        g_assert_cmpmem(plain, total, src.data, total);
        uint8_t *out = g_malloc(size);
        for (size_t cap = 0; cap < size; cap += 1 + cap / 16) {
            size_t got;
            g_assert_cmpint(lz4_image_encode(&src, true, rows, out, cap, &got), ==,
                            CODEC_ERR_NO_SPACE);
        }
        g_free(out);
        g_free(plain);
        g_free(s);
        pixbuf_free(&src);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lz4-image/round-trip-small", test_round_trip_small);
    g_test_add_func("/lz4-image/round-trip-1080p", test_round_trip_1080p);
    g_test_add_func("/lz4-image/known-stream", test_known_stream);
    g_test_add_func("/lz4-image/cross-block-references", test_cross_block_references);
    g_test_add_func("/lz4-image/truncation", test_truncation);
    g_test_add_func("/lz4-image/bad-headers-and-sizes", test_bad_headers_and_sizes);
    g_test_add_func("/lz4-image/corrupt-bodies", test_corrupt_bodies);
    g_test_add_func("/lz4-image/encoder-errors", test_encoder_errors);
    g_test_add_func("/lz4-image/independent-decoder", test_independent_decoder);
    g_test_add_func("/lz4-image/pixel-encoder-rules", test_pixel_encoder_rules);
    g_test_add_func("/lz4-image/fourth-byte-choice", test_fourth_byte_choice);
    return g_test_run();
}
