/* display-stream: MJPEG video streams of a display channel, queued and shown on the mm clock. */
#include "client/display-stream.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-parse.h"
#include "client/image-decode.h"
#include "client/stream-jpeg.h"
#include "protocol/wire.h"

#define MAX_STATS 4096u
/* STREAM_REPORT: after this many drops in a row a report goes out at once (as spice-gtk). */
#define REPORT_DROP_RUN 3u
/* A queued frame at most this late when its turn comes is still shown (timer jitter). */
#define SCHEDULE_SLACK_MS 10

typedef struct Frame {
    uint32_t mm_time;
    bool sized;
    uint32_t width, height;       /* sized frames: their declared size */
    DisplayRect dest;
    uint8_t *data;                /* g_malloc'd copy */
    uint32_t size;
} Frame;

typedef struct Stream {
    DisplayStreams *owner;
    uint32_t id;
    uint32_t surface_id;
    uint8_t flags;
    uint32_t width, height;       /* coded frame size from STREAM_CREATE */
    DisplayRect dest;
    bool has_clip;
    pixman_region32_t clip;       /* surface coordinates; valid when has_clip */
    GQueue frames;                /* Frame*, oldest first, mm_time never decreasing */
    guint timer;
    StreamJpeg *jpeg;             /* made at the first frame, kept for the stream's life */
    pixman_image_t *scratch;      /* last frame decoded off-surface (scaled or clipped streams) */
    size_t stats_index;           /* into owner->stats, or SIZE_MAX when not recorded */

    bool report_active;
    uint32_t report_unique_id, report_window, report_timeout_ms;
    uint32_t report_frames, report_drops, report_drop_run;
    uint32_t report_start_mm;
    int64_t report_start_us;
} Stream;

struct DisplayStreams {
    unsigned channel_id;
    StreamHost host;
    bool reports;
    Stream *streams[DISPLAY_MAX_STREAMS];
    GArray *stats;                /* DisplayStreamStats */
    GHashTable *logged;           /* kinds already logged (strings) */
};

/* ---- helpers ---- */

static void log_once(DisplayStreams *ds, const char *kind, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void log_once(DisplayStreams *ds, const char *kind, const char *fmt, ...)
{
    if (g_hash_table_contains(ds->logged, kind)) {
        return;
    }
    g_hash_table_add(ds->logged, g_strdup(kind));
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_warning("display %u: %s (logged once per kind)", ds->channel_id, msg);
    g_free(msg);
}

static DisplayStreamStats *stats_of(Stream *st)
{
    if (st->stats_index == SIZE_MAX) {
        return NULL;
    }
    return &g_array_index(st->owner->stats, DisplayStreamStats, st->stats_index);
}

static void count_drop(Stream *st, uint64_t n)
{
    DisplayStreamStats *s = stats_of(st);
    if (s) {
        s->dropped += n;
    }
}

static void frame_free(Frame *f)
{
    if (f) {
        g_free(f->data);
        g_free(f);
    }
}

static int32_t mm_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}

/* Reports "stream @id does not exist" the way the server understands (0 frames, all dropped). */
static void report_missing(DisplayStreams *ds, uint32_t id)
{
    if (!ds->reports) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, id);
    wire_write_u32(&w, 0);            /* unique id */
    wire_write_u32(&w, 0);            /* start mm time */
    wire_write_u32(&w, 0);            /* end mm time */
    wire_write_u32(&w, 0);            /* frames */
    wire_write_u32(&w, UINT32_MAX);   /* drops */
    wire_write_i32(&w, 0);            /* last frame delay */
    wire_write_u32(&w, UINT32_MAX);   /* audio delay: no playback */
    ds->host.send_report(wire_writer_data(&w), wire_writer_size(&w), ds->host.user);
    wire_writer_finish(&w);
}

static void drop_queue(Stream *st)
{
    if (!g_queue_is_empty(&st->frames)) {
        g_debug("display %u: stream %u: %u waiting frame(s) dropped", st->owner->channel_id, st->id,
                g_queue_get_length(&st->frames));
    }
    count_drop(st, g_queue_get_length(&st->frames));
    Frame *f;
    while ((f = g_queue_pop_head(&st->frames)) != NULL) {
        frame_free(f);
    }
    if (st->timer) {
        g_source_remove(st->timer);
        st->timer = 0;
    }
}

