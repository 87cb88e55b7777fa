/* viewer-window-none: spice-viewer built without GTK 3: only --headless works. */
#include <stdio.h>

#include "viewer-window.h"

const GOptionEntry *viewer_window_option_entries(ViewerWindowOptions *opts)
{
    static GOptionEntry none[] = { { NULL, 0, 0, 0, NULL, NULL, NULL } };
    (void)opts;
    return none;
}

void viewer_window_options_clear(ViewerWindowOptions *opts)
{
    g_clear_pointer(&opts->title, g_free);
    g_clear_pointer(&opts->hotkeys, g_free);
}

int viewer_window_run(const ViewerWindowOptions *opts, const char *server_label,
                      const char *password, ViewerSessionFactory factory, void *factory_user)
{
    fprintf(stderr, "spice-viewer: this build has no window (GTK 3 was missing when it was built: "
            "install libgtk-3-dev and rebuild); use --headless --screenshot FILE\n");
    return 1;
}
