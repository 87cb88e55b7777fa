#!/usr/bin/python3
"""test-client-gtk: the GTK window of our spice-viewer under Xvfb, driven with xdotool.

    test-client-gtk.py CASE [CASE...]

The server is tools/spice-demo-vm on OUR library or UPSTREAM's (Debian libspice-server1), showing
a PNG of coloured 20x20 blocks (--image) pixel for pixel; the demo prints every input event.
Cases (each with -ours and -upstream):
  window-LIB      at --zoom 100 the root window's screenshot contains the picture exactly; typing
                  with xdotool reaches the guest as set-1 scancodes; the pointer reaches it as the
                  tablet position mapped to guest pixels, a click as button mask 1 then 0, the
                  wheel as up then down; Send key > Ctrl+Alt+Del reaches it;
                  Ctrl+Shift+S opens "Save screenshot" and Return saves a PNG equal to the picture.
  fullscreen-LIB  F11: the window covers the screen, the menu is gone and the picture is scaled
                  (320x200 on 1280x1024: exactly 4x, letterboxed); F11 again gives the size back;
                  Ctrl+plus twice zooms to 120% (window and title follow), Ctrl+0 back to 1:1.
  reconnect-LIB   the server stops: the title says "reconnecting"; it comes back on the same port:
                  the window shows the picture again without any user action.
  password-LIB    a demo with --password and a viewer without one: the password dialog appears,
                  the typed password connects and the picture shows; a second viewer with a wrong
                  --password gets the dialog too, and Escape there exits 3.
  cursor-LIB      the demo's desktop sets a 12-pixel black and white arrow cursor: over our display
                  (client mouse mode) the X server's cursor (XFixes) is that shape, over the menu
                  bar it is not.
  servermode-qemu Debian's QEMU 7.2 on upstream's library (PS/2 mouse, no tablet: server mouse mode):
                  a click grabs the pointer (title hint), relative moves are taken and the pointer
                  warped back to the display's centre, Ctrl+Alt releases the grab.
Ports 6320-6339 (gtkview's range; SPICE_TEST_PORTS overrides). On a difference the screenshots
stay in <build>/tests/interop/work/<test>/gtk-*.png and the failure names them.
"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..'))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
import harness  # noqa: E402
import xsession  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

PORT_FIRST, PORT_LAST = harness.port_range(6320, 6339)
_next = [PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)]
SCREEN_W, SCREEN_H = 1280, 1024
IMG_W, IMG_H = 320, 200
BLOCK = 20


def free_port():
    for _ in range(PORT_LAST - PORT_FIRST + 1):
        port = _next[0]
        _next[0] = PORT_FIRST + (port + 1 - PORT_FIRST) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def viewer_path():
    path = os.path.join(harness.BUILD_DIR, 'client', 'spice-viewer')
    check(os.access(path, os.X_OK), '%s is missing: build it (ninja -C %s client/spice-viewer)'
          % (path, harness.BUILD_DIR))
    return path


def block_image():
    """320x200 of 20x20 blocks, each its own colour (scaling to 4x keeps every block exact)."""
    rgb = bytearray()
    for y in range(IMG_H):
        for x in range(IMG_W):
            bx, by = x // BLOCK, y // BLOCK
            rgb += bytes(((bx * 16 + 8) & 255, (by * 25 + 10) & 255, ((bx * 7 + by * 13) * 5) & 255))
    path = os.path.join(harness.work_dir(), 'gtk-source.png')
    save_png(path, IMG_W, IMG_H, bytes(rgb))
    return path, bytes(rgb)


def save_png(path, w, h, rgb):
    import gi
    gi.require_version('GdkPixbuf', '2.0')
    from gi.repository import GdkPixbuf, GLib
    pb = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(rgb), GdkPixbuf.Colorspace.RGB, False, 8, w, h, w * 3)
    pb.savev(path, 'png', [], [])
    return path


class Session:
    """Xvfb + the demo (on @lib) + our viewer in a window."""

    def __init__(self, lib, demo_args=(), viewer_args=(), image=True):
        self.lib = lib
        self.home = tempfile.mkdtemp(prefix='gtk-home-')
        self.demo = None
        self.viewer = None
        self.x = xsession.Xvfb(SCREEN_W, SCREEN_H)
        try:
            self._start(demo_args, viewer_args, image)
        except BaseException:
            self.close()
            raise

    def _start(self, demo_args, viewer_args, image):
        self.env = self.x.env(self.home)
        # The viewer quits cleanly on SIGTERM, so LeakSanitizer judges it at exit; fontconfig's
        # and GTK's process-lifetime caches are not ours to judge.
        supp = os.path.join(self.home, 'lsan.supp')
        with open(supp, 'w') as f:
            f.write('leak:libfontconfig.so\nleak:libgtk-3.so\nleak:libgdk-3.so\nleak:libpango\n')
        self.env['ASAN_OPTIONS'] = 'detect_leaks=1'
        self.env['LSAN_OPTIONS'] = 'suppressions=%s:print_suppressions=0' % supp
        self.image, self.rgb = block_image()
        self.port = free_port()
        self.demo_args = (['--image', self.image] if image else []) + list(demo_args)
        self.start_demo()
        argv = [viewer_path()] + list(viewer_args) + ['spice://127.0.0.1:%d' % self.port]
        log('run: %s' % ' '.join(argv))
        # The screenshot dialog starts in the working directory: run the viewer in our home.
        self.viewer = harness.Proc('gtk-viewer', ['/bin/sh', '-c', 'cd "$0" && exec "$@"', self.home] + argv,
                                   env=self.env)
        self.window = self.wait_window()

    def start_demo(self):
        self.demo = harness.Demo(self.lib, self.demo_args, port=self.port)

    def xdo(self, *args, timeout=10):
        result = subprocess.run(['xdotool'] + [str(a) for a in args], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=timeout)
        return result.returncode, result.stdout.decode(errors='replace').strip()

    def wait_window(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_viewer()
            code, out = self.xdo('search', '--name', ' - spice-viewer')
            if code == 0 and out:
                return out.split()[0]
            time.sleep(0.2)
        raise TestFailure('no "... - spice-viewer" window within %d s; viewer stderr: %s'
                          % (timeout, self.viewer.stderr_text()[-1500:]))

    def title(self):
        return self.xdo('getwindowname', self.window)[1]

    def wait_title(self, predicate, what, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_viewer()
            t = self.title()
            if predicate(t):
                return t
            time.sleep(0.2)
        raise TestFailure('the window title never showed %s (last: %r); viewer stderr: %s'
                          % (what, self.title(), self.viewer.stderr_text()[-1500:]))

    def geometry(self):
        code, out = self.xdo('getwindowgeometry', '--shell', self.window)
        vals = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
        return int(vals['X']), int(vals['Y']), int(vals['WIDTH']), int(vals['HEIGHT'])

    def check_viewer(self):
        err = self.viewer.stderr_text() if self.viewer else ''
        check('runtime error:' not in err and 'ERROR: AddressSanitizer' not in err,
              'sanitizer report from spice-viewer:\n' + err[-4000:])
        if self.viewer is not None:
            check(self.viewer.alive(), 'spice-viewer exited (status %s): %s'
                  % (self.viewer.popen.returncode, err[-1500:]))

    def screenshot(self, name):
        path = os.path.join(harness.work_dir(), 'gtk-%s-%s.png' % (name, self.lib))
        self.x.screenshot(path)
        return path, harness.load_rgb(path)

    def wait_picture(self, what, timeout=20):
        """Waits until the root window contains the source picture 1:1; returns its (x, y)."""
        deadline = time.monotonic() + timeout
        while True:
            path, (w, h, rgb) = self.screenshot(what)
            at = xsession.find_subimage(rgb, w, h, self.rgb, IMG_W, IMG_H)
            if at is not None:
                return at
            if time.monotonic() > deadline:
                raise TestFailure('%s: the screen (%s) never contained the guest picture %s pixel for pixel'
                                  % (what, path, self.image))
            time.sleep(0.5)

    def focus(self, x=100, y=100):
        """Puts the pointer over the display area (grab and focus follow it, as on a desktop)."""
        self.xdo('mousemove', '--window', self.window, x, y)
        self.xdo('windowfocus', '--sync', self.window)
        time.sleep(0.3)

    def demo_lines(self, start):
        return [l for l in self.demo.proc.lines_since(start) if l.startswith('input ')]

    def wait_inputs(self, start, wanted, what, timeout=10):
        """Waits until the demo printed every line of @wanted (in order) after line @start."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.demo_lines(start)
            it = iter(got)
            if all(any(w == g for g in it) for w in wanted):
                return got
            if time.monotonic() > deadline:
                raise TestFailure('%s: the guest did not get %s; it got %s' % (what, wanted, got))
            time.sleep(0.1)

    def close(self, check_exit=False):
        problem = None
        if self.viewer is not None:
            status = self.viewer.stop()
            err = self.viewer.stderr_text()
            if 'runtime error:' in err or 'Sanitizer' in err:
                problem = 'sanitizer report from spice-viewer (log %s):\n%s' % (self.viewer.stderr_file.name,
                                                                                err[-4000:])
            elif status != 0:
                problem = 'spice-viewer did not quit cleanly on SIGTERM (status %s): %s' % (status, err[-1500:])
            else:
                self.viewer.remove_logs()
        if self.demo is not None:
            self.demo.stop()
        self.x.stop()
        shutil.rmtree(self.home, ignore_errors=True)
        if check_exit and problem is not None:
            raise TestFailure(problem)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close(check_exit=exc[0] is None)
        return False


