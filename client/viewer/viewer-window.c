/* viewer-window: the GTK3 window of spice-viewer (display, menus, fullscreen, zoom, grab, reconnect). */
#include "viewer-window.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <gtk/gtk.h>
#ifdef GDK_WINDOWING_X11
#include <gdk/gdkx.h>
#endif

#include "display-widget.h"
#include "viewer-keys.h"

#define ZOOM_STEP 10
#define RECONNECT_FIRST_S 1
#define RECONNECT_MAX_S 16

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_AUTH = 3 };

typedef enum LinkState {
    LINK_CONNECTING,
    LINK_CONNECTED,
    LINK_WAITING,     /* lost; a reconnect is scheduled */
    LINK_STOPPED,     /* an error no retry can fix; shown until the user quits */
} LinkState;

typedef struct Viewer {
    const ViewerWindowOptions *opts;
    const char *server_label;
    char *name;                     /* --title, else the VM's name, else the server's address */
    bool name_from_server;          /* name came from MAIN_NAME */
    char *password;                 /* owned; NULL: none */
    ViewerSessionFactory factory;
    void *factory_user;
    ViewerHotkeys *hotkeys;

    SpiceClientSession *session;    /* owned */
    LinkState link;
    bool ever_connected;
    bool sized_once;                /* the window was fitted to the guest once */
    bool fit_pending;               /* a fit came while full screen: do it on leaving */
    unsigned retry_delay_s;
    unsigned countdown_s;
    guint retry_timer;
    guint failure_idle;
    guint notice_timer;             /* hides a passing notice */
    char *last_error;               /* owned: the library's message of the last failure */

    GtkWidget *window;
    GtkWidget *menubar;
    GtkWidget *status;              /* overlay label */
    GtkWidget *status_box;
    GtkWidget *fullscreen_item;
    GtkWidget *scale_item;
    DisplayWidget *display;
    bool fullscreen;
    bool emulated_fullscreen;       /* no window manager did it for us */
    int saved_zoom;                 /* the zoom before full screen */
    GdkRectangle saved_geometry;    /* the window before emulated full screen */
    bool updating_menu;             /* set while we sync check items, to ignore their signal */
    int exit_code;
    GtkDialog *dialog;              /* borrowed: the modal dialog running now, if any */
    bool quitting;                  /* a signal asked us to quit */
} Viewer;

/* gtk_dialog_run, remembered so a signal can close the dialog (its loop would keep us up). */
static int run_dialog(Viewer *v, GtkWidget *d)
{
    GtkDialog *outer = v->dialog;
    v->dialog = GTK_DIALOG(d);
    int response = v->quitting ? GTK_RESPONSE_DELETE_EVENT : gtk_dialog_run(GTK_DIALOG(d));
    v->dialog = outer;
    return response;
}

static void start_session(Viewer *v);

/* ---- options ---- */

