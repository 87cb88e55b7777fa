/* lz4-image: SPICE LZ4 image codec (SPICE_IMAGE_TYPE_LZ4) on top of liblz4's streaming API. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/pixbuf.h"

/*
 * Container (the bytes after the image's u32 data_size field, which the caller writes/reads):
 *   byte 0: top_down (0 or 1); byte 1: SPICE_BITMAP_FMT_* (16BIT, 24BIT, 32BIT or RGBA);
 *   then 1..n blocks, each a big-endian u32 compressed length and a raw LZ4 block.
 * The blocks come from one LZ4 stream, so block k may copy from the plaintext of earlier blocks:
 * the plaintext is the image's rows, width * Bpp bytes each with no padding (the 4th byte of
 * 32BIT is carried verbatim), in the order given. The stream has no width or height: the peer
 * takes them from the image descriptor. A peer needs SPICE_DISPLAY_CAP_LZ4_COMPRESSION.
 *
 * Pure functions: no globals, no I/O; the only allocations are scratch buffers (and liblz4's
 * stream state) freed before returning. Safe from any thread.
 */

#define LZ4_IMAGE_HEADER_SIZE 2u
/* Rows per block when the caller passes 0: blocks of about this many plaintext bytes. */
#define LZ4_IMAGE_DEFAULT_BLOCK_BYTES (64u * 1024u)

typedef struct Lz4ImageHeader {
    bool top_down;        /* true: the first coded row is the top of the picture */
    PixbufFormat format;  /* RGB16, RGB24, XRGB32 (wire 32BIT) or ARGB32 (wire RGBA) */
} Lz4ImageHeader;

/* True for the formats LZ4 images carry (RGB16, RGB24, XRGB32, ARGB32). */
bool lz4_image_format_supported(PixbufFormat format);

/*
 * Largest container lz4_image_encode can produce for a @width x @height image of @format cut
 * into blocks of @rows_per_block rows (0: the default), or 0 for an unsupported format, an
 * empty image or sizes over the pixbuf limits.
 */
size_t lz4_image_encode_bound(PixbufFormat format, uint32_t width, uint32_t height,
                              uint32_t rows_per_block);

/*
 * Encodes @src (RGB16, RGB24, XRGB32 or ARGB32; any stride: padded sources are packed into a
 * scratch copy first, since LZ4's later blocks read the earlier plaintext in place) into @out
 * (capacity @out_capacity, caller-owned), one block per @rows_per_block rows (0: about
 * LZ4_IMAGE_DEFAULT_BLOCK_BYTES per block, at least one row). Rows are coded from src row 0;
 * @top_down goes in the header. Errors: CODEC_ERR_INVALID_ARGUMENT (NULL, unsupported format,
 * empty image), CODEC_ERR_NO_SPACE (lz4_image_encode_bound is always enough),
 * CODEC_ERR_NO_MEMORY.
 */
CodecStatus lz4_image_encode(const Pixbuf *src, bool top_down, uint32_t rows_per_block,
                             uint8_t *out, size_t out_capacity, size_t *out_size);

/* Reads the 2-byte header: CODEC_ERR_TRUNCATED, CODEC_ERR_BAD_HEADER (top_down not 0/1 or a
 * format LZ4 images do not carry). */
CodecStatus lz4_image_read_header(const uint8_t *data, size_t size, Lz4ImageHeader *out);

/*
 * Decodes the whole container into @dst (caller-owned, any stride), whose format must equal
 * the header's (XRGB32 and ARGB32 are interchangeable: bytes are copied verbatim) and whose
 * width/height come from the image descriptor. Coded row k goes to dst row k (flip with
 * pixbuf_flip_rows when !top_down for an upright picture). Every block length is checked
 * against the bytes left, every block must decode to at least one byte and fit in what is
 * left of the image, the blocks must fill the image exactly and end exactly at @size:
 * CODEC_ERR_TRUNCATED (input ends early, image incomplete), CODEC_ERR_CORRUPT (LZ4 error,
 * block overflowing the image, empty block), CODEC_ERR_TRAILING_DATA (bytes after the image),
 * CODEC_ERR_BAD_HEADER, CODEC_ERR_INVALID_ARGUMENT (format mismatch), CODEC_ERR_NO_MEMORY.
 * On error @dst may be partly written. @out_header (may be NULL) receives the header.
 */
CodecStatus lz4_image_decode(const uint8_t *data, size_t size, Pixbuf *dst,
                             Lz4ImageHeader *out_header);

/*
 * Convenience for receivers: refuses @width x @height over @max_pixels with
 * CODEC_ERR_TOO_LARGE, allocates @out in the header's format (packed, owned by the caller:
 * pixbuf_free) and decodes into it. On error @out is left empty.
 */
CodecStatus lz4_image_decode_new(const uint8_t *data, size_t size, uint32_t width,
                                 uint32_t height, uint64_t max_pixels, Pixbuf *out,
                                 Lz4ImageHeader *out_header);
