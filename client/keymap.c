/* keymap: the evdev -> PC set-1 scancode table (105-key PC layout, Japanese/Korean extras, media keys). */
#include "client/keymap.h"

#include <linux/input-event-codes.h>

#include "client/spice-client.h"

typedef struct KeyEntry {
    uint16_t evdev;
    uint16_t scancode;
    const char *name;
} KeyEntry;

#define E KEYMAP_SCANCODE_EXTENDED

/*
 * Set-1 codes as a PC/AT keyboard in translated mode sends them (IBM PC/AT reference, Microsoft's
 * "Keyboard Scan Code Specification" for the E0 media keys). evdev 1..88 equal their set-1 code
 * by design of the Linux input layer; every other row is listed by hand.
 */
static const KeyEntry key_table[] = {
    { KEY_ESC, 0x01, "Escape" },
    { KEY_1, 0x02, "1" }, { KEY_2, 0x03, "2" }, { KEY_3, 0x04, "3" }, { KEY_4, 0x05, "4" },
    { KEY_5, 0x06, "5" }, { KEY_6, 0x07, "6" }, { KEY_7, 0x08, "7" }, { KEY_8, 0x09, "8" },
    { KEY_9, 0x0a, "9" }, { KEY_0, 0x0b, "0" },
    { KEY_MINUS, 0x0c, "Minus" }, { KEY_EQUAL, 0x0d, "Equal" }, { KEY_BACKSPACE, 0x0e, "BackSpace" },
    { KEY_TAB, 0x0f, "Tab" },
    { KEY_Q, 0x10, "Q" }, { KEY_W, 0x11, "W" }, { KEY_E, 0x12, "E" }, { KEY_R, 0x13, "R" },
    { KEY_T, 0x14, "T" }, { KEY_Y, 0x15, "Y" }, { KEY_U, 0x16, "U" }, { KEY_I, 0x17, "I" },
    { KEY_O, 0x18, "O" }, { KEY_P, 0x19, "P" },
    { KEY_LEFTBRACE, 0x1a, "BracketLeft" }, { KEY_RIGHTBRACE, 0x1b, "BracketRight" },
    { KEY_ENTER, 0x1c, "Return" }, { KEY_LEFTCTRL, 0x1d, "LeftCtrl" },
    { KEY_A, 0x1e, "A" }, { KEY_S, 0x1f, "S" }, { KEY_D, 0x20, "D" }, { KEY_F, 0x21, "F" },
    { KEY_G, 0x22, "G" }, { KEY_H, 0x23, "H" }, { KEY_J, 0x24, "J" }, { KEY_K, 0x25, "K" },
    { KEY_L, 0x26, "L" },
    { KEY_SEMICOLON, 0x27, "Semicolon" }, { KEY_APOSTROPHE, 0x28, "Apostrophe" },
    { KEY_GRAVE, 0x29, "Grave" }, { KEY_LEFTSHIFT, 0x2a, "LeftShift" },
    { KEY_BACKSLASH, 0x2b, "Backslash" },
    { KEY_Z, 0x2c, "Z" }, { KEY_X, 0x2d, "X" }, { KEY_C, 0x2e, "C" }, { KEY_V, 0x2f, "V" },
    { KEY_B, 0x30, "B" }, { KEY_N, 0x31, "N" }, { KEY_M, 0x32, "M" },
    { KEY_COMMA, 0x33, "Comma" }, { KEY_DOT, 0x34, "Period" }, { KEY_SLASH, 0x35, "Slash" },
    { KEY_RIGHTSHIFT, 0x36, "RightShift" }, { KEY_KPASTERISK, 0x37, "KP_Multiply" },
    { KEY_LEFTALT, 0x38, "LeftAlt" }, { KEY_SPACE, 0x39, "Space" },
    { KEY_CAPSLOCK, 0x3a, "CapsLock" },
    { KEY_F1, 0x3b, "F1" }, { KEY_F2, 0x3c, "F2" }, { KEY_F3, 0x3d, "F3" }, { KEY_F4, 0x3e, "F4" },
    { KEY_F5, 0x3f, "F5" }, { KEY_F6, 0x40, "F6" }, { KEY_F7, 0x41, "F7" }, { KEY_F8, 0x42, "F8" },
    { KEY_F9, 0x43, "F9" }, { KEY_F10, 0x44, "F10" },
    { KEY_NUMLOCK, 0x45, "NumLock" }, { KEY_SCROLLLOCK, 0x46, "ScrollLock" },
    { KEY_KP7, 0x47, "KP_7" }, { KEY_KP8, 0x48, "KP_8" }, { KEY_KP9, 0x49, "KP_9" },
    { KEY_KPMINUS, 0x4a, "KP_Subtract" },
    { KEY_KP4, 0x4b, "KP_4" }, { KEY_KP5, 0x4c, "KP_5" }, { KEY_KP6, 0x4d, "KP_6" },
    { KEY_KPPLUS, 0x4e, "KP_Add" },
    { KEY_KP1, 0x4f, "KP_1" }, { KEY_KP2, 0x50, "KP_2" }, { KEY_KP3, 0x51, "KP_3" },
    { KEY_KP0, 0x52, "KP_0" }, { KEY_KPDOT, 0x53, "KP_Decimal" },
    { KEY_102ND, 0x56, "Less102" }, { KEY_F11, 0x57, "F11" }, { KEY_F12, 0x58, "F12" },
    { KEY_KPEQUAL, 0x59, "KP_Equal" },
    { KEY_F13, 0x64, "F13" }, { KEY_F14, 0x65, "F14" }, { KEY_F15, 0x66, "F15" },
    { KEY_F16, 0x67, "F16" }, { KEY_F17, 0x68, "F17" }, { KEY_F18, 0x69, "F18" },
    { KEY_F19, 0x6a, "F19" }, { KEY_F20, 0x6b, "F20" }, { KEY_F21, 0x6c, "F21" },
    { KEY_F22, 0x6d, "F22" }, { KEY_F23, 0x6e, "F23" }, { KEY_F24, 0x76, "F24" },
    /* Japanese and Korean keys. */
    { KEY_KATAKANAHIRAGANA, 0x70, "Katakana_Hiragana" }, { KEY_HANJA, 0x71, "Hanja" },
    { KEY_HANGEUL, 0x72, "Hangeul" }, { KEY_RO, 0x73, "Ro" }, { KEY_HENKAN, 0x79, "Henkan" },
    { KEY_MUHENKAN, 0x7b, "Muhenkan" }, { KEY_KPJPCOMMA, 0x5c, "KP_JPComma" },
    { KEY_YEN, 0x7d, "Yen" }, { KEY_KPCOMMA, 0x7e, "KP_Comma" },
    /* E0-extended keys of the 105-key layout. */
    { KEY_KPENTER, E | 0x1c, "KP_Enter" }, { KEY_RIGHTCTRL, E | 0x1d, "RightCtrl" },
    { KEY_KPSLASH, E | 0x35, "KP_Divide" }, { KEY_SYSRQ, E | 0x37, "Print" },
    { KEY_PRINT, E | 0x37, "Print" }, { KEY_RIGHTALT, E | 0x38, "RightAlt" },
    { KEY_PAUSE, KEYMAP_SCANCODE_PAUSE, "Pause" },
    { KEY_HOME, E | 0x47, "Home" }, { KEY_UP, E | 0x48, "Up" }, { KEY_PAGEUP, E | 0x49, "PageUp" },
    { KEY_LEFT, E | 0x4b, "Left" }, { KEY_RIGHT, E | 0x4d, "Right" }, { KEY_END, E | 0x4f, "End" },
    { KEY_DOWN, E | 0x50, "Down" }, { KEY_PAGEDOWN, E | 0x51, "PageDown" },
    { KEY_INSERT, E | 0x52, "Insert" }, { KEY_DELETE, E | 0x53, "Delete" },
    { KEY_LEFTMETA, E | 0x5b, "LeftMeta" }, { KEY_RIGHTMETA, E | 0x5c, "RightMeta" },
    { KEY_COMPOSE, E | 0x5d, "Menu" },
    /* Power and multimedia keys. */
    { KEY_POWER, E | 0x5e, "Power" }, { KEY_SLEEP, E | 0x5f, "Sleep" },
    { KEY_WAKEUP, E | 0x63, "WakeUp" },
    { KEY_PREVIOUSSONG, E | 0x10, "PrevTrack" }, { KEY_NEXTSONG, E | 0x19, "NextTrack" },
    { KEY_MUTE, E | 0x20, "Mute" }, { KEY_CALC, E | 0x21, "Calculator" },
    { KEY_PLAYPAUSE, E | 0x22, "PlayPause" }, { KEY_STOPCD, E | 0x24, "StopMedia" },
    { KEY_VOLUMEDOWN, E | 0x2e, "VolumeDown" }, { KEY_VOLUMEUP, E | 0x30, "VolumeUp" },
    { KEY_HOMEPAGE, E | 0x32, "WWWHome" }, { KEY_SEARCH, E | 0x65, "WWWSearch" },
    { KEY_BOOKMARKS, E | 0x66, "WWWFavorites" }, { KEY_REFRESH, E | 0x67, "WWWRefresh" },
    { KEY_STOP, E | 0x68, "WWWStop" }, { KEY_FORWARD, E | 0x69, "WWWForward" },
    { KEY_BACK, E | 0x6a, "WWWBack" }, { KEY_COMPUTER, E | 0x6b, "MyComputer" },
    { KEY_MAIL, E | 0x6c, "Mail" }, { KEY_MEDIA, E | 0x6d, "MediaSelect" },
};

