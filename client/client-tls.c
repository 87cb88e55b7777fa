/* client-tls: OpenSSL client connections for the client library (trust store, handshake, host check). */
#include "client/client-tls.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct ClientTlsContext {
    SSL_CTX *ssl_ctx;
    X509_NAME *subject;        /* owned; NULL: check the host name instead */
    char *trust_description;   /* "the CA file F", ... (for messages) */
    bool system_store;         /* no CA was given: the fix is --ca-file */
};

struct ClientTls {
    ClientTlsContext *ctx;     /* borrowed */
    SSL *ssl;
    char *host;
    bool handshake_done;
    bool broken;               /* a fatal error happened: OpenSSL forbids SSL_shutdown then */
};

/* ---- a socket BIO that never raises SIGPIPE ----
 * OpenSSL's own socket BIO write()s; a server that vanished would kill the viewer with SIGPIPE.
 * A library cannot ask its program to ignore the signal, so this BIO sends with MSG_NOSIGNAL. */

static int fd_of(BIO *bio)
{
    return (int)(intptr_t)BIO_get_data(bio);
}

static int nosig_write(BIO *bio, const char *data, size_t size, size_t *written)
{
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = send(fd_of(bio), data, size, MSG_NOSIGNAL);
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

static int nosig_read(BIO *bio, char *data, size_t size, size_t *got)
{
    BIO_clear_retry_flags(bio);
    for (;;) {
        ssize_t n = recv(fd_of(bio), data, size, 0);
        if (n > 0) {
            *got = (size_t)n;
            return 1;
        }
        if (n == 0) {
            BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
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

static long nosig_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_EOF:
        return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0;
    default:
        return 0;
    }
}

static int nosig_create(BIO *bio)
{
    BIO_set_init(bio, 1);
    return 1;
}

static BIO_METHOD *nosig_method(void)
{
    static gsize once = 0;
    static BIO_METHOD *method;
    if (g_once_init_enter(&once)) {
        method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "spice client socket");
        BIO_meth_set_write_ex(method, nosig_write);
        BIO_meth_set_read_ex(method, nosig_read);
        BIO_meth_set_ctrl(method, nosig_ctrl);
        BIO_meth_set_create(method, nosig_create);
        g_once_init_leave(&once, 1);
    }
    return method;
}

/* ---- messages ---- */

/* The oldest queued OpenSSL error as text, or @fallback; clears the queue. */
static char *openssl_error(const char *fallback)
{
    unsigned long e = ERR_peek_error();
    char *text;
    if (e == 0) {
        text = g_strdup(fallback);
    } else {
        const char *reason = ERR_reason_error_string(e);
        text = reason ? g_strdup(reason) : g_strdup_printf("OpenSSL error %lx", e);
    }
    ERR_clear_error();
    return text;
}

static char *name_oneline(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *text = g_strndup(data, len > 0 ? (gsize)len : 0);
    BIO_free(bio);
    return text;
}

/* ---- host subject ---- */

/* Splits "K=V, K=V" (with "\," and "\\" escapes) into @name; NULL with *error on a bad part. */
static X509_NAME *parse_subject(const char *subject, char **error)
{
    X509_NAME *name = X509_NAME_new();
    GString *part = g_string_new(NULL);
    const char *p = subject;
    bool ok = true;
    for (;;) {
        char c = *p;
        if (c == '\\' && p[1] != '\0') {
            g_string_append_c(part, p[1]);
            p += 2;
            continue;
        }
        if (c != ',' && c != '\0') {
            g_string_append_c(part, c);
            p++;
            continue;
        }
        char *item = g_strstrip(g_strdup(part->str));
        g_string_truncate(part, 0);
        if (item[0] != '\0' || c == ',') {
            char *eq = strchr(item, '=');
            if (eq == NULL || eq == item) {
                *error = g_strdup_printf("bad host subject part '%s' in '%s' (write KEY=VALUE "
                                         "parts separated by commas, e.g. \"C=IL,O=Red Hat,CN=host\")",
                                         item, subject);
                ok = false;
            } else {
                *eq = '\0';
                char *key = g_strstrip(item);
                const char *value = g_strstrip(eq + 1);
                if (OBJ_txt2nid(key) == NID_undef) {
                    *error = g_strdup_printf("unknown attribute '%s' in host subject '%s' (use "
                                             "C, ST, L, O, OU, CN, ...)", key, subject);
                    ok = false;
                } else if (*value == '\0'
                           || !X509_NAME_add_entry_by_txt(name, key, MBSTRING_UTF8,
                                                          (const unsigned char *)value, -1, -1, 0)) {
                    ERR_clear_error();
                    *error = g_strdup_printf("bad value '%s' for %s in host subject '%s' (C takes "
                                             "a 2-letter country code)", value, key, subject);
                    ok = false;
                }
            }
        }
        g_free(item);
        if (!ok || c == '\0') {
            break;
        }
        p++;
    }
    g_string_free(part, TRUE);
    if (ok && X509_NAME_entry_count(name) == 0) {
        *error = g_strdup("the host subject is empty (e.g. \"C=IL,O=Red Hat,CN=host\")");
        ok = false;
    }
    if (!ok) {
        X509_NAME_free(name);
        return NULL;
    }
    return name;
}

char *client_tls_subject_normalize(const char *subject, char **error)
{
    *error = NULL;
    X509_NAME *name = parse_subject(subject, error);
    if (name == NULL) {
        return NULL;
    }
    char *text = name_oneline(name);
    X509_NAME_free(name);
    return text;
}

/* ---- context ---- */

static bool load_pem_text(X509_STORE *store, const char *pem, char **error)
{
    size_t len = strlen(pem);
    if (len > INT_MAX) {
        *error = g_strdup("the inline CA certificate is too large");
        return false;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    int count = 0;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (X509_STORE_add_cert(store, cert)) {
            count++;
        }
        X509_free(cert);
    }
    ERR_clear_error();   /* the loop ends on "no start line" */
    BIO_free(bio);
    if (count == 0) {
        *error = g_strdup("the inline CA (a .vv file's ca=) holds no PEM certificate "
                          "(-----BEGIN CERTIFICATE----- with \\n for line breaks)");
        return false;
    }
    return true;
}

ClientTlsContext *client_tls_context_new(const ClientTlsOptions *options, char **error)
{
    *error = NULL;
    ClientTlsContext *ctx = g_new0(ClientTlsContext, 1);
    ERR_clear_error();
    ctx->ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (ctx->ssl_ctx == NULL) {
        char *why = openssl_error("unknown error");
        *error = g_strdup_printf("cannot set up TLS: %s", why);
        g_free(why);
        goto fail;
    }
    SSL_CTX_set_min_proto_version(ctx->ssl_ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx->ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* A server that closes without close_notify is a closed connection, not a TLS error. */
    SSL_CTX_set_options(ctx->ssl_ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    SSL_CTX_set_verify(ctx->ssl_ctx, SSL_VERIFY_PEER, NULL);
    if (options->ca_file != NULL) {
        if (!g_file_test(options->ca_file, G_FILE_TEST_IS_REGULAR)) {
            *error = g_strdup_printf("the CA file %s does not exist or is not a file (give the "
                                     "PEM file of the CA that signed the server's certificate)",
                                     options->ca_file);
            goto fail;
        }
        if (!SSL_CTX_load_verify_locations(ctx->ssl_ctx, options->ca_file, NULL)) {
            char *why = openssl_error("no certificate");
            *error = g_strdup_printf("cannot load the CA file %s: %s (it must hold PEM "
                                     "certificates)", options->ca_file, why);
            g_free(why);
            goto fail;
        }
        ctx->trust_description = g_strdup_printf("the CA file %s", options->ca_file);
    }
    if (options->ca_pem != NULL) {
        if (!load_pem_text(SSL_CTX_get_cert_store(ctx->ssl_ctx), options->ca_pem, error)) {
            goto fail;
        }
        if (ctx->trust_description == NULL) {
            ctx->trust_description = g_strdup("the inline CA (ca=)");
        }
    }
    if (ctx->trust_description == NULL) {
        SSL_CTX_set_default_verify_paths(ctx->ssl_ctx);
        ERR_clear_error();
        ctx->trust_description = g_strdup("the system's trusted CAs");
        ctx->system_store = true;
    }
    if (options->host_subject != NULL) {
        ctx->subject = parse_subject(options->host_subject, error);
        if (ctx->subject == NULL) {
            goto fail;
        }
    }
    return ctx;
fail:
    client_tls_context_free(ctx);
    return NULL;
}

void client_tls_context_free(ClientTlsContext *ctx)
{
    if (ctx == NULL) {
        return;
    }
    SSL_CTX_free(ctx->ssl_ctx);
    X509_NAME_free(ctx->subject);
    g_free(ctx->trust_description);
    g_free(ctx);
}

/* ---- connections ---- */

ClientTls *client_tls_new(ClientTlsContext *ctx, int fd, const char *host)
{
    ERR_clear_error();
    SSL *ssl = SSL_new(ctx->ssl_ctx);
    BIO *bio = ssl ? BIO_new(nosig_method()) : NULL;
    if (bio == NULL) {
        SSL_free(ssl);
        ERR_clear_error();
        return NULL;
    }
    BIO_set_data(bio, (void *)(intptr_t)fd);
    SSL_set_bio(ssl, bio, bio);   /* the SSL owns the BIO */
    if (!g_hostname_is_ip_address(host)) {
        SSL_set_tlsext_host_name(ssl, host);
    }
    SSL_set_connect_state(ssl);
    ClientTls *tls = g_new0(ClientTls, 1);
    tls->ctx = ctx;
    tls->ssl = ssl;
    tls->host = g_strdup(host);
    return tls;
}

void client_tls_free(ClientTls *tls)
{
    if (tls == NULL) {
        return;
    }
    if (tls->handshake_done && !tls->broken) {
        SSL_shutdown(tls->ssl);   /* queues close_notify; a full socket just drops it */
    }
    SSL_free(tls->ssl);
    ERR_clear_error();
    g_free(tls->host);
    g_free(tls);
}

/* True when a CN entry of @cert's subject is exactly @host (spice-gtk's fallback for
 * certificates without subjectAltName). */
static bool common_name_is(X509 *cert, const char *host)
{
    const X509_NAME *name = X509_get_subject_name(cert);
    int i = -1;
    while ((i = X509_NAME_get_index_by_NID(name, NID_commonName, i)) >= 0) {
        ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, value);
        bool same = len >= 0 && (size_t)len == strlen(host)
                    && g_ascii_strncasecmp((const char *)utf8, host, (size_t)len) == 0;
        OPENSSL_free(utf8);
        if (same) {
            return true;
        }
    }
    return false;
}

/* The checks after the CA chain: the subject or the host name. */
static bool check_peer(ClientTls *tls, char **error)
{
    X509 *cert = SSL_get1_peer_certificate(tls->ssl);
    if (cert == NULL) {
        *error = g_strdup("the server sent no certificate (a TLS port of a SPICE server always does)");
        return false;
    }
    bool ok;
    char *subject = name_oneline(X509_get_subject_name(cert));
    if (tls->ctx->subject != NULL) {
        ok = X509_NAME_cmp(tls->ctx->subject, X509_get_subject_name(cert)) == 0;
        if (!ok) {
            char *want = name_oneline(tls->ctx->subject);
            *error = g_strdup_printf("the server's certificate subject '%s' is not the expected "
                                     "host subject '%s' (check --host-subject / host-subject=)",
                                     subject, want);
            g_free(want);
        }
    } else {
        if (g_hostname_is_ip_address(tls->host)) {
            ok = X509_check_ip_asc(cert, tls->host, 0) == 1;
            if (!ok && X509_get_ext_by_NID(cert, NID_subject_alt_name, -1) < 0) {
                ok = common_name_is(cert, tls->host);
            }
        } else {
            ok = X509_check_host(cert, tls->host, 0, 0, NULL) == 1;
        }
        if (!ok) {
            *error = g_strdup_printf("the server's certificate (subject '%s') is not for host "
                                     "'%s' (connect by a name or address it lists, or accept "
                                     "it by its subject with --host-subject \"%s\")",
                                     subject, tls->host, subject);
        }
    }
    ERR_clear_error();
    g_free(subject);
    X509_free(cert);
    return ok;
}

/* Maps SSL_get_error of a failed call; fills *error for CLIENT_TLS_ERROR. */
static ClientTlsStatus status_of(ClientTls *tls, int ret, const char *doing, char **error)
{
    int saved_errno = errno;
    int err = SSL_get_error(tls->ssl, ret);
    if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_SSL) {
        tls->broken = true;
    }
    switch (err) {
    case SSL_ERROR_WANT_READ:
        return CLIENT_TLS_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return CLIENT_TLS_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        ERR_clear_error();
        return CLIENT_TLS_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            if (ret == 0 || saved_errno == 0 || saved_errno == ECONNRESET || saved_errno == EPIPE) {
                return CLIENT_TLS_CLOSED;
            }
            *error = g_strdup_printf("TLS %s failed: %s", doing, g_strerror(saved_errno));
            return CLIENT_TLS_ERROR;
        }
        /* OpenSSL queued the reason: report it as below. */
        G_GNUC_FALLTHROUGH;
    default: {
        char *why = openssl_error("unknown error");
        *error = g_strdup_printf("TLS %s failed: %s", doing, why);
        g_free(why);
        return CLIENT_TLS_ERROR;
    }
    }
}

