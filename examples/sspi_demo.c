/* SPDX-License-Identifier: MIT */
/*
 * sspi_demo.c - a client and a server context authenticating each other in
 * one process, written the way Windows SSPI code is written: SECURITY_WIN32,
 * <security.h>, InitSecurityInterface() and calls through the table.
 *
 * Build it against an installed sspix with nothing but pkg-config:
 *     cc sspi_demo.c $(pkg-config --cflags --libs sspix) -o sspi_demo
 * Run it with a ticket (kinit) and a keytab holding the service's key:
 *     ./sspi_demo [Negotiate|Kerberos] [SPN]       (default: Negotiate host/localhost)
 */
#define SECURITY_WIN32
#include <security.h>
#include <sspi.h>

#include <stdio.h>
#include <string.h>

static PSecurityFunctionTable g_pFuncs;

static void print_flags(const char *who, ULONG f, int server)
{
    printf("  %-6s flags 0x%08x:%s%s%s%s%s%s\n", who, (unsigned)f,
           (f & (server ? ASC_RET_MUTUAL_AUTH : ISC_RET_MUTUAL_AUTH)) ? " MUTUAL_AUTH" : "",
           (f & (server ? ASC_RET_CONFIDENTIALITY : ISC_RET_CONFIDENTIALITY)) ? " CONFIDENTIALITY" : "",
           (f & (server ? ASC_RET_INTEGRITY : ISC_RET_INTEGRITY)) ? " INTEGRITY" : "",
           (f & (server ? ASC_RET_REPLAY_DETECT : ISC_RET_REPLAY_DETECT)) ? " REPLAY_DETECT" : "",
           (f & (server ? ASC_RET_SEQUENCE_DETECT : ISC_RET_SEQUENCE_DETECT)) ? " SEQUENCE_DETECT" : "",
           (f & (server ? ASC_RET_DELEGATE : ISC_RET_DELEGATE)) ? " DELEGATE" : "");
}

static int fail(const char *what, SECURITY_STATUS ss)
{
    fprintf(stderr, "%s failed: %s (0x%08x)\n  %s\n", what, sspix_status_name(ss), (unsigned)ss, sspix_last_error());
    return 1;
}

static int describe(const char *who, CtxtHandle *ctx)
{
    SecPkgContext_NativeNames names;
    SecPkgContext_PackageInfo pkg;
    SECURITY_STATUS ss;
    if ((ss = g_pFuncs->QueryContextAttributes(ctx, SECPKG_ATTR_NATIVE_NAMES, &names)) != SEC_E_OK)
        return fail("QueryContextAttributes(NATIVE_NAMES)", ss);
    if ((ss = g_pFuncs->QueryContextAttributes(ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg)) != SEC_E_OK)
        return fail("QueryContextAttributes(PACKAGE_INFO)", ss);
    printf("  %-6s view: client %s, server %s, package %s\n", who, names.sClientName, names.sServerName,
           pkg.PackageInfo->Name);
    g_pFuncs->FreeContextBuffer(names.sClientName);
    g_pFuncs->FreeContextBuffer(names.sServerName);
    g_pFuncs->FreeContextBuffer(pkg.PackageInfo);
    return 0;
}

int main(int argc, char **argv)
{
    SEC_CHAR *package = (SEC_CHAR *)(argc > 1 ? argv[1] : "Negotiate");
    SEC_CHAR *spn = (SEC_CHAR *)(argc > 2 ? argv[2] : "host/localhost");
    CredHandle hClientCred, hServerCred;
    CtxtHandle hClient, hServer;
    TimeStamp Lifetime;
    ULONG fClientAttr = 0, fServerAttr = 0;
    BYTE toServer[65536], toClient[65536];
    DWORD cbToServer = 0, cbToClient = 0;
    BOOL clientDone = FALSE, serverDone = FALSE, first = TRUE;
    SECURITY_STATUS ss;
    int legs = 0;

    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: %s [Negotiate|Kerberos] [SPN]\n", argv[0]);
        return 0;
    }
    g_pFuncs = InitSecurityInterface();
    if ((ss = g_pFuncs->AcquireCredentialsHandle(NULL, package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                                 &hClientCred, &Lifetime)) != SEC_E_OK)
        return fail("AcquireCredentialsHandle(OUTBOUND)", ss);
    if ((ss = g_pFuncs->AcquireCredentialsHandle(NULL, package, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                                 &hServerCred, &Lifetime)) != SEC_E_OK)
        return fail("AcquireCredentialsHandle(INBOUND)", ss);

    while (!(clientDone && serverDone)) {
        if (!clientDone) {
            SecBuffer in = {cbToClient, SECBUFFER_TOKEN, toClient}, out = {sizeof(toServer), SECBUFFER_TOKEN, toServer};
            SecBufferDesc inDesc = {SECBUFFER_VERSION, 1, &in}, outDesc = {SECBUFFER_VERSION, 1, &out};
            ss = g_pFuncs->InitializeSecurityContext(&hClientCred, first ? NULL : &hClient, spn,
                                                     ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY |
                                                         ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT,
                                                     0, SECURITY_NATIVE_DREP, first ? NULL : &inDesc, 0, &hClient,
                                                     &outDesc, &fClientAttr, &Lifetime);
            if (!SEC_SUCCESS(ss))
                return fail("InitializeSecurityContext", ss);
            first = FALSE;
            legs++;
            cbToServer = out.cbBuffer;
            clientDone = ss == SEC_E_OK;
            printf("client -> %u bytes (%s)\n", (unsigned)cbToServer, sspix_status_name(ss));
        }
        if (cbToServer > 0) {
            SecBuffer in = {cbToServer, SECBUFFER_TOKEN, toServer}, out = {sizeof(toClient), SECBUFFER_TOKEN, toClient};
            SecBufferDesc inDesc = {SECBUFFER_VERSION, 1, &in}, outDesc = {SECBUFFER_VERSION, 1, &out};
            ss = g_pFuncs->AcceptSecurityContext(&hServerCred, legs > 1 ? &hServer : NULL, &inDesc,
                                                 ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY |
                                                     ASC_REQ_REPLAY_DETECT | ASC_REQ_SEQUENCE_DETECT,
                                                 SECURITY_NATIVE_DREP, &hServer, &outDesc, &fServerAttr, &Lifetime);
            if (!SEC_SUCCESS(ss))
                return fail("AcceptSecurityContext", ss);
            legs++;
            cbToClient = out.cbBuffer;
            cbToServer = 0;
            serverDone = ss == SEC_E_OK;
            printf("server -> %u bytes (%s)\n", (unsigned)cbToClient, sspix_status_name(ss));
        } else if (!clientDone) {
            fprintf(stderr, "the client expects a token but the server sent none\n");
            return 1;
        }
        if (legs > 10) {
            fprintf(stderr, "handshake did not finish in 10 legs\n");
            return 1;
        }
    }

    printf("mutual authentication with %s in %d legs\n", package, legs);
    if (describe("client", &hClient) || describe("server", &hServer))
        return 1;
    print_flags("client", fClientAttr, 0);
    print_flags("server", fServerAttr, 1);
    if (!(fClientAttr & ISC_RET_MUTUAL_AUTH) || !(fServerAttr & ASC_RET_MUTUAL_AUTH)) {
        fprintf(stderr, "mutual authentication was not established\n");
        return 1;
    }
    g_pFuncs->DeleteSecurityContext(&hClient);
    g_pFuncs->DeleteSecurityContext(&hServer);
    g_pFuncs->FreeCredentialsHandle(&hClientCred);
    g_pFuncs->FreeCredentialsHandle(&hServerCred);
    return 0;
}
