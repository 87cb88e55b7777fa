/* char-device: moves bytes between one host SpiceCharDeviceInstance and the channel that serves it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spice.h"
#include "event-loop.h"

/*
 * A CharDevice owns the library side of one char device instance (the host's instance is
 * borrowed and must outlive it). It lives in the host's thread, like every char device callback
 * QEMU makes.
 *
 * Reading (guest -> server): char_device_wakeup() calls the instance's read() synchronously
 * until it returns 0, as QEMU requires (its chr_write hands us a buffer for the duration of the
 * wakeup and treats whatever we did not read as "blocked"). Each piece goes to the consumer's
 * on_data. When the consumer's can_take says no, reading stops; the consumer calls
 * char_device_wakeup() again once it has room, which reads the rest (or reads 0 bytes, which
 * is what unblocks QEMU).
 *
 * Writing (server -> guest): char_device_write() copies the bytes into a queue; the queue is
 * written with the instance's write(), which may take only part. The rest is written on the next
 * wakeup (QEMU calls it when the guest can take more: SPICE_CHAR_DEVICE_NOTIFY_WRITABLE) or by a
 * retry timer for hosts without that flag. Each queued piece carries a tag the consumer gets
 * back from on_written once the device took its last byte.
 */

typedef struct CharDevice CharDevice;

typedef struct CharDeviceCallbacks {
    /* Bytes the device produced; valid only during the call. */
    void (*on_data)(const uint8_t *data, size_t size, void *opaque);
    /* False: do not read now (the consumer has nowhere to put the bytes). */
    bool (*can_take)(void *opaque);
    /* Optional: how many bytes the next read() may ask for (1 .. 64 KiB; default 64 KiB). A
     * consumer that must not read ahead of its flow control (the agent's chunks) asks for
     * exactly what it can handle. */
    size_t (*read_size)(void *opaque);
    /* Optional: the piece queued with @tag was fully written to the device. */
    void (*on_written)(uint32_t tag, void *opaque);
    /* Optional: the write queue drained (after being non-empty). */
    void (*on_write_queue_empty)(void *opaque);
} CharDeviceCallbacks;

/* @callbacks must outlive the device. Sets nothing in @sin (the caller owns sin->st). */
CharDevice *char_device_new(EventLoop *loop, SpiceCharDeviceInstance *sin,
                            const CharDeviceCallbacks *callbacks, void *opaque);
/* Drops what is queued. Accepts NULL. Must not be called from inside one of its callbacks. */
void char_device_free(CharDevice *dev);

SpiceCharDeviceInstance *char_device_get_instance(const CharDevice *dev);

/* Writes what is queued, then reads while the consumer takes. */
void char_device_wakeup(CharDevice *dev);

/* Queues a copy of @data (tag 0: no on_written wanted) and tries to write it at once. */
void char_device_write(CharDevice *dev, const uint8_t *data, size_t size, uint32_t tag);
/* Bytes queued and not yet taken by the device. */
size_t char_device_write_pending(const CharDevice *dev);
/* True when a piece with @tag is still queued. */
bool char_device_has_queued_tag(const CharDevice *dev, uint32_t tag);
/* Drops everything queued (a client left: its unsent bytes must not reach the next one), except
 * the rest of a piece the device has already taken part of. */
void char_device_drop_queued(CharDevice *dev);

/* Calls the instance's state(connected) when it differs from what we last told it. */
void char_device_set_state(CharDevice *dev, bool connected);
/* Calls the instance's event() (interface minor >= 2) for a port event from the client. */
void char_device_send_event(CharDevice *dev, uint8_t event);
