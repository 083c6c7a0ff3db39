/* SPDX-License-Identifier: MIT */
/*
 * spnego_tok.c - SPNEGO NegTokenInit / NegTokenResp reader; see spnego_tok.h.
 *
 *   NegTokenInit ::= SEQUENCE { mechTypes [0] SEQUENCE OF OID, reqFlags [1] BIT STRING OPTIONAL,
 *                               mechToken [2] OCTET STRING OPTIONAL,
 *                               mechListMIC [3] OCTET STRING OPTIONAL }
 *     (NegTokenInit2: [3] NegHints SEQUENCE, then mechListMIC [4])
 *   NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] OID OPTIONAL,
 *                               responseToken [2] OCTET STRING OPTIONAL,
 *                               mechListMIC [3] OCTET STRING OPTIONAL }
 */
#include "packages/spnego_tok.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"

const uint8_t sspix_spnego_oid_spnego[6] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
const uint8_t sspix_spnego_oid_ntlm[10] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};
const uint8_t sspix_spnego_oid_krb5[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
const uint8_t sspix_spnego_oid_ms_krb5[9] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};

/* DER identifiers used here. */
#define T_ENUMERATED 0x0a
#define T_BIT_STRING 0x03
#define T_OCTETS     0x04
#define T_OID        0x06
#define T_SEQUENCE   0x30
#define T_APP0       0x60
#define T_CTX(n)     (uint8_t)(0xa0 + (n))

/* Longest OID accepted (content octets); the ones SPNEGO carries have 6 to 10. */
#define MAX_OID 64

struct why {
    char *buf;
    size_t cap;
};

static int refuse(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct why *w, const char *fmt, ...)
{
    if (w->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->buf, w->cap, fmt, ap);
        va_end(ap);
    }
    return SSPIX_ERR_INVALID;
}

int sspix_spnego_oid_eq(const uint8_t *p, size_t n, const uint8_t *oid, size_t m)
{
    return p != NULL && n == m && memcmp(p, oid, m) == 0;
}

struct tlv {
    uint8_t tag;
    const uint8_t *v;
    size_t len;
};

/* One element: identifier, definite length (short form or 1 to 4 length
 * octets), and content inside what the reader has left. */
static int der_next(sspix_reader *r, struct tlv *t, const char *what, struct why *w)
{
    uint8_t tag, b;
    size_t len = 0;
    sspix_reader save = *r;

    if (sspix_reader_u8(r, &tag) < 0)
        return refuse(w, "%s: missing", what);
    if ((tag & 0x1f) == 0x1f) {
        *r = save;
        return refuse(w, "%s: high-tag-number identifier 0x%02x", what, (unsigned)tag);
    }
    if (sspix_reader_u8(r, &b) < 0) {
        *r = save;
        return refuse(w, "%s: length cut off", what);
    }
    if (b == 0x80) {
        *r = save;
        return refuse(w, "%s: indefinite length (not DER)", what);
    }
    if (b & 0x80) {
        size_t k = b & 0x7f;
        if (k > 4) {
            *r = save;
            return refuse(w, "%s: %zu length octets", what, k);
        }
        for (size_t i = 0; i < k; i++) {
            if (sspix_reader_u8(r, &b) < 0) {
                *r = save;
                return refuse(w, "%s: length cut off", what);
            }
            len = len << 8 | b;
        }
    } else {
        len = b;
    }
    t->tag = tag;
    t->len = len;
    if (sspix_reader_bytes(r, len, &t->v) < 0) {
        size_t left = sspix_reader_left(r);
        *r = save;
        return refuse(w, "%s: %zu content bytes claimed, %zu present", what, len, left);
    }
    return 0;
}

/* An element that must have identifier `tag`. */
static int der_want(sspix_reader *r, uint8_t tag, struct tlv *t, const char *what, struct why *w)
{
    GUARD(der_next(r, t, what, w));
    if (t->tag != tag)
        return refuse(w, "%s: identifier 0x%02x, expected 0x%02x", what, (unsigned)t->tag, (unsigned)tag);
    return 0;
}

