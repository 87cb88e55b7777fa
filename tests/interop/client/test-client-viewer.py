#!/usr/bin/python3
"""test-client-viewer: our spice-viewer (client/) against real servers, pixel for pixel.

    test-client-viewer.py CASE [CASE...]

Cases:
  qemu-off, qemu-quic, qemu-lz   Debian's QEMU 7.2 on UPSTREAM's libspice-server (-vga qxl, SeaBIOS
                                 text screen, -spice image-compression=off|quic|lz): the VM is
                                 stopped (QMP stop), then our screenshot must equal QMP screendump.
  qemu-glz                       QEMU's default (auto_glz), viewer connected from power-on (the
                                 BIOS's draws are GLZ-coded; a stopped VM's first picture is LZ):
                                 stopped once the BIOS text stands, the screenshot must equal
                                 QMP screendump (GLZ decoded through codecs/glz.h).
  qemu-prefer-lz, qemu-prefer-quic, qemu-prefer-lz4
                                 QEMU's default (auto_glz) with the viewer asking for LZ / QUIC / LZ4
                                 (--preferred-compression), connected from power-on: the VM is
                                 stopped once the BIOS text stands, the viewer then settles and
                                 its screenshot must equal QMP screendump (live updates decoded).
                                 lz4: QEMU 7.2's -spice refuses image-compression=lz4, so the
                                 viewer asks for it (with SPICE_DISPLAY_CAP_LZ4_COMPRESSION) and
                                 must have decoded LZ4 images.
  qemu-ours                      the same as qemu-off but QEMU runs on OUR library (default
                                 compression: our server sends what we can decode).
  draws-live                     tests/interop/draws/draws-vm --live on OUR library (every QXL draw
                                 type, sent while we are connected): screenshot == its canvas dump.
  demo-image                     tools/spice-demo-vm --image on OUR library: screenshot == image.
  wrong-password                 demo with --password: a wrong one gives exit 3 and "auth failed".
  refused                        nothing listening: exit 2 and "connect failed".
  silent                         a socket that accepts and never answers: exit 4 and "timeout".
Ports 6120-6139 (client-helper's range). On a difference both pictures stay in
<build>/tests/interop/work/<test>/client-*.png and the failure names them.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..'))
import qemuvm  # noqa: E402
import harness  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

# SPICE_CLIENT_TEST_PORTS=FIRST-LAST lets a helper run these cases in its own port range.
PORT_FIRST, PORT_LAST = (int(p) for p in os.environ.get('SPICE_CLIENT_TEST_PORTS', '6120-6139').split('-'))
_next = [PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)]
MIN_LIT_PIXELS = 2000


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


def work_dir():
    return harness.work_dir()


def run_viewer(uri, png, timeout=20, extra=()):
    """Runs spice-viewer --headless --screenshot; returns (exit code, stderr)."""
    if os.path.exists(png):
        os.unlink(png)
    argv = [viewer_path(), '--headless', '--screenshot', png, '--timeout', str(timeout)] + list(extra) + [uri]
    log('run: %s' % ' '.join(argv))
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 30)
    err = proc.stderr.decode(errors='replace')
    log('spice-viewer exit %d; stdout %r; stderr %r' % (proc.returncode, proc.stdout.decode(errors='replace'),
                                                        err[-2000:]))
    check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report from spice-viewer:\n' + err)
    return proc.returncode, err


def compare(expected, png, stem):
    check(os.path.exists(png), 'spice-viewer exited 0 but wrote no %s' % png)
    got = harness.load_rgb(png)
    problem = qemuvm.diff_pictures(expected, got)
    if problem is not None:
        out = work_dir()
        saved = qemuvm.save_png(os.path.join(out, stem + '-expected.png'), *expected)
        raise TestFailure('%s: our screenshot differs: %s; pictures %s %s'
                          % (stem, problem.replace('spice-gtk', 'ours').replace('QEMU', 'expected'), saved, png))
    log('%s: our screenshot equals the expected picture (%dx%d)' % (stem, expected[0], expected[1]))


def wait_bios_text(qemu, timeout=40):
    deadline = time.monotonic() + timeout
    last = -1
    stable_since = None
    while time.monotonic() < deadline:
        w, h, rgb = qemu.screendump('wait.ppm')
        lit = qemuvm.lit_pixels(rgb)
        if lit >= MIN_LIT_PIXELS and abs(lit - last) <= 64:
            if stable_since is None:
                stable_since = time.monotonic()
            elif time.monotonic() - stable_since >= 1.0:
                return
        else:
            stable_since = None
        last = lit
        time.sleep(0.25)
    raise TestFailure('QEMU showed no stable SeaBIOS text within %d s' % timeout)


def case_qemu_prefer(compression):
    with qemuvm.Qemu('upstream', vga='qxl', port=free_port()) as qemu:
        png = os.path.join(work_dir(), 'client-qemu-prefer-%s-ours.png' % compression)
        if os.path.exists(png):
            os.unlink(png)
        argv = [viewer_path(), '--headless', '--screenshot', png, '--timeout', '60'] + \
            (['--preferred-compression', compression] if compression != 'glz' else []) + \
            ['spice://127.0.0.1:%d' % qemu.port]
        log('run: %s' % ' '.join(argv))
        # G_MESSAGES_DEBUG: the viewer names each image type it decodes, so we know the server
        # really sent what we asked for.
        env = dict(os.environ, G_MESSAGES_DEBUG='all')
        viewer = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            wait_bios_text(qemu)
            qemu.qmp.execute('stop')
            expected = qemu.screendump('client-prefer.ppm')
            out, err = viewer.communicate(timeout=70)
        finally:
            if viewer.poll() is None:
                viewer.kill()
                viewer.wait()
        err = err.decode(errors='replace')
        log('spice-viewer exit %d; stderr %r' % (viewer.returncode, err[-2000:]))
        check('Sanitizer' not in err and 'runtime error:' not in err, 'sanitizer report from spice-viewer:\n' + err)
        check(viewer.returncode == 0, 'spice-viewer asking for %s failed (exit %d): %s'
              % (compression, viewer.returncode, err[-1500:]))
        if compression == 'lz4':
            # GLib writes debug messages to stdout.
            out = out.decode(errors='replace')
            check('decoded LZ4 image' in out, 'asked for LZ4, the viewer decoded no LZ4 image: %s'
                  % (out + err)[-1500:])
        compare(expected, png, 'client-qemu-prefer-%s' % compression)
        qemu.qmp.execute('cont')
        qemu.check_healthy()


def case_qemu(compression, lib='upstream'):
    opts = 'disable-ticketing=on' + (',image-compression=' + compression if compression else '')
    label = '%s-%s' % (compression or 'default', lib)
    with qemuvm.Qemu(lib, vga='qxl', port=free_port(), spice_opts=opts) as qemu:
        wait_bios_text(qemu)
        qemu.qmp.execute('stop')
        expected = qemu.screendump('client-%s.ppm' % label)
        check(qemuvm.lit_pixels(expected[2]) >= MIN_LIT_PIXELS, 'QEMU screendump shows no BIOS text')
        png = os.path.join(work_dir(), 'client-qemu-%s-ours.png' % label)
        code, err = run_viewer('spice://127.0.0.1:%d' % qemu.port, png)
        check(code == 0, 'spice-viewer failed (exit %d) on image-compression=%s (%s library): %s'
              % (code, compression, lib, err[-1500:]))
        compare(expected, png, 'client-qemu-%s' % label)
        qemu.qmp.execute('cont')
        qemu.check_healthy()


def make_image(path, width=333, height=211):
    rgb = bytearray()
    for y in range(height):
        for x in range(width):
            rgb += bytes(((x * 7 + y) & 255, (y * 5) & 255, ((x ^ y) * 3) & 255))
    qemuvm.save_png(path, width, height, bytes(rgb))
    return width, height, bytes(rgb)


def case_demo_image():
    img = os.path.join(work_dir(), 'client-demo-source.png')
    expected = make_image(img)
    with harness.Demo('ours', ['--image', img], port=free_port()) as demo:
        png = os.path.join(work_dir(), 'client-demo-ours.png')
        code, err = run_viewer('spice://127.0.0.1?port=%d' % demo.port, png)
        check(code == 0, 'spice-viewer failed on the demo (exit %d): %s' % (code, err[-1500:]))
        compare(expected, png, 'client-demo-image')
        demo.check_healthy()


def case_wrong_password():
    img = os.path.join(work_dir(), 'client-demo-source.png')
    make_image(img)
    with harness.Demo('ours', ['--image', img, '--password', 'right-one'], port=free_port()) as demo:
        png = os.path.join(work_dir(), 'client-auth.png')
        code, err = run_viewer('spice://127.0.0.1:%d?password=wrong' % demo.port, png)
        check(code == 3 and 'auth failed' in err and 'PERMISSION_DENIED' in err,
              'a wrong password must give exit 3 and "auth failed ... PERMISSION_DENIED"; got exit %d: %s'
              % (code, err[-1500:]))
        check(not os.path.exists(png), 'a failed login must not write a screenshot')
        code, err = run_viewer('spice://127.0.0.1:%d' % demo.port, png, extra=['--password', 'right-one'])
        check(code == 0, 'the right password (--password) must work; exit %d: %s' % (code, err[-1500:]))
        demo.check_healthy()


def case_refused():
    port = free_port()
    png = os.path.join(work_dir(), 'client-refused.png')
    code, err = run_viewer('spice://127.0.0.1:%d' % port, png, timeout=10)
    check(code == 2 and 'connect failed' in err and 'refused' in err,
          'connecting to a closed port must give exit 2 and "connect failed ... refused"; got exit %d: %s'
          % (code, err[-1500:]))


def case_draws_live():
    draws_vm = os.path.join(harness.BUILD_DIR, 'tests', 'interop', 'draws', 'draws-vm')
    check(os.access(draws_vm, os.X_OK), '%s is missing: build it first' % draws_vm)
    port = free_port()
    dump = os.path.join(work_dir(), 'client-draws-dump.ppm')
    if os.path.exists(dump):
        os.unlink(dump)
    env = dict(os.environ)
    env['LD_LIBRARY_PATH'] = harness.lib_dir('ours')
    proc = harness.Proc('client-draws-vm', [draws_vm, '--port', str(port), '--dump', dump, '--live'], env=env)
    try:
        check(harness.wait_port_open(port, 10), 'draws-vm did not listen on %d' % port)
        png = os.path.join(work_dir(), 'client-draws-ours.png')
        code, err = run_viewer('spice://127.0.0.1:%d' % port, png)
        check(code == 0, 'spice-viewer failed on the live draws (exit %d): %s' % (code, err[-1500:]))
        check(proc.wait_line(lambda l: 'dumped' in l, 20) is not None, 'draws-vm did not dump its frame')
        compare(qemuvm.read_ppm(dump), png, 'client-draws-live')
    finally:
        proc.stop()


def case_silent():
    import socket
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    port = free_port()
    # As every server does: a connection of an earlier test may still be in TIME_WAIT there.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', port))
    sock.listen(4)   # never accepted: the kernel completes the handshake, nobody answers
    try:
        png = os.path.join(work_dir(), 'client-silent.png')
        code, err = run_viewer('spice://127.0.0.1:%d' % port, png, timeout=25)
        check(code == 4 and 'timeout' in err and 'no answer' in err,
              'a server that never answers must give exit 4 and "timeout ... no answer"; got exit %d: %s'
              % (code, err[-1500:]))
    finally:
        sock.close()


CASES = {
    'qemu-off': lambda: case_qemu('off'),
    'qemu-quic': lambda: case_qemu('quic'),
    'qemu-lz': lambda: case_qemu('lz'),
    'qemu-glz': lambda: case_qemu_prefer('glz'),
    'qemu-prefer-lz': lambda: case_qemu_prefer('lz'),
    'qemu-prefer-quic': lambda: case_qemu_prefer('quic'),
    'qemu-prefer-lz4': lambda: case_qemu_prefer('lz4'),
    'qemu-ours': lambda: case_qemu(None, 'ours'),
    'draws-live': case_draws_live,
    'demo-image': case_demo_image,
    'wrong-password': case_wrong_password,
    'refused': case_refused,
    'silent': case_silent,
}

if __name__ == '__main__':
    names = sys.argv[1:] or list(CASES)
    for name in names:
        check(name in CASES, 'unknown case %s (known: %s)' % (name, ', '.join(CASES)))
    harness.run_cases([(name, CASES[name]) for name in names])
