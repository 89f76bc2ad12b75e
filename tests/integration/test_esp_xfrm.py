"""havpn's ESP engine against a truly independent ESP implementation: the
Linux kernel's XFRM with static SAs, in a qemu guest running the stock
Debian kernel (the development kernel has no esp4; notes/kernel-vm.md).
tests/vm/run-esp-xfrm boots it and runs tests/vm/guest-esp-xfrm.sh:

    [ns a: esp_static, raw ESP] --veth-- [ns b: ip xfrm state/policy]

For AES-GCM-256, AES-CBC-256/HMAC-SHA-256 and 3DES/HMAC-SHA1: pings and a
checksum-verified TCP transfer both ways, and havpn's packet and byte
counters equal the kernel's (ip -s xfrm state), SA by SA.
"""

import json
import os
import re
import subprocess

import pytest

from conftest import REPO

RUN = os.path.join(REPO, "tests", "vm", "run-esp-xfrm")
SUITES = ["gcm256", "aes256-sha256", "3des-sha1"]


@pytest.fixture(scope="module")
def console():
    r = subprocess.run([RUN], capture_output=True, text=True,
                       errors="replace", timeout=300)
    if r.returncode == 77:
        pytest.skip("needs qemu-system-x86, linux-image-amd64 and "
                    "busybox-static (scripts/install-deps)")
    assert r.returncode == 0, f"the guest did not finish:\n{r.stdout[-3000:]}"
    return r.stdout


def section(text, suite, what):
    m = re.search(rf"ESP-XFRM-{re.escape(suite)}: {what}-begin\n(.*?)"
                  rf"ESP-XFRM-{re.escape(suite)}: {what}-end", text, re.S)
    assert m, f"no {what} for {suite}"
    return m.group(1)


def xfrm_counters(text):
    """spi -> (bytes, packets) from ip -s xfrm state."""
    out = {}
    for block in re.split(r"\n(?=src )", text.strip()):
        spi = re.search(r"spi 0x([0-9a-f]+)", block)
        cur = re.search(r"lifetime current:\s*\n\s*(\d+)\(bytes\), "
                        r"(\d+)\(packets\)", block)
        if spi and cur:
            out[int(spi.group(1), 16)] = (int(cur.group(1)),
                                          int(cur.group(2)))
    return out


def raw_drops(text):
    """Packets the kernel dropped at havpn's raw ESP socket (protocol 50,
    the local address's port field in /proc/net/raw), the last column."""
    n = 0
    for line in text.strip().splitlines()[1:]:
        f = line.split()
        if len(f) > 2 and f[1].endswith(":0032"):
            n += int(f[-1])
    return n


@pytest.mark.parametrize("suite", SUITES)
def test_esp_against_kernel_xfrm(console, suite):
    assert f"ESP-XFRM-{suite}: ping ok" in console, console[-3000:]
    assert f"ESP-XFRM-{suite}: tcp up ok down ok bytes 200000" in console
    facts = json.loads(section(console, suite, "facts"))
    f = facts["interfaces"][0]["flows"][0]
    k = xfrm_counters(section(console, suite, "xfrm"))
    # 0x1001: havpn -> kernel; 0x2001: kernel -> havpn
    assert (f["bytes_encaps"], f["pkts_encaps"]) == k[0x1001]
    # every packet the kernel sent was decapsulated, or dropped by the
    # kernel at the socket before havpn could read it (a starved guest:
    # 4 of 277 once, beside other heavy tests); those are counted
    drops = raw_drops(section(console, suite, "drops"))
    assert f["pkts_decaps"] + drops == k[0x2001][1], (f, k[0x2001], drops)
    if drops == 0:
        assert (f["bytes_decaps"], f["pkts_decaps"]) == k[0x2001]
    assert f["pkts_encaps"] > 100 and f["pkts_decaps"] > 100
    assert f["recv_errors"] == 0 and f["send_errors"] == 0
    assert facts["engine"]["bad_spi"] == 0
