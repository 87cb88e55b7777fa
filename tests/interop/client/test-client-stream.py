#!/usr/bin/python3
"""test-client-stream: our client library shows MJPEG video streams and reports the frame rate.

    test-client-stream.py CASE [CASE...]

Cases:
  demo-upstream   tools/spice-demo-vm on UPSTREAM's libspice-server (Debian 0.15.1) with
                  --streaming-video all playing an animation (an --image sequence of 320x240
                  frames, one full redraw every 40 ms, which upstream turns into an MJPEG stream).
                  Our spice-viewer --headless --stats watches it: it must have received
                  STREAM_CREATE and STREAM_DATA (its stats: a stream, frames shown), prints the
                  frame rate it achieved, and its final picture must match the server's exact
                  last frame and spice-gtk's final picture of the same run (PSNR >= 30 dB: MJPEG
                  is lossy, although upstream sends a lossless picture when the stream ends).
  demo-ours       The same animation on OUR library, which streams it too (server/display-stream.c):
                  the stats show a stream and >= 10 frames, and the final picture equals the last
                  frame exactly (our server resends the box losslessly when the stream ends).
  qemu-guest      Debian's QEMU 7.2 on upstream's library with -spice streaming-video=all and the
                  real guest of tests/interop/guest/; spice-gtk types a shell loop that writes a
                  full-width 1024x192 band of /dev/fb0 99 times, 40 ms apart (busybox dd, one
                  write per frame, so one QXL draw per frame), and leaves. Our viewer --stats
                  must get the stream upstream makes of it (1024x192 MJPEG) and show >= 10 of its
                  frames; the frame rate is printed (about 11 fps: the TCG guest's own rate) and
                  the band in our final picture must match the guest's last frame (>= 30 dB).
                  Skipped (exit 77) when the guest cannot be built.
Ports 6360-6379 (clstream's range; SPICE_TEST_PORTS=FIRST-LAST picks others).
"""
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

harness.PORT_FIRST, harness.PORT_LAST = harness.port_range(6360, 6379)
harness._next_port[0] = harness.PORT_FIRST + os.getpid() % (harness.PORT_LAST - harness.PORT_FIRST + 1)

FRAME_W, FRAME_H, FRAMES = 320, 240, 50
FRAME_INTERVAL_MS = 40
MIN_PSNR_DB = 30.0


def viewer_path():
    path = os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
    check(os.access(path, os.X_OK), '%s is missing: build it (ninja -C %s client/spice-viewer)'
          % (path, harness.BUILD_DIR))
    return path


def make_frames():
    """The animation: FRAMES PNGs of moving sine gradients (photo-like, as video is), cached."""
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf, GLib
    out = os.path.join(harness.work_dir(), 'stream-frames-%dx%d-%d' % (FRAME_W, FRAME_H, FRAMES))
    paths = [os.path.join(out, 'frame%03d.png' % k) for k in range(FRAMES)]
    if all(os.path.exists(p) for p in paths):
        return paths
    os.makedirs(out, exist_ok=True)
    green = [int(128 + 127 * math.sin(v / 17.0)) for v in range(-3 * FRAMES, FRAME_H + 1)]
    for k in range(FRAMES):
        red = bytes(int(128 + 127 * math.sin((x + 4 * k) / 23.0)) for x in range(FRAME_W))
        buf = bytearray(FRAME_W * FRAME_H * 3)
        for y in range(FRAME_H):
            o = y * FRAME_W * 3
            buf[o:o + FRAME_W * 3:3] = red
            buf[o + 1:o + FRAME_W * 3:3] = bytes([green[y - 3 * k + 3 * FRAMES]]) * FRAME_W
            buf[o + 2:o + FRAME_W * 3:3] = bytes((x + y + 5 * k) & 0xff for x in range(FRAME_W))
        pb = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(bytes(buf)), GdkPixbuf.Colorspace.RGB,
                                             False, 8, FRAME_W, FRAME_H, FRAME_W * 3)
        tmp = paths[k] + '.tmp'
        pb.savev(tmp, 'png', [], [])
        os.replace(tmp, paths[k])
    return paths


def psnr(a, b):
    check(len(a) == len(b), 'pictures of different sizes (%d and %d bytes)' % (len(a), len(b)))
    se = 0
    for x, y in zip(a, b):
        se += (x - y) * (x - y)
    if se == 0:
        return float('inf')
    return 10 * math.log10(255.0 * 255.0 * len(a) / se)


def run_viewer(port, png, timeout=30):
    """Our headless viewer with --stats; returns (exit code, stdout, stderr)."""
    if os.path.exists(png):
        os.unlink(png)
    argv = [viewer_path(), '--headless', '--stats', '--screenshot', png, '--settle', '1.5',
            '--timeout', str(timeout), 'spice://127.0.0.1:%d' % port]
    log('run: %s' % ' '.join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 30)
    out = proc.stdout.decode(errors='replace')
    err = proc.stderr.decode(errors='replace')
    for line in out.splitlines():
        if line.startswith('spice-viewer:'):
            log(line)
    return proc.returncode, out, err


