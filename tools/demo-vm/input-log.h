/* input-log: keyboard, mouse and tablet instances that print every input event as one stdout line. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <spice.h>

/*
 * Lines (each flushed at once, so a test reading the pipe sees it immediately):
 *   input key-down 0x1e        set-1 make code, two lowercase hex digits
 *   input key-up 0x1e          release: the make code (without 0x80), for readability
 *   input key-down 0xe048      extended key: 0xe0 prefix + make code
 *   input key-down 0xe11d45    Pause: 0xe1 prefix + its two make bytes
 *   input mouse-motion DX DY BUTTONS
 *   input mouse-wheel DZ BUTTONS
 *   input mouse-buttons BUTTONS
 *   input tablet-position X Y BUTTONS
 *   input tablet-wheel DZ BUTTONS
 *   input tablet-buttons BUTTONS
 * Numbers are decimal; BUTTONS is the PS/2-order mask the library passes (1 left, 2 right, 4 middle).
 *
 * Threads: the library calls these from its main thread (upstream and QEMU); a lock keeps the
 * scan-code assembly and the lines whole whatever thread calls. The last tablet position is
 * readable from any thread (the scene lets the cursor follow the pointer).
 *
 * Ownership: the instances are static and live as long as the program; the library borrows them
 * from add_interface to remove_interface.
 */
SpiceKbdInstance *input_log_keyboard(void);
SpiceMouseInstance *input_log_mouse(void);
SpiceTabletInstance *input_log_tablet(void);

/*
 * Where the client's pointer puts the guest's: absolute tablet positions, or relative mouse
 * motion added to the last position (clamped to the tablet's logical size once known). Returns a
 * counter that changes with every pointer event (0: none yet).
 */
uint64_t input_log_pointer_position(int *x, int *y);
/* The guest moved its cursor itself: relative motion continues from (@x, @y). */
void input_log_set_pointer_position(int x, int y);
