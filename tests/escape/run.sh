#!/bin/bash
# The hostile-program suite (issue 11): tests/escape/escape.c, built
# statically, runs as root inside `moat do` on a root of its own (busybox
# and itself) and tries ways out, one child per attempt; it prints a
# PASS/FAIL line per attempt. Then, from the host: the sandbox ended without
# harm to the sentry, a canary file outside the root was never read (its
# access time is unchanged, its text is in no output), nothing appeared next
# to it, the host's loopback has no address the program added, no process
# is left, and a new sandbox still runs.
#
#   tests/escape/run.sh          (part of make test; needs root)
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

W=$(tmpd)
root=$W/root
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
cp /bin/busybox "$root/bin/busybox" || { fail escape.setup "no /bin/busybox (busybox-static)"; exit 1; }
ln -s busybox "$root/bin/sh"
echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
if ! gcc -static -O1 -pthread -o "$root/escape" tests/escape/escape.c 2>"$W/cc.err"; then
	fail escape.build "$(tail -3 "$W/cc.err" | tr '\n' ' ')"
	exit 1
fi
canary=$W/canary
text="MOAT-CANARY-$RANDOM$RANDOM$RANDOM"
echo "$text" >"$canary"
# far in the past: a read would move it (relatime)
touch -d '2001-01-01 00:00:00' "$canary"
atime=$(stat -c %X "$canary")
host_lo() { ip -4 addr show dev lo | grep -c 10.251.0.1; }
lo_before=$(host_lo)

# (600 s: the slowest case walks 40,000 pids with four calls each)
timeout 600 "$MOAT" do --root "$root" --network none --pids-limit 64 --overlay-size 64m --memory 512m -- \
	/escape "$canary" "$text" >"$W/out" 2>"$W/err"
rc=$?
grep -E '^(PASS|FAIL) ' "$W/out"
cases=$(grep -c '^static int c_' tests/escape/escape.c)
ran=$(grep -cE '^(PASS|FAIL) escape\.' "$W/out")
expect escape.every_case_ran "$cases" "$ran"
# the last case is reboot: it may end the sandbox (as in a pid namespace),
# never moat or the sentry
case $rc in
125 | 124) fail escape.sandbox_ended_normally "moat exit $rc: $(tail -3 "$W/err" | tr '\n' ' ')" ;;
*) pass escape.sandbox_ended_normally ;;
esac
expect escape.sentry_unharmed 0 "$(grep -c -E 'sentry was killed|allow-list refuses|the gofer is gone' "$W/err")"
expect escape.canary_atime "$atime" "$(stat -c %X "$canary")"
expect escape.canary_not_in_output 0 "$(cat "$W/out" "$W/err" | grep -c "$text")"
expect escape.nothing_new_outside "canary cc.err err out root" "$(ls "$W" | tr '\n' ' ' | sed 's/ $//')"
expect escape.host_lo_unchanged "$lo_before" "$(host_lo)"
expect escape.no_processes_left 0 "$(sandbox_leftovers)"
check escape.next_sandbox_runs "$MOAT" do --network none -- /bin/true
