#!/usr/bin/python3
"""Write the seed corpora of fuzz_esp_engine and fuzz_ike_phase1 (their
input formats are described at the top of each target)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

# fuzz_esp_engine's SAs: the remote end of each (inbound source)
REMOTE = ["172.21.91.5", "172.21.91.37", "172.21.91.69", "172.21.91.101",
          "172.21.91.133", "10.0.0.20", "172.21.91.165", "172.21.93.1"]
LOCAL = "192.168.20.10"


def addr(a):
    return bytes(int(x) for x in a.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(src, dst, proto, payload):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000,
                    64, proto, 0, addr(src), addr(dst))
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload


def udp(src, dst, sport, dport, data):
    return ip4(src, dst, 17, struct.pack(">HHHH", sport, dport,
                                         8 + len(data), 0) + data)


def tcp(src, dst, sport, dport, seq, flags, data):
    return ip4(src, dst, 6, struct.pack(">HHIIBBHHH", sport, dport, seq,
                                        1000, 5 << 4, flags, 4000, 0, 0) +
               data)


def rec(kind, body):
    return struct.pack(">BH", kind, len(body)) + body


def sealed(sa, flags, seq, inner, more=False):
    return rec(2 | (0x80 if more else 0),
               struct.pack(">BBQ", sa, flags, seq) + inner)


def tun(pkt, more=False):
    return rec(3 | (0x80 if more else 0), pkt)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def engine():
    payload = bytes(range(64))
    for i, r in enumerate(REMOTE):
        if i == 5:
            inner = udp(r, "10.0.0.11", 5000, 53, payload)
            out = udp("10.0.0.11", r, 53, 5000, payload)
        else:
            inner = udp(r, LOCAL if i != 7 else "192.168.20.1", 5000, 53,
                        payload)
            dst = r if i != 7 else "172.21.93.1"
            src = LOCAL if i != 7 else "192.168.20.1"
            out = udp(src, dst, 53, 5000, payload)
        write("esp_engine", "in-sa%d" % i, sealed(i, i & 1, 1, inner))
        write("esp_engine", "out-sa%d" % i, tun(out))
    # the whole plaintext: inner packet, padding 1, 2, pad length, next header
    inner = udp(REMOTE[0], LOCAL, 5000, 53, bytes(14))
    body = inner + b"\x01\x02\x02\x04"
    body += bytes(-len(body) % 16)
    write("esp_engine", "in-whole", sealed(0, 2, 7, body))
    # a TCP train and a UDP train, coalesced for the TUN device
    train = b""
    for k in range(4):
        train += sealed(0, 0, k + 1,
                        tcp(REMOTE[0], LOCAL, 80, 40000, 1000 + 100 * k,
                            0x18 if k == 3 else 0x10, bytes([k]) * 100),
                        more=k < 3)
    write("esp_engine", "in-tcp-train", train)
    # the same while the TUN device refuses writes
    write("esp_engine", "in-tun-full", rec(6, b"\x01") + train)
    train = b""
    for k in range(3):
        train += sealed(3, 1, k + 1,
                        udp(REMOTE[3], LOCAL, 4000, 4001, bytes([k]) * 200),
                        more=k < 2)
    write("esp_engine", "in-udp-train", train)
    # ESN: SA 1's window is near 2^32, the high half moves
    write("esp_engine", "in-esn-wrap",
          sealed(1, 1, 0xffffff80, udp(REMOTE[1], LOCAL, 1, 2, payload),
                 more=True) +
          sealed(1, 1, 0x100000005, udp(REMOTE[1], LOCAL, 1, 2, payload)))
    # a replay, and a packet with a bad ICV
    p = sealed(2, 0, 9, udp(REMOTE[2], LOCAL, 1, 2, payload))
    write("esp_engine", "in-replay", p + p)
    bad = bytearray(ip4("10.0.0.20", "10.0.0.11", 50,
                        struct.pack(">II", 0x1000, 1) + bytes(60)))
    write("esp_engine", "raw-bad-icv", rec(0, bytes(bad)))
    # port 4500: IKE behind the non-ESP marker, a keepalive, a GRO batch
    write("esp_engine", "udp-ike",
          rec(1, b"\0\0" + b"\0\0\0\0" + bytes(range(28))))
    write("esp_engine", "udp-keepalive", rec(1, b"\0\0\xff"))
    esp = struct.pack(">II", 0x1003, 1) + bytes(40)
    write("esp_engine", "udp-gro", rec(1, struct.pack(">H", len(esp)) +
                                       esp * 3 + esp[:20]))
    # the TUN side: a bypass, no SA (acquire), a host pair's other flows
    write("esp_engine", "out-misc",
          tun(udp(LOCAL, "172.21.91.31", 1, 2, payload), True) +
          tun(udp(LOCAL, "172.21.92.5", 1, 2, payload), True) +
          tun(udp("192.168.20.2", "172.21.93.1", 1, 2, payload), True) +
          tun(tcp(LOCAL, REMOTE[2], 1, 2, 0, 0x10, payload)))
    # a batch of equal packets on the UDP-encapsulated SA (UDP GSO)
    pkt = udp(LOCAL, REMOTE[1], 9, 9, bytes(300))
    write("esp_engine", "out-gso", tun(pkt, True) * 5 + tun(pkt))
    # a TSO super-packet from the TUN device with offloads
    seg = tcp(LOCAL, REMOTE[0], 40000, 80, 5000, 0x18, bytes(range(256)) * 8)
    vnet = struct.pack("<BBHHHH", 1, 1, 40, 500, 20, 16)
    write("esp_engine", "out-tso", rec(4, vnet + seg))
    # a lifetime in kilobytes used up (SA 4: 4,000 bytes)
    write("esp_engine", "out-lifetime",
          tun(udp(LOCAL, REMOTE[4], 1, 2, bytes(1300)), True) * 3 +
          tun(udp(LOCAL, REMOTE[4], 1, 2, bytes(1300))))
    # a standby drops what it would send
    write("esp_engine", "out-standby",
          rec(5, b"\x02") + tun(udp(LOCAL, REMOTE[0], 1, 2, payload)))


def phase1():
    # byte 0: target | suite << 4; byte 1: flags (4: the exchange goes on)
    names = ["mm5", "mm6", "am1", "am2", "am3"]
    for t, n in enumerate(names):
        write("ike_phase1", n, bytes([t, 4]))
        for s in range(1, 4):
            write("ike_phase1", "%s-suite%d" % (n, s), bytes([t | s << 4, 0]))
    # Main Mode 5: the genuine ID, a HASH made here, INITIAL-CONTACT
    ic = struct.pack(">IBBH", 1, 1, 0, 24578)
    write("ike_phase1", "mm5-ic",
          bytes([0, 4]) + b"\x01\x00\x02" + b"\x00\x0b" +
          struct.pack(">H", len(ic)) + ic)
    # Main Mode 5 and 6 with an FQDN ID of their own and a HASH for it
    fqdn = b"\x02\x11\x01\xf4peer.example"
    for t in (0, 1):
        write("ike_phase1", "%s-fqdn" % names[t],
              bytes([t, 0]) + b"\x00\x05" + struct.pack(">H", len(fqdn)) +
              fqdn + b"\x02")
    # Aggressive Mode 3 in clear, and twice
    write("ike_phase1", "am3-clear", bytes([4, 1]))
    write("ike_phase1", "am3-twice", bytes([4, 2]))
    # a behind a NAT (8): each genuine message, on to Quick Mode; with the
    # NAT mapping a anew before the message (16) and after it (32); each
    # policy
    for t, n in enumerate(names):
        write("ike_phase1", "%s-nat" % n, bytes([t, 8 | 4]))
        write("ike_phase1", "%s-nat-remap" % n, bytes([t, 32 | 16 | 8 | 4]))
        for s in range(1, 4):
            write("ike_phase1", "%s-nat-suite%d" % (n, s),
                  bytes([t | s << 4, 8]))
    write("ike_phase1", "mm5-nat-ic",
          bytes([0, 8 | 4]) + b"\x01\x00\x02" + b"\x00\x0b" +
          struct.pack(">H", len(ic)) + ic)
    for t in (0, 1):
        write("ike_phase1", "%s-nat-fqdn" % names[t],
              bytes([t, 8]) + b"\x00\x05" + struct.pack(">H", len(fqdn)) +
              fqdn + b"\x02")
    write("ike_phase1", "am3-nat-clear", bytes([4, 8 | 1]))
    write("ike_phase1", "am3-nat-twice", bytes([4, 8 | 2]))
    # a HASH that does not match, with the genuine payloads around it
    # (AM2: SA, KE, Nr, ID, HASH, then the vendor IDs and NAT-D): the
    # receiver fails, and behind the NAT no port may move
    bad = b"\x00\x08" + struct.pack(">H", 32) + bytes(range(0x40, 0x60))
    badhash = {
        0: b"\x01\x00" + bad,
        1: b"\x01\x00" + bad,
        3: b"\x01\x00\x01\x01\x01\x02\x01\x03" + bad + b"\x03\x05",
        4: bad + b"\x03\x01",
    }
    for t, items in badhash.items():
        write("ike_phase1", "%s-badhash" % names[t], bytes([t, 4]) + items)
        write("ike_phase1", "%s-nat-badhash" % names[t],
              bytes([t, 8 | 4]) + items)
    # Aggressive Mode 1 without the RFC 3947 vendor ID (SA, KE, Ni, ID,
    # then from the first draft's on): NAT-T by the drafts, NAT-D of
    # type 130.  Sent twice, so that b's answer, larger than one message
    # 1, is not held back for a retransmission that is not a duplicate
    write("ike_phase1", "am1-nat-draft",
          bytes([2, 8 | 4 | 2]) + b"\x01\x00\x01\x01\x01\x02\x01\x03\x03\x05")


if __name__ == "__main__":
    engine()
    phase1()
