#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the generated seeds into their committed corpora: fuzz_conn -gen=fuzz/corpus/conn and
# fuzz_client_conv -gen=fuzz/corpus/client_conv (realm-backed), fuzz_conn_fake, fuzz_config and
# fuzz_identity (deterministic, no realm) likewise.
# The seeds are deterministic (a header choosing mode, protocol and package, then
# records that the target protects with the fresh context of each run), so running
# this again changes nothing unless a generator changed. Seeds of other names in
# those directories (captured tokens, minimised finds) are left as they are.
#
#   fuzz/make_corpus.sh BUILD      BUILD configured with -DSSPIX_FUZZ=ON, targets built
set -eu
[ $# -eq 1 ] || { echo "usage: $0 BUILD" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
for target in conn client_conv conn_fake config identity; do
    mkdir -p "$here/corpus/$target"
    "$1/fuzz_$target" -gen="$here/corpus/$target"
    echo "fuzz/corpus/$target: $(ls "$here/corpus/$target" | wc -l) seeds"
done