const GOptionEntry *viewer_window_option_entries(ViewerWindowOptions *opts)
{
    static GOptionEntry entries[5];
    GOptionEntry filled[] = {
        { "full-screen", 'f', 0, G_OPTION_ARG_NONE, &opts->full_screen, "Open full screen (F11 toggles)", NULL },
        { "zoom", 'z', 0, G_OPTION_ARG_INT, &opts->zoom_pct,
          "Zoom in percent, 10-400 (default: scale the picture to the window)", "PCT" },
        { "title", 't', 0, G_OPTION_ARG_STRING, &opts->title, "Window title (default: the server address)", "T" },
        { "hotkeys", 'H', 0, G_OPTION_ARG_STRING, &opts->hotkeys,
          "Hotkeys, e.g. release-cursor=ctrl+alt+x,toggle-fullscreen=shift+f11 (actions: toggle-fullscreen, "
          "release-cursor, zoom-in, zoom-out, zoom-reset, secure-attention, screenshot; an empty key list "
          "disables one)", "ACTION=KEYS,..." },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    memcpy(entries, filled, sizeof(filled));
    return entries;
}

void viewer_window_options_clear(ViewerWindowOptions *opts)
{
    g_clear_pointer(&opts->title, g_free);
    g_clear_pointer(&opts->hotkeys, g_free);
}

/* ---- title and status ---- */

static void update_title(Viewer *v)
{
    const char *vm_name = v->session ? spice_client_session_get_name(v->session) : NULL;
    if (v->opts->title == NULL && vm_name != NULL && *vm_name != '\0'
        && (!v->name_from_server || strcmp(vm_name, v->name) != 0)) {
        /* remote-viewer's precedence: --title, then the guest's name, then the address. */
        g_free(v->name);
        v->name = g_strdup(vm_name);
        v->name_from_server = true;
    }
    GString *t = g_string_new(NULL);
    g_string_append_printf(t, "%s - spice-viewer", v->name);
    switch (v->link) {
    case LINK_CONNECTING: g_string_append(t, " (connecting)"); break;
    case LINK_WAITING: g_string_append(t, " (reconnecting)"); break;
    case LINK_STOPPED: g_string_append(t, " (disconnected)"); break;
    case LINK_CONNECTED: break;
    }
    int zoom = display_widget_get_zoom(v->display);
    if (zoom != 0 && zoom != 100) {
        g_string_append_printf(t, " [%d%%]", zoom);
    }
    if (display_widget_grabbed(v->display)) {
        char *hint = viewer_hotkeys_label(v->hotkeys, VIEWER_ACTION_RELEASE_CURSOR);
        if (hint != NULL) {
            g_string_append_printf(t, " (Press %s to release)", hint);
        }
        g_free(hint);
    }
    gtk_window_set_title(GTK_WINDOW(v->window), t->str);
    g_string_free(t, TRUE);
}

static void show_status(Viewer *v, const char *text)
{
    if (text == NULL) {
        gtk_widget_hide(v->status_box);
        return;
    }
    gtk_label_set_text(GTK_LABEL(v->status), text);
    gtk_widget_show(v->status_box);
}

/* ---- zoom and fullscreen ---- */

/* Resizes the window so the display area gets the guest's size at the current zoom. */
static void fit_window_to_guest(Viewer *v)
{
    int gw, gh;
    if (!display_widget_guest_size(v->display, &gw, &gh)) {
        return;
    }
    if (v->fullscreen) {
        v->fit_pending = true;
        return;
    }
    v->fit_pending = false;
    int zoom = display_widget_get_zoom(v->display);
    if (zoom > 0) {
        gw = gw * zoom / 100;
        gh = gh * zoom / 100;
    }
    /* The only chrome is the menu bar (asked, not measured: right after full screen the
     * allocation still has the old size). */
    int chrome_w = 0, chrome_h = 0;
    if (gtk_widget_get_visible(v->menubar)) {
        gtk_widget_get_preferred_height(v->menubar, NULL, &chrome_h);
    }
    GdkRectangle work = { 0, 0, 4096, 4096 };
    GdkWindow *gw_win = gtk_widget_get_window(v->window);
    if (gw_win != NULL) {
        GdkMonitor *mon = gdk_display_get_monitor_at_window(gdk_window_get_display(gw_win), gw_win);
        if (mon != NULL) {
            gdk_monitor_get_workarea(mon, &work);
        }
    }
    gtk_window_resize(GTK_WINDOW(v->window), MIN(gw + chrome_w, work.width), MIN(gh + chrome_h, work.height));
}

static void sync_view_menu(Viewer *v)
{
    v->updating_menu = true;
    gtk_check_menu_item_set_active(GTK_CHECK_MENU_ITEM(v->fullscreen_item), v->fullscreen);
    gtk_check_menu_item_set_active(GTK_CHECK_MENU_ITEM(v->scale_item), display_widget_get_zoom(v->display) == 0);
    v->updating_menu = false;
}

static void set_zoom(Viewer *v, int zoom)
{
    display_widget_set_zoom(v->display, zoom);
    sync_view_menu(v);
    update_title(v);
    if (zoom > 0) {
        /* Shrinks too: the area's size request follows the zoom. */
        gtk_window_resize(GTK_WINDOW(v->window), 1, 1);
    }
}

static void zoom_step(Viewer *v, int delta)
{
    int zoom = display_widget_get_zoom(v->display);
    if (zoom == 0) {
        zoom = 100;
    }
    set_zoom(v, zoom + delta);
}

/* Full screen shows the whole picture scaled, without the menu; leaving it brings back the
 * zoom (and, emulated, the window's place and size). */
static void fullscreen_changed(Viewer *v, bool on)
{
    if (v->fullscreen == on) {
        return;
    }
    v->fullscreen = on;
    gtk_widget_set_visible(v->menubar, !on);
    if (on) {
        v->saved_zoom = display_widget_get_zoom(v->display);
        display_widget_set_zoom(v->display, 0);
    } else if (v->saved_zoom != 0) {
        display_widget_set_zoom(v->display, v->saved_zoom);
    }
    sync_view_menu(v);
}

/* Without a window manager (a bare X server, a kiosk) nobody honours _NET_WM_STATE. */
static bool wm_does_fullscreen(Viewer *v)
{
#ifdef GDK_WINDOWING_X11
    GdkScreen *screen = gtk_widget_get_screen(v->window);
    if (GDK_IS_X11_SCREEN(screen)) {
        return gdk_x11_screen_supports_net_wm_hint(screen,
                                                   gdk_atom_intern_static_string("_NET_WM_STATE_FULLSCREEN"));
    }
#endif
    return true;
}

static void set_fullscreen(Viewer *v, bool on)
{
    if (on == v->fullscreen) {
        return;
    }
    if (!v->emulated_fullscreen && wm_does_fullscreen(v)) {
        if (on) {
            gtk_window_fullscreen(GTK_WINDOW(v->window));
        } else {
            gtk_window_unfullscreen(GTK_WINDOW(v->window));
        }
        return;
    }
    GtkWindow *win = GTK_WINDOW(v->window);
    if (on) {
        gtk_window_get_position(win, &v->saved_geometry.x, &v->saved_geometry.y);
        /* The allocation is the size the window really has (get_size may still report the
         * default size when no window manager answered our resize). */
        v->saved_geometry.width = gtk_widget_get_allocated_width(v->window);
        v->saved_geometry.height = gtk_widget_get_allocated_height(v->window);
        GdkRectangle mon = { 0, 0, 1024, 768 };
        GdkWindow *gdkwin = gtk_widget_get_window(v->window);
        if (gdkwin != NULL) {
            GdkMonitor *m = gdk_display_get_monitor_at_window(gdk_window_get_display(gdkwin), gdkwin);
            if (m != NULL) {
                gdk_monitor_get_geometry(m, &mon);
            }
        }
        v->emulated_fullscreen = true;
        fullscreen_changed(v, true);
        gtk_window_move(win, mon.x, mon.y);
        gtk_window_resize(win, mon.width, mon.height);
    } else {
        v->emulated_fullscreen = false;
        fullscreen_changed(v, false);
        gtk_window_move(win, v->saved_geometry.x, v->saved_geometry.y);
        gtk_window_resize(win, v->saved_geometry.width, v->saved_geometry.height);
        if (v->fit_pending) {
            fit_window_to_guest(v);   /* started full screen: the guest's size, not the default */
        }
    }
}

static gboolean on_window_state(GtkWidget *w, GdkEventWindowState *ev, gpointer user)
{
    Viewer *v = user;
    if ((ev->changed_mask & GDK_WINDOW_STATE_FULLSCREEN) && !v->emulated_fullscreen) {
        fullscreen_changed(v, (ev->new_window_state & GDK_WINDOW_STATE_FULLSCREEN) != 0);
        if (!v->fullscreen && v->fit_pending) {
            fit_window_to_guest(v);
        }
    }
    return FALSE;
}

/* ---- screenshot ---- */

static bool save_screenshot(Viewer *v, const char *path, char **error)
{
    cairo_surface_t *snap = display_widget_snapshot(v->display);
    if (snap == NULL) {
        *error = g_strdup("there is no picture yet (wait until the guest's display shows)");
        return false;
    }
    cairo_status_t st = cairo_surface_write_to_png(snap, path);
    cairo_surface_destroy(snap);
    if (st != CAIRO_STATUS_SUCCESS) {
        *error = g_strdup_printf("cannot write %s: %s (check the folder exists and is writable)",
                                 path, cairo_status_to_string(st));
        return false;
    }
    return true;
}

static void show_error_dialog(Viewer *v, const char *primary, const char *secondary)
{
    GtkWidget *d = gtk_message_dialog_new(GTK_WINDOW(v->window), GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                          GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", primary);
    if (secondary != NULL) {
        gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(d), "%s", secondary);
    }
    run_dialog(v, d);
    gtk_widget_destroy(d);
}

static void take_screenshot(Viewer *v)
{
    display_widget_ungrab(v->display);
    GtkWidget *d = gtk_file_chooser_dialog_new("Save screenshot", GTK_WINDOW(v->window),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, "_Cancel", GTK_RESPONSE_CANCEL,
                                               "_Save", GTK_RESPONSE_ACCEPT, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_ACCEPT);
    gtk_file_chooser_set_do_overwrite_confirmation(GTK_FILE_CHOOSER(d), TRUE);
    char *cwd = g_get_current_dir();
    gtk_file_chooser_set_current_folder(GTK_FILE_CHOOSER(d), cwd);
    g_free(cwd);
    GDateTime *now = g_date_time_new_now_local();
    char *name = g_date_time_format(now, "spice-viewer-%Y%m%d-%H%M%S.png");
    g_date_time_unref(now);
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), name);
    g_free(name);
    if (run_dialog(v, d) == GTK_RESPONSE_ACCEPT) {
        char *path = gtk_file_chooser_get_filename(GTK_FILE_CHOOSER(d));
        char *error = NULL;
        gtk_widget_hide(d);
        if (path != NULL && !save_screenshot(v, path, &error)) {
            show_error_dialog(v, "Could not save the screenshot", error);
        } else if (path != NULL) {
            printf("spice-viewer: saved screenshot %s\n", path);
            fflush(stdout);
        }
        g_free(error);
        g_free(path);
    }
    gtk_widget_destroy(d);
}

