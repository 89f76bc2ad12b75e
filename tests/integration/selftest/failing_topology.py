"""Run by test_foundation.py in a child pytest: a test that fails on
purpose while havpnd runs in its topology.  The parent checks that the
fixture removed every namespace and process anyway."""

import os

from conftest import BIN, example, pair, design, bindir  # noqa: F401


def test_fails_on_purpose(pair, design):
    pids = ",".join(str(n.proc.pid) for n in pair)
    print(f"TOPOLOGY-BASE={design.base} PIDS={pids}")
    assert pair[0].json("show", "version")["hostname"] == "ha1"
    assert False, "failing on purpose to exercise cleanup"
