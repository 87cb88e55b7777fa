/* test-qxl-fake-device: a fake QXL device and guest memory for tests that drive the worker through the public API. */
#pragma once
/*
 * One test file includes this once: everything is static (per-test state lives in these globals,
 * setup() and teardown() make and free it). The guest is GUEST_SIZE bytes of one slot of group 1
 * (QEMU's layout: 8 id bits, 8 generation bits); the primary is SURF_W x SURF_H xRGB.
 * Not every test uses every helper, hence the unused-function silence for this file only.
 */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/qxl_dev.h>

#define SPICE_SERVER_INTERNAL 1
#include "spice.h"
#include "test-core-glib.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

/* ---- fake guest memory: one slot of group 1, QEMU's layout (8 id bits, 8 generation bits) ---- */

#define GUEST_GROUP 1u
#define GUEST_SLOT 2u
#define GUEST_GENERATION 3u
#define GUEST_SIZE (4u << 20)
#define N_SURFACES 16u

#define SURF_W 64
#define SURF_H 48
#define SURF_STRIDE (SURF_W * 4)

static uint8_t *guest;          /* GUEST_SIZE bytes */
static uint64_t guest_used;
static uint64_t primary_offset;

static QXLPHYSICAL addr_in(uint32_t slot, uint32_t generation, uint64_t offset)
{
    return ((uint64_t)slot << 56) | ((uint64_t)generation << 48) | offset;
}

static QXLPHYSICAL addr(uint64_t offset)
{
    return addr_in(GUEST_SLOT, GUEST_GENERATION, offset);
}

static uint64_t guest_alloc(uint64_t size)
{
    uint64_t off = guest_used;
    guest_used = (guest_used + size + 15) & ~UINT64_C(15);
    g_assert_cmpuint(guest_used, <=, GUEST_SIZE);
    memset(guest + off, 0, size);
    return off;
}

static uint64_t guest_put(const void *obj, uint64_t size)
{
    uint64_t off = guest_alloc(size);
    memcpy(guest + off, obj, size);
    return off;
}

static uint32_t primary_pixel(int x, int y)
{
    uint32_t v;
    memcpy(&v, guest + primary_offset + (uint64_t)y * SURF_STRIDE + (uint64_t)x * 4, 4);
    return v & 0xffffff;
}

/* ---- the fake device ---- */

static GMutex dev_lock;
static GQueue cmd_ring;           /* of QXLCommandExt* */
static GQueue cursor_ring;
static GHashTable *releases;      /* release_info host pointer -> count */
static GArray *completions;       /* of uint64_t cookies */
static unsigned update_area_completes;
static QXLInstance qxl_instance;

static int dev_get(GQueue *ring, struct QXLCommandExt *cmd)
{
    g_mutex_lock(&dev_lock);
    QXLCommandExt *next = g_queue_pop_head(ring);
    g_mutex_unlock(&dev_lock);
    if (!next) {
        return 0;
    }
    *cmd = *next;
    g_free(next);
    return 1;
}

static int dev_req(GQueue *ring)
{
    g_mutex_lock(&dev_lock);
    int empty = g_queue_is_empty(ring);
    g_mutex_unlock(&dev_lock);
    return empty;
}

static gint wakeup_from_callback;   /* get_command calls spice_qxl_wakeup (worker thread) */

static int get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
    if (g_atomic_int_get(&wakeup_from_callback)) {
        spice_qxl_wakeup(qin);
    }
    return dev_get(&cmd_ring, cmd);
}
static int req_cmd_notification(QXLInstance *qin) { return dev_req(&cmd_ring); }
static int get_cursor_command(QXLInstance *qin, struct QXLCommandExt *cmd) { return dev_get(&cursor_ring, cmd); }
static int req_cursor_notification(QXLInstance *qin) { return dev_req(&cursor_ring); }

