"""havpnd runs under the systemd unit's settings (scripts/havpnd.service.in,
read here, so the two cannot drift) and the pair still elects, brings a
tunnel up with strongSwan and carries traffic.

PID 1 is not systemd on the test machines, so the settings are honoured
in one of three ways, and a setting of [Service] in none of the tables
fails the test:

- EMULATED: applied to both nodes as systemd would (setpriv: the user and
  group, no supplementary groups, the bounding, inheritable and ambient
  capabilities, no_new_privs; the umask; the run directory, the user's,
  mode 0700, holding socket and pid file; the configuration root:havpn,
  mode 0640);
- TRACED: systemd's seccomp filters and ProtectSystem cannot be applied
  without it; ha1's havpnd (the active: IKE, ESP, VRRP, the sync channel)
  runs under strace until it is killed (-9), and so do havpnd -C, which
  removes the VIPs it left (ExecStopPost), and havpnd -t (ExecStartPre);
  every system call they made is checked against the settings (the call
  sets expanded by systemd-analyze);
- NOT_EXERCISED: namespaces and cgroup settings only systemd applies.
"""

import json
import os
import pwd
import re
import signal
import subprocess

import pytest

from conftest import REPO, example, under_ptrace
from strongswan import Charon, swanctl_conf
from topology import Havpnd, sh, wait_for

UNIT = os.path.join(REPO, "scripts", "havpnd.service.in")
SYSUSERS = os.path.join(REPO, "scripts", "havpn.sysusers")
SEQFLOW = os.path.join(REPO, "build", "tools", "seqflow")

EMULATED = {"User", "Group", "CapabilityBoundingSet", "AmbientCapabilities",
            "NoNewPrivileges", "UMask", "RuntimeDirectory",
            "RuntimeDirectoryMode"}
TRACED = {"SystemCallFilter", "SystemCallErrorNumber",
          "SystemCallArchitectures", "RestrictAddressFamilies",
          "MemoryDenyWriteExecute", "LockPersonality", "ProtectSystem"}
NOT_EXERCISED = {"ProtectHome", "PrivateTmp", "ProtectKernelModules",
                 "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
                 "ProtectHostname", "RestrictNamespaces", "RestrictRealtime",
                 "RestrictSUIDSGID", "DevicePolicy", "DeviceAllow"}
NOT_SETTINGS = {"Type", "ExecStartPre", "ExecStart", "ExecReload",
                "ExecStopPost", "Restart"}
CAP_BITS = {"cap_net_bind_service": 10, "cap_net_admin": 12,
            "cap_net_raw": 13}


def unit_service():
    """The unit's [Service] settings: name -> list of values."""
    svc, section = {}, None
    with open(UNIT) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line
            elif section == "[Service]":
                k, v = line.split("=", 1)
                svc.setdefault(k, []).append(v)
    return svc


def one(svc, key):
    assert len(svc[key]) == 1, (key, svc[key])
    return svc[key][0]


def caps(svc, key):
    return [c.lower() for c in " ".join(svc[key]).split()]


@pytest.fixture
def unit_user():
    """The unit's user: made from scripts/havpn.sysusers as make install
    makes it, if it does not exist, and removed again afterwards."""
    name = one(unit_service(), "User")
    made = False
    try:
        pwd.getpwnam(name)
    except KeyError:
        sh(["systemd-sysusers", SYSUSERS])
        made = True
    pw = pwd.getpwnam(name)
    yield pw
    if made:
        sh(["userdel", name], check=False)
        sh(["groupdel", name], check=False)


def unit_wrap(svc, pw):
    """A command that execs its arguments as the unit runs ExecStart."""
    assert one(svc, "Group") == one(svc, "User") == pw.pw_name
    bnd = caps(svc, "CapabilityBoundingSet")
    amb = caps(svc, "AmbientCapabilities")
    assert one(svc, "NoNewPrivileges") == "yes"
    assert one(svc, "RuntimeDirectoryMode") == "0700"
    return ["sh", "-c", f'umask {one(svc, "UMask")} && exec "$@"', "sh",
            "setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
            "--clear-groups",
            "--bounding-set=-all," + ",".join("+" + c[4:] for c in bnd),
            "--inh-caps=-all," + ",".join("+" + c[4:] for c in amb),
            "--ambient-caps=-all," + ",".join("+" + c[4:] for c in amb),
            "--no-new-privs", "--"]


def syscall_sets():
    """systemd-analyze's call sets: name -> calls, groups expanded."""
    out = sh(["systemd-analyze", "syscall-filter"]).stdout
    sets, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = sets.setdefault(line.strip(), [])
        elif cur is not None and line.strip() and \
                not line.strip().startswith("#"):
            cur.append(line.strip())

    def expand(name, seen=()):
        calls = set()
        for c in sets[name]:
            calls |= expand(c, seen + (name,)) if c.startswith("@") else {c}
        return calls
    return {n: expand(n) for n in sets}


