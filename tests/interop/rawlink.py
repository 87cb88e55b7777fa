#!/usr/bin/python3
"""rawlink: a raw-socket SPICE link client, polite or hostile, for the interop tests.

Builds SpiceLinkHeader + SpiceLinkMess (+ caps) byte by byte (any field may be wrong on
purpose), parses SpiceLinkReply, encrypts the ticket with RSA-OAEP-SHA1 (python3-cryptography)
and reads the link result; after an OK link it speaks mini-header messages. Layouts:
spice/protocol.h (little-endian, packed), caps_offset counted from the first body byte.

CLI: rawlink.py --port P [--password PW] CASE   prints "CASE: OUTCOME" and exits 0, where OUTCOME
is e.g. "reply error 2", "result 7", "closed", "open" (see HOSTILE_CASES for the list).
"""
import argparse
import os
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

MAGIC = b'REDQ'
VERSION_MAJOR, VERSION_MINOR = 2, 2
LINK_HEADER = struct.Struct('<4sIII')          # magic, major, minor, size
LINK_MESS = struct.Struct('<IBBIII')           # connection_id, type, id, ncommon, nchannel, caps_offset
LINK_REPLY_SIZE = 178                          # error u32, pub_key[162], ncommon, nchannel, caps_offset
PUBKEY_SIZE = 162
MINI_HEADER = struct.Struct('<HI')             # type, size

# SpiceLinkErr
LINK_ERR = {0: 'OK', 1: 'ERROR', 2: 'INVALID_MAGIC', 3: 'INVALID_DATA', 4: 'VERSION_MISMATCH',
            5: 'NEED_SECURED', 6: 'NEED_UNSECURED', 7: 'PERMISSION_DENIED', 8: 'BAD_CONNECTION_ID',
            9: 'CHANNEL_NOT_AVAILABLE'}
ERR_OK, ERR_INVALID_MAGIC, ERR_INVALID_DATA, ERR_VERSION_MISMATCH = 0, 2, 3, 4
ERR_PERMISSION_DENIED, ERR_BAD_CONNECTION_ID, ERR_CHANNEL_NOT_AVAILABLE = 7, 8, 9

CHANNEL_MAIN, CHANNEL_DISPLAY, CHANNEL_INPUTS, CHANNEL_CURSOR = 1, 2, 3, 4
CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI_HEADER = 0, 1, 3
# What spice-gtk sends: AUTH_SELECTION | MINI_HEADER (+ SASL bit 2, not wanted here).
CLIENT_COMMON_CAPS = (1 << CAP_AUTH_SELECTION) | (1 << CAP_MINI_HEADER)

# Message numbers (spice/enums.h).
MSG_PING = 4
MSGC_ACK_SYNC, MSGC_ACK, MSGC_PONG = 1, 2, 3
MSG_MAIN_INIT, MSG_MAIN_CHANNELS_LIST = 103, 104
MSGC_MAIN_ATTACH_CHANNELS, MSGC_MAIN_MOUSE_MODE_REQUEST = 104, 105
MSGC_DISPLAY_INIT = 101
# spice/enums.h: SPICE_MSGC_DISPLAY_INIT + 1, + 2 (the enum runs on from 101).
MSGC_DISPLAY_STREAM_REPORT, MSGC_DISPLAY_PREFERRED_COMPRESSION = 102, 103
MSGC_INPUTS_KEY_DOWN, MSGC_INPUTS_KEY_UP, MSGC_INPUTS_KEY_MODIFIERS, MSGC_INPUTS_KEY_SCANCODE = 101, 102, 103, 104
MSGC_INPUTS_MOUSE_MOTION, MSGC_INPUTS_MOUSE_POSITION = 111, 112
MSGC_INPUTS_MOUSE_PRESS, MSGC_INPUTS_MOUSE_RELEASE = 113, 114


class Closed(Exception):
    """The server closed the connection (EOF or reset)."""


class Timeout(Exception):
    """The server sent nothing within the time limit."""


