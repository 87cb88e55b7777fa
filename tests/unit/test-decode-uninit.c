/* test-decode-uninit: the LZ and QUIC decoders write every byte of frames they allocate unzeroed. */
/*
 * lz_decode_new and quic_decode_new allocate their output with pixbuf_alloc_uninit. That is
 * only safe if a successful decode writes every byte (no row padding exists: the frames are
 * packed) and if a failed one hands out nothing. Two proofs, for every stream type and every
 * output format each decoder accepts:
 *  - decoding into caller memory pre-filled with 0x00, 0xA5 and 0x5A gives the same bytes in
 *    all three buffers (also into padded rows, which route LZ through its scratch units);
 *  - the allocator itself is poisoned (glibc M_PERTURB, or ASan's malloc fill below), so
 *    *_decode_new's frame starts as 0xA5 garbage and must still equal the zero-filled decode.
 * Truncated and damaged streams must leave the *_decode_new output empty, and a damaged stream
 * that still decodes must decode the same whatever the memory held before.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <glib.h>

#include "codecs/lz.h"
#include "codecs/quic.h"
#include "test-pixbuf-images.h"

#define POISON 0xA5u

/* Under AddressSanitizer, every malloc'd byte starts as POISON (its default fills only the
 * first 4 KiB); ASAN_OPTIONS from the environment still add to this. Unused without ASan. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "malloc_fill_byte=165:max_malloc_fill_size=268435456";
}

/* True if a fresh allocation of frame size comes back filled with POISON. */
static bool allocator_poisons(void)
{
    size_t size = 64 * 1024;
    volatile uint8_t *p = malloc(size);
    g_assert_nonnull(p);
    bool all = true;
    for (size_t i = 0; i < size; i += 97) {
        all = all && p[i] == POISON;
    }
    all = all && p[size - 1] == POISON;
    free((void *)p);
    return all;
}

typedef struct DecodeCase {
    unsigned stream_type;        /* LzImageType or QuicImageType */
    PixbufFormat src_format;     /* what the encoder takes for that type */
    PixbufFormat dst_format;     /* what the decoder writes */
} DecodeCase;

static const DecodeCase lz_cases[] = {
    { LZ_IMAGE_TYPE_PLT1_LE, PIXBUF_FORMAT_PLT1_LE, PIXBUF_FORMAT_PLT1_LE },
    { LZ_IMAGE_TYPE_PLT1_LE, PIXBUF_FORMAT_PLT1_LE, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_PLT1_BE, PIXBUF_FORMAT_PLT1_BE, PIXBUF_FORMAT_PLT1_BE },
    { LZ_IMAGE_TYPE_PLT1_BE, PIXBUF_FORMAT_PLT1_BE, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_PLT4_LE, PIXBUF_FORMAT_PLT4_LE, PIXBUF_FORMAT_PLT4_LE },
    { LZ_IMAGE_TYPE_PLT4_LE, PIXBUF_FORMAT_PLT4_LE, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_PLT4_BE, PIXBUF_FORMAT_PLT4_BE, PIXBUF_FORMAT_PLT4_BE },
    { LZ_IMAGE_TYPE_PLT4_BE, PIXBUF_FORMAT_PLT4_BE, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_PLT8, PIXBUF_FORMAT_PLT8, PIXBUF_FORMAT_PLT8 },
    { LZ_IMAGE_TYPE_PLT8, PIXBUF_FORMAT_PLT8, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, PIXBUF_FORMAT_RGB16 },
    { LZ_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, PIXBUF_FORMAT_RGB24 },
    { LZ_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_XRGB32 },
    { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_ARGB32 },
    { LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, PIXBUF_FORMAT_ARGB32 },
    { LZ_IMAGE_TYPE_A8, PIXBUF_FORMAT_A8, PIXBUF_FORMAT_A8 },
};

static const DecodeCase quic_cases[] = {
    { QUIC_IMAGE_TYPE_GRAY, PIXBUF_FORMAT_A8, PIXBUF_FORMAT_A8 },
    { QUIC_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, PIXBUF_FORMAT_RGB16 },
    { QUIC_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, PIXBUF_FORMAT_XRGB32 },
    { QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, PIXBUF_FORMAT_XRGB32 },
    { QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, PIXBUF_FORMAT_ARGB32 },
    { QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, PIXBUF_FORMAT_RGB24 },
    { QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_XRGB32 },
    { QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_ARGB32 },
    { QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, PIXBUF_FORMAT_RGB24 },
    { QUIC_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, PIXBUF_FORMAT_ARGB32 },
};

