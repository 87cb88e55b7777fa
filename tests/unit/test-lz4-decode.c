/* test-lz4-decode: our LZ4 block decoder (codecs/lz4-image-decode.c) against liblz4 on generated streams, and on hostile ones. */
/*
 * The decoder has a fast loop (wide copies inside safety margins, AVX2/SSSE3 or SSE2) and an
 * exact loop for the tail of each block. Generated streams exercise both with every offset
 * 1..70 and more, literal runs and matches of every length class (under 15, one and two
 * length bytes, longer), several blocks referring back to earlier ones, and images small
 * enough that only the exact loop runs. Each stream is checked by liblz4 first (so the
 * generator writes real LZ4), then decoded by ours into fresh pictures and into buffers
 * pre-filled with two different bytes: equal results prove every byte was written. Run again
 * with SPICE_CODECS_CPU=baseline (the -baseline test) for the portable path.
 */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/lz4-image.h"

/* A generated container and the plaintext it must decode to. */
typedef struct Stream {
    uint8_t *data;
    size_t size;
    uint8_t *plain;
    size_t total;
    uint32_t width, height;   /* XRGB32: total == width * height * 4 */
} Stream;

typedef struct Writer {
    uint8_t *buf;
    size_t size, cap;
} Writer;

static void put(Writer *w, uint8_t b)
{
    if (w->size == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->buf = g_realloc(w->buf, w->cap);
    }
    w->buf[w->size++] = b;
}

static void put_length(Writer *w, size_t rest)
{
    while (rest >= 255) {
        put(w, 255);
        rest -= 255;
    }
    put(w, (uint8_t)rest);
}

/* A literal-run or match length with every length class represented. */
static size_t pick_length(GRand *rng, bool literal)
{
    switch (g_rand_int_range(rng, 0, 8)) {
    case 0: return literal ? 0 : 4;
    case 1:
    case 2: return (size_t)g_rand_int_range(rng, literal ? 0 : 4, 20);
    case 3: return (size_t)g_rand_int_range(rng, 14, 40);
    case 4: return (size_t)g_rand_int_range(rng, 40, 300);
    case 5: return (size_t)g_rand_int_range(rng, 250, 560);   /* around 270 and 525 */
    case 6: return (size_t)g_rand_int_range(rng, 500, 1200);
    default: return (size_t)g_rand_int_range(rng, 1200, 5000);
    }
}

static size_t pick_offset(GRand *rng, size_t history)
{
    size_t max = history < 65535 ? history : 65535;
    size_t offset;
    switch (g_rand_int_range(rng, 0, 6)) {
    case 0: offset = (size_t)g_rand_int_range(rng, 1, 17); break;
    case 1: offset = 4; break;
    case 2: offset = (size_t)g_rand_int_range(rng, 16, 71); break;
    case 3: offset = 4u * (size_t)g_rand_int_range(rng, 1, 400); break;
    case 4: offset = max; break;
    default: offset = (size_t)g_rand_int_range(rng, 1, 65536); break;
    }
    return offset < 1 ? 1 : offset > max ? max : offset;
}

/*
 * Appends one LZ4 block producing plain[done..end) (written here too) following the block
 * rules liblz4 enforces: the last 5 bytes are literals and no match starts within 12 bytes
 * of the end.
 */
static void generate_block(GRand *rng, Writer *w, uint8_t *plain, size_t done, size_t end)
{
    size_t pos = done;
    for (;;) {
        size_t lit = pick_length(rng, true);
        size_t len = pick_length(rng, false);
        if (pos + lit == 0) {
            lit = 1;   /* a match needs something before it */
        }
        bool last = end - pos < 12 + 5 || lit > end - pos - 12 ||
                    g_rand_int_range(rng, 0, 400) == 0;
        if (last) {
            lit = end - pos;
        } else if (len > end - (pos + lit) - 5) {
            len = end - (pos + lit) - 5;
            last = len < 4;
            lit = last ? end - pos : lit;
        }
        put(w, (uint8_t)((lit < 15 ? lit : 15) << 4 | (last ? 0 : (len - 4 < 15 ? len - 4 : 15))));
        if (lit >= 15) {
            put_length(w, lit - 15);
        }
        for (size_t i = 0; i < lit; i++) {
            /* Mostly random bytes, sometimes a repeating pattern matches can copy. */
            uint8_t b = (uint8_t)(g_rand_int(rng) & 0xFF);
            plain[pos + i] = b;
            put(w, b);
        }
        pos += lit;
        if (last) {
            return;
        }
        size_t offset = pick_offset(rng, pos);
        put(w, (uint8_t)offset);
        put(w, (uint8_t)(offset >> 8));
        if (len - 4 >= 15) {
            put_length(w, len - 4 - 15);
        }
        for (size_t i = 0; i < len; i++) {
            plain[pos + i] = plain[pos + i - offset];
        }
        pos += len;
    }
}

