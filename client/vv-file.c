/* vv-file: reads remote-viewer's .vv connection files, treating every value as hostile. */
#include "client/vv-file.h"

#include <errno.h>
#include <string.h>

#include <glib.h>
#include <spice/enums.h>

#define VV_GROUP "virt-viewer"
/* Caps on single values: far above any real file, far below what hurts. */
#define VV_MAX_STRING 4096u
#define VV_MAX_CA (256u * 1024u)

void vv_file_clear(VvFile *vv)
{
    if (vv->password) {
        memset(vv->password, 0, strlen(vv->password));
    }
    g_free(vv->host);
    g_free(vv->password);
    g_free(vv->ca);
    g_free(vv->host_subject);
    g_free(vv->title);
    memset(vv, 0, sizeof(*vv));
}

/* GKeyFile's escapes (\n \t \r \s \\, and \; \, as plain ; and ,).
 * Done here rather than by g_key_file_get_string: it may set one GError twice on values with
 * several bad escapes. False on a bad or dangling escape. */
static bool unescape(const char *raw, GString *out)
{
    for (const char *p = raw; *p; p++) {
        if (*p != '\\') {
            g_string_append_c(out, *p);
            continue;
        }
        p++;
        switch (*p) {
        case 'n': g_string_append_c(out, '\n'); break;
        case 't': g_string_append_c(out, '\t'); break;
        case 'r': g_string_append_c(out, '\r'); break;
        case 's': g_string_append_c(out, ' '); break;
        case '\\': g_string_append_c(out, '\\'); break;
        case ';': case ',': g_string_append_c(out, *p); break;
        default: return false;   /* includes the NUL of a trailing backslash */
        }
    }
    return true;
}

/* The string value of @key (NULL when absent); false with *error when it is malformed or over
 * @max bytes. */
static bool get_string(GKeyFile *kf, const char *key, size_t max, char **out, char **error)
{
    *out = NULL;
    char *raw = g_key_file_get_value(kf, VV_GROUP, key, NULL);
    if (raw == NULL) {
        return true;
    }
    if (!g_utf8_validate(raw, -1, NULL)) {
        *error = g_strdup_printf("%s= is not valid UTF-8 text", key);
        g_free(raw);
        return false;
    }
    GString *value = g_string_sized_new(strlen(raw));
    bool ok = unescape(raw, value);
    g_free(raw);
    if (!ok) {
        *error = g_strdup_printf("%s= has a bad backslash escape (\\n, \\t, \\s, \\\\ are allowed)", key);
    } else if (value->len > max) {
        *error = g_strdup_printf("%s= is %zu bytes long, over our limit of %zu (is the file damaged?)",
                                 key, value->len, max);
        ok = false;
    }
    if (!ok) {
        g_string_free(value, TRUE);
        return false;
    }
    *out = g_string_free(value, FALSE);
    return true;
}

/* An integer in [0, @max] written in decimal (-1 reads as 0); absent keys leave *out alone. */
static bool get_uint(GKeyFile *kf, const char *key, unsigned max, unsigned *out, char **error)
{
    char *text;
    if (!get_string(kf, key, 32, &text, error)) {
        return false;
    }
    if (text == NULL) {
        return true;
    }
    char *stripped = g_strstrip(text);
    if (strcmp(stripped, "-1") == 0) {
        /* oVirt writes port=-1 for "no such port". */
        *out = 0;
        g_free(text);
        return true;
    }
    guint64 v = 0;
    GError *e = NULL;
    bool ok = g_ascii_string_to_unsigned(stripped, 10, 0, max, &v, &e);
    if (!ok) {
        *error = g_strdup_printf("%s=%s is not a number from 0 to %u", key, stripped, max);
        g_clear_error(&e);
    } else {
        *out = (unsigned)v;
    }
    g_free(text);
    return ok;
}

/* remote-viewer writes 0/1; GKeyFile's own booleans (true/false) are taken too. */
static bool get_flag(GKeyFile *kf, const char *key, bool *out, char **error)
{
    char *text;
    if (!get_string(kf, key, 32, &text, error)) {
        return false;
    }
    if (text == NULL) {
        return true;
    }
    char *v = g_strstrip(text);
    bool ok = true;
    if (strcmp(v, "1") == 0 || g_ascii_strcasecmp(v, "true") == 0) {
        *out = true;
    } else if (strcmp(v, "0") == 0 || g_ascii_strcasecmp(v, "false") == 0) {
        *out = false;
    } else {
        *error = g_strdup_printf("%s=%s is not 0 or 1", key, v);
        ok = false;
    }
    g_free(text);
    return ok;
}

static int channel_type_of(const char *name)
{
    static const struct { const char *name; int type; } names[] = {
        { "main", SPICE_CHANNEL_MAIN }, { "display", SPICE_CHANNEL_DISPLAY },
        { "inputs", SPICE_CHANNEL_INPUTS }, { "cursor", SPICE_CHANNEL_CURSOR },
        { "playback", SPICE_CHANNEL_PLAYBACK }, { "record", SPICE_CHANNEL_RECORD },
        { "tunnel", SPICE_CHANNEL_TUNNEL }, { "smartcard", SPICE_CHANNEL_SMARTCARD },
        { "usbredir", SPICE_CHANNEL_USBREDIR }, { "port", SPICE_CHANNEL_PORT },
        { "webdav", SPICE_CHANNEL_WEBDAV },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strcmp(name, names[i].name) == 0) {
            return names[i].type;
        }
    }
    return -1;
}

