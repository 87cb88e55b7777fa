/* test-display-channel: a raw client on a real server's display channel: start-up sequence, forwarded draws, and catch-up after a stall. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>
#include <spice/qxl_dev.h>

#include "protocol/base-messages.h"
#include "protocol/framing.h"
#include "protocol/wire.h"
#include "spice.h"
#include "test-core-glib.h"
#include "test-socket.h"

/* display-helper's ports are 5930-5939. */
#define TEST_PORT 5939
#define SURF_W 32
#define SURF_H 16
#define GROUP 1u
#define SLOT 1u
#define RAM_SIZE (1u << 20)

/* ---- a minimal QXL device: one memslot over `ram`, a command queue ---- */

static uint8_t *ram;
static uint64_t ram_used;
static uint64_t primary_offset;
static GMutex ring_lock;
static GQueue ring;
static gint released;

static QXLPHYSICAL phys(uint64_t offset)
{
    return ((uint64_t)SLOT << 56) | offset;   /* generation 0 */
}

static uint64_t ram_put(const void *obj, uint64_t size)
{
    uint64_t off = ram_used;
    ram_used = (ram_used + size + 15) & ~UINT64_C(15);
    g_assert_cmpuint(ram_used, <=, RAM_SIZE);
    memcpy(ram + off, obj, size);
    return off;
}

static int get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
    g_mutex_lock(&ring_lock);
    QXLCommandExt *next = g_queue_pop_head(&ring);
    g_mutex_unlock(&ring_lock);
    if (next) {
        *cmd = *next;
        g_free(next);
    }
    return next != NULL;
}

static int req_notification(QXLInstance *qin)
{
    g_mutex_lock(&ring_lock);
    int empty = g_queue_is_empty(&ring);
    g_mutex_unlock(&ring_lock);
    return empty;
}

static GQueue cursor_ring;

static int get_cursor_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
    g_mutex_lock(&ring_lock);
    QXLCommandExt *next = g_queue_pop_head(&cursor_ring);
    g_mutex_unlock(&ring_lock);
    if (next) {
        *cmd = *next;
        g_free(next);
    }
    return next != NULL;
}

static int req_cursor_notification(QXLInstance *qin)
{
    g_mutex_lock(&ring_lock);
    int empty = g_queue_is_empty(&cursor_ring);
    g_mutex_unlock(&ring_lock);
    return empty;
}
static void release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info) { g_atomic_int_inc(&released); }

static gint client_present = -1;   /* last set_client_capabilities, -1: never called */
static gint client_caps_byte0 = -1;

static void set_client_capabilities(QXLInstance *qin, uint8_t present, uint8_t *caps)
{
    g_atomic_int_set(&client_caps_byte0, caps[0]);
    g_atomic_int_set(&client_present, present);
}

static void get_init_info(QXLInstance *qin, QXLDevInitInfo *info)
{
    *info = (QXLDevInitInfo){ .num_memslots_groups = 2, .num_memslots = 8, .memslot_gen_bits = 8,
                              .memslot_id_bits = 8, .qxl_ram_size = RAM_SIZE, .n_surfaces = 4 };
}

static const QXLInterface qxl_sif = {
    .base = { .type = SPICE_INTERFACE_QXL, .description = "test qxl",
              .major_version = SPICE_INTERFACE_QXL_MAJOR, .minor_version = SPICE_INTERFACE_QXL_MINOR },
    .get_init_info = get_init_info,
    .get_command = get_command,
    .req_cmd_notification = req_notification,
    .release_resource = release_resource,
    .get_cursor_command = get_cursor_command,
    .req_cursor_notification = req_cursor_notification,
    .set_client_capabilities = set_client_capabilities,
};
static QXLInstance qxl = { .base = { .sif = &qxl_sif.base } };

/* Queues a solid fill of the primary (host thread). */
static void push_fill(uint32_t color, int32_t left, int32_t top, int32_t right, int32_t bottom)
{
    QXLDrawable d;
    memset(&d, 0, sizeof(d));
    d.type = QXL_DRAW_FILL;
    d.effect = QXL_EFFECT_OPAQUE;
    d.bbox = (QXLRect){ .top = top, .left = left, .bottom = bottom, .right = right };
    d.clip.type = SPICE_CLIP_TYPE_NONE;
    d.surfaces_dest[0] = d.surfaces_dest[1] = d.surfaces_dest[2] = -1;
    d.u.fill.brush.type = SPICE_BRUSH_TYPE_SOLID;
    d.u.fill.brush.u.color = color;
    d.u.fill.rop_descriptor = SPICE_ROPD_OP_PUT;
    QXLCommandExt *ext = g_new0(QXLCommandExt, 1);
    ext->cmd.type = QXL_CMD_DRAW;
    ext->cmd.data = phys(ram_put(&d, sizeof(d)));
    ext->group_id = GROUP;
    g_mutex_lock(&ring_lock);
    g_queue_push_tail(&ring, ext);
    g_mutex_unlock(&ring_lock);
}

