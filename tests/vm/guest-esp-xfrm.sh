#!/bin/sh
# In the qemu guest (a stock Debian kernel, with esp4): havpn's userspace
# ESP engine in namespace a against the Linux kernel's own ESP (XFRM,
# static SAs) in namespace b, raw ESP (protocol 50), for each suite.
#
#   a: esp_static, 192.168.97.1 on lo, 10.97.0.1 --veth-- 10.97.0.2, b: XFRM,
#   192.168.98.1 on lo
#
# Prints ESP-XFRM-<suite>: lines and the facts of both sides for the
# pytest that boots it (tests/integration/test_esp_xfrm.py), then
# ESP-XFRM-DONE.
R=$1
H=/hostrun
IP="$H /host/bin/ip"
TOOL=$R/build/tools/esp_static
mkdir -p /run/netns
for m in tun veth esp4 xfrm_user xfrm4_tunnel tunnel4 authenc echainiv \
    seqiv gcm ghash-generic ctr cbc hmac sha256_generic sha1_generic \
    des3_ede des_generic aes_generic libaes; do
	modprobe $m 2>/dev/null
done

key() {	# N bytes of hex, from a seed: independent per direction
	i=0; out=""
	while [ $i -lt $1 ]; do
		out="$out$(printf %02x $(( ($2 + 11 * i) % 256 )))"
		i=$((i + 1))
	done
	echo "$out"
}

# name, esp_static words, ip xfrm algorithm words (key A->B, key B->A)
run_suite() {
	name=$1
	$IP netns add a
	$IP netns add b
	$IP link add va type veth peer name vb
	$IP link set va netns a
	$IP link set vb netns b
	$IP -n a addr add 10.97.0.1/24 dev va
	$IP -n b addr add 10.97.0.2/24 dev vb
	for n in a b; do
		$IP -n $n link set lo up
	done
	$IP -n a link set va up
	$IP -n b link set vb up
	$IP -n a addr add 192.168.97.1/32 dev lo
	$IP -n b addr add 192.168.98.1/32 dev lo
	$IP -n b route add 192.168.97.0/24 via 10.97.0.1

	$IP netns exec a $H $TOOL -s /tmp/a.json \
	    "sa conn=1 dir=out spi=0x1001 reqid=1 local=10.97.0.1 remote=10.97.0.2 $2 $4 src=192.168.97.0/24 dst=192.168.98.0/24" \
	    "sa conn=2 dir=in spi=0x2001 reqid=1 local=10.97.0.1 remote=10.97.0.2 $2 $5 src=192.168.98.0/24 dst=192.168.97.0/24" \
	    "policy id=1 reqid=1 prio=10 protect src=192.168.97.0/24 dst=192.168.98.0/24 local=10.97.0.1 peer=10.97.0.2" \
	    > /tmp/a.log 2>&1 &
	apid=$!
	$IP -n b xfrm state add src 10.97.0.1 dst 10.97.0.2 proto esp \
	    spi 0x1001 reqid 1 mode tunnel $3 $6 \
	    sel src 192.168.97.0/24 dst 192.168.98.0/24
	$IP -n b xfrm state add src 10.97.0.2 dst 10.97.0.1 proto esp \
	    spi 0x2001 reqid 1 mode tunnel $3 $7 \
	    sel src 192.168.98.0/24 dst 192.168.97.0/24
	$IP -n b xfrm policy add src 192.168.98.0/24 dst 192.168.97.0/24 \
	    dir out tmpl src 10.97.0.2 dst 10.97.0.1 proto esp reqid 1 \
	    mode tunnel
	$IP -n b xfrm policy add src 192.168.97.0/24 dst 192.168.98.0/24 \
	    dir in tmpl src 10.97.0.1 dst 10.97.0.2 proto esp reqid 1 \
	    mode tunnel
	i=0
	while ! grep -q ready /tmp/a.log && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done

	if $IP netns exec a ping -c 3 -W 3 -I 192.168.97.1 192.168.98.1 \
	    > /tmp/ping.log 2>&1; then
		echo "ESP-XFRM-$name: ping ok"
	else
		echo "ESP-XFRM-$name: ping FAILED"; cat /tmp/ping.log
	fi
	# a checksum-verified TCP transfer each way (tcp_check.py, as in
	# tests/integration)
	$IP netns exec b $H /host/usr/bin/python3 $R/tests/integration/tcp_check.py \
	    server 192.168.98.1 5001 > /tmp/srv.log 2>&1 &
	i=0
	while ! grep -q listening /tmp/srv.log && [ $i -lt 100 ]; do
		sleep 0.2; i=$((i + 1))
	done
	if $IP netns exec a $H /host/usr/bin/python3 \
	    $R/tests/integration/tcp_check.py client 192.168.98.1 5001 \
	    200000 192.168.97.1 > /tmp/cli.log 2>&1; then
		echo "ESP-XFRM-$name: tcp $(cat /tmp/cli.log)"
	else
		echo "ESP-XFRM-$name: tcp FAILED $(cat /tmp/cli.log /tmp/srv.log)"
	fi
	sleep 1
	kill -USR1 $apid
	sleep 1
	echo "ESP-XFRM-$name: facts-begin"
	cat /tmp/a.json
	echo "ESP-XFRM-$name: facts-end"
	# what the kernel dropped before havpn read it (a full receive
	# buffer when the guest's CPU is starved): the last column
	echo "ESP-XFRM-$name: drops-begin"
	$IP netns exec a cat /proc/net/raw
	echo "ESP-XFRM-$name: drops-end"
	echo "ESP-XFRM-$name: xfrm-begin"
	$IP -n b -s xfrm state
	echo "ESP-XFRM-$name: xfrm-end"
	$IP -n b xfrm state flush
	$IP -n b xfrm policy flush
	kill $apid
	wait $apid
	$IP netns del a
	$IP netns del b
	rm -f /tmp/a.json /tmp/a.log /tmp/srv.log /tmp/cli.log
}

GCM=$(key 36 1); GCMR=$(key 36 101)
run_suite gcm256 "enc=gcm256" "aead rfc4106(gcm(aes))" \
    "ekey=$GCM" "ekey=$GCMR" "0x$GCM 128" "0x$GCMR 128"
C=$(key 32 1); A=$(key 32 2); CR=$(key 32 101); AR=$(key 32 102)
run_suite aes256-sha256 "enc=aes256 auth=sha256" "" \
    "ekey=$C akey=$A" "ekey=$CR akey=$AR" \
    "enc cbc(aes) 0x$C auth-trunc hmac(sha256) 0x$A 128" \
    "enc cbc(aes) 0x$CR auth-trunc hmac(sha256) 0x$AR 128"
D=$(key 24 1); S=$(key 20 2); DR=$(key 24 101); SR=$(key 20 102)
run_suite 3des-sha1 "enc=3des auth=sha1" "" \
    "ekey=$D akey=$S" "ekey=$DR akey=$SR" \
    "enc cbc(des3_ede) 0x$D auth-trunc hmac(sha1) 0x$S 96" \
    "enc cbc(des3_ede) 0x$DR auth-trunc hmac(sha1) 0x$SR 96"
echo "ESP-XFRM-DONE"
