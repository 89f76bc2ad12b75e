"""IKEv2 stateful failover (docs/hasync.md, "IKEv2"): strongSwan 5.9.8 on
10.0.0.20 initiates IKEv2 to the pair's outside VIP 10.0.0.10 (the design
topology, the crypto map entry with set ikev2-profile), a steady flow
between the inside host and the remote host goes through the tunnel.

  test_ikev2_failover_kill9_and_return   the standby holds the IKE SA
      and its CHILD SA (show crypto ha); kill -9 of the active under the
      flow: the standby takes over, strongSwan keeps the same IKE SPIs
      and CHILD SPIs, sends no new IKE_SA_INIT, sees no ESP failure, the
      flow continues; RFC 6311: the new active's IKEV2_MESSAGE_ID_SYNC is
      accepted by strongSwan (its log) and havpn takes the IDs; then its
      liveness check (dpd_delay) and a CHILD
      rekey (swanctl --rekey, PFS) are answered by the new active; the
      old active returns, becomes STANDBY HOT and takes its role back
      with a planned switchover (preemption): nothing lost, the same IKE
      SA, and again a liveness check and a CHILD rekey answered
"""

import os
import re
import signal

from hasynclib import (ACTIVE, HOT, Flow, conf, crypto_ha, echo, ss_ike,
                       start, wait_rf)
from strongswan import Charon
from topology import wait_for

RATE = 1000
SS_FAILURES = ("sequence number verification failed",
               "ICV verification failed", "decryption failed")

IKEV2 = """crypto ikev2 proposal P
 encryption aes-cbc-256
 integrity sha256
 group 14
crypto ikev2 policy POL
 proposal P
crypto ikev2 keyring KR
 peer REMOTE
  address 10.0.0.20
  pre-shared-key havpn-ikev2-ha-psk-42
crypto ikev2 profile PROF
 match identity remote address 10.0.0.20
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
"""

SWANCTL = """connections {
  c1 {
    version = 2
    local_addrs = 10.0.0.20
    remote_addrs = 10.0.0.10
    proposals = aes256-sha256-modp2048
    encap = yes
    dpd_delay = 2s
    reauth_time = 0
    rekey_time = 0
    local {
      auth = psk
      id = 10.0.0.20
    }
    remote {
      auth = psk
      id = %any
    }
    children {
      net {
        local_ts = 172.21.91.0/24
        remote_ts = 192.168.20.0/24
        esp_proposals = aes256gcm16-modp2048
        rekey_time = 0
        start_action = none
      }
    }
  }
}
secrets {
  ike-1 {
    secret = havpn-ikev2-ha-psk-42
  }
}
"""


def v2conf(node, stateful=True):
    """The example node's configuration with its crypto map entry made
    IKEv2's (bench/failover's IKEv2 rows too)."""
    text = conf(node, stateful=stateful)
    text = text.replace("crypto ipsec transform-set", IKEV2 +
                        "crypto ipsec transform-set", 1)
    text = text.replace(" match address 110\n",
                        " set ikev2-profile PROF\n match address 110\n", 1)
    return text


def peer(design):
    c = Charon(design, "peer", install_routes=True)
    path = os.path.join(c.dir, "swanctl.conf")
    with open(path, "w") as f:
        f.write(SWANCTL)
    c.swanctl("--load-all", "--file", path)
    return c


def counts(c):
    log = c.log()
    return {"init": len(re.findall(r"generating IKE_SA_INIT request", log)),
            "established": len(re.findall(r"IKE_SA c1\[\d+\] established",
                                          log)),
            "dpd": len(re.findall(r"parsed INFORMATIONAL response \d+ "
                                  r"\[ \]", log)),
            "failures": sum(log.count(f) for f in SS_FAILURES)}


def check_peer(c, ss, log0, same_children=True):
    now = ss_ike(c)
    assert now is not None, "strongSwan lost its IKE SA:\n" + c.log()[-3000:]
    assert now[0] == ss[0], (now, ss)
    if same_children:
        assert now[1] == ss[1], (now, ss)
    n = counts(c)
    assert n["failures"] == 0, n
    assert n["init"] == log0["init"], "a new IKE_SA_INIT"
    assert n["established"] == log0["established"], "a new IKE SA"
    return now


