/* SPDX-License-Identifier: MIT */
/*
 * protect.c - the session's message calls over an SSPI function table. See
 * protect.h.
 *
 * The layouts are Windows': TOKEN then DATA for EncryptMessage and
 * DecryptMessage, DATA then TOKEN for the signatures, STREAM then an empty
 * DATA for a token whose layout only the package knows. VerifySignature and
 * MakeSignature only read DATA, which the SecBuffer type cannot say: the
 * const is cast away for the descriptor alone.
 */
#include "session/protect.h"

#include <string.h>

/* Whether n fits a SecBuffer's cbBuffer. */
static int fits(size_t n)
{
    return n <= (size_t)UINT32_MAX;
}

SECURITY_STATUS sspix_protect_seal(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG qop, ULONG seqno, uint8_t *trailer,
                                   size_t trailer_cap, size_t *trailer_len, uint8_t *data, size_t len)
{
    if (!fits(trailer_cap) || !fits(len))
        return SEC_E_INVALID_PARAMETER;
    SecBuffer b[2] = {{(ULONG)trailer_cap, SECBUFFER_TOKEN, trailer}, {(ULONG)len, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = t->EncryptMessage(ctx, qop, &d, seqno);
    if (st != SEC_E_OK)
        return st;
    *trailer_len = b[0].cbBuffer;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_protect_seal_joined(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG qop, ULONG seqno,
                                          uint8_t *buf, size_t trailer_cap, size_t len, size_t *token_len)
{
    size_t used = 0;
    SECURITY_STATUS st = sspix_protect_seal(t, ctx, qop, seqno, buf, trailer_cap, &used, buf + trailer_cap, len);
    if (st != SEC_E_OK)
        return st;
    if (used > trailer_cap) /* a package that wrote past the room it was given */
        return SEC_E_INTERNAL_ERROR;
    if (used < trailer_cap && len > 0)
        memmove(buf + used, buf + trailer_cap, len);
    *token_len = used + len;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_protect_unseal(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, uint8_t *trailer,
                                     size_t trailer_len, uint8_t *data, size_t len, uint8_t **plain, size_t *plain_len,
                                     ULONG *qop)
{
    if (!fits(trailer_len) || !fits(len))
        return SEC_E_INVALID_PARAMETER;
    SecBuffer b[2] = {{(ULONG)trailer_len, SECBUFFER_TOKEN, trailer}, {(ULONG)len, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    *qop = 0;
    SECURITY_STATUS st = t->DecryptMessage(ctx, &d, seqno, qop);
    if (st != SEC_E_OK)
        return st;
    *plain = b[1].pvBuffer;
    *plain_len = b[1].cbBuffer;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_protect_unseal_stream(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, uint8_t *tok,
                                            size_t len, uint8_t **plain, size_t *plain_len, ULONG *qop)
{
    if (!fits(len))
        return SEC_E_INVALID_PARAMETER;
    /* STREAM first: the package finds the token there and points DATA into it. */
    SecBuffer b[2] = {{(ULONG)len, SECBUFFER_STREAM, tok}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    *qop = 0;
    SECURITY_STATUS st = t->DecryptMessage(ctx, &d, seqno, qop);
    if (st != SEC_E_OK)
        return st;
    *plain = b[1].pvBuffer;
    *plain_len = b[1].cbBuffer;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_protect_sign(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, const uint8_t *data,
                                   size_t len, uint8_t *mic, size_t cap, size_t *mic_len)
{
    if (!fits(len) || !fits(cap))
        return SEC_E_INVALID_PARAMETER;
    SecBuffer b[2] = {{(ULONG)len, SECBUFFER_DATA, (void *)data}, {(ULONG)cap, SECBUFFER_TOKEN, mic}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = t->MakeSignature(ctx, 0, &d, seqno);
    if (st != SEC_E_OK)
        return st;
    *mic_len = b[1].cbBuffer;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_protect_verify(PSecurityFunctionTableA t, PCtxtHandle ctx, ULONG seqno, const uint8_t *data,
                                     size_t len, const uint8_t *mic, size_t mic_len, ULONG *qop)
{
    if (!fits(len) || !fits(mic_len))
        return SEC_E_INVALID_PARAMETER;
    SecBuffer b[2] = {{(ULONG)len, SECBUFFER_DATA, (void *)data}, {(ULONG)mic_len, SECBUFFER_TOKEN, (void *)mic}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    *qop = 0;
    return t->VerifySignature(ctx, &d, seqno, qop);
}
