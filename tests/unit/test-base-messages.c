/* test-base-messages: the shared channel messages of protocol/base-messages.c, against captured bytes. */
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#include "protocol/base-messages.h"

/* captures/wire.log, display channel: SET_ACK(generation 1, window 20) and the ACK_SYNC answer. */
static const uint8_t captured_set_ack[] = { 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00 };
static const uint8_t captured_ack_sync[] = { 0x01, 0x00, 0x00, 0x00 };
/* Main channel network test: PING 1 body and the matching PONG body. */
static const uint8_t captured_ping1[] = {
    0x01, 0x00, 0x00, 0x00, 0xa7, 0xff, 0x49, 0x3b, 0x00, 0x00, 0x00, 0x00,
};

static void test_set_ack(void)
{
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_set_ack(&w, 1, 20);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), captured_set_ack, sizeof(captured_set_ack));
    wire_writer_finish(&w);

    uint32_t generation = 99, window = 99;
    g_assert_true(base_msg_parse_set_ack(captured_set_ack, sizeof(captured_set_ack), &generation, &window));
    g_assert_cmpuint(generation, ==, 1);
    g_assert_cmpuint(window, ==, 20);
    for (size_t size = 0; size < sizeof(captured_set_ack); size++) {
        g_assert_false(base_msg_parse_set_ack(captured_set_ack, size, &generation, &window));
        g_assert_cmpuint(generation, ==, 0);
        g_assert_cmpuint(window, ==, 0);
    }
}

static void test_ack_sync(void)
{
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_ack_sync(&w, 1);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), captured_ack_sync, sizeof(captured_ack_sync));
    wire_writer_finish(&w);
    uint32_t generation = 0;
    g_assert_true(base_msg_parse_ack_sync(captured_ack_sync, 4, &generation));
    g_assert_cmpuint(generation, ==, 1);
    g_assert_false(base_msg_parse_ack_sync(captured_ack_sync, 3, &generation));
    g_assert_cmpuint(generation, ==, 0);
    g_assert_false(base_msg_parse_ack_sync(NULL, 0, &generation));
}

static void test_ping_pong(void)
{
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_ping(&w, 1, 0x3b49ffa7, 0);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), captured_ping1, sizeof(captured_ping1));

    /* The bandwidth test's third PING: 256000 zero bytes of padding (body 256012 as captured). */
    wire_writer_reset(&w);
    base_msg_write_ping(&w, 3, 0x3b49ffbd, 256000);
    g_assert_cmpuint(wire_writer_size(&w), ==, 256012);
    const uint8_t *d = wire_writer_data(&w);
    for (size_t i = BASE_MSG_PING_SIZE; i < wire_writer_size(&w); i++) {
        g_assert_cmpuint(d[i], ==, 0);
    }
    uint32_t id;
    uint64_t timestamp;
    g_assert_true(base_msg_parse_ping(d, wire_writer_size(&w), &id, &timestamp));
    g_assert_cmpuint(id, ==, 3);
    g_assert_cmpuint(timestamp, ==, 0x3b49ffbd);

    /* The client echoes the PING into a PONG with the same bytes (wire.log). */
    g_assert_true(base_msg_parse_ping(captured_ping1, sizeof(captured_ping1), &id, &timestamp));
    wire_writer_reset(&w);
    base_msg_write_pong(&w, id, timestamp);
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), captured_ping1, sizeof(captured_ping1));
    g_assert_true(base_msg_parse_pong(wire_writer_data(&w), wire_writer_size(&w), &id, &timestamp));
    g_assert_cmpuint(id, ==, 1);
    g_assert_cmpuint(timestamp, ==, 0x3b49ffa7);
    wire_writer_finish(&w);

    for (size_t size = 0; size < sizeof(captured_ping1); size++) {
        g_assert_false(base_msg_parse_pong(captured_ping1, size, &id, &timestamp));
        g_assert_cmpuint(id, ==, 0);
        g_assert_cmpuint(timestamp, ==, 0);
        g_assert_false(base_msg_parse_ping(captured_ping1, size, &id, &timestamp));
    }
}

