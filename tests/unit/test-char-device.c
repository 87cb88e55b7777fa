/* test-char-device: fake char devices (QEMU's semantics) and a raw client: usbredir, port and vdagent paths. */
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
#include <spice/vd_agent.h>

#include "protocol/framing.h"
#include "protocol/link.h"
#include "protocol/ticket.h"
#include "protocol/wire.h"
#include "spice.h"
#include "test-core-glib.h"

/* chardev-helper's ports are 6020-6039. */
#define TEST_PORT 6020
#define WAIT_MS 5000

/* ---- a fake char device that behaves as QEMU's spicevmc chardev ---- */

typedef struct FakeDevice {
    SpiceCharDeviceInstance sin;        /* first: callbacks get &sin */
    /* guest -> server: what QEMU's chr_write handed over for the current wakeup */
    const uint8_t *data;
    size_t datalen;
    bool blocked;                       /* bytes were left unread after a wakeup */
    size_t max_read;                    /* per read() call; 0: no limit */
    unsigned reads_when_empty;          /* read() calls that returned 0 */
    /* server -> guest */
    GByteArray *written;
    size_t write_room;                  /* bytes the guest takes before it is full */
    size_t max_write;                   /* per write() call; 0: no limit */
    int state;                          /* -1 never called */
    unsigned state_calls;
    GArray *events;                     /* of uint8_t (client PORT_EVENTs) */
} FakeDevice;

static FakeDevice *fake_of(SpiceCharDeviceInstance *sin)
{
    return (FakeDevice *)sin;
}

static int fake_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    FakeDevice *f = fake_of(sin);
    size_t n = MIN((size_t)len, f->datalen);
    if (f->max_read) {
        n = MIN(n, f->max_read);
    }
    if (n > 0) {
        memcpy(buf, f->data, n);
        f->data += n;
        f->datalen -= n;
    }
    if (f->datalen == 0) {
        /* As QEMU: a read that finds nothing left unblocks the guest's writes. */
        f->blocked = false;
        if (n == 0) {
            f->reads_when_empty++;
        }
    }
    return (int)n;
}

static int fake_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    FakeDevice *f = fake_of(sin);
    size_t n = MIN((size_t)len, f->write_room);
    if (f->max_write) {
        n = MIN(n, f->max_write);
    }
    g_byte_array_append(f->written, buf, (guint)n);
    f->write_room -= n;
    return (int)n;
}

static void fake_state(SpiceCharDeviceInstance *sin, int connected)
{
    FakeDevice *f = fake_of(sin);
    f->state = connected;
    f->state_calls++;
}

static void fake_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
    g_array_append_val(fake_of(sin)->events, event);
}

static const SpiceCharDeviceInterface fake_sif = {
    .base = { .type = SPICE_INTERFACE_CHAR_DEVICE, .description = "fake chardev",
              .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
              .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR },
    .state = fake_state,
    .write = fake_write,
    .read = fake_read,
    .event = fake_event,
    .flags = SPICE_CHAR_DEVICE_NOTIFY_WRITABLE,
};
/* A host that never calls wakeup when the guest has room: the server must retry itself. */
static const SpiceCharDeviceInterface fake_sif_no_notify = {
    .base = { .type = SPICE_INTERFACE_CHAR_DEVICE, .description = "fake chardev",
              .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
              .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR },
    .state = fake_state,
    .write = fake_write,
    .read = fake_read,
};
static const SpiceCharDeviceInterface fake_sif_v2 = {
    .base = { .type = SPICE_INTERFACE_CHAR_DEVICE, .description = "fake chardev",
              .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR + 1,
              .minor_version = 0 },
};

static FakeDevice *fake_new(const SpiceCharDeviceInterface *sif, const char *subtype, const char *portname)
{
    FakeDevice *f = g_new0(FakeDevice, 1);
    f->sin.base.sif = &sif->base;
    f->sin.subtype = subtype;
    f->sin.portname = portname;
    f->written = g_byte_array_new();
    f->write_room = SIZE_MAX;
    f->state = -1;
    f->events = g_array_new(FALSE, FALSE, 1);
    return f;
}

static void fake_free(FakeDevice *f)
{
    g_byte_array_unref(f->written);
    g_array_unref(f->events);
    g_free(f);
}

/* QEMU's chr_write: hand the bytes over for one synchronous wakeup; what stays is "blocked". */
static size_t guest_writes(FakeDevice *f, const uint8_t *data, size_t size)
{
    g_assert_cmpuint(f->datalen, ==, 0);
    f->data = data;
    f->datalen = size;
    spice_server_char_device_wakeup(&f->sin);
    size_t taken = size - f->datalen;
    if (f->datalen) {
        f->blocked = true;
    }
    f->data = NULL;
    f->datalen = 0;
    return taken;
}

/* ---- the raw client (same thread: waiting pumps the server's main loop) ---- */

static void pump(void)
{
    while (g_main_context_iteration(NULL, FALSE)) {
    }
}

static void pump_for(unsigned ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
    while (g_get_monotonic_time() < end) {
        pump();
        g_usleep(1000);
    }
}

