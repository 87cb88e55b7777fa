/* test-client-stream: MJPEG video streams (client/display-stream.c): timing, drawing, hostile servers. */
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-parse.h"
#include "client/display-stream.h"
#include "codecs/mjpeg.h"
#include "protocol/wire.h"

#define SURFACE_ID 0u
#define SURF_W 128
#define SURF_H 96

/* The fake host: one surface, a clock we can shift, the reports and redraws it was given. */
typedef struct Host {
    pixman_image_t *surface;
    int64_t clock_shift_ms;          /* server clock = local monotonic ms + shift */
    unsigned shown_events;
    GPtrArray *reports;              /* GBytes* */
} Host;

static pixman_image_t *host_surface(uint32_t id, void *user)
{
    Host *h = user;
    return id == SURFACE_ID ? h->surface : NULL;
}

static uint32_t host_mm_time(void *user)
{
    Host *h = user;
    return (uint32_t)(g_get_monotonic_time() / 1000 + h->clock_shift_ms);
}

/* A stamp a little ahead: due soon, never late on arrival even on a loaded machine. */
static uint32_t due_soon(Host *h)
{
    return host_mm_time(h) + 150;
}

static void host_report(const uint8_t *body, size_t size, void *user)
{
    Host *h = user;
    g_ptr_array_add(h->reports, g_bytes_new(body, size));
}

static void host_shown(uint32_t surface_id, void *user)
{
    Host *h = user;
    g_assert_cmpuint(surface_id, ==, SURFACE_ID);
    h->shown_events++;
}

static DisplayStreams *setup(Host *h)
{
    memset(h, 0, sizeof(*h));
    h->surface = pixman_image_create_bits(PIXMAN_x8r8g8b8, SURF_W, SURF_H, NULL, 0);
    h->reports = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    StreamHost host = { host_surface, host_mm_time, host_report, host_shown, h };
    return display_streams_new(0, &host, true);
}

static void teardown(Host *h, DisplayStreams *ds)
{
    display_streams_free(ds);
    pixman_image_unref(h->surface);
    g_ptr_array_unref(h->reports);
}

static uint32_t px(pixman_image_t *img, int x, int y)
{
    const uint8_t *d = (const uint8_t *)pixman_image_get_data(img);
    return ((const uint32_t *)(const void *)(d + (size_t)y * (size_t)pixman_image_get_stride(img)))[x] & 0xffffff;
}

/* True when @got is within @tol of @want in every channel (MJPEG is lossy). */
static bool near(uint32_t got, uint32_t want, int tol)
{
    for (int shift = 0; shift < 24; shift += 8) {
        int a = (int)((got >> shift) & 0xff), b = (int)((want >> shift) & 0xff);
        if (abs(a - b) > tol) {
            return false;
        }
    }
    return true;
}

static void rect(WireWriter *w, int32_t top, int32_t left, int32_t bottom, int32_t right)
{
    wire_write_i32(w, top);
    wire_write_i32(w, left);
    wire_write_i32(w, bottom);
    wire_write_i32(w, right);
}

static DisplayResult send(DisplayStreams *ds, uint16_t type, WireWriter *w)
{
    DisplayResult r = display_streams_handle(ds, type, wire_writer_data(w), wire_writer_size(w));
    wire_writer_finish(w);
    return r;
}

typedef struct CreateArgs {
    uint32_t surface, id;
    uint8_t flags, codec;
    uint32_t w, h;
    int32_t top, left, bottom, right;
    const int32_t *clip;   /* one rect (t, l, b, r) or NULL */
} CreateArgs;

static void write_create(WireWriter *w, const CreateArgs *a)
{
    wire_write_u32(w, a->surface);
    wire_write_u32(w, a->id);
    wire_write_u8(w, a->flags);
    wire_write_u8(w, a->codec);
    wire_write_u64(w, 0);
    wire_write_u32(w, a->w);
    wire_write_u32(w, a->h);
    wire_write_u32(w, a->w);
    wire_write_u32(w, a->h);
    rect(w, a->top, a->left, a->bottom, a->right);
    if (a->clip) {
        wire_write_u8(w, SPICE_CLIP_TYPE_RECTS);
        wire_write_u32(w, 1);
        rect(w, a->clip[0], a->clip[1], a->clip[2], a->clip[3]);
    } else {
        wire_write_u8(w, SPICE_CLIP_TYPE_NONE);
    }
}

