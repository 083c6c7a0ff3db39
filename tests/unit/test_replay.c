/* SPDX-License-Identifier: MIT */
/*
 * test_replay.c - the in-process replay set (src/packages/replay.c) with
 * explicit times: expiry, the cap and its refusal, tags that share a hash
 * bucket, growth, a clock stepped back, the salted tag, concurrent records
 * of the same tags; and the AP-REQ reader on hand-built tokens (raw, inside
 * SPNEGO, malformed). No KDC.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "common/check.h"
#include "common/der.h"
#include "packages/replay.h"

static void tag_of(uint32_t n, uint8_t tag[SSPIX_REPLAY_TAG_BYTES])
{
    memset(tag, 0xA5, SSPIX_REPLAY_TAG_BYTES);
    memcpy(tag, &n, sizeof(n));
}

static void test_expiry(void)
{
    struct sspix_replay_set *s = sspix_replay_new(8, 10);
    uint8_t a[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s != NULL);
    tag_of(1, a);
    CHECK_EQ_INT(sspix_replay_check(s, a, 100), 0);
    CHECK_EQ_INT(sspix_replay_record(s, a, 100), 0);
    CHECK_EQ_INT(sspix_replay_check(s, a, 100), SSPIX_REPLAY_SEEN);
    CHECK_EQ_INT(sspix_replay_record(s, a, 109), SSPIX_REPLAY_SEEN); /* still inside the window */
    CHECK_EQ_INT(sspix_replay_count(s, 109), 1);
    CHECK_EQ_INT(sspix_replay_check(s, a, 110), 0); /* window over */
    CHECK_EQ_INT(sspix_replay_count(s, 110), 0);
    CHECK_EQ_INT(sspix_replay_record(s, a, 110), 0);
    CHECK_EQ_INT(sspix_replay_check(s, a, 119), SSPIX_REPLAY_SEEN);
    sspix_replay_free(s);
}

/* Full: refused, nothing evicted, room again once entries expire. */
static void test_cap(void)
{
    struct sspix_replay_set *s = sspix_replay_new(8, 10);
    uint8_t t[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s != NULL);
    for (uint32_t i = 0; i < 8; i++) {
        tag_of(i, t);
        CHECK_EQ_INT(sspix_replay_record(s, t, 200 + i / 4), 0);
    }
    tag_of(8, t);
    CHECK_EQ_INT(sspix_replay_record(s, t, 205), SSPIX_ERR_FULL);
    CHECK_EQ_INT(sspix_replay_check(s, t, 205), 0);
    for (uint32_t i = 0; i < 8; i++) {
        uint8_t u[SSPIX_REPLAY_TAG_BYTES];
        tag_of(i, u);
        CHECK_EQ_INT(sspix_replay_check(s, u, 205), SSPIX_REPLAY_SEEN);
    }
    /* At 210 the four recorded at 200 are gone, the four of 201 remain. */
    CHECK_EQ_INT(sspix_replay_record(s, t, 210), 0);
    CHECK_EQ_INT(sspix_replay_count(s, 210), 5);
    tag_of(0, t);
    CHECK_EQ_INT(sspix_replay_check(s, t, 210), 0);
    tag_of(7, t);
    CHECK_EQ_INT(sspix_replay_check(s, t, 210), SSPIX_REPLAY_SEEN);
    sspix_replay_free(s);
}

/* Tags equal in the bytes that pick the bucket are still told apart, and
 * unlinking one from a shared chain keeps the others. */
static void test_same_bucket(void)
{
    struct sspix_replay_set *s = sspix_replay_new(64, 10);
    uint8_t t[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s != NULL);
    for (uint8_t i = 0; i < 20; i++) {
        memset(t, 0, sizeof(t));
        t[SSPIX_REPLAY_TAG_BYTES - 1] = i;
        CHECK_EQ_INT(sspix_replay_record(s, t, 300 + i / 4), 0);
    }
    memset(t, 0, sizeof(t));
    t[SSPIX_REPLAY_TAG_BYTES - 1] = 20;
    CHECK_EQ_INT(sspix_replay_check(s, t, 300), 0);
    t[0] = 1; /* other bucket, same tail */
    t[SSPIX_REPLAY_TAG_BYTES - 1] = 5;
    CHECK_EQ_INT(sspix_replay_check(s, t, 300), 0);
    /* At 311 the first 8 expired (recorded at 300 and 301). */
    CHECK_EQ_INT(sspix_replay_count(s, 311), 12);
    for (uint8_t i = 0; i < 20; i++) {
        memset(t, 0, sizeof(t));
        t[SSPIX_REPLAY_TAG_BYTES - 1] = i;
        CHECK_EQ_INT(sspix_replay_check(s, t, 311), i < 8 ? 0 : SSPIX_REPLAY_SEEN);
    }
    sspix_replay_free(s);
}

