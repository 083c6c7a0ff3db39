/* SPDX-License-Identifier: MIT */
/*
 * protect_ntlm.c - NTLM message protection in Windows' layout, for the NTLM
 * package and for NTLM inside Negotiate.
 *
 * gss-ntlmssp has no IOV interface: gss_wrap emits the
 * 16-byte signature (NTLMSSP_MESSAGE_SIGNATURE, Version 0x00000001 first,
 * MS-NLMP 2.2.2.9) followed by the sealed data, and gss_get_mic the
 * signature alone. SSPI's NTLM layout is the signature in the
 * SECBUFFER_TOKEN and the sealed data in place in the SECBUFFER_DATA, so the
 * functions below move the two parts between the caller's buffers and one
 * contiguous GSSAPI buffer. MS-NLMP defines no single-buffer form (the
 * signature is handed to the application to embed); the one NTLM peers use
 * when they send one buffer is gss_wrap's, signature first (gss-ntlmssp,
 * Python's ntlm-auth, WinRM message encryption), so a SECBUFFER_STREAM given
 * to DecryptMessage is read as signature || sealed data, and the plaintext
 * is left in place after the signature, where a SECBUFFER_DATA then points.
 *
 * A failed NTLM DecryptMessage or VerifySignature (SEC_E_MESSAGE_ALTERED,
 * SEC_E_OUT_OF_SEQUENCE) has already run the receive RC4 stream and sequence
 * number over the message. Whether they still match the peer's depends on
 * what went wrong (a replayed, injected or cut message moves them past the
 * sender's), and the receiver cannot tell; as on Windows, the connection is
 * dead: delete the context and reconnect. A call refused before any
 * cryptography (a TOKEN that is not exactly 16 bytes, a STREAM too short to
 * hold a message, a buffer layout the call does not take) is
 * SEC_E_INVALID_TOKEN, SEC_E_INCOMPLETE_MESSAGE or SEC_E_INVALID_PARAMETER
 * and leaves the context usable.
 *
 * MessageSeqNo is ignored: connection-oriented NTLM (all that gss-ntlmssp
 * negotiates here) keeps its own sequence numbers, as Windows does when
 * ISC_REQ_DATAGRAM is not used.
 */
#include "packages/gss_internal.h"

#include <stdlib.h>
#include <string.h>

#include "packages/gss_status.h"
#include "sspi/status.h"

/* Largest message one call protects: the data is copied once to meet
 * gss-ntlmssp's contiguous-buffer interface. */
#define NTLM_MAX_MESSAGE (64u * 1024u * 1024u)

static int base_type(const SecBuffer *b)
{
    return (int)(b->BufferType & ~SECBUFFER_ATTRMASK);
}

/* The caller's descriptor: 1 to 16 buffers, none with a length but no memory. */
static SECURITY_STATUS check_buffers(PSecBufferDesc msg)
{
    if (msg == NULL || msg->pBuffers == NULL || msg->cBuffers == 0 || msg->cBuffers > 16)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "expected 1 to 16 message buffers");
    for (ULONG i = 0; i < msg->cBuffers; i++)
        if (msg->pBuffers[i].cbBuffer > 0 && msg->pBuffers[i].pvBuffer == NULL)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "buffer %u has a length but no memory", (unsigned)i);
    return SEC_E_OK;
}

