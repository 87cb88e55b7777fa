#!/usr/bin/env python3
# Writes the protocol fuzz seeds (corpus/link, corpus/framing) from captures/wire.log bytes and
# hand-made edge cases. Run from this directory: ./.make-seeds.py (hidden so the driver skips it).
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
LINK = HERE
FRAMING = os.path.join(HERE, '..', 'framing')

CLIENT_LINK = bytes.fromhex(
    '5245445102000000020000001a0000000000000001000100000001000000120000000d0000000f000000')
SERVER_REPLY = bytes.fromhex(
    '524544510200000002000000ba0000000000000030819f300d06092a864886f70d010101050003818d0030818902'
    '818100b445902ee3d2c0ce0b3e252d66ba7912bd2d5f4a6fb14a02ef000aad2bc8735e4ff82117afb41b8f29d684'
    '876d9c1349e6fb92951ce8140972d81a1a0d119a35aa43d96502a93fea0058cde41c13134eb373e615465d9b4f4d'
    '22ced20324e759153cd952fefa309c0ab259a8bac4d084ef8fd4051e52834e82c60fc1afdbeb4f020301000101'
    '00000001000000b20000000b0000000f000000')
DISPLAY_LINK = bytes.fromhex(
    '5245445102000000020000001a000000ae0456d602000100000001000000120000000d000000bf6f0000')


def header(size, magic=b'REDQ', major=2, minor=2):
    return magic + struct.pack('<III', major, minor, size)


def mess(conn, ctype, cid, common, channel, offset=18, pad=b''):
    body = struct.pack('<IBBIII', conn, ctype, cid, len(common), len(channel), offset) + pad
    body += b''.join(struct.pack('<I', c) for c in common + channel)
    return header(len(body)) + body


def reply(error, common, channel):
    if error:
        return header(178) + struct.pack('<I', error) + bytes(174)
    body = struct.pack('<I', 0) + bytes(162) + struct.pack('<III', len(common), len(channel), 178)
    body += b''.join(struct.pack('<I', c) for c in common + channel)
    return header(len(body)) + body


def write(directory, name, data):
    with open(os.path.join(directory, name), 'wb') as f:
        f.write(data)


write(LINK, 'client-main-link', CLIENT_LINK)
write(LINK, 'client-display-link', DISPLAY_LINK)
write(LINK, 'server-reply', SERVER_REPLY)
write(LINK, 'server-error-reply', reply(5, [], []))
write(LINK, 'mess-many-caps', mess(0x12345678, 2, 0, [0xb] * 3, list(range(40))))
write(LINK, 'mess-padded-caps', mess(0, 1, 0, [0xd], [0xf], offset=22, pad=b'\0\0\0\0'))
write(LINK, 'mess-overflowing-counts', header(26) + struct.pack('<IBBIII', 0, 1, 0, 0x40000000, 0, 18)
      + bytes(8))
write(LINK, 'mess-offset-past-end', header(26) + struct.pack('<IBBIII', 0, 1, 0, 1, 1, 0xfffffffc)
      + bytes(8))
write(LINK, 'bad-magic', b'GET / HTTP/1.1\r\n' + CLIENT_LINK[16:])
write(LINK, 'bad-version', header(26, major=1) + CLIENT_LINK[16:])
write(LINK, 'auth-and-result', struct.pack('<I', 1))


def mini(mtype, body):
    return struct.pack('<HI', mtype, len(body)) + body


def full(serial, mtype, body, sub_list=0):
    return struct.pack('<QHII', serial, mtype, len(body), sub_list) + body


# From captures/wire.log: SET_ACK(1, 20), ACK_SYNC(1), PING 1 and PONG 1, the 256012-byte PING
# header (body cut to 64 bytes), MAIN_INIT's header.
write(FRAMING, 'set-ack', bytes.fromhex('0300080000000100000014000000'))
write(FRAMING, 'ack-sync', bytes.fromhex('01000400000001000000'))
write(FRAMING, 'ping', bytes.fromhex('04000c00000001000000a7ff493b00000000'))
write(FRAMING, 'pong', bytes.fromhex('03000c00000001000000a7ff493b00000000'))
write(FRAMING, 'ping-padded', bytes.fromhex('04000ce8030003000000bdff493b00000000') + bytes(64))
write(FRAMING, 'notify', mini(7, struct.pack('<QIIII', 1, 1, 2, 3, 28)
                               + b'keyboard channel is insecure\0'))
write(FRAMING, 'notify-lying-length', mini(7, struct.pack('<QIIII', 1, 1, 2, 3, 0xffffffff) + b'x'))
write(FRAMING, 'wait-for-channels', mini(5, struct.pack('<B', 2) + struct.pack('<BBQ', 2, 0, 42)
                                          + struct.pack('<BBQ', 2, 1, 7)))
write(FRAMING, 'wait-lying-count', mini(5, struct.pack('<B', 255) + struct.pack('<BBQ', 2, 0, 42)))
write(FRAMING, 'disconnecting-full', full(9, 6, struct.pack('<QI', 123, 7)))
write(FRAMING, 'set-ack-full', full(1, 3, struct.pack('<II', 1, 20)))
write(FRAMING, 'huge-size', struct.pack('<HI', 101, 0xffffffff) + bytes(12))
