/* api-unimplemented.c: exported functions whose feature comes with a later issue fail cleanly here. */
/*
 * Hosts (QEMU 7.2 above all) bind every symbol of libspice-server.so.1 when they load it, so
 * each one must exist even before its feature does. The functions here never crash and never
 * pretend to work: they return the API's error value where it has one, otherwise do nothing,
 * and log one line per function per process naming what is missing.
 *
 * Who defines which of the 97 exported functions (each exactly once, all with SPICE_EXPORT):
 *
 * core-helper (server/reds.c and friends, 36):
 *   spice_server_new, spice_server_init, spice_server_destroy, spice_server_set_port,
 *   spice_server_set_addr, spice_server_set_ticket, spice_server_set_noauth,
 *   spice_server_set_name, spice_server_set_uuid, spice_server_vm_start, spice_server_vm_stop,
 *   spice_server_add_interface, spice_server_remove_interface, spice_server_kbd_leds,
 *   spice_server_is_server_mouse, spice_server_get_num_clients,
 *   spice_server_set_listen_socket_fd, spice_server_set_exit_on_disconnect,
 *   spice_server_set_compat_version, spice_server_set_image_compression,
 *   spice_server_get_image_compression, spice_server_set_jpeg_compression,
 *   spice_server_set_zlib_glz_compression, spice_server_set_streaming_video,
 *   spice_server_set_agent_mouse, spice_server_set_agent_copypaste,
 *   spice_server_set_agent_file_xfer, spice_server_set_playback_compression,
 *   spice_server_set_seamless_migration, spice_server_set_sasl_appname,
 *   spice_server_set_channel_security, spice_server_set_video_codecs,
 *   spice_server_get_video_codecs, spice_server_free_video_codecs,
 *   spice_server_get_sock_info, spice_server_get_peer_info
 *
 * display-helper (QXL worker, 26): every spice_qxl_* function except the two GL ones:
 *   spice_qxl_wakeup, spice_qxl_oom, spice_qxl_start, spice_qxl_stop, spice_qxl_update_area,
 *   spice_qxl_add_memslot, spice_qxl_del_memslot, spice_qxl_reset_memslots,
 *   spice_qxl_destroy_surfaces, spice_qxl_destroy_primary_surface,
 *   spice_qxl_create_primary_surface, spice_qxl_reset_image_cache, spice_qxl_reset_cursor,
 *   spice_qxl_destroy_surface_wait, spice_qxl_loadvm_commands, spice_qxl_update_area_async,
 *   spice_qxl_add_memslot_async, spice_qxl_destroy_surfaces_async,
 *   spice_qxl_destroy_primary_surface_async, spice_qxl_create_primary_surface_async,
 *   spice_qxl_destroy_surface_async, spice_qxl_flush_surfaces_async,
 *   spice_qxl_monitors_config_async, spice_qxl_driver_unload, spice_qxl_set_max_monitors,
 *   spice_qxl_set_device_info
 *
 * audio-helper (server/sound-playback.c, sound-record.c, 16): spice_server_playback_*,
 *   spice_server_record_*, spice_server_get_best_*_rate, spice_server_set_*_rate
 *
 * chardev-helper (server/char-devices.c, 3): spice_server_char_device_wakeup,
 *   spice_server_port_event, spice_server_char_device_recognized_subtypes
 *
 * tls-helper (server/reds-clients.c, 3): spice_server_set_tls, spice_server_add_client,
 *   spice_server_add_ssl_client
 *
 * this file (14): everything else, in the order below.
 */
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "spice.h"
#include "spice-export.h"

static void report_unimplemented(gint *reported, const char *function, const char *what_to_do)
{
    if (g_atomic_int_compare_and_exchange(reported, 0, 1)) {
        g_warning("%s is not implemented yet; %s", function, what_to_do);
    }
}

/* One log line per function per process, whichever thread calls first. */
#define NOT_IMPLEMENTED_YET(what_to_do)                                   \
    do {                                                                  \
        static gint reported_once;                                        \
        report_unimplemented(&reported_once, __func__, (what_to_do));     \
    } while (0)

/* ---- compat version: fully working, nothing to defer ---- */

