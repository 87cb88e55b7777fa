/* red-stream-tls: the TLS kind of RedStream, a non-blocking OpenSSL server session on a socket. */
#include "red-stream-private.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

/* One TLS record's worth of plaintext: what one SSL_write takes from the caller at most. */
#define TLS_WRITE_CHUNK 16384

typedef struct TlsStream {
    RedStream base;
    SSL *ssl;                       /* owned; owns its BIO */
    bool handshake_done;
    bool fatal;                     /* OpenSSL reported a fatal error: no close_notify */
    bool peer_closed;               /* the socket reached EOF */
    int handshake_waits_for;        /* RED_STREAM_OP_* the handshake waits for */
    int read_waits_for;             /* 0, or what the last blocked SSL_read waits for */
    int write_waits_for;            /* 0, or what the last blocked SSL_write waits for */
    /*
     * What the last SSL_write tried, kept until it completes: OpenSSL requires a retry after
     * WANT_READ/WANT_WRITE with the same bytes, and this copy is exactly that.
     */
    uint8_t retry_buf[TLS_WRITE_CHUNK];
    size_t retry_len;
} TlsStream;

/* ---- a socket BIO that never raises SIGPIPE ---- */

/*
 * OpenSSL's socket BIO writes with write(2): a client that vanished would kill a host that does
 * not ignore SIGPIPE. This BIO sends with MSG_NOSIGNAL. Its data is the TlsStream.
 */

static int bio_write_ex(BIO *bio, const char *data, size_t size, size_t *written)
{
    TlsStream *tls = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = send(tls->base.fd, data, size, MSG_NOSIGNAL);
        if (n >= 0) {
            *written = (size_t)n;
            return 1;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_write(bio);
        }
        return 0;
    }
}

static int bio_read_ex(BIO *bio, char *data, size_t size, size_t *got)
{
    TlsStream *tls = BIO_get_data(bio);
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = recv(tls->base.fd, data, size, 0);
        if (n > 0) {
            *got = (size_t)n;
            return 1;
        }
        if (n == 0) {
            tls->peer_closed = true;
            return 0;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_read(bio);
        }
        return 0;
    }
}

static long bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    TlsStream *tls = BIO_get_data(bio);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;       /* nothing is buffered here */
    case BIO_CTRL_EOF:
        return tls && tls->peer_closed;
    default:
        return 0;
    }
}

static int bio_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static gpointer make_bio_method(gpointer unused)
{
    BIO_METHOD *method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                                      "spice socket (MSG_NOSIGNAL)");
    if (!method) {
        return NULL;
    }
    BIO_meth_set_write_ex(method, bio_write_ex);
    BIO_meth_set_read_ex(method, bio_read_ex);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    return method;
}

/* Made once per process and never freed, as OpenSSL's own methods. */
static BIO_METHOD *socket_bio_method(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, make_bio_method, NULL);
}

/* ---- errors ---- */

/* Records the reason of a failed SSL call (@ret, its return value) and returns the SSL error. */
static int record_ssl_error(TlsStream *tls, int ret, int saved_errno)
{
    int err = SSL_get_error(tls->ssl, ret);
    switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
    case SSL_ERROR_ZERO_RETURN:
        break;
    case SSL_ERROR_SYSCALL:
        tls->fatal = true;
        if (saved_errno != 0) {
            red_stream_set_errno_error(&tls->base, saved_errno);
        } else {
            g_strlcpy(tls->base.error, "the peer closed the connection", sizeof(tls->base.error));
        }
        break;
    default: {
        tls->fatal = true;
        unsigned long code = ERR_peek_last_error();
        const char *reason = code ? ERR_reason_error_string(code) : NULL;
        if (reason) {
            g_snprintf(tls->base.error, sizeof(tls->base.error), "TLS: %s", reason);
        } else if (code != 0) {
            char text[160];
            ERR_error_string_n(code, text, sizeof(text));
            g_snprintf(tls->base.error, sizeof(tls->base.error), "TLS: %s", text);
        } else {
            g_snprintf(tls->base.error, sizeof(tls->base.error), "TLS error %d", err);
        }
        break;
    }
    }
    ERR_clear_error();
    return err;
}

