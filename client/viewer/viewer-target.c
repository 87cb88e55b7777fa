/* viewer-target: turns a URI, a .vv file or a libvirt domain into one connection target. */
#include "viewer-target.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "client/libvirt-domain.h"
#include "client/vv-file.h"
#include "uri.h"

static void replace(char **slot, const char *value)
{
    if (value != NULL) {
        g_free(*slot);
        *slot = g_strdup(value);
    }
}

static void set_label(ViewerTarget *t)
{
    g_free(t->label);
    if (t->unix_path != NULL) {
        t->label = g_strdup_printf("unix:%s", t->unix_path);
    } else if (t->port != 0) {
        t->label = g_strdup_printf("%s:%u", t->host, t->port);
    } else {
        t->label = g_strdup_printf("%s:%u (TLS)", t->host, t->tls_port);
    }
}

static bool from_uri(const char *text, ViewerTarget *out, char **error)
{
    SpiceUri uri;
    if (!spice_uri_parse(text, &uri, error)) {
        return false;
    }
    out->host = g_strdup(uri.host);
    out->port = uri.port;
    out->tls_port = uri.tls_port;
    out->unix_path = g_strdup(uri.unix_path);
    out->password = g_strdup(uri.password);
    spice_uri_clear(&uri);
    return true;
}

static bool from_vv(const char *path, ViewerTarget *out, char **error)
{
    VvFile vv;
    if (!vv_file_load(path, &vv, error)) {
        return false;
    }
    if (vv.delete_this_file && g_unlink(path) != 0) {
        g_warning("%s asks to be deleted once read, but: %s", path, g_strerror(errno));
    }
    out->host = g_strdup(vv.host);
    out->port = vv.port;
    out->tls_port = vv.tls_port;
    out->password = g_strdup(vv.password);
    out->ca_pem = g_strdup(vv.ca);
    out->host_subject = g_strdup(vv.host_subject);
    out->secure_channels = vv.secure_channels;
    out->title = g_strdup(vv.title);
    out->fullscreen = vv.fullscreen;
    vv_file_clear(&vv);
    return true;
}

static bool from_libvirt(const char *uri, const char *domain, ViewerTarget *out, char **error)
{
    LibvirtTarget lt;
    if (!libvirt_domain_lookup(uri, domain, &lt, error)) {
        return false;
    }
    out->host = g_strdup(lt.host);
    out->port = lt.port;
    out->tls_port = lt.tls_port;
    out->unix_path = g_strdup(lt.unix_path);
    out->password = g_strdup(lt.password);
    out->title = g_strdup(lt.name);
    libvirt_target_clear(&lt);
    return true;
}

bool viewer_target_resolve(const char *arg, const char *libvirt_uri, ViewerTarget *out,
                           char **error, ViewerTargetFailure *failure)
{
    memset(out, 0, sizeof(*out));
    *error = NULL;
    bool ok;
    if (libvirt_uri != NULL) {
        *failure = VIEWER_TARGET_UNREACHABLE;
        ok = from_libvirt(libvirt_uri, arg, out, error);
    } else if (strstr(arg, "://") != NULL) {
        *failure = VIEWER_TARGET_BAD_INPUT;
        ok = from_uri(arg, out, error);
    } else {
        *failure = VIEWER_TARGET_BAD_INPUT;
        ok = from_vv(arg, out, error);
    }
    if (!ok) {
        viewer_target_clear(out);
        return false;
    }
    set_label(out);
    return true;
}

void viewer_target_override(ViewerTarget *t, const char *password, const char *ca_file,
                            const char *host_subject)
{
    replace(&t->password, password);
    replace(&t->ca_file, ca_file);
    replace(&t->host_subject, host_subject);
}

SpiceClientSession *viewer_target_new_session(const ViewerTarget *t, const char *password)
{
    const char *pw = password ? password : t->password;
    SpiceClientSession *s = t->unix_path != NULL ? spice_client_session_new_unix(t->unix_path, pw)
                                                 : spice_client_session_new(t->host, t->port, pw);
    spice_client_session_set_tls_port(s, t->tls_port);
    spice_client_session_set_ca_file(s, t->ca_file);
    spice_client_session_set_ca_pem(s, t->ca_pem);
    spice_client_session_set_host_subject(s, t->host_subject);
    spice_client_session_set_secure_channels(s, t->secure_channels);
    return s;
}

void viewer_target_clear(ViewerTarget *t)
{
    if (t->password) {
        memset(t->password, 0, strlen(t->password));
    }
    g_free(t->host);
    g_free(t->unix_path);
    g_free(t->password);
    g_free(t->ca_file);
    g_free(t->ca_pem);
    g_free(t->host_subject);
    g_free(t->title);
    g_free(t->label);
    memset(t, 0, sizeof(*t));
}
