#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian packages sspix needs to build, test and demo, if any is
# missing. Needs root (apt-get); says so clearly otherwise.
set -eu

PACKAGES="cmake make gcc libc6-dev pkg-config libkrb5-dev krb5-kdc krb5-admin-server krb5-user python3 iproute2 util-linux coreutils
gss-ntlmssp gss-ntlmssp-dev krb5-gss-samples libevent-dev python3-ntlm-auth python3-pycryptodome libssl-dev
libsystemd-dev systemd heimdal-multidev"
if [ "${SSPIX_DEPS_EXTRA:-}" != "" ]; then
  PACKAGES="$PACKAGES $SSPIX_DEPS_EXTRA"
fi

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

echo "sspix: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
  echo "sspix: apt-get needs root. Run as root, or install first:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
