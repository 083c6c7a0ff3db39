#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/run.sh [BUILD_DIR] - build what the benchmarks need and regenerate bench/README.md (issue 5 §2).
# Takes a few minutes on 2 cores; SSPIX_BENCH_QUICK=1 for a shorter smoke run. Needs krb5-gss-samples.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build}
[ -f "$build/CMakeCache.txt" ] || cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target sspix-server sspix-client sspix_bench protect_bench
# RFC 4121 protection (rfc4121.c vs MIT gss_*_iov vs the OpenSSL floor) in a realm of its own: bench/protect.md.
realm_dir="$build/bench-realm-protect"
"$src/tests/realm/realm" up "$realm_dir" >/dev/null
if [ "${SSPIX_BENCH_QUICK:-}" = 1 ]; then rounds=3 mb=8; else rounds=7 mb=64; fi
rc=0
{ echo "# RFC 4121 message protection: \`protect_bench $rounds $mb\` (MB/s, medians of $rounds rounds)"; echo;
  (. "$realm_dir/env" && "$build/protect_bench" "$rounds" "$mb"); } >"$here/protect.md" || rc=$?
"$src/tests/realm/realm" down "$realm_dir" --rm >/dev/null
[ "$rc" = 0 ] || exit "$rc"
exec /usr/bin/python3 "$here/bench.py" "$build" "$here/README.md"
