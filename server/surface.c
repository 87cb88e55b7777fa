/* surface: pixman canvas over owner-mapped memory, and the fill / copy / copy-bits renderers. */
#include "surface.h"

#include <glib.h>
#include <spice/enums.h>

struct Surface {
    uint32_t id;
    uint32_t format;
    uint32_t width;
    uint32_t height;
    pixman_image_t *image;  /* owned; wraps the caller's memory */
};

static pixman_format_code_t pixman_format_for(uint32_t format)
{
    switch (format) {
    case SPICE_SURFACE_FMT_32_xRGB: return PIXMAN_x8r8g8b8;
    case SPICE_SURFACE_FMT_32_ARGB: return PIXMAN_a8r8g8b8;
    case SPICE_SURFACE_FMT_16_555:  return PIXMAN_x1r5g5b5;
    case SPICE_SURFACE_FMT_16_565:  return PIXMAN_r5g6b5;
    case SPICE_SURFACE_FMT_8_A:     return PIXMAN_a8;
    default:                        return 0;
    }
}

bool surface_format_supported(uint32_t format)
{
    return pixman_format_for(format) != 0;
}

uint32_t surface_format_bits_per_pixel(uint32_t format)
{
    pixman_format_code_t code = pixman_format_for(format);
    return code ? PIXMAN_FORMAT_BPP(code) : 0;
}

Surface *surface_new(uint32_t id, uint32_t format, uint32_t width, uint32_t height,
                     int32_t stride, uint8_t *line0)
{
    pixman_format_code_t code = pixman_format_for(format);
    if (!code) {
        g_message("surface %u: format %u is not supported (use 32 xRGB, 32 ARGB, 16 555/565 or 8 A)",
                  id, format);
        return NULL;
    }
    /* pixman takes int sizes; keep well inside them and away from INT32_MIN strides. */
    if (width == 0 || height == 0 || width > 0x7fff || height > 0x7fff || line0 == NULL ||
        stride == INT32_MIN) {
        g_message("surface %u: size %ux%u is not usable", id, width, height);
        return NULL;
    }
    uint64_t abs_stride = stride < 0 ? (uint64_t)-(int64_t)stride : (uint64_t)stride;
    uint64_t min_stride = ((uint64_t)width * PIXMAN_FORMAT_BPP(code) + 7) / 8;
    if (abs_stride < min_stride || abs_stride % 4 != 0) {
        g_message("surface %u: stride %d cannot hold %u pixels of format %u (needs >= %" G_GUINT64_FORMAT
                  ", a multiple of 4)", id, stride, width, format, min_stride);
        return NULL;
    }
    pixman_image_t *image = pixman_image_create_bits(code, (int)width, (int)height,
                                                     (uint32_t *)(void *)line0, stride);
    if (!image) {
        g_message("surface %u: pixman refused a %ux%u canvas", id, width, height);
        return NULL;
    }
    Surface *surface = g_new0(Surface, 1);
    surface->id = id;
    surface->format = format;
    surface->width = width;
    surface->height = height;
    surface->image = image;
    return surface;
}

void surface_destroy(Surface *surface)
{
    if (!surface) {
        return;
    }
    pixman_image_unref(surface->image);
    g_free(surface);
}

uint32_t surface_get_id(const Surface *surface) { return surface->id; }
uint32_t surface_get_format(const Surface *surface) { return surface->format; }
uint32_t surface_get_width(const Surface *surface) { return surface->width; }
uint32_t surface_get_height(const Surface *surface) { return surface->height; }
pixman_image_t *surface_get_image(const Surface *surface) { return surface->image; }

bool surface_clip_box(const Surface *surface, pixman_box32_t *box)
{
    box->x1 = MAX(box->x1, 0);
    box->y1 = MAX(box->y1, 0);
    box->x2 = MIN(box->x2, (int32_t)surface->width);
    box->y2 = MIN(box->y2, (int32_t)surface->height);
    return box->x1 < box->x2 && box->y1 < box->y2;
}

/* The part of @dest that may be drawn: inside the surface and inside @clip. */
static bool drawable_region(const Surface *surface, const pixman_box32_t *dest,
                            const pixman_region32_t *clip, pixman_region32_t *out)
{
    pixman_box32_t box = *dest;
    if (!surface_clip_box(surface, &box)) {
        pixman_region32_init(out);
        return false;
    }
    pixman_region32_init_rects(out, &box, 1);
    if (clip) {
        pixman_region32_intersect(out, out, (pixman_region32_t *)clip);
    }
    return pixman_region32_not_empty(out);
}

void surface_fill(Surface *surface, const pixman_box32_t *dest, const pixman_region32_t *clip,
                  uint32_t color)
{
    pixman_region32_t region;
    if (drawable_region(surface, dest, clip, &region)) {
        int n = 0;
        const pixman_box32_t *boxes = pixman_region32_rectangles(&region, &n);
        uint32_t *bits = pixman_image_get_data(surface->image);
        int stride_words = pixman_image_get_stride(surface->image) / 4;
        int bpp = PIXMAN_FORMAT_BPP(pixman_image_get_format(surface->image));
        for (int i = 0; i < n; i++) {
            /* pixman_fill writes the raw value, exactly the guest's meaning of a solid color. */
            pixman_fill(bits, stride_words, bpp, boxes[i].x1, boxes[i].y1,
                        boxes[i].x2 - boxes[i].x1, boxes[i].y2 - boxes[i].y1, color);
        }
    }
    pixman_region32_fini(&region);
}