/* ---- actions ---- */

static gboolean hide_notice(gpointer user)
{
    Viewer *v = user;
    v->notice_timer = 0;
    if (v->link == LINK_CONNECTED) {
        show_status(v, NULL);
    }
    return G_SOURCE_REMOVE;
}

static void send_combo(Viewer *v, const ViewerKeyCombo *combo)
{
    if (v->session == NULL || !viewer_send_combo(v->session, combo)) {
        char *text = g_strdup_printf("Cannot send %s: the guest's keyboard (inputs channel) is not "
                                     "connected yet", combo->label);
        fprintf(stderr, "spice-viewer: %s\n", text);
        if (v->link == LINK_CONNECTED) {
            show_status(v, text);
            if (v->notice_timer != 0) {
                g_source_remove(v->notice_timer);
            }
            v->notice_timer = g_timeout_add_seconds(3, hide_notice, v);
        }
        g_free(text);
    }
}

static void run_action(Viewer *v, ViewerAction action)
{
    switch (action) {
    case VIEWER_ACTION_TOGGLE_FULLSCREEN: set_fullscreen(v, !v->fullscreen); break;
    case VIEWER_ACTION_RELEASE_CURSOR: display_widget_ungrab(v->display); break;
    case VIEWER_ACTION_ZOOM_IN: zoom_step(v, ZOOM_STEP); break;
    case VIEWER_ACTION_ZOOM_OUT: zoom_step(v, -ZOOM_STEP); break;
    case VIEWER_ACTION_ZOOM_RESET: set_zoom(v, 100); break;
    case VIEWER_ACTION_SECURE_ATTENTION: send_combo(v, &viewer_key_combos(&(size_t){ 0 })[0]); break;
    case VIEWER_ACTION_SCREENSHOT: take_screenshot(v); break;
    case VIEWER_ACTION_NONE: case VIEWER_ACTION_COUNT: break;
    }
}

