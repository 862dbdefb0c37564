#!/bin/bash
# moat do: the command line, exit statuses, stdio, environment, working
# directory, mounts, the overlay root (writes never reach the host),
# --strace and --debug-log, bad configuration, signal forwarding.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

T=$(tmpd) || exit 1

# --- programs run, statuses come back ---
expect static_busybox "hello" "$($MOAT do /bin/busybox echo hello 2>&1)"
expect dynamic_echo "hello dynamic" "$($MOAT do /bin/echo hello dynamic 2>&1)"
$MOAT do /bin/sh -c 'exit 3'
expect exit_status 3 "$?"
$MOAT do /bin/sh -c 'kill -SEGV $$'
expect killed_by_signal_status 139 "$?"
$MOAT do /bin/sh -c 'kill -TERM $$'
expect killed_by_sigterm_status 143 "$?"
out=$($MOAT do /no/such/program 2>&1)
rc=$?
expect missing_program_127 127 "$rc"
case "$out" in *"No such file"*) pass missing_program_message ;; *) fail missing_program_message "$out" ;; esac
$MOAT do /etc/passwd 2>/dev/null
expect not_executable_126 126 "$?"
expect path_search "found" "$($MOAT do sh -c 'command -v ls >/dev/null && echo found' 2>&1)"

# --- stdio passthrough ---
expect stdin_passthrough "abc" "$(echo abc | $MOAT do cat 2>&1)"
expect stderr_passthrough "err" "$($MOAT do sh -c 'echo err >&2' 2>&1 >/dev/null)"
head -c 3000000 /dev/urandom >"$T/blob"
want=$(sha256sum <"$T/blob" | cut -d' ' -f1)
got=$($MOAT do cat <"$T/blob" | sha256sum | cut -d' ' -f1)
expect large_pipe_through "$want" "$got"
$MOAT do sh -c 'echo one; echo two' >"$T/out"
expect stdout_to_file "one two" "$(tr '\n' ' ' <"$T/out" | sed 's/ $//')"
{ echo before; $MOAT do echo inside; echo after; } >"$T/shared"
expect stdout_offset_shared "before inside after" "$(tr '\n' ' ' <"$T/shared" | sed 's/ $//')"

{ echo before; $MOAT do sh -c 'echo out; echo err >&2; echo out2'; echo after; } >"$T/both" 2>&1
expect stdout_stderr_one_file "before out err out2 after" "$(tr '\n' ' ' <"$T/both" | sed 's/ $//')"
# cat copies with copy_file_range, echo writes: both at the one offset of
# the host file (the copy once wrote at a stale offset and echo's line
# landed at the start of the file)
S=$(tmpd) || exit 1
seq 1 20000 >"$S/seq"
{ echo before; $MOAT do -v "$S:/mnt" sh -c 'cat /mnt/seq; echo x; cat /mnt/seq'; echo after; } >"$S/mixed"
expect copy_and_write_share_offset "$({ echo before; cat "$S/seq"; echo x; cat "$S/seq"; echo after; } | sha256sum)" \
	"$(sha256sum <"$S/mixed")"
# sendfile from stdin without an offset, into a sandbox pipe slower than it
# (the call parks on the full pipe and resumes): every byte once, in order, and
# stdin's offset moves past what was sent
head -c 3000000 /dev/urandom >"$S/rand"
cat >"$S/sf.py" <<'EOF'
import os
os.lseek(0, 1000, 0)
while os.sendfile(1, 0, None, 1 << 20):
    pass
EOF
got=$($MOAT do -v "$S:/mnt" sh -c 'python3 /mnt/sf.py | (sleep 1; sha256sum)' <"$S/rand")
expect sendfile_stdin_resumes "$(tail -c +1001 "$S/rand" | sha256sum)" "$got"

# --- environment, cwd, hostname ---
expect env_inherited "yes" "$(MOAT_T_VAR=yes $MOAT do sh -c 'echo $MOAT_T_VAR')"
expect env_option "a=b c" "$($MOAT do --env A=a=b --env B=c sh -c 'echo $A $B')"
expect cwd_option "/usr/share" "$($MOAT do --cwd /usr/share pwd)"
expect cwd_default "$(pwd)" "$($MOAT do pwd)"
expect hostname "moat" "$($MOAT do hostname)"
expect hostname_option "box1" "$($MOAT do --hostname box1 cat /proc/sys/kernel/hostname)"
expect pid_is_1 "1" "$($MOAT do sh -c 'echo $$')"
expect uid_root "0 0" "$($MOAT do sh -c 'echo $(id -u) $(id -g)')"

# --- the overlay root: writes stay in the sandbox ---
echo original >"$T/hostfile"
out=$($MOAT do sh -c "echo changed >$T/hostfile; cat $T/hostfile; rm $T/newfile 2>/dev/null; echo new >$T/newfile; cat $T/newfile")
expect overlay_sees_writes "changed new" "$(echo $out)"
expect host_file_unchanged "original" "$(cat "$T/hostfile")"
[ -e "$T/newfile" ] && fail host_no_new_file "$T/newfile appeared on the host" || pass host_no_new_file
out=$($MOAT do sh -c "rm $T/hostfile && ls $T/hostfile 2>&1; mkdir $T/d && touch $T/d/x && ls $T/d")
case "$out" in *"No such file"*x) pass overlay_unlink_mkdir ;; *) fail overlay_unlink_mkdir "$out" ;; esac
[ -f "$T/hostfile" ] && [ ! -e "$T/d" ] && pass host_unlink_untouched || fail host_unlink_untouched
out=$($MOAT do sh -c "mv $T/hostfile $T/moved && cat $T/moved && ls $T")
expect overlay_rename "original blob both moved out shared" "$(echo $out)"
expect tmp_is_tmpfs "tmpfs" "$($MOAT do stat -f -c %T /tmp)"

