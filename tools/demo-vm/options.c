/* options: the demo VM's command line, parsed and checked. */
#include "options.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#include <spice.h>

#define MIN_WIDTH 320
#define MIN_HEIGHT 200
#define MAX_SIDE 8192

/* The names QEMU's -spice image-compression= takes, as SpiceImageCompression values. */
static bool parse_image_compression(const char *text, int *out)
{
    static const struct { const char *name; int value; } modes[] = {
        { "off", SPICE_IMAGE_COMPRESSION_OFF },       { "auto_glz", SPICE_IMAGE_COMPRESSION_AUTO_GLZ },
        { "auto_lz", SPICE_IMAGE_COMPRESSION_AUTO_LZ }, { "quic", SPICE_IMAGE_COMPRESSION_QUIC },
        { "glz", SPICE_IMAGE_COMPRESSION_GLZ },       { "lz", SPICE_IMAGE_COMPRESSION_LZ },
        { "lz4", SPICE_IMAGE_COMPRESSION_LZ4 },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(text, modes[i].name) == 0) {
            *out = modes[i].value;
            return true;
        }
    }
    return false;
}

/* QEMU's -spice jpeg-wan-compression= and zlib-glz-wan-compression= values. */
static bool parse_wan(const char *text, int *out)
{
    static const struct { const char *name; int value; } modes[] = {
        { "auto", SPICE_WAN_COMPRESSION_AUTO },
        { "never", SPICE_WAN_COMPRESSION_NEVER },
        { "always", SPICE_WAN_COMPRESSION_ALWAYS },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(text, modes[i].name) == 0) {
            *out = modes[i].value;
            return true;
        }
    }
    return false;
}

/* QEMU's -spice streaming-video= values. */
static bool parse_streaming(const char *text, int *out)
{
    static const struct { const char *name; int value; } modes[] = {
        { "off", SPICE_STREAM_VIDEO_OFF },
        { "all", SPICE_STREAM_VIDEO_ALL },
        { "filter", SPICE_STREAM_VIDEO_FILTER },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(text, modes[i].name) == 0) {
            *out = modes[i].value;
            return true;
        }
    }
    return false;
}

/* "xor:X,Y,W,H,RRGGBB" or "scroll:ROWS"; sizes are checked against the picture later. */
static bool parse_image_step(const char *text, DemoImageStep *step)
{
    int x, y, w, h, rows, end = 0;
    unsigned color;
    if (sscanf(text, "xor:%d,%d,%d,%d,%6x%n", &x, &y, &w, &h, &color, &end) == 5 &&
        text[end] == '\0' && x >= 0 && y >= 0 && w > 0 && h > 0) {
        *step = (DemoImageStep){ .kind = DEMO_STEP_XOR, .x = x, .y = y, .w = w, .h = h,
                                 .color = color };
        return true;
    }
    if (sscanf(text, "scroll:%d%n", &rows, &end) == 1 && text[end] == '\0' && rows > 0) {
        *step = (DemoImageStep){ .kind = DEMO_STEP_SCROLL, .rows = rows };
        return true;
    }
    return false;
}

static bool parse_size(const char *text, int *width, int *height)
{
    char *end = NULL;
    gint64 w = g_ascii_strtoll(text, &end, 10);
    if (end == text || (*end != 'x' && *end != 'X')) {
        return false;
    }
    const char *rest = end + 1;
    gint64 h = g_ascii_strtoll(rest, &end, 10);
    if (end == rest || *end != '\0' || w < MIN_WIDTH || h < MIN_HEIGHT || w > MAX_SIDE || h > MAX_SIDE) {
        return false;
    }
    *width = (int)w;
    *height = (int)h;
    return true;
}

