/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the exported SSPI functions' front door: the packages, the
 * credential calls, the context objects behind CtxtHandle, and
 * InitSecurityInterfaceA's table, whose entries and wrappers all come from
 * the one list in dispatch.h. The other calls live beside it (see
 * dispatch.h).
 *
 * Each entry point validates its arguments and handles, moves handshake
 * tokens between SecBuffers and the package, and leaves everything
 * mechanism-specific to the package's vtable. Nothing here knows GSSAPI.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "packages/package.h"
#include "sspi/dispatch.h"
#include "sspi/errors.h"
#include "sspi/status.h"
#include "sspi/handles.h"
#include "sspi/impersonate.h"

#include "sspi/export.h"

struct sspix_context *sspix_dispatch_context_new(const struct sspix_package *pkg, void *impl)
{
    struct sspix_context *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->pkg = pkg;
    c->impl = impl;
    return c;
}

static void credential_destroy(void *p)
{
    struct sspix_credential *c = p;
    c->pkg->ops->free_cred(c->impl);
    free(c);
}

/* Runs when the last reference is gone: no other thread can hold the lock. */
void sspix_dispatch_context_destroy(void *p)
{
    struct sspix_context *c = p;
    if (c->impl != NULL)
        c->pkg->ops->delete_ctx(c->impl);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The context behind h, referenced and locked; NULL (nothing held) when h is
 * not a live context handle. */
struct sspix_context *sspix_dispatch_context_enter(const SecHandle *h, struct sspix_ref *ref)
{
    struct sspix_context *c = sspix_handle_acquire(SSPIX_HANDLE_CTX, h, ref);
    if (c != NULL)
        pthread_mutex_lock(&c->lock);
    return c;
}

void sspix_dispatch_context_leave(struct sspix_context *c, struct sspix_ref *ref)
{
    if (c != NULL)
        pthread_mutex_unlock(&c->lock);
    sspix_handle_release(ref);
}

/* ---- packages ----------------------------------------------------------- */

/* One allocation holding n SecPkgInfoA and their strings, so one
 * FreeContextBuffer releases it all. */
SecPkgInfoA *sspix_dispatch_pkginfo(const struct sspix_package *const *pkgs, size_t n)
{
    size_t size = n * sizeof(SecPkgInfoA);
    for (size_t i = 0; i < n; i++)
        size += strlen(pkgs[i]->name) + 1 + strlen(pkgs[i]->comment) + 1;
    SecPkgInfoA *info = malloc(size);
    if (info == NULL)
        return NULL;
    char *strings = (char *)(info + n);
    for (size_t i = 0; i < n; i++) {
        size_t ln = strlen(pkgs[i]->name) + 1, lc = strlen(pkgs[i]->comment) + 1;
        info[i].fCapabilities = pkgs[i]->capabilities;
        info[i].wVersion = pkgs[i]->version;
        info[i].wRPCID = pkgs[i]->rpcid;
        info[i].cbMaxToken = pkgs[i]->max_token;
        info[i].Name = memcpy(strings, pkgs[i]->name, ln);
        strings += ln;
        info[i].Comment = memcpy(strings, pkgs[i]->comment, lc);
        strings += lc;
    }
    return info;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(ULONG *pcPackages, PSecPkgInfoA *ppPackageInfo)
{
    sspix_error_enter("EnumerateSecurityPackages");
    if (pcPackages == NULL || ppPackageInfo == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pcPackages and ppPackageInfo must not be NULL");
    const struct sspix_package *pkgs[SSPIX_PKG_COUNT];
    for (unsigned i = 0; i < SSPIX_PKG_COUNT; i++)
        pkgs[i] = sspix_package_by_id((enum sspix_package_id)i);
    SecPkgInfoA *info = sspix_dispatch_pkginfo(pkgs, SSPIX_PKG_COUNT);
    if (info == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    *pcPackages = SSPIX_PKG_COUNT;
    *ppPackageInfo = info;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_dispatch_find_package(const char *name, const struct sspix_package **pkg)
{
    *pkg = sspix_package_by_name(name);
    if (*pkg == NULL)
        return sspix_fail(SEC_E_SECPKG_NOT_FOUND,
                          "no security package named \"%.64s\": use Negotiate, Kerberos or NTLM",
                          name ? name : "(null)");
    return SEC_E_OK;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(SEC_CHAR *pszPackageName, PSecPkgInfoA *ppPackageInfo)
{
    const struct sspix_package *pkg;
    sspix_error_enter("QuerySecurityPackageInfo");
    if (ppPackageInfo == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "ppPackageInfo must not be NULL");
    SEC_GUARD(sspix_dispatch_find_package(pszPackageName, &pkg));
    *ppPackageInfo = sspix_dispatch_pkginfo(&pkg, 1);
    return *ppPackageInfo ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

/* ---- credentials --------------------------------------------------------- */

/* Opens a handle for a credential the package made; frees it on failure. */
SECURITY_STATUS sspix_dispatch_open_credential(const struct sspix_package *pkg, void *impl, const TimeStamp *expiry,
                                               PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    SECURITY_STATUS st;
    struct sspix_credential *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        pkg->ops->free_cred(impl);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    c->pkg = pkg;
    c->impl = impl;
    if ((st = sspix_handle_open(SSPIX_HANDLE_CRED, c, credential_destroy, phCredential)) != SEC_E_OK) {
        credential_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    if (ptsExpiry != NULL)
        *ptsExpiry = *expiry;
    return SEC_E_OK;
}

/*
 * deleg: the delegated credential of the client the calling thread
 * impersonates (NULL when none). As on Windows, an outbound credential of
 * a package that delegates (SECPKG_FLAG_DELEGATION: Kerberos, Negotiate)
 * asked for with no principal and no pAuthData is then the client's, not
 * the process's.
 */
static SECURITY_STATUS SEC_ENTRY acquire_credentials(SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage, ULONG fCredentialUse,
                                                     void *pvLogonId, void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                     void *pvGetKeyArgument, PCredHandle phCredential,
                                                     PTimeStamp ptsExpiry, void *deleg)
{
    const struct sspix_package *pkg;
    SECURITY_STATUS st;
    TimeStamp expiry;
    (void)pvLogonId; /* logon sessions are a Windows notion; the caller's process identity applies */
    (void)pvGetKeyArgument;
    sspix_error_enter("AcquireCredentialsHandle");
    if (phCredential == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "phCredential must not be NULL");
    if (pGetKeyFn != NULL)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "pGetKeyFn is not supported (Windows' packages ignore it too)");
    SEC_GUARD(sspix_dispatch_find_package(pszPackage, &pkg));
    ULONG use = fCredentialUse & ~(ULONG)(SECPKG_CRED_AUTOLOGON_RESTRICTED | SECPKG_CRED_PROCESS_POLICY_ONLY);
    if (deleg != NULL && use == SECPKG_CRED_OUTBOUND && pszPrincipal == NULL && pAuthData == NULL &&
        (pkg->capabilities & SECPKG_FLAG_DELEGATION) && pkg->ops->copy_cred != NULL) {
        void *impl = NULL;
        SEC_GUARD(pkg->ops->copy_cred(pkg, deleg, &impl, &expiry));
        return sspix_dispatch_open_credential(pkg, impl, &expiry, phCredential, ptsExpiry);
    }

    struct sspix_credential *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    st = pkg->ops->acquire_cred(pkg, pszPrincipal, fCredentialUse, pAuthData, &c->impl, &expiry);
    if (st != SEC_E_OK) {
        free(c);
        return st;
    }
    if ((st = sspix_handle_open(SSPIX_HANDLE_CRED, c, credential_destroy, phCredential)) != SEC_E_OK) {
        credential_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    if (ptsExpiry != NULL)
        *ptsExpiry = expiry;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_dispatch_FreeCredentialsHandle(PCredHandle phCredential)
{
    sspix_error_enter("FreeCredentialsHandle");
    if (sspix_handle_close(SSPIX_HANDLE_CRED, phCredential) != SEC_E_OK)
        return sspix_fail(SEC_E_INVALID_HANDLE, "not a live credential handle (freed already, or never acquired)");
    return SEC_E_OK;
}

SECURITY_STATUS sspix_dispatch_QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute, void *pBuffer)
{
    struct sspix_ref ref;
    sspix_error_enter("QueryCredentialsAttributes");
    struct sspix_credential *c = sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &ref);
    if (c == NULL)
        return SSPIX_BAD_CRED();
    SECURITY_STATUS st = pBuffer == NULL ? sspix_fail(SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL")
                                         : c->pkg->ops->query_cred(c->impl, ulAttribute, pBuffer);
    sspix_handle_release(&ref);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExA(PCredHandle phCredential, ULONG ulAttribute,
                                                                     void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryCredentialsAttributesEx");
    if (ulAttribute == SECPKG_CRED_ATTR_NAMES && cbBuffer < sizeof(SecPkgCredentials_NamesA))
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "cbBuffer is smaller than SecPkgCredentials_NamesA");
    return QueryCredentialsAttributesA(phCredential, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AddCredentialsA(PCredHandle hCredentials, SEC_CHAR *pszPrincipal,
                                                       SEC_CHAR *pszPackage, ULONG fCredentialUse, void *pAuthData,
                                                       SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                       PTimeStamp ptsExpiry)
{
    struct sspix_ref ref;
    (void)pszPrincipal, (void)pszPackage, (void)fCredentialUse, (void)pAuthData, (void)pGetKeyFn;
    (void)pvGetKeyArgument, (void)ptsExpiry;
    sspix_error_enter("AddCredentials");
    if (sspix_handle_acquire(SSPIX_HANDLE_CRED, hCredentials, &ref) == NULL)
        return SSPIX_BAD_CRED();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "AddCredentials is not supported: acquire a second credential");
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    struct sspix_ref ref;
    (void)pBuffer, (void)cbBuffer;
    sspix_error_enter("SetCredentialsAttributes");
    if (sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &ref) == NULL)
        return SSPIX_BAD_CRED();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "credential attribute %u cannot be set", (unsigned)ulAttribute);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordA(SEC_CHAR *pszPackageName, SEC_CHAR *pszDomainName,
                                                              SEC_CHAR *pszAccountName, SEC_CHAR *pszOldPassword,
                                                              SEC_CHAR *pszNewPassword, BOOLEAN bImpersonating,
                                                              ULONG dwReserved, PSecBufferDesc pOutput)
{
    (void)pszPackageName, (void)pszDomainName, (void)pszAccountName, (void)pszOldPassword, (void)pszNewPassword;
    (void)bImpersonating, (void)dwReserved, (void)pOutput;
    sspix_error_enter("ChangeAccountPassword");
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "password changes are not supported: use kpasswd");
}

/* ---- memory and the table ---------------------------------------------------------- */

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY FreeContextBuffer(void *pvContextBuffer)
{
    free(pvContextBuffer);
    return SEC_E_OK;
}

/* ---- the entry points and the table --------------------------------------- */

/*
 * Entry points that reach a package run with the thread's own identity even
 * while it impersonates a client (see sspi/impersonate.h): the library reads
 * krb5.conf, keytabs and replay caches, which the client's account typically
 * cannot, and must free what it allocated. AcquireCredentialsHandleA is
 * written out: it also hands on the impersonated client's delegated
 * credential.
 */
SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage,
                                                                 ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
                                                                 SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                                 PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    struct sspix_impersonation_pause pause;
    sspix_impersonate_pause(&pause);
    SECURITY_STATUS st =
        acquire_credentials(pszPrincipal, pszPackage, fCredentialUse, pvLogonId, pAuthData, pGetKeyFn, pvGetKeyArgument,
                            phCredential, ptsExpiry, sspix_impersonate_paused_delegation(&pause));
    sspix_impersonate_resume(&pause);
    return st;
}

#define PAUSED_ENTRY(ret, name, params, args)                                                                          \
    SSPIX_EXPORT ret SEC_ENTRY name params                                                                             \
    {                                                                                                                  \
        struct sspix_impersonation_pause pause_;                                                                       \
        sspix_impersonate_pause(&pause_);                                                                              \
        ret st_ = sspix_dispatch_##name args;                                                                          \
        sspix_impersonate_resume(&pause_);                                                                             \
        return st_;                                                                                                    \
    }
#define NO_ENTRY(name)
SSPIX_DISPATCH_A(PAUSED_ENTRY, PAUSED_ENTRY, NO_ENTRY)

#define PAUSED_SLOT(ret, name, params, args) .name = name,
#define NO_SLOT(ret, name, params, args)
#define DIRECT_SLOT(name) .name = name,
/* clang-format off */
static const SecurityFunctionTableA function_table = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
    SSPIX_DISPATCH_A(PAUSED_SLOT, NO_SLOT, DIRECT_SLOT)
    .Reserved2 = NULL,
    /* Windows fills these two reserved slots with the message functions. */
    .Reserved3 = (void *)EncryptMessage,
    .Reserved4 = (void *)DecryptMessage,
    .Reserved8 = NULL,
};
/* clang-format on */

SSPIX_EXPORT PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void)
{
    /* Read-only storage: a caller that writes to the table faults at once
     * instead of corrupting every other user of the library. */
    return (PSecurityFunctionTableA)&function_table;
}
