/* scene: what the demo guest shows: an animated desktop, or one still image pixel for pixel. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "qxl-device.h"

/*
 * The desktop: a wallpaper, a taskbar with a clock, a terminal where commands are typed and the
 * text scrolls (QXL_COPY_BITS), a system monitor whose graph scrolls every frame, an about
 * window, and a mouse cursor that wanders (or follows the client's tablet position). Only the
 * changed regions are sent, at 25 frames per second.
 *
 * Main thread only: the frame timer runs on the thread-default GLib main context.
 * Ownership: a Scene borrows @dev (which must outlive it); an image scene copies @pixels.
 */
typedef struct Scene Scene;

/* @caption: a line for the about window (e.g. where the server listens); copied. */
Scene *scene_new_desktop(QxlDevice *dev, int width, int height, const char *caption);
/* @pixels: @width * @height xRGB pixels, rows top-down. */
Scene *scene_new_image(QxlDevice *dev, const uint32_t *pixels, int width, int height);
/* Sends the first full frame and the cursor, then starts the frame timer. */
void scene_start(Scene *scene);
/* An image scene shows @pixels (width * height xRGB of the scene, copied) from now on, sent as
 * one new full-screen drawable, like scene_redraw. */
void scene_show_image(Scene *scene, const uint32_t *pixels);
/* Image scenes: guest drawing steps after the pictures (see DemoImageStep in options.h). XORs
 * @box with @color (a FILL with SPICE_ROPD_OP_XOR); moves the picture up by @rows with one
 * COPY_BITS and fills the rows it frees black. */
void scene_xor(Scene *scene, int x, int y, int w, int h, uint32_t color);
void scene_scroll_up(Scene *scene, int rows);
/* Stops the animation: the picture stays as it is (what could not be sent yet still goes out). */
void scene_freeze(Scene *scene);
/* Sends the whole picture again as a new drawable (clients linked after the first draw get a
 * drawable-backed image, which upstream may code with GLZ, rather than the surface's copy). */
void scene_redraw(Scene *scene);
/* Writes the demo's own picture of the screen as a binary PPM (P6), atomically (temp file +
 * rename). False (logged, naming the file) on error. */
bool scene_write_ppm(Scene *scene, const char *path);
/* Stops the frame timer: nothing more is queued. */
void scene_stop(Scene *scene);
void scene_free(Scene *scene); /* accepts NULL; stops first */
