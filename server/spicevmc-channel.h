/* spicevmc-channel: a usbredir, port or webdav channel carrying one char device's bytes to one client. */
#pragma once

#include <stdint.h>

#include "spice.h"

/*
 * A SpicevmcChannel registers channel (@channel_type, @channel_id) (SPICE_CHANNEL_USBREDIR,
 * _PORT or _WEBDAV) and serves one client connection of the current session. Bytes the guest
 * writes go to the client as SPICEVMC_DATA messages; client DATA goes to the device. The device
 * sees state(1) when a client links and state(0) when it leaves. Port and webdav channels send
 * PORT_INIT (name, opened) on connect and pass PORT_EVENTs both ways.
 *
 * Host thread only. The channel borrows @sin (the host's) and @reds; @port_name is copied.
 */
typedef struct SpicevmcChannel SpicevmcChannel;

SpicevmcChannel *spicevmc_channel_new(SpiceServer *reds, SpiceCharDeviceInstance *sin,
                                      uint8_t channel_type, uint8_t channel_id,
                                      const char *port_name);
/* Closes the client connection (state(0)), unregisters the channel. Accepts NULL. */
void spicevmc_channel_destroy(SpicevmcChannel *vmc);

/* spice_server_char_device_wakeup for this device. */
void spicevmc_channel_wakeup(SpicevmcChannel *vmc);
/* spice_server_port_event: SPICE_PORT_EVENT_OPENED / CLOSED are remembered for PORT_INIT;
 * every event goes to a connected port client. */
void spicevmc_channel_port_event(SpicevmcChannel *vmc, uint8_t event);
