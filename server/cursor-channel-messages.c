/* cursor-channel-messages: message body builders for the cursor channel, in spice.proto field order. */
#include "cursor-channel-messages.h"

#include <spice/enums.h>

static void write_cursor(WireWriter *w, const CursorShape *shape)
{
    if (!shape) {
        wire_write_u16(w, SPICE_CURSOR_FLAGS_NONE);
        return;
    }
    /* Never CACHE_ME: we keep no client cursor cache, so every SET carries its shape. */
    wire_write_u16(w, 0);
    wire_write_u64(w, shape->unique);
    wire_write_u8(w, shape->type);
    wire_write_u16(w, shape->width);
    wire_write_u16(w, shape->height);
    wire_write_u16(w, shape->hot_spot_x);
    wire_write_u16(w, shape->hot_spot_y);
    wire_write_bytes(w, shape->data, shape->data_size);
}

void cursor_msg_write_init(WireWriter *w, int16_t x, int16_t y, bool visible,
                           const CursorShape *shape)
{
    wire_write_i16(w, x);
    wire_write_i16(w, y);
    wire_write_u16(w, 0);     /* trail_length */
    wire_write_u16(w, 0);     /* trail_frequency */
    wire_write_u8(w, visible ? 1 : 0);
    write_cursor(w, shape);
}

void cursor_msg_write_set(WireWriter *w, int16_t x, int16_t y, bool visible,
                          const CursorShape *shape)
{
    wire_write_i16(w, x);
    wire_write_i16(w, y);
    wire_write_u8(w, visible ? 1 : 0);
    write_cursor(w, shape);
}

void cursor_msg_write_move(WireWriter *w, int16_t x, int16_t y)
{
    wire_write_i16(w, x);
    wire_write_i16(w, y);
}

void cursor_msg_write_trail(WireWriter *w, uint16_t length, uint16_t frequency)
{
    wire_write_u16(w, length);
    wire_write_u16(w, frequency);
}