static int wait_op_for(int ssl_error)
{
    return ssl_error == SSL_ERROR_WANT_WRITE ? RED_STREAM_OP_WRITE : RED_STREAM_OP_READ;
}

/* ---- the stream kind ---- */

static RedStreamHandshake tls_handshake(RedStream *stream)
{
    TlsStream *tls = (TlsStream *)stream;
    if (tls->handshake_done) {
        return RED_STREAM_HANDSHAKE_DONE;
    }
    ERR_clear_error();
    errno = 0;
    int ret = SSL_accept(tls->ssl);
    int saved_errno = errno;
    if (ret == 1) {
        tls->handshake_done = true;
        tls->handshake_waits_for = 0;
        return RED_STREAM_HANDSHAKE_DONE;
    }
    int err = record_ssl_error(tls, ret, saved_errno);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        tls->handshake_waits_for = wait_op_for(err);
        return RED_STREAM_HANDSHAKE_WOULD_BLOCK;
    }
    if (err == SSL_ERROR_ZERO_RETURN) {
        g_strlcpy(stream->error, "the peer closed the connection during the handshake",
                  sizeof(stream->error));
    }
    tls->fatal = true;
    return RED_STREAM_HANDSHAKE_FAILED;
}

static ssize_t tls_read(RedStream *stream, void *buf, size_t size)
{
    TlsStream *tls = (TlsStream *)stream;
    if (!tls->handshake_done) {
        RedStreamHandshake h = tls_handshake(stream);
        if (h != RED_STREAM_HANDSHAKE_DONE) {
            errno = h == RED_STREAM_HANDSHAKE_WOULD_BLOCK ? EAGAIN : EPROTO;
            return -1;
        }
    }
    ERR_clear_error();
    errno = 0;
    int ret = SSL_read(tls->ssl, buf, (int)size);
    int saved_errno = errno;
    if (ret > 0) {
        tls->read_waits_for = 0;
        return ret;
    }
    int err = record_ssl_error(tls, ret, saved_errno);
    switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        tls->read_waits_for = wait_op_for(err);
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;               /* close_notify, or EOF (SSL_OP_IGNORE_UNEXPECTED_EOF) */
    case SSL_ERROR_SYSCALL:
        if (saved_errno == 0) {
            return 0;           /* EOF without close_notify */
        }
        errno = saved_errno;
        return -1;
    default:
        errno = EPROTO;
        return -1;
    }
}

static ssize_t tls_writev(RedStream *stream, const struct iovec *iov, int iovcnt)
{
    TlsStream *tls = (TlsStream *)stream;
    if (!tls->handshake_done) {
        RedStreamHandshake h = tls_handshake(stream);
        if (h != RED_STREAM_HANDSHAKE_DONE) {
            errno = h == RED_STREAM_HANDSHAKE_WOULD_BLOCK ? EAGAIN : EPROTO;
            return -1;
        }
    }
    if (tls->retry_len == 0) {
        size_t len = 0;
        for (int i = 0; i < iovcnt && len < sizeof(tls->retry_buf); i++) {
            size_t take = MIN(iov[i].iov_len, sizeof(tls->retry_buf) - len);
            memcpy(tls->retry_buf + len, iov[i].iov_base, take);
            len += take;
        }
        if (len == 0) {
            return 0;
        }
        tls->retry_len = len;
    } else {
        /* The caller keeps the bytes we tried; it must still offer at least that many. */
        size_t offered = 0;
        for (int i = 0; i < iovcnt && offered < tls->retry_len; i++) {
            offered += iov[i].iov_len;
        }
        if (offered < tls->retry_len) {
            g_strlcpy(stream->error, "internal error: a TLS write retry offered fewer bytes",
                      sizeof(stream->error));
            tls->fatal = true;
            errno = EINVAL;
            return -1;
        }
    }
    ERR_clear_error();
    errno = 0;
    int ret = SSL_write(tls->ssl, tls->retry_buf, (int)tls->retry_len);
    int saved_errno = errno;
    if (ret > 0) {
        tls->write_waits_for = 0;
        tls->retry_len = 0;
        return ret;
    }
    int err = record_ssl_error(tls, ret, saved_errno);
    switch (err) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        tls->write_waits_for = wait_op_for(err);
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_SYSCALL:
        errno = saved_errno ? saved_errno : EPIPE;
        if (!saved_errno) {
            red_stream_set_errno_error(stream, EPIPE);
        }
        return -1;
    default:
        if (err == SSL_ERROR_ZERO_RETURN) {
            g_strlcpy(stream->error, "the peer closed the TLS session", sizeof(stream->error));
        }
        errno = EPIPE;
        return -1;
    }
}

