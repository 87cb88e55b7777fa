/* reds-session: the one client session (its id, its end) and the mouse mode policy that depends on it. */
#include "reds-private.h"

#include <stdlib.h>

#include "inputs-channel.h"
#include "main-channel.h"

/* The host's process ends when asked to (spice_server_set_exit_on_disconnect), as upstream. */
static void exit_because_client_left(void)
{
    g_message("spice: the client disconnected and exit-on-disconnect is set; exiting");
    exit(0);
}

uint32_t reds_session_begin(SpiceServer *reds)
{
    /* One client at a time, as upstream's default: a new main link replaces the old client. */
    if (reds->session_id != 0) {
        g_message("spice: a new client replaces the connected one");
        bool exit_flag = reds->config.exit_on_disconnect;
        reds->config.exit_on_disconnect = false;    /* a replacement is not a departure */
        reds_session_disconnect(reds);
        reds->config.exit_on_disconnect = exit_flag;
    }
    uint32_t id;
    do {
        id = g_random_int();
    } while (id == 0);
    reds->session_id = id;
    return id;
}

void reds_session_end(SpiceServer *reds, uint32_t session_id)
{
    if (session_id == 0 || session_id != reds->session_id) {
        return;
    }
    reds->session_id = 0;
    /* Channels may unregister others from their callbacks: walk a snapshot. */
    GPtrArray *snapshot = g_ptr_array_new();
    for (guint i = 0; i < reds->channels->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(reds->channels, i);
        if (e->session_end) {
            g_ptr_array_add(snapshot, e);
        }
    }
    for (guint i = 0; i < snapshot->len; i++) {
        RedsChannelEntry *e = g_ptr_array_index(snapshot, i);
        bool still_registered = false;
        for (guint j = 0; j < reds->channels->len; j++) {
            still_registered = still_registered || g_ptr_array_index(reds->channels, j) == e;
        }
        if (still_registered) {
            e->session_end(e->opaque);
        }
    }
    g_ptr_array_free(snapshot, TRUE);
    if (reds->config.exit_on_disconnect) {
        exit_because_client_left();
    }
}

void reds_session_disconnect(SpiceServer *reds)
{
    uint32_t id = reds->session_id;
    if (id == 0) {
        return;
    }
    if (reds->main_channel) {
        main_channel_disconnect(reds->main_channel);   /* ends the session from on_closed */
    }
    reds_session_end(reds, id);                         /* no-op when already ended */
}

bool reds_session_has_client(SpiceServer *reds)
{
    return reds->session_id != 0;
}

/* ---- mouse mode ---- */

int reds_get_mouse_mode(SpiceServer *reds)
{
    return g_atomic_int_get(&reds->mouse_mode);
}

static void send_mouse_mode(SpiceServer *reds)
{
    if (reds->main_channel) {
        uint16_t supported = SPICE_MOUSE_MODE_SERVER;
        if (reds->client_mouse_allowed) {
            supported |= SPICE_MOUSE_MODE_CLIENT;
        }
        main_channel_send_mouse_mode(reds->main_channel, supported, (uint16_t)reds->mouse_mode);
    }
}

static void set_mouse_mode(SpiceServer *reds, int mode)
{
    if (reds->mouse_mode == mode) {
        return;
    }
    g_atomic_int_set(&reds->mouse_mode, mode);
    send_mouse_mode(reds);
}

static void update_tablet_size(SpiceServer *reds)
{
    if (reds->client_mouse_allowed && reds->tablet && reds->primary_width && reds->primary_height) {
        const SpiceTabletInterface *sif = (const SpiceTabletInterface *)reds->tablet->base.sif;
        if (sif->set_logical_size) {
            sif->set_logical_size(reds->tablet, (int)reds->primary_width, (int)reds->primary_height);
        }
    }
}

