/* test-socket: blocking socket I/O helpers for the unit tests' raw SPICE clients. */
#include "test-socket.h"

#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>
#include <spice/enums.h>

#include "protocol/link.h"
#include "protocol/ticket.h"

void test_socket_write_all(int fd, const void *data, size_t size)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
        g_assert_cmpint(n, >, 0);
        p += n;
        size -= (size_t)n;
    }
}

bool test_socket_read_all(int fd, void *data, size_t size)
{
    uint8_t *p = data;
    while (size > 0) {
        ssize_t n = recv(fd, p, size, 0);
        if (n <= 0) {
            return false;
        }
        p += n;
        size -= (size_t)n;
    }
    return true;
}

void test_socket_send_writer(int fd, WireWriter *w)
{
    test_socket_write_all(fd, wire_writer_data(w), wire_writer_size(w));
    wire_writer_reset(w);
}

TestLinkOutcome test_link_over(const TestLinkTransport *t, uint32_t connection_id, uint8_t type,
                               uint8_t id, uint32_t channel_caps, const char *password)
{
    TestLinkOutcome out = { 0 };
    uint32_t common = 0;
    link_caps_set(&common, SPICE_COMMON_CAP_PROTOCOL_AUTH_SELECTION);
    link_caps_set(&common, SPICE_COMMON_CAP_MINI_HEADER);
    WireWriter w;
    wire_writer_init(&w);
    g_assert_true(link_write_mess(&w, connection_id, type, id, &common, 1, &channel_caps, 1));
    t->write_all(t->opaque, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_reset(&w);

    uint8_t header[LINK_HEADER_SIZE];
    g_assert_true(t->read_all(t->opaque, header, sizeof(header)));
    uint32_t body_size;
    g_assert_cmpint(link_parse_reply_header(header, &body_size), ==, SPICE_LINK_ERR_OK);
    uint8_t *body = g_malloc(body_size);
    g_assert_true(t->read_all(t->opaque, body, body_size));
    LinkReply reply;
    g_assert_cmpint(link_parse_reply(body, body_size, &reply), ==, SPICE_LINK_ERR_OK);
    g_free(body);
    out.reply_error = reply.error;
    if (reply.error == SPICE_LINK_ERR_OK) {
        out.server_common_caps = reply.num_common_caps > 0 ? reply.common_caps[0] : 0;
        out.server_channel_caps = reply.num_channel_caps > 0 ? reply.channel_caps[0] : 0;
        uint8_t ticket[LINK_TICKET_CIPHERTEXT_BYTES];
        g_assert_true(link_ticket_encrypt(reply.pub_key, sizeof(reply.pub_key), password, ticket));
        link_write_auth_mechanism(&w, SPICE_COMMON_CAP_AUTH_SPICE);
        wire_write_bytes(&w, ticket, sizeof(ticket));
        t->write_all(t->opaque, wire_writer_data(&w), wire_writer_size(&w));
        wire_writer_reset(&w);
        uint8_t result[LINK_RESULT_SIZE];
        g_assert_true(t->read_all(t->opaque, result, sizeof(result)));
        out.result = link_parse_result(result);
    }
    link_reply_clear(&reply);
    wire_writer_finish(&w);
    return out;
}

static void fd_write_all(void *opaque, const void *data, size_t size)
{
    test_socket_write_all(*(const int *)opaque, data, size);
}

static bool fd_read_all(void *opaque, void *data, size_t size)
{
    return test_socket_read_all(*(const int *)opaque, data, size);
}

TestLinkOutcome test_socket_link(int fd, uint32_t connection_id, uint8_t type, uint8_t id,
                                 uint32_t channel_caps, const char *password)
{
    TestLinkTransport plain = { fd_write_all, fd_read_all, &fd };
    return test_link_over(&plain, connection_id, type, id, channel_caps, password);
}

TestLinkOutcome test_socket_link_ok(int fd, uint32_t connection_id, uint8_t type, uint8_t id,
                                    uint32_t channel_caps)
{
    TestLinkOutcome out = test_socket_link(fd, connection_id, type, id, channel_caps, "");
    g_assert_cmpuint(out.reply_error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(out.result, ==, SPICE_LINK_ERR_OK);
    return out;
}