static int tls_watch_mask(const RedStream *stream, bool want_read, bool want_write)
{
    const TlsStream *tls = (const TlsStream *)stream;
    if (!tls->handshake_done) {
        return tls->handshake_waits_for ? tls->handshake_waits_for : RED_STREAM_OP_READ;
    }
    int mask = 0;
    if (want_read) {
        mask |= tls->read_waits_for ? tls->read_waits_for : RED_STREAM_OP_READ;
    }
    if (want_write) {
        mask |= tls->write_waits_for ? tls->write_waits_for : RED_STREAM_OP_WRITE;
    }
    return mask;
}

static int tls_ready_ops(const RedStream *stream, int events)
{
    const TlsStream *tls = (const TlsStream *)stream;
    if (!tls->handshake_done) {
        /* Reads and writes run the handshake first. */
        return events ? RED_STREAM_OP_READ | RED_STREAM_OP_WRITE : 0;
    }
    int read_needs = tls->read_waits_for ? tls->read_waits_for : RED_STREAM_OP_READ;
    int write_needs = tls->write_waits_for ? tls->write_waits_for : RED_STREAM_OP_WRITE;
    int ops = 0;
    if (events & read_needs) {
        ops |= RED_STREAM_OP_READ;
    }
    if (events & write_needs) {
        ops |= RED_STREAM_OP_WRITE;
    }
    return ops;
}

static bool tls_has_buffered_input(const RedStream *stream)
{
    const TlsStream *tls = (const TlsStream *)stream;
    return tls->handshake_done && SSL_has_pending(tls->ssl);
}

static void tls_finish(RedStream *stream)
{
    TlsStream *tls = (TlsStream *)stream;
    if (tls->handshake_done && !tls->fatal) {
        /* One try at close_notify; the socket closes right after, whatever happens. */
        ERR_clear_error();
        SSL_shutdown(tls->ssl);
        ERR_clear_error();
    }
    SSL_free(tls->ssl);
    tls->ssl = NULL;
}

static const RedStreamOps tls_ops = {
    .handshake = tls_handshake,
    .read = tls_read,
    .writev = tls_writev,
    .watch_mask = tls_watch_mask,
    .ready_ops = tls_ready_ops,
    .has_buffered_input = tls_has_buffered_input,
    .finish = tls_finish,
};

RedStream *red_stream_new_tls(int fd, struct ssl_ctx_st *ssl_ctx)
{
    BIO_METHOD *method = socket_bio_method();
    SSL *ssl = ssl_ctx ? SSL_new(ssl_ctx) : NULL;
    BIO *bio = method ? BIO_new(method) : NULL;
    if (!ssl || !bio) {
        g_warning("spice: cannot create a TLS session for a new client (out of memory?); "
                  "the connection is refused");
        SSL_free(ssl);
        BIO_free(bio);
        ERR_clear_error();
        return NULL;
    }
    TlsStream *tls = g_new0(TlsStream, 1);
    tls->base.ops = &tls_ops;
    tls->base.fd = fd;
    tls->base.is_tls = true;
    tls->ssl = ssl;
    BIO_set_data(bio, tls);
    SSL_set_bio(ssl, bio, bio);     /* the session owns the BIO from here */
    SSL_set_accept_state(ssl);
    return &tls->base;
}
