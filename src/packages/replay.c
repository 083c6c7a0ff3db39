/* SPDX-License-Identifier: MIT */
/*
 * replay.c - the in-process replay set and the AP-REQ reader it is fed by;
 * see replay.h.
 *
 * The set is a ring of entries in the order they were recorded (so, with a
 * fixed window, in the order they expire: expiry pops from the head) and a
 * chained hash index over it (bucket heads and next links are ring indexes
 * + 1, 0 ending a chain). The ring and the index double together, rebuilt
 * from the live entries, until max_entries.
 */
#include "packages/replay.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/buf.h"
#include "packages/ntlm_msg.h"
#include "packages/spnego_tok.h"

#define INITIAL_ENTRIES 4096u
#define SALT_BYTES      32u

struct entry {
    uint8_t tag[SSPIX_REPLAY_TAG_BYTES];
    int64_t expires;
    uint32_t next; /* ring index + 1 of the next entry in this bucket; 0 ends */
};

struct sspix_replay_set {
    pthread_mutex_t lock;
    int64_t window;
    size_t max;
    /* SHA-256 with the random salt absorbed: each tag starts from a copy
     * (an EVP_DigestInit per tag would look the algorithm up each time). */
    EVP_MD_CTX *salted;
    struct entry *ring;
    uint32_t *bucket; /* cap heads, cap a power of two */
    size_t cap, head, count;
};

struct sspix_replay_set *sspix_replay_new(size_t max_entries, int64_t window)
{
    if (max_entries == 0 || max_entries > ((size_t)1 << 31) || window <= 0) /* ring indexes + 1 fit 32 bits */
        return NULL;
    struct sspix_replay_set *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    uint8_t salt[SALT_BYTES];
    int ok = getrandom(salt, sizeof(salt), 0) == (ssize_t)sizeof(salt) && (s->salted = EVP_MD_CTX_new()) != NULL &&
             EVP_DigestInit_ex(s->salted, EVP_sha256(), NULL) == 1 &&
             EVP_DigestUpdate(s->salted, salt, sizeof(salt)) == 1;
    OPENSSL_cleanse(salt, sizeof(salt));
    if (!ok || pthread_mutex_init(&s->lock, NULL) != 0) {
        EVP_MD_CTX_free(s->salted);
        free(s);
        return NULL;
    }
    s->window = window;
    s->max = max_entries;
    return s;
}

void sspix_replay_free(struct sspix_replay_set *s)
{
    if (s == NULL)
        return;
    pthread_mutex_destroy(&s->lock);
    EVP_MD_CTX_free(s->salted);
    free(s->ring);
    free(s->bucket);
    free(s);
}

int sspix_replay_tag(const struct sspix_replay_set *s, const uint8_t *cipher, size_t n,
                     uint8_t tag[SSPIX_REPLAY_TAG_BYTES])
{
    uint8_t md[32];
    unsigned int md_len = 0;
    /* Copying reads s->salted only: threads may tag at once. */
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int ok = h != NULL && EVP_MD_CTX_copy_ex(h, s->salted) == 1 && EVP_DigestUpdate(h, cipher, n) == 1 &&
             EVP_DigestFinal_ex(h, md, &md_len) == 1 && md_len == sizeof(md);
    EVP_MD_CTX_free(h);
    if (!ok)
        return SSPIX_ERR_NOMEM;
    memcpy(tag, md, SSPIX_REPLAY_TAG_BYTES);
    return 0;
}

static size_t bucket_of(const struct sspix_replay_set *s, const uint8_t *tag)
{
    uint32_t h;
    memcpy(&h, tag, sizeof(h));
    return h & (s->cap - 1);
}

/* Drops expired entries from the head of the ring. */
static void expire(struct sspix_replay_set *s, int64_t now)
{
    while (s->count > 0 && s->ring[s->head].expires <= now) {
        uint32_t self = (uint32_t)s->head + 1;
        uint32_t *link = &s->bucket[bucket_of(s, s->ring[s->head].tag)];
        while (*link != 0 && *link != self)
            link = &s->ring[*link - 1].next;
        if (*link == self)
            *link = s->ring[s->head].next;
        s->head = (s->head + 1) & (s->cap - 1);
        s->count--;
    }
}

static int live(const struct sspix_replay_set *s, const uint8_t *tag, int64_t now)
{
    if (s->cap == 0)
        return 0;
    for (uint32_t i = s->bucket[bucket_of(s, tag)]; i != 0; i = s->ring[i - 1].next)
        if (s->ring[i - 1].expires > now && memcmp(s->ring[i - 1].tag, tag, SSPIX_REPLAY_TAG_BYTES) == 0)
            return 1;
    return 0;
}

