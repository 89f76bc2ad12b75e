"""make demo: bring up the topology of docs/design.md and show what havpn
does, with the real havpnctl output.  Removes everything on exit, also on
Ctrl-C."""

import os
import signal
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

from topology import (Havpnd, design_topology, sweep_stale,  # noqa: E402
                      wait_for)

BIN = os.path.join(REPO, "bin")


def say(text):
    print(f"\n\033[1m== {text}\033[0m", flush=True)


def show(node, *cmd):
    print(f"\n{node.node}# havpnctl {' '.join(cmd)}")
    print(node.ctl(*cmd).stdout.rstrip(), flush=True)


def main():
    sweep_stale()
    t = design_topology("demo")

    def interrupted(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)
    try:
        say("Topology: inside host 192.168.20.25, gateways ha1 and ha2 "
            "(outside VIP 10.0.0.10, inside VIP 192.168.20.1), remote peer "
            "10.0.0.20, remote host 172.21.91.37, each in its own network "
            "namespace")
        with open(os.path.join(REPO, "docs/examples/ha1.conf")) as f:
            c1 = f.read()
        with open(os.path.join(REPO, "docs/examples/ha2.conf")) as f:
            c2 = f.read()
        ha1 = Havpnd(t, "ha1", c1, BIN).wait_ready()
        ha2 = Havpnd(t, "ha2", c2, BIN).wait_ready()
        say("Both havpnd nodes run with the example configuration "
            "(docs/examples/ha1.conf, ha2.conf)")
        show(ha1, "show", "version")
        show(ha2, "show", "version")
        say("What ha1 runs, in canonical IOS form")
        show(ha1, "show", "running-config")
        say("The election: ha1 (priority 110) is Active for both groups, "
            "the inside group following the outside one")
        wait_for(lambda: ha2.json("show", "standby")["role"] == "standby"
                 and ha1.json("show", "standby")["role"] == "active", 10,
                 what="the election")
        show(ha1, "show", "standby")
        show(ha1, "show", "standby", "brief")
        show(ha2, "show", "standby", "brief")
        say("ha1 stops cleanly (priority 0): ha2 takes both groups in its "
            "skew time")
        ha1.proc.send_signal(signal.SIGTERM)
        ha1.proc.wait(5)
        wait_for(lambda: ha2.json("show", "standby")["role"] == "active",
                 5, what="ha2 active")
        show(ha2, "show", "standby", "brief")
        say("Not built yet, so not shown: IKE with strongSwan as the "
            "remote peer, the ESP data plane, state sync and the tunnels' "
            "failover.  This demo grows as they land.")
    except KeyboardInterrupt:
        print("\ninterrupted", flush=True)
    finally:
        errors = t.cleanup()
        say("Cleaned up: namespaces and processes removed" +
            (f" (with errors: {errors})" if errors else ""))


if __name__ == "__main__":
    main()