def link_bytes(magic=MAGIC, major=VERSION_MAJOR, minor=VERSION_MINOR, connection_id=0,
               channel_type=CHANNEL_MAIN, channel_id=0, common_caps=(CLIENT_COMMON_CAPS,),
               channel_caps=(), num_common=None, num_channel=None, caps_offset=LINK_MESS.size,
               size=None, extra=b''):
    """Header + LinkMess + caps; every field can be overridden to build a hostile link."""
    caps = b''.join(struct.pack('<I', c) for c in list(common_caps) + list(channel_caps))
    body = LINK_MESS.pack(connection_id, channel_type, channel_id,
                          len(common_caps) if num_common is None else num_common,
                          len(channel_caps) if num_channel is None else num_channel,
                          caps_offset) + caps + extra
    header = LINK_HEADER.pack(magic, major, minor, len(body) if size is None else size)
    return header + body


class LinkReply:
    def __init__(self, body):
        self.error, = struct.unpack_from('<I', body, 0)
        self.pubkey = body[4:4 + PUBKEY_SIZE]
        self.num_common, self.num_channel, self.caps_offset = struct.unpack_from('<III', body, 4 + PUBKEY_SIZE)
        self.common_caps = []
        self.channel_caps = []
        if self.error == ERR_OK:
            off = self.caps_offset
            n = self.num_common + self.num_channel
            if off < LINK_REPLY_SIZE or off + 4 * n > len(body):
                raise ValueError('link reply caps do not fit: offset %d count %d body %d'
                                 % (off, n, len(body)))
            words = struct.unpack_from('<%dI' % n, body, off)
            self.common_caps = list(words[:self.num_common])
            self.channel_caps = list(words[self.num_common:])

    def has_common_cap(self, bit):
        return bool(self.common_caps) and bool(self.common_caps[bit // 32] & (1 << (bit % 32))) \
            if bit // 32 < len(self.common_caps) else False


def encrypt_ticket(pubkey_der, password):
    """RSA-OAEP (SHA-1, MGF1-SHA-1, no label) of the password plus its NUL, as spice-gtk does."""
    key = serialization.load_der_public_key(bytes(pubkey_der))
    data = password.encode() + b'\0' if isinstance(password, str) else password
    return key.encrypt(data, padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()),
                                          algorithm=hashes.SHA1(), label=None))


class RawLink:
    def __init__(self, host='127.0.0.1', port=5900, timeout=10.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise Closed('send: %s' % e)

    def shutdown_write(self):
        self.sock.shutdown(socket.SHUT_WR)

    def recv_exact(self, n, timeout=None):
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        out = b''
        while len(out) < n:
            try:
                chunk = self.sock.recv(n - len(out))
            except socket.timeout:
                raise Timeout('got %d of %d bytes' % (len(out), n))
            except ConnectionResetError:
                raise Closed('reset after %d of %d bytes' % (len(out), n))
            if not chunk:
                raise Closed('EOF after %d of %d bytes' % (len(out), n))
            out += chunk
        return out

    def wait_closed(self, timeout):
        """True if the server closes within @timeout (data it sends meanwhile is discarded)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(min(left, 1.0))
            try:
                if not self.sock.recv(65536):
                    return True
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return True

    # -- link stage -------------------------------------------------------------------------
    def read_reply(self):
        header = self.recv_exact(LINK_HEADER.size)
        magic, major, minor, size = LINK_HEADER.unpack(header)
        if magic != MAGIC:
            raise ValueError('reply magic %r' % magic)
        if size < LINK_REPLY_SIZE or size > 4096:
            raise ValueError('reply size %d out of limits' % size)
        return LinkReply(self.recv_exact(size))

    def send_auth(self, reply, password='', ticket=None):
        """Sends the auth mechanism (if the server offers a choice) and the encrypted ticket."""
        if reply.has_common_cap(CAP_AUTH_SELECTION):
            self.send(struct.pack('<I', CAP_AUTH_SPICE))
        self.send(ticket if ticket is not None else encrypt_ticket(reply.pubkey, password))

    def read_result(self):
        return struct.unpack('<I', self.recv_exact(4))[0]

    def link(self, password='', **fields):
        """Full polite link; returns (reply, result) (result None when the reply is an error)."""
        self.send(link_bytes(**fields))
        reply = self.read_reply()
        if reply.error != ERR_OK:
            return reply, None
        self.send_auth(reply, password)
        return reply, self.read_result()

    # -- messages (mini header: we advertise MINI_HEADER and so does every server) ------------
    def read_message(self, timeout=None):
        mtype, size = MINI_HEADER.unpack(self.recv_exact(MINI_HEADER.size, timeout))
        if size > 64 * 1024 * 1024:
            raise ValueError('message size %d' % size)
        return mtype, self.recv_exact(size, timeout)

    def send_message(self, mtype, body=b''):
        self.send(MINI_HEADER.pack(mtype, len(body)) + body)

    def read_until(self, mtype, timeout=10.0):
        """Reads messages (answering PINGs) until one of @mtype; returns its body."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout('no message %d within %.1f s' % (mtype, timeout))
            t, body = self.read_message(left)
            if t == MSG_PING:
                self.send_message(MSGC_PONG, body[:12])
            if t == mtype:
                return body


def main_session(host, port, password='', timeout=10.0):
    """Links a main channel; returns (RawLink, session_id). The caller closes it."""
    link = RawLink(host, port, timeout)
    try:
        reply, result = link.link(password)
        if reply.error != ERR_OK or result != ERR_OK:
            raise ValueError('main link refused: reply %d result %r' % (reply.error, result))
        body = link.read_until(MSG_MAIN_INIT, timeout)
        session_id, = struct.unpack_from('<I', body, 0)
        return link, session_id
    except Exception:
        link.close()
        raise


# ------------------------------------------------------------------------------------------
# Hostile cases. Each returns an outcome string; the tests assert the expected one.

def outcome_of_link(link, data, close_after=False, wait=10.0):
    """Sends @data, then reports "reply error N", "result N", "closed" or "open"."""
    try:
        link.send(data)
        if close_after:
            link.shutdown_write()
        reply = link.read_reply()
    except Closed:
        return 'closed'
    except Timeout:
        return 'open'
    if reply.error != ERR_OK:
        return 'reply error %d' % reply.error
    return 'reply ok'


def case_bad_magic(host, port, password):
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(magic=b'XEDQ'))


