"""The foundation: havpnd starts in namespaces with the example
configuration, havpnctl talks to it, show running-config round-trips, a bad
configuration stops everything at its line, SIGHUP keeps a good config, and
nothing is left behind."""

import json
import os
import re
import signal
import socket
import subprocess
import sys

import pytest

from conftest import BIN, EXAMPLES, example
from topology import Havpnd, netns_list, pid_alive, sh, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


def test_pair_starts_and_answers(pair):
    ha1, ha2 = pair
    v1 = ha1.json("show", "version")
    v2 = ha2.json("show", "version")
    assert v1["hostname"] == "ha1" and v2["hostname"] == "ha2"
    assert v1["pid"] == ha1.proc.pid and v2["pid"] == ha2.proc.pid
    text = ha1.ctl("show", "version").stdout
    assert text.startswith("havpn Software, Version ")
    assert "ha1 uptime is " in text
    # IOS abbreviations work
    assert ha1.ctl("sh", "ver").stdout.startswith("havpn Software")


def test_running_config_round_trips(pair, design, bindir):
    for node in pair:
        shown = node.json("show", "running-config", "secrets")["config"]
        # what the daemon prints is a valid configuration ...
        path = design.write(f"{node.node}-shown.conf", shown)
        r = sh([os.path.join(bindir, "havpnd"), "-t", "-f", path],
               check=False)
        assert r.returncode == 0, r.stderr
        # ... that prints back identically, and says what the file says
        with open(node.conf) as f:
            original = f.read()
        assert "standby 1 ip 10.0.0.10" in shown
        assert "crypto map vpn redundancy VPN-OUT stateful" in shown
        assert "access-list 110 permit ip 192.168.20.0 0.0.0.255 " \
               "172.21.91.0 0.0.0.255" in shown
        assert "hostname " + node.node in original
        text = node.ctl("show", "running-config", "secrets").stdout
        assert text.startswith("Building configuration...")
        assert shown in text
        # without "secrets", no secret: every key and the security key
        # masked, and the masked text is refused, naming the line
        masked = node.json("show", "running-config")["config"]
        keys = re.findall(r"^crypto isakmp key (\S+) address", shown, re.M)
        seckey = re.findall(r"^ security key (\S+)$", shown, re.M)
        assert keys and seckey
        for secret in keys + seckey:
            assert secret not in masked
        assert masked == re.sub(
            r"^crypto isakmp key \S+ ", "crypto isakmp key ***** ",
            re.sub(r"^ security key \S+$", " security key *****", shown,
                   flags=re.M), flags=re.M)
        path = design.write(f"{node.node}-masked.conf", masked)
        r = sh([os.path.join(bindir, "havpnd"), "-t", "-f", path],
               check=False)
        line = masked.splitlines().index(" security key *****") + 1
        assert r.returncode == 1
        assert f"{path}:{line}: security key: the secret is masked" in \
            r.stderr


def test_bad_config_names_the_line(design, bindir):
    bad = example("ha1.conf").replace(" standby 1 priority 110",
                                      " standby 1 priority 300")
    line = bad.splitlines().index(" standby 1 priority 300") + 1
    path = design.write("bad.conf", bad)
    # -t and a real start both refuse, with FILE:LINE
    for extra in (["-t"], ["-F", "-s", design.path("bad.sock"),
                            "-p", design.path("bad.pid")]):
        r = design.run("ha1", [os.path.join(bindir, "havpnd"), *extra,
                               "-f", path], check=False, timeout=10)
        assert r.returncode == 1
        assert f"{path}:{line}: standby 1 priority takes 1 to 254" in r.stderr
    assert not os.path.exists(design.path("bad.sock"))
    assert not os.path.exists(design.path("bad.pid"))


