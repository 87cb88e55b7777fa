/* char-devices: spice_server_add_interface for "char_device": which channel serves which subtype. */
#pragma once

#include <stdbool.h>

#include "reds-private.h"

/*
 * The reds core hands char device instances here. "vdagent" (one per server) goes to the Agent,
 * "usbredir" to a new usbredir channel with the next free id, "port" to a port channel (webdav
 * for "org.spice-space.webdav.0"). The instance's ->st is ours from add until remove. Host
 * thread only.
 */

/* 0, or -1 (logged) when the subtype is unknown or unsupported, or a second vdagent. */
int char_devices_add(SpiceServer *reds, SpiceCharDeviceInstance *sin);
/* 0, or -1 when @sin is not one of @reds's char devices. */
int char_devices_remove(SpiceServer *reds, SpiceCharDeviceInstance *sin);
bool char_devices_owns(SpiceServer *reds, SpiceBaseInstance *sin);
/* spice_server_destroy: every device is removed (the hosts' instances stay theirs). */
void char_devices_remove_all(SpiceServer *reds);
