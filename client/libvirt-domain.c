/* libvirt-domain: reads a libvirt domain's SPICE graphics (GMarkup) and looks the domain up (libvirt). */
#include "client/libvirt-domain.h"

#include <stdlib.h>
#include <string.h>

#include <glib.h>
#ifdef HAVE_LIBVIRT
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#endif

/* ---- the XML ---- */

typedef struct GraphicsParse {
    LibvirtSpiceGraphics *out;
    int depth;             /* element depth; domain = 1 */
    int devices_depth;     /* depth of the open <devices>, 0 when none */
    int graphics_depth;    /* depth of the open spice <graphics>, 0 when none */
    bool found;
    bool bad_port;
} GraphicsParse;

static const char *attr(const char **names, const char **values, const char *name)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], name) == 0) {
            return values[i];
        }
    }
    return NULL;
}

/* A port attribute: -1 for none or "-1"; false for anything that is not 1..65535 or -1. */
static bool parse_port_attr(const char *text, int *out)
{
    if (text == NULL || strcmp(text, "-1") == 0 || strcmp(text, "0") == 0) {
        *out = -1;
        return true;
    }
    guint64 v;
    if (!g_ascii_string_to_unsigned(text, 10, 1, 65535, &v, NULL)) {
        return false;
    }
    *out = (int)v;
    return true;
}

static void on_start(GMarkupParseContext *ctx, const char *element, const char **names,
                     const char **values, gpointer user, GError **error)
{
    GraphicsParse *p = user;
    p->depth++;
    if (p->depth == 2 && p->devices_depth == 0 && strcmp(element, "devices") == 0) {
        p->devices_depth = p->depth;
        return;
    }
    if (p->devices_depth != 0 && p->depth == p->devices_depth + 1 && !p->found
        && strcmp(element, "graphics") == 0) {
        const char *type = attr(names, values, "type");
        if (type == NULL || strcmp(type, "spice") != 0) {
            return;
        }
        p->found = true;
        p->graphics_depth = p->depth;
        LibvirtSpiceGraphics *g = p->out;
        if (!parse_port_attr(attr(names, values, "port"), &g->port)
            || !parse_port_attr(attr(names, values, "tlsPort"), &g->tls_port)) {
            p->bad_port = true;
        }
        const char *autoport = attr(names, values, "autoport");
        g->autoport = autoport != NULL && strcmp(autoport, "yes") == 0;
        const char *listen = attr(names, values, "listen");
        if (listen != NULL && *listen != '\0') {
            g->listen = g_strdup(listen);
        }
        const char *passwd = attr(names, values, "passwd");
        if (passwd != NULL) {
            g->password = g_strdup(passwd);
        }
        return;
    }
    if (p->graphics_depth != 0 && p->depth == p->graphics_depth + 1 && strcmp(element, "listen") == 0) {
        LibvirtSpiceGraphics *g = p->out;
        const char *type = attr(names, values, "type");
        if (type == NULL) {
            return;
        }
        if (strcmp(type, "address") == 0) {
            const char *address = attr(names, values, "address");
            if (address != NULL && *address != '\0' && g->listen == NULL) {
                g->listen = g_strdup(address);
            }
        } else if (strcmp(type, "socket") == 0) {
            const char *path = attr(names, values, "socket");
            if (path != NULL && *path != '\0' && g->socket == NULL) {
                g->socket = g_strdup(path);
            }
        } else if (strcmp(type, "none") == 0) {
            g->listen_none = true;
        }
    }
}

static void on_end(GMarkupParseContext *ctx, const char *element, gpointer user, GError **error)
{
    GraphicsParse *p = user;
    if (p->depth == p->graphics_depth) {
        p->graphics_depth = 0;
    }
    if (p->depth == p->devices_depth) {
        p->devices_depth = 0;
    }
    p->depth--;
}

void libvirt_spice_graphics_clear(LibvirtSpiceGraphics *g)
{
    if (g->password) {
        memset(g->password, 0, strlen(g->password));
    }
    g_free(g->listen);
    g_free(g->socket);
    g_free(g->password);
    memset(g, 0, sizeof(*g));
    g->port = -1;
    g->tls_port = -1;
}

bool libvirt_spice_graphics_parse(const char *xml, LibvirtSpiceGraphics *out, char **error)
{
    memset(out, 0, sizeof(*out));
    out->port = -1;
    out->tls_port = -1;
    *error = NULL;
    GraphicsParse p = { .out = out };
    GMarkupParser parser = { .start_element = on_start, .end_element = on_end };
    GMarkupParseContext *ctx = g_markup_parse_context_new(&parser, 0, &p, NULL);
    GError *e = NULL;
    bool ok = g_markup_parse_context_parse(ctx, xml, -1, &e)
              && g_markup_parse_context_end_parse(ctx, &e);
    g_markup_parse_context_free(ctx);
    if (!ok) {
        *error = g_strdup_printf("the domain XML is malformed: %s", e->message);
        g_error_free(e);
    } else if (!p.found) {
        *error = g_strdup("the domain has no SPICE display (add <graphics type='spice'/> to its "
                          "<devices> with virsh edit)");
        ok = false;
    } else if (p.bad_port) {
        *error = g_strdup("the domain's SPICE graphics has a port outside 1..65535");
        ok = false;
    }
    if (!ok) {
        libvirt_spice_graphics_clear(out);
    }
    return ok;
}

void libvirt_target_clear(LibvirtTarget *t)
{
    if (t->password) {
        memset(t->password, 0, strlen(t->password));
    }
    g_free(t->host);
    g_free(t->unix_path);
    g_free(t->password);
    g_free(t->name);
    memset(t, 0, sizeof(*t));
}

