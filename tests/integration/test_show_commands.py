"""The commands an IOS engineer types (issue 12), each in text and --json,
against the pair of the design topology (ha1 active, ha2 standby) with
strongSwan on 10.0.0.20 as the remote peer: show crypto map, show crypto
isakmp key, show crypto ipsec transform-set, show access-lists with the
data plane's matches, show crypto ipsec sa detail | address | identity,
show crypto engine connections active, show crypto isakmp peers, clear
crypto session, debug crypto ipsec and undebug all; and havpnctl's
reports of an unknown, incomplete or ambiguous command.

One topology for all of it: each start costs tens of seconds.
"""

import os
import re

from hasynclib import HOT, echo, flow, peer, ss_ike, start, tunnel_up, \
    wait_rf
from topology import sh, wait_for

ACE = "permit ip 192.168.20.0 0.0.0.255 172.21.91.0 0.0.0.255"


def flows(node):
    d = node.json("show", "crypto", "ipsec", "sa")
    return [f for i in d["interfaces"] for f in i["flows"]], d["engine"]


def check_config_views(ha1):
    """show crypto map, isakmp key, transform-set: the running config."""
    m = ha1.json("show", "crypto", "map")
    assert m == ha1.json("show", "crypto", "map", "tag", "vpn")
    assert len(m["maps"]) == 1 and m["maps"][0]["name"] == "vpn"
    e = m["maps"][0]["entries"]
    assert len(e) == 1
    e = e[0]
    assert (e["seq"], e["peer"], e["acl"], e["acl_entries"]) == \
        (10, "10.0.0.20", "110", [ACE])
    assert e["transform_sets"] == [{"name": "GCM",
                                    "transforms": "esp-gcm 256"}]
    assert (e["pfs"], e["dh_group"], e["reverse_route"], e["complete"]) == \
        (True, "group14", True, True)
    assert (e["lifetime_kbytes"], e["lifetime_seconds"]) == (4608000, 3600)
    assert m["maps"][0]["interfaces"] == [
        {"name": "eth0", "local_addr": "10.0.0.10", "stateful": True}]
    t = ha1.ctl("sh", "cr", "map").stdout
    for want in ('Crypto Map: "vpn" idb: eth0 local address: 10.0.0.10\n',
                 'Crypto Map IPv4 "vpn" 10 ipsec-isakmp\n'
                 '        Peer = 10.0.0.20\n'
                 '        Extended IP access list 110\n'
                 f'            access-list 110 {ACE}\n'
                 '        Current peer: 10.0.0.20\n'
                 '        Security association lifetime: 4608000 '
                 'kilobytes/3600 seconds\n',
                 '        PFS (Y/N): Y\n        DH group:  group14\n',
                 '        Transform sets={ \n'
                 '                GCM:  { esp-gcm 256  } , \n        }\n',
                 '        Reverse Route Injection Enabled\n'
                 '        Interfaces using crypto map vpn:\n'
                 '                eth0\n'):
        assert want in t, (want, t)
    r = ha1.ctl("show", "crypto", "map", "tag", "nosuch", check=False)
    assert r.returncode == 1 and "no crypto map named nosuch" in r.stderr

    k = ha1.json("show", "crypto", "isakmp", "key")
    assert k["keys"] == [{"keyring": "default", "address": "10.0.0.20",
                          "mask": "255.255.255.255", "key": "cisco123",
                          "no_xauth": False}]
    t = ha1.ctl("show", "crypto", "isakmp", "key").stdout
    assert t == ("Keyring      Hostname/Address                            "
                 "Preshared Key\n"
                 "default      10.0.0.20                                   "
                 "cisco123\n"), t

    ts = ha1.json("show", "crypto", "ipsec", "transform-set")
    assert ts["transform_sets"] == [{"name": "GCM",
                                     "transforms": "esp-gcm 256",
                                     "mode": "Tunnel"}]
    t = ha1.ctl("sh", "cr", "ipsec", "tr", "tag", "GCM").stdout
    assert t == ("Transform set GCM: { esp-gcm 256  } \n"
                 "   will negotiate = { Tunnel,  }, \n\n"), t


