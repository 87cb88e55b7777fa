"""xsession: an Xvfb server on a free display number (>= :60) and root-window screenshots.

Several X servers may share the machine: the display number is the first one >= 60 that no other
test process claimed (harness.claim) and that has neither a socket nor a lock file; Xvfb's own
lock decides races with other users of the machine (we retry on the next number).
"""
import os
import subprocess
import time

import harness

X_FIRST = 60
X_LAST = 99


def display_taken(num):
    return os.path.exists('/tmp/.X11-unix/X%d' % num) or os.path.exists('/tmp/.X%d-lock' % num)


class Xvfb:
    def __init__(self, width=1280, height=1024):
        self.proc = None
        for num in range(X_FIRST, X_LAST + 1):
            # The claim first: an X server another test is starting has no lock file yet.
            if not harness.claim('display', num) or display_taken(num):
                continue
            proc = harness.Proc('xvfb', ['Xvfb', ':%d' % num, '-screen', '0', '%dx%dx24' % (width, height),
                                         '-nolisten', 'tcp', '-noreset'], capture_stdout=False)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and proc.alive():
                if os.path.exists('/tmp/.X11-unix/X%d' % num):
                    break
                time.sleep(0.05)
            if proc.alive() and os.path.exists('/tmp/.X11-unix/X%d' % num):
                self.proc = proc
                self.display = ':%d' % num
                harness.log('Xvfb on %s (pid %d)' % (self.display, proc.pid))
                return
            proc.stop()
            proc.remove_logs()
        raise harness.TestFailure('could not start Xvfb on any display :%d-:%d' % (X_FIRST, X_LAST))

    def env(self, home):
        env = dict(os.environ)
        env.update({'DISPLAY': self.display, 'GDK_BACKEND': 'x11', 'NO_AT_BRIDGE': '1',
                    'HOME': home, 'XDG_CONFIG_HOME': os.path.join(home, 'config'),
                    'XDG_CACHE_HOME': os.path.join(home, 'cache'),
                    'XDG_RUNTIME_DIR': home, 'GSETTINGS_BACKEND': 'memory'})
        env.pop('WAYLAND_DISPLAY', None)
        env.pop('DBUS_SESSION_BUS_ADDRESS', None)
        return env

    def screenshot(self, path):
        """Writes the root window to @path (PNG) with ImageMagick's import."""
        result = subprocess.run(['import', '-display', self.display, '-window', 'root', path],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        if result.returncode != 0:
            raise harness.TestFailure('import -window root failed: %s' % result.stderr.decode(errors='replace'))
        return path

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc.remove_logs()
            self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def find_subimage(hay, hay_w, hay_h, needle, w, h):
    """(x, y) where the packed-RGB picture @needle (w x h) appears exactly in @hay, or None."""
    if w > hay_w or h > hay_h:
        return None
    row_bytes = w * 3
    first = needle[:row_bytes]
    hay_row = hay_w * 3
    for y in range(hay_h - h + 1):
        row = hay[y * hay_row:(y + 1) * hay_row]
        at = row.find(first)
        while at != -1:
            if at % 3 == 0 and at + row_bytes <= hay_row:
                x = at // 3
                if all(hay[(y + r) * hay_row + x * 3:(y + r) * hay_row + x * 3 + row_bytes]
                       == needle[r * row_bytes:(r + 1) * row_bytes] for r in range(1, h)):
                    return x, y
            at = row.find(first, at + 1)
    return None
