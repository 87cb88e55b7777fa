/* canvas: every SPICE draw operation on a pixman image; one renderer shared by the server (QXL draws) and the client (display messages). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pixman.h>

/*
 * Callers (server/canvas-draw.c from parsed QXL commands, client/display-state.c from parsed
 * display messages) resolve images into pixman images and compute the region a draw may touch
 * (bbox, clip rects, QMask); these functions then change exactly the pixels of that region of
 * @dest (a pixman image of format x8r8g8b8, a8r8g8b8, x1r5g5b5, r5g6b5 or a8, the SPICE surface
 * formats), with the semantics of upstream's canvas, so that a client shows what spice-gtk
 * shows and the server's guest memory equals it:
 *
 * - A rop descriptor (SPICE_ROPD_*) combines an input "s" with the destination "d": PUT s, OR,
 *   AND, XOR; each input optionally inverted first, the result optionally inverted
 *   (INVERS_RES); BLACKNESS, WHITENESS and INVERS (of d) ignore the inputs. Which input bits
 *   apply depends on the draw: FILL uses INVERS_BRUSH for s and INVERS_DEST for d; COPY/BLEND
 *   INVERS_SRC and INVERS_DEST; OPAQUE draws the source, then the brush over it with
 *   INVERS_BRUSH for the brush and INVERS_SRC for the drawn source.
 * - ROP3 is the Windows ternary raster operation over pattern (brush), source and destination.
 * - Colors of solid brushes are in the destination's format (16-bit: 555 or 565).
 *
 * Work is done in 32-bit temporaries as large as the region's extents clipped to @dest, so
 * they are bounded by @dest's size; when memory runs out the draw is skipped with one log line.
 * Images passed in are borrowed and may be modified (transform, repeat, filter) during the call,
 * so pass images the caller owns. Every array a struct below points to is borrowed for the call
 * and checked against the counts given with it: a wrong count never reads outside it.
 */

typedef struct CanvasBrush {
    uint32_t type;             /* SPICE_BRUSH_TYPE_NONE, _SOLID or _PATTERN */
    uint32_t color;            /* SOLID, in the destination's format */
    pixman_image_t *pattern;   /* PATTERN: borrowed tile (NULL draws nothing) */
    int32_t pattern_x;         /* tile origin on the destination */
    int32_t pattern_y;
} CanvasBrush;

/* A source image and the part of it mapped onto the draw's bbox (scaled when sizes differ). */
typedef struct CanvasSource {
    pixman_image_t *image;     /* borrowed */
    pixman_box32_t area;       /* inside the image */
    bool smooth;               /* SPICE_IMAGE_SCALE_MODE_INTERPOLATE */
} CanvasSource;

/* A QMask: 1-bit rows, top row first; pixel (x, y) of it lands on the bbox's top-left corner. */
typedef struct CanvasMask {
    const uint8_t *bits;       /* borrowed: height rows of stride bytes */
    uint32_t width;
    uint32_t height;
    size_t stride;             /* >= (width + 7) / 8 */
    bool msb_first;            /* SPICE_BITMAP_FMT_1BIT_BE (else 1BIT_LE) */
    bool invert;               /* SPICE_MASK_FLAGS_INVERS: clear bits keep pixels */
    int32_t x;
    int32_t y;
} CanvasMask;

/* A path point in 28.4 fixed point. */
typedef struct CanvasPointFix {
    int32_t x;
    int32_t y;
} CanvasPointFix;

typedef struct CanvasPathSegment {
    uint32_t flags;            /* SPICE_PATH_BEGIN / END / CLOSE / BEZIER */
    uint32_t first_point;      /* index into CanvasStroke.points */
    uint32_t count;            /* points of this segment */
} CanvasPathSegment;

typedef struct CanvasStroke {
    uint32_t num_segments;
    const CanvasPathSegment *segments;
    uint32_t num_points;
    const CanvasPointFix *points;
    uint8_t attr_flags;        /* SPICE_LINE_FLAGS_STYLED / START_WITH_GAP */
    uint8_t style_nseg;
    const int32_t *style;      /* style_nseg 28.4 dash lengths (STYLED only) */
    uint16_t fore_mode;        /* SPICE_ROPD_* */
} CanvasStroke;

/* One raster glyph: its box's top-left is render + origin. */
typedef struct CanvasGlyph {
    int32_t render_x;
    int32_t render_y;
    int32_t origin_x;
    int32_t origin_y;
    uint16_t width;
    uint16_t height;
    uint32_t stride;           /* bytes per row, >= (width * bpp + 7) / 8 */
    const uint8_t *bits;       /* borrowed: height * stride bytes, bottom row first */
} CanvasGlyph;

