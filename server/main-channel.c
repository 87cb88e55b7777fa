/* main-channel: the main channel's messages: INIT, NAME/UUID, network test, CHANNELS_LIST, mouse mode. */
#include "main-channel.h"

#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "agent.h"
#include "channel-connection.h"
#include "protocol/wire.h"

/* Client main messages carry at most an agent chunk (2048 bytes) plus small headers. */
#define MAIN_MAX_MESSAGE_SIZE (16u * 1024)
/* As upstream: agent tokens granted in INIT (REDS_AGENT_WINDOW_SIZE). */
#define MAIN_AGENT_TOKENS 10u
/* As upstream: INIT's multimedia time runs this far behind the server clock (MM_TIME_DELTA). */
#define MAIN_MM_TIME_DELTA 400u
/* The network test's third PING carries this much padding (NET_TEST_BYTES upstream). */
#define MAIN_NET_TEST_BYTES 256000u
/* Connectivity monitor, as upstream (CLIENT_CONNECTIVITY_TIMEOUT): a client silent this long,
 * although pinged regularly, is gone. */
#define MAIN_PING_INTERVAL_MS 10000u
#define MAIN_IDLE_TIMEOUT_MS 30000u

typedef enum {
    NET_TEST_NONE,
    NET_TEST_WARMUP,
    NET_TEST_LATENCY,
    NET_TEST_RATE,
    NET_TEST_DONE,
} NetTestStage;

struct MainChannel {
    SpiceServer *reds;                  /* not owned */
    ChannelConnection *conn;            /* the session's main connection, NULL without client */
    uint32_t session_id;
    bool attached;                      /* the client sent ATTACH_CHANNELS */

    NetTestStage net_stage;
    uint32_t net_ping_ids[3];
    uint64_t latency_us;
    uint64_t bitrate_per_sec;
};

static void main_send_u32s(ChannelConnection *conn, uint16_t type, const uint32_t *v, size_t n)
{
    WireWriter w;
    wire_writer_init(&w);
    for (size_t i = 0; i < n; i++) {
        wire_write_u32(&w, v[i]);
    }
    channel_connection_send_writer(conn, type, &w);
    wire_writer_finish(&w);
}

static void send_channels_list(MainChannel *main)
{
    SpiceServer *reds = main->reds;
    WireWriter w;
    wire_writer_init(&w);
    uint32_t count = 0;
    wire_write_u32(&w, 0);      /* patched below */
    for (guint i = 0; i < reds->channels->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(reds->channels, i);
        if (e->type == SPICE_CHANNEL_MAIN) {
            continue;
        }
        wire_write_u8(&w, e->type);
        wire_write_u8(&w, e->id);
        count++;
    }
    wire_writer_patch_u32(&w, 0, count);
    channel_connection_send_writer(main->conn, SPICE_MSG_MAIN_CHANNELS_LIST, &w);
    wire_writer_finish(&w);
}

void main_channel_announce_channel(MainChannel *main, uint8_t type, uint8_t id)
{
    if (!main || !main->conn || !main->attached) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, type);
    wire_write_u8(&w, id);
    channel_connection_send_writer(main->conn, SPICE_MSG_MAIN_CHANNELS_LIST, &w);
    wire_writer_finish(&w);
}

void main_channel_send_mouse_mode(MainChannel *main, uint16_t supported, uint16_t current)
{
    if (!main || !main->conn) {
        return;
    }
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u16(&w, supported);
    wire_write_u16(&w, current);
    channel_connection_send_writer(main->conn, SPICE_MSG_MAIN_MOUSE_MODE, &w);
    wire_writer_finish(&w);
}

/* ---- network test (as upstream: warm-up PING, latency PING, then a 256 kB PING) ---- */

static void net_test_start(MainChannel *main)
{
    main->net_stage = NET_TEST_WARMUP;
    g_atomic_int_set(&main->reds->link_slow, 0);
    main->net_ping_ids[0] = channel_connection_send_ping(main->conn, 0);
    main->net_ping_ids[1] = channel_connection_send_ping(main->conn, 0);
    main->net_ping_ids[2] = channel_connection_send_ping(main->conn, MAIN_NET_TEST_BYTES);
}

