/* qxl-worker-requests: what each spice_qxl_* request does, run in the worker thread. */
#include "qxl-worker-private.h"

#include <string.h>

static void add_memslot(QxlWorker *worker, const QXLDevMemSlot *slot)
{
    if (!qxl_memslots_add(worker->memslots, slot->slot_group_id, slot->slot_id, slot->generation,
                          slot->virt_start, slot->virt_end, slot->addr_delta)) {
        g_message("qxl %d: add_memslot group %u slot %u generation %u [%#" G_GINT64_MODIFIER "x, %#"
                  G_GINT64_MODIFIER "x) refused (ids out of range, generation too wide, or start > "
                  "end); commands using it will be dropped", worker->qxl->id, slot->slot_group_id,
                  slot->slot_id, slot->generation, (guint64)slot->virt_start,
                  (guint64)slot->virt_end);
    }
}

/* Copies the guest-dirty region out as at most @max rects (the bounding box when it has more). */
static uint32_t guest_dirty_rects(QxlWorker *worker, QXLRect *out, uint32_t max)
{
    int n = 0;
    const pixman_box32_t *boxes = pixman_region32_rectangles(&worker->guest_dirty, &n);
    if (n == 0 || max == 0) {
        return 0;
    }
    if ((uint32_t)n > max) {
        boxes = pixman_region32_extents(&worker->guest_dirty);
        n = 1;
    }
    for (int i = 0; i < n; i++) {
        out[i] = (QXLRect){ .top = boxes[i].y1, .left = boxes[i].x1,
                            .bottom = boxes[i].y2, .right = boxes[i].x2 };
    }
    return (uint32_t)n;
}

/*
 * Draws are rendered into guest memory as they are fetched, so bringing an area up to date is
 * fetching what is queued. The rects that changed since the last clear are reported as upstream
 * does: written to the sync caller's array, or passed to update_area_complete for the async call
 * (only QEMU's real QXL device uses the async call; its console copies those rects).
 */
static void update_area(QxlWorker *worker, const QxlRequest *request)
{
    qxl_worker_drain_display_ring(worker);
    uint32_t surface_id = request->u.update_area.surface_id;
    bool is_primary = surface_id == 0 && worker->primary;
    if (surface_id >= worker->n_surfaces) {
        g_message("qxl %d: update_area on surface %u (limit %u); nothing to update",
                  worker->qxl->id, surface_id, worker->n_surfaces);
    }
    if (!request->is_async) {
        QXLRect *rects = request->u.update_area.dirty_rects;
        uint32_t max = rects ? request->u.update_area.num_dirty_rects : 0;
        if (max) {
            memset(rects, 0, sizeof(*rects) * max);
        }
        if (is_primary) {
            guest_dirty_rects(worker, rects, max);
        }
    } else if (is_primary) {
        QXLRect rects[32];
        uint32_t n = guest_dirty_rects(worker, rects, G_N_ELEMENTS(rects));
        qxl_worker_update_area_complete(worker, 0, rects, n);
    }
    if (is_primary && request->u.update_area.clear_dirty_region) {
        pixman_region32_clear(&worker->guest_dirty);
    }
}

static void monitors_config(QxlWorker *worker, const QxlRequest *request)
{
    QxlMonitorsConfig config;
    QxlStatus status = qxl_parse_monitors_config(worker->memslots,
                                                 (uint32_t)request->u.monitors_config.group_id,
                                                 request->u.monitors_config.addr,
                                                 &worker->limits, &config);
    if (status != QXL_STATUS_OK) {
        g_message("qxl %d: monitors_config_async refused: %s; the monitor layout is unchanged",
                  worker->qxl->id, qxl_status_to_string(status));
        qxl_monitors_config_clear(&config);
        return;
    }
    uint16_t count = config.count;
    uint16_t max_allowed = config.max_allowed;
    int max_monitors = g_atomic_int_get(&worker->max_monitors);
    if (max_monitors > 0) {
        count = (uint16_t)MIN(count, max_monitors);
        max_allowed = (uint16_t)(max_allowed ? MIN(max_allowed, max_monitors) : max_monitors);
    }
    DisplayHead *heads = g_new0(DisplayHead, MAX(count, 1));
    for (uint16_t i = 0; i < count; i++) {
        heads[i] = (DisplayHead){
            .monitor_id = config.heads[i].id,
            .surface_id = config.heads[i].surface_id,
            .width = config.heads[i].width,
            .height = config.heads[i].height,
            .x = config.heads[i].x,
            .y = config.heads[i].y,
            .flags = config.heads[i].flags,
        };
    }
    display_channel_set_monitors_config(worker->display, heads, count, max_allowed);
    g_free(heads);
    qxl_monitors_config_clear(&config);
}

