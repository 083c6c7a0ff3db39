/* SPDX-License-Identifier: MIT */
/*
 * cred_ntlm.c - the NTLM package's credentials: gss-ntlmssp alone, from a
 * password, a users file (SSPIX_AUTH_STORE_A.NtlmUsersFile or
 * NTLM_USER_FILE) or gss-ntlmssp's defaults. NTLM credentials do not expire
 * and cannot carry delegated Kerberos tickets.
 */
#include "packages/cred.h"

#include <gssapi/gssapi.h>

#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packages/gss_status.h"
#include "sspi/errors.h"

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

static SECURITY_STATUS ntlm_acquire(struct sspix_acquire *a, struct sspix_gss_cred *c, TimeStamp *expiry)
{
    OM_uint32 major, minor;
    SECURITY_STATUS st;
    major = acquire_ntlm(&minor, a->principal, a->usage, a->store, a->ident, &c->cred, &st);
    if (GSS_ERROR(major))
        return st;
    if (a->usage == GSS_C_ACCEPT && a->store != NULL && a->store->NtlmUsersFile != NULL &&
        (c->ntlm_users_file = strdup(a->store->NtlmUsersFile)) == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    if (a->ident != NULL || a->principal != NULL) {
        c->ntlm_name = a->ident ? sspix_ntlm_user_name(a->ident) : strdup(a->principal);
        if (c->ntlm_name == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    sspix_unix_to_timestamp(INT64_MAX, expiry); /* NTLM credentials do not expire */
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_name(struct sspix_gss_cred *c, char **out)
{
    /* gss-ntlmssp's gss_inquire_cred dereferences a missing name. */
    *out = c->ntlm_name ? strdup(c->ntlm_name) : process_account_name();
    return *out ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

const struct sspix_cred_ops sspix_cred_ntlm = {
    .acquire = ntlm_acquire, .name = ntlm_name, .ticket_mechs = NULL, /* NTLM cannot use delegated Kerberos tickets */
};