/* ---- the raw client (its own thread, blocking sockets) ---- */

static int client_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(TEST_PORT) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    return fd;
}

static void set_timeout(int fd, int ms)
{
    struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static void client_link(int fd, uint32_t connection_id, uint8_t type)
{
    /* The display client has MONITORS_CONFIG, as spice-gtk: the device is told so. */
    uint32_t channel = type == SPICE_CHANNEL_DISPLAY ? 1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG : 0;
    TestLinkOutcome o = test_socket_link_ok(fd, connection_id, type, 0, channel);
    if (type == SPICE_CHANNEL_DISPLAY) {
        /* We advertise MONITORS_CONFIG, so MONITORS_CONFIG must follow every new primary. */
        g_assert_true(o.server_channel_caps & (1u << SPICE_DISPLAY_CAP_MONITORS_CONFIG));
    }
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
    g_assert_cmpuint(hdr.size, <, 32 * 1024 * 1024);
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

/* Receives the next message, which must be of @type. */
static Msg expect(int fd, uint16_t type)
{
    Msg m;
    g_assert_true(client_recv(fd, &m));
    g_assert_cmpuint(m.type, ==, type);
    return m;
}

/* The main channel up to its session id, network test answered. */
static uint32_t main_startup(int fd)
{
    Msg m = expect(fd, SPICE_MSG_MAIN_INIT);
    uint32_t session;
    memcpy(&session, m.body, 4);
    g_free(m.body);
    for (int i = 0; i < 3; i++) {
        m = expect(fd, SPICE_MSG_PING);
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

typedef struct DrawCopy {
    int32_t top, left, bottom, right;
    uint32_t width, height;
    uint32_t first_pixel;
    uint32_t last_pixel;
} DrawCopy;

static DrawCopy parse_draw_copy(const Msg *m)
{
    WireReader r;
    wire_reader_init(&r, m->body, m->size);
    DrawCopy dc = { 0 };
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    dc.top = wire_read_i32(&r);
    dc.left = wire_read_i32(&r);
    dc.bottom = wire_read_i32(&r);
    dc.right = wire_read_i32(&r);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    uint32_t image = wire_read_u32(&r);
    g_assert_true(wire_reader_seek(&r, image));
    wire_read_u64(&r);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_IMAGE_TYPE_BITMAP);
    wire_read_u8(&r);
    dc.width = wire_read_u32(&r);
    dc.height = wire_read_u32(&r);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FMT_32BIT);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BITMAP_FLAGS_TOP_DOWN);
    g_assert_cmpuint(wire_read_u32(&r), ==, dc.width);
    g_assert_cmpuint(wire_read_u32(&r), ==, dc.height);
    g_assert_cmpuint(wire_read_u32(&r), ==, dc.width * 4);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    const uint8_t *pixels = wire_read_span(&r, (size_t)dc.width * dc.height * 4);
    g_assert_nonnull(pixels);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    memcpy(&dc.first_pixel, pixels, 4);
    memcpy(&dc.last_pixel, pixels + ((size_t)dc.width * dc.height - 1) * 4, 4);
    dc.first_pixel &= 0xffffff;
    dc.last_pixel &= 0xffffff;
    return dc;
}

typedef struct Run {
    volatile gint phase;          /* main thread -> client: what the host did */
    volatile gint client_phase;   /* client -> main thread: what the client reached */
} Run;

static void wait_for(volatile gint *counter, int value)
{
    gint64 end = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
    while (g_atomic_int_get(counter) < value) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(2000);
    }
}

