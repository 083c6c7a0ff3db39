/* SPDX-License-Identifier: MIT */
/*
 * cred_negotiate.c - the Negotiate package's credentials: MIT's SPNEGO
 * mechanism with its negotiable set pinned to Kerberos, so a credential
 * never drags in whatever other mechanism plugins the machine has installed;
 * NTLM (gss-ntlmssp) joins it only when the caller allows it
 * (SSPIX_AUTH_STORE_A, or a PackageList naming it), and stands in for
 * Kerberos when Kerberos cannot be used at all.
 */
#include "packages/cred.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packages/gss_status.h"
#include "sspi/errors.h"
#include "sspi/status.h"

/*
 * Negotiate from a password. MIT's SPNEGO would try the password with every
 * installed mechanism and report the last one's error (a plugin's "invalid
 * name" instead of Kerberos' "wrong password"). So Kerberos alone does the
 * AS exchange (once: no second failed logon), the TGT goes into a private
 * MEMORY ccache, and the SPNEGO credential is acquired from that.
 */
static OM_uint32 acquire_negotiate_password(OM_uint32 *minor, const char *principal, gss_name_t name,
                                            gss_buffer_t password, struct sspix_gss_cred *c, gss_cred_id_t *out,
                                            OM_uint32 *lifetime)
{
    gss_cred_id_t kcred = GSS_C_NO_CREDENTIAL;
    OM_uint32 major;
    krb5_error_code code;
    krb5_principal kp = NULL;

    major = gss_acquire_cred_with_password(minor, name, password, GSS_C_INDEFINITE, &sspix_mechs_krb5, GSS_C_INITIATE,
                                           &c->kcred, NULL, lifetime);
    if (GSS_ERROR(major))
        return major;
    kcred = c->kcred;
    if ((code = krb5_init_context(&c->kctx)) != 0 ||
        (code = krb5_cc_new_unique(c->kctx, "MEMORY", NULL, &c->mem_ccache)) != 0 ||
        (code = krb5_parse_name(c->kctx, principal, &kp)) != 0 ||
        (code = krb5_cc_initialize(c->kctx, c->mem_ccache, kp)) != 0) {
        if (kp != NULL)
            krb5_free_principal(c->kctx, kp);
        *minor = (OM_uint32)code;
        return GSS_S_FAILURE;
    }
    krb5_free_principal(c->kctx, kp);
    major = gss_krb5_copy_ccache(minor, kcred, c->mem_ccache);
    if (GSS_ERROR(major))
        return major;
    char ccname[256];
    snprintf(ccname, sizeof(ccname), "MEMORY:%s", krb5_cc_get_name(c->kctx, c->mem_ccache));
    gss_key_value_element_desc el = {"ccache", ccname};
    gss_key_value_set_desc kv = {1, &el};
    return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, &sspix_mechs_spnego, GSS_C_INITIATE, &kv, out, NULL,
                                 lifetime);
}

/*
 * Whether a failed Kerberos password logon means Kerberos cannot be used at
 * all, so that Negotiate may fall back to NTLM as Windows' does: no KDC for
 * the realm, or a user the KDC does not know. A wrong password, a locked
 * account or an expired password is a refused logon and never falls back (a
 * second failed logon, against the same account, would follow).
 */
static int kerberos_unusable(OM_uint32 minor)
{
    static const long codes[] = {KRB5_KDC_UNREACH, KRB5_REALM_UNKNOWN, KRB5_REALM_CANT_RESOLVE,
                                 KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (sspix_gss_minor_is(minor, &sspix_oid_krb5, codes[i]))
            return 1;
    return 0;
}

/*
 * Negotiate's NTLM with a password: a SPNEGO credential whose only element is
 * gss-ntlmssp's, given the password through the credential store (the krb5
 * mechanism, asked too by SPNEGO, meets a credential cache of no known type
 * and drops out before it contacts anything).
 */
static OM_uint32 acquire_negotiate_ntlm_password(OM_uint32 *minor, const SEC_WINNT_AUTH_IDENTITY_A *ident,
                                                 gss_cred_id_t *out, SECURITY_STATUS *st)
{
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 major, m2;
    char *user = sspix_ntlm_user_name(ident);
    *st = SEC_E_OK;
    if (user == NULL) {
        *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        return GSS_S_FAILURE;
    }
    *st = sspix_ntlm_import(user, strlen(user), GSS_C_NT_USER_NAME, &name);
    free(user);
    if (*st != SEC_E_OK)
        return GSS_S_FAILURE;
    char *pw = sspix_dup_bytes(ident->Password ? (const void *)ident->Password : "", ident->PasswordLength);
    if (pw == NULL) {
        gss_release_name(&m2, &name);
        *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        return GSS_S_FAILURE;
    }
    gss_key_value_element_desc el[2] = {{"ntlmssp_password", pw}, {"ccache", "SSPIX-NTLM-ONLY:"}};
    gss_key_value_set_desc kv = {2, el};
    major =
        gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, &sspix_mechs_spnego, GSS_C_INITIATE, &kv, out, NULL, NULL);
    explicit_bzero(pw, strlen(pw));
    free(pw);
    gss_release_name(&m2, &name);
    return major;
}