static bool wait_readable(int fd, unsigned timeout_ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (g_get_monotonic_time() < end) {
        pump();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 1) > 0) {
            return true;
        }
    }
    return false;
}

static int client_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(TEST_PORT) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    return fd;
}

static void write_all(int fd, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pump();
            continue;
        }
        g_assert_cmpint(n, >, 0);
        p += n;
        size -= (size_t)n;
    }
}

/* False on timeout or EOF. */
static bool read_all(int fd, void *data, size_t size, unsigned timeout_ms)
{
    uint8_t *p = data;
    while (size > 0) {
        if (!wait_readable(fd, timeout_ms)) {
            return false;
        }
        ssize_t n = recv(fd, p, size, MSG_DONTWAIT);
        if (n == 0) {
            return false;
        }
        if (n < 0) {
            g_assert_true(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
            continue;
        }
        p += n;
        size -= (size_t)n;
    }
    return true;
}

static void send_writer(int fd, WireWriter *w)
{
    write_all(fd, wire_writer_data(w), wire_writer_size(w));
    wire_writer_reset(w);
}

static int client_link(uint32_t connection_id, uint8_t type, uint8_t id, uint32_t channel_caps)
{
    int fd = client_connect();
    uint32_t common = 0;
    link_caps_set(&common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(&common, SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_mess(&w, connection_id, type, id, &common, 1, &channel_caps, 1));
    send_writer(fd, &w);
    uint8_t header[LINK_HEADER_SIZE];
    g_assert_true(read_all(fd, header, sizeof(header), WAIT_MS));
    uint32_t body_size;
    g_assert_cmpint(link_parse_reply_header(header, &body_size), ==, SPICE_LINK_ERR_OK);
    uint8_t *body = g_malloc(body_size);
    g_assert_true(read_all(fd, body, body_size, WAIT_MS));
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(body, body_size, &reply), ==, SPICE_LINK_ERR_OK);
    g_free(body);
    g_assert_cmpuint(reply.error, ==, SPICE_LINK_ERR_OK);
    if (type == SPICE_CHANNEL_USBREDIR || type == SPICE_CHANNEL_PORT) {
        /* LZ4 is never offered, so a client never compresses. */
        g_assert_true(reply.num_channel_caps == 0 ||
                      !(reply.channel_caps[0] & (1u << SPICE_SPICEVMC_CAP_DATA_COMPRESS_LZ4)));
    }
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    g_assert_true(link_ticket_encrypt(reply.pub_key, sizeof(reply.pub_key), "", ticket));
    link_write_auth_mechanism(&w, SPICE_COMMON_CAP_AUTH_SPICE);
    wire_write_bytes(&w, ticket, sizeof(ticket));
    send_writer(fd, &w);
    uint8_t result[LINK_RESULT_SIZE];
    g_assert_true(read_all(fd, result, sizeof(result), WAIT_MS));
    g_assert_cmpuint(link_parse_result(result), ==, SPICE_LINK_ERR_OK);
    link_reply_clear(&reply);
    wire_writer_finish(&w);
    return fd;
}

typedef struct Msg {
    uint16_t type;
    uint32_t size;
    uint8_t *body;
} Msg;

static bool client_recv(int fd, Msg *msg, unsigned timeout_ms)
{
    uint8_t header[FRAMING_MINI_HEADER_SIZE];
    if (!read_all(fd, header, sizeof(header), timeout_ms)) {
        return false;
    }
    FrameHeader hdr;
    g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
    g_assert_cmpuint(hdr.size, <, 4 * 1024 * 1024);
    msg->type = hdr.type;
    msg->size = hdr.size;
    msg->body = g_malloc(hdr.size + 1);
    g_assert_true(read_all(fd, msg->body, hdr.size, WAIT_MS));
    return true;
}

/* The next message that is not a PING (PINGs are answered). */
static bool client_recv_skip_pings(int fd, Msg *msg, unsigned timeout_ms)
{
    for (;;) {
        if (!client_recv(fd, msg, timeout_ms)) {
            return false;
        }
        if (msg->type != SPICE_MSG_PING) {
            return true;
        }
        WireWriter w;
        wire_writer_init(&w);
        FrameHeader hdr = { .type = SPICE_MSGC_PONG, .size = 12 };
        framing_write_header(&w, true, &hdr);
        wire_write_bytes(&w, msg->body, 12);
        send_writer(fd, &w);
        wire_writer_finish(&w);
        g_free(msg->body);
    }
}

static void client_send(int fd, uint16_t type, const void *body, uint32_t size)
{
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader hdr = { .type = type, .size = size };
    framing_write_header(&w, true, &hdr);
    wire_write_bytes(&w, body, size);
    send_writer(fd, &w);
    wire_writer_finish(&w);
}

static void client_send_u32(int fd, uint16_t type, uint32_t v)
{
    uint8_t b[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
    client_send(fd, type, b, 4);
}

static Msg expect(int fd, uint16_t type)
{
    Msg m;
    g_assert_true(client_recv_skip_pings(fd, &m, WAIT_MS));
    g_assert_cmpuint(m.type, ==, type);
    return m;
}

static uint32_t body_u32(const Msg *m, size_t offset)
{
    g_assert_cmpuint(m->size, >=, offset + 4);
    uint32_t v;
    memcpy(&v, m->body + offset, 4);
    return GUINT32_FROM_LE(v);
}

/* True when the server closed the connection (EOF) within the wait. */
static bool client_sees_eof(int fd)
{
    uint8_t buf[4096];
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
    while (g_get_monotonic_time() < end) {
        if (!wait_readable(fd, 100)) {
            continue;
        }
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            return true;
        }
    }
    return false;
}

/* Links the main channel; returns its fd and the session id. */
static int main_link(uint32_t *session, uint32_t *agent_connected)
{
    uint32_t caps = (1u << SPICE_MAIN_CAP_AGENT_CONNECTED_TOKENS) | (1u << SPICE_MAIN_CAP_NAME_AND_UUID);
    int fd = client_link(0, SPICE_CHANNEL_MAIN, 0, caps);
    Msg m = expect(fd, SPICE_MSG_MAIN_INIT);
    *session = body_u32(&m, 0);
    if (agent_connected) {
        *agent_connected = body_u32(&m, 16);
    }
    g_assert_cmpuint(body_u32(&m, 20), ==, 10);       /* agent tokens granted */
    g_free(m.body);
    return fd;
}

static bool channels_list_has(const Msg *m, uint8_t type, uint8_t id)
{
    uint32_t n = body_u32(m, 0);
    g_assert_cmpuint(m->size, ==, 4 + 2 * n);
    for (uint32_t i = 0; i < n; i++) {
        if (m->body[4 + 2 * i] == type && m->body[5 + 2 * i] == id) {
            return true;
        }
    }
    return false;
}

static SpiceServer *start_server(void)
{
    test_core_reset();
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, "127.0.0.1", 0);
    spice_server_set_port(server, TEST_PORT);
    spice_server_set_noauth(server);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);
    return server;
}

