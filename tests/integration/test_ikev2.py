"""IKEv2 with strongSwan (5.9.8, kernel-libipsec) as initiator and havpnd
as responder, and the other way round (havpn initiating on traffic):
IKE_SA_INIT and IKE_AUTH with a pre-shared key make the IKE
SA and the first CHILD SA, traffic flows both ways through havpn's ESP
engine, strongSwan's Delete takes the tunnel down; a wrong key, a
proposal havpn does not have and a group it asks again are each handled
as RFC 7296 says; a second CHILD SA, CHILD SA rekeys with PFS and IKE SA
rekeys by strongSwan's short lifetimes (CREATE_CHILD_SA) under traffic;
CHILD and IKE SA rekeys by havpn's own lifetimes;
an IKEv1 and an IKEv2 peer at once; a COOKIE challenge.

    [hA .97.10] -- [gA: havpnd 10.97.0.1] ==== [gB: charon 10.97.0.2] -- [hB .98.10]
"""

import os
import signal
import time

import pytest

from strongswan import Charon, site_to_site
from test_esp import build, ping
from topology import Havpnd, set_link, wait_for

PSK = "havpn-ikev2-psk-0123"


def havpn_conf(proposal, tset, psk=PSK):
    """gA's configuration; a tset "T\nPFS groupN" adds `set pfs groupN`
    to the entry."""
    tset, _, pfs = tset.partition("\nPFS ")
    pfs = f" set pfs {pfs}\n" if pfs else ""
    return f"""hostname gA
crypto ikev2 proposal P
{proposal}
crypto ikev2 policy POL
 proposal P
crypto ikev2 keyring KR
 peer GB
  address 10.97.0.2
  pre-shared-key {psk}
crypto ikev2 profile PROF
 match identity remote address 10.97.0.2
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto ipsec transform-set TS {tset}
crypto map vpn 10 ipsec-isakmp
 set peer 10.97.0.2
 set transform-set TS
 set ikev2-profile PROF
{pfs} match address 110
access-list 110 permit ip 192.168.97.0 0.0.0.255 192.168.98.0 0.0.0.255
interface eth0
 ip address 10.97.0.1 255.255.255.0
 crypto map vpn
"""


def flows(d):
    facts = d.json("show", "crypto", "ipsec", "sa")
    return [f for i in facts["interfaces"] for f in i["flows"]
            if f["outbound_esp_sas"] and f["inbound_esp_sas"]]


# (havpn proposal lines, transform-set and `set pfs`, strongSwan ike and
# esp proposals): the suites of the issue, the second with PFS (group 20
# in CHILD rekeys), the last one curve25519
SUITES = [
    (" encryption aes-cbc-256\n integrity sha256\n group 14",
     "esp-gcm 256", "aes256-sha256-modp2048", "aes256gcm16"),
    (" encryption aes-gcm-256\n prf sha384\n group 20",
     "esp-aes 256 esp-sha256-hmac\nPFS group20",
     "aes256gcm16-prfsha384-ecp384", "aes256-sha256-ecp384"),
    (" encryption aes-cbc-128\n integrity sha1\n group 19",
     "esp-aes esp-sha-hmac", "aes128-sha1-ecp256", "aes128-sha1"),
    (" encryption aes-gcm-128\n prf sha256\n group 31",
     "esp-gcm 128", "aes128gcm16-prfsha256-x25519", "aes128gcm16"),
]
# the suite of the other tests (strongSwan's REKEY_SWANCTL and others
# name its ecp256)
BASE = (" encryption aes-cbc-256\n integrity sha256\n group 19",
        "esp-gcm 256", "aes256-sha256-ecp256", "aes256gcm16")


@pytest.mark.parametrize("proposal,tset,ike,esp", SUITES,
                         ids=[s[2] for s in SUITES])
def test_ikev2_responder_with_strongswan(topo, bindir, proposal, tset, ike,
                                         esp):
    t = build(topo)
    d = Havpnd(t, "gA", havpn_conf(proposal, tset), bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp=esp, ike=ike, version=2,
                     psk=PSK)
    try:
        c.initiate()
    except AssertionError as e:
        raise AssertionError(f"{e}\n--- havpnd:\n{t.log('gA')}") from None
    sa = c.sas()["c1"]
    assert sa["state"] == "ESTABLISHED" and sa["version"] == "2", sa
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    f = flows(d)[0]
    assert f["pkts_encaps"] > 0 and f["pkts_decaps"] > 0, f
    assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f
    # strongSwan's SPIs are havpn's, each way
    child = next(iter(c.children().values()))
    spi_in = {s["spi"] for s in f["inbound_esp_sas"]}
    spi_out = {s["spi"] for s in f["outbound_esp_sas"]}
    assert int(child["spi-out"], 16) in spi_in, (child, f)
    assert int(child["spi-in"], 16) in spi_out, (child, f)
    if "PFS" in tset:
        # a CHILD rekey (strongSwan's) with a KE of the entry's group
        c.swanctl("--rekey", "--child", child["name"])
        wait_for(lambda: "IPSEC: rekeyed SA pair with 10.97.0.2" in
                 t.log("gA"), 10, what="the CHILD rekey")
        child = next(ch for ch in c.children().values()
                     if ch["state"] == "INSTALLED")
        assert child["dh-group"] == "ECP_384", child
        assert ping(t, "hA", "192.168.98.10").returncode == 0
    # a liveness check (an empty INFORMATIONAL) is answered: charon's
    # DPD would otherwise close the SA; then its Delete takes all down
    c.swanctl("--terminate", "--ike", "c1")
    wait_for(lambda: not flows(d), 10, what="havpn's SAs deleted")
    assert "IKEv2: SA 1 with 10.97.0.2" in t.log("gA")


@pytest.mark.parametrize("proposal,tset,ike,esp", SUITES,
                         ids=[s[2] for s in SUITES])
