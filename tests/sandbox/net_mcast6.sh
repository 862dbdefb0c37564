#!/bin/bash
# Sandbox IPv6 multicast over its veth, against the host's Linux stack (as
# net_mcast.sh for IPv4):
#   - a program inside joins a link-scope group on eth0; tcpdump on the
#     host's end of the veth sees the stack's MLDv2 reports, as Linux sends
#     them (from the link-local address to ff02::16, hop limit 1, Router
#     Alert, CHANGE_TO_EXCLUDE on joining and CHANGE_TO_INCLUDE on leaving);
#   - a host socket's datagrams to the group (IPV6_MULTICAST_IF = the
#     veth) reach the program inside;
#   - the program's datagrams to the group reach a host socket that joined
#     it on the veth;
#   - our own datagrams out of eth0 come back to a member inside with
#     IPV6_MULTICAST_LOOP on, not with it off.
# The veth goes with moat; the background processes (moat, tcpdump, the
# host's python) are killed on exit, on failure too (lib.sh).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
command -v tcpdump >/dev/null || { echo "FAIL setup needs tcpdump"; exit 1; }
T=$(tmpd) || exit 1
chmod 755 "$T"
NET=$(pick_subnet 141) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
HIP=$NET.1
GROUP=ff02::6d:$(printf %x $((RANDOM % 65000 + 1)))
PORT=$((20000 + RANDOM % 20000))

# Inside: join, take one datagram from the host, leave and join again (so
# that reports go out while tcpdump surely listens), leave, join once
# more, then send to the group until stopped.
cat >"$T/inside.py" <<'EOF'
import socket, struct, sys, time
group, port = sys.argv[1], int(sys.argv[2])
idx = socket.if_nametoindex("eth0")
mreq = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", idx)
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind(("::", port))
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
r.settimeout(120)  # (a busy machine: the host may start sending late)
try:
    d, a = r.recvfrom(100)
    print("inside got", d.decode(), flush=True)
except socket.timeout:
    print("inside got nothing", flush=True)
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_LEAVE_GROUP, mreq)
time.sleep(2)
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, mreq)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
for i in range(1200):
    s.sendto(b"from sandbox", (group, port + 1))
    time.sleep(0.1)
EOF
# The host: send to the group out of the veth until the inside answers on
# port + 1 (joined on the veth), or give up.
cat >"$T/host.py" <<'EOF'
import socket, struct, sys, time
group, port, dev = sys.argv[1], int(sys.argv[2]), sys.argv[3]
idx = socket.if_nametoindex(dev)
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("::", port + 1))
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
             socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", idx))
r.settimeout(0.2)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
for i in range(600):
    s.sendto(b"from host", (group, port))
    try:
        d, a = r.recvfrom(100)
        print("host got", d.decode(), "from link-local" if a[0].startswith("fe80:") else a[0], flush=True)
        break
    except socket.timeout:
        pass
else:
    print("host got nothing", flush=True)
EOF

dev=""
net_bg inside --ip $SIP/24 -- python3 "$T/inside.py" $GROUP $PORT
MPID=$LAST
for i in $(seq 100); do
	dev=$(ip -o -4 addr show | awk -v a="$HIP/24" '$4 == a { print $2; exit }')
	[ -n "$dev" ] && break
	sleep 0.1
done
if [ -z "$dev" ]; then
	fail mcast6_setup "no host interface with $HIP: $(tail -3 "$T/inside.log" | tr '\n' '|')"
	exit 1
fi
hostll=""
for i in $(seq 50); do
	hostll=$(ip -6 -o addr show dev "$dev" scope link | awk '{ sub("/.*", "", $4); print $4; exit }')
	[ -n "$hostll" ] && break
	sleep 0.1
done
# Reports from the sandbox only (the host reports its own groups too).
timeout 150 tcpdump -i "$dev" -n -vv -l "ip6 dst ff02::16 and not src host ${hostll:-::}" \
	>"$T/tcpdump.txt" 2>"$T/tcpdump.err" &
sb_bg $!
TPID=$!
wait_for 10 grep -q "listening on" "$T/tcpdump.err"
# the sandbox's report of GROUP changing to $1, from its link-local address
rep() {
	grep -o "(hlim 1, next-header Options (0) payload length: 36) fe80::[0-9a-f:]* > ff02::16: HBH (rtalert: 0x0000) (padn) \[icmp6 sum ok\] ICMP6, multicast listener report v2, 1 group record(s) \[gaddr $GROUP $1 { }\]" \
		"$T/tcpdump.txt" | head -1 | sed 's/fe80::[0-9a-f:]*/fe80::X/'
}
out=$(timeout 150 python3 "$T/host.py" $GROUP $PORT "$dev" 2>&1)
expect mcast6_sandbox_to_host_group "host got from sandbox from link-local" "$out"
# Until the sandbox's second join is on the wire (it leaves, sleeps 2 s
# and joins again): "to_ex" alone also matched its solicited-node
# groups' reports and the host's own join from ::, and a loaded CI run
# stopped the sandbox before its join.
wait_for 60 eval '[ -n "$(rep to_ex)" ]'
net_stop "$MPID"
kill "$TPID" 2>/dev/null
wait "$TPID" 2>/dev/null
expect mcast6_host_to_sandbox_group "inside got from host" "$(grep '^inside' "$T/inside.log")"
want="(hlim 1, next-header Options (0) payload length: 36) fe80::X > ff02::16: HBH (rtalert: 0x0000) (padn) [icmp6 sum ok] ICMP6, multicast listener report v2, 1 group record(s) [gaddr $GROUP to_in { }]"
got=$(rep to_in)
expect mcast6_mldv2_leave_report_on_the_wire "$want" "${got:-$(cat "$T/tcpdump.txt" "$T/tcpdump.err")}"
want=${want/to_in/to_ex}
got=$(rep to_ex)
expect mcast6_mldv2_join_report_on_the_wire "$want" "${got:-$(cat "$T/tcpdump.txt" "$T/tcpdump.err")}"

# Our own multicast out of eth0 comes back to a member inside when
# IPV6_MULTICAST_LOOP is on (the stack loops a copy), and not when it is
# off.
cat >"$T/loop.py" <<'EOF2'
import socket, struct, sys
group, port = sys.argv[1], int(sys.argv[2])
idx = socket.if_nametoindex("eth0")
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("::", port))
r.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
             socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", idx))
r.settimeout(2)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
out = []
for loop in (1, 0):
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, loop)
    s.sendto(b"loop%d" % loop, (group, port))
    try:
        out.append(r.recv(100).decode())
    except socket.timeout:
        out.append("none")
print(" ".join(out))
EOF2
out=$("$MOAT" do --ip $SIP/24 python3 "$T/loop.py" $GROUP $((PORT + 2)) 2>&1)
expect mcast6_loop_on_eth0 "loop1 none" "$out"
