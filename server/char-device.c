/* char-device: the read loop QEMU expects from char_device_wakeup and a write queue with partial writes. */
#include "char-device.h"

#include <limits.h>
#include <string.h>

#include <glib.h>

/* One read() asks for this much; the consumer sends it on as one message. */
#define CHAR_DEVICE_READ_CHUNK (64u * 1024)
/* Hosts without SPICE_CHAR_DEVICE_NOTIFY_WRITABLE never tell us the guest has room again:
 * retry a blocked write this often (upstream's value). */
#define CHAR_DEVICE_WRITE_RETRY_MS 100u
/* A read loop that keeps getting data would starve the host's main loop; past this much we
 * stop and continue from a zero-delay timer. */
#define CHAR_DEVICE_READ_BUDGET (4u * 1024 * 1024)

typedef struct WritePiece {
    uint8_t *data;      /* owned */
    size_t size;
    size_t done;
    uint32_t tag;
} WritePiece;

struct CharDevice {
    SpiceCharDeviceInstance *sin;           /* the host's */
    const CharDeviceCallbacks *callbacks;
    void *opaque;
    EventLoopTimer *retry_timer;            /* write retry, and read continuation */
    GQueue queue;                           /* of WritePiece* */
    size_t pending;
    uint8_t *read_buf;                      /* CHAR_DEVICE_READ_CHUNK bytes */
    int state;                              /* -1: never told, else what we last told */
    bool in_wakeup;
    bool wakeup_again;                      /* a wakeup arrived while we were in one */
};

static const SpiceCharDeviceInterface *device_sif(const CharDevice *dev)
{
    return (const SpiceCharDeviceInterface *)dev->sin->base.sif;
}

static void piece_free(gpointer data)
{
    WritePiece *p = data;
    g_free(p->data);
    g_free(p);
}

/* Interface 1.3 added flags (and 1.2 event): older hosts' structs end before them. */
static bool host_notifies_writable(const CharDevice *dev)
{
    const SpiceCharDeviceInterface *sif = device_sif(dev);
    return sif->base.minor_version >= 3 && (sif->flags & SPICE_CHAR_DEVICE_NOTIFY_WRITABLE);
}

/* Returns true when the queue is empty afterwards. */
static bool write_queued(CharDevice *dev)
{
    const SpiceCharDeviceInterface *sif = device_sif(dev);
    bool wrote_any = false;
    while (!g_queue_is_empty(&dev->queue)) {
        WritePiece *p = g_queue_peek_head(&dev->queue);
        size_t left = p->size - p->done;
        int want = left > INT_MAX ? INT_MAX : (int)left;
        int n = sif->write ? sif->write(dev->sin, p->data + p->done, want) : -1;
        if (n <= 0) {
            break;
        }
        /* A host claiming more than we offered is clamped: the extra never existed. */
        size_t took = MIN((size_t)n, left);
        p->done += took;
        dev->pending -= took;
        wrote_any = true;
        if (p->done < p->size) {
            break;
        }
        g_queue_pop_head(&dev->queue);
        uint32_t tag = p->tag;
        piece_free(p);
        if (tag && dev->callbacks->on_written) {
            dev->callbacks->on_written(tag, dev->opaque);
        }
    }
    bool empty = g_queue_is_empty(&dev->queue);
    if (empty && wrote_any && dev->callbacks->on_write_queue_empty) {
        dev->callbacks->on_write_queue_empty(dev->opaque);
    }
    return g_queue_is_empty(&dev->queue);
}

/* Returns true when reading stopped only because of the budget. */
static bool read_available(CharDevice *dev)
{
    const SpiceCharDeviceInterface *sif = device_sif(dev);
    if (!sif->read) {
        return false;
    }
    size_t total = 0;
    while (dev->callbacks->can_take(dev->opaque)) {
        if (total >= CHAR_DEVICE_READ_BUDGET) {
            return true;
        }
        size_t want = CHAR_DEVICE_READ_CHUNK;
        if (dev->callbacks->read_size) {
            want = MIN(MAX(dev->callbacks->read_size(dev->opaque), 1), CHAR_DEVICE_READ_CHUNK);
        }
        int n = sif->read(dev->sin, dev->read_buf, (int)want);
        if (n <= 0) {
            break;
        }
        size_t got = MIN((size_t)n, want);
        total += got;
        dev->callbacks->on_data(dev->read_buf, got, dev->opaque);
    }
    return false;
}

