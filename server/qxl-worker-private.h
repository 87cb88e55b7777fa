/* qxl-worker-private: the QxlWorker struct and the functions its split files (qxl-worker*.c) share. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <pixman.h>

#include "cursor-channel.h"
#include "display-channel.h"
#include "event-loop.h"
#include "qxl-worker-request.h"
#include "qxl-worker.h"
#include "qxl/memslot.h"
#include "qxl/qxl-parse.h"
#include "reds.h"
#include "surface.h"

/*
 * Threads and ownership:
 * - HOST thread (QEMU's vCPU/main thread, or the demo VM): qxl_worker_new/destroy, vm_start/stop,
 *   the spice_qxl_* calls (qxl-api.c) and the reds link callbacks. It only touches the fields
 *   marked [host] and the request queue (under `lock`).
 * - WORKER thread (one per QXL instance, created here): runs `context`; owns everything marked
 *   [worker]: memslots, surfaces, the display and cursor channels and their client sockets, and
 *   every QXLInterface callback except get_init_info / attache_worker / set_compression_level
 *   (made once from the host thread in qxl_worker_new, as upstream does).
 */
typedef struct HeldEvent HeldEvent;

/* An off-screen surface (QXL_CMD_SURFACE): its canvas, and its CREATE command held until destroy. */
typedef struct OffscreenSurface {
    Surface *surface;               /* owned; NULL when the id is free */
    QXLReleaseInfo *create_release_info;
    uint32_t create_group_id;
} OffscreenSurface;

struct QxlWorker {
    /* fixed at creation, read by both threads */
    SpiceServer *reds;
    QXLInstance *qxl;
    const QXLInterface *qif;
    uint8_t channel_id;
    uint32_t n_surfaces;
    GMainContext *context;          /* owned; run by the worker thread */
    GThread *thread;                /* owned; joined by qxl_worker_destroy */

    /* [host] */
    char *device_address;
    uint32_t display_id_start;
    uint32_t display_id_count;
    bool channels_registered;

    /* shared, under `lock` */
    GMutex lock;
    GCond cond;                     /* a sync request finished, or the thread started */
    GQueue queue;                   /* of QueuedItem* */
    bool started;
    gint queued;                    /* atomic: items in `queue`, read by the GSource without the lock */
    gint wakeup_queued;             /* atomic: a WAKEUP is already in the queue */
    gint max_monitors;              /* atomic: spice_qxl_set_max_monitors, 0 = no limit */

    /* [worker] */
    GMainLoop *main_loop;
    GSource *request_source;
    GSource *process_source;        /* scheduled ring processing, NULL when none */
    EventLoop *event_loop;
    QxlMemslots *memslots;
    QxlParseLimits limits;
    bool vm_running;
    GArray *held;                   /* of HeldEvent: releases/completions made while stopped */
    Surface *primary;               /* NULL when there is no primary surface */
    pixman_region32_t guest_dirty;  /* primary area rendered since the last update_area(clear) */
    OffscreenSurface *surfaces;     /* n_surfaces entries; [0] unused (the primary is `primary`) */
    DisplayChannel *display;
    CursorChannel *cursor;
    bool told_client_present;       /* what set_client_capabilities last said */
    uint8_t told_client_caps[SPICE_CAPABILITIES_SIZE];
    uint32_t drops_logged;          /* rate limit for "dropped command" lines */
};

/* ---- qxl-worker.c ---- */
/* Hands a command back to the guest (held while the VM is stopped). @info NULL: nothing. */
void qxl_worker_release(QxlWorker *worker, QXLReleaseInfo *info, uint32_t group_id);
/* Completes an async request (held while the VM is stopped). */
void qxl_worker_complete(QxlWorker *worker, uint64_t cookie);
/* update_area_async's rects for the host (held while stopped, like completions). */
void qxl_worker_update_area_complete(QxlWorker *worker, uint32_t surface_id,
                                     const QXLRect *rects, uint32_t num_rects);
/* Runs ring processing soon (after @delay_ms). */
void qxl_worker_schedule_processing(QxlWorker *worker, uint32_t delay_ms);
/* One log line per dropped guest command, rate limited against a hostile guest. */
void qxl_worker_log_drop(QxlWorker *worker, const char *what, QxlStatus status, const char *detail);

/* ---- qxl-worker-commands.c ---- */
/* Fetches and handles commands from both rings, a bounded number per call. */
void qxl_worker_process_rings(QxlWorker *worker);
/* Handles every display command the guest has queued now (bounded), without arming notification. */
void qxl_worker_drain_display_ring(QxlWorker *worker);
/* One fetched (or loadvm) command: parse, render, forward, release. */
void qxl_worker_handle_command(QxlWorker *worker, const QXLCommandExt *ext, bool is_cursor_ring);
/* Creates / destroys the primary surface (log lines name the problem). */
bool qxl_worker_create_primary(QxlWorker *worker, const QXLDevSurfaceCreate *create);
void qxl_worker_destroy_primary(QxlWorker *worker);
void qxl_worker_destroy_all_surfaces(QxlWorker *worker);
/* destroy_surface_wait: frees off-screen surface @surface_id and releases its CREATE command. */
void qxl_worker_destroy_offscreen(QxlWorker *worker, uint32_t surface_id);

/* ---- qxl-worker-draw.c ---- */
/* Surface @surface_id (0 = the primary), or NULL when it does not exist. */
Surface *qxl_worker_get_surface(QxlWorker *worker, uint32_t surface_id);
/* Renders a parsed draw into its surface; draws to the primary are forwarded to clients. */
void qxl_worker_render_draw(QxlWorker *worker, const QxlDrawCommand *cmd);

/* ---- qxl-worker-requests.c ---- */
/* Runs one spice_qxl_* request in the worker thread (including its async completion). */
void qxl_worker_run_request(QxlWorker *worker, const QxlRequest *request);
