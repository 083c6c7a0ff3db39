/* SPDX-License-Identifier: MIT */
/*
 * test_spnego_tok.c - the SPNEGO token reader (src/packages/spnego_tok.c):
 * the tokens MIT and Windows send are read with their mechanism and inner
 * token; malformed DER is refused with a reason; every truncation of a valid
 * token is refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/der.h"
#include "packages/spnego_tok.h"

#define CHECK_REFUSED(p, n, reason)                                                                                    \
    do {                                                                                                               \
        struct sspix_spnego_tok t_;                                                                                    \
        char why_[200];                                                                                                \
        int rc_ = sspix_spnego_parse((p), (n), &t_, why_, sizeof(why_));                                               \
        check_count++;                                                                                                 \
        if (rc_ != SSPIX_ERR_INVALID || strstr(why_, (reason)) == NULL) {                                              \
            fprintf(stderr, "%s:%d: expected refusal containing \"%s\", got rc %d \"%s\"\n", __FILE__, __LINE__,       \
                    (reason), rc_, why_);                                                                              \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static const uint8_t ntlm_msg[] = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0, 1, 0, 0, 0, 0xaa, 0xbb};

/* InitialContextToken with mechTypes {ntlm?, krb5}, a mechToken, and
 * optionally a mechListMIC in [3]. */
