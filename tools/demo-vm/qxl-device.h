/* qxl-device: a software QXL device (QXLInterface 3.3) with command and cursor rings, as QEMU's qxl is to the library. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice.h>

/*
 * Threads: the library calls the QXLInterface callbacks (get_command, get_cursor_command,
 * req_*_notification, release_resource, flush_resources, async_complete) from its worker thread;
 * everything in this header is called from the main thread. The rings, the release table and the
 * counters are behind one lock, and the lock is never held while calling into the library
 * (its synchronous calls wait for the worker, which needs the lock).
 *
 * Ownership: the QxlDevice owns its QXLInstance, its guest RAM (commands, images, cursor shapes)
 * and VRAM (the primary surface). The library borrows the instance from add_interface until
 * remove_interface / spice_server_destroy, and borrows each command from get_*_command until
 * release_resource.
 */
typedef struct QxlDevice QxlDevice;

/* A device whose primary surface will be @width x @height; NULL (logged) when memory is short. */
QxlDevice *qxl_device_new(uint32_t width, uint32_t height);
/* Frees the memory. Only after qxl_device_finish (the library must be done with it). Accepts NULL. */
void qxl_device_free(QxlDevice *dev);

/* Whether the library last said a display client is connected (set_client_capabilities). Any
 * thread. */
bool qxl_device_client_present(QxlDevice *dev);

/* What to pass to spice_server_add_interface / remove_interface (interface "qxl" 3.3, id 0). */
QXLInstance *qxl_device_instance(QxlDevice *dev);

/*
 * What QEMU's device reset and a guest driver load do, after add_interface: reset cursor, image
 * cache, surfaces and memslots, add the host memslot (group 0), add the guest RAM and VRAM
 * slots (group 1, slots 1 and 2 like the Linux driver) and create the primary surface
 * (32-bit xRGB, positive stride, client mouse allowed).
 */
void qxl_device_power_on(QxlDevice *dev);

/*
 * Queue one command (copying what it needs into guest RAM). Return false when the ring or the
 * guest RAM is full: the caller tries again later, as a guest waits for the library.
 * Rectangles must lie inside the primary surface.
 */
bool qxl_device_fill(QxlDevice *dev, const QXLRect *rect, uint32_t color);
/* A fill with @rop_descriptor (SPICE_ROPD_*); false like qxl_device_fill. */
bool qxl_device_fill_rop(QxlDevice *dev, const QXLRect *rect, uint32_t color,
                         uint16_t rop_descriptor);
/* pixcache: later copies mark their image QXL_IMAGE_CACHE with an id made from its pixels. */
void qxl_device_set_image_cache(QxlDevice *dev, bool on);
bool qxl_device_copy(QxlDevice *dev, const QXLRect *rect, const uint32_t *pixels, uint32_t stride_pixels);
bool qxl_device_copy_bits(QxlDevice *dev, const QXLRect *rect, int32_t src_x, int32_t src_y);
bool qxl_device_cursor_set(QxlDevice *dev, int16_t x, int16_t y, uint16_t width, uint16_t height,
                           uint16_t hot_x, uint16_t hot_y, const uint32_t *argb);
bool qxl_device_cursor_move(QxlDevice *dev, int16_t x, int16_t y);
/* Free slots in the command ring (the caller can keep a frame's commands together). */
unsigned qxl_device_command_ring_space(QxlDevice *dev);
/* spice_qxl_wakeup when commands were queued since the last call (QEMU's NOTIFY_CMD/NOTIFY_CURSOR). */
void qxl_device_kick(QxlDevice *dev);

/* Commands the library has fetched and released so far (any thread; for progress reports). */
void qxl_device_counts(QxlDevice *dev, uint64_t *fetched, uint64_t *released);

/* What a guest driver unload does before the VM stops: destroy surfaces and reset the cursor,
 * so the library gives every command back. */
void qxl_device_power_off(QxlDevice *dev);

/*
 * After spice_server_destroy: frees commands the library never fetched and prints the exactly-once
 * balance (a warning on stderr when commands fetched by the library were not released, or
 * releases were bogus). Returns true when it balanced.
 */
bool qxl_device_finish(QxlDevice *dev);
