#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server_e2e - end-to-end tests of sspix-server against the throwaway realm.

    server_e2e.py CASE SERVER_BINARY GOODCLIENT_BINARY

One CASE per ctest (e2e.server.CASE). Each starts its own sspix-server on a
free 127.0.0.1 port (--pid-file), drives it with raw sockets and with a good
client (server_goodclient), and stops it by PID. Hostile cases check that a
good client still succeeds afterwards and that the server's fd count comes
back to where it was. Standard library only.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_server import Failure, Server, check, connect, frame, wait_closed  # noqa: E402

SERVER = GOOD = None

# SPNEGO NegTokenInit offering krb5 without an optimistic token: the acceptor
# answers with a continue (a NegTokenResp choosing krb5).
NEG_INIT_NO_TOKEN = bytes.fromhex("601b06062b0601050502a011300fa00d300b06092a864886f712010202")


def server(*args):
    return Server(SERVER, "--threads", "2", *args, goodclient=GOOD)


def hostile(action, *args):
    """Run action(server) between two good clients; the fd count must come back."""
    with server(*args) as s:
        s.good_client()
        time.sleep(0.2)
        base = s.fds()
        action(s)
        s.good_client()
        n = s.wait_fds(base)
        print("fds: %d before, %d after" % (base, n))


def expect_closed(s, payload, outcome, timeout=20.0):
    n_before = len(s.conn_lines())
    c = connect(s.port)
    try:
        if payload:
            c.sendall(payload)
        got, secs = wait_closed(c, timeout)
    finally:
        c.close()
    check(got == b"", "the server answered %r to hostile input" % got[:64])
    line = s.wait_log(lambda l: "outcome=" + outcome in l and l not in s.conn_lines()[:n_before],
                      what="outcome=" + outcome)
    print("closed after %.2f s: %s" % (secs, line))
    return line


# ---- good sessions ------------------------------------------------------------

def case_greet_negotiate():
    with server("--package", "Negotiate") as s:
        for pkg in ("Negotiate", "Kerberos"):  # Negotiate also takes raw Kerberos
            _, out, _ = s.good_client(pkg)
            check(out.startswith("Hello alice@") and "you are talking to host/localhost@" in out
                  and out.rstrip().endswith("over Kerberos"), "greeting: %r" % out)
        line = s.wait_log(lambda l: "outcome=SEC_E_OK" in l)
        for field in ("client=alice@", "package=Kerberos", "mutual=yes", "legs=2", "ms=", "mode=greet"):
            check(field in line, "log line lacks %s: %s" % (field, line))
        print(out.strip())


def case_greet_kerberos():
    with server("--package", "Kerberos") as s:
        _, out, _ = s.good_client("Kerberos")
        check("over Kerberos" in out, "greeting: %r" % out)
        # A Kerberos-only server refuses SPNEGO.
        s.good_client("Negotiate", expect=None)
        s.wait_log(lambda l: "outcome=SEC_E_OK" in l)
        print(out.strip())


def echo(pkg):
    with server("--package", pkg, "--mode", "echo") as s:
        _, out, _ = s.good_client(pkg, "echo", (0, 1, 65536))
        check(out.count("ok") == 3, out)
        s.wait_log(lambda l: "mode=echo messages=3" in l and "outcome=SEC_E_OK" in l)
        rc, out, err = s.good_client(pkg, "echo", (5, 65537), expect=3)
        check("echo 5 bytes ok" in out and "closed instead of echoing 65537" in err, out + err)
        line = s.wait_log(lambda l: "outcome=too_long" in l)
        print(line)
        s.good_client(pkg, "echo", (10,))


def case_echo_negotiate():
    echo("Negotiate")


def case_echo_kerberos():
    echo("Kerberos")


