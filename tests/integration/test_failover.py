"""Takeover and planned switchover (issue 7) on the design topology, under
a steady flow between the inside host and the remote host (seqflow: loss
each way, duplicates, the longest gap), strongSwan on 10.0.0.20.

After every event strongSwan still has the same IKE SA (cookies) and the
same CHILD SA SPIs, established no new SA (its log), saw no replay or
authentication failure (its log: kernel-libipsec's "sequence number
verification failed", "ICV verification failed", "decryption failed"),
and the traffic flows both ways.  A planned switchover loses no packet.

  test_failover_switchovers_crash_and_return   the reverse route on the
      active only, moving with the role; switchover both ways (from the
      active, with the inside host held on it 200 ms so it drains; then
      asked on the standby), refused and --force, kill -9 of the
      active (and the unit's ExecStopPost: exactly one node answers ARP
      for the VIPs), DPD, a Quick Mode rekey and a Delete on the synced
      SAs after takeovers, the old active returning and resyncing
  test_failover_link_down_and_node_crash       the active's outside link
      down, back (the returning node preempts with a planned switchover,
      no loss), then the whole node: daemon killed and every link down
  test_failover_while_cold_bulk_rekeys         a takeover in the middle of
      the snapshot: Quick Mode rekeys, traffic resumes
  test_failover_split_brain                    the counters of a second
      lost, then the sync link and adverts cut: both active, both sending
      on the same SA for seconds (captured at the peer: no SPI and
      sequence number twice); healed: the election keeps one, which rekeys
  test_failover_lifetime_rekey_after_takeover  strongSwan's CHILD SA has a
      short lifetime (20 s): after a kill -9 takeover its rekey by
      lifetime is a Quick Mode on the synced ISAKMP SA, answered by the
      new active; traffic moves to the new pair, the old one is deleted
"""

import json
import os
import re
import signal
import struct
import time

from hasynclib import (ACTIVE, BULK, HOT, Flow, conf, crypto_ha, echo,
                       peer, reverse_routes, rf, ss_ike, start, tunnel_up,
                       wait_rf)
from topology import wait_for
from vrrplib import arp, mac_of

RATE = 1000
# access-list 110's remote proxy (docs/examples/ha1.conf)
REMOTE_PROXY = "172.21.91.0/24"
# every sync packet dropped without a link going down (nft, on ha2)
IPC_SILENT = ('table inet silent { '
              'chain in { type filter hook input priority 0; '
              'iifname "ipc0" drop; }; '
              'chain out { type filter hook output priority 0; '
              'oifname "ipc0" drop; }; }')
SS_FAILURES = ("sequence number verification failed",
               "ICV verification failed", "decryption failed")


def ss_log_counts(c):
    log = c.log()
    return {"ike_established": len(re.findall(
                r"IKE_SA c1\[\d+\] established", log)),
            "failures": sum(log.count(f) for f in SS_FAILURES)}


class Rig:
    """The pair, strongSwan with one tunnel, the remote echo."""

    def __init__(self, design, bindir, host=False, rekey=0):
        self.design, self.bindir = design, bindir
        self.ha1 = start(design, bindir, "ha1", wait_active=True)
        self.c = peer(design, dpd=2, rekey=rekey)
        echo(design)
        tunnel_up(design, bindir, self.c, self.ha1,
                  ("net", "host") if host else ("net",))
        self.ha2 = start(design, bindir, "ha2")
        wait_rf(self.ha2, HOT)
        self.ss = ss_ike(self.c)
        self.log0 = ss_log_counts(self.c)

    def node(self, name):
        return self.ha1 if name == "ha1" else self.ha2

    def check_peer(self, same_spis=True):
        """strongSwan: the same IKE SA, no new one, no ESP failure."""
        now = ss_ike(self.c)
        assert now is not None, "strongSwan lost its IKE SA"
        assert now[0] == self.ss[0], (now, self.ss)
        if same_spis:
            assert now[1] == self.ss[1], (now, self.ss)
        counts = ss_log_counts(self.c)
        assert counts["failures"] == 0, [
            line for line in self.c.log().splitlines()
            if any(f in line for f in SS_FAILURES)][:5]
        assert counts["ike_established"] == self.log0["ike_established"]
        return now

    def history(self, node):
        return node.json("show", "redundancy", "history")["events"]