def case_bad_major(host, port, password):
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(major=3))


def case_size_too_big(host, port, password):
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(size=4097, extra=b'\0' * (4097 - 26)))


def case_size_too_small(host, port, password):
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(size=10)[:LINK_HEADER.size] + b'\0' * 10)


def case_caps_count_overflow(host, port, password):
    # 0x40000001 common cap words: 4 * count wraps to 4 in 32 bits.
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(num_common=0x40000001))


def case_caps_sum_overflow(host, port, password):
    # common + channel wraps to 0 in 32 bits.
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(num_common=0xFFFFFFFF, num_channel=1))


def case_caps_offset_past_end(host, port, password):
    with RawLink(host, port) as link:
        return outcome_of_link(link, link_bytes(caps_offset=4000))


def case_truncated_header(host, port, password):
    with RawLink(host, port) as link:
        link.send(link_bytes()[:9])
        link.shutdown_write()
        return 'closed' if link.wait_closed(10) else 'open'


def case_truncated_mess(host, port, password):
    with RawLink(host, port) as link:
        link.send(link_bytes()[:LINK_HEADER.size + 7])
        link.shutdown_write()
        return 'closed' if link.wait_closed(10) else 'open'


def case_truncated_ticket(host, port, password):
    with RawLink(host, port) as link:
        link.send(link_bytes())
        reply = link.read_reply()
        if reply.has_common_cap(CAP_AUTH_SELECTION):
            link.send(struct.pack('<I', CAP_AUTH_SPICE))
        link.send(b'\x42' * 60)
        link.shutdown_write()
        return 'closed' if link.wait_closed(10) else 'open'


def case_bad_ticket(host, port, password):
    with RawLink(host, port) as link:
        link.send(link_bytes())
        reply = link.read_reply()
        # Random bytes: not a valid OAEP block under this key (overwhelmingly likely).
        link.send_auth(reply, ticket=b'\xff' + os.urandom(127))
        try:
            return 'result %d' % link.read_result()
        except Closed:
            return 'closed'


def case_bad_connection_id(host, port, password):
    with RawLink(host, port) as link:
        try:
            reply, result = link.link(password, connection_id=0x5EC0DE42, channel_type=CHANNEL_DISPLAY)
        except Closed:
            return 'closed'
        if result is None:
            return 'reply error %d' % reply.error
        return 'result %d' % result


