/* SPDX-License-Identifier: MIT */
/*
 * rfc4121.c - RFC 4121 per-message tokens on OpenSSL 3 EVP. See rfc4121.h.
 *
 * Token checks follow MIT krb5's order and results, so that a token this
 * module refuses is refused by MIT with the same major status, and the other
 * way round. Where MIT's checks depend on its crypto layer (a header or
 * trailer buffer of the wrong size is KRB5_BAD_MSIZE there, which surfaces as
 * GSS_S_BAD_SIG), the same status is returned here.
 */
#include "packages/rfc4121.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

enum {
    BLOCK = 16,      /* AES block, CTS confounder */
    TOKHDR = 16,     /* RFC 4121 token header */
    MAX_KEY = 32,    /* longest base or derived key */
    MAX_DIGEST = 64, /* longest HMAC output before truncation */
    MAX_SEGS = SSPIX_RFC4121_MAX_IOV + 3,
};

/* RFC 4121 section 2: key usages. */
enum {
    USAGE_ACCEPTOR_SEAL = 22,
    USAGE_ACCEPTOR_SIGN = 23,
    USAGE_INITIATOR_SEAL = 24,
    USAGE_INITIATOR_SIGN = 25,
};

/* What one enctype needs. */
struct suite {
    int32_t enctype;
    size_t key_len;        /* base key, Ke */
    size_t ki_len;         /* Ki and Kc */
    size_t mac_len;        /* truncated HMAC: the checksum and the wrap trailer's MAC */
    int sha2;              /* RFC 8009 (KDF, encrypt-then-MAC) rather than RFC 3962 */
    const char *digest;    /* HMAC digest */
    const char *cbc, *ecb; /* OpenSSL cipher names */
};

static const struct suite suites[] = {
    {17, 16, 16, 12, 0, "SHA1", "AES-128-CBC", "AES-128-ECB"},
    {18, 32, 32, 12, 0, "SHA1", "AES-256-CBC", "AES-256-ECB"},
    {19, 16, 16, 16, 1, "SHA256", "AES-128-CBC", "AES-128-ECB"},
    {20, 32, 24, 24, 1, "SHA384", "AES-256-CBC", "AES-256-ECB"},
};

static const struct suite *suite_of(int32_t enctype)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (suites[i].enctype == enctype)
            return &suites[i];
    return NULL;
}

/* The keys of one base key for one direction: the seal usage's Ke (in a
 * CBC context, plus ECB for decrypting the CTS tail), Ki and Kc, and the sign
 * usage's Kc. */
struct keyset {
    const struct suite *s;
    EVP_CIPHER_CTX *cbc, *ecb;
    EVP_MAC_CTX *ki, *kc_seal, *kc_sign;
};

/* MIT's g_seqstate, with 64-bit sequence numbers (RFC 4121). */
struct seqstate {
    int do_replay, do_sequence;
    uint64_t base, next, recvmap;
};

struct sspix_rfc4121 {
    int initiator;
    int have_acceptor_subkey;
    uint32_t gss_flags;
    int32_t key_enctype[2]; /* [0] the context key, [1] the acceptor subkey */
    uint8_t key[2][MAX_KEY];
    size_t key_len[2];
    uint64_t send_seq;
    uint64_t recv_seq; /* as given: the base of the window */
    struct seqstate seq;
    struct keyset send;    /* the key this end sends with */
    struct keyset recv[2]; /* the peer's tokens, by the key they name */
    EVP_MAC *hmac;
    const char *why;
};

static const uint8_t zero_block[BLOCK];

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

/* ---- n-fold (RFC 3961 section 5.1) ------------------------------------------ */

/* Bit j (0 = most significant of byte 0) of in, rotated right by rot bits. */
static unsigned rotated_bit(const uint8_t *in, size_t nbits, size_t rot, size_t j)
{
    size_t src = (j + nbits - rot % nbits) % nbits;
    return ((unsigned)in[src / 8] >> (7u - (unsigned)(src % 8))) & 1u;
}

