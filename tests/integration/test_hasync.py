"""Replication (issue 6) on the design topology: ha1 active, ha2 standby,
strongSwan on 10.0.0.20 with its tunnel to the outside VIP.

The standby reaches STANDBY HOT and holds the active's ISAKMP and IPsec
SAs, equal in cookies, SPIs, ports, lifetimes, DPD sequence numbers, keys
and phase 1 IV (compared through a fingerprint of the key material, `show
crypto ha detail`) and counters within the replay-interval: after the
snapshot and after each event (a new tunnel, a Quick Mode rekey, a delete,
DPD).  A standby restarted in the middle of a snapshot and a cut sync
link both end STANDBY HOT with equal state.  A standby with another
security key never gets there while the active keeps working; malformed,
out-of-range, forged and replayed sync messages are dropped and counted;
a capture of the channel during a snapshot holds none of the SA keys.
"""

import hashlib
import os
import signal
import time

from hasynclib import (ACTIVE, BULK, COLD, HOT, assert_same_state, conf,
                       crypto_ha, echo, flow, peer, rf, same_state,
                       sa_traffic, ss_ike, start, tunnel_up, wait_rf)
from test_ipc import IpcPeer, ipc_state, peer_conf
from topology import wait_for


def test_hasync_bulk_and_every_event(design, bindir):
    ha1 = start(design, bindir, "ha1", wait_active=True)
    c = peer(design, dpd=2)
    echo(design)
    tunnel_up(design, bindir, c, ha1)
    # the standby starts after the tunnel: the snapshot brings it
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, HOT)
    s = ha2.json("show", "redundancy")
    assert s["peer_state"] == {"name": "ACTIVE", "number": ACTIVE}
    assert ha1.json("show", "redundancy")["peer_state"]["number"] == HOT
    ai, ap = assert_same_state(ha1, ha2)
    assert len(ai) == 1 and len(ap) == 1
    cookies, kids = ss_ike(c)
    isakmp = list(ai.values())[0]
    assert (isakmp["icookie"], isakmp["rcookie"]) == cookies
    pair = list(ap.values())[0]
    assert (pair["spi_out"], pair["spi_in"]) == kids["net"][0]
    h = crypto_ha(ha2)
    assert h["bulk"]["received_ipsec"] == 1 and h["bulk"]["state"] == "done"
    assert h["ipsec_sa_pairs"] == {"local": 1, "synced": 1}
    text = ha2.ctl("show", "redundancy", "states").stdout
    assert "my state = 8  -STANDBY HOT" in text
    assert "peer state = 13 -ACTIVE" in text
    hist = ha2.ctl("show", "redundancy", "history").stdout
    assert "STANDBY COLD-BULK(7) -> STANDBY HOT(8): bulk sync complete" in \
        hist

    # counters under a flow: within the replay-interval while it runs,
    # equal once the one-second sweep after it has run
    f = flow(design, 1000, 2)
    assert f["lost"] == 0, f
    assert_same_state(ha1, ha2, counter_slack=2000)
    # the sweep runs every second: exact within 1.2 s of the flow's end
    wait_for(lambda: same_state(ha1, ha2, counter_slack=0), 1.2,
             what="ha2's counters equal ha1's after the sweep")
    _, ap = assert_same_state(ha1, ha2, counter_slack=0)
    assert list(ap.values())[0]["seq_out"] >= 2000
    assert crypto_ha(ha2)["counters"]["applied"] > 2
    # each SA's packets and bytes too: its counters and kilobyte lifetime
    # continue on the standby
    t1, t2 = sa_traffic(ha1), sa_traffic(ha2)
    assert t1 == t2 and len(t1) == 2, (t1, t2)
    assert all(p >= 2000 and b >= 2000 * 64 for p, b, _ in t1.values()), t1
    # the standby never sent on them
    esp2 = ha2.json("show", "crypto", "ipsec", "sa")
    assert esp2["engine"]["esp_out"] == 0

    # a new tunnel (the second child), DPD, a rekey, a delete
    c.initiate("host")
    wait_for(lambda: len(sa_pairs(ha2)) == 2, 10, what="the new pair synced")
    assert_same_state(ha1, ha2)
    # the host pair lies inside the ACL entry of the net pair: the site's
    # traffic stays on the net pair (its own flows too), nothing lost
    kids = ss_ike(c)[1]
    before = sa_traffic(ha1)
    assert flow(design, 500, 1)["lost"] == 0
    after = sa_traffic(ha1)
    net_out, host_out = kids["net"][0][0], kids["host"][0][0]
    assert after[net_out][0] - before[net_out][0] >= 500, (before, after)
    assert after[host_out][0] == before[host_out][0] == 0, after
    flows = [f for i in ha1.json("show", "crypto", "ipsec", "sa")[
        "interfaces"] for f in i["flows"]]
    assert [f["current_outbound_spi"] for f in flows] == [net_out], flows
    dpd0 = list(sa_isakmp(ha2).values())[0]["dpd_seq_in"]
    wait_for(lambda: list(sa_isakmp(ha2).values())[0]["dpd_seq_in"] !=
             dpd0, 10, what="a DPD sequence number synced")
    assert_same_state(ha1, ha2)
    c.swanctl("--rekey", "--child", "net")
    wait_for(lambda: len(sa_pairs(ha2)) == 3, 10, what="the rekeyed pair")
    assert_same_state(ha1, ha2)
    # the replaced pair goes 5 s after the rekey, on both nodes
    wait_for(lambda: len(sa_pairs(ha1)) == 2 and len(sa_pairs(ha2)) == 2,
             10, what="the old pair deleted")
    assert_same_state(ha1, ha2)
    c.swanctl("--terminate", "--child", "host")
    wait_for(lambda: len(sa_pairs(ha2)) == 1, 10, what="the delete synced")
    assert_same_state(ha1, ha2)
    assert flow(design, 200, 1)["lost"] == 0
    h = crypto_ha(ha2)
    assert all(v == 0 for v in h["drops"].values()), h["drops"]
    assert rf(ha2) == HOT


