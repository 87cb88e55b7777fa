/* test-codec-paths: the codecs' AVX2, SSE2-baseline and plain C paths write the same streams and decode them back. */
/*
 * The encoders pick AVX2 copies of their loops at run time, run SSE2 code as the x86-64
 * baseline (SPICE_CODECS_CPU=baseline forces it) and fall back to plain C on other CPUs (a
 * build with -DCODECS_PORTABLE_ONLY has only that). Each path must give the same bytes:
 * streams are compared against upstream's on x86 only, so a plain C path that drifted would
 * otherwise go unnoticed until someone ran it elsewhere.
 *
 *   test-codec-paths --digest          prints one line per stream: codec, case, size, FNV-1a
 *                                      (and fails if a stream does not decode to its picture)
 *   test-codec-paths OTHER_EXECUTABLE  the test: compares its own --digest output with the
 *                                      baseline run of itself and with OTHER_EXECUTABLE's (the
 *                                      same program linked with the portable codecs)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "codecs/glz.h"
#include "codecs/lz.h"
#include "codecs/lz4-image.h"
#include "codecs/quic.h"
#include "test-pixbuf-images.h"

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static void print_stream(GString *out, const char *codec, const char *what, const uint8_t *data,
                         size_t size)
{
    g_string_append_printf(out, "%s %s %zu %016" G_GINT64_MODIFIER "x\n", codec, what, size,
                           (guint64)fnv1a(data, size));
}

/* The pictures: every kind at a size with a ragged width, and a text page big enough for the
 * encoders' 8-pixel loops, hash tables and far matches to matter. */
typedef struct Shape {
    uint32_t width, height;
} Shape;

static const Shape shapes[] = { { 37, 5 }, { 333, 77 }, { 1024, 300 } };

static void make_picture(Pixbuf *pb, PixbufFormat format, Shape shape, TestImageKind kind,
                         uint32_t seed)
{
    g_assert_cmpint(pixbuf_alloc(pb, format, shape.width, shape.height), ==, CODEC_OK);
    test_image_fill(pb, kind, seed);
}

static void quic_streams(GString *out)
{
    static const struct { QuicImageType type; PixbufFormat format; const char *name; } types[] = {
        { QUIC_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, "rgb32" },
        { QUIC_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, "rgba" },
        { QUIC_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, "rgb24" },
        { QUIC_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, "rgb16" },
        { QUIC_IMAGE_TYPE_GRAY, PIXBUF_FORMAT_A8, "gray" },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
            for (int kind = 0; kind < TEST_IMAGE_KIND_COUNT; kind++) {
                Pixbuf src, back;
                make_picture(&src, types[t].format, shapes[s], kind, 7 + (uint32_t)s);
                size_t cap = quic_encode_bound(types[t].type, src.width, src.height), size;
                uint8_t *stream = g_malloc(cap);
                g_assert_cmpint(quic_encode(&src, types[t].type, stream, cap, &size), ==, CODEC_OK);
                g_autofree char *what = g_strdup_printf("%s/%s/%ux%u", types[t].name,
                                                        test_image_kind_name(kind), src.width,
                                                        src.height);
                print_stream(out, "quic", what, stream, size);
                g_assert_cmpint(quic_decode_new(stream, size, types[t].format, UINT64_MAX, &back,
                                                NULL), ==, CODEC_OK);
                g_assert_true(test_pixbuf_same_pixels(&src, &back));
                pixbuf_free(&back);
                g_free(stream);
                pixbuf_free(&src);
            }
        }
    }
}

