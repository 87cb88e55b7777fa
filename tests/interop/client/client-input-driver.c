/* client-input-driver: drives our client library's inputs and cursor API from stdin commands (interop tests). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <glib-unix.h>
#include <spice/enums.h>

#include "client/key-sequence.h"
#include "client/spice-client.h"

/*
 * client-input-driver HOST PORT: connects, then reads one command per line on stdin and
 * answers each with one line, "ok ..." or "error WHAT" (so a test can step it):
 *   wait-ready               until the primary surface is marked and the inputs channel is up
 *   mode server|client       asks for a mouse mode, waits (5 s) until the server switched
 *   key CODE down|up         a scancode (set-1, 0x100 = E0), e.g. key 0x11d down
 *   motion DX DY MASK        server mode;  position X Y MASK [DISPLAY]   client mode
 *   motion-burst N DX DY MASK  N motions at once (exercises the MOTION_ACK window)
 *   button N down|up MASK    SPICE_MOUSE_BUTTON_* and the mask after it
 *   release-all              releases every key still held
 *   type TEXT                types the rest of the line through a US layout, 40 ms per event
 *                            ("\n" is Enter); answers once every key went out
 *   locks MASK               the client's lock keys (SPICE_KEYBOARD_MODIFIER_FLAGS_*); "ok GUEST"
 *   sleep MS                 runs the main loop for MS
 *   wait-cursor              until the cursor channel has a shape (10 s)
 *   cursor FILE              "ok VISIBLE W H HOTX HOTY" and the shape's a8r8g8b8 pixels to FILE
 *   quit
 * Events are printed as they happen: "event mouse-mode N", "event failed MESSAGE".
 */

typedef struct Driver {
    GMainLoop *loop;
    SpiceClientSession *session;
    GString *line;
    /* The command being waited for: a predicate polled every 20 ms until its deadline. */
    bool (*waiting)(struct Driver *d);
    gint64 deadline_us;
    const char *waiting_what;
    SpiceClientMouseMode wanted_mode;
    KeyPlayer *typing;          /* the current 'type' command, NULL: none */
} Driver;

