/* SPDX-License-Identifier: MIT */
/*
 * kerberos.c - the "Kerberos" package: the krb5 mechanism, directly.
 */
#include "packages/cred.h"
#include "packages/gss_core.h"

/* What this implementation really offers (no datagram contexts). */
#define KERBEROS_CAPS                                                                                                  \
    (SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_TOKEN_ONLY | SECPKG_FLAG_CONNECTION |                   \
     SECPKG_FLAG_MULTI_REQUIRED | SECPKG_FLAG_EXTENDED_ERROR | SECPKG_FLAG_IMPERSONATION |                             \
     SECPKG_FLAG_ACCEPT_WIN32_NAME | SECPKG_FLAG_NEGOTIABLE | SECPKG_FLAG_GSS_COMPATIBLE | SECPKG_FLAG_LOGON |         \
     SECPKG_FLAG_MUTUAL_AUTH | SECPKG_FLAG_DELEGATION | SECPKG_FLAG_READONLY_WITH_CHECKSUM)

const struct sspix_package sspix_package_kerberos = {
    .id = SSPIX_PKG_KERBEROS,
    .name = "Kerberos",
    .comment = "Kerberos V5 security package (MIT krb5 GSSAPI)",
    .capabilities = KERBEROS_CAPS,
    .version = 1,
    .rpcid = RPC_C_AUTHN_GSS_KERBEROS,
    .max_token = 48000, /* Windows' value since Server 2012: tickets with large PACs fit */
    .ops = &sspix_gss_ops,
    .cred = &sspix_cred_krb5,
};
