#!/usr/bin/python3
"""test-remote-viewer: upstream remote-viewer (virt-viewer) under Xvfb shows the demo's picture.

    test-remote-viewer.py --lib ours|upstream

Starts Xvfb on a free display (>= :60), the demo with --image, and `remote-viewer
spice://127.0.0.1:PORT`; takes root-window screenshots (ImageMagick import) until the picture
appears as an exact sub-rectangle (every pixel equal), or fails after the time limit.
Pictures are at least 640 wide: remote-viewer's window is never narrower than its header bar
(~430 px) and spice-gtk scales a smaller guest screen up to fill it (then no pixel is exact).
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import xsession  # noqa: E402
from harness import check  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
FIND_TIMEOUT = 45


def show_picture(width, height, extra_args=(), password=None, expect_shown=True, wait=FIND_TIMEOUT):
    path = harness.test_image(width, height)
    w, h, expected = harness.load_rgb(path)
    home = tempfile.mkdtemp(prefix='interop-rv-')
    shot = os.path.join(harness.work_dir(), 'remote-viewer-%s-%dx%d%s.png'
                        % (LIB, w, h, '' if expect_shown else '-denied'))
    try:
        with xsession.Xvfb() as x, \
                harness.Demo(LIB, ['--image', path] + list(extra_args)) as demo:
            uri = 'spice://127.0.0.1:%d' % demo.port
            argv = ['remote-viewer', uri]
            if password is not None:
                # remote-viewer reads the password from a .vv file (no command-line option).
                vv = os.path.join(home, 'conn.vv')
                with open(vv, 'w') as f:
                    f.write('[virt-viewer]\ntype=spice\nhost=127.0.0.1\nport=%d\npassword=%s\n'
                            % (demo.port, password))
                argv = ['remote-viewer', vv]
            viewer = harness.Proc('remote-viewer', argv, env=x.env(home))
            try:
                found = None
                deadline = time.monotonic() + wait
                while time.monotonic() < deadline and found is None:
                    time.sleep(1.0)
                    if not viewer.alive():
                        check(not expect_shown, 'remote-viewer exited (%s): %s'
                              % (viewer.popen.returncode, viewer.stderr_text()[-2000:]))
                        break
                    x.screenshot(shot)
                    sw, sh, screen = harness.load_rgb(shot)
                    found = xsession.find_subimage(screen, sw, sh, expected, w, h)
                if not expect_shown:
                    check(found is None, 'remote-viewer showed the picture at %s although it gave a '
                          'wrong password (screenshot: %s)' % (found, shot))
                    harness.log('picture not shown, as expected')
                    demo.check_healthy()
                    return
                check(found is not None, 'the %dx%d picture never appeared exactly in remote-viewer '
                      'within %d s (last screenshot: %s)' % (w, h, wait, shot))
                harness.log('picture found at %s in the screenshot' % (found,))
                demo.check_healthy()
            finally:
                viewer.stop()
                viewer.remove_logs()
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == '__main__':
    harness.run_cases([
        ('remote-viewer shows 640x480 exactly (%s library)' % LIB, lambda: show_picture(640, 480)),
        ('remote-viewer shows 1023x767 exactly (%s library)' % LIB, lambda: show_picture(1023, 767)),
        ('remote-viewer with a password (%s library)' % LIB,
         lambda: show_picture(640, 480, ['--password', 'rv-secret'], password='rv-secret')),
        # The negative control: the same check must see nothing when auth fails.
        ('remote-viewer with a wrong password shows nothing (%s library)' % LIB,
         lambda: show_picture(640, 480, ['--password', 'rv-secret'], password='wrong', expect_shown=False,
                              wait=8)),
    ])