static void reply(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void reply(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void on_state(SpiceClientSession *s, SpiceClientState state, void *user)
{
    if (state == SPICE_CLIENT_STATE_FAILED) {
        reply("event failed %s", spice_client_session_get_error_message(s));
    }
}

static void on_mouse_mode(SpiceClientSession *s, SpiceClientMouseMode mode, void *user)
{
    reply("event mouse-mode %d", (int)mode);
}

static bool ready(Driver *d)
{
    return spice_client_session_display_marked(d->session, 0) && spice_client_session_inputs_ready(d->session);
}

static bool mode_reached(Driver *d)
{
    return spice_client_session_get_mouse_mode(d->session) == d->wanted_mode;
}

static bool has_cursor(Driver *d)
{
    SpiceClientCursor c;
    return spice_client_session_get_cursor(d->session, &c) && c.shape != NULL;
}

static bool parse_u32(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || end == s || v > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static bool parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *end || end == s || v < INT32_MIN || v > INT32_MAX) {
        return false;
    }
    *out = (int)v;
    return true;
}

static void wait_for(Driver *d, bool (*pred)(Driver *), double seconds, const char *what)
{
    if (pred(d)) {
        reply("ok");
        return;
    }
    d->waiting = pred;
    d->waiting_what = what;
    d->deadline_us = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
}

static bool typed(Driver *d)
{
    return d->typing != NULL && key_player_done(d->typing);
}

static void start_typing(Driver *d, const char *text)
{
    char *unescaped = g_strdup(text);
    char *w = unescaped;
    for (const char *r = text; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    GArray *steps = g_array_new(FALSE, FALSE, sizeof(KeyStep));
    char *error = NULL;
    if (!key_sequence_from_text(steps, unescaped, &error)) {
        reply("error %s", error);
        g_free(error);
        g_array_unref(steps);
    } else {
        key_player_free(d->typing);
        d->typing = key_player_new(steps, 40);
        key_player_start(d->typing, d->session);
        wait_for(d, typed, 120, "the typing to finish");
    }
    g_free(unescaped);
}

static gboolean end_sleep(gpointer data)
{
    reply("ok");
    return G_SOURCE_REMOVE;
}

static void dump_cursor(Driver *d, const char *path)
{
    SpiceClientCursor c;
    if (!spice_client_session_get_cursor(d->session, &c)) {
        reply("error no cursor (no cursor channel or no INIT yet)");
        return;
    }
    int w = 0, h = 0;
    if (c.shape != NULL) {
        w = pixman_image_get_width(c.shape);
        h = pixman_image_get_height(c.shape);
        FILE *f = fopen(path, "wb");
        if (f == NULL) {
            reply("error cannot write %s", path);
            return;
        }
        const uint8_t *data = (const uint8_t *)pixman_image_get_data(c.shape);
        int stride = pixman_image_get_stride(c.shape);
        for (int y = 0; y < h; y++) {
            fwrite(data + (size_t)y * (size_t)stride, 4, (size_t)w, f);
        }
        fclose(f);
    }
    reply("ok %d %d %d %d %d %d %d", c.visible ? 1 : 0, w, h, c.hot_x, c.hot_y, c.x, c.y);
}

static void run_command(Driver *d, char *cmd)
{
    if (g_str_has_prefix(cmd, "type ")) {
        start_typing(d, cmd + 5);
        return;
    }
    char **a = g_strsplit_set(g_strstrip(cmd), " \t", -1);
    guint n = g_strv_length(a);
    uint32_t u, mask;
    int x, y;
    if (n == 0 || a[0][0] == '\0') {
        reply("error empty command");
    } else if (strcmp(a[0], "quit") == 0) {
        reply("ok");
        g_main_loop_quit(d->loop);
    } else if (strcmp(a[0], "wait-ready") == 0) {
        wait_for(d, ready, 20, "the first picture and the inputs channel");
    } else if (strcmp(a[0], "wait-cursor") == 0) {
        wait_for(d, has_cursor, 10, "a cursor shape");
    } else if (strcmp(a[0], "mode") == 0 && n == 2) {
        d->wanted_mode = strcmp(a[1], "server") == 0 ? SPICE_CLIENT_MOUSE_MODE_SERVER
                                                     : SPICE_CLIENT_MOUSE_MODE_CLIENT;
        spice_client_session_request_mouse_mode(d->session, d->wanted_mode);
        wait_for(d, mode_reached, 5, "the mouse mode switch");
    } else if (strcmp(a[0], "key") == 0 && n == 3 && parse_u32(a[1], &u)) {
        bool ok = strcmp(a[2], "down") == 0 ? spice_client_session_key_press(d->session, u)
                                            : spice_client_session_key_release(d->session, u);
        reply(ok ? "ok" : "error key refused");
    } else if (strcmp(a[0], "locks") == 0 && n == 2 && parse_u32(a[1], &u)) {
        bool ok = spice_client_session_set_lock_modifiers(d->session, u);
        reply(ok ? "ok %u" : "error no inputs channel",
              (unsigned)spice_client_session_get_lock_modifiers(d->session));
    } else if (strcmp(a[0], "release-all") == 0) {
        spice_client_session_release_all_keys(d->session);
        reply("ok");
    } else if (strcmp(a[0], "motion") == 0 && n == 4 && parse_int(a[1], &x) && parse_int(a[2], &y)
               && parse_u32(a[3], &mask)) {
        reply(spice_client_session_mouse_motion(d->session, x, y, mask) ? "ok" : "error motion refused");
    } else if (strcmp(a[0], "motion-burst") == 0 && n == 5 && parse_u32(a[1], &u) && u <= 10000
               && parse_int(a[2], &x) && parse_int(a[3], &y) && parse_u32(a[4], &mask)) {
        bool ok = true;
        for (uint32_t i = 0; i < u && ok; i++) {
            ok = spice_client_session_mouse_motion(d->session, x, y, mask);
        }
        reply(ok ? "ok" : "error motion refused");
    } else if (strcmp(a[0], "position") == 0 && (n == 4 || n == 5) && parse_int(a[1], &x)
               && parse_int(a[2], &y) && parse_u32(a[3], &mask)) {
        uint32_t display = 0;
        if (n == 5 && !parse_u32(a[4], &display)) {
            reply("error bad display");
        } else {
            reply(spice_client_session_mouse_position(d->session, display, x, y, mask)
                  ? "ok" : "error position refused");
        }
    } else if (strcmp(a[0], "button") == 0 && n == 4 && parse_int(a[1], &x) && parse_u32(a[3], &mask)) {
        reply(spice_client_session_mouse_button(d->session, x, strcmp(a[2], "down") == 0, mask)
              ? "ok" : "error button refused");
    } else if (strcmp(a[0], "sleep") == 0 && n == 2 && parse_int(a[1], &x) && x >= 0) {
        g_timeout_add((guint)x, end_sleep, NULL);
    } else if (strcmp(a[0], "cursor") == 0 && n == 2) {
        dump_cursor(d, a[1]);
    } else {
        reply("error unknown command '%s'", cmd);
    }
    g_strfreev(a);
}

static gboolean on_poll(gpointer data)
{
    Driver *d = data;
    if (d->waiting == NULL) {
        return G_SOURCE_CONTINUE;
    }
    if (d->waiting(d)) {
        d->waiting = NULL;
        reply("ok");
    } else if (g_get_monotonic_time() > d->deadline_us) {
        d->waiting = NULL;
        reply("error timeout waiting for %s", d->waiting_what);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer data)
{
    Driver *d = data;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
        g_main_loop_quit(d->loop);
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(d->line, buf, n);
    char *nl;
    while ((nl = memchr(d->line->str, '\n', d->line->len)) != NULL) {
        size_t len = (size_t)(nl - d->line->str);
        char *cmd = g_strndup(d->line->str, len);
        g_string_erase(d->line, 0, (gssize)len + 1);
        run_command(d, cmd);
        g_free(cmd);
    }
    return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: client-input-driver HOST PORT (commands on stdin)\n");
        return 1;
    }
    Driver d = { 0 };
    d.loop = g_main_loop_new(NULL, FALSE);
    d.line = g_string_new(NULL);
    d.session = spice_client_session_new(argv[1], (uint16_t)atoi(argv[2]), NULL);
    SpiceClientCallbacks cb = { .state_changed = on_state, .mouse_mode_changed = on_mouse_mode };
    spice_client_session_set_callbacks(d.session, &cb, &d);
    spice_client_session_connect(d.session);
    guint in = g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, &d);
    guint poll = g_timeout_add(20, on_poll, &d);
    g_main_loop_run(d.loop);
    g_source_remove(poll);
    GSource *src = g_main_context_find_source_by_id(NULL, in);
    if (src != NULL) {
        g_source_destroy(src);
    }
    key_player_free(d.typing);
    spice_client_session_free(d.session);
    g_string_free(d.line, TRUE);
    g_main_loop_unref(d.loop);
    return 0;
}
