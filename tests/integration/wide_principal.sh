#!/bin/sh
# SPDX-License-Identifier: MIT
# Adds to the test realm the account the wide-character tests log on as: a
# principal and a password beyond ASCII (UTF-8 on the command line, as MIT
# stores names and derives keys from bytes). Run with the realm's
# environment (KRB5_CONFIG, KRB5_KDC_PROFILE); idempotent.
set -eu
PATH=$PATH:/usr/sbin:/sbin
user=$(printf 'j\303\274rgen')                 # jürgen
password=$(printf 'p\303\244ssw\303\266rd-\303\251') # pässwörd-é
kadmin.local -q "delprinc -force $user@$SSPIX_REALM" >/dev/null 2>&1 || true
kadmin.local -q "addprinc -pw $password $user@$SSPIX_REALM" >/dev/null
# The KDC must know it now: get a ticket with the password.
ccache=$(mktemp)
trap 'rm -f "$ccache"' EXIT
printf '%s\n' "$password" | KRB5CCNAME=FILE:$ccache kinit "$user@$SSPIX_REALM" >/dev/null
# The same account for NTLM (gss-ntlmssp's users file, DOMAIN:user:password),
# and an ASCII-named one with the same password: gss-ntlmssp matches user
# names in the process's locale encoding, so only a program running with a
# UTF-8 LC_CTYPE finds the first.
printf 'SSPIXDOM:%s:%s\nSSPIXDOM:wntlm:%s\n' "$user" "$password" "$password" >"$SSPIX_REALM_DIR/wide-ntlm-users"
echo "wide.principal: $user@$SSPIX_REALM added"
