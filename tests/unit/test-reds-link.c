/* test-reds-link: a real SpiceServer (public API, test core) against a raw-socket client: link, auth, main and inputs channels. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/link.h"
/* The test calls the deprecated functions on purpose: they are part of the ABI. */
#define SPICE_SERVER_INTERNAL 1
#include "spice.h"
#include "test-core-glib.h"
#include "test-socket.h"

/* core-helper's port range is 5920-5929. */
#define TEST_PORT 5921

/* ---- devices the "host" registers ---- */

static GMutex log_lock;
static GByteArray *scancodes;       /* every byte pushed to the keyboard */
static int mouse_motions;
static int tablet_positions;
static int last_tablet_x, last_tablet_y;
static int tablet_width, tablet_height;

static void kbd_push(SpiceKbdInstance *sin, uint8_t frag)
{
    g_mutex_lock(&log_lock);
    g_byte_array_append(scancodes, &frag, 1);
    g_mutex_unlock(&log_lock);
}

static uint8_t kbd_get_leds(SpiceKbdInstance *sin)
{
    return SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK;
}

static const SpiceKbdInterface kbd_sif = {
    .base = { .type = SPICE_INTERFACE_KEYBOARD, .description = "test keyboard",
              .major_version = SPICE_INTERFACE_KEYBOARD_MAJOR,
              .minor_version = SPICE_INTERFACE_KEYBOARD_MINOR },
    .push_scan_freg = kbd_push,
    .get_leds = kbd_get_leds,
};

static void mouse_motion(SpiceMouseInstance *sin, int dx, int dy, int dz, uint32_t buttons)
{
    g_mutex_lock(&log_lock);
    mouse_motions++;
    g_mutex_unlock(&log_lock);
}

static void mouse_buttons(SpiceMouseInstance *sin, uint32_t buttons)
{
}

static const SpiceMouseInterface mouse_sif = {
    .base = { .type = SPICE_INTERFACE_MOUSE, .description = "test mouse",
              .major_version = SPICE_INTERFACE_MOUSE_MAJOR,
              .minor_version = SPICE_INTERFACE_MOUSE_MINOR },
    .motion = mouse_motion,
    .buttons = mouse_buttons,
};

static void tablet_set_logical_size(SpiceTabletInstance *t, int w, int h)
{
    tablet_width = w;
    tablet_height = h;
}

static void tablet_position(SpiceTabletInstance *t, int x, int y, uint32_t buttons)
{
    g_mutex_lock(&log_lock);
    tablet_positions++;
    last_tablet_x = x;
    last_tablet_y = y;
    g_mutex_unlock(&log_lock);
}

static void tablet_wheel(SpiceTabletInstance *t, int dz, uint32_t buttons)
{
}

static void tablet_buttons(SpiceTabletInstance *t, uint32_t buttons)
{
}

static const SpiceTabletInterface tablet_sif = {
    .base = { .type = SPICE_INTERFACE_TABLET, .description = "test tablet",
              .major_version = SPICE_INTERFACE_TABLET_MAJOR,
              .minor_version = SPICE_INTERFACE_TABLET_MINOR },
    .set_logical_size = tablet_set_logical_size,
    .position = tablet_position,
    .wheel = tablet_wheel,
    .buttons = tablet_buttons,
};

/* ---- a blocking raw client, run in its own thread while the test's main thread runs the loop ---- */

static int client_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TEST_PORT) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Returns false on EOF or reset. */
static bool read_all(int fd, void *data, size_t size)
{
    uint8_t *p = data;
    while (size > 0) {
        ssize_t n = recv(fd, p, size, 0);
        if (n <= 0) {
            g_assert_true(n == 0 || errno == ECONNRESET);
            return false;
        }
        p += n;
        size -= (size_t)n;
    }
    return true;
}

