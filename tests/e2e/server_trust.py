#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""server_trust - sspix-server under pressure, against the throwaway realm.

    server_trust.py CASE SERVER_BINARY GOODCLIENT_BINARY LOAD_BINARY

Cases (one ctest each, e2e.server.trust.CASE):
  sigterm_inflight        SIGTERM with many live echo sessions, each with a message in flight (half of them
                          with only half a frame read): every reply arrives, then the server's FIN
  sigterm_twice           a second SIGTERM ends a long grace period at once
  shutdown_grace_setting  shutdown-grace from the config file and the command line; bad values refused
  fd_exhaustion           RLIMIT_NOFILE 256 and more clients than fit: each one authenticates or is refused
                          cleanly, no handshake fails for want of a descriptor
  refusal_log_rate        refusals beyond --max-connections: a few lines, then one summary with the count
  per_address_cap         --max-per-address: one address is capped, another one is still served
  message_deadline        an authenticated client trickling a message byte by byte is cut off
  weak_context_refused    a gss-client context without replay or sequence detection: outcome=weak_context,
                          accepted with --allow-weak-context
  weak_context_replay     a man in the middle sends a protected message twice: refused on a context with
                          replay detection; on a weak one (allowed) it would be processed twice
  rcache_check            -t and start-up refuse a replay-cache directory that cannot be written

