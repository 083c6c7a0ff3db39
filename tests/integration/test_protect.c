/* SPDX-License-Identifier: MIT */
/*
 * test_protect.c - message protection (EncryptMessage, DecryptMessage,
 * MakeSignature, VerifySignature) cross-checked against an independent
 * implementation: the other end of every context is driven with raw MIT
 * GSSAPI calls in this file, never with sspix.
 *
 * For both aes256 enctypes of the throwaway realm (host/localhost:
 * aes256-cts-hmac-sha1-96; sha2svc/localhost: aes256-cts-hmac-sha384-192) and
 * both packages, with sspix as the server and as the client:
 *   - our EncryptMessage -> raw gss_unwrap of TOKEN||DATA||PADDING, with the
 *     RFC 4121 byte facts of TOKEN (token id, flags, filler, EC, RRC, length)
 *     computed from the RFC and checked against gss_wrap_iov_length;
 *   - raw gss_wrap -> our DecryptMessage(STREAM) and raw gss_wrap_iov ->
 *     DecryptMessage(TOKEN, DATA);
 *   - MakeSignature -> raw gss_verify_mic and raw gss_get_mic -> VerifySignature;
 *   - KERB_WRAP_NO_ENCRYPT both ways; every flipped bit; replay and reordering;
 *     truncated streams; SIZES / STREAM_SIZES / KEY_INFO.
 */
#define SECURITY_WIN32
#include <security.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;

static gss_OID_desc mech_krb5 = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc mech_spnego = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

#define GSS_FLAGS (GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG)

/* One context: sspix at one end, raw GSSAPI at the other. */
struct pair {
    CredHandle cred;
    CtxtHandle ours;
    gss_ctx_id_t raw;
    int sspix_server;
};

