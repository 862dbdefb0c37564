#!/bin/bash
# The packetimpact conformance runner: every test against every DUT kind.
#
#   tests/packetimpact/run.sh [-k "KINDS"] [-j N] [-l] [-v] [TEST|GLOB ...]
#
#   -k KINDS   DUT kinds to run, space-separated (default "linux netstack moat";
#              env PI_KINDS). Kinds: linux (the agent on Linux's own stack in a
#              network namespace), netstack (the agent linked against the
#              netstack, on an AF_PACKET interface), moat (the Linux agent
#              inside the sandbox; needs bin/moat's `do` command).
#   -j N       tests run in parallel (default 4; env PI_JOBS)
#   -l         list the tests and exit
#   -v         verbose testbench logs (every frame and DUT call)
#   env PI_DUT_SYSCTL="name=value ..."  extra sysctls for a Linux DUT (to see
#              a test notice a change of behaviour)
#   env PI_MOAT_CMD="..."  the sandbox command line before the agent (moat kind)
#   TEST       run only these tests (names or shell globs)
#
# Each (test, kind) runs in two fresh network namespaces joined by a veth
# pair: the testbench side (no IP address; IPv6 off, so its kernel says
# nothing) and the DUT side. Both are removed when the test ends, when the
# runner fails, and on Ctrl-C.
#
# Output, in tests/run.sh's convention: one line per (test, kind), then
#   N passed, N failed
# An expected failure (tests/packetimpact/expected_failures.txt) that fails
# is a PASS line saying so; one that passes is a FAIL, so the list stays true.
# A failing test keeps its pcap and log under $PI_OUT (build/packetimpact/out).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
TB=$BUILD/packetimpact/testbench
AGENT_LINUX=$PWD/$BUILD/packetimpact/dut_agent_linux
AGENT_NETSTACK=$PWD/$BUILD/packetimpact/dut_agent_netstack
XFAIL_FILE=tests/packetimpact/expected_failures.txt
OUT=${PI_OUT:-$BUILD/packetimpact/out}
KINDS=${PI_KINDS:-linux netstack moat}
JOBS=${PI_JOBS:-4}
TIME_LIMIT=${PI_TIME_LIMIT:-60}
VERBOSE=
LIST=

while getopts "k:j:lv" o; do
	case $o in
	k) KINDS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	l) LIST=1 ;;
	v) VERBOSE=-v ;;
	*) sed -n '2,19p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [ ! -x "$TB" ]; then
	echo "packetimpact: $TB is not built (run make)" >&2
	exit 2
fi
all_tests=$("$TB" --list) || exit 2
if [ -n "$LIST" ]; then
	echo "$all_tests"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "packetimpact: needs root (network namespaces)" >&2
	exit 2
fi

