#!/usr/bin/python3
"""test-pixcache: the server's pixmap cache (FROM_CACHE, INVAL_LIST) and per-client GLZ, seen by clients.

    test-pixcache.py [--lib ours|upstream|both]

tools/spice-demo-vm --image-cache plays an --image sequence A B C B A B (320x240 each, every
frame a full-screen QXL copy whose image carries QXL_IMAGE_CACHE and an id from its pixels):
  * a raw client (Python, parses every display message) keeps a model of its cache: each
    CACHE_ME adds the image, INVAL_LIST (alone or inside a LIST) removes ids, and every
    FROM_CACHE / FROM_CACHE_LOSSLESS must name an id the model holds; after every message the
    model holds at most the pixels the client announced in DISPLAY_INIT (so INVAL_LIST came
    before the image reusing the space). With a big cache the repeated frames come from the
    cache; with a cache of two frames there are evictions and frames still come from the cache
    after them. Upstream's library passes the same checks (the reference for the expectations);
  * with --jpeg-wan-compression always, hits of lossless copies are FROM_CACHE_LOSSLESS (ours
    and upstream's);
  * upstream spice-gtk with its default cache and with a two-frame cache (session cache-size),
    GLZ on, and with JPEG allowed (the last frame, text, then comes as FROM_CACHE_LOSSLESS),
    shows the last frame pixel for pixel, and with --image-compression off its display
    channel reads far fewer bytes with --image-cache than without (the repeats are not resent);
  * our own client (build/client/spice-viewer --headless --screenshot) shows the last frame
    pixel for pixel with the two-frame cache (it announces 80 MB, so its whole cache is used);
  * two display connections of one session (each a different client as far as the server can
    tell), GLZ on: each gets its own dictionary (GLZ ids from 0, one after the other, no gaps) and
    its own cache (both see CACHE_ME then FROM_CACHE for the same frames).
Ports 6260-6279 (pixcache's range), so not parallel.
"""
import os
import random
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'capture'))
import harness  # noqa: E402
import rawlink  # noqa: E402
import record  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

PORT_FIRST, PORT_LAST = harness.port_range(6260, 6279)
W, H = 320, 240
FRAME_PIXELS = W * H
SEQUENCE = 'ABCBAB'
# spice_msg numbers (spice/enums.h).
MSG_LIST = 8
MSG_DISPLAY_INVAL_LIST = 105
MSG_DISPLAY_INVAL_ALL_PIXMAPS = 106
DRAW_MSGS = (302, 303, 304, 305, 309, 312, 313)   # fill, opaque, copy, blend, rop3, transparent, alpha
IMAGE_FROM_CACHE, IMAGE_FROM_CACHE_LOSSLESS, IMAGE_GLZ_RGB = 103, 106, 102
FLAG_CACHE_ME, FLAG_CACHE_REPLACE_ME = 1, 4

_next_port = [PORT_FIRST]


def port():
    for _ in range(PORT_LAST - PORT_FIRST + 1):
        p = _next_port[0]
        _next_port[0] = PORT_FIRST + (p + 1 - PORT_FIRST) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(p):
            return p
    raise harness.TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def make_pictures():
    makers = {'A': record.picture_desktop, 'B': record.picture_text, 'C': record.picture_photo}
    paths = {}
    for name, make in makers.items():
        px = make(W, H, random.Random('pixcache-' + name))
        path = os.path.join(harness.work_dir(), 'pixcache-%s.png' % name)
        record.write_png(path, px)
        paths[name] = path
    return paths


def demo_args(pictures, compression, cache=True, interval_ms=400, jpeg=None):
    args = []
    for name in SEQUENCE:
        args += ['--image', pictures[name]]
    args += ['--frame-interval', str(interval_ms), '--image-compression', compression]
    if cache:
        args.append('--image-cache')
    if jpeg:
        args += ['--jpeg-wan-compression', jpeg]
    return args


def wait_sequence_done(demo, timeout=30):
    last = 'image %d of %d drawn' % (len(SEQUENCE), len(SEQUENCE))
    found = demo.proc.wait_line(lambda line: last in line, timeout)
    check(found is not None, 'the demo did not draw its %d frames within %d s' % (len(SEQUENCE), timeout))


