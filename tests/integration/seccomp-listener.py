#!/usr/bin/env python3
"""A seccomp notify agent for the tests (runtime-spec "listenerPath").

usage: seccomp-listener.py SOCKET OUT ERRNO

Listens on the unix socket SOCKET, accepts one connection from the runtime,
receives the container process state (JSON) and the notify fd (SCM_RIGHTS),
writes the state to OUT.state, then answers every notification with -ERRNO
(so the container sees that errno only if the agent answered) and appends
"nr=N pid=P" to OUT.log, until the filter has no more users (POLLHUP).
OUT.ready appears once the socket listens.
"""
import fcntl
import json
import select
import socket
import struct
import sys

# _IOWR('!', 0, struct seccomp_notif) and _IOWR('!', 1, struct
# seccomp_notif_resp), <linux/seccomp.h>.
IOC_WRITE, IOC_READ = 1, 2


def iowr(nr, size):
    return ((IOC_READ | IOC_WRITE) << 30) | (size << 16) | (ord("!") << 8) | nr


# struct seccomp_notif { u64 id; u32 pid; u32 flags;
#   struct seccomp_data { s32 nr; u32 arch; u64 ip; u64 args[6]; } }
NOTIF = struct.Struct("=QIIiIQ6Q")
# struct seccomp_notif_resp { u64 id; s64 val; s32 error; u32 flags; }
RESP = struct.Struct("=QqiI")
NOTIF_RECV = iowr(0, NOTIF.size)
NOTIF_SEND = iowr(1, RESP.size)
assert NOTIF.size == 80 and RESP.size == 24
assert NOTIF_RECV == 0xC0502100 and NOTIF_SEND == 0xC0182101


def main():
    path, out, err = sys.argv[1], sys.argv[2], int(sys.argv[3])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(60)
    open(out + ".ready", "w").close()
    conn, _ = srv.accept()
    conn.settimeout(10)
    msg, fds, _, _ = socket.recv_fds(conn, 1 << 16, 4)
    while True:
        more = conn.recv(1 << 16)
        if not more:
            break
        msg += more
    conn.close()
    state = json.loads(msg)
    state["_nfds"] = len(fds)
    with open(out + ".state", "w") as f:
        json.dump(state, f)
    if len(fds) != 1:
        sys.exit("expected one fd, got %d" % len(fds))
    fd = fds[0]
    poll = select.poll()
    poll.register(fd, select.POLLIN)
    log = open(out + ".log", "a", buffering=1)
    while True:
        ev = poll.poll(60000)
        if not ev:
            sys.exit("no notification in 60 s")
        _, mask = ev[0]
        if mask & select.POLLIN:
            buf = bytearray(NOTIF.size)
            try:
                fcntl.ioctl(fd, NOTIF_RECV, buf)
            except OSError:
                continue  # the process went away in between
            nid, pid, _, nr, _, _, *_ = NOTIF.unpack(buf)
            log.write("nr=%d pid=%d\n" % (nr, pid))
            resp = bytearray(RESP.pack(nid, 0, -err, 0))
            try:
                fcntl.ioctl(fd, NOTIF_SEND, resp)
            except OSError:
                pass
        elif mask & (select.POLLHUP | select.POLLERR):
            break
    log.close()


if __name__ == "__main__":
    main()
