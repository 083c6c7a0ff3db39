#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs one libFuzzer target on a throwaway copy of its committed corpus, so new
# inputs never land in the committed one; crash artifacts go to ARTIFACT_PREFIX.
#
#   fuzz/run.sh ENV CORPUS FUZZER ARTIFACT_PREFIX SECONDS
#
# ENV is a realm's env file (tests/realm/realm up DIR writes DIR/env) for
# targets that need a KDC, or "-" for none. With a realm, leak detection is
# off: MIT krb5 keeps process-lifetime caches that LeakSanitizer would report
# on every exit. -print_final_stats=1 is what scripts/fuzz-report.sh reads.
set -u
[ $# -eq 5 ] || { echo "usage: $0 ENV CORPUS FUZZER ARTIFACT_PREFIX SECONDS" >&2; exit 2; }
env_file=$1 corpus=$2 fuzzer=$3 prefix=$4 seconds=$5
if [ "$env_file" != - ]; then
    . "$env_file" || exit 1
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    export ASAN_OPTIONS
fi
d=$(mktemp -d) || exit 1
trap 'rm -rf "$d"' EXIT
cp -R "$corpus/." "$d/" || exit 1
"$fuzzer" -max_total_time="$seconds" -artifact_prefix="$prefix" -print_final_stats=1 "$d"
