/* test-reds-session: the core's internals with a fake QXL: mouse mode policy, late channel announcement, host-thread calls. */
/* Deprecated ABI functions are called on purpose. */
#define SPICE_SERVER_INTERNAL 1
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/link.h"
#include "protocol/ticket.h"
#include "server/channel-connection.h"
#include "server/qxl-worker.h"
#include "server/reds-private.h"
#include "test-core-glib.h"

/* ---- a stand-in for display-helper's worker: it only registers a display channel ---- */

static int workers_alive;
static int vm_stops;

static void fake_display_link(LinkedPeer *peer, void *opaque)
{
    reds_report_channel_event(peer->reds, SPICE_CHANNEL_EVENT_DISCONNECTED, peer->event_info, g_free);
    peer->event_info = NULL;
    linked_peer_free(peer);
}

struct QxlWorker {
    SpiceServer *reds;
    uint8_t id;
};

QxlWorker *qxl_worker_new(SpiceServer *reds, QXLInstance *qxl)
{
    QxlWorker *w = g_new0(QxlWorker, 1);
    w->reds = reds;
    w->id = (uint8_t)qxl->id;
    reds_register_channel(reds, SPICE_CHANNEL_DISPLAY, w->id, NULL, 0, fake_display_link, w);
    workers_alive++;
    return w;
}

void qxl_worker_destroy(QxlWorker *w)
{
    if (!w) {
        return;
    }
    reds_unregister_channel(w->reds, SPICE_CHANNEL_DISPLAY, w->id);
    workers_alive--;
    g_free(w);
}

void qxl_worker_vm_start(QxlWorker *w)
{
}

void qxl_worker_vm_stop(QxlWorker *w)
{
    vm_stops++;
}

static void qxl_get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    info->qxl_ram_size = 64u << 20;
}

static const QXLInterface qxl_sif = {
    .base = { .type = SPICE_INTERFACE_QXL, .description = "fake qxl",
              .major_version = SPICE_INTERFACE_QXL_MAJOR, .minor_version = SPICE_INTERFACE_QXL_MINOR },
    .get_init_info = qxl_get_init_info,
};

/* ---- a tablet that records what the server told it ---- */

static int tablet_w, tablet_h, tablet_x, tablet_y, tablet_positions;

static void tablet_size(SpiceTabletInstance *t, int w, int h)
{
    tablet_w = w;
    tablet_h = h;
}

static void tablet_position(SpiceTabletInstance *t, int x, int y, uint32_t buttons)
{
    tablet_positions++;
    tablet_x = x;
    tablet_y = y;
}

static void tablet_wheel(SpiceTabletInstance *t, int dz, uint32_t buttons)
{
}

static void tablet_buttons(SpiceTabletInstance *t, uint32_t buttons)
{
}

static const SpiceTabletInterface tablet_sif = {
    .base = { .type = SPICE_INTERFACE_TABLET, .description = "tablet",
              .major_version = SPICE_INTERFACE_TABLET_MAJOR, .minor_version = SPICE_INTERFACE_TABLET_MINOR },
    .set_logical_size = tablet_size,
    .position = tablet_position,
    .wheel = tablet_wheel,
    .buttons = tablet_buttons,
};

/* ---- the client end of a socketpair ---- */

typedef struct Msg {
    uint16_t type;
    uint32_t size;
    uint8_t *body;
} Msg;

static void recv_exact(int fd, uint8_t *buf, size_t size)
{
    size_t got = 0;
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (got < size) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_main_context_iteration(NULL, FALSE);
        ssize_t n = recv(fd, buf + got, size - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
        } else {
            g_assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        }
    }
}

static Msg client_recv(int fd)
{
    uint8_t header[FRAMING_MINI_HEADER_SIZE];
    recv_exact(fd, header, sizeof(header));
    FrameHeader hdr;
    g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
    Msg m = { .type = hdr.type, .size = hdr.size, .body = g_malloc(hdr.size + 1) };
    recv_exact(fd, m.body, hdr.size);
    return m;
}

/* Receives messages until one of @type (others are dropped), e.g. past the net test's PINGs. */
static Msg client_recv_type(int fd, uint16_t type)
{
    for (;;) {
        Msg m = client_recv(fd);
        if (m.type == type) {
            return m;
        }
        g_free(m.body);
    }
}