Everything started here is stopped by its PID; network 127.0.0.1 (and 127.0.0.2 as a second source
address) only. Standard library only.
"""
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib_server import Failure, Server, check, connect, frame, free_port, wait_closed  # noqa: E402

SERVER = GOOD = LOAD = None
GSS_CLIENT = "/usr/bin/gss-client"
# Sessions held at once by the SIGTERM case (the load driver authenticates them one by one).
SESSIONS = int(os.environ.get("SSPIX_TRUST_SESSIONS", "1000"))


def server(*args, **kw):
    return Server(SERVER, "--threads", "2", *args, goodclient=GOOD, **kw)


class Load:
    """server_load on a port, stepped through its stdin."""

    def __init__(self, port, n, package="Negotiate"):
        self.p = subprocess.Popen([LOAD, "127.0.0.1", str(port), "host/localhost", package, str(n)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def line(self, timeout=300):
        result = []
        th = threading.Thread(target=lambda: result.append(self.p.stdout.readline()))
        th.start()
        th.join(timeout)
        if not result:
            self.kill()
            raise Failure("server_load said nothing within %d s" % timeout)
        text = result[0].decode().strip()
        if not text:
            err = self.p.stderr.read().decode(errors="replace") if self.p.poll() is not None else ""
            raise Failure("server_load ended early (exit %s): %s" % (self.p.poll(), err[-2000:]))
        return text

    def say(self, cmd):
        self.p.stdin.write((cmd + "\n").encode())
        self.p.stdin.flush()

    def fields(self, line):
        return {k: int(v) for k, v in (f.split("=") for f in line.split() if "=" in f)}

    def finish(self):
        try:
            self.p.stdin.close()
        except BrokenPipeError:
            pass
        try:
            self.p.wait(120)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure("server_load did not end")
        return self.p.returncode

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def count(s, text):
    return sum(1 for l in s.conn_lines() if text in l)


def wait_count(s, text, n, timeout=60):
    deadline = time.monotonic() + timeout
    while count(s, text) < n:
        if time.monotonic() > deadline:
            raise Failure("fewer than %d lines with %r within %d s:\n%s" % (n, text, timeout, s.log()[-3000:]))
        time.sleep(0.05)


def run(cmd, env=None, timeout=60):
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                       timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace")


# ---- graceful stop ------------------------------------------------------------------------------------

def case_sigterm_inflight():
    n = SESSIONS
    s = server("--mode", "echo", "--max-per-address", "0", "--shutdown-grace", "120", "--handshake-timeout", "300",
               "--idle-timeout", "600", "--message-timeout", "600").start()
    load = None
    try:
        s.good_client("Negotiate", "echo", (1,))  # the service ticket is in the ccache before the crowd comes
        load = Load(s.port, n)
        auth = load.fields(load.line())
        check(auth["ok"] == n, "all %d sessions authenticate: %r\n%s" % (n, auth, s.log()[-2000:]))
        load.say("send")
        sent = load.fields(load.line())
        check(sent["full"] + sent["partial"] == n, "sent: %r" % sent)
        # The whole frames are answered before the signal; they are at rest when it comes.
        time.sleep(1.0)
        s.signal(signal.SIGTERM)
        s.wait_text("SIGTERM: stopping")
        # Every worker has begun its stop once the sessions at rest have ended; the half frames are still open.
        wait_count(s, "outcome=shutdown", sent["full"])
        time.sleep(0.5)
        load.say("rest")
        check(load.line() == "rest sent", "rest sent")
        got = load.fields(load.line())
        print("%d sessions, %d whole and %d half frames at SIGTERM: %r" % (n, sent["full"], sent["partial"], got))
        check(got["replies"] == n and got["lost"] == 0,
              "%d of %d replies lost at SIGTERM:\n%s" % (got["lost"], n, s.log()[-3000:]))
        check(got["eof"] == n, "the server's FIN after every reply: %r" % got)
        check(load.finish() == 0, "server_load exit")
        rc = s.proc.wait(60)
        check(rc == 0, "exit %d after SIGTERM" % rc)
        check(count(s, "messages=1") >= n, "every session logged one message:\n" + s.log()[-3000:])
        check("sspix-server: info: stopped" in s.log(), "stopped")
    finally:
        if load:
            load.kill()
        s.kill()


def case_sigterm_twice():
    s = server("--shutdown-grace", "3600", "--handshake-timeout", "3600").start()
    try:
        s.good_client()
        c = connect(s.port)
        c.sendall(b"\x10\x00")  # a handshake in flight: the first SIGTERM waits for it
        time.sleep(0.3)
        s.signal(signal.SIGTERM)
        s.wait_text("SIGTERM: stopping")
        time.sleep(0.5)
        check(s.proc.poll() is None, "still running inside its grace period")
        s.signal(signal.SIGTERM)
        try:
            rc = s.proc.wait(60)
        except subprocess.TimeoutExpired:
            raise Failure("a second SIGTERM did not stop the server within 60 s of a 3600 s grace:\n"
                          + s.log()[-2000:])
        check(rc == 0, "exit %d" % rc)
        check("SIGTERM again" in s.log(), "the second signal is logged:\n" + s.log())
        got, _ = wait_closed(c)
        c.close()
        check("outcome=shutdown" in s.log(), s.log())
        print("second SIGTERM: stopped; " + [l for l in s.log().splitlines() if "again" in l][0])
    finally:
        s.kill()


def case_shutdown_grace_setting():
    rc, out = run([SERVER, "-t", "--shutdown-grace", "abc"])
    check(rc == 1 and "shutdown-grace" in out, "bad --shutdown-grace: %d %s" % (rc, out))
    rc, out = run([SERVER, "--help"])
    check("--shutdown-grace" in out and "--max-per-address" in out and "--message-timeout" in out
          and "--allow-weak-context" in out, "help lists the new options:\n" + out)
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("shutdown-grace = 7200\n")
        f.flush()
        rc, out = run([SERVER, "-t", "--config", f.name])
        check(rc == 1 and ":1: shutdown-grace" in out, "out of range in the file: %d %s" % (rc, out))
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
        f.write("shutdown-grace = 1\nmessage-timeout = 5\nmax-per-address = 50\nallow-weak-context = no\n")
        f.flush()
        s = server("--config", f.name, "--handshake-timeout", "3600").start()
        try:
            s.good_client()
            c = connect(s.port)
            c.sendall(b"\x10\x00")  # a handshake that never ends: closed when the grace is over
            time.sleep(0.3)
            s.signal(signal.SIGTERM)
            rc = s.proc.wait(60)
            check(rc == 0, "exit %d" % rc)
            check("get up to 1 s" in s.log(), "the grace from the file is used:\n" + s.log())
            wait_closed(c)
            c.close()
            check("outcome=shutdown" in s.log(), s.log())
        finally:
            s.kill()
    print("shutdown-grace ok")


# ---- descriptors --------------------------------------------------------------------------------------

def nofile_256():
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))


def case_fd_exhaustion():
    n = 400
    s = server("--mode", "echo", "--max-per-address", "0", "--handshake-timeout", "300", "--idle-timeout", "600",
               preexec=nofile_256).start()
    load = None
    try:
        s.wait_text("lowered to")
        print([l for l in s.log().splitlines() if "lowered to" in l][0])
        s.good_client("Negotiate", "echo", (10,))
        load = Load(s.port, n)
        auth = load.fields(load.line())
        print("%d clients against RLIMIT_NOFILE 256: %r" % (n, auth))
        check(auth["timeout"] == 0 and auth["failed"] == 0, "every client gets an answer: %r" % auth)
        check(auth["ok"] + auth["refused"] == n, "ok + refused: %r" % auth)
        check(auth["ok"] >= 100, "a fair number served: %r" % auth)
        load.finish()
        s.good_client("Negotiate", "echo", (10,))
        bad = [l for l in s.conn_lines()
               if "status=" in l or "not available" in l or
               not any(o in l for o in ("outcome=SEC_E_OK", "outcome=max_connections", "outcome=no_descriptors"))]
        check(not bad, "%d handshakes failed, e.g.:\n%s" % (len(bad), "\n".join(bad[:5])))
        refused = count(s, "outcome=max_connections") + count(s, "outcome=no_descriptors")
        summary = [l for l in s.log().splitlines() if "more connections in the last" in l]
        print("refused: %d with a line each, summaries: %s" % (refused, summary))
    finally:
        if load:
            load.kill()
        s.stop()
        s.kill()


# ---- refusals -----------------------------------------------------------------------------------------

def case_refusal_log_rate():
    s = server("--max-connections", "2", "--handshake-timeout", "300").start()
    try:
        held = [connect(s.port) for _ in range(2)]
        time.sleep(0.5)
        for _ in range(40):
            c = connect(s.port)
            wait_closed(c)
            c.close()
        for c in held:
            c.close()
        s.stop()
        lines = count(s, "outcome=max_connections")
        summary = [l for l in s.log().splitlines() if "more connections in the last" in l]
        print("40 refusals: %d lines, summary %s" % (lines, summary))
        check(lines <= 5, "%d lines for 40 refusals: not rate-limited" % lines)
        check(len(summary) == 1, "one summary line:\n" + s.log()[-3000:])
        more = int(summary[0].split("refused ")[1].split()[0])
        check(lines + more == 40 and "max_connections=%d" % more in summary[0], "counted: %s" % summary[0])
    finally:
        s.kill()


def connect_from(src, port):
    c = socket.socket()
    c.bind((src, 0))
    c.settimeout(20)
    c.connect(("127.0.0.1", port))
    return c


def case_per_address_cap():
    s = server("--max-per-address", "3", "--max-connections", "100", "--handshake-timeout", "300").start()
    try:
        s.good_client()
        held = [connect(s.port) for _ in range(3)]
        time.sleep(0.5)
        c = connect(s.port)
        got, _ = wait_closed(c)
        c.close()
        s.wait_log(lambda l: "outcome=per_address_limit" in l, what="outcome=per_address_limit")
        rc, _, _ = s.good_client(expect=None)
        check(rc != 0, "a fourth connection from 127.0.0.1 is refused")
        # Another address is served: its garbage token reaches the handshake.
        other = connect_from("127.0.0.2", s.port)
        other.sendall(frame(b"\x00" * 64))
        wait_closed(other)
        other.close()
        line = s.wait_log(lambda l: l.startswith("sspix-server: peer=127.0.0.2:") and "outcome=SEC_E_" in l,
                          what="127.0.0.2 served")
        print(line)
        for h in held:
            h.close()
        time.sleep(0.5)
        s.good_client()
        print("per-address cap ok")
    finally:
        s.stop()
        s.kill()


# ---- slow messages ------------------------------------------------------------------------------------

def case_message_deadline():
    s = server("--mode", "echo", "--message-timeout", "2", "--idle-timeout", "60").start()
    load = None
    try:
        load = Load(s.port, 1)
        auth = load.fields(load.line())
        check(auth["ok"] == 1, "authenticated: %r" % auth)
        load.say("trickle")
        result = load.line(timeout=120)
        print(result)
        check(result.startswith("trickle closed"), "a client trickling one byte every 0.5 s keeps its session: "
              + result)
        s.wait_log(lambda l: "outcome=message_deadline" in l, what="outcome=message_deadline")
        load.finish()
        s.good_client("Negotiate", "echo", (100, 1000))  # normal messages are not affected
    finally:
        if load:
            load.kill()
        s.stop()
        s.kill()


# ---- weak contexts and replays ------------------------------------------------------------------------

def gss_client(port, *args, msg="hello from gss-client"):
    return run([GSS_CLIENT, "-port", str(port)] + list(args) + ["127.0.0.1", "host@localhost", msg], timeout=120)


def gss_server(*args):
    return Server(SERVER, "--protocol", "gss-sample", "--threads", "2", *args)


def case_weak_context_refused():
    with gss_server() as s:
        rc, out = gss_client(s.port, "-noreplay", "-mcount", "2")
        check(rc != 0, "a context without replay or sequence detection must be refused:\n" + out)
        line = s.wait_log(lambda l: "outcome=weak_context" in l, what="outcome=weak_context")
        check("replay" in line and "--allow-weak-context" in line and "messages=0" in line, line)
        print(line)
        _, out = gss_client(s.port, "-mcount", "2")  # MIT's default: replay detection
        check(out.count("Signature verified.") == 2, "default gss-client:\n" + out)
        _, out = gss_client(s.port, "-noreplay", "-seq", "-mcount", "2")
        check(out.count("Signature verified.") == 2, "-noreplay -seq:\n" + out)
    with gss_server("--allow-weak-context") as s:
        _, out = gss_client(s.port, "-noreplay", "-mcount", "2")
        check(out.count("Signature verified.") == 2, "--allow-weak-context:\n" + out)
        s.wait_log(lambda l: "outcome=SEC_E_OK" in l and "messages=2" in l, what="accepted")
    # The Microsoft framing in greet mode reads no client message: no replay check there.
    print("weak contexts refused; accepted with --allow-weak-context")


class DupProxy:
    """127.0.0.1 proxy in front of a gss-sample server that sends the client's first DATA token twice."""

    def __init__(self, port):
        self.port = port
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.lport = self.ls.getsockname()[1]
        self.th = threading.Thread(target=self.serve, daemon=True)
        self.th.start()

    def serve(self):
        c, _ = self.ls.accept()
        u = socket.create_connection(("127.0.0.1", self.port))
        threading.Thread(target=self.pump, args=(u, c), daemon=True).start()
        buf, dup = b"", False
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                buf += b
                while len(buf) >= 5 and len(buf) >= 5 + int.from_bytes(buf[1:5], "big"):
                    n = 5 + int.from_bytes(buf[1:5], "big")
                    tok, buf = buf[:n], buf[n:]
                    u.sendall(tok)
                    if tok[0] & 0x04 and not dup:  # DATA: once more, byte for byte
                        dup = True
                        u.sendall(tok)
        except OSError:
            pass
        finally:
            try:
                u.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def pump(self, src, dst):
        try:
            while True:
                b = src.recv(65536)
                if not b:
                    break
                dst.sendall(b)
        except OSError:
            pass
        finally:
            try:
                dst.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def close(self):
        self.ls.close()


