/* SPDX-License-Identifier: MIT */
/*
 * protect_krb5.c - Kerberos message protection (Kerberos, and Kerberos inside
 * Negotiate): EncryptMessage/DecryptMessage over gss_wrap_iov/gss_unwrap_iov
 * and MakeSignature/VerifySignature over gss_get_mic_iov/gss_verify_mic_iov,
 * with every token and buffer layout checked against the context's token
 * format (krb5_token.c) before MIT sees it.
 *
 * MessageSeqNo is ignored: Kerberos numbers its messages itself (callers
 * pass 0, as Microsoft's GSSAPI interoperability sample does); replayed and
 * reordered messages are still detected when sequence/replay detection was
 * negotiated.
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/status.h"
#include "packages/krb5_token.h"

#define SSPIX_MAX_IOV 16

static int buffer_type(const SecBuffer *b)
{
    return (int)(b->BufferType & ~SECBUFFER_ATTRMASK);
}

/* SecBufferDesc -> GSS iov. `stream` selects STREAM handling for decrypt. */
static SECURITY_STATUS map_iov(PSecBufferDesc msg, gss_iov_buffer_desc *iov, int *map, size_t *n, int for_mic)
{
    if (msg == NULL || msg->pBuffers == NULL || msg->cBuffers == 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "no message buffers");
    if (msg->cBuffers > SSPIX_MAX_IOV)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "more than %d message buffers", SSPIX_MAX_IOV);
    *n = 0;
    for (ULONG i = 0; i < msg->cBuffers; i++) {
        SecBuffer *b = &msg->pBuffers[i];
        OM_uint32 type;
        if (b->cbBuffer > 0 && b->pvBuffer == NULL)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "buffer %u has a length but no memory", (unsigned)i);
        switch (buffer_type(b)) {
        case SECBUFFER_TOKEN: type = for_mic ? GSS_IOV_BUFFER_TYPE_MIC_TOKEN : GSS_IOV_BUFFER_TYPE_HEADER; break;
        case SECBUFFER_DATA:
            type = (b->BufferType & (SECBUFFER_READONLY | SECBUFFER_READONLY_WITH_CHECKSUM))
                       ? GSS_IOV_BUFFER_TYPE_SIGN_ONLY
                       : GSS_IOV_BUFFER_TYPE_DATA;
            if (for_mic)
                type = GSS_IOV_BUFFER_TYPE_DATA;
            if ((b->BufferType & SECBUFFER_READONLY) && !(b->BufferType & SECBUFFER_READONLY_WITH_CHECKSUM) && for_mic)
                continue; /* read-only data is not covered by the checksum */
            break;
        case SECBUFFER_PADDING:
            /* A signature covers no padding: MIT ignores it in MakeSignature
             * but refuses a non-empty one in VerifySignature. */
            if (for_mic)
                continue;
            type = GSS_IOV_BUFFER_TYPE_PADDING;
            break;
        case SECBUFFER_STREAM: type = GSS_IOV_BUFFER_TYPE_STREAM; break;
        case SECBUFFER_EMPTY: continue;
        default: continue; /* other buffer types are not the package's */
        }
        iov[*n].type = type;
        iov[*n].buffer.length = b->cbBuffer;
        iov[*n].buffer.value = b->pvBuffer;
        map[*n] = (int)i;
        (*n)++;
    }
    return SEC_E_OK;
}

/* How many iov entries of each kind a call was given, and where the last
 * of each is. */
struct iov_census {
    size_t header, mic, data, sign_only, padding, stream;
    int header_at, mic_at, padding_at, stream_at;
};

static void census(const gss_iov_buffer_desc *iov, size_t n, struct iov_census *k)
{
    memset(k, 0, sizeof(*k));
    k->header_at = k->mic_at = k->padding_at = k->stream_at = -1;
    for (size_t i = 0; i < n; i++) {
        switch (iov[i].type) {
        case GSS_IOV_BUFFER_TYPE_HEADER: k->header++, k->header_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_MIC_TOKEN: k->mic++, k->mic_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_DATA: k->data++; break;
        case GSS_IOV_BUFFER_TYPE_SIGN_ONLY: k->sign_only++; break;
        case GSS_IOV_BUFFER_TYPE_PADDING: k->padding++, k->padding_at = (int)i; break;
        case GSS_IOV_BUFFER_TYPE_STREAM: k->stream++, k->stream_at = (int)i; break;
        default: break;
        }
    }
}

