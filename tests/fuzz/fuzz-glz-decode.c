/* fuzz-glz-decode: the GLZ and ZLIB_GLZ decoders on hostile streams, with earlier images in the window. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/glz.h"

/* Keeps each run fast: a stream may claim a huge image the decoder itself would accept. */
#define MAX_FUZZ_PIXELS (1u << 20)
#define BASE_IMAGES 3u

/*
 * Images 0..2 of a fresh dictionary (a deterministic 32x16 pattern, RGB32, RGB32, RGBA), so
 * cross-image references in the input land on something. The seeds in corpus/glz/ are images
 * 3..8 of the same dictionary made by our encoder continuing it (zlib-*.glz: BE32 inflated size,
 * then the zlib-wrapped stream, the layout the ZLIB_GLZ branch below reads).
 */
static uint8_t *base_streams[BASE_IMAGES];
static size_t base_sizes[BASE_IMAGES];
static GlzDictionary *base_dict;

static void fill(Pixbuf *pb, uint32_t seed)
{
    for (uint32_t y = 0; y < pb->height; y++) {
        uint32_t *row = (uint32_t *)(void *)pixbuf_row(pb, y);
        for (uint32_t x = 0; x < pb->width; x++) {
            uint32_t v = ((x / 4 + y / 3 + seed) % 5) * 0x30507u;
            row[x] = ((x + seed) % 7 == 0 ? 0x80000000u : 0xFF000000u) | (v & 0xFFFFFF);
        }
    }
}

static void encode_next(GlzDictionary *d, LzImageType type, uint32_t w, uint32_t h,
                        uint32_t seed, uint8_t **out, size_t *size)
{
    Pixbuf pb;
    if (pixbuf_alloc(&pb, PIXBUF_FORMAT_ARGB32, w, h) != CODEC_OK) {
        abort();
    }
    fill(&pb, seed);
    size_t bound = glz_encode_bound(type, w, h);
    *out = malloc(bound);
    if (*out == NULL || glz_encode(d, &pb, type, true, *out, bound, size, NULL) != CODEC_OK) {
        abort();
    }
    pixbuf_free(&pb);
}

static void init_base(void)
{
    if (base_dict != NULL) {
        return;
    }
    base_dict = glz_dictionary_new(MAX_FUZZ_PIXELS);
    if (base_dict == NULL) {
        abort();
    }
    static const LzImageType types[BASE_IMAGES] = {
        LZ_IMAGE_TYPE_RGB32, LZ_IMAGE_TYPE_RGB32, LZ_IMAGE_TYPE_RGBA,
    };
    for (uint32_t i = 0; i < BASE_IMAGES; i++) {
        encode_next(base_dict, types[i], 32, 16, i, &base_streams[i], &base_sizes[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_base();
    GlzWindow *w = glz_window_new(MAX_FUZZ_PIXELS);
    if (w == NULL) {
        abort();
    }
    Pixbuf out;
    for (uint32_t i = 0; i < BASE_IMAGES; i++) {
        if (glz_decode(w, base_streams[i], base_sizes[i], &out, NULL) != CODEC_OK) {
            abort();
        }
        pixbuf_free(&out);
    }
    GlzHeader h;
    if (glz_decode(w, data, size, &out, &h) == CODEC_OK) {
        if (out.width != h.width || out.height != h.height || out.data == NULL) {
            abort();
        }
        pixbuf_free(&out);
    } else if (out.data != NULL) {
        abort();
    }
    /* The same bytes as a ZLIB_GLZ message: BE32 glz_data_size, then the zlib stream. */
    if (size >= 4) {
        uint32_t glz_size = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
                            (uint32_t)data[2] << 8 | data[3];
        if (glz_size <= MAX_FUZZ_PIXELS * 4 &&
            glz_zlib_decode(w, data + 4, size - 4, glz_size, &out, NULL) == CODEC_OK) {
            pixbuf_free(&out);
        }
    }
    glz_window_free(w);
    return 0;
}
