#!/usr/bin/python3
"""test-compression: every image-compression mode of our server, seen by upstream spice-gtk and a raw client.

    test-compression.py

For each mode QEMU's -spice image-compression= takes (off, auto_glz, auto_lz, quic, glz, lz,
lz4), tools/spice-demo-vm --image shows pictures made by tests/interop/capture/record.py (text,
photo, desktop, small, and a photo over 1 MiB so bands are used) on our library:
  * spice-gtk's primary surface equals the picture pixel for pixel (every mode is lossless);
  * a raw client (rawlink.py, no LZ4 cap) sees which image type each DRAW_COPY carries (the copy
    sent on connect from the canvas, then a guest redraw) and counts its bytes: off sends BITMAP,
    lz/lz4 LZ_RGB, glz GLZ_RGB, quic QUIC, auto_lz LZ_RGB for the text and QUIC for the photo,
    auto_glz GLZ_RGB for the text and QUIC for the photo, and every compressed mode sends fewer
    bytes than off for the text picture; under glz the redraw (the same picture again) references
    the first copy in the client's dictionary, so it is a fraction of the first;
  * under glz and auto_glz with the guest redrawing, spice-gtk decodes several GLZ redraws (each
    referencing earlier images of its window) and its primary still equals the picture, also
    for a second client connecting after the first left (a new dictionary for its new window).
Ports 6140-6159 (compression-helper's range), so not parallel. Prints the bytes per mode.
"""
import os
import random
import struct
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

PORT_FIRST, PORT_LAST = harness.port_range(6140, 6159)
MODES = ('off', 'auto_glz', 'auto_lz', 'quic', 'glz', 'lz', 'lz4')
PICTURES = record.PICTURES + (('photo-640x480', 640, 480, record.picture_photo),)
# What the first draws of each mode must carry, per picture kind (text and photo pictures).
EXPECTED_TYPE = {
    'off': {'text': 'BITMAP', 'photo': 'BITMAP'},
    'auto_glz': {'text': 'GLZ_RGB', 'photo': 'QUIC'},
    'auto_lz': {'text': 'LZ_RGB', 'photo': 'QUIC'},
    'quic': {'text': 'QUIC', 'photo': 'QUIC'},
    'glz': {'text': 'GLZ_RGB', 'photo': 'GLZ_RGB'},
    'lz': {'text': 'LZ_RGB', 'photo': 'LZ_RGB'},
    'lz4': {'text': 'LZ_RGB', 'photo': 'LZ_RGB'},   # no LZ4 cap: LZ, as upstream
}

_next_port = [PORT_FIRST]


def port():
    for _ in range(PORT_LAST - PORT_FIRST + 1):
        p = _next_port[0]
        _next_port[0] = PORT_FIRST + (p + 1 - PORT_FIRST) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(p):
            return p
    raise harness.TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def make_pictures():
    out = {}
    for name, w, h, make in PICTURES:
        px = make(w, h, random.Random(name))
        path = os.path.join(harness.work_dir(), 'compression-%s.png' % name)
        record.write_png(path, px)
        out[name] = path
    return out


def check_spice_gtk(mode, name, png, redraws=0):
    """spice-gtk's primary equals @png; with @redraws, only after that many more guest redraws
    were drawn (display-invalidate) after the first picture."""
    width, height, expected = harness.load_rgb(png)
    # Lossless: without jpeg never, a busy host's network test may find the link slow and AUTO
    # jpeg-wan-compression (the default, as in QEMU) would send photos as JPEG.
    args = ['--image', png, '--image-compression', mode, '--jpeg-wan-compression', 'never']
    if redraws:
        args += ['--image-redraw', '0.3']
    with harness.Demo('ours', args, port=port()) as demo:
        # With redraws, a second client connects after the first left: its window is new, so
        # the server must start a new dictionary (ids from 0, no references to the old one).
        for connection in range(2 if redraws else 1):
            with SpiceTestClient(port=demo.port, timeout=30) as client:
                client.wait_primary()
                if redraws:
                    start = client.invalidates
                    client.run_until(lambda: client.invalidates >= start + redraws, timeout=20,
                                     what='%d redraws drawn by spice-gtk' % redraws)
                got_w, got_h, got = client.primary_rgb()
                check((got_w, got_h) == (width, height), '%s %s: primary %dx%d, picture %dx%d'
                      % (mode, name, got_w, got_h, width, height))
                harness.compare_rgb(expected, got, width, '%s: spice-gtk primary vs %s '
                                    '(connection %d)' % (mode, name, connection + 1))
        demo.check_healthy()