static void stop_server(SpiceServer *server)
{
    spice_server_destroy(server);
    pump();
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
}

/* A deterministic byte pattern, so order and completeness can be checked. */
static uint8_t *pattern(size_t size, uint32_t seed)
{
    uint8_t *p = g_malloc(size);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < size; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

/* ---- tests ---- */

static void test_subtypes_and_refusals(void)
{
    const char **subtypes = spice_server_char_device_recognized_subtypes();
    g_assert_nonnull(subtypes);
    bool vdagent = false, usbredir = false, port = false;
    size_t n = 0;
    for (; subtypes[n] != NULL && n < 16; n++) {
        vdagent |= strcmp(subtypes[n], "vdagent") == 0;
        usbredir |= strcmp(subtypes[n], "usbredir") == 0;
        port |= strcmp(subtypes[n], "port") == 0;
    }
    g_assert_cmpuint(n, <, 16);
    g_assert_true(vdagent && usbredir && !port);   /* QEMU validates names against it */

    /* Calls on instances never added are ignored (logged), never a crash. */
    SpiceCharDeviceInstance stray = { .subtype = "vdagent" };
    spice_server_char_device_wakeup(&stray);
    spice_server_port_event(&stray, SPICE_PORT_EVENT_OPENED);

    SpiceServer *server = start_server();
    FakeDevice *bad_version = fake_new(&fake_sif_v2, "usbredir", NULL);
    FakeDevice *smartcard = fake_new(&fake_sif, "smartcard", NULL);
    FakeDevice *unknown = fake_new(&fake_sif, "teleporter", NULL);
    FakeDevice *nameless = fake_new(&fake_sif, "port", NULL);
    FakeDevice *agent1 = fake_new(&fake_sif, "vdagent", NULL);
    FakeDevice *agent2 = fake_new(&fake_sif, "vdagent", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &bad_version->sin.base), ==, -1);
    g_assert_cmpint(spice_server_add_interface(server, &smartcard->sin.base), ==, -1);
    g_assert_cmpint(spice_server_add_interface(server, &unknown->sin.base), ==, -1);
    g_assert_cmpint(spice_server_add_interface(server, &nameless->sin.base), ==, -1);
    g_assert_null(smartcard->sin.st);
    g_assert_cmpint(spice_server_add_interface(server, &agent1->sin.base), ==, 0);
    g_assert_cmpint(agent1->state, ==, 1);     /* the agent's port is opened at once */
    g_assert_cmpint(spice_server_add_interface(server, &agent2->sin.base), ==, -1);
    g_assert_cmpint(spice_server_remove_interface(&agent2->sin.base), ==, -1);
    g_assert_cmpint(spice_server_remove_interface(&agent1->sin.base), ==, 0);
    g_assert_null(agent1->sin.st);
    g_assert_cmpint(spice_server_remove_interface(&agent1->sin.base), ==, -1);
    stop_server(server);
    fake_free(bad_version);
    fake_free(smartcard);
    fake_free(unknown);
    fake_free(nameless);
    fake_free(agent1);
    fake_free(agent2);
}

