#!/bin/sh
# SPDX-License-Identifier: MIT
# The sample /etc/sspix/sspix-server.conf lists every key the server reads (src/service/config.c's
# key table), each once, and its lines with a value, uncommented, are a configuration that
# `sspix-server -t` accepts (run with the test realm's keytab).
set -eu
src=$1
server=$2
conf="$src/etc/sspix-server.conf"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed -n 's/^ *\[SSPIX_KEY_[A-Z_]*\] = "\([a-z-]*\)",$/\1/p' "$src/src/service/config.c" | sort >"$dir/keys"
[ -s "$dir/keys" ] || { echo "FAIL: no keys found in src/service/config.c"; exit 1; }
sed -n 's/^#\([a-z-]*\) =.*/\1/p' "$conf" | sort >"$dir/sample"
if ! cmp -s "$dir/keys" "$dir/sample"; then
  echo "FAIL: keys in config.c (<) and in etc/sspix-server.conf (>) differ:"
  diff "$dir/keys" "$dir/sample" || true
  exit 1
fi
sed -n 's/^#\([a-z-]* = [^ ].*\)/\1/p' "$conf" >"$dir/defaults.conf"
[ -s "$dir/defaults.conf" ] || { echo "FAIL: no default values in the sample"; exit 1; }
if ! "$server" -t -c "$dir/defaults.conf" >"$dir/out" 2>&1; then
  echo "FAIL: sspix-server -t rejects the sample's defaults:"
  cat "$dir/defaults.conf" "$dir/out"
  exit 1
fi
echo "deploy.sample_config: $(wc -l <"$dir/keys") keys, the defaults pass sspix-server -t"