static void link_entry(struct sspix_replay_set *s, size_t at, const uint8_t *tag, int64_t expires)
{
    struct entry *e = &s->ring[at];
    memcpy(e->tag, tag, SSPIX_REPLAY_TAG_BYTES);
    e->expires = expires;
    size_t b = bucket_of(s, tag);
    e->next = s->bucket[b];
    s->bucket[b] = (uint32_t)at + 1;
}

/* Doubles the ring and the index (the first call allocates them),
 * keeping the entries in order from index 0. */
static int grow(struct sspix_replay_set *s)
{
    size_t cap = s->cap == 0 ? INITIAL_ENTRIES : s->cap * 2;
    struct entry *ring = calloc(cap, sizeof(*ring));
    uint32_t *bucket = calloc(cap, sizeof(*bucket));
    if (ring == NULL || bucket == NULL) {
        free(ring);
        free(bucket);
        return SSPIX_ERR_NOMEM;
    }
    struct entry *old = s->ring;
    size_t old_cap = s->cap, head = s->head, count = s->count;
    free(s->bucket);
    s->ring = ring;
    s->bucket = bucket;
    s->cap = cap;
    s->head = 0;
    s->count = count;
    for (size_t i = 0; i < count; i++) {
        const struct entry *e = &old[(head + i) & (old_cap - 1)];
        link_entry(s, i, e->tag, e->expires);
    }
    free(old);
    return 0;
}

int sspix_replay_check(struct sspix_replay_set *s, const uint8_t tag[SSPIX_REPLAY_TAG_BYTES], int64_t now)
{
    pthread_mutex_lock(&s->lock);
    int seen = live(s, tag, now);
    pthread_mutex_unlock(&s->lock);
    return seen ? SSPIX_REPLAY_SEEN : 0;
}

