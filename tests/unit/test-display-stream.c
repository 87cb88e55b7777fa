/* test-display-stream: the server's video stream detection rules and the stream messages' bytes. */
#include <glib.h>
#include <spice/enums.h>
#include <string.h>

#include "codecs/mjpeg.h"
#include "server/display-stream.h"
#include "server/stream-rate.h"

static const pixman_box32_t BOX = { 10, 20, 330, 260 };   /* 320x240 at (10,20) */

/* Feeds @n candidate frames of BOX, @gap_ms apart from @t; returns the last result. */
static StreamCopyResult feed(StreamDetector *d, unsigned n, uint64_t *t, uint64_t gap_ms)
{
    StreamCopyResult r = { 0 };
    for (unsigned i = 0; i < n; i++) {
        r = stream_detector_copy(d, &BOX, 320, 240, true, *t);
        *t += gap_ms;
    }
    return r;
}

static void test_starts_after_enough_frames(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 1000;
    StreamCopyResult r = feed(d, DISPLAY_STREAM_START_FRAMES - 1, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    r = feed(d, 1, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NEW);
    uint32_t id = r.stream_id;
    g_assert_cmpuint(stream_detector_active(d), ==, 1u << id);
    StreamInfo info;
    g_assert_true(stream_detector_info(d, id, &info));
    g_assert_cmpint(info.dest.x1, ==, 10);
    g_assert_cmpint(info.dest.y2, ==, 260);
    g_assert_cmpuint(info.src_width, ==, 320);
    r = feed(d, 1, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_FRAME);
    g_assert_cmpuint(r.stream_id, ==, id);
    g_assert_cmpuint(r.ended, ==, 0);
    stream_detector_free(d);
}

static void test_slow_frames_never_stream(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    StreamCopyResult r = feed(d, 3 * DISPLAY_STREAM_START_FRAMES, &t, DISPLAY_STREAM_MAX_GAP_MS);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    g_assert_cmpuint(stream_detector_active(d), ==, 0);
    stream_detector_free(d);
}

static void test_small_or_non_candidates_never_stream(void)
{
    StreamDetector *d = stream_detector_new();
    pixman_box32_t small = { 0, 0, 95, 96 };   /* one row short of 96x96 */
    StreamCopyResult r = { 0 };
    for (unsigned i = 0; i < 3 * DISPLAY_STREAM_START_FRAMES; i++) {
        r = stream_detector_copy(d, &small, 95, 96, true, i * 10);
        g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
        r = stream_detector_copy(d, &BOX, 320, 240, false, i * 10);
        g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    }
    g_assert_cmpuint(stream_detector_active(d), ==, 0);
    stream_detector_free(d);
}

static void test_other_source_size_restarts(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    feed(d, DISPLAY_STREAM_START_FRAMES - 1, &t, 40);
    /* Same box, a scaled source: a different candidate, which replaces the first. */
    StreamCopyResult r = stream_detector_copy(d, &BOX, 160, 120, true, t);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    t += 40;
    r = feed(d, 1, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    stream_detector_free(d);
}

static void test_draw_over_ends_stream(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    StreamCopyResult r = feed(d, DISPLAY_STREAM_START_FRAMES, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NEW);
    uint32_t id = r.stream_id;

    pixman_region32_t far;
    pixman_region32_init_rect(&far, 400, 400, 10, 10);
    g_assert_cmpuint(stream_detector_draw_over(d, &far), ==, 0);
    pixman_region32_fini(&far);

    pixman_region32_t corner;
    pixman_region32_init_rect(&corner, 320, 250, 20, 20);   /* overlaps BOX's bottom-right */
    g_assert_cmpuint(stream_detector_draw_over(d, &corner), ==, 1u << id);
    pixman_region32_fini(&corner);
    g_assert_cmpuint(stream_detector_active(d), ==, 0);
    g_assert_false(stream_detector_info(d, id, &(StreamInfo){ 0 }));

    /* The next frame is an ordinary draw again: detection starts over. */
    r = feed(d, 1, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    stream_detector_free(d);
}

static void test_overlapping_copy_ends_stream(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    StreamCopyResult r = feed(d, DISPLAY_STREAM_START_FRAMES, &t, 40);
    uint32_t id = r.stream_id;
    pixman_box32_t inside = { 50, 50, 60, 60 };
    r = stream_detector_copy(d, &inside, 10, 10, true, t);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NONE);
    g_assert_cmpuint(r.ended, ==, 1u << id);
    g_assert_cmpuint(stream_detector_active(d), ==, 0);
    stream_detector_free(d);
}

static void test_timeout_and_end_all(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    StreamCopyResult r = feed(d, DISPLAY_STREAM_START_FRAMES, &t, 40);
    uint64_t last = t - 40;
    g_assert_cmpuint(stream_detector_expire(d, last + DISPLAY_STREAM_TIMEOUT_MS - 1), ==, 0);
    g_assert_cmpuint(stream_detector_expire(d, last + DISPLAY_STREAM_TIMEOUT_MS), ==,
                     1u << r.stream_id);
    g_assert_cmpuint(stream_detector_active(d), ==, 0);

    r = feed(d, DISPLAY_STREAM_START_FRAMES, &t, 40);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NEW);
    g_assert_cmpuint(stream_detector_end_all(d), ==, 1u << r.stream_id);
    g_assert_cmpuint(stream_detector_active(d), ==, 0);
    stream_detector_free(d);
}

static void test_at_most_max_streams(void)
{
    StreamDetector *d = stream_detector_new();
    uint32_t live = 0;
    unsigned boxes = DISPLAY_STREAM_MAX + 2;
    for (unsigned f = 0; f < DISPLAY_STREAM_START_FRAMES + 2; f++) {
        for (unsigned b = 0; b < boxes; b++) {
            pixman_box32_t box = { (int32_t)b * 100, 0, (int32_t)b * 100 + 100, 100 };
            StreamCopyResult r = stream_detector_copy(d, &box, 100, 100, true, f * 40 + b);
            g_assert_cmpuint(r.ended, ==, 0);
            if (r.verdict == STREAM_VERDICT_NEW) {
                g_assert_cmpuint(r.stream_id, <, DISPLAY_STREAM_MAX);
                g_assert_false(live & (1u << r.stream_id));
                live |= 1u << r.stream_id;
            }
        }
    }
    g_assert_cmpuint(live, ==, (1u << DISPLAY_STREAM_MAX) - 1);
    g_assert_cmpuint(stream_detector_active(d), ==, live);
    stream_detector_free(d);
}

static void test_frame_rate_cap(void)
{
    StreamDetector *d = stream_detector_new();
    uint64_t t = 0;
    StreamCopyResult r = feed(d, DISPLAY_STREAM_START_FRAMES, &t, 10);
    g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_NEW);
    g_assert_true(r.send);
    /* 100 frames 10 ms apart (100 fps) over 1 s: about 30 of them are sent. */
    unsigned sent = 0;
    for (unsigned i = 0; i < 100; i++) {
        r = feed(d, 1, &t, 10);
        g_assert_cmpint(r.verdict, ==, STREAM_VERDICT_FRAME);
        sent += r.send;
    }
    g_assert_cmpuint(sent, >=, 20);
    g_assert_cmpuint(sent, <=, 31);
    /* At 25 fps every frame goes (the first one is still 10 ms after the last). */
    feed(d, 1, &t, 40);
    for (unsigned i = 0; i < 10; i++) {
        r = feed(d, 1, &t, 40);
        g_assert_true(r.send);
    }
    /* Slowed down to a frame every 100 ms (a struggling client): 1 in 3 of the same frames. */
    stream_detector_set_frame_ms(d, r.stream_id, 100);
    sent = 0;
    for (unsigned i = 0; i < 30; i++) {
        sent += feed(d, 1, &t, 40).send;
    }
    g_assert_cmpuint(sent, >=, 9);
    g_assert_cmpuint(sent, <=, 12);
    stream_detector_free(d);
}