void sspix_rfc4121_nfold(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
    /* The input is repeated, each copy rotated 13 bits further right, up to
     * the least common multiple of both lengths; that string is cut into
     * outlen-byte pieces which are added with end-around carry. */
    size_t a = inlen, b = outlen;
    while (b != 0) {
        size_t t = a % b;
        a = b;
        b = t;
    }
    size_t lcm = inlen / a * outlen;
    size_t nbits = inlen * 8;
    unsigned acc[256] = {0}; /* outlen <= 256: per-byte sums before carrying */

    memset(out, 0, outlen);
    for (size_t pos = 0; pos < lcm; pos++) {
        size_t copy = pos / inlen, off = pos % inlen;
        unsigned byte = 0;
        for (size_t bit = 0; bit < 8; bit++)
            byte = (byte << 1) | rotated_bit(in, nbits, 13 * copy, off * 8 + bit);
        acc[pos % outlen] += byte;
    }
    /* Carry from the least significant byte up, and around until none is left. */
    unsigned carry = 0;
    do {
        for (size_t i = outlen; i-- > 0;) {
            unsigned v = acc[i] + carry;
            acc[i] = v & 0xff;
            carry = v >> 8;
        }
    } while (carry != 0);
    for (size_t i = 0; i < outlen; i++)
        out[i] = (uint8_t)acc[i];
}

/* ---- key derivation ------------------------------------------------------- */

static int aes_ecb_encrypt(const struct suite *s, const uint8_t *key, const uint8_t in[BLOCK], uint8_t out[BLOCK])
{
    int rc = SSPIX_ERR_STATE, outl = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, s->ecb, NULL);
    if (c != NULL && cipher != NULL && EVP_EncryptInit_ex2(c, cipher, key, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_EncryptUpdate(c, out, &outl, in, BLOCK) == 1 && outl == BLOCK)
        rc = 0;
    EVP_CIPHER_free(cipher);
    EVP_CIPHER_CTX_free(c);
    return rc;
}

static int hmac_once(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                     uint8_t *out, size_t *out_len)
{
    int rc = SSPIX_ERR_STATE;
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
                           OSSL_PARAM_construct_end()};
    if (c != NULL && EVP_MAC_init(c, key, key_len, params) == 1 && EVP_MAC_update(c, msg, msg_len) == 1 &&
        EVP_MAC_final(c, out, out_len, MAX_DIGEST) == 1)
        rc = 0;
    EVP_MAC_CTX_free(c);
    EVP_MAC_free(mac);
    return rc;
}

int sspix_rfc4121_derive(int32_t enctype, const uint8_t *base, size_t base_len, const uint8_t constant[5], uint8_t *out,
                         size_t *out_len)
{
    const struct suite *s = suite_of(enctype);
    ENSURE(s != NULL && base_len == s->key_len, SSPIX_ERR_INVALID);
    /* Ke is as long as the base key; Ki and Kc as the suite says. */
    size_t want = constant[4] == 0xAA ? s->key_len : s->ki_len;

    if (!s->sha2) {
        /* RFC 3961 DK: DR(base, constant) = E(n-fold(constant)), E(that), ...;
         * AES's random-to-key is the identity. */
        uint8_t block[BLOCK];
        sspix_rfc4121_nfold(constant, 5, block, BLOCK);
        for (size_t done = 0; done < want; done += BLOCK) {
            GUARD(aes_ecb_encrypt(s, base, block, block));
            memcpy(out + done, block, want - done < BLOCK ? want - done : BLOCK);
        }
        OPENSSL_cleanse(block, sizeof(block));
    } else {
        /* RFC 8009 KDF-HMAC-SHA2(key, label, k) = first k bits of
         * HMAC(key, 00000001 | label | 00 | k). */
        uint8_t msg[4 + 5 + 1 + 4], digest[MAX_DIGEST];
        size_t dlen = 0;
        uint32_t bits = (uint32_t)(want * 8);
        memcpy(msg, "\0\0\0\1", 4);
        memcpy(msg + 4, constant, 5);
        msg[9] = 0;
        msg[10] = (uint8_t)(bits >> 24), msg[11] = (uint8_t)(bits >> 16), msg[12] = (uint8_t)(bits >> 8);
        msg[13] = (uint8_t)bits;
        GUARD(hmac_once(s->digest, base, base_len, msg, sizeof(msg), digest, &dlen));
        ENSURE(dlen >= want, SSPIX_ERR_STATE);
        memcpy(out, digest, want);
        OPENSSL_cleanse(digest, sizeof(digest));
    }
    *out_len = want;
    return 0;
}