/* Negotiate's NTLM acceptor credential: SPNEGO negotiating NTLM, and NTLM
 * itself, which the mechglue hands a raw NTLMSSP first token to (Windows'
 * Negotiate accepts raw NTLM as it accepts raw Kerberos). */
static gss_OID_desc spnego_ntlm_oids[2] = {{6, (void *)"\x2b\x06\x01\x05\x05\x02"},
                                           {10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"}};
static gss_OID_set_desc spnego_ntlm = {2, spnego_ntlm_oids};

static SECURITY_STATUS negotiate_acquire(struct sspix_acquire *a, struct sspix_gss_cred *c, TimeStamp *expiry)
{
    OM_uint32 major, minor, lifetime = 0;
    const SSPIX_AUTH_STORE_A *store = a->store;
    gss_cred_usage_t usage = a->usage;
    SECURITY_STATUS st;

    /* Negotiate may add NTLM when the caller allows it. */
    int ntlm_ok = (store != NULL && (store->NtlmUsersFile != NULL || (store->Flags & SSPIX_AUTH_STORE_ALLOW_NTLM))) ||
                  (a->pkglist & SSPIX_PKGLIST_NTLM);
    if (a->pkglist & SSPIX_PKGLIST_NO_NTLM)
        ntlm_ok = 0;
    const char *ntlm_file = ntlm_ok && store != NULL ? store->NtlmUsersFile : NULL;
    /* "!Kerberos": Negotiate goes straight to NTLM, which the list must allow. */
    int no_krb5 = (a->pkglist & SSPIX_PKGLIST_NO_KERBEROS) != 0;
    if (no_krb5 && (!ntlm_ok || usage != GSS_C_INITIATE || a->ident != NULL))
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION,
                          !ntlm_ok ? "the PackageList excludes Kerberos and does not name NTLM: Negotiate has no "
                                     "package left"
                                   : "a PackageList without Kerberos is supported for outbound credentials without "
                                     "a password only");
    SEC_GUARD(sspix_cred_prepare(a, c));
    store = a->store;
    gss_name_t name = a->name;

    gss_OID_set mechs = usage == GSS_C_INITIATE ? &sspix_mechs_spnego : &sspix_mechs_spnego_krb5;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    int krb5_usable = 1;
    if (usage == GSS_C_INITIATE && a->ident != NULL) {
        gss_buffer_desc pw = {strlen(a->id.password), a->id.password};
        major = acquire_negotiate_password(&minor, a->id.principal, name, &pw, c, &cred, &lifetime);
        /* Kerberos unusable, NTLM allowed: NTLM with the same password. */
        if (GSS_ERROR(major) && ntlm_ok && c->kcred == GSS_C_NO_CREDENTIAL && kerberos_unusable(minor)) {
            krb5_usable = 0;
            lifetime = GSS_C_INDEFINITE;
            major = acquire_negotiate_ntlm_password(&minor, a->ident, &cred, &st);
            if (st != SEC_E_OK)
                return st;
        }
    } else if (usage == GSS_C_INITIATE) {
        /* Kerberos first: its errors are the ones worth reporting, unless
         * NTLM is allowed to stand in for it (no ticket: fall back). */
        major = no_krb5 ? GSS_S_UNAVAILABLE
                        : sspix_acquire_one(&minor, name, NULL, store, NULL, &sspix_mechs_krb5, usage, &c->kcred,
                                            &lifetime);
        if (GSS_ERROR(major) && ntlm_ok) {
            krb5_usable = 0;
            lifetime = GSS_C_INDEFINITE;
            major = sspix_acquire_one(&minor, GSS_C_NO_NAME, NULL, NULL, ntlm_file, &sspix_mechs_ntlm, usage, &c->kcred,
                                      NULL);
            if (!GSS_ERROR(major))
                major = sspix_acquire_one(&minor, GSS_C_NO_NAME, NULL, store, ntlm_file, mechs, usage, &cred, NULL);
        } else if (!GSS_ERROR(major)) {
            OM_uint32 ignored;
            major = sspix_acquire_one(&minor, name, NULL, store, ntlm_file, mechs, usage, &cred, &ignored);
        }
    } else if (ntlm_ok) {
        major = sspix_acquire_one(&minor, name, NULL, store, NULL, mechs, usage, &cred, &lifetime);
        if (!GSS_ERROR(major)) {
            gss_name_t at = GSS_C_NO_NAME;
            if (ntlm_file != NULL && (st = sspix_ntlm_acceptor_name(&at)) != SEC_E_OK) {
                gss_release_cred(&minor, &cred);
                return st;
            }
            /* SPNEGO asks every mechanism for this credential. A keytab name
             * of no known type stops krb5 at once (before it builds an
             * acceptor principal from "@" and leaks it on the way out, MIT
             * 1.20); gss-ntlmssp ignores the key. */
            gss_key_value_element_desc el[2] = {{"keytab", "SSPIX-NTLM-ONLY:"}, {"ntlmssp_keyfile", ntlm_file}};
            gss_key_value_set_desc kv = {2, el};
            if (ntlm_file != NULL)
                major = gss_acquire_cred_from(&minor, at, GSS_C_INDEFINITE, &spnego_ntlm, GSS_C_ACCEPT, &kv, &c->ncred,
                                              NULL, NULL);
            else /* SSPIX_AUTH_STORE_ALLOW_NTLM: gss-ntlmssp's defaults (NTLM_USER_FILE, winbind) */
                major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &spnego_ntlm, GSS_C_ACCEPT, &c->ncred,
                                         NULL, NULL);
            gss_release_name(&minor, &at);
            if (!GSS_ERROR(major))
                major = gss_set_neg_mechs(&minor, c->ncred, &sspix_mechs_ntlm);
            if (!GSS_ERROR(major) && ntlm_file != NULL && (c->ntlm_users_file = strdup(ntlm_file)) == NULL) {
                gss_release_cred(&minor, &cred);
                return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            }
            if (GSS_ERROR(major)) {
                gss_release_cred(&minor, &cred);
                st = sspix_gss_fail("acquiring NTLM acceptor credentials", major, minor, &sspix_oid_ntlm);
                sspix_fail_more(st, "users file %s", ntlm_file ? ntlm_file : "(NTLM_USER_FILE)");
                return st;
            }
        }
    } else {
        major = sspix_acquire_one(&minor, name, NULL, store, ntlm_file, mechs, usage, &cred, &lifetime);
    }

    if (GSS_ERROR(major))
        return sspix_cred_failed(a, major, minor, krb5_usable, ntlm_file);
    c->cred = cred;

    /* Kerberos only, unless NTLM is allowed; NTLM alone when there is no
     * Kerberos ticket to offer. */
    gss_OID_set neg = !ntlm_ok || usage != GSS_C_INITIATE ? &sspix_mechs_krb5
                      : krb5_usable                       ? &sspix_mechs_krb5_ntlm
                                                          : &sspix_mechs_ntlm;
    major = gss_set_neg_mechs(&minor, cred, neg);
    if (GSS_ERROR(major))
        return sspix_gss_fail("choosing Negotiate's mechanisms", major, minor, &sspix_oid_spnego);
    sspix_cred_expiry(a, lifetime, expiry);
    return SEC_E_OK;
}

const struct sspix_cred_ops sspix_cred_negotiate = {
    .acquire = negotiate_acquire,
    .name = sspix_cred_gss_name,
    .ticket_mechs = &sspix_mechs_spnego,
    .ticket_pin_krb5 = 1,
};