static DisplayResult create(DisplayStreams *ds, const CreateArgs *a)
{
    WireWriter w;
    wire_writer_init(&w);
    write_create(&w, a);
    return send(ds, SPICE_MSG_DISPLAY_STREAM_CREATE, &w);
}

/* An MJPEG frame of @w x @h: the top half @top, the bottom half @bottom. */
static GBytes *frame(uint32_t w, uint32_t h, uint32_t top, uint32_t bottom)
{
    Pixbuf pb;
    g_assert_cmpint(pixbuf_alloc(&pb, PIXBUF_FORMAT_XRGB32, w, h), ==, CODEC_OK);
    for (uint32_t y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(void *)pixbuf_row(&pb, y);
        for (uint32_t x = 0; x < w; x++) {
            row[x] = y < h / 2 ? top : bottom;
        }
    }
    size_t cap = mjpeg_encode_frame_bound(w, h), size = 0;
    uint8_t *out = g_malloc(cap);
    g_assert_cmpint(mjpeg_encode_frame(&pb, 95, out, cap, &size), ==, CODEC_OK);
    pixbuf_free(&pb);
    return g_bytes_new_take(out, size);
}

static void write_data(WireWriter *w, uint32_t id, uint32_t mm_time, GBytes *jpeg)
{
    gsize n;
    const uint8_t *d = g_bytes_get_data(jpeg, &n);
    wire_write_u32(w, id);
    wire_write_u32(w, mm_time);
    wire_write_u32(w, (uint32_t)n);
    wire_write_bytes(w, d, n);
}

static DisplayResult data(DisplayStreams *ds, uint32_t id, uint32_t mm_time, GBytes *jpeg)
{
    WireWriter w;
    wire_writer_init(&w);
    write_data(&w, id, mm_time, jpeg);
    return send(ds, SPICE_MSG_DISPLAY_STREAM_DATA, &w);
}

static DisplayStreamStats stats0(DisplayStreams *ds)
{
    DisplayStreamStats s[4];
    g_assert_cmpuint(display_streams_stats(ds, s, 4), >=, 1);
    return s[0];
}

