#!/usr/bin/python3
"""spiceclient: a headless spice-gtk (SpiceClientGLib 2.0) driver for the interop tests.

Library use: SpiceTestClient(host, port, password).connect(); then wait_primary(),
primary_rgb(), send_key(), motion(), position(), mouse_mode ... ; close().
CLI use (one result line on stdout, exit code 0 ok / 1 failure / 2 auth denied / 3 timeout):

  spiceclient.py --port P [--tls-port P --ca-file CA.pem] [--host H] [--password PW] [--timeout S] COMMAND ...
    screenshot --out FILE.png        primary surface 0 as PNG ("screenshot WxH FILE")
    keys --scancodes 0x1e,0xe048     press+release each key in order ("keys sent N")
    mouse --mode server|client [--motion DX,DY ...] [--position X,Y ...] [--buttons MASK]
                                     sets the mouse mode, then sends ("mouse-mode client")
    auth                             "auth ok" or "auth denied" (exit 2) or "auth error KIND"

How the pixels are read: the display channel's "display-primary-create" signal hands python the
address of spice-gtk's primary canvas as an integer (imgdata, a gpointer), valid until
"display-primary-destroy"; we copy stride*height bytes from it with ctypes. The
SpiceDisplayPrimary struct from display_get_primary() is unusable from python (the GI field
offsets are off by 4 bytes in spice-gtk 0.42's typelib: width reads the height).
Scancodes: spice-gtk takes set-1 codes with 0x100 for the E0 prefix (Up = 0x148); this module
also accepts the E0 form (0xe048) and converts it.
"""
import argparse
import ctypes
import sys
import time

import gi

gi.require_version('SpiceClientGLib', '2.0')
from gi.repository import GLib, GObject, SpiceClientGLib as Spice  # noqa: E402

MOUSE_MODE_SERVER = 1   # SPICE_MOUSE_MODE_SERVER
MOUSE_MODE_CLIENT = 2   # SPICE_MOUSE_MODE_CLIENT
SURFACE_FMT_32_xRGB = 32

EXIT_OK, EXIT_FAIL, EXIT_DENIED, EXIT_TIMEOUT = 0, 1, 2, 3


class ClientTimeout(Exception):
    pass


class ClientError(Exception):
    pass


def gtk_scancode(code):
    """Converts an E0-prefixed set-1 code (0xe048) to spice-gtk's form (0x148)."""
    if code >> 8 == 0xE0:
        return 0x100 | (code & 0xFF)
    return code


def channel_kind(channel):
    for cls, name in ((Spice.MainChannel, 'main'), (Spice.DisplayChannel, 'display'),
                      (Spice.InputsChannel, 'inputs'), (Spice.CursorChannel, 'cursor')):
        if isinstance(channel, cls):
            return name
    return type(channel).__name__


