/* SPDX-License-Identifier: MIT */
/*
 * cred.c - AcquireCredentialsHandle, FreeCredentialsHandle and
 * QueryCredentialsAttributes for the GSSAPI-backed packages.
 *
 * Credentials are acquired once and shared by every context (measured: 1.3x
 * faster than acquiring per handshake). Negotiate is MIT's SPNEGO mechanism
 * with its negotiable set pinned to Kerberos, so a credential never drags in
 * whatever other mechanism plugins the machine has installed; NTLM
 * (gss-ntlmssp) joins it only when the caller allows it (SSPIX_AUTH_STORE_A,
 * or a PackageList naming it). NTLM alone is the "NTLM" package.
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <com_err.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"
#include "packages/identity.h"

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

/* The NTLM package's credential: gss-ntlmssp alone. */
static OM_uint32 acquire_ntlm(OM_uint32 *minor, const char *principal, gss_cred_usage_t usage,
                              const SSPIX_AUTH_STORE_A *store, const SEC_WINNT_AUTH_IDENTITY_A *ident,
                              gss_cred_id_t *out, SECURITY_STATUS *st)
{
    const char *file = store ? store->NtlmUsersFile : NULL;
    gss_name_t name = GSS_C_NO_NAME;
    OM_uint32 major, m2;
    *st = SEC_E_OK;

    if (usage == GSS_C_BOTH) {
        *st = sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM credentials are inbound or outbound: gss-ntlmssp has no "
                                                  "SECPKG_CRED_BOTH; acquire two");
        return GSS_S_FAILURE;
    }
    if (usage == GSS_C_ACCEPT) {
        /* The users file travels with a server credential, which needs a
         * server name; without a file gss-ntlmssp reads NTLM_USER_FILE (or
         * asks winbind) at accept time. */
        if (file != NULL && (*st = sspix_ntlm_acceptor_name(&name)) != SEC_E_OK)
            return GSS_S_FAILURE;
        major = sspix_acquire_one(minor, name, NULL, NULL, file, &sspix_mechs_ntlm, usage, out, NULL);
    } else if (ident != NULL) {
        char *user, *pw;
        if ((*st = sspix_identity_check(ident)) != SEC_E_OK)
            return GSS_S_FAILURE;
        if ((user = sspix_ntlm_user_name(ident)) == NULL) {
            *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            return GSS_S_FAILURE;
        }
        *st = sspix_ntlm_import(user, strlen(user), GSS_C_NT_USER_NAME, &name);
        free(user);
        if (*st != SEC_E_OK)
            return GSS_S_FAILURE;
        pw = sspix_dup_bytes(ident->Password ? (const void *)ident->Password : "", ident->PasswordLength);
        if (pw == NULL) {
            gss_release_name(&m2, &name);
            *st = sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            return GSS_S_FAILURE;
        }
        gss_buffer_desc pwbuf = {strlen(pw), pw};
        major = sspix_acquire_one(minor, name, &pwbuf, NULL, NULL, &sspix_mechs_ntlm, usage, out, NULL);
        explicit_bzero(pw, pwbuf.length);
        free(pw);
    } else {
        if (principal != NULL &&
            (*st = sspix_ntlm_import(principal, strnlen(principal, 1025), GSS_C_NT_USER_NAME, &name)) != SEC_E_OK)
            return GSS_S_FAILURE;
        major = sspix_acquire_one(minor, name, NULL, NULL, file, &sspix_mechs_ntlm, usage, out, NULL);
    }
    if (GSS_ERROR(major)) {
        *st = sspix_gss_fail("acquiring NTLM credentials", major, *minor, &sspix_oid_ntlm);
        if (*st == SEC_E_INTERNAL_ERROR || *st == SEC_E_UNKNOWN_CREDENTIALS)
            *st = SEC_E_NO_CREDENTIALS;
        if (usage == GSS_C_INITIATE && ident == NULL)
            sspix_fail_more(*st,
                            "no NTLM credentials in %s: name a file of DOMAIN:user:password lines "
                            "(SSPIX_AUTH_STORE_A.NtlmUsersFile or NTLM_USER_FILE), or pass a "
                            "SEC_WINNT_AUTH_IDENTITY",
                            file ? file : "NTLM_USER_FILE");
        else if (usage == GSS_C_ACCEPT)
            sspix_fail_more(*st, "NTLM acceptor with users file %s", file ? file : "(NTLM_USER_FILE)");
    }
    gss_release_name(&m2, &name);
    return major;
}

