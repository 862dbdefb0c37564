#!/bin/bash
# Sandbox networking, end to end with unmodified Debian programs:
#   - --network=none: a client and a server over 127.0.0.1 and ::1 inside;
#     only lo exists and no host interface appears;
#   - what programs read: ip addr/route/link (netlink), getaddrinfo and
#     getifaddrs (python3), /proc/net/*, /etc/hosts (getent), resolv.conf;
#   - clients inside: curl and wget from an HTTP server on the host side's
#     address, over IPv4 and over the sandbox's IPv6 /64; socat TCP and UDP both directions (published ports too);
#   - --pcap: tcpdump -r reads it, the fetched connection's handshake is in;
#   - two sandboxes at once get different subnets;
#   - cleanup: nothing left after a normal end, and after SIGKILL (the veth
#     goes with moat; the next start removes the record), -p forwarder too;
#   - --nat: a namespace behind the host answers only with it, and its
#     iptables rules go with the sandbox;
#   - --network=host works (with its warning); bad network options are 125.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
T=$(tmpd) || exit 1
chmod 755 "$T"
NET=$(pick_subnet 61) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
HIP=$NET.1
PORT=$((20000 + RANDOM % 20000))
before=$(moat_ifaces)

# --- loopback only ---
cat >"$T/lo.py" <<'EOF'
import socket, threading
ok = []
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((host, 0)); s.listen(1)
    port = s.getsockname()[1]
    def srv():
        c, _ = s.accept()
        d = b""
        while True:
            x = c.recv(65536)
            if not x: break
            d += x
        c.sendall(b"%d" % len(d)); c.close()
    t = threading.Thread(target=srv); t.start()
    c = socket.create_connection((host, port))
    c.sendall(b"x" * 3000000); c.shutdown(socket.SHUT_WR)
    ok.append(c.recv(100).decode()); c.close(); t.join()
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((host, 0))
    v = socket.socket(fam, socket.SOCK_DGRAM); v.sendto(b"ping", u.getsockname())
    ok.append(u.recvfrom(10)[0].decode())
print(" ".join(ok))
EOF
out=$("$MOAT" do --network=none python3 "$T/lo.py" 2>&1)
expect none_loopback_tcp_udp_v4_v6 "3000000 ping 3000000 ping" "$out"
# ping sockets (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6), as Linux's: the stack sets
# the id and checksum, only echo requests go out, the reply comes back
# whole with the socket's id, SO_TIMESTAMP stamps it; a reader parked
# before the loopback reply arrives is woken (it once slept until some
# unrelated event: 20 rounds each way).
cat >"$T/pingsock.py" <<'EOF'
import socket, struct, errno
out = []
for fam, host, req, rep, proto in ((socket.AF_INET, "127.0.0.1", 8, 0, socket.IPPROTO_ICMP),
                                   (socket.AF_INET6, "::1", 128, 129, socket.IPPROTO_ICMPV6)):
    s = socket.socket(fam, socket.SOCK_DGRAM, proto)
    s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP
    s.settimeout(2)
    try:
        s.sendto(struct.pack("!BBHHH", 13, 0, 0, 0, 1), (host, 0))
    except OSError as e:
        out.append(errno.errorcode[e.errno])
    good = 0
    for seq in range(20):
        s.sendto(struct.pack("!BBHHH", req, 0, 0, 0, seq) + b"abc", (host, 0))
        d, anc, _, a = s.recvmsg(100, 100)
        myid = s.getsockname()[1]
        good += d[0] == rep and struct.unpack("!H", d[4:6])[0] == myid and \
            struct.unpack("!H", d[6:8])[0] == seq and d[8:] == b"abc" and \
            any(l == socket.SOL_SOCKET and t == 29 for l, t, _ in anc)
    out.append(str(good))
print(" ".join(out))
EOF
out=$("$MOAT" do --network=none python3 "$T/pingsock.py" 2>&1)
expect none_ping_sockets "EINVAL 20 EINVAL 20" "$out"
out=$("$MOAT" do --network=none sh -c 'ping -c 3 -i 0.2 -W 2 127.0.0.1; ping -6 -c 3 -i 0.2 -W 2 ::1' 2>&1 |
	grep -o '[0-9]* received' | tr '\n' ' ')
