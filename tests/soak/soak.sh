#!/bin/bash
# Soak test (`make soak`; not part of `make test`): SOAK_SECONDS (default
# 3600) of mixed traffic, all kinds at once, through two subjects:
#
#   sandbox   `moat do` (default networking, --ip 10.207.X.2/24, X free on
#             the host) running tests/soak/soak.py's server, its ports
#             published with -p on 127.0.0.1; the client on the host uses
#             the sandbox's address and the published ports in turn.
#   impaired  `moat stack` (--tcp-sink, --tcp-source, --tcp-echo,
#             --udp-echo) behind `moat impair` (2% loss, 5% reordering,
#             0.5% duplication, both ways), the client in a namespace:
#               msoakPIDl (client, 10.207.0.1) veth-l <-> veth-la
#               [msoakPIDi: moat impair] veth-lb <-> veth-m [msoakPIDm:
#               moat stack 10.207.0.2]
#
# Traffic of each subject (tests/soak/soak.py client): bulk both ways
# checked by SHA-256 (up to 16 MiB a transfer), 1-byte (sometimes up to
# 1 KiB) request/response on kept connections, connection churn (a short
# connection per request), UDP echo with every datagram compared. On the
# clean sandbox path an unanswered datagram is sent again (after 1, 2, 4,
# 8 s) and counts as lost, a failure, only after that; on the impaired path
# datagrams are sent at a steady rate and what comes back must be intact,
# losses are counted.
#
# Every minute, one line per subject: elapsed time, what was verified
# (transfers, bytes), failures, RSS of moat's processes (sentry and port
# forwarder of the sandbox; moat stack and moat impair) and counters
# (the sandbox's veth and its TCP sockets; the bridge's and the stack's,
# asked for with SIGUSR1). A summary at the end; exit status 1 when:
#   - a digest or an echo differed, or a datagram arrived damaged;
#   - a transfer stalled: any one transfer (a bulk transfer, a round trip,
#     a short connection) got no result within SOAK_DEADLINE seconds
#     (default 240: twice the 120 s RTO ceiling), no UDP echo came back on
#     the impaired path for 60 s, or a client was still busy SOAK_DEADLINE
#     seconds after the end;
#   - a connection failed (refused, reset) or a sandbox datagram went
#     unanswered after 4 tries;
#   - more than 25% of the impaired path's datagrams were lost (about 6%
#     is expected: 2% per frame each way, two frames for the larger ones);
#   - a process died (moat do, its sentry or forwarder, moat stack, moat
#     impair, a client), or a kind of traffic verified nothing at all;
#   - memory grew: a process's RSS at the end is above 1.5 times its RSS
#     at the baseline, the first sample after min(300 s, SOAK_SECONDS/3),
#     and higher by more than SOAK_RSS_SLACK_KB (default 8192: warm-up of
#     pools and caches, TIME_WAIT tables filling, is not growth).
#
# Logs (clients' failure lines, moat's output, the per-minute lines) are in
# a directory /tmp/moat-soak.XXXXXX, kept when the run fails (its path is
# printed) or SOAK_KEEP=1, removed otherwise. Everything else it made
# (namespaces, veths, processes) is removed at exit, on failure and ^C too;
# it stops only the processes it started, by pid.
# SOAK_SEED=N replays the bridge's decisions (the seed is printed).
set -u
cd "$(dirname "$0")/../.." || exit 1

MOAT=${MOAT:-$PWD/bin/moat}
DURATION=${SOAK_SECONDS:-3600}
DEADLINE=${SOAK_DEADLINE:-240}
INTERVAL=60
SLACK_KB=${SOAK_RSS_SLACK_KB:-8192}
SEED=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
IMPAIR_ARGS=(--loss 2% --reorder 5% --dup 0.5%)
SRC_BYTES=$((16 * 1024 * 1024)) # moat stack --tcp-source size
UDP_LOSS_MAX=25                 # percent, impaired path
NET_I=10.207.0                  # the impaired link (inside the namespaces)
NS_L=msoak$$l
NS_I=msoak$$i
NS_M=msoak$$m

TMP=""
PIDS=()       # everything started, stopped by pid at exit
NETNS=()
FAILED=0
INTERRUPTED=0
REASONS=()