# -- the raw client and its cache model --------------------------------------------------------
class CacheModel:
    """What a client holding @capacity pixels has cached, message by message."""

    def __init__(self, who, capacity):
        self.who = who
        self.capacity = capacity
        self.held = {}           # id -> pixels
        self.hits = 0
        self.lossless_hits = 0
        self.lossy_adds = 0
        self.adds = 0
        self.invalidated = 0
        self.glz_ids = []
        self.peak = 0

    def invalidate(self, body):
        count, = struct.unpack_from('<H', body, 0)
        check(len(body) == 2 + 9 * count, '%s: INVAL_LIST of %d entries in %d bytes'
              % (self.who, count, len(body)))
        for i in range(count):
            rtype, rid = struct.unpack_from('<BQ', body, 2 + 9 * i)
            check(rtype == 1, '%s: INVAL_LIST resource type %d (expected PIXMAP)' % (self.who, rtype))
            check(rid in self.held, '%s: INVAL_LIST names id %#x, which the client does not hold'
                  % (self.who, rid))
            del self.held[rid]
            self.invalidated += 1

    def image(self, body, off):
        iid, itype, flags, w, h = record.DESCRIPTOR.unpack_from(body, off)
        if itype in (IMAGE_FROM_CACHE, IMAGE_FROM_CACHE_LOSSLESS):
            check(iid in self.held, '%s: FROM_CACHE of id %#x, which the client does not hold '
                  '(held: %s)' % (self.who, iid, sorted(self.held)))
            self.hits += 1
            self.lossless_hits += itype == IMAGE_FROM_CACHE_LOSSLESS
            return
        if itype == IMAGE_GLZ_RGB:
            glz = body[off + record.DESCRIPTOR.size + 4:]
            self.glz_ids.append(struct.unpack_from('>Q', glz, 21)[0])   # 33-byte header: id at 21
        if flags & (FLAG_CACHE_ME | FLAG_CACHE_REPLACE_ME):
            self.held[iid] = w * h
            self.adds += flags & FLAG_CACHE_ME
            self.lossy_adds += itype in (105, 108)   # JPEG, JPEG_ALPHA
        used = sum(self.held.values())
        self.peak = max(self.peak, used)
        check(used <= self.capacity, '%s: the client would hold %d pixels after id %#x, more than '
              'the %d it announced (INVAL_LIST must come first)' % (self.who, used, iid, self.capacity))

    def message(self, mtype, body):
        if mtype == MSG_LIST:
            count, = struct.unpack_from('<H', body, 0)
            for i in range(count):
                at, = struct.unpack_from('<I', body, 2 + 4 * i)
                stype, ssize = struct.unpack_from('<HI', body, at)
                self.message(stype, body[at + 6:at + 6 + ssize])
        elif mtype == MSG_DISPLAY_INVAL_LIST:
            self.invalidate(body)
        elif mtype == MSG_DISPLAY_INVAL_ALL_PIXMAPS:
            self.held.clear()
        elif mtype == record.MSG_DISPLAY_DRAW_COPY:
            _, _, src_ptr, _ = record.parse_draw_copy(body)
            self.image(body, src_ptr)


def display_init(link, capacity, glz_window=4 * 1024 * 1024):
    link.send_message(record.MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, capacity, 1, glz_window))


def read_until_quiet(chans, demo, quiet_s=1.5, limit_s=30.0):
    """Feeds every display message of @chans ((Channel, CacheModel) pairs) to its model until the
    demo drew its last frame and the channels were quiet for @quiet_s."""
    last = 'image %d of %d drawn' % (len(SEQUENCE), len(SEQUENCE))
    end = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < end:
        got = False
        for chan, model in chans:
            try:
                mtype, body = chan.read(0.05)
            except rawlink.Timeout:
                continue
            got = True
            model.message(mtype, body)
        now = time.monotonic()
        if got:
            quiet_since = now
        elif any(last in line for line in demo.proc.lines) and now - quiet_since >= quiet_s:
            return
    raise harness.TestFailure('the display channels did not go quiet after the last frame '
                              'within %.0f s' % limit_s)


