/* keymap: Linux evdev and X11/GDK hardware key codes -> PC XT set-1 scancodes (SPICE's key codes). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Scancodes here are "set-1 make code, 0x100 set when the key sends an E0 prefix" (Right Ctrl =
 * 0x11d), the convention of spice-gtk and QEMU's keymaps. Two keys do not fit one make code:
 * Pause (KEYMAP_SCANCODE_PAUSE, sent as E1 1D 45 E1 9D C5) and Print Screen (0x137, E0 37: what
 * the key sends without modifiers; QEMU and Linux guests read it as SysRq/Print).
 * Pure functions, no state.
 */
#define KEYMAP_SCANCODE_PAUSE 0x146u
#define KEYMAP_SCANCODE_EXTENDED 0x100u

/* Linux evdev KEY_* -> scancode; 0 when the key has no set-1 code. */
uint32_t keymap_evdev_to_scancode(uint32_t evdev_code);
/* X11 keycode under evdev/xkb (and GDK's hardware_keycode on Wayland) = evdev + 8. */
uint32_t keymap_x11_to_scancode(uint32_t keycode);

/* A scancode's name for logs and tests ("LeftCtrl", "KP_Enter"), or NULL if unknown. */
const char *keymap_scancode_name(uint32_t scancode);

/*
 * The bytes a PC keyboard sends for @scancode pressed (@release false) or released: 1 byte, or
 * E0 + byte, or the 6-byte Pause sequence on press and nothing on its release. Returns the
 * count written to @out (at most 6), 0 for an invalid scancode.
 */
size_t keymap_scancode_bytes(uint32_t scancode, bool release, uint8_t out[6]);
