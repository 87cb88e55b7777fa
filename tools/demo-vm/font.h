/* font: a built-in 5x8 bitmap font for printable ASCII, drawn by the demo's scene. */
#pragma once

#include <stdint.h>

#define FONT_GLYPH_WIDTH 5
#define FONT_GLYPH_HEIGHT 8
/* Cell size for text layout: one column and two rows of spacing. */
#define FONT_CELL_WIDTH 6
#define FONT_CELL_HEIGHT 10

/*
 * The rows of @c's glyph (FONT_GLYPH_HEIGHT bytes; bit 4 is the leftmost pixel, bit 0 the
 * rightmost). Characters outside printable ASCII get a box. The returned table is static.
 */
const uint8_t *font_glyph(char c);
