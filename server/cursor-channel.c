/* cursor-channel: cursor state, INIT for new clients, SET/MOVE/HIDE forwarding with stale-client catch-up. */
#include "cursor-channel.h"

#include <glib.h>
#include <spice/enums.h>

#include "channel-connection.h"
#include "cursor-channel-messages.h"

#define CURSOR_MAX_CLIENT_MESSAGE 1024
#define CURSOR_ACK_WINDOW 20

typedef struct CursorClient {
    CursorChannel *cursor;
    ChannelConnection *conn;     /* NULL once closed */
    bool stale;                  /* missed updates: owes one SET/HIDE with the current state */
} CursorClient;

struct CursorChannel {
    EventLoop *loop;
    uint8_t id;
    GPtrArray *clients;          /* of CursorClient*, owned */
    int busy;

    /* the current cursor */
    bool has_shape;
    CursorShape shape;           /* data owned (shape_data) */
    uint8_t *shape_data;
    int16_t x;
    int16_t y;
    bool visible;
    uint16_t trail_length;
    uint16_t trail_frequency;
};

static void reap_closed_clients(CursorChannel *cursor)
{
    if (cursor->busy > 0) {
        return;
    }
    for (guint i = cursor->clients->len; i-- > 0;) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        if (!client->conn) {
            g_ptr_array_remove_index(cursor->clients, i);
            g_free(client);
        }
    }
}

static const CursorShape *current_shape(const CursorChannel *cursor)
{
    return cursor->has_shape ? &cursor->shape : NULL;
}

static void send_current_state(CursorClient *client)
{
    CursorChannel *cursor = client->cursor;
    WireWriter writer;
    wire_writer_init(&writer);
    if (cursor->visible || cursor->has_shape) {
        cursor_msg_write_set(&writer, cursor->x, cursor->y, cursor->visible, current_shape(cursor));
        channel_connection_send_writer(client->conn, SPICE_MSG_CURSOR_SET, &writer);
    } else {
        channel_connection_send(client->conn, SPICE_MSG_CURSOR_HIDE, NULL, 0);
    }
    wire_writer_finish(&writer);
    client->stale = false;
}

static bool cursor_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                                  uint32_t size, void *opaque)
{
    /* The cursor channel has no client messages of its own. */
    return false;
}

static void cursor_on_writable(ChannelConnection *conn, void *opaque)
{
    CursorClient *client = opaque;
    if (client->stale && client->conn) {
        send_current_state(client);
    }
}

static void cursor_on_closed(ChannelConnection *conn, void *opaque)
{
    CursorClient *client = opaque;
    client->conn = NULL;
    reap_closed_clients(client->cursor);
}

static const ChannelConnectionCallbacks cursor_callbacks = {
    .handle_message = cursor_handle_message,
    .on_writable = cursor_on_writable,
    .on_closed = cursor_on_closed,
};

CursorChannel *cursor_channel_new(EventLoop *loop, uint8_t channel_id)
{
    CursorChannel *cursor = g_new0(CursorChannel, 1);
    cursor->loop = loop;
    cursor->id = channel_id;
    cursor->clients = g_ptr_array_new();
    return cursor;
}

static void forget_shape(CursorChannel *cursor)
{
    g_free(cursor->shape_data);
    cursor->shape_data = NULL;
    cursor->has_shape = false;
    cursor->shape = (CursorShape){ 0 };
}

void cursor_channel_destroy(CursorChannel *cursor)
{
    if (!cursor) {
        return;
    }
    cursor->busy++;
    for (guint i = 0; i < cursor->clients->len; i++) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        if (client->conn) {
            channel_connection_close(client->conn);
        }
    }
    cursor->busy--;
    reap_closed_clients(cursor);
    g_ptr_array_free(cursor->clients, TRUE);
    forget_shape(cursor);
    g_free(cursor);
}

void cursor_channel_add_client(CursorChannel *cursor, LinkedPeer *peer)
{
    CursorClient *client = g_new0(CursorClient, 1);
    client->cursor = cursor;
    ChannelConnectionConfig config = {
        .name = "cursor",
        .max_message_size = CURSOR_MAX_CLIENT_MESSAGE,
        .handles_acks = true,
        .ack_window = CURSOR_ACK_WINDOW,
        .ping_interval_ms = 0,
    };
    g_ptr_array_add(cursor->clients, client);
    client->conn = channel_connection_new(cursor->loop, peer, &config, &cursor_callbacks, client);
    if (!client->conn) {
        reap_closed_clients(cursor);
        return;
    }
    WireWriter writer;
    wire_writer_init(&writer);
    cursor_msg_write_init(&writer, cursor->x, cursor->y, cursor->visible, current_shape(cursor));
    channel_connection_send_writer(client->conn, SPICE_MSG_CURSOR_INIT, &writer);
    wire_writer_finish(&writer);
}

