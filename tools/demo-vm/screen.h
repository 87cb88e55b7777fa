/* screen: sends what the demo draws on its framebuffer to the QXL device as fills, copies and COPY_BITS, catching up when the rings are full. */
#pragma once

#include "framebuffer.h"
#include "qxl-device.h"

/*
 * The scene draws on screen_framebuffer() first, then says what changed. When the device cannot
 * take a command (ring or guest RAM full: the library is slow or the VM has no client), the
 * screen remembers the damaged area and later sends it as plain copies of the framebuffer, so
 * the library always ends up with the same picture.
 *
 * Main thread only. Ownership: the Screen owns its framebuffer and borrows @dev, which must
 * outlive it.
 */
typedef struct Screen Screen;

Screen *screen_new(QxlDevice *dev, int width, int height);
void screen_free(Screen *screen); /* accepts NULL */
Framebuffer *screen_framebuffer(Screen *screen);

/* Fills @box on the framebuffer and sends a QXL_DRAW_FILL. */
void screen_fill(Screen *screen, Box box, uint32_t color);
/* XORs @box of the framebuffer with @color and sends a QXL_DRAW_FILL with SPICE_ROPD_OP_XOR. */
void screen_xor(Screen *screen, Box box, uint32_t color);
/* Sends @box of the framebuffer (already drawn) as a QXL_DRAW_COPY. */
void screen_update(Screen *screen, Box box);
/* Moves the @box-sized area at (@src_x, @src_y) to @box on the framebuffer and sends a QXL_COPY_BITS. */
void screen_scroll(Screen *screen, Box box, int src_x, int src_y);
/* Sends what could not be sent before, then wakes the library. Once per frame. */
void screen_flush(Screen *screen);
