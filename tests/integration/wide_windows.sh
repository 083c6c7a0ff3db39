#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the UNICODE Windows-style program and checks what it printed:
#   wide_windows.sh PROGRAM WANT_PACKAGE WANT_CLIENT PROGRAM-ARGS...
# WANT_CLIENT is the client's name as the server must see it (UTF-8).
set -eu
prog=$1 want_pkg=$2 want_client=$3
shift 3
out=$("$prog" "$@")
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -qx "package: $want_pkg" || { echo "expected package: $want_pkg" >&2; exit 1; }
printf '%s\n' "$out" | grep -qxF "client: $want_client" || { echo "expected client: $want_client" >&2; exit 1; }
printf '%s\n' "$out" | grep -qx "message: hello from a UNICODE program" || { echo "no decrypted message" >&2; exit 1; }
