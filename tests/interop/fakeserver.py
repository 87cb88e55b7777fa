#!/usr/bin/python3
"""fakeserver: a scripted SPICE server in python, to replay recorded sessions to clients.

It speaks the server side of the link stage (SpiceLinkReply with a fresh 1024-bit RSA key and
the recorded channel caps; the ticket is read and not checked, as with disable-ticketing), then
mini- or full-header messages, as the client's caps ask. The main channel sends MAIN_INIT and
answers ATTACH_CHANNELS with a CHANNELS_LIST of one display channel; the display channel sends
the recorded messages back to back once the client's DISPLAY_INIT arrived (or after 2 s), then a
PING whose PONG proves the client processed all of them (messages of a channel are handled in
order); video frames, which clients hold until their multimedia time, are waited for too. Then
it closes the session's sockets, so the client ends.

Layouts: spice/protocol.h (packed, little-endian); caps_offset counts from the first body byte.
One session at a time; start() serves on a thread until stop().
"""
import socket
import struct
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

LINK_HEADER = struct.Struct('<4sIII')      # magic, major, minor, size
LINK_MESS = struct.Struct('<IBBIII')       # connection_id, type, id, ncommon, nchannel, caps_offset
LINK_REPLY_FIXED = 178                     # error, pub_key[162], ncommon, nchannel, caps_offset
MINI_HEADER = struct.Struct('<HI')         # type, size
FULL_HEADER = struct.Struct('<QHII')       # serial, type, size, sub_list
CAP_AUTH_SELECTION, CAP_AUTH_SPICE, CAP_MINI_HEADER = 0, 1, 3
SERVER_COMMON_CAPS = (1 << CAP_AUTH_SELECTION) | (1 << CAP_AUTH_SPICE) | (1 << CAP_MINI_HEADER)
CHANNEL_MAIN, CHANNEL_DISPLAY = 1, 2
MSG_PING, MSGC_PONG = 4, 3
MSG_MAIN_INIT, MSG_MAIN_CHANNELS_LIST, MSGC_MAIN_ATTACH_CHANNELS = 103, 104, 104
MSG_MAIN_MULTI_MEDIA_TIME = 106
MSGC_DISPLAY_INIT = 101
MSG_DISPLAY_STREAM_DATA, MSG_DISPLAY_STREAM_DATA_SIZED = 123, 316
SESSION_ID = 0x5eed
STREAM_LEAD_MS = 200


class Recording:
    """What a replay serves: display messages [(type, body)], the server's display channel caps
    (u32 words), and the upstream MAIN_INIT body (32 bytes) or None."""

    def __init__(self, display_messages, display_channel_caps=(), main_init=None,
                 arrival_seconds=None):
        self.display_messages = display_messages
        self.display_channel_caps = list(display_channel_caps)
        self.main_init = main_init
        # When each message arrived while recording (seconds from the first), or None: a
        # recording with video streams is replayed at this pace, as the server sent it.
        self.arrival_seconds = arrival_seconds


def stream_mm_times(messages):
    """(first, last) multimedia time of the stream frames, or None without streams."""
    times = [struct.unpack_from('<I', body, 4)[0] for mtype, body in messages
             if mtype in (MSG_DISPLAY_STREAM_DATA, MSG_DISPLAY_STREAM_DATA_SIZED) and len(body) >= 8]
    return (min(times), max(times)) if times else None


class _Peer:
    """One accepted connection after its link: framing as the client's caps ask."""

    def __init__(self, sock, mini):
        self.sock = sock
        self.mini = mini
        self.serial = 0

    def frame(self, mtype, body):
        if self.mini:
            return MINI_HEADER.pack(mtype, len(body)) + body
        self.serial += 1
        return FULL_HEADER.pack(self.serial, mtype, len(body), 0) + body

    def send(self, mtype, body=b''):
        self.sock.sendall(self.frame(mtype, body))

    def recv_exact(self, n):
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError('client closed')
            data += chunk
        return bytes(data)

    def read(self):
        if self.mini:
            mtype, size = MINI_HEADER.unpack(self.recv_exact(MINI_HEADER.size))
        else:
            _, mtype, size, _ = FULL_HEADER.unpack(self.recv_exact(FULL_HEADER.size))
        if size > 16 * 1024 * 1024:
            raise ValueError('client message of %d bytes' % size)
        return mtype, self.recv_exact(size)


