/* test-viewer-keys: spice-viewer's hotkeys (defaults, --hotkeys parsing, key routing) and Send key combos. */
#include <string.h>

#include <gdk/gdkkeysyms.h>
#include <glib.h>

#include "viewer-keys.h"

/* Hardware keycodes (X11 evdev) only need to be distinct here. */
enum { KC_CTRL = 37, KC_ALT = 64, KC_SHIFT = 50, KC_DEL = 119, KC_F11 = 95, KC_EQUAL = 21,
       KC_S = 39, KC_A = 38, KC_X = 53, KC_END = 115 };

static ViewerAction feed(ViewerHotkeys *hk, GdkEventType type, guint keyval, guint state,
                         guint16 code, bool *to_guest)
{
    GdkEventKey ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.keyval = keyval;
    ev.state = state;
    ev.hardware_keycode = code;
    return viewer_hotkeys_feed(hk, &ev, to_guest);
}

static void test_defaults(void)
{
    char *error = NULL;
    ViewerHotkeys *hk = viewer_hotkeys_new(NULL, &error);
    g_assert_nonnull(hk);
    char *label = viewer_hotkeys_label(hk, VIEWER_ACTION_RELEASE_CURSOR);
    g_assert_cmpstr(label, ==, "Ctrl+Alt");
    g_free(label);
    label = viewer_hotkeys_label(hk, VIEWER_ACTION_SCREENSHOT);
    g_assert_cmpstr(label, ==, "Ctrl+Shift+S");
    g_free(label);
    guint key;
    GdkModifierType mods;
    g_assert_true(viewer_hotkeys_accel(hk, VIEWER_ACTION_TOGGLE_FULLSCREEN, &key, &mods));
    g_assert_cmpuint(key, ==, GDK_KEY_F11);
    g_assert_cmpuint(mods, ==, 0);
    g_assert_false(viewer_hotkeys_accel(hk, VIEWER_ACTION_RELEASE_CURSOR, &key, &mods));
    viewer_hotkeys_free(hk);
}

static void test_release_cursor_on_release(void)
{
    ViewerHotkeys *hk = viewer_hotkeys_new(NULL, NULL);
    bool to_guest;
    /* Ctrl, Alt pressed: nothing yet, both reach the guest. */
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_Control_L, 0, KC_CTRL, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_Alt_L, GDK_CONTROL_MASK, KC_ALT, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    /* Releasing one of them with nothing in between: release the cursor. */
    g_assert_cmpint(feed(hk, GDK_KEY_RELEASE, GDK_KEY_Alt_L, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_ALT, &to_guest),
                    ==, VIEWER_ACTION_RELEASE_CURSOR);
    g_assert_true(to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_RELEASE, GDK_KEY_Control_L, GDK_CONTROL_MASK, KC_CTRL, &to_guest),
                    ==, VIEWER_ACTION_NONE);

    /* Ctrl+Alt+Del typed by the user is for the guest, and does not release anything. */
    feed(hk, GDK_KEY_PRESS, GDK_KEY_Control_L, 0, KC_CTRL, &to_guest);
    feed(hk, GDK_KEY_PRESS, GDK_KEY_Alt_L, GDK_CONTROL_MASK, KC_ALT, &to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_Delete, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_DEL, &to_guest),
                    ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    feed(hk, GDK_KEY_RELEASE, GDK_KEY_Delete, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_DEL, &to_guest);
    g_assert_true(to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_RELEASE, GDK_KEY_Alt_L, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_ALT, &to_guest),
                    ==, VIEWER_ACTION_NONE);
    viewer_hotkeys_free(hk);
}

static void test_key_hotkeys_are_swallowed(void)
{
    ViewerHotkeys *hk = viewer_hotkeys_new(NULL, NULL);
    bool to_guest;
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_F11, 0, KC_F11, &to_guest), ==, VIEWER_ACTION_TOGGLE_FULLSCREEN);
    g_assert_false(to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_RELEASE, GDK_KEY_F11, 0, KC_F11, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_false(to_guest);   /* its release is swallowed too */
    /* Shift+F11 is not F11. */
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_F11, GDK_SHIFT_MASK, KC_F11, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    feed(hk, GDK_KEY_RELEASE, GDK_KEY_F11, GDK_SHIFT_MASK, KC_F11, &to_guest);
    g_assert_true(to_guest);
    /* Ctrl+plus needs Shift on a US layout: still zoom in. */
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_plus, GDK_CONTROL_MASK | GDK_SHIFT_MASK, KC_EQUAL, &to_guest),
                    ==, VIEWER_ACTION_ZOOM_IN);
    feed(hk, GDK_KEY_RELEASE, GDK_KEY_plus, GDK_CONTROL_MASK | GDK_SHIFT_MASK, KC_EQUAL, &to_guest);
    /* Letters: Shift counts. Ctrl+Shift+S is the screenshot, Ctrl+S goes to the guest. */
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK, KC_S, &to_guest),
                    ==, VIEWER_ACTION_SCREENSHOT);
    feed(hk, GDK_KEY_RELEASE, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK, KC_S, &to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_s, GDK_CONTROL_MASK, KC_S, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    /* Plain keys are for the guest. */
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_a, 0, KC_A, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    /* Focus loss forgets a swallowed key: its later release goes to the guest. */
    feed(hk, GDK_KEY_PRESS, GDK_KEY_End, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_END, &to_guest);
    g_assert_false(to_guest);
    viewer_hotkeys_reset(hk);
    feed(hk, GDK_KEY_RELEASE, GDK_KEY_End, 0, KC_END, &to_guest);
    g_assert_true(to_guest);
    viewer_hotkeys_free(hk);
}

