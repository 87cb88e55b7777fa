/* display-state: the surfaces of one display channel and the drawing of server messages on them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include "client/image-decode.h"
#include "client/spice-client.h"

/*
 * DisplayState owns one pixman canvas per surface (primary and off-screen) of a display
 * channel; @caches (the session's, shared by its display channels) is borrowed. Messages are
 * applied in order. A malformed message is logged and dropped (never a crash); a message we
 * cannot render (a draw type or an image type we do not decode) is logged once per kind and
 * skipped, and the first such problem is kept for display_state_problem().
 */
typedef struct DisplayState DisplayState;

/* What a message did: the session turns these into SpiceClientDisplayEvents. */
typedef enum DisplayResult {
    DISPLAY_RESULT_NONE,
    DISPLAY_RESULT_SURFACE,
    DISPLAY_RESULT_DRAW,
    DISPLAY_RESULT_MARK,
    DISPLAY_RESULT_DROPPED,   /* malformed or not rendered; logged */
} DisplayResult;

#define DISPLAY_MAX_SURFACES 1024u

DisplayState *display_state_new(unsigned channel_id, ImageCaches *caches);
/* Accepts NULL. */
void display_state_free(DisplayState *ds);

DisplayResult display_state_handle(DisplayState *ds, uint16_t type, const uint8_t *body, size_t size);

/* Borrowed; NULL if surface @id does not exist. */
pixman_image_t *display_state_surface(DisplayState *ds, uint32_t id);
/* The surface created with the PRIMARY flag, or NULL. */
pixman_image_t *display_state_primary(DisplayState *ds);
bool display_state_marked(const DisplayState *ds);
/* The first problem met (owned by @ds), or NULL. */
const char *display_state_problem(const DisplayState *ds);