def case_truncated_message(host, port, password):
    link, _ = main_session(host, port, password)
    with link:
        link.send(MINI_HEADER.pack(MSGC_MAIN_ATTACH_CHANNELS, 100) + b'\0' * 10)
        link.shutdown_write()
        return 'closed' if link.wait_closed(10) else 'open'


def case_oversized_message(host, port, password):
    link, _ = main_session(host, port, password)
    with link:
        # A 256 MiB MOUSE_MODE_REQUEST (whose body is 2 bytes): only the header is sent.
        try:
            link.send(MINI_HEADER.pack(105, 256 * 1024 * 1024) + b'\0' * 64)
        except Closed:
            return 'closed'
        return 'closed' if link.wait_closed(10) else 'open'


def case_unknown_message(host, port, password):
    link, _ = main_session(host, port, password)
    with link:
        try:
            link.send_message(9999, b'\0' * 8)
        except Closed:
            return 'closed'
        return 'closed' if link.wait_closed(10) else 'open'


def secondary_link(host, port, password, session_id, channel_type, channel_id=0, channel_caps=()):
    """Links a non-main channel of session @session_id; returns (RawLink, result or reply error)."""
    link = RawLink(host, port)
    try:
        reply, result = link.link(password, connection_id=session_id, channel_type=channel_type,
                                  channel_id=channel_id, channel_caps=channel_caps)
    except Closed:
        return link, 'closed'
    except Exception:
        link.close()
        raise
    return link, ('reply error %d' % reply.error if result is None else 'result %d' % result)


def stays_open(link, seconds):
    """'open' if the server keeps the connection for @seconds (answering PINGs), else 'closed'."""
    deadline = time.monotonic() + seconds
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return 'open'
            try:
                t, body = link.read_message(min(left, 1.0))
            except Timeout:
                continue
            if t == MSG_PING:
                link.send_message(MSGC_PONG, body[:12])
    except Closed:
        return 'closed'


def case_polite_session(host, port, password):
    """The control for the 'closed' outcomes: a well-behaved raw main channel is kept open."""
    link, _ = main_session(host, port, password)
    with link:
        link.send_message(MSGC_MAIN_ATTACH_CHANNELS)
        try:
            link.read_until(MSG_MAIN_CHANNELS_LIST, 5)
        except (Closed, Timeout) as e:
            return 'no channels list (%s)' % e
        return stays_open(link, 3)


def case_short_body(host, port, password):
    # MOUSE_MODE_REQUEST carries a u16; send 1 byte.
    link, _ = main_session(host, port, password)
    with link:
        try:
            link.send_message(MSGC_MAIN_MOUSE_MODE_REQUEST, b'\x01')
        except Closed:
            return 'closed'
        return 'closed' if link.wait_closed(10) else 'open'


def case_bad_mouse_mode(host, port, password):
    # An unknown mouse mode (7) must be ignored: the session stays.
    link, _ = main_session(host, port, password)
    with link:
        link.send_message(MSGC_MAIN_MOUSE_MODE_REQUEST, struct.pack('<H', 7))
        return stays_open(link, 2)


def case_channel_not_available(host, port, password):
    link, session_id = main_session(host, port, password)
    with link:
        other, outcome = secondary_link(host, port, password, session_id, CHANNEL_DISPLAY, channel_id=7)
        other.close()
        return outcome


def case_unknown_channel_type(host, port, password):
    link, session_id = main_session(host, port, password)
    with link:
        other, outcome = secondary_link(host, port, password, session_id, 200)
        other.close()
        return outcome


def channel_session(host, port, password, channel_type, send, verdict=lambda link: stays_open(link, 2)):
    """Links main + one more channel of @channel_type, calls send(link), then returns
    verdict(link) ('open' or 'closed'; by default whether the channel stays open for 2 s)."""
    link, session_id = main_session(host, port, password)
    with link:
        other, outcome = secondary_link(host, port, password, session_id, channel_type)
        with other:
            if outcome != 'result 0':
                return 'channel %d link %s' % (channel_type, outcome)
            try:
                send(other)
            except Closed:
                return 'closed'
            return verdict(other)