static void main_on_pong(ChannelConnection *conn, uint32_t id, uint64_t roundtrip_us, void *opaque)
{
    MainChannel *main = opaque;
    switch (main->net_stage) {
    case NET_TEST_WARMUP:
        if (id == main->net_ping_ids[0]) {
            main->latency_us = roundtrip_us;
            main->net_stage = NET_TEST_LATENCY;
        }
        break;
    case NET_TEST_LATENCY:
        if (id == main->net_ping_ids[1]) {
            main->latency_us = MIN(main->latency_us, roundtrip_us);
            main->net_stage = NET_TEST_RATE;
        }
        break;
    case NET_TEST_RATE:
        if (id != main->net_ping_ids[2]) {
            break;
        }
        main->net_stage = NET_TEST_DONE;
        if (roundtrip_us <= main->latency_us) {
            /* Noise (a loaded host): assume a fast link, as upstream does. */
            main->latency_us = 0;
            main->bitrate_per_sec = UINT64_MAX;
        } else {
            main->bitrate_per_sec = (uint64_t)MAIN_NET_TEST_BYTES * 8 * 1000000 /
                                    (roundtrip_us - main->latency_us);
        }
        /* Read by the display channels: AUTO jpeg/zlib-glz WAN compression (srvcomp). */
        g_atomic_int_set(&main->reds->link_slow,
                         main->bitrate_per_sec < REDS_SLOW_LINK_BITS_PER_SEC);
        g_debug("main channel: net test: latency %.3f ms, bitrate %" G_GUINT64_FORMAT " bps%s",
                (double)main->latency_us / 1000, main->bitrate_per_sec,
                main->bitrate_per_sec < REDS_SLOW_LINK_BITS_PER_SEC ? " (slow link)" : "");
        break;
    default:
        break;
    }
}

/* ---- client messages ---- */

static bool body_at_least(const char *what, uint32_t size, uint32_t need)
{
    if (size < need) {
        g_message("main channel: %s message of %u bytes is shorter than %u; closing the connection",
                  what, size, need);
        return false;
    }
    return true;
}

static bool main_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                                uint32_t size, void *opaque)
{
    MainChannel *main = opaque;
    WireReader r;
    wire_reader_init(&r, body, size);

    switch (type) {
    case SPICE_MSGC_MAIN_ATTACH_CHANNELS:
        main->attached = true;
        send_channels_list(main);
        return true;
    case SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST:
        if (!body_at_least("MOUSE_MODE_REQUEST", size, 2)) {
            return false;
        }
        reds_on_mouse_mode_request(main->reds, wire_read_u16(&r));
        return true;
    case SPICE_MSGC_MAIN_AGENT_START:
        return body_at_least("AGENT_START", size, 4) &&
               agent_on_client_start(main->reds->agent, wire_read_u32(&r));
    case SPICE_MSGC_MAIN_AGENT_TOKEN:
        return body_at_least("AGENT_TOKEN", size, 4) &&
               agent_on_client_token(main->reds->agent, wire_read_u32(&r));
    case SPICE_MSGC_MAIN_AGENT_DATA:
        return agent_on_client_data(main->reds->agent, body, size);
    case SPICE_MSGC_MAIN_CLIENT_INFO:
        return true;
    case SPICE_MSGC_MAIN_MIGRATE_CONNECTED:
    case SPICE_MSGC_MAIN_MIGRATE_CONNECT_ERROR:
    case SPICE_MSGC_MAIN_MIGRATE_END:
        return true;
    case SPICE_MSGC_MAIN_MIGRATE_DST_DO_SEAMLESS:
    case SPICE_MSGC_MAIN_MIGRATE_CONNECTED_SEAMLESS:
        return body_at_least("MIGRATE_*_SEAMLESS", size, 4);
    case SPICE_MSGC_MAIN_QUALITY_INDICATOR:
        return true;
    default:
        return false;
    }
}

static void main_on_closed(ChannelConnection *conn, void *opaque)
{
    MainChannel *main = opaque;
    uint32_t session_id = main->session_id;
    main->conn = NULL;
    main->attached = false;
    main->session_id = 0;
    main->net_stage = NET_TEST_NONE;
    g_atomic_int_set(&main->reds->link_slow, 0);
    agent_on_client_disconnected(main->reds->agent);
    reds_session_end(main->reds, session_id);
}

static void main_on_writable(ChannelConnection *conn, void *opaque)
{
    MainChannel *main = opaque;
    agent_on_main_writable(main->reds->agent);
}

static const ChannelConnectionCallbacks main_callbacks = {
    .handle_message = main_handle_message,
    .on_closed = main_on_closed,
    .on_pong = main_on_pong,
    .on_writable = main_on_writable,
};

