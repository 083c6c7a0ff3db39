/* SPDX-License-Identifier: MIT */
/*
 * dispatch_attrs.c - what a context tells about itself: QueryContextAttributes
 * (the package's attributes, plus the ones the dispatcher answers), the local
 * account and delegated credential of a server context's client, and
 * ImpersonateSecurityContext / RevertSecurityContext.
 */
#include <stdlib.h>
#include <string.h>

#include "packages/package.h"
#include "sspi/dispatch.h"
#include "sspi/errors.h"
#include "sspi/handles.h"
#include "sspi/impersonate.h"

#include "sspi/export.h"

/* ---- attributes ---------------------------------------------------------------- */

/*
 * SECPKG_ATTR_AUTHORITY: who vouched for the client - the realm of its
 * Kerberos name ("alice@REALM"; an '@' escaped with a backslash belongs to
 * the name), or the domain of an NTLM one ("DOMAIN\user").
 */
static SECURITY_STATUS query_authority(struct sspix_context *c, SecPkgContext_AuthorityA *out)
{
    SecPkgContext_NamesA names = {0};
    SECURITY_STATUS st = c->pkg->ops->query_ctx(c->impl, SECPKG_ATTR_NAMES, &names);
    if (st != SEC_E_OK)
        return st;
    const char *name = names.sUserName, *at = NULL, *start = NULL;
    size_t len = 0;
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '@')
            at = p;
    }
    if (at != NULL) {
        start = at + 1;
        len = strlen(start);
    } else if (strchr(name, '\\') != NULL) {
        start = name;
        len = (size_t)(strchr(name, '\\') - name);
    }
    if (start == NULL || len == 0) {
        st = sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "the client's name \"%.128s\" names no realm or domain", name);
        free(names.sUserName);
        return st;
    }
    out->sAuthorityName = malloc(len + 1);
    if (out->sAuthorityName != NULL) {
        memcpy(out->sAuthorityName, start, len);
        out->sAuthorityName[len] = '\0';
    }
    free(names.sUserName);
    return out->sAuthorityName ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

static SECURITY_STATUS query_context(struct sspix_context *c, ULONG attr, void *buffer)
{
    int complete;
    if (c->impl == NULL)
        return sspix_fail(SEC_E_NO_CONTEXT, "the context has no state (its first leg failed)");
    if (attr == SECPKG_ATTR_PACKAGE_INFO || attr == SECPKG_ATTR_NEGOTIATION_INFO) {
        const struct sspix_package *pkg = sspix_package_by_id(c->pkg->ops->negotiated(c->impl, &complete));
        SecPkgInfoA *info = sspix_dispatch_pkginfo(&pkg, 1);
        if (info == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        if (attr == SECPKG_ATTR_PACKAGE_INFO) {
            ((SecPkgContext_PackageInfoA *)buffer)->PackageInfo = info;
        } else {
            ((SecPkgContext_NegotiationInfoA *)buffer)->PackageInfo = info;
            ((SecPkgContext_NegotiationInfoA *)buffer)->NegotiationState =
                complete ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS;
        }
        return SEC_E_OK;
    }
    if (attr == SECPKG_ATTR_AUTHORITY)
        return query_authority(c, buffer);
    return c->pkg->ops->query_ctx(c->impl, attr, buffer);
}

SECURITY_STATUS sspix_dispatch_QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer)
{
    struct sspix_ref ref;
    sspix_error_enter("QueryContextAttributes");
    struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref);
    if (c == NULL)
        return SSPIX_BAD_CTX();
    SECURITY_STATUS st = pBuffer == NULL ? sspix_fail(SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL")
                                         : query_context(c, ulAttribute, pBuffer);
    sspix_dispatch_context_leave(c, &ref);
    return st;
}

static size_t attribute_size(ULONG attr)
{
    switch (attr) {
    case SECPKG_ATTR_SIZES: return sizeof(SecPkgContext_Sizes);
    case SECPKG_ATTR_NAMES: return sizeof(SecPkgContext_NamesA);
    case SECPKG_ATTR_LIFESPAN: return sizeof(SecPkgContext_Lifespan);
    case SECPKG_ATTR_STREAM_SIZES: return sizeof(SecPkgContext_StreamSizes);
    case SECPKG_ATTR_SESSION_KEY: return sizeof(SecPkgContext_SessionKey);
    case SECPKG_ATTR_PACKAGE_INFO: return sizeof(SecPkgContext_PackageInfoA);
    case SECPKG_ATTR_NEGOTIATION_INFO: return sizeof(SecPkgContext_NegotiationInfoA);
    case SECPKG_ATTR_NATIVE_NAMES: return sizeof(SecPkgContext_NativeNamesA);
    case SECPKG_ATTR_FLAGS: return sizeof(SecPkgContext_Flags);
    case SECPKG_ATTR_KEY_INFO: return sizeof(SecPkgContext_KeyInfoA);
    case SECPKG_ATTR_AUTHORITY: return sizeof(SecPkgContext_AuthorityA);
    default: return 0;
    }
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryContextAttributesExA(PCtxtHandle phContext, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryContextAttributesEx");
    size_t need = attribute_size(ulAttribute);
    if (need != 0 && cbBuffer < need)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "attribute %u needs a %zu-byte buffer, cbBuffer is %u",
                          (unsigned)ulAttribute, need, (unsigned)cbBuffer);
    return QueryContextAttributesA(phContext, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                             ULONG cbBuffer)
{
    struct sspix_ref ref;
    (void)pBuffer, (void)cbBuffer;
    sspix_error_enter("SetContextAttributes");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return SSPIX_BAD_CTX();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "context attribute %u cannot be set", (unsigned)ulAttribute);
}

