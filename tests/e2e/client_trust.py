#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""client_trust.py - what an operator must be able to trust about sspix-client, end to end.

    client_trust.py --client BIN --server BIN CASE

Cases:
  kdc-timeout      a KDC that never answers (a black hole on 127.0.0.1, UDP and TCP): --timeout bounds
                   the wait for the service ticket and for a password logon; exit 2, the message names
                   the KDC, and the server never sees a connection
  ticket-first     credential errors on the client's side (an SPN the KDC does not know, no ccache)
                   fail before the client connects: exit 3 with the SEC_E_ status, no line at all in the
                   server's log; a load run with such an error makes no connection either
  ntlm-refused     NTLM with a wrong password (NTLM never authenticates the server): the client prints
                   none of its "connected:" details, says the server refused our credentials, exit 3
  options          --version has sspix-server's format, and every option the two programs share has the
                   same short form; the short forms work

Servers run on free 127.0.0.1 ports and are stopped by PID (client_test.py's helpers). Nothing here asserts
on speed: the KDC case asserts on the exit code and the message, which differ when the wait is not bounded.
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import client_test as ct  # noqa: E402  (the shared Server/client helpers)

REALM = os.environ.get("SSPIX_REALM", "")


class BlackHoleKdc:
    """A KDC address that takes requests and never answers: a UDP socket that reads and drops, and a TCP
    listener that accepts and reads until the peer goes away. Runs in daemon threads; close() stops it."""

    def __init__(self):
        # One port number for both: a UDP port the kernel picked may be taken for TCP, so try again.
        for _ in range(100):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.tcp.close()
                self.udp.close()
        else:
            raise RuntimeError("no loopback port free for both UDP and TCP")
        self.tcp.listen(16)
        self.requests = 0
        self.conns = []
        threading.Thread(target=self._udp, daemon=True).start()
        threading.Thread(target=self._tcp, daemon=True).start()

    def _udp(self):
        try:
            while True:
                self.udp.recv(65536)
                self.requests += 1
        except OSError:
            pass

    def _tcp(self):
        try:
            while True:
                conn, _ = self.tcp.accept()
                self.requests += 1
                self.conns.append(conn)
                threading.Thread(target=self._drain, args=(conn,), daemon=True).start()
        except OSError:
            pass

    @staticmethod
    def _drain(conn):
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass

    def close(self):
        for s in [self.udp, self.tcp] + self.conns:
            try:
                s.close()
            except OSError:
                pass


def black_hole_env(tmp, kdc_port):
    """The realm's environment with krb5.conf's KDC pointing at kdc_port and a ccache that holds alice's TGT
    and nothing else (so the client must ask the KDC for the service ticket)."""
    ccache = os.path.join(tmp, "tgt-only.ccache")
    env = dict(os.environ)
    env["KRB5CCNAME"] = "FILE:" + ccache
    p = subprocess.run(["kinit", "alice@" + REALM], input=os.environ["SSPIX_ALICE_PASSWORD"] + "\n", env=env,
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("kinit alice failed: %s" % p.stderr)
    with open(os.environ["KRB5_CONFIG"]) as f:
        conf = f.read()
    conf, n = re.subn(r"(?m)^(\s*kdc\s*=\s*)127\.0\.0\.1:\d+\s*$", r"\g<1>127.0.0.1:%d" % kdc_port, conf)
    if n != 1:
        raise RuntimeError("cannot find the kdc line in %s" % os.environ["KRB5_CONFIG"])
    path = os.path.join(tmp, "black-hole-krb5.conf")
    with open(path, "w") as f:
        f.write(conf)
    env["KRB5_CONFIG"] = path
    return env


def run_client(args, port, *extra, env=None):
    argv = [args.client, "localhost", "--port", str(port)] + list(extra)
    return subprocess.run(argv, capture_output=True, text=True, errors="replace", env=env, timeout=ct.CLIENT_TIMEOUT)


def server_lines(srv):
    """The server's per-connection log lines (one for every connection it saw)."""
    return [line for line in srv.log().splitlines() if "peer=" in line]


# ---- cases -----------------------------------------------------------------------------------------------------


def case_kdc_timeout(args, tmp):
    kdc = BlackHoleKdc()
    srv = ct.sspix_server(args, [], "kdc-timeout", tmp)
    try:
        env = black_hole_env(tmp, kdc.port)
        p = run_client(args, srv.port, "--timeout", "1", env=env)
        ct.check(p.returncode == 2, "kdc timeout: an unanswering KDC is exit 2 after --timeout", p)
        ct.check("no answer from the KDC within 1 s while getting a ticket for host/localhost" in p.stderr,
                 "kdc timeout: the message names the KDC and the ticket it waited for", p)
        ct.check("connected:" not in p.stdout, "kdc timeout: nothing printed on stdout", p)
        ct.check(kdc.requests > 0, "kdc timeout: the client did ask the black-hole KDC")
        # A password logon waits for the KDC inside AcquireCredentialsHandle: bounded the same way.
        pw_file = os.path.join(tmp, "bob.password")
        with open(pw_file, "w") as f:
            f.write(os.environ["SSPIX_BOB_PASSWORD"] + "\n")
        os.chmod(pw_file, 0o600)
        p = run_client(args, srv.port, "--timeout", "1", "--user", "bob", "--domain", REALM, "--password-file",
                       pw_file, env=env)
        ct.check(p.returncode == 2 and "no answer from the KDC within 1 s while logging on as bob@" in p.stderr,
                 "kdc timeout: a password logon is bounded by --timeout too (exit 2)", p)
        # A load run is bounded the same way before it starts.
        p = run_client(args, srv.port, "--timeout", "1", "--connections", "3", env=env)
        ct.check(p.returncode == 2 and "no answer from the KDC within 1 s" in p.stderr,
                 "kdc timeout: a load run is bounded by --timeout before it connects (exit 2)", p)
        # The client never connected: the ticket comes first.
        srv.stop()
        ct.check(server_lines(srv) == [], "kdc timeout: the server saw no connection\n" + srv.log())
    finally:
        srv.stop()
        kdc.close()


def case_ticket_first(args, tmp):
    srv = ct.sspix_server(args, [], "ticket-first", tmp)
    try:
        p = run_client(args, srv.port, "--spn", "nosuch/localhost")
        ct.check(p.returncode == 3 and "SEC_E_TARGET_UNKNOWN" in p.stderr and "no connection was made" in p.stderr,
                 "ticket first: an unknown SPN is exit 3, SEC_E_TARGET_UNKNOWN, before connecting", p)
        env = dict(os.environ)
        env["KRB5CCNAME"] = "FILE:" + os.path.join(tmp, "no-such.ccache")
        p = run_client(args, srv.port, env=env)
        ct.check(p.returncode == 3 and "SEC_E_NO_CREDENTIALS" in p.stderr,
                 "ticket first: no ccache is exit 3, SEC_E_NO_CREDENTIALS", p)
        p = run_client(args, srv.port, "--spn", "nosuch/localhost", "--connections", "3")
        ct.check(p.returncode == 3 and "SEC_E_TARGET_UNKNOWN" in p.stderr and "no connection was made" in p.stderr,
                 "ticket first: a load run with an unknown SPN stops before connecting (exit 3)", p)
        # A good client still gets exactly one line: the server's log works.
        p = run_client(args, srv.port, "--quiet")
        ct.check(p.returncode == 0, "ticket first: a good client afterwards", p)
        srv.stop()
        lines = server_lines(srv)
        ct.check(len(lines) == 1 and "outcome=SEC_E_OK" in lines[0],
                 "ticket first: the server logged the good client only (no outcome=eof)\n" + srv.log())
    finally:
        srv.stop()


def case_ntlm_refused(args, tmp):
    users = os.path.join(tmp, "ntlm-users")
    with open(users, "w") as f:
        f.write("SSPIXDOM:carol:Carol-Pa55word!\n")
    os.chmod(users, 0o600)
    bad = os.path.join(tmp, "wrong.password")
    with open(bad, "w") as f:
        f.write("not-carols-password\n")
    os.chmod(bad, 0o600)
    for mode in ("greet", "echo"):
        srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users, "--allow-no-mutual", "--mode", mode],
                              "ntlm-refused-" + mode, tmp)
        try:
            extra = ["--message", "hello"] if mode == "echo" else []
            p = run_client(args, srv.port, "--package", "NTLM", "--user", "carol", "--domain", "SSPIXDOM",
                           "--password-file", bad, "--allow-no-mutual", "--mode", mode, *extra)
            ct.check(p.returncode == 3, "ntlm refused (%s): a wrong password is exit 3" % mode, p)
            ct.check("connected:" not in p.stdout and "mutual:" not in p.stdout and "legs:" not in p.stdout,
                     "ntlm refused (%s): no success-looking details printed" % mode, p)
            ct.check("before the server showed that it accepted our credentials" in p.stderr and "refused" in p.stderr,
                     "ntlm refused (%s): the message says the server refused our credentials" % mode, p)
        finally:
            srv.stop()