def case_weak_context_replay():
    # Replay detection (MIT's default): the copy is refused, the original was processed once.
    with gss_server() as s:
        p = DupProxy(s.port)
        gss_client(p.lport, "-mcount", "1")
        line = s.wait_log(lambda l: "client=alice@" in l, what="the session's line")
        print("replay detection: " + line)
        check("messages=1" in line and "outcome=SEC_E_" in line and "SEC_E_OK" not in line, line)
        check("replay" in line.lower(), "named as a replay: " + line)
        p.close()
    # Sequence detection alone (-noreplay -seq) refuses the copy too.
    with gss_server() as s:
        p = DupProxy(s.port)
        gss_client(p.lport, "-noreplay", "-seq", "-mcount", "1")
        line = s.wait_log(lambda l: "client=alice@" in l, what="the session's line")
        print("sequence detection: " + line)
        check("messages=1" in line and "outcome=SEC_E_OUT_OF_SEQUENCE" in line, line)
        p.close()
    # The same man in the middle on a context without replay detection: refused at the handshake ...
    with gss_server() as s:
        p = DupProxy(s.port)
        gss_client(p.lport, "-noreplay", "-mcount", "1")
        line = s.wait_log(lambda l: "client=alice@" in l, what="the session's line")
        check("outcome=weak_context" in line and "messages=0" in line, line)
        p.close()
    # ... and, when an operator allows weak contexts, the copy is processed a second time.
    with gss_server("--allow-weak-context") as s:
        p = DupProxy(s.port)
        gss_client(p.lport, "-noreplay", "-mcount", "1")
        line = s.wait_log(lambda l: "client=alice@" in l, what="the session's line")
        print("--allow-weak-context: " + line)
        check("messages=2" in line, "the duplicate is processed on a weak context: " + line)
        p.close()


