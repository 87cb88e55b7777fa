#!/usr/bin/python3
"""test-hostile: raw-socket clients that break the link or message rules, then a normal client.

    test-hostile.py --lib ours|upstream

Each case asserts the server's answer (a link error code, a link result, or closing the
connection) AND that spice-gtk is served the exact picture right after, AND (our library) that
no sanitizer fired. Expected answers are upstream 0.15.1's, measured with this script on
Debian's library; where upstream differs, EXPECTED_BY_LIB says how and why.
"""
import fnmatch
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import rawlink  # noqa: E402
from harness import check  # noqa: E402
from spiceclient import SpiceTestClient  # noqa: E402

LIB = harness.lib_choice_from_argv(sys.argv)
PASSWORD = 'hostile-test'
# Our link stage times out after 30 s; allow scheduling slack. Upstream: never (logged only).
SILENT_LINK_CLOSE_S = 40

# case -> expected outcome, the same for upstream 0.15.1 and ours.
EXPECTED = {
    'bad-magic': 'reply error %d' % rawlink.ERR_INVALID_MAGIC,
    'bad-major': 'reply error %d' % rawlink.ERR_VERSION_MISMATCH,
    'size-too-big': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    'size-too-small': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    'caps-count-overflow': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    'caps-sum-overflow': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    'caps-offset-past-end': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    'truncated-header': 'closed',
    'truncated-mess': 'closed',
    'truncated-ticket': 'closed',
    'bad-ticket': 'result %d' % rawlink.ERR_PERMISSION_DENIED,
    'bad-connection-id': 'result %d' % rawlink.ERR_BAD_CONNECTION_ID,
    # The control: a well-behaved raw session is kept, so "closed" below means "refused".
    'polite-session': 'open',
    'truncated-message': 'closed',
    'oversized-message': 'closed',
    'unknown-message': 'closed',
    'short-body': 'closed',
    'bad-mouse-mode': 'open',
    'inputs-garbage': 'open',
    'inputs-short-motion': 'closed',
    # A client without AUTH_SELECTION sends the ticket at once; old clients with full headers.
    'no-auth-selection': 'result %d' % rawlink.ERR_OK,
    'full-header-session': 'init serial 1, channels list of 3',
    # An unknown auth mechanism: upstream answers with a whole SpiceLinkHeader + LinkReply
    # carrying INVALID_DATA (not a bare link result) and closes; ours must do the same.
    'bogus-mechanism': 'reply error %d' % rawlink.ERR_INVALID_DATA,
    # Display-channel messages a broken client might send after a sane DISPLAY_INIT.
    'display-stale-stream-report': 'open',
    'display-bad-compression': 'open',
}

