/* sound-record: the record channel: the client's raw PCM into a bounded ring the host reads from. */
#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/wire.h"
#include "sound-channel.h"
#include "sound.h"
#include "spice-export.h"

/*
 * Frames kept for the host: about 340 ms at 48 kHz. The host reads every few milliseconds; when
 * it does not, the oldest audio goes (a recording must stay current, not fall further behind).
 */
#define RECORD_RING_FRAMES 16384u
/* A DATA message larger than this closes the connection (spice-gtk sends 10 ms packets). */
#define RECORD_MAX_MESSAGE_SIZE (64u * 1024)

struct SpiceRecordState {
    SoundChannel base;
    uint32_t ring[RECORD_RING_FRAMES];  /* ring_head is the oldest frame */
    uint32_t ring_head;
    uint32_t ring_len;
    uint64_t dropped_frames;            /* for the current client */
};

static SpiceRecordState *record_of(SoundChannel *ch)
{
    return (SpiceRecordState *)ch;
}

static void ring_push(SpiceRecordState *rec, const uint8_t *bytes, uint32_t frames)
{
    /* Only the newest RECORD_RING_FRAMES of a huge packet can survive anyway. */
    if (frames > RECORD_RING_FRAMES) {
        uint32_t skip = frames - RECORD_RING_FRAMES;
        rec->dropped_frames += skip;
        bytes += (size_t)skip * SOUND_BYTES_PER_FRAME;
        frames = RECORD_RING_FRAMES;
    }
    uint32_t room = RECORD_RING_FRAMES - rec->ring_len;
    if (frames > room) {
        uint32_t drop = frames - room;
        if (rec->dropped_frames == 0) {
            g_message("record channel: the host does not read the recorded audio fast enough; "
                      "dropping the oldest (the total is logged when the client leaves)");
        }
        rec->dropped_frames += drop;
        rec->ring_head = (rec->ring_head + drop) % RECORD_RING_FRAMES;
        rec->ring_len -= drop;
    }
    for (uint32_t i = 0; i < frames; i++) {
        uint32_t frame;
        memcpy(&frame, bytes + (size_t)i * SOUND_BYTES_PER_FRAME, sizeof(frame));
        rec->ring[(rec->ring_head + rec->ring_len) % RECORD_RING_FRAMES] = frame;
        rec->ring_len++;
    }
}

static void send_start(SpiceRecordState *rec)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, SOUND_CHANNELS);
    wire_write_u16(&w, SPICE_AUDIO_FMT_S16);
    wire_write_u32(&w, rec->base.frequency);
    channel_connection_send_writer(rec->base.conn, SPICE_MSG_RECORD_START, &w);
    wire_writer_finish(&w);
}

static void record_on_connected(SoundChannel *ch)
{
    SpiceRecordState *rec = record_of(ch);
    rec->ring_len = 0;
    rec->dropped_frames = 0;
    sound_channel_send_volume_and_mute(ch);
    if (ch->started) {
        send_start(rec);
    }
}

static bool record_too_short(uint16_t type, uint32_t size, uint32_t need)
{
    if (size < need) {
        g_message("record channel: message type %u of %u bytes is shorter than %u; closing the "
                  "connection", type, size, need);
        return true;
    }
    return false;
}

static bool record_handle_message(SoundChannel *ch, uint16_t type, const uint8_t *body,
                                  uint32_t size)
{
    SpiceRecordState *rec = record_of(ch);
    WireReader r;
    wire_reader_init(&r, body, size);
    switch (type) {
    case SPICE_MSGC_RECORD_MODE: {
        if (record_too_short(type, size, 6)) {
            return false;
        }
        (void)wire_read_u32(&r);    /* time */
        uint16_t mode = wire_read_u16(&r);
        if (mode != SPICE_AUDIO_DATA_MODE_RAW) {
            g_message("record channel: the client chose audio mode %u, but this server only "
                      "takes raw PCM (mode %u, no Opus offered); closing the connection",
                      mode, SPICE_AUDIO_DATA_MODE_RAW);
            return false;
        }
        return true;
    }
    case SPICE_MSGC_RECORD_START_MARK:
        return !record_too_short(type, size, 4);
    case SPICE_MSGC_RECORD_DATA: {
        if (record_too_short(type, size, 4)) {
            return false;
        }
        uint32_t payload = size - 4;
        if (payload % SOUND_BYTES_PER_FRAME != 0) {
            g_message("record channel: DATA carries %u bytes of PCM, not whole %u-byte frames; "
                      "closing the connection", payload, SOUND_BYTES_PER_FRAME);
            return false;
        }
        if (ch->started) {     /* audio the host did not ask for is dropped */
            ring_push(rec, body + 4, payload / SOUND_BYTES_PER_FRAME);
        }
        return true;
    }
    default:
        g_message("record channel: the client sent message type %u, which this channel does not "
                  "have; closing the connection", type);
        return false;
    }
}

