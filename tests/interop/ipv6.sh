#!/bin/bash
# Interop with Linux over IPv6 on a veth pair: duplicate address detection
# and MLD as the stack comes up, ping -6 to its link-local and global
# addresses, 8000-byte pings (fragmented both ways), neighbour discovery in
# both directions, DAD conflicts in both directions (the netstack refuses
# an address Linux holds and reports it; Linux refuses one the netstack
# holds), and a router advertisement (written byte by byte by a python3 raw
# socket) that gives the netstack a SLAAC address, a default route and a
# link MTU, through which traffic then flows.
# Namespaces mi6l/mi6m, fd00:6::/64 and 10.200.6.0/24; removed on exit,
# failure too.
set -u
SUITE=interop.ipv6
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
interop_init mi6 10.200.6
LIP6=fd00:6::1
MIP6=fd00:6::2
# IPv6 back on for the Linux side only (the netstack's side stays off: the
# kernel must not answer there).
L sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.veth-l.disable_ipv6=0
L ip -6 addr add $LIP6/64 dev veth-l

# fe80:: and the modified EUI-64 of a MAC (RFC 4291 2.5.1), canonical form.
eui64() {
	python3 -c '
import ipaddress, sys
m = [int(x, 16) for x in sys.argv[2].split(":")]
m[0] ^= 2
iid = bytes(m[:3] + [0xff, 0xfe] + m[3:])
net = ipaddress.IPv6Address(sys.argv[1]).packed[:8]
print(ipaddress.IPv6Address(net + iid))
' "$1" "$2"
}
M_LL=$(eui64 fe80:: "$M_MAC")

# wait_linux_addr ADDR: Linux's DAD for ADDR is over (not tentative).
wait_linux_addr() {
	local end=$((SECONDS + 60)) # generous: a loaded machine
	while [ $SECONDS -lt $end ]; do
		L ip -6 addr show dev veth-l | grep -q "inet6 $1/.* tentative" || return 0
		sleep 0.1
	done
	return 1
}

# wait_moat_addr ADDR/LEN STATE: the netstack lists the address in STATE.
wait_moat_addr() {
	local end=$((SECONDS + 60)) # generous: a loaded machine
	while [ $SECONDS -lt $end ]; do
		moat_stats | grep -q "addr veth-m *$1 $2" && return 0
		sleep 0.3
	done
	echo "no 'addr veth-m $1 $2' in:"
	moat_stats | grep "addr\|router\|prefix"
	return 1
}

if ! wait_linux_addr $LIP6 || ! L_LL=$(L ip -6 addr show dev veth-l scope link |
	awk '/inet6/ { sub("/.*", "", $2); print $2; exit }') || [ -z "$L_LL" ]; then
	fail "$SUITE.setup" "Linux's IPv6 addresses did not come up"
	exit 1
fi

PCAP=$TMP_DIR/ipv6.pcap
start_moat --addr $MIP6/64 --pcap "$PCAP"

t_dad_and_mld() {
	wait_moat_addr "$M_LL/64" "preferred link-local" &&
	wait_moat_addr "$MIP6/64" preferred || return 1
	# RFC 4862 5.4.2: the probes come from ::, to the solicited-node
	# group; RFC 3810: the joins are reported to ff02::16.
	pcap_has "$PCAP" "icmpv6.type==135 && ipv6.src==:: && icmpv6.nd.ns.target_address==$MIP6" &&
	pcap_has "$PCAP" "icmpv6.type==135 && ipv6.src==:: && icmpv6.nd.ns.target_address==$M_LL" &&
	pcap_has "$PCAP" "icmpv6.type==143 && ipv6.dst==ff02::16 && ipv6.hlim==1 && icmpv6.mldr.mar.multicast_address==ff02::1:ff00:2" &&
	# RFC 4861 6.3.7: then it solicits routers from its link-local address.
	pcap_has "$PCAP" "icmpv6.type==133 && ipv6.src==$M_LL && ipv6.dst==ff02::2"
}
check dad_passes_and_groups_are_reported t_dad_and_mld

t_ping_ll() {
	local out
	out=$(L ping -6 -c 3 -i 0.2 -W 2 "$M_LL%veth-l") || { echo "$out"; return 1; }
	echo "$out" | grep -q " 3 received" || { echo "$out"; return 1; }
}
check ping_link_local t_ping_ll

t_ping_global() {
	local out
	out=$(L ping -6 -c 5 -i 0.2 -W 2 $MIP6) || { echo "$out"; return 1; }
	echo "$out" | grep -q " 5 received" || { echo "$out"; return 1; }
}
check ping_global t_ping_global

