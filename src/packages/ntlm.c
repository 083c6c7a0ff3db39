/*
 * ntlm.c - the "NTLM" package (gss-ntlmssp through MIT's mechglue): NTLM's
 * message protection in Windows' layout, and the checks every NTLM or SPNEGO
 * handshake token passes before gss-ntlmssp or MIT's SPNEGO sees it.
 *
 * Message protection. gss-ntlmssp has no IOV interface: gss_wrap emits the
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
#include "packages/gss_core.h"
#include "packages/gss_internal.h"

#include <stdlib.h>
#include <string.h>

#include "packages/gss_status.h"
#include "packages/ntlm_msg.h"
#include "packages/spnego_tok.h"
#include "sspi/errors.h"

/* INTEGRITY | PRIVACY | TOKEN_ONLY | CONNECTION | MULTI_REQUIRED | IMPERSONATION | ACCEPT_WIN32_NAME | NEGOTIABLE |
 * LOGON: Windows' NTLM base set (0x2B37). No MUTUAL_AUTH: NTLM never proves the server's identity. */
#define NTLM_CAPS                                                                                                      \
    (SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY | SECPKG_FLAG_TOKEN_ONLY | SECPKG_FLAG_CONNECTION |                   \
     SECPKG_FLAG_MULTI_REQUIRED | SECPKG_FLAG_IMPERSONATION | SECPKG_FLAG_ACCEPT_WIN32_NAME | SECPKG_FLAG_NEGOTIABLE | \
     SECPKG_FLAG_LOGON)

const struct sspix_package sspix_package_ntlm = {
    .id = SSPIX_PKG_NTLM,
    .name = "NTLM",
    .comment = "NTLM Security Package (gss-ntlmssp)",
    .capabilities = NTLM_CAPS,
    .version = 1,
    .rpcid = RPC_C_AUTHN_WINNT,
    .max_token = SSPIX_NTLM_MAX_TOKEN,
    .ops = &sspix_gss_ops,
};

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
    SECURITY_STATUS st;
    *token = *data = NULL;
    if (stream != NULL)
        *stream = NULL;
    if ((st = check_buffers(msg)) != SEC_E_OK)
        return st;
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

