/* qxl-device: a software QXL device (QXLInterface 3.3) with command and cursor rings, as QEMU's qxl is to the library. */
#include "qxl-device.h"

#include <glib.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "guest-ram.h"
#include "qxl-commands.h"

/* As QEMU's qxl device: memslot groups HOST (0) and GUEST (1), 8 slots each, 1024 surfaces. */
#define MEMSLOT_GROUP_HOST 0
#define MEMSLOT_GROUP_GUEST 1
#define NUM_MEMSLOTS 8
#define NUM_SURFACES 1024
/* The Linux driver's slots: main (commands, images) and surfaces (VRAM); QEMU's rom slots_start is 1. */
#define SLOT_RAM 1
#define SLOT_VRAM 2
#define GUEST_RAM_MIN_BYTES (32u << 20)
/* Rings as deep as QXLRam's, so the library sees a guest's back-pressure. */
#define RING_SIZE QXL_COMMAND_RING_SIZE
/* Bitmap chunks: big images are split as the Linux driver does (it allocates in pages). */
#define IMAGE_CHUNK_BYTES (64u * 1024u)

typedef struct Ring {
    QxlResource *items[RING_SIZE];
    unsigned head;
    unsigned count;
    bool notify_requested;
} Ring;

struct QxlDevice {
    /* First member: callbacks get this pointer back and recover the device from it. */
    QXLInstance instance;
    uint32_t width;
    uint32_t height;
    GuestRam *ram;
    GuestRam *vram;
    size_t primary_offset;

    GMutex lock;
    /* Guarded by lock. */
    Ring commands;
    Ring cursor;
    GHashTable *in_flight; /* release id -> QxlResource, fetched by the library, not released yet */
    uint64_t next_release_id;
    uint64_t fetched;
    uint64_t released;
    uint64_t bad_releases;
    /* Main thread only. */
    bool wakeup_pending;
    /* Atomic (gint): the library said a display client is connected (set_client_capabilities,
     * worker thread); read by the main thread to start an image sequence. */
    gint client_present;
    /* pixcache: copies are marked cacheable (main thread only). */
    bool image_cache;
};

static QxlDevice *device_of(QXLInstance *qin)
{
    return (QxlDevice *)((char *)qin - offsetof(QxlDevice, instance));
}

static void ring_push(Ring *ring, QxlResource *res)
{
    ring->items[(ring->head + ring->count) % RING_SIZE] = res;
    ring->count++;
}

static QxlResource *ring_pop(Ring *ring)
{
    if (ring->count == 0) {
        return NULL;
    }
    QxlResource *res = ring->items[ring->head];
    ring->head = (ring->head + 1) % RING_SIZE;
    ring->count--;
    return res;
}

/* ---- QXLInterface callbacks (library threads) ---- */

static void iface_attached_worker(QXLInstance *qin)
{
    g_debug("qxl: attached to the library's worker");
}

static void iface_set_compression_level(QXLInstance *qin, int level)
{
    g_debug("qxl: compression level %d", level);
}

static void iface_set_mm_time(QXLInstance *qin, uint32_t mm_time)
{
}

static void iface_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    QxlDevice *dev = device_of(qin);
    memset(info, 0, sizeof(*info));
    info->num_memslots_groups = 2;
    info->num_memslots = NUM_MEMSLOTS;
    info->memslot_gen_bits = GUEST_RAM_SLOT_GEN_BITS;
    info->memslot_id_bits = GUEST_RAM_SLOT_ID_BITS;
    info->qxl_ram_size = (uint32_t)guest_ram_size(dev->ram);
    info->internal_groupslot_id = 0;
    info->n_surfaces = NUM_SURFACES;
}

