/* main-channel: the SPICE main channel (session start, channel list, mouse mode, network test). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "reds-private.h"

/*
 * One MainChannel per server, made by spice_server_init: it registers channel (MAIN, 0) and
 * serves the session's main connection. Host thread only. The MainChannel does not own @reds.
 */
MainChannel *main_channel_new(SpiceServer *reds);
/* Closes the connection (if any) and unregisters. Accepts NULL. */
void main_channel_destroy(MainChannel *main);

/* Closes the client's main connection, which ends the session. */
void main_channel_disconnect(MainChannel *main);
bool main_channel_is_connected(const MainChannel *main);

/* A channel registered after the client attached: tell it with a one-entry CHANNELS_LIST. */
void main_channel_announce_channel(MainChannel *main, uint8_t type, uint8_t id);
/* Added by chardev-helper: the session's main connection (NULL without a client), for the agent. */
struct ChannelConnection *main_channel_get_connection(MainChannel *main);

/* SPICE_MSG_MAIN_MOUSE_MODE (supported and current modes, SPICE_MOUSE_MODE_* bits). */
void main_channel_send_mouse_mode(MainChannel *main, uint16_t supported, uint16_t current);
