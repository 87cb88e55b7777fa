/* spice-demo-vm: a CPU-less virtual machine that drives libspice-server.so.1 through its public API, the way QEMU does. */
#include <glib-unix.h>
#include <glib.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <spice.h>

#include "audio-device.h"
#include "core-glib.h"
#include "image-load.h"
#include "input-log.h"
#include "options.h"
#include "qxl-device.h"
#include "scene.h"

/*
 * Threads: everything here, the core interface, the input callbacks and the scene run on the
 * main thread (the GLib default main context), as in QEMU. The library's worker thread only
 * enters qxl-device.c's callbacks.
 */

typedef struct Freeze {
    Scene *scene;
    const char *dump_frame;
} Freeze;

/* SIGUSR1: one line with the QXL command counts, so tests can see the guest making progress. */
static gboolean print_counts(gpointer data)
{
    uint64_t fetched, released;
    qxl_device_counts(data, &fetched, &released);
    printf("spice-demo-vm: qxl fetched %" PRIu64 " released %" PRIu64 "\n", fetched, released);
    fflush(stdout);
    return G_SOURCE_CONTINUE;
}

static gboolean freeze_scene(gpointer data)
{
    Freeze *freeze = data;
    scene_freeze(freeze->scene);
    if (freeze->dump_frame != NULL && scene_write_ppm(freeze->scene, freeze->dump_frame)) {
        printf("spice-demo-vm: frozen, frame written to %s\n", freeze->dump_frame);
    } else {
        printf("spice-demo-vm: frozen\n");
    }
    fflush(stdout);
    return G_SOURCE_REMOVE;
}

/*
 * An --image sequence: the screen starts with the first image; once a display client is
 * connected the images are drawn in order, each once as a full-screen drawable, @interval_ms
 * apart, and the last one stays; then the --image-step drawing steps follow, as far apart.
 * Waiting for the client makes every frame reach it (a client linking later only gets the
 * current picture), which is what tests of cross-image coding and of draws over them need.
 */
typedef struct Playback {
    Scene *scene;
    QxlDevice *dev;
    uint32_t **frames;   /* owned by main(), n_frames entries */
    int n_frames;
    const DemoImageStep *steps;   /* borrowed from the options, n_steps entries */
    int n_steps;
    int next;            /* the frame (then step, counting on from n_frames) drawn next */
    guint interval_ms;
} Playback;

static void play_image_step(Scene *scene, const DemoImageStep *step)
{
    if (step->kind == DEMO_STEP_XOR) {
        scene_xor(scene, step->x, step->y, step->w, step->h, step->color);
    } else {
        scene_scroll_up(scene, step->rows);
    }
}

