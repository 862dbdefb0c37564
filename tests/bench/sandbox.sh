#!/bin/bash
# The sandbox on each platform (ptrace, systrap) against native execution
# and against gVisor's runsc (when installed; Debian package `runsc`), in
# one run:
#
#   1. the cost of one emulated syscall: a loop of getppid() made with
#      syscall(2) (build/sandbox-tests/syscall_loop, tests/sandbox/progs/
#      syscall_loop.c), natively, in `moat do --platform P` and in
#      `runsc --platform=ptrace do`; 1b. the same through libc's
#      getppid(), whose site systrap patches (and, for comparison, with
#      patching off);
#   2. the wall time of `moat do /bin/true` and `runsc do /bin/true` (all
#      with --network=none; moat with its default network too, for what
#      the veth pair and the netstack add);
#   3. a build-like workload: tar + gzip of /usr/share/doc into /tmp;
#   4. reads of /dev/zero in 4 KiB pieces (dd, a read and a write each);
#   1c. getppid again with every CPU taken by a busy loop (systrap's
#      co-location against MOAT_PIN=0);
#   5. a thread per request: 1000 threads, one at a time, each making 20
#      getppid() calls (build/sandbox-tests/thread_loop), wall time.
#
# Each figure is the median of BENCH_RUNS runs (5); ratios are
# against native, systrap/ptrace, and moat/runsc. Nothing is asserted: the
# numbers are printed with the commands that made them. Targets (issue
# 13): getppid under systrap at most a quarter of ptrace's cost; no
# workload slower on systrap than on ptrace.
#
#   BENCH_RUNS (5)  BENCH_LOOPS (200000: getppid calls per sandbox run)
set -u
cd "$(dirname "$0")/../.."
. tests/sandbox/lib.sh
trap - EXIT
RUNS=${BENCH_RUNS:-5}
LOOPS=${BENCH_LOOPS:-200000}
progs || { echo "bench sandbox: cannot build tests/sandbox/progs"; exit 1; }
LOOP=$PROGS/syscall_loop
RUNSC=$(command -v runsc || true)
RUNSC_DO="runsc --network=none --platform=ptrace do"
# every sandbox with the same network: none (loopback only)
TMP=$(mktemp -d) || exit 1
trap 'rm -rf "$TMP"' EXIT

