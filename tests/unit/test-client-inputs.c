/* test-client-inputs: the inputs channel messages client/inputs.c sends and the server ones it reads. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "client/inputs.h"
#include "client/keymap.h"
#include "protocol/wire.h"

typedef struct Sent {
    uint16_t type;
    uint8_t body[32];
    size_t size;
} Sent;

typedef struct Capture {
    Sent msgs[64];
    size_t n;
} Capture;

static void capture_send(void *user, uint16_t type, const uint8_t *body, size_t size)
{
    Capture *c = user;
    g_assert_cmpuint(c->n, <, G_N_ELEMENTS(c->msgs));
    g_assert_cmpuint(size, <=, sizeof(c->msgs[0].body));
    c->msgs[c->n].type = type;
    memcpy(c->msgs[c->n].body, body, size);
    c->msgs[c->n].size = size;
    c->n++;
}

static uint32_t body_u32(const Sent *s, size_t off)
{
    WireReader r;
    wire_reader_init(&r, s->body, s->size);
    wire_reader_seek(&r, off);
    return wire_read_u32(&r);
}

static uint16_t body_u16(const Sent *s, size_t off)
{
    WireReader r;
    wire_reader_init(&r, s->body, s->size);
    wire_reader_seek(&r, off);
    return wire_read_u16(&r);
}

static void assert_key(const Sent *s, uint16_t type, uint32_t code)
{
    g_assert_cmpuint(s->type, ==, type);
    g_assert_cmpuint(s->size, ==, 4);
    g_assert_cmphex(body_u32(s, 0), ==, code);
}

static void test_keys(void)
{
    Capture c = { 0 };
    InputsState *in = inputs_state_new(capture_send, &c);
    g_assert_true(inputs_state_key(in, 0x1e, true));                 /* A */
    g_assert_true(inputs_state_key(in, 0x1e, false));
    g_assert_true(inputs_state_key(in, 0x11d, true));                /* Right Ctrl: E0 1D */
    g_assert_true(inputs_state_key(in, 0x11d, false));
    g_assert_true(inputs_state_key(in, KEYMAP_SCANCODE_PAUSE, true));
    g_assert_true(inputs_state_key(in, KEYMAP_SCANCODE_PAUSE, false)); /* sends nothing */
    g_assert_false(inputs_state_key(in, 0x9e, true));                /* a break code */
    g_assert_false(inputs_state_key(in, 0, true));
    g_assert_cmpuint(c.n, ==, 6);
    assert_key(&c.msgs[0], SPICE_MSGC_INPUTS_KEY_DOWN, 0x1e);
    assert_key(&c.msgs[1], SPICE_MSGC_INPUTS_KEY_UP, 0x9e);
    /* E0 first, packed little-endian: the server feeds bytes from the lowest. */
    assert_key(&c.msgs[2], SPICE_MSGC_INPUTS_KEY_DOWN, 0x1de0);
    assert_key(&c.msgs[3], SPICE_MSGC_INPUTS_KEY_UP, 0x9de0);
    assert_key(&c.msgs[4], SPICE_MSGC_INPUTS_KEY_DOWN, 0x451de1);
    assert_key(&c.msgs[5], SPICE_MSGC_INPUTS_KEY_UP, 0xc59de1);
    inputs_state_free(in);
}

static void test_release_all(void)
{
    Capture c = { 0 };
    InputsState *in = inputs_state_new(capture_send, &c);
    inputs_state_key(in, 0x1d, true);    /* Ctrl */
    inputs_state_key(in, 0x38, true);    /* Alt */
    inputs_state_key(in, 0x153, true);   /* Delete */
    inputs_state_key(in, 0x153, true);   /* typematic repeat: still one held key */
    inputs_state_key(in, 0x38, false);
    c.n = 0;
    inputs_state_release_all(in);
    g_assert_cmpuint(c.n, ==, 2);
    assert_key(&c.msgs[0], SPICE_MSGC_INPUTS_KEY_UP, 0xd3e0);   /* last pressed first */
    assert_key(&c.msgs[1], SPICE_MSGC_INPUTS_KEY_UP, 0x9d);
    c.n = 0;
    inputs_state_release_all(in);
    g_assert_cmpuint(c.n, ==, 0);
    inputs_state_free(in);
}