def test_ikev2_havpn_initiates(topo, bindir, proposal, tset, ike, esp):
    """havpn as initiator: a ping from hA is traffic for the IKEv2 entry
    without a pair, havpn starts IKE_SA_INIT and IKE_AUTH to strongSwan
    (which only answers; it forces UDP encapsulation, so havpn sees a NAT
    and moves to port 4500 for IKE_AUTH); the tunnel carries traffic both
    ways; both sides show the same SPIs, havpn as the original
    initiator."""
    t = build(topo)
    d = Havpnd(t, "gA", havpn_conf(proposal, tset), bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp=esp, ike=ike, version=2,
                     psk=PSK)
    ping(t, "hA", "192.168.98.10", count=2)
    wait_for(lambda: len(flows(d)) == 1, 15,
             what="havpn's IPsec SAs\n" + t.log("gA")[-3000:])
    sa = c.sas()["c1"]
    assert sa["state"] == "ESTABLISHED" and sa["version"] == "2", sa
    assert "initiator" not in sa, sa     # strongSwan answered
    assert "generating IKE_SA_INIT request" not in c.log()
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    assert ours["status"] == "READY" and ours["role"] == "initiator", ours
    assert ours["local_spi"] == sa["initiator-spi"].upper(), (ours, sa)
    assert ours["remote_spi"] == sa["responder-spi"].upper(), (ours, sa)
    assert ours["local_port"] == 4500 and ours["nat_remote"], ours
    f = flows(d)[0]
    child = next(iter(c.children().values()))
    assert int(child["spi-out"], 16) in \
        {s["spi"] for s in f["inbound_esp_sas"]}, (child, f)
    assert int(child["spi-in"], 16) in \
        {s["spi"] for s in f["outbound_esp_sas"]}, (child, f)
    assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["sas_outgoing_ready"] == 1 and st["sa_ok"] == 1, st
    assert "established by us" in t.log("gA")


def test_ikev2_fragmentation_with_strongswan(topo, bindir):
    """RFC 7383 with strongSwan, both sides sending fragments of at most
    200 bytes (havpn: crypto ikev2 fragmentation mtu 200; strongSwan:
    fragment_size = 200): strongSwan initiates, its IKE_AUTH arrives in
    fragments that havpn reassembles, havpn's answer goes in fragments
    strongSwan reassembles; then, the SA gone, havpn initiates and the
    same happens the other way; traffic both ways each time."""
    t = build(topo)
    conf = havpn_conf(BASE[0], BASE[1]) + \
        "crypto ikev2 fragmentation mtu 200\n"
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp=BASE[3], ike=BASE[2],
                     version=2, psk=PSK, extra="fragment_size = 200")

    def stats():
        return d.json("show", "crypto", "ikev2", "stats")

    c.initiate()
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    log = c.log()
    assert "splitting IKE message" in log, log[-3000:]
    assert "reassembled fragmented IKE message" in log, log[-3000:]
    st = stats()
    assert st["frags_reassembled"] >= 1 and st["frags_rx"] >= 2, st
    assert st["frags_tx"] >= 2 and st["frags_dropped"] == 0, st
    assert st["decrypt_fail"] == 0 and st["malformed"] == 0, st
    sa = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    assert sa["fragmentation_mtu"] == 200, sa
    out = d.ctl("show", "crypto", "ikev2", "sa", "detail").stdout
    assert "Fragmentation configured, MTU 200." in out, out
    # the other way: havpn initiates
    c.swanctl("--terminate", "--ike", "c1")
    wait_for(lambda: not flows(d), 10, what="havpn's SAs deleted")
    before = c.log().count("reassembled fragmented IKE message")
    ping(t, "hA", "192.168.98.10", count=2)
    wait_for(lambda: len(flows(d)) == 1, 15,
             what="havpn's IPsec SAs\n" + t.log("gA")[-3000:])
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    assert c.log().count("reassembled fragmented IKE message") > before
    ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    assert ours["role"] == "initiator", ours
    st2 = stats()
    assert st2["frags_reassembled"] > st["frags_reassembled"], st2
    assert st2["frags_dropped"] == 0 and st2["decrypt_fail"] == 0, st2


def mirror_conf(conf):
    """gB's havpn configuration: gA's seen from the other end."""
    return conf.replace("hostname gA", "hostname gB").replace(
        "10.97.0.2", "10.97.0.X").replace("10.97.0.1", "10.97.0.2").replace(
        "10.97.0.X", "10.97.0.1").replace(
        "permit ip 192.168.97.0 0.0.0.255 192.168.98.0 0.0.0.255",
        "permit ip 192.168.98.0 0.0.0.255 192.168.97.0 0.0.0.255")


@pytest.mark.parametrize("proposal,tset,ike,esp", SUITES,
                         ids=[s[2] for s in SUITES])
def test_ikev2_havpn_to_havpn(topo, bindir, proposal, tset, ike, esp):
    """Two havpn gateways over IKEv2: a ping from hA makes gA initiate,
    gB answers; traffic both ways; each side's inbound SPI is the other's
    outbound one, the IKE SPIs the same, gA the original initiator."""
    t = build(topo)
    conf = havpn_conf(proposal, tset)
    a = Havpnd(t, "gA", conf, bindir).wait_ready()
    b = Havpnd(t, "gB", mirror_conf(conf), bindir).wait_ready()
    ping(t, "hA", "192.168.98.10", count=2)
    wait_for(lambda: len(flows(a)) == 1 and len(flows(b)) == 1, 15,
             what="both gateways' IPsec SAs\n" + t.log("gA")[-2000:] +
             t.log("gB")[-2000:])
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    sa = a.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    sb = b.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    assert sa["role"] == "initiator" and sb["role"] == "responder", (sa, sb)
    assert sa["local_spi"] == sb["remote_spi"], (sa, sb)
    assert sa["remote_spi"] == sb["local_spi"], (sa, sb)
    assert sa["encryption"] == sb["encryption"], (sa, sb)
    fa, fb = flows(a)[0], flows(b)[0]
    assert {s["spi"] for s in fa["inbound_esp_sas"]} == \
        {s["spi"] for s in fb["outbound_esp_sas"]}, (fa, fb)
    assert {s["spi"] for s in fb["inbound_esp_sas"]} == \
        {s["spi"] for s in fa["outbound_esp_sas"]}, (fa, fb)
    for f in (fa, fb):
        assert f["pkts_encaps"] > 0 and f["pkts_decaps"] > 0, f
        assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f


