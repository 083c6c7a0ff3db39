/* SPDX-License-Identifier: MIT */
/*
 * rfc4121_crypto.c - the RFC 3961 / RFC 3962 / RFC 8009 primitives the
 * RFC 4121 engine is built on: n-fold, key derivation, and AES-CBC with
 * ciphertext stealing over scattered segments.
 */
#include "packages/rfc4121_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <pthread.h>

/* ---- OpenSSL algorithms, fetched once ------------------------------------------ */

/* EVP_*_fetch searches the provider store on every call; a context's set-up
 * needs up to nine ciphers and MACs, so each is fetched once per process and
 * kept (OpenSSL's fetched objects may be shared between threads). */
static const char *const cipher_names[] = {"AES-128-ECB", "AES-256-ECB", "AES-128-CBC", "AES-256-CBC"};
static EVP_CIPHER *ciphers[sizeof(cipher_names) / sizeof(cipher_names[0])];
static EVP_MAC *hmac_alg;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
    for (size_t i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
        ciphers[i] = EVP_CIPHER_fetch(NULL, cipher_names[i], NULL);
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static EVP_CIPHER *cipher_of(const char *name)
{
    pthread_once(&fetch_once, fetch_all);
    for (size_t i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
        if (strcmp(name, cipher_names[i]) == 0)
            return ciphers[i];
    return NULL;
}

EVP_MAC *sspix_rfc4121_hmac(void)
{
    pthread_once(&fetch_once, fetch_all);
    return hmac_alg;
}

/* ---- n-fold (RFC 3961 section 5.1) ------------------------------------------ */

/* Byte k of in (inlen bytes) rotated right by rot bits, as one bit string. */
static unsigned rotated_byte(const uint8_t *in, size_t inlen, size_t rot, size_t k)
{
    size_t nbits = inlen * 8;
    size_t src = (k * 8 + nbits - rot % nbits) % nbits; /* the first bit of the byte */
    size_t i = src / 8;
    unsigned sh = (unsigned)(src % 8);
    if (sh == 0)
        return in[i];
    return ((unsigned)in[i] << sh | (unsigned)in[(i + 1) % inlen] >> (8u - sh)) & 0xffu;
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
    unsigned acc[256] = {0}; /* outlen <= 256: per-byte sums before carrying */

    memset(out, 0, outlen);
    for (size_t pos = 0; pos < lcm; pos++)
        acc[pos % outlen] += rotated_byte(in, inlen, 13 * (pos / inlen), pos % inlen);
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
    EVP_CIPHER *cipher = cipher_of(s->ecb);
    if (c != NULL && cipher != NULL && EVP_EncryptInit_ex2(c, cipher, key, NULL, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1 && EVP_EncryptUpdate(c, out, &outl, in, BLOCK) == 1 && outl == BLOCK)
        rc = 0;
    EVP_CIPHER_CTX_free(c);
    return rc;
}

static int hmac_once(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t msg_len,
                     uint8_t *out, size_t *out_len)
{
    int rc = SSPIX_ERR_STATE;
    EVP_MAC *mac = sspix_rfc4121_hmac();
    EVP_MAC_CTX *c = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
                           OSSL_PARAM_construct_end()};
    if (c != NULL && EVP_MAC_init(c, key, key_len, params) == 1 && EVP_MAC_update(c, msg, msg_len) == 1 &&
        EVP_MAC_final(c, out, out_len, MAX_DIGEST) == 1)
        rc = 0;
    EVP_MAC_CTX_free(c);
    return rc;
}

int sspix_rfc4121_derive(int32_t enctype, const uint8_t *base, size_t base_len, const uint8_t constant[5], uint8_t *out,
                         size_t *out_len)
{
    const struct suite *s = sspix_rfc4121_suite(enctype);
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
int sspix_rfc4121_cts_run(EVP_CIPHER_CTX *cbc, EVP_CIPHER_CTX *ecb, int encrypt, struct sspix_rfc4121_seg *segs,
                          size_t nseg, size_t total)
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

int sspix_rfc4121_new_cipher(const char *name, const uint8_t *key, int encrypt, EVP_CIPHER_CTX **out)
{
    int rc = SSPIX_ERR_STATE;
    EVP_CIPHER *cipher = cipher_of(name);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (cipher != NULL && c != NULL && EVP_CipherInit_ex2(c, cipher, key, zero_block, encrypt, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(c, 0) == 1) {
        *out = c;
        c = NULL;
        rc = 0;
    }
    EVP_CIPHER_CTX_free(c);
    return rc;
}

int sspix_rfc4121_cts(const uint8_t *key, size_t key_len, int encrypt, struct sspix_rfc4121_seg *segs, size_t nseg)
{
    const struct suite *s = sspix_rfc4121_suite(key_len == 16 ? 17 : 18);
    ENSURE(key_len == 16 || key_len == 32, SSPIX_ERR_INVALID);
    size_t total = 0;
    for (size_t i = 0; i < nseg; i++)
        total += segs[i].len;
    EVP_CIPHER_CTX *cbc = NULL, *ecb = NULL;
    int rc = sspix_rfc4121_new_cipher(s->cbc, key, encrypt, &cbc);
    if (rc == 0 && !encrypt)
        rc = sspix_rfc4121_new_cipher(s->ecb, key, 0, &ecb);
    if (rc == 0)
        rc = sspix_rfc4121_cts_run(cbc, ecb, encrypt, segs, nseg, total);
    EVP_CIPHER_CTX_free(cbc);
    EVP_CIPHER_CTX_free(ecb);
    return rc;
}
