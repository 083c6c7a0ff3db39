/* SPDX-License-Identifier: MIT */
/*
 * test_api_trust.c - the SSPI entry points against a caller that gets things
 * wrong or lies, with a real KDC:
 *
 *   - handshake descriptors: a SecBufferDesc whose cBuffers exceeds its array,
 *     a wrong ulVersion, or NULL pBuffers with cBuffers > 0 is refused with a
 *     clear message before anything reads the buffers;
 *   - a failed FIRST InitializeSecurityContext / AcceptSecurityContext (here
 *     an output buffer too small for the token) leaves no live handle;
 *   - ImportSecurityContextA: every byte of an exported blob flipped, the blob
 *     cut short at every length and extended are refused with
 *     SEC_E_INVALID_TOKEN without crashing; the genuine blob imports once and
 *     a second import of the same blob is refused; an imported NTLM context
 *     never claims mutual authentication.
 */
#define SECURITY_WIN32
#include <security.h>

#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"
#include "sspi/handles.h"

static PSecurityFunctionTableA t;

static void acquire(const char *pkg, ULONG use, void *auth, CredHandle *h)
{
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, use, NULL, auth, NULL, NULL, h, NULL), SEC_E_OK);
}

#define CHECK_MSG(needle)                                                                                              \
    do {                                                                                                               \
        if (strstr(sspix_last_error(), (needle)) == NULL)                                                              \
            fprintf(stderr, "last error: %s\n", sspix_last_error());                                                   \
        CHECK(strstr(sspix_last_error(), (needle)) != NULL);                                                           \
    } while (0)

/* ---- descriptors ----------------------------------------------------------- */

static void test_descriptors(void)
{
    CredHandle cc, sc;
    CtxtHandle ctx;
    ULONG attrs;
    unsigned char tok[16] = {0x60, 0x01, 0x00}, out[16384];
    acquire("Kerberos", SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire("Kerberos", SECPKG_CRED_INBOUND, NULL, &sc);
    size_t before = sspix_handle_count(SSPIX_HANDLE_CTX);

    /* One real buffer, a count claiming a thousand: a search for the TOKEN
     * buffer would read past the array. */
    SecBuffer one = {sizeof(tok), SECBUFFER_TOKEN, tok}, empty = {0, SECBUFFER_EMPTY, NULL};
    SecBuffer ob = {sizeof(out), SECBUFFER_TOKEN, out};
    SecBufferDesc outd = {SECBUFFER_VERSION, 1, &ob};
    SecBufferDesc lying_empty = {SECBUFFER_VERSION, 1000, &empty};
    CHECK_SEC(
        t->AcceptSecurityContext(&sc, NULL, &lying_empty, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL),
        SEC_E_INVALID_TOKEN);
    CHECK_MSG("cBuffers");
    SecBufferDesc lying = {SECBUFFER_VERSION, 1000, &one};
    CHECK_SEC(t->AcceptSecurityContext(&sc, NULL, &lying, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL),
              SEC_E_INVALID_TOKEN);
    CHECK_MSG("cBuffers");
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, &lying, 0,
                                           &ctx, &outd, &attrs, NULL),
              SEC_E_INVALID_TOKEN);
    CHECK_MSG("cBuffers");

    /* The output descriptor lying the same way. */
    SecBufferDesc lying_out = {SECBUFFER_VERSION, 1000, &ob};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                           &ctx, &lying_out, &attrs, NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK_MSG("cBuffers");
    SecBufferDesc in_ok = {SECBUFFER_VERSION, 1, &one};
    CHECK_SEC(
        t->AcceptSecurityContext(&sc, NULL, &in_ok, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &lying_out, &attrs, NULL),
        SEC_E_INVALID_PARAMETER);
    CHECK_MSG("cBuffers");

    /* NULL pBuffers with a count; a version Windows does not know. */
    SecBufferDesc null_out = {SECBUFFER_VERSION, 1, NULL};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                           &ctx, &null_out, &attrs, NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK_MSG("pBuffers");
    SecBufferDesc null_in = {SECBUFFER_VERSION, 1, NULL};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, &null_in,
                                           0, &ctx, &outd, &attrs, NULL),
              SEC_E_INVALID_TOKEN);
    CHECK_MSG("pBuffers");
    SecBufferDesc v1_in = {1, 1, &one};
    CHECK_SEC(t->AcceptSecurityContext(&sc, NULL, &v1_in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL),
              SEC_E_INVALID_TOKEN);
    CHECK_MSG("ulVersion");
    SecBufferDesc v1_out = {1, 1, &ob};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                           &ctx, &v1_out, &attrs, NULL),
              SEC_E_INVALID_PARAMETER);
    CHECK_MSG("ulVersion");

    /* CompleteAuthToken and ApplyControlToken take descriptors too. */
    struct hs hs;
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK_SEC(t->CompleteAuthToken(&hs.client, &lying), SEC_E_INVALID_TOKEN);
    CHECK_MSG("cBuffers");
    CHECK_SEC(t->ApplyControlToken(&hs.client, &lying), SEC_E_INVALID_TOKEN);
    CHECK_MSG("cBuffers");
    /* ... and so do the message functions, for every package. */
    ULONG qop;
    CHECK_SEC(t->EncryptMessage(&hs.client, 0, &lying_empty, 0), SEC_E_INVALID_PARAMETER);
    CHECK_MSG("cBuffers");
    CHECK_SEC(t->DecryptMessage(&hs.server, &lying_empty, 0, &qop), SEC_E_INVALID_PARAMETER);
    CHECK_MSG("cBuffers");
    CHECK_SEC(t->MakeSignature(&hs.client, 0, &null_out, 0), SEC_E_INVALID_PARAMETER);
    CHECK_MSG("pBuffers");
    CHECK_SEC(t->VerifySignature(&hs.server, &lying_empty, 0, &qop), SEC_E_INVALID_PARAMETER);
    CHECK_MSG("cBuffers");
    hs_free(t, &hs);

    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* ---- failed first legs ----------------------------------------------------- */

