#!/bin/bash
# TCP and UDP over IPv6 with Linux on a veth pair, and dual-stack sockets:
#   - 256 MiB each way over IPv6 (Linux -> `moat stack --tcp-sink`, and
#     `moat stack --tcp-client` -> a Linux sink), identical SHA-256;
#   - the handshake negotiates MSS 1440 (IPv6 header) and the options;
#   - UDP echo over IPv6 both ways, including a 30000-byte datagram
#     (fragmented: IPv6 fragments only at the source);
#   - one dual-stack listener ([::], as `moat stack` services are) serves an
#     IPv4 and an IPv6 client; the stack's view of the peers is right;
#   - TCP to a closed IPv6 port is refused both ways.
# Namespaces mi7l/mi7m, fd00:7::/64 and 10.200.7.0/24; removed on exit,
# failure too. BYTES overrides the bulk size.
set -u
SUITE=interop.tcp6
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
interop_init mi7 10.200.7
BYTES=${BYTES:-268435456}
LIP6=fd00:7::1
MIP6=fd00:7::2
L sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.veth-l.disable_ipv6=0
# nodad: the test does not wait for Linux's duplicate address detection.
L ip -6 addr add $LIP6/64 dev veth-l nodad

linux_listening() {
	local end=$((SECONDS + 60)) # generous: a loaded machine
	until L ss -Hltn "sport = :$1" | grep -q LISTEN; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

# The stack with both families; its DAD must finish before traffic.
start_stack() {
	start_moat --addr "$MIP6/64" "$@"
	local end=$((SECONDS + 60)) # generous: a loaded machine
	until moat_stats | grep -q "addr veth-m *$MIP6/64 preferred"; do
		[ $SECONDS -lt $end ] || { echo "FAIL $SUITE.setup $MIP6 never became preferred"; exit 1; }
		sleep 0.2
	done
}

PCAP=$TMP_DIR/tcp6.pcap
start_stack --pcap "$PCAP" --tcp-sink 9 --tcp-echo 7 --udp-echo 7

t_bulk_linux_to_moat6() {
	local want got
	head -c "$BYTES" /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >"$TMP_DIR/l2m.sha") |
		L timeout 300 socat -b 262144 -u STDIN "TCP6:[$MIP6]:9" || { echo "socat failed"; return 1; }
	local end=$((SECONDS + 60))
	while { ! grep -q "tcp-sink: \[$LIP6\].*: $BYTES bytes" "$MOAT_LOG" || [ ! -s "$TMP_DIR/l2m.sha" ]; } &&
		[ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	want=$(cat "$TMP_DIR/l2m.sha")
	got=$(grep "tcp-sink: \[$LIP6\].*: $BYTES bytes" "$MOAT_LOG" | tail -1 | awk '{ print $NF }')
	echo "sent sha256 $want; the stack received $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}
check bulk_256mib_linux_to_moat_over_ipv6_sha256 t_bulk_linux_to_moat6

t_handshake6() {
	# The stack's SYN-ACK to Linux: MSS 1500 - 40 - 20, and the options.
	local f
	f=$(tshark -r "$PCAP" -Y "ipv6.src==$MIP6 && tcp.flags.syn==1 && tcp.flags.ack==1" -T fields \
		-e tcp.options.mss_val -e tcp.options.wscale.shift -e tcp.options.sack_perm \
		-e tcp.options.timestamp.tsval 2>/dev/null | head -1)
	echo "SYN-ACK mss/wscale/sackperm/tsval: $f"
	[ "$(echo "$f" | cut -f1)" = 1440 ] &&
		[ "$(echo "$f" | awk -F'\t' '{ n = 0; for (i = 1; i <= 4; i++) if ($i != "") n++; print n }')" = 4 ]
}
check handshake_over_ipv6_mss_1440_and_options t_handshake6

t_udp6_linux_client() {
	L python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(3)
for size in (100, 1400, 30000):
    d = bytes((i * 13 + size) % 256 for i in range(size))
    s.sendto(d, (sys.argv[1], 7))
    r, a = s.recvfrom(65536)
    if r != d:
        print("bad echo of", size, "bytes"); sys.exit(1)
print("3 echoes intact")
' "$MIP6"
}
check udp_over_ipv6_linux_to_moat_echo t_udp6_linux_client

t_dual_stack_listener() {
	# One [::] listener: an IPv4 client and an IPv6 client both served,
	# the stack sees the IPv4 one as IPv4 (v4-mapped), the other as IPv6.
	echo v4 | L timeout 5 socat - "TCP4:$MIP:7" | grep -qx v4 || { echo "IPv4 client not served"; return 1; }
	echo v6 | L timeout 5 socat - "TCP6:[$MIP6]:7" | grep -qx v6 || { echo "IPv6 client not served"; return 1; }
	# The sink names its peers as the listener saw them.
	echo -n x | L timeout 5 socat -u - "TCP4:$MIP:9"
	echo -n y | L timeout 5 socat -u - "TCP6:[$MIP6]:9"
	sleep 0.3
	grep -q "tcp-sink: $LIP:[0-9]*: .* 1 bytes" "$MOAT_LOG" &&
		grep -q "tcp-sink: \[$LIP6\]:[0-9]*: .* 1 bytes" "$MOAT_LOG" ||
		{ grep tcp-sink "$MOAT_LOG" | tail -3; return 1; }
}
check dual_stack_listener_serves_ipv4_and_ipv6_clients t_dual_stack_listener

t_refused6_linux_client() {
	L python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 4444), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
except Exception as e:
    print("got", repr(e)); sys.exit(1)
sys.exit(1)
' "$MIP6"
}
check connect_to_closed_moat_ipv6_port_refused t_refused6_linux_client

# The stack as the client (it needs the interface alone).
stop_moat
bg ip netns exec "$NS_L" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 5007))
print("bound", flush=True)
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
' >"$TMP_DIR/uecho.log" 2>&1
wait_for_line "$TMP_DIR/uecho.log" bound 60

