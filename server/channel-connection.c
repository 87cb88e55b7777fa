/* channel-connection: framed reading, queued writing, ack window and pings for one linked client socket. */
#include "channel-connection.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>

#include "protocol/ack-window.h"
#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "reds.h"

/* Producers are told to stop while more than this is queued for the socket. */
#define CHANNEL_CONNECTION_MAX_PENDING_BYTES (4u * 1024 * 1024)
/* A client that stops reading while we keep queueing (e.g. flooding motion events to earn
 * MOTION_ACKs) is dropped past this, so it cannot make us buffer without bound. */
#define CHANNEL_CONNECTION_HARD_MAX_PENDING_BYTES (128u * 1024 * 1024)
/* Used when a channel gives no limit of its own. */
#define CHANNEL_CONNECTION_DEFAULT_MAX_MESSAGE (64u * 1024)
/* Messages handled per readable event before we give other sources a turn. */
#define CHANNEL_CONNECTION_READ_BUDGET 64
#define CHANNEL_CONNECTION_IOV_MAX 64
/* PINGs whose PONG we still wait for (the main channel's net test has 3 in flight). */
#define CHANNEL_CONNECTION_PING_SLOTS 8
/* Client message types below this are the base messages every channel shares. */
#define SPICE_MSGC_BASE_CHANNEL_FIRST 101

/* A queued message: its framing header inline, its body a separate owned buffer, so a body
 * built by the channel is queued as it is (channel_connection_send_writer_take), not copied. */
typedef struct OutMessage {
    uint8_t header[FRAMING_FULL_HEADER_SIZE];
    size_t header_size;
    uint8_t *body;      /* owned (g_free), NULL for an empty body */
    size_t body_size;
    size_t sent;        /* bytes of header + body written */
} OutMessage;

typedef struct PendingPing {
    uint32_t id;
    int64_t sent_us;    /* 0: slot free */
} PendingPing;

struct ChannelConnection {
    EventLoop *loop;
    LinkedPeer *peer;                   /* owned */
    char *name;                         /* owned copy of config->name */
    uint32_t max_message_size;
    bool handles_acks;
    uint32_t ack_window_size;
    uint32_t ping_interval_ms;
    const ChannelConnectionCallbacks *callbacks;
    void *opaque;

    EventLoopWatch *watch;
    int watch_mask;
    EventLoopTimer *ping_timer;
    EventLoopTimer *close_timer;        /* defers a close found while the channel was calling us */
    EventLoopTimer *idle_timer;         /* idle_timeout_ms: checks that the client still talks */
    /* TLS keeps decrypted bytes the socket no longer signals: this reads them (tls-helper). */
    EventLoopTimer *input_timer;
    uint32_t idle_timeout_ms;
    bool received_since_idle_check;

    /* reading */
    uint8_t header_buf[FRAMING_FULL_HEADER_SIZE];
    size_t header_got;
    FrameHeader header;
    bool in_body;
    uint8_t *body;                      /* owned while in_body */
    size_t body_got;

    /* writing */
    GQueue out;                         /* of OutMessage* */
    size_t pending_bytes;
    uint64_t out_serial;

    AckWindow ack;
    uint32_t next_ping_id;
    PendingPing pings[CHANNEL_CONNECTION_PING_SLOTS];

    bool closed;
    bool read_paused;                   /* channel_connection_set_reading(false) */
    bool close_pending;                 /* close_timer armed: nothing more is queued */
    int busy;                           /* > 0 while inside one of our callbacks */
};

static void connection_update_watch(ChannelConnection *conn);
static void connection_flush(ChannelConnection *conn);
static void connection_check_buffered_input(ChannelConnection *conn);

static void out_message_free(gpointer data)
{
    OutMessage *msg = data;
    g_free(msg->body);
    g_free(msg);
}

