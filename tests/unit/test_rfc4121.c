/* SPDX-License-Identifier: MIT */
/*
 * test_rfc4121.c - RFC 4121 per-message tokens on OpenSSL (src/packages/
 * rfc4121.c) without a KDC: the n-fold vectors of RFC 3961 A.1, the derived
 * keys of RFC 3961/3962 and RFC 8009 (Kc, Ke, Ki of usage 2), the CTS vectors
 * of RFC 3962 B and OpenSSL's own CS3 mode as a second oracle over scattered
 * buffers, then wrap/unwrap/MIC between two contexts with fixed keys: every
 * layout, every token rule, the sequence window, export and import.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/check.h"
#include "packages/rfc4121.h"

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = 0;
    for (; hex[0] != '\0'; hex += 2) {
        while (*hex == ' ')
            hex++;
        if (*hex == '\0')
            break;
        unsigned v;
        CHECK(sscanf(hex, "%2x", &v) == 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

#define CHECK_HEX(buf, len, hex)                                                                                       \
    do {                                                                                                               \
        uint8_t want_[256];                                                                                            \
        size_t wn_ = unhex((hex), want_);                                                                              \
        CHECK_EQ_INT((len), wn_);                                                                                      \
        CHECK(memcmp((buf), want_, wn_) == 0);                                                                         \
    } while (0)

static void test_nfold(void)
{
    static const struct {
        const char *in;
        size_t bits;
        const char *out;
    } v[] = {
        {"012345", 64, "be072631276b1955"},
        {"password", 56, "78a07b6caf85fa"},
        {"Rough Consensus, and Running Code", 64, "bb6ed30870b7f0e0"},
        {"password", 168, "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e"},
        {"MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192, "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b"},
        {"Q", 168, "518a54a215a8452a518a54a215a8452a518a54a215"},
        {"ba", 168, "fb25d531ae8974499f52fd92ea9857c4ba24cf297e"},
        {"kerberos", 64, "6b65726265726f73"},
        {"kerberos", 128, "6b65726265726f737b9b5b2b93132b93"},
        {"kerberos", 168, "8372c236344e5f1550cd0747e15d62ca7a5a3bcea4"},
        {"kerberos", 256, "6b65726265726f737b9b5b2b93132b935c9bdcdad95c9899c4cae4dee6d6cae4"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t out[64];
        sspix_rfc4121_nfold((const uint8_t *)v[i].in, strlen(v[i].in), out, v[i].bits / 8);
        CHECK_HEX(out, v[i].bits / 8, v[i].out);
    }
}

static void test_derive(void)
{
    static const struct {
        int32_t enctype;
        const char *base;
        uint8_t kind;
        const char *out;
    } v[] = {
        /* RFC 3962 keys as MIT's t_derive checks them (usage 2). */
        {17, "42263C6E89F4FC28B8DF68EE09799F15", 0x99, "34280A382BC92769B2DA2F9EF066854B"},
        {17, "42263C6E89F4FC28B8DF68EE09799F15", 0xAA, "5B14FC4E250E14DDF9DCCF1AF6674F53"},
        {17, "42263C6E89F4FC28B8DF68EE09799F15", 0x55, "4ED31063621684F09AE8D89991AF3E8F"},
        {18, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0x99,
         "BFAB388BDCB238E9F9C98D6A878304F04D30C82556375AC507A7A852790F4674"},
        {18, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0xAA,
         "C7CFD9CD75FE793A586A542D87E0D1396F1134A104BB1A9190B8C90ADA3DDF37"},
        {18, "FE697B52BC0D3CE14432BA036A92E65BBB52280990A2FA27883998D72AF30161", 0x55,
         "97151B4C76945063E2EB0529DC067D97D7BBA90776D8126D91F34F3101AEA8BA"},
        /* RFC 8009 appendix A. */
        {19, "3705D96080C17728A0E800EAB6E0D23C", 0x99, "B31A018A48F54776F403E9A396325DC3"},
        {19, "3705D96080C17728A0E800EAB6E0D23C", 0xAA, "9B197DD1E8C5609D6E67C3E37C62C72E"},
        {19, "3705D96080C17728A0E800EAB6E0D23C", 0x55, "9FDA0E56AB2D85E1569A688696C26A6C"},
        {20, "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52", 0x99,
         "EF5718BE86CC84963D8BBB5031E9F5C4BA41F28FAF69E73D"},
        {20, "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52", 0xAA,
         "56AB22BEE63D82D7BC5227F6773F8EA7A5EB1C825160C38312980C442E5C7E49"},
        {20, "6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52", 0x55,
         "69B16514E3CD8E56B82010D5C73012B622C4D00FFC23ED1F"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t base[32], out[32], c[5] = {0, 0, 0, 2, v[i].kind};
        size_t blen = unhex(v[i].base, base), olen = 0;
        CHECK_EQ_INT(sspix_rfc4121_derive(v[i].enctype, base, blen, c, out, &olen), 0);
        CHECK_HEX(out, olen, v[i].out);
    }
    uint8_t base[16] = {0}, out[32], c[5] = {0, 0, 0, 2, 0x99};
    size_t olen = 0;
    CHECK_EQ_INT(sspix_rfc4121_derive(23, base, 16, c, out, &olen), SSPIX_ERR_INVALID); /* rc4-hmac */
    CHECK_EQ_INT(sspix_rfc4121_derive(18, base, 16, c, out, &olen), SSPIX_ERR_INVALID); /* wrong length */
}