static void client_send(int fd, uint16_t type, const void *body, uint32_t size)
{
    WireWriter w;
    wire_writer_init(&w);
    FrameHeader hdr = { .type = type, .size = size };
    framing_write_header(&w, true, &hdr);
    wire_write_bytes(&w, body, size);
    g_assert_cmpint(send(fd, wire_writer_data(&w), wire_writer_size(&w), 0), ==,
                    (ssize_t)wire_writer_size(&w));
    wire_writer_finish(&w);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Hands a socketpair end to channel (@type, 0) as the link stage would; returns the client end. */
static int link_directly(SpiceServer *reds, uint8_t type, uint32_t session_id)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    LinkedPeer *peer = g_new0(LinkedPeer, 1);
    peer->fd = fds[0];
    peer->connection_id = session_id;
    peer->channel_type = type;
    peer->common_caps = g_new0(uint32_t, 1);
    peer->common_caps[0] = 1u << SPICE_COMMON_CAP_MINI_HEADER;
    peer->num_common_caps = 1;
    peer->use_mini_header = true;
    peer->event_info = g_new0(SpiceChannelEventInfo, 1);
    peer->event_info->flags = SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT;
    peer->event_info->type = type;
    peer->reds = reds;
    reds_report_channel_event(reds, SPICE_CHANNEL_EVENT_INITIALIZED, peer->event_info, NULL);
    RedsChannelEntry *entry = reds_find_channel(reds, type, 0);
    g_assert_nonnull(entry);
    entry->link(peer, entry->opaque);
    return fds[1];
}

static gpointer primary_destroyed_in_worker(gpointer data)
{
    reds_on_primary_surface_changed(data, 0, 0, 0, false);
    return NULL;
}