/* ---- ciphertext stealing over segments ---------------------------------- */

struct cursor {
    struct sspix_rfc4121_seg *s;
    size_t n, i, off;
};

static void cur_skip_empty(struct cursor *c)
{
    while (c->i < c->n && c->off == c->s[c->i].len)
        c->i++, c->off = 0;
}

/* Copy k bytes at the cursor out (gather) or in (scatter), advancing it. */
static void cur_move(struct cursor *c, uint8_t *buf, size_t k, int gather)
{
    while (k > 0) {
        cur_skip_empty(c);
        size_t take = c->s[c->i].len - c->off;
        if (take > k)
            take = k;
        if (gather)
            memcpy(buf, c->s[c->i].p + c->off, take);
        else
            memcpy(c->s[c->i].p + c->off, buf, take);
        buf += take, k -= take, c->off += take;
    }
}

static int cipher_update(EVP_CIPHER_CTX *c, uint8_t *p, size_t len)
{
    int outl = 0;
    ENSURE(EVP_CipherUpdate(c, p, &outl, p, (int)len) == 1 && (size_t)outl == len, SSPIX_ERR_STATE);
    return 0;
}

/* CBC over the next `bulk` bytes (a multiple of the block) in place: whole
 * runs of blocks inside one segment in one call, a block that straddles
 * segments through a copy. */
static int cbc_bulk(EVP_CIPHER_CTX *cbc, struct cursor *c, size_t bulk)
{
    while (bulk > 0) {
        cur_skip_empty(c);
        size_t avail = c->s[c->i].len - c->off;
        if (avail >= BLOCK) {
            size_t run = (avail < bulk ? avail : bulk) & ~(size_t)(BLOCK - 1);
            if (run > (size_t)1 << 30)
                run = (size_t)1 << 30;
            GUARD(cipher_update(cbc, c->s[c->i].p + c->off, run));
            c->off += run, bulk -= run;
        } else {
            uint8_t tmp[BLOCK];
            struct cursor at = *c;
            cur_move(c, tmp, BLOCK, 1);
            GUARD(cipher_update(cbc, tmp, BLOCK));
            cur_move(&at, tmp, BLOCK, 0);
            bulk -= BLOCK;
        }
    }
    return 0;
}

/* CS3 with a zero IV: CBC, then the last two blocks swapped and the final
 * one cut to the length of the last partial block. cbc is keyed for the
 * direction; ecb (decryption only) is the same key without chaining. */
