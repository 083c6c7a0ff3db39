/* SPDX-License-Identifier: MIT */
/*
 * test_ntlm.c - the NTLM package (gss-ntlmssp) and NTLM inside Negotiate.
 *
 *   - NTLM with a SEC_WINNT_AUTH_IDENTITY_A client and a users-file server
 *     (SSPIX_AUTH_STORE_A.NtlmUsersFile), and with a credentials-file client;
 *   - never ISC_RET_MUTUAL_AUTH / ASC_RET_MUTUAL_AUTH, even when asked for;
 *   - wrong password and unknown user: SEC_E_LOGON_DENIED; a tampered
 *     AUTHENTICATE message never succeeds;
 *   - SIZES, and message protection cross-checked against a raw GSSAPI NTLM
 *     peer (gss_wrap/gss_unwrap/gss_get_mic/gss_verify_mic in this file);
 *   - Negotiate: falls back to NTLM with no Kerberos ticket and for an SPN
 *     the KDC does not know, only when NTLM is allowed; prefers Kerberos.
 */
#define SECURITY_WIN32
#include <security.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char users_file[] = "/tmp/sspix-ntlm-users-XXXXXX";
static char creds_file[] = "/tmp/sspix-ntlm-creds-XXXXXX";
static const char *domain = "SSPIXDOM";
static const char *user = "carol";
static const char *password = "Carol-Pa55word!";

static gss_OID_desc mech_ntlm = {10, (void *)"\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a"};
static gss_OID_set_desc ntlm_set = {1, &mech_ntlm};

static void write_file(char *tmpl, const char *content)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

static void server_cred(const char *pkg, CredHandle *sc, const char *file)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = file};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, file ? &store : NULL, NULL,
                                          NULL, sc, NULL),
              SEC_E_OK);
}

static SECURITY_STATUS client_cred(const char *pkg, CredHandle *cc, const char *pw)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user), (unsigned char *)domain,
                                    (ULONG)strlen(domain),       (unsigned char *)pw, (ULONG)strlen(pw),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    return t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, cc, NULL);
}

static void check_ntlm_context(struct hs *hs)
{
    SecPkgContext_Sizes sizes;
    SecPkgContext_NamesA names;
    SecPkgContext_PackageInfoA pi;
    char want[128];
    /* No mutual authentication, whatever was asked for. */
    CHECK(!(hs->client_attrs & ISC_RET_MUTUAL_AUTH));
    CHECK(!(hs->server_attrs & ASC_RET_MUTUAL_AUTH));
    CHECK(hs->client_attrs & ISC_RET_CONFIDENTIALITY);
    CHECK(hs->client_attrs & ISC_RET_INTEGRITY);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_EQ_INT(sizes.cbMaxToken, 2888);
    CHECK_EQ_INT(sizes.cbMaxSignature, 16);
    CHECK_EQ_INT(sizes.cbSecurityTrailer, 16);
    CHECK_EQ_INT(sizes.cbBlockSize, 0);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    snprintf(want, sizeof(want), "%s\\%s", domain, user);
    CHECK_STR(names.sUserName, want);
    t->FreeContextBuffer(names.sUserName);
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    CHECK_STR(pi.PackageInfo->Name, "NTLM");
    CHECK_EQ_INT(pi.PackageInfo->wRPCID, RPC_C_AUTHN_WINNT);
    t->FreeContextBuffer(pi.PackageInfo);
}

/* Both directions of EncryptMessage/DecryptMessage and signatures between
 * two sspix contexts. */
