/* agent: VDIChunkHeader framing to the guest, AGENT_DATA/TOKEN flow control to the client, message filtering. */
#include "agent.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/vd_agent.h>

#include "channel-connection.h"
#include "char-device.h"
#include "main-channel.h"
#include "reds-private.h"
#include "protocol/wire.h"

#define CHUNK_HEADER_SIZE 8u            /* VDIChunkHeader: port u32, size u32 */
#define MESSAGE_HEADER_SIZE 20u         /* VDAgentMessage: protocol, type, opaque u64, size */
#define MOUSE_STATE_SIZE 13u            /* VDAgentMouseState: x, y, buttons u32, display_id u8 */
/* As upstream (REDS_AGENT_WINDOW_SIZE): AGENT_DATA messages a client may have in flight. */
#define AGENT_CLIENT_WINDOW 10u
/* Agent bytes queued for a slow client past this: stop reading the agent. */
#define AGENT_MAX_QUEUED_TO_CLIENT (64u * 1024)
/* Write tags: our own mouse state, and client chunks (tag base + session generation). */
#define AGENT_TAG_MOUSE 1u
#define AGENT_TAG_CLIENT_BASE 0x10000u

typedef enum {
    FILTER_PASS,
    FILTER_DISCARD,
    FILTER_ERROR,
} FilterResult;

/* One direction's VDAgentMessage boundaries: every chunk is the start or a continuation of one
 * message (peers never pack two messages into a chunk). */
typedef struct MessageFilter {
    uint32_t remaining;                 /* bytes of the current message still to come */
    bool discarding;                    /* the current message is dropped */
} MessageFilter;

struct Agent {
    SpiceServer *reds;                  /* not owned */
    CharDevice *device;                 /* owned */

    /* device -> server: the chunk being read */
    uint8_t header[CHUNK_HEADER_SIZE];
    uint32_t header_got;
    uint32_t chunk_port;
    uint32_t chunk_size;
    uint32_t chunk_got;
    bool chunk_oversized;               /* chunk_size was a lie: skip its bytes */
    uint8_t chunk[VD_AGENT_MAX_DATA_SIZE];
    MessageFilter from_device;
    MessageFilter from_client;
    bool reported_bad_chunk;            /* a hostile agent gets one log line, not a flood */

    /* the client (through the main channel) */
    bool client_connected;
    bool client_started;                /* AGENT_START received */
    uint32_t send_tokens;               /* AGENT_DATA we may still send the client */
    uint32_t receive_tokens;            /* AGENT_DATA the client may still send us */
    uint32_t generation;                /* counts client sessions: stale write tags are ignored */

    bool mouse_pending;                 /* a newer mouse state waits for the queued one */
    uint8_t mouse_state[MOUSE_STATE_SIZE];
};

static ChannelConnection *main_conn(Agent *agent)
{
    return agent->reds->main_channel ? main_channel_get_connection(agent->reds->main_channel) : NULL;
}

static void send_u32(Agent *agent, uint16_t type, uint32_t value)
{
    ChannelConnection *conn = main_conn(agent);
    if (!conn) {
        return;
    }
    uint8_t body[4];
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, value);
    memcpy(body, wire_writer_data(&w), sizeof(body));
    wire_writer_finish(&w);
    channel_connection_send(conn, type, body, sizeof(body));
}

static uint32_t client_tag(const Agent *agent)
{
    return AGENT_TAG_CLIENT_BASE + (agent->generation & 0xffffu);
}

/* ---- message filter ---- */

static bool type_allowed(const Agent *agent, uint32_t type)
{
    switch (type) {
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD_RELEASE:
        return agent->reds->config.agent_copypaste;
    case VD_AGENT_FILE_XFER_START:
    case VD_AGENT_FILE_XFER_STATUS:
    case VD_AGENT_FILE_XFER_DATA:
        return agent->reds->config.agent_file_xfer;
    default:
        return true;
    }
}