#define GSS_OK(call)                                                                                                   \
    do {                                                                                                               \
        OM_uint32 maj_ = (call);                                                                                       \
        check_count++;                                                                                                 \
        if (GSS_ERROR(maj_)) {                                                                                         \
            fprintf(stderr, "%s:%d: %s failed: major 0x%x\n", __FILE__, __LINE__, #call, (unsigned)maj_);              \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static void establish(const char *pkg, const char *host_service, const char *spn, int sspix_server, int mutual,
                      struct pair *p)
{
    const OM_uint32 gss_flags = mutual ? GSS_FLAGS : GSS_FLAGS & ~(OM_uint32)GSS_C_MUTUAL_FLAG;
    const ULONG isc_flags = mutual ? HS_ISC_REQ : HS_ISC_REQ & ~(ULONG)ISC_REQ_MUTUAL_AUTH;
    OM_uint32 major, minor;
    gss_name_t target = GSS_C_NO_NAME;
    unsigned char buf[65536];
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    int have_ctx = 0;
    memset(p, 0, sizeof(*p));
    p->raw = GSS_C_NO_CONTEXT;
    p->sspix_server = sspix_server;
    gss_OID raw_mech = strcmp(pkg, "Negotiate") == 0 ? &mech_spnego : &mech_krb5;

    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg,
                                          sspix_server ? SECPKG_CRED_INBOUND : SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                          NULL, &p->cred, NULL),
              SEC_E_OK);
    if (sspix_server) {
        gss_buffer_desc tn = {strlen(host_service), (void *)host_service};
        GSS_OK(gss_import_name(&minor, &tn, GSS_C_NT_HOSTBASED_SERVICE, &target));
        int raw_done = 0, ours_done = 0;
        for (int round = 0; round < 6 && !(raw_done && ours_done); round++) {
            if (!raw_done) {
                major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &p->raw, target, raw_mech, gss_flags, 0,
                                             GSS_C_NO_CHANNEL_BINDINGS, in.length ? &in : GSS_C_NO_BUFFER, NULL, &out,
                                             NULL, NULL);
                GSS_OK(major);
                raw_done = major == GSS_S_COMPLETE;
            }
            if (out.length == 0)
                break;
            SecBuffer ib = {(ULONG)out.length, SECBUFFER_TOKEN, out.value}, ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
            SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
            ULONG attrs;
            SECURITY_STATUS st = t->AcceptSecurityContext(&p->cred, have_ctx ? &p->ours : NULL, &id, HS_ASC_REQ,
                                                          SECURITY_NATIVE_DREP, &p->ours, &od, &attrs, NULL);
            gss_release_buffer(&minor, &out);
            CHECK(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED);
            have_ctx = 1;
            ours_done = st == SEC_E_OK;
            if (ours_done) {
                CHECK(attrs & ASC_RET_REPLAY_DETECT);
                CHECK(attrs & ASC_RET_SEQUENCE_DETECT);
            }
            in.value = buf;
            in.length = ob.cbBuffer;
            if (in.length == 0)
                break;
        }
        /* the last token (AP-REP) for the raw client */
        if (!raw_done) {
            major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &p->raw, target, raw_mech, gss_flags, 0,
                                         GSS_C_NO_CHANNEL_BINDINGS, &in, NULL, &out, NULL, NULL);
            GSS_OK(major);
            CHECK(major == GSS_S_COMPLETE);
            gss_release_buffer(&minor, &out);
        }
        gss_release_name(&minor, &target);
    } else {
        int ours_done = 0, raw_done = 0;
        ULONG attrs;
        SecBuffer ob = {sizeof(buf), SECBUFFER_TOKEN, buf};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st = t->InitializeSecurityContext(&p->cred, NULL, (SEC_CHAR *)spn, isc_flags, 0,
                                                          SECURITY_NATIVE_DREP, NULL, 0, &p->ours, &od, &attrs, NULL);
        CHECK(st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK);
        ours_done = st == SEC_E_OK;
        while (!(ours_done && raw_done)) {
            if (ob.cbBuffer > 0) {
                gss_buffer_desc tok = {ob.cbBuffer, buf};
                major = gss_accept_sec_context(&minor, &p->raw, GSS_C_NO_CREDENTIAL, &tok, GSS_C_NO_CHANNEL_BINDINGS,
                                               NULL, NULL, &out, NULL, NULL, NULL);
                GSS_OK(major);
                raw_done = major == GSS_S_COMPLETE;
            }
            if (ours_done)
                break;
            SecBuffer ib = {(ULONG)out.length, SECBUFFER_TOKEN, out.value};
            SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
            ob.cbBuffer = sizeof(buf);
            st = t->InitializeSecurityContext(&p->cred, &p->ours, (SEC_CHAR *)spn, isc_flags, 0, SECURITY_NATIVE_DREP,
                                              &id, 0, &p->ours, &od, &attrs, NULL);
            gss_release_buffer(&minor, &out);
            CHECK(st == SEC_I_CONTINUE_NEEDED || st == SEC_E_OK);
            ours_done = st == SEC_E_OK;
        }
        gss_release_buffer(&minor, &out);
        CHECK(raw_done && ours_done);
        CHECK(mutual ? (attrs & ISC_RET_MUTUAL_AUTH) != 0 : (attrs & ISC_RET_MUTUAL_AUTH) == 0);
    }
}

static void pair_free(struct pair *p)
{
    OM_uint32 minor;
    CHECK_SEC(t->DeleteSecurityContext(&p->ours), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&p->cred), SEC_E_OK);
    gss_delete_sec_context(&minor, &p->raw, GSS_C_NO_BUFFER);
}

