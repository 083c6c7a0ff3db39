#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server_privdrop - sspix-server --user: start as root, drop to nobody.

    server_privdrop.py SERVER_BINARY GOODCLIENT_BINARY

Needs root (exits 77, ctest's skip, otherwise). The keytab stays root's: the
server reads it once at start-up (SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY). What
nobody must reach is given to it in fresh temporary directories: a replay
cache directory (mode 1777, KRB5RCACHEDIR), and a readable copy of the
realm's krb5.conf (KRB5_CONFIG), which every accept reads. Checks the
process's ids, greetings over both packages, replay protection, SIGHUP
(keeps the start-up keys, says so, applies the new mode), and -t and the
refusals. Standard library only; everything started is stopped by PID.
"""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_server import Failure, Server, check  # noqa: E402
from server_e2e import expect_closed  # noqa: E402

SKIP = 77


def run(cmd, preexec=None):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                       preexec_fn=preexec)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def ids(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                out[key] = [int(x) for x in rest.split()]
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    server_bin, good = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("SKIP: sspix-server --user needs root to start")
        return SKIP
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        print("SKIP: no user nobody")
        return SKIP

    rcdir = tempfile.mkdtemp(prefix="sspix-privdrop-rc.")
    confdir = tempfile.mkdtemp(prefix="sspix-privdrop-conf.")
    try:
        os.chmod(rcdir, 0o1777)
        os.chmod(confdir, 0o755)
        krb5_conf = os.path.join(confdir, "krb5.conf")
        shutil.copyfile(os.environ["KRB5_CONFIG"], krb5_conf)
        os.chmod(krb5_conf, 0o644)
        conf = os.path.join(confdir, "server.conf")
        with open(conf, "w") as f:
            f.write("mode = greet\nuser = nobody\nreplay-cache = mit\n")
        os.chmod(conf, 0o644)
        os.environ["KRB5_CONFIG"] = krb5_conf
        os.environ["KRB5RCACHEDIR"] = rcdir
        keytab = os.environ["KRB5_KTNAME"].replace("FILE:", "", 1)
        check(os.stat(keytab).st_mode & 0o077 == 0, "the realm's keytab is readable by others: the test means nothing")

        # -t says what --user would do; refusals.
        rc, out = run([server_bin, "-t", "--user", "nobody"])
        check(rc == 0 and "would drop privileges" in out and rcdir in out, "-t --user: %d %s" % (rc, out))
        rc, out = run([server_bin, "-t", "--user", "root"])
        check(rc == 1 and "unprivileged" in out, "--user root: %d %s" % (rc, out))
        rc, out = run([server_bin, "-t", "--user", "no-such-user-sspix"])
        check(rc == 1 and "no such user" in out, "unknown user: %d %s" % (rc, out))

        def as_nobody():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
        rc, out = run([server_bin, "-t", "--user", "nobody", "--keytab", "FILE:/nonexistent"], preexec=as_nobody)
        check(rc == 1 and "needs root" in out, "--user without root: %d %s" % (rc, out))
        locked = tempfile.mkdtemp(prefix="sspix-privdrop-locked.")  # 0700 root: nobody cannot write it
        try:
            os.environ["KRB5RCACHEDIR"] = locked
            rc, out = run([server_bin, "--port", "1", "--user", "nobody", "--bind", "127.0.0.1", "--replay-cache", "mit"])
            # Port 1 binds as root; the drop then finds the replay cache unwritable: exit 2.
            check(rc == 2 and "replay cache" in out and locked in out, "unwritable rcache: %d %s" % (rc, out))
        finally:
            os.environ["KRB5RCACHEDIR"] = rcdir
            shutil.rmtree(locked, ignore_errors=True)

        with Server(server_bin, "--threads", "2", "--config", conf, goodclient=good) as s:
            got = ids(s.pid)
            check(got["Uid"] == [nobody.pw_uid] * 4, "Uid: %s" % got["Uid"])
            check(got["Gid"] == [nobody.pw_gid] * 4, "Gid: %s" % got["Gid"])
            check(0 not in got["Groups"], "Groups: %s" % got["Groups"])
            check(nobody.pw_uid == 65534 and nobody.pw_gid == 65534, "nobody is %d:%d" % (nobody.pw_uid,
                                                                                         nobody.pw_gid))
            s.wait_text("dropped privileges to nobody")
            for pkg in ("Negotiate", "Kerberos"):
                _, out, _ = s.good_client(pkg)
                check(out.startswith("Hello alice@") and "host/localhost@" in out, "greeting: %r" % out)
            check(os.path.exists(os.path.join(rcdir, "krb5_%d.rcache2" % nobody.pw_uid)), "no replay cache of nobody")

            # A replayed first token is refused, as it is when running as root.
            cap = os.path.join(s.dir, "capture")
            s.good_client("Negotiate", capture=cap)
            with open(cap, "rb") as f:
                data = f.read()
            n = int.from_bytes(data[:4], "little")
            line = expect_closed(s, data[:4 + n], "SEC_E_")
            check("replay" in line.lower(), "not logged as a replay: " + line)

            # SIGHUP: the keytab is root's now; the keys stay, the new mode applies.
            with open(conf, "w") as f:
                f.write("mode = echo\nuser = nobody\nreplay-cache = mit\n")
            s.signal(signal.SIGHUP)
            s.wait_text("SIGHUP: cannot re-read keytab %s after dropping privileges to nobody (" %
                        os.environ["KRB5_KTNAME"])
            s.wait_text("unreadable (Permission denied): check the path and its permissions); keeping the "
                        "credential loaded at start-up; restart to reload keys")
            s.wait_text("(keys from start-up)")
            for pkg in ("Negotiate", "Kerberos"):
                s.good_client(pkg, "echo", (1, 100, 1000))
            check(ids(s.pid)["Uid"] == [nobody.pw_uid] * 4, "ids changed after SIGHUP")
            print("uid/gid %d/%d, greet+echo over both packages, replay refused, SIGHUP kept the keys"
                  % (nobody.pw_uid, nobody.pw_gid))
    except Failure as e:
        print("FAIL privdrop: %s" % e)
        return 1
    finally:
        shutil.rmtree(rcdir, ignore_errors=True)
        shutil.rmtree(confdir, ignore_errors=True)
    print("PASS privdrop")
    return 0


if __name__ == "__main__":
    sys.exit(main())