t_ping_big() {
	# 8008 bytes of ICMPv6: fragmented on the way in and on the way back.
	local out
	out=$(L ping -6 -c 3 -i 0.3 -W 3 -s 8000 $MIP6) || { echo "$out"; return 1; }
	echo "$out" | grep -q " 3 received" || { echo "$out"; return 1; }
	echo "$out" | grep -q "8008 bytes from $MIP6" || { echo "$out"; return 1; }
	pcap_has "$PCAP" "ipv6.src==$LIP6 && ipv6.fraghdr.more==1" 3 &&
	pcap_has "$PCAP" "ipv6.src==$MIP6 && ipv6.fraghdr.more==1" 3 &&
	pcap_has "$PCAP" "ipv6.src==$MIP6 && icmpv6.type==129 && ipv6.reassembled.length==8008" 3
}
check ping_8000_bytes_fragments_both_ways t_ping_big

t_linux_learnt_stack() {
	local n
	n=$(L ip -6 neigh show $MIP6 dev veth-l)
	echo "$n" | grep -qi "lladdr $M_MAC .*\(REACHABLE\|STALE\|DELAY\|PROBE\)" || {
		echo "ip -6 neigh: '$n', want lladdr $M_MAC"
		return 1
	}
	pcap_has "$PCAP" "icmpv6.type==136 && ipv6.src==$MIP6 && icmpv6.nd.na.target_address==$MIP6 && eth.src==$M_MAC"
}
check linux_resolves_the_stack_by_ndp t_linux_learnt_stack

t_stack_learnt_linux() {
	local st
	st=$(moat_stats)
	echo "$st" | grep -qi "neigh veth-m *$LIP6 lladdr $L_MAC \(REACHABLE\|STALE\|DELAY\|PROBE\)" || {
		echo "stack neighbour cache:"; echo "$st" | grep neigh
		return 1
	}
}
check stack_learnt_linux_from_its_solicitation t_stack_learnt_linux

t_linux_dad_conflict() {
	# Linux probes an address the netstack holds: the netstack's answer
	# (RFC 4861 7.2.4, to all nodes) makes Linux refuse it.
	L ip -6 addr add $MIP6/64 dev veth-l
	local end=$((SECONDS + 60)) out # generous: a loaded machine
	while [ $SECONDS -lt $end ]; do
		out=$(L ip -6 addr show dev veth-l)
		echo "$out" | grep -q "inet6 $MIP6/64 .*dadfailed" && break
		sleep 0.2
	done
	L ip -6 addr del $MIP6/64 dev veth-l
	echo "$out" | grep -q "inet6 $MIP6/64 .*dadfailed" || { echo "$out"; return 1; }
	pcap_has "$PCAP" "icmpv6.type==136 && ipv6.dst==ff02::1 && icmpv6.nd.na.target_address==$MIP6"
}
check linux_refuses_an_address_the_stack_holds t_linux_dad_conflict

stop_moat

t_stack_resolves_linux() {
	# A fresh stack sends first (UDP to a closed Linux port), so it must
	# resolve Linux itself: multicast NS, Linux's NA, then the port
	# unreachable comes back as ECONNREFUSED.
	local out rc
	out=$(M "$MOAT" stack --iface veth-m --addr "$MIP/24" --addr $MIP6/64 \
		--set ip6.dad_transmits=0 --pcap "$TMP_DIR/client.pcap" \
		--udp-client "[$LIP6]:9999" --count 1 --timeout 3 2>&1)
	rc=$?
	[ $rc -eq 1 ] || { echo "exit $rc, want 1: $out"; return 1; }
	echo "$out" | grep -q "receive: Connection refused" || { echo "$out" | tail -5; return 1; }
	pcap_has "$TMP_DIR/client.pcap" "icmpv6.type==135 && eth.src==$M_MAC && ipv6.dst==ff02::1:ff00:1 && icmpv6.nd.ns.target_address==$LIP6" &&
	pcap_has "$TMP_DIR/client.pcap" "icmpv6.type==136 && eth.src==$L_MAC && icmpv6.nd.na.target_address==$LIP6" &&
	pcap_has "$TMP_DIR/client.pcap" "udp.dstport==9999 && eth.dst==$L_MAC" &&
	pcap_has "$TMP_DIR/client.pcap" "icmpv6.type==1 && icmpv6.code==4 && ipv6.src==$LIP6"
}
check stack_resolves_linux_and_gets_econnrefused t_stack_resolves_linux

