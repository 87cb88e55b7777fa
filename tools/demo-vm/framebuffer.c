/* framebuffer: the demo guest's own picture of its screen (xRGB pixels) and the drawing primitives the scene uses. */
#include "framebuffer.h"

#include <glib.h>
#include <string.h>

#include "font.h"

Framebuffer *fb_new(int width, int height)
{
    Framebuffer *fb = g_new0(Framebuffer, 1);
    fb->pixels = g_new0(uint32_t, (size_t)width * height);
    fb->width = width;
    fb->height = height;
    return fb;
}

void fb_free(Framebuffer *fb)
{
    if (fb == NULL) {
        return;
    }
    g_free(fb->pixels);
    g_free(fb);
}

bool box_empty(Box box)
{
    return box.w <= 0 || box.h <= 0;
}

Box box_union(Box a, Box b)
{
    if (box_empty(a)) {
        return b;
    }
    if (box_empty(b)) {
        return a;
    }
    int x0 = MIN(a.x, b.x), y0 = MIN(a.y, b.y);
    int x1 = MAX(a.x + a.w, b.x + b.w), y1 = MAX(a.y + a.h, b.y + b.h);
    return (Box){ x0, y0, x1 - x0, y1 - y0 };
}

Box fb_clip(const Framebuffer *fb, Box box)
{
    int x0 = MAX(box.x, 0), y0 = MAX(box.y, 0);
    int x1 = MIN(box.x + box.w, fb->width), y1 = MIN(box.y + box.h, fb->height);
    if (x1 <= x0 || y1 <= y0) {
        return (Box){ 0, 0, 0, 0 };
    }
    return (Box){ x0, y0, x1 - x0, y1 - y0 };
}

void fb_fill(Framebuffer *fb, Box box, uint32_t color)
{
    box = fb_clip(fb, box);
    for (int y = box.y; y < box.y + box.h; y++) {
        uint32_t *row = fb->pixels + (size_t)y * fb->width;
        for (int x = box.x; x < box.x + box.w; x++) {
            row[x] = color;
        }
    }
}

void fb_frame(Framebuffer *fb, Box box, uint32_t color)
{
    fb_fill(fb, (Box){ box.x, box.y, box.w, 1 }, color);
    fb_fill(fb, (Box){ box.x, box.y + box.h - 1, box.w, 1 }, color);
    fb_fill(fb, (Box){ box.x, box.y, 1, box.h }, color);
    fb_fill(fb, (Box){ box.x + box.w - 1, box.y, 1, box.h }, color);
}

uint32_t color_mix(uint32_t a, uint32_t b, int t)
{
    uint32_t out = 0;
    for (int shift = 0; shift <= 16; shift += 8) {
        int ca = (a >> shift) & 0xff, cb = (b >> shift) & 0xff;
        out |= (uint32_t)((ca * (256 - t) + cb * t) >> 8) << shift;
    }
    return out;
}

void fb_gradient(Framebuffer *fb, Box box, uint32_t top, uint32_t bottom)
{
    for (int y = 0; y < box.h; y++) {
        int t = box.h > 1 ? y * 256 / (box.h - 1) : 0;
        fb_fill(fb, (Box){ box.x, box.y + y, box.w, 1 }, color_mix(top, bottom, t));
    }
}

int fb_text_width(const char *text, int scale)
{
    return (int)strlen(text) * FONT_CELL_WIDTH * scale;
}

int fb_text(Framebuffer *fb, int x, int y, const char *text, uint32_t color, int scale)
{
    int pen = x;
    for (const char *c = text; *c != '\0'; c++) {
        const uint8_t *rows = font_glyph(*c);
        for (int row = 0; row < FONT_GLYPH_HEIGHT; row++) {
            for (int col = 0; col < FONT_GLYPH_WIDTH; col++) {
                if (rows[row] & (1u << (FONT_GLYPH_WIDTH - 1 - col))) {
                    fb_fill(fb, (Box){ pen + col * scale, y + row * scale, scale, scale }, color);
                }
            }
        }
        pen += FONT_CELL_WIDTH * scale;
    }
    return pen - x;
}

void fb_move(Framebuffer *fb, Box dst, int src_x, int src_y)
{
    const size_t row_bytes = (size_t)dst.w * 4;
    /* Walk rows away from the overlap, like a blitter. */
    if (src_y >= dst.y) {
        for (int y = 0; y < dst.h; y++) {
            memmove(fb->pixels + (size_t)(dst.y + y) * fb->width + dst.x,
                    fb->pixels + (size_t)(src_y + y) * fb->width + src_x, row_bytes);
        }
    } else {
        for (int y = dst.h - 1; y >= 0; y--) {
            memmove(fb->pixels + (size_t)(dst.y + y) * fb->width + dst.x,
                    fb->pixels + (size_t)(src_y + y) * fb->width + src_x, row_bytes);
        }
    }
}
