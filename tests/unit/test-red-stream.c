/* test-red-stream: plain and TLS RedStreams over socketpairs, the TLS context's settings, a ChannelConnection over TLS. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spice/enums.h>

#include "protocol/framing.h"
#include "protocol/wire.h"
#include "server/channel-connection.h"
#include "server/red-stream.h"
#include "server/reds-tls.h"

/* The connections here have no server (peer->reds is NULL): this is never reached. */
void reds_report_channel_event(SpiceServer *reds, int event, SpiceChannelEventInfo *info,
                               void (*free_after)(void *info))
{
    g_assert_not_reached();
}

/* ---- a test PKI, made with OpenSSL's API in a temporary directory ---- */

typedef struct Pki {
    char *dir;
    char *ca_cert;              /* the CA that signed the server certificate */
    char *server_cert;          /* RSA 2048, SAN IP:127.0.0.1 */
    char *server_key;
    char *server_key_encrypted; /* the same key, AES-encrypted with "s3cret" */
    char *other_ca_cert;        /* a CA that signed nothing we serve */
    char *other_ca_key;         /* its key: does not match server_cert */
    char *dh_params;            /* ffdhe2048 as PEM "DH PARAMETERS" */
} Pki;

static Pki pki;

static void write_pem_cert(const char *path, X509 *cert)
{
    FILE *f = fopen(path, "w");
    g_assert_nonnull(f);
    g_assert_true(PEM_write_X509(f, cert));
    fclose(f);
}

static void write_pem_key(const char *path, EVP_PKEY *key, const char *password)
{
    FILE *f = fopen(path, "w");
    g_assert_nonnull(f);
    if (password) {
        g_assert_true(PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), NULL, 0, NULL, (void *)password));
    } else {
        g_assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    }
    fclose(f);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    g_assert_nonnull(ext);
    g_assert_true(X509_add_ext(cert, ext, -1));
    X509_EXTENSION_free(ext);
}

/* A certificate for @key named @cn, signed by @issuer_key (self-signed when @issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key)
{
    static long serial = 1;
    X509 *cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert, key);
    X509 *signer = issuer ? issuer : cert;
    if (!issuer) {
        add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(cert, signer, NID_basic_constraints, "CA:FALSE");
        add_ext(cert, signer, NID_subject_alt_name, "IP:127.0.0.1");
    }
    g_assert_true(X509_sign(cert, issuer_key, EVP_sha256()) > 0);
    return cert;
}

static void pki_make(void)
{
    GError *error = NULL;
    pki.dir = g_dir_make_tmp("test-red-stream-XXXXXX", &error);
    g_assert_no_error(error);
    pki.ca_cert = g_build_filename(pki.dir, "ca-cert.pem", NULL);
    pki.server_cert = g_build_filename(pki.dir, "server-cert.pem", NULL);
    pki.server_key = g_build_filename(pki.dir, "server-key.pem", NULL);
    pki.server_key_encrypted = g_build_filename(pki.dir, "server-key-enc.pem", NULL);
    pki.other_ca_cert = g_build_filename(pki.dir, "other-ca-cert.pem", NULL);
    pki.other_ca_key = g_build_filename(pki.dir, "other-ca-key.pem", NULL);
    pki.dh_params = g_build_filename(pki.dir, "dh.pem", NULL);

    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *other_key = EVP_EC_gen("P-256");
    /* RSA, so that DHE-RSA cipher suites can be tested with TLS 1.2 clients. */
    EVP_PKEY *server_key = EVP_RSA_gen(2048);
    g_assert_true(ca_key && other_key && server_key);
    X509 *ca = make_cert(ca_key, "test CA", NULL, ca_key);
    X509 *other_ca = make_cert(other_key, "another CA", NULL, other_key);
    X509 *server = make_cert(server_key, "127.0.0.1", ca, ca_key);
    write_pem_cert(pki.ca_cert, ca);
    write_pem_cert(pki.other_ca_cert, other_ca);
    write_pem_cert(pki.server_cert, server);
    write_pem_key(pki.server_key, server_key, NULL);
    write_pem_key(pki.server_key_encrypted, server_key, "s3cret");
    write_pem_key(pki.other_ca_key, other_key, NULL);

    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
    EVP_PKEY *dh = NULL;
    g_assert_nonnull(pctx);
    g_assert_cmpint(EVP_PKEY_paramgen_init(pctx), ==, 1);
    g_assert_cmpint(EVP_PKEY_CTX_set_dh_nid(pctx, NID_ffdhe2048), ==, 1);
    g_assert_cmpint(EVP_PKEY_paramgen(pctx, &dh), ==, 1);
    BIO *bio = BIO_new_file(pki.dh_params, "w");
    g_assert_nonnull(bio);
    g_assert_true(PEM_write_bio_Parameters(bio, dh));
    BIO_free(bio);

    EVP_PKEY_free(dh);
    EVP_PKEY_CTX_free(pctx);
    X509_free(ca);
    X509_free(other_ca);
    X509_free(server);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    EVP_PKEY_free(server_key);
}

