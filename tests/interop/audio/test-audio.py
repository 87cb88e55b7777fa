#!/usr/bin/python3
"""test-audio: spice-gtk plays the demo's sine and records into the demo; QEMU's spice audio links.

    test-audio.py --case demo|qemu --lib ours|upstream

demo: tools/spice-demo-vm --audio (once with --no-playback-compression, once without) plays a 440 Hz sine (left; right is its negation) into the
  playback device while a client listens, and prints "audio record N frames" for what the record
  device delivered. spice-gtk (SpiceClientGLib) must get playback-start (S16, 2 channels, 48000)
  and playback-data whose samples are exactly the sine from some phase on, without a gap (with
  compression on, upstream sends Opus, which spice-gtk decodes lossily: there the tone must be
  440 Hz; ours sends raw PCM either way, checked exactly); then,
  after record-start, the frames spice-gtk sends with spice_record_channel_send_data must all
  reach the demo (its count equals what was sent).
qemu: Debian's QEMU 7.2 with -audiodev spice + intel-hda/hda-duplex on the chosen library starts,
  and spice-gtk links the playback and record channels. There is no guest, so no sound plays:
  this checks the device registration and the link, not samples.

spice-gtk only makes audio channels when the session's enable-audio is TRUE; it opens no audio
backend by itself (only spice_audio_get does, which we never call), so nothing is played here.
"""
import ctypes
import math
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..'))
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from spiceclient import GObject, Spice, SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
CASE = sys.argv[sys.argv.index('--case') + 1] if '--case' in sys.argv else 'demo'
# audio-helper's ports (6040-6042 are test-sound's).
PORT_FIRST, PORT_LAST = 6043, 6059
TONE_HZ, AMPLITUDE, RATE = 440, 8000.0, 48000
SPICE_AUDIO_FMT_S16 = 1


def free_port():
    for port in range(PORT_FIRST + os.getpid() % 8, PORT_LAST + 1):
        if harness.port_is_free(port):   # and claimed: tests run in parallel
            return port
    raise harness.TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def sine(k):
    """The demo's sample k (tools/demo-vm/audio-device.c computes the same doubles)."""
    x = 2.0 * math.pi * TONE_HZ * float(k % RATE) / RATE
    return int(round(AMPLITUDE * math.sin(x)))   # round half to even, as lrint


