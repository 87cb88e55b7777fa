/* qxl-worker: the worker thread of one QXL instance: lifecycle, the request queue from the host, VM state, held releases. */
/* The deprecated attache_worker callback is still what QEMU implements. */
#ifndef SPICE_SERVER_INTERNAL
#define SPICE_SERVER_INTERNAL
#endif
#include "qxl-worker-private.h"

#include <signal.h>
#include <string.h>
#include <spice/protocol.h>

#include "channel-connection.h"

/* Requests run per dispatch before the loop gives sockets a turn. */
#define REQUESTS_PER_DISPATCH 32
/* "dropped command" lines: the first ones, then one in this many. */
#define DROP_LOG_FIRST 20
#define DROP_LOG_EVERY 1000
/* Upstream caps the surface count the device may ask for. */
#define QXL_WORKER_MAX_SURFACES 1024

typedef enum ItemKind {
    ITEM_REQUEST,
    ITEM_LINK_DISPLAY,
    ITEM_LINK_CURSOR,
    ITEM_SESSION_END,
    ITEM_VM_START,
    ITEM_VM_STOP,
    ITEM_QUIT,
} ItemKind;

typedef struct QueuedItem {
    ItemKind kind;
    QxlRequest request;
    LinkedPeer *peer;          /* LINK_*: owned until handed to a channel */
    bool sync;                 /* the caller waits on `done` (the item is on its stack) */
    bool done;
} QueuedItem;

typedef enum HeldKind {
    HELD_RELEASE,
    HELD_COMPLETE,
    HELD_UPDATE_AREA,
} HeldKind;

struct HeldEvent {
    HeldKind kind;
    QXLReleaseInfoExt release;
    uint64_t cookie;
    uint32_t surface_id;
    QXLRect *rects;            /* HELD_UPDATE_AREA: owned */
    uint32_t num_rects;
};

typedef struct RequestSource {
    GSource base;
    QxlWorker *worker;
} RequestSource;

QxlWorker *qxl_worker_from_instance(QXLInstance *qxl)
{
    return qxl ? (QxlWorker *)(void *)qxl->st : NULL;
}

/* ---- held events (VM stopped) ---- */

static void hold(QxlWorker *worker, const HeldEvent *event)
{
    g_array_append_val(worker->held, *event);
}

void qxl_worker_release(QxlWorker *worker, QXLReleaseInfo *info, uint32_t group_id)
{
    if (!info) {
        return;
    }
    QXLReleaseInfoExt ext = { .info = info, .group_id = group_id };
    if (!worker->vm_running) {
        hold(worker, &(HeldEvent){ .kind = HELD_RELEASE, .release = ext });
        return;
    }
    worker->qif->release_resource(worker->qxl, ext);
}

void qxl_worker_complete(QxlWorker *worker, uint64_t cookie)
{
    if (!worker->vm_running) {
        hold(worker, &(HeldEvent){ .kind = HELD_COMPLETE, .cookie = cookie });
        return;
    }
    if (worker->qif->async_complete) {
        worker->qif->async_complete(worker->qxl, cookie);
    }
}

void qxl_worker_update_area_complete(QxlWorker *worker, uint32_t surface_id,
                                     const QXLRect *rects, uint32_t num_rects)
{
    if (!worker->qif->update_area_complete) {
        return;
    }
    if (!worker->vm_running) {
        hold(worker, &(HeldEvent){ .kind = HELD_UPDATE_AREA, .surface_id = surface_id,
                                   .rects = g_memdup2(rects, sizeof(*rects) * num_rects),
                                   .num_rects = num_rects });
        return;
    }
    worker->qif->update_area_complete(worker->qxl, surface_id, (QXLRect *)rects, num_rects);
}

static void deliver_held(QxlWorker *worker)
{
    /* Taken out first: a callback may cause new events, which then go straight out. */
    GArray *held = worker->held;
    worker->held = g_array_new(FALSE, FALSE, sizeof(HeldEvent));
    for (guint i = 0; i < held->len; i++) {
        HeldEvent *event = &g_array_index(held, HeldEvent, i);
        switch (event->kind) {
        case HELD_RELEASE:
            worker->qif->release_resource(worker->qxl, event->release);
            break;
        case HELD_COMPLETE:
            qxl_worker_complete(worker, event->cookie);
            break;
        case HELD_UPDATE_AREA:
            qxl_worker_update_area_complete(worker, event->surface_id, event->rects, event->num_rects);
            g_free(event->rects);
            break;
        }
    }
    g_array_free(held, TRUE);
}

