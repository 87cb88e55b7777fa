/* test-client-tls: client/client-tls.c against an in-process OpenSSL server over socketpairs. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "client/client-tls.h"

/* ---- a test PKI, made once with OpenSSL's API ---- */

typedef struct Identity {
    EVP_PKEY *key;
    X509 *cert;
} Identity;

static Identity ca, other_ca;
static Identity server_ip;       /* C=IL, O=Spice Suite, CN=127.0.0.1; SAN IP:127.0.0.1 */
static Identity server_dns;      /* CN=spice.test; SAN DNS:spice.test */
static Identity server_cn_only;  /* CN=127.0.0.1, no SAN */
static char *tmp_dir, *ca_path, *other_ca_path, *empty_path;

static char *cert_pem(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = g_strndup(data, (gsize)len);
    BIO_free(bio);
    return pem;
}

static void add_extension(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    g_assert_nonnull(ext);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
}

/* @subject: "C=IL/O=x/CN=y" style, '/'-separated; @issuer NULL: self-signed CA. */
static Identity make_identity(const char *subject, const Identity *issuer, const char *san)
{
    static long serial = 1;
    Identity id;
    id.key = EVP_EC_gen("P-256");
    g_assert_nonnull(id.key);
    id.cert = X509_new();
    X509_set_version(id.cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(id.cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(id.cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(id.cert), 24 * 3600);
    X509_set_pubkey(id.cert, id.key);
    X509_NAME *name = X509_get_subject_name(id.cert);
    char **parts = g_strsplit(subject, "/", -1);
    for (char **p = parts; *p; p++) {
        char **kv = g_strsplit(*p, "=", 2);
        g_assert_true(X509_NAME_add_entry_by_txt(name, kv[0], MBSTRING_UTF8,
                                                 (const unsigned char *)kv[1], -1, -1, 0));
        g_strfreev(kv);
    }
    g_strfreev(parts);
    X509 *issuer_cert = issuer ? issuer->cert : id.cert;
    X509_set_issuer_name(id.cert, X509_get_subject_name(issuer_cert));
    add_extension(id.cert, issuer_cert, NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE");
    if (issuer == NULL) {
        add_extension(id.cert, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    if (san != NULL) {
        add_extension(id.cert, issuer_cert, NID_subject_alt_name, san);
    }
    g_assert_cmpint(X509_sign(id.cert, issuer ? issuer->key : id.key, EVP_sha256()), >, 0);
    return id;
}

static void identity_free(Identity *id)
{
    EVP_PKEY_free(id->key);
    X509_free(id->cert);
}

static void write_file(const char *path, const char *text)
{
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
}

static void pki_setup(void)
{
    ca = make_identity("CN=client-tls test CA", NULL, NULL);
    other_ca = make_identity("CN=a CA that signed nothing", NULL, NULL);
    server_ip = make_identity("C=IL/O=Spice Suite/CN=127.0.0.1", &ca, "IP:127.0.0.1");
    server_dns = make_identity("CN=spice.test", &ca, "DNS:spice.test");
    server_cn_only = make_identity("CN=127.0.0.1", &ca, NULL);
    tmp_dir = g_dir_make_tmp("test-client-tls-XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    ca_path = g_build_filename(tmp_dir, "ca.pem", NULL);
    other_ca_path = g_build_filename(tmp_dir, "other-ca.pem", NULL);
    empty_path = g_build_filename(tmp_dir, "empty.pem", NULL);
    char *pem = cert_pem(ca.cert);
    write_file(ca_path, pem);
    g_free(pem);
    pem = cert_pem(other_ca.cert);
    write_file(other_ca_path, pem);
    g_free(pem);
    write_file(empty_path, "not a certificate\n");
}

static void pki_teardown(void)
{
    g_unlink(ca_path);
    g_unlink(other_ca_path);
    g_unlink(empty_path);
    g_rmdir(tmp_dir);
    g_free(ca_path);
    g_free(other_ca_path);
    g_free(empty_path);
    g_free(tmp_dir);
    identity_free(&ca);
    identity_free(&other_ca);
    identity_free(&server_ip);
    identity_free(&server_dns);
    identity_free(&server_cn_only);
}

/* ---- a client and an in-process server on a socketpair, stepped in turn ---- */

typedef struct Pair {
    int client_fd, server_fd;
    SSL_CTX *server_ctx;
    SSL *server;
    ClientTlsContext *ctx;
    ClientTls *client;
} Pair;

static void pair_open(Pair *p, const Identity *server_id, const ClientTlsOptions *o, const char *host)
{
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), ==, 0);
    p->client_fd = fds[0];
    p->server_fd = fds[1];
    p->server_ctx = SSL_CTX_new(TLS_server_method());
    g_assert_cmpint(SSL_CTX_use_certificate(p->server_ctx, server_id->cert), ==, 1);
    g_assert_cmpint(SSL_CTX_use_PrivateKey(p->server_ctx, server_id->key), ==, 1);
    p->server = SSL_new(p->server_ctx);
    SSL_set_fd(p->server, p->server_fd);
    SSL_set_accept_state(p->server);
    char *error = NULL;
    p->ctx = client_tls_context_new(o, &error);
    g_assert_null(error);
    g_assert_nonnull(p->ctx);
    p->client = client_tls_new(p->ctx, p->client_fd, host);
    g_assert_nonnull(p->client);
}

static void pair_close(Pair *p)
{
    client_tls_free(p->client);
    client_tls_context_free(p->ctx);
    SSL_free(p->server);
    SSL_CTX_free(p->server_ctx);
    close(p->client_fd);
    close(p->server_fd);
    ERR_clear_error();
}

/* Steps both sides until the client finishes; returns its status (and *error). */
static ClientTlsStatus pair_handshake(Pair *p, char **error)
{
    for (int i = 0; i < 200; i++) {
        ClientTlsStatus st = client_tls_handshake(p->client, error);
        if (st == CLIENT_TLS_OK || st == CLIENT_TLS_ERROR || st == CLIENT_TLS_CLOSED) {
            /* Let the server finish its side (TLS 1.3: it reads the client's Finished). */
            for (int k = 0; k < 10 && SSL_do_handshake(p->server) != 1; k++) {
            }
            ERR_clear_error();
            return st;
        }
        g_free(*error);
        *error = NULL;
        SSL_do_handshake(p->server);
        ERR_clear_error();
    }
    g_error("the handshake never finished");
    return CLIENT_TLS_ERROR;
}

static void assert_handshake_ok(const Identity *server_id, const ClientTlsOptions *o, const char *host)
{
    Pair p;
    pair_open(&p, server_id, o, host);
    char *error = NULL;
    ClientTlsStatus st = pair_handshake(&p, &error);
    if (st != CLIENT_TLS_OK) {
        g_error("handshake with host %s failed: %s", host, error ? error : "(no message)");
    }
    g_assert_null(error);
    /* Bytes both ways through the established connection. */
    size_t n;
    g_assert_cmpint(client_tls_write(p.client, "hello server", 12, &n, &error), ==, CLIENT_TLS_OK);
    g_assert_cmpuint(n, ==, 12);
    char buf[64];
    int got = -1;
    for (int i = 0; i < 50 && got <= 0; i++) {
        got = SSL_read(p.server, buf, sizeof(buf));
    }
    g_assert_cmpint(got, ==, 12);
    g_assert_cmpmem(buf, 12, "hello server", 12);
    g_assert_cmpint(SSL_write(p.server, "hello client", 12), ==, 12);
    ClientTlsStatus rs = CLIENT_TLS_WANT_READ;
    for (int i = 0; i < 50 && rs == CLIENT_TLS_WANT_READ; i++) {
        rs = client_tls_read(p.client, buf, sizeof(buf), &n, &error);
    }
    g_assert_cmpint(rs, ==, CLIENT_TLS_OK);
    g_assert_cmpmem(buf, n, "hello client", 12);
    /* The server closes: the client sees CLOSED, not an error. */
    SSL_shutdown(p.server);
    rs = CLIENT_TLS_WANT_READ;
    for (int i = 0; i < 50 && rs == CLIENT_TLS_WANT_READ; i++) {
        rs = client_tls_read(p.client, buf, sizeof(buf), &n, &error);
    }
    g_assert_cmpint(rs, ==, CLIENT_TLS_CLOSED);
    g_assert_null(error);
    pair_close(&p);
}

static void assert_handshake_fails(const Identity *server_id, const ClientTlsOptions *o,
                                   const char *host, const char *const *words)
{
    Pair p;
    pair_open(&p, server_id, o, host);
    char *error = NULL;
    ClientTlsStatus st = pair_handshake(&p, &error);
    g_assert_cmpint(st, ==, CLIENT_TLS_ERROR);
    g_assert_nonnull(error);
    for (const char *const *w = words; *w; w++) {
        if (strstr(error, *w) == NULL) {
            g_error("message '%s' lacks '%s'", error, *w);
        }
    }
    g_free(error);
    pair_close(&p);
}

/* ---- cases ---- */

static void test_trusted(void)
{
    ClientTlsOptions by_file = { .ca_file = ca_path };
    assert_handshake_ok(&server_ip, &by_file, "127.0.0.1");
    char *pem = cert_pem(ca.cert);
    /* A .vv file carries the CA inline; another CA before it does no harm. */
    char *other = cert_pem(other_ca.cert);
    char *two = g_strconcat(other, pem, NULL);
    g_free(other);
    ClientTlsOptions inline_pem = { .ca_pem = two };
    assert_handshake_ok(&server_ip, &inline_pem, "127.0.0.1");
    g_free(two);
    g_free(pem);
    assert_handshake_ok(&server_dns, &by_file, "spice.test");
    assert_handshake_ok(&server_dns, &by_file, "SPICE.test");
    /* No subjectAltName: the CN names the address (spice-gtk accepts this too). */
    assert_handshake_ok(&server_cn_only, &by_file, "127.0.0.1");
}

static void test_untrusted(void)
{
    static const char *const words[] = { "certificate verify failed", "--ca-file", "other-ca.pem", NULL };
    ClientTlsOptions wrong = { .ca_file = other_ca_path };
    assert_handshake_fails(&server_ip, &wrong, "127.0.0.1", words);
    static const char *const system_words[] = { "certificate verify failed", "system", "--ca-file", NULL };
    ClientTlsOptions system = { 0 };
    assert_handshake_fails(&server_ip, &system, "127.0.0.1", system_words);
}

static void test_host_check(void)
{
    ClientTlsOptions o = { .ca_file = ca_path };
    static const char *const words[] = { "not for host 'localhost'", "--host-subject",
                                         "CN=127.0.0.1", NULL };
    assert_handshake_fails(&server_ip, &o, "localhost", words);
    static const char *const dns_words[] = { "not for host 'other.test'", NULL };
    assert_handshake_fails(&server_dns, &o, "other.test", dns_words);
    static const char *const ip_words[] = { "not for host '127.0.0.2'", NULL };
    assert_handshake_fails(&server_ip, &o, "127.0.0.2", ip_words);
}

static void test_host_subject(void)
{
    /* The subject replaces the host check: any host name is fine when the subject matches. */
    ClientTlsOptions right = { .ca_file = ca_path, .host_subject = "C=IL, O=Spice Suite, CN=127.0.0.1" };
    assert_handshake_ok(&server_ip, &right, "localhost");
    ClientTlsOptions compact = { .ca_file = ca_path, .host_subject = "C=IL,O=Spice Suite,CN=127.0.0.1" };
    assert_handshake_ok(&server_ip, &compact, "127.0.0.1");
    static const char *const words[] = { "subject 'C=IL, O=Spice Suite, CN=127.0.0.1'",
                                         "expected host subject 'C=IL, O=Spice Suite, CN=other'",
                                         "--host-subject", NULL };
    ClientTlsOptions wrong = { .ca_file = ca_path, .host_subject = "C=IL,O=Spice Suite,CN=other" };
    assert_handshake_fails(&server_ip, &wrong, "127.0.0.1", words);
    /* Order matters, as in remote-viewer. */
    ClientTlsOptions reordered = { .ca_file = ca_path, .host_subject = "CN=127.0.0.1,O=Spice Suite,C=IL" };
    static const char *const order_words[] = { "is not the expected host subject", NULL };
    assert_handshake_fails(&server_ip, &reordered, "127.0.0.1", order_words);
}

static void test_not_tls(void)
{
    /* A plain SPICE server answers a ClientHello with link bytes, then closes. */
    int fds[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), ==, 0);
    char *error = NULL;
    ClientTlsOptions o = { .ca_file = ca_path };
    ClientTlsContext *ctx = client_tls_context_new(&o, &error);
    ClientTls *tls = client_tls_new(ctx, fds[0], "127.0.0.1");
    g_assert_cmpint(client_tls_handshake(tls, &error), ==, CLIENT_TLS_WANT_READ);
    static const char reply[] = "REDQ\x02\x00\x00\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00";
    g_assert_cmpint(write(fds[1], reply, sizeof(reply) - 1), ==, (ssize_t)sizeof(reply) - 1);
    g_assert_cmpint(client_tls_handshake(tls, &error), ==, CLIENT_TLS_ERROR);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error, "TLS port"));
    g_free(error);
    client_tls_free(tls);
    close(fds[1]);

    /* The peer closes in the middle of the handshake. */
    int fds2[2];
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds2), ==, 0);
    tls = client_tls_new(ctx, fds2[0], "127.0.0.1");
    g_assert_cmpint(client_tls_handshake(tls, &error), ==, CLIENT_TLS_WANT_READ);
    close(fds2[1]);
    g_assert_cmpint(client_tls_handshake(tls, &error), ==, CLIENT_TLS_ERROR);
    g_assert_nonnull(strstr(error, "closed the connection during the TLS handshake"));
    g_free(error);
    client_tls_free(tls);
    client_tls_context_free(ctx);
    close(fds[0]);
    close(fds2[0]);
}

