#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""interop - sspix against MIT's gss-sample peers (krb5-gss-samples), over the gss-sample protocol.

    interop.py CASE SSPIX_SERVER SSPIX_CLIENT

Cases:
  mit_client_krb5     MIT gss-client (default mech: krb5) -> sspix-server --protocol gss-sample,
                      -mcount 3 -ccount 5; every signature verified, five log lines with messages=3
  mit_client_spnego   the same with -spnego and with -mech '{ 1 3 6 1 5 5 2 }'
  mit_client_variants -nw, -nx, -nm, -nw -nm, -nx -nm, -seq, -noreplay -seq, -krb5 (the pre-RFC krb5 OID);
                      -noreplay alone is refused as a weak context (tests/e2e/server_trust.py)
  mit_client_refused  -nomutual (refused, outcome=no_mutual; accepted with --allow-no-mutual),
                      -na (refused, outcome=unauthenticated), -v1 (refused: bad_opener or too_long),
                      sspix-client in the ms protocol against a gss-sample server (refused)
  mit_server          sspix-client --protocol gss-sample -> MIT gss-server: Kerberos and Negotiate,
                      greet and echo, --no-wrap/--no-encrypt/--no-mic, a sequential load run
  sspix_both          sspix-client -> sspix-server, both in gss-sample: the same matrix plus a parallel load

Needs the realm's environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, ...). Standard library only.
Everything started here is stopped by its PID; network 127.0.0.1 only (gss-server itself binds INADDR_ANY,
as it always does; nothing connects to it except from 127.0.0.1).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from lib_server import Failure, Server, check, free_port, read_log  # noqa: E402

GSS_CLIENT = "/usr/bin/gss-client"
GSS_SERVER = "/usr/bin/gss-server"
SPNEGO_OID = "{ 1 3 6 1 5 5 2 }"
MSG = "hello from gss-client"


def run(cmd, expect=None, timeout=120):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    if expect is not None and p.returncode != expect:
        raise Failure("%s exited %d (expected %d):\n%s" % (" ".join(cmd), p.returncode, expect, out[-3000:]))
    return p.returncode, out


def gss_client(port, *args, expect=0, msg=MSG):
    return run([GSS_CLIENT, "-port", str(port)] + list(args) + ["127.0.0.1", "host@localhost", msg], expect=expect)


def sspix_client(binary, port, *args, expect=0):
    return run([binary, "localhost", "--port", str(port), "--protocol", "gss-sample", "--spn", "host/localhost"]
               + list(args), expect=expect)


