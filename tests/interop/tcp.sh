#!/bin/bash
# TCP interop with Linux over a veth pair, both ways (Linux client -> `moat
# stack` server and `moat stack` client -> Linux server):
#   - the handshake negotiates MSS, SACK-permitted, window scale and
#     timestamps (checked in the pcap with tshark);
#   - 1 GiB bulk transfer in each direction with identical SHA-256;
#   - half-close in each direction;
#   - connecting to a closed port gets ECONNREFUSED, both ways;
#   - 1,000 concurrent connections, each carrying 100 KiB both ways, all data
#     verified, both ways.
# Namespaces mi3l/mi3m, subnet 10.200.3.0/24; removed on exit, failure too.
# BYTES=... overrides the bulk size (default 1 GiB).
set -u
SUITE=interop.tcp
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
interop_init mi3 10.200.3
BYTES=${BYTES:-1073741824}
PCAP=$TMP_DIR/tcp.pcap
# The pcap sees only the handshake checks' connections: the bulk runs are
# in a second stack instance without capture (1 GiB of pcap helps nobody).
start_moat --pcap "$PCAP" --tcp-echo 7 --tcp-sink 9 --tcp-source 19:1000000
SAVED_PID=$MOAT_PID

# Linux-side helpers (python3).
py_echo_server() {
	# An asyncio echo server on LIP:PORT for many concurrent clients.
	local port=$1
	bg ip netns exec "$NS_L" python3 -c '
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
async def echo(r, w):
    try:
        while True:
            d = await r.read(65536)
            if not d:
                break
            w.write(d)
            await w.drain()
        w.close()
    except Exception:
        pass
async def main():
    srv = await asyncio.start_server(echo, sys.argv[1], int(sys.argv[2]), backlog=4096)
    print("listening", flush=True)
    async with srv:
        await srv.serve_forever()
asyncio.run(main())
' "$LIP" "$port" >"$TMP_DIR/pyecho-$port.log" 2>&1
	wait_for_line "$TMP_DIR/pyecho-$port.log" listening 60
}

t_handshake_linux_client() {
	echo ping | L timeout 5 socat - "TCP:$MIP:7" | grep -q ping || { echo "no echo"; return 1; }
	sleep 0.3
	# Linux's SYN and the stack's SYN-ACK both carry the four options.
	for dir in "ip.src==$LIP && tcp.flags.syn==1 && tcp.flags.ack==0" \
		   "ip.src==$MIP && tcp.flags.syn==1 && tcp.flags.ack==1"; do
		pcap_has "$PCAP" "($dir) && tcp.port==7" || return 1
		local f
		f=$(tshark -r "$PCAP" -Y "($dir) && (tcp.port==7)" -T fields \
			-e tcp.options.mss_val -e tcp.options.wscale.shift \
			-e tcp.options.sack_perm -e tcp.options.timestamp.tsval 2>/dev/null | head -1)
		echo "$dir: mss/wscale/sackperm/tsval = $f"
		[ "$(echo "$f" | awk -F'\t' '{ n = 0; for (i = 1; i <= 4; i++) if ($i != "") n++; print n }')" = 4 ] || return 1
	done
	# The stack's MSS is the link MTU minus 40.
	tshark -r "$PCAP" -Y "ip.src==$MIP && tcp.flags.syn==1" -T fields -e tcp.options.mss_val 2>/dev/null |
		grep -qx 1460 || { echo "SYN-ACK MSS is not 1460"; return 1; }
}
check handshake_options_linux_client t_handshake_linux_client