/* @deliver: whether a message starting in this chunk may reach its receiver at all. */
static FilterResult filter_chunk(const Agent *agent, MessageFilter *f, const uint8_t *data,
                                 uint32_t size, bool deliver)
{
    if (f->remaining > 0) {
        if (size > f->remaining) {
            return FILTER_ERROR;
        }
        f->remaining -= size;
        return f->discarding ? FILTER_DISCARD : FILTER_PASS;
    }
    if (size < MESSAGE_HEADER_SIZE) {
        return FILTER_ERROR;
    }
    WireReader r;
    wire_reader_init(&r, data, size);
    uint32_t protocol = wire_read_u32(&r);
    uint32_t type = wire_read_u32(&r);
    wire_read_u64(&r);
    uint32_t msg_size = wire_read_u32(&r);
    uint32_t here = size - MESSAGE_HEADER_SIZE;
    if (protocol != VD_AGENT_PROTOCOL || msg_size < here) {
        return FILTER_ERROR;
    }
    f->remaining = msg_size - here;
    f->discarding = !deliver || !type_allowed(agent, type);
    return f->discarding ? FILTER_DISCARD : FILTER_PASS;
}

/* ---- device -> client ---- */

static bool client_is_listening(const Agent *agent)
{
    return agent->client_connected && agent->client_started && main_conn((Agent *)agent);
}

static bool agent_can_take(void *opaque)
{
    Agent *agent = opaque;
    /* Without a listening client the agent's messages are read and dropped, as upstream: a
     * guest agent must never block on a missing client. */
    if (!client_is_listening(agent)) {
        return true;
    }
    return agent->send_tokens > 0 &&
           channel_connection_pending_bytes(main_conn(agent)) < AGENT_MAX_QUEUED_TO_CLIENT;
}

/* Read no further than the end of the current header or chunk: each chunk spends a token. */
static size_t agent_read_size(void *opaque)
{
    Agent *agent = opaque;
    if (agent->header_got < CHUNK_HEADER_SIZE) {
        return CHUNK_HEADER_SIZE - agent->header_got;
    }
    return MIN(agent->chunk_size - agent->chunk_got, 64u * 1024);
}

static void dispatch_chunk(Agent *agent)
{
    if (agent->chunk_oversized) {
        return;
    }
    if (agent->chunk_port != VDP_CLIENT_PORT) {
        /* Replies to the server (port 2) and unknown ports: nothing here needs them. */
        return;
    }
    /* A message that started while no client listened is dropped whole, so a client that
     * starts listening mid-message never sees its tail. */
    FilterResult result = filter_chunk(agent, &agent->from_device, agent->chunk, agent->chunk_size,
                                       client_is_listening(agent));
    if (result == FILTER_ERROR) {
        if (!agent->reported_bad_chunk) {
            agent->reported_bad_chunk = true;
            g_message("vdagent: the guest agent sent a malformed message chunk (%u bytes); dropped "
                      "(further bad chunks are dropped silently)", agent->chunk_size);
        }
        agent->from_device = (MessageFilter){ 0 };
        return;
    }
    if (result == FILTER_DISCARD || !client_is_listening(agent)) {
        return;
    }
    channel_connection_send(main_conn(agent), SPICE_MSG_MAIN_AGENT_DATA, agent->chunk, agent->chunk_size);
    agent->send_tokens--;
}

static void agent_on_device_data(const uint8_t *data, size_t size, void *opaque)
{
    Agent *agent = opaque;
    while (size > 0) {
        if (agent->header_got < CHUNK_HEADER_SIZE) {
            size_t n = MIN(size, CHUNK_HEADER_SIZE - agent->header_got);
            memcpy(agent->header + agent->header_got, data, n);
            agent->header_got += (uint32_t)n;
            data += n;
            size -= n;
            if (agent->header_got < CHUNK_HEADER_SIZE) {
                return;
            }
            WireReader r;
            wire_reader_init(&r, agent->header, CHUNK_HEADER_SIZE);
            agent->chunk_port = wire_read_u32(&r);
            agent->chunk_size = wire_read_u32(&r);
            agent->chunk_got = 0;
            agent->chunk_oversized = agent->chunk_size > VD_AGENT_MAX_DATA_SIZE;
            if (agent->chunk_oversized && !agent->reported_bad_chunk) {
                agent->reported_bad_chunk = true;
                g_message("vdagent: the guest agent announced a %u-byte chunk (limit %u); skipping it "
                          "(further bad chunks are dropped silently)", agent->chunk_size,
                          VD_AGENT_MAX_DATA_SIZE);
            }
        }
        size_t n = MIN(size, (size_t)(agent->chunk_size - agent->chunk_got));
        if (!agent->chunk_oversized) {
            memcpy(agent->chunk + agent->chunk_got, data, n);
        }
        agent->chunk_got += (uint32_t)n;
        data += n;
        size -= n;
        if (agent->chunk_got == agent->chunk_size) {
            dispatch_chunk(agent);
            agent->header_got = 0;
        }
    }
}

