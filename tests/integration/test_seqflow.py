"""seqflow, the flow the failover tests measure with, measures right: no
loss on a clean link, and a link cut shows up as the gap and the loss it
caused."""

import json
import os
import time

from conftest import REPO
from topology import wait_for

SEQFLOW = os.path.join(REPO, "build", "tools", "seqflow")


def flow(topo, secs, rate=1000):
    r = topo.run("a", [SEQFLOW, "run", "10.9.0.2", "7000", str(rate),
                       str(secs), "500"], timeout=secs + 10)
    return json.loads(r.stdout)


def test_seqflow_measures_loss_and_gap(topo):
    topo.p2p(("a", "eth0", "10.9.0.1/24"), ("b", "eth0", "10.9.0.2/24"))
    topo.spawn("b", [SEQFLOW, "echo", "7000"], "echo")
    wait_for(lambda: "echo listening" in topo.log("echo"), 10,
             what="seqflow echo bound on b")
    clean = flow(topo, 1.0)
    assert clean["sent"] == 1000 and clean["replies"] == 1000
    assert clean["lost"] == 0 and clean["duplicates"] == 0
    assert clean["longest_gap_ms"] < 100

    # cut b's link for ~400 ms in the middle of a 2 s flow: once the flow
    # is sending, so that the cut falls inside it however slow the start
    p = topo.spawn("a", [SEQFLOW, "run", "10.9.0.2", "7000", "1000", "2.0",
                         "500"], "cutflow")
    wait_for(lambda: "seqflow: running" in topo.log("cutflow"), 10,
             what="seqflow sending from a")
    time.sleep(0.4)
    topo.run("b", ["ip", "link", "set", "eth0", "down"])
    time.sleep(0.4)
    topo.run("b", ["ip", "link", "set", "eth0", "up"])
    p.wait(15)
    cutres = json.loads(topo.log("cutflow").splitlines()[-1])
    assert cutres["sent"] == 2000
    assert cutres["lost"] > 200, cutres
    assert cutres["lost"] == cutres["lost_forward"] + cutres["lost_reverse"]
    assert 300 < cutres["longest_gap_ms"] < 2000, cutres