static void check_messages(struct hs *hs)
{
    const char *text = "NTLM sealed message";
    size_t n = strlen(text);
    unsigned char sig[16], data[64], stream[128];
    ULONG qop = 9;
    for (int dir = 0; dir < 2; dir++) {
        CtxtHandle *from = dir ? &hs->server : &hs->client, *to = dir ? &hs->client : &hs->server;
        memcpy(data, text, n);
        SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
        CHECK_EQ_INT(b[0].cbBuffer, 16);
        CHECK(memcmp(data, text, n) != 0);
        CHECK_SEC(t->DecryptMessage(to, &d, 0, &qop), SEC_E_OK);
        CHECK_EQ_INT(qop, 0);
        CHECK(memcmp(data, text, n) == 0);
        /* STREAM = signature || sealed data, gss_wrap's order */
        SecBuffer e[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
        CHECK_SEC(t->EncryptMessage(from, 0, &ed, 0), SEC_E_OK);
        memcpy(stream, sig, 16);
        memcpy(stream + 16, data, n);
        SecBuffer s[2] = {{(ULONG)n + 16, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc sd = {SECBUFFER_VERSION, 2, s};
        CHECK_SEC(t->DecryptMessage(to, &sd, 0, &qop), SEC_E_OK);
        CHECK(s[1].cbBuffer == n && memcmp(s[1].pvBuffer, text, n) == 0);
        /* signatures */
        SecBuffer m[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, (void *)text}};
        SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
        CHECK_SEC(t->MakeSignature(from, 0, &md, 0), SEC_E_OK);
        CHECK_EQ_INT(m[0].cbBuffer, 16);
        CHECK_SEC(t->VerifySignature(to, &md, 0, &qop), SEC_E_OK);
        /* no sign-only wrap in NTLM; truncated stream */
        CHECK_SEC(t->EncryptMessage(from, KERB_WRAP_NO_ENCRYPT, &d, 0), SEC_E_QOP_NOT_SUPPORTED);
        SecBuffer tr[2] = {{16, SECBUFFER_STREAM, stream}, {0, SECBUFFER_DATA, NULL}};
        SecBufferDesc trd = {SECBUFFER_VERSION, 2, tr};
        CHECK_SEC(t->DecryptMessage(to, &trd, 0, &qop), SEC_E_INCOMPLETE_MESSAGE);
        SecBuffer small[2] = {{15, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc smalld = {SECBUFFER_VERSION, 2, small};
        CHECK_SEC(t->EncryptMessage(from, 0, &smalld, 0), SEC_E_BUFFER_TOO_SMALL);
    }
}

static void test_ntlm_package(void)
{
    CredHandle cc, sc;
    struct hs hs;
    server_cred("NTLM", &sc, users_file);
    CHECK_SEC(client_cred("NTLM", &cc, password), SEC_E_OK);
    /* Mutual authentication is asked for and must not be claimed. */
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK_EQ_INT(hs.legs, 4); /* NEGOTIATE, CHALLENGE, AUTHENTICATE, and the server taking it */
    check_ntlm_context(&hs);
    check_messages(&hs);
    unsigned char auth_msg[4096];
    hs_free(t, &hs);

    /* The AUTHENTICATE message, tampered: never accepted. Every byte of the
     * signature and type, the NTLMv2 response, the domain and the user name
     * is tried. (Without a MIC, which only SPNEGO asks for, MS-NLMP leaves the
     * MaxLen fields, the workstation name and the version unauthenticated,
     * as on Windows; they are not what a man in the middle needs.) */
    int tampered = 0, refused = 0;
    int positions[2048], npos = 0, next = 0;
    for (int i = 0;; i = positions[next++]) {
        CtxtHandle c, s;
        ULONG attrs;
        unsigned char tok1[4096], tok2[4096], tok3[4096];
        SecBuffer o1 = {sizeof(tok1), SECBUFFER_TOKEN, tok1};
        SecBufferDesc o1d = {SECBUFFER_VERSION, 1, &o1};
        CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, 0, NULL, 0, &c,
                                               &o1d, &attrs, NULL),
                  SEC_I_CONTINUE_NEEDED);
        SecBuffer o2 = {sizeof(tok2), SECBUFFER_TOKEN, tok2};
        SecBufferDesc i1d = {SECBUFFER_VERSION, 1, &o1}, o2d = {SECBUFFER_VERSION, 1, &o2};
        CHECK_SEC(t->AcceptSecurityContext(&sc, NULL, &i1d, HS_ASC_REQ, 0, &s, &o2d, &attrs, NULL),
                  SEC_I_CONTINUE_NEEDED);
        SecBuffer o3 = {sizeof(tok3), SECBUFFER_TOKEN, tok3};
        SecBufferDesc i2d = {SECBUFFER_VERSION, 1, &o2}, o3d = {SECBUFFER_VERSION, 1, &o3};
        CHECK_SEC(t->InitializeSecurityContext(&cc, &c, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, 0, &i2d, 0, &c,
                                               &o3d, &attrs, NULL),
                  SEC_E_OK);
        CHECK(!(attrs & ISC_RET_MUTUAL_AUTH));
        if (npos == 0) {
            /* fields: u16 length, u16 maxlen, u32 offset (little-endian) */
            static const int fields[] = {20, 28, 36}; /* NtChallengeResponse, DomainName, UserName */
            CHECK(o3.cbBuffer > 64);
            for (int k = 0; k < 12; k++)
                positions[npos++] = k;
            for (int f = 0; f < 3; f++) {
                unsigned len = tok3[fields[f]] | (unsigned)tok3[fields[f] + 1] << 8;
                unsigned off = tok3[fields[f] + 4] | (unsigned)tok3[fields[f] + 5] << 8;
                CHECK(len > 0 && off + len <= o3.cbBuffer);
                for (unsigned k = 0; k < len && npos < 2040; k += (f == 0 ? 3 : 1))
                    positions[npos++] = (int)(off + k);
            }
            positions[npos++] = -1;
        }
        if (i < 0) {
            t->DeleteSecurityContext(&c);
            t->DeleteSecurityContext(&s);
            break;
        }
        memcpy(auth_msg, tok3, o3.cbBuffer);
        auth_msg[i] ^= 0x01; /* not 0x20: names compare case-insensitively, as on Windows */
        SecBuffer in3 = {o3.cbBuffer, SECBUFFER_TOKEN, auth_msg}, o4 = {sizeof(tok1), SECBUFFER_TOKEN, tok1};
        SecBufferDesc i3d = {SECBUFFER_VERSION, 1, &in3}, o4d = {SECBUFFER_VERSION, 1, &o4};
        SECURITY_STATUS st = t->AcceptSecurityContext(&sc, &s, &i3d, HS_ASC_REQ, 0, &s, &o4d, &attrs, NULL);
        tampered++;
        if (st != SEC_E_OK)
            refused++;
        else
            fprintf(stderr, "NTLM: flipping AUTHENTICATE byte %d was accepted\n", i);
        CHECK(st != SEC_E_OK);
        t->DeleteSecurityContext(&c);
        t->DeleteSecurityContext(&s);
    }
    CHECK(tampered > 40 && refused == tampered);

    /* Credentials from a file instead of an identity. */
    CredHandle fc;
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = creds_file};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &store, NULL, NULL, &fc,
                                          NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &fc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    check_ntlm_context(&hs);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&fc);

    /* Wrong password, unknown user: logon denied, at the server. */
    CredHandle bad;
    CHECK_SEC(client_cred("NTLM", &bad, "not-the-password"), SEC_E_OK);
    CHECK_SEC(hs_run(t, &bad, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_LOGON_DENIED);
    CHECK(hs.server_status == SEC_E_LOGON_DENIED);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&bad);
    SEC_WINNT_AUTH_IDENTITY_A nobody = {
        (unsigned char *)"mallory", 7, (unsigned char *)domain,     (ULONG)strlen(domain),
        (unsigned char *)"x",       1, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &nobody, NULL, NULL,
                                          &bad, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &bad, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_LOGON_DENIED);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&bad);

    /* No credentials file at all: a clear error at acquisition. */
    SSPIX_AUTH_STORE_A none = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = "/nonexistent/ntlm-users"};
    CHECK(!SEC_SUCCESS(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &none, NULL,
                                                   NULL, &bad, NULL)));
    CHECK(strstr(sspix_last_error(), "/nonexistent/ntlm-users") != NULL);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_BOTH, NULL, NULL, NULL, NULL, &bad, NULL),
        SEC_E_INVALID_PARAMETER);

    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* Raw gss-ntlmssp initiator <-> sspix NTLM acceptor; message protection
 * cross-checked against the raw side. */