static void test_failed_first_leg(const char *pkg)
{
    CredHandle cc, sc;
    CtxtHandle ctx, cctx;
    ULONG attrs;
    unsigned char small[8], c2s[16384], s2c[16384];
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    size_t before = sspix_handle_count(SSPIX_HANDLE_CTX);

    /* The client's first token does not fit: no context handle may remain. */
    memset(&ctx, 0, sizeof(ctx));
    SecBuffer sb = {sizeof(small), SECBUFFER_TOKEN, small};
    SecBufferDesc sd = {SECBUFFER_VERSION, 1, &sb};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, NULL, 0,
                                           &ctx, &sd, &attrs, NULL),
              SEC_E_BUFFER_TOO_SMALL);
    CHECK_MSG("bytes");
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before);
    CHECK_SEC(t->DeleteSecurityContext(&ctx), SEC_E_INVALID_HANDLE);

    /* A real first token; the server's reply does not fit. */
    SecBuffer cb = {sizeof(c2s), SECBUFFER_TOKEN, c2s};
    SecBufferDesc cd = {SECBUFFER_VERSION, 1, &cb};
    SECURITY_STATUS st = t->InitializeSecurityContext(&cc, NULL, "host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                                      NULL, 0, &cctx, &cd, &attrs, NULL);
    CHECK(st == SEC_I_CONTINUE_NEEDED);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before + 1);
    SecBufferDesc ind = {SECBUFFER_VERSION, 1, &cb};
    sb.cbBuffer = sizeof(small);
    memset(&ctx, 0, sizeof(ctx));
    CHECK_SEC(t->AcceptSecurityContext(&sc, NULL, &ind, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &sd, &attrs, NULL),
              SEC_E_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before + 1);
    CHECK_SEC(t->DeleteSecurityContext(&ctx), SEC_E_INVALID_HANDLE);

    /* A first AcceptSecurityContext that fails in the package: nothing left. */
    unsigned char junk[32];
    memset(junk, 0x41, sizeof(junk));
    SecBuffer jb = {sizeof(junk), SECBUFFER_TOKEN, junk};
    SecBufferDesc jd = {SECBUFFER_VERSION, 1, &jb};
    SecBuffer ob = {sizeof(s2c), SECBUFFER_TOKEN, s2c};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CHECK(!SEC_SUCCESS(
        t->AcceptSecurityContext(&sc, NULL, &jd, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &od, &attrs, NULL)));
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before + 1);

    CHECK_SEC(t->DeleteSecurityContext(&cctx), SEC_E_OK);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* ---- import ------------------------------------------------------------------ */