class AudioClient(SpiceTestClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.playback_starts = []
        self.playback_packets = []
        self.record_starts = []
        self.record_channel = None

    def connect(self):
        super().connect()
        # Set before the main loop runs, so before CHANNELS_LIST creates the channels.
        self.session.set_property('enable-audio', True)
        return self

    def _on_channel_new(self, session, channel):
        if isinstance(channel, Spice.PlaybackChannel):
            GObject.Object.connect(channel, 'playback-start', self._on_playback_start)
            GObject.Object.connect(channel, 'playback-data', self._on_playback_data)
        if isinstance(channel, Spice.RecordChannel):
            self.record_channel = channel
            GObject.Object.connect(channel, 'record-start', self._on_record_start)
        super()._on_channel_new(session, channel)

    def _on_playback_start(self, channel, fmt, channels, rate):
        log('playback-start format %d channels %d rate %d' % (fmt, channels, rate))
        self.playback_starts.append((fmt, channels, rate))

    def _on_playback_data(self, channel, data, size):
        # data is a gpointer (an int in python), valid during the signal.
        self.playback_packets.append(ctypes.string_at(data, size))

    def _on_record_start(self, channel, fmt, channels, rate):
        log('record-start format %d channels %d rate %d' % (fmt, channels, rate))
        self.record_starts.append((fmt, channels, rate))

    def send_record(self, payload, mm_time):
        # send_data takes a gpointer: python hands it the address of a ctypes buffer.
        buf = ctypes.create_string_buffer(payload, len(payload))
        self.record_channel.send_data(ctypes.addressof(buf), len(payload), mm_time)
        self.iterate(0.05)   # buf must live until spice-gtk copied it (it copies in send_data)


def check_tone(left):
    """Lossy (Opus) playback: the tone is still 440 Hz, judged by its zero crossings."""
    settled = left[2400:]
    crossings = sum(1 for a, b in zip(settled, settled[1:]) if (a < 0) != (b < 0))
    hz = crossings / 2.0 * RATE / len(settled)
    check(abs(hz - TONE_HZ) < TONE_HZ * 0.03, 'the decoded playback is a %.1f Hz tone, not 440 Hz' % hz)
    log('playback (Opus, lossy): a %.1f Hz tone over %d frames' % (hz, len(settled)))


def check_playback(client, exact):
    client.run_until(lambda: client.playback_starts, 20, 'playback-start')
    check(client.playback_starts[0] == (SPICE_AUDIO_FMT_S16, 2, RATE),
          'playback-start says %s, want (S16=1, 2 channels, 48000)' % (client.playback_starts[0],))
    client.run_until(lambda: len(client.playback_packets) >= 100, 20, '100 playback packets')
    data = b''.join(client.playback_packets)
    check(len(data) % 4 == 0, 'playback data is %d bytes, not whole stereo S16 frames' % len(data))
    frames = struct.unpack('<%dh' % (len(data) // 2), data)
    left, right = frames[0::2], frames[1::2]
    n = len(left)
    log('received %d packets, %d frames' % (len(client.playback_packets), n))
    if not exact:
        check_tone(left)
        return
    period = RATE // math.gcd(TONE_HZ, RATE)
    zero_packets = [i for i, p in enumerate(client.playback_packets) if not any(p)]
    if zero_packets:
        log('silent packets at %s' % zero_packets[:20])
    offsets = [k for k in range(period) if all(left[i] == sine(k + i) for i in range(32))]
    check(offsets, 'the first playback samples %s are not the demo\'s sine at any phase' % (left[:8],))
    k0 = offsets[0]
    bad = [i for i in range(n) if left[i] != sine(k0 + i) or right[i] != -left[i]]
    check(not bad, '%d of %d frames differ from the sine (first at frame %d: got (%d, %d), want '
          '(%d, %d))' % (len(bad), n, bad[0] if bad else 0, left[bad[0]] if bad else 0,
                         right[bad[0]] if bad else 0, sine(k0 + bad[0]) if bad else 0,
                         -sine(k0 + bad[0]) if bad else 0))
    log('playback: %d frames equal the 440 Hz sine from phase %d, no gap' % (n, k0))


def record_total(demo, start):
    totals = [int(l.split()[3]) for l in demo.proc.lines_since(start)
              if l.startswith('spice-demo-vm: audio record ')]
    return totals[-1] if totals else 0


def check_record(client, demo):
    client.run_until(lambda: client.record_starts, 20, 'record-start')
    check(client.record_starts[0] == (SPICE_AUDIO_FMT_S16, 2, RATE),
          'record-start says %s, want (S16=1, 2 channels, 48000)' % (client.record_starts[0],))
    start = demo.proc.line_count()
    packets, frames_per_packet = 25, 480
    for p in range(packets):
        payload = struct.pack('<%dh' % (frames_per_packet * 2),
                              *[(p * 1000 + i) % 30000 for i in range(frames_per_packet * 2)])
        client.send_record(payload, 1000 + p * 10)
    sent = packets * frames_per_packet
    deadline = time.monotonic() + 15
    while record_total(demo, start) < sent and time.monotonic() < deadline:
        client.iterate(0.1)
    client.iterate(1.5)    # a late extra line would show frames we did not send
    total = record_total(demo, start)
    check(total == sent, 'the demo recorded %d frames, spice-gtk sent %d' % (total, sent))
    log('record: the demo got all %d frames spice-gtk sent' % sent)


def run_demo(raw):
    """raw: the demo turns playback compression off. Otherwise (QEMU's default) upstream picks
    Opus for spice-gtk, which advertises it; ours has no Opus yet and sends raw PCM either way."""
    args = ['--audio'] + (['--no-playback-compression'] if raw else [])
    with harness.Demo(LIB, args, port=free_port()) as demo:
        client = AudioClient(port=demo.port, timeout=30).connect()
        try:
            check_playback(client, exact=raw or LIB == 'ours')
            check_record(client, demo)
            demo.check_healthy()
        finally:
            client.close()


def run_qemu():
    import qemuvm
    args = ['-audiodev', 'spice,id=snd0', '-device', 'intel-hda', '-device', 'hda-duplex,audiodev=snd0']
    with qemuvm.Qemu(LIB, vga='qxl', extra_args=args, port=free_port()) as qemu:
        client = AudioClient(port=qemu.port, timeout=30)
        qemu.qmp.pump = client.iterate
        client.connect()
        try:
            for kind in ('PlaybackChannel', 'RecordChannel'):
                client.run_until(lambda: client.has_event(kind, Spice.ChannelEvent.OPENED) or
                                 client.failure(), 30, 'the %s to open' % kind)
                check(client.has_event(kind, Spice.ChannelEvent.OPENED),
                      '%s did not open: %s' % (kind, client.event_summary()))
            client.iterate(1.0)
            check(client.failure() is None, 'a channel failed: %s' % (client.failure(),))
            qemu.check_healthy()
            log('QEMU (%s library): playback and record channels linked (no guest: no samples; '
                'playback-start seen: %s)' % (LIB, bool(client.playback_starts)))
        finally:
            client.close()


def main():
    try:
        if CASE == 'qemu':
            run_qemu()
        else:
            run_demo(raw=True)
            run_demo(raw=False)
    except harness.TestFailure as e:
        print('FAIL: %s' % e, file=sys.stderr)
        return 1
    print('ok: audio %s on the %s library' % (CASE, LIB))
    return 0


if __name__ == '__main__':
    sys.exit(main())
