/* SPDX-License-Identifier: MIT */
/*
 * dispatch_ctx.c - InitializeSecurityContext, AcceptSecurityContext and the
 * calls around them (CompleteAuthToken, DeleteSecurityContext,
 * ApplyControlToken): handles and SecBuffers here, the leg itself in the
 * package.
 */
#include <stdlib.h>
#include <string.h>

#include "packages/package.h"
#include "sspi/dispatch.h"
#include "sspi/errors.h"
#include "sspi/status.h"
#include "sspi/handles.h"
#include "sspi/secbuf.h"

#include "sspi/export.h"

/* The shared shape of InitializeSecurityContext and AcceptSecurityContext. */
static SECURITY_STATUS handshake(int server, PCredHandle phCredential, PCtxtHandle phContext, const char *target,
                                 ULONG fContextReq, PSecBufferDesc pInput, PCtxtHandle phNewContext,
                                 PSecBufferDesc pOutput, ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    struct sspix_ref cred_ref = {0}, ctx_ref = {0};
    struct sspix_credential *cred = NULL;
    struct sspix_context *ctx = NULL;
    const uint8_t *in;
    size_t in_len;
    int allocate = (fContextReq & (server ? ASC_REQ_ALLOCATE_MEMORY : ISC_REQ_ALLOCATE_MEMORY)) != 0;
    struct sspix_leg leg = {0};
    struct sspix_bindings cb_storage;
    const struct sspix_bindings *cb = NULL;
    SECURITY_STATUS st;

    if ((st = sspix_secbuf_check_desc(pInput, "pInput", SEC_E_INVALID_TOKEN, 1)) != SEC_E_OK ||
        (st = sspix_secbuf_check_desc(pOutput, "pOutput", SEC_E_INVALID_PARAMETER, 1)) != SEC_E_OK)
        return st;
    if (phContext != NULL && (ctx = sspix_dispatch_context_enter(phContext, &ctx_ref)) == NULL)
        return SSPIX_BAD_CTX();
    if (phCredential != NULL && (cred = sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &cred_ref)) == NULL) {
        st = SSPIX_BAD_CRED();
        goto out;
    }
    if (ctx == NULL && cred == NULL) {
        st = sspix_fail(SEC_E_INVALID_HANDLE, "the first call needs a credential handle");
        goto out;
    }
    if (ctx == NULL && phNewContext == NULL) {
        st = sspix_fail(SEC_E_INVALID_PARAMETER, "phNewContext must not be NULL on the first call");
        goto out;
    }
    if ((st = sspix_secbuf_input_token(pInput, &in, &in_len)) != SEC_E_OK ||
        (st = sspix_secbuf_input_bindings(pInput, &cb_storage, &cb)) != SEC_E_OK ||
        (st = sspix_secbuf_check_output(pOutput, allocate)) != SEC_E_OK)
        goto out;

    const struct sspix_package *pkg = ctx ? ctx->pkg : cred->pkg;
    void *impl = ctx ? ctx->impl : NULL;
    void *cred_impl = cred && cred->pkg == pkg ? cred->impl : NULL;
    if (cred != NULL && cred->pkg != pkg) {
        st = sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential is for %s, the context for %s", cred->pkg->name,
                        pkg->name);
        goto out;
    }
    if (server)
        st = pkg->ops->accept_ctx(pkg, cred_impl, &impl, fContextReq, in, in_len, cb, &leg);
    else
        st = pkg->ops->init_ctx(pkg, cred_impl, &impl, target, fContextReq, in, in_len, cb, &leg);
    if (ctx != NULL)
        ctx->impl = impl; /* unchanged by the package after the first leg, but keep it exact */
    if (!SEC_SUCCESS(st)) {
        /* The package contract says a failed first leg leaves nothing behind;
         * hold it to that even on its own late failures. */
        if (ctx == NULL && impl != NULL)
            pkg->ops->delete_ctx(impl);
        goto out;
    }

    SECURITY_STATUS out_st = sspix_secbuf_emit_output(pOutput, allocate, &leg);
    if (ctx == NULL) {
        /* A failed first call leaves nothing to delete: no handle is opened
         * unless the token reached the caller. */
        if (out_st != SEC_E_OK) {
            pkg->ops->delete_ctx(impl);
            st = out_st;
            goto out;
        }
        struct sspix_context *nc = sspix_dispatch_context_new(pkg, impl);
        SECURITY_STATUS hs = SEC_E_INSUFFICIENT_MEMORY;
        if (nc != NULL)
            hs = sspix_handle_open(SSPIX_HANDLE_CTX, nc, sspix_dispatch_context_destroy, phNewContext);
        if (hs != SEC_E_OK) {
            if (nc != NULL)
                sspix_dispatch_context_destroy(nc);
            else
                pkg->ops->delete_ctx(impl);
            if (allocate) {
                SecBuffer *b = sspix_secbuf_find(pOutput, SECBUFFER_TOKEN);
                free(b->pvBuffer);
                b->pvBuffer = NULL;
                b->cbBuffer = 0;
            }
            st = sspix_fail(hs, "out of memory");
            goto out;
        }
    } else if (phNewContext != NULL && phNewContext != phContext) {
        *phNewContext = *phContext;
    }
    if (out_st != SEC_E_OK) {
        st = out_st;
        goto out;
    }
    if (pfContextAttr != NULL)
        *pfContextAttr = leg.attrs | (allocate ? (server ? ASC_RET_ALLOCATED_MEMORY : ISC_RET_ALLOCATED_MEMORY) : 0);
    if (ptsExpiry != NULL)
        *ptsExpiry = leg.expiry;