/* secure-channels=main;inputs (a GKeyFile list; "all" means every channel). */
static bool get_channels(GKeyFile *kf, const char *key, uint32_t *mask, char **error)
{
    char *text;
    if (!get_string(kf, key, VV_MAX_STRING, &text, error)) {
        return false;
    }
    if (text == NULL) {
        return true;
    }
    char **names = g_strsplit_set(text, ";,", -1);
    bool ok = true;
    for (char **n = names; *n && ok; n++) {
        char *name = g_strstrip(*n);
        if (*name == '\0') {
            continue;
        }
        if (strcmp(name, "all") == 0) {
            *mask = 0xfffffffeu;   /* every channel type (bit 0 is no channel) */
            continue;
        }
        int type = channel_type_of(name);
        if (type < 0) {
            *error = g_strdup_printf("%s= names an unknown channel '%s' (main, display, inputs, "
                                     "cursor, playback, record, smartcard, usbredir, port, "
                                     "webdav or all)", key, name);
            ok = false;
        } else {
            *mask |= 1u << type;
        }
    }
    g_strfreev(names);
    g_free(text);
    return ok;
}

bool vv_file_parse(const char *data, size_t size, VvFile *out, char **error)
{
    memset(out, 0, sizeof(*out));
    *error = NULL;
    if (size > VV_FILE_MAX_BYTES) {
        *error = g_strdup_printf("the file is %zu bytes, over our limit of %u (a .vv file is a "
                                 "few KiB)", size, VV_FILE_MAX_BYTES);
        return false;
    }
    if (data == NULL || size == 0) {
        *error = g_strdup("the file is empty");
        return false;
    }
    if (memchr(data, '\0', size) != NULL) {
        *error = g_strdup("the file holds a NUL byte: it is not a .vv text file");
        return false;
    }
    GKeyFile *kf = g_key_file_new();
    GError *e = NULL;
    bool ok = false;
    unsigned port = 0, tls_port = 0;
    char *type = NULL, *proxy = NULL;
    if (!g_key_file_load_from_data(kf, data, size, G_KEY_FILE_NONE, &e)) {
        *error = g_strdup_printf("not a key file: %s", e->message);
        g_error_free(e);
        goto done;
    }
    if (!g_key_file_has_group(kf, VV_GROUP)) {
        *error = g_strdup("no [" VV_GROUP "] group: not a remote-viewer connection file");
        goto done;
    }
    if (!get_string(kf, "type", 32, &type, error)) {
        goto done;
    }
    if (type == NULL || strcmp(type, "spice") != 0) {
        *error = g_strdup_printf("type=%s: this viewer speaks SPICE only (type=spice)",
                                 type ? type : "(missing)");
        goto done;
    }
    if (!get_string(kf, "proxy", VV_MAX_STRING, &proxy, error)) {
        goto done;
    }
    if (proxy != NULL && *proxy != '\0') {
        *error = g_strdup_printf("proxy=%s: connecting through an HTTP proxy is not supported; "
                                 "remove the key to connect directly", proxy);
        goto done;
    }
    if (!get_string(kf, "host", 255, &out->host, error)
        || !get_uint(kf, "port", 65535, &port, error)
        || !get_uint(kf, "tls-port", 65535, &tls_port, error)
        || !get_string(kf, "password", VV_MAX_STRING, &out->password, error)
        || !get_string(kf, "ca", VV_MAX_CA, &out->ca, error)
        || !get_string(kf, "host-subject", VV_MAX_STRING, &out->host_subject, error)
        || !get_string(kf, "title", VV_MAX_STRING, &out->title, error)
        || !get_flag(kf, "fullscreen", &out->fullscreen, error)
        || !get_flag(kf, "delete-this-file", &out->delete_this_file, error)
        || !get_channels(kf, "secure-channels", &out->secure_channels, error)) {
        goto done;
    }
    out->port = (uint16_t)port;
    out->tls_port = (uint16_t)tls_port;
    if (out->host == NULL || *out->host == '\0') {
        *error = g_strdup("no host= (the server's name or address)");
        goto done;
    }
    if (out->port == 0 && out->tls_port == 0) {
        *error = g_strdup("neither port= nor tls-port= is set (from 1 to 65535)");
        goto done;
    }
    if (out->secure_channels != 0 && out->tls_port == 0) {
        *error = g_strdup("secure-channels= needs tls-port=");
        goto done;
    }
    ok = true;
done:
    g_free(type);
    g_free(proxy);
    g_key_file_free(kf);
    if (!ok) {
        vv_file_clear(out);
    }
    return ok;
}

bool vv_file_load(const char *path, VvFile *out, char **error)
{
    memset(out, 0, sizeof(*out));
    *error = NULL;
    GError *e = NULL;
    GMappedFile *map = g_mapped_file_new(path, FALSE, &e);
    if (map == NULL) {
        *error = g_strdup_printf("cannot read %s: %s", path, e->message);
        g_error_free(e);
        return false;
    }
    char *inner = NULL;
    bool ok = vv_file_parse(g_mapped_file_get_contents(map), g_mapped_file_get_length(map), out,
                            &inner);
    g_mapped_file_unref(map);
    if (!ok) {
        *error = g_strdup_printf("%s: %s", path, inner);
        g_free(inner);
    }
    return ok;
}