expect none_ping_loopback "3 received 3 received " "$out"
out=$("$MOAT" do --network=none ip route get 192.0.2.7 2>&1)
expect none_route_get_unreachable "RTNETLINK answers: Network is unreachable" "$out"
expect none_only_lo "lo" "$("$MOAT" do --network=none sh -c "ip -o link | awk -F': ' '{print \$2}'" 2>&1)"
"$MOAT" do --network=none sleep 2 &
P=$!
sb_bg $P
sleep 1
# no veth: moat records every veth it makes under /run/moat/net/PID
[ -e /run/moat/net/$P ] && fail none_no_host_interface "$(cat /run/moat/net/$P)" || pass none_no_host_interface
wait $P
out=$("$MOAT" do --network=none python3 -c 'import socket; s=socket.socket(); s.settimeout(3)
try:
    s.connect(("10.1.2.3", 80))
except OSError as e: print(e.errno)' 2>&1)
expect none_unreachable_outside 101 "$out"

# --- what programs read ---
python3 -m http.server -b :: $PORT -d "$T" >/dev/null 2>&1 & # (IPv4 too)
HOSTHTTP=$!
sb_bg $HOSTHTTP
echo "from the host" >"$T/hello.txt"
cat >"$T/inside.sh" <<EOF
ip -4 -o addr show dev eth0 | awk '{print \$4}'
ip route | grep '^default'
ip -o link show eth0 | grep -o 'state UP'
python3 -c 'import socket; print(sorted(n for _, n in socket.if_nameindex()))'
python3 -c 'import socket; print(socket.getaddrinfo("moat", 80, type=socket.SOCK_STREAM)[0][4][0])'
getent ahostsv4 host.moat.internal | head -1 | awk '{print \$1}'
getent hosts extra.example | awk '{print \$1}'
getent ahostsv4 localhost | head -1 | awk '{print \$1}'
grep -c eth0 /proc/net/dev
awk 'NR>1 {print \$1, \$2}' /proc/net/route | head -1
grep -q '^nameserver 192.0.2.53' /etc/resolv.conf && echo resolv-ok
curl -sf http://host.moat.internal:$PORT/hello.txt
wget -qO- http://$HIP:$PORT/hello.txt
ip -6 -o addr show dev eth0 scope global | awk '{print \$4}' | grep -cE '^fd00:6d6f:6174:([0-9a-f]+:)?:2/64\$'
gw6=\$(ip -6 route | awk '/^default/ {print \$3}')
echo "\$gw6" | grep -cE '^fd00:6d6f:6174:([0-9a-f]+:)?:1\$'
curl -sf "http://[\$gw6]:$PORT/hello.txt"
ip route get 192.0.2.7 | head -1 | sed 's/ *\$//'
ping -c 2 -i 0.2 -W 2 host.moat.internal 2>/dev/null | grep -o '[0-9]* received'
ping -6 -c 2 -i 0.2 -W 2 "\$gw6" 2>/dev/null | grep -o '[0-9]* received'
EOF
out=$("$MOAT" do --ip $SIP/24 --dns 192.0.2.53 --add-host extra.example:192.0.2.7 sh "$T/inside.sh" 2>&1)
expect_same inside_view "$SIP/24
default via $HIP dev eth0 
state UP
['eth0', 'lo']
$SIP
$HIP
192.0.2.7
127.0.0.1
1
eth0 00$(printf '%02X' "$(echo $NET | cut -d. -f3)")D40A
resolv-ok
from the host
from the host
1
1
from the host
192.0.2.7 via $HIP dev eth0 src $SIP
2 received
2 received" "$out"

# --- /proc/net/tcp shows a listener; ss reads it ---
out=$("$MOAT" do --ip $SIP/24 sh -c 'python3 -c "
import socket
s = socket.socket(); s.bind((\"0.0.0.0\", 4242)); s.listen()
print(open(\"/proc/net/tcp\").read().split(\"\n\")[1].split()[1:4])"' 2>&1)
expect proc_net_tcp_listener "['00000000:1092', '00000000:0000', '0A']" "$out"

# --- socat both ways, TCP and UDP ---
# One datagram, one answer within 30 s (socat's UDP client cannot tell the
# answer's end: it waits for its -t or -T to run out).
UDP_ASK='import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(30)
s.sendto(sys.argv[3].encode() + b"\n", (sys.argv[1], int(sys.argv[2])))
print(s.recv(1000).decode().strip())' 
net_bg socat_tcp --ip $SIP/24 -p 127.0.0.1:$((PORT + 1)):7000 -p 127.0.0.1:$((PORT + 1)):7001/udp -- \
	sh -c 'socat -T 5 UDP-RECVFROM:7001,fork EXEC:"tr a-z A-Z" & exec socat TCP-LISTEN:7000,fork,reuseaddr EXEC:"tr a-z A-Z"'
S1=$LAST
if wait_tcp $SIP 7000 120; then
	# (generous: the answer needs a fork and an exec of tr inside the
	# sandbox, seconds on a loaded machine. socat's -t: after its stdin
	# ends it waits only 0.5 s for the answer by default, and then exits
	# with nothing: that, not moat, failed these checks under load.)
	got=$(echo 'hello tcp' | timeout 60 socat -t 30 -T 30 - TCP:127.0.0.1:$((PORT + 1)) 2>&1)
	expect socat_tcp_host_to_sandbox "HELLO TCP" "$got$([ "$got" = "HELLO TCP" ] || tail -3 "$T/socat_tcp.log")"
	got=$(timeout 60 python3 -c "$UDP_ASK" 127.0.0.1 $((PORT + 1)) 'hello udp' 2>&1)
	expect socat_udp_host_to_sandbox "HELLO UDP" "$got$([ "$got" = "HELLO UDP" ] || tail -3 "$T/socat_tcp.log")"
else
	fail socat_sandbox_server_listens "$(tail -3 "$T/socat_tcp.log")"
fi
net_stop $S1
# (no fork: a forked child would outlive the kill and hold our stdout)
timeout 20 socat TCP-LISTEN:$((PORT + 2)),reuseaddr EXEC:"tr a-z A-Z" >/dev/null 2>&1 &
sb_bg $!
timeout 20 socat -T 5 UDP-RECVFROM:$((PORT + 2)) EXEC:"tr a-z A-Z" >/dev/null 2>&1 &
sb_bg $!
sleep 0.3
out=$("$MOAT" do --ip $SIP/24 sh -c "echo to host | socat -t 30 - TCP:$HIP:$((PORT + 2)); python3 -c '$UDP_ASK' $HIP $((PORT + 2)) 'to host udp'" 2>&1)
expect socat_sandbox_to_host_tcp_udp "TO HOST
TO HOST UDP" "$out"

# --- pcap of a fetched connection ---
"$MOAT" do --ip $SIP/24 --pcap "$T/run.pcap" curl -sf -o /dev/null http://$HIP:$PORT/hello.txt
expect pcap_run_ok 0 "$?"
syns=$(tcpdump -nr "$T/run.pcap" "tcp port $PORT and tcp[tcpflags] & tcp-syn != 0" 2>/dev/null | wc -l)
expect pcap_has_syn_and_synack 2 "$syns"
tcpdump -nr "$T/run.pcap" 2>/dev/null | grep -q "ARP" && pass pcap_has_arp || fail pcap_has_arp
"$MOAT" do --network=none --pcap "$T/lo.pcap" python3 "$T/lo.py" >/dev/null 2>&1
n=$(tcpdump -nr "$T/lo.pcap" 'host 127.0.0.1 or host ::1' 2>/dev/null | wc -l)
[ "$n" -gt 10 ] && pass "pcap_loopback_frames ($n)" || fail pcap_loopback_frames "$n frames"

# --- two sandboxes at once ---
net_bg two_a -- sleep 5
A=$LAST
net_bg two_b -- sleep 5
B=$LAST
sleep 1.5
# (other sandboxes may run on this host: look at these two only)
va=$(awk '/^veth / {print $2}' /run/moat/net/$A 2>/dev/null)
vb=$(awk '/^veth / {print $2}' /run/moat/net/$B 2>/dev/null)
if [ -n "$va" ] && [ -n "$vb" ] && [ "$va" != "$vb" ] && ip link show "$va" >/dev/null 2>&1 &&
	ip link show "$vb" >/dev/null 2>&1; then
	pass two_sandboxes_two_veths
else
	fail two_sandboxes_two_veths "[$va] [$vb]"
fi
na=$(ip -4 -o addr show dev "$va" 2>/dev/null | awk '{print $4}')
nb=$(ip -4 -o addr show dev "$vb" 2>/dev/null | awk '{print $4}')
[ -n "$na" ] && [ -n "$nb" ] && [ "$na" != "$nb" ] && pass two_sandboxes_distinct_subnets ||
	fail two_sandboxes_distinct_subnets "[$na] [$nb]"
net_stop $A
net_stop $B

# --- cleanup ---
left=
for v in $va $vb; do ip link show "$v" >/dev/null 2>&1 && left="$left $v"; done
expect no_veth_after_exit "" "$left"
[ -e /run/moat/net/$A ] || [ -e /run/moat/net/$B ] && fail no_record_after_exit || pass no_record_after_exit
"$MOAT" do --ip $SIP/24 -p 127.0.0.1:$((PORT + 3)):80 sleep 30 >/dev/null 2>&1 &
K=$!
sb_bg $K
# (until its network record and its forwarder exist: 30 s on a loaded machine)
for i in $(seq 300); do
	fwd=$(pgrep -P $K -x moat-fwd)
	vk=$(awk '/^veth / {print $2}' /run/moat/net/$K 2>/dev/null)
	[ -n "$fwd" ] && [ -n "$vk" ] && break
	sleep 0.1
done
kill -KILL $K
wait $K 2>/dev/null
# (the veth goes with the sentry's network namespace, which the kernel
# tears down in the background: up to 10 s on a loaded machine)
for i in $(seq 100); do [ -n "$vk" ] && ip link show "$vk" >/dev/null 2>&1 || break; sleep 0.1; done
[ -n "$vk" ] && ! ip link show "$vk" >/dev/null 2>&1 && pass sigkill_veth_gone || fail sigkill_veth_gone "[$vk]"
# gone, or a zombie waiting for init to reap it
st=$(awk '{print $3}' /proc/$fwd/stat 2>/dev/null)
[ -n "$fwd" ] && { [ -z "$st" ] || [ "$st" = Z ]; } && pass sigkill_forwarder_gone ||
	fail sigkill_forwarder_gone "pid $fwd state $st"
# the network watchdog removes the record within moments (10 s: a loaded machine)
for i in $(seq 100); do [ -e /run/moat/net/$K ] || break; sleep 0.1; done
[ -e /run/moat/net/$K ] && fail sigkill_record_removed_by_watchdog || pass sigkill_record_removed_by_watchdog

# --- --nat: a network only the host reaches ---
# Namespace $NATNS behind a veth from the host (10.213.Y.0/24) has no route
# back to the sandbox's subnet: its answers come back only when the host
# masquerades the sandbox's traffic. Removed at exit, on failure too.
NATNS=mnat$$ NATH=mnh$$ NATX=mnx$$
nat_cleanup() {
	ip netns del "$NATNS" 2>/dev/null
	ip link del "$NATH" 2>/dev/null
}
trap 'nat_cleanup; sb_cleanup' EXIT
trap 'nat_cleanup; sb_cleanup; exit 130' INT TERM
Y=
for y in $(seq 1 250); do
	ip -4 addr show | grep -q " 10\.213\.$y\." || { Y=$y; break; }
done
NSB=$(pick_subnet $((${NET##*.} + 1))) # the sandbox's own subnet, fixed with --ip
if [ -n "$Y" ] && [ -n "$NSB" ] && ip netns add "$NATNS" &&
	ip link add "$NATH" type veth peer name "$NATX" && ip link set "$NATX" netns "$NATNS" &&
	ip addr add 10.213.$Y.1/24 dev "$NATH" && ip link set "$NATH" up &&
	ip -n "$NATNS" addr add 10.213.$Y.2/24 dev "$NATX" && ip -n "$NATNS" link set "$NATX" up; then
	ip netns exec "$NATNS" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8099))
s.listen(5)
while True:
    c, a = s.accept()
    c.sendall(("peer %s\n" % a[0]).encode())
    c.close()
' 10.213.$Y.2 >/dev/null 2>&1 &
	sb_bg $!
	ask="import socket
try:
    print(socket.create_connection(('10.213.$Y.2', 8099), timeout=3).recv(100).decode().strip())
except OSError as e:
    print('no answer')"
	sleep 0.5
	expect nat_off_no_answer "no answer" "$("$MOAT" do --ip $NSB.2/24 python3 -c "$ask" 2>&1)"
	expect nat_reaches_behind_host "peer 10.213.$Y.1" "$("$MOAT" do --ip $NSB.2/24 --nat python3 -c "$ask" 2>&1)"
	expect nat_rules_gone_after_exit 0 "$(iptables -w -t nat -S POSTROUTING | grep -c -- "-s $NSB.0/24")"
	"$MOAT" do --ip $NSB.2/24 --nat sleep 100 >/dev/null 2>&1 &
	KN=$!
	sb_bg $KN
	for i in $(seq 100); do iptables -w -t nat -S POSTROUTING | grep -q -- "-s $NSB.0/24" && break; sleep 0.1; done
	kill -KILL $KN
	wait $KN 2>/dev/null
	for i in $(seq 100); do iptables -w -t nat -S POSTROUTING | grep -q -- "-s $NSB.0/24" || break; sleep 0.1; done
	expect nat_rules_gone_at_once_after_sigkill 0 "$(iptables -w -t nat -S POSTROUTING | grep -c -- "-s $NSB.0/24")"
else
	fail nat_setup "could not make the namespace behind the host"
fi
nat_cleanup

# --- host mode, bad options ---
out=$("$MOAT" do --network=host sh -c "curl -sf http://127.0.0.1:$PORT/hello.txt" 2>"$T/host.err")
expect host_mode_reaches_host "from the host" "$out"
grep -q "weaker isolation" "$T/host.err" && pass host_mode_warns || fail host_mode_warns "$(cat "$T/host.err")"
"$MOAT" do --network=bogus true 2>/dev/null
expect bad_network_125 125 "$?"
"$MOAT" do -p 99999:1 true 2>/dev/null
expect bad_publish_125 125 "$?"
"$MOAT" do --network=none -p 8080:80 true 2>/dev/null
expect publish_needs_network_125 125 "$?"
kill $HOSTHTTP 2>/dev/null