def raw_draws(mode, png, draws=2, limit_s=20.0):
    """(type name, image bytes) of the first @draws DRAW_COPYs a raw client gets: the connect-time
    copy from the canvas, then the demo's redraw through QXL."""
    records = []
    stop = threading.Event()
    with harness.Demo('ours', ['--image', png, '--image-compression', mode, '--image-redraw', '0.5',
                               '--jpeg-wan-compression', 'never'], port=port()) as demo:
        main, session_id = rawlink.main_session('127.0.0.1', demo.port)
        try:
            main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
            pinger = threading.Thread(target=record.keep_main_alive, args=(main, stop), daemon=True)
            pinger.start()
            display, result = rawlink.secondary_link('127.0.0.1', demo.port, '', session_id,
                                                     rawlink.CHANNEL_DISPLAY)
            check(result == 'result 0', '%s: display link: %s' % (mode, result))
            display.send_message(record.MSGC_DISPLAY_INIT,
                                 struct.pack('<BqBi', 1, 20 * 1024 * 1024, 1, 4 * 1024 * 1024))
            chan = record.Channel(display)
            end = time.monotonic() + limit_s
            while time.monotonic() < end and len(records) < draws:
                mtype, body = chan.read(max(0.1, end - time.monotonic()))
                if mtype != record.MSG_DISPLAY_DRAW_COPY:
                    continue
                _, _, src_ptr, _ = record.parse_draw_copy(body)
                _, itype, _, _, _ = record.DESCRIPTOR.unpack_from(body, src_ptr)
                records.append((record.IMAGE_TYPES.get(itype, str(itype)),
                                record.image_extent(body, src_ptr)))
            display.close()
        finally:
            stop.set()
            main.close()
        demo.check_healthy()
    check(len(records) == draws, '%s: %d DRAW_COPYs arrived, expected %d' % (mode, len(records), draws))
    return records


def check_spice_gtk_mode(mode, pictures):
    for name, png in pictures.items():
        check_spice_gtk(mode, name, png)


def check_types_and_bytes(pictures):
    sizes = {}
    for mode in MODES:
        for kind, name in (('text', 'text-160x96'), ('photo', 'photo-200x150')):
            records = raw_draws(mode, pictures[name])
            for i, (itype, nbytes) in enumerate(records):
                check(itype == EXPECTED_TYPE[mode][kind], '%s %s draw %d: image type %s, expected %s'
                      % (mode, name, i, itype, EXPECTED_TYPE[mode][kind]))
            sizes[(mode, kind)] = records[0][1]
            if mode == 'glz':
                # The redraw is the same picture: GLZ codes it as references to the first copy.
                check(records[1][1] * 4 < records[0][1], 'glz %s: redraw %d bytes, first %d: '
                      'expected under 1/4 (references into the dictionary)'
                      % (name, records[1][1], records[0][1]))
                harness.log('glz %s: first %d bytes, redraw %d'
                            % (name, records[0][1], records[1][1]))
    harness.log('image bytes of the first DRAW_COPY (descriptor + body):')
    for mode in MODES:
        harness.log('  %-9s text-160x96 %-7d (%-6s)  photo-200x150 %-7d (%s)'
                    % (mode, sizes[(mode, 'text')], EXPECTED_TYPE[mode]['text'],
                       sizes[(mode, 'photo')], EXPECTED_TYPE[mode]['photo']))
    for mode in MODES[1:]:
        # LZ codes text in a few percent of the raw size; QUIC, made for photos, in about a quarter.
        limit = 2 if mode == 'quic' else 8
        check(sizes[(mode, 'text')] * limit < sizes[('off', 'text')],
              '%s sends %d bytes for the text picture, off %d: expected under 1/%d'
              % (mode, sizes[(mode, 'text')], sizes[('off', 'text')], limit))
        check(sizes[(mode, 'photo')] < sizes[('off', 'photo')],
              '%s sends %d bytes for the photo, off %d' % (mode, sizes[(mode, 'photo')],
                                                           sizes[('off', 'photo')]))
    check(sizes[('auto_lz', 'photo')] < sizes[('lz', 'photo')],
          'auto_lz photo %d bytes, lz %d: QUIC should win on photos'
          % (sizes[('auto_lz', 'photo')], sizes[('lz', 'photo')]))


if __name__ == '__main__':
    PICS = make_pictures()
    cases = [('spice-gtk shows every picture pixel for pixel under image-compression=%s' % mode,
              (lambda mode=mode: check_spice_gtk_mode(mode, PICS))) for mode in MODES]
    for mode in ('glz', 'auto_glz'):
        cases.append(('spice-gtk decodes GLZ redraws pixel for pixel under image-compression=%s'
                      % mode,
                      (lambda mode=mode: [check_spice_gtk(mode, name, PICS[name], redraws=4)
                                          for name in ('text-160x96', 'desktop-256x192',
                                                       'photo-640x480')])))
    cases.append(('a raw client sees the image type of each mode and fewer bytes than off',
                  lambda: check_types_and_bytes(PICS)))
    harness.run_cases(cases)
