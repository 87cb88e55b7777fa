/* cursor: the client side of the SPICE cursor channel (shape, position, visibility, cache). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

#include "client/spice-client.h"

/*
 * A CursorState reads cursor channel messages (INIT, SET, MOVE, HIDE, RESET, TRAIL, INVAL_ONE,
 * INVAL_ALL) and keeps the current shape as an a8r8g8b8 pixman image (owned; shared with the
 * cache by reference) plus the server's pointer position and visibility. Every length is
 * checked: a malformed message is dropped with a message (cursor_state_problem) and the state
 * stays as it was.
 */
typedef struct CursorState CursorState;

typedef enum CursorResult {
    CURSOR_RESULT_NONE,      /* nothing visible changed */
    CURSOR_RESULT_CHANGED,   /* shape, position or visibility changed */
    CURSOR_RESULT_ERROR,     /* malformed: dropped, see cursor_state_problem */
} CursorResult;

CursorState *cursor_state_new(void);
/* Accepts NULL. */
void cursor_state_free(CursorState *cs);

CursorResult cursor_state_handle(CursorState *cs, uint16_t type, const uint8_t *body, size_t size);

/* False before INIT. @out->shape is borrowed (valid until the next handle or free). */
bool cursor_state_get(const CursorState *cs, SpiceClientCursor *out);
/* The last parse error ("cursor SET: MONO shape of 32x32 needs 256 bytes, got 10"), or NULL. */
const char *cursor_state_problem(const CursorState *cs);
/* Shapes in the cache (for tests). */
unsigned cursor_state_cache_size(const CursorState *cs);
