#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the build tree into a temporary prefix, then compiles the UNICODE
# Windows-style program (tests/integration/wide_windows.c: TCHAR, TEXT(), the
# generic names, <security.h>) with nothing but `pkg-config --cflags --libs
# sspix`: as C with a 32-bit wchar_t, as C with -fshort-wchar, and as C++;
# each authenticates against the test realm with the caller's tickets and
# with a non-ASCII password logon.
set -eu
build=$1
src=$2
extra_cflags=${3:-}   # e.g. the sanitizer flags the library was built with
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for libdir in "$prefix"/lib*; do break; done
test -f "$prefix/include/sspix/compat/Security.h" || { echo "compat header Security.h not installed"; exit 1; }
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cflags=$(pkg-config --cflags sspix)
libs=$(pkg-config --libs sspix)
user=$(printf 'j\303\274rgen')
password=$(printf 'p\303\244ssw\303\266rd-\303\251')
prog="$src/tests/integration/wide_windows.c"
for variant in c32 c16 cxx32 cxx16; do
  case $variant in
    c32) compile="cc -std=c11 -Werror=incompatible-pointer-types" ;;
    c16) compile="cc -std=c11 -fshort-wchar -Werror=incompatible-pointer-types" ;;
    cxx32) compile="g++ -std=c++11 -x c++" ;;
    cxx16) compile="g++ -std=c++11 -fshort-wchar -x c++" ;;
  esac
  # shellcheck disable=SC2086
  $compile -Wall -Wextra -Werror $extra_cflags "$prog" $cflags $libs -Wl,-rpath,"$libdir" -o "$prefix/wide_$variant"
  "$src/tests/integration/wide_windows.sh" "$prefix/wide_$variant" Kerberos "alice@$SSPIX_REALM" Negotiate host/localhost
  "$src/tests/integration/wide_windows.sh" "$prefix/wide_$variant" Kerberos "$user@$SSPIX_REALM" Kerberos \
      host/localhost "$user" "$SSPIX_REALM" "$password"
done
echo "install.wide: built with '$cflags $libs' in both wchar_t widths, as C and C++, and authenticated"
