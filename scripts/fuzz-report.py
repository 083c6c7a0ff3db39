#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run every fuzz.* ctest of a -DSSPIX_FUZZ=ON build and report, per target, what
libFuzzer's -print_final_stats=1 says: executions, executions per second,
coverage (cov: edges) and features (ft:), plus any crash and its reproducer.

  scripts/fuzz-report.py BUILD                bounded: ctest -R '^fuzz\\.' (each target for the
                                              time its cmake/fuzz-*.cmake gives it), as in CI
  scripts/fuzz-report.py --seconds N BUILD    long: every target for N seconds, run directly
                                              (not through ctest, whose TIMEOUT would stop it),
                                              against a realm of its own when the test needs one;
                                              new inputs accumulate in BUILD/fuzz-long-corpus/NAME
  options: -R REGEX (a subset of fuzz.* tests), --jobs N (long mode: targets run at once)

The full libFuzzer output goes to BUILD/fuzz-report.log (long mode: BUILD/fuzz-long-NAME.log).
Exit status: 0 when every target ran and found nothing, 1 otherwise.
"""

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REALM = os.path.join(ROOT, "tests", "realm", "realm")

DONE_RE = re.compile(r"#(\d+)\s+(DONE|INITED|NEW|REDUCE|pulse)\s+cov: (\d+) ft: (\d+)(?: corp: (\d+)/)?")
STAT_RE = re.compile(r"stat::(\w+):\s+(\d+)")
ARTIFACT_RE = re.compile(r"Test unit written to (\S+)")
# AddressSanitizer, LeakSanitizer and libFuzzer's own findings (deadly signal, timeout, out-of-memory) start
# "==PID== ERROR:" / "==PID==ERROR:"; UndefinedBehaviorSanitizer says "runtime error:".
# libFuzzer's progress lines ("#1234\tNEW    cov: ..."), left out of a failure's excerpt.
PROGRESS_RE = re.compile(r"^#\d+\s+(NEW|REDUCE|pulse|INITED|DONE|RELOAD)\s")
CRASH_RE = re.compile(r"^(==\d+==\s*ERROR: .*|.*runtime error: .*)$")


def parse(lines):
    """What one target's output says: a dict of figures and findings."""
    r = {"execs": None, "exec_s": None, "cov": None, "ft": None, "corp": None, "crash": None, "artifact": None}
    last = None
    for line in lines:
        m = DONE_RE.search(line)
        if m and (last is None or m.group(2) == "DONE" or last.group(2) != "DONE"):
            last = m
        m = STAT_RE.search(line)
        if m and m.group(1) == "number_of_executed_units":
            r["execs"] = int(m.group(2))
        elif m and m.group(1) == "average_exec_per_sec":
            r["exec_s"] = int(m.group(2))
        m = ARTIFACT_RE.search(line)
        if m:
            r["artifact"] = m.group(1)
        m = CRASH_RE.match(line.strip())
        if m and r["crash"] is None:
            r["crash"] = m.group(1)
    if last is not None:
        r["cov"], r["ft"] = int(last.group(3)), int(last.group(4))
        r["corp"] = int(last.group(5)) if last.group(5) else None
        if r["execs"] is None:
            r["execs"] = int(last.group(1))
    return r