/* Runs the main context until @h saw @events frames shown or @ms passed. */
static void run_until_shown(Host *h, unsigned events, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (h->shown_events < events && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void fill_surface(Host *h, uint32_t color)
{
    pixman_color_t c = { (uint16_t)(((color >> 16) & 0xff) * 0x101), (uint16_t)(((color >> 8) & 0xff) * 0x101),
                         (uint16_t)((color & 0xff) * 0x101), 0xffff };
    pixman_rectangle16_t r = { 0, 0, SURF_W, SURF_H };
    pixman_image_fill_rectangles(PIXMAN_OP_SRC, h->surface, &c, 1, &r);
}

/* A frame due now is drawn at its dest, unscaled, top-down. */
static void test_show_now(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    fill_surface(&h, 0x000000);
    CreateArgs a = { .id = 3, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 32, .h = 32, .top = 10, .left = 20, .bottom = 42, .right = 52 };
    g_assert_cmpint(create(ds, &a), ==, DISPLAY_RESULT_NONE);
    GBytes *f = frame(32, 32, 0xff0000, 0x0000ff);
    g_assert_cmpint(data(ds, 3, due_soon(&h), f), ==, DISPLAY_RESULT_NONE);
    run_until_shown(&h, 1, 2000);
    g_assert_cmpuint(h.shown_events, ==, 1);
    g_assert_true(near(px(h.surface, 30, 12), 0xff0000, 24));
    g_assert_true(near(px(h.surface, 30, 40), 0x0000ff, 24));
    g_assert_cmphex(px(h.surface, 19, 12), ==, 0);      /* left of dest untouched */
    g_assert_cmphex(px(h.surface, 30, 42), ==, 0);      /* below dest untouched */
    DisplayStreamStats s = stats0(ds);
    g_assert_cmpuint(s.received, ==, 1);
    g_assert_cmpuint(s.decoded, ==, 1);
    g_assert_cmpuint(s.shown, ==, 1);
    g_assert_cmpuint(s.dropped, ==, 0);
    g_assert_true(s.active);
    g_bytes_unref(f);
    teardown(&h, ds);
}

/* Without TOP_DOWN the first row of the frame is the bottom one. */
static void test_bottom_up(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    CreateArgs a = { .id = 0, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG, .w = 32, .h = 32,
                     .top = 0, .left = 0, .bottom = 32, .right = 32 };
    g_assert_cmpint(create(ds, &a), ==, DISPLAY_RESULT_NONE);
    GBytes *f = frame(32, 32, 0xff0000, 0x0000ff);
    data(ds, 0, due_soon(&h), f);
    run_until_shown(&h, 1, 2000);
    g_assert_true(near(px(h.surface, 10, 2), 0x0000ff, 24));
    g_assert_true(near(px(h.surface, 10, 30), 0xff0000, 24));
    g_bytes_unref(f);
    teardown(&h, ds);
}

/* The frame is scaled to the dest rect and drawn only inside the clip. */
static void test_scale_and_clip(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    fill_surface(&h, 0x000000);
    int32_t clip[4] = { 0, 0, SURF_H, 64 };   /* only x < 64 */
    CreateArgs a = { .id = 1, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 16, .h = 16, .top = 0, .left = 0, .bottom = 80, .right = 128, .clip = clip };
    g_assert_cmpint(create(ds, &a), ==, DISPLAY_RESULT_NONE);
    GBytes *f = frame(16, 16, 0x00ff00, 0x00ff00);
    data(ds, 1, due_soon(&h), f);
    run_until_shown(&h, 1, 2000);
    g_assert_true(near(px(h.surface, 0, 0), 0x00ff00, 24));
    g_assert_true(near(px(h.surface, 63, 79), 0x00ff00, 24));
    g_assert_cmphex(px(h.surface, 64, 10), ==, 0);      /* outside the clip */
    g_assert_cmphex(px(h.surface, 10, 80), ==, 0);      /* below the dest */

    /* STREAM_CLIP moves the clip: now only x >= 64 is drawn. */
    fill_surface(&h, 0x000000);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, SPICE_CLIP_TYPE_RECTS);
    wire_write_u32(&w, 1);
    rect(&w, 0, 64, SURF_H, SURF_W);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_CLIP, &w), ==, DISPLAY_RESULT_NONE);
    data(ds, 1, due_soon(&h), f);
    run_until_shown(&h, 2, 2000);
    g_assert_cmphex(px(h.surface, 10, 10), ==, 0);
    g_assert_true(near(px(h.surface, 100, 10), 0x00ff00, 24));
    g_bytes_unref(f);
    teardown(&h, ds);
}