static void lz_streams(GString *out)
{
    /* XXXA and the palette types are digested only: decoding them needs colour or a palette
     * the round-trip tests (test-lz) provide. */
    static const struct { LzImageType type; PixbufFormat format; const char *name; } types[] = {
        { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, "rgb32" },
        { LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, "rgba" },
        { LZ_IMAGE_TYPE_XXXA, PIXBUF_FORMAT_ARGB32, "xxxa" },
        { LZ_IMAGE_TYPE_RGB24, PIXBUF_FORMAT_RGB24, "rgb24" },
        { LZ_IMAGE_TYPE_RGB16, PIXBUF_FORMAT_RGB16, "rgb16" },
        { LZ_IMAGE_TYPE_A8, PIXBUF_FORMAT_A8, "a8" },
        { LZ_IMAGE_TYPE_PLT8, PIXBUF_FORMAT_PLT8, "plt8" },
        { LZ_IMAGE_TYPE_PLT4_LE, PIXBUF_FORMAT_PLT4_LE, "plt4le" },
        { LZ_IMAGE_TYPE_PLT1_BE, PIXBUF_FORMAT_PLT1_BE, "plt1be" },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
            for (int kind = 0; kind < TEST_IMAGE_KIND_COUNT; kind++) {
                Pixbuf src;
                make_picture(&src, types[t].format, shapes[s], kind, 11 + (uint32_t)s);
                size_t cap = lz_encode_bound(types[t].type, src.width, src.height), size;
                uint8_t *stream = g_malloc(cap);
                g_assert_cmpint(lz_encode(&src, types[t].type, true, stream, cap, &size), ==,
                                CODEC_OK);
                g_autofree char *what = g_strdup_printf("%s/%s/%ux%u", types[t].name,
                                                        test_image_kind_name(kind), src.width,
                                                        src.height);
                print_stream(out, "lz", what, stream, size);
                bool plain = types[t].type >= LZ_IMAGE_TYPE_RGB16 &&
                             types[t].type != LZ_IMAGE_TYPE_XXXA;
                if (plain) {
                    Pixbuf back;
                    g_assert_cmpint(lz_decode_new(stream, size, NULL, types[t].format, UINT64_MAX,
                                                  &back, NULL), ==, CODEC_OK);
                    g_assert_true(test_pixbuf_same_pixels(&src, &back));
                    pixbuf_free(&back);
                }
                g_free(stream);
                pixbuf_free(&src);
            }
        }
    }
}

/* A copy of @src moved up by @rows (the bottom rows from @fill): a scrolled page. */
static void scrolled(const Pixbuf *src, uint32_t rows, const Pixbuf *fill, Pixbuf *out)
{
    g_assert_cmpint(pixbuf_alloc(out, src->format, src->width, src->height), ==, CODEC_OK);
    for (uint32_t y = 0; y < src->height; y++) {
        const Pixbuf *from = y + rows < src->height ? src : fill;
        uint32_t from_y = y + rows < src->height ? y + rows : y;
        memcpy(out->data + (size_t)y * out->stride, from->data + (size_t)from_y * from->stride,
               (size_t)src->width * 4);
    }
}

/* One sequence through one dictionary and one window, as a client session sees it: every kind,
 * a page and the same page scrolled (cross-image matches), for RGB32 and RGBA. */
static void glz_streams(GString *out)
{
    static const struct { LzImageType type; PixbufFormat format; const char *name; } types[] = {
        { LZ_IMAGE_TYPE_RGB32, PIXBUF_FORMAT_XRGB32, "rgb32" },
        { LZ_IMAGE_TYPE_RGBA, PIXBUF_FORMAT_ARGB32, "rgba" },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        GlzDictionary *dict = glz_dictionary_new(4u << 20);
        GlzWindow *window = glz_window_new(8u << 20);
        g_assert_true(dict != NULL && window != NULL);
        unsigned n = 0;
        for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
            for (int kind = 0; kind < TEST_IMAGE_KIND_COUNT + 1; kind++) {
                Pixbuf src, other;
                if (kind < TEST_IMAGE_KIND_COUNT) {
                    make_picture(&src, types[t].format, shapes[s], kind, 23 + (uint32_t)s);
                } else {
                    Pixbuf page;
                    make_picture(&page, types[t].format, shapes[s], TEST_IMAGE_TEXT, 23 + (uint32_t)s);
                    make_picture(&other, types[t].format, shapes[s], TEST_IMAGE_GRADIENT, 5);
                    scrolled(&page, shapes[s].height / 3, &other, &src);
                    pixbuf_free(&other);
                    pixbuf_free(&page);
                }
                size_t cap = glz_encode_bound(types[t].type, src.width, src.height), size;
                uint8_t *stream = g_malloc(cap);
                g_assert_cmpint(glz_encode(dict, &src, types[t].type, true, stream, cap, &size,
                                           NULL), ==, CODEC_OK);
                g_autofree char *what = g_strdup_printf("%s/%u/%ux%u", types[t].name, n++,
                                                        src.width, src.height);
                print_stream(out, "glz", what, stream, size);
                Pixbuf back;
                g_assert_cmpint(glz_decode(window, stream, size, &back, NULL), ==, CODEC_OK);
                g_assert_true(test_pixbuf_same_pixels(&src, &back));
                pixbuf_free(&back);
                g_free(stream);
                pixbuf_free(&src);
            }
        }
        glz_window_free(window);
        glz_dictionary_free(dict);
    }
}