def allowed_calls(svc):
    """The calls an allow list lets through; a later assignment starting
    with ~ takes its calls away again, as systemd does."""
    sets, calls = syscall_sets(), set()
    values = svc["SystemCallFilter"]
    assert not values[0].startswith("~"), "a deny list: not checked here"
    for v in values:
        names = set()
        for item in v.lstrip("~").split():
            names |= sets[item] if item.startswith("@") else {item}
        calls = calls - names if v.startswith("~") else calls | names
    return calls


def havpnd_trace(path):
    """The lines of the strace -f output from havpnd's execve on."""
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    start = [i for i, l in enumerate(lines)
             if re.search(r'execve\("[^"]*/havpnd", .*= 0$', l)]
    assert start, "no execve of havpnd in the trace"
    return lines[start[0]:]


CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?(\w+)[( ]")


def check_trace(lines, svc, rundir):
    """What systemd's filters and ProtectSystem=strict would have refused:
    a list of (setting, line)."""
    bad = []
    allowed = allowed_calls(svc)
    families = set(" ".join(svc["RestrictAddressFamilies"]).split())
    assert one(svc, "SystemCallArchitectures") == "native"
    assert one(svc, "MemoryDenyWriteExecute") == "yes"
    assert one(svc, "LockPersonality") == "yes"
    assert one(svc, "ProtectSystem") == "strict"
    writable = (rundir + "/", "/dev/", "/proc/", "/sys/")
    for l in lines:
        if "runs in" in l and "bit mode" in l:
            bad.append(("SystemCallArchitectures", l))
        m = CALL.match(l)
        if m is None:
            continue
        call = m.group(1)
        if call not in allowed:
            bad.append(("SystemCallFilter", l))
        m = re.search(r"\bsocket(?:pair)?\((AF_\w+)", l)
        if m and m.group(1) not in families:
            bad.append(("RestrictAddressFamilies", l))
        if call == "mmap" and "PROT_WRITE" in l and "PROT_EXEC" in l:
            bad.append(("MemoryDenyWriteExecute", l))
        if call in ("mprotect", "pkey_mprotect") and "PROT_EXEC" in l:
            bad.append(("MemoryDenyWriteExecute", l))
        if call == "personality" and not re.search(
                r"personality\((PER_LINUX|0xffffffff)\)", l):
            bad.append(("LockPersonality", l))
        m = re.search(r'(?:open|openat)\((?:AT_FDCWD, )?"([^"]*)", ([\w|]+)',
                      l)
        if m and re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", m.group(2)) \
                and not m.group(1).startswith(writable):
            bad.append(("ProtectSystem", l))
        m = re.search(r'(?:mkdir|unlink|rename|mknod)(?:at)?\('
                      r'(?:AT_FDCWD, )?"([^"]*)"', l)
        if m and not m.group(1).startswith(writable) and "= 0" in l:
            bad.append(("ProtectSystem", l))
        m = re.search(r'bind\(\d+, \{sa_family=AF_UNIX, sun_path="([^"]*)"',
                      l)
        if m and not m.group(1).startswith(writable):
            bad.append(("ProtectSystem", l))
    return bad


def group_pids(pgid):
    pids = []
    for d in os.listdir("/proc"):
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(d))
    return pids