/* The last arc of 1.2.840.113554.1.2.2.4.<enctype>, MIT's name for the type
 * of the key GSS_C_INQ_SSPI_SESSION_KEY returns. */
static int parse_enctype_oid(const gss_buffer_desc *oid, uint32_t *enctype)
{
    static const uint8_t prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    sspix_reader r;
    const uint8_t *p;
    uint8_t b = 0x80;
    uint32_t v = 0;
    sspix_reader_init(&r, oid->value, oid->length);
    GUARD(sspix_reader_bytes(&r, sizeof(prefix), &p));
    ENSURE(memcmp(p, prefix, sizeof(prefix)) == 0, SSPIX_ERR_INVALID);
    for (int i = 0; b & 0x80; i++) {
        ENSURE(i < 4, SSPIX_ERR_INVALID);
        GUARD(sspix_reader_u8(&r, &b));
        v = v << 7 | (b & 0x7f);
    }
    ENSURE(sspix_reader_left(&r) == 0, SSPIX_ERR_INVALID);
    *enctype = v;
    return 0;
}

/*
 * The per-message token format of an established Kerberos context: RFC 4121
 * or RFC 1964 and the checksum size follow from the enctype of the key that
 * protects messages, which GSS_C_INQ_SSPI_SESSION_KEY reports (MIT: the
 * acceptor's subkey when there is one, else the session subkey; MIT picks
 * the token format from that same key). quiet: record no error, for the end
 * of a handshake that succeeded.
 */
SECURITY_STATUS sspix_krb5_learn_format(struct sspix_gss_ctx *c, int quiet)
{
    OM_uint32 major, minor, m2;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    uint32_t enctype = 0;
    int rc = SSPIX_ERR_INVALID;

    if (c->krb5_known)
        return SEC_E_OK;
    major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (GSS_ERROR(major))
        return quiet ? SEC_E_INTERNAL_ERROR
                     : sspix_gss_fail("finding the key type of the context", major, minor, c->mech);
    if (set != GSS_C_NO_BUFFER_SET && set->count >= 1 && set->elements[0].value != NULL)
        explicit_bzero(set->elements[0].value, set->elements[0].length); /* only its type is wanted */
    if (set != GSS_C_NO_BUFFER_SET && set->count >= 2)
        rc = parse_enctype_oid(&set->elements[1], &enctype);
    gss_release_buffer_set(&m2, &set);
    if (rc < 0)
        return quiet ? SEC_E_INTERNAL_ERROR
                     : sspix_fail(SEC_E_INTERNAL_ERROR, "GSSAPI did not name the key type of the Kerberos context");
    if (sspix_krb5_format_init(&c->krb5, (int32_t)enctype, !c->server, (c->gss_flags & GSS_C_MUTUAL_FLAG) != 0) < 0)
        return quiet ? SEC_E_ALGORITHM_MISMATCH
                     : sspix_fail(SEC_E_ALGORITHM_MISMATCH,
                                  "the context's key has enctype %u, whose per-message tokens sspix cannot check: "
                                  "permit an AES enctype (permitted_enctypes in krb5.conf)",
                                  (unsigned)enctype);
    c->krb5_known = 1;
    return SEC_E_OK;
}

static SECURITY_STATUS protect_prepare(struct sspix_gss_ctx *c)
{
    SECURITY_STATUS st = sspix_krb5_learn_format(c, 0);
    return st == SEC_E_OK ? sspix_krb5_adopt_rfc4121(c) : st;
}

/* A token the checks refused: cut off (a STREAM to read more of), or not a
 * token of this context. (The message is prefixed with the SSPI call.) */
static SECURITY_STATUS token_fail(int rc, const char *why)
{
    if (rc == SSPIX_ERR_SHORT)
        return sspix_fail(SEC_E_INCOMPLETE_MESSAGE, "%s", why);
    return sspix_fail(SEC_E_MESSAGE_ALTERED, "the message was modified or is not from this context: %s", why);
}

