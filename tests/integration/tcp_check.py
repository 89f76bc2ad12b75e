#!/usr/bin/python3
"""A checksum-verified TCP transfer in both directions, for tests.

    tcp_check.py server ADDR PORT        (one connection, then exits)
    tcp_check.py client ADDR PORT NBYTES [SRCADDR]

The client sends NBYTES of seeded random data after an 8-byte length; the
server answers with the SHA-256 of what it received, then sends NBYTES of
its own seeded data, which the client checks.  Exit 0 only if both
directions arrived intact.
"""
import hashlib
import random
import socket
import struct
import sys


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        chunk = s.recv(min(65536, n - len(out)))
        if not chunk:
            raise EOFError(f"connection closed after {len(out)} of {n}")
        out += chunk
    return bytes(out)


def data(seed, n):
    return random.Random(seed).randbytes(n)


def server(addr, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("listening", flush=True)
    ls.settimeout(60)
    s, _ = ls.accept()
    s.settimeout(60)
    n = struct.unpack("!Q", recv_exact(s, 8))[0]
    h = hashlib.sha256(recv_exact(s, n)).digest()
    s.sendall(h + data(2, n))
    s.close()
    return 0


def client(addr, port, n, src=None):
    s = socket.socket()
    s.settimeout(60)
    if src:
        s.bind((src, 0))
    s.connect((addr, port))
    mine = data(1, n)
    s.sendall(struct.pack("!Q", n) + mine)
    h = recv_exact(s, 32)
    back = recv_exact(s, n)
    s.close()
    ok_up = h == hashlib.sha256(mine).digest()
    ok_down = back == data(2, n)
    print(f"up {'ok' if ok_up else 'CORRUPT'} down "
          f"{'ok' if ok_down else 'CORRUPT'} bytes {n}", flush=True)
    return 0 if ok_up and ok_down else 1


if __name__ == "__main__":
    if sys.argv[1] == "server":
        sys.exit(server(sys.argv[2], int(sys.argv[3])))
    sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
                    sys.argv[5] if len(sys.argv) > 5 else None))
