#!/usr/bin/python3
"""test-qemu-loads-library: Debian's unchanged QEMU 7.2 runs on the chosen libspice-server.so.1.

    test-qemu-loads-library.py --lib ours|upstream

QEMU with -spice and -vga qxl (and -vga std) must start, keep running, map exactly the chosen
library (/proc/PID/maps), print nothing about a missing symbol or disabled spice, answer a SPICE
link with a REDQ reply and MAIN_INIT, report the client in QMP query-spice (which reads the
SpiceChannelEventInfo our library hands to QEMU's channel_event), and exit 0 on QMP quit.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import qemuvm  # noqa: E402  (first: it puts tests/interop on the path too)
import harness  # noqa: E402
import rawlink  # noqa: E402
from harness import check, log  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)


def check_mapped_library(qemu):
    mapped = qemu.mapped_spice_libs()
    log('libspice-server mapped into QEMU: %s' % mapped)
    check(mapped, 'QEMU (pid %d) maps no libspice-server at all' % qemu.pid)
    want_dir = os.path.realpath(qemuvm.lib_dir(LIB))
    wrong = [p for p in mapped if os.path.dirname(os.path.realpath(p)) != want_dir]
    check(not wrong, 'QEMU maps a libspice-server outside %s: %s (LD_LIBRARY_PATH not honoured?)'
          % (want_dir, wrong))


def check_link(qemu):
    link = rawlink.RawLink('127.0.0.1', qemu.port, timeout=10)
    with link:
        reply, result = link.link('')
        check(reply.error == rawlink.ERR_OK, 'link reply error %s' % rawlink.LINK_ERR.get(reply.error, reply.error))
        check(result == rawlink.ERR_OK, 'link result %s' % rawlink.LINK_ERR.get(result, result))
        body = link.read_until(rawlink.MSG_MAIN_INIT, 10)
        check(len(body) >= 4, 'MAIN_INIT of %d bytes' % len(body))
        session_id = int.from_bytes(body[:4], 'little')
        log('link ok: REDQ reply, result OK, MAIN_INIT session %d' % session_id)
        # QEMU learns of the channel through SpiceCoreInterface.channel_event (INITIALIZED with an
        # ADDR_EXT SpiceChannelEventInfo); query-spice lists what it recorded.
        deadline = time.monotonic() + 5
        while True:
            info = qemu.qmp.execute('query-spice')
            channels = info.get('channels', [])
            if channels or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        check(info.get('enabled') is True and info.get('port') == qemu.port,
              'query-spice: %r (expected enabled on port %d)' % (info, qemu.port))
        mains = [c for c in channels if c.get('channel-type') == rawlink.CHANNEL_MAIN]
        check(len(mains) == 1, 'query-spice lists %d main channels while one is linked: %r' % (len(mains), channels))
        main = mains[0]
        check(main.get('host') == '127.0.0.1' and main.get('family') == 'ipv4',
              'query-spice main channel peer %r, expected ipv4 127.0.0.1' % main)
        check(main.get('port') == str(link.sock.getsockname()[1]),
              'query-spice main channel peer port %r, our socket is %d'
              % (main.get('port'), link.sock.getsockname()[1]))
        check(main.get('connection-id') & 0xffffffff == session_id,
              'query-spice connection-id %r, MAIN_INIT session %d' % (main.get('connection-id'), session_id))
    deadline = time.monotonic() + 5
    while qemu.qmp.execute('query-spice').get('channels') and time.monotonic() < deadline:
        time.sleep(0.1)
    left = qemu.qmp.execute('query-spice').get('channels')
    check(not left, 'query-spice still lists channels 5 s after the client closed: %r' % left)


def run(vga):
    with qemuvm.Qemu(LIB, vga=vga) as qemu:
        check_mapped_library(qemu)
        qemu.check_healthy()
        check_link(qemu)
        time.sleep(2)   # keeps running with the BIOS drawing
        qemu.check_healthy()
        check(qemu.qmp.execute('query-status').get('status') == 'running', 'the VM is not running')


if __name__ == '__main__':
    harness.run_cases([('QEMU -vga %s on the %s library' % (vga, LIB), (lambda vga=vga: run(vga)))
                       for vga in ('qxl', 'std')])
