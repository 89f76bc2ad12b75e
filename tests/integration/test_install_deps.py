"""scripts/install-deps on the paths CI never takes: its machine already has
every package, so a fresh machine's first run is only seen here.

The script runs for real, with stand-in dpkg-query, apt-get and
debconf-set-selections first on PATH, in a mount namespace whose /usr/sbin
is an empty tmpfs: the policy-rc.d it creates, keeps or removes is a real
file at the real path, and the host's is never touched.
"""

import os
import pathlib
import shutil
import subprocess
import tempfile
import textwrap

import pytest

from conftest import REPO

SCRIPT = os.path.join(REPO, "scripts", "install-deps")

# dpkg-query: a package is installed when its name is a line of $STATE.
# apt-get: every call is a line of $LOG; an install (not a dry run) also
# writes what /usr/sbin/policy-rc.d says at that moment, then marks the
# packages installed unless $APT_FAIL names that kind of call.
STANDINS = {
    "dpkg-query": r"""
        #!/bin/sh
        p=$(eval echo \${$#})
        if grep -qx "$p" "$STATE"; then
            printf 'install ok installed'
        else
            echo "dpkg-query: no packages found matching $p" >&2
            exit 1
        fi
    """,
    "apt-get": r"""
        #!/bin/sh
        echo "apt-get $*" >> "$LOG"
        case " $* " in
        *" update "*)
            case "$APT_FAIL" in *update*) exit 100 ;; esac
            touch "$LISTS"; exit 0 ;;
        *" --dry-run "*)
            [ -e "$LISTS" ] || exit 100; exit 0 ;;
        esac
        if [ -x /usr/sbin/policy-rc.d ]; then
            /usr/sbin/policy-rc.d; echo "policy-rc.d exit $?" >> "$LOG"
        else
            echo "policy-rc.d absent" >> "$LOG"
        fi
        case "$APT_FAIL" in *install*) exit 100 ;; esac
        for a in "$@"; do
            case "$a" in -*|install) ;; *)
                case "$APT_FAIL" in *"lie:$a"*) ;; *) echo "$a" >> "$STATE" ;;
                esac ;;
            esac
        done
    """,
    "debconf-set-selections": r"""
        #!/bin/sh
        echo "debconf $(cat)" >> "$LOG"
    """,
}


def packages():
    """The package names install-deps asks dpkg about, in its order."""
    names, inside = [], False
    with open(SCRIPT) as f:
        for line in f:
            if line.startswith('PACKAGES="'):
                inside = True
            elif inside and line.startswith('"'):
                break
            elif inside:
                names += line.split()
    assert "make" in names and "strongswan-charon" in names, names
    return names


class Machine:
    """A fresh machine as far as install-deps can tell."""

    def __init__(self, tmp_path, missing, policy_rc=None, lists=True,
                 fail=""):
        self.dir = tmp_path
        bindir = tmp_path / "bin"
        bindir.mkdir()
        for name, body in STANDINS.items():
            path = bindir / name
            path.write_text(textwrap.dedent(body).lstrip())
            path.chmod(0o755)
        self.state = tmp_path / "installed"
        self.state.write_text("".join(p + "\n" for p in packages()
                                      if p not in missing))
        self.log = tmp_path / "log"
        self.log.write_text("")
        self.lists = tmp_path / "lists"
        if lists:
            self.lists.write_text("")
        self.policy_rc = policy_rc
        self.env = dict(os.environ, PATH=f"{bindir}:/usr/bin:/bin",
                        STATE=str(self.state), LOG=str(self.log),
                        LISTS=str(self.lists), APT_FAIL=fail)
        self.after = tmp_path / "policy-rc.d.after"

    def run(self, user=None):
        """install-deps in a namespace whose /usr/sbin starts as given;
        what /usr/sbin/policy-rc.d holds afterwards lands in self.after."""
        setup = "mount -t tmpfs tmpfs /usr/sbin\n"
        if self.policy_rc is not None:
            theirs = self.dir / "policy-rc.d.before"
            theirs.write_text(self.policy_rc)
            setup += (f"cp {theirs} /usr/sbin/policy-rc.d\n"
                      "chmod 755 /usr/sbin/policy-rc.d\n")
        run = f"sh {SCRIPT}"
        if user:
            run = f"setpriv --reuid={user} --regid={user} --clear-groups {run}"
        body = (setup + f"{run}\nrc=$?\n"
                f"if [ -e /usr/sbin/policy-rc.d ]; then "
                f"cat /usr/sbin/policy-rc.d > {self.after}; fi\n"
                "exit $rc\n")
        r = subprocess.run(["unshare", "-m", "--propagation", "private",
                            "sh", "-c", body], env=self.env,
                           capture_output=True, text=True, timeout=60)
        return r

    def calls(self):
        return self.log.read_text().splitlines()

    def left_policy_rc(self):
        return self.after.read_text() if self.after.exists() else None


@pytest.fixture
def machine(tmp_path):
    return lambda *a, **kw: Machine(tmp_path, *a, **kw)


def test_everything_installed_is_silent(machine):
    m = machine(missing=[])
    r = m.run()
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and r.stderr == ""
    assert m.calls() == []
    assert m.left_policy_rc() is None


