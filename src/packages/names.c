/* SPDX-License-Identifier: MIT */
/*
 * names.c - names between SSPI and GSSAPI: SPNs and principals for Kerberos
 * and SPNEGO, user and host-based names for gss-ntlmssp, display forms, and
 * the local account a server context's client maps to (impersonation).
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
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

char *sspix_dup_bytes(const void *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Display form of a name, malloc'ed; NULL on failure. */
char *sspix_name_string(gss_name_t name)
{
    OM_uint32 major, minor;
    gss_buffer_desc buf = GSS_C_EMPTY_BUFFER;
    if (name == GSS_C_NO_NAME)
        return NULL;
    major = gss_display_name(&minor, name, &buf, NULL);
    if (GSS_ERROR(major))
        return NULL;
    char *s = sspix_dup_bytes(buf.value, buf.length);
    gss_release_buffer(&minor, &buf);
    return s;
}

/*
 * SSPI callers name services as SPNs ("host/server.example.com",
 * "host/server@REALM", "svc/host/extra"); GSSAPI callers as "svc@host".
 * A two-part SPN without realm becomes a host-based name so that krb5.conf's
 * domain_realm mapping picks the realm, as a Windows client's referral would;
 * anything else with a '/' is a Kerberos principal name.
 */
SECURITY_STATUS sspix_import_target(const char *target, gss_name_t *out)
{
    OM_uint32 major, minor;
    size_t len = target ? strnlen(target, 1025) : 0;
    if (len == 0)
        return sspix_fail(SEC_E_TARGET_UNKNOWN, "no target name: pass the service's SPN, e.g. host/server.example.com");
    if (len > 1024)
        return sspix_fail(SEC_E_TARGET_UNKNOWN, "target name longer than 1024 bytes");

    const char *slash = strchr(target, '/');
    char buf[1030];
    gss_buffer_desc in;
    gss_OID type;
    if (slash != NULL && strchr(slash + 1, '/') == NULL && strchr(target, '@') == NULL) {
        snprintf(buf, sizeof(buf), "%.*s@%s", (int)(slash - target), target, slash + 1);
        in.value = buf;
        in.length = strlen(buf);
        type = GSS_C_NT_HOSTBASED_SERVICE;
    } else if (slash != NULL) {
        in.value = (void *)target;
        in.length = len;
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    } else if (strchr(target, '@') != NULL) {
        in.value = (void *)target;
        in.length = len;
        type = GSS_C_NT_HOSTBASED_SERVICE;
    } else {
        in.value = (void *)target;
        in.length = len;
        type = (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME;
    }
    major = gss_import_name(&minor, &in, type, out);
    if (GSS_ERROR(major)) {
        sspix_gss_fail("target name", major, minor, &sspix_oid_krb5);
        return sspix_fail_more(SEC_E_TARGET_UNKNOWN, "target \"%s\"", target);
    }
    return SEC_E_OK;
}

SECURITY_STATUS sspix_import_principal(const char *principal, gss_name_t *out)
{
    OM_uint32 major, minor;
    size_t len = strnlen(principal, 1025);
    if (len == 0 || len > 1024)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "principal name empty or longer than 1024 bytes");
    gss_buffer_desc in = {len, (void *)principal};
    major = gss_import_name(&minor, &in, (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, out);
    if (GSS_ERROR(major)) {
        SECURITY_STATUS st = sspix_gss_fail("principal name", major, minor, &sspix_oid_krb5);
        return sspix_fail_more(st, "principal \"%s\"", principal);
    }
    return SEC_E_OK;
}

/*
 * NTLM names. An initiator is "DOMAIN\user" (gss-ntlmssp's user-name form);
 * an acceptor is a host-based service: SSPI's "svc/host[@REALM]" becomes
 * "svc@host", and none at all "host" on this machine.
 */
SECURITY_STATUS sspix_ntlm_import(const char *text, size_t len, gss_OID type, gss_name_t *out)
{
    OM_uint32 major, minor;
    gss_buffer_desc in = {len, (void *)text};
    major = gss_import_name(&minor, &in, type, out);
    if (GSS_ERROR(major)) {
        SECURITY_STATUS st = sspix_gss_fail("NTLM name", major, minor, &sspix_oid_ntlm);
        return sspix_fail_more(st, "name \"%.*s\"", (int)(len > 256 ? 256 : len), text);
    }
    return SEC_E_OK;
}

SECURITY_STATUS sspix_ntlm_server_name(const char *principal, gss_name_t *out)
{
    char buf[1030];
    size_t len = principal ? strnlen(principal, 1025) : 0;
    if (len > 1024)
        return sspix_fail(SEC_E_UNKNOWN_CREDENTIALS, "principal name longer than 1024 bytes");
    const char *slash = len ? strchr(principal, '/') : NULL;
    if (slash != NULL) {
        const char *host = slash + 1;
        size_t hlen = strcspn(host, "/@");
        snprintf(buf, sizeof(buf), "%.*s@%.*s", (int)(slash - principal), principal, (int)hlen, host);
    } else {
        snprintf(buf, sizeof(buf), "%s", len ? principal : "host");
    }
    return sspix_ntlm_import(buf, strlen(buf), GSS_C_NT_HOSTBASED_SERVICE, out);
}

/*
 * An NTLM acceptor's own name: the host-based name "@", which gss-ntlmssp
 * turns into this machine's host name without an SPN. (With an SPN in the
 * CHALLENGE's target info, gss-ntlmssp's initiator compares it with the bare
 * host name it was given and refuses every server; Windows' NTLM servers do
 * not send one either.) So pszPrincipal does not name an NTLM acceptor.
 */
SECURITY_STATUS sspix_ntlm_acceptor_name(gss_name_t *out)
{
    return sspix_ntlm_import("@", 1, GSS_C_NT_HOSTBASED_SERVICE, out);
}

/* "DOMAIN\user" from a checked identity, unless the user field already has a
 * domain; malloc'ed, NULL when out of memory. */
char *sspix_ntlm_user_name(const SEC_WINNT_AUTH_IDENTITY_A *ident)
{
    size_t cap = (size_t)ident->UserLength + ident->DomainLength + 2;
    char *user = malloc(cap);
    if (user == NULL)
        return NULL;
    if (memchr(ident->User, '\\', ident->UserLength) || ident->DomainLength == 0)
        snprintf(user, cap, "%.*s", (int)ident->UserLength, (const char *)ident->User);
    else
        snprintf(user, cap, "%.*s\\%.*s", (int)ident->DomainLength, (const char *)ident->Domain, (int)ident->UserLength,
                 (const char *)ident->User);
    return user;
}

/* ---- the local account a server context's client maps to ---------------------- */

#define SSPIX_LOCAL_NAME_MAX 256u

/* A local account name as the mapping gave it (n bytes), checked and copied into *out. */
static SECURITY_STATUS local_account(const char *name, size_t n, char **out)
{
    if (n == 0 || n > SSPIX_LOCAL_NAME_MAX || memchr(name, '\0', n) || memchr(name, '/', n))
        return sspix_fail(SEC_E_NO_IMPERSONATION, "the client's local name is empty, too long or not an account name");
    *out = sspix_dup_bytes(name, n);
    return *out ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

/* What gss_localname does for a krb5 name: krb5.conf's auth_to_local rules. */
static SECURITY_STATUS native_local_name(const struct sspix_gss_ctx *c, char **out)
{
    krb5_context k = NULL;
    krb5_principal p = NULL;
    char local[SSPIX_LOCAL_NAME_MAX + 1];
    if (krb5_init_context(&k) != 0)
        return sspix_fail(SEC_E_INTERNAL_ERROR, "krb5_init_context failed: check KRB5_CONFIG and krb5.conf");
    krb5_error_code code = krb5_parse_name(k, c->client_name, &p);
    if (code == 0)
        code = krb5_aname_to_localname(k, p, (int)sizeof(local), local);
    if (p != NULL)
        krb5_free_principal(k, p);
    krb5_free_context(k);
    if (code != 0)
        return sspix_fail(SEC_E_NO_IMPERSONATION,
                          "%s maps to no local account: add an auth_to_local rule for it in "
                          "krb5.conf ([realms] REALM = { auth_to_local = ... })",
                          c->client_name);
    return local_account(local, strlen(local), out);
}

SECURITY_STATUS sspix_gss_local_name(void *p, char **out)
{
    struct sspix_gss_ctx *c = p;
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME;
    gss_buffer_desc local = GSS_C_EMPTY_BUFFER;
    SECURITY_STATUS st;

    if ((st = sspix_gss_ready(c)) != SEC_E_OK)
        return st;
    if (!c->server)
        return sspix_fail(SEC_E_NO_IMPERSONATION, "only a server context has a client to impersonate");
    if (c->native)
        return native_local_name(c, out);
    major = gss_inquire_context(&minor, c->ctx, &src, NULL, NULL, NULL, NULL, NULL, NULL);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the client's name", major, minor, c->mech);
    major = gss_localname(&minor, src, GSS_C_NO_OID, &local);
    if (GSS_ERROR(major)) {
        char *who = sspix_name_string(src);
        gss_release_name(&minor, &src);
        sspix_fail(SEC_E_NO_IMPERSONATION,
                   "%s maps to no local account: add an auth_to_local rule for it in "
                   "krb5.conf ([realms] REALM = { auth_to_local = ... })",
                   who ? who : "the client");
        free(who);
        return SEC_E_NO_IMPERSONATION;
    }
    gss_release_name(&minor, &src);
    st = local_account(local.value, local.length, out);
    gss_release_buffer(&minor, &local);
    return st;
}