def test_ikev2_havpn_adds_a_child(topo, bindir):
    """havpn initiates the IKE SA with the first entry's CHILD SA; traffic
    for the crypto map's second entry (from 192.168.96.0/24) then makes
    havpn ask strongSwan for a second CHILD SA under the same IKE SA
    (CREATE_CHILD_SA of its own with PFS, no new IKE_SA_INIT); both carry traffic
    both ways, with the same SPIs on both sides."""
    t = build(topo)
    t.run("hA", ["ip", "addr", "add", "192.168.96.10/24", "dev", "eth0"])
    t.route("gA", "192.168.96.0/24", "192.168.97.10")
    conf = havpn_conf(BASE[0], BASE[1]).replace(
        "access-list 110 permit ip 192.168.97.0 0.0.0.255 192.168.98.0 "
        "0.0.0.255\n", "access-list 110 permit ip 192.168.97.0 0.0.0.255 "
        "192.168.98.0 0.0.0.255\naccess-list 110 permit ip 192.168.96.0 "
        "0.0.0.255 192.168.98.0 0.0.0.255\n").replace(
        " set ikev2-profile PROF\n", " set ikev2-profile PROF\n"
        " set pfs group19\n")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = Charon(t, "gB", name="charon-gB", install_routes=True)
    c.load(IKE_REKEY_SWANCTL.format(psk=PSK))
    ping(t, "hA", "192.168.98.10", count=2)
    wait_for(lambda: len(flows(d)) == 1, 15, what="the first CHILD SA\n" +
             t.log("gA")[-2000:] + c.log()[-3000:])
    ping(t, "hA", "192.168.98.10", src="192.168.96.10", count=2)
    wait_for(lambda: len(flows(d)) == 2, 15,
             what="the second CHILD SA\n" + t.log("gA")[-2000:])
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hA", "192.168.98.10", src="192.168.96.10"
                ).returncode == 0
    assert ping(t, "hB", "192.168.96.10").returncode == 0
    assert c.log().count("parsed IKE_SA_INIT request") == 1, c.log()
    assert "parsed CREATE_CHILD_SA request 2 [ SA No KE TSi TSr ]" in \
        c.log(), c.log()[-3000:]
    theirs = [ch for ch in c.children().values()
              if ch["state"] == "INSTALLED"]
    assert len(theirs) == 2, theirs
    ours_in = {s["spi"] for f in flows(d) for s in f["inbound_esp_sas"]}
    ours_out = {s["spi"] for f in flows(d) for s in f["outbound_esp_sas"]}
    for ch in theirs:
        assert int(ch["spi-out"], 16) in ours_in, (ch, ours_in)
        assert int(ch["spi-in"], 16) in ours_out, (ch, ours_out)
    assert len(d.json("show", "crypto", "ikev2", "sa")["sas"]) == 1
    for f in flows(d):
        assert f["pkts_encaps"] > 0 and f["pkts_decaps"] > 0, f


def test_ikev2_wrong_key_and_no_proposal(topo, bindir):
    t = build(topo)
    d = Havpnd(t, "gA", havpn_conf(BASE[0], BASE[1],
                                   psk="not-the-same-key-99"),
               bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp="aes256gcm16",
                     ike="aes256-sha256-ecp256", version=2, psk=PSK)
    r = c.swanctl("--initiate", "--child", "net", check=False)
    assert r.returncode != 0
    assert "AUTHENTICATION_FAILED" in c.log()
    wait_for(lambda: "its AUTH does not match the pre-shared key"
             in t.log("gA"), 5, what="havpn's log of the failure")
    assert not flows(d)
    # a proposal havpn does not have: NO_PROPOSAL_CHOSEN, nothing kept
    with open(c.dir + "/swanctl.conf") as f:
        text = f.read()
    c.load(text.replace("aes256-sha256-ecp256", "aes128-sha512-modp3072"))
    r = c.swanctl("--initiate", "--child", "net", check=False)
    assert r.returncode != 0
    assert "NO_PROPOSAL_CHOSEN" in c.log()


def test_ikev2_invalid_ke_then_success(topo, bindir):
    """strongSwan's first KE is its first group (ecp256); havpn's only
    group is 14, which strongSwan also offers: INVALID_KE_PAYLOAD naming
    14, and strongSwan's second IKE_SA_INIT succeeds."""
    t = build(topo)
    d = Havpnd(t, "gA", havpn_conf(
        " encryption aes-cbc-256\n integrity sha256\n group 14",
        "esp-gcm 256"), bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp="aes256gcm16",
                     ike="aes256-sha256-ecp256-modp2048", version=2,
                     psk=PSK)
    c.initiate()
    assert "N(INVAL_KE)" in c.log()
    assert "it requested MODP_2048" in c.log()
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert c.sas()["c1"]["dh-group"] == "MODP_2048"


REKEY_SWANCTL = """connections {{
  c1 {{
    version = 2
    local_addrs = 10.97.0.2
    remote_addrs = 10.97.0.1
    proposals = aes256-sha256-ecp256
    encap = yes
    rekey_time = 24s
    rand_time = 2s
    local {{
      auth = psk
      id = 10.97.0.2
    }}
    remote {{
      auth = psk
      id = %any
    }}
    children {{
      net {{
        local_ts = 192.168.98.0/24
        remote_ts = 192.168.97.0/24
        esp_proposals = aes256gcm16-ecp256
        rekey_time = 10s
        rand_time = 2s
        start_action = none
      }}
      net2 {{
        local_ts = 192.168.98.0/24
        remote_ts = 192.168.96.0/24
        esp_proposals = aes256gcm16-ecp256
        start_action = none
      }}
    }}
  }}
}}
secrets {{
  ike-1 {{
    secret = {psk}
  }}
}}
"""


