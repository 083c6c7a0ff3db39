/* SPDX-License-Identifier: MIT */
/*
 * test_replay.c - acceptor credentials with SSPIX_AUTH_STORE_REPLAY_IN_PROCESS
 * against the throwaway KDC: a replayed AP-REQ (raw Kerberos, inside SPNEGO,
 * raw to a Negotiate acceptor) is refused as MIT's replay cache refuses it
 * (SEC_E_LOGON_DENIED, "replayed authenticator"), also through another
 * credential of the process and when two threads present the same AP-REQ at
 * once (exactly one succeeds); MIT's replay cache is not touched; names,
 * protection and NTLM inside Negotiate keep working; ReplayCache with the
 * flag is refused.
 */
#define SECURITY_WIN32
#include <security.h>

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;

static void expect_hint(const char *hint)
{
    if (strstr(sspix_last_error(), hint) == NULL) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", sspix_last_error(), hint);
        exit(1);
    }
}

static void server_cred(const char *pkg, ULONG flags, const char *users, CredHandle *sc)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Flags = flags, .NtlmUsersFile = users};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, sc, NULL),
        SEC_E_OK);
}

static void client_cred(const char *pkg, CredHandle *cc)
{
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, cc, NULL),
        SEC_E_OK);
}

/* One AcceptSecurityContext of a first token on a new context. */
static SECURITY_STATUS accept_once(CredHandle *sc, const unsigned char *tok, ULONG len)
{
    unsigned char out[65536];
    SecBuffer ib = {len, SECBUFFER_TOKEN, (void *)tok}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, outd = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS st =
        t->AcceptSecurityContext(sc, NULL, &in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL);
    if (SEC_SUCCESS(st))
        t->DeleteSecurityContext(&ctx);
    return st;
}

/* The client's first token for a new context. */
static ULONG first_token(CredHandle *cc, unsigned char *tok, ULONG cap)
{
    SecBuffer ob = {cap, SECBUFFER_TOKEN, tok};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS st = t->InitializeSecurityContext(cc, NULL, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0,
                                                      SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs, NULL);
    CHECK(SEC_SUCCESS(st));
    t->DeleteSecurityContext(&ctx);
    return ob.cbBuffer;
}

static void check_names(struct hs *hs)
{
    SecPkgContext_NamesA n;
    SecPkgContext_NativeNamesA nn;
    for (int i = 0; i < 2; i++) { /* asked twice: the second answer is the first one's */
        CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NATIVE_NAMES, &nn), SEC_E_OK);
        CHECK_STR(nn.sClientName, "alice@SSPIX.TEST");
        CHECK_STR(nn.sServerName, "host/localhost@SSPIX.TEST");
        t->FreeContextBuffer(nn.sClientName);
        t->FreeContextBuffer(nn.sServerName);
        CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NAMES, &n), SEC_E_OK);
        CHECK_STR(n.sUserName, "alice@SSPIX.TEST");
        t->FreeContextBuffer(n.sUserName);
    }
}

/* A complete handshake, then its first token again: refused. Client and
 * server packages may differ (raw Kerberos to Negotiate). */
static void test_replayed(const char *client_pkg, const char *server_pkg)
{
    CredHandle cc, sc, sc2;
    struct hs hs;
    client_cred(client_pkg, &cc);
    server_cred(server_pkg, SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, NULL, &sc);
    server_cred(server_pkg, SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, NULL, &sc2);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(hs.server_attrs & ASC_RET_MUTUAL_AUTH);
    check_names(&hs);
    hs_free(t, &hs);

    CHECK_SEC(accept_once(&sc, hs.first_token, hs.first_token_len), SEC_E_LOGON_DENIED);
    expect_hint("replayed authenticator");
    expect_hint("in-process replay set");
    /* Another credential of the process shares the set. */
    CHECK_SEC(accept_once(&sc2, hs.first_token, hs.first_token_len), SEC_E_LOGON_DENIED);
    expect_hint("replayed authenticator");
    /* A fresh AP-REQ is still welcome. */
    unsigned char tok[65536];
    ULONG len = first_token(&cc, tok, sizeof(tok));
    CHECK_SEC(accept_once(&sc2, tok, len), SEC_E_OK);
    CHECK_SEC(accept_once(&sc, tok, len), SEC_E_LOGON_DENIED);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    t->FreeCredentialsHandle(&sc2);
}

struct racer {
    CredHandle *sc;
    const unsigned char *tok;
    ULONG len;
    pthread_barrier_t *go;
    SECURITY_STATUS st;
    char why[512];
};

static void *race(void *p)
{
    struct racer *r = p;
    pthread_barrier_wait(r->go);
    r->st = accept_once(r->sc, r->tok, r->len);
    snprintf(r->why, sizeof(r->why), "%s", sspix_last_error());
    return NULL;
}

