/* viewer-window: the GTK3 window of spice-viewer (display, menus, fullscreen, zoom, grab, reconnect). */
#pragma once

#include <glib.h>

#include "client/spice-client.h"

/*
 * Makes a new, not yet connected session for the server the user named, with @password (NULL:
 * none). The window calls it for the first connection and again for every reconnect or password
 * retry; the caller (main.c) keeps every other setting (compression, TLS, ...) in @user.
 */
typedef SpiceClientSession *(*ViewerSessionFactory)(const char *password, void *user);

/* The window's command-line options; the strings are g_malloc'd by GOption. */
typedef struct ViewerWindowOptions {
    gboolean full_screen;
    int zoom_pct;          /* 0: scale to the window (default); 10-400: that zoom */
    char *title;           /* NULL: the server's address */
    char *hotkeys;         /* "release-cursor=ctrl+alt,toggle-fullscreen=f11,..." or NULL */
} ViewerWindowOptions;

/* GOption entries (--full-screen, --zoom, --title, --hotkeys) that fill @opts; the array is
 * static and the entries point into @opts, which must outlive option parsing. */
const GOptionEntry *viewer_window_option_entries(ViewerWindowOptions *opts);
void viewer_window_options_clear(ViewerWindowOptions *opts);

/*
 * Opens the window (gtk_init_check on $DISPLAY) and runs until the user quits. @server_label
 * names the server in titles and messages ("127.0.0.1:5900"). Returns the process exit status:
 * 0 when the user quit, 1 when there is no display, 3 when the password dialog was cancelled.
 */
int viewer_window_run(const ViewerWindowOptions *opts, const char *server_label,
                      const char *password, ViewerSessionFactory factory, void *factory_user);