/* The TOKEN and the one DATA buffer of an EncryptMessage/DecryptMessage call. */
static SECURITY_STATUS token_and_data(PSecBufferDesc msg, SecBuffer **token, SecBuffer **data, SecBuffer **stream)
{
    *token = *data = NULL;
    if (stream != NULL)
        *stream = NULL;
    SEC_GUARD(check_buffers(msg));
    for (ULONG i = 0; i < msg->cBuffers; i++) {
        SecBuffer *b = &msg->pBuffers[i];
        switch (base_type(b)) {
        case SECBUFFER_TOKEN:
            if (*token == NULL)
                *token = b;
            break;
        case SECBUFFER_DATA:
            if (b->BufferType & SECBUFFER_READONLY)
                break;
            if (*data != NULL)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM protects one SECBUFFER_DATA buffer per message");
            *data = b;
            break;
        case SECBUFFER_STREAM:
            if (stream == NULL)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "SECBUFFER_STREAM is for DecryptMessage");
            *stream = b;
            break;
        default: break;
        }
    }
    if (*data == NULL && (stream == NULL || *stream == NULL))
        return sspix_fail(SEC_E_INVALID_TOKEN, "no SECBUFFER_DATA buffer");
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_encrypt_raw(gss_ctx_id_t ctx, gss_OID mech, ULONG qop, PSecBufferDesc msg)
{
    SecBuffer *token, *data;
    OM_uint32 major, minor;
    int conf = 0;

    if (qop != 0)
        return sspix_fail(SEC_E_QOP_NOT_SUPPORTED,
                          "QOP 0x%x: NTLM always seals (gss-ntlmssp has no sign-only wrap; "
                          "use MakeSignature)",
                          (unsigned)qop);
    SEC_GUARD(token_and_data(msg, &token, &data, NULL));
    if (token == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "EncryptMessage needs a SECBUFFER_TOKEN of %u bytes",
                          SSPIX_NTLM_SIGNATURE);
    if (token->cbBuffer < SSPIX_NTLM_SIGNATURE)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %u bytes; %u are needed",
                          (unsigned)token->cbBuffer, SSPIX_NTLM_SIGNATURE);
    if (data->cbBuffer == 0 || data->cbBuffer > NTLM_MAX_MESSAGE)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM messages must hold 1 to %u bytes, not %u", NTLM_MAX_MESSAGE,
                          (unsigned)data->cbBuffer);

    gss_buffer_desc in = {data->cbBuffer, data->pvBuffer}, out = GSS_C_EMPTY_BUFFER;
    major = gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &in, &conf, &out);
    if (GSS_ERROR(major))
        return sspix_gss_fail("EncryptMessage", major, minor, mech);
    if (out.length != (size_t)data->cbBuffer + SSPIX_NTLM_SIGNATURE) {
        gss_release_buffer(&minor, &out);
        return sspix_fail(SEC_E_INTERNAL_ERROR, "gss-ntlmssp produced an unexpected %zu-byte token", out.length);
    }
    /* gss_wrap's output: signature, then the sealed data. */
    memcpy(token->pvBuffer, out.value, SSPIX_NTLM_SIGNATURE);
    memcpy(data->pvBuffer, (const uint8_t *)out.value + SSPIX_NTLM_SIGNATURE, data->cbBuffer);
    token->cbBuffer = SSPIX_NTLM_SIGNATURE;
    for (ULONG i = 0; i < msg->cBuffers; i++)
        if (base_type(&msg->pBuffers[i]) == SECBUFFER_PADDING)
            msg->pBuffers[i].cbBuffer = 0; /* RC4 is a stream cipher: no padding */
    gss_release_buffer(&minor, &out);
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_decrypt_raw(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop)
{
    SecBuffer *token, *data, *stream;
    OM_uint32 major, minor;
    int conf = 0;
    uint8_t *joined = NULL;
    gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;

    SEC_GUARD(token_and_data(msg, &token, &data, &stream));
    if (stream != NULL) {
        /* signature || sealed data, as gss_wrap emits it. gss-ntlmssp takes
         * the 16-byte signature without checking the length. */
        if (stream->cbBuffer <= SSPIX_NTLM_SIGNATURE)
            return sspix_fail(SEC_E_INCOMPLETE_MESSAGE,
                              "the SECBUFFER_STREAM holds %u bytes; an NTLM message has "
                              "at least %u",
                              (unsigned)stream->cbBuffer, SSPIX_NTLM_SIGNATURE + 1);
        if (stream->cbBuffer > NTLM_MAX_MESSAGE + SSPIX_NTLM_SIGNATURE)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "message longer than %u bytes", NTLM_MAX_MESSAGE);
        in.value = stream->pvBuffer;
        in.length = stream->cbBuffer;
    } else {
        if (token == NULL)
            return sspix_fail(SEC_E_INVALID_TOKEN, "DecryptMessage needs the %u-byte signature in a SECBUFFER_TOKEN",
                              SSPIX_NTLM_SIGNATURE);
        /* Exactly the signature: gss-ntlmssp would take the first 16 bytes of
         * anything longer and never look at the rest. */
        if (token->cbBuffer != SSPIX_NTLM_SIGNATURE)
            return sspix_fail(SEC_E_INVALID_TOKEN,
                              "the SECBUFFER_TOKEN holds %u bytes; an NTLM signature has exactly %u: pass the "
                              "TOKEN buffer EncryptMessage returned, with its cbBuffer",
                              (unsigned)token->cbBuffer, SSPIX_NTLM_SIGNATURE);
        if (data->cbBuffer == 0 || data->cbBuffer > NTLM_MAX_MESSAGE)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM messages hold 1 to %u bytes, not %u", NTLM_MAX_MESSAGE,
                              (unsigned)data->cbBuffer);
        joined = malloc((size_t)data->cbBuffer + SSPIX_NTLM_SIGNATURE);
        if (joined == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        memcpy(joined, token->pvBuffer, SSPIX_NTLM_SIGNATURE);
        memcpy(joined + SSPIX_NTLM_SIGNATURE, data->pvBuffer, data->cbBuffer);
        in.value = joined;
        in.length = (size_t)data->cbBuffer + SSPIX_NTLM_SIGNATURE;
    }
    major = gss_unwrap(&minor, ctx, &in, &out, &conf, NULL);
    free(joined);
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &out);
        return sspix_gss_message_fail("DecryptMessage", major, minor, mech);
    }
    if (out.length != in.length - SSPIX_NTLM_SIGNATURE) {
        gss_release_buffer(&minor, &out);
        return sspix_fail(SEC_E_INTERNAL_ERROR, "gss-ntlmssp returned %zu bytes for a %zu-byte token", out.length,
                          in.length);
    }
    if (stream != NULL) {
        /* The plaintext replaces the sealed data in place, after the
         * signature; DATA (if given) points at it, as Windows does. */
        uint8_t *at = (uint8_t *)stream->pvBuffer + SSPIX_NTLM_SIGNATURE;
        memcpy(at, out.value, out.length);
        if (data != NULL) {
            data->pvBuffer = at;
            data->cbBuffer = (ULONG)out.length;
        }
    } else {
        memcpy(data->pvBuffer, out.value, out.length);
    }
    gss_release_buffer(&minor, &out);
    if (qop != NULL)
        *qop = 0;
    return SEC_E_OK;
}