static void stream_free(Stream *st)
{
    drop_queue(st);
    DisplayStreamStats *s = stats_of(st);
    if (s) {
        s->active = false;
    }
    if (st->has_clip) {
        pixman_region32_fini(&st->clip);
    }
    stream_jpeg_free(st->jpeg);
    if (st->scratch) {
        pixman_image_unref(st->scratch);
    }
    g_free(st);
}

static void destroy_stream(DisplayStreams *ds, uint32_t id)
{
    if (id < DISPLAY_MAX_STREAMS && ds->streams[id]) {
        stream_free(ds->streams[id]);
        ds->streams[id] = NULL;
    }
}

static void set_clip(Stream *st, const DisplayClip *clip)
{
    if (st->has_clip) {
        pixman_region32_fini(&st->clip);
        st->has_clip = false;
    }
    if (clip->type != SPICE_CLIP_TYPE_RECTS) {
        return;
    }
    pixman_region32_init(&st->clip);
    for (uint32_t i = 0; i < clip->num_rects; i++) {
        const DisplayRect *r = &clip->rects[i];
        int64_t w = (int64_t)r->right - r->left, h = (int64_t)r->bottom - r->top;
        if (w > 0 && h > 0 && w <= UINT32_MAX && h <= UINT32_MAX) {
            pixman_region32_union_rect(&st->clip, &st->clip, r->left, r->top, (unsigned)w,
                                       (unsigned)h);
        }
    }
    st->has_clip = true;
}

/* Width and height of a sane rect, false when empty or too large to scale to. */
static bool rect_size(const DisplayRect *r, uint32_t *w, uint32_t *h)
{
    int64_t rw = (int64_t)r->right - r->left, rh = (int64_t)r->bottom - r->top;
    if (rw <= 0 || rh <= 0 || rw > PIXBUF_MAX_DIMENSION || rh > PIXBUF_MAX_DIMENSION) {
        return false;
    }
    *w = (uint32_t)rw;
    *h = (uint32_t)rh;
    return true;
}

/* ---- drawing ---- */

/* Draws @frame scaled onto @dest of @surface through the stream's clip. */
static bool draw_frame(Stream *st, pixman_image_t *surface, pixman_image_t *frame,
                       const DisplayRect *dest)
{
    uint32_t bw, bh;
    if (!rect_size(dest, &bw, &bh)) {
        return false;
    }
    uint32_t fw = (uint32_t)pixman_image_get_width(frame), fh = (uint32_t)pixman_image_get_height(frame);
    pixman_region32_t region;
    pixman_region32_init_rect(&region, dest->left, dest->top, bw, bh);
    if (st->has_clip) {
        pixman_region32_intersect(&region, &region, &st->clip);
    }
    pixman_image_set_clip_region32(surface, &region);
    pixman_transform_t t;
    pixman_transform_init_identity(&t);
    if (fw != bw || fh != bh) {
        /* Destination pixel p (relative to dest) samples the frame at p * frame/dest. */
        t.matrix[0][0] = (pixman_fixed_t)(((int64_t)fw << 16) / bw);
        t.matrix[1][1] = (pixman_fixed_t)(((int64_t)fh << 16) / bh);
        pixman_image_set_filter(frame, PIXMAN_FILTER_BILINEAR, NULL, 0);
        pixman_image_set_repeat(frame, PIXMAN_REPEAT_PAD);
    } else {
        pixman_image_set_filter(frame, PIXMAN_FILTER_NEAREST, NULL, 0);
        pixman_image_set_repeat(frame, PIXMAN_REPEAT_NONE);
    }
    pixman_image_set_transform(frame, &t);
    pixman_image_composite32(PIXMAN_OP_SRC, frame, NULL, surface, 0, 0, 0, 0, dest->left, dest->top,
                             (int32_t)bw, (int32_t)bh);
    pixman_image_set_clip_region32(surface, NULL);
    pixman_region32_fini(&region);
    return true;
}

