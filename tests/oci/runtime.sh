#!/bin/bash
# Moat's OCI runtime command line driven directly, as containerd's shim
# drives runc (no Docker here): the container life cycle and its state,
# exit statuses, signals, hooks with the state on stdin, the console
# socket, pause/resume, cgroup limits and statistics, config.json fields
# (user, env, cwd, hostname, rlimits, mounts, read-only root), a network
# namespace with a veth taken over by the netstack, and bad input (each a
# one-line error naming what is wrong, nothing left behind).
cd "$(dirname "$0")/../.." || exit 1
. tests/oci/lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
command -v jq >/dev/null || { echo "FAIL setup jq missing"; exit 1; }
NS=moatoci$$
VETH=moci$$
cleanup() {
	oci_cleanup
	ip netns del "$NS" 2>/dev/null
	ip link del "$VETH" 2>/dev/null
	sb_cleanup
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
T=$(tmpd) || exit 1
R=$T/root
busybox_root "$R"
B=$T/b

# Waits (up to $3 s, default 20) until container $1 has status $2.
wait_status() {
	local end=$((SECONDS + ${3:-20}))
	while [ $SECONDS -lt $end ]; do
		[ "$(oci state "$1" 2>/dev/null | jq -r .status)" = "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# Waits until file $1 has content.
wait_file() {
	local end=$((SECONDS + ${2:-20}))
	while [ $SECONDS -lt $end ]; do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# --- version, spec ---
expect version_names_the_spec "spec: 1.1.0" "$("$MOAT" --version | grep '^spec:')"
mkdir -p "$T/s"
check spec_writes_config "$MOAT" spec --bundle "$T/s"
expect spec_is_valid_json "1.1.0" "$(jq -r .ociVersion "$T/s/config.json")"
"$MOAT" spec --bundle "$T/s" 2>"$T/err"
expect spec_refuses_to_overwrite "1 exists already" "$? $(grep -o 'exists already' "$T/err")"

# --- run: exit statuses ---
bundle "$B" "$R" sh -c 'echo out; echo err >&2; exit 3'
out=$(oci run --bundle "$B" r1 2>"$T/err")
expect run_exit_status "3" "$?"
expect run_stdout_stderr "out/err" "$out/$(cat "$T/err")"
bundle "$B" "$R" true
oci run --bundle "$B" r2
expect run_exit_0 0 $?
bundle "$B" "$R" sh -c 'kill -9 $$'
oci run --bundle "$B" r3
expect run_killed_by_signal_is_128_plus_n 137 $?
expect run_leaves_no_state "" "$(oci list -q)"
bundle "$B" "$R" /bin/nonexistent
oci run --bundle "$B" r4 2>"$T/err"
expect run_missing_program_127 "127" "$?"

# --- create, start, state, kill, delete ---
bundle "$B" "$R" sh -c 'trap "echo got-term; exit 7" TERM; trap "echo got-usr1" USR1; echo started; while :; do sleep 0.1; done'
oci create --bundle "$B" --pid-file "$T/c1.pid" c1 >"$T/c1.out" 2>&1
expect create_exit_0 0 $?
st=$(oci state c1)
expect state_created created "$(echo "$st" | jq -r .status)"
expect state_pid_is_pid_file "$(cat "$T/c1.pid")" "$(echo "$st" | jq -r .pid)"
expect state_bundle "$B" "$(echo "$st" | jq -r .bundle)"
expect state_has_oci_version 1.1.0 "$(echo "$st" | jq -r .ociVersion)"
pid=$(cat "$T/c1.pid")
check created_process_alive kill -0 "$pid"
expect program_waits_for_start "" "$(cat "$T/c1.out")"
oci create --bundle "$B" c1 2>"$T/err"
expect create_duplicate_id_fails "1 container 'c1' already exists" "$? $(grep -o "container 'c1' already exists" "$T/err")"
oci start c1
expect start_exit_0 0 $?
wait_file "$T/c1.out"
expect program_runs_after_start started "$(cat "$T/c1.out")"
expect state_running running "$(oci state c1 | jq -r .status)"
oci start c1 2>/dev/null
expect start_twice_fails 1 $?
expect list_json_has_it "c1 running" "$(oci list --format json | jq -r '.[] | select(.id=="c1") | "\(.id) \(.status)"')"
pids=$(oci ps --format json c1)
expect ps_json_has_container_pid 1 "$(echo "$pids" | jq "index($pid) != null" | grep -c true)"
oci delete c1 2>"$T/err"
expect delete_running_needs_force "1" "$?"
# (one at a time: signals of one number pending together merge, as on Linux)
n=0
for s in SIGUSR1 usr1 10; do
	oci kill c1 $s || break
	n=$((n + 1))
	for i in $(seq 400); do [ "$(grep -c got-usr1 "$T/c1.out")" -ge $n ] && break; sleep 0.05; done
done
expect kill_by_name_and_number_reach_the_program 3 "$(grep -c got-usr1 "$T/c1.out")"
oci kill c1 NOSUCHSIG 2>/dev/null
expect kill_unknown_signal_fails 1 $?
oci kill c1
wait_status c1 stopped
expect kill_default_term_stops_it stopped "$(oci state c1 | jq -r .status)"
expect program_saw_term "got-term" "$(grep -o got-term "$T/c1.out")"
cg=$(jq -r '.cgroups.memory // .cgroups.unified // empty' "$OCI_ROOT/c1/state.json")
oci delete c1
expect delete_exit_0 0 $?
expect delete_removes_state "1" "$(oci state c1 >/dev/null 2>&1; echo $?)"
expect delete_removes_cgroup "gone" "$([ -n "$cg" ] && [ ! -d "$cg" ] && echo gone)"
oci delete c1 2>/dev/null
expect delete_missing_fails 1 $?
oci delete --force c1
expect delete_force_missing_is_ok 0 $?

# delete --force of a running container
bundle "$B" "$R" sleep 1000
oci create --bundle "$B" c2 && oci start c2
pid=$(oci state c2 | jq -r .pid)
oci delete --force c2
expect delete_force_running 0 $?
# (gone, or a zombie its new parent has not reaped yet)
expect delete_force_killed_it 1 "$(grep -qv '^[0-9]* (.*) Z' /proc/$pid/stat 2>/dev/null; echo $?)"
# a created container can be deleted (it never ran)
oci create --bundle "$B" c3 && oci delete c3
expect delete_created 0 $?

# --- hooks: the state on stdin ---
cat >"$T/hook.sh" <<EOF
#!/bin/sh
cat > "$T/hook.\$1"
EOF
chmod +x "$T/hook.sh"
bundle "$B" "$R" true
jqi "$B/config.json" --arg h "$T/hook.sh" '.hooks = {
	"prestart": [{"path": $h, "args": ["hook.sh", "prestart"]}],
	"createRuntime": [{"path": $h, "args": ["hook.sh", "createRuntime"]}],
	"poststart": [{"path": $h, "args": ["hook.sh", "poststart"]}],
	"poststop": [{"path": $h, "args": ["hook.sh", "poststop"]}]}'
oci create --bundle "$B" h1
cpid=$(oci state h1 | jq -r .pid)
expect prestart_hook_gets_state "h1 creating $cpid" "$(jq -r '"\(.id) \(.status) \(.pid)"' "$T/hook.prestart")"
expect createRuntime_hook_ran h1 "$(jq -r .id "$T/hook.createRuntime")"
oci start h1
expect poststart_hook_ran running "$(jq -r .status "$T/hook.poststart")"
wait_status h1 stopped
oci delete h1
expect poststop_hook_ran stopped "$(jq -r .status "$T/hook.poststop")"
jqi "$B/config.json" '.hooks = {"prestart": [{"path": "/bin/false"}]}'
oci create --bundle "$B" h2 2>"$T/err"
expect failing_prestart_hook_fails_create "1" "$?"
expect failing_hook_named_in_error 1 "$(grep -c 'prestart hook #0 (/bin/false): exit status 1' "$T/err")"
expect failing_hook_leaves_no_state "" "$(oci list -q)"
jqi "$B/config.json" '.hooks = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]}'
oci create --bundle "$B" h3 2>"$T/err"
expect hook_timeout "1 1" "$? $(grep -c 'timeout of 1 s' "$T/err")"

# --- config.json fields ---
bundle "$B" "$R" sh -c 'echo "$(id -u):$(id -g):$(id -G) $FOO $(pwd) $(hostname) $(ulimit -n)"'
jqi "$B/config.json" '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 6]} |
	.process.env += ["FOO=bar"] | .process.cwd = "/tmp" | .hostname = "boxy" |
	.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200}]'
expect process_fields "1000:1001:1001 5 6 bar /tmp boxy 100" "$(oci run --bundle "$B" f1 2>&1)"
mkdir -p "$T/vol"
echo host-file >"$T/vol/f"
echo single >"$T/single"
bundle "$B" "$R" sh -c 'cat /vol/f; echo in >/vol/new; cat /etc/single; (echo x >/ro/y) 2>&1 | grep -o "Read-only"; touch /t/ok && echo tmpfs-ok; touch /rootfile 2>&1 | grep -o "Read-only"; touch /tmp/ok && echo tmp-ok'
jqi "$B/config.json" --arg v "$T/vol" --arg s "$T/single" '.root.readonly = true | .mounts += [
	{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind", "rw"]},
	{"destination": "/ro", "type": "bind", "source": $v, "options": ["rbind", "ro"]},
	{"destination": "/etc/single", "type": "bind", "source": $s, "options": ["bind"]},
	{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]},
	{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}]'
