/* reds: the SpiceServer's life (new, init, destroy), its channel registry, host-thread calls and channel events. */
#include "reds-private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "char-devices.h"
#include "inputs-channel.h"
#include "main-channel.h"
#include "qxl-worker.h"
#include "sound.h"
#include "spice-export.h"

/*
 * Threads: everything here runs in the host's thread (the one that called spice_server_init and
 * runs the core interface), except the functions reds.h marks "any thread", which only take
 * call_lock and write to wake_pipe.
 */

typedef struct HostCall {
    void (*func)(void *data);
    void *data;
} HostCall;

/* Every live server, so that remove_interface (which gets only an instance) finds its owner. */
static GMutex servers_lock;
static GList *servers;

void reds_register_server(SpiceServer *reds)
{
    g_mutex_lock(&servers_lock);
    servers = g_list_prepend(servers, reds);
    g_mutex_unlock(&servers_lock);
}

void reds_unregister_server(SpiceServer *reds)
{
    g_mutex_lock(&servers_lock);
    servers = g_list_remove(servers, reds);
    g_mutex_unlock(&servers_lock);
}

static bool server_owns_instance(SpiceServer *reds, SpiceBaseInstance *sin)
{
    if (sin == (SpiceBaseInstance *)reds->keyboard || sin == (SpiceBaseInstance *)reds->mouse ||
        sin == (SpiceBaseInstance *)reds->tablet || sin == (SpiceBaseInstance *)reds->migration) {
        return true;
    }
    for (GList *l = reds->qxls; l; l = l->next) {
        if ((SpiceBaseInstance *)((RedsQxl *)l->data)->instance == sin) {
            return true;
        }
    }
    for (GList *l = reds->stored_instances; l; l = l->next) {
        if (((RedsStoredInstance *)l->data)->instance == sin) {
            return true;
        }
    }
    return char_devices_owns(reds, sin);
}

SpiceServer *reds_find_server_of_instance(SpiceBaseInstance *sin)
{
    SpiceServer *found = NULL;
    g_mutex_lock(&servers_lock);
    for (GList *l = servers; l && !found; l = l->next) {
        if (server_owns_instance(l->data, sin)) {
            found = l->data;
        }
    }
    g_mutex_unlock(&servers_lock);
    return found;
}

SPICE_EXPORT SpiceServer *spice_server_new(void)
{
    SpiceServer *reds = g_new0(SpiceServer, 1);
    RedsConfig *c = &reds->config;

    c->port = -1;
    c->host_listen_fd = -1;
    c->ticketing_enabled = true;        /* as upstream: no link passes until set_ticket/set_noauth */
    c->ticket_expiry_s = INT64_MAX;
    c->image_compression = SPICE_IMAGE_COMPRESSION_AUTO_GLZ;
    c->jpeg_state = SPICE_WAN_COMPRESSION_AUTO;
    c->zlib_glz_state = SPICE_WAN_COMPRESSION_AUTO;
    c->streaming_video = SPICE_STREAM_VIDEO_FILTER;
    c->video_codecs = g_strdup("spice:mjpeg");
    c->playback_compression = true;
    c->agent_mouse = true;
    c->agent_copypaste = true;
    c->agent_file_xfer = true;
    c->default_security = SPICE_CHANNEL_SECURITY_NONE | SPICE_CHANNEL_SECURITY_SSL;
    for (int i = 0; i < REDS_CHANNEL_TYPES; i++) {
        c->channel_security[i] = -1;
    }

    reds->listen_fd = -1;
    reds->tls_listen_fd = -1;
    reds->link_timeout_ms = REDS_LINK_TIMEOUT_MS;
    reds->wake_pipe[0] = reds->wake_pipe[1] = -1;
    reds->channels = g_ptr_array_new();
    g_mutex_init(&reds->call_lock);
    g_queue_init(&reds->calls);
    reds->vm_running = true;            /* upstream: running from init until the first vm_stop */
    reds->mouse_mode = SPICE_MOUSE_MODE_SERVER;
    reds_register_server(reds);
    return reds;
}

/* ---- host-thread calls ---- */

static void run_host_calls(SpiceServer *reds)
{
    for (;;) {
        g_mutex_lock(&reds->call_lock);
        HostCall *call = g_queue_pop_head(&reds->calls);
        g_mutex_unlock(&reds->call_lock);
        if (!call) {
            return;
        }
        call->func(call->data);
        g_free(call);
    }
}

static void wake_pipe_readable(int fd, int events, void *opaque)
{
    SpiceServer *reds = opaque;
    uint8_t buf[64];
    while (read(fd, buf, sizeof(buf)) > 0) {
        /* drain: one wake-up may stand for many queued calls */
    }
    run_host_calls(reds);
}