# --- bind mounts ---
mkdir -p "$T/vol"
echo fromhost >"$T/vol/in"
out=$($MOAT do -v "$T/vol:/mnt/vol" sh -c 'cat /mnt/vol/in; echo fromsandbox >/mnt/vol/out')
expect bind_read "fromhost" "$out"
expect bind_write_reaches_host "fromsandbox" "$(cat "$T/vol/out" 2>&1)"
out=$($MOAT do -v "$T/vol:/mnt/ro:ro" sh -c 'cat /mnt/ro/in; echo x >/mnt/ro/nope' 2>&1)
case "$out" in fromhost*"Read-only file system"*) pass bind_readonly ;; *) fail bind_readonly "$out" ;; esac
[ -e "$T/vol/nope" ] && fail bind_readonly_host || pass bind_readonly_host

# --- another root ---
R=$T/root
mkdir -p "$R/bin" "$R/etc"
cp /bin/busybox "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
ln -s busybox "$R/bin/ls"
echo "inside-root" >"$R/etc/marker"
expect root_option "inside-root" "$($MOAT do --root "$R" /bin/sh -c 'cat /etc/marker')"
expect root_listing "bin dev etc proc sys tmp" "$($MOAT do --root "$R" /bin/ls / | tr '\n' ' ' | sed 's/ $//')"

# --- bad configuration ---
$MOAT do --root /no/such/dir /bin/true 2>"$T/err"
rc=$?
expect bad_root_125 125 "$rc"
grep -q "no/such/dir" "$T/err" && pass bad_root_message || fail bad_root_message "$(cat "$T/err")"
$MOAT do -v nocolon /bin/true 2>/dev/null
expect bad_volume_125 125 "$?"
$MOAT do -v /no/such:/x /bin/true 2>/dev/null
expect missing_volume_125 125 "$?"
$MOAT do --pids-limit abc /bin/true 2>/dev/null
expect bad_pids_limit_125 125 "$?"
$MOAT do --cwd /no/such /bin/true 2>/dev/null
expect bad_cwd_125 125 "$?"
$MOAT do 2>/dev/null
expect no_command_125 125 "$?"
$MOAT do --network bogus /bin/true 2>/dev/null
expect bad_network_125 125 "$?"

# --- strace and the debug log ---
$MOAT do --strace /bin/sh -c 'cat /etc/hostname >/dev/null' 2>"$T/strace"
grep -q 'openat(AT_FDCWD, "/etc/hostname", O_RDONLY' "$T/strace" && pass strace_decodes_open ||
	fail strace_decodes_open "$(grep hostname "$T/strace" | head -2)"
grep -q '^\[pid *[0-9]*\] wait4(.*= [0-9]' "$T/strace" && pass strace_results || fail strace_results
$MOAT do --debug-log "$T/log" /bin/sh -c 'true' >/dev/null
grep -q "unsupported syscall rseq" "$T/log" && pass debug_log_names_enosys || fail debug_log_names_enosys
grep -q "unsupported rseq: [0-9]* calls" "$T/log" && pass debug_log_counts_enosys || fail debug_log_counts_enosys
grep -q "sandbox ended: status 0" "$T/log" && pass debug_log_summary || fail debug_log_summary

# --- a signal sent to moat's process group reaches the program once (moat
# and its sentry both get it: moat passes it on, the sentry ignores its
# own copy; signals pending twice would merge, and one was lost) ---
python3 -c 'import os, sys; os.setpgid(0, 0); os.execvp(sys.argv[1], sys.argv[1:])' \
	$MOAT do --network none sh -c 'c=0; trap "c=\$((c+1)); echo usr1 \$c" USR1; trap "echo count=\$c; exit 0" TERM;
		echo ready; while :; do sleep 0.05; done' >"$T/pg" 2>&1 &
pg=$!
sb_bg $pg
# (60 s: a loaded machine starts a sandbox in well under that)
wait_for 60 grep -q ready "$T/pg"
kill -USR1 -- -$pg
wait_for 60 grep -q "usr1 1" "$T/pg"
kill -USR1 -- -$pg
wait_for 60 grep -q "usr1 2" "$T/pg"
kill -TERM $pg
wait $pg
expect process_group_signal_once "ready|usr1 1|usr1 2|count=2" "$(tr '\n' '|' <"$T/pg" | sed 's/|$//')"

# --- signals sent to moat reach the program ---
for sig in TERM INT HUP; do
	$MOAT do /bin/sleep 30 &
	pid=$!
	sb_bg $pid
	sleep 0.5
	kill -$sig $pid
	wait $pid
	rc=$?
	want=$((128 + $(kill -l $sig)))
	expect "forward_sig$sig" "$want" "$rc"
done
$MOAT do /bin/sh -c 'trap "echo caught; exit 7" USR1; while :; do sleep 0.1; done' >"$T/trap" &
pid=$!
sb_bg $pid
sleep 0.5
kill -USR1 $pid
wait $pid
rc=$?
expect forward_to_handler "7 caught" "$rc $(cat "$T/trap")"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
