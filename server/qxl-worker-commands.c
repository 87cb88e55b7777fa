/* qxl-worker-commands: fetching QXL commands, rendering them into the primary canvas and forwarding them to the channels. */
#include "qxl-worker-private.h"

#include <string.h>
#include <spice/enums.h>

#include "qxl-worker-bitmap.h"

/* Commands per ring per processing pass, so sockets and requests get their turn. */
#define COMMANDS_PER_PASS 64
/* A sync call (update_area, destroy) handles at most this many queued display commands. */
#define COMMANDS_PER_DRAIN 4096
/* Keep the guest-dirty region (reported by update_area) small. */
#define GUEST_DIRTY_MAX_RECTS 32

static pixman_box32_t box_from_rect(const QxlRect *r)
{
    return (pixman_box32_t){ .x1 = r->left, .y1 = r->top, .x2 = r->right, .y2 = r->bottom };
}

static void mark_guest_dirty(QxlWorker *worker, const pixman_region32_t *changed)
{
    pixman_region32_union(&worker->guest_dirty, &worker->guest_dirty, (pixman_region32_t *)changed);
    if (pixman_region32_n_rects(&worker->guest_dirty) > GUEST_DIRTY_MAX_RECTS) {
        pixman_box32_t extents = *pixman_region32_extents(&worker->guest_dirty);
        pixman_region32_fini(&worker->guest_dirty);
        pixman_region32_init_rects(&worker->guest_dirty, &extents, 1);
    }
}

/* ---- draws ---- */

typedef struct DrawTarget {
    pixman_box32_t bbox;
    pixman_region32_t area;        /* bbox ∩ clip: what the draw may change */
    bool has_clip;                 /* clip RECTS: area is the clip (sent as clip rects) */
} DrawTarget;

static void render_fill(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                        const DisplayDrawBase *base)
{
    const QxlFill *fill = &cmd->u.fill;
    if (fill->brush.type == SPICE_BRUSH_TYPE_NONE) {
        return;
    }
    if (fill->rop_descriptor != SPICE_ROPD_OP_PUT) {
        qxl_worker_log_drop(worker, "draw FILL", QXL_STATUS_UNSUPPORTED, "only rop PUT is rendered");
        return;
    }
    surface_fill(worker->primary, &t->bbox, t->has_clip ? &t->area : NULL, fill->brush.color);
    mark_guest_dirty(worker, &t->area);
    display_channel_draw_fill(worker->display, base, fill->brush.color, fill->rop_descriptor,
                              &t->area);
}

static void render_copy(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                        const DisplayDrawBase *base)
{
    const QxlCopy *copy = &cmd->u.copy;
    if (copy->rop_descriptor != SPICE_ROPD_OP_PUT) {
        qxl_worker_log_drop(worker, cmd->type == QXL_DRAW_COPY ? "draw COPY" : "draw OPAQUE",
                            QXL_STATUS_UNSUPPORTED, "only rop PUT is rendered");
        return;
    }
    uint8_t wire_format;
    pixman_image_t *src = qxl_bitmap_to_pixman(copy->src, &wire_format);
    if (!src) {
        qxl_worker_log_drop(worker, "draw COPY", QXL_STATUS_UNSUPPORTED,
                            "bitmap format not drawable (or no memory)");
        return;
    }
    pixman_box32_t src_area = box_from_rect(&copy->src_area);
    if (src_area.x1 == src_area.x2 || src_area.y1 == src_area.y2) {
        pixman_image_unref(src);
        return;
    }
    surface_copy_image(worker->primary, &t->bbox, src, &src_area, t->has_clip ? &t->area : NULL,
                       copy->scale_mode == SPICE_IMAGE_SCALE_MODE_INTERPOLATE);
    mark_guest_dirty(worker, &t->area);

    /* The client gets only the src_area part of the converted 32-bit image. */
    const uint8_t *pixels = (const uint8_t *)pixman_image_get_data(src);
    uint32_t stride = (uint32_t)pixman_image_get_stride(src);
    DisplayBitmap bitmap = {
        .image_id = copy->src->id,
        .format = wire_format,
        .width = (uint32_t)(src_area.x2 - src_area.x1),
        .height = (uint32_t)(src_area.y2 - src_area.y1),
        .stride = stride,
        .pixels = pixels + (size_t)src_area.y1 * stride + (size_t)src_area.x1 * 4,
    };
    pixman_box32_t wire_src_area = { 0, 0, (int32_t)bitmap.width, (int32_t)bitmap.height };
    display_channel_draw_copy(worker->display, base, &bitmap, &wire_src_area, copy->rop_descriptor,
                              copy->scale_mode, &t->area);
    pixman_image_unref(src);
}

