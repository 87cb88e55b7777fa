/* pixbuf: checked construction of pixel buffers, and codec status names. */
#include "codecs/pixbuf.h"

#include <stdlib.h>
#include <string.h>

const char *codec_status_to_str(CodecStatus status)
{
    switch (status) {
    case CODEC_OK: return "ok";
    case CODEC_ERR_INVALID_ARGUMENT: return "invalid argument";
    case CODEC_ERR_TOO_LARGE: return "image too large";
    case CODEC_ERR_NO_MEMORY: return "out of memory";
    case CODEC_ERR_NO_SPACE: return "output buffer too small";
    case CODEC_ERR_BAD_MAGIC: return "bad magic or version";
    case CODEC_ERR_BAD_HEADER: return "inconsistent header";
    case CODEC_ERR_TRUNCATED: return "truncated stream";
    case CODEC_ERR_CORRUPT: return "corrupt stream";
    case CODEC_ERR_TRAILING_DATA: return "trailing data after the image";
    case CODEC_ERR_BAD_PALETTE: return "missing palette or index outside it";
    case CODEC_ERR_UNSUPPORTED: return "unsupported conversion";
    }
    return "unknown status";
}

unsigned pixbuf_format_bpp(PixbufFormat format)
{
    switch (format) {
    case PIXBUF_FORMAT_PLT1_LE:
    case PIXBUF_FORMAT_PLT1_BE:
        return 1;
    case PIXBUF_FORMAT_PLT4_LE:
    case PIXBUF_FORMAT_PLT4_BE:
        return 4;
    case PIXBUF_FORMAT_PLT8:
    case PIXBUF_FORMAT_A8:
        return 8;
    case PIXBUF_FORMAT_RGB16:
        return 16;
    case PIXBUF_FORMAT_RGB24:
        return 24;
    case PIXBUF_FORMAT_XRGB32:
    case PIXBUF_FORMAT_ARGB32:
        return 32;
    case PIXBUF_FORMAT_INVALID:
        break;
    }
    return 0;
}

bool pixbuf_format_is_palette(PixbufFormat format)
{
    return format == PIXBUF_FORMAT_PLT1_LE || format == PIXBUF_FORMAT_PLT1_BE ||
           format == PIXBUF_FORMAT_PLT4_LE || format == PIXBUF_FORMAT_PLT4_BE ||
           format == PIXBUF_FORMAT_PLT8;
}

PixbufFormat pixbuf_format_from_spice(uint32_t spice_bitmap_fmt)
{
    if (spice_bitmap_fmt == SPICE_BITMAP_FMT_INVALID ||
        spice_bitmap_fmt >= SPICE_BITMAP_FMT_ENUM_END) {
        return PIXBUF_FORMAT_INVALID;
    }
    return (PixbufFormat)spice_bitmap_fmt;
}

CodecStatus pixbuf_row_bytes(PixbufFormat format, uint32_t width, size_t *out_row_bytes)
{
    unsigned bpp = pixbuf_format_bpp(format);
    *out_row_bytes = 0;
    if (bpp == 0) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (width > PIXBUF_MAX_DIMENSION) {
        return CODEC_ERR_TOO_LARGE;
    }
    /* width <= 2^16 and bpp <= 32: the product fits easily in 64 bits. */
    *out_row_bytes = (size_t)(((uint64_t)width * bpp + 7) / 8);
    return CODEC_OK;
}

/* Shared checks of both constructors; returns the row size through @out_row_bytes. */
static CodecStatus check_geometry(PixbufFormat format, uint32_t width, uint32_t height,
                                  size_t stride, size_t *out_row_bytes)
{
    CodecStatus st = pixbuf_row_bytes(format, width, out_row_bytes);
    if (st != CODEC_OK) {
        return st;
    }
    if (height > PIXBUF_MAX_DIMENSION) {
        return CODEC_ERR_TOO_LARGE;
    }
    if (stride < *out_row_bytes) {
        return CODEC_ERR_INVALID_ARGUMENT;
    }
    if (stride > PIXBUF_MAX_BYTES || (uint64_t)stride * height > PIXBUF_MAX_BYTES) {
        return CODEC_ERR_TOO_LARGE;
    }
    return CODEC_OK;
}

CodecStatus pixbuf_init_view(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height,
                             size_t stride, void *data, size_t data_size)
{
    memset(pb, 0, sizeof(*pb));
    size_t row_bytes;
    CodecStatus st = check_geometry(format, width, height, stride, &row_bytes);
    if (st != CODEC_OK) {
        return st;
    }
    if (width != 0 && height != 0) {
        /* The last row only needs its pixels, not a full stride (bitmaps often end there). */
        uint64_t needed = (uint64_t)(height - 1) * stride + row_bytes;
        if (data == NULL || needed > data_size) {
            return CODEC_ERR_INVALID_ARGUMENT;
        }
    }
    pb->format = format;
    pb->width = width;
    pb->height = height;
    pb->stride = stride;
    pb->data = data;
    pb->owned = false;
    return CODEC_OK;
}

static CodecStatus alloc_owned(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height,
                               bool zeroed)
{
    memset(pb, 0, sizeof(*pb));
    size_t row_bytes;
    CodecStatus st = pixbuf_row_bytes(format, width, &row_bytes);
    if (st != CODEC_OK) {
        return st;
    }
    st = check_geometry(format, width, height, row_bytes, &row_bytes);
    if (st != CODEC_OK) {
        return st;
    }
    size_t total = row_bytes * height;
    uint8_t *data = NULL;
    if (total != 0) {
        data = zeroed ? calloc(1, total) : malloc(total);
        if (data == NULL) {
            return CODEC_ERR_NO_MEMORY;
        }
    }
    pb->format = format;
    pb->width = width;
    pb->height = height;
    pb->stride = row_bytes;
    pb->data = data;
    pb->owned = data != NULL;
    return CODEC_OK;
}

CodecStatus pixbuf_alloc(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height)
{
    return alloc_owned(pb, format, width, height, true);
}

CodecStatus pixbuf_alloc_uninit(Pixbuf *pb, PixbufFormat format, uint32_t width, uint32_t height)
{
    return alloc_owned(pb, format, width, height, false);
}

void pixbuf_free(Pixbuf *pb)
{
    if (pb == NULL) {
        return;
    }
    if (pb->owned) {
        free(pb->data);
    }
    memset(pb, 0, sizeof(*pb));
}

bool pixbuf_is_packed(const Pixbuf *pb)
{
    size_t row_bytes;
    if (pixbuf_row_bytes(pb->format, pb->width, &row_bytes) != CODEC_OK) {
        return false;
    }
    return pb->stride == row_bytes || pb->height <= 1;
}

void pixbuf_flip_rows(Pixbuf *pb)
{
    size_t row_bytes;
    if (pb->height < 2 || pixbuf_row_bytes(pb->format, pb->width, &row_bytes) != CODEC_OK) {
        return;
    }
    uint8_t tmp[256];
    for (uint32_t top = 0, bottom = pb->height - 1; top < bottom; top++, bottom--) {
        uint8_t *a = pixbuf_row(pb, top);
        uint8_t *b = pixbuf_row(pb, bottom);
        /* Swap through a small stack buffer: no allocation, so flipping cannot fail. */
        for (size_t off = 0; off < row_bytes; off += sizeof(tmp)) {
            size_t n = row_bytes - off < sizeof(tmp) ? row_bytes - off : sizeof(tmp);
            memcpy(tmp, a + off, n);
            memcpy(a + off, b + off, n);
            memcpy(b + off, tmp, n);
        }
    }
}