/* OpenSSL's AES-CBC-CTS in CS3, the Kerberos variant: a second oracle. */
static void openssl_cs3(const uint8_t *key, size_t key_len, const uint8_t *in, size_t len, uint8_t *out)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, key_len == 16 ? "AES-128-CBC-CTS" : "AES-256-CBC-CTS", NULL);
    CHECK(c != NULL);
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    uint8_t iv[16] = {0};
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("cts_mode", (char *)"CS3", 0), OSSL_PARAM_construct_end()};
    int outl = 0;
    CHECK(EVP_EncryptInit_ex2(x, c, key, iv, params) == 1);
    CHECK(EVP_EncryptUpdate(x, out, &outl, in, (int)len) == 1);
    CHECK_EQ_INT(outl, len);
    EVP_CIPHER_CTX_free(x);
    EVP_CIPHER_free(c);
}

static void test_cts(void)
{
    /* RFC 3962 appendix B: key "chicken teriyaki", IV 0. */
    const uint8_t *key = (const uint8_t *)"chicken teriyaki";
    const char *input = "I would like the General Gau's Chicken, please, and wonton soup.";
    static const struct {
        size_t len;
        const char *out;
    } v[] = {
        {17, "c6353568f2bf8cb4d8a580362da7ff7f97"},
        {31, "fc00783e0efdb2c1d445d4c8eff7ed2297687268d6ecccc0c07b25e25ecfe5"},
        {32, "39312523a78662d5be7fcbcc98ebf5a897687268d6ecccc0c07b25e25ecfe584"},
        {47, "97687268d6ecccc0c07b25e25ecfe584b3fffd940c16a18c1b5549d2f838029e39312523a78662d5be7fcbcc98ebf5"},
        {48, "97687268d6ecccc0c07b25e25ecfe5849dad8bbb96c4cdc03bc103e1a194bbd839312523a78662d5be7fcbcc98ebf5a8"},
        {64, "97687268d6ecccc0c07b25e25ecfe58439312523a78662d5be7fcbcc98ebf5a84807efe836ee89a526730dbc2f7bc840"
             "9dad8bbb96c4cdc03bc103e1a194bbd8"},
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        uint8_t buf[64];
        memcpy(buf, input, v[i].len);
        struct sspix_rfc4121_seg seg = {buf, v[i].len};
        CHECK_EQ_INT(sspix_rfc4121_cts(key, 16, 1, &seg, 1), 0);
        CHECK_HEX(buf, v[i].len, v[i].out);
        CHECK_EQ_INT(sspix_rfc4121_cts(key, 16, 0, &seg, 1), 0);
        CHECK(memcmp(buf, input, v[i].len) == 0);
    }
    /* Every length 16..100, split into three segments at every pair of points
     * (on a sample), against OpenSSL's CS3, both key sizes. */
    uint8_t k32[32], plain[100], want[100], buf[100];
    for (size_t i = 0; i < sizeof(k32); i++)
        k32[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(plain); i++)
        plain[i] = (uint8_t)(i * 13 + 5);
    for (size_t ks = 16; ks <= 32; ks += 16)
        for (size_t len = 16; len <= sizeof(plain); len++) {
            openssl_cs3(k32, ks, plain, len, want);
            for (size_t a = 0; a <= len; a += (len > 40 ? 3 : 1))
                for (size_t b = a; b <= len; b += (len > 40 ? 5 : 1)) {
                    memcpy(buf, plain, len);
                    struct sspix_rfc4121_seg segs[3] = {{buf, a}, {buf + a, b - a}, {buf + b, len - b}};
                    CHECK_EQ_INT(sspix_rfc4121_cts(k32, ks, 1, segs, 3), 0);
                    CHECK(memcmp(buf, want, len) == 0);
                    CHECK_EQ_INT(sspix_rfc4121_cts(k32, ks, 0, segs, 3), 0);
                    CHECK(memcmp(buf, plain, len) == 0);
                }
        }
    struct sspix_rfc4121_seg shortseg = {buf, 15};
    CHECK_EQ_INT(sspix_rfc4121_cts(k32, 16, 1, &shortseg, 1), SSPIX_ERR_INVALID);
}