static void loadvm_commands(QxlWorker *worker, const QxlRequest *request)
{
    /* After migration QEMU replays the commands it tracked (surfaces, cursor): as if fetched. */
    for (uint32_t i = 0; i < request->u.loadvm.count; i++) {
        QXLCommandExt ext = request->u.loadvm.commands[i];
        qxl_worker_handle_command(worker, &ext, ext.cmd.type == QXL_CMD_CURSOR);
    }
}

void qxl_worker_run_request(QxlWorker *worker, const QxlRequest *request)
{
    switch (request->type) {
    case QXL_REQUEST_WAKEUP:
        g_atomic_int_set(&worker->wakeup_queued, 0);
        /* Scheduled, not run here: a wakeup may come from inside a get_command callback. */
        qxl_worker_schedule_processing(worker, 0);
        return;   /* never async */
    case QXL_REQUEST_OOM:
        qxl_worker_drain_display_ring(worker);
        /* Releases already went out as commands were parsed; have the device push them. */
        if (worker->vm_running && worker->qif->flush_resources) {
            worker->qif->flush_resources(worker->qxl);
        }
        return;
    case QXL_REQUEST_ADD_MEMSLOT:
        add_memslot(worker, &request->u.memslot);
        break;
    case QXL_REQUEST_DEL_MEMSLOT:
        qxl_memslots_del(worker->memslots, request->u.del_memslot.group_id,
                         request->u.del_memslot.slot_id);
        break;
    case QXL_REQUEST_RESET_MEMSLOTS:
        qxl_memslots_reset(worker->memslots);
        break;
    case QXL_REQUEST_CREATE_PRIMARY:
        if (request->u.primary.surface_id != 0) {
            g_message("qxl %d: create_primary_surface for surface %u refused: the primary is "
                      "surface 0", worker->qxl->id, request->u.primary.surface_id);
        } else {
            qxl_worker_create_primary(worker, &request->u.primary.create);
        }
        break;
    case QXL_REQUEST_DESTROY_PRIMARY:
        if (request->u.primary.surface_id != 0) {
            g_message("qxl %d: destroy_primary_surface for surface %u ignored: the primary is "
                      "surface 0", worker->qxl->id, request->u.primary.surface_id);
        } else {
            /* Draws queued for the old primary still belong to it. */
            qxl_worker_drain_display_ring(worker);
            qxl_worker_destroy_primary(worker);
        }
        break;
    case QXL_REQUEST_DESTROY_SURFACES:
        qxl_worker_drain_display_ring(worker);
        qxl_worker_destroy_all_surfaces(worker);
        cursor_channel_reset(worker->cursor);
        break;
    case QXL_REQUEST_DESTROY_SURFACE:
        /* Draws queued for it go first; then it is destroyed and its CREATE released. */
        qxl_worker_drain_display_ring(worker);
        qxl_worker_destroy_offscreen(worker, request->u.surface_id);
        break;
    case QXL_REQUEST_UPDATE_AREA:
        update_area(worker, request);
        break;
    case QXL_REQUEST_FLUSH_SURFACES:
        qxl_worker_drain_display_ring(worker);
        break;
    case QXL_REQUEST_MONITORS_CONFIG:
        monitors_config(worker, request);
        break;
    case QXL_REQUEST_RESET_CURSOR:
        cursor_channel_reset(worker->cursor);
        break;
    case QXL_REQUEST_RESET_IMAGE_CACHE:
        /* pixcache: the guest's image ids start over; cached copies are stale. */
        display_channel_reset_image_cache(worker->display);
        break;
    case QXL_REQUEST_DRIVER_UNLOAD:
        /* The guest driver's monitor layout is gone: back to one head on the primary. */
        display_channel_set_monitors_config(worker->display, NULL, 0, 0);
        break;
    case QXL_REQUEST_LOADVM_COMMANDS:
        loadvm_commands(worker, request);
        break;
    }
    if (request->is_async) {
        qxl_worker_complete(worker, request->cookie);
    }
}