def test_ikev2_two_children_and_rekeys(topo, bindir):
    """Two CHILD SAs on one IKE SA (the ACL's two entries); strongSwan rekeys the first every ~10 s with PFS (ecp256, the
    entry's group) and the IKE SA at ~24 s; pings keep flowing; both
    sides end with the same SPIs; the IKE SA was never made again."""
    t = build(topo)
    conf = havpn_conf(" encryption aes-cbc-256\n integrity sha256\n"
                      " group 19", "esp-gcm 256").replace(
        " set ikev2-profile PROF\n", " set ikev2-profile PROF\n"
        " set pfs group19\n").replace(
        "access-list 110 permit ip 192.168.97.0 0.0.0.255 192.168.98.0 "
        "0.0.0.255\n", "access-list 110 permit ip 192.168.97.0 0.0.0.255 "
        "192.168.98.0 0.0.0.255\naccess-list 110 permit ip 192.168.96.0 "
        "0.0.0.255 192.168.98.0 0.0.0.255\n")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = Charon(t, "gB", name="charon-gB", install_routes=True)
    c.load(REKEY_SWANCTL.format(psk=PSK))
    c.initiate("net")
    c.initiate("net2")
    wait_for(lambda: len(flows(d)) == 2, 15, what="havpn's two pairs")
    ike_spi = c.sas()["c1"]["initiator-spi"]
    lost = 0
    for _ in range(14):
        if ping(t, "hA", "192.168.98.10", count=5).returncode != 0:
            lost += 1
    # the CHILD SA rekeyed with a KE (PFS), then the IKE SA
    assert "[ N(REKEY_SA) SA No KE TSi TSr ]" in c.log(), c.log()[-3000:]
    assert "IPSEC: rekeyed SA pair with 10.97.0.2" in t.log("gA")
    wait_for(lambda: "IKEv2: SA 1 with 10.97.0.2 rekeyed" in t.log("gA"),
             20, what="the IKE SA rekeyed")
    wait_for(lambda: "rekeyed between 10.97.0.2" in c.log(), 5,
             what="strongSwan's IKE SA rekeyed")
    assert c.log().count("generating IKE_SA_INIT request 0") == 1, \
        "strongSwan made a new IKE SA"
    sa = c.sas()["c1"]
    assert sa["state"] == "ESTABLISHED", sa
    assert sa["initiator-spi"] != ike_spi, "the IKE SA was not rekeyed"
    assert lost == 0, f"{lost} ping rounds failed\n{t.log('gA')[-3000:]}"
    # the same pairs on both sides, each way
    wait_for(lambda: len(flows(d)) == 2, 10, what="old pairs deleted")
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    ours_in = {s["spi"] for f in flows(d) for s in f["inbound_esp_sas"]}
    ours_out = {s["spi"] for f in flows(d) for s in f["outbound_esp_sas"]}
    theirs = [ch for ch in c.sas()["c1"]["child-sas"].values()
              if ch["state"] == "INSTALLED"]
    assert len(theirs) == 2, theirs
    for ch in theirs:
        assert int(ch["spi-out"], 16) in ours_in, (ch, ours_in)
        assert int(ch["spi-in"], 16) in ours_out, (ch, ours_out)
        if ch["name"] == "net":
            assert ch["dh-group"] == "ECP_256", ch
    for f in flows(d):
        assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f
    # havpn shows the rekeyed IKE SA with strongSwan's new SPIs, READY
    wait_for(lambda: len(d.json("show", "crypto", "ikev2", "sa")["sas"])
             == 1, 35, what="the old IKE SA gone")
    ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    sa = c.sas()["c1"]
    assert ours["status"] == "READY", ours
    assert ours["remote_spi"] == sa["initiator-spi"].upper(), (ours, sa)
    assert ours["local_spi"] == sa["responder-spi"].upper(), (ours, sa)
    assert ours["child_count"] == 2, ours
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["ike_rekeys"] >= 1 and st["child_rekeys"] >= 1, st