static void test_growth(void)
{
    struct sspix_replay_set *s = sspix_replay_new(20000, 1000);
    uint8_t t[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s != NULL);
    for (uint32_t i = 0; i < 9000; i++) {
        tag_of(i * 2654435761u, t);
        CHECK_EQ_INT(sspix_replay_record(s, t, 1000 + i / 100), 0);
    }
    CHECK_EQ_INT(sspix_replay_count(s, 1089), 9000);
    for (uint32_t i = 0; i < 9000; i++) {
        tag_of(i * 2654435761u, t);
        CHECK_EQ_INT(sspix_replay_check(s, t, 1089), SSPIX_REPLAY_SEEN);
        CHECK_EQ_INT(sspix_replay_record(s, t, 1089), SSPIX_REPLAY_SEEN);
    }
    /* Recorded at 1000 + i / 100: at 2010 the first 1,100 are gone. */
    CHECK_EQ_INT(sspix_replay_count(s, 2010), 7900);
    sspix_replay_free(s);
}

/* A wall clock stepped back: entries recorded before the step stay their
 * full window; later ones expire on their own time. */
static void test_clock_back(void)
{
    struct sspix_replay_set *s = sspix_replay_new(8, 10);
    uint8_t a[SSPIX_REPLAY_TAG_BYTES], b[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s != NULL);
    tag_of(1, a);
    tag_of(2, b);
    CHECK_EQ_INT(sspix_replay_record(s, a, 1000), 0);
    CHECK_EQ_INT(sspix_replay_record(s, b, 500), 0);
    CHECK_EQ_INT(sspix_replay_check(s, a, 505), SSPIX_REPLAY_SEEN);
    CHECK_EQ_INT(sspix_replay_check(s, b, 505), SSPIX_REPLAY_SEEN);
    CHECK_EQ_INT(sspix_replay_check(s, b, 510), 0);
    CHECK_EQ_INT(sspix_replay_check(s, a, 510), SSPIX_REPLAY_SEEN);
    CHECK_EQ_INT(sspix_replay_record(s, b, 510), 0);
    CHECK_EQ_INT(sspix_replay_check(s, b, 515), SSPIX_REPLAY_SEEN);
    sspix_replay_free(s);
}

static void test_tags(void)
{
    struct sspix_replay_set *s1 = sspix_replay_new(8, 10), *s2 = sspix_replay_new(8, 10);
    uint8_t c[200], t1[SSPIX_REPLAY_TAG_BYTES], t2[SSPIX_REPLAY_TAG_BYTES], t3[SSPIX_REPLAY_TAG_BYTES];
    CHECK(s1 != NULL && s2 != NULL);
    for (size_t i = 0; i < sizeof(c); i++)
        c[i] = (uint8_t)(i * 7);
    CHECK_EQ_INT(sspix_replay_tag(s1, c, sizeof(c), t1), 0);
    CHECK_EQ_INT(sspix_replay_tag(s1, c, sizeof(c), t2), 0);
    CHECK(memcmp(t1, t2, sizeof(t1)) == 0); /* same bytes, same tag: a replay is always found */
    c[199] ^= 1;
    CHECK_EQ_INT(sspix_replay_tag(s1, c, sizeof(c), t3), 0);
    CHECK(memcmp(t1, t3, sizeof(t1)) != 0);
    c[199] ^= 1;
    CHECK_EQ_INT(sspix_replay_tag(s2, c, sizeof(c), t3), 0); /* another set's salt */
    CHECK(memcmp(t1, t3, sizeof(t1)) != 0);
    /* The tag is not the ciphertext's own bytes. */
    CHECK(memcmp(t1, c, sizeof(t1)) != 0);
    sspix_replay_free(s1);
    sspix_replay_free(s2);
    CHECK(sspix_replay_new(0, 10) == NULL);
    CHECK(sspix_replay_new(8, 0) == NULL);
}

