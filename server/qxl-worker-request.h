/* qxl-worker-request: the spice_qxl_* calls as requests the host thread queues for a QXL worker thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "qxl-worker.h"

/*
 * qxl-api.c turns each spice_qxl_* call into a QxlRequest and hands it to
 * qxl_worker_request(). The worker runs requests in the order they were queued, in its own
 * thread. A synchronous request blocks the calling thread until the worker has run it (so
 * pointers in it, such as dirty_rects or loadvm commands, may point at the caller's memory); an
 * asynchronous one is copied, and the worker later calls QXLInterface.async_complete(cookie)
 * from its thread (held back while the VM is stopped, delivered in order at vm_start).
 * A request made from the worker thread itself (from inside a QXLInterface callback) runs at once.
 */
typedef enum QxlRequestType {
    QXL_REQUEST_WAKEUP,
    QXL_REQUEST_OOM,
    QXL_REQUEST_ADD_MEMSLOT,
    QXL_REQUEST_DEL_MEMSLOT,
    QXL_REQUEST_RESET_MEMSLOTS,
    QXL_REQUEST_CREATE_PRIMARY,
    QXL_REQUEST_DESTROY_PRIMARY,
    QXL_REQUEST_DESTROY_SURFACES,
    QXL_REQUEST_DESTROY_SURFACE,
    QXL_REQUEST_UPDATE_AREA,
    QXL_REQUEST_FLUSH_SURFACES,
    QXL_REQUEST_MONITORS_CONFIG,
    QXL_REQUEST_RESET_CURSOR,
    QXL_REQUEST_RESET_IMAGE_CACHE,
    QXL_REQUEST_DRIVER_UNLOAD,
    QXL_REQUEST_LOADVM_COMMANDS,
} QxlRequestType;

typedef struct QxlRequest {
    QxlRequestType type;
    bool is_async;
    uint64_t cookie;              /* async only */
    union {
        QXLDevMemSlot memslot;                          /* ADD_MEMSLOT */
        struct { uint32_t group_id, slot_id; } del_memslot;
        struct { uint32_t surface_id; QXLDevSurfaceCreate create; } primary;   /* CREATE/DESTROY_PRIMARY */
        uint32_t surface_id;                            /* DESTROY_SURFACE */
        struct {
            uint32_t surface_id;
            QXLRect area;
            QXLRect *dirty_rects;                       /* sync only: the caller's array */
            uint32_t num_dirty_rects;
            uint32_t clear_dirty_region;
        } update_area;
        struct { QXLPHYSICAL addr; int group_id; } monitors_config;
        struct { const QXLCommandExt *commands; uint32_t count; } loadvm;  /* sync only */
    } u;
} QxlRequest;

/* The worker of a QXLInstance registered with add_interface (qxl->st); NULL before that. */
QxlWorker *qxl_worker_from_instance(QXLInstance *qxl);

/* Queues @request (copied) and, unless it is async, waits until the worker has run it. Host thread. */
void qxl_worker_request(QxlWorker *worker, const QxlRequest *request);

/* spice_qxl_set_device_info: stored for the agent's graphics device info. Host thread. */
void qxl_worker_set_device_info(QxlWorker *worker, const char *device_address,
                                uint32_t display_id_start, uint32_t display_id_count);

/* spice_qxl_set_max_monitors: caps the heads of a guest monitor layout (0 = no cap). Any thread. */
void qxl_worker_set_max_monitors(QxlWorker *worker, unsigned int max_monitors);
