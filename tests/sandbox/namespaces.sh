#!/bin/bash
# Namespaces a sandboxed program makes for itself (sentry/kernel/ns.c,
# mount namespaces with sentry/vfs/mount.c):
# util-linux's unshare as a user would run it, compared with the same
# commands run natively in a throw-away network namespace, and many
# namespaces made and dropped with connections still in them
# (progs/ns_churn.c). The line-by-line comparison of the calls is the
# diff case `namespaces` (tests/diff/nscases.c), and `mount_ns`
# (tests/diff/mountcases.c) for mount namespaces.
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
	"unshare -m sh -c 'mount -t tmpfs -o size=1m,mode=700 none /mnt && stat -c %a /mnt && touch /mnt/x && grep -c \" /mnt \" /proc/self/mountinfo; findmnt -n -o FSTYPE,VFS-OPTIONS,PROPAGATION /mnt; mkdir /mnt/a /mnt/b; mount --bind /mnt/a /mnt/b && mount -o remount,bind,ro /mnt/b && touch /mnt/b/f; findmnt -n -o VFS-OPTIONS /mnt/b; umount /mnt/b; umount -l /mnt; grep -c \" /mnt \" /proc/self/mountinfo'; grep -c ' /mnt ' /proc/self/mountinfo"
	"unshare -rm sh -c 'id -u; mount -t tmpfs none /mnt && echo mounted; findmnt -n -o FSTYPE,PROPAGATION /mnt; mount -o remount,ro /proc 2>&1 | grep -c denied; mount -o remount,ro /mnt && touch /mnt/b 2>&1 | grep -c Read-only; umount /mnt && echo unmounted'"
	"a=\$(readlink /proc/self/ns/mnt); unshare -m readlink /proc/self/ns/mnt | grep -cvx \"\$a\""
)
# bubblewrap, where installed: a private tree of tmpfs, proc, devpts and
# bind mounts, a read-only remount of / and a pivot_root into it
command -v bwrap >/dev/null && CMDS+=(
	"bwrap --ro-bind / / --tmpfs /tmp --proc /proc --dev /dev sh -c 'ls /dev | tr \"\\n\" \" \"; echo; touch /usr/x 2>&1; echo x > /tmp/y && cat /tmp/y; findmnt -n -o FSTYPE,VFS-OPTIONS -T /tmp/y | tail -1; test -r /proc/self/status && echo proc'"
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