typedef struct CanvasText {
    uint32_t bpp;              /* 1 (RASTER_A1), 4 (A4) or 8 (A8) */
    uint32_t num_glyphs;
    const CanvasGlyph *glyphs;
    pixman_box32_t back_area;  /* empty: no background */
    uint16_t fore_mode;        /* SPICE_ROPD_* */
    uint16_t back_mode;
} CanvasText;

typedef struct CanvasComposite {
    uint32_t flags;            /* QXLComposite/SpiceComposite flags: operator, filters, repeats, CA */
    bool has_src_transform;
    uint32_t src_transform[6]; /* t00 t01 t02 t10 t11 t12, 16.16 fixed */
    bool has_mask_transform;
    uint32_t mask_transform[6];
    int16_t src_x;
    int16_t src_y;
    int16_t mask_x;
    int16_t mask_y;
} CanvasComposite;

/* Applies a rop descriptor to two 32-bit values, for callers and tests. */
uint32_t canvas_ropd_apply(uint16_t ropd, bool invert_s, bool invert_d, uint32_t s, uint32_t d);
/* The ternary rop: each result bit is bit (p << 2 | s << 1 | d) of @rop3. */
uint32_t canvas_rop3_apply(uint8_t rop3, uint32_t p, uint32_t s, uint32_t d);

/*
 * Intersects @region with @mask placed so that its pixel (mask->x, mask->y) lands on
 * (@origin_x, @origin_y). Returns false when out of memory (region unchanged).
 */
bool canvas_mask_region(pixman_region32_t *region, const CanvasMask *mask, int32_t origin_x,
                        int32_t origin_y);

/* The region of a draw: @box inside @dest, intersected with @clip (NULL = none). */
void canvas_draw_region(pixman_image_t *dest, const pixman_box32_t *box,
                        const pixman_region32_t *clip, pixman_region32_t *out);

/* FILL (and BLACKNESS / WHITENESS / INVERS with their rop descriptors and brush NONE). */
void canvas_fill(pixman_image_t *dest, const pixman_region32_t *region, const CanvasBrush *brush,
                 uint16_t ropd);
/* COPY and BLEND: the source mapped onto @bbox, combined with rop descriptor @ropd. */
void canvas_copy(pixman_image_t *dest, const pixman_region32_t *region, const pixman_box32_t *bbox,
                 const CanvasSource *src, uint16_t ropd);
/* OPAQUE: the source, then the brush over it. */
void canvas_opaque(pixman_image_t *dest, const pixman_region32_t *region,
                   const pixman_box32_t *bbox, const CanvasSource *src, const CanvasBrush *brush,
                   uint16_t ropd);
void canvas_rop3(pixman_image_t *dest, const pixman_region32_t *region, const pixman_box32_t *bbox,
                 const CanvasSource *src, const CanvasBrush *brush, uint8_t rop3);
/*
 * TRANSPARENT: source pixels equal to @true_color (xRGB; compared at the destination's
 * precision) leave the destination alone. Scaled like COPY when the sizes differ.
 */
void canvas_transparent(pixman_image_t *dest, const pixman_region32_t *region,
                        const pixman_box32_t *bbox, const CanvasSource *src, uint32_t true_color);
/* ALPHA_BLEND: source OVER destination with a constant @alpha (and the source's own alpha if
 * its format has one). */
void canvas_alpha_blend(pixman_image_t *dest, const pixman_region32_t *region,
                        const pixman_box32_t *bbox, const CanvasSource *src, uint8_t alpha);
/*
 * STROKE: zero-width lines as X draws them (CapNotLast, the default octant bias for ties),
 * beziers flattened, optional dashes; fore_mode rop with @brush. Work is bounded whatever the
 * path holds.
 */
void canvas_stroke(pixman_image_t *dest, const pixman_region32_t *region,
                   const CanvasStroke *stroke, const CanvasBrush *brush);
/*
 * TEXT: back_area with @back (if not NONE), then the glyphs with @fore: A1 glyphs through the
 * fore_mode rop; A4/A8 glyphs blend a solid @fore OVER by their coverage. Glyph rows are read
 * bottom row first, as upstream's canvas does (it ignores RASTER_TOP_DOWN).
 */
void canvas_text(pixman_image_t *dest, const pixman_region32_t *region, const CanvasText *text,
                 const CanvasBrush *fore, const CanvasBrush *back);
/* COMPOSITE: pixman's operator with the transforms, filters and repeats of @composite (values
 * the caller checked: operator <= PIXMAN_OP_HSL_LUMINOSITY, filters, repeats). */
void canvas_composite(pixman_image_t *dest, const pixman_region32_t *region,
                      const pixman_box32_t *bbox, const CanvasComposite *composite,
                      pixman_image_t *src, pixman_image_t *mask);

/* True when bits 0-18 of @flags name an operator and filters pixman knows (repeats always do);
 * what a parser checks. Bits 19 and up are not looked at (on the wire: HAS_MASK and others). */
bool canvas_composite_flags_valid(uint32_t flags);