/* Runs until @h saw @events frames shown and the stream's decoded + dropped count reached @seen. */
static void run_until_counted(Host *h, DisplayStreams *ds, unsigned events, uint64_t seen)
{
    gint64 end = g_get_monotonic_time() + 2000 * 1000;
    while (g_get_monotonic_time() < end) {
        DisplayStreamStats s = stats0(ds);
        if (h->shown_events >= events && s.decoded + s.dropped >= seen) {
            break;
        }
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

/* Frames decoded straight into the surface (unscaled, inside it), into the stream's scratch
 * image (scaled, or partly off the surface), and one that fails after its rows were written:
 * the one decompressor of the stream keeps working through all of them. */
static void test_in_place(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    fill_surface(&h, 0x000000);
    CreateArgs a = { .id = 6, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 64, .h = 64, .top = 20, .left = 40, .bottom = 84, .right = 104 };
    g_assert_cmpint(create(ds, &a), ==, DISPLAY_RESULT_NONE);
    GBytes *rb = frame(64, 64, 0xff0000, 0x0000ff);
    data(ds, 6, due_soon(&h), rb);
    run_until_counted(&h, ds, 1, 1);
    g_assert_cmpuint(h.shown_events, ==, 1);
    g_assert_true(near(px(h.surface, 41, 21), 0xff0000, 24));
    g_assert_true(near(px(h.surface, 103, 83), 0x0000ff, 24));
    g_assert_cmphex(px(h.surface, 39, 21), ==, 0);
    g_assert_cmphex(px(h.surface, 104, 83), ==, 0);
    g_assert_cmphex(px(h.surface, 41, 19), ==, 0);
    g_assert_cmphex(px(h.surface, 41, 84), ==, 0);

    /* A frame without its last 2 bytes (EOI) has its first rows written before the decoder runs
     * out of data: it is counted as dropped, yet the surface changed, so the host hears of it. */
    GBytes *green = frame(64, 64, 0x00ff00, 0x00ff00);
    GBytes *cut = g_bytes_new_from_bytes(green, 0, g_bytes_get_size(green) - 2);
    data(ds, 6, due_soon(&h), cut);
    run_until_counted(&h, ds, 2, 2);
    DisplayStreamStats s = stats0(ds);
    g_assert_cmpuint(s.decoded, ==, 1);
    g_assert_cmpuint(s.dropped, ==, 1);
    g_assert_cmpuint(h.shown_events, ==, 2);
    g_assert_true(near(px(h.surface, 41, 21), 0x00ff00, 24));
    g_assert_true(near(px(h.surface, 103, 36), 0x00ff00, 24));

    /* The same decompressor decodes the next good frame. */
    data(ds, 6, due_soon(&h), rb);
    run_until_counted(&h, ds, 3, 3);
    g_assert_cmpuint(stats0(ds).decoded, ==, 2);
    g_assert_true(near(px(h.surface, 41, 21), 0xff0000, 24));
    g_assert_true(near(px(h.surface, 103, 83), 0x0000ff, 24));

    /* A sized frame of another size: scaled through the scratch image, then back in place. */
    GBytes *small = frame(16, 16, 0xffff00, 0xffff00);
    gsize n;
    const uint8_t *d = g_bytes_get_data(small, &n);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 6);
    wire_write_u32(&w, due_soon(&h));
    wire_write_u32(&w, 16);
    wire_write_u32(&w, 16);
    rect(&w, 20, 40, 84, 104);
    wire_write_u32(&w, (uint32_t)n);
    wire_write_bytes(&w, d, n);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DATA_SIZED, &w), ==, DISPLAY_RESULT_NONE);
    run_until_counted(&h, ds, 4, 4);
    g_assert_true(near(px(h.surface, 41, 21), 0xffff00, 24));
    g_assert_true(near(px(h.surface, 103, 83), 0xffff00, 24));
    g_assert_cmphex(px(h.surface, 104, 83), ==, 0);
    data(ds, 6, due_soon(&h), rb);
    run_until_counted(&h, ds, 5, 5);
    g_assert_cmpuint(stats0(ds).decoded, ==, 4);
    g_assert_true(near(px(h.surface, 41, 21), 0xff0000, 24));

    /* A stream whose dest runs off the surface: drawn through the scratch image, clipped. */
    CreateArgs off = { .id = 7, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                       .w = 64, .h = 64, .top = 64, .left = 96, .bottom = 128, .right = 160 };
    g_assert_cmpint(create(ds, &off), ==, DISPLAY_RESULT_NONE);
    data(ds, 7, due_soon(&h), green);
    run_until_shown(&h, 6, 2000);
    g_assert_cmpuint(h.shown_events, ==, 6);
    g_assert_true(near(px(h.surface, 127, 95), 0x00ff00, 24));
    g_assert_true(near(px(h.surface, 96, 64), 0x00ff00, 24));
    g_bytes_unref(rb);
    g_bytes_unref(green);
    g_bytes_unref(cut);
    g_bytes_unref(small);
    teardown(&h, ds);
}

/* Late frames are dropped; early ones wait for their time on the multimedia clock. */
static void test_timing(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    CreateArgs a = { .id = 2, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 16, .h = 16, .top = 0, .left = 0, .bottom = 16, .right = 16 };
    create(ds, &a);
    GBytes *f = frame(16, 16, 0xffffff, 0xffffff);
    data(ds, 2, host_mm_time(&h) - 50, f);              /* 50 ms late */
    run_until_shown(&h, 1, 100);
    g_assert_cmpuint(h.shown_events, ==, 0);
    DisplayStreamStats s = stats0(ds);
    g_assert_cmpuint(s.dropped, ==, 1);
    g_assert_cmpuint(s.decoded, ==, 0);

    gint64 start = g_get_monotonic_time();
    data(ds, 2, host_mm_time(&h) + 200, f);             /* due in 200 ms */
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(h.shown_events, ==, 0);
    run_until_shown(&h, 1, 2000);
    g_assert_cmpuint(h.shown_events, ==, 1);
    g_assert_cmpint(g_get_monotonic_time() - start, >=, 180 * 1000);

    /* The clock jumps forward (MULTI_MEDIA_TIME): a waiting frame is now late and dropped. */
    data(ds, 2, host_mm_time(&h) + 500, f);
    h.clock_shift_ms += 1000;
    display_streams_reschedule(ds);
    run_until_shown(&h, 2, 700);
    g_assert_cmpuint(h.shown_events, ==, 1);
    s = stats0(ds);
    g_assert_cmpuint(s.shown, ==, 1);
    g_assert_cmpuint(s.dropped, ==, 2);
    g_bytes_unref(f);
    teardown(&h, ds);
}

