#!/bin/bash
# Syscall families checked by a C program (tests/sandbox/progs/
# syscall_errors.c): bad pointers give EFAULT, bad descriptors EBADF, bad
# arguments what Linux answers, and the sentry keeps serving. The program
# runs natively first: a check that fails there is a wrong expectation,
# not a sandbox bug, and is reported as such. Then random syscalls with
# hostile arguments (syscall_fuzz.c) must leave the sentry answering.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

progs || { fail build_progs; exit 1; }
FAMILIES="file stat fs mem proc signal poll ipc socket time splice notify sysv"
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
# Random syscalls with hostile arguments (tests/sandbox/progs/syscall_fuzz.c):
# the sandbox must still answer afterwards and moat must not crash.
for seed in 1 7 42; do
	out=$(
		timeout 120 $MOAT do "$PROGS/syscall_fuzz" $seed 20 1000 2>/dev/null | tr -d '\0'
		exit "${PIPESTATUS[0]}"
	)
	rc=$?
	case "$out" in
	*"alive 20"*) pass "fuzz_seed_$seed" ;;
	*) fail "fuzz_seed_$seed" "moat exit $rc: ${out: -60}" ;;
	esac
done
# A program that rewrites the platform's stub in its own memory to run its
# own syscall where the sentry injects one (tests/sandbox/progs/
# stub_hijack.c) must be killed before that syscall runs: here a mkdir on
# a host directory, which must not appear.
T=$(tmpd) || exit 1
chmod 1777 "$T" # the hijacked task is host uid nobody: let it succeed if it can
out=$($MOAT do "$PROGS/stub_hijack" "$T/escaped" 2>&1)
rc=$?
[ -e "$T/escaped" ] && fail escape_stub_hijack "the host directory was created" ||
	{ [ $rc -eq 137 ] && pass escape_stub_hijack || fail escape_stub_hijack "exit $rc: $out"; }
expect no_leftover_processes 0 "$(sandbox_leftovers)"
