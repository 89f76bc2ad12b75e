"""make demo: bring up the topology of docs/design.md and show what havpn
does, with the real havpnctl output: the election, a tunnel to strongSwan
carrying a 1000 packets/s flow, the pair in sync, a planned switchover and
a kill -9 failover, each with its measured gap and loss.

Every sentence about what happened is derived from what was measured (the
flow's loss and longest gap, strongSwan's SA identifiers before and
after), never assumed.  Everything is removed on exit, also on Ctrl-C.
"""

import json
import os
import re
import signal
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from strongswan import Charon, swanctl_conf                  # noqa: E402
from topology import (Havpnd, design_topology, sweep_stale,  # noqa: E402
                      wait_for)

BIN = os.path.join(REPO, "bin")
SEQFLOW = os.path.join(REPO, "build", "tools", "seqflow")
RATE = 1000


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def show(node, *cmd, lines=None):
    out = node.ctl(*cmd).stdout.rstrip().splitlines()
    if lines is not None and len(out) > lines:
        out = out[:lines] + ["    ..."]
    print(f"\n{node.node}# havpnctl {' '.join(cmd)}")
    print("\n".join(out), flush=True)


def example(name):
    with open(os.path.join(REPO, "docs", "examples", name)) as f:
        return f.read()


class Flow:
    """seqflow from the inside host to the remote host, in the background."""

    def __init__(self, t, seconds):
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(t, seconds))
        self.thread.start()

    def _run(self, t, seconds):
        r = t.run("inside", [SEQFLOW, "run", "172.21.91.37", "7000",
                             str(RATE), str(seconds), "1000"],
                  timeout=seconds + 30)
        self.result = json.loads(r.stdout)

    def wait(self):
        self.thread.join()
        return self.result


def sa_ids(charon):
    """strongSwan's IKE SA cookies and CHILD SA SPIs: what renegotiation
    would change."""
    sa = charon.sas().get("c1", {})
    spis = sorted((c.get("spi-in"), c.get("spi-out"))
                  for c in sa.get("child-sas", {}).values()
                  if c.get("state") == "INSTALLED")
    return (sa.get("initiator-spi"), sa.get("responder-spi")), spis


def established(charon):
    """How many IKE and CHILD SAs strongSwan's log says it established."""
    log = charon.log()
    return (len(re.findall(r"IKE_SA c1\[\d+\] established", log)),
            len(re.findall(r"CHILD_SA net\{\d+\} established", log)))


def rf(node):
    return node.json("show", "redundancy")["my_state"]["name"]


def active_node(nodes):
    for n in nodes:
        if n.proc.poll() is None and \
                n.json("show", "standby")["role"] == "active":
            return n
    return None


def describe(res, before, after, log_before, log_after):
    print(f"\n  flow: {res['sent']} packets sent each way at {RATE}/s, "
          f"{res['lost']} lost ({res['lost_forward']} toward the remote "
          f"host, {res['lost_reverse']} back), {res['duplicates']} "
          f"duplicated, longest gap {res['longest_gap_ms']:.0f} ms")
    if before == after and log_before == log_after:
        print(f"  strongSwan kept the same IKE SA (cookies {after[0][0]} "
              f"{after[0][1]}) and the same CHILD SA SPIs "
              f"({', '.join('/'.join(p) for p in after[1])}), and its log "
              "shows no new IKE or CHILD SA: nothing was renegotiated")
    else:
        print(f"  strongSwan's SAs changed: IKE {before[0]} -> {after[0]}, "
              f"CHILD {before[1]} -> {after[1]}, established (IKE, CHILD) "
              f"{log_before} -> {log_after}: the tunnel was renegotiated")


