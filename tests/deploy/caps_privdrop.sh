#!/bin/sh
# SPDX-License-Identifier: MIT
# The capabilities sspix-server.service leaves the server (CapabilityBoundingSet=CAP_SETUID
# CAP_SETGID CAP_NET_BIND_SERVICE, NoNewPrivileges=yes) are enough for everything it does as root:
# bind a port below 1024, read a root-owned 0600 keytab, drop to another account (--user) and then
# authenticate a client. Run under setpriv with exactly that bounding set; after the drop the
# process must hold no capability at all. Needs root (skips with 77 otherwise) and the realm.
set -eu
server=$1
client=$2
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: no setpriv (util-linux)"; exit 77; }
dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT
# The account needs the krb5 configuration (no secrets) and a replay cache directory.
cp "$KRB5_CONFIG" "$dir/krb5.conf"
chmod 644 "$dir/krb5.conf"
mkdir "$dir/rcache"
chmod 1777 "$dir/rcache"
chmod 755 "$dir"
export KRB5_CONFIG="$dir/krb5.conf" KRB5RCACHEDIR="$dir/rcache"
# A free port below 1024 (the server reports a clash as "Address already in use").
for port in 983 987 991 995 999 1003 1007 1011; do
  rm -f "$dir/pid"
  setpriv --bounding-set -all,+setuid,+setgid,+net_bind_service --inh-caps=-all --no-new-privs \
    "$server" --bind 127.0.0.1 --port "$port" --user nobody --mode echo --pid-file "$dir/pid" >"$dir/log" 2>&1 &
  pid=$!
  i=0
  while [ ! -s "$dir/pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 "$pid" 2>/dev/null && break
  wait "$pid" || true
  pid=
  grep -q "Address already in use" "$dir/log" || { echo "FAIL: the server did not start:"; cat "$dir/log"; exit 1; }
done
[ -n "$pid" ] || { echo "FAIL: no free port below 1024"; exit 1; }
if ! "$client" 127.0.0.1 --port "$port" --spn host/localhost --mode echo --message capcheck >"$dir/client" 2>&1; then
  echo "FAIL: the client was not served:"; cat "$dir/client" "$dir/log"; exit 1
fi
grep -q '^capcheck$' "$dir/client" || { echo "FAIL: no echo:"; cat "$dir/client"; exit 1; }
for f in CapPrm CapEff CapInh CapAmb; do
  v=$(sed -n "s/^$f:[[:space:]]*//p" "/proc/$pid/status")
  [ "$v" = 0000000000000000 ] || { echo "FAIL: after the drop $f is $v"; exit 1; }
done
uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status")
[ "$uid" = "$(id -u nobody)" ] || { echo "FAIL: running as uid $uid, not nobody"; exit 1; }
kill "$pid"
wait "$pid" || { echo "FAIL: the server's exit status after SIGTERM was not 0:"; cat "$dir/log"; exit 1; }
pid=
echo "deploy.caps_privdrop: port $port bound, keytab read, dropped to nobody with no capability left, client served"