say() { echo "$*" | tee -a "$TMP/report.log"; }
bad() {
	FAILED=1
	REASONS+=("$1")
}

# shellcheck disable=SC2317 # (run by the traps)
cleanup() {
	local p i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		for i in $(seq 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	for p in "${NETNS[@]}"; do
		ip netns del "$p" 2>/dev/null
	done
	NETNS=()
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${SOAK_KEEP:-0}" = 1 ] || { [ "$FAILED" = 1 ] && [ "$INTERRUPTED" = 0 ]; }; then
			echo "logs kept in $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
}
trap cleanup EXIT
trap 'INTERRUPTED=1; echo "interrupted: cleaning up"; exit 130' INT TERM HUP

die() {
	echo "soak: $*" >&2
	FAILED=1
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, moat do's veth)"
[ -x "$MOAT" ] || die "$MOAT not built (make)"
for t in ip python3 timeout; do
	command -v "$t" >/dev/null || die "$t missing"
done
case $DURATION in '' | *[!0-9]*) die "SOAK_SECONDS must be a number of seconds" ;; esac
# The interpreter itself (not pyenv's shim script): its pid is the client's.
PY=$(python3 -c 'import sys; print(sys.executable)') || die "python3 does not run"
TMP=$(mktemp -d /tmp/moat-soak.XXXXXX) || die "mktemp failed"
SOAKPY=$PWD/tests/soak/soak.py

# wait_for_line FILE PATTERN SECONDS
wait_for_line() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1fM", k / 1024 }'; }
# sv FILE KEY: a value of a client's stats file (0 if absent)
sv() { awk -v k="$2" '$1 == k { v = $2 } END { printf "%.0f\n", v }' "$1" 2>/dev/null; }
human_bytes() {
	awk -v b="$1" 'BEGIN { if (b >= 2^30) printf "%.2f GiB", b / 2^30; else printf "%.1f MiB", b / 2^20 }'
}
elapsed() { printf "%d:%02d" $(($1 / 60)) $(($1 % 60)); }

# ---- the impaired path ----
setup_impaired() {
	local n
	for n in "$NS_L" "$NS_I" "$NS_M"; do
		ip netns del "$n" 2>/dev/null
		ip netns add "$n" || return 1
		NETNS+=("$n")
		ip -n "$n" link set lo up || return 1
		# No IPv6 chatter (router solicitations, DAD) through the bridge.
		ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 || return 1
	done
	ip link add veth-l netns "$NS_L" type veth peer name veth-la netns "$NS_I" || return 1
	ip link add veth-lb netns "$NS_I" type veth peer name veth-m netns "$NS_M" || return 1
	ip -n "$NS_L" link set veth-l up &&
		ip -n "$NS_I" link set veth-la up &&
		ip -n "$NS_I" link set veth-lb up &&
		ip -n "$NS_M" link set veth-m up &&
		ip -n "$NS_L" addr add "$NET_I.1/24" dev veth-l || return 1
	# The churn client closes first: its TIME_WAITs may be reused, and the
	# whole port range is its own (this namespace only).
	ip netns exec "$NS_L" sysctl -qw net.ipv4.tcp_tw_reuse=1 &&
		ip netns exec "$NS_L" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
}
setup_impaired || die "could not create the namespaces and veths"

ip netns exec "$NS_I" "$MOAT" impair --a veth-la --b veth-lb --seed "$SEED" "${IMPAIR_ARGS[@]}" \
	</dev/null >"$TMP/impair.log" 2>&1 &
IMPAIR_PID=$!
PIDS+=("$IMPAIR_PID")
wait_for_line "$TMP/impair.log" "moat impair: ready" 10 || die "moat impair did not start: $(tail -3 "$TMP/impair.log")"
ip netns exec "$NS_M" "$MOAT" stack --iface veth-m --addr "$NET_I.2/24" --tcp-sink 5001 \
	--tcp-source "5002:$SRC_BYTES" --tcp-echo 5003 --udp-echo 5004 \
	</dev/null >"$TMP/stack.out" 2>"$TMP/stack.log" &
STACK_PID=$!
PIDS+=("$STACK_PID")
wait_for_line "$TMP/stack.log" "moat stack: ready" 10 || die "moat stack did not start: $(tail -3 "$TMP/stack.log")"

# ---- the sandbox ----
SUB=""
for x in $(seq 1 250); do
	ip -4 addr show | grep -q " 10\.207\.$x\." && continue
	SUB=10.207.$x
	break
done
[ -n "$SUB" ] || die "no free 10.207.X.0/24 on the host"
SIP=$SUB.2
# Five free host ports in a row (TCP, and UDP for the last).
HP=""
for _ in $(seq 50); do
	b=$((21000 + RANDOM % 11000))
	used=0
	for p in $b $((b + 1)) $((b + 2)) $((b + 3)); do
		[ -n "$(ss -Htln "sport = :$p" 2>/dev/null)" ] && used=1
	done
	[ -n "$(ss -Huln "sport = :$((b + 4))" 2>/dev/null)" ] && used=1
	[ $used = 0 ] && { HP=$b; break; }
done
[ -n "$HP" ] || die "no free host ports"
HOSTPORTS=$HP,$((HP + 1)),$((HP + 2)),$((HP + 3)),$((HP + 4))
"$MOAT" "do" --ip "$SIP/24" -p "127.0.0.1:$HP:9001" -p "127.0.0.1:$((HP + 1)):9002" \
	-p "127.0.0.1:$((HP + 2)):9003" -p "127.0.0.1:$((HP + 3)):9004" \
	-p "127.0.0.1:$((HP + 4)):9005/udp" -- "$PY" "$SOAKPY" server \
	</dev/null >"$TMP/sandbox.log" 2>&1 &
DO_PID=$!
PIDS+=("$DO_PID")
wait_for_line "$TMP/sandbox.log" "soak server ready" 60 ||
	die "the sandbox's server did not start: $(tail -3 "$TMP/sandbox.log")"
# moat do's children: the sentry (a "moat" with children: the gofer and the
# program's stub), the port forwarder ("moat-fwd"), and the network
# watchdog (a "moat" without children; not measured).
SENTRY_PID=""
FWD_PID=""
for _ in $(seq 100); do
	# shellcheck disable=SC2013 # pids, one word each
	for c in $(cat /proc/"$DO_PID"/task/*/children 2>/dev/null); do
		case $(cat "/proc/$c/comm" 2>/dev/null) in
		moat-fwd) FWD_PID=$c ;;
		moat) [ -n "$(cat /proc/"$c"/task/*/children 2>/dev/null)" ] && SENTRY_PID=$c ;;
		esac
	done
	[ -n "$SENTRY_PID" ] && [ -n "$FWD_PID" ] && break
	sleep 0.1
done
if [ -z "$SENTRY_PID" ] || [ -z "$FWD_PID" ]; then
	die "could not find the sentry and forwarder of moat do $DO_PID"
fi
VETH=$(ip -o route get "$SIP" 2>/dev/null | sed -n 's/.* dev \(moat[0-9]*\) .*/\1/p')
[ -n "$VETH" ] || die "no route to the sandbox $SIP through a moatN veth"

# ---- traffic ----
START=$SECONDS
"$PY" "$SOAKPY" client --subject sandbox --addr "$SIP" --hostports "$HOSTPORTS" \
	--seconds "$DURATION" --deadline "$DEADLINE" --seed "$SEED" --stats "$TMP/sandbox.stats" \
	</dev/null >"$TMP/sandbox-client.log" 2>&1 &
SB_CLIENT=$!
PIDS+=("$SB_CLIENT")
ip netns exec "$NS_L" "$PY" "$SOAKPY" client --subject impaired --addr "$NET_I.2" --local "$NET_I.1" \
	--stack-out "$TMP/stack.out" --source-bytes "$SRC_BYTES" --seconds "$DURATION" \
	--deadline "$DEADLINE" --seed "$SEED" --stats "$TMP/impaired.stats" \
	</dev/null >"$TMP/impaired-client.log" 2>&1 &
IM_CLIENT=$!
PIDS+=("$IM_CLIENT")

say "soak: ${DURATION}s (SOAK_SECONDS), deadline ${DEADLINE}s a transfer, seed $SEED, logs $TMP"
say "  sandbox : moat do $DO_PID (sentry $SENTRY_PID, forwarder $FWD_PID), $SIP on $VETH, published 127.0.0.1:$HP-$((HP + 4))"
say "  impaired: moat stack $STACK_PID ($NET_I.2) behind moat impair $IMPAIR_PID (${IMPAIR_ARGS[*]}), namespaces $NS_L $NS_I $NS_M"

# usr1 PID LOG PATTERN: ask for counters, wait for one more PATTERN line.
usr1() {
	local n end
	n=$(grep -c -- "$3" "$2")
	kill -USR1 "$1" 2>/dev/null || return 1
	end=$((SECONDS + 5))
	while [ "$(grep -c -- "$3" "$2")" -le "$n" ] && [ $SECONDS -lt $end ]; do
		sleep 0.05
	done
}
# impair_counter DIR NAME: the last value of NAME on the bridge's DIR line
impair_counter() {
	grep "^moat impair: $1 .* rx " "$TMP/impair.log" | tail -1 |
		awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}
# stack_block: the last block of counters moat stack printed
stack_block() {
	awk '/^counters:/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$TMP/stack.log"
}
sb_sockets() {
	timeout 5 bash -c "exec 3<>/dev/tcp/$SIP/9006 && cat <&3" 2>/dev/null
}

# sample_rss ELAPSED: RSS of moat's processes, one line "ELAPSED NAME KB"
# each in rss.log; the lines print these values (RSS[NAME], in kB)
WATCH=(sentry:SENTRY_PID forwarder:FWD_PID stack:STACK_PID impair:IMPAIR_PID)
declare -A RSS
sample_rss() {
	local w name var kb
	for w in "${WATCH[@]}"; do
		name=${w%%:*}
		var=${w#*:}
		kb=$(rss_kb "${!var}")
		RSS[$name]=${kb:-0}
		[ -n "$kb" ] && echo "$1 $name $kb" >>"$TMP/rss.log"
	done
}

line_sandbox() {
	local f=$TMP/sandbox.stats t=$1
	local bytes fails sock
	bytes=$(($(sv "$f" up_bytes) + $(sv "$f" down_bytes)))
	fails=$(($(sv "$f" fail_mismatch) + $(sv "$f" fail_stall) + $(sv "$f" fail_error) + $(sv "$f" fail_lost)))
	sock=$(sb_sockets)
	say "[$(elapsed "$t")${2:-}] sandbox : bulk up $(sv "$f" up_n) down $(sv "$f" down_n) ($(human_bytes $bytes))," \
		"rr $(sv "$f" rr_n), churn $(sv "$f" churn_n), udp $(sv "$f" udp_ok) (resent $(sv "$f" udp_retry));" \
		"failures $fails; rss sentry $(mib "${RSS[sentry]}") fwd $(mib "${RSS[forwarder]}");" \
		"$VETH rx $(cat /sys/class/net/"$VETH"/statistics/rx_packets 2>/dev/null)" \
		"tx $(cat /sys/class/net/"$VETH"/statistics/tx_packets 2>/dev/null)" \
		"dropped $(($(cat /sys/class/net/"$VETH"/statistics/rx_dropped 2>/dev/null || echo 0) + $(cat /sys/class/net/"$VETH"/statistics/tx_dropped 2>/dev/null || echo 0)));" \
		"sandbox $(echo "${sock:-tcp_sockets ? time_wait ?}" | awk '{ print "tcp sockets", $2, "(" $4, "TIME_WAIT)" }')"
}
line_impaired() {
	local f=$TMP/impaired.stats t=$1
	local bytes fails sent ok blk
	bytes=$(($(sv "$f" up_bytes) + $(sv "$f" down_bytes)))
	fails=$(($(sv "$f" fail_mismatch) + $(sv "$f" fail_stall) + $(sv "$f" fail_error) + $(sv "$f" fail_lost)))
	sent=$(sv "$f" udp_sent)
	ok=$(sv "$f" udp_ok)
	usr1 "$IMPAIR_PID" "$TMP/impair.log" "^moat impair: b2a .* rx "
	usr1 "$STACK_PID" "$TMP/stack.log" "pool:"
	blk=$(stack_block)
	say "[$(elapsed "$t")${2:-}] impaired: bulk up $(sv "$f" up_n) down $(sv "$f" down_n) ($(human_bytes $bytes))," \
		"rr $(sv "$f" rr_n), churn $(sv "$f" churn_n), udp $ok of $sent back" \
		"($(awk -v s="$sent" -v o="$ok" 'BEGIN { printf "%.1f%%", s ? 100 * (s - o) / s : 0 }') lost, $(sv "$f" udp_dup) dup);" \
		"failures $fails; rss stack $(mib "${RSS[stack]}") impair $(mib "${RSS[impair]}");" \
		"bridge a2b/b2a dropped $(impair_counter a2b dropped)/$(impair_counter b2a dropped)" \
		"reordered $(impair_counter a2b reordered)/$(impair_counter b2a reordered)" \
		"dup $(impair_counter a2b duplicated)/$(impair_counter b2a duplicated);" \
		"stack $(echo "$blk" | awk '$1 == "tcp.retrans_segs" { r = $2 } $1 == "tcp.rto_expired" { o = $2 }
			$1 == "tcp" { c++ } $1 == "pool:" { p = $2 }
			END { printf "retrans %d rto %d, %d tcp conns, pool %s chunks", r, o, c, p }')"
}

# alive: the processes that must live until the end ("NAME PID" a line)
alive_list() {
	echo "moat-do $DO_PID"
	echo "sentry $SENTRY_PID"
	echo "forwarder $FWD_PID"
	echo "moat-stack $STACK_PID"
	echo "moat-impair $IMPAIR_PID"
	[ "$(sv "$TMP/sandbox.stats" "done")" = 1 ] || echo "sandbox-client $SB_CLIENT"
	[ "$(sv "$TMP/impaired.stats" "done")" = 1 ] || echo "impaired-client $IM_CLIENT"
}
check_alive() {
	local name pid
	while read -r name pid; do
		if ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ]; then
			local how="" st
			case $name in *client)
				wait "$pid" 2>/dev/null
				st=$?
				# alive_list read the stats before the client wrote
				# its last ones and ended: a normal end, not a death
				[ "$st" = 0 ] && [ "$(sv "$TMP/${name%-client}.stats" "done")" = 1 ] && continue
				how=", exit status $st, its log: $(tail -2 "$TMP/$name.log" | tr '\n' ' ')" ;;
			esac
			bad "process died: $name (pid $pid) at $(elapsed $((SECONDS - START)))$how"
			say "soak: $name (pid $pid) died"
			return 1
		fi
	done < <(alive_list)
}