/* Where stream_jpeg_decode writes one frame: the surface itself when the frame lands there
 * unscaled and unclipped (no copy at all), else the stream's scratch image. */
typedef struct FrameTarget {
    Stream *st;
    pixman_image_t *surface;
    const DisplayRect *dest;
    uint64_t max_pixels;
    bool direct;                  /* out: the frame went straight into the surface */
} FrameTarget;

/* True when a @w x @h frame can be decoded right into @dest of @surface. */
static bool fits_surface(const Stream *st, pixman_image_t *surface, const DisplayRect *dest,
                         uint32_t w, uint32_t h)
{
    pixman_format_code_t fmt = pixman_image_get_format(surface);
    if (fmt != PIXMAN_x8r8g8b8 && fmt != PIXMAN_a8r8g8b8) {
        return false;   /* B, G, R, 0xFF fits 32-bit surfaces only */
    }
    uint32_t bw, bh;
    if (!rect_size(dest, &bw, &bh) || bw != w || bh != h || dest->left < 0 || dest->top < 0
        || (int64_t)dest->right > pixman_image_get_width(surface)
        || (int64_t)dest->bottom > pixman_image_get_height(surface)) {
        return false;
    }
    if (st->has_clip) {
        pixman_box32_t box = { dest->left, dest->top, dest->right, dest->bottom };
        if (pixman_region32_contains_rectangle((pixman_region32_t *)&st->clip, &box)
            != PIXMAN_REGION_IN) {
            return false;
        }
    }
    return true;
}

static uint8_t *frame_target(uint32_t w, uint32_t h, ptrdiff_t *stride, void *user)
{
    FrameTarget *t = user;
    Stream *st = t->st;
    if ((uint64_t)w * h > t->max_pixels) {
        return NULL;
    }
    pixman_image_t *img;
    int32_t top;
    if (fits_surface(st, t->surface, t->dest, w, h)) {
        t->direct = true;
        img = t->surface;
        top = t->dest->top;
    } else {
        t->direct = false;
        if (st->scratch == NULL || (uint32_t)pixman_image_get_width(st->scratch) != w
            || (uint32_t)pixman_image_get_height(st->scratch) != h) {
            if (st->scratch) {
                pixman_image_unref(st->scratch);
            }
            /* Every pixel is written by the decode before the image is read. */
            st->scratch = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)w, (int)h, NULL, 0);
            if (st->scratch == NULL) {
                return NULL;
            }
        }
        img = st->scratch;
        top = 0;
    }
    ptrdiff_t img_stride = pixman_image_get_stride(img);
    uint8_t *base = (uint8_t *)pixman_image_get_data(img)
                    + (ptrdiff_t)top * img_stride + (t->direct ? (ptrdiff_t)t->dest->left * 4 : 0);
    if (st->flags & SPICE_STREAM_FLAGS_TOP_DOWN) {
        *stride = img_stride;
        return base;
    }
    /* Bottom-up frames: the first JPEG row is the bottom one. */
    *stride = -img_stride;
    return base + (ptrdiff_t)(h - 1) * img_stride;
}

/* Decodes and draws @f now; counts it. True when the surface changed (the frame was drawn,
 * or a frame decoded in place failed after writing some rows). */
