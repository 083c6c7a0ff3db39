#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server_daemon - sspix-server as a daemon: --daemon, the pid file, -t/-T, log priorities, systemd.

    server_daemon.py CASE SERVER_BINARY GOODCLIENT_BINARY

One CASE per ctest (e2e.server.daemon.CASE), against the realm fixture:

  daemon_relative_paths  --daemon with a relative --keytab, -c and --pid-file, started from a scratch
                         directory: the pid file is there, clients authenticate, SIGHUP reloads; the
                         starter exits with the start-up's status
  pid_file_symlink       a symbolic link where a temporary pid file could be created is never followed,
                         and a pid file that is a symbolic link is refused
  pid_file_live          a pid file held by a running server is refused; a stale one is replaced; the
                         pid file is removed at exit
  check_mode             -t runs the start-up's checks (a directory as -c, NTLM without users, a krb5.conf
                         the serving user cannot read, with and without --user); -T prints every setting;
                         duplicate keys and a UTF-8 BOM in the config file
  log_priorities         stderr lines carry an RFC 3339 UTC timestamp and the priority: success info,
                         failures warning, fatal errors error; under journald "<N>" and no timestamp
  syslog                 --log syslog in a private mount namespace whose /dev/log is a test socket: lines
                         in syslog(3)'s format with LOG_DAEMON priorities, delivered once the socket
                         appears and again after it is replaced (a restarted daemon); root only
  socket_activation      systemd-socket-activate passes 127.0.0.1 and [::1] sockets: both serve a client
  notify                 sd_notify: READY=1 once serving, RELOADING=1 and READY=1 around SIGHUP,
                         STOPPING=1 on SIGTERM, received on a test NOTIFY_SOCKET

