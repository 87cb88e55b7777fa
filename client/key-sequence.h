/* key-sequence: text (US layout) and key combos ("ctrl+alt+del") as press/release scancode steps. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "client/spice-client.h"

/* One key event: @scancode as in keymap.h (set-1, 0x100 = E0). */
typedef struct KeyStep {
    uint32_t scancode;
    bool press;
} KeyStep;

/*
 * Appends to @steps (a GArray of KeyStep, owned by the caller) the events that type @text on a
 * US keyboard: every printable ASCII character, '\n' (Enter) and '\t' (Tab); Shift around
 * shifted characters. False (and *error, g_malloc'd, naming the character) for anything else;
 * @steps is then unchanged.
 */
bool key_sequence_from_text(GArray *steps, const char *text, char **error);

/*
 * Appends a combo: key names joined by '+', pressed in order and released in reverse
 * ("ctrl+alt+del", "ctrl+alt+f2", "shift+a", "enter"). Names (any case): ctrl, rctrl, alt,
 * altgr, shift, rshift, super, rsuper, menu, del, ins, home, end, pgup, pgdn, up, down, left,
 * right, enter, esc, tab, space, backspace, capslock, numlock, scrolllock, print, sysrq, pause,
 * f1..f12, kp_0..kp_9, kp_enter, a single US-layout character (its unshifted key), or a
 * keymap name (keymap_scancode_name). False (and *error) for an unknown name; @steps unchanged.
 */
bool key_sequence_from_combo(GArray *steps, const char *combo, char **error);

/* ---- playing steps to a session ---- */

/*
 * A KeyPlayer sends its steps to a session one at a time, @delay_ms apart, from a timeout on
 * the thread-default main context (guests drop keys that come too fast). A step the session
 * refuses (no inputs channel yet) is retried at the next tick. Owns its steps and its timeout.
 */
typedef struct KeyPlayer KeyPlayer;

/* Takes @steps (a GArray of KeyStep). */
KeyPlayer *key_player_new(GArray *steps, unsigned delay_ms);
/* Removes the timeout; accepts NULL. @session must outlive the playing or this call. */
void key_player_free(KeyPlayer *kp);
/* Starts playing to @session (once; later calls do nothing). */
void key_player_start(KeyPlayer *kp, SpiceClientSession *session);
bool key_player_started(const KeyPlayer *kp);
/* True once every step was sent. */
bool key_player_done(const KeyPlayer *kp);
/* Steps not yet sent. */
unsigned key_player_remaining(const KeyPlayer *kp);
