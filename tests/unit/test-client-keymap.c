/* test-client-keymap: evdev/X11 -> PC set-1 scancodes for a whole 105-key layout, and wire bytes. */
#include <linux/input-event-codes.h>
#include <string.h>

#include <glib.h>

#include "client/keymap.h"
#include "client/spice-client.h"

/* Every key of a 105-key ISO PC keyboard (104 ANSI keys + the 102nd key next to Left Shift). */
static const uint32_t iso105[] = {
    KEY_ESC, KEY_F1, KEY_F2, KEY_F3, KEY_F4, KEY_F5, KEY_F6, KEY_F7, KEY_F8, KEY_F9, KEY_F10,
    KEY_F11, KEY_F12, KEY_SYSRQ, KEY_SCROLLLOCK, KEY_PAUSE,
    KEY_GRAVE, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0, KEY_MINUS,
    KEY_EQUAL, KEY_BACKSPACE, KEY_INSERT, KEY_HOME, KEY_PAGEUP, KEY_NUMLOCK, KEY_KPSLASH,
    KEY_KPASTERISK, KEY_KPMINUS,
    KEY_TAB, KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P, KEY_LEFTBRACE,
    KEY_RIGHTBRACE, KEY_DELETE, KEY_END, KEY_PAGEDOWN, KEY_KP7, KEY_KP8, KEY_KP9, KEY_KPPLUS,
    KEY_CAPSLOCK, KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L, KEY_SEMICOLON,
    KEY_APOSTROPHE, KEY_BACKSLASH, KEY_ENTER, KEY_KP4, KEY_KP5, KEY_KP6,
    KEY_LEFTSHIFT, KEY_102ND, KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M, KEY_COMMA, KEY_DOT,
    KEY_SLASH, KEY_RIGHTSHIFT, KEY_UP, KEY_KP1, KEY_KP2, KEY_KP3, KEY_KPENTER,
    KEY_LEFTCTRL, KEY_LEFTMETA, KEY_LEFTALT, KEY_SPACE, KEY_RIGHTALT, KEY_RIGHTMETA, KEY_COMPOSE,
    KEY_RIGHTCTRL, KEY_LEFT, KEY_DOWN, KEY_RIGHT, KEY_KP0, KEY_KPDOT,
};

/* The keys that send an E0 prefix on a real keyboard (Pause sends E1, see below). */
static const uint32_t extended[] = {
    KEY_SYSRQ, KEY_INSERT, KEY_HOME, KEY_PAGEUP, KEY_KPSLASH, KEY_DELETE, KEY_END, KEY_PAGEDOWN,
    KEY_UP, KEY_KPENTER, KEY_LEFTMETA, KEY_RIGHTALT, KEY_RIGHTMETA, KEY_COMPOSE, KEY_RIGHTCTRL,
    KEY_LEFT, KEY_DOWN, KEY_RIGHT,
};

static bool is_extended(uint32_t evdev)
{
    for (size_t i = 0; i < G_N_ELEMENTS(extended); i++) {
        if (extended[i] == evdev) {
            return true;
        }
    }
    return false;
}

static void test_iso105_all_map(void)
{
    g_assert_cmpuint(G_N_ELEMENTS(iso105), ==, 105);
    uint32_t seen[105];
    for (size_t i = 0; i < G_N_ELEMENTS(iso105); i++) {
        uint32_t sc = spice_client_keymap_evdev_to_scancode(iso105[i]);
        g_assert_cmpuint(sc, !=, 0);
        g_assert_nonnull(keymap_scancode_name(sc));
        if (iso105[i] == KEY_PAUSE) {
            g_assert_cmpuint(sc, ==, KEYMAP_SCANCODE_PAUSE);
        } else if (is_extended(iso105[i])) {
            g_assert_cmpuint(sc & 0x100, ==, 0x100);
        } else {
            g_assert_cmpuint(sc, <, 0x80);
        }
        /* No two keys of the layout send the same code. */
        for (size_t j = 0; j < i; j++) {
            g_assert_cmpuint(seen[j], !=, sc);
        }
        seen[i] = sc;
        /* X11 (xkb evdev rules) and GDK on Wayland: keycode = evdev + 8. */
        g_assert_cmpuint(spice_client_keymap_x11_keycode_to_scancode(iso105[i] + 8), ==, sc);
    }
}