def flows_both_ways(f):
    assert f["replies"] > 0 and f["sent"] > 0, f
    assert f["duplicates"] == 0, f


def test_failover_switchovers_crash_and_return(design, bindir):
    r = Rig(design, bindir)
    ha1, ha2 = r.ha1, r.ha2
    # the crypto map's reverse-route: the remote proxy is routed into the
    # data plane on the active only, so a routing protocol redistributing
    # it never draws traffic to the standby
    assert reverse_routes(design, "ha1") == [REMOTE_PROXY]
    assert reverse_routes(design, "ha2") == []

    # planned switchover from the active, under the flow: nothing lost.
    # The inside host keeps sending to ha1's MAC for 200 ms after it (a
    # pinned ARP entry, then dropped): ha1 must drain, from the VIP that
    # moved, while ha2 holds its own outbound traffic
    mac1 = mac_of(design, "ha1", "eth1")
    design.run("inside", ["ip", "neigh", "replace", "192.168.20.1", "lladdr",
                          mac1, "dev", "eth0", "nud", "permanent"])
    f = Flow(design, 3)
    ha1.ctl("redundancy", "switchover")
    time.sleep(0.2)
    design.run("inside", ["ip", "neigh", "del", "192.168.20.1", "dev",
                          "eth0"])
    f = f.result()
    assert f["lost"] == 0, f
    flows_both_ways(f)
    wait_rf(ha2, ACTIVE, 5)
    wait_rf(ha1, HOT, 10)
    r.check_peer()
    assert reverse_routes(design, "ha2") == [REMOTE_PROXY]
    assert reverse_routes(design, "ha1") == []
    ev = r.history(ha2)[-1]
    assert ev["event"] == "switchover" and "took over" in ev["reason"]
    assert ev["exact"] == 1 and ev["duration_us"] > 0
    ev = r.history(ha1)[-1]
    assert "handed over (redundancy switchover)" in ev["reason"], ev
    drained = int(re.search(r"(\d+) queued packets", ev["reason"])[1])
    assert drained >= 100, ev
    # the old active does not take the role back by itself
    time.sleep(1.5)
    assert rf(ha2) == ACTIVE

    # the other way, asked on the standby
    f = Flow(design, 3)
    ha1.ctl("redundancy", "switchover")
    f = f.result()
    assert f["lost"] == 0, f
    wait_rf(ha1, ACTIVE, 5)
    wait_rf(ha2, HOT, 10)
    r.check_peer()
    # nothing in two switchovers counted as a bad or misplaced message
    for node in (ha1, ha2):
        assert not any(crypto_ha(node)["drops"].values()), str(\
            crypto_ha(node)["drops"])
    text = ha1.ctl("show", "redundancy", "history").stdout
    assert "switchover" in text and "took over" in text
    # a silent sync channel that neither node has declared down yet (ha2
    # drops every sync packet; heartbeats are 500 ms apart, the channel is
    # down after 2 s): ha1 asks ha2 first, gets no answer, refuses, and
    # keeps the role, the VIPs and every SA, under the flow
    design.run("ha2", ["nft", IPC_SILENT])
    f = Flow(design, 3)
    res = ha1.ctl("redundancy", "switchover", check=False)
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "not reachable over the sync channel" in res.stderr, res.stderr
    assert "this node stays active with every SA" in res.stderr
    assert rf(ha1) == ACTIVE
    f = f.result()
    assert f["lost"] == 0, f
    r.check_peer()
    design.run("ha2", ["nft", "delete", "table", "inet", "silent"])
    wait_rf(ha2, HOT, 15)
    # refused when the peer is not STANDBY HOT; --force overrides: with no
    # sync at all the active steps down and the standby's election takes
    # over, rekeying what it cannot trust.  The refusal depends on what the
    # node asked (ha1) knows: wait until it has declared the channel down
    design.run("ha2", ["ip", "link", "set", "ipc0", "down"])
    wait_for(lambda: ha1.json("show", "redundancy", "states")["mode"] ==
             "Simplex", 10, what="ha1: the sync channel down")
    res = ha1.ctl("redundancy", "switchover", check=False)
    assert res.returncode == 1 and "not reachable" in res.stderr
    f = Flow(design, 3)
    ha1.ctl("redundancy", "switchover", "--force")
    f = f.result()
    wait_rf(ha2, ACTIVE, 5)
    flows_both_ways(f)
    ev = r.history(ha2)[-1]
    assert ev["event"] == "failover" and ev["rekeyed"] == 1, ev
    assert "not STANDBY HOT" in ev["reason"]
    wait_for(lambda: len(ss_ike(r.c)[1]["net"]) == 1 and
             ss_ike(r.c)[1]["net"] != r.ss[1]["net"], 15,
             what="the pair rekeyed, the old one deleted")
    r.ss = r.check_peer(same_spis=False)
    design.run("ha2", ["ip", "link", "set", "ipc0", "up"])
    wait_rf(ha1, HOT, 15)
    # ha1 handed over: it does not preempt back
    time.sleep(1.5)
    assert rf(ha2) == ACTIVE

    # kill -9 of the active daemon (ha2) under the flow
    dpd0 = r.c.log().count("N(DPD_ACK)")
    f = Flow(design, 4)
    os.kill(ha2.proc.pid, signal.SIGKILL)
    # positive control: the dead daemon's VIP still answers ARP ...
    mac1, mac2 = mac_of(design, "ha1", "eth1"), mac_of(design, "ha2", "eth1")
    assert mac2 in arp(design, "inside", "eth0", "192.168.20.25",
                       "192.168.20.1", 0.2)
    # ... until the unit's ExecStopPost removes it (run once havpnd has
    # ended, as systemd does): then only ha1 answers
    ha2.proc.wait()
    design.run("ha2", [os.path.join(bindir, "havpnd"), "-C", "-f",
                       ha2.conf, "-s", ha2.sock, "-p", ha2.pidfile])
    f = f.result()
    wait_rf(ha1, ACTIVE, 5)
    assert arp(design, "inside", "eth0", "192.168.20.25",
               "192.168.20.1", 1.0) == [mac1]
    assert arp(design, "peer", "eth0", "10.0.0.20", "10.0.0.10", 1.0) == \
        [mac_of(design, "ha1", "eth0")]
    flows_both_ways(f)
    assert f["lost"] < RATE * 2, f
    r.check_peer()
    ev = r.history(ha1)[-1]
    assert ev["event"] == "failover" and ev["rekeyed"] == 0, ev
    assert crypto_ha(ha1)["sas"]["counters_jumped"] >= 1
    # after the takeover: DPD answered, a Quick Mode rekey on the synced
    # ISAKMP SA, traffic on the new pair
    wait_for(lambda: r.c.log().count("N(DPD_ACK)") > dpd0, 10,
             what="DPD answered by the new active")
    r.c.swanctl("--rekey", "--child", "net")
    wait_for(lambda: any(k != r.ss[1]["net"][0] for k in
                         ss_ike(r.c)[1]["net"]), 10, what="rekeyed")
    # the replaced pair goes 5 s after the rekey (a Delete to the peer)
    wait_for(lambda: len(ss_ike(r.c)[1]["net"]) == 1, 10,
             what="one net CHILD SA left")
    f = Flow(design, 1)
    f = f.result()
    assert f["lost"] == 0, f
    r.ss = r.check_peer(same_spis=False)

    # the old active returns and resyncs (lower priority: it stays standby)
    ha2.proc.wait()
    design.procs = [p for p in design.procs if p[1] is not ha2.proc]
    f = Flow(design, 4)
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, HOT, 15)
    f = f.result()
    assert f["lost"] == 0, f
    assert rf(ha1) == ACTIVE
    r.check_peer()
    # a Delete from strongSwan on the synced SAs is honoured (and synced)
    r.c.swanctl("--terminate", "--child", "net")
    wait_for(lambda: crypto_ha(ha1)["ipsec_sa_pairs"]["local"] == 0 and
             crypto_ha(ha2)["ipsec_sa_pairs"]["local"] == 0, 10,
             what="the Delete honoured")


