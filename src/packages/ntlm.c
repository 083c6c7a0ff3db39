/* SPDX-License-Identifier: MIT */
/*
 * ntlm.c - the "NTLM" package: gss-ntlmssp through MIT's mechglue. Its
 * message protection is protect_ntlm.c; the checks its handshake tokens pass
 * before gss-ntlmssp sees them are tokcheck.c and ntlm_msg.c.
 */
#include "packages/cred.h"
#include "packages/gss_internal.h"

/* INTEGRITY | PRIVACY | TOKEN_ONLY | CONNECTION | MULTI_REQUIRED | IMPERSONATION | ACCEPT_WIN32_NAME | NEGOTIABLE |
 * LOGON: Windows' NTLM base set (0x2B37). No MUTUAL_AUTH: NTLM never proves the server's identity. */
#define NTLM_CAPS                                                                                                      \
    (SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_TOKEN_ONLY | SECPKG_FLAG_CONNECTION |                   \
     SECPKG_FLAG_MULTI_REQUIRED | SECPKG_FLAG_IMPERSONATION | SECPKG_FLAG_ACCEPT_WIN32_NAME | SECPKG_FLAG_NEGOTIABLE | \
     SECPKG_FLAG_LOGON)

const struct sspix_package sspix_package_ntlm = {
    .id = SSPIX_PKG_NTLM,
    .name = "NTLM",
    .comment = "NTLM Security Package (gss-ntlmssp)",
    .capabilities = NTLM_CAPS,
    .version = 1,
    .rpcid = RPC_C_AUTHN_WINNT,
    .max_token = SSPIX_NTLM_MAX_TOKEN,
    .ops = &sspix_gss_ops,
    .cred = &sspix_cred_ntlm,
};
