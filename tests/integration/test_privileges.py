"""The files havpnd trusts: a configuration file that others may write is
refused (it holds the keys and says where the tunnels go), one that others
may read is started with a warning; the pid file is never written through
a symbolic link, a second name of another file or a FIFO."""

import os
import signal

from conftest import example
from topology import Havpnd, wait_for


def havpnd(bindir):
    return os.path.join(bindir, "havpnd")


def start_and_wait(design, bindir, conf, sock, pid, name):
    """Start havpnd and wait for it to end; its exit status (a havpnd
    that keeps running is stopped by the fixture)."""
    p = design.spawn("ha1", [havpnd(bindir), "-F", "-f", conf, "-s", sock,
                             "-p", pid], name)
    wait_for(lambda: p.poll() is not None, 10, what=f"{name}: havpnd ended")
    return p.returncode


def test_config_writable_by_others_is_refused(design, bindir):
    path = design.write("ha1.conf", example("ha1.conf"))
    sock, pid = design.path("ha1.sock"), design.path("ha1.pid")
    for mode in (0o646, 0o602):
        os.chmod(path, mode)
        want = f"{path}: writable by others (mode {mode:04o}): refused"
        r = design.run("ha1", [havpnd(bindir), "-t", "-f", path],
                       check=False)
        assert r.returncode == 1 and want in r.stderr, r.stderr
        name = f"start{mode:o}"
        assert start_and_wait(design, bindir, path, sock, pid, name) == 1
        assert want in design.log(name)
        assert not os.path.exists(sock) and not os.path.exists(pid)


def test_config_readable_by_others_warns(design, bindir):
    # Havpnd writes its configuration into this file, keeping the mode
    os.chmod(design.write("ha1.conf", ""), 0o644)
    h = Havpnd(design, "ha1", example("ha1.conf"), bindir).wait_ready()
    readable = f"{h.conf} is readable by others (mode 0644) and holds the keys"
    assert readable in design.log("ha1")
    # havpnd -t checks the text (it is also run on drafts): no warning
    r = design.run("ha1", [havpnd(bindir), "-t", "-f", h.conf])
    assert r.stderr == "", r.stderr

    def reload(what):
        n = design.log("ha1").count("SIGHUP: ")
        h.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: design.log("ha1").count("SIGHUP: ") > n, 10,
                 what=f"ha1: the reload with {what} logged")
    os.chmod(h.conf, 0o640)
    reload("mode 0640")
    assert design.log("ha1").count(readable) == 1
    os.chmod(h.conf, 0o660)
    reload("mode 0660")
    assert f"{h.conf} is writable by its group (gid 0, mode 0660)" in \
        design.log("ha1")
    # a reload of a file others may write keeps the running configuration
    os.chmod(h.conf, 0o666)
    reload("mode 0666")
    log = design.log("ha1")
    assert "has errors, the running configuration stays" in log
    assert f"{h.conf}: writable by others (mode 0666): refused" in log
    assert h.json("show", "version")["reload_failures"] == 1
    assert h.proc.poll() is None


def test_pid_file_is_not_followed(design, bindir):
    conf = design.write("ha1.conf", example("ha1.conf"))
    os.chmod(conf, 0o600)
    sock, pid = design.path("ha1.sock"), design.path("ha1.pid")
    target = design.write("precious", "keep me\n")
    plants = [("symlink", lambda: os.symlink(target, pid)),
              ("hard link", lambda: os.link(target, pid)),
              ("fifo", lambda: os.mkfifo(pid))]
    for i, (what, plant) in enumerate(plants):
        plant()
        name = f"pid{i}"
        assert start_and_wait(design, bindir, conf, sock, pid, name) == 1, \
            (what, design.log(name))
        assert f"pid file {pid}" in design.log(name), what
        with open(target) as f:
            assert f.read() == "keep me\n", what
        assert not os.path.exists(sock), what
        os.unlink(pid)
    # and a plain file is written
    h = Havpnd(design, "ha1", example("ha1.conf"), bindir).wait_ready()
    with open(h.pidfile) as f:
        assert int(f.read()) == h.proc.pid


def test_missing_capabilities_are_named(topo, bindir):
    """Without CAP_NET_RAW and CAP_NET_BIND_SERVICE (root, but with them
    out of the bounding set) the warning names the two."""
    topo.host("n")
    conf = topo.write("n.conf", "hostname n\n")
    os.chmod(conf, 0o600)
    p = topo.spawn("n", ["setpriv",
                         "--bounding-set=-net_raw,-net_bind_service",
                         "--inh-caps=-all", "--", havpnd(bindir), "-F",
                         "-f", conf, "-s", topo.path("n.sock"), "-p",
                         topo.path("n.pid")], "n")
    wait_for(lambda: "running without" in topo.log("n"), 10,
             what="n: the warning")
    assert "running without CAP_NET_RAW, CAP_NET_BIND_SERVICE: " in \
        topo.log("n")
    topo.stop(p)
