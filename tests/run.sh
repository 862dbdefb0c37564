#!/bin/bash
# Runs every test suite and prints one summary line: "N passed, N failed".
#
# Convention: a suite is an executable that prints one line per test,
#   PASS <name>            or
#   FAIL <name> [reason]
# on stdout (anything else is passed through as log), and exits non-zero if
# it could not run at all (counted as one failure). Suites, in order:
#   build/tests/unit            Check unit tests (tests/unit)
#   build/tests/badinput        random and mutated frames through the input path
#   tests/interop/*.sh          the netstack against Linux over veth pairs
#   tests/packetimpact/run.sh   the conformance runner (if present)
#   tests/sandbox/*.sh          programs inside `moat do` (if present), on
#                               both platforms
#   tests/diff/run.sh           the same calls natively and in moat do, compared
#   tests/escape/run.sh         a hostile program inside moat do
#   tests/oci/*.sh              the OCI runtime: its command line, Docker
# SUITES="unit interop" (space-separated names of the above) selects some.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LOGDIR=${LOGDIR:-$BUILD/test-logs}
mkdir -p "$LOGDIR"
pass=0
fail=0
failed_names=()

want() {
	[ -z "${SUITES:-}" ] && return 0
	case " $SUITES " in *" $1 "*) return 0 ;; esac
	return 1
}

run_suite() {
	local name=$1
	shift
	local log="$LOGDIR/$name.log"
	echo "== $name"
	local start=$SECONDS
	# Line-buffered so progress shows; results are parsed from the log.
	"$@" 2>&1 | tee "$log" | grep -E '^(PASS|FAIL) ' || true
	local rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $name (suite exited $rc; see $log)"
		f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	while read -r line; do failed_names+=("$line"); done < <(grep '^FAIL ' "$log")
	[ "$rc" -ne 0 ] && [ "$(grep -c '^FAIL ' "$log")" -eq 0 ] && failed_names+=("FAIL $name (exit $rc)")
	echo "   ($p passed, $f failed, $((SECONDS - start))s; log $log)"
}

case "$PWD/" in
/tmp/*) echo "note: this checkout is under /tmp, which every sandbox replaces with its own" \
	"tmpfs: the sandbox suites and packetimpact's moat runs cannot see its programs" \
	"and fail; use a checkout elsewhere (/var/tmp, /work, ...)" ;;
esac
want unit && run_suite unit "$BUILD/tests/unit"
want badinput && run_suite badinput "$BUILD/tests/badinput"
if want interop; then
	for t in tests/interop/*.sh; do
		[ -x "$t" ] || continue
		run_suite "interop-$(basename "$t" .sh)" "$t"
	done
fi
if want packetimpact && [ -x tests/packetimpact/run.sh ]; then
	run_suite packetimpact tests/packetimpact/run.sh
	# the moat DUT on the other platform too
	MOAT_PLATFORM=systrap PI_KINDS=moat run_suite packetimpact-systrap tests/packetimpact/run.sh
fi
# The sandbox suites run with the event loop's invariant checked: a moat
# about to sleep with work pending aborts (netstack/loop.c, MOAT_DEBUG_LOOP).
# They run on both platforms: moat's default (ptrace), then systrap
# (MOAT_PLATFORM; the platform suites choose for themselves).
if want sandbox; then
	export MOAT_DEBUG_LOOP=1
	for t in tests/sandbox/*.sh; do
		[ -x "$t" ] || continue
		run_suite "sandbox-$(basename "$t" .sh)" "$t"
	done
	for t in tests/sandbox/*.sh; do
		[ -x "$t" ] || continue
		case $t in */platform*.sh) continue ;; esac
		MOAT_PLATFORM=systrap run_suite "sandbox-systrap-$(basename "$t" .sh)" "$t"
	done
	unset MOAT_DEBUG_LOOP
	# (a broken invariant aborts that moat; say so by name too)
	run_suite loop-invariant bash -c 'f=$(grep -l "loop invariant broken" "$0"/sandbox-*.log 2>/dev/null)
		if [ -n "$f" ]; then echo "FAIL loop_never_sleeps_with_work_pending $(grep -h "loop invariant broken" $f | head -1)"
		else echo "PASS loop_never_sleeps_with_work_pending"; fi' "$LOGDIR"
fi

# Differential cases: the same calls natively and in moat do, compared.
if want diff && [ -x tests/diff/run.sh ]; then
	run_suite diff tests/diff/run.sh
fi

# The hostile-program suite: a program inside moat do tries ways out.
if want escape && [ -x tests/escape/run.sh ]; then
	run_suite escape tests/escape/run.sh
fi

if want oci; then
	for t in tests/oci/*.sh; do
		[ -x "$t" ] || continue
		run_suite "oci-$(basename "$t" .sh)" "$t"
	done
fi

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failures:"
	printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
