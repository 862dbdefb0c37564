#!/bin/bash
# Differential tests (issue 12): tests/diff/diffcases.c runs natively (as
# root, in a fresh network namespace of its own) and inside `moat do`, and
# the result lines of each case are compared. A line that differs fails
# the case unless tests/diff/expected.txt lists "CASE STEP" with a reason.
#
#   tests/diff/run.sh [CASE...]    (all cases without arguments)
#
# Prints "PASS diff.CASE" or "FAIL diff.CASE" with the first difference:
# the step, what Linux printed and what moat printed. The network namespace
# (mdiff$$) is removed on exit, on failure too.
set -u
cd "$(dirname "$0")/../.." || exit 1
MOAT=${MOAT:-$PWD/bin/moat}
OUT=build/diff
BIN=$PWD/$OUT/diffcases
NS=mdiff$$
[ "$(id -u)" = 0 ] || { echo "FAIL diff.setup needs root"; exit 1; }
mkdir -p "$OUT"
stale=1
if [ -x "$BIN" ]; then
	stale=0
	for f in tests/diff/*.c tests/diff/*.h; do [ "$f" -nt "$BIN" ] && stale=1; done
fi
if [ $stale = 1 ]; then
	cc -O1 -Wall -Wextra -o "$BIN" tests/diff/*.c || { echo "FAIL diff.build"; exit 1; }
fi
trap 'ip netns del $NS 2>/dev/null' EXIT
trap 'exit 130' INT TERM
ip netns add $NS && ip -n $NS link set lo up || { echo "FAIL diff.setup no namespace"; exit 1; }

# expected CASE STEP: 0 when the pair is listed as a known difference.
expected() {
	grep -v '^#' tests/diff/expected.txt 2>/dev/null | cut -f1 | grep -qxF "$1 $2"
}

# Both runs keep only the capabilities root has here (diffcases.c).
DIFF_CAPEFF=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
export DIFF_CAPEFF
cases=("$@")
[ ${#cases[@]} -eq 0 ] && mapfile -t cases < <("$BIN" --list)
for c in "${cases[@]}"; do
	native=$(cd / && ip netns exec $NS "$BIN" "$c" 2>&1)
	sandbox=$(timeout 120 "$MOAT" do --network none -- "$BIN" "$c" 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL diff.$c moat do exited $rc: $(echo "$sandbox" | tail -2 | tr '\n' ' ')"
		continue
	fi
	bad=""
	# Line by line, in order: the step is what precedes ": " on a line.
	mapfile -t nl <<<"$native"
	mapfile -t ml <<<"$sandbox"
	for i in "${!nl[@]}"; do
		line=${nl[$i]}
		mine=${ml[$i]:-}
		[ "$mine" = "$line" ] && continue
		step=${line#"$c "}
		step=${step%%: *}
		[ "${mine%%: *}" = "${line%%: *}" ] && expected "$c" "$step" && continue
		bad="$step: Linux '${line#*: }', moat '${mine#*: }'"
		break
	done
	if [ -z "$bad" ] && [ "$(echo "$native" | wc -l)" != "$(echo "$sandbox" | wc -l)" ]; then
		bad="Linux printed $(echo "$native" | wc -l) lines, moat $(echo "$sandbox" | wc -l)"
	fi
	n=$(echo "$native" | wc -l)
	if [ -z "$bad" ]; then echo "PASS diff.$c ($n results alike)"; else echo "FAIL diff.$c $bad"; fi
done