def check_acl_matches(ha1, design):
    """show access-lists: each entry's packets, from the data plane's SPD,
    agree with what the flow's SA carried and what waited for an SA."""
    before = ha1.json("show", "access-lists", "110")
    f = flow(design, 200, 1)
    assert f["lost"] == 0 and f["sent"] >= 150, f
    a = ha1.json("show", "access-lists")
    assert a["matches_counted"] is True
    assert [x["name"] for x in a["access_lists"]] == ["110"]
    ents = a["access_lists"][0]["entries"]
    assert [(x["seq"], x["entry"]) for x in ents] == [(10, ACE)]
    fl, eng = flows(ha1)
    encaps = sum(x["pkts_encaps"] + x["send_errors"] for x in fl)
    # every packet the policy matched went out on an SA, or waited for one
    assert ents[0]["matches"] == encaps + eng["no_sa"], (ents, fl, eng)
    grew = ents[0]["matches"] - before["access_lists"][0]["entries"][0][
        "matches"]
    assert grew >= f["sent"], (grew, f)
    t = ha1.ctl("show", "access-lists").stdout
    assert t == ("Extended IP access list 110\n"
                 f"    10 {ACE} ({ents[0]['matches']} matches)\n"), t
    r = ha1.ctl("show", "access-lists", "999", check=False)
    assert r.returncode == 1 and "no access list named 999" in r.stderr