def case_window(lib):
    with Session(lib, viewer_args=['--zoom', '100', '--title', 'gtk-test']) as s:
        s.wait_title(lambda t: t.startswith('gtk-test - spice-viewer') and 'connecting' not in t, 'connected')
        x0, y0 = s.wait_picture('window')
        log('the picture is at (%d,%d) of the screen, 1:1' % (x0, y0))
        wx, wy, ww, wh = s.geometry()

        # Keys: the X keycodes of a, shift+b, Return, F5, Right Ctrl arrive as set-1 scancodes.
        s.focus(x0 - wx + 50, y0 - wy + 50)
        t = s.wait_title(lambda t: 'Press Ctrl+Alt to release' in t, 'the grab hint')
        log('title while grabbed: %r' % t)
        start = s.demo.proc.line_count()
        s.xdo('key', '--delay', '30', 'a', 'shift+b', 'Return', 'F5', 'Control_R')
        s.wait_inputs(start, ['input key-down 0x1e', 'input key-up 0x1e', 'input key-down 0x2a',
                              'input key-down 0x30', 'input key-up 0x30', 'input key-down 0x1c',
                              'input key-up 0x1c', 'input key-down 0x3f', 'input key-up 0x3f',
                              'input key-down 0xe01d', 'input key-up 0xe01d'], 'xdotool keys')

        # The pointer: client mouse mode (the demo has a tablet), mapped to guest pixels.
        start = s.demo.proc.line_count()
        s.xdo('mousemove', '--window', s.window, x0 - wx + 123, y0 - wy + 77)
        s.wait_inputs(start, ['input tablet-position 123 77 0'], 'pointer motion')
        # A left click (button mask 1, then 0) and the wheel (buttons 4 and 5: up, down).
        start = s.demo.proc.line_count()
        s.xdo('click', 1)
        # spice-server reports a press in client mode as a position (and a zero wheel step)
        # carrying the new button mask, the release as tablet-buttons 0.
        deadline = time.monotonic() + 10
        while True:
            got = s.demo_lines(start)
            masks = [l.split()[-1] for l in got if l.startswith('input tablet-')]
            if '1' in masks and '0' in masks[masks.index('1'):]:
                break
            check(time.monotonic() < deadline, 'left click: the guest got no button mask 1 then 0: %s' % got)
            time.sleep(0.1)
        start = s.demo.proc.line_count()
        s.xdo('click', 4)
        time.sleep(0.2)
        s.xdo('click', 5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got = s.demo_lines(start)
            wheel = [int(l.split()[2]) for l in got if l.startswith('input tablet-wheel') and l.split()[2] != '0']
            if len(wheel) >= 2:
                break
            time.sleep(0.1)
        check(len(wheel) >= 2 and wheel[0] < 0 < wheel[1],
              'wheel up then down must reach the guest as tablet-wheel <0 then >0; got %s' % got)

        # Ctrl+Alt releases the grab (title hint gone).
        s.xdo('key', 'ctrl+alt')
        s.wait_title(lambda t: 'release' not in t, 'the grab released after Ctrl+Alt')

        # Send key > Ctrl+Alt+Del through the menu.
        start = s.demo.proc.line_count()
        # The menu bar's third item: font metrics decide where it is, so try a few places along
        # the bar until the popup with the 15 Send key entries opens, then click its first one.
        bar_y = max(2, (y0 - wy) // 2)
        popup = None
        for x in (118, 105, 130, 95, 145, 85, 160, 175):
            s.xdo('mousemove', '--window', s.window, x, bar_y, 'click', 1)
            deadline = time.monotonic() + 2
            found = None
            while found is None and time.monotonic() < deadline:
                code, out = s.xdo('search', '--onlyvisible', '--class', 'spice-viewer')
                others = [wid for wid in out.split() if wid != s.window]
                found = others[0] if others else None
                time.sleep(0.1)
            if found is None:
                continue
            code, out = s.xdo('getwindowgeometry', '--shell', found)
            vals = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
            if int(vals['HEIGHT']) > 15 * 14:
                popup = vals
                break
            s.xdo('key', 'Escape')
            time.sleep(0.3)
        check(popup is not None, 'the Send key menu (15 entries) did not open from the menu bar')
        item_h = int(popup['HEIGHT']) // 15
        s.xdo('mousemove', int(popup['X']) + 40, int(popup['Y']) + item_h // 2 + 2, 'click', 1)
        s.wait_inputs(start, ['input key-down 0x1d', 'input key-down 0x38', 'input key-down 0xe053',
                              'input key-up 0xe053', 'input key-up 0x38', 'input key-up 0x1d'],
                      'Send key > Ctrl+Alt+Del')

        # Screenshot: Ctrl+Shift+S opens the dialog at a timestamped name in the working
        # directory; Return saves it, and the PNG is the guest's picture.
        s.focus(x0 - wx + 50, y0 - wy + 50)
        s.xdo('key', 'ctrl+shift+s')
        deadline = time.monotonic() + 10
        dialog = None
        while dialog is None and time.monotonic() < deadline:
            code, out = s.xdo('search', '--onlyvisible', '--name', '^Save screenshot$')
            dialog = out.split()[0] if code == 0 and out else None
            time.sleep(0.2)
        check(dialog is not None, 'Ctrl+Shift+S opened no "Save screenshot" dialog')
        time.sleep(0.5)
        s.xdo('windowfocus', '--sync', dialog)
        s.xdo('key', 'Return')
        deadline = time.monotonic() + 10
        saved = []
        while not saved and time.monotonic() < deadline:
            saved = glob.glob(os.path.join(s.home, 'spice-viewer-*.png'))
            time.sleep(0.2)
        check(saved, 'no spice-viewer-*.png in the working directory after Return in the dialog; stdout %s'
              % s.viewer.lines[-5:])
        time.sleep(0.3)
        w, h, rgb = harness.load_rgb(saved[0])
        check((w, h) == (IMG_W, IMG_H), 'the screenshot is %dx%d, the guest %dx%d' % (w, h, IMG_W, IMG_H))
        harness.compare_rgb(s.rgb, rgb, w, 'screenshot to PNG')
        log('screenshot %s equals the guest picture' % os.path.basename(saved[0]))
        s.check_viewer()
        s.demo.check_healthy()


def case_fullscreen(lib):
    with Session(lib) as s:
        # No --title: the title is the VM's name from MAIN_NAME (the demo's default name).
        s.wait_title(lambda t: t.startswith('spice-demo-vm - spice-viewer'), '"spice-demo-vm - spice-viewer"')
        s.wait_picture('before-fullscreen')
        before = s.geometry()
        s.focus(50, 50)
        s.xdo('key', 'F11')
        deadline = time.monotonic() + 10
        while s.geometry()[2:] != (SCREEN_W, SCREEN_H) and time.monotonic() < deadline:
            time.sleep(0.2)
        check(s.geometry() == (0, 0, SCREEN_W, SCREEN_H), 'F11: the window is %s, not the whole %dx%d screen'
              % (s.geometry(), SCREEN_W, SCREEN_H))
        # 320x200 on 1280x1024: scale 4, the picture 1280x800 at y=112, exact (nearest) copies.
        scale = 4
        pic_h = IMG_H * scale
        top = (SCREEN_H - pic_h) // 2
        expected = bytearray()
        for y in range(pic_h):
            row = s.rgb[(y // scale) * IMG_W * 3:(y // scale + 1) * IMG_W * 3]
            expected += b''.join(row[x * 3:x * 3 + 3] * scale for x in range(IMG_W))
        deadline = time.monotonic() + 10
        while True:
            path, (w, h, rgb) = s.screenshot('fullscreen')
            got = rgb[top * w * 3:(top + pic_h) * w * 3]
            if got == bytes(expected):
                break
            if time.monotonic() > deadline:
                harness.compare_rgb(bytes(expected), got, w, 'full screen picture (%s)' % path)
            time.sleep(0.5)
        bar = rgb[0:w * 3]
        check(bar == bar[:3] * w and bar[:3] != s.rgb[:3],
              'full screen: the top row should be an even letterbox bar (menu hidden); screenshot %s' % path)
        log('full screen: the picture is scaled 4x to 1280x800, letterboxed, no menu')
        s.xdo('key', 'F11')
        deadline = time.monotonic() + 10
        while s.geometry() != before and time.monotonic() < deadline:
            time.sleep(0.2)
        check(s.geometry() == before, 'leaving full screen gave %s, not the size before %s'
              % (s.geometry(), before))
        s.wait_picture('after-fullscreen')

        # Zoom: Ctrl+plus twice is 120% (the window follows, the title says it), Ctrl+0 is 100%.
        s.focus(50, 50)
        s.xdo('key', '--delay', '100', 'ctrl+plus', 'ctrl+plus')
        deadline = time.monotonic() + 10
        while s.geometry()[2] != IMG_W * 12 // 10 and time.monotonic() < deadline:
            time.sleep(0.2)
        check(s.geometry()[2] == IMG_W * 12 // 10, 'Ctrl+plus twice: the window is %s, not %d wide (120%%)'
              % (s.geometry(), IMG_W * 12 // 10))
        s.wait_title(lambda t: '[120%]' in t, 'the zoom [120%]')
        s.xdo('key', 'ctrl+0')
        deadline = time.monotonic() + 10
        while s.geometry()[2] != IMG_W and time.monotonic() < deadline:
            time.sleep(0.2)
        check(s.geometry()[2] == IMG_W, 'Ctrl+0: the window is %s, not %d wide (100%%)' % (s.geometry(), IMG_W))
        s.wait_picture('zoom-100')
        log('zoom: 120%% gives a %d px wide window, Ctrl+0 the 1:1 picture again' % (IMG_W * 12 // 10))
        s.check_viewer()


def case_reconnect(lib):
    with Session(lib) as s:
        s.wait_title(lambda t: 'connecting' not in t, 'connected')
        s.wait_picture('before-restart')
        s.demo.stop()
        t = s.wait_title(lambda t: '(reconnecting)' in t, '"(reconnecting)"')
        log('server gone; title %r' % t)
        time.sleep(1.5)
        s.start_demo()
        t = s.wait_title(lambda t: 'connecting' not in t, 'connected again', timeout=30)
        log('server back; title %r' % t)
        s.wait_picture('after-restart')
        s.check_viewer()


def case_password(lib):
    with Session(lib, demo_args=['--password', 's3cret']) as s:
        deadline = time.monotonic() + 20
        dialog = None
        while dialog is None and time.monotonic() < deadline:
            s.check_viewer()
            code, out = s.xdo('search', '--onlyvisible', '--name', '^Authentication required$')
            dialog = out.split()[0] if code == 0 and out else None
            time.sleep(0.2)
        check(dialog is not None, 'no "Authentication required" dialog; viewer stderr %s'
              % s.viewer.stderr_text()[-1000:])
        time.sleep(0.5)
        s.xdo('windowfocus', '--sync', dialog)
        s.xdo('type', '--delay', '30', 's3cret')
        s.xdo('key', 'Return')
        s.wait_title(lambda t: 'connecting' not in t and 'disconnected' not in t, 'connected after the password')
        s.wait_picture('after-password')
        s.check_viewer()

        # A second viewer with a wrong password: the dialog comes back; Escape cancels, exit 3.
        other = harness.Proc('gtk-viewer-2', [viewer_path(), '--password', 'wrong',
                                              'spice://127.0.0.1:%d' % s.port], env=s.env)
        try:
            dialog = None
            deadline = time.monotonic() + 20
            while dialog is None and time.monotonic() < deadline and other.alive():
                code, out = s.xdo('search', '--onlyvisible', '--name', '^Authentication required$')
                dialog = out.split()[0] if code == 0 and out else None
                time.sleep(0.2)
            check(dialog is not None, 'a wrong --password gave no password dialog; stderr %s'
                  % other.stderr_text()[-1000:])
            time.sleep(0.5)
            s.xdo('windowfocus', '--sync', dialog)
            s.xdo('key', 'Escape')
            deadline = time.monotonic() + 15
            while other.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            err = other.stderr_text()
            check(not other.alive() and other.popen.returncode == 3 and 'password dialog cancelled' in err,
                  'cancelling the password dialog must exit 3 saying so; status %s, stderr %s'
                  % (other.popen.poll(), err[-1500:]))
            check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report: ' + err[-3000:])
            log('wrong password: dialog again; Escape: exit 3 (%s)' % err.strip().splitlines()[-1])
        finally:
            other.stop()


def case_servermode_qemu():
    import qemuvm
    home = tempfile.mkdtemp(prefix='gtk-home-')
    x = xsession.Xvfb(SCREEN_W, SCREEN_H)
    viewer = None
    try:
        env = x.env(home)
        env['ASAN_OPTIONS'] = 'detect_leaks=0'
        with qemuvm.Qemu('upstream', vga='qxl', port=free_port(), spice_opts='disable-ticketing=on') as qemu:
            viewer = harness.Proc('gtk-viewer', [viewer_path(), 'spice://127.0.0.1:%d' % qemu.port], env=env)

            def xdo(*args):
                r = subprocess.run(['xdotool'] + [str(a) for a in args], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=10)
                return r.stdout.decode(errors='replace').strip()

            deadline = time.monotonic() + 30
            win = None
            while time.monotonic() < deadline:
                check(viewer.alive(), 'spice-viewer exited: %s' % viewer.stderr_text()[-1500:])
                ids = xdo('search', '--name', ' - spice-viewer').split()
                if ids and 'connecting' not in xdo('getwindowname', ids[0]):
                    win = ids[0]
                    # QEMU's first primary surface (the BIOS's 720x400 text mode) fits the window.
                    vals = dict(l.split('=', 1) for l in xdo('getwindowgeometry', '--shell', win).splitlines() if '=' in l)
                    if int(vals['WIDTH']) == 720:
                        break
                time.sleep(0.3)
            check(win is not None, 'no connected viewer window on QEMU within 30 s')
            xdo('mousemove', '--window', win, 200, 200)
            xdo('windowfocus', '--sync', win)
            time.sleep(0.5)
            xdo('click', 1)
            deadline = time.monotonic() + 5
            while 'Press Ctrl+Alt to release' not in xdo('getwindowname', win) and time.monotonic() < deadline:
                time.sleep(0.1)
            check('Press Ctrl+Alt to release' in xdo('getwindowname', win),
                  'server mouse mode: a click did not grab (title %r)' % xdo('getwindowname', win))
            for _ in range(5):
                xdo('mousemove_relative', '--', 13, 7)
                time.sleep(0.1)
            time.sleep(0.3)
            loc = dict(p.split(':', 1) for p in xdo('getmouselocation').split() if ':' in p)
            vals = dict(l.split('=', 1) for l in xdo('getwindowgeometry', '--shell', win).splitlines() if '=' in l)
            # The display area is the window below the menu bar (25 px in this theme).
            cx = int(vals['X']) + int(vals['WIDTH']) // 2
            check(abs(int(loc['x']) - cx) <= 1, 'server mouse mode: the pointer is at %s, not warped back to '
                  'the centre x=%d of the display' % (loc, cx))
            xdo('key', 'ctrl+alt')
            deadline = time.monotonic() + 5
            while 'release' in xdo('getwindowname', win) and time.monotonic() < deadline:
                time.sleep(0.1)
            check('release' not in xdo('getwindowname', win), 'Ctrl+Alt did not release the grab')
            err = viewer.stderr_text()
            check(viewer.alive() and 'runtime error:' not in err and 'AddressSanitizer' not in err,
                  'spice-viewer died or reported: %s' % err[-2000:])
            log('server mode: click grabbed, pointer warped to x=%d, Ctrl+Alt released' % cx)
            qemu.check_healthy()
    finally:
        if viewer is not None:
            viewer.stop()
        x.stop()
        shutil.rmtree(home, ignore_errors=True)


def x_cursor_image(display):
    """(width, height, xhot, yhot, ARGB pixels) of the X server's current cursor (XFixes)."""
    import ctypes
    import ctypes.util

    class XFixesCursorImage(ctypes.Structure):
        _fields_ = [('x', ctypes.c_short), ('y', ctypes.c_short), ('width', ctypes.c_ushort),
                    ('height', ctypes.c_ushort), ('xhot', ctypes.c_ushort), ('yhot', ctypes.c_ushort),
                    ('cursor_serial', ctypes.c_ulong), ('pixels', ctypes.POINTER(ctypes.c_ulong)),
                    ('atom', ctypes.c_ulong), ('name', ctypes.c_char_p)]
    x11 = ctypes.CDLL(ctypes.util.find_library('X11'))
    xfixes = ctypes.CDLL(ctypes.util.find_library('Xfixes'))
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XFree.argtypes = [ctypes.c_void_p]
    xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(XFixesCursorImage)
    xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    check(dpy, 'cannot open X display %s' % display)
    try:
        img = xfixes.XFixesGetCursorImage(dpy)
        check(bool(img), 'XFixesGetCursorImage failed')
        c = img.contents
        pixels = [c.pixels[i] & 0xffffffff for i in range(c.width * c.height)]
        out = (c.width, c.height, c.xhot, c.yhot, pixels)
        x11.XFree(img)
        return out
    finally:
        x11.XCloseDisplay(dpy)


def case_cursor(lib):
    """The demo's desktop sets a 12-pixel-wide arrow (black, white, transparent; hot spot 0,0):
    in client mouse mode that shape is the X cursor over our display."""
    with Session(lib, image=False) as s:
        s.wait_title(lambda t: 'connecting' not in t, 'connected')
        time.sleep(1)
        s.focus(200, 200)
        deadline = time.monotonic() + 15
        while True:
            s.xdo('mousemove_relative', '--', 1, 1)
            w, h, xhot, yhot, px = x_cursor_image(s.x.display)
            colours = set(px)
            if w == 12 and (xhot, yhot) == (0, 0) and colours <= {0, 0xff000000, 0xffffffff} \
                    and 0xff000000 in colours and 0xffffffff in colours:
                break
            check(time.monotonic() < deadline, 'the X cursor over the display is %dx%d hot (%d,%d) with %d '
                  'colours, not the guest\'s 12-pixel black and white arrow' % (w, h, xhot, yhot, len(colours)))
            time.sleep(0.3)
        log('the X cursor is the guest\'s arrow: %dx%d, hot spot (0,0)' % (w, h))
        # Over the menu bar the cursor is the desktop's, so the shape above was really ours.
        s.xdo('mousemove', '--window', s.window, 60, 3)
        time.sleep(0.5)
        w2, h2, _, _, px2 = x_cursor_image(s.x.display)
        check((w2, h2, px2) != (w, h, px), 'over the menu bar the cursor is still the guest\'s arrow')
        log('over the menu bar: the desktop cursor (%dx%d)' % (w2, h2))
        s.check_viewer()


CASES = {'servermode-qemu': case_servermode_qemu}
for _lib in ('ours', 'upstream'):
    CASES['window-' + _lib] = (lambda lib: lambda: case_window(lib))(_lib)
    CASES['fullscreen-' + _lib] = (lambda lib: lambda: case_fullscreen(lib))(_lib)
    CASES['reconnect-' + _lib] = (lambda lib: lambda: case_reconnect(lib))(_lib)
    CASES['password-' + _lib] = (lambda lib: lambda: case_password(lib))(_lib)
    CASES['cursor-' + _lib] = (lambda lib: lambda: case_cursor(lib))(_lib)

if __name__ == '__main__':
    names = sys.argv[1:] or list(CASES)
    for name in names:
        check(name in CASES, 'unknown case %s (known: %s)' % (name, ', '.join(CASES)))
    harness.run_cases([(name, CASES[name]) for name in names])
