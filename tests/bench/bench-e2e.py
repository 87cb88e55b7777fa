#!/usr/bin/python3
"""bench-e2e: display-channel bytes and server CPU time, our library against Debian's upstream one.

For every image-compression mode, library and image it starts tools/spice-demo-vm --image IMAGE
--image-compression MODE --image-redraw INTERVAL (ours through LD_LIBRARY_PATH=BUILD/server,
upstream's through /usr/lib/x86_64-linux-gnu), links main + display as a raw client (the one
tests/interop/capture/record.py uses: answers SET_ACK/PING/ack window, sends DISPLAY_INIT with a
pixmap cache and a GLZ dictionary, advertises no LZ4 or preferred-compression caps, so the mode
alone decides), and counts every byte of every display-channel message (mini header included)
until it has seen 1 + REDRAWS DRAW_COPYs: the surface copy sent on connect and the demo's
redraws, which go through the compression path like a guest's draws.

Server CPU time is the demo process's (all its threads, so the library's worker thread too:
each live thread's run time in ns from /proc/PID/task/TID/schedstat, exited ones' ticks from
/proc/PID/stat), read once the demo listens and again after the last DRAW_COPY. The demo's
own share (loading the image, copying it into guest RAM, the timers) is the same for both
libraries, so the CPU ratio understates the library's difference.

Usage (from the source root, after `ninja -C build-bench`, a build without sanitizers):
  tests/bench/bench-e2e.py [--build build-bench] [--images DIR_OR_FILES ...]
                           [--modes off,lz,quic,glz,auto_glz] [--repeat N] [--redraws N]
Without --images it generates a text-like, a photo-like and a desktop-like 480x360 PNG.
Ratios are ours / upstream: below 1.00 means we send fewer bytes or spend less CPU.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'interop'))
sys.path.insert(0, os.path.join(HERE, '..', 'interop', 'capture'))
import rawlink  # noqa: E402
import record  # noqa: E402

UPSTREAM_LIB_DIR = '/usr/lib/x86_64-linux-gnu'
DEFAULT_MODES = 'off,lz,quic,glz,auto_glz'
CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


def stat_ticks(path):
    """utime + stime, in clock ticks, from a stat(5) file (a process's or one thread's)."""
    with open(path) as f:
        # The command name is in parentheses and may hold spaces: split after the last ')'.
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) + int(fields[12])   # fields 14 and 15 of stat(5)


def cpu_seconds(pid):
    """CPU time of the whole process (every thread, live or exited), in seconds.

    stat(5) counts in clock ticks (10 ms), too coarse for a 100 ms measurement; each live
    thread's schedstat has its run time in nanoseconds. Threads that already exited are only
    in the process's stat: their ticks are the process's minus the live threads'.
    """
    live_ns = 0
    live_ticks = 0
    task_dir = '/proc/%d/task' % pid
    for tid in os.listdir(task_dir):
        try:
            with open(os.path.join(task_dir, tid, 'schedstat')) as f:
                live_ns += int(f.read().split()[0])
            live_ticks += stat_ticks(os.path.join(task_dir, tid, 'stat'))
        except (FileNotFoundError, ProcessLookupError):
            pass   # the thread exited meanwhile: the process's stat has it
    exited_ticks = max(0, stat_ticks('/proc/%d/stat' % pid) - live_ticks)
    return live_ns / 1e9 + exited_ticks / CLOCK_TICKS


def default_images(out_dir, width=480, height=360):
    paths = []
    for name, make in (('text', record.picture_text), ('photo', record.picture_photo),
                       ('desktop', record.picture_desktop)):
        path = os.path.join(out_dir, '%s-%dx%d.png' % (name, width, height))
        record.write_png(path, make(width, height, random.Random(name)))
        paths.append(path)
    return paths


def list_images(specs):
    paths = []
    for spec in specs:
        if os.path.isdir(spec):
            paths += sorted(os.path.join(spec, n) for n in os.listdir(spec)
                            if n.lower().endswith(('.png', '.jpg', '.jpeg')))
        else:
            paths.append(spec)
    return paths


def connect(port, proc, wait=10.0):
    deadline = time.monotonic() + wait
    while True:
        try:
            return rawlink.main_session('127.0.0.1', port)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError('the demo on port %d never accepted a link' % port)
            time.sleep(0.05)


def measure(demo, lib_dir, image, mode, port, redraws, interval, limit_s=60.0):
    """(display bytes, server CPU seconds, {image type name: DRAW_COPYs}) of one session."""
    env = dict(os.environ, LD_LIBRARY_PATH=lib_dir)
    proc = subprocess.Popen([demo, '--noauth', '--port', str(port), '--image', image,
                             '--image-compression', mode, '--image-redraw', str(interval)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()
    try:
        main, session_id = connect(port, proc)
        cpu_before = cpu_seconds(proc.pid)
        main.send_message(rawlink.MSGC_MAIN_ATTACH_CHANNELS)
        threading.Thread(target=record.keep_main_alive, args=(main, stop), daemon=True).start()
        display, result = rawlink.secondary_link('127.0.0.1', port, '', session_id,
                                                 rawlink.CHANNEL_DISPLAY)
        if result != 'result 0':
            raise RuntimeError('display link: %s' % result)
        display.send_message(record.MSGC_DISPLAY_INIT,
                             record.struct.pack('<BqBi', 1, 20 * 1024 * 1024, 1, 4 * 1024 * 1024))
        chan = record.Channel(display)
        total, draws, types = 0, 0, {}
        end = time.monotonic() + limit_s
        while draws < 1 + redraws:
            if time.monotonic() > end:
                raise RuntimeError('%s %s: %d of %d DRAW_COPYs in %.0f s'
                                   % (lib_dir, mode, draws, 1 + redraws, limit_s))
            mtype, body = chan.read(max(0.1, end - time.monotonic()))
            total += rawlink.MINI_HEADER.size + len(body)
            if mtype == record.MSG_DISPLAY_DRAW_COPY:
                draws += 1
                src_ptr = record.parse_draw_copy(body)[2]
                itype = record.DESCRIPTOR.unpack_from(body, src_ptr)[1]
                name = record.IMAGE_TYPES.get(itype, 'type%d' % itype)
                types[name] = types.get(name, 0) + 1
        cpu = cpu_seconds(proc.pid) - cpu_before
        display.close()
        main.close()
        return total, cpu, types
    finally:
        stop.set()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def ratio(a, b):
    return '%.2f' % (a / b) if b else '-'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default='build-bench', help='build dir (default build-bench)')
    ap.add_argument('--images', nargs='*', help='PNG/JPEG files or directories of them')
    ap.add_argument('--modes', default=DEFAULT_MODES, help='default ' + DEFAULT_MODES)
    ap.add_argument('--repeat', type=int, default=1, help='sessions per cell (summed)')
    ap.add_argument('--redraws', type=int, default=20, help='redraws per session (default 20)')
    ap.add_argument('--interval', type=float, default=0.1, help='seconds between redraws (default 0.1)')
    ap.add_argument('--port', type=int, default=6220)
    ap.add_argument('--per-image', action='store_true', help='a row per image and mode')
    ap.add_argument('--types', action='store_true',
                    help='after each per-image row, the DRAW_COPY image types each library sent')
    args = ap.parse_args()

    demo = os.path.join(args.build, 'tools', 'spice-demo-vm')
    ours = os.path.abspath(os.path.join(args.build, 'server'))
    if not os.access(demo, os.X_OK):
        sys.exit('bench-e2e: %s missing: run ninja -C %s first' % (demo, args.build))
    tmp = tempfile.mkdtemp(prefix='spice-bench-')
    try:
        images = list_images(args.images) if args.images else default_images(tmp)
        if not images:
            sys.exit('bench-e2e: no PNG or JPEG in %s' % ' '.join(args.images))
        print('images: %s; %d redraws every %.2f s; repeat %d; ratios are ours / upstream'
              % (', '.join(os.path.basename(i) for i in images), args.redraws, args.interval,
                 args.repeat))
        head = '%-22s | %12s | %12s | %5s | %8s | %8s | %5s' % (
            'mode', 'bytes ours', 'bytes upstr', 'ratio', 'cpu ours', 'cpu upstr', 'ratio')
        print(head)
        print('-' * len(head))
        port = args.port
        for mode in args.modes.split(','):
            sums = {'ours': [0, 0.0], 'upstream': [0, 0.0]}
            for image in images:
                cell = {'ours': [0, 0.0], 'upstream': [0, 0.0]}
                seen = {'ours': {}, 'upstream': {}}
                for _ in range(args.repeat):
                    for lib, lib_dir in (('ours', ours), ('upstream', UPSTREAM_LIB_DIR)):
                        nbytes, cpu, types = measure(demo, lib_dir, image, mode, port,
                                                 args.redraws, args.interval)
                        # A fresh port per session: no wait for the last one's TIME_WAIT.
                        port = args.port + (port + 1 - args.port) % 20
                        cell[lib][0] += nbytes
                        cell[lib][1] += cpu
                        for name, n in types.items():
                            seen[lib][name] = seen[lib].get(name, 0) + n
                for lib in cell:
                    sums[lib][0] += cell[lib][0]
                    sums[lib][1] += cell[lib][1]
                if args.per_image:
                    print_row('%s %s' % (mode, os.path.basename(image)), cell)
                if args.per_image and args.types:
                    for lib in seen:
                        print('%24s%s: %s' % ('', lib, ', '.join('%s x%d' % kv for kv in
                                                               sorted(seen[lib].items()))))
            print_row(mode, sums)
            sys.stdout.flush()
    finally:
        shutil.rmtree(tmp)


def print_row(label, cell):
    (bo, co), (bu, cu) = cell['ours'], cell['upstream']
    print('%-22s | %12d | %12d | %5s | %7.2fs | %7.2fs | %5s'
          % (label[:22], bo, bu, ratio(bo, bu), co, cu, ratio(co, cu)))


if __name__ == '__main__':
    main()
