/* display-channel: display clients, their start-up sequence, forwarded draws and dirty-region catch-up. */
#include "display-channel.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include <sys/socket.h>

#include "channel-connection.h"
#include "display-lossy.h"
#include "display-stream.h"
#include "stream-rate.h"
#include "pixmap-cache.h"

/* A dirty region with more rects than this is replaced by its bounding box (bounded work). */
#define DIRTY_MAX_RECTS 32
/* Client messages are tiny; anything larger is not a display message. */
#define DISPLAY_MAX_CLIENT_MESSAGE 4096
#define DISPLAY_ACK_WINDOW 20
#define DISPLAY_INIT_SIZE 14u        /* u8 + i64 + u8 + i32 */
#define DISPLAY_STREAM_REPORT_SIZE 32u

typedef struct DisplayClient {
    DisplayChannel *display;
    ChannelConnection *conn;     /* owned by itself; NULL once it closed */
    bool initialized;            /* DISPLAY_INIT arrived and the start-up was sent */
    bool surface_sent;           /* the current primary was created on the client (MARK sent) */
    bool monitors_pending;       /* a MONITORS_CONFIG is owed once the client drains */
    pixman_region32_t dirty;     /* primary area the client has not been sent yet */
    pixman_region32_t lossy;     /* primary area it shows approximately (server/display-lossy.h) */
    /*
     * A reference, taken at DISPLAY_INIT (NULL before): the client's pixmap cache mirror and GLZ
     * dictionary, shared with the client's other display channels (server/pixmap-cache.h says
     * how and how it stays in the client's order). Every image built with it must be sent to
     * this client: forward_draw builds image draws per client for that reason.
     */
    PixmapCache *cache;
    /* The cached id the draw being built names (0: none), see send_invalidations. */
    uint64_t cache_id_in_use;
    /* srvcomp: the client's PREFERRED_COMPRESSION (image_encoder_policy_valid), 0: none yet,
     * the server's policy applies. Overrides the server's policy for this client, as upstream. */
    uint8_t preferred_compression;
    /* srvstream: bit i set: the client got STREAM_CREATE for live stream i (its frames go to
     * it as STREAM_DATA instead of DRAW_COPY). */
    uint32_t streams;
} DisplayClient;

struct DisplayChannel {
    EventLoop *loop;
    uint8_t id;
    GPtrArray *clients;          /* of DisplayClient*, owned */
    Surface *primary;            /* borrowed from the worker */
    DisplayHead *guest_heads;    /* owned; NULL = one head covering the primary */
    uint16_t num_guest_heads;
    uint16_t guest_max_allowed;
    uint64_t next_image_id;
    SpiceServer *reds;           /* borrowed; NULL: no compression policy, images go as BITMAP */
    int busy;                    /* > 0 while iterating clients: closed ones are reaped later */
    DisplayClientsChangedFunc clients_changed;
    void *clients_changed_opaque;
    /* srvstream: video stream detection (server/display-stream.h), owned. */
    StreamDetector *streams;
    StreamInfo stream_info[DISPLAY_STREAM_MAX];  /* geometry of each stream id when created */
    StreamRate stream_rate[DISPLAY_STREAM_MAX];  /* each stream's quality and frame rate */
    uint32_t stream_unique[DISPLAY_STREAM_MAX];  /* each stream's unique_id (STREAM_REPORT) */
    uint32_t next_stream_unique;
    EventLoopTimer *stream_timer;                /* owned; ends streams without frames */
    int frame_stream;            /* >= 0 while forwarding a frame of that stream: its clients skip */
    bool streams_checked;        /* the draw being forwarded already went through the detector */
};

static void client_free(DisplayClient *client)
{
    pixman_region32_fini(&client->dirty);
    pixman_region32_fini(&client->lossy);
    pixmap_cache_detach(client->cache, client->display->id);
    g_free(client);
}

static void reap_closed_clients(DisplayChannel *display)
{
    if (display->busy > 0) {
        return;
    }
    for (guint i = display->clients->len; i-- > 0;) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (!client->conn) {
            g_ptr_array_remove_index(display->clients, i);
            client_free(client);
        }
    }
}

/* Started on the current primary, so draws mean something to it. */
static bool client_has_surface(const DisplayClient *client)
{
    return client->conn && client->initialized && client->surface_sent &&
           client->display->primary != NULL;
}

static void add_dirty(DisplayClient *client, const pixman_region32_t *changed)
{
    pixman_region32_union(&client->dirty, &client->dirty, (pixman_region32_t *)changed);
    if (pixman_region32_n_rects(&client->dirty) > DIRTY_MAX_RECTS) {
        pixman_box32_t extents = *pixman_region32_extents(&client->dirty);
        pixman_region32_fini(&client->dirty);
        pixman_region32_init_rects(&client->dirty, &extents, 1);
    }
}

/* ---- canvas content as DRAW_COPY bands ---- */

static uint32_t band_rows(uint32_t width, uint32_t max_bytes)
{
    uint32_t row_bytes = width * 4;
    uint32_t rows = max_bytes / (row_bytes ? row_bytes : 1);
    return rows ? rows : 1;
}

/* The image compression policy now (spice_server_set_image_compression may change it any time). */
static SpiceImageCompression image_compression(const DisplayChannel *display)
{
    return display->reds ? reds_get_image_compression(display->reds) : SPICE_IMAGE_COMPRESSION_OFF;
}

/* srvcomp: the largest image (raw bytes) a draw carries itself rather than as canvas bands.
 * Compressed, a full-screen image goes whole, as upstream sends it: bands would each restart
 * the coder (more bytes, and several GLZ images instead of one). */
static uint64_t max_image_message(const DisplayBitmap *encoded)
{
    return encoded->compression == SPICE_IMAGE_COMPRESSION_OFF ||
           encoded->compression == SPICE_IMAGE_COMPRESSION_INVALID ?
           DISPLAY_CHANNEL_MAX_PIXEL_MESSAGE : DISPLAY_CHANNEL_MAX_START_MESSAGE;
}

/* srvcomp: how images for @client are coded: its preferred compression (else the server's),
 * what it decodes beyond the basics, and whether this draw may be lossy (JPEG). */
