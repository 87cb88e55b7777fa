/* inputs-channel: the SPICE inputs channel (keyboard, mouse and tablet events into the host's devices). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "reds-private.h"

/*
 * One InputsChannel per server, made by spice_server_init: it registers channel (INPUTS, 0),
 * serves the session's inputs connection and feeds the keyboard, mouse and tablet instances
 * the host added. Host thread only. Does not own @reds nor the instances.
 */
InputsChannel *inputs_channel_new(SpiceServer *reds);
/* Closes the connection (if any) and unregisters. Accepts NULL. */
void inputs_channel_destroy(InputsChannel *inputs);

/* add_interface for "keyboard", "mouse", "tablet": sets ->st. Returns -1 if one is already there. */
int inputs_channel_set_keyboard(SpiceServer *reds, SpiceKbdInstance *kbd);
int inputs_channel_set_mouse(SpiceServer *reds, SpiceMouseInstance *mouse);
int inputs_channel_set_tablet(SpiceServer *reds, SpiceTabletInstance *tablet);
/* remove_interface for a tablet: frees ->st. */
void inputs_channel_detach_tablet(SpiceServer *reds, SpiceTabletInstance *tablet);
/* The server a keyboard / tablet instance belongs to (from its ->st), NULL if not ours. */
SpiceServer *inputs_channel_server_of_keyboard(SpiceKbdInstance *kbd);
SpiceServer *inputs_channel_server_of_tablet(SpiceTabletInstance *tablet);