/* ---- client -> device ---- */

static void queue_mouse_state(Agent *agent);

static void agent_on_written(uint32_t tag, void *opaque)
{
    Agent *agent = opaque;
    if (tag == AGENT_TAG_MOUSE) {
        if (agent->mouse_pending) {
            queue_mouse_state(agent);
        }
        return;
    }
    /* A client chunk reached the guest: the client may send another. */
    if (tag == client_tag(agent) && agent->client_connected) {
        agent->receive_tokens++;
        send_u32(agent, SPICE_MSG_MAIN_AGENT_TOKEN, 1);
    }
}

static const CharDeviceCallbacks agent_device_callbacks = {
    .on_data = agent_on_device_data,
    .can_take = agent_can_take,
    .read_size = agent_read_size,
    .on_written = agent_on_written,
};

/* A chunk to the guest: VDIChunkHeader then the bytes, queued as one piece. */
static void write_chunk(Agent *agent, uint32_t port, const uint8_t *data, uint32_t size, uint32_t tag)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, port);
    wire_write_u32(&w, size);
    wire_write_bytes(&w, data, size);
    char_device_write(agent->device, wire_writer_data(&w), wire_writer_size(&w), tag);
    wire_writer_finish(&w);
}

static void write_server_message(Agent *agent, uint32_t type, const uint8_t *data, uint32_t size,
                                 uint32_t tag)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, VD_AGENT_PROTOCOL);
    wire_write_u32(&w, type);
    wire_write_u64(&w, 0);
    wire_write_u32(&w, size);
    wire_write_bytes(&w, data, size);
    write_chunk(agent, VDP_SERVER_PORT, wire_writer_data(&w), (uint32_t)wire_writer_size(&w), tag);
    wire_writer_finish(&w);
}

/* ---- public ---- */

static void send_connected(Agent *agent)
{
    ChannelConnection *conn = main_conn(agent);
    if (!conn || !agent->client_connected) {
        return;
    }
    agent->client_started = false;
    agent->receive_tokens = AGENT_CLIENT_WINDOW;
    if (linked_peer_has_channel_cap(channel_connection_get_peer(conn), SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS)) {
        send_u32(agent, SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS, AGENT_CLIENT_WINDOW);
    } else {
        channel_connection_send(conn, SPICE_MSG_MAIN_AGENT_CONNECTED, NULL, 0);
    }
}

Agent *agent_new(SpiceServer *reds, SpiceCharDeviceInstance *sin)
{
    Agent *agent = g_new0(Agent, 1);
    agent->reds = reds;
    agent->device = char_device_new(reds_get_event_loop(reds), sin, &agent_device_callbacks, agent);
    agent->client_connected = reds->main_channel && main_channel_get_connection(reds->main_channel);
    char_device_set_state(agent->device, true);
    send_connected(agent);
    return agent;
}

void agent_destroy(Agent *agent)
{
    if (!agent) {
        return;
    }
    if (agent->client_connected) {
        send_u32(agent, SPICE_MSG_MAIN_AGENT_DISCONNECTED, SPICE_LINK_ERR_OK);
    }
    char_device_set_state(agent->device, false);
    char_device_free(agent->device);
    g_free(agent);
}

void agent_wakeup(Agent *agent)
{
    char_device_wakeup(agent->device);
}

void agent_on_client_connected(Agent *agent, uint32_t tokens)
{
    if (!agent) {
        return;
    }
    agent->generation++;
    agent->client_connected = true;
    agent->client_started = false;
    agent->receive_tokens = tokens;
    agent->send_tokens = 0;
    agent->from_client = (MessageFilter){ 0 };
}

