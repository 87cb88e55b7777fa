/* spice-viewer: our SPICE viewer: the GTK window, or --headless --screenshot (saves the settled primary surface). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <malloc.h>

#include <spice/enums.h>

#include "client/key-sequence.h"
#include "client/spice-client.h"
#include "viewer-target.h"
#include "viewer-window.h"

/* Exit codes: a script can tell what failed without parsing the message. */
enum {
    EXIT_OK = 0,
    EXIT_USAGE = 1,
    EXIT_CONNECT = 2,
    EXIT_AUTH = 3,
    EXIT_TIMEOUT = 4,
    EXIT_PROTOCOL = 5,
    EXIT_PICTURE = 6,   /* connected, but the picture has parts we cannot decode */
    EXIT_TLS = 7,       /* TLS: certificate not trusted, wrong host or subject, no TLS port */
};

typedef struct Viewer {
    GMainLoop *loop;
    SpiceClientSession *session;
    const char *screenshot;
    double settle_s;
    gint64 last_change_us;
    KeyPlayer *keys;           /* --send-keys / --type (clinput), NULL: none */
    int exit_code;
    bool done;
} Viewer;

static int exit_code_for(SpiceClientError error)
{
    switch (error) {
    case SPICE_CLIENT_ERROR_CONNECT: return EXIT_CONNECT;
    case SPICE_CLIENT_ERROR_AUTH: return EXIT_AUTH;
    case SPICE_CLIENT_ERROR_TIMEOUT: return EXIT_TIMEOUT;
    case SPICE_CLIENT_ERROR_TLS: return EXIT_TLS;
    default: return EXIT_PROTOCOL;
    }
}

static const char *failure_label(SpiceClientError error)
{
    switch (error) {
    case SPICE_CLIENT_ERROR_CONNECT: return "connect failed";
    case SPICE_CLIENT_ERROR_AUTH: return "auth failed";
    case SPICE_CLIENT_ERROR_TIMEOUT: return "timeout";
    case SPICE_CLIENT_ERROR_CLOSED: return "connection closed";
    case SPICE_CLIENT_ERROR_UNSUPPORTED: return "unsupported";
    case SPICE_CLIENT_ERROR_TLS: return "TLS failed";
    default: return "protocol error";
    }
}

static void finish(Viewer *v, int code)
{
    if (!v->done) {
        v->done = true;
        v->exit_code = code;
        g_main_loop_quit(v->loop);
    }
}

static void on_state(SpiceClientSession *s, SpiceClientState state, void *user)
{
    Viewer *v = user;
    if (state == SPICE_CLIENT_STATE_FAILED) {
        SpiceClientError e = spice_client_session_get_error(s);
        fprintf(stderr, "spice-viewer: %s: %s\n", failure_label(e),
                spice_client_session_get_error_message(s));
        finish(v, exit_code_for(e));
    }
}

static void on_display(SpiceClientSession *s, unsigned id, SpiceClientDisplayEvent ev, void *user)
{
    Viewer *v = user;
    v->last_change_us = g_get_monotonic_time();
}

/* Writes @img (any pixman format) as an RGB PNG. */
static bool save_png(pixman_image_t *img, const char *path, GError **error)
{
    int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
    pixman_image_t *x = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
    if (x == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOMEM, "out of memory");
        return false;
    }
    pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, x, 0, 0, 0, 0, 0, 0, w, h);
    GdkPixbuf *pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, FALSE, 8, w, h);
    uint8_t *dst = gdk_pixbuf_get_pixels(pb);
    int dst_stride = gdk_pixbuf_get_rowstride(pb);
    const uint8_t *src = (const uint8_t *)pixman_image_get_data(x);
    int src_stride = pixman_image_get_stride(x);
    for (int y = 0; y < h; y++) {
        const uint32_t *s = (const uint32_t *)(const void *)(src + (size_t)y * (size_t)src_stride);
        uint8_t *d = dst + (size_t)y * (size_t)dst_stride;
        for (int col = 0; col < w; col++) {
            d[col * 3] = (uint8_t)(s[col] >> 16);
            d[col * 3 + 1] = (uint8_t)(s[col] >> 8);
            d[col * 3 + 2] = (uint8_t)s[col];
        }
    }
    pixman_image_unref(x);
    bool ok = gdk_pixbuf_save(pb, path, "png", error, NULL);
    g_object_unref(pb);
    return ok;
}

