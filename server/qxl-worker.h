/* qxl-worker: one thread per QXL instance: fetches and parses commands, keeps surfaces, runs the display and cursor channels. */
#pragma once

#include <stdbool.h>

#include "spice.h"

typedef struct QxlWorker QxlWorker;

/*
 * Called by spice_server_add_interface for a "qxl" instance (already version-checked). Sets
 * @qxl->st, calls attache_worker / set_compression_level / get_init_info as upstream does, starts
 * the worker thread, registers the display and cursor channels (id = @qxl->id) with @reds.
 * Host thread. Returns NULL (with a log line) on failure.
 */
QxlWorker *qxl_worker_new(SpiceServer *reds, QXLInstance *qxl);
/* Unregisters the channels, disconnects their clients, stops and joins the thread. Accepts NULL. */
void qxl_worker_destroy(QxlWorker *worker);

/* VM run state, forwarded from spice_server_vm_start/stop: while stopped nothing is fetched or released. */
void qxl_worker_vm_start(QxlWorker *worker);
void qxl_worker_vm_stop(QxlWorker *worker);