static void bitmap_encoding_for_client(const DisplayClient *client, DisplayBitmap *bitmap,
                                       bool lossy_ok)
{
    SpiceServer *reds = client->display->reds;
    bitmap->compression = client->preferred_compression && reds ?
                          (SpiceImageCompression)client->preferred_compression :
                          image_compression(client->display);
    bitmap->lossy_ok = lossy_ok;
    bitmap->peer = (ImageEncoderPeer){ 0 };
    if (reds == NULL || client->conn == NULL) {
        return;
    }
    const LinkedPeer *peer = channel_connection_get_peer(client->conn);
    bool slow = reds_is_link_slow(reds);
    /* Upstream keeps LZ4 off unix sockets (local clients gain nothing from it). */
    bool is_unix = peer->event_info && peer->event_info->laddr_ext.ss_family == AF_UNIX;
    bitmap->peer.lz4 = !is_unix &&
                       linked_peer_has_channel_cap(peer, SPICE_DISPLAY_CAP_LZ4_COMPRESSION);
    bitmap->peer.jpeg = image_encoder_wan_enabled(reds_get_jpeg_state(reds), slow);
    bitmap->peer.zlib_glz = image_encoder_wan_enabled(reds_get_zlib_glz_state(reds), slow);
}

static void send_inval_list(DisplayClient *client, const uint64_t *ids, size_t n)
{
    WireWriter writer;
    wire_writer_init(&writer);
    display_msg_write_inval_list(&writer, ids, (uint16_t)n);
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_INVAL_LIST, &writer);
    wire_writer_finish(&writer);
}

/*
 * Sends the ids the client must drop from its pixmap cache (evicted entries) as INVAL_LIST, so
 * they go before the message whose image reuses their space. @in_use (0: none) is the id the
 * message about to go out names: if another display channel evicted it meanwhile, its
 * invalidation must follow the message, so it is held back and true returned (the caller sends
 * it after the message).
 */
static bool send_invalidations(DisplayClient *client, uint64_t in_use)
{
    uint64_t ids[PIXMAP_CACHE_MAX_INVAL_LIST];
    size_t n;
    bool held = false;
    while (client->conn &&
           (n = pixmap_cache_take_invalidations(client->cache, client->display->id, ids,
                                                PIXMAP_CACHE_MAX_INVAL_LIST)) > 0) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) {
            if (in_use != 0 && ids[i] == in_use) {
                held = true;
            } else {
                ids[kept++] = ids[i];
            }
        }
        if (kept > 0) {
            send_inval_list(client, ids, kept);
        }
    }
    return held;
}

/* Sends @box (inside the primary) from the canvas as one DRAW_COPY: uncompressed, read straight
 * into the message; compressed, read into a copy the encoder reads (and a GLZ dictionary may
 * keep). */
static void send_canvas_box(DisplayClient *client, const pixman_box32_t *box)
{
    DisplayChannel *display = client->display;
    uint32_t w = (uint32_t)(box->x2 - box->x1), h = (uint32_t)(box->y2 - box->y1);
    DisplayBitmap bitmap = {
        .image_id = ++display->next_image_id,
        .format = surface_get_format(display->primary) == SPICE_SURFACE_FMT_32_ARGB ?
                  SPICE_BITMAP_FMT_RGBA : SPICE_BITMAP_FMT_32BIT,
        .width = w,
        .height = h,
    };
    DisplayDrawBase base = { .surface_id = 0, .box = *box };
    pixman_box32_t src_area = { 0, 0, (int32_t)w, (int32_t)h };
    WireWriter writer;
    wire_writer_init(&writer);
    bitmap_encoding_for_client(client, &bitmap, false);   /* canvas content stays lossless */
    if (bitmap.compression == SPICE_IMAGE_COMPRESSION_OFF) {
        uint8_t *pixels = display_msg_write_draw_copy_reserve(&writer, &base, &bitmap, &src_area,
                                                              SPICE_ROPD_OP_PUT,
                                                              SPICE_IMAGE_SCALE_MODE_NEAREST);
        surface_read_rect_32(display->primary, box, pixels, w * 4);
    } else {
        /* Counted, so the client's GLZ dictionary keeps this copy instead of making its own
         * (without it, a plain buffer the dictionary copies). */
        GlzSharedPixels *shared = glz_shared_pixels_new((size_t)w * h * 4);
        uint8_t *pixels = shared ? glz_shared_pixels_data(shared) : g_malloc((size_t)w * h * 4);
        surface_read_rect_32(display->primary, box, pixels, w * 4);
        bitmap.pixels = pixels;
        bitmap.pixels_owner = shared;
        bitmap.stride = w * 4;
        bitmap.glz = pixmap_cache_glz_begin(client->cache);   /* this message goes to this client only */
        display_msg_write_draw_copy(&writer, &base, &bitmap, &src_area, SPICE_ROPD_OP_PUT,
                                    SPICE_IMAGE_SCALE_MODE_NEAREST);
        pixmap_cache_glz_end(client->cache, bitmap.glz);
        if (shared) {
            glz_shared_pixels_unref(shared);
        } else {
            g_free(pixels);
        }
    }
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_DRAW_COPY, &writer);
    wire_writer_finish(&writer);
    display_lossy_sent_exact(&client->lossy, box);
}

/* The first band of @box that fits a message of @max_bytes; returns it in @band. */
static void first_band(const pixman_box32_t *box, uint32_t max_bytes, pixman_box32_t *band)
{
    uint32_t rows = band_rows((uint32_t)(box->x2 - box->x1), max_bytes);
    *band = *box;
    if ((int64_t)box->y2 - box->y1 > rows) {
        band->y2 = box->y1 + (int32_t)rows;
    }
}

/* Sends the dirty area while the client takes more. */
static void send_dirty(DisplayClient *client)
{
    while (client_has_surface(client) && pixman_region32_not_empty(&client->dirty) &&
           !channel_connection_is_blocked(client->conn)) {
        int n = 0;
        const pixman_box32_t *boxes = pixman_region32_rectangles(&client->dirty, &n);
        pixman_box32_t band;
        first_band(&boxes[0], DISPLAY_CHANNEL_MAX_PIXEL_MESSAGE, &band);
        send_canvas_box(client, &band);
        pixman_region32_t sent;
        pixman_region32_init_rects(&sent, &band, 1);
        pixman_region32_subtract(&client->dirty, &client->dirty, &sent);
        pixman_region32_fini(&sent);
    }
}

/* ---- start-up ---- */

static void send_monitors_config(DisplayClient *client)
{
    DisplayChannel *display = client->display;
    WireWriter writer;
    wire_writer_init(&writer);
    if (display->num_guest_heads > 0) {
        display_msg_write_monitors_config(&writer, display->guest_heads, display->num_guest_heads,
                                          display->guest_max_allowed);
    } else {
        DisplayHead head = {
            .monitor_id = 0,
            .surface_id = 0,
            .width = surface_get_width(display->primary),
            .height = surface_get_height(display->primary),
        };
        display_msg_write_monitors_config(&writer, &head, 1, 1);
    }
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_MONITORS_CONFIG, &writer);
    wire_writer_finish(&writer);
    client->monitors_pending = false;
}