static gboolean on_tick(gpointer data)
{
    Viewer *v = data;
    if (v->done) {
        return G_SOURCE_REMOVE;
    }
    pixman_image_t *primary = spice_client_session_get_primary(v->session, 0);
    if (primary == NULL || !spice_client_session_display_marked(v->session, 0)) {
        return G_SOURCE_CONTINUE;
    }
    if (g_get_monotonic_time() - v->last_change_us < (gint64)(v->settle_s * G_USEC_PER_SEC)) {
        return G_SOURCE_CONTINUE;
    }
    if (v->keys != NULL && !key_player_done(v->keys)) {
        /* Keys go once the first picture settled; the screenshot waits for the next settle. */
        key_player_start(v->keys, v->session);
        v->last_change_us = g_get_monotonic_time();
        return G_SOURCE_CONTINUE;
    }
    GError *error = NULL;
    if (!save_png(primary, v->screenshot, &error)) {
        fprintf(stderr, "spice-viewer: cannot save %s: %s (check the directory and its permissions)\n",
                v->screenshot, error->message);
        g_error_free(error);
        finish(v, EXIT_USAGE);
        return G_SOURCE_REMOVE;
    }
    const char *problem = spice_client_session_display_problem(v->session, 0);
    if (problem != NULL) {
        fprintf(stderr, "spice-viewer: saved %s, but the picture may be incomplete: %s\n",
                v->screenshot, problem);
        finish(v, EXIT_PICTURE);
    } else {
        printf("spice-viewer: saved %s (%dx%d)\n", v->screenshot, pixman_image_get_width(primary),
               pixman_image_get_height(primary));
        finish(v, EXIT_OK);
    }
    return G_SOURCE_REMOVE;
}

/* What every session of this run shares; the window makes one per (re)connect. */
typedef struct SessionConfig {
    const ViewerTarget *target;
    uint8_t preferred_compression;
} SessionConfig;

static SpiceClientSession *new_session(const char *password, void *user)
{
    const SessionConfig *cfg = user;
    SpiceClientSession *s = viewer_target_new_session(cfg->target, password);
    spice_client_session_set_preferred_compression(s, cfg->preferred_compression);
    return s;
}

/* --stats (clstream): one line per video stream and a total, for scripts and people. */
static void print_stream_stats(SpiceClientSession *s)
{
    size_t n = spice_client_session_stream_stats(s, NULL, 0);
    SpiceClientStreamStats *all = g_new0(SpiceClientStreamStats, n ? n : 1);
    spice_client_session_stream_stats(s, all, n);
    uint64_t received = 0, shown = 0, dropped = 0;
    double best_fps = 0;
    for (size_t i = 0; i < n; i++) {
        const SpiceClientStreamStats *st = &all[i];
        printf("spice-viewer: stream %u (display %u): %ux%u MJPEG, frames received %" G_GUINT64_FORMAT
               ", decoded %" G_GUINT64_FORMAT ", shown %" G_GUINT64_FORMAT ", dropped %" G_GUINT64_FORMAT
               ", %.1f fps over %.1f s\n", st->stream_id, st->display_id, st->width, st->height,
               st->frames_received, st->frames_decoded, st->frames_shown, st->frames_dropped, st->fps,
               st->seconds_shown);
        received += st->frames_received;
        shown += st->frames_shown;
        dropped += st->frames_dropped;
        best_fps = MAX(best_fps, st->fps);
    }
    printf("spice-viewer: streams %zu, frames received %" G_GUINT64_FORMAT ", shown %" G_GUINT64_FORMAT
           ", dropped %" G_GUINT64_FORMAT ", best frame rate %.1f fps\n", n, received, shown, dropped,
           best_fps);
    g_free(all);
}