def inputs_session(host, port, password, send):
    """Links main + inputs, calls send(inputs_link), then reports whether inputs stays open."""
    return channel_session(host, port, password, CHANNEL_INPUTS, send)


def case_inputs_garbage(host, port, password):
    """Inputs messages with wild values (positions far outside, display 200, every button bit,
    a run of E0 prefixes) are the guest's problem, not the server's: the channel stays open."""
    def send(inputs):
        inputs.send_message(MSGC_INPUTS_MOUSE_POSITION, struct.pack('<IIHB', 0xFFFFFFFF, 0x7FFFFFFF, 0xFFFF, 200))
        inputs.send_message(MSGC_INPUTS_MOUSE_MOTION, struct.pack('<iiH', -2**31, 2**31 - 1, 0xFFFF))
        inputs.send_message(MSGC_INPUTS_MOUSE_PRESS, struct.pack('<BH', 0xFF, 0xFFFF))
        inputs.send_message(MSGC_INPUTS_MOUSE_RELEASE, struct.pack('<BH', 0, 0))
        inputs.send_message(MSGC_INPUTS_KEY_MODIFIERS, struct.pack('<H', 0xFFFF))
        inputs.send_message(MSGC_INPUTS_KEY_DOWN, struct.pack('<I', 0xFFFFFFFF))
        inputs.send_message(MSGC_INPUTS_KEY_UP, struct.pack('<I', 0))
        inputs.send_message(MSGC_INPUTS_KEY_SCANCODE, b'\xe0' * 64)
    return inputs_session(host, port, password, send)


def case_empty_scancode(host, port, password):
    return inputs_session(host, port, password,
                          lambda inputs: inputs.send_message(MSGC_INPUTS_KEY_SCANCODE, b''))


def case_inputs_short_motion(host, port, password):
    return channel_session(
        host, port, password, CHANNEL_INPUTS,
        lambda inputs: inputs.send_message(MSGC_INPUTS_MOUSE_MOTION, b'\x01\x02'),
        verdict=lambda inputs: 'closed' if inputs.wait_closed(10) else 'open')


def case_display_wild_init(host, port, password):
    """DISPLAY_INIT with a negative pixmap cache and GLZ window: refused or ignored, never trusted.
    Reports whether the display channel stays open."""
    return channel_session(host, port, password, CHANNEL_DISPLAY, lambda display: display.send_message(
        MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, -1, 1, -2**31)))


def display_session(host, port, password, send):
    """A linked display channel that sent a sane DISPLAY_INIT, then @send(display): reports
    whether the channel stays open."""
    def init_then_send(display):
        display.send_message(MSGC_DISPLAY_INIT, struct.pack('<BqBi', 1, 1 << 20, 1, 1 << 22))
        send(display)
    return channel_session(host, port, password, CHANNEL_DISPLAY, init_then_send)


# STREAM_REPORT's body: stream_id, unique_id, start/end frame mm time, num_frames, num_drops,
# last_frame_delay (i32), audio_delay: 32 bytes.
STREAM_REPORT_BODY = struct.Struct('<IIIIIIiI')


def case_display_short_stream_report(host, port, password):
    """A STREAM_REPORT one byte short: a malformed message, so the display channel is closed."""
    return display_session(host, port, password, lambda display: display.send_message(
        MSGC_DISPLAY_STREAM_REPORT, STREAM_REPORT_BODY.pack(0, 0, 0, 0, 5, 5, -100, 0)[:-1]))


def wild_stream_report(stream_id):
    return STREAM_REPORT_BODY.pack(stream_id, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF,
                                   -2**31, 0xFFFFFFFF)


def case_display_stale_stream_report(host, port, password):
    """A well-formed STREAM_REPORT with wild counts for stream 0, which does not exist (a stale
    report, as after a stream ends): ignored, the channel stays."""
    return display_session(host, port, password, lambda display: display.send_message(
        MSGC_DISPLAY_STREAM_REPORT, wild_stream_report(0)))


def case_display_wild_stream_id(host, port, password):
    """A STREAM_REPORT for stream 2^32-1, an id no server hands out: the channel is closed."""
    return display_session(host, port, password, lambda display: display.send_message(
        MSGC_DISPLAY_STREAM_REPORT, wild_stream_report(0xFFFFFFFF)))