static void pki_remove(void)
{
    char *files[] = { pki.ca_cert, pki.server_cert, pki.server_key, pki.server_key_encrypted,
                      pki.other_ca_cert, pki.other_ca_key, pki.dh_params };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        g_unlink(files[i]);
        g_free(files[i]);
    }
    g_rmdir(pki.dir);
    g_free(pki.dir);
}

/* A RedsTlsConfig over the test PKI (strings owned by the config). */
static void server_config(RedsTlsConfig *config, const char *dh_file, const char *ciphers)
{
    memset(config, 0, sizeof(*config));
    config->port = 1;
    config->ca_file = g_strdup(pki.ca_cert);
    config->certs_file = g_strdup(pki.server_cert);
    config->key_file = g_strdup(pki.server_key);
    config->dh_file = g_strdup(dh_file);
    config->ciphersuite = g_strdup(ciphers);
}

static SSL_CTX *server_context(const char *dh_file, const char *ciphers)
{
    RedsTlsConfig config;
    server_config(&config, dh_file, ciphers);
    SSL_CTX *ctx = reds_tls_context_new(&config);
    reds_tls_config_clear(&config);
    return ctx;
}

/* ---- a TLS client in the same thread, on the other end of a socketpair ---- */

typedef struct Pair {
    int server_fd;
    int client_fd;
    RedStream *server;
    SSL_CTX *client_ctx;
    SSL *client;
} Pair;

typedef struct ClientOptions {
    const char *ca_file;        /* NULL: pki.ca_cert */
    int max_version;            /* 0: any */
    const char *ciphers;        /* TLS <= 1.2 cipher list, or NULL */
} ClientOptions;

static void set_nonblocking(int fd)
{
    g_assert_cmpint(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), ==, 0);
}

static void pair_open(Pair *p, SSL_CTX *server_ctx, const ClientOptions *opts)
{
    memset(p, 0, sizeof(*p));
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    set_nonblocking(fds[0]);
    set_nonblocking(fds[1]);
    p->server_fd = fds[0];
    p->client_fd = fds[1];
    p->server = red_stream_new_tls(p->server_fd, server_ctx);
    g_assert_nonnull(p->server);
    g_assert_true(red_stream_is_tls(p->server));

    p->client_ctx = SSL_CTX_new(TLS_client_method());
    g_assert_cmpint(SSL_CTX_load_verify_locations(p->client_ctx,
                                                  opts && opts->ca_file ? opts->ca_file : pki.ca_cert,
                                                  NULL), ==, 1);
    SSL_CTX_set_verify(p->client_ctx, SSL_VERIFY_PEER, NULL);
    if (opts && opts->max_version) {
        SSL_CTX_set_min_proto_version(p->client_ctx, 0);
        SSL_CTX_set_max_proto_version(p->client_ctx, opts->max_version);
    }
    if (opts && opts->ciphers) {
        g_assert_cmpint(SSL_CTX_set_cipher_list(p->client_ctx, opts->ciphers), ==, 1);
    }
    p->client = SSL_new(p->client_ctx);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p->client), "127.0.0.1");
    SSL_set_fd(p->client, p->client_fd);
    SSL_set_connect_state(p->client);
}

