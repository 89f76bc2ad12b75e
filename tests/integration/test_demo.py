"""make demo runs end to end and prints what it promises, from real
havpnctl and strongSwan output, and leaves nothing behind, also when it is
interrupted with Ctrl-C."""

import os
import re
import signal
import subprocess
import threading
import time

from conftest import REPO
from topology import netns_list

# what the demo starts, by process name
STARTED = ("havpnd", "charon", "seqflow")
# the demo's namespaces (scripts/demo.py: design_topology("demo"))
# hv<PID of the demo's process>demo-<node> (topology.Topology)
DEMO_NS = re.compile(r"^hv(\d+)demo-")


class DemoWatch:
    """What the demo itself created, told apart from what other runs on
    the machine create meanwhile (another suite's demo, run beside this
    one, names its namespaces the same way): its namespaces, those whose
    name carries the PID of a process in the demo's session, and, by the
    identity of those namespaces, the processes it started in them."""

    def __init__(self):
        self.session = None     # make demo's session: set once started
        self.names, self.inodes = set(), set()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()

    def _watch(self):
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(0.1)

    def ours(self, name):
        m = DEMO_NS.match(name)
        if m is None or self.session is None:
            return False
        try:
            return os.getsid(int(m[1])) == self.session
        except OSError:         # that process has ended
            return False

    def poll(self):
        for name in netns_list():
            if name not in self.names and self.ours(name):
                try:
                    st = os.stat(f"/run/netns/{name}")
                except OSError:
                    continue
                self.names.add(name)
                self.inodes.add((st.st_dev, st.st_ino))

    def stop(self):
        self._stop.set()
        self._t.join()

    def namespaces_left(self):
        return self.names & set(netns_list())

    def processes_left(self):
        """The demo's processes still alive: any process named as those
        the demo starts whose network namespace is one of the demo's."""
        r = subprocess.run(["pgrep", "-x", "|".join(STARTED)],
                           capture_output=True, text=True)
        left = set()
        for pid in r.stdout.split():
            try:
                st = os.stat(f"/proc/{pid}/ns/net")
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in self.inodes:
                left.add(pid)
        return left


def terminal_signals():
    """Ctrl-C as on a terminal: SIGINT and SIGQUIT at their defaults.  A
    suite started in the background by a non-interactive shell (as
    `make check-repeat` is, with `&`) inherits both ignored, and an
    ignored SIGINT stays ignored through make and into the demo."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def make_demo():
    return subprocess.Popen(["make", "-s", "-C", REPO, "demo"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True,
                            preexec_fn=terminal_signals)


def plain(text):
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_demo_end_to_end():
    w = DemoWatch()
    p = make_demo()
    w.session = p.pid           # start_new_session: its own session
    try:
        out, _ = p.communicate(timeout=180)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGINT)
            p.wait(30)
        w.stop()
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
    assert w.names, "the demo's namespaces were never seen"
    assert not w.namespaces_left()
    assert not w.processes_left()


def test_demo_ctrl_c_cleans_up():
    """Ctrl-C (SIGINT to the terminal's process group) in the middle of
    the demo, with the pair, strongSwan and the echo server running."""
    w = DemoWatch()
    p = make_demo()
    w.session = p.pid
    seen = []
    try:
        deadline = time.monotonic() + 120
        for line in p.stdout:
            seen.append(line)
            if "The pair in sync" in line or time.monotonic() > deadline:
                break
        assert any("The pair in sync" in x for x in seen), "".join(seen)
        # the demo has namespaces and processes up now
        w.poll()
        assert w.namespaces_left()
        assert w.processes_left()
        os.killpg(p.pid, signal.SIGINT)
        rest, _ = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(30)
        w.stop()
    out = plain("".join(seen) + rest)
    assert "interrupted" in out, out
    assert "Cleaned up: namespaces and processes removed\n" in out, out
    # the flow that was running ends by itself within its 6 s at most
    deadline = time.monotonic() + 10
    while w.processes_left() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not w.processes_left()
    assert not w.namespaces_left()
