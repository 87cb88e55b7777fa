/* bench-codecs: encode/decode throughput and size of each codec on synthetic 1920x1080 images. */
/*
 * Not a test: prints one line per codec, format and image kind. Build it optimised and without
 * sanitizers for meaningful numbers, e.g.
 *   meson setup build-rel -Dbuildtype=release && ninja -C build-rel tests/unit/bench-codecs
 * Usage: bench-codecs [seconds-per-measurement] (default 0.5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/lz.h"
#include "codecs/quic.h"
#include "test-pixbuf-images.h"

#define WIDTH 1920u
#define HEIGHT 1080u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef CodecStatus (*EncodeFn)(const Pixbuf *src, int type, uint8_t *out, size_t cap,
                                size_t *size);
typedef CodecStatus (*DecodeFn)(const uint8_t *data, size_t size, Pixbuf *dst);

static CodecStatus lz_enc(const Pixbuf *src, int type, uint8_t *out, size_t cap, size_t *size)
{
    return lz_encode(src, (LzImageType)type, true, out, cap, size);
}

static CodecStatus lz_dec(const uint8_t *data, size_t size, Pixbuf *dst)
{
    return lz_decode(data, size, NULL, dst, NULL);
}

static CodecStatus quic_enc(const Pixbuf *src, int type, uint8_t *out, size_t cap, size_t *size)
{
    return quic_encode(src, (QuicImageType)type, out, cap, size);
}

static CodecStatus quic_dec(const uint8_t *data, size_t size, Pixbuf *dst)
{
    return quic_decode(data, size, dst, NULL);
}

/* Runs @fn repeatedly for about @seconds and returns megapixels per second. */
#define MEASURE(seconds, result, body)                               \
    do {                                                             \
        unsigned iters = 0;                                          \
        double start = now(), elapsed;                               \
        do {                                                         \
            body;                                                    \
            iters++;                                                 \
        } while ((elapsed = now() - start) < (seconds));             \
        result = (double)WIDTH * HEIGHT * iters / elapsed / 1e6;     \
    } while (0)

static void bench(const char *codec, const char *fmt_name, PixbufFormat fmt, int type,
                  size_t bound, EncodeFn enc, DecodeFn dec, double seconds)
{
    Pixbuf src, dst;
    if (pixbuf_alloc(&src, fmt, WIDTH, HEIGHT) != CODEC_OK ||
        pixbuf_alloc(&dst, fmt, WIDTH, HEIGHT) != CODEC_OK) {
        fprintf(stderr, "bench-codecs: out of memory\n");
        exit(1);
    }
    uint8_t *out = malloc(bound);
    for (int k = TEST_IMAGE_GRADIENT; k < TEST_IMAGE_KIND_COUNT; k++) {
        test_image_fill(&src, (TestImageKind)k, 1);
        size_t size = 0;
        double enc_mps, dec_mps;
        MEASURE(seconds, enc_mps, {
            if (enc(&src, type, out, bound, &size) != CODEC_OK) {
                fprintf(stderr, "bench-codecs: %s encode failed\n", codec);
                exit(1);
            }
        });
        MEASURE(seconds, dec_mps, {
            if (dec(out, size, &dst) != CODEC_OK) {
                fprintf(stderr, "bench-codecs: %s decode failed\n", codec);
                exit(1);
            }
        });
        printf("%-5s %-7s %-9s enc %7.1f MP/s  dec %7.1f MP/s  %6.3f bpp  (%zu bytes)\n", codec,
               fmt_name, test_image_kind_name((TestImageKind)k), enc_mps, dec_mps,
               8.0 * size / ((double)WIDTH * HEIGHT), size);
    }
    free(out);
    pixbuf_free(&src);
    pixbuf_free(&dst);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    if (seconds <= 0) {
        seconds = 0.5;
    }

    /* Ceiling: copying the 32-bit frame. */
    size_t bytes = (size_t)WIDTH * HEIGHT * 4;
    uint8_t *a = calloc(1, bytes), *b = calloc(1, bytes);
    double copy_mps;
    MEASURE(seconds, copy_mps, {
        memcpy(b, a, bytes);
        a[0] = b[1];
    });
    printf("memcpy 1920x1080x4: %.1f MP/s (%.2f GB/s)\n", copy_mps, copy_mps * 4 / 1000);
    free(a);
    free(b);

    static const struct { const char *name; PixbufFormat fmt; LzImageType lz; QuicImageType quic; }
    formats[] = {
        { "rgb32", PIXBUF_FORMAT_XRGB32, LZ_IMAGE_TYPE_RGB32, QUIC_IMAGE_TYPE_RGB32 },
        { "rgba", PIXBUF_FORMAT_ARGB32, LZ_IMAGE_TYPE_RGBA, QUIC_IMAGE_TYPE_RGBA },
        { "rgb24", PIXBUF_FORMAT_RGB24, LZ_IMAGE_TYPE_RGB24, QUIC_IMAGE_TYPE_RGB24 },
        { "rgb16", PIXBUF_FORMAT_RGB16, LZ_IMAGE_TYPE_RGB16, QUIC_IMAGE_TYPE_RGB16 },
        { "plt8", PIXBUF_FORMAT_PLT8, LZ_IMAGE_TYPE_PLT8, QUIC_IMAGE_TYPE_INVALID },
        { "a8", PIXBUF_FORMAT_A8, LZ_IMAGE_TYPE_A8, QUIC_IMAGE_TYPE_GRAY },
    };
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        bench("lz", formats[i].name, formats[i].fmt, formats[i].lz,
              lz_encode_bound(formats[i].lz, WIDTH, HEIGHT), lz_enc, lz_dec, seconds);
        if (formats[i].quic != QUIC_IMAGE_TYPE_INVALID) {
            bench("quic", formats[i].name, formats[i].fmt, formats[i].quic,
                  quic_encode_bound(formats[i].quic, WIDTH, HEIGHT), quic_enc, quic_dec,
                  seconds);
        }
    }
    return 0;
}
