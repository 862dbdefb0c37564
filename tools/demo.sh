#!/bin/bash
# `make run`: Moat's netstack doing its job against the Linux kernel on a
# veth pair, end to end, with a short report. Needs root (namespaces).
#
#   Linux (namespace moatdemo-l, 10.203.0.1)  <-- veth -->  moat stack
#                                                 (namespace moatdemo-m,
#                                                  10.203.0.2, AF_PACKET)
# It pings the stack (small and fragmented), echoes UDP, sends 100 MiB of
# random data over TCP each way and compares SHA-256 digests, then prints
# what the pcap holds and the stack's counters. Everything it creates is
# removed at exit, also on failure or Ctrl-C.
#
#   make run CMD='...'    runs CMD in the Linux namespace instead of the
#                         default workload (the stack keeps serving: UDP
#                         echo on 7, TCP echo on 7, sink on 9, source on 19)
set -u
cd "$(dirname "$0")/.."
. tests/lib/netns.sh
[ "$(id -u)" = 0 ] || { echo "make run needs root (network namespaces)"; exit 1; }
TMP=$(mktemp -d /tmp/moat-demo.XXXXXX)
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
trap 'netns_cleanup; rm -rf "$TMP"; exit 130' INT TERM
netns_setup moatdemo- || { echo "cannot create namespaces"; exit 1; }
L() { ip netns exec "$NS_L" "$@"; }
LIP=10.203.0.1
MIP=10.203.0.2
ip -n "$NS_L" addr add $LIP/24 dev veth-l
PCAP=$TMP/demo.pcap

ip netns exec "$NS_M" "$MOAT" stack --iface veth-m --addr $MIP/24 --pcap "$PCAP" \
	--udp-echo 7 --tcp-echo 7 --tcp-sink 9 --tcp-source 19:104857600 >"$TMP/moat.out" 2>"$TMP/moat.err" &
MOAT_PID=$!
_BG_PIDS+=($MOAT_PID)
wait_for_line "$TMP/moat.err" "moat stack: ready" 10 || { cat "$TMP/moat.err"; exit 1; }
echo "moat stack is serving $MIP on veth-m (namespace $NS_M); Linux is $LIP (namespace $NS_L)"
echo

if [ -n "${CMD:-}" ]; then
	echo "running in the Linux namespace: $CMD ${ARGS:-}"
	# shellcheck disable=SC2086
	L sh -c "$CMD ${ARGS:-}"
	rc=$?
else
	rc=0
	step() { printf '%-58s' "$1"; shift; if out=$("$@" 2>&1); then echo "ok   $out"; else echo "FAIL $out"; rc=1; fi; }
	step "ping (ICMP echo, 3 x 56 bytes)" sh -c "ip netns exec $NS_L ping -c 3 -i 0.2 -W 2 $MIP | grep -o '[0-9]* received'"
	step "ping -s 8000 (fragmented both ways)" sh -c "ip netns exec $NS_L ping -c 2 -i 0.3 -W 2 -s 8000 $MIP | grep -o '[0-9]* received'"
	step "UDP echo (socat)" sh -c "echo 'hello, moat' | ip netns exec $NS_L timeout 3 socat - UDP:$MIP:7"
	step "TCP echo (socat)" sh -c "echo 'hello, tcp' | ip netns exec $NS_L timeout 3 socat - TCP:$MIP:7"
	head -c 104857600 /dev/urandom >"$TMP/data"
	want=$(sha256sum <"$TMP/data" | cut -d' ' -f1)
	t0=$(date +%s.%N)
	L timeout 60 socat -u "$TMP/data" TCP:$MIP:9
	for _ in $(seq 100); do grep -q "^tcp-sink:" "$TMP/moat.out" && break; sleep 0.1; done
	t1=$(date +%s.%N)
	got=$(grep "^tcp-sink:" "$TMP/moat.out" | tail -1 | awk '{ print $NF }')
	step "TCP 100 MiB Linux -> moat, SHA-256 equal" sh -c "[ '$got' = '$want' ] && echo \"${want:0:16}... in \$(echo '$t1 - $t0' | bc -l | cut -c1-5) s\""
	got2=$(L timeout 60 socat -u TCP:$MIP:19 - | sha256sum | cut -d' ' -f1)
	for _ in $(seq 50); do grep -q "^tcp-source:" "$TMP/moat.out" && break; sleep 0.1; done
	src=$(grep "^tcp-source:" "$TMP/moat.out" | tail -1 | awk '{ print $NF }')
	step "TCP 100 MiB moat -> Linux, SHA-256 equal" sh -c "[ -n '$src' ] && [ '$got2' = '$src' ] && echo '${src:0:16}...'"
fi
sleep 0.3
kill -TERM "$MOAT_PID" 2>/dev/null
wait "$MOAT_PID" 2>/dev/null
echo
echo "pcap of the run ($PCAP), by protocol:"
tshark -r "$PCAP" -q -z io,phs 2>/dev/null | sed -n '/^eth/,/^=/p' | grep -v "^=" | head -12
echo
echo "stack counters at exit (non-zero):"
sed -n '/^counters:/,$p' "$TMP/moat.err" | grep -vE "^  tcp [0-9]" | head -60
exit $rc
