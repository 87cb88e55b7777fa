#!/usr/bin/python3
"""test-qemu-password: QEMU's password options and QMP password commands reach the library.

    test-qemu-password.py --lib ours|upstream

-spice password-secret=... (spice_server_set_ticket at start), QMP set_password and
expire_password (set_ticket with a lifetime) must decide what spice-gtk's link gets: the right
password opens the main channel, a wrong, missing or expired one is an auth error.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
import qemuvm  # noqa: E402  (first: it puts tests/interop on the path too)
import harness  # noqa: E402
from harness import check, log  # noqa: E402
from spiceclient import ClientError, ClientTimeout, SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)


def link(qemu, password):
    """'ok', 'denied' or 'error ...' for a spice-gtk main channel link with @password."""
    client = SpiceTestClient(port=qemu.port, password=password, timeout=15)
    try:
        client.connect()
        client.wait_main_open()
        return 'ok'
    except (ClientError, ClientTimeout) as e:
        return 'denied' if client.auth_failed() else 'error %s' % e
    finally:
        client.close()


def expect(qemu, password, want, when):
    got = link(qemu, password)
    log('%s: password %r -> %s' % (when, password, got))
    check(got == want, '%s: a link with password %r gave %s, expected %s' % (when, password, got, want))


def run():
    with qemuvm.Qemu(LIB, extra_args=['-object', 'secret,id=sec0,data=s3cret'],
                     spice_opts='password-secret=sec0') as qemu:
        check(qemu.qmp.execute('query-spice').get('auth') == 'spice', 'query-spice auth is not "spice"')
        expect(qemu, 's3cret', 'ok', 'password-secret')
        expect(qemu, 'wrong', 'denied', 'password-secret')
        expect(qemu, None, 'denied', 'password-secret')
        qemu.qmp.execute('set_password', protocol='spice', password='new1')
        expect(qemu, 'new1', 'ok', 'set_password')
        expect(qemu, 's3cret', 'denied', 'set_password')
        qemu.qmp.execute('expire_password', protocol='spice', time='now')
        expect(qemu, 'new1', 'denied', 'expire_password now')
        qemu.qmp.execute('set_password', protocol='spice', password='new2')
        qemu.qmp.execute('expire_password', protocol='spice', time='+3')
        expect(qemu, 'new2', 'ok', 'expire_password +3 (before)')
        time.sleep(4)
        expect(qemu, 'new2', 'denied', 'expire_password +3 (after)')
        qemu.qmp.execute('expire_password', protocol='spice', time='never')
        expect(qemu, 'new2', 'ok', 'expire_password never')
        qemu.check_healthy()


if __name__ == '__main__':
    harness.run_cases([('QEMU passwords on the %s library' % LIB, run)])
