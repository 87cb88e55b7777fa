/* qxl-geometry: rect checks, pixel format sizes and default parse limits shared by the QXL parsers. */
#include "qxl/qxl-parse.h"

void qxl_parse_limits_init(QxlParseLimits *limits, uint32_t n_surfaces)
{
    *limits = (QxlParseLimits) {
        .n_surfaces = n_surfaces,
        .max_chunks = 65536,
        .max_image_dim = 16384,
        .max_image_bytes = UINT64_C(256) * 1024 * 1024,
        .max_clip_rects = 65536,
        .max_cursor_dim = 1024,
        .max_monitors = 64,
        .max_path_bytes = 4u * 1024 * 1024,
        .max_string_bytes = 4u * 1024 * 1024,
    };
}

bool qxl_rect_is_valid(const QxlRect *r)
{
    return r->left <= r->right && r->top <= r->bottom;
}

bool qxl_rect_is_within(const QxlRect *r, uint32_t width, uint32_t height)
{
    return qxl_rect_is_valid(r) && r->left >= 0 && r->top >= 0 &&
           (uint32_t)r->right <= width && (uint32_t)r->bottom <= height;
}

bool qxl_rect_is_empty(const QxlRect *r)
{
    return r->left == r->right || r->top == r->bottom;
}

uint32_t qxl_bitmap_format_bpp(uint32_t format)
{
    switch (format) {
    case SPICE_BITMAP_FMT_1BIT_LE:
    case SPICE_BITMAP_FMT_1BIT_BE:
        return 1;
    case SPICE_BITMAP_FMT_4BIT_LE:
    case SPICE_BITMAP_FMT_4BIT_BE:
        return 4;
    case SPICE_BITMAP_FMT_8BIT:
    case SPICE_BITMAP_FMT_8BIT_A:
        return 8;
    case SPICE_BITMAP_FMT_16BIT:
        return 16;
    case SPICE_BITMAP_FMT_24BIT:
        return 24;
    case SPICE_BITMAP_FMT_32BIT:
    case SPICE_BITMAP_FMT_RGBA:
        return 32;
    default:
        return 0;
    }
}

bool qxl_bitmap_format_has_palette(uint32_t format)
{
    switch (format) {
    case SPICE_BITMAP_FMT_1BIT_LE:
    case SPICE_BITMAP_FMT_1BIT_BE:
    case SPICE_BITMAP_FMT_4BIT_LE:
    case SPICE_BITMAP_FMT_4BIT_BE:
    case SPICE_BITMAP_FMT_8BIT:
        return true;
    default:
        return false;
    }
}

uint32_t qxl_surface_format_bpp(uint32_t format)
{
    switch (format) {
    case SPICE_SURFACE_FMT_1_A:
        return 1;
    case SPICE_SURFACE_FMT_8_A:
        return 8;
    case SPICE_SURFACE_FMT_16_555:
    case SPICE_SURFACE_FMT_16_565:
        return 16;
    case SPICE_SURFACE_FMT_32_xRGB:
    case SPICE_SURFACE_FMT_32_ARGB:
        return 32;
    default:
        return 0;
    }
}

uint64_t qxl_cursor_data_size(uint16_t type, uint16_t width, uint16_t height)
{
    /* All operands are below 2^16, so nothing here can overflow 64 bits. */
    uint64_t w = width, h = height;
    uint64_t mask = ((w + 7) / 8) * h;   /* 1 bit per pixel, rows padded to bytes */
    switch (type) {
    case SPICE_CURSOR_TYPE_ALPHA:
        return w * h * 4;
    case SPICE_CURSOR_TYPE_MONO:
        return 2 * mask;                  /* AND mask then XOR mask */
    case SPICE_CURSOR_TYPE_COLOR4:
        return ((w + 1) / 2) * h + mask + 16 * sizeof(uint32_t);
    case SPICE_CURSOR_TYPE_COLOR8:
        return w * h + mask + 256 * sizeof(uint32_t);
    case SPICE_CURSOR_TYPE_COLOR16:
        return w * 2 * h + mask;
    case SPICE_CURSOR_TYPE_COLOR24:
        return w * 3 * h + mask;
    case SPICE_CURSOR_TYPE_COLOR32:
        return w * 4 * h + mask;
    default:
        return 0;
    }
}
