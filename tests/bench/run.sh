#!/bin/bash
# `make bench`: runs every benchmark script in tests/bench/ (each executable
# *.sh except this one), one after the other, and prints what each printed.
# A benchmark prints its own table of results; it exits non-zero only if it
# could not run (benchmarks never assert timings). Each one's output is also
# kept in build/bench/NAME.txt.
#
#   tests/bench/run.sh [NAME...]     only the named benchmarks (NAME.sh)
set -u
cd "$(dirname "$0")/../.."
mkdir -p build/bench
ran=()
failed=()
for b in tests/bench/*.sh; do
	name=$(basename "$b" .sh)
	[ "$name" = run ] && continue
	[ -x "$b" ] || continue
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "=== bench $name ($b)"
	start=$SECONDS
	"$b" 2>&1 | tee "build/bench/$name.txt"
	rc=${PIPESTATUS[0]}
	echo "=== bench $name: exit $rc, $((SECONDS - start))s, output in build/bench/$name.txt"
	echo
	ran+=("$name")
	[ "$rc" -ne 0 ] && failed+=("$name")
done
echo "benchmarks run: ${ran[*]:-none}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "could not run: ${failed[*]}"
	exit 1
fi
