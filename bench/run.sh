#!/bin/sh
# bench/run.sh [BUILD_DIR] - build what the benchmarks need and regenerate bench/README.md (issue 5 §2).
# Takes a few minutes on 2 cores; SSPIX_BENCH_QUICK=1 for a shorter smoke run. Needs krb5-gss-samples.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target sspix-server sspix-client sspix_bench
exec /usr/bin/python3 "$here/bench.py" "$build" "$here/README.md"