static void release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info)
{
    g_assert_true(qin == &qxl_instance);
    g_assert_cmpuint(info.group_id, ==, GUEST_GROUP);
    g_mutex_lock(&dev_lock);
    gpointer key = info.info;
    g_hash_table_insert(releases, key, GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(releases, key)) + 1));
    g_mutex_unlock(&dev_lock);
}

static void async_complete(QXLInstance *qin, uint64_t cookie)
{
    g_mutex_lock(&dev_lock);
    g_array_append_val(completions, cookie);
    g_mutex_unlock(&dev_lock);
}

static void update_area_complete(QXLInstance *qin, uint32_t surface_id, struct QXLRect *rects,
                                 uint32_t n)
{
    g_mutex_lock(&dev_lock);
    update_area_completes++;
    g_mutex_unlock(&dev_lock);
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    info->num_memslots_groups = 2;
    info->num_memslots = 8;
    info->memslot_gen_bits = 8;
    info->memslot_id_bits = 8;
    info->qxl_ram_size = GUEST_SIZE;
    info->internal_groupslot_id = 0;
    info->n_surfaces = N_SURFACES;
}

static int attached;
static void attache_worker(QXLInstance *qin, QXLWorker *worker) { attached++; }
static void set_compression_level(QXLInstance *qin, int level) { g_assert_cmpint(level, ==, 0); }

static const QXLInterface qxl_sif = {
    .base = { .type = SPICE_INTERFACE_QXL, .description = "test qxl",
              .major_version = SPICE_INTERFACE_QXL_MAJOR, .minor_version = SPICE_INTERFACE_QXL_MINOR },
    .attache_worker = attache_worker,
    .set_compression_level = set_compression_level,
    .get_init_info = get_init_info,
    .get_command = get_command,
    .req_cmd_notification = req_cmd_notification,
    .release_resource = release_resource,
    .get_cursor_command = get_cursor_command,
    .req_cursor_notification = req_cursor_notification,
    .async_complete = async_complete,
    .update_area_complete = update_area_complete,
};

static unsigned release_count(uint64_t cmd_offset)
{
    g_mutex_lock(&dev_lock);
    unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(releases, guest + cmd_offset));
    g_mutex_unlock(&dev_lock);
    return n;
}

static unsigned total_releases(void)
{
    g_mutex_lock(&dev_lock);
    unsigned n = 0;
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, releases);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        n += GPOINTER_TO_UINT(value);
    }
    g_mutex_unlock(&dev_lock);
    return n;
}

static bool completed(uint64_t cookie)
{
    bool found = false;
    g_mutex_lock(&dev_lock);
    for (guint i = 0; i < completions->len; i++) {
        found |= g_array_index(completions, uint64_t, i) == cookie;
    }
    g_mutex_unlock(&dev_lock);
    return found;
}

static void push(GQueue *ring, uint32_t type, QXLPHYSICAL data)
{
    QXLCommandExt *ext = g_new0(QXLCommandExt, 1);
    ext->cmd.type = type;
    ext->cmd.data = data;
    ext->group_id = GUEST_GROUP;
    g_mutex_lock(&dev_lock);
    g_queue_push_tail(ring, ext);
    g_mutex_unlock(&dev_lock);
}

/* Pushes a display command and returns its offset (release_info is at the command's start). */
static uint64_t push_draw(const QXLDrawable *d)
{
    uint64_t off = guest_put(d, sizeof(*d));
    push(&cmd_ring, QXL_CMD_DRAW, addr(off));
    return off;
}

/* Everything queued so far is handled when a sync update_area returns. */
static void sync_worker(void)
{
    QXLRect area = { 0, 0, SURF_H, SURF_W };
    spice_qxl_wakeup(&qxl_instance);
    spice_qxl_update_area(&qxl_instance, 0, &area, NULL, 0, 0);
}