static gpointer client_thread(gpointer data)
{
    Run *run = data;
    int main_fd = client_connect();
    set_timeout(main_fd, 10000);
    client_link(main_fd, 0, SPICE_CHANNEL_MAIN);
    uint32_t session = main_startup(main_fd);

    int fd = client_connect();
    set_timeout(fd, 10000);
    client_link(fd, session, SPICE_CHANNEL_DISPLAY);
    Msg m = expect(fd, SPICE_MSG_SET_ACK);
    uint32_t generation, window;
    g_assert_true(base_msg_parse_set_ack(m.body, m.size, &generation, &window));
    g_assert_cmpuint(window, ==, 20);
    g_free(m.body);
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_ack_sync(&w, generation);
    client_send(fd, SPICE_MSGC_ACK_SYNC, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
    wire_writer_finish(&w);

    /* Nothing before DISPLAY_INIT. */
    set_timeout(fd, 300);
    g_assert_false(client_recv(fd, &m));
    set_timeout(fd, 10000);
    uint8_t init[14] = { 1, 0, 0, 0x40, 0, 0, 0, 0, 0, 1, 0, 0, 0x10, 0 };
    client_send(fd, SPICE_MSGC_DISPLAY_INIT, init, sizeof(init));

    /* The start-up sequence, as upstream sends it. */
    m = expect(fd, SPICE_MSG_DISPLAY_INVAL_ALL_PALETTES);
    g_assert_cmpuint(m.size, ==, 0);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_DISPLAY_SURFACE_CREATE);
    uint32_t create[5];
    g_assert_cmpuint(m.size, ==, sizeof(create));
    memcpy(create, m.body, sizeof(create));
    g_assert_cmpuint(create[0], ==, 0);
    g_assert_cmpuint(create[1], ==, SURF_W);
    g_assert_cmpuint(create[2], ==, SURF_H);
    g_assert_cmpuint(create[3], ==, SPICE_SURFACE_FMT_32_xRGB);
    g_assert_cmpuint(create[4], ==, SPICE_SURFACE_FLAGS_PRIMARY);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_DISPLAY_DRAW_COPY);
    DrawCopy dc = parse_draw_copy(&m);
    g_free(m.body);
    g_assert_cmpint(dc.right, ==, SURF_W);
    g_assert_cmpint(dc.bottom, ==, SURF_H);
    g_assert_cmphex(dc.first_pixel, ==, 0x00c0ffee);   /* drawn before the client came */
    m = expect(fd, SPICE_MSG_DISPLAY_MONITORS_CONFIG);
    g_assert_cmpuint(m.size, ==, 4 + 28);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_DISPLAY_MARK);
    g_free(m.body);
    g_assert_cmpint(g_atomic_int_get(&client_present), ==, 1);
    g_assert_cmpint(g_atomic_int_get(&client_caps_byte0), ==, 1 << SPICE_DISPLAY_CAP_MONITORS_CONFIG);
    g_atomic_int_set(&run->client_phase, 1);

    /* A draw goes out as DRAW_FILL with its box. */
    wait_for(&run->phase, 1);
    m = expect(fd, SPICE_MSG_DISPLAY_DRAW_FILL);
    WireReader r;
    wire_reader_init(&r, m.body, m.size);
    g_assert_cmpuint(wire_read_u32(&r), ==, 0);
    g_assert_cmpint(wire_read_i32(&r), ==, 2);    /* top */
    g_assert_cmpint(wire_read_i32(&r), ==, 1);    /* left */
    g_assert_cmpint(wire_read_i32(&r), ==, 4);    /* bottom */
    g_assert_cmpint(wire_read_i32(&r), ==, 3);    /* right */
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CLIP_TYPE_NONE);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_BRUSH_TYPE_SOLID);
    g_assert_cmphex(wire_read_u32(&r), ==, 0x00123456);
    g_assert_true(wire_reader_ok(&r));
    g_free(m.body);
    g_atomic_int_set(&run->client_phase, 2);

    /* The host sends many draws while we do not ACK: the server stops at its window. */
    wait_for(&run->phase, 2);
    unsigned fills = 0;
    set_timeout(fd, 500);
    while (client_recv(fd, &m)) {
        g_assert_cmpuint(m.type, ==, SPICE_MSG_DISPLAY_DRAW_FILL);
        fills++;
        g_free(m.body);
    }
    g_test_message("%u draws arrived before the window closed", fills);
    g_assert_cmpuint(fills, >, 0);
    g_assert_cmpuint(fills, <, 200);   /* never all of them: the rest became a dirty region */

    /* ACKs open the window: the missed area comes from the canvas, with the latest pixels. */
    set_timeout(fd, 10000);
    for (int i = 0; i < 4; i++) {
        client_send(fd, SPICE_MSGC_ACK, NULL, 0);
    }
    m = expect(fd, SPICE_MSG_DISPLAY_DRAW_COPY);
    dc = parse_draw_copy(&m);
    g_free(m.body);
    g_assert_cmpint(dc.left, ==, 0);
    g_assert_cmpint(dc.top, ==, 0);
    g_assert_cmphex(dc.last_pixel, ==, 0x000000c7);   /* the 200th fill's colour */
    g_atomic_int_set(&run->client_phase, 3);
    close(fd);
    close(main_fd);
    return NULL;
}