static void connection_free(ChannelConnection *conn)
{
    event_loop_timer_remove(conn->ping_timer);
    event_loop_timer_remove(conn->close_timer);
    event_loop_timer_remove(conn->idle_timer);
    event_loop_timer_remove(conn->input_timer);
    g_queue_clear_full(&conn->out, out_message_free);
    g_free(conn->body);
    linked_peer_free(conn->peer);
    g_free(conn->name);
    g_free(conn);
}

static void connection_enter(ChannelConnection *conn)
{
    conn->busy++;
}

/* Returns false when the connection was freed (the caller must not touch it again). */
static bool connection_leave(ChannelConnection *conn)
{
    conn->busy--;
    if (conn->busy == 0 && conn->closed) {
        connection_free(conn);
        return false;
    }
    return !conn->closed;
}

static void report_disconnected(ChannelConnection *conn)
{
    LinkedPeer *peer = conn->peer;
    if (peer->reds && peer->event_info) {
        SpiceChannelEventInfo *info = peer->event_info;
        peer->event_info = NULL;
        reds_report_channel_event(peer->reds, SPICE_CHANNEL_EVENT_DISCONNECTED, info, g_free);
    }
}

void channel_connection_close(ChannelConnection *conn)
{
    if (!conn || conn->closed) {
        return;
    }
    conn->closed = true;
    event_loop_watch_remove(conn->watch);
    conn->watch = NULL;
    event_loop_timer_cancel(conn->ping_timer);
    event_loop_timer_cancel(conn->close_timer);
    event_loop_timer_cancel(conn->idle_timer);
    event_loop_timer_cancel(conn->input_timer);
    red_stream_free(conn->peer->stream);
    conn->peer->stream = NULL;
    conn->peer->fd = -1;
    report_disconnected(conn);

    connection_enter(conn);
    if (conn->callbacks->on_closed) {
        conn->callbacks->on_closed(conn, conn->opaque);
    }
    connection_leave(conn);
}

/* A failure found while the channel may be calling us (send): close from the loop instead. */
static void connection_close_later(ChannelConnection *conn)
{
    conn->close_pending = true;
    event_loop_timer_start(conn->close_timer, 0);
}

static void close_timer_fired(void *opaque)
{
    channel_connection_close(opaque);
}

/* ---- writing ---- */

/* Queues @body (taken: freed with g_free once sent or dropped) behind its header. */
static void queue_message(ChannelConnection *conn, uint16_t type, uint8_t *body, size_t size)
{
    if (conn->closed || conn->close_pending) {
        g_free(body);
        return;
    }
    if (size > UINT32_MAX - FRAMING_FULL_HEADER_SIZE) {
        g_warning("%s channel: message type %u of %zu bytes is too large to send; dropped",
                  conn->name, type, size);
        g_free(body);
        return;
    }
    OutMessage *msg = g_new0(OutMessage, 1);
    FrameHeader hdr = {
        .serial = ++conn->out_serial,
        .type = type,
        .size = (uint32_t)size,
        .sub_list = 0,
    };
    WireWriter w;
    wire_writer_init(&w);
    framing_write_header(&w, conn->peer->use_mini_header, &hdr);
    msg->header_size = wire_writer_size(&w);
    memcpy(msg->header, wire_writer_data(&w), msg->header_size);
    wire_writer_finish(&w);
    msg->body = body;
    msg->body_size = size;
    g_queue_push_tail(&conn->out, msg);
    conn->pending_bytes += msg->header_size + size;
    if (conn->handles_acks) {
        ack_window_on_message_sent(&conn->ack);
    }
}

static void send_queued(ChannelConnection *conn)
{
    connection_flush(conn);
    if (!conn->closed && !conn->close_pending &&
        conn->pending_bytes > CHANNEL_CONNECTION_HARD_MAX_PENDING_BYTES) {
        g_message("%s channel: the client does not read (%zu bytes queued); closing the connection",
                  conn->name, conn->pending_bytes);
        connection_close_later(conn);
    }
}

