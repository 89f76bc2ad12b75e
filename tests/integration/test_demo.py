"""make demo runs end to end and prints what it promises, from real
havpnctl and strongSwan output, and leaves nothing behind."""

import os
import re
import subprocess
import sys

from conftest import REPO
from topology import netns_list


def test_demo_end_to_end():
    before = set(netns_list())
    r = subprocess.run([sys.executable, os.path.join(REPO, "scripts",
                                                     "demo.py")],
                       capture_output=True, text=True, timeout=180)
    out = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)
    assert r.returncode == 0, out + r.stderr
    # the election
    assert re.search(r"eth0\s+1\s+110 P Active\s+local", out)
    assert re.search(r"eth0\s+1\s+100 P Standby 10\.0\.0\.11\s+local", out)
    # the tunnel, on both sides
    assert re.search(r"10\.0\.0\.20\s+10\.0\.0\.10\s+QM_IDLE\s+\d+ ACTIVE",
                     out)
    assert "Crypto map tag: vpn, local addr 10.0.0.10" in out
    assert "c1: #1, ESTABLISHED, IKEv1" in out
    assert re.search(r"net: #\d+, reqid \d+, INSTALLED, TUNNEL-in-UDP", out)
    assert "Session status: UP-ACTIVE" in out
    # the flow went through, and the failover was measured
    flows = re.findall(r"flow: (\d+) packets sent each way.*?(\d+) lost.*?"
                       r"longest gap (\d+) ms", out)
    assert flows, out
    assert re.search(r"strongSwan( kept the same IKE SA|'s SAs changed)", out)
    assert "Cleaned up: namespaces and processes removed\n" in out
    assert set(netns_list()) <= before
