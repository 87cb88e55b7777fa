/* test-core-glib: a SpiceCoreInterface over GLib's default main context, for server unit tests. */
#pragma once

#include <stdbool.h>
#include <glib.h>

#include "spice.h"

/*
 * The core the tests hand to spice_server_init (or event_loop_new_from_core), playing QEMU's
 * part: watches and timers on g_main_context_default(), and a log of channel events. It is a
 * process-wide singleton (the interface has no opaque pointer); test_core_reset clears the log.
 */
SpiceCoreInterface *test_core_get(void);
void test_core_reset(void);

typedef struct TestCoreEvent {
    int event;                      /* SPICE_CHANNEL_EVENT_* */
    SpiceChannelEventInfo *info;    /* the pointer the library passed */
    int type;                       /* info->type and info->flags when reported */
    int flags;
} TestCoreEvent;

/* How many events of @event were reported (for @channel_type, or any type when -1). */
unsigned test_core_count_events(int event, int channel_type);
/* True while some INITIALIZED info has not been followed by a DISCONNECTED for the same pointer. */
unsigned test_core_live_channels(void);
/* Number of watches and timers the library has not removed. */
unsigned test_core_live_watches(void);
unsigned test_core_live_timers(void);

/* Iterates the default context until @done(@data) or @timeout_ms passes; returns done's value. */
bool test_core_run_until(bool (*done)(void *data), void *data, unsigned timeout_ms);
