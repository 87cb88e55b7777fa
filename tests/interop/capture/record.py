#!/usr/bin/python3
"""record: captures the compressed images upstream's libspice-server sends on the display channel.

For every (picture, image-compression mode) it starts tools/spice-demo-vm --image PICTURE.png
--image-compression MODE against upstream's library (LD_LIBRARY_PATH), links main + display as a
raw client (tests/interop/rawlink.py: no LZ4 or preferred-compression caps, so the server's mode
alone decides), sends DISPLAY_INIT as spice-gtk does (cache/dictionary ids 1, sane sizes),
answers SET_ACK/PING, and saves each DRAW_COPY's image (descriptor + body) in the order received:

  OUT/<picture>.ppm                    the picture (binary P6): the pixels spice-gtk shows in
                                       lossless modes, as the demo draws the file pixel for pixel
  OUT/<mode>-<picture>/NNN-<type>.bin  image descriptor (18 bytes) + its body up to the data's end
  OUT/<mode>-<picture>/index.json      per record: type, width, height, dest box, src area, file
  OUT/records.txt                      every record on one line for tests/unit/test-upstream-images.c

Usage (from the source root, after `ninja -C BUILD tools/spice-demo-vm`):
  tests/interop/capture/record.py --demo BUILD/tools/spice-demo-vm --out tests/data/upstream-images
The pictures are generated here (seeded, so re-recording gives the same pixels).
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import rawlink  # noqa: E402

UPSTREAM_LIB_DIR = '/usr/lib/x86_64-linux-gnu'
MODES = ('quic', 'lz', 'glz', 'auto_glz')

# Message numbers (spice/enums.h).
MSG_SET_ACK, MSG_PING = 3, 4
MSG_DISPLAY_MARK, MSG_DISPLAY_DRAW_COPY, MSG_DISPLAY_SURFACE_CREATE = 102, 304, 314
MSGC_DISPLAY_INIT = 101

IMAGE_TYPES = {0: 'BITMAP', 1: 'QUIC', 100: 'LZ_PLT', 101: 'LZ_RGB', 102: 'GLZ_RGB',
               103: 'FROM_CACHE', 104: 'SURFACE', 105: 'JPEG', 106: 'FROM_CACHE_LOSSLESS',
               107: 'ZLIB_GLZ_RGB', 108: 'JPEG_ALPHA', 109: 'LZ4'}
DESCRIPTOR = struct.Struct('<QBBII')   # id, type, flags, width, height (18 bytes)


# -- pictures --------------------------------------------------------------------------------
def picture_text(w, h, rng):
    """Dark glyph-like strokes on a light page with a coloured title bar: what LZ is for."""
    px = [[(246, 246, 240)] * w for _ in range(h)]
    for y in range(min(14, h)):
        px[y] = [(40, 90, 170)] * w
    y = 20
    while y + 8 < h:
        x = 6
        while x + 6 < w - 6:
            glyph = rng.getrandbits(35)
            for gy in range(7):
                for gx in range(5):
                    if glyph >> (gy * 5 + gx) & 1:
                        px[y + gy][x + gx] = (20, 20, 28)
            x += 7 if rng.random() > 0.15 else 12
        y += 11
    return px


def picture_photo(w, h, rng):
    """Smooth two-axis gradient plus small noise: what QUIC is for."""
    px = []
    for y in range(h):
        row = []
        for x in range(w):
            base = (int(255 * x / max(1, w - 1)), int(200 * y / max(1, h - 1)) + 20,
                    int(128 + 100 * ((x + y) % 97) / 96.0) // 2 + 60)
            row.append(tuple(max(0, min(255, c + rng.randint(-6, 6))) for c in base))
        px.append(row)
    return px


def picture_desktop(w, h, rng):
    """Flat windows, a gradient title and a few icons: a mixed desktop."""
    px = [[(58, 110, 165)] * w for _ in range(h)]
    for wx, wy, ww, wh in ((10, 12, w // 2, h // 2), (w // 3, h // 3, w // 2, h // 2)):
        for y in range(wy, min(h, wy + wh)):
            for x in range(wx, min(w, wx + ww)):
                if y < wy + 10:
                    px[y][x] = (30 + 200 * (x - wx) // ww, 60, 120)
                else:
                    px[y][x] = (236, 233, 216)
    for i in range(6):
        ix, iy = 4 + (i % 2) * 18, h - 40 + (i // 2) * 12
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        for y in range(iy, min(h, iy + 10)):
            for x in range(ix, min(w, ix + 14)):
                px[y][x] = colour
    return px


def picture_small(w, h, rng):
    """A 64x64 checker with a diagonal: the smallest case."""
    return [[(255, 0, 0) if x == y else ((0, 0, 0) if (x // 8 + y // 8) % 2 else (255, 255, 255))
             for x in range(w)] for y in range(h)]


PICTURES = (('text-160x96', 160, 96, picture_text), ('photo-200x150', 200, 150, picture_photo),
            ('desktop-256x192', 256, 192, picture_desktop), ('small-64x64', 64, 64, picture_small))


def write_ppm(path, px):
    h, w = len(px), len(px[0])
    with open(path, 'wb') as f:
        f.write(b'P6\n%d %d\n255\n' % (w, h))
        f.write(bytes(c for row in px for p in row for c in p))


def write_png(path, px):
    """A minimal RGB8 PNG (the demo loads pictures through gdk-pixbuf)."""
    h, w = len(px), len(px[0])
    raw = b''.join(b'\0' + bytes(c for p in row for c in p) for row in px)

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


# -- the raw client --------------------------------------------------------------------------
class Channel:
    """One linked channel: answers SET_ACK, PING and the ack window; hands other messages on."""

    def __init__(self, link):
        self.link = link
        self.window = 0
        self.unacked = 0

    def read(self, timeout):
        mtype, body = self.link.read_message(timeout)
        if mtype == MSG_SET_ACK:
            generation, self.window = struct.unpack_from('<II', body, 0)
            self.link.send_message(rawlink.MSGC_ACK_SYNC, struct.pack('<I', generation))
        elif mtype == MSG_PING:
            self.link.send_message(rawlink.MSGC_PONG, body[:12])
        if self.window:
            self.unacked += 1
            if self.unacked >= self.window:
                self.link.send_message(rawlink.MSGC_ACK)
                self.unacked = 0
        return mtype, body


def keep_main_alive(main, stop):
    chan = Channel(main)
    while not stop.is_set():
        try:
            chan.read(0.5)
        except rawlink.Timeout:
            continue
        except (rawlink.Closed, OSError, ValueError):
            return


def image_extent(body, off):
    """Bytes of the image at @off (descriptor + body through the end of its data)."""
    _, itype, _, _, _ = DESCRIPTOR.unpack_from(body, off)
    p = off + DESCRIPTOR.size
    if itype in (1, 101, 102, 105, 109):            # data_size u32 + data
        size, = struct.unpack_from('<I', body, p)
        return DESCRIPTOR.size + 4 + size
    if itype == 100:                                # flags u8, data_size u32, palette u32, data
        size, = struct.unpack_from('<I', body, p + 1)
        return DESCRIPTOR.size + 9 + size
    if itype == 107:                                # glz_data_size u32, data_size u32, data
        size, = struct.unpack_from('<I', body, p + 4)
        return DESCRIPTOR.size + 8 + size
    if itype == 0:                                  # format, flags, x, y, stride, palette, data
        _, _, _, y, stride = struct.unpack_from('<BBIII', body, p)
        return DESCRIPTOR.size + 18 + y * stride
    return DESCRIPTOR.size


def parse_draw_copy(body):
    surface_id, top, left, bottom, right, clip_type = struct.unpack_from('<IiiiiB', body, 0)
    p = 21
    if clip_type == 1:
        count, = struct.unpack_from('<I', body, p)
        p += 4 + 16 * count
    src_ptr, s_top, s_left, s_bottom, s_right = struct.unpack_from('<Iiiii', body, p)
    return surface_id, (left, top, right, bottom), src_ptr, (s_left, s_top, s_right, s_bottom)


def record_session(demo, picture_png, mode, port, out_dir, draws=3, limit_s=20.0):
    """The first @draws DRAW_COPYs: the surface copy sent on connect (no drawable, so never GLZ
    upstream), then the demo's redraws (drawable-backed: GLZ in glz modes, the second one
    referring back to the first through the shared dictionary)."""
    os.makedirs(out_dir, exist_ok=True)
    env = dict(os.environ, LD_LIBRARY_PATH=UPSTREAM_LIB_DIR)
    proc = subprocess.Popen([demo, '--noauth', '--port', str(port), '--image', picture_png,
                             '--image-compression', mode, '--image-redraw', '0.7'], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    records = []
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                main, session_id = rawlink.main_session('127.0.0.1', port)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
        pinger = threading.Thread(target=keep_main_alive, args=(main, stop), daemon=True)
        pinger.start()
        display, result = rawlink.secondary_link('127.0.0.1', port, '', session_id,
                                                 rawlink.CHANNEL_DISPLAY)
        if result != 'result 0':
            raise RuntimeError('display link: %s' % result)
        # DISPLAY_INIT: pixmap cache 1 of 20M pixels, GLZ dictionary 1 with a 4M-pixel window.
        display.send_message(MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, 20 * 1024 * 1024, 1,
                                                            4 * 1024 * 1024))
        chan = Channel(display)
        end = time.monotonic() + limit_s
        seen = {}
        while time.monotonic() < end and len(records) < draws:
            mtype, body = chan.read(max(0.1, end - time.monotonic()))
            if mtype != MSG_DISPLAY_DRAW_COPY:
                continue
            surface_id, box, src_ptr, src_area = parse_draw_copy(body)
            _, itype, flags, width, height = DESCRIPTOR.unpack_from(body, src_ptr)
            data = body[src_ptr:src_ptr + image_extent(body, src_ptr)]
            # Identical bytes (LZ and QUIC of the same pixels) are stored once.
            name = seen.get(data)
            if name is None:
                name = '%03d-%s.bin' % (len(records), IMAGE_TYPES.get(itype, 'type%d' % itype))
                seen[data] = name
                with open(os.path.join(out_dir, name), 'wb') as f:
                    f.write(data)
            records.append({'file': name, 'type': IMAGE_TYPES.get(itype, str(itype)),
                            'type_value': itype, 'flags': flags, 'width': width,
                            'height': height, 'surface_id': surface_id,
                            'dest_box_ltrb': list(box), 'src_area_ltrb': list(src_area),
                            'bytes': len(data)})
        display.close()
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with open(os.path.join(out_dir, 'index.json'), 'w') as f:
        json.dump({'mode': mode, 'picture': os.path.basename(picture_png), 'library':
                   UPSTREAM_LIB_DIR + '/libspice-server.so.1', 'records': records}, f, indent=1)
    return records


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--demo', required=True, help='path to the built tools/spice-demo-vm')
    ap.add_argument('--out', required=True, help='output directory (e.g. tests/data/upstream-images)')
    ap.add_argument('--port', type=int, default=6160)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='spice-record-')
    lines = ['# session seq type width height dest_left dest_top src_left src_top src_right'
             ' src_bottom record expected (written by tests/interop/capture/record.py)']
    try:
        for name, w, h, make in PICTURES:
            px = make(w, h, random.Random(name))
            write_ppm(os.path.join(args.out, name + '.ppm'), px)
            png = os.path.join(tmp, name + '.png')
            write_png(png, px)
            for mode in MODES:
                session = '%s-%s' % (mode, name)
                records = record_session(args.demo, png, mode, args.port,
                                         os.path.join(args.out, session))
                for i, r in enumerate(records):
                    lines.append(' '.join(str(v) for v in (
                        session, i, r['type'], r['width'], r['height'], r['dest_box_ltrb'][0],
                        r['dest_box_ltrb'][1], *r['src_area_ltrb'], session + '/' + r['file'],
                        name + '.ppm')))
                print('%-28s %s' % (session, ', '.join('%s %dx%d %dB' % (r['type'], r['width'],
                      r['height'], r['bytes']) for r in records) or 'NO DRAW_COPY'))
    finally:
        shutil.rmtree(tmp)
    with open(os.path.join(args.out, 'records.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
