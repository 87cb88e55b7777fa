/* base-messages: bodies of the messages every channel shares (SET_ACK, PING, NOTIFY, ACK_SYNC...). */
#include "protocol/base-messages.h"

#include <string.h>

#include <glib.h>

void base_msg_write_set_ack(WireWriter *w, uint32_t generation, uint32_t window)
{
    wire_write_u32(w, generation);
    wire_write_u32(w, window);
}

bool base_msg_parse_set_ack(const uint8_t *body, size_t size, uint32_t *generation, uint32_t *window)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *generation = wire_read_u32(&r);
    *window = wire_read_u32(&r);
    if (!wire_reader_ok(&r)) {
        *generation = 0;
        return false;
    }
    return true;
}

void base_msg_write_ping(WireWriter *w, uint32_t id, uint64_t timestamp, uint32_t padding)
{
    wire_write_u32(w, id);
    wire_write_u64(w, timestamp);
    wire_write_zeros(w, padding);
}

bool base_msg_parse_ping(const uint8_t *body, size_t size, uint32_t *id, uint64_t *timestamp)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *id = wire_read_u32(&r);
    *timestamp = wire_read_u64(&r);
    if (!wire_reader_ok(&r)) {
        *id = 0;
        return false;
    }
    return true;   /* the padding is only there to measure bandwidth */
}

void base_msg_write_notify(WireWriter *w, uint64_t time_stamp, uint32_t severity, uint32_t visibility,
                           uint32_t what, const char *message)
{
    size_t len = strlen(message);
    /* A notify text is a human sentence; anything near 4 GiB is a caller bug. */
    g_return_if_fail(len < UINT32_MAX);
    wire_write_u64(w, time_stamp);
    wire_write_u32(w, severity);
    wire_write_u32(w, visibility);
    wire_write_u32(w, what);
    wire_write_u32(w, (uint32_t)len);
    wire_write_bytes(w, message, len + 1);   /* the NUL goes out, uncounted, as upstream */
}

bool base_msg_parse_notify(const uint8_t *body, size_t size, BaseNotify *notify)
{
    memset(notify, 0, sizeof(*notify));
    WireReader r;
    wire_reader_init(&r, body, size);
    uint64_t time_stamp = wire_read_u64(&r);
    uint32_t severity = wire_read_u32(&r);
    uint32_t visibility = wire_read_u32(&r);
    uint32_t what = wire_read_u32(&r);
    uint32_t message_len = wire_read_u32(&r);
    const uint8_t *message = wire_read_span(&r, message_len);
    if (!wire_reader_ok(&r)) {
        return false;
    }
    notify->time_stamp = time_stamp;
    notify->severity = severity;
    notify->visibility = visibility;
    notify->what = what;
    notify->message = message;
    notify->message_len = message_len;
    return true;
}

void base_msg_write_disconnecting(WireWriter *w, uint64_t time_stamp, uint32_t reason)
{
    wire_write_u64(w, time_stamp);
    wire_write_u32(w, reason);
}

bool base_msg_parse_disconnecting(const uint8_t *body, size_t size, uint64_t *time_stamp, uint32_t *reason)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *time_stamp = wire_read_u64(&r);
    *reason = wire_read_u32(&r);
    if (!wire_reader_ok(&r)) {
        *time_stamp = 0;
        return false;
    }
    return true;
}

void base_msg_write_wait_for_channels(WireWriter *w, const BaseWaitChannel *entries, uint8_t count)
{
    wire_write_u8(w, count);
    for (uint8_t i = 0; i < count; i++) {
        wire_write_u8(w, entries[i].channel_type);
        wire_write_u8(w, entries[i].channel_id);
        wire_write_u64(w, entries[i].message_serial);
    }
}

bool base_msg_parse_wait_for_channels(const uint8_t *body, size_t size, BaseWaitForChannels *waits)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    uint8_t count = wire_read_u8(&r);
    for (uint8_t i = 0; i < count; i++) {
        waits->entries[i].channel_type = wire_read_u8(&r);
        waits->entries[i].channel_id = wire_read_u8(&r);
        waits->entries[i].message_serial = wire_read_u64(&r);
    }
    if (!wire_reader_ok(&r)) {
        memset(waits, 0, sizeof(*waits));
        return false;
    }
    waits->count = count;
    return true;
}

void base_msg_write_ack_sync(WireWriter *w, uint32_t generation)
{
    wire_write_u32(w, generation);
}

bool base_msg_parse_ack_sync(const uint8_t *body, size_t size, uint32_t *generation)
{
    WireReader r;
    wire_reader_init(&r, body, size);
    *generation = wire_read_u32(&r);
    return wire_reader_ok(&r);
}

void base_msg_write_pong(WireWriter *w, uint32_t id, uint64_t timestamp)
{
    wire_write_u32(w, id);
    wire_write_u64(w, timestamp);
}

bool base_msg_parse_pong(const uint8_t *body, size_t size, uint32_t *id, uint64_t *timestamp)
{
    return base_msg_parse_ping(body, size, id, timestamp);   /* same layout, no padding */
}
