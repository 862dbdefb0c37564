#!/bin/bash
# Sandboxes started at the same moment (issue: four of eight failed with
# "configuring moat1: No such device": a sandbox that ended deleted its veth
# by name, after a new one had taken the name). NET_PARALLEL (default 50)
# `moat do` with default networking, each serving its own page through its
# own -p, all started at once: every one answers with its own page, every
# veth is distinct; after SIGTERM to all, and again after SIGKILL to all at
# once, none of their veths or processes is left.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
N=${NET_PARALLEL:-50}
T=$(tmpd) || exit 1
chmod 755 "$T"
BASE=$((20000 + RANDOM % 20000))
PIDS=()

start_all() { # round
	PIDS=()
	local i
	for i in $(seq "$N"); do
		mkdir -p "$T/www$i"
		echo "page $1.$i" >"$T/www$i/index.html"
		"$MOAT" do -p 127.0.0.1:$((BASE + i)):8080 -- busybox httpd -f -p 8080 -h "$T/www$i" \
			>"$T/moat$i.log" 2>&1 &
		PIDS+=($!)
		sb_bg $!
	done
}

# Every sandbox answers with its own page (120 s for all: 50 starts on 2 CPUs).
check_all() { # round
	local i good=0 end=$((SECONDS + 120))
	declare -A ok
	while [ $SECONDS -lt $end ] && [ $good -lt "$N" ]; do
		for i in $(seq "$N"); do
			[ -n "${ok[$i]:-}" ] && continue
			if [ "$(curl -sf --max-time 2 http://127.0.0.1:$((BASE + i))/index.html)" = "page $1.$i" ]; then
				ok[$i]=1
				good=$((good + 1))
			elif ! kill -0 "${PIDS[$((i - 1))]}" 2>/dev/null; then
				ok[$i]=dead
			fi
		done
		sleep 0.2
	done
	expect "round$1_${N}_sandboxes_each_serve_their_page" "$N" "$good"
	local dead
	dead=$(grep -l "moat:" "$T"/moat*.log 2>/dev/null | head -3 | xargs -r cat | head -3 | tr '\n' '|')
	expect "round$1_no_start_errors" "" "$dead"
}

BEFORE=$(moat_ifaces)
ours_ifaces() { # moatN veths that were not there before this suite
	comm -13 <(echo "$BEFORE") <(moat_ifaces)
}

# NAME:IFINDEX of each of ours, and those of them still there: by index
# too, as another moat on the host may reuse a freed name meanwhile
with_index() {
	local v
	for v in $1; do echo "$v:$(cat /sys/class/net/$v/ifindex 2>/dev/null)"; done
}
still_there() {
	local e
	for e in $1; do
		[ "$(cat "/sys/class/net/${e%%:*}/ifindex" 2>/dev/null)" = "${e##*:}" ] && echo "${e%%:*}"
	done
}

wait_gone() {
	local p
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
}

# Short-lived sandboxes at once: some end while others start (the
# failing case: an ending sandbox deleted the veth a new one had just made
# under the same name).
bad=0
msgs=""
for r in 1 2 3; do
	qp=()
	for i in $(seq 16); do
		"$MOAT" do -- true >"$T/q$i.log" 2>&1 &
		qp+=($!)
	done
	for p in "${qp[@]}"; do wait "$p" || bad=$((bad + 1)); done
	msgs+=$(cat "$T"/q*.log)
done
expect short_sandboxes_3x16_at_once_all_succeed 0 "$bad"
expect short_sandboxes_no_device_errors "" "$(echo "$msgs" | grep -m3 'No such device')"

start_all 1
check_all 1
VETHS=$(ours_ifaces)
expect round1_distinct_veths "$N" "$(echo "$VETHS" | grep -c .)"
VIDX=$(with_index "$VETHS")
for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
wait_gone
expect round1_no_veth_left_after_sigterm "" "$(still_there "$VIDX")"
expect round1_no_records_left 0 "$(for p in "${PIDS[@]}"; do [ -f "/run/moat/net/$p" ] && echo "$p"; done | wc -l)"
expect round1_no_sandbox_processes 0 "$(sandbox_leftovers)"

start_all 2
check_all 2
VIDX=$(with_index "$(ours_ifaces)")
for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
wait_gone
# (the kernel destroys each veth with its sandbox's namespace; give it 30 s)
left=""
for i in $(seq 300); do
	left=$(still_there "$VIDX")
	[ -z "$left" ] && break
	sleep 0.1
done
expect round2_no_veth_left_after_sigkill "" "$left"
for i in $(seq 300); do [ "$(sandbox_leftovers)" = 0 ] && break; sleep 0.1; done
expect round2_no_sandbox_processes 0 "$(sandbox_leftovers)"
