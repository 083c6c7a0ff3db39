#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build tree into a temporary prefix, then compiles a program
# written as Windows SSPI code (SECURITY_WIN32, <security.h>, the function
# table) with nothing but `pkg-config --cflags --libs sspix`, and runs it
# against the test realm.
set -eu
build=$1
src=$2
extra_cflags=${3:-}   # e.g. the sanitizer flags the library was built with
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib* | head -n 1)
test -e "$libdir/libsspix.so.0" || { echo "no versioned soname in $libdir"; exit 1; }
for h in sspi.h security.h; do
  test -f "$prefix/include/sspix/compat/$h" || { echo "compat header $h not installed"; exit 1; }
done
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$(pkg-config --cflags sspix)
libs=$(pkg-config --libs sspix)
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror $extra_cflags "$src/examples/sspi_demo.c" $cflags $libs -Wl,-rpath,"$libdir" -o "$prefix/sspi_demo"
"$prefix/sspi_demo" Negotiate host/localhost
# The installed programs run from the prefix (relative RPATH) and carry man pages.
"$prefix/bin/sspix-client" --version >/dev/null
"$prefix/sbin/sspix-server" --version >/dev/null
test -f "$prefix/share/man/man1/sspix-client.1" && test -f "$prefix/share/man/man8/sspix-server.8"
echo "install.pkgconfig: built with '$cflags $libs' and authenticated"
