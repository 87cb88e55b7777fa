/* uri: spice://, spice+tls:// and spice+unix:// URIs as remote-viewer takes them. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A parsed URI; the strings are g_malloc'd (spice_uri_clear frees them). */
typedef struct SpiceUri {
    char *host;        /* NULL for spice+unix:// */
    uint16_t port;     /* plain port, 0: none */
    uint16_t tls_port; /* TLS port, 0: none */
    char *unix_path;   /* spice+unix:///path: the socket's path, else NULL */
    char *password;    /* NULL when the URI has none */
} SpiceUri;

/*
 * Parses spice://[user@]host[:port][/][?key=value[&|;key=value...]] with host a name, an IPv4
 * address or [IPv6]; keys port, tls-port, password (values percent-decoded). spice+tls://host:N
 * makes N the TLS port (no plain port unless ?port= adds one). spice+unix:///abs/path names a
 * unix socket (only ?password= may follow). At least one port is required for TCP. Returns
 * false with *error (g_malloc'd) naming the problem: another scheme, a bad port, an unknown key,
 * no port, a relative socket path.
 */
bool spice_uri_parse(const char *text, SpiceUri *out, char **error);
void spice_uri_clear(SpiceUri *uri);
