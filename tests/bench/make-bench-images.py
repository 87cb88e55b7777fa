#!/usr/bin/python3
"""make-bench-images: draws the standard desktop pictures the codec benchmark runs on.

    make-bench-images.py OUTDIR [--size WxH]      (default 1920x1080)

Writes terminal, editor, spreadsheet, photo, gradient, desktop (a mixed desktop) and a
scrolled pair (scroll-a: an editor page, scroll-b: the same page three lines further) as PNG,
with cairo and pango (python3-gi), deterministically (fixed seeds, same bytes every run on one
machine). Nothing here is committed output: the benchmark generates it into the build dir.
"""
import argparse
import math
import os
import random

import cairo
import gi

gi.require_version('Pango', '1.0')
gi.require_version('PangoCairo', '1.0')
from gi.repository import Pango, PangoCairo  # noqa: E402

WORDS = ('static const int void return struct size_t uint8_t if else for while buffer image '
         'width height stride pixel decode encode window frame error status value count '
         'offset length client server display channel surface cursor').split()


def rgb(hexcode):
    return tuple(int(hexcode[i:i + 2], 16) / 255 for i in (0, 2, 4))


def text(cr, x, y, s, color, font='DejaVu Sans Mono 11'):
    layout = PangoCairo.create_layout(cr)
    layout.set_font_description(Pango.FontDescription.from_string(font))
    layout.set_text(s, -1)
    cr.set_source_rgb(*color)
    cr.move_to(x, y)
    PangoCairo.show_layout(cr, layout)


def fill(cr, x, y, w, h, color):
    cr.set_source_rgb(*color)
    cr.rectangle(x, y, w, h)
    cr.fill()


def terminal(cr, w, h, rnd):
    fill(cr, 0, 0, w, h, rgb('1e1e1e'))
    colors = [rgb('d0d0d0'), rgb('d0d0d0'), rgb('5fafff'), rgb('87d787'), rgb('ffaf5f')]
    line = 17
    for row in range(h // line):
        y = row * line
        if row % 9 == 0:
            text(cr, 4, y, 'user@host:~/src/spice$ ', rgb('87d787'))
            text(cr, 4 + 23 * 9, y, 'ls -l --color build/%d' % row, rgb('d0d0d0'))
            continue
        n = rnd.randint(3, 10)
        s = ' '.join(rnd.choice(WORDS) for _ in range(n))
        text(cr, 4, y, '-rw-r--r-- 1 user user %7d Nov 22 08:%02d ' % (rnd.randint(0, 10**6), row % 60),
             colors[0])
        text(cr, 4 + 44 * 9, y, s, rnd.choice(colors))


def code_lines(rnd, count):
    lines = []
    depth = 0
    for i in range(count):
        if i % 14 == 0:
            lines.append((0, 'static int %s_%s(const %s *%s)' % tuple(rnd.choice(WORDS) for _ in range(4))))
            lines.append((0, '{'))
            depth = 1
            continue
        if i % 14 == 13:
            lines.append((0, '}'))
            lines.append((0, ''))
            continue
        kind = rnd.random()
        words = ' '.join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 7)))
        if kind < 0.2:
            lines.append((depth, '/* %s */' % words))
        elif kind < 0.35:
            lines.append((depth, 'if (%s != NULL) {' % rnd.choice(WORDS)))
        else:
            lines.append((depth, '%s = %s(%s, %d);' % (rnd.choice(WORDS), rnd.choice(WORDS), words.replace(' ', ', '),
                                                      rnd.randint(0, 4096))))
    return lines


