/* audio-device: the demo's sound card: plays a 440 Hz sine to the client and counts what it records. */
#pragma once

#include <stdbool.h>

#include <spice.h>

/*
 * What QEMU's spice audio backend does, through the public API only: asks the best rates (with
 * NULL, before the instances exist), adds the playback and record instances, sets their rates,
 * starts both, and then every 10 ms fills the buffers the library lends with a sine (left
 * 440 Hz, right its negation, amplitude DEMO_AUDIO_AMPLITUDE) and drains the recorded frames.
 * Sample k of a stream (counting only frames actually handed to the library, from 0) is
 * lrint(AMPLITUDE * sin(2 * pi * 440 * (k mod rate) / rate)), so a test can recompute it exactly.
 * Once a second, when the total recorded changed, it prints "spice-demo-vm: audio record N frames".
 *
 * Main thread only (the GLib default context), like QEMU's audio timer.
 */
#define DEMO_AUDIO_TONE_HZ 440
#define DEMO_AUDIO_AMPLITUDE 8000.0

typedef struct AudioDevice AudioDevice;

AudioDevice *audio_device_new(void);
/* Adds both instances to @server (after spice_server_init) and starts playing; false on refusal. */
bool audio_device_attach(AudioDevice *audio, SpiceServer *server);
/* Stops the tick, stops both streams and removes the instances (as QEMU on quit). */
void audio_device_detach(AudioDevice *audio);
/* Accepts NULL. Detach first. */
void audio_device_free(AudioDevice *audio);
