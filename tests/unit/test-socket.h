/* test-socket: blocking socket I/O helpers for the unit tests' raw SPICE clients. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "protocol/wire.h"

/* Sends all of @data; fails the test on any error (MSG_NOSIGNAL: a closed peer is an error). */
void test_socket_write_all(int fd, const void *data, size_t size);
/* Reads exactly @size bytes; false on timeout (SO_RCVTIMEO), EOF or error. */
bool test_socket_read_all(int fd, void *data, size_t size);
/* Sends @w's content, then empties @w for the next message. */
void test_socket_send_writer(int fd, WireWriter *w);
