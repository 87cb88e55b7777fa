#!/usr/bin/python3
"""bench-client: replays one recorded SPICE session to our client and to spice-gtk, side by side.

1. Record: tools/spice-demo-vm runs on Debian's upstream libspice-server.so.1 (the animated
   desktop, or --image files, with --image-compression and --streaming-video as given); a raw
   client (the ack/ping-answering one of tests/interop/capture/record.py) links main + display,
   advertising the display caps both clients decode (no GL, no LZ4 unless asked), and keeps every
   display-channel message (type >= 101) for --record-seconds, with the server's link caps and
   its MAIN_INIT.
2. Replay: tests/interop/fakeserver.py serves that recording on 127.0.0.1: a main channel that
   lists one display channel, and a display channel that sends every recorded message back to
   back as soon as the client's DISPLAY_INIT arrived (or after 2 s), then a PING. The PONG comes
   back once the client has processed everything before it (both clients handle a channel's
   messages in order), so first message -> PONG is the client's processing time.
3. For each client (ours: build/client/spice-viewer --headless; spice-gtk:
   tests/interop/spiceclient.py in its own python3 process) it prints the wall time, the
   messages and drawing messages per second, and the CPU time the client process used (the
   run time of its threads, /proc/PID/task/*/schedstat, read when the PONG arrives), then the
   ratios ours/spice-gtk.
   A ratio above 1.00 in frames/s, or below 1.00 in CPU, means ours is faster.

The issue's target: ours at least 1.5x spice-gtk. A recording with video streams is replayed
at the pace it was recorded, with the multimedia clock started just before the first frame
(fakeserver.py), so both clients show the frames at their recorded times: the wall time is the
video's length and the CPU column is the fair comparison (a client that falls behind drops
late frames undecoded; ours says how many with `spice-viewer --stats`).

Usage (from the source root, after `ninja -C build-bench` of a build without sanitizers):
  tests/bench/bench-client.py [--build build-bench] [--port 6230] [--record-seconds 8]
      [--image-compression auto_glz] [--streaming-video off|all] [--image FILE ...]
      [--size 1024x768] [--repeat 3] [--recording FILE.pickle] [--clients ours,spice-gtk]
      [--ours-prefix CMD] [--gtk-prefix CMD]
A benchmark, not a test: nothing here asserts a speed. `--smoke` makes it a quick self-check
(2 s recording, 1 repetition) that fails only if a client does not finish the replay.
"""
import argparse
import os
import pickle
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
INTEROP = os.path.join(SOURCE_ROOT, 'tests', 'interop')
sys.path.insert(0, INTEROP)
sys.path.insert(0, os.path.join(INTEROP, 'capture'))

import fakeserver  # noqa: E402
import rawlink  # noqa: E402
from record import Channel, keep_main_alive  # noqa: E402

UPSTREAM_LIB_DIR = '/usr/lib/x86_64-linux-gnu'
MSGC_DISPLAY_INIT = 101

# SPICE_DISPLAY_CAP_*: what spice-gtk 0.42 and our client both take. LZ4 is left out unless
# asked (the recording's images then depend on the mode alone).
DISPLAY_CAP_SIZED_STREAM, DISPLAY_CAP_MONITORS_CONFIG, DISPLAY_CAP_COMPOSITE = 0, 1, 2
DISPLAY_CAP_A8_SURFACE, DISPLAY_CAP_STREAM_REPORT, DISPLAY_CAP_LZ4 = 3, 4, 5
DISPLAY_CAP_MULTI_CODEC, DISPLAY_CAP_CODEC_MJPEG = 8, 9
DRAW_TYPES = set(range(302, 319)) | {122, 123}   # DRAW_FILL..DRAW_COMPOSITE, STREAM_DATA(_SIZED)
MSG_DISPLAY_STREAM_DATA, MSG_DISPLAY_STREAM_DATA_SIZED = 123, 316


def caps_word(bits):
    word = 0
    for b in bits:
        word |= 1 << b
    return word


