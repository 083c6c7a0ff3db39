/* SPDX-License-Identifier: MIT */
/*
 * secbuf.c - the caller's SecBufferDesc: checked before use, the handshake's
 * input token and channel bindings read through the bounded reader, and the
 * output token handed back. See secbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "sspi/errors.h"
#include "sspi/secbuf.h"

SECURITY_STATUS sspix_secbuf_check_desc(const SecBufferDesc *d, const char *name, SECURITY_STATUS status, int version)
{
    if (d == NULL)
        return SEC_E_OK;
    if (version && d->ulVersion != SECBUFFER_VERSION)
        return sspix_fail(status, "%s->ulVersion is %u: it must be SECBUFFER_VERSION (0)", name,
                          (unsigned)d->ulVersion);
    if (d->cBuffers > SSPIX_MAX_BUFFERS)
        return sspix_fail(status, "%s->cBuffers is %u: at most %u buffers are accepted", name, (unsigned)d->cBuffers,
                          SSPIX_MAX_BUFFERS);
    if (d->cBuffers > 0 && d->pBuffers == NULL)
        return sspix_fail(status, "%s->pBuffers is NULL but cBuffers is %u", name, (unsigned)d->cBuffers);
    return SEC_E_OK;
}

SecBuffer *sspix_secbuf_find(PSecBufferDesc desc, ULONG type)
{
    if (desc == NULL || desc->pBuffers == NULL)
        return NULL;
    for (ULONG i = 0; i < desc->cBuffers; i++)
        if ((desc->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == type)
            return &desc->pBuffers[i];
    return NULL;
}

SECURITY_STATUS sspix_secbuf_input_token(PSecBufferDesc in, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    SecBuffer *b = sspix_secbuf_find(in, SECBUFFER_TOKEN);
    if (b == NULL || b->cbBuffer == 0)
        return SEC_E_OK;
    if (b->pvBuffer == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the input SECBUFFER_TOKEN has a length but no memory");
    if (b->cbBuffer > SSPIX_MAX_HANDSHAKE_TOKEN)
        return sspix_fail(SEC_E_INVALID_TOKEN, "input token of %u bytes exceeds the %u-byte maximum",
                          (unsigned)b->cbBuffer, SSPIX_MAX_HANDSHAKE_TOKEN);
    *p = b->pvBuffer;
    *len = b->cbBuffer;
    return SEC_E_OK;
}

/* One 32-bit field of a SEC_CHANNEL_BINDINGS header, in this machine's byte
 * order (the structure is a C struct the caller filled in). */
static int read_ulong(sspix_reader *r, ULONG *out)
{
    uint32_t v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    int rc = sspix_reader_u32be(r, &v);
#else
    int rc = sspix_reader_u32le(r, &v);
#endif
    *out = v;
    return rc;
}

/* The bytes [offset, offset + len) of the bindings buffer, which must lie
 * inside it (after the header when not empty). */
