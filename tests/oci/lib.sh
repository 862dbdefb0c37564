# Shared helpers for the OCI runtime suites (tests/oci/*.sh), on top of
# tests/sandbox/lib.sh (pass, fail, expect, check, tmpd). Source from the
# repository root.
#
#   busybox_root DIR          a root file system: busybox-static and its applets
#   host_root DIR FILE...     a root file system with these host files (programs
#                             get the shared libraries ldd lists)
#   bundle DIR ROOT ARGS...   DIR/config.json from `moat spec`, root ROOT, no
#                             terminal, process.args ARGS
#   jqi FILE FILTER           edit a JSON file in place with jq
#   oci ARGS...               moat with this suite's --root
. tests/sandbox/lib.sh

OCI_ROOT=${OCI_ROOT:-/run/moat-test-oci.$$}

oci() { "$MOAT" --root "$OCI_ROOT" "$@"; }

jqi() {
	local f=$1
	shift
	jq "$@" "$f" >"$f.new" && mv "$f.new" "$f"
}

busybox_root() {
	local r=$1 c
	mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/www"
	chmod 1777 "$r/tmp"
	cp /bin/busybox "$r/bin/busybox"
	for c in $(/bin/busybox --list); do
		[ "$c" = busybox ] || ln -sf busybox "$r/bin/$c"
	done
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
}

host_root() {
	local r=$1 f l
	shift
	mkdir -p "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/etc"
	chmod 1777 "$r/tmp"
	for f in "$@"; do
		[ -e "$f" ] || continue
		mkdir -p "$r$(dirname "$f")"
		cp -a "$f" "$r$f"
		if [ -f "$f" ] && [ -x "$f" ]; then
			for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
				[ -e "$r$l" ] && continue
				mkdir -p "$r$(dirname "$l")"
				cp -L "$l" "$r$l"
			done
		fi
	done
	# the loader's canonical path
	if [ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$r/lib64/ld-linux-x86-64.so.2" ]; then
		mkdir -p "$r/lib64"
		cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"
	fi
}

bundle() {
	local b=$1 root=$2
	shift 2
	mkdir -p "$b"
	rm -f "$b/config.json"
	"$MOAT" spec --bundle "$b" || return 1
	local args
	args=$(printf '%s\n' "$@" | jq -R . | jq -s .)
	jqi "$b/config.json" --arg root "$root" --argjson args "$args" \
		'.root.path=$root | .root.readonly=false | .process.terminal=false | .process.args=$args'
}

# The suite's containers are gone: no state, no process.
oci_cleanup() {
	local id
	for id in $(oci list -q 2>/dev/null); do
		oci delete --force "$id" >/dev/null 2>&1
	done
	rm -rf "$OCI_ROOT"
}
