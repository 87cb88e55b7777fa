/* screen: sends what the demo draws on its framebuffer to the QXL device as fills, copies and COPY_BITS, catching up when the rings are full. */
#include "screen.h"

#include <glib.h>

/* Catch-up copies are sent in bands this tall, so each fits in guest RAM on its own. */
#define CATCH_UP_BAND_ROWS 64

struct Screen {
    QxlDevice *dev;
    Framebuffer *fb;
    /* Area whose pixels the library may not have: while not empty, every change joins it
     * (commands must stay in order, so nothing is sent past it). */
    Box behind;
};

Screen *screen_new(QxlDevice *dev, int width, int height)
{
    Screen *screen = g_new0(Screen, 1);
    screen->dev = dev;
    screen->fb = fb_new(width, height);
    return screen;
}

void screen_free(Screen *screen)
{
    if (screen == NULL) {
        return;
    }
    fb_free(screen->fb);
    g_free(screen);
}

Framebuffer *screen_framebuffer(Screen *screen)
{
    return screen->fb;
}

static QXLRect rect_of(Box box)
{
    return (QXLRect){ .top = box.y, .left = box.x, .bottom = box.y + box.h, .right = box.x + box.w };
}

static bool send_copy(Screen *screen, Box box)
{
    QXLRect rect = rect_of(box);
    const uint32_t *origin = screen->fb->pixels + (size_t)box.y * screen->fb->width + box.x;
    return qxl_device_copy(screen->dev, &rect, origin, (uint32_t)screen->fb->width);
}

void screen_fill(Screen *screen, Box box, uint32_t color)
{
    box = fb_clip(screen->fb, box);
    if (box_empty(box)) {
        return;
    }
    fb_fill(screen->fb, box, color);
    QXLRect rect = rect_of(box);
    if (!box_empty(screen->behind) || !qxl_device_fill(screen->dev, &rect, color)) {
        screen->behind = box_union(screen->behind, box);
    }
}

void screen_xor(Screen *screen, Box box, uint32_t color)
{
    box = fb_clip(screen->fb, box);
    if (box_empty(box)) {
        return;
    }
    for (int y = box.y; y < box.y + box.h; y++) {
        uint32_t *row = screen->fb->pixels + (size_t)y * screen->fb->width;
        for (int x = box.x; x < box.x + box.w; x++) {
            row[x] ^= color & 0xffffffu;
        }
    }
    QXLRect rect = rect_of(box);
    /* Behind, the catch-up copies send the XORed framebuffer instead. */
    if (!box_empty(screen->behind) ||
        !qxl_device_fill_rop(screen->dev, &rect, color, SPICE_ROPD_OP_XOR)) {
        screen->behind = box_union(screen->behind, box);
    }
}

void screen_update(Screen *screen, Box box)
{
    box = fb_clip(screen->fb, box);
    if (box_empty(box)) {
        return;
    }
    if (!box_empty(screen->behind) || !send_copy(screen, box)) {
        screen->behind = box_union(screen->behind, box);
    }
}

void screen_scroll(Screen *screen, Box box, int src_x, int src_y)
{
    Box clipped = fb_clip(screen->fb, box);
    Box source = fb_clip(screen->fb, (Box){ src_x, src_y, box.w, box.h });
    if (box_empty(box) || clipped.w != box.w || clipped.h != box.h || source.w != box.w || source.h != box.h) {
        g_warning("scroll outside the screen ignored");
        return;
    }
    fb_move(screen->fb, box, src_x, src_y);
    QXLRect rect = rect_of(box);
    if (!box_empty(screen->behind) || !qxl_device_copy_bits(screen->dev, &rect, src_x, src_y)) {
        screen->behind = box_union(screen->behind, box);
    }
}

void screen_flush(Screen *screen)
{
    while (!box_empty(screen->behind)) {
        Box band = screen->behind;
        band.h = MIN(band.h, CATCH_UP_BAND_ROWS);
        if (!send_copy(screen, band)) {
            break;
        }
        screen->behind.y += band.h;
        screen->behind.h -= band.h;
    }
    qxl_device_kick(screen->dev);
}