def sa_pairs(node):
    return crypto_ha(node, detail=True)["ipsec_sa_list"]


def sa_isakmp(node):
    return {s["conn_id"]: s for s in
            crypto_ha(node, detail=True)["isakmp_sa_list"]}


def slow_ipc(design, node, on):
    """Throttle the sync link's sending side (tbf), so a snapshot lasts."""
    if on:
        design.run(node, ["tc", "qdisc", "add", "dev", "ipc0", "root", "tbf",
                          "rate", "4mbit", "burst", "16kb", "latency",
                          "500ms"])
    else:
        design.run(node, ["tc", "qdisc", "del", "dev", "ipc0", "root"])


def test_hasync_restart_mid_bulk_and_link_cut(design, bindir):
    ha1 = start(design, bindir, "ha1", wait_active=True)
    ha1.ctl("test", "redundancy", "synthetic-tunnels", "2000", "7")
    # about 1 MB of snapshot at 4 Mbit/s: the standby is COLD-BULK a while
    slow_ipc(design, "ha1", True)
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, BULK, 15)
    got = crypto_ha(ha2)["bulk"]
    assert got["expected_ipsec"] == 2000 and got["received_ipsec"] < 2000
    os.kill(ha2.proc.pid, signal.SIGKILL)
    ha2.proc.wait()
    slow_ipc(design, "ha1", False)
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, HOT, 20)
    ai, ap = assert_same_state(ha1, ha2)
    assert len(ai) == 2000 and len(ap) == 2000
    assert crypto_ha(ha1)["bulk"]["sent"] == 2

    # the sync link is cut; meanwhile the active deletes some SAs
    design.run("ha2", ["ip", "link", "set", "ipc0", "down"])
    wait_rf(ha2, COLD, 10)
    assert rf(ha1) == ACTIVE
    # a peer not heard is DISABLED (1), as IOS shows it
    wait_for(lambda: ha1.json("show", "redundancy")["peer_state"] ==
             {"name": "DISABLED", "number": 1}, 5, what="peer DISABLED")
    assert "peer state = 1  -DISABLED" in \
        ha1.ctl("show", "redundancy").stdout
    ha1.ctl("clear", "crypto", "sa")
    ha1.ctl("clear", "crypto", "isakmp")
    design.run("ha2", ["ip", "link", "set", "ipc0", "up"])
    wait_rf(ha2, HOT, 20)
    ai, ap = assert_same_state(ha1, ha2)
    assert len(ai) == 0 and len(ap) == 0
    h = crypto_ha(ha2)
    assert h["bulk"]["received"] == 2
    assert h["sas"]["forgotten"] >= 4000
    assert h["ipsec_sa_pairs"] == {"local": 0, "synced": 0}


def test_hasync_wrong_key_and_bad_messages(design, bindir):
    ha1 = start(design, bindir, "ha1", wait_active=True)
    c = peer(design, dpd=0)
    echo(design)
    tunnel_up(design, bindir, c, ha1)
    ha2 = start(design, bindir, "ha2",
                conf("ha2", key="another-key-entirely-0123456789ab"))
    time.sleep(3)
    # never STANDBY HOT: the channel never comes up, the reason is shown
    assert rf(ha2) == COLD
    s = ha2.json("show", "redundancy", "inter-device")
    assert s["ipc"]["state"] != "up"
    assert "security key differs" in s["ipc"]["reason"]
    assert not ha2.json("show", "standby")["ready"]
    # the active keeps working
    assert rf(ha1) == ACTIVE
    assert flow(design, 500, 1)["lost"] == 0
    design.stop(ha2.proc)

    # a peer with the right key, speaking nonsense (tests/tools/ipc_peer)
    p = IpcPeer(design, "ha2", peer_conf("ha2", "ha2"))
    p.expect(lambda m: m.get("event") == "up", 10)
    wait_for(lambda: ipc_state(ha1)["state"] == "up", 5, what="channel up")
    before = crypto_ha(ha1)["drops"]
    # not protobuf at all; a Hello with RF state 5 (no such state); a
    # BulkRequest on the state stream; one before any hello
    p.cmd("raw state deadbeefdeadbeef")
    hello = (pb(1, 1) + pb(2, b"ha2") + pb(3, 7) + pb(4, bytes(32)) +
             pb(5, 5))
    p.cmd(f"raw control {pb(1, hello).hex()}")
    p.cmd("raw state 62020801")
    wait_for(lambda: crypto_ha(ha1)["drops"]["malformed"] ==
             before["malformed"] + 2, 5, what="malformed counted")
    d = crypto_ha(ha1)["drops"]
    assert d["no_session"] + d["wrong_stream"] >= 1, d
    # forged and replayed records: dropped and counted by the channel
    for kind, counter in (("replay", "replay"), ("forged", "bad_tag")):
        n = ipc_state(ha1)["drops"][counter]
        p.cmd(f"inject {kind}")
        wait_for(lambda: ipc_state(ha1)["drops"][counter] == n + 1, 5,
                 what=f"{kind} counted")
    # nothing reached ike/ or esp/, the active still works
    assert crypto_ha(ha1)["ipsec_sa_pairs"]["local"] == 1
    assert rf(ha1) == ACTIVE
    assert flow(design, 500, 1)["lost"] == 0
    text = ha1.ctl("show", "crypto", "ha").stdout
    assert "malformed" in text


