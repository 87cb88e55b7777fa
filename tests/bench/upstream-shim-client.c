/* upstream-shim-client: bench-only wrapper exposing spice-gtk's GLZ and LZ4 image decoding to bench-codecs. */
/*
 * Built ONLY by tests/bench/build-upstream-shim.sh, against Debian's spice-gtk 0.42 source
 * package unpacked in the build directory (never in the tree). spice-gtk decodes images in
 * spice-common's canvas code (common/canvas_base.c), which is not a library: spice-gtk's own
 * sw_canvas.c #includes it, and so does this file, so that the calls below are upstream's
 * own static functions, compiled as spice-gtk compiles them:
 *   - GLZ: canvas_get_glz_rgb_common() driving spice-gtk's src/decode-glz.c decoder and its
 *     window of decoded images (one SpiceGlzDecoderWindow for the whole sequence);
 *   - LZ4: canvas_get_lz4() (liblz4's streaming decoder over the BE32-framed blocks, then the
 *     row alignment fix-up), given the image's SpiceImage descriptor as the display channel
 *     would.
 * Each returns a fresh pixman surface, as in the client; we copy it out only when the caller
 * asks for the pixels (the checks), and drop our reference as spice-gtk does once drawn.
 */
#define SW_CANVAS_CACHE   /* as spice-gtk's client_sw_canvas.c compiles canvas_base.c */
#include "canvas_base.c"

#include "decode.h"
#include "gio-coroutine.h"
#include "upstream-shim.h"

#define SHIM_EXPORT __attribute__((visibility("default")))

/* spice-gtk's decoder waits (as a coroutine) for a referenced image that has not arrived yet.
 * The bench decodes in order, so the condition always holds at once: these stand-ins check it
 * and return, out of line like the real ones in gio-coroutine.c. Debug output is off, as
 * spice-gtk's spice_util_get_debug() says without SPICE_DEBUG set. */
__attribute__((noinline)) gboolean spice_util_get_debug(void)
{
    return FALSE;
}

__attribute__((noinline)) GCoroutine *g_coroutine_self(void)
{
    return NULL;
}

__attribute__((noinline)) gboolean g_coroutine_condition_wait(GCoroutine *self,
                                                              GConditionWaitFunc func,
                                                              gpointer data)
{
    (void)self;
    return func(data);
}

/* Copies @surface (any stride sign) into @pixels, or does nothing when @pixels is NULL. */
static void copy_out(pixman_image_t *surface, uint8_t *pixels, int stride)
{
    if (pixels == NULL) {
        return;
    }
    int height = pixman_image_get_height(surface);
    int src_stride = pixman_image_get_stride(surface);
    int row_bytes = pixman_image_get_width(surface) *
                    (PIXMAN_FORMAT_BPP(pixman_image_get_format(surface)) / 8);
    const uint8_t *src = (const uint8_t *)pixman_image_get_data(surface);
    for (int y = 0; y < height; y++) {
        memcpy(pixels + (size_t)y * stride, src + (ptrdiff_t)y * src_stride, row_bytes);
    }
}

/* ---- GLZ (spice-gtk's decode-glz.c behind canvas_base.c) ---- */

static SpiceGlzDecoderWindow *glz_window;
static CanvasBase glz_canvas;

SHIM_EXPORT int up_glz_decode_reset(void)
{
    if (glz_canvas.glz_data.decoder != NULL) {
        glz_decoder_destroy(glz_canvas.glz_data.decoder);
        glz_canvas.glz_data.decoder = NULL;
    }
    glz_decoder_window_destroy(glz_window);
    glz_window = glz_decoder_window_new();
    glz_canvas.glz_data.decoder = glz_decoder_new(glz_window);
    return glz_canvas.glz_data.decoder != NULL ? 0 : -1;
}

SHIM_EXPORT int up_glz_decode(const uint8_t *data, size_t size, uint8_t *pixels, int stride)
{
    (void)size;   /* spice-gtk's GLZ decoder is not told the stream's length */
    if (glz_canvas.glz_data.decoder == NULL) {
        return -1;
    }
    glz_canvas.glz_data.decode_data.out_surface = NULL;
    pixman_image_t *surface = canvas_get_glz_rgb_common(&glz_canvas, (uint8_t *)data, FALSE);
    if (surface == NULL) {
        return -1;
    }
    copy_out(surface, pixels, stride);
    pixman_image_unref(surface);   /* the window keeps its own reference */
    return 0;
}

/* ---- LZ4 (canvas_base.c's canvas_get_lz4) ---- */

SHIM_EXPORT int up_lz4_decode(const uint8_t *data, size_t size, int width, int height,
                              uint8_t *pixels, int stride)
{
    SpiceChunks *chunks = spice_chunks_new(1);
    chunks->data_size = (uint32_t)size;
    chunks->chunk[0].data = (uint8_t *)data;
    chunks->chunk[0].len = (uint32_t)size;
    SpiceImage image = { 0 };
    image.descriptor.type = SPICE_IMAGE_TYPE_LZ4;
    image.descriptor.width = (uint32_t)width;
    image.descriptor.height = (uint32_t)height;
    image.u.lz4.data_size = (uint32_t)size;
    image.u.lz4.data = chunks;
    CanvasBase canvas = { 0 };
    pixman_image_t *surface = canvas_get_lz4(&canvas, &image);
    free(chunks);
    if (surface == NULL) {
        return -1;
    }
    copy_out(surface, pixels, stride);
    pixman_image_unref(surface);
    return 0;
}
