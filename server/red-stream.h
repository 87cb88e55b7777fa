/* red-stream: one client connection's byte stream, plain socket or TLS, for the link stage and the channels. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * A RedStream owns a connected, non-blocking socket and, for TLS, the OpenSSL session on it. The
 * link stage (reds-link.c) and every ChannelConnection read and write through it, so neither
 * knows whether the bytes are encrypted.
 *
 * Threads: a stream has no locks; it is used by one thread at a time. It may move to another
 * thread (the display and cursor channels' QXL worker) with the LinkedPeer that carries it.
 *
 * Non-blocking rules, the same for both kinds:
 * - read/writev return > 0 for bytes moved, -1 with errno EAGAIN when the stream must wait for
 *   the socket, -1 with another errno on failure (red_stream_error() names it), and read returns
 *   0 at the end of the stream.
 * - After a writev that returned -1/EAGAIN, the caller must offer the same leading bytes again
 *   (it may append more). TLS requires a retried SSL_write to repeat the same data; the stream
 *   keeps its own copy of what it tried, and the caller's queue naturally keeps those bytes.
 * - A TLS read or write can wait for the other direction (a handshake or key update record):
 *   watch the socket for red_stream_watch_mask(), and on an event ask red_stream_ready_ops()
 *   which operations to retry.
 * - TLS decrypts whole records: after a read, more bytes may wait inside the stream while the
 *   socket stays silent. When red_stream_has_buffered_input() is true, read again without
 *   waiting for a socket event.
 */

typedef struct RedStream RedStream;

/* What the handshake needs next. Plain streams are done at once. */
typedef enum {
    RED_STREAM_HANDSHAKE_DONE,
    RED_STREAM_HANDSHAKE_WOULD_BLOCK,     /* watch red_stream_watch_mask() and call again */
    RED_STREAM_HANDSHAKE_FAILED,          /* red_stream_error() says why */
} RedStreamHandshake;

/* Operations, same bits as EVENT_LOOP_READ/WRITE and SPICE_WATCH_EVENT_READ/WRITE. */
enum {
    RED_STREAM_OP_READ = 1 << 0,
    RED_STREAM_OP_WRITE = 1 << 1,
};

/* Takes ownership of @fd (connected; the caller made it non-blocking). Never NULL. */
RedStream *red_stream_new_plain(int fd);

/*
 * A TLS server stream on @fd: the handshake runs from red_stream_handshake(). @ssl_ctx is an
 * SSL_CTX (a reference is taken). On success takes ownership of @fd; returns NULL (logged once,
 * @fd untouched and still the caller's) when OpenSSL cannot make a session. Defined in
 * red-stream-tls.c.
 */
struct ssl_ctx_st;
RedStream *red_stream_new_tls(int fd, struct ssl_ctx_st *ssl_ctx);

/* Closes the socket (after a best-effort TLS close_notify) and frees the stream. Accepts NULL. */
void red_stream_free(RedStream *stream);

int red_stream_get_fd(const RedStream *stream);
bool red_stream_is_tls(const RedStream *stream);

RedStreamHandshake red_stream_handshake(RedStream *stream);

/* @size must be > 0 (a 0-byte read returns 0, which would read as the end of the stream). */
ssize_t red_stream_read(RedStream *stream, void *buf, size_t size);
ssize_t red_stream_writev(RedStream *stream, const struct iovec *iov, int iovcnt);
ssize_t red_stream_write(RedStream *stream, const void *buf, size_t size);

/*
 * The socket events to watch for: @want_read when the caller wants to read, @want_write when
 * it has bytes to write. During a TLS handshake: what the handshake waits for.
 */
int red_stream_watch_mask(const RedStream *stream, bool want_read, bool want_write);
/* Which RED_STREAM_OP_* may progress now that the socket reported @events. */
int red_stream_ready_ops(const RedStream *stream, int events);
/* True when decrypted bytes wait inside the stream (TLS only): read without waiting. */
bool red_stream_has_buffered_input(const RedStream *stream);

/* The last failure's description ("Connection reset by peer", "tlsv1 alert unknown ca", ...). */
const char *red_stream_error(const RedStream *stream);
