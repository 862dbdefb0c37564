#!/bin/bash
# Docker with `--runtime=moat` (a dockerd of the suite's own, see lib.sh):
# images imported from root file systems made here (busybox-static; nginx
# and python3 from the host's Debian binaries), then what a Docker user
# does: run with exit statuses, -d -p with 1,000 fetches checked by
# SHA-256, logs, stop/kill/rm -f with the signals reaching the program,
# -it in a pseudo-terminal, volumes, --read-only, --memory, --pids-limit,
# two containers on a user-defined network, stats; nothing left behind.
cd "$(dirname "$0")/../.." || exit 1
. tests/oci/lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
FETCHES=${DK_FETCHES:-1000}
cleanup() {
	ip netns del "moatctr$$" 2>/dev/null
	ip link del "mctr$$" 2>/dev/null
	dk_stop
	sb_cleanup
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
T=$(tmpd) || exit 1
if ! dk_start; then
	echo "FAIL setup dockerd"
	exit 1
fi
pass dockerd_with_moat_runtime
M=(--runtime=moat)

busybox_root "$T/bb"
dk_import moat-test/busybox "$T/bb" 'ENV PATH=/bin'
host_root "$T/py" /usr/bin/python3.11 /usr/lib/python3.11 /bin/sh /bin/dash
ln -sf python3.11 "$T/py/usr/bin/python3"
dk_import moat-test/python "$T/py" 'ENV PATH=/usr/bin:/bin'
nginx_root "$T/ng"
head -c 300000 /dev/urandom >"$T/ng/srv/blob.bin"
WANT=$(sha256sum <"$T/ng/srv/blob.bin" | cut -d' ' -f1)
dk_import moat-test/nginx "$T/ng" 'ENV PATH=/usr/sbin:/bin' 'CMD ["nginx"]'
expect images_imported 3 "$(docker images -q 'moat-test/*' | wc -l)"

# --- run, exit statuses ---
expect run_echo "hello" "$(docker run --rm "${M[@]}" moat-test/busybox echo hello 2>&1)"
docker run --rm "${M[@]}" moat-test/busybox sh -c 'exit 3'
expect run_exit_3 3 $?
docker run --rm "${M[@]}" moat-test/busybox sh -c 'kill -9 $$'
expect run_killed_by_sigkill_137 137 $?
docker run --rm "${M[@]}" moat-test/busybox /nonexistent 2>/dev/null
expect run_missing_program 127 $?
expect python_image "4" "$(docker run --rm "${M[@]}" moat-test/python python3 -c 'print(2+2)' 2>&1)"
expect sandbox_kernel_is_moat "moat" "$(docker run --rm "${M[@]}" moat-test/busybox sh -c 'cat /proc/version | grep -o -i moat | head -1; true' | tr A-Z a-z)"

# --- nginx with a published port ---
PORT=$((20000 + RANDOM % 20000))
NG=$(docker run -d "${M[@]}" -p 127.0.0.1:$PORT:80 moat-test/nginx)
ok=""
for i in $(seq 400); do
	curl -sf --max-time 2 -o /dev/null http://127.0.0.1:$PORT/blob.bin && ok=1 && break
	sleep 0.05
done
expect nginx_published_port_answers 1 "$ok"
seq "$FETCHES" | xargs -P 4 -I{} sh -c "curl -sf --max-time 30 http://127.0.0.1:$PORT/blob.bin | sha256sum | cut -d' ' -f1" >"$T/sums"
expect "nginx_${FETCHES}_fetches_sha256" "$FETCHES" "$(grep -c "^$WANT\$" "$T/sums")"
expect docker_top_shows_nginx 1 "$(docker top "$NG" | grep -c 'nginx: master')"
expect docker_stats_shows_it 1 "$(docker stats --no-stream --format '{{.ID}}' | grep -c "^${NG:0:12}")"
mem=$(docker stats --no-stream --format '{{.MemUsage}}' "$NG")
expect docker_stats_memory_counted 1 "$(echo "$mem" | grep -cv '^0B')"
# docker exec into it
expect docker_exec_output "root /srv;" "$(docker exec "$NG" cat /etc/nginx/nginx.conf 2>&1 | grep -o 'root /srv;')"
docker exec "$NG" sh -c 'exit 6'
expect docker_exec_exit_status 6 $?
expect docker_exec_env_and_workdir "bar /srv" "$(docker exec -e FOO=bar -w /srv "$NG" sh -c 'echo $FOO $(pwd)' 2>&1)"
docker pause "$NG" >/dev/null
expect docker_pause Paused "$(docker inspect -f '{{if .State.Paused}}Paused{{end}}' "$NG")"
curl -sf --max-time 1 -o /dev/null http://127.0.0.1:$PORT/blob.bin
expect paused_nginx_does_not_answer 1 "$([ $? -ne 0 ] && echo 1)"
docker unpause "$NG" >/dev/null
ok=""
for i in $(seq 100); do curl -sf --max-time 2 -o /dev/null http://127.0.0.1:$PORT/blob.bin && ok=1 && break; sleep 0.05; done
expect unpaused_nginx_answers 1 "$ok"
docker stop -t 60 "$NG" >/dev/null
# nginx exits 0 on SIGTERM (a fast shutdown); a SIGKILL after the timeout would be 137
expect docker_stop_sigterm_reaches_nginx 0 "$(docker inspect -f '{{.State.ExitCode}}' "$NG")"
docker rm "$NG" >/dev/null
expect published_port_closed 1 "$(curl -sf --max-time 2 http://127.0.0.1:$PORT/ >/dev/null; [ $? -ne 0 ] && echo 1)"

expect docker_run_init "1 docker-init" "$(docker run --rm "${M[@]}" --init moat-test/busybox ps -o pid,comm | awk '$1 == 1 { print $1, $2 }')"

# --- logs, signals, kill, rm -f ---
C=$(docker run -d "${M[@]}" moat-test/busybox sh -c 'trap "echo usr1" USR1; trap "echo term; exit 42" TERM; echo ready; while :; do sleep 0.1; done')
for i in $(seq 400); do docker logs "$C" 2>&1 | grep -q ready && break; sleep 0.05; done
expect docker_logs ready "$(docker logs "$C" 2>&1)"
docker kill -s USR1 "$C" >/dev/null
for i in $(seq 400); do docker logs "$C" 2>&1 | grep -q usr1 && break; sleep 0.05; done
expect docker_kill_usr1_reaches_program 1 "$(docker logs "$C" 2>&1 | grep -c usr1)"
docker stop -t 60 "$C" >/dev/null
expect docker_stop_exit_code_from_trap 42 "$(docker inspect -f '{{.State.ExitCode}}' "$C")"
docker rm "$C" >/dev/null
C=$(docker run -d "${M[@]}" moat-test/busybox sleep 1000)
out=$(script -qec "docker exec -it $C sh -c 'tty; echo exec-tty'" /dev/null </dev/null 2>&1 | tr -d '\r')
expect docker_exec_it_terminal "1 1" "$(echo "$out" | grep -c '/dev/console') $(echo "$out" | grep -c 'exec-tty')"
docker exec -d "$C" sleep 300
expect docker_exec_detached_runs 1 "$(docker top "$C" | grep -c 'sleep 300')"
docker kill "$C" >/dev/null
expect docker_wait_after_kill 137 "$(docker wait "$C")"
docker rm "$C" >/dev/null
C=$(docker run -d "${M[@]}" moat-test/busybox sleep 1000)
docker rm -f "$C" >/dev/null
expect docker_rm_f_running 0 "$(docker ps -aq | grep -c "^${C:0:12}")"

# --- a terminal ---
out=$(script -qec "docker run -it --rm ${M[*]} moat-test/busybox sh -c 'tty; stty size; echo done'" /dev/null </dev/null 2>&1 | tr -d '\r')
expect run_it_has_a_terminal 1 "$(echo "$out" | grep -c '/dev/console')"
expect run_it_program_ran 1 "$(echo "$out" | grep -c '^done$')"

# --- volumes, read-only root ---
mkdir -p "$T/vol"
docker run --rm "${M[@]}" -v "$T/vol:/data" moat-test/busybox sh -c 'echo written-inside > /data/f'
expect volume_written_inside_read_on_host written-inside "$(cat "$T/vol/f" 2>/dev/null)"
expect volume_ro "Read-only" "$(docker run --rm "${M[@]}" -v "$T/vol:/data:ro" moat-test/busybox sh -c '(echo x > /data/g) 2>&1 | grep -o Read-only')"
expect read_only_root "Read-only" "$(docker run --rm "${M[@]}" --read-only moat-test/busybox sh -c '(touch /x) 2>&1 | grep -o Read-only')"

# --- seccomp: Docker's default profile and a custom one, enforced ---
expect seccomp_default_denies_unshare "Operation not permitted" "$(docker run --rm "${M[@]}" moat-test/busybox unshare -n true 2>&1 | grep -o 'Operation not permitted')"
expect seccomp_default_allows_normal_work ok "$(docker run --rm "${M[@]}" moat-test/busybox sh -c 'mkdir /d && echo x > /d/f && cat /d/f >/dev/null && echo ok')"
cat >"$T/deny-mkdir.json" <<'EOF'
{ "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [ { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13 } ] }
EOF
expect seccomp_custom_profile_errno "Permission denied" "$(docker run --rm "${M[@]}" --security-opt seccomp="$T/deny-mkdir.json" moat-test/busybox mkdir /d 2>&1 | grep -o 'Permission denied')"
expect seccomp_unconfined ok "$(docker run --rm "${M[@]}" --security-opt seccomp=unconfined moat-test/busybox sh -c 'mkdir /d && echo ok')"

# --- resources ---
docker run --rm "${M[@]}" --memory 64m --memory-swap 64m moat-test/python python3 -c 'b = bytearray(400 * 1024 * 1024); print("allocated")' >"$T/mem.out" 2>&1
rc=$?
expect memory_limit_stops_big_allocation "137 0" "$rc $(grep -c allocated "$T/mem.out")"
expect memory_limit_small_allocation_ok allocated "$(docker run --rm "${M[@]}" --memory 64m moat-test/python python3 -c 'b = bytearray(8 * 1024 * 1024); print("allocated")' 2>&1)"
out=$(docker run --rm "${M[@]}" --pids-limit 20 moat-test/busybox sh -c 'for i in $(seq 60); do sleep 30 & done; kill $(jobs -p) 2>/dev/null' 2>&1)
expect pids_limit_refuses_forks 1 "$(echo "$out" | grep -c -i "can't fork\|resource temporarily unavailable")"

# --- two containers on a user-defined network, by name (Docker's DNS) ---
docker network create moat-test-net >/dev/null
BR=br-$(docker network inspect -f '{{.Id}}' moat-test-net | cut -c1-12)
# (a host whose FORWARD policy is DROP, as a dockerd with iptables leaves it,
# would drop bridged traffic when br_netfilter is loaded: let this bridge through)
iptables -I FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null
S=$(docker run -d "${M[@]}" --network moat-test-net --name moat-srv moat-test/busybox sh -c 'echo from-server > /www/index.html; httpd -f -p 80 -h /www')
get='printf "GET / HTTP/1.0\r\n\r\n" | nc -w 5 moat-srv 80 | tail -1'
out=""
for i in $(seq 100); do
	out=$(docker run --rm "${M[@]}" --network moat-test-net moat-test/busybox sh -c "$get" 2>/dev/null) && [ -n "$out" ] && break
	sleep 0.1
done
expect container_to_container_by_name from-server "$out"
expect name_resolved_by_dockers_dns 1 "$(docker run --rm "${M[@]}" --network moat-test-net moat-test/busybox nslookup moat-srv 2>&1 | grep -c "^Address: [0-9]")"
expect runc_client_to_moat_server from-server "$(docker run --rm --runtime=runc --network moat-test-net moat-test/busybox sh -c "$get" 2>&1)"
docker rm -f "$S" >/dev/null
iptables -D FORWARD -i "$BR" -o "$BR" -j ACCEPT 2>/dev/null
docker network rm moat-test-net >/dev/null
expect user_network_removed 0 "$(docker network ls -q -f name=moat-test-net | wc -l)"

# --- containerd's ctr (the dockerd's own containerd), runc shim with moat ---
CTR=(ctr --address "$DK_DIR/exec/containerd/containerd.sock" -n moat-test)
docker save moat-test/busybox | "${CTR[@]}" image import - >/dev/null
expect ctr_image_import 0 $?
RB=(--runtime io.containerd.runc.v2 --runc-binary "$MOAT")
expect ctr_run "hello-ctr" "$("${CTR[@]}" run --rm "${RB[@]}" docker.io/moat-test/busybox:latest ctr1 echo hello-ctr 2>&1)"
"${CTR[@]}" run --rm "${RB[@]}" docker.io/moat-test/busybox:latest ctr2 sh -c 'exit 4'
expect ctr_exit_status 4 $?
# a network namespace the test made, served by the netstack
CNS=moatctr$$
CVETH=mctr$$
for x in $(seq 40 250); do ip -4 addr show | grep -q " 10.216.$x\." || break; done
ip netns add "$CNS" && ip link add "$CVETH" type veth peer name eth0 netns "$CNS" &&
	ip addr add 10.216.$x.1/24 dev "$CVETH" && ip link set "$CVETH" up &&
	ip -n "$CNS" addr add 10.216.$x.2/24 dev eth0 && ip -n "$CNS" link set eth0 up
"${CTR[@]}" run -d "${RB[@]}" --with-ns "network:/var/run/netns/$CNS" docker.io/moat-test/busybox:latest ctr3 \
	sh -c 'echo from-ctr > /www/index.html; exec httpd -f -p 80 -h /www' >/dev/null
got=""
for i in $(seq 200); do
	got=$(curl -sf --max-time 2 http://10.216.$x.2/) && [ -n "$got" ] && break
	sleep 0.05
done
expect ctr_network_namespace_served_by_netstack from-ctr "$got"
"${CTR[@]}" task kill -s SIGKILL ctr3 >/dev/null 2>&1
for i in $(seq 200); do "${CTR[@]}" task ls 2>/dev/null | grep -q "ctr3.*RUNNING" || break; sleep 0.05; done
"${CTR[@]}" task rm ctr3 >/dev/null 2>&1
"${CTR[@]}" container rm ctr3 >/dev/null 2>&1
expect ctr_nothing_left 0 "$("${CTR[@]}" container ls -q | wc -l)"
ip netns del "$CNS"
ip link del "$CVETH" 2>/dev/null

# --- nothing left behind ---
expect no_containers_left 0 "$(docker ps -aq | wc -l)"
expect no_sentry_left 0 "$(pgrep -f "^$MOAT --root $DK_DIR" | wc -l)"
expect no_container_state_left "" "$(ls "$DK_DIR/exec/runtime-runc/moby" 2>/dev/null)"
expect no_container_veth_left 0 "$(ip -o link show master "$DK_BRIDGE" 2>/dev/null | wc -l)"