static bool show_frame(Stream *st, Frame *f)
{
    DisplayStreams *ds = st->owner;
    DisplayStreamStats *s = stats_of(st);
    const DisplayRect *dest = f->sized ? &f->dest : &st->dest;
    pixman_image_t *surface = ds->host.surface(st->surface_id, ds->host.user);
    if (surface == NULL) {
        log_once(ds, "stream-draw", "stream %u: a frame could not be drawn on surface %u (gone?)",
                 st->id, st->surface_id);
        count_drop(st, 1);
        return false;
    }
    if (st->jpeg == NULL && (st->jpeg = stream_jpeg_new()) == NULL) {
        log_once(ds, "stream-memory", "stream %u: out of memory for an MJPEG decoder", st->id);
        count_drop(st, 1);
        return false;
    }
    FrameTarget target = {
        .st = st, .surface = surface, .dest = dest,
        .max_pixels = f->sized ? (uint64_t)f->width * f->height : (uint64_t)st->width * st->height,
    };
    bool wrote = false;
    CodecStatus cs = stream_jpeg_decode(st->jpeg, f->data, f->size, frame_target, &target, &wrote);
    if (cs != CODEC_OK) {
        char kind[48];
        g_snprintf(kind, sizeof(kind), "stream-decode-%d", cs);
        log_once(ds, kind, "stream %u: dropped a frame that does not decode as MJPEG within %ux%u "
                 "(%s)", st->id, f->sized ? f->width : st->width, f->sized ? f->height : st->height,
                 codec_status_to_str(cs));
        count_drop(st, 1);
        return target.direct && wrote;   /* its first rows are on the surface */
    }
    if (s) {
        s->decoded++;
    }
    if (!target.direct && !draw_frame(st, surface, st->scratch, dest)) {
        log_once(ds, "stream-draw", "stream %u: a frame could not be drawn on surface %u",
                 st->id, st->surface_id);
        count_drop(st, 1);
        return false;
    }
    if (s) {
        int64_t now = g_get_monotonic_time();
        if (s->shown == 0) {
            s->first_shown_us = now;
        }
        s->shown++;
        s->last_shown_us = now;
    }
    return true;
}

/* ---- scheduling ---- */

static void schedule(Stream *st);

static gboolean on_frame_due(gpointer data)
{
    Stream *st = data;
    st->timer = 0;
    StreamHost host = st->owner->host;
    uint32_t surface_id = st->surface_id;
    Frame *f = g_queue_pop_head(&st->frames);
    bool shown = f != NULL && show_frame(st, f);
    frame_free(f);
    schedule(st);
    /* Last: the host's callback may end the stream (or the whole session). */
    if (shown && host.frame_shown) {
        host.frame_shown(surface_id, host.user);
    }
    return G_SOURCE_REMOVE;
}

/* Arms the timer for the oldest frame that is not late yet; late ones are dropped. */
static void schedule(Stream *st)
{
    if (st->timer) {
        return;
    }
    DisplayStreams *ds = st->owner;
    Frame *f;
    while ((f = g_queue_peek_head(&st->frames)) != NULL) {
        int32_t wait = mm_diff(f->mm_time, ds->host.mm_time(ds->host.user));
        if (wait < 0 && wait >= -SCHEDULE_SLACK_MS) {
            wait = 0;   /* it became due while we queued or drew the one before: show it */
        }
        if (wait < 0) {
            g_debug("display %u: stream %u: frame %u is %u ms late for its turn: dropped",
                    ds->channel_id, st->id, f->mm_time, 0u - (uint32_t)wait);
            g_queue_pop_head(&st->frames);
            frame_free(f);
            count_drop(st, 1);
            continue;
        }
        if ((uint32_t)wait > DISPLAY_STREAM_MAX_WAIT_MS) {
            log_once(ds, "stream-far", "stream %u: a frame is stamped %d ms ahead of the clock; "
                     "shown after %u ms instead", st->id, wait, DISPLAY_STREAM_MAX_WAIT_MS);
            wait = DISPLAY_STREAM_MAX_WAIT_MS;
        }
        st->timer = g_timeout_add((guint)wait, on_frame_due, st);
        return;
    }
}

/* ---- STREAM_REPORT (adaptive streaming: the server tunes its frame rate to these) ---- */

static void report_frame(Stream *st, uint32_t mm_time, int32_t margin)
{
    if (!st->report_active || !st->owner->reports) {
        return;
    }
    int64_t now = g_get_monotonic_time();
    if (st->report_frames == 0) {
        st->report_start_mm = mm_time;
        st->report_start_us = now;
    }
    st->report_frames++;
    if (margin < 0) {
        st->report_drops++;
        st->report_drop_run++;
    } else {
        st->report_drop_run = 0;
    }
    if (st->report_frames < st->report_window
        && now - st->report_start_us < (int64_t)st->report_timeout_ms * 1000
        && st->report_drop_run < REPORT_DROP_RUN) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, st->id);
    wire_write_u32(&w, st->report_unique_id);
    wire_write_u32(&w, st->report_start_mm);
    wire_write_u32(&w, mm_time);
    wire_write_u32(&w, st->report_frames);
    wire_write_u32(&w, st->report_drops);
    wire_write_i32(&w, margin);
    wire_write_u32(&w, UINT32_MAX);   /* audio delay: we play no audio */
    st->owner->host.send_report(wire_writer_data(&w), wire_writer_size(&w), st->owner->host.user);
    wire_writer_finish(&w);
    st->report_frames = st->report_drops = st->report_drop_run = 0;
}

