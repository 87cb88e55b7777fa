/* upstream-shim: the plain C interface bench-codecs uses to call upstream's codecs via dlopen. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/*
 * upstream-shim.c and upstream-shim-client.c are compiled by tests/bench/build-upstream-shim.sh
 * against spice 0.15.1's own codec sources and spice-gtk 0.42's image decoding (Debian's source
 * packages, fetched into the build directory at bench time and never committed) into
 * libupstream-codecs.so. bench-codecs dlopen()s it with --upstream and
 * looks up the symbols below; nothing else of upstream's is visible.
 *
 * Types are upstream's QuicImageType / LzImageType values (the same numbers as ours). Pixels are
 * top-down rows of @stride bytes; buffers are caller-owned. Every function returns 0 on success
 * and -1 when upstream reported an error (its error callback), never aborts.
 */
#define UPSTREAM_SHIM_ABI 1

typedef int (*UpQuicEncodeFn)(int type, int width, int height, const uint8_t *pixels,
                              int stride, uint8_t *out, size_t capacity, size_t *out_size);
/* Decodes into @pixels as upstream's client does (RGB32 / RGBA output for 4-byte types). */
typedef int (*UpQuicDecodeFn)(const uint8_t *data, size_t size, int out_type, uint8_t *pixels,
                              int stride);
typedef int (*UpLzEncodeFn)(int type, int width, int height, const uint8_t *pixels, int stride,
                            uint8_t *out, size_t capacity, size_t *out_size);
typedef int (*UpLzDecodeFn)(const uint8_t *data, size_t size, int out_type, uint8_t *pixels);
/* GLZ: one encoder on one dictionary of @window_pixels, kept across calls until reset. */
typedef int (*UpGlzResetFn)(uint32_t window_pixels);
typedef int (*UpGlzEncodeFn)(int type, int width, int height, const uint8_t *pixels, int stride,
                             uint8_t *out, size_t capacity, size_t *out_size);

/*
 * The client side (spice-gtk), added later: a library built before it lacks these, and the
 * bench then leaves those columns empty. GLZ: one decoder window for a sequence, kept across
 * calls until reset; each call decodes one stream (spice-gtk never learns its size) into a
 * fresh surface as spice-gtk does, copied to @pixels only when @pixels is not NULL.
 * LZ4: spice-server's lz4_encode (one block: the bitmap is one chunk) from @pixels with
 * @bitmap_format a SPICE_BITMAP_FMT_*; spice-gtk's canvas_get_lz4 for @width x @height,
 * copied out like GLZ.
 */
typedef int (*UpGlzDecodeResetFn)(void);
typedef int (*UpGlzDecodeFn)(const uint8_t *data, size_t size, uint8_t *pixels, int stride);
typedef int (*UpLz4EncodeFn)(int bitmap_format, int height, const uint8_t *pixels, int stride,
                             int top_down, uint8_t *out, size_t capacity, size_t *out_size);
typedef int (*UpLz4DecodeFn)(const uint8_t *data, size_t size, int width, int height,
                             uint8_t *pixels, int stride);

#define UPSTREAM_SHIM_CLIENT_SYMBOLS(X) \
    X(UpGlzDecodeResetFn, up_glz_decode_reset) \
    X(UpGlzDecodeFn, up_glz_decode) \
    X(UpLz4EncodeFn, up_lz4_encode) \
    X(UpLz4DecodeFn, up_lz4_decode)

#define UPSTREAM_SHIM_SYMBOLS(X) \
    X(UpQuicEncodeFn, up_quic_encode) \
    X(UpQuicDecodeFn, up_quic_decode) \
    X(UpLzEncodeFn, up_lz_encode) \
    X(UpLzDecodeFn, up_lz_decode) \
    X(UpGlzResetFn, up_glz_reset) \
    X(UpGlzEncodeFn, up_glz_encode)
