/* event-loop: fd watches and timers, on the host's SpiceCoreInterface or on a worker's GMainContext. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "spice.h"

/*
 * Everything in the server that waits for a socket or a timeout goes through an EventLoop, so the
 * same channel code runs in the host's thread (reds core, main and inputs channels: the loop is
 * the host's SpiceCoreInterface, which QEMU only allows from its main thread) and in a QXL worker
 * thread (display and cursor channels: the loop is the worker's own GMainContext).
 *
 * An EventLoop and every watch and timer made from it belong to the thread that runs that loop;
 * they must be created, changed and removed from that thread only.
 */

typedef struct EventLoop EventLoop;
typedef struct EventLoopWatch EventLoopWatch;
typedef struct EventLoopTimer EventLoopTimer;

enum {
    EVENT_LOOP_READ = 1 << 0,   /* same values as SPICE_WATCH_EVENT_READ/WRITE */
    EVENT_LOOP_WRITE = 1 << 1,
};

typedef void (*EventLoopWatchFunc)(int fd, int events, void *opaque);
typedef void (*EventLoopTimerFunc)(void *opaque);

/* A loop over the host's core interface. @core must outlive the loop (it is the host's). */
EventLoop *event_loop_new_from_core(const SpiceCoreInterface *core);
/* A loop over @context (a reference is taken), for a worker thread that runs that context. */
EventLoop *event_loop_new_glib(GMainContext *context);
/* Frees the loop; every watch and timer must have been removed first. Accepts NULL. */
void event_loop_destroy(EventLoop *loop);

/* @mask is a set of EVENT_LOOP_READ/WRITE. The watch does not own @fd. */
EventLoopWatch *event_loop_watch_add(EventLoop *loop, int fd, int mask,
                                     EventLoopWatchFunc func, void *opaque);
void event_loop_watch_update_mask(EventLoopWatch *watch, int mask);
/* Removes and frees the watch; safe to call from inside its own callback. Accepts NULL. */
void event_loop_watch_remove(EventLoopWatch *watch);

/* A one-shot timer, created stopped. */
EventLoopTimer *event_loop_timer_add(EventLoop *loop, EventLoopTimerFunc func, void *opaque);
/* (Re)arms the timer to fire once after @ms milliseconds. */
void event_loop_timer_start(EventLoopTimer *timer, uint32_t ms);
void event_loop_timer_cancel(EventLoopTimer *timer);
/* Cancels and frees the timer; safe to call from inside its own callback. Accepts NULL. */
void event_loop_timer_remove(EventLoopTimer *timer);
