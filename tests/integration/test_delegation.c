/* SPDX-License-Identifier: MIT */
/*
 * test_delegation.c - Kerberos delegation used onward, as Windows does it.
 *
 * alice's TGT is forwardable (the realm's krb5.conf says forwardable = true,
 * as Active Directory issues them). A client asking for ISC_REQ_DELEGATE
 * authenticates to service A (host/localhost); A takes the delegated
 * credential, with sspix_query_delegated_credential or, while impersonating
 * the client, with AcquireCredentialsHandle(SECPKG_CRED_OUTBOUND) and no
 * principal, and authenticates onward to service B
 * (ADSockAuth/localhost/sspix), which sees alice. The process's own ticket
 * cache is pointed at nothing while A acts, so only the delegated ticket can
 * succeed. Without ISC_REQ_DELEGATE, ASC_RET_DELEGATE is not reported and
 * there is nothing to use; NTLM never reports it.
 *
 * The impersonation part needs root (CI runs as root); without it the test
 * exits 77 (skipped) after the parts that do not.
 */
#define SECURITY_WIN32
#include <security.h>

#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char saved_ccache[1024];

static void expect_hint(const char *hint)
{
    if (strstr(sspix_last_error(), hint) == NULL) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", sspix_last_error(), hint);
        exit(1);
    }
}

static void acquire(const char *pkg, ULONG use, CredHandle *h)
{
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, use, NULL, NULL, NULL, NULL, h, NULL), SEC_E_OK);
}

/* The process's own tickets out of reach: only a delegated credential can authenticate. */
static void no_own_tickets(void)
{
    setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-no-ccache", 1);
}

static void own_tickets(void)
{
    setenv("KRB5CCNAME", saved_ccache, 1);
}

/* Service B, authenticated to with cred: it must see alice. */
static void onward_to_b(const char *pkg, CredHandle *cred)
{
    CredHandle sb;
    struct hs hs;
    SecPkgContext_NamesA names;
    acquire(pkg, SECPKG_CRED_INBOUND, &sb);
    CHECK_SEC(hs_run(t, cred, &sb, "ADSockAuth/localhost/sspix", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, "alice@SSPIX.TEST");
    t->FreeContextBuffer(names.sUserName);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&sb);
}

/* alice to service A, delegating or not. */
static void to_a(const char *pkg, ULONG extra, struct hs *hs, CredHandle *cc, CredHandle *sa)
{
    acquire(pkg, SECPKG_CRED_OUTBOUND, cc);
    acquire(pkg, SECPKG_CRED_INBOUND, sa);
    CHECK_SEC(hs_run(t, cc, sa, "host/localhost", HS_ISC_REQ | extra, HS_ASC_REQ, hs), SEC_E_OK);
}

static void test_explicit(const char *pkg)
{
    CredHandle cc, sa, d;
    struct hs hs;
    SecPkgCredentials_NamesA names;
    TimeStamp expiry;
    to_a(pkg, ISC_REQ_DELEGATE, &hs, &cc, &sa);
    CHECK(hs.client_attrs & ISC_RET_DELEGATE);
    CHECK(hs.server_attrs & ASC_RET_DELEGATE);

    no_own_tickets();
    CHECK_SEC(sspix_query_delegated_credential(&hs.server, &d, &expiry), SEC_E_OK);
    CHECK(sspix_timestamp_to_unix(&expiry) > (int64_t)time(NULL));
    CHECK_SEC(t->QueryCredentialsAttributes(&d, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, "alice@SSPIX.TEST");
    t->FreeContextBuffer(names.sUserName);
    /* The credential outlives the context it came from. */
    hs_free(t, &hs);
    onward_to_b(pkg, &d);
    t->FreeCredentialsHandle(&d);
    /* Without the delegation, the process has nothing to go onward with. */
    CHECK(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &d, NULL) !=
          SEC_E_OK);
    own_tickets();

    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sa);
}