def parse_stats(out):
    """(streams, shown, dropped, best fps) from the viewer's --stats total line."""
    m = re.search(r'streams (\d+), frames received (\d+), shown (\d+), dropped (\d+), '
                  r'best frame rate ([\d.]+) fps', out)
    check(m is not None, 'no --stats line in the viewer output: %r' % out[-2000:])
    return int(m.group(1)), int(m.group(3)), int(m.group(4)), float(m.group(5))


def demo_args(frames, streaming):
    args = ['--streaming-video', streaming, '--frame-interval', str(FRAME_INTERVAL_MS)]
    for p in frames:
        args += ['--image', p]
    return args


def spice_gtk_final(frames):
    """spice-gtk watching the same animation on upstream: its final picture (RGB bytes)."""
    sys.path.insert(0, os.path.join(HERE, '..'))
    import spiceclient
    with harness.Demo('upstream', demo_args(frames, 'all')) as demo:
        with spiceclient.SpiceTestClient(port=demo.port, timeout=20) as client:
            client.wait_primary(quiet=0.5, settle_max=3.0)
            # The animation runs FRAMES * 40 ms from the first client; wait for it to end and
            # for the server's stream timeout, then until nothing changes.
            client.iterate(FRAMES * FRAME_INTERVAL_MS / 1000.0 + 1.5)
            client.wait_primary(quiet=1.0, settle_max=5.0)
            w, h, rgb = client.primary_rgb()
            check((w, h) == (FRAME_W, FRAME_H), 'spice-gtk shows %dx%d' % (w, h))
            return rgb


def case_demo_upstream():
    frames = make_frames()
    _, _, last = harness.load_rgb(frames[-1])
    png = os.path.join(harness.work_dir(), 'clstream-demo-upstream.png')
    with harness.Demo('upstream', demo_args(frames, 'all')) as demo:
        code, out, err = run_viewer(demo.port, png)
        check(code == 0, 'viewer exit %d; stderr: %s' % (code, err[-2000:]))
    streams, shown, dropped, fps = parse_stats(out)
    check(streams >= 1, 'upstream with streaming-video=all sent no stream (STREAM_CREATE) to us')
    check(shown >= 10, 'only %d stream frames shown (STREAM_DATA decoded and drawn); dropped %d'
          % (shown, dropped))
    check(fps > 5.0, 'frame rate achieved %.1f fps (the server plays 25 fps)' % fps)
    log('frame rate achieved by our client: %.1f fps, %d frames shown, %d dropped' % (fps, shown, dropped))
    w, h, ours = harness.load_rgb(png)
    check((w, h) == (FRAME_W, FRAME_H), 'our screenshot is %dx%d' % (w, h))
    db = psnr(last, ours)
    log('our final picture vs the server\'s last frame: PSNR %.1f dB' % db)
    check(db >= MIN_PSNR_DB, 'our final picture is too far from the last frame: %.1f dB < %.0f dB (%s)'
          % (db, MIN_PSNR_DB, png))
    gtk = spice_gtk_final(frames)
    db_gtk = psnr(gtk, ours)
    log('our final picture vs spice-gtk\'s: PSNR %.1f dB' % db_gtk)
    check(db_gtk >= MIN_PSNR_DB, 'our final picture differs from spice-gtk\'s: %.1f dB < %.0f dB'
          % (db_gtk, MIN_PSNR_DB))


def case_demo_ours():
    frames = make_frames()
    _, _, last = harness.load_rgb(frames[-1])
    png = os.path.join(harness.work_dir(), 'clstream-demo-ours.png')
    with harness.Demo('ours', demo_args(frames, 'all')) as demo:
        code, out, err = run_viewer(demo.port, png)
        check(code == 0, 'viewer exit %d; stderr: %s' % (code, err[-2000:]))
        demo.check_healthy()
    streams, shown, dropped, fps = parse_stats(out)
    check(streams >= 1, 'our server with streaming-video=all sent no stream (STREAM_CREATE)')
    check(shown >= 10, 'only %d stream frames shown; dropped %d' % (shown, dropped))
    log('frame rate achieved by our client on our server: %.1f fps, %d frames shown, %d dropped'
        % (fps, shown, dropped))
    _, _, ours = harness.load_rgb(png)
    harness.compare_rgb(last, ours, FRAME_W, 'our viewer on our server (last frame)')