SECURITY_STATUS sspix_ntlm_encrypt(gss_ctx_id_t ctx, gss_OID mech, ULONG qop, PSecBufferDesc msg)
{
    SecBuffer *token, *data;
    OM_uint32 major, minor;
    SECURITY_STATUS st;
    int conf = 0;

    if (qop != 0)
        return sspix_fail(SEC_E_QOP_NOT_SUPPORTED,
                          "QOP 0x%x: NTLM always seals (gss-ntlmssp has no sign-only wrap; "
                          "use MakeSignature)",
                          (unsigned)qop);
    if ((st = token_and_data(msg, &token, &data, NULL)) != SEC_E_OK)
        return st;
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

SECURITY_STATUS sspix_ntlm_decrypt(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop)
{
    SecBuffer *token, *data, *stream;
    OM_uint32 major, minor;
    SECURITY_STATUS st;
    int conf = 0;
    uint8_t *joined = NULL;
    gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;

    if ((st = token_and_data(msg, &token, &data, &stream)) != SEC_E_OK)
        return st;
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
    SECURITY_STATUS st;
    *token = NULL;
    out->value = NULL;
    out->length = 0;
    if ((st = check_buffers(msg)) != SEC_E_OK)
        return st;
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

SECURITY_STATUS sspix_ntlm_sign(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg)
{
    SecBuffer *token;
    gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
    OM_uint32 major, minor;
    SECURITY_STATUS st;

    if ((st = signed_bytes(msg, &token, &in)) != SEC_E_OK)
        return st;
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

SECURITY_STATUS sspix_ntlm_verify(gss_ctx_id_t ctx, gss_OID mech, PSecBufferDesc msg, ULONG *qop)
{
    SecBuffer *token;
    gss_buffer_desc in;
    OM_uint32 major, minor;
    SECURITY_STATUS st;

    if ((st = signed_bytes(msg, &token, &in)) != SEC_E_OK)
        return st;
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

/* ---- handshake tokens ------------------------------------------------------ */

/* gss-ntlmssp verifies a mechListMIC as an NTLM signature, reading 16 bytes
 * whatever the length. */
#define NTLM_MIC_LEN 16u

static const char *ntlm_type_name(uint32_t t)
{
    return t == SSPIX_NTLM_NEGOTIATE ? "NEGOTIATE" : t == SSPIX_NTLM_CHALLENGE ? "CHALLENGE" : "AUTHENTICATE";
}

/* One NTLM message from the peer, of the type this leg takes. */
static SECURITY_STATUS check_ntlm_message(struct gss_ctx *c, int accept, uint32_t want, const uint8_t *p, size_t n,
                                          const char *where)
{
    char why[160];
    struct sspix_ntlm_info info;
    if (sspix_ntlm_msg_check(p, n, want, accept ? c->ntlm_flags : 0, &info, why, sizeof(why)) < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's NTLM %s message%s is malformed (%s): the peer is broken or "
                          "hostile; nothing was passed to gss-ntlmssp",
                          accept ? "client" : "server", ntlm_type_name(want), where, why);
    c->ntlm_seen = 1;
    if (!accept && want == SSPIX_NTLM_CHALLENGE)
        c->ntlm_flags = info.flags;
    return SEC_E_OK;
}

static int is_ntlm_oid(const uint8_t *p, size_t n)
{
    return sspix_spnego_oid_eq(p, n, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
}

/* A Negotiate token: SPNEGO's DER, the NTLM message inside it, and the
 * mechListMIC that gss-ntlmssp will verify. */
static SECURITY_STATUS check_spnego(struct gss_ctx *c, int accept, int first, uint32_t want, const uint8_t *in,
                                    size_t in_len)
{
    struct sspix_spnego_tok tok;
    char why[160];
    const char *peer = accept ? "client" : "server";

    if (sspix_ntlm_msg_is_ntlm(in, in_len)) /* raw NTLM given to Negotiate */
        return check_ntlm_message(c, accept, want, in, in_len, "");
    if (sspix_spnego_parse(in, in_len, &tok, why, sizeof(why)) < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO token is malformed (%s): the peer is broken or "
                          "hostile; nothing was passed to GSSAPI",
                          peer, why);
    if (accept && first) {
        if (tok.kind == SSPIX_SPNEGO_OTHER)
            return SEC_E_OK; /* another mechanism's own token (raw Kerberos): not SPNEGO's to check */
        if (tok.kind != SSPIX_SPNEGO_INIT)
            return sspix_fail(SEC_E_INVALID_TOKEN, "the client's first SPNEGO token is a NegTokenResp; a "
                                                   "NegTokenInit starts the handshake");
    } else if (tok.kind != SSPIX_SPNEGO_RESP) {
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO token is not a NegTokenResp, which every token "
                          "after the first must be",
                          peer);
    }
    int ntlm = c->ntlm_seen || sspix_mech_is_ntlm(c->mech) || is_ntlm_oid(tok.mech, tok.mech_len);
    /* The inner token goes to NTLM when NTLM is the mechanism, and whenever
     * it looks like NTLM: gss-ntlmssp is not trusted with it either way. */
    if (tok.token != NULL && tok.token_len > 0 && (ntlm || sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len))) {
        /* A NegTokenInit's mechToken is for the first mechanism only. */
        if (tok.kind != SSPIX_SPNEGO_INIT || is_ntlm_oid(tok.mech, tok.mech_len) ||
            sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len)) {
            SECURITY_STATUS st = check_ntlm_message(c, accept, want, tok.token, tok.token_len,
                                                    tok.kind == SSPIX_SPNEGO_INIT ? " in the SPNEGO mechToken"
                                                                                  : " in the SPNEGO responseToken");
            if (st != SEC_E_OK)
                return st;
            ntlm = 1;
        }
    }
    if (tok.kind == SSPIX_SPNEGO_RESP && ntlm && tok.has_mic && tok.mic_len != NTLM_MIC_LEN)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO mechListMIC has %zu bytes; an NTLM signature has "
                          "exactly %u",
                          peer, tok.mic_len, NTLM_MIC_LEN);
    return SEC_E_OK;
}

SECURITY_STATUS sspix_handshake_check_input(struct gss_ctx *c, int accept, int first, const uint8_t *in, size_t in_len)
{
    /* Acceptor: NEGOTIATE first, AUTHENTICATE next. Initiator: only ever a
     * CHALLENGE from the server (the first call takes no token). */
    uint32_t want = accept ? (first ? SSPIX_NTLM_NEGOTIATE : SSPIX_NTLM_AUTHENTICATE) : SSPIX_NTLM_CHALLENGE;

    if (c->pkg->id == SSPIX_PKG_KERBEROS || (!accept && first))
        return SEC_E_OK;
    if (in_len == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no input token: pass the %s's reply in a SECBUFFER_TOKEN",
                          accept ? "client" : "server");
    if (c->pkg->id == SSPIX_PKG_NTLM)
        return check_ntlm_message(c, accept, want, in, in_len, "");
    return check_spnego(c, accept, first, want, in, in_len);
}

void sspix_handshake_note_output(struct gss_ctx *c, const uint8_t *out, size_t out_len)
{
    struct sspix_spnego_tok tok;
    struct sspix_ntlm_info info;
    char why[8];

    /* Our own CHALLENGE, raw or in a NegTokenResp: its flags say what the
     * AUTHENTICATE message must carry. */
    if (!c->server || c->pkg->id == SSPIX_PKG_KERBEROS || out_len == 0)
        return;
    if (!sspix_ntlm_msg_is_ntlm(out, out_len)) {
        if (sspix_spnego_parse(out, out_len, &tok, why, sizeof(why)) < 0 || tok.token == NULL)
            return;
        out = tok.token;
        out_len = tok.token_len;
    }
    if (sspix_ntlm_msg_check(out, out_len, SSPIX_NTLM_CHALLENGE, 0, &info, why, sizeof(why)) == 0) {
        c->ntlm_seen = 1;
        c->ntlm_flags = info.flags;
    }
}
