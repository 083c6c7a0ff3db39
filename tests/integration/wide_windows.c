/* SPDX-License-Identifier: MIT */
/*
 * wide_windows.c - a client and a server written the way UNICODE Windows
 * code is written: TCHAR, TEXT(), the generic names (InitSecurityInterface,
 * SecPkgInfo, SEC_WINNT_AUTH_IDENTITY, AcquireCredentialsHandle, ...), the
 * function table, and nothing sspix-specific. It compiles as C with a 16-bit
 * wchar_t (-fshort-wchar) or gcc's 32-bit one, and as C++.
 *
 *   wide_windows PACKAGE TARGET [USER DOMAIN PASSWORD]
 *
 * Without USER it uses the caller's tickets; with them it logs on with a
 * SEC_WINNT_AUTH_IDENTITY (UTF-8 on the command line, converted here to
 * TCHAR). The server takes its credential from the environment (the keytab;
 * for NTLM, NTLM_USER_FILE). Prints the package and the client's name as the
 * server sees it, then sends one encrypted message. Exit 0 on success.
 */
#ifndef UNICODE
#define UNICODE
#endif
#ifndef _UNICODE
#define _UNICODE
#endif
#define SECURITY_WIN32
#include <security.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
/* Windows' SEC_WINNT_AUTH_IDENTITY_W members are unsigned short *; C++ code
 * casts TCHAR strings to them, as on Windows. */
#define IDENTITY_STRING(s) ((SSPIX_IDENTITY_WCHAR *)(s))
#else
#define IDENTITY_STRING(s) (s)
#endif

static ULONG tlen(const TCHAR *s)
{
    ULONG n = 0;
    while (s[n] != 0)
        n++;
    return n;
}

/* UTF-8 command-line text as TCHAR (what MultiByteToWideChar(CP_UTF8) does on
 * Windows); well-formed input assumed: this is a test driver. */
static TCHAR *from_utf8(const char *s)
{
    size_t n = strlen(s), o = 0;
    TCHAR *w = (TCHAR *)calloc(n + 1, sizeof(TCHAR));
    if (w == NULL)
        exit(2);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        unsigned long cp;
        int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
        for (int k = 1; k < len && i + (size_t)k < n; k++)
            cp = (cp << 6) | ((unsigned char)s[i + (size_t)k] & 0x3Fu);
        i += (size_t)len;
        if (sizeof(TCHAR) == 2 && cp >= 0x10000) {
            cp -= 0x10000;
            w[o++] = (TCHAR)(0xD800 + (cp >> 10));
            w[o++] = (TCHAR)(0xDC00 + (cp & 0x3FF));
        } else {
            w[o++] = (TCHAR)cp;
        }
    }
    return w;
}

