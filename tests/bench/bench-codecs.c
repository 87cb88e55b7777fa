/* bench-codecs: per-codec encode/decode MP/s and bits per pixel on desktop images, ours vs upstream. */
/*
 * Not a test (CI runs only --smoke). Build optimised and without sanitizers for numbers:
 *   meson setup build-bench --buildtype=release && ninja -C build-bench
 *   tests/bench/build-upstream-shim.sh build-bench/upstream        (optional: upstream side)
 *   build-bench/tests/bench/bench-codecs --upstream build-bench/upstream/libupstream-codecs.so
 *
 * Usage: bench-codecs [--reps N] [--codecs quic,lz,glz,lz4] [--upstream LIB] [--glz-window PX]
 *                     [--smoke] [IMAGE_OR_DIR ...]
 * Images are PNG/PPM (anything gdk-pixbuf reads), coded as 32-bit XRGB like a QXL surface.
 * Without images the standard 1920x1080 set (tests/bench/make-bench-images.py) is generated
 * into the build directory once. --smoke uses tiny built-in pictures and one repetition.
 *
 * Every measurement is repeated --reps times, ours and upstream's interleaved within each
 * repetition so both see the same machine load; the best (shortest) time of each is kept.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time.
 * Before timing, each stream is decoded and compared with the source: ours by our decoder,
 * upstream's by upstream's, and across (upstream decodes ours, ours decodes upstream's);
 * QUIC streams are also compared byte for byte. Any mismatch is reported on the line and makes
 * the exit status 1.
 * Upstream's GLZ and LZ4 decoding is spice-gtk's (a library built without it leaves those
 * columns empty). LZ4 decoding is timed as each client does it for an LZ4 image: allocate
 * the picture and decode into it (spice-gtk's canvas_get_lz4 creates a pixman surface; ours
 * is lz4_image_decode_new), then free it.
 * The "dec" columns time each decoder on its own encoder's streams (GLZ: both on ours). The
 * "theirs" column times both on upstream's streams, as ratio ours/upstream: what our client
 * gains on what upstream's server sends. Our LZ and LZ4 streams have fewer, longer matches,
 * which decode faster whoever decodes them, so the two ratios differ.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codecs/glz.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/quic.h"
#include "tests/bench/upstream-shim.h"
#include "test-pixbuf-images.h"

#define MAX_IMAGES 64

typedef struct Image {
    char name[64];
    Pixbuf pb;   /* XRGB32, packed, owned */
} Image;

typedef struct Upstream {
#define DECLARE_FIELD(type, name) type name;
    UPSTREAM_SHIM_SYMBOLS(DECLARE_FIELD)
    UPSTREAM_SHIM_CLIENT_SYMBOLS(DECLARE_FIELD)   /* NULL when the library predates them */
#undef DECLARE_FIELD
} Upstream;

typedef struct Options {
    unsigned reps;
    bool smoke;
    bool want[4];   /* quic, lz, glz, lz4 */
    uint32_t glz_window;
    const char *upstream_path;
} Options;

enum { CODEC_QUIC, CODEC_LZ, CODEC_GLZ, CODEC_LZ4, CODEC_COUNT };
static const char *const codec_names[CODEC_COUNT] = { "quic", "lz", "glz", "lz4" };

/* Best times (seconds) and sizes of one codec on one image; < 0 = not measured. dec_theirs,
 * up_dec_theirs: both decoders on upstream's stream (what each client spends on what
 * upstream's server sends). */
typedef struct Result {
    double enc, dec, up_enc, up_dec, dec_theirs, up_dec_theirs;
    size_t bytes, up_bytes;
    char check[96];
} Result;

static int exit_status;
static volatile unsigned copy_sink;