def test_ikev2_show_and_clear(topo, bindir):
    """show crypto ikev2 sa [detail], session [detail], stats, show crypto
    session and show crypto ipsec sa against a live tunnel: the SPIs are
    strongSwan's; clear crypto ikev2 sa takes the SA and its CHILD SA
    away here."""
    t = build(topo)
    d = Havpnd(t, "gA", havpn_conf(BASE[0], BASE[1]),
               bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp=BASE[3], ike=BASE[2],
                     version=2, psk=PSK)
    # debug crypto ikev2: each message in and out, in the log
    assert "debugging is on" in d.ctl("debug", "crypto", "ikev2").stdout
    c.initiate()
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    log = t.log("gA")
    assert "IKEv2: Received Packet [From 10.97.0.2:500/To 10.97.0.1:500]" \
        in log and "IKEv2 IKE_SA_INIT Exchange REQUEST" in log, log
    assert "decrypted: Payload contents: IDi" in log, log
    d.ctl("undebug", "all")
    ssa = c.sas()["c1"]
    child = next(iter(c.children().values()))
    spii = ssa["initiator-spi"].upper()
    spir = ssa["responder-spi"].upper()

    facts = d.json("show", "crypto", "ikev2", "sa", "detail")
    assert len(facts["sas"]) == 1, facts
    sa = facts["sas"][0]
    assert sa["status"] == "READY" and sa["role"] == "responder", sa
    assert sa["local_spi"] == spir and sa["remote_spi"] == spii, (sa, ssa)
    assert (sa["encryption"], sa["keysize"], sa["prf"], sa["hash"],
            sa["dh_group"]) == ("AES-CBC", 256, "SHA256", "SHA256", 19), sa
    assert sa["local"] == "10.97.0.1" and sa["remote"] == "10.97.0.2", sa
    assert sa["remote_id"] == "10.97.0.2", sa
    # kernel-libipsec only does ESP in UDP: strongSwan fakes a NAT
    assert sa["nat_local"] or sa["nat_remote"], sa
    tid = sa["tunnel_id"]

    text = d.ctl("show", "crypto", "ikev2", "sa").stdout
    assert text.startswith(" IPv4 Crypto IKEv2  SA \n\nTunnel-id Local"), \
        text
    row = [l for l in text.splitlines() if l.startswith(f"{tid} ")]
    assert len(row) == 1 and "10.97.0.2/" in row[0] and \
        row[0].rstrip().endswith("READY"), text
    assert "Encr: AES-CBC, keysize: 256, PRF: SHA256, Hash: SHA256, " \
        "DH Grp:19, Auth sign: PSK, Auth verify: PSK" in text, text
    assert "Local spi" not in text
    text = d.ctl("sh", "cry", "ikev2", "sa", "detailed").stdout
    assert f"Local spi: {spir}" in text and f"Remote spi: {spii}" in text, \
        text
    assert "Initiator of SA : No" in text, text

    # the session: the CHILD SA's SPIs each way are strongSwan's
    facts = d.json("show", "crypto", "ikev2", "session", "detail")
    s = facts["sessions"][0]
    assert s["status"] == "UP-ACTIVE" and s["child_count"] == 1, s
    ch = s["sas"][0]["children"][0]
    assert ch["spi_in"] == int(child["spi-out"], 16), (ch, child)
    assert ch["spi_out"] == int(child["spi-in"], 16), (ch, child)
    assert (ch["encryption"], ch["keysize"]) == ("AES-GCM", 256), ch
    assert (ch["local_start"], ch["local_end"]) == ("192.168.97.0",
                                                   "192.168.97.255"), ch
    text = d.ctl("show", "crypto", "ikev2", "session").stdout
    assert "Session-id:%d, Status:UP-ACTIVE, IKE count:1, CHILD count:1" \
        % s["session_id"] in text, text
    assert "Child sa: local selector  192.168.97.0/0 - " \
        "192.168.97.255/65535" in text, text
    assert "ESP spi in/out: 0x%X/0x%X" % (ch["spi_in"], ch["spi_out"]) \
        in text, text

    # show crypto session and show crypto ipsec sa list the tunnel too
    text = d.ctl("show", "crypto", "session").stdout
    assert "Session status: UP-ACTIVE" in text, text
    assert "IKEv2 SA: local 10.97.0.1/" in text and " Active" in text, text
    facts = d.json("show", "crypto", "session")
    assert facts["sessions"][0]["ike"][0]["version"] == "IKEv2", facts
    text = d.ctl("show", "crypto", "ipsec", "sa").stdout
    assert "spi: 0x%X(" % ch["spi_in"] in text, text
    assert "in use settings ={Tunnel UDP-Encaps, }" in text, text

    facts = d.json("show", "crypto", "ikev2", "stats")
    assert (facts["sas"], facts["sas_ready"], facts["sa_ok"],
            facts["child_ok"], facts["child_sas"]) == (1, 1, 1, 1, 1), facts
    text = d.ctl("show", "crypto", "ikev2", "stats").stdout
    assert "Total incoming IKEv2 SA Count:    1 " in text, text

    # clear: a malformed or unknown Tunnel-id is refused, then the SA goes
    r = d.ctl("clear", "crypto", "ikev2", "sa", "x1", check=False)
    assert r.returncode == 1 and "Tunnel-id" in r.stderr, r
    r = d.ctl("clear", "crypto", "ikev2", "sa", str(tid + 100), check=False)
    assert r.returncode == 1 and "no IKEv2 SA" in r.stderr, r
    assert d.json("clear", "crypto", "ikev2", "sa", str(tid))["cleared"] == 1
    # the Delete goes to strongSwan, the SA with its answer
    wait_for(lambda: d.json("show", "crypto", "ikev2", "sa")["sas"] == [],
             10, what="the SA gone with strongSwan's answer")
    wait_for(lambda: "c1" not in c.sas(), 10, what="strongSwan's SA deleted")
    assert "received DELETE for IKE_SA c1" in c.log(), c.log()[-2000:]
    wait_for(lambda: not flows(d), 10, what="havpn's IPsec SAs deleted")
    assert "IKEv2: SA %d: Delete sent: cleared by the operator" % tid \
        in t.log("gA")
    assert "IKEv2: SA %d with 10.97.0.2 deleted" % tid in t.log("gA")


def up_with_strongswan(topo, bindir, conf, emulated=False, esp=None):
    """gA's havpnd with conf, strongSwan (BASE's suite) on gB initiating;
    back when havpn has the pair: (topology, havpnd, charon)."""
    t = build(topo, emulated=emulated)
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp=esp or BASE[3], ike=BASE[2],
                     version=2, psk=PSK)
    c.initiate()
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    return t, d, c


def test_ikev2_liveness_and_dead_peer(topo, bindir):
    """The profile's dpd line: havpn's liveness check (periodic, after
    10 s of silence) answered by strongSwan; strongSwan frozen, the next
    goes unanswered and havpn deletes the SA and its pair."""
    t, d, c = up_with_strongswan(topo, bindir, havpn_conf(
        BASE[0], BASE[1]).replace(" keyring local KR\n",
                                  " keyring local KR\n dpd 10 2 periodic\n"))
    wait_for(lambda: "parsed INFORMATIONAL request 0 [ ]" in c.log(), 15,
             what="strongSwan answering havpn's liveness check")
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["liveness_sent"] == 1 and st["peers_dead"] == 0, st
    assert "c1" in c.sas()
    os.kill(c.proc.pid, signal.SIGSTOP)
    try:
        # 10 s of silence, then 5 retransmissions 2 s apart
        wait_for(lambda: d.json("show", "crypto", "ikev2", "stats")
                 ["peers_dead"] == 1, 30, what="the peer declared dead")
        assert d.json("show", "crypto", "ikev2", "sa")["sas"] == []
        assert not flows(d)
        assert "does not answer (5 retransmissions)" in t.log("gA")
    finally:
        os.kill(c.proc.pid, signal.SIGCONT)