out:
    free(leg.out);
    sspix_handle_release(&cred_ref);
    sspix_dispatch_context_leave(ctx, &ctx_ref);
    return st;
}

SECURITY_STATUS sspix_dispatch_InitializeSecurityContextA(PCredHandle phCredential, PCtxtHandle phContext,
                                                          SEC_CHAR *pszTargetName, ULONG fContextReq, ULONG Reserved1,
                                                          ULONG TargetDataRep, PSecBufferDesc pInput, ULONG Reserved2,
                                                          PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                          ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    (void)Reserved1, (void)Reserved2, (void)TargetDataRep; /* tokens are byte strings in either representation */
    sspix_error_enter("InitializeSecurityContext");
    return handshake(0, phCredential, phContext, pszTargetName, fContextReq, pInput, phNewContext, pOutput,
                     pfContextAttr, ptsExpiry);
}

SECURITY_STATUS sspix_dispatch_AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                     PSecBufferDesc pInput, ULONG fContextReq, ULONG TargetDataRep,
                                                     PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                     ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    (void)TargetDataRep;
    sspix_error_enter("AcceptSecurityContext");
    return handshake(1, phCredential, phContext, NULL, fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                     ptsExpiry);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken)
{
    struct sspix_ref ref;
    sspix_error_enter("CompleteAuthToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return SSPIX_BAD_CTX();
    sspix_handle_release(&ref);
    if (pToken == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pToken must not be NULL");
    SEC_GUARD(sspix_secbuf_check_desc(pToken, "pToken", SEC_E_INVALID_TOKEN, 1));
    /* Kerberos and SPNEGO tokens are complete when produced: nothing to do. */
    return SEC_E_OK;
}

SECURITY_STATUS sspix_dispatch_DeleteSecurityContext(PCtxtHandle phContext)
{
    sspix_error_enter("DeleteSecurityContext");
    if (sspix_handle_close(SSPIX_HANDLE_CTX, phContext) != SEC_E_OK)
        return sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle (deleted already, or never created)");
    return SEC_E_OK;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
    struct sspix_ref ref;
    sspix_error_enter("ApplyControlToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return SSPIX_BAD_CTX();
    sspix_handle_release(&ref);
    SEC_GUARD(sspix_secbuf_check_desc(pInput, "pInput", SEC_E_INVALID_TOKEN, 1));
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "Kerberos and Negotiate have no control tokens");
}