/* Sizes: odd widths (PLT rows end in padding bits, RGB24 rows are not word multiples), and one
 * large enough for the decoders' fast loops and their exact tails. */
static const uint32_t sizes[][2] = { { 13, 7 }, { 1, 3 }, { 131, 29 } };

/* Entries for every index a PLT8 image may use; the 4th byte is set to show it is dropped. */
static uint32_t palette_ents[256];
static const LzPalette palette = { palette_ents, 256 };

typedef struct Codec {
    bool quic;
} Codec;

static CodecStatus decode_into(Codec c, const uint8_t *s, size_t n, Pixbuf *dst)
{
    return c.quic ? quic_decode(s, n, dst, NULL) : lz_decode(s, n, &palette, dst, NULL);
}

static CodecStatus decode_new(Codec c, const uint8_t *s, size_t n, PixbufFormat format,
                              Pixbuf *out)
{
    return c.quic ? quic_decode_new(s, n, format, UINT64_MAX, out, NULL)
                  : lz_decode_new(s, n, &palette, format, UINT64_MAX, out, NULL);
}

static uint8_t *encode(Codec c, const DecodeCase *dc, const Pixbuf *src, size_t *size)
{
    size_t bound = c.quic ? quic_encode_bound((QuicImageType)dc->stream_type, src->width,
                                              src->height)
                          : lz_encode_bound((LzImageType)dc->stream_type, src->width,
                                            src->height);
    g_assert_cmpuint(bound, >, 0);
    uint8_t *out = g_malloc(bound);
    CodecStatus st = c.quic ? quic_encode(src, (QuicImageType)dc->stream_type, out, bound, size)
                            : lz_encode(src, (LzImageType)dc->stream_type, true, out, bound, size);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
    return out;
}

/*
 * Decodes @s into views of @dst_format over memory pre-filled with 0x00, POISON and 0x5A, with
 * packed rows (every byte compared) and with 5 bytes of padding per row (pixels compared; the
 * padding of caller memory is the caller's). Returns the status, the same for all; on success
 * *@out_zero holds the packed zero-filled decode (g_free).
 */
static CodecStatus decode_prefilled(Codec c, const uint8_t *s, size_t n, const DecodeCase *dc,
                                    uint32_t w, uint32_t h, uint8_t **out_zero, size_t *out_len)
{
    static const uint8_t fills[] = { 0x00, POISON, 0x5A };
    size_t row;
    g_assert_cmpint(pixbuf_row_bytes(dc->dst_format, w, &row), ==, CODEC_OK);
    CodecStatus first = CODEC_OK;
    uint8_t *zero = NULL;
    for (unsigned padded = 0; padded < 2; padded++) {
        size_t stride = row + (padded ? 5 : 0);
        size_t len = stride * h;
        uint8_t *ref = NULL;
        for (unsigned f = 0; f < G_N_ELEMENTS(fills); f++) {
            uint8_t *mem = g_malloc(len);
            memset(mem, fills[f], len);
            Pixbuf view;
            g_assert_cmpint(pixbuf_init_view(&view, dc->dst_format, w, h, stride, mem, len), ==,
                            CODEC_OK);
            CodecStatus st = decode_into(c, s, n, &view);
            if (padded == 0 && f == 0) {
                first = st;
            }
            g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(first));
            if (st != CODEC_OK) {
                g_free(mem);
                continue;
            }
            if (ref == NULL) {
                ref = mem;
                continue;
            }
            for (uint32_t y = 0; y < h; y++) {
                if (memcmp(ref + y * stride, mem + y * stride, row) != 0) {
                    g_error("%s decode of type %u to format %d, %ux%u, row %u (stride %zu): "
                            "bytes depend on what the memory held before (fill 0x%02X)",
                            c.quic ? "QUIC" : "LZ", dc->stream_type, dc->dst_format, w, h, y,
                            stride, fills[f]);
                }
            }
            g_free(mem);
        }
        if (padded == 0) {
            zero = ref;
            *out_len = len;
        } else {
            g_free(ref);
        }
    }
    *out_zero = zero;
    return first;
}

/* The frame *_decode_new allocated for @s (unzeroed; POISON-filled when the allocator poisons)
 * equals @zero, or, when the stream fails, comes back empty with the same status. */
