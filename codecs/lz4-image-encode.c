/* lz4-image-encode: packs image rows into SPICE's LZ4 container (BE32-framed blocks of one LZ4 stream). */
/*
 * 32-bit pixels (XRGB32, ARGB32: nearly every image) go through our own LZ4 block writer
 * (lz4-encode-pixels.c), which knows the bytes are pixels in rows. Its output is plain LZ4 (any
 * LZ4 decoder reads it, upstream's included). 16- and 24-bit pixels, and 32-bit ones whose 4th
 * byte changes from pixel to pixel (lz4_pixels_suit_writer), go through liblz4's stream
 * encoder.
 */
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz4-encode-pixels.h"
#include "codecs/lz4-image.h"

/* Rows per block for @height rows when the caller leaves the choice to us: one block, as
 * upstream's server writes for a bitmap in one chunk (no per-block costs, matches anywhere). */
static uint32_t default_rows_per_block(uint32_t height)
{
    return height;
}

/* Bytes of the plaintext (packed rows), or 0 when the image is empty, unsupported or too big. */
static size_t plaintext_size(PixbufFormat format, uint32_t width, uint32_t height,
                             size_t *out_row_bytes)
{
    size_t row_bytes;
    if (!lz4_image_format_supported(format) || width == 0 || height == 0 ||
        height > PIXBUF_MAX_DIMENSION ||
        pixbuf_row_bytes(format, width, &row_bytes) != CODEC_OK ||
        row_bytes > PIXBUF_MAX_BYTES / height) {
        return 0;
    }
    *out_row_bytes = row_bytes;
    return row_bytes * height;
}

size_t lz4_image_encode_bound(PixbufFormat format, uint32_t width, uint32_t height,
                              uint32_t rows_per_block)
{
    size_t row_bytes;
    if (plaintext_size(format, width, height, &row_bytes) == 0) {
        return 0;
    }
    uint32_t rows = rows_per_block != 0 ? rows_per_block : default_rows_per_block(height);
    if (rows > height) {
        rows = height;
    }
    /* Sizes are below PIXBUF_MAX_BYTES (1 GiB), so none of this overflows size_t. */
    size_t full_blocks = height / rows;
    size_t last_rows = height % rows;
    size_t bound = LZ4_IMAGE_HEADER_SIZE +
                   full_blocks * (4u + (size_t)LZ4_COMPRESSBOUND(rows * row_bytes));
    if (last_rows != 0) {
        bound += 4u + (size_t)LZ4_COMPRESSBOUND(last_rows * row_bytes);
    }
    return bound;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- liblz4 for 16- and 24-bit pixels ---- */

static size_t encode_liblz4_blocks(const uint8_t *plain, size_t total, size_t row_bytes,
                                   uint32_t rows, uint8_t *out, size_t pos, size_t capacity)
{
    LZ4_stream_t stream;
    LZ4_initStream(&stream, sizeof(stream));
    size_t block_bytes = (size_t)rows * row_bytes;
    for (size_t begin = 0; begin < total; begin += block_bytes) {
        size_t in_size = total - begin < block_bytes ? total - begin : block_bytes;
        if (capacity - pos < 5) {
            return 0;
        }
        size_t room = capacity - pos - 4;
        if (room > (size_t)LZ4_MAX_INPUT_SIZE) {
            room = LZ4_MAX_INPUT_SIZE;   /* liblz4 takes an int capacity */
        }
        /* in_size <= 1 GiB < LZ4_MAX_INPUT_SIZE */
        int enc = LZ4_compress_fast_continue(&stream, (const char *)plain + begin,
                                             (char *)out + pos + 4, (int)in_size, (int)room, 1);
        if (enc <= 0) {
            return 0;
        }
        put_be32(out + pos, (uint32_t)enc);
        pos += 4u + (size_t)enc;
    }
    return pos;
}

CodecStatus lz4_image_encode(const Pixbuf *src, bool top_down, uint32_t rows_per_block,
                             uint8_t *out, size_t out_capacity, size_t *out_size)
{
    if (src == NULL || out == NULL || out_size == NULL || src->data == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t row_bytes;
    size_t total = plaintext_size(src->format, src->width, src->height, &row_bytes);
    if (total == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (out_capacity < LZ4_IMAGE_HEADER_SIZE) {
        return CODEC_ERR_NO_SPACE;
    }
    /* Later blocks copy from earlier plaintext where it lies, so it must be one array. */
    const uint8_t *plain = src->data;
    uint8_t *packed = NULL;
    if (!pixbuf_is_packed(src)) {
        packed = malloc(total);
        if (packed == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        for (uint32_t y = 0; y < src->height; y++) {
            memcpy(packed + (size_t)y * row_bytes, pixbuf_row(src, y), row_bytes);
        }
        plain = packed;
    }
    bool pixels32 = pixbuf_format_bpp(src->format) == 32 &&
                    lz4_pixels_suit_writer(plain, total, row_bytes);
    Lz4PixelTable *scratch = NULL;   /* our block writer's hash table */
    if (pixels32 && (scratch = lz4_pixel_table_new()) == NULL) {
        free(packed);
        return CODEC_ERR_NO_MEMORY;
    }

    uint32_t rows = rows_per_block != 0 ? rows_per_block : default_rows_per_block(src->height);
    if (rows > src->height) {
        rows = src->height;
    }
    out[0] = top_down ? 1 : 0;
    out[1] = (uint8_t)src->format;   /* PixbufFormat values are SPICE_BITMAP_FMT_* */
    size_t end = pixels32 ? lz4_encode_pixel_blocks(scratch, plain, total, row_bytes, rows, out,
                                                LZ4_IMAGE_HEADER_SIZE, out_capacity)
                          : encode_liblz4_blocks(plain, total, row_bytes, rows, out,
                                                 LZ4_IMAGE_HEADER_SIZE, out_capacity);
    free(packed);
    lz4_pixel_table_free(scratch);
    if (end == 0) {
        return CODEC_ERR_NO_SPACE;
    }
    *out_size = end;
    return CODEC_OK;
}
