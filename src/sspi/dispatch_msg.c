/* SPDX-License-Identifier: MIT */
/*
 * dispatch_msg.c - MakeSignature, VerifySignature, EncryptMessage and
 * DecryptMessage: the context's lock and a bounded descriptor here, the
 * buffer layout in the package.
 */
#include "packages/package.h"
#include "sspi/dispatch.h"
#include "sspi/errors.h"
#include "sspi/secbuf.h"

/* ---- message protection ------------------------------------------------------------ */

/* The message functions: the descriptor's count is bounded here for every
 * package; the layout is the package's business. */
#define WITH_CONTEXT(name, call)                                                                                       \
    do {                                                                                                               \
        struct sspix_ref ref_;                                                                                         \
        sspix_error_enter(name);                                                                                       \
        struct sspix_context *c = sspix_dispatch_context_enter(phContext, &ref_);                                      \
        if (c == NULL)                                                                                                 \
            return SSPIX_BAD_CTX();                                                                                    \
        SECURITY_STATUS st_ = sspix_secbuf_check_desc(pMessage, "pMessage", SEC_E_INVALID_PARAMETER, 0);               \
        if (st_ == SEC_E_OK)                                                                                           \
            st_ = c->impl ? (call) : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");                         \
        sspix_dispatch_context_leave(c, &ref_);                                                                        \
        return st_;                                                                                                    \
    } while (0)

SECURITY_STATUS sspix_dispatch_MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                             ULONG MessageSeqNo)
{
    WITH_CONTEXT("MakeSignature", c->pkg->ops->make_signature(c->impl, fQOP, pMessage, MessageSeqNo));
}

SECURITY_STATUS sspix_dispatch_VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo,
                                               ULONG *pfQOP)
{
    WITH_CONTEXT("VerifySignature", c->pkg->ops->verify_signature(c->impl, pMessage, MessageSeqNo, pfQOP));
}

SECURITY_STATUS sspix_dispatch_EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                              ULONG MessageSeqNo)
{
    WITH_CONTEXT("EncryptMessage", c->pkg->ops->encrypt(c->impl, fQOP, pMessage, MessageSeqNo));
}

SECURITY_STATUS sspix_dispatch_DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage, ULONG MessageSeqNo,
                                              ULONG *pfQOP)
{
    WITH_CONTEXT("DecryptMessage", c->pkg->ops->decrypt(c->impl, pMessage, MessageSeqNo, pfQOP));
}
