#!/bin/bash
# TCP benchmarks, in one run, over the same kind of veth pair between two
# network namespaces (offloads as the kernel sets them: TSO/GRO on):
#   - single-stream bulk throughput: Linux -> Linux, Linux -> netstack,
#     netstack -> Linux (timed by the receiver, first byte to EOF), over
#     IPv4 and over IPv6;
#   - 1-byte request/response transactions per second (Linux client);
#   - connections accepted per second (Linux client, RST on close).
# The Linux side is always build/bench/tcpperf on kernel sockets; the
# netstack side is `moat stack` (--tcp-sink --no-hash, --tcp-client --send
# --no-hash, --tcp-echo). Medians of RUNS runs (default 5) and ratios
# against Linux -> Linux. Nothing here asserts a timing.
#   BYTES (default 2 GiB per bulk run), SECS (default 3 per rr/cps run)
set -u
cd "$(dirname "$0")/../.."
. tests/lib/netns.sh
RUNS=${RUNS:-5}
BYTES=${BYTES:-2147483648}
SECS=${SECS:-3}
PERF=$PWD/build/bench/tcpperf
[ -x "$PERF" ] && [ -x "$MOAT" ] || { echo "build first (make)"; exit 1; }
TMP=$(mktemp -d /tmp/moat-bench-tcp.XXXXXX)
trap 'netns_cleanup; rm -rf "$TMP"' EXIT
trap 'netns_cleanup; rm -rf "$TMP"; exit 130' INT TERM

netns_setup mbt || { echo "cannot create namespaces"; exit 1; }
L() { ip netns exec "$NS_L" "$@"; }
M() { ip netns exec "$NS_M" "$@"; }
LIP=10.202.0.1
MIP=10.202.0.2
LIP6=fd00:202::1
MIP6=fd00:202::2
ip -n "$NS_L" addr add $LIP/24 dev veth-l
ip -n "$NS_L" addr add $LIP6/64 dev veth-l nodad

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