/* Reports with drops or late frames step quality and frame rate down to their floors; clean
 * reports climb back, frame rate first. */
static void test_rate_from_reports(void)
{
    StreamRate rate;
    stream_rate_init(&rate);
    g_assert_cmpint(rate.quality, ==, STREAM_RATE_MAX_QUALITY);
    g_assert_cmpuint(rate.frame_ms, ==, STREAM_RATE_MIN_FRAME_MS);
    /* One drop in 20 frames, on time: clean (under a tenth). Nothing changes yet. */
    g_assert_false(stream_rate_report(&rate, 20, 1, 50));
    /* Half dropped: down. */
    g_assert_true(stream_rate_report(&rate, 10, 5, 50));
    g_assert_cmpint(rate.quality, ==, STREAM_RATE_MAX_QUALITY - 10);
    g_assert_cmpuint(rate.frame_ms, >, STREAM_RATE_MIN_FRAME_MS);
    /* Late frames without drops count as struggling too. */
    g_assert_true(stream_rate_report(&rate, 5, 0, -30));
    g_assert_cmpint(rate.quality, ==, STREAM_RATE_MAX_QUALITY - 20);
    for (int i = 0; i < 20; i++) {
        stream_rate_report(&rate, 5, 5, -100);
    }
    g_assert_cmpint(rate.quality, ==, STREAM_RATE_MIN_QUALITY);
    g_assert_cmpuint(rate.frame_ms, ==, STREAM_RATE_MAX_FRAME_MS);
    g_assert_false(stream_rate_report(&rate, 5, 5, -100));   /* at the floor */
    /* Clean reports: every third one steps up; frame rate recovers before quality. */
    unsigned steps = 0;
    while (rate.frame_ms > STREAM_RATE_MIN_FRAME_MS) {
        g_assert_false(stream_rate_report(&rate, 5, 0, 40));
        g_assert_false(stream_rate_report(&rate, 5, 0, 40));
        g_assert_true(stream_rate_report(&rate, 5, 0, 40));
        g_assert_cmpint(rate.quality, ==, STREAM_RATE_MIN_QUALITY);
        g_assert_cmpuint(++steps, <, 20);
    }
    while (rate.quality < STREAM_RATE_MAX_QUALITY) {
        stream_rate_report(&rate, 5, 0, 40);
        g_assert_cmpuint(++steps, <, 200);
    }
    g_assert_cmpuint(rate.frame_ms, ==, STREAM_RATE_MIN_FRAME_MS);
    /* A report of no frames at all (an idle window) is not a struggle. */
    g_assert_false(stream_rate_report(&rate, 0, 0, 0));
    g_assert_cmpint(rate.quality, ==, STREAM_RATE_MAX_QUALITY);
}

