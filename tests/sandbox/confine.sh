#!/bin/bash
# The sentry's confinement (sentry/confine.c), checked from the host while a
# sandbox runs, and a simulated compromise: build/tests/moat-compromise is a
# test-only build whose sentry, once confined, tries what an attacker
# would (MOAT_COMPROMISE=open|socket|exec must get it killed by its
# seccomp filter, with moat saying so; openat-proc goes through the filter
# and must be refused by the kernel). Every wait is bounded (stated).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd)
COMPROMISE=$(realpath -m "${BUILD:-build}/tests/moat-compromise")

children() { cat /proc/"$1"/task/*/children 2>/dev/null; }

mkfifo "$T/go"
"$MOAT" do --network none -- /bin/sh -c 'read x; echo done' <"$T/go" >"$T/out" 2>"$T/err" &
M=$!
sb_bg $M
exec 6>"$T/go"
S=
# (60 s: a loaded machine starts a sandbox in well under that)
wait_for 60 eval 'S=$(sentry_of $M) && [ "$(field $S Seccomp)" = 2 ]' || true
if [ -z "$S" ]; then
	fail confine.sentry_found "no sentry under moat $M"
else
	pass confine.sentry_found
	expect confine.seccomp 2 "$(field "$S" Seccomp)"
	expect confine.no_new_privs 1 "$(field "$S" NoNewPrivs)"
	expect confine.cap_effective 0000000000000000 "$(field "$S" CapEff)"
	expect confine.cap_permitted 0000000000000000 "$(field "$S" CapPrm)"
	expect confine.cap_bounding 0000000000000000 "$(field "$S" CapBnd)"
	expect confine.root_empty "" "$(ls -A /proc/$S/root/ 2>&1)"
	expect confine.mount_ns_own yes \
		"$([ "$(readlink /proc/$S/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && echo yes || echo no)"
	# no host directory fd but its own procfs instance
	dirs=$(for f in /proc/$S/fd/*; do
		[ -d "$f" ] || continue
		t=$(stat -L -f -c %T "$f" 2>/dev/null)
		[ "$t" = proc ] || echo "$(readlink "$f") ($t)"
	done)
	expect confine.no_host_dirs "" "$dirs"
	# its tasks: an empty root too
	tasks=$(for c in $(children "$S"); do
		[ "$(readlink /proc/$c/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && echo "$c"
	done)
	if [ -n "$tasks" ]; then
		bad=$(for c in $tasks; do [ -z "$(ls -A /proc/$c/root/ 2>&1)" ] || echo "$c"; done)
		expect confine.tasks_root_empty "" "$bad"
	else
		fail confine.tasks_root_empty "no task found under sentry $S"
	fi
fi
echo go >&6
exec 6>&-
wait $M
expect confine.program_ran "0 done" "$? $(cat "$T/out")"

# --- the debugging mode keeps host access ---
"$MOAT" do --network none --debug-unconfined -- /bin/sh -c 'read x' <"$T/go" &
M=$!
sb_bg $M
exec 6>"$T/go"
S=
wait_for 60 eval 'S=$(sentry_of $M) && [ -n "$(ls /proc/$S/task/*/children 2>/dev/null)" ]' || true
[ -n "$S" ] && wait_for 60 eval '[ -n "$(children $S)" ]'
expect confine.debug_unconfined.seccomp 0 "$(field "$S" Seccomp)"
echo go >&6
exec 6>&-
wait $M

# --- a compromised sentry ---
if [ -x "$COMPROMISE" ]; then
	for what in open socket exec; do
		out=$(MOAT_COMPROMISE=$what "$COMPROMISE" do --network none -- /bin/echo survived 2>&1)
		rc=$?
		case $what in open) nr="257 (openat)" ;; socket) nr="41 (socket)" ;; exec) nr="59 (execve)" ;; esac
		expect "confine.compromise.$what.status" 125 "$rc"
		check "confine.compromise.$what.named" grep -q "host syscall $nr, which its seccomp allow-list refuses" <<<"$out"
		check "confine.compromise.$what.reported" grep -q "the sentry was killed by signal 31" <<<"$out"
		expect "confine.compromise.$what.no_output" 0 "$(grep -c survived <<<"$out")"
	done
	# allowed by the filter (its procfs fd), refused by the kernel: pid 1
	# is not in its procfs instance, and it could not ptrace it anyway
	out=$(MOAT_COMPROMISE=openat-proc "$COMPROMISE" do --network none -- /bin/echo survived 2>&1)
	rc=$?
	expect confine.compromise.proc_root.status 0 "$rc"
	check confine.compromise.proc_root.refused grep -q "1/root/etc/shadow: -1" <<<"$out"
	check confine.compromise.proc_root.continues grep -q "^survived" <<<"$out"
	# the default build has no such hook
	out=$(MOAT_COMPROMISE=open "$MOAT" do --network none -- /bin/echo survived 2>&1)
	expect confine.default_build_unaffected survived "$out"
else
	fail confine.compromise "$COMPROMISE not built"
fi

# --- --network host: the documented weaker mode still works confined ---
port=$((20000 + RANDOM % 20000))
python3 - "$port" >"$T/host.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
print("ready", flush=True)
s.settimeout(120)
c, _ = s.accept()
print(c.recv(100).decode().strip(), flush=True)
EOF
P=$!
sb_bg $P
wait_for 60 grep -q ready "$T/host.out"
"$MOAT" do --network host -- /bin/bash -c "echo hello-from-sandbox > /dev/tcp/127.0.0.1/$port" 2>"$T/err3"
expect confine.network_host.status 0 "$?"
wait $P
expect confine.network_host.received "ready|hello-from-sandbox" "$(tr '\n' '|' < "$T/host.out" | sed 's/|$//')"

# --- not root: no mount namespace of its own, the rest applies ---
if id nobody >/dev/null 2>&1; then
	out=$(su nobody -s /bin/sh -c "cd / && '$MOAT' do --network none /bin/echo as-nobody" 2>&1)
	expect confine.not_root.runs as-nobody "$out"
	if [ -x "$COMPROMISE" ]; then
		out=$(su nobody -s /bin/sh -c "cd / && MOAT_COMPROMISE=socket '$COMPROMISE' do --network none /bin/echo survived" 2>&1)
		expect confine.not_root.compromise_killed "125 0" "$? $(grep -c survived <<<"$out")"
	fi
fi