/* Links with the main channel's NAME_AND_UUID cap (as spice-gtk); the caller asserts the outcome. */
static TestLinkOutcome client_link(int fd, uint32_t connection_id, uint8_t type, uint8_t id,
                                   const char *password)
{
    uint32_t channel = type == SPICE_CHANNEL_MAIN ? (1u << SPICE_MAIN_CAP_NAME_AND_UUID) : 0;
    return test_socket_link(fd, connection_id, type, id, channel, password);
}

typedef struct Msg {
    uint16_t type;
    uint32_t size;
    uint8_t *body;
} Msg;

static bool client_recv(int fd, Msg *msg)
{
    uint8_t header[FRAMING_MINI_HEADER_SIZE];
    if (!read_all(fd, header, sizeof(header))) {
        return false;
    }
    FrameHeader hdr;
    g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
    g_assert_cmpuint(hdr.size, <, 1024 * 1024);
    msg->type = hdr.type;
    msg->size = hdr.size;
    msg->body = g_malloc(hdr.size + 1);
    return read_all(fd, msg->body, hdr.size);
}

static void client_send(int fd, uint16_t type, const void *body, uint32_t size)
{
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader hdr = { .type = type, .size = size };
    framing_write_header(&w, true, &hdr);
    wire_write_bytes(&w, body, size);
    test_socket_send_writer(fd, &w);
    wire_writer_finish(&w);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads the main channel's start-up and answers the network test; returns the session id. */
static uint32_t client_main_startup(int fd, bool expect_name)
{
    Msg m;
    g_assert_true(client_recv(fd, &m));
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_INIT);
    g_assert_cmpuint(m.size, ==, 32);
    uint32_t session = le32(m.body);
    g_assert_cmpuint(session, !=, 0);
    g_assert_cmpuint(le32(m.body + 4), ==, 0);                         /* no QXL */
    g_assert_cmpuint(le32(m.body + 8), ==, SPICE_MOUSE_MODE_SERVER);   /* tablet needs a display */
    g_assert_cmpuint(le32(m.body + 12), ==, SPICE_MOUSE_MODE_SERVER);
    g_assert_cmpuint(le32(m.body + 16), ==, 0);
    g_assert_cmpuint(le32(m.body + 20), ==, 10);
    g_assert_cmpuint(le32(m.body + 28), ==, 0);
    g_free(m.body);

    if (expect_name) {
        g_assert_true(client_recv(fd, &m));
        g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_NAME);
        g_assert_cmpuint(le32(m.body), ==, strlen("unit-vm") + 1);
        g_assert_cmpstr((const char *)m.body + 4, ==, "unit-vm");
        g_free(m.body);
        g_assert_true(client_recv(fd, &m));
        g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_UUID);
        g_assert_cmpuint(m.size, ==, 16);
        g_assert_cmpuint(m.body[15], ==, 15);
        g_free(m.body);
    }

    /* The network test: two small PINGs then one with 256000 bytes of padding. */
    uint32_t expected_sizes[3] = { 12, 12, 12 + 256000 };
    for (int i = 0; i < 3; i++) {
        g_assert_true(client_recv(fd, &m));
        g_assert_cmpuint(m.type, ==, SPICE_MSG_PING);
        g_assert_cmpuint(m.size, ==, expected_sizes[i]);
        uint32_t id;
        uint64_t ts;
        g_assert_true(base_msg_parse_ping(m.body, m.size, &id, &ts));
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_pong(&w, id, ts);
        client_send(fd, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
        wire_writer_finish(&w);
        g_free(m.body);
    }

    client_send(fd, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    g_assert_true(client_recv(fd, &m));
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_cmpuint(m.size, ==, 4 + 2);
    g_assert_cmpuint(le32(m.body), ==, 1);
    g_assert_cmpuint(m.body[4], ==, SPICE_CHANNEL_INPUTS);
    g_assert_cmpuint(m.body[5], ==, 0);
    g_free(m.body);
    return session;
}

typedef struct ClientRun {
    SpiceServer *server;
    volatile gint phase;        /* the client thread waits for the main thread between phases */
    volatile gint done;
    uint32_t session;
} ClientRun;

static void wait_phase(ClientRun *run, int phase)
{
    while (g_atomic_int_get(&run->phase) < phase) {
        g_usleep(1000);
    }
}

/* Phase 0: no password set yet. Phase 1: password "secret". */
static gpointer client_thread(gpointer data)
{
    ClientRun *run = data;

    /* Ticketing is on by default with no password: every link is denied. */
    int fd = client_connect();
    TestLinkOutcome o = client_link(fd, 0, SPICE_CHANNEL_MAIN, 0, "");
    g_assert_cmpuint(o.reply_error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(o.server_common_caps, ==, 0x0b);   /* AUTH_SELECTION, AUTH_SPICE, MINI_HEADER */
    g_assert_cmpuint(o.server_channel_caps, ==, 0x0f);
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_PERMISSION_DENIED);
    close(fd);
    g_atomic_int_set(&run->done, 1);
    wait_phase(run, 1);

    /* Wrong password, then an expired one (phase 2), then the right one (phase 3). */
    fd = client_connect();
    o = client_link(fd, 0, SPICE_CHANNEL_MAIN, 0, "wrong");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_PERMISSION_DENIED);
    close(fd);
    g_atomic_int_set(&run->done, 2);
    wait_phase(run, 2);
    fd = client_connect();
    o = client_link(fd, 0, SPICE_CHANNEL_MAIN, 0, "old");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_PERMISSION_DENIED);
    close(fd);
    g_atomic_int_set(&run->done, 3);
    wait_phase(run, 3);

    /* Bad magic and bad major version are answered with a LinkReply error. */
    fd = client_connect();
    test_socket_write_all(fd, "GET / HTTP/1.1\r\n\r\n", 18);
    uint8_t header[LINK_HEADER_SIZE];
    g_assert_true(read_all(fd, header, sizeof(header)));
    uint32_t body_size;
    g_assert_cmpint(link_parse_reply_header(header, &body_size), ==, SPICE_LINK_ERR_OK);
    uint8_t body[LINK_REPLY_SIZE];
    g_assert_cmpuint(body_size, ==, LINK_REPLY_SIZE);
    g_assert_true(read_all(fd, body, sizeof(body)));
    g_assert_cmpuint(le32(body), ==, SPICE_LINK_ERR_INVALID_MAGIC);
    close(fd);

    /* A channel nobody registered. */
    fd = client_connect();
    o = client_link(fd, 0, SPICE_CHANNEL_DISPLAY, 0, "secret");
    g_assert_cmpuint(o.reply_error, ==, SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE);
    close(fd);

    /* Inputs before any session: bad connection id. */
    fd = client_connect();
    o = client_link(fd, 12345, SPICE_CHANNEL_INPUTS, 0, "secret");
    g_assert_cmpuint(o.reply_error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_BAD_CONNECTION_ID);
    close(fd);

    /* The main channel with the right password. */
    int main_fd = client_connect();
    o = client_link(main_fd, 0, SPICE_CHANNEL_MAIN, 0, "secret");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_OK);
    run->session = client_main_startup(main_fd, true);

    /* Inputs with the session id: INIT carries the keyboard LEDs. */
    int in_fd = client_connect();
    o = client_link(in_fd, run->session, SPICE_CHANNEL_INPUTS, 0, "secret");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(o.server_channel_caps, ==, 1u << SPICE_INPUTS_CAP_KEY_SCANCODE);
    Msg m;
    g_assert_true(client_recv(in_fd, &m));
    g_assert_cmpuint(m.type, ==, SPICE_MSG_INPUTS_INIT);
    g_assert_cmpuint(m.size, ==, 2);
    g_assert_cmpuint(m.body[0], ==, SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK);
    g_free(m.body);

    /* 'a' down and up, then extended cursor-up (E0 48) down. */
    uint32_t code = 0x1e;
    client_send(in_fd, SPICE_MSGC_INPUTS_KEY_DOWN, &code, 4);
    code = 0x9e;
    client_send(in_fd, SPICE_MSGC_INPUTS_KEY_UP, &code, 4);
    code = 0x48e0;
    client_send(in_fd, SPICE_MSGC_INPUTS_KEY_DOWN, &code, 4);
    /* The client has Num and Caps Lock on, the guest only Num: the server taps Caps Lock. */
    uint16_t modifiers = SPICE_KEYBOARD_MODIFIER_FLAGS_NUM_LOCK | SPICE_KEYBOARD_MODIFIER_FLAGS_CAPS_LOCK;
    client_send(in_fd, SPICE_MSGC_INPUTS_KEY_MODIFIERS, &modifiers, 2);
    /* Four relative motions earn one MOTION_ACK. */
    uint8_t motion[10] = { 1, 0, 0, 0, 2, 0, 0, 0, 0, 0 };
    for (int i = 0; i < 4; i++) {
        client_send(in_fd, SPICE_MSGC_INPUTS_MOUSE_MOTION, motion, sizeof(motion));
    }
    g_assert_true(client_recv(in_fd, &m));
    g_assert_cmpuint(m.type, ==, SPICE_MSG_INPUTS_MOUSE_MOTION_ACK);
    g_free(m.body);

    /* The guest's LEDs change (spice_server_kbd_leds): the client hears KEY_MODIFIERS. */
    g_atomic_int_set(&run->done, 4);
    wait_phase(run, 4);
    g_assert_true(client_recv(in_fd, &m));
    g_assert_cmpuint(m.type, ==, SPICE_MSG_INPUTS_KEY_MODIFIERS);
    g_assert_cmpuint(m.size, ==, 2);
    g_assert_cmpuint(m.body[0], ==, SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK);
    g_free(m.body);

    /* A motion message too short for its type closes the inputs connection. */
    client_send(in_fd, SPICE_MSGC_INPUTS_MOUSE_MOTION, motion, 3);
    while (client_recv(in_fd, &m)) {
        g_assert_cmpuint(m.type, ==, SPICE_MSG_INPUTS_KEY_MODIFIERS);   /* the lock re-sync timer */
        g_free(m.body);
    }
    close(in_fd);

    /* Inputs with a stale session id. */
    fd = client_connect();
    o = client_link(fd, run->session + 1, SPICE_CHANNEL_INPUTS, 0, "secret");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_BAD_CONNECTION_ID);
    close(fd);

    g_atomic_int_set(&run->done, 5);
    wait_phase(run, 5);

    /* A second client replaces the first: the old main connection is closed. */
    int main2_fd = client_connect();
    o = client_link(main2_fd, 0, SPICE_CHANNEL_MAIN, 0, "secret");
    g_assert_cmpuint(o.result, ==, SPICE_LINK_ERR_OK);
    uint32_t session2 = client_main_startup(main2_fd, true);
    g_assert_cmpuint(session2, !=, run->session);
    bool old_open = true;
    while (old_open) {
        old_open = client_recv(main_fd, &m);
        if (old_open) {
            g_free(m.body);
        }
    }
    close(main_fd);
    close(main2_fd);
    g_atomic_int_set(&run->done, 6);
    return NULL;
}