def test_failover_link_down_and_node_crash(design, bindir):
    r = Rig(design, bindir)
    ha1, ha2 = r.ha1, r.ha2
    # the active's outside link goes down
    f = Flow(design, 3)
    design.run("ha1", ["ip", "link", "set", "eth0", "down"])
    f = f.result()
    wait_rf(ha2, ACTIVE, 5)
    flows_both_ways(f)
    assert f["lost"] < RATE * 2, f
    r.check_peer()
    # back: ha1 resyncs, then takes its role back without loss
    f = Flow(design, 6)
    design.run("ha1", ["ip", "link", "set", "eth0", "up"])
    f = f.result()
    wait_rf(ha1, ACTIVE, 10)
    assert f["lost"] == 0, f
    r.check_peer()
    wait_rf(ha2, HOT, 10)
    # the node crashes: daemon killed, every link down
    f = Flow(design, 3)
    os.kill(ha1.proc.pid, signal.SIGKILL)
    for ifname in ("eth0", "eth1", "ipc0"):
        design.run("ha1", ["ip", "link", "set", ifname, "down"])
    f = f.result()
    wait_rf(ha2, ACTIVE, 5)
    flows_both_ways(f)
    assert f["lost"] < RATE * 2, f
    r.check_peer()
    assert [e["event"] for e in r.history(ha2)].count("failover") == 2


