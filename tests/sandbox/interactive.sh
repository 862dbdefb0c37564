#!/bin/bash
# An interactive shell on a terminal: `moat do bash` under script(1)'s
# pseudo-terminal answers typed commands, with job control (its own
# process groups, ^C to the foreground job, ^Z and fg), the window size
# and terminal modes of the real terminal. Then pseudo-terminals made
# inside the sandbox (/dev/ptmx): Python's pty module and script(1).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

command -v script >/dev/null || { fail script_missing "util-linux script(1) is needed"; exit 0; }
T=$(tmpd) || exit 1

# Type into the terminal as a person would, waiting for what the terminal
# shows before the next key (tests/sandbox/pty_type.py); collect the output.
# A command after "stty ...;" is exec'd: a ^C typed on the terminal goes to
# its whole foreground group, and a plain sh (dash) waiting there would die
# of it and take the exit status with it.
type_into() { # OUTFILE CMD: the steps come on stdin
	timeout 120 python3 tests/sandbox/pty_type.py "$@"
}

type_into "$T/s1" "stty cols 91 rows 33; exec $MOAT do bash --norc -i" <<'EOF'
?[#$] $
echo answer-$((6 * 7))
?^answer-42
tty
?^/dev/
stty size
?^[0-9]+ [0-9]+
sleep 30
~1
^C
echo after-interrupt $?
?^after-interrupt
sleep 30
~1
^Z
?Stopped
jobs
?Stopped.*sleep 30
fg
?^sleep 30
~1
^C
echo fg-done
?^fg-done
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

# ^Z on a program that is not a shell stops moat itself (the outer shell
# gets its terminal back and reports the job stopped); fg continues it
type_into "$T/s3" "bash --norc -i" <<EOF
?[#$] $
$MOAT do sleep 2
~1
^Z
?Stopped
jobs
fg
echo after-fg \$?
?^after-fg
exit
EOF
out=$(tr -d '\r' <"$T/s3" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g')
echo "$out" | grep -q 'Stopped.* do sleep 2' && pass ctrl_z_stops_moat || fail ctrl_z_stops_moat "$(echo "$out" | tail -4 | tr '\n' '|')"
echo "$out" | grep -q '^after-fg 0' && pass fg_continues_moat || fail fg_continues_moat "$(echo "$out" | tail -4 | tr '\n' '|')"

# raw mode: a program that reads single keys
type_into "$T/s2" "$MOAT do bash -c 'stty raw -echo; k=\$(dd bs=1 count=3 2>/dev/null); stty sane; echo got-\$k'" <<'EOF'
xyz
EOF
grep -q 'got-xyz' "$T/s2" && pass raw_mode_keys || fail raw_mode_keys "$(tr -d '\r' <"$T/s2" | tail -2 | tr '\n' '|')"
# pseudo-terminals inside the sandbox (/dev/ptmx, /dev/pts): Python's pty
# module, and script(1) running an interactive bash, compared with native
cat >"$T/pty_fork.py" <<'EOF'
import os, pty, select, time
pid, fd = pty.fork()
if pid == 0:
    print("child tty:", os.ttyname(0), os.isatty(0))
    line = input("prompt> ")
    print("got:", line.upper())
    os._exit(3)
out, sent = b"", False
end = time.time() + 5
while time.time() < end:
    r, _, _ = select.select([fd], [], [], 0.1)
    if not r:
        continue
    try:
        d = os.read(fd, 1000)
    except OSError:
        break
    if not d:
        break
    out += d
    if b"prompt> " in out and not sent:
        os.write(fd, b"hello pty\n")
        sent = True
_, st = os.waitpid(pid, 0)
print(repr(out.decode()), os.WEXITSTATUS(st))
EOF
expect_same pty_module "$(python3 "$T/pty_fork.py" 2>&1)" "$($MOAT do python3 "$T/pty_fork.py" 2>&1)"
got=$( (printf 'echo typed-$((2+3))\nexit 4\n'; sleep 2) | timeout 30 $MOAT do script -qfec "bash --norc -i" /dev/null |
	tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -c '^typed-5')
expect script_in_sandbox 1 "$got"
expect pts_node_gone "/dev/pts/0" "$($MOAT do sh -c 'python3 -c "import os; m, s = os.openpty(); print(os.ttyname(s)); os.close(m); os.close(s)"; ls /dev/pts')"
# the master reads EIO once the slave's last descriptor closes (a session
# keeping it as controlling terminal does not count), and the death of the
# session leader sends SIGHUP to the terminal's foreground group
cat >"$T/ptyhup.py" <<'EOF'
import ctypes, os, pty, signal
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER: orphans come back here
signal.alarm(90)  # a guard against a hang, not a time limit (busy machines)
pid, fd = pty.fork()
if pid == 0:
    g = os.fork()
    if g == 0:
        signal.pause()
        os._exit(0)
    print("grandchild", g, flush=True)
    os._exit(3)
out = b""
while True:
    try:
        d = os.read(fd, 100)
    except OSError as e:
        end = "EIO" if e.errno == 5 else e.errno
        break
    if not d:
        end = "EOF"
        break
    out += d
g = int(out.split()[1])
_, st = os.waitpid(pid, 0)
_, gst = os.waitpid(g, 0)
print(end, os.WEXITSTATUS(st), signal.Signals(os.WTERMSIG(gst)).name if os.WIFSIGNALED(gst) else gst)
EOF
expect pty_hangup_leader_exit "EIO 3 SIGHUP" "$(timeout 120 $MOAT do python3 "$T/ptyhup.py" 2>&1)"
expect no_leftover_processes 0 "$(sandbox_leftovers)"
