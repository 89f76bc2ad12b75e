"""IKEv1 against real peers: strongSwan 5.9.8 (charon, kernel-libipsec) and
another havpnd, in network namespaces.

Each test checks both sides: havpn's own show commands (--json) and the
peer's view (swanctl --list-sas, or the other havpnd), the SPIs, cookies
and algorithms included.  Failure paths look for the notification or log
line and make sure havpnd lives on.
"""

import os
import socket
import struct
import time

import pytest

from strongswan import Charon, swanctl_conf
from topology import Havpnd, wait_for

HA1 = "10.0.0.11"
PEER = "10.0.0.20"
HAVPN_NET = "192.168.20.0 0.0.0.255"
PEER_NET = "172.21.91.0 0.0.0.255"

POLICIES = {
    "aes256-sha256-modp2048": " encr aes 256\n hash sha256\n group 14\n",
    "3des-sha1-modp1024": " encr 3des\n hash sha\n group 2\n",
    "aes128-sha1-ecp256": " encr aes 128\n hash sha\n group 19\n",
}
# strongSwan's vici names for what havpn negotiated
SS_IKE = {
    "aes256-sha256-modp2048": ("AES_CBC", "256", "HMAC_SHA2_256_128",
                               "MODP_2048"),
    "3des-sha1-modp1024": ("3DES_CBC", None, "HMAC_SHA1_96", "MODP_1024"),
    "aes128-sha1-ecp256": ("AES_CBC", "128", "HMAC_SHA1_96", "ECP_256"),
}


def havpn_conf(local=HA1, peer=PEER, policy="aes256-sha256-modp2048",
               tset="esp-aes 256 esp-sha256-hmac", pfs=" set pfs group14\n",
               acl=f"permit ip {HAVPN_NET} {PEER_NET}", extra="",
               map_extra="", key_addr=None, hostname="ha1"):
    return f"""hostname {hostname}
crypto isakmp policy 10
{POLICIES[policy]} authentication pre-share
crypto isakmp key cisco123 address {key_addr or peer}
{extra}crypto ipsec transform-set TS {tset}
crypto map vpn 10 ipsec-isakmp
 set peer {peer}
 set transform-set TS
{pfs} match address 110
{map_extra}interface eth0
 ip address {local} 255.255.255.0
 crypto map vpn
access-list 110 {acl}
"""


def p2p(topo):
    """ha1 10.0.0.11 -- peer 10.0.0.20, the peer's inside on lo."""
    topo.p2p(("ha1", "eth0", f"{HA1}/24"), ("peer", "eth0", f"{PEER}/24"))
    topo.run("peer", ["ip", "addr", "add", "172.21.91.1/24", "dev", "lo"])


def start_havpn(topo, bindir, conf, node="ha1"):
    h = Havpnd(topo, node, conf, bindir).wait_ready()
    h.ctl("debug", "crypto", "isakmp")
    return h


def isakmp_sas(h):
    return h.json("show", "crypto", "isakmp", "sa", "detail")["sas"]


def sessions(h):
    return h.json("show", "crypto", "session", "detail")["sessions"]


def up_flows(h):
    """The IPsec SA pairs of sessions that are UP-ACTIVE."""
    out = []
    for s in sessions(h):
        if s["status"] == "UP-ACTIVE":
            out += [f["sa"] for f in s["flows"]]
    return out


def stats(h):
    return h.json("show", "crypto", "isakmp", "statistics")


def udp_rcvbuf_errors(topo, node):
    """UDP datagrams the node's kernel dropped for a full socket buffer."""
    lines = [line.split() for line in
             topo.run(node, ["cat", "/proc/net/snmp"]).stdout.splitlines()
             if line.startswith("Udp:")]
    return int(dict(zip(lines[0], lines[1]))["RcvbufErrors"])


def wait_up(h, n=1, timeout=15):
    return wait_for(lambda: len(up_flows(h)) >= n and
                    all(sa["state"] == "QM_IDLE" for sa in isakmp_sas(h)),
                    timeout, what="havpn UP-ACTIVE")


def ss_established(c):
    def ok():
        sa = c.sas().get("c1")
        if sa is None or sa.get("state") != "ESTABLISHED":
            return None
        kids = [k for k in sa.get("child-sas", {}).values()
                if k.get("state") == "INSTALLED"]
        return (sa, kids) if kids else None
    return wait_for(ok, 15, interval=0.2, what="strongSwan ESTABLISHED "
                    "with an INSTALLED CHILD_SA")


