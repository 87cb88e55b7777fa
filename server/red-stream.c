/* red-stream: the stream interface's dispatch and the plain-socket kind. */
#include "red-stream-private.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

void red_stream_set_errno_error(RedStream *stream, int err)
{
    g_strlcpy(stream->error, g_strerror(err), sizeof(stream->error));
}

/* ---- plain sockets ---- */

static RedStreamHandshake plain_handshake(RedStream *stream)
{
    return RED_STREAM_HANDSHAKE_DONE;
}

static ssize_t plain_read(RedStream *stream, void *buf, size_t size)
{
    for (;;) {
        ssize_t n = recv(stream->fd, buf, size, 0);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EWOULDBLOCK) {
            errno = EAGAIN;
        }
        if (errno != EAGAIN) {
            red_stream_set_errno_error(stream, errno);
        }
        return -1;
    }
}

static ssize_t plain_writev(RedStream *stream, const struct iovec *iov, int iovcnt)
{
    /* sendmsg with MSG_NOSIGNAL: a client that went away must not raise SIGPIPE in the host. */
    struct msghdr msg = {
        .msg_iov = (struct iovec *)iov,
        .msg_iovlen = (size_t)iovcnt,
    };
    for (;;) {
        ssize_t n = sendmsg(stream->fd, &msg, MSG_NOSIGNAL);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == ENOTSOCK) {
            /* A pipe or other fd handed to us by a test or a host: plain writev then. */
            n = writev(stream->fd, iov, iovcnt);
            if (n >= 0) {
                return n;
            }
            if (errno == EINTR) {
                continue;
            }
        }
        if (errno == EWOULDBLOCK) {
            errno = EAGAIN;
        }
        if (errno != EAGAIN) {
            red_stream_set_errno_error(stream, errno);
        }
        return -1;
    }
}

static int plain_watch_mask(const RedStream *stream, bool want_read, bool want_write)
{
    return (want_read ? RED_STREAM_OP_READ : 0) | (want_write ? RED_STREAM_OP_WRITE : 0);
}

static int plain_ready_ops(const RedStream *stream, int events)
{
    return events & (RED_STREAM_OP_READ | RED_STREAM_OP_WRITE);
}

static bool plain_has_buffered_input(const RedStream *stream)
{
    return false;
}

static void plain_finish(RedStream *stream)
{
}

static const RedStreamOps plain_ops = {
    .handshake = plain_handshake,
    .read = plain_read,
    .writev = plain_writev,
    .watch_mask = plain_watch_mask,
    .ready_ops = plain_ready_ops,
    .has_buffered_input = plain_has_buffered_input,
    .finish = plain_finish,
};

RedStream *red_stream_new_plain(int fd)
{
    RedStream *stream = g_new0(RedStream, 1);
    stream->ops = &plain_ops;
    stream->fd = fd;
    return stream;
}

/* ---- dispatch ---- */

void red_stream_free(RedStream *stream)
{
    if (!stream) {
        return;
    }
    stream->ops->finish(stream);
    if (stream->fd >= 0) {
        close(stream->fd);
    }
    g_free(stream);
}

int red_stream_get_fd(const RedStream *stream)
{
    return stream->fd;
}

bool red_stream_is_tls(const RedStream *stream)
{
    return stream->is_tls;
}

RedStreamHandshake red_stream_handshake(RedStream *stream)
{
    return stream->ops->handshake(stream);
}

ssize_t red_stream_read(RedStream *stream, void *buf, size_t size)
{
    if (size == 0) {
        return 0;
    }
    return stream->ops->read(stream, buf, MIN(size, (size_t)INT_MAX));
}

ssize_t red_stream_writev(RedStream *stream, const struct iovec *iov, int iovcnt)
{
    if (iovcnt <= 0) {
        return 0;
    }
    return stream->ops->writev(stream, iov, iovcnt);
}

ssize_t red_stream_write(RedStream *stream, const void *buf, size_t size)
{
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = size };
    return red_stream_writev(stream, &iov, 1);
}

int red_stream_watch_mask(const RedStream *stream, bool want_read, bool want_write)
{
    return stream->ops->watch_mask(stream, want_read, want_write);
}

int red_stream_ready_ops(const RedStream *stream, int events)
{
    return stream->ops->ready_ops(stream, events);
}

bool red_stream_has_buffered_input(const RedStream *stream)
{
    return stream->ops->has_buffered_input(stream);
}

const char *red_stream_error(const RedStream *stream)
{
    return stream->error[0] ? stream->error : "unknown error";
}
