# Shared helpers for the sandbox suites (tests/sandbox/*.sh). Source it from
# the repository root. Every suite prints "PASS name" / "FAIL name reason".
#
#   MOAT                 the moat binary (bin/moat)
#   progs                build the C helpers of tests/sandbox/progs into $PROGS
#   check NAME CMD...    run CMD; PASS if it exits 0
#   expect NAME WANT GOT compare two strings
#   sandbox_pids         host processes in a pid namespace of one of this
#                        script's sandboxes (one pid a line)
#   sandbox_leftovers    how many there are
#   wait_for SECS CMD... poll until CMD succeeds (bounded)
#   sentry_of PID        the sentry process of moat do PID
#   field PID KEY        a field of /proc/PID/status
#   tmpd                 a scratch directory on the host (not under /tmp, which
#                        is the sandbox's own tmpfs), removed at exit

MOAT=${MOAT:-$PWD/bin/moat}
PROGS=${PROGS:-$PWD/build/sandbox-tests}
_SB_PIDS=()

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1 ${2:-}"; }

sb_cleanup() {
	local p
	for p in "${_SB_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$PROGS/run.$$"
}
trap sb_cleanup EXIT
trap 'sb_cleanup; exit 130' INT TERM

# Remember a background pid for cleanup.
sb_bg() {
	_SB_PIDS+=("$1")
}

# (called as T=$(tmpd), in a subshell: the directories live under one per
# script, $PROGS/run.PID, which the script's exit removes)
tmpd() {
	mkdir -p "$PROGS/run.$$" && mktemp -d "$PROGS/run.$$/tmp.XXXXXX"
}

# Build the helper programs (once per run; rebuilt when the source changes).
progs() {
	mkdir -p "$PROGS" || return 1
	local src out
	for src in tests/sandbox/progs/*.c; do
		out=$PROGS/$(basename "$src" .c)
		if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
			cc -O1 -o "$out" "$src" -lpthread || return 1
		fi
	done
}

# wait_for SECONDS CMD...: until CMD succeeds, polled every 50 ms; 1 if
# SECONDS passed first (the caller says why its bound is generous).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.05
	done
}

# sentry_of PID: the sentry of the moat do whose pid is PID (its child
# named moat); fails if it has none (yet).
sentry_of() {
	local c
	for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		[ "$(cat /proc/$c/comm 2>/dev/null)" = moat ] && { echo "$c"; return 0; }
	done
	return 1
}

# field PID KEY: a field of /proc/PID/status (Seccomp, CapEff, ...)
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null; }

check() {
	local name=$1
	shift
	local out
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "exit $?: $(echo "$out" | tail -3 | tr '\n' ' ')"
	fi
}

expect() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want [$2] got [$(echo "$3" | head -5 | tr '\n' '|')]"
	fi
}

# expect_same NAME NATIVE INSIDE: multi-line outputs; a diff on failure.
expect_same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "differs from native: $(diff <(echo "$2") <(echo "$3") | head -6 | tr '\n' '|')"
	fi
}

# Host processes whose pid namespace is not ours: a sandbox's tasks.
# Only this script's sandboxes count (other sandboxes may run on the
# machine): a process in another pid namespace is ours when the first of
# its ancestors in our namespace descends from this shell, or is init
# (its moat died and left it behind).
_sb_ppid() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; echo "$2"; }
sandbox_pids() {
	local mine p
	mine=$(readlink /proc/self/ns/pid)
	for p in /proc/[0-9]*; do
		local ns h
		ns=$(readlink "$p/ns/pid" 2>/dev/null) || continue
		[ "$ns" = "$mine" ] && continue
		h=${p#/proc/}
		while [ -n "$h" ] && [ "$h" != 0 ] && [ "$(readlink "/proc/$h/ns/pid" 2>/dev/null)" != "$mine" ]; do
			h=$(_sb_ppid "$h") || break
		done
		[ -n "$h" ] && [ "$h" != 0 ] || continue
		if [ "$h" = 1 ]; then
			echo "${p#/proc/}"
			continue
		fi
		while [ -n "$h" ] && [ "$h" != 0 ] && [ "$h" != 1 ] && [ "$h" != $$ ]; do
			h=$(_sb_ppid "$h") || break
		done
		[ "$h" = $$ ] && echo "${p#/proc/}"
	done
}
sandbox_leftovers() {
	sandbox_pids | wc -l
}

[ -x "$MOAT" ] || { echo "FAIL setup $MOAT not built"; exit 1; }
