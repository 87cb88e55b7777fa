/* test-sound: raw clients on a real server's playback and record channels: start-up, data, volume, slow clients, hostile records. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/wire.h"
#include "spice.h"
#include "test-core-glib.h"
#include "test-socket.h"

/*
 * audio-helper's ports are 6040-6059; this test takes the first free of 6040-6042 (every build
 * directory's unit suite runs it, maybe at the same time), the interop tests the rest.
 */
#define TEST_PORT_FIRST 6040
#define TEST_PORT_LAST 6042
static int test_port;
#define FRAMES 480u

/* ---- the raw client (its own thread, blocking sockets) ---- */

static bool port_is_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
    close(fd);
    return ok;
}

static int pick_port(void)
{
    for (int port = TEST_PORT_FIRST; port <= TEST_PORT_LAST; port++) {
        if (port_is_free(port)) {
            return port;
        }
    }
    g_error("ports %d-%d are all in use: is another test-sound running?", TEST_PORT_FIRST,
            TEST_PORT_LAST);
    return -1;
}

static int client_connect(int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    if (rcvbuf > 0) {
        /* Before connect, so the window the server sees stays small. */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(test_port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Links @type; returns the channel capability word the server advertised. */
static uint32_t client_link(int fd, uint32_t connection_id, uint8_t type)
{
    return test_socket_link_ok(fd, connection_id, type, 0, 0).server_channel_caps;
}

typedef struct Msg {
    uint16_t type;
    uint32_t size;
    uint8_t *body;
} Msg;

static bool client_recv(int fd, Msg *msg)
{
    uint8_t header[FRAMING_MINI_HEADER_SIZE];
    if (!test_socket_read_all(fd, header, sizeof(header))) {
        return false;
    }
    FrameHeader hdr;
    g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
    g_assert_cmpuint(hdr.size, <, 1024 * 1024);
    msg->type = hdr.type;
    msg->size = hdr.size;
    msg->body = g_malloc(hdr.size + 1);
    g_assert_true(test_socket_read_all(fd, msg->body, hdr.size));
    return true;
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

/* The next message that is not a PING, which must be of @type. */
static Msg expect(int fd, uint16_t type)
{
    Msg m;
    do {
        g_assert_true(client_recv(fd, &m));
        if (m.type == SPICE_MSG_PING) {
            g_free(m.body);
            continue;
        }
        break;
    } while (true);
    g_assert_cmpuint(m.type, ==, type);
    return m;
}

static uint32_t u32_at(const Msg *m, size_t offset)
{
    g_assert_cmpuint(m->size, >=, offset + 4);
    uint32_t v;
    memcpy(&v, m->body + offset, 4);
    return GUINT32_FROM_LE(v);
}

static uint16_t u16_at(const Msg *m, size_t offset)
{
    g_assert_cmpuint(m->size, >=, offset + 2);
    uint16_t v;
    memcpy(&v, m->body + offset, 2);
    return GUINT16_FROM_LE(v);
}

/* The main channel up to its session id, network test answered. */
static uint32_t main_startup(int fd)
{
    Msg m = expect(fd, SPICE_MSG_MAIN_INIT);
    uint32_t session = u32_at(&m, 0);
    g_free(m.body);
    for (int i = 0; i < 3; i++) {
        g_assert_true(client_recv(fd, &m));
        g_assert_cmpuint(m.type, ==, SPICE_MSG_PING);
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
    return session;
}

/* True when the server closed @fd (EOF) within the socket timeout. */
static bool closed_by_server(int fd)
{
    Msg m;
    while (client_recv(fd, &m)) {
        g_free(m.body);
    }
    return true;
}

typedef struct Run {
    volatile gint phase;          /* main thread -> client: what the host did */
    volatile gint client_phase;   /* client -> main thread: what the client reached */
    uint32_t session;
    int main_fd;
} Run;

static void wait_for(volatile gint *counter, int value)
{
    gint64 end = g_get_monotonic_time() + 30 * G_TIME_SPAN_SECOND;
    while (g_atomic_int_get(counter) < value) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(2000);
    }
}

static bool client_reached(void *data)
{
    Run *run = data;
    return g_atomic_int_get(&run->client_phase) >= g_atomic_int_get(&run->phase) + 1;
}

/* The host side: let the client reach the next phase while the server runs. */
static void host_advance(Run *run)
{
    g_assert_true(test_core_run_until(client_reached, run, 30000));
    g_atomic_int_inc(&run->phase);
}

static bool never(void *data)
{
    return false;
}

static void client_done(Run *run, int phase)
{
    g_atomic_int_set(&run->client_phase, phase + 1);
    wait_for(&run->phase, phase + 1);
}

/* ---- the host's devices ---- */

static const SpicePlaybackInterface playback_if = {
    .base = { .type = SPICE_INTERFACE_PLAYBACK, .description = "test playback",
              .major_version = SPICE_INTERFACE_PLAYBACK_MAJOR,
              .minor_version = SPICE_INTERFACE_PLAYBACK_MINOR },
};
static const SpiceRecordInterface record_if = {
    .base = { .type = SPICE_INTERFACE_RECORD, .description = "test record",
              .major_version = SPICE_INTERFACE_RECORD_MAJOR,
              .minor_version = SPICE_INTERFACE_RECORD_MINOR },
};
static SpicePlaybackInstance playback = { .base.sif = &playback_if.base };
static SpiceRecordInstance record = { .base.sif = &record_if.base };

static uint32_t frame_value(uint32_t packet, uint32_t i)
{
    return (packet << 16) ^ (i * 2654435761u);
}

static SpiceServer *start_server(void)
{
    /* QEMU asks before any instance exists. */
    g_assert_cmpuint(spice_server_get_best_playback_rate(NULL), ==, 48000);
    g_assert_cmpuint(spice_server_get_best_record_rate(NULL), ==, 48000);
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, "127.0.0.1", 0);
    test_port = pick_port();
    spice_server_set_port(server, test_port);
    spice_server_set_noauth(server);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);
    g_assert_cmpint(spice_server_add_interface(server, &playback.base), ==, 0);
    g_assert_nonnull(playback.st);
    g_assert_cmpint(spice_server_add_interface(server, &record.base), ==, 0);
    g_assert_nonnull(record.st);
    /* One of each, as upstream. */
    SpicePlaybackInstance second = { .base.sif = &playback_if.base };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*playback device is already attached*");
    g_assert_cmpint(spice_server_add_interface(server, &second.base), ==, -1);
    g_test_assert_expected_messages();
    g_assert_null(second.st);
    /* A newer minor version than ours is refused. */
    SpiceRecordInterface newer_if = record_if;
    newer_if.base.minor_version = SPICE_INTERFACE_RECORD_MINOR + 1;
    SpiceRecordInstance newer = { .base.sif = &newer_if.base };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*record interface version 2.4 is not supported*");
    g_assert_cmpint(spice_server_add_interface(server, &newer.base), ==, -1);
    g_test_assert_expected_messages();
    spice_server_vm_start(server);
    return server;
}

static void stop_server(SpiceServer *server)
{
    g_assert_cmpint(spice_server_remove_interface(&playback.base), ==, 0);
    g_assert_null(playback.st);
    g_assert_cmpint(spice_server_remove_interface(&playback.base), ==, -1);  /* not attached */
    /* After removal the calls are harmless. */
    uint32_t *samples = (uint32_t *)1;
    uint32_t n = 7;
    spice_server_playback_get_buffer(&playback, &samples, &n);
    g_assert_null(samples);
    g_assert_cmpuint(n, ==, 0);
    spice_server_playback_put_samples(&playback, NULL);
    /* record is left for spice_server_destroy to free. */
    spice_server_destroy(server);
    g_assert_null(record.st);
}

/* ---- playback ---- */

#define SLOW_PACKETS 20000u

static gpointer playback_client(gpointer data)
{
    Run *run = data;
    run->main_fd = client_connect(0);
    client_link(run->main_fd, 0, SPICE_CHANNEL_MAIN);
    run->session = main_startup(run->main_fd);

    int fd = client_connect(4096);
    uint32_t caps = client_link(fd, run->session, SPICE_CHANNEL_PLAYBACK);
    g_assert_true(caps & (1u << SPICE_PLAYBACK_CAP_VOLUME));
    g_assert_false(caps & (1u << SPICE_PLAYBACK_CAP_OPUS));     /* raw only */

    /* MODE first, then what the host set, then START because it is playing. */
    Msg m = expect(fd, SPICE_MSG_PLAYBACK_MODE);
    g_assert_cmpuint(m.size, ==, 6);
    g_assert_cmpuint(u16_at(&m, 4), ==, SPICE_AUDIO_DATA_MODE_RAW);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_VOLUME);
    g_assert_cmpuint(m.size, ==, 5);
    g_assert_cmpuint(m.body[0], ==, 2);
    g_assert_cmpuint(u16_at(&m, 1), ==, 0x1111);
    g_assert_cmpuint(u16_at(&m, 3), ==, 0x2222);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_MUTE);
    g_assert_cmpuint(m.size, ==, 1);
    g_assert_cmpuint(m.body[0], ==, 1);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_START);
    g_assert_cmpuint(m.size, ==, 14);
    g_assert_cmpuint(u32_at(&m, 0), ==, 2);
    g_assert_cmpuint(u16_at(&m, 4), ==, SPICE_AUDIO_FMT_S16);
    g_assert_cmpuint(u32_at(&m, 6), ==, 44100);
    uint32_t start_time = u32_at(&m, 10);
    g_free(m.body);
    client_done(run, 0);

    /* Phase 1: three packets, byte for byte, times that never go back. */
    uint32_t last_time = start_time;
    for (uint32_t p = 0; p < 3; p++) {
        m = expect(fd, SPICE_MSG_PLAYBACK_DATA);
        g_assert_cmpuint(m.size, ==, 4 + FRAMES * 4);
        g_assert_cmpint((int32_t)(u32_at(&m, 0) - last_time), >=, 0);
        last_time = u32_at(&m, 0);
        for (uint32_t i = 0; i < FRAMES; i++) {
            g_assert_cmphex(u32_at(&m, 4 + i * 4), ==, frame_value(p, i));
        }
        g_free(m.body);
    }
    client_done(run, 1);

    /* Phase 2: volume and mute changes reach the client at once; then STOP. */
    m = expect(fd, SPICE_MSG_PLAYBACK_VOLUME);
    g_assert_cmpuint(m.size, ==, 3);
    g_assert_cmpuint(m.body[0], ==, 1);
    g_assert_cmpuint(u16_at(&m, 1), ==, 7);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_MUTE);
    g_assert_cmpuint(m.body[0], ==, 0);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_STOP);
    g_assert_cmpuint(m.size, ==, 0);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_PLAYBACK_START);
    g_free(m.body);
    client_done(run, 2);
    wait_for(&run->phase, 4);

    /* Phase 4: the host pushed SLOW_PACKETS while we did not read. We get the newest, not all. */
    uint32_t received = 0, last_tag = 0;
    bool first = true;
    for (;;) {
        m = expect(fd, SPICE_MSG_PLAYBACK_DATA);
        g_assert_cmpuint(m.size, ==, 4 + FRAMES * 4);
        uint32_t tag = u32_at(&m, 4) >> 16;
        if (!first) {
            g_assert_cmpuint(tag, >, last_tag);    /* in order, never repeated */
        }
        first = false;
        last_tag = tag;
        received++;
        g_free(m.body);
        if (tag == SLOW_PACKETS - 1) {
            break;
        }
    }
    g_test_message("slow client: %u of %u packets arrived", received, SLOW_PACKETS);
    g_assert_cmpuint(received, <, SLOW_PACKETS);
    m = expect(fd, SPICE_MSG_PLAYBACK_STOP);
    g_free(m.body);
    close(fd);
    g_atomic_int_set(&run->client_phase, 5);
    return NULL;
}

