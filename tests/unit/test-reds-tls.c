/* test-reds-tls: spice_server_set_tls, add_client / add_ssl_client and channel security through the public API. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/framing.h"
#include "protocol/link.h"
/* spice_server_get_num_clients is deprecated but part of the ABI QEMU uses. */
#define SPICE_SERVER_INTERNAL 1
#include "spice.h"
#include "test-core-glib.h"
#include "test-socket.h"

/* tls-helper's port range is 6000-6019; the interop tests take pairs from 6000 on. */
#define TEST_TLS_PORT 6019

static char *pki_dir, *cert_path, *key_path;

/* A self-signed server certificate (EC P-256): the clients here do not verify it. */
static void make_pki(void)
{
    GError *error = NULL;
    pki_dir = g_dir_make_tmp("test-reds-tls-XXXXXX", &error);
    g_assert_no_error(error);
    cert_path = g_build_filename(pki_dir, "server-cert.pem", NULL);
    key_path = g_build_filename(pki_dir, "server-key.pem", NULL);
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    g_assert_true(key && cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    g_assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
    FILE *f = fopen(cert_path, "w");
    g_assert_true(f && PEM_write_X509(f, cert));
    fclose(f);
    f = fopen(key_path, "w");
    g_assert_true(f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void remove_pki(void)
{
    g_unlink(cert_path);
    g_unlink(key_path);
    g_rmdir(pki_dir);
    g_free(cert_path);
    g_free(key_path);
    g_free(pki_dir);
}

/* ---- a blocking client in its own thread: plain fd or TLS ---- */

typedef struct Client {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;                   /* NULL: plain */
} Client;

static void client_open(Client *c, int fd, bool tls)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (tls) {
        c->ctx = SSL_CTX_new(TLS_client_method());
        c->ssl = SSL_new(c->ctx);
        SSL_set_fd(c->ssl, fd);
        g_assert_cmpint(SSL_connect(c->ssl), ==, 1);
    }
}

static void client_close(Client *c)
{
    if (c->ssl) {
        /* No close_notify: the server may have closed already, and OpenSSL writes with write(2)
         * (SIGPIPE stays fatal in this test, to prove the library never raises it). */
        SSL_free(c->ssl);
        SSL_CTX_free(c->ctx);
    }
    close(c->fd);
}

static void client_write(Client *c, const void *data, size_t size)
{
    if (c->ssl) {
        g_assert_cmpint(SSL_write(c->ssl, data, (int)size), ==, (int)size);
        return;
    }
    g_assert_cmpint(send(c->fd, data, size, MSG_NOSIGNAL), ==, (ssize_t)size);
}

static bool client_read(Client *c, void *data, size_t size)
{
    uint8_t *p = data;
    while (size > 0) {
        int n = c->ssl ? SSL_read(c->ssl, p, (int)size) : (int)recv(c->fd, p, size, 0);
        if (n <= 0) {
            return false;
        }
        p += n;
        size -= (size_t)n;
    }
    return true;
}

/* The shared link stage (test-socket.h) over this client's plain socket or TLS session. */
static void client_write_all(void *opaque, const void *data, size_t size)
{
    client_write(opaque, data, size);
}

static bool client_read_all(void *opaque, void *data, size_t size)
{
    return client_read(opaque, data, size);
}

static TestLinkOutcome client_link(Client *c, const char *password)
{
    TestLinkTransport transport = { client_write_all, client_read_all, c };
    return test_link_over(&transport, 0, SPICE_CHANNEL_MAIN, 0, 0, password);
}

/* Reads messages until MAIN_INIT; true when it came. */
static bool client_wait_main_init(Client *c)
{
    for (int i = 0; i < 20; i++) {
        uint8_t header[FRAMING_MINI_HEADER_SIZE];
        if (!client_read(c, header, sizeof(header))) {
            return false;
        }
        FrameHeader hdr;
        g_assert_true(framing_parse_header(header, sizeof(header), true, &hdr));
        g_assert_cmpuint(hdr.size, <, 1024 * 1024);
        uint8_t *body = g_malloc(hdr.size + 1);
        bool ok = client_read(c, body, hdr.size);
        g_free(body);
        if (!ok) {
            return false;
        }
        if (hdr.type == SPICE_MSG_MAIN_INIT) {
            return true;
        }
    }
    return false;
}

typedef struct Run {
    int fd;
    bool tls;
    const char *password;
    bool hold;                  /* after MAIN_INIT, read until the server closes */
    TestLinkOutcome outcome;
    gint main_init;
    bool closed_by_server;      /* hold: EOF or reset came (not the 10 s read timeout) */
    gint done;
} Run;

static gpointer client_thread(gpointer data)
{
    Run *run = data;
    Client c;
    client_open(&c, run->fd, run->tls);
    run->outcome = client_link(&c, run->password);
    if (run->outcome.reply_error == SPICE_LINK_ERR_OK && run->outcome.result == SPICE_LINK_ERR_OK) {
        g_atomic_int_set(&run->main_init, client_wait_main_init(&c));
    }
    if (run->hold && g_atomic_int_get(&run->main_init)) {
        uint8_t buf[4096];
        ssize_t n;
        while ((n = recv(c.fd, buf, sizeof(buf), 0)) > 0) {
            /* PINGs and whatever else: not answered, the server drops us well before 30 s */
        }
        run->closed_by_server = n == 0 || errno == ECONNRESET;
    }
    client_close(&c);
    g_atomic_int_set(&run->done, 1);
    return NULL;
}

/* Runs a client on @fd in a thread while the main loop serves it; @on_main_init(@data) runs
 * once in this thread when the client has its MAIN_INIT (may be NULL). */
static void run_client_with(Run *run, void (*on_main_init)(void *data), void *data)
{
    GThread *thread = g_thread_new("client", client_thread, run);
    gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&run->done)) {
        g_assert_cmpint(g_get_monotonic_time(), <, end);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
        if (on_main_init && g_atomic_int_get(&run->main_init)) {
            on_main_init(data);
            on_main_init = NULL;
        }
    }
    g_thread_join(thread);
    /* Let the server notice the close. */
    for (int i = 0; i < 50; i++) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void run_client(Run *run)
{
    run_client_with(run, NULL, NULL);
}

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    return fd;
}

