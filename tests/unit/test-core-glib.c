/* test-core-glib: QEMU's side of the core interface (watches, timers, channel events) over GLib. */
#include "test-core-glib.h"

#include <glib-unix.h>

struct SpiceWatch {
    int fd;
    int mask;
    SpiceWatchFunc func;
    void *opaque;
    GSource *source;
    bool removed;
};

struct SpiceTimer {
    SpiceTimerFunc func;
    void *opaque;
    GSource *source;
};

static GPtrArray *events;           /* of TestCoreEvent* */
static GHashTable *live_infos;      /* INITIALIZED infos not yet DISCONNECTED */
static unsigned watches_alive;
static unsigned timers_alive;

static gboolean watch_fired(gint fd, GIOCondition cond, gpointer data)
{
    SpiceWatch *w = data;
    int ev = 0;
    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        ev |= SPICE_WATCH_EVENT_READ;
    }
    if (cond & G_IO_OUT) {
        ev |= SPICE_WATCH_EVENT_WRITE;
    }
    w->func(fd, ev & (w->mask | SPICE_WATCH_EVENT_READ), w->opaque);
    return G_SOURCE_CONTINUE;
}

static void watch_arm(SpiceWatch *w)
{
    if (w->source) {
        g_source_destroy(w->source);
        g_source_unref(w->source);
        w->source = NULL;
    }
    GIOCondition cond = 0;
    if (w->mask & SPICE_WATCH_EVENT_READ) {
        cond |= G_IO_IN;
    }
    if (w->mask & SPICE_WATCH_EVENT_WRITE) {
        cond |= G_IO_OUT;
    }
    if (!cond) {
        return;
    }
    w->source = g_unix_fd_source_new(w->fd, cond);
    g_source_set_callback(w->source, (GSourceFunc)(void (*)(void))watch_fired, w, NULL);
    g_source_attach(w->source, NULL);
}

static SpiceWatch *core_watch_add(int fd, int mask, SpiceWatchFunc func, void *opaque)
{
    SpiceWatch *w = g_new0(SpiceWatch, 1);
    w->fd = fd;
    w->mask = mask;
    w->func = func;
    w->opaque = opaque;
    watch_arm(w);
    watches_alive++;
    return w;
}

static void core_watch_update_mask(SpiceWatch *w, int mask)
{
    w->mask = mask;
    watch_arm(w);
}

static void core_watch_remove(SpiceWatch *w)
{
    w->mask = 0;
    watch_arm(w);
    watches_alive--;
    g_free(w);
}

static gboolean timer_fired(gpointer data)
{
    SpiceTimer *t = data;
    g_source_unref(t->source);
    t->source = NULL;
    t->func(t->opaque);
    return G_SOURCE_REMOVE;
}

static SpiceTimer *core_timer_add(SpiceTimerFunc func, void *opaque)
{
    SpiceTimer *t = g_new0(SpiceTimer, 1);
    t->func = func;
    t->opaque = opaque;
    timers_alive++;
    return t;
}

static void core_timer_cancel(SpiceTimer *t)
{
    if (t->source) {
        g_source_destroy(t->source);
        g_source_unref(t->source);
        t->source = NULL;
    }
}

static void core_timer_start(SpiceTimer *t, uint32_t ms)
{
    core_timer_cancel(t);
    t->source = g_timeout_source_new(ms);
    g_source_set_callback(t->source, timer_fired, t, NULL);
    g_source_attach(t->source, NULL);
}

static void core_timer_remove(SpiceTimer *t)
{
    core_timer_cancel(t);
    timers_alive--;
    g_free(t);
}

static void core_channel_event(int event, SpiceChannelEventInfo *info)
{
    TestCoreEvent *e = g_new0(TestCoreEvent, 1);
    e->event = event;
    e->info = info;
    e->type = info->type;
    e->flags = info->flags;
    g_ptr_array_add(events, e);
    if (event == SPICE_CHANNEL_EVENT_INITIALIZED) {
        g_hash_table_add(live_infos, info);
    } else if (event == SPICE_CHANNEL_EVENT_DISCONNECTED) {
        g_hash_table_remove(live_infos, info);
    }
}

static SpiceCoreInterface core = {
    .base = {
        .type = SPICE_INTERFACE_CORE,
        .description = "unit test core",
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

SpiceCoreInterface *test_core_get(void)
{
    if (!events) {
        events = g_ptr_array_new_with_free_func(g_free);
        live_infos = g_hash_table_new(NULL, NULL);
    }
    return &core;
}

void test_core_reset(void)
{
    test_core_get();
    g_ptr_array_set_size(events, 0);
    g_hash_table_remove_all(live_infos);
}

unsigned test_core_count_events(int event, int channel_type)
{
    unsigned n = 0;
    for (guint i = 0; i < events->len; i++) {
        TestCoreEvent *e = g_ptr_array_index(events, i);
        if (e->event == event && (channel_type < 0 || e->type == channel_type)) {
            n++;
        }
    }
    return n;
}

unsigned test_core_live_channels(void)
{
    return g_hash_table_size(live_infos);
}

unsigned test_core_live_watches(void)
{
    return watches_alive;
}

unsigned test_core_live_timers(void)
{
    return timers_alive;
}

bool test_core_run_until(bool (*done)(void *data), void *data, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!done(data)) {
        if (g_get_monotonic_time() > deadline) {
            return false;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(200);
    }
    return true;
}