static void test_notify(void)
{
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_notify(&w, 0x1122334455667788, SPICE_NOTIFY_SEVERITY_WARN,
                          SPICE_NOTIFY_VISIBILITY_HIGH, 7, "keyboard channel is insecure");
    size_t len = strlen("keyboard channel is insecure");
    g_assert_cmpuint(wire_writer_size(&w), ==, BASE_MSG_NOTIFY_FIXED_SIZE + len + 1);
    const uint8_t *d = wire_writer_data(&w);
    static const uint8_t fixed[] = {
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
        SPICE_NOTIFY_SEVERITY_WARN, 0, 0, 0, SPICE_NOTIFY_VISIBILITY_HIGH, 0, 0, 0,
        7, 0, 0, 0, 28, 0, 0, 0,
    };
    g_assert_cmpmem(d, BASE_MSG_NOTIFY_FIXED_SIZE, fixed, sizeof(fixed));
    g_assert_cmpuint(d[wire_writer_size(&w) - 1], ==, 0);   /* the NUL is sent, not counted */

    BaseNotify n;
    g_assert_true(base_msg_parse_notify(d, wire_writer_size(&w), &n));
    g_assert_cmpuint(n.time_stamp, ==, 0x1122334455667788);
    g_assert_cmpuint(n.severity, ==, SPICE_NOTIFY_SEVERITY_WARN);
    g_assert_cmpuint(n.visibility, ==, SPICE_NOTIFY_VISIBILITY_HIGH);
    g_assert_cmpuint(n.what, ==, 7);
    g_assert_cmpmem(n.message, n.message_len, "keyboard channel is insecure", len);
    g_assert_true(n.message == d + BASE_MSG_NOTIFY_FIXED_SIZE);

    /* Without the NUL it still parses; with message_len past the end it does not. */
    g_assert_true(base_msg_parse_notify(d, wire_writer_size(&w) - 1, &n));
    g_assert_cmpuint(n.message_len, ==, len);
    for (size_t size = 0; size < BASE_MSG_NOTIFY_FIXED_SIZE + len; size++) {
        g_assert_false(base_msg_parse_notify(d, size, &n));
        g_assert_null(n.message);
        g_assert_cmpuint(n.message_len, ==, 0);
    }
    uint8_t huge[BASE_MSG_NOTIFY_FIXED_SIZE + 4];
    memcpy(huge, d, BASE_MSG_NOTIFY_FIXED_SIZE);
    memset(huge + 20, 0xff, 4);   /* message_len 0xffffffff */
    g_assert_false(base_msg_parse_notify(huge, sizeof(huge), &n));

    /* An empty message is 24 bytes + NUL. */
    wire_writer_reset(&w);
    base_msg_write_notify(&w, 0, SPICE_NOTIFY_SEVERITY_INFO, SPICE_NOTIFY_VISIBILITY_LOW, 0, "");
    g_assert_cmpuint(wire_writer_size(&w), ==, BASE_MSG_NOTIFY_FIXED_SIZE + 1);
    g_assert_true(base_msg_parse_notify(wire_writer_data(&w), wire_writer_size(&w), &n));
    g_assert_cmpuint(n.message_len, ==, 0);
    g_assert_nonnull(n.message);
    wire_writer_finish(&w);
}

static void test_disconnecting(void)
{
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_disconnecting(&w, 0x0102030405060708, SPICE_LINK_ERR_PERMISSION_DENIED);
    static const uint8_t expected[] = { 8, 7, 6, 5, 4, 3, 2, 1, 7, 0, 0, 0 };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    uint64_t ts;
    uint32_t reason;
    g_assert_true(base_msg_parse_disconnecting(expected, sizeof(expected), &ts, &reason));
    g_assert_cmpuint(ts, ==, 0x0102030405060708);
    g_assert_cmpuint(reason, ==, SPICE_LINK_ERR_PERMISSION_DENIED);
    g_assert_false(base_msg_parse_disconnecting(expected, 11, &ts, &reason));
    g_assert_cmpuint(ts, ==, 0);
    g_assert_cmpuint(reason, ==, 0);
    wire_writer_finish(&w);
}

static void test_wait_for_channels(void)
{
    const BaseWaitChannel entries[2] = {
        { SPICE_CHANNEL_DISPLAY, 0, 42 },
        { SPICE_CHANNEL_DISPLAY, 1, G_GUINT64_CONSTANT(0x1000000001) },
    };
    WireWriter w;
    wire_writer_init(&w);
    base_msg_write_wait_for_channels(&w, entries, 2);
    static const uint8_t expected[] = {
        2,
        SPICE_CHANNEL_DISPLAY, 0, 42, 0, 0, 0, 0, 0, 0, 0,
        SPICE_CHANNEL_DISPLAY, 1, 1, 0, 0, 0, 0x10, 0, 0, 0,
    };
    g_assert_cmpmem(wire_writer_data(&w), wire_writer_size(&w), expected, sizeof(expected));
    BaseWaitForChannels *waits = g_new(BaseWaitForChannels, 1);
    g_assert_true(base_msg_parse_wait_for_channels(expected, sizeof(expected), waits));
    g_assert_cmpuint(waits->count, ==, 2);
    g_assert_cmpuint(waits->entries[1].channel_id, ==, 1);
    g_assert_cmpuint(waits->entries[1].message_serial, ==, G_GUINT64_CONSTANT(0x1000000001));
    for (size_t size = 0; size < sizeof(expected); size++) {
        g_assert_false(base_msg_parse_wait_for_channels(expected, size, waits));
        g_assert_cmpuint(waits->count, ==, 0);
    }
    /* count 255 with no entries must fail without reading past the body. */
    static const uint8_t lying[] = { 255, 2, 0 };
    g_assert_false(base_msg_parse_wait_for_channels(lying, sizeof(lying), waits));
    /* The most a u8 can say. */
    BaseWaitChannel all[BASE_MSG_MAX_WAIT_CHANNELS];
    for (unsigned i = 0; i < BASE_MSG_MAX_WAIT_CHANNELS; i++) {
        all[i] = (BaseWaitChannel){ SPICE_CHANNEL_DISPLAY, (uint8_t)i, i };
    }
    wire_writer_reset(&w);
    base_msg_write_wait_for_channels(&w, all, BASE_MSG_MAX_WAIT_CHANNELS);
    g_assert_cmpuint(wire_writer_size(&w), ==, 1 + 255 * BASE_MSG_WAIT_ENTRY_SIZE);
    g_assert_true(base_msg_parse_wait_for_channels(wire_writer_data(&w), wire_writer_size(&w), waits));
    g_assert_cmpuint(waits->count, ==, 255);
    g_assert_cmpuint(waits->entries[254].message_serial, ==, 254);
    g_free(waits);
    wire_writer_finish(&w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/base-messages/set-ack", test_set_ack);
    g_test_add_func("/base-messages/ack-sync", test_ack_sync);
    g_test_add_func("/base-messages/ping-pong", test_ping_pong);
    g_test_add_func("/base-messages/notify", test_notify);
    g_test_add_func("/base-messages/disconnecting", test_disconnecting);
    g_test_add_func("/base-messages/wait-for-channels", test_wait_for_channels);
    return g_test_run();
}
