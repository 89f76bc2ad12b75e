#!/usr/bin/python3
"""ARP from a client, run inside its namespace (ip netns exec NS ...).

  arpprobe.py IF SRC TARGET [SECONDS]
      Send one ARP request for TARGET from SRC on IF and print, as JSON,
      the sender MACs of every reply heard within SECONDS (default 1).

  arpprobe.py IF SRC TARGET --until MAC [TIMEOUT]
      Ask every 5 ms until MAC answers; print the CLOCK_MONOTONIC time of
      that first answer (the bench's "the VIP answers on the backup").
"""

import json
import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def request(mac, src, target):
    eth = b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + src + \
        b"\x00" * 6 + target
    return eth + arp


def replies(sock, src, target, deadline):
    """Yield (mac, monotonic time) of each reply for target until deadline."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([sock], [], [], left)
        if not r:
            return
        frame = sock.recv(2048)
        now = time.monotonic()
        if len(frame) < 42 or frame[12:14] != b"\x08\x06":
            continue
        op = struct.unpack("!H", frame[20:22])[0]
        if op == 2 and frame[28:32] == target and frame[38:42] == src:
            yield mac_str(frame[22:28]), now


def main():
    ifname, src_s, target_s = sys.argv[1:4]
    src, target = socket.inet_aton(src_s), socket.inet_aton(target_s)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                         socket.htons(ETH_P_ARP))
    sock.bind((ifname, 0))
    mac = sock.getsockname()[4]
    if len(sys.argv) > 4 and sys.argv[4] == "--until":
        want = sys.argv[5].lower()
        timeout = float(sys.argv[6]) if len(sys.argv) > 6 else 5.0
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            sock.send(request(mac, src, target))
            for who, at in replies(sock, src, target,
                                   time.monotonic() + 0.005):
                if who == want:
                    print(f"{at:.6f}")
                    return 0
        print("timeout")
        return 1
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    sock.send(request(mac, src, target))
    print(json.dumps([m for m, _ in replies(sock, src, target,
                                             time.monotonic() + seconds)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