static void test_messages(void)
{
    StreamInfo info = { .dest = BOX, .src_width = 320, .src_height = 240 };
    WireWriter w;
    wire_writer_init(&w);
    display_stream_write_create(&w, 3, &info, 0x1122334455667788ull);
    g_assert_cmpuint(wire_writer_size(&w), ==, 4 + 4 + 1 + 1 + 8 + 16 + 16 + 1);
    const uint8_t *b = wire_writer_data(&w);
    g_assert_cmpuint(b[4], ==, 3);
    g_assert_cmpuint(b[8], ==, SPICE_STREAM_FLAGS_TOP_DOWN);
    g_assert_cmpuint(b[9], ==, SPICE_VIDEO_CODEC_TYPE_MJPEG);
    g_assert_cmpuint(b[10], ==, 0x88);
    g_assert_cmpuint(b[18] | b[19] << 8, ==, 320);       /* stream_width */
    g_assert_cmpuint(b[34], ==, 20);                     /* dest.top */
    g_assert_cmpuint(b[38], ==, 10);                     /* dest.left */
    g_assert_cmpuint(b[42] | b[43] << 8, ==, 260);       /* dest.bottom */
    g_assert_cmpuint(b[50], ==, SPICE_CLIP_TYPE_NONE);
    wire_writer_reset(&w);
    const uint8_t frame[3] = { 0xff, 0xd8, 0xff };
    display_stream_write_data(&w, 3, 0xabcdef, frame, sizeof(frame));
    g_assert_cmpuint(wire_writer_size(&w), ==, 12 + 3);
    b = wire_writer_data(&w);
    g_assert_cmpuint(b[4], ==, 0xef);
    g_assert_cmpuint(b[8], ==, 3);
    g_assert_cmpmem(b + 12, 3, frame, 3);
    wire_writer_reset(&w);
    display_stream_write_activate_report(&w, 3, 0x01020304, 5, 1000);
    static const uint8_t report[16] = { 3, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0, 0xe8, 3, 0, 0 };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), report, sizeof(report));
    wire_writer_finish(&w);
}

