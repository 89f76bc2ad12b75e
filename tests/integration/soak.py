"""The soak: the gateway pair under a 1000 pps flow through strongSwan,
cycle after cycle of unplanned and planned failovers while the sync link
delays and loses at random.

Each cycle is one of three events, in turn, on the node that is active:
  switchover   `redundancy switchover` on the active: no packet lost;
  kill         kill -9 of the active daemon, the unit's ExecStopPost
               (havpnd -C) after it: loss within the tests' bound (2 s
               of the flow); then the node starts again, resyncs (and,
               being ha1, preempts back by a planned switchover): no
               packet lost;
  link         the active's outside link down: loss within the same
               bound; up again: the node resyncs (ha1 preempts back): no
               packet lost.
Before each cycle the sync link (linkem) gets a delay of 0-20 ms and a
loss of 0-3 % each way, at random (the seed is printed).  After each
cycle: strongSwan has the same IKE SA and the same CHILD SA SPIs,
established no IKE SA and saw no replay, ICV or decryption failure;
the one exception is by design: a takeover without exact counters
continues an SA half-way through the sequence numbers it has left, and
one with less than 2^24 left is rekeyed by a Quick Mode on the synced
ISAKMP SA instead (about every 7th unplanned takeover of one SA;
docs/hasync.md, "One node per sequence number"), which the node that
took over records in its history: then strongSwan must end with one new
CHILD SA on the same IKE SA;
one node is ACTIVE and the other STANDBY HOT and they stay so.  Across
the run: the resident memory and open descriptors of each daemon that
lived through it (ha1 is never killed: kill -9 finds ha2 active after
the switchover before it) stay flat.

soak() is used by test_soak.py (20 cycles, in make check) and by
tests/soak/run (any number: docs/benchmarks.md has the 500-cycle run).
"""

import os
import random
import re
import signal
import time

from hasynclib import (ACTIVE, HOT, Flow, echo, peer, rf, ss_ike, start,
                       tunnel_up, wait_rf)
from topology import set_link, wait_for

RATE = 1000
# the integration tests' bound for an unplanned failover's loss
UNPLANNED_MAX_LOST = RATE * 2
SS_FAILURES = ("sequence number verification failed",
               "ICV verification failed", "decryption failed")
EVENTS = ("switchover", "kill", "link")
DELAYS_MS = (0, 1, 2, 5, 10, 20)
# percent; 0 twice: a third of the cycles on a clean link
LOSSES = (0, 0, 0.5, 1, 2, 3)


def proc_figures(node):
    """(VmRSS in KiB, open descriptors) of a daemon."""
    pid = node.proc.pid
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(ln.split()[1]) for ln in f if ln.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


