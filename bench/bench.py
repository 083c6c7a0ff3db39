#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench.py BUILD_DIR OUT_MD - sspix against MIT's gss-sample peers, side by side in one run (issue 5 §2).

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
        self.rows = []      # (section, what, figure, command)
        self.notes = []

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

    # ---- 10,000 idle authenticated sessions ---------------------------------------------------------------------
    def concurrency(self):
        n = 2000 if QUICK else 10000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard != resource.RLIM_INFINITY and hard < n + 200:
            self.notes.append("RLIMIT_NOFILE hard limit %d < %d: concurrency run skipped" % (hard, n + 200))
            return
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        srv = self.sspix_server("--mode", "echo", "--max-connections", "20000", "--idle-timeout", "300",
                                "--handshake-timeout", "120", "--log", "syslog")
        try:
            time.sleep(0.3)
            base = rss_kib(srv.pid)
            argv = [self.client_bin, "localhost", "--port", str(srv.port), "--spn", "host/localhost", "--mode", "echo",
                    "--message", "still here", "--connections", str(n), "--parallel", str(n), "--hold", "20",
                    "--timeout", "120", "--quiet"]
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
        if held_rss is None or not m:
            self.notes.append("concurrency run: no result:\n" + out[-1000:])
            return
        per = (held_rss - base) / n
        self.row("concurrency", "%d idle authenticated echo sessions: server RSS per session" % n,
                 "%.1f KiB (RSS %d -> %d KiB)" % (per, base, held_rss),
                 "sspix-server --mode echo --max-connections 20000; " + " ".join(["sspix-client"] + argv[1:]))
        self.row("concurrency", "... then every session echoes once: ok / failed",
                 "%s / %s" % (m.group(1), m.group(2)), "(same run)")

    # ---- in-process ---------------------------------------------------------------------------------------------
    def inprocess(self):
        def run(*args):
            p = subprocess.run([self.bench_bin] + list(args), env=self.env, stdout=subprocess.PIPE, check=True)
            return dict(l.split() for l in p.stdout.decode().splitlines())
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
        try:
            self.gss_client_load(srv, 1, 20, [])
            rec = subprocess.Popen([perf, "record", "-e", "cpu-clock", "-F", "4000", "-g", "-o", data, "-p",
                                    str(srv.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            self.gss_client_load(srv, 4, 250, [])
            rec.send_signal(signal.SIGINT)
            rec.wait(30)
        finally:
            srv.stop()

        def report(*args):
            p = subprocess.run([perf, "report", "-i", data, "--no-children", "-g", "none", "--percent-limit", "1.5",
                                "--stdio"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            return "\n".join(l for l in p.stdout.decode("utf-8", "replace").splitlines()
                             if l.strip() and not l.startswith("#"))
        self.profile_text = ("By library (share of the server's on-CPU samples):\n\n```\n" + report("--sort", "dso")
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
                 "Regenerated by `make bench` (`bench/run.sh`); do not edit by hand. Issue 5 §2: everything side by "
                 "side in one run on one machine, medians of alternating rounds, with the exact commands.", "",
                 "- date: %s" % datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
                 "- machine: %s, %d CPUs, Linux %s; MIT krb5 %s" % (cpu, os.cpu_count(), platform.release(), krb5),
                 "- run time: %.0f s%s" % (seconds, " (SSPIX_BENCH_QUICK=1: reduced counts)" if QUICK else ""),
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
        lines += ["", "## Profile of the server's handshake path", "",
                  "`perf record -e cpu-clock -g -p PID` on `sspix-server --protocol gss-sample --threads 2` while 4 "
                  "MIT gss-client processes run 1,000 Kerberos handshakes (`-mcount 0`).", "", self.profile_text, ""]
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
        b.inprocess()
        b.handshake_capacity()
        b.client_load()
        b.latency()
        b.concurrency()
        b.profile()
    finally:
        b.realm_down()
    b.write(sys.argv[2], time.monotonic() - t0)
    print("bench: wrote %s in %.0f s" % (sys.argv[2], time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