def case_echo_blocked_reply():
    """Echo replies larger than the socket takes at once, to a reader that drains them slowly: the server
    waits for room (its write event) and sends the rest; every echo arrives and nothing leaks."""
    with server("--mode", "echo") as s:
        s.good_client("Negotiate", "echo", (10,))
        time.sleep(0.2)
        base = s.fds()
        lsock = socket.socket()
        lsock.bind(("127.0.0.1", 0))
        lsock.listen(1)
        errors = []

        def proxy():
            try:
                c, _ = lsock.accept()
                up = socket.socket()
                up.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window: the server's send fills
                up.connect(("127.0.0.1", s.port))

                def to_server():
                    while True:
                        d = c.recv(65536)
                        if not d:
                            up.shutdown(socket.SHUT_WR)
                            return
                        up.sendall(d)
                t = threading.Thread(target=to_server, daemon=True)
                t.start()
                while True:  # server -> client in small slices, slowly
                    d = up.recv(2048)
                    if not d:
                        break
                    c.sendall(d)
                    time.sleep(0.003)
                c.shutdown(socket.SHUT_WR)  # the server's FIN, passed on; to_server ends at the client's
                t.join(30)
                c.close()
                up.close()
            except OSError as e:
                errors.append(e)

        pt = threading.Thread(target=proxy, daemon=True)
        pt.start()
        cmd = [GOOD, "127.0.0.1", str(lsock.getsockname()[1]), "host/localhost", "Negotiate", "echo", "65536",
               "65536", "1000"]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
        pt.join(30)
        lsock.close()
        check(p.returncode == 0 and out.count("ok") == 3, "good client through the slow reader: %d %s" % (
            p.returncode, out))
        check(not errors, "proxy: %s" % errors)
        line = s.wait_log(lambda l: "mode=echo messages=3" in l and "outcome=SEC_E_OK" in l)
        s.good_client("Negotiate", "echo", (10,))
        n = s.wait_fds(base)
        print("%s; fds: %d before, %d after" % (line, base, n))


def case_concurrent300():
    with server() as s:
        s.good_client()  # the service ticket is in the ccache before the crowd comes
        cmd = [GOOD, "127.0.0.1", str(s.port), "host/localhost", "Negotiate", "greet"]
        t0 = time.monotonic()
        procs = [subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(300)]
        bad = []
        for p in procs:
            out, err = p.communicate(timeout=300)
            if p.returncode != 0 or b"Hello alice@" not in out:
                bad.append((p.returncode, err[-300:]))
        secs = time.monotonic() - t0
        check(not bad, "%d of 300 clients failed, e.g. %r" % (len(bad), bad[:3]))
        ok = [l for l in s.conn_lines() if "outcome=SEC_E_OK" in l]
        check(len(ok) >= 301, "%d successful log lines" % len(ok))
        print("300 clients: all succeeded in %.2f s; server RSS %d KiB" % (secs, s.rss_kib()))


# ---- hostile input --------------------------------------------------------------

def case_hostile_too_long():
    hostile(lambda s: expect_closed(s, (65537).to_bytes(4, "little") + b"\x60" * 100, "too_long"))


def case_hostile_ffffffff():
    hostile(lambda s: expect_closed(s, b"\xff\xff\xff\xff", "too_long"))


def case_hostile_truncated():
    def act(s):
        c = connect(s.port)
        c.sendall((1000).to_bytes(4, "little") + b"\x60\x82\x03\xe4" + b"A" * 100)
        c.shutdown(socket.SHUT_WR)
        wait_closed(c)
        c.close()
        print(s.wait_log(lambda l: "outcome=truncated" in l))
    hostile(act)


def case_hostile_random():
    def act(s):
        # Raw random bytes (no framing: the first four are a length) ...
        for _ in range(5):
            c = connect(s.port)
            try:
                c.sendall(os.urandom(4096))
                c.shutdown(socket.SHUT_WR)
            except (BrokenPipeError, ConnectionResetError):
                pass
            wait_closed(c)
            c.close()
        # ... and random bytes as a token in valid framing.
        for n in (1, 16, 300, 4000):
            expect_closed(s, frame(os.urandom(n)), "SEC_E_")
    hostile(act)


