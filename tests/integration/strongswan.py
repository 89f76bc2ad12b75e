"""A strongSwan 5.9.8 peer (charon + swanctl) in a test namespace.

Each instance has its own strongswan.conf (STRONGSWAN_CONF), vici socket,
log file and a private /run (unshare -m), and uses kernel-libipsec so that
it needs no kernel ESP (notes/strongswan-peer.md).  It is started with the
Topology's spawn() so the fixture stops it, whatever happens.

    c = Charon(topo, "peer")
    c.load(swanctl_conf(...))
    c.swanctl("--initiate", "--child", "net")
    sas = c.sas()      # {"c1": {"state": "ESTABLISHED", ..., "child-sas": {...}}}

site_to_site() is the short form for a gateway that routes its protected
traffic through kernel-libipsec's TUN (the ESP tests and benchmarks).
"""

import os
import re

from topology import sh, wait_for

CHARON = "/usr/lib/ipsec/charon"

STRONGSWAN_CONF = """charon {{
  load = random nonce aes sha1 sha2 md5 hmac gcm kdf openssl kernel-libipsec kernel-netlink socket-default vici updown
  filelog {{
    charon {{
      path = {dir}/charon.log
      default = 1
      ike = 2
      flush_line = yes
    }}
  }}
  plugins {{
    vici {{
      socket = unix://{dir}/charon.vici
    }}
  }}
  install_routes = {routes}
  retransmit_timeout = 1.0
  retransmit_tries = 3
  {extra}
}}
"""


def swanctl_conf(local, remote, local_ts, remote_ts, proposals,
                 esp_proposals, secret="cisco123", aggressive=False,
                 encap=False, dpd_delay=0, life_time=None, rekey_time=None,
                 local_id=None, version=1):
    """One PSK connection c1 (IKEv1 unless version=2) with one child net."""
    child_life = ""
    if life_time is not None:
        child_life += f"life_time = {life_time}s\n"
    if rekey_time is not None:
        child_life += f"rekey_time = {rekey_time}s\n"
    return f"""connections {{
  c1 {{
    version = {version}
    aggressive = {'yes' if aggressive else 'no'}
    local_addrs = {local}
    remote_addrs = {remote}
    proposals = {proposals}
    encap = {'yes' if encap else 'no'}
    dpd_delay = {dpd_delay}s
    local {{
      auth = psk
      id = {local_id or local}
    }}
    remote {{
      auth = psk
      id = %any
    }}
    children {{
      net {{
        local_ts = {local_ts}
        remote_ts = {remote_ts}
        esp_proposals = {esp_proposals}
        start_action = none
        {child_life}
      }}
    }}
  }}
}}
secrets {{
  ike-1 {{
    secret = {secret}
  }}
}}
"""


def parse_vici_raw(text):
    """swanctl --raw output: 'name {k=v k2=[a b] sub {...}}' into dicts."""
    tokens = re.findall(r"\{|\}|\[[^\]]*\]|[^\s{}=\[\]]+=\[[^\]]*\]|"
                        r"[^\s{}]+", text)
    stack = [{}]
    names = []
    for tok in tokens:
        if tok == "{":
            d = {}
            stack[-1][names[-1] if names else ""] = d
            stack.append(d)
        elif tok == "}":
            stack.pop()
            if names:
                names.pop()
        elif "=" in tok:
            k, v = tok.split("=", 1)
            stack[-1][k] = v.strip("[]").split() if v.startswith("[") \
                else v
        else:
            names.append(tok)
    return stack[0]


class Charon:
    def __init__(self, topo, node, name="charon", extra="",
                 install_routes=False):
        self.topo = topo
        self.node = node
        self.dir = topo.path(name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "strongswan.conf")
        self.vici = os.path.join(self.dir, "charon.vici")
        self.logfile = os.path.join(self.dir, "charon.log")
        with open(self.conf, "w") as f:
            f.write(STRONGSWAN_CONF.format(
                dir=self.dir, extra=extra,
                routes="yes" if install_routes else "no"))
        env = dict(os.environ, STRONGSWAN_CONF=self.conf)
        self.proc = topo.spawn(node, [
            "unshare", "-m", "sh", "-c",
            f"mount -t tmpfs none /run && exec {CHARON}"], name, env=env)
        wait_for(lambda: self._alive() and os.path.exists(self.vici),
                 10, what=f"charon {name} in {node}")

    def _alive(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"charon exited {self.proc.returncode}:\n"
                                 f"{self.log()}")
        return True

    def log(self):
        try:
            with open(self.logfile, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def swanctl(self, *args, check=True, timeout=30):
        r = sh(["swanctl", *args, "--uri", f"unix://{self.vici}"],
               check=False, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"swanctl {' '.join(args)} failed: "
                                 f"{r.stdout}{r.stderr}\n--- charon log:\n"
                                 f"{self.log()[-4000:]}")
        return r

    def load(self, text):
        path = os.path.join(self.dir, "swanctl.conf")
        with open(path, "w") as f:
            f.write(text)
        self.swanctl("--load-all", "--file", path)

    def sas(self):
        """The IKE SAs by connection name, their CHILD SAs inside."""
        r = self.swanctl("--list-sas", "--raw")
        out = {}
        for line in r.stdout.splitlines():
            if not line.startswith("list-sa event"):
                continue
            ev = parse_vici_raw(line[len("list-sa "):])
            for name, sa in ev.get("event", {}).items():
                out[name] = sa
        return out

    def children(self):
        """Every CHILD SA of c1, by its unique name (net-1, net-2...)."""
        sa = self.sas().get("c1", {})
        return sa.get("child-sas", {})

    def initiate(self, child="net", timeout=60):
        self.swanctl("--initiate", "--child", child, timeout=timeout)
        return self

    def child_counters(self):
        """(bytes_in, packets_in, bytes_out, packets_out) of the installed
        CHILD SA of c1, or None."""
        for child in self.children().values():
            if child.get("state") == "INSTALLED":
                return tuple(int(child.get(k, 0)) for k in
                             ("bytes-in", "packets-in", "bytes-out",
                              "packets-out"))
        return None


def site_to_site(topo, node, local, remote, local_ts, remote_ts,
                 esp="aes256gcm16", ike="aes256-sha256-modp2048", version=2,
                 psk="havpn-test-psk-0123", lifetime=None, cpu=None,
                 extra=""):
    """A charon gateway between two sites: routes through its TUN, UDP
    encapsulation forced (kernel-libipsec), configuration loaded.  cpu pins
    its threads to one core before it starts working; extra goes into the
    charon section of its strongswan.conf."""
    c = Charon(topo, node, name=f"charon-{node}", install_routes=True,
               extra=extra)
    if cpu is not None:
        topo.run(node, ["taskset", "-a", "-p", "-c", str(cpu),
                        str(c.proc.pid)])
    c.load(swanctl_conf(local, remote, local_ts, remote_ts, ike, esp,
                        secret=psk, encap=True, rekey_time=lifetime,
                        version=version, local_id=local))
    return c