next=$((START + INTERVAL))
while [ $((SECONDS - START)) -lt "$DURATION" ]; do
	sleep 2
	check_alive || break
	if [ $SECONDS -ge $next ]; then
		t=$((SECONDS - START))
		sample_rss "$t"
		line_sandbox "$t"
		line_impaired "$t"
		next=$((next + INTERVAL))
	fi
done

# The end: the clients let the transfers under way finish (each within the
# deadline), then write their last figures.
if [ "$FAILED" = 0 ]; then
	limit=$((SECONDS + DEADLINE + 30))
	while [ $SECONDS -lt $limit ]; do
		[ "$(sv "$TMP/sandbox.stats" "done")" = 1 ] && [ "$(sv "$TMP/impaired.stats" "done")" = 1 ] && break
		check_alive || break
		sleep 1
	done
	for c in sandbox impaired; do
		[ "$(sv "$TMP/$c.stats" "done")" = 1 ] ||
			bad "the $c client was still busy ${DEADLINE}s after the end (a stalled transfer)"
	done
	check_alive
fi
T_END=$((SECONDS - START))
sample_rss "$T_END"
kill -0 "$DO_PID" 2>/dev/null && line_sandbox "$T_END" " end"
kill -0 "$STACK_PID" 2>/dev/null && kill -0 "$IMPAIR_PID" 2>/dev/null && line_impaired "$T_END" " end"