/* usbredir: ids, announcement, state on connect/disconnect, bytes both ways, a slow client. */
static void test_usbredir(void)
{
    SpiceServer *server = start_server();
    FakeDevice *ur0 = fake_new(&fake_sif, "usbredir", NULL);
    FakeDevice *ur1 = fake_new(&fake_sif, "usbredir", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ur0->sin.base), ==, 0);

    uint32_t session;
    int main_fd = main_link(&session, NULL);
    client_send(main_fd, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    Msg m = expect(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_true(channels_list_has(&m, SPICE_CHANNEL_USBREDIR, 0));
    g_assert_false(channels_list_has(&m, SPICE_CHANNEL_USBREDIR, 1));
    g_free(m.body);
    /* A hot-plugged device gets the next id and is announced. */
    g_assert_cmpint(spice_server_add_interface(server, &ur1->sin.base), ==, 0);
    m = expect(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_true(channels_list_has(&m, SPICE_CHANNEL_USBREDIR, 1));
    g_free(m.body);

    /* Without a client the guest's bytes stay blocked in the host. */
    uint8_t hello[] = "usbredir hello";
    g_assert_cmpuint(guest_writes(ur0, hello, sizeof(hello)), ==, 0);
    g_assert_true(ur0->blocked);
    g_assert_cmpint(ur0->state, ==, -1);

    int fd = client_link(session, SPICE_CHANNEL_USBREDIR, 0, 0);
    /* The server tells the device a client is there and reads by itself, which unblocks it. */
    pump_for(200);
    g_assert_cmpint(ur0->state, ==, 1);
    g_assert_false(ur0->blocked);
    g_assert_cmpuint(guest_writes(ur0, hello, sizeof(hello)), ==, sizeof(hello));
    Msg d = expect(fd, SPICE_MSG_SPICEVMC_DATA);
    g_assert_cmpmem(d.body, d.size, hello, sizeof(hello));
    g_free(d.body);

    /* Guest -> client: 16 MiB in QEMU-sized pieces, the client not reading at first. */
    const size_t total = 16 * 1024 * 1024;
    uint8_t *guest_data = pattern(total, 1);
    size_t offered = 0;
    unsigned blocked_seen = 0;
    ur0->max_read = 4096;
    while (offered < total) {
        size_t piece = MIN(total - offered, 16384);
        size_t taken = guest_writes(ur0, guest_data + offered, piece);
        offered += taken;
        if (taken < piece) {
            blocked_seen++;
            break;
        }
    }
    /* The server stopped reading the device instead of buffering it all. */
    g_assert_cmpuint(blocked_seen, ==, 1);
    g_assert_cmpuint(offered, <, total);
    g_assert_true(ur0->blocked);
    /* Now the client reads; whenever the guest is blocked it retries (QEMU's chr_write). */
    GByteArray *got = g_byte_array_new();
    while (got->len < total) {
        Msg dm;
        if (ur0->blocked) {
            pump();
        }
        if (!ur0->blocked && offered < total) {
            size_t piece = MIN(total - offered, 16384);
            offered += guest_writes(ur0, guest_data + offered, piece);
            continue;
        }
        g_assert_true(client_recv_skip_pings(fd, &dm, WAIT_MS));
        g_assert_cmpuint(dm.type, ==, SPICE_MSG_SPICEVMC_DATA);
        g_byte_array_append(got, dm.body, dm.size);
        g_free(dm.body);
    }
    g_assert_cmpuint(got->len, ==, total);
    g_assert_cmpmem(got->data, got->len, guest_data, total);
    g_byte_array_unref(got);
    g_free(guest_data);

    /* Client -> guest: the guest takes 1000 bytes per call and only 5000 until it has room. */
    const size_t up = 300 * 1024;
    uint8_t *client_data = pattern(up, 2);
    ur0->max_write = 1000;
    ur0->write_room = 5000;
    for (size_t off = 0; off < up; off += 3000) {
        size_t n = MIN(up - off, 3000);
        if (off / 3000 % 2) {
            client_send(fd, SPICE_MSGC_SPICEVMC_DATA, client_data + off, (uint32_t)n);
        } else {
            /* COMPRESSED_DATA with type NONE is plain data. */
            uint8_t *b = g_malloc(n + 1);
            b[0] = SPICE_DATA_COMPRESSION_TYPE_NONE;
            memcpy(b + 1, client_data + off, n);
            client_send(fd, SPICE_MSGC_SPICEVMC_COMPRESSED_DATA, b, (uint32_t)n + 1);
            g_free(b);
        }
    }
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (ur0->written->len < up && g_get_monotonic_time() < end) {
        pump();
        g_usleep(1000);
        /* The guest drains, then QEMU calls wakeup (NOTIFY_WRITABLE). */
        ur0->write_room = 7000;
        spice_server_char_device_wakeup(&ur0->sin);
    }
    g_assert_cmpuint(ur0->written->len, ==, up);
    g_assert_cmpmem(ur0->written->data, ur0->written->len, client_data, up);
    g_free(client_data);

    /* Compressed data of a kind we never offered closes the connection; the device hears it. */
    uint8_t lz4[] = { SPICE_DATA_COMPRESSION_TYPE_LZ4, 10, 0, 0, 0, 1, 2, 3 };
    client_send(fd, SPICE_MSGC_SPICEVMC_COMPRESSED_DATA, lz4, sizeof(lz4));
    g_assert_true(client_sees_eof(fd));
    g_assert_cmpint(ur0->state, ==, 0);
    close(fd);

    g_assert_cmpint(spice_server_remove_interface(&ur1->sin.base), ==, 0);
    close(main_fd);
    stop_server(server);
    g_assert_cmpint(ur0->state, ==, 0);
    fake_free(ur0);
    fake_free(ur1);
}

/* A host without NOTIFY_WRITABLE: the server retries blocked writes by itself. */
static void test_write_retry_timer(void)
{
    SpiceServer *server = start_server();
    FakeDevice *ur = fake_new(&fake_sif_no_notify, "usbredir", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ur->sin.base), ==, 0);
    uint32_t session;
    int main_fd = main_link(&session, NULL);
    int fd = client_link(session, SPICE_CHANNEL_USBREDIR, 0, 0);
    ur->write_room = 0;
    uint8_t *data = pattern(10000, 3);
    client_send(fd, SPICE_MSGC_SPICEVMC_DATA, data, 10000);
    pump_for(300);
    g_assert_cmpuint(ur->written->len, ==, 0);
    gint64 end;
    ur->write_room = SIZE_MAX;       /* room, but nobody calls wakeup */
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (ur->written->len < 10000 && g_get_monotonic_time() < end) {
        pump();
        g_usleep(1000);
    }
    g_assert_cmpmem(ur->written->data, ur->written->len, data, 10000);
    g_free(data);
    close(fd);
    close(main_fd);
    stop_server(server);
    fake_free(ur);
}

/* A guest that takes nothing: the server stops reading the client (TCP pushes back) instead of
 * buffering; once the guest has room everything arrives, in order. */
static void test_client_pushback(void)
{
    SpiceServer *server = start_server();
    FakeDevice *ur = fake_new(&fake_sif, "usbredir", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ur->sin.base), ==, 0);
    uint32_t session;
    int main_fd = main_link(&session, NULL);
    int fd = client_link(session, SPICE_CHANNEL_USBREDIR, 0, 0);
    ur->write_room = 0;

    const size_t total = 32 * 1024 * 1024, piece = 64 * 1024;
    uint8_t *data = pattern(total, 4);
    WireWriter w;
    wire_writer_init(&w);
    for (size_t off = 0; off < total; off += piece) {
        FrameHeader hdr = { .type = SPICE_MSGC_SPICEVMC_DATA, .size = (uint32_t)piece };
        framing_write_header(&w, true, &hdr);
        wire_write_bytes(&w, data + off, piece);
    }
    const uint8_t *stream = wire_writer_data(&w);
    size_t stream_size = wire_writer_size(&w), sent = 0;
    gint64 stalled_since = 0;
    while (sent < stream_size) {
        ssize_t n = send(fd, stream + sent, stream_size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += (size_t)n;
            stalled_since = 0;
            continue;
        }
        g_assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        if (!stalled_since) {
            stalled_since = g_get_monotonic_time();
        } else if (g_get_monotonic_time() - stalled_since > 500 * 1000) {
            break;
        }
        pump_for(10);
    }
    g_test_message("the client could send %zu of %zu bytes before the server pushed back", sent, stream_size);
    g_assert_cmpuint(sent, <, stream_size);
    g_assert_cmpuint(ur->written->len, ==, 0);

    /* The guest drains and QEMU calls wakeup; the rest of the stream goes through. */
    ur->write_room = SIZE_MAX;
    spice_server_char_device_wakeup(&ur->sin);
    while (sent < stream_size) {
        ssize_t n = send(fd, stream + sent, stream_size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            sent += (size_t)n;
        } else {
            pump();
        }
    }
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (ur->written->len < total && g_get_monotonic_time() < end) {
        pump();
    }
    g_assert_cmpuint(ur->written->len, ==, total);
    g_assert_true(memcmp(ur->written->data, data, total) == 0);
    wire_writer_finish(&w);
    g_free(data);
    close(fd);
    close(main_fd);
    stop_server(server);
    fake_free(ur);
}

