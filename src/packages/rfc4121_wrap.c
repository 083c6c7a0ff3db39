/* SPDX-License-Identifier: MIT */
/*
 * rfc4121_wrap.c - the RFC 4121 wrap and MIC tokens: building, checking and
 * unwrapping them over GSSAPI IOV buffers, with the replay and sequence
 * window.
 *
 * Token checks follow MIT krb5's order and results, so that a token this
 * module refuses is refused by MIT with the same major status, and the other
 * way round. Where MIT's checks depend on its crypto layer (a header or
 * trailer buffer of the wrong size is KRB5_BAD_MSIZE there, which surfaces as
 * GSS_S_BAD_SIG), the same status is returned here.
 */
#include "packages/rfc4121_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* ---- byte helpers ---------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}
/* ---- sequence window (MIT's g_seqstate_check, 64-bit) ---------------------- */

static OM_uint32 seq_check(struct seqstate *st, uint64_t seqnum)
{
    if (!st->do_replay && !st->do_sequence)
        return GSS_S_COMPLETE;
    uint64_t rel = seqnum - st->base;
    if (rel >= st->next) {
        uint64_t offset = rel - st->next;
        /* A shift by 64 or more leaves only the new bit. */
        st->recvmap = (offset + 1 >= 64 ? 0 : st->recvmap << (offset + 1)) | 1;
        st->next = rel + 1;
        return (offset > 0 && st->do_sequence) ? GSS_S_GAP_TOKEN : GSS_S_COMPLETE;
    }
    uint64_t offset = st->next - rel;
    if (offset > 64)
        return st->do_sequence ? GSS_S_UNSEQ_TOKEN : GSS_S_OLD_TOKEN;
    uint64_t bit = (uint64_t)1 << (offset - 1);
    if (st->do_replay && (st->recvmap & bit))
        return GSS_S_DUPLICATE_TOKEN;
    st->recvmap |= bit;
    return st->do_sequence ? GSS_S_UNSEQ_TOKEN : GSS_S_COMPLETE;
}

static const char *seq_why(OM_uint32 major)
{
    switch (major) {
    case GSS_S_DUPLICATE_TOKEN: return "the message's sequence number was already received (a replay)";
    case GSS_S_OLD_TOKEN: return "the message's sequence number is too old for the replay window";
    case GSS_S_UNSEQ_TOKEN: return "the message arrived out of sequence (an earlier one came after a later one)";
    case GSS_S_GAP_TOKEN: return "messages before this one are missing (a gap in the sequence)";
    default: return "";
    }
}

/* ---- buffers --------------------------------------------------------------- */

static OM_uint32 type_of(const gss_iov_buffer_desc *b)
{
    return GSS_IOV_BUFFER_TYPE(b->type);
}

/* The first buffer of this type, or NULL. */
static gss_iov_buffer_desc *find(gss_iov_buffer_desc *iov, size_t n, OM_uint32 type)
{
    for (size_t i = 0; i < n; i++)
        if (type_of(&iov[i]) == type)
            return &iov[i];
    return NULL;
}

static int has_allocate(const gss_iov_buffer_desc *iov, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (iov[i].type & GSS_IOV_BUFFER_FLAG_ALLOCATE)
            return 1;
    return 0;
}

static int add_seg(struct sspix_rfc4121_seg *segs, size_t *n, void *p, size_t len)
{
    if (len == 0)
        return 0;
    ENSURE(*n < MAX_SEGS, SSPIX_ERR_FULL);
    segs[*n].p = p;
    segs[*n].len = len;
    (*n)++;
    return 0;
}

/* The message segments in order: DATA only (what is encrypted), or DATA and
 * SIGN_ONLY (what is signed). */
static int msg_segs(gss_iov_buffer_desc *iov, size_t n, int with_sign_only, struct sspix_rfc4121_seg *segs,
                    size_t *nseg, size_t *total)
{
    for (size_t i = 0; i < n; i++) {
        OM_uint32 t = type_of(&iov[i]);
        if (t == GSS_IOV_BUFFER_TYPE_DATA || (with_sign_only && t == GSS_IOV_BUFFER_TYPE_SIGN_ONLY)) {
            GUARD(add_seg(segs, nseg, iov[i].buffer.value, iov[i].buffer.length));
            *total += iov[i].buffer.length;
        }
    }
    return 0;
}

