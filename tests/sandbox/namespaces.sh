#!/bin/bash
# Namespaces a sandboxed program makes for itself (sentry/kernel/ns.c):
# util-linux's unshare as a user would run it, compared with the same
# commands run natively in a throw-away network namespace, and many
# namespaces made and dropped with connections still in them
# (progs/ns_churn.c). The line-by-line comparison of the calls is the
# diff case `namespaces` (tests/diff/nscases.c).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

progs || { fail build_progs; exit 1; }
NS=mns$$
cleanup_ns() { ip netns del "$NS" 2>/dev/null; }
trap 'cleanup_ns; sb_cleanup' EXIT

# (each command prints what a program in a new namespace would look at)
CMDS=(
	"unshare -u sh -c 'hostname inner; hostname'; hostname | grep -vx inner | wc -l"
	"unshare -r sh -c 'id -u; id -g; cat /proc/self/setgroups; cat /proc/self/uid_map | wc -w'"
	"unshare -U sh -c 'id -u; id -g'"
	"unshare -n sh -c 'ip -o link show lo | grep -c LOWER_UP; ip link set lo up; ip -o -4 addr show lo | wc -l; ping -c1 -W5 127.0.0.1 >/dev/null && echo ping'"
	"unshare -rn sh -c 'ip link set lo up && echo up; ip -o -6 addr show lo | wc -l'"
	"a=\$(readlink /proc/self/ns/net); unshare -n readlink /proc/self/ns/net | grep -cvx \"\$a\""
)
ip netns add "$NS" || { fail netns_setup; exit 1; }
ip -n "$NS" link set lo up
i=0
for c in "${CMDS[@]}"; do
	i=$((i + 1))
	native=$(cd / && ip netns exec "$NS" timeout 60 sh -c "$c" 2>&1)
	inside=$(cd / && timeout 120 $MOAT do -- sh -c "$c" 2>&1)
	expect_same "unshare_cli_$i" "$native" "$inside"
done
cleanup_ns

# 60 rounds of new user, network, UTS and IPC namespaces torn down with
# everything still in them, then one kept alive by an open ns file and
# entered with setns(2). (ns_churn bounds nothing by time; the 600 s
# timeout only stops a hang, on a loaded machine 60 rounds take ~10 s.)
out=$(cd / && timeout 600 $MOAT do --network none -- "$PROGS/ns_churn" 60 2>&1)
expect ns_churn "ok 60" "$out"
# ...and on the sandbox's own veth networking, where the nested stacks
# share the loop with the sandbox's interface
out=$(cd / && timeout 600 $MOAT do -- "$PROGS/ns_churn" 20 2>&1)
expect ns_churn_with_network "ok 20" "$out"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