class SpiceTestClient:
    def __init__(self, host='127.0.0.1', port=5900, password=None, timeout=20.0, verbose=False,
                 tls_port=None, ca_file=None, compression=None):
        self.host = host
        self.compression = compression   # SpiceImageCompression the client prefers, or None
        self.port = port            # None: no plain port (TLS only)
        self.tls_port = tls_port    # spice-gtk links over TLS there (channels the server secures)
        self.ca_file = ca_file      # the CA spice-gtk verifies the server certificate with
        self.password = password
        self.timeout = timeout
        self.verbose = verbose
        self.session = None
        self.channels = {}          # kind -> channel (id 0)
        self.events = []            # (kind, SpiceChannelEvent)
        self.primary = None         # (format, width, height, stride, address)
        self.primary_creates = 0
        self.marked = False
        self.last_invalidate = 0.0
        self.invalidates = 0
        self.mouse_modes_seen = []
        self.ctx = GLib.MainContext.default()

    # -- plumbing ---------------------------------------------------------------------------
    def _log(self, *args):
        if self.verbose:
            print('spiceclient:', *args, file=sys.stderr, flush=True)

    def iterate(self, seconds):
        """Runs the GLib loop for @seconds."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.ctx.iteration(False) or time.sleep(0.005)

    def run_until(self, predicate, timeout=None, what='condition'):
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise ClientTimeout('timed out after %.1f s waiting for %s (events: %s)'
                                    % (timeout, what, self.event_summary()))
            self.ctx.iteration(False) or time.sleep(0.005)

    def event_summary(self):
        return ', '.join('%s:%s' % (k, e.value_nick if hasattr(e, 'value_nick') else e)
                         for k, e in self.events) or 'none'

    # -- connection -------------------------------------------------------------------------
    def connect(self):
        s = Spice.Session()
        s.set_property('host', self.host)
        if self.port is not None:
            s.set_property('port', str(self.port))
        if self.tls_port is not None:
            s.set_property('tls-port', str(self.tls_port))
        if self.ca_file is not None:
            s.set_property('ca-file', self.ca_file)
        if self.password is not None:
            s.set_property('password', self.password)
        s.set_property('enable-audio', False)
        s.set_property('enable-usbredir', False)
        if self.compression is not None:
            s.set_property('preferred-compression', self.compression)
        GObject.Object.connect(s, 'channel-new', self._on_channel_new)
        self.session = s
        if not Spice.Session.connect(s):
            raise ClientError('spice_session_connect refused %s:%s' % (self.host, self.port))
        return self

    def close(self):
        if self.session is not None:
            self.session.disconnect()
            self.iterate(0.1)
            self.session = None
            self.channels = {}
            self.primary = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()
        return False

    def _on_channel_new(self, session, channel):
        kind = channel_kind(channel)
        self._log('channel-new', kind, channel.get_property('channel-id'))
        if channel.get_property('channel-id') == 0 and kind not in self.channels:
            self.channels[kind] = channel
        GObject.Object.connect(channel, 'channel-event', self._on_channel_event, kind)
        if kind == 'display':
            GObject.Object.connect(channel, 'display-primary-create', self._on_primary_create)
            GObject.Object.connect(channel, 'display-primary-destroy', self._on_primary_destroy)
            GObject.Object.connect(channel, 'display-mark', self._on_mark)
            GObject.Object.connect(channel, 'display-invalidate', self._on_invalidate)
        if kind == 'main':
            GObject.Object.connect(channel, 'notify::mouse-mode', self._on_mouse_mode)
        else:
            Spice.Channel.connect(channel)

    def _on_channel_event(self, channel, event, kind):
        self._log('channel-event', kind, event)
        self.events.append((kind, event))

    def _on_primary_create(self, channel, fmt, width, height, stride, shmid, address):
        self._log('primary-create', fmt, width, height, stride)
        self.primary = (fmt, width, height, stride, address)
        self.primary_creates += 1
        self.last_invalidate = time.monotonic()

    def _on_primary_destroy(self, channel):
        self._log('primary-destroy')
        self.primary = None
        self.marked = False

    def _on_mark(self, channel, mark):
        self._log('mark', mark)
        self.marked = bool(mark)
        self.last_invalidate = time.monotonic()

    def _on_invalidate(self, channel, x, y, w, h):
        self.invalidates += 1
        self.last_invalidate = time.monotonic()

    def _on_mouse_mode(self, channel, pspec):
        mode = channel.get_property('mouse-mode')
        self._log('mouse-mode', mode)
        self.mouse_modes_seen.append(mode)

    # -- state ------------------------------------------------------------------------------
    def has_event(self, kind, event):
        return (kind, event) in self.events

    def auth_failed(self):
        return any(e == Spice.ChannelEvent.ERROR_AUTH for _, e in self.events)

    def failure(self):
        """The first error event (kind, event) seen, or None."""
        bad = (Spice.ChannelEvent.ERROR_AUTH, Spice.ChannelEvent.ERROR_CONNECT,
               Spice.ChannelEvent.ERROR_IO, Spice.ChannelEvent.ERROR_LINK,
               Spice.ChannelEvent.ERROR_TLS)
        for kind, e in self.events:
            if e in bad:
                return kind, e
        return None

    def _fail_fast(self, what):
        f = self.failure()
        if f is not None:
            raise ClientError('%s: channel %s reported %s' % (what, f[0], f[1].value_nick))

    def wait_main_open(self, timeout=None):
        def ready():
            self._fail_fast('linking the main channel')
            return self.has_event('main', Spice.ChannelEvent.OPENED)
        self.run_until(ready, timeout, 'the main channel to open')

    def wait_channel_open(self, kind, timeout=None):
        def ready():
            self._fail_fast('linking the %s channel' % kind)
            return self.has_event(kind, Spice.ChannelEvent.OPENED)
        self.run_until(ready, timeout, 'the %s channel to open' % kind)

    def wait_primary(self, quiet=0.4, settle_max=3.0, timeout=None):
        """Waits for a primary surface and MARK, then until no invalidate for @quiet seconds
        (at most @settle_max: a guest that redraws forever gets a fixed settle time)."""
        def ready():
            self._fail_fast('waiting for the primary surface')
            return self.primary is not None and self.marked
        self.run_until(ready, timeout, 'display-primary-create and display-mark')
        t_end = time.monotonic() + settle_max
        while time.monotonic() < t_end:
            if time.monotonic() - self.last_invalidate >= quiet:
                break
            self.iterate(0.05)
        return self.primary

    def primary_raw(self):
        """(format, width, height, stride, bytes): a copy of spice-gtk's primary canvas."""
        if self.primary is None:
            raise ClientError('no primary surface')
        fmt, width, height, stride, address = self.primary
        if not address or stride <= 0 or height <= 0:
            raise ClientError('primary surface has no pixels (address %r stride %d)' % (address, stride))
        return fmt, width, height, stride, ctypes.string_at(address, stride * height)

    def primary_rgb(self):
        """(width, height, packed RGB) of the primary surface (32-bit xRGB: bytes B,G,R,x)."""
        fmt, width, height, stride, data = self.primary_raw()
        if fmt not in (SURFACE_FMT_32_xRGB, 96):
            raise ClientError('primary surface format %d is not 32-bit xRGB/ARGB' % fmt)
        out = bytearray(width * height * 3)
        view = memoryview(data)
        for y in range(height) if stride != width * 4 else ():
            row = view[y * stride:y * stride + width * 4]
            o = y * width * 3
            out[o:o + width * 3:3] = row[2::4]
            out[o + 1:o + width * 3:3] = row[1::4]
            out[o + 2:o + width * 3:3] = row[0::4]
        if stride == width * 4:
            out[0::3] = view[2::4]
            out[1::3] = view[1::4]
            out[2::3] = view[0::4]
        return width, height, bytes(out)

    def save_png(self, path):
        gi.require_version('GdkPixbuf', '2.0')
        from gi.repository import GdkPixbuf
        width, height, rgb = self.primary_rgb()
        pb = GdkPixbuf.Pixbuf.new_from_bytes(GLib.Bytes.new(rgb), GdkPixbuf.Colorspace.RGB, False,
                                             8, width, height, width * 3)
        pb.savev(path, 'png', [], [])
        return width, height

    # -- input ------------------------------------------------------------------------------
    @property
    def inputs(self):
        ch = self.channels.get('inputs')
        if ch is None:
            raise ClientError('the server offered no inputs channel')
        return ch

    @property
    def mouse_mode(self):
        return self.channels['main'].get_property('mouse-mode')

    def request_mouse_mode(self, mode, timeout=None):
        """Asks for @mode and waits until the server's MOUSE_MODE says so."""
        self.channels['main'].request_mouse_mode(mode)
        self.run_until(lambda: self.mouse_mode == mode, timeout,
                       'mouse mode %d (current %d)' % (mode, self.mouse_mode))

    def key_press(self, code):
        self.inputs.key_press(gtk_scancode(code))

    def key_release(self, code):
        self.inputs.key_release(gtk_scancode(code))

    def send_keys(self, codes, pace=0.02):
        for code in codes:
            self.key_press(code)
            self.iterate(pace)
            self.key_release(code)
            self.iterate(pace)

    def motion(self, dx, dy, buttons=0):
        self.inputs.motion(dx, dy, buttons)

    def position(self, x, y, buttons=0, display=0):
        self.inputs.position(x, y, display, buttons)

    def button_press(self, button, buttons):
        self.inputs.button_press(button, buttons)

    def button_release(self, button, buttons):
        self.inputs.button_release(button, buttons)

    def flush(self, seconds=0.3):
        """Lets spice-gtk write what is queued."""
        self.iterate(seconds)