static void check_decode_new(Codec c, const uint8_t *s, size_t n, const DecodeCase *dc,
                             CodecStatus expected, const uint8_t *zero, size_t zero_len)
{
    Pixbuf out;
    memset(&out, 0x5A, sizeof(out));
    CodecStatus st = decode_new(c, s, n, dc->dst_format, &out);
    g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(expected));
    if (st != CODEC_OK) {
        g_assert_null(out.data);
        g_assert_cmpuint(out.width, ==, 0);
        g_assert_cmpuint(out.height, ==, 0);
        g_assert_false(out.owned);
        return;
    }
    g_assert_cmpuint(out.stride * out.height, ==, zero_len);
    g_assert_true(pixbuf_is_packed(&out));
    if (memcmp(out.data, zero, zero_len) != 0) {
        g_error("%s_decode_new of type %u to format %d: the frame differs from a zero-filled "
                "decode (unwritten bytes)", c.quic ? "quic" : "lz", dc->stream_type,
                dc->dst_format);
    }
    pixbuf_free(&out);
}

static void run_cases(Codec c, const DecodeCase *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const DecodeCase *dc = &cases[i];
        for (size_t z = 0; z < G_N_ELEMENTS(sizes); z++) {
            uint32_t w = sizes[z][0], h = sizes[z][1];
            for (int kind = 0; kind < TEST_IMAGE_KIND_COUNT; kind++) {
                Pixbuf src;
                g_assert_cmpint(pixbuf_alloc(&src, dc->src_format, w, h), ==, CODEC_OK);
                test_image_fill(&src, (TestImageKind)kind, w * 7 + h + (uint32_t)i);
                size_t size;
                uint8_t *stream = encode(c, dc, &src, &size);
                pixbuf_free(&src);

                uint8_t *zero;
                size_t zero_len;
                CodecStatus st = decode_prefilled(c, stream, size, dc, w, h, &zero, &zero_len);
                g_assert_cmpstr(codec_status_to_str(st), ==, codec_status_to_str(CODEC_OK));
                check_decode_new(c, stream, size, dc, CODEC_OK, zero, zero_len);
                g_free(zero);

                /* Every cut of the small images, a spread of cuts of the large one: each must
                 * fail (QUIC reads whole words, so a cut inside the last word may not) and hand
                 * out nothing. */
                size_t step = size > 512 ? size / 97 + 1 : 1;
                for (size_t cut = 0; cut < size; cut += step) {
                    uint8_t *copy = g_memdup2(stream, cut);
                    st = decode_prefilled(c, copy, cut, dc, w, h, &zero, &zero_len);
                    if (!c.quic || cut < size - size % 4 - 3) {
                        g_assert_cmpint(st, !=, CODEC_OK);
                    }
                    check_decode_new(c, copy, cut, dc, st, zero, zero_len);
                    g_free(zero);
                    g_free(copy);
                }

                /* Damaged bodies: whatever the status, the same in every memory, and a frame
                 * only when the decode succeeded. */
                size_t header = c.quic ? QUIC_HEADER_SIZE : LZ_HEADER_SIZE;
                for (size_t k = 0; k < 24 && size > header; k++) {
                    uint8_t *copy = g_memdup2(stream, size);
                    size_t at = header + (k * 2654435761u) % (size - header);
                    copy[at] ^= (uint8_t)(1u << (k % 8)) | (k & 8 ? 0x80 : 0);
                    st = decode_prefilled(c, copy, size, dc, w, h, &zero, &zero_len);
                    check_decode_new(c, copy, size, dc, st, zero, zero_len);
                    g_free(zero);
                    g_free(copy);
                }
                g_free(stream);
            }
        }
    }
}

static void test_lz(void)
{
    run_cases((Codec){ false }, lz_cases, G_N_ELEMENTS(lz_cases));
}

static void test_quic(void)
{
    run_cases((Codec){ true }, quic_cases, G_N_ELEMENTS(quic_cases));
}

/* Without a poisoning allocator the *_decode_new checks above prove less; say so, and fail on
 * the platforms this suite runs on (glibc, with or without ASan), where it must work. */
static void test_allocator_poisons(void)
{
#if defined(__GLIBC__)
    g_assert_true(allocator_poisons());
#else
    if (!allocator_poisons()) {
        g_test_skip("this allocator does not poison fresh memory");
    }
#endif
}

int main(int argc, char **argv)
{
#if defined(__GLIBC__)
    /* glibc fills each allocation with M_PERTURB's value ^ 0xFF (ASan ignores this and uses
     * __asan_default_options above). */
    mallopt(M_PERTURB, POISON ^ 0xFF);
#endif
    for (unsigned i = 0; i < 256; i++) {
        palette_ents[i] = 0xFF000000u | (i * 0x010307u);
    }
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/decode-uninit/allocator-poisons", test_allocator_poisons);
    g_test_add_func("/decode-uninit/lz", test_lz);
    g_test_add_func("/decode-uninit/quic", test_quic);
    return g_test_run();
}
