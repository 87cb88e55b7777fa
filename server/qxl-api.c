/* qxl-api: the exported spice_qxl_* entry points; each becomes a request for the instance's worker thread. */
#ifndef SPICE_SERVER_INTERNAL
#define SPICE_SERVER_INTERNAL   /* implement the deprecated entry points without warnings */
#endif

#include <glib.h>

#include "qxl-worker-request.h"
#include "spice-export.h"

/*
 * Host thread. The worker is found through qxl->st (set by qxl_worker_new). A call on an
 * instance that was never added (st NULL) is a host bug: one log line, and async calls cannot
 * complete (there is no thread to complete them from).
 */
static QxlWorker *worker_of(QXLInstance *qxl, const char *function)
{
    QxlWorker *worker = qxl_worker_from_instance(qxl);
    if (!worker) {
        g_warning("%s: the QXL instance was not added with spice_server_add_interface; ignored",
                  function);
    }
    return worker;
}

static void request_sync(QXLInstance *qxl, const char *function, QxlRequest *request)
{
    QxlWorker *worker = worker_of(qxl, function);
    if (worker) {
        request->is_async = false;
        qxl_worker_request(worker, request);
    }
}

static void request_async(QXLInstance *qxl, const char *function, QxlRequest *request,
                          uint64_t cookie)
{
    QxlWorker *worker = worker_of(qxl, function);
    if (worker) {
        request->is_async = true;
        request->cookie = cookie;
        qxl_worker_request(worker, request);
    }
}

SPICE_EXPORT void spice_qxl_wakeup(QXLInstance *instance)
{
    QxlWorker *worker = worker_of(instance, __func__);
    if (worker) {
        /* Async without a cookie: the host does not wait for a wakeup. */
        QxlRequest request = { .type = QXL_REQUEST_WAKEUP, .is_async = true };
        qxl_worker_request(worker, &request);
    }
}

SPICE_EXPORT void spice_qxl_oom(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_OOM };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_start(QXLInstance *instance)
{
    qxl_worker_vm_start(worker_of(instance, __func__));
}

SPICE_EXPORT void spice_qxl_stop(QXLInstance *instance)
{
    qxl_worker_vm_stop(worker_of(instance, __func__));
}