static int mac_segs(EVP_MAC_CTX *m, const uint8_t *prefix, size_t prefix_len, const struct sspix_rfc4121_seg *segs,
                    size_t nseg, uint8_t *out, size_t *out_len)
{
    ENSURE(EVP_MAC_init(m, NULL, 0, NULL) == 1, SSPIX_ERR_STATE);
    if (prefix_len > 0)
        ENSURE(EVP_MAC_update(m, prefix, prefix_len) == 1, SSPIX_ERR_STATE);
    for (size_t i = 0; i < nseg; i++)
        ENSURE(EVP_MAC_update(m, segs[i].p, segs[i].len) == 1, SSPIX_ERR_STATE);
    ENSURE(EVP_MAC_final(m, out, out_len, MAX_DIGEST) == 1, SSPIX_ERR_STATE);
    return 0;
}

/* The checksum of RFC 4121 4.2.4: over the message buffers, then the
 * token header as given in hdr. */
static int checksum(EVP_MAC_CTX *kc, gss_iov_buffer_desc *iov, size_t n, const uint8_t hdr[TOKHDR], uint8_t *out,
                    size_t *out_len)
{
    struct sspix_rfc4121_seg segs[MAX_SEGS];
    size_t nseg = 0, total = 0;
    GUARD(msg_segs(iov, n, 1, segs, &nseg, &total));
    GUARD(add_seg(segs, &nseg, (void *)hdr, TOKHDR));
    return mac_segs(kc, NULL, 0, segs, nseg, out, out_len);
}

/* ---- wrap ------------------------------------------------------------------ */

static int integ_only(const gss_iov_buffer_desc *iov, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (type_of(&iov[i]) == GSS_IOV_BUFFER_TYPE_DATA)
            return 0;
    return 1;
}

/* What wrap and wrap_length share: the call's checks, its buffers, and
 * whether it is sealed (not without a DATA buffer, as in MIT). */
static OM_uint32 wrap_begin(sspix_rfc4121 *ctx, int *conf, gss_qop_t qop, gss_iov_buffer_desc *iov, size_t n,
                            gss_iov_buffer_desc **header, gss_iov_buffer_desc **trailer, gss_iov_buffer_desc **padding)
{
    ctx->why = "";
    if (qop != GSS_C_QOP_DEFAULT)
        return fail(ctx, GSS_S_BAD_QOP, "only the default quality of protection exists for Kerberos");
    if (n > SSPIX_RFC4121_MAX_IOV)
        return fail(ctx, GSS_S_FAILURE, "too many buffers");
    if (has_allocate(iov, n))
        return fail(ctx, GSS_S_FAILURE, "buffers allocated by the mechanism are not supported");
    *header = find(iov, n, GSS_IOV_BUFFER_TYPE_HEADER);
    *trailer = find(iov, n, GSS_IOV_BUFFER_TYPE_TRAILER);
    *padding = find(iov, n, GSS_IOV_BUFFER_TYPE_PADDING);
    if (*header == NULL)
        return fail(ctx, GSS_S_FAILURE, "a wrap needs a header buffer");
    if (*conf && integ_only(iov, n))
        *conf = 0;
    return GSS_S_COMPLETE;
}

OM_uint32 sspix_rfc4121_wrap_length(sspix_rfc4121 *ctx, int conf, gss_qop_t qop, int *conf_state,
                                    gss_iov_buffer_desc *iov, size_t n)
{
    gss_iov_buffer_desc *header, *trailer, *padding;
    OM_uint32 major = wrap_begin(ctx, &conf, qop, iov, n, &header, &trailer, &padding);
    if (major != GSS_S_COMPLETE)
        return major;
    size_t hlen = sspix_rfc4121_header_len(ctx, conf), tlen = sspix_rfc4121_trailer_len(ctx, conf);
    if (trailer == NULL)
        hlen += tlen;
    else
        trailer->buffer.length = tlen;
    header->buffer.length = hlen;
    if (padding != NULL)
        padding->buffer.length = 0;
    if (conf_state != NULL)
        *conf_state = conf;
    return GSS_S_COMPLETE;
}

