"""The state stream over lanes (ipc/lanes.c, docs/ipc.md "Lanes"): a
snapshot through a sync link that delays and loses, carried by the lanes
in order; and a pair with "lanes 0" that still syncs over the one
association.  Times are printed, never asserted (bench/bulk-sync measures
them)."""

from topology import Havpnd, set_link, wait_for
from hasynclib import HOT, conf, crypto_ha, rf, wait_rf

N = 3000


def ipc_state(node):
    return node.json("show", "redundancy", "inter-device")["ipc"]


def lanes_conf(node, lanes):
    enc = "   encapsulation udp 9899\n"
    text = conf(node)
    assert enc in text
    if lanes is None:
        return text
    return text.replace(enc, f"{enc}   lanes {lanes}\n")


def snapshot(t, bindir, lanes=None):
    ha1 = Havpnd(t, "ha1", lanes_conf("ha1", lanes), bindir).wait_ready()
    wait_rf(ha1, 13, 10)
    ha1.ctl("test", "redundancy", "synthetic-tunnels", str(N), "1")
    ha2 = Havpnd(t, "ha2", lanes_conf("ha2", lanes), bindir).wait_ready()
    wait_for(lambda: rf(ha2) == HOT, 60, interval=0.05, what="STANDBY HOT")
    h = crypto_ha(ha2)
    assert h["ipsec_sa_pairs"]["synced"] == N, h["ipsec_sa_pairs"]
    assert h["isakmp_sas"]["synced"] == N, h["isakmp_sas"]
    return ha1, ha2, h


def test_lanes_carry_a_lossy_snapshot_in_order(design_linkem, bindir):
    t = design_linkem
    set_link(t.ipc_link, 20, 2)
    ha1, ha2, h = snapshot(t, bindir)
    # a lane whose handshake is still crossing the lossy link is up on
    # the server (it sent the answer) before the client (it reads it)
    wait_for(lambda: ipc_state(ha1)["lanes"]["up"] ==
             ipc_state(ha2)["lanes"]["up"], 5, interval=0.05,
             what="the same lanes up on both nodes")
    a, b = ipc_state(ha1), ipc_state(ha2)
    print(f"{N} tunnels through 20 ms / 2 % loss: snapshot "
          f"{h['bulk']['last_duration_us'] / 1000:.0f} ms, lanes up "
          f"{a['lanes']['up']} / {b['lanes']['up']}, the standby held at "
          f"most {b['lanes']['held_most']} records for an earlier one")
    # the lanes came up on both nodes and carried the snapshot
    assert a["lanes"]["configured"] == 23
    assert a["lanes"]["up"] >= 1 and b["lanes"]["up"] == a["lanes"]["up"]
    assert a["lanes"]["state_msgs_sent"] > 0
    assert b["lanes"]["state_msgs_received"] == a["lanes"]["state_msgs_sent"]
    assert a["lanes"]["refused"] == 0 and b["lanes"]["refused"] == 0
    # nothing forged, replayed or lost on the way: in order, complete
    for d in ("bad_tag", "replay", "malformed"):
        assert b["drops"][d] == 0, (d, b["drops"])
    assert b["lanes"]["held_now"] == 0
    for d in ("malformed", "wrong_stream", "import_refused"):
        assert h["drops"][d] == 0, (d, h["drops"])
    show = ha2.ctl("show", "redundancy", "inter-device").stdout
    assert "Lanes: 23 configured, " in show, show


def test_lanes_off_syncs_over_one_association(design, bindir):
    ha1, ha2, h = snapshot(design, bindir, lanes=0)
    a, b = ipc_state(ha1), ipc_state(ha2)
    assert a["lanes"]["configured"] == 0 and a["lanes"]["up"] == 0
    assert b["lanes"]["state_msgs_received"] == 0
    assert b["streams"][1]["msgs_received"] > 0
    assert "lanes 0" in ha1.ctl("show", "running-config").stdout
