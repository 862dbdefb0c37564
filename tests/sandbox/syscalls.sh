#!/bin/bash
# Syscall families checked by a C program (tests/sandbox/progs/
# syscall_errors.c): bad pointers give EFAULT, bad descriptors EBADF, bad
# arguments what Linux answers, and the sentry keeps serving. The program
# runs natively first: a check that fails there is a wrong expectation,
# not a sandbox bug, and is reported as such.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

progs || { fail build_progs; exit 1; }
FAMILIES="file stat fs mem proc signal poll ipc socket time"
native=$(cd / && "$PROGS/syscall_errors" $FAMILIES 2>&1)
if echo "$native" | grep -q '^FAIL'; then
	echo "$native" | grep '^FAIL' | sed 's/^FAIL /FAIL native_reference./'
fi
for fam in $FAMILIES; do
	out=$(MOAT_TEST_SANDBOX=1 timeout 120 $MOAT do "$PROGS/syscall_errors" "$fam" 2>&1)
	rc=$?
	echo "$out" | grep -E '^(PASS|FAIL) '
	n=$(echo "$out" | grep -c '^PASS')
	[ "$rc" -eq 0 ] && [ "$n" -gt 5 ] && pass "family_$fam" || fail "family_$fam" "exit $rc, $n passed"
done
expect no_leftover_processes 0 "$(sandbox_leftovers)"
