/* fuzz-quic-decode: the QUIC header parser and decoder on hostile streams, into every accepted output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/quic.h"

/* Keeps each run fast: a stream may claim far more than the fuzz input could describe. */
#define MAX_FUZZ_PIXELS (1u << 16)

static PixbufFormat native_format(QuicImageType type)
{
    switch (type) {
    case QUIC_IMAGE_TYPE_GRAY: return PIXBUF_FORMAT_A8;
    case QUIC_IMAGE_TYPE_RGB16: return PIXBUF_FORMAT_RGB16;
    case QUIC_IMAGE_TYPE_RGB24: return PIXBUF_FORMAT_RGB24;
    case QUIC_IMAGE_TYPE_RGB32: return PIXBUF_FORMAT_XRGB32;
    default: return PIXBUF_FORMAT_ARGB32;
    }
}

/* A stream that decodes must survive a re-encode: same pixels back, and (since the decoder
 * mirrors the encoder) the re-encoded stream must decode to the same pixels again. */
static void check_round_trip(const Pixbuf *decoded, QuicImageType type)
{
    size_t bound = quic_encode_bound(type, decoded->width, decoded->height);
    uint8_t *again = malloc(bound);
    size_t size;
    if (again == NULL || quic_encode(decoded, type, again, bound, &size) != CODEC_OK) {
        abort();
    }
    Pixbuf copy;
    if (pixbuf_alloc(&copy, decoded->format, decoded->width, decoded->height) != CODEC_OK) {
        abort();
    }
    if (quic_decode(again, size, &copy, NULL) != CODEC_OK) {
        abort();
    }
    for (uint32_t y = 0; y < copy.height; y++) {
        const uint8_t *a = pixbuf_row(&copy, y), *b = pixbuf_row(decoded, y);
        size_t n = copy.stride;
        if (decoded->format == PIXBUF_FORMAT_XRGB32) {
            for (size_t x = 0; x < n; x += 4) {
                if (memcmp(a + x, b + x, 3) != 0) {
                    abort();
                }
            }
        } else if (memcmp(a, b, n) != 0) {
            abort();
        }
    }
    pixbuf_free(&copy);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QuicHeader h;
    if (quic_read_header(data, size, &h) != CODEC_OK) {
        return 0;
    }
    if ((uint64_t)h.width * h.height > MAX_FUZZ_PIXELS) {
        return 0;
    }
    PixbufFormat formats[2] = { native_format(h.type), PIXBUF_FORMAT_XRGB32 };
    for (int i = 0; i < 2; i++) {
        Pixbuf dst;
        if (pixbuf_alloc(&dst, formats[i], h.width, h.height) != CODEC_OK) {
            abort();
        }
        CodecStatus st = quic_decode(data, size, &dst, NULL);
        if (st == CODEC_OK && i == 0) {
            check_round_trip(&dst, h.type);
        }
        pixbuf_free(&dst);
    }
    return 0;
}
