"""The userspace ESP engine between two namespaces, with static SAs
(tests/tools/esp_static), until IKE installs them.

    [hA 192.168.97.10] -- [gA .97.1 | 10.97.0.1] -- [gB 10.97.0.2 | .98.1] -- [hB 192.168.98.10]

Each transform suite carries pings and a checksum-verified TCP transfer
both ways between the hosts, and the packet and byte counters of both
engines agree.  Then: a captured packet replayed, a corrupted ICV and an
authentic packet outside the SA's selectors are each dropped and counted;
IKE and NAT-keepalive packets on port 4500 are told apart; a policy
without an SA raises one acquire and drops; a deny (BYPASS) policy keeps
its traffic out of the tunnel; lifetimes expire; reverse-route; nothing
is left behind, and a crashed run's rules are swept at the next start.
"""

import json
import os
import signal
import struct
import subprocess
import time

import pytest

from conftest import BIN, REPO
from topology import Havpnd, sh, wait_for

TOOL = os.path.join(REPO, "build", "tools", "esp_static")
HERE = os.path.dirname(os.path.abspath(__file__))
TCP_CHECK = os.path.join(HERE, "tcp_check.py")

ENC_LEN = {"3des": 24, "aes128": 16, "aes192": 24, "aes256": 32,
           "gcm128": 20, "gcm256": 36}
AUTH_LEN = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64}


@pytest.fixture(autouse=True)
def need_tool():
    if not os.access(TOOL, os.X_OK):
        pytest.fail("build/tools/esp_static is missing: run make tools")


def key(n, base):
    return bytes((base + 11 * i) & 0xff for i in range(n))


def sa_words(enc, auth, base):
    w = f"enc={enc} ekey={key(ENC_LEN[enc], base).hex()}"
    if auth:
        w += f" auth={auth} akey={key(AUTH_LEN[auth], base + 1).hex()}"
    return w


class EspStatic:
    """esp_static in a namespace; facts() asks for its show facts."""

    def __init__(self, topo, node, specs, udp=None, tun=None, extra=()):
        self.topo = topo
        self.node = node
        self.name = f"esp-{node}-{len(topo.procs)}"
        self.stats = topo.path(f"{self.name}.json")
        cmd = [TOOL, "-s", self.stats, *extra]
        if udp:
            cmd += ["-u", udp]
        if tun:
            cmd += ["-t", tun]
        self.proc = topo.spawn(node, cmd + list(specs), self.name)
        wait_for(self._ready, 10, what=f"esp_static on {node}")

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"esp_static on {self.node} exited "
                                 f"{self.proc.returncode}:\n{self.log()}")
        return "ready" in self.log() and os.path.exists(self.stats)

    def log(self):
        return self.topo.log(self.name)

    def _gen(self):
        try:
            with open(self.stats) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def facts(self):
        before = (self._gen() or {}).get("generation", 0)
        os.kill(self.proc.pid, signal.SIGUSR1)

        def newer():
            d = self._gen()
            return d if d and d["generation"] > before else None
        return wait_for(newer, 5, what="esp_static facts")

    def flow(self, reqid=1, facts=None):
        facts = facts or self.facts()
        for i in facts["interfaces"]:
            for f in i["flows"]:
                if f["reqid"] == reqid:
                    return f
        raise AssertionError(f"no flow with reqid {reqid}: {facts}")

    def stop(self):
        return self.topo.stop(self.proc)


