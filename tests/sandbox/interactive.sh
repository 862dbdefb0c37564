#!/bin/bash
# An interactive shell on a terminal: `moat do bash` under script(1)'s
# pseudo-terminal answers typed commands, with job control (its own
# process groups, ^C to the foreground job, ^Z and fg), the window size
# and terminal modes of the real terminal.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

command -v script >/dev/null || { fail script_missing "util-linux script(1) is needed"; exit 0; }
T=$(tmpd) || exit 1

# Type into the terminal slowly, as a person would; collect what it shows.
type_into() { # OUTFILE CMD: lines on stdin are typed one by one
	local out=$1
	shift
	{
		sleep 1
		while IFS= read -r line; do
			case "$line" in
			'^C') printf '\003' ;;
			'^Z') printf '\032' ;;
			*) printf '%s\r' "$line" ;;
			esac
			sleep 0.4
		done
		sleep 1
	} | timeout 60 script -qfec "$*" /dev/null >"$out" 2>&1
}

type_into "$T/s1" "stty cols 91 rows 33; $MOAT do bash --norc -i" <<'EOF'
echo answer-$((6 * 7))
tty
stty size
sleep 30
^C
echo after-interrupt $?
sleep 30
^Z
jobs
fg
^C
echo fg-done
exit 3
EOF
rc=$?
out=$(tr -d '\r' <"$T/s1" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g')
echo "$out" | grep -q '^answer-42' && pass typed_command || fail typed_command "$(echo "$out" | tail -5 | tr '\n' '|')"
echo "$out" | grep -q '^/dev/console' && pass tty_is_console || fail tty_is_console
echo "$out" | grep -q '^33 91' && pass window_size || fail window_size "$(echo "$out" | grep -A1 'stty size' | tr '\n' '|')"
echo "$out" | grep -q '^after-interrupt 130' && pass ctrl_c_foreground_job || fail ctrl_c_foreground_job
echo "$out" | grep -q 'Stopped.*sleep 30' && pass ctrl_z_stops_job || fail ctrl_z_stops_job
echo "$out" | grep -q '^fg-done' && pass fg_resumes_job || fail fg_resumes_job
echo "$out" | grep -q 'no job control' && fail job_control_enabled || pass job_control_enabled
expect exit_status_through_pty 3 "$rc"

# raw mode: a program that reads single keys
type_into "$T/s2" "$MOAT do bash -c 'stty raw -echo; k=\$(dd bs=1 count=3 2>/dev/null); stty sane; echo got-\$k'" <<'EOF'
xyz
EOF
grep -q 'got-xyz' "$T/s2" && pass raw_mode_keys || fail raw_mode_keys "$(tr -d '\r' <"$T/s2" | tail -2 | tr '\n' '|')"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