void channel_connection_send(ChannelConnection *conn, uint16_t type, const uint8_t *body, size_t size)
{
    queue_message(conn, type, size > 0 ? g_memdup2(body, size) : NULL, size);
    send_queued(conn);
}

void channel_connection_send_writer(ChannelConnection *conn, uint16_t type, const WireWriter *writer)
{
    channel_connection_send(conn, type, wire_writer_data(writer), wire_writer_size(writer));
}

void channel_connection_send_writer_take(ChannelConnection *conn, uint16_t type, WireWriter *writer)
{
    size_t size;
    uint8_t *body = wire_writer_steal(writer, &size);
    queue_message(conn, type, body, size);
    send_queued(conn);
}

/* Writes what the socket takes now. Never calls the channel back; errors close later. */
static bool connection_write_some(ChannelConnection *conn)
{
    bool progressed = false;
    while (!g_queue_is_empty(&conn->out)) {
        struct iovec iov[CHANNEL_CONNECTION_IOV_MAX];
        int n = 0;
        for (GList *l = conn->out.head; l && n + 2 <= CHANNEL_CONNECTION_IOV_MAX; l = l->next) {
            OutMessage *msg = l->data;
            if (msg->sent < msg->header_size) {
                iov[n].iov_base = msg->header + msg->sent;
                iov[n].iov_len = msg->header_size - msg->sent;
                n++;
            }
            size_t body_sent = msg->sent > msg->header_size ? msg->sent - msg->header_size : 0;
            if (body_sent < msg->body_size) {
                iov[n].iov_base = msg->body + body_sent;
                iov[n].iov_len = msg->body_size - body_sent;
                n++;
            }
        }
        ssize_t written = red_stream_writev(conn->peer->stream, iov, n);
        if (written < 0) {
            if (errno == EAGAIN) {
                break;
            }
            g_message("%s channel: write failed (%s); closing the connection",
                      conn->name, red_stream_error(conn->peer->stream));
            connection_close_later(conn);
            break;
        }
        progressed = progressed || written > 0;
        size_t left = (size_t)written;
        conn->pending_bytes -= left;
        while (left > 0) {
            OutMessage *msg = g_queue_peek_head(&conn->out);
            size_t rest = msg->header_size + msg->body_size - msg->sent;
            if (left >= rest) {
                left -= rest;
                out_message_free(g_queue_pop_head(&conn->out));
            } else {
                msg->sent += left;
                left = 0;
            }
        }
    }
    return progressed;
}

static void connection_flush(ChannelConnection *conn)
{
    /* After a failed write the socket is dead: writing again would only repeat the error. */
    if (conn->closed || conn->close_pending || !conn->peer->stream) {
        return;
    }
    connection_write_some(conn);
    connection_update_watch(conn);
}

static void connection_update_watch(ChannelConnection *conn)
{
    if (conn->closed || !conn->watch) {
        return;
    }
    /* RED_STREAM_OP_* are EVENT_LOOP_* bit for bit. */
    int mask = red_stream_watch_mask(conn->peer->stream, !conn->read_paused,
                                     !g_queue_is_empty(&conn->out));
    if (mask != conn->watch_mask) {
        conn->watch_mask = mask;
        event_loop_watch_update_mask(conn->watch, mask);
    }
}

bool channel_connection_is_blocked(const ChannelConnection *conn)
{
    if (conn->closed || conn->close_pending) {
        return true;
    }
    if (conn->handles_acks && ack_window_is_full(&conn->ack)) {
        return true;
    }
    return conn->pending_bytes > CHANNEL_CONNECTION_MAX_PENDING_BYTES;
}

void channel_connection_set_reading(ChannelConnection *conn, bool enabled)
{
    conn->read_paused = !enabled;
    connection_update_watch(conn);
    connection_check_buffered_input(conn);
}

size_t channel_connection_pending_bytes(const ChannelConnection *conn)
{
    return conn->pending_bytes;
}