void surface_copy_image(Surface *surface, const pixman_box32_t *dest, pixman_image_t *src,
                        const pixman_box32_t *src_area, const pixman_region32_t *clip, bool smooth)
{
    int64_t dest_w = (int64_t)dest->x2 - dest->x1, dest_h = (int64_t)dest->y2 - dest->y1;
    int64_t src_w = (int64_t)src_area->x2 - src_area->x1, src_h = (int64_t)src_area->y2 - src_area->y1;
    if (dest_w <= 0 || dest_h <= 0 || src_w <= 0 || src_h <= 0) {
        return;
    }
    pixman_region32_t region;
    if (!drawable_region(surface, dest, clip, &region)) {
        pixman_region32_fini(&region);
        return;
    }
    pixman_image_set_clip_region32(surface->image, &region);
    if (src_w == dest_w && src_h == dest_h) {
        pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, surface->image,
                                 src_area->x1, src_area->y1, 0, 0,
                                 dest->x1, dest->y1, (int)dest_w, (int)dest_h);
    } else {
        /* Destination pixel (dest + p) samples source (src_area.origin + p * src/dest). */
        pixman_transform_t transform;
        pixman_transform_init_identity(&transform);
        transform.matrix[0][0] = (pixman_fixed_t)((src_w << 16) / dest_w);
        transform.matrix[1][1] = (pixman_fixed_t)((src_h << 16) / dest_h);
        transform.matrix[0][2] = pixman_int_to_fixed(src_area->x1);
        transform.matrix[1][2] = pixman_int_to_fixed(src_area->y1);
        pixman_image_set_transform(src, &transform);
        pixman_image_set_filter(src, smooth ? PIXMAN_FILTER_BILINEAR : PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(src, PIXMAN_REPEAT_PAD);
        pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, surface->image, 0, 0, 0, 0,
                                 dest->x1, dest->y1, (int)dest_w, (int)dest_h);
        pixman_image_set_transform(src, NULL);
        pixman_image_set_filter(src, PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(src, PIXMAN_REPEAT_NONE);
    }
    pixman_image_set_clip_region32(surface->image, NULL);
    pixman_region32_fini(&region);
}

void surface_copy_bits(Surface *surface, const pixman_box32_t *dest, int32_t src_x, int32_t src_y,
                       const pixman_region32_t *clip)
{
    pixman_region32_t region;
    if (!drawable_region(surface, dest, clip, &region)) {
        pixman_region32_fini(&region);
        return;
    }
    /* Offsets from destination to source, in 64 bits: guest values may be anywhere. */
    int64_t dx = (int64_t)src_x - dest->x1, dy = (int64_t)src_y - dest->y1;
    if (dx <= -(int64_t)surface->width || dx >= surface->width ||
        dy <= -(int64_t)surface->height || dy >= surface->height) {
        pixman_region32_fini(&region);
        return;
    }
    /* Keep only destination pixels whose source is inside the surface. */
    pixman_box32_t valid = { (int32_t)MAX(0, -dx), (int32_t)MAX(0, -dy),
                             (int32_t)MIN((int64_t)surface->width, surface->width - dx),
                             (int32_t)MIN((int64_t)surface->height, surface->height - dy) };
    pixman_region32_t valid_region;
    pixman_region32_init_rects(&valid_region, &valid, 1);
    pixman_region32_intersect(&region, &region, &valid_region);
    pixman_region32_fini(&valid_region);
    if (pixman_region32_not_empty(&region)) {
        /* Read the whole source first so overlapping moves never see half-written pixels. */
        const pixman_box32_t *extents = pixman_region32_extents(&region);
        int w = extents->x2 - extents->x1, h = extents->y2 - extents->y1;
        pixman_image_t *copy = pixman_image_create_bits(pixman_image_get_format(surface->image),
                                                        w, h, NULL, 0);
        if (copy) {
            pixman_image_composite32(PIXMAN_OP_SRC, surface->image, NULL, copy,
                                     (int)(extents->x1 + dx), (int)(extents->y1 + dy), 0, 0,
                                     0, 0, w, h);
            pixman_image_set_clip_region32(surface->image, &region);
            pixman_image_composite32(PIXMAN_OP_SRC, copy, NULL, surface->image, 0, 0, 0, 0,
                                     extents->x1, extents->y1, w, h);
            pixman_image_set_clip_region32(surface->image, NULL);
            pixman_image_unref(copy);
        } else {
            g_message("surface %u: no memory for a %dx%d copy-bits buffer; the move is skipped",
                      surface->id, w, h);
        }
    }
    pixman_region32_fini(&region);
}

void surface_read_rect_32(const Surface *surface, const pixman_box32_t *area, uint8_t *out,
                          uint32_t out_stride)
{
    int w = area->x2 - area->x1, h = area->y2 - area->y1;
    pixman_format_code_t code = surface->format == SPICE_SURFACE_FMT_32_ARGB ||
                                surface->format == SPICE_SURFACE_FMT_8_A ?
                                PIXMAN_a8r8g8b8 : PIXMAN_x8r8g8b8;
    pixman_image_t *target = pixman_image_create_bits(code, w, h, (uint32_t *)(void *)out,
                                                      (int)out_stride);
    if (!target) {
        return;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, surface->image, NULL, target,
                             area->x1, area->y1, 0, 0, 0, 0, w, h);
    pixman_image_unref(target);
}