/* This thread's CPU time: on a shared machine, time spent descheduled is not the codec's. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void keep_best(double *best, double t)
{
    if (*best < 0 || t < *best) {
        *best = t;
    }
}

static void note(Result *r, const char *what)
{
    size_t len = strlen(r->check);
    snprintf(r->check + len, sizeof(r->check) - len, "%s%s", len ? "," : "", what);
}

static void fail(Result *r, const char *what)
{
    note(r, what);
    exit_status = 1;
}

/* ---- images ---- */

static bool load_image(const char *path, Image *out)
{
    GError *err = NULL;
    GdkPixbuf *gp = gdk_pixbuf_new_from_file(path, &err);
    if (gp == NULL) {
        fprintf(stderr, "bench-codecs: cannot load %s: %s\n", path, err ? err->message : "?");
        g_clear_error(&err);
        return false;
    }
    int w = gdk_pixbuf_get_width(gp), h = gdk_pixbuf_get_height(gp);
    int channels = gdk_pixbuf_get_n_channels(gp), stride = gdk_pixbuf_get_rowstride(gp);
    const guchar *px = gdk_pixbuf_read_pixels(gp);
    if (pixbuf_alloc(&out->pb, PIXBUF_FORMAT_XRGB32, (uint32_t)w, (uint32_t)h) != CODEC_OK) {
        g_object_unref(gp);
        return false;
    }
    for (int y = 0; y < h; y++) {
        const guchar *s = px + (size_t)y * stride;
        uint8_t *d = pixbuf_row(&out->pb, (uint32_t)y);
        for (int x = 0; x < w; x++, s += channels, d += 4) {
            d[0] = s[2];
            d[1] = s[1];
            d[2] = s[0];
            d[3] = 0;
        }
    }
    g_object_unref(gp);
    const char *base = strrchr(path, '/');
    snprintf(out->name, sizeof(out->name), "%s", base ? base + 1 : path);
    char *dot = strrchr(out->name, '.');
    if (dot != NULL) {
        *dot = '\0';
    }
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads files and directories (their *.png / *.ppm in name order) into @images. */
static size_t load_paths(char **paths, int count, Image *images)
{
    size_t n = 0;
    for (int i = 0; i < count && n < MAX_IMAGES; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "bench-codecs: %s: %s\n", paths[i], strerror(errno));
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            n += load_image(paths[i], &images[n]);
            continue;
        }
        DIR *dir = opendir(paths[i]);
        char *names[MAX_IMAGES];
        size_t k = 0;
        for (struct dirent *e; dir && (e = readdir(dir)) != NULL && k < MAX_IMAGES;) {
            const char *ext = strrchr(e->d_name, '.');
            if (ext && (strcmp(ext, ".png") == 0 || strcmp(ext, ".ppm") == 0)) {
                names[k++] = g_strdup_printf("%s/%s", paths[i], e->d_name);
            }
        }
        if (dir) {
            closedir(dir);
        }
        qsort(names, k, sizeof(names[0]), compare_names);
        for (size_t j = 0; j < k; j++) {
            if (n < MAX_IMAGES) {
                n += load_image(names[j], &images[n]);
            }
            g_free(names[j]);
        }
    }
    return n;
}

/* Tiny synthetic pictures for --smoke (and a scrolled pair, for GLZ's cross-image path). */
static size_t smoke_images(Image *images)
{
    static const TestImageKind kinds[] = { TEST_IMAGE_GRADIENT, TEST_IMAGE_TEXT, TEST_IMAGE_NOISE };
    size_t n = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++, n++) {
        pixbuf_alloc(&images[n].pb, PIXBUF_FORMAT_XRGB32, 96, 64);
        test_image_fill(&images[n].pb, kinds[i], 1);
        snprintf(images[n].name, sizeof(images[n].name), "%s", test_image_kind_name(kinds[i]));
    }
    pixbuf_alloc(&images[n].pb, PIXBUF_FORMAT_XRGB32, 96, 64);
    for (uint32_t y = 0; y < 64; y++) {   /* the text picture moved up by 5 rows */
        memcpy(pixbuf_row(&images[n].pb, y), pixbuf_row(&images[1].pb, (y + 5) % 64), 96 * 4);
    }
    snprintf(images[n].name, sizeof(images[n].name), "text-scrolled");
    return n + 1;
}

