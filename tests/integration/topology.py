"""Network namespace topologies for havpn's integration tests.

A Topology builds namespaces, veth pairs and bridges from a small
description, starts processes inside them, and removes everything it made
in cleanup(), which the pytest fixture calls even when a test fails.

Every name carries the test process's PID, so two runs never collide and
leftovers of a crashed run can be recognised (see sweep_stale()).

    t = Topology("fnd")
    t.switch("wan")
    t.attach("ha1", "eth0", "wan", "10.0.0.11/24")
    t.p2p(("ha1", "ipc0", "192.168.255.1/30"),
          ("ha2", "ipc0", "192.168.255.2/30"))
    p = t.spawn("ha1", ["havpnd", "-F", ...], "ha1")
    t.cleanup()
"""

import json
import os
import signal
import subprocess
import tempfile
import time

PREFIX = "hv"
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LINKEM = os.path.join(REPO, "build", "tools", "linkem")


def sh(cmd, check=True, **kw):
    """Run a command (a list), return CompletedProcess with text output."""
    return subprocess.run(cmd, check=check, text=True, capture_output=True,
                          **kw)


def netns_list():
    out = sh(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale():
    """Delete namespaces left by earlier test runs whose process is gone."""
    for ns in netns_list():
        if not ns.startswith(PREFIX):
            continue
        try:
            pid = int(ns[len(PREFIX):].split("-")[0].rstrip("abcdefghijklmnopqrstuvwxyz"))
        except ValueError:
            continue
        if not pid_alive(pid):
            sh(["ip", "netns", "del", ns], check=False)


class Topology:
    def __init__(self, tag):
        self.tag = tag
        self.pid = os.getpid()
        self.base = f"{PREFIX}{self.pid}{tag}"
        self.namespaces = []
        self.procs = []          # (name, Popen, logfile)
        self.tmp = tempfile.mkdtemp(prefix=f"havpn-{tag}-")
        self._veth = 0

    # ---- building -----------------------------------------------------

    def ns(self, node):
        return f"{self.base}-{node}"

    def host(self, node):
        name = self.ns(node)
        if name not in self.namespaces:
            sh(["ip", "netns", "add", name])
            self.namespaces.append(name)
            self.run(node, ["ip", "link", "set", "lo", "up"])
        return name

    def switch(self, name):
        """A bridge, in a namespace of its own."""
        node = f"sw{name}"
        self.host(node)
        self.run(node, ["ip", "link", "add", "br0", "type", "bridge"])
        # Forward at once: no STP listening delay on a test bridge.
        self.run(node, ["ip", "link", "set", "br0", "type", "bridge",
                        "forward_delay", "0", "stp_state", "0"])
        self.run(node, ["ip", "link", "set", "br0", "up"])
        return node

    def _veth_pair(self):
        self._veth += 1
        a = f"v{self.pid % 100000}a{self._veth}"
        b = f"v{self.pid % 100000}b{self._veth}"
        sh(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
        return a, b

    def _place(self, tmp, node, ifname, addr):
        sh(["ip", "link", "set", tmp, "netns", self.ns(node)])
        self.run(node, ["ip", "link", "set", tmp, "name", ifname])
        if addr:
            self.run(node, ["ip", "addr", "add", addr, "dev", ifname])
        self.run(node, ["ip", "link", "set", ifname, "up"])

    def attach(self, node, ifname, switch, addr=None):
        """Connect node's ifname to a switch made with switch()."""
        self.host(node)
        a, b = self._veth_pair()
        self._place(a, node, ifname, addr)
        swnode = f"sw{switch}"
        port = f"p{self._veth}"
        self._place(b, swnode, port, None)
        self.run(swnode, ["ip", "link", "set", port, "master", "br0"])

    def p2p(self, end_a, end_b):
        """A direct veth: each end is (node, ifname, addr or None)."""
        for node, _, _ in (end_a, end_b):
            self.host(node)
        a, b = self._veth_pair()
        self._place(a, *end_a)
        self._place(b, *end_b)

    def emulated_p2p(self, end_a, end_b, delay_ms=0, loss=0):
        """A direct link with delay and loss (build/tools/linkem: this
        kernel has no sch_netem); each end is (node, ifname, addr or None).
        Returns the linkem process: set_link(proc, delay_ms, loss) changes
        both later."""
        for node, _, _ in (end_a, end_b):
            self.host(node)
        self._veth += 1
        a = f"e{self.pid % 100000}a{self._veth}"
        b = f"e{self.pid % 100000}b{self._veth}"
        log = open(os.path.join(self.tmp, f"linkem-{a}.log"), "ab")
        p = subprocess.Popen([LINKEM, a, b, str(delay_ms), str(loss)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=log, text=True, start_new_session=True)
        log.close()
        self.procs.append((f"linkem-{a}", p, log.name))
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError(f"linkem {a} {b} did not start")
        self._place(a, *end_a)
        self._place(b, *end_b)
        return p

    def route(self, node, dest, via):
        self.run(node, ["ip", "route", "add", dest, "via", via])

    # ---- running ------------------------------------------------------

    def run(self, node, cmd, check=True, timeout=30):
        return sh(["ip", "netns", "exec", self.ns(node)] + cmd, check=check,
                  timeout=timeout)

    def spawn(self, node, cmd, name, env=None):
        """Start a long-running process in node; its output goes to a log."""
        log = os.path.join(self.tmp, f"{name}.log")
        f = open(log, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node)] + cmd,
                             stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True)
        f.close()
        self.procs.append((name, p, log))
        return p

    def log(self, name):
        with open(os.path.join(self.tmp, f"{name}.log"), errors="replace") as f:
            return f.read()

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        p = self.path(name)
        with open(p, "w") as f:
            f.write(text)
        return p

    # ---- tearing down -------------------------------------------------

    def stop(self, proc, timeout=5):
        """SIGTERM, then SIGKILL; the process was started by spawn()."""
        if proc.poll() is not None:
            return proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(timeout)

    def cleanup(self):
        errors = []
        for name, p, _ in reversed(self.procs):
            try:
                self.stop(p)
            except Exception as e:      # keep going: namespaces must go too
                errors.append(f"{name}: {e}")
        for ns in reversed(self.namespaces):
            r = sh(["ip", "netns", "del", ns], check=False)
            if r.returncode != 0 and ns in netns_list():
                errors.append(f"netns del {ns}: {r.stderr.strip()}")
        self.namespaces = []
        self.procs = []
        return errors

    def leftovers(self):
        """Namespaces of this topology that still exist."""
        return [n for n in netns_list() if n.startswith(self.base)]


def set_link(proc, delay_ms, loss):
    """New delay and loss (percent) for a link made by emulated_p2p()."""
    proc.stdin.write(f"{delay_ms} {loss}\n")
    proc.stdin.flush()


def design_topology(tag, emulated_ipc=False):
    """The test topology of docs/design.md: inside host, the pair, the remote side.
    With emulated_ipc, the sync link ipc0 goes through linkem, whose process
    is t.ipc_link (set_link() gives it delay and loss).

     [inside 192.168.20.25] --lan-- [ha1 .2] [ha2 .3]   inside VIP .1
                                    ipc0 192.168.255.1/30 -- .2/30
                           --wan-- [ha1 10.0.0.11] [ha2 .12]  VIP .10
                                      [peer 10.0.0.20]
                                      [remote 172.21.91.37]
    """
    t = Topology(tag)
    t.switch("lan")
    t.switch("wan")
    t.attach("inside", "eth0", "lan", "192.168.20.25/24")
    t.attach("ha1", "eth1", "lan", "192.168.20.2/24")
    t.attach("ha2", "eth1", "lan", "192.168.20.3/24")
    t.attach("ha1", "eth0", "wan", "10.0.0.11/24")
    t.attach("ha2", "eth0", "wan", "10.0.0.12/24")
    t.attach("peer", "eth0", "wan", "10.0.0.20/24")
    ipc = (("ha1", "ipc0", "192.168.255.1/30"),
           ("ha2", "ipc0", "192.168.255.2/30"))
    t.ipc_link = t.emulated_p2p(*ipc) if emulated_ipc else None
    if not emulated_ipc:
        t.p2p(*ipc)
    t.p2p(("peer", "eth1", "172.21.91.1/24"),
          ("remote", "eth0", "172.21.91.37/24"))
    t.route("inside", "default", "192.168.20.1")
    t.route("remote", "default", "172.21.91.1")
    for node in ("ha1", "ha2"):
        t.run(node, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    t.run("peer", ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    return t


def wait_for(fn, timeout=10.0, interval=0.05, what="condition"):
    """Poll fn() until it returns a true value; return it, or fail."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except AssertionError:
            raise
        except Exception as e:          # not ready yet
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}: "
                         f"last result {last!r}")


class Havpnd:
    """One havpnd in a namespace, with its own socket, pid file and log."""

    def __init__(self, topo, node, config_text, bindir, extra=(), wrap=(),
                 user=None):
        self.topo = topo
        self.node = node
        self.bindir = bindir
        self.conf = topo.write(f"{node}.conf", config_text)
        self.sock = topo.path(f"{node}.sock")
        self.pidfile = topo.path(f"{node}.pid")
        if user is not None:
            # user (uid, gid), as the systemd unit runs havpnd (the wrap
            # drops to it): the configuration root:gid, mode 0640; socket
            # and pid file in a run directory of the user's, mode 0700
            uid, gid = user
            os.chmod(topo.tmp, 0o711)
            os.chown(self.conf, 0, gid)
            os.chmod(self.conf, 0o640)
            run = topo.path(f"{node}-run")
            os.mkdir(run, 0o700)
            os.chown(run, uid, gid)
            self.sock = os.path.join(run, "havpnd.sock")
            self.pidfile = os.path.join(run, "havpnd.pid")
        # wrap: a command that execs havpnd (setpriv ...), so the pid is
        # still havpnd's
        self.proc = topo.spawn(node, [*wrap, os.path.join(bindir, "havpnd"),
                                      "-F",
                                      "-f", self.conf, "-s", self.sock,
                                      "-p", self.pidfile, *extra], node)

    def ctl(self, *args, check=True):
        """havpnctl in the node's namespace; CompletedProcess."""
        r = self.topo.run(self.node, [os.path.join(self.bindir, "havpnctl"),
                                      "-s", self.sock, *args], check=False)
        if check and r.returncode != 0:
            raise AssertionError(f"havpnctl {' '.join(args)} failed "
                                 f"({r.returncode}): {r.stderr}")
        return r

    def json(self, *args):
        return json.loads(self.ctl(*args, "--json").stdout)

    def wait_ready(self, timeout=10):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"havpnd on {self.node} exited "
                                     f"{self.proc.returncode}:\n"
                                     f"{self.topo.log(self.node)}")
            return self.ctl("show", "version", check=False).returncode == 0
        wait_for(ready, timeout, what=f"havpnd on {self.node}")
        return self
