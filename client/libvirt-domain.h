/* libvirt-domain: where a libvirt domain's SPICE display listens (virt-viewer's --connect URI DOMAIN). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * The first <graphics type='spice'> of a domain's XML. Strings are g_malloc'd, owned by the
 * struct (libvirt_spice_graphics_clear frees them), NULL when absent.
 */
typedef struct LibvirtSpiceGraphics {
    int port;            /* -1: none or not allocated yet (autoport on a stopped domain) */
    int tls_port;        /* -1: none */
    bool autoport;
    char *listen;        /* the listen address (the attribute, or <listen type='address'>) */
    char *socket;        /* <listen type='socket' socket='PATH'>: a unix socket */
    bool listen_none;    /* <listen type='none'>: no way in from outside QEMU */
    char *password;      /* passwd= (only in XML read with VIR_DOMAIN_XML_SECURE) */
} LibvirtSpiceGraphics;

/*
 * Parses domain XML. False with *error (g_malloc'd) when the XML is malformed or has no SPICE
 * graphics (the message names the fix: add <graphics type='spice'/>).
 */
bool libvirt_spice_graphics_parse(const char *xml, LibvirtSpiceGraphics *out, char **error);
void libvirt_spice_graphics_clear(LibvirtSpiceGraphics *g);

/* Where to connect, in the viewer's terms. Strings g_malloc'd (libvirt_target_clear). */
typedef struct LibvirtTarget {
    char *host;          /* NULL with unix_path */
    uint16_t port, tls_port;
    char *unix_path;
    char *password;
    char *name;          /* the domain's name (for titles) */
} LibvirtTarget;

/*
 * Opens @uri (e.g. qemu:///system, test:///path/node.xml), finds @domain by name, UUID or id,
 * checks that it runs, reads its live XML and resolves the address: a wildcard or missing listen
 * address means the URI's host (or localhost), as virt-viewer does. False with *error naming the
 * cause and the fix (libvirt unreachable, no such domain, not running, no SPICE graphics).
 * Available only when built with libvirt (otherwise it always fails saying so).
 */
bool libvirt_domain_lookup(const char *uri, const char *domain, LibvirtTarget *out, char **error);
void libvirt_target_clear(LibvirtTarget *t);