static SECURITY_STATUS import(const char *pkg, const unsigned char *blob, size_t len, CtxtHandle *h)
{
    SecBuffer b = {(ULONG)len, SECBUFFER_EMPTY, (void *)blob};
    return t->ImportSecurityContextA((SEC_CHAR *)pkg, &b, NULL, h);
}

/* Every damaged variant of blob is SEC_E_INVALID_TOKEN; nothing is left open. */
static void check_damage_refused(const char *pkg, const unsigned char *blob, size_t len)
{
    unsigned char *bad = malloc(len + 1);
    CtxtHandle h;
    CHECK(bad != NULL);
    size_t before = sspix_handle_count(SSPIX_HANDLE_CTX);
    for (size_t i = 0; i < len; i++) {
        static const unsigned char masks[] = {0x01, 0x80, 0xFF};
        for (size_t m = 0; m < sizeof(masks); m++) {
            memcpy(bad, blob, len);
            bad[i] ^= masks[m];
            SECURITY_STATUS st = import(pkg, bad, len, &h);
            if (st != SEC_E_INVALID_TOKEN)
                fprintf(stderr, "byte %zu ^ 0x%02x: %s: %s\n", i, masks[m], sspix_status_name(st), sspix_last_error());
            CHECK_SEC(st, SEC_E_INVALID_TOKEN);
        }
    }
    for (size_t cut = 1; cut < len; cut++) {
        SECURITY_STATUS st = import(pkg, blob, cut, &h);
        if (st != SEC_E_INVALID_TOKEN)
            fprintf(stderr, "cut at %zu: %s: %s\n", cut, sspix_status_name(st), sspix_last_error());
        CHECK_SEC(st, SEC_E_INVALID_TOKEN);
    }
    memcpy(bad, blob, len);
    bad[len] = 0;
    CHECK_SEC(import(pkg, bad, len + 1, &h), SEC_E_INVALID_TOKEN);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before);
    free(bad);
}

static void export_ctx(CtxtHandle *h, unsigned char **blob, size_t *len)
{
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    CHECK_SEC(t->ExportSecurityContext(h, 0, &packed, NULL), SEC_E_OK);
    *blob = malloc(packed.cbBuffer + 1);
    CHECK(*blob != NULL);
    memcpy(*blob, packed.pvBuffer, packed.cbBuffer);
    *len = packed.cbBuffer;
    t->FreeContextBuffer(packed.pvBuffer);
}

/* Exports both sides, checks damage, imports each once; returns the imported
 * server and client contexts' flags. */