static void pair_close(Pair *p)
{
    red_stream_free(p->server);         /* closes server_fd */
    SSL_free(p->client);
    SSL_CTX_free(p->client_ctx);
    if (p->client_fd >= 0) {
        close(p->client_fd);
    }
    ERR_clear_error();
}

/* Runs both handshakes to the end. Returns the server's result; *client_ok says the client's. */
static RedStreamHandshake pair_handshake(Pair *p, bool *client_ok)
{
    RedStreamHandshake server = RED_STREAM_HANDSHAKE_WOULD_BLOCK;
    int client = -1;
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (g_get_monotonic_time() < end) {
        if (server == RED_STREAM_HANDSHAKE_WOULD_BLOCK) {
            server = red_stream_handshake(p->server);
            if (server == RED_STREAM_HANDSHAKE_WOULD_BLOCK) {
                /* What the handshake waits for is one socket event, never none. */
                int mask = red_stream_watch_mask(p->server, false, false);
                g_assert_true(mask == RED_STREAM_OP_READ || mask == RED_STREAM_OP_WRITE);
            }
        }
        if (client < 0) {
            int r = SSL_do_handshake(p->client);
            if (r == 1) {
                client = 1;
            } else {
                int err = SSL_get_error(p->client, r);
                if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
                    client = 0;
                    ERR_clear_error();
                }
            }
        }
        if (server != RED_STREAM_HANDSHAKE_WOULD_BLOCK && client >= 0) {
            break;
        }
        g_usleep(200);
    }
    g_assert_cmpint(client, >=, 0);
    g_assert_cmpint(server, !=, RED_STREAM_HANDSHAKE_WOULD_BLOCK);
    *client_ok = client == 1;
    return server;
}

static void pair_connect(Pair *p, SSL_CTX *server_ctx, const ClientOptions *opts)
{
    pair_open(p, server_ctx, opts);
    bool client_ok;
    g_assert_cmpint(pair_handshake(p, &client_ok), ==, RED_STREAM_HANDSHAKE_DONE);
    g_assert_true(client_ok);
}

/* Reads exactly @size bytes on the client, running @context (may be NULL) meanwhile. */
static void client_read_exact(Pair *p, uint8_t *buf, size_t size, GMainContext *context)
{
    size_t got = 0;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (got < size) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        int n = SSL_read(p->client, buf + got, (int)MIN(size - got, (size_t)INT_MAX));
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        int err = SSL_get_error(p->client, n);
        g_assert_true(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE);
        if (context) {
            g_main_context_iteration(context, FALSE);
        }
        g_usleep(50);
    }
}

static void client_write_all(Pair *p, const void *data, size_t size)
{
    size_t done = 0;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (done < size) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        int n = SSL_write(p->client, (const uint8_t *)data + done, (int)(size - done));
        if (n > 0) {
            done += (size_t)n;
            continue;
        }
        int err = SSL_get_error(p->client, n);
        g_assert_true(err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE);
        g_usleep(50);
    }
}

/* Reads exactly @size bytes on the server stream (spinning on EAGAIN). */
static void server_read_exact(Pair *p, uint8_t *buf, size_t size)
{
    size_t got = 0;
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (got < size) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        ssize_t n = red_stream_read(p->server, buf + got, size - got);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        g_assert_cmpint(n, ==, -1);
        g_assert_cmpint(errno, ==, EAGAIN);
        g_usleep(50);
    }
}

