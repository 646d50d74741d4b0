#!/usr/bin/env python3
"""hold.py PORT SECONDS: accept one TCP connection and never read it, so
the receive buffers of what arrives stay taken (a stalled application)."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
deadline = time.time() + float(sys.argv[2])
s.settimeout(float(sys.argv[2]))
try:
    conn, _ = s.accept()
    time.sleep(max(0.0, deadline - time.time()))
except socket.timeout:
    pass