def build(t, emulated=False):
    """hA -- gA -- gB -- hB, forwarding on the gateways; with emulated,
    gA -- gB through linkem, its process in t.outside_link (set_link())."""
    t.p2p(("hA", "eth0", "192.168.97.10/24"), ("gA", "eth1",
                                               "192.168.97.1/24"))
    if emulated:
        t.outside_link = t.emulated_p2p(("gA", "eth0", "10.97.0.1/24"),
                                        ("gB", "eth0", "10.97.0.2/24"))
    else:
        t.p2p(("gA", "eth0", "10.97.0.1/24"), ("gB", "eth0",
                                                "10.97.0.2/24"))
    t.p2p(("gB", "eth1", "192.168.98.1/24"), ("hB", "eth0",
                                             "192.168.98.10/24"))
    t.route("hA", "default", "192.168.97.1")
    t.route("hB", "default", "192.168.98.1")
    for g in ("gA", "gB"):
        t.run(g, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    return t


def pair_specs(enc, auth, encap=True, esn=False, transport=False,
               extra_a=(), extra_b=(), sa_extra=""):
    """SAs and a PROTECT policy on each side, the two directions keyed
    differently."""
    ab, ba = sa_words(enc, auth, 1), sa_words(enc, auth, 101)
    common = ("encap " if encap else "") + ("esn " if esn else "") + \
        ("transport " if transport else "") + sa_extra
    if transport:
        na, nb = "10.97.0.1/32", "10.97.0.2/32"
    else:
        na, nb = "192.168.97.0/24", "192.168.98.0/24"
    a = [f"sa conn=1 dir=out spi=0x1001 reqid=1 local=10.97.0.1 "
         f"remote=10.97.0.2 {ab} src={na} dst={nb} {common} map=vpn seq=10 "
         f"ifname=eth0 pfs=14",
         f"sa conn=2 dir=in spi=0x2001 reqid=1 local=10.97.0.1 "
         f"remote=10.97.0.2 {ba} src={nb} dst={na} {common} map=vpn seq=10 "
         f"ifname=eth0 pfs=14",
         f"policy id=1 reqid=1 prio=10 protect src={na} dst={nb} "
         f"local=10.97.0.1 peer=10.97.0.2 map=vpn ifname=eth0",
         *extra_a]
    b = [f"sa conn=1 dir=out spi=0x2001 reqid=1 local=10.97.0.2 "
         f"remote=10.97.0.1 {ba} src={nb} dst={na} {common}",
         f"sa conn=2 dir=in spi=0x1001 reqid=1 local=10.97.0.2 "
         f"remote=10.97.0.1 {ab} src={na} dst={nb} {common}",
         f"policy id=1 reqid=1 prio=10 protect src={nb} dst={na} "
         f"local=10.97.0.2 peer=10.97.0.1",
         *extra_b]
    return a, b


def start_pair(t, specs, encap=True):
    a, b = specs
    ea = EspStatic(t, "gA", a, udp="10.97.0.1" if encap else None)
    eb = EspStatic(t, "gB", b, udp="10.97.0.2" if encap else None)
    return ea, eb


def ping(t, node, dst, src=None, count=3):
    cmd = ["ping", "-c", str(count), "-i", "0.2", "-W", "2", dst]
    if src:
        cmd[1:1] = ["-I", src]
    return t.run(node, cmd, check=False)


def tcp_both_ways(t, server_node, server_addr, client_node, nbytes,
                  src=None, port=5201):
    t.spawn(server_node, ["/usr/bin/python3", TCP_CHECK, "server",
                          server_addr, str(port)], f"tcp-{port}")
    wait_for(lambda: "listening" in t.log(f"tcp-{port}"), 10,
             what="tcp_check server")
    cmd = ["/usr/bin/python3", TCP_CHECK, "client", server_addr, str(port),
           str(nbytes)] + ([src] if src else [])
    r = t.run(client_node, cmd, check=False, timeout=60)
    assert r.returncode == 0, f"{r.stdout}{r.stderr}"
    assert "up ok down ok" in r.stdout


def counters_agree(ea, eb):
    """Each side's encaps are the other's decaps, packets and bytes."""
    seen = []

    def same():
        fa, fb = ea.flow(), eb.flow()
        ok = (fa["pkts_encaps"] == fb["pkts_decaps"] and
              fb["pkts_encaps"] == fa["pkts_decaps"] and
              fa["bytes_encaps"] == fb["bytes_decaps"] and
              fb["bytes_encaps"] == fa["bytes_decaps"])
        seen[:] = [{k: f[k] for k in f if k.startswith(("pkts", "bytes"))}
                   for f in (fa, fb)]
        return (fa, fb) if ok else None
    try:
        return wait_for(same, 10, interval=0.2, what="counters to agree")
    except AssertionError as e:
        raise AssertionError(f"{e}: {seen}") from None


SUITES = [
    ("3des", "md5", {}), ("3des", "sha1", {}), ("aes128", "sha1", {}),
    ("aes192", "sha256", {}), ("aes256", "sha256", {}),
    ("aes256", "sha384", {}), ("aes256", "sha512", {}),
    ("gcm128", None, {}), ("gcm256", None, {}),
    ("gcm256", None, {"encap": False}),             # raw ESP, protocol 50
    ("aes256", "sha256", {"esn": True}),
]


@pytest.mark.parametrize("enc,auth,opts", SUITES,
                         ids=[f"{e}-{a or 'aead'}"
                              f"{'-raw' if o.get('encap') is False else ''}"
                              f"{'-esn' if o.get('esn') else ''}"
                              for e, a, o in SUITES])
def test_esp_suite_ping_tcp_counters(topo, enc, auth, opts):
    t = build(topo)
    encap = opts.get("encap", True)
    ea, eb = start_pair(t, pair_specs(enc, auth, encap=encap,
                                      esn=opts.get("esn", False)), encap)
    r = ping(t, "hA", "192.168.98.10")
    assert r.returncode == 0, r.stdout + r.stderr
    r = ping(t, "hB", "192.168.97.10")
    assert r.returncode == 0, r.stdout + r.stderr
    tcp_both_ways(t, "hB", "192.168.98.10", "hA", 300000)
    fa, fb = counters_agree(ea, eb)
    assert fa["pkts_encaps"] > 200 and fa["pkts_decaps"] > 200
    for f in (fa, fb):
        assert f["pkts_encrypt"] == f["pkts_encaps"] == f["pkts_digest"]
        assert f["pkts_decrypt"] == f["pkts_decaps"] == f["pkts_verify"]
        assert f["send_errors"] == 0 and f["recv_errors"] == 0
        assert f["replay_drops"] == 0 and f["auth_failures"] == 0
        assert f["peer_port"] == (4500 if encap else 500)
    sa = fa["outbound_esp_sas"][0]
    assert sa["udp_encap"] == encap and sa["esn"] == opts.get("esn", False)
    assert sa["iv_size"] == {"3des": 8, "gcm128": 8, "gcm256": 8}.get(enc,
                                                                      16)


UDP_SEND = """
import hashlib, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(17, 103, 1000)             # UDP_SEGMENT: 40 datagrams a send
s.connect(("192.168.98.10", 7777))
for burst in range(20):
    buf = b""
    for i in range(40):
        n = struct.pack("!I", burst * 40 + i)
        buf += n + (hashlib.sha256(n).digest() * 32)[:996]
    s.send(buf)
"""

UDP_RECV = """
import hashlib, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind(("192.168.98.10", 7777))
print("listening", flush=True)
good = bad = 0
seen = set()
s.settimeout(10)
try:
    while len(seen) < 800:
        d = s.recv(2048)
        n = d[:4]
        if len(d) == 1000 and d[4:] == (hashlib.sha256(n).digest() * 32)[:996]:
            good += 1
            seen.add(n)
        else:
            bad += 1
        s.settimeout(2)
except socket.timeout:
    pass
print(f"good {good} bad {bad} distinct {len(seen)}", flush=True)
"""


def test_esp_udp_bursts_intact(topo):
    """Bursts of equal datagrams (UDP GSO from the sender) cross as USO
    super-packets and coalesced writes; every datagram arrives intact."""
    t = build(topo)
    # counter sync every 100 packets (the crypto map's replay-interval)
    ea, eb = start_pair(t, pair_specs("gcm256", None, sa_extra="sync=100"))
    t.spawn("hB", ["/usr/bin/python3", "-c", UDP_RECV], "udprecv")
    wait_for(lambda: "listening" in t.log("udprecv"), 10, what="receiver")
    t.run("hA", ["/usr/bin/python3", "-c", UDP_SEND])
    wait_for(lambda: "good" in t.log("udprecv"), 20, what="the receiver")
    m = t.log("udprecv").split()
    good, bad, distinct = int(m[-5]), int(m[-3]), int(m[-1])
    assert bad == 0 and good == distinct and distinct >= 760, m
    fa, fb = counters_agree(ea, eb)
    assert fa["pkts_encaps"] >= distinct
    # counter_update: once per 100 packets of each SA, never more
    for e, f in ((ea, fa), (eb, fb)):
        want = sum(sa["packets"] // 100 for sa in
                   f["inbound_esp_sas"] + f["outbound_esp_sas"])
        assert e.facts()["counter_updates"] == want >= 7
    if "offloads" in eb.log():
        assert eb.facts()["engine"]["tun_gro"] > 0


def test_esp_transport_mode(topo):
    """Transport mode between the gateways themselves."""
    t = build(topo)
    ea, eb = start_pair(t, pair_specs("aes128", "sha1", transport=True))
    r = ping(t, "gA", "10.97.0.2")
    assert r.returncode == 0, r.stdout + r.stderr
    tcp_both_ways(t, "gB", "10.97.0.2", "gA", 200000, port=5202)
    fa, fb = counters_agree(ea, eb)
    assert fa["pkts_encaps"] > 100
    assert fa["outbound_esp_sas"][0]["mode"] == "Transport"


# ---- drops: replay, ICV, selectors ------------------------------------------

def read_pcap_udp_payloads(path):
    """UDP payloads of an Ethernet pcap file, in order."""
    out = []
    with open(path, "rb") as f:
        data = f.read()
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ip = frame[14:]
        ihl = (ip[0] & 0x0f) * 4
        if ip[9] == 17:
            out.append(ip[ihl + 8:])
    return out


def send_udp(t, node, dst, port, payloads):
    code = ("import socket,sys\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "for h in sys.argv[3:]:\n"
            "    s.sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))\n")
    t.run(node, ["/usr/bin/python3", "-c", code, dst, str(port)] +
          [p.hex() for p in payloads])


def gcm_packet(spi, seq, key36, inner):
    """An authentic RFC 4106 ESP packet (AES-GCM-256, no ESN)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    n = (4 - (len(inner) + 2) % 4) % 4
    pt = inner + bytes(range(1, n + 1)) + bytes([n, 4])
    iv = struct.pack("!Q", seq)
    hdr = struct.pack("!II", spi, seq)
    return hdr + iv + AESGCM(key36[:32]).encrypt(key36[32:] + iv, pt, hdr)


def ipv4_icmp(src, dst):
    icmp = bytes.fromhex("0800f7ff00010001") + bytes(24)
    s = bytes(int(x) for x in src.split("."))
    d = bytes(int(x) for x in dst.split("."))
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 7, 0, 64,
                       1, 0, s, d) + icmp


def test_esp_drops_replay_icv_selectors(topo):
    t = build(topo)
    ea, eb = start_pair(t, pair_specs("gcm256", None))
    cap = t.path("esp.pcap")
    t.spawn("gB", ["tcpdump", "-i", "eth0", "-U", "-n", "-c", "2", "-w",
                   cap, "udp and dst port 4500 and src host 10.97.0.1"],
            "tcpdump")
    wait_for(lambda: "listening" in t.log("tcpdump"), 10, what="tcpdump")
    assert ping(t, "hA", "192.168.98.10", count=2).returncode == 0
    tcpd = t.procs[-1][1]
    wait_for(lambda: tcpd.poll() is not None, 10, what="tcpdump to finish")
    pkts = read_pcap_udp_payloads(cap)
    assert len(pkts) == 2 and pkts[0][:4] == b"\x00\x00\x10\x01"
    before = eb.flow()
    sa_before = before["inbound_esp_sas"][0]

    # 1. the captured packet again: a replay, dropped and counted
    send_udp(t, "gA", "10.97.0.2", 4500, [pkts[0]])
    f = wait_for(lambda: (lambda x: x if x["replay_drops"] == 1 else None)(
        eb.flow()), 5, what="the replay drop")
    assert f["pkts_decaps"] == before["pkts_decaps"]

    # 2. a corrupted ICV, with a fresh sequence number so only the ICV
    # can refuse it
    bad = bytearray(pkts[1])
    bad[4:8] = struct.pack("!I", 500)
    bad[-1] ^= 0x80
    send_udp(t, "gA", "10.97.0.2", 4500, [bytes(bad)])
    f = wait_for(lambda: (lambda x: x if x["auth_failures"] == 1 else None)(
        eb.flow()), 5, what="the ICV drop")
    assert f["pkts_decaps"] == before["pkts_decaps"]
    # the forged number did not move the window
    assert f["inbound_esp_sas"][0]["replay_top"] == sa_before["replay_top"]

    # 3. authentic, but the inner source is outside the SA's selectors
    key36 = key(36, 1)
    # numbers a little ahead, so the real ones stay inside the window
    out = gcm_packet(0x1001, 40, key36,
                     ipv4_icmp("10.66.0.1", "192.168.98.10"))
    inside = gcm_packet(0x1001, 41, key36,
                        ipv4_icmp("192.168.97.77", "192.168.98.10"))
    send_udp(t, "gA", "10.97.0.2", 4500, [out, inside])
    f = wait_for(lambda: (lambda x: x if x["selector_drops"] == 1 and
                          x["pkts_decaps"] == before["pkts_decaps"] + 1
                          else None)(eb.flow()), 5,
                 what="the selector drop and the good packet")
    assert f["replay_drops"] == 1 and f["auth_failures"] == 1
    assert f["recv_errors"] == 3

    # the text output says the same, in the IOS layout
    facts = eb.facts()
    r = sh([os.path.join(BIN, "havpnctl"), "-r", eb.stats, "show", "crypto",
            "ipsec", "sa"])
    assert "#pkts replay failed (rcv): 1, #pkts verify failed: 1, " \
           "#pkts invalid identity (rcv): 1" in r.stdout
    assert f"#pkts decaps: {f['pkts_decaps']}, " in r.stdout
    assert "#send errors 0, #recv errors 3" in r.stdout
    assert "transform: esp-gcm 256 ," in r.stdout
    assert "in use settings ={Tunnel UDP-Encaps, }" in r.stdout
    assert facts["engine"]["bad_spi"] == 0

    # traffic still flows afterwards
    assert ping(t, "hA", "192.168.98.10", count=2).returncode == 0


def test_esp_port_4500_demux_acquire_bypass_lifetimes(topo):
    t = build(topo)
    # gA: a policy without SAs (acquire), a deny line (bypass), an SA that
    # expires; reverse-route on the protected flow
    specs = pair_specs(
        "aes256", "sha256",
        extra_a=[
            "policy id=2 reqid=2 prio=20 protect src=192.168.97.0/24 "
            "dst=192.168.99.0/24 local=10.97.0.1 peer=10.97.0.2",
            "policy id=3 prio=5 bypass src=192.168.97.0/24 "
            "dst=192.168.98.10/32 proto=17 dport=9999 local=10.97.0.1 "
            "peer=10.97.0.2",
            "sa conn=9 dir=out spi=0x9009 reqid=7 local=10.97.0.1 "
            "remote=10.97.0.2 enc=gcm128 ekey=" + key(20, 5).hex() +
            " src=192.168.97.0/24 dst=192.168.96.0/24 soft-secs=1 "
            "hard-secs=2",
        ])
    specs[0][2] += " rri"
    # the clear path for exempt traffic: a host route, as a real network's
    t.run("gA", ["ip", "route", "add", "192.168.98.10/32", "via",
                 "10.97.0.2"])
    ea, eb = start_pair(t, specs)

    # port 4500: a NAT-keepalive and an IKE packet (non-ESP marker)
    send_udp(t, "gA", "10.97.0.2", 4500,
             [b"\xff", b"\x00\x00\x00\x00" + bytes(28)])
    wait_for(lambda: eb.facts()["engine"]["keepalives"] == 1, 5,
             what="the keepalive")
    fb = eb.facts()
    assert fb["engine"]["ike_in"] == 1 and fb["ike_packets"] == 1
    assert "ike 32 bytes" in eb.log()

    # reverse-route: the remote proxy is routed into the TUN device
    routes = t.run("gA", ["ip", "route", "show", "proto", "97"]).stdout
    assert "192.168.98.0/24 dev havpn0" in routes
    rules = t.run("gA", ["ip", "rule", "show"]).stdout
    lines = [ln for ln in rules.splitlines() if "proto 97" in ln]
    bypass = [ln for ln in lines if "dport 9999 lookup main" in ln]
    protect = [ln for ln in lines if "to 192.168.98.0/24 lookup 4500" in ln]
    assert bypass and protect
    assert int(bypass[0].split(":")[0]) < int(protect[0].split(":")[0])

    # acquire: no SA for 192.168.99.0/24, three pings, one acquire
    r = ping(t, "hA", "192.168.99.5", count=3)
    assert r.returncode != 0
    fa = ea.facts()
    assert fa["engine"]["no_sa"] == 3
    assert fa["acquire_events"] == 1 and fa["engine"]["acquires"] == 1
    assert "event acquire 2 1" in ea.log()

    # bypass: the deny line's traffic reaches hB in clear, outside the TUN
    before = ea.flow()["pkts_encaps"]
    t.spawn("hB", ["/usr/bin/python3", "-c",
                   "import socket\ns=socket.socket(2,2)\n"
                   "s.bind(('192.168.98.10',9999))\ns.settimeout(10)\n"
                   "print('listening',flush=True)\n"
                   "print('got',s.recvfrom(100)[0].decode(),flush=True)\n"],
            "udp9999")
    wait_for(lambda: "listening" in t.log("udp9999"), 5, what="listener")
    send_udp(t, "hA", "192.168.98.10", 9999, [b"in-clear"])
    wait_for(lambda: "got in-clear" in t.log("udp9999"), 5,
             what="the exempt datagram")
    fa = ea.facts()
    assert ea.flow(facts=fa)["pkts_encaps"] == before
    assert fa["engine"]["bypass_in_tun"] == 0

    # lifetimes: soft (rekey) then hard (deleted) for conn 9
    wait_for(lambda: ea.facts()["hard_expires"] == 1, 6,
             what="the hard expiry")
    fa = ea.facts()
    assert fa["soft_expires"] == 1
    assert all(s["conn_id"] != 9 for i in fa["interfaces"]
               for f in i["flows"] for s in f["outbound_esp_sas"])
    log = ea.log()
    assert log.index("event expire 9 0") < log.index("event expire 9 1")


def test_esp_standby_holds_soft_expiry(topo):
    """A standby's data plane (outbound DROP: hasync's standby) holds an
    SA's soft expiry back, as its IKE would not rekey; it raises it once
    the node sends (a takeover), so the new active rekeys the SA."""
    t = build(topo)
    e = EspStatic(t, "gA", [
        "sa conn=9 dir=out spi=0x9009 reqid=7 local=10.97.0.1 "
        "remote=10.97.0.2 enc=gcm128 ekey=" + key(20, 5).hex() +
        " src=192.168.97.0/24 dst=192.168.96.0/24 soft-secs=1 "
        "hard-secs=5"], extra=["-D"])
    time.sleep(2.2)
    f = e.facts()
    assert f["soft_expires"] == 0 and f["hard_expires"] == 0, f
    os.kill(e.proc.pid, signal.SIGUSR2)
    wait_for(lambda: e.facts()["soft_expires"] == 1, 3,
             what="the soft expiry once sending")
    assert "event expire 9 0" in e.log()
    wait_for(lambda: e.facts()["hard_expires"] == 1, 5,
             what="the hard expiry")


def proto97(t, node):
    rules = [ln for ln in t.run(node, ["ip", "rule"]).stdout.splitlines()
             if "proto 97" in ln]
    routes = t.run(node, ["ip", "route", "show", "table", "all", "proto",
                          "97"]).stdout.strip()
    return rules, routes


def test_esp_cleanup_and_crash_sweep(topo):
    t = build(topo)
    specs = pair_specs("gcm128", None)
    specs[0][2] += " rri"
    ea, eb = start_pair(t, specs)
    rules, routes = proto97(t, "gA")
    assert len(rules) == 4 and "192.168.98.0/24 dev havpn0" in routes
    # a crash leaves the rules behind (the TUN device and its routes go)
    ea.proc.kill()
    ea.proc.wait()
    rules, routes = proto97(t, "gA")
    assert len(rules) == 4 and routes == ""
    ea = EspStatic(t, "gA", specs[0], udp="10.97.0.1")
    assert "removed 4 rules and routes left by an earlier run" in ea.log()
    rules, _ = proto97(t, "gA")
    assert len(rules) == 4
    assert ping(t, "hA", "192.168.98.10", count=2).returncode == 0
    # a clean stop removes everything
    for e, node in ((ea, "gA"), (eb, "gB")):
        assert e.stop() == 0
        assert "stopped" in e.log()
        assert proto97(t, node) == ([], "")
        links = t.run(node, ["ip", "-o", "link"]).stdout
        assert "havpn0" not in links


def test_havpnd_runs_the_engine(topo, bindir):
    """havpnd starts the engine first, on crypto ipsec tunnel-interface,
    answers show crypto ipsec sa, sweeps leftovers and removes it all."""
    topo.host("n1")
    # leftovers of a crashed run: a rule and a route of protocol 97
    topo.run("n1", ["ip", "rule", "add", "priority", "10000", "from",
                    "192.0.2.1", "lookup", "4500", "proto", "97"])
    topo.run("n1", ["ip", "link", "add", "d0", "type", "veth", "peer",
                    "name", "d1"])
    topo.run("n1", ["ip", "link", "set", "d0", "up"])
    topo.run("n1", ["ip", "route", "add", "198.51.100.0/24", "dev", "d0",
                    "proto", "97"])
    conf = "hostname esp1\ncrypto ipsec tunnel-interface vpn7\n"
    d = Havpnd(topo, "n1", conf, bindir).wait_ready()
    links = topo.run("n1", ["ip", "-o", "link"]).stdout
    assert "vpn7:" in links
    facts = d.json("show", "crypto", "ipsec", "sa")
    assert facts["backend"] == "userspace" and facts["interfaces"] == []
    assert facts["engine"]["esp_in"] == 0
    assert d.ctl("sh", "cry", "ips", "sa").returncode == 0
    assert d.ctl("show", "crypto", "ipsec", "sa", "peer", "x",
                 check=False).returncode == 1
    rules, routes = proto97(topo, "n1")
    assert len(rules) == 3 and "192.0.2.1" not in "".join(rules)
    assert "198.51.100.0/24" not in routes
    assert "removed 2 rules and routes" in topo.log("n1")
    assert topo.stop(d.proc) == 0
    assert proto97(topo, "n1") == ([], "")
    assert "vpn7" not in topo.run("n1", ["ip", "-o", "link"]).stdout