static int fetch(QxlDevice *dev, Ring *ring, QXLCommandExt *ext)
{
    g_mutex_lock(&dev->lock);
    QxlResource *res = ring_pop(ring);
    if (res != NULL) {
        g_hash_table_insert(dev->in_flight, GSIZE_TO_POINTER(qxl_resource_release_id(res)), res);
        dev->fetched++;
    }
    g_mutex_unlock(&dev->lock);
    if (res == NULL) {
        return 0;
    }
    memset(ext, 0, sizeof(*ext));
    ext->cmd.data = qxl_resource_command(res);
    ext->cmd.type = qxl_resource_command_type(res);
    ext->group_id = MEMSLOT_GROUP_GUEST;
    ext->flags = 0;
    return 1;
}

static int iface_get_command(QXLInstance *qin, QXLCommandExt *ext)
{
    QxlDevice *dev = device_of(qin);
    return fetch(dev, &dev->commands, ext);
}

static int iface_get_cursor_command(QXLInstance *qin, QXLCommandExt *ext)
{
    QxlDevice *dev = device_of(qin);
    return fetch(dev, &dev->cursor, ext);
}

/* 1: the ring is empty and we will spice_qxl_wakeup when it fills; 0: poll again now. */
static int request_notification(QxlDevice *dev, Ring *ring)
{
    g_mutex_lock(&dev->lock);
    bool empty = ring->count == 0;
    ring->notify_requested = empty;
    g_mutex_unlock(&dev->lock);
    return empty ? 1 : 0;
}

static int iface_req_cmd_notification(QXLInstance *qin)
{
    QxlDevice *dev = device_of(qin);
    return request_notification(dev, &dev->commands);
}

static int iface_req_cursor_notification(QXLInstance *qin)
{
    QxlDevice *dev = device_of(qin);
    return request_notification(dev, &dev->cursor);
}

static void iface_release_resource(QXLInstance *qin, QXLReleaseInfoExt ext)
{
    QxlDevice *dev = device_of(qin);
    const uint8_t *base = guest_ram_base(dev->ram);
    const uint8_t *info = (const uint8_t *)ext.info;
    /* The library must hand back the command's own release_info: check before reading it. */
    if (ext.group_id != MEMSLOT_GROUP_GUEST || info == NULL || info < base ||
        info > base + guest_ram_size(dev->ram) - sizeof(QXLReleaseInfo)) {
        g_mutex_lock(&dev->lock);
        dev->bad_releases++;
        g_mutex_unlock(&dev->lock);
        fprintf(stderr, "spice-demo-vm: warning: release_resource with group %u and info %p outside the guest RAM (library bug)\n",
                ext.group_id, (const void *)info);
        return;
    }
    uint64_t id = ext.info->id;
    g_mutex_lock(&dev->lock);
    QxlResource *res = g_hash_table_lookup(dev->in_flight, GSIZE_TO_POINTER(id));
    bool same_info = res != NULL && qxl_resource_release_info(res) == ext.info;
    if (same_info) {
        g_hash_table_remove(dev->in_flight, GSIZE_TO_POINTER(id));
        dev->released++;
    } else {
        dev->bad_releases++;
    }
    g_mutex_unlock(&dev->lock);
    if (!same_info) {
        fprintf(stderr, "spice-demo-vm: warning: release_resource for release id %" PRIu64
                " that is not in flight (released twice, or never fetched: library bug)\n", id);
        return;
    }
    qxl_resource_free(res);
}

static void iface_notify_update(QXLInstance *qin, uint32_t update_id)
{
    g_debug("qxl: notify_update %u (deprecated, QEMU ignores it)", update_id);
}

static int iface_flush_resources(QXLInstance *qin)
{
    /* Releases go back to the allocator at once; nothing is pending. */
    return 0;
}

static void iface_async_complete(QXLInstance *qin, uint64_t cookie)
{
    fprintf(stderr, "spice-demo-vm: warning: async_complete(%" PRIu64 ") but the demo makes no async calls (library bug)\n",
            cookie);
}

static void iface_update_area_complete(QXLInstance *qin, uint32_t surface_id, QXLRect *rects, uint32_t num_rects)
{
    g_debug("qxl: update_area_complete surface %u, %u rects", surface_id, num_rects);
}