def check_sa_views(ha1, ha2, c):
    """show crypto ipsec sa detail | address | identity, show crypto
    engine connections active, show crypto isakmp peers."""
    (spi_ss_in, spi_ss_out), = ss_ike(c)[1]["net"]
    fl, _ = flows(ha1)
    assert len(fl) == 1
    f = fl[0]

    d = ha1.json("show", "crypto", "ipsec", "sa", "detail")
    assert d["view"] == "detail" and d["interfaces"][0]["flows"][0][
        "outbound_esp_sas"][0]["spi"] == spi_ss_in
    t = ha1.ctl("sh", "cr", "ips", "sa", "det").stdout
    for want in ("interface: eth0\n    Crypto map tag: vpn, local addr "
                 "10.0.0.10\n",
                 "    #pkts encaps failed (send) 0, #pkts decaps failed "
                 "(rcv) 0\n",
                 "    #pkts invalid prot (recv) 0, #pkts verify failed: 0\n",
                 "    ##pkts replay failed (rcv): 0\n",
                 "  Data plane, all flows:\n    #pkts no sa (send) "):
        assert want in t, (want, t)
    assert "#send errors" not in t
    # peer ADDR detail (IOS's form): the same view of one peer's flows
    t = ha1.ctl("sh", "cr", "ips", "sa", "peer", "10.0.0.20",
                "detail").stdout
    for want in ("interface: eth0\n    Crypto map tag: vpn, local addr "
                 "10.0.0.10\n",
                 "    ##pkts replay failed (rcv): 0\n",
                 "  Data plane, all flows:\n    #pkts no sa (send) "):
        assert want in t, (want, t)
    d = ha1.json("show", "crypto", "ipsec", "sa", "peer", "10.0.0.99",
                 "detail")
    assert d["view"] == "detail" and not [
        x for i in d["interfaces"] for x in i["flows"]
        if x["outbound_esp_sas"]], d
    r = ha1.ctl("show", "crypto", "ipsec", "sa", "peer", "10.0.0.20",
                "frob", check=False)
    assert r.returncode != 0 and \
        "usage: show crypto ipsec sa [peer ADDR [detail]]" in r.stderr, r
    # every view on the standby says STANDBY, as the plain one does
    for view in ("detail", "address", "identity"):
        d2 = ha2.json("show", "crypto", "ipsec", "sa", view)
        sas = [s for i in d2["interfaces"] for x in i["flows"]
               for s in x["outbound_esp_sas"] + x["inbound_esp_sas"]]
        assert sas and all(s["status"] == "STANDBY" for s in sas), \
            (view, sas)

    # address: our inbound SA (the peer's outbound SPI) is sent to us,
    # our outbound SA to the peer
    t = ha1.ctl("show", "crypto", "ipsec", "sa", "address").stdout
    blocks = dict(re.findall(r"dest address: (\S+)\n((?:(?!dest address).*"
                             r"\n)*)", t))
    assert sorted(blocks) == ["10.0.0.10", "10.0.0.20"], t
    assert "spi: 0x%X(%d)" % (spi_ss_out, spi_ss_out) in blocks["10.0.0.10"]
    assert "spi: 0x%X(%d)" % (spi_ss_in, spi_ss_in) in blocks["10.0.0.20"]
    for b in blocks.values():
        assert b.startswith("   protocol: ESP\n"), b
        assert "crypto map: vpn" in b and "Status: ACTIVE" in b
    assert ha1.json("show", "crypto", "ipsec", "sa", "address")["view"] == \
        "address"

    t = ha1.ctl("show", "crypto", "ipsec", "sa", "identity").stdout
    assert t == ("\ninterface: eth0\n"
                 "    Crypto map tag: vpn, local addr 10.0.0.10\n\n"
                 "   protected vrf: (none)\n"
                 "   local  ident (addr/mask/prot/port): "
                 "(192.168.20.0/255.255.255.0/0/0)\n"
                 "   remote ident (addr/mask/prot/port): "
                 "(172.21.91.0/255.255.255.0/0/0)\n"
                 "   current_peer 10.0.0.20 port 4500\n"
                 "     PERMIT, flags={origin_is_acl,}\n\n"), t

    # engine connections: the two ESP SAs and the ISAKMP SA
    e = ha1.json("show", "crypto", "engine", "connections", "active")
    ipsec = [x for x in e["connections"] if x["type"] == "IPsec"]
    ike = [x for x in e["connections"] if x["type"] == "IKE"]
    out_sa = f["outbound_esp_sas"][0]
    in_sa = f["inbound_esp_sas"][0]
    assert sorted(x["id"] for x in ipsec) == \
        sorted([out_sa["conn_id"], in_sa["conn_id"]])
    by = {x["id"]: x for x in ipsec}
    assert by[out_sa["conn_id"]]["encrypt"] >= f["pkts_encrypt"] > 0
    assert by[in_sa["conn_id"]]["decrypt"] >= f["pkts_decrypt"] > 0
    assert by[out_sa["conn_id"]]["last_seq"] >= f["pkts_encaps"]
    assert all(x["algorithm"] == "AES256-GCM" and
               x["ip_address"] == "10.0.0.10" for x in ipsec), ipsec
    isa = ha1.json("show", "crypto", "isakmp", "sa")["sas"]
    assert [x["id"] for x in ike] == [s["conn_id"] for s in isa]
    # IKE messages the ISAKMP SA encrypted and decrypted: at least Main
    # Mode's last one and Quick Mode's, each way
    assert ike[0]["algorithm"] == "SHA256+AES256", ike
    assert ike[0]["encrypt"] >= 2 and ike[0]["decrypt"] >= 2, ike
    assert ike[0]["last_seq"] is None
    assert [x["id"] for x in e["connections"]] == \
        sorted(x["id"] for x in e["connections"])
    t = ha1.ctl("sh", "cr", "en", "co", "ac").stdout.splitlines()
    assert t[:3] == ["Crypto Engine Connections", "",
                     "   ID  Type    Algorithm           Encrypt  Decrypt "
                     "LastSeqN IP-Address"], t
    row = "%5d  %-8s%-18s%9d%9d%9d %s" % (
        out_sa["conn_id"], "IPsec", "AES256-GCM",
        by[out_sa["conn_id"]]["encrypt"], 0,
        by[out_sa["conn_id"]]["last_seq"], "10.0.0.10")
    assert row in t, (row, t)
    # the IKE row (DPD may have counted more messages since the JSON)
    rows = [r for r in t if r.startswith("%5d  IKE " % ike[0]["id"])]
    assert len(rows) == 1, t
    _, _, alg, enc, dec, seq, addr = rows[0].split()
    assert (alg, seq, addr) == ("SHA256+AES256", "-", "10.0.0.10"), rows
    assert int(enc) >= ike[0]["encrypt"] and int(dec) >= ike[0]["decrypt"]
    # the standby holds the same SAs under the same conn ids
    e2 = ha2.json("show", "crypto", "engine", "connections", "active")
    assert sorted(x["id"] for x in e2["connections"]
                  if x["type"] == "IPsec") == sorted(by)

    p = ha1.json("show", "crypto", "isakmp", "peers")
    assert p["peers"] == [{"peer": "10.0.0.20", "port": 4500,
                           "local": "10.0.0.10", "local_port": 4500,
                           "phase1_id": "10.0.0.20"}]
    t = ha1.ctl("show", "crypto", "isakmp", "peers").stdout
    assert t == "Peer: 10.0.0.20 Port: 4500 Local: 10.0.0.10\n" \
        " Phase1 id: 10.0.0.20\n", t


def ipsec_lines(design, node, since):
    return [l for l in design.log(node)[since:].splitlines()
            if "IPSEC(" in l]