/* ---- messages ---- */

/* The stream @id, or NULL (logged; the server is told the stream does not exist unless the
 * message was ending it anyway, as spice-gtk does). */
static Stream *find(DisplayStreams *ds, uint32_t id, const char *what)
{
    Stream *st = id < DISPLAY_MAX_STREAMS ? ds->streams[id] : NULL;
    if (st == NULL) {
        log_once(ds, what, "dropped %s for stream %u, which does not exist", what, id);
        if (strcmp(what, "STREAM_DESTROY") != 0) {
            report_missing(ds, id);
        }
    }
    return st;
}

static DisplayResult stream_create(DisplayStreams *ds, const uint8_t *body, size_t size)
{
    DisplayStreamCreate c;
    if (!display_parse_stream_create(body, size, &c)) {
        display_clip_clear(&c.clip);
        g_warning("display %u: dropped a malformed STREAM_CREATE of %zu bytes", ds->channel_id, size);
        return DISPLAY_RESULT_DROPPED;
    }
    uint32_t dw, dh;
    const char *refusal = NULL;
    if (c.id >= DISPLAY_MAX_STREAMS) {
        refusal = "its id is over our limit";
    } else if (c.codec_type != SPICE_VIDEO_CODEC_TYPE_MJPEG) {
        refusal = "its codec is not MJPEG (the only one we announce)";
    } else if (c.stream_width == 0 || c.stream_height == 0
               || (uint64_t)c.stream_width * c.stream_height > IMAGE_MAX_PIXELS) {
        refusal = "its frame size is empty or too large";
    } else if (!rect_size(&c.dest, &dw, &dh)) {
        refusal = "its destination rect is empty or too large";
    } else if (ds->host.surface(c.surface_id, ds->host.user) == NULL) {
        refusal = "its surface does not exist";
    }
    if (refusal) {
        log_once(ds, refusal, "refused STREAM_CREATE %u (codec %u, %ux%u on surface %u): %s",
                 c.id, c.codec_type, c.stream_width, c.stream_height, c.surface_id, refusal);
        display_clip_clear(&c.clip);
        destroy_stream(ds, c.id);
        report_missing(ds, c.id);
        return DISPLAY_RESULT_DROPPED;
    }
    if (ds->streams[c.id]) {
        log_once(ds, "stream-twice", "STREAM_CREATE %u for a stream that exists: replaced", c.id);
        destroy_stream(ds, c.id);
    }
    Stream *st = g_new0(Stream, 1);
    st->owner = ds;
    st->id = c.id;
    st->surface_id = c.surface_id;
    st->flags = c.flags;
    st->width = c.stream_width;
    st->height = c.stream_height;
    st->dest = c.dest;
    g_queue_init(&st->frames);
    set_clip(st, &c.clip);
    display_clip_clear(&c.clip);
    st->stats_index = SIZE_MAX;
    if (ds->stats->len < MAX_STATS) {
        DisplayStreamStats s = { .stream_id = c.id, .width = c.stream_width,
                                 .height = c.stream_height, .active = true };
        g_array_append_val(ds->stats, s);
        st->stats_index = ds->stats->len - 1;
    }
    ds->streams[c.id] = st;
    g_debug("display %u: stream %u: MJPEG %ux%u -> %ux%u at (%d,%d) on surface %u%s", ds->channel_id,
            c.id, c.stream_width, c.stream_height, dw, dh, c.dest.left, c.dest.top, c.surface_id,
            st->has_clip ? ", clipped" : "");
    return DISPLAY_RESULT_NONE;
}

