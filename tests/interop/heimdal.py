#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""heimdal - Heimdal's GSSAPI initiator (tests/interop/heimdal_client.c) against sspix-server --protocol gss-sample.

    heimdal.py CASE SSPIX_SERVER HEIMDAL_CLIENT

Every case runs twice: against the server as it is (plain Kerberos tokens go to its native acceptor,
src/packages/krb5_accept.c) and against the server with SSPIX_KRB5_ACCEPTOR=gssapi (MIT's
gss_accept_sec_context); both runs must give the same results.

Cases:
  krb5        krb5 mech, 20 connections of 3 encrypted messages each
  integrity   integrity-only wrap (-i)
  unwrapped   messages sent unwrapped (-u), signed by the server as they are
  spnego      the SPNEGO mech (-m spnego)
  delegation  -d: the TGT is forwarded (GSS_C_DELEG_FLAG comes back to the client)
  sha2        target sha2svc/localhost, whose only key is aes256-cts-hmac-sha384-192 (tests/realm/realm);
              the ticket Heimdal obtained is checked with MIT's klist -e
  no_mutual   -x, krb5 and SPNEGO: refused by the server (outcome=no_mutual)

Needs the realm's environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, ...). Heimdal reads the realm's
krb5.conf and alice's MIT-written FILE ccache as they are; it gets a private copy of that ccache, so the
service tickets it stores there never touch the fixture's. Standard library only. Everything started
here is stopped by its PID; network 127.0.0.1 only.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from lib_server import Failure, Server, check  # noqa: E402

CLIENT = "alice@SSPIX.TEST"
MODES = (("native", None), ("gssapi", "gssapi"))  # (name, SSPIX_KRB5_ACCEPTOR)
FIELDS = re.compile(r"(\w+)=(\"(?:[^\"\\]|\\.)*\"|\S*)")


def fields(line):
    return {k: v for k, v in FIELDS.findall(line)}