def check_both_sides(h, c, suite, pfs_group):
    """havpn and strongSwan agree: cookies, SPIs, algorithms."""
    wait_up(h)
    sa, kids = ss_established(c)
    hs = [s for s in isakmp_sas(h) if s["established"]]
    assert len(hs) == 1, hs
    hs = hs[0]
    # the ISAKMP SA: cookies are strongSwan's IKE SPIs
    assert sa["initiator-spi"] == hs["icookie"]
    assert sa["responder-spi"] == hs["rcookie"]
    enc, bits, integ, dh = SS_IKE[suite]
    assert sa["encr-alg"] == enc
    if bits:
        assert sa["encr-keysize"] == bits
        assert hs["keybits"] == int(bits)
    assert sa["integ-alg"] == integ
    assert sa["dh-group"] == dh
    assert hs["state"] == "QM_IDLE"
    assert (sa.get("initiator") == "yes") == (hs["role"] == "responder")
    # the CHILD SA: SPIs cross, algorithms match what havpn shows
    pair = up_flows(h)
    assert len(pair) == 1 and len(kids) == 1, (pair, kids)
    pair, kid = pair[0], kids[0]
    assert int(kid["spi-in"], 16) == pair["spi_out"]
    assert int(kid["spi-out"], 16) == pair["spi_in"]
    assert kid["protocol"] == "ESP"
    if pfs_group:
        assert kid["dh-group"] == {14: "MODP_2048", 2: "MODP_1024",
                                   19: "ECP_256"}[pfs_group]
        assert pair["pfs_group"] == pfs_group
    return hs, pair, kid


ESP = {
    "aes256-sha256-modp2048": ("esp-aes 256 esp-sha256-hmac",
                               "aes256-sha256-modp2048", 14,
                               " set pfs group14\n", "AES_CBC", "256",
                               "HMAC_SHA2_256_128"),
    "3des-sha1-modp1024": ("esp-3des esp-sha-hmac", "3des-sha1", 0, "",
                           "3DES_CBC", None, "HMAC_SHA1_96"),
    "aes128-sha1-ecp256": ("esp-aes 128 esp-sha-hmac", "aes128-sha1-ecp256",
                           19, " set pfs group19\n", "AES_CBC", "128",
                           "HMAC_SHA1_96"),
}


AM_PSK = "i_dont_care_about_security_and_use_aggressive_mode_psk = yes"


def peer_charon(topo, suite, extra="", **kw):
    tset, esp, group, pfs, _, _, _ = ESP[suite]
    # strongSwan answers Aggressive Mode with PSK only when told to
    c = Charon(topo, "peer", extra=AM_PSK if kw.get("aggressive") else extra)
    c.load(swanctl_conf(PEER, HA1, "172.21.91.0/24", "192.168.20.0/24",
                        suite, esp, **kw))
    return c


@pytest.mark.parametrize("suite", list(POLICIES))
def test_strongswan_suite_both_directions(topo, bindir, suite):
    """havpn initiates, strongSwan deletes, strongSwan initiates."""
    p2p(topo)
    tset, esp, group, pfs, enc, bits, integ = ESP[suite]
    h = start_havpn(topo, bindir, havpn_conf(policy=suite, tset=tset,
                                             pfs=pfs))
    c = peer_charon(topo, suite, dpd_delay=2)
    # havpn initiates on the first packet of a flow the ACL protects
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    hs, pair, kid = check_both_sides(h, c, suite, group)
    assert hs["role"] == "initiator"
    assert kid["encr-alg"] == enc and kid.get("encr-keysize") == bits
    assert kid["integ-alg"] == integ
    assert kid["encap"] == "yes"     # kernel-libipsec forces NAT-T
    assert pair["transform"] == tset
    # strongSwan's DPD (every 2 s of silence) is answered
    wait_for(lambda: "N(DPD_ACK)" in c.log(), 10, what="DPD_ACK")
    assert c.sas()["c1"]["state"] == "ESTABLISHED"
    # a Delete from strongSwan takes both SAs away on havpn
    c.swanctl("--terminate", "--ike", "c1")
    wait_for(lambda: isakmp_sas(h) == [] and up_flows(h) == [], 10,
             what="havpn deletes on strongSwan's Delete")
    assert stats(h)["deletes_rx"] >= 1
    # now strongSwan initiates
    c.swanctl("--initiate", "--child", "net")
    hs, pair, kid = check_both_sides(h, c, suite, group)
    assert hs["role"] == "responder"
    assert h.proc.poll() is None


