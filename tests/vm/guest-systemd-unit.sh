#!/bin/sh
# Runs inside the qemu guest booted by tests/vm/run-systemd-unit, as a
# oneshot service of systemd (PID 1): the installed havpnd.service is
# node ha1 of a pair (docs/examples, the sync channel over kernel SCTP),
# node ha2 a plain havpnd in the namespace "b".  Checks, with every
# setting of the unit applied by systemd:
#  - the unit starts (ExecStartPre's -t, then the daemon as user havpn)
#    and elects itself; the kernel loads SCTP on the daemon's demand
#    (ProtectKernelModules forbids loading it explicitly);
#  - the confinement is in force: user, capabilities, no new privileges,
#    a seccomp filter, a read-only root, /home and /root hidden, a
#    private /tmp, the modules and the kernel log hidden, the control
#    groups read-only, a host name of its own, no /dev but the TUN
#    device;
#  - the pair syncs (ha2 STANDBY HOT) and replicates tunnels;
#  - a reload with a changed configuration takes effect;
#  - kill -9: ExecStopPost (havpnd -C) runs, ha2 takes over with the
#    tunnels, systemd restarts ha1, which resyncs and takes the role back;
#  - a clean stop hands over to ha2;
#  - nothing the daemon did was refused (no EPERM, no SIGSYS).
# Prints UNIT-VM-RESULT: PASS|FAIL and powers the guest off.
REPO=$1
T=/tmp/unitvm
# straight to the console: through the journal the last lines would be
# lost at the power-off
exec > /dev/console 2>&1
ACTIVE=13
HOT=8
TUNNELS=20
say() { echo "UNIT-VM: $*"; }
finish() {
	echo "UNIT-VM-RESULT: $*"
	sleep 1
	echo o > /proc/sysrq-trigger
	sleep 30
}
fail() {
	systemctl --no-pager status havpnd.service 2>&1 | tail -n 20
	journalctl --no-pager -u havpnd.service 2>&1 | tail -n 30
	tail -n 20 $T/b.log
	finish "FAIL $*"
	exit 1
}
ctl_a() { havpnctl --json "$@"; }
ctl_b() { ip netns exec b havpnctl -s $T/b.sock --json "$@"; }
# jq-like: FIELD PATH of JSON on stdin, e.g. '["my_state"]["number"]'
field() {
	python3 -c 'import json, sys
try:
    print(eval("json.load(sys.stdin)" + sys.argv[1]))
except Exception:
    print("?")' "$1"
}
rf_a() { ctl_a show redundancy 2>/dev/null | field '["my_state"]["number"]'; }
rf_b() { ctl_b show redundancy 2>/dev/null | field '["my_state"]["number"]'; }
pairs_b() { ctl_b show crypto ha 2>/dev/null | field '["ipsec_sa_pairs"]["synced"]'; }
pairs_a_local() { ctl_a show crypto ha 2>/dev/null | field '["ipsec_sa_pairs"]["local"]'; }
wait_for() {	# tries(0.2 s) command...
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
is() { [ "$($1)" = "$2" ]; }
main_pid() { systemctl show -p MainPID --value havpnd.service; }

mkdir -p $T
PATH=/usr/local/sbin:$PATH
export PATH
getent passwd havpn >/dev/null || fail "no user havpn (sysusers.d file)"
[ -d /sys/module/sctp ] && fail "sctp loaded before the daemon asked"

# ha1 here, ha2 in namespace b: outside, inside and sync links
modprobe veth || fail "modprobe veth"
ip netns add b || fail "netns"
ip link add out0 type veth peer name out0 netns b
ip link add in0 type veth peer name in0 netns b
ip link add ipc0 type veth peer name ipc0 netns b
ip addr add 10.0.0.11/24 dev out0
ip addr add 192.168.20.2/24 dev in0
ip addr add 192.168.255.1/24 dev ipc0
ip -n b addr add 10.0.0.12/24 dev out0
ip -n b addr add 192.168.20.3/24 dev in0
ip -n b addr add 192.168.255.2/24 dev ipc0
for l in lo out0 in0 ipc0; do
	ip link set $l up
	ip -n b link set $l up
done
conf() {	# the example node's file, its sync channel on kernel SCTP
	sed -e '/encapsulation udp/d' -e 's/eth0/out0/; s/eth1/in0/' \
	    "$REPO/docs/examples/$1.conf"
}
mkdir -p /etc/havpn
conf ha1 > /etc/havpn/havpn.conf
chown root:havpn /etc/havpn/havpn.conf
chmod 0640 /etc/havpn/havpn.conf
conf ha2 > $T/b.conf

say "starting havpnd.service"
systemctl start havpnd.service || fail "systemctl start"
PID=$(main_pid)
[ "$PID" -gt 0 ] || fail "no main PID"
wait_for 150 is rf_a $ACTIVE || fail "ha1 not ACTIVE alone"
say "ha1 ACTIVE, pid $PID"
[ -d /sys/module/sctp ] || fail "kernel SCTP not loaded on demand"

# the confinement, as the kernel sees it
S=/proc/$PID/status
grep -q "^Uid:[[:space:]]*$(id -u havpn)[[:space:]]" $S || fail "not user havpn: $(grep Uid $S)"
grep -q "^Gid:[[:space:]]*$(id -g havpn)[[:space:]]" $S || fail "not group havpn"
# CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13)
for c in CapEff CapPrm CapBnd CapAmb; do
	grep -q "^$c:[[:space:]]*0000000000003400$" $S || fail "$c: $(grep $c $S)"
done
grep -q "^NoNewPrivs:[[:space:]]*1$" $S || fail "NoNewPrivs"
grep -q "^Seccomp:[[:space:]]*2$" $S || fail "no seccomp filter"
M=/proc/$PID/mountinfo
awk '$5 == "/" { print $6 }' $M | grep -q '^ro' || fail "root not read-only"
for d in /home /root; do
	awk -v d=$d '$5 == d' $M | grep -q . || fail "$d not hidden"
done
awk '$5 == "/tmp"' $M | grep -q . || fail "/tmp not private"
awk '$5 == "/usr/lib/modules" || $5 == "/lib/modules"' $M | grep -q . ||
    fail "modules not hidden"
awk '$5 == "/proc/kmsg"' $M | grep -q . || fail "kernel log not hidden"
awk '$5 == "/sys/fs/cgroup" { print $6 }' $M | grep -q '^ro' ||
    fail "control groups writable"
[ "$(readlink /proc/$PID/ns/uts)" != "$(readlink /proc/1/ns/uts)" ] ||
    fail "the host name not protected"
ls /proc/$PID/root/dev/ > $T/dev
grep -qx net $T/dev || fail "no /dev/net/tun in the unit's /dev"
grep -qx sda $T/dev && fail "the unit sees block devices"
say "confinement in force"

# tunnels (the bench tooling's, made up) that ha2's bulk sync must bring
ctl_a test redundancy synthetic-tunnels $TUNNELS > /dev/null ||
    fail "synthetic tunnels"
say "starting ha2"
ip netns exec b havpnd -F -f $T/b.conf -s $T/b.sock -p $T/b.pid \
    > $T/b.log 2>&1 &
BPID=$!
wait_for 300 is rf_b $HOT || fail "ha2 not STANDBY HOT"
wait_for 150 is pairs_b $TUNNELS ||
    fail "tunnels not replicated: $(pairs_b) $(ctl_b show crypto ha)"
say "ha2 STANDBY HOT with $TUNNELS tunnels"

say "reload with a changed configuration"
NEWKEY="crypto isakmp key reload-test-key address 10.0.0.30"
echo "$NEWKEY" >> /etc/havpn/havpn.conf
systemctl reload havpnd.service || fail "systemctl reload"
# the pair's crypto configurations must agree again for ha2 to be HOT
echo "$NEWKEY" >> $T/b.conf
kill -HUP $BPID
keys() { ctl_a show crypto isakmp key 2>/dev/null | grep -q 10.0.0.30; }
wait_for 50 keys || fail "the reload did not take effect"
[ "$(main_pid)" = "$PID" ] || fail "the reload restarted the daemon"
is rf_a $ACTIVE || fail "ha1 not ACTIVE after the reload"
wait_for 300 is rf_b $HOT || fail "ha2 not STANDBY HOT after the reloads"

say "kill -9"
systemctl kill -s KILL --kill-who=main havpnd.service
wait_for 100 is rf_b $ACTIVE || fail "ha2 did not take over"
say "ha2 ACTIVE"
wait_for 150 sh -c '[ "$(systemctl show -p NRestarts --value havpnd.service)" = 1 ]' ||
    fail "not restarted"
systemctl show -p ExecStopPost --value havpnd.service > $T/post
grep -q "status=0/0" $T/post || fail "ExecStopPost: $(cat $T/post)"
NPID=$(main_pid)
[ "$NPID" -gt 0 ] && [ "$NPID" != "$PID" ] || fail "no new daemon"
wait_for 300 is rf_a $ACTIVE || fail "ha1 did not take the role back"
wait_for 150 is rf_b $HOT || fail "ha2 not STANDBY HOT again"
is pairs_a_local $TUNNELS || fail "tunnels lost: $(pairs_a_local)"
say "ha1 ACTIVE again (pid $NPID) with $TUNNELS tunnels, ha2 STANDBY HOT"

say "clean stop"
systemctl stop havpnd.service || fail "systemctl stop"
wait_for 50 is rf_b $ACTIVE || fail "ha2 did not take over at the stop"
ip -o addr show dev out0 | grep -q "10.0.0.10/" && fail "VIP left on ha1"

journalctl --no-pager -u havpnd.service > $T/journal
REFUSED="Operation not permitted\|not supported by protocol\|Bad system call\|SIGSYS"
if grep -q "$REFUSED" $T/journal; then
	grep "$REFUSED" $T/journal
	fail "the unit refused something the daemon did"
fi
kill $BPID
wait $BPID
finish PASS