class Client:
    """heimdal_client runs with a private copy of alice's ccache."""

    def __init__(self, binary):
        self.binary = binary
        self.dir = tempfile.mkdtemp(prefix="sspix-heimdal.")
        src = os.environ.get("KRB5CCNAME", "")
        check(src.startswith("FILE:"), "KRB5CCNAME must name alice's FILE ccache (got %r)" % src)
        self.ccache = os.path.join(self.dir, "alice.ccache")
        shutil.copyfile(src[len("FILE:"):], self.ccache)
        os.chmod(self.ccache, 0o600)
        self.env = dict(os.environ, KRB5CCNAME="FILE:" + self.ccache)
        self.env.pop("SSPIX_KRB5_ACCEPTOR", None)
        # In a sanitized build the client is sanitized too; Heimdal's SPNEGO initiator leaks a few bytes per
        # context (inside libkrb5.so.26 and libgssapi.so.3), which is the peer's business, not the test's.
        # The server keeps its full leak checking.
        self.env["ASAN_OPTIONS"] = ":".join(x for x in (os.environ.get("ASAN_OPTIONS"), "detect_leaks=0") if x)

    def run(self, port, *args, timeout=120):
        cmd = [self.binary, "-p", str(port)] + list(args)
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=self.env, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def klist(self):
        p = subprocess.run(["klist", "-e", "-c", "FILE:" + self.ccache], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return p.stdout.decode("utf-8", "replace")

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class GssServer(Server):
    """sspix-server in gss-sample mode, with SSPIX_KRB5_ACCEPTOR as given (None: unset) in its environment."""

    def __init__(self, binary, acceptor):
        super().__init__(binary, "--protocol", "gss-sample", "--threads", "2")
        self.acceptor = acceptor

    def start(self):
        saved = os.environ.get("SSPIX_KRB5_ACCEPTOR")
        if self.acceptor is None:
            os.environ.pop("SSPIX_KRB5_ACCEPTOR", None)
        else:
            os.environ["SSPIX_KRB5_ACCEPTOR"] = self.acceptor
        try:
            return super().start()
        finally:
            if saved is None:
                os.environ.pop("SSPIX_KRB5_ACCEPTOR", None)
            else:
                os.environ["SSPIX_KRB5_ACCEPTOR"] = saved


def wait_lines(s, n, what, timeout=20.0):
    """The first n per-connection log lines (as field dicts), once n have been written."""
    deadline = time.monotonic() + timeout
    while True:
        lines = s.conn_lines()
        if len(lines) >= n:
            return [fields(l) for l in lines]
        if time.monotonic() > deadline:
            raise Failure("%s: expected %d connection log lines, got %d:\n%s" % (what, n, len(lines),
                                                                                  s.log()[-3000:]))
        time.sleep(0.05)


def ok_run(s, client, what, args, n, messages, total=None):
    """A run that must succeed: n connections, each logged SEC_E_OK with `messages` messages (total: the
    server's log lines so far, this run's included; default n)."""
    total = n if total is None else total
    rc, out = client.run(s.port, *args)
    check(rc == 0, "%s: heimdal_client exited %d:\n%s" % (what, rc, out[-3000:]))
    check(("%d connection(s)" % n) in out and "every MIC verified" in out, "%s: summary:\n%s" % (what, out))
    check('context: "%s" -> ' % CLIENT in out, "%s: source name:\n%s" % (what, out))
    lines = wait_lines(s, total, what)
    for f in lines:
        check(f.get("outcome") == "SEC_E_OK" and f.get("client") == CLIENT and f.get("mutual") == "yes"
              and f.get("mode") == "gss-sample" and f.get("messages") == str(messages),
              "%s: log line %s:\n%s" % (what, f, s.log()[-3000:]))
    check(len(lines) == total, "%s: %d log lines for %d connections:\n%s" % (what, len(lines), total,
                                                                             s.log()[-3000:]))
    return out, lines


def summary(lines):
    """What must be equal in both server modes: each line's fields but the peer and the time taken."""
    return sorted(tuple(sorted((k, v) for k, v in f.items() if k not in ("peer", "ms"))) for f in lines)


def case_krb5(s, client):
    out, lines = ok_run(s, client, "krb5 -n 20 -M 3", ["-m", "krb5", "-n", "20", "-M", "3", "-e"], 20, 3)
    check("flags: " in out and "MUTUAL" in out and "CONF" in out, "flags:\n" + out)
    check(all(f.get("package") == "Kerberos" for f in lines), "package=Kerberos:\n" + s.log()[-3000:])
    return lines


def case_integrity(s, client):
    _, lines = ok_run(s, client, "integrity -i", ["-i", "-n", "3", "-M", "3"], 3, 3)
    return lines


def case_unwrapped(s, client):
    _, lines = ok_run(s, client, "unwrapped -u", ["-u", "-n", "3", "-M", "3"], 3, 3)
    return lines


def case_spnego(s, client):
    _, lines = ok_run(s, client, "spnego", ["-m", "spnego", "-n", "3", "-M", "3"], 3, 3)
    return lines


def case_delegation(s, client):
    lines = []
    for n, mech in enumerate(("krb5", "spnego"), 1):
        out, lines = ok_run(s, client, "delegation (%s)" % mech, ["-m", mech, "-d", "-n", "1", "-M", "3"], 1, 3,
                           total=n)
        check(re.search(r"^flags: .*\bDELEG\b", out, re.M), "%s: GSS_C_DELEG_FLAG:\n%s" % (mech, out))
    return lines


def case_sha2(s, client):
    out, lines = ok_run(s, client, "sha2svc", ["-s", "sha2svc@localhost", "-n", "3", "-M", "3"], 3, 3)
    check('-> "sha2svc/localhost@SSPIX.TEST"' in out, "target name:\n" + out)
    kl = client.klist()
    m = re.search(r"sha2svc/localhost@SSPIX\.TEST\s*\n\s*(?:renew until [^,]*, )?Etype \(skey, tkt\): ([^,\s]+), "
                  r"([^,\s]+)", kl)
    check(m is not None, "no sha2svc ticket in Heimdal's ccache:\n" + kl)
    check(m.group(1) == "aes256-cts-hmac-sha384-192" and m.group(2) == "aes256-cts-hmac-sha384-192",
          "sha2svc ticket enctypes (skey, tkt) = %s, %s:\n%s" % (m.group(1), m.group(2), kl))
    return lines


def case_no_mutual(s, client):
    n = 0
    for mech in ("krb5", "spnego"):
        rc, out = client.run(s.port, "-m", mech, "-x", "-n", "1", "-M", "1")
        check(rc != 0, "-x (%s) must be refused:\n%s" % (mech, out))
        check("1 of 1 connection(s)" in out and "the server closed the connection" in out,
              "-x (%s) client output:\n%s" % (mech, out))
        n += 1
        lines = wait_lines(s, n, "-x (%s)" % mech)
        f = lines[-1]
        check(f.get("outcome") == "no_mutual" and f.get("mutual") == "no" and f.get("client") == CLIENT
              and f.get("messages") == "0", "-x (%s): log line %s:\n%s" % (mech, f, s.log()[-3000:]))
    return lines


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def run_case(name, server_bin, client_bin):
    results = {}
    for mode, acceptor in MODES:
        client = Client(client_bin)
        server = GssServer(server_bin, acceptor)
        try:
            with server as s:
                try:
                    lines = CASES[name](s, client)
                except Failure as e:
                    raise Failure("[server mode %s] %s" % (mode, e))
        finally:
            client.close()
            shutil.rmtree(server.dir, ignore_errors=True)
        results[mode] = summary(lines)
        outcomes = sorted({dict(l)["outcome"] for l in results[mode]})
        print("%s: %s: %d connection(s), outcome=%s" % (name, mode, len(lines), ",".join(outcomes)))
    check(results["native"] == results["gssapi"],
          "the two server modes differ:\nnative: %s\ngssapi: %s" % (results["native"], results["gssapi"]))


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in CASES:
        print("usage: heimdal.py {%s} SSPIX_SERVER HEIMDAL_CLIENT" % "|".join(sorted(CASES)), file=sys.stderr)
        return 2
    try:
        run_case(sys.argv[1], sys.argv[2], sys.argv[3])
    except Failure as e:
        print("FAIL: %s" % e)
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