static void put_be32_at(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A @width x @height XRGB32 container of @blocks blocks (the last takes the rest). */
static Stream generate(GRand *rng, uint32_t width, uint32_t height, unsigned blocks)
{
    Stream s = { .width = width, .height = height, .total = (size_t)width * height * 4 };
    s.plain = g_malloc(s.total);
    Writer w = { 0 };
    put(&w, 1);
    put(&w, 8);   /* SPICE_BITMAP_FMT_32BIT */
    size_t done = 0;
    for (unsigned b = 0; b < blocks && done < s.total; b++) {
        size_t end = b + 1 == blocks ? s.total : done + (s.total - done) / (blocks - b);
        if (end == done) {
            continue;
        }
        size_t len_at = w.size;
        for (int i = 0; i < 4; i++) {
            put(&w, 0);
        }
        generate_block(rng, &w, s.plain, done, end);
        put_be32_at(w.buf + len_at, (uint32_t)(w.size - len_at - 4));
        done = end;
    }
    s.data = w.buf;
    s.size = w.size;
    return s;
}

static void stream_free(Stream *s)
{
    g_free(s->data);
    g_free(s->plain);
}

/* liblz4 agrees with the generator: each block, given the plaintext before it as history,
 * decodes to exactly its part. */
static void assert_liblz4_agrees(const Stream *s)
{
    char *out = g_malloc(s->total);
    size_t pos = LZ4_IMAGE_HEADER_SIZE, done = 0;
    while (pos < s->size) {
        uint32_t len = (uint32_t)s->data[pos] << 24 | (uint32_t)s->data[pos + 1] << 16 |
                       (uint32_t)s->data[pos + 2] << 8 | s->data[pos + 3];
        pos += 4;
        int n = LZ4_decompress_safe_usingDict((const char *)s->data + pos, out + done, (int)len,
                                              (int)(s->total - done), out, (int)done);
        g_assert_cmpint(n, >, 0);
        done += (size_t)n;
        pos += len;
    }
    g_assert_cmpuint(done, ==, s->total);
    g_assert_cmpmem(out, s->total, s->plain, s->total);
    g_free(out);
}

/* Ours decodes @s to its plaintext: into a fresh picture, and into packed and padded buffers
 * pre-filled with 0x00 and with 0xFF (every byte of the picture must have been written). */
static void assert_decodes(const Stream *s)
{
    Pixbuf out;
    Lz4ImageHeader hdr;
    CodecStatus st = lz4_image_decode_new(s->data, s->size, s->width, s->height, UINT64_MAX,
                                          &out, &hdr);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    g_assert_cmpmem(out.data, s->total, s->plain, s->total);
    pixbuf_free(&out);
    size_t row = (size_t)s->width * 4;
    for (int padded = 0; padded < 2; padded++) {
        size_t stride = row + (padded ? 12 : 0);
        for (int fill = 0; fill < 2; fill++) {
            uint8_t *mem = g_malloc(stride * s->height);
            memset(mem, fill ? 0xFF : 0x00, stride * s->height);
            Pixbuf dst;
            g_assert_cmpint(pixbuf_init_view(&dst, PIXBUF_FORMAT_XRGB32, s->width, s->height,
                                             stride, mem, stride * s->height), ==, CODEC_OK);
            g_assert_cmpint(lz4_image_decode(s->data, s->size, &dst, NULL), ==, CODEC_OK);
            for (uint32_t y = 0; y < s->height; y++) {
                g_assert_cmpmem(pixbuf_row(&dst, y), row, s->plain + y * row, row);
            }
            g_free(mem);
        }
    }
}

/* Random streams of every shape, big enough for the fast loop and small enough for only the
 * exact one, in one block or several. */
static void test_generated_streams(void)
{
    GRand *rng = g_rand_new_with_seed(20261122);
    static const uint32_t sizes[][2] = { { 1, 1 }, { 3, 2 }, { 7, 5 }, { 16, 16 }, { 61, 23 },
                                         { 300, 200 }, { 1024, 97 }, { 1920, 64 } };
    for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
        for (unsigned round = 0; round < 6; round++) {
            Stream s = generate(rng, sizes[k][0], sizes[k][1], 1 + round % 3 * 3);
            assert_liblz4_agrees(&s);
            assert_decodes(&s);
            stream_free(&s);
        }
    }
    g_rand_free(rng);
}

