#!/bin/bash
# The sandbox's network configuration belongs to the sandbox (issue 12):
# as root inside, `ip addr add/del`, `ip route add/del/replace`, `ip link
# set IF up|down|mtu N`, `ip neigh add|del` and the SIOCSIF* ioctls work on
# the sandbox's netstack (sentry/socket/netlink.c, inet_dev.c); an added
# address can be bound, a deleted one not; eth0's MTU is the MSS the host
# sees, eth0 down makes traffic fail and up restores it, a permanent
# neighbour is used without ARP; without CAP_NET_ADMIN every change is
# EPERM; the host's own addresses and routes do not change.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
NET=$(pick_subnet 71) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
BIND='import socket, sys
s = socket.socket()
try:
    s.bind((sys.argv[1], 0)); print("bind ok")
except OSError as e:
    print("bind", e.strerror)'
out=$("$MOAT" do --ip $SIP/24 -- sh -c "
python3 -c '$BIND' 10.99.0.5
ip addr add 10.99.0.5/24 dev eth0 && echo added
ip -4 -o addr show dev eth0 | awk '{ print \$4 }'
python3 -c '$BIND' 10.99.0.5
ip addr add 10.99.0.5/24 dev eth0 2>&1
ip route add 10.98.0.0/16 via $NET.1 && echo route added
ip route add 10.97.0.0/16 dev eth0 && echo dev route added
ip route get 10.98.1.1 | head -1 | awk '{ print \$1, \$2, \$3 }'
ip route replace 10.97.0.0/16 via $NET.1 && ip route show 10.97.0.0/16 | awk '{ print \$1, \$2, \$3 }'
ip route del 10.98.0.0/16 && echo route deleted
ip route show 10.98.0.0/16 | wc -l
ip addr del 10.99.0.5/24 dev eth0 && echo deleted
ip addr del 10.99.0.5/24 dev eth0 2>&1
python3 -c '$BIND' 10.99.0.5
ip link set lo up && echo lo up
ip link set lo down && ip -o link show lo | grep -o '<[^>]*>'
ip link set lo up && ip -o link show lo | grep -o '<[^>]*>'
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all ip addr add 10.99.0.6/24 dev eth0 2>&1
" 2>&1)
expect config_changes_the_sandbox_stack "bind Cannot assign requested address
added
$SIP/24
10.99.0.5/24
bind ok
RTNETLINK answers: File exists
route added
dev route added
10.98.1.1 via $NET.1
10.97.0.0/16 via $NET.1
route deleted
0
deleted
RTNETLINK answers: Cannot assign requested address
bind Cannot assign requested address
lo up
<LOOPBACK>
<LOOPBACK,UP,LOWER_UP>
RTNETLINK answers: Operation not permitted" "$out"
# (other sandboxes may come and go meanwhile: look for ours only)
expect host_network_unchanged "" "$({ ip route show; ip -4 addr show; } | grep -E '10\.9[789]\.')"

# --- eth0: MTU, down and up, a permanent neighbour ---
T=$(tmpd)
PORT=$((47000 + $$ % 1000))
# The host's listener: the MSS each connection from the sandbox came with.
cat >"$T/srv.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
s.settimeout(280)
while True:
    try:
        c, _ = s.accept()
    except OSError:
        break
    print(c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG), flush=True)
    c.close()
PY
timeout 300 python3 "$T/srv.py" $PORT >"$T/srv.log" 2>&1 &
sb_bg $!
sleep 0.3
CONN='import socket, sys
s = socket.socket()
s.settimeout(10)
try:
    s.connect((sys.argv[1], int(sys.argv[2]))); print("connect ok")
except OSError as e:
    print("connect", e.strerror)'
out=$("$MOAT" do --ip $SIP/24 -- sh -c "
python3 -c '$CONN' $NET.1 $PORT
ip link set eth0 mtu 1400 && ip -o link show eth0 | grep -o 'mtu [0-9]*'
python3 -c '$CONN' $NET.1 $PORT
ip link set eth0 mtu 67 2>&1
ip link set eth0 mtu 65536 2>&1
ip route add 10.98.0.0/16 via $NET.1
ip link set eth0 down && ip -o link show eth0 | grep -o '<[^>]*>'
ip -4 -o addr show dev eth0 | awk '{ print \$4 }'
python3 -c '$CONN' $NET.1 $PORT
ip route show | wc -l
ip route add 10.98.0.0/16 dev eth0 2>&1
ip link set eth0 up && ip -o link show eth0 | grep -o '<[^>]*>'
ip route show
python3 -c '$CONN' $NET.1 $PORT
" 2>&1)
[ "${V:-}" ] && echo "$out"
expect eth0_mtu_down_up "connect ok
mtu 1400
connect ok
Error: mtu less than device minimum.
Error: mtu greater than device maximum.
<BROADCAST,MULTICAST>
$SIP/24
connect Network is unreachable
0
Error: Nexthop device is not up.
<BROADCAST,MULTICAST,UP,LOWER_UP>
$NET.0/24 dev eth0 proto kernel scope link src $SIP 
connect ok" "$out"
sleep 0.5
# The host saw MSS 1460 and then 1360 (less 12 for timestamps).
expect eth0_mtu_is_the_mss_the_host_sees "1448
1348
1348" "$(cat "$T/srv.log")"

# A permanent entry: frames go to its address, with no ARP request.
FAKE=02:00:00:6d:6f:61
out=$("$MOAT" do --ip $SIP/24 --pcap "$T/neigh.pcap" -- sh -c "
ip neigh add $NET.1 lladdr $FAKE dev eth0 nud permanent && echo added
ip neigh add $NET.1 lladdr $FAKE dev eth0 nud permanent 2>&1
ip neigh show dev eth0
python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b\"x\", (\"$NET.1\", 9))'
ip neigh replace $NET.1 lladdr 02:00:00:6d:6f:62 dev eth0 nud reachable && ip neigh show dev eth0 | awk '{ print \$2, \$3 }'
ip neigh del $NET.1 dev eth0 && echo deleted
ip neigh del $NET.1 dev eth0 2>&1
ip neigh add 10.99.0.1 dev eth0 lladdr 02:00:00:00:00:01 2>&1 >/dev/null && echo off-link accepted
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all ip neigh add $NET.9 lladdr $FAKE dev eth0 2>&1
setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all ip link set eth0 mtu 1400 2>&1
" 2>&1)
expect neigh_add_show_replace_del "added
RTNETLINK answers: File exists
$NET.1 lladdr $FAKE PERMANENT 
lladdr 02:00:00:6d:6f:62
deleted
RTNETLINK answers: No such file or directory
off-link accepted
RTNETLINK answers: Operation not permitted
RTNETLINK answers: Operation not permitted" "$out"
to_fake=$(tcpdump -enr "$T/neigh.pcap" "udp and dst host $NET.1 and dst port 9" 2>/dev/null | grep -c "> $FAKE")
expect neigh_permanent_used "1" "$to_fake"
arps=$(tcpdump -nr "$T/neigh.pcap" "arp and arp[24:4] = 0x$(printf '%02x' ${NET//./ } 1)" 2>/dev/null | wc -l)
expect neigh_permanent_no_arp "0" "$arps"
