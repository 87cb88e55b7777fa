/* viewer-target: what spice-viewer connects to, from a URI, a .vv file or a libvirt domain. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "client/spice-client.h"

/*
 * Everything a session needs to reach the server, whatever named it. Strings are g_malloc'd and
 * owned (viewer_target_clear). The command line's --password, --ca-file and --host-subject
 * override what the source said.
 */
typedef struct ViewerTarget {
    char *host;               /* NULL with unix_path */
    uint16_t port, tls_port;  /* 0: none */
    char *unix_path;
    char *password;
    char *ca_file;
    char *ca_pem;             /* a .vv file's inline CA */
    char *host_subject;
    uint32_t secure_channels; /* 1u << SPICE_CHANNEL_* */
    char *title;              /* a .vv file's title, or the libvirt domain's name */
    bool fullscreen;          /* a .vv file's fullscreen=1 */
    char *label;              /* "host:port", "host:tlsport (TLS)", "unix:PATH" */
} ViewerTarget;

typedef enum ViewerTargetFailure {
    VIEWER_TARGET_BAD_INPUT,    /* a malformed URI or .vv file: exit as a usage error */
    VIEWER_TARGET_UNREACHABLE,  /* libvirt or its domain: exit as a connect error */
} ViewerTargetFailure;

/*
 * @arg is a URI (spice://, spice+tls://, spice+unix://) or the path of a .vv file; with
 * @libvirt_uri it is the domain (name, UUID or id) instead. A .vv file with delete-this-file=1
 * is deleted once read, as remote-viewer does. False with *error (g_malloc'd) and *failure.
 */
bool viewer_target_resolve(const char *arg, const char *libvirt_uri, ViewerTarget *out,
                           char **error, ViewerTargetFailure *failure);
/* Command-line overrides (NULL keeps the target's own). */
void viewer_target_override(ViewerTarget *t, const char *password, const char *ca_file,
                            const char *host_subject);
/* A new, not yet connected session for @t; @password replaces the target's unless NULL. */
SpiceClientSession *viewer_target_new_session(const ViewerTarget *t, const char *password);
void viewer_target_clear(ViewerTarget *t);