static void record_on_disconnected(SoundChannel *ch)
{
    SpiceRecordState *rec = record_of(ch);
    if (rec->dropped_frames > 0) {
        g_message("record channel: %" G_GUINT64_FORMAT " recorded frames were dropped because "
                  "the host did not read them in time", rec->dropped_frames);
    }
    rec->dropped_frames = 0;
}

static void record_destroy(SoundChannel *ch)
{
    ((SpiceRecordInstance *)ch->instance)->st = NULL;
    g_free(record_of(ch));
}

static const SoundChannelClass record_class = {
    .name = "record",
    .channel_type = SPICE_CHANNEL_RECORD,
    .caps = 1u << SPICE_RECORD_CAP_VOLUME,
    .max_message_size = RECORD_MAX_MESSAGE_SIZE,
    .msg_volume = SPICE_MSG_RECORD_VOLUME,
    .msg_mute = SPICE_MSG_RECORD_MUTE,
    .on_connected = record_on_connected,
    .handle_message = record_handle_message,
    .on_disconnected = record_on_disconnected,
    .destroy = record_destroy,
};

int sound_record_attach(SpiceServer *reds, SpiceRecordInstance *sin)
{
    if (reds_find_channel(reds, SPICE_CHANNEL_RECORD, 0)) {
        g_warning("spice_server_add_interface: a record device is already attached; the second "
                  "one is refused");
        return -1;
    }
    if (!reds->initialized) {
        g_warning("spice_server_add_interface: record added before spice_server_init; refused");
        return -1;
    }
    SpiceRecordState *rec = g_new0(SpiceRecordState, 1);
    sin->st = rec;
    sound_channel_init(&rec->base, &record_class, reds, &sin->base);
    return 0;
}

int sound_record_detach(SpiceRecordInstance *sin)
{
    if (!sin->st) {
        return -1;
    }
    sound_channel_finish(&sin->st->base);
    return 0;
}

static SpiceRecordState *usable(SpiceRecordInstance *sin, const char *function)
{
    if (!sin || !sin->st || sound_channel_wrong_thread(&sin->st->base, function)) {
        return NULL;
    }
    return sin->st;
}

SPICE_EXPORT void spice_server_record_start(SpiceRecordInstance *sin)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (!rec || rec->base.started) {
        return;
    }
    rec->base.started = true;
    rec->ring_len = 0;
    if (rec->base.conn) {
        send_start(rec);
    }
}

SPICE_EXPORT void spice_server_record_stop(SpiceRecordInstance *sin)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (!rec || !rec->base.started) {
        return;
    }
    rec->base.started = false;
    if (rec->base.conn) {
        channel_connection_send(rec->base.conn, SPICE_MSG_RECORD_STOP, NULL, 0);
    }
}

SPICE_EXPORT uint32_t spice_server_record_get_samples(SpiceRecordInstance *sin,
                                                      uint32_t *samples, uint32_t bufsize)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (!rec || !samples) {
        return 0;
    }
    uint32_t n = MIN(bufsize, rec->ring_len);
    for (uint32_t i = 0; i < n; i++) {
        samples[i] = rec->ring[(rec->ring_head + i) % RECORD_RING_FRAMES];
    }
    rec->ring_head = (rec->ring_head + n) % RECORD_RING_FRAMES;
    rec->ring_len -= n;
    return n;
}

SPICE_EXPORT void spice_server_record_set_volume(SpiceRecordInstance *sin,
                                                 uint8_t nchannels, uint16_t *volume)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (rec) {
        sound_channel_set_volume(&rec->base, nchannels, volume);
    }
}

SPICE_EXPORT void spice_server_record_set_mute(SpiceRecordInstance *sin, uint8_t mute)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (rec) {
        sound_channel_set_mute(&rec->base, mute != 0);
    }
}

/* Hosts ask before add_interface, with NULL: the answer cannot depend on the device. */
SPICE_EXPORT uint32_t spice_server_get_best_record_rate(SpiceRecordInstance *sin)
{
    return SOUND_DEFAULT_RATE;
}

SPICE_EXPORT void spice_server_set_record_rate(SpiceRecordInstance *sin, uint32_t frequency)
{
    SpiceRecordState *rec = usable(sin, __func__);
    if (!rec) {
        return;
    }
    if (frequency == 0 || frequency > SOUND_MAX_RATE) {
        g_warning("spice_server_set_record_rate: %u Hz is not a usable rate (1..%u); keeping %u",
                  frequency, SOUND_MAX_RATE, rec->base.frequency);
        return;
    }
    rec->base.frequency = frequency;
}
