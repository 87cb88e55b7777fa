/* key-sequence: turns text and combo specs into KeyStep lists (US layout, PC set-1 scancodes). */
#include "client/key-sequence.h"

#include <string.h>

#include "client/keymap.h"

#define SHIFT_SCANCODE 0x2au

/* The US layout's printable characters: [c - 0x20] = scancode | SHIFTED. */
#define SHIFTED 0x1000u
static const uint16_t us_ascii[95] = {
    [' ' - 0x20] = 0x39,
    ['1' - 0x20] = 0x02, ['2' - 0x20] = 0x03, ['3' - 0x20] = 0x04, ['4' - 0x20] = 0x05,
    ['5' - 0x20] = 0x06, ['6' - 0x20] = 0x07, ['7' - 0x20] = 0x08, ['8' - 0x20] = 0x09,
    ['9' - 0x20] = 0x0a, ['0' - 0x20] = 0x0b, ['-' - 0x20] = 0x0c, ['=' - 0x20] = 0x0d,
    ['!' - 0x20] = 0x02 | SHIFTED, ['@' - 0x20] = 0x03 | SHIFTED, ['#' - 0x20] = 0x04 | SHIFTED,
    ['$' - 0x20] = 0x05 | SHIFTED, ['%' - 0x20] = 0x06 | SHIFTED, ['^' - 0x20] = 0x07 | SHIFTED,
    ['&' - 0x20] = 0x08 | SHIFTED, ['*' - 0x20] = 0x09 | SHIFTED, ['(' - 0x20] = 0x0a | SHIFTED,
    [')' - 0x20] = 0x0b | SHIFTED, ['_' - 0x20] = 0x0c | SHIFTED, ['+' - 0x20] = 0x0d | SHIFTED,
    ['q' - 0x20] = 0x10, ['w' - 0x20] = 0x11, ['e' - 0x20] = 0x12, ['r' - 0x20] = 0x13,
    ['t' - 0x20] = 0x14, ['y' - 0x20] = 0x15, ['u' - 0x20] = 0x16, ['i' - 0x20] = 0x17,
    ['o' - 0x20] = 0x18, ['p' - 0x20] = 0x19, ['[' - 0x20] = 0x1a, [']' - 0x20] = 0x1b,
    ['{' - 0x20] = 0x1a | SHIFTED, ['}' - 0x20] = 0x1b | SHIFTED,
    ['a' - 0x20] = 0x1e, ['s' - 0x20] = 0x1f, ['d' - 0x20] = 0x20, ['f' - 0x20] = 0x21,
    ['g' - 0x20] = 0x22, ['h' - 0x20] = 0x23, ['j' - 0x20] = 0x24, ['k' - 0x20] = 0x25,
    ['l' - 0x20] = 0x26, [';' - 0x20] = 0x27, ['\'' - 0x20] = 0x28, ['`' - 0x20] = 0x29,
    [':' - 0x20] = 0x27 | SHIFTED, ['"' - 0x20] = 0x28 | SHIFTED, ['~' - 0x20] = 0x29 | SHIFTED,
    ['\\' - 0x20] = 0x2b, ['|' - 0x20] = 0x2b | SHIFTED,
    ['z' - 0x20] = 0x2c, ['x' - 0x20] = 0x2d, ['c' - 0x20] = 0x2e, ['v' - 0x20] = 0x2f,
    ['b' - 0x20] = 0x30, ['n' - 0x20] = 0x31, ['m' - 0x20] = 0x32, [',' - 0x20] = 0x33,
    ['.' - 0x20] = 0x34, ['/' - 0x20] = 0x35,
    ['<' - 0x20] = 0x33 | SHIFTED, ['>' - 0x20] = 0x34 | SHIFTED, ['?' - 0x20] = 0x35 | SHIFTED,
};

/* scancode | SHIFTED for a character, 0 when the US layout has no key for it. */
static uint32_t char_key(char c)
{
    if (c == '\n') {
        return 0x1c;
    }
    if (c == '\t') {
        return 0x0f;
    }
    if (c >= 'A' && c <= 'Z') {
        return us_ascii[c - 'A' + 'a' - 0x20] | SHIFTED;
    }
    if (c >= 0x20 && c < 0x7f) {
        return us_ascii[c - 0x20];
    }
    return 0;
}

static void add_step(GArray *steps, uint32_t scancode, bool press)
{
    KeyStep s = { .scancode = scancode, .press = press };
    g_array_append_val(steps, s);
}

bool key_sequence_from_text(GArray *steps, const char *text, char **error)
{
    for (const char *p = text; *p; p++) {
        if (char_key(*p) == 0) {
            *error = g_strdup_printf("cannot type character 0x%02x at offset %td: only printable "
                                     "ASCII, newline and tab go through the US layout",
                                     (unsigned)(unsigned char)*p, p - text);
            return false;
        }
    }
    for (const char *p = text; *p; p++) {
        uint32_t k = char_key(*p);
        bool shift = (k & SHIFTED) != 0;
        uint32_t sc = k & ~SHIFTED;
        if (shift) {
            add_step(steps, SHIFT_SCANCODE, true);
        }
        add_step(steps, sc, true);
        add_step(steps, sc, false);
        if (shift) {
            add_step(steps, SHIFT_SCANCODE, false);
        }
    }
    return true;
}

typedef struct KeyName {
    const char *name;
    uint16_t scancode;
} KeyName;