static SECURITY_STATUS protect_encrypt(struct sspix_gss_ctx *c, ULONG qop, PSecBufferDesc msg)
{
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;

    SEC_GUARD(map_iov(msg, iov, map, &n, 0));
    if (qop & ~(ULONG)SECQOP_WRAP_NO_ENCRYPT)
        return sspix_fail(SEC_E_QOP_NOT_SUPPORTED, "QOP 0x%x: only 0 and KERB_WRAP_NO_ENCRYPT are supported",
                          (unsigned)qop);
    int conf = !(qop & SECQOP_WRAP_NO_ENCRYPT);

    gss_iov_buffer_desc sizes[SSPIX_MAX_IOV];
    memcpy(sizes, iov, n * sizeof(iov[0]));
    struct iov_census k;
    census(iov, n, &k);
    int header_at = k.header_at, padding_at = k.padding_at;
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "SECBUFFER_STREAM is for DecryptMessage");
    if (header_at < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "EncryptMessage needs a SECBUFFER_TOKEN buffer of cbSecurityTrailer "
                                               "bytes (QueryContextAttributes SECPKG_ATTR_SIZES)");
    if (k.header > 1 || k.padding > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN and at most one SECBUFFER_PADDING are "
                                                   "allowed");
    /* RFC 1964 / RFC 4757 wrap tokens end with padding after the data
     * (one byte for RC4), which has nowhere else to go: MIT cannot make the
     * unpadded tokens some Windows callers produce. */
    if (padding_at < 0 && c->krb5.proto == SSPIX_KRB5_RFC1964)
        return sspix_fail(SEC_E_INVALID_PARAMETER,
                          "this context's key is %s (RFC 4757 tokens), whose wrap tokens end with padding after the "
                          "data: pass a SECBUFFER_PADDING buffer of cbBlockSize bytes (SECPKG_ATTR_SIZES) after the "
                          "SECBUFFER_DATA and send its cbBuffer bytes after the data",
                          sspix_krb5_enctype_name(c->krb5.enctype));
    major = sspix_krb5_wrap_iov_length(c, &minor, conf, sizes, n);
    if (GSS_ERROR(major))
        return sspix_krb5_call_fail(c, "EncryptMessage", major, minor, 0);
    if (sizes[header_at].buffer.length > iov[header_at].buffer.length)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %zu bytes; %zu are needed",
                          iov[header_at].buffer.length, sizes[header_at].buffer.length);
    if (padding_at >= 0) {
        if (sizes[padding_at].buffer.length > iov[padding_at].buffer.length)
            return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_PADDING buffer has %zu bytes; %zu are needed",
                              iov[padding_at].buffer.length, sizes[padding_at].buffer.length);
        iov[padding_at].buffer.length = sizes[padding_at].buffer.length;
    }
    iov[header_at].buffer.length = sizes[header_at].buffer.length;

    major = sspix_krb5_wrap_iov(c, &minor, conf, iov, n);
    if (GSS_ERROR(major))
        return sspix_krb5_call_fail(c, "EncryptMessage", major, minor, 0);
    for (size_t i = 0; i < n; i++)
        msg->pBuffers[map[i]].cbBuffer = (ULONG)iov[i].buffer.length;
    return SEC_E_OK;
}

/*
 * Every wrap token is checked against the context's format before GSSAPI
 * sees it (krb5_token.c): MIT dereferences a key the context lacks when an
 * RFC 1964 token ID reaches an RFC 4121 context through a STREAM. A STREAM
 * shorter than the least token of this context is SEC_E_INCOMPLETE_MESSAGE
 * (RFC 4121 tokens carry no length; RFC 1964 framing does); a cut inside the
 * data cannot be told from a modification and is SEC_E_MESSAGE_ALTERED.
 * Layouts: STREAM with at most one DATA (it receives the plaintext, pointing
 * into the stream), or one TOKEN with DATA, SIGN_ONLY data and at most one
 * PADDING.
 */
