#!/usr/bin/env python3
"""A TCP stream of known content, checked byte for byte at the receiver.

  stream.py recv PORT            accept one connection, print "BYTES ok|bad"
  stream.py send HOST PORT BYTES send BYTES of the pattern, print BYTES

The pattern is (offset % 251): a prime period, so misplaced or repeated
chunks of any power-of-two size show up as mismatches.
"""
import socket
import sys
import time

PERIOD = 251
CHUNK = 1 << 16
PATTERN = bytes(i % PERIOD for i in range(PERIOD + CHUNK))


def expected(off, n):
    start = off % PERIOD
    return PATTERN[start:start + n]


def recv(port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(1)
    conn, _ = srv.accept()
    total, good = 0, True
    while True:
        data = conn.recv(CHUNK)
        if not data:
            break
        if good and data != expected(total, len(data)):
            good = False
        total += len(data)
    print(total, "ok" if good else "bad", flush=True)


def send(host, port, nbytes):
    for _ in range(100):  # the receiver may still be starting
        try:
            conn = socket.create_connection((host, port), timeout=120)
            break
        except ConnectionRefusedError:
            time.sleep(0.1)
    else:
        sys.exit("stream.py: %s:%d refused" % (host, port))
    off = 0
    while off < nbytes:
        n = min(CHUNK, nbytes - off)
        conn.sendall(expected(off, n))
        off += n
    conn.shutdown(socket.SHUT_WR)
    conn.recv(1)
    conn.close()
    print(off, flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "recv":
        recv(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)
