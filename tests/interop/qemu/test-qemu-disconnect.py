#!/usr/bin/python3
"""test-qemu-disconnect: when the library ends a client's session, every channel of it closes.

    test-qemu-disconnect.py --lib ours|upstream

Two ways QEMU's user ends a session: QMP set_password with connected=disconnect
(spice_server_set_ticket(..., disconnect_if_connected=1): the admin changes the password to
throw the viewer out), and a second client connecting (one client at a time: the new one
replaces the old). Either way the old client's main, inputs, display and cursor channels must
all close within a few seconds, and QEMU's query-spice (fed by channel_event DISCONNECTED) must
list only what is left. A display channel left open keeps streaming the screen to a client
that was meant to be gone.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import qemuvm  # noqa: E402  (first: it puts tests/interop on the path too)
import harness  # noqa: E402
import spiceclient  # noqa: E402,F401  (asks gi for SpiceClientGLib 2.0 first)
from harness import check, log  # noqa: E402
from gi.repository import SpiceClientGLib as Spice  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
KINDS = ('main', 'display', 'inputs', 'cursor')
CLOSE_SECONDS = 5.0
ENDED = (Spice.ChannelEvent.CLOSED, Spice.ChannelEvent.ERROR_IO, Spice.ChannelEvent.ERROR_LINK,
         Spice.ChannelEvent.ERROR_CONNECT)


def still_open(client):
    """Kinds of @client's channels opened and not (yet) closed."""
    state = {}
    for kind, event in client.events:
        if event == Spice.ChannelEvent.OPENED:
            state[kind] = True
        elif event in ENDED:
            state[kind] = False
    return sorted(k for k, v in state.items() if v)


def connect(qemu, password):
    client = qemuvm.spice_client(qemu, password=password)
    client.connect()
    client.wait_primary(quiet=0.3, settle_max=0.5)
    for kind in KINDS:
        client.wait_channel_open(kind)
    return client


def query_channels(qemu):
    return sorted((c['channel-type'], c['connection-id'] & 0xffffffff)
                  for c in qemu.qmp.execute('query-spice').get('channels', []))


def case_set_password_disconnect():
    with qemuvm.Qemu(LIB, extra_args=['-object', 'secret,id=sec0,data=first'],
                     spice_opts='password-secret=sec0') as qemu:
        client = connect(qemu, 'first')
        try:
            qemu.qmp.execute('set_password', protocol='spice', password='second', connected='disconnect')
            deadline = time.monotonic() + CLOSE_SECONDS
            while (still_open(client) or query_channels(qemu)) and time.monotonic() < deadline:
                client.iterate(0.1)
            left, listed = still_open(client), query_channels(qemu)
            log('after set_password connected=disconnect: spice-gtk still open %s, query-spice %s'
                % (left, listed))
            check(not left, 'set_password connected=disconnect left the client\'s %s channel(s) open for '
                  '%.0f s (events: %s)' % (', '.join(left), CLOSE_SECONDS, client.event_summary()))
            check(not listed, 'query-spice still lists %s after the client was disconnected' % listed)
        finally:
            client.close()
        qemu.check_healthy()


def case_new_client_replaces_old():
    with qemuvm.Qemu(LIB) as qemu:
        old = connect(qemu, None)
        try:
            new = qemuvm.spice_client(qemu)
            # Both clients live in this thread's GLib context: iterating one runs both.
            new.connect()
            new.wait_primary(quiet=0.3, settle_max=0.5)
            for kind in KINDS:
                new.wait_channel_open(kind)
            deadline = time.monotonic() + CLOSE_SECONDS
            while still_open(old) and time.monotonic() < deadline:
                new.iterate(0.1)
            left = still_open(old)
            listed = query_channels(qemu)
            log('after a second client: old client still open %s; query-spice %s' % (left, listed))
            check(not left, 'the replaced client\'s %s channel(s) stayed open for %.0f s (events: %s)'
                  % (', '.join(left), CLOSE_SECONDS, old.event_summary()))
            ids = {conn for _, conn in listed}
            check(len(listed) == len(KINDS) and len(ids) == 1,
                  'query-spice lists %s: expected the 4 channels of one session' % listed)
            new.close()
        finally:
            old.close()
        qemu.check_healthy()


if __name__ == '__main__':
    harness.run_cases([
        ('set_password connected=disconnect closes every channel (%s library)' % LIB,
         case_set_password_disconnect),
        ('a new client replaces every channel of the old one (%s library)' % LIB,
         case_new_client_replaces_old),
    ])