# Where upstream 0.15.1 differs: case -> {library: expected}; None = not run on that library.
EXPECTED_BY_LIB = {
    # A link to a channel nobody registered (display id 7, type 200): upstream closes the socket
    # without any answer ("wrong header: channel_type != SPICE_CHANNEL_MAIN"); ours answers the
    # link with CHANNEL_NOT_AVAILABLE (9), the code protocol.h has for it, which spice-gtk reports.
    'channel-not-available': {'ours': 'reply error %d' % rawlink.ERR_CHANNEL_NOT_AVAILABLE,
                              'upstream': 'closed'},
    'unknown-channel-type': {'ours': 'reply error %d' % rawlink.ERR_CHANNEL_NOT_AVAILABLE,
                             'upstream': 'closed'},
    # An empty KEY_SCANCODE: upstream's parser refuses it and closes inputs; ours ignores an
    # empty key stream (nothing to push) and keeps the channel. Both leave the server healthy.
    'empty-scancode': {'ours': 'open', 'upstream': 'closed'},
    # DISPLAY_INIT with a negative pixmap cache size and GLZ window: ours closes the display
    # channel; upstream 0.15.1 ABORTS the whole process (spice CRITICAL in
    # glz_shared_dictionary_new is fatal): any authenticated client can kill the VM. Not run on
    # upstream since nothing could be checked after it.
    'display-wild-init': {'ours': 'closed', 'upstream': None},
    # 200 ACK_SYNC/ACK pairs on a display channel that never sent DISPLAY_INIT: ours keeps the
    # channel. Upstream 0.15.1 SEGVs in its display worker thread (read near NULL+0x1000001xx)
    # in about half the runs, even on a fresh server: not run on upstream.
    'ack-storm': {'ours': 'open', 'upstream': None},
    # SASL asked for although the server did not advertise it (caps 0x0b): upstream 0.15.1
    # (built with SASL) starts a SASL exchange anyway; ours refuses it like any mechanism it
    # did not offer, with upstream's framing for that (see bogus-mechanism).
    'sasl-mechanism': {'ours': 'reply error %d' % rawlink.ERR_INVALID_DATA,
                       'upstream': "sasl mechlist ',DIGEST-MD5,'"},
    # Seeded random messages on every channel: upstream 0.15.1 SEGVs in its display worker
    # (seen in CI: "failed to parse message type 107" on display, then a read at 0x1000001d4),
    # so nothing could be checked after it: run on ours only.
    'random-messages': {'ours': 'sent *', 'upstream': None},
    # A STREAM_REPORT one byte short, and one for stream 2^32-1: both close the display channel
    # on both libraries, but upstream 0.15.1 then SEGVs in its display worker in some runs (the
    # same crash as random-messages, measured 2 in 5), so the cases run on ours only.
    'display-short-stream-report': {'ours': 'closed', 'upstream': None},
    'display-wild-stream-id': {'ours': 'closed', 'upstream': None},
}


def expectations(lib):
    out = dict(EXPECTED)
    for name, per_lib in EXPECTED_BY_LIB.items():
        if per_lib[lib] is None:
            out.pop(name, None)
        else:
            out[name] = per_lib[lib]
    return out


def serves_normal_client(demo, expected, width, what):
    with SpiceTestClient(port=demo.port, password=PASSWORD, timeout=30) as client:
        client.wait_primary()
        w, h, got = client.primary_rgb()
        check(w == width and len(got) == len(expected), '%s: then a normal client got a %dx%d primary'
              % (what, w, h))
        harness.compare_rgb(expected, got, width, '%s: then a normal client' % what)


class Target:
    """The demo the cases hit. Ours: one server for every case, so state left behind by one
    hostile client meets the next (as on a real host). Upstream: a fresh server per case,
    because 0.15.1 itself intermittently dies (SEGV in its display worker thread) when raw
    clients churn on one server for a while, and the reference must measure each case alone."""

    def __init__(self, path):
        self.path = path
        self.width, _, self.expected = harness.load_rgb(path)
        self.fresh_per_case = LIB == 'upstream'
        self.demo = None
        self.silent = None   # (RawLink, connect time) of case_silent_client, until checked

    def start(self):
        self.demo = harness.Demo(LIB, ['--image', self.path, '--password', PASSWORD])

    def stop(self):
        """Stops the demo; fails on a sanitizer report at exit (our library)."""
        demo, self.demo = self.demo, None
        status, report = demo.stop()
        check(not (report and LIB == 'ours'), 'sanitizer report at exit:\n%s' % report)

    def wrap(self, func):
        def run():
            if self.fresh_per_case:
                self.start()
            try:
                func(self)
            finally:
                if self.fresh_per_case:
                    self.stop()
        return run


def make_case(name, expected_outcome):
    def run(target):
        demo = target.demo
        outcome = rawlink.HOSTILE_CASES[name]('127.0.0.1', demo.port, PASSWORD)
        check(fnmatch.fnmatchcase(outcome, expected_outcome), '%s: the server answered "%s", expected "%s"'
              % (name, outcome, expected_outcome))
        demo.check_healthy()
        serves_normal_client(demo, target.expected, target.width, name)
        demo.check_healthy()
    return run


