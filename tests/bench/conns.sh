#!/bin/bash
# Connections per second accepted by a server, and memory per idle
# connection, in one run:
#   - connection rate: an epoll echo server (tests/sandbox/progs/
#     conn_scale.c) natively in a namespace behind a veth pair (the Linux
#     kernel), the same server in `moat do --network=iface:` on the same
#     kind of veth (netstack, ptrace platform), and `moat stack --tcp-echo`
#     (the netstack alone); a native client makes CONNS connections in a
#     row (connect, 1 byte echoed, the server closes first, close), bound
#     to 2,000 local ports in turn. Medians of RUNS runs (default 3); the
#     ratio is against Linux in the same run.
#   - memory: IDLE (default 10,000) connections held open, idle, to moat
#     stack (its live heap less cached packets, from its SIGUSR1 report)
#     and to the sandboxed server (the sentry's RSS). Target (issue 14):
#     under 4 KiB per idle connection in the netstack.
# Nothing is asserted.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/netns.sh
RUNS=${RUNS:-3}
CONNS=${CONNS:-5000}
IDLE=${IDLE:-10000}
[ -x "$MOAT" ] || { echo "build first (make)"; exit 1; }
CS=build/bench/conn_scale
mkdir -p build/bench
cc -O2 -o "$CS" tests/sandbox/progs/conn_scale.c || exit 1
T=$(mktemp -d /var/tmp/moat-bench-conns.XXXXXX)
SRV=
stop_srv() {
	[ -n "$SRV" ] || return 0
	kill -TERM "$SRV" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=
}
trap 'stop_srv; netns_cleanup; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
netns_setup mcps || { echo "cannot create namespaces"; exit 1; }
L() { ip netns exec "$NS_L" "$@"; }
M() { ip netns exec "$NS_M" "$@"; }
LIP=10.209.0.1
MIP=10.209.0.2
ip -n "$NS_L" addr add $LIP/24 dev veth-l
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }

# start SIDE: the server on MIP:7100; its pid in SRV.
start() {
	M ip addr flush dev veth-m
	case $1 in
	linux)
		M ip addr add $MIP/24 dev veth-m
		ip netns exec "$NS_M" "$PWD/$CS" server 7100 >"$T/srv.out" 2>&1 &
		;;
	moat)
		ip netns exec "$NS_M" "$MOAT" do --network=iface:veth-m --ip $MIP/24 -- \
			"$PWD/$CS" server 7100 >"$T/srv.out" 2>&1 &
		;;
	stack)
		: >"$T/stack.log"
		ip netns exec "$NS_M" "$MOAT" stack --iface veth-m --addr $MIP/24 --tcp-echo 7100 \
			>/dev/null 2>"$T/stack.log" &
		;;
	esac
	SRV=$! # (ip netns exec execs it: this is its pid)
	local end=$((SECONDS + 60))
	until L timeout 2 bash -c "exec 3<>/dev/tcp/$MIP/7100" 2>/dev/null; do
		[ $SECONDS -ge $end ] && { echo "the $1 server did not come up"; return 1; }
		sleep 0.2
	done
}

declare -A R
for side in linux moat stack; do
	: >"$T/rate.$side"
	for r in $(seq "$RUNS"); do
		start $side || continue
		# moat stack's echo does not close first: its clients would wait
		# for a FIN; it is measured by the memory part only.
		if [ $side != stack ]; then
			out=$(L "$PWD/$CS" churn $MIP 7100 "$CONNS" 23000 2000)
			secs=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s$/\1/p')
			ok=$(echo "$out" | sed -n 's/.* ok \([0-9]*\) failed.*/\1/p')
			[ -n "$secs" ] && [ "${ok:-0}" = "$CONNS" ] &&
				awk -v n="$CONNS" -v s="$secs" 'BEGIN { printf "%.0f\n", n / s }' >>"$T/rate.$side"
		fi
		stop_srv
	done
	R[$side]=$(median <"$T/rate.$side")
done

# Memory per idle connection.
idle_mem() { # SIDE: prints bytes per idle connection
	start "$1" || return 1
	local pid=$SRV before after
	if [ "$1" = moat ]; then
		pid=$(for c in $(cat /proc/$SRV/task/*/children); do
			[ "$(cat /proc/$c/comm)" = moat ] && echo $c; done | head -1)
	fi
	heap() {
		local n
		n=$(grep -c "memory: heap in use" "$T/stack.log")
		kill -USR1 "$SRV"
		for _ in $(seq 300); do
			[ "$(grep -c "memory: heap in use" "$T/stack.log")" -gt "$n" ] && break
			sleep 0.1
		done
		grep "memory: heap in use" "$T/stack.log" | tail -1 |
			sed 's/.*heap in use \([0-9]*\) bytes.*cached for reuse \([0-9]*\) bytes.*/\1 \2/' |
			{ read -r h c; echo $((h - c)); }
	}
	if [ "$1" = stack ]; then before=$(heap); else before=$(($(rss_kb "$pid") * 1024)); fi
	mkfifo "$T/ctl"
	L "$PWD/$CS" client $MIP 7100 "$IDLE" 1 <"$T/ctl" >"$T/client.out" 2>&1 &
	local cl=$!
	exec 5>"$T/ctl"
	for _ in $(seq 1800); do grep -q "^connected" "$T/client.out" && break; sleep 0.1; done
	if [ "$1" = stack ]; then after=$(heap); else after=$(($(rss_kb "$pid") * 1024)); fi
	exec 5>&-
	wait $cl 2>/dev/null
	rm -f "$T/ctl"
	stop_srv
	grep -q "^connected" "$T/client.out" && echo $(((after - before) / IDLE))
}
M_STACK=$(idle_mem stack)
M_MOAT=$(idle_mem moat)

echo
echo "Connections accepted per second ($CONNS in a row per run, server closes first), medians of $RUNS runs"
printf "| %-30s | %10s | %8s |\n" server "conns/s" "ratio"
for side in linux moat; do
	name=$([ $side = linux ] && echo "Linux (kernel stack)" || echo "moat do (netstack, ptrace)")
	ratio=$(awk -v a="${R[$side]}" -v b="${R[linux]}" 'BEGIN { if (b + 0 > 0 && a != "nan") printf "%.2f", a / b; else print "n/a" }')
	printf "| %-30s | %10s | %8s |\n" "$name" "${R[$side]}" "$ratio"
done
echo
echo "Memory per idle established connection ($IDLE connections)"
echo "  moat stack, live heap less cached packets: ${M_STACK:-?} bytes (netstack and its echo service)"
echo "  moat do, the sentry's RSS:                 ${M_MOAT:-?} bytes (netstack, sentry's socket and file objects)"
