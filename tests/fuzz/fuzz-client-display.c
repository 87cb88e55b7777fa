/* fuzz-client-display: hostile display-channel messages through display-parse, display-draw (the shared canvas) and display-state on small surfaces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-state.h"
#include "client/image-decode.h"

/*
 * Input: a sequence of records, each [selector u8][length u16 LE][body], applied in order to one
 * DisplayState (so CACHE_ME then FROM_CACHE, GLZ references, SURFACE images and surface
 * create/destroy interact). The selector picks the message type from TYPES (mod its length).
 * Before the records, three small surfaces exist: 0 (primary, 32x24 xRGB), 1 (16x16 ARGB) and
 * 2 (8x8 16-bit 565), so draws reach the canvas without the fuzzer guessing a SURFACE_CREATE.
 * Seeds in corpus/client-display/ come from tests/fuzz/fuzz-client-seeds.py.
 */
static const uint16_t TYPES[] = {
    SPICE_MSG_DISPLAY_SURFACE_CREATE, SPICE_MSG_DISPLAY_SURFACE_DESTROY,
    SPICE_MSG_DISPLAY_DRAW_FILL, SPICE_MSG_DISPLAY_DRAW_OPAQUE, SPICE_MSG_DISPLAY_DRAW_COPY,
    SPICE_MSG_DISPLAY_DRAW_BLEND, SPICE_MSG_DISPLAY_DRAW_BLACKNESS,
    SPICE_MSG_DISPLAY_DRAW_WHITENESS, SPICE_MSG_DISPLAY_DRAW_INVERS, SPICE_MSG_DISPLAY_DRAW_ROP3,
    SPICE_MSG_DISPLAY_DRAW_STROKE, SPICE_MSG_DISPLAY_DRAW_TEXT,
    SPICE_MSG_DISPLAY_DRAW_TRANSPARENT, SPICE_MSG_DISPLAY_DRAW_ALPHA_BLEND,
    SPICE_MSG_DISPLAY_DRAW_COMPOSITE, SPICE_MSG_DISPLAY_COPY_BITS, SPICE_MSG_DISPLAY_MARK,
    SPICE_MSG_DISPLAY_RESET, SPICE_MSG_DISPLAY_INVAL_LIST, SPICE_MSG_DISPLAY_INVAL_ALL_PIXMAPS,
    SPICE_MSG_DISPLAY_INVAL_PALETTE, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES,
    SPICE_MSG_DISPLAY_MONITORS_CONFIG, SPICE_MSG_DISPLAY_STREAM_CREATE,
    SPICE_MSG_DISPLAY_STREAM_DATA, SPICE_MSG_DISPLAY_STREAM_DATA_SIZED,
    SPICE_MSG_DISPLAY_STREAM_CLIP, SPICE_MSG_DISPLAY_STREAM_DESTROY,
    SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL, SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT,
};

static void create_surface(DisplayState *ds, uint32_t id, uint32_t w, uint32_t h, uint32_t format,
                           uint32_t flags)
{
    uint8_t body[20];
    uint32_t v[5] = { id, w, h, format, flags };
    for (int i = 0; i < 5; i++) {
        for (int k = 0; k < 4; k++) {
            body[i * 4 + k] = (uint8_t)(v[i] >> (8 * k));
        }
    }
    if (display_state_handle(ds, SPICE_MSG_DISPLAY_SURFACE_CREATE, body, sizeof(body)) !=
        DISPLAY_RESULT_SURFACE) {
        abort();
    }
}

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain; (void)level; (void)message; (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        /* Every dropped message logs a warning: keep the fuzzer's output readable. */
        g_log_set_default_handler(quiet, NULL);
        once = true;
    }
    ImageCaches *caches = image_caches_new();
    DisplayState *ds = display_state_new(0, caches);
    create_surface(ds, 0, 32, 24, SPICE_SURFACE_FMT_32_xRGB, SPICE_SURFACE_FLAGS_PRIMARY);
    create_surface(ds, 1, 16, 16, SPICE_SURFACE_FMT_32_ARGB, 0);
    create_surface(ds, 2, 8, 8, SPICE_SURFACE_FMT_16_565, 0);
    size_t at = 0;
    while (size - at >= 3) {
        uint16_t type = TYPES[data[at] % G_N_ELEMENTS(TYPES)];
        size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8;
        at += 3;
        if (len > size - at) {
            len = size - at;
        }
        /* Surfaces over 64K pixels only make runs slow (the canvas's work is bounded by the
         * surface, which a real server may make 8192x8192): keep the fuzzer fast. */
        if (type == SPICE_MSG_DISPLAY_SURFACE_CREATE && len >= 12) {
            uint32_t w = data[at + 4] | (uint32_t)data[at + 5] << 8 | (uint32_t)data[at + 6] << 16 |
                         (uint32_t)data[at + 7] << 24;
            uint32_t h = data[at + 8] | (uint32_t)data[at + 9] << 8 | (uint32_t)data[at + 10] << 16 |
                         (uint32_t)data[at + 11] << 24;
            if ((uint64_t)w * h > 65536) {
                at += len;
                continue;
            }
        }
        /* A copy of exactly the body, so reading one byte past it is an ASan report. */
        uint8_t *body = g_malloc(len ? len : 1);
        memcpy(body, data + at, len);
        (void)display_state_handle(ds, type, body, len);
        g_free(body);
        at += len;
    }
    /* Whatever happened, the primary (if any) must still be a readable image. */
    pixman_image_t *primary = display_state_primary(ds);
    if (primary && (pixman_image_get_width(primary) <= 0 || !pixman_image_get_data(primary))) {
        abort();
    }
    display_state_free(ds);
    image_caches_free(caches);
    return 0;
}