# ---- replay cache -------------------------------------------------------------------------------------

def case_rcache_check():
    env = dict(os.environ)
    with tempfile.NamedTemporaryFile() as f:  # a file, not a directory: not writable as one, even by root
        env["KRB5RCACHEDIR"] = f.name
        # The default (the library's in-process replay set) writes no file: nothing to check.
        rc, out = run([SERVER, "-t"], env=env)
        check(rc == 0 and "configuration OK" in out, "replay-cache memory, unusable KRB5RCACHEDIR: %d %s" % (rc, out))
        rc, out = run([SERVER, "-t", "--replay-cache", "mit"], env=env)
        print(out.strip())
        check(rc == 2 and "replay cache directory " + f.name in out and "KRB5RCACHEDIR" in out,
              "-t with an unwritable replay cache directory: %d %s" % (rc, out))
        rc, out = run([SERVER, "--bind", "127.0.0.1", "--port", "0", "--replay-cache", "mit"], env=env)
        check(rc == 1, "usage errors still come first: %d %s" % (rc, out))
        p = subprocess.run([SERVER, "--bind", "127.0.0.1", "--port", str(free_port()), "--threads", "1",
                            "--replay-cache", "mit"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           timeout=60)
        out = p.stdout.decode()
        check(p.returncode == 2 and "replay cache directory" in out and "listening" not in out,
              "start-up with an unwritable replay cache directory: %d %s" % (p.returncode, out))
        # No replay cache in use: nothing to check.
        env["KRB5RCACHETYPE"] = "none"
        rc, out = run([SERVER, "-t", "--replay-cache", "mit"], env=env)
        check(rc == 0 and "configuration OK" in out, "KRB5RCACHETYPE=none: %d %s" % (rc, out))
    rc, out = run([SERVER, "-t", "--replay-cache", "mit"])
    check(rc == 0 and "configuration OK" in out, "the realm's replay cache directory: %d %s" % (rc, out))
    rc, out = run([SERVER, "-t", "--replay-cache", "files"])
    check(rc == 1 and "replay-cache: 'files': expected memory" in out, "--replay-cache files: %d %s" % (rc, out))


def main():
    global SERVER, GOOD, LOAD
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    case, SERVER, GOOD, LOAD = sys.argv[1:]
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
