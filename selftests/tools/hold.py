#!/usr/bin/env python3
"""hold.py PORT SECONDS: accept one TCP connection and never read it, so
the receive buffers of what arrives stay taken (a stalled application).
How much it holds is the netns's tcp_rmem default (the socket's rcvbuf)."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
deadline = time.time() + float(sys.argv[2])
s.settimeout(float(sys.argv[2]))
try:
    conn, _ = s.accept()
    time.sleep(max(0.0, deadline - time.time()))
except socket.timeout:
    pass
