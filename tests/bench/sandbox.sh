#!/bin/bash
# The sandbox against native execution and against gVisor's runsc (when
# installed; Debian package `runsc`), in one run:
#
#   1. the cost of one emulated syscall: a loop of getppid() made with
#      syscall(2) (build/sandbox-tests/syscall_loop, tests/sandbox/progs/
#      syscall_loop.c), natively, in `moat do` and in
#      `runsc --platform=ptrace do`;
#   2. the wall time of `moat do /bin/true` and `runsc do /bin/true` (both
#      with --network=none, as in 1 and 3; moat with its default network
#      too, for what the veth pair and the netstack add);
#   3. a build-like workload: tar + gzip of /usr/share/doc into /tmp,
#      natively and in `moat do` (and runsc).
#
# Each figure is the median of BENCH_RUNS runs (5); ratios are
# sandbox/native and moat/runsc. Nothing is asserted: the numbers are printed
# with the commands that made them. Targets (issue 6): an emulated syscall
# no slower than runsc's ptrace platform; `moat do /bin/true` in under a
# fifth of runsc's time.
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
# the same network for both: none (loopback only)
MOAT_DO="$MOAT do --network=none"
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

# ---- 1. emulated syscall ----
n_native=() n_moat=() n_runsc=()
for i in $(seq "$RUNS"); do
	n_native+=("$(getppid_ns "$LOOP" $((LOOPS * 5)))")
	n_moat+=("$(getppid_ns $MOAT_DO "$LOOP" "$LOOPS")")
	[ -n "$RUNSC" ] && n_runsc+=("$(getppid_ns $RUNSC_DO "$LOOP" $((LOOPS / 4)))")
done
m_native=$(median "${n_native[@]}")
m_moat=$(median "${n_moat[@]}")
echo "1. getppid() cost, ns per call (median of $RUNS)"
echo "   native:  $m_native   ($LOOP $((LOOPS * 5)))"
echo "   moat:    $m_moat   ($MOAT_DO $LOOP $LOOPS)   moat/native $(ratio "$m_moat" "$m_native")"
if [ -n "$RUNSC" ] && [ ${#n_runsc[@]} -gt 0 ] && [ -n "${n_runsc[0]}" ]; then
	m_runsc=$(median "${n_runsc[@]}")
	echo "   runsc:   $m_runsc   ($RUNSC_DO $LOOP $((LOOPS / 4)))   runsc/native $(ratio "$m_runsc" "$m_native")"
	echo "   moat/runsc: $(ratio "$m_moat" "$m_runsc")   (target: <= 1)"
fi
echo

# ---- 2. sandbox start-up ----
t_moat=() t_moatnet=() t_runsc=() t_native=()
for i in $(seq $((RUNS * 2 + 1))); do
	t_native+=("$(wall_ms /bin/true)")
	t_moat+=("$(wall_ms $MOAT_DO /bin/true)")
	t_moatnet+=("$(wall_ms "$MOAT" do /bin/true)")
done
for i in $(seq "$RUNS"); do
	[ -n "$RUNSC" ] && t_runsc+=("$(wall_ms $RUNSC_DO /bin/true)")
done
m_t_moat=$(median "${t_moat[@]}")
echo "2. wall time of /bin/true, ms (median)"
echo "   native:  $(median "${t_native[@]}")   (/bin/true)"
echo "   moat:    $m_t_moat   ($MOAT_DO /bin/true)"
echo "   moat with its default network (a veth pair and the netstack): $(median "${t_moatnet[@]}")   ($MOAT do /bin/true)"
if [ -n "$RUNSC" ] && [ ${#t_runsc[@]} -gt 0 ] && [ -n "${t_runsc[0]}" ]; then
	m_t_runsc=$(median "${t_runsc[@]}")
	echo "   runsc:   $m_t_runsc   ($RUNSC_DO /bin/true)"
	echo "   moat/runsc: $(ratio "$m_t_moat" "$m_t_runsc")   (target: < 0.20)"
fi
echo

# ---- 3. tar + gzip of /usr/share/doc ----
TARGZ='tar -cf - -C /usr/share doc 2>/dev/null | gzip -1 >"$0" && test -s "$0"'
w_native=() w_moat=() w_runsc=()
for i in $(seq "$RUNS"); do
	w_native+=("$(wall_ms sh -c "$TARGZ" "$TMP/doc.tgz")")
	w_moat+=("$(wall_ms $MOAT_DO sh -c "$TARGZ" /tmp/doc.tgz)")
	if [ -n "$RUNSC" ]; then
		r=$(wall_ms $RUNSC_DO sh -c "$TARGZ" /tmp/doc.tgz) && w_runsc+=("$r")
	fi
done
m_w_native=$(median "${w_native[@]}")
m_w_moat=$(median "${w_moat[@]}")
echo "3. tar | gzip -1 of /usr/share/doc ($(du -sh /usr/share/doc | cut -f1)), ms (median)"
echo "   native:  $m_w_native   (sh -c '$TARGZ' FILE)"
echo "   moat:    $m_w_moat   ($MOAT_DO sh -c ... /tmp/doc.tgz)   moat/native $(ratio "$m_w_moat" "$m_w_native")"
if [ ${#w_runsc[@]} -gt 0 ]; then
	m_w_runsc=$(median "${w_runsc[@]}")
	echo "   runsc:   $m_w_runsc   ($RUNSC_DO sh -c ... /tmp/doc.tgz)   runsc/native $(ratio "$m_w_runsc" "$m_w_native")"
elif [ -n "$RUNSC" ]; then
	echo "   runsc:   failed to run the workload"
fi