static QXLDrawable drawable(uint8_t type, int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    QXLDrawable d;
    memset(&d, 0, sizeof(d));
    d.surface_id = 0;
    d.effect = QXL_EFFECT_OPAQUE;
    d.type = type;
    d.bbox = (QXLRect){ .top = top, .left = left, .bottom = bottom, .right = right };
    d.clip.type = SPICE_CLIP_TYPE_NONE;
    for (int i = 0; i < 3; i++) {
        d.surfaces_dest[i] = -1;
    }
    return d;
}

static QXLDrawable fill(uint32_t color, int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    QXLDrawable d = drawable(QXL_DRAW_FILL, left, top, right, bottom);
    d.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.fill.brush.u.color = color;
    d.u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    return d;
}

/* A DIRECT top-down 32-bit bitmap image of w x h pixels from @pixels. */
static uint64_t put_image32(const uint32_t *pixels, uint32_t w, uint32_t h, uint32_t stride,
                            QXLPHYSICAL data_override)
{
    uint64_t data = pixels ? guest_put(pixels, (uint64_t)stride * h) : 0;
    QXLImage img;
    memset(&img, 0, sizeof(img));
    img.descriptor.id = 99;
    img.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    img.descriptor.width = w;
    img.descriptor.height = h;
    img.bitmap.format = SPICE_BITMAP_FMT_32BIT;
    img.bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    img.bitmap.x = w;
    img.bitmap.y = h;
    img.bitmap.stride = stride;
    img.bitmap.data = data_override ? data_override : addr(data);
    return guest_put(&img, sizeof(img));
}

static QXLDrawable copy_of(uint64_t image, int32_t left, int32_t top, int32_t w, int32_t h)
{
    QXLDrawable d = drawable(QXL_DRAW_COPY, left, top, left + w, top + h);
    d.u.copy.src_bitmap = addr(image);
    d.u.copy.src_area = (QXLRect){ .top = 0, .left = 0, .bottom = h, .right = w };
    d.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    return d;
}

/* ---- setup ---- */

static SpiceServer *server;

static void create_primary(void)
{
    primary_offset = guest_alloc((uint64_t)SURF_STRIDE * SURF_H);
    QXLDevSurfaceCreate create = {
        .width = SURF_W, .height = SURF_H, .stride = SURF_STRIDE,
        .format = SPICE_SURFACE_FMT_32_xRGB, .mouse_mode = 1,
        .mem = addr(primary_offset), .group_id = GUEST_GROUP,
    };
    spice_qxl_create_primary_surface(&qxl_instance, 0, &create);
}

static void setup(void)
{
    guest = g_malloc0(GUEST_SIZE);
    guest_used = 64;
    releases = g_hash_table_new(NULL, NULL);
    completions = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_queue_init(&cmd_ring);
    g_queue_init(&cursor_ring);
    server = spice_server_new();
    g_assert_nonnull(server);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);
    memset(&qxl_instance, 0, sizeof(qxl_instance));
    qxl_instance.base.sif = &qxl_sif.base;
    qxl_instance.id = 0;
    g_assert_cmpint(spice_server_add_interface(server, &qxl_instance.base), ==, 0);
    g_assert_nonnull(qxl_instance.st);
    g_assert_cmpint(attached, >=, 1);
    QXLDevMemSlot slot = {
        .slot_group_id = GUEST_GROUP, .slot_id = GUEST_SLOT, .generation = GUEST_GENERATION,
        .virt_start = (uintptr_t)guest, .virt_end = (uintptr_t)guest + GUEST_SIZE,
        .addr_delta = (uintptr_t)guest,
    };
    spice_qxl_add_memslot(&qxl_instance, &slot);
    spice_server_vm_start(server);
    create_primary();
}

static void teardown(void)
{
    spice_server_remove_interface(&qxl_instance.base);
    spice_server_destroy(server);
    server = NULL;
    g_queue_clear_full(&cmd_ring, g_free);
    g_queue_clear_full(&cursor_ring, g_free);
    g_hash_table_destroy(releases);
    g_array_free(completions, TRUE);
    g_free(guest);
    guest = NULL;
}

#pragma GCC diagnostic pop