OM_uint32 sspix_rfc4121_wrap(sspix_rfc4121 *ctx, int conf, gss_qop_t qop, int *conf_state, gss_iov_buffer_desc *iov,
                             size_t n)
{
    gss_iov_buffer_desc *header, *trailer, *padding;
    OM_uint32 major = wrap_begin(ctx, &conf, qop, iov, n, &header, &trailer, &padding);
    if (major != GSS_S_COMPLETE)
        return major;
    const struct keyset *k = &ctx->send;
    size_t mac_len = k->s->mac_len;
    size_t hlen = sspix_rfc4121_header_len(ctx, conf), tlen = sspix_rfc4121_trailer_len(ctx, conf);
    size_t rrc = trailer == NULL ? tlen : 0;
    if (header->buffer.length < hlen + rrc || (trailer != NULL && trailer->buffer.length < tlen))
        return fail(ctx, GSS_S_FAILURE, "the header or trailer buffer is too small for the token");
    if (padding != NULL)
        padding->buffer.length = 0;

    uint8_t *h = header->buffer.value;
    /* Where the trailer goes: after the token header when rotated into the header. */
    uint8_t *t = trailer == NULL ? h + TOKHDR : trailer->buffer.value;
    uint8_t flags = (uint8_t)((ctx->initiator ? 0 : SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR) |
                              (ctx->have_acceptor_subkey ? SSPIX_RFC4121_FLAG_ACCEPTOR_SUBKEY : 0));
    put16(h, SSPIX_RFC4121_TOK_WRAP);
    h[3] = 0xFF;
    put64(h + 8, ctx->send_seq);
    uint8_t digest[MAX_DIGEST];
    size_t dlen = 0;

    if (conf) {
        h[2] = flags | SSPIX_RFC4121_FLAG_SEALED;
        put16(h + 4, 0); /* EC */
        put16(h + 6, 0); /* RRC: 0 in the encrypted copy */
        uint8_t *confounder = trailer == NULL ? h + hlen + rrc - BLOCK : h + TOKHDR;
        memcpy(t, h, TOKHDR); /* EC = 0: the header copy is the whole encrypted trailer */
        if (RAND_bytes(confounder, BLOCK) != 1)
            return fail(ctx, GSS_S_FAILURE, "OpenSSL's random generator failed");
        struct sspix_rfc4121_seg enc[MAX_SEGS], mac[MAX_SEGS];
        size_t nenc = 0, nmac = 0, total = BLOCK + TOKHDR, ignored = 0;
        if (add_seg(enc, &nenc, confounder, BLOCK) != 0 || msg_segs(iov, n, 0, enc, &nenc, &total) != 0 ||
            add_seg(enc, &nenc, t, TOKHDR) != 0 || add_seg(mac, &nmac, confounder, BLOCK) != 0 ||
            msg_segs(iov, n, 1, mac, &nmac, &ignored) != 0 || add_seg(mac, &nmac, t, TOKHDR) != 0)
            return fail(ctx, GSS_S_FAILURE, "too many buffers");
        int rc = 0;
        if (!k->s->sha2) {
            /* RFC 3962: HMAC over the plaintext, then encrypt. */
            rc = mac_segs(k->ki, NULL, 0, mac, nmac, digest, &dlen);
            if (rc == 0)
                rc = sspix_rfc4121_cts_run(k->cbc, NULL, 1, enc, nenc, total);
        } else {
            /* RFC 8009: encrypt, then HMAC over the IV and the ciphertext. */
            rc = sspix_rfc4121_cts_run(k->cbc, NULL, 1, enc, nenc, total);
            if (rc == 0)
                rc = mac_segs(k->ki, zero_block, BLOCK, mac, nmac, digest, &dlen);
        }
        if (rc != 0 || dlen < mac_len)
            return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to encrypt the message");
        memcpy(t + TOKHDR, digest, mac_len);
    } else {
        h[2] = flags;
        put16(h + 4, 0);
        put16(h + 6, 0);
        if (checksum(k->kc_seal, iov, n, h, digest, &dlen) != 0 || dlen < mac_len)
            return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the checksum");
        memcpy(t, digest, mac_len);
        put16(h + 4, (uint16_t)mac_len); /* EC: the checksum's length */
    }
    put16(h + 6, (uint16_t)rrc);
    OPENSSL_cleanse(digest, sizeof(digest));
    header->buffer.length = hlen + rrc;
    if (trailer != NULL)
        trailer->buffer.length = tlen;
    ctx->send_seq++;
    if (conf_state != NULL)
        *conf_state = conf;
    return GSS_S_COMPLETE;
}

