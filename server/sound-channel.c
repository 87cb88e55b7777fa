/* sound-channel: what playback and record share: one client connection, volume and mute, registration. */
#include "sound-channel.h"
#include "sound.h"

#include <string.h>

#include <spice/enums.h>

#include "protocol/wire.h"

static bool sound_handle_message(ChannelConnection *conn, uint16_t type, const uint8_t *body,
                                 uint32_t size, void *opaque)
{
    SoundChannel *ch = opaque;
    return ch->klass->handle_message(ch, type, body, size);
}

static void sound_on_writable(ChannelConnection *conn, void *opaque)
{
    SoundChannel *ch = opaque;
    if (ch->conn == conn && ch->klass->on_writable) {
        ch->klass->on_writable(ch);
    }
}

static void sound_on_closed(ChannelConnection *conn, void *opaque)
{
    SoundChannel *ch = opaque;
    if (ch->conn != conn) {
        return;
    }
    ch->conn = NULL;
    ch->klass->on_disconnected(ch);
}

static const ChannelConnectionCallbacks sound_callbacks = {
    .handle_message = sound_handle_message,
    .on_writable = sound_on_writable,
    .on_closed = sound_on_closed,
};

/* A client linked to our channel: it replaces the previous one (one client each, as upstream). */
static void sound_link(LinkedPeer *peer, void *opaque)
{
    SoundChannel *ch = opaque;
    sound_channel_disconnect(ch);
    ChannelConnectionConfig config = {
        .name = ch->klass->name,
        .max_message_size = ch->klass->max_message_size,
    };
    ChannelConnection *conn = channel_connection_new(reds_get_event_loop(ch->reds), peer, &config,
                                                     &sound_callbacks, ch);
    if (!conn) {
        return;
    }
    ch->conn = conn;
    ch->klass->on_connected(ch);
}

static void sound_session_end(void *opaque)
{
    sound_channel_disconnect(opaque);
}

void sound_channel_init(SoundChannel *ch, const SoundChannelClass *klass, SpiceServer *reds,
                        SpiceBaseInstance *instance)
{
    ch->klass = klass;
    ch->reds = reds;
    ch->instance = instance;
    ch->frequency = SOUND_DEFAULT_RATE;
    reds_register_channel(reds, klass->channel_type, 0, &klass->caps, 1, sound_link, ch);
    reds_set_channel_session_end(reds, klass->channel_type, 0, sound_session_end);
    reds->sound_channels = g_list_append(reds->sound_channels, ch);
}

void sound_channel_finish(SoundChannel *ch)
{
    sound_channel_disconnect(ch);
    reds_unregister_channel(ch->reds, ch->klass->channel_type, 0);
    ch->reds->sound_channels = g_list_remove(ch->reds->sound_channels, ch);
    ch->klass->destroy(ch);
}

bool sound_channel_wrong_thread(SoundChannel *ch, const char *function)
{
    if (reds_in_host_thread(ch->reds)) {
        return false;
    }
    if (g_atomic_int_compare_and_exchange(&ch->warned_wrong_thread, 0, 1)) {
        g_warning("%s: called outside the thread that called spice_server_init; the call is "
                  "ignored (make every audio call from the host's main loop)", function);
    }
    return true;
}

void sound_channel_disconnect(SoundChannel *ch)
{
    if (ch->conn) {
        channel_connection_close(ch->conn);     /* on_closed clears ch->conn */
    }
}

static void send_volume(SoundChannel *ch)
{
    WireWriter w;
    wire_writer_init(&w);
    wire_write_u8(&w, ch->volume_channels);
    for (unsigned i = 0; i < ch->volume_channels; i++) {
        wire_write_u16(&w, ch->volume[i]);
    }
    channel_connection_send_writer(ch->conn, ch->klass->msg_volume, &w);
    wire_writer_finish(&w);
}

static void send_mute(SoundChannel *ch)
{
    uint8_t mute = ch->mute ? 1 : 0;
    channel_connection_send(ch->conn, ch->klass->msg_mute, &mute, 1);
}

void sound_channel_send_volume_and_mute(SoundChannel *ch)
{
    if (!ch->conn) {
        return;
    }
    if (ch->volume_set) {
        send_volume(ch);
    }
    if (ch->mute_set) {
        send_mute(ch);
    }
}

void sound_channel_set_volume(SoundChannel *ch, uint8_t nchannels, const uint16_t *volume)
{
    if (nchannels > 0 && volume == NULL) {
        g_warning("spice_server_%s_set_volume: %u channels but no levels; the volume is unchanged",
                  ch->klass->name, nchannels);
        return;
    }
    ch->volume_set = true;
    ch->volume_channels = nchannels;
    if (nchannels > 0) {
        memcpy(ch->volume, volume, nchannels * sizeof(volume[0]));
    }
    if (ch->conn) {
        send_volume(ch);
    }
}

void sound_channel_set_mute(SoundChannel *ch, bool mute)
{
    ch->mute_set = true;
    ch->mute = mute;
    if (ch->conn) {
        send_mute(ch);
    }
}

void sound_destroy_all(SpiceServer *reds)
{
    while (reds->sound_channels) {
        SoundChannel *ch = reds->sound_channels->data;
        sound_channel_finish(ch);     /* unlists ch */
    }
}