static void iface_set_client_capabilities(QXLInstance *qin, uint8_t client_present,
                                          uint8_t caps[SPICE_CAPABILITIES_SIZE])
{
    g_debug("qxl: client %s", client_present ? "present" : "gone");
    g_atomic_int_set(&device_of(qin)->client_present, client_present ? 1 : 0);
}

bool qxl_device_client_present(QxlDevice *dev)
{
    return g_atomic_int_get(&dev->client_present) != 0;
}

static int iface_client_monitors_config(QXLInstance *qin, VDAgentMonitorsConfig *monitors_config)
{
    /* The demo's "guest driver" has no monitors-config support: the library uses the agent path. */
    return 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static const QXLInterface qxl_interface = {
    .base = {
        .type = SPICE_INTERFACE_QXL,
        .description = "spice-demo-vm qxl",
        .major_version = SPICE_INTERFACE_QXL_MAJOR,
        .minor_version = SPICE_INTERFACE_QXL_MINOR,
    },
    .attached_worker = iface_attached_worker,
    .set_compression_level = iface_set_compression_level,
    .set_mm_time = iface_set_mm_time,
    .get_init_info = iface_get_init_info,
    .get_command = iface_get_command,
    .req_cmd_notification = iface_req_cmd_notification,
    .release_resource = iface_release_resource,
    .get_cursor_command = iface_get_cursor_command,
    .req_cursor_notification = iface_req_cursor_notification,
    .notify_update = iface_notify_update,
    .flush_resources = iface_flush_resources,
    .async_complete = iface_async_complete,
    .update_area_complete = iface_update_area_complete,
    .set_client_capabilities = iface_set_client_capabilities,
    .client_monitors_config = iface_client_monitors_config,
};
#pragma GCC diagnostic pop

/* ---- main thread ---- */

QxlDevice *qxl_device_new(uint32_t width, uint32_t height)
{
    const size_t frame_bytes = (size_t)width * height * 4;
    /* Room for two full-screen images in flight plus small commands. */
    size_t ram_bytes = MAX((size_t)GUEST_RAM_MIN_BYTES, 2 * frame_bytes + (8u << 20));
    size_t vram_bytes = (4096 + frame_bytes + 4095) & ~(size_t)4095;
    QxlDevice *dev = g_new0(QxlDevice, 1);
    dev->width = width;
    dev->height = height;
    dev->ram = guest_ram_create(ram_bytes, SLOT_RAM, 0);
    dev->vram = guest_ram_create(vram_bytes, SLOT_VRAM, 0);
    if (dev->ram == NULL || dev->vram == NULL ||
        guest_ram_alloc(dev->vram, frame_bytes, &dev->primary_offset) == NULL) {
        fprintf(stderr, "spice-demo-vm: cannot allocate %zu MiB of guest memory for a %ux%u screen: use a smaller --size or image\n",
                (ram_bytes + vram_bytes) >> 20, width, height);
        guest_ram_destroy(dev->ram);
        guest_ram_destroy(dev->vram);
        g_free(dev);
        return NULL;
    }
    dev->instance.base.sif = &qxl_interface.base;
    dev->instance.id = 0;
    g_mutex_init(&dev->lock);
    dev->in_flight = g_hash_table_new(g_direct_hash, g_direct_equal);
    dev->next_release_id = 1;
    return dev;
}

QXLInstance *qxl_device_instance(QxlDevice *dev)
{
    return &dev->instance;
}

static void add_guest_slot(QxlDevice *dev, GuestRam *ram)
{
    uintptr_t start = (uintptr_t)guest_ram_base(ram);
    /* Guest addresses are offsets from the slot start: the host pointer is offset + virt_start. */
    QXLDevMemSlot slot = {
        .slot_group_id = MEMSLOT_GROUP_GUEST,
        .slot_id = guest_ram_slot_id(ram),
        .generation = guest_ram_generation(ram),
        .virt_start = start,
        .virt_end = start + guest_ram_size(ram),
        .addr_delta = start,
        .qxl_ram_size = 0,
    };
    spice_qxl_add_memslot(&dev->instance, &slot);
}

void qxl_device_power_on(QxlDevice *dev)
{
    QXLInstance *qxl = &dev->instance;
    /* QEMU's qxl_hard_reset. */
    spice_qxl_reset_cursor(qxl);
    spice_qxl_reset_image_cache(qxl);
    spice_qxl_destroy_surfaces(qxl);
    spice_qxl_reset_memslots(qxl);
    QXLDevMemSlot host = {
        .slot_group_id = MEMSLOT_GROUP_HOST,
        .slot_id = 0,
        .generation = 0,
        .virt_start = 0,
        .virt_end = UINTPTR_MAX,
        .addr_delta = 0,
    };
    spice_qxl_add_memslot(qxl, &host);
    /* The guest driver loads. */
    add_guest_slot(dev, dev->ram);
    add_guest_slot(dev, dev->vram);
    QXLDevSurfaceCreate primary = {
        .width = dev->width,
        .height = dev->height,
        .stride = (int32_t)(dev->width * 4),
        .format = SPICE_SURFACE_FMT_32_xRGB,
        .position = 0,
        .mouse_mode = 1,
        .flags = 0,
        .type = QXL_SURF_TYPE_PRIMARY,
        .mem = guest_ram_phys(dev->vram, dev->primary_offset),
        .group_id = MEMSLOT_GROUP_GUEST,
    };
    spice_qxl_create_primary_surface(qxl, 0, &primary);
}

unsigned qxl_device_command_ring_space(QxlDevice *dev)
{
    g_mutex_lock(&dev->lock);
    unsigned space = RING_SIZE - dev->commands.count;
    g_mutex_unlock(&dev->lock);
    return space;
}

static uint64_t take_release_id(QxlDevice *dev)
{
    g_mutex_lock(&dev->lock);
    uint64_t id = dev->next_release_id++;
    g_mutex_unlock(&dev->lock);
    return id;
}

/* Puts @res (may be NULL: guest RAM full) on @ring; false when it cannot. */
static bool queue(QxlDevice *dev, Ring *ring, QxlResource *res)
{
    if (res == NULL) {
        return false;
    }
    g_mutex_lock(&dev->lock);
    bool room = ring->count < RING_SIZE;
    if (room) {
        ring_push(ring, res);
    }
    g_mutex_unlock(&dev->lock);
    if (!room) {
        qxl_resource_free(res);
        return false;
    }
    dev->wakeup_pending = true;
    return true;
}

static bool rect_inside(const QxlDevice *dev, const QXLRect *rect)
{
    return rect->left >= 0 && rect->top >= 0 && rect->left < rect->right && rect->top < rect->bottom &&
           (uint32_t)rect->right <= dev->width && (uint32_t)rect->bottom <= dev->height;
}

bool qxl_device_fill(QxlDevice *dev, const QXLRect *rect, uint32_t color)
{
    return qxl_device_fill_rop(dev, rect, color, SPICE_ROPD_OP_PUT);
}

bool qxl_device_fill_rop(QxlDevice *dev, const QXLRect *rect, uint32_t color,
                         uint16_t rop_descriptor)
{
    if (!rect_inside(dev, rect) || qxl_device_command_ring_space(dev) == 0) {
        return false;
    }
    return queue(dev, &dev->commands,
                 qxl_build_fill_rop(dev->ram, take_release_id(dev), rect, color, rop_descriptor));
}

/*
 * pixcache: the image id a driver that caches would give these pixels: the same pixels (and
 * size) get the same id, so a redraw can come from the client's cache. FNV-1a over the rows;
 * the low 32 bits are the id's group (0, the driver's), as QXL ids are unique << 32 | group.
 */
static uint64_t image_id_of(const QXLRect *rect, const uint32_t *pixels, uint32_t stride_pixels)
{
    uint32_t w = (uint32_t)(rect->right - rect->left), h = (uint32_t)(rect->bottom - rect->top);
    uint64_t hash = 0xcbf29ce484222325ull ^ ((uint64_t)w << 32 | h);
    for (uint32_t y = 0; y < h; y++) {
        const uint32_t *row = pixels + (size_t)y * stride_pixels;
        for (uint32_t x = 0; x < w; x++) {
            hash = (hash ^ row[x]) * 0x100000001b3ull;
        }
    }
    hash &= ~0xffffffffull;
    return hash != 0 ? hash : 1ull << 32;
}

void qxl_device_set_image_cache(QxlDevice *dev, bool on)
{
    dev->image_cache = on;
}

bool qxl_device_copy(QxlDevice *dev, const QXLRect *rect, const uint32_t *pixels, uint32_t stride_pixels)
{
    if (!rect_inside(dev, rect) || qxl_device_command_ring_space(dev) == 0) {
        return false;
    }
    uint64_t id = dev->image_cache ? image_id_of(rect, pixels, stride_pixels) : 0;
    return queue(dev, &dev->commands,
                 qxl_build_copy_cached(dev->ram, take_release_id(dev), rect, pixels, stride_pixels,
                                       IMAGE_CHUNK_BYTES, id));
}

bool qxl_device_copy_bits(QxlDevice *dev, const QXLRect *rect, int32_t src_x, int32_t src_y)
{
    if (!rect_inside(dev, rect) || qxl_device_command_ring_space(dev) == 0) {
        return false;
    }
    return queue(dev, &dev->commands, qxl_build_copy_bits(dev->ram, take_release_id(dev), rect, src_x, src_y));
}

bool qxl_device_cursor_set(QxlDevice *dev, int16_t x, int16_t y, uint16_t width, uint16_t height,
                           uint16_t hot_x, uint16_t hot_y, const uint32_t *argb)
{
    return queue(dev, &dev->cursor,
                 qxl_build_cursor_set(dev->ram, take_release_id(dev), x, y, width, height, hot_x, hot_y, argb));
}

bool qxl_device_cursor_move(QxlDevice *dev, int16_t x, int16_t y)
{
    return queue(dev, &dev->cursor, qxl_build_cursor_move(dev->ram, take_release_id(dev), x, y));
}

void qxl_device_kick(QxlDevice *dev)
{
    if (dev->wakeup_pending) {
        dev->wakeup_pending = false;
        spice_qxl_wakeup(&dev->instance);
    }
}

void qxl_device_power_off(QxlDevice *dev)
{
    spice_qxl_destroy_surfaces(&dev->instance);
    spice_qxl_reset_cursor(&dev->instance);
}

static void free_ring(Ring *ring)
{
    QxlResource *res;
    while ((res = ring_pop(ring)) != NULL) {
        qxl_resource_free(res);
    }
}

void qxl_device_counts(QxlDevice *dev, uint64_t *fetched, uint64_t *released)
{
    g_mutex_lock(&dev->lock);
    *fetched = dev->fetched;
    *released = dev->released;
    g_mutex_unlock(&dev->lock);
}

bool qxl_device_finish(QxlDevice *dev)
{
    g_mutex_lock(&dev->lock);
    free_ring(&dev->commands);
    free_ring(&dev->cursor);
    uint64_t fetched = dev->fetched;
    uint64_t released = dev->released;
    uint64_t bad = dev->bad_releases;
    g_mutex_unlock(&dev->lock);
    g_debug("qxl: %" PRIu64 " commands fetched by the library, %" PRIu64 " released", fetched, released);
    if (fetched != released || bad != 0) {
        fprintf(stderr, "spice-demo-vm: warning: the library fetched %" PRIu64 " commands and released %" PRIu64
                " (%" PRIu64 " bogus releases): every command must be released exactly once\n",
                fetched, released, bad);
        return false;
    }
    return true;
}

void qxl_device_free(QxlDevice *dev)
{
    if (dev == NULL) {
        return;
    }
    GHashTableIter iter;
    gpointer value;
    g_hash_table_iter_init(&iter, dev->in_flight);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        qxl_resource_free(value);
    }
    g_hash_table_destroy(dev->in_flight);
    g_mutex_clear(&dev->lock);
    guest_ram_destroy(dev->ram);
    guest_ram_destroy(dev->vram);
    g_free(dev);
}
