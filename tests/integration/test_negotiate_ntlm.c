/* SPDX-License-Identifier: MIT */
/*
 * test_negotiate_ntlm.c - Negotiate and NTLM on the default path, as Windows'
 * Negotiate behaves:
 *
 *   - a Negotiate acceptor that allows NTLM takes a raw NTLMSSP first token
 *     (and still a raw Kerberos one), choosing its credential from the
 *     token's mechanism;
 *   - a wrong NTLM password, or a user the users file lacks, is
 *     SEC_E_LOGON_DENIED, inside SPNEGO as alone; a users file that vanished
 *     is SEC_E_NO_CREDENTIALS, not a "wrong password";
 *   - a Negotiate client with a password falls back to NTLM when Kerberos
 *     cannot be used (principal unknown to the KDC, no KDC for the realm, a
 *     KDC that does not answer)
 *     and NTLM is allowed, but a wrong Kerberos password does not fall back.
 */
#define SECURITY_WIN32
#include <security.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char users_file[] = "/tmp/sspix-negntlm-users-XXXXXX";
static char creds_file[] = "/tmp/sspix-negntlm-creds-XXXXXX";
static char wrong_file[] = "/tmp/sspix-negntlm-wrong-XXXXXX";
static char stranger_file[] = "/tmp/sspix-negntlm-stranger-XXXXXX";
static const char *password = "Carol-Pa55word!";

static void write_file(char *tmpl, const char *content)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

static void expect_hint(const char *hint)
{
    if (strstr(sspix_last_error(), hint) == NULL) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", sspix_last_error(), hint);
        exit(1);
    }
}

static void server_cred(CredHandle *sc, const char *pkg, const char *file)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = file};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, sc, NULL),
        SEC_E_OK);
}

static SEC_WINNT_AUTH_IDENTITY_A plain_identity(const char *user, const char *domain, const char *pw)
{
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user), (unsigned char *)domain,
                                    (ULONG)strlen(domain),       (unsigned char *)pw, (ULONG)strlen(pw),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    return id;
}

static SEC_WINNT_AUTH_IDENTITY_EXA ex_identity(const char *user, const char *domain, const char *pw,
                                               const char *packages)
{
    SEC_WINNT_AUTH_IDENTITY_EXA ex;
    memset(&ex, 0, sizeof(ex));
    ex.Version = SEC_WINNT_AUTH_IDENTITY_VERSION;
    ex.Length = sizeof(ex);
    ex.User = (unsigned char *)user;
    ex.UserLength = (ULONG)strlen(user);
    ex.Domain = (unsigned char *)domain;
    ex.DomainLength = (ULONG)strlen(domain);
    ex.Password = (unsigned char *)pw;
    ex.PasswordLength = (ULONG)strlen(pw);
    ex.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
    ex.PackageList = (unsigned char *)packages;
    ex.PackageListLength = packages ? (ULONG)strlen(packages) : 0;
    return ex;
}

static void negotiated_server(struct hs *hs, const char *want)
{
    SecPkgContext_NegotiationInfoA ni;
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, want);
    t->FreeContextBuffer(ni.PackageInfo);
}

static void server_sees(struct hs *hs, const char *want)
{
    SecPkgContext_NamesA names;
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    if (strstr(names.sUserName, want) == NULL) {
        fprintf(stderr, "the server sees \"%s\", expected \"%s\"\n", names.sUserName, want);
        exit(1);
    }
    t->FreeContextBuffer(names.sUserName);
}

/* One sealed message each way, so the context's protection is the negotiated mechanism's. */
static void round_trip(struct hs *hs)
{
    SecPkgContext_Sizes sz;
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    unsigned char tok[256], data[16];
    memcpy(data, "hello, acceptor!", 16);
    SecBuffer b[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, tok}, {16, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK(sz.cbSecurityTrailer <= sizeof(tok));
    CHECK_SEC(t->EncryptMessage(&hs->client, 0, &d, 0), SEC_E_OK);
    CHECK_SEC(t->DecryptMessage(&hs->server, &d, 0, NULL), SEC_E_OK);
    CHECK(memcmp(b[1].pvBuffer, "hello, acceptor!", 16) == 0);
}

/* A Negotiate acceptor that allows NTLM, given raw NTLMSSP and raw Kerberos first tokens. */
static void test_raw_tokens(void)
{
    CredHandle sc, cc;
    struct hs hs;
    server_cred(&sc, "Negotiate", users_file);

    SEC_WINNT_AUTH_IDENTITY_A id = plain_identity("carol", "SSPIXDOM", password);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(hs.first_token_len >= 8 && memcmp(hs.first_token, "NTLMSSP", 8) == 0);
    negotiated_server(&hs, "NTLM");
    server_sees(&hs, "carol");
    round_trip(&hs);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);

    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated_server(&hs, "Kerberos");
    server_sees(&hs, "alice@SSPIX.TEST");
    round_trip(&hs);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* A Negotiate client that has no Kerberos ticket and speaks NTLM from this credentials file. */
static SECURITY_STATUS ntlm_only_client(CredHandle *cc, const char *file)
{
    SSPIX_AUTH_STORE_A allow = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = file};
    return t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &allow, NULL, NULL,
                                       cc, NULL);
}

