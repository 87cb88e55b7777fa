/* glz-zlib: ZLIB_GLZ_RGB, a GLZ stream deflated with zlib (RFC 1950 wrapper, one shot). */
#include "codecs/glz.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* Upstream's ZLIB_DEFAULT_COMPRESSION_LEVEL. */
#define GLZ_ZLIB_LEVEL 3

CodecStatus glz_zlib_compress(const uint8_t *glz, size_t glz_size, uint8_t *out,
                              size_t out_capacity, size_t *out_size)
{
    if (glz == NULL || out == NULL || out_size == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    *out_size = 0;
    if (glz_size > UINT_MAX || out_capacity > UINT_MAX) {
        return CODEC_ERR_TOO_LARGE;
    }
    z_stream z = { 0 };
    if (deflateInit(&z, GLZ_ZLIB_LEVEL) != Z_OK) {
        return CODEC_ERR_NO_MEMORY;
    }
    z.next_in = (Bytef *)glz;   /* zlib does not write through next_in */
    z.avail_in = (uInt)glz_size;
    z.next_out = out;
    z.avail_out = (uInt)out_capacity;
    int rc = deflate(&z, Z_FINISH);
    size_t produced = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        return rc == Z_OK || rc == Z_BUF_ERROR ? CODEC_ERR_NO_SPACE : CODEC_ERR_NO_MEMORY;
    }
    *out_size = produced;
    return CODEC_OK;
}

CodecStatus glz_zlib_decode(GlzWindow *window, const uint8_t *data, size_t size,
                            uint32_t glz_data_size, Pixbuf *out, GlzHeader *out_header)
{
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (window == NULL || data == NULL || out == NULL) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (glz_data_size < GLZ_HEADER_SIZE) {
        return CODEC_ERR_TRUNCATED;
    }
    if (glz_data_size > PIXBUF_MAX_BYTES || size > UINT_MAX) {
        return CODEC_ERR_TOO_LARGE;
    }
    uint8_t *glz = malloc(glz_data_size);
    if (glz == NULL) {
        return CODEC_ERR_NO_MEMORY;
    }
    z_stream z = { 0 };
    if (inflateInit(&z) != Z_OK) {
        free(glz);
        return CODEC_ERR_NO_MEMORY;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = glz;
    z.avail_out = glz_data_size;
    int rc = inflate(&z, Z_FINISH);
    size_t produced = z.total_out;
    size_t left_in = z.avail_in;
    bool out_full = z.avail_out == 0;
    inflateEnd(&z);
    CodecStatus st;
    if (rc == Z_STREAM_END) {
        st = produced != glz_data_size ? CODEC_ERR_TRUNCATED
           : left_in != 0 ? CODEC_ERR_TRAILING_DATA : CODEC_OK;
    } else if (rc == Z_BUF_ERROR && out_full) {
        st = CODEC_ERR_CORRUPT;    /* inflates to more than the message said */
    } else if (rc == Z_BUF_ERROR) {
        st = CODEC_ERR_TRUNCATED;  /* input ended early */
    } else {
        st = CODEC_ERR_CORRUPT;
    }
    if (st == CODEC_OK) {
        st = glz_decode(window, glz, glz_data_size, out, out_header);
    }
    free(glz);
    return st;
}
