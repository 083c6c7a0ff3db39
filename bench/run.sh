#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh [BUILD_DIR] - build what the benchmarks need and regenerate bench/README.md.
# Takes under 10 minutes on 2 cores; SSPIX_BENCH_QUICK=1 for a shorter run (under 3). Needs krb5-gss-samples.
# SSPIX_BENCH_SESSIONS=N: idle sessions in the concurrency run (default 100000, QUICK 2000; RLIMIT_NOFILE caps it).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target sspix-server sspix-client sspix_bench protect_bench \
    accept_bench floor_server loadgen
# RFC 4121 protection (rfc4121.c vs MIT gss_*_iov vs the OpenSSL floor) in a realm of its own: bench/protect.md.
realm_dir="$build/bench-realm-protect"
"$src/tests/realm/realm" up "$realm_dir" >/dev/null
if [ "${SSPIX_BENCH_QUICK:-}" = 1 ]; then rounds=3 mb=2; else rounds=5 mb=8; fi
rc=0
t0=$(date +%s)
{ echo "# RFC 4121 message protection: \`protect_bench $rounds $mb\` (MB/s, medians of $rounds rounds)"; echo;
  (. "$realm_dir/env" && "$build/protect_bench" "$rounds" "$mb"); } >"$here/protect.md" || rc=$?
"$src/tests/realm/realm" down "$realm_dir" --rm >/dev/null
[ "$rc" = 0 ] || exit "$rc"
echo "bench: protect_bench took $(($(date +%s) - t0)) s"
exec /usr/bin/python3 "$here/bench.py" "$build" "$here/README.md"