static bool phase_reached(void *data)
{
    return g_atomic_int_get(&((Run *)data)->client_phase) >= 1 + (int)((Run *)data)->phase;
}

static bool no_client_present(void *data)
{
    return g_atomic_int_get(&client_present) == 0;
}

static SpiceServer *start_server(void)
{
    ram = g_malloc0(RAM_SIZE);
    ram_used = 64;
    g_queue_init(&ring);
    g_queue_init(&cursor_ring);
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, "127.0.0.1", 0);
    spice_server_set_port(server, TEST_PORT);
    spice_server_set_noauth(server);
    /* parse_draw_copy reads raw BITMAP pixels (test-image-encoder covers the compressed forms). */
    spice_server_set_image_compression(server, SPICE_IMAGE_COMPRESSION_OFF);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);
    g_assert_cmpint(spice_server_add_interface(server, &qxl.base), ==, 0);
    QXLDevMemSlot slot = { .slot_group_id = GROUP, .slot_id = SLOT, .virt_start = (uintptr_t)ram,
                           .virt_end = (uintptr_t)ram + RAM_SIZE, .addr_delta = (uintptr_t)ram };
    spice_qxl_add_memslot(&qxl, &slot);
    primary_offset = ram_used;
    ram_used += SURF_W * SURF_H * 4;
    QXLDevSurfaceCreate create = { .width = SURF_W, .height = SURF_H, .stride = SURF_W * 4,
                                   .format = SPICE_SURFACE_FMT_32_xRGB, .mem = phys(primary_offset),
                                   .group_id = GROUP };
    spice_qxl_create_primary_surface(&qxl, 0, &create);
    spice_server_vm_start(server);
    return server;
}

static void stop_server(SpiceServer *server)
{
    spice_server_remove_interface(&qxl.base);
    spice_server_destroy(server);
    g_queue_clear_full(&ring, g_free);
    g_queue_clear_full(&cursor_ring, g_free);
    g_free(ram);
    ram = NULL;
}

static void test_display_channel(void)
{
    g_atomic_int_set(&released, 0);
    SpiceServer *server = start_server();
    push_fill(0x00c0ffee, 0, 0, SURF_W, SURF_H);
    spice_qxl_wakeup(&qxl);

    Run run = { 0 };
    GThread *client = g_thread_new("display-client", client_thread, &run);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));
    push_fill(0x00123456, 1, 2, 3, 4);
    spice_qxl_wakeup(&qxl);
    g_atomic_int_set(&run.phase, 1);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));
    for (uint32_t i = 0; i < 200; i++) {
        push_fill(i, (int32_t)(i % SURF_W), 0, (int32_t)(i % SURF_W) + 1, SURF_H);
    }
    push_fill(199, SURF_W - 1, SURF_H - 1, SURF_W, SURF_H);
    spice_qxl_wakeup(&qxl);
    g_atomic_int_set(&run.phase, 2);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));
    g_thread_join(client);
    g_assert_cmpint(g_atomic_int_get(&released), ==, 203);
    /* The client left: the device hears that no client is present. */
    g_assert_true(test_core_run_until(no_client_present, NULL, 10000));

    stop_server(server);
}

/* ---- the cursor channel ---- */