static bool playback_disconnected(void *data)
{
    uint32_t *samples;
    uint32_t n;
    spice_server_playback_get_buffer(&playback, &samples, &n);
    return samples == NULL;
}

static void put_packet(uint32_t tag)
{
    uint32_t *samples = NULL;
    uint32_t n = 0;
    spice_server_playback_get_buffer(&playback, &samples, &n);
    g_assert_nonnull(samples);
    g_assert_cmpuint(n, ==, FRAMES);
    for (uint32_t i = 0; i < n; i++) {
        samples[i] = frame_value(tag, i);
    }
    spice_server_playback_put_samples(&playback, samples);
}

static void test_playback(void)
{
    SpiceServer *server = start_server();
    uint16_t volume[2] = { 0x1111, 0x2222 };
    spice_server_playback_set_volume(&playback, 2, volume);
    spice_server_playback_set_mute(&playback, 1);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*0 Hz is not a usable rate*");
    spice_server_set_playback_rate(&playback, 0);        /* refused, stays 48000 */
    g_test_assert_expected_messages();
    spice_server_set_playback_rate(&playback, 44100);
    spice_server_playback_start(&playback);
    /* Nobody listens yet: no buffer. */
    uint32_t *samples = (uint32_t *)1;
    uint32_t n = 99;
    spice_server_playback_get_buffer(&playback, &samples, &n);
    g_assert_null(samples);
    g_assert_cmpuint(n, ==, 0);

    Run run = { 0 };
    GThread *client = g_thread_new("playback-client", playback_client, &run);
    host_advance(&run);                         /* client saw MODE..START */
    for (uint32_t p = 0; p < 3; p++) {
        put_packet(p);
    }
    /* A buffer we never lent is refused, not read. */
    uint32_t foreign[FRAMES] = { 0 };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not lent by spice_server_playback_get_buffer*");
    spice_server_playback_put_samples(&playback, foreign);
    g_test_assert_expected_messages();
    host_advance(&run);                         /* client checked the packets */
    uint16_t one = 7;
    spice_server_playback_set_volume(&playback, 1, &one);
    spice_server_playback_set_mute(&playback, 0);
    spice_server_playback_stop(&playback);
    spice_server_playback_start(&playback);
    host_advance(&run);                         /* client saw VOLUME, MUTE, STOP, START */
    /* The client is not reading: every put must still return at once. */
    gint64 t0 = g_get_monotonic_time();
    for (uint32_t p = 0; p < SLOW_PACKETS; p++) {
        put_packet(p);
    }
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 10 * G_TIME_SPAN_SECOND);
    spice_server_playback_stop(&playback);
    g_atomic_int_set(&run.phase, 4);            /* now the client reads */
    g_assert_true(test_core_run_until(client_reached, &run, 30000));   /* newest packets, STOP */
    g_thread_join(client);
    close(run.main_fd);
    g_assert_true(test_core_run_until(playback_disconnected, NULL, 10000));
    stop_server(server);
}