def editor_page(cr, w, h, lines, first):
    fill(cr, 0, 0, w, h, rgb('fafafa'))
    fill(cr, 0, 0, w, 32, rgb('dcdcdc'))
    for t in range(5):
        fill(cr, 260 + t * 180, 4, 176, 28, rgb('fafafa') if t == 1 else rgb('c8c8c8'))
        text(cr, 270 + t * 180, 10, 'file-%d.c' % t, rgb('303030'), 'DejaVu Sans 10')
    fill(cr, 0, 32, 256, h - 32, rgb('eeeeee'))
    for i in range(40):
        text(cr, 12 + (i % 3) * 16, 40 + i * 22, 'src/module-%02d.c' % i, rgb('404040'), 'DejaVu Sans 10')
    line = 18
    palette = {'/*': rgb('808080'), 'static': rgb('0033b3'), 'if': rgb('0033b3'), '}': rgb('303030')}
    top = 40
    for row in range((h - top) // line):
        idx = first + row
        if idx >= len(lines):
            break
        depth, s = lines[idx]
        y = top + row * line
        text(cr, 262, y, '%5d' % (idx + 1), rgb('a0a0a0'))
        color = rgb('080808')
        for key, c in palette.items():
            if s.startswith(key):
                color = c
        text(cr, 330 + depth * 36, y, s, color)
    fill(cr, w - 14, 40 + first, 10, 120, rgb('c0c0c0'))


def editor(cr, w, h, rnd):
    editor_page(cr, w, h, code_lines(rnd, 200), 0)


def spreadsheet(cr, w, h, rnd):
    fill(cr, 0, 0, w, h, rgb('ffffff'))
    fill(cr, 0, 0, w, 60, rgb('f3f3f3'))
    col_w, row_h = 110, 22
    fill(cr, 0, 60, w, row_h, rgb('e8e8e8'))
    fill(cr, 0, 60, 48, h - 60, rgb('e8e8e8'))
    cr.set_line_width(1)
    cr.set_source_rgb(*rgb('d4d4d4'))
    for x in range(48, w, col_w):
        cr.move_to(x + 0.5, 60)
        cr.line_to(x + 0.5, h)
    for y in range(60, h, row_h):
        cr.move_to(0, y + 0.5)
        cr.line_to(w, y + 0.5)
    cr.stroke()
    for c in range((w - 48) // col_w):
        text(cr, 48 + c * col_w + 50, 63, chr(65 + c % 26), rgb('404040'), 'DejaVu Sans 9')
    for r in range(1, (h - 60) // row_h):
        y = 60 + r * row_h
        text(cr, 10, y + 3, '%d' % r, rgb('404040'), 'DejaVu Sans 9')
        for c in range((w - 48) // col_w):
            if rnd.random() < 0.75:
                v = '%.2f' % (rnd.random() * 10 ** rnd.randint(1, 5))
                text(cr, 48 + c * col_w + col_w - 8 - 7 * len(v), y + 3, v,
                     rgb('c00000') if rnd.random() < 0.05 else rgb('202020'), 'DejaVu Sans 9')
    fill(cr, 1100, 420, 640, 380, rgb('ffffff'))
    for i in range(16):
        fill(cr, 1130 + i * 38, 780 - 300 * rnd.random(), 26, 1, rgb('4472c4'))
        v = 300 * rnd.random()
        fill(cr, 1130 + i * 38, 780 - v, 26, v, rgb('4472c4'))


def noise_tile(rnd, size, amp):
    surf = cairo.ImageSurface(cairo.FORMAT_ARGB32, size, size)
    stride = surf.get_stride()
    data = surf.get_data()
    buf = bytearray(stride * size)
    for y in range(size):
        for x in range(size):
            v = rnd.randint(0, amp)
            o = y * stride + 4 * x
            buf[o:o + 4] = bytes((v, v, v, amp))
    data[:] = bytes(buf)
    surf.mark_dirty()
    return surf


def photo(cr, w, h, rnd):
    sky = cairo.LinearGradient(0, 0, 0, h)
    sky.add_color_stop_rgb(0, *rgb('3a6ea5'))
    sky.add_color_stop_rgb(0.55, *rgb('c9d9e8'))
    sky.add_color_stop_rgb(0.56, *rgb('5b7a3a'))
    sky.add_color_stop_rgb(1, *rgb('2e3d1c'))
    cr.set_source(sky)
    cr.paint()
    for _ in range(1400):
        x, y = rnd.uniform(0, w), rnd.uniform(0, h)
        r = rnd.uniform(8, 160)
        g = cairo.RadialGradient(x, y, 0, x, y, r)
        base = (rnd.random(), rnd.random(), rnd.random())
        g.add_color_stop_rgba(0, *base, rnd.uniform(0.1, 0.5))
        g.add_color_stop_rgba(1, *base, 0)
        cr.set_source(g)
        cr.arc(x, y, r, 0, 2 * math.pi)
        cr.fill()
    # Sensor grain: a noise tile at a prime size so its period lines up with nothing.
    tile = noise_tile(rnd, 251, 24)
    pat = cairo.SurfacePattern(tile)
    pat.set_extend(cairo.EXTEND_REPEAT)
    cr.set_source(pat)
    cr.set_operator(cairo.OPERATOR_OVER)
    cr.paint_with_alpha(0.35)
    cr.set_operator(cairo.OPERATOR_OVER)


def gradient(cr, w, h, rnd):
    g = cairo.LinearGradient(0, 0, w, h)
    g.add_color_stop_rgb(0, *rgb('0f2027'))
    g.add_color_stop_rgb(0.5, *rgb('203a43'))
    g.add_color_stop_rgb(1, *rgb('2c5364'))
    cr.set_source(g)
    cr.paint()
    for i in range(6):
        x, y = rnd.uniform(0, w), rnd.uniform(0, h)
        r = cairo.RadialGradient(x, y, 0, x, y, rnd.uniform(300, 900))
        r.add_color_stop_rgba(0, rnd.random(), rnd.random(), rnd.random(), 0.6)
        r.add_color_stop_rgba(1, 0, 0, 0, 0)
        cr.set_source(r)
        cr.paint()


def window(cr, x, y, w, h, title, draw, rnd):
    fill(cr, x + 6, y + 6, w, h, (0.05, 0.05, 0.05))
    fill(cr, x, y, w, 30, rgb('3c3c3c'))
    text(cr, x + 12, y + 6, title, rgb('f0f0f0'), 'DejaVu Sans Bold 10')
    for i, c in enumerate(('ff5f57', 'febc2e', '28c840')):
        cr.set_source_rgb(*rgb(c))
        cr.arc(x + w - 20 - i * 22, y + 15, 7, 0, 2 * math.pi)
        cr.fill()
    cr.save()
    cr.rectangle(x, y + 30, w, h - 30)
    cr.clip()
    cr.translate(x, y + 30)
    draw(cr, w, h - 30, rnd)
    cr.restore()


def desktop(cr, w, h, rnd):
    gradient(cr, w, h, rnd)
    fill(cr, 0, 0, w, 28, rgb('202020'))
    text(cr, 12, 5, 'Activities      Sun 22 Nov  08:48', rgb('f0f0f0'), 'DejaVu Sans 10')
    for i in range(8):
        fill(cr, 20, 60 + i * 96, 64, 64, (rnd.random(), rnd.random(), rnd.random()))
        text(cr, 16, 128 + i * 96, 'item %d' % i, rgb('ffffff'), 'DejaVu Sans 9')
    window(cr, 140, 70, 900, 560, 'photo.jpg - Image Viewer', photo, rnd)
    window(cr, 980, 120, 880, 620, 'terminal', terminal, rnd)
    window(cr, 300, 520, 1100, 520, 'module.c - Editor', editor, rnd)


def draw(path, w, h, fn, seed):
    surf = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
    cr = cairo.Context(surf)
    fn(cr, w, h, random.Random(seed))
    surf.write_to_png(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('outdir')
    ap.add_argument('--size', default='1920x1080')
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split('x'))
    os.makedirs(args.outdir, exist_ok=True)
    kinds = [('terminal', terminal), ('editor', editor), ('spreadsheet', spreadsheet),
             ('photo', photo), ('gradient', gradient), ('desktop', desktop)]
    for i, (name, fn) in enumerate(kinds):
        draw(os.path.join(args.outdir, '%s.png' % name), w, h, fn, 100 + i)
    lines = code_lines(random.Random(7), 400)
    for name, first in (('scroll-a', 0), ('scroll-b', 3)):
        surf = cairo.ImageSurface(cairo.FORMAT_RGB24, w, h)
        editor_page(cairo.Context(surf), w, h, lines, first)
        surf.write_to_png(os.path.join(args.outdir, '%s.png' % name))


if __name__ == '__main__':
    main()