unsigned cursor_channel_num_clients(const CursorChannel *cursor)
{
    unsigned n = 0;
    for (guint i = 0; i < cursor->clients->len; i++) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        n += client->conn != NULL;
    }
    return n;
}

/* Sends @type with @writer's body to every client that keeps up; the others become stale. */
static void broadcast(CursorChannel *cursor, uint16_t type, const WireWriter *writer)
{
    cursor->busy++;
    for (guint i = 0; i < cursor->clients->len; i++) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        if (!client->conn) {
            continue;
        }
        if (client->stale || channel_connection_is_blocked(client->conn)) {
            client->stale = true;
            continue;
        }
        channel_connection_send_writer(client->conn, type, writer);
    }
    cursor->busy--;
    reap_closed_clients(cursor);
}

void cursor_channel_process(CursorChannel *cursor, const QxlCursorCommand *cmd)
{
    WireWriter writer;
    wire_writer_init(&writer);
    switch (cmd->type) {
    case QXL_CURSOR_SET:
        forget_shape(cursor);
        if (cmd->shape.type <= SPICE_CURSOR_TYPE_COLOR32 && cmd->shape.width > 0 &&
            cmd->shape.height > 0) {
            cursor->shape_data = g_memdup2(cmd->shape.data, cmd->shape.data_size);
            cursor->shape = (CursorShape){
                .unique = cmd->shape.unique,
                .type = (uint8_t)cmd->shape.type,
                .width = cmd->shape.width,
                .height = cmd->shape.height,
                .hot_spot_x = cmd->shape.hot_spot_x,
                .hot_spot_y = cmd->shape.hot_spot_y,
                .data = cursor->shape_data,
                .data_size = cmd->shape.data_size,
            };
            cursor->has_shape = true;
        }
        cursor->x = cmd->x;
        cursor->y = cmd->y;
        cursor->visible = cmd->visible;
        cursor_msg_write_set(&writer, cursor->x, cursor->y, cursor->visible, current_shape(cursor));
        broadcast(cursor, SPICE_MSG_CURSOR_SET, &writer);
        break;
    case QXL_CURSOR_MOVE:
        cursor->x = cmd->x;
        cursor->y = cmd->y;
        /* QXL's MOVE also shows a hidden cursor again (upstream does the same). */
        cursor->visible = true;
        cursor_msg_write_move(&writer, cursor->x, cursor->y);
        broadcast(cursor, SPICE_MSG_CURSOR_MOVE, &writer);
        break;
    case QXL_CURSOR_HIDE:
        cursor->visible = false;
        broadcast(cursor, SPICE_MSG_CURSOR_HIDE, &writer);
        break;
    case QXL_CURSOR_TRAIL:
        cursor->trail_length = cmd->trail_length;
        cursor->trail_frequency = cmd->trail_frequency;
        cursor_msg_write_trail(&writer, cmd->trail_length, cmd->trail_frequency);
        broadcast(cursor, SPICE_MSG_CURSOR_TRAIL, &writer);
        break;
    default:
        break;
    }
    wire_writer_finish(&writer);
}

void cursor_channel_reset(CursorChannel *cursor)
{
    forget_shape(cursor);
    cursor->visible = false;
    cursor->x = cursor->y = 0;
    cursor->busy++;
    for (guint i = 0; i < cursor->clients->len; i++) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        if (client->conn) {
            /* Small and bounded: sent even to a slow client, which then starts over. */
            channel_connection_send(client->conn, SPICE_MSG_CURSOR_INVAL_ALL, NULL, 0);
            channel_connection_send(client->conn, SPICE_MSG_CURSOR_RESET, NULL, 0);
            client->stale = false;
        }
    }
    cursor->busy--;
    reap_closed_clients(cursor);
}

void cursor_channel_disconnect_all(CursorChannel *cursor)
{
    cursor->busy++;
    for (guint i = 0; i < cursor->clients->len; i++) {
        CursorClient *client = g_ptr_array_index(cursor->clients, i);
        if (client->conn) {
            channel_connection_close(client->conn);
        }
    }
    cursor->busy--;
    reap_closed_clients(cursor);
}