static bool fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* ---- tests ---- */

static void test_set_tls_arguments(void)
{
    SpiceServer *s = spice_server_new();
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not a TCP port*");
    g_assert_cmpint(spice_server_set_tls(s, 0, cert_path, cert_path, key_path, NULL, NULL, NULL), ==, -1);
    g_test_assert_expected_messages();
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not a TCP port*");
    g_assert_cmpint(spice_server_set_tls(s, 70000, cert_path, cert_path, key_path, NULL, NULL, NULL), ==, -1);
    g_test_assert_expected_messages();
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*all needed*");
    g_assert_cmpint(spice_server_set_tls(s, TEST_TLS_PORT, NULL, cert_path, key_path, NULL, NULL, NULL), ==, -1);
    g_test_assert_expected_messages();

    /* Before init: no client can be handed over, and the fd stays the caller's. */
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not initialized*");
    g_assert_cmpint(spice_server_add_client(s, fds[0], 0), ==, -1);
    g_test_assert_expected_messages();
    g_assert_true(fd_is_open(fds[0]));

    /* A file that cannot be read makes init fail, as upstream. */
    char *missing = g_build_filename(pki_dir, "missing.pem", NULL);
    g_assert_cmpint(spice_server_set_tls(s, TEST_TLS_PORT, missing, cert_path, key_path, NULL, NULL,
                                         NULL), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*cannot read the CA file*missing.pem*");
    g_assert_cmpint(spice_server_init(s, test_core_get()), ==, -1);
    g_test_assert_expected_messages();
    g_free(missing);
    spice_server_destroy(s);

    /* A server without TLS refuses add_ssl_client and leaves the fd alone. */
    s = spice_server_new();
    spice_server_set_noauth(s);
    g_assert_cmpint(spice_server_init(s, test_core_get()), ==, 0);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*TLS is not configured*");
    g_assert_cmpint(spice_server_add_ssl_client(s, fds[0], 0), ==, -1);
    g_test_assert_expected_messages();
    g_assert_true(fd_is_open(fds[0]));
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*not an open file descriptor*");
    g_assert_cmpint(spice_server_add_client(s, -1, 0), ==, -1);
    g_test_assert_expected_messages();
    spice_server_destroy(s);
    close(fds[0]);
    close(fds[1]);
}

static void test_tls_clients(void)
{
    test_core_reset();
    SpiceServer *s = spice_server_new();
    g_assert_cmpint(spice_server_set_ticket(s, "pw", 0, 0, 0), ==, 0);
    g_assert_cmpint(spice_server_set_tls(s, TEST_TLS_PORT, cert_path, cert_path, key_path, NULL, NULL,
                                         NULL), ==, 0);
    g_assert_cmpint(spice_server_set_channel_security(s, "main", SPICE_CHANNEL_SECURITY_SSL), ==, 0);
    g_assert_cmpint(spice_server_init(s, test_core_get()), ==, 0);

    /* The TLS port, the right password. */
    Run run = { .fd = tcp_connect(TEST_TLS_PORT), .tls = true, .password = "pw" };
    run_client(&run);
    g_assert_cmpuint(run.outcome.reply_error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(run.outcome.result, ==, SPICE_LINK_ERR_OK);
    g_assert_true(g_atomic_int_get(&run.main_init));

    /* add_ssl_client with skip_auth: a wrong password passes. */
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_ssl_client(s, fds[0], 1), ==, 0);
    Run skip = { .fd = fds[1], .tls = true, .password = "wrong" };
    run_client(&skip);
    g_assert_cmpuint(skip.outcome.result, ==, SPICE_LINK_ERR_OK);
    g_assert_true(g_atomic_int_get(&skip.main_init));

    /* add_ssl_client without skip_auth: the password counts. */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_ssl_client(s, fds[0], 0), ==, 0);
    Run denied = { .fd = fds[1], .tls = true, .password = "wrong" };
    run_client(&denied);
    g_assert_cmpuint(denied.outcome.reply_error, ==, SPICE_LINK_ERR_OK);
    g_assert_cmpuint(denied.outcome.result, ==, SPICE_LINK_ERR_PERMISSION_DENIED);

    /* A plain client handed over links main, which requires TLS: NEED_SECURED. */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_client(s, fds[0], 1), ==, 0);
    Run plain = { .fd = fds[1], .tls = false, .password = "pw" };
    run_client(&plain);
    g_assert_cmpuint(plain.outcome.reply_error, ==, SPICE_LINK_ERR_NEED_SECURED);

    /* Main plaintext only now: a TLS link gets NEED_UNSECURED, a plain one passes. */
    g_assert_cmpint(spice_server_set_channel_security(s, "main", SPICE_CHANNEL_SECURITY_NONE), ==, 0);
    Run unsecured = { .fd = tcp_connect(TEST_TLS_PORT), .tls = true, .password = "pw" };
    run_client(&unsecured);
    g_assert_cmpuint(unsecured.outcome.reply_error, ==, SPICE_LINK_ERR_NEED_UNSECURED);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_client(s, fds[0], 0), ==, 0);
    Run plain_ok = { .fd = fds[1], .tls = false, .password = "pw" };
    run_client(&plain_ok);
    g_assert_cmpuint(plain_ok.outcome.result, ==, SPICE_LINK_ERR_OK);
    g_assert_true(g_atomic_int_get(&plain_ok.main_init));

    /* Every handed-over or accepted socket was reported to the host. */
    g_assert_cmpuint(test_core_count_events(SPICE_CHANNEL_EVENT_CONNECTED, -1), >=, 6);
    spice_server_destroy(s);
    g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(test_core_live_watches(), ==, 0);
    g_assert_cmpuint(test_core_live_timers(), ==, 0);
}