def liveness_and_rekey(design, c, ss, log0):
    """strongSwan's liveness check answered (after the flow, as DPD runs
    only while nothing arrives), then its CHILD rekey; the flow goes on the
    new pair.  Returns strongSwan's SAs after."""
    dpd0 = counts(c)["dpd"]
    wait_for(lambda: counts(c)["dpd"] > dpd0, 15,
             what="strongSwan's liveness check answered")
    check_peer(c, ss, log0)
    old = ss[1]["net"][0]
    c.swanctl("--rekey", "--child", "net")
    wait_for(lambda: ss_ike(c) is not None and
             any(k != old for k in ss_ike(c)[1].get("net", [])), 10,
             what="the CHILD SA rekeyed")
    # strongSwan deletes the old pair itself (IKEv2): one left
    wait_for(lambda: len(ss_ike(c)[1]["net"]) == 1, 10,
             what="one net CHILD SA left")
    f = Flow(design, 1).result()
    assert f["lost"] == 0 and f["replies"] > 0, f
    return check_peer(c, ss, log0, same_children=False)


def test_ikev2_failover_kill9_and_return(design, bindir):
    ha1 = start(design, bindir, "ha1", text=v2conf("ha1"), wait_active=True)
    c = peer(design)
    echo(design)
    c.initiate("net")
    ss = wait_for(lambda: ss_ike(c) if ss_ike(c) is not None and
                  "net" in ss_ike(c)[1] else None, 15, interval=0.2,
                  what="strongSwan's IKEv2 SA")
    assert c.sas()["c1"]["version"] == "2"
    ha2 = start(design, bindir, "ha2", text=v2conf("ha2"))
    wait_rf(ha2, HOT)
    # the standby holds the IKE SA and its CHILD SA, with the same keys
    wait_for(lambda: crypto_ha(ha2)["ikev2_sas"]["synced"] == 1 and
             crypto_ha(ha2)["ipsec_sa_pairs"]["synced"] == 1, 10,
             what="the IKEv2 SAs on the standby")
    d1 = crypto_ha(ha1, detail=True)
    d2 = crypto_ha(ha2, detail=True)
    s1, s2 = d1["ikev2_sa_list"][0], d2["ikev2_sa_list"][0]
    for k in ("conn_id", "spii", "spir", "keys_fingerprint", "profile"):
        assert s1[k] == s2[k], (k, s1, s2)
    assert s2["spii"] == ss[0][0] and s2["spir"] == ss[0][1], (s2, ss)
    assert d2["ipsec_sa_list"][0]["v2_conn"] == s1["conn_id"]
    assert crypto_ha(ha2)["bulk"]["received_ikev2"] == 1
    log0 = counts(c)

    # kill -9 of the active under the flow
    f = Flow(design, 4)
    os.kill(ha1.proc.pid, signal.SIGKILL)
    ha1.proc.wait()
    # the unit's ExecStopPost: the dead daemon's VIPs removed
    design.run("ha1", [os.path.join(bindir, "havpnd"), "-C", "-f",
                       ha1.conf, "-s", ha1.sock, "-p", ha1.pidfile])
    f = f.result()
    wait_rf(ha2, ACTIVE, 5)
    assert f["replies"] > 0 and f["duplicates"] == 0, f
    assert f["lost"] < RATE * 2, f
    check_peer(c, ss, log0)
    ev = ha2.json("show", "redundancy", "history")["events"][-1]
    assert ev["event"] == "failover" and ev["rekeyed"] == 0, ev
    # the new active's show crypto ikev2 sa: the same SPIs
    sa = ha2.json("show", "crypto", "ikev2", "sa", "detail")["sas"]
    assert [(s["remote_spi"].lower(), s["local_spi"].lower())
            for s in sa] == [ss[0]], (sa, ss)
    # RFC 6311: strongSwan announced support, the new active synchronized
    wait_for(lambda: "responder requested MID sync" in c.log(), 10,
             what="strongSwan accepting the message ID sync")
    wait_for(lambda: "message IDs synchronized with 10.0.0.20 (RFC 6311)"
             in design.log("ha2"), 5, what="havpn taking the IDs")
    assert ha2.json("show", "crypto", "ikev2", "stats")["mid_syncs"] == 1
    ss = liveness_and_rekey(design, c, ss, log0)

    # the old active returns, becomes STANDBY HOT and preempts with a
    # planned switchover: nothing lost, the same IKE SA
    design.procs = [p for p in design.procs if p[1] is not ha1.proc]
    ha1 = start(design, bindir, "ha1", text=v2conf("ha1"))
    f = Flow(design, 8, lead=0.2)
    wait_rf(ha1, ACTIVE, 20)
    f = f.result()
    assert f["lost"] == 0, f
    wait_rf(ha2, HOT, 15)
    check_peer(c, ss, log0)
    ev = ha1.json("show", "redundancy", "history")["events"][-1]
    assert ev["event"] == "switchover", ev
    wait_for(lambda: c.log().count("responder requested MID sync") == 2, 10,
             what="the second message ID sync accepted")
    liveness_and_rekey(design, c, ss, log0)
    for node in (ha1, ha2):
        drops = crypto_ha(node)["drops"]
        assert not drops.get("malformed") and not drops.get(
            "import_refused"), drops
