/* inputs: builds SPICE inputs messages from key/mouse calls; reads the server's modifiers and acks. */
#include "client/inputs.h"

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "client/keymap.h"
#include "protocol/wire.h"

/* More held keys than this are not tracked (a 105-key keyboard has at most that many). */
#define MAX_HELD_KEYS 128u
/* spice-gtk's rule: stop sending motion at two bunches without an ack. */
#define MOTION_WINDOW (2u * SPICE_INPUT_MOTION_ACK_BUNCH)

typedef enum PendingMotion { PENDING_NONE, PENDING_RELATIVE, PENDING_ABSOLUTE } PendingMotion;

struct InputsState {
    InputsSendFn send;
    void *user;
    uint16_t guest_modifiers;
    uint32_t held[MAX_HELD_KEYS];
    unsigned n_held;
    unsigned unacked;
    /* Motion held back by the window, merged until the next ack. */
    PendingMotion pending;
    int64_t pending_dx, pending_dy;
    unsigned pending_display;
    uint32_t pending_x, pending_y;
    uint16_t pending_buttons;
};

InputsState *inputs_state_new(InputsSendFn send, void *user)
{
    InputsState *in = g_new0(InputsState, 1);
    in->send = send;
    in->user = user;
    return in;
}

void inputs_state_free(InputsState *in)
{
    g_free(in);
}

static void send_writer(InputsState *in, uint16_t type, WireWriter *w)
{
    in->send(in->user, type, wire_writer_data(w), wire_writer_size(w));
    wire_writer_finish(w);
}

static int32_t clamp_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

static void send_motion_now(InputsState *in, int64_t dx, int64_t dy, uint16_t buttons)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_i32(&w, clamp_i32(dx));
    wire_write_i32(&w, clamp_i32(dy));
    wire_write_u16(&w, buttons);
    send_writer(in, SPICE_MSGC_INPUTS_MOUSE_MOTION, &w);
    in->unacked++;
}

static void send_position_now(InputsState *in, unsigned display, uint32_t x, uint32_t y,
                              uint16_t buttons)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, x);
    wire_write_u32(&w, y);
    wire_write_u16(&w, buttons);
    wire_write_u8(&w, (uint8_t)display);
    send_writer(in, SPICE_MSGC_INPUTS_MOUSE_POSITION, &w);
    in->unacked++;
}

/* Sends the merged motion, if any (the window is ignored: called on ack or before a button). */
static void flush_pending(InputsState *in)
{
    PendingMotion p = in->pending;
    in->pending = PENDING_NONE;
    if (p == PENDING_RELATIVE) {
        send_motion_now(in, in->pending_dx, in->pending_dy, in->pending_buttons);
    } else if (p == PENDING_ABSOLUTE) {
        send_position_now(in, in->pending_display, in->pending_x, in->pending_y, in->pending_buttons);
    }
    in->pending_dx = in->pending_dy = 0;
}

bool inputs_state_handle(InputsState *in, uint16_t type, const uint8_t *body, size_t size)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    switch (type) {
    case SPICE_MSG_INPUTS_INIT:
    case SPICE_MSG_INPUTS_KEY_MODIFIERS: {
        uint16_t mods = wire_read_u16(&r);
        if (!wire_reader_ok(&r)) {
            g_warning("inputs channel: dropped a %s of %zu bytes (needs 2)",
                      type == SPICE_MSG_INPUTS_INIT ? "INIT" : "KEY_MODIFIERS", size);
            return false;
        }
        in->guest_modifiers = mods & SPICE_KEYBOARD_MODIFIER_FLAGS_MASK;
        return true;
    }
    case SPICE_MSG_INPUTS_MOUSE_MOTION_ACK:
        in->unacked = in->unacked > SPICE_INPUT_MOTION_ACK_BUNCH
                      ? in->unacked - SPICE_INPUT_MOTION_ACK_BUNCH : 0;
        if (in->pending != PENDING_NONE && in->unacked < MOTION_WINDOW) {
            flush_pending(in);
        }
        return true;
    default:
        return true;
    }
}

uint16_t inputs_state_guest_modifiers(const InputsState *in)
{
    return in->guest_modifiers;
}

void inputs_state_send_modifiers(InputsState *in, uint16_t modifiers)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, modifiers & SPICE_KEYBOARD_MODIFIER_FLAGS_MASK);
    send_writer(in, SPICE_MSGC_INPUTS_KEY_MODIFIERS, &w);
}