bool demo_options_parse(int argc, char **argv, DemoOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->port = 5900;
    gboolean noauth = FALSE;
    gboolean audio = FALSE;
    gboolean raw_playback = FALSE;
    gboolean image_cache = FALSE;   /* pixcache */
    char *size = NULL;
    char *compression = NULL;
    char *jpeg_wan = NULL, *zlib_glz_wan = NULL, *streaming = NULL;
    int expiry = -1;
    int frame_interval = -1;
    char **steps = NULL;
    GOptionEntry entries[] = {
        { "port", 'p', 0, G_OPTION_ARG_INT, &opts->port, "TCP port to listen on (default 5900)", "N" },
        { "addr", 'a', 0, G_OPTION_ARG_STRING, &opts->addr, "Address to listen on (default 127.0.0.1)", "A" },
        { "password", 0, 0, G_OPTION_ARG_STRING, &opts->password, "Clients must give this password", "PW" },
        { "noauth", 0, 0, G_OPTION_ARG_NONE, &noauth, "Clients connect without a password", NULL },
        { "ticket-expiry", 0, 0, G_OPTION_ARG_INT, &expiry, "The password expires after SECONDS (with --password)", "SECONDS" },
        { "image", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opts->images, "Show this PNG or JPEG pixel for pixel instead of the desktop; given several times (same size), the images play in order once a display client is connected, each drawn once", "FILE" },
        { "frame-interval", 0, 0, G_OPTION_ARG_INT, &frame_interval, "Milliseconds between the images of an --image sequence (default 500); the last one stays", "MS" },
        { "image-step", 0, 0, G_OPTION_ARG_STRING_ARRAY, &steps, "After the --image pictures, one more guest drawing step each frame interval: xor:X,Y,W,H,RRGGBB (a FILL with the XOR rop) or scroll:ROWS (COPY_BITS up, the freed rows filled black); may be repeated", "STEP" },
        { "image-compression", 0, 0, G_OPTION_ARG_STRING, &compression, "Image compression the server is given: off, auto_glz (default), auto_lz, quic, glz, lz, lz4", "MODE" },
        { "jpeg-wan-compression", 0, 0, G_OPTION_ARG_STRING, &jpeg_wan, "JPEG for photo-like images on slow links: auto (default), never, always", "MODE" },
        { "zlib-glz-wan-compression", 0, 0, G_OPTION_ARG_STRING, &zlib_glz_wan, "zlib over GLZ on slow links: auto (default), never, always", "MODE" },
        { "streaming-video", 0, 0, G_OPTION_ARG_STRING, &streaming, "Video streams for often-redrawn regions: off (default), all, filter", "MODE" },
        { "image-redraw", 0, 0, G_OPTION_ARG_DOUBLE, &opts->image_redraw, "Draw the shown --image again every SECONDS (for recording what clients receive)", "SECONDS" },
        { "size", 0, 0, G_OPTION_ARG_STRING, &size, "Desktop size (default 1024x768)", "WxH" },
        { "name", 0, 0, G_OPTION_ARG_STRING, &opts->name, "VM name shown to clients (default spice-demo-vm)", "NAME" },
        { "exit-after", 0, 0, G_OPTION_ARG_DOUBLE, &opts->exit_after, "Shut down cleanly after SECONDS", "SECONDS" },
        { "freeze-after", 0, 0, G_OPTION_ARG_DOUBLE, &opts->freeze_after, "Stop the animation after SECONDS (for pixel tests)", "SECONDS" },
        { "dump-frame", 0, 0, G_OPTION_ARG_FILENAME, &opts->dump_frame, "When frozen, write the demo's own picture to FILE (binary PPM)", "FILE" },
        { "audio", 0, 0, G_OPTION_ARG_NONE, &audio, "Add playback (a 440 Hz sine while a client listens) and record devices", NULL },
        { "no-playback-compression", 0, 0, G_OPTION_ARG_NONE, &raw_playback, "Playback stays raw PCM even for clients that decode Opus", NULL },
        /* pixcache */
        { "image-cache", 0, 0, G_OPTION_ARG_NONE, &image_cache, "Mark copied images cacheable (QXL_IMAGE_CACHE, id from the pixels), as Windows guests' drivers do", NULL },
        { NULL },
    };
    GOptionContext *context = g_option_context_new(NULL);
    g_option_context_set_summary(context,
        "A virtual machine without a CPU: plays QEMU's part towards libspice-server.so.1 through its public API\n"
        "(a QXL display with an animated desktop or an image, keyboard, mouse and tablet).\n"
        "Input events are printed on stdout, one line each.");
    g_option_context_add_main_entries(context, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(context, &argc, &argv, &error);
    g_option_context_free(context);
    opts->audio = audio;
    opts->raw_playback = raw_playback;
    if (!ok) {
        fprintf(stderr, "spice-demo-vm: %s (see --help)\n", error->message);
        g_error_free(error);
        g_free(size);
        g_free(compression);
        g_free(jpeg_wan);
        g_free(zlib_glz_wan);
        g_free(streaming);
        g_strfreev(steps);
        return false;
    }
    opts->noauth = noauth;
    opts->image_cache = image_cache;   /* pixcache */
    opts->n_images = opts->images ? (int)g_strv_length(opts->images) : 0;
    opts->n_image_steps = steps ? (int)g_strv_length(steps) : 0;
    opts->image_steps = g_new0(DemoImageStep, opts->n_image_steps + 1);
    const char *bad_step = NULL;
    for (int i = 0; i < opts->n_image_steps && !bad_step; i++) {
        if (!parse_image_step(steps[i], &opts->image_steps[i])) {
            bad_step = steps[i];
        }
    }
    if (argc > 1) {
        fprintf(stderr, "spice-demo-vm: unexpected argument '%s' (options start with --, see --help)\n", argv[1]);
        ok = false;
    } else if ((opts->password != NULL) == opts->noauth) {
        fprintf(stderr, "spice-demo-vm: choose how clients authenticate: give exactly one of --password PW or --noauth\n");
        ok = false;
    } else if (opts->password != NULL && (opts->password[0] == '\0' || strlen(opts->password) > 60)) {
        fprintf(stderr, "spice-demo-vm: --password must be 1 to 60 characters (SPICE tickets hold 60)\n");
        ok = false;
    } else if (expiry != -1 && (opts->password == NULL || expiry <= 0)) {
        fprintf(stderr, "spice-demo-vm: --ticket-expiry needs --password and a number of seconds above 0\n");
        ok = false;
    } else if (opts->port < 1 || opts->port > 65535) {
        fprintf(stderr, "spice-demo-vm: --port %d is not a TCP port: use 1..65535\n", opts->port);
        ok = false;
    } else if (size != NULL && opts->n_images > 0) {
        fprintf(stderr, "spice-demo-vm: --size and --image do not go together: the image sets the screen size\n");
        ok = false;
    } else if (size != NULL && !parse_size(size, &opts->width, &opts->height)) {
        fprintf(stderr, "spice-demo-vm: --size %s: use WIDTHxHEIGHT from %dx%d to %dx%d, e.g. 1024x768\n", size,
                MIN_WIDTH, MIN_HEIGHT, MAX_SIDE, MAX_SIDE);
        ok = false;
    } else if (compression != NULL && !parse_image_compression(compression, &opts->image_compression)) {
        fprintf(stderr, "spice-demo-vm: --image-compression %s: use off, auto_glz, auto_lz, quic, glz, lz or lz4\n", compression);
        ok = false;
    } else if (jpeg_wan != NULL && !parse_wan(jpeg_wan, &opts->jpeg_wan)) {
        fprintf(stderr, "spice-demo-vm: --jpeg-wan-compression %s: use auto, never or always\n", jpeg_wan);
        ok = false;
    } else if (zlib_glz_wan != NULL && !parse_wan(zlib_glz_wan, &opts->zlib_glz_wan)) {
        fprintf(stderr, "spice-demo-vm: --zlib-glz-wan-compression %s: use auto, never or always\n", zlib_glz_wan);
        ok = false;
    } else if (streaming != NULL && !parse_streaming(streaming, &opts->streaming_video)) {
        fprintf(stderr, "spice-demo-vm: --streaming-video %s: use off, all or filter\n", streaming);
        ok = false;
    } else if (frame_interval != -1 && (frame_interval < 1 || frame_interval > 3600000)) {
        fprintf(stderr, "spice-demo-vm: --frame-interval takes milliseconds from 1 to 3600000\n");
        ok = false;
    } else if (opts->image_redraw < 0 || (opts->image_redraw > 0 && opts->n_images == 0)) {
        fprintf(stderr, "spice-demo-vm: --image-redraw takes a number of seconds above 0 and needs --image\n");
        ok = false;
    } else if (bad_step != NULL || (opts->n_image_steps > 0 && opts->n_images == 0)) {
        fprintf(stderr, "spice-demo-vm: --image-step %s: use xor:X,Y,W,H,RRGGBB or scroll:ROWS, "
                "after at least one --image\n", bad_step ? bad_step : steps[0]);
        ok = false;
    } else if (opts->exit_after < 0 || opts->freeze_after < 0) {
        fprintf(stderr, "spice-demo-vm: --exit-after and --freeze-after take a number of seconds above 0\n");
        ok = false;
    } else if (opts->dump_frame != NULL && opts->freeze_after <= 0) {
        fprintf(stderr, "spice-demo-vm: --dump-frame is written when the scene freezes: add --freeze-after SECONDS\n");
        ok = false;
    }
    g_free(size);
    g_free(compression);
    g_free(jpeg_wan);
    g_free(zlib_glz_wan);
    g_free(streaming);
    g_strfreev(steps);
    if (!ok) {
        demo_options_clear(opts);
        return false;
    }
    opts->ticket_expiry = expiry > 0 ? expiry : 0;
    opts->frame_interval_ms = frame_interval > 0 ? frame_interval : 500;
    if (opts->image_compression == 0) {
        opts->image_compression = SPICE_IMAGE_COMPRESSION_AUTO_GLZ;
    }
    /* Zero is each enum's INVALID value: what QEMU sets when the option is absent. */
    if (opts->jpeg_wan == 0) {
        opts->jpeg_wan = SPICE_WAN_COMPRESSION_AUTO;
    }
    if (opts->zlib_glz_wan == 0) {
        opts->zlib_glz_wan = SPICE_WAN_COMPRESSION_AUTO;
    }
    if (opts->streaming_video == 0) {
        opts->streaming_video = SPICE_STREAM_VIDEO_OFF;
    }
    if (opts->width == 0) {
        opts->width = 1024;
        opts->height = 768;
    }
    if (opts->addr == NULL) {
        opts->addr = g_strdup("127.0.0.1");
    }
    if (opts->name == NULL) {
        opts->name = g_strdup("spice-demo-vm");
    }
    return true;
}

void demo_options_clear(DemoOptions *opts)
{
    g_free(opts->addr);
    g_free(opts->password);
    g_strfreev(opts->images);
    g_free(opts->name);
    g_free(opts->dump_frame);
    g_free(opts->image_steps);
    memset(opts, 0, sizeof(*opts));
}