/* Where the default credentials would come from, for error messages. */
void sspix_describe_defaults(int initiate, const char *store_ccache, const char *store_keytab, char *out, size_t cap)
{
    krb5_context k;
    out[0] = '\0';
    if (initiate && store_ccache) {
        snprintf(out, cap, "%s", store_ccache);
        return;
    }
    if (!initiate && store_keytab) {
        snprintf(out, cap, "%s", store_keytab);
        return;
    }
    if (krb5_init_context(&k) != 0) {
        snprintf(out, cap, "the default location (krb5 configuration unreadable: check KRB5_CONFIG)");
        return;
    }
    if (initiate) {
        const char *cc = krb5_cc_default_name(k);
        snprintf(out, cap, "%s", cc ? cc : "(default ccache)");
    } else {
        char kt[512];
        if (krb5_kt_default_name(k, kt, sizeof(kt)) == 0)
            snprintf(out, cap, "%s", kt);
    }
    krb5_free_context(k);
}

void sspix_gss_free_cred(void *p)
{
    struct sspix_gss_cred *c = p;
    OM_uint32 minor;
    if (c == NULL)
        return;
    if (c->cred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->cred);
    if (c->kcred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->kcred);
    if (c->ncred != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->ncred);
    if (c->mem_ccache != NULL)
        krb5_cc_destroy(c->kctx, c->mem_ccache);
    if (c->mem_keytab != NULL)
        krb5_kt_close(c->kctx, c->mem_keytab);
    if (c->kctx != NULL)
        krb5_free_context(c->kctx);
    free(c->ntlm_name);
    free(c->ntlm_users_file);
    free(c);
}

/* One gss_acquire_cred* call: with a password, from a store, or defaults.
 * ntlm_file (an NTLM users/credentials file) goes into the store as
 * gss-ntlmssp's "ntlmssp_keyfile"; the krb5 mechanism ignores that key. */
OM_uint32 sspix_acquire_one(OM_uint32 *minor, gss_name_t name, gss_buffer_t password, const SSPIX_AUTH_STORE_A *store,
                            const char *ntlm_file, gss_OID_set mechs, gss_cred_usage_t usage, gss_cred_id_t *out,
                            OM_uint32 *lifetime)
{
    gss_key_value_element_desc el[5];
    OM_uint32 n = 0;
    if (password != NULL)
        return gss_acquire_cred_with_password(minor, name, password, GSS_C_INDEFINITE, mechs, usage, out, NULL,
                                              lifetime);
    if (ntlm_file)
        el[n++] = (gss_key_value_element_desc){"ntlmssp_keyfile", ntlm_file};
    if (store != NULL) {
        if (store->Keytab)
            el[n++] = (gss_key_value_element_desc){"keytab", store->Keytab};
        if (store->Ccache)
            el[n++] = (gss_key_value_element_desc){"ccache", store->Ccache};
        if (store->ClientKeytab)
            el[n++] = (gss_key_value_element_desc){"client_keytab", store->ClientKeytab};
        if (store->ReplayCache)
            el[n++] = (gss_key_value_element_desc){"rcache", store->ReplayCache};
    }
    if (n > 0) {
        gss_key_value_set_desc kv = {n, el};
        return gss_acquire_cred_from(minor, name, GSS_C_INDEFINITE, mechs, usage, &kv, out, NULL, lifetime);
    }
    return gss_acquire_cred(minor, name, GSS_C_INDEFINITE, mechs, usage, out, NULL, lifetime);
}

