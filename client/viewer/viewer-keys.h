/* viewer-keys: spice-viewer's hotkeys (--hotkeys) and the Send key sequences. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gdk/gdk.h>

#include "client/spice-client.h"

typedef enum ViewerAction {
    VIEWER_ACTION_NONE = 0,
    VIEWER_ACTION_TOGGLE_FULLSCREEN,
    VIEWER_ACTION_RELEASE_CURSOR,
    VIEWER_ACTION_ZOOM_IN,
    VIEWER_ACTION_ZOOM_OUT,
    VIEWER_ACTION_ZOOM_RESET,
    VIEWER_ACTION_SECURE_ATTENTION,   /* sends Ctrl+Alt+Del */
    VIEWER_ACTION_SCREENSHOT,
    VIEWER_ACTION_COUNT,
} ViewerAction;

typedef struct ViewerHotkeys ViewerHotkeys;

/*
 * The defaults (F11, Ctrl+Alt, Ctrl+plus/minus/0, Ctrl+Alt+End, Ctrl+Shift+S), with the actions
 * named in @spec ("release-cursor=ctrl+alt+x,zoom-in=ctrl+f9"; NULL: none) replacing theirs; an
 * empty key list ("zoom-in=") disables an action. On a bad spec returns NULL and *error
 * (g_malloc'd) names the bad part and the valid names.
 */
ViewerHotkeys *viewer_hotkeys_new(const char *spec, char **error);
void viewer_hotkeys_free(ViewerHotkeys *hk);
/* "Ctrl+Alt" for an action's first binding (g_malloc'd), NULL when it has none. */
char *viewer_hotkeys_label(const ViewerHotkeys *hk, ViewerAction action);
/* For menu accelerator labels: the first binding's key and modifiers, false when none or
 * modifier-only. */
bool viewer_hotkeys_accel(const ViewerHotkeys *hk, ViewerAction action, guint *keyval,
                          GdkModifierType *mods);

/*
 * Feeds one key event. Returns the action it completes (a key hotkey on its press, a
 * modifier-only hotkey such as Ctrl+Alt on the release that ends it with nothing pressed in
 * between), else NONE. *to_guest says whether the event should also reach the guest: a hotkey's
 * own key (press and release) does not, modifiers always do.
 */
ViewerAction viewer_hotkeys_feed(ViewerHotkeys *hk, const GdkEventKey *ev, bool *to_guest);
/* Forgets held keys (focus loss). */
void viewer_hotkeys_reset(ViewerHotkeys *hk);

/* ---- Send key ---- */

typedef struct ViewerKeyCombo {
    const char *label;            /* "Ctrl+Alt+Del" (menu text) */
    uint32_t scancodes[4];        /* set-1, 0x100 = E0 prefix; pressed in order */
    size_t count;
} ViewerKeyCombo;

/* The Send key menu's entries (static). */
const ViewerKeyCombo *viewer_key_combos(size_t *count);
/* Presses the keys in order and releases them in reverse; false without an inputs channel. */
bool viewer_send_combo(SpiceClientSession *session, const ViewerKeyCombo *combo);
