#!/bin/bash
# File-heavy work through the gofer against the host backend (moat do
# --debug-host-fs, the sentry opening files itself) and native execution,
# in one run (issue 11's benchmark):
#
#   1. tar | gzip -1 of /usr/share/doc (reads of many small files)
#   2. find /usr/share -type f | xargs stat (lookups and attributes)
#   3. a 1 GiB sequential write, then read, in a bind-mounted directory
#      (dd bs=1M; the file's data goes through the donated fd)
#   4. a build: gcc -O1 compiling 24 generated C files and linking them,
#      sources and objects in a bind-mounted directory
#
# Each figure is the median of BENCH_RUNS (3) runs, in seconds; the ratios
# are gofer/host-backend (target: at most 1.3) and gofer/native. Nothing is
# asserted.
#
#   BENCH_RUNS (3)   BENCH_GOFER_MIB (1024: size of the sequential file)
set -u
cd "$(dirname "$0")/../.."
. tests/sandbox/lib.sh
trap - EXIT
RUNS=${BENCH_RUNS:-3}
MIB=${BENCH_GOFER_MIB:-1024}
W=$(mktemp -d /var/tmp/moat-bench-gofer.XXXXXX) || exit 1
trap 'rm -rf "$W"' EXIT

median() { python3 -c 'import statistics, sys; v = [float(x) for x in sys.argv[1:]]; print("%.3f" % statistics.median(v) if v else "nan")' "$@"; }
ratio() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%.2f" % (a / b) if b > 0 else "nan")' "$1" "$2"; }

# seconds CMD...: wall time of CMD (its output discarded); empty if it failed
seconds() {
	local a b
	a=$(date +%s%N)
	"$@" >/dev/null 2>"$W/err" || { echo "bench gofer: failed: $* ($(tail -1 "$W/err"))" >&2; return 1; }
	b=$(date +%s%N)
	awk -v d=$((b - a)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}

# A small C project: 24 files of a few functions each, and a main.
mkdir -p "$W/proj"
for i in $(seq 1 24); do
	{
		echo "#include <stdio.h>"
		echo "#include <string.h>"
		echo "#include <stdlib.h>"
		for j in 1 2 3 4 5 6; do
			echo "int f${i}_$j(const char *s) { int h = $j; for (size_t k = 0; k < strlen(s); k++) h = h * 31 + s[k]; return h; }"
		done
		echo "int unit$i(void) { char b[64]; snprintf(b, sizeof b, \"%d\", $i); return f${i}_1(b) + f${i}_6(b); }"
	} >"$W/proj/u$i.c"
done
{
	for i in $(seq 1 24); do echo "int unit$i(void);"; done
	echo "int main(void) { long s = 0;"
	for i in $(seq 1 24); do echo "s += unit$i();"; done
	echo "return s == 42; }"
} >"$W/proj/main.c"
cat >"$W/build.sh" <<'EOF'
cd "$1" && rm -f *.o prog && for f in *.c; do gcc -O1 -c "$f" || exit 1; done && gcc -o prog *.o
EOF

# run MODE NAME CMD: one workload; MODE native, host (--debug-host-fs) or gofer
run() {
	local mode=$1 cmd=$2
	case $mode in
	native) seconds bash -c "$cmd" ;;
	host) seconds "$MOAT" do --network none --debug-host-fs -v "$W:/w" -- /bin/bash -c "$cmd" ;;
	gofer) seconds "$MOAT" do --network none -v "$W:/w" -- /bin/bash -c "$cmd" ;;
	esac
}

declare -A CMDS
NAMES=(tar_gzip find_stat seq_write seq_read gcc_build)
CMDS[tar_gzip]='tar cf - /usr/share/doc 2>/dev/null | gzip -1 >/dev/null'
CMDS[find_stat]='find /usr/share -type f -print0 | xargs -0 stat >/dev/null'
CMDS[seq_write]="dd if=/dev/zero of=\$D/big bs=1M count=$MIB conv=fsync status=none"
CMDS[seq_read]="dd if=\$D/big of=/dev/null bs=1M status=none"
CMDS[gcc_build]="bash \$D/build.sh \$D/proj"

echo "bench gofer: $RUNS runs each, medians in seconds; $(nproc) CPUs, $(uname -r)"
echo "  files: $(find /usr/share -type f | wc -l) under /usr/share, $(du -sm /usr/share/doc | cut -f1) MiB in /usr/share/doc; sequential file $MIB MiB"
printf "%-12s %9s %9s %9s %12s %12s\n" workload native host gofer gofer/host gofer/native
for name in "${NAMES[@]}"; do
	declare -A T=()
	for mode in native host gofer; do
		vals=()
		# the directory as each mode sees it
		if [ $mode = native ]; then D=$W; else D=/w; fi
		c=${CMDS[$name]//\$D/$D}
		[ $name = seq_read ] && run "$mode" "dd if=/dev/zero of=$D/big bs=1M count=$MIB status=none" >/dev/null
		for r in $(seq 1 "$RUNS"); do
			# the read is of a file not in the page cache where we can say so
			[ $name = seq_read ] && sync && echo 1 >/proc/sys/vm/drop_caches 2>/dev/null
			v=$(run "$mode" "$c") && vals+=("$v")
		done
		T[$mode]=$(median "${vals[@]}")
		[ $name = seq_write ] || [ $name = seq_read ] && rm -f "$W/big"
	done
	printf "%-12s %9s %9s %9s %12s %12s\n" "$name" "${T[native]}" "${T[host]}" "${T[gofer]}" \
		"$(ratio "${T[gofer]}" "${T[host]}")" "$(ratio "${T[gofer]}" "${T[native]}")"
	unset T
done
echo
echo "host: moat do --network none --debug-host-fs -v DIR:/w -- bash -c CMD"
echo "gofer: moat do --network none -v DIR:/w -- bash -c CMD (the default)"
