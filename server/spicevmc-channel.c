/* spicevmc-channel: SPICEVMC_DATA both ways between a char device and its client, PORT_INIT/EVENT for ports. */
#include "spicevmc-channel.h"

#include <string.h>

#include <glib.h>
#include <spice/enums.h>
#include <spice/protocol.h>

#include "channel-connection.h"
#include "char-device.h"
#include "reds.h"
#include "protocol/wire.h"

/* Guest bytes queued for a slow client past this: stop reading the device until it drains. */
#define SPICEVMC_MAX_QUEUED_TO_CLIENT (256u * 1024)
/* Client bytes the device has not taken past this: stop reading the client until it drains. */
#define SPICEVMC_MAX_QUEUED_TO_DEVICE (1024u * 1024)
/* One client message carries one usbredir packet; bulk packets follow the host's USB transfer
 * size, which Linux caps at 16 MiB (usbfs_memory_mb). Webdav chunks are far smaller. */
#define SPICEVMC_MAX_CLIENT_MESSAGE (16u * 1024 * 1024 + 64)

struct SpicevmcChannel {
    SpiceServer *reds;                  /* not owned */
    CharDevice *device;                 /* owned */
    uint8_t type;
    uint8_t id;
    char *port_name;                    /* owned; NULL unless a port or webdav channel */
    bool port_opened;                   /* the last OPENED/CLOSED event from the host */
    ChannelConnection *conn;            /* the client, NULL without one */
    bool client_reading_paused;
};

static const char *vmc_name(const SpicevmcChannel *vmc)
{
    switch (vmc->type) {
    case SPICE_CHANNEL_USBREDIR:
        return "usbredir";
    case SPICE_CHANNEL_WEBDAV:
        return "webdav";
    default:
        return "port";
    }
}

/* ---- device -> client ---- */

static bool vmc_can_take(void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    return vmc->conn && channel_connection_pending_bytes(vmc->conn) < SPICEVMC_MAX_QUEUED_TO_CLIENT;
}

static void vmc_on_device_data(const uint8_t *data, size_t size, void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    if (vmc->conn) {
        channel_connection_send(vmc->conn, SPICE_MSG_SPICEVMC_DATA, data, size);
    }
}

/* ---- client -> device ---- */

static void vmc_update_client_reading(SpicevmcChannel *vmc)
{
    if (!vmc->conn) {
        return;
    }
    bool full = char_device_write_pending(vmc->device) >= SPICEVMC_MAX_QUEUED_TO_DEVICE;
    if (full != vmc->client_reading_paused) {
        vmc->client_reading_paused = full;
        channel_connection_set_reading(vmc->conn, !full);
    }
}

static void vmc_on_write_queue_empty(void *opaque)
{
    vmc_update_client_reading(opaque);
}

static const CharDeviceCallbacks vmc_device_callbacks = {
    .on_data = vmc_on_device_data,
    .can_take = vmc_can_take,
    .on_write_queue_empty = vmc_on_write_queue_empty,
};

static void vmc_to_device(SpicevmcChannel *vmc, const uint8_t *data, size_t size)
{
    char_device_write(vmc->device, data, size, 0);
    vmc_update_client_reading(vmc);
}

static bool vmc_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                               uint32_t size, void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    switch (type) {
    case SPICE_MSGC_SPICEVMC_DATA:
        vmc_to_device(vmc, body, size);
        return true;
    case SPICE_MSGC_SPICEVMC_COMPRESSED_DATA: {
        /* We never advertise SPICEVMC_CAP_DATA_COMPRESS_LZ4, so only "none" is acceptable. */
        if (size < 1 || body[0] != SPICE_DATA_COMPRESSION_TYPE_NONE) {
            g_message("%s channel: the client sent COMPRESSED_DATA of type %d, which we never "
                      "offered; closing the connection", vmc_name(vmc), size ? body[0] : -1);
            return false;
        }
        vmc_to_device(vmc, body + 1, size - 1);
        return true;
    }
    case SPICE_MSGC_PORT_EVENT:
        if (vmc->type == SPICE_CHANNEL_USBREDIR || size < 1) {
            return false;
        }
        char_device_send_event(vmc->device, body[0]);
        return true;
    default:
        return false;
    }
}

