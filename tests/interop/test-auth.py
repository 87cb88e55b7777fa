#!/usr/bin/python3
"""test-auth: ticket authentication as spice-gtk and a raw link client see it.

    test-auth.py --lib ours|upstream

--password: the right password links every channel, a wrong one gives spice-gtk an auth error
and the raw link result PERMISSION_DENIED (7); --ticket-expiry: an expired ticket is refused
while a fresh one with a long expiry works; --noauth: any (even empty) password links.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawlink  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import ClientError, ClientTimeout, SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
PASSWORD = 'secret'


def picture():
    return harness.test_image(17, 13)


def spice_gtk_result(port, password):
    """'ok' (primary surface shown), 'denied' (spice-gtk reported an auth error) or 'error: ...'."""
    client = SpiceTestClient(port=port, password=password, timeout=20).connect()
    try:
        client.wait_primary()
        return 'ok'
    except (ClientError, ClientTimeout) as e:
        return 'denied' if client.auth_failed() else 'error: %s' % e
    finally:
        client.close()


def raw_result(port, password):
    with rawlink.RawLink(port=port) as link:
        reply, result = link.link(password)
        check(reply.error == rawlink.ERR_OK, 'link reply error %d before auth' % reply.error)
        return result


def case_right_password():
    with harness.Demo(LIB, ['--image', picture(), '--password', PASSWORD]) as demo:
        got = spice_gtk_result(demo.port, PASSWORD)
        check(got == 'ok', 'spice-gtk with the right password: %s' % got)
        result = raw_result(demo.port, PASSWORD)
        check(result == rawlink.ERR_OK, 'raw link with the right password: result %d, expected 0' % result)
        demo.check_healthy()


def case_wrong_password():
    with harness.Demo(LIB, ['--image', picture(), '--password', PASSWORD]) as demo:
        for wrong in ('wrong', '', PASSWORD + 'x', PASSWORD[:-1]):
            got = spice_gtk_result(demo.port, wrong)
            check(got == 'denied', 'spice-gtk with password %r: %s, expected an auth error' % (wrong, got))
            result = raw_result(demo.port, wrong)
            check(result == rawlink.ERR_PERMISSION_DENIED,
                  'raw link with password %r: result %d, expected PERMISSION_DENIED (7)' % (wrong, result))
        # The server still serves the right password afterwards.
        got = spice_gtk_result(demo.port, PASSWORD)
        check(got == 'ok', 'spice-gtk with the right password after wrong ones: %s' % got)
        demo.check_healthy()


def case_ticket_expired():
    with harness.Demo(LIB, ['--image', picture(), '--password', PASSWORD, '--ticket-expiry', '1']) as demo:
        time.sleep(2.5)
        result = raw_result(demo.port, PASSWORD)
        check(result == rawlink.ERR_PERMISSION_DENIED,
              'raw link with an expired ticket: result %d, expected PERMISSION_DENIED (7)' % result)
        got = spice_gtk_result(demo.port, PASSWORD)
        check(got == 'denied', 'spice-gtk with an expired ticket: %s, expected an auth error' % got)
        demo.check_healthy()


def case_ticket_not_yet_expired():
    with harness.Demo(LIB, ['--image', picture(), '--password', PASSWORD, '--ticket-expiry', '120']) as demo:
        got = spice_gtk_result(demo.port, PASSWORD)
        check(got == 'ok', 'spice-gtk with a ticket valid for 120 s: %s' % got)
        demo.check_healthy()


def case_noauth():
    with harness.Demo(LIB, ['--image', picture(), '--noauth']) as demo:
        for password in (None, 'anything'):
            got = spice_gtk_result(demo.port, password)
            check(got == 'ok', 'spice-gtk with --noauth and password %r: %s' % (password, got))
        result = raw_result(demo.port, '')
        check(result == rawlink.ERR_OK, 'raw link with --noauth: result %d, expected 0' % result)
        demo.check_healthy()


if __name__ == '__main__':
    harness.run_cases([
        ('right password (%s library)' % LIB, case_right_password),
        ('wrong password denied (%s library)' % LIB, case_wrong_password),
        ('expired ticket denied (%s library)' % LIB, case_ticket_expired),
        ('ticket within expiry accepted (%s library)' % LIB, case_ticket_not_yet_expired),
        ('noauth (%s library)' % LIB, case_noauth),
    ])
