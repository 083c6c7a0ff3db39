/* SPDX-License-Identifier: MIT */
/*
 * dispatch.h - what the files of the SSPI dispatcher share: the objects
 * behind CredHandle and CtxtHandle, and the one list of entry points from
 * which dispatch.c makes both the exported wrappers and
 * InitSecurityInterfaceA's table.
 *
 * The dispatcher is split by responsibility: dispatch.c (packages,
 * credentials, the table), secbuf.c (the caller's SecBufferDesc),
 * dispatch_ctx.c (the handshake), dispatch_attrs.c (attributes,
 * impersonation, delegation), dispatch_export.c (export and import),
 * dispatch_msg.c (message protection). Nothing here knows GSSAPI.
 */
#ifndef SSPIX_SSPI_DISPATCH_H
#define SSPIX_SSPI_DISPATCH_H

#include <pthread.h>

#include <sspix/sspix.h>

#include "common/guard.h"

#include "packages/package.h"
#include "sspi/handles.h"

struct sspix_credential {
    const struct sspix_package *pkg;
    void *impl;
};

/* Every call that reaches impl holds lock: GSSAPI contexts are not safe for
 * concurrent use (two threads sealing at once share MIT's key-usage cache and
 * sequence counter), so calls on one context run one at a time, in whatever
 * order the threads arrive. Independent contexts never wait for each other. */
struct sspix_context {
    const struct sspix_package *pkg;
    void *impl;
    pthread_mutex_t lock; /* serialises every call that touches impl */
};

/* A new context object around the package's impl (not yet a handle); NULL
 * when out of memory, impl then still the caller's. */
struct sspix_context *sspix_dispatch_context_new(const struct sspix_package *pkg, void *impl);
/* The handle table's destructor: deletes impl and frees the object. */
void sspix_dispatch_context_destroy(void *p);
/* The context behind h, referenced and locked; NULL (nothing held) when h is
 * not a live context handle. */
struct sspix_context *sspix_dispatch_context_enter(const SecHandle *h, struct sspix_ref *ref);
/* Unlocks c (may be NULL) and releases ref. */
void sspix_dispatch_context_leave(struct sspix_context *c, struct sspix_ref *ref);

/* Opens a handle for a credential the package made; frees it on failure. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_dispatch_open_credential(const struct sspix_package *pkg, void *impl,
                                                                const TimeStamp *expiry, PCredHandle phCredential,
                                                                PTimeStamp ptsExpiry);
/* The package called name (case-insensitive), or SEC_E_SECPKG_NOT_FOUND. */
SSPIX_MUST_CHECK SECURITY_STATUS sspix_dispatch_find_package(const char *name, const struct sspix_package **pkg);
/* One allocation holding n SecPkgInfoA and their strings, so one
 * FreeContextBuffer releases it all; NULL when out of memory. */
SecPkgInfoA *sspix_dispatch_pkginfo(const struct sspix_package *const *pkgs, size_t n);

#define SSPIX_BAD_CRED() sspix_fail(SEC_E_INVALID_HANDLE, "not a live credential handle")
#define SSPIX_BAD_CTX()  sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle")

/*
 * The entry points of InitSecurityInterfaceA's table and the library's own
 * extensions, in one list. Three kinds:
 *
 *   PAUSED(ret, name, params, args)     a table entry that reaches a package:
 *                                        dispatch.c exports name, which runs
 *                                        sspix_dispatch_<name> with the
 *                                        thread's impersonation paused
 *   EXTENSION(ret, name, params, args)  the same, for an sspix_* function
 *                                        that is not in the table
 *   DIRECT(name)                         a table entry that is its own
 *                                        implementation (it reaches no
 *                                        package, or pauses by itself)
 *
 * The table's reserved slots are filled by hand in dispatch.c.
 */
