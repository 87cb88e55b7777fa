/* qxl-worker-commands: fetching QXL commands, rendering them into the primary canvas and forwarding them to the channels. */
#include "qxl-worker-private.h"

#include <string.h>
#include <spice/enums.h>

#include "qxl-worker-bitmap.h"

/* Commands per ring per processing pass, so sockets and requests get their turn. */
#define COMMANDS_PER_PASS 64
/* A sync call (update_area, destroy) handles at most this many queued display commands. */
#define COMMANDS_PER_DRAIN 4096
static void handle_draw(QxlWorker *worker, const QXLCommandExt *ext)
{
    QxlDrawCommand cmd;
    QxlStatus status = qxl_parse_draw(worker->memslots, ext->group_id, ext->cmd.data, ext->flags,
                                      &worker->limits, &cmd);
    if (status == QXL_STATUS_OK) {
        qxl_worker_render_draw(worker, &cmd);
    } else {
        char detail[48];
        g_snprintf(detail, sizeof(detail), "draw type %u", cmd.type);
        qxl_worker_log_drop(worker, "draw command", status, detail);
    }
    /* Parsed structs own copies of everything: the guest memory can go back at once. */
    qxl_worker_release(worker, cmd.release_info, ext->group_id);
    qxl_draw_command_clear(&cmd);
}

/* ---- off-screen surfaces ---- */

/*
 * An off-screen surface is a canvas over its guest memory. As upstream does, the CREATE command
 * is held until the surface is destroyed: the guest must not reuse that memory before.
 */
static void destroy_offscreen(QxlWorker *worker, uint32_t surface_id)
{
    OffscreenSurface *o = &worker->surfaces[surface_id];
    if (!o->surface) {
        return;
    }
    surface_destroy(o->surface);
    qxl_worker_release(worker, o->create_release_info, o->create_group_id);
    memset(o, 0, sizeof(*o));
}

static void create_offscreen(QxlWorker *worker, const QxlSurfaceCommand *cmd, uint32_t group_id)
{
    if (worker->surfaces[cmd->surface_id].surface) {
        qxl_worker_log_drop(worker, "surface create", QXL_STATUS_BAD_SURFACE_ID,
                            "the surface exists; the old one is destroyed first");
        destroy_offscreen(worker, cmd->surface_id);
    }
    const QxlSurfaceMemory *mem = &cmd->create;
    /* Without KEEP_DATA the memory holds nothing meant to be seen: start from zeroes. */
    if (!(cmd->flags & QXL_SURF_FLAG_KEEP_DATA)) {
        memset(mem->mem, 0, mem->mem_size);
    }
    Surface *surface = surface_new(cmd->surface_id, mem->format, mem->width, mem->height,
                                   mem->stride, mem->line0);
    if (!surface) {
        qxl_worker_release(worker, cmd->release_info, group_id);   /* surface_new logged why */
        return;
    }
    worker->surfaces[cmd->surface_id] = (OffscreenSurface) {
        .surface = surface,
        .create_release_info = cmd->release_info,
        .create_group_id = group_id,
    };
}

static void handle_surface(QxlWorker *worker, const QXLCommandExt *ext)
{
    QxlSurfaceCommand cmd;
    QxlStatus status = qxl_parse_surface(worker->memslots, ext->group_id, ext->cmd.data, ext->flags,
                                         &worker->limits, &cmd);
    if (status != QXL_STATUS_OK) {
        qxl_worker_log_drop(worker, "surface command", status, NULL);
    } else if (cmd.surface_id == 0) {
        qxl_worker_log_drop(worker, "surface command", QXL_STATUS_BAD_SURFACE_ID,
                            "surface 0 is the primary (use create_primary_surface)");
    } else if (cmd.type == QXL_SURFACE_CMD_CREATE) {
        create_offscreen(worker, &cmd, ext->group_id);
        qxl_surface_command_clear(&cmd);
        return;   /* the create command is released when the surface is destroyed */
    } else {
        destroy_offscreen(worker, cmd.surface_id);
    }
    qxl_worker_release(worker, cmd.release_info, ext->group_id);
    qxl_surface_command_clear(&cmd);
}

void qxl_worker_destroy_offscreen(QxlWorker *worker, uint32_t surface_id)
{
    if (surface_id > 0 && surface_id < worker->n_surfaces) {
        destroy_offscreen(worker, surface_id);
    }
}

static void handle_cursor(QxlWorker *worker, const QXLCommandExt *ext)
{
    QxlCursorCommand cmd;
    QxlStatus status = qxl_parse_cursor(worker->memslots, ext->group_id, ext->cmd.data, ext->flags,
                                        &worker->limits, &cmd);
    if (status == QXL_STATUS_OK) {
        cursor_channel_process(worker->cursor, &cmd);
    } else {
        qxl_worker_log_drop(worker, "cursor command", status, NULL);
    }
    qxl_worker_release(worker, cmd.release_info, ext->group_id);
    qxl_cursor_command_clear(&cmd);
}