/*
 * SURFACE_CREATE, the whole content, MONITORS_CONFIG, MARK. Sent even when the client is blocked:
 * it is bounded by the surface size and the client shows nothing before MARK.
 */
static void send_primary_start(DisplayClient *client)
{
    DisplayChannel *display = client->display;
    Surface *primary = display->primary;
    uint32_t width = surface_get_width(primary), height = surface_get_height(primary);
    WireWriter writer;
    wire_writer_init(&writer);
    display_msg_write_surface_create(&writer, 0, width, height, surface_get_format(primary),
                                     SPICE_SURFACE_FLAGS_PRIMARY);
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_SURFACE_CREATE, &writer);
    wire_writer_finish(&writer);

    pixman_box32_t rest = { 0, 0, (int32_t)width, (int32_t)height };
    while (rest.y1 < rest.y2) {
        pixman_box32_t band;
        first_band(&rest, DISPLAY_CHANNEL_MAX_START_MESSAGE, &band);
        send_canvas_box(client, &band);
        rest.y1 = band.y2;
    }
    pixman_region32_clear(&client->dirty);
    pixman_region32_clear(&client->lossy);
    send_monitors_config(client);
    channel_connection_send(client->conn, SPICE_MSG_DISPLAY_MARK, NULL, 0);
    client->surface_sent = true;
}

static void send_surface_destroy(DisplayClient *client)
{
    WireWriter writer;
    wire_writer_init(&writer);
    display_msg_write_surface_destroy(&writer, 0);
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_SURFACE_DESTROY, &writer);
    wire_writer_finish(&writer);
    client->surface_sent = false;
    pixman_region32_clear(&client->dirty);
    pixman_region32_clear(&client->lossy);
}

/* ---- srvstream: video streams (streaming-video) ---- */

static void send_stream_destroy(DisplayClient *client, uint32_t id)
{
    WireWriter writer;
    wire_writer_init(&writer);
    display_stream_write_destroy(&writer, id);
    channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_STREAM_DESTROY, &writer);
    wire_writer_finish(&writer);
}

/*
 * Streams in @ended are over: their clients get STREAM_DESTROY and then the stream's box from
 * the canvas, losslessly (the dirty region), so what stays on screen is the exact last frame.
 */
static void streams_end(DisplayChannel *display, uint32_t ended)
{
    if (ended == 0) {
        return;
    }
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        uint32_t mine = client->streams & ended;
        client->streams &= ~ended;
        for (uint32_t id = 0; mine != 0 && id < DISPLAY_STREAM_MAX; id++) {
            if (!(mine & (1u << id)) || !client_has_surface(client)) {
                continue;
            }
            send_stream_destroy(client, id);
            pixman_region32_t box;
            pixman_region32_init_rects(&box, &display->stream_info[id].dest, 1);
            add_dirty(client, &box);
            pixman_region32_fini(&box);
        }
    }
}

static void on_stream_timer(void *opaque)
{
    DisplayChannel *display = opaque;
    display->busy++;
    streams_end(display, stream_detector_expire(display->streams, reds_get_mm_time()));
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client_has_surface(client)) {
            send_dirty(client);
        }
    }
    if (stream_detector_active(display->streams)) {
        event_loop_timer_start(display->stream_timer, DISPLAY_STREAM_TIMEOUT_MS / 4);
    }
    display->busy--;
    reap_closed_clients(display);
}

/* Whether this DRAW_COPY may be a video frame, by streaming-video (as upstream: a plain PUT of
 * an inline bitmap into one whole box; FILTER also wants photo-like pixels). */
static bool copy_is_stream_candidate(DisplayChannel *display, const DisplayDrawBase *base,
                                     const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                                     uint16_t rop, const pixman_region32_t *changed)
{
    int mode = display->reds ? reds_get_streaming_video(display->reds) : SPICE_STREAM_VIDEO_OFF;
    if (mode != SPICE_STREAM_VIDEO_ALL && mode != SPICE_STREAM_VIDEO_FILTER) {
        return false;
    }
    if (rop != SPICE_ROPD_OP_PUT || base->surface_id != 0 || base->num_clip_rects != 0 ||
        bitmap->format != SPICE_BITMAP_FMT_32BIT || bitmap->pixels == NULL ||
        pixman_region32_n_rects((pixman_region32_t *)changed) != 1) {
        return false;
    }
    const pixman_box32_t *ext = pixman_region32_extents((pixman_region32_t *)changed);
    if (ext->x1 != base->box.x1 || ext->y1 != base->box.y1 || ext->x2 != base->box.x2 ||
        ext->y2 != base->box.y2) {
        return false;   /* clipped by the surface: not a whole box */
    }
    if (src_area->x1 < 0 || src_area->y1 < 0 || src_area->x2 <= src_area->x1 ||
        src_area->y2 <= src_area->y1 || (uint32_t)src_area->x2 > bitmap->width ||
        (uint32_t)src_area->y2 > bitmap->height) {
        return false;
    }
    if (mode == SPICE_STREAM_VIDEO_FILTER) {
        ImageEncoderSource src = {
            .format = bitmap->format,
            .width = (uint32_t)(src_area->x2 - src_area->x1),
            .height = (uint32_t)(src_area->y2 - src_area->y1),
            .stride = bitmap->stride,
            .pixels = bitmap->pixels + (size_t)src_area->y1 * bitmap->stride +
                      (size_t)src_area->x1 * 4,
        };
        return image_encoder_is_photo_like(&src);
    }
    return true;
}

/* As upstream: a client that lists its codecs (MULTI_CODEC) must list MJPEG; one that does not
 * list them decodes MJPEG, the original stream codec. */
static bool client_takes_mjpeg(const DisplayClient *client)
{
    const LinkedPeer *peer = channel_connection_get_peer(client->conn);
    return !linked_peer_has_channel_cap(peer, SPICE_DISPLAY_CAP_MULTI_CODEC) ||
           linked_peer_has_channel_cap(peer, SPICE_DISPLAY_CAP_CODEC_MJPEG);
}

