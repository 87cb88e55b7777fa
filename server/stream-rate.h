/* stream-rate: how good and how frequent a video stream's frames are, steered by its clients' STREAM_REPORTs. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * A client that announces SPICE_DISPLAY_CAP_STREAM_REPORT is asked (STREAM_ACTIVATE_REPORT)
 * to report every few frames how many it got and how many it dropped because they came too
 * late to show, and how early the last one was (last_frame_delay, negative: late). A stream
 * whose client struggles sends smaller frames (lower MJPEG quality) less often; one whose
 * reports stay clean climbs back, frame rate first, then quality. Upstream's MJPEG encoder
 * steers a bit rate from the same reports; this is a simpler rule over the same signals.
 *
 * One StreamRate per stream (the frames are encoded once for all its clients, so a report from
 * any client counts). Plain value, owned by the caller; no locking (display channel thread).
 */
#define STREAM_RATE_MAX_QUALITY 80       /* where a stream starts (upstream's default quality) */
#define STREAM_RATE_MIN_QUALITY 30
#define STREAM_RATE_MIN_FRAME_MS 33u     /* 30 fps, upstream's MAX_FPS */
#define STREAM_RATE_MAX_FRAME_MS 200u    /* 5 fps */
#define STREAM_RATE_CLEAN_TO_RAISE 3u    /* clean reports in a row before stepping up */
/* What the server asks for in STREAM_ACTIVATE_REPORT: a report every this many frames, or
 * after this long (upstream's RED_STREAM_CLIENT_REPORT_WINDOW and _TIMEOUT). */
#define STREAM_RATE_REPORT_WINDOW 5u
#define STREAM_RATE_REPORT_TIMEOUT_MS 1000u

typedef struct StreamRate {
    int quality;                /* MJPEG quality for the next frames */
    uint32_t frame_ms;          /* least time between two frames sent */
    uint32_t clean_reports;     /* clean reports in a row since the last step */
} StreamRate;

/* Full quality at 30 fps. */
void stream_rate_init(StreamRate *rate);

/*
 * One STREAM_REPORT: @num_frames frames reached the client in its window, @num_drops of them
 * were dropped, @last_frame_delay_ms is how early the last one arrived (negative: late).
 * Struggling (over a tenth dropped, or late): quality down by 10 and frames 25% further apart,
 * within the limits. Returns true if quality or frame_ms changed.
 */
bool stream_rate_report(StreamRate *rate, uint32_t num_frames, uint32_t num_drops,
                        int32_t last_frame_delay_ms);