const LinkedPeer *channel_connection_get_peer(const ChannelConnection *conn)
{
    return conn->peer;
}

uint32_t channel_connection_send_ping(ChannelConnection *conn, uint32_t padding)
{
    if (conn->closed) {
        return 0;
    }
    uint32_t id = ++conn->next_ping_id;
    if (id == 0) {
        id = ++conn->next_ping_id;
    }
    int64_t now = g_get_monotonic_time();
    /* Reuse the oldest slot when all are taken: an unanswered PING is simply forgotten. */
    PendingPing *slot = &conn->pings[0];
    for (int i = 0; i < CHANNEL_CONNECTION_PING_SLOTS; i++) {
        if (conn->pings[i].sent_us == 0) {
            slot = &conn->pings[i];
            break;
        }
        if (conn->pings[i].sent_us < slot->sent_us) {
            slot = &conn->pings[i];
        }
    }
    slot->id = id;
    slot->sent_us = now;

    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_ping(&w, id, (uint64_t)now, padding);
    channel_connection_send_writer(conn, SPICE_MSG_PING, &w);
    wire_writer_finish(&w);
    return id;
}

static void idle_timer_fired(void *opaque)
{
    ChannelConnection *conn = opaque;
    if (!conn->received_since_idle_check) {
        g_message("%s channel: nothing from the client for %u ms; closing the connection",
                  conn->name, conn->idle_timeout_ms);
        channel_connection_close(conn);
        return;
    }
    conn->received_since_idle_check = false;
    event_loop_timer_start(conn->idle_timer, conn->idle_timeout_ms);
}

static void ping_timer_fired(void *opaque)
{
    ChannelConnection *conn = opaque;
    connection_enter(conn);
    channel_connection_send_ping(conn, 0);
    if (connection_leave(conn)) {
        event_loop_timer_start(conn->ping_timer, conn->ping_interval_ms);
    }
}

/* ---- reading ---- */

static bool handle_pong(ChannelConnection *conn, const uint8_t *body, uint32_t size)
{
    uint32_t id;
    uint64_t timestamp;
    if (!base_msg_parse_pong(body, size, &id, &timestamp)) {
        g_message("%s channel: malformed PONG (%u bytes); closing the connection", conn->name, size);
        return false;
    }
    for (int i = 0; i < CHANNEL_CONNECTION_PING_SLOTS; i++) {
        PendingPing *p = &conn->pings[i];
        if (p->sent_us != 0 && p->id == id) {
            int64_t now = g_get_monotonic_time();
            uint64_t roundtrip = now > p->sent_us ? (uint64_t)(now - p->sent_us) : 0;
            p->sent_us = 0;
            if (conn->callbacks->on_pong) {
                conn->callbacks->on_pong(conn, id, roundtrip, conn->opaque);
            }
            return true;
        }
    }
    /* A PONG for nothing we sent (or a forgotten PING): harmless, ignored as upstream. */
    return true;
}

/* Base messages every channel shares. Returns false to close the connection. */
static bool handle_base_message(ChannelConnection *conn, uint16_t type, const uint8_t *body, uint32_t size)
{
    switch (type) {
    case SPICE_MSGC_ACK_SYNC: {
        uint32_t generation;
        if (!base_msg_parse_ack_sync(body, size, &generation)) {
            g_message("%s channel: malformed ACK_SYNC; closing the connection", conn->name);
            return false;
        }
        ack_window_on_ack_sync(&conn->ack, generation);
        return true;
    }
    case SPICE_MSGC_ACK: {
        bool was_blocked = conn->handles_acks && ack_window_is_full(&conn->ack);
        ack_window_on_ack(&conn->ack);
        if (was_blocked && !channel_connection_is_blocked(conn) && conn->callbacks->on_writable) {
            conn->callbacks->on_writable(conn, conn->opaque);
        }
        return true;
    }
    case SPICE_MSGC_PONG:
        return handle_pong(conn, body, size);
    case SPICE_MSGC_DISCONNECTING:
        g_debug("%s channel: the client announced it is disconnecting", conn->name);
        channel_connection_close(conn);
        return true;
    default:
        g_message("%s channel: unexpected client message type %u (%u bytes); closing the connection "
                  "(migration is not supported)", conn->name, type, size);
        return false;
    }
}