/* The delegated credential stays in the process: an exported and imported server context has none, and says so. */
static void test_export(void)
{
    CredHandle cc, sa, d;
    CtxtHandle imported;
    struct hs hs;
    SecBuffer packed = {0};
    SecPkgContext_Flags flags;
    to_a("Kerberos", ISC_REQ_DELEGATE, &hs, &cc, &sa);
    CHECK(hs.server_attrs & ASC_RET_DELEGATE);
    CHECK_SEC(t->ExportSecurityContext(&hs.server, 0, &packed, NULL), SEC_E_OK);
    CHECK_SEC(t->ImportSecurityContext((SEC_CHAR *)"Kerberos", &packed, NULL, &imported), SEC_E_OK);
    t->FreeContextBuffer(packed.pvBuffer);
    CHECK_SEC(t->QueryContextAttributes(&imported, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(!(flags.Flags & ASC_RET_DELEGATE));
    CHECK(flags.Flags & ASC_RET_MUTUAL_AUTH);
    CHECK_SEC(sspix_query_delegated_credential(&imported, &d, NULL), SEC_E_NO_CREDENTIALS);
    t->DeleteSecurityContext(&imported);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sa);
}

static void test_not_delegated(void)
{
    CredHandle cc, sa, d;
    struct hs hs;
    to_a("Kerberos", 0, &hs, &cc, &sa);
    CHECK(!(hs.server_attrs & ASC_RET_DELEGATE));
    CHECK_SEC(sspix_query_delegated_credential(&hs.server, &d, NULL), SEC_E_NO_CREDENTIALS);
    expect_hint("ISC_REQ_DELEGATE");
    /* A client context has nothing delegated to it. */
    CHECK_SEC(sspix_query_delegated_credential(&hs.client, &d, NULL), SEC_E_UNSUPPORTED_FUNCTION);
    CHECK_SEC(sspix_query_delegated_credential(NULL, &d, NULL), SEC_E_INVALID_HANDLE);
    CHECK_SEC(sspix_query_delegated_credential(&hs.server, NULL, NULL), SEC_E_INVALID_PARAMETER);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sa);
}

/* NTLM cannot delegate: the flag is never reported, whatever was asked. */
static void test_ntlm(void)
{
    static char users[] = "/tmp/sspix-deleg-users-XXXXXX";
    static const char line[] = "SSPIXDOM:carol:Carol-Pa55word!\n";
    int fd = mkstemp(users);
    CHECK(fd >= 0);
    CHECK(write(fd, line, strlen(line)) == (ssize_t)strlen(line));
    close(fd);
    CredHandle cc, sc, d;
    struct hs hs;
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"carol",           5,  (unsigned char *)"SSPIXDOM", 8,
                                    (unsigned char *)"Carol-Pa55word!", 15, SEC_WINNT_AUTH_IDENTITY_ANSI};
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, &sc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ | ISC_REQ_DELEGATE, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(!(hs.server_attrs & ASC_RET_DELEGATE));
    CHECK_SEC(sspix_query_delegated_credential(&hs.server, &d, NULL), SEC_E_NO_CREDENTIALS);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    unlink(users);
}

/* While impersonating alice, the default outbound credential is alice's delegated one. */
static void test_impersonation(const char *pkg)
{
    CredHandle cc, sa, d;
    struct hs hs;
    SecPkgCredentials_NamesA names;
    to_a(pkg, ISC_REQ_DELEGATE, &hs, &cc, &sa);
    no_own_tickets();
    CHECK_SEC(t->ImpersonateSecurityContext(&hs.server), SEC_E_OK);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &d, NULL),
        SEC_E_OK);
    CHECK_SEC(t->QueryCredentialsAttributes(&d, SECPKG_CRED_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, "alice@SSPIX.TEST");
    t->FreeContextBuffer(names.sUserName);
    CHECK_SEC(t->RevertSecurityContext(&hs.server), SEC_E_OK);
    hs_free(t, &hs);
    /* The credential acquired while impersonating stays the client's. */
    onward_to_b(pkg, &d);
    t->FreeCredentialsHandle(&d);
    /* Reverted: the process's own (missing) tickets again. */
    CredHandle own;
    CHECK(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &own,
                                      NULL) != SEC_E_OK);
    own_tickets();
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sa);
}

int main(int argc, char **argv)
{
    int all = argc < 2;
    snprintf(saved_ccache, sizeof(saved_ccache), "%s", need_env("KRB5CCNAME"));
    t = InitSecurityInterface();
    if (all || strcmp(argv[1], "explicit") == 0) {
        test_explicit("Kerberos");
        test_explicit("Negotiate");
        test_export();
    }
    if (all || strcmp(argv[1], "none") == 0) {
        test_not_delegated();
        test_ntlm();
    }
    if (all || strcmp(argv[1], "impersonate") == 0) {
        if (geteuid() != 0) {
            printf("integration.delegation: impersonation needs root: skipped\n");
            return 77;
        }
        test_impersonation("Kerberos");
        test_impersonation("Negotiate");
    }
    CHECK_DONE("integration.delegation");
}