/* ---- two ends with fixed keys ---------------------------------------------- */

struct pair {
    sspix_rfc4121 *ini, *acc;
};

static uint8_t key_a[32], key_b[32];

static struct pair make_pair(int32_t ctx_enctype, int32_t sub_enctype, uint32_t flags)
{
    size_t clen = ctx_enctype == 17 || ctx_enctype == 19 ? 16 : 32;
    size_t slen = sub_enctype == 17 || sub_enctype == 19 ? 16 : 32;
    struct sspix_rfc4121_params p = {
        .initiator = 1,
        .send_seq = 1000,
        .recv_seq = 5000,
        .have_acceptor_subkey = sub_enctype != 0,
        .ctx_key = {ctx_enctype, key_a, clen},
        .acceptor_subkey = {sub_enctype, key_b, slen},
        .gss_flags = flags,
    };
    struct pair pr;
    const char *why = NULL;
    CHECK_EQ_INT(sspix_rfc4121_new(&p, &pr.ini, &why), 0);
    p.initiator = 0;
    p.send_seq = 5000;
    p.recv_seq = 1000;
    CHECK_EQ_INT(sspix_rfc4121_new(&p, &pr.acc, &why), 0);
    return pr;
}

static void free_pair(struct pair *p)
{
    sspix_rfc4121_free(p->ini);
    sspix_rfc4121_free(p->acc);
}

#define IOV(t, p, l) ((gss_iov_buffer_desc){(t), {(l), (p)}})

/* Wrap msg in the stream layout (HEADER | DATA | TRAILER adjacent in buf). */
static size_t wrap_stream(sspix_rfc4121 *c, int conf, const uint8_t *msg, size_t len, uint8_t *buf)
{
    size_t h = sspix_rfc4121_header_len(c, conf), t = sspix_rfc4121_trailer_len(c, conf);
    memcpy(buf + h, msg, len);
    gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, buf, h), IOV(GSS_IOV_BUFFER_TYPE_DATA, buf + h, len),
                                  IOV(GSS_IOV_BUFFER_TYPE_TRAILER, buf + h + len, t)};
    int cs = -1;
    CHECK_EQ_INT(sspix_rfc4121_wrap(c, conf, 0, &cs, iov, 3), GSS_S_COMPLETE);
    CHECK_EQ_INT(cs, conf);
    return h + len + t;
}

