"""Helpers for the election's integration tests and bench/vrrp-takeover.

- Capture: tcpdump on a test switch, and a pcap reader that decodes VRRP
  adverts (with which checksum form they carry) and ARP frames.
- longest_alternation(): the dual-master check on the wire.
- arp(): ask for an address from a client namespace (arpprobe.py).
- Keepalived: keepalived 2.2.7 as the other router, in its namespace.
- SplitWatch: samples both nodes' show standby and records any sample in
  which a node's groups disagree (one Active, another Standby).
"""

import json
import os
import signal
import struct
import threading
import time

from topology import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
ARPPROBE = os.path.join(HERE, "arpprobe.py")
PYTHON = "/usr/bin/python3"


# ---- the wire ---------------------------------------------------------------

def _csum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Advert:
    def __init__(self, t, src, ttl, vrid, prio, interval, form, addrs):
        self.t, self.src, self.ttl = t, src, ttl
        self.vrid, self.prio, self.interval = vrid, prio, interval
        self.form, self.addrs = form, addrs

    def __repr__(self):
        return (f"<{self.t:.3f} {self.src} vrid {self.vrid} prio "
                f"{self.prio} ttl {self.ttl} {self.form}>")


class Arp:
    def __init__(self, t, op, sha, spa, tpa):
        self.t, self.op, self.sha, self.spa, self.tpa = t, op, sha, spa, tpa

    @property
    def gratuitous(self):
        return self.op == 1 and self.spa == self.tpa


def read_pcap(path):
    """Adverts and ARP frames of an Ethernet pcap, in capture order."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    div = 1e9 if magic == 0xA1B23C4D else 1e6
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = sec + frac / div
        if len(frame) < 14:
            continue
        etype = struct.unpack("!H", frame[12:14])[0]
        if etype == 0x0806 and len(frame) >= 42:
            op = struct.unpack("!H", frame[20:22])[0]
            out.append(Arp(t, op, ":".join(f"{x:02x}" for x in
                                           frame[22:28]),
                           ".".join(map(str, frame[28:32])),
                           ".".join(map(str, frame[38:42]))))
        elif etype == 0x0800 and len(frame) >= 34:
            ip = frame[14:]
            ihl = (ip[0] & 0x0F) * 4
            if ip[9] != 112:
                continue
            total = struct.unpack("!H", ip[2:4])[0]
            msg = ip[ihl:total]
            if len(msg) < 8:
                continue
            src, dst = ip[12:16], ip[16:20]
            pseudo = src + dst + bytes([0, 112]) + \
                struct.pack("!H", len(msg))
            if _csum(pseudo + msg) == 0:
                form = "pseudo-header"
            elif _csum(msg) == 0:
                form = "rfc9568"
            else:
                form = "bad"
            n = msg[3]
            addrs = [".".join(map(str, msg[8 + 4 * i:12 + 4 * i]))
                     for i in range(n)]
            out.append(Advert(t, ".".join(map(str, src)), ip[8], msg[1],
                              msg[2], struct.unpack("!H", msg[4:6])[0] &
                              0xFFF, form, addrs))
    return out


class Capture:
    """tcpdump of VRRP and ARP on a switch's bridge, started and stopped
    through the topology (so cleanup stops it too)."""

    def __init__(self, topo, switch, name):
        self.topo = topo
        self.name = name
        self.path = topo.path(f"{name}.pcap")
        self.proc = topo.spawn(f"sw{switch}",
                               ["tcpdump", "-i", "br0", "-U", "-n",
                                "--immediate-mode",
                                "-s", "256", "-w", self.path,
                                "proto 112 or arp"], name)
        wait_for(lambda: "listening on" in topo.log(name), 10,
                 what=f"tcpdump {name}")

    def stop(self):
        time.sleep(0.2)         # the last frames reach the file
        self.topo.stop(self.proc)
        return read_pcap(self.path)


def adverts(frames, vrid=None):
    return [f for f in frames if isinstance(f, Advert) and
            (vrid is None or f.vrid == vrid)]


def garps(frames, vip):
    return [f for f in frames if isinstance(f, Arp) and f.gratuitous and
            f.spa == vip]


def active_spans(frames, vrid, gap=0.25):
    """Per router address, the [first, last] advert times of each stretch
    during which it was Active on the wire for vrid: from an advert
    (priority > 0) until its last one before a silence longer than gap."""
    spans = {}
    for a in adverts(frames, vrid):
        if a.prio == 0:
            continue
        s = spans.setdefault(a.src, [])
        if s and a.t - s[-1][1] <= gap:
            s[-1][1] = a.t
        else:
            s.append([a.t, a.t])
    return spans


def dual_active(frames, vrid, gap=0.25):
    """Seconds during which two routers were both Active on the wire for
    vrid (see active_spans).  A takeover leaves at most an advert's flight
    of overlap; two Active routers that do not yield add up to the whole
    time they coexist."""
    spans = active_spans(frames, vrid, gap)
    total = 0.0
    routers = sorted(spans)
    for i, x in enumerate(routers):
        for y in routers[i + 1:]:
            for a0, a1 in spans[x]:
                for b0, b1 in spans[y]:
                    total += max(0.0, min(a1, b1) - max(a0, b0))
    return total


# ---- clients ----------------------------------------------------------------

def arp(topo, node, ifname, src, target, seconds=1.0):
    """MACs answering one ARP request for target, from node."""
    r = topo.run(node, [PYTHON, ARPPROBE, ifname, src, target,
                        str(seconds)], timeout=seconds + 10)
    return json.loads(r.stdout)


def mac_of(topo, node, ifname):
    with_ns = topo.run(node, ["cat", f"/sys/class/net/{ifname}/address"])
    return with_ns.stdout.strip()


def has_addr(topo, node, ifname, addr):
    out = topo.run(node, ["ip", "-4", "-o", "addr", "show", "dev",
                          ifname]).stdout
    return f" {addr}/" in out


# ---- havpnd -----------------------------------------------------------------

def standby(node):
    """{group: state} from show standby --json."""
    return {g["group"]: g["state"] for g in
            node.json("show", "standby")["groups"]}


def group_of(node, grp):
    """One group's facts from show standby --json."""
    return next(g for g in node.json("show", "standby")["groups"]
                if g["group"] == grp)