def cpu_seconds(pid):
    """CPU time of @pid's live threads in ns precision (/proc/PID/task/*/schedstat: utime +
    stime in 10 ms ticks are too coarse for a 0.3 s replay); /proc/PID/stat without it."""
    try:
        total = 0
        for tid in os.listdir('/proc/%d/task' % pid):
            with open('/proc/%d/task/%s/schedstat' % (pid, tid)) as f:
                total += int(f.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        with open('/proc/%d/stat' % pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def link_main(port, proc, limit=30.0):
    """Links a main channel once the demo listens; returns (RawLink, MAIN_INIT body)."""
    deadline = time.monotonic() + limit
    while True:
        try:
            link = rawlink.RawLink('127.0.0.1', port)
            reply, result = link.link('')
            if reply.error != rawlink.ERR_OK or result != rawlink.ERR_OK:
                raise RuntimeError('main link refused: %d %r' % (reply.error, result))
            return link, link.read_until(rawlink.MSG_MAIN_INIT)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError('the demo VM did not listen on port %d' % port)
            time.sleep(0.1)


def record(args, port):
    """Returns a fakeserver.Recording of the upstream demo's display channel."""
    demo = os.path.join(args.build, 'tools', 'spice-demo-vm')
    if not os.path.exists(demo):
        sys.exit('bench-client: %s is missing: run `ninja -C %s` first' % (demo, args.build))
    cmd = [demo, '--noauth', '--port', str(port),
           '--image-compression', args.image_compression,
           '--streaming-video', args.streaming_video]
    for image in args.image or []:
        cmd += ['--image', image]
    if args.image:
        cmd += ['--frame-interval', str(args.frame_interval)]
    else:
        cmd += ['--size', args.size]
    env = dict(os.environ, LD_LIBRARY_PATH=UPSTREAM_LIB_DIR)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()
    try:
        main, main_init = link_main(port, proc)
        session_id, = struct.unpack_from('<I', main_init, 0)
        main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
        threading.Thread(target=keep_main_alive, args=(main, stop), daemon=True).start()
        display_caps = [DISPLAY_CAP_SIZED_STREAM, DISPLAY_CAP_MONITORS_CONFIG,
                        DISPLAY_CAP_COMPOSITE, DISPLAY_CAP_A8_SURFACE,
                        DISPLAY_CAP_MULTI_CODEC, DISPLAY_CAP_CODEC_MJPEG]
        link = rawlink.RawLink('127.0.0.1', port)
        reply, result = link.link('', connection_id=session_id,
                                  channel_type=rawlink.CHANNEL_DISPLAY,
                                  channel_caps=(caps_word(display_caps),))
        if reply.error != rawlink.ERR_OK or result != rawlink.ERR_OK:
            raise RuntimeError('display link refused: %d %r' % (reply.error, result))
        link.send_message(MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, 20 * 1024 * 1024, 1,
                                                         4 * 1024 * 1024))
        chan = Channel(link)
        messages = []
        arrivals = []
        end = time.monotonic() + args.record_seconds
        while time.monotonic() < end:
            try:
                mtype, body = chan.read(max(0.05, end - time.monotonic()))
            except rawlink.Timeout:
                break
            if mtype >= 101:
                messages.append((mtype, bytes(body)))
                arrivals.append(time.monotonic())
        link.close()
        main.close()
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    first = arrivals[0] if arrivals else 0.0
    return fakeserver.Recording(display_messages=messages,
                                display_channel_caps=reply.channel_caps,
                                main_init=main_init,
                                arrival_seconds=[t - first for t in arrivals])


# spice-gtk in its own process: connect, then block in the GLib loop (no polling, so its CPU
# time is spice-gtk's work) until the server closes the session after the replay.
SPICE_GTK_RUNNER = '''
import sys, time
sys.path.insert(0, sys.argv[1])
import spiceclient
from gi.repository import SpiceClientGLib as Spice
c = spiceclient.SpiceTestClient(port=int(sys.argv[2]), timeout=120).connect()
ended = (Spice.ChannelEvent.CLOSED, Spice.ChannelEvent.ERROR_IO, Spice.ChannelEvent.ERROR_LINK,
         Spice.ChannelEvent.ERROR_CONNECT, Spice.ChannelEvent.ERROR_AUTH)
deadline = time.monotonic() + 120
while time.monotonic() < deadline and not any(e in ended for k, e in c.events):
    c.ctx.iteration(True)
'''


def run_client(kind, args, server, port, workdir):
    """Runs one client against the replaying @server; returns a result dict."""
    out = os.path.join(workdir, 'replay-%s.png' % kind)
    if kind == 'ours':
        viewer = os.path.join(args.build, 'client', 'spice-viewer')
        cmd = args.ours_prefix.split() + [viewer, '--headless', '--screenshot', out, '--timeout', '120', '--settle', '1.5',
               'spice://127.0.0.1:%d' % port]
    else:
        cmd = args.gtk_prefix.split() + [sys.executable, '-c', SPICE_GTK_RUNNER, INTEROP, str(port)]
    server.reset()
    cpu = {}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # CPU time from the first replayed byte to the PONG: the client's start-up (python and GI
    # for spice-gtk) stays out of it.
    server.on_replay_start = lambda: cpu.__setitem__('start', cpu_seconds(proc.pid))
    server.on_replay_end = lambda: cpu.__setitem__('end', cpu_seconds(proc.pid))
    try:
        done = server.wait_replayed(120)
        cpu = cpu['end'] - cpu['start'] if done else None
        server.close_session()          # the client sees the server go and ends
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if not done:
        return {'ok': False, 'why': 'no PONG after the replay (stderr: %s)'
                % proc.stderr.read().decode(errors='replace')[-400:]}
    return {'ok': True, 'wall': server.replay_seconds, 'cpu': cpu, 'exit': proc.returncode}


def make_video_frames(workdir, count, width, height):
    """@count PNG frames: a window moving across a photo-like picture (cairo gradients and
    noise, seeded), as a video player would draw them."""
    import random
    import cairo
    out = os.path.join(workdir, 'video-%dx%d-%d' % (width, height, count))
    names = [os.path.join(out, 'frame-%03d.png' % i) for i in range(count)]
    if all(os.path.exists(n) for n in names):
        return names
    os.makedirs(out, exist_ok=True)
    big_w, big_h = width * 2, height * 2
    scene = cairo.ImageSurface(cairo.FORMAT_RGB24, big_w, big_h)
    cr = cairo.Context(scene)
    rng = random.Random(20261122)
    for _ in range(60):
        x, y, r = rng.uniform(0, big_w), rng.uniform(0, big_h), rng.uniform(20, big_h / 3)
        grad = cairo.RadialGradient(x, y, 0, x, y, r)
        grad.add_color_stop_rgb(0, rng.random(), rng.random(), rng.random())
        grad.add_color_stop_rgba(1, rng.random(), rng.random(), rng.random(), 0)
        cr.set_source(grad)
        cr.arc(x, y, r, 0, 6.3)
        cr.fill()
    for i, name in enumerate(names):
        frame = cairo.ImageSurface(cairo.FORMAT_RGB24, width, height)
        fc = cairo.Context(frame)
        t = i / max(1, count - 1)
        fc.set_source_surface(scene, -t * (big_w - width), -(0.5 - abs(t - 0.5)) * (big_h - height))
        fc.paint()
        frame.write_to_png(name)
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--build', default='build-bench')
    ap.add_argument('--port', type=int, default=6230)
    ap.add_argument('--record-seconds', type=float, default=None)
    ap.add_argument('--image-compression', default='auto_glz')
    ap.add_argument('--streaming-video', default='all', choices=('off', 'all', 'filter'))
    ap.add_argument('--scene', default='images', choices=('images', 'video', 'desktop'),
                    help='images: the codec benchmark\'s 1920x1080 desktop pictures in turn '
                         '(make-bench-images.py); video: 100 frames of a moving photo crop '
                         '(1280x720, 40 ms apart: upstream streams them as MJPEG); desktop: the '
                         'demo\'s animated desktop')
    ap.add_argument('--image', action='append', help='play these images instead (PNG)')
    ap.add_argument('--frame-interval', type=int, default=250, help='ms between images')
    ap.add_argument('--loops', type=int, default=3,
                    help='how many times the generated pictures play (a desktop comes back to '
                         'what it showed before: the GLZ window and caches matter)')
    ap.add_argument('--size', default=None, help='default 1920x1080 for images, else 1024x768')
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--ours-prefix', default='',
                    help='a command to run our viewer under, e.g. "perf record -g -o F --"')
    ap.add_argument('--clients', default='ours,spice-gtk', help='which clients run (for profiling '
                    'one side: ours or spice-gtk)')
    ap.add_argument('--gtk-prefix', default='', help='the same for spice-gtk\'s python process')
    ap.add_argument('--workdir', default=None)
    ap.add_argument('--recording', default=None,
                    help='replay this recording (pickle) if it exists, else record and save it '
                         'there (for profiling runs: the same bytes every time)')
    args = ap.parse_args()
    workdir = args.workdir or os.path.join(args.build, 'tests', 'bench-client')
    os.makedirs(workdir, exist_ok=True)
    if args.scene == 'images' and not args.image:
        size = '320x200' if args.smoke else (args.size or '1920x1080')
        pictures = os.path.join(workdir, 'images-' + size)
        subprocess.run([sys.executable, os.path.join(HERE, 'make-bench-images.py'), pictures,
                        '--size', size], check=True, stdout=subprocess.DEVNULL)
        args.image = sorted(os.path.join(pictures, f) for f in os.listdir(pictures)
                            if f.endswith('.png')) * args.loops
        args.size = size
    if args.scene == 'video' and not args.image:
        count = 20 if args.smoke else 100
        args.image = make_video_frames(workdir, count, 320 if args.smoke else 1280,
                                       180 if args.smoke else 720)
        args.frame_interval = 40
        args.size = '%s frames of' % count
    if args.image:
        args.size = args.size or 'image-sized'
        if args.record_seconds is None:
            args.record_seconds = len(args.image) * args.frame_interval / 1000 + 3
    args.size = args.size or '1024x768'
    if args.record_seconds is None:
        args.record_seconds = 8.0
    if args.smoke:
        args.record_seconds, args.repeat = min(args.record_seconds, 4.0), 1

    print('recording %.1f s of the upstream demo (%s, %s, %s, streaming-video %s) ...'
          % (args.record_seconds, args.size, '%d images' % len(args.image) if args.image
             else 'animated desktop', args.image_compression, args.streaming_video), flush=True)
    if args.recording and os.path.exists(args.recording):
        with open(args.recording, 'rb') as f:
            rec = pickle.load(f)
        print('(replaying %s, not recorded now)' % args.recording, flush=True)
    else:
        rec = record(args, args.port)
        if args.recording:
            with open(args.recording, 'wb') as f:
                pickle.dump(rec, f)
    kinds = {}
    for mtype, body in rec.display_messages:
        kinds[mtype] = kinds.get(mtype, 0) + 1
    draws = sum(n for t, n in kinds.items() if t in DRAW_TYPES)
    frames = kinds.get(MSG_DISPLAY_STREAM_DATA, 0) + kinds.get(MSG_DISPLAY_STREAM_DATA_SIZED, 0)
    size = sum(len(b) for _, b in rec.display_messages)
    print('recorded %d display messages (%d drawing, %d stream frames), %.1f MB'
          % (len(rec.display_messages), draws, frames, size / 1e6), flush=True)
    if frames:
        print('stream frames play on the multimedia clock: a replay lasts the video\'s length; '
              'compare CPU', flush=True)

    server = fakeserver.ReplayServer(rec, args.port + 1)
    server.start()
    best = {}
    failures = 0
    try:
        for rep in range(args.repeat):
            for kind in args.clients.split(','):
                r = run_client(kind, args, server, args.port + 1, workdir)
                if not r['ok']:
                    print('%-9s run %d: FAILED: %s' % (kind, rep + 1, r['why']), flush=True)
                    failures += 1
                    continue
                print('%-9s run %d: %.3f s wall, %s s CPU' % (
                    kind, rep + 1, r['wall'], '%.3f' % r['cpu'] if r['cpu'] is not None else '?'),
                    flush=True)
                old = best.get(kind)
                if old is None or (r['cpu'] or 0) < (old['cpu'] or 0):
                    best[kind] = r
    finally:
        server.stop()

    print()
    print('%-10s %10s %12s %12s %10s' % ('client', 'wall s', 'msgs/s', 'draws/s', 'CPU s'))
    for kind in ('ours', 'spice-gtk'):
        r = best.get(kind)
        if r:
            print('%-10s %10.3f %12.0f %12.0f %10s' % (
                kind, r['wall'], len(rec.display_messages) / r['wall'], draws / r['wall'],
                '%.3f' % r['cpu'] if r['cpu'] is not None else '?'))
    if 'ours' in best and 'spice-gtk' in best:
        o, g = best['ours'], best['spice-gtk']
        speed = g['wall'] / o['wall']
        cpu = (o['cpu'] / g['cpu']) if o['cpu'] and g['cpu'] else float('nan')
        print('ratio: ours processes the session %.2fx as fast as spice-gtk, with %.2fx its CPU'
              % (speed, cpu))
    return 1 if failures or len(best) < len(args.clients.split(",")) else 0


if __name__ == '__main__':
    sys.exit(main())
