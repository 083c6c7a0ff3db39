/*
 * export_helper.c - the second process of test_export: receives an exported
 * server context over the Unix socket on fd 3, imports it
 * (ImportSecurityContextA), decrypts the client's next message and answers
 * it with "pong: " + the message. Before that it checks that damaged blobs
 * are refused. Usage: export_helper PACKAGE EXPECTED-CLIENT-NAME. Exit 0 on
 * success; the failing check is printed otherwise.
 */
#define SECURITY_WIN32
#include <security.h>

#include "common/check.h"
#include "integration/export_wire.h"

static PSecurityFunctionTableA t;

static void refused(const char *pkg, unsigned char *blob, uint32_t len, SECURITY_STATUS want)
{
    CtxtHandle h;
    SecBuffer b = {len, SECBUFFER_EMPTY, blob};
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &b, NULL, &h), want);
}

int main(int argc, char **argv)
{
    static unsigned char blob[128 * 1024], bad[128 * 1024], msg[4096];
    uint32_t len, mlen;
    const int fd = 3;
    CHECK(argc == 3);
    const char *pkg = argv[1];
    t = InitSecurityInterface();

    CHECK(wire_recv(fd, blob, sizeof(blob), &len) == 0);
    CHECK(len > 8);

    /* Damaged blobs: refused, nothing imported. */
    refused(pkg, blob, 0, SEC_E_INVALID_TOKEN);
    for (uint32_t cut = 1; cut < len; cut += (cut < 64 ? 1 : 97)) {
        CtxtHandle h;
        SecBuffer b = {cut, SECBUFFER_EMPTY, blob};
        CHECK(!SEC_SUCCESS(t->ImportSecurityContextA((SEC_CHAR *)pkg, &b, NULL, &h)));
    }
    memcpy(bad, blob, len);
    bad[0] ^= 1;
    refused(pkg, bad, len, SEC_E_INVALID_TOKEN);
    memcpy(bad, blob, len);
    bad[len] = 0;
    refused(pkg, bad, len + 1, SEC_E_INVALID_TOKEN);    /* trailing byte */
    refused(pkg, bad, 100 * 1024, SEC_E_INVALID_TOKEN); /* over the bound */
    refused(strcmp(pkg, "Kerberos") == 0 ? "Negotiate" : "Kerberos", blob, len, SEC_E_SECPKG_NOT_FOUND);
    refused("NoSuchPackage", blob, len, SEC_E_SECPKG_NOT_FOUND);
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, NULL, NULL, NULL), SEC_E_INVALID_PARAMETER);

    /* The real import. */
    CtxtHandle ctx;
    SecBuffer packed = {len, SECBUFFER_EMPTY, blob};
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &packed, NULL, &ctx), SEC_E_OK);
    SecPkgContext_NamesA names;
    CHECK_SEC(t->QueryContextAttributes(&ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, argv[2]);
    t->FreeContextBuffer(names.sUserName);
    SecPkgContext_Flags flags;
    CHECK_SEC(t->QueryContextAttributes(&ctx, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(flags.Flags & ASC_RET_MUTUAL_AUTH);
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributes(&ctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK_EQ_INT(sizes.cbSecurityTrailer, 60);

    /* The client's next message, as one STREAM. */
    CHECK(wire_recv(fd, msg, sizeof(msg), &mlen) == 0);
    SecBuffer in[2] = {{mlen, SECBUFFER_STREAM, msg}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc ind = {SECBUFFER_VERSION, 2, in};
    ULONG qop;
    CHECK_SEC(t->DecryptMessage(&ctx, &ind, 0, &qop), SEC_E_OK);
    char reply[512];
    int n = snprintf(reply, sizeof(reply), "pong: %.*s", (int)in[1].cbBuffer, (const char *)in[1].pvBuffer);
    CHECK(n > 0 && (size_t)n < sizeof(reply));

    unsigned char out[1024];
    SecBuffer ob[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, out}, {(ULONG)n, SECBUFFER_DATA, out + 64}};
    memcpy(out + 64, reply, (size_t)n);
    SecBufferDesc od = {SECBUFFER_VERSION, 2, ob};
    CHECK_SEC(t->EncryptMessage(&ctx, 0, &od, 0), SEC_E_OK);
    /* TOKEN || DATA is one wrap token */
    memmove(out + ob[0].cbBuffer, out + 64, (size_t)n);
    CHECK(wire_send(fd, out, ob[0].cbBuffer + (uint32_t)n) == 0);
    CHECK_SEC(t->DeleteSecurityContext(&ctx), SEC_E_OK);
    close(fd);
    return 0;
}