wait_listen() { # NS PORT
	local end=$((SECONDS + 10))
	until ip netns exec "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q LISTEN; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}

moat_up() { # ARGS: services; the stack on veth-m as MIP
	# ip netns exec execs the program: $! is moat's own pid.
	ip netns exec "$NS_M" "$MOAT" stack --iface veth-m --addr $MIP/24 "$@" >"$TMP/moat.out" 2>"$TMP/moat.err" &
	MOAT_PID=$!
	_BG_PIDS+=($MOAT_PID)
	local end=$((SECONDS + 10))
	until grep -q "ready" "$TMP/moat.err" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { echo "moat stack did not start"; cat "$TMP/moat.err"; exit 1; }
		sleep 0.05
	done
}
moat_down() { kill "$MOAT_PID" 2>/dev/null; wait "$MOAT_PID" 2>/dev/null; }

# Linux -> Linux needs an address on the moat-side veth for the kernel.
linux_peer_up() {
	ip -n "$NS_M" addr add $MIP/24 dev veth-m
	ip -n "$NS_M" addr add $MIP6/64 dev veth-m nodad
	ip -n "$NS_M" link set lo up
}
linux_peer_down() { ip -n "$NS_M" addr flush dev veth-m; }

# bulk_to_linux_sink NS HOST: one Linux sender -> sink run, prints Gbit/s.
bulk_linux() {
	ip netns exec "$1" "$PERF" sink 5001 >"$TMP/s.out" &
	local sp=$!
	wait_listen "$1" 5001
	L "$PERF" send "$2" 5001 "$BYTES"
	wait $sp
	awk '/^bytes/ { print $6 }' "$TMP/s.out"
}

echo "TCP benchmarks: $RUNS runs each, bulk $BYTES bytes per run, rr/cps $SECS s per run"
echo "veth pair between two namespaces; kernel $(uname -r); $(nproc) CPUs"
echo

# ---- Linux <-> Linux ----
linux_peer_up
ll=()
ll6=()
for i in $(seq "$RUNS"); do
	ll+=("$(bulk_linux "$NS_M" $MIP)")
	ll6+=("$(bulk_linux "$NS_M" $MIP6)")
done
ip netns exec "$NS_M" "$PERF" echo 5002 >/dev/null &
ep=$!
_BG_PIDS+=($ep)
wait_listen "$NS_M" 5002
ll_rr=()
ll_cps=()
for i in $(seq "$RUNS"); do
	ll_rr+=("$(L "$PERF" rr $MIP 5002 "$SECS" | awk '{ print $2 }')")
	ll_cps+=("$(L "$PERF" cps $MIP 5002 "$SECS" | awk '{ print $2 }')")
done
kill $ep 2>/dev/null
wait $ep 2>/dev/null
linux_peer_down

# ---- Linux -> netstack, and rr / cps against the netstack ----
moat_up --addr $MIP6/64 --tcp-sink 5001 --tcp-echo 5002 --no-hash
sleep 2 # duplicate address detection of MIP6 (1 s)
bulk_moat() { # HOST: one Linux sender -> netstack sink run, prints Gbit/s
	local n end
	n=$(grep -c "^tcp-sink:" "$TMP/moat.out")
	L "$PERF" send "$1" 5001 "$BYTES"
	end=$((SECONDS + 30))
	while [ "$(grep -c "^tcp-sink:" "$TMP/moat.out")" -le "$n" ] && [ $SECONDS -lt $end ]; do
		sleep 0.05
	done
	grep "^tcp-sink:" "$TMP/moat.out" | tail -1 | sed 's/.* s, \([0-9.]*\) Gbit\/s:.*/\1/'
}
lm=()
lm6=()
for i in $(seq "$RUNS"); do
	lm+=("$(bulk_moat $MIP)")
	lm6+=("$(bulk_moat $MIP6)")
done
lm_rr=()
lm_cps=()
for i in $(seq "$RUNS"); do
	lm_rr+=("$(L "$PERF" rr $MIP 5002 "$SECS" | awk '{ print $2 }')")
	lm_cps+=("$(L "$PERF" cps $MIP 5002 "$SECS" | awk '{ print $2 }')")
done
moat_down
cp "$TMP/moat.err" "$TMP/moat-server.err"

# ---- netstack -> Linux ----
bulk_from_moat() { # TARGET: one netstack client -> Linux sink run, prints Gbit/s
	ip netns exec "$NS_L" "$PERF" sink 5003 >"$TMP/s.out" &
	local sp=$!
	wait_listen "$NS_L" 5003
	M "$MOAT" stack --iface veth-m --addr $MIP/24 --addr $MIP6/64 --tcp-client "$1" --send "$BYTES" \
		--no-hash >"$TMP/c.out" 2>"$TMP/c.err"
	wait $sp
	awk '/^bytes/ { print $6 }' "$TMP/s.out"
}
ml=()
ml6=()
for i in $(seq "$RUNS"); do
	ml+=("$(bulk_from_moat $LIP:5003)")
	ml6+=("$(bulk_from_moat "[$LIP6]:5003")")
done

LL=$(printf '%s\n' "${ll[@]}" | median)
LL6=$(printf '%s\n' "${ll6[@]}" | median)
LM6=$(printf '%s\n' "${lm6[@]}" | median)
ML6=$(printf '%s\n' "${ml6[@]}" | median)
LM=$(printf '%s\n' "${lm[@]}" | median)
ML=$(printf '%s\n' "${ml[@]}" | median)
LLRR=$(printf '%s\n' "${ll_rr[@]}" | median)
LMRR=$(printf '%s\n' "${lm_rr[@]}" | median)
LLC=$(printf '%s\n' "${ll_cps[@]}" | median)
LMC=$(printf '%s\n' "${lm_cps[@]}" | median)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

printf '%-44s %14s %8s   %s\n' "measurement (median of $RUNS)" "value" "ratio" "runs"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk Linux -> Linux" "$LL" "1.00" "${ll[*]}"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk Linux -> netstack" "$LM" "$(ratio "$LM" "$LL")" "${lm[*]}"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk netstack -> Linux" "$ML" "$(ratio "$ML" "$LL")" "${ml[*]}"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk Linux -> Linux, IPv6" "$LL6" "$(ratio "$LL6" "$LL")" "${ll6[*]}"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk Linux -> netstack, IPv6" "$LM6" "$(ratio "$LM6" "$LL6")" "${lm6[*]}"
printf '%-44s %11s Gb/s %8s   %s\n' "bulk netstack -> Linux, IPv6" "$ML6" "$(ratio "$ML6" "$LL6")" "${ml6[*]}"
printf '%-44s %11s /s   %8s   %s\n' "1-byte request/response, Linux server" "$LLRR" "1.00" "${ll_rr[*]}"
printf '%-44s %11s /s   %8s   %s\n' "1-byte request/response, netstack server" "$LMRR" "$(ratio "$LMRR" "$LLRR")" "${lm_rr[*]}"
printf '%-44s %11s /s   %8s   %s\n' "connections accepted, Linux server" "$LLC" "1.00" "${ll_cps[*]}"
printf '%-44s %11s /s   %8s   %s\n' "connections accepted, netstack server" "$LMC" "$(ratio "$LMC" "$LLC")" "${lm_cps[*]}"
echo "IPv6 rows: ratio against Linux -> Linux over IPv6. The netstack's IPv6 against its own IPv4:"
printf '%-44s %11s\n' "  receiving, IPv6 / IPv4" "$(ratio "$LM6" "$LM")"
printf '%-44s %11s\n' "  sending, IPv6 / IPv4" "$(ratio "$ML6" "$ML")"
echo
echo "commands: tests/bench/tcp.sh (RUNS=$RUNS BYTES=$BYTES SECS=$SECS); Linux side build/bench/tcpperf,"
echo "netstack side: moat stack --tcp-sink/--tcp-echo --no-hash, moat stack --tcp-client --send N --no-hash"
