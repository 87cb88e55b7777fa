/* upstream-shim: bench-only wrapper exposing upstream's QUIC, LZ, GLZ and LZ4 encoders (and QUIC/LZ decoders) to bench-codecs. */
/*
 * Built ONLY by tests/bench/build-upstream-shim.sh, against the sources of Debian's spice 0.15.1
 * source package unpacked in the build directory (never in the tree): its quic.c, lz.c
 * (spice-common), glz-encoder*.c and lz4-encoder.c (server). This file is ours: it only drives
 * upstream's public entry points the way spice-server and spice-gtk do, one whole image per
 * call. The client's GLZ and LZ4 decoding is in upstream-shim-client.c (spice-gtk's sources).
 * Upstream reports errors through a no-return callback: we longjmp back and return -1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lz.h"
#include "common/quic.h"
#include "glz-encoder.h"
#include "lz4-encoder.h"

#include "upstream-shim.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

static jmp_buf shim_error_jump;

/* ---- logging and allocation callbacks shared by the three usr contexts ---- */

static void shim_vreport(const char *what, const char *fmt, va_list ap)
{
    if (getenv("UPSTREAM_SHIM_VERBOSE") != NULL) {
        fprintf(stderr, "upstream %s: ", what);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
    }
}

#define DEFINE_CALLBACKS(Usr, prefix)                                                     \
    SPICE_GNUC_NORETURN static void prefix##_error(Usr *usr, const char *fmt, ...)       \
    {                                                                                     \
        (void)usr;                                                                        \
        va_list ap;                                                                       \
        va_start(ap, fmt);                                                                \
        shim_vreport("error", fmt, ap);                                                   \
        va_end(ap);                                                                       \
        longjmp(shim_error_jump, 1);                                                      \
    }                                                                                     \
    static void prefix##_warn(Usr *usr, const char *fmt, ...)                            \
    {                                                                                     \
        (void)usr;                                                                        \
        va_list ap;                                                                       \
        va_start(ap, fmt);                                                                \
        shim_vreport("warning", fmt, ap);                                                 \
        va_end(ap);                                                                       \
    }                                                                                     \
    static void *prefix##_malloc(Usr *usr, int size)                                      \
    {                                                                                     \
        (void)usr;                                                                        \
        return malloc((size_t)size);                                                      \
    }                                                                                     \
    static void prefix##_free(Usr *usr, void *ptr)                                        \
    {                                                                                     \
        (void)usr;                                                                        \
        free(ptr);                                                                        \
    }

/* ---- QUIC ---- */

DEFINE_CALLBACKS(QuicUsrContext, quic)

static int quic_no_more_space(QuicUsrContext *usr, uint32_t **io_ptr, int rows_completed)
{
    (void)usr, (void)io_ptr, (void)rows_completed;
    return 0;
}

static int quic_no_more_lines(QuicUsrContext *usr, uint8_t **lines)
{
    (void)usr, (void)lines;
    return 0;
}

static QuicUsrContext quic_usr = {
    .error = quic_error, .warn = quic_warn, .info = quic_warn,
    .malloc = quic_malloc, .free = quic_free,
    .more_space = quic_no_more_space, .more_lines = quic_no_more_lines,
};
static QuicContext *quic_ctx;

static QuicContext *quic_get(void)
{
    if (quic_ctx == NULL) {
        quic_ctx = quic_create(&quic_usr);
    }
    return quic_ctx;
}

SHIM_EXPORT int up_quic_encode(int type, int width, int height, const uint8_t *pixels,
                               int stride, uint8_t *out, size_t capacity, size_t *out_size)
{
    QuicContext *q = quic_get();
    if (q == NULL || setjmp(shim_error_jump)) {
        return -1;
    }
    int words = quic_encode(q, (QuicImageType)type, width, height, (uint8_t *)pixels,
                            (unsigned)height, stride, (uint32_t *)(void *)out,
                            (unsigned)(capacity / 4));
    *out_size = (size_t)words * 4;
    return words > 0 ? 0 : -1;
}

SHIM_EXPORT int up_quic_decode(const uint8_t *data, size_t size, int out_type, uint8_t *pixels,
                               int stride)
{
    QuicContext *q = quic_get();
    if (q == NULL || setjmp(shim_error_jump)) {
        return -1;
    }
    QuicImageType type;
    int width, height;
    if (quic_decode_begin(q, (uint32_t *)(void *)data, (unsigned)(size / 4), &type, &width,
                          &height) != QUIC_OK) {
        return -1;
    }
    return quic_decode(q, (QuicImageType)out_type, pixels, stride) == QUIC_OK ? 0 : -1;
}

/* ---- LZ ---- */

DEFINE_CALLBACKS(LzUsrContext, lz)

static int lz_no_more_space(LzUsrContext *usr, uint8_t **io_ptr)
{
    (void)usr, (void)io_ptr;
    return 0;
}

static int lz_no_more_lines(LzUsrContext *usr, uint8_t **lines)
{
    (void)usr, (void)lines;
    return 0;
}

static LzUsrContext lz_usr = {
    .error = lz_error, .warn = lz_warn, .info = lz_warn,
    .malloc = lz_malloc, .free = lz_free,
    .more_space = lz_no_more_space, .more_lines = lz_no_more_lines,
};
static LzContext *lz_ctx;

static LzContext *lz_get(void)
{
    if (lz_ctx == NULL) {
        lz_ctx = lz_create(&lz_usr);
    }
    return lz_ctx;
}

