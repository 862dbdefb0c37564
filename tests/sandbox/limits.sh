#!/bin/bash
# Resource limits and teardown: --pids-limit stops a fork bomb without
# harming the host; killing moat (even with SIGKILL) leaves no process of
# the sandbox behind.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd) || exit 1
LIMIT=40

# fork() fails with EAGAIN at the limit
got=$($MOAT do --pids-limit 10 /usr/bin/python3 -c '
import os, time
n = 0
try:
    while True:
        if os.fork() == 0:
            time.sleep(5); os._exit(0)
        n += 1
except OSError as e:
    print(n, e.errno)
' 2>&1)
expect pids_limit_eagain "9 11" "$got"

# A classic fork bomb under --pids-limit: the sandbox stays at the limit,
# the host keeps working, and killing moat ends it all.
$MOAT do --pids-limit $LIMIT --debug-log "$T/log" bash -c 'b() { b | b & }; b; sleep 60' >/dev/null 2>&1 &
moat=$!
sb_bg $moat
# (wait for the limit to be hit rather than for the clock: a slow machine
# takes longer to get there)
for i in $(seq 100); do
	grep -q "pids limit $LIMIT reached" "$T/log" 2>/dev/null && break
	sleep 0.1
done
grep -q "pids limit $LIMIT reached" "$T/log" && pass fork_bomb_logged ||
	fail fork_bomb_logged "$(tail -n 3 "$T/log" 2>&1 | tr '\n' '|')"
max=0
for i in 1 2 3 4 5; do
	n=$(sandbox_leftovers)
	[ "$n" -gt "$max" ] && max=$n
	sleep 0.2
done
# virtual tasks are capped at LIMIT; host zombies waiting for their
# reaper may add a few
[ "$max" -gt 0 ] && [ "$max" -le $((LIMIT + 10)) ] && pass fork_bomb_capped || fail fork_bomb_capped "$max tasks"
check host_still_forks /bin/sh -c 'for i in 1 2 3 4 5; do /bin/true || exit 1; done'
{
	kill -KILL $moat
	wait $moat
} 2>/dev/null
for i in $(seq 50); do
	[ "$(sandbox_leftovers)" -eq 0 ] && break
	sleep 0.1
done
expect fork_bomb_gone_after_kill 0 "$(sandbox_leftovers)"

# SIGKILL to moat while a tree of processes runs
$MOAT do bash -c 'sleep 100 & (sleep 100 &); python3 -c "import time, threading; threading.Thread(target=time.sleep, args=(100,)).start(); time.sleep(100)" & wait' &
moat=$!
sb_bg $moat
# until the tree is up: bash, two sleeps, python and its thread (60 s: a
# loaded machine starts python slowly)
for i in $(seq 600); do
	n=$(sandbox_leftovers)
	[ "$n" -ge 4 ] && break
	sleep 0.1
done
[ "$n" -ge 4 ] && pass tree_running || fail tree_running "$n tasks"
{
	kill -KILL $moat
	wait $moat
} 2>/dev/null
for i in $(seq 50); do
	[ "$(sandbox_leftovers)" -eq 0 ] && break
	sleep 0.1
done
expect tree_gone_after_sigkill 0 "$(sandbox_leftovers)"

# SIGTERM to moat: the program gets it and the sandbox ends
$MOAT do bash -c 'sleep 100 & wait' &
moat=$!
sb_bg $moat
sleep 1
kill -TERM $moat
wait $moat
expect sigterm_status 143 "$?"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
