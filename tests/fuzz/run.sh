#!/bin/bash
# Runs libFuzzer harnesses for a while each; fails on any crash, leak or
# sanitizer report.
#
#   tests/fuzz/run.sh SECONDS FUZZER...      (make fuzz FUZZ_SECONDS=N)
#
# Each fuzzer NAME keeps its corpus in build/fuzz/corpus/NAME (kept between
# runs, so coverage accumulates); seeds come from the harness itself
# (FUZZ_WRITE_SEEDS=DIR, valid frames built with the unit-test builders) and
# from tests/fuzz/seeds/NAME/ if that exists. Crash reproducers go to
# build/fuzz/artifacts/; rerun one with: build/fuzz/NAME build/fuzz/artifacts/FILE
# Prints "PASS fuzz.NAME ..." or "FAIL fuzz.NAME ..." per fuzzer.
set -u
cd "$(dirname "$0")/../.."
if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS FUZZER..." >&2
	exit 2
fi
secs=$1
shift
mkdir -p build/fuzz/corpus build/fuzz/artifacts build/fuzz/logs
failed=0
for fz in "$@"; do
	name=$(basename "$fz")
	corpus=build/fuzz/corpus/$name
	seeds=build/fuzz/seeds/$name
	log=build/fuzz/logs/$name.log
	mkdir -p "$corpus" "$seeds"
	rm -f "$seeds"/*
	if ! FUZZ_WRITE_SEEDS="$seeds" "$fz" >/dev/null 2>&1; then
		echo "FAIL fuzz.$name could not write its seed corpus"
		failed=1
		continue
	fi
	dirs=("$corpus" "$seeds")
	[ -d "tests/fuzz/seeds/$name" ] && dirs+=("tests/fuzz/seeds/$name")
	# Findings are NAME-crash-*, -leak-*, -timeout-*, -oom-* (slow-unit
	# reports are not; the old pattern "*-NAME-*" matched none of them, so
	# only the exit status caught a finding).
	findings() { find build/fuzz/artifacts \( -name "$name-crash-*" -o -name "$name-leak-*" \
		-o -name "$name-timeout-*" -o -name "$name-oom-*" \) 2>/dev/null | wc -l; }
	before=$(findings)
	# The stack harnesses build a whole stack per input and run its
	# timers, so every input touches thousands of features, and libFuzzer's
	# entropic schedule (on by default) spent more time weighing them than
	# the stack spent on the frames: without it fuzz_frame ran 2x the inputs
	# per second (-runs=30000 over one corpus: 12.0 s against 6.3 s);
	# fuzz_ip6 spent half its time there.
	extra=()
	case $name in fuzz_frame | fuzz_ip6 | fuzz_tcp) extra=(-entropic=0) ;; esac
	echo "== fuzz $name for ${secs}s (corpus $corpus, log $log)"
	# New inputs go to the first directory (the kept corpus); the seeds
	# are read only.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$fz" -max_total_time="$secs" -max_len=20000 -timeout=20 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$name-" "${extra[@]}" \
		"${dirs[@]}" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	after=$(findings)
	summary="${execs:-?} executions (${rate:-?}/s), ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs"
	# A harness may print what an input stands for (fuzz_frame: frames).
	frames=$(sed -n 's/^fuzz_frame: [0-9]* inputs, \([0-9]*\) frames$/\1/p' "$log" | tail -1)
	[ -n "$frames" ] && summary="$summary, $frames frames ($((frames / (secs > 0 ? secs : 1)))/s)"
	if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
		echo "FAIL fuzz.$name exit $rc after $summary; see $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_frame:|artifact_prefix|Test unit written)' "$log" | head -5 | sed 's/^/     /'
		failed=1
	else
		echo "PASS fuzz.$name $summary"
	fi
done
exit $failed
