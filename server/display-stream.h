/* display-stream: video stream detection for the display channel, and the stream messages' bodies. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pixman.h>

#include "codecs/pixbuf.h"
#include "protocol/wire.h"

/*
 * Detection (streaming-video): a guest playing video redraws the same box with a new bitmap
 * again and again. A "candidate" is a DRAW_COPY that could be a video frame (the caller decides:
 * rop PUT, no mask, no clip, an inline bitmap, the whole box changed, streaming-video allows it).
 * When DISPLAY_STREAM_START_FRAMES candidates with the same destination box and source size
 * follow each other less than DISPLAY_STREAM_MAX_GAP_MS apart, the box becomes a stream: its
 * later candidates are stream frames. Any other draw that touches a stream's box ends it first,
 * and a stream without frames for DISPLAY_STREAM_TIMEOUT_MS ends (display_stream_expire).
 *
 * Pure bookkeeping: the caller sends the messages. Time is given by the caller (ms, monotonic),
 * so the rules are testable. Not thread-safe; the display channel's thread only.
 * Stream ids are 0 .. DISPLAY_STREAM_MAX - 1 (the wire allows < 64); an id is reused after
 * its stream ended.
 */
#define DISPLAY_STREAM_MAX 8u
#define DISPLAY_STREAM_START_FRAMES 10u
#define DISPLAY_STREAM_MAX_GAP_MS 200u          /* upstream's detection delta: 1/5 s */
#define DISPLAY_STREAM_TIMEOUT_MS 1000u         /* upstream's stream timeout: 1 s */
#define DISPLAY_STREAM_MIN_AREA (96u * 96u)     /* upstream's RED_STREAM_MIN_SIZE */
#define DISPLAY_STREAM_MJPEG_QUALITY 80
/* Frames of one stream closer than this to the last one sent are dropped (upstream's MAX_FPS,
 * 30): a faster guest costs no more bandwidth and CPU; the canvas still has every frame. */
#define DISPLAY_STREAM_MIN_FRAME_MS (1000u / 30u)

typedef struct StreamDetector StreamDetector;

typedef enum StreamVerdict {
    STREAM_VERDICT_NONE,        /* an ordinary draw: send it as one */
    STREAM_VERDICT_NEW,         /* a stream starts with this frame (STREAM_CREATE, then the frame) */
    STREAM_VERDICT_FRAME,       /* the next frame of an existing stream */
} StreamVerdict;

typedef struct StreamCopyResult {
    StreamVerdict verdict;
    uint32_t stream_id;         /* with NEW and FRAME */
    bool send;                  /* with NEW and FRAME: send this frame (false: over the rate) */
    uint32_t ended;             /* bit i: stream i ended before this draw (send STREAM_DESTROY) */
} StreamCopyResult;

/* A stream's geometry (for STREAM_CREATE and to refresh its box when it ends). */
typedef struct StreamInfo {
    pixman_box32_t dest;
    uint32_t src_width;
    uint32_t src_height;
} StreamInfo;

/* Owned by the caller; free with stream_detector_free (accepts NULL). */
StreamDetector *stream_detector_new(void);
void stream_detector_free(StreamDetector *d);

/*
 * A DRAW_COPY into @dest of a @src_width x @src_height source at @now_ms. @candidate: it may be
 * a video frame (see above). A copy that is not a frame of a stream ends the streams it touches.
 */
StreamCopyResult stream_detector_copy(StreamDetector *d, const pixman_box32_t *dest,
                                      uint32_t src_width, uint32_t src_height, bool candidate,
                                      uint64_t now_ms);
/* Any other draw changed @area: returns the streams it ends (bit i = id i); candidates under it
 * start over. */
uint32_t stream_detector_draw_over(StreamDetector *d, const pixman_region32_t *area);
/* Streams without a frame for DISPLAY_STREAM_TIMEOUT_MS at @now_ms end: returns them. */
uint32_t stream_detector_expire(StreamDetector *d, uint64_t now_ms);
/* Every stream and candidate is forgotten (the surface went away): returns the streams. */
uint32_t stream_detector_end_all(StreamDetector *d);
/* The live streams (bit i = id i). */
uint32_t stream_detector_active(const StreamDetector *d);
/* Live stream @id sends a frame at most every @frame_ms (from its clients' reports,
 * server/stream-rate.h); starts at DISPLAY_STREAM_MIN_FRAME_MS. Ignored if @id is not live. */
void stream_detector_set_frame_ms(StreamDetector *d, uint32_t id, uint32_t frame_ms);
/* Geometry of live stream @id; false if @id is not live. */
bool stream_detector_info(const StreamDetector *d, uint32_t id, StreamInfo *out);

/* ---- message bodies (spice.proto DisplayChannel), rects written top, left, bottom, right ---- */

/* STREAM_CREATE on surface 0: MJPEG, TOP_DOWN (rows go top first), clip NONE. */
void display_stream_write_create(WireWriter *w, uint32_t id, const StreamInfo *info,
                                 uint64_t stamp);
/* STREAM_DATA: @frame (borrowed) is one encoded frame. */
void display_stream_write_data(WireWriter *w, uint32_t id, uint32_t mm_time,
                               const uint8_t *frame, size_t frame_size);
/* STREAM_DESTROY. */
void display_stream_write_destroy(WireWriter *w, uint32_t id);
/* STREAM_ACTIVATE_REPORT: report on stream @id (@unique_id tells its reports from those of an
 * earlier stream with the same id) every @max_window_size frames or @timeout_ms. */
void display_stream_write_activate_report(WireWriter *w, uint32_t id, uint32_t unique_id,
                                          uint32_t max_window_size, uint32_t timeout_ms);

/*
 * One MJPEG frame of @src at @quality (1..100, DISPLAY_STREAM_MJPEG_QUALITY at first) into a
 * new buffer (*out, caller frees with g_free); false (and *out NULL) when the encoder fails,
 * e.g. out of memory: the caller skips the frame.
 */
bool display_stream_encode_frame(const Pixbuf *src, int quality, uint8_t **out,
                                 size_t *out_size);