static bool done_reached(void *data)
{
    ClientRun *run = data;
    return g_atomic_int_get(&run->done) >= g_atomic_int_get(&run->phase) + 1;
}

static bool no_clients(void *data)
{
    return spice_server_get_num_clients(data) == 0;
}

static void test_link_main_inputs(void)
{
    test_core_reset();
    scancodes = g_byte_array_new();
    SpiceServer *server = spice_server_new();
    g_assert_cmpint(spice_server_set_port(server, TEST_PORT), ==, 0);
    spice_server_set_addr(server, "127.0.0.1", SPICE_ADDR_FLAG_IPV4_ONLY);
    spice_server_set_name(server, "unit-vm");
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++) {
        uuid[i] = (uint8_t)i;
    }
    spice_server_set_uuid(server, uuid);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);

    SpiceKbdInstance kbd = { .base.sif = &kbd_sif.base };
    SpiceMouseInstance mouse = { .base.sif = &mouse_sif.base };
    SpiceTabletInstance tablet = { .base.sif = &tablet_sif.base };
    g_assert_cmpint(spice_server_add_interface(server, &kbd.base), ==, 0);
    g_assert_cmpint(spice_server_add_interface(server, &mouse.base), ==, 0);
    g_assert_cmpint(spice_server_add_interface(server, &tablet.base), ==, 0);
    g_assert_nonnull(kbd.st);
    g_assert_nonnull(tablet.st);
    /* A second keyboard is refused. */
    SpiceKbdInstance kbd2 = { .base.sif = &kbd_sif.base };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*already attached*");
    g_assert_cmpint(spice_server_add_interface(server, &kbd2.base), ==, -1);
    g_test_assert_expected_messages();

    ClientRun run = { .server = server };
    GThread *thread = g_thread_new("client", client_thread, &run);

    g_assert_true(test_core_run_until(done_reached, &run, 20000));
    g_assert_cmpint(spice_server_set_ticket(server, "secret", 0, 0, 0), ==, 0);
    g_atomic_int_set(&run.phase, 1);
    g_assert_true(test_core_run_until(done_reached, &run, 20000));
    /* A negative lifetime is already expired. */
    g_assert_cmpint(spice_server_set_ticket(server, "old", -1, 0, 0), ==, 0);
    g_atomic_int_set(&run.phase, 2);
    g_assert_true(test_core_run_until(done_reached, &run, 20000));
    g_assert_cmpint(spice_server_set_ticket(server, "secret", 60, 0, 0), ==, 0);
    g_atomic_int_set(&run.phase, 3);
    g_assert_true(test_core_run_until(done_reached, &run, 20000));
    g_assert_cmpint(spice_server_kbd_leds(&kbd, SPICE_KEYBOARD_MODIFIER_FLAGS_SCROLL_LOCK), ==, 0);
    g_atomic_int_set(&run.phase, 4);
    g_assert_true(test_core_run_until(done_reached, &run, 20000));

    /* A client is connected: set_ticket may refuse, as asked. */
    g_assert_cmpint(spice_server_get_num_clients(server), ==, 1);
    g_assert_cmpint(spice_server_set_ticket(server, "secret", 0, 1, 0), ==, -1);
    g_assert_cmpint(spice_server_is_server_mouse(server), ==, 1);
    g_mutex_lock(&log_lock);
    static const uint8_t expected_keys[] = { 0x1e, 0x9e, 0xe0, 0x48, 0x3a, 0xba };
    g_assert_cmpuint(scancodes->len, >=, sizeof(expected_keys));
    g_assert_cmpmem(scancodes->data, sizeof(expected_keys), expected_keys, sizeof(expected_keys));
    g_assert_cmpint(mouse_motions, ==, 4);
    g_mutex_unlock(&log_lock);
    /* The inputs connection went away with E0 48 still down: the server released it. */
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (scancodes->len < 8 && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmpuint(scancodes->len, ==, 8);
    g_assert_cmpuint(scancodes->data[6], ==, 0xe0);
    g_assert_cmpuint(scancodes->data[7], ==, 0xc8);

    g_atomic_int_set(&run.phase, 5);
    g_assert_true(test_core_run_until(done_reached, &run, 20000));
    g_thread_join(thread);
    g_assert_true(test_core_run_until(no_clients, server, 5000));

    /* Every accepted socket was reported; main and inputs were initialized. */
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_CONNECTED, -1), ==, 10);
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_INITIALIZED, SPICE_CHANNEL_MAIN), ==, 2);
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_INITIALIZED, SPICE_CHANNEL_INPUTS), ==, 1);

    g_assert_cmpint(spice_server_remove_interface(&tablet.base), ==, 0);
    g_assert_null(tablet.st);
    spice_server_destroy(server);
    g_assert_cmpuint(test_core_live_channels(), ==, 0);
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_DISCONNECTED, -1), ==, 10);
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
    g_byte_array_unref(scancodes);
}

