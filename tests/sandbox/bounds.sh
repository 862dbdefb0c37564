#!/bin/bash
# Resource bounds of a whole sandbox (moat do --memory, --overlay-size):
# the limit holds for the sandbox's processes, moat and the host are
# unharmed, nothing is left behind, bad values are refused with one line.
# Every wait is bounded (stated).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd)
cg_left() { ls -d /sys/fs/cgroup/memory/moat/do-* /sys/fs/cgroup/moat/do-* 2>/dev/null | wc -l; }
before=$(cg_left)

# --- memory: a 400 MiB allocation in a 64 MiB sandbox is killed ---
out=$("$MOAT" do --network none --memory 64m -- python3 -c 'x = bytearray(400 << 20); print("allocated")' 2>&1)
rc=$?
expect bounds.memory.killed 137 "$rc"
expect bounds.memory.not_allocated 0 "$(grep -c allocated <<<"$out")"
expect bounds.memory.sentry_unharmed 0 "$(grep -c 'sentry was killed' <<<"$out")"
out=$("$MOAT" do --network none --memory 256m -- python3 -c 'x = bytearray(100 << 20); print("allocated")' 2>&1)
expect bounds.memory.within allocated "$out"
expect bounds.memory.cgroup_removed "$before" "$(cg_left)"

# a SIGKILLed moat's cgroup is removed by the next moat do --memory
mkfifo "$T/go"
"$MOAT" do --network none --memory 64m -- /bin/sh -c 'read x' <"$T/go" &
M=$!
sb_bg $M
exec 6>"$T/go"
# (60 s: until its cgroup exists)
end=$((SECONDS + 60))
until [ -e /sys/fs/cgroup/memory/moat/do-$M ] || [ -e /sys/fs/cgroup/moat/do-$M ] || [ $SECONDS -ge $end ]; do
	sleep 0.05
done
kill -KILL $M
wait $M 2>/dev/null
exec 6>&-
# (the sandbox's processes die with moat; 60 s for them to be gone)
end=$((SECONDS + 60))
while [ "$(sandbox_leftovers)" -gt 0 ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
"$MOAT" do --network none --memory 64m -- /bin/true
expect bounds.memory.killed_moat_cgroup_cleaned "$before" "$(cg_left)"

# --- the in-memory layers: ENOSPC past --overlay-size ---
out=$("$MOAT" do --network none --overlay-size 8m -- /bin/sh -c \
	'dd if=/dev/zero of=/tmp/f bs=1M count=16 2>&1 | grep -o "No space left on device" | head -1; rm -f /tmp/f;
	 dd if=/dev/zero of=/root-file bs=1M count=4 2>/dev/null && echo fits' 2>&1)
expect bounds.overlay.enospc_then_fits "No space left on device|fits" "$(tr '\n' '|' <<<"$out" | sed 's/|$//')"

# --- bad values: one line, status 125 ---
for bad in "--memory 0" "--memory 1k" "--memory -5m" "--memory 12x" "--overlay-size 0" "--overlay-size 9q"; do
	out=$("$MOAT" do --network none $bad -- /bin/true 2>&1)
	rc=$?
	expect "bounds.bad_value.${bad// /_}" "125 1" "$rc $(wc -l <<<"$out")"
done
