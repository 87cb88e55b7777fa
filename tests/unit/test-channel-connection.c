/* test-channel-connection: framing (mini and full headers), ack window, size limit and base messages over a socketpair. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "server/channel-connection.h"
#include "server/reds.h"

/* The connections here have no server (peer->reds is NULL): this is never reached. */
void reds_report_channel_event(SpiceServer *reds, int event, SpiceChannelEventInfo *info,
                               void (*free_after)(void *info))
{
    g_assert_not_reached();
}

typedef struct Fixture {
    GMainContext *context;
    EventLoop *loop;
    int client_fd;                  /* the test plays the client on this end */
    ChannelConnection *conn;
    bool closed;
    int messages;
    uint16_t last_type;
    uint8_t last_body[64];
    uint32_t last_size;
    bool reject_next;
    int writable;
    int pongs;
    uint32_t last_pong_id;
} Fixture;

static bool on_message(ChannelConnection *conn, uint16_t type, const uint8_t *body, uint32_t size,
                       void *opaque)
{
    Fixture *f = opaque;
    f->messages++;
    f->last_type = type;
    f->last_size = size;
    memcpy(f->last_body, body, MIN(size, sizeof(f->last_body)));
    return !f->reject_next;
}

static void on_writable(ChannelConnection *conn, void *opaque)
{
    ((Fixture *)opaque)->writable++;
}

static void on_closed(ChannelConnection *conn, void *opaque)
{
    Fixture *f = opaque;
    f->closed = true;
    f->conn = NULL;
}

static void on_pong(ChannelConnection *conn, uint32_t id, uint64_t roundtrip_us, void *opaque)
{
    Fixture *f = opaque;
    f->pongs++;
    f->last_pong_id = id;
}

static const ChannelConnectionCallbacks callbacks = {
    .handle_message = on_message,
    .on_writable = on_writable,
    .on_closed = on_closed,
    .on_pong = on_pong,
};

static uint32_t next_idle_timeout_ms;   /* applies to the next fixture_start only */
static uint32_t next_ping_interval_ms;

static void fixture_start(Fixture *f, bool mini, bool acks, uint32_t window, uint32_t max_size)
{
    memset(f, 0, sizeof(*f));
    f->context = g_main_context_new();
    f->loop = event_loop_new_glib(f->context);
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    f->client_fd = fds[1];

    LinkedPeer *peer = g_new0(LinkedPeer, 1);
    peer->fd = fds[0];
    peer->channel_type = SPICE_CHANNEL_DISPLAY;
    peer->use_mini_header = mini;
    peer->event_info = g_new0(SpiceChannelEventInfo, 1);
    ChannelConnectionConfig config = {
        .name = "test",
        .max_message_size = max_size,
        .handles_acks = acks,
        .ack_window = window,
        .idle_timeout_ms = next_idle_timeout_ms,
        .ping_interval_ms = next_ping_interval_ms,
    };
    next_idle_timeout_ms = 0;
    next_ping_interval_ms = 0;
    f->conn = channel_connection_new(f->loop, peer, &config, &callbacks, f);
    g_assert_nonnull(f->conn);
}

static void fixture_stop(Fixture *f)
{
    if (f->conn) {
        channel_connection_close(f->conn);
    }
    g_assert_true(f->closed);
    close(f->client_fd);
    event_loop_destroy(f->loop);
    g_main_context_unref(f->context);
}

static void spin(Fixture *f, unsigned ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(f->context, FALSE);
        g_usleep(100);
    }
}

/* Spins until @flag becomes non-zero or 2 s pass. */
static bool spin_until(Fixture *f, const int *counter, int at_least)
{
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (*counter < at_least && g_get_monotonic_time() < end) {
        g_main_context_iteration(f->context, FALSE);
        g_usleep(100);
    }
    return *counter >= at_least;
}

static void client_send(Fixture *f, bool mini, uint64_t serial, uint16_t type, const void *body, uint32_t size)
{
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader hdr = { .serial = serial, .type = type, .size = size };
    framing_write_header(&w, mini, &hdr);
    wire_write_bytes(&w, body, size);
    g_assert_cmpint(write(f->client_fd, wire_writer_data(&w), wire_writer_size(&w)), ==,
                    (ssize_t)wire_writer_size(&w));
    wire_writer_finish(&w);
}