#define SSPIX_DISPATCH_A(PAUSED, EXTENSION, DIRECT)                                                                    \
    DIRECT(EnumerateSecurityPackagesA)                                                                                 \
    DIRECT(QuerySecurityPackageInfoA)                                                                                  \
    DIRECT(AcquireCredentialsHandleA)                                                                                  \
    PAUSED(SECURITY_STATUS, FreeCredentialsHandle, (PCredHandle phCredential), (phCredential))                         \
    PAUSED(SECURITY_STATUS, QueryCredentialsAttributesA, (PCredHandle phCredential, ULONG ulAttribute, void *pBuffer), \
           (phCredential, ulAttribute, pBuffer))                                                                       \
    DIRECT(QueryCredentialsAttributesExA)                                                                              \
    DIRECT(AddCredentialsA)                                                                                            \
    DIRECT(SetCredentialsAttributesA)                                                                                  \
    PAUSED(SECURITY_STATUS, InitializeSecurityContextA,                                                                \
           (PCredHandle phCredential, PCtxtHandle phContext, SEC_CHAR * pszTargetName, ULONG fContextReq,              \
            ULONG Reserved1, ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2, PCtxtHandle phNewContext,    \
            PSecBufferDesc pOutput, ULONG * pfContextAttr, PTimeStamp ptsExpiry),                                      \
           (phCredential, phContext, pszTargetName, fContextReq, Reserved1, TargetDataRep, pInput, Reserved2,          \
            phNewContext, pOutput, pfContextAttr, ptsExpiry))                                                          \
    PAUSED(SECURITY_STATUS, AcceptSecurityContext,                                                                     \
           (PCredHandle phCredential, PCtxtHandle phContext, PSecBufferDesc pInput, ULONG fContextReq,                 \
            ULONG TargetDataRep, PCtxtHandle phNewContext, PSecBufferDesc pOutput, ULONG * pfContextAttr,              \
            PTimeStamp ptsExpiry),                                                                                     \
           (phCredential, phContext, pInput, fContextReq, TargetDataRep, phNewContext, pOutput, pfContextAttr,         \
            ptsExpiry))                                                                                                \
    DIRECT(CompleteAuthToken)                                                                                          \
    PAUSED(SECURITY_STATUS, DeleteSecurityContext, (PCtxtHandle phContext), (phContext))                               \
    DIRECT(ApplyControlToken)                                                                                          \
    PAUSED(SECURITY_STATUS, QueryContextAttributesA, (PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer),        \
           (phContext, ulAttribute, pBuffer))                                                                          \
    DIRECT(QueryContextAttributesExA)                                                                                  \
    DIRECT(SetContextAttributesA)                                                                                      \
    DIRECT(ImpersonateSecurityContext)                                                                                 \
    DIRECT(RevertSecurityContext)                                                                                      \
    DIRECT(QuerySecurityContextToken)                                                                                  \
    PAUSED(SECURITY_STATUS, ExportSecurityContext,                                                                     \
           (PCtxtHandle phContext, ULONG fFlags, PSecBuffer pPackedContext, void **pToken),                            \
           (phContext, fFlags, pPackedContext, pToken))                                                                \
    PAUSED(SECURITY_STATUS, ImportSecurityContextA,                                                                    \
           (SEC_CHAR * pszPackage, PSecBuffer pPackedContext, void *Token, PCtxtHandle phContext),                     \
           (pszPackage, pPackedContext, Token, phContext))                                                             \
    PAUSED(SECURITY_STATUS, MakeSignature,                                                                             \
           (PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage, ULONG MessageSeqNo),                           \
           (phContext, fQOP, pMessage, MessageSeqNo))                                                                  \
    PAUSED(SECURITY_STATUS, VerifySignature,                                                                           \
           (PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo, ULONG * pfQOP),                        \
           (phContext, pMessage, MessageSeqNo, pfQOP))                                                                 \
    PAUSED(SECURITY_STATUS, EncryptMessage,                                                                            \
           (PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage, ULONG MessageSeqNo),                           \
           (phContext, fQOP, pMessage, MessageSeqNo))                                                                  \
    PAUSED(SECURITY_STATUS, DecryptMessage,                                                                            \
           (PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo, ULONG * pfQOP),                        \
           (phContext, pMessage, MessageSeqNo, pfQOP))                                                                 \
    DIRECT(FreeContextBuffer)                                                                                          \
    DIRECT(ChangeAccountPasswordA)                                                                                     \
    EXTENSION(SECURITY_STATUS, sspix_query_local_name, (PCtxtHandle phContext, char **name), (phContext, name))        \
    EXTENSION(SECURITY_STATUS, sspix_query_delegated_credential,                                                       \
              (PCtxtHandle phContext, PCredHandle phCredential, PTimeStamp ptsExpiry),                                 \
              (phContext, phCredential, ptsExpiry))

/* The implementations behind the PAUSED and EXTENSION entries. */
#define SSPIX_DISPATCH_DECLARE(ret, name, params, args) SSPIX_MUST_CHECK ret sspix_dispatch_##name params;
#define SSPIX_DISPATCH_NONE(name)
SSPIX_DISPATCH_A(SSPIX_DISPATCH_DECLARE, SSPIX_DISPATCH_DECLARE, SSPIX_DISPATCH_NONE)
#undef SSPIX_DISPATCH_DECLARE
#undef SSPIX_DISPATCH_NONE

#endif
