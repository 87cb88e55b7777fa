/* uri: parser for spice://, spice+tls:// and spice+unix:// URIs (spice-gtk's accepted forms). */
#include "uri.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>

void spice_uri_clear(SpiceUri *uri)
{
    g_free(uri->host);
    g_free(uri->password);
    g_free(uri->unix_path);
    uri->host = NULL;
    uri->password = NULL;
    uri->unix_path = NULL;
    uri->port = 0;
    uri->tls_port = 0;
}

static bool parse_port(const char *s, uint16_t *out)
{
    if (s == NULL || *s == '\0' || strlen(s) > 5) {
        return false;
    }
    unsigned v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') {
            return false;
        }
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (v == 0 || v > 65535) {
        return false;
    }
    *out = (uint16_t)v;
    return true;
}

static bool fail(char **error, SpiceUri *out, const char *fmt, const char *arg)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    /* Every caller passes a literal with exactly one %s. */
    *error = g_strdup_printf(fmt, arg);
#pragma GCC diagnostic pop
    spice_uri_clear(out);
    return false;
}

/* spice+unix:///path[?password=PW]: the socket path is percent-decoded and must be absolute. */
static bool parse_unix(const char *text, const char *rest, SpiceUri *out, char **error)
{
    const char *query = strchr(rest, '?');
    char *raw = query ? g_strndup(rest, (size_t)(query - rest)) : g_strdup(rest);
    out->unix_path = g_uri_unescape_string(raw, NULL);
    g_free(raw);
    if (out->unix_path == NULL || out->unix_path[0] != '/') {
        return fail(error, out, "'%s' needs an absolute socket path: spice+unix:///path/to/socket",
                    text);
    }
    if (query) {
        char **pairs = g_strsplit_set(query + 1, "&;", -1);
        for (char **p = pairs; *p; p++) {
            if (**p == '\0') {
                continue;
            }
            char *eq = strchr(*p, '=');
            char *value = eq ? g_uri_unescape_string(eq + 1, NULL) : NULL;
            if (eq == NULL || (size_t)(eq - *p) != strlen("password")
                || g_ascii_strncasecmp(*p, "password", (size_t)(eq - *p)) != 0 || value == NULL) {
                g_free(value);
                g_strfreev(pairs);
                return fail(error, out, "bad query in '%s' (a spice+unix:// URI takes only "
                            "?password=PW)", text);
            }
            g_free(out->password);
            out->password = value;
        }
        g_strfreev(pairs);
    }
    return true;
}

bool spice_uri_parse(const char *text, SpiceUri *out, char **error)
{
    memset(out, 0, sizeof(*out));
    *error = NULL;
    static const char plain_scheme[] = "spice://";
    static const char tls_scheme[] = "spice+tls://";
    static const char unix_scheme[] = "spice+unix://";
    bool tls_scheme_used = false;
    const char *rest;
    if (g_ascii_strncasecmp(text, plain_scheme, strlen(plain_scheme)) == 0) {
        rest = text + strlen(plain_scheme);
    } else if (g_ascii_strncasecmp(text, tls_scheme, strlen(tls_scheme)) == 0) {
        rest = text + strlen(tls_scheme);
        tls_scheme_used = true;
    } else if (g_ascii_strncasecmp(text, unix_scheme, strlen(unix_scheme)) == 0) {
        return parse_unix(text, text + strlen(unix_scheme), out, error);
    } else {
        return fail(error, out, "'%s' is not a spice://, spice+tls:// or spice+unix:// URI", text);
    }
    const char *query = strpbrk(rest, "?");
    char *authority = query ? g_strndup(rest, (size_t)(query - rest)) : g_strdup(rest);
    /* A trailing "/" after the authority is allowed. */
    size_t alen = strlen(authority);
    if (alen > 0 && authority[alen - 1] == '/') {
        authority[alen - 1] = '\0';
    }
    char *hostport = strrchr(authority, '@') ? strrchr(authority, '@') + 1 : authority;
    char *port_text = NULL;
    if (hostport[0] == '[') {
        char *close = strchr(hostport, ']');
        if (close == NULL) {
            g_free(authority);
            return fail(error, out, "unterminated [IPv6] address in '%s'", text);
        }
        *close = '\0';
        out->host = g_strdup(hostport + 1);
        if (close[1] == ':') {
            port_text = close + 2;
        } else if (close[1] != '\0') {
            g_free(authority);
            return fail(error, out, "unexpected text after the IPv6 address in '%s'", text);
        }
    } else {
        char *colon = strchr(hostport, ':');
        if (colon) {
            *colon = '\0';
            port_text = colon + 1;
        }
        out->host = g_strdup(hostport);
    }
    if (out->host[0] == '\0') {
        g_free(authority);
        return fail(error, out, "no host in '%s'", text);
    }
    if (port_text && !parse_port(port_text, tls_scheme_used ? &out->tls_port : &out->port)) {
        g_free(authority);
        return fail(error, out, "bad port in '%s' (1-65535)", text);
    }
    g_free(authority);
    if (query) {
        char **pairs = g_strsplit_set(query + 1, "&;", -1);
        for (char **p = pairs; *p; p++) {
            if (**p == '\0') {
                continue;
            }
            char *eq = strchr(*p, '=');
            char *key = eq ? g_strndup(*p, (size_t)(eq - *p)) : g_strdup(*p);
            char *value = g_uri_unescape_string(eq ? eq + 1 : "", NULL);
            bool ok = true;
            const char *why = NULL;
            if (value == NULL) {
                ok = false;
                why = "bad percent-encoding in '%s'";
            } else if (g_ascii_strcasecmp(key, "port") == 0) {
                ok = parse_port(value, &out->port);
                why = "bad port= value in '%s' (1-65535)";
            } else if (g_ascii_strcasecmp(key, "password") == 0) {
                g_free(out->password);
                out->password = g_strdup(value);
            } else if (g_ascii_strcasecmp(key, "tls-port") == 0) {
                ok = parse_port(value, &out->tls_port);
                why = "bad tls-port= value in '%s' (1-65535)";
            } else {
                ok = false;
                why = "unknown query key in '%s' (accepted: port, tls-port, password)";
            }
            g_free(key);
            g_free(value);
            if (!ok) {
                g_strfreev(pairs);
                return fail(error, out, why, text);
            }
        }
        g_strfreev(pairs);
    }
    if (out->port == 0 && out->tls_port == 0) {
        return fail(error, out, "no port in '%s' (spice://host:port, ?port=N, ?tls-port=N or "
                    "spice+tls://host:tlsport)", text);
    }
    return true;
}
