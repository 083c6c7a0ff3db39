/* SPDX-License-Identifier: MIT */
/*
 * export_serve.h - the receiving side of test_export, shared by the exec'd
 * export_helper and the fork()ed child of test_export: imports the server
 * context received on fd, checks it (client name, mutual authentication,
 * sizes, a second import refused), decrypts the client's next message and
 * answers it with "pong: " + the message, protected with the imported
 * context. Exits through CHECK on the first failure.
 */
#ifndef SSPIX_TEST_EXPORT_SERVE_H
#define SSPIX_TEST_EXPORT_SERVE_H

#include <sspix/sspix.h>

#include "common/check.h"
#include "integration/export_wire.h"

static inline void export_serve(PSecurityFunctionTableA t, int fd, const char *pkg, const unsigned char *blob,
                                uint32_t len, const char *client)
{
    static unsigned char msg[4096];
    uint32_t mlen;
    CtxtHandle ctx, again;
    SecBuffer packed = {len, SECBUFFER_EMPTY, (void *)blob};
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &packed, NULL, &ctx), SEC_E_OK);
    /* A context is imported once. */
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &packed, NULL, &again), SEC_E_INVALID_TOKEN);
    CHECK(strstr(sspix_last_error(), "already imported") != NULL);
    SecPkgContext_NamesA names;
    CHECK_SEC(t->QueryContextAttributes(&ctx, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, client);
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
}

#endif
