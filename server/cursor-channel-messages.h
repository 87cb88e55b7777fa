/* cursor-channel-messages: builds the bodies of the cursor channel's server messages (spice.proto CursorChannel). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocol/wire.h"

/* A cursor shape as the wire carries it (the shape bytes are QXL's, unchanged). */
typedef struct CursorShape {
    uint64_t unique;
    uint8_t type;               /* SPICE_CURSOR_TYPE_*: u8 on the wire (u16 in QXL) */
    uint16_t width;
    uint16_t height;
    uint16_t hot_spot_x;
    uint16_t hot_spot_y;
    const uint8_t *data;        /* borrowed */
    uint32_t data_size;
} CursorShape;

/* INIT: position, trail 0/0, visibility and the current shape (NULL: flag NONE, no shape). */
void cursor_msg_write_init(WireWriter *w, int16_t x, int16_t y, bool visible,
                           const CursorShape *shape);
/* SET: position, visibility and a shape (NULL: flag NONE). */
void cursor_msg_write_set(WireWriter *w, int16_t x, int16_t y, bool visible,
                          const CursorShape *shape);
void cursor_msg_write_move(WireWriter *w, int16_t x, int16_t y);
void cursor_msg_write_trail(WireWriter *w, uint16_t length, uint16_t frequency);