def case_hostile_garbage():
    tokens = [
        b"\x60\x81\xc5\x06\x06\x2b\x06\x01\x05\x05\x02" + os.urandom(190),           # SPNEGO OID, junk
        b"\x60\x81\xc5\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01\x00" + os.urandom(185),  # krb5 AP-REQ id
        b"\x60\x84\xff\xff\xff\xff\x06\x06\x2b\x06\x01\x05\x05\x02",                  # absurd DER length
        b"\xa1\x05\x30\x03\x0a\x01\x01",                                             # a bare NegTokenResp
        b"NTLMSSP\x00\x01\x00\x00\x00" + b"\x00" * 20,                                 # NTLM negotiate
        b"\x00" * 64,
    ]
    def act(s):
        for tok in tokens:
            line = expect_closed(s, frame(tok), "SEC_E_")
            check('reason="' in line, "no reason in " + line)
    hostile(act)


def case_hostile_max_legs():
    def act(s):
        c = connect(s.port)
        c.sendall(frame(NEG_INIT_NO_TOKEN))
        c.settimeout(20)
        hdr = c.recv(4)
        if len(hdr) == 4:
            # A continue came back: the second client token is one leg too many.
            n = int.from_bytes(hdr, "little")
            body = b""
            while len(body) < n:
                body += c.recv(n - len(body))
            c.sendall(frame(NEG_INIT_NO_TOKEN))
            got, _ = wait_closed(c)
            check(got == b"", "answered after max legs")
            print(s.wait_log(lambda l: "outcome=max_legs" in l))
        else:
            raise Failure("the acceptor did not continue on a NegTokenInit without a token:\n" + s.log()[-2000:])
        c.close()
    hostile(act, "--max-legs", "2")


def case_hostile_slowloris():
    def act(s):
        c = connect(s.port)
        t0 = time.monotonic()
        c.settimeout(1.0)
        closed = False
        payload = (200).to_bytes(4, "little") + b"\x60" * 200
        for b in payload:
            try:
                c.send(bytes([b]))
                if c.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if time.monotonic() - t0 > 30:
                break
        secs = time.monotonic() - t0
        c.close()
        check(closed, "still open after %.1f s of 1 byte/s" % secs)
        check(secs >= 1.5, "closed after %.1f s, before the 2 s deadline" % secs)
        print("closed after %.1f s: %s" % (secs, s.wait_log(lambda l: "outcome=deadline" in l)))
    hostile(act, "--handshake-timeout", "2")


def case_hostile_silent():
    def act(s):
        line = expect_closed(s, b"", "deadline")
        check("legs=0" in line, line)
    hostile(act, "--handshake-timeout", "2")


def case_hostile_killed_client():
    child = r"""
import socket, sys, time
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall((500).to_bytes(4, "little") + b"\x60\x82\x01\xf0" + b"B" * 100)
print("sent", flush=True)
time.sleep(120)
"""
    def act(s):
        p = subprocess.Popen([sys.executable, "-c", child, str(s.port)], stdout=subprocess.PIPE)
        check(p.stdout.readline().strip() == b"sent", "the child did not connect")
        time.sleep(0.2)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        print(s.wait_log(lambda l: "outcome=truncated" in l))
    hostile(act)


def case_hostile_replay():
    def act(s):
        cap = os.path.join(s.dir, "capture")
        s.good_client("Negotiate", capture=cap)
        with open(cap, "rb") as f:
            data = f.read()
        n = int.from_bytes(data[:4], "little")
        first = data[:4 + n]
        check(len(first) == 4 + n and n > 100, "capture too short")
        line = expect_closed(s, first, "SEC_E_")
        check("replay" in line.lower(), "not logged as a replay: " + line)
    hostile(act)


def case_hostile_flood5000():
    def act(s):
        t0 = time.monotonic()
        errors = [0]

        def worker(count, linger):
            for _ in range(count):
                try:
                    c = socket.socket()
                    if linger:
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    c.connect(("127.0.0.1", s.port))
                    c.close()
                except OSError:
                    errors[0] += 1
        threads = [threading.Thread(target=worker, args=(1250, i % 2)) for i in range(4)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        secs = time.monotonic() - t0
        check(errors[0] < 50, "%d connects failed" % errors[0])
        deadline = time.monotonic() + 60
        while len(s.conn_lines()) < 5000 - errors[0] and time.monotonic() < deadline:
            time.sleep(0.1)
        print("5000 connections opened and dropped in %.2f s (%d connect errors); %d log lines; RSS %d KiB"
              % (secs, errors[0], len(s.conn_lines()), s.rss_kib()))
    hostile(act)


# ---- process behaviour ----------------------------------------------------------

def run(cmd, env=None):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       timeout=60)
    return p.returncode, p.stdout.decode() + p.stderr.decode()


