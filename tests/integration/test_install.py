"""make install puts the binaries, the systemd unit and the man pages
under PREFIX in DESTDIR, and what it installed runs."""

import os
import subprocess

from conftest import REPO


def test_make_install(tmp_path):
    dest = str(tmp_path)
    r = subprocess.run(["make", "-s", "-C", REPO, "install",
                        f"DESTDIR={dest}", "PREFIX=/usr"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    for f, mode in (("usr/sbin/havpnd", 0o755), ("usr/sbin/havpnctl", 0o755),
                    ("usr/share/man/man8/havpnd.8", 0o644),
                    ("usr/share/man/man8/havpnctl.8", 0o644),
                    ("usr/share/man/man5/havpn.conf.5", 0o644),
                    ("usr/lib/systemd/system/havpnd.service", 0o644)):
        st = os.stat(os.path.join(dest, f))
        assert st.st_mode & 0o777 == mode, (f, oct(st.st_mode))
    with open(os.path.join(dest, "usr/lib/systemd/system/havpnd.service")) as f:
        unit = f.read()
    assert "ExecStart=/usr/sbin/havpnd -F -f /etc/havpn/havpn.conf" in unit
    assert "@SBINDIR@" not in unit
    assert ("CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW "
            "CAP_NET_BIND_SERVICE") in unit
    # the man pages come from tracked files: docs/man/ as it is in git,
    # and havpn.conf(5) made now from docs/configuration.md
    tracked = subprocess.run(["git", "-C", REPO, "ls-files", "docs/man"],
                             capture_output=True, text=True, check=True)
    pages = sorted(os.path.basename(p) for p in tracked.stdout.split())
    assert pages == ["havpnctl.8", "havpnd.8"], pages
    installed = sorted(f for d in ("man5", "man8") for f in os.listdir(
        os.path.join(dest, "usr/share/man", d)))
    assert installed == sorted(pages + ["havpn.conf.5"]), installed
    for p in pages:
        with open(os.path.join(REPO, "docs/man", p), "rb") as a, \
                open(os.path.join(dest, "usr/share/man/man8", p), "rb") as b:
            assert a.read() == b.read(), p
    with open(os.path.join(REPO, "docs/configuration.md")) as f:
        made = subprocess.run([os.path.join(REPO, "scripts/md2man"),
                               "havpn.conf", "5", "havpn configuration file"],
                              stdin=f, capture_output=True, text=True,
                              check=True).stdout
    with open(os.path.join(dest, "usr/share/man/man5/havpn.conf.5")) as f:
        assert f.read() == made
    r = subprocess.run([os.path.join(dest, "usr/sbin/havpnd"), "-t", "-f",
                        os.path.join(REPO, "docs/examples/ha1.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