def test_check_refuses_what_cannot_carry_or_sync(design, bindir):
    """havpnd -t is stricter than a start: these parse, but cannot work."""
    good = example("ha1.conf")
    lines = good.splitlines()
    key = " security key example-only-change-me-0123456789"
    cases = [
        (good.replace(key + "\n", ""), lines.index("redundancy inter-device"),
         # the map's line moves up one with the key's line gone
         'redundancy inter-device has no "security key SECRET", so the '
         "stateful crypto map vpn on eth0 (line %d) cannot sync"
         % lines.index(" crypto map vpn redundancy VPN-OUT stateful")),
        (good.replace(" crypto map vpn redundancy VPN-OUT stateful\n", ""),
         lines.index("crypto map vpn 10 ipsec-isakmp"),
         "crypto map vpn is applied to no interface"),
        (good.replace(" authentication pre-share\n", ""),
         lines.index("crypto isakmp policy 10"),
         "no crypto isakmp policy is usable, so no tunnel can come up: "
         "policies 10 (rsa-sig)"),
        (good.replace("remote-ip 192.168.255.2", "remote-ip 192.168.255.1"),
         lines.index(" association 1"),
         "association 1: local-ip and remote-ip are both 192.168.255.1"),
    ]
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM, 132).close()
    except OSError:     # no kernel SCTP here: -t says so too
        cases.append((good.replace("   encapsulation udp 9899\n", ""),
                      lines.index(" association 1"),
                      "this kernel has no SCTP; add '   encapsulation udp "
                      "PORT' to association 1"))
    for i, (text, index, words) in enumerate(cases):
        path = design.write(f"cannot{i}.conf", text)
        r = sh([os.path.join(bindir, "havpnd"), "-t", "-f", path],
               check=False)
        assert r.returncode == 1, (words, r.stderr)
        assert f"{path}:{index + 1}: {words}" in r.stderr, r.stderr
    path = design.write("good.conf", good)
    r = sh([os.path.join(bindir, "havpnd"), "-t", "-f", path], check=False)
    assert r.returncode == 0 and r.stderr == "", r.stderr


def test_address_checked_against_the_system(design, bindir):
    # ha2's configuration on ha1: 10.0.0.12 is not ha1's address
    path = design.write("wrong.conf", example("ha2.conf"))
    r = design.run("ha1", [os.path.join(bindir, "havpnd"), "-F", "-f", path,
                           "-s", design.path("w.sock"),
                           "-p", design.path("w.pid")], check=False,
                   timeout=10)
    assert r.returncode == 1
    assert "interface eth0 does not carry 10.0.0.12/24" in r.stderr


def test_sighup_keeps_old_config_on_error(design, bindir):
    ha1 = Havpnd(design, "ha1", example("ha1.conf"), bindir).wait_ready()
    before = ha1.json("show", "running-config")["config"]
    with open(ha1.conf, "w") as f:
        f.write(example("ha1.conf") + "frobnicate\n")
    ha1.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ha1.json("show", "version")["reload_failures"] == 1,
             what="reload refused")
    assert ha1.json("show", "running-config")["config"] == before
    assert "frobnicate" in design.log("ha1")
    # a good change is taken
    with open(ha1.conf, "w") as f:
        f.write(example("ha1.conf").replace("keepalive 10",
                                            "keepalive 20"))
    ha1.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: ha1.json("show", "version")["reloads"] == 1,
             what="reload taken")
    assert "crypto isakmp keepalive 20" in \
        ha1.json("show", "running-config")["config"]


def test_sigterm_stops_in_order(design, bindir):
    ha1 = Havpnd(design, "ha1", example("ha1.conf"), bindir).wait_ready()
    assert os.path.exists(ha1.sock) and os.path.exists(ha1.pidfile)
    with open(ha1.pidfile) as f:
        assert int(f.read()) == ha1.proc.pid
    ha1.proc.send_signal(signal.SIGTERM)
    assert ha1.proc.wait(5) == 0
    assert not os.path.exists(ha1.sock)
    assert not os.path.exists(ha1.pidfile)


def test_havpnctl_without_daemon(design, bindir):
    r = design.run("ha1", [os.path.join(bindir, "havpnctl"), "-s",
                           design.path("none.sock"), "show", "version"],
                   check=False)
    assert r.returncode == 3
    assert "cannot reach havpnd" in r.stderr and "is havpnd running?" in \
        r.stderr
    r = sh([os.path.join(bindir, "havpnctl"), "help"])
    assert "show running-config" in r.stdout
    r = sh([os.path.join(bindir, "havpnctl"), "show", "frobs"], check=False)
    assert r.returncode == 2 and "show frobs\n     ^\n% Invalid input " \
        "detected at '^' marker: \"frobs\"" in r.stderr