static bool socket_readable(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* ---- plain streams ---- */

static void test_plain(void)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    set_nonblocking(fds[0]);
    RedStream *s = red_stream_new_plain(fds[0]);
    g_assert_false(red_stream_is_tls(s));
    g_assert_cmpint(red_stream_get_fd(s), ==, fds[0]);
    g_assert_cmpint(red_stream_handshake(s), ==, RED_STREAM_HANDSHAKE_DONE);
    g_assert_cmpint(red_stream_watch_mask(s, true, false), ==, RED_STREAM_OP_READ);
    g_assert_cmpint(red_stream_watch_mask(s, true, true), ==, RED_STREAM_OP_READ | RED_STREAM_OP_WRITE);
    g_assert_cmpint(red_stream_watch_mask(s, false, true), ==, RED_STREAM_OP_WRITE);
    g_assert_cmpint(red_stream_ready_ops(s, RED_STREAM_OP_WRITE), ==, RED_STREAM_OP_WRITE);

    uint8_t buf[64];
    errno = 0;
    g_assert_cmpint(red_stream_read(s, buf, sizeof(buf)), ==, -1);
    g_assert_cmpint(errno, ==, EAGAIN);

    g_assert_cmpint(write(fds[1], "hello", 5), ==, 5);
    g_assert_cmpint(red_stream_read(s, buf, sizeof(buf)), ==, 5);
    g_assert_cmpmem(buf, 5, "hello", 5);
    g_assert_false(red_stream_has_buffered_input(s));

    struct iovec iov[3] = {
        { .iov_base = "ab", .iov_len = 2 }, { .iov_base = "", .iov_len = 0 }, { .iov_base = "cde", .iov_len = 3 },
    };
    g_assert_cmpint(red_stream_writev(s, iov, 3), ==, 5);
    g_assert_cmpint(read(fds[1], buf, sizeof(buf)), ==, 5);
    g_assert_cmpmem(buf, 5, "abcde", 5);

    /* Fill the socket: the stream says EAGAIN instead of blocking. */
    static uint8_t big[65536];
    ssize_t n;
    size_t total = 0;
    while ((n = red_stream_write(s, big, sizeof(big))) > 0) {
        total += (size_t)n;
        g_assert_cmpuint(total, <, 64u * 1024 * 1024);
    }
    g_assert_cmpint(errno, ==, EAGAIN);

    /* The peer goes away: writing fails with an error, not SIGPIPE (SIGPIPE is fatal here). */
    close(fds[1]);
    n = red_stream_write(s, "x", 1);
    g_assert_cmpint(n, ==, -1);
    g_assert_true(errno == EPIPE || errno == ECONNRESET);
    g_assert_nonnull(strstr(red_stream_error(s), errno == EPIPE ? "pipe" : "reset"));
    red_stream_free(s);
    g_assert_true(fcntl(fds[0], F_GETFD) == -1 && errno == EBADF);   /* the stream closed it */
    red_stream_free(NULL);
}

static void test_plain_eof(void)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    set_nonblocking(fds[0]);
    RedStream *s = red_stream_new_plain(fds[0]);
    g_assert_cmpint(write(fds[1], "z", 1), ==, 1);
    close(fds[1]);
    uint8_t buf[8];
    g_assert_cmpint(red_stream_read(s, buf, sizeof(buf)), ==, 1);
    g_assert_cmpint(red_stream_read(s, buf, sizeof(buf)), ==, 0);
    red_stream_free(s);
}

/* ---- the TLS context ---- */