/* ---- impersonation ----------------------------------------------------------------- */

/*
 * ImpersonateSecurityContext switches the calling thread (only it) to the
 * local account the client maps to: krb5's auth_to_local rules for Kerberos,
 * the user name for NTLM. Needs root (or CAP_SETUID + CAP_SETGID). The thread
 * stays impersonating until RevertSecurityContext on any handle, or until it
 * impersonates again; deleting the context does not revert the thread.
 */
SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext)
{
    struct sspix_ref ref;
    char *account = NULL;
    sspix_error_enter("ImpersonateSecurityContext");
    struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref);
    if (c == NULL)
        return SSPIX_BAD_CTX();
    /* Impersonating again replaces the impersonation (as on Windows); the
     * name is mapped with the process's own identity, which can read
     * krb5.conf and the keytab. */
    SECURITY_STATUS st = sspix_impersonate_revert();
    void *deleg = NULL;
    if (st == SEC_E_OK)
        st = c->impl ? c->pkg->ops->local_name(c->impl, &account)
                     : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    /* The client's delegated credential goes with the impersonation (a copy:
     * the context may be deleted first), for AcquireCredentialsHandle. */
    if (st == SEC_E_OK && c->pkg->ops->delegated_cred != NULL) {
        TimeStamp ignored;
        char saved[1024];
        sspix_error_save(saved, sizeof(saved));
        if (c->pkg->ops->delegated_cred(c->impl, &sspix_package_kerberos, &deleg, &ignored) != SEC_E_OK)
            deleg = NULL; /* none delegated, or unusable: impersonation goes on without */
        sspix_error_restore(saved);
    }
    sspix_dispatch_context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st == SEC_E_NO_CONTEXT || st == SEC_E_INSUFFICIENT_MEMORY || st == SEC_E_INTERNAL_ERROR
                   ? st
                   : SEC_E_NO_IMPERSONATION;
    st = sspix_impersonate_as(account, deleg, sspix_package_kerberos.ops->free_cred);
    free(account);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext)
{
    struct sspix_ref ref;
    sspix_error_enter("RevertSecurityContext");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL) {
        /* A stale handle must not leave the thread running as the client. */
        if (sspix_impersonating() && sspix_impersonate_revert() == SEC_E_OK)
            return sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle (the thread's own identity was "
                                                    "restored anyway)");
        return SSPIX_BAD_CTX();
    }
    sspix_handle_release(&ref);
    return sspix_impersonate_revert();
}

SECURITY_STATUS sspix_dispatch_sspix_query_local_name(PCtxtHandle phContext, char **name)
{
    struct sspix_ref ref;
    sspix_error_enter("sspix_query_local_name");
    if (name == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "name must not be NULL");
    *name = NULL;
    struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref);
    if (c == NULL)
        return SSPIX_BAD_CTX();
    SECURITY_STATUS st =
        c->impl ? c->pkg->ops->local_name(c->impl, name) : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    sspix_dispatch_context_leave(c, &ref);
    return st;
}

SECURITY_STATUS sspix_dispatch_sspix_query_delegated_credential(PCtxtHandle phContext, PCredHandle phCredential,
                                                                PTimeStamp ptsExpiry)
{
    struct sspix_ref ref;
    void *impl = NULL;
    TimeStamp expiry;
    sspix_error_enter("sspix_query_delegated_credential");
    if (phCredential == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "phCredential must not be NULL");
    struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref);
    if (c == NULL)
        return SSPIX_BAD_CTX();
    const struct sspix_package *pkg = c->pkg;
    SECURITY_STATUS st;
    if (c->impl == NULL)
        st = sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    else if (c->pkg->ops->delegated_cred == NULL)
        st = sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "%s has no delegation", c->pkg->name);
    else
        st = c->pkg->ops->delegated_cred(c->impl, NULL, &impl, &expiry);
    sspix_dispatch_context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st;
    return sspix_dispatch_open_credential(pkg, impl, &expiry, phCredential, ptsExpiry);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token)
{
    struct sspix_ref ref;
    (void)Token;
    sspix_error_enter("QuerySecurityContextToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return SSPIX_BAD_CTX();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "POSIX has no Windows access tokens: use SECPKG_ATTR_NAMES, "
                                                  "sspix_query_local_name or ImpersonateSecurityContext");
}
