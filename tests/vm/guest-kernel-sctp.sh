#!/bin/sh
# Runs inside the qemu guest (stock Debian kernel, the host's root shared
# read-only): two namespaces joined by two veth links, ipc_peer at each
# end over kernel SCTP (no encapsulation), multi-homed with
# sctp_bindx/sctp_connectx.  Checks: the channel comes up on kernel SCTP,
# 100 messages cross, both paths are ACTIVE, cutting the first link keeps
# the channel up over the second, and an association from an address that
# is not a configured remote-ip is refused without touching the channel.
# Prints IPC-VM-RESULT: PASS|FAIL.
REPO=$1
T=/tmp/ipcvm
ip() { /hostrun /host/usr/bin/ip "$@"; }
fail() { echo "IPC-VM-RESULT: FAIL $*"; for f in $T/out* $T/err*; do
	echo "== $f"; tail -5 "$f"; done; exit 1; }
mkdir -p $T
# busybox modprobe ignores softdeps: libcrc32c wants a crc32c first
modprobe crc32c_generic 2>/dev/null
modprobe sctp || fail "modprobe sctp"
modprobe veth || fail "modprobe veth"
ip netns add a 2>&1 && ip netns add b 2>&1 || fail "netns"
ip link add va1 type veth peer name vb1
ip link add va2 type veth peer name vb2
for i in 1 2; do
	ip link set va$i netns a
	ip link set vb$i netns b
done
ip -n a addr add 192.168.255.1/30 dev va1
ip -n a addr add 192.168.254.1/30 dev va2
ip -n b addr add 192.168.255.2/30 dev vb1
ip -n b addr add 192.168.254.2/30 dev vb2
for n in a b; do
	ip -n $n link set lo up
	for l in $(ip -n $n -o link show | sed -n 's/^[0-9]*: \(v[ab][12]\)@.*/\1/p'); do
		ip -n $n link set $l up
	done
done
conf() {
	cat <<EOC
hostname $1
ipc zone default
 association 1
  no shutdown
  protocol sctp
   local-port 5000
    local-ip $2 $3
    retransmit-timeout 300 1000
    path-retransmit 2
    assoc-retransmit 10
   remote-port 5000
    remote-ip $4 $5
redundancy inter-device
 scheme standby VPN
 security key vm-test-key-0123456789
interface lo
 standby 1 ip 10.99.99.1
 standby 1 name VPN
EOC
}
conf nodea 192.168.255.1 192.168.254.1 192.168.255.2 192.168.254.2 > $T/a.conf
conf nodeb 192.168.255.2 192.168.254.2 192.168.255.1 192.168.254.1 > $T/b.conf
mkfifo $T/ina $T/inb
ip netns exec a /hostrun $REPO/build/tools/ipc_peer -f $T/a.conf < $T/ina > $T/outa 2> $T/erra &
ip netns exec b /hostrun $REPO/build/tools/ipc_peer -f $T/b.conf < $T/inb > $T/outb 2> $T/errb &
exec 3> $T/ina 4> $T/inb
wait_grep() {	# file pattern tries(0.2 s)
	i=0
	while [ $i -lt "$3" ]; do
		grep -q "$2" "$1" && return 0
		sleep 0.2
		i=$((i + 1))
	done
	return 1
}
wait_grep $T/outa '"event":"up"' 150 || fail "a not up"
wait_grep $T/outb '"event":"up"' 50 || fail "b not up"
echo "status" >&3
wait_grep $T/outa '"transport":"kernel-sctp"' 25 || fail "not kernel SCTP"
grep '"status"' $T/outa | tail -1 | grep -q '"state":"ESTABLISHED"' ||
    fail "association not established"
echo "send state 100 500 abcd" >&3
wait_grep $T/outa '"queued":100' 50 || fail "send"
sleep 1
echo "stats" >&4
wait_grep $T/outb '"received":\[{[^]]*},{"msgs":100,' 25 || fail "100 messages"
echo "status" >&3
sleep 0.5
grep '"status"' $T/outa | tail -1 > $T/st1
n=$(grep -o '"state":"ACTIVE"' $T/st1 | wc -l)
[ "$n" -ge 2 ] || fail "two ACTIVE paths expected, got $n"
# cut the first link: kernel SCTP moves to the second path
ip -n a link set va1 down
sleep 6
echo "status" >&3
echo "send state 10 500 abcd" >&3
sleep 2
echo "status" >&3
sleep 0.5
grep '"status"' $T/outa | tail -1 > $T/st2
grep -q '"state":"up"' $T/st2 || fail "channel down after the cut"
grep -q '"downs":0' $T/st2 || fail "the channel went down during the cut"
grep -q '"queued":10' $T/outa || fail "send after the cut"
echo "stats" >&4
wait_grep $T/outb '"received":\[{[^]]*},{"msgs":110,' 25 || fail "110 messages"
# the attack: an SCTP association to b's listener from an address that is
# not a configured remote-ip (namespace c, on a third link to b), with the
# wrong key.  b aborts it at once; its sealed channel to a stays up.
ip netns add c 2>&1 || fail "netns c"
ip link add vc3 type veth peer name vb3
ip link set vc3 netns c
ip link set vb3 netns b
ip -n c addr add 192.168.253.1/30 dev vc3
ip -n b addr add 192.168.253.2/30 dev vb3
ip -n c link set lo up
ip -n c link set vc3 up
ip -n b link set vb3 up
ip -n c route add 192.168.255.0/24 via 192.168.253.2
conf nodea 192.168.253.1 "" 192.168.255.2 "" |
    sed 's/vm-test-key-0123456789/an-attacker-without-the-key/' > $T/c.conf
mkfifo $T/inc
ip netns exec c /hostrun $REPO/build/tools/ipc_peer -f $T/c.conf < $T/inc > $T/outc 2> $T/errc &
exec 5> $T/inc
i=0
while [ $i -lt 50 ]; do
	echo "status" >&4
	sleep 0.2
	grep '"status"' $T/outb | tail -1 | grep -q '"refused_foreign":[1-9]' && break
	i=$((i + 1))
done
grep '"status"' $T/outb | tail -1 > $T/st3
grep -q '"refused_foreign":[1-9]' $T/st3 || fail "no foreign association refused"
grep -q '"state":"up"' $T/st3 || fail "b's channel down after the foreign association"
grep -q '"downs":0' $T/st3 || fail "b's channel went down during the attack"
grep -q 'not a configured remote-ip' $T/errb || fail "the refusal not logged"
grep -q '"event":"up"' $T/outc && fail "the attacker's channel came up"
echo "quit" >&5
echo "quit" >&3
echo "quit" >&4
echo "IPC-VM-RESULT: PASS kernel SCTP up, 110 messages, multi-homed failover, a foreign association refused"