def case_display_bad_compression(host, port, password):
    """PREFERRED_COMPRESSION with a value no SpiceImageCompression has (200): refused with a log
    line, the channel stays (as upstream)."""
    return display_session(host, port, password, lambda display: display.send_message(
        MSGC_DISPLAY_PREFERRED_COMPRESSION, b'\xc8'))


def case_ack_storm(host, port, password):
    """ACKs nobody asked for and ACK_SYNCs with random generations: the channel stays usable."""
    def send(display):
        for i in range(200):
            display.send_message(MSGC_ACK_SYNC, struct.pack('<I', (i * 2654435761) & 0xFFFFFFFF))
            display.send_message(MSGC_ACK)
    return channel_session(host, port, password, CHANNEL_DISPLAY, send)


def case_no_auth_selection(host, port, password):
    """A client without PROTOCOL_AUTH_SELECTION sends the ticket right after the reply (no
    mechanism word): the server must take those 128 bytes as the ticket."""
    with RawLink(host, port) as link:
        try:
            link.send(link_bytes(common_caps=(1 << CAP_MINI_HEADER,)))
            reply = link.read_reply()
            if reply.error != ERR_OK:
                return 'reply error %d' % reply.error
            link.send(encrypt_ticket(reply.pubkey, password))
            return 'result %d' % link.read_result()
        except Closed:
            return 'closed'


def _mechanism_case(host, port, password, mechanism):
    """Sends auth mechanism @mechanism; reports what the server says before or after the ticket:
    'reply error N' (a SpiceLinkHeader + LinkReply error), 'result N' (a bare link result),
    'sasl mechlist ...' (the server started SASL) or 'closed'."""
    with RawLink(host, port) as link:
        link.send(link_bytes())
        reply = link.read_reply()
        try:
            link.send(struct.pack('<I', mechanism))
            try:
                first = link.recv_exact(4, timeout=1.5)
            except Timeout:
                # The server waits for the ticket: it took the mechanism.
                link.send(encrypt_ticket(reply.pubkey, password))
                first = link.recv_exact(4)
            if first == MAGIC:
                _, _, size = struct.unpack('<III', link.recv_exact(12))
                return 'reply error %d' % struct.unpack('<I', link.recv_exact(size)[:4])[0]
            value, = struct.unpack('<I', first)
            if mechanism == 2 and 0 < value < 1024:
                # SASL starts with the mechanism list's length; a link result is all there is.
                try:
                    return 'sasl mechlist %r' % link.recv_exact(value, timeout=1.5).decode(errors='replace')
                except (Closed, Timeout):
                    pass
            return 'result %d' % value
        except Closed:
            return 'closed'


def case_sasl_mechanism(host, port, password):
    """Asks for SASL, which the server did not offer."""
    return _mechanism_case(host, port, password, 2)


def case_bogus_mechanism(host, port, password):
    return _mechanism_case(host, port, password, 99)


FULL_HEADER = struct.Struct('<QHII')   # serial, type, size, sub_list


def case_full_header_session(host, port, password):
    """An old client without MINI_HEADER: the server must speak 18-byte full headers to it.
    Reports 'init session N serial S' for the first message if it is a well-formed MAIN_INIT."""
    with RawLink(host, port) as link:
        try:
            reply, result = link.link(password, common_caps=(1 << CAP_AUTH_SELECTION,))
            if result != ERR_OK:
                return 'reply error %d result %r' % (reply.error, result)
            serial, mtype, size, sub_list = FULL_HEADER.unpack(link.recv_exact(FULL_HEADER.size))
            if mtype != MSG_MAIN_INIT or size != 32 or sub_list != 0:
                return 'first message type %d size %d sub_list %d' % (mtype, size, sub_list)
            link.recv_exact(size)
            # Answer ATTACH_CHANNELS with a full header too; expect CHANNELS_LIST back.
            link.send(FULL_HEADER.pack(1, MSGC_MAIN_ATTACH_CHANNELS, 0, 0))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                s2, t2, z2, _ = FULL_HEADER.unpack(link.recv_exact(FULL_HEADER.size))
                b2 = link.recv_exact(z2)
                if t2 == MSG_PING:
                    link.send(FULL_HEADER.pack(s2, MSGC_PONG, 12, 0) + b2[:12])
                if t2 == MSG_MAIN_CHANNELS_LIST:
                    count, = struct.unpack_from('<I', b2, 0)
                    return 'init serial %d, channels list of %d' % (serial, count) if count > 0 else \
                        'empty channels list'
            return 'no channels list'
        except (Closed, Timeout) as e:
            return 'closed (%s)' % e


