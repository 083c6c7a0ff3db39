/* SPDX-License-Identifier: MIT */
/*
 * rfc4121_int.h - what the files of the RFC 4121 engine share (rfc4121.c:
 * suites, keys and the context; rfc4121_crypto.c: n-fold, key derivation and
 * ciphertext stealing; rfc4121_wrap.c: the wrap and MIC tokens). Not an
 * interface: see rfc4121.h.
 */
#ifndef SSPIX_PACKAGES_RFC4121_INT_H
#define SSPIX_PACKAGES_RFC4121_INT_H

#include "packages/rfc4121.h"

#include <openssl/evp.h>

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

/* The suite of enctype, or NULL when it is not one of the four. */
const struct suite *sspix_rfc4121_suite(int32_t enctype);

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

/* Records why a call failed (ctx->why) and returns major. */
static inline OM_uint32 fail(sspix_rfc4121 *ctx, OM_uint32 major, const char *why)
{
    ctx->why = why;
    return major;
}

/* A cipher context of OpenSSL's name, keyed, with a zero IV. */
int sspix_rfc4121_new_cipher(const char *name, const uint8_t *key, int encrypt, EVP_CIPHER_CTX **out);
/* The process's HMAC algorithm (fetched once; never freed by callers), or NULL. */
EVP_MAC *sspix_rfc4121_hmac(void);

/* CBC with ciphertext stealing over segs (total bytes, at least one block);
 * ecb decrypts the stolen block (NULL when encrypting). */
int sspix_rfc4121_cts_run(EVP_CIPHER_CTX *cbc, EVP_CIPHER_CTX *ecb, int encrypt, struct sspix_rfc4121_seg *segs,
                          size_t nseg, size_t total);

#endif