static void dispatch_message(ChannelConnection *conn, uint16_t type, const uint8_t *body, uint32_t size)
{
    bool ok;
    if (type < SPICE_MSGC_BASE_CHANNEL_FIRST) {
        ok = handle_base_message(conn, type, body, size);
    } else {
        ok = conn->callbacks->handle_message(conn, type, body, size, conn->opaque);
        if (!ok && !conn->closed) {
            g_message("%s channel: invalid client message type %u (%u bytes); closing the connection",
                      conn->name, type, size);
        }
    }
    if (!ok) {
        channel_connection_close(conn);
    }
}

/* Reads into @buf until @want bytes are there. Returns 1 when complete, 0 when the socket has no
 * more now, -1 when the connection must close (EOF or error, logged). */
static int read_into(ChannelConnection *conn, uint8_t *buf, size_t want, size_t *got)
{
    while (*got < want) {
        ssize_t n = red_stream_read(conn->peer->stream, buf + *got, want - *got);
        if (n > 0) {
            *got += (size_t)n;
            conn->received_since_idle_check = true;
            continue;
        }
        if (n == 0) {
            g_debug("%s channel: the client closed the connection", conn->name);
            return -1;
        }
        if (errno == EAGAIN) {
            return 0;
        }
        g_message("%s channel: read failed (%s); closing the connection", conn->name,
                  red_stream_error(conn->peer->stream));
        return -1;
    }
    return 1;
}

static void connection_read(ChannelConnection *conn)
{
    size_t header_size = framing_header_size(conn->peer->use_mini_header);
    for (int budget = 0; budget < CHANNEL_CONNECTION_READ_BUDGET && !conn->closed && !conn->read_paused;
         budget++) {
        if (!conn->in_body) {
            int r = read_into(conn, conn->header_buf, header_size, &conn->header_got);
            if (r < 0) {
                channel_connection_close(conn);
                return;
            }
            if (r == 0) {
                return;
            }
            framing_parse_header(conn->header_buf, header_size, conn->peer->use_mini_header,
                                 &conn->header);
            if (conn->header.size > conn->max_message_size) {
                g_message("%s channel: client message type %u of %u bytes exceeds the limit of %u; "
                          "closing the connection", conn->name, conn->header.type,
                          conn->header.size, conn->max_message_size);
                channel_connection_close(conn);
                return;
            }
            conn->in_body = true;
            conn->body_got = 0;
            conn->body = g_malloc(conn->header.size ? conn->header.size : 1);
        }
        int r = read_into(conn, conn->body, conn->header.size, &conn->body_got);
        if (r < 0) {
            channel_connection_close(conn);
            return;
        }
        if (r == 0) {
            return;
        }
        uint8_t *body = conn->body;
        conn->body = NULL;
        conn->in_body = false;
        conn->header_got = 0;
        dispatch_message(conn, conn->header.type, body, conn->header.size);
        g_free(body);
    }
}

/* Decrypted bytes may wait in a TLS stream with nothing left on the socket: read them soon. */
static void connection_check_buffered_input(ChannelConnection *conn)
{
    if (!conn->closed && !conn->read_paused && conn->peer->stream &&
        red_stream_has_buffered_input(conn->peer->stream)) {
        event_loop_timer_start(conn->input_timer, 0);
    }
}

static void input_timer_fired(void *opaque)
{
    ChannelConnection *conn = opaque;
    connection_enter(conn);
    connection_read(conn);
    if (!conn->closed) {
        connection_update_watch(conn);
        connection_check_buffered_input(conn);
    }
    connection_leave(conn);
}