static void test_mouse_mode_and_announcement(void)
{
    test_core_reset();
    SpiceServer *reds = spice_server_new();
    g_assert_cmpint(spice_server_init(reds, test_core_get()), ==, 0);    /* no port: no listen */
    SpiceTabletInstance tablet = { .base.sif = &tablet_sif.base };
    g_assert_cmpint(spice_server_add_interface(reds, &tablet.base), ==, 0);

    uint32_t session = reds_session_begin(reds);
    int main_fd = link_directly(reds, SPICE_CHANNEL_MAIN, session);
    Msg m = client_recv(main_fd);
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_INIT);
    g_assert_cmpuint(le32(m.body), ==, session);
    g_assert_cmpuint(le32(m.body + 4), ==, 0);          /* no QXL yet */
    g_assert_cmpuint(le32(m.body + 28), ==, 0);         /* ram hint without QXL */
    g_free(m.body);
    client_send(main_fd, SPICE_MSGC_MAIN_ATTACH_CHANNELS, NULL, 0);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_cmpuint(le32(m.body), ==, 1);              /* inputs only */
    g_free(m.body);

    /* A QXL arrives: its display channel is announced on its own. */
    QXLInstance qxl = { .base.sif = &qxl_sif.base, .id = 0 };
    g_assert_cmpint(spice_server_add_interface(reds, &qxl.base), ==, 0);
    g_assert_cmpint(workers_alive, ==, 1);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_CHANNELS_LIST);
    g_assert_cmpuint(m.size, ==, 6);
    g_assert_cmpuint(le32(m.body), ==, 1);
    g_assert_cmpuint(m.body[4], ==, SPICE_CHANNEL_DISPLAY);
    g_assert_cmpuint(m.body[5], ==, 0);
    g_free(m.body);
    /* A second QXL with the same id is refused. */
    QXLInstance qxl_dup = { .base.sif = &qxl_sif.base, .id = 0 };
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*already exists*");
    g_assert_cmpint(spice_server_add_interface(reds, &qxl_dup.base), ==, -1);
    g_test_assert_expected_messages();

    /* Tablet + one QXL + a primary that allows it: client mode becomes supported. */
    g_assert_cmpint(spice_server_is_server_mouse(reds), ==, 1);
    reds_on_primary_surface_changed(reds, 0, 800, 600, true);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body), ==, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    g_assert_cmpuint(le16(m.body + 2), ==, SPICE_MOUSE_MODE_SERVER);
    g_free(m.body);
    g_assert_cmpint(tablet_w, ==, 800);
    g_assert_cmpint(tablet_h, ==, 600);

    uint16_t mode = SPICE_MOUSE_MODE_CLIENT;
    client_send(main_fd, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, &mode, 2);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body + 2), ==, SPICE_MOUSE_MODE_CLIENT);
    g_free(m.body);
    g_assert_cmpint(spice_server_is_server_mouse(reds), ==, 0);

    /* In client mode, positions go to the tablet. */
    int in_fd = link_directly(reds, SPICE_CHANNEL_INPUTS, session);
    m = client_recv(in_fd);
    g_assert_cmpuint(m.type, ==, SPICE_MSG_INPUTS_INIT);
    g_free(m.body);
    uint8_t pos[11] = { 10, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0 };
    client_send(in_fd, SPICE_MSGC_INPUTS_MOUSE_POSITION, pos, sizeof(pos));
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (tablet_positions == 0 && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmpint(tablet_positions, ==, 1);
    g_assert_cmpint(tablet_x, ==, 10);
    g_assert_cmpint(tablet_y, ==, 20);

    /* The primary goes away (from a worker thread): back to server mode, and the client hears it. */
    GThread *t = g_thread_new("worker", primary_destroyed_in_worker, reds);
    g_thread_join(t);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body), ==, SPICE_MOUSE_MODE_SERVER);
    g_assert_cmpuint(le16(m.body + 2), ==, SPICE_MOUSE_MODE_SERVER);
    g_free(m.body);
    g_assert_cmpint(spice_server_is_server_mouse(reds), ==, 1);

    /* Removing the tablet while the primary allows client mode takes the mode away again. */
    reds_on_primary_surface_changed(reds, 0, 640, 480, true);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body), ==, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    g_free(m.body);
    g_assert_cmpint(spice_server_remove_interface(&tablet.base), ==, 0);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body), ==, SPICE_MOUSE_MODE_SERVER);
    g_free(m.body);

    /* vm_stop reaches the worker. */
    spice_server_vm_stop(reds);
    g_assert_cmpint(vm_stops, ==, 1);
    g_assert_false(reds_is_vm_running(reds));
    spice_server_vm_start(reds);

    /* Ending the session closes inputs too (its session-end callback). */
    g_assert_cmpint(spice_server_get_num_clients(reds), ==, 1);
    reds_session_disconnect(reds);
    g_assert_cmpint(spice_server_get_num_clients(reds), ==, 0);
    char c;
    end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    ssize_t n;
    while ((n = recv(in_fd, &c, 1, MSG_DONTWAIT)) > 0 || (n < 0 && errno == EAGAIN)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_main_context_iteration(NULL, FALSE);
    }
    g_assert_cmpint(n, ==, 0);

    g_assert_cmpint(spice_server_remove_interface(&qxl.base), ==, 0);
    g_assert_cmpint(workers_alive, ==, 0);
    close(main_fd);
    close(in_fd);
    spice_server_destroy(reds);
    g_assert_cmpuint(test_core_live_channels(), ==, 0);
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
}

/* ---- client mouse mode through the vdagent (added by chardev-helper) ---- */

static GByteArray *agent_written;

static int agent_write(SpiceCharDeviceInstance *sin, const uint8_t *buf, int len)
{
    g_byte_array_append(agent_written, buf, (guint)len);
    return len;
}

static int agent_read(SpiceCharDeviceInstance *sin, uint8_t *buf, int len)
{
    return 0;
}

static const SpiceCharDeviceInterface agent_sif = {
    .base = { .type = SPICE_INTERFACE_CHAR_DEVICE, .description = "fake vdagent",
              .major_version = SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
              .minor_version = SPICE_INTERFACE_CHAR_DEVICE_MINOR },
    .write = agent_write,
    .read = agent_read,
};

/* With agent-mouse on, a vdagent alone (no tablet) makes client mode allowed, and positions
 * reach the guest as VD_AGENT_MOUSE_STATE on the server's port. */