/* STREAM_DATA_SIZED: the frame carries its size and its own dest. */
static void test_sized(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    fill_surface(&h, 0);
    CreateArgs a = { .id = 4, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 64, .h = 64, .top = 0, .left = 0, .bottom = 64, .right = 64 };
    create(ds, &a);
    GBytes *f = frame(16, 16, 0xffff00, 0xffff00);
    gsize n;
    const uint8_t *d = g_bytes_get_data(f, &n);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 4);
    wire_write_u32(&w, due_soon(&h));
    wire_write_u32(&w, 16);
    wire_write_u32(&w, 16);
    rect(&w, 70, 100, 86, 116);
    wire_write_u32(&w, (uint32_t)n);
    wire_write_bytes(&w, d, n);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DATA_SIZED, &w), ==, DISPLAY_RESULT_NONE);
    run_until_shown(&h, 1, 2000);
    g_assert_true(near(px(h.surface, 108, 78), 0xffff00, 24));
    g_assert_cmphex(px(h.surface, 10, 10), ==, 0);
    g_bytes_unref(f);
    teardown(&h, ds);
}

/* A hostile server: every bad message is dropped, nothing crashes, the stream keeps working. */
static void test_hostile(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    GBytes *f = frame(16, 16, 0x808080, 0x808080);
    GBytes *big = frame(64, 64, 0x808080, 0x808080);

    /* Unknown stream id: dropped, the server is told (num_drops = UINT32_MAX). */
    g_assert_cmpint(data(ds, 7, host_mm_time(&h), f), ==, DISPLAY_RESULT_DROPPED);
    g_assert_cmpint(data(ds, 1000000, host_mm_time(&h), f), ==, DISPLAY_RESULT_DROPPED);
    g_assert_cmpuint(h.reports->len, ==, 2);
    WireReader r;
    gsize n;
    const uint8_t *rep = g_bytes_get_data(g_ptr_array_index(h.reports, 0), &n);
    g_assert_cmpuint(n, ==, 32);
    wire_reader_init(&r, rep, n);
    g_assert_cmpuint(wire_read_u32(&r), ==, 7);
    wire_reader_skip(&r, 16);
    g_assert_cmphex(wire_read_u32(&r), ==, UINT32_MAX);

    /* Refused creations: bad codec, id over the cap, unknown surface, empty dest, no size. */
    CreateArgs ok = { .id = 5, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                      .w = 16, .h = 16, .top = 0, .left = 0, .bottom = 16, .right = 16 };
    CreateArgs bad = ok;
    bad.codec = SPICE_VIDEO_CODEC_TYPE_VP8;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    bad = ok;
    bad.id = DISPLAY_MAX_STREAMS;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    bad = ok;
    bad.surface = 9;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    bad = ok;
    bad.right = bad.left;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    bad = ok;
    bad.w = 0;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    bad = ok;
    bad.w = bad.h = 100000;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    /* Bad rects: a dest with left > right, a clip rect upside down: malformed. */
    bad = ok;
    bad.left = 20;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    int32_t upside_down[4] = { 10, 0, 5, 10 };
    bad = ok;
    bad.clip = upside_down;
    g_assert_cmpint(create(ds, &bad), ==, DISPLAY_RESULT_DROPPED);
    g_assert_cmpuint(display_streams_stats(ds, NULL, 0), ==, 0);
    g_assert_cmpint(data(ds, 5, host_mm_time(&h), f), ==, DISPLAY_RESULT_DROPPED);

    /* Every truncation of a good STREAM_CREATE and STREAM_DATA is refused cleanly. */
    WireWriter w;
    wire_writer_init(&w);
    write_create(&w, &ok);
    for (size_t cut = 0; cut < wire_writer_size(&w); cut++) {
        g_assert_cmpint(display_streams_handle(ds, SPICE_MSG_DISPLAY_STREAM_CREATE, wire_writer_data(&w), cut),
                        ==, DISPLAY_RESULT_DROPPED);
    }
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_CREATE, &w), ==, DISPLAY_RESULT_NONE);
    wire_writer_init(&w);
    write_data(&w, 5, host_mm_time(&h), f);
    for (size_t cut = 0; cut < wire_writer_size(&w); cut++) {
        g_assert_cmpint(display_streams_handle(ds, SPICE_MSG_DISPLAY_STREAM_DATA, wire_writer_data(&w), cut),
                        ==, DISPLAY_RESULT_DROPPED);
    }
    wire_writer_finish(&w);
    for (uint16_t type = SPICE_MSG_DISPLAY_STREAM_CREATE; type <= SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL; type++) {
        if (type != SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL) {
            g_assert_cmpint(display_streams_handle(ds, type, NULL, 0), ==, DISPLAY_RESULT_DROPPED);
        }
    }
    /* data_size claims more than the body holds. */
    wire_writer_init(&w);
    wire_write_u32(&w, 5);
    wire_write_u32(&w, host_mm_time(&h));
    wire_write_u32(&w, 0xffffffffu);
    wire_write_zeros(&w, 16);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DATA, &w), ==, DISPLAY_RESULT_DROPPED);
    /* An empty frame, and a sized frame for an empty rect or with no size. */
    GBytes *empty = g_bytes_new(NULL, 0);
    g_assert_cmpint(data(ds, 5, host_mm_time(&h), empty), ==, DISPLAY_RESULT_DROPPED);
    g_bytes_unref(empty);
    wire_writer_init(&w);
    wire_write_u32(&w, 5);
    wire_write_u32(&w, host_mm_time(&h));
    wire_write_u32(&w, 0);
    wire_write_u32(&w, 16);
    rect(&w, 0, 0, 16, 16);
    wire_write_u32(&w, 4);
    wire_write_u32(&w, 0);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DATA_SIZED, &w), ==, DISPLAY_RESULT_DROPPED);

    /* An oversized frame (64x64 for a 16x16 stream) and garbage bytes: decoded never, dropped. */
    data(ds, 5, due_soon(&h), big);
    GBytes *junk = g_bytes_new("\xff\xd8\xff\xe0garbage", 11);
    data(ds, 5, due_soon(&h), junk);
    g_bytes_unref(junk);
    run_until_shown(&h, 1, 300);
    g_assert_cmpuint(h.shown_events, ==, 0);
    DisplayStreamStats s = stats0(ds);
    g_assert_cmpuint(s.decoded, ==, 0);
    g_assert_cmpuint(s.dropped, >=, 4);

    /* A frame stamped an hour ahead (hostile clock) is shown after the cap, not never. */
    data(ds, 5, host_mm_time(&h) + 3600u * 1000u, f);
    g_assert_cmpuint(h.shown_events, ==, 0);

    /* The stream still works for good frames after all that. */
    display_streams_clear(ds);
    g_assert_cmpint(create(ds, &ok), ==, DISPLAY_RESULT_NONE);
    data(ds, 5, due_soon(&h), f);
    run_until_shown(&h, 1, 2000);
    g_assert_cmpuint(h.shown_events, ==, 1);

    /* Its surface goes away while a frame waits: the frame is dropped with the stream. */
    data(ds, 5, host_mm_time(&h) + 100, f);
    display_streams_surface_gone(ds, SURFACE_ID);
    run_until_shown(&h, 2, 300);
    g_assert_cmpuint(h.shown_events, ==, 1);
    g_assert_cmpint(data(ds, 5, host_mm_time(&h), f), ==, DISPLAY_RESULT_DROPPED);

    /* DESTROY of unknown ids and DESTROY_ALL on nothing are harmless. */
    guint reports = h.reports->len;
    wire_writer_init(&w);
    wire_write_u32(&w, 63);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DESTROY, &w), ==, DISPLAY_RESULT_DROPPED);
    g_assert_cmpuint(h.reports->len, ==, reports);   /* ending a stream we lack needs no report */
    g_assert_cmpint(display_streams_handle(ds, SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL, NULL, 0), ==,
                    DISPLAY_RESULT_NONE);
    g_bytes_unref(f);
    g_bytes_unref(big);
    teardown(&h, ds);
}