def test_strongswan_aggressive_both_directions(topo, bindir):
    p2p(topo)
    extra = ("crypto isakmp peer address 10.0.0.20\n"
             " set aggressive-mode client-endpoint ipv4-address "
             "10.0.0.11\n")
    h = start_havpn(topo, bindir, havpn_conf(extra=extra))
    c = peer_charon(topo, "aes256-sha256-modp2048", aggressive=True)
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    hs, _, _ = check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    assert hs["exchange"] == "aggressive" and hs["role"] == "initiator"
    assert "AGGRESSIVE" in c.log()
    c.swanctl("--terminate", "--ike", "c1")
    wait_for(lambda: isakmp_sas(h) == [], 10, what="delete")
    c.swanctl("--initiate", "--child", "net")
    hs, _, _ = check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    assert hs["exchange"] == "aggressive" and hs["role"] == "responder"


def test_strongswan_aggressive_refused(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf(
        extra="crypto isakmp aggressive-mode disable\n"))
    c = peer_charon(topo, "aes256-sha256-modp2048", aggressive=True)
    c.swanctl("--initiate", "--child", "net", check=False, timeout=20)
    wait_for(lambda: stats(h)["aggressive_refused"] >= 1, 10,
             what="refusal")
    assert "received (29) error notify" in c.log()   # UNSUPPORTED_EXCHANGE_TYPE
    assert "Aggressive Mode is disabled" in topo.log("ha1")
    assert isakmp_sas(h) == []