/* Two threads, two credentials, the same AP-REQ at the same moment: one
 * logon, one refusal, each round. */
static void test_concurrent(const char *pkg)
{
    CredHandle cc, sa, sb;
    pthread_barrier_t go;
    client_cred(pkg, &cc);
    server_cred(pkg, SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, NULL, &sa);
    server_cred(pkg, SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, NULL, &sb);
    CHECK(pthread_barrier_init(&go, NULL, 2) == 0);
    static unsigned char tok[65536];
    for (int round = 0; round < 20; round++) {
        ULONG len = first_token(&cc, tok, sizeof(tok));
        struct racer a = {&sa, tok, len, &go, 0, ""}, b = {&sb, tok, len, &go, 0, ""};
        pthread_t ta, tb;
        CHECK(pthread_create(&ta, NULL, race, &a) == 0);
        CHECK(pthread_create(&tb, NULL, race, &b) == 0);
        CHECK(pthread_join(ta, NULL) == 0);
        CHECK(pthread_join(tb, NULL) == 0);
        struct racer *lost = a.st == SEC_E_OK ? &b : &a, *won = a.st == SEC_E_OK ? &a : &b;
        CHECK_SEC(won->st, SEC_E_OK);
        CHECK_SEC(lost->st, SEC_E_LOGON_DENIED);
        CHECK(strstr(lost->why, "replayed authenticator") != NULL);
    }
    pthread_barrier_destroy(&go);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sa);
    t->FreeCredentialsHandle(&sb);
}

static int dir_entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    CHECK(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* MIT's replay cache stays untouched with the flag, and is used without it
 * (which shows that this test would see it). */
static void test_no_file_cache(void)
{
    char dir[] = "/tmp/sspix-rc-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char *saved = getenv("KRB5RCACHEDIR") ? strdup(getenv("KRB5RCACHEDIR")) : NULL;
    CHECK(setenv("KRB5RCACHEDIR", dir, 1) == 0);
    CredHandle cc, sc;
    struct hs hs;
    client_cred("Kerberos", &cc);
    server_cred("Kerberos", SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    hs_free(t, &hs);
    CHECK_EQ_INT(dir_entries(dir), 0);
    t->FreeCredentialsHandle(&sc);
    server_cred("Kerberos", 0, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    hs_free(t, &hs);
    CHECK(dir_entries(dir) > 0);
    t->FreeCredentialsHandle(&sc);
    t->FreeCredentialsHandle(&cc);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    if (saved != NULL) {
        CHECK(setenv("KRB5RCACHEDIR", saved, 1) == 0);
        free(saved);
    } else {
        CHECK(unsetenv("KRB5RCACHEDIR") == 0);
    }
}

static void test_bad_combination(void)
{
    CredHandle sc;
    SSPIX_AUTH_STORE_A store = {
        .Magic = SSPIX_AUTH_STORE_MAGIC, .ReplayCache = "dfl:", .Flags = SSPIX_AUTH_STORE_REPLAY_IN_PROCESS};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                          &sc, NULL),
              SEC_E_INVALID_PARAMETER);
    expect_hint("ReplayCache and SSPIX_AUTH_STORE_REPLAY_IN_PROCESS");
}

/* NTLM inside Negotiate has no AP-REQ and needs none. */
static void test_ntlm(void)
{
    static char users[] = "/tmp/sspix-replay-users-XXXXXX";
    static const char *pw = "Carol-Pa55word!";
    int fd = mkstemp(users);
    CHECK(fd >= 0);
    char line[128];
    int n = snprintf(line, sizeof(line), "SSPIXDOM:carol:%s\n", pw);
    CHECK(write(fd, line, (size_t)n) == n);
    close(fd);
    CredHandle cc, sc;
    struct hs hs;
    SEC_WINNT_AUTH_IDENTITY_A id = {
        (unsigned char *)"carol",    5, (unsigned char *)"SSPIXDOM", 8, (unsigned char *)pw, (ULONG)strlen(pw),
        SEC_WINNT_AUTH_IDENTITY_ANSI};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    server_cred("Negotiate", SSPIX_AUTH_STORE_REPLAY_IN_PROCESS, users, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    SecPkgContext_NamesA nm;
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NAMES, &nm), SEC_E_OK);
    CHECK(strstr(nm.sUserName, "carol") != NULL);
    t->FreeContextBuffer(nm.sUserName);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    unlink(users);
}

int main(void)
{
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    test_replayed("Kerberos", "Kerberos");
    test_replayed("Negotiate", "Negotiate");
    test_replayed("Kerberos", "Negotiate");
    test_concurrent("Kerberos");
    test_concurrent("Negotiate");
    test_no_file_cache();
    test_bad_combination();
    test_ntlm();
    CHECK_DONE("integration.replay");
}
