/* qxl-worker-bitmap: guest bitmap formats (palette, 16, 24, 32 bit) -> 32-bit pixman images. */
#include "qxl-worker-bitmap.h"

#include <glib.h>

/* The image's reference to its counted buffer (a GLZ dictionary may hold more). */
static void unref_pixels(pixman_image_t *image, void *data)
{
    glz_shared_pixels_unref(data);
}

static uint32_t expand_555(uint16_t p)
{
    uint32_t r = (p >> 10) & 0x1f, g = (p >> 5) & 0x1f, b = p & 0x1f;
    r = (r << 3) | (r >> 2);
    g = (g << 3) | (g >> 2);
    b = (b << 3) | (b >> 2);
    return (r << 16) | (g << 8) | b;
}

/* Index of pixel @x in a row of a palette format (the palette has 256 entries, so any index is safe). */
static uint8_t palette_index(const uint8_t *row, uint32_t x, uint8_t format)
{
    switch (format) {
    case SPICE_BITMAP_FMT_1BIT_LE: return (row[x / 8] >> (x % 8)) & 1;
    case SPICE_BITMAP_FMT_1BIT_BE: return (row[x / 8] >> (7 - x % 8)) & 1;
    case SPICE_BITMAP_FMT_4BIT_LE: return (x % 2 ? row[x / 2] >> 4 : row[x / 2]) & 0x0f;
    case SPICE_BITMAP_FMT_4BIT_BE: return (x % 2 ? row[x / 2] : row[x / 2] >> 4) & 0x0f;
    default:                       return row[x];   /* 8BIT */
    }
}

pixman_image_t *qxl_bitmap_to_pixman(const QxlImage *image, uint8_t *wire_format)
{
    return qxl_bitmap_to_pixman_shared(image, wire_format, NULL);
}

pixman_image_t *qxl_bitmap_to_pixman_shared(const QxlImage *image, uint8_t *wire_format,
                                            GlzSharedPixels **owner)
{
    if (owner) {
        *owner = NULL;
    }
    *wire_format = SPICE_BITMAP_FMT_32BIT;
    uint32_t w = image->width, h = image->height;
    if (image->format == SPICE_BITMAP_FMT_32BIT || image->format == SPICE_BITMAP_FMT_RGBA) {
        if (image->stride != w * 4 || image->data_size < (size_t)image->stride * h) {
            return NULL;   /* qxl-parse promises tight rows; refuse anything else */
        }
        bool alpha = image->format == SPICE_BITMAP_FMT_RGBA;
        *wire_format = alpha ? SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT;
        return pixman_image_create_bits(alpha ? PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8, (int)w, (int)h,
                                        (uint32_t *)(void *)image->data, (int)image->stride);
    }
    uint32_t bpp = qxl_bitmap_format_bpp(image->format);
    if (bpp == 0 || image->format == SPICE_BITMAP_FMT_8BIT_A ||
        (uint64_t)image->stride * h > image->data_size ||
        (uint64_t)image->stride * 8 < (uint64_t)w * bpp) {
        return NULL;
    }
    /* Counted, so that a GLZ dictionary can keep these pixels after the draw is done. */
    GlzSharedPixels *shared = glz_shared_pixels_new((size_t)w * h * 4);
    if (!shared) {
        return NULL;
    }
    uint32_t *pixels = (uint32_t *)(void *)glz_shared_pixels_data(shared);
    for (uint32_t y = 0; y < h; y++) {
        const uint8_t *row = image->data + (size_t)y * image->stride;
        uint32_t *out = pixels + (size_t)y * w;
        for (uint32_t x = 0; x < w; x++) {
            switch (image->format) {
            case SPICE_BITMAP_FMT_16BIT:
                out[x] = expand_555((uint16_t)(row[2 * x] | (row[2 * x + 1] << 8)));
                break;
            case SPICE_BITMAP_FMT_24BIT:   /* bytes B, G, R */
                out[x] = ((uint32_t)row[3 * x + 2] << 16) | ((uint32_t)row[3 * x + 1] << 8) |
                         row[3 * x];
                break;
            default:
                out[x] = image->palette.ents[palette_index(row, x, image->format)] & 0xffffff;
                break;
            }
        }
    }
    pixman_image_t *result = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, pixels,
                                                      (int)(w * 4));
    if (!result) {
        glz_shared_pixels_unref(shared);
        return NULL;
    }
    pixman_image_set_destroy_function(result, unref_pixels, shared);
    if (owner) {
        *owner = shared;
    }
    return result;
}