# Select tests by name or glob.
tests=()
if [ $# -eq 0 ]; then
	mapfile -t tests <<<"$all_tests"
else
	for t in $all_tests; do
		for pat in "$@"; do
			# shellcheck disable=SC2053
			if [[ $t == $pat ]]; then tests+=("$t"); break; fi
		done
	done
	if [ ${#tests[@]} -eq 0 ]; then
		echo "packetimpact: no test matches: $*" >&2
		exit 2
	fi
fi

# Expected failures: "KIND TEST REASON..." per line.
declare -A XFAIL
if [ -f "$XFAIL_FILE" ]; then
	while read -r kind name reason; do
		case $kind in '' | '#'*) continue ;; esac
		XFAIL["$kind/$name"]=$reason
	done <"$XFAIL_FILE"
fi

mkdir -p "$OUT"
PREFIX="pi$$-"
TB_MAC=02:00:00:00:00:01
DUT_MAC=02:00:00:00:00:02
TB_IP4=10.0.0.1
DUT_IP4=10.0.0.2
TB_IP6=fd00::1
DUT_IP6=fd00::2

cleanup_all() {
	local p n
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX"); do
		ip netns del "$n" 2>/dev/null
	done
}
trap cleanup_all EXIT
trap 'echo "packetimpact: interrupted" >&2; exit 130' INT TERM

# setup_pair TBNS DUTNS KIND: namespaces, veth, addresses for KIND.
setup_pair() {
	local tbns=$1 dutns=$2 kind=$3
	ip netns add "$tbns" && ip netns add "$dutns" || return 1
	ip -n "$tbns" link add veth-tb address $TB_MAC type veth \
		peer name veth-dut address $DUT_MAC netns "$dutns" || return 1
	# The testbench side never speaks: no address, no IPv6.
	ip netns exec "$tbns" sysctl -qw net.ipv6.conf.veth-tb.disable_ipv6=1
	# No offloads: every frame on the wire is one real segment with a
	# complete checksum, as a physical link would carry it.
	ip netns exec "$tbns" ethtool -K veth-tb tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$dutns" ethtool -K veth-dut tx off rx off tso off gso off gro off >/dev/null 2>&1
	ip -n "$dutns" link set lo up
	case $kind in
	linux)
		# Reassembly times out after 5 s instead of 60 (ipv6_reassembly_timeout_icmp).
		ip netns exec "$dutns" sysctl -qw net.ipv6.conf.veth-dut.accept_ra=0 \
			net.ipv6.conf.veth-dut.router_solicitations=0 net.ipv6.ip6frag_time=5
		# PI_DUT_SYSCTL="name=value ...": extra settings for the Linux DUT,
		# e.g. to check that a test notices a behaviour change.
		if [ -n "${PI_DUT_SYSCTL:-}" ]; then
			# shellcheck disable=SC2086
			ip netns exec "$dutns" sysctl -qw $PI_DUT_SYSCTL || return 1
		fi
		ip -n "$dutns" addr add $DUT_IP4/24 dev veth-dut || return 1
		ip -n "$dutns" addr add $DUT_IP6/64 dev veth-dut nodad || return 1
		;;
	netstack | moat)
		# The netstack (alone, or in the sandbox's sentry) owns the
		# interface: the kernel must not answer.
		ip netns exec "$dutns" sysctl -qw net.ipv6.conf.veth-dut.disable_ipv6=1 \
			net.ipv4.conf.veth-dut.arp_ignore=8
		;;
	esac
	ip -n "$tbns" link set veth-tb up && ip -n "$dutns" link set veth-dut up
}

agent_cmd() {
	local kind=$1 dutns=$2
	case $kind in
	linux) echo ip netns exec "$dutns" "$AGENT_LINUX" ;;
	# As the Linux DUT: no DAD for its address (nodad), no router
	# solicitations, IPv6 reassembly times out after 5 s.
	netstack) echo ip netns exec "$dutns" "$AGENT_NETSTACK" --iface veth-dut \
		--addr $DUT_IP4/24 --addr $DUT_IP6/64 --set ip6.dad_transmits=0 \
		--set ip6.router_solicitations=0 --set ip6.reasm_timeout_ms=5000 ;;
	# The Linux agent, unchanged, inside the sandbox whose netstack takes
	# over veth-dut, with the netstack DUT's settings. PI_MOAT_CMD
	# overrides the sandbox command line.
	moat) echo ip netns exec "$dutns" ${PI_MOAT_CMD:-"$PWD/bin/moat" do --network=iface:veth-dut --no-offload \
		--ip $DUT_IP4/24 --ip $DUT_IP6/64 --net-set ip6.dad_transmits=0 \
		--net-set ip6.router_solicitations=0 --net-set ip6.reasm_timeout_ms=5000 --} "$AGENT_LINUX" ;;
	*) return 1 ;;
	esac
}