static void streams_create(DisplayChannel *display, uint32_t id)
{
    stream_rate_init(&display->stream_rate[id]);
    display->stream_unique[id] = ++display->next_stream_unique;
    WireWriter writer, report;
    wire_writer_init(&writer);
    display_stream_write_create(&writer, id, &display->stream_info[id], reds_get_mm_time());
    wire_writer_init(&report);
    display_stream_write_activate_report(&report, id, display->stream_unique[id],
                                         STREAM_RATE_REPORT_WINDOW, STREAM_RATE_REPORT_TIMEOUT_MS);
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        /* A client that is behind does without the stream: its frames reach it as draws. */
        if (client_has_surface(client) && !channel_connection_is_blocked(client->conn) &&
            client_takes_mjpeg(client)) {
            channel_connection_send_writer(client->conn, SPICE_MSG_DISPLAY_STREAM_CREATE, &writer);
            if (linked_peer_has_channel_cap(channel_connection_get_peer(client->conn),
                                            SPICE_DISPLAY_CAP_STREAM_REPORT)) {
                channel_connection_send_writer(client->conn,
                                               SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT, &report);
            }
            client->streams |= 1u << id;
        }
    }
    wire_writer_finish(&writer);
    wire_writer_finish(&report);
    if (!display->stream_timer) {
        display->stream_timer = event_loop_timer_add(display->loop, on_stream_timer, display);
    }
    if (display->stream_timer) {
        event_loop_timer_start(display->stream_timer, DISPLAY_STREAM_TIMEOUT_MS / 4);
    }
}

/* One frame as STREAM_DATA to the stream's clients that take more; one that is blocked skips
 * it (the canvas has it; the stream's end refreshes the box). Encoded once for all. */
static void streams_send_frame(DisplayChannel *display, uint32_t id, const DisplayBitmap *bitmap,
                               const pixman_box32_t *src_area)
{
    uint8_t *frame = NULL;
    size_t frame_size = 0;
    bool encoded = false;
    uint32_t mm_time = reds_get_mm_time();
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (!client_has_surface(client) || !(client->streams & (1u << id)) ||
            channel_connection_is_blocked(client->conn)) {
            continue;
        }
        if (!encoded) {
            encoded = true;
            uint32_t w = (uint32_t)(src_area->x2 - src_area->x1);
            uint32_t h = (uint32_t)(src_area->y2 - src_area->y1);
            const uint8_t *top = bitmap->pixels + (size_t)src_area->y1 * bitmap->stride +
                                 (size_t)src_area->x1 * 4;
            Pixbuf view;
            if (pixbuf_init_view(&view, PIXBUF_FORMAT_XRGB32, w, h, bitmap->stride,
                                 (void *)top, (size_t)(h - 1) * bitmap->stride + (size_t)w * 4) ==
                    CODEC_OK &&
                !display_stream_encode_frame(&view, display->stream_rate[id].quality, &frame,
                                             &frame_size)) {
                g_debug("display channel: a stream frame could not be encoded; skipped");
            }
        }
        if (!frame) {
            pixman_region32_t box;
            pixman_region32_init_rects(&box, &display->stream_info[id].dest, 1);
            add_dirty(client, &box);
            pixman_region32_fini(&box);
            continue;
        }
        WireWriter writer;
        wire_writer_init(&writer);
        display_stream_write_data(&writer, id, mm_time, frame, frame_size);
        channel_connection_send_writer_take(client->conn, SPICE_MSG_DISPLAY_STREAM_DATA, &writer);
        wire_writer_finish(&writer);
        pixman_region32_t box;
        pixman_region32_init_rects(&box, &display->stream_info[id].dest, 1);
        display_lossy_add(&client->lossy, &box);
        pixman_region32_fini(&box);
    }
    g_free(frame);
}

/* Runs a DRAW_COPY through the detector: ends what it covers, creates and feeds streams.
 * Returns the stream the copy is a frame of (its clients then skip the ordinary draw), or -1. */
static int streams_on_copy(DisplayChannel *display, const DisplayDrawBase *base,
                           const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                           uint16_t rop, const pixman_region32_t *changed)
{
    bool candidate = copy_is_stream_candidate(display, base, bitmap, src_area, rop, changed);
    StreamCopyResult r = stream_detector_copy(display->streams, &base->box,
                                              (uint32_t)(src_area->x2 - src_area->x1),
                                              (uint32_t)(src_area->y2 - src_area->y1),
                                              candidate, reds_get_mm_time());
    streams_end(display, r.ended);
    if (r.verdict == STREAM_VERDICT_NONE) {
        return -1;
    }
    if (r.verdict == STREAM_VERDICT_NEW) {
        stream_detector_info(display->streams, r.stream_id, &display->stream_info[r.stream_id]);
        g_debug("display channel: stream %u starts (%ux%u into %dx%d+%d+%d)", r.stream_id,
                display->stream_info[r.stream_id].src_width,
                display->stream_info[r.stream_id].src_height, base->box.x2 - base->box.x1,
                base->box.y2 - base->box.y1, base->box.x1, base->box.y1);
        streams_create(display, r.stream_id);
    }
    if (r.send) {
        streams_send_frame(display, r.stream_id, bitmap, src_area);
    }
    return (int)r.stream_id;
}

/* The surface goes away: every stream ends (STREAM_DESTROY_ALL to clients that had one). */
static void streams_end_all(DisplayChannel *display)
{
    stream_detector_end_all(display->streams);
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client->streams && client->conn && client->initialized && client->surface_sent) {
            channel_connection_send(client->conn, SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL, NULL, 0);
        }
        client->streams = 0;
    }
}

/* ---- client messages ---- */

static bool handle_init(DisplayClient *client, const uint8_t *body, uint32_t size)
{
    if (size != DISPLAY_INIT_SIZE) {
        g_message("display channel: DISPLAY_INIT of %u bytes (expected %u); closing", size,
                  DISPLAY_INIT_SIZE);
        return false;
    }
    WireReader r;
    wire_reader_init(&r, body, size);
    PixmapCacheInit init;
    init.pixmap_cache_id = wire_read_u8(&r);
    init.pixmap_cache_size = (int64_t)wire_read_u64(&r);
    init.glz_dictionary_id = wire_read_u8(&r);
    init.glz_window_size = wire_read_i32(&r);
    /* Sizes are clamped to sane limits by pixmap_cache_attach (PIXMAP_CACHE_MAX_*). */
    if (!wire_reader_ok(&r) || init.pixmap_cache_size < 0 || init.glz_window_size < 0) {
        g_message("display channel: DISPLAY_INIT with negative cache sizes; closing");
        return false;
    }
    if (client->initialized) {
        g_debug("display channel: a second DISPLAY_INIT is ignored");
        return true;
    }
    client->initialized = true;
    /* One cache and dictionary per client session, shared by its display channels. */
    client->cache = pixmap_cache_attach(client->display->reds,
                                        channel_connection_get_peer(client->conn)->connection_id,
                                        client->display->id, &init);
    channel_connection_send(client->conn, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES, NULL, 0);
    if (client->display->primary) {
        send_primary_start(client);
    }
    return true;
}