/* ---- keyboard: every key goes to the guest except our hotkeys ---- */

static gboolean on_key(GtkWidget *w, GdkEventKey *ev, gpointer user)
{
    Viewer *v = user;
    bool to_guest;
    ViewerAction action = viewer_hotkeys_feed(v->hotkeys, ev, &to_guest);
    if (to_guest && v->session != NULL && v->link == LINK_CONNECTED) {
        uint32_t sc = spice_client_keymap_x11_keycode_to_scancode(ev->hardware_keycode);
        if (sc != 0) {
            if (ev->type == GDK_KEY_PRESS) {
                spice_client_session_key_press(v->session, sc);
            } else {
                spice_client_session_key_release(v->session, sc);
            }
        } else {
            g_debug("key with X keycode %u has no PC scancode; not sent", ev->hardware_keycode);
        }
    }
    if (action != VIEWER_ACTION_NONE) {
        run_action(v, action);
    }
    /* Handled here, so GTK's own accelerators and mnemonics (F10, Alt+letter) never steal a
     * key from the guest. */
    return TRUE;
}

static gboolean on_focus_out(GtkWidget *w, GdkEventFocus *ev, gpointer user)
{
    Viewer *v = user;
    viewer_hotkeys_reset(v->hotkeys);
    if (v->session != NULL) {
        spice_client_session_release_all_keys(v->session);
    }
    display_widget_ungrab(v->display);
    return FALSE;
}

static gboolean on_focus_in(GtkWidget *w, GdkEventFocus *ev, gpointer user)
{
    Viewer *v = user;
    if (display_widget_pointer_inside(v->display) && v->session != NULL) {
        display_widget_grab(v->display, false);
    }
    return FALSE;
}

static void on_grab_changed(DisplayWidget *dw, bool grabbed, void *user)
{
    update_title(user);
}

/* ---- menus ---- */

static void on_quit(GtkMenuItem *item, gpointer user)
{
    gtk_main_quit();
}

static void on_screenshot(GtkMenuItem *item, gpointer user)
{
    take_screenshot(user);
}

static void on_fullscreen_toggled(GtkCheckMenuItem *item, gpointer user)
{
    Viewer *v = user;
    if (!v->updating_menu) {
        set_fullscreen(v, gtk_check_menu_item_get_active(item));
    }
}

