#!/bin/bash
# Unmodified Debian servers inside `moat do --network=sandbox`, on the
# netstack, used from the host:
#   - python3 -m http.server behind -p: curl fetches a 50 MiB file 200 times,
#     20 at a time, every SHA-256 right (NET_FETCHES overrides the count);
#   - nginx (its own config here) serving static files to curl and wrk:
#     every response right, no errors;
#   - iperf3 server inside / client outside, both directions, and the
#     reverse (server on the host, client inside), NET_IPERF_S seconds each
#     (default 10), no errors.
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh
. tests/sandbox/net_lib.sh
[ "$(id -u)" = 0 ] || { echo "FAIL setup needs root"; exit 1; }
T=$(tmpd) || exit 1
chmod 755 "$T" # nginx's workers are www-data in the sandbox
FETCHES=${NET_FETCHES:-200}
IPERF_S=${NET_IPERF_S:-10}
NET=$(pick_subnet 31) || { echo "FAIL setup no free subnet"; exit 1; }
SIP=$NET.2
HIP=$NET.1
PORT=$((20000 + RANDOM % 20000))

# --- python3 -m http.server, published with -p ---
mkdir -p "$T/www"
head -c $((50 * 1024 * 1024)) /dev/urandom >"$T/www/big.bin"
want=$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)
net_bg http --ip $SIP/24 -p 127.0.0.1:$PORT:8000 -- python3 -m http.server -d "$T/www" 8000
HTTP=$LAST
if wait_tcp $SIP 8000 120; then # (python starts slowly on a busy machine)
	pass http_server_listens
	seq "$FETCHES" | xargs -P 20 -I{} sh -c \
		"curl -sf --max-time 120 http://127.0.0.1:$PORT/big.bin | sha256sum | cut -d' ' -f1" >"$T/sums" 2>"$T/curl.err"
	good=$(grep -c "^$want\$" "$T/sums")
	expect "http_50MiB_x${FETCHES}_parallel20_sha256" "$FETCHES" "$good"
	got=$(curl -sf http://$SIP:8000/ | grep -c big.bin)
	expect http_direct_to_sandbox_address 1 "$got"
else
	fail http_server_listens "$(tail -3 "$T/http.log")"
fi
net_stop $HTTP

# --- nginx ---
mkdir -p "$T/ng/html"
for i in $(seq 20); do head -c $((i * 4096 + i)) /dev/urandom >"$T/ng/html/f$i.bin"; done
echo "hello from nginx in moat" >"$T/ng/html/index.html"
cat >"$T/ng/nginx.conf" <<EOF
worker_processes 2;
daemon off;
error_log stderr warn;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    keepalive_requests 100000;
    client_body_temp_path /tmp/cb; proxy_temp_path /tmp/pt; fastcgi_temp_path /tmp/ft;
    uwsgi_temp_path /tmp/ut; scgi_temp_path /tmp/st;
    server { listen 8080; listen [::]:8080; root $T/ng/html; }
}
EOF
net_bg nginx --ip $SIP/24 -p 127.0.0.1:$PORT:8080 -- nginx -c "$T/ng/nginx.conf"
NG=$LAST
if wait_tcp $SIP 8080 120; then
	pass nginx_listens
	expect nginx_index_via_published_port "hello from nginx in moat" "$(curl -sf http://127.0.0.1:$PORT/index.html)"
	bad=0
	for i in $(seq 20); do
		a=$(curl -sf http://$SIP:8080/f$i.bin | sha256sum | cut -d' ' -f1)
		b=$(sha256sum <"$T/ng/html/f$i.bin" | cut -d' ' -f1)
		[ "$a" = "$b" ] || bad=$((bad + 1))
	done
	expect nginx_20_files_sha256 0 "$bad"
	expect nginx_404 404 "$(curl -s -o /dev/null -w '%{http_code}' http://$SIP:8080/nope)"
	if command -v wrk >/dev/null; then
		wrk -t2 -c50 -d3s http://$SIP:8080/index.html >"$T/wrk" 2>&1
		n=$(awk '/requests in/ { print $1 }' "$T/wrk")
		if [ "${n:-0}" -gt 100 ] && ! grep -qE "Socket errors|Non-2xx" "$T/wrk"; then
			pass "nginx_wrk_50conns_no_errors ($n requests)"
		else
			fail nginx_wrk_50conns_no_errors "$(tr '\n' ' ' <"$T/wrk")"
		fi
	fi
	if command -v ab >/dev/null; then
		ab -q -n 2000 -c 20 http://$SIP:8080/f5.bin >"$T/ab" 2>&1
		if grep -q "^Failed requests: *0" "$T/ab" && grep -q "^Complete requests: *2000" "$T/ab" &&
			! grep -q "Non-2xx" "$T/ab"; then
			pass nginx_ab_2000_requests_no_failures
		else
			fail nginx_ab_2000_requests_no_failures "$(grep -E 'requests|Non-2xx' "$T/ab" | tr '\n' ' ')"
		fi
	fi
else
	fail nginx_listens "$(tail -3 "$T/nginx.log")"
fi
net_stop $NG

# --- iperf3 ---
iperf_ok() { # LOGFILE: a completed run without errors
	grep -q "iperf Done" "$1" && ! grep -q "error" "$1"
}
net_bg iperf_srv --ip $SIP/24 -- iperf3 -s
IS=$LAST
if wait_tcp $SIP 5201 120; then
	sleep 0.5
	iperf3 -c $SIP -t "$IPERF_S" >"$T/i1" 2>&1
	iperf_ok "$T/i1" && pass "iperf3_host_to_sandbox_${IPERF_S}s ($(awk '/receiver/ { print $7, $8 }' "$T/i1"))" ||
		fail iperf3_host_to_sandbox "$(tail -3 "$T/i1" | tr '\n' ' ')"
	iperf3 -c $SIP -t "$IPERF_S" -R >"$T/i2" 2>&1
	iperf_ok "$T/i2" && pass "iperf3_sandbox_to_host_${IPERF_S}s ($(awk '/receiver/ { print $7, $8 }' "$T/i2"))" ||
		fail iperf3_sandbox_to_host "$(tail -3 "$T/i2" | tr '\n' ' ')"
else
	fail iperf3_server_listens "$(tail -3 "$T/iperf_srv.log")"
fi
net_stop $IS
# the reverse: server on the host side's address, client in the sandbox
IPORT=$((PORT + 1))
iperf3 -s -p $IPORT -1 >"$T/i3s" 2>&1 &
HS=$!
sb_bg $HS
"$MOAT" do --ip $SIP/24 -- sh -c "for i in \$(seq 50); do iperf3 -c $HIP -p $IPORT -t $IPERF_S && exit 0; sleep 0.1; done; exit 1" \
	>"$T/i3" 2>&1
iperf_ok "$T/i3" && pass "iperf3_client_in_sandbox_${IPERF_S}s ($(awk '/receiver/ { print $7, $8 }' "$T/i3"))" ||
	fail iperf3_client_in_sandbox "$(tail -3 "$T/i3" | tr '\n' ' ')"
kill $HS 2>/dev/null
wait $HS 2>/dev/null
