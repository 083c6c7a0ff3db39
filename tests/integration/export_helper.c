/* SPDX-License-Identifier: MIT */
/*
 * export_helper.c - the second process of test_export, started with exec():
 * an unrelated process, so it shares no export key with the exporter. It
 * receives the key (first frame) and the exported server context (second)
 * over the Unix socket on fd 3, checks that the blob is refused without the
 * key and when damaged, sets the key (sspix_set_context_export_key), imports
 * the context and answers the client's next message (export_serve.h).
 * Usage: export_helper PACKAGE EXPECTED-CLIENT-NAME. Exit 0 on success; the
 * failing check is printed otherwise.
 */
#define SECURITY_WIN32
#include <security.h>

#include "common/check.h"
#include "integration/export_serve.h"
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
    static unsigned char blob[128 * 1024], bad[128 * 1024];
    unsigned char key[SSPIX_CONTEXT_EXPORT_KEY_BYTES];
    uint32_t len, klen;
    const int fd = 3;
    CHECK(argc == 3);
    const char *pkg = argv[1];
    t = InitSecurityInterface();

    CHECK(wire_recv(fd, key, sizeof(key), &klen) == 0);
    CHECK_EQ_INT(klen, sizeof(key));
    CHECK(wire_recv(fd, blob, sizeof(blob), &len) == 0);
    CHECK(len > 8);

    /* Not this process's key: refused before anything is parsed. */
    refused(pkg, blob, len, SEC_E_INVALID_TOKEN);
    CHECK(strstr(sspix_last_error(), "MAC") != NULL);
    CHECK_SEC(sspix_set_context_export_key(key, 31), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_set_context_export_key(NULL, 32), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_set_context_export_key(key, sizeof(key)), SEC_E_OK);

    /* Damaged blobs: refused, nothing imported. */
    refused(pkg, blob, 0, SEC_E_INVALID_TOKEN);
    for (uint32_t cut = 1; cut < len; cut += (cut < 64 ? 1 : 97))
        refused(pkg, blob, cut, SEC_E_INVALID_TOKEN);
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

    /* The real import, once. */
    export_serve(t, fd, pkg, blob, len, argv[2]);
    close(fd);
    return 0;
}
