#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""client_test.py - end-to-end tests of sspix-client against a real sspix-server
(or, for the refusal cases, tests/e2e/client_fake_server.py) and the throwaway KDC.

Run under the realm's environment (ctest's sspix_realm_test does that):

    client_test.py --client BIN [--server BIN] CASE [ARG...]

Each case starts its server on a free 127.0.0.1 port, waits until it says
"listening on", runs the client, asserts exit codes and output, and stops the
server by its PID. Nothing here asserts on speed.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REALM = os.environ.get("SSPIX_REALM", "")
START_TIMEOUT = 15.0
CLIENT_TIMEOUT = 120.0

failures = []


def check(cond, what, proc=None):
    if cond:
        print("ok: %s" % what, flush=True)
        return
    print("FAIL: %s" % what, flush=True)
    if proc is not None:
        print("  exit code: %s" % proc.returncode)
        print("  stdout:\n    " + proc.stdout.replace("\n", "\n    "))
        print("  stderr:\n    " + proc.stderr.replace("\n", "\n    "))
    failures.append(what)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server process started on a free port, stopped by its PID."""

    def __init__(self, argv_for_port, name, tmp):
        self.name = name
        self.tmp = tmp
        self.proc = None
        self.port = None
        self.lines = []
        self.ready = threading.Event()
        for _ in range(5):  # a port taken between free_port() and bind(): retry
            port = free_port()
            self.pid_file = os.path.join(tmp, "%s.pid" % name)
            argv = argv_for_port(port, self.pid_file)
            self.lines = []
            self.ready.clear()
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                         errors="replace")
            threading.Thread(target=self._reader, args=(self.proc,), daemon=True).start()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None and not self.ready.is_set():
                self.ready.wait(0.05)
            if self.ready.is_set():
                self.port = port
                return
            self.stop()
        raise RuntimeError("%s did not start:\n%s" % (name, "".join(self.lines)))

    def _reader(self, proc):
        for line in proc.stdout:
            self.lines.append(line)
            if "listening on" in line:
                self.ready.set()

    def log(self):
        return "".join(self.lines)

    def fd_count(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.proc.pid))
        except OSError:
            return -1

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # by its PID, nothing broader
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def sspix_server(args, extra, name, tmp):
    def argv(port, pid_file):
        return [args.server, "--port", str(port), "--bind", "127.0.0.1", "--pid-file", pid_file] + extra

    return Server(argv, name, tmp)


def fake_server(behaviour, tmp):
    def argv(port, pid_file):
        return [sys.executable, os.path.join(HERE, "client_fake_server.py"), "--behaviour", behaviour, "--port",
                str(port), "--pid-file", pid_file]

    return Server(argv, "fake-" + behaviour, tmp)


def client(args, port, *extra, stdin=None):
    argv = [args.client, "localhost", "--port", str(port)] + list(extra)
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, errors="replace",
                          timeout=CLIENT_TIMEOUT)


def greeting(client_name):
    return "Hello %s@%s — you are talking to host/localhost@%s over Kerberos" % (client_name, REALM, REALM)


# ---- cases -----------------------------------------------------------------------------------------------------


def case_greet(args, tmp, package):
    srv = sspix_server(args, ["--package", package], "greet", tmp)
    try:
        p = client(args, srv.port, "--package", package)
        check(p.returncode == 0, "greet %s: exit 0" % package, p)
        check(("greeting:   " + greeting("alice")) in p.stdout, "greet %s: the greeting names alice, the SPN and "
              "Kerberos" % package, p)
        expected = "Kerberos\n" if package == "Kerberos" else "Kerberos (negotiated by %s)\n" % package
        check("package:    " + expected in p.stdout, "greet %s: negotiated package Kerberos" % package, p)
        check("client:     alice@%s\n" % REALM in p.stdout, "greet %s: client name" % package, p)
        check("server:     host/localhost@%s\n" % REALM in p.stdout, "greet %s: server name" % package, p)
        check("mutual:     yes" in p.stdout and "MUTUAL_AUTH" in p.stdout, "greet %s: mutual authentication" % package,
              p)
        check("CONFIDENTIALITY" in p.stdout and "INTEGRITY" in p.stdout, "greet %s: flags decoded" % package, p)
        q = client(args, srv.port, "--package", package, "--quiet")
        check(q.returncode == 0 and q.stdout == greeting("alice") + "\n", "greet %s --quiet: only the greeting"
              % package, q)
    finally:
        srv.stop()


def case_password(args, tmp):
    pw_file = os.path.join(tmp, "bob.password")
    with open(pw_file, "w") as f:
        f.write(os.environ["SSPIX_BOB_PASSWORD"] + "\n")
    os.chmod(pw_file, 0o600)
    srv = sspix_server(args, [], "password", tmp)
    try:
        p = client(args, srv.port, "--user", "bob", "--domain", REALM, "--password-file", pw_file)
        check(p.returncode == 0, "password: exit 0", p)
        check(greeting("bob") in p.stdout, "password: the greeting names bob", p)
        check("warning" not in p.stderr, "password: no warning for a 0600 file", p)
        os.chmod(pw_file, 0o644)
        p = client(args, srv.port, "--user", "bob", "--domain", REALM, "--password-file", pw_file, "--quiet")
        check(p.returncode == 0 and greeting("bob") in p.stdout, "password: a world-readable file still works", p)
        check("readable by everyone" in p.stderr, "password: a world-readable file is warned about", p)
        with open(pw_file, "w") as f:
            f.write("not-bobs-password\n")
        os.chmod(pw_file, 0o600)
        p = client(args, srv.port, "--user", "bob", "--domain", REALM, "--password-file", pw_file)
        check(p.returncode == 3 and "SEC_E_" in p.stderr, "password: a wrong password is exit 3 with a SEC_E_ "
              "status", p)
    finally:
        srv.stop()


def case_echo(args, tmp, package):
    srv = sspix_server(args, ["--package", package, "--mode", "echo"], "echo", tmp)
    try:
        for size in (0, 1, 65536):
            p = client(args, srv.port, "--package", package, "--mode", "echo", "--size", str(size), "--count", "2")
            check(p.returncode == 0 and ("echo:       2 message(s), %d bytes, every echo verified" % (2 * size))
                  in p.stdout, "echo %s: %d-byte messages" % (package, size), p)
        # Over the limit, refused by the client before anything is sent.
        p = client(args, srv.port, "--package", package, "--mode", "echo", "--size", "65537")
        check(p.returncode == 5 and "65537 bytes, over the limit of 65536 bytes (--max-message); not sent"
              in p.stderr, "echo %s: 65537 bytes refused by the client (exit 5)" % package, p)
        # Over the server's limit: the client allows it, the server closes instead of echoing.
        p = client(args, srv.port, "--package", package, "--mode", "echo", "--size", "65537", "--max-message",
                   "131072")
        check(p.returncode == 5 and "instead of echoing message 1 (65537 bytes)" in p.stderr,
              "echo %s: 65537 bytes refused by the server (exit 5, says so)" % package, p)
        # The server is still fine.
        p = client(args, srv.port, "--package", package, "--mode", "echo", "--message", "still here", "--quiet")
        check(p.returncode == 0 and p.stdout == "still here\n", "echo %s: a good client after that" % package, p)
    finally:
        srv.stop()


def case_echo_stdin(args, tmp):
    srv = sspix_server(args, ["--mode", "echo"], "echo-stdin", tmp)
    try:
        lines = "first line\n\nwörld — ünïcode\nlast"
        p = client(args, srv.port, "--mode", "echo", stdin=lines)
        check(p.returncode == 0, "echo stdin: exit 0", p)
        check("first line\n\nwörld — ünïcode\nlast\n" in p.stdout, "echo stdin: every line echoed in order", p)
        n = len("first line") + len("wörld — ünïcode".encode()) + len("last")
        check("echo:       4 message(s), %d bytes, every echo verified" % n in p.stdout, "echo stdin: summary", p)
        p = client(args, srv.port, "--mode", "echo", "--quiet", stdin="")
        check(p.returncode == 0 and p.stdout == "", "echo stdin: empty input is an empty session", p)
    finally:
        srv.stop()


def case_load(args, tmp, n):
    srv = sspix_server(args, [], "load", tmp)
    try:
        # One connection first: the server's worker threads and libraries settle their descriptors.
        client(args, srv.port, "--quiet")
        fds_before = srv.fd_count()
        p = client(args, srv.port, "--connections", str(n), "--parallel", str(n))
        check(p.returncode == 0, "load: %d parallel clients, exit 0" % n, p)
        check("result:     %d ok, 0 failed" % n in p.stdout, "load: summary says %d ok" % n, p)
        check("connect -> authenticated:" in p.stdout and "p99" in p.stdout, "load: latency percentiles", p)
        # The server is back to its idle descriptors once the connections are gone.
        deadline = time.monotonic() + 10
        while srv.fd_count() != fds_before and time.monotonic() < deadline:
            time.sleep(0.1)
        check(srv.fd_count() == fds_before, "load: the server's fd count is back to %d" % fds_before)
        p = client(args, srv.port, "--mode", "greet", "--connections", "40", "--parallel", "8", "--quiet")
        check(p.returncode == 0 and "40 ok, 0 failed" in p.stdout, "load: a second run, P < N", p)
    finally:
        srv.stop()


def case_load_echo(args, tmp):
    srv = sspix_server(args, ["--mode", "echo"], "load-echo", tmp)
    try:
        p = client(args, srv.port, "--mode", "echo", "--size", "1000", "--count", "3", "--connections", "50",
                   "--parallel", "25")
        check(p.returncode == 0 and "50 ok, 0 failed" in p.stdout, "load echo: 50 sessions of 3 messages", p)
        check("connect -> echo session done:" in p.stdout, "load echo: session latency", p)
    finally:
        srv.stop()


def case_load_failures(args, tmp):
    port = free_port()  # nobody listens there
    p = client(args, port, "--connections", "20", "--parallel", "5")
    check(p.returncode == 6, "load failures: exit 6", p)
    check("0 ok, 20 failed" in p.stdout and "connect: Connection refused (exit 2)" in p.stdout,
          "load failures: counted by reason", p)


def case_fake(args, tmp, behaviour):
    srv = fake_server(behaviour, tmp)
    try:
        p = client(args, srv.port, "--timeout", "10")
        check(p.returncode == 4, "fake server (%s): exit 4" % behaviour, p)
        check("server did not prove its identity" in p.stderr, "fake server (%s): says the server did not prove its "
              "identity" % behaviour, p)
        check("greeting:" not in p.stdout and "Hello" not in p.stdout, "fake server (%s): no greeting printed"
              % behaviour, p)
    finally:
        srv.stop()


def case_timeout(args, tmp):
    srv = fake_server("silent", tmp)
    try:
        p = client(args, srv.port, "--timeout", "1")
        check(p.returncode == 2 and "no answer from the server within 1 s during the handshake" in p.stderr,
              "timeout: a silent server is exit 2 after --timeout", p)
    finally:
        srv.stop()


def case_wrong_key(args, tmp):
    srv = sspix_server(args, ["--keytab", os.environ["SSPIX_WRONG_KEYTAB"]], "wrong-key", tmp)
    try:
        p = client(args, srv.port)
        check(p.returncode == 4, "wrong key: exit 4", p)
        check("server did not prove its identity" in p.stderr and
              "closed the connection during the handshake" in p.stderr,
              "wrong key: says the server closed the connection during the handshake", p)
        check("Hello" not in p.stdout, "wrong key: no greeting", p)
    finally:
        srv.stop()


def case_no_mutual(args, tmp):
    # Both ends opt out: the context completes without mutual authentication and the client says so.
    srv = sspix_server(args, ["--allow-no-mutual"], "no-mutual", tmp)
    try:
        p = client(args, srv.port, "--allow-no-mutual", "--package", "Kerberos")
        check(p.returncode == 0 and "mutual:     no" in p.stdout and greeting("alice") in p.stdout,
              "no mutual: --allow-no-mutual on both ends works and is shown", p)
    finally:
        srv.stop()


def case_usage(args, tmp):
    for argv, what in ((["--mode", "chat"], "bad --mode"), (["--port", "70000"], "bad --port"),
                       (["--size", "10"], "--size without echo"), (["--bogus"], "unknown option")):
        p = client(args, 1, *argv)
        check(p.returncode == 1 and "sspix-client:" in p.stderr, "usage: %s is exit 1" % what, p)
    p = subprocess.run([args.client, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "Usage:" in p.stdout, "usage: --help", p)
    p = subprocess.run([args.client, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("sspix-client ") and "(libsspix " in p.stdout, "usage: --version",
          p)
    port = free_port()
    p = client(args, port)
    check(p.returncode == 2 and "Connection refused" in p.stderr, "connection refused is exit 2", p)


CASES = {
    "greet": lambda a, t: case_greet(a, t, a.arg or "Negotiate"),
    "password": case_password,
    "echo": lambda a, t: case_echo(a, t, a.arg or "Negotiate"),
    "echo-stdin": case_echo_stdin,
    "load": lambda a, t: case_load(a, t, int(a.arg or "300")),
    "load-echo": case_load_echo,
    "load-failures": case_load_failures,
    "fake": lambda a, t: case_fake(a, t, a.arg),
    "timeout": case_timeout,
    "wrong-key": case_wrong_key,
    "no-mutual": case_no_mutual,
    "usage": case_usage,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", required=True)
    ap.add_argument("--server")
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("arg", nargs="?")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sspix-client-e2e-") as tmp:
        CASES[args.case](args, tmp)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
