/* SPDX-License-Identifier: MIT */
/*
 * test_krb5_token.c - the Kerberos per-message token validator
 * (src/packages/krb5_token.c), without a KDC: tokens laid out by hand from
 * RFC 4121 section 4.2.6 and RFC 1964 section 1.2 / RFC 4757 section 7.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/guard.h"
#include "packages/krb5_token.h"

static char why[256];

#define CHECK_RC(expr, want)                                                                                           \
    do {                                                                                                               \
        int rc_ = (expr);                                                                                              \
        check_count++;                                                                                                 \
        if (rc_ != (want)) {                                                                                           \
            fprintf(stderr, "%s:%d: %s returned %d, expected %d (%s)\n", __FILE__, __LINE__, #expr, rc_, (want), why); \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_WHY(needle)                                                                                              \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (strstr(why, (needle)) == NULL) {                                                                           \
            fprintf(stderr, "%s:%d: reason \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, why, (needle));                 \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static struct sspix_krb5_format fmt(int enctype, int initiator, int mutual)
{
    struct sspix_krb5_format f;
    CHECK_EQ_INT(sspix_krb5_format_init(&f, enctype, initiator, mutual), 0);
    return f;
}

/* An RFC 4121 header: TOK_ID, flags, filler, EC, RRC, SND_SEQ 1. */
static void cfx_header(unsigned char *p, unsigned id, unsigned flags, unsigned ec, unsigned rrc)
{
    memset(p, 0, 16);
    p[0] = (unsigned char)(id >> 8);
    p[1] = (unsigned char)id;
    p[2] = (unsigned char)flags;
    p[3] = 0xff;
    if (id == 0x0404) {
        memset(p + 3, 0xff, 5);
    } else {
        p[4] = (unsigned char)(ec >> 8);
        p[5] = (unsigned char)ec;
        p[6] = (unsigned char)(rrc >> 8);
        p[7] = (unsigned char)rrc;
    }
    p[15] = 1;
}

static void test_formats(void)
{
    struct sspix_krb5_format f;
    CHECK_EQ_INT(sspix_krb5_format_init(&f, 1, 0, 0), SSPIX_ERR_INVALID); /* single DES: gone from MIT */
    CHECK_EQ_INT(sspix_krb5_format_init(&f, 999, 0, 0), SSPIX_ERR_INVALID);
    CHECK_STR(sspix_krb5_enctype_name(999), "unknown");
    f = fmt(18, 1, 1);
    CHECK(f.proto == SSPIX_KRB5_CFX && f.cksum == 12 && f.confounder == 16 && f.subkey == SSPIX_KRB5_SUBKEY_MAYBE);
    CHECK_EQ_INT(sspix_krb5_mic_size(&f), 28);
    f = fmt(17, 0, 1);
    CHECK(f.cksum == 12 && f.subkey == SSPIX_KRB5_SUBKEY_YES);
    f = fmt(19, 0, 0);
    CHECK(f.cksum == 16 && f.subkey == SSPIX_KRB5_SUBKEY_NO);
    f = fmt(20, 1, 0);
    CHECK(f.cksum == 24 && f.subkey == SSPIX_KRB5_SUBKEY_NO);
    CHECK_EQ_INT(sspix_krb5_mic_size(&f), 40);
    f = fmt(26, 0, 0);
    CHECK(f.proto == SSPIX_KRB5_CFX && f.cksum == 16);
    f = fmt(23, 0, 1);
    CHECK(f.proto == SSPIX_KRB5_RFC1964 && f.cksum == 8 && f.confounder == 8 && f.sgn_alg == 0x11 &&
          f.seal_alg == 0x10 && f.pad_block == 1 && f.subkey == SSPIX_KRB5_SUBKEY_NO);
    CHECK_EQ_INT(sspix_krb5_mic_size(&f), 37);
    CHECK_STR(sspix_krb5_enctype_name(23), "rc4-hmac");
    f = fmt(16, 1, 0);
    CHECK(f.proto == SSPIX_KRB5_RFC1964 && f.cksum == 20 && f.sgn_alg == 4 && f.seal_alg == 2 && f.pad_block == 8);
    CHECK_EQ_INT(sspix_krb5_mic_size(&f), 49);
}

