#!/bin/bash
# Sandbox IPv4 multicast over its veth, against the host's Linux stack:
#   - a program inside joins a group; tcpdump on the host's end of the veth
#     sees the stack's IGMPv3 membership report;
#   - a host socket's datagrams to the group (IP_MULTICAST_IF = the veth's
#     host address) reach the program inside;
#   - the program's datagrams to the group reach a host socket that joined
#     it on the veth.
# The veth goes with moat; the background processes (moat, tcpdump, the
# host's python) are killed on exit, on failure too (lib.sh).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
command -v tcpdump >/dev/null || { echo "FAIL setup needs tcpdump"; exit 1; }
T=$(tmpd) || exit 1
chmod 755 "$T"
NET=$(pick_subnet 131) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
HIP=$NET.1
GROUP=239.77.$((RANDOM % 250)).$((RANDOM % 250 + 1))
PORT=$((20000 + RANDOM % 20000))

# Inside: join, take one datagram from the host (the host sends once
# tcpdump listens), leave and join again (so that reports go out while
# tcpdump surely listens), then send to the group until stopped.
cat >"$T/inside.py" <<'EOF'
import socket, sys, time
group, port, me = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mreq = socket.inet_aton(group) + socket.inet_aton(me)
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
r.bind(("", port))
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
r.settimeout(120)  # (a busy machine: the host may start sending late)
try:
    d, a = r.recvfrom(100)
    print("inside got", d.decode(), flush=True)
except socket.timeout:
    print("inside got nothing", flush=True)
r.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP, mreq)
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(me))
for i in range(1200):
    s.sendto(b"from sandbox", (group, port + 1))
    time.sleep(0.1)
EOF
# The host: send to the group out of the veth until the inside answers on
# port + 1 (joined on the veth), or give up.
cat >"$T/host.py" <<'EOF'
import socket, sys, time
group, port, me = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("", port + 1))
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton(me))
r.settimeout(0.2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(me))
for i in range(600):
    s.sendto(b"from host", (group, port))
    try:
        d, a = r.recvfrom(100)
        print("host got", d.decode(), "from", a[0], flush=True)
        break
    except socket.timeout:
        pass
else:
    print("host got nothing", flush=True)
EOF

net_bg inside --ip $SIP/24 -- python3 "$T/inside.py" $GROUP $PORT $SIP
MPID=$LAST
dev=""
for i in $(seq 100); do
	dev=$(ip -o -4 addr show | awk -v a="$HIP/24" '$4 == a { print $2; exit }')
	[ -n "$dev" ] && break
	sleep 0.1
done
if [ -z "$dev" ]; then
	fail mcast_setup "no host interface with $HIP: $(tail -3 "$T/inside.log" | tr '\n' '|')"
	exit 1
fi
timeout 150 tcpdump -i "$dev" -n -l -c 1 "igmp and src host $SIP" >"$T/tcpdump.txt" 2>"$T/tcpdump.err" &
sb_bg $!
TPID=$!
wait_for 10 grep -q "listening on" "$T/tcpdump.err"
out=$(timeout 150 python3 "$T/host.py" $GROUP $PORT $HIP 2>&1)
expect mcast_sandbox_to_host_group "host got from sandbox from $SIP" "$out"
wait "$TPID" 2>/dev/null
net_stop "$MPID"
expect mcast_host_to_sandbox_group "inside got from host" "$(grep '^inside' "$T/inside.log")"
want="$SIP > 224.0.0.22: igmp v3 report"
got=$(grep -o "$want" "$T/tcpdump.txt" | head -1)
expect mcast_igmpv3_report_on_the_wire "$want" "${got:-$(cat "$T/tcpdump.txt" "$T/tcpdump.err")}"

# Our own multicast out of eth0 comes back to a member inside when
# IP_MULTICAST_LOOP is on (the stack loops a copy), and not when it is off.
cat >"$T/loop.py" <<'EOF2'
import socket, sys
group, port, me = sys.argv[1], int(sys.argv[2]), sys.argv[3]
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("", port))
r.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             socket.inet_aton(group) + socket.inet_aton(me))
r.settimeout(2)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(me))
out = []
for loop in (1, 0):
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, loop)
    s.sendto(b"loop%d" % loop, (group, port))
    try:
        out.append(r.recv(100).decode())
    except socket.timeout:
        out.append("none")
print(" ".join(out))
EOF2
out=$("$MOAT" do --ip $SIP/24 python3 "$T/loop.py" $GROUP $((PORT + 2)) $SIP 2>&1)
expect mcast_loop_on_eth0 "loop1 none" "$out"
