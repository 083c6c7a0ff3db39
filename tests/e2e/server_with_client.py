#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server_with_client - sspix-server driven by the project's sspix-client.

    server_with_client.py SERVER_BINARY CLIENT_BINARY

Greet with both packages, echo, and a small load run (--connections/--parallel),
against a real sspix-server on a free 127.0.0.1 port. Standard library only.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_server import Failure, Server, check  # noqa: E402


def client(binary, port, *args):
    p = subprocess.run([binary, "127.0.0.1", "--port", str(port), "--spn", "host/localhost"] + list(args),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def main():
    server_bin, client_bin = sys.argv[1], sys.argv[2]
    try:
        with Server(server_bin, "--threads", "2") as s:
            for pkg in ("Negotiate", "Kerberos"):
                rc, out = client(client_bin, s.port, "--package", pkg)
                check(rc == 0 and "Hello alice@" in out and "over Kerberos" in out, "greet %s: %d %s" % (pkg, rc, out))
            rc, out = client(client_bin, s.port, "--connections", "500", "--parallel", "100", "--quiet")
            check(rc == 0, "load run: %d %s" % (rc, out))
            print(out.strip())
            print("server RSS %d KiB" % s.rss_kib())
        with Server(server_bin, "--threads", "2", "--mode", "echo") as s:
            rc, out = client(client_bin, s.port, "--mode", "echo", "--size", "65536", "--count", "3")
            check(rc == 0, "echo: %d %s" % (rc, out))
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
