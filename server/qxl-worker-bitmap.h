/* qxl-worker-bitmap: turns a parsed guest bitmap into the 32-bit image both the canvas and the wire use. */
#pragma once

#include <stdint.h>
#include <pixman.h>

#include "codecs/glz.h"
#include "qxl/qxl-parse.h"

/*
 * Every guest bitmap format is drawn and sent as 32 bits per pixel (SPICE_BITMAP_FMT_32BIT, or
 * _RGBA when the source has alpha): palettes are applied here, once, so the client never needs a
 * palette or its cache. The result is a top-down pixman image with stride width * 4.
 *
 * 32BIT and RGBA images are wrapped without a copy: the result then borrows @image->data, so
 * @image must outlive it. Other formats are converted into a buffer the result owns (freed with
 * the image). Returns NULL for formats we do not draw (8BIT_A) and when memory runs out.
 * *@wire_format receives SPICE_BITMAP_FMT_32BIT or SPICE_BITMAP_FMT_RGBA.
 */
pixman_image_t *qxl_bitmap_to_pixman(const QxlImage *image, uint8_t *wire_format);

/*
 * qxl_bitmap_to_pixman that also says who holds the pixels: *@owner (may be NULL) receives the
 * counted buffer a converted image's pixels live in, borrowed from the result (it stays valid
 * while the result does; take a reference to keep it longer), or NULL when the result borrows
 * @image->data (32BIT and RGBA: the parsed command owns that buffer). Nothing writes the
 * buffer after the conversion, so a GLZ dictionary may keep a reference to it instead of a
 * copy (server/image-encoder.h, pixels_owner).
 */
pixman_image_t *qxl_bitmap_to_pixman_shared(const QxlImage *image, uint8_t *wire_format,
                                            GlzSharedPixels **owner);
