"""make demo runs end to end and prints what it promises, from real
havpnctl and strongSwan output, and leaves nothing behind, also when it is
interrupted with Ctrl-C."""

import os
import re
import signal
import subprocess
import time

from conftest import REPO
from topology import netns_list

# what the demo starts, by process name
STARTED = ("havpnd", "charon", "seqflow")


def our_processes():
    r = subprocess.run(["pgrep", "-x", "|".join(STARTED)],
                       capture_output=True, text=True)
    return set(r.stdout.split())


def make_demo():
    return subprocess.Popen(["make", "-s", "-C", REPO, "demo"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def plain(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_demo_end_to_end():
    before, procs = set(netns_list()), our_processes()
    p = make_demo()
    try:
        out, _ = p.communicate(timeout=180)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
            p.wait(30)
    out = plain(out)
    assert p.returncode == 0, out
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
    # the pair in sync
    assert re.search(r"my state = 13 -ACTIVE\n\s+peer state = 8\s+-STANDBY HOT",
                     out)
    assert re.search(r"ISAKMP SAs:\s+1 local, 1 synced", out)
    assert re.search(r"10\.0\.0\.20\s+10\.0\.0\.10\s+QM_IDLE\s+\d+ STDBY",
                     out)
    # three measured flows: the tunnel coming up, the planned switchover
    # (nothing lost), the kill -9 failover (a gap under a second)
    flows = re.findall(r"flow: (\d+) packets sent each way at 1000/s, "
                       r"(\d+) lost .*? longest gap (\d+) ms", out)
    assert len(flows) == 2, out
    (sent, lost, gap), (sent2, lost2, gap2) = [tuple(map(int, f))
                                               for f in flows]
    assert sent == 4000 and lost == 0, flows
    assert sent2 == 6000 and 0 < lost2 < 1000 and gap2 < 1000, flows
    # ... and strongSwan renegotiated nothing, both times
    assert out.count("nothing was renegotiated") == 2, out
    assert "renegotiated\n" not in out.replace("nothing was renegotiated\n",
                                               "")
    assert "switchover started" in out
    assert re.search(r"switchover, [\d.]+ ms: took over", out)
    assert re.search(r"failover, [\d.]+ ms: takeover", out)
    assert "dead-peer detection is answered by ha1" in out
    assert "Cleaned up: namespaces and processes removed\n" in out
    assert set(netns_list()) <= before
    assert our_processes() <= procs


def test_demo_ctrl_c_cleans_up():
    """Ctrl-C (SIGINT to the terminal's process group) in the middle of
    the demo, with the pair, strongSwan and the echo server running."""
    before, procs = set(netns_list()), our_processes()
    p = make_demo()
    seen = []
    try:
        deadline = time.monotonic() + 120
        for line in p.stdout:
            seen.append(line)
            if "The pair in sync" in line or time.monotonic() > deadline:
                break
        assert any("The pair in sync" in x for x in seen), "".join(seen)
        # the demo has namespaces and processes up now
        assert set(netns_list()) - before
        assert our_processes() - procs
        os.killpg(p.pid, signal.SIGINT)
        rest, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(30)
    out = plain("".join(seen) + rest)
    assert "interrupted" in out, out
    assert "Cleaned up: namespaces and processes removed\n" in out, out
    # the flow that was running ends by itself within its 6 s at most
    deadline = time.monotonic() + 10
    while our_processes() - procs and time.monotonic() < deadline:
        time.sleep(0.2)
    assert our_processes() <= procs
    assert set(netns_list()) <= before
