/* SPDX-License-Identifier: MIT */
/*
 * identity.h - the caller's pAuthData for AcquireCredentialsHandle:
 * SEC_WINNT_AUTH_IDENTITY_A, its extended form SEC_WINNT_AUTH_IDENTITY_EXA,
 * and the PackageList the extended form carries.
 */
#ifndef SSPIX_PACKAGES_IDENTITY_H
#define SSPIX_PACKAGES_IDENTITY_H

#include <sspix/sspix.h>

#include "common/guard.h"

/* What a PackageList says about the packages Negotiate may use. */
#define SSPIX_PKGLIST_KERBEROS    0x1u /* named */
#define SSPIX_PKGLIST_NTLM        0x2u /* named */
#define SSPIX_PKGLIST_NO_KERBEROS 0x4u /* "!Kerberos" */
#define SSPIX_PKGLIST_NO_NTLM     0x8u /* "!NTLM" */

/* Longest PackageList accepted, in bytes. */
#define SSPIX_PKGLIST_MAX 256u

/*
 * Parses a PackageList ("Kerberos,NTLM", "!ntlm", "Negotiate, NTLM"): names
 * are matched without regard to case, blanks around them are ignored, and
 * "Negotiate" is allowed and means nothing more. An unknown name, an empty
 * element, a name both named and negated, or a list longer than
 * SSPIX_PKGLIST_MAX is SEC_E_SECPKG_NOT_FOUND / SEC_E_INVALID_PARAMETER with
 * a message. len counts bytes without a terminating NUL; list may be NULL
 * when len is 0 (then *flags is 0).
 */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_package_list_parse(const unsigned char *list, ULONG len, unsigned *flags);

/*
 * Recognises pAuthData. Sets *ident to the SEC_WINNT_AUTH_IDENTITY_A to use
 * (NULL: none, the caller's default identity) and *pkglist to the parsed
 * PackageList flags (0 when none). An SEC_WINNT_AUTH_IDENTITY_EXA is copied
 * into *storage, which must outlive the use of *ident. auth_data must not be
 * an SSPIX_AUTH_STORE_A (the caller tells those apart first).
 */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_identity_recognise(const void *auth_data, SEC_WINNT_AUTH_IDENTITY_A *storage,
                                                          const SEC_WINNT_AUTH_IDENTITY_A **ident, unsigned *pkglist);

/* Longest User, Domain or Password accepted, in bytes. */
#define SSPIX_MAX_IDENTITY_FIELD 512u

/* A checked identity as Kerberos takes it: "user@REALM" (a Windows domain is
 * a realm in capitals; "DOMAIN\\user" and "user@REALM" forms are accepted)
 * and the password, both malloc'ed and NUL-terminated. */
struct sspix_identity {
    char *principal;
    char *password;
};

/* Bounds and encoding of a caller's SEC_WINNT_AUTH_IDENTITY_A: ANSI flag,
 * a user, lengths within SSPIX_MAX_IDENTITY_FIELD with memory behind them,
 * no NUL inside a length. SEC_E_OK or the failure with a message. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_identity_check(const SEC_WINNT_AUTH_IDENTITY_A *a);

/* Checks a and fills *id; on failure *id holds nothing to free. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_identity_parse(const SEC_WINNT_AUTH_IDENTITY_A *a, struct sspix_identity *id);

/* Frees *id, wiping the password; safe on a zeroed or cleared identity. */
void sspix_identity_clear(struct sspix_identity *id);

#endif