static void vmc_on_writable(ChannelConnection *conn, void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    /* The client caught up: read what the guest left blocked (or unblock it with a 0 read). */
    char_device_wakeup(vmc->device);
}

static void vmc_on_closed(ChannelConnection *conn, void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    if (vmc->conn != conn) {
        return;
    }
    vmc->conn = NULL;
    vmc->client_reading_paused = false;
    /* What the client sent and the guest has not taken belongs to a stream that just ended. */
    char_device_drop_queued(vmc->device);
    char_device_set_state(vmc->device, false);
}

static const ChannelConnectionCallbacks vmc_callbacks = {
    .handle_message = vmc_handle_message,
    .on_writable = vmc_on_writable,
    .on_closed = vmc_on_closed,
};

static void vmc_send_port_init(SpicevmcChannel *vmc)
{
    size_t name_size = strlen(vmc->port_name) + 1;
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, (uint32_t)name_size);
    wire_write_u32(&w, 9);          /* offset of the name: right after this fixed part */
    wire_write_u8(&w, vmc->port_opened ? 1 : 0);
    wire_write_bytes(&w, vmc->port_name, name_size);
    channel_connection_send_writer(vmc->conn, SPICE_MSG_PORT_INIT, &w);
    wire_writer_finish(&w);
}

static void vmc_link(LinkedPeer *peer, void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    if (vmc->conn) {
        g_message("%s channel %u: a new client connection replaces the current one",
                  vmc_name(vmc), vmc->id);
        channel_connection_close(vmc->conn);     /* state(0): the device restarts for the new one */
    }
    ChannelConnectionConfig config = {
        .name = vmc_name(vmc),
        .max_message_size = SPICEVMC_MAX_CLIENT_MESSAGE,
    };
    ChannelConnection *conn = channel_connection_new(reds_get_event_loop(vmc->reds), peer, &config,
                                                     &vmc_callbacks, vmc);
    if (!conn) {
        return;
    }
    vmc->conn = conn;
    if (vmc->port_name) {
        vmc_send_port_init(vmc);
    }
    char_device_set_state(vmc->device, true);
    /* Anything the guest wrote while nobody listened is read now. */
    char_device_wakeup(vmc->device);
}

static void vmc_session_end(void *opaque)
{
    SpicevmcChannel *vmc = opaque;
    if (vmc->conn) {
        channel_connection_close(vmc->conn);
    }
}

SpicevmcChannel *spicevmc_channel_new(SpiceServer *reds, SpiceCharDeviceInstance *sin,
                                      uint8_t channel_type, uint8_t channel_id,
                                      const char *port_name)
{
    SpicevmcChannel *vmc = g_new0(SpicevmcChannel, 1);
    vmc->reds = reds;
    vmc->type = channel_type;
    vmc->id = channel_id;
    vmc->port_name = g_strdup(port_name);
    vmc->device = char_device_new(reds_get_event_loop(reds), sin, &vmc_device_callbacks, vmc);
    /* No channel caps: in particular not SPICEVMC_CAP_DATA_COMPRESS_LZ4. */
    reds_register_channel(reds, channel_type, channel_id, NULL, 0, vmc_link, vmc);
    reds_set_channel_session_end(reds, channel_type, channel_id, vmc_session_end);
    return vmc;
}

void spicevmc_channel_destroy(SpicevmcChannel *vmc)
{
    if (!vmc) {
        return;
    }
    if (vmc->conn) {
        channel_connection_close(vmc->conn);
    }
    reds_unregister_channel(vmc->reds, vmc->type, vmc->id);
    char_device_free(vmc->device);
    g_free(vmc->port_name);
    g_free(vmc);
}

void spicevmc_channel_wakeup(SpicevmcChannel *vmc)
{
    char_device_wakeup(vmc->device);
}

void spicevmc_channel_port_event(SpicevmcChannel *vmc, uint8_t event)
{
    if (event == SPICE_PORT_EVENT_OPENED) {
        vmc->port_opened = true;
    } else if (event == SPICE_PORT_EVENT_CLOSED) {
        vmc->port_opened = false;
    }
    if (vmc->conn && vmc->port_name) {
        channel_connection_send(vmc->conn, SPICE_MSG_PORT_EVENT, &event, 1);
    }
}