# ---- summary ----
say ""
say "soak summary: $(elapsed "$T_END") of traffic (SOAK_SECONDS=$DURATION), seed $SEED"
for c in sandbox impaired; do
	f=$TMP/$c.stats
	mm=$(sv "$f" fail_mismatch)
	st=$(sv "$f" fail_stall)
	er=$(sv "$f" fail_error)
	lo=$(sv "$f" fail_lost)
	udp="udp $(sv "$f" udp_ok) echoes checked (resent $(sv "$f" udp_retry), late $(sv "$f" udp_late))"
	if [ $c = impaired ]; then
		sent=$(sv "$f" udp_sent)
		ok=$(sv "$f" udp_ok)
		pct=$(awk -v s="$sent" -v o="$ok" 'BEGIN { printf "%.1f", s ? 100 * (s - o) / s : 0 }')
		udp="udp $ok of $sent echoes back intact ($pct% lost, $(sv "$f" udp_dup) duplicated)"
		awk -v p="$pct" -v m="$UDP_LOSS_MAX" 'BEGIN { exit !(p > m) }' &&
			bad "impaired: $pct% of datagrams lost (more than $UDP_LOSS_MAX%)"
	fi
	say "  $c: verified bulk up $(sv "$f" up_n) ($(human_bytes "$(sv "$f" up_bytes)")), down $(sv "$f" down_n)" \
		"($(human_bytes "$(sv "$f" down_bytes)")); rr $(sv "$f" rr_n) round trips; churn $(sv "$f" churn_n)" \
		"connections; $udp"
	say "  $c: failures: digest/content $mm, stalled $st, connection errors $er, datagrams lost $lo"
	[ "$mm" -gt 0 ] && bad "$c: $mm digest/content mismatches"
	[ "$st" -gt 0 ] && bad "$c: $st stalled transfers (no result within ${DEADLINE}s)"
	[ "$er" -gt 0 ] && bad "$c: $er connection errors"
	[ "$lo" -gt 0 ] && bad "$c: $lo datagrams unanswered after 4 tries"
	for k in up_n down_n rr_n churn_n udp_ok; do
		[ "$(sv "$f" $k)" -gt 0 ] || bad "$c: no ${k%_*} traffic verified at all"
	done
	if grep -q " FAIL " "$TMP/$c-client.log"; then
		say "  $c: first failures (of $(grep -c " FAIL " "$TMP/$c-client.log")):"
		grep " FAIL " "$TMP/$c-client.log" | head -5 | sed 's/^/      /' | tee -a "$TMP/report.log"
	fi
	if grep -qv " FAIL \|running$" "$TMP/$c-client.log"; then
		say "  $c client said:"
		grep -v " FAIL \|running$" "$TMP/$c-client.log" | tail -5 | sed 's/^/      /' | tee -a "$TMP/report.log"
	fi
