"""A strongSwan charon (kernel-libipsec: ESP in userspace over UDP 4500)
in a test namespace, as notes/strongswan-peer.md describes: its own
strongswan.conf, vici socket and a private /run.

    c = Charon(topo, "gA", local="10.97.0.1", remote="10.97.0.2",
               local_ts="192.168.97.0/24", remote_ts="192.168.98.0/24",
               esp="aes256gcm16", version=2)
    c.start(); c.load(); c.initiate(); c.sas()
"""

import json
import os
import re
import shutil
import subprocess

from topology import wait_for

CHARON = "/usr/lib/ipsec/charon"
SWANCTL = shutil.which("swanctl") or "/usr/sbin/swanctl"

PLUGINS = ("random nonce aes sha1 sha2 md5 hmac gcm openssl kernel-libipsec "
           "kernel-netlink socket-default vici updown des kdf")


def available():
    return os.access(CHARON, os.X_OK) and os.access(SWANCTL, os.X_OK)


class Charon:
    def __init__(self, topo, node, local, remote, local_ts, remote_ts,
                 esp="aes256gcm16", ike="aes256-sha256-modp2048",
                 version=2, psk="havpn-test-psk-0123", lifetime=None):
        self.topo = topo
        self.node = node
        self.dir = topo.path(f"swan-{node}")
        os.makedirs(self.dir, exist_ok=True)
        self.vici = os.path.join(self.dir, "charon.vici")
        self.name = f"charon-{node}"
        with open(os.path.join(self.dir, "strongswan.conf"), "w") as f:
            f.write(f"""charon {{
  load = {PLUGINS}
  filelog {{ stdout {{ default = 1 ike = 1 }} }}
  plugins {{ vici {{ socket = unix://{self.vici} }} }}
  install_routes = yes
  port = 500
  port_nat_t = 4500
}}
""")
        life = f"rekey_time = {lifetime}s" if lifetime else ""
        with open(os.path.join(self.dir, "swanctl.conf"), "w") as f:
            f.write(f"""connections {{
  c1 {{
    version = {version}
    local_addrs = {local}
    remote_addrs = {remote}
    proposals = {ike}
    encap = yes
    local {{ auth = psk
             id = {local} }}
    remote {{ auth = psk
              id = {remote} }}
    children {{ net {{ local_ts = {local_ts}
                     remote_ts = {remote_ts}
                     esp_proposals = {esp}
                     {life}
                     start_action = none }} }}
  }}
}}
secrets {{ ike-1 {{ id-1 = {local}
                  id-2 = {remote}
                  secret = {psk} }} }}
""")

    def start(self):
        env = dict(os.environ,
                   STRONGSWAN_CONF=os.path.join(self.dir, "strongswan.conf"))
        self.proc = self.topo.spawn(
            self.node, ["unshare", "-m", "sh", "-c",
                        "mount -t tmpfs none /run && exec " + CHARON],
            self.name, env=env)
        wait_for(lambda: os.path.exists(self.vici), 15,
                 what=f"charon's vici socket on {self.node}")
        return self

    def swanctl(self, *args, check=True, timeout=30):
        return self.topo.run(self.node, [SWANCTL, *args, "--uri",
                                         f"unix://{self.vici}"],
                             check=check, timeout=timeout)

    def load(self):
        self.swanctl("--load-all", "--file",
                     os.path.join(self.dir, "swanctl.conf"))
        return self

    def initiate(self, child="net"):
        self.swanctl("--initiate", "--child", child, timeout=60)
        return self

    def sas(self):
        """The raw --list-sas text."""
        return self.swanctl("--list-sas").stdout

    def child_counters(self):
        """(bytes_in, packets_in, bytes_out, packets_out) of the CHILD SA."""
        text = self.sas()
        m_in = re.search(r"in\s+[0-9a-f]+.*?,\s+(\d+) bytes,\s+(\d+) packets",
                         text)
        m_out = re.search(r"out\s+[0-9a-f]+.*?,\s+(\d+) bytes,\s+(\d+) "
                          r"packets", text)
        if not m_in or not m_out:
            return None
        return (int(m_in.group(1)), int(m_in.group(2)), int(m_out.group(1)),
                int(m_out.group(2)))