static void send_init(MainChannel *main)
{
    SpiceServer *reds = main->reds;
    uint32_t supported = SPICE_MOUSE_MODE_SERVER;
    if (reds->client_mouse_allowed) {
        supported |= SPICE_MOUSE_MODE_CLIENT;
    }
    uint32_t init[8] = {
        main->session_id,
        g_list_length(reds->qxls),      /* display_channels_hint */
        supported,
        (uint32_t)reds->mouse_mode,
        reds->agent ? 1 : 0,            /* agent_connected */
        MAIN_AGENT_TOKENS,
        reds_get_mm_time() - MAIN_MM_TIME_DELTA,
        reds_qxl_ram_hint(reds),
    };
    main_send_u32s(main->conn, SPICE_MSG_MAIN_INIT, init, G_N_ELEMENTS(init));
    agent_on_client_connected(reds->agent, MAIN_AGENT_TOKENS);

    const LinkedPeer *peer = channel_connection_get_peer(main->conn);
    bool name_and_uuid = linked_peer_has_channel_cap(peer, SPICE_MAIN_CAP_NAME_AND_UUID);
    if (name_and_uuid && reds->config.name) {
        size_t len = strlen(reds->config.name) + 1;
        if (len <= UINT32_MAX) {
            WireWriter w;
            wire_writer_init(&w);
            wire_write_u32(&w, (uint32_t)len);
            wire_write_bytes(&w, reds->config.name, len);
            channel_connection_send_writer(main->conn, SPICE_MSG_MAIN_NAME, &w);
            wire_writer_finish(&w);
        }
    }
    if (name_and_uuid && reds->config.uuid_set) {
        channel_connection_send(main->conn, SPICE_MSG_MAIN_UUID, reds->config.uuid,
                                sizeof(reds->config.uuid));
    }
}

static void main_link(LinkedPeer *peer, void *opaque)
{
    MainChannel *main = opaque;
    if (main->conn) {
        /* reds_session_begin already dropped the old client; this is a safety net. */
        channel_connection_close(main->conn);
    }
    bool is_unix = peer->event_info &&
                   peer->event_info->laddr_ext.ss_family == AF_UNIX;
    ChannelConnectionConfig config = {
        .name = "main",
        .max_message_size = MAIN_MAX_MESSAGE_SIZE,
        .handles_acks = false,
        .ping_interval_ms = MAIN_PING_INTERVAL_MS,
        .idle_timeout_ms = MAIN_IDLE_TIMEOUT_MS,
    };
    uint32_t session_id = peer->connection_id;
    ChannelConnection *conn = channel_connection_new(reds_get_event_loop(main->reds), peer, &config,
                                                     &main_callbacks, main);
    if (!conn) {
        reds_session_end(main->reds, session_id);
        return;
    }
    main->conn = conn;
    main->session_id = session_id;
    main->attached = false;
    send_init(main);
    if (!is_unix) {
        net_test_start(main);
    }
}

MainChannel *main_channel_new(SpiceServer *reds)
{
    MainChannel *main = g_new0(MainChannel, 1);
    main->reds = reds;
    /* What upstream 0.15.1 advertises on the wire (0x0F); migration messages are ignored. */
    uint32_t caps = 0;
    caps |= 1u << SPICE_MAIN_CAP_SEMI_SEAMLESS_MIGRATE;
    caps |= 1u << SPICE_MAIN_CAP_NAME_AND_UUID;
    caps |= 1u << SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS;
    caps |= 1u << SPICE_MAIN_CAP_SEAMLESS_MIGRATE;
    reds_register_channel(reds, SPICE_CHANNEL_MAIN, 0, &caps, 1, main_link, main);
    return main;
}

void main_channel_disconnect(MainChannel *main)
{
    if (main && main->conn) {
        channel_connection_close(main->conn);   /* on_closed clears main->conn */
    }
}

ChannelConnection *main_channel_get_connection(MainChannel *main)
{
    return main ? main->conn : NULL;
}

bool main_channel_is_connected(const MainChannel *main)
{
    return main && main->conn;
}

void main_channel_destroy(MainChannel *main)
{
    if (!main) {
        return;
    }
    main_channel_disconnect(main);
    reds_unregister_channel(main->reds, SPICE_CHANNEL_MAIN, 0);
    g_free(main);
}