/* ---- unwrap ---------------------------------------------------------------- */

/* The peer's key for a token with these flags (MIT: the acceptor subkey when
 * the context has one and the token says so). */
static const struct keyset *recv_keys(const sspix_rfc4121 *ctx, uint8_t flags)
{
    return (ctx->have_acceptor_subkey && (flags & SSPIX_RFC4121_FLAG_ACCEPTOR_SUBKEY)) ? &ctx->recv[1] : &ctx->recv[0];
}

/*
 * The token checks and the decryption or checksum, given the token header
 * (hdr, hdr_len bytes: 16 plus, without a trailer buffer, the rotated
 * trailer and the confounder) and the trailer buffer (NULL in the rotated
 * layout).
 */
static OM_uint32 unwrap_token(sspix_rfc4121 *ctx, int *conf_state, gss_iov_buffer_desc *iov, size_t n, uint8_t *h,
                              size_t hlen, uint8_t *t, size_t tlen, int has_trailer)
{
    uint8_t want_dir = ctx->initiator ? SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR : 0;
    if (hlen < TOKHDR)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the wrap token is shorter than its 16-byte header");
    if ((h[2] & SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR) != want_dir)
        return fail(ctx, GSS_S_BAD_SIG, "the token's SentByAcceptor flag names this end as its sender (a reflection)");
    const struct keyset *k = recv_keys(ctx, h[2]);
    if (get16(h) != SSPIX_RFC4121_TOK_WRAP)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the token ID is not that of an RFC 4121 wrap token (05 04)");
    int conf = (h[2] & SSPIX_RFC4121_FLAG_SEALED) != 0;
    if (h[3] != 0xFF)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the wrap token's filler byte is not 0xFF");
    size_t ec = get16(h + 4), rrc = get16(h + 6);
    uint64_t seqnum = get64(h + 8);
    size_t mac_len = k->s->mac_len;
    if (!has_trailer) {
        size_t want = mac_len + (conf ? TOKHDR + ec : 0);
        if (rrc != want)
            return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the wrap token's RRC is not the length of its trailer");
    } else if (rrc != 0) {
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the wrap token's RRC is not 0 though its trailer is separate");
    }
    uint8_t digest[MAX_DIGEST];
    size_t dlen = 0;

    if (conf) {
        /* The sizes MIT's crypto layer insists on (a mismatch is BAD_SIG there). */
        size_t trail = ec + TOKHDR + mac_len;
        if (!has_trailer) {
            if (hlen != TOKHDR + BLOCK + trail)
                return fail(ctx, GSS_S_BAD_SIG, "the token buffer's length does not match the token's EC and RRC");
            t = h + TOKHDR;
        } else if (tlen != trail || hlen != TOKHDR + BLOCK) {
            return fail(ctx, GSS_S_BAD_SIG, "the header or trailer buffer's length does not match the token");
        }
        uint8_t *confounder = has_trailer ? h + TOKHDR : h + hlen - BLOCK;
        struct sspix_rfc4121_seg enc[MAX_SEGS], mac[MAX_SEGS];
        size_t nenc = 0, nmac = 0, total = BLOCK + ec + TOKHDR, ignored = 0;
        if (add_seg(enc, &nenc, confounder, BLOCK) != 0 || msg_segs(iov, n, 0, enc, &nenc, &total) != 0 ||
            add_seg(enc, &nenc, t, ec + TOKHDR) != 0 || add_seg(mac, &nmac, confounder, BLOCK) != 0 ||
            msg_segs(iov, n, 1, mac, &nmac, &ignored) != 0 || add_seg(mac, &nmac, t, ec + TOKHDR) != 0)
            return fail(ctx, GSS_S_FAILURE, "too many buffers");
        const uint8_t *got = t + ec + TOKHDR;
        if (!k->s->sha2) {
            if (sspix_rfc4121_cts_run(k->cbc, k->ecb, 0, enc, nenc, total) != 0 ||
                mac_segs(k->ki, NULL, 0, mac, nmac, digest, &dlen) != 0)
                return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to decrypt the message");
            if (CRYPTO_memcmp(digest, got, mac_len) != 0)
                return fail(ctx, GSS_S_BAD_SIG, "the message's integrity check failed (modified, or another key)");
        } else {
            if (mac_segs(k->ki, zero_block, BLOCK, mac, nmac, digest, &dlen) != 0)
                return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the integrity check");
            if (CRYPTO_memcmp(digest, got, mac_len) != 0)
                return fail(ctx, GSS_S_BAD_SIG, "the message's integrity check failed (modified, or another key)");
            if (sspix_rfc4121_cts_run(k->cbc, k->ecb, 0, enc, nenc, total) != 0)
                return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to decrypt the message");
        }
        /* The encrypted copy of the header must match the header. */
        const uint8_t *alt = t + ec;
        if (get16(alt) != SSPIX_RFC4121_TOK_WRAP || alt[2] != h[2] || alt[3] != h[3] || get16(alt + 4) != ec ||
            memcmp(alt + 8, h + 8, 8) != 0)
            return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the encrypted copy of the token header differs from the header");
    } else {
        if (ec != mac_len)
            return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the integrity-only wrap token's EC is not its checksum's length");
        if (!has_trailer) {
            if (hlen != TOKHDR + mac_len)
                return fail(ctx, GSS_S_BAD_SIG, "the token buffer's length does not match its checksum");
            t = h + TOKHDR;
        } else if (tlen != mac_len) {
            return fail(ctx, GSS_S_BAD_SIG, "the trailer buffer's length does not match the checksum");
        }
        uint8_t copy[TOKHDR];
        memcpy(copy, h, TOKHDR);
        put16(copy + 4, 0);
        put16(copy + 6, 0);
        if (checksum(k->kc_seal, iov, n, copy, digest, &dlen) != 0)
            return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the checksum");
        if (CRYPTO_memcmp(digest, t, mac_len) != 0)
            return fail(ctx, GSS_S_BAD_SIG, "the message's checksum does not verify (modified, or another key)");
    }
    OPENSSL_cleanse(digest, sizeof(digest));
    if (conf_state != NULL)
        *conf_state = conf;
    OM_uint32 major = seq_check(&ctx->seq, seqnum);
    ctx->why = seq_why(major);
    return major;
}

