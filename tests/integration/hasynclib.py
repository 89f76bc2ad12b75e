"""Helpers for the replication and failover tests (test_hasync*.py,
test_failover.py) and their benchmarks: the gateway pair of the design
topology with a strongSwan peer on 10.0.0.20 whose tunnel ends on the
outside VIP 10.0.0.10, and seqflow between the inside host and the remote
host."""

import json
import os
import time

from conftest import REPO, example
from strongswan import Charon
from topology import Havpnd, wait_for

SEQFLOW = os.path.join(REPO, "build", "tools", "seqflow")
KEY = "example-only-change-me-0123456789"
ACTIVE, HOT, COLD, BULK = 13, 8, 4, 7

# strongSwan: IKEv1 to the VIP, two children (the ACL's subnets, and a
# host pair inside them), NAT-T forced (kernel-libipsec), DPD every 2 s
SWANCTL = """connections {{
  c1 {{
    version = 1
    local_addrs = 10.0.0.20
    remote_addrs = 10.0.0.10
    proposals = aes256-sha256-modp2048
    encap = yes
    dpd_delay = {dpd}s
    reauth_time = 0
    rekey_time = 0
    local {{
      auth = psk
      id = 10.0.0.20
    }}
    remote {{
      auth = psk
      id = %any
    }}
    children {{
      net {{
        local_ts = 172.21.91.0/24
        remote_ts = 192.168.20.0/24
        esp_proposals = aes256gcm16-modp2048
        rekey_time = {rekey}s
        start_action = none
      }}
      host {{
        local_ts = 172.21.91.1/32
        remote_ts = 192.168.20.25/32
        esp_proposals = aes256gcm16-modp2048
        rekey_time = 0
        start_action = none
      }}
    }}
  }}
}}
secrets {{
  ike-1 {{
    secret = cisco123
  }}
}}
"""

def conf(node, key=None, stateful=True, extra=""):
    text = example(f"{node}.conf")
    if key is not None:
        text = text.replace(KEY, key)
    if not stateful:
        text = text.replace(" redundancy VPN-OUT stateful\n",
                            " redundancy VPN-OUT\n")
    return text + extra


def rf(node):
    return node.json("show", "redundancy")["my_state"]["number"]


def wait_rf(node, state, timeout=15):
    return wait_for(lambda: rf(node) == state, timeout, interval=0.05,
                    what=f"{node.node} in RF state {state}")


def crypto_ha(node, detail=False):
    if detail:
        return node.json("show", "crypto", "ha", "detail")
    return node.json("show", "crypto", "ha")


def start(design, bindir, node, text=None, wait_active=False):
    h = Havpnd(design, node, text or conf(node), bindir).wait_ready()
    if wait_active:
        wait_rf(h, ACTIVE, 10)
    return h


def peer(design, dpd=2, rekey=0):
    c = Charon(design, "peer", install_routes=True)
    path = os.path.join(c.dir, "swanctl.conf")
    with open(path, "w") as f:
        f.write(SWANCTL.format(dpd=dpd, rekey=rekey))
    c.swanctl("--load-all", "--file", path)
    return c


def ss_ike(c):
    """strongSwan's IKE SA of c1: (cookies, {child name: (spi_in, spi_out)}
    of the INSTALLED children)."""
    sa = c.sas().get("c1")
    if sa is None or sa.get("state") != "ESTABLISHED":
        return None
    kids = {}
    for k in sa.get("child-sas", {}).values():
        if k.get("state") == "INSTALLED":
            kids.setdefault(k["name"], []).append(
                (int(k["spi-in"], 16), int(k["spi-out"], 16)))
    return (sa["initiator-spi"], sa["responder-spi"]), kids


def sa_state(node):
    """What show crypto ha detail says a node holds, comparable between
    the two nodes: lifetimes left and counters set apart."""
    d = crypto_ha(node, detail=True)
    isakmp = {s["conn_id"]: dict(s) for s in d["isakmp_sa_list"]}
    ipsec = {s["conn_in"]: dict(s) for s in d["ipsec_sa_list"]}
    return isakmp, ipsec


def _settled(state):
    """A node's state without what moves all the time (seconds left, ESP
    counters)."""
    isakmp, ipsec = state
    drop = ("remaining", "seq_out", "replay_top")
    return ({k: {f: v for f, v in s.items() if f not in drop}
             for k, s in isakmp.items()},
            {k: {f: v for f, v in s.items() if f not in drop}
             for k, s in ipsec.items()})


