# Helpers for the interop scripts (sourced, not run: not executable).
# Builds on tests/lib/netns.sh: every namespace and process is removed by
# its EXIT/INT/TERM trap, on failure too.
#
#   interop_init PREFIX SUBNET     namespaces ${PREFIX}l (Linux, SUBNET.1/24 on
#                                  veth-l) and ${PREFIX}m (the netstack's, its
#                                  veth-m has no kernel address); a scratch
#                                  directory in $TMP_DIR
#   start_moat ARGS...             moat stack --iface veth-m --addr SUBNET.2/24
#                                  ARGS in ${PREFIX}m; waits for "ready";
#                                  log in $MOAT_LOG, pid in $MOAT_PID
#   moat_stats                     ask for counters (SIGUSR1); prints them
#   stop_moat                      SIGTERM, wait; the exit statistics stay in
#                                  $MOAT_LOG
#   check NAME CMD...              run CMD; PASS NAME or FAIL NAME (+ output);
#                                  CMD runs in a subshell; what it starts in
#                                  the background is stopped when it ends
#   udp_echo_server PORT           a python3 UDP echo server on LIP:PORT in the
#                                  Linux namespace (socat EXEC:cat would split
#                                  big datagrams)
#   pcap_has FILE FILTER [MIN]     tshark finds at least MIN (1) frames
#   L CMD... / M CMD...            run CMD in the Linux / moat namespace

. "$(dirname "${BASH_SOURCE[0]}")/../lib/netns.sh"

TMP_DIR=""
_interop_cleanup() {
	netns_cleanup
	[ -n "$TMP_DIR" ] && rm -rf "$TMP_DIR"
}
trap _interop_cleanup EXIT
trap '_interop_cleanup; exit 130' INT TERM

L() { ip netns exec "$NS_L" "$@"; }
M() { ip netns exec "$NS_M" "$@"; }

interop_init() {
	local prefix=$1
	NET=$2
	LIP=$NET.1
	MIP=$NET.2
	if [ "$(id -u)" != 0 ]; then
		echo "FAIL $SUITE.setup needs root (network namespaces)"
		exit 1
	fi
	if [ ! -x "$MOAT" ]; then
		echo "FAIL $SUITE.setup $MOAT not built"
		exit 1
	fi
	TMP_DIR=$(mktemp -d "/tmp/moat-$prefix.XXXXXX")
	if ! netns_setup "$prefix"; then
		echo "FAIL $SUITE.setup could not create namespaces/veth"
		exit 1
	fi
	ip -n "$NS_L" addr add "$LIP/24" dev veth-l
	# No IPv6 chatter (router solicitations, DAD) on the test link.
	L sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	M sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	L_MAC=$(L cat /sys/class/net/veth-l/address)
	M_MAC=$(M cat /sys/class/net/veth-m/address)
}

start_moat() {
	MOAT_LOG=$TMP_DIR/moat.log
	: >"$MOAT_LOG"
	bg ip netns exec "$NS_M" "$MOAT" stack --iface veth-m --addr "$MIP/24" "$@" >>"$MOAT_LOG" 2>&1
	MOAT_PID=$LAST_PID
	if ! wait_for_line "$MOAT_LOG" "moat stack: ready" 60; then
		echo "FAIL $SUITE.start moat stack did not come up:"
		sed 's/^/     /' "$MOAT_LOG"
		exit 1
	fi
}

moat_stats() {
	local n
	n=$(grep -c "pool:" "$MOAT_LOG")
	kill -USR1 "$MOAT_PID" 2>/dev/null
	local end=$((SECONDS + 60)) # generous: a loaded machine
	while [ "$(grep -c "pool:" "$MOAT_LOG")" -le "$n" ] && [ $SECONDS -lt $end ]; do
		sleep 0.05
	done
	# The last block of counters.
	awk '/^counters:/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$MOAT_LOG"
}

stop_moat() {
	kill -TERM "$MOAT_PID" 2>/dev/null
	wait "$MOAT_PID" 2>/dev/null
	# From inside `check` (a subshell) wait does not apply: poll until the
	# process is gone, so that the next stack has the interface alone.
	local end=$((SECONDS + 60)) # generous: a loaded machine
	while kill -0 "$MOAT_PID" 2>/dev/null && [ $SECONDS -lt $end ]; do
		sleep 0.05
	done
}

check() {
	local name=$1
	shift
	local out
	if out=$(_check_run "$@" 2>&1); then
		pass "$SUITE.$name"
	else
		fail "$SUITE.$name" "$(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}

# In check's subshell: run CMD, then stop what it started in the background
# and left running (a failing check returns early), since the cleanup trap
# of the suite never learns of those pids.
_check_run() {
	local n=${#_BG_PIDS[@]} rc i
	"$@"
	rc=$?
	for ((i = n; i < ${#_BG_PIDS[@]}; i++)); do
		kill "${_BG_PIDS[i]}" 2>/dev/null
		wait "${_BG_PIDS[i]}" 2>/dev/null
	done
	return $rc
}

udp_echo_server() {
	local port=$1
	bg ip netns exec "$NS_L" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
s.bind((sys.argv[1], int(sys.argv[2])))
print("bound", flush=True)
while True:
    d, a = s.recvfrom(65535)
    s.sendto(d, a)
' "$LIP" "$port" >"$TMP_DIR/echo-$port.log" 2>&1
	wait_for_line "$TMP_DIR/echo-$port.log" bound 60
}

pcap_has() {
	local file=$1 filter=$2 min=${3:-1} n
	n=$(tshark -r "$file" -Y "$filter" 2>/dev/null | wc -l)
	if [ "$n" -lt "$min" ]; then
		echo "pcap $file: $n frames match '$filter', want >= $min"
		return 1
	fi
}