static gpointer cursor_client_thread(gpointer data)
{
    Run *run = data;
    int main_fd = client_connect();
    set_timeout(main_fd, 10000);
    client_link(main_fd, 0, SPICE_CHANNEL_MAIN);
    uint32_t session = main_startup(main_fd);
    int fd = client_connect();
    set_timeout(fd, 10000);
    client_link(fd, session, SPICE_CHANNEL_CURSOR);
    Msg m = expect(fd, SPICE_MSG_SET_ACK);
    g_free(m.body);

    /* INIT at once: position, no trail, hidden, no shape yet. */
    m = expect(fd, SPICE_MSG_CURSOR_INIT);
    WireReader r;
    wire_reader_init(&r, m.body, m.size);
    wire_read_i16(&r);
    wire_read_i16(&r);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);
    g_assert_cmpuint(wire_read_u8(&r), ==, 0);
    g_assert_cmpuint(wire_read_u16(&r), ==, SPICE_CURSOR_FLAGS_NONE);
    g_assert_true(wire_reader_ok(&r));
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    g_free(m.body);
    g_atomic_int_set(&run->client_phase, 1);

    /* The guest's SET: position, visibility and the shape with its u8 type. */
    wait_for(&run->phase, 1);
    m = expect(fd, SPICE_MSG_CURSOR_SET);
    wire_reader_init(&r, m.body, m.size);
    g_assert_cmpint(wire_read_i16(&r), ==, 5);
    g_assert_cmpint(wire_read_i16(&r), ==, 6);
    g_assert_cmpuint(wire_read_u8(&r), ==, 1);
    g_assert_cmpuint(wire_read_u16(&r), ==, 0);
    g_assert_cmpuint(wire_read_u64(&r), ==, 77);
    g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_CURSOR_TYPE_ALPHA);
    g_assert_cmpuint(wire_read_u16(&r), ==, 2);
    g_assert_cmpuint(wire_read_u16(&r), ==, 2);
    g_assert_cmpuint(wire_read_u16(&r), ==, 1);
    g_assert_cmpuint(wire_read_u16(&r), ==, 1);
    const uint8_t *shape = wire_read_span(&r, 16);
    g_assert_nonnull(shape);
    g_assert_cmpuint(shape[15], ==, 0xab);
    g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_CURSOR_MOVE);
    g_assert_cmpuint(m.size, ==, 4);
    g_free(m.body);
    g_atomic_int_set(&run->client_phase, 2);

    /* spice_qxl_reset_cursor: INVAL_ALL then RESET. */
    wait_for(&run->phase, 2);
    m = expect(fd, SPICE_MSG_CURSOR_INVAL_ALL);
    g_free(m.body);
    m = expect(fd, SPICE_MSG_CURSOR_RESET);
    g_free(m.body);
    g_atomic_int_set(&run->client_phase, 3);
    close(fd);
    close(main_fd);
    return NULL;
}

static void push_cursor(const QXLCursorCmd *cmd)
{
    QXLCommandExt *ext = g_new0(QXLCommandExt, 1);
    ext->cmd.type = QXL_CMD_CURSOR;
    ext->cmd.data = phys(ram_put(cmd, sizeof(*cmd)));
    ext->group_id = GROUP;
    g_mutex_lock(&ring_lock);
    g_queue_push_tail(&cursor_ring, ext);
    g_mutex_unlock(&ring_lock);
}

static void test_cursor_channel(void)
{
    SpiceServer *server = start_server();
    Run run = { 0 };
    GThread *client = g_thread_new("cursor-client", cursor_client_thread, &run);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));

    uint8_t shape[sizeof(QXLCursor) + 16];
    memset(shape, 0, sizeof(shape));
    QXLCursor *cur = (QXLCursor *)shape;
    cur->header.unique = 77;
    cur->header.type = SPICE_CURSOR_TYPE_ALPHA;
    cur->header.width = 2;
    cur->header.height = 2;
    cur->header.hot_spot_x = 1;
    cur->header.hot_spot_y = 1;
    cur->data_size = 16;
    cur->chunk.data_size = 16;
    shape[sizeof(QXLCursor) + 15] = 0xab;
    QXLCursorCmd set;
    memset(&set, 0, sizeof(set));
    set.type = QXL_CURSOR_SET;
    set.u.set.position = (QXLPoint16){ 5, 6 };
    set.u.set.visible = 1;
    set.u.set.shape = phys(ram_put(shape, sizeof(shape)));
    push_cursor(&set);
    QXLCursorCmd move;
    memset(&move, 0, sizeof(move));
    move.type = QXL_CURSOR_MOVE;
    move.u.position = (QXLPoint16){ 7, 8 };
    push_cursor(&move);
    spice_qxl_wakeup(&qxl);
    g_atomic_int_set(&run.phase, 1);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));
    spice_qxl_reset_cursor(&qxl);
    g_atomic_int_set(&run.phase, 2);
    g_assert_true(test_core_run_until(phase_reached, &run, 20000));
    g_thread_join(client);
    stop_server(server);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/display-channel/startup-draws-catch-up", test_display_channel);
    g_test_add_func("/display-channel/cursor", test_cursor_channel);
    return g_test_run();
}
