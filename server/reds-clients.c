/* reds-clients: the host's ways to bring clients in besides the plain port: TLS settings and handed-over sockets. */
#include "reds-private.h"

#include <errno.h>
#include <fcntl.h>

#include "spice-export.h"

/*
 * As upstream: the settings are only stored here; spice_server_init makes the SSL context and
 * listens on the port, and fails when a file cannot be used.
 */
SPICE_EXPORT int spice_server_set_tls(SpiceServer *s, int port, const char *ca_cert_file,
                                      const char *certs_file, const char *private_key_file,
                                      const char *key_passwd, const char *dh_key_file,
                                      const char *ciphersuite)
{
    g_return_val_if_fail(s != NULL, -1);
    if (port <= 0 || port > 0xffff) {
        g_warning("spice_server_set_tls: %d is not a TCP port (1..65535)", port);
        return -1;
    }
    if (!ca_cert_file || !certs_file || !private_key_file) {
        g_warning("spice_server_set_tls: the CA, certificate and private key files are all needed");
        return -1;
    }
    if (s->initialized) {
        g_warning("spice_server_set_tls: called after spice_server_init; the TLS port is not "
                  "changed (call it before init)");
    }
    RedsTlsConfig *tls = &s->config.tls;
    reds_tls_config_clear(tls);
    tls->port = port;
    tls->ca_file = g_strdup(ca_cert_file);
    tls->certs_file = g_strdup(certs_file);
    tls->key_file = g_strdup(private_key_file);
    tls->key_password = g_strdup(key_passwd);
    tls->dh_file = g_strdup(dh_key_file);
    tls->ciphersuite = g_strdup(ciphersuite);
    return 0;
}

/* A socket the host hands over must be open and the server running; otherwise it stays the host's. */
static bool can_take_client(SpiceServer *s, int socket, const char *function)
{
    if (!s || !s->initialized) {
        g_warning("%s: the server is not initialized (call spice_server_init first); "
                  "the socket stays the caller's", function);
        return false;
    }
    if (socket < 0 || fcntl(socket, F_GETFL) < 0) {
        g_warning("%s: %d is not an open file descriptor", function, socket);
        return false;
    }
    return true;
}

SPICE_EXPORT int spice_server_add_client(SpiceServer *s, int socket, int skip_auth)
{
    if (!can_take_client(s, socket, __func__)) {
        return -1;
    }
    reds_link_start(s, socket, skip_auth != 0);
    return 0;
}

SPICE_EXPORT int spice_server_add_ssl_client(SpiceServer *s, int socket, int skip_auth)
{
    if (!can_take_client(s, socket, __func__)) {
        return -1;
    }
    if (!s->tls_ctx) {
        g_warning("spice_server_add_ssl_client: TLS is not configured (spice_server_set_tls "
                  "before init); the socket stays the caller's");
        return -1;
    }
    if (!reds_link_start_tls(s, socket, skip_auth != 0)) {
        return -1;
    }
    return 0;
}