def case_startup():
    rc, out = run([SERVER, "-t"])
    check(rc == 0 and "configuration OK" in out, out)
    rc, out = run([SERVER, "-t", "--keytab", "/nonexistent/keytab"])
    check(rc == 2 and "nonexistent" in out, "missing keytab: %d %s" % (rc, out))
    rc, out = run([SERVER, "-t", "--spn", "nosuch/service"])
    check(rc == 2 and "nosuch/service" in out, "unknown SPN: %d %s" % (rc, out))
    rc, out = run([SERVER, "--port", "0"])
    check(rc == 1 and "port" in out, "bad port: %d %s" % (rc, out))
    rc, out = run([SERVER, "--bogus"])
    check(rc == 1, "unknown option: %d" % rc)
    rc, out = run([SERVER, "--help"])
    check(rc == 0 and "--max-legs" in out, "help")
    rc, out = run([SERVER, "--version"])
    check(rc == 0 and "sspix-server" in out, "version")
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("mode = chat\n")
        f.flush()
        rc, out = run([SERVER, "-t", "--config", f.name])
        check(rc == 1 and ":1: mode" in out, "bad config: %d %s" % (rc, out))
    # The port is taken: exit 2.
    with server() as s:
        rc, out = run([SERVER, "--bind", "127.0.0.1", "--port", str(s.port), "--threads", "1"])
        check(rc == 2 and "in use" in out, "port in use: %d %s" % (rc, out))
        s.good_client()
    print("exit codes ok")


def case_sigterm_grace():
    s = server("--handshake-timeout", "30").start()
    try:
        s.good_client()
        c = connect(s.port)
        c.sendall(b"\x10\x00")  # a handshake in flight
        time.sleep(0.3)
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        rc = s.proc.wait(20)
        secs = time.monotonic() - t0
        check(rc == 0, "exit %d" % rc)
        check(3.0 <= secs <= 15.0, "stopped after %.1f s, not after the 5 s grace" % secs)
        got, _ = wait_closed(c)
        c.close()
        check("outcome=shutdown" in s.log(), s.log())
        check(not os.path.exists(s.pid_path), "pid file left behind")
        print("stopped %.1f s after SIGTERM with a handshake in flight" % secs)
    finally:
        s.kill()


def case_reload():
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("# greet first\nmode = greet\n")
    conf.close()
    try:
        with server("--config", conf.name) as s:
            s.good_client()
            held = connect(s.port)  # a connection of the first generation
            with open(conf.name, "w") as f:
                f.write("mode = echo\nmax-message = 100\n")
            s.signal(signal.SIGHUP)
            s.wait_text("reloaded")
            s.good_client("Negotiate", "echo", (100,))
            s.good_client("Negotiate", "echo", (101,), expect=3)
            held.close()
            # A bad config is refused and the running one kept.
            with open(conf.name, "w") as f:
                f.write("mode = chat\n")
            s.signal(signal.SIGHUP)
            s.wait_text("reload failed")
            s.good_client("Negotiate", "echo", (1,))
            print("reload ok")
    finally:
        os.unlink(conf.name)


def case_max_connections():
    def act(s):
        held = [connect(s.port) for _ in range(2)]
        time.sleep(0.5)
        expect_closed(s, b"", "max_connections")
        for c in held:
            c.close()
        time.sleep(0.3)
    hostile(act, "--max-connections", "2", "--handshake-timeout", "30")


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
        fn()
    except Failure as e:
        print("FAIL %s: %s" % (case, e))
        return 1
    print("PASS " + case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