/* ---- record ---- */

#define OVERFLOW_FRAMES 20000u
#define RECORD_RING 16384u

static void send_record_data(int fd, uint32_t time, const uint32_t *frames, uint32_t count,
                             uint32_t extra_bytes)
{
    size_t size = 4 + (size_t)count * 4 + extra_bytes;
    uint8_t *body = g_malloc0(size);
    memcpy(body, &time, 4);
    memcpy(body + 4, frames, (size_t)count * 4);
    client_send(fd, SPICE_MSGC_RECORD_DATA, body, (uint32_t)size);
    g_free(body);
}

static void send_mode(int fd, uint16_t mode)
{
    uint8_t body[6] = { 0 };
    memcpy(body + 4, &mode, 2);
    client_send(fd, SPICE_MSGC_RECORD_MODE, body, sizeof(body));
}

static int record_link(Run *run)
{
    int fd = client_connect(0);
    uint32_t caps = client_link(fd, run->session, SPICE_CHANNEL_RECORD);
    g_assert_true(caps & (1u << SPICE_RECORD_CAP_VOLUME));
    g_assert_false(caps & (1u << SPICE_RECORD_CAP_OPUS));
    return fd;
}

static gpointer record_client(gpointer data)
{
    Run *run = data;
    run->main_fd = client_connect(0);
    client_link(run->main_fd, 0, SPICE_CHANNEL_MAIN);
    run->session = main_startup(run->main_fd);

    int fd = record_link(run);
    Msg m = expect(fd, SPICE_MSG_RECORD_VOLUME);
    g_assert_cmpuint(m.size, ==, 5);
    g_assert_cmpuint(u16_at(&m, 1), ==, 0x3333);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_RECORD_START);
    g_assert_cmpuint(m.size, ==, 10);
    g_assert_cmpuint(u32_at(&m, 0), ==, 2);
    g_assert_cmpuint(u16_at(&m, 4), ==, SPICE_AUDIO_FMT_S16);
    g_assert_cmpuint(u32_at(&m, 6), ==, 22050);
    g_free(m.body);
    send_mode(fd, SPICE_AUDIO_DATA_MODE_RAW);
    uint32_t mark = 1;
    client_send(fd, SPICE_MSGC_RECORD_START_MARK, &mark, 4);
    uint32_t frames[FRAMES];
    for (uint32_t i = 0; i < FRAMES; i++) {
        frames[i] = frame_value(1, i);
    }
    send_record_data(fd, 10, frames, FRAMES, 0);
    client_done(run, 0);

    /* Phase 1: more than the ring holds, in packets of 1000 frames. */
    uint32_t *many = g_new(uint32_t, OVERFLOW_FRAMES);
    for (uint32_t i = 0; i < OVERFLOW_FRAMES; i++) {
        many[i] = 0x80000000u | i;
    }
    for (uint32_t i = 0; i < OVERFLOW_FRAMES; i += 1000) {
        send_record_data(fd, 20, many + i, 1000, 0);
    }
    g_free(many);
    client_done(run, 1);

    /* Phase 2: the host muted, stopped. */
    m = expect(fd, SPICE_MSG_RECORD_MUTE);
    g_assert_cmpuint(m.body[0], ==, 1);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_RECORD_STOP);
    g_free(m.body);
    close(fd);

    /* Hostile clients: each is closed by the server, and the next one links fine. */
    static const struct {
        uint16_t type;
        uint32_t size;
    } hostile[] = {
        { SPICE_MSGC_RECORD_DATA, 4 + 3 },          /* not whole frames */
        { SPICE_MSGC_RECORD_DATA, 4 + 4 * 5 + 2 },
        { SPICE_MSGC_RECORD_DATA, 2 },              /* no time stamp */
        { SPICE_MSGC_RECORD_MODE, 4 },              /* no mode */
        { SPICE_MSGC_RECORD_START_MARK, 3 },
        { SPICE_MSGC_RECORD_DATA, 64 * 1024 + 8 },  /* larger than any packet */
        { 150, 4 },                                 /* not a record message */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
        fd = record_link(run);
        m = expect(fd, SPICE_MSG_RECORD_VOLUME);
        g_free(m.body);
        m = expect(fd, SPICE_MSG_RECORD_MUTE);
        g_free(m.body);
        uint8_t *body = g_malloc0(hostile[i].size);
        client_send(fd, hostile[i].type, body, hostile[i].size);
        g_free(body);
        g_assert_true(closed_by_server(fd));
        close(fd);
    }
    /* Opus, which we never offered. */
    fd = record_link(run);
    send_mode(fd, SPICE_AUDIO_DATA_MODE_OPUS);
    g_assert_true(closed_by_server(fd));
    close(fd);
    client_done(run, 2);
    return NULL;
}

