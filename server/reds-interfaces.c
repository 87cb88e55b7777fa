/* reds-interfaces: spice_server_add_interface / remove_interface: version checks and who takes each device. */
#include "reds-private.h"

#include <string.h>

#include "char-devices.h"
#include "inputs-channel.h"
#include "qxl-worker.h"
#include "sound.h"
#include "spice-export.h"

/* As upstream: the major version must match, the minor may be older than ours. */
static bool interface_version_ok(const SpiceBaseInterface *sif, uint32_t major, uint32_t minor)
{
    if (sif->major_version != major || sif->minor_version > minor) {
        g_warning("spice_server_add_interface: %s interface version %u.%u is not supported "
                  "(this library speaks %u.%u); the device is not attached",
                  sif->type, sif->major_version, sif->minor_version, major, minor);
        return false;
    }
    return true;
}

static int add_qxl(SpiceServer *reds, QXLInstance *qxl)
{
    if (qxl->id < 0) {
        g_warning("spice_server_add_interface: qxl instance id %d is negative; refused", qxl->id);
        return -1;
    }
    for (GList *l = reds->qxls; l; l = l->next) {
        if (((RedsQxl *)l->data)->instance->id == qxl->id) {
            g_warning("spice_server_add_interface: a qxl instance with id %d already exists; refused",
                      qxl->id);
            return -1;
        }
    }
    RedsQxl *entry = g_new0(RedsQxl, 1);
    entry->instance = qxl;
    /* Count it before the worker registers its display channel (the mouse rule needs both). */
    reds->qxls = g_list_append(reds->qxls, entry);
    entry->worker = qxl_worker_new(reds, qxl);
    if (!entry->worker) {
        reds->qxls = g_list_remove(reds->qxls, entry);
        g_free(entry);
        return -1;
    }
    if (!reds_is_vm_running(reds)) {
        qxl_worker_vm_stop(entry->worker);
    }
    reds_update_mouse_mode(reds);
    return 0;
}

SPICE_EXPORT int spice_server_add_interface(SpiceServer *reds, SpiceBaseInstance *sin)
{
    g_return_val_if_fail(reds != NULL && sin != NULL && sin->sif != NULL && sin->sif->type != NULL, -1);
    const SpiceBaseInterface *sif = sin->sif;
    const char *type = sif->type;

    if (strcmp(type, SPICE_INTERFACE_KEYBOARD) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_KEYBOARD_MAJOR, SPICE_INTERFACE_KEYBOARD_MINOR)) {
            return -1;
        }
        return inputs_channel_set_keyboard(reds, (SpiceKbdInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_MOUSE) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_MOUSE_MAJOR, SPICE_INTERFACE_MOUSE_MINOR)) {
            return -1;
        }
        return inputs_channel_set_mouse(reds, (SpiceMouseInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_TABLET) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_TABLET_MAJOR, SPICE_INTERFACE_TABLET_MINOR)) {
            return -1;
        }
        return inputs_channel_set_tablet(reds, (SpiceTabletInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_QXL) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_QXL_MAJOR, SPICE_INTERFACE_QXL_MINOR)) {
            return -1;
        }
        if (!reds->initialized) {
            g_warning("spice_server_add_interface: qxl added before spice_server_init; refused");
            return -1;
        }
        return add_qxl(reds, (QXLInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_PLAYBACK) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_PLAYBACK_MAJOR, SPICE_INTERFACE_PLAYBACK_MINOR)) {
            return -1;
        }
        return sound_playback_attach(reds, (SpicePlaybackInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_RECORD) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_RECORD_MAJOR, SPICE_INTERFACE_RECORD_MINOR)) {
            return -1;
        }
        return sound_record_attach(reds, (SpiceRecordInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_CHAR_DEVICE) == 0) {
        if (!interface_version_ok(sif, SPICE_INTERFACE_CHAR_DEVICE_MAJOR,
                                  SPICE_INTERFACE_CHAR_DEVICE_MINOR)) {
            return -1;
        }
        if (!reds->initialized) {
            g_warning("spice_server_add_interface: char device added before spice_server_init; refused");
            return -1;
        }
        return char_devices_add(reds, (SpiceCharDeviceInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_MIGRATION) == 0) {
        if (reds->migration) {
            g_warning("spice_server_add_interface: a migration interface is already attached");
            return -1;
        }
        if (!interface_version_ok(sif, SPICE_INTERFACE_MIGRATION_MAJOR, SPICE_INTERFACE_MIGRATION_MINOR)) {
            return -1;
        }
        reds->migration = (SpiceMigrateInstance *)sin;
        return 0;
    }
    /* As upstream: unknown interface types are accepted and ignored. */
    g_message("spice_server_add_interface: unknown interface type '%s' ignored", type);
    return 0;
}

SPICE_EXPORT int spice_server_remove_interface(SpiceBaseInstance *sin)
{
    g_return_val_if_fail(sin != NULL && sin->sif != NULL && sin->sif->type != NULL, -1);
    const char *type = sin->sif->type;
    /* Audio devices know their server through ->st. */
    if (strcmp(type, SPICE_INTERFACE_PLAYBACK) == 0) {
        return sound_playback_detach((SpicePlaybackInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_RECORD) == 0) {
        return sound_record_detach((SpiceRecordInstance *)sin);
    }
    SpiceServer *reds = reds_find_server_of_instance(sin);
    if (!reds) {
        g_warning("spice_server_remove_interface: this %s instance was never added", type);
        return -1;
    }
    if (strcmp(type, SPICE_INTERFACE_TABLET) == 0) {
        inputs_channel_detach_tablet(reds, (SpiceTabletInstance *)sin);
        return 0;
    }
    if (strcmp(type, SPICE_INTERFACE_CHAR_DEVICE) == 0 &&
        char_devices_owns(reds, sin)) {
        return char_devices_remove(reds, (SpiceCharDeviceInstance *)sin);
    }
    if (strcmp(type, SPICE_INTERFACE_QXL) == 0) {
        for (GList *l = reds->qxls; l; l = l->next) {
            RedsQxl *q = l->data;
            if ((SpiceBaseInstance *)q->instance == sin) {
                reds->qxls = g_list_delete_link(reds->qxls, l);
                qxl_worker_destroy(q->worker);
                g_free(q);
                reds_update_mouse_mode(reds);
                return 0;
            }
        }
        return -1;
    }
    for (GList *l = reds->stored_instances; l; l = l->next) {
        RedsStoredInstance *stored = l->data;
        if (stored->instance == sin) {
            reds->stored_instances = g_list_delete_link(reds->stored_instances, l);
            g_free(stored);
            return 0;
        }
    }
    /* As upstream: keyboard, mouse and migration cannot be removed. */
    g_warning("spice_server_remove_interface: removing a %s is not supported", type);
    return -1;
}