static DisplayResult stream_data(DisplayStreams *ds, const uint8_t *body, size_t size, bool sized)
{
    DisplayStreamData d;
    const char *what = sized ? "STREAM_DATA_SIZED" : "STREAM_DATA";
    if (!display_parse_stream_data(body, size, sized, &d)) {
        g_warning("display %u: dropped a malformed %s of %zu bytes", ds->channel_id, what, size);
        return DISPLAY_RESULT_DROPPED;
    }
    Stream *st = find(ds, d.id, what);
    if (st == NULL) {
        return DISPLAY_RESULT_DROPPED;
    }
    uint32_t dw, dh;
    if (d.data_size == 0 || d.data_size > DISPLAY_STREAM_MAX_FRAME_BYTES) {
        log_once(ds, "stream-frame-size", "stream %u: dropped a frame of %u bytes (1..%u taken)",
                 d.id, d.data_size, DISPLAY_STREAM_MAX_FRAME_BYTES);
        count_drop(st, 1);
        return DISPLAY_RESULT_DROPPED;
    }
    if (sized && (d.width == 0 || d.height == 0 || (uint64_t)d.width * d.height > IMAGE_MAX_PIXELS
                  || !rect_size(&d.dest, &dw, &dh))) {
        log_once(ds, "stream-sized", "stream %u: dropped a sized frame of %ux%u for an empty or "
                 "too large rect", d.id, d.width, d.height);
        count_drop(st, 1);
        return DISPLAY_RESULT_DROPPED;
    }
    DisplayStreamStats *s = stats_of(st);
    if (s) {
        s->received++;
    }
    uint32_t now = ds->host.mm_time(ds->host.user);
    if (d.mm_time == 0) {
        d.mm_time = now;   /* no stamp (a guest driver without mm time): show it now */
    }
    int32_t margin = mm_diff(d.mm_time, now);
    report_frame(st, d.mm_time, margin);
    if (margin < 0) {
        g_debug("display %u: stream %u: frame %u arrived %u ms late: dropped", ds->channel_id,
                st->id, d.mm_time, now - d.mm_time);
        count_drop(st, 1);   /* late: MJPEG frames are independent, skip it cheaply */
        return DISPLAY_RESULT_NONE;
    }
    Frame *last = g_queue_peek_tail(&st->frames);
    if (last != NULL && mm_diff(d.mm_time, last->mm_time) < 0) {
        /* Time went backwards (a clock reset on the server): start over from this frame. */
        drop_queue(st);
    }
    if (g_queue_get_length(&st->frames) >= DISPLAY_STREAM_MAX_QUEUED) {
        frame_free(g_queue_pop_head(&st->frames));
        count_drop(st, 1);
    }
    Frame *f = g_new0(Frame, 1);
    f->mm_time = d.mm_time;
    f->sized = sized;
    f->width = d.width;
    f->height = d.height;
    f->dest = d.dest;
    f->data = g_memdup2(d.data, d.data_size);
    f->size = d.data_size;
    g_queue_push_tail(&st->frames, f);
    schedule(st);
    return DISPLAY_RESULT_NONE;
}

static DisplayResult stream_clip(DisplayStreams *ds, const uint8_t *body, size_t size)
{
    uint32_t id;
    DisplayClip clip;
    if (!display_parse_stream_clip(body, size, &id, &clip)) {
        display_clip_clear(&clip);
        g_warning("display %u: dropped a malformed STREAM_CLIP of %zu bytes", ds->channel_id, size);
        return DISPLAY_RESULT_DROPPED;
    }
    Stream *st = find(ds, id, "STREAM_CLIP");
    if (st) {
        set_clip(st, &clip);
    }
    display_clip_clear(&clip);
    return st ? DISPLAY_RESULT_NONE : DISPLAY_RESULT_DROPPED;
}

