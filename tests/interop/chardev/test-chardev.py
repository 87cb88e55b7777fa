#!/usr/bin/python3
"""test-chardev: Debian's QEMU 7.2 char devices (usbredir, vdagent) through the chosen library.

    test-chardev.py --lib ours|upstream

usbredir: QEMU with a usb-redir device on a spicevmc chardev. A raw client sees channel (9, 0) in
CHANNELS_LIST, links it, and receives QEMU's usbredir hello packet ("qemu usb-redir guest 7.2...")
in SPICEVMC_DATA messages; after a reconnect QEMU's usb-redir restarts and says hello again (the
library tells the chardev state 0, then 1).
ports: spiceport chardevs become a port channel (10) and, for org.spice-space.webdav.0, a webdav
channel (11); each starts with PORT_INIT naming the port, closed while no guest opened it.
vdagent: QEMU with the com.redhat.spice.0 virtio-serial port starts on the library and spice-gtk
links. No guest runs, so the port is never opened and QEMU never adds the vdagent instance:
MAIN_INIT says agent_connected 0 and no agent traffic is possible here.

Ports 6020-6039 (chardev-helper's range), so not parallel with itself.
"""
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'qemu'))
sys.path.insert(0, os.path.join(HERE, '..'))
import qemuvm  # noqa: E402
import harness  # noqa: E402
import rawlink  # noqa: E402
from harness import TestFailure, check, log  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
PORT_FIRST, PORT_LAST = 6020, 6039

CHANNEL_USBREDIR = 9
MSGC_MAIN_ATTACH_CHANNELS = 104
MSG_MAIN_CHANNELS_LIST = 104
MSG_SPICEVMC_DATA = 101
USBREDIR_HELLO = 0                 # usb_redir_hello, the first packet of each side
USBREDIR_HEADER = struct.Struct('<III')   # type, length, id (32-bit ids until hello is done)
USBREDIR_VERSION_LEN = 64

USBREDIR_ARGS = ['-device', 'qemu-xhci,id=xhci',
                 '-chardev', 'spicevmc,id=ur0,name=usbredir',
                 '-device', 'usb-redir,chardev=ur0,bus=xhci.0']
PORT_NAME = 'org.spice-space.test.0'
PORT_ARGS = ['-device', 'virtio-serial',
             '-chardev', 'spiceport,id=p0,name=%s' % PORT_NAME,
             '-device', 'virtserialport,chardev=p0,name=%s' % PORT_NAME,
             '-chardev', 'spiceport,id=dav,name=org.spice-space.webdav.0',
             '-device', 'virtserialport,chardev=dav,name=org.spice-space.webdav.0']
CHANNEL_PORT, CHANNEL_WEBDAV = 10, 11
MSG_PORT_INIT = 201
VDAGENT_ARGS = ['-device', 'virtio-serial',
                '-chardev', 'spicevmc,id=vdagent,name=vdagent',
                '-device', 'virtserialport,chardev=vdagent,name=com.redhat.spice.0']


def free_port():
    start = PORT_FIRST + os.getpid() % (PORT_LAST - PORT_FIRST + 1)
    for i in range(PORT_LAST - PORT_FIRST + 1):
        port = PORT_FIRST + (start - PORT_FIRST + i) % (PORT_LAST - PORT_FIRST + 1)
        if harness.port_is_free(port):
            return port
    raise TestFailure('no free port in %d-%d' % (PORT_FIRST, PORT_LAST))


def channels_list(main):
    main.send_message(MSGC_MAIN_ATTACH_CHANNELS)
    body = main.read_until(MSG_MAIN_CHANNELS_LIST, 10)
    count, = struct.unpack_from('<I', body, 0)
    check(len(body) == 4 + 2 * count, 'CHANNELS_LIST of %d bytes for %d channels' % (len(body), count))
    return [(body[4 + 2 * i], body[5 + 2 * i]) for i in range(count)]


def read_usbredir_hello(link, timeout=15.0):
    """Collects SPICEVMC_DATA until a whole usbredir hello packet is there; returns its version."""
    data = b''
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TestFailure('no usbredir hello within %.0f s (got %d bytes: %r)'
                              % (timeout, len(data), data[:80]))
        try:
            mtype, body = link.read_message(left)
        except rawlink.Timeout:
            continue
        check(mtype == MSG_SPICEVMC_DATA, 'usbredir channel sent message type %d, expected DATA' % mtype)
        data += body
        if len(data) < USBREDIR_HEADER.size:
            continue
        ptype, length, _ = USBREDIR_HEADER.unpack_from(data, 0)
        check(ptype == USBREDIR_HELLO, 'first usbredir packet has type %d, expected hello (0)' % ptype)
        check(USBREDIR_VERSION_LEN <= length <= 4096, 'usbredir hello of %d bytes' % length)
        if len(data) >= USBREDIR_HEADER.size + length:
            version = data[USBREDIR_HEADER.size:USBREDIR_HEADER.size + USBREDIR_VERSION_LEN]
            return version.split(b'\0', 1)[0].decode('ascii', 'replace')