static void test_known_codes(void)
{
    /* Values from the IBM PC/AT set-1 table. */
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_ESC), ==, 0x01);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_A), ==, 0x1e);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_ENTER), ==, 0x1c);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_KPENTER), ==, 0x11c);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_LEFTCTRL), ==, 0x1d);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_RIGHTCTRL), ==, 0x11d);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_RIGHTALT), ==, 0x138);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_F11), ==, 0x57);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_F12), ==, 0x58);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_102ND), ==, 0x56);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_UP), ==, 0x148);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_KP8), ==, 0x48);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_DELETE), ==, 0x153);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_KPDOT), ==, 0x53);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_LEFTMETA), ==, 0x15b);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_SYSRQ), ==, 0x137);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_MUTE), ==, 0x120);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_VOLUMEUP), ==, 0x130);
    g_assert_cmphex(spice_client_keymap_evdev_to_scancode(KEY_PLAYPAUSE), ==, 0x122);
    /* X11 keycodes of a US xkb evdev layout: 9 Escape, 38 a, 105 Control_R, 111 Up, 127 Pause. */
    g_assert_cmphex(spice_client_keymap_x11_keycode_to_scancode(9), ==, 0x01);
    g_assert_cmphex(spice_client_keymap_x11_keycode_to_scancode(38), ==, 0x1e);
    g_assert_cmphex(spice_client_keymap_x11_keycode_to_scancode(105), ==, 0x11d);
    g_assert_cmphex(spice_client_keymap_x11_keycode_to_scancode(111), ==, 0x148);
    g_assert_cmphex(spice_client_keymap_x11_keycode_to_scancode(127), ==, KEYMAP_SCANCODE_PAUSE);
}

static void test_unknown(void)
{
    for (uint32_t k = 0; k < 8; k++) {
        g_assert_cmpuint(spice_client_keymap_x11_keycode_to_scancode(k), ==, 0);
    }
    g_assert_cmpuint(spice_client_keymap_evdev_to_scancode(0), ==, 0);
    g_assert_cmpuint(spice_client_keymap_evdev_to_scancode(KEY_MACRO), ==, 0);
    g_assert_cmpuint(spice_client_keymap_evdev_to_scancode(0xffffffffu), ==, 0);
    g_assert_cmpuint(spice_client_keymap_x11_keycode_to_scancode(0xffffffffu), ==, 0);
}

static void test_bytes(void)
{
    uint8_t b[6];
    g_assert_cmpuint(keymap_scancode_bytes(0x1e, false, b), ==, 1);
    g_assert_cmphex(b[0], ==, 0x1e);
    g_assert_cmpuint(keymap_scancode_bytes(0x1e, true, b), ==, 1);
    g_assert_cmphex(b[0], ==, 0x9e);
    g_assert_cmpuint(keymap_scancode_bytes(0x11d, false, b), ==, 2);
    g_assert_cmphex(b[0], ==, 0xe0);
    g_assert_cmphex(b[1], ==, 0x1d);
    g_assert_cmpuint(keymap_scancode_bytes(0x11d, true, b), ==, 2);
    g_assert_cmphex(b[0], ==, 0xe0);
    g_assert_cmphex(b[1], ==, 0x9d);
    static const uint8_t pause_seq[6] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
    g_assert_cmpuint(keymap_scancode_bytes(KEYMAP_SCANCODE_PAUSE, false, b), ==, 6);
    g_assert_cmpmem(b, 6, pause_seq, 6);
    g_assert_cmpuint(keymap_scancode_bytes(KEYMAP_SCANCODE_PAUSE, true, b), ==, 0);
    /* Not set-1 make codes: break codes, no code, bits above the E0 flag. */
    g_assert_cmpuint(keymap_scancode_bytes(0, false, b), ==, 0);
    g_assert_cmpuint(keymap_scancode_bytes(0x80, false, b), ==, 0);
    g_assert_cmpuint(keymap_scancode_bytes(0x100, false, b), ==, 0);
    g_assert_cmpuint(keymap_scancode_bytes(0x200 | 0x1e, false, b), ==, 0);
    g_assert_cmpuint(keymap_scancode_bytes(0x19d, false, b), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/client-keymap/iso105", test_iso105_all_map);
    g_test_add_func("/client-keymap/known", test_known_codes);
    g_test_add_func("/client-keymap/unknown", test_unknown);
    g_test_add_func("/client-keymap/bytes", test_bytes);
    return g_test_run();
}
