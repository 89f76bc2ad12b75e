"""Fixtures shared by the integration tests.

Every topology is torn down in a finaliser, also when the test fails, and
the finaliser fails the test if a namespace or a process survived.
"""

import os

import pytest

from topology import Havpnd, Topology, design_topology, sweep_stale

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# make check-integration SAN=1: the sanitizer build, and where its
# reports go (ASAN_OPTIONS / UBSAN_OPTIONS log_path)
BIN = os.environ.get("HAVPN_BIN") or os.path.join(REPO, "bin")
SAN_LOGS = os.environ.get("HAVPN_SAN_LOGS")
EXAMPLES = os.path.join(REPO, "docs", "examples")


def pytest_sessionstart(session):
    if os.geteuid() != 0:
        raise pytest.UsageError("the integration tests need root (network "
                                "namespaces); run them with sudo or as root")
    for prog in ("havpnd", "havpnctl"):
        if not os.access(os.path.join(BIN, prog), os.X_OK):
            raise pytest.UsageError(f"bin/{prog} is missing: run make first")
    sweep_stale()


@pytest.fixture
def bindir():
    return BIN


def under_ptrace():
    """A prefix for a command that runs havpnd under strace: with SAN=1,
    LeakSanitizer cannot work under ptrace (it stops the process's threads
    with ptrace itself, and fails); ASan and UBSan still check."""
    if not SAN_LOGS:
        return []
    return ["env", "ASAN_OPTIONS=" + os.environ.get("ASAN_OPTIONS", "") +
            ":detect_leaks=0"]


@pytest.fixture(autouse=True)
def sanitizer_reports():
    """With SAN=1: a report from ASan, LSan or UBSan written while the
    test ran (by havpnd or havpnctl) fails it; the report is kept, renamed
    *.seen, so that the next test starts clean."""
    yield
    if not SAN_LOGS or not os.path.isdir(SAN_LOGS):
        return
    found = []
    for name in sorted(os.listdir(SAN_LOGS)):
        path = os.path.join(SAN_LOGS, name)
        if name.endswith(".seen") or not os.path.isfile(path):
            continue
        with open(path, errors="replace") as f:
            text = f.read()
        os.rename(path, path + ".seen")
        if text.strip():
            found.append(f"{name}:\n{text[:4000]}")
    if found:
        pytest.fail("sanitizer reports:\n" + "\n".join(found))


def example(name):
    with open(os.path.join(EXAMPLES, name)) as f:
        return f.read()


def _finish(t):
    procs = [p for _, p, _ in t.procs]
    errors = t.cleanup()
    alive = [p.pid for p in procs if p.poll() is None]
    left = t.leftovers()
    if errors or alive or left:
        pytest.fail(f"cleanup left something behind: errors={errors} "
                    f"processes={alive} namespaces={left}")


@pytest.fixture
def design(request):
    """The test topology of docs/design.md, removed afterwards whatever
    happens."""
    letters = "".join(c for c in request.node.name[5:] if c.isalpha())
    t = design_topology(letters[:4].lower() or "t")
    yield t
    _finish(t)


@pytest.fixture
def design_linkem(request):
    """The design topology with the sync link through linkem (delay and
    loss set at run time: topology.set_link)."""
    letters = "".join(c for c in request.node.name[5:] if c.isalpha())
    t = design_topology(letters[:4].lower() or "t", emulated_ipc=True)
    yield t
    _finish(t)


@pytest.fixture
def topo(request):
    """An empty Topology for a test to build, removed afterwards."""
    t = Topology("t")
    yield t
    _finish(t)


@pytest.fixture
def pair(design, bindir):
    """havpnd on ha1 and ha2 with the example configuration."""
    ha1 = Havpnd(design, "ha1", example("ha1.conf"), bindir).wait_ready()
    ha2 = Havpnd(design, "ha2", example("ha2.conf"), bindir).wait_ready()
    return ha1, ha2