static DisplayResult stream_activate_report(DisplayStreams *ds, const uint8_t *body, size_t size)
{
    DisplayStreamActivateReport a;
    if (!display_parse_stream_activate_report(body, size, &a)) {
        g_warning("display %u: dropped a malformed STREAM_ACTIVATE_REPORT of %zu bytes",
                  ds->channel_id, size);
        return DISPLAY_RESULT_DROPPED;
    }
    Stream *st = find(ds, a.stream_id, "STREAM_ACTIVATE_REPORT");
    if (st == NULL) {
        return DISPLAY_RESULT_DROPPED;
    }
    st->report_active = true;
    st->report_unique_id = a.unique_id;
    st->report_window = a.max_window_size ? a.max_window_size : 1;
    st->report_timeout_ms = a.timeout_ms;
    st->report_frames = st->report_drops = st->report_drop_run = 0;
    return DISPLAY_RESULT_NONE;
}

bool display_streams_handles(uint16_t type)
{
    switch (type) {
    case SPICE_MSG_DISPLAY_STREAM_CREATE:
    case SPICE_MSG_DISPLAY_STREAM_DATA:
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED:
    case SPICE_MSG_DISPLAY_STREAM_CLIP:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
    case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        return true;
    default:
        return false;
    }
}

DisplayResult display_streams_handle(DisplayStreams *ds, uint16_t type, const uint8_t *body,
                                     size_t size)
{
    uint32_t id;
    switch (type) {
    case SPICE_MSG_DISPLAY_STREAM_CREATE:
        return stream_create(ds, body, size);
    case SPICE_MSG_DISPLAY_STREAM_DATA:
        return stream_data(ds, body, size, false);
    case SPICE_MSG_DISPLAY_STREAM_DATA_SIZED:
        return stream_data(ds, body, size, true);
    case SPICE_MSG_DISPLAY_STREAM_CLIP:
        return stream_clip(ds, body, size);
    case SPICE_MSG_DISPLAY_STREAM_DESTROY:
        if (!display_parse_stream_destroy(body, size, &id)) {
            g_warning("display %u: dropped a malformed STREAM_DESTROY of %zu bytes", ds->channel_id, size);
            return DISPLAY_RESULT_DROPPED;
        }
        if (find(ds, id, "STREAM_DESTROY") == NULL) {
            return DISPLAY_RESULT_DROPPED;
        }
        destroy_stream(ds, id);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL:
        display_streams_clear(ds);
        return DISPLAY_RESULT_NONE;
    case SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT:
        return stream_activate_report(ds, body, size);
    default:
        return DISPLAY_RESULT_DROPPED;
    }
}

/* ---- lifecycle ---- */

DisplayStreams *display_streams_new(unsigned channel_id, const StreamHost *host, bool reports)
{
    DisplayStreams *ds = g_new0(DisplayStreams, 1);
    ds->channel_id = channel_id;
    ds->host = *host;
    ds->reports = reports && host->send_report != NULL;
    ds->stats = g_array_new(FALSE, TRUE, sizeof(DisplayStreamStats));
    ds->logged = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return ds;
}

void display_streams_free(DisplayStreams *ds)
{
    if (ds == NULL) {
        return;
    }
    display_streams_clear(ds);
    g_array_unref(ds->stats);
    g_hash_table_destroy(ds->logged);
    g_free(ds);
}

void display_streams_surface_gone(DisplayStreams *ds, uint32_t surface_id)
{
    for (uint32_t i = 0; i < DISPLAY_MAX_STREAMS; i++) {
        if (ds->streams[i] && ds->streams[i]->surface_id == surface_id) {
            destroy_stream(ds, i);
        }
    }
}

void display_streams_clear(DisplayStreams *ds)
{
    for (uint32_t i = 0; i < DISPLAY_MAX_STREAMS; i++) {
        destroy_stream(ds, i);
    }
}

void display_streams_reschedule(DisplayStreams *ds)
{
    for (uint32_t i = 0; i < DISPLAY_MAX_STREAMS; i++) {
        Stream *st = ds->streams[i];
        if (st && st->timer) {
            g_source_remove(st->timer);
            st->timer = 0;
        }
        if (st) {
            schedule(st);
        }
    }
}

size_t display_streams_stats(const DisplayStreams *ds, DisplayStreamStats *out, size_t max)
{
    for (size_t i = 0; i < ds->stats->len && i < max; i++) {
        out[i] = g_array_index(ds->stats, DisplayStreamStats, i);
    }
    return ds->stats->len;
}