def raw_session(lib, pictures, compression, capacity, displays=1, jpeg=None):
    """Runs the sequence to @displays raw display connections of one session; their models."""
    models = []
    stop = threading.Event()
    with harness.Demo(lib, demo_args(pictures, compression, jpeg=jpeg), port=port()) as demo:
        main, session_id = rawlink.main_session('127.0.0.1', demo.port)
        links = []
        try:
            main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
            pinger = threading.Thread(target=record.keep_main_alive, args=(main, stop), daemon=True)
            pinger.start()
            chans = []
            for i in range(displays):
                link, result = rawlink.secondary_link('127.0.0.1', demo.port, '', session_id,
                                                      rawlink.CHANNEL_DISPLAY)
                check(result == 'result 0', '%s: display link %d: %s' % (lib, i + 1, result))
                links.append(link)
                display_init(link, capacity)
                model = CacheModel('%s display connection %d (cache %d px)' % (lib, i + 1, capacity),
                                   capacity)
                models.append(model)
                chans.append((record.Channel(link), model))
            read_until_quiet(chans, demo)
        finally:
            for link in links:
                link.close()
            stop.set()
            main.close()
        demo.check_healthy()
    for model in models:
        harness.log('%s: %d CACHE_ME (%d lossy), %d FROM_CACHE (%d _LOSSLESS), %d invalidated, '
                    'peak %d px, GLZ ids %s'
                    % (model.who, model.adds, model.lossy_adds, model.hits, model.lossless_hits,
                       model.invalidated, model.peak, model.glz_ids))
    return models


def check_raw_big_cache(lib, pictures):
    model, = raw_session(lib, pictures, 'lz', 20 * 1024 * 1024)
    # B, A, B repeat (A's first draw may precede the client's DISPLAY_INIT): at least 2 hits.
    check(model.hits >= 2, '%s: %d FROM_CACHE with a big cache, expected at least 2' % (lib, model.hits))
    check(model.invalidated == 0, '%s: %d ids invalidated with a big cache' % (lib, model.invalidated))


def check_raw_small_cache(lib, pictures):
    model, = raw_session(lib, pictures, 'lz', 2 * FRAME_PIXELS)
    # Two frames fit: C pushes out the oldest, A pushes out C; B is hit after evictions.
    check(model.invalidated >= 1, '%s: no INVAL_LIST with a two-frame cache' % lib)
    check(model.hits >= 2, '%s: %d FROM_CACHE with a two-frame cache, expected at least 2'
          % (lib, model.hits))


def check_raw_jpeg(lib, pictures):
    """With JPEG allowed, the photo frame is cached lossy, and hits of lossless copies say so."""
    model, = raw_session(lib, pictures, 'auto_glz', 20 * 1024 * 1024, jpeg='always')
    check(model.hits >= 2, '%s: %d FROM_CACHE with jpeg always' % (lib, model.hits))
    check(model.lossless_hits >= 1, '%s: no FROM_CACHE_LOSSLESS with jpeg always (hits of the '
          'lossless text frame must say they are lossless)' % lib)


def check_two_connections(pictures):
    models = raw_session('ours', pictures, 'glz', 20 * 1024 * 1024, displays=2)
    for model in models:
        check(model.hits >= 2, '%s: %d FROM_CACHE, expected at least 2' % (model.who, model.hits))
        ids = model.glz_ids
        check(len(ids) >= 2, '%s: %d GLZ images, expected several' % (model.who, len(ids)))
        check(ids == list(range(ids[0], ids[0] + len(ids))) and ids[0] == 0,
              '%s: GLZ ids %s: expected its own dictionary, 0, 1, 2, ...' % (model.who, ids))


# -- spice-gtk and our client ------------------------------------------------------------------
class SizedCacheClient(SpiceTestClient):
    """spice-gtk with a pixmap cache of @cache_bytes (the session's cache-size; 0 = default)."""

    def __init__(self, cache_bytes, **kwargs):
        super().__init__(**kwargs)
        self.cache_bytes = cache_bytes

    def _on_channel_new(self, session, channel):
        # The main channel comes first; the display channel reads cache-size when it sends
        # DISPLAY_INIT, later.
        if self.cache_bytes and session.get_property('cache-size') != self.cache_bytes:
            session.set_property('cache-size', self.cache_bytes)
        return super()._on_channel_new(session, channel)


