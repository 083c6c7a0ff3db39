#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Static analysis of the shipped code (src/ and apps/), each tool fed the compile commands of the
# build itself:
#   1. cppcheck (warning, performance, portability; style is taste, left to review), with the
#      suppressions in tests/sanitizers/cppcheck.supp, each one justified there;
#   2. gcc -fanalyzer (path-sensitive: NULL dereferences, leaks, double frees, use after free,
#      descriptor leaks), with the build's own warnings and -Werror, the model of the error
#      functions in tests/sanitizers/analyzer-model.h, and the per-file exceptions in
#      tests/sanitizers/analyzer.supp, each one justified there.
# Tests, fuzz targets and benchmarks are left out: they run under ASan+UBSan and valgrind, and their
# deliberately half-filled buffers only give cppcheck false positives.
# Usage: scripts/analyze.sh [BUILD_DIR]   (default build-analyze; any finding makes it exit 1)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-analyze}
jobs=$(nproc 2>/dev/null || echo 2)

for tool in cppcheck gcc python3; do
    command -v "$tool" >/dev/null || {
        echo "analyze: $tool is missing (scripts/deps.sh installs it)" >&2
        exit 1
    }
done
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=gcc -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DSSPIX_SANITIZE=OFF -DSSPIX_FUZZ=OFF >/dev/null

status=0
python3 - "$build" "$PWD" "$jobs" <<'EOF' || status=1
import concurrent.futures, json, shlex, subprocess, sys

build, root, jobs = sys.argv[1], sys.argv[2] + "/", int(sys.argv[3])
units = {}
for e in json.load(open(build + "/compile_commands.json")):
    rel = e["file"][len(root):] if e["file"].startswith(root) else e["file"]
    if (rel.startswith("src/") or rel.startswith("apps/")) and rel not in units:
        units[rel] = (e["directory"], shlex.split(e["command"]) if "command" in e else e["arguments"])
print(f"analyze: {len(units)} files from src/ and apps/", flush=True)

# cppcheck: the build's include paths and definitions; system headers stay unread (--library=posix
# describes libc), which keeps the run short and its findings about this code.
flags = sorted({a for _, args in units.values() for a in args
                if (a.startswith("-I") and not a.startswith("-I/usr/")) or a.startswith("-D")})
# Files built with Windows' 16-bit wchar_t (-fshort-wchar) are checked apart, with the compiler's
# matching definition.
groups = {}
for rel, (_, args) in units.items():
    groups.setdefault(("-D__SIZEOF_WCHAR_T__=2",) if "-fshort-wchar" in args else (), []).append(rel)
print("analyze: cppcheck", flush=True)
ok = True
for extra, files in sorted(groups.items()):
    listing = f"{build}/analyze-files{len(extra)}.txt"
    with open(listing, "w") as f:
        f.write("\n".join(sorted(files)) + "\n")
    cppcheck = subprocess.run(["cppcheck", "-q", f"-j{jobs}", "--std=c11", "--library=posix",
                               "--enable=warning,performance,portability", "--inline-suppr",
                               "--suppress-xml=tests/sanitizers/cppcheck.supp", "--error-exitcode=1",
                               "-D__linux__", "-D__x86_64__", *flags, *extra,
                               "--template={file}:{line}: {severity}/{id}: {message}", f"--file-list={listing}"])
    ok = ok and cppcheck.returncode == 0
if not ok:
    print("analyze: cppcheck found the defects above", file=sys.stderr)

# gcc -fanalyzer: each file's own command, analysing only (no object file). Files that report
# errors with sspix_fail() get tests/sanitizers/analyzer-model.h in front (see there why); the file
# that defines it cannot.
model = root + "tests/sanitizers/analyzer-model.h"
# Checked false positives, one warning off per file: tests/sanitizers/analyzer.supp.
off = {}
for line in open(root + "tests/sanitizers/analyzer.supp"):
    if line.strip() and not line.startswith("#"):
        f, w = line.split()[:2]
        if f not in units:
            sys.exit(f"analyze: analyzer.supp names {f}, which is not analysed: drop the line")
        off.setdefault(f, []).append("-Wno-" + w)

def analyze(item):
    rel, (cwd, args) = item
    cmd, skip = [], False
    if rel != "src/sspi/errors.c" and "sspix_fail" in open(root + rel, errors="replace").read():
        args = args[:1] + ["-include", model] + args[1:]
    for a in args:
        if skip:
            skip = False
        elif a == "-o":
            skip = True
        else:
            cmd.append(a)
    r = subprocess.run(cmd + ["-fanalyzer", *off.get(rel, []), "-o", "/dev/null"], cwd=cwd, capture_output=True,
                       text=True)
    return rel, r.returncode, r.stdout + r.stderr

print("analyze: gcc -fanalyzer", flush=True)
with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
    for rel, rc, out in pool.map(analyze, sorted(units.items())):
        if out:
            sys.stdout.write(out)
        if rc != 0:
            print(f"analyze: gcc -fanalyzer: {rel}", file=sys.stderr)
            ok = False
sys.exit(0 if ok else 1)
EOF

if [ "$status" -eq 0 ]; then
    echo "analyze: clean"
else
    echo "analyze: FAILED (findings above)" >&2
fi
exit "$status"
