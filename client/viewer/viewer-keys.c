/* viewer-keys: spice-viewer's hotkeys (--hotkeys) and the Send key sequences. */
#include "viewer-keys.h"

#include <string.h>

#include <gdk/gdkkeysyms.h>

#define MAX_BINDINGS 32
#define MOD_MASK (GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_MOD1_MASK | GDK_SUPER_MASK)

typedef struct Binding {
    ViewerAction action;
    guint keyval;            /* 0: modifier-only (fires on release) */
    GdkModifierType mods;
} Binding;

struct ViewerHotkeys {
    Binding bindings[MAX_BINDINGS];
    size_t count;
    GdkModifierType armed_mods;   /* a modifier-only hotkey whose modifiers are all held */
    ViewerAction armed;
    bool swallowed[256];          /* hardware keycodes whose press was a hotkey */
};

static const char *const action_names[VIEWER_ACTION_COUNT] = {
    [VIEWER_ACTION_TOGGLE_FULLSCREEN] = "toggle-fullscreen",
    [VIEWER_ACTION_RELEASE_CURSOR] = "release-cursor",
    [VIEWER_ACTION_ZOOM_IN] = "zoom-in",
    [VIEWER_ACTION_ZOOM_OUT] = "zoom-out",
    [VIEWER_ACTION_ZOOM_RESET] = "zoom-reset",
    [VIEWER_ACTION_SECURE_ATTENTION] = "secure-attention",
    [VIEWER_ACTION_SCREENSHOT] = "screenshot",
};

static const Binding defaults[] = {
    { VIEWER_ACTION_TOGGLE_FULLSCREEN, GDK_KEY_F11, 0 },
    { VIEWER_ACTION_RELEASE_CURSOR, 0, GDK_CONTROL_MASK | GDK_MOD1_MASK },
    { VIEWER_ACTION_ZOOM_IN, GDK_KEY_plus, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_IN, GDK_KEY_equal, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_IN, GDK_KEY_KP_Add, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_OUT, GDK_KEY_minus, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_OUT, GDK_KEY_KP_Subtract, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_RESET, GDK_KEY_0, GDK_CONTROL_MASK },
    { VIEWER_ACTION_ZOOM_RESET, GDK_KEY_KP_0, GDK_CONTROL_MASK },
    { VIEWER_ACTION_SECURE_ATTENTION, GDK_KEY_End, GDK_CONTROL_MASK | GDK_MOD1_MASK },
    { VIEWER_ACTION_SCREENSHOT, GDK_KEY_s, GDK_CONTROL_MASK | GDK_SHIFT_MASK },
};

static GdkModifierType modifier_named(const char *name)
{
    static const struct { const char *name; GdkModifierType mod; } mods[] = {
        { "ctrl", GDK_CONTROL_MASK }, { "control", GDK_CONTROL_MASK }, { "lctrl", GDK_CONTROL_MASK },
        { "rctrl", GDK_CONTROL_MASK }, { "alt", GDK_MOD1_MASK }, { "lalt", GDK_MOD1_MASK },
        { "ralt", GDK_MOD1_MASK }, { "shift", GDK_SHIFT_MASK }, { "lshift", GDK_SHIFT_MASK },
        { "rshift", GDK_SHIFT_MASK }, { "super", GDK_SUPER_MASK }, { "win", GDK_SUPER_MASK },
        { "meta", GDK_SUPER_MASK },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(mods); i++) {
        if (g_ascii_strcasecmp(name, mods[i].name) == 0) {
            return mods[i].mod;
        }
    }
    return 0;
}

