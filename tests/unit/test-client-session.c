/* test-client-session: a whole client session against a scripted fake server (ports 6130-6139). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "client/spice-client.h"
#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/link.h"
#include "protocol/ticket.h"
#include "protocol/wire.h"

#define SESSION_ID 0x1234abcdu

typedef enum Script { SCRIPT_DISPLAY, SCRIPT_WRONG_PASSWORD, SCRIPT_GARBAGE, SCRIPT_RANDOM,
                      SCRIPT_WAIT } Script;

typedef struct Server {
    int listen_fd;
    uint16_t port;
    Script script;
    GThread *thread;
    GMutex lock;
    GCond cond;
    bool client_done;
    /* What the server saw (checked by the test after joining). */
    bool pong_ok, ack_sync_ok, display_init_ok, connection_id_ok;
    unsigned acks;
} Server;

static void read_exact(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (uint8_t *)buf + got, n - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(r, >, 0);
        got += (size_t)r;
    }
}

static void write_all(int fd, const void *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = send(fd, (const uint8_t *)buf + done, n - done, MSG_NOSIGNAL);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        g_assert_cmpint(r, >, 0);
        done += (size_t)r;
    }
}

static void send_msg(int fd, uint16_t type, WireWriter *body)
{
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader h = { .type = type, .size = body ? (uint32_t)wire_writer_size(body) : 0 };
    framing_write_header(&w, true, &h);
    if (body) {
        wire_write_bytes(&w, wire_writer_data(body), wire_writer_size(body));
        wire_writer_finish(body);
    }
    write_all(fd, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
}

/* Reads one message; returns its type and fills @body (caller frees). */
static uint16_t read_msg(int fd, uint8_t **body, uint32_t *size)
{
    uint8_t hdr[FRAMING_MINI_HEADER_SIZE];
    read_exact(fd, hdr, sizeof(hdr));
    FrameHeader h;
    g_assert_true(framing_parse_header(hdr, sizeof(hdr), true, &h));
    g_assert_cmpuint(h.size, <, 1u << 20);
    *body = g_malloc(h.size + 1);
    read_exact(fd, *body, h.size);
    *size = h.size;
    return h.type;
}

/* The server side of the link stage; returns the parsed LinkMess's connection id. */
static uint32_t server_link(int fd, SpiceLinkErr result, const char *password)
{
    uint8_t hdr[LINK_HEADER_SIZE];
    read_exact(fd, hdr, sizeof(hdr));
    uint32_t body_size;
    g_assert_cmpint(link_parse_header(hdr, &body_size), ==, SPICE_LINK_ERR_OK);
    uint8_t *body = g_malloc(body_size);
    read_exact(fd, body, body_size);
    LinkMess mess;
    g_assert_cmpint(link_parse_mess(body, body_size, &mess), ==, SPICE_LINK_ERR_OK);
    g_assert_true(link_caps_has(mess.common_caps, mess.num_common_caps, SPICE_COMMON_CAP_MINI_HEADER));
    uint32_t connection_id = mess.connection_id;
    link_mess_clear(&mess);
    g_free(body);

    LinkTicketKey *key = link_ticket_key_new();
    g_assert_nonnull(key);
    uint8_t der[SPICE_TICKET_PUBKEY_BYTES];
    g_assert_true(link_ticket_key_public_der(key, der));
    uint32_t common = 0;
    link_caps_set(&common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(&common, SPICE_COMMON_CAP_AUTH_SPICE);
    link_caps_set(&common, SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_reply(&w, SPICE_LINK_ERR_OK, der, &common, 1, NULL, 0));
    write_all(fd, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_reset(&w);

    uint8_t mech[LINK_AUTH_MECHANISM_SIZE];
    read_exact(fd, mech, sizeof(mech));
    g_assert_cmpuint(link_parse_auth_mechanism(mech), ==, SPICE_COMMON_CAP_AUTH_SPICE);
    uint8_t ticket[LINK_TICKET_SIZE];
    read_exact(fd, ticket, sizeof(ticket));
    char plain[SPICE_MAX_PASSWORD_LENGTH + 1];
    g_assert_true(link_ticket_decrypt(key, ticket, plain, sizeof(plain)));
    if (result == SPICE_LINK_ERR_OK) {
        g_assert_cmpstr(plain, ==, password);
    }
    link_ticket_key_free(key);
    link_write_result(&w, result);
    write_all(fd, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    return connection_id;
}

static void wait_client_done(Server *s)
{
    g_mutex_lock(&s->lock);
    while (!s->client_done) {
        g_cond_wait(&s->cond, &s->lock);
    }
    g_mutex_unlock(&s->lock);
}

static void run_display_script(Server *s, int main_fd)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, SESSION_ID);
    wire_write_zeros(&w, 28);
    send_msg(main_fd, SPICE_MSG_MAIN_INIT, &w);
    uint8_t *body;
    uint32_t size;
    g_assert_cmpuint(read_msg(main_fd, &body, &size), ==, SPICE_MSGC_MAIN_ATTACH_CHANNELS);
    g_free(body);
    /* The bandwidth test's big PING must come back as a PONG with its id. */
    wire_writer_init(&w);
    base_msg_write_ping(&w, 7, 99, 256000);
    send_msg(main_fd, SPICE_MSG_PING, &w);
    g_assert_cmpuint(read_msg(main_fd, &body, &size), ==, SPICE_MSGC_PONG);
    uint32_t id;
    uint64_t ts;
    s->pong_ok = base_msg_parse_pong(body, size, &id, &ts) && id == 7 && ts == 99;
    g_free(body);
    wire_writer_init(&w);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, SPICE_CHANNEL_DISPLAY);
    wire_write_u8(&w, 0);
    send_msg(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST, &w);

    int dfd = accept(s->listen_fd, NULL, NULL);
    g_assert_cmpint(dfd, >=, 0);
    s->connection_id_ok = server_link(dfd, SPICE_LINK_ERR_OK, "pw") == SESSION_ID;
    wire_writer_init(&w);
    base_msg_write_set_ack(&w, 5, 2);
    send_msg(dfd, SPICE_MSG_SET_ACK, &w);
    /* 1 SURFACE_CREATE */
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    wire_write_u32(&w, 16);
    wire_write_u32(&w, 16);
    wire_write_u32(&w, SPICE_SURFACE_FMT_32_xRGB);
    wire_write_u32(&w, SPICE_SURFACE_FLAGS_PRIMARY);
    send_msg(dfd, SPICE_MSG_DISPLAY_SURFACE_CREATE, &w);
    /* 2 a malformed DRAW_COPY: dropped, the session goes on */
    wire_writer_init(&w);
    wire_write_u32(&w, 0xffffffff);
    send_msg(dfd, SPICE_MSG_DISPLAY_DRAW_COPY, &w);
    /* 3 a green fill inside a LIST with an INVAL_ALL_PALETTES */
    WireWriter fill;
    wire_writer_init(&fill);
    wire_write_u32(&fill, 0);
    wire_write_i32(&fill, 0);
    wire_write_i32(&fill, 0);
    wire_write_i32(&fill, 16);
    wire_write_i32(&fill, 16);
    wire_write_u8(&fill, SPICE_CLIP_TYPE_NONE);
    wire_write_u8(&fill, SPICE_BRUSH_TYPE_SOLID);
    wire_write_u32(&fill, 0x00ff00);
    wire_write_u16(&fill, SPICE_ROPD_OP_PUT);
    wire_write_zeros(&fill, 13);
    wire_writer_init(&w);
    wire_write_u16(&w, 2);
    wire_write_u32(&w, 10);
    wire_write_u32(&w, 16);
    wire_write_u16(&w, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    wire_write_u32(&w, 0);
    wire_write_u16(&w, SPICE_MSG_DISPLAY_DRAW_FILL);
    wire_write_u32(&w, (uint32_t)wire_writer_size(&fill));
    wire_write_bytes(&w, wire_writer_data(&fill), wire_writer_size(&fill));
    wire_writer_finish(&fill);
    send_msg(dfd, SPICE_MSG_LIST, &w);
    /* 4 MARK */
    send_msg(dfd, SPICE_MSG_DISPLAY_MARK, NULL);
    /* After SET_ACK(window 2) the 4 messages that follow make 2 ACKs. */
    for (int i = 0; i < 4; i++) {
        uint16_t t = read_msg(dfd, &body, &size);
        if (t == SPICE_MSGC_ACK_SYNC) {
            uint32_t gen;
            s->ack_sync_ok = base_msg_parse_ack_sync(body, size, &gen) && gen == 5;
        } else if (t == SPICE_MSGC_DISPLAY_INIT) {
            s->display_init_ok = size == 14;
        } else if (t == SPICE_MSGC_ACK) {
            s->acks++;
        }
        g_free(body);
    }
    wait_client_done(s);
    close(dfd);
}

static void write_wait(WireWriter *w, uint8_t count, uint8_t type, uint8_t id, uint64_t serial)
{
    wire_write_u8(w, count);
    wire_write_u8(w, type);
    wire_write_u8(w, id);
    wire_write_u64(w, serial);
}

/*
 * clstream: WAIT_FOR_CHANNELS. The display channel says "wait until main processed its message
 * 4" before creating its surface; main sends messages 3 (NAME) and 4 (MOUSE_MODE) only 300 ms
 * later. A malformed wait and a wait for a channel the client does not have come first.
 */
static void run_wait_script(Server *s, int main_fd)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, SESSION_ID);
    wire_write_zeros(&w, 28);
    send_msg(main_fd, SPICE_MSG_MAIN_INIT, &w);                     /* main serial 1 */
    uint8_t *body;
    uint32_t size;
    g_assert_cmpuint(read_msg(main_fd, &body, &size), ==, SPICE_MSGC_MAIN_ATTACH_CHANNELS);
    g_free(body);
    wire_writer_init(&w);
    wire_write_u32(&w, 1);
    wire_write_u8(&w, SPICE_CHANNEL_DISPLAY);
    wire_write_u8(&w, 0);
    send_msg(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST, &w);            /* main serial 2 */
    int dfd = accept(s->listen_fd, NULL, NULL);
    g_assert_cmpint(dfd, >=, 0);
    server_link(dfd, SPICE_LINK_ERR_OK, "pw");
    wire_writer_init(&w);
    write_wait(&w, 3, SPICE_CHANNEL_MAIN, 0, 1);                    /* says 3 entries, has 1 */
    send_msg(dfd, SPICE_MSG_WAIT_FOR_CHANNELS, &w);
    wire_writer_init(&w);
    write_wait(&w, 1, SPICE_CHANNEL_USBREDIR, 7, 5);                /* a channel nobody has */
    send_msg(dfd, SPICE_MSG_WAIT_FOR_CHANNELS, &w);
    wire_writer_init(&w);
    write_wait(&w, 1, SPICE_CHANNEL_MAIN, 0, 4);
    send_msg(dfd, SPICE_MSG_WAIT_FOR_CHANNELS, &w);
    wire_writer_init(&w);
    wire_write_u32(&w, 0);
    wire_write_u32(&w, 16);
    wire_write_u32(&w, 16);
    wire_write_u32(&w, SPICE_SURFACE_FMT_32_xRGB);
    wire_write_u32(&w, SPICE_SURFACE_FLAGS_PRIMARY);
    send_msg(dfd, SPICE_MSG_DISPLAY_SURFACE_CREATE, &w);
    send_msg(dfd, SPICE_MSG_DISPLAY_MARK, NULL);
    g_usleep(300 * 1000);
    wire_writer_init(&w);
    wire_write_u32(&w, 2);
    wire_write_bytes(&w, "x", 2);
    send_msg(main_fd, SPICE_MSG_MAIN_NAME, &w);                     /* main serial 3 */
    wire_writer_init(&w);
    wire_write_u16(&w, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    wire_write_u16(&w, SPICE_MOUSE_MODE_CLIENT);
    send_msg(main_fd, SPICE_MSG_MAIN_MOUSE_MODE, &w);               /* main serial 4 */
    wait_client_done(s);
    close(dfd);
}

static gpointer server_thread(gpointer data)
{
    Server *s = data;
    int fd = accept(s->listen_fd, NULL, NULL);
    g_assert_cmpint(fd, >=, 0);
    if (s->script == SCRIPT_GARBAGE) {
        const char junk[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
        uint8_t hdr[LINK_HEADER_SIZE];
        read_exact(fd, hdr, sizeof(hdr));
        write_all(fd, junk, sizeof(junk));
        wait_client_done(s);
    } else if (s->script == SCRIPT_RANDOM) {
        /* After a good link: INIT, then random messages with plausible small headers, then a
         * header announcing a body over the client's limit. */
        g_assert_cmpuint(server_link(fd, SPICE_LINK_ERR_OK, ""), ==, 0);
        WireWriter w;
        wire_writer_init(&w);
        wire_write_u32(&w, SESSION_ID);
        wire_write_zeros(&w, 28);
        send_msg(fd, SPICE_MSG_MAIN_INIT, &w);
        GRand *rand = g_rand_new_with_seed(5);
        for (int i = 0; i < 3000; i++) {
            wire_writer_init(&w);
            int n = g_rand_int_range(rand, 0, 40);
            for (int k = 0; k < n; k++) {
                wire_write_u8(&w, (uint8_t)g_rand_int_range(rand, 0, 256));
            }
            /* Main channel types (base messages with bad bodies may end the channel, as they
             * should); not CHANNELS_LIST, which would make the client connect back. */
            uint16_t type = (uint16_t)g_rand_int_range(rand, 101, 125);
            send_msg(fd, type == SPICE_MSG_MAIN_CHANNELS_LIST ? SPICE_MSG_MAIN_NAME : type, &w);
        }
        g_rand_free(rand);
        uint8_t huge[6] = { 0x67, 0, 0xff, 0xff, 0xff, 0x7f };
        write_all(fd, huge, sizeof(huge));
        wait_client_done(s);
    } else if (s->script == SCRIPT_WAIT) {
        g_assert_cmpuint(server_link(fd, SPICE_LINK_ERR_OK, "pw"), ==, 0);
        run_wait_script(s, fd);
    } else if (s->script == SCRIPT_WRONG_PASSWORD) {
        server_link(fd, SPICE_LINK_ERR_PERMISSION_DENIED, NULL);
        wait_client_done(s);
    } else {
        g_assert_cmpuint(server_link(fd, SPICE_LINK_ERR_OK, "pw"), ==, 0);
        run_display_script(s, fd);
    }
    close(fd);
    return NULL;
}

static void server_start(Server *s, Script script)
{
    memset(s, 0, sizeof(*s));
    s->script = script;
    g_mutex_init(&s->lock);
    g_cond_init(&s->cond);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    for (uint16_t port = 6130; port <= 6139; port++) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
            s->port = port;
            break;
        }
    }
    g_assert_cmpuint(s->port, !=, 0);
    g_assert_cmpint(listen(s->listen_fd, 4), ==, 0);
    s->thread = g_thread_new("fake-server", server_thread, s);
}