struct racer {
    struct sspix_replay_set *s;
    unsigned recorded;
};

static void *race(void *p)
{
    struct racer *r = p;
    uint8_t t[SSPIX_REPLAY_TAG_BYTES];
    for (uint32_t i = 0; i < 20000; i++) {
        tag_of(i, t);
        int x = sspix_replay_record(r->s, t, 5000);
        if (x == 0)
            r->recorded++;
        else if (x != SSPIX_REPLAY_SEEN)
            abort();
    }
    return NULL;
}

/* Two threads recording the same 20,000 tags: each tag is recorded once. */
static void test_threads(void)
{
    struct sspix_replay_set *s = sspix_replay_new(100000, 10);
    struct racer a = {s, 0}, b = {s, 0};
    pthread_t ta, tb;
    CHECK(s != NULL);
    CHECK(pthread_create(&ta, NULL, race, &a) == 0);
    CHECK(pthread_create(&tb, NULL, race, &b) == 0);
    CHECK(pthread_join(ta, NULL) == 0);
    CHECK(pthread_join(tb, NULL) == 0);
    CHECK_EQ_INT(a.recorded + b.recorded, 20000);
    CHECK_EQ_INT(sspix_replay_count(s, 5000), 20000);
    sspix_replay_free(s);
}

/* ---- hand-built tokens ------------------------------------------------------ */

static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t ms_krb5_oid[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t spnego_oid[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
static uint8_t cipher[150];

/* An AP-REQ (fields present, content not meaningful) with `cipher` as the
 * authenticator's ciphertext; kvno optional. */
static void ap_req(struct der *out, int with_kvno)
{
    struct der seq = {.n = 0}, f, x, ed = {.n = 0};
    static const uint8_t pvno[] = {0x02, 0x01, 0x05}, type[] = {0x02, 0x01, 0x0e};
    static const uint8_t opts[] = {0x03, 0x05, 0x00, 0x20, 0x00, 0x00, 0x00};
    static const uint8_t ticket[] = {0x61, 0x03, 0x30, 0x01, 0x00};
    static const uint8_t etype[] = {0x02, 0x01, 0x12}, kvno[] = {0x02, 0x01, 0x02};
    der_wrap_bytes(&f, 0xa0, pvno, sizeof(pvno));
    der_put(&seq, f.b, f.n);
    der_wrap_bytes(&f, 0xa1, type, sizeof(type));
    der_put(&seq, f.b, f.n);
    der_wrap_bytes(&f, 0xa2, opts, sizeof(opts));
    der_put(&seq, f.b, f.n);
    der_wrap_bytes(&f, 0xa3, ticket, sizeof(ticket));
    der_put(&seq, f.b, f.n);
    der_wrap_bytes(&f, 0xa0, etype, sizeof(etype));
    der_put(&ed, f.b, f.n);
    if (with_kvno) {
        der_wrap_bytes(&f, 0xa1, kvno, sizeof(kvno));
        der_put(&ed, f.b, f.n);
    }
    der_wrap_bytes(&x, 0x04, cipher, sizeof(cipher));
    der_wrap(&f, 0xa2, &x);
    der_put(&ed, f.b, f.n);
    der_wrap(&x, 0x30, &ed);
    der_wrap(&f, 0xa4, &x);
    der_put(&seq, f.b, f.n);
    der_wrap(&x, 0x30, &seq);
    der_wrap(out, 0x6e, &x);
}

static void initial_token(struct der *out, const uint8_t *oid, size_t oid_len, const uint8_t tok_id[2],
                          const struct der *inner)
{
    struct der body = {.n = 0}, o;
    der_wrap_bytes(&o, 0x06, oid, oid_len);
    der_put(&body, o.b, o.n);
    der_put(&body, tok_id, 2);
    der_put(&body, inner->b, inner->n);
    der_wrap(out, 0x60, &body);
}

static int find(const struct der *d)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    return sspix_replay_find_authenticator(d->b, d->n, &p, &n);
}

static int found(const struct der *d)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    if (sspix_replay_find_authenticator(d->b, d->n, &p, &n) != 0)
        return 0;
    return n == sizeof(cipher) && memcmp(p, cipher, n) == 0;
}