static void test_spec(void)
{
    char *error = NULL;
    ViewerHotkeys *hk = viewer_hotkeys_new("release-cursor=ctrl+alt+x, zoom-in=,toggle-fullscreen=Shift+F11", &error);
    g_assert_null(error);
    g_assert_nonnull(hk);
    char *label = viewer_hotkeys_label(hk, VIEWER_ACTION_RELEASE_CURSOR);
    g_assert_cmpstr(label, ==, "Ctrl+Alt+X");
    g_free(label);
    g_assert_null(viewer_hotkeys_label(hk, VIEWER_ACTION_ZOOM_IN));
    bool to_guest;
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_x, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_X, &to_guest),
                    ==, VIEWER_ACTION_RELEASE_CURSOR);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_plus, GDK_CONTROL_MASK | GDK_SHIFT_MASK, KC_EQUAL, &to_guest),
                    ==, VIEWER_ACTION_NONE);
    g_assert_true(to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_F11, 0, KC_F11, &to_guest), ==, VIEWER_ACTION_NONE);
    g_assert_cmpint(feed(hk, GDK_KEY_PRESS, GDK_KEY_F11, GDK_SHIFT_MASK, KC_F11, &to_guest),
                    ==, VIEWER_ACTION_TOGGLE_FULLSCREEN);
    /* Ctrl+Alt alone no longer releases. */
    feed(hk, GDK_KEY_PRESS, GDK_KEY_Control_L, 0, KC_CTRL, &to_guest);
    feed(hk, GDK_KEY_PRESS, GDK_KEY_Alt_L, GDK_CONTROL_MASK, KC_ALT, &to_guest);
    g_assert_cmpint(feed(hk, GDK_KEY_RELEASE, GDK_KEY_Alt_L, GDK_CONTROL_MASK | GDK_MOD1_MASK, KC_ALT, &to_guest),
                    ==, VIEWER_ACTION_NONE);
    viewer_hotkeys_free(hk);

    g_assert_null(viewer_hotkeys_new("frobnicate=f1", &error));
    g_assert_nonnull(strstr(error, "unknown action 'frobnicate'"));
    g_clear_pointer(&error, g_free);
    g_assert_null(viewer_hotkeys_new("zoom-in=ctrl+nosuchkey", &error));
    g_assert_nonnull(strstr(error, "invalid key 'nosuchkey'"));
    g_clear_pointer(&error, g_free);
    g_assert_null(viewer_hotkeys_new("zoom-in", &error));
    g_assert_nonnull(strstr(error, "ACTION=KEY"));
    g_clear_pointer(&error, g_free);
}

static void test_combos(void)
{
    size_t n;
    const ViewerKeyCombo *c = viewer_key_combos(&n);
    g_assert_cmpuint(n, ==, 15);   /* Ctrl+Alt+Del, +Backspace, +F1..F12, PrintScreen */
    g_assert_cmpstr(c[0].label, ==, "Ctrl+Alt+Del");
    g_assert_cmpuint(c[0].count, ==, 3);
    g_assert_cmpuint(c[0].scancodes[0], ==, 0x1d);
    g_assert_cmpuint(c[0].scancodes[1], ==, 0x38);
    g_assert_cmpuint(c[0].scancodes[2], ==, 0x153);   /* E0 53 */
    g_assert_cmpstr(c[13].label, ==, "Ctrl+Alt+F12");
    g_assert_cmpuint(c[13].scancodes[2], ==, 0x58);
    g_assert_cmpuint(c[12].scancodes[2], ==, 0x57);
    g_assert_cmpuint(c[11].scancodes[2], ==, 0x44);   /* F10 */
    /* No session: nothing is sent, and it says so. */
    g_assert_false(viewer_send_combo(NULL, &c[0]));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/viewer-keys/defaults", test_defaults);
    g_test_add_func("/viewer-keys/release-cursor", test_release_cursor_on_release);
    g_test_add_func("/viewer-keys/swallowed", test_key_hotkeys_are_swallowed);
    g_test_add_func("/viewer-keys/spec", test_spec);
    g_test_add_func("/viewer-keys/combos", test_combos);
    return g_test_run();
}
