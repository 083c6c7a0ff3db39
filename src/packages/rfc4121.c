/* SPDX-License-Identifier: MIT */
/*
 * rfc4121.c - RFC 4121 per-message tokens on OpenSSL 3 EVP: the enctype
 * suites, the keyed contexts of each direction, the context's life and its
 * export. See rfc4121.h; the tokens are rfc4121_wrap.c, the primitives
 * rfc4121_crypto.c.
 */
#include "packages/rfc4121_int.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

static const struct suite suites[] = {
    {17, 16, 16, 12, 0, "SHA1", "AES-128-CBC", "AES-128-ECB"},
    {18, 32, 32, 12, 0, "SHA1", "AES-256-CBC", "AES-256-ECB"},
    {19, 16, 16, 16, 1, "SHA256", "AES-128-CBC", "AES-128-ECB"},
    {20, 32, 24, 24, 1, "SHA384", "AES-256-CBC", "AES-256-ECB"},
};

const struct suite *sspix_rfc4121_suite(int32_t enctype)
{
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
        if (suites[i].enctype == enctype)
            return &suites[i];
    return NULL;
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
    const struct suite *s = sspix_rfc4121_suite(enctype);
    ENSURE(s != NULL, SSPIX_ERR_INVALID);
    k->s = s;
    uint8_t dk[MAX_KEY], c[5] = {0, 0, 0, (uint8_t)seal_usage, 0xAA};
    size_t len = 0;
    int rc = sspix_rfc4121_derive(enctype, base, base_len, c, dk, &len);
    if (rc == 0)
        rc = sspix_rfc4121_new_cipher(s->cbc, dk, encrypt, &k->cbc);
    if (rc == 0 && !encrypt)
        rc = sspix_rfc4121_new_cipher(s->ecb, dk, 0, &k->ecb);
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
    return sspix_rfc4121_suite(enctype) != NULL;
}

static int check_key(const struct sspix_rfc4121_key *k, const char **why)
{
    const struct suite *s = sspix_rfc4121_suite(k->enctype);
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
    ctx->hmac = sspix_rfc4121_hmac();
    if (ctx->hmac != NULL && EVP_MAC_up_ref(ctx->hmac) != 1)
        ctx->hmac = NULL;
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