SHIM_EXPORT int up_lz_encode(int type, int width, int height, const uint8_t *pixels, int stride,
                             uint8_t *out, size_t capacity, size_t *out_size)
{
    LzContext *lz = lz_get();
    if (lz == NULL || setjmp(shim_error_jump)) {
        return -1;
    }
    int bytes = lz_encode(lz, (LzImageType)type, width, height, 1, (uint8_t *)pixels,
                          (unsigned)height, stride, out, (unsigned)capacity);
    *out_size = (size_t)bytes;
    return bytes > 0 ? 0 : -1;
}

SHIM_EXPORT int up_lz_decode(const uint8_t *data, size_t size, int out_type, uint8_t *pixels)
{
    LzContext *lz = lz_get();
    if (lz == NULL || setjmp(shim_error_jump)) {
        return -1;
    }
    LzImageType type;
    int width, height, n_pixels, top_down;
    lz_decode_begin(lz, (uint8_t *)data, (unsigned)size, &type, &width, &height, &n_pixels,
                    &top_down, NULL);
    lz_decode(lz, (LzImageType)out_type, pixels);
    return 0;
}

/* ---- GLZ encoder (the server's; the decoder lives in spice-gtk) ---- */

DEFINE_CALLBACKS(GlzEncoderUsrContext, glz)

static int glz_no_more_space(GlzEncoderUsrContext *usr, uint8_t **io_ptr)
{
    (void)usr, (void)io_ptr;
    return 0;
}

static int glz_no_more_lines(GlzEncoderUsrContext *usr, uint8_t **lines)
{
    (void)usr, (void)lines;
    return 0;
}

static void glz_free_image(GlzEncoderUsrContext *usr, GlzUsrImageContext *image)
{
    (void)usr, (void)image;   /* the bench owns every frame for the whole run */
}

static GlzEncoderUsrContext glz_usr = {
    .error = glz_warn, .warn = glz_warn, .info = glz_warn,
    .malloc = glz_malloc, .free = glz_free,
    .more_lines = glz_no_more_lines, .more_space = glz_no_more_space,
    .free_image = glz_free_image,
};
static GlzEncDictContext *glz_dict;
static GlzEncoderContext *glz_enc;

SHIM_EXPORT int up_glz_reset(uint32_t window_pixels)
{
    if (glz_enc != NULL) {
        glz_encoder_destroy(glz_enc);
        glz_enc = NULL;
    }
    if (glz_dict != NULL) {
        glz_enc_dictionary_destroy(glz_dict, &glz_usr);
        glz_dict = NULL;
    }
    glz_dict = glz_enc_dictionary_create(window_pixels, 1, &glz_usr);
    glz_enc = glz_dict != NULL ? glz_encoder_create(0, glz_dict, &glz_usr) : NULL;
    return glz_enc != NULL ? 0 : -1;
}

SHIM_EXPORT int up_glz_encode(int type, int width, int height, const uint8_t *pixels, int stride,
                              uint8_t *out, size_t capacity, size_t *out_size)
{
    if (glz_enc == NULL) {
        return -1;
    }
    GlzEncDictImageContext *image = NULL;
    int bytes = glz_encode(glz_enc, (LzImageType)type, width, height, 1, (uint8_t *)pixels,
                           (unsigned)height, stride, out, (unsigned)capacity, NULL, &image);
    *out_size = (size_t)bytes;
    return bytes > 0 ? 0 : -1;
}

/* ---- LZ4 encoder (the server's lz4-encoder.c; liblz4 underneath) ---- */

/* spice-server feeds lz4_encode one QXL data chunk per call to more_lines, and each becomes
 * one LZ4 block: the bench's bitmaps are one chunk (as the Linux QXL driver and our demo VM
 * send them), so the whole image is one block. */
typedef struct ShimLz4Usr {
    Lz4EncoderUsrContext usr;
    uint8_t *pixels;
    int height;
} ShimLz4Usr;

static int lz4_no_more_space(Lz4EncoderUsrContext *usr, uint8_t **io_ptr)
{
    (void)usr, (void)io_ptr;
    return 0;
}

static int lz4_one_chunk(Lz4EncoderUsrContext *usr, uint8_t **lines)
{
    ShimLz4Usr *u = (ShimLz4Usr *)usr;
    int rows = u->height;
    *lines = u->pixels;
    u->height = 0;
    return rows;
}

static ShimLz4Usr lz4_usr = { .usr = { .more_space = lz4_no_more_space, .more_lines = lz4_one_chunk } };
static Lz4EncoderContext *lz4_enc;

SHIM_EXPORT int up_lz4_encode(int bitmap_format, int height, const uint8_t *pixels, int stride,
                              int top_down, uint8_t *out, size_t capacity, size_t *out_size)
{
    if (lz4_enc == NULL) {
        lz4_enc = lz4_encoder_create(&lz4_usr.usr);
    }
    if (lz4_enc == NULL || setjmp(shim_error_jump)) {
        return -1;
    }
    lz4_usr.pixels = (uint8_t *)pixels;
    lz4_usr.height = height;
    int bytes = lz4_encode(lz4_enc, height, stride, out, (unsigned)capacity, top_down,
                           (uint8_t)bitmap_format);
    *out_size = (size_t)bytes;
    return bytes > 0 ? 0 : -1;
}

/* upstream's log.c needs recorder/backtrace glue; its codecs only call spice_log. */
void spice_log(GLogLevelFlags log_level, const char *strloc, const char *function,
                           const char *format, ...)
{
    (void)log_level, (void)strloc, (void)function;
    va_list ap;
    va_start(ap, format);
    shim_vreport("log", format, ap);
    va_end(ap);
}