/* GDK key names are case-sensitive ("F11", "Escape", "plus"); users type any case. */
static guint keyval_named(const char *name)
{
    static const struct { const char *alias; guint keyval; } aliases[] = {
        { "esc", GDK_KEY_Escape }, { "del", GDK_KEY_Delete }, { "ins", GDK_KEY_Insert },
        { "pgup", GDK_KEY_Page_Up }, { "pgdn", GDK_KEY_Page_Down }, { "enter", GDK_KEY_Return },
        { "pageup", GDK_KEY_Page_Up }, { "pagedown", GDK_KEY_Page_Down },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (g_ascii_strcasecmp(name, aliases[i].alias) == 0) {
            return aliases[i].keyval;
        }
    }
    char *tries[3] = { g_strdup(name), g_ascii_strup(name, -1), g_ascii_strdown(name, -1) };
    tries[2][0] = g_ascii_toupper(tries[2][0]);   /* "escape" -> "Escape" */
    guint kv = GDK_KEY_VoidSymbol;
    for (int i = 0; i < 3 && kv == GDK_KEY_VoidSymbol; i++) {
        kv = gdk_keyval_from_name(tries[i]);
    }
    if (kv == GDK_KEY_VoidSymbol) {
        char *lower = g_ascii_strdown(name, -1);
        kv = gdk_keyval_from_name(lower);
        g_free(lower);
    }
    for (int i = 0; i < 3; i++) {
        g_free(tries[i]);
    }
    return kv == GDK_KEY_VoidSymbol ? 0 : gdk_keyval_to_lower(kv);
}

static ViewerAction action_named(const char *name)
{
    for (int a = 1; a < VIEWER_ACTION_COUNT; a++) {
        if (strcmp(action_names[a], name) == 0) {
            return (ViewerAction)a;
        }
    }
    return VIEWER_ACTION_NONE;
}

static void remove_action(ViewerHotkeys *hk, ViewerAction action)
{
    size_t out = 0;
    for (size_t i = 0; i < hk->count; i++) {
        if (hk->bindings[i].action != action) {
            hk->bindings[out++] = hk->bindings[i];
        }
    }
    hk->count = out;
}

static bool parse_one(ViewerHotkeys *hk, const char *item, char **error)
{
    const char *eq = strchr(item, '=');
    if (eq == NULL) {
        *error = g_strdup_printf("--hotkeys: '%s' is not ACTION=KEY[+KEY...]", item);
        return false;
    }
    char *name = g_strndup(item, (gsize)(eq - item));
    ViewerAction action = action_named(g_strstrip(name));
    if (action == VIEWER_ACTION_NONE) {
        *error = g_strdup_printf("--hotkeys: unknown action '%s' (toggle-fullscreen, release-cursor, "
                                 "zoom-in, zoom-out, zoom-reset, secure-attention, screenshot)", name);
        g_free(name);
        return false;
    }
    g_free(name);
    remove_action(hk, action);
    Binding b = { .action = action };
    char **keys = g_strsplit(eq + 1, "+", -1);
    bool ok = true;
    for (char **k = keys; *k != NULL && ok; k++) {
        char *key = g_strstrip(*k);
        GdkModifierType m = modifier_named(key);
        if (*key == '\0') {
            continue;
        } else if (m != 0) {
            b.mods |= m;
        } else if (b.keyval == 0 && (b.keyval = keyval_named(key)) != 0) {
            continue;
        } else {
            *error = g_strdup_printf("--hotkeys: invalid key '%s' in '%s' (modifiers ctrl, alt, "
                                     "shift, super and one GDK key name such as f11, x, end)", key, item);
            ok = false;
        }
    }
    g_strfreev(keys);
    if (ok && (b.keyval != 0 || b.mods != 0)) {
        if (hk->count == MAX_BINDINGS) {
            *error = g_strdup("--hotkeys: too many bindings");
            return false;
        }
        hk->bindings[hk->count++] = b;
    }
    return ok;
}

ViewerHotkeys *viewer_hotkeys_new(const char *spec, char **error)
{
    ViewerHotkeys *hk = g_new0(ViewerHotkeys, 1);
    memcpy(hk->bindings, defaults, sizeof(defaults));
    hk->count = G_N_ELEMENTS(defaults);
    if (spec == NULL) {
        return hk;
    }
    char **items = g_strsplit(spec, ",", -1);
    bool ok = true;
    for (char **it = items; *it != NULL && ok; it++) {
        if (**it != '\0') {
            ok = parse_one(hk, *it, error);
        }
    }
    g_strfreev(items);
    if (!ok) {
        g_free(hk);
        return NULL;
    }
    return hk;
}

