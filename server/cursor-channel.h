/* cursor-channel: the cursor channel of one QXL worker: the current pointer shape/position and its clients. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event-loop.h"
#include "linked-peer.h"
#include "qxl/qxl-parse.h"

/*
 * Threads: lives in the QXL worker thread; every function is called from there.
 *
 * The channel keeps the current cursor (shape copy, position, visibility) so a client that
 * links late gets it in INIT. Updates go to every started client; a client that cannot take
 * more (ack window full, large queue) is marked stale instead and gets one SET (or HIDE) with
 * the current state when it drains: a slow client never makes the queue grow.
 */
typedef struct CursorChannel CursorChannel;

/* @loop is the worker's (borrowed, must outlive the channel). */
CursorChannel *cursor_channel_new(EventLoop *loop, uint8_t channel_id);
/* Closes every client and frees the channel. Accepts NULL. */
void cursor_channel_destroy(CursorChannel *cursor);

/* A client linked to this channel (takes ownership of @peer): SET_ACK then INIT. */
void cursor_channel_add_client(CursorChannel *cursor, LinkedPeer *peer);
unsigned cursor_channel_num_clients(const CursorChannel *cursor);

/* A parsed QXL cursor command (SET / MOVE / HIDE / TRAIL); the shape is copied. */
void cursor_channel_process(CursorChannel *cursor, const QxlCursorCommand *cmd);
/* spice_qxl_reset_cursor: forget the cursor; clients get INVAL_ALL + RESET. */
void cursor_channel_reset(CursorChannel *cursor);

/* The client's session ended (replaced by a new client, or its main channel closed): close them all. */
void cursor_channel_disconnect_all(CursorChannel *cursor);
