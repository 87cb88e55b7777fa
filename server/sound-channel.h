/* sound-channel: what playback and record share: one client connection, volume and mute, registration. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "channel-connection.h"
#include "reds-private.h"

/* The one wire format we speak (no Opus yet): interleaved signed 16-bit stereo, one u32 a frame. */
#define SOUND_CHANNELS 2u
#define SOUND_BYTES_PER_FRAME 4u
/* As upstream: the rate hosts are told is best, and what START says until set_*_rate. */
#define SOUND_DEFAULT_RATE 48000u
#define SOUND_MAX_RATE 192000u
/* A volume message carries at most this many channel levels (its count is a u8). */
#define SOUND_MAX_VOLUME_CHANNELS 255u

typedef struct SoundChannel SoundChannel;

/* What differs between playback and record; every hook runs in the host's thread. */
typedef struct SoundChannelClass {
    const char *name;               /* "playback" / "record", for log lines */
    uint8_t channel_type;           /* SPICE_CHANNEL_PLAYBACK / _RECORD */
    uint32_t caps;                  /* the one capability word we advertise */
    uint32_t max_message_size;      /* larger client messages close the connection */
    uint16_t msg_volume;            /* the channel's VOLUME and MUTE message types */
    uint16_t msg_mute;
    /* A client linked (already current): send what it must know first. */
    void (*on_connected)(SoundChannel *ch);
    /* A channel message from the client; false closes the connection (the hook logs why). */
    bool (*handle_message)(SoundChannel *ch, uint16_t type, const uint8_t *body, uint32_t size);
    /* The connection can take more (may be NULL). */
    void (*on_writable)(SoundChannel *ch);
    /* The client is gone (ch->conn is already NULL). */
    void (*on_disconnected)(SoundChannel *ch);
    /* Frees the device's own state; the base is freed by the caller. */
    void (*destroy)(SoundChannel *ch);
} SoundChannelClass;

/* The shared part; playback and record embed it first in their SpicePlaybackState/SpiceRecordState. */
struct SoundChannel {
    const SoundChannelClass *klass;
    SpiceServer *reds;              /* not owned, outlives the device */
    SpiceBaseInstance *instance;    /* the host's, not owned */
    ChannelConnection *conn;        /* the current client, NULL none (owned by the event loop) */
    bool started;                   /* between the host's *_start and *_stop */
    uint32_t frequency;             /* frames per second, as set_*_rate said */
    bool volume_set;                /* the host called set_volume: tell each new client */
    uint8_t volume_channels;
    uint16_t volume[SOUND_MAX_VOLUME_CHANNELS];
    bool mute_set;
    bool mute;
    gint warned_wrong_thread;       /* atomic: the wrong-thread line was logged */
};

/* Fills @ch, registers channel (type, 0) and lists it in reds->sound_channels. */
void sound_channel_init(SoundChannel *ch, const SoundChannelClass *klass, SpiceServer *reds,
                        SpiceBaseInstance *instance);
/* Closes the client, unregisters and unlists; then klass->destroy. Does not free @ch itself. */
void sound_channel_finish(SoundChannel *ch);

/* True (and logs once per device) when called off the host's thread: the caller then returns. */
bool sound_channel_wrong_thread(SoundChannel *ch, const char *function);

/* set_volume / set_mute: store, and tell the client now if there is one. */
void sound_channel_set_volume(SoundChannel *ch, uint8_t nchannels, const uint16_t *volume);
void sound_channel_set_mute(SoundChannel *ch, bool mute);
/* Sends the stored VOLUME and MUTE (those the host set) to the current client. */
void sound_channel_send_volume_and_mute(SoundChannel *ch);

/* Closes the current client, if any (on_disconnected runs). */
void sound_channel_disconnect(SoundChannel *ch);