def gtk_show(pictures, compression, cache_bytes, image_cache=True, jpeg=None):
    """spice-gtk shows the last frame exactly; returns the display channel's bytes read."""
    width, height, expected = harness.load_rgb(pictures[SEQUENCE[-1]])
    with harness.Demo('ours', demo_args(pictures, compression, cache=image_cache, jpeg=jpeg),
                      port=port()) as demo:
        with SizedCacheClient(cache_bytes, port=demo.port, timeout=30) as client:
            client.wait_primary()
            wait_sequence_done(demo)
            client.iterate(1.0)
            client.wait_primary()
            got_w, got_h, got = client.primary_rgb()
            check((got_w, got_h) == (width, height), 'primary %dx%d' % (got_w, got_h))
            harness.compare_rgb(expected, got, width, 'spice-gtk (%s, cache %s bytes, image-cache %s) '
                                'vs the last frame' % (compression, cache_bytes or 'default',
                                                       image_cache))
            read = client.channels['display'].get_property('total-read-bytes')
        demo.check_healthy()
    return read


def check_gtk(pictures):
    gtk_show(pictures, 'glz', 0)
    gtk_show(pictures, 'glz', 2 * FRAME_PIXELS * 4)
    # The last frame (text, lossless) comes as FROM_CACHE_LOSSLESS when JPEG is allowed.
    gtk_show(pictures, 'auto_glz', 0, jpeg='always')
    with_cache = gtk_show(pictures, 'off', 0)
    without = gtk_show(pictures, 'off', 0, image_cache=False)
    harness.log('spice-gtk display bytes, image-compression off: %d with --image-cache, %d without'
                % (with_cache, without))
    # At least two of the six 300 KB frames come from the cache.
    check(with_cache + 2 * FRAME_PIXELS * 4 * 9 // 10 < without,
          'display bytes %d with the cache, %d without: the repeated frames were resent'
          % (with_cache, without))


def check_our_viewer(pictures):
    viewer = os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
    check(os.access(viewer, os.X_OK), '%s is missing' % viewer)
    width, height, expected = harness.load_rgb(pictures[SEQUENCE[-1]])
    shot = os.path.join(harness.work_dir(), 'pixcache-viewer.png')
    if os.path.exists(shot):
        os.unlink(shot)
    with harness.Demo('ours', demo_args(pictures, 'glz'), port=port()) as demo:
        # The viewer connects, the sequence plays; the screenshot is taken after the last frame.
        wait_s = 0.4 * len(SEQUENCE) + 3
        proc = subprocess.run([viewer, '--headless', '--screenshot', shot, '--settle', '2',
                               '--timeout', str(int(wait_s) + 20),
                               'spice://127.0.0.1:%d' % demo.port],
                              capture_output=True, text=True, timeout=60)
        check(proc.returncode == 0, 'spice-viewer exited %d: %s' % (proc.returncode, proc.stderr[-2000:]))
        demo.check_healthy()
    got_w, got_h, got = harness.load_rgb(shot)
    check((got_w, got_h) == (width, height), 'viewer screenshot %dx%d' % (got_w, got_h))
    harness.compare_rgb(expected, got, width, 'spice-viewer screenshot vs the last frame')


if __name__ == '__main__':
    PICS = make_pictures()
    choice = harness.lib_choice_from_argv(sys.argv)
    libs = ['ours', 'upstream'] if choice == 'both' else [choice]
    cases = []
    for lib in libs:
        cases.append(('%s: a raw client with a big cache gets FROM_CACHE for repeated frames' % lib,
                      (lambda lib=lib: check_raw_big_cache(lib, PICS))))
        cases.append(('%s: a raw client with a two-frame cache gets INVAL_LIST first, FROM_CACHE '
                      'after evictions' % lib, (lambda lib=lib: check_raw_small_cache(lib, PICS))))
        cases.append(('%s: with JPEG allowed, lossless copies are hit as FROM_CACHE_LOSSLESS' % lib,
                      (lambda lib=lib: check_raw_jpeg(lib, PICS))))
    if 'ours' in libs:
        cases.append(('ours: two display connections of a session: own GLZ dictionaries and caches',
                      lambda: check_two_connections(PICS)))
        cases.append(('ours: spice-gtk shows the frames exactly (GLZ, default and two-frame cache) '
                      'and reads fewer bytes with the cache', lambda: check_gtk(PICS)))
        cases.append(('ours: our spice-viewer shows the frames exactly',
                      lambda: check_our_viewer(PICS)))
    harness.run_cases(cases)
