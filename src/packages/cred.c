/* SPDX-License-Identifier: MIT */
/*
 * cred.c - AcquireCredentialsHandle, FreeCredentialsHandle and
 * QueryCredentialsAttributes for the GSSAPI-backed packages: what the caller
 * asked for is read here, once, and the steps the packages share live here;
 * what differs goes through the package's own operations (cred.h), in
 * cred_krb5.c, cred_negotiate.c and cred_ntlm.c.
 *
 * Credentials are acquired once and shared by every context (measured: 1.3x
 * faster than acquiring per handshake).
 */
#include "packages/cred.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>
#include <com_err.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"
#include "sspi/status.h"

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
    sspix_krb5_acceptor_free(c->native);
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
    struct sspix_acquire a = {.principal = principal, .name = GSS_C_NO_NAME};
    SECURITY_STATUS st;

    switch (use & ~(ULONG)(SECPKG_CRED_AUTOLOGON_RESTRICTED | SECPKG_CRED_PROCESS_POLICY_ONLY)) {
    case SECPKG_CRED_INBOUND: a.usage = GSS_C_ACCEPT; break;
    case SECPKG_CRED_OUTBOUND: a.usage = GSS_C_INITIATE; break;
    case SECPKG_CRED_BOTH: a.usage = GSS_C_BOTH; break;
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
            memset(&a.store_copy, 0, sizeof(a.store_copy));
            memcpy(&a.store_copy, auth_data,
                   magic == SSPIX_AUTH_STORE_MAGIC ? sizeof(a.store_copy)
                                                   : offsetof(SSPIX_AUTH_STORE_A, NtlmUsersFile));
            if (a.store_copy.NtlmUsersFile != NULL && strnlen(a.store_copy.NtlmUsersFile, 4097) > 4096)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "NtlmUsersFile is longer than 4096 bytes");
            if (a.store_copy.Flags & ~(ULONG)(SSPIX_AUTH_STORE_ALLOW_NTLM | SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY |
                                              SSPIX_AUTH_STORE_REPLAY_IN_PROCESS))
                return sspix_fail(SEC_E_INVALID_PARAMETER, "unknown SSPIX_AUTH_STORE_A Flags 0x%x",
                                  (unsigned)a.store_copy.Flags);
            a.store = &a.store_copy;
            auth_data = a.store->Identity;
        }
        SEC_GUARD(sspix_identity_recognise(auth_data, &a.ident_copy, &a.ident, &a.pkglist));
    }

    if (a.ident != NULL && a.usage == GSS_C_ACCEPT)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "a password credential can only be used outbound: an acceptor "
                                                      "needs a keytab (or, for NTLM, a users file)");

    struct sspix_gss_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    c->use = use;
    st = pkg->cred->acquire(&a, c, expiry);
    OM_uint32 minor;
    if (a.name != GSS_C_NO_NAME)
        gss_release_name(&minor, &a.name);
    sspix_identity_clear(&a.id);
    if (st != SEC_E_OK) {
        sspix_gss_free_cred(c);
        return st;
    }
    *out = c;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_cred_prepare(struct sspix_acquire *a, struct sspix_gss_cred *c)
{
    SECURITY_STATUS st;
    const char *principal = a->principal;
    if (a->ident != NULL) {
        SEC_GUARD(sspix_identity_parse(a->ident, &a->id));
        st = sspix_import_principal(a->id.principal, &a->name);
    } else if (principal != NULL) {
        st = sspix_import_principal(principal, &a->name);
    } else {
        st = SEC_E_OK;
    }
    if (st != SEC_E_OK)
        return st;

    const SSPIX_AUTH_STORE_A *store = a->store;
    if (a->usage == GSS_C_ACCEPT && (st = sspix_check_keytab(store ? store->Keytab : NULL, principal)) != SEC_E_OK)
        return st;
    /* Keys read now, once; the acquisition below names the copy (errors the file). */
    a->keytab_shown = store ? store->Keytab : NULL;
    if (a->usage == GSS_C_ACCEPT && store != NULL && (store->Flags & SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY)) {
        SEC_GUARD(sspix_keytab_to_memory(c, store->Keytab, principal));
        a->store_copy.Keytab = c->mem_keytab_name;
    }
    /* Replays are caught in process (ctx.c): MIT's replay cache is off. */
    if (a->usage != GSS_C_INITIATE && store != NULL && (store->Flags & SSPIX_AUTH_STORE_REPLAY_IN_PROCESS)) {
        if (store->ReplayCache != NULL)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "ReplayCache and SSPIX_AUTH_STORE_REPLAY_IN_PROCESS both "
                                                       "given: choose MIT's replay cache or the in-process one");
        a->store_copy.ReplayCache = "none:";
        c->replay_in_process = 1;
        /* With MIT's replay cache out of the way, plain Kerberos tokens can be
         * accepted natively (krb5_accept.h); NULL leaves them all to GSSAPI. */
        if (a->ident == NULL)
            c->native = sspix_krb5_acceptor_new(store->Keytab, principal);
    }
    return SEC_E_OK;
}