def case_silent_client(target):
    """A client that connects and says nothing must not block anyone else; ours closes it when
    its link stage times out. On the shared server (ours) that takes 30 s: the other cases run
    meanwhile and case_silent_client_closed checks it at the end."""
    demo, expected, width = target.demo, target.expected, target.width
    t0 = time.monotonic()
    idle = rawlink.RawLink(port=demo.port)
    try:
        serves_normal_client(demo, expected, width, 'while a silent client is connected')
        with rawlink.RawLink(port=demo.port) as other:
            reply, result = other.link(PASSWORD)
            check(result == rawlink.ERR_OK, 'raw link beside a silent client: reply %d result %r'
                  % (reply.error, result))
        demo.check_healthy()
    except BaseException:
        idle.close()
        raise
    target.silent = (idle, t0)
    if target.fresh_per_case:
        case_silent_client_closed(target)


def case_silent_client_closed(target):
    check(target.silent is not None, 'the silent client case did not get to connect its client')
    (idle, t0), target.silent = target.silent, None
    with idle:
        # Difference from upstream, on purpose: upstream 0.15.1 never times out a silent link (it
        # holds the socket until the peer goes away); ours closes a link stage that has not
        # finished within REDS_LINK_TIMEOUT_MS (30 s, server/reds-link.c).
        left = SILENT_LINK_CLOSE_S - (time.monotonic() - t0) if LIB == 'ours' else 2
        closed = idle.wait_closed(max(left, 1))
        waited = time.monotonic() - t0
        if LIB == 'ours':
            check(closed, 'a silent client is still connected after %.0f s (expected the link timeout '
                  'to close it)' % waited)
        harness.log('silent client: %s after %.0f s' % ('closed by the server' if closed else 'still open', waited))
    target.demo.check_healthy()


def case_many_silent_clients(target):
    # Twenty idle sockets at once, then the normal client.
    demo, expected, width = target.demo, target.expected, target.width
    links = []
    try:
        for _ in range(20):
            links.append(rawlink.RawLink(port=demo.port))
        serves_normal_client(demo, expected, width, 'with 20 silent clients connected')
    finally:
        for link in links:
            link.close()
    demo.check_healthy()


def case_garbage_burst(target):
    # A link header announcing 4096 bytes, then 4096 bytes of junk (caps counts out of range).
    demo, expected, width = target.demo, target.expected, target.width
    import random
    rnd = random.Random(1234)
    for i in range(10):
        junk = bytes(rnd.getrandbits(8) for _ in range(4096))
        data = rawlink.LINK_HEADER.pack(rawlink.MAGIC, 2, 2, 4096) + junk
        with rawlink.RawLink(port=demo.port) as link:
            outcome = rawlink.outcome_of_link(link, data)
        # Random bytes: any refusal is fine as long as it is one ("reply ok" would mean the
        # random caps happened to fit, practically impossible with random counts).
        check(outcome.startswith('reply error') or outcome == 'closed',
              'junk link %d: the server answered "%s"' % (i, outcome))
    demo.check_healthy()
    serves_normal_client(demo, expected, width, 'after junk links')


def main():
    target = Target(harness.test_image(333, 77))
    silent = ('silent client (%s library)' % LIB, target.wrap(case_silent_client))
    cases = [('%s (%s library)' % (name, LIB), target.wrap(make_case(name, outcome)))
             for name, outcome in expectations(LIB).items()]
    cases += [
        ('many silent clients (%s library)' % LIB, target.wrap(case_many_silent_clients)),
        ('junk link bodies (%s library)' % LIB, target.wrap(case_garbage_burst)),
    ]
    if target.fresh_per_case:
        cases.insert(len(cases) - 2, silent)
    else:
        # On the shared server the silent client waits for the link timeout while the others run.
        cases.insert(0, silent)
        cases.append(('silent client closed by the link timeout (%s library)' % LIB,
                      target.wrap(case_silent_client_closed)))
    if not target.fresh_per_case:
        target.start()
        cases.append(('no sanitizer report at exit (%s library)' % LIB, target.stop))
    harness.run_cases(cases)


if __name__ == '__main__':
    main()