/* Port channels: PORT_INIT with name and state, events both ways; webdav gets its own type. */
static void test_port(void)
{
    SpiceServer *server = start_server();
    FakeDevice *port = fake_new(&fake_sif, "port", "org.example.test.0");
    FakeDevice *webdav = fake_new(&fake_sif, "port", "org.spice-space.webdav.0");
    g_assert_cmpint(spice_server_add_interface(server, &port->sin.base), ==, 0);
    g_assert_cmpint(spice_server_add_interface(server, &webdav->sin.base), ==, 0);
    spice_server_port_event(&port->sin, SPICE_PORT_EVENT_OPENED);

    uint32_t session;
    int main_fd = main_link(&session, NULL);
    client_send(main_fd, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    Msg m = expect(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_true(channels_list_has(&m, SPICE_CHANNEL_PORT, 0));
    g_assert_true(channels_list_has(&m, SPICE_CHANNEL_WEBDAV, 0));
    g_free(m.body);

    int fd = client_link(session, SPICE_CHANNEL_PORT, 0, 0);
    m = expect(fd, SPICE_MSG_PORT_INIT);
    const char *name = "org.example.test.0";
    uint32_t name_size = body_u32(&m, 0);
    uint32_t name_offset = body_u32(&m, 4);
    g_assert_cmpuint(name_size, ==, strlen(name) + 1);
    g_assert_cmpuint(m.size, >=, 9);
    g_assert_cmpuint(m.body[8], ==, 1);                 /* opened */
    g_assert_cmpuint(name_offset + name_size, <=, m.size);
    g_assert_cmpstr((const char *)m.body + name_offset, ==, name);
    g_free(m.body);
    g_assert_cmpint(port->state, ==, 1);

    uint8_t ev = SPICE_PORT_EVENT_BREAK;
    spice_server_port_event(&port->sin, ev);
    m = expect(fd, SPICE_MSG_PORT_EVENT);
    g_assert_cmpuint(m.size, ==, 1);
    g_assert_cmpuint(m.body[0], ==, SPICE_PORT_EVENT_BREAK);
    g_free(m.body);

    uint8_t client_ev = SPICE_PORT_EVENT_OPENED;
    client_send(fd, SPICE_MSGC_PORT_EVENT, &client_ev, 1);
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
    while (port->events->len == 0 && g_get_monotonic_time() < end) {
        pump();
        g_usleep(1000);
    }
    g_assert_cmpuint(port->events->len, ==, 1);
    g_assert_cmpuint(g_array_index(port->events, uint8_t, 0), ==, SPICE_PORT_EVENT_OPENED);

    /* Bytes flow as on usbredir. */
    uint8_t text[] = "port data";
    g_assert_cmpuint(guest_writes(port, text, sizeof(text)), ==, sizeof(text));
    m = expect(fd, SPICE_MSG_SPICEVMC_DATA);
    g_assert_cmpmem(m.body, m.size, text, sizeof(text));
    g_free(m.body);

    /* A closed port says so in PORT_INIT. */
    spice_server_port_event(&port->sin, SPICE_PORT_EVENT_CLOSED);
    m = expect(fd, SPICE_MSG_PORT_EVENT);
    g_free(m.body);
    close(fd);
    fd = client_link(session, SPICE_CHANNEL_WEBDAV, 0, 0);
    m = expect(fd, SPICE_MSG_PORT_INIT);
    g_assert_cmpuint(m.body[8], ==, 0);
    g_assert_cmpstr((const char *)m.body + body_u32(&m, 4), ==, "org.spice-space.webdav.0");
    g_free(m.body);
    /* port_event on a non-port device is refused without harm. */
    close(fd);
    close(main_fd);
    stop_server(server);
    fake_free(port);
    fake_free(webdav);
}

/* ---- vdagent ---- */

static void append_chunk(GByteArray *out, uint32_t port, const uint8_t *data, uint32_t size)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, port);
    wire_write_u32(&w, size);
    wire_write_bytes(&w, data, size);
    g_byte_array_append(out, wire_writer_data(&w), (guint)wire_writer_size(&w));
    wire_writer_finish(&w);
}