static void on_scale_toggled(GtkCheckMenuItem *item, gpointer user)
{
    Viewer *v = user;
    if (!v->updating_menu) {
        set_zoom(v, gtk_check_menu_item_get_active(item) ? 0 : 100);
    }
}

static void on_zoom_in(GtkMenuItem *item, gpointer user) { zoom_step(user, ZOOM_STEP); }
static void on_zoom_out(GtkMenuItem *item, gpointer user) { zoom_step(user, -ZOOM_STEP); }
static void on_zoom_reset(GtkMenuItem *item, gpointer user) { set_zoom(user, 100); }

static void on_send_key(GtkMenuItem *item, gpointer user)
{
    send_combo(user, g_object_get_data(G_OBJECT(item), "combo"));
}

/* Shows the hotkey next to the item without registering an accelerator (on_key runs them). */
static void show_accel(Viewer *v, GtkWidget *item, ViewerAction action)
{
    guint key;
    GdkModifierType mods;
    if (viewer_hotkeys_accel(v->hotkeys, action, &key, &mods)) {
        GtkWidget *label = gtk_bin_get_child(GTK_BIN(item));
        if (GTK_IS_ACCEL_LABEL(label)) {
            gtk_accel_label_set_accel(GTK_ACCEL_LABEL(label), key, mods);
        }
    }
}

static GtkWidget *add_item(Viewer *v, GtkWidget *menu, const char *label, GCallback cb, ViewerAction accel)
{
    GtkWidget *item = gtk_menu_item_new_with_mnemonic(label);
    g_signal_connect(item, "activate", cb, v);
    gtk_menu_shell_append(GTK_MENU_SHELL(menu), item);
    show_accel(v, item, accel);
    return item;
}

static GtkWidget *add_menu(GtkWidget *bar, const char *label)
{
    GtkWidget *top = gtk_menu_item_new_with_mnemonic(label);
    GtkWidget *menu = gtk_menu_new();
    gtk_menu_item_set_submenu(GTK_MENU_ITEM(top), menu);
    gtk_menu_shell_append(GTK_MENU_SHELL(bar), top);
    return menu;
}

static GtkWidget *build_menubar(Viewer *v)
{
    GtkWidget *bar = gtk_menu_bar_new();
    GtkWidget *file = add_menu(bar, "_File");
    add_item(v, file, "_Screenshot to PNG...", G_CALLBACK(on_screenshot), VIEWER_ACTION_SCREENSHOT);
    gtk_menu_shell_append(GTK_MENU_SHELL(file), gtk_separator_menu_item_new());
    add_item(v, file, "_Quit", G_CALLBACK(on_quit), VIEWER_ACTION_NONE);

    GtkWidget *view = add_menu(bar, "_View");
    v->fullscreen_item = gtk_check_menu_item_new_with_mnemonic("_Fullscreen");
    show_accel(v, v->fullscreen_item, VIEWER_ACTION_TOGGLE_FULLSCREEN);
    g_signal_connect(v->fullscreen_item, "toggled", G_CALLBACK(on_fullscreen_toggled), v);
    gtk_menu_shell_append(GTK_MENU_SHELL(view), v->fullscreen_item);
    v->scale_item = gtk_check_menu_item_new_with_mnemonic("_Scale to window");
    g_signal_connect(v->scale_item, "toggled", G_CALLBACK(on_scale_toggled), v);
    gtk_menu_shell_append(GTK_MENU_SHELL(view), v->scale_item);
    gtk_menu_shell_append(GTK_MENU_SHELL(view), gtk_separator_menu_item_new());
    add_item(v, view, "Zoom _in", G_CALLBACK(on_zoom_in), VIEWER_ACTION_ZOOM_IN);
    add_item(v, view, "Zoom _out", G_CALLBACK(on_zoom_out), VIEWER_ACTION_ZOOM_OUT);
    add_item(v, view, "_Normal size (100%)", G_CALLBACK(on_zoom_reset), VIEWER_ACTION_ZOOM_RESET);

    GtkWidget *keys = add_menu(bar, "_Send key");
    size_t n;
    const ViewerKeyCombo *combos = viewer_key_combos(&n);
    for (size_t i = 0; i < n; i++) {
        GtkWidget *item = gtk_menu_item_new_with_label(combos[i].label);
        g_object_set_data(G_OBJECT(item), "combo", (gpointer)&combos[i]);
        g_signal_connect(item, "activate", G_CALLBACK(on_send_key), v);
        gtk_menu_shell_append(GTK_MENU_SHELL(keys), item);
    }
    return bar;
}

/* ---- the connection: connect, lose, wait, retry ---- */