/* ---- libvirt ---- */

#ifdef HAVE_LIBVIRT

static char *last_libvirt_error(void)
{
    const virError *err = virGetLastError();
    char *text = g_strdup(err && err->message ? err->message : "unknown libvirt error");
    virResetLastError();
    return text;
}

/* libvirt prints its errors to stderr by default; we report them once, in our words. */
static void quiet_errors(void *user, virErrorPtr error)
{
}

static virDomainPtr find_domain(virConnectPtr conn, const char *domain)
{
    virDomainPtr dom = virDomainLookupByName(conn, domain);
    if (dom == NULL) {
        dom = virDomainLookupByUUIDString(conn, domain);
    }
    if (dom == NULL) {
        guint64 id;
        if (g_ascii_string_to_unsigned(domain, 10, 0, G_MAXINT, &id, NULL)) {
            dom = virDomainLookupByID(conn, (int)id);
        }
    }
    virResetLastError();
    return dom;
}

/* The host of a libvirt URI (qemu+ssh://user@host/system -> host), or NULL when local. */
static char *uri_host(const char *uri)
{
    GUri *parsed = g_uri_parse(uri, G_URI_FLAGS_NONE, NULL);
    if (parsed == NULL) {
        return NULL;
    }
    const char *host = g_uri_get_host(parsed);
    char *copy = host && *host ? g_strdup(host) : NULL;
    g_uri_unref(parsed);
    return copy;
}

static bool is_wildcard(const char *address)
{
    return strcmp(address, "0.0.0.0") == 0 || strcmp(address, "::") == 0
           || strcmp(address, "[::]") == 0;
}

bool libvirt_domain_lookup(const char *uri, const char *domain, LibvirtTarget *out, char **error)
{
    memset(out, 0, sizeof(*out));
    *error = NULL;
    virSetErrorFunc(NULL, quiet_errors);
    virConnectPtr conn = virConnectOpenAuth(uri, virConnectAuthPtrDefault, 0);
    bool read_only = false;
    if (conn == NULL) {
        virResetLastError();
        conn = virConnectOpenReadOnly(uri);
        read_only = true;
    }
    if (conn == NULL) {
        char *why = last_libvirt_error();
        *error = g_strdup_printf("cannot connect to libvirt at %s: %s (is libvirtd running? is "
                                 "the URI right? virsh -c %s list should work)", uri, why, uri);
        g_free(why);
        return false;
    }
    bool ok = false;
    char *xml = NULL;
    LibvirtSpiceGraphics g = { .port = -1, .tls_port = -1 };
    virDomainPtr dom = find_domain(conn, domain);
    if (dom == NULL) {
        *error = g_strdup_printf("libvirt at %s has no domain '%s' (by name, UUID or id; virsh -c "
                                 "%s list --all shows them)", uri, domain, uri);
        goto done;
    }
    const char *name = virDomainGetName(dom);
    out->name = g_strdup(name ? name : domain);
    int active = virDomainIsActive(dom);
    if (active != 1) {
        *error = g_strdup_printf("domain '%s' is not running (start it: virsh -c %s start %s)",
                                 out->name, uri, out->name);
        goto done;
    }
    /* The password is only in the secure XML, which a read-only connection may not read. */
    xml = read_only ? NULL : virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_SECURE);
    if (xml == NULL) {
        virResetLastError();
        xml = virDomainGetXMLDesc(dom, 0);
    }
    if (xml == NULL) {
        char *why = last_libvirt_error();
        *error = g_strdup_printf("cannot read the XML of domain '%s': %s", out->name, why);
        g_free(why);
        goto done;
    }
    char *parse_error = NULL;
    if (!libvirt_spice_graphics_parse(xml, &g, &parse_error)) {
        *error = g_strdup_printf("domain '%s': %s", out->name, parse_error);
        g_free(parse_error);
        goto done;
    }
    out->password = g_strdup(g.password);
    if (g.socket != NULL) {
        out->unix_path = g_strdup(g.socket);
        ok = true;
        goto done;
    }
    if (g.listen_none) {
        *error = g_strdup_printf("domain '%s' has SPICE graphics with <listen type='none'/>: "
                                 "nothing outside QEMU can connect (give it a listen address)",
                                 out->name);
        goto done;
    }
    if (g.port <= 0 && g.tls_port <= 0) {
        *error = g_strdup_printf("domain '%s' has SPICE graphics but no port yet (autoport: "
                                 "is it really running? virsh -c %s domdisplay %s)",
                                 out->name, uri, out->name);
        goto done;
    }
    out->port = g.port > 0 ? (uint16_t)g.port : 0;
    out->tls_port = g.tls_port > 0 ? (uint16_t)g.tls_port : 0;
    if (g.listen != NULL && !is_wildcard(g.listen)) {
        out->host = g_strdup(g.listen);
    } else {
        out->host = uri_host(uri);
        if (out->host == NULL) {
            out->host = g_strdup("localhost");
        }
    }
    ok = true;
done:
    libvirt_spice_graphics_clear(&g);
    free(xml);
    if (dom != NULL) {
        virDomainFree(dom);
    }
    virConnectClose(conn);
    if (!ok) {
        libvirt_target_clear(out);
    }
    return ok;
}

#else

bool libvirt_domain_lookup(const char *uri, const char *domain, LibvirtTarget *out, char **error)
{
    memset(out, 0, sizeof(*out));
    *error = g_strdup("this spice-viewer was built without libvirt: --connect is not available "
                      "(install libvirt-dev and rebuild)");
    return false;
}

#endif
