/* reds: the server object's internal face, what channels and QXL workers may ask of the core. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "spice.h"
#include "linked-peer.h"
#include "event-loop.h"

/*
 * The reds core (reds.c and friends) owns the SpiceServer: the host's core interface, the listen
 * socket, the link stage, sessions, the main and inputs channels, the keyboard/mouse/tablet
 * instances, and the registry of channels a client may link to. It runs in the host's thread.
 *
 * Functions marked "any thread" may be called from a QXL worker; all others only from the host's
 * thread.
 */

/*
 * A channel's link entry point: a client linked to (type, id) and passed auth. Called in the host's
 * thread; takes ownership of @peer. A channel living in another thread moves the peer there.
 */
typedef void (*RedsChannelLinkFunc)(LinkedPeer *peer, void *opaque);

/*
 * Makes channel (type, id) available to clients: it appears in CHANNELS_LIST, and links to it
 * go to @link. @channel_caps (copied) are the capability words the server advertises in the
 * link reply for this channel. Host thread.
 */
void reds_register_channel(SpiceServer *reds, uint8_t type, uint8_t id,
                           const uint32_t *channel_caps, uint32_t num_channel_caps,
                           RedsChannelLinkFunc link, void *opaque);
void reds_unregister_channel(SpiceServer *reds, uint8_t type, uint8_t id);

/* The host's loop (host thread only). */
EventLoop *reds_get_event_loop(SpiceServer *reds);

/* Runs @func(@data) in the host's thread, soon, in order. Any thread. */
void reds_call_in_host_thread(SpiceServer *reds, void (*func)(void *data), void *data);

/*
 * Reports a channel event (SPICE_CHANNEL_EVENT_CONNECTED/INITIALIZED/DISCONNECTED) to the host's
 * channel_event callback, in the host's thread. @info must stay valid until DISCONNECTED has
 * been delivered; after DISCONNECTED, @free_after (if set) is called on it. Any thread.
 */
void reds_report_channel_event(SpiceServer *reds, int event, SpiceChannelEventInfo *info,
                               void (*free_after)(void *info));

/*
 * A QXL worker's primary surface changed (width/height 0 = destroyed). The core uses it for the
 * tablet's logical size and whether client mouse mode is allowed. Any thread.
 */
void reds_on_primary_surface_changed(SpiceServer *reds, uint32_t qxl_id, uint32_t width,
                                     uint32_t height, bool mouse_mode_allowed);

/* The multimedia clock in milliseconds (monotonic). Any thread. */
uint32_t reds_get_mm_time(void);

/* VM state: true between vm_start and vm_stop (and from init until the first vm_stop). */
bool reds_is_vm_running(SpiceServer *reds);

/* ---- Added by core-helper (additions only; nothing above changed meaning) ---- */

/*
 * Optional, set after reds_register_channel: @func(@opaque) is called in the host's thread when
 * the client session ends (its main channel closed, or a new client replaced it). The channel
 * must then close its connections of that session (from its own thread). Host thread.
 */
typedef void (*RedsChannelSessionEndFunc)(void *opaque);
void reds_set_channel_session_end(SpiceServer *reds, uint8_t type, uint8_t id,
                                  RedsChannelSessionEndFunc func);

/* The current session id (0: no client). Host thread. */
uint32_t reds_get_session_id(SpiceServer *reds);

/*
 * Settings the host stored with spice_server_set_*: the display pipeline reads them when it
 * needs them. Any thread (each is one atomic read).
 */
SpiceImageCompression reds_get_image_compression(SpiceServer *reds);
spice_wan_compression_t reds_get_jpeg_state(SpiceServer *reds);
spice_wan_compression_t reds_get_zlib_glz_state(SpiceServer *reds);
int reds_get_streaming_video(SpiceServer *reds);    /* SPICE_STREAM_VIDEO_* */
/* True when the main channel's network test found the client's link slow (under
 * REDS_SLOW_LINK_BITS_PER_SEC, upstream's "low bandwidth"); false before the test ends, when it
 * was inconclusive or without a client. Any thread. */
#define REDS_SLOW_LINK_BITS_PER_SEC (10u * 1024u * 1024u)
bool reds_is_link_slow(SpiceServer *reds);
/* Current mouse mode (SPICE_MOUSE_MODE_SERVER or _CLIENT). Any thread. */
int reds_get_mouse_mode(SpiceServer *reds);
