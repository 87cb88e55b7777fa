/* test-socket: blocking socket I/O helpers for the unit tests' raw SPICE clients. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/wire.h"

/* Sends all of @data; fails the test on any error (MSG_NOSIGNAL: a closed peer is an error). */
void test_socket_write_all(int fd, const void *data, size_t size);
/* Reads exactly @size bytes; false on timeout (SO_RCVTIMEO), EOF or error. */
bool test_socket_read_all(int fd, void *data, size_t size);
/* Sends @w's content, then empties @w for the next message. */
void test_socket_send_writer(int fd, WireWriter *w);

/* What the server answered to one link of test_socket_link. */
typedef struct TestLinkOutcome {
    uint32_t reply_error;          /* the LinkReply's error */
    uint32_t result;               /* the link result; only read when reply_error is OK */
    uint32_t server_common_caps;   /* first common cap word of the reply (0 if none) */
    uint32_t server_channel_caps;  /* first channel cap word of the reply (0 if none) */
} TestLinkOutcome;

/*
 * How a link stage reaches the server: a plain socket, or a TLS session the caller set up.
 * write_all fails the test on any error; read_all returns false on timeout, EOF or error.
 * @opaque is the caller's (a socket, an SSL session...) and is passed back to both.
 */
typedef struct TestLinkTransport {
    void (*write_all)(void *opaque, const void *data, size_t size);
    bool (*read_all)(void *opaque, void *data, size_t size);
    void *opaque;
} TestLinkTransport;

/* test_socket_link over any transport @t (test_socket_link is this over a plain socket). */
TestLinkOutcome test_link_over(const TestLinkTransport *t, uint32_t connection_id, uint8_t type,
                               uint8_t id, uint32_t channel_caps, const char *password);

/*
 * The polite client's link stage on connected socket @fd: LinkMess for channel @type/@id of
 * session @connection_id (0 for a main channel) with AUTH_SELECTION and MINI_HEADER and the one
 * channel cap word @channel_caps; then, when the reply's error is OK, AUTH_SPICE and the RSA
 * ticket of @password, and the result. Fails the test when the server's bytes are malformed or
 * missing; what the server decided is returned for the caller to assert.
 */
TestLinkOutcome test_socket_link(int fd, uint32_t connection_id, uint8_t type, uint8_t id,
                                 uint32_t channel_caps, const char *password);
/* test_socket_link with an empty password that must succeed (reply and result both OK). */
TestLinkOutcome test_socket_link_ok(int fd, uint32_t connection_id, uint8_t type, uint8_t id,
                                    uint32_t channel_caps);