static void free_held(GArray *held)
{
    for (guint i = 0; i < held->len; i++) {
        g_free(g_array_index(held, HeldEvent, i).rects);
    }
    if (held->len) {
        g_message("qxl worker: %u releases/completions were still held for a stopped VM at "
                  "shutdown; they are dropped", held->len);
    }
    g_array_free(held, TRUE);
}

void qxl_worker_log_drop(QxlWorker *worker, const char *what, QxlStatus status, const char *detail)
{
    uint32_t n = ++worker->drops_logged;
    if (n <= DROP_LOG_FIRST || n % DROP_LOG_EVERY == 0) {
        g_message("qxl %d: dropped %s: %s%s%s; the guest keeps running%s", worker->qxl->id, what,
                  qxl_status_to_string(status), detail ? ", " : "", detail ? detail : "",
                  n == DROP_LOG_FIRST ? " (further drops are logged once per 1000)" : "");
    }
}

/* ---- what the device knows about clients ---- */

/*
 * QXLInterface.set_client_capabilities (3.2+): whether a display client is connected, and the
 * display capabilities every client has, among those we can honour. Only MONITORS_CONFIG: a guest
 * told about COMPOSITE or A8 surfaces would send draws we do not render yet. As upstream, it is
 * only told while the VM runs (again at vm_start).
 */
static void update_client_caps(QxlWorker *worker)
{
    const QXLInterface *qif = worker->qif;
    if (qif->base.major_version != 3 || qif->base.minor_version < 2 ||
        !qif->set_client_capabilities || !worker->vm_running || !worker->display) {
        return;
    }
    uint8_t caps[SPICE_CAPABILITIES_SIZE] = { 0 };
    bool present = display_channel_num_clients(worker->display) > 0;
    if (display_channel_clients_have_cap(worker->display, SPICE_DISPLAY_CAP_MONITORS_CONFIG)) {
        caps[SPICE_DISPLAY_CAP_MONITORS_CONFIG / 8] |= 1u << (SPICE_DISPLAY_CAP_MONITORS_CONFIG % 8);
    }
    if (present == worker->told_client_present &&
        memcmp(caps, worker->told_client_caps, sizeof(caps)) == 0) {
        return;
    }
    worker->told_client_present = present;
    memcpy(worker->told_client_caps, caps, sizeof(caps));
    qif->set_client_capabilities(worker->qxl, present, caps);
}

static void display_clients_changed(DisplayChannel *display, void *opaque)
{
    update_client_caps(opaque);
}

/* ---- ring processing schedule ---- */

static gboolean process_source_fired(gpointer data)
{
    QxlWorker *worker = data;
    g_source_unref(worker->process_source);
    worker->process_source = NULL;
    qxl_worker_process_rings(worker);
    return G_SOURCE_REMOVE;
}

void qxl_worker_schedule_processing(QxlWorker *worker, uint32_t delay_ms)
{
    if (worker->process_source) {
        return;
    }
    worker->process_source = g_timeout_source_new(delay_ms);
    g_source_set_callback(worker->process_source, process_source_fired, worker, NULL);
    g_source_attach(worker->process_source, worker->context);
}

/* ---- the request queue ---- */

static void report_never_linked(LinkedPeer *peer)
{
    /* Same duty as a ChannelConnection closing: QEMU keeps event_info until DISCONNECTED. */
    if (peer->reds && peer->event_info) {
        SpiceChannelEventInfo *info = peer->event_info;
        peer->event_info = NULL;
        reds_report_channel_event(peer->reds, SPICE_CHANNEL_EVENT_DISCONNECTED, info, g_free);
    }
    linked_peer_free(peer);
}

static void run_item(QxlWorker *worker, QueuedItem *item)
{
    switch (item->kind) {
    case ITEM_REQUEST:
        qxl_worker_run_request(worker, &item->request);
        break;
    case ITEM_LINK_DISPLAY:
        display_channel_add_client(worker->display, item->peer);
        item->peer = NULL;
        break;
    case ITEM_LINK_CURSOR:
        cursor_channel_add_client(worker->cursor, item->peer);
        item->peer = NULL;
        break;
    case ITEM_SESSION_END:
        display_channel_disconnect_all(worker->display);
        cursor_channel_disconnect_all(worker->cursor);
        break;
    case ITEM_VM_START:
        if (!worker->vm_running) {
            worker->vm_running = true;
            deliver_held(worker);
            update_client_caps(worker);
        }
        qxl_worker_schedule_processing(worker, 0);
        break;
    case ITEM_VM_STOP:
        /* Draws are rendered as they arrive, so guest memory is already up to date. */
        worker->vm_running = false;
        break;
    case ITEM_QUIT:
        g_main_loop_quit(worker->main_loop);
        break;
    }
}