void viewer_hotkeys_free(ViewerHotkeys *hk)
{
    g_free(hk);
}

static const Binding *first_binding(const ViewerHotkeys *hk, ViewerAction action)
{
    for (size_t i = 0; i < hk->count; i++) {
        if (hk->bindings[i].action == action) {
            return &hk->bindings[i];
        }
    }
    return NULL;
}

char *viewer_hotkeys_label(const ViewerHotkeys *hk, ViewerAction action)
{
    const Binding *b = first_binding(hk, action);
    if (b == NULL) {
        return NULL;
    }
    GString *s = g_string_new(NULL);
    static const struct { GdkModifierType mod; const char *name; } names[] = {
        { GDK_CONTROL_MASK, "Ctrl" }, { GDK_MOD1_MASK, "Alt" }, { GDK_SHIFT_MASK, "Shift" },
        { GDK_SUPER_MASK, "Super" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (b->mods & names[i].mod) {
            g_string_append_printf(s, "%s%s", s->len ? "+" : "", names[i].name);
        }
    }
    if (b->keyval != 0) {
        guint upper = gdk_keyval_to_upper(b->keyval);
        const char *kn = gdk_keyval_name(upper);
        g_string_append_printf(s, "%s%s", s->len ? "+" : "", kn ? kn : "?");
    }
    return g_string_free(s, FALSE);
}

bool viewer_hotkeys_accel(const ViewerHotkeys *hk, ViewerAction action, guint *keyval,
                          GdkModifierType *mods)
{
    const Binding *b = first_binding(hk, action);
    if (b == NULL || b->keyval == 0) {
        return false;
    }
    *keyval = b->keyval;
    *mods = b->mods;
    return true;
}

static GdkModifierType modifier_of_keyval(guint keyval)
{
    switch (keyval) {
    case GDK_KEY_Control_L: case GDK_KEY_Control_R: return GDK_CONTROL_MASK;
    case GDK_KEY_Alt_L: case GDK_KEY_Alt_R: case GDK_KEY_Meta_L: case GDK_KEY_Meta_R:
    case GDK_KEY_ISO_Level3_Shift: return GDK_MOD1_MASK;
    case GDK_KEY_Shift_L: case GDK_KEY_Shift_R: return GDK_SHIFT_MASK;
    case GDK_KEY_Super_L: case GDK_KEY_Super_R: case GDK_KEY_Hyper_L: case GDK_KEY_Hyper_R:
        return GDK_SUPER_MASK;
    default: return 0;
    }
}

static GdkModifierType held_mods(const GdkEventKey *ev)
{
    GdkModifierType m = ev->state & MOD_MASK;
    if (ev->state & GDK_MOD4_MASK) {
        m |= GDK_SUPER_MASK;   /* X11 reports Super as Mod4 */
    }
    return m;
}

ViewerAction viewer_hotkeys_feed(ViewerHotkeys *hk, const GdkEventKey *ev, bool *to_guest)
{
    guint16 code = ev->hardware_keycode;
    GdkModifierType own = modifier_of_keyval(ev->keyval);
    *to_guest = true;
    if (ev->type == GDK_KEY_RELEASE) {
        if (code < 256 && hk->swallowed[code]) {
            hk->swallowed[code] = false;
            *to_guest = false;
            return VIEWER_ACTION_NONE;
        }
        ViewerAction fired = VIEWER_ACTION_NONE;
        if (own != 0 && hk->armed != VIEWER_ACTION_NONE) {
            fired = hk->armed;
        }
        hk->armed = VIEWER_ACTION_NONE;
        return fired;
    }
    /* A press: ev->state holds the modifiers from before this key. */
    GdkModifierType mods = held_mods(ev);
    if (own != 0) {
        GdkModifierType now = mods | own;
        hk->armed = VIEWER_ACTION_NONE;
        for (size_t i = 0; i < hk->count; i++) {
            if (hk->bindings[i].keyval == 0 && hk->bindings[i].mods == now) {
                hk->armed = hk->bindings[i].action;
            }
        }
        return VIEWER_ACTION_NONE;
    }
    hk->armed = VIEWER_ACTION_NONE;
    guint kv = gdk_keyval_to_lower(ev->keyval);
    for (size_t i = 0; i < hk->count; i++) {
        const Binding *b = &hk->bindings[i];
        if (b->keyval == 0 || b->keyval != kv) {
            continue;
        }
        /* Printable symbols such as '+' need Shift on many layouts, so Shift does not count
         * for them unless the binding names it; for letters and function keys it does. */
        GdkModifierType want = b->mods, have = mods;
        gunichar ch = gdk_keyval_to_unicode(kv);
        if (!(want & GDK_SHIFT_MASK) && ch != 0 && !g_unichar_isalpha(ch)) {
            have &= ~GDK_SHIFT_MASK;
        }
        if (want == have) {
            if (code < 256) {
                hk->swallowed[code] = true;
            }
            *to_guest = false;
            return b->action;
        }
    }
    return VIEWER_ACTION_NONE;
}

void viewer_hotkeys_reset(ViewerHotkeys *hk)
{
    hk->armed = VIEWER_ACTION_NONE;
    memset(hk->swallowed, 0, sizeof(hk->swallowed));
}

/* ---- Send key ---- */

/* Set-1 make codes. */
enum {
    SC_CTRL = 0x1d, SC_ALT = 0x38, SC_BACKSPACE = 0x0e, SC_DELETE = 0x153, SC_PRINT = 0x137,
    SC_F1 = 0x3b, SC_F11 = 0x57, SC_F12 = 0x58,
};

static const ViewerKeyCombo combos[] = {
    { "Ctrl+Alt+Del", { SC_CTRL, SC_ALT, SC_DELETE }, 3 },
    { "Ctrl+Alt+Backspace", { SC_CTRL, SC_ALT, SC_BACKSPACE }, 3 },
    { "Ctrl+Alt+F1", { SC_CTRL, SC_ALT, SC_F1 + 0 }, 3 },
    { "Ctrl+Alt+F2", { SC_CTRL, SC_ALT, SC_F1 + 1 }, 3 },
    { "Ctrl+Alt+F3", { SC_CTRL, SC_ALT, SC_F1 + 2 }, 3 },
    { "Ctrl+Alt+F4", { SC_CTRL, SC_ALT, SC_F1 + 3 }, 3 },
    { "Ctrl+Alt+F5", { SC_CTRL, SC_ALT, SC_F1 + 4 }, 3 },
    { "Ctrl+Alt+F6", { SC_CTRL, SC_ALT, SC_F1 + 5 }, 3 },
    { "Ctrl+Alt+F7", { SC_CTRL, SC_ALT, SC_F1 + 6 }, 3 },
    { "Ctrl+Alt+F8", { SC_CTRL, SC_ALT, SC_F1 + 7 }, 3 },
    { "Ctrl+Alt+F9", { SC_CTRL, SC_ALT, SC_F1 + 8 }, 3 },
    { "Ctrl+Alt+F10", { SC_CTRL, SC_ALT, SC_F1 + 9 }, 3 },
    { "Ctrl+Alt+F11", { SC_CTRL, SC_ALT, SC_F11 }, 3 },
    { "Ctrl+Alt+F12", { SC_CTRL, SC_ALT, SC_F12 }, 3 },
    { "PrintScreen", { SC_PRINT }, 1 },
};

const ViewerKeyCombo *viewer_key_combos(size_t *count)
{
    *count = G_N_ELEMENTS(combos);
    return combos;
}

bool viewer_send_combo(SpiceClientSession *session, const ViewerKeyCombo *combo)
{
    if (session == NULL) {
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < combo->count; i++) {
        ok = spice_client_session_key_press(session, combo->scancodes[i]) && ok;
    }
    for (size_t i = combo->count; i-- > 0;) {
        ok = spice_client_session_key_release(session, combo->scancodes[i]) && ok;
    }
    return ok;
}
