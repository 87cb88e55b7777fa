/* channel-connection: one linked client socket of one channel: framing, send queue, ack window, ping. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event-loop.h"
#include "linked-peer.h"
#include "protocol/wire.h"

/*
 * A ChannelConnection turns a linked socket into messages. It reads framed messages (mini or full
 * header, as the peer negotiated), answers the base client messages itself (ACK_SYNC, ACK, PONG,
 * DISCONNECTING, MIGRATE_* are rejected) and hands every channel message (type >= 101) to
 * handle_message. Outgoing messages are queued and written when the socket is writable; for
 * channels with acks (display, cursor) it sends SET_ACK on start and keeps the unacknowledged
 * count, and channel_connection_is_blocked() tells the channel to stop producing.
 *
 * It lives in the thread of its EventLoop; every call must come from that thread.
 */

typedef struct ChannelConnection ChannelConnection;

typedef struct ChannelConnectionCallbacks {
    /*
     * One channel message (type >= 101). @body is valid only during the call. Return false when
     * the message is invalid: the connection is then closed (one log line names channel and type).
     */
    bool (*handle_message)(ChannelConnection *conn, uint16_t type,
                           const uint8_t *body, uint32_t size, void *opaque);
    /* The send queue drained or the ack window opened again: the channel may produce more. */
    void (*on_writable)(ChannelConnection *conn, void *opaque);
    /*
     * The connection is closing (peer closed, I/O error, invalid message, or
     * channel_connection_close). Called once; the connection is freed right after it returns.
     */
    void (*on_closed)(ChannelConnection *conn, void *opaque);
    /*
     * Added by core-helper, optional (may be NULL): a PONG answered one of our PINGs. @roundtrip_us
     * is measured with our own send time for @id (the client's echoed timestamp is not trusted).
     * The main channel uses it for the network test.
     */
    void (*on_pong)(ChannelConnection *conn, uint32_t id, uint64_t roundtrip_us, void *opaque);
} ChannelConnectionCallbacks;

typedef struct ChannelConnectionConfig {
    const char *name;            /* for log lines: "main", "display", ... */
    uint32_t max_message_size;   /* client messages larger than this close the connection */
    bool handles_acks;           /* display and cursor: SET_ACK + window */
    uint32_t ack_window;         /* 20 as upstream (CLIENT_ACK_WINDOW) */
    uint32_t ping_interval_ms;   /* 0: no periodic latency pings */
    /*
     * Added by core-helper: 0, or close the connection (one log line) when nothing at all came
     * from the client for this long. Use with ping_interval_ms well below it, so that a live
     * client always has PONGs to send (the main channel: pings every 10 s, idle limit 30 s, like
     * upstream's connectivity monitor).
     */
    uint32_t idle_timeout_ms;
} ChannelConnectionConfig;

/*
 * Takes ownership of @peer (and its fd). @callbacks must stay valid for the connection's life.
 * If handles_acks, SET_ACK is queued at once.
 *
 * When the connection closes and @peer->reds is set, it reports SPICE_CHANNEL_EVENT_DISCONNECTED
 * for @peer->event_info itself (through reds_report_channel_event, handing the info over): the
 * channel must not report DISCONNECTED again.
 */
ChannelConnection *channel_connection_new(EventLoop *loop, LinkedPeer *peer,
                                          const ChannelConnectionConfig *config,
                                          const ChannelConnectionCallbacks *callbacks,
                                          void *opaque);

/* The linked peer's facts (caps, ids). Owned by the connection. */
const LinkedPeer *channel_connection_get_peer(const ChannelConnection *conn);

/*
 * Queues one message. The body is copied; @writer's content is the body (no header).
 * Never blocks; channel_connection_pending_bytes() says how much is queued.
 */
void channel_connection_send(ChannelConnection *conn, uint16_t type, const uint8_t *body, size_t size);
void channel_connection_send_writer(ChannelConnection *conn, uint16_t type, const WireWriter *writer);
/* Like channel_connection_send_writer, but takes the writer's buffer as the queued body (no
 * copy of a multi-megabyte image message); @writer is left empty and reusable. */
void channel_connection_send_writer_take(ChannelConnection *conn, uint16_t type, WireWriter *writer);

/* True when the ack window is exhausted (handles_acks) or too much is queued: produce nothing. */
bool channel_connection_is_blocked(const ChannelConnection *conn);
size_t channel_connection_pending_bytes(const ChannelConnection *conn);

/*
 * Added by chardev-helper: stops (false) or resumes (true) reading client messages, so a channel
 * whose consumer is full (a char device that takes guest data slowly) pushes back on the client
 * through TCP instead of buffering without bound. Reading is enabled initially.
 */
void channel_connection_set_reading(ChannelConnection *conn, bool enabled);

/*
 * Sends a PING (id, timestamp, then @padding zero bytes), e.g. the main channel's network test.
 * Returns the PING's id (ids count from 1 per connection; the return value was added by
 * core-helper, callers may ignore it).
 */
uint32_t channel_connection_send_ping(ChannelConnection *conn, uint32_t padding);

/*
 * Closes the socket at once (queued data is dropped) and calls on_closed. Safe from inside
 * handle_message; the free then happens when the callback returns.
 */
void channel_connection_close(ChannelConnection *conn);
