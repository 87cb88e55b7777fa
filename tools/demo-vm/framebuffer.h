/* framebuffer: the demo guest's own picture of its screen (xRGB pixels) and the drawing primitives the scene uses. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Box {
    int x, y, w, h;
} Box;

/* Pixels are 0x00RRGGBB, rows top-down, stride == width. Owned by whoever calls fb_new. */
typedef struct Framebuffer {
    uint32_t *pixels;
    int width;
    int height;
} Framebuffer;

Framebuffer *fb_new(int width, int height);
void fb_free(Framebuffer *fb); /* accepts NULL */

/* @box cut to the framebuffer (w or h 0 when nothing is left). */
Box fb_clip(const Framebuffer *fb, Box box);
bool box_empty(Box box);
Box box_union(Box a, Box b); /* an empty box is ignored */

/* Every primitive clips to the framebuffer. */
void fb_fill(Framebuffer *fb, Box box, uint32_t color);
/* 1-pixel outline just inside @box. */
void fb_frame(Framebuffer *fb, Box box, uint32_t color);
/* Vertical gradient from @top to @bottom. */
void fb_gradient(Framebuffer *fb, Box box, uint32_t top, uint32_t bottom);
/* Text with the built-in font, each font pixel @scale x @scale; returns the width it takes. */
int fb_text(Framebuffer *fb, int x, int y, const char *text, uint32_t color, int scale);
int fb_text_width(const char *text, int scale);
/* Copies the @dst-sized area at (@src_x, @src_y) to @dst (overlap-safe, as QXL_COPY_BITS). @dst and the source must be inside. */
void fb_move(Framebuffer *fb, Box dst, int src_x, int src_y);
/* Mix of two colours, @t in 0..256. */
uint32_t color_mix(uint32_t a, uint32_t b, int t);