static void server_finish(Server *s)
{
    g_mutex_lock(&s->lock);
    s->client_done = true;
    g_cond_signal(&s->cond);
    g_mutex_unlock(&s->lock);
    g_thread_join(s->thread);
    close(s->listen_fd);
    g_mutex_clear(&s->lock);
    g_cond_clear(&s->cond);
}

/* Runs the main context until @done(session) or 15 s. */
static void run_until(SpiceClientSession *session, bool (*done)(SpiceClientSession *))
{
    gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    while (!done(session) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static bool failed_or_marked(SpiceClientSession *s)
{
    return spice_client_session_get_state(s) == SPICE_CLIENT_STATE_FAILED
           || spice_client_session_display_marked(s, 0);
}

static void test_display_session(void)
{
    Server srv;
    server_start(&srv, SCRIPT_DISPLAY);
    SpiceClientSession *s = spice_client_session_new("127.0.0.1", srv.port, "pw");
    g_assert_true(spice_client_session_connect(s));
    g_assert_false(spice_client_session_connect(s));
    run_until(s, failed_or_marked);
    g_assert_cmpint(spice_client_session_get_state(s), ==, SPICE_CLIENT_STATE_CONNECTED);
    g_assert_cmphex(spice_client_session_get_id(s), ==, SESSION_ID);
    g_assert_true(spice_client_session_display_marked(s, 0));
    pixman_image_t *p = spice_client_session_get_primary(s, 0);
    g_assert_nonnull(p);
    g_assert_cmpint(pixman_image_get_width(p), ==, 16);
    g_assert_cmphex(pixman_image_get_data(p)[15 * 16 + 15] & 0xffffff, ==, 0x00ff00);
    /* The malformed DRAW_COPY was dropped and remembered. */
    g_assert_nonnull(spice_client_session_display_problem(s, 0));
    /* Let the ACKs reach the server before it checks them. */
    gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    server_finish(&srv);
    g_assert_true(srv.pong_ok);
    g_assert_true(srv.connection_id_ok);
    g_assert_true(srv.ack_sync_ok);
    g_assert_true(srv.display_init_ok);
    g_assert_cmpuint(srv.acks, ==, 2);
    spice_client_session_free(s);
}

static bool failed(SpiceClientSession *s)
{
    return spice_client_session_get_state(s) == SPICE_CLIENT_STATE_FAILED;
}

static void test_wrong_password(void)
{
    Server srv;
    server_start(&srv, SCRIPT_WRONG_PASSWORD);
    SpiceClientSession *s = spice_client_session_new("127.0.0.1", srv.port, "nope");
    spice_client_session_connect(s);
    run_until(s, failed);
    g_assert_cmpint(spice_client_session_get_error(s), ==, SPICE_CLIENT_ERROR_AUTH);
    g_assert_nonnull(strstr(spice_client_session_get_error_message(s), "PERMISSION_DENIED"));
    server_finish(&srv);
    spice_client_session_free(s);
}

static void test_garbage_server(void)
{
    Server srv;
    server_start(&srv, SCRIPT_GARBAGE);
    SpiceClientSession *s = spice_client_session_new("127.0.0.1", srv.port, NULL);
    spice_client_session_connect(s);
    run_until(s, failed);
    g_assert_cmpint(spice_client_session_get_error(s), ==, SPICE_CLIENT_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(spice_client_session_get_error_message(s), "SPICE server"));
    server_finish(&srv);
    spice_client_session_free(s);
}

static void test_random_messages(void)
{
    Server srv;
    server_start(&srv, SCRIPT_RANDOM);
    SpiceClientSession *s = spice_client_session_new("127.0.0.1", srv.port, NULL);
    spice_client_session_connect(s);
    run_until(s, failed);
    /* Random messages are answered or ignored; only the oversized one ends the session. */
    g_assert_cmpint(spice_client_session_get_error(s), ==, SPICE_CLIENT_ERROR_PROTOCOL);
    g_assert_nonnull(strstr(spice_client_session_get_error_message(s), "limit"));
    g_assert_cmphex(spice_client_session_get_id(s), ==, SESSION_ID);
    server_finish(&srv);
    spice_client_session_free(s);
}

typedef struct WaitSeen {
    gint64 mode_us, surface_us;
} WaitSeen;

static void wait_on_mode(SpiceClientSession *s, SpiceClientMouseMode mode, void *user)
{
    WaitSeen *seen = user;
    if (mode == SPICE_CLIENT_MOUSE_MODE_CLIENT && seen->mode_us == 0) {
        seen->mode_us = g_get_monotonic_time();
    }
}

static void wait_on_display(SpiceClientSession *s, unsigned id, SpiceClientDisplayEvent ev, void *user)
{
    WaitSeen *seen = user;
    if (ev == SPICE_CLIENT_DISPLAY_SURFACE && seen->surface_us == 0) {
        seen->surface_us = g_get_monotonic_time();
    }
}

/* The display's surface comes only after main processed the serial it waited for. */
static void test_wait_for_channels(void)
{
    Server srv;
    server_start(&srv, SCRIPT_WAIT);
    SpiceClientSession *s = spice_client_session_new("127.0.0.1", srv.port, "pw");
    WaitSeen seen = { 0, 0 };
    SpiceClientCallbacks cb = { .display_event = wait_on_display, .mouse_mode_changed = wait_on_mode };
    spice_client_session_set_callbacks(s, &cb, &seen);
    spice_client_session_connect(s);
    run_until(s, failed_or_marked);
    g_assert_cmpint(spice_client_session_get_state(s), ==, SPICE_CLIENT_STATE_CONNECTED);
    g_assert_true(spice_client_session_display_marked(s, 0));
    g_assert_cmpint(seen.mode_us, !=, 0);
    g_assert_cmpint(seen.surface_us, >=, seen.mode_us);
    server_finish(&srv);
    spice_client_session_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Dropped messages are logged as warnings on purpose; criticals stay fatal. */
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/client-session/display", test_display_session);
    g_test_add_func("/client-session/wrong-password", test_wrong_password);
    g_test_add_func("/client-session/garbage-server", test_garbage_server);
    g_test_add_func("/client-session/random-messages", test_random_messages);
    g_test_add_func("/client-session/wait-for-channels", test_wait_for_channels);
    return g_test_run();
}