static gboolean on_timeout(gpointer data)
{
    Viewer *v = data;
    SpiceClientState st = spice_client_session_get_state(v->session);
    const char *problem = spice_client_session_display_problem(v->session, 0);
    if (st != SPICE_CLIENT_STATE_CONNECTED) {
        fprintf(stderr, "spice-viewer: timeout: still connecting when the time ran out (is the "
                "server up and answering? raise --timeout)\n");
    } else if (spice_client_session_get_primary(v->session, 0) == NULL) {
        fprintf(stderr, "spice-viewer: timeout: connected, but the server sent no primary surface "
                "(is the guest's display running?)%s%s\n", problem ? ": " : "", problem ? problem : "");
    } else if (!spice_client_session_display_marked(v->session, 0)) {
        fprintf(stderr, "spice-viewer: timeout: the server never sent MARK for the first picture%s%s\n",
                problem ? ": " : "", problem ? problem : "");
    } else {
        fprintf(stderr, "spice-viewer: timeout: the display never settled (drawing never paused "
                "for %.1f s; lower --settle or raise --timeout)%s%s\n", v->settle_s,
                problem ? "; also: " : "", problem ? problem : "");
    }
    finish(v, EXIT_TIMEOUT);
    return G_SOURCE_REMOVE;
}

/* The timers may have removed themselves already. */
static void remove_if_alive(guint id)
{
    GSource *src = g_main_context_find_source_by_id(NULL, id);
    if (src != NULL) {
        g_source_destroy(src);
    }
}

/*
 * Decoded images are megabytes each (8 MB for 1920x1080) and live for one draw. With glibc's
 * defaults every one of them is a fresh mmap, so each decode first page-faults its whole
 * buffer in and the free unmaps it again: more than half the viewer's CPU in a replay of
 * desktop images (tests/bench/bench-client.py). Keeping such blocks in the heap and not
 * trimming it makes the next image reuse the pages the last one touched.
 */
static void tune_allocator_for_frames(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 512 * 1024 * 1024);
}

