#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""ntlm_e2e.py - sspix-server and sspix-client over NTLM (gss-ntlmssp), end to end.

    ntlm_e2e.py --client BIN --server BIN CASE

Cases:
  refuse     NTLM is refused by default on both ends: the server logs "NTLM cannot
             authenticate the server; use --allow-no-mutual to accept it", the client
             will not treat NTLM as mutual (exit 4)
  greet      --allow-no-mutual on both ends: the greeting names the NTLM user, no mutual
  echo       protected echo over NTLM, and a wrong password (exit 3)
  kerberos   a Negotiate server that also offers NTLM still authenticates Kerberos
             clients with Kerberos, mutually

Servers run on free 127.0.0.1 ports and are stopped by PID (client_test.py's helpers).
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import client_test as ct  # noqa: E402  (the shared Server/client helpers)

DOMAIN = "SSPIXDOM"
USER = "carol"
PASSWORD = "Carol-Pa55word!"
REFUSAL = "NTLM cannot authenticate the server; use --allow-no-mutual to accept it"


def files(tmp):
    users = os.path.join(tmp, "ntlm-users")
    with open(users, "w") as f:
        f.write("# DOMAIN:user:password\n%s:%s:%s\nOTHER:dave:dave-pw\n" % (DOMAIN, USER, PASSWORD))
    os.chmod(users, 0o600)
    pw = os.path.join(tmp, "carol.password")
    with open(pw, "w") as f:
        f.write(PASSWORD + "\n")
    os.chmod(pw, 0o600)
    return users, pw


def ntlm_client(args, port, pw, *extra):
    return ct.client(args, port, "--package", "NTLM", "--user", USER, "--domain", DOMAIN, "--password-file", pw,
                     *extra)


def case_refuse(args, tmp):
    users, pw = files(tmp)
    srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users], "ntlm-refuse", tmp)
    try:
        p = ntlm_client(args, srv.port, pw, "--allow-no-mutual")
        ct.check(p.returncode != 0, "refuse: the server does not greet an NTLM client by default", p)
        ct.check("Hello" not in p.stdout, "refuse: no greeting", p)
        srv.stop()
        ct.check(REFUSAL in srv.log(), "refuse: the server says why: " + REFUSAL)
        if REFUSAL not in srv.log():
            print(srv.log())
    finally:
        srv.stop()
    srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users, "--allow-no-mutual"], "ntlm-cli", tmp)
    try:
        p = ntlm_client(args, srv.port, pw)
        ct.check(p.returncode == 4, "refuse: the client does not take NTLM as mutual authentication (exit 4)", p)
        ct.check("Hello" not in p.stdout, "refuse: the client does not show the greeting", p)
    finally:
        srv.stop()


def case_greet(args, tmp):
    users, pw = files(tmp)
    srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users, "--allow-no-mutual"], "ntlm-greet", tmp)
    try:
        p = ntlm_client(args, srv.port, pw, "--allow-no-mutual")
        ct.check(p.returncode == 0, "greet: exit 0", p)
        ct.check(("Hello %s\\%s" % (DOMAIN, USER)) in p.stdout and "over NTLM" in p.stdout,
                 "greet: the greeting names SSPIXDOM\\carol and NTLM", p)
        ct.check("package:    NTLM\n" in p.stdout, "greet: package NTLM", p)
        ct.check("mutual:     no" in p.stdout and "MUTUAL_AUTH" not in p.stdout, "greet: never mutual", p)
        ct.check("CONFIDENTIALITY" in p.stdout and "INTEGRITY" in p.stdout, "greet: sealing and signing", p)
        srv.stop()
        ct.check("package=NTLM" in srv.log() and "mutual=no" in srv.log(), "greet: the server logs NTLM, mutual=no")
    finally:
        srv.stop()


def case_echo(args, tmp):
    users, pw = files(tmp)
    srv = ct.sspix_server(args, ["--package", "NTLM", "--ntlm-users", users, "--allow-no-mutual", "--mode", "echo"],
                          "ntlm-echo", tmp)
    try:
        for size in (1, 100, 65536):
            p = ntlm_client(args, srv.port, pw, "--allow-no-mutual", "--mode", "echo", "--size", str(size), "--count",
                            "3")
            ct.check(p.returncode == 0 and ("echo:       3 message(s), %d bytes, every echo verified" % (3 * size))
                     in p.stdout, "echo: 3 x %d bytes over NTLM" % size, p)
        p = ntlm_client(args, srv.port, pw, "--allow-no-mutual", "--mode", "echo", "--message", "hello over NTLM")
        ct.check(p.returncode == 0 and "hello over NTLM" in p.stdout, "echo: a text message comes back", p)
        bad = os.path.join(tmp, "wrong.password")
        with open(bad, "w") as f:
            f.write("not-carols-password\n")
        os.chmod(bad, 0o600)
        p = ct.client(args, srv.port, "--package", "NTLM", "--user", USER, "--domain", DOMAIN, "--password-file", bad,
                      "--allow-no-mutual")
        # The NTLM client finishes its side with the AUTHENTICATE message; only the server can tell the password
        # was wrong, and it closes the connection (exit 5: closed after authentication).
        ct.check(p.returncode in (3, 5) and "Hello" not in p.stdout and "echo:" not in p.stdout,
                 "echo: a wrong password is refused", p)
        srv.stop()
        ct.check("SEC_E_LOGON_DENIED" in srv.log(), "echo: the server logs SEC_E_LOGON_DENIED for it")
    finally:
        srv.stop()


def case_kerberos(args, tmp):
    users, _ = files(tmp)
    srv = ct.sspix_server(args, ["--package", "Negotiate", "--ntlm-users", users], "nego-ntlm", tmp)
    try:
        p = ct.client(args, srv.port, "--package", "Negotiate")
        ct.check(p.returncode == 0 and "package:    Kerberos (negotiated by Negotiate)\n" in p.stdout
                 and "mutual:     yes" in p.stdout,
                 "kerberos: Negotiate still picks Kerberos, mutually, when NTLM is offered too", p)
    finally:
        srv.stop()


CASES = {"refuse": case_refuse, "greet": case_greet, "echo": case_echo, "kerberos": case_kerberos}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--client", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="sspix-ntlm-e2e-") as tmp:
        CASES[args.case](args, tmp)
    if ct.failures:
        print("%d check(s) failed" % len(ct.failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