SPICE_EXPORT spice_compat_version_t spice_get_current_compat_version(void)
{
    return SPICE_COMPAT_VERSION_CURRENT;
}

/* ---- authentication and extra transports ---- */

SPICE_EXPORT int spice_server_set_sasl(SpiceServer *s, int enabled)
{
    if (!enabled) {
        return 0;
    }
    NOT_IMPLEMENTED_YET("SASL authentication comes with a later issue; use a ticket (password) or noauth");
    return -1;
}

/* Obsolete: the one renderer there is, "sw" (software), is always in use. */
SPICE_EXPORT int spice_server_add_renderer(SpiceServer *s, const char *name)
{
    if (name != NULL && strcmp(name, "sw") == 0) {
        return 0;
    }
    g_warning("spice_server_add_renderer: unknown renderer \"%s\"; only \"sw\" exists, drop the call",
              name ? name : "(null)");
    return -1;
}

/* ---- client migration ---- */

SPICE_EXPORT int spice_server_migrate_info(SpiceServer *s, const char *dest, int port,
                                           int secure_port, const char *cert_subject)
{
    NOT_IMPLEMENTED_YET("client migration comes with a later issue; clients reconnect by hand");
    return -1;
}

SPICE_EXPORT int spice_server_migrate_switch(SpiceServer *s)
{
    NOT_IMPLEMENTED_YET("client migration comes with a later issue; clients reconnect by hand");
    return -1;
}

SPICE_EXPORT int spice_server_migrate_connect(SpiceServer *s, const char *dest, int port,
                                              int secure_port, const char *cert_subject)
{
    NOT_IMPLEMENTED_YET("client migration comes with a later issue; clients reconnect by hand");
    return -1;
}

/* QEMU calls start/end even after migrate_connect failed, and ignores their result: they
 * must be harmless, so they report success for doing nothing. */
SPICE_EXPORT int spice_server_migrate_start(SpiceServer *s)
{
    NOT_IMPLEMENTED_YET("client migration comes with a later issue; clients are not moved");
    return 0;
}

SPICE_EXPORT int spice_server_migrate_end(SpiceServer *s, int completed)
{
    NOT_IMPLEMENTED_YET("client migration comes with a later issue; clients are not moved");
    return 0;
}

/* ---- replay of recorded QXL streams ---- */

SPICE_EXPORT SpiceReplay *spice_replay_new(FILE *file, int nsurfaces)
{
    NOT_IMPLEMENTED_YET("replaying recorded QXL streams comes with a later issue");
    return NULL;
}

SPICE_EXPORT QXLCommandExt *spice_replay_next_cmd(SpiceReplay *replay, QXLInstance *instance)
{
    return NULL;
}

SPICE_EXPORT void spice_replay_free_cmd(SpiceReplay *replay, QXLCommandExt *cmd)
{
}

SPICE_EXPORT void spice_replay_free(SpiceReplay *replay)
{
}

/* ---- GL scanout (local dma-buf display) ---- */

/* The fd is ours from the call on: close it so the host leaks nothing. */
SPICE_EXPORT void spice_qxl_gl_scanout(QXLInstance *qxl, int fd, uint32_t width, uint32_t height,
                                       uint32_t stride, uint32_t format, int y_0_top)
{
    NOT_IMPLEMENTED_YET("GL scanout (gl=on) comes with a later issue; run the display without gl");
    if (fd >= 0) {
        close(fd);
    }
}

/* The host blocks its console until the cookie completes, so complete it at once, in the
 * caller's thread, as upstream does when it has no scanout to show. */
SPICE_EXPORT void spice_qxl_gl_draw_async(QXLInstance *qxl, uint32_t x, uint32_t y,
                                          uint32_t w, uint32_t h, uint64_t cookie)
{
    NOT_IMPLEMENTED_YET("GL scanout (gl=on) comes with a later issue; run the display without gl");
    if (qxl == NULL || qxl->base.sif == NULL) {
        return;
    }
    const QXLInterface *qxl_if = (const QXLInterface *)qxl->base.sif;
    if (qxl_if->async_complete != NULL) {
        qxl_if->async_complete(qxl, cookie);
    }
}
