#!/usr/bin/env python3
"""Type into a program on a pseudo-terminal, as a person would, and keep
what the terminal shows.

    pty_type.py OUTFILE CMD < SCRIPT

CMD runs under /bin/sh -c as the session leader of a new terminal. Each
line of SCRIPT is one step:

    ^C, ^Z       the control key
    ?REGEX       wait (at most 20 s) until what the terminal showed since
                 the previous wait matches REGEX (multi-line; carriage
                 returns and escape sequences removed first)
    ~SECONDS     pause
    TEXT         type TEXT and Return

Waiting for output, not for the clock, is what keeps the suite steady on
a slow or loaded machine: a ^C typed before the foreground job has
started lands on the shell instead. A wait that times out is written into
OUTFILE ("pty_type: no REGEX") and the steps go on. At the end the program
gets 30 s to exit; the exit status is its own (128 + signal if killed), as
with script -e.
"""
import os
import pty
import re
import select
import signal
import sys
import time

ESC = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]|\r")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pty_type.py OUTFILE CMD < SCRIPT")
    outfile, cmd = sys.argv[1], sys.argv[2]
    steps = sys.stdin.read().splitlines()
    pid, fd = pty.fork()
    if pid == 0:
        os.execv("/bin/sh", ["sh", "-c", cmd])
    shown = bytearray()
    mark = 0  # where the next wait starts looking
    eof = False

    def pump(seconds):
        """Read what the terminal shows for up to SECONDS."""
        nonlocal eof
        end = time.monotonic() + seconds
        while not eof:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                return
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the last slave descriptor closed
                data = b""
            if not data:
                eof = True
                return
            shown.extend(data)

    def wait_for(pattern):
        nonlocal mark
        rx = re.compile(pattern.encode(), re.M)
        end = time.monotonic() + 20
        while True:
            m = rx.search(ESC.sub(b"", bytes(shown[mark:])))
            if m:
                mark = len(shown)
                return
            if eof or time.monotonic() >= end:
                shown.extend(b"\npty_type: no " + pattern.encode() + b"\n")
                mark = len(shown)
                return
            pump(0.1)

    pump(0.5)
    for step in steps:
        if step.startswith("?"):
            wait_for(step[1:])
            continue
        if step.startswith("~"):
            pump(float(step[1:]))
            continue
        keys = {"^C": b"\x03", "^Z": b"\x1a"}.get(step, step.encode() + b"\r")
        try:
            os.write(fd, keys)
        except OSError:  # the program has gone: the rest is not typed
            break
        pump(0.3)
    end = time.monotonic() + 30
    while not eof and time.monotonic() < end:
        pump(end - time.monotonic())
    if not eof:
        shown.extend(b"\npty_type: still running after 30 s, killed\n")
        os.kill(pid, signal.SIGKILL)
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    with open(outfile, "wb") as f:
        f.write(shown)
    if os.WIFSIGNALED(st):
        return 128 + os.WTERMSIG(st)
    return os.WEXITSTATUS(st)


if __name__ == "__main__":
    sys.exit(main())
