/* jpeg: SPICE JPEG (SPICE_IMAGE_TYPE_JPEG) and JPEG_ALPHA images, over libjpeg(-turbo). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * JPEG image = baseline JFIF, YCbCr 4:2:0, ISLOW DCT, standard Huffman tables (what
 * jpeg_set_defaults gives; upstream's jpeg encoder and spice-gtk's decoder assume nothing more).
 * Rows in the JPEG are the picture from the top.
 *
 * JPEG_ALPHA image data = a JPEG of the colour planes (jpeg_size bytes) followed by a complete
 * LZ stream of type XXXA carrying the alpha bytes (codecs/lz.h). The wire descriptor in front of
 * it is: u8 flags (SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN), u32 jpeg_size, u32 data_size (little-endian).
 *
 * Pure functions: no globals, no I/O; libjpeg state lives on the stack of each call. Safe from
 * any thread. Every buffer is borrowed for the call; only *_decode_new allocates a result, owned
 * by the caller (pixbuf_free). libjpeg errors never exit(): they come back as a CodecStatus.
 */

#define JPEG_DEFAULT_QUALITY 85 /* upstream's dcc jpeg_quality */

/* Largest stream jpeg_encode can produce for @width x @height (0 over the pixbuf limits). */
size_t jpeg_encode_bound(uint32_t width, uint32_t height);

/*
 * Encodes @src (XRGB32, ARGB32 (alpha ignored) or RGB24; rows top first) at @quality (1..100)
 * into @out (capacity @out_capacity) and stores the length in @out_size.
 * Errors: CODEC_ERR_INVALID_ARGUMENT (format, quality, empty image, dimension > 65500),
 * CODEC_ERR_NO_SPACE (capacity too small; jpeg_encode_bound is always enough),
 * CODEC_ERR_NO_MEMORY.
 */
CodecStatus jpeg_encode(const Pixbuf *src, int quality, uint8_t *out, size_t out_capacity,
                        size_t *out_size);

/* Reads the frame header of the @size-byte JPEG @data: width and height. Errors:
 * CODEC_ERR_TRUNCATED, CODEC_ERR_CORRUPT (not a JPEG, bad markers), CODEC_ERR_BAD_HEADER. */
CodecStatus jpeg_read_size(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height);

/*
 * Decodes the whole JPEG into @dst (XRGB32: 4th byte written 0, or ARGB32: alpha written 255),
 * whose width and height must equal the stream's (else CODEC_ERR_BAD_HEADER). Grayscale, RGB
 * and YCbCr streams are accepted, CMYK is CODEC_ERR_UNSUPPORTED. A stream that ends early
 * (even only its EOI marker missing) is CODEC_ERR_TRUNCATED, any libjpeg error or warning
 * (corrupt data) CODEC_ERR_CORRUPT. On error @dst may be partly written.
 */
CodecStatus jpeg_decode(const uint8_t *data, size_t size, Pixbuf *dst);

/*
 * For receivers: reads the header, refuses width * height > @max_pixels with
 * CODEC_ERR_TOO_LARGE before allocating anything, allocates @out (XRGB32 or ARGB32, owned by
 * the caller) and decodes into it. On error @out is left empty.
 */
CodecStatus jpeg_decode_new(const uint8_t *data, size_t size, PixbufFormat format,
                            uint64_t max_pixels, Pixbuf *out);

/* ---- JPEG_ALPHA ---- */

#define JPEG_ALPHA_DESCRIPTOR_SIZE 9u

typedef struct JpegAlphaDescriptor {
    bool top_down;       /* SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN: source rows start at the top */
    uint32_t jpeg_size;  /* bytes of JPEG at the start of the data */
    uint32_t data_size;  /* JPEG + LZ alpha stream */
} JpegAlphaDescriptor;

/* Parses the 9-byte wire descriptor at @wire (unknown flag bits are CODEC_ERR_BAD_HEADER, as is
 * jpeg_size > data_size). CODEC_ERR_TRUNCATED if @size < 9. */
CodecStatus jpeg_alpha_read_descriptor(const uint8_t *wire, size_t size, JpegAlphaDescriptor *out);
/* Writes @desc as the 9 wire bytes at @wire (capacity @size >= 9, else CODEC_ERR_NO_SPACE). */
CodecStatus jpeg_alpha_write_descriptor(const JpegAlphaDescriptor *desc, uint8_t *wire,
                                        size_t size);

/* Largest data (JPEG + LZ) jpeg_alpha_encode can produce, 0 over the limits. */
size_t jpeg_alpha_encode_bound(uint32_t width, uint32_t height);

/*
 * Encodes ARGB32 @src into @out: the JPEG of its colour, then the LZ XXXA stream of its alpha.
 * @src rows are in memory order; @top_down says whether row 0 is the top of the picture. The
 * JPEG gets the picture from the top (rows reversed when !top_down), the LZ stream the memory
 * order with the same top_down, as upstream sends and spice-gtk checks. @desc receives the
 * descriptor to put on the wire in front of the data (data_size = *out_size).
 */
CodecStatus jpeg_alpha_encode(const Pixbuf *src, bool top_down, int quality, uint8_t *out,
                              size_t out_capacity, size_t *out_size, JpegAlphaDescriptor *desc);

/*
 * Decodes JPEG_ALPHA data (@size bytes, the data after the descriptor; must equal
 * desc->data_size) into a new ARGB32 @out (owned by the caller) in the same memory order the
 * encoder was given: row 0 is the top when desc->top_down, the bottom otherwise. Checks: the
 * JPEG and the LZ stream agree on width and height, the LZ type is XXXA, its top_down equals the
 * descriptor's, width * height <= @max_pixels (before allocating), every byte is used.
 * On error @out is left empty.
 */
CodecStatus jpeg_alpha_decode_new(const JpegAlphaDescriptor *desc, const uint8_t *data,
                                  size_t size, uint64_t max_pixels, Pixbuf *out);
