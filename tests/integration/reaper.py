#!/usr/bin/python3
"""reaper.py CMD [ARGS...]: run CMD as a child subreaper and report orphans.

Every process that CMD's descendants leave behind is re-parented to us
(PR_SET_CHILD_SUBREAPER) instead of to the machine's init, so a test can see
what a runtime leaks.  While CMD runs, adopted processes that exit are
reaped and reported as "exited PID COMM"; when CMD is done, the adopted
processes still alive are reported as "alive PID COMM", killed and reaped.
Exits with CMD's exit status (128+signal when killed)."""
import ctypes
import os
import signal
import sys

PR_SET_CHILD_SUBREAPER = 36


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def children():
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The comm field may hold spaces: the ppid follows the last ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me:
            out.append((int(d), fields[0]))
    return out


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("prctl(PR_SET_CHILD_SUBREAPER) failed", file=sys.stderr)
        return 2
    child = os.fork()
    if child == 0:
        os.execvp(sys.argv[1], sys.argv[1:])
    status = None
    while status is None:
        info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)
        pid = info.si_pid
        name = comm(pid)
        _, st = os.waitpid(pid, 0)
        if pid == child:
            status = os.waitstatus_to_exitcode(st)
        else:
            print(f"exited {pid} {name}", flush=True)
    for pid, state in children():
        what = "exited" if state == "Z" else "alive"
        print(f"{what} {pid} {comm(pid)}", flush=True)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main())
