/* audio-device: the demo's sound card: plays a 440 Hz sine to the client and counts what it records. */
#include "audio-device.h"

#include <glib.h>
#include <math.h>
#include <stdio.h>

#define TICK_MS 10
/* After a stall, catch up at most this many packets at once (QEMU's timer does not burst either). */
#define MAX_PACKETS_PER_TICK 8
#define PACKET_FRAMES 480u

struct AudioDevice {
    SpicePlaybackInstance playback;     /* handed to the library; ->st is its */
    SpiceRecordInstance record;
    bool playback_added, record_added;
    uint32_t playback_rate;
    uint64_t frames_played;             /* sine index of the next frame */
    gint64 started_us;
    uint64_t packets_due_done;          /* packets of real time accounted for since started_us */
    uint64_t recorded;                  /* frames read back from the library */
    uint64_t recorded_printed;
    gint64 last_print_us;
    guint tick;
};

static const SpicePlaybackInterface playback_if = {
    .base = { .type = SPICE_INTERFACE_PLAYBACK, .description = "playback",
              .major_version = SPICE_INTERFACE_PLAYBACK_MAJOR,
              .minor_version = SPICE_INTERFACE_PLAYBACK_MINOR },
};
static const SpiceRecordInterface record_if = {
    .base = { .type = SPICE_INTERFACE_RECORD, .description = "record",
              .major_version = SPICE_INTERFACE_RECORD_MAJOR,
              .minor_version = SPICE_INTERFACE_RECORD_MINOR },
};

static int16_t sine_sample(uint64_t k, uint32_t rate)
{
    double x = 2.0 * M_PI * DEMO_AUDIO_TONE_HZ * (double)(k % rate) / rate;
    return (int16_t)lrint(DEMO_AUDIO_AMPLITUDE * sin(x));
}

static void play_packets(AudioDevice *audio, uint64_t packets)
{
    for (uint64_t p = 0; p < packets; p++) {
        uint32_t *frames = NULL;
        uint32_t n = 0;
        spice_server_playback_get_buffer(&audio->playback, &frames, &n);
        if (frames == NULL || n == 0) {
            return;     /* nobody listens: the sine waits, as a paused stream */
        }
        for (uint32_t i = 0; i < n; i++) {
            int16_t left = sine_sample(audio->frames_played++, audio->playback_rate);
            int16_t right = (int16_t)-left;
            frames[i] = (uint32_t)(uint16_t)left | ((uint32_t)(uint16_t)right << 16);
        }
        spice_server_playback_put_samples(&audio->playback, frames);
    }
}

static void drain_record(AudioDevice *audio)
{
    uint32_t buf[PACKET_FRAMES];
    uint32_t n;
    do {
        n = spice_server_record_get_samples(&audio->record, buf, PACKET_FRAMES);
        audio->recorded += n;
    } while (n == PACKET_FRAMES);
    gint64 now = g_get_monotonic_time();
    if (audio->recorded != audio->recorded_printed && now - audio->last_print_us >= G_USEC_PER_SEC) {
        printf("spice-demo-vm: audio record %" G_GUINT64_FORMAT " frames\n", audio->recorded);
        fflush(stdout);
        audio->recorded_printed = audio->recorded;
        audio->last_print_us = now;
    }
}

static gboolean audio_tick(gpointer data)
{
    AudioDevice *audio = data;
    /* Packets are due by the clock, not by tick count: GLib timers drift. */
    gint64 elapsed = g_get_monotonic_time() - audio->started_us;
    uint64_t due = (uint64_t)elapsed * audio->playback_rate / G_USEC_PER_SEC / PACKET_FRAMES;
    uint64_t packets = due - audio->packets_due_done;
    audio->packets_due_done = due;
    play_packets(audio, MIN(packets, (uint64_t)MAX_PACKETS_PER_TICK));
    drain_record(audio);
    return G_SOURCE_CONTINUE;
}

AudioDevice *audio_device_new(void)
{
    AudioDevice *audio = g_new0(AudioDevice, 1);
    audio->playback.base.sif = &playback_if.base;
    audio->record.base.sif = &record_if.base;
    return audio;
}

bool audio_device_attach(AudioDevice *audio, SpiceServer *server)
{
    /* QEMU's order (captures/calls_qxl.log): the rate is asked before the instance exists. */
    audio->playback_rate = spice_server_get_best_playback_rate(NULL);
    if (spice_server_add_interface(server, &audio->playback.base) != 0) {
        fprintf(stderr, "spice-demo-vm: the library refused the playback interface\n");
        return false;
    }
    audio->playback_added = true;
    spice_server_set_playback_rate(&audio->playback, audio->playback_rate);
    uint32_t record_rate = spice_server_get_best_record_rate(NULL);
    if (spice_server_add_interface(server, &audio->record.base) != 0) {
        fprintf(stderr, "spice-demo-vm: the library refused the record interface\n");
        return false;
    }
    audio->record_added = true;
    spice_server_set_record_rate(&audio->record, record_rate);
    spice_server_playback_start(&audio->playback);
    spice_server_record_start(&audio->record);
    audio->started_us = g_get_monotonic_time();
    audio->last_print_us = audio->started_us;
    audio->tick = g_timeout_add(TICK_MS, audio_tick, audio);
    return true;
}

void audio_device_detach(AudioDevice *audio)
{
    if (audio->tick) {
        g_source_remove(audio->tick);
        audio->tick = 0;
    }
    if (audio->playback_added) {
        spice_server_playback_stop(&audio->playback);
        spice_server_remove_interface(&audio->playback.base);
        audio->playback_added = false;
    }
    if (audio->record_added) {
        spice_server_record_stop(&audio->record);
        spice_server_remove_interface(&audio->record.base);
        audio->record_added = false;
    }
}

void audio_device_free(AudioDevice *audio)
{
    g_free(audio);
}
