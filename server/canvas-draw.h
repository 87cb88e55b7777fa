/* canvas-draw: every QXL draw op (rop descriptors, rop3, brushes, masks, stroke, text, alpha, composite) on a Surface, through the shared canvas/ renderer. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>

#include "canvas/canvas.h"
#include "qxl/qxl-parse.h"
#include "surface.h"

/*
 * The worker resolves guest images into pixman images (bitmaps converted, other surfaces wrapped)
 * and computes the region a draw may touch (bbox, clip, QMask, surface bounds); these functions
 * turn the parsed QXL structs into canvas/canvas.h's neutral ones and render with it, so the
 * server and our client draw with one piece of code. The semantics (rop descriptors, rop3,
 * brushes, strokes, text, composite) are documented in canvas/canvas.h; CanvasBrush and
 * CanvasSource come from there. Images passed in are borrowed and may be modified (transform,
 * repeat, filter) during the call, so pass images the caller owns.
 */

/*
 * Intersects @region with a QMask: @mask is a 1-bit top-down image (format 1BIT_LE or 1BIT_BE,
 * from qxl-parse) whose pixel (mask->x, mask->y) lands on (@origin_x, @origin_y); set bits keep
 * pixels (clear bits with SPICE_MASK_FLAGS_INVERS). Returns false when out of memory.
 */
bool canvas_region_apply_mask(pixman_region32_t *region, const QxlMask *mask,
                              int32_t origin_x, int32_t origin_y);

/* FILL (and BLACKNESS / WHITENESS / INVERS with their rop descriptors and brush NONE). */
void canvas_draw_fill(Surface *surface, const pixman_region32_t *region, const CanvasBrush *brush,
                      uint16_t ropd);
/* COPY and BLEND: the source mapped onto @bbox, combined with rop descriptor @ropd. */
void canvas_draw_copy(Surface *surface, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, uint16_t ropd);
/* OPAQUE: the source, then the brush over it. */
void canvas_draw_opaque(Surface *surface, const pixman_region32_t *region,
                        const pixman_box32_t *bbox, const CanvasSource *src,
                        const CanvasBrush *brush, uint16_t ropd);
void canvas_draw_rop3(Surface *surface, const pixman_region32_t *region, const pixman_box32_t *bbox,
                      const CanvasSource *src, const CanvasBrush *brush, uint8_t rop3);
/* TRANSPARENT: source pixels equal to @true_color (xRGB) leave the destination alone. */
void canvas_draw_transparent(Surface *surface, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src,
                             uint32_t true_color);
/* ALPHA_BLEND: source OVER destination with a constant @alpha (the source's own alpha if any). */
void canvas_draw_alpha_blend(Surface *surface, const pixman_region32_t *region,
                             const pixman_box32_t *bbox, const CanvasSource *src, uint8_t alpha);
/*
 * STROKE: zero-width lines as X draws them (CapNotLast, the default octant bias for ties),
 * beziers flattened, optional dashes; fore_mode rop.
 */
void canvas_draw_stroke(Surface *surface, const pixman_region32_t *region, const QxlStroke *stroke,
                        const CanvasBrush *brush);
/*
 * TEXT: back_area with the back brush (if any), then the 1-bit glyphs with the fore brush. Glyph
 * rows are read bottom row first, as upstream's canvas does (it ignores RASTER_TOP_DOWN).
 */
void canvas_draw_text(Surface *surface, const pixman_region32_t *region, const QxlText *text,
                      const CanvasBrush *fore, const CanvasBrush *back);
/* COMPOSITE: pixman's operator with the guest's transforms, filters and repeats. */
void canvas_draw_composite(Surface *surface, const pixman_region32_t *region,
                           const pixman_box32_t *bbox, const QxlComposite *composite,
                           pixman_image_t *src, pixman_image_t *mask);
