/* display-draw: every draw message of the display channel rendered on the client's surfaces by the shared canvas (canvas/canvas.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include "client/display-state.h"
#include "client/image-decode.h"

/*
 * DisplayState hands draw messages here with what they need from it; everything is borrowed for
 * the call. A malformed body is reported through @malformed, anything we cannot render (a missing
 * surface, an image that does not decode) through @problem with a short kind for once-only
 * logging; the draw is then dropped (a missing QMask image draws without the mask, as peers do).
 */
typedef struct DisplayDrawEnv {
    ImageCaches *caches;
    pixman_image_t *(*surface)(uint32_t id, void *user);       /* NULL: no such surface */
    void (*problem)(const char *kind, const char *message, void *user);
    void (*malformed)(const char *what, size_t size, void *user);
    void *user;
} DisplayDrawEnv;

/* True for the message types display_draw() renders. */
bool display_draw_handles(uint16_t type);

/* Renders one draw message (COPY, BLEND, OPAQUE, ROP3, FILL, BLACKNESS, WHITENESS, INVERS,
 * TRANSPARENT, ALPHA_BLEND, STROKE, TEXT, COMPOSITE); DRAW or DROPPED. */
DisplayResult display_draw(const DisplayDrawEnv *env, uint16_t type, const uint8_t *body,
                           size_t size);
