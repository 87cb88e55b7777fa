/* fuzz-client-stream: hostile video-stream messages through the client's DisplayStreams (create, frames, clips, reports). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/display-stream.h"

/*
 * Input: records [selector u8][length u16 LE][body] applied in order to one DisplayStreams whose
 * host has a 64x48 surface 0 and a multimedia clock that stands at 1000 ms, so a frame stamped
 * 1000 is due at once (decoded and drawn when the main context runs after each record), an
 * earlier one is late and a later one waits (dropped when the streams are freed). The selector
 * picks the type from TYPES. Seeds: tests/fuzz/corpus/client-stream/.
 */
static const uint16_t TYPES[] = {
    SPICE_MSG_DISPLAY_STREAM_CREATE, SPICE_MSG_DISPLAY_STREAM_DATA,
    SPICE_MSG_DISPLAY_STREAM_DATA_SIZED, SPICE_MSG_DISPLAY_STREAM_CLIP,
    SPICE_MSG_DISPLAY_STREAM_DESTROY, SPICE_MSG_DISPLAY_STREAM_DESTROY_ALL,
    SPICE_MSG_DISPLAY_STREAM_ACTIVATE_REPORT,
};

static pixman_image_t *surface;

static pixman_image_t *host_surface(uint32_t id, void *user)
{
    return id == 0 ? surface : NULL;
}

static uint32_t host_mm_time(void *user)
{
    return 1000;
}

static void host_report(const uint8_t *body, size_t size, void *user)
{
    if (size != 32) {
        abort();   /* a STREAM_REPORT body is always 8 u32 */
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
        g_log_set_default_handler(quiet, NULL);
        surface = pixman_image_create_bits(PIXMAN_x8r8g8b8, 64, 48, NULL, 0);
        once = true;
    }
    StreamHost host = { host_surface, host_mm_time, host_report, NULL, NULL };
    DisplayStreams *ds = display_streams_new(0, &host, true);
    size_t at = 0;
    while (size - at >= 3) {
        uint16_t type = TYPES[data[at] % G_N_ELEMENTS(TYPES)];
        size_t len = (size_t)data[at + 1] | (size_t)data[at + 2] << 8;
        at += 3;
        if (len > size - at) {
            len = size - at;
        }
        uint8_t *body = g_malloc(len ? len : 1);
        memcpy(body, data + at, len);
        DisplayResult r = display_streams_handle(ds, type, body, len);
        if (r == DISPLAY_RESULT_DRAW) {
            abort();   /* frames are drawn from timers, never from a message */
        }
        g_free(body);
        at += len;
        /* Frames due now are decoded and drawn here. */
        for (int i = 0; i < 8 && g_main_context_iteration(NULL, FALSE); i++) {
        }
    }
    DisplayStreamStats stats[4];
    size_t n = display_streams_stats(ds, stats, G_N_ELEMENTS(stats));
    for (size_t i = 0; i < n && i < G_N_ELEMENTS(stats); i++) {
        if (stats[i].shown > stats[i].decoded || stats[i].decoded > stats[i].received) {
            abort();   /* every frame shown was decoded, every one decoded was received */
        }
    }
    display_streams_free(ds);
    return 0;
}