static int raw_enctype(gss_ctx_id_t ctx);

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Our EncryptMessage -> raw gss_unwrap, with the byte facts of TOKEN. */
static void check_encrypt(struct pair *p, unsigned cksum)
{
    OM_uint32 minor;
    const unsigned want_token = 16 + 16 + cksum + 16, want_rrc = 16 + cksum;
    SecPkgContext_Sizes sizes;
    SecPkgContext_StreamSizes ss;
    SecPkgContext_KeyInfoA ki;

    CHECK_SEC(t->QueryContextAttributes(&p->ours, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_EQ_INT(sizes.cbSecurityTrailer, want_token);
    CHECK_EQ_INT(sizes.cbMaxSignature, 16 + cksum);
    CHECK_EQ_INT(sizes.cbBlockSize, 1);
    CHECK(sizes.cbMaxToken >= 48000);
    CHECK_SEC(t->QueryContextAttributes(&p->ours, SECPKG_ATTR_STREAM_SIZES, &ss), SEC_E_OK);
    CHECK_EQ_INT(ss.cbHeader, want_token);
    CHECK_EQ_INT(ss.cbTrailer, 0);
    CHECK_EQ_INT(ss.cbBlockSize, 1);
    CHECK_SEC(t->QueryContextAttributes(&p->ours, SECPKG_ATTR_KEY_INFO, &ki), SEC_E_OK);
    CHECK_EQ_INT(ki.KeySize, 256);
    CHECK_EQ_INT(ki.EncryptAlgorithm, raw_enctype(p->raw));
    CHECK(strstr(ki.sEncryptAlgorithmName, cksum == 12 ? "SHA1" : "SHA384") != NULL);
    t->FreeContextBuffer(ki.sSignatureAlgorithmName);
    t->FreeContextBuffer(ki.sEncryptAlgorithmName);

    /* The raw implementation's own numbers agree with the RFC arithmetic. */
    gss_iov_buffer_desc iov[3] = {{GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_DATA, {25, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}}};
    GSS_OK(gss_wrap_iov_length(&minor, p->raw, 1, GSS_C_QOP_DEFAULT, NULL, iov, 3));
    CHECK_EQ_INT(iov[0].buffer.length, want_token);
    CHECK_EQ_INT(iov[2].buffer.length, 0);

    for (int with_padding = 0; with_padding < 2; with_padding++) {
        const char *text = with_padding ? "TOKEN+DATA+PADDING through sspix" : "a message through sspix";
        size_t n = strlen(text);
        unsigned char token[256], data[256], pad[16], joined[600];
        memcpy(data, text, n);
        SecBuffer b[3] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, token},
                          {(ULONG)n, SECBUFFER_DATA, data},
                          {sizeof(pad), SECBUFFER_PADDING, pad}};
        SecBufferDesc d = {SECBUFFER_VERSION, with_padding ? 3u : 2u, b};
        CHECK_SEC(t->EncryptMessage(&p->ours, 0, &d, 0), SEC_E_OK);
        CHECK(memcmp(data, text, n) != 0);
        CHECK_EQ_INT(b[0].cbBuffer, want_token);
        CHECK(token[0] == 0x05 && token[1] == 0x04);                  /* TOK_ID wrap */
        CHECK_EQ_INT(token[2] & 0x02, 0x02);                          /* Sealed */
        CHECK_EQ_INT(token[2] & 0x01, p->sspix_server ? 0x01 : 0x00); /* SentByAcceptor */
        CHECK_EQ_INT(token[3], 0xFF);                                 /* filler */
        CHECK_EQ_INT(get16(token + 4), 0);                            /* EC */
        CHECK_EQ_INT(get16(token + 6), want_rrc);                     /* RRC */
        if (with_padding)
            CHECK_EQ_INT(b[2].cbBuffer, 0); /* CTS: no padding */
        size_t jl = 0;
        memcpy(joined, token, b[0].cbBuffer), jl += b[0].cbBuffer;
        memcpy(joined + jl, data, n), jl += n;
        if (with_padding)
            memcpy(joined + jl, pad, b[2].cbBuffer), jl += b[2].cbBuffer;
        gss_buffer_desc in = {jl, joined}, out = GSS_C_EMPTY_BUFFER;
        int conf = 0;
        gss_qop_t qop = 99;
        GSS_OK(gss_unwrap(&minor, p->raw, &in, &out, &conf, &qop));
        CHECK_EQ_INT(conf, 1);
        CHECK_EQ_INT(out.length, n);
        CHECK(memcmp(out.value, text, n) == 0);
        gss_release_buffer(&minor, &out);
    }

    /* Integrity only: the raw side sees conf_state 0 and the plaintext. */
    {
        const char *text = "signed, not sealed";
        size_t n = strlen(text);
        unsigned char token[256], data[64], joined[400];
        memcpy(data, text, n);
        SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, token}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->EncryptMessage(&p->ours, KERB_WRAP_NO_ENCRYPT, &d, 0), SEC_E_OK);
        CHECK(memcmp(data, text, n) == 0);
        CHECK_EQ_INT(token[2] & 0x02, 0); /* not Sealed */
        memcpy(joined, token, b[0].cbBuffer);
        memcpy(joined + b[0].cbBuffer, data, n);
        gss_buffer_desc in = {b[0].cbBuffer + n, joined}, out = GSS_C_EMPTY_BUFFER;
        int conf = 1;
        GSS_OK(gss_unwrap(&minor, p->raw, &in, &out, &conf, NULL));
        CHECK_EQ_INT(conf, 0);
        CHECK(out.length == n && memcmp(out.value, text, n) == 0);
        gss_release_buffer(&minor, &out);
    }

    /* A TOKEN one byte short is refused before anything is used up. */
    {
        unsigned char token[256], data[8] = "abcdefg";
        SecBuffer b[2] = {{want_token - 1, SECBUFFER_TOKEN, token}, {7, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->EncryptMessage(&p->ours, 0, &d, 0), SEC_E_BUFFER_TOO_SMALL);
        CHECK_SEC(t->EncryptMessage(&p->ours, 0x12345, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
    }
}

/* raw gss_wrap -> our DecryptMessage, and every way it must fail. */
static void check_decrypt(struct pair *p, unsigned cksum)
{
    OM_uint32 minor;
    const char *text = "from the raw GSSAPI peer";
    size_t n = strlen(text);
    gss_buffer_desc msg = {n, (void *)text}, tok = GSS_C_EMPTY_BUFFER;
    unsigned char stream[512], copy[512];
    ULONG qop = 99;
    int conf = 0;

    /* STREAM: the whole plain gss_wrap token (RRC 0); DATA ends up inside it. */
    GSS_OK(gss_wrap(&minor, p->raw, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &tok));
    CHECK_EQ_INT(get16((unsigned char *)tok.value + 6), 0);
    CHECK(tok.length <= sizeof(stream));
    size_t tl = tok.length;
    memcpy(stream, tok.value, tl);
    gss_release_buffer(&minor, &tok);

    /* every single flipped bit is a modification */
    for (size_t bit = 0; bit < tl * 8; bit++) {
        memcpy(copy, stream, tl);
        copy[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        SecBuffer b[2] = {{(ULONG)tl, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        SECURITY_STATUS st = t->DecryptMessage(&p->ours, &d, 0, &qop);
        if (st != SEC_E_MESSAGE_ALTERED)
            fprintf(stderr, "bit %zu of %zu: %s (%s)\n", bit, tl * 8, sspix_status_name(st), sspix_last_error());
        CHECK_SEC(st, SEC_E_MESSAGE_ALTERED);
    }
    /* truncation: shorter than the smallest sealed token is incomplete */
    const size_t min_sealed = 16 + 16 + cksum + 16;
    for (size_t len = 0; len < min_sealed; len++) {
        memcpy(copy, stream, tl);
        SecBuffer b[2] = {{(ULONG)len, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->DecryptMessage(&p->ours, &d, 0, &qop), SEC_E_INCOMPLETE_MESSAGE);
    }
    /* a cut inside the data cannot be told from a modification (no length in RFC 4121 tokens) */
    memcpy(copy, stream, tl);
    SecBuffer cut[2] = {{(ULONG)tl - 1, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc cutd = {SECBUFFER_VERSION, 2, cut};
    CHECK_SEC(t->DecryptMessage(&p->ours, &cutd, 0, &qop), SEC_E_MESSAGE_ALTERED);

    /* the intact message still decrypts: failures consumed no sequence number */
    memcpy(copy, stream, tl);
    SecBuffer b[2] = {{(ULONG)tl, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->DecryptMessage(&p->ours, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);
    CHECK(b[1].cbBuffer == n && memcmp(b[1].pvBuffer, text, n) == 0);
    CHECK((unsigned char *)b[1].pvBuffer >= copy && (unsigned char *)b[1].pvBuffer < copy + tl);
    /* ... once: the replay is refused */
    memcpy(copy, stream, tl);
    SecBuffer r[2] = {{(ULONG)tl, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc rd = {SECBUFFER_VERSION, 2, r};
    CHECK_SEC(t->DecryptMessage(&p->ours, &rd, 0, &qop), SEC_E_OUT_OF_SEQUENCE);
    CHECK(strstr(sspix_last_error(), "replay") != NULL);

    /* integrity only: DecryptMessage reports KERB_WRAP_NO_ENCRYPT */
    GSS_OK(gss_wrap(&minor, p->raw, 0, GSS_C_QOP_DEFAULT, &msg, &conf, &tok));
    CHECK_EQ_INT(conf, 0);
    memcpy(copy, tok.value, tok.length);
    SecBuffer ni[2] = {{(ULONG)tok.length, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc nid = {SECBUFFER_VERSION, 2, ni};
    gss_release_buffer(&minor, &tok);
    CHECK_SEC(t->DecryptMessage(&p->ours, &nid, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, KERB_WRAP_NO_ENCRYPT);
    CHECK(ni[1].cbBuffer == n && memcmp(ni[1].pvBuffer, text, n) == 0);

    /* TOKEN + DATA as Windows' EncryptMessage lays it out, from raw gss_wrap_iov;
     * and two of them delivered out of order. MessageSeqNo is ignored. */
    unsigned char hdr[2][256], data[2][64];
    for (int i = 0; i < 2; i++) {
        memcpy(data[i], text, n);
        data[i][0] = (unsigned char)('0' + i);
        gss_iov_buffer_desc iov[2] = {{GSS_IOV_BUFFER_TYPE_HEADER, {sizeof(hdr[i]), hdr[i]}},
                                      {GSS_IOV_BUFFER_TYPE_DATA, {n, data[i]}}};
        gss_iov_buffer_desc len[2] = {{GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}}, {GSS_IOV_BUFFER_TYPE_DATA, {n, NULL}}};
        GSS_OK(gss_wrap_iov_length(&minor, p->raw, 1, GSS_C_QOP_DEFAULT, NULL, len, 2));
        iov[0].buffer.length = len[0].buffer.length;
        GSS_OK(gss_wrap_iov(&minor, p->raw, 1, GSS_C_QOP_DEFAULT, NULL, iov, 2));
        CHECK_EQ_INT(iov[0].buffer.length, 16 + 16 + cksum + 16);
    }
    SecBuffer second[2] = {{16 + 16 + cksum + 16, SECBUFFER_TOKEN, hdr[1]}, {(ULONG)n, SECBUFFER_DATA, data[1]}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, second};
    CHECK_SEC(t->DecryptMessage(&p->ours, &sd, 12345, &qop), SEC_E_OUT_OF_SEQUENCE); /* a gap: one was skipped */
    SecBuffer first[2] = {{16 + 16 + cksum + 16, SECBUFFER_TOKEN, hdr[0]}, {(ULONG)n, SECBUFFER_DATA, data[0]}};
    SecBufferDesc fd = {SECBUFFER_VERSION, 2, first};
    CHECK_SEC(t->DecryptMessage(&p->ours, &fd, 0, &qop), SEC_E_OUT_OF_SEQUENCE); /* and now the older one */

    /* a fresh in-order message is fine again, in TOKEN+DATA form */
    unsigned char h3[256], d3[64];
    memcpy(d3, text, n);
    gss_iov_buffer_desc iov3[2] = {{GSS_IOV_BUFFER_TYPE_HEADER, {16 + 16 + cksum + 16, h3}},
                                   {GSS_IOV_BUFFER_TYPE_DATA, {n, d3}}};
    GSS_OK(gss_wrap_iov(&minor, p->raw, 1, GSS_C_QOP_DEFAULT, NULL, iov3, 2));
    for (size_t bit = 0; bit < (16 + 16 + cksum + 16 + n) * 8; bit += 3) {
        unsigned char hc[256], dc[64];
        memcpy(hc, h3, sizeof(h3));
        memcpy(dc, d3, n);
        if (bit / 8 < 16 + 16 + cksum + 16)
            hc[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        else
            dc[bit / 8 - (16 + 16 + cksum + 16)] ^= (unsigned char)(1u << (bit % 8));
        SecBuffer fb[2] = {{16 + 16 + cksum + 16, SECBUFFER_TOKEN, hc}, {(ULONG)n, SECBUFFER_DATA, dc}};
        SecBufferDesc fbd = {SECBUFFER_VERSION, 2, fb};
        CHECK_SEC(t->DecryptMessage(&p->ours, &fbd, 0, &qop), SEC_E_MESSAGE_ALTERED);
    }
    SecBuffer third[2] = {{16 + 16 + cksum + 16, SECBUFFER_TOKEN, h3}, {(ULONG)n, SECBUFFER_DATA, d3}};
    SecBufferDesc td = {SECBUFFER_VERSION, 2, third};
    CHECK_SEC(t->DecryptMessage(&p->ours, &td, 0, &qop), SEC_E_OK);
    CHECK(memcmp(d3, text, n) == 0);
}

/* MakeSignature <-> raw gss_get_mic / gss_verify_mic. */
static void check_signatures(struct pair *p, unsigned cksum)
{
    OM_uint32 minor;
    const char *text = "signed message";
    size_t n = strlen(text);
    unsigned char sig[128], data[64];
    ULONG qop = 99;
    memcpy(data, text, n);

    SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->MakeSignature(&p->ours, 0, &d, 0), SEC_E_OK);
    CHECK_EQ_INT(b[0].cbBuffer, 16 + cksum);
    CHECK(sig[0] == 0x04 && sig[1] == 0x04); /* RFC 4121 MIC token */
    gss_buffer_desc m = {n, data}, s = {b[0].cbBuffer, sig};
    GSS_OK(gss_verify_mic(&minor, p->raw, &m, &s, NULL));
    CHECK(memcmp(data, text, n) == 0);

    gss_buffer_desc raw_sig = GSS_C_EMPTY_BUFFER;
    GSS_OK(gss_get_mic(&minor, p->raw, GSS_C_QOP_DEFAULT, &m, &raw_sig));
    CHECK_EQ_INT(raw_sig.length, 16 + cksum);
    unsigned char good[128];
    memcpy(good, raw_sig.value, raw_sig.length);
    gss_release_buffer(&minor, &raw_sig);
    for (size_t bit = 0; bit < (16 + cksum) * 8; bit++) {
        unsigned char bad[128];
        memcpy(bad, good, 16 + cksum);
        bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        SecBuffer vb[2] = {{16 + cksum, SECBUFFER_TOKEN, bad}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc vd = {SECBUFFER_VERSION, 2, vb};
        CHECK_SEC(t->VerifySignature(&p->ours, &vd, 0, &qop), SEC_E_MESSAGE_ALTERED);
    }
    data[0] ^= 1;
    SecBuffer alt[2] = {{16 + cksum, SECBUFFER_TOKEN, good}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc altd = {SECBUFFER_VERSION, 2, alt};
    CHECK_SEC(t->VerifySignature(&p->ours, &altd, 0, &qop), SEC_E_MESSAGE_ALTERED);
    data[0] ^= 1;
    SecBuffer vb[2] = {{16 + cksum, SECBUFFER_TOKEN, good}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc vd = {SECBUFFER_VERSION, 2, vb};
    CHECK_SEC(t->VerifySignature(&p->ours, &vd, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);
    CHECK_SEC(t->VerifySignature(&p->ours, &vd, 0, &qop), SEC_E_OUT_OF_SEQUENCE); /* replayed */

    /* a wrap token is not a signature */
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    int conf;
    GSS_OK(gss_wrap(&minor, p->raw, 0, GSS_C_QOP_DEFAULT, &m, &conf, &wrapped));
    SecBuffer wb[2] = {{(ULONG)wrapped.length, SECBUFFER_TOKEN, wrapped.value}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc wd = {SECBUFFER_VERSION, 2, wb};
    CHECK(t->VerifySignature(&p->ours, &wd, 0, &qop) != SEC_E_OK);
    gss_release_buffer(&minor, &wrapped);
}

/*
 * The enctype of the key that protects messages, as the raw side sees it
 * (MIT: 1.2.840.113554.1.2.2.4.<enctype> next to the key). With mutual
 * authentication that is the acceptor's subkey, whose enctype the acceptor
 * picks from the client's list (RFC 4537): aes256-sha1 first here, even for
 * sha2svc; without it, the ticket's session key (aes256-sha384 for sha2svc).
 */
static int raw_enctype(gss_ctx_id_t ctx)
{
    static const unsigned char prefix[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    OM_uint32 minor;
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    GSS_OK(gss_inquire_sec_context_by_oid(&minor, ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set));
    CHECK(set->count >= 2 && set->elements[1].length == sizeof(prefix) + 1);
    CHECK(memcmp(set->elements[1].value, prefix, sizeof(prefix)) == 0);
    int e = ((unsigned char *)set->elements[1].value)[sizeof(prefix)];
    gss_release_buffer_set(&minor, &set);
    return e;
}

/* RFC 3962: aes*-cts-hmac-sha1-96 have 12-byte checksums; RFC 8009:
 * aes128-cts-hmac-sha256-128 16, aes256-cts-hmac-sha384-192 24. */
static unsigned checksum_length(int enctype)
{
    switch (enctype) {
    case 17:
    case 18: return 12;
    case 19: return 16;
    case 20: return 24;
    default: fprintf(stderr, "unexpected enctype %d\n", enctype); exit(1);
    }
}

static void run(const char *pkg, const char *host_service, const char *spn, int mutual, int want_enctype)
{
    for (int server = 0; server < 2; server++) {
        struct pair p;
        establish(pkg, host_service, spn, server, mutual, &p);
        int enctype = raw_enctype(p.raw);
        if (want_enctype)
            CHECK_EQ_INT(enctype, want_enctype);
        unsigned cksum = checksum_length(enctype);
        check_encrypt(&p, cksum);
        check_decrypt(&p, cksum);
        check_signatures(&p, cksum);
        pair_free(&p);
    }
}

int main(void)
{
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    CHECK(t != NULL);
    const char *pkgs[] = {"Kerberos", "Negotiate"};
    for (int i = 0; i < 2; i++) {
        /* aes256-cts-hmac-sha1-96 (18): 60-byte TOKEN, RRC 28 */
        run(pkgs[i], "host@localhost", "host/localhost", 1, 18);
        run(pkgs[i], "host@localhost", "host/localhost", 0, 18);
        /* aes256-cts-hmac-sha384-192 (20): 72-byte TOKEN, RRC 40 (session key, no acceptor subkey) */
        run(pkgs[i], "sha2svc@localhost", "sha2svc/localhost", 0, 20);
        /* mutual: the acceptor's subkey, of the enctype it negotiated */
        run(pkgs[i], "sha2svc@localhost", "sha2svc/localhost", 1, 0);
    }
    CHECK_DONE("integration.protect");
}
