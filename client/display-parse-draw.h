/* display-parse-draw: bounds-checked parsing of the draw messages with brushes, paths, glyph strings and transforms (COPY/BLEND/OPAQUE/ROP3, STROKE, TEXT, COMPOSITE) and of QMask bitmaps. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "canvas/canvas.h"
#include "client/display-parse.h"

/*
 * Same rules as display-parse.h: every parser reads only inside (body, size), returns false on a
 * malformed body, and pointers into the body live as long as the caller's buffer. Arrays the
 * parsers allocate are freed by the matching *_clear function, which the caller calls whatever
 * the parser returned (it accepts a struct the parser left half-filled). Paths and glyphs come
 * out as canvas/canvas.h structs so they go to the canvas without another copy.
 */

typedef struct DisplayBrush {
    uint8_t type;                 /* SPICE_BRUSH_TYPE_NONE, _SOLID or _PATTERN */
    uint32_t color;               /* SOLID */
    uint32_t pattern_offset;      /* PATTERN: the tile's SpiceImage, never 0 */
    int32_t pattern_x, pattern_y; /* PATTERN: tile origin */
} DisplayBrush;

/* DRAW_COPY, DRAW_BLEND, DRAW_OPAQUE and DRAW_ROP3 in one shape. */
typedef struct DisplayCopyDraw {
    DisplayBase base;
    uint32_t src_bitmap_offset;   /* never 0 after a successful parse */
    DisplayRect src_area;         /* sane */
    DisplayBrush brush;           /* OPAQUE and ROP3; type NONE otherwise */
    uint16_t rop_descriptor;      /* SPICE_ROPD_*; 0 for ROP3 */
    uint8_t rop3;                 /* ROP3 only */
    uint8_t scale_mode;           /* SPICE_IMAGE_SCALE_MODE_* */
    DisplayMask mask;
} DisplayCopyDraw;
/* @type is SPICE_MSG_DISPLAY_DRAW_COPY, _BLEND, _OPAQUE or _ROP3 (others: false). */
bool display_parse_copy_draw(uint16_t type, const uint8_t *body, size_t size, DisplayCopyDraw *out);

/* Paths hold at most this many points in all (a 4-byte-per-point message could not say more). */
#define DISPLAY_MAX_PATH_POINTS (1u << 22)

typedef struct DisplayStroke {
    DisplayBase base;
    CanvasStroke stroke;          /* segments, points and style g_malloc'd (display_stroke_clear) */
    DisplayBrush brush;
    uint16_t back_mode;
} DisplayStroke;
bool display_parse_stroke(const uint8_t *body, size_t size, DisplayStroke *out);
void display_stroke_clear(DisplayStroke *stroke);

typedef struct DisplayText {
    DisplayBase base;
    uint8_t string_flags;         /* exactly one of RASTER_A1 / A4 / A8, maybe TOP_DOWN */
    CanvasText text;              /* glyphs g_malloc'd (display_text_clear); their bits in the body */
    DisplayBrush fore_brush;
    DisplayBrush back_brush;
} DisplayText;
bool display_parse_text(const uint8_t *body, size_t size, DisplayText *out);
void display_text_clear(DisplayText *text);

typedef struct DisplayComposite {
    DisplayBase base;
    CanvasComposite composite;    /* flags checked with canvas_composite_flags_valid */
    uint32_t src_bitmap_offset;   /* never 0 after a successful parse */
    uint32_t mask_bitmap_offset;  /* 0 = no mask */
} DisplayComposite;
bool display_parse_composite(const uint8_t *body, size_t size, DisplayComposite *out);

/*
 * The 1-bit rows of a QMask whose image is an uncompressed BITMAP of format 1BIT_LE/BE:
 * out->bits points into the body (rows bottom-up unless out->top_down). False when the image is
 * anything else (the caller then decodes it as an image) or malformed.
 */
typedef struct DisplayMaskBits {
    const uint8_t *bits;
    uint32_t width, height, stride;
    bool msb_first;               /* 1BIT_BE */
    bool top_down;
} DisplayMaskBits;
bool display_parse_mask_bits(const uint8_t *body, size_t size, uint32_t offset, DisplayMaskBits *out);
