#!/bin/sh
# SPDX-License-Identifier: MIT
# make install's placement rules, installed under DESTDIR (nothing outside a temporary folder):
# - a system prefix (/usr/local) gets programs without RUNPATH; any other prefix keeps
#   $ORIGIN/../<libdir>, so its programs run from there (tests/install covers running them);
# - the library never carries a RUNPATH;
# - the sample configuration lands in PREFIX/etc/sspix, and a second install keeps an edited one;
# - documentation goes to share/doc/sspix.
set -eu
build=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
runpath() { readelf -d "$1" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p'; }

DESTDIR="$dir/sys" cmake --install "$build" --prefix /usr/local >/dev/null
root="$dir/sys/usr/local"
for p in bin/sspix-client sbin/sspix-server; do
  [ -z "$(runpath "$root/$p")" ] || { echo "FAIL: $p installed under /usr/local has RUNPATH $(runpath "$root/$p")"; exit 1; }
done
lib=$(ls "$root"/lib*/libsspix.so.0)
[ -z "$(runpath "$lib")" ] || { echo "FAIL: $lib has RUNPATH $(runpath "$lib")"; exit 1; }
conf="$root/etc/sspix/sspix-server.conf"
grep -q '^#max-token = 65536$' "$conf" || { echo "FAIL: no sample configuration at $conf"; exit 1; }
for f in README.md LICENSE CHANGELOG.md examples/sspi_demo.c; do
  [ -f "$root/share/doc/sspix/$f" ] || { echo "FAIL: share/doc/sspix/$f not installed"; exit 1; }
done
echo "port = 2001" >"$conf"
DESTDIR="$dir/sys" cmake --install "$build" --prefix /usr/local >"$dir/out"
[ "$(cat "$conf")" = "port = 2001" ] || { echo "FAIL: a second install overwrote the edited $conf"; exit 1; }
grep -q "Kept: .*sspix-server.conf" "$dir/out" || { echo "FAIL: the second install did not say it kept $conf"; exit 1; }

cmake --install "$build" --prefix "$dir/opt" >/dev/null
for p in bin/sspix-client sbin/sspix-server; do
  # shellcheck disable=SC2016 # a literal $ORIGIN
  case $(runpath "$dir/opt/$p") in
    '$ORIGIN/../lib'*) ;;
    *) echo "FAIL: $p under a private prefix has RUNPATH '$(runpath "$dir/opt/$p")', not \$ORIGIN/../<libdir>"; exit 1 ;;
  esac
done
[ -f "$dir/opt/etc/sspix/sspix-server.conf" ] || { echo "FAIL: no sample configuration under the private prefix"; exit 1; }
echo "deploy.install_prefix: no RUNPATH under /usr/local, \$ORIGIN under a private prefix, configuration kept"