/* Rotate buf left by k bytes in place. */
static void rotate_left(uint8_t *buf, size_t len, size_t k)
{
    if (len == 0 || (k %= len) == 0)
        return;
    uint8_t tmp[256];
    if (k <= sizeof(tmp)) {
        memcpy(tmp, buf, k);
        memmove(buf, buf + k, len - k);
        memcpy(buf + len - k, tmp, k);
        return;
    }
    /* Three reversals: no allocation for any k. */
    size_t spans[3][2] = {{0, k}, {k, len}, {0, len}};
    for (int s = 0; s < 3; s++)
        for (size_t i = spans[s][0], j = spans[s][1] - 1; i < j; i++, j--) {
            uint8_t x = buf[i];
            buf[i] = buf[j];
            buf[j] = x;
        }
}

static OM_uint32 unwrap_stream(sspix_rfc4121 *ctx, int *conf_state, gss_iov_buffer_desc *iov, size_t n,
                               gss_iov_buffer_desc *stream)
{
    uint8_t *p = stream->buffer.value;
    size_t len = stream->buffer.length;
    if (len < 2)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the message is shorter than a token ID");
    if (len - 2 < 14)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the message is shorter than an RFC 4121 token header");
    gss_iov_buffer_desc *data = NULL;
    gss_iov_buffer_desc tiov[SSPIX_RFC4121_MAX_IOV];
    size_t tn = 0, data_at = 0;
    for (size_t i = 0; i < n; i++) {
        OM_uint32 ty = type_of(&iov[i]);
        if (ty == GSS_IOV_BUFFER_TYPE_DATA) {
            if (data != NULL)
                return fail(ctx, GSS_S_FAILURE, "a stream message takes a single data buffer");
            data = &iov[i];
            data_at = tn;
        }
        if (ty == GSS_IOV_BUFFER_TYPE_DATA || ty == GSS_IOV_BUFFER_TYPE_SIGN_ONLY)
            tiov[tn++] = iov[i];
    }
    if (data == NULL)
        return fail(ctx, GSS_S_FAILURE, "a stream message needs a data buffer for the result");
    uint16_t tok = get16(p);
    if (tok != SSPIX_RFC4121_TOK_WRAP && tok != SSPIX_RFC4121_TOK_MIC && tok != 0x0405)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the token ID is not that of an RFC 4121 wrap token (05 04)");
    /* The sizes come from the key this context sends with, as MIT takes them. */
    const struct keyset *k = &ctx->send;
    int conf = (p[2] & SSPIX_RFC4121_FLAG_SEALED) != 0;
    size_t ec = conf ? get16(p + 4) : 0, rrc = get16(p + 6);
    if (rrc != 0) {
        rotate_left(p + TOKHDR, len - TOKHDR, rrc);
        put16(p + 6, 0);
    }
    size_t hlen = TOKHDR + (conf ? BLOCK : 0);
    size_t tlen = ec + (conf ? TOKHDR : 0) + k->s->mac_len;
    if (len < hlen + tlen)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the message is shorter than its token's header and trailer");
    tiov[data_at].buffer.value = p + hlen;
    tiov[data_at].buffer.length = len - hlen - tlen;
    OM_uint32 major = unwrap_token(ctx, conf_state, tiov, tn, p, hlen, p + len - tlen, tlen, 1);
    if (!GSS_ERROR(major))
        data->buffer = tiov[data_at].buffer;
    return major;
}