done

# Memory: baseline = first sample at or after min(300, DURATION/3) s.
BASE_T=$((DURATION / 3 < 300 ? DURATION / 3 : 300))
for w in "${WATCH[@]}"; do
	name=${w%%:*}
	read -r base base_t fin peak <<<"$(awk -v n="$name" -v bt="$BASE_T" '
		$2 == n { if (b == "" && $1 >= bt) { b = $3; t = $1 } f = $3; if ($3 > p) p = $3 }
		END { print (b == "" ? f : b), (t == "" ? "end" : t), f, p }' "$TMP/rss.log" 2>/dev/null)"
	if [ -z "${fin:-}" ]; then
		say "  memory $name: no sample"
		continue
	fi
	verdict=ok
	if awk -v b="$base" -v f="$fin" -v s="$SLACK_KB" 'BEGIN { exit !(f > 1.5 * b && f - b > s) }'; then
		verdict="GREW"
		bad "memory: $name RSS $base kB at ${base_t}s -> $fin kB at the end (over 1.5x and +${SLACK_KB} kB)"
	fi
	at=end
	[ "$base_t" = end ] || at=$(elapsed "$base_t")
	say "  memory $name: RSS $(mib "$base") at $at -> $(mib "$fin") at the end (peak $(mib "$peak")): $verdict"
done
say "  samples: $(awk '{ print $1 }' "$TMP/rss.log" 2>/dev/null | sort -un | wc -l) (RSS every minute; rss.log in the logs)"

if [ "$FAILED" = 0 ]; then
	say "soak: PASS"
	exit 0
fi
say "soak: FAIL"
for r in "${REASONS[@]}"; do
	say "  - $r"
done
exit 1
