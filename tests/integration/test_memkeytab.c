/* SPDX-License-Identifier: MIT */
/*
 * test_memkeytab.c - SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY: an acceptor credential
 * that read its keytab once keeps accepting after the file is gone (a server
 * that dropped root), independently of other such credentials, and with only
 * the named principal's keys. Against the throwaway KDC.
 */
#define SECURITY_WIN32
#include <security.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char kt_copy[4096]; /* the temporary copy, as a path */
static char kt_name[4200]; /* ... and as a keytab name */

/* A private copy of the realm's keytab, so that the test may delete it. */
static void copy_keytab(void)
{
    const char *src = need_env("KRB5_KTNAME");
    if (strncmp(src, "FILE:", 5) == 0)
        src += 5;
    snprintf(kt_copy, sizeof(kt_copy), "%s", "/tmp/sspix-memkeytab-XXXXXX");
    int out = mkstemp(kt_copy);
    CHECK(out >= 0);
    int in = open(src, O_RDONLY | O_CLOEXEC);
    CHECK(in >= 0);
    char buf[4096];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        CHECK(write(out, buf, (size_t)n) == n);
    CHECK(n == 0);
    close(in);
    CHECK(close(out) == 0);
    snprintf(kt_name, sizeof(kt_name), "FILE:%s", kt_copy);
}

static void acquire_server(const char *pkg, const char *principal, ULONG flags, CredHandle *sc)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = kt_name, .Flags = flags};
    CHECK_SEC(t->AcquireCredentialsHandle((SEC_CHAR *)principal, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &store,
                                          NULL, NULL, sc, NULL),
              SEC_E_OK);
}

static SECURITY_STATUS handshake(const char *pkg, CredHandle *sc, const char *target)
{
    CredHandle cc;
    struct hs hs;
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    SECURITY_STATUS st = hs_run(t, &cc, sc, target, HS_ISC_REQ, HS_ASC_REQ, &hs);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    return st;
}

/* Acquired with the flag, the keys outlive the file; without it they do not. */
static void test_survives_missing_file(const char *pkg)
{
    CredHandle mem, disk;
    copy_keytab();
    acquire_server(pkg, NULL, SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY, &mem);
    acquire_server(pkg, NULL, 0, &disk);
    CHECK_SEC(handshake(pkg, &disk, "host/localhost"), SEC_E_OK);
    CHECK(unlink(kt_copy) == 0); /* as root chmod 000 would not stop us reading: delete it */
    for (int i = 0; i < 20; i++)
        CHECK_SEC(handshake(pkg, &mem, i % 2 ? "host/localhost" : "ADSockAuth/localhost/sspix"), SEC_E_OK);
    /* The control: a credential that reads the file at accept time fails now. */
    CHECK(handshake(pkg, &disk, "host/localhost") != SEC_E_OK);
    t->FreeCredentialsHandle(&disk);
    t->FreeCredentialsHandle(&mem);
}

/* Two in-memory credentials share nothing: freeing one leaves the other. */
static void test_independent(const char *pkg)
{
    CredHandle a, b, c;
    copy_keytab();
    acquire_server(pkg, NULL, SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY, &a);
    acquire_server(pkg, NULL, SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY, &b);
    CHECK(unlink(kt_copy) == 0);
    CHECK_SEC(handshake(pkg, &a, "host/localhost"), SEC_E_OK);
    CHECK_SEC(handshake(pkg, &b, "host/localhost"), SEC_E_OK);
    t->FreeCredentialsHandle(&a);
    for (int i = 0; i < 5; i++)
        CHECK_SEC(handshake(pkg, &b, "host/localhost"), SEC_E_OK);
    /* A new one needs the file, which is gone: the old keys were not shared. */
    SSPIX_AUTH_STORE_A store = {
        .Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = kt_name, .Flags = SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, &c, NULL),
        SEC_E_NO_CREDENTIALS);
    CHECK_SEC(handshake(pkg, &b, "host/localhost"), SEC_E_OK);
    t->FreeCredentialsHandle(&b);
}

/* With a principal named, only its keys are copied. */
static void test_principal_only(const char *pkg)
{
    CredHandle sc;
    copy_keytab();
    acquire_server(pkg, "host/localhost", SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY, &sc);
    CHECK(unlink(kt_copy) == 0);
    CHECK_SEC(handshake(pkg, &sc, "host/localhost"), SEC_E_OK);
    CHECK(handshake(pkg, &sc, "ADSockAuth/localhost/sspix") != SEC_E_OK); /* in the keytab, not in the copy */
    CHECK_SEC(handshake(pkg, &sc, "host/localhost"), SEC_E_OK);
    t->FreeCredentialsHandle(&sc);
}

static void test_errors(void)
{
    CredHandle sc;
    SSPIX_AUTH_STORE_A missing = {.Magic = SSPIX_AUTH_STORE_MAGIC,
                                  .Keytab = "FILE:/nonexistent/sspix.keytab",
                                  .Flags = SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &missing, NULL, NULL,
                                          &sc, NULL),
              SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "/nonexistent/sspix.keytab") != NULL);
    CHECK(strstr(sspix_last_error(), "unreadable") != NULL);

    /* A principal that is not in the keytab: check_keytab's message, before any copy. */
    copy_keytab();
    SSPIX_AUTH_STORE_A store = {
        .Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = kt_name, .Flags = SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY};
    CHECK_SEC(t->AcquireCredentialsHandle((SEC_CHAR *)"nokey/localhost", (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND,
                                          NULL, &store, NULL, NULL, &sc, NULL),
              SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "has no key for nokey/localhost@") != NULL);

    /* Unknown flags are still refused. */
    store.Flags = 0x4;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                          &sc, NULL),
              SEC_E_INVALID_PARAMETER);

    /* Outbound: the flag has nothing to read and changes nothing. */
    store.Flags = SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY;
    store.Keytab = NULL;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &store, NULL, NULL,
                                          &sc, NULL),
              SEC_E_OK);
    t->FreeCredentialsHandle(&sc);

    /* Negotiate with NTLM allowed keeps its NTLM half and takes Kerberos from memory. */
    store.Keytab = kt_name;
    store.Flags = SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY | SSPIX_AUTH_STORE_ALLOW_NTLM;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                          &sc, NULL),
              SEC_E_OK);
    CHECK(unlink(kt_copy) == 0);
    CHECK_SEC(handshake("Negotiate", &sc, "host/localhost"), SEC_E_OK);
    t->FreeCredentialsHandle(&sc);
}

int main(void)
{
    t = InitSecurityInterface();
    CHECK(t != NULL);
    const char *pkgs[] = {"Kerberos", "Negotiate"};
    for (int p = 0; p < 2; p++) {
        test_survives_missing_file(pkgs[p]);
        test_independent(pkgs[p]);
        test_principal_only(pkgs[p]);
    }
    test_errors();
    CHECK_DONE("integration.memkeytab");
}