/*
 * STREAM_REPORT: stream_id, unique_id, start and end frame mm time, num_frames, num_drops,
 * last_frame_delay (i32), audio_delay. A report on a stream that has ended, or on an earlier
 * stream that had the same id, is stale and ignored. An id we never hand out is a broken or
 * hostile client: the channel is closed, as upstream closes it for ids past its stream table.
 */
static bool handle_stream_report(DisplayClient *client, const uint8_t *body, uint32_t size)
{
    if (size != DISPLAY_STREAM_REPORT_SIZE) {
        return false;
    }
    DisplayChannel *display = client->display;
    WireReader r;
    wire_reader_init(&r, body, size);
    uint32_t id = wire_read_u32(&r);
    uint32_t unique_id = wire_read_u32(&r);
    (void)wire_read_u32(&r);   /* start_frame_mm_time */
    (void)wire_read_u32(&r);   /* end_frame_mm_time */
    uint32_t num_frames = wire_read_u32(&r);
    uint32_t num_drops = wire_read_u32(&r);
    int32_t last_frame_delay = wire_read_i32(&r);
    if (id >= DISPLAY_STREAM_MAX) {
        g_message("display channel: the client reported on video stream %u, an id this server "
                  "never uses (ids are below %u); closing the channel", id, DISPLAY_STREAM_MAX);
        return false;
    }
    if (!(stream_detector_active(display->streams) & (1u << id)) ||
        display->stream_unique[id] != unique_id) {
        return true;
    }
    StreamRate *rate = &display->stream_rate[id];
    if (stream_rate_report(rate, num_frames, num_drops, last_frame_delay)) {
        stream_detector_set_frame_ms(display->streams, id, rate->frame_ms);
        g_debug("display channel: stream %u report (%u frames, %u dropped, last %d ms early): "
                "quality %d, a frame every %u ms", id, num_frames, num_drops, last_frame_delay,
                rate->quality, rate->frame_ms);
    }
    return true;
}

static bool display_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                                   uint32_t size, void *opaque)
{
    DisplayClient *client = opaque;
    switch (type) {
    case SPICE_MSGC_DISPLAY_INIT:
        return handle_init(client, body, size);
    case SPICE_MSGC_DISPLAY_STREAM_REPORT:
        return handle_stream_report(client, body, size);
    case SPICE_MSGC_DISPLAY_PREFERRED_COMPRESSION:
        if (size != 1) {
            return false;
        }
        /* As upstream: a value we do not know is refused with a log line, the channel stays. */
        if (!image_encoder_policy_valid(body[0])) {
            g_message("display channel: the client asked for image compression %u, which is "
                      "not a SpiceImageCompression value; keeping the current one", body[0]);
            return true;
        }
        client->preferred_compression = body[0];
        g_debug("display channel: the client prefers image compression %u", body[0]);
        return true;
    case SPICE_MSGC_DISPLAY_GL_DRAW_DONE:
        return size == 0;
    case SPICE_MSGC_DISPLAY_PREFERRED_VIDEO_CODEC_TYPE:
        return size >= 1 && size == 1u + body[0];
    default:
        return false;
    }
}

static void display_on_writable(ChannelConnection *conn, void *opaque)
{
    DisplayClient *client = opaque;
    DisplayChannel *display = client->display;
    display->busy++;
    if (client_has_surface(client)) {
        if (client->monitors_pending && !channel_connection_is_blocked(conn)) {
            send_monitors_config(client);
        }
        send_dirty(client);
    }
    display->busy--;
    reap_closed_clients(display);
}

static void display_on_closed(ChannelConnection *conn, void *opaque)
{
    DisplayClient *client = opaque;
    DisplayChannel *display = client->display;
    client->conn = NULL;
    reap_closed_clients(display);
    if (display->clients_changed) {
        display->clients_changed(display, display->clients_changed_opaque);
    }
}

static const ChannelConnectionCallbacks display_callbacks = {
    .handle_message = display_handle_message,
    .on_writable = display_on_writable,
    .on_closed = display_on_closed,
};

/* ---- public ---- */

DisplayChannel *display_channel_new(EventLoop *loop, uint8_t channel_id)
{
    DisplayChannel *display = g_new0(DisplayChannel, 1);
    display->loop = loop;
    display->id = channel_id;
    display->clients = g_ptr_array_new();
    display->streams = stream_detector_new();
    display->frame_stream = -1;
    return display;
}

void display_channel_set_server(DisplayChannel *display, SpiceServer *reds)
{
    display->reds = reds;
}

void display_channel_destroy(DisplayChannel *display)
{
    if (!display) {
        return;
    }
    display->clients_changed = NULL;   /* the owner is going away too */
    display->busy++;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client->conn) {
            channel_connection_close(client->conn);   /* calls display_on_closed */
        }
    }
    display->busy--;
    reap_closed_clients(display);
    g_ptr_array_free(display->clients, TRUE);
    if (display->stream_timer) {
        event_loop_timer_remove(display->stream_timer);
    }
    stream_detector_free(display->streams);
    g_free(display->guest_heads);
    g_free(display);
}

void display_channel_add_client(DisplayChannel *display, LinkedPeer *peer)
{
    DisplayClient *client = g_new0(DisplayClient, 1);
    client->display = display;
    pixman_region32_init(&client->dirty);
    pixman_region32_init(&client->lossy);
    ChannelConnectionConfig config = {
        .name = "display",
        .max_message_size = DISPLAY_MAX_CLIENT_MESSAGE,
        .handles_acks = true,
        .ack_window = DISPLAY_ACK_WINDOW,
        .ping_interval_ms = 0,
    };
    g_ptr_array_add(display->clients, client);
    /* SET_ACK goes out at once; everything else waits for DISPLAY_INIT. */
    client->conn = channel_connection_new(display->loop, peer, &config, &display_callbacks, client);
    if (!client->conn) {
        reap_closed_clients(display);
    } else if (display->clients_changed) {
        display->clients_changed(display, display->clients_changed_opaque);
    }
}

void display_channel_set_clients_changed(DisplayChannel *display, DisplayClientsChangedFunc func,
                                         void *opaque)
{
    display->clients_changed = func;
    display->clients_changed_opaque = opaque;
}

bool display_channel_clients_have_cap(const DisplayChannel *display, uint32_t cap)
{
    unsigned linked = 0;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (!client->conn) {
            continue;
        }
        linked++;
        if (!linked_peer_has_channel_cap(channel_connection_get_peer(client->conn), cap)) {
            return false;
        }
    }
    return linked > 0;
}

