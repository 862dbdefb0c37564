#!/bin/bash
# UDP request/response rate and ICMP echo latency: Linux <-> Linux against
# Linux <-> `moat stack`, over the same kind of veth pair between two network
# namespaces (mb1l: the client, always Linux; mb1m: the server, either
# Linux's own stack on veth-m or `moat stack` taking veth-m over). Runs
# alternate between the two servers; each figure is the median over the runs
# (each run's own figure being its median or rate), the ratio is moat/Linux.
# Nothing is asserted: the numbers are printed with the commands that made
# them.
#
# The request/response client is build/bench/udp_rr (tests/bench/udp_rr.c),
# one 64-byte request in flight at a time; the Linux server is the same
# program's plain echo loop, the moat one `moat stack --udp-echo`. (sockperf
# ping-pong cannot measure a plain echo: its client drops answers that still
# carry its "client" flag, which only sockperf's own server clears; it is run
# against Linux as a reference row.)
#
#   BENCH_RUNS (5)  BENCH_SECS (3, per request/response run)  BENCH_PINGS (1000)
set -u
SUITE=bench.udp_icmp
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
RUNS=${BENCH_RUNS:-5}
SECS=${BENCH_SECS:-3}
PINGS=${BENCH_PINGS:-1000}
PORT=11111
UDP_RR=$PWD/build/bench/udp_rr
[ -x "$UDP_RR" ] || { echo "bench udp_icmp: $UDP_RR not built (make)"; exit 1; }
for tool in sockperf ping python3; do
	command -v "$tool" >/dev/null || { echo "bench udp_icmp: $tool missing (tools/deps.sh)"; exit 1; }
done
interop_init mb1 10.200.4
RES=$TMP_DIR/results
: >"$RES"

RR_CMD="build/bench/udp_rr $MIP:$PORT --size 64 --secs $SECS"
PING_CMD="ping -c $PINGS -i 0.001 $MIP"
SOCKPERF_CMD="sockperf ping-pong -i $MIP -p $PORT -t $SECS -m 64"

# One measurement against whatever serves MIP now; appends "TARGET KEY VALUE"
# lines to $RES.
measure() {
	local target=$1 out
	out=$(L "$UDP_RR" "$MIP:$PORT" --size 64 --secs "$SECS" 2>&1)
	echo "$out" | tr ' ' '\n' | sed -n "s/^\(rate\|rtt_median_us\|rtt_p99_us\|lost\)=/$target \1 /p" >>"$RES"
	out=$(L $PING_CMD 2>&1)
	echo "$out" | python3 -c '
import re, statistics, sys
t = [float(x) * 1000 for x in re.findall(r"time=([0-9.]+) ms", sys.stdin.read())]
if t:
    print(sys.argv[1], "ping_median_us", statistics.median(t))
    print(sys.argv[1], "ping_replies", len(t))
' "$target" >>"$RES"
}

# sockperf against sockperf's own server (Linux only, for reference).
measure_sockperf() {
	local out
	out=$(L $SOCKPERF_CMD 2>&1)
	echo "$out" | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"\[Valid Duration\] RunTime=([0-9.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", t)
if m and float(m.group(1)) > 0:
    print("linux sockperf_rate", int(m.group(3)) / float(m.group(1)))
' >>"$RES"
}

linux_server() {
	ip -n "$NS_M" addr add "$MIP/24" dev veth-m
	# moat stack's takeover told the kernel to stay quiet on veth-m.
	M sysctl -qw net.ipv4.conf.veth-m.arp_ignore=0
	bg ip netns exec "$NS_M" "$UDP_RR" --server "$MIP:$PORT" >"$TMP_DIR/server.log" 2>&1
	SRV_PID=$LAST_PID
	wait_for_line "$TMP_DIR/server.log" "serving" 5
}

linux_server_stop() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}

sockperf_server() {
	bg ip netns exec "$NS_M" sockperf server -i "$MIP" -p "$PORT" >"$TMP_DIR/sockperf.log" 2>&1
	SRV_PID=$LAST_PID
	wait_for_line "$TMP_DIR/sockperf.log" "PORT" 5
	sleep 0.2
}

echo "UDP request/response and ICMP echo latency over veth ($RUNS runs of each, alternating)"
echo "  client namespace $NS_L ($LIP), server namespace $NS_M ($MIP), $(nproc) CPUs, kernel $(uname -r)"
for i in $(seq 1 "$RUNS"); do
	linux_server
	measure linux
	linux_server_stop
	sockperf_server
	measure_sockperf
	linux_server_stop
	ip -n "$NS_M" addr flush dev veth-m
	start_moat --udp-echo "$PORT"
	measure moat
	stop_moat
	echo "  run $i/$RUNS done"
done

python3 - "$RES" "$RUNS" "$PINGS" <<'PY'
import statistics, sys
res = {}
for line in open(sys.argv[1]):
    t, k, v = line.split()
    res.setdefault((t, k), []).append(float(v))
def med(t, k):
    v = res.get((t, k))
    return statistics.median(v) if v else None
rows = [
    ("UDP request/response rate (req/s)", "rate", "%.0f"),
    ("UDP round trip, median (us)", "rtt_median_us", "%.1f"),
    ("UDP round trip, 99th percentile (us)", "rtt_p99_us", "%.1f"),
    ("ICMP echo round trip, median (us)", "ping_median_us", "%.1f"),
]
print()
print("  %-40s %14s %14s %11s" % ("median of %s runs" % sys.argv[2], "Linux<->Linux", "Linux<->moat", "moat/Linux"))
for name, k, fmt in rows:
    a, b = med("linux", k), med("moat", k)
    fa = fmt % a if a is not None else "n/a"
    fb = fmt % b if b is not None else "n/a"
    r = "%.2f" % (b / a) if a and b is not None else "n/a"
    print("  %-40s %14s %14s %11s" % (name, fa, fb, r))
a = med("linux", "sockperf_rate")
if a is not None:
    print("  %-40s %14s %14s %11s" % ("(reference) sockperf ping-pong (req/s)", "%.0f" % a, "-", "-"))
print()
print("  every run:")
for name, k, fmt in rows + [("sockperf ping-pong (req/s)", "sockperf_rate", "%.0f")]:
    for t in ("linux", "moat"):
        v = res.get((t, k))
        if v:
            print("    %-36s %-6s %s" % (name, t, " ".join(fmt % x for x in v)))
for t in ("linux", "moat"):
    lost = sum(res.get((t, "lost"), []))
    if lost:
        print("  note: %s: %d UDP requests got no answer within 200 ms" % (t, lost))
    short = [int(x) for x in res.get((t, "ping_replies"), []) if x < int(sys.argv[3])]
    if short:
        print("  note: %s: ping runs with missing replies: %s of %s" % (t, short, sys.argv[3]))
PY
echo
echo "  commands, client side (in $NS_L):"
echo "    $RR_CMD"
echo "    $PING_CMD"
echo "    $SOCKPERF_CMD   (reference, against sockperf server)"
echo "  servers (in $NS_M):"
echo "    Linux: build/bench/udp_rr --server $MIP:$PORT  (kernel address $MIP on veth-m)"
echo "    moat:  bin/moat stack --iface veth-m --addr $MIP/24 --udp-echo $PORT"