static void finish_item(QxlWorker *worker, QueuedItem *item)
{
    if (item->sync) {
        g_mutex_lock(&worker->lock);
        item->done = true;
        g_cond_broadcast(&worker->cond);
        g_mutex_unlock(&worker->lock);
    } else {
        g_free(item);
    }
}

static gboolean request_source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return g_atomic_int_get(&((RequestSource *)source)->worker->queued) > 0;
}

static gboolean request_source_check(GSource *source)
{
    return g_atomic_int_get(&((RequestSource *)source)->worker->queued) > 0;
}

static gboolean request_source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    QxlWorker *worker = ((RequestSource *)source)->worker;
    for (int i = 0; i < REQUESTS_PER_DISPATCH; i++) {
        g_mutex_lock(&worker->lock);
        QueuedItem *item = g_queue_pop_head(&worker->queue);
        if (item) {
            g_atomic_int_add(&worker->queued, -1);
        }
        g_mutex_unlock(&worker->lock);
        if (!item) {
            break;
        }
        run_item(worker, item);
        finish_item(worker, item);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs request_source_funcs = {
    .prepare = request_source_prepare,
    .check = request_source_check,
    .dispatch = request_source_dispatch,
};

/* Queues @item; sync items are waited for. Any thread but the worker's. */
static void enqueue(QxlWorker *worker, QueuedItem *item)
{
    /* An async item belongs to the worker once queued (it may be freed at once). */
    bool sync = item->sync;
    g_mutex_lock(&worker->lock);
    g_queue_push_tail(&worker->queue, item);
    g_atomic_int_add(&worker->queued, 1);
    g_mutex_unlock(&worker->lock);
    g_main_context_wakeup(worker->context);
    if (sync) {
        g_mutex_lock(&worker->lock);
        while (!item->done) {
            g_cond_wait(&worker->cond, &worker->lock);
        }
        g_mutex_unlock(&worker->lock);
    }
}

/* Runs @item in the worker: directly when we already are the worker (a callback re-entering us). */
static void submit(QxlWorker *worker, ItemKind kind, const QxlRequest *request, LinkedPeer *peer,
                   bool sync)
{
    if (g_main_context_is_owner(worker->context)) {
        QueuedItem item = { .kind = kind, .peer = peer };
        if (request) {
            item.request = *request;
        }
        run_item(worker, &item);
        return;
    }
    if (sync) {
        QueuedItem item = { .kind = kind, .peer = peer, .sync = true };
        if (request) {
            item.request = *request;
        }
        enqueue(worker, &item);
        return;
    }
    QueuedItem *item = g_new0(QueuedItem, 1);
    item->kind = kind;
    item->peer = peer;
    if (request) {
        item->request = *request;
    }
    enqueue(worker, item);
}

void qxl_worker_request(QxlWorker *worker, const QxlRequest *request)
{
    if (request->type == QXL_REQUEST_WAKEUP) {
        /* QEMU may call wakeup at a high rate: one queued wakeup is enough. */
        if (!g_atomic_int_compare_and_exchange(&worker->wakeup_queued, 0, 1)) {
            return;
        }
    }
    submit(worker, ITEM_REQUEST, request, NULL, !request->is_async);
}

void qxl_worker_set_device_info(QxlWorker *worker, const char *device_address,
                                uint32_t display_id_start, uint32_t display_id_count)
{
    g_free(worker->device_address);
    worker->device_address = g_strdup(device_address);
    worker->display_id_start = display_id_start;
    worker->display_id_count = display_id_count;
}

/* ---- links from reds (host thread) ---- */

static void display_link(LinkedPeer *peer, void *opaque)
{
    submit(opaque, ITEM_LINK_DISPLAY, NULL, peer, false);
}

static void cursor_link(LinkedPeer *peer, void *opaque)
{
    submit(opaque, ITEM_LINK_CURSOR, NULL, peer, false);
}

/*
 * The client's session ended (a new client replaced it, or its main channel closed): its display
 * and cursor connections go too, as upstream closes every channel of the client. Queued behind any
 * earlier link, and ahead of the new client's links, which reds only accepts after this call.
 */
static void session_end(void *opaque)
{
    submit(opaque, ITEM_SESSION_END, NULL, NULL, false);
}

/* ---- the thread ---- */

static gpointer worker_thread_main(gpointer data)
{
    QxlWorker *worker = data;
    g_main_context_push_thread_default(worker->context);
    worker->main_loop = g_main_loop_new(worker->context, FALSE);
    worker->event_loop = event_loop_new_glib(worker->context);
    worker->display = display_channel_new(worker->event_loop, worker->channel_id);
    display_channel_set_clients_changed(worker->display, display_clients_changed, worker);
    display_channel_set_server(worker->display, worker->reds);
    worker->cursor = cursor_channel_new(worker->event_loop, worker->channel_id);
    worker->request_source = g_source_new(&request_source_funcs, sizeof(RequestSource));
    ((RequestSource *)worker->request_source)->worker = worker;
    g_source_attach(worker->request_source, worker->context);

    g_mutex_lock(&worker->lock);
    worker->started = true;
    g_cond_broadcast(&worker->cond);
    g_mutex_unlock(&worker->lock);

    qxl_worker_schedule_processing(worker, 0);
    g_main_loop_run(worker->main_loop);

    /* Shutdown, still in the worker thread: clients first, then what they looked at. */
    display_channel_destroy(worker->display);
    worker->display = NULL;
    cursor_channel_destroy(worker->cursor);
    worker->cursor = NULL;
    surface_destroy(worker->primary);
    worker->primary = NULL;
    /* Off-screen canvases go without releasing their CREATE commands: the device is going away. */
    for (uint32_t id = 1; id < worker->n_surfaces; id++) {
        surface_destroy(worker->surfaces[id].surface);
        worker->surfaces[id].surface = NULL;
    }
    if (worker->process_source) {
        g_source_destroy(worker->process_source);
        g_source_unref(worker->process_source);
        worker->process_source = NULL;
    }
    g_source_destroy(worker->request_source);
    g_source_unref(worker->request_source);
    /* Let removed sources finish before the loop goes. */
    while (g_main_context_iteration(worker->context, FALSE)) {
    }
    event_loop_destroy(worker->event_loop);
    worker->event_loop = NULL;
    g_main_loop_unref(worker->main_loop);
    g_main_context_pop_thread_default(worker->context);
    return NULL;
}

static bool start_thread(QxlWorker *worker)
{
    /* The worker must not take the host's signals (QEMU handles them in its own threads). */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    char name[32];
    g_snprintf(name, sizeof(name), "spice-qxl-%d", worker->qxl->id);
    GError *error = NULL;
    worker->thread = g_thread_try_new(name, worker_thread_main, worker, &error);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (!worker->thread) {
        g_warning("qxl %d: cannot start the worker thread: %s", worker->qxl->id, error->message);
        g_error_free(error);
        return false;
    }
    g_mutex_lock(&worker->lock);
    while (!worker->started) {
        g_cond_wait(&worker->cond, &worker->lock);
    }
    g_mutex_unlock(&worker->lock);
    return true;
}

static void worker_free(QxlWorker *worker)
{
    /* Items nobody ran (the thread never started or has stopped): free their peers. */
    QueuedItem *item;
    while ((item = g_queue_pop_head(&worker->queue))) {
        if (item->peer) {
            report_never_linked(item->peer);
        }
        if (!item->sync) {
            g_free(item);
        }
    }
    if (worker->held) {
        free_held(worker->held);
    }
    pixman_region32_fini(&worker->guest_dirty);
    qxl_memslots_free(worker->memslots);
    g_free(worker->surfaces);
    g_free(worker->device_address);
    if (worker->context) {
        g_main_context_unref(worker->context);
    }
    g_mutex_clear(&worker->lock);
    g_cond_clear(&worker->cond);
    if (worker->qxl && worker->qxl->st == (QXLState *)(void *)worker) {
        worker->qxl->st = NULL;
    }
    g_free(worker);
}

QxlWorker *qxl_worker_new(SpiceServer *reds, QXLInstance *qxl)
{
    const QXLInterface *qif = SPICE_CONTAINEROF(qxl->base.sif, QXLInterface, base);
    if (qxl->id < 0 || qxl->id > UINT8_MAX) {
        g_warning("qxl: instance id %d does not fit a channel id (0..255); not added", qxl->id);
        return NULL;
    }
    if (!qif->get_init_info || !qif->get_command || !qif->req_cmd_notification ||
        !qif->release_resource || !qif->get_cursor_command || !qif->req_cursor_notification) {
        g_warning("qxl %d: the QXLInterface lacks a required callback; not added", qxl->id);
        return NULL;
    }
    QxlWorker *worker = g_new0(QxlWorker, 1);
    worker->reds = reds;
    worker->qxl = qxl;
    worker->qif = qif;
    worker->channel_id = (uint8_t)qxl->id;
    g_mutex_init(&worker->lock);
    g_cond_init(&worker->cond);
    g_queue_init(&worker->queue);
    pixman_region32_init(&worker->guest_dirty);
    worker->held = g_array_new(FALSE, FALSE, sizeof(HeldEvent));
    qxl->st = (QXLState *)(void *)worker;

    /* As upstream: the QXLInstance itself stands for the QXLWorker in this deprecated callback. */
    if (qif->attache_worker) {
        qif->attache_worker(qxl, (QXLWorker *)(void *)qxl);
    }
    /* 0: the guest must not compress images; we parse only uncompressed bitmaps. */
    if (qif->set_compression_level) {
        qif->set_compression_level(qxl, 0);
    }
    QXLDevInitInfo info = { 0 };
    qif->get_init_info(qxl, &info);
    worker->memslots = qxl_memslots_new(info.num_memslots_groups, info.num_memslots,
                                        info.memslot_gen_bits, info.memslot_id_bits);
    if (!worker->memslots) {
        g_warning("qxl %d: get_init_info gave an unusable memslot layout (%u groups, %u slots, "
                  "%u generation bits, %u id bits); not added", qxl->id, info.num_memslots_groups,
                  info.num_memslots, info.memslot_gen_bits, info.memslot_id_bits);
        worker_free(worker);
        return NULL;
    }
    worker->n_surfaces = CLAMP(info.n_surfaces, 1, QXL_WORKER_MAX_SURFACES);
    qxl_parse_limits_init(&worker->limits, worker->n_surfaces);
    worker->surfaces = g_new0(OffscreenSurface, worker->n_surfaces);
    worker->vm_running = reds_is_vm_running(reds);

    worker->context = g_main_context_new();
    if (!start_thread(worker)) {
        worker_free(worker);
        return NULL;
    }
    uint32_t display_caps = 1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG;
    /* srvcomp: clients may send PREFERRED_COMPRESSION (display-channel.c honours it). */
    display_caps |= 1u << SPICE_DISPLAY_CAP_PREF_COMPRESSION;
    display_caps |= 1u << SPICE_DISPLAY_CAP_STREAM_REPORT;   /* server/stream-rate.h */
    reds_register_channel(reds, SPICE_CHANNEL_DISPLAY, worker->channel_id, &display_caps, 1,
                          display_link, worker);
    reds_register_channel(reds, SPICE_CHANNEL_CURSOR, worker->channel_id, NULL, 0,
                          cursor_link, worker);
    /* Both entries share one worker: one session-end request closes both channels' clients. */
    reds_set_channel_session_end(reds, SPICE_CHANNEL_DISPLAY, worker->channel_id, session_end);
    worker->channels_registered = true;
    return worker;
}

void qxl_worker_destroy(QxlWorker *worker)
{
    if (!worker) {
        return;
    }
    if (worker->channels_registered) {
        reds_unregister_channel(worker->reds, SPICE_CHANNEL_DISPLAY, worker->channel_id);
        reds_unregister_channel(worker->reds, SPICE_CHANNEL_CURSOR, worker->channel_id);
    }
    if (worker->thread) {
        submit(worker, ITEM_QUIT, NULL, NULL, true);
        g_thread_join(worker->thread);
        worker->thread = NULL;
    }
    worker_free(worker);
}

void qxl_worker_vm_start(QxlWorker *worker)
{
    if (worker) {
        submit(worker, ITEM_VM_START, NULL, NULL, true);
    }
}

void qxl_worker_vm_stop(QxlWorker *worker)
{
    if (worker) {
        submit(worker, ITEM_VM_STOP, NULL, NULL, true);
    }
}

void qxl_worker_set_max_monitors(QxlWorker *worker, unsigned int max_monitors)
{
    g_atomic_int_set(&worker->max_monitors, (gint)MIN(max_monitors, (unsigned)G_MAXINT));
}