int main(int argc, char **argv)
{
    tune_allocator_for_frames();
    gboolean headless = FALSE;
    gboolean stats = FALSE;   /* clstream */
    char *screenshot = NULL;
    char *password = NULL;
    double timeout_s = 30;
    double settle_s = 1.0;
    char **send_keys = NULL;
    char *type_text = NULL;
    int key_delay_ms = 20;
    char *compression = NULL;
    char *ca_file = NULL, *host_subject = NULL, *libvirt_uri = NULL;
    GOptionEntry entries[] = {
        { "headless", 0, 0, G_OPTION_ARG_NONE, &headless, "Open no window", NULL },
        { "stats", 0, 0, G_OPTION_ARG_NONE, &stats,
          "Headless: print the video streams' frames (shown, dropped) and frame rates at exit", NULL },
        { "screenshot", 0, 0, G_OPTION_ARG_FILENAME, &screenshot,
          "Save the primary surface as PNG once the display settles, then exit", "FILE" },
        { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout_s, "Give up after S seconds (default 30)", "S" },
        { "settle", 0, 0, G_OPTION_ARG_DOUBLE, &settle_s,
          "Seconds without drawing that count as settled (default 1)", "S" },
        { "password", 0, 0, G_OPTION_ARG_STRING, &password, "The SPICE password (overrides the URI's)", "PW" },
        { "preferred-compression", 0, 0, G_OPTION_ARG_STRING, &compression,
          "Ask the server for this image compression: off, quic, lz, auto-lz, glz, auto-glz, lz4 (default: the server's)",
          "NAME" },
        { "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file,
          "TLS: trust the CA certificates in this PEM file (default: the system's CAs)", "FILE" },
        { "host-subject", 0, 0, G_OPTION_ARG_STRING, &host_subject,
          "TLS: accept the certificate whose subject is exactly this (\"C=..,O=..,CN=..\"), "
          "whatever host it names", "SUBJECT" },
        { "connect", 'c', 0, G_OPTION_ARG_STRING, &libvirt_uri,
          "Ask libvirt at URI where the domain's SPICE display listens (the argument is then the "
          "domain's name, UUID or id)", "LIBVIRT_URI" },
        { "send-keys", 0, 0, G_OPTION_ARG_STRING_ARRAY, &send_keys,
          "Headless: once the display settles, press and release a combo (ctrl+alt+del, ctrl+alt+f2, "
          "enter...); repeatable, sent before --type", "COMBO" },
        { "type", 0, 0, G_OPTION_ARG_STRING, &type_text,
          "Headless: then type TEXT through a US layout (printable ASCII, newline, tab)", "TEXT" },
        { "key-delay", 0, 0, G_OPTION_ARG_INT, &key_delay_ms,
          "Milliseconds between key events of --send-keys/--type (default 20)", "MS" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    ViewerWindowOptions window_opts = { 0 };
    GOptionContext *ctx = g_option_context_new("URI|FILE.vv|DOMAIN - SPICE viewer");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, viewer_window_option_entries(&window_opts), NULL);
    g_option_context_set_description(ctx,
        "URI: spice://host:port, spice://host?port=N&tls-port=M&password=PW,\n"
        "spice+tls://host:tlsport, spice+unix:///path/to/socket.\n"
        "FILE.vv: a remote-viewer connection file. DOMAIN: with --connect LIBVIRT_URI.\n"
        "Exit status: 0 saved, 1 usage, 2 connect failed, 3 auth failed, 4 timeout,\n"
        "5 protocol error, 6 saved but parts of the picture could not be decoded,\n"
        "7 TLS failed (untrusted certificate: --ca-file; wrong host: --host-subject).");
    GError *error = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "spice-viewer: %s (see --help)\n", error->message);
        g_error_free(error);
        g_option_context_free(ctx);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (argc != 2) {
        fprintf(stderr, "spice-viewer: give exactly one URI (spice://host:port), .vv file, or "
                "domain with --connect; see --help\n");
        return EXIT_USAGE;
    }
    if (headless && screenshot == NULL) {
        fprintf(stderr, "spice-viewer: --headless needs --screenshot FILE (see --help)\n");
        return EXIT_USAGE;
    }
    if (!headless && (send_keys != NULL || type_text != NULL)) {
        fprintf(stderr, "spice-viewer: --send-keys and --type are for --headless runs (the window "
                "has a Send key menu)\n");
        g_strfreev(send_keys);
        g_free(type_text);
        return EXIT_USAGE;
    }
    if (!(timeout_s > 0) || !(settle_s >= 0)) {
        fprintf(stderr, "spice-viewer: --timeout must be > 0 and --settle >= 0\n");
        return EXIT_USAGE;
    }
    uint8_t preferred = 0;
    if (compression != NULL) {
        static const struct { const char *name; uint8_t value; } names[] = {
            { "off", SPICE_IMAGE_COMPRESSION_OFF }, { "quic", SPICE_IMAGE_COMPRESSION_QUIC },
            { "lz", SPICE_IMAGE_COMPRESSION_LZ }, { "auto-lz", SPICE_IMAGE_COMPRESSION_AUTO_LZ },
            { "glz", SPICE_IMAGE_COMPRESSION_GLZ }, { "auto-glz", SPICE_IMAGE_COMPRESSION_AUTO_GLZ },
            { "lz4", SPICE_IMAGE_COMPRESSION_LZ4 },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
            if (strcmp(compression, names[i].name) == 0) {
                preferred = names[i].value;
            }
        }
        if (preferred == 0) {
            fprintf(stderr, "spice-viewer: unknown --preferred-compression '%s' (off, quic, lz, auto-lz, glz, auto-glz, lz4)\n",
                    compression);
            g_free(compression);
            return EXIT_USAGE;
        }
        g_free(compression);
    }
    ViewerTarget target;
    char *target_error = NULL;
    ViewerTargetFailure failure;
    bool resolved = viewer_target_resolve(argv[1], libvirt_uri, &target, &target_error, &failure);
    g_free(libvirt_uri);
    if (!resolved) {
        fprintf(stderr, "spice-viewer: %s%s\n",
                failure == VIEWER_TARGET_UNREACHABLE ? "connect failed: " : "", target_error);
        g_free(target_error);
        g_free(ca_file);
        g_free(host_subject);
        g_free(screenshot);
        g_free(password);
        viewer_window_options_clear(&window_opts);
        return failure == VIEWER_TARGET_UNREACHABLE ? EXIT_CONNECT : EXIT_USAGE;
    }
    viewer_target_override(&target, password, ca_file, host_subject);
    g_free(ca_file);
    g_free(host_subject);
    /* A .vv file's title and fullscreen=1 count unless the command line says otherwise. */
    if (window_opts.title == NULL && target.title != NULL) {
        window_opts.title = g_strdup(target.title);
    }
    if (target.fullscreen) {
        window_opts.full_screen = TRUE;
    }
    SessionConfig config = { .target = &target, .preferred_compression = preferred };
    if (!headless) {
        int code = viewer_window_run(&window_opts, target.label, target.password,
                                     new_session, &config);
        viewer_window_options_clear(&window_opts);
        viewer_target_clear(&target);
        g_free(screenshot);
        g_free(password);
        return code;
    }
    Viewer v = { .screenshot = screenshot, .settle_s = settle_s, .exit_code = EXIT_PROTOCOL };
    if (send_keys != NULL || type_text != NULL) {
        GArray *steps = g_array_new(FALSE, FALSE, sizeof(KeyStep));
        char *key_error = NULL;
        bool keys_ok = key_delay_ms >= 0;
        for (char **c = send_keys; keys_ok && c && *c; c++) {
            keys_ok = key_sequence_from_combo(steps, *c, &key_error);
        }
        if (keys_ok && type_text != NULL) {
            keys_ok = key_sequence_from_text(steps, type_text, &key_error);
        }
        g_strfreev(send_keys);
        g_free(type_text);
        if (!keys_ok) {
            fprintf(stderr, "spice-viewer: %s\n", key_error ? key_error : "--key-delay must be >= 0");
            g_free(key_error);
            g_array_unref(steps);
            return EXIT_USAGE;
        }
        v.keys = key_player_new(steps, (unsigned)key_delay_ms);
    }
    v.loop = g_main_loop_new(NULL, FALSE);
    v.session = new_session(NULL, &config);
    SpiceClientCallbacks cb = { .state_changed = on_state, .display_event = on_display };
    spice_client_session_set_callbacks(v.session, &cb, &v);
    spice_client_session_connect(v.session);
    guint tick = g_timeout_add(100, on_tick, &v);
    guint timer = g_timeout_add((guint)(timeout_s * 1000), on_timeout, &v);
    g_main_loop_run(v.loop);
    remove_if_alive(timer);
    remove_if_alive(tick);
    key_player_free(v.keys);
    if (stats) {
        print_stream_stats(v.session);
    }
    spice_client_session_free(v.session);
    g_main_loop_unref(v.loop);
    viewer_target_clear(&target);
    g_free(screenshot);
    g_free(password);
    viewer_window_options_clear(&window_opts);
    return v.exit_code;
}
