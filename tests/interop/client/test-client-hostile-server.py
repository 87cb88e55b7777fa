#!/usr/bin/python3
"""test-client-hostile-server: our spice-viewer against a python server that links politely, then lies.

    test-client-hostile-server.py PATH/TO/spice-viewer [CASE...]

The server (fakeserver.py's link stage and main channel) creates a 64x48 primary surface, then
sends each case's hostile display traffic. spice-viewer --headless --screenshot must end on its
own before its --timeout (plus a margin), with an exit code of its own (never a signal), no
sanitizer report, and a message on stderr naming what was wrong in words:
  truncated-draw      a DRAW_COPY body cut in half                     -> "malformed DRAW_COPY"
  truncated-stroke    DRAW_STROKE whose path claims more points than it holds
  truncated-text      DRAW_TEXT whose glyph claims more bits than it holds
  oversized-message   a header announcing a 1 GiB message               -> the channel refuses it
  truncated-socket    a header announcing 100 bytes, 20 sent, then EOF  -> connection closed
  unknown-surface     a fill and a copy naming surface 77               -> "does not exist"
  image-too-large     a BITMAP claiming 5000x5000 with 16 bytes of data -> "does not fit"
  image-over-surface  a valid 100x100 image drawn at a box past the 64x48 surface: clipped,
                      the picture is still taken (exit 0), nothing out of bounds
  glz-outside-window  a GLZ_RGB image (upstream's recording) whose references lie before any
                      image we hold                                     -> GLZ decode refused
  unknown-stream      STREAM_DATA and STREAM_CLIP for a stream never created
Ports 6390-6399 (clcanvas's range).
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import fakeserver  # noqa: E402
import displaymsgs as m  # noqa: E402

VIEWER = sys.argv[1] if len(sys.argv) > 1 else os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
FIRST, LAST = harness.port_range(6390, 6399)
TIMEOUT = 10
RECORDED = os.path.join(harness.SOURCE_DIR, 'tests', 'data', 'upstream-images', 'glz-small-64x64')


class HostileServer(fakeserver.ReplayServer):
    """ReplayServer whose display channel sends @items: (type, body) messages or raw bytes, then
    either keeps the socket open (the client decides when to leave) or closes it."""

    def __init__(self, items, port, close_after=False):
        super().__init__(fakeserver.Recording([]), port)
        self.items = items
        self.close_after = close_after

    def _serve_display(self, peer):
        got_init = threading.Event()

        def reader():
            try:
                while True:
                    mtype, _ = peer.read()
                    if mtype == fakeserver.MSGC_DISPLAY_INIT:
                        got_init.set()
            except (OSError, ConnectionError, ValueError, struct.error):
                got_init.set()

        threading.Thread(target=reader, daemon=True).start()
        got_init.wait(2.0)
        for item in self.items:
            peer.sock.sendall(item if isinstance(item, bytes) else peer.frame(*item))
        if self.close_after:
            peer.sock.shutdown(socket.SHUT_RDWR)


def free_port():
    for port in range(FIRST, LAST + 1):
        if harness.port_is_free(port):
            return port
    raise harness.TestFailure('no free port in %d-%d' % (FIRST, LAST))


def primary():
    """A 64x48 primary, filled, and MARK (the first picture is there): the viewer then settles
    and reports the first problem it met."""
    return [(m.SURFACE_CREATE, m.surface_create(0, 64, 48)),
            (m.DRAW_FILL, m.draw_fill(0, (0, 0, 64, 48), 0x204060)), (m.MARK, b'')]


def run_case(items, words, codes=(4, 5, 6), close_after=False):
    """Runs the viewer against @items; checks its exit code is in @codes and stderr has @words."""
    port = free_port()
    server = HostileServer(primary() + items, port, close_after)
    server.start()
    png = os.path.join(harness.work_dir(), 'hostile-%d.png' % port)
    if os.path.exists(png):
        os.unlink(png)
    try:
        check(os.access(VIEWER, os.X_OK), '%s is missing: build it (ninja client/spice-viewer)' % VIEWER)
        argv = [VIEWER, '--headless', '--screenshot', png, '--timeout', str(TIMEOUT), '--settle', '0.5',
                'spice://127.0.0.1:%d' % port]
        t0 = time.monotonic()
        try:
            run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT + 15)
        except subprocess.TimeoutExpired:
            raise harness.TestFailure('spice-viewer hung past its %d s timeout' % TIMEOUT)
        took = time.monotonic() - t0
        err = run.stderr.decode(errors='replace')
        log('spice-viewer exit %d after %.1f s; stderr %r' % (run.returncode, took, err[-1500:]))
        for marker in harness.SANITIZER_MARKERS:
            check(marker not in err, 'sanitizer report from spice-viewer:\n' + err)
        check(run.returncode >= 0, 'spice-viewer died of signal %d: %s' % (-run.returncode, err[-1500:]))
        check(took < TIMEOUT + 5, 'spice-viewer took %.1f s (timeout %d)' % (took, TIMEOUT))
        check(run.returncode in codes, 'spice-viewer exit %d, expected one of %s: %s'
              % (run.returncode, codes, err[-1500:]))
        for w in words:
            alternatives = w if isinstance(w, tuple) else (w,)
            check(any(a in err for a in alternatives), 'spice-viewer did not say %s: %s'
                  % (' or '.join(repr(a) for a in alternatives), err[-1500:]))
        return run.returncode
    finally:
        server.stop()


def case_truncated_draw():
    body = m.draw_copy(0, (0, 0, 4, 4), m.bitmap32(4, 4), (0, 0, 4, 4))
    # Cut inside the fixed part (base, image pointer, src_area...), and inside the image.
    run_case([(m.DRAW_COPY, body[:30]), (m.DRAW_COPY, body[:len(body) // 2])],
             ['malformed DRAW_COPY'])


def case_truncated_stroke():
    body = bytearray(m.draw_stroke(0, (0, 0, 64, 48), [(m.PATH_BEGIN | m.PATH_END, [(1, 1), (60, 40)])],
                                   0xffffff))
    # The path's only segment claims 1000 points (it holds 2).
    off = struct.unpack_from('<I', body, 21)[0]
    struct.pack_into('<I', body, off + 5, 1000)
    run_case([(m.DRAW_STROKE, bytes(body))], ['malformed DRAW_STROKE'])


def case_truncated_text():
    body = bytearray(m.draw_text(0, (0, 0, 64, 48), [(2, 10, 8, 8, [0xff] * 8)], 0))
    off = struct.unpack_from('<I', body, 21)[0]
    struct.pack_into('<HH', body, off + 3 + 16, 800, 600)   # the glyph claims 800x600
    run_case([(m.DRAW_TEXT, bytes(body))], ['malformed DRAW_TEXT'])


def case_oversized_message():
    run_case([struct.pack('<HI', m.DRAW_FILL, 1 << 30) + b'\0' * 64], ['1073741824'])


def case_truncated_socket():
    run_case([struct.pack('<HI', m.DRAW_FILL, 100) + b'\0' * 20], ['closed'], close_after=True)


def case_unknown_surface():
    run_case([(m.DRAW_FILL, m.draw_fill(77, (0, 0, 4, 4), 0xff)),
              (m.DRAW_COPY, m.draw_copy(77, (0, 0, 4, 4), m.bitmap32(4, 4), (0, 0, 4, 4)))],
             ['surface 77, which does not exist'])


def case_image_too_large():
    lie = struct.pack('<QBBII', 3, m.IMG_BITMAP, 0, 5000, 5000) + \
        struct.pack('<BBIIII', m.BMP_32BIT, m.BMP_TOP_DOWN, 5000, 5000, 20000, 0) + b'\x11' * 16
    run_case([(m.DRAW_COPY, m.draw_copy(0, (0, 0, 64, 48), lie, (0, 0, 5000, 5000)))], ['does not fit'])


def case_image_over_surface():
    big = m.bitmap32(100, 100)
    code = run_case([(m.DRAW_COPY, m.draw_copy(0, (-20, -30, 80, 70), big, (0, 0, 100, 100))),
                     (m.DRAW_ALPHA_BLEND, m.draw_alpha_blend(0, (30, 30, 130, 130), big, (0, 0, 100, 100), 0x80)),
                     (m.MARK, b'')], [], codes=(0,))
    check(code == 0, 'a clipped draw must still give a picture')


def case_glz_outside_window():
    # The second GLZ image of upstream's session refers to the first, which we never got.
    with open(os.path.join(RECORDED, '002-GLZ_RGB.bin'), 'rb') as f:
        glz = f.read()
    run_case([(m.DRAW_COPY, m.draw_copy(0, (0, 0, 64, 48), glz, (0, 0, 64, 48)))], ['GLZ'])


def case_unknown_stream():
    clip = struct.pack('<IB', 9, 0)
    run_case([(m.STREAM_DATA, m.stream_data(9, b'\xff\xd8junk')), (m.STREAM_CLIP, clip),
              (m.STREAM_DESTROY, struct.pack('<I', 9)),
              (m.DRAW_FILL, m.draw_fill(77, (0, 0, 4, 4), 0xff))],
             [('stream 9', 'STREAM_DATA')], codes=(0, 4, 5, 6))


CASES = {
    'truncated-draw': case_truncated_draw,
    'truncated-stroke': case_truncated_stroke,
    'truncated-text': case_truncated_text,
    'oversized-message': case_oversized_message,
    'truncated-socket': case_truncated_socket,
    'unknown-surface': case_unknown_surface,
    'image-too-large': case_image_too_large,
    'image-over-surface': case_image_over_surface,
    'glz-outside-window': case_glz_outside_window,
    'unknown-stream': case_unknown_stream,
}

if __name__ == '__main__':
    names = sys.argv[2:] or list(CASES)
    harness.run_cases([(n, CASES[n]) for n in names])