def test_one_missing_package_is_installed_with_services_held(machine):
    m = machine(missing=["keepalived"])
    r = m.run()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "install-deps: installing keepalived" in r.stdout
    calls = m.calls()
    installs = [c for c in calls if " install " in c and "--dry-run" not in c]
    assert installs == ["apt-get install -y -q --no-install-recommends "
                        "keepalived"], calls
    # keepalived's postinst must not start a system daemon: policy-rc.d
    # says 101 while apt runs, and is gone afterwards (it was not there).
    assert "policy-rc.d exit 101" in calls
    assert m.left_policy_rc() is None
    assert "apt-get update -q" not in calls
    assert any(c.startswith("debconf wireshark-common") for c in calls)


def test_existing_policy_rc_is_kept_and_the_exit_status_is_zero(machine):
    # The container image ships its own policy-rc.d: install-deps must
    # leave it as it was and still exit 0 (it once exited with its trap's
    # false test, so the first make demo stopped at deps).
    theirs = "#!/bin/sh\nexit 101\n# the image's own\n"
    m = machine(missing=["keepalived"], policy_rc=theirs)
    r = m.run()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "policy-rc.d exit 101" in m.calls()
    assert m.left_policy_rc() == theirs


def test_fresh_machine_without_package_lists_updates_first(machine):
    m = machine(missing=["make", "gcc"], lists=False)
    r = m.run()
    assert r.returncode == 0, r.stdout + r.stderr
    calls = m.calls()
    update = calls.index("apt-get update -q")
    install = calls.index("apt-get install -y -q --no-install-recommends "
                          "make gcc")
    assert update < install, calls


@pytest.mark.parametrize("fail", ["install", "install,update"])
def test_apt_failing_is_an_error(machine, fail):
    m = machine(missing=["keepalived"], fail=fail)
    r = m.run()
    assert r.returncode != 0
    # One retry after fetching the lists; then the failure stands.
    installs = [c for c in m.calls() if c.startswith("apt-get install")
                and "--dry-run" not in c]
    assert len(installs) == (2 if fail == "install" else 1), m.calls()
    assert m.left_policy_rc() is None


def test_apt_failing_keeps_an_existing_policy_rc(machine):
    theirs = "#!/bin/sh\nexit 0\n"
    m = machine(missing=["keepalived"], policy_rc=theirs, fail="install")
    r = m.run()
    assert r.returncode != 0
    assert m.left_policy_rc() == theirs


def test_apt_success_that_installs_nothing_is_an_error(machine):
    m = machine(missing=["keepalived", "tshark"], fail="lie:tshark")
    r = m.run()
    assert r.returncode == 1
    assert "install-deps: still missing after apt-get: tshark" in r.stderr


def test_not_root_names_the_packages_and_installs_nothing():
    # pytest's tmp_path is private to root: the stand-ins must be where
    # the unprivileged user can run them, or the real dpkg-query answers.
    d = tempfile.mkdtemp(prefix="havpn-deps-")
    try:
        os.chmod(d, 0o755)
        m = Machine(pathlib.Path(d), missing=["keepalived"])
        for f in (m.state, m.log):
            f.chmod(0o666)
        r = m.run(user=65534)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "install-deps: missing packages: keepalived" in r.stderr
        assert "run as root" in r.stderr
        assert m.calls() == []
    finally:
        shutil.rmtree(d)


def test_make_installs_before_it_reads_pkg_config(tmp_path):
    # On a fresh machine pkg-config and the libraries are missing when make
    # starts: check and demo must still run install-deps, and then build in
    # a second make that reads pkg-config again; a plain build says what to
    # run instead of failing on a missing header.
    # The stand-in fails in the first make and answers in the second, as
    # if install-deps had run in between (make -n only prints it).
    fake = tmp_path / "pkg-config"
    fake.write_text("#!/bin/sh\n[ \"${MAKELEVEL:-0}\" -gt 0 ] || exit 1\n"
                    "exec /usr/bin/pkg-config \"$@\"\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    env.pop("MAKELEVEL", None)
    env.pop("MAKEFLAGS", None)
    for goal in ("check", "demo"):
        r = subprocess.run(["make", "-n", "-C", REPO, goal], env=env,
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        deps = lines.index("scripts/install-deps")
        sub = next(i for i, line in enumerate(lines)
                   if line.startswith("make --no-print-directory all"))
        assert deps < sub, lines
    r = subprocess.run(["make", "-C", REPO, "all"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert 'run "make deps" first' in r.stderr


def test_make_names_the_missing_package(tmp_path):
    # A build asked for directly, with one library's pkg-config file
    # missing (the stand-in knows every package but json-c), stops at once
    # and names that package; without pkg-config at all it says so.
    fake = tmp_path / "pkg-config"
    fake.write_text("#!/bin/sh\nfor a; do [ \"$a\" = json-c ] && exit 1; "
                    "done\nexec /usr/bin/pkg-config \"$@\"\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    env.pop("MAKELEVEL", None)
    env.pop("MAKEFLAGS", None)
    r = subprocess.run(["make", "-C", REPO, "all"], env=env,
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "pkg-config finds no json-c)" in r.stderr
    assert 'run "make deps" first' in r.stderr
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "make").symlink_to(shutil.which("make"))
    r = subprocess.run(["make", "-C", REPO, "all"],
                       env=dict(env, PATH=str(bare)),
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "(no pkg-config)" in r.stderr