static OM_uint32 unwrap_stream(sspix_rfc4121 *c, uint8_t *buf, size_t len, uint8_t **data, size_t *dlen, int *conf)
{
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf, len), IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
    OM_uint32 m = sspix_rfc4121_unwrap(c, conf, NULL, iov, 2);
    *data = iov[1].buffer.value;
    *dlen = iov[1].buffer.length;
    return m;
}

static void test_roundtrip(int32_t ce, int32_t se)
{
    struct pair p = make_pair(ce, se, GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
    static uint8_t msg[3000], buf[3200];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 31 + 7);
    for (int conf = 0; conf <= 1; conf++)
        for (size_t len = 0; len < 300; len += (len < 40 ? 1 : 37)) {
            /* initiator -> acceptor as a stream */
            size_t n = wrap_stream(p.ini, conf, msg, len, buf);
            CHECK_EQ_INT(buf[2] & SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR, 0);
            CHECK_EQ_INT((buf[2] & SSPIX_RFC4121_FLAG_ACCEPTOR_SUBKEY) != 0, se != 0);
            uint8_t *d;
            size_t dl;
            int cs = -1;
            CHECK_EQ_INT(unwrap_stream(p.acc, buf, n, &d, &dl, &cs), GSS_S_COMPLETE);
            CHECK_EQ_INT(dl, len);
            CHECK_EQ_INT(cs, conf);
            CHECK(len == 0 || memcmp(d, msg, len) == 0);
            /* the same token again: a replay */
            n = wrap_stream(p.acc, conf, msg, len, buf);
            CHECK_EQ_INT(buf[2] & SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR, SSPIX_RFC4121_FLAG_SENT_BY_ACCEPTOR);
            static uint8_t copy[3200];
            memcpy(copy, buf, n);
            CHECK_EQ_INT(unwrap_stream(p.ini, buf, n, &d, &dl, &cs), GSS_S_COMPLETE);
            CHECK_EQ_INT(unwrap_stream(p.ini, copy, n, &d, &dl, &cs), GSS_S_DUPLICATE_TOKEN);
            /* reflected back to its sender */
            n = wrap_stream(p.ini, conf, msg, len, buf);
            CHECK_EQ_INT(unwrap_stream(p.ini, buf, n, &d, &dl, &cs), GSS_S_BAD_SIG);
            CHECK(strstr(sspix_rfc4121_why(p.ini), "SentByAcceptor") != NULL);
            CHECK_EQ_INT(unwrap_stream(p.acc, buf, n, &d, &dl, &cs), GSS_S_COMPLETE);

            /* the Windows layout: TOKEN (header + rotated trailer) | DATA */
            uint8_t hdr[128];
            memcpy(buf, msg, len);
            gss_iov_buffer_desc w[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, sizeof(hdr)),
                                        IOV(GSS_IOV_BUFFER_TYPE_DATA, buf, len),
                                        IOV(GSS_IOV_BUFFER_TYPE_PADDING, NULL, 0)};
            CHECK_EQ_INT(sspix_rfc4121_wrap(p.acc, conf, 0, NULL, w, 3), GSS_S_COMPLETE);
            CHECK_EQ_INT(w[0].buffer.length,
                         sspix_rfc4121_header_len(p.acc, conf) + sspix_rfc4121_trailer_len(p.acc, conf));
            CHECK_EQ_INT(((size_t)hdr[6] << 8) | hdr[7], sspix_rfc4121_trailer_len(p.acc, conf));
            CHECK(conf || len == 0 || memcmp(buf, msg, len) == 0);
            CHECK_EQ_INT(sspix_rfc4121_unwrap(p.ini, &cs, NULL, w, 3), GSS_S_COMPLETE);
            CHECK(len == 0 || memcmp(buf, msg, len) == 0);
            /* the same token as one stream: header | data */
            CHECK_EQ_INT(sspix_rfc4121_wrap(p.acc, conf, 0, NULL, w, 3), GSS_S_COMPLETE);
            size_t hl = w[0].buffer.length;
            memmove(buf + hl, buf, len);
            memcpy(buf, hdr, hl);
            CHECK_EQ_INT(unwrap_stream(p.ini, buf, hl + len, &d, &dl, &cs), GSS_S_COMPLETE);
            CHECK_EQ_INT(dl, len);
            CHECK(len == 0 || memcmp(d, msg, len) == 0);

            /* every bit of a stream token flipped, and every truncation: refused */
            if (len == 0 || len == 17) {
                n = wrap_stream(p.ini, conf, msg, len, copy);
                for (size_t bit = 0; bit < n * 8; bit++) {
                    memcpy(buf, copy, n);
                    buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
                    OM_uint32 m = unwrap_stream(p.acc, buf, n, &d, &dl, &cs);
                    /* RRC is not protected (RFC 4121 4.2.5): a rotation by a
                     * multiple of the body's length is the same token, for MIT too. */
                    size_t rrc = ((size_t)copy[6] << 8 | copy[7]) ^ (bit / 8 == 6 ? 1u << (8 + bit % 8) : 0) ^
                                 (bit / 8 == 7 ? 1u << (bit % 8) : 0);
                    if ((bit / 8 == 6 || bit / 8 == 7) && rrc % (n - 16) == 0) {
                        CHECK_EQ_INT(m, GSS_S_COMPLETE);
                        memcpy(buf, copy, n);
                        n = wrap_stream(p.ini, conf, msg, len, copy); /* a fresh token for the rest */
                        continue;
                    }
                    CHECK(GSS_ERROR(m));
                }
                for (size_t cut = 0; cut < n; cut++) {
                    memcpy(buf, copy, n);
                    CHECK(GSS_ERROR(unwrap_stream(p.acc, buf, cut, &d, &dl, &cs)));
                }
                memcpy(buf, copy, n);
                CHECK_EQ_INT(unwrap_stream(p.acc, buf, n, &d, &dl, &cs), GSS_S_COMPLETE);
            }
        }

    /* MIC over scattered DATA and SIGN_ONLY buffers */
    uint8_t mic[64];
    gss_iov_buffer_desc m[4] = {
        IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, 100), IOV(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, msg + 100, 9),
        IOV(GSS_IOV_BUFFER_TYPE_DATA, msg + 109, 0), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, 64)};
    CHECK_EQ_INT(sspix_rfc4121_get_mic(p.ini, 0, m, 4), GSS_S_COMPLETE);
    CHECK_EQ_INT(m[3].buffer.length, sspix_rfc4121_mic_len(p.ini));
    uint8_t good[64];
    size_t ml = m[3].buffer.length;
    memcpy(good, mic, ml);
    for (size_t bit = 0; bit < ml * 8; bit++) {
        memcpy(mic, good, ml);
        mic[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(GSS_ERROR(sspix_rfc4121_verify_mic(p.acc, NULL, m, 4)));
    }
    for (size_t cut = 0; cut < ml; cut++) {
        memcpy(mic, good, ml);
        m[3].buffer.length = cut;
        CHECK(GSS_ERROR(sspix_rfc4121_verify_mic(p.acc, NULL, m, 4)));
    }
    memcpy(mic, good, ml);
    m[3].buffer.length = ml;
    msg[100] ^= 1; /* a SIGN_ONLY byte is signed */
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 4), GSS_S_BAD_SIG);
    msg[100] ^= 1;
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 4), GSS_S_COMPLETE);
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 4), GSS_S_DUPLICATE_TOKEN);
    free_pair(&p);
}