OM_uint32 sspix_rfc4121_unwrap(sspix_rfc4121 *ctx, int *conf_state, gss_qop_t *qop_state, gss_iov_buffer_desc *iov,
                               size_t n)
{
    ctx->why = "";
    if (qop_state != NULL)
        *qop_state = GSS_C_QOP_DEFAULT;
    if (n > SSPIX_RFC4121_MAX_IOV)
        return fail(ctx, GSS_S_FAILURE, "too many buffers");
    if (has_allocate(iov, n))
        return fail(ctx, GSS_S_FAILURE, "buffers allocated by the mechanism are not supported");
    gss_iov_buffer_desc *stream = find(iov, n, GSS_IOV_BUFFER_TYPE_STREAM);
    if (stream != NULL)
        return unwrap_stream(ctx, conf_state, iov, n, stream);
    gss_iov_buffer_desc *header = find(iov, n, GSS_IOV_BUFFER_TYPE_HEADER);
    gss_iov_buffer_desc *padding = find(iov, n, GSS_IOV_BUFFER_TYPE_PADDING);
    gss_iov_buffer_desc *trailer = find(iov, n, GSS_IOV_BUFFER_TYPE_TRAILER);
    if (header == NULL)
        return fail(ctx, GSS_S_FAILURE, "an unwrap needs a header (token) buffer");
    if (padding != NULL && padding->buffer.length != 0)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "RFC 4121 tokens have no padding; the padding buffer is not empty");
    return unwrap_token(ctx, conf_state, iov, n, header->buffer.value, header->buffer.length,
                        trailer != NULL ? trailer->buffer.value : NULL, trailer != NULL ? trailer->buffer.length : 0,
                        trailer != NULL);
}

/* ---- MIC ------------------------------------------------------------------- */

