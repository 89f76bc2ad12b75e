#!/usr/bin/python3
"""Write the seed corpus of fuzz_ike: well-formed ISAKMP messages of each
exchange (plain bodies; the fuzzer also sees the encrypted flag set)."""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "ike")


def pl(ptype, body):
    return (ptype, body)


def chain(payloads):
    out = b""
    for i, (t, body) in enumerate(payloads):
        nxt = payloads[i + 1][0] if i + 1 < len(payloads) else 0
        out += struct.pack(">BBH", nxt, 0, 4 + len(body)) + body
    return out


def msg(exch, flags, msgid, payloads, rc=b"\0" * 8):
    body = chain(payloads)
    first = payloads[0][0] if payloads else 0
    return (b"\x11\x22\x33\x44\x55\x66\x77\x88" + rc +
            struct.pack(">BBBBII", first, 0x10, exch, flags, msgid,
                        28 + len(body)) + body)


def tv(t, v):
    return struct.pack(">HH", 0x8000 | t, v)


def tlv(t, b):
    return struct.pack(">HH", t, len(b)) + b


def xform(num, xid, attrs, last):
    body = struct.pack(">BBH", num, xid, 0) + attrs
    return struct.pack(">BBH", 0 if last else 3, 0, 4 + len(body)) + body


def prop(num, proto, spi, xforms, last):
    body = struct.pack(">BBBB", num, proto, len(spi), len(xforms)) + spi
    for i, x in enumerate(xforms):
        body += xform(i + 1, x[0], x[1], i == len(xforms) - 1)
    return struct.pack(">BBH", 0 if last else 2, 0, 4 + len(body)) + body


def sa(props):
    body = struct.pack(">II", 1, 1)
    for i, p in enumerate(props):
        body += prop(i + 1, p[0], p[1], p[2], i == len(props) - 1)
    return body


p1 = [(1, tv(1, 7) + tv(14, 256) + tv(2, 4) + tv(3, 1) + tv(4, 14) +
       tv(11, 1) + tlv(12, struct.pack(">I", 86400))),
      (1, tv(1, 5) + tv(2, 2) + tv(3, 1) + tv(4, 2) + tv(11, 1) +
       tv(12, 28800))]
rfc3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")
dpd = bytes.fromhex("afcad71368a1f1c96b8696fc77570100")
ident = struct.pack(">BBH", 1, 17, 500) + bytes([10, 0, 0, 11])
sub = struct.pack(">BBH", 4, 0, 0) + bytes([192, 168, 20, 0, 255, 255, 255, 0])
p2 = [(12, tv(1, 1) + tv(2, 3600) + tv(4, 1) + tv(5, 5) + tv(6, 256) +
       tv(3, 14)),
      (20, tv(1, 1) + tlv(2, struct.pack(">I", 4608000)) + tv(4, 3) +
       tv(6, 256))]

msgs = {
    "mm1": msg(2, 0, 0, [pl(1, sa([(1, b"", p1)])), pl(13, rfc3947),
                         pl(13, dpd)]),
    "mm3": msg(2, 0, 0, [pl(4, bytes(256)), pl(10, bytes(32)),
                         pl(20, bytes(32)), pl(20, bytes(32))],
               rc=b"\x99" * 8),
    "mm5": msg(2, 1, 0, [pl(5, ident), pl(8, bytes(32)),
                         pl(11, struct.pack(">IBBH", 1, 1, 16, 24578) +
                            bytes(16))], rc=b"\x99" * 8),
    "am1": msg(4, 0, 0, [pl(1, sa([(1, b"", p1[:1])])), pl(4, bytes(65)),
                         pl(10, bytes(32)), pl(5, ident)]),
    "qm1": msg(32, 1, 0x12345678,
               [pl(8, bytes(32)),
                pl(1, sa([(3, b"\xc0\x01\x02\x03", p2)])),
                pl(10, bytes(32)), pl(4, bytes(256)), pl(5, sub),
                pl(5, sub), pl(21, ident)], rc=b"\x99" * 8),
    "info": msg(5, 1, 0x0badf00d,
                [pl(8, bytes(32)),
                 pl(11, struct.pack(">IBBH", 1, 1, 16, 36136) + bytes(16) +
                    struct.pack(">I", 7)),
                 pl(12, struct.pack(">IBBH", 1, 3, 4, 2) + bytes(8))],
                rc=b"\x99" * 8),
    "rlife": msg(5, 1, 1, [pl(11, struct.pack(">IBBH", 1, 3, 4, 24576) +
                               bytes(4) + tv(1, 1) + tv(2, 30))],
                 rc=b"\x99" * 8),
}
os.makedirs(OUT, exist_ok=True)
for name, data in msgs.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
