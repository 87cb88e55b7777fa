/* qxl-commands: builds QXL commands (drawables, cursor commands) in guest RAM as a guest driver does. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice/qxl_dev.h>

#include "guest-ram.h"

/*
 * A QxlResource is everything one command references in guest RAM (the command, its image,
 * the image's data chunks, a cursor shape): the library gives it back with one release_resource
 * call and all of it returns to the allocator then.
 *
 * Ownership: a builder returns a new QxlResource owned by the caller (the QXL device keeps it
 * until the library releases it); qxl_resource_free returns its memory to the GuestRam it came
 * from, which must outlive it. Not thread-safe by itself: one thread at a time per resource.
 */
typedef struct QxlResource QxlResource;

/* Every piece of the command lives in @ram; NULL when @ram is full. */
QxlResource *qxl_resource_new(GuestRam *ram);
void qxl_resource_free(QxlResource *res);

/* Where the command itself is (QXLCommand.data) and its type (QXL_CMD_DRAW / QXL_CMD_CURSOR). */
QXLPHYSICAL qxl_resource_command(const QxlResource *res);
uint32_t qxl_resource_command_type(const QxlResource *res);
/* The command's release_info, as the library must point at it in release_resource. */
const QXLReleaseInfo *qxl_resource_release_info(const QxlResource *res);
uint64_t qxl_resource_release_id(const QxlResource *res);

/*
 * Builders. Each allocates the command and what it references in @ram, tagged with @release_id
 * (the id the guest recognises on release). Return NULL when @ram is full (nothing leaks).
 * Rectangles are on surface 0 (the primary) and must already lie inside it.
 */
/* QXL_DRAW_FILL of @rect with the solid xRGB @color. */
QxlResource *qxl_build_fill(GuestRam *ram, uint64_t release_id, const QXLRect *rect, uint32_t color);
/* The same fill combined with what is there by @rop_descriptor (SPICE_ROPD_*, e.g. OP_XOR). */
QxlResource *qxl_build_fill_rop(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                uint32_t color, uint16_t rop_descriptor);
/*
 * QXL_DRAW_COPY of a 32-bit top-down bitmap to @rect, its pixels read from @pixels (xRGB,
 * @stride_pixels apart). The bitmap data is a chain of QXLDataChunks of at most
 * @max_chunk_bytes each (whole rows), as the Linux driver splits big images.
 */
QxlResource *qxl_build_copy(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                            const uint32_t *pixels, uint32_t stride_pixels, uint32_t max_chunk_bytes);
/* pixcache: the same copy, its image marked QXL_IMAGE_CACHE with @image_id (0: not marked). */
QxlResource *qxl_build_copy_cached(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                   const uint32_t *pixels, uint32_t stride_pixels,
                                   uint32_t max_chunk_bytes, uint64_t image_id);
/* QXL_COPY_BITS: the @rect-sized area at (@src_x, @src_y) moves to @rect. */
QxlResource *qxl_build_copy_bits(GuestRam *ram, uint64_t release_id, const QXLRect *rect,
                                 int32_t src_x, int32_t src_y);
/* QXL_CURSOR_SET with a SPICE_CURSOR_TYPE_ALPHA shape (@argb, @width * @height pixels). */
QxlResource *qxl_build_cursor_set(GuestRam *ram, uint64_t release_id, int16_t x, int16_t y,
                                  uint16_t width, uint16_t height, uint16_t hot_x, uint16_t hot_y,
                                  const uint32_t *argb);
/* QXL_CURSOR_MOVE to (@x, @y). */
QxlResource *qxl_build_cursor_move(GuestRam *ram, uint64_t release_id, int16_t x, int16_t y);
