#!/bin/bash
# python3 inside moat do: threads (10 threads x 10,000 iterations of a
# lock-protected counter), subprocess with pipes, os.fork, signal handlers,
# plus the modules that lean on the kernel (multiprocessing, selectors,
# socketpair, tempfile, mmap).
cd "$(dirname "$0")/../.." || exit 1
. tests/sandbox/lib.sh

PY=/usr/bin/python3
[ -x $PY ] || { fail python_missing "$PY"; exit 0; }
T=$(tmpd) || exit 1

run() { # NAME WANT SCRIPT
	local got
	got=$(timeout 120 $MOAT do $PY -c "$3" 2>&1)
	expect "$1" "$2" "$got"
}

run threads "100000" '
import threading
n = 0
lock = threading.Lock()
def work():
    global n
    for _ in range(10000):
        with lock:
            n += 1
ts = [threading.Thread(target=work) for _ in range(10)]
for t in ts: t.start()
for t in ts: t.join()
print(n)'

run subprocess_pipes "7 out err 200000" '
import subprocess
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 7"], capture_output=True, text=True)
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"x" * 200000)
print(r.returncode, r.stdout.strip(), r.stderr.strip(), len(out))'

run fork "5 child-ran" '
import os
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, b"child-ran")
    os._exit(5)
os.close(w)
data = os.read(r, 100).decode()
_, st = os.waitpid(pid, 0)
print(os.WEXITSTATUS(st), data)'

run signals "[10, 14] -15 interrupted" '
import os, signal, subprocess, time
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
signal.signal(signal.SIGALRM, lambda s, f: got.append(s))
signal.setitimer(signal.ITIMER_REAL, 0.05)
time.sleep(0.3)
p = subprocess.Popen(["sleep", "10"])
p.send_signal(signal.SIGTERM)
def boom(s, f): raise KeyboardInterrupt
signal.signal(signal.SIGALRM, boom)
signal.setitimer(signal.ITIMER_REAL, 0.1)
try:
    os.read(os.pipe()[0], 1)
    r = "not interrupted"
except KeyboardInterrupt:
    r = "interrupted"
print(got, p.wait(), r)'

run multiprocessing "[0, 1, 4, 9, 16]" '
import multiprocessing as mp
if __name__ == "__main__":
    with mp.Pool(2) as pool:
        print(pool.map(abs, [0, 1, 4, 9, 16]))'

run selectors_socketpair "b'ping' b'pong'" '
import selectors, socket
a, b = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(b, selectors.EVENT_READ)
a.sendall(b"ping")
ev = sel.select(timeout=2)
x = b.recv(10)
b.sendall(b"pong")
print(x, a.recv(10))'

run tempfile_mmap "b'hello mmap'" '
import mmap, tempfile
with tempfile.TemporaryFile() as f:
    f.write(b"hello mmap"); f.flush()
    m = mmap.mmap(f.fileno(), 0)
    print(m[:10])'

run threads_and_fork "ok 8" '
import os, threading, concurrent.futures as cf
with cf.ThreadPoolExecutor(4) as ex:
    rs = list(ex.map(lambda i: i * 2, range(5)))
pid = os.fork()
if pid == 0:
    os._exit(8)
print("ok", os.WEXITSTATUS(os.waitpid(pid, 0)[1]))'

run pass_fds "True" '
# close_fds with pass_fds: the child lists /proc/self/fd while closing
# what it reads (positions there must survive closes)
import os, subprocess, sys
fds = []
for _ in range(5):
    r, w = os.pipe()
    os.set_inheritable(r, True); os.set_inheritable(w, True)
    fds += [r, w]
chk = "import os, sys\nfor fd in map(int, sys.argv[1:]):\n try: os.fstat(fd); print(fd)\n except OSError: pass"
out = subprocess.run([sys.executable, "-c", chk] + [str(fd) for fd in fds],
                     pass_fds=(fds[0],), capture_output=True, text=True).stdout
print([int(x) for x in out.split()] == [fds[0]])'

run priority "0 3 19 ESRCH" '
import os, errno
a = os.getpriority(os.PRIO_PROCESS, 0)
os.setpriority(os.PRIO_PROCESS, 0, 3)
pid = os.fork()
if pid == 0:
    os.nice(100)
    os._exit(os.getpriority(os.PRIO_PROCESS, 0))
b = os.getpriority(os.PRIO_PROCESS, 0)
c = os.WEXITSTATUS(os.waitpid(pid, 0)[1])
try:
    os.getpriority(os.PRIO_PROCESS, 99999); e = "found"
except OSError as x:
    e = errno.errorcode[x.errno]
print(a, b, c, e)'

run killed_in_poll "EPIPE" '
# a process killed while it waits in select() must let go of the pipe
import os, select, signal, time
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(w)
    select.select([r], [], [])
    os._exit(0)
os.close(r)
time.sleep(0.2)
os.kill(pid, signal.SIGKILL)
os.waitpid(pid, 0)
try:
    os.write(w, b"x"); print("write ok: the dead reader is still counted")
except BrokenPipeError:
    print("EPIPE")'

expect no_leftover_processes 0 "$(sandbox_leftovers)"