static void test_encode_frame(void)
{
    uint32_t w = 96, h = 64;
    guint8 *pixels = g_malloc(w * h * 4);
    for (uint32_t i = 0; i < w * h; i++) {
        pixels[i * 4] = (guint8)(i % w * 2);
        pixels[i * 4 + 1] = (guint8)(i / w * 3);
        pixels[i * 4 + 2] = 200;
        pixels[i * 4 + 3] = 0;
    }
    Pixbuf view;
    g_assert_cmpint(pixbuf_init_view(&view, PIXBUF_FORMAT_XRGB32, w, h, w * 4, pixels, w * h * 4),
                    ==, CODEC_OK);
    uint8_t *jpeg = NULL;
    size_t size = 0;
    g_assert_true(display_stream_encode_frame(&view, DISPLAY_STREAM_MJPEG_QUALITY, &jpeg, &size));
    g_assert_cmpuint(size, >, 100);
    g_assert_cmpuint(jpeg[0], ==, 0xff);
    g_assert_cmpuint(jpeg[1], ==, 0xd8);
    Pixbuf decoded = { 0 };
    g_assert_cmpint(mjpeg_decode_frame_new(jpeg, size, 1u << 20, &decoded), ==, CODEC_OK);
    g_assert_cmpuint(decoded.width, ==, w);
    g_assert_cmpuint(decoded.height, ==, h);
    /* Red is flat 200 and the rest smooth: the decoded frame keeps it closely. */
    g_assert_cmpint(ABS((int)decoded.data[(h / 2) * decoded.stride + (w / 2) * 4 + 2] - 200), <=, 8);
    pixbuf_free(&decoded);
    /* A struggling stream's lower quality makes smaller frames. */
    uint8_t *low = NULL;
    size_t low_size = 0;
    g_assert_true(display_stream_encode_frame(&view, STREAM_RATE_MIN_QUALITY, &low, &low_size));
    g_assert_cmpuint(low_size, <, size);
    g_free(low);
    g_free(jpeg);
    g_free(pixels);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display-stream/starts-after-enough-frames", test_starts_after_enough_frames);
    g_test_add_func("/display-stream/slow-frames-never-stream", test_slow_frames_never_stream);
    g_test_add_func("/display-stream/small-or-non-candidates", test_small_or_non_candidates_never_stream);
    g_test_add_func("/display-stream/other-source-size-restarts", test_other_source_size_restarts);
    g_test_add_func("/display-stream/draw-over-ends-stream", test_draw_over_ends_stream);
    g_test_add_func("/display-stream/overlapping-copy-ends-stream", test_overlapping_copy_ends_stream);
    g_test_add_func("/display-stream/timeout-and-end-all", test_timeout_and_end_all);
    g_test_add_func("/display-stream/at-most-max-streams", test_at_most_max_streams);
    g_test_add_func("/display-stream/frame-rate-cap", test_frame_rate_cap);
    g_test_add_func("/display-stream/rate-from-reports", test_rate_from_reports);
    g_test_add_func("/display-stream/messages", test_messages);
    g_test_add_func("/display-stream/encode-frame", test_encode_frame);
    return g_test_run();
}