static void test_find(void)
{
    static const uint8_t ap[2] = {0x01, 0x00}, ap_rep_id[2] = {0x02, 0x00};
    struct der req, tok, x, y, mt, init;
    for (size_t i = 0; i < sizeof(cipher); i++)
        cipher[i] = (uint8_t)(0x40 + i);

    ap_req(&req, 1);
    initial_token(&tok, krb5_oid, sizeof(krb5_oid), ap, &req);
    CHECK(found(&tok));
    struct der raw = tok; /* kept for SPNEGO below */
    ap_req(&req, 0);
    initial_token(&tok, ms_krb5_oid, sizeof(ms_krb5_oid), ap, &req);
    CHECK(found(&tok));

    /* MIT also takes a bare AP-REQ (DCE style). */
    CHECK(found(&req));

    /* Certainly no AP-REQ: another token ID (an AP-REP), a bare AP-REP, NTLM. */
    initial_token(&tok, krb5_oid, sizeof(krb5_oid), ap_rep_id, &req);
    CHECK_EQ_INT(find(&tok), SSPIX_REPLAY_NONE);
    der_wrap_bytes(&tok, 0x6f, "\x30\x00", 2);
    CHECK_EQ_INT(find(&tok), SSPIX_REPLAY_NONE);
    tok.n = 0;
    der_put(&tok, "NTLMSSP\0\1\0\0\0", 12);
    CHECK_EQ_INT(find(&tok), SSPIX_REPLAY_NONE);
    /* Unreadable: cut short, bytes after it, a malformed AP-REQ, nothing. */
    for (size_t cut = 1; cut < raw.n; cut += 7) {
        tok = raw;
        tok.n -= cut;
        CHECK_EQ_INT(find(&tok), SSPIX_ERR_INVALID);
    }
    tok = raw;
    der_put(&tok, "\0", 1);
    CHECK_EQ_INT(find(&tok), SSPIX_ERR_INVALID);
    tok = req;
    tok.b[tok.b[1] == 0x82 ? 4 : 2] ^= 0x10; /* the SEQUENCE's identifier */
    CHECK_EQ_INT(find(&tok), SSPIX_ERR_INVALID);
    CHECK(sspix_replay_find_authenticator(NULL, 0, &(const uint8_t *){NULL}, &(size_t){0}) == SSPIX_ERR_INVALID);

    /* SPNEGO: NegTokenInit { mechTypes { krb5 }, mechToken }, framed. */
    struct der types = {.n = 0}, seq = {.n = 0};
    der_wrap_bytes(&x, 0x06, krb5_oid, sizeof(krb5_oid));
    der_put(&types, x.b, x.n);
    der_wrap(&x, 0x30, &types);
    der_wrap(&y, 0xa0, &x);
    der_put(&seq, y.b, y.n);
    der_wrap_bytes(&x, 0x04, raw.b, raw.n);
    der_wrap(&mt, 0xa2, &x);
    der_put(&seq, mt.b, mt.n);
    der_wrap(&x, 0x30, &seq);
    der_wrap(&init, 0xa0, &x);
    struct der framed = {.n = 0};
    der_wrap_bytes(&x, 0x06, spnego_oid, sizeof(spnego_oid));
    der_put(&framed, x.b, x.n);
    der_put(&framed, init.b, init.n);
    der_wrap(&tok, 0x60, &framed);
    CHECK(found(&tok));
    CHECK(found(&init)); /* bare NegTokenInit */

    /* NegTokenResp { responseToken }. */
    struct der resp = {.n = 0};
    der_wrap_bytes(&x, 0x04, raw.b, raw.n);
    der_wrap(&y, 0xa2, &x);
    der_put(&resp, y.b, y.n);
    der_wrap(&x, 0x30, &resp);
    der_wrap(&tok, 0xa1, &x);
    CHECK(found(&tok));
    /* NegTokenResp with a mechListMIC only: nothing there. */
    resp.n = 0;
    der_wrap_bytes(&x, 0x04, "0123456789abcdef", 16);
    der_wrap(&y, 0xa3, &x);
    der_put(&resp, y.b, y.n);
    der_wrap(&x, 0x30, &resp);
    der_wrap(&tok, 0xa1, &x);
    CHECK_EQ_INT(find(&tok), SSPIX_REPLAY_NONE);
}

int main(void)
{
    test_expiry();
    test_cap();
    test_same_bucket();
    test_growth();
    test_clock_back();
    test_tags();
    test_threads();
    test_find();
    CHECK_DONE("unit.replay");
}
