/* test-socket: blocking socket I/O helpers for the unit tests' raw SPICE clients. */
#include "test-socket.h"

#include <stdint.h>
#include <sys/socket.h>
#include <glib.h>

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