SECURITY_STATUS sspix_gss_acquire(const struct sspix_package *pkg, const char *principal, ULONG use,
                                  const void *auth_data, void **out, TimeStamp *expiry)
{
    OM_uint32 major, minor, lifetime = 0;
    gss_cred_usage_t usage;
    gss_name_t name = GSS_C_NO_NAME;
    struct sspix_identity id = {0};
    SSPIX_AUTH_STORE_A store_copy;
    const SSPIX_AUTH_STORE_A *store = NULL;
    const SEC_WINNT_AUTH_IDENTITY_A *ident = NULL;
    SEC_WINNT_AUTH_IDENTITY_A ident_copy;
    unsigned pkglist = 0;
    SECURITY_STATUS st;

    switch (use & ~(ULONG)(SECPKG_CRED_AUTOLOGON_RESTRICTED | SECPKG_CRED_PROCESS_POLICY_ONLY)) {
    case SECPKG_CRED_INBOUND: usage = GSS_C_ACCEPT; break;
    case SECPKG_CRED_OUTBOUND: usage = GSS_C_INITIATE; break;
    case SECPKG_CRED_BOTH: usage = GSS_C_BOTH; break;
    default:
        return sspix_fail(SEC_E_INVALID_PARAMETER,
                          "fCredentialUse 0x%x: use SECPKG_CRED_INBOUND, SECPKG_CRED_OUTBOUND or SECPKG_CRED_BOTH",
                          (unsigned)use);
    }

    if (auth_data != NULL) {
        uint64_t magic;
        memcpy(&magic, auth_data, sizeof(magic));
        if (magic == SSPIX_AUTH_STORE_MAGIC || magic == SSPIX_AUTH_STORE_MAGIC_V1) {
            /* A v1 structure ends at Identity: read no further. */
            memset(&store_copy, 0, sizeof(store_copy));
            memcpy(&store_copy, auth_data,
                   magic == SSPIX_AUTH_STORE_MAGIC ? sizeof(store_copy) : offsetof(SSPIX_AUTH_STORE_A, NtlmUsersFile));
            if (store_copy.NtlmUsersFile != NULL && strnlen(store_copy.NtlmUsersFile, 4097) > 4096)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "NtlmUsersFile is longer than 4096 bytes");
            if (store_copy.Flags & ~(ULONG)(SSPIX_AUTH_STORE_ALLOW_NTLM | SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY))
                return sspix_fail(SEC_E_INVALID_PARAMETER, "unknown SSPIX_AUTH_STORE_A Flags 0x%x",
                                  (unsigned)store_copy.Flags);
            store = &store_copy;
            auth_data = store->Identity;
        }
        if ((st = sspix_identity_recognise(auth_data, &ident_copy, &ident, &pkglist)) != SEC_E_OK)
            return st;
    }

    if (ident != NULL && usage == GSS_C_ACCEPT)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "a password credential can only be used outbound: an acceptor "
                                                      "needs a keytab (or, for NTLM, a users file)");

    struct sspix_gss_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    c->use = use;

    if (pkg->id == SSPIX_PKG_NTLM) {
        major = acquire_ntlm(&minor, principal, usage, store, ident, &c->cred, &st);
        if (GSS_ERROR(major)) {
            sspix_gss_free_cred(c);
            return st;
        }
        if (usage == GSS_C_ACCEPT && store != NULL && store->NtlmUsersFile != NULL &&
            (c->ntlm_users_file = strdup(store->NtlmUsersFile)) == NULL) {
            sspix_gss_free_cred(c);
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        }
        if (ident != NULL || principal != NULL) {
            c->ntlm_name = ident ? sspix_ntlm_user_name(ident) : strdup(principal);
            if (c->ntlm_name == NULL) {
                sspix_gss_free_cred(c);
                return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            }
        }
        sspix_unix_to_timestamp(INT64_MAX, expiry); /* NTLM credentials do not expire */
        *out = c;
        return SEC_E_OK;
    }

    /* Negotiate may add NTLM when the caller allows it. */
    int ntlm_ok = pkg->id == SSPIX_PKG_NEGOTIATE &&
                  ((store != NULL && (store->NtlmUsersFile != NULL || (store->Flags & SSPIX_AUTH_STORE_ALLOW_NTLM))) ||
                   (pkglist & SSPIX_PKGLIST_NTLM));
    if (pkglist & SSPIX_PKGLIST_NO_NTLM)
        ntlm_ok = 0;
    const char *ntlm_file = ntlm_ok && store != NULL ? store->NtlmUsersFile : NULL;
    /* "!Kerberos": Negotiate goes straight to NTLM, which the list must allow. */
    int no_krb5 = pkg->id == SSPIX_PKG_NEGOTIATE && (pkglist & SSPIX_PKGLIST_NO_KERBEROS);
    if (no_krb5 && (!ntlm_ok || usage != GSS_C_INITIATE || ident != NULL)) {
        sspix_gss_free_cred(c);
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION,
                          !ntlm_ok ? "the PackageList excludes Kerberos and does not name NTLM: Negotiate has no "
                                     "package left"
                                   : "a PackageList without Kerberos is supported for outbound credentials without "
                                     "a password only");
    }

    if (ident != NULL) {
        if ((st = sspix_identity_parse(ident, &id)) != SEC_E_OK) {
            sspix_gss_free_cred(c);
            return st;
        }
        st = sspix_import_principal(id.principal, &name);
    } else if (principal != NULL) {
        st = sspix_import_principal(principal, &name);
    } else {
        st = SEC_E_OK;
    }
    if (st != SEC_E_OK) {
        sspix_identity_clear(&id);
        sspix_gss_free_cred(c);
        return st;
    }

    if (usage == GSS_C_ACCEPT && (st = sspix_check_keytab(store ? store->Keytab : NULL, principal)) != SEC_E_OK) {
        gss_release_name(&minor, &name);
        sspix_gss_free_cred(c);
        return st;
    }
    /* Keys read now, once; the acquisition below names the copy (errors the file). */
    const char *keytab_shown = store ? store->Keytab : NULL;
    if (usage == GSS_C_ACCEPT && store != NULL && (store->Flags & SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY)) {
        if ((st = sspix_keytab_to_memory(c, store->Keytab, principal)) != SEC_E_OK) {
            gss_release_name(&minor, &name);
            sspix_gss_free_cred(c);
            return st;
        }
        store_copy.Keytab = c->mem_keytab_name;
    }

    gss_OID_set mechs = pkg->id == SSPIX_PKG_KERBEROS ? &sspix_mechs_krb5
                        : usage == GSS_C_INITIATE     ? &sspix_mechs_spnego
                                                      : &sspix_mechs_spnego_krb5;
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    int krb5_usable = 1;
    if (pkg->id == SSPIX_PKG_NEGOTIATE && usage == GSS_C_INITIATE && ident != NULL) {
        gss_buffer_desc pw = {strlen(id.password), id.password};
        major = acquire_negotiate_password(&minor, id.principal, name, &pw, c, &cred, &lifetime);
        /* Kerberos unusable, NTLM allowed: NTLM with the same password. */
        if (GSS_ERROR(major) && ntlm_ok && c->kcred == GSS_C_NO_CREDENTIAL && kerberos_unusable(minor)) {
            krb5_usable = 0;
            lifetime = GSS_C_INDEFINITE;
            major = acquire_negotiate_ntlm_password(&minor, ident, &cred, &st);
            if (st != SEC_E_OK) {
                gss_release_name(&minor, &name);
                sspix_identity_clear(&id);
                sspix_gss_free_cred(c);
                return st;
            }
        }
    } else if (pkg->id == SSPIX_PKG_NEGOTIATE && usage == GSS_C_INITIATE) {
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
    } else if (pkg->id == SSPIX_PKG_NEGOTIATE && usage != GSS_C_INITIATE && ntlm_ok) {
        major = sspix_acquire_one(&minor, name, NULL, store, NULL, mechs, usage, &cred, &lifetime);
        if (!GSS_ERROR(major)) {
            gss_name_t at = GSS_C_NO_NAME;
            if (ntlm_file != NULL && (st = sspix_ntlm_acceptor_name(&at)) != SEC_E_OK) {
                gss_release_name(&minor, &name);
                gss_release_cred(&minor, &cred);
                sspix_gss_free_cred(c);
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
                gss_release_name(&minor, &name);
                gss_release_cred(&minor, &cred);
                sspix_gss_free_cred(c);
                return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            }
            if (GSS_ERROR(major)) {
                gss_release_cred(&minor, &cred);
                st = sspix_gss_fail("acquiring NTLM acceptor credentials", major, minor, &sspix_oid_ntlm);
                sspix_fail_more(st, "users file %s", ntlm_file ? ntlm_file : "(NTLM_USER_FILE)");
                gss_release_name(&minor, &name);
                sspix_gss_free_cred(c);
                return st;
            }
        }
    } else {
        gss_buffer_desc pw = {ident ? strlen(id.password) : 0, id.password};
        major = sspix_acquire_one(&minor, name, ident ? &pw : NULL, store, ntlm_file, mechs, usage, &cred, &lifetime);
    }

    if (GSS_ERROR(major)) {
        char where[512];
        char *who = sspix_name_string(name);
        sspix_describe_defaults(usage == GSS_C_INITIATE, store ? store->Ccache : NULL, keytab_shown, where,
                                sizeof(where));
        st = sspix_gss_fail("acquiring credentials", major, minor, krb5_usable ? &sspix_oid_krb5 : &sspix_oid_ntlm);
        if (!krb5_usable && (st == SEC_E_INTERNAL_ERROR || st == SEC_E_UNKNOWN_CREDENTIALS))
            st = SEC_E_NO_CREDENTIALS;
        if (ident != NULL)
            sspix_fail_more(st, "password logon of %s", id.principal);
        else if (!krb5_usable)
            sspix_fail_more(st, "no Kerberos ticket in %s and no NTLM credentials in %s", where,
                            ntlm_file ? ntlm_file : "NTLM_USER_FILE");
        else if (usage == GSS_C_INITIATE)
            sspix_fail_more(st, "no usable ticket for %s in %s: run kinit", who ? who : "the default principal", where);
        else
            sspix_fail_more(st, "no usable key for %s in keytab %s: check the keytab path, permissions and SPN",
                            who ? who : "any service principal", where);
        free(who);
        gss_release_name(&minor, &name);
        sspix_identity_clear(&id);
        sspix_gss_free_cred(c);
        return st;
    }
    gss_release_name(&minor, &name);
    sspix_identity_clear(&id);
    c->cred = cred;

    if (pkg->id == SSPIX_PKG_NEGOTIATE) {
        /* Kerberos only, unless NTLM is allowed; NTLM alone when there is no
         * Kerberos ticket to offer. */
        gss_OID_set neg = !ntlm_ok || usage != GSS_C_INITIATE ? &sspix_mechs_krb5
                          : krb5_usable                       ? &sspix_mechs_krb5_ntlm
                                                              : &sspix_mechs_ntlm;
        major = gss_set_neg_mechs(&minor, cred, neg);
        if (GSS_ERROR(major)) {
            sspix_gss_free_cred(c);
            return sspix_gss_fail("choosing Negotiate's mechanisms", major, minor, &sspix_oid_spnego);
        }
    }

    sspix_expiry_from_lifetime(usage == GSS_C_ACCEPT ? GSS_C_INDEFINITE : lifetime, 0, (int64_t)time(NULL), NULL,
                               expiry);
    *out = c;
    return SEC_E_OK;
}