class MitServer:
    """MIT gss-server on a free port; stopped by its PID."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sspix-interop.")
        self.out_path = os.path.join(self.dir, "gss-server.out")
        self.log_path = os.path.join(self.dir, "gss-server.log")
        self.proc = None
        self.port = None

    def __enter__(self):
        for _attempt in range(8):
            self.port = free_port()
            out = open(self.out_path, "wb")
            # -logfile: its per-message lines; stdout: the accepted names and PAC dump.
            self.proc = subprocess.Popen([GSS_SERVER, "-port", str(self.port), "-logfile", self.log_path,
                                          "host@localhost"], stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            out.close()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                if "starting..." in self.output():
                    return self
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.stop()
                raise Failure("gss-server did not start:\n" + self.output())
            if "Address already in use" not in self.output():
                raise Failure("gss-server exited %d at start:\n%s" % (self.proc.returncode, self.output()))
        raise Failure("no free port for gss-server after 8 attempts")

    def output(self):
        with open(self.out_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def log(self):
        return read_log(self.log_path)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __exit__(self, *exc):
        self.stop()
        if exc[0] is not None:
            print("---- gss-server output (tail) ----\n" + self.output()[-3000:] + "\n---- log ----\n"
                  + self.log()[-3000:])
        shutil.rmtree(self.dir, ignore_errors=True)


def gss_sspix_server(binary, *args):
    return Server(binary, "--protocol", "gss-sample", "--threads", "2", *args)


def ok_lines(s, n, messages, what, package=None, mutual="yes"):
    """Wait for n successful connection lines with the given message count."""
    def good(line):
        return ("outcome=SEC_E_OK" in line and "mode=gss-sample" in line and "messages=%d" % messages in line
                and "mutual=%s" % mutual in line and "client=alice@SSPIX.TEST" in line
                and (package is None or "package=%s " % package in line))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        lines = [l for l in s.conn_lines() if good(l)]
        if len(lines) >= n:
            return lines
        time.sleep(0.05)
    raise Failure("%s: expected %d log lines with messages=%d, log:\n%s" % (what, n, messages, s.log()[-3000:]))


# ---- MIT gss-client -> sspix-server --------------------------------------------------------------

def case_mit_client_krb5(server_bin, _client_bin):
    with gss_sspix_server(server_bin) as s:
        _, out = gss_client(s.port, "-mcount", "3", "-ccount", "5")
        check(out.count("Signature verified.") == 15, "15 signatures verified:\n" + out[-2000:])
        check('"alice@SSPIX.TEST" to "host/localhost@SSPIX.TEST"' in out, "names shown:\n" + out[-2000:])
        check("context flag: GSS_C_MUTUAL_FLAG" in out, "mutual flag:\n" + out[-2000:])
        ok_lines(s, 5, 3, "krb5 -mcount 3 -ccount 5", package="Kerberos")
        # The explicit krb5 OID, quiet, and the bare handshake (-mcount 0).
        gss_client(s.port, "-q", "-mech", "{ 1 2 840 113554 1 2 2 }", "-mcount", "2")
        gss_client(s.port, "-q", "-mcount", "0", "-ccount", "3")
        ok_lines(s, 3, 0, "-mcount 0")
        # A message at the size limit's neighbourhood: a 60 KiB file.
        path = os.path.join(s.dir, "msg.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(60 * 1024))
        gss_client(s.port, "-q", "-f", msg=path)


def case_mit_client_spnego(server_bin, _client_bin):
    with gss_sspix_server(server_bin) as s:
        _, out = gss_client(s.port, "-spnego", "-mcount", "3", "-ccount", "5")
        check(out.count("Signature verified.") == 15, "15 signatures verified (spnego):\n" + out[-2000:])
        gss_client(s.port, "-q", "-mech", SPNEGO_OID, "-mcount", "3", "-ccount", "5")
        lines = ok_lines(s, 10, 3, "spnego")
        check(all("legs=" in l for l in lines), "legs logged")
    with gss_sspix_server(server_bin, "--package", "Kerberos") as s:
        # A Kerberos-only server refuses SPNEGO; gss-client says so and exits 1.
        rc, out = gss_client(s.port, "-q", "-spnego", expect=None)
        check(rc != 0, "spnego against a Kerberos-only server must fail:\n" + out)
        gss_client(s.port, "-q", "-mcount", "2")
        ok_lines(s, 1, 2, "krb5 against --package Kerberos", package="Kerberos")


def case_mit_client_variants(server_bin, _client_bin):
    variants = [["-nw"], ["-nx"], ["-nm"], ["-nw", "-nm"], ["-nx", "-nm"], ["-seq"], ["-noreplay", "-seq"], ["-krb5"],
                ["-spnego", "-nx"], ["-spnego", "-nw"]]
    with gss_sspix_server(server_bin) as s:
        for v in variants:
            _, out = gss_client(s.port, *(v + ["-mcount", "3", "-ccount", "2"]))
            if "-nm" in v:
                check(out.count("Response received.") == 6 and "Signature verified." not in out,
                      "%s: 6 responses, no MIC:\n%s" % (v, out[-2000:]))
            else:
                check(out.count("Signature verified.") == 6, "%s: 6 signatures verified:\n%s" % (v, out[-2000:]))
            check("Warning!" not in out, "%s: no warnings:\n%s" % (v, out[-2000:]))
        ok_lines(s, 2 * len(variants), 3, "variants")


def case_mit_client_refused(server_bin, client_bin):
    with gss_sspix_server(server_bin) as s:
        rc, out = gss_client(s.port, "-nomutual", expect=None)
        check(rc != 0, "-nomutual must be refused:\n" + out)
        s.wait_log(lambda l: "outcome=no_mutual" in l and "mutual=no" in l and "client=alice@SSPIX.TEST" in l,
                   what="outcome=no_mutual")
        rc, out = gss_client(s.port, "-spnego", "-nomutual", expect=None)
        check(rc != 0, "-spnego -nomutual must be refused:\n" + out)
        rc, out = gss_client(s.port, "-na", expect=None)
        check(rc != 0, "-na must be refused:\n" + out)
        s.wait_log(lambda l: "outcome=unauthenticated" in l, what="outcome=unauthenticated")
        rc, out = gss_client(s.port, "-v1", expect=None)
        check(rc != 0, "-v1 must be refused:\n" + out)
        # v1 frames carry no flags byte: the first bytes read as a huge length, or as a non-NOOP opener.
        s.wait_log(lambda l: "outcome=bad_opener" in l or "outcome=too_long" in l, what="-v1 refused")
        # The Microsoft framing against a gss-sample server: a clean refusal, not a hang.
        rc, out = run([client_bin, "localhost", "--port", str(s.port), "--spn", "host/localhost", "--timeout", "10"])
        check(rc != 0, "an ms-protocol client must fail against a gss-sample server:\n" + out)
        check(len([l for l in s.conn_lines() if "outcome=SEC_E_OK" in l]) == 0, "nothing succeeded:\n" + s.log())
    with gss_sspix_server(server_bin, "--allow-no-mutual") as s:
        _, out = gss_client(s.port, "-nomutual", "-mcount", "2")
        check(out.count("Signature verified.") == 2, "-nomutual with --allow-no-mutual:\n" + out[-2000:])
        ok_lines(s, 1, 2, "--allow-no-mutual", mutual="no")


# ---- sspix-client -> MIT gss-server ------------------------------------------------------------

def client_matrix(client_bin, port, load_args):
    for pkg in ("Kerberos", "Negotiate"):
        _, out = sspix_client(client_bin, port, "--package", pkg)
        check("mutual:     yes" in out and "closed with NOOP" in out, "%s greet:\n%s" % (pkg, out))
        _, out = sspix_client(client_bin, port, "--package", pkg, "--mode", "echo", "--message", "hello",
                              "--count", "3")
        check(out.count("hello") == 3 and "3 message(s), 15 bytes, every MIC verified" in out,
              "%s echo:\n%s" % (pkg, out))
        _, out = sspix_client(client_bin, port, "--package", pkg, "--mode", "echo", "--size", "16384", "--count",
                              "2", "--quiet")
        for v in (["--no-wrap"], ["--no-encrypt"], ["--no-mic"], ["--no-wrap", "--no-mic"]):
            _, out = sspix_client(client_bin, port, "--package", pkg, "--mode", "echo", "--message", "x",
                                  "--count", "2", *v)
            want = "every reply received" if "--no-mic" in v else "every MIC verified"
            check("2 message(s)" in out and want in out, "%s %s:\n%s" % (pkg, v, out))
    _, out = sspix_client(client_bin, port, "--mode", "echo", "--message", "load", "--count", "3", "--quiet",
                          *load_args)
    check(" 0 failed" in out, "load run:\n" + out)


def case_mit_server(_server_bin, client_bin):
    with MitServer() as g:
        # gss-server serves one connection at a time with a listen backlog of 0: no parallel load here.
        client_matrix(client_bin, g.port, ["--connections", "20", "--parallel", "1"])
        log = g.log()
        check(log.count('Received message: "hello"') >= 6, "gss-server saw the echo messages:\n" + log[-2000:])
        check("Warning!" not in g.output(), "gss-server warned:\n" + g.output()[-2000:])
    # A server that cannot prove itself: gss-server with another service's key fails the handshake.


def case_sspix_both(server_bin, client_bin):
    with gss_sspix_server(server_bin) as s:
        client_matrix(client_bin, s.port, ["--connections", "300", "--parallel", "32"])
        lines = [l for l in s.conn_lines() if "outcome=SEC_E_OK" in l]
        check(len(lines) >= 2 * 7 + 300, "server log lines: %d\n%s" % (len(lines), s.log()[-2000:]))
        check(not [l for l in s.conn_lines() if "outcome=SEC_E_OK" not in l], "no failures:\n" + s.log()[-3000:])
        # A client that asks for no mutual authentication is refused by default.
        rc, out = sspix_client(client_bin, s.port, "--allow-no-mutual", expect=None)
        check(rc != 0, "--allow-no-mutual client against a mutual server:\n" + out)
        s.wait_log(lambda l: "outcome=no_mutual" in l, what="outcome=no_mutual")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        print("usage: interop.py {%s} SSPIX_SERVER SSPIX_CLIENT" % "|".join(sorted(CASES)), file=sys.stderr)
        return 2
    for tool in (GSS_CLIENT, GSS_SERVER):
        if not os.access(tool, os.X_OK):
            print("FAIL: %s is missing (Debian package krb5-gss-samples)" % tool)
            return 1
    try:
        CASES[sys.argv[1]](sys.argv[2], sys.argv[3])
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