def all_in(node, state):
    s = standby(node)
    return bool(s) and all(v == state for v in s.values())


class SplitWatch:
    """Samples show standby on the nodes every ~50 ms in a thread; a
    sample where one node's groups are not all in the same state (links
    up) is a split."""

    def __init__(self, nodes):
        self.nodes = nodes
        self.splits = []
        self.samples = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            for n in self.nodes:
                if n.proc.poll() is not None:
                    continue
                try:
                    groups = n.json("show", "standby")["groups"]
                except Exception:
                    continue
                states = {g["state"] for g in groups if g["link_up"]}
                self.samples += 1
                if len(states) > 1:
                    self.splits.append((n.node, time.monotonic(),
                                        [(g["group"], g["state"])
                                         for g in groups]))
            time.sleep(0.05)

    def stop(self):
        self._stop.set()
        self._t.join(10)
        return self.splits


def gone(pid):
    """Dead: no such process, or a zombie nobody reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# ---- crafted adverts --------------------------------------------------------

def build_advert(src, vrid, prio, interval, addrs, form="pseudo-header",
                 ttl=255, version=3, cut=0, extra=b""):
    """An IPv4 packet with a VRRP advert (IP header checksum included);
    cut removes bytes from the end of the VRRP message, extra adds some."""
    import socket
    msg = bytes([version << 4 | 1, vrid, prio, len(addrs)]) + \
        struct.pack("!HH", interval, 0) + \
        b"".join(socket.inet_aton(a) for a in addrs) + extra
    s, d = socket.inet_aton(src), socket.inet_aton("224.0.0.18")
    ph = s + d + bytes([0, 112]) + struct.pack("!H", len(msg)) \
        if form == "pseudo-header" else b""
    c = _csum(ph + msg) if form != "bad" else 0x1234
    msg = msg[:6] + struct.pack("!H", c) + msg[8:]
    if cut:
        msg = msg[:-cut]
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0xC0, 20 + len(msg), 0, 0,
                      ttl, 112, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + msg


SENDER = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
mac = s.getsockname()[4]
for h in sys.argv[2:]:
    s.send(bytes.fromhex("01005e000012") + mac + b"\\x08\\x00" +
           bytes.fromhex(h))
"""


def inject(topo, node, ifname, packets):
    """Send IPv4 packets to 224.0.0.18 from node's ifname, as frames."""
    topo.run(node, [PYTHON, "-c", SENDER, ifname] +
             [p.hex() for p in packets])


# ---- keepalived -------------------------------------------------------------

KEEPALIVED_CONF = """\
global_defs {{
    router_id {name}
    vrrp_version 3
    max_auto_priority -1
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface {ifname}
    virtual_router_id {vrid}
    priority {prio}
    advert_int 0.1
    virtual_ipaddress {{
        {vip}/24 dev {ifname}
    }}
}}
"""


class Keepalived:
    """keepalived 2.2.7 (VRRP only) in a namespace, with its own pid
    files; crash() kills the VRRP child with SIGKILL (killing only the
    parent makes the child stop gracefully)."""

    def __init__(self, topo, node, prio, vip, vrid=1, ifname="eth0"):
        self.topo, self.node = topo, node
        self.conf = topo.write(f"ka-{node}.conf", KEEPALIVED_CONF.format(
            name=node, ifname=ifname, vrid=vrid, prio=prio, vip=vip))
        self.pid = topo.path(f"ka-{node}.pid")
        self.vrrp_pid = topo.path(f"ka-{node}-vrrp.pid")
        for p in (self.pid, self.vrrp_pid):
            if os.path.exists(p):
                os.unlink(p)
        self.proc = topo.spawn(node, ["keepalived", "-n", "-l", "-D", "-G",
                                      "-P", "-R", "-f", self.conf,
                                      "-p", self.pid, "-r", self.vrrp_pid],
                               f"ka-{node}")
        wait_for(lambda: os.path.exists(self.vrrp_pid) and
                 self.child() is not None, 10, what="keepalived child")

    def child(self):
        try:
            with open(self.vrrp_pid) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def crash(self):
        child = self.child()
        if child is not None:
            os.kill(child, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait(5)
        wait_for(lambda: child is None or gone(child), 5,
                 what="keepalived child gone")

    def stop(self):
        """A clean stop: the child sends priority 0 and removes the VIP."""
        return self.topo.stop(self.proc)

    def log(self):
        return self.topo.log(f"ka-{self.node}")