t_handshake_moat_client() {
	# The stack as the client; it needs veth-m alone, so the service
	# instance stops for a moment. The Linux listener was started (and
	# seen listening) before this check.
	stop_moat
	local pc=$TMP_DIR/client.pcap
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --pcap "$pc" \
		--tcp-client "$LIP:5009" --send 1000 >"$TMP_DIR/hc.out" 2>"$TMP_DIR/hc.err" ||
		{ grep -v "^  " "$TMP_DIR/hc.err" | tr "\n" " "; cat "$TMP_DIR/hc.out"; return 1; }
	local dir f
	for dir in "ip.src==$MIP && tcp.flags.syn==1 && tcp.flags.ack==0" \
		   "ip.src==$LIP && tcp.flags.syn==1 && tcp.flags.ack==1"; do
		f=$(tshark -r "$pc" -Y "$dir" -T fields -e tcp.options.mss_val -e tcp.options.wscale.shift \
			-e tcp.options.sack_perm -e tcp.options.timestamp.tsval 2>/dev/null | head -1)
		echo "$dir: $f"
		[ "$(echo "$f" | awk -F'\t' '{ n = 0; for (i = 1; i <= 4; i++) if ($i != "") n++; print n }')" = 4 ] || return 1
	done
	# Established with all of them: TSecr echoed in the stack's first ACK.
	pcap_has "$pc" "ip.src==$MIP && tcp.flags.syn==0 && tcp.options.timestamp.tsecr > 0"
}
# A Linux listener for it, up before the check starts.
bg ip netns exec "$NS_L" socat -u TCP-LISTEN:5009,reuseaddr OPEN:/dev/null
linux_listening() {
	local end=$((SECONDS + 60)) # generous: a loaded machine
	until L ss -Hltn "sport = :$1" | grep -q LISTEN; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.05
	done
}
linux_listening 5009
check handshake_options_moat_client t_handshake_moat_client
# The checks below need the services again.
start_moat --tcp-echo 7 --tcp-sink 9 --tcp-source 19:1000000 --set tcp.timewait_ms=2000