void qxl_worker_handle_command(QxlWorker *worker, const QXLCommandExt *ext, bool is_cursor_ring)
{
    switch (ext->cmd.type) {
    case QXL_CMD_DRAW:
        handle_draw(worker, ext);
        break;
    case QXL_CMD_SURFACE:
        handle_surface(worker, ext);
        break;
    case QXL_CMD_CURSOR:
        handle_cursor(worker, ext);
        break;
    default: {
        /* NOP, UPDATE (legacy), MESSAGE and unknown types: nothing to do but give them back. */
        QXLReleaseInfo *info = NULL;
        QxlStatus status = qxl_parse_release_info(worker->memslots, ext->group_id, ext->cmd.data, &info);
        if (status != QXL_STATUS_OK) {
            qxl_worker_log_drop(worker, "command", status, NULL);
        } else if (ext->cmd.type > QXL_CMD_SURFACE) {
            qxl_worker_log_drop(worker, "command", QXL_STATUS_BAD_TYPE, "unknown command type");
        }
        qxl_worker_release(worker, info, ext->group_id);
        break;
    }
    }
}

/* ---- the rings ---- */

/*
 * Fetches up to @budget commands from one ring. Returns true when the ring is empty and
 * notification is armed (or @arm is false and the ring is empty), false when the budget ran out.
 */
static bool process_ring(QxlWorker *worker, bool cursor_ring, int budget, bool arm)
{
    int (*get)(QXLInstance *, struct QXLCommandExt *) =
        cursor_ring ? worker->qif->get_cursor_command : worker->qif->get_command;
    int (*req)(QXLInstance *) =
        cursor_ring ? worker->qif->req_cursor_notification : worker->qif->req_cmd_notification;
    while (budget-- > 0) {
        if (!worker->vm_running) {
            return true;   /* vm_stop from inside a callback: fetch nothing more */
        }
        QXLCommandExt ext = { 0 };
        if (get(worker->qxl, &ext)) {
            qxl_worker_handle_command(worker, &ext, cursor_ring);
            continue;
        }
        if (!arm || req(worker->qxl)) {
            return true;
        }
        /* 0: commands arrived meanwhile; fetch again (this counts against the budget). */
    }
    return false;
}

void qxl_worker_process_rings(QxlWorker *worker)
{
    if (!worker->vm_running) {
        return;
    }
    bool display_idle = process_ring(worker, false, COMMANDS_PER_PASS, true);
    bool cursor_idle = process_ring(worker, true, COMMANDS_PER_PASS, true);
    display_channel_flush(worker->display);
    if (!display_idle || !cursor_idle) {
        qxl_worker_schedule_processing(worker, 0);
    }
}

void qxl_worker_drain_display_ring(QxlWorker *worker)
{
    if (!worker->vm_running) {
        return;
    }
    if (!process_ring(worker, false, COMMANDS_PER_DRAIN, false)) {
        g_message("qxl %d: the guest keeps queueing commands; a sync call handled %d and goes on",
                  worker->qxl->id, COMMANDS_PER_DRAIN);
    }
    display_channel_flush(worker->display);
    /* Notification was not armed while draining: make sure the next pass arms it. */
    qxl_worker_schedule_processing(worker, 0);
}

/* ---- primary surface ---- */

bool qxl_worker_create_primary(QxlWorker *worker, const QXLDevSurfaceCreate *create)
{
    if (worker->primary) {
        g_message("qxl %d: create_primary_surface while a primary exists; the old one is destroyed "
                  "first", worker->qxl->id);
        qxl_worker_destroy_primary(worker);
    }
    QxlSurfaceMemory mem;
    QxlStatus status = qxl_parse_primary_surface(worker->memslots, create->group_id, create->format,
                                                 create->width, create->height, create->stride,
                                                 create->mem, &worker->limits, &mem);
    if (status != QXL_STATUS_OK) {
        g_message("qxl %d: create_primary_surface %ux%u format %u stride %d refused: %s; there is "
                  "no primary surface until the next create", worker->qxl->id, create->width,
                  create->height, create->format, create->stride, qxl_status_to_string(status));
        return false;
    }
    /* Without KEEP_DATA the memory holds nothing meant to be seen (QEMU hands us a fresh
     * uninitialised buffer): start from black as upstream does, never leak host memory. */
    if (!(create->flags & QXL_SURF_FLAG_KEEP_DATA)) {
        memset(mem.mem, 0, mem.mem_size);
    }
    Surface *surface = surface_new(0, mem.format, mem.width, mem.height, mem.stride, mem.line0);
    if (!surface) {
        return false;   /* surface_new logged why */
    }
    worker->primary = surface;
    pixman_region32_clear(&worker->guest_dirty);
    display_channel_set_primary(worker->display, surface);
    reds_on_primary_surface_changed(worker->reds, (uint32_t)worker->qxl->id, mem.width, mem.height,
                                    create->mouse_mode != 0);
    return true;
}

void qxl_worker_destroy_primary(QxlWorker *worker)
{
    if (!worker->primary) {
        return;
    }
    display_channel_set_primary(worker->display, NULL);
    surface_destroy(worker->primary);
    worker->primary = NULL;
    pixman_region32_clear(&worker->guest_dirty);
    reds_on_primary_surface_changed(worker->reds, (uint32_t)worker->qxl->id, 0, 0, false);
}

void qxl_worker_destroy_all_surfaces(QxlWorker *worker)
{
    qxl_worker_destroy_primary(worker);
    for (uint32_t id = 1; id < worker->n_surfaces; id++) {
        destroy_offscreen(worker, id);
    }
}