static int cts_run(EVP_CIPHER_CTX *cbc, EVP_CIPHER_CTX *ecb, int encrypt, struct sspix_rfc4121_seg *segs, size_t nseg,
                   size_t total)
{
    ENSURE(total >= BLOCK, SSPIX_ERR_INVALID);
    ENSURE(EVP_CipherInit_ex(cbc, NULL, NULL, NULL, zero_block, encrypt) == 1, SSPIX_ERR_STATE);
    struct cursor c = {segs, nseg, 0, 0};
    uint8_t tail[2 * BLOCK];
    if (total == BLOCK) {
        struct cursor at = c;
        cur_move(&c, tail, BLOCK, 1);
        GUARD(cipher_update(cbc, tail, BLOCK));
        cur_move(&at, tail, BLOCK, 0);
        return 0;
    }
    size_t blocks = (total + BLOCK - 1) / BLOCK;
    size_t r = total - (blocks - 1) * BLOCK; /* bytes of the last block, 1..16 */
    GUARD(cbc_bulk(cbc, &c, (blocks - 2) * BLOCK));
    struct cursor at = c;
    memset(tail, 0, sizeof(tail));
    cur_move(&c, tail, BLOCK + r, 1);
    uint8_t out[2 * BLOCK];
    if (encrypt) {
        /* CBC of P(n-1) | P(n) padded with zeros: E(n-1) | E(n); send E(n) | E(n-1)[0..r). */
        GUARD(cipher_update(cbc, tail, 2 * BLOCK));
        memcpy(out, tail + BLOCK, BLOCK);
        memcpy(out + BLOCK, tail, r);
    } else {
        /* tail = E(n) | E(n-1)[0..r). D = AES^-1(E(n)) = (P(n) | 0) ^ E(n-1): its
         * first r bytes give P(n), the rest completes E(n-1), whose CBC
         * decryption (chained to the previous block) is P(n-1). */
        uint8_t d[BLOCK], en1[BLOCK];
        int outl = 0;
        ENSURE(EVP_DecryptUpdate(ecb, d, &outl, tail, BLOCK) == 1 && outl == BLOCK, SSPIX_ERR_STATE);
        memcpy(en1, tail + BLOCK, r);
        memcpy(en1 + r, d + r, BLOCK - r);
        for (size_t i = 0; i < r; i++)
            out[BLOCK + i] = d[i] ^ tail[BLOCK + i];
        GUARD(cipher_update(cbc, en1, BLOCK));
        memcpy(out, en1, BLOCK);
        OPENSSL_cleanse(d, sizeof(d));
    }
    cur_move(&at, out, BLOCK + r, 0);
    OPENSSL_cleanse(out, sizeof(out));
    OPENSSL_cleanse(tail, sizeof(tail));
    return 0;
}

static int new_cipher(const char *name, const uint8_t *key, int encrypt, EVP_CIPHER_CTX **out)
{
    int rc = SSPIX_ERR_STATE;
    EVP_CIPHER *cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (cipher != NULL && c != NULL && EVP_CipherInit_ex2(c, cipher, key, zero_block, encrypt, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1) {
        *out = c;
        c = NULL;
        rc = 0;
    }
    EVP_CIPHER_CTX_free(c);
    EVP_CIPHER_free(cipher);
    return rc;
}

int sspix_rfc4121_cts(const uint8_t *key, size_t key_len, int encrypt, struct sspix_rfc4121_seg *segs, size_t nseg)
{
    const struct suite *s = suite_of(key_len == 16 ? 17 : 18);
    ENSURE(key_len == 16 || key_len == 32, SSPIX_ERR_INVALID);
    size_t total = 0;
    for (size_t i = 0; i < nseg; i++)
        total += segs[i].len;
    EVP_CIPHER_CTX *cbc = NULL, *ecb = NULL;
    int rc = new_cipher(s->cbc, key, encrypt, &cbc);
    if (rc == 0 && !encrypt)
        rc = new_cipher(s->ecb, key, 0, &ecb);
    if (rc == 0)
        rc = cts_run(cbc, ecb, encrypt, segs, nseg, total);
    EVP_CIPHER_CTX_free(cbc);
    EVP_CIPHER_CTX_free(ecb);
    return rc;
}

/* ---- keyed contexts ------------------------------------------------------ */

static int new_mac(EVP_MAC *hmac, const struct suite *s, const uint8_t *key, size_t len, EVP_MAC_CTX **out)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)s->digest, 0),
                           OSSL_PARAM_construct_end()};
    if (c == NULL || EVP_MAC_init(c, key, len, params) != 1) {
        EVP_MAC_CTX_free(c);
        return SSPIX_ERR_STATE;
    }
    *out = c;
    return 0;
}