median() { python3 -c 'import statistics, sys; v = [float(x) for x in sys.argv[1:]]; print("%.3f" % statistics.median(v) if v else "nan")' "$@"; }
ratio() { python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%.2f" % (a / b) if b > 0 else "nan")' "$1" "$2"; }
now_ns() { date +%s%N; }

# Wall time of a command in milliseconds (stdout/stderr discarded).
wall_ms() {
	local a b
	a=$(now_ns)
	"$@" >/dev/null 2>&1
	local rc=$?
	b=$(now_ns)
	[ $rc -ne 0 ] && return $rc
	echo "$(((b - a) / 1000))" | awk '{ printf "%.3f\n", $1 / 1000 }'
}

getppid_ns() { # CMD...: runs the loop under CMD, prints ns per call
	"$@" 2>/dev/null | sed -n 's/^getppid_ns //p'
}

echo "bench sandbox: $RUNS runs each, medians; $(nproc) CPUs, $(uname -r)"
[ -n "$RUNSC" ] && echo "runsc: $($RUNSC --version 2>/dev/null | head -1)" || echo "runsc: not installed (apt-get install runsc)"
echo

PLATS="ptrace systrap"
plat_do() { echo "$MOAT do --network=none --platform=$1"; }

# one result line: LABEL MEDIAN CMD [NATIVE-MEDIAN]
line() {
	printf '   %-8s %10s   (%s)' "$1:" "$2" "$3"
	[ -n "${4:-}" ] && printf '   /native %s' "$(ratio "$2" "$4")"
	echo
}

# getppid_runs MODE EXTRA: RUNS rounds of the getppid loop (MODE: empty
# for syscall(2), "libc" for libc's wrapper) natively (g_native) and on
# each platform (g_plat[P]), then the function EXTRA (if any) in the same
# round, so that every figure sees the same noise; getppid_lines TITLE
# MODE prints the medians (native first, into m_g and m_gp[P]).
declare -A g_plat m_gp
getppid_runs() {
	local mode=$1 extra=$2 i p
	g_native=()
	g_plat=()
	for i in $(seq "$RUNS"); do
		g_native+=("$(getppid_ns "$LOOP" $((LOOPS * 5)) $mode)")
		for p in $PLATS; do
			g_plat[$p]+=" $(getppid_ns $(plat_do $p) "$LOOP" "$LOOPS" $mode)"
		done
		[ -z "$extra" ] || $extra
	done
}
getppid_lines() {
	local p
	m_g=$(median "${g_native[@]}")
	echo "$1"
	line native "$m_g" "$LOOP $((LOOPS * 5))${2:+ $2}"
	for p in $PLATS; do
		# shellcheck disable=SC2086 # (a list of numbers)
		m_gp[$p]=$(median ${g_plat[$p]})
		line "$p" "${m_gp[$p]}" "$(plat_do $p) $LOOP $LOOPS${2:+ $2}" "$m_g"
	done
}

# ---- 1. emulated syscall ----
n_runsc=()
runsc_round() { [ -z "$RUNSC" ] || n_runsc+=("$(getppid_ns $RUNSC_DO "$LOOP" $((LOOPS / 4)))"); }
getppid_runs "" runsc_round
getppid_lines "1. getppid() cost, ns per call (median of $RUNS)" ""
m_native=$m_g
echo "   systrap/ptrace: $(ratio "${m_gp[systrap]}" "${m_gp[ptrace]}")   (target: <= 0.25)"
if [ -n "$RUNSC" ] && [ ${#n_runsc[@]} -gt 0 ] && [ -n "${n_runsc[0]}" ]; then
	m_runsc=$(median "${n_runsc[@]}")
	line runsc "$m_runsc" "$RUNSC_DO $LOOP $((LOOPS / 4))" "$m_native"
	echo "   systrap/runsc: $(ratio "${m_gp[systrap]}" "$m_runsc")"
fi
echo

# ---- 1b. the same through libc's getppid(): a `mov $NR,%eax; syscall`
# site, which systrap patches (MOAT_SYSTRAP_PATCH=0: not patched) ----
l_nopatch=()
nopatch_round() { l_nopatch+=("$(MOAT_SYSTRAP_PATCH=0 getppid_ns $(plat_do systrap) "$LOOP" "$LOOPS" libc)"); }
getppid_runs libc nopatch_round
getppid_lines "1b. libc's getppid(), ns per call (median of $RUNS): systrap patches its site" libc
m_nopatch=$(median "${l_nopatch[@]}")
line unpatched "$m_nopatch" "MOAT_SYSTRAP_PATCH=0 $(plat_do systrap) $LOOP $LOOPS libc" "$m_g"
echo "   systrap/ptrace: $(ratio "${m_gp[systrap]}" "${m_gp[ptrace]}")   patched/unpatched: $(ratio "${m_gp[systrap]}" "$m_nopatch")   (target: under 10x native)"
echo

# ---- 1c. the same with every CPU busy (one busy loop per CPU, started
# here and stopped by pid): where the two sides of systrap's hand-off
# cannot poll, and systrap pins a task beside its sentry (MOAT_PIN=0: it
# does not) ----
BUSY=()
busy_stop() { local b; for b in "${BUSY[@]}"; do kill "$b" 2>/dev/null; done; BUSY=(); }
trap 'busy_stop; rm -rf "$TMP"' EXIT
for _ in $(seq "$(nproc)"); do (while :; do :; done) & BUSY+=($!); done
echo "1c. getppid() with every CPU busy ($(nproc) busy loops), ns per call (median of $RUNS)"
for mode in "" libc; do
	l_nopin=()
	nopin_round() { l_nopin+=("$(MOAT_PIN=0 getppid_ns $(plat_do systrap) "$LOOP" $((LOOPS / 10)) $mode)"); }
	LOOPS_SAVED=$LOOPS
	LOOPS=$((LOOPS / 10)) # (a busy machine's calls are 20-60 us)
	getppid_runs "$mode" nopin_round
	getppid_lines "   ${mode:-syscall(2)}:" "$mode"
	LOOPS=$LOOPS_SAVED
	line no-pin "$(median "${l_nopin[@]}")" "MOAT_PIN=0 $(plat_do systrap) $LOOP $((LOOPS / 10))${mode:+ $mode}" "$m_g"
	echo "   systrap/ptrace: $(ratio "${m_gp[systrap]}" "${m_gp[ptrace]}")   (target: <= 1)"
done
busy_stop
echo

# wall-time medians of a command natively, on each platform and in runsc:
# CMD-NATIVE... is run as given; the sandboxed runs get SANDBOXED-ARGS
# (set in SB_ARGS, an array) after the sandbox's command line.
declare -A wall
compare_wall() { # TITLE RUNS
	local title=$1 runs=$2 i p r
	local -a w_native=() w_runsc=()
	declare -A w_plat=()
	for i in $(seq "$runs"); do
		w_native+=("$(wall_ms "${NATIVE_CMD[@]}")")
		for p in $PLATS; do
			w_plat[$p]+=" $(wall_ms $(plat_do $p) "${SB_ARGS[@]}")"
		done
		if [ -n "$RUNSC" ]; then
			r=$(wall_ms $RUNSC_DO "${SB_ARGS[@]}") && w_runsc+=("$r")
		fi
	done
	local mn
	mn=$(median "${w_native[@]}")
	echo "$title, ms (median of $runs)"
	line native "$mn" "${NATIVE_CMD[*]}"
	for p in $PLATS; do
		# shellcheck disable=SC2086
		wall[$p]=$(median ${w_plat[$p]})
		line "$p" "${wall[$p]}" "$(plat_do $p) ${SB_ARGS[*]}" "$mn"
	done
	echo "   systrap/ptrace: $(ratio "${wall[systrap]}" "${wall[ptrace]}")"
	if [ ${#w_runsc[@]} -gt 0 ]; then
		line runsc "$(median "${w_runsc[@]}")" "$RUNSC_DO ${SB_ARGS[*]}" "$mn"
	elif [ -n "$RUNSC" ]; then
		echo "   runsc:   failed to run the workload"
	fi
	echo
}

# ---- 2. sandbox start-up ----
NATIVE_CMD=(/bin/true)
SB_ARGS=(/bin/true)
compare_wall "2. wall time of /bin/true" $((RUNS * 2 + 1))
t_moatnet=()
for i in $(seq $((RUNS * 2 + 1))); do
	t_moatnet+=("$(wall_ms "$MOAT" do /bin/true)")
done
echo "   moat with its default network (a veth pair and the netstack): $(median "${t_moatnet[@]}")   ($MOAT do /bin/true)"
echo

# ---- 3. tar + gzip of /usr/share/doc ----
TARGZ='tar -cf - -C /usr/share doc 2>/dev/null | gzip -1 >"$0" && test -s "$0"'
NATIVE_CMD=(sh -c "$TARGZ" "$TMP/doc.tgz")
SB_ARGS=(sh -c "$TARGZ" /tmp/doc.tgz)
compare_wall "3. tar | gzip -1 of /usr/share/doc ($(du -sh /usr/share/doc | cut -f1))" "$RUNS"

# ---- 4. /dev/zero in 4 KiB reads ----
NATIVE_CMD=(dd if=/dev/zero of=/dev/null bs=4k count=50000)
SB_ARGS=("${NATIVE_CMD[@]}")
compare_wall "4. dd of 50000 4 KiB blocks from /dev/zero" "$RUNS"

# ---- 5. a thread per request (python3's http.server makes one per
# connection): a thread's start and end, a few syscalls between ----
NATIVE_CMD=("$PROGS/thread_loop" 1000)
SB_ARGS=("${NATIVE_CMD[@]}")
compare_wall "5. 1000 threads of 20 getppid() calls each, one at a time" "$RUNS"
