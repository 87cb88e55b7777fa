/* event-loop: fd watches and one-shot timers over the host's SpiceCoreInterface or a GMainContext. */
#include "event-loop.h"

#include <glib-unix.h>

/*
 * Two backends behind one face. The core backend forwards to the host's callbacks (QEMU's main
 * loop); the GLib backend builds GSources on a worker's context. Each watch and timer is a small
 * wrapper so that removing it from inside its own callback is safe: trampolines never touch the
 * wrapper after calling the user's function.
 */

struct EventLoop {
    const SpiceCoreInterface *core; /* not owned; NULL for the GLib backend */
    GMainContext *context;          /* owned reference; NULL for the core backend */
};

struct EventLoopWatch {
    EventLoop *loop;
    int fd;
    EventLoopWatchFunc func;
    void *opaque;
    SpiceWatch *core_watch;         /* core backend */
    GSource *source;                /* GLib backend: owned reference */
    gpointer fd_tag;
};

struct EventLoopTimer {
    EventLoop *loop;
    EventLoopTimerFunc func;
    void *opaque;
    SpiceTimer *core_timer;         /* core backend */
    GSource *source;                /* GLib backend: owned reference while armed */
};

EventLoop *event_loop_new_from_core(const SpiceCoreInterface *core)
{
    if (!core || !core->watch_add || !core->watch_update_mask || !core->watch_remove ||
        !core->timer_add || !core->timer_start || !core->timer_cancel || !core->timer_remove) {
        g_warning("event-loop: the host's core interface lacks watch or timer callbacks");
        return NULL;
    }
    EventLoop *loop = g_new0(EventLoop, 1);
    loop->core = core;
    return loop;
}

EventLoop *event_loop_new_glib(GMainContext *context)
{
    EventLoop *loop = g_new0(EventLoop, 1);
    loop->context = g_main_context_ref(context);
    return loop;
}

void event_loop_destroy(EventLoop *loop)
{
    if (!loop) {
        return;
    }
    if (loop->context) {
        g_main_context_unref(loop->context);
    }
    g_free(loop);
}

/* ---- watches ---- */

static GIOCondition mask_to_condition(int mask)
{
    GIOCondition cond = 0;
    if (mask & EVENT_LOOP_READ) {
        cond |= G_IO_IN;
    }
    if (mask & EVENT_LOOP_WRITE) {
        cond |= G_IO_OUT;
    }
    return cond;
}

static int condition_to_events(GIOCondition cond)
{
    int events = 0;
    /* Errors and hang-ups are reported as readable so the owner's read sees EOF or the error. */
    if (cond & (G_IO_IN | G_IO_PRI | G_IO_HUP | G_IO_ERR | G_IO_NVAL)) {
        events |= EVENT_LOOP_READ;
    }
    if (cond & G_IO_OUT) {
        events |= EVENT_LOOP_WRITE;
    }
    return events;
}

static void core_watch_trampoline(int fd, int events, void *opaque)
{
    EventLoopWatch *watch = opaque;
    watch->func(fd, events, watch->opaque);
}

typedef struct {
    GSource base;
    EventLoopWatch *watch;
} WatchSource;

