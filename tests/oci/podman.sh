#!/bin/bash
# podman with `--runtime moat`: run with exit statuses, a published port
# (-p, through podman's CNI bridge and port mapping), exec, stop, rm.
# Podman runs inside a network namespace of this suite's own (its CNI
# bridge and iptables rules go with it), with its own storage and run
# directories; nothing of it stays on the host.
cd "$(dirname "$0")/../.." || exit 1
. tests/oci/lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
if ! command -v podman >/dev/null; then
	echo "FAIL setup podman missing (tools/deps.sh installs it)"
	exit 1
fi
NS=moatpm$$
PM_DIR=/var/lib/moat-test-podman.$$
PM_RUN=/run/moat-test-podman.$$
pm() {
	nsenter --net="/var/run/netns/$NS" podman --root "$PM_DIR/root" --runroot "$PM_RUN" --cgroup-manager cgroupfs \
		--events-backend file --runtime "$MOAT" "$@"
}
cleanup() {
	pm rm -af >/dev/null 2>&1
	pm system reset -f >/dev/null 2>&1
	ip netns del "$NS" 2>/dev/null
	grep -o " $PM_DIR[^ ]*\| $PM_RUN[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$PM_DIR" "$PM_RUN"
	sb_cleanup
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
T=$(tmpd) || exit 1
ip netns add "$NS" && ip -n "$NS" link set lo up
expect netns_for_podman 0 $?
busybox_root "$T/bb"
tar -C "$T/bb" -c . | pm import --change 'ENV PATH=/bin' - moat-test/busybox >/dev/null
expect podman_import 0 $?

expect podman_run "hello" "$(pm run --rm moat-test/busybox echo hello 2>&1)"
pm run --rm moat-test/busybox sh -c 'exit 5'
expect podman_exit_status 5 $?
pm run --rm moat-test/busybox sh -c 'kill -9 $$'
expect podman_killed_137 137 $?
PORT=$((20000 + RANDOM % 20000))
C=$(pm run -d -p 127.0.0.1:$PORT:80 moat-test/busybox sh -c 'echo from-podman > /www/index.html; exec httpd -f -p 80 -h /www')
got=""
for i in $(seq 200); do
	got=$(nsenter --net="/var/run/netns/$NS" curl -sf --max-time 2 http://127.0.0.1:$PORT/) && [ -n "$got" ] && break
	sleep 0.05
done
expect podman_published_port from-podman "$got"
expect podman_exec exec-ok "$(pm exec "$C" sh -c 'echo exec-ok' 2>&1)"
pm exec "$C" sh -c 'exit 3'
expect podman_exec_exit_status 3 $?
pm stop -t 30 "$C" >/dev/null
expect podman_stop_sigterm 143 "$(pm inspect -f '{{.State.ExitCode}}' "$C")"
pm rm "$C" >/dev/null
expect podman_nothing_left 0 "$(pm ps -aq | wc -l)"
expect no_moat_or_conmon_left 0 "$(pgrep -f "$PM_RUN" | wc -l)"
