#!/bin/bash
# Interop with Linux over a veth pair: ICMP echo (small and fragmented both
# ways), ARP resolution in both directions, ICMP port unreachable both ways,
# and the pcap written by `moat stack --pcap` read back by tcpdump.
# Namespaces mi1l/mi1m, subnet 10.200.1.0/24; removed on exit, failure too.
set -u
SUITE=interop.icmp_arp
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
interop_init mi1 10.200.1
PCAP=$TMP_DIR/echo.pcap
start_moat --pcap "$PCAP"

t_ping() {
	local out
	out=$(L ping -c 5 -i 0.2 -W 2 "$MIP") || { echo "$out"; return 1; }
	echo "$out" | grep -q " 5 received" || { echo "$out"; return 1; }
}
check ping_gets_every_reply t_ping

t_ping_big() {
	# 8008 bytes of ICMP: fragmented on the way in and on the way back.
	local out
	out=$(L ping -c 3 -i 0.3 -W 3 -s 8000 "$MIP") || { echo "$out"; return 1; }
	echo "$out" | grep -q " 3 received" || { echo "$out"; return 1; }
	echo "$out" | grep -q "8008 bytes from $MIP" || { echo "$out"; return 1; }
	pcap_has "$PCAP" "ip.src==$LIP && ip.flags.mf==1 && ip.proto==1" 3 &&
	pcap_has "$PCAP" "ip.src==$MIP && ip.flags.mf==1 && ip.proto==1" 3 &&
	pcap_has "$PCAP" "ip.src==$MIP && icmp.type==0" 3
}
check ping_8000_bytes_fragments_both_ways t_ping_big

t_linux_learnt_stack() {
	# The kernel resolved the stack's address to veth-m's MAC.
	local n
	n=$(ip -n "$NS_L" neigh show "$MIP" dev veth-l)
	echo "$n" | grep -qi "lladdr $M_MAC .*\(REACHABLE\|STALE\|DELAY\|PROBE\)" || {
		echo "ip neigh: '$n', want lladdr $M_MAC"
		return 1
	}
	pcap_has "$PCAP" "arp.opcode==2 && arp.src.proto_ipv4==$MIP && eth.src==$M_MAC"
}
check linux_resolves_the_stack_by_arp t_linux_learnt_stack

t_stack_learnt_linux() {
	local st
	st=$(moat_stats)
	echo "$st" | grep -qi "neigh veth-m *$LIP lladdr $L_MAC \(REACHABLE\|STALE\|DELAY\|PROBE\)" || {
		echo "stack neighbour cache:"; echo "$st" | grep neigh
		return 1
	}
}
check stack_learnt_linux_from_its_request t_stack_learnt_linux

t_closed_port_linux_client() {
	# A connected Linux UDP socket gets ECONNREFUSED from the stack's
	# port unreachable.
	L python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 9999))
s.send(b"anyone there?")
try:
    s.recv(100)
except ConnectionRefusedError:
    sys.exit(0)
except socket.timeout:
    print("no answer"); sys.exit(1)
print("got data"); sys.exit(1)
' "$MIP" && pcap_has "$PCAP" "icmp.type==3 && icmp.code==3 && ip.src==$MIP"
}
check linux_udp_to_closed_port_gets_econnrefused t_closed_port_linux_client

stop_moat

t_pcap_readable() {
	# tcpdump reads the file back and shows the exchange.
	local out
	out=$(tcpdump -nn -r "$PCAP" 2>&1) || { echo "$out" | tail -3; return 1; }
	local want
	for want in "ARP, Request who-has $MIP tell $LIP" "ARP, Reply $MIP is-at $M_MAC" \
		"$LIP > $MIP: ICMP echo request" "$MIP > $LIP: ICMP echo reply" \
		"$MIP > $LIP: ICMP $MIP udp port 9999 unreachable"; do
		echo "$out" | grep -qF "$want" || { echo "tcpdump -r: no '$want'"; return 1; }
	done
}
check pcap_is_read_back_by_tcpdump t_pcap_readable

# The other direction: a fresh stack sends first, so it must resolve Linux
# itself (ARP request from the stack, reply from the kernel), and Linux's
# port unreachable must reach the stack's connected socket as ECONNREFUSED.
t_stack_resolves_linux() {
	local out rc
	out=$(M "$MOAT" stack --iface veth-m --addr "$MIP/24" --pcap "$TMP_DIR/client.pcap" \
		--udp-client "$LIP:9999" --count 1 --timeout 3 2>&1)
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1: $out"; return 1; }
	echo "$out" | grep -q "receive: Connection refused" || { echo "$out" | tail -5; return 1; }
	pcap_has "$TMP_DIR/client.pcap" "arp.opcode==1 && eth.src==$M_MAC && arp.dst.proto_ipv4==$LIP" &&
	pcap_has "$TMP_DIR/client.pcap" "arp.opcode==2 && eth.src==$L_MAC && arp.src.proto_ipv4==$LIP" &&
	pcap_has "$TMP_DIR/client.pcap" "udp.dstport==9999 && eth.dst==$L_MAC" &&
	pcap_has "$TMP_DIR/client.pcap" "icmp.type==3 && icmp.code==3 && ip.src==$LIP"
}
check stack_resolves_linux_and_gets_econnrefused t_stack_resolves_linux
