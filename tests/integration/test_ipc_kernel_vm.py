"""The kernel SCTP transport, on a stock Debian kernel in a qemu guest
(this machine's kernel has no SCTP): tests/vm/run-kernel-sctp boots it
and runs tests/vm/guest-kernel-sctp.sh, two ipc_peer ends over kernel
SCTP, multi-homed with sctp_bindx/sctp_connectx, with a link cut."""

import os
import subprocess

import pytest

from conftest import REPO

SCRIPT = os.path.join(REPO, "tests", "vm", "run-kernel-sctp")


def test_ipc_kernel_sctp_in_vm():
    r = subprocess.run([SCRIPT], capture_output=True, text=True, timeout=300)
    if r.returncode == 77:
        pytest.skip(r.stderr.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "IPC-VM-RESULT: PASS" in r.stdout