static void test_context_settings(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    g_assert_nonnull(ctx);
    /* As upstream: TLS 1.1 at least, no compression, no renegotiation. */
    g_assert_cmpint(SSL_CTX_get_min_proto_version(ctx), ==, TLS1_1_VERSION);
    uint64_t options = SSL_CTX_get_options(ctx);
    g_assert_true(options & SSL_OP_NO_COMPRESSION);
    g_assert_true(options & SSL_OP_NO_RENEGOTIATION);
    g_assert_true(options & SSL_OP_NO_TLSv1);
    reds_tls_context_free(ctx);
    reds_tls_context_free(NULL);

    RedsTlsConfig config;
    /* Each broken setting fails the context (spice_server_init then fails, as upstream), with one
     * warning that names the file or setting. */
    server_config(&config, NULL, NULL);
    g_free(config.certs_file);
    config.certs_file = g_build_filename(pki.dir, "missing.pem", NULL);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*certificate file*missing.pem*No such file*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    reds_tls_config_clear(&config);

    server_config(&config, NULL, NULL);
    g_free(config.key_file);
    config.key_file = g_strdup(pki.other_ca_key);   /* does not belong to the certificate */
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*private key*does not belong*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    reds_tls_config_clear(&config);

    server_config(&config, NULL, NULL);
    g_free(config.ca_file);
    config.ca_file = g_strdup(pki.server_key);      /* a key, not certificates */
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*CA certificates*server-key.pem*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    reds_tls_config_clear(&config);

    server_config(&config, NULL, "NO-SUCH-CIPHER");
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*NO-SUCH-CIPHER*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    reds_tls_config_clear(&config);

    server_config(&config, pki.server_cert, NULL);   /* not DH parameters */
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*DH parameters*server-cert.pem*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    reds_tls_config_clear(&config);

    /* An encrypted key needs its password. */
    server_config(&config, NULL, NULL);
    g_free(config.key_file);
    config.key_file = g_strdup(pki.server_key_encrypted);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*private key*server-key-enc.pem*password*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    config.key_password = g_strdup("wrong");
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*private key*server-key-enc.pem*");
    g_assert_null(reds_tls_context_new(&config));
    g_test_assert_expected_messages();
    g_free(config.key_password);
    config.key_password = g_strdup("s3cret");
    ctx = reds_tls_context_new(&config);
    g_assert_nonnull(ctx);
    reds_tls_config_clear(&config);
    g_assert_null(config.key_password);
    reds_tls_context_free(ctx);

    memset(&config, 0, sizeof(config));
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*must all be given*");
    g_assert_null(reds_tls_context_new(&config));   /* nothing given */
    g_test_assert_expected_messages();
}

/* ---- TLS streams ---- */

static void test_tls_data_and_retry(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    Pair p;
    pair_connect(&p, ctx, NULL);
    /* The server's context reference keeps sessions alive after the caller's is dropped. */
    reds_tls_context_free(ctx);

    /* client -> server */
    client_write_all(&p, "ping!", 5);
    uint8_t small[8];
    server_read_exact(&p, small, 5);
    g_assert_cmpmem(small, 5, "ping!", 5);

    /* server -> client, 1 MiB through writev in uneven pieces, until the socket is full. */
    const size_t total = 1024 * 1024;
    uint8_t *data = g_malloc(total);
    for (size_t i = 0; i < total; i++) {
        data[i] = (uint8_t)(i * 7 + i / 251);
    }
    uint8_t *received = g_malloc(total);
    size_t sent = 0, got = 0;
    int blocked = 0;
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (got < total) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        /* Write until the stream says EAGAIN, then offer the same bytes again (plus more). */
        while (sent < total) {
            struct iovec iov[3];
            int n = 0;
            size_t offset = sent;
            const size_t pieces[3] = { 1000, 7000, 30001 };
            for (int i = 0; i < 3 && offset < total; i++) {
                iov[n].iov_base = data + offset;
                iov[n].iov_len = MIN(pieces[i], total - offset);
                offset += iov[n].iov_len;
                n++;
            }
            ssize_t w = red_stream_writev(p.server, iov, n);
            if (w < 0) {
                g_assert_cmpint(errno, ==, EAGAIN);
                g_assert_true(red_stream_watch_mask(p.server, false, true) & RED_STREAM_OP_WRITE);
                blocked++;
                break;
            }
            g_assert_cmpint(w, >, 0);
            g_assert_cmpint(w, <=, 16384);      /* one record at a time */
            sent += (size_t)w;
        }
        /* The client drains a little, so the server is blocked often. */
        int n = SSL_read(p.client, received + got, (int)MIN(total - got, (size_t)50000));
        if (n > 0) {
            got += (size_t)n;
        } else {
            g_assert_cmpint(SSL_get_error(p.client, n), ==, SSL_ERROR_WANT_READ);
            g_usleep(50);
        }
    }
    g_assert_cmpint(sent, ==, total);
    g_assert_cmpint(blocked, >, 0);
    g_assert_true(memcmp(data, received, total) == 0);
    g_free(data);
    g_free(received);
    pair_close(&p);
}

