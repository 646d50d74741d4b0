#!/usr/bin/env python3
"""hold.py PORT SECONDS [RCVBUF]: accept one TCP connection and never read
it, so the receive buffers of what arrives stay taken (a stalled
application).  It holds up to RCVBUF bytes (capped by net.core.rmem_max),
or the netns's tcp_rmem default without it."""
import socket
import sys
import time

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
if len(sys.argv) > 3:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, int(sys.argv[3]))
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1)
deadline = time.time() + float(sys.argv[2])
s.settimeout(float(sys.argv[2]))
try:
    conn, _ = s.accept()
    time.sleep(max(0.0, deadline - time.time()))
except socket.timeout:
    pass