/* Every offset 1..70 over every match length 4..200 after short and long literal runs: the
 * fast loop's chunked copies (with the period shuffle, reading matches inside the literals
 * from the input, and long matches of short periods from their own first bytes) against the
 * exact byte-by-byte semantics. */
static void test_every_offset_and_length(void)
{
    GRand *rng = g_rand_new_with_seed(7);
    for (size_t offset = 1; offset <= 70; offset++) {
        for (size_t lit_kind = 0; lit_kind < 3; lit_kind++) {
            const uint32_t width = 64, height = 400;
            Stream s = { .width = width, .height = height, .total = (size_t)width * height * 4 };
            s.plain = g_malloc(s.total);
            Writer w = { 0 };
            put(&w, 1);
            put(&w, 8);
            for (int i = 0; i < 4; i++) {
                put(&w, 0);
            }
            size_t pos = 0, len = 4;
            while (s.total - pos > 2000) {
                size_t lit = pos == 0 ? 80 : lit_kind == 0 ? 0 : lit_kind == 1 ? 7 : 300;
                put(&w, (uint8_t)((lit < 15 ? lit : 15) << 4 | (len - 4 < 15 ? len - 4 : 15)));
                if (lit >= 15) {
                    put_length(&w, lit - 15);
                }
                for (size_t i = 0; i < lit; i++) {
                    s.plain[pos + i] = (uint8_t)g_rand_int(rng);
                    put(&w, s.plain[pos + i]);
                }
                pos += lit;
                put(&w, (uint8_t)offset);
                put(&w, 0);
                if (len - 4 >= 15) {
                    put_length(&w, len - 4 - 15);
                }
                for (size_t i = 0; i < len; i++) {
                    s.plain[pos + i] = s.plain[pos + i - offset];
                }
                pos += len;
                len = len == 200 ? 4 : len + 1;
            }
            size_t lit = s.total - pos;
            put(&w, 15 << 4);
            put_length(&w, lit - 15);
            for (size_t i = 0; i < lit; i++) {
                s.plain[pos + i] = (uint8_t)i;
                put(&w, (uint8_t)i);
            }
            put_be32_at(w.buf + 2, (uint32_t)(w.size - 6));
            s.data = w.buf;
            s.size = w.size;
            assert_liblz4_agrees(&s);
            assert_decodes(&s);
            stream_free(&s);
        }
    }
    g_rand_free(rng);
}

/*
 * A valid stream with one bad sequence spliced in after @prefix_sequences good ones (so the
 * fast loop meets it when the prefix is long, the exact loop when the image is small):
 * every kind of bad sequence fails with CODEC_ERR_CORRUPT and nothing outside the buffers is
 * touched (ASan).
 */
typedef enum BadKind {
    BAD_OFFSET_ZERO,
    BAD_OFFSET_BEFORE_START,
    BAD_MATCH_PAST_IMAGE,
    BAD_LITERALS_PAST_INPUT,
    BAD_LITERALS_PAST_IMAGE,
    BAD_ENDLESS_LENGTH,
    BAD_ENDS_AFTER_MATCH,
    BAD_KIND_COUNT,
} BadKind;

static Stream bad_stream(BadKind kind, uint32_t width, uint32_t height, size_t prefix_sequences)
{
    Stream s = { .width = width, .height = height, .total = (size_t)width * height * 4 };
    s.plain = g_malloc0(s.total);
    Writer w = { 0 };
    put(&w, 1);
    put(&w, 8);
    for (int i = 0; i < 4; i++) {
        put(&w, 0);
    }
    size_t pos = 0;
    for (size_t i = 0; i < prefix_sequences && pos + 200 < s.total; i++) {
        put(&w, 0x4F);   /* 4 literals, a match of 19 + 0 */
        for (int k = 0; k < 4; k++) {
            put(&w, (uint8_t)(i + k));
        }
        put(&w, 4);
        put(&w, 0);
        put(&w, 0);
        pos += 23;
    }
    switch (kind) {
    case BAD_OFFSET_ZERO:
        put(&w, 0x10);
        put(&w, 1);
        put(&w, 0);
        put(&w, 0);
        break;
    case BAD_OFFSET_BEFORE_START: {
        size_t offset = pos + 2;   /* one byte further back than the output's start */
        put(&w, 0x10);
        put(&w, 1);
        put(&w, (uint8_t)offset);
        put(&w, (uint8_t)(offset >> 8));
        break;
    }
    case BAD_MATCH_PAST_IMAGE:
        put(&w, 0x1F);
        put(&w, 1);
        put(&w, 1);
        put(&w, 0);
        put_length(&w, s.total);   /* longer than the image */
        break;
    case BAD_LITERALS_PAST_INPUT:
        put(&w, 0xF0);
        put_length(&w, 100);   /* 115 literals promised, 20 given */
        for (int k = 0; k < 20; k++) {
            put(&w, 0);
        }
        break;
    case BAD_LITERALS_PAST_IMAGE:
        put(&w, 0xF0);
        put_length(&w, s.total - 15);   /* the whole image again */
        for (size_t k = 0; k < s.total; k++) {
            put(&w, 0);
        }
        break;
    case BAD_ENDLESS_LENGTH:
        put(&w, 0xF0);
        for (int k = 0; k < 600; k++) {
            put(&w, 255);
        }
        break;
    case BAD_ENDS_AFTER_MATCH:
        put(&w, 0x10);
        put(&w, 1);
        put(&w, 1);
        put(&w, 0);
        break;
    default:
        g_assert_not_reached();
    }
    if (kind != BAD_ENDS_AFTER_MATCH) {
        /* Input left after the bad sequence, so that the fast loop is the one meeting it. */
        put(&w, 0xF0);
        put(&w, 45);
        for (int k = 0; k < 60; k++) {
            put(&w, 0);
        }
    }
    put_be32_at(w.buf + 2, (uint32_t)(w.size - 6));
    s.data = w.buf;
    s.size = w.size;
    return s;
}

