#!/bin/bash
# Docker with Moat against Docker with runc (and gVisor's runsc --platform=
# ptrace when it is installed and starts), same images, same dockerd (the
# suite's own, tests/oci/lib.sh), in one run:
#   - `docker run --rm IMAGE true`, wall time (busybox image);
#   - nginx (the host's, 612-byte page) published with -p on the host's
#     loopback, under wrk with 1 and with 50 connections (requests/s);
#     docker-proxy carries -p here (the suite's dockerd sets no iptables
#     rules), the same for every runtime;
#   - iperf3 through the Docker bridge: server in the container, client on
#     the host, both directions (Gbit/s).
# Medians of RUNS runs (default 5 for start-up, 3 for the others) of SECS
# seconds (default 5). Ratios against runc. Nothing is asserted.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/oci/lib.sh
trap - EXIT
RUNS=${RUNS:-3}
START_RUNS=${START_RUNS:-5}
SECS=${SECS:-5}
for p in wrk iperf3 nginx dockerd; do
	command -v $p >/dev/null || { echo "needs $p (tools/deps.sh)"; exit 1; }
done
RT=(runc moat)
RUNSC=$(command -v runsc || true)
[ -n "$RUNSC" ] && DK_EXTRA_RUNTIMES="\"runsc\": { \"path\": \"$RUNSC\", \"runtimeArgs\": [\"--platform=ptrace\"] }"
T=$(mktemp -d "$PWD/build/bench-oci.XXXXXX")
chmod 755 "$T"
cleanup() {
	dk_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dk_start || exit 1
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan") print "n/a"; else printf "%.2f", a / b }'; }

busybox_root "$T/bb"
dk_import moat-test/busybox "$T/bb" 'ENV PATH=/bin'
nginx_root "$T/ng"
head -c 612 /dev/zero | tr '\0' 'x' >"$T/ng/srv/index.html"
dk_import moat-test/nginx "$T/ng" 'ENV PATH=/usr/sbin:/bin' 'CMD ["nginx"]'
host_root "$T/ip" /usr/bin/iperf3
dk_import moat-test/iperf3 "$T/ip" 'ENV PATH=/usr/bin'
if [ -n "$RUNSC" ] && docker run --rm --runtime=runsc moat-test/busybox true >/dev/null 2>&1; then
	RT+=(runsc)
else
	echo "(runsc: not installed or did not start a container here; no column)"
fi

declare -A START NG1 NG50 IPF IPR
for rt in "${RT[@]}"; do
	docker run --rm --runtime=$rt moat-test/busybox true >/dev/null 2>&1 # warm
	for i in $(seq "$START_RUNS"); do
		s=$(date +%s%N)
		docker run --rm --runtime=$rt moat-test/busybox true >/dev/null 2>&1
		echo $((($(date +%s%N) - s) / 1000000))
	done | median >"$T/start.$rt"
	START[$rt]=$(cat "$T/start.$rt")

	PORT=$((20000 + RANDOM % 20000))
	C=$(docker run -d --runtime=$rt -p 127.0.0.1:$PORT:80 moat-test/nginx)
	for i in $(seq 200); do curl -sf -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.05; done
	for c in 1 50; do
		for i in $(seq "$RUNS"); do
			wrk -t$([ $c = 1 ] && echo 1 || echo 2) -c$c -d${SECS}s http://127.0.0.1:$PORT/ 2>/dev/null |
				awk '/^Requests\/sec/ { print $2 }'
		done | median >"$T/ng$c.$rt"
	done
	NG1[$rt]=$(cat "$T/ng1.$rt")
	NG50[$rt]=$(cat "$T/ng50.$rt")
	docker rm -f "$C" >/dev/null

	C=$(docker run -d --runtime=$rt moat-test/iperf3 iperf3 -s)
	IP=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$C")
	for i in $(seq 200); do timeout 1 bash -c "exec 3<>/dev/tcp/$IP/5201" 2>/dev/null && break; sleep 0.05; done
	for dir in "" -R; do
		for i in $(seq "$RUNS"); do
			iperf3 -c "$IP" -t "$SECS" $dir -J 2>/dev/null |
				jq -r '.end.sum_received.bits_per_second // empty' | awk '{ printf "%.2f\n", $1 / 1e9 }'
		done | median >"$T/ip$dir.$rt"
	done
	IPF[$rt]=$(cat "$T/ip.$rt")
	IPR[$rt]=$(cat "$T/ip-R.$rt")
	docker rm -f "$C" >/dev/null
done

row() { # NAME UNIT ARRAY-NAME (higher is better unless LOWER=1)
	local name=$1 unit=$2
	local -n a=$3
	printf "| %-38s | %10s %-7s | %10s | %6s |" "$name" "${a[runc]}" "$unit" "${a[moat]}" "$(ratio "${a[moat]}" "${a[runc]}")"
	if [[ " ${RT[*]} " == *" runsc "* ]]; then
		printf " %10s | %6s |" "${a[runsc]}" "$(ratio "${a[runsc]}" "${a[runc]}")"
	fi
	echo
}
echo
echo "Docker $(docker version -f '{{.Server.Version}}' 2>/dev/null), medians; ratio = runtime / runc"
printf "| %-38s | %-18s | %10s | %6s |" measurement runc moat ratio
[[ " ${RT[*]} " == *" runsc "* ]] && printf " %10s | %6s |" runsc ratio
echo
row "docker run --rm busybox true (ms)" ms START
row "nginx via -p, wrk 1 connection" req/s NG1
row "nginx via -p, wrk 50 connections" req/s NG50
row "iperf3 host -> container" Gbit/s IPF
row "iperf3 container -> host (-R)" Gbit/s IPR