static gboolean watch_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data)
{
    WatchSource *ws = (WatchSource *)source;
    EventLoopWatch *watch = ws->watch;
    if (!watch) {
        return G_SOURCE_REMOVE;
    }
    GIOCondition cond = g_source_query_unix_fd(source, watch->fd_tag);
    int events = condition_to_events(cond);
    if (events) {
        watch->func(watch->fd, events, watch->opaque);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs watch_source_funcs = {
    .dispatch = watch_source_dispatch,
};

EventLoopWatch *event_loop_watch_add(EventLoop *loop, int fd, int mask,
                                     EventLoopWatchFunc func, void *opaque)
{
    g_return_val_if_fail(loop != NULL && func != NULL && fd >= 0, NULL);

    EventLoopWatch *watch = g_new0(EventLoopWatch, 1);
    watch->loop = loop;
    watch->fd = fd;
    watch->func = func;
    watch->opaque = opaque;

    if (loop->core) {
        watch->core_watch = loop->core->watch_add(fd, mask, core_watch_trampoline, watch);
        if (!watch->core_watch) {
            g_warning("event-loop: the host refused a watch on fd %d", fd);
            g_free(watch);
            return NULL;
        }
        return watch;
    }

    GSource *source = g_source_new(&watch_source_funcs, sizeof(WatchSource));
    ((WatchSource *)source)->watch = watch;
    g_source_set_name(source, "spice-watch");
    watch->fd_tag = g_source_add_unix_fd(source, fd, mask_to_condition(mask));
    g_source_attach(source, loop->context);
    watch->source = source;
    return watch;
}

void event_loop_watch_update_mask(EventLoopWatch *watch, int mask)
{
    if (!watch) {
        return;
    }
    if (watch->loop->core) {
        watch->loop->core->watch_update_mask(watch->core_watch, mask);
    } else {
        g_source_modify_unix_fd(watch->source, watch->fd_tag, mask_to_condition(mask));
    }
}

void event_loop_watch_remove(EventLoopWatch *watch)
{
    if (!watch) {
        return;
    }
    if (watch->loop->core) {
        watch->loop->core->watch_remove(watch->core_watch);
    } else {
        /* The context keeps the source alive while it is being dispatched. */
        ((WatchSource *)watch->source)->watch = NULL;
        g_source_destroy(watch->source);
        g_source_unref(watch->source);
    }
    g_free(watch);
}

/* ---- timers ---- */

static void core_timer_trampoline(void *opaque)
{
    EventLoopTimer *timer = opaque;
    timer->func(timer->opaque);
}

static gboolean glib_timer_fired(gpointer user_data)
{
    EventLoopTimer *timer = user_data;
    /* One-shot: forget the source before calling out, the callback may re-arm or free us. */
    GSource *source = timer->source;
    timer->source = NULL;
    g_source_unref(source);
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

EventLoopTimer *event_loop_timer_add(EventLoop *loop, EventLoopTimerFunc func, void *opaque)
{
    g_return_val_if_fail(loop != NULL && func != NULL, NULL);

    EventLoopTimer *timer = g_new0(EventLoopTimer, 1);
    timer->loop = loop;
    timer->func = func;
    timer->opaque = opaque;
    if (loop->core) {
        timer->core_timer = loop->core->timer_add(core_timer_trampoline, timer);
        if (!timer->core_timer) {
            g_warning("event-loop: the host refused to create a timer");
            g_free(timer);
            return NULL;
        }
    }
    return timer;
}

static void glib_timer_disarm(EventLoopTimer *timer)
{
    if (timer->source) {
        g_source_destroy(timer->source);
        g_source_unref(timer->source);
        timer->source = NULL;
    }
}

void event_loop_timer_start(EventLoopTimer *timer, uint32_t ms)
{
    if (!timer) {
        return;
    }
    if (timer->loop->core) {
        timer->loop->core->timer_start(timer->core_timer, ms);
        return;
    }
    glib_timer_disarm(timer);
    timer->source = g_timeout_source_new(ms);
    g_source_set_name(timer->source, "spice-timer");
    g_source_set_callback(timer->source, glib_timer_fired, timer, NULL);
    g_source_attach(timer->source, timer->loop->context);
}

void event_loop_timer_cancel(EventLoopTimer *timer)
{
    if (!timer) {
        return;
    }
    if (timer->loop->core) {
        timer->loop->core->timer_cancel(timer->core_timer);
    } else {
        glib_timer_disarm(timer);
    }
}

void event_loop_timer_remove(EventLoopTimer *timer)
{
    if (!timer) {
        return;
    }
    if (timer->loop->core) {
        timer->loop->core->timer_remove(timer->core_timer);
    } else {
        glib_timer_disarm(timer);
    }
    g_free(timer);
}
