/* reds-tls: builds the TLS port's OpenSSL server context from the host's spice_server_set_tls settings. */
#include "reds-tls.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

void reds_tls_config_clear(RedsTlsConfig *config)
{
    if (config->key_password) {
        memset(config->key_password, 0, strlen(config->key_password));
    }
    g_free(config->ca_file);
    g_free(config->certs_file);
    g_free(config->key_file);
    g_free(config->key_password);
    g_free(config->dh_file);
    g_free(config->ciphersuite);
    memset(config, 0, sizeof(*config));
}

/* One line: what failed, the file, OpenSSL's reason, and what to check. Clears OpenSSL's queue. */
static void log_tls_failure(const char *what, const char *file, const char *fix)
{
    unsigned long code = ERR_peek_last_error();
    char reason[192] = "no reason given";
    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof(reason));
    }
    ERR_clear_error();
    g_warning("spice TLS: cannot %s%s%s (%s); %s", what, file ? " " : "", file ? file : "",
              reason, fix);
}

/* OpenSSL says "system lib" for a missing file: name the file and errno's reason instead. */
static bool file_readable(const char *what, const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        g_warning("spice TLS: cannot read the %s %s (%s); check the path (x509-dir holds "
                  "ca-cert.pem, server-cert.pem, server-key.pem)", what, file, g_strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

/* The key password callback: the password lives in the config only while the key loads. */
static int key_password_cb(char *buf, int size, int rwflag, void *userdata)
{
    const char *password = userdata;
    if (!password || size <= 0) {
        return 0;
    }
    size_t len = strlen(password);
    if (len >= (size_t)size) {
        return 0;
    }
    memcpy(buf, password, len + 1);
    return (int)len;
}

static bool load_dh_params(SSL_CTX *ctx, const char *file)
{
    BIO *bio = BIO_new_file(file, "r");
    if (!bio) {
        log_tls_failure("open the DH parameters file", file, "check the path (x509-dh-key-file)");
        return false;
    }
    EVP_PKEY *params = PEM_read_bio_Parameters(bio, NULL);
    BIO_free(bio);
    if (!params) {
        log_tls_failure("read DH parameters from", file,
                        "it must hold PEM \"DH PARAMETERS\" (openssl dhparam -out FILE 2048)");
        return false;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx, params) != 1) {
        EVP_PKEY_free(params);
        log_tls_failure("use the DH parameters in", file, "they may be too weak for OpenSSL's security level");
        return false;
    }
    return true;    /* the context owns params now */
}

SSL_CTX *reds_tls_context_new(const RedsTlsConfig *config)
{
    if (!config->certs_file || !config->key_file || !config->ca_file) {
        g_warning("spice TLS: the certificate, key and CA files must all be given (spice_server_set_tls)");
        return NULL;
    }
    if (!file_readable("CA file", config->ca_file) ||
        !file_readable("certificate file", config->certs_file) ||
        !file_readable("private key file", config->key_file) ||
        (config->dh_file && config->dh_file[0] &&
         !file_readable("DH parameters file", config->dh_file))) {
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        log_tls_failure("create an SSL context", NULL, "OpenSSL is out of memory or misconfigured");
        return NULL;
    }
    /*
     * As upstream: TLS 1.1 at least (no SSLv2/3, no TLS 1.0), no compression (CRIME), no
     * renegotiation. ECDHE with automatic curves is OpenSSL's default. A client that closes
     * without close_notify is a plain EOF to us: SPICE's framing detects truncation itself.
     */
    SSL_CTX_set_min_proto_version(ctx, TLS1_1_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 |
                             SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_IGNORE_UNEXPECTED_EOF);

    if (SSL_CTX_use_certificate_chain_file(ctx, config->certs_file) != 1) {
        log_tls_failure("load the server certificate chain from", config->certs_file,
                        "it must be PEM, the server certificate first (x509-dir/server-cert.pem)");
        goto fail;
    }
    SSL_CTX_set_default_passwd_cb(ctx, key_password_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, config->key_password);
    int key_ok = SSL_CTX_use_PrivateKey_file(ctx, config->key_file, SSL_FILETYPE_PEM);
    /* The callback must not keep a pointer into the config past this call. */
    SSL_CTX_set_default_passwd_cb(ctx, NULL);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
    if (key_ok != 1) {
        log_tls_failure("load the private key from", config->key_file,
                        "it must be PEM; an encrypted key needs its password (x509-key-password)");
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        log_tls_failure("use the private key", config->key_file,
                        "it does not belong to the server certificate");
        goto fail;
    }
    if (SSL_CTX_load_verify_locations(ctx, config->ca_file, NULL) != 1) {
        log_tls_failure("load CA certificates from", config->ca_file,
                        "it must be PEM (x509-dir/ca-cert.pem)");
        goto fail;
    }
    if (config->dh_file && config->dh_file[0] && !load_dh_params(ctx, config->dh_file)) {
        goto fail;
    }
    static const unsigned char session_context[] = "SPICE";
    SSL_CTX_set_session_id_context(ctx, session_context, sizeof(session_context) - 1);
    if (config->ciphersuite && config->ciphersuite[0] &&
        SSL_CTX_set_cipher_list(ctx, config->ciphersuite) != 1) {
        g_warning("spice TLS: the cipher list \"%s\" names no usable cipher; fix tls-ciphers",
                  config->ciphersuite);
        ERR_clear_error();
        goto fail;
    }
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

void reds_tls_context_free(SSL_CTX *ctx)
{
    SSL_CTX_free(ctx);
}