static void test_hostile_sequences(void)
{
    static const uint32_t sizes[][2] = { { 2, 2 }, { 40, 3 }, { 256, 64 } };
    for (int kind = 0; kind < BAD_KIND_COUNT; kind++) {
        for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
            for (size_t prefix = 0; prefix < 800; prefix = prefix * 3 + 1) {
                Stream s = bad_stream((BadKind)kind, sizes[k][0], sizes[k][1], prefix);
                /* Exact-size heap copy, so that ASan sees any read past the input. */
                uint8_t *copy = g_memdup2(s.data, s.size);
                Pixbuf out;
                CodecStatus st = lz4_image_decode_new(copy, s.size, s.width, s.height,
                                                      UINT64_MAX, &out, NULL);
                if (st != CODEC_ERR_CORRUPT) {
                    g_error("bad kind %d, %ux%u, prefix %zu: %s", kind, sizes[k][0],
                            sizes[k][1], prefix, codec_status_to_str(st));
                }
                g_assert_null(out.data);
                g_free(copy);
                stream_free(&s);
            }
        }
    }
}

/* Random damage to generated streams: never a crash or an out-of-bounds access, and what
 * decodes must also decode the same with the other code path's margins (a padded buffer). */
static void test_damaged_streams(void)
{
    GRand *rng = g_rand_new_with_seed(99);
    for (unsigned round = 0; round < 40; round++) {
        Stream s = generate(rng, 128, 40, 1 + round % 2);
        for (unsigned hit = 0; hit < 50; hit++) {
            /* Sometimes cut short too; the copy is exactly as long as what is passed, so
             * that ASan sees any read past it. */
            size_t size = s.size;
            if (g_rand_int_range(rng, 0, 4) == 0) {
                size = (size_t)g_rand_int_range(rng, 1, (gint32)s.size);
            }
            uint8_t *copy = g_memdup2(s.data, size);
            size_t at = (size_t)g_rand_int_range(rng, LZ4_IMAGE_HEADER_SIZE + 4, (gint32)s.size);
            if (at < size) {
                copy[at] ^= (uint8_t)g_rand_int_range(rng, 1, 256);
            }
            Pixbuf out;
            if (lz4_image_decode_new(copy, size, s.width, s.height, UINT64_MAX, &out, NULL) ==
                CODEC_OK) {
                size_t row = (size_t)s.width * 4, stride = row + 4;
                uint8_t *mem = g_malloc0(stride * s.height);
                Pixbuf padded;
                g_assert_cmpint(pixbuf_init_view(&padded, PIXBUF_FORMAT_XRGB32, s.width, s.height,
                                                 stride, mem, stride * s.height), ==, CODEC_OK);
                g_assert_cmpint(lz4_image_decode(copy, size, &padded, NULL), ==, CODEC_OK);
                for (uint32_t y = 0; y < s.height; y++) {
                    g_assert_cmpmem(pixbuf_row(&padded, y), row, out.data + y * row, row);
                }
                g_free(mem);
                pixbuf_free(&out);
            }
            g_free(copy);
        }
        stream_free(&s);
    }
    g_rand_free(rng);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/lz4-decode/generated-streams", test_generated_streams);
    g_test_add_func("/lz4-decode/every-offset-and-length", test_every_offset_and_length);
    g_test_add_func("/lz4-decode/hostile-sequences", test_hostile_sequences);
    g_test_add_func("/lz4-decode/damaged-streams", test_damaged_streams);
    return g_test_run();
}