SECURITY_STATUS sspix_cred_failed(const struct sspix_acquire *a, OM_uint32 major, OM_uint32 minor, int krb5_usable,
                                  const char *ntlm_file)
{
    char where[512];
    char *who = sspix_name_string(a->name);
    sspix_describe_defaults(a->usage == GSS_C_INITIATE, a->store ? a->store->Ccache : NULL, a->keytab_shown, where,
                            sizeof(where));
    SECURITY_STATUS st =
        sspix_gss_fail("acquiring credentials", major, minor, krb5_usable ? &sspix_oid_krb5 : &sspix_oid_ntlm);
    if (!krb5_usable && (st == SEC_E_INTERNAL_ERROR || st == SEC_E_UNKNOWN_CREDENTIALS))
        st = SEC_E_NO_CREDENTIALS;
    if (a->ident != NULL)
        sspix_fail_more(st, "password logon of %s", a->id.principal);
    else if (!krb5_usable)
        sspix_fail_more(st, "no Kerberos ticket in %s and no NTLM credentials in %s", where,
                        ntlm_file ? ntlm_file : "NTLM_USER_FILE");
    else if (a->usage == GSS_C_INITIATE)
        sspix_fail_more(st, "no usable ticket for %s in %s: run kinit", who ? who : "the default principal", where);
    else
        sspix_fail_more(st, "no usable key for %s in keytab %s: check the keytab path, permissions and SPN",
                        who ? who : "any service principal", where);
    free(who);
    return st;
}

void sspix_cred_expiry(const struct sspix_acquire *a, OM_uint32 lifetime, TimeStamp *expiry)
{
    sspix_expiry_from_lifetime(a->usage == GSS_C_ACCEPT ? GSS_C_INDEFINITE : lifetime, 0, (int64_t)time(NULL), NULL,
                               expiry);
}

SECURITY_STATUS sspix_cred_gss_name(struct sspix_gss_cred *c, char **out)
{
    OM_uint32 major, minor;
    gss_name_t name = GSS_C_NO_NAME;
    major = gss_inquire_cred(&minor, c->cred, &name, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the credential", major, minor, &sspix_oid_krb5);
    if (name == GSS_C_NO_NAME)
        return sspix_fail(SEC_E_NO_CREDENTIALS, "this credential accepts for any principal in its keytab and has "
                                                "no single name: pass pszPrincipal to AcquireCredentialsHandle");
    *out = sspix_name_string(name);
    gss_release_name(&minor, &name);
    return *out ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

SECURITY_STATUS sspix_gss_query_cred(void *p, ULONG attr, void *buffer)
{
    struct sspix_gss_cred *c = p;
    char *s = NULL;
    if (attr != SECPKG_CRED_ATTR_NAMES)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "credential attribute %u is not supported", (unsigned)attr);
    SECURITY_STATUS st = c->pkg->cred->name(c, &s);
    if (st != SEC_E_OK)
        return st;
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

    if (pkg->cred->ticket_mechs == NULL)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION,
                          "%s cannot use a delegated Kerberos credential: acquire it for Kerberos or Negotiate",
                          pkg->name);
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
        major = gss_acquire_cred_from(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, pkg->cred->ticket_mechs, GSS_C_INITIATE,
                                      &kv, &c->cred, NULL, &lifetime);
    }
    if (!GSS_ERROR(major) && pkg->cred->ticket_pin_krb5)
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
    if (src == NULL || !src->pkg->cred->ticket_copyable || src->cred == GSS_C_NO_CREDENTIAL)
        return sspix_fail(SEC_E_NO_CREDENTIALS, "no delegated Kerberos credential to copy");
    return sspix_gss_cred_from_tickets(pkg, src->cred, out, expiry);
}