static void stop_session(Viewer *v)
{
    if (v->session != NULL) {
        display_widget_set_session(v->display, NULL);
        spice_client_session_free(v->session);
        v->session = NULL;
    }
}

static void set_status_waiting(Viewer *v)
{
    char *text = g_strdup_printf("%s\nReconnecting in %u s...",
                                 v->last_error ? v->last_error : "Connection lost", v->countdown_s);
    show_status(v, text);
    g_free(text);
}

static gboolean on_retry_tick(gpointer user)
{
    Viewer *v = user;
    if (v->countdown_s > 1) {
        v->countdown_s--;
        set_status_waiting(v);
        return G_SOURCE_CONTINUE;
    }
    v->retry_timer = 0;
    start_session(v);
    return G_SOURCE_REMOVE;
}

static void schedule_retry(Viewer *v)
{
    v->link = LINK_WAITING;
    v->countdown_s = v->retry_delay_s;
    v->retry_delay_s = MIN(v->retry_delay_s * 2, RECONNECT_MAX_S);
    set_status_waiting(v);
    update_title(v);
    v->retry_timer = g_timeout_add_seconds(1, on_retry_tick, v);
}

/* Asks for the password; false when the user cancelled. */
static bool ask_password(Viewer *v, const char *why)
{
    GtkWidget *d = gtk_dialog_new_with_buttons("Authentication required", GTK_WINDOW(v->window),
                                               GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                               "_Cancel", GTK_RESPONSE_CANCEL, "C_onnect", GTK_RESPONSE_OK, NULL);
    gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_OK);
    GtkWidget *box = gtk_dialog_get_content_area(GTK_DIALOG(d));
    gtk_container_set_border_width(GTK_CONTAINER(box), 12);
    gtk_box_set_spacing(GTK_BOX(box), 8);
    char *text = g_strdup_printf("The SPICE server %s needs a password.\n%s", v->server_label, why);
    GtkWidget *label = gtk_label_new(text);
    g_free(text);
    gtk_label_set_line_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(label), 60);
    gtk_box_pack_start(GTK_BOX(box), label, FALSE, FALSE, 0);
    GtkWidget *entry = gtk_entry_new();
    gtk_entry_set_visibility(GTK_ENTRY(entry), FALSE);
    gtk_entry_set_input_purpose(GTK_ENTRY(entry), GTK_INPUT_PURPOSE_PASSWORD);
    gtk_entry_set_activates_default(GTK_ENTRY(entry), TRUE);
    gtk_entry_set_placeholder_text(GTK_ENTRY(entry), "Password");
    gtk_box_pack_start(GTK_BOX(box), entry, FALSE, FALSE, 0);
    gtk_widget_show_all(d);
    gtk_widget_grab_focus(entry);
    bool ok = run_dialog(v, d) == GTK_RESPONSE_OK;
    if (ok) {
        g_free(v->password);
        v->password = g_strdup(gtk_entry_get_text(GTK_ENTRY(entry)));
    }
    gtk_widget_destroy(d);
    return ok;
}

/* Runs from an idle: the failed session is freed outside its own callback. */
static gboolean handle_failure(gpointer user)
{
    Viewer *v = user;
    v->failure_idle = 0;
    if (v->session == NULL) {
        return G_SOURCE_REMOVE;
    }
    SpiceClientError error = spice_client_session_get_error(v->session);
    const char *msg = spice_client_session_get_error_message(v->session);
    g_free(v->last_error);
    v->last_error = g_strdup_printf("%s: %s", v->ever_connected ? "Connection lost" : "Cannot connect",
                                    msg ? msg : spice_client_error_to_string(error));
    fprintf(stderr, "spice-viewer: %s\n", v->last_error);
    stop_session(v);
    if (error == SPICE_CLIENT_ERROR_AUTH) {
        v->link = LINK_STOPPED;
        update_title(v);
        show_status(v, v->last_error);
        const char *why = v->password && *v->password
            ? "The password was not accepted; try again."
            : "Enter it to connect.";
        if (ask_password(v, why)) {
            v->retry_delay_s = RECONNECT_FIRST_S;
            start_session(v);
        } else if (!v->quitting) {
            fprintf(stderr, "spice-viewer: auth failed: password dialog cancelled\n");
            v->exit_code = EXIT_AUTH;
            gtk_main_quit();
        }
        return G_SOURCE_REMOVE;
    }
    if (error == SPICE_CLIENT_ERROR_UNSUPPORTED || error == SPICE_CLIENT_ERROR_TLS) {
        /* Retrying cannot help: the server needs something this client does not do, or its
         * certificate is not trusted (the message names --ca-file / --host-subject). */
        v->link = LINK_STOPPED;
        update_title(v);
        show_status(v, v->last_error);
        return G_SOURCE_REMOVE;
    }
    schedule_retry(v);
    return G_SOURCE_REMOVE;
}