void reds_call_in_host_thread(SpiceServer *reds, void (*func)(void *data), void *data)
{
    HostCall *call = g_new0(HostCall, 1);
    call->func = func;
    call->data = data;
    g_mutex_lock(&reds->call_lock);
    g_queue_push_tail(&reds->calls, call);
    int fd = reds->wake_pipe[1];
    g_mutex_unlock(&reds->call_lock);
    if (fd >= 0) {
        uint8_t byte = 1;
        /* A full pipe already means "wake up": EAGAIN is fine. */
        ssize_t n = write(fd, &byte, 1);
        (void)n;
    }
}

bool reds_in_host_thread(SpiceServer *reds)
{
    return reds->initialized && pthread_equal(reds->host_thread, pthread_self());
}

/* ---- channel events ---- */

typedef struct ChannelEventCall {
    SpiceServer *reds;
    int event;
    SpiceChannelEventInfo *info;
    void (*free_after)(void *info);
} ChannelEventCall;

static void deliver_channel_event(void *data)
{
    ChannelEventCall *ev = data;
    const SpiceCoreInterface *core = ev->reds->core;
    if (core && core->channel_event) {
        core->channel_event(ev->event, ev->info);
    }
    if (ev->event == SPICE_CHANNEL_EVENT_DISCONNECTED && ev->free_after) {
        ev->free_after(ev->info);
    }
    g_free(ev);
}

void reds_report_channel_event(SpiceServer *reds, int event, SpiceChannelEventInfo *info,
                               void (*free_after)(void *info))
{
    ChannelEventCall *ev = g_new0(ChannelEventCall, 1);
    ev->reds = reds;
    ev->event = event;
    ev->info = info;
    ev->free_after = free_after;
    if (reds_in_host_thread(reds)) {
        deliver_channel_event(ev);
    } else {
        reds_call_in_host_thread(reds, deliver_channel_event, ev);
    }
}

/* ---- channel registry ---- */

RedsChannelEntry *reds_find_channel(SpiceServer *reds, uint8_t type, uint8_t id)
{
    for (guint i = 0; i < reds->channels->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(reds->channels, i);
        if (e->type == type && e->id == id) {
            return e;
        }
    }
    return NULL;
}

unsigned reds_count_channels_of_type(SpiceServer *reds, uint8_t type)
{
    unsigned n = 0;
    for (guint i = 0; i < reds->channels->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(reds->channels, i);
        n += e->type == type;
    }
    return n;
}

void reds_register_channel(SpiceServer *reds, uint8_t type, uint8_t id,
                           const uint32_t *channel_caps, uint32_t num_channel_caps,
                           RedsChannelLinkFunc link, void *opaque)
{
    g_return_if_fail(reds != NULL && link != NULL);
    if (reds_find_channel(reds, type, id)) {
        g_warning("channel %u:%u is registered twice; the second registration is ignored", type, id);
        return;
    }
    RedsChannelEntry *e = g_new0(RedsChannelEntry, 1);
    e->type = type;
    e->id = id;
    e->num_caps = channel_caps ? num_channel_caps : 0;
    e->caps = e->num_caps ? g_memdup2(channel_caps, e->num_caps * sizeof(uint32_t)) : NULL;
    e->link = link;
    e->opaque = opaque;
    g_ptr_array_add(reds->channels, e);

    if (type != SPICE_CHANNEL_MAIN && reds->main_channel) {
        main_channel_announce_channel(reds->main_channel, type, id);
    }
    if (type == SPICE_CHANNEL_DISPLAY) {
        reds_update_mouse_mode(reds);
    }
}

void reds_set_channel_session_end(SpiceServer *reds, uint8_t type, uint8_t id,
                                  RedsChannelSessionEndFunc func)
{
    RedsChannelEntry *e = reds_find_channel(reds, type, id);
    if (!e) {
        g_warning("channel %u:%u is not registered; cannot set its session-end callback", type, id);
        return;
    }
    e->session_end = func;
}

void reds_unregister_channel(SpiceServer *reds, uint8_t type, uint8_t id)
{
    RedsChannelEntry *e = reds_find_channel(reds, type, id);
    if (!e) {
        return;
    }
    g_ptr_array_remove(reds->channels, e);
    g_free(e->caps);
    g_free(e);
    if (type == SPICE_CHANNEL_DISPLAY) {
        reds_update_mouse_mode(reds);
    }
}

EventLoop *reds_get_event_loop(SpiceServer *reds)
{
    return reds->loop;
}

uint32_t reds_get_mm_time(void)
{
    return (uint32_t)(g_get_monotonic_time() / 1000);
}

bool reds_is_vm_running(SpiceServer *reds)
{
    return g_atomic_int_get(&reds->vm_running);
}

uint32_t reds_get_session_id(SpiceServer *reds)
{
    return reds->session_id;
}

/* ---- init / destroy ---- */

