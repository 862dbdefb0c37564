#!/bin/bash
# Interop with Linux over a veth pair: UDP echo both ways.
#   - Linux client (socat) -> `moat stack --udp-echo`, datagrams of 1 to
#     60000 bytes (the big ones fragmented both ways);
#   - `moat stack --udp-client` -> a python3 echo server in the Linux
#     namespace, with counts and sizes up to 60000 bytes;
#   - the pcap of the exchange read back by tcpdump.
# Namespaces mi2l/mi2m, subnet 10.200.2.0/24; removed on exit, failure too.
set -u
SUITE=interop.udp
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
interop_init mi2 10.200.2
PCAP=$TMP_DIR/echo.pcap
start_moat --pcap "$PCAP" --udp-echo 7777

# One datagram of SIZE random bytes through socat; the answer must be the
# same bytes.
t_socat_echo() {
	local size=$1 in=$TMP_DIR/in.$1 out=$TMP_DIR/out.$1
	head -c "$size" /dev/urandom >"$in"
	# -b: read the file in one go (one datagram) and take a whole answer;
	# -t: after EOF on stdin, wait up to a second for the echo.
	L socat -b 65536 -t 1 - "UDP:$MIP:7777" <"$in" >"$out" || return 1
	cmp "$in" "$out" || { echo "sent $size bytes, got $(stat -c %s "$out") back"; return 1; }
}
for size in 1 64 1472 1473 8000 60000; do
	check "socat_echo_${size}_bytes" t_socat_echo "$size"
done

t_many_datagrams() {
	# 300 datagrams in flight at once, each must come back intact.
	L python3 -c '
import socket, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.connect((sys.argv[1], 7777))
s.settimeout(3)
sent = [os.urandom(100 + i) for i in range(300)]
for d in sent:
    s.send(d)
got = set()
try:
    while len(got) < len(sent):
        got.add(s.recv(65535))
except socket.timeout:
    pass
missing = sum(1 for d in sent if d not in got)
print("missing", missing)
sys.exit(1 if missing else 0)
' "$MIP"
}
check burst_of_300_datagrams_all_echoed t_many_datagrams

t_pcap_fragments() {
	pcap_has "$PCAP" "ip.src==$LIP && ip.flags.mf==1 && ip.proto==17" 40 &&
	pcap_has "$PCAP" "ip.src==$MIP && ip.flags.mf==1 && ip.proto==17" 40 &&
	tcpdump -nn -r "$PCAP" 2>/dev/null | grep -q "$MIP.7777 > $LIP.[0-9]*: UDP, length 60000"
}
check echo_pcap_shows_fragments_both_ways t_pcap_fragments

stop_moat
t_service_count() {
	# 6 socat datagrams + 300 from the burst, each answered once.
	grep -q "service udp-echo:7777 handled 306$" "$MOAT_LOG" || grep "service udp-echo" "$MOAT_LOG"
}
check echo_service_answered_each_datagram_once t_service_count

# The stack as the client: a fresh stack for each run (it resolves Linux
# by ARP first), one datagram in flight at a time.
udp_echo_server 47000 || { echo "FAIL $SUITE.echo_server did not start"; exit 1; }
t_client() {
	local count=$1 size=$2 out rc
	out=$(M "$MOAT" stack --iface veth-m --addr "$MIP/24" --pcap "$TMP_DIR/client-$size.pcap" \
		--udp-client "$LIP:47000" --count "$count" --size "$size" --timeout 20 2>&1)
	rc=$?
	echo "$out" | grep -q "udp-client: sent $count, echoed intact $count, bad 0, lost 0" ||
		{ echo "exit $rc: $(echo "$out" | grep udp-client)"; return 1; }
	[ $rc -eq 0 ]
}
check stack_client_200_x_64_bytes t_client 200 64
check stack_client_50_x_1472_bytes t_client 50 1472
check stack_client_20_x_8000_bytes t_client 20 8000
check stack_client_5_x_60000_bytes t_client 5 60000

t_client_pcap() {
	local f=$TMP_DIR/client-60000.pcap
	pcap_has "$f" "arp.opcode==1 && eth.src==$M_MAC && arp.dst.proto_ipv4==$LIP" &&
	pcap_has "$f" "ip.src==$MIP && ip.flags.mf==1 && ip.proto==17" 40 &&
	pcap_has "$f" "ip.src==$LIP && ip.flags.mf==1 && ip.proto==17" 40 &&
	tcpdump -nn -r "$f" 2>/dev/null | grep -q "$LIP.47000 > $MIP.[0-9]*: UDP, length 60000" ||
		{ echo "no 60000-byte echo in $f"; return 1; }
}
check client_pcap_shows_arp_and_fragments t_client_pcap

# A Linux UDP client sending to a closed port of the stack gets
# ECONNREFUSED (the stack's port unreachable).
start_moat
t_closed_port() {
	L python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 4444))
s.send(b"x")
try:
    s.recv(10)
except ConnectionRefusedError:
    sys.exit(0)
except socket.timeout:
    print("timed out, no error"); sys.exit(1)
sys.exit(1)
' "$MIP"
}
check linux_client_to_closed_port_gets_econnrefused t_closed_port
