#!/bin/bash
# CPU placement of the ptrace platform (platform/ptrace/ptrace.c; run with
# MOAT_PLATFORM=ptrace): the sentry's thread is pinned to one CPU; a task
# that makes syscalls often stays on that CPU, a task that computes for
# long between syscalls is let go to every CPU; MOAT_PIN=0 turns placement
# off; systrap pins only a task whose polls fail. Read from the host, in
# /proc/PID/status (Cpus_allowed_list) of moat and of the sandbox's tasks.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

all=$(awk '/^Cpus_allowed_list/ { print $2 }' /proc/self/status)
if [ "$(nproc)" -lt 2 ]; then
	echo "(one CPU: placement has nothing to do; skipped)"
	exit 0
fi
T=$(tmpd) || exit 1
# two processes: one calls getppid() in a loop, one computes for 50 ms
# between calls; both end on their own after 120 s (the test kills them
# once it has looked; a loaded machine may take long to start python)
cat >"$T/two.py" <<'EOF'
import os, time
end = time.time() + 120
if os.fork() == 0:
    while time.time() < end:
        os.getppid()
    os._exit(0)
if os.fork() == 0:
    while time.time() < end:
        t = time.time() + 0.05
        while time.time() < t:
            pass
        os.getppid()
    os._exit(0)
# the parent's own start-up (imports) may look like computing: a burst of
# syscalls settles it on the sentry's CPU before it waits
for _ in range(4000):
    os.getppid()
os.wait()
os.wait()
EOF

cpus() { awk '/^Cpus_allowed_list/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# placement of each of the sandbox's processes, once they have settled:
# "pinned" (one CPU, the sentry's) or "free" (all of them), sorted
placements() {
	local p c
	for p in $(sandbox_pids); do
		c=$(cpus "$p")
		[ -z "$c" ] && continue
		if [ "$c" = "$all" ]; then echo free; else echo "pinned:$c"; fi
	done | sort | uniq -c | awk '{ printf "%s %s; ", $1, $2 }'
}

run_and_look() { # WANT-PATTERN ENV...: prints the sentry's placement, then the tasks'
	local want=$1
	shift
	env "$@" $MOAT do --network=none -v "$T:/t" python3 /t/two.py &
	local moat=$!
	sb_bg $moat
	# Wait for the three processes (a loaded machine starts python
	# slowly), then until the placement is the one wanted or 15 s pass
	# (placement follows each task's CPU time, read every few stops).
	local seen end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ] && [ "$(sandbox_pids | wc -l)" -lt 3 ]; do sleep 0.1; done
	end=$((SECONDS + 15))
	local sentry
	wait_for 30 eval 'sentry=$(sentry_of $moat)'
	local scpu
	while :; do
		scpu=$(cpus "$sentry")
		seen="moat $scpu; $(placements)"
		# "pinned:*" is the sentry's CPU as read in the same look:
		# systrap's probes unpin a task and pin it again, the sentry
		# with it, maybe on the other CPU, and a look taken across one
		# saw the sentry on one CPU and the task on the other.
		# shellcheck disable=SC2053 # (want is a pattern)
		[[ "${seen#*; }" == ${want//pinned:\*/pinned:$scpu} ]] || [ $SECONDS -ge $end ] && break
		sleep 0.1
	done
	echo "$seen"
	kill -KILL $moat
	wait $moat 2>/dev/null
	for _ in $(seq 50); do
		[ "$(sandbox_leftovers)" -eq 0 ] && break
		sleep 0.1
	done
}

got=$(run_and_look "1 free; 2 pinned:*; " MOAT_PIN=1 MOAT_PLATFORM=ptrace)
sentry=$(echo "$got" | sed -n 's/^moat \([^;]*\);.*/\1/p')
# the sentry's thread (moat do's child) is on one CPU: a single number
[[ "$sentry" =~ ^[0-9]+$ ]] && pass sentry_pinned || fail sentry_pinned "$got"
# python3 parent (waiting), the getppid loop: pinned to the sentry's CPU;
# the computing child: free
expect busy_syscalls_pinned_compute_free "1 free; 2 pinned:$sentry; " "$(echo "$got" | sed 's/^moat [^;]*; //')"

got=$(run_and_look "3 free; " MOAT_PIN=0 MOAT_PLATFORM=ptrace)
expect placement_off "moat $all; 3 free; " "$got"
# systrap: a task and its sentry poll for each other on different CPUs;
# only a task whose polls fail (a busy machine; here, a handler that never
# polls: MOAT_SYSTRAP_SPIN=0) is pinned beside the sentry, and never one
# that computes
# (the parent's own placement depends on timing: its burst may end in
# a probe, which leaves it on every CPU while it waits, so the loop
# child is pinned and the computing child free, the parent either way)
got=$(run_and_look "[12] free; [12] pinned:*; " MOAT_PLATFORM=systrap MOAT_SYSTRAP_SPIN=0)
sentry=$(echo "$got" | sed -n 's/^moat \([^;]*\);.*/\1/p')
[[ "$sentry" =~ ^[0-9]+$ ]] && pass systrap_sentry_pinned_beside_collapsed || fail systrap_sentry_pinned_beside_collapsed "$got"
case "$(echo "$got" | sed 's/^moat [^;]*; //')" in
"1 free; 2 pinned:$sentry; " | "2 free; 1 pinned:$sentry; ") pass systrap_collapsed_pinned_compute_free ;;
*) fail systrap_collapsed_pinned_compute_free "$got" ;;
esac
got=$(run_and_look "3 free; " MOAT_PIN=0 MOAT_PLATFORM=systrap MOAT_SYSTRAP_SPIN=0)
expect systrap_placement_off "moat $all; 3 free; " "$got"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
