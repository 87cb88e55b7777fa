/* test-pixmap-cache-channels: two QXL devices (two display channels, two worker threads) of one server and one raw client: one pixmap cache and one GLZ dictionary for the client, entries per channel, evictions invalidated on the owning channel. */
#include <arpa/inet.h>
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

/* pixcache's ports are 6260-6279; the interop test uses the low ones. */
#define TEST_PORT 6279
#define SURF_W 32
#define SURF_H 16
#define IMG 16                       /* images are IMG x IMG = 256 pixels */
#define CACHE_PIXELS 600             /* the client's cache: two images fit, not three */
#define GROUP 1u
#define SLOT 1u
#define RAM_SIZE (1u << 20)

/* ---- a minimal QXL device per instance ---- */

typedef struct FakeQxl {
    QXLInstance instance;            /* first: callbacks get it back */
    uint8_t *ram;
    uint64_t ram_used;
    GMutex lock;
    GQueue ring;
} FakeQxl;

static FakeQxl devices[2];

static FakeQxl *fake_of(QXLInstance *qin)
{
    return (FakeQxl *)qin;
}

static QXLPHYSICAL phys(uint64_t offset)
{
    return ((uint64_t)SLOT << 56) | offset;
}

static uint64_t ram_put(FakeQxl *dev, const void *obj, uint64_t size)
{
    uint64_t off = dev->ram_used;
    dev->ram_used = (dev->ram_used + size + 15) & ~UINT64_C(15);
    g_assert_cmpuint(dev->ram_used, <=, RAM_SIZE);
    memcpy(dev->ram + off, obj, size);
    return off;
}

static int get_command(QXLInstance *qin, struct QXLCommandExt *cmd)
{
    FakeQxl *dev = fake_of(qin);
    g_mutex_lock(&dev->lock);
    QXLCommandExt *next = g_queue_pop_head(&dev->ring);
    g_mutex_unlock(&dev->lock);
    if (next) {
        *cmd = *next;
        g_free(next);
    }
    return next != NULL;
}

static int req_notification(QXLInstance *qin)
{
    FakeQxl *dev = fake_of(qin);
    g_mutex_lock(&dev->lock);
    int empty = g_queue_is_empty(&dev->ring);
    g_mutex_unlock(&dev->lock);
    return empty;
}

static int get_cursor_command(QXLInstance *qin, struct QXLCommandExt *cmd) { return 0; }
static int req_cursor_notification(QXLInstance *qin) { return 1; }
static void release_resource(QXLInstance *qin, struct QXLReleaseInfoExt info) {}
static void set_client_capabilities(QXLInstance *qin, uint8_t present, uint8_t *caps) {}

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

/* Queues a DRAW_COPY of an IMG x IMG image marked QXL_IMAGE_CACHE with @image_id, every pixel
 * @color, on device @d (host thread). */
static void push_cached_copy(int d, uint64_t image_id, uint32_t color)
{
    FakeQxl *dev = &devices[d];
    uint32_t pixels[IMG * IMG];
    for (int i = 0; i < IMG * IMG; i++) {
        pixels[i] = color + (uint32_t)(i % 7);   /* a little texture, so coders have work */
    }
    uint64_t data = ram_put(dev, pixels, sizeof(pixels));
    QXLImage image;
    memset(&image, 0, sizeof(image));
    image.descriptor.id = image_id;
    image.descriptor.type = SPICE_IMAGE_TYPE_BITMAP;
    image.descriptor.flags = QXL_IMAGE_CACHE;
    image.descriptor.width = IMG;
    image.descriptor.height = IMG;
    image.bitmap.format = SPICE_BITMAP_FMT_32BIT;
    image.bitmap.flags = QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN;
    image.bitmap.x = IMG;
    image.bitmap.y = IMG;
    image.bitmap.stride = IMG * 4;
    image.bitmap.data = phys(data);
    uint64_t image_at = ram_put(dev, &image, sizeof(image));
    QXLDrawable dr;
    memset(&dr, 0, sizeof(dr));
    dr.type = QXL_DRAW_COPY;
    dr.effect = QXL_EFFECT_OPAQUE;
    dr.bbox = (QXLRect){ .top = 0, .left = 0, .bottom = IMG, .right = IMG };
    dr.clip.type = SPICE_CLIP_TYPE_NONE;
    dr.surfaces_dest[0] = dr.surfaces_dest[1] = dr.surfaces_dest[2] = -1;
    dr.u.copy.src_bitmap = phys(image_at);
    dr.u.copy.src_area = (QXLRect){ .top = 0, .left = 0, .bottom = IMG, .right = IMG };
    dr.u.copy.rop_descriptor = SPICE_ROPD_OP_PUT;
    QXLCommandExt *ext = g_new0(QXLCommandExt, 1);
    ext->cmd.type = QXL_CMD_DRAW;
    ext->cmd.data = phys(ram_put(dev, &dr, sizeof(dr)));
    ext->group_id = GROUP;
    g_mutex_lock(&dev->lock);
    g_queue_push_tail(&dev->ring, ext);
    g_mutex_unlock(&dev->lock);
    spice_qxl_wakeup(&dev->instance);
}

