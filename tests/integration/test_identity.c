/* SPDX-License-Identifier: MIT */
/*
 * test_identity.c - the pAuthData forms real SSPI code passes, and the
 * credential names it asks for.
 *
 *   - SEC_WINNT_AUTH_IDENTITY_EXA (Version, Length, PackageList) is read as
 *     the extended structure, with and without a user: a password logon, the
 *     default identity with a PackageList, PackageList errors;
 *   - SEC_WINNT_AUTH_IDENTITY_EX2 is refused clearly;
 *   - QueryCredentialsAttributes(SECPKG_CRED_ATTR_NAMES) on NTLM and
 *     Negotiate credentials, inbound and outbound, answers (gss-ntlmssp
 *     cannot be asked about a nameless credential).
 */
#define SECURITY_WIN32
#include <security.h>

#include <stdint.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;

static SEC_WINNT_AUTH_IDENTITY_EXA ex_identity(const char *user, const char *domain, const char *password,
                                               const char *packages)
{
    SEC_WINNT_AUTH_IDENTITY_EXA ex;
    memset(&ex, 0, sizeof(ex));
    ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    ex.Length = sizeof(ex);
    ex.User = (unsigned char *)user;
    ex.UserLength = user ? (ULONG)strlen(user) : 0;
    ex.Domain = (unsigned char *)domain;
    ex.DomainLength = domain ? (ULONG)strlen(domain) : 0;
    ex.Password = (unsigned char *)password;
    ex.PasswordLength = password ? (ULONG)strlen(password) : 0;
    ex.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    ex.PackageList = (unsigned char *)packages;
    ex.PackageListLength = packages ? (ULONG)strlen(packages) : 0;
    return ex;
}

static void expect_error(SECURITY_STATUS got, SECURITY_STATUS want, const char *hint)
{
    CHECK_SEC(got, want);
    if (strstr(sspix_last_error(), hint) == NULL) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", sspix_last_error(), hint);
        exit(1);
    }
}

/* A handshake from this client credential to the realm's service; returns the client's name as the server saw it. */
static void handshake_as(const char *pkg, CredHandle *cc, const char *want_client)
{
    CredHandle sc;
    struct hs hs;
    SecPkgContext_NamesA names;
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, want_client);
    t->FreeContextBuffer(names.sUserName);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&sc);
}

static void test_ex_password_logon(void)
{
    const char *pw = need_env("SSPIX_BOB_PASSWORD");
    const char *pkgs[] = {"Kerberos", "Negotiate"};
    for (int i = 0; i < 2; i++) {
        CredHandle cc;
        SEC_WINNT_AUTH_IDENTITY_EXA ex = ex_identity("bob", "SSPIX.TEST", pw, i ? "Kerberos,NTLM" : NULL);
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                              &cc, NULL),
                  SEC_E_OK);
        handshake_as(pkgs[i], &cc, "bob@SSPIX.TEST");
        t->FreeCredentialsHandle(&cc);
    }
    /* A wrong password in the extended form is a logon failure, as in the plain one. */
    CredHandle cc;
    SEC_WINNT_AUTH_IDENTITY_EXA ex = ex_identity("bob", "SSPIX.TEST", "not-bobs-password", NULL);
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_LOGON_DENIED, "bob@SSPIX.TEST");
}

/* HTTP clients pass the extended form with no user for single sign-on, only to carry a PackageList. */
static void test_ex_default_identity(void)
{
    const char *lists[] = {"Kerberos", "!ntlm", "Negotiate, Kerberos", "kerberos,NTLM"};
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        CredHandle cc;
        SEC_WINNT_AUTH_IDENTITY_EXA ex = ex_identity(NULL, NULL, NULL, lists[i]);
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL,
                                              NULL, &cc, NULL),
                  SEC_E_OK);
        handshake_as("Negotiate", &cc, "alice@SSPIX.TEST");
        t->FreeCredentialsHandle(&cc);
    }
}

