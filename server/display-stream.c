/* display-stream: which repeated DRAW_COPYs are video (stream detection) and the stream messages. */
#include "display-stream.h"

#include <glib.h>
#include <spice/enums.h>

#include "codecs/mjpeg.h"

/* Recent candidate boxes remembered; the oldest is forgotten when a new box needs room. */
#define CANDIDATES_MAX 16u

typedef struct Candidate {
    bool used;
    pixman_box32_t dest;
    uint32_t src_width;
    uint32_t src_height;
    uint32_t count;             /* consecutive frames, each < DISPLAY_STREAM_MAX_GAP_MS apart */
    uint64_t last_ms;
} Candidate;

typedef struct Stream {
    bool live;
    StreamInfo info;
    uint64_t last_ms;
    uint64_t last_sent_ms;
    uint32_t frame_ms;          /* least time between two frames sent (stream_detector_set_frame_ms) */
} Stream;

struct StreamDetector {
    Candidate candidates[CANDIDATES_MAX];
    Stream streams[DISPLAY_STREAM_MAX];
};

StreamDetector *stream_detector_new(void)
{
    return g_new0(StreamDetector, 1);
}

void stream_detector_free(StreamDetector *d)
{
    g_free(d);
}

static bool box_equal(const pixman_box32_t *a, const pixman_box32_t *b)
{
    return a->x1 == b->x1 && a->y1 == b->y1 && a->x2 == b->x2 && a->y2 == b->y2;
}

static bool box_intersects(const pixman_box32_t *a, const pixman_box32_t *b)
{
    return a->x1 < b->x2 && b->x1 < a->x2 && a->y1 < b->y2 && b->y1 < a->y2;
}

static bool region_touches(const pixman_region32_t *area, const pixman_box32_t *box)
{
    return pixman_region32_contains_rectangle((pixman_region32_t *)area,
                                              (pixman_box32_t *)box) != PIXMAN_REGION_OUT;
}

static uint64_t box_area(const pixman_box32_t *b)
{
    if (b->x2 <= b->x1 || b->y2 <= b->y1) {
        return 0;
    }
    return (uint64_t)((int64_t)b->x2 - b->x1) * (uint64_t)((int64_t)b->y2 - b->y1);
}

/* Ends the streams whose box @touches (box or region); returns them. */
static uint32_t end_streams_touching(StreamDetector *d, const pixman_box32_t *box,
                                     const pixman_region32_t *region, int except)
{
    uint32_t ended = 0;
    for (uint32_t i = 0; i < DISPLAY_STREAM_MAX; i++) {
        Stream *s = &d->streams[i];
        if (!s->live || (int)i == except) {
            continue;
        }
        bool hit = box ? box_intersects(box, &s->info.dest) : region_touches(region, &s->info.dest);
        if (hit) {
            s->live = false;
            ended |= 1u << i;
        }
    }
    return ended;
}

static void forget_candidates_touching(StreamDetector *d, const pixman_box32_t *box,
                                       const pixman_region32_t *region, const Candidate *except)
{
    for (uint32_t i = 0; i < CANDIDATES_MAX; i++) {
        Candidate *c = &d->candidates[i];
        if (!c->used || c == except) {
            continue;
        }
        if (box ? box_intersects(box, &c->dest) : region_touches(region, &c->dest)) {
            c->used = false;
        }
    }
}

static Candidate *find_candidate(StreamDetector *d, const pixman_box32_t *dest, uint32_t sw,
                                 uint32_t sh)
{
    for (uint32_t i = 0; i < CANDIDATES_MAX; i++) {
        Candidate *c = &d->candidates[i];
        if (c->used && box_equal(&c->dest, dest) && c->src_width == sw && c->src_height == sh) {
            return c;
        }
    }
    return NULL;
}

static Candidate *new_candidate(StreamDetector *d)
{
    Candidate *oldest = &d->candidates[0];
    for (uint32_t i = 0; i < CANDIDATES_MAX; i++) {
        Candidate *c = &d->candidates[i];
        if (!c->used) {
            return c;
        }
        if (c->last_ms < oldest->last_ms) {
            oldest = c;
        }
    }
    return oldest;
}

static int free_stream_slot(const StreamDetector *d)
{
    for (uint32_t i = 0; i < DISPLAY_STREAM_MAX; i++) {
        if (!d->streams[i].live) {
            return (int)i;
        }
    }
    return -1;
}