/* A VDAgentMessage header + @data_size bytes of data. */
static uint8_t *agent_message(uint32_t type, uint32_t data_size, uint32_t *total)
{
    *total = 20 + data_size;
    uint8_t *m = g_malloc0(*total);
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, VD_AGENT_PROTOCOL);
    wire_write_u32(&w, type);
    wire_write_u64(&w, 0x1122334455667788ull);
    wire_write_u32(&w, data_size);
    memcpy(m, wire_writer_data(&w), 20);
    wire_writer_finish(&w);
    for (uint32_t i = 0; i < data_size; i++) {
        m[20 + i] = (uint8_t)(i * 7 + type);
    }
    return m;
}

static void test_agent(void)
{
    SpiceServer *server = start_server();
    spice_server_set_agent_copypaste(server, 0);
    uint32_t session, agent_connected;
    int main_fd = main_link(&session, &agent_connected);
    g_assert_cmpuint(agent_connected, ==, 0);

    /* QEMU adds the vdagent device when the guest opens its port. */
    FakeDevice *ag = fake_new(&fake_sif, "vdagent", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ag->sin.base), ==, 0);
    Msg m = expect(main_fd, SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS);
    g_assert_cmpuint(body_u32(&m, 0), ==, 10);
    g_free(m.body);

    /* Before AGENT_START the agent's output is read and dropped (the guest never blocks). */
    GByteArray *dev = g_byte_array_new();
    uint32_t size;
    uint8_t *early = agent_message(VD_AGENT_ANNOUNCE_CAPABILITIES, 8, &size);
    append_chunk(dev, VDP_CLIENT_PORT, early, size);
    g_assert_cmpuint(guest_writes(ag, dev->data, dev->len), ==, dev->len);
    g_byte_array_set_size(dev, 0);
    g_free(early);

    client_send_u32(main_fd, SPICE_MSGC_MAIN_AGENT_START, 2);
    pump_for(100);

    /* A 5000-byte message from the guest in 3 chunks, then a 10-byte one: 4 chunks, 2 tokens. */
    uint8_t *big = agent_message(VD_AGENT_MONITORS_CONFIG, 4980, &size);
    append_chunk(dev, VDP_CLIENT_PORT, big, 2048);
    append_chunk(dev, VDP_CLIENT_PORT, big + 2048, 2048);
    append_chunk(dev, VDP_CLIENT_PORT, big + 4096, size - 4096);
    uint32_t small_size;
    uint8_t *small = agent_message(VD_AGENT_REPLY, 10, &small_size);
    append_chunk(dev, VDP_CLIENT_PORT, small, small_size);
    /* A chunk for the server's port never reaches the client. */
    append_chunk(dev, VDP_SERVER_PORT, small, small_size);
    /* A copy-paste message while copy-paste is off is dropped. */
    uint32_t clip_size;
    uint8_t *clip = agent_message(VD_AGENT_CLIPBOARD_GRAB, 4, &clip_size);
    append_chunk(dev, VDP_CLIENT_PORT, clip, clip_size);
    /* A lying chunk header: its bytes are skipped, the stream stays in sync. */
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, VDP_CLIENT_PORT);
    wire_write_u32(&w, 100000);
    g_byte_array_append(dev, wire_writer_data(&w), 8);
    wire_writer_finish(&w);
    uint8_t *junk = pattern(100000, 9);
    g_byte_array_append(dev, junk, 100000);
    g_free(junk);
    append_chunk(dev, VDP_CLIENT_PORT, small, small_size);

    size_t taken = guest_writes(ag, dev->data, dev->len);
    g_assert_cmpuint(taken, <, dev->len);     /* blocked on the client's tokens */
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DATA);
    g_assert_cmpmem(m.body, m.size, big, 2048);
    g_free(m.body);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DATA);
    g_assert_cmpmem(m.body, m.size, big + 2048, 2048);
    g_free(m.body);
    Msg none;
    g_assert_false(client_recv_skip_pings(main_fd, &none, 200));
    /* Tokens back: the rest arrives, in order. */
    client_send_u32(main_fd, SPICE_MSGC_MAIN_AGENT_TOKEN, 10);
    size_t offset = taken;
    gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
    while (offset < dev->len && g_get_monotonic_time() < end) {
        pump();
        if (!ag->blocked) {
            offset += guest_writes(ag, dev->data + offset, dev->len - offset);
        }
    }
    g_assert_cmpuint(offset, ==, dev->len);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DATA);
    g_assert_cmpmem(m.body, m.size, big + 4096, size - 4096);
    g_free(m.body);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DATA);
    g_assert_cmpmem(m.body, m.size, small, small_size);
    g_free(m.body);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DATA);   /* the one after the lying header */
    g_assert_cmpmem(m.body, m.size, small, small_size);
    g_free(m.body);
    g_assert_false(client_recv_skip_pings(main_fd, &none, 200));
    g_free(big);

    /* Client -> guest: framed with VDIChunkHeader port 1; the token comes back once written. */
    ag->write_room = 10;
    client_send(main_fd, SPICE_MSGC_MAIN_AGENT_DATA, small, small_size);
    g_assert_false(client_recv_skip_pings(main_fd, &none, 200));   /* not written yet: no token */
    ag->write_room = SIZE_MAX;
    spice_server_char_device_wakeup(&ag->sin);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_TOKEN);
    g_assert_cmpuint(body_u32(&m, 0), ==, 1);
    g_free(m.body);
    g_assert_cmpuint(ag->written->len, ==, 8 + small_size);
    g_assert_cmpuint(ag->written->data[0], ==, VDP_CLIENT_PORT);
    g_assert_cmpuint(ag->written->data[4], ==, small_size);
    g_assert_cmpmem(ag->written->data + 8, small_size, small, small_size);
    /* Filtered (copy-paste off): not written, token returned at once. */
    client_send(main_fd, SPICE_MSGC_MAIN_AGENT_DATA, clip, clip_size);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_TOKEN);
    g_free(m.body);
    g_assert_cmpuint(ag->written->len, ==, 8 + small_size);
    g_free(clip);
    g_free(small);

    /* A client that lies about sizes is dropped. */
    uint8_t *huge = g_malloc0(VD_AGENT_MAX_DATA_SIZE + 1);
    client_send(main_fd, SPICE_MSGC_MAIN_AGENT_DATA, huge, VD_AGENT_MAX_DATA_SIZE + 1);
    g_free(huge);
    g_assert_true(client_sees_eof(main_fd));
    close(main_fd);
    /* The guest agent is told the client left. */
    end = g_get_monotonic_time() + WAIT_MS * 1000;
    while (ag->written->len < 8 + small_size + 28 && g_get_monotonic_time() < end) {
        pump();
        g_usleep(1000);
    }
    g_assert_cmpuint(ag->written->len, ==, 8 + small_size + 28);
    const uint8_t *disc = ag->written->data + 8 + small_size;
    g_assert_cmpuint(disc[0], ==, VDP_SERVER_PORT);
    g_assert_cmpuint(disc[8 + 4], ==, VD_AGENT_CLIENT_DISCONNECTED);

    /* A new client sees agent_connected in INIT; removal sends AGENT_DISCONNECTED. */
    main_fd = main_link(&session, &agent_connected);
    g_assert_cmpuint(agent_connected, ==, 1);
    g_assert_cmpint(spice_server_remove_interface(&ag->sin.base), ==, 0);
    m = expect(main_fd, SPICE_MSG_MAIN_AGENT_DISCONNECTED);
    g_free(m.body);
    g_assert_cmpint(ag->state, ==, 0);
    close(main_fd);
    g_byte_array_unref(dev);
    stop_server(server);
    fake_free(ag);
}

