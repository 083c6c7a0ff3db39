/* SPDX-License-Identifier: MIT */
/*
 * dispatch_export.c - ExportSecurityContext and ImportSecurityContext, and
 * the process's export key.
 */
#include <stdlib.h>
#include <string.h>

#include "packages/ctx_blob.h"
#include "packages/package.h"
#include "sspi/dispatch.h"
#include "sspi/errors.h"
#include "sspi/status.h"
#include "sspi/handles.h"

#include "sspi/export.h"

/* ---- export and import ------------------------------------------------------------- */

/* Most bytes ImportSecurityContext takes (the package checks the exact layout). */
#define SSPIX_MAX_PACKED_CONTEXT (80u * 1024u)

/*
 * ExportSecurityContext hands a complete context to another process. GSSAPI
 * exports destructively, so the exported context is unusable here afterwards
 * whatever fFlags says: SECPKG_CONTEXT_EXPORT_DELETE_OLD semantics always
 * (calls on it return SEC_E_NO_CONTEXT); the handle itself stays valid until
 * DeleteSecurityContext. RESET_NEW is accepted and has no effect (message
 * sequence numbers continue in the new process); TO_KERNEL is refused. The
 * blob (pPackedContext->pvBuffer, freed with FreeContextBuffer) holds the
 * session keys: pass it only to a process of equal trust. It is
 * authenticated with the process's export key (packages/ctx_blob.h), so only
 * this process, its forked children, and processes given the same key with
 * sspix_set_context_export_key can import it, once each. *pToken, if given,
 * is set to NULL: there is no access token on POSIX.
 */
SECURITY_STATUS sspix_dispatch_ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags, PSecBuffer pPackedContext,
                                                     void **pToken)
{
    struct sspix_ref ref;
    uint8_t *blob = NULL;
    size_t len = 0;
    sspix_error_enter("ExportSecurityContext");
    if (pToken != NULL)
        *pToken = NULL;
    struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref);
    if (c == NULL)
        return SSPIX_BAD_CTX();
    SECURITY_STATUS st;
    if (pPackedContext == NULL)
        st = sspix_fail(SEC_E_INVALID_PARAMETER, "pPackedContext must not be NULL");
    else if (fFlags & ~(ULONG)(SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD))
        st = sspix_fail(SEC_E_INVALID_PARAMETER,
                        "fFlags 0x%x: only SECPKG_CONTEXT_EXPORT_RESET_NEW and "
                        "SECPKG_CONTEXT_EXPORT_DELETE_OLD are supported",
                        (unsigned)fFlags);
    else if (c->impl == NULL)
        st = sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    else
        st = c->pkg->ops->export_ctx(c->impl, &blob, &len);
    sspix_dispatch_context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st;
    pPackedContext->BufferType = SECBUFFER_EMPTY;
    pPackedContext->cbBuffer = (ULONG)len;
    pPackedContext->pvBuffer = blob;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_dispatch_ImportSecurityContextA(SEC_CHAR *pszPackage, PSecBuffer pPackedContext, void *Token,
                                                      PCtxtHandle phContext)
{
    const struct sspix_package *pkg;
    void *impl = NULL;
    SECURITY_STATUS st;
    (void)Token; /* a Windows access token: nothing to attach on POSIX */
    sspix_error_enter("ImportSecurityContext");
    if (pPackedContext == NULL || phContext == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pPackedContext and phContext must not be NULL");
    if (pPackedContext->cbBuffer == 0 || pPackedContext->pvBuffer == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed context is empty");
    if (pPackedContext->cbBuffer > SSPIX_MAX_PACKED_CONTEXT)
        return sspix_fail(SEC_E_INVALID_TOKEN, "a packed context of %u bytes is larger than any sspix exports (%u)",
                          (unsigned)pPackedContext->cbBuffer, SSPIX_MAX_PACKED_CONTEXT);
    SEC_GUARD(sspix_dispatch_find_package(pszPackage, &pkg));
    SEC_GUARD(pkg->ops->import_ctx(pkg, pPackedContext->pvBuffer, pPackedContext->cbBuffer, &impl));
    struct sspix_context *c = sspix_dispatch_context_new(pkg, impl);
    if (c == NULL) {
        pkg->ops->delete_ctx(impl);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    if ((st = sspix_handle_open(SSPIX_HANDLE_CTX, c, sspix_dispatch_context_destroy, phContext)) != SEC_E_OK) {
        sspix_dispatch_context_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    return SEC_E_OK;
}

_Static_assert(SSPIX_CONTEXT_EXPORT_KEY_BYTES == SSPIX_CTX_BLOB_KEY_BYTES, "one export key size");

SSPIX_EXPORT SECURITY_STATUS sspix_set_context_export_key(const void *pvKey, ULONG cbKey)
{
    sspix_error_enter("sspix_set_context_export_key");
    return sspix_ctx_blob_set_key(pvKey, cbKey);
}
