/* fuzz-client-cursor: hostile cursor-channel messages through the client's CursorState (shapes of every type, cache, moves). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "client/cursor.h"

/*
 * Input: records [selector u8][length u16 LE][body] applied in order to one CursorState (so
 * CACHE_ME then FROM_CACHE and INVAL_ONE interact); the selector picks the type from TYPES.
 * Seeds: tests/fuzz/fuzz-client-seeds.py.
 */
static const uint16_t TYPES[] = {
    SPICE_MSG_CURSOR_INIT, SPICE_MSG_CURSOR_RESET, SPICE_MSG_CURSOR_SET, SPICE_MSG_CURSOR_MOVE,
    SPICE_MSG_CURSOR_HIDE, SPICE_MSG_CURSOR_TRAIL, SPICE_MSG_CURSOR_INVAL_ONE,
    SPICE_MSG_CURSOR_INVAL_ALL,
};

static void quiet(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain; (void)level; (void)message; (void)user;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        g_log_set_default_handler(quiet, NULL);
        once = true;
    }
    CursorState *cs = cursor_state_new();
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
        CursorResult r = cursor_state_handle(cs, type, body, len);
        if (r == CURSOR_RESULT_ERROR && cursor_state_problem(cs) == NULL) {
            abort();   /* a dropped message always says why */
        }
        g_free(body);
        at += len;
    }
    SpiceClientCursor cur;
    if (cursor_state_get(cs, &cur) && cur.shape != NULL) {
        /* The shape handed to the viewer is whole: every row of it reads. */
        int h = pixman_image_get_height(cur.shape);
        const uint8_t *px = (const uint8_t *)pixman_image_get_data(cur.shape);
        if (h > 0) {
            volatile uint8_t sink = px[(size_t)(h - 1) * (size_t)pixman_image_get_stride(cur.shape)];
            (void)sink;
        }
    }
    cursor_state_free(cs);
    return 0;
}