static void test_agent_mouse(void)
{
    test_core_reset();
    agent_written = g_byte_array_new();
    SpiceServer *reds = spice_server_new();
    g_assert_cmpint(spice_server_init(reds, test_core_get()), ==, 0);
    SpiceCharDeviceInstance agent = { .base.sif = &agent_sif.base, .subtype = "vdagent" };
    g_assert_cmpint(spice_server_add_interface(reds, &agent.base), ==, 0);
    reds_on_primary_surface_changed(reds, 0, 800, 600, true);

    uint32_t session = reds_session_begin(reds);
    int main_fd = link_directly(reds, SPICE_CHANNEL_MAIN, session);
    Msg m = client_recv(main_fd);
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_INIT);
    g_assert_cmpuint(le32(m.body + 8), ==, SPICE_MOUSE_MODE_SERVER | SPICE_MOUSE_MODE_CLIENT);
    g_assert_cmpuint(le32(m.body + 16), ==, 1);         /* agent_connected */
    g_free(m.body);
    uint16_t mode = SPICE_MOUSE_MODE_CLIENT;
    client_send(main_fd, SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST, &mode, 2);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body + 2), ==, SPICE_MOUSE_MODE_CLIENT);
    g_free(m.body);

    int in_fd = link_directly(reds, SPICE_CHANNEL_INPUTS, session);
    m = client_recv(in_fd);
    g_free(m.body);
    uint8_t pos[11] = { 10, 0, 0, 0, 20, 0, 0, 0, SPICE_MOUSE_BUTTON_MASK_LEFT, 0, 1 };
    client_send(in_fd, SPICE_MSGC_INPUTS_MOUSE_POSITION, pos, sizeof(pos));
    gint64 end = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (agent_written->len < 8 + 20 + 13 && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
    }
    /* VDIChunkHeader (server port), VDAgentMessage (MOUSE_STATE), VDAgentMouseState. */
    g_assert_cmpuint(agent_written->len, ==, 8 + 20 + 13);
    const uint8_t *w = agent_written->data;
    g_assert_cmpuint(le32(w), ==, 2);                   /* VDP_SERVER_PORT */
    g_assert_cmpuint(le32(w + 4), ==, 20 + 13);
    g_assert_cmpuint(le32(w + 8), ==, 1);               /* VD_AGENT_PROTOCOL */
    g_assert_cmpuint(le32(w + 12), ==, 1);              /* VD_AGENT_MOUSE_STATE */
    g_assert_cmpuint(le32(w + 24), ==, 13);
    g_assert_cmpuint(le32(w + 28), ==, 10);
    g_assert_cmpuint(le32(w + 32), ==, 20);
    g_assert_cmpuint(le32(w + 36), ==, 1u << 1);        /* VD_AGENT_LBUTTON_MASK */
    g_assert_cmpuint(w[40], ==, 1);                     /* display_id */

    /* agent-mouse off: nothing else allows client mode, so the server takes it back. */
    spice_server_set_agent_mouse(reds, 0);
    m = client_recv_type(main_fd, SPICE_MSG_MAIN_MOUSE_MODE);
    g_assert_cmpuint(le16(m.body), ==, SPICE_MOUSE_MODE_SERVER);
    g_assert_cmpuint(le16(m.body + 2), ==, SPICE_MOUSE_MODE_SERVER);
    g_free(m.body);

    close(main_fd);
    close(in_fd);
    spice_server_destroy(reds);
    g_assert_null(agent.st);
    g_byte_array_unref(agent_written);
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
}

/* ---- reds_call_in_host_thread and channel events from another thread ---- */

typedef struct CrossThread {
    SpiceServer *reds;
    GThread *host;
    int calls;
    bool calls_in_host;
    SpiceChannelEventInfo *info;
} CrossThread;

static void count_call(void *data)
{
    CrossThread *ct = data;
    ct->calls_in_host = ct->calls_in_host && g_thread_self() == ct->host;
    ct->calls++;
}

static gpointer other_thread(gpointer data)
{
    CrossThread *ct = data;
    for (int i = 0; i < 100; i++) {
        reds_call_in_host_thread(ct->reds, count_call, ct);
    }
    reds_report_channel_event(ct->reds, SPICE_CHANNEL_EVENT_DISCONNECTED, ct->info, g_free);
    return NULL;
}

static bool hundred_calls(void *data)
{
    return ((CrossThread *)data)->calls >= 100 &&
           test_core_count_events(SPICE_CHANNEL_EVENT_DISCONNECTED, -1) == 1;
}