def slow_ipc(design, node, on):
    if on:
        design.run(node, ["tc", "qdisc", "add", "dev", "ipc0", "root", "tbf",
                          "rate", "1mbit", "burst", "8kb", "latency",
                          "1000ms"])
    else:
        design.run(node, ["tc", "qdisc", "del", "dev", "ipc0", "root"])


def one_association(node):
    """The node's configuration with "lanes 0": the snapshot's records in
    order over one association.  Over lanes a small snapshot's few records
    travel side by side and the first completes with the last, so there
    is no moment with the first pair in and the rest still coming."""
    enc = "   encapsulation udp 9899\n"
    text = conf(node)
    assert enc in text
    return text.replace(enc, enc + "   lanes 0\n")


def test_failover_while_cold_bulk_rekeys(design, bindir):
    ha1 = start(design, bindir, "ha1", one_association("ha1"),
                wait_active=True)
    c = peer(design, dpd=2)
    echo(design)
    tunnel_up(design, bindir, c, ha1)
    ss = ss_ike(c)
    # a long snapshot: the real tunnel (oldest) comes first, then 400
    # made-up ones through a 1 Mbit/s sync link
    ha1.ctl("test", "redundancy", "synthetic-tunnels", "400", "3")
    slow_ipc(design, "ha1", True)
    ha2 = start(design, bindir, "ha2", one_association("ha2"))
    wait_for(lambda: rf(ha2) == BULK and
             crypto_ha(ha2)["bulk"]["received_ipsec"] >= 1, 20,
             interval=0.02, what="the real pair received, snapshot going")
    os.kill(ha1.proc.pid, signal.SIGKILL)
    wait_rf(ha2, ACTIVE, 5)
    ev = ha2.json("show", "redundancy", "history")["events"][-1]
    assert ev["event"] == "failover" and ev["rekeyed"] >= 1, ev
    assert "not STANDBY HOT" in ev["reason"]
    # the pair was rekeyed on the synced ISAKMP SA: same IKE SA, new SPIs
    wait_for(lambda: ss_ike(c) is not None and any(
        k != ss[1]["net"][0] for k in ss_ike(c)[1].get("net", [])), 15,
        what="strongSwan's CHILD SA rekeyed")
    assert ss_ike(c)[0] == ss[0]
    f = Flow(design, 2)
    f = f.result()
    flows_both_ways(f)
    assert f["lost"] < RATE, f
    assert sum(c.log().count(x) for x in SS_FAILURES) == 0


