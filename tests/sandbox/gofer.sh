#!/bin/bash
# The gofer (gofer/README.md): a hostile client against the real gofer
# process (build/tests/gofer_attack), then the gofer under `moat do`: its
# confinement seen from the host while a sandbox runs, read-only and file
# bind mounts served by it, what happens when it dies, and that it never
# outlives its sandbox. Waits for events, never for a fixed time; every
# wait is bounded (stated where it happens).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd)
ATTACK=${BUILD:-build}/tests/gofer_attack
if [ -x "$ATTACK" ]; then
	mkdir -p "$T/attack"
	timeout 300 "$ATTACK" "$T/attack" || true
else
	fail gofer.attack "$ATTACK not built"
fi


# The gofer of sandbox $1 (a moat pid): the moat-gofer among its
# descendants.
gofer_of() {
	local g p
	for g in $(pgrep -x moat-gofer); do
		p=$g
		while [ -n "$p" ] && [ "$p" != 1 ] && [ "$p" != 0 ]; do
			p=$(_sb_ppid "$p") || break
			if [ "$p" = "$1" ]; then
				echo "$g"
				return 0
			fi
		done
	done
	return 1
}


# --- a sandbox that runs until told: confinement seen from the host ---
mkfifo "$T/go"
mkdir -p "$T/data" "$T/ro"
echo bound > "$T/data/in"
echo keep > "$T/ro/keep"
echo single > "$T/onefile"
"$MOAT" do --network none -v "$T/data:/data" -v "$T/ro:/ro:ro" -v "$T/onefile:/etc/onefile:ro" -- \
	/bin/sh -c 'read x; cat /data/in /etc/onefile; echo new > /data/out;
		echo x > /ro/new 2>/dev/null || echo ro-refused; echo y >> /etc/onefile 2>/dev/null || echo file-ro;
		ls /ro' <"$T/go" >"$T/out" 2>"$T/err" &
M=$!
sb_bg $M
exec 6>"$T/go"
G=
wait_for 60 eval 'G=$(gofer_of $M)' || true
if [ -z "$G" ]; then
	fail gofer.running "no moat-gofer under moat $M"