static size_t make_init(uint8_t *out, int ntlm_first, int with_token, int with_mic)
{
    struct der types = {.n = 0}, seq = {.n = 0}, f0 = {.n = 0}, body = {.n = 0}, neg = {.n = 0}, app = {.n = 0},
               tok = {.n = 0};
    if (ntlm_first)
        der_append_bytes(&types, 0x06, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
    der_append_bytes(&types, 0x06, sspix_spnego_oid_krb5, sizeof(sspix_spnego_oid_krb5));
    if (!ntlm_first)
        der_append_bytes(&types, 0x06, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
    der_append(&seq, 0x30, &types);
    der_append(&f0, 0xa0, &seq);
    der_put(&body, f0.b, f0.n);
    if (with_token) {
        der_append_bytes(&tok, 0x04, ntlm_msg, sizeof(ntlm_msg));
        der_append(&body, 0xa2, &tok);
    }
    if (with_mic) {
        struct der mic = {.n = 0};
        der_append_bytes(&mic, 0x04, "0123456789abcdef", 16);
        der_append(&body, 0xa3, &mic);
    }
    struct der s = {.n = 0};
    der_append(&s, 0x30, &body);
    der_append(&neg, 0xa0, &s);
    der_put(&app, "\x06\x06\x2b\x06\x01\x05\x05\x02", 8);
    der_put(&app, neg.b, neg.n);
    struct der whole = {.n = 0};
    der_append(&whole, 0x60, &app);
    memcpy(out, whole.b, whole.n);
    return whole.n;
}

/* NegTokenResp: negState, supportedMech NTLM, responseToken, mechListMIC. */
static size_t make_resp(uint8_t *out, int state, int mech, size_t tok_len, size_t mic_len)
{
    struct der body = {.n = 0}, x = {.n = 0};
    if (state >= 0) {
        uint8_t e = (uint8_t)state;
        der_append_bytes(&x, 0x0a, &e, 1);
        der_append(&body, 0xa0, &x);
    }
    if (mech) {
        x.n = 0;
        der_append_bytes(&x, 0x06, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
        der_append(&body, 0xa1, &x);
    }
    if (tok_len) {
        uint8_t t[400];
        memset(t, 0x42, sizeof(t));
        memcpy(t, ntlm_msg, sizeof(ntlm_msg));
        x.n = 0;
        der_append_bytes(&x, 0x04, t, tok_len);
        der_append(&body, 0xa2, &x);
    }
    if (mic_len) {
        uint8_t m[64] = {0};
        x.n = 0;
        der_append_bytes(&x, 0x04, m, mic_len);
        der_append(&body, 0xa3, &x);
    }
    struct der s = {.n = 0}, whole = {.n = 0};
    der_append(&s, 0x30, &body);
    der_append(&whole, 0xa1, &s);
    memcpy(out, whole.b, whole.n);
    return whole.n;
}

static void all_truncations_refused(const uint8_t *p, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct sspix_spnego_tok t;
        check_count++;
        if (sspix_spnego_parse(p, k, &t, NULL, 0) != SSPIX_ERR_INVALID) {
            fprintf(stderr, "token cut to %zu of %zu bytes was accepted\n", k, n);
            exit(1);
        }
    }
}

static void test_init(void)
{
    uint8_t t[512];
    struct sspix_spnego_tok tok;
    char why[200];

    /* Windows' first token (Kerberos, MS-Kerberos, NTLM; no mechToken). */
    static const uint8_t windows[] = {
        0x60, 0x32, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x28, 0x30, 0x26, 0xa0, 0x24, 0x30, 0x22,
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7,
        0x12, 0x01, 0x02, 0x02, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
    };
    CHECK(sspix_spnego_parse(windows, sizeof(windows), &tok, why, sizeof(why)) == 0);
    CHECK(tok.kind == SSPIX_SPNEGO_INIT && tok.mech_count == 3 && tok.token == NULL && !tok.has_mic);
    CHECK(sspix_spnego_oid_eq(tok.mech, tok.mech_len, sspix_spnego_oid_krb5, sizeof(sspix_spnego_oid_krb5)));
    all_truncations_refused(windows, sizeof(windows));

    size_t n = make_init(t, 1, 1, 0);
    CHECK(sspix_spnego_parse(t, n, &tok, why, sizeof(why)) == 0);
    CHECK(tok.kind == SSPIX_SPNEGO_INIT && tok.mech_count == 2);
    CHECK(sspix_spnego_oid_eq(tok.mech, tok.mech_len, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm)));
    CHECK(tok.token_len == sizeof(ntlm_msg) && memcmp(tok.token, ntlm_msg, sizeof(ntlm_msg)) == 0);
    all_truncations_refused(t, n);
    n = make_init(t, 0, 1, 1);
    CHECK(sspix_spnego_parse(t, n, &tok, why, sizeof(why)) == 0);
    CHECK(tok.has_mic && tok.mic_len == 16 && tok.token != NULL);

    /* Bytes after the token, and inside the framing. */
    n = make_init(t, 1, 1, 0);
    t[n] = 0;
    CHECK_REFUSED(t, n + 1, "1 bytes after the token's outermost element");
    /* A bare NegTokenInit is accepted too (MIT accepts both). */
    CHECK(sspix_spnego_parse(t + 10, n - 10, &tok, why, sizeof(why)) == 0 && tok.kind == SSPIX_SPNEGO_INIT);

    /* Another mechanism's token: only the framing and OID are read. */
    static const uint8_t krb5_apreq[] = {0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                         0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00};
    CHECK(sspix_spnego_parse(krb5_apreq, sizeof(krb5_apreq), &tok, why, sizeof(why)) == 0);
    CHECK(tok.kind == SSPIX_SPNEGO_OTHER &&
          sspix_spnego_oid_eq(tok.mech, tok.mech_len, sspix_spnego_oid_krb5, sizeof(sspix_spnego_oid_krb5)));

    /* DER violations. */
    static const uint8_t indefinite[] = {0x60, 0x80, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0x00, 0x00};
    CHECK_REFUSED(indefinite, sizeof(indefinite), "indefinite length");
    static const uint8_t long_len[] = {0x60, 0x85, 0x00, 0x00, 0x00, 0x00, 0x08};
    CHECK_REFUSED(long_len, sizeof(long_len), "5 length octets");
    static const uint8_t huge[] = {0x60, 0x84, 0xff, 0xff, 0xff, 0xff, 0x06};
    CHECK_REFUSED(huge, sizeof(huge), "4294967295 content bytes claimed, 1 present");
    static const uint8_t high_tag[] = {0x7f, 0x01, 0x00};
    CHECK_REFUSED(high_tag, sizeof(high_tag), "high-tag-number");
    static const uint8_t other[] = {0x30, 0x00};
    CHECK_REFUSED(other, sizeof(other), "identifier 0x30 is not an SPNEGO token");
    static const uint8_t no_oid[] = {0x60, 0x02, 0x04, 0x00};
    CHECK_REFUSED(no_oid, sizeof(no_oid), "thisMech: identifier 0x04, expected 0x06");
    static const uint8_t bad_oid[] = {0x60, 0x04, 0x06, 0x02, 0x2b, 0x86};
    CHECK_REFUSED(bad_oid, sizeof(bad_oid), "OID ends inside a subidentifier");
    static const uint8_t pad_oid[] = {0x60, 0x05, 0x06, 0x03, 0x2b, 0x80, 0x01};
    CHECK_REFUSED(pad_oid, sizeof(pad_oid), "leading 0x80");
    static const uint8_t empty_oid[] = {0x60, 0x02, 0x06, 0x00};
    CHECK_REFUSED(empty_oid, sizeof(empty_oid), "OID of 0 bytes");
    /* SPNEGO OID followed by something other than [0]. */
    static const uint8_t not_init[] = {0x60, 0x0a, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa1, 0x00};
    CHECK_REFUSED(not_init, sizeof(not_init), "NegotiationToken: identifier 0xa1, expected 0xa0");
    /* Empty mechTypes, no mechTypes, fields out of order, a repeated field,
     * a field the grammar lacks, a constructed OCTET STRING. */
    static const uint8_t empty_types[] = {0xa0, 0x06, 0x30, 0x04, 0xa0, 0x02, 0x30, 0x00};
    CHECK_REFUSED(empty_types, sizeof(empty_types), "mechTypes is empty");
    static const uint8_t no_types[] = {0xa0, 0x06, 0x30, 0x04, 0xa2, 0x02, 0x04, 0x00};
    CHECK_REFUSED(no_types, sizeof(no_types), "NegTokenInit without mechTypes");
    static const uint8_t order[] = {0xa0, 0x12, 0x30, 0x10, 0xa2, 0x02, 0x04, 0x00, 0xa0, 0x0a,
                                    0x30, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    CHECK_REFUSED(order, sizeof(order), "field [0] out of order or repeated");
    static const uint8_t extra[] = {0xa0, 0x12, 0x30, 0x10, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06,
                                    0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa7, 0x02, 0x04, 0x00};
    CHECK_REFUSED(extra, sizeof(extra), "unexpected field with identifier 0xa7");
    static const uint8_t cons[] = {0xa0, 0x14, 0x30, 0x12, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x2b,
                                   0x06, 0x01, 0x05, 0x05, 0x02, 0xa2, 0x04, 0x24, 0x02, 0x04, 0x00};
    CHECK_REFUSED(cons, sizeof(cons), "mechToken: identifier 0x24, expected 0x04");
    static const uint8_t trailing[] = {0xa0, 0x12, 0x30, 0x10, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x2b,
                                       0x06, 0x01, 0x05, 0x05, 0x02, 0xa2, 0x02, 0x04, 0x00, 0x00};
    CHECK_REFUSED(trailing, sizeof(trailing), "bytes after");
    static const uint8_t inner_trailing[] = {0xa0, 0x14, 0x30, 0x12, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x2b,
                                             0x06, 0x01, 0x05, 0x05, 0x02, 0xa2, 0x04, 0x04, 0x00, 0x05, 0x00};
    CHECK_REFUSED(inner_trailing, sizeof(inner_trailing), "mechToken: 2 bytes after it");
    /* NegTokenInit2: negHints in [3], the MIC in [4]. */
    static const uint8_t init2[] = {0xa0, 0x1a, 0x30, 0x18, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05,
                                    0x05, 0x02, 0xa3, 0x04, 0x30, 0x02, 0xa0, 0x00, 0xa4, 0x04, 0x04, 0x02, 0x01, 0x02};
    CHECK(sspix_spnego_parse(init2, sizeof(init2), &tok, why, sizeof(why)) == 0);
    CHECK(tok.has_mic && tok.mic_len == 2);
    static const uint8_t bad_flags[] = {0xa0, 0x12, 0x30, 0x10, 0xa0, 0x0a, 0x30, 0x08, 0x06, 0x06,
                                        0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa1, 0x02, 0x03, 0x00};
    CHECK_REFUSED(bad_flags, sizeof(bad_flags), "reqFlags: malformed BIT STRING");
}

static void test_resp(void)
{
    uint8_t t[1024];
    struct sspix_spnego_tok tok;
    char why[200];

    /* A server's first reply: accept-incomplete, NTLM, its CHALLENGE; and a
     * long one (two length octets). */
    size_t n = make_resp(t, 1, 1, 40, 0);
    CHECK(sspix_spnego_parse(t, n, &tok, why, sizeof(why)) == 0);
    CHECK(tok.kind == SSPIX_SPNEGO_RESP && tok.has_neg_state && tok.neg_state == SSPIX_SPNEGO_ACCEPT_INCOMPLETE);
    CHECK(sspix_spnego_oid_eq(tok.mech, tok.mech_len, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm)));
    CHECK(tok.token_len == 40 && !tok.has_mic);
    all_truncations_refused(t, n);
    n = make_resp(t, -1, 0, 300, 16);
    CHECK(sspix_spnego_parse(t, n, &tok, why, sizeof(why)) == 0);
    CHECK(!tok.has_neg_state && tok.mech == NULL && tok.token_len == 300 && tok.has_mic && tok.mic_len == 16);
    all_truncations_refused(t, n);
    /* accept-complete with only a MIC */
    n = make_resp(t, 0, 0, 0, 16);
    CHECK(sspix_spnego_parse(t, n, &tok, why, sizeof(why)) == 0 && tok.token == NULL && tok.mic_len == 16);
    /* empty NegTokenResp: legal DER, nothing in it */
    static const uint8_t empty[] = {0xa1, 0x02, 0x30, 0x00};
    CHECK(sspix_spnego_parse(empty, sizeof(empty), &tok, why, sizeof(why)) == 0 && tok.kind == SSPIX_SPNEGO_RESP);

    n = make_resp(t, 4, 1, 20, 0);
    CHECK_REFUSED(t, n, "negState: not one of the four RFC 4178 values");
    static const uint8_t state_len[] = {0xa1, 0x08, 0x30, 0x06, 0xa0, 0x04, 0x0a, 0x01, 0x00, 0x00};
    CHECK_REFUSED(state_len, sizeof(state_len), "negState: 1 bytes after it");
    static const uint8_t state_type[] = {0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x00};
    CHECK_REFUSED(state_type, sizeof(state_type), "negState: identifier 0x02, expected 0x0a");
    static const uint8_t mech_type[] = {0xa1, 0x07, 0x30, 0x05, 0xa1, 0x03, 0x04, 0x01, 0x00};
    CHECK_REFUSED(mech_type, sizeof(mech_type), "supportedMech: identifier 0x04, expected 0x06");
    static const uint8_t four[] = {0xa1, 0x06, 0x30, 0x04, 0xa4, 0x02, 0x04, 0x00};
    CHECK_REFUSED(four, sizeof(four), "unexpected field with identifier 0xa4");
    static const uint8_t twice[] = {0xa1, 0x0a, 0x30, 0x08, 0xa2, 0x02, 0x04, 0x00, 0xa2, 0x02, 0x04, 0x00};
    CHECK_REFUSED(twice, sizeof(twice), "field [2] out of order or repeated");
    static const uint8_t not_seq[] = {0xa1, 0x02, 0x31, 0x00};
    CHECK_REFUSED(not_seq, sizeof(not_seq), "NegTokenResp: identifier 0x31, expected 0x30");
    static const uint8_t two_seq[] = {0xa1, 0x04, 0x30, 0x00, 0x30, 0x00};
    CHECK_REFUSED(two_seq, sizeof(two_seq), "NegTokenResp: 2 bytes after it");
    /* a length running past its parent (but not past the whole token) */
    static const uint8_t past[] = {0xa1, 0x06, 0x30, 0x04, 0xa2, 0x03, 0x04, 0x01};
    CHECK_REFUSED(past, sizeof(past), "content bytes claimed");
}

int main(void)
{
    test_init();
    test_resp();
    CHECK(sspix_spnego_oid_eq(sspix_spnego_oid_ntlm, 10, sspix_spnego_oid_ntlm, 10));
    CHECK(!sspix_spnego_oid_eq(NULL, 0, sspix_spnego_oid_ntlm, 0));
    CHECK_DONE("unit.spnego_tok");
}