/* A client that sends agent data past its tokens is dropped: the server's buffer stays bounded. */
static void test_agent_token_overrun(void)
{
    SpiceServer *server = start_server();
    FakeDevice *ag = fake_new(&fake_sif, "vdagent", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ag->sin.base), ==, 0);
    uint32_t session, agent_connected;
    int main_fd = main_link(&session, &agent_connected);
    g_assert_cmpuint(agent_connected, ==, 1);
    ag->write_room = 0;          /* the guest takes nothing: no token ever comes back */
    uint32_t size;
    uint8_t *msg = agent_message(VD_AGENT_MONITORS_CONFIG, 0, &size);
    for (int i = 0; i < 11; i++) {
        client_send(main_fd, SPICE_MSGC_MAIN_AGENT_DATA, msg, size);
    }
    g_free(msg);
    g_assert_true(client_sees_eof(main_fd));
    close(main_fd);
    g_assert_cmpint(spice_server_remove_interface(&ag->sin.base), ==, 0);
    stop_server(server);
    fake_free(ag);
}

/* A hostile guest agent writing random bytes: chunks the filter cannot place are dropped, every
 * AGENT_DATA stays within VD_AGENT_MAX_DATA_SIZE, and the guest never stays blocked. */
static void test_agent_garbage(void)
{
    SpiceServer *server = start_server();
    FakeDevice *ag = fake_new(&fake_sif, "vdagent", NULL);
    g_assert_cmpint(spice_server_add_interface(server, &ag->sin.base), ==, 0);
    uint32_t session, agent_connected;
    int main_fd = main_link(&session, &agent_connected);
    client_send_u32(main_fd, SPICE_MSGC_MAIN_AGENT_START, UINT32_MAX);
    pump_for(100);
    GRand *rand = g_rand_new_with_seed(42);
    for (int round = 0; round < 200; round++) {
        uint8_t buf[3000];
        size_t n = (size_t)g_rand_int_range(rand, 1, sizeof(buf));
        for (size_t i = 0; i < n; i++) {
            buf[i] = (uint8_t)g_rand_int(rand);
        }
        /* Small sizes now and then, so some headers announce chunks that fit. */
        if (n >= 8 && g_rand_boolean(rand)) {
            uint32_t port = VDP_CLIENT_PORT, size = (uint32_t)g_rand_int_range(rand, 0, 40);
            memcpy(buf, &port, 4);
            memcpy(buf + 4, &size, 4);
        }
        size_t off = 0;
        gint64 end = g_get_monotonic_time() + WAIT_MS * 1000;
        while (off < n) {
            g_assert_cmpint(g_get_monotonic_time(), <, end);
            if (ag->blocked) {
                pump();
                continue;
            }
            off += guest_writes(ag, buf + off, n - off);
        }
    }
    g_rand_free(rand);
    unsigned messages = 0;
    Msg m;
    while (client_recv_skip_pings(main_fd, &m, 300)) {
        g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_AGENT_DATA);
        g_assert_cmpuint(m.size, <=, VD_AGENT_MAX_DATA_SIZE);
        g_free(m.body);
        messages++;
    }
    g_test_message("%u AGENT_DATA messages came through the garbage", messages);
    close(main_fd);
    stop_server(server);
    fake_free(ag);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Refusals and hostile input are logged as warnings on purpose: they are not failures. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/char-device/subtypes-and-refusals", test_subtypes_and_refusals);
    g_test_add_func("/char-device/usbredir", test_usbredir);
    g_test_add_func("/char-device/write-retry-timer", test_write_retry_timer);
    g_test_add_func("/char-device/client-pushback", test_client_pushback);
    g_test_add_func("/char-device/port", test_port);
    g_test_add_func("/char-device/agent", test_agent);
    g_test_add_func("/char-device/agent-token-overrun", test_agent_token_overrun);
    g_test_add_func("/char-device/agent-garbage", test_agent_garbage);
    return g_test_run();
}