static void fill_msg(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* Token rules on hand-edited tokens. */
static void test_rules(void)
{
    struct pair p = make_pair(18, 18, GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG);
    uint8_t msg[40] = "sixteen bytes!!", buf[200], copy[200], *d;
    size_t dl, n = wrap_stream(p.ini, 1, msg, sizeof(msg), copy);
    int cs;
#define EXPECT(edit, want, needle)                                                                                     \
    do {                                                                                                               \
        memcpy(buf, copy, n);                                                                                          \
        edit;                                                                                                          \
        CHECK_EQ_INT(unwrap_stream(p.acc, buf, n, &d, &dl, &cs), (want));                                              \
        CHECK(strstr(sspix_rfc4121_why(p.acc), (needle)) != NULL);                                                     \
    } while (0)
    EXPECT(buf[0] = 0x04, GSS_S_DEFECTIVE_TOKEN, "token ID");
    EXPECT(buf[1] = 0x05, GSS_S_DEFECTIVE_TOKEN, "token ID");
    EXPECT(buf[3] = 0xFE, GSS_S_DEFECTIVE_TOKEN, "filler");
    EXPECT(buf[2] |= 1, GSS_S_BAD_SIG, "SentByAcceptor");
    EXPECT(buf[4] = 1, GSS_S_DEFECTIVE_TOKEN, "shorter");       /* EC larger than the token's room */
    EXPECT(buf[5] = 1, GSS_S_DEFECTIVE_TOKEN, "copy");          /* EC moves the header copy */
    EXPECT(buf[2] &= (uint8_t)~2, GSS_S_DEFECTIVE_TOKEN, "EC"); /* Sealed cleared: EC is not a checksum length */
    EXPECT(buf[2] &= (uint8_t)~4, GSS_S_BAD_SIG, "integrity");  /* the other key */
    EXPECT(buf[20] ^= 1, GSS_S_BAD_SIG, "integrity");
    EXPECT(buf[n - 1] ^= 1, GSS_S_BAD_SIG, "integrity");
    EXPECT(buf[15] ^= 1, GSS_S_DEFECTIVE_TOKEN, "copy"); /* SND_SEQ differs from the encrypted copy */
    /* RRC rotation of the stream layout (as Windows sends: RRC = 28) */
    memcpy(buf, copy, n);
    {
        size_t body = n - 16, rrc = 28;
        uint8_t tmp[200];
        for (size_t i = 0; i < body; i++)
            tmp[(i + rrc) % body] = buf[16 + i];
        memcpy(buf + 16, tmp, body);
        buf[6] = 0, buf[7] = (uint8_t)rrc;
        CHECK_EQ_INT(unwrap_stream(p.acc, buf, n, &d, &dl, &cs), GSS_S_COMPLETE);
        CHECK(memcmp(d, msg, sizeof(msg)) == 0);
    }
    /* any RRC in a stream, rotated in place (small and large rotations) */
    {
        static uint8_t big[2100], rot[2100], tmp[2100];
        static const size_t rrcs[] = {0, 5, 28, 255, 256, 300, 1999, 2076, 65535};
        fill_msg(big, 2000);
        for (size_t i = 0; i < sizeof(rrcs) / sizeof(rrcs[0]); i++) {
            size_t tn = wrap_stream(p.ini, i & 1, big, 2000, rot), body = tn - 16, r = rrcs[i] % body;
            for (size_t j = 0; j < body; j++)
                tmp[(j + r) % body] = rot[16 + j];
            memcpy(rot + 16, tmp, body);
            rot[6] = (uint8_t)(rrcs[i] >> 8), rot[7] = (uint8_t)rrcs[i];
            CHECK_EQ_INT(unwrap_stream(p.acc, rot, tn, &d, &dl, &cs), GSS_S_COMPLETE);
            CHECK_EQ_INT(dl, 2000);
            CHECK(memcmp(d, big, 2000) == 0);
        }
    }
    /* the Windows layout wants RRC to be exactly the trailer length */
    uint8_t hdr[128];
    memcpy(buf, msg, sizeof(msg));
    gss_iov_buffer_desc w[2] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, sizeof(hdr)),
                                IOV(GSS_IOV_BUFFER_TYPE_DATA, buf, sizeof(msg))};
    CHECK_EQ_INT(sspix_rfc4121_wrap(p.ini, 1, 0, NULL, w, 2), GSS_S_COMPLETE);
    CHECK_EQ_INT(hdr[7], 28);
    hdr[7] = 0;
    CHECK_EQ_INT(sspix_rfc4121_unwrap(p.acc, NULL, NULL, w, 2), GSS_S_DEFECTIVE_TOKEN);
    CHECK(strstr(sspix_rfc4121_why(p.acc), "RRC") != NULL);
    hdr[7] = 28;
    w[0].buffer.length--;
    CHECK_EQ_INT(sspix_rfc4121_unwrap(p.acc, NULL, NULL, w, 2), GSS_S_BAD_SIG);
    w[0].buffer.length++;
    uint8_t pad = 0;
    gss_iov_buffer_desc w3[3] = {w[0], w[1], IOV(GSS_IOV_BUFFER_TYPE_PADDING, &pad, 1)};
    CHECK_EQ_INT(sspix_rfc4121_unwrap(p.acc, NULL, NULL, w3, 3), GSS_S_DEFECTIVE_TOKEN);
    CHECK_EQ_INT(sspix_rfc4121_unwrap(p.acc, NULL, NULL, w, 2), GSS_S_COMPLETE);
    /* QOP */
    CHECK_EQ_INT(sspix_rfc4121_wrap(p.ini, 1, 1, NULL, w, 2), GSS_S_BAD_QOP);
    /* conf with only SIGN_ONLY buffers is integrity only, as in MIT */
    gss_iov_buffer_desc so[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, sizeof(hdr)),
                                 IOV(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, msg, 10)};
    int conf_state = -1;
    CHECK_EQ_INT(sspix_rfc4121_wrap(p.ini, 1, 0, &conf_state, so, 2), GSS_S_COMPLETE);
    CHECK_EQ_INT(conf_state, 0);
    CHECK_EQ_INT(hdr[2] & SSPIX_RFC4121_FLAG_SEALED, 0);
    /* a MIC token whose EC/RRC filler is not 0xFF */
    uint8_t mic[64];
    gss_iov_buffer_desc m[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, 5), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, 64)};
    CHECK_EQ_INT(sspix_rfc4121_get_mic(p.ini, 0, m, 2), GSS_S_COMPLETE);
    mic[5] = 0;
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 2), GSS_S_DEFECTIVE_TOKEN);
    mic[0] = 5, mic[5] = 0xFF;
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 2), GSS_S_DEFECTIVE_TOKEN);
    free_pair(&p);