def case_random_messages(host, port, password, seed=20261122, rounds=3, per_channel=150):
    """Deterministic random messages (known and unknown types, random bodies up to 80 bytes) on
    main, display, inputs and cursor. Any answer is allowed (closing included); the caller
    checks that the server survives and still serves. Returns 'sent N'."""
    import random
    rnd = random.Random(seed)
    types = list(range(1, 9)) + list(range(101, 125)) + [0, 200, 301, 0xFFFF]
    sent = 0
    for _ in range(rounds):
        link, session_id = main_session(host, port, password)
        with link:
            channels = [(link, 'main')]
            for ctype in (CHANNEL_DISPLAY, CHANNEL_INPUTS, CHANNEL_CURSOR):
                other, outcome = secondary_link(host, port, password, session_id, ctype)
                if outcome == 'result 0':
                    channels.append((other, ctype))
                else:
                    other.close()
            for chan, _ in channels:
                try:
                    for _ in range(per_channel):
                        body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 81)))
                        chan.send_message(rnd.choice(types), body)
                        sent += 1
                except Closed:
                    pass
            for chan, kind in channels:
                if kind != 'main':
                    chan.close()
    return 'sent %d' % sent if sent else 'nothing sent'


def case_silent_client(host, port, password, wait=5.0):
    """Connects and sends nothing; 'open' if the server still holds it after @wait seconds."""
    with RawLink(host, port) as link:
        return 'closed' if link.wait_closed(wait) else 'open'


HOSTILE_CASES = {
    'bad-magic': case_bad_magic,
    'bad-major': case_bad_major,
    'size-too-big': case_size_too_big,
    'size-too-small': case_size_too_small,
    'caps-count-overflow': case_caps_count_overflow,
    'caps-sum-overflow': case_caps_sum_overflow,
    'caps-offset-past-end': case_caps_offset_past_end,
    'truncated-header': case_truncated_header,
    'truncated-mess': case_truncated_mess,
    'truncated-ticket': case_truncated_ticket,
    'bad-ticket': case_bad_ticket,
    'bad-connection-id': case_bad_connection_id,
    'truncated-message': case_truncated_message,
    'oversized-message': case_oversized_message,
    'unknown-message': case_unknown_message,
    'silent-client': case_silent_client,
    'polite-session': case_polite_session,
    'short-body': case_short_body,
    'bad-mouse-mode': case_bad_mouse_mode,
    'channel-not-available': case_channel_not_available,
    'unknown-channel-type': case_unknown_channel_type,
    'inputs-garbage': case_inputs_garbage,
    'inputs-short-motion': case_inputs_short_motion,
    'empty-scancode': case_empty_scancode,
    'display-wild-init': case_display_wild_init,
    'ack-storm': case_ack_storm,
    'display-short-stream-report': case_display_short_stream_report,
    'display-stale-stream-report': case_display_stale_stream_report,
    'display-wild-stream-id': case_display_wild_stream_id,
    'display-bad-compression': case_display_bad_compression,
    'no-auth-selection': case_no_auth_selection,
    'sasl-mechanism': case_sasl_mechanism,
    'bogus-mechanism': case_bogus_mechanism,
    'full-header-session': case_full_header_session,
    'random-messages': case_random_messages,
}


def main(argv):
    ap = argparse.ArgumentParser(description='raw SPICE link client')
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--password', default='')
    ap.add_argument('case', choices=sorted(list(HOSTILE_CASES) + ['link']))
    args = ap.parse_args(argv[1:])
    if args.case == 'link':
        with RawLink(args.host, args.port) as link:
            try:
                reply, result = link.link(args.password)
            except Closed:
                print('link: closed')
                return 0
            print('link: reply error %d' % reply.error if result is None else 'link: result %d' % result)
        return 0
    print('%s: %s' % (args.case, HOSTILE_CASES[args.case](args.host, args.port, args.password)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