Everything started is stopped by its recorded PID. Network: 127.0.0.1 and ::1 only. Standard library only.
"""
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_server import Failure, Server, check, connect, free_port, read_log, wait_closed  # noqa: E402

SERVER = GOOD = None
SKIP = 77
TIMEOUT = 20.0

STAMPED = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z sspix-server: (error|warning|notice|info): (.*)$")
SETTINGS = ("port bind package keytab spn mode protocol threads max-token max-message handshake-timeout max-legs "
            "max-connections idle-timeout allow-no-mutual log pid-file ntlm-users user shutdown-grace "
            "message-timeout max-per-address allow-weak-context replay-cache").split()


def run(cmd, env=None, cwd=None, preexec=None, timeout=60):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       cwd=cwd, preexec_fn=preexec, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")


def keytab_path():
    return os.environ["KRB5_KTNAME"].replace("FILE:", "", 1)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie child of ours is not alive
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_file(path, timeout=TIMEOUT, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            if text.endswith("\n"):
                return text
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def good(port, host="127.0.0.1", package="Negotiate", mode="greet", sizes=(), expect=0):
    cmd = [GOOD, host, str(port), "host/localhost", package, mode] + [str(s) for s in sizes]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    except subprocess.TimeoutExpired:
        raise Failure("good client %s: no answer within 30 s" % " ".join(cmd[1:]))
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    check(p.returncode == expect, "good client %s exited %d (expected %d): %s" % (" ".join(cmd[1:]), p.returncode,
                                                                               expect, out))
    return out


def kill_pid(pid):
    if pid and alive(pid):
        os.kill(pid, signal.SIGKILL)
        wait_gone(pid, 5)


def wait_text(path, text, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while text not in read_log(path):
        if time.monotonic() > deadline:
            raise Failure("no %r within %.0f s in:\n%s" % (text, timeout, read_log(path)[-3000:]))
        time.sleep(0.05)


# ---- --daemon -----------------------------------------------------------------------

def case_daemon_relative_paths():
    work = tempfile.mkdtemp(prefix="sspix-daemon.")
    name = "sspix-daemon-%d.pid" % os.getpid()
    pid = None
    try:
        shutil.copyfile(keytab_path(), os.path.join(work, "service.keytab"))
        with open(os.path.join(work, "server.conf"), "w") as f:
            f.write("mode = greet\n")
        env = dict(os.environ)
        env.pop("KRB5_KTNAME", None)  # the relative --keytab is the only key source
        log_path = os.path.join(work, "server.log")
        port = free_port()
        with open(log_path, "ab") as log:
            p = subprocess.Popen([SERVER, "--daemon", "--bind", "127.0.0.1", "--port", str(port), "--threads", "1",
                                  "--keytab", "service.keytab", "-c", "server.conf", "--pid-file", name],
                                 stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=work, env=env)
        rc = p.wait(60)
        check(rc == 0, "the starter exited %d:\n%s" % (rc, read_log(log_path)))
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            text = wait_file(os.path.join(work, name), timeout=0.1)
            # Where a daemon that resolved nothing against its start-up directory puts it.
            stray = wait_file("/" + name, timeout=0.1)
            if stray is not None:
                pid = int(stray)
                os.unlink("/" + name)
                raise Failure("the relative --pid-file landed in /: " + ("/" + name))
            if text is not None:
                break
        check(text is not None, "no pid file in the start-up directory:\n%s" % read_log(log_path))
        pid = int(text)
        check(pid != p.pid and alive(pid), "the pid file names %d, not a live daemon" % pid)
        # The relative keytab is read by the detached daemon: handshakes work.
        out = good(port)
        check(out.startswith("Hello alice@"), "greeting: %r" % out)
        # The relative -c is read again on SIGHUP.
        with open(os.path.join(work, "server.conf"), "w") as f:
            f.write("mode = echo\n")
        os.kill(pid, signal.SIGHUP)
        wait_text(log_path, "reloaded")
        check("reload failed" not in read_log(log_path), read_log(log_path))
        good(port, mode="echo", sizes=(1, 100))
        os.kill(pid, signal.SIGTERM)
        check(wait_gone(pid), "the daemon ignored SIGTERM")
        check(not os.path.exists(os.path.join(work, name)), "pid file left behind")
        pid = None

        # A start-up that fails after detaching fails the command that started it.
        rc, out = run([SERVER, "--daemon", "--bind", "127.0.0.1", "--port", str(port), "--keytab",
                       "no-such.keytab"], env=env, cwd=work)
        check(rc == 2 and os.path.join(work, "no-such.keytab") in out, "a failed daemon start: %d %s" % (rc, out))
        print("daemon: relative keytab, config and pid file resolved against %s; reload ok; failed start exits 2"
              % work)
    finally:
        kill_pid(pid)
        shutil.rmtree(work, ignore_errors=True)


# ---- the pid file -----------------------------------------------------------------------

def case_pid_file_symlink():
    d = tempfile.mkdtemp(prefix="sspix-pidfile.")
    try:
        os.chmod(d, 0o1777)  # a directory others may write, as /tmp
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        pid_path = os.path.join(d, "server.pid")
        # The name the pid file used to be written through first.
        os.symlink(victim, pid_path + ".tmp")
        s = Server(SERVER, "--threads", "1", goodclient=GOOD)
        s.pid_path = pid_path
        try:
            s.start()
            s.good_client()
            with open(victim) as f:
                got = f.read()
            check(got == "precious\n", "the pid file was written through a symbolic link: victim now %r" % got)
            check(os.path.islink(pid_path + ".tmp"), "the planted link was replaced")
            check(not os.path.islink(pid_path), "the pid file is a symbolic link")
        finally:
            s.stop()
            s.kill()
        # A pid file that is itself a symbolic link is refused, not followed.
        os.unlink(pid_path + ".tmp")
        if os.path.lexists(pid_path):
            os.unlink(pid_path)
        os.symlink(victim, pid_path)
        rc, out = run([SERVER, "--bind", "127.0.0.1", "--port", str(free_port()), "--threads", "1", "--pid-file",
                       pid_path], timeout=60)
        check(rc == 2 and "symbolic link" in out, "a symlinked pid file: %d %s" % (rc, out))
        with open(victim) as f:
            check(f.read() == "precious\n", "the victim was written")
        print("pid file: no link followed; a symlinked pid file refused")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def case_pid_file_live():
    with Server(SERVER, "--threads", "1", goodclient=GOOD) as a:
        port = free_port()
        log_path = os.path.join(a.dir, "second.log")
        with open(log_path, "ab") as log:
            b = subprocess.Popen([SERVER, "--bind", "127.0.0.1", "--port", str(port), "--threads", "1",
                                  "--pid-file", a.pid_path], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            rc = b.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        if rc is None:
            b.kill()
            b.wait()
            raise Failure("a second server took over the live pid file %s:\n%s" % (a.pid_path, read_log(log_path)))
        out = read_log(log_path)
        check(rc == 2 and "held by a running sspix-server (pid %d)" % a.pid in out, "second start: %d %s" % (rc, out))
        with open(a.pid_path) as f:
            check(int(f.read()) == a.pid, "the live pid file was rewritten")
        a.good_client()
    check(not os.path.exists(a.pid_path), "pid file left behind at exit")

    # A stale pid file (nobody holds it) is replaced.
    d = tempfile.mkdtemp(prefix="sspix-pidfile.")
    try:
        s = Server(SERVER, "--threads", "1", goodclient=GOOD)
        s.pid_path = os.path.join(d, "stale.pid")
        with open(s.pid_path, "w") as f:
            f.write("%d\n" % os.getpid())  # a live process, but no sspix-server holding the file
        # Started here, not with s.start(), which removes an existing pid file first.
        s.port = free_port()
        log = open(s.log_path, "ab")
        s.proc = subprocess.Popen([SERVER, "--bind", "127.0.0.1", "--port", str(s.port), "--threads", "1",
                                   "--pid-file", s.pid_path], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and s.proc.poll() is None:
            with open(s.pid_path) as f:
                if f.read().strip() == str(s.proc.pid):
                    break
            time.sleep(0.05)
        check(s.proc.poll() is None, "a stale pid file stopped the start:\n%s" % s.log())
        with open(s.pid_path) as f:
            check(f.read() == "%d\n" % s.proc.pid, "the stale pid file was not replaced")
        s.pid = s.proc.pid
        s.good_client()
        check(s.stop() == 0, "exit status")
        check(not os.path.exists(s.pid_path), "pid file left behind at exit")
        print("pid file: a live one refused, a stale one replaced, removed at exit")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- -t and -T ----------------------------------------------------------------------------

def case_check_mode():
    d = tempfile.mkdtemp(prefix="sspix-check.")
    try:
        os.chmod(d, 0o755)
        # -c a directory
        rc, out = run([SERVER, "-t", "-c", d])
        check(rc == 1 and "not a regular file" in out and "configuration OK" not in out, "-c DIR: %d %s" % (rc, out))
        # NTLM with no users file: no logon could succeed.
        rc, out = run([SERVER, "-t", "--package", "NTLM"])
        check(rc == 1 and "--ntlm-users" in out and "configuration OK" not in out, "NTLM, no users: %d %s" % (rc, out))
        rc, out = run([SERVER, "--package", "NTLM", "--bind", "127.0.0.1", "--port", str(free_port())], timeout=60)
        check(rc == 1 and "--ntlm-users" in out, "start, NTLM, no users: %d %s" % (rc, out))
        # Duplicate keys, with file:line; a BOM is skipped.
        conf = os.path.join(d, "dup.conf")
        with open(conf, "w") as f:
            f.write("port = 3001\nmode = echo\nport = 3002\n")
        rc, out = run([SERVER, "-t", "-c", conf])
        check(rc == 1 and conf + ":3: port is set twice (first on line 1)" in out, "duplicate: %d %s" % (rc, out))
        with open(conf, "wb") as f:
            f.write(b"\xef\xbb\xbfport = 3003\nmode=echo\n")
        rc, out = run([SERVER, "-T", "-c", conf, "--threads", "3"])
        check(rc == 0, "-T with a BOM: %d %s" % (rc, out))
        lines = dict(l.split(" ", 1) for l in out.splitlines() if " " in l)
        for key in SETTINGS:
            check(key in lines, "-T lacks %s:\n%s" % (key, out))
        check(lines["port"] == "3003" and lines["mode"] == "echo" and lines["threads"] == "3",
              "-T values: %s" % out)
        check(len(out.splitlines()) == len(SETTINGS), "-T prints one line per setting:\n" + out)
        # Relative paths are shown absolute.
        rc, out = run([SERVER, "-T", "--pid-file", "x.pid", "--keytab", "FILE:kt"], cwd=d)
        check("pid-file %s/x.pid\n" % d in out and "keytab FILE:%s/kt\n" % d in out, "-T paths: %s" % out)

        # A krb5.conf that the user serving cannot read: without --user that is whoever runs it.
        if os.geteuid() != 0:
            print("not root: the krb5.conf readability checks are skipped")
            return
        nobody = pwd.getpwnam("nobody")
        rcdir = os.path.join(d, "rcache")
        os.mkdir(rcdir)
        os.chmod(rcdir, 0o1777)
        kt = os.path.join(d, "service.keytab")
        shutil.copyfile(keytab_path(), kt)
        os.chown(kt, nobody.pw_uid, nobody.pw_gid)
        secret_conf = os.path.join(d, "krb5.conf")
        shutil.copyfile(os.environ["KRB5_CONFIG"], secret_conf)
        os.chmod(secret_conf, 0o600)  # root's only
        env = dict(os.environ, KRB5_CONFIG=secret_conf, KRB5RCACHEDIR=rcdir, KRB5_KTNAME="FILE:" + kt)

        def as_nobody():
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
        rc, out = run([SERVER, "-t"], env=env, preexec=as_nobody)
        check(rc == 2 and "not readable by nobody" in out and "configuration OK" not in out,
              "-t as nobody, krb5.conf unreadable: %d %s" % (rc, out))
        rc, out = run([SERVER, "--bind", "127.0.0.1", "--port", str(free_port()), "--threads", "1"], env=env,
                      preexec=as_nobody)
        check(rc == 2 and "not readable by nobody" in out, "start as nobody, krb5.conf unreadable: %d %s" % (rc, out))
        # With --user: the same check as NAME, and no "OK" before it fails.
        rc, out = run([SERVER, "-t", "--user", "nobody"], env=env)
        check(rc == 2 and "not readable by nobody" in out and "configuration OK" not in out,
              "-t --user nobody, krb5.conf unreadable: %d %s" % (rc, out))
        os.chmod(secret_conf, 0o644)
        rc, out = run([SERVER, "-t", "--user", "nobody"], env=env)
        check(rc == 0 and "configuration OK" in out and "would drop privileges" in out, "-t --user: %d %s" % (rc, out))
        print("-t: directory, NTLM without users, unreadable krb5.conf (with and without --user); -T; BOM; dups")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- log priorities ---------------------------------------------------------------------------

def case_log_priorities():
    with Server(SERVER, "--threads", "1", goodclient=GOOD) as s:
        s.good_client()
        c = connect(s.port)
        c.sendall(b"\x05\x00\x00\x00hello")  # not a token: the handshake fails
        wait_closed(c)
        c.close()
        s.wait_log(lambda l: "outcome=SEC_E_" in l and "outcome=SEC_E_OK" not in l, what="a failed handshake")
    lines = s.log().splitlines()
    levels = {}
    for line in lines:
        if "sspix-server:" not in line:
            continue  # a sanitizer's report of suppressions at exit
        m = STAMPED.match(line)
        check(m is not None, "a stderr line without an RFC 3339 UTC timestamp and priority: %r" % line)
        levels.setdefault(m.group(1), []).append(m.group(2))
    ok = [t for t in levels.get("info", []) if t.startswith("peer=") and "outcome=SEC_E_OK" in t]
    bad = [t for t in levels.get("warning", []) if t.startswith("peer=") and "outcome=SEC_E_" in t]
    check(ok, "no info line for the good client: %s" % levels)
    check(bad, "no warning line for the failed handshake: %s" % levels)
    check(not [t for t in levels.get("info", []) if t.startswith("peer=") and "outcome=SEC_E_OK" not in t],
          "a failure logged as info: %s" % levels)
    check(any(t.startswith("listening on") for t in levels.get("info", [])), "listening: %s" % levels)
    check(any(t == "stopped" for t in levels.get("info", [])), "stopped: %s" % levels)

    # A refusal and a handshake deadline are warnings.
    with Server(SERVER, "--threads", "1", "--max-connections", "1", "--handshake-timeout", "2",
                goodclient=GOOD) as s:
        held = connect(s.port)
        time.sleep(0.3)
        c = connect(s.port)
        wait_closed(c)
        c.close()
        s.wait_log(lambda l: "outcome=max_connections" in l, what="a refusal")
        s.wait_log(lambda l: "outcome=deadline" in l, what="a handshake deadline")
        held.close()
        check(re.search(r"Z sspix-server: warning: peer=\S+ .*outcome=max_connections", s.log()), s.log())
        check(re.search(r"Z sspix-server: warning: peer=\S+ .*outcome=deadline", s.log()), s.log())

    # A fatal start-up error is an error.
    rc, out = run([SERVER, "--bind", "127.0.0.1", "--port", str(free_port()), "--keytab", "FILE:/nonexistent/kt"])
    check(rc == 2 and re.search(r"Z sspix-server: error: cannot acquire", out), "fatal: %d %s" % (rc, out))

    # Under journald: "<priority>text", no timestamp, no name (the journal adds both).
    d = tempfile.mkdtemp(prefix="sspix-journal.")
    try:
        log_path = os.path.join(d, "journal.log")
        log = open(log_path, "ab")
        st = os.fstat(log.fileno())
        env = dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino))
        port = free_port()
        p = subprocess.Popen([SERVER, "--bind", "127.0.0.1", "--port", str(port), "--threads", "1"],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
        log.close()
        try:
            wait_text(log_path, "listening on")
            good(port)
            c = connect(port)
            c.sendall(b"\x05\x00\x00\x00hello")
            wait_closed(c)
            c.close()
            deadline = time.monotonic() + TIMEOUT
            while "<4>peer=" not in read_log(log_path) and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(TIMEOUT)
        text = read_log(log_path)
        check(rc == 0, "exit %d" % rc)
        check(re.search(r"^<6>listening on ", text, re.M) and re.search(r"^<6>peer=.*outcome=SEC_E_OK", text, re.M)
              and re.search(r"^<4>peer=.*outcome=SEC_E_", text, re.M), "journal lines:\n" + text)
        check(not re.search(r"\d{4}-\d\d-\d\dT\d\d:", text), "a timestamp under journald:\n" + text)
        # A fatal error under journald: priority 3.
        with open(log_path, "ab") as log:
            st = os.fstat(log.fileno())
            p = subprocess.run([SERVER, "--bind", "127.0.0.1", "--port", str(free_port()), "--keytab",
                                "FILE:/nonexistent/kt"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                               env=dict(os.environ, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino)), timeout=60)
        check(p.returncode == 2 and re.search(r"^<3>cannot acquire ", read_log(log_path), re.M),
              "fatal under journald: %d\n%s" % (p.returncode, read_log(log_path)))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("priorities: success info, failures and refusals warning, fatal error; journald <N> without timestamps")


# ---- --log syslog ----------------------------------------------------------------------------------

# Run the server in a private mount namespace whose /dev/log is a symbolic link to a test socket: a small
# tmpfs /dev with the host's null, zero, random, urandom and full bound into it.
NS_SCRIPT = r"""
set -e
sock=$1; shift
old=$(mktemp -d)
mount --rbind /dev "$old"
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero random urandom full; do touch /dev/$n; mount --bind "$old/$n" /dev/$n; done
ln -s "$sock" /dev/log
exec "$@"
"""


def syslog_lines(sock, want, timeout=TIMEOUT):
    """Datagrams from sock until one matches the regular expression want; returns them all."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            got.append(sock.recv(65536).decode("utf-8", "replace"))
        except socket.timeout:
            break
        if re.search(want, got[-1]):
            return got
    raise Failure("no syslog line matching %r; got:\n%s" % (want, "\n".join(got)))