t_bulk_linux_to_moat() {
	local want got
	# Random data, hashed on the way out.
	head -c "$BYTES" /dev/urandom | tee >(sha256sum | cut -d' ' -f1 >"$TMP_DIR/l2m.sha") |
		L timeout 300 socat -b 262144 -u STDIN "TCP:$MIP:9" || { echo "socat failed"; return 1; }
	local end=$((SECONDS + 60))
	while { ! grep -q "tcp-sink: $LIP.*: $BYTES bytes" "$MOAT_LOG" || [ ! -s "$TMP_DIR/l2m.sha" ]; } &&
		[ $SECONDS -lt $end ]; do
		sleep 0.2
	done
	want=$(cat "$TMP_DIR/l2m.sha")
	got=$(grep "tcp-sink: $LIP.*: $BYTES bytes" "$MOAT_LOG" | tail -1 | awk '{ print $NF }')
	echo "sent sha256 $want; the stack received sha256 $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}

t_bulk_moat_to_linux() {
	local want got
	stop_moat
	L timeout 300 socat -b 262144 -u TCP-LISTEN:5010,reuseaddr STDOUT 2>/dev/null | sha256sum |
		cut -d' ' -f1 >"$TMP_DIR/m2l.sha" &
	local srv=$!
	linux_listening 5010 || { echo "Linux listener did not come up"; return 1; }
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --tcp-client "$LIP:5010" --send "$BYTES" \
		>"$TMP_DIR/m2l.out" 2>"$TMP_DIR/m2l.err" || { cat "$TMP_DIR/m2l.out"; tail -5 "$TMP_DIR/m2l.err"; return 1; }
	wait $srv 2>/dev/null
	want=$(grep "conn 1: sent $BYTES bytes" "$TMP_DIR/m2l.out" | sed 's/.*sent [0-9]* bytes sha256 \([0-9a-f]*\).*/\1/')
	got=$(cat "$TMP_DIR/m2l.sha")
	grep "tcp-client: 1 connections" "$TMP_DIR/m2l.out"
	echo "stack sent sha256 $want; Linux received sha256 $got"
	[ -n "$want" ] && [ "$want" = "$got" ]
}
check bulk_1gib_linux_to_moat_sha256 t_bulk_linux_to_moat
check bulk_1gib_moat_to_linux_sha256 t_bulk_moat_to_linux

t_bulk_moat_to_linux_no_tso() {
	# A device that cannot segment TCP itself: the kernel segments the
	# stack's super-frames in software (the qdisc bypass would drop them).
	# 64 MiB arrive intact, nothing fails to go out, nothing is resent.
	local want got n=$((64 << 20))
	M ethtool -K veth-m tso off >/dev/null || { echo "ethtool failed"; return 1; }
	L timeout 120 socat -b 262144 -u TCP-LISTEN:5011,reuseaddr STDOUT 2>/dev/null | sha256sum |
		cut -d' ' -f1 >"$TMP_DIR/notso.sha" &
	local srv=$!
	linux_listening 5011 || { echo "Linux listener did not come up"; M ethtool -K veth-m tso on; return 1; }
	M timeout 120 "$MOAT" stack --iface veth-m --addr "$MIP/24" --tcp-client "$LIP:5011" --send "$n" \
		>"$TMP_DIR/notso.out" 2>"$TMP_DIR/notso.err"
	local rc=$?
	M ethtool -K veth-m tso on >/dev/null
	wait $srv 2>/dev/null
	[ $rc = 0 ] || { cat "$TMP_DIR/notso.out"; tail -5 "$TMP_DIR/notso.err"; return 1; }
	want=$(grep "conn 1: sent $n bytes" "$TMP_DIR/notso.out" | sed 's/.*sent [0-9]* bytes sha256 \([0-9a-f]*\).*/\1/')
	got=$(cat "$TMP_DIR/notso.sha")
	echo "stack sent sha256 $want; Linux received sha256 $got"
	grep -E "link veth-m|retrans_segs" "$TMP_DIR/notso.out" "$TMP_DIR/notso.err"
	[ -n "$want" ] && [ "$want" = "$got" ] || return 1
	! grep -qE "link veth-m .*tx .*errors [1-9]" "$TMP_DIR/notso.out" "$TMP_DIR/notso.err"
}
check bulk_64mib_moat_to_linux_device_without_tso t_bulk_moat_to_linux_no_tso
start_moat --tcp-echo 7 --tcp-sink 9 --tcp-source 19:1000000 --set tcp.timewait_ms=2000

t_halfclose_linux_client() {
	# Linux sends, shuts down writing, then reads everything back: the
	# stack keeps sending after the peer's FIN (CLOSE-WAIT).
	L python3 -c '
import socket, sys, hashlib
s = socket.create_connection((sys.argv[1], 7), timeout=20)
data = bytes((i * 7 + 3) % 251 for i in range(300000))
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
sys.exit(0 if got == data else 1)
' "$MIP"
}
check half_close_linux_shuts_down_first t_halfclose_linux_client

t_echo_concurrent_128mib() {
	# Linux writes 128 MiB in one thread and reads the echo in another
	# (the echo service once stopped reading for good after its 1 MiB
	# buffer had filled and drained: a stall with the window closed).
	# 300 s is generous: the transfer takes about a second here.
	L timeout 300 python3 -c '
import hashlib, socket, sys, threading
N = 128 << 20
s = socket.create_connection((sys.argv[1], 7), timeout=60)
block = bytes((i * 7 + 3) % 251 for i in range(1 << 16))
want = hashlib.sha256()
def send():
    for _ in range(N // len(block)):
        s.sendall(block)
        want.update(block)
t = threading.Thread(target=send)
t.start()
got, h = 0, hashlib.sha256()
while got < N:
    d = s.recv(1 << 20)
    if not d:
        break
    got += len(d)
    h.update(d)
t.join()
print("echoed", got, "bytes")
sys.exit(0 if got == N and h.digest() == want.digest() else 1)
' "$MIP"
}
check echo_128mib_written_and_read_concurrently_sha256 t_echo_concurrent_128mib

t_halfclose_moat_client() {
	# The stack sends, shuts down writing, and reads until Linux closes.
	stop_moat
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --tcp-client "$LIP:5011" --send 300000 --echo \
		>"$TMP_DIR/hc2.out" 2>"$TMP_DIR/hc2.err"
	local rc=$?
	cat "$TMP_DIR/hc2.out"
	[ $rc = 0 ] && grep -q "1 done, 0 failed, 0 bad echoes" "$TMP_DIR/hc2.out"
}
# (the echo server is started here, not inside check: a background
# process started in check's subshell is out of reach of the cleanup trap
# and outlived the suite)
py_echo_server 5011 || echo "FAIL $SUITE.echo_server the Linux echo server did not start"
check half_close_moat_shuts_down_first t_halfclose_moat_client

t_refused_linux_client() {
	L python3 -c '
import socket, sys
try:
    socket.create_connection((sys.argv[1], 4444), timeout=5)
except ConnectionRefusedError:
    sys.exit(0)
except Exception as e:
    print("got", repr(e)); sys.exit(1)
print("connected?"); sys.exit(1)
' "$MIP"
}

t_refused_moat_client() {
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --tcp-client "$LIP:4445" --send 10 \
		>"$TMP_DIR/rf.out" 2>"$TMP_DIR/rf.err"
	cat "$TMP_DIR/rf.out"
	grep -q "FAILED: Connection refused" "$TMP_DIR/rf.out"
}
check connect_to_closed_linux_port_refused_for_moat t_refused_moat_client

t_concurrent_moat_client() {
	# 1,000 connections at once from the stack to a Linux echo server,
	# 100 KiB each way, every byte compared.
	M "$MOAT" stack --iface veth-m --addr "$MIP/24" --tcp-client "$LIP:5011" --conns 1000 \
		--send 102400 --echo --timeout 240 >"$TMP_DIR/cc.out" 2>"$TMP_DIR/cc.err"
	local rc=$?
	tail -1 "$TMP_DIR/cc.out"
	[ $rc = 0 ] && grep -q "1000 connections, 1000 done, 0 failed, 0 bad echoes" "$TMP_DIR/cc.out"
}
check concurrent_1000_conns_100kib_moat_client t_concurrent_moat_client

start_moat --tcp-echo 7 --set tcp.timewait_ms=2000
check connect_to_closed_moat_port_refused_for_linux t_refused_linux_client

t_concurrent_linux_client() {
	L python3 -c '
import asyncio, resource, sys, os
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
host = sys.argv[1]
N, SIZE = 1000, 102400
async def one(i):
    data = os.urandom(SIZE)
    r, w = await asyncio.open_connection(host, 7)
    w.write(data)
    await w.drain()
    w.write_eof()
    got = b""
    while True:
        d = await r.read(65536)
        if not d:
            break
        got += d
    w.close()
    return got == data
async def main():
    res = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(N)), return_exceptions=True), 240)
    ok = sum(1 for r in res if r is True)
    bad = [r for r in res if r is not True]
    print(f"{ok} of {N} connections echoed 100 KiB intact; failures: {bad[:3]}")
    sys.exit(0 if ok == N else 1)
asyncio.run(main())
' "$MIP"
}
check concurrent_1000_conns_100kib_linux_client t_concurrent_linux_client

t_stack_clean() {
	# After all that, once TIME-WAIT (2 s here) is over: every packet
	# buffer is back in the pool, and no connection was reset.
	sleep 3
	local st
	st=$(moat_stats)
	echo "$st" | grep -E "tcp\.(abort|rst|established_resets|drop)|pool" || true
	echo "$st" | grep -q "pool: .*, 0 in the stack" || { echo "packet buffers still in use"; return 1; }
	! echo "$st" | grep -qE "tcp\.(established_resets|abort_on_[a-z]+) "
}
check stack_counters_sane t_stack_clean
