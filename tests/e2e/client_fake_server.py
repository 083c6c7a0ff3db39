#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""client_fake_server.py - a server that cannot prove its identity, for sspix-client's tests.

It speaks just enough of the Microsoft sample framing to look like a server: it
accepts, reads the client's first handshake frame (u32 LE length + token), and
then never produces an AP-REP. Behaviours (--behaviour):

  garbage   answer with a well-framed token of random bytes
  greeting  answer with a made-up "greeting" in the sample's protected-message
            layout (u32 LE trailer length | trailer | text), no frame, then close
  close     close the connection without answering
  silent    keep the connection open and say nothing

It listens on 127.0.0.1 (port 0 by default: the kernel picks), writes its PID to
--pid-file, prints "client_fake_server: listening on 127.0.0.1:PORT" once ready,
and serves connections one after another until it gets SIGTERM.
"""

import argparse
import os
import signal
import socket
import struct
import sys

MAX_TOKEN = 65536


def read_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def read_frame(conn):
    hdr = read_exact(conn, 4)
    if hdr is None:
        return None
    (length,) = struct.unpack("<I", hdr)
    if length > MAX_TOKEN:  # bounded, unlike the sample
        return None
    return read_exact(conn, length)


def serve(conn, behaviour):
    token = read_frame(conn)
    if token is None:
        return
    if behaviour == "garbage":
        junk = os.urandom(64)
        conn.sendall(struct.pack("<I", len(junk)) + junk)
        # Wait for the client to give up.
        conn.settimeout(30)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
    elif behaviour == "greeting":
        trailer = os.urandom(60)
        text = "Hello alice — you are talking to host/localhost over Kerberos".encode()
        conn.sendall(struct.pack("<I", len(trailer)) + trailer + text)
    elif behaviour == "close":
        pass
    elif behaviour == "silent":
        conn.settimeout(60)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--behaviour", choices=["garbage", "greeting", "close", "silent"], required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    if args.pid_file:
        with open(args.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    print("client_fake_server: listening on 127.0.0.1:%d" % srv.getsockname()[1], flush=True)
    while True:
        conn, _ = srv.accept()
        with conn:
            try:
                serve(conn, args.behaviour)
            except OSError:
                pass


if __name__ == "__main__":
    main()
