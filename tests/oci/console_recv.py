#!/usr/bin/env python3
"""The receiving end of an OCI --console-socket, as containerd's shim is:
listens on SOCKET, takes the pty master the runtime sends (SCM_RIGHTS),
optionally types INPUT into it, and copies what the container writes to
stdout until the container closes its side (or TIMEOUT seconds pass).

usage: console_recv.py SOCKET [INPUT] [TIMEOUT]
Prints READY on stderr once it listens."""
import os, select, socket, sys, time

path = sys.argv[1]
typed = sys.argv[2].encode() if len(sys.argv) > 2 else b""
timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
print("READY", file=sys.stderr, flush=True)
s.settimeout(timeout)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
if not fds:
    print("no descriptor received", file=sys.stderr)
    sys.exit(2)
m = fds[0]
if typed:
    os.write(m, typed)
end = time.monotonic() + timeout
out = b""
while time.monotonic() < end:
    r, _, _ = select.select([m], [], [], 0.5)
    if not r:
        continue
    try:
        d = os.read(m, 4096)
    except OSError:
        break  # EIO: the container's side is closed
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace"))