static void test_modifiers(void)
{
    Capture c = { 0 };
    InputsState *in = inputs_state_new(capture_send, &c);
    g_assert_cmpuint(inputs_state_guest_modifiers(in), ==, 0);
    uint8_t init[2] = { SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK | 0xf0, 0 };
    g_assert_true(inputs_state_handle(in, SPICE_MSG_INPUTS_INIT, init, 2));
    g_assert_cmpuint(inputs_state_guest_modifiers(in), ==, SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK);
    uint8_t mods[2] = { SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK, 0 };
    g_assert_true(inputs_state_handle(in, SPICE_MSG_INPUTS_KEY_MODIFIERS, mods, 2));
    g_assert_cmpuint(inputs_state_guest_modifiers(in), ==, SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK);
    /* Truncated: dropped, state kept. */
    g_assert_false(inputs_state_handle(in, SPICE_MSG_INPUTS_KEY_MODIFIERS, mods, 1));
    g_assert_false(inputs_state_handle(in, SPICE_MSG_INPUTS_INIT, NULL, 0));
    g_assert_cmpuint(inputs_state_guest_modifiers(in), ==, SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK);
    inputs_state_send_modifiers(in, SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK | 0x100);
    g_assert_cmpuint(c.n, ==, 1);
    g_assert_cmpuint(c.msgs[0].type, ==, SPICE_MSGC_INPUTS_KEY_MODIFIERS);
    g_assert_cmpuint(c.msgs[0].size, ==, 2);
    g_assert_cmpuint(body_u16(&c.msgs[0], 0), ==, SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK);
    inputs_state_free(in);
}

static void test_motion_window(void)
{
    Capture c = { 0 };
    InputsState *in = inputs_state_new(capture_send, &c);
    for (int i = 0; i < 2 * SPICE_INPUT_MOTION_ACK_BUNCH; i++) {
        inputs_state_motion(in, 1, -2, SPICE_MOUSE_BUTTON_MASK_LEFT);
    }
    g_assert_cmpuint(c.n, ==, 8);
    g_assert_cmpuint(c.msgs[0].type, ==, SPICE_MSGC_INPUTS_MOUSE_MOTION);
    g_assert_cmpuint(c.msgs[0].size, ==, 10);
    g_assert_cmpint((int32_t)body_u32(&c.msgs[0], 0), ==, 1);
    g_assert_cmpint((int32_t)body_u32(&c.msgs[0], 4), ==, -2);
    g_assert_cmpuint(body_u16(&c.msgs[0], 8), ==, SPICE_MOUSE_BUTTON_MASK_LEFT);
    /* The window is full: these wait and merge. */
    inputs_state_motion(in, 3, 4, 0);
    inputs_state_motion(in, 5, 6, SPICE_MOUSE_BUTTON_MASK_RIGHT);
    g_assert_cmpuint(c.n, ==, 8);
    g_assert_cmpuint(inputs_state_unacked_motions(in), ==, 8);
    g_assert_true(inputs_state_handle(in, SPICE_MSG_INPUTS_MOUSE_MOTION_ACK, NULL, 0));
    g_assert_cmpuint(c.n, ==, 9);
    g_assert_cmpint((int32_t)body_u32(&c.msgs[8], 0), ==, 8);
    g_assert_cmpint((int32_t)body_u32(&c.msgs[8], 4), ==, 10);
    g_assert_cmpuint(body_u16(&c.msgs[8], 8), ==, SPICE_MOUSE_BUTTON_MASK_RIGHT);
    g_assert_cmpuint(inputs_state_unacked_motions(in), ==, 5);
    /* Extra acks never underflow. */
    for (int i = 0; i < 5; i++) {
        inputs_state_handle(in, SPICE_MSG_INPUTS_MOUSE_MOTION_ACK, NULL, 0);
    }
    g_assert_cmpuint(inputs_state_unacked_motions(in), ==, 0);
    inputs_state_free(in);
}

