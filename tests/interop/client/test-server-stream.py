#!/usr/bin/python3
"""test-server-stream: OUR server turns an animated region into an MJPEG video stream.

    test-server-stream.py CASE [CASE...]

The scenario of test-client-stream.py (an --image sequence of 50 photo-like 320x240 frames, one
full redraw every 40 ms) played by tools/spice-demo-vm on OUR libspice-server:
  ours-all   --streaming-video all: our spice-viewer --headless --stats must get a stream
             (STREAM_CREATE) and show >= 10 of its frames (STREAM_DATA on the mm clock); the
             frame rate it achieved is printed. When the animation stops, the server ends the
             stream after 1 s and resends the box losslessly, so our final picture equals the
             last frame exactly. spice-gtk watching the same run ends on the same exact picture.
  ours-filter --streaming-video filter: the frames are photo-like, so they stream too.
  ours-off   --streaming-video off: no stream at all, the final picture is exact.
  ours-wire  --streaming-video all, a raw display client (tests/interop/rawlink.py) checks the
             bytes: one STREAM_CREATE (surface 0, MJPEG, TOP_DOWN, 320x240 into the whole
             screen, clip NONE), >= 10 STREAM_DATA frames that are JPEGs stamped on the mm clock
             (ahead of MAIN_INIT's multi_media_time, never going back), then STREAM_DESTROY of
             that id and a DRAW_COPY of the box (the lossless refresh).
  ours-stalled --streaming-video all, a raw display client that stops acknowledging during the
             animation: the server sends it no more than its ack window (frames are skipped, not
             queued), and once it acknowledges again it gets the box (no old frame).
  ours-report / upstream-report  a raw display client announcing SPICE_DISPLAY_CAP_STREAM_REPORT
             gets STREAM_ACTIVATE_REPORT right after STREAM_CREATE (stream id, a unique id, a
             window of 5 frames, 1000 ms: upstream's values, checked on upstream's library too).
             On ours it then reports every window as half dropped and late: the frames that
             follow must be smaller (lower MJPEG quality) and further apart
             (server/stream-rate.h).
Ports 6400-6419 (srvstream's range; SPICE_TEST_PORTS=FIRST-LAST picks others).
"""
import importlib.util
import os
import struct
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
import harness  # noqa: E402
from harness import check, log  # noqa: E402


