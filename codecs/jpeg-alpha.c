/* jpeg-alpha: SPICE_IMAGE_TYPE_JPEG_ALPHA = JPEG of the colour + LZ XXXA stream of the alpha. */
#include "codecs/jpeg.h"

#include <string.h>

#include <spice/enums.h>

#include "codecs/jpeg-lib.h"
#include "codecs/lz.h"

static uint32_t read_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void write_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

CodecStatus jpeg_alpha_read_descriptor(const uint8_t *wire, size_t size, JpegAlphaDescriptor *out)
{
    if (wire == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (size < JPEG_ALPHA_DESCRIPTOR_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    if ((wire[0] & ~SPICE_JPEG_ALPHA_FLAGS_MASK) != 0) {
        return CODEC_ERR_BAD_HEADER;
    }
    JpegAlphaDescriptor d = {
        .top_down = (wire[0] & SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN) != 0,
        .jpeg_size = read_le32(wire + 1),
        .data_size = read_le32(wire + 5),
    };
    if (d.jpeg_size > d.data_size) {
        return CODEC_ERR_BAD_HEADER;
    }
    *out = d;
    return CODEC_OK;
}

CodecStatus jpeg_alpha_write_descriptor(const JpegAlphaDescriptor *desc, uint8_t *wire,
                                        size_t size)
{
    if (desc == NULL || wire == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (size < JPEG_ALPHA_DESCRIPTOR_SIZE) {
        return CODEC_ERR_NO_SPACE;
    }
    wire[0] = desc->top_down ? SPICE_JPEG_ALPHA_FLAGS_TOP_DOWN : 0;
    write_le32(wire + 1, desc->jpeg_size);
    write_le32(wire + 5, desc->data_size);
    return CODEC_OK;
}

size_t jpeg_alpha_encode_bound(uint32_t width, uint32_t height)
{
    size_t jpeg = jpeg_lib_encode_bound(width, height);
    size_t lz = lz_encode_bound(LZ_IMAGE_TYPE_XXXA, width, height);
    if (jpeg == 0 || lz == 0 || jpeg > UINT32_MAX - lz) {
        return 0;  /* data_size must fit the u32 on the wire */
    }
    return jpeg + lz;
}

CodecStatus jpeg_alpha_encode(const Pixbuf *src, bool top_down, int quality, uint8_t *out,
                              size_t out_capacity, size_t *out_size, JpegAlphaDescriptor *desc)
{
    if (src == NULL || out == NULL || out_size == NULL || desc == NULL ||
        src->format != PIXBUF_FORMAT_ARGB32) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    /* The JPEG is always the picture from the top; the alpha keeps memory order + flag. */
    JpegLibEncodeOptions opts = { .quality = quality, .fast_dct = false,
                                  .rows_reversed = !top_down };
    size_t jpeg_size;
    CodecStatus status = jpeg_lib_encode(src, &opts, out, out_capacity, &jpeg_size);
    if (status != CODEC_OK) {
        return status;
    }
    size_t lz_size;
    status = lz_encode(src, LZ_IMAGE_TYPE_XXXA, top_down, out + jpeg_size,
                       out_capacity - jpeg_size, &lz_size);
    if (status != CODEC_OK) {
        return status;
    }
    if (jpeg_size + lz_size > UINT32_MAX) {
        return CODEC_ERR_TOO_LARGE;
    }
    *out_size = jpeg_size + lz_size;
    desc->top_down = top_down;
    desc->jpeg_size = (uint32_t)jpeg_size;
    desc->data_size = (uint32_t)*out_size;
    return CODEC_OK;
}

CodecStatus jpeg_alpha_decode_new(const JpegAlphaDescriptor *desc, const uint8_t *data,
                                  size_t size, uint64_t max_pixels, Pixbuf *out)
{
    if (out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (desc == NULL || (data == NULL && size != 0)) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (size != desc->data_size || desc->jpeg_size > size) {
        return size < desc->data_size ? CODEC_ERR_TRUNCATED : CODEC_ERR_BAD_HEADER;
    }
    const uint8_t *jpeg = data;
    const uint8_t *alpha = data + desc->jpeg_size;
    size_t alpha_size = size - desc->jpeg_size;

    uint32_t width, height;
    CodecStatus status = jpeg_lib_read_size(jpeg, desc->jpeg_size, &width, &height);
    if (status != CODEC_OK) {
        return status;
    }
    LzHeader lz;
    status = lz_read_header(alpha, alpha_size, &lz);
    if (status != CODEC_OK) {
        return status;
    }
    if (lz.type != LZ_IMAGE_TYPE_XXXA || lz.width != width || lz.height != height ||
        lz.top_down != desc->top_down) {
        return CODEC_ERR_BAD_HEADER;  /* spice-gtk refuses these mismatches too */
    }
    if ((uint64_t)width * height > max_pixels) {
        return CODEC_ERR_TOO_LARGE;
    }
    status = pixbuf_alloc(out, PIXBUF_FORMAT_ARGB32, width, height);
    if (status != CODEC_OK) {
        return status;
    }
    JpegLibDecodeOptions opts = { .fast = false, .rows_reversed = !desc->top_down };
    status = jpeg_lib_decode(jpeg, desc->jpeg_size, &opts, out);
    if (status == CODEC_OK) {
        status = lz_decode(alpha, alpha_size, NULL, out, NULL);  /* writes only alpha bytes */
    }
    if (status != CODEC_OK) {
        pixbuf_free(out);
    }
    return status;
}
