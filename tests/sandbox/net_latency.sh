#!/bin/bash
# Request/response through the sandbox while every CPU is busy: a python3
# echo server in `moat do` (default networking), a client on the host
# sending 1-byte requests one at a time (NET_LAT_ROUNDS, default 3000) and
# timing each round trip. What scheduling cannot break is asserted: no
# round trip takes 250 ms or more (a frame left waiting in the sandbox
# until an unrelated timer fires, as when the event loop slept with task
# stops stashed, takes that long). The distribution is printed; it is a
# benchmark figure (make bench has the comparison with Linux), not a test.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
T=$(tmpd) || exit 1
ROUNDS=${NET_LAT_ROUNDS:-3000}
NET=$(pick_subnet 41) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
BURN=()
stop_burn() { for p in "${BURN[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; BURN=(); }
trap 'stop_burn; sb_cleanup' EXIT
net_bg echo --ip $SIP/24 -- python3 "$PWD/tests/lib/rr_echo.py" 7007
SRV=$LAST
wait_tcp $SIP 7007 120 || { fail echo_server_listens "$(tail -3 "$T/echo.log")"; exit 0; }
for i in $(seq "$(nproc)"); do
	bash -c 'while :; do :; done' &
	BURN+=($!)
done
out=$(python3 tests/lib/rr_client.py "$SIP" 7007 "$ROUNDS")
stop_burn
net_stop $SRV
read -r n p50 p99 p999 max <<<"$out"
echo "round trips under load: n=$n p50=${p50}ms p99=${p99}ms p99.9=${p999}ms max=${max}ms"
expect "rr_${ROUNDS}_round_trips_under_load" "$ROUNDS" "${n:-0}"
if [ -n "$max" ] && awk -v m="$max" 'BEGIN { exit !(m < 250) }'; then
	pass "rr_no_round_trip_over_250ms (max ${max} ms)"
else
	fail rr_no_round_trip_over_250ms "max ${max:-?} ms"
fi