else
	pass gofer.running
	expect gofer.host.seccomp 2 "$(field "$G" Seccomp)"
	expect gofer.host.no_new_privs 1 "$(field "$G" NoNewPrivs)"
	expect gofer.host.cap_effective 000000000000001f "$(field "$G" CapEff)"
	expect gofer.host.cap_bounding 000000000000001f "$(field "$G" CapBnd)"
	expect gofer.host.mount_ns_own yes \
		"$([ "$(readlink /proc/$G/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && echo yes || echo no)"
	expect gofer.host.root_empty "" "$(ls -A /proc/$G/root/ 2>&1)"
	# its fds: the socket, /dev/null twice, stderr, directories of its
	# exports; nothing of the sentry's (links, epoll, signalfd, memfds)
	others=$(for f in /proc/$G/fd/*; do
		t=$(readlink "$f")
		case $t in
		socket:* | /dev/null | "$T"* | /*) ;;
		*) echo "$t" ;;
		esac
	done)
	expect gofer.host.no_sentry_fds "" "$others"
	expect gofer.host.one_socket 1 "$(ls -l /proc/$G/fd | grep -c 'socket:')"
fi
echo go >&6
exec 6>&-
wait $M
rc=$?
expect gofer.bind.status 0 "$rc"
expect gofer.bind.output "bound|single|ro-refused|file-ro|keep" "$(tr '\n' '|' < "$T/out" | sed 's/|$//')"
expect gofer.bind.written new "$(cat "$T/data/out" 2>&1)"
expect gofer.bind.ro_unchanged "keep" "$(ls "$T/ro")"
expect gofer.bind.file_unchanged single "$(cat "$T/onefile")"
if [ -n "$G" ]; then
	check gofer.exits_with_sandbox wait_for 60 eval "! kill -0 $G 2>/dev/null"
fi

# --- the gofer dies mid-run: file operations fail with EIO, the sandbox
# goes on and ends normally, moat says why ---
mkfifo "$T/cmd"
"$MOAT" do --network none -- /bin/sh -c 'read x; /bin/cat /etc/os-release >/dev/null; echo "cat=$?"' \
	<"$T/cmd" >"$T/out2" 2>"$T/err2" &
M=$!
sb_bg $M
exec 7>"$T/cmd"
G=
wait_for 60 eval 'G=$(gofer_of $M)' || true
if [ -n "$G" ]; then
	kill -KILL "$G"
	wait_for 60 eval "! kill -0 $G 2>/dev/null" || true
	echo go >&7
	exec 7>&-
	wait $M
	rc=$?
	expect gofer.killed.sandbox_ends 0 "$rc"
	expect gofer.killed.eio "cat=126" "$(grep -o 'cat=[0-9]*' "$T/out2")"
	check gofer.killed.said grep -q "the gofer is gone" "$T/err2"
	check gofer.killed.eio_said grep -q "/bin/cat: Input/output error" "$T/err2"
else
	exec 7>&-
	fail gofer.killed "no gofer found"
fi

# --- moat SIGKILLed: the gofer goes with it (PR_SET_PDEATHSIG) ---
"$MOAT" do --network none -- /bin/sleep 600 &
M=$!
sb_bg $M
G=
wait_for 60 eval 'G=$(gofer_of $M)' || true
if [ -n "$G" ]; then
	kill -KILL $M
	wait $M 2>/dev/null
	check gofer.dies_with_moat wait_for 60 eval "! kill -0 $G 2>/dev/null"
else
	fail gofer.dies_with_moat "no gofer found"
fi

# --- the debugging mode: no gofer, the same answers ---
out=$("$MOAT" do --network none --debug-host-fs -v "$T/data:/data" -- /bin/sh -c 'cat /data/in; echo $$' 2>&1)
expect gofer.debug_host_fs "bound|1" "$(echo "$out" | tr '\n' '|' | sed 's/|$//')"
# a failing export is reported by name
out=$("$MOAT" do --network none -v "$T/nonexistent:/x" -- /bin/true 2>&1)
rc=$?
expect gofer.missing_source.status 125 "$rc"
check gofer.missing_source.said grep -q "bind mount $T/nonexistent: No such file or directory" <<<"$out"

# --- overlay choices: memory (the default) keeps writes in the sandbox,
# none serves the root read-write through the gofer ---
R=$T/ovroot
mkdir -p "$R/bin" "$R/etc"
cp /bin/busybox "$R/bin/busybox" && ln -s busybox "$R/bin/sh"
echo orig >"$R/etc/f"
out=$("$MOAT" do --network none --root "$R" -- /bin/sh -c 'echo mem > /etc/f; mkdir /d; /bin/busybox cat /etc/f' 2>&1)
expect gofer.overlay_memory.sees_own_write mem "$out"
expect gofer.overlay_memory.host_unchanged "orig no-d" "$(cat "$R/etc/f") $([ -e "$R/d" ] && echo d || echo no-d)"
out=$("$MOAT" do --network none --root "$R" --overlay none -- /bin/sh -c \
	'echo none > /etc/f; mkdir /d; echo y > /d/y; /bin/busybox ln -s f /etc/l; /bin/busybox cat /etc/l' 2>&1)
expect gofer.overlay_none.output none "$out"
expect gofer.overlay_none.host_written "none y f" "$(cat "$R/etc/f") $(cat "$R/d/y" 2>&1) $(readlink "$R/etc/l")"
out=$("$MOAT" do --network none --overlay bogus -- /bin/true 2>&1)
expect gofer.overlay_bad_value "125 1" "$? $(wc -l <<<"$out")"

# --- --overlay-dir: the writable layer's file data on the host's disk, in
# unnamed files the gofer makes there (nothing named is left) ---
OVD=$T/ovd
mkdir -p "$OVD"
mkfifo "$T/go3"
"$MOAT" do --network none --overlay-dir "$OVD" -- /bin/sh -c \
	'dd if=/dev/zero of=/big bs=1M count=8 status=none; echo hi > /etc/new-file; read x; cat /etc/new-file; wc -c < /big' \
	<"$T/go3" >"$T/out3" 2>&1 &
M=$!
sb_bg $M
exec 6>"$T/go3"
S=
# (60 s: until the sentry holds the file's data fd)
# (the gofer's copy of the directory's mount is detached: its files show as
# /#INODE (deleted), on the directory's device)
dev=$(stat -c %d "$OVD")
ondisk() {
	local f
	for f in /proc/$S/fd/*; do
		case $(readlink "$f") in
		"/#"*" (deleted)") [ "$(stat -L -c %d "$f")" = "$dev" ] && [ "$(stat -L -c %s "$f")" = 8388608 ] && return 0 ;;
		esac
	done
	return 1
}
wait_for 60 eval 'S=$(sentry_of $M) && ondisk' || true
expect gofer.overlay_dir.data_in_dir yes "$([ -n "$S" ] && ondisk && echo yes || echo no)"
echo go >&6
exec 6>&-
wait $M
expect gofer.overlay_dir.output "0 hi 8388608" "$? $(tr '\n' ' ' <"$T/out3" | sed 's/ $//')"
expect gofer.overlay_dir.nothing_named_left "" "$(ls -A "$OVD")"
out=$("$MOAT" do --network none --overlay-dir "$T/nonexistent" -- /bin/true 2>&1)
expect gofer.overlay_dir.missing "125 1" "$? $(wc -l <<<"$out")"
out=$("$MOAT" do --network none --overlay-dir "$OVD" --overlay none -- /bin/true 2>&1)
expect gofer.overlay_dir.with_none_refused "125 1" "$? $(wc -l <<<"$out")"
