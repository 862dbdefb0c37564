#!/bin/bash
# Inputs that were accepted silently or failed obscurely (issue 14), each
# now a clear error or the behaviour a user expects:
#   --gateway that is no address, has no --ip of its family, or has no
#   interface (--network=none) -> a one-line error, status 125;
#   --root without /etc -> the sandbox gets one (its network files);
#   a script whose #! interpreter is missing -> "bad interpreter", 127,
#   as bash says and returns natively;
#   a current directory under /tmp (the sandbox's own tmpfs) -> shown at
#   its path, copy-on-write: the program starts there and the host's
#   directory is unchanged;
#   host.moat.internal has the host side's IPv6 address too.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
T=$(tmpd) || exit 1
TMPDIR_HOST=$(mktemp -d /tmp/moat-inputs.XXXXXX)
trap 'rm -rf "$TMPDIR_HOST"; sb_cleanup' EXIT

gw() { # NAME WANT ARGS...
	local name=$1 want=$2
	shift 2
	"$MOAT" do "$@" -- true 2>"$T/err"
	local rc=$?
	if [ $rc = 125 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -qF -- "$want" "$T/err"; then
		pass "$name"
	else
		fail "$name" "exit $rc: $(head -2 "$T/err" | tr '\n' '|')"
	fi
}
gw gateway_not_an_address "--gateway nope: not an IP address" --gateway nope
gw gateway_without_ip "--gateway 10.1.1.1: needs an --ip of the same family" --gateway 10.1.1.1
gw gateway_v6_without_v6_ip "--gateway fd00::1: needs an --ip of the same family" --ip 10.219.3.2/24 --gateway fd00::1
gw gateway_with_network_none "--network=none has no interface" --network=none --gateway 10.1.1.1

mkdir -p "$T/noetc/bin"
cp /bin/busybox "$T/noetc/bin/sh"
expect root_without_etc "ok 127.0.0.1" "$("$MOAT" do --root "$T/noetc" -- /bin/sh -c 'echo ok $(head -1 /etc/hosts | cut -f1)' 2>&1 | tr '\n' ' ' | sed 's/ $//')"

printf '#!/nonexistent/interp\necho hi\n' >"$T/bad.sh"
chmod +x "$T/bad.sh"
bash -c "$T/bad.sh" 2>/dev/null
native=$?
"$MOAT" do --network=none -- "$T/bad.sh" 2>"$T/err"
expect bad_interpreter_status_as_native "$native" "$?"
expect bad_interpreter_named 1 "$(grep -c 'bad interpreter /nonexistent/interp' "$T/err")"

echo data >"$TMPDIR_HOST/f"
out=$(cd "$TMPDIR_HOST" && "$MOAT" do --network=none -- sh -c 'pwd; cat f; echo new > g; ls' 2>&1 | tr '\n' ' ')
expect cwd_under_tmp_is_shown "$TMPDIR_HOST data f g " "$out"
expect cwd_under_tmp_host_unchanged f "$(ls "$TMPDIR_HOST" | tr '\n' ' ' | sed 's/ $//')"

expect host_moat_internal_both_families 2 "$("$MOAT" do -- grep -c host.moat.internal /etc/hosts 2>&1)"