#undef EXPECT
}

/* The sequence window against MIT's g_seqstate rules. */
static void test_sequence(void)
{
    static const struct {
        uint32_t flags;
        int order[8];
        OM_uint32 want[8];
    } v[] = {
        {GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG,
         {0, 2, 1, 1, 3, 3, -1},
         {GSS_S_COMPLETE, GSS_S_GAP_TOKEN, GSS_S_UNSEQ_TOKEN, GSS_S_DUPLICATE_TOKEN, GSS_S_COMPLETE,
          GSS_S_DUPLICATE_TOKEN}},
        {GSS_C_REPLAY_FLAG, {0, 2, 1, 1, 3, -1}, {0, 0, 0, GSS_S_DUPLICATE_TOKEN, 0}},
        {GSS_C_SEQUENCE_FLAG, {0, 2, 1, 1, 3, -1}, {0, GSS_S_GAP_TOKEN, GSS_S_UNSEQ_TOKEN, GSS_S_UNSEQ_TOKEN, 0}},
        {0, {0, 2, 1, 1, 3, -1}, {0, 0, 0, 0, 0}},
    };
    for (size_t t = 0; t < sizeof(v) / sizeof(v[0]); t++) {
        struct pair p = make_pair(17, 0, v[t].flags);
        uint8_t toks[4][64], mic_msg[1] = {'x'};
        for (int i = 0; i < 4; i++) {
            gss_iov_buffer_desc m[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, mic_msg, 1),
                                        IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[i], 64)};
            CHECK_EQ_INT(sspix_rfc4121_get_mic(p.ini, 0, m, 2), GSS_S_COMPLETE);
        }
        for (int i = 0; v[t].order[i] >= 0; i++) {
            gss_iov_buffer_desc m[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, mic_msg, 1),
                                        IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[v[t].order[i]], 28)};
            CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, m, 2), v[t].want[i]);
        }
        free_pair(&p);
    }
    /* 65 behind the newest is too old for the window */
    struct pair p = make_pair(17, 0, GSS_C_REPLAY_FLAG);
    static uint8_t toks[70][28];
    uint8_t x[1] = {'x'};
    for (int i = 0; i < 70; i++) {
        gss_iov_buffer_desc m[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, x, 1),
                                    IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[i], 28)};
        CHECK_EQ_INT(sspix_rfc4121_get_mic(p.ini, 0, m, 2), GSS_S_COMPLETE);
    }
    gss_iov_buffer_desc last[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, x, 1),
                                   IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[69], 28)};
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, last, 2), GSS_S_COMPLETE);
    gss_iov_buffer_desc old[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, x, 1), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[5], 28)};
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, old, 2), GSS_S_OLD_TOKEN);
    gss_iov_buffer_desc in[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, x, 1), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[6], 28)};
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, in, 2), GSS_S_COMPLETE);
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(p.acc, NULL, in, 2), GSS_S_DUPLICATE_TOKEN);

    /* export and import keep keys, role and window */
    sspix_writer w;
    sspix_writer_init_heap(&w, 4096);
    CHECK_EQ_INT(sspix_rfc4121_export(p.acc, &w), 0);
    uint8_t *blob;
    size_t blen;
    CHECK_EQ_INT(sspix_writer_take(&w, &blob, &blen), 0);
    for (size_t cut = 0; cut < blen; cut++) {
        sspix_reader r;
        sspix_rfc4121 *bad = NULL;
        sspix_reader_init(&r, blob, cut);
        CHECK(sspix_rfc4121_import(&r, &bad, NULL) < 0);
        CHECK(bad == NULL);
    }
    sspix_reader r;
    sspix_rfc4121 *acc2 = NULL;
    sspix_reader_init(&r, blob, blen);
    CHECK_EQ_INT(sspix_rfc4121_import(&r, &acc2, NULL), 0);
    CHECK_EQ_INT(sspix_reader_left(&r), 0);
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(acc2, NULL, in, 2), GSS_S_DUPLICATE_TOKEN);
    gss_iov_buffer_desc nxt[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, x, 1), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, toks[7], 28)};
    CHECK_EQ_INT(sspix_rfc4121_verify_mic(acc2, NULL, nxt, 2), GSS_S_COMPLETE);
    OPENSSL_cleanse(blob, blen);
    free(blob);
    sspix_rfc4121_free(acc2);
    free_pair(&p);
}