static void test_config_setters(void)
{
    SpiceServer *server = spice_server_new();
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*is not a TCP port*");
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*is not a TCP port*");
    g_assert_cmpint(spice_server_set_port(server, 70000), ==, -1);
    g_assert_cmpint(spice_server_set_port(server, -1), ==, -1);
    g_test_assert_expected_messages();
    g_assert_cmpint(spice_server_get_image_compression(server), ==, SPICE_IMAGE_COMPRESSION_AUTO_GLZ);
    g_assert_cmpint(spice_server_set_image_compression(server, SPICE_IMAGE_COMPRESSION_LZ4), ==, 0);
    g_assert_cmpint(spice_server_get_image_compression(server), ==, SPICE_IMAGE_COMPRESSION_LZ4);
    g_assert_cmpint(spice_server_set_streaming_video(server, 99), ==, -1);
    g_assert_cmpint(spice_server_set_streaming_video(server, SPICE_STREAM_VIDEO_ALL), ==, 0);
    /* Only spice:mjpeg can be served: known codecs of other encoders are dropped, saying so. */
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*'gstreamer:h264' is not available*");
    g_assert_cmpint(spice_server_set_video_codecs(server, "gstreamer:h264;spice:mjpeg"), ==, 0);
    g_test_assert_expected_messages();
    const char *codecs = spice_server_get_video_codecs(server);
    g_assert_cmpstr(codecs, ==, "spice:mjpeg");
    spice_server_free_video_codecs(server, codecs);
    spice_server_free_video_codecs(server, NULL);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*unknown entry*");
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*no usable codec*keeping 'spice:mjpeg'*");
    g_assert_cmpint(spice_server_set_video_codecs(server, "nope:nope"), ==, -1);
    g_test_assert_expected_messages();
    g_assert_cmpint(spice_server_set_video_codecs(server, "auto"), ==, 0);
    g_assert_cmpint(spice_server_set_compat_version(server, SPICE_COMPAT_VERSION_0_6), ==, 0);
    g_assert_cmpint(spice_server_set_compat_version(server, SPICE_COMPAT_VERSION_0_4), ==, -1);
    g_assert_cmpint(spice_server_set_channel_security(server, "inputs", SPICE_CHANNEL_SECURITY_NONE), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*unknown channel name*");
    g_assert_cmpint(spice_server_set_channel_security(server, "bogus", 1), ==, -1);
    g_test_assert_expected_messages();
    char long_pw[SPICE_MAX_PASSWORD_LENGTH + 2];
    memset(long_pw, 'a', sizeof(long_pw) - 1);
    long_pw[sizeof(long_pw) - 1] = '\0';
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*longer than*");
    g_assert_cmpint(spice_server_set_ticket(server, long_pw, 0, 0, 0), ==, -1);
    g_test_assert_expected_messages();
    g_assert_cmpint(spice_server_get_num_clients(server), ==, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    g_assert_cmpint(spice_server_get_sock_info(server, (struct sockaddr *)&ss, &len), ==, -1);

    /* Wrong interface versions are refused. */
    SpiceKbdInterface old_kbd = kbd_sif;
    old_kbd.base.major_version = 2;
    SpiceKbdInstance kbd = { .base.sif = &old_kbd.base };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not supported*");
    g_assert_cmpint(spice_server_add_interface(server, &kbd.base), ==, -1);
    g_test_assert_expected_messages();
    g_assert_null(kbd.st);
    spice_server_destroy(server);
}

static void test_init_rejects_bad_core(void)
{
    SpiceServer *server = spice_server_new();
    SpiceCoreInterface core = *test_core_get();
    core.base.major_version = 2;
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*core interface version*");
    g_assert_cmpint(spice_server_init(server, &core), ==, -1);
    g_test_assert_expected_messages();
    spice_server_destroy(server);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/reds/link-main-inputs", test_link_main_inputs);
    g_test_add_func("/reds/config-setters", test_config_setters);
    g_test_add_func("/reds/init-rejects-bad-core", test_init_rejects_bad_core);
    return g_test_run();
}