def states_at_one_instant(active, standby, tries=5):
    """Both nodes' states as of one instant: the active is read before and
    after the standby, and the pair is used only when the active did not
    change in between (an R-U-THERE from the peer can land between two
    reads, and then the standby rightly holds a newer state than the
    first read of the active)."""
    for _ in range(tries):
        a = sa_state(active)
        s = sa_state(standby)
        if _settled(sa_state(active)) == _settled(a):
            return a, s
    raise AssertionError(f"the active's SAs changed during each of {tries} "
                         "reads")


def assert_same_state(active, standby, counter_slack=None):
    """The standby holds every SA of the active, equal in everything but
    the seconds left (within 3 s) and, when counter_slack is given, the
    counters (within it)."""
    (ai, ap), (si, sp) = states_at_one_instant(active, standby)
    assert sorted(ai) == sorted(si), (ai, si)
    assert sorted(ap) == sorted(sp), (ap, sp)
    for k in ai:
        a, s = dict(ai[k]), dict(si[k])
        assert abs(a.pop("remaining") - s.pop("remaining")) <= 3
        assert a == s, (a, s)
    for k in ap:
        a, s = dict(ap[k]), dict(sp[k])
        assert abs(a.pop("remaining") - s.pop("remaining")) <= 3
        aseq, sseq = a.pop("seq_out", 0), s.pop("seq_out", 0)
        atop, stop = a.pop("replay_top", 0), s.pop("replay_top", 0)
        if counter_slack is not None:
            assert 0 <= aseq - sseq <= counter_slack, (aseq, sseq)
            assert 0 <= atop - stop <= counter_slack, (atop, stop)
        assert a == s, (a, s)
    return ai, ap


def same_state(active, standby, counter_slack=None):
    """assert_same_state as a predicate, for wait_for."""
    try:
        assert_same_state(active, standby, counter_slack)
    except AssertionError:
        return False
    return True


def sa_traffic(node):
    """{SPI: (packets, bytes, kilobytes of lifetime left)} of every ESP SA
    in the node's data plane (show crypto ipsec sa)."""
    out = {}

    def walk(o):
        if isinstance(o, dict):
            if {"spi", "packets", "bytes"} <= o.keys():
                out[o["spi"]] = (o["packets"], o["bytes"],
                                 o["remaining_kbytes"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(node.json("show", "crypto", "ipsec", "sa"))
    return out


def flow(design, rate, secs, drain_ms=500):
    r = design.run("inside", [SEQFLOW, "run", "172.21.91.37", "7000",
                              str(rate), str(secs), str(drain_ms)],
                   timeout=secs + 30)
    return json.loads(r.stdout)


def echo(design):
    p = design.spawn("remote", [SEQFLOW, "echo", "7000"], "echo")
    wait_for(lambda: "echo listening" in design.log("echo"), 10,
             what="seqflow echo bound on the remote host")
    return p


class Flow:
    """seqflow inside -> remote in the background, already sending when
    the constructor returns (lead: how long it has run by then); .result()
    waits for its figures."""

    runs = 0

    def __init__(self, design, secs, rate=1000, lead=0.5, drain_ms=1500,
                 dst="172.21.91.37"):
        Flow.runs += 1
        self.design, self.name = design, f"flow{Flow.runs}"
        self.proc = design.spawn("inside", [
            SEQFLOW, "run", dst, "7000", str(rate), str(secs),
            str(drain_ms)], self.name)
        self.timeout = secs + drain_ms / 1000 + 30
        wait_for(lambda: "seqflow: running" in design.log(self.name), 10,
                 what="seqflow sending from the inside host")
        time.sleep(lead)        # a stretch of steady flow before the event

    def result(self):
        self.proc.wait(self.timeout)
        out = json.loads(self.design.log(self.name).splitlines()[-1])
        # the figures, for -s runs (the benchmark is bench/failover)
        print(f"flow: sent {out['sent']} lost {out['lost']} "
              f"(forward {out['lost_forward']}, reverse "
              f"{out['lost_reverse']}) longest gap "
              f"{out['longest_gap_ms']} ms")
        return out


def reverse_routes(design, node):
    """The reverse-route (RRI) routes in node's main table: the remote
    proxies routed into the data plane's TUN device (proto 97)."""
    out = design.run(node, ["ip", "route", "show", "proto", "97"]).stdout
    return sorted(ln.split()[0] for ln in out.splitlines())


def tunnel_up(design, bindir, c, active, children=("net",)):
    for ch in children:
        c.initiate(ch)
    return wait_for(lambda: ss_ike(c) if ss_ike(c) is not None and
                    all(ch in ss_ike(c)[1] for ch in children) else None,
                    15, interval=0.2, what="strongSwan's SAs")
