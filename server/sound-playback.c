/* sound-playback: the playback channel: the host's PCM frames to the client as raw DATA messages. */
#include <string.h>

#include <spice/enums.h>
#include <spice/protocol.h>

#include "protocol/wire.h"
#include "sound-channel.h"
#include "sound.h"
#include "spice-export.h"

/* As upstream's raw mode: 10 ms at 48 kHz, what get_buffer lends and one DATA carries. */
#define PLAYBACK_FRAMES_PER_PACKET 480u
#define PLAYBACK_PACKET_BYTES (PLAYBACK_FRAMES_PER_PACKET * SOUND_BYTES_PER_FRAME)
/*
 * Packets waiting for a slow client: 160 ms. Past that the oldest are dropped, because the guest
 * must never wait for the network (upstream likewise plays only what the client keeps up with).
 */
#define PLAYBACK_QUEUE_PACKETS 16u
/* Hand the connection a new packet only while less than this is queued in it. */
#define PLAYBACK_MAX_PENDING_BYTES (2u * (PLAYBACK_PACKET_BYTES + 4u))

typedef struct PlaybackPacket {
    uint32_t time;                      /* mm time when the host handed the frames over */
    uint32_t frames[PLAYBACK_FRAMES_PER_PACKET];
} PlaybackPacket;

struct SpicePlaybackState {
    SoundChannel base;
    /* The one buffer get_buffer lends: it lives as long as the device, so a host that filled it
     * while the client left still writes into valid memory. */
    uint32_t lent[PLAYBACK_FRAMES_PER_PACKET];
    PlaybackPacket queue[PLAYBACK_QUEUE_PACKETS];   /* ring: queue_head is the oldest */
    unsigned queue_head;
    unsigned queue_len;
    uint64_t dropped_packets;           /* for the current client */
    gint warned_foreign_buffer;
};

static SpicePlaybackState *playback_of(SoundChannel *ch)
{
    return (SpicePlaybackState *)ch;
}

static void send_data(SpicePlaybackState *pb, const PlaybackPacket *packet)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, packet->time);
    /* Each u32 frame is the left then the right S16 sample in the host's (little-endian) order,
     * exactly the bytes the wire wants. */
    wire_write_bytes(&w, packet->frames, sizeof(packet->frames));
    channel_connection_send_writer(pb->base.conn, SPICE_MSG_PLAYBACK_DATA, &w);
    wire_writer_finish(&w);
}

/* Moves queued packets into the connection; with @all, regardless of how much it holds. */
static void pump(SpicePlaybackState *pb, bool all)
{
    ChannelConnection *conn = pb->base.conn;
    while (conn && pb->queue_len > 0) {
        if (!all && (channel_connection_is_blocked(conn) ||
                     channel_connection_pending_bytes(conn) >= PLAYBACK_MAX_PENDING_BYTES)) {
            return;
        }
        send_data(pb, &pb->queue[pb->queue_head]);
        pb->queue_head = (pb->queue_head + 1) % PLAYBACK_QUEUE_PACKETS;
        pb->queue_len--;
    }
}

static void enqueue(SpicePlaybackState *pb, const uint32_t *frames)
{
    if (pb->queue_len == PLAYBACK_QUEUE_PACKETS) {
        if (pb->dropped_packets == 0) {
            g_message("playback channel: the client does not keep up; dropping the oldest audio "
                      "(the total is logged when it leaves)");
        }
        pb->dropped_packets++;
        pb->queue_head = (pb->queue_head + 1) % PLAYBACK_QUEUE_PACKETS;
        pb->queue_len--;
    }
    PlaybackPacket *packet = &pb->queue[(pb->queue_head + pb->queue_len) % PLAYBACK_QUEUE_PACKETS];
    packet->time = reds_get_mm_time();
    memcpy(packet->frames, frames, sizeof(packet->frames));
    pb->queue_len++;
}

static void send_start(SpicePlaybackState *pb)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, SOUND_CHANNELS);
    wire_write_u16(&w, SPICE_AUDIO_FMT_S16);
    wire_write_u32(&w, pb->base.frequency);
    wire_write_u32(&w, reds_get_mm_time());
    channel_connection_send_writer(pb->base.conn, SPICE_MSG_PLAYBACK_START, &w);
    wire_writer_finish(&w);
}

static void playback_on_connected(SoundChannel *ch)
{
    SpicePlaybackState *pb = playback_of(ch);
    pb->queue_len = 0;
    pb->dropped_packets = 0;
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u32(&w, reds_get_mm_time());
    wire_write_u16(&w, SPICE_AUDIO_DATA_MODE_RAW);
    channel_connection_send_writer(ch->conn, SPICE_MSG_PLAYBACK_MODE, &w);
    wire_writer_finish(&w);
    sound_channel_send_volume_and_mute(ch);
    if (ch->started) {
        send_start(pb);
    }
}

/* The client has nothing to say on this channel beyond the base messages. */
static bool playback_handle_message(SoundChannel *ch, uint16_t type, const uint8_t *body,
                                    uint32_t size)
{
    g_message("playback channel: the client sent message type %u, which this channel does not "
              "have; closing the connection", type);
    return false;
}

static void playback_on_writable(SoundChannel *ch)
{
    pump(playback_of(ch), false);
}