def table(results):
    """results: list of (name, figures, passed)."""
    head = ("target", "execs", "exec/s", "cov", "ft", "corpus", "result")
    rows = []
    for name, r, passed in results:
        if passed and r["crash"] is None:
            verdict = "ok"
        elif r["artifact"]:
            verdict = "CRASH " + r["artifact"]
        elif r["crash"]:
            verdict = "FAILED " + r["crash"][:80]
        else:
            verdict = "FAILED (see the log)"
        rows.append((name, *("-" if r[k] is None else str(r[k]) for k in ("execs", "exec_s", "cov", "ft", "corp")),
                     verdict))
    widths = [max(len(x[i]) for x in [head] + rows) for i in range(len(head) - 1)]
    for row in [head] + rows:
        print("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))) + "  " + row[-1])
    for name, r, passed in results:
        if not passed or r["crash"]:
            print(f"{name}: {r['crash'] or 'failed'}" + (f"\n  reproduce: {r['artifact']}" if r["artifact"] else ""))


def ctest_tests(build, regex):
    """The fuzz.* tests of build as ctest describes them (name, command, properties)."""
    out = subprocess.run(["ctest", "--show-only=json-v1", "-R", regex], cwd=build, check=True, capture_output=True,
                         text=True).stdout
    tests = []
    for t in json.loads(out).get("tests", []):
        if not t["name"].startswith("fuzz."):
            continue
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        tests.append((t["name"], t.get("command", []), props))
    return tests


def bounded(build, regex, log_path):
    """ctest runs the tests (realm fixture included); the verbose output is split per test."""
    names = [n for n, _, _ in ctest_tests(build, regex)]
    if not names:
        print(f"fuzz-report: no fuzz.* test in {build} (configure with -DSSPIX_FUZZ=ON)", file=sys.stderr)
        return 1
    with open(log_path, "w") as log:
        proc = subprocess.Popen(["ctest", "-V", "-R", regex], cwd=build, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        number, per_test, failed = {}, {}, set()
        for line in proc.stdout:
            log.write(line)
            m = re.match(r"\s*Start\s+(\d+): (\S+)", line)
            if m:
                number[m.group(1)] = m.group(2)
                continue
            m = re.match(r"(\d+): (.*)", line)
            if m and m.group(1) in number:
                per_test.setdefault(number[m.group(1)], []).append(m.group(2))
                continue
            m = re.search(r"Test\s+#\d+: (\S+) \.+\s*(\*\*\*\S+|Failed|Exception|\S+)", line)
            if m and m.group(2) != "Passed":
                failed.add(m.group(1))
            # A one-line progress note, so that CI shows life during long runs.
            if re.search(r"Test\s+#\d+: fuzz\.", line):
                print(line.rstrip(), flush=True)
        rc = proc.wait()
    results = [(n, parse(per_test.get(n, [])), n not in failed and n in per_test) for n in names]
    for n, r, passed in results:
        if not passed or r["crash"]:
            # The end of the failing target's output without libFuzzer's progress lines, so that the
            # target's own message, the sanitizer report and the stack are what is shown.
            lines = [x for x in per_test.get(n, ["(no output)"]) if not PROGRESS_RE.match(x)]
            print(f"\n---- {n}: the last lines of its output (progress lines left out) ----")
            print("\n".join(lines[-120:]))
    print(f"\nfuzz-report (full output: {log_path})")
    table(results)
    return 0 if rc == 0 and all(p and r["crash"] is None for _, r, p in results) else 1


def find_parts(command):
    """The fuzzer binary and the corpus directory among a test's arguments."""
    fuzzer = corpus = None
    for arg in command:
        if re.fullmatch(r"fuzz_\w+", os.path.basename(arg)) and os.path.isfile(arg) and os.access(arg, os.X_OK):
            fuzzer = arg
        elif os.path.isdir(arg) and os.sep + os.path.join("fuzz", "corpus") + os.sep in arg + os.sep:
            corpus = arg
    return fuzzer, corpus


def run_long(build, name, fuzzer, corpus, env_file, seconds):
    short = name[len("fuzz."):]
    work = os.path.join(build, "fuzz-long-corpus", short)
    os.makedirs(work, exist_ok=True)
    log_path = os.path.join(build, f"fuzz-long-{short}.log")
    cmd = [fuzzer, f"-max_total_time={seconds}", "-print_final_stats=1",
           f"-artifact_prefix={os.path.join(build, 'fuzz-long-' + short + '-')}", work]
    if corpus:
        cmd.append(corpus)  # read-only second directory: new inputs go to work
    env = dict(os.environ)
    script = 'exec "$@"'
    if env_file:
        script = '. "$0" && exec "$@"'
        env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    with open(log_path, "w") as log:
        rc = subprocess.run(["sh", "-c", script, env_file or "sh", *cmd], stdout=log, stderr=subprocess.STDOUT,
                            env=env).returncode
    with open(log_path, errors="replace") as log:
        r = parse(log)
    print(f"{name}: done ({log_path})", flush=True)
    return name, r, rc == 0


def long_mode(build, regex, seconds, jobs):
    tests = ctest_tests(build, regex)
    plan = []
    for name, command, props in tests:
        fuzzer, corpus = find_parts(command)
        if fuzzer is None:
            print(f"fuzz-report: {name}: no fuzz_* program among its arguments; skipped", file=sys.stderr)
            continue
        needs_realm = "realm" in (props.get("FIXTURES_REQUIRED") or [])
        plan.append((name, fuzzer, corpus, needs_realm))
    if not plan:
        print(f"fuzz-report: no fuzz.* test in {build} (configure with -DSSPIX_FUZZ=ON)", file=sys.stderr)
        return 1
    realm_dir = os.path.join(build, "fuzz-long-realm")
    env_file = None
    if any(p[3] for p in plan):
        subprocess.run([REALM, "up", realm_dir], check=True)
        env_file = os.path.join(realm_dir, "env")
    try:
        print(f"fuzz-report: {len(plan)} targets, {seconds} s each, {jobs} at a time", flush=True)
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(run_long, build, n, f, c, env_file if r else None, seconds) for n, f, c, r in plan]
            results = [f.result() for f in futures]
    finally:
        if env_file:
            subprocess.run([REALM, "down", realm_dir, "--rm"], check=False)
    print()
    table(results)
    return 0 if all(p and r["crash"] is None for _, r, p in results) else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build", help="a build directory configured with -DSSPIX_FUZZ=ON")
    ap.add_argument("--seconds", type=int, help="long mode: run every target this long, outside ctest")
    ap.add_argument("--jobs", type=int, default=1, help="long mode: targets run at once (default 1)")
    ap.add_argument("-R", dest="regex", default=r"^fuzz\.", help=r"which fuzz.* tests (default ^fuzz\.)")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if shutil.which("ctest") is None:
        sys.exit("fuzz-report: ctest not found (cmake package)")
    if a.seconds is not None:
        if a.seconds <= 0 or a.jobs <= 0:
            sys.exit("fuzz-report: --seconds and --jobs must be positive")
        sys.exit(long_mode(build, a.regex, a.seconds, a.jobs))
    sys.exit(bounded(build, a.regex, os.path.join(build, "fuzz-report.log")))


if __name__ == "__main__":
    main()
