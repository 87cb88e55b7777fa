/* agent: the vdagent char device and its path to the client through the main channel. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "spice.h"

/*
 * The Agent serves the one "vdagent" char device (virtio-serial port com.redhat.spice.0; QEMU
 * adds the instance only while a guest has the port open). Between the server and the guest the
 * byte stream is framed in VDIChunkHeader chunks (port 1: the client's messages, port 2: the
 * server's); between server and client it travels in MAIN AGENT_DATA messages of at most
 * VD_AGENT_MAX_DATA_SIZE bytes, each costing one token of the receiver.
 *
 * Host thread only. The Agent borrows @reds and @sin. The main channel calls the agent_on_*
 * functions; each accepts a NULL agent (no vdagent attached) and then does nothing.
 *
 * Left out (upstream does them): VD_AGENT_MONITORS_CONFIG routed to the QXL device's
 * client_monitors_config, the agent's ANNOUNCE_CAPABILITIES inspection, graphics device info,
 * migration of agent state, the FILE_XFER_STATUS "disabled" reply.
 */
typedef struct Agent Agent;

/* add_interface("vdagent"): tells the client AGENT_CONNECTED(_TOKENS). */
Agent *agent_new(SpiceServer *reds, SpiceCharDeviceInstance *sin);
/* remove_interface: tells the client AGENT_DISCONNECTED. Accepts NULL. */
void agent_destroy(Agent *agent);

/* spice_server_char_device_wakeup for the vdagent device. */
void agent_wakeup(Agent *agent);

/* The main channel sent INIT to a new client (which holds @tokens of ours), or closed. */
void agent_on_client_connected(Agent *agent, uint32_t tokens);
void agent_on_client_disconnected(Agent *agent);
/* Client messages. False: a protocol violation, close the client's main connection. */
bool agent_on_client_start(Agent *agent, uint32_t num_tokens);
bool agent_on_client_token(Agent *agent, uint32_t num_tokens);
bool agent_on_client_data(Agent *agent, const uint8_t *data, uint32_t size);
/* The main connection's send queue drained. */
void agent_on_main_writable(Agent *agent);

/* Client mouse mode through the agent: a VD_AGENT_MOUSE_STATE to the guest. @spice_buttons is
 * the inputs channel's SPICE_MOUSE_BUTTON_MASK_* set. */
void agent_send_mouse_state(Agent *agent, uint32_t x, uint32_t y, uint32_t spice_buttons,
                            uint8_t display_id);