static void test_host_thread_calls(void)
{
    test_core_reset();
    SpiceServer *reds = spice_server_new();
    g_assert_cmpint(spice_server_init(reds, test_core_get()), ==, 0);
    CrossThread ct = { .reds = reds, .host = g_thread_self(), .calls_in_host = true };
    ct.info = g_new0(SpiceChannelEventInfo, 1);
    ct.info->flags = SPICE_CHANNEL_EVENT_FLAG_ADDR_EXT;
    reds_report_channel_event(reds, SPICE_CHANNEL_EVENT_INITIALIZED, ct.info, NULL);
    g_assert_cmpuint(test_core_live_channels(), ==, 1);

    GThread *t = g_thread_new("other", other_thread, &ct);
    g_thread_join(t);
    /* Nothing runs until the host's loop turns. */
    g_assert_cmpint(ct.calls, ==, 0);
    g_assert_true(test_core_run_until(hundred_calls, &ct, 5000));
    g_assert_true(ct.calls_in_host);
    g_assert_cmpuint(test_core_live_channels(), ==, 0);
    spice_server_destroy(reds);
}

/* ---- the link stage over a socketpair: silence times out, skip_auth passes without password ---- */

static bool links_gone(void *data)
{
    return ((SpiceServer *)data)->links == NULL;
}

static void test_link_timeout_and_skip_auth(void)
{
    test_core_reset();
    SpiceServer *reds = spice_server_new();
    g_assert_cmpint(spice_server_init(reds, test_core_get()), ==, 0);
    reds->link_timeout_ms = 100;

    /* A client that says nothing is dropped (CONNECTED then DISCONNECTED). */
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_MESSAGE, "*timed out after 100 ms*");
    reds_link_start(reds, fds[0], false);
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_CONNECTED, -1), ==, 1);
    g_assert_true(test_core_run_until(links_gone, reds, 5000));
    g_test_assert_expected_messages();
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_DISCONNECTED, -1), ==, 1);
    char c;
    g_assert_cmpint(recv(fds[1], &c, 1, 0), ==, 0);
    close(fds[1]);

    /* skip_auth (spice_server_add_client's way in): ticketing is on with no password, yet the
     * main channel links. */
    reds->link_timeout_ms = 5000;
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    reds_link_start(reds, fds[0], true);
    WireWriter w;
    wire_writer_init(&w);
    uint32_t common = 1u << SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION | 1u << SPICE_COMMON_CAP_MINI_HEADER;
    g_assert_true(link_write_mess(&w, 0, SPICE_CHANNEL_MAIN, 0, &common, 1, NULL, 0));
    g_assert_cmpint(send(fds[1], wire_writer_data(&w), wire_writer_size(&w), 0), ==,
                    (ssize_t)wire_writer_size(&w));
    wire_writer_reset(&w);
    uint8_t header[LINK_HEADER_SIZE];
    recv_exact(fds[1], header, sizeof(header));
    uint32_t body_size;
    g_assert_cmpint(link_parse_reply_header(header, &body_size), ==, SPICE_LINK_ERR_OK);
    uint8_t *body = g_malloc(body_size);
    recv_exact(fds[1], body, body_size);
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(body, body_size, &reply), ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(reply.error, ==, SPICE_LINK_ERR_OK);
    uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
    g_assert_true(link_ticket_encrypt(reply.pub_key, sizeof(reply.pub_key), "", ticket));
    link_reply_clear(&reply);
    g_free(body);
    link_write_auth_mechanism(&w, SPICE_COMMON_CAP_AUTH_SPICE);
    wire_write_bytes(&w, ticket, sizeof(ticket));
    g_assert_cmpint(send(fds[1], wire_writer_data(&w), wire_writer_size(&w), 0), ==,
                    (ssize_t)wire_writer_size(&w));
    wire_writer_finish(&w);
    uint8_t result[LINK_RESULT_SIZE];
    recv_exact(fds[1], result, sizeof(result));
    g_assert_cmpuint(link_parse_result(result), ==, SPICE_LINK_ERR_OK);
    Msg m = client_recv(fds[1]);
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_INIT);
    g_free(m.body);
    /* Over a unix socket there is no network test: nothing else is queued. */
    g_assert_cmpint(spice_server_get_num_clients(reds), ==, 1);
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_INITIALIZED, SPICE_CHANNEL_MAIN), ==, 1);
    close(fds[1]);
    spice_server_destroy(reds);
    g_assert_cmpuint(test_core_live_channels(), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/reds/mouse-mode-and-announcement", test_mouse_mode_and_announcement);
    g_test_add_func("/reds/host-thread-calls", test_host_thread_calls);
    g_test_add_func("/reds/agent-mouse", test_agent_mouse);
    g_test_add_func("/reds/link-timeout-and-skip-auth", test_link_timeout_and_skip_auth);
    return g_test_run();
}