def test_ikev2_havpn_rekeys_child(topo, bindir):
    """The crypto map entry's 30 s lifetime is havpn's: at its soft
    lifetime (93 %) havpn rekeys the CHILD SA itself (CREATE_CHILD_SA
    with REKEY_SA and PFS), strongSwan installs the new pair, havpn's
    Delete of the old one follows 5 s later; pings go on, both sides end
    with the same SPIs."""
    t = build(topo)
    conf = havpn_conf(BASE[0], BASE[1]).replace(
        " set ikev2-profile PROF\n", " set ikev2-profile PROF\n"
        " set pfs group19\n set security-association lifetime seconds 30\n")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp="aes256gcm16-ecp256",
                     ike=BASE[2], version=2, psk=PSK)
    c.initiate()
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    first = {k: v["spi-in"] for k, v in c.children().items()}
    lost = 0
    for _ in range(8):
        if ping(t, "hA", "192.168.98.10", count=10).returncode != 0:
            lost += 1
        if "received DELETE for ESP CHILD_SA" in c.log():
            break
    wait_for(lambda: "received DELETE for ESP CHILD_SA" in c.log(), 20,
             what="havpn's rekey and its Delete of the old pair")
    assert "parsed CREATE_CHILD_SA request 0 [ N(REKEY_SA) SA No KE TSi " \
        "TSr ]" in c.log(), c.log()[-3000:]
    assert lost == 0, f"{lost} ping rounds failed"
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["child_rekeys"] >= 1 and st["rekeys_failed"] == 0, st
    wait_for(lambda: len(flows(d)) == 1, 10, what="one pair left")
    theirs = [ch for ch in c.children().values()
              if ch["state"] == "INSTALLED"]
    assert len(theirs) == 1 and theirs[0]["spi-in"] not in \
        first.values(), (theirs, first)
    f = flows(d)[0]
    assert int(theirs[0]["spi-out"], 16) in \
        {s["spi"] for s in f["inbound_esp_sas"]}, (theirs, f)
    assert int(theirs[0]["spi-in"], 16) in \
        {s["spi"] for s in f["outbound_esp_sas"]}, (theirs, f)
    assert theirs[0]["dh-group"] == "ECP_256", theirs
    assert c.log().count("generating IKE_SA_INIT request 0") == 1


def test_ikev2_rekey_collision_with_strongswan(topo, bindir):
    """Both sides rekey the CHILD SA at once (RFC 7296 2.8.1): the link
    between the gateways delays each way by 400 ms (linkem); when havpn's
    own rekey (the entry's 30 s lifetime) is out, strongSwan is told to
    rekey too, so each gets the other's request while its own is out.
    Each answers the other; the nonces decide, the same way on both
    sides: one side deletes its redundant pair, the other the old one;
    both end with one pair, the same SPIs, and pings go on."""
    t, d, c = up_with_strongswan(topo, bindir, havpn_conf(
        BASE[0], BASE[1]).replace(
        " set ikev2-profile PROF\n", " set ikev2-profile PROF\n"
        " set security-association lifetime seconds 30\n"), emulated=True)
    link = t.outside_link

    def sent():
        return d.json("show", "crypto", "ikev2", "stats")["requests_sent"]

    base = sent()
    set_link(link, 400, 0)
    # havpn's rekey at ~93 % of 30 s: strongSwan's right behind it
    wait_for(lambda: sent() > base, 40, interval=0.05,
             what="havpn's CHILD rekey")
    c.swanctl("--rekey", "--child", "net")
    wait_for(lambda: "CHILD_SA rekey collision" in c.log(), 10,
             what="strongSwan's view of the collision\n" + c.log()[-3000:])
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["rekey_collisions"] == 1 and st["rekeys_failed"] == 0, st
    assert "rekey collision" in t.log("gA"), t.log("gA")[-3000:]
    # the redundant pair and the old one deleted: one pair each side
    wait_for(lambda: len(flows(d)) == 1 and len(
        [ch for ch in c.children().values()
         if ch["state"] == "INSTALLED"]) == 1, 20,
        what="one pair left on each side\n" + t.log("gA")[-2000:])
    theirs = [ch for ch in c.children().values()
              if ch["state"] == "INSTALLED"][0]
    f = flows(d)[0]
    assert int(theirs["spi-out"], 16) in \
        {s["spi"] for s in f["inbound_esp_sas"]}, (theirs, f)
    assert int(theirs["spi-in"], 16) in \
        {s["spi"] for s in f["outbound_esp_sas"]}, (theirs, f)
    set_link(link, 0, 0)
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    f = flows(d)[0]
    assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f
    assert c.log().count("generating IKE_SA_INIT request 0") == 1


def test_ikev2_ike_rekey_collision_with_strongswan(topo, bindir):
    """Both sides rekey the IKE SA at once (RFC 7296 2.8.2): the profile's
    120 s lifetime makes havpn rekey it at 85-90 %; over a link delaying
    400 ms each way strongSwan is told to rekey it too as soon as havpn's
    request is out.  Each answers the other; both find the same new SA
    redundant; in the end each side has one IKE SA, the same SPIs, the
    CHILD SA under it, strongSwan never made a new IKE_SA_INIT, pings go
    on."""
    t, d, c = up_with_strongswan(topo, bindir, havpn_conf(
        BASE[0], BASE[1]).replace(" keyring local KR\n",
                                  " keyring local KR\n lifetime 120\n"),
        emulated=True)

    def stats():
        return d.json("show", "crypto", "ikev2", "stats")

    base = stats()["requests_sent"]
    set_link(t.outside_link, 400, 0)
    wait_for(lambda: stats()["requests_sent"] > base, 120, interval=0.05,
             what="havpn's IKE rekey")
    c.swanctl("--rekey", "--ike", "c1")
    wait_for(lambda: "IKE_SA rekey collision" in c.log(), 10,
             what="strongSwan's view of the collision\n" + c.log()[-3000:])
    st = stats()
    assert st["rekey_collisions"] == 1 and st["rekeys_failed"] == 0, st
    assert "rekey collision" in t.log("gA"), t.log("gA")[-3000:]
    set_link(t.outside_link, 0, 0)

    def settled():
        ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"]
        theirs = [s for s in c.sas().values()
                  if s.get("state") == "ESTABLISHED"]
        return len(ours) == 1 and len(theirs) == 1 and (ours, theirs)

    ours, theirs = wait_for(settled, 40, what="one IKE SA on each side\n" +
                            t.log("gA")[-2000:])
    o, s = ours[0], theirs[0]
    assert {o["local_spi"], o["remote_spi"]} == \
        {s["initiator-spi"].upper(), s["responder-spi"].upper()}, (o, s)
    assert o["status"] == "READY" and o["child_count"] == 1, o
    assert c.log().count("generating IKE_SA_INIT request 0") == 1
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    f = flows(d)[0]
    assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f


# strongSwan never rekeying: havpn's lifetimes decide (its spare child
# net2 is never started)
IKE_REKEY_SWANCTL = REKEY_SWANCTL.replace(
    "    encap = yes\n    rekey_time = 24s\n    rand_time = 2s\n",
    "    rekey_time = 0\n").replace(
    "        rekey_time = 10s\n        rand_time = 2s\n", "")


