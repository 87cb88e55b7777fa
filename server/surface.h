/* surface: one server-side drawing surface, a pixman canvas over memory its owner maps (guest VRAM for QXL), and the draws rendered into it. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <pixman.h>

/*
 * A Surface never owns its pixels: the QXL worker wraps the guest's surface memory (translated
 * through a memslot) so that after every draw the guest sees the same pixels the clients do; this
 * is what makes spice_qxl_update_area correct. The caller keeps the memory mapped until
 * surface_destroy(). A Surface belongs to the thread of its QXL worker.
 *
 * Every draw is clipped to the surface bounds and to an optional clip region (NULL = no clip),
 * so a box from the guest can never write outside the memory.
 */
typedef struct Surface Surface;

/* True for the SPICE_SURFACE_FMT_* values we render into (32 xRGB/ARGB, 16 555/565, 8 A). */
bool surface_format_supported(uint32_t format);
/* Bits per pixel of a supported format, 0 otherwise. */
uint32_t surface_format_bits_per_pixel(uint32_t format);

/*
 * Wraps @height lines of @stride bytes starting at @line0, the top line (a negative stride means
 * bottom-up memory: lines go down in memory address order from @line0). |stride| must be a multiple
 * of 4 and hold @width pixels. Returns NULL (with one log line) when any of that does not hold.
 */
Surface *surface_new(uint32_t id, uint32_t format, uint32_t width, uint32_t height,
                     int32_t stride, uint8_t *line0);
/* Frees the canvas (not the pixels). Accepts NULL. */
void surface_destroy(Surface *surface);

uint32_t surface_get_id(const Surface *surface);
uint32_t surface_get_format(const Surface *surface);
uint32_t surface_get_width(const Surface *surface);
uint32_t surface_get_height(const Surface *surface);
/* The canvas (borrowed; valid until surface_destroy). */
pixman_image_t *surface_get_image(const Surface *surface);

/* Intersects @box with the surface bounds; false when nothing is left. */
bool surface_clip_box(const Surface *surface, pixman_box32_t *box);

/* Fills @dest with the raw pixel value @color (in the surface's own format), rop PUT. */
void surface_fill(Surface *surface, const pixman_box32_t *dest, const pixman_region32_t *clip,
                  uint32_t color);

/*
 * Copies @src_area of @src (any pixman image, e.g. a converted guest bitmap) onto @dest, scaling
 * when the sizes differ (nearest, or bilinear when @smooth), rop PUT. @src_area outside @src
 * reads as transparent black, never out of bounds (pixman checks).
 */
void surface_copy_image(Surface *surface, const pixman_box32_t *dest, pixman_image_t *src,
                        const pixman_box32_t *src_area, const pixman_region32_t *clip, bool smooth);

/*
 * COPY_BITS: moves the content at (@src_x, @src_y) of the size of @dest to @dest inside the
 * same surface; overlapping areas are handled (the source is read before anything is written).
 * Parts whose source lies outside the surface are left untouched.
 */
void surface_copy_bits(Surface *surface, const pixman_box32_t *dest, int32_t src_x, int32_t src_y,
                       const pixman_region32_t *clip);

/*
 * Reads @area (which must lie inside the surface; see surface_clip_box) as 32-bit pixels, top
 * line first, @out_stride bytes per line: xRGB, or ARGB for ARGB surfaces. This is how clients
 * get the current content.
 */
void surface_read_rect_32(const Surface *surface, const pixman_box32_t *area, uint8_t *out,
                          uint32_t out_stride);
