# Helpers for the sandbox networking suites (tests/sandbox/net_*.sh), on top
# of lib.sh. Source after lib.sh.
#
#   net_bg NAME MOAT-ARGS... -- CMD...   start `moat do` in the background,
#                                          output in $T/NAME.log, pid in $LAST
#   net_stop PID                           SIGTERM, then SIGKILL, then wait
#   wait_tcp IP PORT [SECONDS]             until a TCP connect succeeds
#   moat_ifaces                            host interfaces named moatN
#   SUBNET                                 a /24 prefix for this suite's --ip,
#                                          e.g. 10.212.7 (free on the host)

net_bg() {
	local name=$1
	shift
	"$MOAT" do "$@" >"$T/$name.log" 2>&1 &
	LAST=$!
	sb_bg "$LAST"
}

net_stop() {
	kill -TERM "$1" 2>/dev/null
	local i
	for i in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

wait_tcp() {
	local end=$((SECONDS + ${3:-15}))
	while [ $SECONDS -lt $end ]; do
		# Only through a sandbox's veth: before it exists the default
		# route may lead to something that accepts any connection.
		ip route get "$1" 2>/dev/null | grep -q " dev moat[0-9]" &&
			timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

moat_ifaces() {
	ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E '^moat[0-9]+$' | sort
}

# A /24 nobody on the host uses (10.212.X.0/24).
pick_subnet() {
	local x
	for x in $(seq "${1:-1}" 250); do
		ip -4 addr show | grep -q " 10\.212\.$x\." && continue
		echo "10.212.$x"
		return 0
	done
	return 1
}