def test_ikev2_havpn_rekeys_ike_sa(topo, bindir):
    """The profile's 120 s lifetime is havpn's (strongSwan never rekeys):
    havpn rekeys the IKE SA itself at 85-90 % (CREATE_CHILD_SA with SA,
    Ni and KE), becomes the new SA's original initiator and deletes the
    old one; its CHILD rekeys (60 s lifetime) and liveness checks go on
    under the new SA with the I flag and SK_ei; strongSwan then rekeys a
    CHILD SA and the IKE SA itself under it. Pings never stop; no second
    IKE_SA_INIT; both sides show the same SPIs."""
    t = build(topo)
    conf = havpn_conf(BASE[0], BASE[1]).replace(
        " keyring local KR\n", " keyring local KR\n lifetime 120\n"
        " dpd 10 2 periodic\n").replace(
        " set ikev2-profile PROF\n", " set ikev2-profile PROF\n"
        " set pfs group19\n set security-association lifetime seconds 60\n")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c = Charon(t, "gB", name="charon-gB", install_routes=True)
    c.load(IKE_REKEY_SWANCTL.format(psk=PSK))
    c.initiate("net")
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    first = c.sas()["c1"]
    lost = 0
    end = time.monotonic() + 130
    while time.monotonic() < end and "rekeyed by us" not in t.log("gA"):
        if ping(t, "hA", "192.168.98.10", count=5).returncode != 0:
            lost += 1
    assert "rekeyed by us" in t.log("gA"), t.log("gA")[-3000:]
    assert "parsed CREATE_CHILD_SA request" in c.log()
    assert "[ SA No KE ]" in c.log(), c.log()[-3000:]
    wait_for(lambda: "received DELETE for IKE_SA" in c.log(), 10,
             what="havpn's Delete of the old IKE SA")
    wait_for(lambda: len(d.json("show", "crypto", "ikev2", "sa")["sas"])
             == 1, 10, what="the old IKE SA gone")
    ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    sa = c.sas()["c1"]
    assert ours["status"] == "READY" and ours["role"] == "initiator", ours
    assert sa["initiator-spi"] != first["initiator-spi"], (sa, first)
    assert ours["local_spi"] == sa["initiator-spi"].upper(), (ours, sa)
    assert ours["remote_spi"] == sa["responder-spi"].upper(), (ours, sa)
    assert ours["child_count"] == 1, ours
    # under the new SA: havpn's liveness check answered (I set, SK_ei)
    # and its CHILD rekey at ~56 s of the pair's 60
    before = d.json("show", "crypto", "ikev2", "stats")
    wait_for(lambda: d.json("show", "crypto", "ikev2", "stats")
             ["liveness_sent"] > before["liveness_sent"], 25,
             what="a liveness check under the new SA")
    end = time.monotonic() + 40
    while time.monotonic() < end and d.json(
            "show", "crypto", "ikev2", "stats")["child_rekeys"] < 2:
        if ping(t, "hA", "192.168.98.10", count=5).returncode != 0:
            lost += 1
    st = d.json("show", "crypto", "ikev2", "stats")
    assert st["child_rekeys"] >= 2 and st["rekeys_failed"] == 0, st
    assert st["peers_dead"] == 0 and st["requests_retransmitted"] == 0, st
    assert st["ike_rekeys_ours"] == 1 and st["sas_outgoing_ready"] == 1, st
    # strongSwan's own requests under it: a CHILD rekey, then the IKE SA's
    # rekey (strongSwan its original initiator again)
    c.swanctl("--rekey", "--child", "net")
    wait_for(lambda: d.json("show", "crypto", "ikev2", "stats")
             ["child_rekeys"] >= 3, 10, what="strongSwan's CHILD rekey")
    c.swanctl("--rekey", "--ike", "c1")
    wait_for(lambda: d.json("show", "crypto", "ikev2", "stats")
             ["ike_rekeys"] >= 2, 10, what="strongSwan's IKE rekey")
    wait_for(lambda: len(d.json("show", "crypto", "ikev2", "sa")["sas"])
             == 1, 10, what="havpn's SA deleted by strongSwan")
    ours = d.json("show", "crypto", "ikev2", "sa", "detail")["sas"][0]
    assert ours["role"] == "responder" and ours["child_count"] == 1, ours
    assert ours["local_spi"] == c.sas()["c1"]["responder-spi"].upper()
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    assert ping(t, "hB", "192.168.97.10").returncode == 0
    assert lost == 0, f"{lost} pings lost"
    assert c.log().count("generating IKE_SA_INIT request 0") == 1
    f = flows(d)[0]
    assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f