static const KeyName key_names[] = {
    { "ctrl", 0x1d }, { "control", 0x1d }, { "lctrl", 0x1d }, { "rctrl", 0x11d },
    { "alt", 0x38 }, { "lalt", 0x38 }, { "altgr", 0x138 }, { "ralt", 0x138 },
    { "shift", 0x2a }, { "lshift", 0x2a }, { "rshift", 0x36 },
    { "super", 0x15b }, { "win", 0x15b }, { "meta", 0x15b }, { "rsuper", 0x15c }, { "menu", 0x15d },
    { "del", 0x153 }, { "delete", 0x153 }, { "ins", 0x152 }, { "insert", 0x152 },
    { "home", 0x147 }, { "end", 0x14f }, { "pgup", 0x149 }, { "pageup", 0x149 },
    { "pgdn", 0x151 }, { "pagedown", 0x151 },
    { "up", 0x148 }, { "down", 0x150 }, { "left", 0x14b }, { "right", 0x14d },
    { "enter", 0x1c }, { "return", 0x1c }, { "esc", 0x01 }, { "escape", 0x01 }, { "tab", 0x0f },
    { "space", 0x39 }, { "backspace", 0x0e }, { "capslock", 0x3a }, { "numlock", 0x45 },
    { "scrolllock", 0x46 }, { "print", 0x137 }, { "sysrq", 0x137 },
    { "pause", KEYMAP_SCANCODE_PAUSE },
    { "f1", 0x3b }, { "f2", 0x3c }, { "f3", 0x3d }, { "f4", 0x3e }, { "f5", 0x3f }, { "f6", 0x40 },
    { "f7", 0x41 }, { "f8", 0x42 }, { "f9", 0x43 }, { "f10", 0x44 }, { "f11", 0x57 }, { "f12", 0x58 },
    { "kp_0", 0x52 }, { "kp_1", 0x4f }, { "kp_2", 0x50 }, { "kp_3", 0x51 }, { "kp_4", 0x4b },
    { "kp_5", 0x4c }, { "kp_6", 0x4d }, { "kp_7", 0x47 }, { "kp_8", 0x48 }, { "kp_9", 0x49 },
    { "kp_enter", 0x11c },
};

static uint32_t name_key(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(key_names); i++) {
        if (g_ascii_strcasecmp(key_names[i].name, name) == 0) {
            return key_names[i].scancode;
        }
    }
    if (name[0] != '\0' && name[1] == '\0') {
        uint32_t k = char_key(g_ascii_tolower(name[0]));
        if (k != 0 && name[0] != ' ') {
            return k & ~SHIFTED;
        }
    }
    /* The keymap's own names ("KP_Divide", "VolumeUp"). */
    for (uint32_t sc = 1; sc < 0x180; sc++) {
        const char *n = keymap_scancode_name(sc);
        if (n != NULL && g_ascii_strcasecmp(n, name) == 0) {
            return sc;
        }
    }
    return 0;
}

bool key_sequence_from_combo(GArray *steps, const char *combo, char **error)
{
    /* "ctrl++" would be ambiguous; a '+' key is named "equal" with shift, like any shifted key. */
    char **parts = g_strsplit(combo, "+", -1);
    guint n = g_strv_length(parts);
    uint32_t keys[16];
    bool ok = n > 0 && n <= G_N_ELEMENTS(keys);
    if (!ok) {
        *error = g_strdup_printf("key combo '%s' must have 1 to %zu keys joined by '+'", combo,
                                 G_N_ELEMENTS(keys));
    }
    for (guint i = 0; ok && i < n; i++) {
        char *name = g_strstrip(parts[i]);
        keys[i] = name_key(name);
        if (keys[i] == 0) {
            *error = g_strdup_printf("unknown key '%s' in combo '%s' (names: ctrl, alt, shift, "
                                     "super, del, enter, esc, tab, f1..f12, a single character...)",
                                     name, combo);
            ok = false;
        }
    }
    if (ok) {
        for (guint i = 0; i < n; i++) {
            add_step(steps, keys[i], true);
        }
        for (guint i = n; i-- > 0;) {
            add_step(steps, keys[i], false);
        }
    }
    g_strfreev(parts);
    return ok;
}

struct KeyPlayer {
    GArray *steps;
    guint next;
    unsigned delay_ms;
    guint source;
    bool started;
    SpiceClientSession *session;   /* borrowed */
};

KeyPlayer *key_player_new(GArray *steps, unsigned delay_ms)
{
    KeyPlayer *kp = g_new0(KeyPlayer, 1);
    kp->steps = steps;
    kp->delay_ms = delay_ms;
    return kp;
}

void key_player_free(KeyPlayer *kp)
{
    if (kp == NULL) {
        return;
    }
    if (kp->source) {
        g_source_remove(kp->source);
    }
    g_array_unref(kp->steps);
    g_free(kp);
}

static gboolean play_one(gpointer data)
{
    KeyPlayer *kp = data;
    if (kp->next >= kp->steps->len) {
        kp->source = 0;
        return G_SOURCE_REMOVE;
    }
    const KeyStep *s = &g_array_index(kp->steps, KeyStep, kp->next);
    bool sent = s->press ? spice_client_session_key_press(kp->session, s->scancode)
                         : spice_client_session_key_release(kp->session, s->scancode);
    if (sent) {
        kp->next++;
    }
    if (kp->next >= kp->steps->len) {
        kp->source = 0;
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

void key_player_start(KeyPlayer *kp, SpiceClientSession *session)
{
    if (kp->started) {
        return;
    }
    kp->started = true;
    kp->session = session;
    kp->source = g_timeout_add(kp->delay_ms > 0 ? kp->delay_ms : 1, play_one, kp);
}

bool key_player_started(const KeyPlayer *kp)
{
    return kp->started;
}

bool key_player_done(const KeyPlayer *kp)
{
    return kp->started && kp->next >= kp->steps->len;
}

unsigned key_player_remaining(const KeyPlayer *kp)
{
    return kp->steps->len - kp->next;
}