def partition(design, on):
    """Adverts dropped between the two nodes (both links) and the sync
    link down: each sees no peer at all."""
    for node in ("ha1", "ha2"):
        if on:
            design.run(node, ["nft", "add", "table", "inet", "part"])
            for chain, hook in (("in", "input"), ("out", "output")):
                design.run(node, ["nft", "add", "chain", "inet", "part",
                                  chain, f"{{ type filter hook {hook} "
                                  "priority 0 ; }"])
                design.run(node, ["nft", "add", "rule", "inet", "part",
                                  chain, "ip", "protocol", "vrrp", "drop"])
        else:
            design.run(node, ["nft", "delete", "table", "inet", "part"])
    design.run("ha2", ["ip", "link", "set", "ipc0", "down" if on else "up"])


def esp_packets(pcap):
    """(source MAC, SPI, sequence number) of every ESP packet in a
    tcpdump capture (Ethernet, IPv4; ESP raw or in UDP 4500, whose
    non-ESP marker and keepalives are skipped)."""
    with open(pcap, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    assert struct.unpack(order + "I", data[20:24])[0] == 1   # Ethernet
    out, off = [], 24
    while off + 16 <= len(data):
        incl = struct.unpack(order + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00":
            continue
        esp = frame[14 + (frame[14] & 0x0f) * 4:]
        if frame[14 + 9] == 17:
            esp = esp[8:]
        elif frame[14 + 9] != 50:
            continue
        if len(esp) < 8 or esp[:4] == bytes(4):
            continue
        spi, seq = struct.unpack(">II", esp[:8])
        out.append((frame[6:12].hex(":"), spi, seq))
    return out


def test_failover_split_brain(design, bindir):
    r = Rig(design, bindir)
    ha1, ha2 = r.ha1, r.ha2
    # every ESP packet either node sends to the peer, as the peer sees it
    pcap = design.path("esp.pcap")
    dump = design.spawn("peer", ["tcpdump", "-i", "eth0", "-U", "-B",
                                 "65536", "--immediate-mode", "-n", "-w",
                                 pcap, "dst 10.0.0.20 and (ip proto 50 or "
                                 "udp port 4500)"],
                        "tcpdump")
    wait_for(lambda: "listening on" in design.log("tcpdump"), 10,
             what="tcpdump")
    # the inside host sends through both nodes on the same pair: to the
    # echo host by the VIP, held on ha1's MAC, and to another address of
    # the remote proxy by ha2's own address (dropped while ha2 is standby)
    mac1, mac2 = mac_of(design, "ha1", "eth0"), mac_of(design, "ha2", "eth0")
    design.run("inside", ["ip", "neigh", "replace", "192.168.20.1", "lladdr",
                          mac_of(design, "ha1", "eth1"), "dev", "eth0",
                          "nud", "permanent"])
    design.run("inside", ["ip", "route", "add", "172.21.91.38/32", "via",
                          "192.168.20.3"])
    f1 = Flow(design, 9)
    f2 = Flow(design, 8, lead=0, dst="172.21.91.38")
    # the counters of the next second never reach ha2 (every sync packet
    # dropped, the channel not yet declared down), then the partition:
    # ha2 takes over from a stale number while ha1 goes on, and both send
    # on the pair for seconds, far beyond any estimate of ha1's progress
    design.run("ha2", ["nft", IPC_SILENT])
    time.sleep(1.0)
    partition(design, True)
    wait_rf(ha2, ACTIVE, 10)
    assert rf(ha1) == ACTIVE
    ev = r.history(ha2)[-1]
    assert ev["event"] == "failover" and ev["rekeyed"] == 0, ev
    assert crypto_ha(ha2)["sas"]["counters_jumped"] >= 1
    f1.result()
    f2.result()
    design.run("ha2", ["nft", "delete", "table", "inet", "silent"])
    design.run("inside", ["ip", "neigh", "del", "192.168.20.1", "dev",
                          "eth0"])
    design.run("inside", ["ip", "route", "del", "172.21.91.38/32"])
    partition(design, False)
    # the election keeps ha1 (priority 110); ha2 resyncs
    wait_rf(ha2, HOT, 20)
    assert rf(ha1) == ACTIVE
    ev = [e for e in r.history(ha1) if e["event"] == "split-brain"]
    assert ev and ev[-1]["rekeyed"] >= 1, r.history(ha1)
    assert crypto_ha(ha1)["sas"]["rekeys_split_brain"] >= 1
    design.stop(dump)
    # both nodes sent thousands of packets on the one outbound SA, and no
    # (SPI, sequence number) appears twice: no GCM nonce was reused
    esp = esp_packets(pcap)
    by_node = {mac1: {}, mac2: {}}
    for mac, s, q in esp:
        if mac in by_node:
            by_node[mac].setdefault(s, []).append(q)
    shared = set(by_node[mac1]) & set(by_node[mac2])
    assert shared, {m: {hex(s): len(v) for s, v in d.items()}
                    for m, d in by_node.items()}
    for s in shared:
        n1, n2 = len(by_node[mac1][s]), len(by_node[mac2][s])
        assert n1 > 2 * RATE and n2 > 2 * RATE, (hex(s), n1, n2)
    seen = {}
    for mac, s, q in esp:
        assert (s, q) not in seen, (hex(s), q, seen[(s, q)], mac)
        seen[(s, q)] = mac
    # the same IKE SA, new CHILD SAs, and the traffic flows
    wait_for(lambda: ss_ike(r.c)[0] == r.ss[0], 10, what="the IKE SA")
    f = Flow(design, 2)
    f = f.result()
    flows_both_ways(f)
    assert f["lost"] < RATE // 2, f


def test_failover_lifetime_rekey_after_takeover(design, bindir):
    # strongSwan rekeys the net CHILD SA by itself 18-20 s after it came up
    rekey = 20
    r = Rig(design, bindir, rekey=rekey)
    ha1, ha2 = r.ha1, r.ha2
    old = r.ss[1]["net"]
    assert ss_ike(r.c)[1]["net"] == old, "rekeyed before the takeover"
    os.kill(ha1.proc.pid, signal.SIGKILL)
    ha1.proc.wait()
    wait_rf(ha2, ACTIVE, 5)
    assert ss_ike(r.c)[1]["net"] == old, "rekeyed before the takeover"
    # the lifetime runs out; the new active answers the Quick Mode on the
    # ISAKMP SA it took over, and deletes the replaced pair
    wait_for(lambda: any(k not in old for k in ss_ike(r.c)[1]["net"]),
             rekey + 10, interval=0.2, what="strongSwan's rekey by lifetime")
    wait_for(lambda: len(ss_ike(r.c)[1]["net"]) == 1, 15, interval=0.2,
             what="the replaced pair deleted")
    new = ss_ike(r.c)[1]["net"]
    assert new != old
    counts = ss_log_counts(r.c)
    assert counts["ike_established"] == r.log0["ike_established"]
    assert counts["failures"] == 0
    assert ss_ike(r.c)[0] == r.ss[0]
    # havpn has the new pair, from a Quick Mode it answered
    spis = set(int(x) for x in re.findall(
        r'"spi": (\d+)', json.dumps(ha2.json("show", "crypto", "ipsec",
                                                "sa"))))
    assert set(new[0]) <= spis, (new, spis)
    f = Flow(design, 2)
    f = f.result()
    flows_both_ways(f)
    assert f["lost"] == 0, f
