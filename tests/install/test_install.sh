#!/bin/sh
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
echo "install.pkgconfig: built with '$cflags $libs' and authenticated"
