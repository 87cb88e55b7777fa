/* fuzz-lz-decode: the LZ header parser and decoder on hostile streams, into every accepted output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz.h"

/* Keeps each run fast: a stream may claim 65536x16384, the decoder itself would accept it. */
#define MAX_FUZZ_PIXELS (1u << 20)

static const uint32_t palette_ents[16] = {
    0x000000, 0xFFFFFF, 0xFF0000, 0x00FF00, 0x0000FF, 0x808080, 0x123456, 0x654321,
    0x111111, 0x222222, 0x333333, 0x444444, 0x555555, 0x666666, 0x777777, 0x888888,
};

/* The format a stream decodes to without conversion. */
static PixbufFormat native_format(LzImageType type)
{
    switch (type) {
    case LZ_IMAGE_TYPE_PLT1_LE: return PIXBUF_FORMAT_PLT1_LE;
    case LZ_IMAGE_TYPE_PLT1_BE: return PIXBUF_FORMAT_PLT1_BE;
    case LZ_IMAGE_TYPE_PLT4_LE: return PIXBUF_FORMAT_PLT4_LE;
    case LZ_IMAGE_TYPE_PLT4_BE: return PIXBUF_FORMAT_PLT4_BE;
    case LZ_IMAGE_TYPE_PLT8: return PIXBUF_FORMAT_PLT8;
    case LZ_IMAGE_TYPE_RGB16: return PIXBUF_FORMAT_RGB16;
    case LZ_IMAGE_TYPE_RGB24: return PIXBUF_FORMAT_RGB24;
    case LZ_IMAGE_TYPE_RGB32: return PIXBUF_FORMAT_XRGB32;
    case LZ_IMAGE_TYPE_A8: return PIXBUF_FORMAT_A8;
    default: return PIXBUF_FORMAT_ARGB32;   /* RGBA, XXXA */
    }
}

/* A stream that decodes must survive a re-encode: same pixels back. */
static void check_round_trip(const Pixbuf *decoded, LzImageType type)
{
    size_t bound = lz_encode_bound(type, decoded->width, decoded->height);
    uint8_t *again = malloc(bound);
    size_t size;
    if (again == NULL || lz_encode(decoded, type, true, again, bound, &size) != CODEC_OK) {
        abort();
    }
    Pixbuf copy;
    if (pixbuf_alloc(&copy, decoded->format, decoded->width, decoded->height) != CODEC_OK) {
        abort();
    }
    if (type == LZ_IMAGE_TYPE_XXXA) {
        memcpy(copy.data, decoded->data, decoded->stride * decoded->height);
    }
    if (lz_decode(again, size, NULL, &copy, NULL) != CODEC_OK) {
        abort();
    }
    size_t bytes = decoded->stride * decoded->height;
    if (type == LZ_IMAGE_TYPE_RGB16) {
        /* Bit 15 of a 555 pixel is carried by literals but ignored when matching. */
        for (size_t i = 0; i < bytes; i += 2) {
            if (((copy.data[i + 1] ^ decoded->data[i + 1]) & 0x7F) != 0 ||
                copy.data[i] != decoded->data[i]) {
                abort();
            }
        }
    } else if (memcmp(copy.data, decoded->data, bytes) != 0) {
        abort();
    }
    pixbuf_free(&copy);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    LzHeader h;
    if (lz_read_header(data, size, &h) != CODEC_OK) {
        return 0;
    }
    if ((uint64_t)h.width * h.height > MAX_FUZZ_PIXELS) {
        return 0;
    }
    LzPalette palette = { palette_ents, 16 };
    PixbufFormat formats[2] = { native_format(h.type), PIXBUF_FORMAT_XRGB32 };
    for (int i = 0; i < 2; i++) {
        Pixbuf dst;
        if (pixbuf_alloc(&dst, formats[i], h.width, h.height) != CODEC_OK) {
            abort();
        }
        CodecStatus st = lz_decode(data, size, &palette, &dst, NULL);
        if (st == CODEC_OK && i == 0) {
            check_round_trip(&dst, h.type);
        }
        pixbuf_free(&dst);
    }
    return 0;
}