def test_control_socket_rejects_garbage(pair):
    import socket
    ha1, _ = pair
    for junk in (b"not json\n", b"[1,2]\n", b'{"command": 5}\n',
                 b'{"command": "show version", "args": "x"}\n',
                 b'{"command": "show nonsense"}\n', b"\x00\x01\n"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(ha1.sock)
        s.sendall(junk)
        reply = json.loads(s.makefile().readline())
        s.close()
        assert reply["ok"] is False and reply["error"]
    assert os.stat(ha1.sock).st_mode & 0o777 == 0o600
    assert ha1.json("show", "version")["hostname"] == "ha1"


def test_control_socket_slow_and_many_clients(design, bindir):
    """The attack: clients that ask for a reply larger than the socket
    buffer and never read it, then more connections than the cap.  Replies
    used to be written blocking (2 s each, the whole daemon stalled);
    now havpnd answers others while they hang, and refuses the excess."""
    acl = "".join(f"access-list 150 permit ip host 10.{1 + i // 250}."
                  f"{i % 250}.1 any\n" for i in range(6000))
    ha1 = Havpnd(design, "ha1", example("ha1.conf") + acl,
                 bindir).wait_ready()
    req = json.dumps({"command": "show running-config",
                      "args": ["secrets"]}).encode() + b"\n"
    slow = []
    for _ in range(3):
        s = socket.socket(socket.AF_UNIX)
        s.connect(ha1.sock)
        s.sendall(req)
        slow.append(s)
    # while the three replies wait for readers, the daemon answers
    v = wait_for(lambda: (lambda x: x if x["control_clients"] == 4 else
                          None)(ha1.json("show", "version")), 4,
                 what="show version answered beside the 3 slow clients")
    assert v["control_refused"] == 0
    # and nothing of their replies is lost once they read
    for s in slow:
        f = s.makefile("rb")
        reply = json.loads(f.readline())
        f.close()
        s.close()
        assert reply["ok"] and reply["data"]["config"].count(
            "access-list 150 permit") == 6000
    # beyond 32 connections at once, a new one is refused with an error
    idle = []
    for _ in range(32):
        s = socket.socket(socket.AF_UNIX)
        s.connect(ha1.sock)
        idle.append(s)
    extra = socket.socket(socket.AF_UNIX)
    extra.connect(ha1.sock)
    reply = json.loads(extra.makefile().readline())
    extra.close()
    assert reply["ok"] is False and "too many control clients" in \
        reply["error"]
    # the idle ones are dropped after the 5 s timeout; havpnctl works again
    v = wait_for(lambda: (lambda x: x if x is not None and
                          x["control_timeouts"] >= 32 else None)(
                              version_or_none(ha1)), 15,
                 what="the 32 idle clients timed out")
    for s in idle:
        s.close()
    assert v["control_clients"] == 1 and v["control_refused"] >= 1
    assert "Control clients: 1 connected" in ha1.ctl("show",
                                                     "version").stdout


def version_or_none(node):
    """show version as JSON, or None while the daemon refuses (full)."""
    r = node.ctl("show", "version", "--json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def test_cleanup_after_a_failing_test(tmp_path):
    """A test that fails inside a topology leaves nothing behind."""
    r = subprocess.run([sys.executable, "-m", "pytest", "-q",
                        "-p", "no:cacheprovider",
                        os.path.join(HERE, "selftest", "failing_topology.py"),
                        "--rootdir", HERE, "-c", "/dev/null"],
                       cwd=HERE, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": HERE},
                       timeout=120)
    assert "1 failed" in r.stdout, r.stdout + r.stderr
    marker = [l for l in r.stdout.splitlines()
              if l.startswith("TOPOLOGY-BASE=")]
    assert marker, r.stdout
    base = marker[0].split("TOPOLOGY-BASE=")[1].split()[0]
    pids = [int(p) for p in marker[0].split("PIDS=")[1].split(",")]
    assert len(pids) == 2
    assert not [n for n in netns_list() if n.startswith(base)]
    assert not [p for p in pids if pid_alive(p)]