/* A sealed aes256-sha1 token from the acceptor, as gss_wrap makes it (RRC 0):
 * header, confounder 16, data n, E(header) 16, HMAC 12. */
static size_t cfx_sealed(unsigned char *p, size_t n, unsigned flags)
{
    cfx_header(p, 0x0504, flags, 0, 0);
    memset(p + 16, 0xab, 16 + n + 16 + 12);
    return 16 + 16 + n + 16 + 12;
}

static void test_cfx_wrap_stream(void)
{
    struct sspix_krb5_format ini = fmt(18, 1, 0), acc = fmt(18, 0, 0);
    struct sspix_krb5_wrap_info info;
    unsigned char tok[256];
    size_t len = cfx_sealed(tok, 20, 0x03);

    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, tok, len, &info, why, sizeof(why)), 0);
    CHECK(info.sealed == 1 && info.ec == 0 && info.rrc == 0);
    /* every prefix shorter than the least sealed token (60) is incomplete; the rest parse */
    for (size_t n = 0; n <= len; n++)
        CHECK_RC(sspix_krb5_check_wrap_stream(&ini, tok, n, NULL, why, sizeof(why)), n < 60 ? SSPIX_ERR_SHORT : 0);
    /* the direction: from the initiator's own pen, this token is refused by it */
    CHECK_RC(sspix_krb5_check_wrap_stream(&acc, tok, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("SentByAcceptor");

    /* RFC 1964 token IDs and framing on an RFC 4121 context, even when short */
    static const unsigned ids[] = {0x0101, 0x0201, 0x0102, 0x0404, 0x0405, 0x0000, 0xffff};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        unsigned char bad[16] = {0};
        bad[0] = (unsigned char)(ids[i] >> 8);
        bad[1] = (unsigned char)ids[i];
        for (size_t n = 2; n <= 16; n++)
            CHECK_RC(sspix_krb5_check_wrap_stream(&ini, bad, n, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
        CHECK_WHY("token ID");
    }
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, (const unsigned char *)"\x01", 1, NULL, why, sizeof(why)),
             SSPIX_ERR_INVALID);
    unsigned char framed[16] = {0x60, 0x0e, 0x06, 0x09};
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, framed, 16, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("RFC 1964 framing");

    /* filler, flags */
    unsigned char c[256];
    memcpy(c, tok, len);
    c[3] = 0xfe;
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("filler");
    memcpy(c, tok, len);
    c[2] |= 0x04; /* AcceptorSubkey without mutual authentication */
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("AcceptorSubkey");
    struct sspix_krb5_format ini_mutual = fmt(18, 1, 1), acc_mutual = fmt(18, 0, 1);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini_mutual, c, len, NULL, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini_mutual, tok, len, NULL, why, sizeof(why)), 0); /* maybe: either */
    c[2] = 0x06; /* from the initiator, with the subkey: what MIT's acceptor expects */
    CHECK_RC(sspix_krb5_check_wrap_stream(&acc_mutual, c, len, NULL, why, sizeof(why)), 0);
    c[2] = 0x02;
    CHECK_RC(sspix_krb5_check_wrap_stream(&acc_mutual, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("AcceptorSubkey");
    memcpy(c, tok, len);
    c[2] |= 0xf8; /* reserved bits are ignored */
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), 0);

    /* EC and RRC against the length */
    memcpy(c, tok, len);
    c[5] = (unsigned char)(len - 60);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, &info, why, sizeof(why)), 0);
    CHECK_EQ_INT(info.ec, len - 60);
    c[5]++;
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("EC");
    c[4] = 0xff;
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    memcpy(c, tok, len);
    c[7] = (unsigned char)(len - 16);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), 0);
    c[7]++;
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("RRC");

    /* integrity only: header, data, checksum; EC is the checksum length */
    cfx_header(c, 0x0504, 0x01, 12, 0);
    memset(c + 16, 0xcd, 12);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, 28, &info, why, sizeof(why)), 0);
    CHECK_EQ_INT(info.sealed, 0);
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, 27, NULL, why, sizeof(why)), SSPIX_ERR_SHORT);
    CHECK_WHY("read the rest");
    c[5] = 0;
    CHECK_RC(sspix_krb5_check_wrap_stream(&ini, c, 28, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("EC");

    /* aes256-sha384: 24-byte checksum, least sealed token 72 */
    struct sspix_krb5_format sha2 = fmt(20, 1, 0);
    cfx_header(c, 0x0504, 0x03, 0, 0);
    CHECK_RC(sspix_krb5_check_wrap_stream(&sha2, c, 71, NULL, why, sizeof(why)), SSPIX_ERR_SHORT);
    CHECK_RC(sspix_krb5_check_wrap_stream(&sha2, c, 72, NULL, why, sizeof(why)), 0);
}

static void test_cfx_wrap_split(void)
{
    struct sspix_krb5_format acc = fmt(18, 0, 1), sha2 = fmt(20, 0, 0);
    unsigned char h[128];
    /* Windows' layout: 60-byte TOKEN, RRC 28 (E(header) 16 + HMAC 12) */
    cfx_header(h, 0x0504, 0x06, 0, 28);
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 60, 20, NULL, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 60, 0, NULL, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 59, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 61, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    for (size_t n = 0; n < 16; n++)
        CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, n, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    h[7] = 0; /* not rotated: the trailer would be missing */
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 60, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("RRC");
    cfx_header(h, 0x0504, 0x06, 4, 32); /* with EC 4 the header grows by 4 */
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 64, 20, NULL, why, sizeof(why)), 0);
    cfx_header(h, 0x0504, 0x04, 12, 12); /* integrity only: header + HMAC */
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 28, 20, NULL, why, sizeof(why)), 0);
    h[5] = 11;
    CHECK_RC(sspix_krb5_check_wrap_split(&acc, h, 28, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    cfx_header(h, 0x0504, 0x02, 0, 40); /* aes256-sha384: 72 bytes, RRC 40 */
    CHECK_RC(sspix_krb5_check_wrap_split(&sha2, h, 72, 5, NULL, why, sizeof(why)), 0);
    cfx_header(h, 0x0101, 0x02, 0, 40);
    CHECK_RC(sspix_krb5_check_wrap_split(&sha2, h, 72, 5, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("RFC 1964");
}

static void test_cfx_mic(void)
{
    struct sspix_krb5_format ini = fmt(18, 1, 1), sha2 = fmt(20, 0, 0);
    unsigned char m[64];
    cfx_header(m, 0x0404, 0x05, 0, 0);
    memset(m + 16, 0x11, 24);
    CHECK_RC(sspix_krb5_check_mic(&ini, m, 28, why, sizeof(why)), 0);
    /* exactly 28: the 16-byte header alone (what tripped MIT's assertion) or any other size is refused */
    for (size_t n = 0; n < 40; n++)
        if (n != 28)
            CHECK_RC(sspix_krb5_check_mic(&ini, m, n, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_RC(sspix_krb5_check_mic(&ini, m, 16, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("exactly 28");
    for (int i = 3; i < 8; i++) {
        m[i] = 0;
        CHECK_RC(sspix_krb5_check_mic(&ini, m, 28, why, sizeof(why)), SSPIX_ERR_INVALID);
        CHECK_WHY("filler");
        m[i] = 0xff;
    }
    m[2] |= 0x02;
    CHECK_RC(sspix_krb5_check_mic(&ini, m, 28, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("Sealed");
    m[2] = 0x04; /* from the initiator: wrong direction for an initiator's context */
    CHECK_RC(sspix_krb5_check_mic(&ini, m, 28, why, sizeof(why)), SSPIX_ERR_INVALID);
    cfx_header(m, 0x0504, 0x05, 0, 0);
    CHECK_RC(sspix_krb5_check_mic(&ini, m, 28, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("wrap token");
    cfx_header(m, 0x0404, 0x00, 0, 0);
    CHECK_RC(sspix_krb5_check_mic(&sha2, m, 40, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_mic(&sha2, m, 28, why, sizeof(why)), SSPIX_ERR_INVALID);
}

/* An RFC 1964 token with the krb5 OID: framing, then body (TOK_ID onwards). */
static size_t v1_frame(unsigned char *p, const unsigned char *body, size_t body_len)
{
    static const unsigned char oid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    size_t inner = sizeof(oid) + body_len, at = 0;
    p[at++] = 0x60;
    if (inner < 0x80) {
        p[at++] = (unsigned char)inner;
    } else if (inner < 0x100) {
        p[at++] = 0x81;
        p[at++] = (unsigned char)inner;
    } else {
        p[at++] = 0x82;
        p[at++] = (unsigned char)(inner >> 8);
        p[at++] = (unsigned char)inner;
    }
    memcpy(p + at, oid, sizeof(oid));
    memcpy(p + at + sizeof(oid), body, body_len);
    return at + inner;
}

/* RC4 wrap body: TOK_ID 02 01, SGN_ALG 11 00, SEAL_ALG, filler, SND_SEQ 8,
 * SGN_CKSUM 8, confounder 8, data n, one pad byte. */
static size_t rc4_wrap_body(unsigned char *b, size_t n, unsigned seal)
{
    memcpy(b, "\x02\x01\x11\x00", 4);
    b[4] = (unsigned char)seal;
    b[5] = (unsigned char)(seal >> 8);
    b[6] = b[7] = 0xff;
    memset(b + 8, 0x5a, 8 + 8 + 8 + n);
    b[32 + n] = 1;
    return 32 + n + 1;
}

static void test_rfc1964(void)
{
    struct sspix_krb5_format rc4 = fmt(23, 1, 1), des3 = fmt(16, 0, 0);
    struct sspix_krb5_wrap_info info;
    unsigned char body[512], tok[600], c[600];
    size_t len = v1_frame(tok, body, rc4_wrap_body(body, 20, 0x0010));

    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len, &info, why, sizeof(why)), 0);
    CHECK_EQ_INT(info.sealed, 1);
    for (size_t n = 0; n < len; n++)
        CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, n, NULL, why, sizeof(why)), SSPIX_ERR_SHORT);
    memcpy(c, tok, len);
    c[len] = 0;
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, c, len + 1, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("follow");
    /* no framing (MIT would take it: RFC 1964 requires it) */
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, body, 53, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("0x60");
    /* an RFC 4121 token on an RFC 1964 context */
    unsigned char cfx[60];
    cfx_header(cfx, 0x0504, 0x03, 0, 0);
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, cfx, 60, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("RFC 4121");
    /* each fixed field */
    static const struct {
        size_t at;
        unsigned char v;
        const char *why;
    } flips[] = {{2, 0x07, "OID"},       {4, 0x2b, "Kerberos"}, {13, 0x01, "token ID"}, {15, 0x04, "SGN_ALG"},
                 {17, 0x02, "SEAL_ALG"}, {19, 0x00, "filler"},  {20, 0xfe, "filler"}};
    for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
        memcpy(c, tok, len);
        c[flips[i].at] = flips[i].v;
        CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    }
    /* integrity only */
    len = v1_frame(tok, body, rc4_wrap_body(body, 20, 0xffff));
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len, &info, why, sizeof(why)), 0);
    CHECK_EQ_INT(info.sealed, 0);
    /* a framing length too short for the fixed fields, and one with no pad byte */
    len = v1_frame(tok, body, 32);
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    /* long-form DER lengths */
    len = v1_frame(tok, body, rc4_wrap_body(body, 200, 0x0010));
    CHECK_EQ_INT(tok[1], 0x81);
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len, NULL, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len - 1, NULL, why, sizeof(why)), SSPIX_ERR_SHORT);
    len = v1_frame(tok, body, rc4_wrap_body(body, 400, 0x0010));
    CHECK_EQ_INT(tok[1], 0x82);
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, tok, len, NULL, why, sizeof(why)), 0);
    memcpy(c, tok, len);
    c[1] = 0x85;
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    c[1] = 0x80;
    CHECK_RC(sspix_krb5_check_wrap_stream(&rc4, c, len, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);

    /* split: the 45-byte header in TOKEN, data and padding after it */
    len = v1_frame(tok, body, rc4_wrap_body(body, 20, 0x0010));
    CHECK_RC(sspix_krb5_check_wrap_split(&rc4, tok, 45, 21, NULL, why, sizeof(why)), 0);
    CHECK_RC(sspix_krb5_check_wrap_split(&rc4, tok, 45, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_RC(sspix_krb5_check_wrap_split(&rc4, tok, 46, 20, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_RC(sspix_krb5_check_wrap_split(&rc4, tok, 44, 22, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    for (size_t n = 0; n < 45; n++)
        CHECK_RC(sspix_krb5_check_wrap_split(&rc4, tok, n, 21, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);

    /* MIC: TOK_ID 01 01, SGN_ALG, filler FF FF FF FF, SND_SEQ 8, SGN_CKSUM 8: 37 bytes */
    unsigned char mb[] = {0x01, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
                          5,    6,    7,    8,    1,    2,    3,    4,    5, 6, 7, 8};
    len = v1_frame(tok, mb, sizeof(mb));
    CHECK_EQ_INT(len, 37);
    CHECK_RC(sspix_krb5_check_mic(&rc4, tok, len, why, sizeof(why)), 0);
    for (size_t n = 0; n < 40; n++)
        if (n != 37)
            CHECK_RC(sspix_krb5_check_mic(&rc4, tok, n, why, sizeof(why)), SSPIX_ERR_INVALID);
    memcpy(c, tok, len);
    c[17] = 0x10; /* SEAL_ALG in a MIC */
    CHECK_RC(sspix_krb5_check_mic(&rc4, c, len, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("filler");
    len = v1_frame(tok, body, rc4_wrap_body(body, 0, 0xffff));
    CHECK_RC(sspix_krb5_check_mic(&rc4, tok, len, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("wrap token");

    /* DES3: 20-byte checksum, 8-byte blocks */
    unsigned char d[80];
    memcpy(d, "\x02\x01\x04\x00\x02\x00\xff\xff", 8);
    memset(d + 8, 0, 8 + 20 + 8 + 16);
    size_t dl = v1_frame(tok, d, 8 + 8 + 20 + 8 + 16);
    CHECK_RC(sspix_krb5_check_wrap_stream(&des3, tok, dl, NULL, why, sizeof(why)), 0);
    dl = v1_frame(tok, d, 8 + 8 + 20 + 8 + 15);
    CHECK_RC(sspix_krb5_check_wrap_stream(&des3, tok, dl, NULL, why, sizeof(why)), SSPIX_ERR_INVALID);
    CHECK_WHY("8-byte blocks");
}

static void test_reason_buffer(void)
{
    struct sspix_krb5_format f = fmt(18, 1, 0);
    char small[8];
    CHECK_EQ_INT(sspix_krb5_check_mic(&f, (const unsigned char *)"x", 1, NULL, 0), SSPIX_ERR_INVALID);
    CHECK_EQ_INT(sspix_krb5_check_mic(&f, (const unsigned char *)"x", 1, small, sizeof(small)), SSPIX_ERR_INVALID);
    CHECK(strlen(small) == sizeof(small) - 1);
    CHECK_EQ_INT(sspix_krb5_check_wrap_stream(&f, NULL, 0, NULL, small, sizeof(small)), SSPIX_ERR_SHORT);
}

int main(void)
{
    test_formats();
    test_cfx_wrap_stream();
    test_cfx_wrap_split();
    test_cfx_mic();
    test_rfc1964();
    test_reason_buffer();
    CHECK_DONE("unit.krb5_token");
}