out=$(oci run --bundle "$B" f2 2>&1 | tr '\n' ' ')
expect mounts_and_readonly_root "host-file single Read-only tmpfs-ok Read-only tmp-ok " "$out"
expect bind_mount_writes_reach_host in "$(cat "$T/vol/new" 2>/dev/null)"
expect readonly_root_wrote_nothing 0 "$(ls "$R" | grep -c rootfile)"

# --- a seccomp profile on each platform: what it refuses fails with its
# errno (systrap evaluates it in the sentry, where ptrace leaves it to
# the host); a profile that refuses the systrap stub's own calls makes
# "auto" use ptrace, and an explicit systrap an error
for plat in systrap ptrace; do
	bundle "$B" "$R" sh -c 'mkdir /d 2>&1 | grep -o "Permission denied"; echo alive'
	jqi "$B/config.json" --arg p $plat --arg log "$T/sc-$plat.log" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]} |
		.annotations["dev.moat.platform"] = $p | .annotations["dev.moat.debug-log"] = $log'
	expect "seccomp_profile_errno_$plat" "Permission denied alive " \
		"$(oci run --bundle "$B" sc-$plat 2>&1 | tr '\n' ' ')"
	expect "seccomp_profile_platform_$plat" 1 "$(grep -c "platform $plat\$" "$T/sc-$plat.log")"