/* Reads one message the server sent; spins the loop so queued data gets written. */
static void client_recv(Fixture *f, bool mini, FrameHeader *hdr, uint8_t *body, size_t body_cap)
{
    size_t hsize = framing_header_size(mini);
    uint8_t buf[FRAMING_FULL_HEADER_SIZE];
    size_t got = 0;
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (got < hsize) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_main_context_iteration(f->context, FALSE);
        ssize_t n = recv(f->client_fd, buf + got, hsize - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
        }
    }
    g_assert_true(framing_parse_header(buf, hsize, mini, hdr));
    g_assert_cmpuint(hdr->size, <=, body_cap);
    got = 0;
    while (got < hdr->size) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_main_context_iteration(f->context, FALSE);
        ssize_t n = recv(f->client_fd, body + got, hdr->size - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
        }
    }
}

static void test_mini_header(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 1024);
    client_send(&f, true, 0, 101, "abc", 3);
    g_assert_true(spin_until(&f, &f.messages, 1));
    g_assert_cmpuint(f.last_type, ==, 101);
    g_assert_cmpuint(f.last_size, ==, 3);
    g_assert_cmpmem(f.last_body, 3, "abc", 3);

    channel_connection_send(f.conn, 105, (const uint8_t *)"hi", 2);
    FrameHeader hdr;
    uint8_t body[16];
    client_recv(&f, true, &hdr, body, sizeof(body));
    g_assert_cmpuint(hdr.type, ==, 105);
    g_assert_cmpuint(hdr.size, ==, 2);
    g_assert_cmpmem(body, 2, "hi", 2);
    g_assert_cmpuint(channel_connection_pending_bytes(f.conn), ==, 0);
    g_assert_false(f.closed);
    fixture_stop(&f);
}

static void test_full_header(void)
{
    Fixture f;
    fixture_start(&f, false, false, 0, 1024);
    client_send(&f, false, 1, 102, "xyz!", 4);
    g_assert_true(spin_until(&f, &f.messages, 1));
    g_assert_cmpuint(f.last_type, ==, 102);
    g_assert_cmpmem(f.last_body, 4, "xyz!", 4);

    /* Serials count from 1. */
    channel_connection_send(f.conn, 110, NULL, 0);
    channel_connection_send(f.conn, 111, (const uint8_t *)"z", 1);
    FrameHeader hdr;
    uint8_t body[16];
    client_recv(&f, false, &hdr, body, sizeof(body));
    g_assert_cmpuint(hdr.serial, ==, 1);
    g_assert_cmpuint(hdr.type, ==, 110);
    g_assert_cmpuint(hdr.size, ==, 0);
    client_recv(&f, false, &hdr, body, sizeof(body));
    g_assert_cmpuint(hdr.serial, ==, 2);
    g_assert_cmpuint(hdr.type, ==, 111);
    fixture_stop(&f);
}

static void test_ack_window(void)
{
    Fixture f;
    fixture_start(&f, true, true, 2, 1024);
    FrameHeader hdr;
    uint8_t body[64];
    client_recv(&f, true, &hdr, body, sizeof(body));
    g_assert_cmpuint(hdr.type, ==, SPICE_MSG_SET_ACK);
    uint32_t generation, window;
    g_assert_true(base_msg_parse_set_ack(body, hdr.size, &generation, &window));
    g_assert_cmpuint(window, ==, 2);

    int sent = 0;
    while (!channel_connection_is_blocked(f.conn) && sent < 100) {
        channel_connection_send(f.conn, 200, NULL, 0);
        sent++;
    }
    g_assert_true(channel_connection_is_blocked(f.conn));
    g_assert_cmpint(sent, <=, 5);       /* more than 2 * window unacked */

    /* An ACK before ACK_SYNC names no generation: ignored, still blocked. */
    client_send(&f, true, 0, SPICE_MSGC_ACK, NULL, 0);
    spin(&f, 50);
    g_assert_true(channel_connection_is_blocked(f.conn));

    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_ack_sync(&w, generation);
    client_send(&f, true, 0, SPICE_MSGC_ACK_SYNC, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
    wire_writer_finish(&w);
    int writable_before = f.writable;
    client_send(&f, true, 0, SPICE_MSGC_ACK, NULL, 0);
    g_assert_true(spin_until(&f, &f.writable, writable_before + 1));
    g_assert_false(channel_connection_is_blocked(f.conn));
    g_assert_false(f.closed);
    fixture_stop(&f);
}

static void test_too_large_closes(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 16);
    uint8_t big[17] = { 0 };
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*exceeds the limit*");
    client_send(&f, true, 0, 101, big, sizeof(big));
    int closed = 0;
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
    }
    closed = f.closed;
    g_assert_true(closed);
    g_assert_cmpint(f.messages, ==, 0);
    g_test_assert_expected_messages();
    /* The server side of the socket is closed: the client reads EOF (or a reset, since the
     * server dropped unread bytes). */
    char c;
    ssize_t n = read(f.client_fd, &c, 1);
    g_assert_true(n == 0 || (n < 0 && errno == ECONNRESET));
    fixture_stop(&f);
}

