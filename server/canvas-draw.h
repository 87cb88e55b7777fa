/* canvas-draw: renders every QXL draw op (rop descriptors, rop3, brushes, masks, stroke, text, alpha, composite) into a Surface. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>

#include "qxl/qxl-parse.h"
#include "surface.h"

/*
 * The worker resolves guest images into pixman images (bitmaps converted, other surfaces wrapped)
 * and computes the region a draw may touch (bbox, clip, QMask, surface bounds); these functions
 * then change exactly the pixels of that region, with upstream's canvas semantics:
 *
 * - A rop descriptor (SPICE_ROPD_*) combines an input "s" with the destination "d": PUT s, OR,
 *   AND, XOR; each input optionally inverted first, the result optionally inverted
 *   (INVERS_RES); BLACKNESS, WHITENESS and INVERS (of d) ignore the inputs. Which input bits
 *   apply depends on the draw: FILL uses INVERS_BRUSH for s and INVERS_DEST for d; COPY/BLEND
 *   INVERS_SRC and INVERS_DEST; OPAQUE draws the source, then the brush over it with
 *   INVERS_BRUSH for the brush and INVERS_SRC for the drawn source.
 * - ROP3 is the Windows ternary raster operation over pattern (brush), source and destination.
 * - Colors of solid brushes are in the surface's own format (16-bit surfaces: 555 or 565).
 *
 * Work is done in 32-bit temporaries as large as the region's extents (the region lies inside the
 * surface, so they are bounded by the surface size); when memory runs out the draw is skipped
 * with one log line. Images passed in are borrowed and may be modified (transform, repeat,
 * filter) during the call, so pass images the caller owns (e.g. a fresh wrapper of a surface).
 */

typedef struct CanvasBrush {
    uint32_t type;             /* SPICE_BRUSH_TYPE_NONE, _SOLID or _PATTERN */
    uint32_t color;            /* SOLID, in the surface's format */
    pixman_image_t *pattern;   /* PATTERN: borrowed tile */
    int32_t pattern_x;         /* tile origin on the surface */
    int32_t pattern_y;
} CanvasBrush;

/* A source image and the part of it mapped onto the draw's bbox (scaled when sizes differ). */
typedef struct CanvasSource {
    pixman_image_t *image;     /* borrowed */
    pixman_box32_t area;       /* inside the image */
    bool smooth;               /* SPICE_IMAGE_SCALE_MODE_INTERPOLATE */
} CanvasSource;

/* Applies a rop descriptor to two 32-bit values, for callers and tests. */
uint32_t canvas_ropd_apply(uint16_t ropd, bool invert_s, bool invert_d, uint32_t s, uint32_t d);
/* The ternary rop: each result bit is bit (p << 2 | s << 1 | d) of @rop3. */
uint32_t canvas_rop3_apply(uint8_t rop3, uint32_t p, uint32_t s, uint32_t d);

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