static SECURITY_STATUS check_decrypt_layout(struct sspix_gss_ctx *c, gss_iov_buffer_desc *iov, int *map, size_t *n)
{
    struct iov_census k;
    char why[256];
    int rc;
    census(iov, *n, &k);
    if (k.stream > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_STREAM at most, not %zu", k.stream);
    if (k.stream == 1) {
        if (k.header > 0)
            return sspix_fail(SEC_E_INVALID_PARAMETER, "a SECBUFFER_STREAM holds the whole message: pass no "
                                                       "SECBUFFER_TOKEN with it");
        if (k.data > 1)
            return sspix_fail(SEC_E_INVALID_PARAMETER,
                              "a SECBUFFER_STREAM takes at most one SECBUFFER_DATA (it receives the plaintext), "
                              "not %zu",
                              k.data);
        /* STREAM, then DATA: what MIT's STREAM unwrap takes. A caller's
         * DATA buffer ends up pointing into the stream; without one the
         * plaintext is still there, where the message was. */
        gss_iov_buffer_desc stream = iov[k.stream_at], data = {GSS_IOV_BUFFER_TYPE_DATA, {0, NULL}};
        int stream_map = map[k.stream_at], data_map = -1;
        for (size_t i = 0; i < *n; i++) {
            if (iov[i].type == GSS_IOV_BUFFER_TYPE_DATA) {
                data = iov[i];
                data_map = map[i];
            }
        }
        iov[0] = stream;
        map[0] = stream_map;
        iov[1] = data;
        map[1] = data_map;
        *n = 2;
        rc = sspix_krb5_check_wrap_stream(&c->krb5, stream.buffer.value, stream.buffer.length, NULL, why, sizeof(why));
        return rc < 0 ? token_fail(rc, why) : SEC_E_OK;
    }
    if (k.header == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no message: pass the whole of it in a SECBUFFER_STREAM, or its "
                                               "header in a SECBUFFER_TOKEN and the data in SECBUFFER_DATA");
    if (k.header > 1 || k.padding > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN and at most one SECBUFFER_PADDING are "
                                                   "allowed");
    /* What follows the header on the wire: the data to decrypt and the
     * padding (read-only SIGN_ONLY data is not part of the token). */
    size_t body = 0;
    for (size_t i = 0; i < *n; i++)
        if (iov[i].type == GSS_IOV_BUFFER_TYPE_DATA || iov[i].type == GSS_IOV_BUFFER_TYPE_PADDING)
            body += iov[i].buffer.length;
    const gss_iov_buffer_desc *h = &iov[k.header_at];
    rc = sspix_krb5_check_wrap_split(&c->krb5, h->buffer.value, h->buffer.length, body, NULL, why, sizeof(why));
    return rc < 0 ? token_fail(rc, why) : SEC_E_OK;
}

/*
 * MIT's RFC 1964 unwrap (RC4, DES3) strips the padding that the last
 * decrypted byte names from its one DATA and one PADDING buffer, and asserts,
 * aborting the process, when the PADDING buffer is longer than that padding
 * (kg_fixup_padding_iov). So MIT is given such a PADDING buffer as DATA (its
 * crypto and checksum treat both alike: one stream of bytes) and the strip is
 * done here, bounded, once MIT has verified the message. Returns the index of
 * the relabelled buffer, or -1 when MIT's own handling is safe (RFC 4121 on
 * rfc4121.c, a STREAM, no or an empty PADDING, several DATA buffers, DCE
 * style, where MIT strips nothing).
 */
static int pad_as_data(const struct sspix_gss_ctx *c, gss_iov_buffer_desc *iov, size_t n)
{
    struct iov_census k;
    census(iov, n, &k);
    if (c->r4 != NULL || (c->gss_flags & GSS_C_DCE_STYLE) || k.stream != 0 || k.data != 1 || k.padding != 1 ||
        iov[k.padding_at].buffer.length == 0)
        return -1;
    iov[k.padding_at].type = GSS_IOV_BUFFER_TYPE_DATA;
    return k.padding_at;
}

/* What kg_fixup_padding_iov does for a well-formed layout, refusing the one it cannot take. */
static SECURITY_STATUS strip_padding(struct sspix_gss_ctx *c, gss_iov_buffer_desc *iov, size_t n, int pad_at)
{
    gss_iov_buffer_desc *pad = &iov[pad_at], *data = NULL;
    pad->type = GSS_IOV_BUFFER_TYPE_PADDING;
    for (size_t i = 0; i < n; i++)
        if (iov[i].type == GSS_IOV_BUFFER_TYPE_DATA)
            data = &iov[i];
    size_t plen = pad->buffer.length, padlength = ((const uint8_t *)pad->buffer.value)[plen - 1];
    if (data == NULL || padlength == 0 || data->buffer.length + plen < padlength)
        return sspix_krb5_call_fail(c, "DecryptMessage", GSS_S_DEFECTIVE_TOKEN, (OM_uint32)KRB5_BAD_MSIZE, 1);
    if (padlength < plen)
        return sspix_fail(SEC_E_INVALID_PARAMETER,
                          "DecryptMessage: the SECBUFFER_PADDING has %zu bytes but the message's padding is %zu: "
                          "pass the bytes before the padding in SECBUFFER_DATA",
                          plen, padlength);
    data->buffer.length -= padlength - plen;
    pad->buffer.length = 0;
    pad->buffer.value = NULL;
    return SEC_E_OK;
}

static SECURITY_STATUS protect_decrypt(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop)
{
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    int conf = 0;
    gss_qop_t qop_state = 0;

    SEC_GUARD(map_iov(msg, iov, map, &n, 0));
    SEC_GUARD(check_decrypt_layout(c, iov, map, &n));
    int pad_at = pad_as_data(c, iov, n);
    major = sspix_krb5_unwrap_iov(c, &minor, &conf, &qop_state, iov, n);
    if (sspix_gss_failed(major)) {
        return sspix_krb5_call_fail(c, "DecryptMessage", major, minor, 1);
    }
    if (pad_at >= 0)
        SEC_GUARD(strip_padding(c, iov, n, pad_at));
    for (size_t i = 0; i < n; i++) {
        if (map[i] < 0)
            continue;
        SecBuffer *b = &msg->pBuffers[map[i]];
        b->cbBuffer = (ULONG)iov[i].buffer.length;
        b->pvBuffer = iov[i].buffer.value;
    }
    if (qop != NULL)
        *qop = conf ? 0 : SECQOP_WRAP_NO_ENCRYPT;
    return SEC_E_OK;
}

static SECURITY_STATUS protect_sign(struct sspix_gss_ctx *c, PSecBufferDesc msg)
{
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;

    SEC_GUARD(map_iov(msg, iov, map, &n, 1));
    struct iov_census k;
    census(iov, n, &k);
    int tok = k.mic_at;
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "SECBUFFER_STREAM is for DecryptMessage: the signature goes "
                                                   "into a SECBUFFER_TOKEN");
    if (tok < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "MakeSignature needs a SECBUFFER_TOKEN buffer of cbMaxSignature bytes");
    if (k.mic > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN for the signature, not %zu", k.mic);
    gss_iov_buffer_desc sizes[SSPIX_MAX_IOV];
    memcpy(sizes, iov, n * sizeof(iov[0]));
    major = sspix_krb5_get_mic_iov_length(c, &minor, sizes, n);
    if (GSS_ERROR(major))
        return sspix_krb5_call_fail(c, "MakeSignature", major, minor, 0);
    if (sizes[tok].buffer.length > iov[tok].buffer.length)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the SECBUFFER_TOKEN buffer has %zu bytes; %zu are needed",
                          iov[tok].buffer.length, sizes[tok].buffer.length);
    iov[tok].buffer.length = sizes[tok].buffer.length;
    major = sspix_krb5_get_mic_iov(c, &minor, iov, n);
    if (GSS_ERROR(major))
        return sspix_krb5_call_fail(c, "MakeSignature", major, minor, 0);
    msg->pBuffers[map[tok]].cbBuffer = (ULONG)iov[tok].buffer.length;
    return SEC_E_OK;
}