static void playback_on_disconnected(SoundChannel *ch)
{
    SpicePlaybackState *pb = playback_of(ch);
    if (pb->dropped_packets > 0) {
        g_message("playback channel: %" G_GUINT64_FORMAT " audio packets of %u frames were "
                  "dropped because the client fell behind", pb->dropped_packets,
                  PLAYBACK_FRAMES_PER_PACKET);
    }
    pb->queue_len = 0;
    pb->dropped_packets = 0;
}

static void playback_destroy(SoundChannel *ch)
{
    ((SpicePlaybackInstance *)ch->instance)->st = NULL;
    g_free(playback_of(ch));
}

static const SoundChannelClass playback_class = {
    .name = "playback",
    .channel_type = SPICE_CHANNEL_PLAYBACK,
    .caps = 1u << SPICE_PLAYBACK_CAP_VOLUME,
    .max_message_size = 4096,
    .msg_volume = SPICE_MSG_PLAYBACK_VOLUME,
    .msg_mute = SPICE_MSG_PLAYBACK_MUTE,
    .on_connected = playback_on_connected,
    .handle_message = playback_handle_message,
    .on_writable = playback_on_writable,
    .on_disconnected = playback_on_disconnected,
    .destroy = playback_destroy,
};

int sound_playback_attach(SpiceServer *reds, SpicePlaybackInstance *sin)
{
    if (reds_find_channel(reds, SPICE_CHANNEL_PLAYBACK, 0)) {
        g_warning("spice_server_add_interface: a playback device is already attached; the second "
                  "one is refused");
        return -1;
    }
    if (!reds->initialized) {
        g_warning("spice_server_add_interface: playback added before spice_server_init; refused");
        return -1;
    }
    SpicePlaybackState *pb = g_new0(SpicePlaybackState, 1);
    sin->st = pb;
    sound_channel_init(&pb->base, &playback_class, reds, &sin->base);
    return 0;
}

int sound_playback_detach(SpicePlaybackInstance *sin)
{
    if (!sin->st) {
        return -1;
    }
    sound_channel_finish(&sin->st->base);
    return 0;
}

/* The device's state when @sin is attached and we are in the host's thread, else NULL. */
static SpicePlaybackState *usable(SpicePlaybackInstance *sin, const char *function)
{
    if (!sin || !sin->st || sound_channel_wrong_thread(&sin->st->base, function)) {
        return NULL;
    }
    return sin->st;
}

SPICE_EXPORT void spice_server_playback_start(SpicePlaybackInstance *sin)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (!pb) {
        return;
    }
    pb->base.started = true;
    if (pb->base.conn) {
        send_start(pb);
    }
}

SPICE_EXPORT void spice_server_playback_stop(SpicePlaybackInstance *sin)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (!pb || !pb->base.started) {
        return;
    }
    pb->base.started = false;
    if (pb->base.conn) {
        pump(pb, true);     /* the last packets still play, then STOP */
        channel_connection_send(pb->base.conn, SPICE_MSG_PLAYBACK_STOP, NULL, 0);
    }
    pb->queue_len = 0;
}

/* No client or not started: NULL and 0, which hosts take as "nobody listens". */
SPICE_EXPORT void spice_server_playback_get_buffer(SpicePlaybackInstance *sin,
                                                   uint32_t **samples, uint32_t *num_samples)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    bool lend = pb && pb->base.conn && pb->base.started;
    if (samples) {
        *samples = lend ? pb->lent : NULL;
    }
    if (num_samples) {
        *num_samples = lend ? PLAYBACK_FRAMES_PER_PACKET : 0;
    }
}

SPICE_EXPORT void spice_server_playback_put_samples(SpicePlaybackInstance *sin, uint32_t *samples)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (!pb) {
        return;
    }
    if (samples != pb->lent) {
        if (g_atomic_int_compare_and_exchange(&pb->warned_foreign_buffer, 0, 1)) {
            g_warning("spice_server_playback_put_samples: the buffer was not lent by "
                      "spice_server_playback_get_buffer; it is ignored");
        }
        return;
    }
    if (!pb->base.conn || !pb->base.started) {
        return;     /* the client left (or the host stopped) after lending: nobody listens */
    }
    enqueue(pb, samples);
    pump(pb, false);
}

SPICE_EXPORT void spice_server_playback_set_volume(SpicePlaybackInstance *sin,
                                                   uint8_t nchannels, uint16_t *volume)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (pb) {
        sound_channel_set_volume(&pb->base, nchannels, volume);
    }
}

SPICE_EXPORT void spice_server_playback_set_mute(SpicePlaybackInstance *sin, uint8_t mute)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (pb) {
        sound_channel_set_mute(&pb->base, mute != 0);
    }
}

/* Hosts ask before add_interface, with NULL: the answer cannot depend on the device. */
SPICE_EXPORT uint32_t spice_server_get_best_playback_rate(SpicePlaybackInstance *sin)
{
    return SOUND_DEFAULT_RATE;
}

SPICE_EXPORT void spice_server_set_playback_rate(SpicePlaybackInstance *sin, uint32_t frequency)
{
    SpicePlaybackState *pb = usable(sin, __func__);
    if (!pb) {
        return;
    }
    if (frequency == 0 || frequency > SOUND_MAX_RATE) {
        g_warning("spice_server_set_playback_rate: %u Hz is not a usable rate (1..%u); keeping %u",
                  frequency, SOUND_MAX_RATE, pb->base.frequency);
        return;
    }
    pb->base.frequency = frequency;
}