/* Runs make-bench-images.py into @dir unless it already holds the set. */
static bool generate_default_images(const char *dir)
{
    char marker[4096];
    snprintf(marker, sizeof(marker), "%s/scroll-b.png", dir);
    if (access(marker, R_OK) == 0) {
        return true;
    }
    fprintf(stderr, "bench-codecs: drawing the standard images into %s\n", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", BENCH_IMAGE_SCRIPT, dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
           WEXITSTATUS(status) == 0;
}

/* ---- checks ---- */

/* Same RGB in every pixel (the X byte is not coded by any of these codecs). */
static bool same_rgb(const Pixbuf *a, const uint8_t *b, size_t b_stride)
{
    for (uint32_t y = 0; y < a->height; y++) {
        const uint8_t *p = pixbuf_row(a, y), *q = b + y * b_stride;
        for (uint32_t x = 0; x < a->width; x++) {
            if (p[4 * x] != q[4 * x] || p[4 * x + 1] != q[4 * x + 1] ||
                p[4 * x + 2] != q[4 * x + 2]) {
                return false;
            }
        }
    }
    return true;
}

/* ---- one codec on one image (QUIC, LZ, LZ4: no state across images) ---- */

typedef struct Buffers {
    uint8_t *out, *up_out;
    size_t cap;
    Pixbuf dec;
} Buffers;

static bool ours_encode(int codec, const Pixbuf *src, uint8_t *out, size_t cap, size_t *size)
{
    switch (codec) {
    case CODEC_QUIC: return quic_encode(src, QUIC_IMAGE_TYPE_RGB32, out, cap, size) == CODEC_OK;
    case CODEC_LZ: return lz_encode(src, LZ_IMAGE_TYPE_RGB32, true, out, cap, size) == CODEC_OK;
    case CODEC_LZ4: return lz4_image_encode(src, true, 0, out, cap, size) == CODEC_OK;
    }
    return false;
}

static bool ours_decode(int codec, const uint8_t *data, size_t size, Pixbuf *dst)
{
    switch (codec) {
    case CODEC_QUIC: return quic_decode(data, size, dst, NULL) == CODEC_OK;
    case CODEC_LZ: return lz_decode(data, size, NULL, dst, NULL) == CODEC_OK;
    case CODEC_LZ4: return lz4_image_decode(data, size, dst, NULL) == CODEC_OK;
    }
    return false;
}

/* The timed decode: into @dst, except LZ4, which is timed the way the client decodes an LZ4
 * image (a fresh picture, freed again; see the top of this file). */
static bool ours_decode_timed(int codec, const uint8_t *data, size_t size, Pixbuf *dst)
{
    if (codec != CODEC_LZ4) {
        return ours_decode(codec, data, size, dst);
    }
    Pixbuf pic;
    bool ok = lz4_image_decode_new(data, size, dst->width, dst->height, UINT64_MAX, &pic,
                                   NULL) == CODEC_OK;
    if (ok) {
        pixbuf_free(&pic);
    }
    return ok;
}

static bool up_has(const Upstream *up, int codec)
{
    return up != NULL && (codec != CODEC_LZ4 || up->up_lz4_encode != NULL);
}

static bool up_encode(const Upstream *up, int codec, const Pixbuf *src, uint8_t *out, size_t cap,
                      size_t *size)
{
    int w = (int)src->width, h = (int)src->height, s = (int)src->stride;
    switch (codec) {
    case CODEC_QUIC: return up->up_quic_encode(QUIC_IMAGE_TYPE_RGB32, w, h, src->data, s, out, cap, size) == 0;
    case CODEC_LZ: return up->up_lz_encode(LZ_IMAGE_TYPE_RGB32, w, h, src->data, s, out, cap, size) == 0;
    case CODEC_LZ4:
        return up->up_lz4_encode(SPICE_BITMAP_FMT_32BIT, h, src->data, s, 1, out, cap, size) == 0;
    }
    return false;
}

/* Decodes into @dst, or (LZ4 with @dst_pixels false: the timed run) only into upstream's own
 * fresh surface, which it frees again. */
static bool up_decode_to(const Upstream *up, int codec, const uint8_t *data, size_t size,
                         Pixbuf *dst, bool dst_pixels)
{
    switch (codec) {
    case CODEC_QUIC:
        return up->up_quic_decode(data, size, QUIC_IMAGE_TYPE_RGB32, dst->data, (int)dst->stride) == 0;
    case CODEC_LZ: return up->up_lz_decode(data, size, LZ_IMAGE_TYPE_RGB32, dst->data) == 0;
    case CODEC_LZ4:
        return up->up_lz4_decode(data, size, (int)dst->width, (int)dst->height,
                                 dst_pixels ? dst->data : NULL, (int)dst->stride) == 0;
    }
    return false;
}

static bool up_decode(const Upstream *up, int codec, const uint8_t *data, size_t size, Pixbuf *dst)
{
    return up_decode_to(up, codec, data, size, dst, true);
}

static void bench_stateless(int codec, const Image *img, const Upstream *up, const Options *o,
                            Buffers *b, Result *r)
{
    const Pixbuf *src = &img->pb;
    bool has_up = up_has(up, codec);
    if (!ours_encode(codec, src, b->out, b->cap, &r->bytes)) {
        fail(r, "ENCODE-FAILED");
        return;
    }
    if (!ours_decode(codec, b->out, r->bytes, &b->dec) || !same_rgb(src, b->dec.data, b->dec.stride)) {
        fail(r, "OWN-DECODE-MISMATCH");
    }
    if (has_up) {
        if (!up_encode(up, codec, src, b->up_out, b->cap, &r->up_bytes)) {
            fail(r, "UPSTREAM-ENCODE-FAILED");
            has_up = false;
        } else {
            if (!up_decode(up, codec, b->up_out, r->up_bytes, &b->dec) ||
                !same_rgb(src, b->dec.data, b->dec.stride)) {
                fail(r, "UPSTREAM-SELF-MISMATCH");
            }
            bool cross = up_decode(up, codec, b->out, r->bytes, &b->dec) &&
                         same_rgb(src, b->dec.data, b->dec.stride);
            note(r, cross ? "upstream-decodes-ours" : "UPSTREAM-REJECTS-OURS");
            exit_status |= !cross;
            cross = ours_decode(codec, b->up_out, r->up_bytes, &b->dec) &&
                    same_rgb(src, b->dec.data, b->dec.stride);
            note(r, cross ? "ours-decodes-upstream" : "OURS-REJECTS-UPSTREAM");
            exit_status |= !cross;
            if (codec == CODEC_QUIC) {
                bool same = r->bytes == r->up_bytes && memcmp(b->out, b->up_out, r->bytes) == 0;
                note(r, same ? "byte-identical" : "QUIC-BYTES-DIFFER");
                exit_status |= !same;
            }
        }
    }
    for (unsigned rep = 0; rep < o->reps; rep++) {
        size_t size;
        double t = now();
        ours_encode(codec, src, b->out, b->cap, &size);
        keep_best(&r->enc, now() - t);
        if (has_up) {
            t = now();
            up_encode(up, codec, src, b->up_out, b->cap, &size);
            keep_best(&r->up_enc, now() - t);
        }
        t = now();
        ours_decode_timed(codec, b->out, r->bytes, &b->dec);
        keep_best(&r->dec, now() - t);
        if (has_up) {
            t = now();
            up_decode_to(up, codec, b->up_out, r->up_bytes, &b->dec, false);
            keep_best(&r->up_dec, now() - t);
            t = now();
            ours_decode_timed(codec, b->up_out, r->up_bytes, &b->dec);
            keep_best(&r->dec_theirs, now() - t);
        }
    }
    r->up_dec_theirs = r->up_dec;   /* upstream's decoder was timed on its own stream */
}

/* ---- GLZ: the images are one sequence through one dictionary (and one decoder window) ---- */

/* spice-gtk's decoder on the next stream of its sequence: @check (the untimed pass) compares
 * the pixels with @src and notes @good or @bad; otherwise it is timed into *@best. */
static void glz_up_decode(const Upstream *up, const Pixbuf *src, const uint8_t *stream,
                          bool check, double *best, Result *r, const char *good, const char *bad)
{
    Pixbuf out = { 0 };
    if (check && pixbuf_alloc(&out, PIXBUF_FORMAT_XRGB32, src->width, src->height) != CODEC_OK) {
        fail(r, "NO-MEMORY");
        return;
    }
    double t = now();
    bool ok = up->up_glz_decode(stream, 0, out.data, (int)out.stride) == 0;
    double dt = now() - t;
    if (!check) {
        keep_best(best, dt);
        return;
    }
    ok = ok && same_rgb(src, out.data, out.stride);
    if (ok && good != NULL) {
        note(r, good);
    } else if (!ok) {
        fail(r, bad);
    }
    pixbuf_free(&out);
}

static void bench_glz(const Image *images, size_t n, const Upstream *up, const Options *o,
                      Result *results /* [n] */)
{
    uint8_t **streams = calloc(n, sizeof(*streams));
    uint8_t **up_streams = calloc(n, sizeof(*up_streams));
    /* The dictionary keeps a reference to each image, as upstream's keeps the caller's
     * bitmap; the images outlive every dictionary, so there is nothing to release. */
    GlzSharedPixels **shared = calloc(n, sizeof(*shared));
    for (size_t i = 0; i < n; i++) {
        size_t cap = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, images[i].pb.width, images[i].pb.height);
        streams[i] = malloc(cap);
        up_streams[i] = malloc(cap);
        const Pixbuf *pb = &images[i].pb;
        shared[i] = glz_shared_pixels_wrap(pb->data, (size_t)pb->height * pb->stride, NULL, NULL);
    }
    for (unsigned rep = 0; rep < o->reps + 1; rep++) {
        bool first = rep == 0;   /* untimed pass: sizes and checks */
        GlzDictionary *dict = glz_dictionary_new(o->glz_window);
        bool up_ok = up != NULL && up->up_glz_reset(o->glz_window) == 0;
        for (size_t i = 0; i < n; i++) {
            Result *r = &results[i];
            const Pixbuf *src = &images[i].pb;
            size_t cap = glz_encode_bound(LZ_IMAGE_TYPE_RGB32, src->width, src->height), size;
            double t = now();
            CodecStatus st = glz_encode_shared(dict, src, shared[i], LZ_IMAGE_TYPE_RGB32, true,
                                               streams[i], cap, &size, NULL);
            if (!first) {
                keep_best(&r->enc, now() - t);
            } else if (st != CODEC_OK) {
                fail(r, "ENCODE-FAILED");
            } else {
                r->bytes = size;
            }
            if (up_ok) {
                t = now();
                int ust = up->up_glz_encode(LZ_IMAGE_TYPE_RGB32, (int)src->width, (int)src->height,
                                            src->data, (int)src->stride, up_streams[i], cap, &size);
                if (!first) {
                    keep_best(&r->up_enc, now() - t);
                } else if (ust != 0) {
                    fail(r, "UPSTREAM-ENCODE-FAILED");
                } else {
                    r->up_bytes = size;
                }
            }
        }
        glz_dictionary_free(dict);

        /* Decode the sequence with our window and (side 0, interleaved image by image)
         * spice-gtk's, both from our streams; side 1: ours from upstream's streams. */
        bool up_dec = up != NULL && up->up_glz_decode != NULL;
        for (int side = 0; side < (first && up_ok ? 2 : 1); side++) {
            GlzWindow *win = glz_window_new((uint64_t)o->glz_window * 2);
            bool up_side = side == 0 && up_dec && up->up_glz_decode_reset() == 0;
            for (size_t i = 0; i < n; i++) {
                if (up_side) {
                    glz_up_decode(up, &images[i].pb, streams[i], first, &results[i].up_dec,
                                  &results[i], "upstream-decodes-ours", "UPSTREAM-REJECTS-OURS");
                }
                Result *r = &results[i];
                /* As our client decodes: into the window's own pixels, drawn from there (the
                 * same one copy spice-gtk's decoder makes into its window). */
                GlzPixels *pixels = NULL;
                double t = now();
                CodecStatus st = glz_decode_shared(win, side ? up_streams[i] : streams[i],
                                                   side ? r->up_bytes : r->bytes, &pixels, NULL);
                double dt = now() - t;
                bool ok = st == CODEC_OK &&
                          same_rgb(&images[i].pb, (const uint8_t *)glz_pixels_data(pixels),
                                   images[i].pb.width * 4u);
                glz_pixels_unref(pixels);
                if (!first) {
                    keep_best(&r->dec, dt);
                } else if (side == 0 && !ok) {
                    fail(r, "OWN-DECODE-MISMATCH");
                } else if (side == 1) {
                    note(r, ok ? "ours-decodes-upstream" : "OURS-REJECTS-UPSTREAM");
                    exit_status |= !ok;
                }
            }
            glz_window_free(win);
        }
        if (first && up_ok && up_dec && up->up_glz_decode_reset() == 0) {
            for (size_t i = 0; i < n; i++) {
                glz_up_decode(up, &images[i].pb, up_streams[i], true, NULL, &results[i], NULL,
                              "UPSTREAM-SELF-MISMATCH");
            }
        }
        /* Both decoders on upstream's sequence, interleaved image by image. */
        if (!first && up_ok && up_dec && up->up_glz_decode_reset() == 0) {
            GlzWindow *win = glz_window_new((uint64_t)o->glz_window * 2);
            for (size_t i = 0; i < n; i++) {
                Result *r = &results[i];
                glz_up_decode(up, &images[i].pb, up_streams[i], false, &r->up_dec_theirs, r,
                              NULL, NULL);
                GlzPixels *pixels = NULL;
                double t = now();
                glz_decode_shared(win, up_streams[i], r->up_bytes, &pixels, NULL);
                keep_best(&r->dec_theirs, now() - t);
                glz_pixels_unref(pixels);
            }
            glz_window_free(win);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(streams[i]);
        free(up_streams[i]);
        glz_shared_pixels_unref(shared[i]);
    }
    free(streams);
    free(up_streams);
    free(shared);
}

/* ---- output ---- */

static double mps(uint64_t pixels, double seconds)
{
    return seconds > 0 ? pixels / seconds / 1e6 : 0;
}

static void print_rate(double ours, double theirs, bool has_up)
{
    if (!has_up) {
        printf(" %8.1f %8s %6s |", ours, "-", "-");
    } else {
        printf(" %8.1f %8.1f %5.2fx |", ours, theirs, theirs > 0 ? ours / theirs : 0);
    }
}

static void print_header(void)
{
    printf("%-13s %-5s | %8s %8s %6s | %8s %8s %6s | %6s | %6s %6s | %s\n", "image", "codec",
           "enc MP/s", "upstream", "ratio", "dec MP/s", "upstream", "ratio", "theirs", "bpp",
           "up bpp", "checks");
}

static void print_line(const char *image, int codec, uint64_t pixels, const Result *r,
                       bool has_up_enc, bool has_up_dec)
{
    printf("%-13s %-5s |", image, codec_names[codec]);
    print_rate(mps(pixels, r->enc), mps(pixels, r->up_enc), has_up_enc);
    print_rate(mps(pixels, r->dec), mps(pixels, r->up_dec), has_up_dec);
    if (has_up_dec && r->dec_theirs > 0 && r->up_dec_theirs > 0) {
        printf(" %5.2fx |", r->up_dec_theirs / r->dec_theirs);
    } else {
        printf(" %6s |", "-");
    }
    printf(" %6.3f", 8.0 * r->bytes / pixels);
    if (has_up_enc) {
        printf(" %6.3f", 8.0 * r->up_bytes / pixels);
    } else {
        printf(" %6s", "-");
    }
    printf(" | %s\n", r->check[0] ? r->check : "ok");
}

static bool load_upstream(const char *path, Upstream *up)
{
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "bench-codecs: %s (build it with tests/bench/build-upstream-shim.sh)\n",
                dlerror());
        return false;
    }