class Soak:
    def __init__(self, design, bindir, seed, out, losses):
        self.design, self.bindir, self.out = design, bindir, out
        self.losses = losses
        self.rng = random.Random(seed)
        self.nodes = {"ha1": start(design, bindir, "ha1", wait_active=True)}
        self.c = peer(design, dpd=2)
        echo(design)
        tunnel_up(design, bindir, self.c, self.nodes["ha1"])
        self.nodes["ha2"] = start(design, bindir, "ha2")
        wait_rf(self.nodes["ha2"], HOT)
        self.ss = ss_ike(self.c)
        self.established = self.ike_established()
        self.samples = {}       # pid -> [(cycle, name, rss, fds)]
        self.rekeys = 0

    def ike_established(self):
        return len(re.findall(r"IKE_SA c1\[\d+\] established", self.c.log()))

    def roles(self):
        return {name: rf(n) for name, n in self.nodes.items()}

    def active(self):
        """The name of the ACTIVE node and of the other one."""
        r = self.roles()
        act = [n for n, s in r.items() if s == ACTIVE]
        assert len(act) == 1, r
        return act[0], "ha2" if act[0] == "ha1" else "ha1"

    def settle(self, timeout=40):
        """One node ACTIVE and the other STANDBY HOT, for 2 s in a row (a
        returning ha1 preempts once HOT: that switchover is waited for)."""
        def settled():
            r = self.roles()
            return r if sorted(r.values()) == sorted([ACTIVE, HOT]) else None

        deadline = time.monotonic() + timeout
        while True:
            r = wait_for(settled, max(1, deadline - time.monotonic()),
                         what="one node ACTIVE, the other STANDBY HOT")
            time.sleep(2)
            if self.roles() == r:
                return r
            assert time.monotonic() < deadline, ("roles keep moving", r)

    def check_peer(self, rekeyed=False):
        if rekeyed:
            # the takeover rekeyed the pair: the old one is deleted soon
            old = self.ss[1]["net"]
            wait_for(lambda: (lambda s: s is not None and
                              len(s[1].get("net", [])) == 1 and
                              s[1]["net"] != old)(ss_ike(self.c)), 20,
                     what="one new CHILD SA at strongSwan")
            self.ss = (self.ss[0], ss_ike(self.c)[1])
        now = ss_ike(self.c)
        assert now is not None, "strongSwan lost its IKE SA"
        assert now == self.ss, ("strongSwan's SAs changed", now, self.ss)
        assert self.ike_established() == self.established, \
            "strongSwan established a new IKE SA"
        bad = [ln for ln in self.c.log().splitlines()
               if any(f in ln for f in SS_FAILURES)]
        assert not bad, bad[:5]

    def restart(self, name):
        """The node's daemon again, after it ended."""
        old = self.nodes[name]
        old.proc.wait()
        self.design.procs = [p for p in self.design.procs
                             if p[1] is not old.proc]
        self.nodes[name] = start(self.design, self.bindir, name)

    def stop_post(self, name):
        """The unit's ExecStopPost after the daemon died."""
        h = self.nodes[name]
        h.proc.wait()
        self.design.run(name, [os.path.join(self.bindir, "havpnd"), "-C",
                               "-f", h.conf, "-s", h.sock, "-p", h.pidfile])

    def cycle(self, k):
        event = EVENTS[k % len(EVENTS)]
        delay = self.rng.choice(DELAYS_MS)
        loss = self.rng.choice(self.losses)
        set_link(self.design.ipc_link, delay, loss)
        act, other = self.active()
        h = self.nodes[act]
        back = None
        f = Flow(self.design, 3)
        if event == "switchover":
            h.ctl("redundancy", "switchover")
        elif event == "kill":
            os.kill(h.proc.pid, signal.SIGKILL)
            self.stop_post(act)
        else:
            self.design.run(act, ["ip", "link", "set", "eth0", "down"])
        f = f.result()
        wait_rf(self.nodes[other], ACTIVE, 5)
        ev = self.nodes[other].json("show", "redundancy",
                                    "history")["events"][-1]
        rekeyed = ev.get("rekeyed", 0) > 0
        if rekeyed:
            assert event != "switchover" and ev["event"] == "failover", ev
        if event == "switchover":
            assert f["lost"] == 0, (k, event, f)
        else:
            assert f["lost"] < UNPLANNED_MAX_LOST, (k, event, f)
            # the node returns under the flow: resync (and a preemption
            # back, a planned switchover) lose nothing
            back = Flow(self.design, 8)
            if event == "kill":
                self.restart(act)
            else:
                self.design.run(act, ["ip", "link", "set", "eth0", "up"])
        assert f["replies"] > 0 and f["duplicates"] == 0, (k, event, f)
        roles = self.settle()
        if back is not None:
            back = back.result()
            assert back["lost"] == 0, (k, event, "return", back)
        self.check_peer(rekeyed)
        self.rekeys += rekeyed
        for name, n in self.nodes.items():
            rss, fds = proc_figures(n)
            self.samples.setdefault(n.proc.pid, []).append(
                (k, name, rss, fds))
        self.out(f"cycle {k + 1}: {event} of {act} (sync link {delay} ms, "
                 f"{loss} % loss): lost {f['lost']}, longest gap "
                 f"{f['longest_gap_ms']} ms"
                 + (f"; return lost {back['lost']}" if back else "")
                 + ("; the pair rekeyed (sequence space)" if rekeyed
                    else "")
                 + f"; now {'ha1' if roles['ha1'] == ACTIVE else 'ha2'} "
                 f"ACTIVE")
        return event, f

    def flat(self):
        """Memory and descriptors of each daemon over its life: the first
        sample after a cycle of warm-up against the last."""
        rows = []
        for pid, s in self.samples.items():
            if len(s) < 3:
                continue
            (_, name, rss0, fds0), (_, _, rss1, fds1) = s[1], s[-1]
            rows.append((name, pid, len(s), rss0, rss1, fds0, fds1))
        return rows


def soak(design, bindir, cycles, seed=None, out=print, losses=LOSSES):
    """Run the cycles; returns the figures (per event: losses and gaps;
    per long-lived daemon: memory and descriptors first and last).
    losses: the sync link's loss rates (percent) to choose from."""
    seed = seed if seed is not None else random.randrange(1 << 30)
    out(f"soak: {cycles} cycles, seed {seed}, sync link loss from "
        f"{sorted(set(losses))} %")
    s = Soak(design, bindir, seed, out, losses)
    figs = {e: [] for e in EVENTS}
    for k in range(cycles):
        event, f = s.cycle(k)
        figs[event].append(f)
    set_link(design.ipc_link, 0, 0)
    for event, fs in figs.items():
        if fs:
            lost = [f["lost"] for f in fs]
            gaps = [f["longest_gap_ms"] for f in fs]
            out(f"{event}: {len(fs)} cycles, lost max {max(lost)} mean "
                f"{sum(lost) / len(lost):.0f}, longest gap max {max(gaps)} "
                f"ms")
    out(f"pairs rekeyed at a takeover (sequence space): {s.rekeys}")
    rows = s.flat()
    for name, pid, n, rss0, rss1, fds0, fds1 in rows:
        out(f"{name} (pid {pid}, {n} cycles): RSS {rss0} -> {rss1} KiB, "
            f"descriptors {fds0} -> {fds1}")
    return figs, rows
