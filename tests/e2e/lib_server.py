# SPDX-License-Identifier: MIT
"""lib_server - start, watch and stop a real sspix-server for the e2e tests.

Standard library only (run with /usr/bin/python3). Everything started here is
stopped by its recorded PID. Network: 127.0.0.1 only.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

# Generous: the tests run on loaded 2-core machines; nothing asserts on speed.
START_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
SETTLE_TIMEOUT = 15.0


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


def free_port():
    """A port that was free a moment ago (the server retries on collision)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_log(path):
    """A process's log so far ("" before the process has created it)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


# A server log line on stderr: "2026-01-31T12:00:00.123Z sspix-server: warning: text".
LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) sspix-server: "
                      r"(critical|error|warning|notice|info|debug): (.*)$")


def strip_log_prefix(line):
    """"sspix-server: text" for a timestamped line with its priority; other lines as they are."""
    m = LOG_LINE.match(line)
    return "sspix-server: " + m.group(3) if m else line


class Server:
    def __init__(self, binary, *args, goodclient=None, preexec=None):
        self.binary = binary
        self.preexec = preexec  # run in the child before exec (e.g. a resource limit)
        self.args = list(args)
        self.goodclient = goodclient
        self.dir = tempfile.mkdtemp(prefix="sspix-server-e2e.")
        self.log_path = os.path.join(self.dir, "server.log")
        self.pid_path = os.path.join(self.dir, "server.pid")
        self.proc = None
        self.pid = None
        self.port = None

    def start(self):
        for _attempt in range(8):
            self.port = free_port()
            if os.path.exists(self.pid_path):
                os.unlink(self.pid_path)
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
                 "--pid-file", self.pid_path] + self.args,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=self.preexec)
            log.close()
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if os.path.exists(self.pid_path):
                    with open(self.pid_path) as f:
                        self.pid = int(f.read().strip())
                    check(self.pid == self.proc.pid, "pid file names another process")
                    # The pid file is written before --user drops root; "listening on" comes once it serves.
                    while "listening on" not in self.log():
                        if self.proc.poll() is not None or time.monotonic() > deadline:
                            raise Failure("sspix-server wrote its pid file but did not serve:\n%s" % self.log())
                        time.sleep(0.02)
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
            rc = self.proc.poll()
            if rc is None:
                self.kill()
                raise Failure("sspix-server did not start within %.0f s:\n%s" % (START_TIMEOUT, self.log()))
            if "Address already in use" in self.log():
                continue  # someone took the port between free_port() and bind: another one
            raise Failure("sspix-server exited with %d at start:\n%s" % (rc, self.log()))
        raise Failure("no free port after 8 attempts")

    def log(self):
        return read_log(self.log_path)

    def conn_lines(self):
        """The per-connection lines, as "sspix-server: peer=..." (timestamp and priority dropped)."""
        return [l for l in map(strip_log_prefix, self.log().splitlines()) if l.startswith("sspix-server: peer=")]

    def wait_log(self, predicate, timeout=20.0, what="a log line"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.conn_lines():
                if predicate(line):
                    return line
            time.sleep(0.05)
        raise Failure("no %s within %.0f s; log:\n%s" % (what, timeout, self.log()[-4000:]))

    def wait_text(self, text, timeout=20.0):
        """Wait until text appears anywhere in the server's output."""
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if time.monotonic() > deadline:
                raise Failure("no %r in the server output within %.0f s:\n%s" % (text, timeout, self.log()[-3000:]))
            time.sleep(0.05)

    def fds(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return -1

    def wait_fds(self, target, timeout=SETTLE_TIMEOUT):
        deadline = time.monotonic() + timeout
        n = self.fds()
        while time.monotonic() < deadline:
            n = self.fds()
            if n <= target:
                return n
            time.sleep(0.05)
        raise Failure("server fd count %d did not come back to %d within %.0f s" % (n, target, timeout))

    def good_client(self, package="Negotiate", mode="greet", sizes=(), capture=None, expect=0, timeout=60):
        cmd = [self.goodclient]
        if capture:
            cmd += ["--capture", capture]
        cmd += ["127.0.0.1", str(self.port), "host/localhost", package, mode] + [str(s) for s in sizes]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        if expect is not None and p.returncode != expect:
            raise Failure("good client %s exited %d (expected %d)\nstdout: %s\nstderr: %s\nserver log:\n%s"
                          % (" ".join(cmd[1:]), p.returncode, expect, out, err, self.log()[-3000:]))
        return p.returncode, out, err

    def signal(self, sig):
        os.kill(self.pid, sig)

    def stop(self):
        """SIGTERM, wait, then SIGKILL; returns the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("sspix-server ignored SIGTERM for %.0f s" % STOP_TIMEOUT)

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            if exc[0] is None:
                rc = self.stop()
                check(rc == 0, "sspix-server exited %s after SIGTERM:\n%s" % (rc, self.log()[-3000:]))
        finally:
            self.kill()
            if exc[0] is not None:
                print("---- server log (tail) ----\n" + self.log()[-6000:])


def connect(port, timeout=20.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def frame(token):
    return len(token).to_bytes(4, "little") + token


def wait_closed(sock, timeout=20.0):
    """Read until the server closes; returns (bytes read, seconds taken)."""
    sock.settimeout(timeout)
    t0 = time.monotonic()
    got = b""
    try:
        while True:
            b = sock.recv(65536)
            if not b:
                break
            got += b
    except ConnectionResetError:
        pass
    except socket.timeout:
        raise Failure("the server did not close the connection within %.0f s" % timeout)
    return got, time.monotonic() - t0