static SECURITY_STATUS protect_verify(struct sspix_gss_ctx *c, PSecBufferDesc msg, ULONG *qop)
{
    gss_iov_buffer_desc iov[SSPIX_MAX_IOV];
    int map[SSPIX_MAX_IOV];
    size_t n;
    OM_uint32 major, minor;
    gss_qop_t qop_state = 0;

    SEC_GUARD(map_iov(msg, iov, map, &n, 1));
    /* MIT asserts on a MIC shorter than its checksum and on a STREAM here:
     * the layout and the token are checked first. */
    struct iov_census k;
    census(iov, n, &k);
    if (k.stream > 0)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "the signature goes in a SECBUFFER_TOKEN and the message in "
                                                   "SECBUFFER_DATA, not in a SECBUFFER_STREAM");
    if (k.mic == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no SECBUFFER_TOKEN with the signature");
    if (k.mic > 1)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "one SECBUFFER_TOKEN with the signature, not %zu", k.mic);
    char why[256];
    const gss_iov_buffer_desc *m = &iov[k.mic_at];
    int rc = sspix_krb5_check_mic(&c->krb5, m->buffer.value, m->buffer.length, why, sizeof(why));
    if (rc < 0)
        return token_fail(rc, why);
    major = sspix_krb5_verify_mic_iov(c, &minor, &qop_state, iov, n);
    if (sspix_gss_failed(major))
        return sspix_krb5_call_fail(c, "VerifySignature", major, minor, 1);
    if (qop != NULL)
        *qop = 0;
    return SEC_E_OK;
}

const struct sspix_protect_ops sspix_protect_krb5 = {
    .prepare = protect_prepare,
    .encrypt = protect_encrypt,
    .decrypt = protect_decrypt,
    .sign = protect_sign,
    .verify = protect_verify,
};
