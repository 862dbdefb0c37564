#!/usr/bin/env python3
"""Times ROUNDS 1-byte round trips, one at a time, against rr_echo.py.
Connects within 30 s. Prints: count p50 p99 p99.9 max (milliseconds).
usage: rr_client.py HOST PORT ROUNDS"""
import socket, sys, time
host, port, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
end = time.monotonic() + 30
while True:
    try:
        s = socket.create_connection((host, port), timeout=30)
        break
    except OSError:
        if time.monotonic() > end:
            raise
        time.sleep(0.1)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
for _ in range(rounds):
    t = time.monotonic()
    s.sendall(b"x")
    if s.recv(1) != b"x":
        sys.exit("bad echo")
    lat.append((time.monotonic() - t) * 1000)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print("%d %.3f %.3f %.3f %.3f" % (len(lat), q(0.5), q(0.99), q(0.999), lat[-1]))