static void test_position_and_buttons(void)
{
    Capture c = { 0 };
    InputsState *in = inputs_state_new(capture_send, &c);
    inputs_state_position(in, 1, 640, 480, SPICE_MOUSE_BUTTON_MASK_MIDDLE | 0xff00);
    g_assert_cmpuint(c.n, ==, 1);
    g_assert_cmpuint(c.msgs[0].type, ==, SPICE_MSGC_INPUTS_MOUSE_POSITION);
    g_assert_cmpuint(c.msgs[0].size, ==, 11);
    g_assert_cmpuint(body_u32(&c.msgs[0], 0), ==, 640);
    g_assert_cmpuint(body_u32(&c.msgs[0], 4), ==, 480);
    g_assert_cmpuint(body_u16(&c.msgs[0], 8), ==, SPICE_MOUSE_BUTTON_MASK_MIDDLE);
    g_assert_cmpuint(c.msgs[0].body[10], ==, 1);
    inputs_state_position(in, 0, -5, -7, 0);   /* clamped */
    g_assert_cmpuint(body_u32(&c.msgs[1], 0), ==, 0);
    g_assert_cmpuint(body_u32(&c.msgs[1], 4), ==, 0);
    /* Fill the window, hold two positions back: only the last one goes, before the click. */
    for (int i = 0; i < 6; i++) {
        inputs_state_position(in, 0, i, i, 0);
    }
    inputs_state_position(in, 0, 100, 100, 0);
    inputs_state_position(in, 0, 200, 300, 0);
    g_assert_cmpuint(c.n, ==, 8);
    g_assert_true(inputs_state_button(in, SPICE_MOUSE_BUTTON_LEFT, true, SPICE_MOUSE_BUTTON_MASK_LEFT));
    g_assert_cmpuint(c.n, ==, 10);
    g_assert_cmpuint(c.msgs[8].type, ==, SPICE_MSGC_INPUTS_MOUSE_POSITION);
    g_assert_cmpuint(body_u32(&c.msgs[8], 0), ==, 200);
    g_assert_cmpuint(body_u32(&c.msgs[8], 4), ==, 300);
    g_assert_cmpuint(c.msgs[9].type, ==, SPICE_MSGC_INPUTS_MOUSE_PRESS);
    g_assert_cmpuint(c.msgs[9].size, ==, 3);
    g_assert_cmpuint(c.msgs[9].body[0], ==, SPICE_MOUSE_BUTTON_LEFT);
    g_assert_cmpuint(body_u16(&c.msgs[9], 1), ==, SPICE_MOUSE_BUTTON_MASK_LEFT);
    g_assert_true(inputs_state_button(in, SPICE_MOUSE_BUTTON_UP, false, 0));
    g_assert_cmpuint(c.msgs[10].type, ==, SPICE_MSGC_INPUTS_MOUSE_RELEASE);
    g_assert_cmpuint(c.msgs[10].body[0], ==, SPICE_MOUSE_BUTTON_UP);
    g_assert_false(inputs_state_button(in, 0, true, 0));
    g_assert_false(inputs_state_button(in, SPICE_MOUSE_BUTTON_ENUM_END, true, 0));
    g_assert_cmpuint(c.n, ==, 11);
    inputs_state_free(in);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Hostile input is logged with g_warning by design: not fatal here. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/client-inputs/keys", test_keys);
    g_test_add_func("/client-inputs/release-all", test_release_all);
    g_test_add_func("/client-inputs/modifiers", test_modifiers);
    g_test_add_func("/client-inputs/motion-window", test_motion_window);
    g_test_add_func("/client-inputs/position-buttons", test_position_and_buttons);
    return g_test_run();
}