def case_syslog():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("SKIP: needs root and unshare (util-linux) for a private /dev/log")
        return SKIP
    d = tempfile.mkdtemp(prefix="sspix-syslog.")
    path = os.path.join(d, "log.sock")
    stamp = r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d"
    try:
        port = free_port()
        log_path = os.path.join(d, "stderr.log")
        log = open(log_path, "ab")
        # No daemon yet: lines are dropped, the service works.
        p = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", NS_SCRIPT, "sh", path,
                              SERVER, "--bind", "127.0.0.1", "--port", str(port), "--threads", "1", "--log",
                              "syslog"], stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        try:
            wait_text(log_path, "listening on")
            good(port)
            pid = p.pid
            head = r"^<%%d>%s sspix-server\[%d\]: " % (stamp, pid)
            # The daemon appears: within a second or so the server finds it.
            rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            rx.bind(path)
            deadline = time.monotonic() + TIMEOUT
            got = []
            while time.monotonic() < deadline:
                good(port)
                rx.settimeout(0.3)
                try:
                    got.append(rx.recv(65536).decode("utf-8", "replace"))
                    break
                except socket.timeout:
                    continue
            check(got and re.search((head % 30) + r"peer=127\.0\.0\.1:\d+ client=alice@\S+ .*outcome=SEC_E_OK",
                                    got[0]), "first line once the daemon is there: %r" % got)
            # A failed handshake is a warning (LOG_DAEMON | LOG_WARNING = 28).
            c = connect(port)
            c.sendall(b"\x05\x00\x00\x00hello")
            wait_closed(c)
            c.close()
            syslog_lines(rx, (head % 28) + r"peer=127\.0\.0\.1:\d+ .*outcome=SEC_E_")
            # The daemon restarts (a new socket at the same name): the next line reaches it.
            rx.close()
            os.unlink(path)
            rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            rx.bind(path)
            good(port)
            syslog_lines(rx, (head % 30) + r"peer=127\.0\.0\.1:\d+ client=alice@\S+ .*outcome=SEC_E_OK")
        finally:
            p.send_signal(signal.SIGTERM)
            rc = p.wait(TIMEOUT)
        check(rc == 0, "exit %d:\n%s" % (rc, read_log(log_path)))
        syslog_lines(rx, (head % 30) + r"stopped$")
        rx.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print("syslog: one datagram per line in syslog(3)'s format; found once it appears, again after a restart")


