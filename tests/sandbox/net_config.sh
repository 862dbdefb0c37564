#!/bin/bash
# The sandbox's network configuration belongs to the sandbox (issue 12):
# as root inside, `ip addr add/del`, `ip route add/del/replace`, `ip link
# set lo up` and the SIOCSIF* ioctls that change nothing work on the
# sandbox's netstack (sentry/socket/netlink.c, inet_dev.c); an added
# address can be bound, a deleted one not; without CAP_NET_ADMIN every
# change is EPERM; the host's own addresses and routes do not change.
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
ip link set lo down 2>/dev/null || echo lo stays up
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
lo stays up
RTNETLINK answers: Operation not permitted" "$out"
# (other sandboxes may come and go meanwhile: look for ours only)
expect host_network_unchanged "" "$({ ip route show; ip -4 addr show; } | grep -E '10\.9[789]\.')"