unsigned display_channel_num_clients(const DisplayChannel *display)
{
    unsigned n = 0;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        n += client->conn != NULL;
    }
    return n;
}

void display_channel_set_primary(DisplayChannel *display, Surface *primary)
{
    display->busy++;
    streams_end_all(display);
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client->conn && client->initialized && client->surface_sent) {
            send_surface_destroy(client);
        }
    }
    display->primary = primary;
    if (primary) {
        for (guint i = 0; i < display->clients->len; i++) {
            DisplayClient *client = g_ptr_array_index(display->clients, i);
            if (client->conn && client->initialized) {
                send_primary_start(client);
            }
        }
    }
    display->busy--;
    reap_closed_clients(display);
}

void display_channel_set_monitors_config(DisplayChannel *display, const DisplayHead *heads,
                                         uint16_t count, uint16_t max_allowed)
{
    g_free(display->guest_heads);
    display->guest_heads = count ? g_memdup2(heads, sizeof(*heads) * count) : NULL;
    display->num_guest_heads = count;
    display->guest_max_allowed = MAX(max_allowed, count);
    display->busy++;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client_has_surface(client)) {
            client->monitors_pending = true;
            if (!channel_connection_is_blocked(client->conn)) {
                send_monitors_config(client);
            }
        }
    }
    display->busy--;
    reap_closed_clients(display);
}

/* Builds a draw's body; @client is the one it goes to when the body is built per client.
 * Returns true when the body shows an approximation (its image went as JPEG). */
typedef bool (*WriteDrawFunc)(WireWriter *w, const void *args, DisplayClient *client);

/*
 * Sends a draw to clients in step with the canvas; clients that are behind get @changed as dirty.
 * @per_client: the body depends on the client (its pixmap cache and GLZ dictionary), so it is
 * built for each client right before it is sent to it; otherwise once for all.
 * @use: how the draw uses the client's picture under it (server/display-lossy.h); a client whose
 * approximate area it must not build on gets @changed from the canvas instead.
 */
static void forward_draw_to(DisplayChannel *display, uint16_t type, WriteDrawFunc write,
                            const void *args, const pixman_region32_t *changed, bool per_client,
                            const DisplayDrawUse *use)
{
    WireWriter writer;
    bool built = false, built_lossy = false;
    display->busy++;
    if (!display->streams_checked) {
        streams_end(display, stream_detector_draw_over(display->streams, changed));
    }
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (!client_has_surface(client)) {
            continue;   /* not started yet: it gets the whole canvas when it starts */
        }
        if (display->frame_stream >= 0 && (client->streams & (1u << display->frame_stream))) {
            continue;   /* it got this draw as a stream frame */
        }
        bool behind = pixman_region32_not_empty(&client->dirty);
        if (behind || channel_connection_is_blocked(client->conn) || write == NULL) {
            if (!behind && write != NULL) {
                g_debug("display channel: a client fell behind (%zu bytes queued); it will get "
                        "the changed area from the canvas",
                        channel_connection_pending_bytes(client->conn));
            }
            add_dirty(client, changed);
            continue;
        }
        if (display_lossy_must_resend(&client->lossy, use, changed)) {
            add_dirty(client, changed);   /* sent losslessly from the canvas at the flush */
            continue;
        }
        send_invalidations(client, 0);
        if (per_client) {
            WireWriter own;
            wire_writer_init(&own);
            client->cache_id_in_use = 0;
            bool lossy = write(&own, args, client);
            display_lossy_after_draw(&client->lossy, use, changed, lossy);
            /* Evictions the image made (or another channel made meanwhile) go first. */
            uint64_t in_use = client->cache_id_in_use;
            bool held = send_invalidations(client, in_use);
            channel_connection_send_writer_take(client->conn, type, &own);
            wire_writer_finish(&own);
            if (held) {
                send_inval_list(client, &in_use, 1);
            }
            continue;
        }
        if (!built) {
            wire_writer_init(&writer);
            built_lossy = write(&writer, args, NULL);
            built = true;
        }
        channel_connection_send_writer(client->conn, type, &writer);
        display_lossy_after_draw(&client->lossy, use, changed, built_lossy);
    }
    if (built) {
        wire_writer_finish(&writer);
    }
    display->busy--;
    reap_closed_clients(display);
}

static void forward_draw(DisplayChannel *display, uint16_t type, WriteDrawFunc write,
                         const void *args, const pixman_region32_t *changed,
                         const DisplayDrawUse *use)
{
    forward_draw_to(display, type, write, args, changed, false, use);
}

/*
 * Fills in @bitmap's per-client part for @client: the cache decision for a cacheable image
 * (pixmap_cache_decide) and the GLZ dictionary, locked until bitmap_for_client_done.
 */
/* Whether images to @client may go as JPEG now (jpeg-wan-compression and its link). */
static bool client_may_get_jpeg(const DisplayClient *client)
{
    const DisplayChannel *display = client->display;
    return display->reds && image_encoder_wan_enabled(reds_get_jpeg_state(display->reds),
                                                      reds_is_link_slow(display->reds));
}

static void bitmap_for_client(DisplayClient *client, DisplayBitmap *bitmap, bool need_lossless)
{
    DisplayChannel *display = client->display;
    if (bitmap->cacheable && client->cache) {
        /* As upstream: FROM_CACHE_LOSSLESS only matters when this client may get JPEG. */
        bool lossy_possible = client_may_get_jpeg(client);
        PixmapCacheDecision d = pixmap_cache_decide(client->cache, display->id, bitmap->image_id,
                                                    bitmap->width, bitmap->height, need_lossless,
                                                    lossy_possible);
        bitmap->image_id = d.wire_id;
        bitmap->from_cache_type = d.from_cache_type;
        bitmap->descriptor_flags = d.descriptor_flags;
        if (d.from_cache_type || d.descriptor_flags == SPICE_IMAGE_FLAGS_CACHE_REPLACE_ME) {
            client->cache_id_in_use = d.wire_id;   /* an id the client already holds */
        }
    }
}

/* The client's GLZ dictionary (locked until bitmap_for_client_done) when the image is encoded
 * and its compression may pick GLZ; call after the compression is known. */
static void bitmap_glz_for_client(DisplayClient *client, DisplayBitmap *bitmap)
{
    bool may_glz = bitmap->compression == SPICE_IMAGE_COMPRESSION_GLZ ||
                   bitmap->compression == SPICE_IMAGE_COMPRESSION_AUTO_GLZ;
    bitmap->glz = !bitmap->from_cache_type && may_glz ? pixmap_cache_glz_begin(client->cache) :
                                                        NULL;
}