/*
 * A credential of gss-ntlmssp's defaults speaks for whoever runs the process,
 * as Windows' default credentials speak for the logon session: HOST\user,
 * the short host name in capitals standing for the local domain.
 */
static char *process_account_name(void)
{
    char host[256] = "LOCALHOST", buf[4096];
    struct passwd pw, *found = NULL;
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "LOCALHOST");
    host[sizeof(host) - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    for (char *h = host; *h; h++)
        *h = (char)toupper((unsigned char)*h);
    char out[256 + 1 + 256];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &found) == 0 && found != NULL)
        snprintf(out, sizeof(out), "%s\\%.256s", host, found->pw_name);
    else
        snprintf(out, sizeof(out), "%s\\%u", host, (unsigned)geteuid());
    return strdup(out);
}

SECURITY_STATUS sspix_gss_query_cred(void *p, ULONG attr, void *buffer)
{
    struct sspix_gss_cred *c = p;
    OM_uint32 major, minor;
    gss_name_t name = GSS_C_NO_NAME;

    if (attr != SECPKG_CRED_ATTR_NAMES)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "credential attribute %u is not supported", (unsigned)attr);
    if (c->pkg->id == SSPIX_PKG_NTLM) {
        /* gss-ntlmssp's gss_inquire_cred dereferences a missing name. */
        char *s = c->ntlm_name ? strdup(c->ntlm_name) : process_account_name();
        if (s == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        ((SecPkgCredentials_NamesA *)buffer)->sUserName = s;
        return SEC_E_OK;
    }
    major = gss_inquire_cred(&minor, c->cred, &name, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the credential", major, minor, &sspix_oid_krb5);
    if (name == GSS_C_NO_NAME)
        return sspix_fail(SEC_E_NO_CREDENTIALS, "this credential accepts for any principal in its keytab and has "
                                                "no single name: pass pszPrincipal to AcquireCredentialsHandle");
    char *s = sspix_name_string(name);
    gss_release_name(&minor, &name);
    if (s == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    ((SecPkgCredentials_NamesA *)buffer)->sUserName = s;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_gss_cred_from_tickets(const struct sspix_package *pkg, gss_cred_id_t src, void **out,
                                            TimeStamp *expiry)
{
    OM_uint32 major, minor, lifetime = 0;
    gss_name_t name = GSS_C_NO_NAME;
    krb5_principal kp = NULL;
    krb5_error_code code;
    SECURITY_STATUS st;

    if (pkg->id == SSPIX_PKG_NTLM)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "NTLM cannot use a delegated Kerberos credential: acquire "
                                                      "it for Kerberos or Negotiate");
    major = gss_inquire_cred(&minor, src, &name, &lifetime, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the delegated credential", major, minor, &sspix_oid_krb5);
    char *who = sspix_name_string(name);
    gss_release_name(&minor, &name);
    if (who == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    if (lifetime == 0) {
        st = sspix_fail(SEC_E_NO_CREDENTIALS,
                        "the credential %s delegated has expired: the client must "
                        "authenticate again",
                        who);
        free(who);
        return st;
    }

    struct sspix_gss_cred *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        free(who);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    c->pkg = pkg;
    c->use = SECPKG_CRED_OUTBOUND;
    if ((code = krb5_init_context(&c->kctx)) != 0 ||
        (code = krb5_cc_new_unique(c->kctx, "MEMORY", NULL, &c->mem_ccache)) != 0 ||
        (code = krb5_parse_name(c->kctx, who, &kp)) != 0 ||
        (code = krb5_cc_initialize(c->kctx, c->mem_ccache, kp)) != 0) {
        if (kp != NULL)
            krb5_free_principal(c->kctx, kp);
        st = sspix_fail(code == ENOMEM ? SEC_E_INSUFFICIENT_MEMORY : SEC_E_INTERNAL_ERROR,
                        "cannot make a credential cache for %s's delegated tickets: %s", who, error_message(code));
        free(who);
        sspix_gss_free_cred(c);
        return st;
    }
    krb5_free_principal(c->kctx, kp);
    major = gss_krb5_copy_ccache(&minor, src, c->mem_ccache);
    if (!GSS_ERROR(major)) {
        char ccname[256];
        snprintf(ccname, sizeof(ccname), "MEMORY:%s", krb5_cc_get_name(c->kctx, c->mem_ccache));
        gss_key_value_element_desc el = {"ccache", ccname};
        gss_key_value_set_desc kv = {1, &el};
        major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
                                      pkg->id == SSPIX_PKG_KERBEROS ? &sspix_mechs_krb5 : &sspix_mechs_spnego,
                                      GSS_C_INITIATE, &kv, &c->cred, NULL, &lifetime);
    }
    if (!GSS_ERROR(major) && pkg->id == SSPIX_PKG_NEGOTIATE)
        major = gss_set_neg_mechs(&minor, c->cred, &sspix_mechs_krb5);
    if (GSS_ERROR(major)) {
        st = sspix_gss_fail("using the delegated credential", major, minor, &sspix_oid_krb5);
        sspix_fail_more(st, "delegated by %s", who);
        free(who);
        sspix_gss_free_cred(c);
        return st;
    }
    free(who);
    sspix_expiry_from_lifetime(lifetime, 0, (int64_t)time(NULL), NULL, expiry);
    *out = c;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_gss_copy_cred(const struct sspix_package *pkg, void *p, void **out, TimeStamp *expiry)
{
    struct sspix_gss_cred *src = p;
    if (src == NULL || src->pkg->id != SSPIX_PKG_KERBEROS || src->cred == GSS_C_NO_CREDENTIAL)
        return sspix_fail(SEC_E_NO_CREDENTIALS, "no delegated Kerberos credential to copy");
    return sspix_gss_cred_from_tickets(pkg, src->cred, out, expiry);
}
