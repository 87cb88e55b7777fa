/* base-messages: bodies of the messages every channel shares (SET_ACK, PING, NOTIFY, ACK_SYNC...). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/wire.h"

/*
 * Builders append only the body (no frame header) to a WireWriter; send it with the type
 * SPICE_MSG_* / SPICE_MSGC_* from spice/enums.h. Parsers take (body, size), never read past
 * size, return false on a malformed body and then leave their outputs zeroed. Trailing bytes
 * past the fixed part are ignored where the protocol allows them (PING padding) and also
 * elsewhere (as upstream peers do: newer peers may append fields).
 */

#define BASE_MSG_SET_ACK_SIZE 8u          /* generation u32, window u32 */
#define BASE_MSG_PING_SIZE 12u            /* id u32, timestamp u64 (+ padding) */
#define BASE_MSG_DISCONNECTING_SIZE 12u   /* time_stamp u64, reason u32 */
#define BASE_MSG_NOTIFY_FIXED_SIZE 24u    /* time_stamp, severity, visibility, what, message_len */
#define BASE_MSG_ACK_SYNC_SIZE 4u         /* generation u32 */
#define BASE_MSG_PONG_SIZE 12u            /* id u32, timestamp u64 */
#define BASE_MSG_WAIT_ENTRY_SIZE 10u      /* channel_type u8, channel_id u8, message_serial u64 */
#define BASE_MSG_MAX_WAIT_CHANNELS 255u   /* the count is a u8 */

/* ---- server -> client ---- */

/* SPICE_MSG_SET_ACK */
void base_msg_write_set_ack(WireWriter *w, uint32_t generation, uint32_t window);
bool base_msg_parse_set_ack(const uint8_t *body, size_t size, uint32_t *generation, uint32_t *window);

/* SPICE_MSG_PING: id, timestamp, then @padding zero bytes (the main channel's bandwidth test). */
void base_msg_write_ping(WireWriter *w, uint32_t id, uint64_t timestamp, uint32_t padding);
bool base_msg_parse_ping(const uint8_t *body, size_t size, uint32_t *id, uint64_t *timestamp);

/*
 * SPICE_MSG_NOTIFY: @message is a NUL-terminated string; message_len on the wire is its strlen and
 * the NUL is sent after it (not counted), as upstream does.
 */
typedef struct BaseNotify {
    uint64_t time_stamp;
    uint32_t severity;           /* SPICE_NOTIFY_SEVERITY_* */
    uint32_t visibility;         /* SPICE_NOTIFY_VISIBILITY_* */
    uint32_t what;
    const uint8_t *message;      /* points into the parsed body (not a copy, not terminated) */
    uint32_t message_len;        /* message_len bytes are guaranteed to be inside the body */
} BaseNotify;
void base_msg_write_notify(WireWriter *w, uint64_t time_stamp, uint32_t severity, uint32_t visibility,
                           uint32_t what, const char *message);
bool base_msg_parse_notify(const uint8_t *body, size_t size, BaseNotify *notify);

/* SPICE_MSG_DISCONNECTING */
void base_msg_write_disconnecting(WireWriter *w, uint64_t time_stamp, uint32_t reason);
bool base_msg_parse_disconnecting(const uint8_t *body, size_t size, uint64_t *time_stamp, uint32_t *reason);

/* SPICE_MSG_WAIT_FOR_CHANNELS: "process message @message_serial of that channel first". */
typedef struct BaseWaitChannel {
    uint8_t channel_type;
    uint8_t channel_id;
    uint64_t message_serial;
} BaseWaitChannel;
typedef struct BaseWaitForChannels {
    uint8_t count;
    BaseWaitChannel entries[BASE_MSG_MAX_WAIT_CHANNELS];
} BaseWaitForChannels;
void base_msg_write_wait_for_channels(WireWriter *w, const BaseWaitChannel *entries, uint8_t count);
bool base_msg_parse_wait_for_channels(const uint8_t *body, size_t size, BaseWaitForChannels *waits);

/* ---- client -> server ---- */

/* SPICE_MSGC_ACK_SYNC: echoes the SET_ACK generation. */
void base_msg_write_ack_sync(WireWriter *w, uint32_t generation);
bool base_msg_parse_ack_sync(const uint8_t *body, size_t size, uint32_t *generation);

/* SPICE_MSGC_ACK has an empty body: nothing to build or parse (a non-empty one is accepted). */

/* SPICE_MSGC_PONG: echoes the PING's id and timestamp. */
void base_msg_write_pong(WireWriter *w, uint32_t id, uint64_t timestamp);
bool base_msg_parse_pong(const uint8_t *body, size_t size, uint32_t *id, uint64_t *timestamp);