def main():
    sweep_stale()
    t = design_topology("demo")

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    try:
        say("Topology: inside host 192.168.20.25, gateways ha1 and ha2 "
            "(outside VIP 10.0.0.10, inside VIP 192.168.20.1, a sync link "
            "192.168.255.0/30 between them), remote peer 10.0.0.20 "
            "(strongSwan), remote host 172.21.91.37, each in its own "
            "network namespace")
        ha1 = Havpnd(t, "ha1", example("ha1.conf"), BIN).wait_ready()
        ha2 = Havpnd(t, "ha2", example("ha2.conf"), BIN).wait_ready()
        nodes = (ha1, ha2)
        print("\nha1 and ha2 run docs/examples/ha1.conf and ha2.conf.")
        show(ha1, "show", "version")

        say("The election: ha1 (priority 110) becomes Active for both "
            "groups, the inside group following the outside one")
        wait_for(lambda: active_node(nodes) is ha1 and
                 ha2.json("show", "standby")["role"] == "standby", 10,
                 what="the election")
        show(ha1, "show", "standby", "brief")
        show(ha2, "show", "standby", "brief")

        say("The remote peer: strongSwan with an IKEv1 pre-shared-key "
            "connection to the outside VIP, protecting 172.21.91.0/24 <-> "
            "192.168.20.0/24, dead-peer detection every 2 s")
        charon = Charon(t, "peer", install_routes=True)
        charon.load(swanctl_conf("10.0.0.20", "10.0.0.10", "172.21.91.0/24",
                                 "192.168.20.0/24", "aes256-sha256-modp2048",
                                 "aes256gcm16-modp2048", secret="cisco123",
                                 dpd_delay=2))
        t.spawn("remote", [SEQFLOW, "echo", "7000"], "echo")
        time.sleep(0.2)

        say(f"Traffic: the inside host sends {RATE} packets/s to the remote "
            "host, which echoes them.  The first packet finds no SA: the "
            "data plane raises an acquire and havpn's IKE brings the tunnel "
            "up (Main Mode, then Quick Mode with PFS group 14)")
        res = Flow(t, 3).wait()
        print(f"\n  flow: {res['sent']} sent, {res['replies']} echoed, "
              f"{res['lost']} lost")
        show(ha1, "show", "crypto", "isakmp", "sa")
        show(ha1, "show", "crypto", "ipsec", "sa", lines=40)
        show(ha1, "show", "crypto", "session")
        print("\npeer# swanctl --list-sas")
        print(charon.swanctl("--list-sas").stdout.rstrip())

        say("The pair in sync: over the encrypted SCTP channel on the sync "
            "link, ha1 sent ha2 every ISAKMP and IPsec SA, and keeps "
            "sending sequence numbers and replay windows")
        wait_for(lambda: rf(ha2) == "STANDBY HOT", 15,
                 what="ha2 STANDBY HOT")
        show(ha1, "show", "redundancy")
        show(ha2, "show", "crypto", "ha", lines=24)
        show(ha2, "show", "crypto", "isakmp", "sa")

        say("Planned switchover: 'redundancy switchover' on ha1 while the "
            "flow runs; ha1 drains and hands over, ha2 takes over with the "
            "replicated SAs")
        ids0, log0 = sa_ids(charon), established(charon)
        flow = Flow(t, 4)
        time.sleep(1.5)
        show(ha1, "redundancy", "switchover")
        res = flow.wait()
        wait_for(lambda: rf(ha2) == "ACTIVE" and rf(ha1) == "STANDBY HOT",
                 15, what="ha2 ACTIVE and ha1 STANDBY HOT")
        describe(res, ids0, sa_ids(charon), log0, established(charon))
        show(ha2, "show", "standby", "brief")
        show(ha2, "show", "redundancy", "history")

        say("Failover: kill -9 of the active havpnd (now ha2) while the "
            "flow runs; ha1 misses three adverts (300 ms) and takes over")
        ids0, log0 = sa_ids(charon), established(charon)
        dpd0 = charon.log().count("N(DPD_ACK)")
        flow = Flow(t, 6)
        time.sleep(2)
        ha2.proc.kill()
        ha2.proc.wait(5)
        # what the systemd unit's ExecStopPost does after a crash: the
        # dead daemon's virtual IPs go at once
        t.run("ha2", [os.path.join(BIN, "havpnd"), "-C", "-f", ha2.conf,
                      "-s", ha2.sock, "-p", ha2.pidfile])
        res = flow.wait()
        wait_for(lambda: rf(ha1) == "ACTIVE", 10, what="ha1 ACTIVE")
        wait_for(lambda: charon.log().count("N(DPD_ACK)") > dpd0, 10,
                 what="strongSwan's DPD answered by ha1")
        describe(res, ids0, sa_ids(charon), log0, established(charon))
        print("  strongSwan's dead-peer detection is answered by ha1, on "
              "the replicated ISAKMP SA")
        show(ha1, "show", "standby", "brief")
        show(ha1, "show", "crypto", "isakmp", "sa")
        show(ha1, "show", "redundancy", "history")
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
    finally:
        errors = t.cleanup()
        say("Cleaned up: namespaces and processes removed" +
            (f" (with errors: {errors})" if errors else ""))


if __name__ == "__main__":
    main()
