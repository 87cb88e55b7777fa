/* display-stream: the video streams of one display channel (MJPEG), shown on the multimedia clock. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include "client/display-state.h"

/*
 * DisplayStreams keeps the streams a server opened with STREAM_CREATE on one display channel
 * and the frames (STREAM_DATA / STREAM_DATA_SIZED) waiting for their time. A frame is shown when
 * the server's multimedia clock (StreamHost.mm_time) reaches its mm_time: a frame that arrives
 * late is dropped, an early one waits on a GLib timer of the thread-default main context. Only
 * MJPEG is decoded (the session announces no other codec); frames are scaled to the stream's
 * destination rect and drawn through its clip into the surface.
 *
 * A hostile server is the normal case: unknown stream ids, oversized frames, bad rects, streams
 * for surfaces that do not exist, other codecs: each such message is logged (once per kind) and
 * dropped, never a crash. Statistics are kept for every stream seen, also after it ended.
 *
 * Ownership: a DisplayStreams copies @host; the surfaces it draws into stay the host's (looked
 * up when a frame is shown, never kept). Queued frames are copies owned by their stream.
 */
typedef struct DisplayStreams DisplayStreams;

typedef struct StreamHost {
    /* Surface @surface_id of this channel (borrowed), or NULL if it does not exist. */
    pixman_image_t *(*surface)(uint32_t surface_id, void *user);
    /* The server's multimedia clock now, in ms (wraps at 2^32 like the wire's). */
    uint32_t (*mm_time)(void *user);
    /* Sends a SPICE_MSGC_DISPLAY_STREAM_REPORT body (only called when the host said the server
     * takes reports, see display_streams_new). */
    void (*send_report)(const uint8_t *body, size_t size, void *user);
    /* A frame was drawn on @surface_id (outside of any message handling: from a timer). */
    void (*frame_shown)(uint32_t surface_id, void *user);
    void *user;
} StreamHost;

/* Cap on stream ids (upstream's server uses fewer than 50). */
#define DISPLAY_MAX_STREAMS 64u
/* Frames waiting for their time per stream; when full the oldest is dropped. */
#define DISPLAY_STREAM_MAX_QUEUED 64u
/* Largest coded frame we accept (a 4K JPEG at top quality is well below). */
#define DISPLAY_STREAM_MAX_FRAME_BYTES (16u * 1024u * 1024u)
/* A frame stamped further ahead than this is shown after this long (a skewed or hostile clock). */
#define DISPLAY_STREAM_MAX_WAIT_MS 3000u

/* @reports: the server has SPICE_DISPLAY_CAP_STREAM_REPORT (and we announced it). */
DisplayStreams *display_streams_new(unsigned channel_id, const StreamHost *host, bool reports);
/* Drops every stream and queued frame; accepts NULL. */
void display_streams_free(DisplayStreams *ds);

/* True for the message types display_streams_handle takes (STREAM_*). */
bool display_streams_handles(uint16_t type);
/* Applies one STREAM_* message. DRAW never comes from here (frames are drawn from timers). */
DisplayResult display_streams_handle(DisplayStreams *ds, uint16_t type, const uint8_t *body,
                                     size_t size);
/* The surface went away: its streams end (their queued frames are dropped). */
void display_streams_surface_gone(DisplayStreams *ds, uint32_t surface_id);
/* Every stream ends (display RESET). */
void display_streams_clear(DisplayStreams *ds);
/* The multimedia clock jumped (MULTI_MEDIA_TIME): waiting frames are timed again. */
void display_streams_reschedule(DisplayStreams *ds);

typedef struct DisplayStreamStats {
    uint32_t stream_id;
    uint32_t width, height;       /* of the coded frames (STREAM_CREATE) */
    uint64_t received;            /* STREAM_DATA(_SIZED) accepted for this stream */
    uint64_t decoded;
    uint64_t shown;
    uint64_t dropped;             /* late, pushed out of a full queue, undecodable, or ended */
    int64_t first_shown_us, last_shown_us;   /* g_get_monotonic_time(); 0 before the first */
    bool active;                  /* not destroyed yet */
} DisplayStreamStats;

/* Statistics of every stream seen (oldest first, at most 4096 kept): copies up to @max into
 * @out and returns how many there are. */
size_t display_streams_stats(const DisplayStreams *ds, DisplayStreamStats *out, size_t max);