/* Packs up to 4 scancode bytes little-endian into KEY_DOWN/KEY_UP's u32, first byte lowest:
 * the server feeds the non-zero bytes to the keyboard in that order. */
static void send_key_bytes(InputsState *in, uint16_t type, const uint8_t *bytes, size_t n)
{
    uint32_t code = 0;
    for (size_t i = 0; i < n; i++) {
        code |= (uint32_t)bytes[i] << (8 * i);
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, code);
    send_writer(in, type, &w);
}

static void forget_held(InputsState *in, uint32_t scancode)
{
    for (unsigned i = 0; i < in->n_held; i++) {
        if (in->held[i] == scancode) {
            /* Keep the pressing order: release_all releases in reverse. */
            for (unsigned j = i + 1; j < in->n_held; j++) {
                in->held[j - 1] = in->held[j];
            }
            in->n_held--;
            return;
        }
    }
}

bool inputs_state_key(InputsState *in, uint32_t scancode, bool press)
{
    uint8_t bytes[6];
    size_t n = keymap_scancode_bytes(scancode, !press, bytes);
    if (n == 0 && !(scancode == KEYMAP_SCANCODE_PAUSE && !press)) {
        return false;
    }
    if (n == 6) {
        /* Pause: two 3-byte halves (a u32 holds at most 4 bytes). */
        send_key_bytes(in, SPICE_MSGC_INPUTS_KEY_DOWN, bytes, 3);
        send_key_bytes(in, SPICE_MSGC_INPUTS_KEY_UP, bytes + 3, 3);
        return true;   /* nothing stays held */
    }
    if (n > 0) {
        send_key_bytes(in, press ? SPICE_MSGC_INPUTS_KEY_DOWN : SPICE_MSGC_INPUTS_KEY_UP, bytes, n);
    }
    if (press) {
        bool known = false;
        for (unsigned i = 0; i < in->n_held; i++) {
            known = known || in->held[i] == scancode;
        }
        if (!known && in->n_held < MAX_HELD_KEYS) {
            in->held[in->n_held++] = scancode;
        }
    } else {
        forget_held(in, scancode);
    }
    return true;
}

void inputs_state_release_all(InputsState *in)
{
    while (in->n_held > 0) {
        uint32_t sc = in->held[in->n_held - 1];
        inputs_state_key(in, sc, false);
    }
}

void inputs_state_motion(InputsState *in, int dx, int dy, uint32_t buttons_mask)
{
    uint16_t buttons = (uint16_t)(buttons_mask & SPICE_MOUSE_BUTTON_MASK_MASK);
    if (in->pending == PENDING_ABSOLUTE) {
        flush_pending(in);   /* a mode switch in between: keep the order */
    }
    if (in->unacked >= MOTION_WINDOW) {
        in->pending = PENDING_RELATIVE;
        in->pending_dx += dx;
        in->pending_dy += dy;
        in->pending_buttons = buttons;
        return;
    }
    send_motion_now(in, dx, dy, buttons);
}

void inputs_state_position(InputsState *in, unsigned display_id, int x, int y, uint32_t buttons_mask)
{
    uint16_t buttons = (uint16_t)(buttons_mask & SPICE_MOUSE_BUTTON_MASK_MASK);
    uint32_t ux = x < 0 ? 0 : (uint32_t)x;
    uint32_t uy = y < 0 ? 0 : (uint32_t)y;
    if (in->pending == PENDING_RELATIVE) {
        flush_pending(in);
    }
    if (in->unacked >= MOTION_WINDOW) {
        in->pending = PENDING_ABSOLUTE;
        in->pending_display = display_id;
        in->pending_x = ux;
        in->pending_y = uy;
        in->pending_buttons = buttons;
        return;
    }
    send_position_now(in, display_id, ux, uy, buttons);
}

bool inputs_state_button(InputsState *in, int button, bool pressed, uint32_t buttons_mask)
{
    if (button < SPICE_MOUSE_BUTTON_LEFT || button >= SPICE_MOUSE_BUTTON_ENUM_END) {
        return false;
    }
    /* The click belongs where the pointer is now: send held-back motion first. */
    flush_pending(in);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, (uint8_t)button);
    wire_write_u16(&w, (uint16_t)(buttons_mask & SPICE_MOUSE_BUTTON_MASK_MASK));
    send_writer(in, pressed ? SPICE_MSGC_INPUTS_MOUSE_PRESS : SPICE_MSGC_INPUTS_MOUSE_RELEASE, &w);
    return true;
}

unsigned inputs_state_unacked_motions(const InputsState *in)
{
    return in->unacked;
}
