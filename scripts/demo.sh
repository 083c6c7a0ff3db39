#!/bin/sh
# make demo: a throwaway MIT KDC on loopback, then a client and a server
# context authenticating each other through the SSPI function table, with
# Negotiate and with Kerberos. Everything started here is stopped by PID.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
realm_dir=$(mktemp -d /tmp/sspix-demo.XXXXXX)
cleanup() { "$top/tests/realm/realm" down "$realm_dir" --rm >/dev/null 2>&1 || true; }
trap cleanup EXIT INT TERM

"$top/tests/realm/realm" up "$realm_dir"
. "$realm_dir/env"
echo
echo "== Negotiate, alice -> host/localhost"
"$build/sspi_demo" Negotiate host/localhost
echo
echo "== Kerberos, alice -> ADSockAuth/localhost/sspix"
"$build/sspi_demo" Kerberos ADSockAuth/localhost/sspix