static void keyset_free(struct keyset *k)
{
    EVP_CIPHER_CTX_free(k->cbc);
    EVP_CIPHER_CTX_free(k->ecb);
    EVP_MAC_CTX_free(k->ki);
    EVP_MAC_CTX_free(k->kc_seal);
    EVP_MAC_CTX_free(k->kc_sign);
    memset(k, 0, sizeof(*k));
}

/* Derive and key the contexts of one base key for one direction. */
static int keyset_init(struct keyset *k, EVP_MAC *hmac, int32_t enctype, const uint8_t *base, size_t base_len,
                       int seal_usage, int sign_usage, int encrypt)
{
    const struct suite *s = suite_of(enctype);
    ENSURE(s != NULL, SSPIX_ERR_INVALID);
    k->s = s;
    uint8_t dk[MAX_KEY], c[5] = {0, 0, 0, (uint8_t)seal_usage, 0xAA};
    size_t len = 0;
    int rc = sspix_rfc4121_derive(enctype, base, base_len, c, dk, &len);
    if (rc == 0)
        rc = new_cipher(s->cbc, dk, encrypt, &k->cbc);
    if (rc == 0 && !encrypt)
        rc = new_cipher(s->ecb, dk, 0, &k->ecb);
    c[4] = 0x55;
    if (rc == 0)
        rc = sspix_rfc4121_derive(enctype, base, base_len, c, dk, &len);
    if (rc == 0)
        rc = new_mac(hmac, s, dk, len, &k->ki);
    c[4] = 0x99;
    if (rc == 0)
        rc = sspix_rfc4121_derive(enctype, base, base_len, c, dk, &len);
    if (rc == 0)
        rc = new_mac(hmac, s, dk, len, &k->kc_seal);
    c[3] = (uint8_t)sign_usage;
    if (rc == 0)
        rc = sspix_rfc4121_derive(enctype, base, base_len, c, dk, &len);
    if (rc == 0)
        rc = new_mac(hmac, s, dk, len, &k->kc_sign);
    OPENSSL_cleanse(dk, sizeof(dk));
    if (rc != 0)
        keyset_free(k);
    return rc;
}

/* ---- context ------------------------------------------------------------- */

int sspix_rfc4121_supported(int32_t enctype)
{
    return suite_of(enctype) != NULL;
}

static int check_key(const struct sspix_rfc4121_key *k, const char **why)
{
    const struct suite *s = suite_of(k->enctype);
    if (s == NULL) {
        *why = "the key's enctype is not one of the AES enctypes";
        return SSPIX_ERR_INVALID;
    }
    if (k->len != s->key_len || k->data == NULL) {
        *why = "the key's length does not match its enctype";
        return SSPIX_ERR_INVALID;
    }
    return 0;
}

void sspix_rfc4121_free(sspix_rfc4121 *ctx)
{
    if (ctx == NULL)
        return;
    keyset_free(&ctx->send);
    keyset_free(&ctx->recv[0]);
    keyset_free(&ctx->recv[1]);
    EVP_MAC_free(ctx->hmac);
    OPENSSL_cleanse(ctx, sizeof(*ctx));
    OPENSSL_free(ctx);
}