/*
 * A body built for one client that the next clients of the same draw may reuse: only when the
 * image uses nothing of the client's own (no cache entry, no GLZ dictionary) and would be
 * encoded the same way (compression, what the client decodes, lossy or not). Saves an encode
 * per client when several clients watch without GLZ or cache.
 */
typedef struct SharedBuild {
    bool valid;
    DisplayBitmap key;
    uint8_t image_type;          /* the SPICE_IMAGE_TYPE_* the saved body carries */
    GByteArray *bytes;           /* owned; NULL until something was saved */
} SharedBuild;

static bool bitmap_is_client_specific(const DisplayBitmap *bitmap)
{
    return bitmap->from_cache_type || bitmap->descriptor_flags || bitmap->glz;
}

static bool same_encoding(const DisplayBitmap *a, const DisplayBitmap *b)
{
    /* ImageEncoderPeer is a struct of bools (no padding), so memcmp compares every field. */
    return a->compression == b->compression && a->lossy_ok == b->lossy_ok &&
           memcmp(&a->peer, &b->peer, sizeof(a->peer)) == 0;
}

/* Appends the saved body when it fits @bitmap; false when the caller must build it. */
static bool shared_build_reuse(const SharedBuild *shared, const DisplayBitmap *bitmap,
                               WireWriter *w)
{
    if (!shared || !shared->valid || bitmap_is_client_specific(bitmap) ||
        !same_encoding(&shared->key, bitmap)) {
        return false;
    }
    wire_write_bytes(w, shared->bytes->data, shared->bytes->len);
    if (bitmap->out_image_type) {
        *bitmap->out_image_type = shared->image_type;
    }
    return true;
}

/* Saves the body just built into @w (which held nothing before) for the next clients. */
static void shared_build_save(SharedBuild *shared, const DisplayBitmap *bitmap,
                              const WireWriter *w)
{
    if (!shared || bitmap_is_client_specific(bitmap)) {
        return;
    }
    if (!shared->bytes) {
        shared->bytes = g_byte_array_new();
    }
    g_byte_array_set_size(shared->bytes, 0);
    g_byte_array_append(shared->bytes, wire_writer_data(w), (guint)wire_writer_size(w));
    shared->key = *bitmap;
    shared->image_type = bitmap->out_image_type ? *bitmap->out_image_type : 0;
    shared->valid = true;
}

static void shared_build_clear(SharedBuild *shared)
{
    if (shared->bytes) {
        g_byte_array_free(shared->bytes, TRUE);
    }
}

static void bitmap_for_client_done(DisplayClient *client, const DisplayBitmap *bitmap,
                                   uint64_t guest_id, uint8_t type_written)
{
    pixmap_cache_glz_end(client->cache, bitmap->glz);
    if (bitmap->descriptor_flags) {
        pixmap_cache_encoded(client->cache, client->display->id, guest_id, type_written);
    }
}

typedef struct FillArgs {
    const DisplayDrawBase *base;
    uint32_t color;
    uint16_t rop;
} FillArgs;

static bool write_fill(WireWriter *w, const void *opaque, DisplayClient *client)
{
    const FillArgs *a = opaque;
    display_msg_write_draw_fill(w, a->base, a->color, a->rop);
    return false;
}

void display_channel_draw_fill(DisplayChannel *display, const DisplayDrawBase *base,
                               uint32_t color, uint16_t rop_descriptor,
                               const pixman_region32_t *changed)
{
    FillArgs args = { base, color, rop_descriptor };
    DisplayDrawUse use = display_draw_use_for_rop(rop_descriptor);
    forward_draw(display, SPICE_MSG_DISPLAY_DRAW_FILL, write_fill, &args, changed, &use);
}

typedef struct CopyArgs {
    const DisplayDrawBase *base;
    const DisplayBitmap *bitmap;
    const pixman_box32_t *src_area;
    uint16_t rop;
    uint8_t scale_mode;
    SharedBuild *shared;
} CopyArgs;

/* Whether the image just written for @client shows it an approximation: a JPEG, or a cached
 * copy that is one (while JPEG is possible, the cache names lossless copies FROM_CACHE_LOSSLESS). */
static bool image_written_lossy(const DisplayClient *client, const DisplayBitmap *bitmap,
                                uint8_t type)
{
    return type == SPICE_IMAGE_TYPE_JPEG || type == SPICE_IMAGE_TYPE_JPEG_ALPHA ||
           (bitmap->from_cache_type == SPICE_IMAGE_TYPE_FROM_CACHE && client_may_get_jpeg(client));
}

static bool write_copy(WireWriter *w, const void *opaque, DisplayClient *client)
{
    const CopyArgs *a = opaque;
    DisplayBitmap bitmap = *a->bitmap;
    uint8_t type = 0;
    bitmap.out_image_type = &type;
    /* Lossy (JPEG) only where upstream allows it: a plain PUT. */
    bitmap_for_client(client, &bitmap, a->rop != SPICE_ROPD_OP_PUT);
    bitmap_encoding_for_client(client, &bitmap, a->rop == SPICE_ROPD_OP_PUT);
    bitmap_glz_for_client(client, &bitmap);
    if (!shared_build_reuse(a->shared, &bitmap, w)) {
        display_msg_write_draw_copy(w, a->base, &bitmap, a->src_area, a->rop, a->scale_mode);
        shared_build_save(a->shared, &bitmap, w);
    }
    bitmap_for_client_done(client, &bitmap, a->bitmap->image_id, type);
    return image_written_lossy(client, &bitmap, type);
}

static void forward_copy(DisplayChannel *display, uint16_t msg_type, const DisplayDrawBase *base,
                         const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                         uint16_t rop_descriptor, uint8_t scale_mode,
                         const pixman_region32_t *changed, const DisplayDrawUse *use)
{
    DisplayBitmap encoded = *bitmap;
    encoded.compression = image_compression(display);
    SharedBuild shared = { 0 };
    CopyArgs args = { base, &encoded, src_area, rop_descriptor, scale_mode, &shared };
    /* A bitmap too big for one message goes out in bands from the canvas instead. */
    uint64_t bytes = (uint64_t)bitmap->width * bitmap->height * 4;
    forward_draw_to(display, msg_type,
                    bytes <= max_image_message(&encoded) ? write_copy : NULL, &args, changed,
                    true, use);
    shared_build_clear(&shared);
}

