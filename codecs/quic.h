/* quic: SPICE QUIC lossless image codec (SPICE_IMAGE_TYPE_QUIC; SFALIC with run mode). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * Stream = 32-bit little-endian words read most-significant bit first: magic "QUIC", version 0,
 * type, width, height, then the adaptive-Golomb body and one trailing zero word. There is no
 * top_down flag: rows are coded in the order given, and peers take the first row as the top.
 * The encoder reproduces spice-common's quic.c bit for bit (same model, wait masks, run mode).
 *
 * Pure functions: no globals, no I/O; scratch memory is allocated and freed inside each call.
 */

/* Values are the wire values of upstream's QuicImageType. */
typedef enum QuicImageType {
    QUIC_IMAGE_TYPE_INVALID = 0,
    QUIC_IMAGE_TYPE_GRAY = 1,   /* never sent by spice-server; upstream clients refuse it */
    QUIC_IMAGE_TYPE_RGB16 = 2,
    QUIC_IMAGE_TYPE_RGB24 = 3,
    QUIC_IMAGE_TYPE_RGB32 = 4,
    QUIC_IMAGE_TYPE_RGBA = 5,
} QuicImageType;

#define QUIC_HEADER_SIZE 20u

typedef struct QuicHeader {
    QuicImageType type;
    uint32_t width;
    uint32_t height;
} QuicHeader;

/* GRAY for A8, RGB16, RGB24, RGB32 for XRGB32, RGBA for ARGB32; INVALID for palettes. */
QuicImageType quic_image_type_for_format(PixbufFormat format);

/* Largest stream quic_encode can produce (header and trailer included), or 0 if @type is invalid
 * or the size passes the pixbuf limits. Worst case is ~3.3 bytes per RGB pixel: allocate it
 * lazily (malloc'd pages are not touched unless written). */
size_t quic_encode_bound(QuicImageType type, uint32_t width, uint32_t height);

/*
 * Encodes @src into @out (caller-owned, capacity @out_capacity) and stores the stream length (a
 * multiple of 4) in @out_size. Accepted (type <- source format): GRAY <- A8, RGB16 <- RGB16,
 * RGB24 <- RGB24, RGB32 <- XRGB32 or ARGB32 (4th byte ignored), RGBA <- ARGB32. Any stride.
 * Errors: CODEC_ERR_INVALID_ARGUMENT (mismatch, empty image), CODEC_ERR_NO_SPACE (capacity
 * below what this image needed; quic_encode_bound always suffices), CODEC_ERR_NO_MEMORY.
 */
CodecStatus quic_encode(const Pixbuf *src, QuicImageType type, uint8_t *out, size_t out_capacity,
                        size_t *out_size);

/* Reads the five header words: magic, version 0, known type, width and height non-zero and
 * within the pixbuf limits. Errors: CODEC_ERR_TRUNCATED, CODEC_ERR_BAD_MAGIC,
 * CODEC_ERR_BAD_HEADER, CODEC_ERR_TOO_LARGE. */
CodecStatus quic_read_header(const uint8_t *data, size_t size, QuicHeader *out);

/*
 * Decodes the stream (its size is taken in whole words, as upstream does) into @dst
 * (caller-owned, any stride), whose width and height must match the header. Accepted (stream
 * type -> dst format): RGB24/RGB32 -> XRGB32, ARGB32 (4th byte 0) or RGB24; RGB16 -> RGB16
 * or XRGB32 (channels expanded v<<3|v>>2); RGBA -> ARGB32; GRAY -> A8.
 * Every symbol and run is checked: a hostile stream gives CODEC_ERR_CORRUPT or
 * CODEC_ERR_TRUNCATED (the decoder, like upstream, needs every bit up to the trailer word),
 * never an access outside @data or @dst. On error @dst may be partly written. @out_header may
 * be NULL.
 */
CodecStatus quic_decode(const uint8_t *data, size_t size, Pixbuf *dst, QuicHeader *out_header);

/* Convenience for receivers, as lz_decode_new: header, @max_pixels policy, allocation of @out in
 * @format (caller frees with pixbuf_free), decode. On error @out is left empty. */
CodecStatus quic_decode_new(const uint8_t *data, size_t size, PixbufFormat format,
                            uint64_t max_pixels, Pixbuf *out, QuicHeader *out_header);