void reds_update_mouse_mode(SpiceServer *reds)
{
    /* As upstream: a tablet drives client mode only with exactly one QXL and one display
     * channel, or a vdagent with agent-mouse on; and only while the primary surface says so. */
    bool tablet_ok = reds->tablet != NULL && g_list_length(reds->qxls) == 1 &&
                     reds_count_channels_of_type(reds, SPICE_CHANNEL_DISPLAY) == 1;
    bool agent_ok = reds->agent != NULL && reds->config.agent_mouse;    /* added by chardev-helper */
    bool allowed = (tablet_ok || agent_ok) && reds->primary_allows_client_mouse;
    g_debug("spice: client mouse %s (agent %s, tablet %s, %u qxl, %u display channels, primary %s)",
            allowed ? "allowed" : "not allowed", agent_ok ? "yes" : "no", reds->tablet ? "yes" : "no",
            g_list_length(reds->qxls), reds_count_channels_of_type(reds, SPICE_CHANNEL_DISPLAY),
            reds->primary_allows_client_mouse ? "allows it" : "does not allow it");
    if (allowed == reds->client_mouse_allowed) {
        return;
    }
    reds->client_mouse_allowed = allowed;
    if (reds->mouse_mode == SPICE_MOUSE_MODE_CLIENT && !allowed) {
        set_mouse_mode(reds, SPICE_MOUSE_MODE_SERVER);
        return;
    }
    send_mouse_mode(reds);
}

void reds_on_mouse_mode_request(SpiceServer *reds, uint32_t mode)
{
    switch (mode) {
    case SPICE_MOUSE_MODE_CLIENT:
        if (reds->client_mouse_allowed) {
            set_mouse_mode(reds, SPICE_MOUSE_MODE_CLIENT);
        } else {
            g_debug("spice: the client asked for client mouse mode, which is not allowed now");
        }
        break;
    case SPICE_MOUSE_MODE_SERVER:
        set_mouse_mode(reds, SPICE_MOUSE_MODE_SERVER);
        break;
    default:
        g_message("spice: the client asked for unknown mouse mode %u; ignored", mode);
        break;
    }
}

typedef struct PrimaryChange {
    SpiceServer *reds;
    uint32_t qxl_id;
    uint32_t width;
    uint32_t height;
    bool allowed;
} PrimaryChange;

static void apply_primary_change(void *data)
{
    PrimaryChange *pc = data;
    SpiceServer *reds = pc->reds;
    reds->primary_width = pc->width;
    reds->primary_height = pc->height;
    reds->primary_allows_client_mouse = pc->allowed && pc->width > 0 && pc->height > 0;
    reds_update_mouse_mode(reds);
    update_tablet_size(reds);
    g_free(pc);
}

void reds_on_primary_surface_changed(SpiceServer *reds, uint32_t qxl_id, uint32_t width,
                                     uint32_t height, bool mouse_mode_allowed)
{
    PrimaryChange *pc = g_new0(PrimaryChange, 1);
    pc->reds = reds;
    pc->qxl_id = qxl_id;
    pc->width = width;
    pc->height = height;
    pc->allowed = mouse_mode_allowed;
    if (reds_in_host_thread(reds)) {
        apply_primary_change(pc);
    } else {
        reds_call_in_host_thread(reds, apply_primary_change, pc);
    }
}

/* A tablet came or went: the allowed modes and the tablet's logical size follow. */
void reds_on_tablet_changed(SpiceServer *reds)
{
    reds_update_mouse_mode(reds);
    update_tablet_size(reds);
}

uint32_t reds_qxl_ram_hint(SpiceServer *reds)
{
    if (!reds->qxls) {
        return 0;
    }
    QXLInstance *qxl = ((RedsQxl *)reds->qxls->data)->instance;
    const QXLInterface *sif = (const QXLInterface *)qxl->base.sif;
    if (!sif->get_init_info) {
        return 0;
    }
    QXLDevInitInfo info = { 0 };
    sif->get_init_info(qxl, &info);
    return info.qxl_ram_size;
}
