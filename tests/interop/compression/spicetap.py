"""spicetap: a TCP relay between a SPICE client and server that records what the display channel carries.

    tap = SpiceTap(server_port, listen_port[, server_to_client_bps])
    ... point the client at listen_port ...
    tap.display_caps      # the client's display-channel caps (bit numbers)
    tap.images            # [(image type name, image bytes)] of every DRAW_COPY, in order
    tap.close()

Bytes are relayed unchanged. The relay parses only what it needs: the client's link message
(channel type, caps), the server's link reply (caps: mini header or full header), the link
result, then the server's message headers; DRAW_COPY bodies give the image descriptor's type and
the image's size. With @server_to_client_bps the server-to-client direction is throttled to that
rate (all channels), so the server's network test finds a slow link.

Plain TCP only (no TLS). Threads: one accept thread and two per connection; every socket is
closed by close().
"""
import socket
import struct
import threading
import time

MINI_HEADER_CAP = 3                  # SPICE_COMMON_CAP_MINI_HEADER
CHANNEL_DISPLAY = 2
MSG_DISPLAY_DRAW_COPY = 304
IMAGE_TYPES = {0: 'BITMAP', 1: 'QUIC', 100: 'LZ_PLT', 101: 'LZ_RGB', 102: 'GLZ_RGB',
               103: 'FROM_CACHE', 104: 'SURFACE', 105: 'JPEG', 106: 'FROM_CACHE_LOSSLESS',
               107: 'ZLIB_GLZ_RGB', 108: 'JPEG_ALPHA', 109: 'LZ4'}
DESCRIPTOR = struct.Struct('<QBBII')  # id, type, flags, width, height


def _read_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _caps_of(mess, caps_offset, num_common, num_channel):
    """(common caps, channel caps) as sets of bit numbers; bounds-checked."""
    def bits(words):
        return {w * 32 + b for w, word in enumerate(words) for b in range(32) if word >> b & 1}
    n = num_common + num_channel
    if n > 64 or caps_offset + 4 * n > len(mess):
        return set(), set()
    words = struct.unpack_from('<%dI' % n, mess, caps_offset)
    return bits(words[:num_common]), bits(words[num_common:])


def image_extent(body, off):
    """Bytes of the image at @off: descriptor plus its type's body."""
    _, itype, _, _, _ = DESCRIPTOR.unpack_from(body, off)
    p = off + DESCRIPTOR.size
    if itype in (1, 101, 102, 105, 109):           # data_size u32 + data
        return DESCRIPTOR.size + 4 + struct.unpack_from('<I', body, p)[0]
    if itype == 107:                               # glz_data_size, data_size, data
        return DESCRIPTOR.size + 8 + struct.unpack_from('<I', body, p + 4)[0]
    if itype == 108:                               # flags u8, jpeg_size, data_size, data
        return DESCRIPTOR.size + 9 + struct.unpack_from('<I', body, p + 5)[0]
    if itype == 100:                               # flags u8, data_size u32, palette u32, data
        return DESCRIPTOR.size + 9 + struct.unpack_from('<I', body, p + 1)[0]
    if itype == 0:                                 # format, flags, x, y, stride, palette, rows
        _, _, _, y, stride = struct.unpack_from('<BBIII', body, p)
        return DESCRIPTOR.size + 18 + y * stride
    return DESCRIPTOR.size


def draw_copy_image(body):
    """(type name, bytes) of a DRAW_COPY body's source image."""
    clip_type = body[20]
    p = 21
    if clip_type == 1:
        count, = struct.unpack_from('<I', body, p)
        p += 4 + 16 * count
    src_ptr, = struct.unpack_from('<I', body, p)
    _, itype, _, _, _ = DESCRIPTOR.unpack_from(body, src_ptr)
    return IMAGE_TYPES.get(itype, str(itype)), image_extent(body, src_ptr)


class SpiceTap:
    def __init__(self, server_port, listen_port, server_to_client_bps=None):
        self.server_port = server_port
        self.port = listen_port
        self.bps = server_to_client_bps
        self.lock = threading.Lock()
        self.display_caps = set()
        self.images = []
        self.errors = []
        self._socks = []
        self._closed = False
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', listen_port))
        self.listener.listen(16)
        self._socks.append(self.listener)
        threading.Thread(target=self._accept, daemon=True).start()

    def image_types(self):
        with self.lock:
            return [t for t, _ in self.images]

    def close(self):
        self._closed = True
        for s in self._socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- relay ---------------------------------------------------------------------------------
    def _accept(self):
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(('127.0.0.1', self.server_port))
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socks += [client, server]
            conn = {'channel': None, 'client_common': set(), 'ready': threading.Event()}
            threading.Thread(target=self._client_to_server, args=(client, server, conn),
                             daemon=True).start()
            threading.Thread(target=self._server_to_client, args=(server, client, conn),
                             daemon=True).start()

    def _client_to_server(self, client, server, conn):
        try:
            header = _read_exact(client, 16)
            _, _, _, size = struct.unpack('<4sIII', header)
            mess = _read_exact(client, size)
            server.sendall(header + mess)
            _, ctype, _, ncommon, nchannel, caps_offset = struct.unpack_from('<IBBIII', mess, 0)
            common, channel = _caps_of(mess, caps_offset, ncommon, nchannel)
            conn['channel'] = ctype
            conn['client_common'] = common
            if ctype == CHANNEL_DISPLAY:
                with self.lock:
                    self.display_caps = channel
            conn['ready'].set()
            while True:
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)
        except (OSError, EOFError, struct.error):
            pass
        finally:
            conn['ready'].set()
            self._shut(server)

    def _send_throttled(self, sock, data):
        if not self.bps:
            sock.sendall(data)
            return
        step = 4096
        for i in range(0, len(data), step):
            piece = data[i:i + step]
            sock.sendall(piece)
            time.sleep(len(piece) * 8 / self.bps)

    def _server_to_client(self, server, client, conn):
        try:
            header = _read_exact(server, 16)
            _, _, _, size = struct.unpack('<4sIII', header)
            reply = _read_exact(server, size)
            self._send_throttled(client, header + reply)
            _, ncommon, nchannel, caps_offset = struct.unpack_from('<I162xIII', reply, 0)
            server_common, _ = _caps_of(reply, caps_offset, ncommon, nchannel)
            conn['ready'].wait(5)
            mini = MINI_HEADER_CAP in server_common and MINI_HEADER_CAP in conn['client_common']
            self._send_throttled(client, _read_exact(server, 4))   # link result
            head_size = 6 if mini else 18
            while True:
                head = _read_exact(server, head_size)
                if mini:
                    mtype, msize = struct.unpack('<HI', head)
                else:
                    _, mtype, msize, _ = struct.unpack('<QHII', head)
                body = _read_exact(server, msize)
                if conn['channel'] == CHANNEL_DISPLAY and mtype == MSG_DISPLAY_DRAW_COPY:
                    try:
                        record = draw_copy_image(body)
                    except (struct.error, IndexError) as e:
                        record = ('unparsed', 0)
                        self.errors.append('DRAW_COPY of %d bytes: %s' % (msize, e))
                    with self.lock:
                        self.images.append(record)
                self._send_throttled(client, head + body)
        except (OSError, EOFError, struct.error):
            pass
        finally:
            self._shut(client)

    @staticmethod
    def _shut(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