def nat_topology(topo):
    """peer 10.1.0.20 behind a masquerading router (10.0.0.1 outside,
    source ports mapped into 20000-30000) talks to ha1 10.0.0.11."""
    topo.p2p(("ha1", "eth0", f"{HA1}/24"), ("nat", "eth0", "10.0.0.1/24"))
    topo.p2p(("nat", "eth1", "10.1.0.1/24"), ("peer", "eth0",
                                               "10.1.0.20/24"))
    topo.route("peer", "default", "10.1.0.1")
    topo.run("peer", ["ip", "addr", "add", "172.21.91.1/24", "dev", "lo"])
    topo.run("nat", ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    rules = topo.write("nat.nft", """table ip nat {
  chain post {
    type nat hook postrouting priority 100;
    oifname "eth0" meta l4proto udp masquerade to :20000-30000
  }
}
""")
    topo.run("nat", ["nft", "-f", rules])


def test_strongswan_behind_real_nat(topo, bindir):
    nat_topology(topo)
    h = start_havpn(topo, bindir, havpn_conf(peer="10.0.0.1"))
    c = Charon(topo, "peer")
    c.load(swanctl_conf("10.1.0.20", HA1, "172.21.91.0/24",
                        "192.168.20.0/24", "aes256-sha256-modp2048",
                        "aes256-sha256-modp2048"))
    c.swanctl("--initiate", "--child", "net")
    hs, pair, kid = check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    # havpn sees the NAT's address and mapped port, and floated to 4500
    assert hs["remote"] == "10.0.0.1"
    assert hs["local_port"] == 4500
    assert 20000 <= hs["remote_port"] <= 30000
    assert hs["nat_remote"] and not hs["nat_local"]
    assert "N" in hs["capabilities"]
    assert pair["udp_encap"]
    assert c.sas()["c1"]["nat-local"] == "yes"
    assert kid["encap"] == "yes"
    # the IKEv1 SA line shows the NAT-mapped port
    text = h.ctl("show", "crypto", "session").stdout
    assert f"remote 10.0.0.1/{hs['remote_port']} Active" in text


def test_strongswan_forced_encapsulation(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    c = peer_charon(topo, "aes256-sha256-modp2048", encap=True)
    c.swanctl("--initiate", "--child", "net")
    hs, pair, kid = check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    assert "faking NAT situation" in c.log()
    assert hs["nat_remote"] and hs["local_port"] == 4500
    assert pair["udp_encap"] and kid["encap"] == "yes"
    assert "UDP-Encaps" in h.ctl("show", "crypto", "session",
                                 "detail").stdout


def test_havpn_dpd_answered_by_strongswan(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf(
        extra="crypto isakmp keepalive 10 2 periodic\n"))
    c = peer_charon(topo, "aes256-sha256-modp2048", dpd_delay=0)
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    seq0 = isakmp_sas(h)[0]["dpd_seq_out"]
    wait_for(lambda: stats(h)["dpd_acked"] >= 1, 15, what="DPD ACK")
    assert isakmp_sas(h)[0]["dpd_seq_out"] == seq0 + 1
    assert "N(DPD)" in c.log()
    assert "D" in isakmp_sas(h)[0]["capabilities"]


def test_strongswan_phase2_rekey_30s(topo, bindir):
    """A 30-second lifetime: havpn rekeys before it runs out, both sides
    move to the new SPIs, the old pair is deleted."""
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf(
        map_extra=" set security-association lifetime seconds 30\n"))
    c = peer_charon(topo, "aes256-sha256-modp2048")
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    _, pair, kid = check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    old = (pair["spi_in"], pair["spi_out"])
    # strongSwan keeps its configured lifetime (it applies no
    # RESPONDER-LIFETIME either); havpn holds to its 30 s
    assert pair["remaining_secs"] <= 30

    def rekeyed():
        flows = [f for f in up_flows(h) if not f["rekeyed"]]
        if len(flows) != 1 or (flows[0]["spi_in"], flows[0]["spi_out"]) \
                == old:
            return None
        return flows[0]
    new = wait_for(rekeyed, 40, interval=0.5, what="rekey")
    # strongSwan installed the new pair with the same SPIs
    wait_for(lambda: any(int(k["spi-in"], 16) == new["spi_out"] and
                         int(k["spi-out"], 16) == new["spi_in"] and
                         k["state"] == "INSTALLED"
                         for k in c.children().values()), 10,
             what="strongSwan has the new CHILD_SA")
    # the old pair goes from both sides (havpn's Delete after the grace)
    wait_for(lambda: all(int(k["spi-in"], 16) != old[1]
                         for k in c.children().values()) and
             all(f["spi_in"] != old[0] for f in up_flows(h)), 15,
             what="old pair deleted")
    assert stats(h)["p2_ok"] >= 2
    assert c.sas()["c1"]["state"] == "ESTABLISHED"


def test_havpn_delete_reaches_strongswan(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    c = peer_charon(topo, "aes256-sha256-modp2048")
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    check_both_sides(h, c, "aes256-sha256-modp2048", 14)
    assert "1 SA(s) cleared" in h.ctl("clear", "crypto", "sa", "peer",
                                      PEER).stdout
    wait_for(lambda: c.children() == {}, 10, what="CHILD_SA deleted")
    assert sessions(h)[0]["status"] == "UP-IDLE"
    h.ctl("clear", "crypto", "isakmp")
    wait_for(lambda: "c1" not in c.sas(), 10, what="IKE_SA deleted")
    assert sessions(h)[0]["status"] == "DOWN"


# ---- failure paths --------------------------------------------------------


def test_strongswan_wrong_psk(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    c = peer_charon(topo, "aes256-sha256-modp2048", secret="wrong")
    # swanctl would wait for charon's retransmissions to run out
    c.swanctl("--initiate", "--child", "net", "--timeout", "2", check=False,
              timeout=20)
    wait_for(lambda: "pre-shared keys for 10.0.0.20 differ" in
             topo.log("ha1"), 10, what="havpn's wrong-key line")
    assert stats(h)["auth_fail"] >= 1
    assert isakmp_sas(h) == [] or all(not s["established"]
                                      for s in isakmp_sas(h))
    assert "[ N(AUTH_FAILED) ]" in c.log()
    # havpn initiating with the wrong key: strongSwan cannot read message
    # 5 and answers with a notification havpn cannot read either
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    wait_for(lambda: "the pre-shared keys probably differ" in
             topo.log("ha1"), 10, what="havpn's hint")
    assert "could not decrypt payloads" in c.log()
    assert isakmp_sas(h)[0]["state"] == "MM_KEY_EXCH"
    assert h.proc.poll() is None


def test_strongswan_no_proposal_chosen(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    c = Charon(topo, "peer")
    c.load(swanctl_conf(PEER, HA1, "172.21.91.0/24", "192.168.20.0/24",
                        "3des-md5-modp1024", "aes256-sha256-modp2048"))
    c.swanctl("--initiate", "--child", "net", check=False, timeout=20)
    wait_for(lambda: "received NO_PROPOSAL_CHOSEN error notify" in c.log(),
             10, what="strongSwan hears NO_PROPOSAL_CHOSEN")
    log = topo.log("ha1")
    assert "Checking ISAKMP transform 1 against priority 10 policy" in log
    assert "Encryption algorithm offered does not match policy!" in log
    assert "phase 1 SA policy not acceptable! (local 10.0.0.11 remote " \
           "10.0.0.20)" in log
    assert stats(h)["no_proposal"] >= 1


def test_strongswan_phase2_proposal_and_proxy_mismatch(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    c = Charon(topo, "peer")
    # a transform-set havpn does not have
    c.load(swanctl_conf(PEER, HA1, "172.21.91.0/24", "192.168.20.0/24",
                        "aes256-sha256-modp2048", "3des-md5-modp2048"))
    c.swanctl("--initiate", "--child", "net", check=False, timeout=20)
    wait_for(lambda: "received NO_PROPOSAL_CHOSEN error notify" in c.log(),
             10, what="phase 2 NO_PROPOSAL_CHOSEN")
    assert "phase 2 SA policy not acceptable!" in topo.log("ha1")
    # proxies no crypto map ACL covers
    c.swanctl("--terminate", "--ike", "c1", check=False)
    c.load(swanctl_conf(PEER, HA1, "172.21.99.0/24", "192.168.20.0/24",
                        "aes256-sha256-modp2048", "aes256-sha256-modp2048"))
    c.swanctl("--initiate", "--child", "net", check=False, timeout=20)
    wait_for(lambda: "received INVALID_ID_INFORMATION error notify" in
             c.log(), 10, what="INVALID_ID_INFORMATION")
    assert "proxy identities not supported" in topo.log("ha1")
    assert stats(h)["bad_id"] >= 1
    assert up_flows(h) == []


def test_peer_silent(topo, bindir):
    """No IKE on the other side: retransmissions with back-off (2 s, 4 s,
    ...; the give-up after 5 is in the unit tests' virtual time)."""
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    h.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    assert isakmp_sas(h)[0]["state"] == "MM_NO_STATE"
    assert sessions(h)[0]["status"] == "DOWN-NEGOTIATING"
    wait_for(lambda: stats(h)["retransmits"] >= 2, 10,
             what="two retransmissions")
    log = topo.log("ha1")
    assert "retransmitting phase 1 MM_NO_STATE..." in log
    assert "attempt 2 of 5: retransmit phase 1" in log


def ike_header(icookie, rcookie, np, exch, flags, msgid, length):
    return icookie + rcookie + struct.pack(">BBBBII", np, 0x10, exch,
                                           flags, msgid, length)


def send_udp(topo, packets, dport=500, sport=500, spread=False):
    """Send raw datagrams from the peer namespace to ha1."""
    script = topo.write("send.py", f"""
import socket, sys, pickle
pk = pickle.load(open(sys.argv[1], 'rb'))
socks = []
for i in range({8 if spread else 1}):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(('{PEER}', {sport} + i if {spread} else {sport}))
    socks.append(s)
for i, p in enumerate(pk):
    socks[i % len(socks)].sendto(p, ('{HA1}', {dport}))
""")
    import pickle
    data = topo.path("packets.pickle")
    with open(data, "wb") as f:
        pickle.dump(packets, f)
    topo.run("peer", ["python3", script, data])


def test_malformed_input(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    before = stats(h)
    ic, rc = os.urandom(8), os.urandom(8)
    sa = struct.pack(">II", 1, 1) + bytes([0, 0, 0, 8, 1, 1, 0, 0])
    good = ike_header(ic, bytes(8), 1, 2, 0, 0, 28 + 4 + len(sa)) + \
        struct.pack(">BBH", 0, 0, 4 + len(sa)) + sa
    pk = []
    # every truncation of a first message
    for n in range(1, len(good)):
        pk.append(good[:n])
    # a header that claims more than the datagram, and a huge datagram
    pk.append(ike_header(ic, bytes(8), 1, 2, 0, 0, 500) + bytes(40))
    pk.append(ike_header(ic, bytes(8), 1, 2, 0, 0, 12028) + bytes(12000))
    send_udp(topo, pk)
    # warnings and notifications are rate-limited: a pause between kinds
    time.sleep(1.1)
    # a payload longer than the message
    send_udp(topo, [ike_header(ic, bytes(8), 13, 2, 0, 0, 36) +
                    struct.pack(">BBH", 0, 0, 200) + bytes(4)])
    time.sleep(1.1)
    # an unknown critical payload: INVALID_PAYLOAD_TYPE (40 bytes: it
    # answers only a datagram at least as large, docs/ike.md)
    send_udp(topo, [ike_header(ic, bytes(8), 77, 2, 0, 0, 40) +
                    struct.pack(">BBH", 0, 0x80, 12) + bytes(8)])
    time.sleep(1.1)
    # wrong cookies: INVALID_COOKIE
    send_udp(topo, [ike_header(ic, rc, 8, 32, 1, 7, 60) + bytes(32)])
    wait_for(lambda: stats(h)["malformed"] - before["malformed"] >= 30 and
             stats(h)["bad_cookie"] > before["bad_cookie"], 10,
             what="counted drops")
    log = topo.log("ha1")
    assert "failed its sanity check or is malformed: shorter than an " \
           "ISAKMP header" in log
    assert "failed its sanity check or is malformed: payload longer " \
           "than the message" in log
    assert "similar suppressed" in log
    assert "unknown critical payload" in log
    assert "sending notify INVALID_PAYLOAD_TYPE to 10.0.0.20" in log
    assert "invalid cookies" in log
    assert "sending notify INVALID_COOKIE to 10.0.0.20" in log
    assert h.proc.poll() is None
    # and the daemon still negotiates
    c = peer_charon(topo, "aes256-sha256-modp2048")
    c.swanctl("--initiate", "--child", "net")
    check_both_sides(h, c, "aes256-sha256-modp2048", 14)


def test_flood_of_first_messages(topo, bindir):
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    h.ctl("undebug", "all")
    sa = struct.pack(">II", 1, 1)
    prop = struct.pack(">BBBB", 1, 1, 0, 1)
    xf = struct.pack(">BBH", 1, 1, 0) + struct.pack(
        ">HHHHHHHHHH", 0x8001, 7, 0x800e, 256, 0x8002, 4, 0x8003, 1,
        0x8004, 14)
    xfp = struct.pack(">BBH", 0, 0, 4 + len(xf)) + xf
    propp = struct.pack(">BBH", 0, 0, 4 + len(prop) + len(xfp)) + prop + xfp
    body = sa + propp
    pk = []
    for i in range(3000):
        pk.append(ike_header(os.urandom(8), bytes(8), 1, 2, 0, 0,
                             28 + 4 + len(body)) +
                  struct.pack(">BBH", 0, 0, 4 + len(body)) + body)
    rx0, kdrop0 = stats(h)["rx"], udp_rcvbuf_errors(topo, "ha1")
    send_udp(topo, pk, spread=True)
    # every message accounted for: read by havpnd, or dropped by ha1's
    # kernel when the socket's buffer was full (on a loaded machine the
    # daemon reads the burst more slowly than it arrives)
    st = wait_for(lambda: (lambda s: s if s["rx"] - rx0 +
                           udp_rcvbuf_errors(topo, "ha1") - kdrop0 == 3000
                           else None)(stats(h)), 15,
                  what="all 3000 read by havpnd or dropped by ha1's kernel")
    print(f"flood: havpnd read {st['rx'] - rx0}, the kernel dropped "
          f"{3000 - (st['rx'] - rx0)}")
    # what havpnd read: 32 half-open SAs (the per-peer cap), the rest
    # dropped and counted
    assert st["halfopen"] == 32, st
    assert st["halfopen_drop"] == st["rx"] - rx0 - 32, st
    assert "negotiations with 10.0.0.20 in progress" in topo.log("ha1")
    assert h.proc.poll() is None


def test_spoofed_first_messages_do_not_flood_the_log(topo, bindir):
    """The attack: first messages that havpnd must refuse, as fast as they
    can be sent - 1,000 from 40 addresses that have no pre-shared key, and
    500 from the peer offering only DES.  Each used to write one or two
    warnings (1,500+ lines); now each kind is said at most once a second,
    with the count of what was suppressed, and every refusal is counted."""
    p2p(topo)
    h = start_havpn(topo, bindir, havpn_conf())
    h.ctl("undebug", "all")
    srcs = [f"10.0.0.{100 + i}" for i in range(40)]
    for a in srcs:
        topo.run("peer", ["ip", "addr", "add", f"{a}/24", "dev", "eth0"])

    def first(enc):
        sa = struct.pack(">II", 1, 1)
        prop = struct.pack(">BBBB", 1, 1, 0, 1)
        xf = struct.pack(">BBH", 1, 1, 0) + struct.pack(
            ">HHHHHHHH", 0x8001, enc, 0x8002, 2, 0x8003, 1, 0x8004, 2)
        xfp = struct.pack(">BBH", 0, 0, 4 + len(xf)) + xf
        propp = struct.pack(">BBH", 0, 0, 4 + len(prop) + len(xfp)) + \
            prop + xfp
        body = sa + propp
        return ike_header(os.urandom(8), bytes(8), 1, 2, 0, 0,
                          28 + 4 + len(body)) + \
            struct.pack(">BBH", 0, 0, 4 + len(body)) + body

    # the two kinds interleaved (two without a key, one DES): when ha1's
    # kernel drops part of the burst for a full socket buffer, both kinds
    # lose alike and what is read holds both
    script = topo.write("spoof.py", f"""
import socket, sys, pickle
burst = pickle.load(open(sys.argv[1], 'rb'))
socks = {{}}
for a, p in burst:
    if a not in socks:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 500))
        socks[a] = s
    socks[a].sendto(p, ('{HA1}', 500))
""")
    import pickle
    burst = []
    for i in range(1000):
        burst.append((srcs[i % len(srcs)], first(7)))
        if i % 2 == 1:
            burst.append((PEER, first(1)))
    data = topo.path("spoof.pickle")
    with open(data, "wb") as f:
        pickle.dump(burst, f)
    st0 = stats(h)
    rx0, kdrop0 = stats(h)["rx"], udp_rcvbuf_errors(topo, "ha1")
    topo.run("peer", ["python3", script, data])
    wait_for(lambda: stats(h)["rx"] - rx0 + udp_rcvbuf_errors(
        topo, "ha1") - kdrop0 == 1500, 15,
        what="all 1500 read by havpnd or dropped by ha1's kernel")
    # each kind was read more than once: a line said, others suppressed
    st = stats(h)
    assert st["no_psk"] - st0["no_psk"] > 1 and \
        st["no_proposal"] - st0["no_proposal"] > 1, (st0, st)
    # once the second has passed, one more of each kind: its line counts
    # what was suppressed
    time.sleep(1.1)
    with open(data, "wb") as f:
        pickle.dump([(srcs[0], first(7)), (PEER, first(1))], f)
    topo.run("peer", ["python3", script, data])

    def said():
        log = topo.log("ha1").splitlines()
        return ([x for x in log if "No pre-shared key" in x],
                [x for x in log if "policy not acceptable" in x],
                [x for x in log if "phase 1 with" in x and "failed" in x])
    wait_for(lambda: all(any("suppressed" in x for x in k)
                         for k in said()), 5,
             what="each kind said again with the count suppressed")
    nopsk, policy, failed = said()
    # the burst takes a second or two to read: a few lines of each kind
    assert len(nopsk) <= 5 and len(policy) <= 5 and len(failed) <= 5, \
        (nopsk, policy, failed)
    st = stats(h)
    assert st["no_psk"] >= 1 and st["no_proposal"] >= 1, st
    assert h.proc.poll() is None


# ---- havpn against havpn --------------------------------------------------


def havpn_pair(topo, bindir, suite, **kw):
    p2p(topo)
    tset, _, group, pfs, _, _, _ = ESP[suite]
    a = start_havpn(topo, bindir, havpn_conf(policy=suite, tset=tset,
                                             pfs=pfs, **kw))
    b = start_havpn(topo, bindir, havpn_conf(
        local=PEER, peer=HA1, policy=suite, tset=tset, pfs=pfs,
        acl=f"permit ip {PEER_NET} {HAVPN_NET}", hostname="peer",
        **kw), node="peer")
    return a, b


def check_havpn_pair(a, b):
    wait_up(a)
    wait_up(b)
    fa, fb = up_flows(a), up_flows(b)
    assert len(fa) == 1 and len(fb) == 1
    assert fa[0]["spi_in"] == fb[0]["spi_out"]
    assert fa[0]["spi_out"] == fb[0]["spi_in"]
    assert fa[0]["transform"] == fb[0]["transform"]
    sa, sb = isakmp_sas(a)[0], isakmp_sas(b)[0]
    assert (sa["icookie"], sa["rcookie"]) == (sb["icookie"], sb["rcookie"])
    assert {sa["role"], sb["role"]} == {"initiator", "responder"}
    return fa[0]


@pytest.mark.parametrize("suite", list(POLICIES))
def test_havpn_pair_suite(topo, bindir, suite):
    a, b = havpn_pair(topo, bindir, suite)
    a.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    check_havpn_pair(a, b)
    a.ctl("clear", "crypto", "sa")
    a.ctl("clear", "crypto", "isakmp")
    wait_for(lambda: isakmp_sas(b) == [] and up_flows(b) == [], 10,
             what="b follows a's Deletes")
    b.ctl("test", "crypto", "acquire", "172.21.91.37", "192.168.20.25")
    check_havpn_pair(a, b)


def test_havpn_pair_aggressive_dpd_rekey(topo, bindir):
    extra = ("crypto isakmp peer address {p}\n"
             " set aggressive-mode client-endpoint ipv4-address {l}\n"
             "crypto isakmp keepalive 10 2 periodic\n")
    p2p(topo)
    conf = havpn_conf(extra=extra.format(p=PEER, l=HA1), map_extra=(
        " set security-association lifetime seconds 30\n"))
    a = start_havpn(topo, bindir, conf)
    b = start_havpn(topo, bindir, havpn_conf(
        local=PEER, peer=HA1, acl=f"permit ip {PEER_NET} {HAVPN_NET}",
        hostname="peer", extra="crypto isakmp keepalive 10 2 periodic\n"),
        node="peer")
    a.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    first = check_havpn_pair(a, b)
    assert isakmp_sas(a)[0]["exchange"] == "aggressive"
    assert first["remaining_secs"] <= 30
    wait_for(lambda: stats(a)["dpd_acked"] + stats(b)["dpd_acked"] >= 1,
             15, what="DPD between two havpnd")
    wait_for(lambda: stats(a)["p2_ok"] >= 2 and stats(b)["p2_ok"] >= 2 and
             len(up_flows(a)) == 1, 40, interval=0.5, what="rekey")
    now = check_havpn_pair(a, b)
    assert now["spi_in"] != first["spi_in"]


def test_havpn_pair_through_nat(topo, bindir):
    """A havpnd behind a masquerading NAT initiates to ha1: both float
    to 4500, ha1 follows the mapped port, UDP-encapsulated tunnel mode,
    and the NATed side keeps the mapping alive."""
    nat_topology(topo)
    a = start_havpn(topo, bindir, havpn_conf(peer="10.0.0.1"))
    b = start_havpn(topo, bindir, havpn_conf(
        local="10.1.0.20", peer=HA1, acl=f"permit ip {PEER_NET} {HAVPN_NET}",
        hostname="peer", extra="crypto isakmp nat keepalive 5\n"),
        node="peer")
    b.ctl("test", "crypto", "acquire", "172.21.91.37", "192.168.20.25")
    pair = check_havpn_pair(a, b)
    assert pair["udp_encap"]
    sa, sb = isakmp_sas(a)[0], isakmp_sas(b)[0]
    assert sa["remote"] == "10.0.0.1" and 20000 <= sa["remote_port"] <= 30000
    assert sa["nat_remote"] and sb["nat_local"]
    assert sa["local_port"] == 4500 and sb["local_port"] == 4500
    assert sb["remote_port"] == 4500
    assert "N" in sa["capabilities"]


def test_show_layouts(topo, bindir):
    """The IOS layouts, column for column."""
    a, b = havpn_pair(topo, bindir, "aes256-sha256-modp2048")
    a.ctl("test", "crypto", "acquire", "192.168.20.25", "172.21.91.37")
    check_havpn_pair(a, b)
    sa = isakmp_sas(a)[0]
    text = a.ctl("sh", "cry", "isa", "sa").stdout.splitlines()
    assert text[0] == "IPv4 Crypto ISAKMP SA"
    assert text[1] == "dst             src             state          " \
                      "conn-id status"
    assert text[2] == f"10.0.0.20       10.0.0.11       QM_IDLE        " \
                      f"{sa['conn_id']:7d} ACTIVE"
    assert text[4] == "IPv6 Crypto ISAKMP SA"
    # the responder shows itself as dst
    assert b.ctl("show", "crypto", "isakmp", "sa").stdout.splitlines()[2] \
        .startswith("10.0.0.20       10.0.0.11       QM_IDLE")
    det = a.ctl("show", "crypto", "isakmp", "sa", "detail").stdout
    assert "C-id  Local           Remote          I-VRF  Status Encr " \
           "Hash   Auth DH Lifetime Cap." in det
    assert f"{sa['conn_id']:<5d} 10.0.0.11       10.0.0.20              " \
           f"ACTIVE aes  sha256 psk  14 23:5" in det
    pol = a.ctl("show", "crypto", "isakmp", "policy").stdout
    assert "Protection suite of priority 10\n        encryption " \
           "algorithm:   AES - Advanced Encryption Standard (256 bit " \
           "keys).\n        hash algorithm:         Secure Hash Standard " \
           "2 (256 bit)\n        authentication method:  Pre-Shared Key\n" \
           "        Diffie-Hellman group:   #14 (2048 bit)\n        " \
           "lifetime:               86400 seconds, no volume limit\n" in pol
    assert "Default protection suite" in pol
    ses = a.ctl("show", "crypto", "session").stdout
    assert "Interface: eth0\nSession status: UP-ACTIVE\nPeer: 10.0.0.20 " \
           "port 500\n  IKEv1 SA: local 10.0.0.11/500 remote " \
           "10.0.0.20/500 Active\n  IPSEC FLOW: permit ip " \
           "192.168.20.0/255.255.255.0 172.21.91.0/255.255.255.0\n" \
           "        Active SAs: 2, origin: crypto map\n" in ses
    det = a.ctl("show", "crypto", "session", "detail").stdout
    flow = up_flows(a)[0]
    assert f"Inbound SPI: 0x{flow['spi_in']:08X}, Outbound SPI: " \
           f"0x{flow['spi_out']:08X}" in det
    assert "transform: esp-aes 256 esp-sha256-hmac , in use settings " \
           "={Tunnel, }" in det
    # debug crypto isakmp traced the exchange IOS style
    log = topo.log("ha1")
    for line in ("ISAKMP:(0):Old State = IKE_READY  New State = IKE_I_MM1",
                 "beginning Main Mode exchange",
                 "Old State = IKE_I_MM5  New State = IKE_I_MM6",
                 "SA has been authenticated with 10.0.0.20",
                 "Old State = IKE_QM_READY  New State = IKE_QM_I_QM1",
                 "IPSEC(create_sa): sa created,"):
        assert line in log, line
    assert "All possible debugging has been turned off" in \
        a.ctl("undebug", "all").stdout