done
bundle "$B" "$R" true
jqi "$B/config.json" --arg log "$T/sc-auto.log" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
	"syscalls": [{"names": ["rt_sigaction"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]} |
	.annotations["dev.moat.debug-log"] = $log | .annotations["dev.moat.platform"] = "auto"'
oci run --bundle "$B" sc-auto >/dev/null 2>&1
expect seccomp_profile_against_stub_auto_ptrace 1 "$(grep -c 'platform ptrace (auto)' "$T/sc-auto.log")"
jqi "$B/config.json" '.annotations["dev.moat.platform"] = "systrap"'
expect seccomp_profile_against_stub_systrap_refused 1 \
	"$(oci run --bundle "$B" sc-sys 2>&1 | grep -c "seccomp profile refuses")"

# --- console socket ---
bundle "$B" "$R" sh -c 'tty; read line; echo "got $line"'
jqi "$B/config.json" '.process.terminal = true | .process.consoleSize = {"height": 30, "width": 100}'
rm -f "$T/console.sock"
python3 tests/oci/console_recv.py "$T/console.sock" $'hello\n' 30 >"$T/console.out" 2>"$T/console.err" &
CR=$!
sb_bg $CR
for i in $(seq 100); do grep -q READY "$T/console.err" 2>/dev/null && break; sleep 0.05; done
oci create --bundle "$B" --console-socket "$T/console.sock" t1 2>"$T/err"
expect create_with_console_socket 0 "$?"
oci start t1
wait_status t1 stopped 30
wait $CR
out=$(tr -d '\r' <"$T/console.out")
expect console_is_a_terminal 1 "$(echo "$out" | grep -c '^/dev/')"
expect console_input_reaches_program 1 "$(echo "$out" | grep -c '^got hello$')"
oci delete t1
bundle "$B" "$R" true
jqi "$B/config.json" '.process.terminal = true'
oci create --bundle "$B" t2 2>"$T/err"
expect terminal_without_console_socket "1 1" "$? $(grep -c 'console-socket is required' "$T/err")"

# --- pause, resume, cgroup limits, statistics ---
bundle "$B" "$R" sh -c 'i=0; while :; do i=$((i+1)); echo $i > /vol/count; sleep 0.05; done'
jqi "$B/config.json" --arg v "$T/vol" '.mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind"]}] |
	.linux.resources = {"memory": {"limit": 268435456}, "pids": {"limit": 64}}'
rm -f "$T/vol/count"
oci create --bundle "$B" p1 && oci start p1
wait_file "$T/vol/count"
oci pause p1
expect pause_exit_0 0 $?
expect state_paused paused "$(oci state p1 | jq -r .status)"
a=$(cat "$T/vol/count")
sleep 0.5 # (checks that nothing happens: a pause that lets it run would change the count)
b=$(cat "$T/vol/count")
expect paused_container_does_not_run "$a" "$b"
oci resume p1
expect resume_exit_0 0 $?
for i in $(seq 200); do [ "$(cat "$T/vol/count")" != "$b" ] && break; sleep 0.05; done
expect resumed_container_runs 1 "$([ "$(cat "$T/vol/count")" != "$b" ] && echo 1)"
stats=$(oci events --stats p1)
expect events_stats_memory_limit 268435456 "$(echo "$stats" | jq -r .data.memory.usage.limit)"
expect events_stats_pids_limit 64 "$(echo "$stats" | jq -r .data.pids.limit)"
expect events_stats_cpu_counted 1 "$(echo "$stats" | jq '.data.cpu.usage.total > 0' | grep -c true)"
oci update --memory 128m --pids-limit 32 p1
expect update_exit_0 0 $?
stats=$(oci events --stats p1)
expect update_memory_applied 134217728 "$(echo "$stats" | jq -r .data.memory.usage.limit)"
expect update_pids_applied 32 "$(echo "$stats" | jq -r .data.pids.limit)"
echo '{"pids": {"limit": 48}}' | oci update -r - p1
expect update_resources_json 48 "$(oci events --stats p1 | jq -r .data.pids.limit)"
oci resume p1 2>/dev/null
expect resume_running_fails 1 $?
oci delete --force p1

# --- exec: a second process in a running container ---
bundle "$B" "$R" sh -c 'echo from-init > /tmp/mark; exec sleep 1000'
oci create --bundle "$B" e1 && oci start e1
for i in $(seq 200); do oci exec e1 test -e /tmp/mark 2>/dev/null && break; sleep 0.05; done
expect exec_sees_the_containers_files from-init "$(oci exec e1 cat /tmp/mark 2>&1)"
# many in a row, each forked from the same task of the sandbox while the
# ends of the ones before reach it as host SIGCHLDs (an injection once
# took such a signal for a fault: "creating the host process: Bad address")
fails=0
for i in $(seq 60); do
	[ "$(oci exec e1 cat /tmp/mark 2>&1)" = from-init ] || fails=$((fails + 1))
done
expect exec_60_in_a_row 0 "$fails"
oci exec e1 sh -c 'exit 5'
expect exec_exit_status 5 $?
oci exec e1 sh -c 'kill -9 $$'
expect exec_killed_by_signal 137 $?
expect exec_pid_and_parent "ppid 0" "$(oci exec e1 sh -c 'echo ppid $PPID' 2>&1)"
expect exec_sees_init "1 sleep" "$(oci exec e1 sh -c 'ps -o pid,comm | grep " sleep" | head -1 | sed "s/^ *//;s/  */ /g"' 2>&1)"
expect exec_env_cwd_user "bar /tmp 1000:1000" "$(oci exec --env FOO=bar --cwd /tmp --user 1000:1000 e1 sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)' 2>&1)"
oci exec e1 /nonexistent 2>"$T/err"
expect exec_missing_program_fails "1 1" "$? $(grep -c 'executable file not found' "$T/err")"
jq '.process | .args = ["sh", "-c", "echo via-process-json"]' "$B/config.json" >"$T/proc.json"
expect exec_process_json via-process-json "$(oci exec --process "$T/proc.json" e1 2>&1)"
# detached: the waiter's pid in the pid file, its status the process's
oci exec --detach --pid-file "$T/w.pid" e1 sh -c 'sleep 0.3; exit 4'
expect exec_detach_returns 0 $?
w=$(cat "$T/w.pid")
expect exec_waiter_alive 0 "$(kill -0 "$w" 2>/dev/null; echo $?)"
# (the waiter is not our child: wait for it through /proc)
for i in $(seq 400); do [ -d /proc/$w ] && ! grep -q '^State:.*Z' /proc/$w/status 2>/dev/null || break; sleep 0.05; done
expect exec_waiter_ends_with_process 1 "$([ -d /proc/$w ] && ! grep -q '^State:.*Z' /proc/$w/status && echo 0 || echo 1)"
# signals to the waiter reach the process; the waiter's death kills it
"$MOAT" --root "$OCI_ROOT" exec e1 sh -c 'trap "echo got-term; exit 9" TERM; echo ready; while :; do sleep 0.1; done' >"$T/ex.out" 2>&1 &
EX=$!
sb_bg $EX
wait_file "$T/ex.out"
kill -TERM $EX
wait $EX
expect exec_term_forwarded "9 got-term" "$? $(grep -o got-term "$T/ex.out")"
oci exec --detach --pid-file "$T/w2.pid" e1 sh -c 'echo $$ > /tmp/victim; exec sleep 1000'
for i in $(seq 200); do oci exec e1 test -s /tmp/victim && break; sleep 0.05; done
kill -KILL "$(cat "$T/w2.pid")"
gone=""
for i in $(seq 200); do
	oci exec e1 sh -c 'kill -0 $(cat /tmp/victim) 2>/dev/null' || { gone=1; break; }
	sleep 0.05
done
expect exec_waiter_killed_kills_process 1 "$gone"
# a terminal through the console socket
rm -f "$T/console2.sock"
python3 tests/oci/console_recv.py "$T/console2.sock" "" 30 >"$T/console2.out" 2>"$T/console2.err" &
CR=$!
sb_bg $CR
for i in $(seq 100); do grep -q READY "$T/console2.err" 2>/dev/null && break; sleep 0.05; done
jq '.process | .terminal = true | .args = ["sh", "-c", "tty; echo tty-ok"]' "$B/config.json" >"$T/proc.json"
oci exec --process "$T/proc.json" --console-socket "$T/console2.sock" e1
expect exec_tty_status 0 $?
wait $CR
expect exec_tty_is_a_terminal "/dev/console tty-ok" "$(tr -d '\r' <"$T/console2.out" | tr '\n' ' ' | sed 's/ $//')"
expect exec_leaves_no_zombies 0 "$(ps -eo stat,ppid | awk -v p="$(pgrep -P "$(oci state e1 | jq -r .pid)" | head -1)" '$1 ~ /^Z/ && $2 == p' | wc -l)"
oci delete --force e1
oci exec e1 true 2>/dev/null
expect exec_after_delete_fails 1 $?

# --- the container's network namespace, taken over by the netstack ---
for x in $(seq 40 250); do
	ip -4 addr show | grep -q " 10.214.$x\." || break
done
ip netns add "$NS" && ip link add "$VETH" type veth peer name eth0 netns "$NS" &&
	ip addr add 10.214.$x.1/24 dev "$VETH" && ip link set "$VETH" up &&
	ip netns exec "$NS" ip addr add 10.214.$x.2/24 dev eth0 &&
	ip netns exec "$NS" ip link set eth0 up &&
	ip netns exec "$NS" ip route add default via 10.214.$x.1
expect netns_setup 0 $?
echo "served by the netstack" >"$R/www/index.html"
bundle "$B" "$R" httpd -f -p 80 -h /www
jqi "$B/config.json" --arg ns "/var/run/netns/$NS" '.linux.namespaces = [{"type": "pid"}, {"type": "network", "path": $ns}, {"type": "mount"}]'
oci create --bundle "$B" n1 && oci start n1
got=""
for i in $(seq 200); do
	got=$(curl -s --max-time 2 http://10.214.$x.2/index.html) && [ -n "$got" ] && break
	sleep 0.05
done
expect http_through_taken_over_veth "served by the netstack" "$got"
expect kernel_address_removed_from_eth0 "" "$(ip netns exec "$NS" ip -4 -o addr show dev eth0)"
oci delete --force n1
bundle "$B" "$R" sh -c 'ip -4 -o addr show dev eth0 | grep -o "10[.0-9]*/24"; ip route | grep -o "default via [0-9.]*"'
jqi "$B/config.json" --arg ns "/var/run/netns/$NS" '.linux.namespaces = [{"type": "network", "path": $ns}]'
# (the first container took the address away from the kernel: give it back)
ip netns exec "$NS" ip addr add 10.214.$x.2/24 dev eth0
ip netns exec "$NS" ip route add default via 10.214.$x.1 2>/dev/null
expect container_sees_address_and_route "10.214.$x.2/24 default via 10.214.$x.1" "$(oci run --bundle "$B" n2 2>&1 | tr '\n' ' ' | sed 's/ $//')"

# --- bad input: one line naming what is wrong, nothing left ---
bad() { # NAME WANT-IN-ERROR ARGS...
	local name=$1 want=$2
	shift 2
	oci "$@" >/dev/null 2>"$T/err"
	local rc=$?
	if [ $rc -ne 0 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err" && [ -z "$(oci list -q)" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(head -3 "$T/err" | tr '\n' '|')"
	fi
}
bundle "$B" "$R" true
echo '{ not json' >"$B/config.json"
bad bad_json "not valid JSON: line 1" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" 'del(.ociVersion)'
bad missing_oci_version "ociVersion: required" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" 'del(.process.cwd)'
bad missing_cwd "process.cwd: required" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.process.args = []'
bad empty_args "process.args: must be a non-empty array" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.linux.namespaces += [{"type": "bogus"}]'
bad unknown_namespace "linux.namespaces[5].type: unknown namespace type 'bogus'" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.mounts += [{"destination": "relative/dir", "type": "tmpfs"}]'
bad relative_mount_destination "mounts[6].destination: must be an absolute path" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.process.user.uid = "root"'
bad uid_wrong_type "process.user.uid: expected an integer" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.process.capabilities.bounding += ["CAP_NOPE"]'
bad unknown_capability "unknown capability 'CAP_NOPE'" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.root.path = "/nonexistent/root"'
bad missing_root "root.path: /nonexistent/root: No such file or directory" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.linux.sysctl = {"kernel.panic": "1"}'
bad unsupported_sysctl "linux.sysctl.kernel.panic: not supported" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.linux.seccomp = {"defaultAction": "SCMP_ACT_FROBNICATE"}'
bad seccomp_unknown_action "linux.seccomp.defaultAction: action 'SCMP_ACT_FROBNICATE' is not supported" create --bundle "$B" x1
bundle "$B" "$R" true
jqi "$B/config.json" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
bad seccomp_bad_arg_index "linux.seccomp.syscalls[0].args[0]: expected index 0-5" create --bundle "$B" x1
bundle "$B" "$R" true
bad missing_bundle "bundle $T/nope" create --bundle "$T/nope" x1
bad id_with_slash "container id 'a/b': only letters" create --bundle "$B" a/b
bad no_id "a container ID is required" create --bundle "$B"
bad unknown_command "unknown command 'frobnicate'" frobnicate x
bad unknown_flag "unrecognized option" create --frobnicate --bundle "$B" x1
bad state_of_missing "container 'nope' does not exist" state nope
bad exec_missing_container "container 'x1' does not exist" exec x1 true

expect nothing_left_in_state_dir "" "$(ls "$OCI_ROOT" 2>/dev/null)"
expect no_sandbox_processes_left 0 "$(sandbox_leftovers)"