static int make_wake_pipe(SpiceServer *reds)
{
    if (pipe(reds->wake_pipe) < 0) {
        g_warning("spice_server_init: cannot create a pipe (%s)", g_strerror(errno));
        return -1;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(reds->wake_pipe[i], F_SETFL, fcntl(reds->wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(reds->wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    reds->wake_watch = event_loop_watch_add(reds->loop, reds->wake_pipe[0], EVENT_LOOP_READ,
                                            wake_pipe_readable, reds);
    return reds->wake_watch ? 0 : -1;
}

SPICE_EXPORT int spice_server_init(SpiceServer *reds, SpiceCoreInterface *core)
{
    g_return_val_if_fail(reds != NULL && core != NULL, -1);
    if (reds->initialized) {
        g_warning("spice_server_init: the server is already initialized");
        return -1;
    }
    if (core->base.major_version != SPICE_INTERFACE_CORE_MAJOR) {
        g_warning("spice_server_init: core interface version %u.%u is not supported (need %u.x)",
                  core->base.major_version, core->base.minor_version, SPICE_INTERFACE_CORE_MAJOR);
        return -1;
    }
    reds->core = core;
    reds->loop = event_loop_new_from_core(core);
    if (!reds->loop) {
        return -1;
    }
    reds->host_thread = pthread_self();
    reds->initialized = true;

    if (make_wake_pipe(reds) < 0 || reds_listen_start(reds) < 0) {
        goto fail;
    }
    reds->main_channel = main_channel_new(reds);
    reds->inputs_channel = inputs_channel_new(reds);
    return 0;

fail:
    reds_listen_stop(reds);
    event_loop_watch_remove(reds->wake_watch);
    reds->wake_watch = NULL;
    for (int i = 0; i < 2; i++) {
        if (reds->wake_pipe[i] >= 0) {
            close(reds->wake_pipe[i]);
            reds->wake_pipe[i] = -1;
        }
    }
    event_loop_destroy(reds->loop);
    reds->loop = NULL;
    reds->initialized = false;
    return -1;
}

SPICE_EXPORT void spice_server_destroy(SpiceServer *reds)
{
    if (!reds) {
        return;
    }
    reds_unregister_server(reds);

    if (reds->initialized) {
        reds_listen_stop(reds);
        reds_link_free_all(reds);
        reds_session_disconnect(reds);
    }
    for (GList *l = reds->qxls; l; l = l->next) {
        RedsQxl *q = l->data;
        qxl_worker_destroy(q->worker);
        g_free(q);
    }
    g_list_free(reds->qxls);
    reds->qxls = NULL;
    g_list_free_full(reds->stored_instances, g_free);
    reds->stored_instances = NULL;
    char_devices_remove_all(reds);

    sound_destroy_all(reds);
    inputs_channel_destroy(reds->inputs_channel);
    reds->inputs_channel = NULL;
    main_channel_destroy(reds->main_channel);
    reds->main_channel = NULL;

    /* Workers are gone: deliver what they queued (DISCONNECTED events free their infos). */
    run_host_calls(reds);

    if (reds->tablet) {
        g_free(reds->tablet->st);
        reds->tablet->st = NULL;
    }
    if (reds->keyboard) {
        g_free(reds->keyboard->st);
        reds->keyboard->st = NULL;
    }
    if (reds->mouse) {
        g_free(reds->mouse->st);
        reds->mouse->st = NULL;
    }

    event_loop_watch_remove(reds->wake_watch);
    for (int i = 0; i < 2; i++) {
        if (reds->wake_pipe[i] >= 0) {
            close(reds->wake_pipe[i]);
        }
    }
    for (guint i = 0; i < reds->channels->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(reds->channels, i);
        g_free(e->caps);
        g_free(e);
    }
    g_ptr_array_free(reds->channels, TRUE);
    event_loop_destroy(reds->loop);
    g_mutex_clear(&reds->call_lock);

    g_free(reds->config.name);
    g_free(reds->config.video_codecs);
    g_free(reds->config.sasl_appname);
    reds_tls_config_clear(&reds->config.tls);
    g_free(reds);
}

/* ---- VM state ---- */

SPICE_EXPORT void spice_server_vm_start(SpiceServer *reds)
{
    g_atomic_int_set(&reds->vm_running, 1);
    for (GList *l = reds->qxls; l; l = l->next) {
        RedsQxl *q = l->data;
        if (q->worker) {
            qxl_worker_vm_start(q->worker);
        }
    }
}

SPICE_EXPORT void spice_server_vm_stop(SpiceServer *reds)
{
    g_atomic_int_set(&reds->vm_running, 0);
    for (GList *l = reds->qxls; l; l = l->next) {
        RedsQxl *q = l->data;
        if (q->worker) {
            qxl_worker_vm_stop(q->worker);
        }
    }
}