ClientTlsStatus client_tls_handshake(ClientTls *tls, char **error)
{
    *error = NULL;
    if (tls->handshake_done) {
        return CLIENT_TLS_OK;
    }
    ERR_clear_error();
    int ret = SSL_do_handshake(tls->ssl);
    if (ret == 1) {
        if (!check_peer(tls, error)) {
            return CLIENT_TLS_ERROR;
        }
        tls->handshake_done = true;
        return CLIENT_TLS_OK;
    }
    long verify = SSL_get_verify_result(tls->ssl);
    if (verify != X509_V_OK) {
        ERR_clear_error();
        *error = g_strdup_printf("certificate verify failed: %s (the server's certificate is not "
                                 "signed by %s: use --ca-file with the CA that signed it%s)",
                                 X509_verify_cert_error_string(verify),
                                 tls->ctx->trust_description,
                                 tls->ctx->system_store ? "" : ", or check that it has not expired");
        return CLIENT_TLS_ERROR;
    }
    char *inner = NULL;
    ClientTlsStatus st = status_of(tls, ret, "handshake", &inner);
    if (st == CLIENT_TLS_CLOSED) {
        *error = g_strdup("the server closed the connection during the TLS handshake (is this "
                          "its TLS port? spice+tls://host:TLSPORT or ?tls-port=N name it)");
        return CLIENT_TLS_ERROR;
    }
    if (st == CLIENT_TLS_ERROR) {
        *error = g_strdup_printf("%s (is this the server's TLS port and not its plain one? "
                                 "spice+tls://host:TLSPORT or ?tls-port=N name it)", inner);
        g_free(inner);
    }
    return st;
}

ClientTlsStatus client_tls_read(ClientTls *tls, void *buf, size_t size, size_t *got, char **error)
{
    *error = NULL;
    *got = 0;
    ERR_clear_error();
    int ret = SSL_read(tls->ssl, buf, (int)MIN(size, (size_t)INT_MAX));
    if (ret > 0) {
        *got = (size_t)ret;
        return CLIENT_TLS_OK;
    }
    return status_of(tls, ret, "read", error);
}

ClientTlsStatus client_tls_write(ClientTls *tls, const void *buf, size_t size, size_t *written,
                                 char **error)
{
    *error = NULL;
    *written = 0;
    ERR_clear_error();
    int ret = SSL_write(tls->ssl, buf, (int)MIN(size, (size_t)INT_MAX));
    if (ret > 0) {
        *written = (size_t)ret;
        return CLIENT_TLS_OK;
    }
    return status_of(tls, ret, "write", error);
}

bool client_tls_has_pending(const ClientTls *tls)
{
    return tls->handshake_done && SSL_has_pending(tls->ssl);
}
