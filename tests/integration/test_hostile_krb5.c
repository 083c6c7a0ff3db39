/* SPDX-License-Identifier: MIT */
/*
 * test_hostile_krb5.c - hostile per-message tokens and buffer layouts on
 * established Kerberos contexts (sspix at both ends, a real KDC).
 *
 * Every token is checked against its context's format before MIT krb5 sees
 * it; these inputs used to crash the process inside GSSAPI:
 *   - a 16-byte SECBUFFER_STREAM with an RFC 1964 token ID (01 01, 02 01,
 *     01 02) on an RFC 4121 context (SIGSEGV in gss_unwrap_iov);
 *   - VerifySignature with a 16-byte MIC, or with a SECBUFFER_STREAM (MIT
 *     assertions).
 * Also: the buffer layouts each call accepts, the direction flag (a token
 * reflected to its sender), a token of the wrong operation, and that none of
 * the refused inputs consumed a sequence number.
 *
 * `test_hostile_krb5` runs on the default realm: aes256-cts-hmac-sha1-96
 * (host/localhost) and aes256-cts-hmac-sha384-192 (sha2svc/localhost), both
 * packages, with and without mutual authentication, on the client's and the
 * server's context. `test_hostile_krb5 rc4` runs on a realm built with
 * SSPIX_REALM_RC4=1 (rc4svc/localhost: rc4-hmac session keys, RFC 4757
 * tokens, without mutual authentication): EncryptMessage needs a
 * SECBUFFER_PADDING buffer there and says so, and the same hostile inputs are
 * refused in RFC 1964 terms.
 */
#define SECURITY_WIN32
#include <security.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;

#define CHECK_MSG(needle)                                                                                              \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (strstr(sspix_last_error(), (needle)) == NULL) {                                                            \
            fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, sspix_last_error(),         \
                    (needle));                                                                                         \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

struct pair {
    CredHandle ccred, scred;
    struct hs hs;
    ULONG enctype;
    SecPkgContext_Sizes sizes;
};

static void establish(const char *pkg, const char *spn, int mutual, struct pair *p)
{
    ULONG isc = mutual ? HS_ISC_REQ : HS_ISC_REQ & ~(ULONG)ISC_REQ_MUTUAL_AUTH;
    memset(p, 0, sizeof(*p));
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &p->ccred, NULL),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &p->scred,
                                          NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &p->ccred, &p->scred, spn, isc, HS_ASC_REQ, &p->hs), SEC_E_OK);
    SecPkgContext_KeyInfoA ki;
    CHECK_SEC(t->QueryContextAttributes(&p->hs.client, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
    p->enctype = ki.EncryptAlgorithm;
    t->FreeContextBuffer(ki.sSignatureAlgorithmName);
    t->FreeContextBuffer(ki.sEncryptAlgorithmName);
    CHECK_SEC(t->QueryContextAttributes(&p->hs.client, SECPKG_ATTR_SIZES, &p->sizes), SEC_E_OK);
}

static void pair_free(struct pair *p)
{
    hs_free(t, &p->hs);
    CHECK_SEC(t->FreeCredentialsHandle(&p->ccred), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&p->scred), SEC_E_OK);
}

