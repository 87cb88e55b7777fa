/* inputs: the client side of the SPICE inputs channel (keys, lock modifiers, mouse, motion acks). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An InputsState turns key and mouse calls into SPICE inputs messages and reads the server's
 * INIT / KEY_MODIFIERS / MOUSE_MOTION_ACK. It owns no socket: every message goes out through
 * @send (body valid only during the call), which keeps it testable. It remembers pressed keys
 * (release_all) and holds back motion while 2 * SPICE_INPUT_MOTION_ACK_BUNCH motions are
 * unacknowledged, merging them (relative: summed; absolute: the last position) until an ack.
 */
typedef struct InputsState InputsState;

typedef void (*InputsSendFn)(void *user, uint16_t type, const uint8_t *body, size_t size);

InputsState *inputs_state_new(InputsSendFn send, void *user);
/* Accepts NULL. Sends nothing. */
void inputs_state_free(InputsState *in);

/* A server message of the inputs channel. False (and logged) when it is malformed; unknown
 * types are ignored (true). */
bool inputs_state_handle(InputsState *in, uint16_t type, const uint8_t *body, size_t size);

/* The guest's lock modifiers (SPICE_KEYBOARD_MODIFIER_FLAGS_*) as the server last said. */
uint16_t inputs_state_guest_modifiers(const InputsState *in);
/* Sends KEY_MODIFIERS with the client's locks. */
void inputs_state_send_modifiers(InputsState *in, uint16_t modifiers);

/* @scancode as in keymap.h. False for an invalid scancode. A press of a held key repeats
 * (typematic), a release of a key not held is still sent (the guest may think it is down). */
bool inputs_state_key(InputsState *in, uint32_t scancode, bool press);
/* Releases every key this state pressed and did not release (reverse order of pressing). */
void inputs_state_release_all(InputsState *in);

/* Server mode (relative). */
void inputs_state_motion(InputsState *in, int dx, int dy, uint32_t buttons_mask);
/* Client mode (absolute, on @display_id). Negative coordinates are clamped to 0. */
void inputs_state_position(InputsState *in, unsigned display_id, int x, int y, uint32_t buttons_mask);
/* @button: SPICE_MOUSE_BUTTON_* (LEFT..EXTRA); false otherwise. Pending motion goes out first. */
bool inputs_state_button(InputsState *in, int button, bool pressed, uint32_t buttons_mask);

/* Motion messages sent and not yet acknowledged (for tests). */
unsigned inputs_state_unacked_motions(const InputsState *in);