#undef E

uint32_t keymap_evdev_to_scancode(uint32_t evdev_code)
{
    for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
        if (key_table[i].evdev == evdev_code) {
            return key_table[i].scancode;
        }
    }
    return 0;
}

uint32_t keymap_x11_to_scancode(uint32_t keycode)
{
    /* X11 keycodes start at 8: xkb's evdev rules put evdev code N at keycode N + 8. */
    return keycode < 8 ? 0 : keymap_evdev_to_scancode(keycode - 8);
}

const char *keymap_scancode_name(uint32_t scancode)
{
    for (size_t i = 0; i < sizeof(key_table) / sizeof(key_table[0]); i++) {
        if (key_table[i].scancode == scancode) {
            return key_table[i].name;
        }
    }
    return NULL;
}

size_t keymap_scancode_bytes(uint32_t scancode, bool release, uint8_t out[6])
{
    if (scancode == KEYMAP_SCANCODE_PAUSE) {
        /* Pause has no break code: the whole make+break sequence goes out on press. */
        if (release) {
            return 0;
        }
        static const uint8_t pause_seq[6] = { 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 };
        for (size_t i = 0; i < 6; i++) {
            out[i] = pause_seq[i];
        }
        return 6;
    }
    uint32_t code = scancode & 0xffu;
    if ((scancode & ~(KEYMAP_SCANCODE_EXTENDED | 0x7fu)) != 0 || code == 0) {
        return 0;
    }
    uint8_t make = (uint8_t)(code | (release ? 0x80u : 0u));
    if (scancode & KEYMAP_SCANCODE_EXTENDED) {
        out[0] = 0xe0;
        out[1] = make;
        return 2;
    }
    out[0] = make;
    return 1;
}

uint32_t spice_client_keymap_evdev_to_scancode(uint32_t evdev_code)
{
    return keymap_evdev_to_scancode(evdev_code);
}

uint32_t spice_client_keymap_x11_keycode_to_scancode(uint32_t keycode)
{
    return keymap_x11_to_scancode(keycode);
}
