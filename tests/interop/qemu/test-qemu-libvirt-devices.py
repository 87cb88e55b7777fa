#!/usr/bin/python3
"""test-qemu-libvirt-devices: QEMU with the device set libvirt gives a default SPICE guest.

    test-qemu-libvirt-devices.py --lib ours|upstream

What libvirt passes (protocol.md section 5): -spice ...,image-compression=auto_glz,
seamless-migration=on; qxl-vga with 64 MiB RAM/VRAM; a vdagent virtio port; spice audio on
intel-hda; two usbredir spicevmc char devices; a USB tablet. Every interface must be accepted,
spice-gtk must open main, display, inputs, cursor, playback, record and both usbredir channels,
query-spice must list them, the picture must equal screendump, and QEMU must quit with 0.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import qemuvm  # noqa: E402  (first: it puts tests/interop on the path too)
import harness  # noqa: E402
from harness import check, log  # noqa: E402
import spiceclient  # noqa: E402,F401  (asks gi for SpiceClientGLib 2.0 first)
from gi.repository import SpiceClientGLib as Spice  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)

LIBVIRT_DEVICES = [
    '-device', 'qxl-vga,max_outputs=1,ram_size=67108864,vram_size=67108864,vgamem_mb=16',
    '-device', 'qemu-xhci,id=xhci', '-device', 'usb-tablet,bus=xhci.0',
    '-chardev', 'spicevmc,id=ur0,name=usbredir', '-device', 'usb-redir,chardev=ur0,bus=xhci.0',
    '-chardev', 'spicevmc,id=ur1,name=usbredir', '-device', 'usb-redir,chardev=ur1,bus=xhci.0',
    '-device', 'virtio-serial',
    '-chardev', 'spicevmc,id=vdagent,name=vdagent',
    '-device', 'virtserialport,chardev=vdagent,name=com.redhat.spice.0',
    '-audiodev', 'spice,id=snd0', '-device', 'intel-hda', '-device', 'hda-duplex,audiodev=snd0',
]
# (SPICE_CHANNEL_*, id) QEMU must report: main, display, inputs, cursor, playback, record, 2 usbredir.
WANT_CHANNELS = [(1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (9, 0), (9, 1)]
WANT_OPENED = {'main': 1, 'display': 1, 'inputs': 1, 'cursor': 1, 'PlaybackChannel': 1,
               'RecordChannel': 1, 'UsbredirChannel': 2}


def opened_counts(client):
    counts = {}
    for kind, event in client.events:
        if event == Spice.ChannelEvent.OPENED:
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def run():
    with qemuvm.Qemu(LIB, vga='none', extra_args=LIBVIRT_DEVICES,
                     spice_opts='disable-ticketing=on,image-compression=auto_glz,'
                                'seamless-migration=on') as qemu:
        client = qemuvm.spice_client(qemu)
        try:
            client.connect()
            client.session.set_property('enable-audio', True)
            client.session.set_property('enable-usbredir', True)
            # usbredir channels need the session's USB manager (no device is ever shared here).
            Spice.UsbDeviceManager.get(client.session)
            client.wait_primary(quiet=0.4, settle_max=1.0)
            deadline = time.monotonic() + 15
            while opened_counts(client) != WANT_OPENED and time.monotonic() < deadline:
                client.iterate(0.1)
            counts = opened_counts(client)
            log('channels opened by spice-gtk: %s' % counts)
            check(counts == WANT_OPENED, 'spice-gtk opened %s, expected %s (events: %s)'
                  % (counts, WANT_OPENED, client.event_summary()))
            listed = sorted((c['channel-type'], c['channel-id'])
                            for c in qemu.qmp.execute('query-spice').get('channels', []))
            check(listed == WANT_CHANNELS, 'query-spice lists %s, expected %s' % (listed, WANT_CHANNELS))
            qemu.check_healthy()
            qemuvm.compare_stopped(qemu, client, 'libvirt-devices', 'qemu-libvirt-devices-%s' % LIB, 2000)
        finally:
            client.close()
        qemu.check_healthy()


if __name__ == '__main__':
    harness.run_cases([('libvirt device set on the %s library' % LIB, run)])