void display_channel_draw_copy(DisplayChannel *display, const DisplayDrawBase *base,
                               const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                               uint16_t rop_descriptor, uint8_t scale_mode,
                               const pixman_region32_t *changed)
{
    display->busy++;
    display->frame_stream = streams_on_copy(display, base, bitmap, src_area, rop_descriptor,
                                            changed);
    display->streams_checked = true;
    /* As upstream, a COPY replaces what was under it whatever its rop. */
    DisplayDrawUse use = { .dest = DISPLAY_DEST_OVERWRITTEN };
    forward_copy(display, SPICE_MSG_DISPLAY_DRAW_COPY, base, bitmap, src_area, rop_descriptor,
                 scale_mode, changed, &use);
    display->streams_checked = false;
    display->frame_stream = -1;
    display->busy--;
    reap_closed_clients(display);
}

void display_channel_draw_blend(DisplayChannel *display, const DisplayDrawBase *base,
                                const DisplayBitmap *bitmap, const pixman_box32_t *src_area,
                                uint16_t rop_descriptor, uint8_t scale_mode,
                                const pixman_region32_t *changed)
{
    DisplayDrawUse use = { .dest = DISPLAY_DEST_NEEDS_EXACT };
    forward_copy(display, SPICE_MSG_DISPLAY_DRAW_BLEND, base, bitmap, src_area, rop_descriptor,
                 scale_mode, changed, &use);
}

typedef struct ImageDrawArgs {
    const DisplayDrawBase *base;
    const DisplayImageDraw *draw;
    const DisplayBitmap *bitmap;
    SharedBuild *shared;
} ImageDrawArgs;

static bool write_image_draw(WireWriter *w, const void *opaque, DisplayClient *client)
{
    const ImageDrawArgs *a = opaque;
    DisplayBitmap bitmap = *a->bitmap;
    uint8_t type = 0;
    bitmap.out_image_type = &type;
    bool lossy_ok = a->draw->msg_type == SPICE_MSG_DISPLAY_DRAW_OPAQUE &&
                    a->draw->rop_descriptor == SPICE_ROPD_OP_PUT;
    bitmap_for_client(client, &bitmap, !lossy_ok);
    bitmap_encoding_for_client(client, &bitmap, lossy_ok);
    bitmap_glz_for_client(client, &bitmap);
    if (!shared_build_reuse(a->shared, &bitmap, w)) {
        display_msg_write_image_draw(w, a->base, a->draw, &bitmap);
        shared_build_save(a->shared, &bitmap, w);
    }
    bitmap_for_client_done(client, &bitmap, a->bitmap->image_id, type);
    return image_written_lossy(client, &bitmap, type);
}

/* How each image draw uses the destination, as upstream's lossy rules say. */
static DisplayDrawUse image_draw_use(const DisplayImageDraw *draw)
{
    switch (draw->msg_type) {
    case SPICE_MSG_DISPLAY_DRAW_OPAQUE:
        return (DisplayDrawUse){ .dest = DISPLAY_DEST_OVERWRITTEN };
    case SPICE_MSG_DISPLAY_DRAW_ROP3:
        return (DisplayDrawUse){ .dest = DISPLAY_DEST_NEEDS_EXACT };
    default:   /* TRANSPARENT, ALPHA_BLEND: what shows through keeps its approximation */
        return (DisplayDrawUse){ .dest = DISPLAY_DEST_KEPT };
    }
}

void display_channel_draw_image(DisplayChannel *display, const DisplayDrawBase *base,
                                const DisplayImageDraw *draw, const DisplayBitmap *bitmap,
                                const pixman_region32_t *changed)
{
    DisplayBitmap encoded = *bitmap;
    encoded.compression = image_compression(display);
    SharedBuild shared = { 0 };
    ImageDrawArgs args = { base, draw, &encoded, &shared };
    uint64_t bytes = (uint64_t)bitmap->width * bitmap->height * 4;
    DisplayDrawUse use = image_draw_use(draw);
    forward_draw_to(display, draw->msg_type,
                    bytes <= max_image_message(&encoded) ? write_image_draw : NULL, &args,
                    changed, true, &use);
    shared_build_clear(&shared);
}

static bool write_mask_only(WireWriter *w, const void *opaque, DisplayClient *client)
{
    display_msg_write_draw_mask_only(w, opaque);
    return false;
}

void display_channel_draw_mask_only(DisplayChannel *display, uint16_t msg_type,
                                    const DisplayDrawBase *base, const pixman_region32_t *changed)
{
    /* As upstream: INVERS keeps the approximation (no lossless resend), the others replace it. */
    DisplayDrawUse use = { .dest = msg_type == SPICE_MSG_DISPLAY_DRAW_INVERS ?
                                   DISPLAY_DEST_KEPT : DISPLAY_DEST_OVERWRITTEN };
    forward_draw(display, msg_type, write_mask_only, base, changed, &use);
}

typedef struct CopyBitsArgs {
    const DisplayDrawBase *base;
    int32_t src_x;
    int32_t src_y;
} CopyBitsArgs;

static bool write_copy_bits(WireWriter *w, const void *opaque, DisplayClient *client)
{
    const CopyBitsArgs *a = opaque;
    display_msg_write_copy_bits(w, a->base, a->src_x, a->src_y);
    return false;
}

void display_channel_copy_bits(DisplayChannel *display, const DisplayDrawBase *base,
                               int32_t src_x, int32_t src_y, const pixman_region32_t *changed)
{
    CopyBitsArgs args = { base, src_x, src_y };
    DisplayDrawUse use = { .dest = DISPLAY_DEST_MOVED, .src_dx = src_x - base->box.x1,
                           .src_dy = src_y - base->box.y1 };
    forward_draw(display, SPICE_MSG_DISPLAY_COPY_BITS, write_copy_bits, &args, changed, &use);
}

void display_channel_invalidate(DisplayChannel *display, const pixman_region32_t *changed)
{
    DisplayDrawUse use = { .dest = DISPLAY_DEST_OVERWRITTEN };   /* goes from the canvas */
    forward_draw(display, 0, NULL, NULL, changed, &use);
}

void display_channel_flush(DisplayChannel *display)
{
    display->busy++;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client_has_surface(client)) {
            send_invalidations(client, 0);
            if (client->monitors_pending && !channel_connection_is_blocked(client->conn)) {
                send_monitors_config(client);
            }
            send_dirty(client);
        }
    }
    display->busy--;
    reap_closed_clients(display);
}

void display_channel_disconnect_all(DisplayChannel *display)
{
    display->busy++;
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        if (client->conn) {
            channel_connection_close(client->conn);   /* calls display_on_closed */
        }
    }
    display->busy--;
    reap_closed_clients(display);
}

void display_channel_reset_image_cache(DisplayChannel *display)
{
    for (guint i = 0; i < display->clients->len; i++) {
        DisplayClient *client = g_ptr_array_index(display->clients, i);
        pixmap_cache_reset_channel(client->cache, display->id);
    }
}