OM_uint32 sspix_rfc4121_get_mic(sspix_rfc4121 *ctx, gss_qop_t qop, gss_iov_buffer_desc *iov, size_t n)
{
    ctx->why = "";
    if (qop != GSS_C_QOP_DEFAULT)
        return fail(ctx, GSS_S_BAD_QOP, "only the default quality of protection exists for Kerberos");
    if (n > SSPIX_RFC4121_MAX_IOV)
        return fail(ctx, GSS_S_FAILURE, "too many buffers");
    if (has_allocate(iov, n))
        return fail(ctx, GSS_S_FAILURE, "buffers allocated by the mechanism are not supported");
    gss_iov_buffer_desc *tok = find(iov, n, GSS_IOV_BUFFER_TYPE_MIC_TOKEN);
    size_t mac_len = ctx->send.s->mac_len;
    if (tok == NULL)
        return fail(ctx, GSS_S_FAILURE, "a MIC needs a token buffer");
    if (tok->buffer.length < TOKHDR + mac_len)
        return fail(ctx, GSS_S_FAILURE, "the token buffer is too small for the MIC");
    uint8_t *h = tok->buffer.value;
    put16(h, SSPIX_RFC4121_TOK_MIC);
    h[2] = (uint8_t)((ctx->initiator ? 0 : SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR) |
                     (ctx->have_acceptor_subkey ? SSPIX_RFC4121_FLAG_ACCEPTOR_SUBKEY : 0));
    memset(h + 3, 0xFF, 5);
    put64(h + 8, ctx->send_seq);
    uint8_t digest[MAX_DIGEST];
    size_t dlen = 0;
    if (checksum(ctx->send.kc_sign, iov, n, h, digest, &dlen) != 0 || dlen < mac_len)
        return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the checksum");
    memcpy(h + TOKHDR, digest, mac_len);
    OPENSSL_cleanse(digest, sizeof(digest));
    tok->buffer.length = TOKHDR + mac_len;
    ctx->send_seq++;
    return GSS_S_COMPLETE;
}

OM_uint32 sspix_rfc4121_verify_mic(sspix_rfc4121 *ctx, gss_qop_t *qop_state, gss_iov_buffer_desc *iov, size_t n)
{
    ctx->why = "";
    if (qop_state != NULL)
        *qop_state = GSS_C_QOP_DEFAULT;
    if (n > SSPIX_RFC4121_MAX_IOV)
        return fail(ctx, GSS_S_FAILURE, "too many buffers");
    gss_iov_buffer_desc *tok = find(iov, n, GSS_IOV_BUFFER_TYPE_MIC_TOKEN);
    if (tok == NULL)
        return fail(ctx, GSS_S_FAILURE, "a MIC check needs a token buffer");
    const uint8_t *h = tok->buffer.value;
    size_t len = tok->buffer.length;
    uint8_t want_dir = ctx->initiator ? SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR : 0;
    if (len < TOKHDR)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the MIC token is shorter than its 16-byte header");
    if ((h[2] & SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR) != want_dir)
        return fail(ctx, GSS_S_BAD_SIG, "the token's SentByAcceptor flag names this end as its sender (a reflection)");
    const struct keyset *k = recv_keys(ctx, h[2]);
    if (get16(h) != SSPIX_RFC4121_TOK_MIC)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the token ID is not that of an RFC 4121 MIC token (04 04)");
    if (h[3] != 0xFF)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the MIC token's filler byte is not 0xFF");
    if (h[4] != 0xFF || h[5] != 0xFF || h[6] != 0xFF || h[7] != 0xFF)
        return fail(ctx, GSS_S_DEFECTIVE_TOKEN, "the MIC token's filler bytes are not 0xFF");
    size_t mac_len = k->s->mac_len;
    if (len != TOKHDR + mac_len)
        return fail(ctx, GSS_S_BAD_SIG, "the MIC token's length does not match its checksum");
    uint8_t digest[MAX_DIGEST];
    size_t dlen = 0;
    if (checksum(k->kc_sign, iov, n, h, digest, &dlen) != 0)
        return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the checksum");
    int bad = CRYPTO_memcmp(digest, h + TOKHDR, mac_len) != 0;
    OPENSSL_cleanse(digest, sizeof(digest));
    if (bad)
        return fail(ctx, GSS_S_BAD_SIG, "the signature does not verify (message modified, or another key)");
    OM_uint32 major = seq_check(&ctx->seq, get64(h + 8));
    ctx->why = seq_why(major);
    return major;
}
