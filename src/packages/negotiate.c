/* SPDX-License-Identifier: MIT */
/*
 * negotiate.c - the "Negotiate" package: SPNEGO (RFC 4178) over MIT's
 * mechanism, negotiating Kerberos; as an acceptor it also takes a client that
 * sends raw Kerberos tokens, as Windows' Negotiate does.
 */
#include "packages/cred.h"
#include "packages/gss_core.h"

#define NEGOTIATE_CAPS                                                                                                 \
    (SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_CONNECTION | SECPKG_FLAG_MULTI_REQUIRED |               \
     SECPKG_FLAG_EXTENDED_ERROR | SECPKG_FLAG_IMPERSONATION | SECPKG_FLAG_ACCEPT_WIN32_NAME |                          \
     SECPKG_FLAG_GSS_COMPATIBLE | SECPKG_FLAG_LOGON | SECPKG_FLAG_MUTUAL_AUTH | SECPKG_FLAG_DELEGATION |               \
     SECPKG_FLAG_READONLY_WITH_CHECKSUM | SECPKG_FLAG_NEGOTIABLE2)

const struct sspix_package sspix_package_negotiate = {
    .id = SSPIX_PKG_NEGOTIATE,
    .name = "Negotiate",
    .comment = "SPNEGO negotiation of Kerberos (MIT krb5 GSSAPI)",
    .capabilities = NEGOTIATE_CAPS,
    .version = 1,
    .rpcid = RPC_C_AUTHN_GSS_NEGOTIATE,
    .max_token = 48256, /* Kerberos' maximum plus the SPNEGO envelope */
    .ops = &sspix_gss_ops,
    .cred = &sspix_cred_negotiate,
};