static void set_ticket_now(void *data)
{
    g_assert_cmpint(spice_server_set_ticket(data, "late", 0, 0, 0), ==, 0);
}

static void test_ticket_turned_on(void)
{
    /* As upstream: a client that came in without a password is dropped when ticketing turns on,
     * even though neither fail_if_connected nor disconnect_if_connected was asked for. */
    SpiceServer *s = spice_server_new();
    spice_server_set_noauth(s);
    g_assert_cmpint(spice_server_init(s, test_core_get()), ==, 0);
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_client(s, fds[0], 0), ==, 0);
    Run run = { .fd = fds[1], .password = "", .hold = true };
    gint64 start = g_get_monotonic_time();
    run_client_with(&run, set_ticket_now, s);
    g_assert_true(g_atomic_int_get(&run.main_init));
    g_assert_true(run.closed_by_server);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 8 * G_USEC_PER_SEC);
    g_assert_cmpint(spice_server_get_num_clients(s), ==, 0);

    /* With a password set, a second set_ticket keeps the client (connected=keep in QEMU). */
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
    g_assert_cmpint(spice_server_add_client(s, fds[0], 0), ==, 0);
    Run kept = { .fd = fds[1], .password = "late" };
    run_client(&kept);
    g_assert_true(g_atomic_int_get(&kept.main_init));
    spice_server_destroy(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    make_pki();
    g_test_add_func("/reds-tls/set-tls-arguments", test_set_tls_arguments);
    g_test_add_func("/reds-tls/tls-clients", test_tls_clients);
    g_test_add_func("/reds-tls/ticket-turned-on", test_ticket_turned_on);
    int ret = g_test_run();
    remove_pki();
    return ret;
}