static void test_ex_errors(void)
{
    CredHandle cc;
    SEC_WINNT_AUTH_IDENTITY_EXA ex = ex_identity(NULL, NULL, NULL, "Kerberos,Digest");
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_SECPKG_NOT_FOUND, "\"Digest\"");
    ex = ex_identity(NULL, NULL, NULL, "Kerberos,,NTLM");
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_INVALID_PARAMETER, "empty element");
    ex = ex_identity(NULL, NULL, NULL, "NTLM,!ntlm");
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_INVALID_PARAMETER, "both names and excludes");
    ex = ex_identity(NULL, NULL, NULL, "!Kerberos");
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_UNSUPPORTED_FUNCTION, "no package left");
    ex = ex_identity(NULL, NULL, NULL, NULL);
    ex.PackageListLength = 4;
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_INVALID_PARAMETER, "PackageList is NULL");
    /* EX2 is a packed layout of its own: refused, never misread. */
    struct {
        ULONG Version;
        USHORT cbHeaderLength;
        ULONG cbStructureLength;
        unsigned char rest[64];
    } ex2 = {SEC_WINNT_AUTH_IDENTITY_VERSION_2, 0, 0, {0}};
    expect_error(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &ex2, NULL, NULL,
                                             &cc, NULL),
                 SEC_E_UNSUPPORTED_FUNCTION, "SEC_WINNT_AUTH_IDENTITY_EX2");
}

static void expect_cred_name(CredHandle *cred, const char *want)
{
    SecPkgCredentials_NamesA n = {0};
    CHECK_SEC(t->QueryCredentialsAttributes(cred, SECPKG_CRED_ATTR_NAMES, &n), SEC_E_OK);
    CHECK(n.sUserName != NULL);
    if (want != NULL)
        CHECK_STR(n.sUserName, want);
    CHECK(n.sUserName[0] != '\0');
    t->FreeContextBuffer(n.sUserName);
}

static void test_ntlm_cred_names(void)
{
    char users[] = "/tmp/sspix-identity-users-XXXXXX";
    int fd = mkstemp(users);
    CHECK(fd >= 0);
    const char *line = "SSPIXDOM:carol:Carol-Pa55word!\n";
    CHECK(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    close(fd);
    CredHandle c;

    /* A default NTLM acceptor: gss-ntlmssp has no name for it. */
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &c, NULL),
        SEC_E_OK);
    expect_cred_name(&c, NULL);
    t->FreeCredentialsHandle(&c);

    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, &c, NULL),
        SEC_E_OK);
    expect_cred_name(&c, NULL);
    t->FreeCredentialsHandle(&c);

    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"carol",           5,  (unsigned char *)"SSPIXDOM", 8,
                                    (unsigned char *)"Carol-Pa55word!", 15, SEC_WINNT_AUTH_IDENTITY_ANSI};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &c, NULL),
        SEC_E_OK);
    expect_cred_name(&c, "SSPIXDOM\\carol");
    t->FreeCredentialsHandle(&c);

    /* Negotiate acceptors with NTLM allowed, with and without a users file. */
    SSPIX_AUTH_STORE_A allow = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Flags = SSPIX_AUTH_STORE_ALLOW_NTLM};
    SSPIX_AUTH_STORE_A *stores[] = {&store, &allow};
    for (int i = 0; i < 2; i++) {
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, stores[i], NULL,
                                              NULL, &c, NULL),
                  SEC_E_OK);
        SecPkgCredentials_NamesA n = {0};
        SECURITY_STATUS st = t->QueryCredentialsAttributes(&c, SECPKG_CRED_ATTR_NAMES, &n);
        /* Kerberos' any-principal acceptor has no single name; what matters is an answer, not a crash. */
        CHECK(st == SEC_E_OK || st == SEC_E_NO_CREDENTIALS);
        if (st == SEC_E_OK)
            t->FreeContextBuffer(n.sUserName);
        t->FreeCredentialsHandle(&c);
    }
    unlink(users);
}

int main(void)
{
    need_env("KRB5_CONFIG");
    t = InitSecurityInterfaceA();
    test_ex_password_logon();
    test_ex_default_identity();
    test_ex_errors();
    test_ntlm_cred_names();
    CHECK_DONE("test_identity");
}