static void test_context_errors(void)
{
    struct { ClientTlsOptions o; const char *word; } cases[] = {
        { { .ca_file = "/nonexistent/ca.pem" }, "does not exist" },
        { { .ca_file = "/" }, "does not exist or is not a file" },
        { { .ca_file = NULL, .ca_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
          "no PEM certificate" },
        { { .ca_pem = "" }, "no PEM certificate" },
        { { .host_subject = "CN" }, "bad host subject part" },
        { { .host_subject = "XX=1" }, "unknown attribute 'XX'" },
        { { .host_subject = "," }, "bad host subject part" },
        { { .host_subject = "" }, "empty" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *error = NULL;
        ClientTlsContext *ctx = client_tls_context_new(&cases[i].o, &error);
        g_assert_null(ctx);
        g_assert_nonnull(error);
        if (strstr(error, cases[i].word) == NULL) {
            g_error("case %zu: message '%s' lacks '%s'", i, error, cases[i].word);
        }
        g_free(error);
    }
    char *error = NULL;
    ClientTlsOptions no_cert = { .ca_file = empty_path };
    g_assert_null(client_tls_context_new(&no_cert, &error));
    g_assert_nonnull(strstr(error, "cannot load the CA file"));
    g_free(error);
}

static void test_subject_normalize(void)
{
    struct { const char *in, *out; } ok[] = {
        { "C=IL,O=Red Hat,CN=my server", "C=IL, O=Red Hat, CN=my server" },
        { " C = IL ,  CN=x", "C=IL, CN=x" },
        { "O=Acme\\, Inc.,CN=h", "O=\"Acme, Inc.\", CN=h" },
        { "CN=a=b", "CN=a=b" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
        char *error = NULL;
        char *text = client_tls_subject_normalize(ok[i].in, &error);
        if (error != NULL) {
            g_error("'%s': %s", ok[i].in, error);
        }
        g_assert_cmpstr(text, ==, ok[i].out);
        g_free(text);
    }
    const char *bad[] = { "=x", "CN=", "CN=x,,O=y", "CN=x,foo", "NOTANATTR=1", "C=ISRAEL" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *error = NULL;
        g_assert_null(client_tls_subject_normalize(bad[i], &error));
        g_assert_nonnull(error);
        g_free(error);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    pki_setup();
    g_test_add_func("/client-tls/trusted", test_trusted);
    g_test_add_func("/client-tls/untrusted", test_untrusted);
    g_test_add_func("/client-tls/host-check", test_host_check);
    g_test_add_func("/client-tls/host-subject", test_host_subject);
    g_test_add_func("/client-tls/not-tls", test_not_tls);
    g_test_add_func("/client-tls/context-errors", test_context_errors);
    g_test_add_func("/client-tls/subject-normalize", test_subject_normalize);
    int rc = g_test_run();
    pki_teardown();
    return rc;
}