/* STREAM_ACTIVATE_REPORT: a report after max_window frames, with the counts. */
static void test_reports(void)
{
    Host h;
    DisplayStreams *ds = setup(&h);
    CreateArgs a = { .id = 6, .flags = SPICE_STREAM_FLAGS_TOP_DOWN, .codec = SPICE_VIDEO_CODEC_TYPE_MJPEG,
                     .w = 16, .h = 16, .top = 0, .left = 0, .bottom = 16, .right = 16 };
    create(ds, &a);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 6);
    wire_write_u32(&w, 77);      /* unique id */
    wire_write_u32(&w, 3);       /* window: 3 frames */
    wire_write_u32(&w, 100000);  /* timeout ms */
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, &w), ==, DISPLAY_RESULT_NONE);
    GBytes *f = frame(16, 16, 0x102030, 0x102030);
    uint32_t now = host_mm_time(&h);
    data(ds, 6, now + 100, f);
    data(ds, 6, now - 100, f);   /* late: one drop */
    g_assert_cmpuint(h.reports->len, ==, 0);
    data(ds, 6, now + 140, f);
    g_assert_cmpuint(h.reports->len, ==, 1);
    gsize n;
    const uint8_t *rep = g_bytes_get_data(g_ptr_array_index(h.reports, 0), &n);
    WireReader r;
    wire_reader_init(&r, rep, n);
    g_assert_cmpuint(wire_read_u32(&r), ==, 6);
    g_assert_cmpuint(wire_read_u32(&r), ==, 77);
    g_assert_cmpuint(wire_read_u32(&r), ==, now + 100);
    g_assert_cmpuint(wire_read_u32(&r), ==, now + 140);
    g_assert_cmpuint(wire_read_u32(&r), ==, 3);
    g_assert_cmpuint(wire_read_u32(&r), ==, 1);
    g_assert_cmpint((int32_t)wire_read_u32(&r), >, 0);
    g_assert_true(wire_reader_ok(&r));
    run_until_shown(&h, 2, 2000);
    g_assert_cmpuint(h.shown_events, ==, 2);
    /* STREAM_DESTROY ends it; the stats stay. */
    wire_writer_init(&w);
    wire_write_u32(&w, 6);
    g_assert_cmpint(send(ds, SPICE_MSG_DISPLAY_STREAM_DESTROY, &w), ==, DISPLAY_RESULT_NONE);
    DisplayStreamStats s = stats0(ds);
    g_assert_false(s.active);
    g_assert_cmpuint(s.shown, ==, 2);
    g_assert_cmpuint(s.received, ==, 3);
    g_bytes_unref(f);
    teardown(&h, ds);
}