def load_client_stream():
    """test-client-stream.py as a module: its frames, viewer runner and stats parser."""
    spec = importlib.util.spec_from_file_location('test_client_stream',
                                                  os.path.join(HERE, 'test-client-stream.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


cs = load_client_stream()
# Importing it picked clstream's ports: ours are 6400-6419.
harness.PORT_FIRST, harness.PORT_LAST = harness.port_range(6400, 6419)
harness._next_port[0] = harness.PORT_FIRST + os.getpid() % (harness.PORT_LAST - harness.PORT_FIRST + 1)


def spice_gtk_final(frames, streaming):
    """spice-gtk watching the animation on our library: its final picture (RGB bytes)."""
    import spiceclient
    with harness.Demo('ours', cs.demo_args(frames, streaming)) as demo:
        with spiceclient.SpiceTestClient(port=demo.port, timeout=20) as client:
            client.wait_primary(quiet=0.5, settle_max=3.0)
            # The animation runs FRAMES * 40 ms from the first client; then the stream times
            # out (1 s) and the box is resent; wait until nothing changes.
            client.iterate(cs.FRAMES * cs.FRAME_INTERVAL_MS / 1000.0 + 1.5)
            client.wait_primary(quiet=1.0, settle_max=5.0)
            w, h, rgb = client.primary_rgb()
            check((w, h) == (cs.FRAME_W, cs.FRAME_H), 'spice-gtk shows %dx%d' % (w, h))
        demo.check_healthy()
        return rgb


def viewer_sees_stream(frames, streaming):
    """Our viewer on the demo playing @frames with --streaming-video @streaming: checks that a
    stream came and the final picture is exact."""
    _, _, last = harness.load_rgb(frames[-1])
    png = os.path.join(harness.work_dir(), 'srvstream-ours-%s.png' % streaming)
    with harness.Demo('ours', cs.demo_args(frames, streaming)) as demo:
        code, out, err = cs.run_viewer(demo.port, png)
        check(code == 0, 'viewer exit %d; stderr: %s' % (code, err[-2000:]))
        demo.check_healthy()
    streams, shown, dropped, fps = cs.parse_stats(out)
    check(streams >= 1, 'our server with streaming-video=%s sent no stream (STREAM_CREATE)'
          % streaming)
    check(shown >= 10, 'only %d stream frames shown (STREAM_DATA decoded and drawn); dropped %d'
          % (shown, dropped))
    check(fps > 5.0, 'frame rate achieved %.1f fps (the demo plays 25 fps)' % fps)
    log('our server -> our client: %d stream(s), %d frames shown, %d dropped, %.1f fps'
        % (streams, shown, dropped, fps))
    w, h, ours = harness.load_rgb(png)
    check((w, h) == (cs.FRAME_W, cs.FRAME_H), 'our screenshot is %dx%d' % (w, h))
    harness.compare_rgb(last, ours, cs.FRAME_W,
                        'our viewer after the stream ended (the box resent losslessly)')


def case_ours_all():
    frames = cs.make_frames()
    viewer_sees_stream(frames, 'all')
    _, _, last = harness.load_rgb(frames[-1])
    gtk = spice_gtk_final(frames, 'all')
    db = cs.psnr(last, gtk)
    log('spice-gtk\'s final picture vs the last frame: PSNR %.1f dB' % db)
    harness.compare_rgb(last, gtk, cs.FRAME_W, 'spice-gtk after the stream ended')


def case_ours_filter():
    viewer_sees_stream(cs.make_frames(), 'filter')


def case_ours_off():
    frames = cs.make_frames()
    _, _, last = harness.load_rgb(frames[-1])
    png = os.path.join(harness.work_dir(), 'srvstream-ours-off.png')
    with harness.Demo('ours', cs.demo_args(frames, 'off')) as demo:
        code, out, err = cs.run_viewer(demo.port, png)
        check(code == 0, 'viewer exit %d; stderr: %s' % (code, err[-2000:]))
        demo.check_healthy()
    streams, shown, _, _ = cs.parse_stats(out)
    check(streams == 0 and shown == 0, 'streaming-video=off, yet %d stream(s) were sent' % streams)
    _, _, ours = harness.load_rgb(png)
    harness.compare_rgb(last, ours, cs.FRAME_W, 'our viewer, streaming off (last frame)')


MSG_DRAW_COPY = 304
MSG_STREAM_CREATE, MSG_STREAM_DATA, MSG_STREAM_DESTROY = 122, 123, 125
MAIN_INIT_MM_TIME_OFFSET = 24      # the 7th u32 of SpiceMsgMainInit


def raw_display(demo, body, display_caps=()):
    """Links a raw main and display channel (announcing @display_caps, u32 words) to @demo and
    runs @body(link, chan, init_mm)."""
    sys.path.insert(0, os.path.join(HERE, '..', 'capture'))
    import rawlink
    import record
    stop = threading.Event()
    main = rawlink.RawLink('127.0.0.1', demo.port)
    try:
        reply, result = main.link()
        check(reply.error == 0 and result == 0, 'main link refused')
        init = main.read_until(rawlink.MSG_MAIN_INIT)
        session_id, = struct.unpack_from('<I', init, 0)
        init_mm, = struct.unpack_from('<I', init, MAIN_INIT_MM_TIME_OFFSET)
        main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
        threading.Thread(target=record.keep_main_alive, args=(main, stop), daemon=True).start()
        link, result = rawlink.secondary_link('127.0.0.1', demo.port, '', session_id,
                                              rawlink.CHANNEL_DISPLAY, channel_caps=display_caps)
        check(result == 'result 0', 'display link: %s' % result)
        try:
            link.send_message(rawlink.MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, 0, 1, 0))
            body(link, record.Channel(link), init_mm)
        finally:
            link.close()
    finally:
        stop.set()
        main.close()


def case_ours_stalled():
    import rawlink
    frames = cs.make_frames()
    stalled = []
    resumed = []
    window = [0]

    def body(link, chan, init_mm):
        # Keep up with the start-up, then stop acknowledging for the rest of the animation
        # and the stream's timeout.
        end = time.monotonic() + cs.FRAMES * cs.FRAME_INTERVAL_MS / 1000.0 + 2.5
        while time.monotonic() < end:
            try:
                mtype, _ = chan.link.read_message(0.1) if stalled else chan.read(0.1)
            except rawlink.Timeout:
                continue
            if mtype in (MSG_DRAW_COPY, MSG_STREAM_CREATE, MSG_STREAM_DATA, MSG_STREAM_DESTROY):
                stalled.append(mtype)
        window[0] = chan.window
        link.send_message(rawlink.MSGC_ACK)
        chan.unacked = 0
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                mtype, _ = chan.read(1.5)
            except rawlink.Timeout:
                break
            resumed.append(mtype)

    with harness.Demo('ours', cs.demo_args(frames, 'all')) as demo:
        raw_display(demo, body)
        demo.check_healthy()
    log('stalled client: window %d, %d messages while stalled (%d frames), then %r'
        % (window[0], len(stalled), stalled.count(MSG_STREAM_DATA), resumed))
    check(window[0] > 0, 'no SET_ACK window')
    # The server stops at 2 * window unacknowledged messages (as upstream).
    check(len(stalled) <= 2 * window[0], 'the server sent %d draw/stream messages to a client '
          'that stopped acknowledging (window %d)' % (len(stalled), window[0]))
    check(MSG_STREAM_DATA not in resumed, 'old frames were queued for the stalled client, '
          'not skipped: %r' % resumed)
    if MSG_STREAM_CREATE in stalled:
        check(MSG_STREAM_DESTROY in stalled + resumed, 'the stream never ended for the client')
    check(MSG_DRAW_COPY in resumed, 'no DRAW_COPY refreshed the box once the client acknowledged')


def case_ours_wire():
    import rawlink
    frames = cs.make_frames()
    events = []        # (type, body) of the display messages that matter, in order

    def body(link, chan, init_mm):
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                mtype, body = chan.read(0.1)
            except rawlink.Timeout:
                if events and events[-1][0] == MSG_DRAW_COPY and \
                        any(e[0] == MSG_STREAM_DESTROY for e in events):
                    break
                continue
            if mtype in (MSG_DRAW_COPY, MSG_STREAM_CREATE, MSG_STREAM_DATA, MSG_STREAM_DESTROY):
                events.append((mtype, body))
        events.append(('init_mm', init_mm))

    with harness.Demo('ours', cs.demo_args(frames, 'all')) as demo:
        raw_display(demo, body)
        demo.check_healthy()
    init_mm = events.pop()[1]
    creates = [b for t, b in events if t == MSG_STREAM_CREATE]
    check(len(creates) == 1, '%d STREAM_CREATE messages (expected 1)' % len(creates))
    c = creates[0]
    check(len(c) == 51, 'STREAM_CREATE of %d bytes (51 with clip NONE)' % len(c))
    surface, sid, flags, codec, _stamp, sw, sh, srcw, srch, top, left, bottom, right, clip = \
        struct.unpack('<IIBBQIIIIiiiiB', c)
    check(surface == 0 and sid < 64, 'STREAM_CREATE surface %d id %d' % (surface, sid))
    check(flags == 1 and codec == 1, 'STREAM_CREATE flags %d codec %d (TOP_DOWN, MJPEG)'
          % (flags, codec))
    check((sw, sh, srcw, srch) == (cs.FRAME_W, cs.FRAME_H) * 2, 'stream sizes %r'
          % ((sw, sh, srcw, srch),))
    check((top, left, bottom, right) == (0, 0, cs.FRAME_H, cs.FRAME_W), 'dest %r'
          % ((top, left, bottom, right),))
    check(clip == 0, 'clip type %d (NONE)' % clip)
    data = [(i, b) for i, (t, b) in enumerate(events) if t == MSG_STREAM_DATA]
    check(len(data) >= 10, 'only %d STREAM_DATA frames' % len(data))
    last_mm = None
    for _, b in data:
        fid, mm, size = struct.unpack_from('<III', b, 0)
        check(fid == sid, 'STREAM_DATA for stream %d, not %d' % (fid, sid))
        check(size == len(b) - 12 and b[12:14] == b'\xff\xd8', 'STREAM_DATA is not one JPEG')
        # The client's clock starts at init_mm (the server's clock minus the latency it gives
        # the client); frames are stamped with the server's clock: ahead, and never backwards.
        check((mm - init_mm) & 0xffffffff < 600000, 'frame mm time %d behind MAIN_INIT %d'
              % (mm, init_mm))
        check(last_mm is None or (mm - last_mm) & 0xffffffff < 600000, 'mm time went back')
        last_mm = mm
    destroys = [(i, b) for i, (t, b) in enumerate(events) if t == MSG_STREAM_DESTROY]
    check(len(destroys) == 1 and struct.unpack('<I', destroys[0][1])[0] == sid,
          'expected one STREAM_DESTROY of stream %d, got %d' % (sid, len(destroys)))
    check(destroys[0][0] > data[-1][0], 'STREAM_DESTROY came before the last frame')
    after = [b for i, (t, b) in enumerate(events) if i > destroys[0][0] and t == MSG_DRAW_COPY]
    check(after, 'no DRAW_COPY refreshed the box after STREAM_DESTROY')
    log('raw client: STREAM_CREATE %dx%d, %d frames (%d..%d bytes), STREAM_DESTROY, %d DRAW_COPY'
        % (sw, sh, len(data), min(len(b) for _, b in data), max(len(b) for _, b in data),
           len(after)))


MSG_STREAM_ACTIVATE_REPORT = 319
MSGC_DISPLAY_STREAM_REPORT = 102
DISPLAY_CAP_STREAM_REPORT = 4


def stream_report_session(lib, struggle):
    """Raw display client with the STREAM_REPORT cap on @lib's demo. With @struggle it reports
    each window of frames as half dropped and 50 ms late. Returns (ACTIVATE_REPORT bodies,
    [(arrival s, frame bytes)] of the STREAM_DATA frames)."""
    import rawlink
    frames = cs.make_frames()
    activates, data, seen = [], [], []

    def body(link, chan, init_mm):
        end = time.monotonic() + 20
        pending = 0
        while time.monotonic() < end:
            try:
                mtype, msg = chan.read(0.1)
            except rawlink.Timeout:
                if data and any(t == MSG_STREAM_DESTROY for t in seen):
                    break
                continue
            seen.append(mtype)
            if mtype == MSG_STREAM_ACTIVATE_REPORT:
                activates.append(msg)
            elif mtype == MSG_STREAM_DATA:
                data.append((time.monotonic(), len(msg) - 12))
                pending += 1
                if struggle and activates and pending >= 5:
                    sid, unique = struct.unpack_from('<II', activates[-1], 0)
                    mm, = struct.unpack_from('<I', msg, 4)
                    link.send_message(MSGC_DISPLAY_STREAM_REPORT, struct.pack(
                        '<IIIIIIiI', sid, unique, mm, mm, pending, pending // 2 + 1, -50, 0))
                    pending = 0

    with harness.Demo(lib, cs.demo_args(frames, 'all')) as demo:
        raw_display(demo, body, display_caps=(1 << DISPLAY_CAP_STREAM_REPORT,))
        demo.check_healthy()
    check(MSG_STREAM_CREATE in seen, '%s: no stream was created' % lib)
    create_at = seen.index(MSG_STREAM_CREATE)
    check(seen[create_at + 1:create_at + 2] == [MSG_STREAM_ACTIVATE_REPORT],
          '%s: STREAM_ACTIVATE_REPORT did not follow STREAM_CREATE: %r'
          % (lib, seen[create_at:create_at + 4]))
    return activates, data


def check_activate_report(lib, activates):
    check(len(activates) == 1, '%s: %d STREAM_ACTIVATE_REPORTs' % (lib, len(activates)))
    check(len(activates[0]) == 16, '%s: STREAM_ACTIVATE_REPORT of %d bytes' % (lib, len(activates[0])))
    sid, unique, window, timeout = struct.unpack('<IIII', activates[0])
    log('%s: STREAM_ACTIVATE_REPORT stream %d unique %d window %d timeout %d ms'
        % (lib, sid, unique, window, timeout))
    check((window, timeout) == (5, 1000), '%s: report window %d, timeout %d ms (5, 1000 expected)'
          % (lib, window, timeout))


def case_upstream_report():
    activates, _ = stream_report_session('upstream', struggle=False)
    check_activate_report('upstream', activates)


def case_ours_report():
    activates, data = stream_report_session('ours', struggle=True)
    check_activate_report('ours', activates)
    check(len(data) >= 12, 'only %d frames arrived' % len(data))
    first, last = data[:4], data[-4:]
    size_first = sum(n for _, n in first) / len(first)
    size_last = sum(n for _, n in last) / len(last)
    gap_first = (first[-1][0] - first[0][0]) / (len(first) - 1)
    gap_last = (last[-1][0] - last[0][0]) / (len(last) - 1)
    log('ours, reporting drops: %d frames, first ones %.0f bytes %.0f ms apart, last ones %.0f '
        'bytes %.0f ms apart' % (len(data), size_first, gap_first * 1000, size_last,
                                 gap_last * 1000))
    check(size_last < 0.8 * size_first, 'frames did not get smaller after reports of drops: '
          '%.0f -> %.0f bytes' % (size_first, size_last))
    check(gap_last > 1.5 * gap_first, 'frames did not come further apart after reports of drops: '
          '%.0f -> %.0f ms' % (gap_first * 1000, gap_last * 1000))


CASES = {
    'ours-report': case_ours_report,
    'upstream-report': case_upstream_report,
    'ours-wire': case_ours_wire,
    'ours-stalled': case_ours_stalled,
    'ours-all': case_ours_all,
    'ours-filter': case_ours_filter,
    'ours-off': case_ours_off,
}


def main():
    names = sys.argv[1:] or list(CASES)
    for n in names:
        if n not in CASES:
            sys.exit('unknown case %s (one of %s)' % (n, ', '.join(CASES)))
    harness.run_cases([(n, CASES[n]) for n in names])


if __name__ == '__main__':
    main()
