/* client-tls: the client's TLS layer (OpenSSL) over a non-blocking socket: trust, handshake, host check. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * A ClientTlsContext holds what every TLS channel of one session shares: the trust store (a CA
 * file, an inline PEM as .vv files carry it, or the system's store) and how the server's
 * certificate must name the server (a host subject like remote-viewer's --spice-host-subject, or
 * else the host name / IP address we connect to). The session owns it; each ClientTls borrows
 * it and must be freed first.
 *
 * A ClientTls is one TLS connection over a socket the caller owns (it is never closed here).
 * Every call is non-blocking: WANT_READ / WANT_WRITE mean "call again when the socket is
 * readable / writable". Messages (g_malloc'd, owned by the caller) name the cause and the fix.
 */
typedef struct ClientTlsContext ClientTlsContext;
typedef struct ClientTls ClientTls;

typedef struct ClientTlsOptions {
    const char *ca_file;        /* PEM file of trusted CAs, or NULL */
    const char *ca_pem;         /* PEM text of trusted CAs (a .vv file's ca=), or NULL */
    const char *host_subject;   /* "C=..,O=..,CN=.." the certificate's subject must equal, or NULL */
} ClientTlsOptions;

typedef enum ClientTlsStatus {
    CLIENT_TLS_OK = 0,
    CLIENT_TLS_WANT_READ,
    CLIENT_TLS_WANT_WRITE,
    CLIENT_TLS_CLOSED,          /* the peer closed (close_notify or EOF) */
    CLIENT_TLS_ERROR,           /* see the message */
} ClientTlsStatus;

/*
 * Without ca_file and ca_pem the system's default store is trusted. Returns NULL with *error
 * when the CA file cannot be read or holds no certificate, the PEM is malformed, or the host
 * subject cannot be parsed.
 */
ClientTlsContext *client_tls_context_new(const ClientTlsOptions *options, char **error);
/* Accepts NULL. Every ClientTls made from it must be freed before. */
void client_tls_context_free(ClientTlsContext *ctx);

/* @host: the name or address the user gave (checked against the certificate unless a host
 * subject is set; also sent as SNI when it is a name). @fd stays the caller's. */
ClientTls *client_tls_new(ClientTlsContext *ctx, int fd, const char *host);
/* Sends close_notify if the handshake finished (best effort, never blocks). Accepts NULL. */
void client_tls_free(ClientTls *tls);

/* Drives the handshake; OK once it is done AND the certificate passed every check. */
ClientTlsStatus client_tls_handshake(ClientTls *tls, char **error);
/* Reads up to @size bytes: OK with *got > 0, or another status. */
ClientTlsStatus client_tls_read(ClientTls *tls, void *buf, size_t size, size_t *got, char **error);
/* Writes up to @size bytes: OK with *written > 0, or another status. After WANT_*, call again
 * with the same bytes at the front (they may have moved in memory). */
ClientTlsStatus client_tls_write(ClientTls *tls, const void *buf, size_t size, size_t *written,
                                 char **error);
/* True when decrypted bytes wait inside OpenSSL (the socket may not become readable for them). */
bool client_tls_has_pending(const ClientTls *tls);

/*
 * Parses a host subject ("C=IL, O=Red Hat, CN=my server"; "\," escapes a comma) into the
 * one-line form OpenSSL prints ("C=IL, O=Red Hat, CN=my server"): for tests and messages.
 * Returns NULL with *error when a part has no '=' or names an unknown attribute.
 */
char *client_tls_subject_normalize(const char *subject, char **error);