def pb(field, v):
    """One protobuf field: an int as a varint, bytes length-delimited."""
    def varint(n):
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7f | 0x80])
            n >>= 7
        return out + bytes([n])
    if isinstance(v, int):
        return varint(field << 3) + varint(v)
    return varint(field << 3 | 2) + varint(len(v)) + v


def derive(seed, i, label, n):
    """The key material bench tooling gives tunnel i (hasync/status.c)."""
    out, ctr = b"", 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{i}/{label}/{ctr}".encode()).digest()
        ctr += 1
    return out[:n]


def fingerprint(enc_in, enc_out):
    """show crypto ha detail's keys_fingerprint of an AES-GCM-256 pair."""
    m = enc_in + enc_out + bytes(128) + bytes([3, 0])
    return hashlib.sha256(m).digest()[:8].hex()


def test_hasync_ikev2_synthetic_tunnels(design, bindir):
    """The bench's IKEv2 tunnels (synthetic-tunnels ... ikev2): each an
    IKEv2 SA and a pair on the active, all of them in a fresh standby's
    snapshot, the pairs under their IKE SAs there; a wrong word refused."""
    ha1 = start(design, bindir, "ha1", wait_active=True)
    r = ha1.ctl("test", "redundancy", "synthetic-tunnels", "300", "5",
                "ikev3", check=False)
    assert r.returncode != 0 and "[ikev2]" in r.stderr, r
    ha1.ctl("test", "redundancy", "synthetic-tunnels", "300", "5", "ikev2")
    h = crypto_ha(ha1)
    assert h["ikev2_sas"]["local"] == 300, h["ikev2_sas"]
    assert h["isakmp_sas"]["local"] == 0, h["isakmp_sas"]
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, HOT)
    h2 = crypto_ha(ha2)
    assert h2["ikev2_sas"]["synced"] == 300, h2["ikev2_sas"]
    assert h2["ipsec_sa_pairs"]["synced"] == 300, h2["ipsec_sa_pairs"]
    assert h2["bulk"]["received_ikev2"] == 300, h2["bulk"]
    sas = ha2.json("show", "crypto", "ikev2", "sa")["sas"]
    assert len(sas) == 300, len(sas)


def test_hasync_capture_has_no_keys(design, bindir):
    pcap = design.path("sync.pcap")
    dump = design.spawn("ha1", ["tcpdump", "-i", "ipc0", "-U", "-B", "65536",
                                "--immediate-mode", "-w", pcap], "tcpdump")
    wait_for(lambda: "listening on" in design.log("tcpdump"), 10,
             what="tcpdump")
    ha1 = start(design, bindir, "ha1", wait_active=True)
    ha1.ctl("test", "redundancy", "synthetic-tunnels", "200", "4242")
    ha2 = start(design, bindir, "ha2")
    wait_rf(ha2, HOT)
    assert crypto_ha(ha2)["ipsec_sa_pairs"]["synced"] == 200
    last = crypto_ha(ha2)["bulk"]["last_bytes"]
    assert last > 200 * 300
    wait_for(lambda: os.path.getsize(pcap) > last, 10,
             what="the capture to hold the snapshot")
    design.stop(dump)
    with open(pcap, "rb") as f:
        data = f.read()
    # positive control: the hello's node id travels in clear
    assert b"ha2" in data
    # the keys searched for are the SAs' keys: their fingerprints on the
    # standby match ours
    pairs = {s["conn_in"]: s for s in
             crypto_ha(ha2, detail=True)["ipsec_sa_list"]}
    keys = []
    for i in range(200):
        ein = derive(4242, i, "esp-in", 36)
        eout = derive(4242, i, "esp-out", 36)
        assert pairs[2000000 + 2 * i]["keys_fingerprint"] == \
            fingerprint(ein, eout)
        keys += [ein, eout, derive(4242, i, "skeyid_d", 32),
                 derive(4242, i, "p1key", 32)]
    assert not [k for k in keys if k[:12] in data or k[-12:] in data]