static SECURITY_STATUS decrypt_stream(CtxtHandle *h, unsigned char *p, ULONG n)
{
    SecBuffer b[2] = {{n, SECBUFFER_STREAM, p}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    return t->DecryptMessage(h, &d, 0, &qop);
}

static SECURITY_STATUS verify(CtxtHandle *h, unsigned char *sig, ULONG sig_len, const char *text)
{
    unsigned char data[64];
    size_t n = strlen(text);
    memcpy(data, text, n);
    SecBuffer b[2] = {{sig_len, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    return t->VerifySignature(h, &d, 0, &qop);
}

/* MakeSignature over text; returns the signature's length. */
static ULONG sign(CtxtHandle *h, const char *text, unsigned char *sig, ULONG cap)
{
    unsigned char data[64];
    size_t n = strlen(text);
    memcpy(data, text, n);
    SecBuffer b[2] = {{cap, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->MakeSignature(h, 0, &d, 0), SEC_E_OK);
    return b[0].cbBuffer;
}

/* EncryptMessage of text into out as TOKEN||DATA||PADDING; returns its length. */
static ULONG seal(CtxtHandle *h, ULONG qop, const char *text, unsigned char *out, const SecPkgContext_Sizes *sz)
{
    size_t n = strlen(text);
    unsigned char tok[256], data[64], pad[64];
    memcpy(data, text, n);
    CHECK(sz->cbSecurityTrailer <= sizeof(tok) && sz->cbBlockSize <= sizeof(pad));
    SecBuffer b[3] = {{sz->cbSecurityTrailer, SECBUFFER_TOKEN, tok},
                      {(ULONG)n, SECBUFFER_DATA, data},
                      {sz->cbBlockSize, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
    CHECK_SEC(t->EncryptMessage(h, qop, &d, 0), SEC_E_OK);
    memcpy(out, tok, b[0].cbBuffer);
    memcpy(out + b[0].cbBuffer, data, b[1].cbBuffer);
    memcpy(out + b[0].cbBuffer + b[1].cbBuffer, pad, b[2].cbBuffer);
    return b[0].cbBuffer + b[1].cbBuffer + b[2].cbBuffer;
}

/* The genuine message still goes through: refused input consumed nothing. */
static void check_still_works(CtxtHandle *from, CtxtHandle *to, const SecPkgContext_Sizes *sz)
{
    unsigned char buf[512], sig[128];
    ULONG n = seal(from, 0, "still in sequence", buf, sz);
    CHECK_SEC(decrypt_stream(to, buf, n), SEC_E_OK);
    ULONG s = sign(from, "signed", sig, sizeof(sig));
    CHECK_SEC(verify(to, sig, s, "signed"), SEC_E_OK);
}

/* The RFC 1964 token IDs that crashed gss_unwrap_iov on an RFC 4121 context. */
static const unsigned char v1_ids[3][2] = {{0x01, 0x01}, {0x02, 0x01}, {0x01, 0x02}};

/* Hostile input to `me`, whose genuine peer is `peer`. */
static void attack(struct pair *p, CtxtHandle *me, CtxtHandle *peer, int rc4)
{
    unsigned char buf[512], sig[128], data[64];
    ULONG qop;
    const ULONG mic_len = p->sizes.cbMaxSignature;

    /* 1. RFC 1964 token IDs in a SECBUFFER_STREAM (16 bytes and longer). */
    for (int i = 0; i < 3 && !rc4; i++) {
        for (ULONG len = 16; len <= 96; len += 80) {
            memset(buf, 0, sizeof(buf));
            memcpy(buf, v1_ids[i], 2);
            CHECK_SEC(decrypt_stream(me, buf, len), SEC_E_MESSAGE_ALTERED);
            CHECK_MSG("RFC 1964");
        }
    }
    /* ... and RFC 1964 framing on an RFC 4121 context, or the reverse. */
    memset(buf, 0, sizeof(buf));
    buf[0] = 0x60;
    buf[1] = 94;
    memcpy(buf + 2, "\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x02\x01", 13);
    if (!rc4) {
        CHECK_SEC(decrypt_stream(me, buf, 96), SEC_E_MESSAGE_ALTERED);
        CHECK_MSG("RFC 1964 framing");
    } else {
        memset(buf, 0, sizeof(buf));
        memcpy(buf, "\x05\x04\x06\xff", 4);
        CHECK_SEC(decrypt_stream(me, buf, 96), SEC_E_MESSAGE_ALTERED);
        CHECK_MSG("RFC 4121");
        memset(buf, 0, sizeof(buf));
        memcpy(buf, "\x02\x01\x11\x00\x10\x00\xff\xff", 8);
        CHECK_SEC(decrypt_stream(me, buf, 96), SEC_E_MESSAGE_ALTERED);
        CHECK_MSG("0x60");
    }

    /* 2. VerifySignature: a MIC cut to its 16-byte header, one byte too long,
     * and a MIC as a SECBUFFER_STREAM. */
    ULONG s = sign(peer, "signed", sig, sizeof(sig));
    CHECK(s <= mic_len); /* RFC 1964: cbMaxSignature also counts a confounder that MICs lack */
    CHECK_EQ_INT(s, rc4 ? 37 : mic_len);
    CHECK_SEC(verify(me, sig, 16, "signed"), SEC_E_MESSAGE_ALTERED);
    CHECK_MSG("exactly");
    CHECK_SEC(verify(me, sig, s + 1, "signed"), SEC_E_MESSAGE_ALTERED);
    CHECK_MSG("exactly");
    memcpy(data, "signed", 6);
    {
        SecBuffer b[2] = {{s, SECBUFFER_STREAM, sig}, {6, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->VerifySignature(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("SECBUFFER_STREAM");
    }
    {
        SecBuffer b[1] = {{s, SECBUFFER_STREAM, sig}};
        SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
        CHECK_SEC(t->VerifySignature(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
    }
    {
        unsigned char sig2[128];
        memcpy(sig2, sig, s);
        SecBuffer b[3] = {{s, SECBUFFER_TOKEN, sig}, {s, SECBUFFER_TOKEN, sig2}, {6, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_SEC(t->VerifySignature(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("one SECBUFFER_TOKEN");
    }
    {
        SecBuffer b[1] = {{6, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
        CHECK_SEC(t->VerifySignature(me, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    }
    /* a MIC where a wrap token belongs, and the reverse */
    memcpy(buf, sig, s);
    CHECK_SEC(decrypt_stream(me, buf, s), SEC_E_MESSAGE_ALTERED);
    CHECK_MSG("MIC token");
    ULONG w = seal(peer, KERB_WRAP_NO_ENCRYPT, "signed", buf, &p->sizes);
    CHECK_SEC(verify(me, buf, w, "signed"), SEC_E_MESSAGE_ALTERED);
    CHECK_MSG("wrap token");
    /* both were genuine and are still acceptable, in order: nothing above
     * consumed a sequence number */
    CHECK_SEC(verify(me, sig, s, "signed"), SEC_E_OK);
    CHECK_SEC(decrypt_stream(me, buf, w), SEC_E_OK);

    /* 3. DecryptMessage layouts. */
    ULONG n = seal(peer, 0, "layouts", buf, &p->sizes);
    {
        unsigned char d2[8];
        SecBuffer b[3] = {{n, SECBUFFER_STREAM, buf}, {0, SECBUFFER_DATA, NULL}, {sizeof(d2), SECBUFFER_DATA, d2}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_SEC(t->DecryptMessage(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("at most one SECBUFFER_DATA");
    }
    {
        SecBuffer b[3] = {{n, SECBUFFER_STREAM, buf}, {16, SECBUFFER_TOKEN, buf}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_SEC(t->DecryptMessage(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
    }
    {
        SecBuffer b[2] = {{n, SECBUFFER_STREAM, buf}, {n, SECBUFFER_STREAM, buf}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->DecryptMessage(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
    }
    {
        SecBuffer b[3] = {{16, SECBUFFER_TOKEN, buf}, {16, SECBUFFER_TOKEN, buf + 16}, {8, SECBUFFER_DATA, buf + 32}};
        SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
        CHECK_SEC(t->DecryptMessage(me, &d, 0, &qop), SEC_E_INVALID_PARAMETER);
    }
    {
        SecBuffer b[1] = {{n, SECBUFFER_DATA, buf}};
        SecBufferDesc d = {SECBUFFER_VERSION, 1, b};
        CHECK_SEC(t->DecryptMessage(me, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    }
    /* a cut STREAM is incomplete, however short */
    for (ULONG len = 0; len < 20; len++) {
        unsigned char copy[512];
        memcpy(copy, buf, n);
        CHECK_SEC(decrypt_stream(me, copy, len), SEC_E_INCOMPLETE_MESSAGE);
    }
    /* a token reflected to its own sender: the direction flag or SND_SEQ is wrong */
    {
        unsigned char own[512], copy[512];
        ULONG m = seal(me, 0, "reflected", own, &p->sizes);
        memcpy(copy, own, m); /* RFC 1964: the direction is in the encrypted SND_SEQ, decrypted in place */
        CHECK_SEC(decrypt_stream(me, copy, m), SEC_E_MESSAGE_ALTERED);
        if (!rc4)
            CHECK_MSG("SentByAcceptor");
        CHECK_SEC(decrypt_stream(peer, own, m), SEC_E_OK);
    }
    CHECK_SEC(decrypt_stream(me, buf, n), SEC_E_OK);

    /* 4. MakeSignature and EncryptMessage refuse a SECBUFFER_STREAM. */
    {
        SecBuffer b[2] = {{sizeof(sig), SECBUFFER_STREAM, sig}, {6, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->MakeSignature(me, 0, &d, 0), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("SECBUFFER_STREAM");
        CHECK_SEC(t->EncryptMessage(me, 0, &d, 0), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("SECBUFFER_STREAM");
    }
    check_still_works(peer, me, &p->sizes);
    check_still_works(me, peer, &p->sizes);
}

static void run(const char *pkg, const char *spn, int mutual, ULONG want_enctype, int rc4)
{
    struct pair p;
    establish(pkg, spn, mutual, &p);
    if (want_enctype != 0)
        CHECK_EQ_INT(p.enctype, want_enctype);
    attack(&p, &p.hs.client, &p.hs.server, rc4);
    attack(&p, &p.hs.server, &p.hs.client, rc4);
    pair_free(&p);
}

/* RC4-HMAC (RFC 4757): wrap tokens end with a padding byte after the data. */
static void run_rc4(void)
{
    struct pair p;
    ULONG qop = 99;
    establish("Kerberos", "rc4svc/localhost", 0, &p);
    CHECK_EQ_INT(p.enctype, 23);
    CHECK_EQ_INT(p.sizes.cbBlockSize, 1);
    for (int side = 0; side < 2; side++) {
        CtxtHandle *me = side ? &p.hs.server : &p.hs.client, *peer = side ? &p.hs.client : &p.hs.server;
        unsigned char tok[256], data[32], pad[8];
        memcpy(data, "greeting", 8);
        SecBuffer b[2] = {{sizeof(tok), SECBUFFER_TOKEN, tok}, {8, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->EncryptMessage(me, 0, &d, 0), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("rc4-hmac");
        CHECK_MSG("SECBUFFER_PADDING");
        /* with the padding buffer, both layouts decrypt at the peer */
        SecBuffer b3[3] = {{sizeof(tok), SECBUFFER_TOKEN, tok}, {8, SECBUFFER_DATA, data}, {1, SECBUFFER_PADDING, pad}};
        SecBufferDesc d3 = {SECBUFFER_VERSION, 3, b3};
        CHECK_SEC(t->EncryptMessage(me, 0, &d3, 0), SEC_E_OK);
        CHECK_EQ_INT(b3[2].cbBuffer, 1);
        CHECK_SEC(t->DecryptMessage(peer, &d3, 0, &qop), SEC_E_OK);
        CHECK(b3[1].cbBuffer == 8 && memcmp(b3[1].pvBuffer, "greeting", 8) == 0);
        CHECK_EQ_INT(b3[2].cbBuffer, 0);
        CHECK_EQ_INT(qop, 0);
        /* A SECBUFFER_PADDING longer than the message's padding (the last two
         * data bytes and the pad byte): refused, where MIT's unwrap would
         * abort the process on an assertion. */
        b3[0].cbBuffer = sizeof(tok);
        b3[1].cbBuffer = 8;
        b3[1].pvBuffer = data;
        b3[2].cbBuffer = 1;
        b3[2].pvBuffer = pad;
        memcpy(data, "greeting", 8);
        CHECK_SEC(t->EncryptMessage(me, 0, &d3, 0), SEC_E_OK);
        unsigned char body[9];
        memcpy(body, data, 8);
        body[8] = pad[0];
        b3[1].cbBuffer = 6;
        b3[1].pvBuffer = body;
        b3[2].cbBuffer = 3;
        b3[2].pvBuffer = body + 6;
        CHECK_SEC(t->DecryptMessage(peer, &d3, 0, &qop), SEC_E_INVALID_PARAMETER);
        CHECK_MSG("SECBUFFER_PADDING has 3 bytes but the message's padding is 1");
        unsigned char stream[512];
        ULONG n = seal(me, 0, "greeting", stream, &p.sizes);
        CHECK_EQ_INT(stream[0], 0x60);
        for (ULONG bit = 0; bit < n * 8; bit += 7) {
            unsigned char copy[512];
            memcpy(copy, stream, n);
            copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            SECURITY_STATUS st = decrypt_stream(peer, copy, n);
            /* a flipped framing length says the stream is longer or shorter */
            CHECK(st == SEC_E_MESSAGE_ALTERED || (bit / 8 == 1 && st == SEC_E_INCOMPLETE_MESSAGE));
        }
        for (ULONG len = 0; len < n; len++) {
            unsigned char copy[512];
            memcpy(copy, stream, n);
            CHECK_SEC(decrypt_stream(peer, copy, len), SEC_E_INCOMPLETE_MESSAGE);
        }
        CHECK_SEC(decrypt_stream(peer, stream, n), SEC_E_OK);
        n = seal(me, KERB_WRAP_NO_ENCRYPT, "greeting", stream, &p.sizes);
        SecBuffer sb[2] = {{n, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
        CHECK_SEC(t->DecryptMessage(peer, &sd, 0, &qop), SEC_E_OK);
        CHECK_EQ_INT(qop, KERB_WRAP_NO_ENCRYPT);
        CHECK(sb[1].cbBuffer == 8 && memcmp(sb[1].pvBuffer, "greeting", 8) == 0);
    }
    attack(&p, &p.hs.client, &p.hs.server, 1);
    attack(&p, &p.hs.server, &p.hs.client, 1);
    pair_free(&p);
}

int main(int argc, char **argv)
{
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    CHECK(t != NULL);
    if (argc > 1 && strcmp(argv[1], "rc4") == 0) {
        run_rc4();
        /* With mutual authentication MIT's acceptor negotiates a subkey from
         * the client's enctypes (RFC 4537), and the context moves to RFC 4121
         * tokens with it: the format follows the key, not the ticket. */
        run("Kerberos", "rc4svc/localhost", 1, 18, 0);
        CHECK_DONE("integration.hostile_krb5.rc4");
    }
    const char *pkgs[] = {"Kerberos", "Negotiate"};
    for (int i = 0; i < 2; i++) {
        run(pkgs[i], "host/localhost", 1, 18, 0);
        run(pkgs[i], "host/localhost", 0, 18, 0);
        run(pkgs[i], "sha2svc/localhost", 0, 20, 0); /* the ticket's aes256-sha384 session key */
        run(pkgs[i], "sha2svc/localhost", 1, 0, 0);  /* the acceptor's subkey */
    }
    CHECK_DONE("integration.hostile_krb5");
}