def case_usbredir_hello():
    with qemuvm.Qemu(LIB, extra_args=USBREDIR_ARGS, port=free_port()) as qemu:
        qemu.check_healthy()
        main, session = rawlink.main_session('127.0.0.1', qemu.port)
        with main:
            channels = channels_list(main)
            log('CHANNELS_LIST: %s' % channels)
            check((CHANNEL_USBREDIR, 0) in channels, 'no usbredir channel (9, 0) in %s' % channels)
            for attempt in ('first link', 'reconnect'):
                link, outcome = rawlink.secondary_link('127.0.0.1', qemu.port, '', session,
                                                       CHANNEL_USBREDIR, 0)
                with link:
                    check(outcome == 'result 0', 'usbredir link: %s' % outcome)
                    version = read_usbredir_hello(link)
                    log('%s: usbredir hello from "%s"' % (attempt, version))
                    check(version.startswith('qemu usb-redir guest 7.2'),
                          'usbredir hello version %r, expected "qemu usb-redir guest 7.2..."' % version)
                time.sleep(0.5)
                qemu.check_healthy()


def read_port_init(link):
    """PORT_INIT: name_size u32, offset of the name u32, opened u8, then the NUL-terminated name."""
    mtype, body = link.read_message(10)
    check(mtype == MSG_PORT_INIT, 'port channel sent message %d first, expected PORT_INIT' % mtype)
    check(len(body) >= 9, 'PORT_INIT of %d bytes' % len(body))
    size, offset, opened = struct.unpack_from('<IIB', body, 0)
    check(size >= 1 and offset >= 9 and offset + size <= len(body),
          'PORT_INIT name of %d bytes at %d in a %d-byte body' % (size, offset, len(body)))
    name = body[offset:offset + size]
    check(name.endswith(b'\0'), 'PORT_INIT name %r is not NUL-terminated' % name)
    return name[:-1].decode('utf-8', 'replace'), opened


def case_ports():
    """spiceport chardevs: a port channel and a webdav channel, each with PORT_INIT."""
    with qemuvm.Qemu(LIB, extra_args=PORT_ARGS, port=free_port()) as qemu:
        qemu.check_healthy()
        main, session = rawlink.main_session('127.0.0.1', qemu.port)
        with main:
            channels = channels_list(main)
            log('CHANNELS_LIST: %s' % channels)
            check((CHANNEL_PORT, 0) in channels, 'no port channel (10, 0) in %s' % channels)
            check((CHANNEL_WEBDAV, 0) in channels, 'no webdav channel (11, 0) in %s' % channels)
            for ctype, want in ((CHANNEL_PORT, PORT_NAME), (CHANNEL_WEBDAV, 'org.spice-space.webdav.0')):
                link, outcome = rawlink.secondary_link('127.0.0.1', qemu.port, '', session, ctype, 0)
                with link:
                    check(outcome == 'result 0', 'channel %d link: %s' % (ctype, outcome))
                    name, opened = read_port_init(link)
                    log('channel %d: PORT_INIT name "%s", opened %d' % (ctype, name, opened))
                    check(name == want, 'PORT_INIT name %r, expected %r' % (name, want))
                    # No guest opened the virtio-serial port.
                    check(opened == 0, 'PORT_INIT says opened %d without a guest' % opened)
        qemu.check_healthy()


def case_vdagent_port():
    with qemuvm.Qemu(LIB, extra_args=VDAGENT_ARGS, port=free_port()) as qemu:
        qemu.check_healthy()
        # No guest opened com.redhat.spice.0, so QEMU has not added the vdagent instance.
        link = rawlink.RawLink('127.0.0.1', qemu.port)
        with link:
            reply, result = link.link('')
            check(result == rawlink.ERR_OK, 'main link result %r' % result)
            init = link.read_until(rawlink.MSG_MAIN_INIT, 10)
            agent_connected, agent_tokens = struct.unpack_from('<II', init, 16)
            log('MAIN_INIT: agent_connected %d, agent_tokens %d' % (agent_connected, agent_tokens))
            check(agent_connected == 0, 'agent_connected %d without a guest agent' % agent_connected)
            check(agent_tokens == 10, 'MAIN_INIT grants %d agent tokens, expected 10' % agent_tokens)
        import spiceclient
        client = spiceclient.SpiceTestClient('127.0.0.1', qemu.port, timeout=20)
        with client:
            client.wait_main_open()
            client.wait_channel_open('display')
            client.iterate(1.0)
            main_channel = client.channels['main']
            check(main_channel.get_property('agent-connected') is False,
                  'spice-gtk thinks an agent is connected, but no guest runs')
            check(not client.failure(), 'spice-gtk: %s' % client.failure())
        qemu.check_healthy()


if __name__ == '__main__':
    harness.run_cases([
        ('usbredir-hello-%s' % LIB, case_usbredir_hello),
        ('ports-%s' % LIB, case_ports),
        ('vdagent-port-%s' % LIB, case_vdagent_port),
    ])
