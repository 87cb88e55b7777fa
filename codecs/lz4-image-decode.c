/* lz4-image-decode: checked decoding of SPICE's LZ4 container (BE32-framed blocks of one liblz4 stream). */
#include <limits.h>
#include <lz4.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/lz4-image.h"

bool lz4_image_format_supported(PixbufFormat format)
{
    return format == PIXBUF_FORMAT_RGB16 || format == PIXBUF_FORMAT_RGB24 ||
           format == PIXBUF_FORMAT_XRGB32 || format == PIXBUF_FORMAT_ARGB32;
}

CodecStatus lz4_image_read_header(const uint8_t *data, size_t size, Lz4ImageHeader *out)
{
    if (data == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (size < LZ4_IMAGE_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    PixbufFormat format = pixbuf_format_from_spice(data[1]);
    if (data[0] > 1 || !lz4_image_format_supported(format)) {
        return CODEC_ERR_BAD_HEADER;
    }
    out->top_down = data[0] == 1;
    out->format = format;
    return CODEC_OK;
}

/* True when a stream of @stream can be written into a buffer of @dst as is. */
static bool formats_compatible(PixbufFormat stream, PixbufFormat dst)
{
    bool stream32 = stream == PIXBUF_FORMAT_XRGB32 || stream == PIXBUF_FORMAT_ARGB32;
    bool dst32 = dst == PIXBUF_FORMAT_XRGB32 || dst == PIXBUF_FORMAT_ARGB32;
    return stream == dst || (stream32 && dst32);
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Decodes the blocks after the header into the @total-byte array @plain. */
static CodecStatus decode_blocks(const uint8_t *data, size_t size, uint8_t *plain, size_t total)
{
    /* The stream decoder keeps the previous output's place so that the next block may copy
     * from it: every block must land right after the previous one. */
    LZ4_streamDecode_t stream;
    LZ4_setStreamDecode(&stream, NULL, 0);
    size_t pos = LZ4_IMAGE_HEADER_SIZE;
    size_t done = 0;
    while (done < total) {
        if (size - pos < 4) {
            return CODEC_ERR_TRUNCATED;
        }
        uint32_t block_size = get_be32(data + pos);
        pos += 4;
        if (block_size > size - pos) {
            return CODEC_ERR_TRUNCATED;
        }
        if (block_size == 0 || block_size > INT_MAX) {
            return CODEC_ERR_CORRUPT;
        }
        size_t room = total - done;   /* <= PIXBUF_MAX_BYTES < INT_MAX */
        int n = LZ4_decompress_safe_continue(&stream, (const char *)data + pos,
                                             (char *)plain + done, (int)block_size, (int)room);
        if (n <= 0) {
            return CODEC_ERR_CORRUPT;   /* bad block, or one that overflows the image */
        }
        done += (size_t)n;
        pos += block_size;
    }
    return pos == size ? CODEC_OK : CODEC_ERR_TRAILING_DATA;
}

CodecStatus lz4_image_decode(const uint8_t *data, size_t size, Pixbuf *dst,
                             Lz4ImageHeader *out_header)
{
    if (dst == NULL || dst->data == NULL || dst->width == 0 || dst->height == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    Lz4ImageHeader header;
    CodecStatus status = lz4_image_read_header(data, size, &header);
    if (status != CODEC_OK) {
        return status;
    }
    if (!formats_compatible(header.format, dst->format)) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    size_t row_bytes;
    status = pixbuf_row_bytes(dst->format, dst->width, &row_bytes);
    if (status != CODEC_OK) {
        return status;
    }
    /* A constructed Pixbuf keeps stride * height <= PIXBUF_MAX_BYTES, so this cannot wrap. */
    size_t total = row_bytes * dst->height;
    uint8_t *plain = dst->data;
    uint8_t *scratch = NULL;
    if (!pixbuf_is_packed(dst)) {
        scratch = malloc(total);
        if (scratch == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
        plain = scratch;
    }
    status = decode_blocks(data, size, plain, total);
    if (status == CODEC_OK && scratch != NULL) {
        for (uint32_t y = 0; y < dst->height; y++) {
            memcpy(pixbuf_row(dst, y), scratch + (size_t)y * row_bytes, row_bytes);
        }
    }
    free(scratch);
    if (status == CODEC_OK && out_header != NULL) {
        *out_header = header;
    }
    return status;
}

CodecStatus lz4_image_decode_new(const uint8_t *data, size_t size, uint32_t width,
                                 uint32_t height, uint64_t max_pixels, Pixbuf *out,
                                 Lz4ImageHeader *out_header)
{
    if (out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    Lz4ImageHeader header;
    CodecStatus status = lz4_image_read_header(data, size, &header);
    if (status != CODEC_OK) {
        return status;
    }
    if (width == 0 || height == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if ((uint64_t)width * height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    /* Not zero-filled: a successful decode writes every byte (the blocks must fill the
     * image exactly), and on failure the picture is freed unseen. Clearing 4 bytes a pixel
     * first would cost about as much as decoding them. */
    size_t row_bytes;
    status = pixbuf_row_bytes(header.format, width, &row_bytes);
    if (status != CODEC_OK) {
        return status;
    }
    if (height > PIXBUF_MAX_DIMENSION || row_bytes > PIXBUF_MAX_BYTES / height) {
        return CODEC_ERR_TOO_LARGE;
    }
    size_t total = row_bytes * height;
    uint8_t *pixels = malloc(total);
    if (pixels == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    status = pixbuf_init_view(out, header.format, width, height, row_bytes, pixels, total);
    if (status != CODEC_OK) {
        free(pixels);
        return status;
    }
    out->owned = true;
    status = lz4_image_decode(data, size, out, out_header);
    if (status != CODEC_OK) {
        pixbuf_free(out);
    }
    return status;
}