static void test_raw_cross_check(void)
{
    OM_uint32 major, minor;
    CredHandle sc;
    CtxtHandle s;
    int have_s = 0;
    gss_cred_id_t rc = GSS_C_NO_CREDENTIAL;
    gss_ctx_id_t raw = GSS_C_NO_CONTEXT;
    gss_name_t uname = GSS_C_NO_NAME, target = GSS_C_NO_NAME;
    char ub[128];
    snprintf(ub, sizeof(ub), "%s\\%s", domain, user);
    gss_buffer_desc un = {strlen(ub), ub}, pw = {strlen(password), (void *)password}, tn = {14, "host@localhost"};
    CHECK(!GSS_ERROR(gss_import_name(&minor, &un, GSS_C_NT_USER_NAME, &uname)));
    CHECK(!GSS_ERROR(gss_import_name(&minor, &tn, GSS_C_NT_HOSTBASED_SERVICE, &target)));
    CHECK(
        !GSS_ERROR(gss_acquire_cred_with_password(&minor, uname, &pw, 0, &ntlm_set, GSS_C_INITIATE, &rc, NULL, NULL)));
    server_cred("NTLM", &sc, users_file);

    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER;
    unsigned char sbuf[4096];
    OM_uint32 flags = 0;
    for (int round = 0; round < 3; round++) {
        major = gss_init_sec_context(&minor, rc, &raw, target, &mech_ntlm,
                                     GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG, 0,
                                     GSS_C_NO_CHANNEL_BINDINGS, in.length ? &in : GSS_C_NO_BUFFER, NULL, &out, &flags,
                                     NULL);
        CHECK(!GSS_ERROR(major));
        if (out.length == 0)
            break;
        SecBuffer ib = {(ULONG)out.length, SECBUFFER_TOKEN, out.value}, ob = {sizeof(sbuf), SECBUFFER_TOKEN, sbuf};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attrs;
        SECURITY_STATUS st =
            t->AcceptSecurityContext(&sc, have_s ? &s : NULL, &id, HS_ASC_REQ, 0, &s, &od, &attrs, NULL);
        gss_release_buffer(&minor, &out);
        CHECK(st == SEC_E_OK || st == SEC_I_CONTINUE_NEEDED);
        have_s = 1;
        if (st == SEC_E_OK) {
            CHECK(!(attrs & ASC_RET_MUTUAL_AUTH));
            break;
        }
        in.value = sbuf;
        in.length = ob.cbBuffer;
    }
    CHECK(major == GSS_S_COMPLETE);

    const char *text = "cross-checked NTLM";
    size_t n = strlen(text);
    unsigned char sig[16], data[64], joined[128];
    ULONG qop;
    /* ours -> raw: gss_unwrap(TOKEN || DATA) */
    memcpy(data, text, n);
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(&s, 0, &d, 0), SEC_E_OK);
    memcpy(joined, sig, 16);
    memcpy(joined + 16, data, n);
    gss_buffer_desc w = {n + 16, joined}, plain = GSS_C_EMPTY_BUFFER;
    CHECK(!GSS_ERROR(gss_unwrap(&minor, raw, &w, &plain, NULL, NULL)));
    CHECK(plain.length == n && memcmp(plain.value, text, n) == 0);
    gss_release_buffer(&minor, &plain);
    /* raw -> ours: gss_wrap, split into TOKEN (the signature) and DATA */
    gss_buffer_desc m = {n, (void *)text}, wrapped = GSS_C_EMPTY_BUFFER;
    CHECK(!GSS_ERROR(gss_wrap(&minor, raw, 1, GSS_C_QOP_DEFAULT, &m, NULL, &wrapped)));
    CHECK_EQ_INT(wrapped.length, n + 16);
    memcpy(sig, wrapped.value, 16);
    memcpy(data, (unsigned char *)wrapped.value + 16, n);
    gss_release_buffer(&minor, &wrapped);
    CHECK_SEC(t->DecryptMessage(&s, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(data, text, n) == 0);
    /* MakeSignature -> gss_verify_mic, gss_get_mic -> VerifySignature */
    SecBuffer mb[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, (void *)text}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
    CHECK_SEC(t->MakeSignature(&s, 0, &md, 0), SEC_E_OK);
    gss_buffer_desc sg = {16, sig}, mic = GSS_C_EMPTY_BUFFER;
    CHECK(!GSS_ERROR(gss_verify_mic(&minor, raw, &m, &sg, NULL)));
    CHECK(!GSS_ERROR(gss_get_mic(&minor, raw, GSS_C_QOP_DEFAULT, &m, &mic)));
    CHECK_EQ_INT(mic.length, 16);
    memcpy(sig, mic.value, 16);
    gss_release_buffer(&minor, &mic);
    CHECK_SEC(t->VerifySignature(&s, &md, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);
    /* Replayed: the sequence number is wrong. NTLM encrypts its checksums
     * with the receive RC4 stream, so a failed check desynchronises it, as
     * on Windows: this is the context's last use (test_flipped_bits uses a
     * fresh context for each tampered message). */
    CHECK_SEC(t->VerifySignature(&s, &md, 0, &qop), SEC_E_MESSAGE_ALTERED);

    t->DeleteSecurityContext(&s);
    t->FreeCredentialsHandle(&sc);
    gss_delete_sec_context(&minor, &raw, GSS_C_NO_BUFFER);
    gss_release_cred(&minor, &rc);
    gss_release_name(&minor, &uname);
    gss_release_name(&minor, &target);
}

/* Every bit of TOKEN and DATA, each on a fresh NTLM context. */
static void test_flipped_bits(void)
{
    CredHandle cc, sc;
    server_cred("NTLM", &sc, users_file);
    CHECK_SEC(client_cred("NTLM", &cc, password), SEC_E_OK);
    const char *text = "flip";
    size_t n = strlen(text);
    for (size_t bit = 0; bit < (16 + n) * 8; bit += 3) {
        struct hs hs;
        unsigned char sig[16], data[8];
        ULONG qop;
        CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
        memcpy(data, text, n);
        SecBuffer b[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->EncryptMessage(&hs.client, 0, &d, 0), SEC_E_OK);
        if (bit < 128)
            sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        else
            data[bit / 8 - 16] ^= (unsigned char)(1u << (bit % 8));
        CHECK_SEC(t->DecryptMessage(&hs.server, &d, 0, &qop), SEC_E_MESSAGE_ALTERED);
        if (bit < 128) { /* and the same bit of a MakeSignature signature */
            SecBuffer m[2] = {{16, SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, (void *)text}};
            SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
            CHECK_SEC(t->MakeSignature(&hs.server, 0, &md, 0), SEC_E_OK);
            sig[bit / 8] ^= (unsigned char)(1u << (bit % 8));
            CHECK_SEC(t->VerifySignature(&hs.client, &md, 0, &qop), SEC_E_MESSAGE_ALTERED);
        }
        hs_free(t, &hs);
    }
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

static void negotiated(struct hs *hs, const char *want)
{
    SecPkgContext_NegotiationInfoA ni;
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, want);
    t->FreeContextBuffer(ni.PackageInfo);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, want);
    t->FreeContextBuffer(ni.PackageInfo);
}

