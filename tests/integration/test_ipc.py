"""The sync channel (ipc/) between two nodes on the design topology's
dedicated link (ipc0, 192.168.255.1/30 -- .2/30), over usrsctp with UDP
encapsulation (this kernel has no SCTP).

havpnd against havpnd: the channel comes up with the right key; a wrong
key never brings it up, says why, and the other node keeps running; a cut
link and a restarted peer heal by themselves (the restart is noticed by
its new incarnation).  tests/tools/ipc_peer (one end of the channel,
driven over stdin) injects replayed, forged, truncated, oversized and
wrong-version records into havpnd, carries a known secret under tcpdump,
and measures the counters stream during a 5 MB burst on the state stream.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import REPO, example
from topology import Havpnd, wait_for

TOOL = os.path.join(REPO, "build", "tools", "ipc_peer")
KEY = "example-only-change-me-0123456789"


def ipc_state(node):
    return node.json("show", "redundancy", "inter-device")["ipc"]


def is_up(node):
    return ipc_state(node)["state"] == "up"


def wait_up(*nodes, timeout=10):
    for n in nodes:
        wait_for(lambda: is_up(n), timeout, what=f"channel up on {n.node}")


class IpcPeer:
    """tests/tools/ipc_peer in a namespace, driven over its stdin."""

    def __init__(self, topo, node, conf_text, name=None):
        self.topo = topo
        self.node = node
        self.name = name or f"ipcpeer-{node}"
        self.conf = topo.write(f"{self.name}.conf", conf_text)
        self.errlog = topo.path(f"{self.name}.log")
        err = open(self.errlog, "ab")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", topo.ns(node), TOOL, "-f", self.conf],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
            text=True, bufsize=1, start_new_session=True)
        err.close()
        topo.procs.append((self.name, self.proc, self.errlog))
        self.lines = queue.Queue()
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()
        self.expect(lambda m: m.get("event") == "started", 5)

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except ValueError:
                pass

    def cmd(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def expect(self, pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                m = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited: "
                                         f"{open(self.errlog).read()}")
                continue
            if "event" in m:
                self.events.append(m)
            if pred(m):
                return m
        raise AssertionError(f"{self.name}: no expected line in {timeout}s")

    def status(self):
        self.cmd("status")
        return self.expect(lambda m: "status" in m)["status"]

    def stats(self):
        self.cmd("stats")
        return self.expect(lambda m: "received" in m)


def conf_for(node, key=KEY, encap=True):
    text = example(f"{node}.conf")
    if key is None:
        text = text.replace(f" security key {KEY}\n", "")
    else:
        text = text.replace(KEY, key)
    if not encap:
        text = text.replace("   encapsulation udp 9899\n", "")
    return text


def peer_conf(node, hostname):
    """The node's example file: ipc_peer reads only the channel's lines."""
    return conf_for(node).replace(f"hostname {node}\n",
                                  f"hostname {hostname}\n")


# ---- havpnd against havpnd ----------------------------------------------

def test_ipc_channel_up(pair):
    ha1, ha2 = pair
    wait_up(ha1, ha2)
    s1, s2 = ipc_state(ha1), ipc_state(ha2)
    assert s1["transport"] == "usrsctp-udp"
    assert s1["peer"]["node_id"] == "ha2" and s2["peer"]["node_id"] == "ha1"
    assert s1["peer"]["incarnation"] == s2["local"]["incarnation"]
    assert s1["association"]["state"] == "ESTABLISHED"
    assert {s1["association"]["side"], s2["association"]["side"]} == \
        {"client", "server"}
    assert s1["association"]["paths"][0]["state"] == "ACTIVE"
    assert s1["association"]["inbound_streams"] == 3
    # heartbeats flow both ways, nothing is dropped
    wait_for(lambda: ipc_state(ha1)["heartbeats_received"] >= 3, 5,
             what="heartbeats")
    s1 = ipc_state(ha1)
    assert s1["peer"]["heartbeat_age_ms"] < 2000
    assert all(v == 0 for v in s1["drops"].values())
    text = ha1.ctl("show", "redundancy", "inter-device").stdout
    assert "Peer present: RF_INTERDEV_PEER_COMM" in text
    assert "Assoc state: ESTABLISHED" in text
    assert "192.168.255.2 : State: ACTIVE" in text
    assert "Peer node: ha2" in text
    # the IOS abbreviation works too
    assert "RF_INTERDEV" in ha2.ctl("sh", "red", "inter").stdout


def test_ipc_wrong_key_never_up(design, bindir):
    ha1 = Havpnd(design, "ha1", conf_for("ha1"), bindir).wait_ready()
    ha2 = Havpnd(design, "ha2", conf_for("ha2", key="another-key-"
                                          "0123456789abcdef"),
                 bindir).wait_ready()
    wait_for(lambda: ipc_state(ha1)["handshakes_failed"] >= 2 and
             ipc_state(ha2)["handshakes_failed"] >= 2, 15,
             what="failed handshakes")
    for n in (ha1, ha2):
        s = ipc_state(n)
        assert s["state"] != "up" and s["ups"] == 0
        assert "security key differs" in s["reason"], s["reason"]
        assert s["drops"]["bad_tag"] >= 1
        assert n.proc.poll() is None
    assert "security key differs" in ha1.ctl(
        "show", "redundancy", "inter-device").stdout
    # the other node keeps working; fix the key and it comes up (SIGHUP)
    assert ha1.json("show", "version")["hostname"] == "ha1"
    with open(ha2.conf, "w") as f:
        f.write(conf_for("ha2"))
    ha2.proc.send_signal(signal.SIGHUP)
    wait_up(ha1, ha2)


def test_ipc_no_key_stays_down(design, bindir):
    ha1 = Havpnd(design, "ha1", conf_for("ha1", key=None),
                 bindir).wait_ready()
    s = ipc_state(ha1)
    assert s["state"] == "no-key"
    assert "security key" in s["reason"]


def test_ipc_cut_and_restore(pair, design):
    ha1, ha2 = pair
    wait_up(ha1, ha2)
    design.run("ha1", ["ip", "link", "set", "ipc0", "down"])
    wait_for(lambda: not is_up(ha1) and not is_up(ha2), 8,
             what="channel down after the cut")
    assert "heartbeat" in ipc_state(ha2)["reason"] or \
        "association" in ipc_state(ha2)["reason"]
    time.sleep(2)       # stay cut across a few reconnect attempts
    t0 = time.monotonic()
    design.run("ha1", ["ip", "link", "set", "ipc0", "up"])
    wait_up(ha1, ha2, timeout=10)
    took = time.monotonic() - t0
    print(f"channel back {took:.2f}s after the link came up")
    s = ipc_state(ha1)
    assert s["downs"] >= 1 and s["ups"] >= 2
    assert s["peer"]["incarnation"] == ipc_state(ha2)["local"]["incarnation"]
    assert s["peer_restarts"] == 0


def test_ipc_peer_restart_noticed(pair, design, bindir):
    ha1, ha2 = pair
    wait_up(ha1, ha2)
    old = ipc_state(ha1)["peer"]["incarnation"]
    # kill -9: no ABORT goes out, the association is silently gone
    ha2.proc.kill()
    ha2.proc.wait(5)
    ha2b = Havpnd(design, "ha2", conf_for("ha2"), bindir).wait_ready()
    wait_for(lambda: is_up(ha1) and ipc_state(ha1)["peer"]["incarnation"]
             != old, 10, what="the new incarnation")
    s = ipc_state(ha1)
    assert s["peer_restarts"] == 1
    assert s["peer"]["incarnation"] == \
        ipc_state(ha2b)["local"]["incarnation"]


def test_ipc_multihomed_path_switch(design, bindir):
    """Two links: cut the first, the channel stays up over the second."""
    design.p2p(("ha1", "ipc1", "192.168.254.1/30"),
               ("ha2", "ipc1", "192.168.254.2/30"))

    def mh(node, local, remote):
        return conf_for(node).replace(
            f"    local-ip {local}\n",
            f"    local-ip {local} {local.replace('255', '254', 1)}\n").replace(
            f"    remote-ip {remote}\n",
            f"    remote-ip {remote} {remote.replace('255', '254', 1)}\n"
        ).replace("    path-retransmit 3\n    assoc-retransmit 3\n",
                  "    path-retransmit 2\n    assoc-retransmit 10\n")
    ha1 = Havpnd(design, "ha1", mh("ha1", "192.168.255.1", "192.168.255.2"),
                 bindir).wait_ready()
    ha2 = Havpnd(design, "ha2", mh("ha2", "192.168.255.2", "192.168.255.1"),
                 bindir).wait_ready()
    wait_up(ha1, ha2)
    paths = ipc_state(ha1)["association"]["paths"]
    assert [p["remote"] for p in paths] == ["192.168.255.2",
                                            "192.168.254.2"]
    design.run("ha1", ["ip", "link", "set", "ipc0", "down"])
    wait_for(lambda: ipc_state(ha1)["association"]["path_switches"] >= 1 and
             ipc_state(ha2)["association"]["path_switches"] >= 1, 15,
             what="both ends on the second path")
    hb = ipc_state(ha1)["heartbeats_received"]
    wait_for(lambda: ipc_state(ha1)["heartbeats_received"] >= hb + 4, 5,
             what="heartbeats over the second path")
    for n in (ha1, ha2):
        s = ipc_state(n)
        assert s["state"] == "up" and s["downs"] == 0, s["reason"]
        prim = [p for p in s["association"]["paths"] if p["primary"]]
        assert prim[0]["remote"].startswith("192.168.254.")


def kernel_has_sctp():
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(kernel_has_sctp(), reason="this kernel has SCTP")
def test_ipc_kernel_sctp_missing_names_the_line(design, bindir):
    text = conf_for("ha1", encap=False)
    line = text.splitlines().index(" association 1") + 1
    path = design.write("nosctp.conf", text)
    r = design.run("ha1", [os.path.join(bindir, "havpnd"), "-F", "-f", path,
                           "-s", design.path("nosctp.sock"),
                           "-p", design.path("nosctp.pid")], check=False,
                   timeout=10)
    assert r.returncode != 0
    assert (f"{path}:{line}: this kernel has no SCTP; add "
            f"'   encapsulation udp PORT' to association 1") in r.stderr


# ---- with tests/tools/ipc_peer ----------------------------------------

def test_ipc_injected_records_dropped(design, bindir):
    ha1 = Havpnd(design, "ha1", conf_for("ha1"), bindir).wait_ready()
    p = IpcPeer(design, "ha2", peer_conf("ha2", "ha2"))
    p.expect(lambda m: m.get("event") == "up", 10)
    wait_up(ha1)
    p.cmd("send state 10 200 abcd")
    p.expect(lambda m: m.get("queued") == 10)
    wait_for(lambda: ipc_state(ha1)["streams"][1]["msgs_received"] == 10, 5,
             what="10 state messages at ha1")
    for kind, counter in (("replay", "replay"), ("forged", "bad_tag"),
                          ("truncated", "truncated"),
                          ("toolarge", "too_large"), ("version", "version")):
        before = ipc_state(ha1)["drops"][counter]
        p.cmd(f"inject {kind}")
        p.expect(lambda m: m.get("injected") == kind)
        wait_for(lambda: ipc_state(ha1)["drops"][counter] == before + 1, 5,
                 what=f"{kind} counted as {counter}")
    s = ipc_state(ha1)
    assert s["state"] == "up" and s["downs"] == 0
    assert s["streams"][1]["msgs_received"] == 10
    # the channel still carries messages afterwards
    p.cmd("send state 5 200 abcd")
    wait_for(lambda: ipc_state(ha1)["streams"][1]["msgs_received"] == 15, 5,
             what="5 more messages")
    assert "replay 1, truncated 1, too large 1" in ha1.ctl(
        "show", "redundancy", "inter-device").stdout


def test_ipc_clear_hello_cannot_end_the_channel(design, bindir):
    """The attack: a well-formed clear HELLO of a new incarnation, written
    into the live association as anyone on the path can.  It used to end
    the sealed channel ("the peer restarted (new incarnation)"); now it is
    dropped and counted, and the channel carries on."""
    ha1 = Havpnd(design, "ha1", conf_for("ha1"), bindir).wait_ready()
    p = IpcPeer(design, "ha2", peer_conf("ha2", "ha2"))
    p.expect(lambda m: m.get("event") == "up", 10)
    wait_up(ha1)
    before = ipc_state(ha1)
    p.cmd("inject hello")
    p.expect(lambda m: m.get("injected") == "hello")
    wait_for(lambda: ipc_state(ha1)["drops"]["unsealed"] == 1, 5,
             what="the clear hello counted as unsealed")
    s = ipc_state(ha1)
    assert s["state"] == "up" and s["downs"] == 0 and s["ups"] == 1
    assert s["peer"]["incarnation"] == before["peer"]["incarnation"]
    assert s["peer_restarts"] == 0
    # still sealed traffic both ways
    p.cmd("send state 5 200 abcd")
    wait_for(lambda: ipc_state(ha1)["streams"][1]["msgs_received"] == 5, 5,
             what="5 messages after the hello")
    assert "unsealed 1" in ha1.ctl("show", "redundancy",
                                   "inter-device").stdout
    assert "a clear hello on a live channel" in design.log("ha1")


def test_ipc_capture_has_no_plaintext(design, bindir):
    secret = bytes.fromhex("c0ffee5ec7e7d00dfeedfacecafebabe")
    pcap = design.path("ipc.pcap")
    dump = design.spawn("ha1", ["tcpdump", "-i", "ipc0", "-U", "-B", "32768",
                                "--immediate-mode", "-w", pcap],
                        "tcpdump")
    wait_for(lambda: "listening on" in design.log("tcpdump"), 10,
             what="tcpdump")
    ha1 = Havpnd(design, "ha1", conf_for("ha1"), bindir).wait_ready()
    p = IpcPeer(design, "ha2", peer_conf("ha2", "ha2"))
    p.expect(lambda m: m.get("event") == "up", 10)
    p.cmd(f"send state 200 1000 {secret.hex()}")
    p.expect(lambda m: m.get("queued") == 200)
    wait_for(lambda: ipc_state(ha1)["streams"][1]["msgs_received"] == 200,
             10, what="200 messages at ha1")
    # let tcpdump write everything it has seen
    wait_for(lambda: os.path.getsize(pcap) > 200 * 1000, 10,
             what="the capture to hold the transfer")
    design.stop(dump)
    with open(pcap, "rb") as f:
        data = f.read()
    # the capture holds the traffic: 200 KB of sealed payload crossed
    assert len(data) > 200 * 1000
    # positive control: the clear hello (node id) is in the capture
    assert b"ha2" in data
    # the secret payload, a piece of it, and the security key are not
    assert secret not in data
    assert secret[:8] not in data and secret[8:] not in data
    assert KEY.encode() not in data
    # tshark decodes the datagrams as SCTP (RFC 6951 on the wire)
    r = subprocess.run(["tshark", "-r", pcap, "-d", "udp.port==9899,sctp",
                        "-Y", "sctp.data_sid == 1", "-T", "fields",
                        "-e", "sctp.data_sid"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.split()) == 200


def test_ipc_stream_separation(design):
    a = IpcPeer(design, "ha1", peer_conf("ha1", "ha1"))
    b = IpcPeer(design, "ha2", peer_conf("ha2", "ha2"))
    a.expect(lambda m: m.get("event") == "up", 10)
    b.expect(lambda m: m.get("event") == "up", 10)
    total = 5_000_000
    a.cmd(f"burst {total} 500 1 1500")
    a.expect(lambda m: "queued" in m, 30)

    def done():
        st = b.stats()
        return st if st["received"][1]["bytes"] >= total else None
    st = wait_for(done, 30, interval=0.2, what="the burst at ha2")
    sa = a.status()
    print(f"5 MB on state in {st['state_window_us'] / 1000:.1f} ms; "
          f"{st['counters_in_window']} counters messages during it, "
          f"latency avg {st['counters_latency_avg_us']} us, "
          f"max {st['counters_latency_max_us']} us (alone before: avg "
          f"{st['baseline_latency_avg_us']} us, max "
          f"{st['baseline_latency_max_us']} us); "
          f"counters refused {sa['streams'][2]['refused_full']}")
    assert st["received"][1]["msgs"] == total // 500
    # counter messages kept arriving during the bulk transfer
    assert st["counters_in_window"] >= 1