def load_guest_tests():
    """tests/interop/guest/test-guest.py as a module (its guest builder, fbdraw pattern, typing)."""
    import importlib.util
    sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
    sys.path.insert(0, os.path.join(HERE, '..', 'guest'))
    spec = importlib.util.spec_from_file_location(
        'test_guest', os.path.join(HERE, '..', 'guest', 'test-guest.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The guest animates a full-width band of its 1024x768 framebuffer: one write() per frame (busybox
# dd of 768 KiB of /bin/busybox, alternately from two offsets), which the fbdev emulation turns
# into one 1024x192 QXL draw: a stream candidate. Full-width rows are contiguous in /dev/fb0, so
# the band is a single write; fbdraw writes row by row, and upstream then streams a single row.
GUEST_FB_W, GUEST_FB_STRIDE = 1024, 4096
GUEST_BAND_Y, GUEST_BAND_H = 384, 192    # bytes 2 * 786432 .. 3 * 786432 of /dev/fb0
GUEST_BAND_BYTES = GUEST_BAND_H * GUEST_FB_STRIDE
GUEST_FRAMES = 99
GUEST_BUSYBOX = '/bin/busybox'          # build-guest.py copies this very file into the guest
GUEST_COMMAND = ('(for i in $(seq %d);do dd if=/bin/busybox of=/dev/fb0 bs=%d seek=2 skip=$((i%%2)) '
                 'count=1;usleep 40000;done;echo DDDONE>/dev/ttyS0)2>/dev/null &'
                 % (GUEST_FRAMES, GUEST_BAND_BYTES))


def guest_band_expected():
    """The band's RGB after the last frame (i = GUEST_FRAMES: skip = GUEST_FRAMES % 2)."""
    with open(GUEST_BUSYBOX, 'rb') as f:
        data = f.read()
    skip = GUEST_FRAMES % 2
    chunk = data[skip * GUEST_BAND_BYTES:(skip + 1) * GUEST_BAND_BYTES]
    check(len(chunk) == GUEST_BAND_BYTES, '%s is too small for the animation' % GUEST_BUSYBOX)
    # xRGB32 little-endian pixels: bytes B, G, R, X.
    return harness.pack_rgb(chunk, GUEST_FB_W, GUEST_BAND_H, GUEST_FB_STRIDE, 4, (2, 1, 0))


def case_qemu_guest():
    tg = load_guest_tests()
    import qemuvm
    try:
        meta = tg.load_builder().ensure_guest()
    except Exception as e:  # no kernel package reachable: not this test's failure
        log('SKIP: the guest cannot be built here: %s' % e)
        sys.exit(77)
    serial = os.path.join(harness.work_dir(), 'clstream-guest-serial.log')
    if os.path.exists(serial):
        os.unlink(serial)
    extra = ['-smp', '2', '-kernel', meta['kernel'], '-initrd', meta['initrd'],
             '-append', tg.KERNEL_CMDLINE, '-serial', 'file:%s' % serial]
    png = os.path.join(harness.work_dir(), 'clstream-qemu-guest.png')
    qemu = qemuvm.Qemu('upstream', vga='qxl', extra_args=extra, port=harness.free_port(),
                       spice_opts='disable-ticketing=on,streaming-video=all')
    try:
        def serial_has(prefix):
            try:
                with open(serial, 'rb') as f:
                    return any(l.startswith(prefix) for l in f.read().decode('utf-8', 'replace').split('\n'))
            except OSError:
                return False
        deadline = time.monotonic() + tg.BOOT_TIMEOUT
        while not serial_has('GUEST-SHELL'):
            check(time.monotonic() < deadline, 'the guest did not boot to GUEST-SHELL in %d s (serial %s)'
                  % (tg.BOOT_TIMEOUT, serial))
            qemu.check_healthy()
            time.sleep(0.2)
        # spice-gtk types the command (our client's keys are clinput's business), then leaves.
        client = tg.SpiceTestClient(port=qemu.port, timeout=30).connect()
        client.wait_primary(quiet=0.3, settle_max=2.0)
        tg.type_text(client, GUEST_COMMAND + '\n')
        client.close()
        code, out, err = run_viewer(qemu.port, png, timeout=45)
        check(code == 0, 'viewer exit %d; stderr: %s' % (code, err[-2000:]))
        check(serial_has('DDDONE'), 'the guest\'s animation did not finish (no DDDONE on %s)' % serial)
        qemu.check_healthy()
    finally:
        qemu.__exit__(None, None, None)
    streams, shown, dropped, fps = parse_stats(out)
    log('frame rate achieved by our client on the guest\'s animation: %.1f fps, %d shown, %d dropped'
        % (fps, shown, dropped))
    check(streams >= 1, 'upstream in QEMU (streaming-video=all) sent no stream for the animation')
    check(shown >= 10, 'only %d stream frames shown' % shown)
    pw, ph, ours = harness.load_rgb(png)
    check((pw, ph) == (GUEST_FB_W, 768), 'our screenshot is %dx%d' % (pw, ph))
    band = ours[GUEST_BAND_Y * pw * 3:(GUEST_BAND_Y + GUEST_BAND_H) * pw * 3]
    db = psnr(guest_band_expected(), band)
    log('the animated band vs the guest\'s last frame: PSNR %.1f dB' % db)
    check(db >= MIN_PSNR_DB, 'the animated band is too far from the guest\'s last frame: %.1f dB (%s)'
          % (db, png))


CASES = {
    'demo-upstream': case_demo_upstream,
    'demo-ours': case_demo_ours,
    'qemu-guest': case_qemu_guest,
}


def main():
    names = sys.argv[1:] or ['demo-upstream', 'demo-ours']
    for n in names:
        if n not in CASES:
            sys.exit('unknown case %s (one of %s)' % (n, ', '.join(CASES)))
    harness.run_cases([(n, CASES[n]) for n in names])


if __name__ == '__main__':
    main()