static void on_state(SpiceClientSession *s, SpiceClientState state, void *user)
{
    Viewer *v = user;
    if (state == SPICE_CLIENT_STATE_CONNECTED) {
        v->link = LINK_CONNECTED;
        v->ever_connected = true;
        v->retry_delay_s = RECONNECT_FIRST_S;
        if (spice_client_session_get_primary(s, 0) == NULL) {
            show_status(v, "Connected; waiting for the guest's display...");
        } else {
            show_status(v, NULL);
        }
        update_title(v);
    } else if (state == SPICE_CLIENT_STATE_FAILED && v->failure_idle == 0) {
        v->failure_idle = g_idle_add(handle_failure, v);
    }
}

static void on_display(SpiceClientSession *s, unsigned id, SpiceClientDisplayEvent ev, void *user)
{
    Viewer *v = user;
    if (id != 0) {
        return;
    }
    int ow, oh;
    bool had = display_widget_guest_size(v->display, &ow, &oh);
    display_widget_display_changed(v->display);
    if (v->link == LINK_CONNECTED && ev == SPICE_CLIENT_DISPLAY_SURFACE
        && spice_client_session_get_primary(s, 0) != NULL) {
        show_status(v, NULL);
        update_title(v);   /* MAIN_NAME has come by now */
    }
    int nw, nh;
    if (display_widget_guest_size(v->display, &nw, &nh) && (!had || nw != ow || nh != oh)) {
        /* Like remote-viewer: the window takes the guest's size once the picture is there. */
        if (!v->sized_once || display_widget_get_zoom(v->display) == 0) {
            fit_window_to_guest(v);
        }
        v->sized_once = true;
    }
}

static void on_cursor(SpiceClientSession *s, void *user)
{
    Viewer *v = user;
    display_widget_cursor_changed(v->display);
}

static void on_mouse_mode(SpiceClientSession *s, SpiceClientMouseMode mode, void *user)
{
    Viewer *v = user;
    if (mode == SPICE_CLIENT_MOUSE_MODE_CLIENT && display_widget_grabbed(v->display)) {
        display_widget_grab(v->display, false);   /* drops the pointer grab */
    }
    display_widget_cursor_changed(v->display);
}

static void start_session(Viewer *v)
{
    stop_session(v);
    v->session = v->factory(v->password, v->factory_user);
    SpiceClientCallbacks cb = {
        .state_changed = on_state,
        .display_event = on_display,
        .cursor_changed = on_cursor,
        .mouse_mode_changed = on_mouse_mode,
    };
    spice_client_session_set_callbacks(v->session, &cb, v);
    v->link = LINK_CONNECTING;
    display_widget_set_session(v->display, v->session);
    char *text = g_strdup_printf("Connecting to %s...", v->server_label);
    show_status(v, text);
    g_free(text);
    update_title(v);
    if (!spice_client_session_connect(v->session) && v->failure_idle == 0) {
        v->failure_idle = g_idle_add(handle_failure, v);
    }
}

/* ---- the window ---- */

/* SIGINT/SIGTERM end the session cleanly (keys released, sockets closed) instead of dying. */
static gboolean on_signal(gpointer user)
{
    Viewer *v = user;
    v->quitting = true;
    if (v->dialog != NULL) {
        gtk_dialog_response(v->dialog, GTK_RESPONSE_DELETE_EVENT);
    }
    gtk_main_quit();
    return G_SOURCE_CONTINUE;
}

static gboolean on_delete(GtkWidget *w, GdkEvent *ev, gpointer user)
{
    gtk_main_quit();
    return TRUE;
}

