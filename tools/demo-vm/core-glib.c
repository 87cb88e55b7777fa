/* core-glib: the SpiceCoreInterface (timers, fd watches, channel events) on a GLib main context, as QEMU's main loop offers it. */
#include "core-glib.h"

#include <glib-unix.h>
#include <stdio.h>

struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
    GSource *source; /* armed timeout, or NULL */
};

struct SpiceWatch {
    int fd;
    int event_mask;
    SpiceWatchFunc func;
    void *opaque;
    GSource *source; /* NULL while the mask is empty */
};

static GMainContext *core_context;
static GThread *core_thread;

/* QEMU's main loop is not thread-safe: say so loudly when the library calls from elsewhere. */
static void check_thread(const char *what)
{
    if (g_thread_self() != core_thread) {
        fprintf(stderr, "spice-demo-vm: warning: core interface %s called outside the main thread "
                "(library bug: QEMU's core is main-thread only)\n", what);
    }
}

static void source_drop(GSource **source)
{
    if (*source != NULL) {
        g_source_destroy(*source);
        g_source_unref(*source);
        *source = NULL;
    }
}

static gboolean timer_fired(gpointer data)
{
    SpiceTimer *timer = data;
    /* One-shot: forget the source first, the callback may start or remove the timer. */
    source_drop(&timer->source);
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

static SpiceTimer *core_timer_add(SpiceTimerFunc func, void *opaque)
{
    check_thread("timer_add");
    SpiceTimer *timer = g_new0(SpiceTimer, 1);
    timer->func = func;
    timer->opaque = opaque;
    return timer;
}

static void core_timer_start(SpiceTimer *timer, uint32_t ms)
{
    check_thread("timer_start");
    source_drop(&timer->source);
    timer->source = g_timeout_source_new(ms);
    g_source_set_callback(timer->source, timer_fired, timer, NULL);
    g_source_attach(timer->source, core_context);
}

static void core_timer_cancel(SpiceTimer *timer)
{
    check_thread("timer_cancel");
    source_drop(&timer->source);
}

static void core_timer_remove(SpiceTimer *timer)
{
    check_thread("timer_remove");
    if (timer == NULL) {
        return;
    }
    source_drop(&timer->source);
    g_free(timer);
}

static gboolean watch_ready(gint fd, GIOCondition condition, gpointer data)
{
    SpiceWatch *watch = data;
    int events = 0;
    /* A hang-up or error is reported to whichever side the library waits on, so it reads the EOF. */
    if (condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        events |= SPICE_WATCH_EVENT_READ;
    }
    if (condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) {
        events |= SPICE_WATCH_EVENT_WRITE;
    }
    events &= watch->event_mask;
    if (events != 0) {
        /* The callback may update or remove this watch: nothing touches it afterwards. */
        watch->func(watch->fd, events, watch->opaque);
    }
    return G_SOURCE_CONTINUE;
}

static void watch_arm(SpiceWatch *watch)
{
    source_drop(&watch->source);
    GIOCondition condition = 0;
    if (watch->event_mask & SPICE_WATCH_EVENT_READ) {
        condition |= G_IO_IN;
    }
    if (watch->event_mask & SPICE_WATCH_EVENT_WRITE) {
        condition |= G_IO_OUT;
    }
    if (condition == 0) {
        return;
    }
    watch->source = g_unix_fd_source_new(watch->fd, condition | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(watch->source, G_SOURCE_FUNC(watch_ready), watch, NULL);
    g_source_attach(watch->source, core_context);
}

static SpiceWatch *core_watch_add(int fd, int event_mask, SpiceWatchFunc func, void *opaque)
{
    check_thread("watch_add");
    SpiceWatch *watch = g_new0(SpiceWatch, 1);
    watch->fd = fd;
    watch->event_mask = event_mask;
    watch->func = func;
    watch->opaque = opaque;
    watch_arm(watch);
    return watch;
}

static void core_watch_update_mask(SpiceWatch *watch, int event_mask)
{
    check_thread("watch_update_mask");
    if (watch->event_mask == event_mask) {
        return;
    }
    watch->event_mask = event_mask;
    watch_arm(watch);
}

static void core_watch_remove(SpiceWatch *watch)
{
    check_thread("watch_remove");
    if (watch == NULL) {
        return;
    }
    source_drop(&watch->source);
    g_free(watch);
}

static const char *channel_event_name(int event)
{
    switch (event) {
    case SPICE_CHANNEL_EVENT_CONNECTED:
        return "connected";
    case SPICE_CHANNEL_EVENT_INITIALIZED:
        return "initialized";
    case SPICE_CHANNEL_EVENT_DISCONNECTED:
        return "disconnected";
    default:
        return "unknown";
    }
}

static void core_channel_event(int event, SpiceChannelEventInfo *info)
{
    if (info == NULL) {
        g_debug("channel event %s without info", channel_event_name(event));
        return;
    }
    g_debug("channel event %s: connection %d type %d id %d flags 0x%x%s", channel_event_name(event),
            info->connection_id, info->type, info->id, (unsigned)info->flags,
            (info->flags & SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT) ? "" : " (no ADDR_EXT: QEMU would complain)");
}

static SpiceCoreInterface core_interface = {
    .base = {
        .type = SPICE_INTERFACE_CORE,
        .description = "spice-demo-vm core (GLib)",
        .major_version = SPICE_INTERFACE_CORE_MAJOR,
        .minor_version = SPICE_INTERFACE_CORE_MINOR,
    },
    .timer_add = core_timer_add,
    .timer_start = core_timer_start,
    .timer_cancel = core_timer_cancel,
    .timer_remove = core_timer_remove,
    .watch_add = core_watch_add,
    .watch_update_mask = core_watch_update_mask,
    .watch_remove = core_watch_remove,
    .channel_event = core_channel_event,
};

SpiceCoreInterface *core_glib_interface(GMainContext *context)
{
    core_context = g_main_context_ref(context);
    core_thread = g_thread_self();
    return &core_interface;
}