void agent_on_client_disconnected(Agent *agent)
{
    if (!agent || !agent->client_connected) {
        return;
    }
    agent->generation++;
    agent->client_connected = false;
    agent->client_started = false;
    agent->send_tokens = 0;
    /* The guest agent resets its view of the client (clipboard grabs, a half-sent message). */
    char_device_drop_queued(agent->device);
    agent->mouse_pending = false;
    write_server_message(agent, VD_AGENT_CLIENT_DISCONNECTED, NULL, 0, 0);
    agent->from_client = (MessageFilter){ 0 };
    /* Reading resumes in discard mode. */
    char_device_wakeup(agent->device);
}

bool agent_on_client_start(Agent *agent, uint32_t num_tokens)
{
    if (!agent || !agent->client_connected) {
        return true;
    }
    agent->client_started = true;
    agent->send_tokens = num_tokens;
    char_device_wakeup(agent->device);
    return true;
}

bool agent_on_client_token(Agent *agent, uint32_t num_tokens)
{
    if (!agent || !agent->client_started) {
        return true;
    }
    agent->send_tokens = num_tokens > UINT32_MAX - agent->send_tokens ? UINT32_MAX
                                                                      : agent->send_tokens + num_tokens;
    char_device_wakeup(agent->device);
    return true;
}

bool agent_on_client_data(Agent *agent, const uint8_t *data, uint32_t size)
{
    if (!agent || !agent->client_connected) {
        return true;    /* the agent just left: the client learns it from AGENT_DISCONNECTED */
    }
    if (size == 0 || size > VD_AGENT_MAX_DATA_SIZE) {
        g_message("vdagent: the client sent a %u-byte AGENT_DATA (1..%u allowed); closing its "
                  "main connection", size, VD_AGENT_MAX_DATA_SIZE);
        return false;
    }
    if (agent->receive_tokens == 0) {
        g_message("vdagent: the client sent AGENT_DATA without a token; closing its main connection");
        return false;
    }
    FilterResult result = filter_chunk(agent, &agent->from_client, data, size, true);
    if (result == FILTER_ERROR) {
        g_message("vdagent: the client sent a malformed agent message chunk; closing its main connection");
        return false;
    }
    agent->receive_tokens--;
    if (result == FILTER_DISCARD) {
        agent->receive_tokens++;
        send_u32(agent, SPICE_MSG_MAIN_AGENT_TOKEN, 1);
        return true;
    }
    write_chunk(agent, VDP_CLIENT_PORT, data, size, client_tag(agent));
    return true;
}

void agent_on_main_writable(Agent *agent)
{
    if (agent) {
        char_device_wakeup(agent->device);
    }
}

static void queue_mouse_state(Agent *agent)
{
    /* One mouse state in the guest's queue at a time; a newer one waits and replaces. */
    if (char_device_has_queued_tag(agent->device, AGENT_TAG_MOUSE)) {
        agent->mouse_pending = true;
        return;
    }
    agent->mouse_pending = false;
    write_server_message(agent, VD_AGENT_MOUSE_STATE, agent->mouse_state, MOUSE_STATE_SIZE,
                         AGENT_TAG_MOUSE);
}

void agent_send_mouse_state(Agent *agent, uint32_t x, uint32_t y, uint32_t spice_buttons,
                            uint8_t display_id)
{
    if (!agent) {
        return;
    }
    uint32_t buttons = 0;
    buttons |= (spice_buttons & SPICE_MOUSE_BUTTON_MASK_LEFT) ? VD_AGENT_LBUTTON_MASK : 0;
    buttons |= (spice_buttons & SPICE_MOUSE_BUTTON_MASK_MIDDLE) ? VD_AGENT_MBUTTON_MASK : 0;
    buttons |= (spice_buttons & SPICE_MOUSE_BUTTON_MASK_RIGHT) ? VD_AGENT_RBUTTON_MASK : 0;
    buttons |= (spice_buttons & SPICE_MOUSE_BUTTON_MASK_UP) ? VD_AGENT_UBUTTON_MASK : 0;
    buttons |= (spice_buttons & SPICE_MOUSE_BUTTON_MASK_DOWN) ? VD_AGENT_DBUTTON_MASK : 0;
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, x);
    wire_write_u32(&w, y);
    wire_write_u32(&w, buttons);
    wire_write_u8(&w, display_id);
    memcpy(agent->mouse_state, wire_writer_data(&w), MOUSE_STATE_SIZE);
    wire_writer_finish(&w);
    queue_mouse_state(agent);
}