static void connection_watch_fired(int fd, int events, void *opaque)
{
    ChannelConnection *conn = opaque;
    connection_enter(conn);
    /* A TLS read may wait for writability and a write for readability: ask the stream. */
    int ops = red_stream_ready_ops(conn->peer->stream, events);
    if (ops & RED_STREAM_OP_READ) {
        connection_read(conn);
    }
    if (!conn->closed && (ops & RED_STREAM_OP_WRITE)) {
        bool had_queue = !g_queue_is_empty(&conn->out);
        connection_write_some(conn);
        connection_update_watch(conn);
        if (had_queue && g_queue_is_empty(&conn->out) && !conn->closed &&
            conn->callbacks->on_writable && !channel_connection_is_blocked(conn)) {
            conn->callbacks->on_writable(conn, conn->opaque);
        }
    }
    if (!conn->closed) {
        connection_update_watch(conn);
        connection_check_buffered_input(conn);
    }
    connection_leave(conn);
}

ChannelConnection *channel_connection_new(EventLoop *loop, LinkedPeer *peer,
                                          const ChannelConnectionConfig *config,
                                          const ChannelConnectionCallbacks *callbacks,
                                          void *opaque)
{
    g_return_val_if_fail(loop && peer && config && callbacks && callbacks->handle_message, NULL);

    if (!peer->stream) {
        /* A peer made without a stream (tests): its fd is a plain socket. */
        peer->stream = red_stream_new_plain(peer->fd);
    }
    ChannelConnection *conn = g_new0(ChannelConnection, 1);
    conn->loop = loop;
    conn->peer = peer;
    conn->name = g_strdup(config->name ? config->name : "spice");
    conn->max_message_size = config->max_message_size ? config->max_message_size
                                                       : CHANNEL_CONNECTION_DEFAULT_MAX_MESSAGE;
    conn->handles_acks = config->handles_acks;
    conn->ack_window_size = config->ack_window ? config->ack_window : ACK_WINDOW_DEFAULT;
    conn->ping_interval_ms = config->ping_interval_ms;
    conn->callbacks = callbacks;
    conn->opaque = opaque;
    g_queue_init(&conn->out);
    ack_window_init(&conn->ack);

    conn->close_timer = event_loop_timer_add(loop, close_timer_fired, conn);
    conn->input_timer = event_loop_timer_add(loop, input_timer_fired, conn);
    conn->watch_mask = red_stream_watch_mask(peer->stream, true, false);
    conn->watch = event_loop_watch_add(loop, red_stream_get_fd(peer->stream), conn->watch_mask,
                                       connection_watch_fired, conn);
    if (!conn->watch || !conn->close_timer || !conn->input_timer) {
        g_warning("%s channel: cannot watch the client socket; dropping the connection", conn->name);
        event_loop_watch_remove(conn->watch);
        report_disconnected(conn);
        connection_free(conn);
        return NULL;
    }
    if (conn->ping_interval_ms) {
        conn->ping_timer = event_loop_timer_add(loop, ping_timer_fired, conn);
        event_loop_timer_start(conn->ping_timer, conn->ping_interval_ms);
    }
    conn->idle_timeout_ms = config->idle_timeout_ms;
    if (conn->idle_timeout_ms) {
        conn->idle_timer = event_loop_timer_add(loop, idle_timer_fired, conn);
        event_loop_timer_start(conn->idle_timer, conn->idle_timeout_ms);
    }
    if (conn->handles_acks) {
        uint32_t generation = ack_window_restart(&conn->ack, conn->ack_window_size);
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_set_ack(&w, generation, conn->ack_window_size);
        channel_connection_send_writer(conn, SPICE_MSG_SET_ACK, &w);
        wire_writer_finish(&w);
    }
    /* The link stage may have left decrypted bytes (the client's first messages) in the stream. */
    connection_check_buffered_input(conn);
    return conn;
}