static void expect_server_failure(CredHandle *cc, CredHandle *sc, SECURITY_STATUS want, const char *hint)
{
    struct hs hs;
    CHECK_SEC(hs_run(t, cc, sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), want);
    CHECK_EQ_INT(hs.server_status, want);
    expect_hint(hint);
    hs_free(t, &hs);
}

/* NTLM logon failures inside SPNEGO and alone, and a users file that vanished. */
static void test_logon_failures(void)
{
    char saved[1024];
    CredHandle sc, nsc, cc;
    snprintf(saved, sizeof(saved), "%s", need_env("KRB5CCNAME"));
    setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-no-ccache", 1);
    server_cred(&sc, "Negotiate", users_file);
    server_cred(&nsc, "NTLM", users_file);

    /* Wrong password inside SPNEGO. */
    CHECK_SEC(ntlm_only_client(&cc, wrong_file), SEC_E_OK);
    expect_server_failure(&cc, &sc, SEC_E_LOGON_DENIED, "wrong password");
    t->FreeCredentialsHandle(&cc);
    /* A user the users file does not list, inside SPNEGO. */
    CHECK_SEC(ntlm_only_client(&cc, stranger_file), SEC_E_OK);
    expect_server_failure(&cc, &sc, SEC_E_LOGON_DENIED, "users file does not list");
    t->FreeCredentialsHandle(&cc);
    /* The same two with the NTLM package. */
    SEC_WINNT_AUTH_IDENTITY_A bad = plain_identity("carol", "SSPIXDOM", "not-carols-password");
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &bad, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    expect_server_failure(&cc, &nsc, SEC_E_LOGON_DENIED, "wrong password");
    t->FreeCredentialsHandle(&cc);

    /* The users file vanished after the acceptor credential was acquired: the
     * operator must restore the file, not suspect the client's password. */
    char gone[] = "/tmp/sspix-negntlm-gone-XXXXXX";
    char line[256];
    snprintf(line, sizeof(line), "SSPIXDOM:carol:%s\n", password);
    write_file(gone, line);
    CredHandle gsc, gnsc;
    server_cred(&gsc, "Negotiate", gone);
    server_cred(&gnsc, "NTLM", gone);
    unlink(gone);
    CHECK_SEC(ntlm_only_client(&cc, creds_file), SEC_E_OK);
    expect_server_failure(&cc, &gsc, SEC_E_NO_CREDENTIALS, "NTLM users file");
    t->FreeCredentialsHandle(&cc);
    SEC_WINNT_AUTH_IDENTITY_A good = plain_identity("carol", "SSPIXDOM", password);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &good, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    expect_server_failure(&cc, &gnsc, SEC_E_NO_CREDENTIALS, "NTLM users file");
    t->FreeCredentialsHandle(&cc);

    t->FreeCredentialsHandle(&gsc);
    t->FreeCredentialsHandle(&gnsc);
    t->FreeCredentialsHandle(&sc);
    t->FreeCredentialsHandle(&nsc);
    setenv("KRB5CCNAME", saved, 1);
}