static void render_copy_bits(QxlWorker *worker, const QxlDrawCommand *cmd, DrawTarget *t,
                             const DisplayDrawBase *base)
{
    const QxlCopyBits *bits = &cmd->u.copy_bits;
    surface_copy_bits(worker->primary, &t->bbox, bits->src_x, bits->src_y,
                      t->has_clip ? &t->area : NULL);
    mark_guest_dirty(worker, &t->area);
    display_channel_copy_bits(worker->display, base, bits->src_x, bits->src_y, &t->area);
}

static void render_draw(QxlWorker *worker, const QxlDrawCommand *cmd)
{
    if (cmd->surface_id != 0) {
        if (!worker->warned_offscreen) {
            g_message("qxl %d: draws to off-screen surfaces are not rendered or sent yet; they are "
                      "dropped (logged once)", worker->qxl->id);
            worker->warned_offscreen = true;
        }
        return;
    }
    if (!worker->primary) {
        qxl_worker_log_drop(worker, "draw", QXL_STATUS_BAD_SURFACE_ID, "no primary surface exists");
        return;
    }
    if (!qxl_rect_is_within(&cmd->bbox, surface_get_width(worker->primary),
                            surface_get_height(worker->primary))) {
        char detail[96];
        g_snprintf(detail, sizeof(detail), "bbox (%d,%d)-(%d,%d) outside the %ux%u primary surface",
                   cmd->bbox.left, cmd->bbox.top, cmd->bbox.right, cmd->bbox.bottom,
                   surface_get_width(worker->primary), surface_get_height(worker->primary));
        qxl_worker_log_drop(worker, "draw", QXL_STATUS_BAD_RECT, detail);
        return;
    }
    if (qxl_rect_is_empty(&cmd->bbox)) {
        return;
    }
    DrawTarget t = { .bbox = box_from_rect(&cmd->bbox) };
    pixman_region32_init_rects(&t.area, &t.bbox, 1);
    if (cmd->clip.type == SPICE_CLIP_TYPE_RECTS) {
        /* One normalising pass over all rects (a union per rect would be quadratic). */
        pixman_box32_t *boxes = g_new(pixman_box32_t, MAX(cmd->clip.num_rects, 1));
        for (uint32_t i = 0; i < cmd->clip.num_rects; i++) {
            boxes[i] = box_from_rect(&cmd->clip.rects[i]);
        }
        pixman_region32_t clip;
        if (!pixman_region32_init_rects(&clip, boxes, (int)cmd->clip.num_rects)) {
            pixman_region32_init(&clip);
        }
        g_free(boxes);
        pixman_region32_intersect(&t.area, &t.area, &clip);
        pixman_region32_fini(&clip);
        t.has_clip = true;
    }
    if (pixman_region32_not_empty(&t.area)) {
        int n = 0;
        const pixman_box32_t *clip_rects = pixman_region32_rectangles(&t.area, &n);
        DisplayDrawBase base = {
            .surface_id = 0,
            .box = t.bbox,
            .clip_rects = t.has_clip ? clip_rects : NULL,
            .num_clip_rects = t.has_clip ? (uint32_t)n : 0,
        };
        switch (cmd->type) {
        case QXL_DRAW_FILL:
            render_fill(worker, cmd, &t, &base);
            break;
        case QXL_DRAW_COPY:
        case QXL_DRAW_OPAQUE:
            render_copy(worker, cmd, &t, &base);
            break;
        case QXL_COPY_BITS:
            render_copy_bits(worker, cmd, &t, &base);
            break;
        default:
            qxl_worker_log_drop(worker, "draw", QXL_STATUS_UNSUPPORTED, "draw type not rendered");
            break;
        }
    }
    pixman_region32_fini(&t.area);
}

static void handle_draw(QxlWorker *worker, const QXLCommandExt *ext)
{
    QxlDrawCommand cmd;
    QxlStatus status = qxl_parse_draw(worker->memslots, ext->group_id, ext->cmd.data, ext->flags,
                                      &worker->limits, &cmd);
    if (status == QXL_STATUS_OK) {
        render_draw(worker, &cmd);
    } else {
        char detail[48];
        g_snprintf(detail, sizeof(detail), "draw type %u", cmd.type);
        qxl_worker_log_drop(worker, "draw command", status, detail);
    }
    /* Parsed structs own copies of everything: the guest memory can go back at once. */
    qxl_worker_release(worker, cmd.release_info, ext->group_id);
    qxl_draw_command_clear(&cmd);
}

/* ---- surfaces ---- */

/*
 * Off-screen surfaces are only tracked (created / destroyed) until they are rendered and sent;
 * we keep no reference to their memory, so their CREATE command is released at once instead of
 * at destroy as upstream does.
 */
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
        worker->offscreen_exists[cmd.surface_id] = 1;
    } else {
        worker->offscreen_exists[cmd.surface_id] = 0;
    }
    qxl_worker_release(worker, cmd.release_info, ext->group_id);
    qxl_surface_command_clear(&cmd);
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
    memset(worker->offscreen_exists, 0, worker->n_surfaces);
}