def test_show_commands_on_a_live_pair(design, bindir):
    ha1 = start(design, bindir, "ha1", wait_active=True)
    ha2 = start(design, bindir, "ha2")
    c = peer(design)
    echo(design)
    tunnel_up(design, bindir, c, ha1)
    wait_rf(ha2, HOT)
    check_config_views(ha1)
    check_acl_matches(ha1, design)
    check_sa_views(ha1, ha2, c)

    # debug crypto ipsec: a rekey by the peer is traced (the new SAs, the
    # outbound SA taking over, the old ones deleted)
    mark = len(design.log("ha1"))
    r = ha1.ctl("debug", "crypto", "ipsec")
    assert r.stdout == "Crypto IPSEC debugging is on\n"
    old_in = flows(ha1)[0][0]["inbound_esp_sas"][0]["spi"]
    c.swanctl("--rekey", "--child", "net")
    lines = wait_for(lambda: (lambda l: l if any("delete_sa" in x and
                                                 "0x%08X" % old_in in x
                                                 for x in l) else None)(
        ipsec_lines(design, "ha1", mark)), 15, what="the rekey traced")
    new_out = flows(ha1)[0][0]["current_outbound_spi"]
    assert sum("IPSEC(create_sa): sa created" in x for x in lines) >= 2
    assert any("IPSEC(update_current_outbound_sa)" in x and
               "peer 10.0.0.20 current outbound sa to SPI %08X" % new_out
               in x for x in lines), lines

    # clear crypto session remote: both phases gone here and at the peer;
    # another address clears nothing
    r = ha1.json("clear", "crypto", "session", "remote", "10.9.9.9")
    assert r == {"command": "clear crypto session", "ipsec_cleared": 0,
                 "isakmp_cleared": 0}
    r = ha1.json("cl", "cr", "sess", "rem", "10.0.0.20")
    assert r["isakmp_cleared"] == 1 and r["ipsec_cleared"] >= 1, r
    assert ha1.json("show", "crypto", "isakmp", "sa")["sas"] == []
    assert flows(ha1)[0] == [] or all(
        x["inbound_esp_sas"] == [] and x["outbound_esp_sas"] == []
        for x in flows(ha1)[0])
    wait_for(lambda: ss_ike(c) is None or "net" not in ss_ike(c)[1], 10,
             what="strongSwan told of the deletes")
    # the next packet has no SA: a traced drop, then IKE brings it back
    mark = len(design.log("ha1"))
    flow(design, 50, 1)
    wait_for(lambda: any("IPSEC(drop): outbound" in x and
                         "no SA yet (acquire)" in x
                         for x in ipsec_lines(design, "ha1", mark)), 10,
             what="the drop traced")
    wait_for(lambda: ha1.json("show", "crypto", "isakmp", "peers")["peers"],
             20, what="the session back")
    r = ha1.ctl("clear", "crypto", "session")
    assert re.fullmatch(r"\d+ ISAKMP SA\(s\) and \d+ IPsec SA pair\(s\) "
                        r"cleared\n", r.stdout), r.stdout

    # undebug all: nothing more traced
    assert ha1.ctl("undebug", "all").returncode == 0
    mark = len(design.log("ha1"))
    flow(design, 50, 1)
    wait_for(lambda: ha1.json("show", "crypto", "isakmp", "peers")["peers"],
             20, what="the session back")
    assert ipsec_lines(design, "ha1", mark) == []


def test_command_reports(bindir):
    """An unknown, incomplete or ambiguous command: what IOS would say,
    exit status 2, without asking any daemon."""
    def ctl(*args):
        return sh([os.path.join(bindir, "havpnctl"), "-s", "/nonexistent",
                   *args], check=False)

    r = ctl("sh", "cr", "i")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ('% Ambiguous command: "sh cr i"\n"i" may be:\n'
                        '  ikev2\n  ipsec\n  isakmp\n'), r.stderr
    r = ctl("show", "crypto", "ipsec", "sa", "frob", "x")
    assert r.returncode == 3        # arguments: the daemon judges them
    r = ctl("show", "crypto", "isakmp")
    assert r.returncode == 2
    assert r.stderr == ('% Incomplete command: "show crypto isakmp" needs '
                        'another word.\nAfter "show crypto isakmp" may '
                        'follow:\n  key\n  peers\n  policy\n  sa\n'
                        '  statistics\n'), r.stderr
    r = ctl("show", "crypto", "engine", "connections", "frob")
    assert r.returncode == 2
    assert r.stderr.startswith(
        "show crypto engine connections frob\n"
        "                               ^\n"
        "% Invalid input detected at '^' marker: \"frob\"\n"
        "After \"show crypto engine connections\" may follow:\n"
        "  active\n"), r.stderr
    r = ctl("help")
    for cmd in ("show crypto map [tag NAME]", "show access-lists [N|NAME]",
                "clear crypto session [remote ADDR]", "debug crypto ipsec",
                "show crypto engine connections active"):
        assert cmd in r.stdout
