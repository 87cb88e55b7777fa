/* canvas-draw: the QXL draw ops on a Surface: parsed QXL structs turned into canvas/ structs and rendered by the shared canvas. */
#include "canvas-draw.h"

#include <glib.h>
#include <spice/enums.h>

bool canvas_region_apply_mask(pixman_region32_t *region, const QxlMask *mask,
                              int32_t origin_x, int32_t origin_y)
{
    const QxlImage *bm = mask->bitmap;
    if (!bm || !bm->data) {
        return true;
    }
    CanvasMask m = {
        .bits = bm->data, .width = bm->width, .height = bm->height, .stride = bm->stride,
        .msb_first = bm->format == SPICE_BITMAP_FMT_1BIT_BE,
        .invert = mask->flags & SPICE_MASK_FLAGS_INVERS, .x = mask->x, .y = mask->y,
    };
    return canvas_mask_region(region, &m, origin_x, origin_y);
}

void canvas_draw_fill(Surface *surface, const pixman_region32_t *region, const CanvasBrush *brush,
                      uint16_t ropd)
{
    canvas_fill(surface_get_image(surface), region, brush, ropd);
}

void canvas_draw_copy(Surface *surface, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, uint16_t ropd)
{
    canvas_copy(surface_get_image(surface), region, bbox, src, ropd);
}

void canvas_draw_opaque(Surface *surface, const pixman_region32_t *region,
                        const pixman_box32_t *bbox, const CanvasSource *src,
                        const CanvasBrush *brush, uint16_t ropd)
{
    canvas_opaque(surface_get_image(surface), region, bbox, src, brush, ropd);
}

void canvas_draw_rop3(Surface *surface, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, const CanvasBrush *brush, uint8_t rop3)
{
    canvas_rop3(surface_get_image(surface), region, bbox, src, brush, rop3);
}

void canvas_draw_transparent(Surface *surface, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src,
                             uint32_t true_color)
{
    canvas_transparent(surface_get_image(surface), region, bbox, src, true_color);
}

void canvas_draw_alpha_blend(Surface *surface, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src, uint8_t alpha)
{
    canvas_alpha_blend(surface_get_image(surface), region, bbox, src, alpha);
}

void canvas_draw_stroke(Surface *surface, const pixman_region32_t *region, const QxlStroke *stroke,
                        const CanvasBrush *brush)
{
    /* The parser's arrays have the canvas's shape, but are copied field by field: the two
     * structs are separate contracts and may drift apart. */
    const QxlPath *path = &stroke->path;
    CanvasPathSegment *segments = g_new(CanvasPathSegment, MAX(path->num_segments, 1));
    CanvasPointFix *points = g_new(CanvasPointFix, MAX(path->num_points, 1));
    for (uint32_t i = 0; i < path->num_segments; i++) {
        segments[i] = (CanvasPathSegment) { path->segments[i].flags, path->segments[i].first_point,
                                            path->segments[i].count };
    }
    for (uint32_t i = 0; i < path->num_points; i++) {
        points[i] = (CanvasPointFix) { path->points[i].x, path->points[i].y };
    }
    CanvasStroke s = {
        .num_segments = path->num_segments, .segments = segments,
        .num_points = path->num_points, .points = points,
        .attr_flags = stroke->attr_flags, .style_nseg = stroke->style_nseg, .style = stroke->style,
        .fore_mode = stroke->fore_mode,
    };
    canvas_stroke(surface_get_image(surface), region, &s, brush);
    g_free(segments);
    g_free(points);
}

void canvas_draw_text(Surface *surface, const pixman_region32_t *region, const QxlText *text,
                      const CanvasBrush *fore, const CanvasBrush *back)
{
    CanvasGlyph *glyphs = g_new0(CanvasGlyph, MAX(text->num_glyphs, 1));
    for (uint32_t i = 0; i < text->num_glyphs; i++) {
        const QxlGlyph *g = &text->glyphs[i];
        /* The parser checked height * stride bytes lie inside glyph_data at data_offset. */
        glyphs[i] = (CanvasGlyph) {
            .render_x = g->render_x, .render_y = g->render_y, .origin_x = g->origin_x,
            .origin_y = g->origin_y, .width = g->width, .height = g->height, .stride = g->stride,
            .bits = text->glyph_data + g->data_offset,
        };
    }
    uint32_t bpp = (text->string_flags & SPICE_STRING_FLAGS_RASTER_A4) ? 4 :
                   (text->string_flags & SPICE_STRING_FLAGS_RASTER_A8) ? 8 : 1;
    CanvasText t = {
        .bpp = bpp, .num_glyphs = text->num_glyphs, .glyphs = glyphs,
        .back_area = { text->back_area.left, text->back_area.top, text->back_area.right,
                       text->back_area.bottom },
        .fore_mode = text->fore_mode, .back_mode = text->back_mode,
    };
    canvas_text(surface_get_image(surface), region, &t, fore, back);
    g_free(glyphs);
}

void canvas_draw_composite(Surface *surface, const pixman_region32_t *region,
                           const pixman_box32_t *bbox, const QxlComposite *composite,
                           pixman_image_t *src, pixman_image_t *mask)
{
    CanvasComposite c = {
        .flags = composite->flags,
        .has_src_transform = composite->has_src_transform,
        .has_mask_transform = composite->has_mask_transform,
        .src_x = composite->src_x, .src_y = composite->src_y,
        .mask_x = composite->mask_x, .mask_y = composite->mask_y,
    };
    for (int i = 0; i < 6; i++) {
        c.src_transform[i] = composite->src_transform[i];
        c.mask_transform[i] = composite->mask_transform[i];
    }
    canvas_composite(surface_get_image(surface), region, bbox, &c, src, mask);
}
