"""havpnd needs CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE and
nothing more: the pair elects, brings a tunnel up with strongSwan and
carries traffic with exactly that capability bounding set, as the systemd
unit gives it (scripts/havpnd.service.in)."""

import json
import os

from conftest import REPO, example
from strongswan import Charon, swanctl_conf
from topology import Havpnd, wait_for

CAPS = ["net_admin", "net_raw", "net_bind_service"]
WRAP = ["setpriv", "--bounding-set=-all," + ",".join("+" + c for c in CAPS),
        "--inh-caps=-all", "--"]
SEQFLOW = os.path.join(REPO, "build", "tools", "seqflow")
# CapBnd bits: cap_net_bind_service 10, cap_net_admin 12, cap_net_raw 13
WANT_BND = (1 << 10) | (1 << 12) | (1 << 13)


def test_unit_capabilities_are_enough(design, bindir):
    with open(os.path.join(REPO, "scripts", "havpnd.service.in")) as f:
        unit = f.read()
    assert ("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW "
            "CAP_NET_BIND_SERVICE") in unit
    nodes = [Havpnd(design, n, example(f"{n}.conf"), bindir,
                    wrap=WRAP).wait_ready() for n in ("ha1", "ha2")]
    for n in nodes:
        with open(f"/proc/{n.proc.pid}/status") as f:
            bnd = [l for l in f if l.startswith("CapBnd:")][0]
        assert int(bnd.split()[1], 16) == WANT_BND, bnd
    wait_for(lambda: nodes[0].json("show", "standby")["role"] == "active",
             10, what="ha1 active")
    charon = Charon(design, "peer", install_routes=True)
    charon.load(swanctl_conf("10.0.0.20", "10.0.0.10", "172.21.91.0/24",
                             "192.168.20.0/24", "aes256-sha256-modp2048",
                             "aes256gcm16-modp2048", secret="cisco123"))
    design.spawn("remote", [SEQFLOW, "echo", "7000"], "echo")
    r = design.run("inside", [SEQFLOW, "run", "172.21.91.37", "7000", "200",
                              "2", "500"], timeout=30)
    res = json.loads(r.stdout)
    # the first packets go while IKE brings the tunnel up
    assert res["replies"] >= res["sent"] - 20, res
    sa = nodes[0].json("show", "crypto", "isakmp", "sa")
    assert "QM_IDLE" in json.dumps(sa)
    for n in nodes:
        assert n.proc.poll() is None