static void test_params(void)
{
    struct sspix_rfc4121_params p = {.initiator = 1, .ctx_key = {23, key_a, 16}};
    sspix_rfc4121 *c = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(sspix_rfc4121_new(&p, &c, &why), SSPIX_ERR_INVALID);
    CHECK(strstr(why, "enctype") != NULL);
    p.ctx_key = (struct sspix_rfc4121_key){18, key_a, 16};
    CHECK_EQ_INT(sspix_rfc4121_new(&p, &c, &why), SSPIX_ERR_INVALID);
    CHECK(strstr(why, "length") != NULL);
    CHECK(!sspix_rfc4121_supported(23) && sspix_rfc4121_supported(20));
    sspix_rfc4121_free(NULL);
}

int main(void)
{
    for (size_t i = 0; i < 32; i++)
        key_a[i] = (uint8_t)(0x11 * i + 3), key_b[i] = (uint8_t)(0x5B ^ (i * 3));
    test_nfold();
    test_derive();
    test_cts();
    test_params();
    static const int32_t enctypes[] = {17, 18, 19, 20};
    for (int i = 0; i < 4; i++) {
        test_roundtrip(enctypes[i], 0);
        test_roundtrip(enctypes[i], enctypes[i]);
    }
    test_roundtrip(20, 19); /* the context key and the acceptor subkey of different enctypes */
    test_rules();
    test_sequence();
    CHECK_DONE("test_rfc4121");
    return 0;
}
