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

# A dockerd of the suite's own, with moat registered as runtime "moat":
# its own socket, data root, exec root and bridge (DK_BRIDGE, made here
# with DK_SUBNET.1/24), no iptables rules, no change to ip_forward (ports
# are published by docker-proxy on the host's loopback). Sets DOCKER_HOST.
# dk_stop stops it and removes everything it made.
DK_DIR=${DK_DIR:-/run/moat-test-docker.$$}
DK_DATA=${DK_DATA:-/var/lib/moat-test-docker.$$}
DK_BRIDGE=mdk$$
dk_start() {
	local x
	command -v dockerd >/dev/null || { echo "dockerd missing (apt-get install docker.io)"; return 1; }
	for x in $(seq 60 250); do
		ip -4 addr show | grep -q " 10.215.$x\." || break
	done
	DK_SUBNET=10.215.$x
	ip link add "$DK_BRIDGE" type bridge && ip addr add "$DK_SUBNET.1/24" dev "$DK_BRIDGE" &&
		ip link set "$DK_BRIDGE" up || return 1
	mkdir -p "$DK_DIR"
	cat >"$DK_DIR/daemon.json" <<EOJ
{ "runtimes": { "moat": { "path": "$MOAT" }${DK_EXTRA_RUNTIMES:+, $DK_EXTRA_RUNTIMES} } }
EOJ
	dockerd --config-file "$DK_DIR/daemon.json" --host "unix://$DK_DIR/docker.sock" \
		--data-root "$DK_DATA" --exec-root "$DK_DIR/exec" --pidfile "$DK_DIR/docker.pid" \
		--bridge "$DK_BRIDGE" --iptables=false --ip-forward=false --ip-masq=false \
		>"$DK_DIR/dockerd.log" 2>&1 &
	DK_PID=$!
	export DOCKER_HOST=unix://$DK_DIR/docker.sock
	local end=$((SECONDS + 90))
	while [ $SECONDS -lt $end ]; do
		docker info >/dev/null 2>&1 && return 0
		kill -0 $DK_PID 2>/dev/null || break
		sleep 0.2
	done
	echo "dockerd did not start: $(tail -5 "$DK_DIR/dockerd.log" | tr '\n' '|')"
	return 1
}
dk_stop() {
	if [ -n "${DK_PID:-}" ]; then
		docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
		docker network prune -f >/dev/null 2>&1
		kill -TERM "$DK_PID" 2>/dev/null
		local i
		for i in $(seq 300); do kill -0 "$DK_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DK_PID" 2>/dev/null
		wait "$DK_PID" 2>/dev/null
		DK_PID=
	fi
	# What dockerd left of its containers (a runtime's shim, a sandbox
	# that did not start right) names our directory on its command line.
	pkill -KILL -f -- "$DK_DIR/" 2>/dev/null
	grep -o " $DK_DATA[^ ]*\| $DK_DIR[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
	rm -rf "$DK_DATA" "$DK_DIR"
	ip link del "$DK_BRIDGE" 2>/dev/null
}

# dk_import NAME DIR [CHANGE...]: a Docker image from a root file system.
dk_import() {
	local name=$1 dir=$2
	shift 2
	local c=()
	for ch in "$@"; do c+=(-c "$ch"); done
	tar -C "$dir" -c . | docker import "${c[@]}" - "$name" >/dev/null
}

# nginx_root DIR: nginx from the host's package, serving DIR/srv on port 80
# (two workers, as www-data), in the foreground.
nginx_root() {
	local r=$1
	host_root "$r" /usr/sbin/nginx /etc/nginx/mime.types /bin/sh /bin/dash /bin/cat
	mkdir -p "$r/var/lib/nginx" "$r/var/log/nginx" "$r/run" "$r/srv"
	printf 'root:x:0:0::/root:/bin/sh\nwww-data:x:33:33::/var/www:/bin/false\n' >"$r/etc/passwd"
	printf 'root:x:0:\nwww-data:x:33:\n' >"$r/etc/group"
	cat >"$r/etc/nginx/nginx.conf" <<'EON'
user www-data;
worker_processes 2;
daemon off;
error_log stderr warn;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
    include mime.types;
    access_log off;
    sendfile on;
    keepalive_requests 1000000;
    server { listen 80; root /srv; }
}
EON
}
