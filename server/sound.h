/* sound: the playback and record channels, what the reds core asks of them. */
#pragma once

#include "reds-private.h"

/*
 * One playback and one record device per server (channel id 0 each, one client each, as
 * upstream). Each device's state hangs off its instance's ->st, is made by add_interface and
 * owned by the server (listed in reds->sound_channels) until remove_interface or
 * spice_server_destroy frees it and sets ->st back to NULL. The host's instance is never owned.
 *
 * Threads: every spice_server_playback_* / record_* call, like the channels' sockets, belongs to
 * the host's thread (QEMU calls them from its main loop's audio timer). A call from another
 * thread is dropped with one log line, never half-done.
 */

/* add_interface "playback" / "record" (versions already checked): registers the channel. */
int sound_playback_attach(SpiceServer *reds, SpicePlaybackInstance *sin);
int sound_record_attach(SpiceServer *reds, SpiceRecordInstance *sin);

/* remove_interface: closes the client, unregisters, frees ->st. -1 if @sin is not attached. */
int sound_playback_detach(SpicePlaybackInstance *sin);
int sound_record_detach(SpiceRecordInstance *sin);

/* spice_server_destroy: frees every sound device of @reds still attached. */
void sound_destroy_all(SpiceServer *reds);