/* All DATA buffers (read-only ones with READONLY_WITH_CHECKSUM included),
 * concatenated: the bytes the signature covers. */
static SECURITY_STATUS signed_bytes(PSecBufferDesc msg, SecBuffer **token, gss_buffer_desc *out)
{
    size_t total = 0;
    *token = NULL;
    out->value = NULL;
    out->length = 0;
    SEC_GUARD(check_buffers(msg));
    for (ULONG i = 0; i < msg->cBuffers; i++) {
        SecBuffer *b = &msg->pBuffers[i];
        if (base_type(b) == SECBUFFER_TOKEN && *token == NULL)
            *token = b;
        else if (base_type(b) == SECBUFFER_DATA) {
            if (b->cbBuffer > NTLM_MAX_MESSAGE - total)
                return sspix_fail(SEC_E_INVALID_PARAMETER, "message longer than %u bytes", NTLM_MAX_MESSAGE);
            total += b->cbBuffer;
        }
    }
    if (*token == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no SECBUFFER_TOKEN for the %u-byte signature", SSPIX_NTLM_SIGNATURE);
    if (total == 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "NTLM signs 1 byte or more: no SECBUFFER_DATA bytes");
    uint8_t *p = malloc(total);
    if (p == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    size_t at = 0;
    for (ULONG i = 0; i < msg->cBuffers; i++) {
        SecBuffer *b = &msg->pBuffers[i];
        if (base_type(b) == SECBUFFER_DATA && b->cbBuffer > 0) {
            memcpy(p + at, b->pvBuffer, b->cbBuffer);
            at += b->cbBuffer;
        }
    }
    out->value = p;
    out->length = total;
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_sign_raw(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg)
{
    SecBuffer *token;
    gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 major, minor;

    SEC_GUARD(signed_bytes(msg, &token, &in));
    if (token->cbBuffer < SSPIX_NTLM_SIGNATURE) {
        free(in.value);
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %u bytes; %u are needed",
                          (unsigned)token->cbBuffer, SSPIX_NTLM_SIGNATURE);
    }
    major = gss_get_mic(&minor, ctx, GSS_C_QOP_DEFAULT, &in, &out);
    free(in.value);
    if (GSS_ERROR(major))
        return sspix_gss_fail("MakeSignature", major, minor, mech);
    if (out.length != SSPIX_NTLM_SIGNATURE) {
        gss_release_buffer(&minor, &out);
        return sspix_fail(SEC_E_INTERNAL_ERROR, "gss-ntlmssp produced a %zu-byte signature", out.length);
    }
    memcpy(token->pvBuffer, out.value, out.length);
    token->cbBuffer = SSPIX_NTLM_SIGNATURE;
    gss_release_buffer(&minor, &out);
    return SEC_E_OK;
}

static SECURITY_STATUS ntlm_verify_raw(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop)
{
    SecBuffer *token;
    gss_buffer_desc in;
    OM_uint32 major, minor;

    SEC_GUARD(signed_bytes(msg, &token, &in));
    /* gss-ntlmssp compares 16 bytes without looking at the length. */
    if (token->cbBuffer != SSPIX_NTLM_SIGNATURE) {
        free(in.value);
        return sspix_fail(SEC_E_MESSAGE_ALTERED, "an NTLM signature has %u bytes, not %u", SSPIX_NTLM_SIGNATURE,
                          (unsigned)token->cbBuffer);
    }
    gss_buffer_desc sig = {token->cbBuffer, token->pvBuffer};
    major = gss_verify_mic(&minor, ctx, &in, &sig, NULL);
    free(in.value);
    if (sspix_gss_failed(major)) {
        return sspix_gss_message_fail("VerifySignature", major, minor, mech);
    }
    if (qop != NULL)
        *qop = 0;
    return SEC_E_OK;
}

/* ---- the context's protection ---------------------------------------------- */

static SECURITY_STATUS ntlm_encrypt(struct sspix_gss_ctx *c, ULONG qop, PSecBufferDesc msg)
{
    return ntlm_encrypt_raw(c->ctx, c->mech, qop, msg);
}

static SECURITY_STATUS ntlm_decrypt(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop)
{
    return ntlm_decrypt_raw(c->ctx, c->mech, msg, qop);
}

static SECURITY_STATUS ntlm_sign(struct sspix_gss_ctx *c, PSecBufferDesc msg)
{
    return ntlm_sign_raw(c->ctx, c->mech, msg);
}

static SECURITY_STATUS ntlm_verify(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop)
{
    return ntlm_verify_raw(c->ctx, c->mech, msg, qop);
}

const struct sspix_protect_ops sspix_protect_ntlm = {
    .prepare = NULL,
    .encrypt = ntlm_encrypt,
    .decrypt = ntlm_decrypt,
    .sign = ntlm_sign,
    .verify = ntlm_verify,
};
