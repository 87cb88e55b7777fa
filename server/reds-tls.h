/* reds-tls: the server's TLS settings (spice_server_set_tls) and the OpenSSL context made from them. */
#pragma once

#include <stdbool.h>

/* What spice_server_set_tls stored. Strings are owned (g_strdup) and may be NULL when not given. */
typedef struct RedsTlsConfig {
    int port;                       /* 0: no TLS port */
    char *ca_file;                  /* CA certificates (PEM), loaded as upstream does */
    char *certs_file;               /* the server certificate chain (PEM) */
    char *key_file;                 /* the server private key (PEM) */
    char *key_password;             /* the key file's password, or NULL */
    char *dh_file;                  /* DH parameters (PEM), or NULL: ECDHE only */
    char *ciphersuite;              /* an OpenSSL cipher list for TLS <= 1.2, or NULL: default */
} RedsTlsConfig;

/* Frees the strings (the password is wiped first) and zeroes @config. */
void reds_tls_config_clear(RedsTlsConfig *config);

/*
 * An SSL_CTX for the TLS port, as upstream configures it: TLS >= 1.1, no compression, no
 * renegotiation, ECDHE (and DHE with dh_file), the cipher list when given. Returns NULL after one
 * log line naming the file or setting that failed and OpenSSL's reason. Free with
 * reds_tls_context_free (accepts NULL).
 */
struct ssl_ctx_st;
struct ssl_ctx_st *reds_tls_context_new(const RedsTlsConfig *config);
void reds_tls_context_free(struct ssl_ctx_st *ctx);