int sspix_rfc4121_new(const struct sspix_rfc4121_params *p, sspix_rfc4121 **out, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *why = "";
    *out = NULL;
    GUARD(check_key(&p->ctx_key, why));
    if (p->have_acceptor_subkey)
        GUARD(check_key(&p->acceptor_subkey, why));

    sspix_rfc4121 *ctx = OPENSSL_zalloc(sizeof(*ctx));
    if (ctx == NULL) {
        *why = "out of memory";
        return SSPIX_ERR_NOMEM;
    }
    ctx->initiator = p->initiator != 0;
    ctx->have_acceptor_subkey = p->have_acceptor_subkey != 0;
    ctx->gss_flags = p->gss_flags;
    ctx->send_seq = p->send_seq;
    ctx->recv_seq = p->recv_seq;
    ctx->seq.do_replay = (p->gss_flags & GSS_C_REPLAY_FLAG) != 0;
    ctx->seq.do_sequence = (p->gss_flags & GSS_C_SEQUENCE_FLAG) != 0;
    ctx->seq.base = p->recv_seq;
    const struct sspix_rfc4121_key *keys[2] = {&p->ctx_key, ctx->have_acceptor_subkey ? &p->acceptor_subkey : NULL};
    for (int i = 0; i < 2; i++) {
        if (keys[i] == NULL)
            continue;
        ctx->key_enctype[i] = keys[i]->enctype;
        ctx->key_len[i] = keys[i]->len;
        memcpy(ctx->key[i], keys[i]->data, keys[i]->len);
    }

    int seal_out = ctx->initiator ? USAGE_INITIATOR_SEAL : USAGE_ACCEPTOR_SEAL;
    int sign_out = ctx->initiator ? USAGE_INITIATOR_SIGN : USAGE_ACCEPTOR_SIGN;
    int seal_in = ctx->initiator ? USAGE_ACCEPTOR_SEAL : USAGE_INITIATOR_SEAL;
    int sign_in = ctx->initiator ? USAGE_ACCEPTOR_SIGN : USAGE_INITIATOR_SIGN;
    int s = ctx->have_acceptor_subkey ? 1 : 0;
    int rc = SSPIX_ERR_STATE;
    ctx->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (ctx->hmac != NULL)
        rc = keyset_init(&ctx->send, ctx->hmac, ctx->key_enctype[s], ctx->key[s], ctx->key_len[s], seal_out, sign_out,
                         1);
    for (int i = 0; i <= s && rc == 0; i++)
        rc = keyset_init(&ctx->recv[i], ctx->hmac, ctx->key_enctype[i], ctx->key[i], ctx->key_len[i], seal_in, sign_in,
                         0);
    if (rc != 0) {
        *why = "OpenSSL could not set up AES-CBC or HMAC for the context's keys";
        sspix_rfc4121_free(ctx);
        return rc;
    }
    *out = ctx;
    return 0;
}

int32_t sspix_rfc4121_enctype(const sspix_rfc4121 *ctx)
{
    return ctx->send.s->enctype;
}

const char *sspix_rfc4121_why(const sspix_rfc4121 *ctx)
{
    return ctx->why != NULL ? ctx->why : "";
}

size_t sspix_rfc4121_header_len(const sspix_rfc4121 *ctx, int conf)
{
    (void)ctx;
    return TOKHDR + (conf ? BLOCK : 0);
}

size_t sspix_rfc4121_trailer_len(const sspix_rfc4121 *ctx, int conf)
{
    /* EC is 0: CTS needs no padding. */
    return (conf ? TOKHDR : 0) + ctx->send.s->mac_len;
}

size_t sspix_rfc4121_mic_len(const sspix_rfc4121 *ctx)
{
    return TOKHDR + ctx->send.s->mac_len;
}