static gboolean playback_step(gpointer data)
{
    Playback *play = data;
    if (play->next < play->n_frames) {
        scene_show_image(play->scene, play->frames[play->next]);
        printf("spice-demo-vm: image %d of %d drawn\n", play->next + 1, play->n_frames);
    } else {
        int step = play->next - play->n_frames;
        play_image_step(play->scene, &play->steps[step]);
        printf("spice-demo-vm: step %d of %d drawn\n", step + 1, play->n_steps);
    }
    fflush(stdout);
    play->next++;
    return play->next < play->n_frames + play->n_steps ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* Every --image-step fits the picture; false (with one line naming the step) if not. */
static bool image_steps_fit(const DemoOptions *opts, uint32_t width, uint32_t height)
{
    for (int i = 0; i < opts->n_image_steps; i++) {
        const DemoImageStep *s = &opts->image_steps[i];
        bool fits = s->kind == DEMO_STEP_XOR ?
                    (int64_t)s->x + s->w <= width && (int64_t)s->y + s->h <= height :
                    (uint32_t)s->rows < height;
        if (!fits) {
            fprintf(stderr, "spice-demo-vm: --image-step %d does not fit the %ux%u picture: "
                    "keep its box inside it (scroll fewer rows than the height)\n", i + 1,
                    width, height);
            return false;
        }
    }
    return true;
}

static gboolean playback_wait_client(gpointer data)
{
    Playback *play = data;
    if (!qxl_device_client_present(play->dev)) {
        return G_SOURCE_CONTINUE;
    }
    if (playback_step(play)) {
        g_timeout_add(play->interval_ms, playback_step, play);
    }
    return G_SOURCE_REMOVE;
}

/* Loads every --image; all must have the size of the first (the screen's). */
static bool load_images(const DemoOptions *opts, uint32_t **frames, uint32_t *width, uint32_t *height)
{
    for (int i = 0; i < opts->n_images; i++) {
        uint32_t w = 0, h = 0;
        if (!image_load(opts->images[i], &frames[i], &w, &h)) {
            return false;
        }
        if (i == 0) {
            *width = w;
            *height = h;
        } else if (w != *width || h != *height) {
            fprintf(stderr, "spice-demo-vm: --image %s is %ux%u but the first image is %ux%u: "
                    "the images of a sequence must have one size\n", opts->images[i], w, h,
                    *width, *height);
            return false;
        }
    }
    return true;
}

static gboolean redraw_scene(gpointer data)
{
    scene_redraw(data);
    return G_SOURCE_CONTINUE;
}

static gboolean quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

/* Server settings QEMU 7.2 makes by default (captures/calls_qxl.log), then authentication. */
static bool configure_server(SpiceServer *server, const DemoOptions *opts)
{
    spice_server_set_addr(server, opts->addr, 0);
    if (spice_server_set_port(server, opts->port) != 0) {
        fprintf(stderr, "spice-demo-vm: the library refused port %d: use 1..65535\n", opts->port);
        return false;
    }
    if (opts->noauth) {
        spice_server_set_noauth(server);
    } else if (spice_server_set_ticket(server, opts->password, opts->ticket_expiry, 0, 0) != 0) {
        fprintf(stderr, "spice-demo-vm: the library refused the password: use 1 to 60 characters\n");
        return false;
    }
    spice_server_set_image_compression(server, (SpiceImageCompression)opts->image_compression);
    spice_server_set_jpeg_compression(server, (spice_wan_compression_t)opts->jpeg_wan);
    spice_server_set_zlib_glz_compression(server, (spice_wan_compression_t)opts->zlib_glz_wan);
    spice_server_set_streaming_video(server, opts->streaming_video);
    spice_server_set_agent_mouse(server, 1);
    spice_server_set_playback_compression(server, opts->raw_playback ? 0 : 1);
    spice_server_set_name(server, opts->name);
    /* A fixed UUID: the demo is always "the same machine". */
    static const uint8_t uuid[16] = { 0x5d, 0xe3, 0x0d, 0x10, 0x5b, 0x1c, 0x4a, 0x7e,
                                      0x9a, 0x4f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
    spice_server_set_uuid(server, uuid);
    return true;
}

static bool add_interface(SpiceServer *server, SpiceBaseInstance *sin)
{
    if (spice_server_add_interface(server, sin) != 0) {
        fprintf(stderr, "spice-demo-vm: the library refused the %s interface %u.%u (is it an upstream-compatible libspice-server.so.1?)\n",
                sin->sif->type, sin->sif->major_version, sin->sif->minor_version);
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    DemoOptions opts;
    if (!demo_options_parse(argc, argv, &opts)) {
        return 2;
    }
    /* QEMU ignores SIGPIPE too: a client vanishing mid-write is an error value, not a signal. */
    signal(SIGPIPE, SIG_IGN);

    uint32_t width = (uint32_t)opts.width, height = (uint32_t)opts.height;
    int n_frames = opts.n_images;
    uint32_t **frames = g_new0(uint32_t *, n_frames + 1);
    QxlDevice *dev = NULL;
    if (!load_images(&opts, frames, &width, &height) || !image_steps_fit(&opts, width, height) ||
        (dev = qxl_device_new(width, height)) == NULL) {
        for (int i = 0; i < n_frames; i++) {
            g_free(frames[i]);
        }
        g_free(frames);
        demo_options_clear(&opts);
        return 1;
    }
    Playback playback = { .dev = dev, .frames = frames, .n_frames = n_frames,
                          .steps = opts.image_steps, .n_steps = opts.n_image_steps,
                          .interval_ms = (guint)opts.frame_interval_ms };

    GMainLoop *loop = g_main_loop_new(NULL, FALSE);
    SpiceCoreInterface *core = core_glib_interface(g_main_context_default());
    int status = 1;
    Scene *scene = NULL;
    bool initialized = false;
    bool added_kbd = false, added_mouse = false, added_qxl = false, added_tablet = false;
    AudioDevice *audio = NULL;

    SpiceServer *server = spice_server_new();
    if (server == NULL) {
        fprintf(stderr, "spice-demo-vm: spice_server_new failed (check the library's messages above)\n");
        goto out;
    }
    if (!configure_server(server, &opts)) {
        goto out;
    }
    if (spice_server_init(server, core) != 0) {
        fprintf(stderr, "spice-demo-vm: cannot listen on %s:%d (spice_server_init failed): "
                "is the port in use? choose another with --port\n", opts.addr, opts.port);
        goto out;
    }
    initialized = true;
    /* QEMU's order: keyboard, mouse, qxl; the tablet once the guest has an absolute pointer. */
    added_kbd = add_interface(server, &input_log_keyboard()->base);
    added_mouse = added_kbd && add_interface(server, &input_log_mouse()->base);
    added_qxl = added_mouse && add_interface(server, &qxl_device_instance(dev)->base);
    added_tablet = added_qxl && add_interface(server, &input_log_tablet()->base);
    if (!added_tablet) {
        goto out;
    }
    /* QEMU adds its sound card after the display, before the VM starts. */
    if (opts.audio) {
        audio = audio_device_new();
        if (!audio_device_attach(audio, server)) {
            goto out;
        }
    }
    qxl_device_set_image_cache(dev, opts.image_cache);   /* pixcache */
    qxl_device_power_on(dev);
    spice_server_vm_start(server);

    if (n_frames > 0) {
        scene = scene_new_image(dev, frames[0], (int)width, (int)height);
    } else {
        char *caption = g_strdup_printf("Served on %s:%d", opts.addr, opts.port);
        scene = scene_new_desktop(dev, (int)width, (int)height, caption);
        g_free(caption);
    }
    scene_start(scene);

    g_unix_signal_add(SIGINT, quit_loop, loop);
    g_unix_signal_add(SIGTERM, quit_loop, loop);
    g_unix_signal_add(SIGUSR1, print_counts, dev);
    Freeze freeze = { scene, opts.dump_frame };
    if (opts.freeze_after > 0) {
        g_timeout_add((guint)(opts.freeze_after * 1000), freeze_scene, &freeze);
    }
    if (n_frames > 1 || opts.n_image_steps > 0) {
        playback.scene = scene;
        g_timeout_add(50, playback_wait_client, &playback);
    }
    if (opts.image_redraw > 0) {
        g_timeout_add((guint)(opts.image_redraw * 1000), redraw_scene, scene);
    }
    if (opts.exit_after > 0) {
        g_timeout_add((guint)(opts.exit_after * 1000), quit_loop, loop);
    }
    printf("spice-demo-vm: listening on %s:%d\n", opts.addr, opts.port);
    fflush(stdout);
    g_main_loop_run(loop);
    status = 0;

    /* Shut down as a guest powering off: the driver unloads, then the VM stops. */
    scene_stop(scene);
    qxl_device_power_off(dev);
    spice_server_vm_stop(server);
out:
    if (audio != NULL) {
        audio_device_detach(audio);
        audio_device_free(audio);
    }
    if (added_tablet) {
        spice_server_remove_interface(&input_log_tablet()->base);
    }
    if (added_qxl) {
        spice_server_remove_interface(&qxl_device_instance(dev)->base);
    }
    /* Keyboard and mouse stay until spice_server_destroy: QEMU never removes them, upstream cannot. */
    /* QEMU exits without destroying a server whose init failed; so does the demo. */
    if (initialized) {
        spice_server_destroy(server);
    }
    /* Only now is the library done with the guest memory. */
    if (status == 0) {
        qxl_device_finish(dev);
    }
    scene_free(scene);
    qxl_device_free(dev);
    g_main_loop_unref(loop);
    for (int i = 0; i < n_frames; i++) {
        g_free(frames[i]);
    }
    g_free(frames);
    demo_options_clear(&opts);
    if (status == 0) {
        printf("spice-demo-vm: stopped\n");
    }
    return status;
}