static void count_wait(uint8_t type, uint8_t id, uint64_t serial, void *user)
{
    uint64_t *sum = user;
    *sum += (uint64_t)type * 1000 + id * 100 + serial;
}

static void test_parse_wait(void)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, 2);
    wire_write_u8(&w, SPICE_CHANNEL_DISPLAY);
    wire_write_u8(&w, 1);
    wire_write_u64(&w, 5);
    wire_write_u8(&w, SPICE_CHANNEL_CURSOR);
    wire_write_u8(&w, 0);
    wire_write_u64(&w, 7);
    uint64_t sum = 0;
    g_assert_true(display_parse_wait_for_channels(wire_writer_data(&w), wire_writer_size(&w), count_wait, &sum));
    g_assert_cmpuint(sum, ==, 2000 + 100 + 5 + 4000 + 7);
    for (size_t cut = 0; cut < wire_writer_size(&w); cut++) {
        sum = 0;
        g_assert_false(display_parse_wait_for_channels(wire_writer_data(&w), cut, count_wait, &sum));
    }
    wire_writer_finish(&w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Hostile cases log warnings on purpose. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_log_set_fatal_mask(NULL, G_LOG_FATAL_MASK);
    g_test_add_func("/client-stream/show-now", test_show_now);
    g_test_add_func("/client-stream/bottom-up", test_bottom_up);
    g_test_add_func("/client-stream/scale-and-clip", test_scale_and_clip);
    g_test_add_func("/client-stream/timing", test_timing);
    g_test_add_func("/client-stream/sized", test_sized);
    g_test_add_func("/client-stream/hostile", test_hostile);
    g_test_add_func("/client-stream/reports", test_reports);
    g_test_add_func("/client-stream/parse-wait", test_parse_wait);
    g_test_add_func("/client-stream/in-place", test_in_place);
    return g_test_run();
}