static OM_uint32 fail(sspix_rfc4121 *ctx, OM_uint32 major, const char *why)
{
    ctx->why = why;
    return major;
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
                rc = cts_run(k->cbc, NULL, 1, enc, nenc, total);
        } else {
            /* RFC 8009: encrypt, then HMAC over the IV and the ciphertext. */
            rc = cts_run(k->cbc, NULL, 1, enc, nenc, total);
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
            if (cts_run(k->cbc, k->ecb, 0, enc, nenc, total) != 0 ||
                mac_segs(k->ki, NULL, 0, mac, nmac, digest, &dlen) != 0)
                return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to decrypt the message");
            if (CRYPTO_memcmp(digest, got, mac_len) != 0)
                return fail(ctx, GSS_S_BAD_SIG, "the message's integrity check failed (modified, or another key)");
        } else {
            if (mac_segs(k->ki, zero_block, BLOCK, mac, nmac, digest, &dlen) != 0)
                return fail(ctx, GSS_S_FAILURE, "OpenSSL failed to compute the integrity check");
            if (CRYPTO_memcmp(digest, got, mac_len) != 0)
                return fail(ctx, GSS_S_BAD_SIG, "the message's integrity check failed (modified, or another key)");
            if (cts_run(k->cbc, k->ecb, 0, enc, nenc, total) != 0)
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

/* ---- export / import ------------------------------------------------------- */

enum { EXPORT_VERSION = 1 };

int sspix_rfc4121_export(const sspix_rfc4121 *ctx, sspix_writer *w)
{
    GUARD(sspix_writer_put_u8(w, EXPORT_VERSION));
    GUARD(sspix_writer_put_u8(w, (uint8_t)ctx->initiator));
    GUARD(sspix_writer_put_u8(w, (uint8_t)ctx->have_acceptor_subkey));
    GUARD(sspix_writer_put_u32be(w, ctx->gss_flags));
    for (int i = 0; i <= ctx->have_acceptor_subkey; i++) {
        GUARD(sspix_writer_put_u32be(w, (uint32_t)ctx->key_enctype[i]));
        GUARD(sspix_writer_put_u8(w, (uint8_t)ctx->key_len[i]));
        GUARD(sspix_writer_put_bytes(w, ctx->key[i], ctx->key_len[i]));
    }
    uint64_t v[5] = {ctx->send_seq, ctx->recv_seq, ctx->seq.base, ctx->seq.next, ctx->seq.recvmap};
    for (int i = 0; i < 5; i++) {
        GUARD(sspix_writer_put_u32be(w, (uint32_t)(v[i] >> 32)));
        GUARD(sspix_writer_put_u32be(w, (uint32_t)v[i]));
    }
    return 0;
}

static int read_u64(sspix_reader *r, uint64_t *out)
{
    uint32_t hi, lo;
    GUARD(sspix_reader_u32be(r, &hi));
    GUARD(sspix_reader_u32be(r, &lo));
    *out = ((uint64_t)hi << 32) | lo;
    return 0;
}

int sspix_rfc4121_import(sspix_reader *r, sspix_rfc4121 **out, const char **why)
{
    const char *dummy;
    if (why == NULL)
        why = &dummy;
    *out = NULL;
    *why = "the exported Kerberos message state is cut off or malformed";
    uint8_t version, initiator, have_sub, klen;
    uint32_t flags, enctype;
    struct sspix_rfc4121_params p;
    memset(&p, 0, sizeof(p));
    GUARD(sspix_reader_u8(r, &version));
    ENSURE(version == EXPORT_VERSION, SSPIX_ERR_INVALID);
    GUARD(sspix_reader_u8(r, &initiator));
    GUARD(sspix_reader_u8(r, &have_sub));
    ENSURE(initiator <= 1 && have_sub <= 1, SSPIX_ERR_INVALID);
    GUARD(sspix_reader_u32be(r, &flags));
    struct sspix_rfc4121_key *keys[2] = {&p.ctx_key, &p.acceptor_subkey};
    for (int i = 0; i <= have_sub; i++) {
        const uint8_t *kb;
        GUARD(sspix_reader_u32be(r, &enctype));
        GUARD(sspix_reader_u8(r, &klen));
        ENSURE(klen <= MAX_KEY, SSPIX_ERR_INVALID);
        GUARD(sspix_reader_bytes(r, klen, &kb));
        keys[i]->enctype = (int32_t)enctype;
        keys[i]->data = kb;
        keys[i]->len = klen;
    }
    uint64_t base, next, recvmap;
    GUARD(read_u64(r, &p.send_seq));
    GUARD(read_u64(r, &p.recv_seq));
    GUARD(read_u64(r, &base));
    GUARD(read_u64(r, &next));
    GUARD(read_u64(r, &recvmap));
    p.initiator = initiator;
    p.have_acceptor_subkey = have_sub;
    p.gss_flags = flags;
    GUARD(sspix_rfc4121_new(&p, out, why));
    (*out)->seq.base = base;
    (*out)->seq.next = next;
    (*out)->seq.recvmap = recvmap;
    *why = "";
    return 0;
}