static void test_tls_buffered_input(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    Pair p;
    pair_connect(&p, ctx, NULL);
    uint8_t record[1000];
    for (size_t i = 0; i < sizeof(record); i++) {
        record[i] = (uint8_t)i;
    }
    client_write_all(&p, record, sizeof(record));   /* one record */

    uint8_t buf[sizeof(record)];
    server_read_exact(&p, buf, 10);
    /* The rest was decrypted with the first bytes: nothing is left on the socket. */
    g_assert_true(red_stream_has_buffered_input(p.server));
    g_assert_false(socket_readable(p.server_fd));
    server_read_exact(&p, buf + 10, sizeof(record) - 10);
    g_assert_false(red_stream_has_buffered_input(p.server));
    g_assert_cmpmem(buf, sizeof(buf), record, sizeof(record));
    pair_close(&p);
    reds_tls_context_free(ctx);
}

static void test_tls_eof(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    uint8_t buf[16];

    /* close_notify */
    Pair p;
    pair_connect(&p, ctx, NULL);
    SSL_shutdown(p.client);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    ssize_t n;
    while ((n = red_stream_read(p.server, buf, sizeof(buf))) < 0 && errno == EAGAIN) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
    g_assert_cmpint(n, ==, 0);
    pair_close(&p);

    /*
     * The client just closes its socket: an EOF as well, and a write fails without SIGPIPE. The
     * client reads the server's session tickets first: unread data would turn its close into a
     * reset.
     */
    pair_connect(&p, ctx, NULL);
    g_assert_cmpint(SSL_read(p.client, buf, sizeof(buf)), <=, 0);
    close(p.client_fd);
    p.client_fd = -1;
    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((n = red_stream_read(p.server, buf, sizeof(buf))) < 0 && errno == EAGAIN) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
    g_assert_cmpint(n, ==, 0);
    n = red_stream_write(p.server, "late", 4);
    g_assert_cmpint(n, ==, -1);
    g_assert_cmpint(errno, !=, EAGAIN);
    pair_close(&p);
    reds_tls_context_free(ctx);
}

static void test_tls_refusals(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    Pair p;
    bool client_ok;

    /* A client that does not trust our CA aborts the handshake; the server says why. */
    ClientOptions wrong_ca = { .ca_file = pki.other_ca_cert };
    pair_open(&p, ctx, &wrong_ca);
    g_assert_cmpint(pair_handshake(&p, &client_ok), ==, RED_STREAM_HANDSHAKE_FAILED);
    g_assert_false(client_ok);
    g_test_message("wrong CA: %s", red_stream_error(p.server));
    g_assert_nonnull(strstr(red_stream_error(p.server), "unknown ca"));
    pair_close(&p);

    /* TLS 1.0 is refused (SECLEVEL=0 lets the client offer it at all). */
    ClientOptions tls10 = { .max_version = TLS1_VERSION, .ciphers = "DEFAULT:@SECLEVEL=0" };
    pair_open(&p, ctx, &tls10);
    g_assert_cmpint(pair_handshake(&p, &client_ok), ==, RED_STREAM_HANDSHAKE_FAILED);
    g_assert_false(client_ok);
    g_test_message("TLS 1.0: %s", red_stream_error(p.server));
    pair_close(&p);

    /* Not TLS at all. */
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    set_nonblocking(fds[0]);
    RedStream *s = red_stream_new_tls(fds[0], ctx);
    g_assert_cmpint(write(fds[1], "REDQ\x02\0\0\0\x02\0\0\0\x1a\0\0\0", 16), ==, 16);
    RedStreamHandshake h;
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((h = red_stream_handshake(s)) == RED_STREAM_HANDSHAKE_WOULD_BLOCK) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_usleep(100);
    }
    g_assert_cmpint(h, ==, RED_STREAM_HANDSHAKE_FAILED);
    uint8_t buf[4];
    errno = 0;
    g_assert_cmpint(red_stream_read(s, buf, sizeof(buf)), ==, -1);
    g_assert_cmpint(errno, !=, EAGAIN);
    red_stream_free(s);
    close(fds[1]);

    /* A peer that closes before the handshake. */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    set_nonblocking(fds[0]);
    s = red_stream_new_tls(fds[0], ctx);
    g_assert_cmpint(red_stream_handshake(s), ==, RED_STREAM_HANDSHAKE_WOULD_BLOCK);
    g_assert_cmpint(red_stream_watch_mask(s, false, true), ==, RED_STREAM_OP_READ);
    close(fds[1]);
    g_assert_cmpint(red_stream_handshake(s), ==, RED_STREAM_HANDSHAKE_FAILED);
    red_stream_free(s);

    /* No context: no stream, and the fd stays the caller's. */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*cannot create a TLS session*");
    g_assert_null(red_stream_new_tls(fds[0], NULL));
    g_test_assert_expected_messages();
    g_assert_cmpint(fcntl(fds[0], F_GETFD), !=, -1);
    close(fds[0]);
    close(fds[1]);
    reds_tls_context_free(ctx);
}

