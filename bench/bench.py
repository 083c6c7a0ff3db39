#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench.py BUILD_DIR OUT_MD - sspix against MIT's gss-sample peers, side by side in one run.

Brings up its own throwaway realm, runs every figure, takes the realm down, and writes the results table to
OUT_MD (bench/README.md). Everything it starts is stopped by PID; network 127.0.0.1 only (MIT gss-server binds
INADDR_ANY, as it always does). Server CPU is the sum of /proc/PID/task/*/schedstat on-CPU time (ns).
Standard library only.
"""
import datetime
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REALM = os.path.join(SRC, "tests", "realm", "realm")
GSS_CLIENT, GSS_SERVER = "/usr/bin/gss-client", "/usr/bin/gss-server"
QUICK = os.environ.get("SSPIX_BENCH_QUICK") == "1"
LOAD0 = os.getloadavg()[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_ns(pid):
    total = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Proc:
    """A server process, stopped by its PID."""

    def __init__(self, argv, ready, env, log):
        self.log = log
        out = open(log, "wb")
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
        out.close()
        deadline = time.monotonic() + 20
        while ready not in self.text():
            if self.p.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("bench: %s did not start:\n%s" % (argv[0], self.text()[-2000:]))
            time.sleep(0.02)
        self.pid = self.p.pid

    def text(self):
        with open(self.log, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait()


class Bench:
    def __init__(self, build, workdir):
        self.build = build
        self.work = workdir
        self.server_bin = os.path.join(build, "sspix-server")
        self.client_bin = os.path.join(build, "sspix-client")
        self.bench_bin = os.path.join(build, "sspix_bench")
        self.accept_bin = os.path.join(build, "accept_bench")
        self.floor_bin = os.path.join(build, "floor_server")
        self.loadgen_bin = os.path.join(build, "loadgen")
        self.rows = []      # (section, what, figure, command)
        self.notes = []
        self.accept = {}    # accept_bench: variant -> us per handshake
        self.floor_rows = []
        self.strace_text = ""

    def row(self, section, what, figure, cmd):
        print("%-14s %-58s %s" % (section, what, figure), flush=True)
        self.rows.append((section, what, figure, cmd))

    # ---- realm ----------------------------------------------------------------------------------------------
    def realm_start_time(self):
        times = []
        for i in range(5):
            d = os.path.join(self.work, "realm-%d" % i)
            t0 = time.monotonic()
            subprocess.run([REALM, "up", d], check=True, stderr=subprocess.DEVNULL)
            times.append(time.monotonic() - t0)
            subprocess.run([REALM, "down", d], check=True, stderr=subprocess.DEVNULL)
        self.row("realm", "tests/realm/realm up (median of 5)", "%.3f s" % statistics.median(times),
                 "tests/realm/realm up DIR")

    def realm_up(self):
        self.realm = os.path.join(self.work, "realm")
        subprocess.run([REALM, "up", self.realm], check=True, stderr=subprocess.DEVNULL)
        env = dict(os.environ)
        with open(os.path.join(self.realm, "env")) as f:
            for line in f:
                m = re.match(r"export (\w+)='(.*)'$", line.strip())
                if m:
                    env[m.group(1)] = m.group(2)
        self.env = env

    def realm_down(self):
        subprocess.run([REALM, "down", self.realm], stderr=subprocess.DEVNULL)

    # ---- servers ----------------------------------------------------------------------------------------------
    def sspix_server(self, *args):
        port = free_port()
        argv = [self.server_bin, "--bind", "127.0.0.1", "--port", str(port), "--threads", "2"] + list(args)
        p = Proc(argv, "listening on", self.env, os.path.join(self.work, "sspix-server-%d.log" % port))
        p.port = port
        p.cmd = "sspix-server --threads 2 " + " ".join(args)
        return p

    def mit_server(self):
        port = free_port()
        argv = [GSS_SERVER, "-port", str(port), "-logfile", os.path.join(self.work, "gss-server.msglog"),
                "host@localhost"]
        p = Proc(argv, "starting...", self.env, os.path.join(self.work, "gss-server-%d.out" % port))
        p.port = port
        p.cmd = "gss-server -logfile FILE host@localhost"
        return p

    def floor_server(self, reply_body):
        argv = [self.floor_bin, "-b", "127.0.0.1", "-p", "0", "-r", str(reply_body)]
        self.floor_count = getattr(self, "floor_count", 0) + 1
        log = os.path.join(self.work, "floor-%d.log" % self.floor_count)
        p = Proc(argv, "listening on", self.env, log)
        m = re.search(r"listening on [\d.]+:(\d+)", p.text())
        p.port = int(m.group(1))
        p.cmd = "floor_server -r %d" % reply_body
        return p

    # ---- bench/loadgen: one load generator for every server ---------------------------------------------------
    def loadgen(self, server, procs, per, spnego, floor=False, extra=()):
        """Runs loadgen; returns its key/value figures plus server_us (server CPU per handshake, timed part)."""
        argv = [self.loadgen_bin, "-p", str(server.port), "-P", str(procs), "-n", str(per)]
        argv += ["-w"] + (["-s"] if spnego else []) + (["-f"] if floor else []) + list(extra)
        p = subprocess.Popen(argv, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        c0 = None
        res = {}
        for line in iter(p.stdout.readline, b""):
            k, _, v = line.decode().strip().partition(" ")
            if k == "ready":
                c0 = cpu_ns(server.pid)
                p.stdin.write(b"\n")
                p.stdin.close()
            elif k == "started":
                pass
            elif k:
                if k == "handshakes" and c0 is not None:
                    time.sleep(0.05)  # the server's last close
                    res["server_ns"] = cpu_ns(server.pid) - c0
                res[k] = float(v)
        err = p.stderr.read().decode("utf-8", "replace")
        rc = p.wait()
        if rc != 0 or not res.get("handshakes"):
            self.notes.append("loadgen %s against %s exited %d: %s" % (" ".join(argv[3:]), server.cmd, rc,
                                                                         err[-300:]))
        n = res.get("handshakes", 0) + res.get("failed", 0)
        res["server_us"] = res.get("server_ns", 0) / 1e3 / max(1, n)
        return res

    def floor(self):
        """Server CPU per handshake: TCP floor, acceptor floor, their sum, sspix-server, MIT gss-server; one load."""
        per = 300 if QUICK else 1200
        rounds = 3 if QUICK else 7
        for label, spnego in (("Kerberos", False), ("SPNEGO", True)):
            ours, mit = self.sspix_server("--protocol", "gss-sample", "--log", "syslog"), self.mit_server()
            flo = None
            try:
                warm = self.loadgen(ours, 1, 30, spnego)
                self.loadgen(mit, 1, 30, spnego)
                reply = int(round(warm.get("reply_bytes", 161))) - 5
                flo = self.floor_server(reply)
                self.loadgen(flo, 1, 30, spnego, floor=True)
                servers = (("floor", flo), ("sspix", ours), ("mit", mit))
                for procs in (1, 4):
                    res = {k: ([], []) for k, _ in servers}
                    for r in range(rounds):  # alternating rounds, the starting server rotating
                        for i in range(len(servers)):
                            key, srv = servers[(i + r) % len(servers)]
                            f = self.loadgen(srv, procs, per // procs, spnego, floor=(key == "floor"))
                            res[key][0].append(f.get("rate", 0))
                            res[key][1].append(f["server_us"])
                    med = {k: (statistics.median(v[0]), statistics.median(v[1])) for k, v in res.items()}
                    acc = self.accept.get("gss_spnego" if spnego else "gss_krb5")
                    sspi = self.accept.get("sspi_spnego" if spnego else "sspi_krb5")
                    self.floor_rows.append((label, procs, med, acc, sspi, warm.get("legs", 0), reply))
                    fsum = med["floor"][1] + acc if acc else None
                    cmd = "loadgen -P %d -n %d%s (floor_server: -f -r %d)" % (procs, per // procs,
                                                                                " -s" if spnego else "", reply)
                    what = "%s, %d loadgen process%s" % (label, procs, "es" if procs > 1 else "")
                    self.row("floor", what + ": server CPU us/hs floor TCP | floor sum | sspix | MIT",
                             "%.1f | %s | %.1f | %.1f" % (med["floor"][1], "%.1f" % fsum if fsum else "?",
                                                          med["sspix"][1], med["mit"][1]), cmd)
            finally:
                ours.stop()
                mit.stop()
                if flo:
                    flo.stop()

    # ---- strace -c: system calls per handshake ------------------------------------------------------------------
    def strace(self):
        tool = "/usr/bin/strace"
        if not os.access(tool, os.X_OK):
            self.strace_text = "strace is not installed: no system-call counts."
            return
        n = 200 if QUICK else 500
        counts = {}
        ours, mit = self.sspix_server("--protocol", "gss-sample", "--log", "syslog"), self.mit_server()
        flo = None
        try:
            reply = int(round(self.loadgen(ours, 1, 20, False).get("reply_bytes", 161))) - 5
            flo = self.floor_server(reply)
            for key, srv in (("sspix-server", ours), ("floor_server", flo), ("gss-server", mit)):
                self.loadgen(srv, 1, 20, False, floor=(srv is flo))
                out = os.path.join(self.work, "strace-%s.txt" % key)
                st = subprocess.Popen([tool, "-c", "-f", "-o", out, "-p", str(srv.pid)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                self.loadgen(srv, 4, n // 4, False, floor=(srv is flo))
                time.sleep(0.2)
                st.send_signal(signal.SIGINT)
                st.wait(30)
                calls = {}
                with open(out) as f:
                    for line in f:
                        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$", line)
                        if m and m.group(3) != "total":
                            calls[m.group(3)] = int(m.group(1)) / n
                counts[key] = calls
        finally:
            ours.stop()
            mit.stop()
            if flo:
                flo.stop()
        keys = ("sspix-server", "floor_server", "gss-server")
        names = sorted(counts.get("sspix-server", {}), key=lambda k: -counts["sspix-server"][k])[:15]
        for k in sorted(counts.get("floor_server", {}), key=lambda k: -counts["floor_server"][k]):
            if k not in names:
                names.append(k)
        lines = ["| system call | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
        for name in names:
            lines.append("| %s | " % name + " | ".join("%.2f" % counts.get(k, {}).get(name, 0) for k in keys) + " |")
        lines.append("| **all** | " + " | ".join("**%.1f**" % sum(counts.get(k, {}).values()) for k in keys) + " |")
        self.strace_text = "\n".join(lines)

    # ---- handshake capacity under MIT gss-client load ----------------------------------------------------------
    def gss_client_load(self, server, procs, per, mech_args):
        cmd = [GSS_CLIENT, "-port", str(server.port)] + mech_args + ["-q", "-ccount", str(per), "-mcount", "0",
                                                                     "127.0.0.1", "host@localhost", "x"]
        c0, t0 = cpu_ns(server.pid), time.monotonic()
        ps = [subprocess.Popen(cmd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(procs)]
        rcs = [p.wait() for p in ps]
        t1, c1 = time.monotonic(), cpu_ns(server.pid)
        n = procs * per
        if any(rcs):
            self.notes.append("gss-client exit codes %s against %s" % (rcs, server.cmd))
        return n / (t1 - t0), (c1 - c0) / 1e3 / n

    def handshake_capacity(self):
        per = 150 if QUICK else 400
        rounds = 3 if QUICK else 5
        for label, mech in (("Kerberos", []), ("SPNEGO", ["-spnego"])):
            for procs in (1, 4):
                res = {"sspix": ([], []), "mit": ([], [])}
                ours, mit = self.sspix_server("--protocol", "gss-sample", "--log", "syslog"), self.mit_server()
                try:
                    self.gss_client_load(ours, 1, 20, mech)  # warm-up: service ticket, replay cache
                    self.gss_client_load(mit, 1, 20, mech)
                    for _ in range(rounds):  # alternating rounds
                        for key, srv in (("sspix", ours), ("mit", mit)):
                            rate, us = self.gss_client_load(srv, procs, per // procs, mech)
                            res[key][0].append(rate)
                            res[key][1].append(us)
                finally:
                    ours.stop()
                    mit.stop()
                sr, su = statistics.median(res["sspix"][0]), statistics.median(res["sspix"][1])
                mr, mu = statistics.median(res["mit"][0]), statistics.median(res["mit"][1])
                cmd = "%d x gss-client %s-q -ccount %d -mcount 0 127.0.0.1 host@localhost x" % (
                    procs, " ".join(mech) + " " if mech else "", per // procs)
                what = "%s, %d gss-client process%s" % (label, procs, "es" if procs > 1 else "")
                self.row("capacity", what + ": handshakes/s sspix | MIT | ratio",
                         "%.0f | %.0f | %.2fx" % (sr, mr, sr / mr), cmd)
                self.row("capacity", what + ": server CPU us/handshake sspix | MIT | ratio",
                         "%.1f | %.1f | %.2fx" % (su, mu, su / mu), cmd)

    # ---- sspix-client's load generator ------------------------------------------------------------------------
    def sspix_client(self, port, *args):
        argv = [self.client_bin, "localhost", "--port", str(port), "--spn", "host/localhost", "--quiet"] + list(args)
        p = subprocess.run(argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        out = p.stdout.decode("utf-8", "replace")
        if p.returncode != 0:
            self.notes.append("sspix-client %s exited %d: %s" % (" ".join(args), p.returncode, out[-500:]))
        m = re.search(r"result:\s+(\d+) ok, (\d+) failed in ([\d.]+) s: ([\d.]+) handshakes/s", out)
        lat = re.search(r"connect -> authenticated:\s+p50 ([\d.]+) ms\s+p90 ([\d.]+) ms\s+p99 ([\d.]+) ms", out)
        return out, m, lat

    def client_load(self):
        n = 3000 if QUICK else 8000
        for proto, extra in (("gss-sample", []), ("ms", [])):
            srv = self.sspix_server("--protocol", proto, "--log", "syslog", *extra)
            try:
                self.sspix_client(srv.port, "--protocol", proto, "--connections", "200", "--parallel", "16")
                c0 = cpu_ns(srv.pid)
                _, m, _ = self.sspix_client(srv.port, "--protocol", proto, "--package", "Kerberos", "--connections",
                                            str(n), "--parallel", "16")
                us = (cpu_ns(srv.pid) - c0) / 1e3 / max(1, int(m.group(1)) if m else 1)
            finally:
                srv.stop()
            cmd = ("sspix-client localhost --protocol %s --package Kerberos --connections %d --parallel 16 "
                   "(server: sspix-server --protocol %s)" % (proto, n, proto))
            self.row("load", "sspix-client -> sspix-server, %s: handshakes/s, server CPU us/hs" % proto,
                     "%s/s, %.1f us (%s failed)" % (m.group(4) if m else "?", us, m.group(2) if m else "?"), cmd)

    def latency(self):
        n = {1: 500, 16: 3000, 256: 5000}
        for proto in ("gss-sample",):
            srv = self.sspix_server("--protocol", proto, "--log", "syslog")
            try:
                for par in (1, 16, 256):
                    _, m, lat = self.sspix_client(srv.port, "--protocol", proto, "--package", "Kerberos",
                                                  "--connections", str(n[par] // (2 if QUICK else 1)), "--parallel",
                                                  str(par))
                    self.row("latency", "sspix-server %s, %d parallel: handshake p50 / p99" % (proto, par),
                             "%s / %s ms" % (lat.group(1), lat.group(3)) if lat else "?",
                             "sspix-client localhost --protocol %s --connections %d --parallel %d" % (
                                 proto, n[par], par))
            finally:
                srv.stop()
        mit = self.mit_server()
        try:
            for par in (1, 16):
                _, m, lat = self.sspix_client(mit.port, "--protocol", "gss-sample", "--package", "Kerberos",
                                              "--connections", str(300 if par == 1 else 600), "--parallel", str(par))
                self.row("latency", "MIT gss-server, %d parallel: handshake p50 / p99" % par,
                         "%s / %s ms" % (lat.group(1), lat.group(3)) if lat else "?",
                         "sspix-client localhost --protocol gss-sample --parallel %d (server: gss-server)" % par)
        finally:
            mit.stop()

    # ---- idle authenticated sessions (100,000 by default) ---------------------------------------------------
    def concurrency(self):
        want = int(os.environ.get("SSPIX_BENCH_SESSIONS", "2000" if QUICK else "100000"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        n = want
        if hard != resource.RLIM_INFINITY and hard < want + 200:
            n = hard - 200
            self.notes.append("RLIMIT_NOFILE hard limit is %d here (raising it needs CAP_SYS_RESOURCE): the "
                              "concurrency run holds %d sessions instead of %d" % (hard, n, want))
        if n < 100:
            return
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        procs = max(2, -(-n // 15000))  # ~15,000 descriptors per client process at most
        nsrc = max(2, -(-n // 20000))   # ~20,000 connections per loopback source address
        srcs = ",".join("127.0.0.%d" % (2 + i) for i in range(nsrc))
        per = n // procs
        n = per * procs
        srv = self.sspix_server("--protocol", "gss-sample", "--max-connections", str(n + 100), "--max-per-address",
                                "0", "--idle-timeout", "600", "--handshake-timeout", "120", "--log", "syslog")
        try:
            time.sleep(0.3)
            base = rss_kib(srv.pid)
            hold = 5
            argv = [self.loadgen_bin, "-p", str(srv.port), "-P", str(procs), "-n", str(per), "-S", srcs, "-H",
                    str(hold)]
            c = subprocess.Popen(argv, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            held_rss = None
            out = b""
            for line in iter(c.stdout.readline, b""):
                out += line
                if line.startswith(b"held:"):
                    time.sleep(1.0)
                    held_rss = rss_kib(srv.pid)
            c.wait()
            out = out.decode("utf-8", "replace")
        finally:
            srv.stop()
        m = re.search(r"result:\s+(\d+) ok, (\d+) failed", out)
        h = re.search(r"held: (\d+)", out)
        if held_rss is None or not m or not h:
            self.notes.append("concurrency run: no result:\n" + out[-1000:])
            return
        held = int(h.group(1))
        per_kib = (held_rss - base) / max(1, held)
        cmd = ("sspix-server --protocol gss-sample --max-connections %d --max-per-address 0; loadgen -P %d -n %d "
               "-S %s -H %d" % (n + 100, procs, per, srcs, hold))
        self.row("concurrency", "%d idle authenticated gss-sample sessions (%d source addresses): server RSS per "
                 "session" % (held, nsrc), "%.1f KiB (RSS %d -> %d KiB)" % (per_kib, base, held_rss), cmd)
        self.row("concurrency", "... then every session sends a wrapped message, its MIC verified: ok / failed",
                 "%s / %s" % (m.group(1), m.group(2)), "(same run)")

    # ---- in-process ---------------------------------------------------------------------------------------------
    def inprocess(self):
        def run(*args):
            p = subprocess.run([self.bench_bin] + list(args), env=self.env, stdout=subprocess.PIPE, check=True)
            return dict(l.split() for l in p.stdout.decode().splitlines())
        p = subprocess.run([self.accept_bin, "5" if QUICK else "7", "200" if QUICK else "600"], env=self.env,
                           stdout=subprocess.PIPE, check=True)
        for line in p.stdout.decode().splitlines():
            k, v = line.split()
            self.accept[k[len("accept_"):-len("_us")]] = float(v)
        labels = (
            ("sspi_krb5", "Kerberos: sspix-server's SSPI calls (AcceptSecurityContext, 3 QueryContextAttributes, "
                          "DeleteSecurityContext), native Kerberos acceptor"),
            ("sspi_krb5_gssapi", "... the same calls with MIT's acceptor (SSPIX_KRB5_ACCEPTOR=gssapi)"),
            ("sspi_spnego", "SPNEGO: sspix-server's SSPI calls (Negotiate)"),
            ("gss_krb5", "Kerberos: gss_accept_sec_context, FILE keytab, default replay cache, client name"),
            ("gss_krb5_noname", "... without asking for the client name"),
            ("gss_krb5_memkt", "... MEMORY: keytab"),
            ("gss_krb5_rcnone", "... replay cache none: (cred store rcache)"),
            ("gss_krb5_memkt_rcnone", "... MEMORY: keytab and replay cache none:"),
            ("gss_spnego", "SPNEGO: gss_accept_sec_context, FILE keytab, default replay cache, client name"),
            ("krb5_rdreq", "Kerberos: raw krb5_rd_req + krb5_mk_rep, one krb5_context, default keytab and rcache"),
            ("krb5_rdreq_rcnone", "... replay cache none:"))
        for key, what in labels:
            if key in self.accept:
                self.row("acceptor", what + ": CPU us per handshake", "%.1f us" % self.accept[key],
                         "accept_bench %s %s (pre-generated tokens, alternating rounds, medians)" % (
                             "5" if QUICK else "7", "200" if QUICK else "600"))
        r = run("handshake", "5", "200" if QUICK else "500")
        self.row("in-process", "Kerberos handshakes/s: SSPI table | raw GSSAPI | ratio",
                 "%s | %s | %sx" % (r["handshake_sspi_per_s"], r["handshake_gss_per_s"], r["handshake_ratio"]),
                 "sspix_bench handshake 5 N (alternating rounds)")
        for size in (16384, 1048576):
            r = run("protect", "5", str(size), "8" if QUICK else "16")
            k = "protect_%d_" % size
            self.row("protection", "%s: EncryptMessage+DecryptMessage | gss_wrap_iov+gss_unwrap_iov MB/s | ratio"
                     % ("16 KiB" if size == 16384 else "1 MiB"),
                     "%s | %s | %sx" % (r[k + "sspi_mb_s"], r[k + "gss_mb_s"], r[k + "ratio"]),
                     "sspix_bench protect 5 %d MB (alternating rounds)" % size)

    # ---- profile -------------------------------------------------------------------------------------------------
    def profile(self):
        perf = "/usr/bin/perf"
        if not os.access(perf, os.X_OK):
            self.profile_text = "perf is not installed: no profile."
            return
        srv = self.sspix_server("--protocol", "gss-sample", "--log", "syslog")
        data = os.path.join(self.work, "perf.data")
        n = 1000 if QUICK else 3000
        try:
            self.loadgen(srv, 1, 20, False)
            rec = subprocess.Popen([perf, "record", "-e", "cpu-clock", "-F", "4000", "-g", "-o", data, "-p",
                                    str(srv.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            f = self.loadgen(srv, 4, n // 4, False)
            rec.send_signal(signal.SIGINT)
            rec.wait(30)
        finally:
            srv.stop()
        us = f["server_us"]

        def report(*args):
            p = subprocess.run([perf, "report", "-i", data, "--no-children", "-g", "none", "--percent-limit", "1.5",
                                "--stdio"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            out = []
            for l in p.stdout.decode("utf-8", "replace").splitlines():
                if not l.strip() or l.startswith("#"):
                    continue
                m = re.match(r"\s*([\d.]+)%", l)
                out.append(("%6.1f us  " % (float(m.group(1)) * us / 100) if m else "") + l.rstrip())
            return "\n".join(out)
        self.profile_text = ("Server CPU during the recording: %.1f us per handshake (perf's own overhead included); "
                             "each line: its share in us per handshake, then perf's percentage.\n\n"
                             "By library:\n\n```\n" % us + report("--sort", "dso")
                             + "\n```\n\nBy function (>= 1.5 %):\n\n```\n" + report("--sort", "dso,sym")
                             + "\n```\n")

    # ---- output --------------------------------------------------------------------------------------------------
    def write(self, path, seconds):
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        krb5 = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libkrb5-3"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL).stdout.decode() or "?"
        lines = ["# sspix benchmarks", "",
                 "Regenerated by `make bench` (`bench/run.sh`); do not edit by hand. Everything side by "
                 "side in one run on one machine, medians of alternating rounds, with the exact commands.", "",
                 "- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "- machine: %s, %d CPUs, Linux %s; MIT krb5 %s" % (cpu, os.cpu_count(), platform.release(), krb5),
                 "- run time: %.0f s%s; load average (1 min) %.1f at the start, %.1f at the end (other work on the "
                 "machine competes for the cores)" % (
                     seconds, " (SSPIX_BENCH_QUICK=1: reduced counts)" if QUICK else "", LOAD0, os.getloadavg()[0]),
                 "- server CPU = on-CPU time of all its threads (/proc/PID/task/*/schedstat) / handshakes; clients "
                 "run on the same 2 cores, so handshakes/s is bounded by the clients as much as by the server.",
                 "- sspix-server runs with `--threads 2 --log syslog` (no per-connection stderr line in the figures);"
                 " MIT gss-server is single-threaded (one connection at a time, listen backlog 0).", "",
                 "| section | what | result | command |", "|---|---|---|---|"]
        for sec, what, fig, cmd in self.rows:
            lines.append("| %s | %s | %s | `%s` |" % (sec, what.replace(" | ", " / "), fig.replace(" | ", " / "),
                                                      cmd.replace("|", "\\|")))
        if self.notes:
            lines += ["", "Notes from this run:", ""] + ["- " + n.replace("\n", " ") for n in self.notes]
        if self.floor_rows:
            lines += ["", "## The floor, side by side", "",
                      "Server CPU in us per handshake under one load generator (`bench/loadgen`: P processes, each "
                      "doing its handshakes one after another, first tokens made before the clock starts), medians of "
                      "alternating rounds in this run. *floor TCP* is `bench/floor_server` (one epoll thread, the "
                      "gss-sample wire pattern of one handshake, a reply the size of the real one, no security "
                      "package); *floor acceptor* is the CPU time of `gss_accept_sec_context` in one process on fresh "
                      "tokens (FILE keytab, "
                      "default replay cache, client name: what MIT's gss-server pays); *SSPI acceptor* is the same "
                      "for sspix-server's own SSPI calls (section *acceptor* above).", "",
                      "| mechanism | loadgen processes | floor TCP | floor acceptor | floor sum | SSPI acceptor | "
                      "sspix-server | MIT gss-server | sspix / MIT | sspix / floor sum | handshakes/s floor / sspix "
                      "/ MIT | sspix / MIT handshakes/s |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
            for label, procs, med, acc, sspi, legs, reply in self.floor_rows:
                fsum = med["floor"][1] + acc if acc else 0
                lines.append("| %s | %d | %.1f | %s | %s | %s | %.1f | %.1f | %.2fx | %s | %.0f / %.0f / %.0f | "
                             "%.2fx |" % (
                                 label, procs, med["floor"][1], "%.1f" % acc if acc else "?",
                                 "%.1f" % fsum if fsum else "?", "%.1f" % sspi if sspi else "?", med["sspix"][1],
                                 med["mit"][1], med["sspix"][1] / med["mit"][1] if med["mit"][1] else 0,
                                 "%.2fx" % (med["sspix"][1] / fsum) if fsum else "?", med["floor"][0],
                                 med["sspix"][0], med["mit"][0],
                                 med["sspix"][0] / med["mit"][0] if med["mit"][0] else 0))
            lines += ["", "Reply frame: %s bytes (Kerberos) / %s (SPNEGO) as measured against sspix-server, "
                      "tokens per handshake %s; MIT gss-server is single-threaded with listen backlog 0, so with 4 "
                      "processes some connects wait for a SYN retransmission (its handshakes/s, not its CPU)." % (
                          next((r[6] + 5 for r in self.floor_rows if r[0] == "Kerberos"), "?"),
                          next((r[6] + 5 for r in self.floor_rows if r[0] == "SPNEGO"), "?"),
                          " / ".join("%.0f" % r[5] for r in self.floor_rows[::2]))]
        if self.strace_text:
            lines += ["", "## System calls per handshake", "",
                      "`strace -c -f -p PID` on each server while `loadgen -P 4` runs %d Kerberos handshakes "
                      "(calls / handshakes; the sspix-server top 15, then whatever else the floor server makes)."
                      % (200 if QUICK else 500), "", self.strace_text]
        lines += ["", "## Profile of the server's handshake path", "",
                  "`perf record -e cpu-clock -F 4000 -g -p PID` on `sspix-server --protocol gss-sample --threads 2` "
                  "while `loadgen -P 4` runs %d Kerberos handshakes." % (1000 if QUICK else 3000), "",
                  self.profile_text, ""]
        extra = os.path.join(SRC, "bench", "analysis.md")
        if os.path.exists(extra):
            with open(extra) as f:
                lines += [f.read()]
        with open(path, "w") as f:
            f.write("\n".join(lines))


def main():
    if len(sys.argv) != 3:
        print("usage: bench.py BUILD_DIR OUT_MD", file=sys.stderr)
        return 2
    for tool in (GSS_CLIENT, GSS_SERVER):
        if not os.access(tool, os.X_OK):
            print("bench: %s missing (Debian package krb5-gss-samples)" % tool, file=sys.stderr)
            return 1
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="sspix-bench.")
    b = Bench(os.path.abspath(sys.argv[1]), work)
    b.realm_start_time()
    b.realm_up()
    try:
        for part in (b.inprocess, b.floor, b.handshake_capacity, b.client_load, b.latency, b.concurrency, b.strace,
                     b.profile):
            t = time.monotonic()
            part()
            print("bench: %s took %.0f s" % (part.__name__, time.monotonic() - t), flush=True)
    finally:
        b.realm_down()
    b.write(sys.argv[2], time.monotonic() - t0)
    print("bench: wrote %s in %.0f s" % (sys.argv[2], time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
