#!/bin/sh
# SPDX-License-Identifier: MIT
# Compiles the UNICODE Windows-style program as C++ against the build tree
# (the headers as g++ sees them), in both wchar_t widths, and runs each.
#   wide_cxx.sh SOURCE_DIR LIB_DIR "EXTRA_FLAGS"
set -eu
src=$1 libdir=$2 extra=${3:-}
command -v g++ >/dev/null 2>&1 || { echo "g++ not found: install the Debian package g++ (scripts/deps.sh)"; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for width in 32 16; do
  flags=
  [ "$width" = 16 ] && flags=-fshort-wchar
  # shellcheck disable=SC2086
  g++ -std=c++11 -Wall -Wextra -Werror $flags $extra -x c++ "$src/tests/integration/wide_windows.c" \
      -I"$src/include" -I"$src/include/sspix/compat" -L"$libdir" -lsspix -Wl,-rpath,"$libdir" -o "$out/wide_windows$width"
  "$src/tests/integration/wide_windows.sh" "$out/wide_windows$width" Kerberos "alice@$SSPIX_REALM" Negotiate host/localhost
  "$src/tests/integration/wide_windows.sh" "$out/wide_windows$width" Kerberos "$(printf 'j\303\274rgen')@$SSPIX_REALM" \
      Kerberos host/localhost "$(printf 'j\303\274rgen')" "$SSPIX_REALM" "$(printf 'p\303\244ssw\303\266rd-\303\251')"
done
echo "wide.cxx: the UNICODE program built as C++ in both widths and authenticated"