int sspix_replay_record(struct sspix_replay_set *s, const uint8_t tag[SSPIX_REPLAY_TAG_BYTES], int64_t now)
{
    int r = 0;
    pthread_mutex_lock(&s->lock);
    expire(s, now);
    if (live(s, tag, now))
        r = SSPIX_REPLAY_SEEN;
    else if (s->count >= s->max)
        r = SSPIX_ERR_FULL;
    else if (s->count == s->cap)
        r = grow(s);
    if (r == 0) {
        link_entry(s, (s->head + s->count) & (s->cap - 1), tag,
                   now > INT64_MAX - s->window ? INT64_MAX : now + s->window);
        s->count++;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

size_t sspix_replay_count(struct sspix_replay_set *s, int64_t now)
{
    pthread_mutex_lock(&s->lock);
    expire(s, now);
    size_t n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* ---- the AP-REQ --------------------------------------------------------- */

int sspix_der_elem(sspix_reader *r, uint8_t tag, sspix_reader *content)
{
    sspix_reader save = *r;
    uint8_t t, b;
    size_t len = 0;
    const uint8_t *v;
    if (sspix_reader_u8(r, &t) < 0 || t != tag || sspix_reader_u8(r, &b) < 0)
        goto bad;
    if (b & 0x80) {
        size_t k = b & 0x7fu;
        if (k == 0 || k > 4)
            goto bad;
        while (k-- > 0) {
            if (sspix_reader_u8(r, &b) < 0)
                goto bad;
            len = len << 8 | b;
        }
    } else {
        len = b;
    }
    if (sspix_reader_bytes(r, len, &v) < 0)
        goto bad;
    sspix_reader_init(content, v, len);
    return 0;
bad:
    *r = save;
    return SSPIX_ERR_INVALID;
}

/* AP-REQ ::= [APPLICATION 14] SEQUENCE { pvno [0], msg-type [1], ap-options [2], ticket [3],
 *                                        authenticator [4] EncryptedData }
 * EncryptedData ::= SEQUENCE { etype [0], kvno [1] OPTIONAL, cipher [2] OCTET STRING } */
static int ap_req_cipher(sspix_reader *r, const uint8_t **cipher, size_t *len)
{
    sspix_reader apreq, seq, field, enc, ed, oct;
    GUARD(sspix_der_elem(r, 0x6e, &apreq));
    GUARD(sspix_der_elem(&apreq, 0x30, &seq));
    for (uint8_t i = 0; i < 4; i++)
        GUARD(sspix_der_elem(&seq, (uint8_t)(0xa0 + i), &field));
    GUARD(sspix_der_elem(&seq, 0xa4, &enc));
    GUARD(sspix_der_elem(&enc, 0x30, &ed));
    GUARD(sspix_der_elem(&ed, 0xa0, &field));
    if (sspix_der_elem(&ed, 0xa1, &field) < 0) { /* kvno, optional */
    }
    GUARD(sspix_der_elem(&ed, 0xa2, &field));
    GUARD(sspix_der_elem(&field, 0x04, &oct));
    ENSURE(sspix_reader_left(&seq) == 0 && sspix_reader_left(&ed) == 0 && sspix_reader_left(&oct) > 0,
           SSPIX_ERR_INVALID);
    *len = sspix_reader_left(&oct);
    return sspix_reader_bytes(&oct, *len, cipher);
}

static int is_krb5_oid(const uint8_t *p, size_t n)
{
    static const uint8_t old_krb5[5] = {0x2b, 0x05, 0x01, 0x05, 0x02}; /* 1.3.5.1.5.2 */
    return sspix_spnego_oid_eq(p, n, sspix_spnego_oid_krb5, sizeof(sspix_spnego_oid_krb5)) ||
           sspix_spnego_oid_eq(p, n, sspix_spnego_oid_ms_krb5, sizeof(sspix_spnego_oid_ms_krb5)) ||
           sspix_spnego_oid_eq(p, n, old_krb5, sizeof(old_krb5));
}

/* A Kerberos mechanism token as MIT's krb5 acceptor reads one: an
 * InitialContextToken, [APPLICATION 0] { thisMech OID, TOK_ID, body }, with a
 * krb5 OID, whose TOK_ID 01 00 makes the body an AP-REQ (another TOK_ID: an
 * AP-REP or KRB-ERROR, no AP-REQ); or, without that framing, a bare AP-REQ
 * (MIT takes one for DCE style). Returns 0 (found), SSPIX_REPLAY_NONE, or
 * SSPIX_ERR_INVALID (not a krb5 token, or one whose AP-REQ does not parse). */
static int krb5_token(const uint8_t *tok, size_t n, const uint8_t **cipher, size_t *len)
{
    sspix_reader r, inner, oid;
    const uint8_t *p, *o;
    sspix_reader_init(&r, tok, n);
    if (n > 0 && tok[0] == 0x6e) {
        GUARD(ap_req_cipher(&r, cipher, len));
        ENSURE(sspix_reader_left(&r) == 0, SSPIX_ERR_INVALID);
        return 0;
    }
    if (n > 0 && (tok[0] == 0x6f || tok[0] == 0x7e)) /* [APPLICATION 15] AP-REP, [APPLICATION 30] KRB-ERROR */
        return SSPIX_REPLAY_NONE;
    GUARD(sspix_der_elem(&r, 0x60, &inner));
    ENSURE(sspix_reader_left(&r) == 0, SSPIX_ERR_INVALID);
    GUARD(sspix_der_elem(&inner, 0x06, &oid));
    size_t oid_len = sspix_reader_left(&oid);
    GUARD(sspix_reader_bytes(&oid, oid_len, &o));
    ENSURE(is_krb5_oid(o, oid_len), SSPIX_ERR_INVALID);
    GUARD(sspix_reader_bytes(&inner, 2, &p));
    if (p[0] != 0x01 || p[1] != 0x00)
        return SSPIX_REPLAY_NONE;
    GUARD(ap_req_cipher(&inner, cipher, len));
    ENSURE(sspix_reader_left(&inner) == 0, SSPIX_ERR_INVALID);
    return 0;
}

int sspix_replay_find_authenticator(const uint8_t *tok, size_t n, const uint8_t **cipher, size_t *cipher_len)
{
    struct sspix_spnego_tok sp;
    char why[8];
    if (tok == NULL || n == 0)
        return SSPIX_ERR_INVALID;
    if (sspix_ntlm_msg_is_ntlm(tok, n))
        return SSPIX_REPLAY_NONE;
    int r = krb5_token(tok, n, cipher, cipher_len);
    if (r != SSPIX_ERR_INVALID)
        return r;
    if (sspix_spnego_parse(tok, n, &sp, why, sizeof(why)) < 0)
        return SSPIX_ERR_INVALID;
    /* Another mechanism's own token (not krb5's: krb5_token took those), or
     * SPNEGO without a mechanism token (a mechListMIC only): no AP-REQ. */
    if (sp.kind == SSPIX_SPNEGO_OTHER || sp.token == NULL || sp.token_len == 0 ||
        sspix_ntlm_msg_is_ntlm(sp.token, sp.token_len))
        return SSPIX_REPLAY_NONE;
    return krb5_token(sp.token, sp.token_len, cipher, cipher_len);
}