class ReplayServer:
    def __init__(self, recording, port, host='127.0.0.1'):
        self.rec = recording
        self.addr = (host, port)
        key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.pubkey = key.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
        assert len(self.pubkey) == 162
        self.main_init = self._main_init()
        self.listener = None
        self.stopping = threading.Event()
        self.replayed = threading.Event()
        self.replay_seconds = None
        self.open_socks = []
        self.lock = threading.Lock()
        # Called on the display thread right before the first replayed byte and right after
        # the PONG (e.g. to read the client's CPU time at exactly those moments).
        self.on_replay_start = None
        self.on_replay_end = None
        self.main_peer = None

    def _main_init(self):
        # session_id, display_channels_hint, supported mouse modes, current mode, agent
        # connected, agent tokens, multimedia time, ram hint.
        fields = [SESSION_ID, 1, 3, 1, 0, 0, 0, 0]
        if self.rec.main_init and len(self.rec.main_init) >= 32:
            fields = list(struct.unpack_from('<8I', self.rec.main_init, 0))
            fields[0] = SESSION_ID
            fields[4] = 0                       # no agent: nothing would answer it
        # Video frames play on the multimedia clock: the clock starts just before the first
        # frame, so both clients show every frame at its recorded pace (none is late, none is
        # dropped) and the replay lasts as long as the recorded video.
        times = stream_mm_times(self.rec.display_messages)
        self.video_seconds = 0.0
        self.video_clock = None
        self.paced = bool(times) and self.rec.arrival_seconds is not None
        if times:
            # Paced, the clock at the replay's start is the first frame's time less the time
            # the recording took to get to it; otherwise all frames are due at once.
            lead = STREAM_LEAD_MS
            if self.paced:
                first = next(i for i, (t, _) in enumerate(self.rec.display_messages)
                             if t in (MSG_DISPLAY_STREAM_DATA, MSG_DISPLAY_STREAM_DATA_SIZED))
                lead += int(self.rec.arrival_seconds[first] * 1000)
            fields[6] = self.video_clock = max(0, times[0] - lead)
            self.video_seconds = (times[1] - fields[6]) / 1000.0
        return struct.pack('<8I', *fields)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(self.addr)
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def stop(self):
        self.stopping.set()
        self.close_session()
        if self.listener:
            self.listener.close()

    def reset(self):
        """Before the next client: forget the last replay's result."""
        self.close_session()
        self.replayed.clear()
        self.replay_seconds = None

    def wait_replayed(self, timeout):
        """True once a client answered the PING that follows the replay."""
        return self.replayed.wait(timeout)

    def close_session(self):
        with self.lock:
            socks, self.open_socks = self.open_socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    # -- connections --------------------------------------------------------------------------
    def _accept_loop(self):
        while not self.stopping.is_set():
            try:
                sock, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self.open_socks.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _link(self, sock):
        """Server side of the link stage; returns (_Peer, channel type)."""
        magic, major, _, size = LINK_HEADER.unpack(_recv_exact(sock, LINK_HEADER.size))
        if magic != b'REDQ' or major != 2 or size < LINK_MESS.size or size > 4096:
            raise ValueError('bad link header')
        body = _recv_exact(sock, size)
        _, ctype, _, ncommon, nchannel, caps_offset = LINK_MESS.unpack_from(body, 0)
        if caps_offset + 4 * (ncommon + nchannel) > len(body):
            raise ValueError('link caps do not fit')
        common = struct.unpack_from('<%dI' % ncommon, body, caps_offset)
        client_common = common[0] if common else 0
        channel_caps = self.rec.display_channel_caps if ctype == CHANNEL_DISPLAY else []
        caps = [SERVER_COMMON_CAPS] + list(channel_caps)
        reply = (struct.pack('<I', 0) + self.pubkey
                 + struct.pack('<III', 1, len(channel_caps), LINK_REPLY_FIXED)
                 + b''.join(struct.pack('<I', c) for c in caps))
        sock.sendall(LINK_HEADER.pack(b'REDQ', 2, 2, len(reply)) + reply)
        if client_common & (1 << CAP_AUTH_SELECTION):
            _recv_exact(sock, 4)                # the mechanism: SPICE ticket
        _recv_exact(sock, 128)                  # the encrypted ticket, not checked
        sock.sendall(struct.pack('<I', 0))
        return _Peer(sock, bool(client_common & (1 << CAP_MINI_HEADER))), ctype

    def _serve(self, sock):
        try:
            peer, ctype = self._link(sock)
            if ctype == CHANNEL_MAIN:
                self._serve_main(peer)
            elif ctype == CHANNEL_DISPLAY:
                self._serve_display(peer)
            else:
                _drain(peer)
        except (OSError, ConnectionError, ValueError, struct.error):
            pass

    def _serve_main(self, peer):
        self.main_peer = peer
        peer.send(MSG_MAIN_INIT, self.main_init)
        while True:
            mtype, _ = peer.read()
            if mtype == MSGC_MAIN_ATTACH_CHANNELS:
                peer.send(MSG_MAIN_CHANNELS_LIST, struct.pack('<IBB', 1, CHANNEL_DISPLAY, 0))

    def _serve_display(self, peer):
        got_init = threading.Event()
        pong = threading.Event()

        def reader():
            try:
                while True:
                    mtype, body = peer.read()
                    if mtype == MSGC_DISPLAY_INIT:
                        got_init.set()
                    elif mtype == MSGC_PONG and body[:4] == struct.pack('<I', 0xbe4c):
                        pong.set()
            except (OSError, ConnectionError, ValueError, struct.error):
                got_init.set()

        threading.Thread(target=reader, daemon=True).start()
        got_init.wait(2.0)
        data = None if self.paced else b''.join(peer.frame(t, b) for t, b in self.rec.display_messages)
        if self.video_clock is not None and self.main_peer is not None:
            # Linking took a while since MAIN_INIT: set the clock again as the video starts.
            self.main_peer.send(MSG_MAIN_MULTI_MEDIA_TIME, struct.pack('<I', self.video_clock))
        if self.on_replay_start:
            self.on_replay_start()
        start = time.monotonic()
        if data is not None:
            peer.sock.sendall(data)
        else:
            # Video: frames are shown on the clock and a STREAM_DESTROY drops what is still
            # queued, so each message goes when the server sent it.
            for (mtype, body), at in zip(self.rec.display_messages, self.rec.arrival_seconds):
                wait = start + at - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                peer.send(mtype, body)
        peer.send(MSG_PING, struct.pack('<IQ', 0xbe4c, time.monotonic_ns()))
        if pong.wait(300):
            # Frames queued for their time are decoded and shown then: wait for the last one.
            left = start + self.video_seconds + 0.3 - time.monotonic()
            if self.video_seconds and left > 0:
                time.sleep(left)
            self.replay_seconds = time.monotonic() - start
            if self.on_replay_end:
                self.on_replay_end()
            self.replayed.set()


def _recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError('client closed during the link')
        data += chunk
    return bytes(data)


def _drain(peer):
    while True:
        peer.read()