static void test_negotiate(void)
{
    CredHandle cc, sc, plain_sc;
    struct hs hs;
    char saved[1024];
    snprintf(saved, sizeof(saved), "%s", need_env("KRB5CCNAME"));
    server_cred("Negotiate", &sc, users_file);
    server_cred("Negotiate", &plain_sc, NULL);
    SSPIX_AUTH_STORE_A allow = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = creds_file};

    /* Kerberos works: Negotiate picks it, NTLM allowed or not. */
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &allow, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated(&hs, "Kerberos");
    CHECK(hs.client_attrs & ISC_RET_MUTUAL_AUTH);
    hs_free(t, &hs);

    /* An SPN the KDC does not know: NTLM when allowed ... */
    CHECK_SEC(hs_run(t, &cc, &sc, "nosuchservice/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated(&hs, "NTLM");
    CHECK(!(hs.client_attrs & ISC_RET_MUTUAL_AUTH));
    CHECK(!(hs.server_attrs & ASC_RET_MUTUAL_AUTH));
    check_messages(&hs);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    /* ... and not otherwise */
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "nosuchservice/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_TARGET_UNKNOWN);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);

    /* No Kerberos ticket: NTLM when allowed ... */
    setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-no-ccache", 1);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &allow, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated(&hs, "NTLM");
    CHECK(!(hs.client_attrs & ISC_RET_MUTUAL_AUTH));
    check_messages(&hs);
    hs_free(t, &hs);
    /* ... but a server that does not allow NTLM refuses it */
    CHECK(!SEC_SUCCESS(hs_run(t, &cc, &plain_sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs)));
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    /* ... and a client that does not allow it has no credential at all */
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_NO_CREDENTIALS);
    SSPIX_AUTH_STORE_A neither = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = "/nonexistent/ntlm"};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &neither, NULL,
                                          NULL, &cc, NULL),
              SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "/nonexistent/ntlm") != NULL);
    setenv("KRB5CCNAME", saved, 1);

    /* A v1 store (older programs) still works and never turns NTLM on. */
    struct {
        uint64_t Magic;
        const char *Keytab, *Ccache, *ClientKeytab, *ReplayCache;
        PSEC_WINNT_AUTH_IDENTITY_A Identity;
    } v1 = {SSPIX_AUTH_STORE_MAGIC_V1, NULL, saved, NULL, NULL, NULL};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &v1, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "nosuchservice/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_TARGET_UNKNOWN);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);

    t->FreeCredentialsHandle(&sc);
    t->FreeCredentialsHandle(&plain_sc);
}

int main(void)
{
    char line[256];
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    snprintf(line, sizeof(line), "# sspix test users\n%s:%s:%s\nOTHER:dave:dave-pw\n", domain, user, password);
    write_file(users_file, line);
    snprintf(line, sizeof(line), "%s:%s:%s\n", domain, user, password);
    write_file(creds_file, line);

    test_ntlm_package();
    test_raw_cross_check();
    test_flipped_bits();
    test_negotiate();

    unlink(users_file);
    unlink(creds_file);
    CHECK_DONE("integration.ntlm");
}