static void export_import(const char *pkg, struct hs *hs, ULONG *server_flags, ULONG *client_flags)
{
    unsigned char *sblob, *cblob;
    size_t slen, clen;
    CtxtHandle si, ci, again;
    SecPkgContext_Flags f;
    export_ctx(&hs->server, &sblob, &slen);
    export_ctx(&hs->client, &cblob, &clen);
    check_damage_refused(pkg, sblob, slen);
    check_damage_refused(pkg, cblob, clen);

    CHECK_SEC(import(pkg, sblob, slen, &si), SEC_E_OK);
    CHECK_SEC(import(pkg, sblob, slen, &again), SEC_E_INVALID_TOKEN);
    CHECK_MSG("already imported");
    CHECK_SEC(import(pkg, cblob, clen, &ci), SEC_E_OK);
    CHECK_SEC(import(pkg, cblob, clen, &again), SEC_E_INVALID_TOKEN);

    CHECK_SEC(t->QueryContextAttributes(&si, SECPKG_ATTR_FLAGS, &f), SEC_E_OK);
    *server_flags = f.Flags;
    CHECK_SEC(t->QueryContextAttributes(&ci, SECPKG_ATTR_FLAGS, &f), SEC_E_OK);
    *client_flags = f.Flags;

    /* The imported pair still talks: client -> server. */
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributes(&ci, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    unsigned char trailer[128], data[16];
    memcpy(data, "after import....", 16);
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {16, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK(sizes.cbSecurityTrailer <= sizeof(trailer));
    CHECK_SEC(t->EncryptMessage(&ci, 0, &d, 0), SEC_E_OK);
    CHECK_SEC(t->DecryptMessage(&si, &d, 0, NULL), SEC_E_OK);
    CHECK(memcmp(b[1].pvBuffer, "after import....", 16) == 0);

    CHECK_SEC(t->DeleteSecurityContext(&si), SEC_E_OK);
    CHECK_SEC(t->DeleteSecurityContext(&ci), SEC_E_OK);
    free(sblob);
    free(cblob);
}

static void test_import_kerberos(const char *pkg)
{
    CredHandle cc, sc;
    struct hs hs;
    ULONG sf, cf;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    size_t before = sspix_handle_count(SSPIX_HANDLE_CTX);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    export_import(pkg, &hs, &sf, &cf);
    /* Kerberos really authenticated the server: the import says so, and
     * knows which side it is. */
    CHECK(sf & ASC_RET_MUTUAL_AUTH);
    CHECK(cf & ISC_RET_MUTUAL_AUTH);
    CHECK(sf & ASC_RET_SEQUENCE_DETECT);
    hs_free(t, &hs);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), before);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

static char users_file[] = "/tmp/sspix-trust-users-XXXXXX";

static void test_import_ntlm(void)
{
    CredHandle cc, sc;
    struct hs hs;
    ULONG sf, cf;
    static const char user[] = "carol", domain[] = "SSPIXDOM", pw[] = "Carol-Pa55word!";
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users_file};
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       sizeof(user) - 1,    (unsigned char *)domain,
                                    sizeof(domain) - 1,          (unsigned char *)pw, sizeof(pw) - 1,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    acquire("NTLM", SECPKG_CRED_OUTBOUND, &id, &cc);
    acquire("NTLM", SECPKG_CRED_INBOUND, &store, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(!(hs.server_attrs & ASC_RET_MUTUAL_AUTH));
    export_import("NTLM", &hs, &sf, &cf);
    CHECK(!(sf & ASC_RET_MUTUAL_AUTH));
    CHECK(!(cf & ISC_RET_MUTUAL_AUTH));
    hs_free(t, &hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* Usage: test_api_trust [PART]: descriptors, first-leg, import or import-ntlm (all but the last by default). */
int main(int argc, char **argv)
{
    char line[128];
    const char *part = argc > 1 ? argv[1] : NULL;
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    int fd = mkstemp(users_file);
    CHECK(fd >= 0);
    int n = snprintf(line, sizeof(line), "SSPIXDOM:carol:Carol-Pa55word!\n");
    CHECK(write(fd, line, (size_t)n) == n);
    close(fd);

    if (part == NULL || strcmp(part, "descriptors") == 0)
        test_descriptors();
    if (part == NULL || strcmp(part, "first-leg") == 0) {
        test_failed_first_leg("Kerberos");
        test_failed_first_leg("Negotiate");
    }
    if (part == NULL || strcmp(part, "import") == 0) {
        test_import_kerberos("Kerberos");
        test_import_kerberos("Negotiate");
        test_import_ntlm();
    }
    if (part != NULL && strcmp(part, "import-ntlm") == 0)
        test_import_ntlm();

    unlink(users_file);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_DONE("integration.api_trust");
}