/* DH parameters and the cipher list reach TLS 1.2 handshakes. */
static void test_tls_dh_and_ciphers(void)
{
    bool client_ok;
    Pair p;
    ClientOptions dhe_only = { .max_version = TLS1_2_VERSION, .ciphers = "DHE-RSA-AES128-GCM-SHA256" };

    SSL_CTX *no_dh = server_context(NULL, NULL);
    pair_open(&p, no_dh, &dhe_only);
    g_assert_cmpint(pair_handshake(&p, &client_ok), ==, RED_STREAM_HANDSHAKE_FAILED);
    pair_close(&p);
    reds_tls_context_free(no_dh);

    SSL_CTX *with_dh = server_context(pki.dh_params, NULL);
    g_assert_nonnull(with_dh);
    pair_connect(&p, with_dh, &dhe_only);
    g_assert_cmpstr(SSL_get_cipher_name(p.client), ==, "DHE-RSA-AES128-GCM-SHA256");
    pair_close(&p);
    reds_tls_context_free(with_dh);

    SSL_CTX *aes256 = server_context(NULL, "ECDHE-RSA-AES256-GCM-SHA384");
    g_assert_nonnull(aes256);
    ClientOptions aes128_only = { .max_version = TLS1_2_VERSION, .ciphers = "ECDHE-RSA-AES128-GCM-SHA256" };
    pair_open(&p, aes256, &aes128_only);
    g_assert_cmpint(pair_handshake(&p, &client_ok), ==, RED_STREAM_HANDSHAKE_FAILED);
    pair_close(&p);
    ClientOptions both = { .max_version = TLS1_2_VERSION,
                           .ciphers = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384" };
    pair_connect(&p, aes256, &both);
    g_assert_cmpstr(SSL_get_cipher_name(p.client), ==, "ECDHE-RSA-AES256-GCM-SHA384");
    pair_close(&p);
    reds_tls_context_free(aes256);
}

/* ---- a ChannelConnection over TLS ---- */

typedef struct ConnFixture {
    int messages;
    uint32_t last_value;
    bool in_order;
    bool closed;
} ConnFixture;

static bool conn_on_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                            uint32_t size, void *opaque)
{
    ConnFixture *f = opaque;
    uint32_t value;
    g_assert_cmpuint(type, ==, 101);
    g_assert_cmpuint(size, ==, 4);
    memcpy(&value, body, 4);
    if (value != (uint32_t)f->messages) {
        f->in_order = false;
    }
    f->messages++;
    f->last_value = value;
    return true;
}

static void conn_on_closed(ChannelConnection *conn, void *opaque)
{
    ((ConnFixture *)opaque)->closed = true;
}

static const ChannelConnectionCallbacks conn_callbacks = {
    .handle_message = conn_on_message,
    .on_closed = conn_on_closed,
};