static void fallback_handshake(CredHandle *cc, CredHandle *sc, const char *who)
{
    struct hs hs;
    CHECK_SEC(hs_run(t, cc, sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated_server(&hs, "NTLM");
    server_sees(&hs, who);
    CHECK(!(hs.client_attrs & ISC_RET_MUTUAL_AUTH));
    round_trip(&hs);
    hs_free(t, &hs);
}

/* A copy of the realm's krb5.conf whose KDC line names a loopback port nothing listens on. */
static void write_dead_kdc_config(char *tmpl)
{
    char buf[16384], out[17000];
    FILE *f = fopen(need_env("KRB5_CONFIG"), "r");
    CHECK(f != NULL);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* A port that was free a moment ago: bound, read, closed. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    close(fd);
    char *kdc = strstr(buf, "kdc = 127.0.0.1:");
    CHECK(kdc != NULL);
    char *eol = strchr(kdc, '\n');
    CHECK(eol != NULL);
    snprintf(out, sizeof(out), "%.*skdc = 127.0.0.1:%u%s", (int)(kdc - buf), buf, (unsigned)ntohs(a.sin_port), eol);
    write_file(tmpl, out);
}

/* A Negotiate client with a password, Kerberos unusable, NTLM allowed. */
static void test_password_fallback(void)
{
    CredHandle sc, cc;
    server_cred(&sc, "Negotiate", users_file);

    /* carol@SSPIX.TEST is unknown to the KDC; the PackageList allows NTLM. */
    SEC_WINNT_AUTH_IDENTITY_EXA ex = ex_identity("carol", "SSPIX.TEST", password, "Kerberos,NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    fallback_handshake(&cc, &sc, "carol");
    t->FreeCredentialsHandle(&cc);

    /* SSPIXDOM is no realm any KDC serves; NTLM allowed by the store's flag. */
    SEC_WINNT_AUTH_IDENTITY_A id = plain_identity("carol", "SSPIXDOM", password);
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Flags = SSPIX_AUTH_STORE_ALLOW_NTLM, .Identity = &id};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &store, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    fallback_handshake(&cc, &sc, "carol");
    t->FreeCredentialsHandle(&cc);

    /* No KDC answers for SSPIX.TEST: NTLM when allowed, Kerberos' own error when not. */
    char conf[] = "/tmp/sspix-negntlm-krb5conf-XXXXXX";
    write_dead_kdc_config(conf);
    char saved_conf[1024];
    snprintf(saved_conf, sizeof(saved_conf), "%s", need_env("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", conf, 1);
    ex = ex_identity("carol", "SSPIX.TEST", password, "Kerberos,NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    fallback_handshake(&cc, &sc, "carol");
    t->FreeCredentialsHandle(&cc);
    ex = ex_identity("carol", "SSPIX.TEST", password, NULL);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &ex, NULL, NULL,
                                          &cc, NULL),
              SEC_E_NO_AUTHENTICATING_AUTHORITY);
    expect_hint("no KDC answered");
    setenv("KRB5_CONFIG", saved_conf, 1);
    unlink(conf);

    /* The fallback carries the password: a wrong one is refused by the server. */
    SEC_WINNT_AUTH_IDENTITY_EXA wrong = ex_identity("carol", "SSPIX.TEST", "not-carols-password", "Kerberos,NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &wrong, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    expect_server_failure(&cc, &sc, SEC_E_LOGON_DENIED, "wrong password");
    t->FreeCredentialsHandle(&cc);

    /* NTLM not allowed: no fallback, Kerberos' refusal stands. */
    SEC_WINNT_AUTH_IDENTITY_EXA krb_only = ex_identity("carol", "SSPIX.TEST", password, NULL);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &krb_only, NULL,
                                          NULL, &cc, NULL),
              SEC_E_LOGON_DENIED);
    expect_hint("carol@SSPIX.TEST");
    SEC_WINNT_AUTH_IDENTITY_EXA no_ntlm = ex_identity("carol", "SSPIX.TEST", password, "!NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &no_ntlm, NULL,
                                          NULL, &cc, NULL),
              SEC_E_LOGON_DENIED);

    /* A wrong Kerberos password is a failed logon, not a reason to try NTLM
     * (which would be a second failed logon for the same account). */
    SEC_WINNT_AUTH_IDENTITY_EXA bob = ex_identity("bob", "SSPIX.TEST", "not-bobs-password", "Kerberos,NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &bob, NULL, NULL,
                                          &cc, NULL),
              SEC_E_LOGON_DENIED);
    expect_hint("bob@SSPIX.TEST");

    /* Kerberos usable: a Negotiate password logon that allows NTLM still uses Kerberos. */
    SEC_WINNT_AUTH_IDENTITY_EXA good_bob =
        ex_identity("bob", "SSPIX.TEST", need_env("SSPIX_BOB_PASSWORD"), "Kerberos,NTLM");
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &good_bob, NULL,
                                          NULL, &cc, NULL),
              SEC_E_OK);
    struct hs hs;
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    negotiated_server(&hs, "Kerberos");
    server_sees(&hs, "bob@SSPIX.TEST");
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);

    t->FreeCredentialsHandle(&sc);
}

/* With an argument, only the test of that name runs. */
static int wanted(int argc, char **argv, const char *name)
{
    return argc < 2 || strcmp(argv[1], name) == 0;
}

int main(int argc, char **argv)
{
    char line[512];
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    snprintf(line, sizeof(line), "SSPIXDOM:carol:%s\nSSPIX.TEST:carol:%s\n", password, password);
    write_file(users_file, line);
    snprintf(line, sizeof(line), "SSPIXDOM:carol:%s\n", password);
    write_file(creds_file, line);
    write_file(wrong_file, "SSPIXDOM:carol:not-carols-password\n");
    write_file(stranger_file, "SSPIXDOM:mallory:mallorys-password\n");

    if (wanted(argc, argv, "raw"))
        test_raw_tokens();
    if (wanted(argc, argv, "logon"))
        test_logon_failures();
    if (wanted(argc, argv, "fallback"))
        test_password_fallback();

    unlink(users_file);
    unlink(creds_file);
    unlink(wrong_file);
    unlink(stranger_file);
    CHECK_DONE("integration.negotiate_ntlm");
}