static void build_window(Viewer *v)
{
    v->window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
    gtk_window_set_default_size(GTK_WINDOW(v->window), 1024, 768);
    gtk_window_set_role(GTK_WINDOW(v->window), "spice-viewer");
    GtkWidget *vbox = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    v->menubar = build_menubar(v);
    gtk_box_pack_start(GTK_BOX(vbox), v->menubar, FALSE, FALSE, 0);

    GtkWidget *overlay = gtk_overlay_new();
    GtkWidget *area = display_widget_get_widget(v->display);
    gtk_container_add(GTK_CONTAINER(overlay), area);
    v->status = gtk_label_new(NULL);
    gtk_label_set_line_wrap(GTK_LABEL(v->status), TRUE);
    gtk_label_set_max_width_chars(GTK_LABEL(v->status), 70);
    gtk_label_set_justify(GTK_LABEL(v->status), GTK_JUSTIFY_CENTER);
    gtk_label_set_selectable(GTK_LABEL(v->status), FALSE);
    v->status_box = gtk_frame_new(NULL);
    gtk_container_add(GTK_CONTAINER(v->status_box), v->status);
    gtk_widget_set_halign(v->status_box, GTK_ALIGN_CENTER);
    gtk_widget_set_valign(v->status_box, GTK_ALIGN_CENTER);
    gtk_widget_set_name(v->status_box, "status");
    GtkCssProvider *css = gtk_css_provider_new();
    gtk_css_provider_load_from_data(css, "#status { background: rgba(0,0,0,0.75); padding: 12px; "
                                    "border-radius: 6px; } #status label { color: white; }", -1, NULL);
    gtk_style_context_add_provider_for_screen(gdk_screen_get_default(), GTK_STYLE_PROVIDER(css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    g_object_unref(css);
    gtk_overlay_add_overlay(GTK_OVERLAY(overlay), v->status_box);
    gtk_overlay_set_overlay_pass_through(GTK_OVERLAY(overlay), v->status_box, TRUE);
    gtk_box_pack_start(GTK_BOX(vbox), overlay, TRUE, TRUE, 0);
    gtk_container_add(GTK_CONTAINER(v->window), vbox);

    g_signal_connect(v->window, "delete-event", G_CALLBACK(on_delete), v);
    g_signal_connect(v->window, "window-state-event", G_CALLBACK(on_window_state), v);
    g_signal_connect(v->window, "key-press-event", G_CALLBACK(on_key), v);
    g_signal_connect(v->window, "key-release-event", G_CALLBACK(on_key), v);
    g_signal_connect(v->window, "focus-out-event", G_CALLBACK(on_focus_out), v);
    g_signal_connect(v->window, "focus-in-event", G_CALLBACK(on_focus_in), v);
    display_widget_set_grab_callback(v->display, on_grab_changed, v);
    gtk_widget_show_all(v->window);
    gtk_widget_grab_focus(area);
}

int viewer_window_run(const ViewerWindowOptions *opts, const char *server_label,
                      const char *password, ViewerSessionFactory factory, void *factory_user)
{
    if (opts->zoom_pct != 0 && (opts->zoom_pct < 10 || opts->zoom_pct > 400)) {
        fprintf(stderr, "spice-viewer: --zoom must be within 10-400 (percent)\n");
        return EXIT_USAGE;
    }
    char *error = NULL;
    ViewerHotkeys *hotkeys = viewer_hotkeys_new(opts->hotkeys, &error);
    if (hotkeys == NULL) {
        fprintf(stderr, "spice-viewer: %s\n", error);
        g_free(error);
        return EXIT_USAGE;
    }
    if (!gtk_init_check(NULL, NULL)) {
        fprintf(stderr, "spice-viewer: cannot open a window: no display (set DISPLAY, or use "
                "--headless --screenshot FILE)\n");
        viewer_hotkeys_free(hotkeys);
        return EXIT_USAGE;
    }
    Viewer v = {
        .opts = opts,
        .server_label = server_label,
        .name = g_strdup(opts->title ? opts->title : server_label),
        .password = g_strdup(password),
        .factory = factory,
        .factory_user = factory_user,
        .hotkeys = hotkeys,
        .retry_delay_s = RECONNECT_FIRST_S,
        .exit_code = EXIT_OK,
    };
    v.display = display_widget_new();
    build_window(&v);
    gtk_widget_hide(v.status_box);
    display_widget_set_zoom(v.display, opts->zoom_pct);
    sync_view_menu(&v);
    if (opts->full_screen) {
        set_fullscreen(&v, true);
    }
    start_session(&v);
    guint sigint = g_unix_signal_add(SIGINT, on_signal, &v);
    guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &v);
    gtk_main();
    g_source_remove(sigint);
    g_source_remove(sigterm);

    if (v.retry_timer != 0) {
        g_source_remove(v.retry_timer);
    }
    if (v.failure_idle != 0) {
        g_source_remove(v.failure_idle);
    }
    if (v.notice_timer != 0) {
        g_source_remove(v.notice_timer);
    }
    display_widget_ungrab(v.display);
    if (v.session != NULL) {
        spice_client_session_release_all_keys(v.session);
    }
    stop_session(&v);
    gtk_widget_destroy(v.window);
    display_widget_free(v.display);
    viewer_hotkeys_free(v.hotkeys);
    g_free(v.name);
    g_free(v.password);
    g_free(v.last_error);
    return v.exit_code;
}