t_stack_dad_conflict() {
	# The netstack is given Linux's address: its probe gets Linux's
	# answer; the address is refused, counted and listed as dadfailed.
	wait_moat_addr "$LIP6/64" dadfailed || return 1
	moat_stats | grep -q "ndp.dad_failed *1$" || { moat_stats | grep ndp; return 1; }
	local out
	out=$(L ip -6 addr show dev veth-l)
	echo "$out" | grep "inet6 $LIP6/64" | grep -q dadfailed && { echo "$out"; return 1; }
	# The address is not the netstack's: Linux's own neighbour entry for
	# it never pointed at the netstack.
	L ping -6 -c 1 -W 2 $LIP6 >/dev/null || return 1
	pcap_has "$TMP_DIR/dad.pcap" "icmpv6.type==135 && ipv6.src==:: && icmpv6.nd.ns.target_address==$LIP6" &&
	pcap_has "$TMP_DIR/dad.pcap" "icmpv6.type==136 && eth.src==$L_MAC && icmpv6.nd.na.target_address==$LIP6"
}
# (started outside check: its subshell would keep the pid from stop_moat
# and from the cleanup trap, and the stack would outlive the suite)
start_moat --addr $LIP6/64 --pcap "$TMP_DIR/dad.pcap"
check stack_refuses_an_address_linux_holds t_stack_dad_conflict
stop_moat

# Router advertisement: Linux plays a router for fd00:66::/64 and owns
# fd00:77::1 further away (on its loopback).
RA_PFX=fd00:66::
FAR=fd00:77::1
L ip -6 addr add fd00:66::1/64 dev veth-l
L ip -6 addr add $FAR/128 dev lo
M_SLAAC=$(eui64 $RA_PFX "$M_MAC")

send_ra() {
	L python3 -c '
import socket, struct, sys
ifname, mac, prefix = sys.argv[1:4]
idx = socket.if_nametoindex(ifname)
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
# RFC 4861 6.1.2: hop limit 255; the kernel fills in the checksum.
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
lladdr = bytes(int(x, 16) for x in mac.split(":"))
# RFC 4861 4.2: type 134, code 0, checksum, cur hop limit 64, flags 0,
# router lifetime 600 s, reachable time and retrans timer unspecified.
ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 600, 0, 0)
ra += struct.pack("!BB6s", 1, 1, lladdr)		# source link-layer address
ra += struct.pack("!BBHI", 5, 1, 0, 1400)		# MTU 1400
# prefix information: /64, on-link and autonomous, valid 3600 s,
# preferred 1800 s
ra += struct.pack("!BBBBIII16s", 3, 4, 64, 0xc0, 3600, 1800, 0,
		  socket.inet_pton(socket.AF_INET6, prefix))
s.sendto(ra, ("ff02::1", 0, 0, idx))
' veth-l "$L_MAC" $RA_PFX
}

t_ra_slaac() {
	wait_moat_addr "$M_LL/64" "preferred link-local" || return 1
	send_ra || return 1
	wait_moat_addr "$M_SLAAC/64" "preferred slaac" || return 1
	local st
	st=$(moat_stats)
	echo "$st" | grep -q "router veth-m *$L_LL " || { echo "$st" | grep "router\|addr"; return 1; }
	echo "$st" | grep -q "prefix veth-m *$RA_PFX/64 on-link" || { echo "$st" | grep prefix; return 1; }
	# Off-link traffic goes to the default router: Linux's far address
	# gets its echo replies through the link-local next hop.
	local out
	out=$(L ping -6 -c 3 -i 0.2 -W 2 -I $FAR "$M_SLAAC") || { echo "$out"; return 1; }
	echo "$out" | grep -q " 3 received" || { echo "$out"; return 1; }
	pcap_has "$TMP_DIR/ra.pcap" "icmpv6.type==129 && ipv6.src==$M_SLAAC && ipv6.dst==$FAR && eth.dst==$L_MAC" 3 &&
	# The advertised MTU (1400) is the link's now: a 1400-byte echo
	# comes back in fragments of at most 1400 bytes.
	out=$(L ping -6 -c 1 -W 2 -s 1400 "$M_SLAAC") || { echo "$out"; return 1; }
	pcap_has "$TMP_DIR/ra.pcap" "ipv6.src==$M_SLAAC && ipv6.fraghdr.more==1 && frame.len<=1414"
}
start_moat --pcap "$TMP_DIR/ra.pcap"
check router_advertisement_gives_slaac_address_and_default_route t_ra_slaac
stop_moat