# -- CLI ------------------------------------------------------------------------------------

def _int_list(text):
    return [int(v, 0) for v in text.split(',') if v.strip()]


def _pairs(values):
    out = []
    for v in values or []:
        a, b = v.split(',')
        out.append((int(a, 0), int(b, 0)))
    return out


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int)
    ap.add_argument('--tls-port', type=int)
    ap.add_argument('--ca-file')
    ap.add_argument('--password')
    ap.add_argument('--timeout', type=float, default=20.0)
    ap.add_argument('--verbose', action='store_true')
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('screenshot')
    p.add_argument('--out', required=True)
    p = sub.add_parser('keys')
    p.add_argument('--scancodes', required=True, type=_int_list)
    p = sub.add_parser('mouse')
    p.add_argument('--mode', choices=('server', 'client'), required=True)
    p.add_argument('--motion', action='append')
    p.add_argument('--position', action='append')
    p.add_argument('--buttons', type=lambda v: int(v, 0), default=0)
    sub.add_parser('auth')
    args = ap.parse_args(argv[1:])
    if args.port is None and args.tls_port is None:
        ap.error('--port or --tls-port is required')

    client = SpiceTestClient(args.host, args.port, args.password, args.timeout, args.verbose,
                             tls_port=args.tls_port, ca_file=args.ca_file)
    try:
        client.connect()
        if args.cmd == 'auth':
            try:
                client.wait_main_open()
            except ClientError:
                if client.auth_failed():
                    print('auth denied')
                    return EXIT_DENIED
                print('auth error %s' % client.event_summary())
                return EXIT_FAIL
            print('auth ok')
            return EXIT_OK
        if args.cmd == 'screenshot':
            client.wait_primary()
            width, height = client.save_png(args.out)
            print('screenshot %dx%d %s' % (width, height, args.out))
            return EXIT_OK
        client.wait_main_open()
        client.wait_channel_open('inputs')
        if args.cmd == 'keys':
            client.send_keys(args.scancodes)
            client.flush()
            print('keys sent %d' % len(args.scancodes))
            return EXIT_OK
        if args.cmd == 'mouse':
            client.wait_primary()
            client.request_mouse_mode(MOUSE_MODE_SERVER if args.mode == 'server' else MOUSE_MODE_CLIENT)
            for dx, dy in _pairs(args.motion):
                client.motion(dx, dy, args.buttons)
                client.iterate(0.02)
            for x, y in _pairs(args.position):
                client.position(x, y, args.buttons)
                client.iterate(0.02)
            client.flush()
            print('mouse-mode %s' % ('client' if client.mouse_mode == MOUSE_MODE_CLIENT else 'server'))
            return EXIT_OK
    except ClientTimeout as e:
        if client.auth_failed():
            print('auth denied')
            return EXIT_DENIED
        print('timeout: %s' % e)
        return EXIT_TIMEOUT
    except ClientError as e:
        if client.auth_failed():
            print('auth denied')
            return EXIT_DENIED
        print('error: %s' % e)
        return EXIT_FAIL
    finally:
        client.close()
    return EXIT_FAIL


if __name__ == '__main__':
    sys.exit(main(sys.argv))