/* The content of `outer` holds exactly one element of identifier `tag`. */
static int der_only(const struct tlv *outer, uint8_t tag, struct tlv *t, const char *what, struct why *w)
{
    sspix_reader r;
    sspix_reader_init(&r, outer->v, outer->len);
    GUARD(der_want(&r, tag, t, what, w));
    if (sspix_reader_left(&r) != 0)
        return refuse(w, "%s: %zu bytes after it", what, sspix_reader_left(&r));
    return 0;
}

static int check_oid(const struct tlv *t, const char *what, struct why *w)
{
    if (t->len == 0 || t->len > MAX_OID)
        return refuse(w, "%s: OID of %zu bytes", what, t->len);
    if (t->v[t->len - 1] & 0x80)
        return refuse(w, "%s: OID ends inside a subidentifier", what);
    for (size_t i = 0; i < t->len; i++)
        if (t->v[i] == 0x80 && (i == 0 || !(t->v[i - 1] & 0x80)))
            return refuse(w, "%s: OID subidentifier with a leading 0x80 (not DER)", what);
    return 0;
}

/* [n] wrapping one OCTET STRING. */
static int ctx_octets(const struct tlv *field, const uint8_t **p, size_t *n, const char *what, struct why *w)
{
    struct tlv o;
    GUARD(der_only(field, T_OCTETS, &o, what, w));
    *p = o.v;
    *n = o.len;
    return 0;
}

/* The fields of a SEQUENCE: context tags [0]..[max], each at most once, in
 * increasing order, filling nothing else. */
struct fields {
    struct tlv f[5];
    int have[5];
};

static int seq_fields(const struct tlv *seq, int max, struct fields *fs, const char *what, struct why *w)
{
    sspix_reader r;
    int last = -1;
    memset(fs, 0, sizeof(*fs));
    sspix_reader_init(&r, seq->v, seq->len);
    while (sspix_reader_left(&r) > 0) {
        struct tlv t;
        GUARD(der_next(&r, &t, what, w));
        int n = t.tag - 0xa0;
        if (t.tag < 0xa0 || n > max)
            return refuse(w, "%s: unexpected field with identifier 0x%02x", what, (unsigned)t.tag);
        if (n <= last)
            return refuse(w, "%s: field [%d] out of order or repeated", what, n);
        last = n;
        fs->f[n] = t;
        fs->have[n] = 1;
    }
    return 0;
}

static int neg_token_init(const struct tlv *wrapper, struct sspix_spnego_tok *out, struct why *w)
{
    struct tlv seq, types, t;
    struct fields fs;
    sspix_reader r;

    out->kind = SSPIX_SPNEGO_INIT;
    GUARD(der_only(wrapper, T_SEQUENCE, &seq, "NegTokenInit", w));
    GUARD(seq_fields(&seq, 4, &fs, "NegTokenInit", w));
    if (!fs.have[0])
        return refuse(w, "NegTokenInit without mechTypes");
    GUARD(der_only(&fs.f[0], T_SEQUENCE, &types, "mechTypes", w));
    sspix_reader_init(&r, types.v, types.len);
    while (sspix_reader_left(&r) > 0) {
        GUARD(der_want(&r, T_OID, &t, "mechTypes entry", w));
        GUARD(check_oid(&t, "mechTypes entry", w));
        if (out->mech_count++ == 0) {
            out->mech = t.v;
            out->mech_len = t.len;
        }
    }
    if (out->mech_count == 0)
        return refuse(w, "mechTypes is empty");
    if (fs.have[1]) {
        GUARD(der_only(&fs.f[1], T_BIT_STRING, &t, "reqFlags", w));
        if (t.len == 0 || t.v[0] > 7)
            return refuse(w, "reqFlags: malformed BIT STRING");
    }
    if (fs.have[2])
        GUARD(ctx_octets(&fs.f[2], &out->token, &out->token_len, "mechToken", w));
    if (fs.have[3]) {
        /* mechListMIC, or NegTokenInit2's negHints followed by [4] mechListMIC. */
        sspix_reader_init(&r, fs.f[3].v, fs.f[3].len);
        GUARD(der_next(&r, &t, "NegTokenInit field [3]", w));
        if (sspix_reader_left(&r) != 0)
            return refuse(w, "NegTokenInit field [3]: %zu bytes after it", sspix_reader_left(&r));
        if (t.tag == T_OCTETS) {
            if (fs.have[4])
                return refuse(w, "NegTokenInit has both a mechListMIC in [3] and a field [4]");
            out->mic = t.v;
            out->mic_len = t.len;
            out->has_mic = 1;
        } else if (t.tag != T_SEQUENCE) {
            return refuse(w, "NegTokenInit field [3]: identifier 0x%02x is neither mechListMIC nor negHints",
                          (unsigned)t.tag);
        }
    }
    if (fs.have[4]) {
        GUARD(ctx_octets(&fs.f[4], &out->mic, &out->mic_len, "mechListMIC", w));
        out->has_mic = 1;
    }
    return 0;
}

