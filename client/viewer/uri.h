/* uri: spice:// URIs as remote-viewer takes them (host, port, password). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* A parsed URI; the strings are g_malloc'd (spice_uri_clear frees them). */
typedef struct SpiceUri {
    char *host;
    uint16_t port;
    char *password;   /* NULL when the URI has none */
} SpiceUri;

/*
 * Parses spice://[user@]host[:port][/][?key=value[&|;key=value...]] with host a name, an IPv4
 * address or [IPv6]; keys port, tls-port, password (values percent-decoded). Returns false with
 * *error (g_malloc'd) naming the problem: another scheme, a bad port, an unknown key, no port,
 * or a TLS port (TLS is not supported by this client yet).
 */
bool spice_uri_parse(const char *text, SpiceUri *out, char **error);
void spice_uri_clear(SpiceUri *uri);