def short_options(help_text):
    """{long option: short letter} from a --help text's "  -x, --long" lines."""
    return dict((m.group(2), m.group(1)) for m in re.finditer(r"(?m)^\s+-(\w), --([\w-]+)", help_text))


def long_options(help_text):
    return set(re.findall(r"--([a-z][\w-]+)", help_text))


def case_options(args, tmp):
    sv = subprocess.run([args.server, "--version"], capture_output=True, text=True)
    cv = subprocess.run([args.client, "--version"], capture_output=True, text=True)
    ct.check(sv.returncode == 0 and cv.returncode == 0 and
             cv.stdout == sv.stdout.replace("sspix-server", "sspix-client", 1),
             "options: --version has sspix-server's format (%r vs %r)" % (cv.stdout, sv.stdout), cv)
    v = subprocess.run([args.client, "-V"], capture_output=True, text=True)
    ct.check(v.returncode == 0 and v.stdout == cv.stdout, "options: -V is --version", v)
    shelp = subprocess.run([args.server, "--help"], capture_output=True, text=True).stdout
    chelp = subprocess.run([args.client, "--help"], capture_output=True, text=True).stdout
    sshort, cshort = short_options(shelp), short_options(chelp)
    shared = sorted(long_options(shelp) & long_options(chelp))
    for opt in shared:
        ct.check(sshort.get(opt) == cshort.get(opt), "options: --%s has the same short form in both (server -%s, "
                 "client -%s)" % (opt, sshort.get(opt), cshort.get(opt)))
    for opt, letter in sorted(cshort.items()):
        ct.check(opt not in sshort and letter not in sshort.values() or sshort.get(opt) == letter,
                 "options: the client's -%s (--%s) means the same as the server's -%s, or the server has none"
                 % (letter, opt, letter))
    srv = ct.sspix_server(args, ["--mode", "echo", "--package", "Kerberos"], "options", tmp)
    try:
        argv = [args.client, "localhost", "-p", str(srv.port), "-P", "Kerberos", "-s", "host/localhost", "-m", "echo",
                "--message", "short", "-q"]
        p = subprocess.run(argv, capture_output=True, text=True, timeout=ct.CLIENT_TIMEOUT)
        ct.check(p.returncode == 0 and p.stdout == "short\n", "options: -p -P -s -m -q work", p)
        p = subprocess.run([args.client, "localhost", "-p"], capture_output=True, text=True)
        ct.check(p.returncode == 1 and "option '-p' needs a value" in p.stderr, "options: -p without a value", p)
    finally:
        srv.stop()


CASES = {"kdc-timeout": case_kdc_timeout, "ticket-first": case_ticket_first, "ntlm-refused": case_ntlm_refused,
         "options": case_options}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sspix-client-trust-") as tmp:
        CASES[args.case](args, tmp)
    if ct.failures:
        print("%d check(s) failed" % len(ct.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
