/* SPDX-License-Identifier: MIT */
/*
 * cred.h - credential acquisition, split by package: cred.c reads what the
 * caller asked for and runs the steps every package shares; each package's
 * descriptor points at its own operations (cred_krb5.c, cred_negotiate.c,
 * cred_ntlm.c), so no step asks which package it serves. Private to
 * src/packages/.
 */
#ifndef SSPIX_PACKAGES_CRED_H
#define SSPIX_PACKAGES_CRED_H

#include "common/guard.h"
#include "packages/gss_internal.h"
#include "packages/identity.h"

/* One AcquireCredentialsHandle request as cred.c read it, and what
 * sspix_cred_prepare() made of it. Lives on cred.c's stack for the call. */
struct sspix_acquire {
    const char *principal; /* NULL or the caller's pszPrincipal */
    gss_cred_usage_t usage;
    const SSPIX_AUTH_STORE_A *store;        /* NULL, or &store_copy */
    SSPIX_AUTH_STORE_A store_copy;          /* the caller's, which the steps may point elsewhere */
    const SEC_WINNT_AUTH_IDENTITY_A *ident; /* NULL or a checked ANSI identity */
    SEC_WINNT_AUTH_IDENTITY_A ident_copy;
    unsigned pkglist; /* SSPIX_PKGLIST_* of an extended identity's PackageList */
    /* Set by sspix_cred_prepare(), released by cred.c after the package ran. */
    struct sspix_identity id; /* the identity's principal and password */
    gss_name_t name;          /* the principal asked for, or GSS_C_NO_NAME */
    const char *keytab_shown; /* the keytab to name in errors */
};

/* clang-format 14 splits function-pointer members; keep this one by hand. */
/* clang-format off */
struct sspix_cred_ops {
    /* Fills c (c->pkg and c->use set) for the request; on failure records
     * the cause and returns it, and cred.c frees c. */
    SECURITY_STATUS (*acquire)(struct sspix_acquire *a, struct sspix_gss_cred *c, TimeStamp *expiry);
    /* SECPKG_CRED_ATTR_NAMES: the name the credential speaks for (malloc'ed). */
    SECURITY_STATUS (*name)(struct sspix_gss_cred *c, char **out);
    /* Delegated Kerberos tickets: the mechanisms a credential of this
     * package is acquired for from them (NULL: the package cannot use
     * them), whether SPNEGO's negotiable set is then pinned to Kerberos,
     * and whether a credential made so may be copied into another package's
     * (copy_cred: the one an impersonating thread holds). */
    gss_OID_set ticket_mechs;
    int ticket_pin_krb5;
    int ticket_copyable;
};
/* clang-format on */

extern const struct sspix_cred_ops sspix_cred_krb5;
extern const struct sspix_cred_ops sspix_cred_negotiate;
extern const struct sspix_cred_ops sspix_cred_ntlm;

/* The shared steps of a Kerberos or Negotiate credential, in order:
 * prepare parses the identity, imports the principal, checks (and with
 * SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY copies) the keytab of an acceptor and
 * applies the replay-cache choice; failed explains a failed acquisition
 * (krb5_usable 0: NTLM stood in for Kerberos; ntlm_file as in the store);
 * expiry converts the GSSAPI lifetime. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_cred_prepare(struct sspix_acquire *a, struct sspix_gss_cred *c);
SSPIX_MUST_CHECK SECURITY_STATUS sspix_cred_failed(const struct sspix_acquire *a, OM_uint32 major, OM_uint32 minor,
                                                   int krb5_usable, const char *ntlm_file);
void sspix_cred_expiry(const struct sspix_acquire *a, OM_uint32 lifetime, TimeStamp *expiry);
/* The name op of the Kerberos-based packages: gss_inquire_cred's name. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_cred_gss_name(struct sspix_gss_cred *c, char **out);

#endif
