/* core-glib: the SpiceCoreInterface (timers, fd watches, channel events) on a GLib main context, as QEMU's main loop offers it. */
#pragma once

#include <glib.h>

#include <spice.h>

/*
 * Timers and watches are sources on @context, dispatched by whoever runs it (the demo's main
 * loop). Like QEMU's, the interface is for the main thread only: a call from any other thread is
 * reported on stderr as a library bug (and still served). channel_event may come from any
 * thread; it is only logged (g_debug, G_MESSAGES_DEBUG=all shows it) and the info pointer is not kept.
 *
 * Ownership: the returned interface is static and lives as long as the program; @context is
 * referenced until then. Timers and watches are owned by the library between add and remove.
 */
SpiceCoreInterface *core_glib_interface(GMainContext *context);