run_client() { # ARGS...: a moat stack of its own with both addresses
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --addr "$MIP6/64" "$@"
}

t_bulk_moat_to_linux6() {
	L timeout 300 socat -b 262144 -u TCP6-LISTEN:5010,reuseaddr STDOUT 2>/dev/null | sha256sum |
		cut -d' ' -f1 >"$TMP_DIR/m2l.sha" &
	local srv=$!
	linux_listening 5010 || { echo "Linux listener did not come up"; return 1; }
	run_client --tcp-client "[$LIP6]:5010" --send "$BYTES" --timeout 300 >"$TMP_DIR/m2l.out" 2>"$TMP_DIR/m2l.err" ||
		{ cat "$TMP_DIR/m2l.out"; grep -v "^  " "$TMP_DIR/m2l.err" | tail -5
		  L timeout 5 socat -u /dev/null "TCP6:[$LIP6]:5010" 2>/dev/null # ends the listener
		  wait $srv 2>/dev/null; return 1; }
	wait $srv 2>/dev/null
	local want got
	want=$(grep "conn 1: sent $BYTES bytes" "$TMP_DIR/m2l.out" | sed 's/.*sent [0-9]* bytes sha256 \([0-9a-f]*\).*/\1/')
	got=$(cat "$TMP_DIR/m2l.sha")
	grep "tcp-client: 1 connections" "$TMP_DIR/m2l.out"
	echo "stack sent sha256 $want; Linux received $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}
check bulk_256mib_moat_to_linux_over_ipv6_sha256 t_bulk_moat_to_linux6

t_udp6_moat_client() {
	run_client --udp-client "[$LIP6]:5007" --count 20 --size 30000 >"$TMP_DIR/uc.out" 2>"$TMP_DIR/uc.err"
	local rc=$?
	cat "$TMP_DIR/uc.out"
	[ $rc = 0 ] && grep -q "echoed intact 20" "$TMP_DIR/uc.out"
}
check udp_over_ipv6_moat_to_linux_echo t_udp6_moat_client

t_refused6_moat_client() {
	run_client --tcp-client "[$LIP6]:4445" --send 10 >"$TMP_DIR/rf.out" 2>"$TMP_DIR/rf.err"
	cat "$TMP_DIR/rf.out"
	grep -q "FAILED: Connection refused" "$TMP_DIR/rf.out"
}
check connect_to_closed_linux_ipv6_port_refused t_refused6_moat_client