def stop_group(proc):
    """Stop strace and the havpnd it traces, and wait until both are gone
    (a SIGTERM to strace alone would detach and leave havpnd running):
    SIGTERM to the process group, SIGKILL after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=10)
            wait_for(lambda: not group_pids(proc.pid), 10,
                     what="strace and havpnd gone")
            break
        except (subprocess.TimeoutExpired, AssertionError):
            continue
    proc.wait(timeout=5)


def test_unit_settings_are_enough(unit_user, design, bindir):
    svc = unit_service()
    unknown = set(svc) - EMULATED - TRACED - NOT_EXERCISED - NOT_SETTINGS
    assert not unknown, f"settings this test does not honour: {unknown}"
    wrap = unit_wrap(svc, unit_user)
    user = (unit_user.pw_uid, unit_user.pw_gid)
    trace = design.path("ha1.strace")
    strace = under_ptrace() + ["strace", "-f", "-qq", "-s", "256", "-o",
                               trace, "--"]
    ha1 = Havpnd(design, "ha1", example("ha1.conf"), bindir,
                 wrap=strace + wrap, user=user)
    try:
        ha1.wait_ready(30)
        ha2 = Havpnd(design, "ha2", example("ha2.conf"), bindir, wrap=wrap,
                     user=user).wait_ready()
        with open(ha1.pidfile) as f:
            pids = [int(f.read()), ha2.proc.pid]
        want_bnd = sum(1 << CAP_BITS[c]
                       for c in caps(svc, "CapabilityBoundingSet"))
        want_amb = sum(1 << CAP_BITS[c]
                       for c in caps(svc, "AmbientCapabilities"))
        for pid in pids:
            with open(f"/proc/{pid}/status") as f:
                st = dict(l.split(":", 1) for l in f.read().splitlines())
            assert st["Uid"].split() == [str(unit_user.pw_uid)] * 4, st
            assert st["Gid"].split() == [str(unit_user.pw_gid)] * 4, st
            assert st["Groups"].strip() == "", st
            assert int(st["CapBnd"], 16) == want_bnd, st["CapBnd"]
            assert int(st["CapAmb"], 16) == want_amb, st["CapAmb"]
            assert int(st["CapEff"], 16) == want_amb, st["CapEff"]
            assert st["NoNewPrivs"].strip() == "1", st
        # IKE's port 500 sockets queue a burst of first messages beyond
        # net.core.rmem_max (SO_RCVBUFFORCE, the unit's CAP_NET_ADMIN):
        # 4 MiB asked, twice that in the kernel's accounting
        for node in ("ha1", "ha2"):
            ss = design.run(node, ["ss", "-Hulmn", "sport = :500"]).stdout
            rb = [int(x) for x in re.findall(r"\brb(\d+)", ss)]
            assert rb and min(rb) >= 4 << 20, ss
        for n in (ha1, ha2):
            assert os.stat(n.sock).st_uid == unit_user.pw_uid
            assert os.stat(n.sock).st_mode & 0o777 == 0o600
            assert os.stat(n.pidfile).st_mode & 0o777 == 0o600
        wait_for(lambda: ha1.json("show", "standby")["role"] == "active",
                 20, what="ha1 active")
        charon = Charon(design, "peer", install_routes=True)
        charon.load(swanctl_conf("10.0.0.20", "10.0.0.10", "172.21.91.0/24",
                                 "192.168.20.0/24", "aes256-sha256-modp2048",
                                 "aes256gcm16-modp2048", secret="cisco123"))
        design.spawn("remote", [SEQFLOW, "echo", "7000"], "echo")
        r = design.run("inside", [SEQFLOW, "run", "172.21.91.37", "7000",
                                  "200", "2", "500"], timeout=60)
        res = json.loads(r.stdout)
        # the first packets go while IKE brings the tunnel up
        assert res["replies"] >= res["sent"] - 20, res
        sa = ha1.json("show", "crypto", "isakmp", "sa")
        assert "QM_IDLE" in json.dumps(sa)
        for n in (ha1, ha2):
            assert n.proc.poll() is None
        # the reload path too (the file read again, as the user)
        os.kill(pids[0], signal.SIGHUP)
        wait_for(lambda: "SIGHUP: " in design.log("ha1"), 10,
                 what="ha1: the reload logged")
        # a crash: the VIPs stay behind for the unit's ExecStopPost
        os.kill(pids[0], signal.SIGKILL)
    finally:
        stop_group(ha1.proc)
    assert "running without" not in design.log("ha1")
    assert "running without" not in design.log("ha2")
    lines = havpnd_trace(trace)
    # the unit's ExecStopPost and ExecStartPre, as the same user; -C
    # removes what is left of the VIPs (their 2 s lifetime may have
    # removed some) with the user's capabilities
    outputs = []
    for argv in (["-C", "-f", ha1.conf, "-s", ha1.sock, "-p", ha1.pidfile],
                 ["-t", "-f", ha1.conf]):
        t = design.path(f"ha1{argv[0]}.strace")
        r = design.run("ha1", [*under_ptrace(), "strace", "-f", "-qq", "-s",
                               "256", "-o", t, "--", *wrap,
                               os.path.join(bindir, "havpnd"), *argv])
        outputs.append(r.stderr)
        lines += havpnd_trace(t)
    assert "virtual IP(s) removed" in outputs[0], outputs[0]
    assert not os.path.exists(ha1.sock) and not os.path.exists(ha1.pidfile)
    addrs = design.run("ha1", ["ip", "-o", "addr"]).stdout
    assert "10.0.0.10/" not in addrs and "192.168.20.1/" not in addrs, addrs
    bad = check_trace(lines, svc, os.path.dirname(ha1.sock))
    assert not bad, "\n".join(f"{k}: {l}" for k, l in bad[:40])
