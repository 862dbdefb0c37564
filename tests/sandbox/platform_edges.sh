#!/bin/bash
# The corners of catching syscalls, on both platforms (ptrace and
# systrap): tests/sandbox/progs/platform_edges.c runs each case natively
# and inside `moat do --platform P`; the outputs must be the same; so do
# the cases of systrap's patched syscall sites (progs/patch_edges.c). Then
# the stub attacked from inside (munmap, mprotect, mremap, overwritten
# code): the attacker is refused or killed, its parent and the sentry go
# on.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

progs || { fail build_progs; exit 1; }
P=$PROGS/platform_edges
CASES="handler altstack badsp threads vfork execthread threadexit threadstate"
for c in $CASES; do
	native=$(cd / && timeout 120 "$P" "$c" 2>&1)
	for plat in ptrace systrap; do
		# (240 s: 32 threads and 40 forks take 3-40 s on a loaded
		# machine; one loaded run once printed nothing within 120 s)
		out=$(timeout 240 $MOAT do --network none --platform $plat -- "$P" "$c" 2>&1)
		rc=$?
		[ $rc -ne 0 ] && out="$out (exit status $rc)"
		expect_same "$plat.$c" "$native" "$out"
	done
done
# The stub's whole range is taken from the exec on (progs/stub_range.c),
# so that nothing the kernel places lands where systrap's mailboxes go
# later (CI once saw a dynamic program die of SIGSEGV, and an exec fail
# with ENOMEM 1 time in 7,500, before the range was reserved). Natively
# every page is free.
SR=$PROGS/stub_range
for plat in ptrace systrap; do
	out=$(timeout 120 $MOAT do --network none --platform $plat -- "$SR" 2>&1)
	expect "$plat.stub_range_reserved" "free 0 of 133" "$out"
done
# systrap's patched syscall sites (tests/sandbox/progs/patch_edges.c):
# the same output natively and on both platforms
PE=$PROGS/patch_edges
for c in signals restart selfmod fork threads gs; do
	native=$(cd / && timeout 120 "$PE" "$c" 2>&1)
	for plat in ptrace systrap; do
		out=$(timeout 180 $MOAT do --network none --platform $plat -- "$PE" "$c" 2>&1)
		expect_same "$plat.patch_$c" "$native" "$out"
	done
done
# ... and the cases went through patched sites (MOAT_SYSTRAP_STATS: how
# many syscalls came that way), which MOAT_SYSTRAP_PATCH=0 turns off
fast_calls() {
	sed -n 's/.* \([0-9]*\) through patched sites.*/\1/p' <<<"$1"
}
for c in selfmod fork threads restart signals; do
	out=$(MOAT_SYSTRAP_STATS=1 timeout 180 $MOAT do --network none --platform systrap -- "$PE" "$c" 2>&1)
	n=$(fast_calls "$out")
	if [ "${n:-0}" -gt 0 ]; then pass "systrap.patched_$c"; else fail "systrap.patched_$c" "$out"; fi
done
out=$(MOAT_SYSTRAP_STATS=1 MOAT_SYSTRAP_PATCH=0 timeout 180 $MOAT do --network none --platform systrap -- \
	"$PROGS/syscall_loop" 2000 libc 2>&1)
expect patch_off 0 "$(fast_calls "$out")"
for op in munmap mprotect mremap write; do
	for plat in ptrace systrap; do
		out=$(timeout 120 $MOAT do --network none --platform $plat -- "$P" stub $op 2>&1)
		case "$out" in
		"stub $op child killed parent fine" | "stub $op child refused parent fine" | \
			"stub $op child survived parent fine") pass "$plat.stub_$op" ;;
		*) fail "$plat.stub_$op" "$out" ;;
		esac
	done
done
# moat's own choice: ptrace by default (MOAT_PLATFORM unset), auto is
# systrap on this kernel, and the debug log says so
T=$(tmpd) || exit 1
env -u MOAT_PLATFORM $MOAT do --network none --debug-log "$T/log0" -- /bin/true
expect default_is_ptrace 1 "$(grep -c 'platform ptrace$' "$T/log0")"
$MOAT do --network none --platform auto --debug-log "$T/log" -- /bin/true
expect auto_is_systrap 1 "$(grep -c 'platform systrap (auto)' "$T/log")"
MOAT_PLATFORM=systrap $MOAT do --network none --debug-log "$T/log2" -- /bin/true
expect env_chooses_systrap 1 "$(grep -c 'platform systrap$' "$T/log2")"
out=$($MOAT do --network none --platform bogus -- /bin/true 2>&1)
expect unknown_platform_refused 1 "$(grep -c "unknown platform 'bogus'" <<<"$out")"