static void lz4_streams(GString *out)
{
    /* 32-bit pictures whose 4th byte repeats go through our pixel writer (its AVX2, SSE2 and
     * plain C paths), the others through liblz4. */
    static const struct { PixbufFormat format; const char *name; int fourth_byte; } types[] = {
        { PIXBUF_FORMAT_XRGB32, "xrgb32", -1 },
        { PIXBUF_FORMAT_XRGB32, "xrgb32-x255", 255 },
        { PIXBUF_FORMAT_ARGB32, "argb32", -1 },
        { PIXBUF_FORMAT_RGB24, "rgb24", -1 },
        { PIXBUF_FORMAT_RGB16, "rgb16", -1 },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(types); t++) {
        for (size_t s = 0; s < G_N_ELEMENTS(shapes); s++) {
            for (int kind = 0; kind < TEST_IMAGE_KIND_COUNT; kind++) {
                Pixbuf src, back;
                make_picture(&src, types[t].format, shapes[s], kind, 31 + (uint32_t)s);
                if (types[t].fourth_byte >= 0) {
                    test_pixbuf_set_fourth_byte(&src, (uint8_t)types[t].fourth_byte);
                }
                size_t cap = lz4_image_encode_bound(src.format, src.width, src.height, 0), size;
                uint8_t *stream = g_malloc(cap);
                g_assert_cmpint(lz4_image_encode(&src, true, 0, stream, cap, &size), ==, CODEC_OK);
                g_autofree char *what = g_strdup_printf("%s/%s/%ux%u", types[t].name,
                                                        test_image_kind_name(kind), src.width,
                                                        src.height);
                print_stream(out, "lz4", what, stream, size);
                g_assert_cmpint(lz4_image_decode_new(stream, size, src.width, src.height,
                                                     UINT64_MAX, &back, NULL), ==, CODEC_OK);
                g_assert_true(test_pixbuf_same_pixels(&src, &back));
                pixbuf_free(&back);
                g_free(stream);
                pixbuf_free(&src);
            }
        }
    }
}

static char *all_digests(void)
{
    GString *out = g_string_new(NULL);
    quic_streams(out);
    lz_streams(out);
    glz_streams(out);
    lz4_streams(out);
    return g_string_free(out, FALSE);
}

/* Runs @argv with SPICE_CODECS_CPU set to @cpu (NULL: unset) and returns its output. */
static char *digests_of(const char *const *argv, const char *cpu)
{
    char **env = g_get_environ();
    env = cpu != NULL ? g_environ_setenv(env, "SPICE_CODECS_CPU", cpu, TRUE)
                      : g_environ_unsetenv(env, "SPICE_CODECS_CPU");
    char *out = NULL;
    int status = 0;
    GError *error = NULL;
    gboolean ran = g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                                &out, NULL, &status, &error);
    g_strfreev(env);
    g_assert_no_error(error);
    g_assert_true(ran);
    if (!g_spawn_check_wait_status(status, &error)) {
        g_error("%s --digest failed (%s): a stream did not decode to its picture on that path",
                argv[0], error->message);
    }
    return out;
}

/* Fails naming the first stream where @got (from @who) differs from @want. */
static void assert_same_streams(const char *want, const char *got, const char *who)
{
    g_auto(GStrv) a = g_strsplit(want, "\n", -1);
    g_auto(GStrv) b = g_strsplit(got, "\n", -1);
    guint na = g_strv_length(a), nb = g_strv_length(b);
    for (guint i = 0; i < na && i < nb; i++) {
        if (strcmp(a[i], b[i]) != 0) {
            g_error("%s writes a different stream: expected \"%s\", got \"%s\"", who, a[i], b[i]);
        }
    }
    g_assert_cmpuint(na, ==, nb);
    g_assert_cmpuint(na, >, 200);   /* every case ran (246 streams) */
}

static const char *self_path, *portable_path;

static void test_paths_agree(void)
{
    g_autofree char *mine = all_digests();
    const char *self_argv[] = { self_path, "--digest", NULL };
    g_autofree char *baseline = digests_of(self_argv, "baseline");
    assert_same_streams(mine, baseline, "the SSE2 baseline (SPICE_CODECS_CPU=baseline)");
    const char *portable_argv[] = { portable_path, "--digest", NULL };
    g_autofree char *portable = digests_of(portable_argv, NULL);
    assert_same_streams(mine, portable, "the plain C build (CODECS_PORTABLE_ONLY)");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--digest") == 0) {
        g_autofree char *digests = all_digests();
        fputs(digests, stdout);
        return 0;
    }
    g_test_init(&argc, &argv, NULL);
    if (argc != 2) {
        fprintf(stderr, "usage: %s --digest | %s PORTABLE_EXECUTABLE\n", argv[0], argv[0]);
        return 2;
    }
    self_path = argv[0];
    portable_path = argv[1];
    g_test_add_func("/codec-paths/same-streams", test_paths_agree);
    return g_test_run();
}
