/* lz: SPICE LZ image codec (SPICE_IMAGE_TYPE_LZ_RGB / LZ_PLT, and the alpha part of JPEG_ALPHA). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * Stream = 28-byte big-endian header (magic "  ZL", version 1.1, type, width, height, stride,
 * top_down) followed by a byte-oriented LZSS body, as spice-common's lz.c reads it. The body
 * codes rows in the order they are given; top_down only tells the peer whether the first coded
 * row is the top of the picture (1) or the bottom (0).
 *
 * Everything here is a pure function: no globals, no I/O, the only allocations are scratch
 * buffers freed before returning. Safe to call from any thread.
 */

/* Values are the wire values of upstream's LzImageType. */
typedef enum LzImageType {
    LZ_IMAGE_TYPE_INVALID = 0,
    LZ_IMAGE_TYPE_PLT1_LE = 1,
    LZ_IMAGE_TYPE_PLT1_BE = 2,
    LZ_IMAGE_TYPE_PLT4_LE = 3,
    LZ_IMAGE_TYPE_PLT4_BE = 4,
    LZ_IMAGE_TYPE_PLT8 = 5,
    LZ_IMAGE_TYPE_RGB16 = 6,
    LZ_IMAGE_TYPE_RGB24 = 7,
    LZ_IMAGE_TYPE_RGB32 = 8,
    LZ_IMAGE_TYPE_RGBA = 9,   /* RGB pass then alpha pass */
    LZ_IMAGE_TYPE_XXXA = 10,  /* alpha pass only (JPEG_ALPHA) */
    LZ_IMAGE_TYPE_A8 = 11,
} LzImageType;

#define LZ_HEADER_SIZE 28u

typedef struct LzHeader {
    LzImageType type;
    uint32_t width;
    uint32_t height;
    uint32_t stride;   /* bytes per coded row: width * Bpp for RGB/alpha, ceil(width/ppb) for PLT */
    bool top_down;     /* true: first coded row is the top of the picture */
} LzHeader;

/* Palette for PLT streams decoded to 32-bit: entries are xRGB (b in bits 0-7, r in 16-23).
 * Borrowed for the call only. */
typedef struct LzPalette {
    const uint32_t *ents;
    uint32_t num_ents;
} LzPalette;

/*
 * The LZ type that codes @format: PLT*, RGB16, RGB24, RGB32 (for XRGB32), RGBA (for ARGB32),
 * A8. LZ_IMAGE_TYPE_INVALID if there is none.
 */
LzImageType lz_image_type_for_format(PixbufFormat format);

/*
 * Largest stream lz_encode can produce for a @width x @height image of @type (header included),
 * or 0 if the type is invalid or the size is over the pixbuf limits.
 */
size_t lz_encode_bound(LzImageType type, uint32_t width, uint32_t height);

/*
 * Encodes @src into @out (capacity @out_capacity, caller-owned) and stores the stream length in
 * @out_size. Accepted (type <- source format):
 *   PLT1_LE/PLT1_BE/PLT4_LE/PLT4_BE/PLT8 <- the same PLT format
 *   RGB16 <- RGB16;  RGB24 <- RGB24;  RGB32 <- XRGB32 or ARGB32 (4th byte not sent)
 *   RGBA <- ARGB32;  XXXA <- ARGB32 (alpha bytes only);  A8 <- A8
 * Rows are coded from src row 0 down; @top_down is written to the header. Any src stride is
 * accepted (the header carries the packed stride). Empty images are refused (upstream cannot
 * decode them). Errors: CODEC_ERR_INVALID_ARGUMENT (type/format mismatch, empty image),
 * CODEC_ERR_NO_SPACE (capacity below what this image needed; lz_encode_bound is always enough),
 * CODEC_ERR_NO_MEMORY.
 */
CodecStatus lz_encode(const Pixbuf *src, LzImageType type, bool top_down,
                      uint8_t *out, size_t out_capacity, size_t *out_size);

/*
 * Reads and checks the header of the @size-byte stream @data: magic, version, known type,
 * non-zero width/height within the pixbuf limits, stride equal to what the type implies.
 * Errors: CODEC_ERR_TRUNCATED, CODEC_ERR_BAD_MAGIC, CODEC_ERR_BAD_HEADER, CODEC_ERR_TOO_LARGE.
 */
CodecStatus lz_read_header(const uint8_t *data, size_t size, LzHeader *out);

/*
 * Decodes the whole stream into @dst (caller-owned, any stride), whose width and height must
 * equal the header's. Coded row k goes to dst row k (use pixbuf_flip_rows when !top_down and you
 * want the picture upright). Accepted (stream type -> dst format):
 *   PLT*  -> the same PLT format (indices), or XRGB32 through @palette (indices checked)
 *   RGB16 -> RGB16 or XRGB32 (channels expanded v<<3|v>>2);  RGB24 -> RGB24 or XRGB32
 *   RGB32 -> XRGB32 or ARGB32 (4th byte written 0);  RGBA -> ARGB32
 *   XXXA  -> ARGB32: only the alpha bytes are written, colour bytes are left as they were
 *   A8    -> A8
 * Every length, distance and index is checked: a hostile stream gives an error status, never
 * an access outside @data or @dst. Like upstream, bytes after the image are an error. On error
 * @dst may be partly written. @out_header (may be NULL) receives the header.
 */
CodecStatus lz_decode(const uint8_t *data, size_t size, const LzPalette *palette, Pixbuf *dst,
                      LzHeader *out_header);

/*
 * Convenience for receivers: reads the header, refuses images over @max_pixels (width * height;
 * the policy of what a peer may make us allocate belongs to the caller) with CODEC_ERR_TOO_LARGE,
 * allocates @out in @format (packed, owned by the caller: pixbuf_free) and decodes into it.
 * XXXA streams are refused here (they need the colour already in place: use lz_decode). On
 * error @out is left empty.
 */
CodecStatus lz_decode_new(const uint8_t *data, size_t size, const LzPalette *palette,
                          PixbufFormat format, uint64_t max_pixels, Pixbuf *out,
                          LzHeader *out_header);