# ---- systemd --------------------------------------------------------------------------------------

def case_socket_activation():
    activate = shutil.which("systemd-socket-activate")
    if activate is None:
        print("SKIP: no systemd-socket-activate (Debian package systemd)")
        return SKIP
    has_v6 = socket.has_ipv6
    try:
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM).close()
    except OSError:
        has_v6 = False
    d = tempfile.mkdtemp(prefix="sspix-activate.")
    proc = None
    try:
        log_path = os.path.join(d, "server.log")
        p4, p6 = free_port(), free_port()
        listen = ["-l", "127.0.0.1:%d" % p4] + (["-l", "[::1]:%d" % p6] if has_v6 else [])
        # systemd-socket-activate passes on only the variables it is told to.
        env_args = []
        for var in ("KRB5_CONFIG", "KRB5_KTNAME", "KRB5RCACHEDIR", "KRB5CCNAME", "ASAN_OPTIONS", "UBSAN_OPTIONS",
                    "LSAN_OPTIONS", "PATH"):
            if var in os.environ:
                env_args.append("--setenv=%s=%s" % (var, os.environ[var]))
        log = open(log_path, "ab")
        # --port and --bind name something else: the inherited sockets are served instead.
        proc = subprocess.Popen([activate] + listen + env_args + [SERVER, "--threads", "2", "--bind", "127.0.0.1",
                                                                 "--port", str(free_port())],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        # It binds, says so, and starts the program when the first connection arrives: connect once it listens.
        wait_text(log_path, "Listening on 127.0.0.1:%d" % p4)
        if has_v6:
            wait_text(log_path, "Listening on [::1]:%d" % p6)
        out = good(p4)
        check(out.startswith("Hello alice@"), "greeting over IPv4: %r" % out)
        wait_text(log_path, "socket activation: serving %d inherited socket" % (2 if has_v6 else 1))
        text = read_log(log_path)
        check("127.0.0.1:%d" % p4 in text and "--bind and --port are not used" in text, text)
        if has_v6:
            check("[::1]:%d" % p6 in text, text)
            out = good(p6, host="::1")
            check(out.startswith("Hello alice@"), "greeting over IPv6: %r" % out)
            good(p6, host="::1", package="Kerberos")
        good(p4, package="Kerberos")
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(TIMEOUT)
        check(rc == 0, "exit %d after SIGTERM:\n%s" % (rc, read_log(log_path)))
        print("socket activation: served 127.0.0.1:%d%s" % (p4, " and [::1]:%d" % p6 if has_v6 else ""))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc is not None and proc.returncode not in (0, None):
            print(read_log(os.path.join(d, "server.log"))[-3000:])
        shutil.rmtree(d, ignore_errors=True)


def case_notify():
    d = tempfile.mkdtemp(prefix="sspix-notify.")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        path = os.path.join(d, "notify")
        sock.bind(path)
        sock.settimeout(TIMEOUT)
        os.environ["NOTIFY_SOCKET"] = path
        try:
            s = Server(SERVER, "--threads", "1", goodclient=GOOD).start()
        finally:
            del os.environ["NOTIFY_SOCKET"]
        try:
            def expect(field, what):
                deadline = time.monotonic() + TIMEOUT
                while time.monotonic() < deadline:
                    try:
                        msg = sock.recv(4096).decode()
                    except socket.timeout:
                        break
                    if field in msg.split("\n"):
                        return msg
                raise Failure("no %s (%s) on NOTIFY_SOCKET; log:\n%s" % (field, what, s.log()[-3000:]))
            msg = expect("READY=1", "once serving")
            check("MAINPID=%d" % s.pid in msg and "STATUS=listening on 127.0.0.1:%d" % s.port in msg, msg)
            # READY comes once the server serves.
            s.good_client()
            s.signal(signal.SIGHUP)
            expect("RELOADING=1", "SIGHUP")
            msg = expect("READY=1", "after the reload")
            check("STATUS=listening" in msg, msg)
            s.signal(signal.SIGTERM)
            expect("STOPPING=1", "SIGTERM")
            check(s.proc.wait(TIMEOUT) == 0, "exit status")
        finally:
            s.kill()
        print("notify: READY=1, RELOADING=1 then READY=1, STOPPING=1")
    finally:
        sock.close()
        shutil.rmtree(d, ignore_errors=True)


def case_keytab_follow():
    """Keys are read into memory and follow the keytab file: a handshake for a principal the file lacks fails;
    once a keytab holding it replaces the file, the server reads it again within about two seconds and says so,
    and the handshake succeeds. Keys are exported with -norandkey: the realm's keys stay as they are."""
    d = tempfile.mkdtemp(prefix="sspix-ktfollow.")
    try:
        kt, kt2 = os.path.join(d, "kt"), os.path.join(d, "kt2")

        def export(path, *princs):
            p = subprocess.run(["/usr/sbin/kadmin.local", "-q", "ktadd -norandkey -k %s %s" % (path, " ".join(princs))],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
            check(p.returncode == 0 and os.path.exists(path), "kadmin.local ktadd: %s" % p.stdout.decode())
        export(kt, "ADSockAuth/localhost/sspix")
        with Server(SERVER, "--threads", "2", "--package", "Kerberos", "--keytab", "FILE:" + kt,
                    goodclient=GOOD) as s:
            rc, _, _ = s.good_client("Kerberos", expect=None)
            check(rc != 0, "a handshake for host/localhost with no key for it succeeded")
            export(kt2, "host/localhost", "ADSockAuth/localhost/sspix")
            os.replace(kt2, kt)
            s.wait_text("keytab %s changed: keys read again" % kt, timeout=20.0)
            _, out, _ = s.good_client("Kerberos")
            check(out.startswith("Hello alice@"), "greeting after the keytab changed: %r" % out)
            # A keytab that vanishes keeps the keys read before.
            os.unlink(kt)
            s.wait_text("keytab %s is gone: keeping the keys read before" % kt, timeout=20.0)
            _, out, _ = s.good_client("Kerberos")
            check(out.startswith("Hello alice@"), "greeting after the keytab vanished: %r" % out)
        print("keys followed the keytab file; a vanished keytab kept the keys")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    global SERVER, GOOD
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    case, SERVER, GOOD = sys.argv[1], sys.argv[2], sys.argv[3]
    fn = globals().get("case_" + case)
    if fn is None:
        print("unknown case " + case)
        return 2
    try:
        rc = fn()
    except Failure as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    if rc == SKIP:
        return SKIP
    print("PASS " + case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