StreamCopyResult stream_detector_copy(StreamDetector *d, const pixman_box32_t *dest,
                                      uint32_t src_width, uint32_t src_height, bool candidate,
                                      uint64_t now_ms)
{
    StreamCopyResult r = { .verdict = STREAM_VERDICT_NONE };
    if (candidate) {
        for (uint32_t i = 0; i < DISPLAY_STREAM_MAX; i++) {
            Stream *s = &d->streams[i];
            if (s->live && box_equal(&s->info.dest, dest) && s->info.src_width == src_width &&
                s->info.src_height == src_height) {
                s->last_ms = now_ms;
                r.verdict = STREAM_VERDICT_FRAME;
                r.stream_id = i;
                r.send = now_ms < s->last_sent_ms ||
                         now_ms - s->last_sent_ms >= s->frame_ms;
                if (r.send) {
                    s->last_sent_ms = now_ms;
                }
                /* Streams overlapping this one (not possible when created here) stay. */
                return r;
            }
        }
    }
    /* Not a frame of a stream: whatever it covers is no longer a plain video. */
    r.ended = end_streams_touching(d, dest, NULL, -1);
    if (!candidate || box_area(dest) < DISPLAY_STREAM_MIN_AREA || src_width == 0 ||
        src_height == 0) {
        forget_candidates_touching(d, dest, NULL, NULL);
        return r;
    }
    Candidate *c = find_candidate(d, dest, src_width, src_height);
    forget_candidates_touching(d, dest, NULL, c);
    if (c && now_ms >= c->last_ms && now_ms - c->last_ms < DISPLAY_STREAM_MAX_GAP_MS) {
        c->count++;
    } else {
        if (!c) {
            c = new_candidate(d);
        }
        *c = (Candidate){ .used = true, .dest = *dest, .src_width = src_width,
                          .src_height = src_height, .count = 1 };
    }
    c->last_ms = now_ms;
    if (c->count < DISPLAY_STREAM_START_FRAMES) {
        return r;
    }
    int slot = free_stream_slot(d);
    if (slot < 0) {
        return r;   /* all stream ids in use: it stays an ordinary draw, retried next frame */
    }
    c->used = false;
    Stream *s = &d->streams[slot];
    *s = (Stream){ .live = true, .last_ms = now_ms, .last_sent_ms = now_ms,
                   .frame_ms = DISPLAY_STREAM_MIN_FRAME_MS,
                   .info = { .dest = *dest, .src_width = src_width, .src_height = src_height } };
    r.verdict = STREAM_VERDICT_NEW;
    r.stream_id = (uint32_t)slot;
    r.send = true;
    return r;
}

uint32_t stream_detector_draw_over(StreamDetector *d, const pixman_region32_t *area)
{
    if (!pixman_region32_not_empty((pixman_region32_t *)area)) {
        return 0;
    }
    forget_candidates_touching(d, NULL, area, NULL);
    return end_streams_touching(d, NULL, area, -1);
}

uint32_t stream_detector_expire(StreamDetector *d, uint64_t now_ms)
{
    uint32_t ended = 0;
    for (uint32_t i = 0; i < DISPLAY_STREAM_MAX; i++) {
        Stream *s = &d->streams[i];
        if (s->live && now_ms >= s->last_ms && now_ms - s->last_ms >= DISPLAY_STREAM_TIMEOUT_MS) {
            s->live = false;
            ended |= 1u << i;
        }
    }
    return ended;
}

uint32_t stream_detector_end_all(StreamDetector *d)
{
    uint32_t ended = stream_detector_active(d);
    *d = (StreamDetector){ 0 };
    return ended;
}

uint32_t stream_detector_active(const StreamDetector *d)
{
    uint32_t live = 0;
    for (uint32_t i = 0; i < DISPLAY_STREAM_MAX; i++) {
        live |= d->streams[i].live ? 1u << i : 0;
    }
    return live;
}

void stream_detector_set_frame_ms(StreamDetector *d, uint32_t id, uint32_t frame_ms)
{
    if (id < DISPLAY_STREAM_MAX && d->streams[id].live) {
        d->streams[id].frame_ms = frame_ms;
    }
}

bool stream_detector_info(const StreamDetector *d, uint32_t id, StreamInfo *out)
{
    if (id >= DISPLAY_STREAM_MAX || !d->streams[id].live) {
        return false;
    }
    *out = d->streams[id].info;
    return true;
}

/* ---- messages ---- */

static void write_rect(WireWriter *w, const pixman_box32_t *b)
{
    wire_write_i32(w, b->y1);
    wire_write_i32(w, b->x1);
    wire_write_i32(w, b->y2);
    wire_write_i32(w, b->x2);
}

void display_stream_write_create(WireWriter *w, uint32_t id, const StreamInfo *info,
                                 uint64_t stamp)
{
    wire_write_u32(w, 0);                               /* surface_id: the primary */
    wire_write_u32(w, id);
    wire_write_u8(w, SPICE_STREAM_FLAGS_TOP_DOWN);
    wire_write_u8(w, SPICE_VIDEO_CODEC_TYPE_MJPEG);
    wire_write_u64(w, stamp);
    wire_write_u32(w, info->src_width);                 /* stream_width: the frames' size */
    wire_write_u32(w, info->src_height);
    wire_write_u32(w, info->src_width);
    wire_write_u32(w, info->src_height);
    write_rect(w, &info->dest);
    wire_write_u8(w, SPICE_CLIP_TYPE_NONE);
}

void display_stream_write_data(WireWriter *w, uint32_t id, uint32_t mm_time,
                               const uint8_t *frame, size_t frame_size)
{
    wire_write_u32(w, id);
    wire_write_u32(w, mm_time);
    wire_write_u32(w, (uint32_t)frame_size);
    wire_write_bytes(w, frame, frame_size);
}

void display_stream_write_destroy(WireWriter *w, uint32_t id)
{
    wire_write_u32(w, id);
}

void display_stream_write_activate_report(WireWriter *w, uint32_t id, uint32_t unique_id,
                                          uint32_t max_window_size, uint32_t timeout_ms)
{
    wire_write_u32(w, id);
    wire_write_u32(w, unique_id);
    wire_write_u32(w, max_window_size);
    wire_write_u32(w, timeout_ms);
}

bool display_stream_encode_frame(const Pixbuf *src, int quality, uint8_t **out,
                                 size_t *out_size)
{
    *out = NULL;
    *out_size = 0;
    size_t bound = mjpeg_encode_frame_bound(src->width, src->height);
    if (bound == 0) {
        return false;
    }
    uint8_t *buf = g_try_malloc(bound);
    if (!buf) {
        return false;
    }
    size_t size = 0;
    CodecStatus st = mjpeg_encode_frame(src, quality, buf, bound, &size);
    if (st != CODEC_OK || size > UINT32_MAX) {
        g_free(buf);
        return false;
    }
    *out = buf;
    *out_size = size;
    return true;
}
