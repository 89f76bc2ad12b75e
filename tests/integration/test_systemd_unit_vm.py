"""The unit under systemd: tests/vm/run-systemd-unit boots the stock
kernel in a qemu guest with systemd as PID 1 (this machine runs none)
and runs tests/vm/guest-systemd-unit.sh there: the unit `make install`
writes, every setting applied, is node ha1 of a pair over kernel SCTP;
its confinement is checked from /proc, then a bulk sync, a reload, a
kill -9 with ExecStopPost and the restart, and a clean stop, with
nothing the daemon did refused."""

import os
import subprocess

import pytest

from conftest import REPO

SCRIPT = os.path.join(REPO, "tests", "vm", "run-systemd-unit")


def test_unit_under_systemd_in_vm():
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    r = subprocess.run([SCRIPT], capture_output=True, text=True,
                       timeout=480, env=env)
    if r.returncode == 77:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "UNIT-VM-RESULT: PASS" in r.stdout