static void test_channel_connection_over_tls(void)
{
    SSL_CTX *ctx = server_context(NULL, NULL);
    Pair p;
    pair_connect(&p, ctx, NULL);

    GMainContext *context = g_main_context_new();
    EventLoop *loop = event_loop_new_glib(context);
    LinkedPeer *peer = g_new0(LinkedPeer, 1);
    peer->stream = p.server;
    peer->fd = p.server_fd;
    p.server = NULL;                        /* the connection owns it now */
    peer->channel_type = SPICE_CHANNEL_DISPLAY;
    peer->use_mini_header = true;
    ConnFixture f = { .in_order = true };
    ChannelConnectionConfig config = { .name = "tls-test", .max_message_size = 1024 };
    ChannelConnection *conn = channel_connection_new(loop, peer, &config, &conn_callbacks, &f);
    g_assert_nonnull(conn);

    /*
     * 200 messages in one TLS record: more than the connection handles per socket event (64), and
     * once decrypted nothing is left on the socket. They must all arrive anyway.
     */
    enum { COUNT = 200 };
    WireWriter w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < COUNT; i++) {
        FrameHeader hdr = { .type = 101, .size = 4 };
        framing_write_header(&w, true, &hdr);
        wire_write_u32(&w, i);
    }
    g_assert_cmpuint(wire_writer_size(&w), <=, 16384);
    client_write_all(&p, wire_writer_data(&w), wire_writer_size(&w));
    wire_writer_finish(&w);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (f.messages < COUNT && g_get_monotonic_time() < end) {
        g_main_context_iteration(context, FALSE);
        g_usleep(100);
    }
    g_assert_cmpint(f.messages, ==, COUNT);
    g_assert_true(f.in_order);

    /* Server -> client: 3 MiB queued at once, written as the client reads. */
    const size_t body_size = 1024 * 1024;
    uint8_t *body = g_malloc(body_size);
    for (int m = 0; m < 3; m++) {
        memset(body, 'a' + m, body_size);
        channel_connection_send(conn, 300 + m, body, body_size);
    }
    uint8_t *in = g_malloc(body_size);
    for (int m = 0; m < 3; m++) {
        uint8_t hbuf[FRAMING_MINI_HEADER_SIZE];
        client_read_exact(&p, hbuf, sizeof(hbuf), context);
        FrameHeader hdr;
        g_assert_true(framing_parse_header(hbuf, sizeof(hbuf), true, &hdr));
        g_assert_cmpuint(hdr.type, ==, 300 + m);
        g_assert_cmpuint(hdr.size, ==, body_size);
        client_read_exact(&p, in, body_size, context);
        memset(body, 'a' + m, body_size);
        g_assert_true(memcmp(in, body, body_size) == 0);
    }
    g_assert_cmpuint(channel_connection_pending_bytes(conn), ==, 0);
    g_free(in);
    g_free(body);

    /* The client leaves: the connection notices and closes. */
    close(p.client_fd);
    p.client_fd = -1;
    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!f.closed && g_get_monotonic_time() < end) {
        g_main_context_iteration(context, FALSE);
        g_usleep(100);
    }
    g_assert_true(f.closed);
    event_loop_destroy(loop);
    g_main_context_unref(context);
    pair_close(&p);
    reds_tls_context_free(ctx);
}

int main(int argc, char **argv)
{
    /* Writing to a vanished peer must never raise SIGPIPE: keep its default (fatal) action. */
    signal(SIGPIPE, SIG_DFL);
    g_test_init(&argc, &argv, NULL);
    pki_make();
    g_test_add_func("/red-stream/plain", test_plain);
    g_test_add_func("/red-stream/plain-eof", test_plain_eof);
    g_test_add_func("/red-stream/tls-context-settings", test_context_settings);
    g_test_add_func("/red-stream/tls-data-and-retry", test_tls_data_and_retry);
    g_test_add_func("/red-stream/tls-buffered-input", test_tls_buffered_input);
    g_test_add_func("/red-stream/tls-eof", test_tls_eof);
    g_test_add_func("/red-stream/tls-refusals", test_tls_refusals);
    g_test_add_func("/red-stream/tls-dh-and-ciphers", test_tls_dh_and_ciphers);
    g_test_add_func("/red-stream/channel-connection-over-tls", test_channel_connection_over_tls);
    int ret = g_test_run();
    pki_remove();
    return ret;
}
