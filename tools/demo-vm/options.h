/* options: the demo VM's command line, parsed and checked. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* --image-step: a guest drawing step played after the --image sequence. */
typedef enum DemoImageStepKind { DEMO_STEP_XOR, DEMO_STEP_SCROLL } DemoImageStepKind;
typedef struct DemoImageStep {
    DemoImageStepKind kind;
    int x, y, w, h;      /* XOR: the box, inside the picture */
    uint32_t color;      /* XOR: 0xRRGGBB */
    int rows;            /* SCROLL: rows moved up, 1..height-1 */
} DemoImageStep;

typedef struct DemoOptions {
    int port;            /* 1..65535, default 5900 */
    char *addr;          /* default "127.0.0.1" */
    char *password;      /* NULL with --noauth */
    bool noauth;
    int ticket_expiry;   /* seconds the password stays valid, 0 = forever */
    char **images;       /* NULL-terminated --image files, played in order; NULL: the desktop */
    int n_images;        /* entries of @images */
    int frame_interval_ms; /* between images of a sequence, default 500 */
    int width, height;   /* desktop size, default 1024x768 */
    char *name;          /* VM name told to clients, default "spice-demo-vm" */
    double exit_after;   /* seconds, 0 = run until SIGINT/SIGTERM */
    double freeze_after; /* seconds, 0 = animate until the end */
    char *dump_frame;    /* PPM written when the scene freezes, or NULL */
    bool audio;          /* playback (a 440 Hz sine) and record devices */
    bool raw_playback;   /* spice_server_set_playback_compression(0): no Opus even if the client can */
    double image_redraw;  /* seconds between full redraws of the shown image, 0 = never */
    int image_compression; /* SpiceImageCompression; default AUTO_GLZ (QEMU's default) */
    int jpeg_wan;          /* spice_wan_compression_t; default AUTO (QEMU's default) */
    int zlib_glz_wan;      /* spice_wan_compression_t; default AUTO (QEMU's default) */
    int streaming_video;   /* SPICE_STREAM_VIDEO_*; default OFF (QEMU's default) */
    /* pixcache: copies carry QXL_IMAGE_CACHE and an id made from their pixels, as QEMU guests'
     * drivers mark images the server may cache (default off: the Linux driver does not). */
    bool image_cache;
    DemoImageStep *image_steps;  /* owned, n_image_steps entries; checked against the picture */
    int n_image_steps;
} DemoOptions;

/*
 * Fills @opts from the command line. On a mistake prints one line naming the option and the fix
 * and returns false (--help prints the usage and exits). The strings in @opts are owned by it:
 * demo_options_clear frees them.
 */
bool demo_options_parse(int argc, char **argv, DemoOptions *opts);
void demo_options_clear(DemoOptions *opts);
