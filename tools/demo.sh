#!/bin/bash
# `make run`: Moat's main job on a default workload. A web server (python3
# -m http.server, unmodified) runs in a sandbox whose every socket is on
# Moat's netstack; the host fetches a file through a published port
# (-p 127.0.0.1:PORT:8000, the host kernel sees only Ethernet frames on
# the sandbox's veth); the run ends with a summary: what was served, the
# SHA-256 of what was fetched against the original, and what the pcap of
# the sandbox's interfaces holds. Needs root. Everything it creates is
# removed at exit (moat removes its veth and forwarder itself).
#
#   make run CMD='...' ARGS='...'   sandboxes CMD ARGS instead (moat do,
#                                   default networking, a pcap of it)
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "make run needs root (network namespaces, veth)"; exit 1; }
MOAT=$PWD/bin/moat
# A host directory (the sandbox's /tmp is its own)
TMP=$(mktemp -d "$PWD/build/demo.XXXXXX")
chmod 755 "$TMP"
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PCAP=$TMP/sandbox.pcap

if [ -n "${CMD:-}" ]; then
	echo "moat do --pcap $PCAP -- $CMD ${ARGS:-}"
	# shellcheck disable=SC2086
	"$MOAT" do --pcap "$PCAP" -- $CMD ${ARGS:-}
	rc=$?
	echo
	echo "exit status $rc; pcap: $(tcpdump -nr "$PCAP" 2>/dev/null | wc -l) frames"
	exit $rc
fi

PORT=18000
mkdir -p "$TMP/www"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$TMP/www/data.bin"
echo "<h1>served from a Moat sandbox</h1>" >"$TMP/www/index.html"
echo "starting: moat do -p 127.0.0.1:$PORT:8000 --pcap ... -- python3 -m http.server 8000"
"$MOAT" do -p 127.0.0.1:$PORT:8000 --pcap "$PCAP" -- python3 -m http.server -d "$TMP/www" 8000 \
	>"$TMP/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	curl -sf -o /dev/null "http://127.0.0.1:$PORT/" && break
	sleep 0.1
done
veth=$(ip -o -4 addr show | awk -v p="$PID" '$2 ~ /^moat[0-9]+$/ {print $2}' | while read -r v; do
	[ -e "/run/moat/net/$PID" ] && grep -qx "veth $v" "/run/moat/net/$PID" && echo "$v"; done)
echo "sandbox up: host side $veth $(ip -4 -o addr show dev "$veth" 2>/dev/null | awk '{print $4}')," \
	"sandbox side eth0 on the netstack"
echo
t0=$(date +%s.%N)
curl -sf -o "$TMP/fetched.bin" "http://127.0.0.1:$PORT/data.bin"
crc=$?
t1=$(date +%s.%N)
page=$(curl -sf "http://127.0.0.1:$PORT/index.html")
sleep 0.3
kill -INT "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
PID=
want=$(sha256sum <"$TMP/www/data.bin" | cut -d' ' -f1)
got=$(sha256sum <"$TMP/fetched.bin" 2>/dev/null | cut -d' ' -f1)
echo "== summary"
echo "served by the sandbox (its log):"
grep -E '"GET ' "$TMP/server.log" | sed 's/^/  /'
echo "fetched data.bin: $(stat -c %s "$TMP/fetched.bin" 2>/dev/null || echo 0) bytes in" \
	"$(echo "$t1 - $t0" | bc -l | cut -c1-5) s (curl exit $crc)"
echo "  sha256 fetched:  $got"
echo "  sha256 original: $want"
echo "index.html: $page"
frames=$(tcpdump -nr "$PCAP" 2>/dev/null | wc -l)
bytes=$(tshark -r "$PCAP" -q -z io,stat,0 2>/dev/null | awk -F'|' '/<>/ {gsub(/ /, "", $4); print $4}')
echo "pcap of the sandbox's interfaces: $frames frames, ${bytes:-?} bytes"
echo "  TCP handshakes (SYN): $(tcpdump -nr "$PCAP" 'tcp[tcpflags] == tcp-syn' 2>/dev/null | wc -l)," \
	"ARP: $(tcpdump -nr "$PCAP" arp 2>/dev/null | wc -l)," \
	"IPv6 (NDP, MLD): $(tcpdump -nr "$PCAP" ip6 2>/dev/null | wc -l)"
echo "  first frames:"
tcpdump -nr "$PCAP" 'tcp' 2>/dev/null | head -3 | sed 's/^/    /'
if [ -n "$veth" ] && ip link show "$veth" >/dev/null 2>&1; then
	echo "left behind: $veth"
else
	echo "left behind: nothing (veth $veth and the forwarder are gone)"
fi
if [ -n "$got" ] && [ "$got" = "$want" ] && [ "$crc" = 0 ]; then
	echo "OK: the fetched file is the served file"
	exit 0
fi
echo "FAILED: the fetched file differs"
exit 1