#define LOOKUP(type, name)                                                      \
    if ((up->name = (type)dlsym(lib, #name)) == NULL) {                         \
        fprintf(stderr, "bench-codecs: %s lacks %s\n", path, #name);            \
        return false;                                                           \
    }
    UPSTREAM_SHIM_SYMBOLS(LOOKUP)
#undef LOOKUP
#define LOOKUP_OPTIONAL(type, name) up->name = (type)dlsym(lib, #name);
    UPSTREAM_SHIM_CLIENT_SYMBOLS(LOOKUP_OPTIONAL)
#undef LOOKUP_OPTIONAL
    return true;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench-codecs [--reps N] [--codecs quic,lz,glz,lz4] [--upstream LIB]\n"
                    "                    [--glz-window PIXELS] [--smoke] [IMAGE_OR_DIR ...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    /* Big frames from the heap, never handed back to the kernel: otherwise every fresh 8 MB
     * buffer costs ~2000 page faults, which on a VM can cost more than the codec itself and
     * make the numbers erratic. Both sides run under the same allocator. */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    Options o = { .reps = 5, .want = { true, true, true, true }, .glz_window = 1u << 23 };
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--smoke") == 0) {
            o.smoke = true;
            o.reps = 1;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            o.reps = (unsigned)atoi(argv[++i]);
        } else if (strcmp(argv[i], "--glz-window") == 0 && i + 1 < argc) {
            o.glz_window = (uint32_t)strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--upstream") == 0 && i + 1 < argc) {
            o.upstream_path = argv[++i];
        } else if (strcmp(argv[i], "--codecs") == 0 && i + 1 < argc) {
            char *list = g_strdup(argv[++i]), *save = NULL;
            memset(o.want, 0, sizeof(o.want));
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                for (int c = 0; c < CODEC_COUNT; c++) {
                    o.want[c] |= strcmp(t, codec_names[c]) == 0;
                }
            }
            g_free(list);
        } else {
            usage();
        }
    }
    if (o.reps == 0) {
        usage();
    }

    static Image images[MAX_IMAGES];
    size_t n;
    if (o.smoke) {
        n = smoke_images(images);
    } else if (i < argc) {
        n = load_paths(argv + i, argc - i, images);
    } else {
        char *dir = BENCH_IMAGE_DIR;
        n = generate_default_images(dir) ? load_paths(&dir, 1, images) : 0;
    }
    if (n == 0) {
        fprintf(stderr, "bench-codecs: no images\n");
        return 2;
    }
    Upstream upstream, *up = NULL;
    if (o.upstream_path != NULL) {
        if (!load_upstream(o.upstream_path, &upstream)) {
            return 2;
        }
        up = &upstream;
    }

    /* Ceiling: a plain copy of each frame. */
    uint64_t total_pixels = 0;
    double copy_best = 0;
    for (size_t k = 0; k < n; k++) {
        const Pixbuf *src = &images[k].pb;
        size_t bytes = (size_t)src->stride * src->height;
        uint8_t *dst = malloc(bytes);
        memset(dst, 1, bytes);   /* fault the pages in before timing */
        double best = -1;
        for (unsigned rep = 0; rep < o.reps + 2; rep++) {
            double t = now();
            memcpy(dst, src->data, bytes);
            copy_sink += dst[(rep * 4099u) % bytes];   /* keeps the copy observable */
            keep_best(&best, now() - t);
        }
        free(dst);
        copy_best += best;
        total_pixels += (uint64_t)src->width * src->height;
    }
    printf("bench-codecs: %zu images, %u repetitions (best kept), 32-bit pixels, upstream: %s\n",
           n, o.reps, up ? o.upstream_path : "not loaded (--upstream LIB)");
    printf("memcpy        ceiling %8.1f MP/s\n", mps(total_pixels, copy_best));
    print_header();

    Result *results = calloc(CODEC_COUNT * n, sizeof(Result));
    for (size_t k = 0; k < CODEC_COUNT * n; k++) {
        results[k].enc = results[k].dec = results[k].up_enc = results[k].up_dec = -1;
        results[k].dec_theirs = results[k].up_dec_theirs = -1;
    }
    for (size_t k = 0; k < n; k++) {
        const Pixbuf *src = &images[k].pb;
        Buffers b = { 0 };
        b.cap = quic_encode_bound(QUIC_IMAGE_TYPE_RGB32, src->width, src->height);
        size_t lz_cap = lz_encode_bound(LZ_IMAGE_TYPE_RGB32, src->width, src->height);
        size_t lz4_cap = lz4_image_encode_bound(PIXBUF_FORMAT_XRGB32, src->width, src->height, 0);
        b.cap = b.cap > lz_cap ? b.cap : lz_cap;
        b.cap = b.cap > lz4_cap ? b.cap : lz4_cap;
        b.out = malloc(b.cap);
        b.up_out = malloc(b.cap);
        pixbuf_alloc(&b.dec, PIXBUF_FORMAT_XRGB32, src->width, src->height);
        for (int c = 0; c < CODEC_COUNT; c++) {
            if (o.want[c] && c != CODEC_GLZ) {
                bench_stateless(c, &images[k], up, &o, &b, &results[c * n + k]);
            }
        }
        pixbuf_free(&b.dec);
        free(b.out);
        free(b.up_out);
    }
    if (o.want[CODEC_GLZ]) {
        bench_glz(images, n, up, &o, &results[CODEC_GLZ * n]);
    }

    for (int c = 0; c < CODEC_COUNT; c++) {
        if (!o.want[c]) {
            continue;
        }
        bool up_enc = up_has(up, c);
        bool up_dec = up_enc && (c != CODEC_GLZ || up->up_glz_decode != NULL);
        Result sum = { .check = "-" };
        for (size_t k = 0; k < n; k++) {
            const Result *r = &results[c * n + k];
            print_line(images[k].name, c, (uint64_t)images[k].pb.width * images[k].pb.height, r,
                       up_enc, up_dec);
            sum.enc += r->enc;
            sum.dec += r->dec;
            sum.up_enc += r->up_enc;
            sum.up_dec += r->up_dec;
            sum.dec_theirs += r->dec_theirs;
            sum.up_dec_theirs += r->up_dec_theirs;
            sum.bytes += r->bytes;
            sum.up_bytes += r->up_bytes;
        }
        print_line("ALL", c, total_pixels, &sum, up_enc, up_dec);
    }
    if (!up) {
        printf("(upstream side: tests/bench/build-upstream-shim.sh BUILDDIR/upstream, then "
               "--upstream BUILDDIR/upstream/libupstream-codecs.so)\n");
    }
    for (size_t k = 0; k < n; k++) {
        pixbuf_free(&images[k].pb);
    }
    free(results);
    return exit_status;
}