void char_device_wakeup(CharDevice *dev)
{
    g_return_if_fail(dev != NULL);
    if (dev->in_wakeup) {
        dev->wakeup_again = true;
        return;
    }
    dev->in_wakeup = true;
    bool rearm = false;
    do {
        dev->wakeup_again = false;
        bool written_all = write_queued(dev);
        bool budget_hit = read_available(dev);
        rearm = budget_hit || (!written_all && !host_notifies_writable(dev));
        if (budget_hit) {
            break;
        }
    } while (dev->wakeup_again);
    dev->in_wakeup = false;
    if (rearm) {
        event_loop_timer_start(dev->retry_timer, g_queue_is_empty(&dev->queue) ? 0 : CHAR_DEVICE_WRITE_RETRY_MS);
    }
}

static void retry_timer_fired(void *opaque)
{
    char_device_wakeup(opaque);
}

CharDevice *char_device_new(EventLoop *loop, SpiceCharDeviceInstance *sin,
                            const CharDeviceCallbacks *callbacks, void *opaque)
{
    g_return_val_if_fail(loop && sin && callbacks && callbacks->on_data && callbacks->can_take, NULL);
    CharDevice *dev = g_new0(CharDevice, 1);
    dev->sin = sin;
    dev->callbacks = callbacks;
    dev->opaque = opaque;
    dev->state = -1;
    dev->read_buf = g_malloc(CHAR_DEVICE_READ_CHUNK);
    g_queue_init(&dev->queue);
    dev->retry_timer = event_loop_timer_add(loop, retry_timer_fired, dev);
    return dev;
}

void char_device_free(CharDevice *dev)
{
    if (!dev) {
        return;
    }
    event_loop_timer_remove(dev->retry_timer);
    g_queue_clear_full(&dev->queue, piece_free);
    g_free(dev->read_buf);
    g_free(dev);
}

SpiceCharDeviceInstance *char_device_get_instance(const CharDevice *dev)
{
    return dev->sin;
}

void char_device_write(CharDevice *dev, const uint8_t *data, size_t size, uint32_t tag)
{
    if (size == 0) {
        if (tag && dev->callbacks->on_written) {
            dev->callbacks->on_written(tag, dev->opaque);
        }
        return;
    }
    WritePiece *p = g_new0(WritePiece, 1);
    p->data = g_memdup2(data, size);
    p->size = size;
    p->tag = tag;
    g_queue_push_tail(&dev->queue, p);
    dev->pending += size;
    /* Inside a wakeup the loop writes it; otherwise write now (and read what that unblocks). */
    if (dev->in_wakeup) {
        dev->wakeup_again = true;
    } else {
        char_device_wakeup(dev);
    }
}

size_t char_device_write_pending(const CharDevice *dev)
{
    return dev->pending;
}

bool char_device_has_queued_tag(const CharDevice *dev, uint32_t tag)
{
    for (GList *l = dev->queue.head; l; l = l->next) {
        if (((WritePiece *)l->data)->tag == tag) {
            return true;
        }
    }
    return false;
}

void char_device_drop_queued(CharDevice *dev)
{
    /* A piece the device has taken part of is finished: cutting it would garble the framing
     * the guest side parses (VDIChunkHeader for the agent). */
    WritePiece *started = g_queue_peek_head(&dev->queue);
    if (started && started->done > 0) {
        g_queue_pop_head(&dev->queue);
    } else {
        started = NULL;
    }
    g_queue_clear_full(&dev->queue, piece_free);
    dev->pending = 0;
    if (started) {
        g_queue_push_tail(&dev->queue, started);
        dev->pending = started->size - started->done;
    }
}

void char_device_set_state(CharDevice *dev, bool connected)
{
    if (dev->state == (int)connected) {
        return;
    }
    dev->state = connected;
    const SpiceCharDeviceInterface *sif = device_sif(dev);
    if (sif->state) {
        sif->state(dev->sin, connected ? 1 : 0);
    }
}

void char_device_send_event(CharDevice *dev, uint8_t event)
{
    const SpiceCharDeviceInterface *sif = device_sif(dev);
    if (sif->base.minor_version >= 2 && sif->event) {
        sif->event(dev->sin, event);
    }
}