/* ---- the raw client ---- */

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

typedef struct Msg {
    uint16_t type;
    uint32_t size;
    uint8_t *body;
} Msg;

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

/* The next message that is not SET_ACK / PING (those are answered). */
static Msg next_msg(int fd)
{
    for (;;) {
        uint8_t header[FRAMING_MINI_HEADER_SIZE];
        g_assert_true(test_socket_read_all(fd, header, sizeof(header)));
        FrameHeader hdr;
        g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
        g_assert_cmpuint(hdr.size, <, 4 * 1024 * 1024);
        Msg m = { .type = hdr.type, .size = hdr.size, .body = g_malloc(hdr.size + 1) };
        g_assert_true(test_socket_read_all(fd, m.body, hdr.size));
        WireWriter w;
        wire_writer_init(&w);
        if (m.type == SPICE_MSG_SET_ACK) {
            uint32_t generation, window;
            g_assert_true(base_msg_parse_set_ack(m.body, m.size, &generation, &window));
            base_msg_write_ack_sync(&w, generation);
            client_send(fd, SPICE_MSGC_ACK_SYNC, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
        } else if (m.type == SPICE_MSG_PING) {
            uint32_t id;
            uint64_t ts;
            g_assert_true(base_msg_parse_ping(m.body, m.size, &id, &ts));
            base_msg_write_pong(&w, id, ts);
            client_send(fd, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
        } else {
            wire_writer_finish(&w);
            return m;
        }
        wire_writer_finish(&w);
        g_free(m.body);
    }
}

/* What one DRAW_COPY's image said. */
typedef struct Image {
    uint64_t id;
    uint8_t type;
    uint8_t flags;
    uint64_t glz_id;                 /* GLZ_RGB only */
} Image;

static Image parse_copy_image(const Msg *m)
{
    WireReader r;
    wire_reader_init(&r, m->body, m->size);
    g_assert_true(wire_reader_seek(&r, 21));   /* DisplayBase with clip NONE */
    uint32_t at = wire_read_u32(&r);
    g_assert_true(wire_reader_seek(&r, at));
    Image img = { 0 };
    img.id = wire_read_u64(&r);
    img.type = wire_read_u8(&r);
    img.flags = wire_read_u8(&r);
    g_assert_cmpuint(wire_read_u32(&r), ==, IMG);
    g_assert_cmpuint(wire_read_u32(&r), ==, IMG);
    if (img.type == SPICE_IMAGE_TYPE_GLZ_RGB) {
        wire_read_u32(&r);                     /* data_size */
        const uint8_t *glz = wire_read_span(&r, 33);
        g_assert_nonnull(glz);
        for (int i = 0; i < 8; i++) {
            img.glz_id = img.glz_id << 8 | glz[21 + i];   /* big-endian id after 21 bytes */
        }
    }
    g_assert_true(wire_reader_ok(&r));
    return img;
}

/* Skips the start-up sequence of a display channel (up to MARK). */
static void display_startup(int fd)
{
    /* pixmap cache 1 of CACHE_PIXELS, GLZ dictionary 1 of 64K pixels */
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, 1);
    wire_write_u64(&w, CACHE_PIXELS);
    wire_write_u8(&w, 1);
    wire_write_i32(&w, 65536);
    client_send(fd, SPICE_MSGC_DISPLAY_INIT, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
    wire_writer_finish(&w);
    for (;;) {
        Msg m = next_msg(fd);
        uint16_t type = m.type;
        g_free(m.body);
        if (type == SPICE_MSG_DISPLAY_MARK) {
            return;
        }
    }
}

/* The next DRAW_COPY on @fd; INVAL_LIST ids seen before it go to @invalidated. */
static Image next_copy(int fd, GArray *invalidated)
{
    for (;;) {
        Msg m = next_msg(fd);
        if (m.type == SPICE_MSG_DISPLAY_INVAL_LIST) {
            WireReader r;
            wire_reader_init(&r, m.body, m.size);
            uint16_t n = wire_read_u16(&r);
            for (uint16_t i = 0; i < n; i++) {
                g_assert_cmpuint(wire_read_u8(&r), ==, SPICE_RES_TYPE_PIXMAP);
                uint64_t id = wire_read_u64(&r);
                g_array_append_val(invalidated, id);
            }
            g_assert_true(wire_reader_ok(&r));
            g_assert_cmpuint(wire_reader_remaining(&r), ==, 0);
        } else if (m.type == SPICE_MSG_DISPLAY_DRAW_COPY) {
            Image img = parse_copy_image(&m);
            g_free(m.body);
            return img;
        }
        g_free(m.body);
    }
}

typedef struct Run {
    volatile gint step;              /* host -> client: draws pushed for this step */
    volatile gint done;              /* client -> host: step checked */
    int fd[2];
} Run;

static void wait_step(volatile gint *counter, int value)
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
    test_socket_link_ok(main_fd, 0, SPICE_CHANNEL_MAIN, 0, 0);
    Msg m = next_msg(main_fd);
    g_assert_cmpuint(m.type, ==, SPICE_MSG_MAIN_INIT);
    uint32_t session;
    memcpy(&session, m.body, 4);
    g_free(m.body);
    /* The network test: three PINGs, answered as they come (as test-display-channel does). */
    for (int i = 0; i < 3; i++) {
        uint8_t header[FRAMING_MINI_HEADER_SIZE];
        g_assert_true(test_socket_read_all(main_fd, header, sizeof(header)));
        FrameHeader hdr;
        g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
        g_assert_cmpuint(hdr.type, ==, SPICE_MSG_PING);
        g_assert_cmpuint(hdr.size, <, 1024 * 1024);
        uint8_t *body = g_malloc(hdr.size + 1);
        g_assert_true(test_socket_read_all(main_fd, body, hdr.size));
        uint32_t id;
        uint64_t ts;
        g_assert_true(base_msg_parse_ping(body, hdr.size, &id, &ts));
        g_free(body);
        WireWriter w;
        wire_writer_init(&w);
        base_msg_write_pong(&w, id, ts);
        client_send(main_fd, SPICE_MSGC_PONG, wire_writer_data(&w), (uint32_t)wire_writer_size(&w));
        wire_writer_finish(&w);
    }
    for (int d = 0; d < 2; d++) {
        run->fd[d] = client_connect();
        test_socket_link_ok(run->fd[d], session, SPICE_CHANNEL_DISPLAY, (uint8_t)d, 0);
        display_startup(run->fd[d]);
    }
    g_atomic_int_set(&run->done, 1);
    GArray *inval[2] = { g_array_new(FALSE, FALSE, 8), g_array_new(FALSE, FALSE, 8) };

    /* Step 1: the same guest id on both devices is two images (two entries, two wire ids);
     * both join the client's one GLZ dictionary, so their GLZ ids differ. */
    wait_step(&run->step, 1);
    Image a0 = next_copy(run->fd[0], inval[0]);
    Image a1 = next_copy(run->fd[1], inval[1]);
    g_assert_cmphex(a0.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmphex(a1.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(a0.id, !=, a1.id);
    g_assert_cmpuint(a0.type, ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(a1.type, ==, SPICE_IMAGE_TYPE_GLZ_RGB);
    g_assert_cmpuint(a0.glz_id, !=, a1.glz_id);
    g_atomic_int_set(&run->done, 2);

    /* Step 2: device 0 draws it again: FROM_CACHE of its own entry. */
    wait_step(&run->step, 2);
    Image again = next_copy(run->fd[0], inval[0]);
    g_assert_cmpuint(again.type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    g_assert_cmpuint(again.id, ==, a0.id);
    g_atomic_int_set(&run->done, 3);

    /* Step 3: device 1 adds a third image; the oldest entry (device 1's a1, as a0 was just
     * used) is evicted and invalidated on channel 1, before the image that needs its space. */
    wait_step(&run->step, 3);
    Image b1 = next_copy(run->fd[1], inval[1]);
    g_assert_cmphex(b1.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(inval[1]->len, ==, 1);
    g_assert_cmpuint(g_array_index(inval[1], uint64_t, 0), ==, a1.id);
    g_assert_cmpuint(b1.glz_id, >, a1.glz_id);
    g_atomic_int_set(&run->done, 4);

    /* Step 4: device 1 adds a fourth: now a0, device 0's entry, is the oldest. Its invalidation
     * goes out on channel 0 (the only channel that used it), at channel 0's next message. */
    wait_step(&run->step, 4);
    Image c1 = next_copy(run->fd[1], inval[1]);
    g_assert_cmphex(c1.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(inval[1]->len, ==, 1);   /* nothing new on channel 1 */
    g_atomic_int_set(&run->done, 5);

    /* Step 5: device 0 draws its image again: INVAL_LIST(a0) first, then it comes anew. */
    wait_step(&run->step, 5);
    Image a0_again = next_copy(run->fd[0], inval[0]);
    g_assert_cmpuint(inval[0]->len, >=, 1);
    g_assert_cmpuint(g_array_index(inval[0], uint64_t, 0), ==, a0.id);
    g_assert_cmphex(a0_again.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(a0_again.id, !=, a0.id);   /* wire ids are never reused */
    g_atomic_int_set(&run->done, 6);

    /* Step 6: device 0's guest reset its image ids (spice_qxl_reset_image_cache): its entry is
     * invalidated, and the same guest id is a new image. Device 1's entry stays. */
    wait_step(&run->step, 6);
    g_array_set_size(inval[0], 0);
    Image after_reset = next_copy(run->fd[0], inval[0]);
    g_assert_cmpuint(inval[0]->len, ==, 1);
    g_assert_cmpuint(g_array_index(inval[0], uint64_t, 0), ==, a0_again.id);
    g_assert_cmphex(after_reset.flags, ==, SPICE_IMAGE_FLAGS_CACHE_ME);
    g_assert_cmpuint(after_reset.id, !=, a0_again.id);
    Image c1_again = next_copy(run->fd[1], inval[1]);
    g_assert_cmpuint(c1_again.type, ==, SPICE_IMAGE_TYPE_FROM_CACHE);
    g_assert_cmpuint(c1_again.id, ==, c1.id);
    g_atomic_int_set(&run->done, 7);

    g_array_free(inval[0], TRUE);
    g_array_free(inval[1], TRUE);
    close(run->fd[0]);
    close(run->fd[1]);
    close(main_fd);
    return NULL;
}

static bool step_done(void *data)
{
    Run *run = data;
    return g_atomic_int_get(&run->done) > g_atomic_int_get(&run->step);
}

static void test_two_display_channels(void)
{
    SpiceServer *server = spice_server_new();
    spice_server_set_addr(server, "127.0.0.1", 0);
    spice_server_set_port(server, TEST_PORT);
    spice_server_set_noauth(server);
    spice_server_set_image_compression(server, SPICE_IMAGE_COMPRESSION_GLZ);
    g_assert_cmpint(spice_server_init(server, test_core_get()), ==, 0);
    for (int d = 0; d < 2; d++) {
        FakeQxl *dev = &devices[d];
        dev->instance.base.sif = &qxl_sif.base;
        dev->instance.id = d;
        dev->ram = g_malloc0(RAM_SIZE);
        dev->ram_used = 64;
        g_mutex_init(&dev->lock);
        g_queue_init(&dev->ring);
        g_assert_cmpint(spice_server_add_interface(server, &dev->instance.base), ==, 0);
        QXLDevMemSlot slot = { .slot_group_id = GROUP, .slot_id = SLOT,
                               .virt_start = (uintptr_t)dev->ram,
                               .virt_end = (uintptr_t)dev->ram + RAM_SIZE,
                               .addr_delta = (uintptr_t)dev->ram };
        spice_qxl_add_memslot(&dev->instance, &slot);
        uint64_t primary = dev->ram_used;
        dev->ram_used += SURF_W * SURF_H * 4;
        QXLDevSurfaceCreate create = { .width = SURF_W, .height = SURF_H, .stride = SURF_W * 4,
                                       .format = SPICE_SURFACE_FMT_32_xRGB, .mem = phys(primary),
                                       .group_id = GROUP };
        spice_qxl_create_primary_surface(&dev->instance, 0, &create);
    }
    spice_server_vm_start(server);

    Run run = { 0 };
    GThread *client = g_thread_new("pixcache-client", client_thread, &run);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    const uint64_t guest_a = 0x1111ull << 32, guest_b = 0x2222ull << 32, guest_c = 0x3333ull << 32;
    /* Step 1 draws on device 0 first and waits, so the GLZ ids have a known order. */
    push_cached_copy(0, guest_a, 0x00102030);
    push_cached_copy(1, guest_a, 0x00405060);
    g_atomic_int_set(&run.step, 1);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    push_cached_copy(0, guest_a, 0x00102030);
    g_atomic_int_set(&run.step, 2);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    push_cached_copy(1, guest_b, 0x00708090);
    g_atomic_int_set(&run.step, 3);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    push_cached_copy(1, guest_c, 0x00a0b0c0);
    g_atomic_int_set(&run.step, 4);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    push_cached_copy(0, guest_a, 0x00102030);
    g_atomic_int_set(&run.step, 5);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    spice_qxl_reset_image_cache(&devices[0].instance);
    push_cached_copy(0, guest_a, 0x00ffffff);
    push_cached_copy(1, guest_c, 0x00a0b0c0);
    g_atomic_int_set(&run.step, 6);
    g_assert_true(test_core_run_until(step_done, &run, 20000));
    g_thread_join(client);

    for (int d = 0; d < 2; d++) {
        spice_server_remove_interface(&devices[d].instance.base);
    }
    spice_server_destroy(server);
    for (int d = 0; d < 2; d++) {
        g_queue_clear_full(&devices[d].ring, g_free);
        g_mutex_clear(&devices[d].lock);
        g_free(devices[d].ram);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pixmap-cache/two-display-channels", test_two_display_channels);
    return g_test_run();
}