static uint32_t drained;
static uint32_t drain_buf[RECORD_RING * 2];

static bool got_first_packet(void *data)
{
    drained += spice_server_record_get_samples(&record, drain_buf + drained, FRAMES - drained);
    return drained == FRAMES;
}

static void test_record(void)
{
    SpiceServer *server = start_server();
    uint16_t volume[2] = { 0x3333, 0x4444 };
    spice_server_record_set_volume(&record, 2, volume);
    spice_server_set_record_rate(&record, 22050);
    spice_server_record_start(&record);
    uint32_t nothing[4];
    g_assert_cmpuint(spice_server_record_get_samples(&record, nothing, 4), ==, 0);
    g_assert_cmpuint(spice_server_record_get_samples(&record, NULL, 4), ==, 0);

    Run run = { 0 };
    GThread *client = g_thread_new("record-client", record_client, &run);
    /* The first packet is read before the client may send more (which would overflow it). */
    g_assert_true(test_core_run_until(client_reached, &run, 30000));
    drained = 0;
    g_assert_true(test_core_run_until(got_first_packet, NULL, 10000));
    for (uint32_t i = 0; i < FRAMES; i++) {
        g_assert_cmphex(drain_buf[i], ==, frame_value(1, i));
    }
    g_atomic_int_inc(&run.phase);
    host_advance(&run);
    /* Let every packet arrive (loopback), then read: only the newest ring-full is left. */
    test_core_run_until(never, NULL, 1000);
    uint32_t got = spice_server_record_get_samples(&record, drain_buf, G_N_ELEMENTS(drain_buf));
    g_assert_cmpuint(got, ==, RECORD_RING);
    for (uint32_t i = 0; i < got; i++) {
        g_assert_cmphex(drain_buf[i], ==, 0x80000000u | (OVERFLOW_FRAMES - RECORD_RING + i));
    }
    spice_server_record_set_mute(&record, 1);
    spice_server_record_stop(&record);
    host_advance(&run);
    g_thread_join(client);
    close(run.main_fd);
    test_core_run_until(never, NULL, 300);
    stop_server(server);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sound/playback", test_playback);
    g_test_add_func("/sound/record", test_record);
    return g_test_run();
}
