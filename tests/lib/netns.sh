# Shared helpers for tests that build network namespaces and veth pairs.
# Source it; every namespace/veth/process made through it is removed by
# netns_cleanup, which is installed as an EXIT/INT/TERM trap.
#
#   netns_setup PREFIX      creates namespaces ${PREFIX}l (Linux side) and
#                           ${PREFIX}m (moat side) joined by a veth pair
#                           (veth-l in ${PREFIX}l, veth-m in ${PREFIX}m)
#   bg CMD...               start CMD in the background, remembered for cleanup
#   pass NAME / fail NAME REASON   print a result line
#   wait_for_line FILE PATTERN [SECONDS]

_NETNS_LIST=()
_BG_PIDS=()
MOAT=${MOAT:-$PWD/bin/moat}

netns_cleanup() {
	local p
	for p in "${_BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${_BG_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for n in "${_NETNS_LIST[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	_BG_PIDS=()
	_NETNS_LIST=()
}
trap netns_cleanup EXIT
trap 'netns_cleanup; exit 130' INT TERM

netns_add() {
	ip netns del "$1" 2>/dev/null
	ip netns add "$1" || return 1
	_NETNS_LIST+=("$1")
	ip -n "$1" link set lo up
}

# netns_setup PREFIX: two namespaces joined by a veth pair.
netns_setup() {
	local p=$1
	NS_L=${p}l
	NS_M=${p}m
	netns_add "$NS_L" && netns_add "$NS_M" || return 1
	ip link add veth-l netns "$NS_L" type veth peer name veth-m netns "$NS_M" || return 1
	ip -n "$NS_L" link set veth-l up
	ip -n "$NS_M" link set veth-m up
}

bg() {
	"$@" &
	_BG_PIDS+=($!)
	LAST_PID=$!
}

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1 ${2:-}"; }

# wait_for_line FILE PATTERN [SECONDS]: 0 when PATTERN appears in FILE.
wait_for_line() {
	local f=$1 pat=$2 t=${3:-10}
	local end=$((SECONDS + t))
	while [ $SECONDS -lt $end ]; do
		grep -q -- "$pat" "$f" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}
