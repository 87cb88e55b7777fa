/* char-devices: char device instances to the agent or spicevmc channels; wakeup, port events, subtypes. */
#include "char-devices.h"

#include <string.h>

#include "agent.h"
#include "spice-export.h"
#include "spicevmc-channel.h"

#define WEBDAV_PORT_NAME "org.spice-space.webdav.0"

/* The library's state behind SpiceCharDeviceInstance.st (the host never touches it). */
struct SpiceCharDeviceState {
    SpiceServer *reds;
    Agent *agent;                       /* the vdagent device, or */
    SpicevmcChannel *vmc;               /* a usbredir / port / webdav channel */
};

/* The lowest id no channel of @type uses yet (hot-plugged devices reuse freed ids). */
static int free_channel_id(SpiceServer *reds, uint8_t type)
{
    for (int id = 0; id <= UINT8_MAX; id++) {
        if (!reds_find_channel(reds, type, (uint8_t)id)) {
            return id;
        }
    }
    return -1;
}

static int add_vmc(SpiceServer *reds, SpiceCharDeviceInstance *sin, SpiceCharDeviceState *st,
                   uint8_t type, const char *port_name)
{
    int id = free_channel_id(reds, type);
    if (id < 0) {
        g_warning("spice_server_add_interface: no free channel id for another %s device; refused",
                  sin->subtype);
        return -1;
    }
    st->vmc = spicevmc_channel_new(reds, sin, type, (uint8_t)id, port_name);
    return 0;
}

int char_devices_add(SpiceServer *reds, SpiceCharDeviceInstance *sin)
{
    const char *subtype = sin->subtype;
    if (!subtype) {
        g_warning("spice_server_add_interface: char device without a subtype; refused");
        return -1;
    }
    SpiceCharDeviceState *st = g_new0(SpiceCharDeviceState, 1);
    st->reds = reds;
    int ret = -1;
    if (strcmp(subtype, "vdagent") == 0) {
        if (reds->agent) {
            g_warning("spice_server_add_interface: a vdagent device is already attached; "
                      "only one is supported");
        } else {
            sin->st = st;       /* before agent_new: it may call the device back at once */
            st->agent = agent_new(reds, sin);
            reds->agent = st->agent;
            reds_update_mouse_mode(reds);
            ret = 0;
        }
    } else if (strcmp(subtype, "usbredir") == 0) {
        sin->st = st;
        ret = add_vmc(reds, sin, st, SPICE_CHANNEL_USBREDIR, NULL);
    } else if (strcmp(subtype, "port") == 0) {
        if (!sin->portname || !sin->portname[0]) {
            g_warning("spice_server_add_interface: a port char device needs a port name; refused");
        } else if (strcmp(sin->portname, "org.spice-space.stream.0") == 0) {
            g_warning("spice_server_add_interface: the streaming agent port is not supported; "
                      "remove the %s port", sin->portname);
        } else {
            sin->st = st;
            bool webdav = strcmp(sin->portname, WEBDAV_PORT_NAME) == 0;
            ret = add_vmc(reds, sin, st, webdav ? SPICE_CHANNEL_WEBDAV : SPICE_CHANNEL_PORT,
                          sin->portname);
        }
    } else if (strcmp(subtype, "smartcard") == 0) {
        g_warning("spice_server_add_interface: smartcard char devices are not supported by this "
                  "library; remove the smartcard device");
    } else {
        g_warning("spice_server_add_interface: unknown char device subtype '%s'; refused", subtype);
    }
    if (ret != 0) {
        if (sin->st == st) {
            sin->st = NULL;
        }
        g_free(st);
        return -1;
    }
    reds->char_devices = g_list_append(reds->char_devices, sin);
    return 0;
}

static void remove_device(SpiceServer *reds, SpiceCharDeviceInstance *sin)
{
    SpiceCharDeviceState *st = sin->st;
    reds->char_devices = g_list_remove(reds->char_devices, sin);
    if (st->agent) {
        reds->agent = NULL;
        agent_destroy(st->agent);
        reds_update_mouse_mode(reds);
    }
    spicevmc_channel_destroy(st->vmc);
    sin->st = NULL;
    g_free(st);
}

int char_devices_remove(SpiceServer *reds, SpiceCharDeviceInstance *sin)
{
    if (!g_list_find(reds->char_devices, sin)) {
        return -1;
    }
    remove_device(reds, sin);
    return 0;
}

bool char_devices_owns(SpiceServer *reds, SpiceBaseInstance *sin)
{
    return g_list_find(reds->char_devices, sin) != NULL;
}

void char_devices_remove_all(SpiceServer *reds)
{
    while (reds->char_devices) {
        remove_device(reds, reds->char_devices->data);
    }
}

/* ---- exported entry points ---- */

static SpiceCharDeviceState *state_of(SpiceCharDeviceInstance *sin, const char *function)
{
    if (!sin || !sin->st) {
        g_warning("%s: the char device was never added (or was removed); call ignored", function);
        return NULL;
    }
    return sin->st;
}

SPICE_EXPORT void spice_server_char_device_wakeup(SpiceCharDeviceInstance *sin)
{
    SpiceCharDeviceState *st = state_of(sin, __func__);
    if (!st) {
        return;
    }
    if (st->agent) {
        agent_wakeup(st->agent);
    } else if (st->vmc) {
        spicevmc_channel_wakeup(st->vmc);
    }
}

SPICE_EXPORT void spice_server_port_event(SpiceCharDeviceInstance *sin, uint8_t event)
{
    SpiceCharDeviceState *st = state_of(sin, __func__);
    if (!st) {
        return;
    }
    if (!st->vmc) {
        g_warning("spice_server_port_event: the %s device is not a port; event %u ignored",
                  sin->subtype ? sin->subtype : "?", event);
        return;
    }
    spicevmc_channel_port_event(st->vmc, event);
}

/* Hosts check their char device names against this list at start-up (QEMU refuses unknown
 * ones), so it names what we serve: "port" is implicit (as upstream), smartcard is not built. */
static const char *recognized_char_device_subtypes[] = {
    "vdagent",
    "usbredir",
    NULL,
};

SPICE_EXPORT const char **spice_server_char_device_recognized_subtypes(void)
{
    return recognized_char_device_subtypes;
}
