/* SPDX-License-Identifier: MIT */
/*
 * test_rfc4121_sspi.c - Kerberos message protection through the SSPI table
 * once rfc4121.c protects an AES context's messages: messages in both
 * directions, then ExportSecurityContext / ImportSecurityContextA of a
 * context that has already sent and received messages, then more messages.
 *
 * The imported context must go on where the exported one stopped: with its
 * next send sequence number (else the peer refuses the next message as a
 * replay, SEC_E_OUT_OF_SEQUENCE) and with its receive window (a message it
 * had already received is still a replay after the import). Kerberos and
 * Negotiate, to host/localhost (aes256-cts-hmac-sha1-96) and
 * sha2svc/localhost (aes256-cts-hmac-sha384-192).
 */
#define SECURITY_WIN32
#include <security.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;

/* Encrypts text at from into buf (TOKEN | DATA laid out as one message); returns its length. */
static ULONG seal(CtxtHandle *from, const char *text, unsigned char *buf)
{
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributes(from, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    size_t n = strlen(text);
    memcpy(buf + sizes.cbSecurityTrailer, text, n);
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, buf},
                      {(ULONG)n, SECBUFFER_DATA, buf + sizes.cbSecurityTrailer}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
    CHECK_EQ_INT(b[0].cbBuffer, sizes.cbSecurityTrailer);
    return b[0].cbBuffer + (ULONG)n;
}

/* Decrypts a copy of msg at to as one STREAM. */
static SECURITY_STATUS unseal(CtxtHandle *to, const unsigned char *msg, ULONG len, const char *want)
{
    unsigned char copy[512];
    memcpy(copy, msg, len);
    SecBuffer b[2] = {{len, SECBUFFER_STREAM, copy}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 1;
    SECURITY_STATUS st = t->DecryptMessage(to, &d, 0, &qop);
    if (st == SEC_E_OK) {
        CHECK_EQ_INT(qop, 0);
        CHECK_EQ_INT(b[1].cbBuffer, strlen(want));
        CHECK(memcmp(b[1].pvBuffer, want, strlen(want)) == 0);
    }
    return st;
}

static void run(const char *pkg, const char *target)
{
    CredHandle cc, sc;
    struct hs hs;
    unsigned char m1[512], m2[512], m3[512];
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, target, HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);

    /* Messages both ways before the export. */
    for (int i = 0; i < 3; i++) {
        ULONG n = seal(&hs.client, "client to server", m1);
        CHECK_SEC(unseal(&hs.server, m1, n, "client to server"), SEC_E_OK);
        n = seal(&hs.server, "server to client", m2);
        CHECK_SEC(unseal(&hs.client, m2, n, "server to client"), SEC_E_OK);
    }
    ULONG old_len = seal(&hs.client, "received before the export", m3);
    CHECK_SEC(unseal(&hs.server, m3, old_len, "received before the export"), SEC_E_OK);

    /* The server context moves (here: into this same process, under a new handle). */
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    CHECK_SEC(t->ExportSecurityContext(&hs.server, SECPKG_CONTEXT_EXPORT_DELETE_OLD, &packed, NULL), SEC_E_OK);
    CtxtHandle moved;
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &packed, NULL, &moved), SEC_E_OK);
    CHECK_SEC(t->FreeContextBuffer(packed.pvBuffer), SEC_E_OK);

    /* It sends with the next sequence number ... */
    ULONG n = seal(&moved, "from the imported server", m2);
    SECURITY_STATUS st = unseal(&hs.client, m2, n, "from the imported server");
    if (st != SEC_E_OK)
        fprintf(stderr, "%s %s: the client refused the imported context's message: %s\n", pkg, target,
                sspix_last_error());
    CHECK_SEC(st, SEC_E_OK);
    /* ... receives the client's next one ... */
    n = seal(&hs.client, "to the imported server", m1);
    CHECK_SEC(unseal(&moved, m1, n, "to the imported server"), SEC_E_OK);
    /* ... and still knows what it had received before. */
    CHECK_SEC(unseal(&moved, m3, old_len, "received before the export"), SEC_E_OUT_OF_SEQUENCE);
    CHECK(strstr(sspix_last_error(), "replay") != NULL);
    /* Signatures too. */
    unsigned char sig[64], data[5] = "hello";
    SecBuffer sb[2] = {{5, SECBUFFER_DATA, data}, {sizeof(sig), SECBUFFER_TOKEN, sig}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, sb};
    CHECK_SEC(t->MakeSignature(&moved, 0, &sd, 0), SEC_E_OK);
    ULONG qop;
    CHECK_SEC(t->VerifySignature(&hs.client, &sd, 0, &qop), SEC_E_OK);
    CHECK_SEC(t->VerifySignature(&hs.client, &sd, 0, &qop), SEC_E_OUT_OF_SEQUENCE);

    CHECK_SEC(t->DeleteSecurityContext(&moved), SEC_E_OK);
    hs_free(t, &hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

int main(void)
{
    t = InitSecurityInterfaceA();
    CHECK(t != NULL);
    static const char *const pkgs[] = {"Kerberos", "Negotiate"};
    static const char *const targets[] = {"host/localhost", "sha2svc/localhost"};
    for (int p = 0; p < 2; p++)
        for (int g = 0; g < 2; g++)
            run(pkgs[p], targets[g]);
    CHECK_DONE("test_rfc4121_sspi");
    return 0;
}