static int neg_token_resp(const struct tlv *wrapper, struct sspix_spnego_tok *out, struct why *w)
{
    struct tlv seq, t;
    struct fields fs;

    out->kind = SSPIX_SPNEGO_RESP;
    GUARD(der_only(wrapper, T_SEQUENCE, &seq, "NegTokenResp", w));
    GUARD(seq_fields(&seq, 3, &fs, "NegTokenResp", w));
    if (fs.have[0]) {
        GUARD(der_only(&fs.f[0], T_ENUMERATED, &t, "negState", w));
        if (t.len != 1 || t.v[0] > SSPIX_SPNEGO_REQUEST_MIC)
            return refuse(w, "negState: not one of the four RFC 4178 values");
        out->has_neg_state = 1;
        out->neg_state = t.v[0];
    }
    if (fs.have[1]) {
        GUARD(der_only(&fs.f[1], T_OID, &t, "supportedMech", w));
        GUARD(check_oid(&t, "supportedMech", w));
        out->mech = t.v;
        out->mech_len = t.len;
    }
    if (fs.have[2])
        GUARD(ctx_octets(&fs.f[2], &out->token, &out->token_len, "responseToken", w));
    if (fs.have[3]) {
        GUARD(ctx_octets(&fs.f[3], &out->mic, &out->mic_len, "mechListMIC", w));
        out->has_mic = 1;
    }
    return 0;
}

int sspix_spnego_parse(const uint8_t *p, size_t n, struct sspix_spnego_tok *out, char *why, size_t cap)
{
    struct why w = {why, cap};
    struct tlv outer, oid, inner;
    sspix_reader r;

    memset(out, 0, sizeof(*out));
    if (cap > 0)
        why[0] = '\0';
    sspix_reader_init(&r, p, n);
    GUARD(der_next(&r, &outer, "token", &w));
    if (sspix_reader_left(&r) != 0)
        return refuse(&w, "%zu bytes after the token's outermost element", sspix_reader_left(&r));
    switch (outer.tag) {
    case T_APP0:
        sspix_reader_init(&r, outer.v, outer.len);
        GUARD(der_want(&r, T_OID, &oid, "thisMech", &w));
        GUARD(check_oid(&oid, "thisMech", &w));
        if (!sspix_spnego_oid_eq(oid.v, oid.len, sspix_spnego_oid_spnego, sizeof(sspix_spnego_oid_spnego))) {
            out->kind = SSPIX_SPNEGO_OTHER;
            out->mech = oid.v;
            out->mech_len = oid.len;
            return 0; /* the inner token is that mechanism's */
        }
        GUARD(der_want(&r, T_CTX(0), &inner, "NegotiationToken", &w));
        if (sspix_reader_left(&r) != 0)
            return refuse(&w, "%zu bytes after the NegTokenInit", sspix_reader_left(&r));
        return neg_token_init(&inner, out, &w);
    case T_CTX(0): return neg_token_init(&outer, out, &w);
    case T_CTX(1): return neg_token_resp(&outer, out, &w);
    default:
        return refuse(&w, "identifier 0x%02x is not an SPNEGO token ([APPLICATION 0], [0] or [1])",
                      (unsigned)outer.tag);
    }
}
