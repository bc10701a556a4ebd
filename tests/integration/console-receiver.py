#!/usr/bin/python3
"""console-receiver.py SOCKET OUTFILE: the --console-socket end.

Listens on the unix socket SOCKET, receives the pty master the runtime sends
(SCM_RIGHTS), and copies everything read from it to OUTFILE until the
container side closes (EIO)."""
import os
import socket
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    # Tell the test the socket is ready.
    open(out + ".ready", "w").close()
    conn, _ = srv.accept()
    _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
    conn.close()
    srv.close()
    if not fds:
        print("no fd received", file=sys.stderr)
        return 1
    master = fds[0]
    with open(out, "wb", buffering=0) as f:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