static void test_unknown_base_message_closes(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 1024);
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*unexpected client message type 50*");
    client_send(&f, true, 0, 50, NULL, 0);
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
    }
    g_assert_true(f.closed);
    g_test_assert_expected_messages();
    fixture_stop(&f);
}

static void test_rejected_message_closes(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 1024);
    f.reject_next = true;
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*invalid client message type 150*");
    client_send(&f, true, 0, 150, "q", 1);
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
    }
    g_assert_true(f.closed);
    g_assert_cmpint(f.messages, ==, 1);
    g_test_assert_expected_messages();
    fixture_stop(&f);
}

static void test_ping_pong(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 1024);
    uint32_t id = channel_connection_send_ping(f.conn, 100);
    g_assert_cmpuint(id, ==, 1);
    FrameHeader hdr;
    uint8_t body[128];
    client_recv(&f, true, &hdr, body, sizeof(body));
    g_assert_cmpuint(hdr.type, ==, SPICE_MSG_PING);
    g_assert_cmpuint(hdr.size, ==, BASE_MSG_PING_SIZE + 100);
    uint32_t ping_id;
    uint64_t ts;
    g_assert_true(base_msg_parse_ping(body, hdr.size, &ping_id, &ts));
    g_assert_cmpuint(ping_id, ==, id);

    /* A PONG for an unknown id is ignored; the right one reaches on_pong. */
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_pong(&w, 77, ts);
    client_send(&f, true, 0, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
    wire_writer_reset(&w);
    base_msg_write_pong(&w, ping_id, ts);
    client_send(&f, true, 0, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
    wire_writer_finish(&w);
    g_assert_true(spin_until(&f, &f.pongs, 1));
    spin(&f, 20);
    g_assert_cmpint(f.pongs, ==, 1);
    g_assert_cmpuint(f.last_pong_id, ==, id);

    /* A short PONG is malformed. */
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*malformed PONG*");
    client_send(&f, true, 0, SPICE_MSGC_PONG, "ab", 2);
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
    }
    g_assert_true(f.closed);
    g_test_assert_expected_messages();
    fixture_stop(&f);
}

static void test_peer_close(void)
{
    Fixture f;
    fixture_start(&f, true, false, 0, 1024);
    /* Half a header, then EOF. */
    g_assert_cmpint(write(f.client_fd, "\x65\x00\x03", 3), ==, 3);
    shutdown(f.client_fd, SHUT_WR);
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
    }
    g_assert_true(f.closed);
    g_assert_cmpint(f.messages, ==, 0);
    fixture_stop(&f);
}

static void test_idle_timeout(void)
{
    /* A client that answers keeps the connection; pings come every interval. */
    Fixture f;
    next_idle_timeout_ms = 400;
    next_ping_interval_ms = 40;
    fixture_start(&f, true, false, 0, 1024);
    gint64 end = g_get_monotonic_time() + 900 * 1000;
    int pings = 0;
    while (g_get_monotonic_time() < end) {
        FrameHeader hdr;
        uint8_t body[64];
        client_recv(&f, true, &hdr, body, sizeof(body));
        g_assert_cmpuint(hdr.type, ==, SPICE_MSG_PING);
        uint32_t id;
        uint64_t ts;
        g_assert_true(base_msg_parse_ping(body, hdr.size, &id, &ts));
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_pong(&w, id, ts);
        client_send(&f, true, 0, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
        wire_writer_finish(&w);
        pings++;
    }
    g_assert_false(f.closed);
    g_assert_cmpint(pings, >=, 5);
    g_assert_cmpint(f.pongs, >=, 4);
    fixture_stop(&f);

    /* A silent client is dropped once the idle limit passes. */
    next_idle_timeout_ms = 60;
    fixture_start(&f, true, false, 0, 1024);
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*nothing from the client for 60 ms*");
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(f.context, FALSE);
        g_usleep(500);
    }
    g_assert_true(f.closed);
    g_test_assert_expected_messages();
    fixture_stop(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/channel-connection/mini-header", test_mini_header);
    g_test_add_func("/channel-connection/full-header", test_full_header);
    g_test_add_func("/channel-connection/ack-window", test_ack_window);
    g_test_add_func("/channel-connection/too-large-closes", test_too_large_closes);
    g_test_add_func("/channel-connection/unknown-base-message-closes", test_unknown_base_message_closes);
    g_test_add_func("/channel-connection/rejected-message-closes", test_rejected_message_closes);
    g_test_add_func("/channel-connection/ping-pong", test_ping_pong);
    g_test_add_func("/channel-connection/peer-close", test_peer_close);
    g_test_add_func("/channel-connection/idle-timeout", test_idle_timeout);
    return g_test_run();
}