SPICE_EXPORT void spice_qxl_update_area(QXLInstance *instance, uint32_t surface_id,
                                        struct QXLRect *area, struct QXLRect *dirty_rects,
                                        uint32_t num_dirty_rects, uint32_t clear_dirty_region)
{
    QxlRequest request = { .type = QXL_REQUEST_UPDATE_AREA };
    request.u.update_area.surface_id = surface_id;
    if (area) {
        request.u.update_area.area = *area;
    }
    request.u.update_area.dirty_rects = dirty_rects;
    request.u.update_area.num_dirty_rects = dirty_rects ? num_dirty_rects : 0;
    request.u.update_area.clear_dirty_region = clear_dirty_region;
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_update_area_async(QXLInstance *instance, uint32_t surface_id,
                                              QXLRect *qxl_area, uint32_t clear_dirty_region,
                                              uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_UPDATE_AREA };
    request.u.update_area.surface_id = surface_id;
    if (qxl_area) {
        request.u.update_area.area = *qxl_area;
    }
    request.u.update_area.clear_dirty_region = clear_dirty_region;
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_add_memslot(QXLInstance *instance, QXLDevMemSlot *slot)
{
    if (!slot) {
        g_warning("%s: NULL slot ignored", __func__);
        return;
    }
    QxlRequest request = { .type = QXL_REQUEST_ADD_MEMSLOT, .u.memslot = *slot };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_add_memslot_async(QXLInstance *instance, QXLDevMemSlot *slot,
                                              uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_ADD_MEMSLOT };
    if (slot) {
        request.u.memslot = *slot;
    } else {
        /* Still completed, so the host does not wait forever; an empty slot is refused. */
        g_warning("%s: NULL slot; completing without adding", __func__);
        request.u.memslot.virt_start = 1;
    }
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_del_memslot(QXLInstance *instance, uint32_t slot_group_id,
                                        uint32_t slot_id)
{
    QxlRequest request = { .type = QXL_REQUEST_DEL_MEMSLOT };
    request.u.del_memslot.group_id = slot_group_id;
    request.u.del_memslot.slot_id = slot_id;
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_reset_memslots(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_RESET_MEMSLOTS };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_destroy_surfaces(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_SURFACES };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_destroy_surfaces_async(QXLInstance *instance, uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_SURFACES };
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_destroy_primary_surface(QXLInstance *instance, uint32_t surface_id)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_PRIMARY };
    request.u.primary.surface_id = surface_id;
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_destroy_primary_surface_async(QXLInstance *instance,
                                                          uint32_t surface_id, uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_PRIMARY };
    request.u.primary.surface_id = surface_id;
    request_async(instance, __func__, &request, cookie);
}

static void fill_primary(QxlRequest *request, uint32_t surface_id, const QXLDevSurfaceCreate *surface)
{
    request->type = QXL_REQUEST_CREATE_PRIMARY;
    request->u.primary.surface_id = surface_id;
    if (surface) {
        request->u.primary.create = *surface;
    }
    /* A NULL surface leaves width 0, which the worker refuses with a log line. */
}

SPICE_EXPORT void spice_qxl_create_primary_surface(QXLInstance *instance, uint32_t surface_id,
                                                   QXLDevSurfaceCreate *surface)
{
    QxlRequest request = { 0 };
    fill_primary(&request, surface_id, surface);
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_create_primary_surface_async(QXLInstance *instance,
                                                         uint32_t surface_id,
                                                         QXLDevSurfaceCreate *surface,
                                                         uint64_t cookie)
{
    QxlRequest request = { 0 };
    fill_primary(&request, surface_id, surface);
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_reset_image_cache(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_RESET_IMAGE_CACHE };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_reset_cursor(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_RESET_CURSOR };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_destroy_surface_wait(QXLInstance *instance, uint32_t surface_id)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_SURFACE, .u.surface_id = surface_id };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_destroy_surface_async(QXLInstance *instance, uint32_t surface_id,
                                                  uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_DESTROY_SURFACE, .u.surface_id = surface_id };
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_loadvm_commands(QXLInstance *instance, struct QXLCommandExt *ext,
                                            uint32_t count)
{
    QxlRequest request = { .type = QXL_REQUEST_LOADVM_COMMANDS };
    request.u.loadvm.commands = ext;
    request.u.loadvm.count = ext ? count : 0;
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_flush_surfaces_async(QXLInstance *instance, uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_FLUSH_SURFACES };
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_monitors_config_async(QXLInstance *instance,
                                                  QXLPHYSICAL monitors_config, int group_id,
                                                  uint64_t cookie)
{
    QxlRequest request = { .type = QXL_REQUEST_MONITORS_CONFIG };
    request.u.monitors_config.addr = monitors_config;
    request.u.monitors_config.group_id = group_id;
    request_async(instance, __func__, &request, cookie);
}

SPICE_EXPORT void spice_qxl_driver_unload(QXLInstance *instance)
{
    QxlRequest request = { .type = QXL_REQUEST_DRIVER_UNLOAD };
    request_sync(instance, __func__, &request);
}

SPICE_EXPORT void spice_qxl_set_max_monitors(QXLInstance *instance, unsigned int max_monitors)
{
    QxlWorker *worker = worker_of(instance, __func__);
    if (worker) {
        qxl_worker_set_max_monitors(worker, max_monitors);
    }
}

SPICE_EXPORT void spice_qxl_set_device_info(QXLInstance *instance, const char *device_address,
                                            uint32_t device_display_id_start,
                                            uint32_t device_display_id_count)
{
    QxlWorker *worker = worker_of(instance, __func__);
    if (worker) {
        qxl_worker_set_device_info(worker, device_address, device_display_id_start,
                                   device_display_id_count);
    }
}