/* TCHAR text to UTF-8 on stdout. */
static void put(const TCHAR *s)
{
    for (ULONG i = 0; s[i] != 0; i++) {
        unsigned long cp = (unsigned long)s[i];
        if (sizeof(TCHAR) == 2 && cp >= 0xD800 && cp < 0xDC00 && s[i + 1] != 0)
            cp = 0x10000 + ((cp - 0xD800) << 10) + ((unsigned long)s[++i] - 0xDC00);
        if (cp < 0x80) {
            putchar((int)cp);
        } else if (cp < 0x800) {
            putchar((int)(0xC0 | (cp >> 6)));
            putchar((int)(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            putchar((int)(0xE0 | (cp >> 12)));
            putchar((int)(0x80 | ((cp >> 6) & 0x3F)));
            putchar((int)(0x80 | (cp & 0x3F)));
        } else {
            putchar((int)(0xF0 | (cp >> 18)));
            putchar((int)(0x80 | ((cp >> 12) & 0x3F)));
            putchar((int)(0x80 | ((cp >> 6) & 0x3F)));
            putchar((int)(0x80 | (cp & 0x3F)));
        }
    }
}

static int fail(const char *what, SECURITY_STATUS ss)
{
    fprintf(stderr, "%s failed: 0x%08lx\n", what, (unsigned long)(ULONG)ss);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 6) {
        fprintf(stderr, "usage: %s PACKAGE TARGET [USER DOMAIN PASSWORD]\n", argv[0]);
        return 2;
    }
    TCHAR *package = from_utf8(argv[1]), *target = from_utf8(argv[2]);
    PSecurityFunctionTable pFuncs = InitSecurityInterface();
    if (pFuncs == NULL)
        return fail("InitSecurityInterface", -1);

    PSecPkgInfo pInfo = NULL;
    SECURITY_STATUS ss = pFuncs->QuerySecurityPackageInfo(package, &pInfo);
    if (ss != SEC_E_OK)
        return fail("QuerySecurityPackageInfo", ss);
    ULONG cbMaxToken = pInfo->cbMaxToken;
    pFuncs->FreeContextBuffer(pInfo);

    CredHandle hServerCred, hClientCred;
    TimeStamp tsExpiry;
    ss = pFuncs->AcquireCredentialsHandle(NULL, package, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &hServerCred,
                                          &tsExpiry);
    if (ss != SEC_E_OK)
        return fail("AcquireCredentialsHandle (server)", ss);

    SEC_WINNT_AUTH_IDENTITY identity;
    TCHAR *user = NULL, *domain = NULL, *password = NULL;
    if (argc == 6) {
        user = from_utf8(argv[3]);
        domain = from_utf8(argv[4]);
        password = from_utf8(argv[5]);
        memset(&identity, 0, sizeof(identity));
        identity.User = IDENTITY_STRING(user);
        identity.UserLength = tlen(user);
        identity.Domain = IDENTITY_STRING(domain);
        identity.DomainLength = tlen(domain);
        identity.Password = IDENTITY_STRING(password);
        identity.PasswordLength = tlen(password);
        identity.Flags = SEC_WINNT_AUTH_IDENTITY_UNICODE;
    }
    ss = pFuncs->AcquireCredentialsHandle(NULL, package, SECPKG_CRED_OUTBOUND, NULL, argc == 6 ? &identity : NULL, NULL,
                                          NULL, &hClientCred, &tsExpiry);
    if (ss != SEC_E_OK)
        return fail("AcquireCredentialsHandle (client)", ss);

    /* The handshake, token by token, as two peers would run it. */
    BYTE *c2s = (BYTE *)malloc(cbMaxToken), *s2c = (BYTE *)malloc(cbMaxToken);
    ULONG c2sLen = 0, s2cLen = 0, fClientAttr = 0, fServerAttr = 0;
    CtxtHandle hClient, hServer;
    BOOL haveClient = FALSE, haveServer = FALSE, clientDone = FALSE, serverDone = FALSE;
    for (int round = 0; round < 10 && !(clientDone && serverDone); round++) {
        if (!clientDone) {
            SecBuffer inBuf = {s2cLen, SECBUFFER_TOKEN, s2c}, outBuf = {cbMaxToken, SECBUFFER_TOKEN, c2s};
            SecBufferDesc inDesc = {SECBUFFER_VERSION, 1, &inBuf}, outDesc = {SECBUFFER_VERSION, 1, &outBuf};
            ss = pFuncs->InitializeSecurityContext(
                &hClientCred, haveClient ? &hClient : NULL, target,
                ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT | ISC_REQ_REPLAY_DETECT, 0,
                SECURITY_NATIVE_DREP, haveClient ? &inDesc : NULL, 0, &hClient, &outDesc, &fClientAttr, &tsExpiry);
            if (!SEC_SUCCESS(ss))
                return fail("InitializeSecurityContext", ss);
            haveClient = TRUE;
            clientDone = ss == SEC_E_OK;
            c2sLen = outBuf.cbBuffer;
        }
        if (c2sLen > 0) {
            SecBuffer inBuf = {c2sLen, SECBUFFER_TOKEN, c2s}, outBuf = {cbMaxToken, SECBUFFER_TOKEN, s2c};
            SecBufferDesc inDesc = {SECBUFFER_VERSION, 1, &inBuf}, outDesc = {SECBUFFER_VERSION, 1, &outBuf};
            ss = pFuncs->AcceptSecurityContext(&hServerCred, haveServer ? &hServer : NULL, &inDesc,
                                               ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY, SECURITY_NATIVE_DREP,
                                               &hServer, &outDesc, &fServerAttr, &tsExpiry);
            if (!SEC_SUCCESS(ss))
                return fail("AcceptSecurityContext", ss);
            haveServer = TRUE;
            serverDone = ss == SEC_E_OK;
            s2cLen = outBuf.cbBuffer;
            c2sLen = 0;
        }
    }
    if (!clientDone || !serverDone)
        return fail("handshake", SEC_E_INTERNAL_ERROR);

    SecPkgContext_Names names;
    ss = pFuncs->QueryContextAttributes(&hServer, SECPKG_ATTR_NAMES, &names);
    if (ss != SEC_E_OK)
        return fail("QueryContextAttributes(NAMES)", ss);
    SecPkgContext_PackageInfo pkg;
    ss = pFuncs->QueryContextAttributes(&hServer, SECPKG_ATTR_PACKAGE_INFO, &pkg);
    if (ss != SEC_E_OK)
        return fail("QueryContextAttributes(PACKAGE_INFO)", ss);
    fputs("package: ", stdout);
    put(pkg.PackageInfo->Name);
    fputs("\nclient: ", stdout);
    put(names.sUserName);
    putchar('\n');
    pFuncs->FreeContextBuffer(pkg.PackageInfo);
    pFuncs->FreeContextBuffer(names.sUserName);

    /* One sealed message, client to server. */
    SecPkgContext_Sizes sizes;
    ss = pFuncs->QueryContextAttributes(&hClient, SECPKG_ATTR_SIZES, &sizes);
    if (ss != SEC_E_OK)
        return fail("QueryContextAttributes(SIZES)", ss);
    BYTE *trailer = (BYTE *)malloc(sizes.cbSecurityTrailer);
    char message[] = "hello from a UNICODE program";
    SecBuffer msg[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer},
                        {(ULONG)strlen(message), SECBUFFER_DATA, message}};
    SecBufferDesc msgDesc = {SECBUFFER_VERSION, 2, msg};
    ss = pFuncs->EncryptMessage(&hClient, 0, &msgDesc, 0);
    if (ss != SEC_E_OK)
        return fail("EncryptMessage", ss);
    ULONG qop = 0;
    ss = pFuncs->DecryptMessage(&hServer, &msgDesc, 0, &qop);
    if (ss != SEC_E_OK)
        return fail("DecryptMessage", ss);
    printf("message: %.*s\n", (int)msg[1].cbBuffer, (const char *)msg[1].pvBuffer);

    pFuncs->DeleteSecurityContext(&hClient);
    pFuncs->DeleteSecurityContext(&hServer);
    pFuncs->FreeCredentialsHandle(&hClientCred);
    FreeCredentialHandle(&hServerCred);
    free(trailer);
    free(c2s);
    free(s2c);
    free(package);
    free(target);
    free(user);
    free(domain);
    if (password != NULL)
        memset(password, 0, tlen(password) * sizeof(TCHAR));
    free(password);
    return 0;
}