def test_ikev1_and_ikev2_peers_at_once(topo, bindir):
    """Both versions on one address and port at once: strongSwan gB speaks
    IKEv2 (crypto map entry 10 names an IKEv2 profile), strongSwan gC
    IKEv1 (entry 20, the isakmp policy and key); both tunnels up together,
    traffic through each, and each version's show lists only its own SA.

        [hA .97.10] -- [gA havpnd 10.97.0.1] --wan-- [gB .2 IKEv2] -- [hB .98.10]
                                                  \\- [gC .3 IKEv1] -- [hC .99.10]
    """
    t = topo
    t.p2p(("hA", "eth0", "192.168.97.10/24"), ("gA", "eth1",
                                               "192.168.97.1/24"))
    t.switch("wan")
    for g, addr in (("gA", "10.97.0.1/24"), ("gB", "10.97.0.2/24"),
                    ("gC", "10.97.0.3/24")):
        t.attach(g, "eth0", "wan", addr)
    t.p2p(("gB", "eth1", "192.168.98.1/24"), ("hB", "eth0",
                                             "192.168.98.10/24"))
    t.p2p(("gC", "eth1", "192.168.99.1/24"), ("hC", "eth0",
                                             "192.168.99.10/24"))
    for h, gw in (("hA", "192.168.97.1"), ("hB", "192.168.98.1"),
                  ("hC", "192.168.99.1")):
        t.route(h, "default", gw)
    for g in ("gA", "gB", "gC"):
        t.run(g, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    v1_psk = "havpn-ikev1-psk-0123"
    conf = havpn_conf(BASE[0], "esp-gcm 256").replace(
        "interface eth0\n", f"""crypto isakmp policy 10
 encr aes 256
 hash sha256
 authentication pre-share
 group 14
crypto isakmp key {v1_psk} address 10.97.0.3
crypto map vpn 20 ipsec-isakmp
 set peer 10.97.0.3
 set transform-set TS
 match address 120
access-list 120 permit ip 192.168.97.0 0.0.0.255 192.168.99.0 0.0.0.255
interface eth0
""")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    c2 = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                      "192.168.97.0/24", esp="aes256gcm16",
                      ike="aes256-sha256-ecp256", version=2, psk=PSK)
    c1 = site_to_site(t, "gC", "10.97.0.3", "10.97.0.1", "192.168.99.0/24",
                      "192.168.97.0/24", esp="aes256gcm16",
                      ike="aes256-sha256-modp2048", version=1, psk=v1_psk)
    c2.initiate()
    c1.initiate()
    assert c2.sas()["c1"]["version"] == "2"
    assert c1.sas()["c1"]["version"] == "1"
    wait_for(lambda: len(flows(d)) == 2, 15, what="havpn's two tunnels")
    for h, dst in (("hA", "192.168.98.10"), ("hA", "192.168.99.10"),
                   ("hB", "192.168.97.10"), ("hC", "192.168.97.10")):
        assert ping(t, h, dst).returncode == 0, (h, dst)
    for f in flows(d):
        assert f["pkts_encaps"] > 0 and f["pkts_decaps"] > 0, f
        assert f["replay_drops"] == 0 and f["auth_failures"] == 0, f
    v2_sas = d.ctl("show", "crypto", "ikev2", "sa").stdout
    v1_sas = d.ctl("show", "crypto", "isakmp", "sa").stdout
    assert "10.97.0.2" in v2_sas and "10.97.0.3" not in v2_sas, v2_sas
    assert "10.97.0.3" in v1_sas and "QM_IDLE" in v1_sas, v1_sas
    assert "10.97.0.2" not in v1_sas, v1_sas
    sessions = d.ctl("show", "crypto", "session").stdout
    assert ("Peer: 10.97.0.2 port 4500\n  IKEv2 SA: local 10.97.0.1/4500 "
            "remote 10.97.0.2/4500 Active") in sessions, sessions
    assert ("Peer: 10.97.0.3 port 4500\n  IKEv1 SA: local 10.97.0.1/4500 "
            "remote 10.97.0.3/4500 Active") in sessions, sessions


def half_open_init(t, node, src, dst, group=14):
    """One IKE_SA_INIT that havpn answers and nothing follows (a half-open
    SA): AES-CBC-256, SHA-256, MODP group 14 with a made-up public value
    (any value below the prime is one), from UDP port 600."""
    import random
    import struct
    xfs = [(1, 12, struct.pack(">HH", 0x800e, 256)), (2, 5, b""),
           (3, 12, b""), (4, group, b"")]
    body = b""
    for k, (tt, tid, attr) in enumerate(xfs):
        last = 0 if k == len(xfs) - 1 else 3
        body += struct.pack(">BBHBBH", last, 0, 8 + len(attr), tt, 0,
                            tid) + attr
    prop = struct.pack(">BBHBBBB", 0, 0, 8 + len(body), 1, 1, 0,
                       len(xfs)) + body
    sa = struct.pack(">BBH", 34, 0, 4 + len(prop)) + prop
    pub = bytes([0x01]) + random.randbytes(255)
    ke = struct.pack(">BBHHH", 40, 0, 8 + len(pub), group, 0) + pub
    nonce = struct.pack(">BBH", 0, 0, 36) + random.randbytes(32)
    msg_body = sa + ke + nonce
    hdr = random.randbytes(8) + bytes(8) + struct.pack(
        ">BBBBII", 33, 0x20, 34, 0x08, 0, 28 + len(msg_body))
    code = ("import socket,sys; s=socket.socket(socket.AF_INET,"
            "socket.SOCK_DGRAM); s.bind((sys.argv[1],600)); "
            "s.sendto(bytes.fromhex(sys.argv[3]),(sys.argv[2],500)); "
            "s.settimeout(3); print(len(s.recv(4096)))")
    r = t.run(node, ["python3", "-c", code, src, dst,
                     (hdr + msg_body).hex()])
    return int(r.stdout)


def test_ikev2_cookie_challenge_with_strongswan(topo, bindir):
    """crypto ikev2 cookie-challenge 1: with one half-open SA (an
    IKE_SA_INIT nothing follows), strongSwan's IKE_SA_INIT is answered
    with a COOKIE (RFC 7296 2.6); strongSwan sends it again with the
    COOKIE first and the tunnel comes up, its AUTH covering that
    message."""
    t = build(topo)
    conf = havpn_conf(" encryption aes-cbc-256\n integrity sha256\n"
                      " group 19 14", "esp-gcm 256").replace(
        "crypto ikev2 proposal P\n",
        "crypto ikev2 cookie-challenge 1\ncrypto ikev2 proposal P\n")
    d = Havpnd(t, "gA", conf, bindir).wait_ready()
    assert half_open_init(t, "gB", "10.97.0.2", "10.97.0.1") > 300
    stats = d.json("show", "crypto", "ikev2", "stats")
    assert stats["sas_negotiating"] == 1, stats
    c = site_to_site(t, "gB", "10.97.0.2", "10.97.0.1", "192.168.98.0/24",
                     "192.168.97.0/24", esp="aes256gcm16",
                     ike="aes256-sha256-ecp256", version=2, psk=PSK)
    c.initiate()
    log = c.log()
    assert "received COOKIE notify" in log, log[-2000:]
    assert "generating IKE_SA_INIT request 0 [ N(COOKIE) SA KE" in log, \
        log[-2000:]
    stats = d.json("show", "crypto", "ikev2", "stats")
    assert stats["cookies_sent"] >= 1 and stats["cookies_bad"] == 0, stats
    wait_for(lambda: len(flows(d)) == 1, 15, what="havpn's IPsec SAs")
    assert ping(t, "hA", "192.168.98.10").returncode == 0
    out = d.ctl("show", "crypto", "ikev2", "stats").stdout
    assert "COOKIE challenges sent" in out, out