# run_one TEST KIND IDX: runs in a subshell; writes $OUT/TEST.KIND.status.
run_one() {
	local t=$1 kind=$2 idx=$3
	local tbns=${PREFIX}${idx}t dutns=${PREFIX}${idx}d
	local base=$OUT/$t.$kind
	rm -f "$base".*
	local tpid=
	trap 'ip netns del "$tbns" 2>/dev/null; ip netns del "$dutns" 2>/dev/null' EXIT
	trap '[ -n "$tpid" ] && kill "$tpid" 2>/dev/null; exit 130' INT TERM
	if ! setup_pair "$tbns" "$dutns" "$kind" >"$base.log" 2>&1; then
		echo "FAIL could not set up namespaces (see $base.log)" >"$base.status"
		return
	fi
	# A test named *_long (a timer that runs for minutes) gets 150 s.
	local limit=$TIME_LIMIT
	case $t in *_long) [ "$limit" -lt 150 ] && limit=150 ;; esac
	local agent
	if ! agent=$(agent_cmd "$kind" "$dutns"); then
		echo "FAIL unknown DUT kind $kind" >"$base.status"
		return
	fi
	# shellcheck disable=SC2086
	timeout -k 5 $((limit + 15)) ip netns exec "$tbns" "$TB" --test "$t" --iface veth-tb \
		--dut-kind "$kind" --local-mac $TB_MAC --remote-mac $DUT_MAC \
		--local-ip4 $TB_IP4 --remote-ip4 $DUT_IP4 --local-ip6 $TB_IP6 --remote-ip6 $DUT_IP6 \
		--pcap "$base.pcap" --result "$base.result" --time-limit "$limit" $VERBOSE \
		-- $agent >>"$base.log" 2>&1 &
	tpid=$!
	wait "$tpid"
	local rc=$?
	tpid=
	if [ $rc -eq 0 ]; then
		echo "PASS" >"$base.status"
	elif [ $rc -eq 1 ] && [ -s "$base.result" ]; then
		echo "FAIL $(head -c 300 "$base.result")" >"$base.status"
	else
		echo "FAIL testbench exited $rc (see $base.log)" >"$base.status"
	fi
}

declare -A NPASS NXFAIL
pass=0
fail=0
report() {
	local t=$1 kind=$2
	local base=$OUT/$t.$kind
	local st
	st=$(cat "$base.status" 2>/dev/null || echo "FAIL no result")
	local xr=${XFAIL["$kind/$t"]:-}
	if [ "${st%% *}" = PASS ]; then
		if [ -n "$xr" ]; then
			echo "FAIL $t/$kind passed but is listed as an expected failure ($xr): remove it from $XFAIL_FILE"
			fail=$((fail + 1))
			return
		fi
		echo "PASS $t/$kind"
		NPASS[$kind]=$((${NPASS[$kind]:-0} + 1))
		pass=$((pass + 1))
		rm -f "$base.pcap" "$base.result"
		return
	fi
	local why=${st#FAIL }
	if [ -n "$xr" ]; then
		echo "PASS $t/$kind (expected failure: $xr; it failed with: $why)"
		NXFAIL[$kind]=$((${NXFAIL[$kind]:-0} + 1))
		pass=$((pass + 1))
		rm -f "$base.pcap"
		return
	fi
	echo "FAIL $t/$kind $why (pcap $base.pcap, log $base.log)"
	fail=$((fail + 1))
}

start=$SECONDS
declare -A PID_JOB
idx=0
running=0
for t in "${tests[@]}"; do
	for kind in $KINDS; do
		while [ "$running" -ge "$JOBS" ]; do
			wait -n -p done_pid 2>/dev/null
			[ -n "${done_pid:-}" ] && [ -n "${PID_JOB[$done_pid]:-}" ] || continue
			report ${PID_JOB[$done_pid]}
			unset "PID_JOB[$done_pid]"
			running=$((running - 1))
		done
		idx=$((idx + 1))
		run_one "$t" "$kind" "$idx" &
		PID_JOB[$!]="$t $kind"
		running=$((running + 1))
	done
done
while [ "$running" -gt 0 ]; do
	done_pid=
	wait -n -p done_pid 2>/dev/null
	[ -n "${done_pid:-}" ] && [ -n "${PID_JOB[$done_pid]:-}" ] || continue
	report ${PID_JOB[$done_pid]}
	unset "PID_JOB[$done_pid]"
	running=$((running - 1))
done

summary=""
for kind in $KINDS; do
	summary+="$kind: ${NPASS[$kind]:-0} passed, ${NXFAIL[$kind]:-0} expected failures; "
done
echo "packetimpact: ${summary% ; }$((SECONDS - start))s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