static SECURITY_STATUS binding_range(const SecBuffer *b, ULONG offset, ULONG len, const char *what, const uint8_t **out,
                                     size_t *out_len)
{
    sspix_reader r;
    *out = NULL;
    *out_len = 0;
    if (len == 0)
        return SEC_E_OK;
    sspix_reader_init(&r, b->pvBuffer, b->cbBuffer);
    if (offset < sizeof(SEC_CHANNEL_BINDINGS) || sspix_reader_skip(&r, offset) != 0 ||
        sspix_reader_bytes(&r, len, out) != 0)
        return sspix_fail(SEC_E_BAD_BINDINGS,
                          "the SEC_CHANNEL_BINDINGS %s (offset %u, %u bytes) is not inside the %u-byte "
                          "SECBUFFER_CHANNEL_BINDINGS buffer after its header: offsets count from the start of the "
                          "structure",
                          what, (unsigned)offset, (unsigned)len, (unsigned)b->cbBuffer);
    *out_len = len;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_secbuf_input_bindings(PSecBufferDesc in, struct sspix_bindings *cb,
                                            const struct sspix_bindings **out)
{
    ULONG f[8];
    sspix_reader r;
    SECURITY_STATUS st;
    *out = NULL;
    SecBuffer *b = sspix_secbuf_find(in, SECBUFFER_CHANNEL_BINDINGS);
    if (b == NULL || b->cbBuffer == 0)
        return SEC_E_OK;
    if (b->pvBuffer == NULL)
        return sspix_fail(SEC_E_BAD_BINDINGS, "the SECBUFFER_CHANNEL_BINDINGS buffer has a length but no memory");
    if (b->cbBuffer > SSPIX_MAX_HANDSHAKE_TOKEN)
        return sspix_fail(SEC_E_BAD_BINDINGS, "channel bindings of %u bytes exceed the %u-byte maximum",
                          (unsigned)b->cbBuffer, SSPIX_MAX_HANDSHAKE_TOKEN);
    sspix_reader_init(&r, b->pvBuffer, b->cbBuffer);
    for (size_t i = 0; i < 8; i++)
        if (read_ulong(&r, &f[i]) != 0)
            return sspix_fail(SEC_E_BAD_BINDINGS,
                              "the SECBUFFER_CHANNEL_BINDINGS buffer has %u bytes, less than a "
                              "SEC_CHANNEL_BINDINGS header (%zu)",
                              (unsigned)b->cbBuffer, sizeof(SEC_CHANNEL_BINDINGS));
    /* dwInitiatorAddrType, cbInitiatorLength, dwInitiatorOffset, dwAcceptorAddrType, cbAcceptorLength,
     * dwAcceptorOffset, cbApplicationDataLength, dwApplicationDataOffset */
    memset(cb, 0, sizeof(*cb));
    cb->initiator_type = f[0];
    cb->acceptor_type = f[3];
    if ((st = binding_range(b, f[2], f[1], "initiator address", &cb->initiator, &cb->initiator_len)) != SEC_E_OK ||
        (st = binding_range(b, f[5], f[4], "acceptor address", &cb->acceptor, &cb->acceptor_len)) != SEC_E_OK ||
        (st = binding_range(b, f[7], f[6], "application data", &cb->app, &cb->app_len)) != SEC_E_OK)
        return st;
    *out = cb;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_secbuf_check_output(PSecBufferDesc out, int allocate)
{
    SecBuffer *b = sspix_secbuf_find(out, SECBUFFER_TOKEN);
    if (b == NULL)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "pOutput has no SECBUFFER_TOKEN buffer for the output token");
    if (!allocate && b->pvBuffer == NULL)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the output SECBUFFER_TOKEN has no memory: give it cbMaxToken "
                                                  "bytes, or set ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY");
    return SEC_E_OK;
}

SECURITY_STATUS sspix_secbuf_emit_output(PSecBufferDesc out, int allocate, struct sspix_leg *leg)
{
    SecBuffer *b = sspix_secbuf_find(out, SECBUFFER_TOKEN);
    if (b == NULL) { /* sspix_secbuf_check_output() refused this before the call */
        free(leg->out);
        leg->out = NULL;
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "pOutput has no SECBUFFER_TOKEN buffer for the output token");
    }
    if (allocate) {
        b->pvBuffer = leg->out;
        b->cbBuffer = (ULONG)leg->out_len;
        leg->out = NULL;
        return SEC_E_OK;
    }
    if (leg->out_len > b->cbBuffer) {
        ULONG have = b->cbBuffer;
        free(leg->out);
        leg->out = NULL;
        b->cbBuffer = 0;
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the output token needs %zu bytes; the buffer has %u", leg->out_len,
                          (unsigned)have);
    }
    if (leg->out_len > 0)
        memcpy(b->pvBuffer, leg->out, leg->out_len);
    b->cbBuffer = (ULONG)leg->out_len;
    free(leg->out);
    leg->out = NULL;
    return SEC_E_OK;
}
