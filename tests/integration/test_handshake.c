/* SPDX-License-Identifier: MIT */
/*
 * test_handshake.c - mutual authentication through the SSPI function table
 * against the throwaway KDC, for both packages: names, lifespan, session key,
 * flags, package info, SPN forms, and the failure cases with their statuses.
 */
#define SECURITY_WIN32
#include <security.h>

#include <krb5/krb5.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char realm[256];
static char alice[300], bob[300], host_spn[300];

static void acquire(const char *pkg, ULONG use, void *auth, CredHandle *cred)
{
    TimeStamp expiry;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, use, NULL, auth, NULL, NULL, cred, &expiry), SEC_E_OK);
    if (use == SECPKG_CRED_OUTBOUND) {
        int64_t left = sspix_timestamp_to_unix(&expiry) - (int64_t)time(NULL);
        CHECK(left > 60 && left <= 25 * 3600); /* a ticket's lifetime, not "never" */
    }
}

/* The end time of the ticket for `server` in the default ccache. */
static int64_t ticket_endtime(const char *server)
{
    krb5_context k;
    krb5_ccache cc;
    krb5_cc_cursor cur;
    krb5_creds creds;
    int64_t end = -1;
    CHECK(krb5_init_context(&k) == 0);
    CHECK(krb5_cc_default(k, &cc) == 0);
    CHECK(krb5_cc_start_seq_get(k, cc, &cur) == 0);
    while (krb5_cc_next_cred(k, cc, &cur, &creds) == 0) {
        char *name = NULL;
        if (krb5_unparse_name(k, creds.server, &name) == 0 && strcmp(name, server) == 0)
            end = creds.times.endtime;
        krb5_free_unparsed_name(k, name);
        krb5_free_cred_contents(k, &creds);
    }
    krb5_cc_end_seq_get(k, cc, &cur);
    krb5_cc_close(k, cc);
    krb5_free_context(k);
    return end;
}

static void check_established(struct hs *hs, const char *client_name, const char *server_name)
{
    SecPkgContext_NamesA names;
    SecPkgContext_NativeNamesA native;
    SecPkgContext_SessionKey ck, sk;
    SecPkgContext_Flags flags;
    SecPkgContext_Lifespan life;
    SecPkgContext_PackageInfoA pi;
    SecPkgContext_NegotiationInfoA ni;
    SecPkgContext_Sizes sizes;

    /* The client's name on both sides, the service's in NATIVE_NAMES. */
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, client_name);
    t->FreeContextBuffer(names.sUserName);
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, client_name);
    t->FreeContextBuffer(names.sUserName);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK_STR(native.sClientName, client_name);
    CHECK_STR(native.sServerName, server_name);
    t->FreeContextBuffer(native.sClientName);
    t->FreeContextBuffer(native.sServerName);
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_NATIVE_NAMES, &native), SEC_E_OK);
    CHECK_STR(native.sClientName, client_name);
    CHECK_STR(native.sServerName, server_name);
    t->FreeContextBuffer(native.sClientName);
    t->FreeContextBuffer(native.sServerName);

    /* Both ends hold the same session key. */
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_SESSION_KEY, &ck), SEC_E_OK);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_SESSION_KEY, &sk), SEC_E_OK);
    CHECK(ck.SessionKeyLength == 16 || ck.SessionKeyLength == 32);
    CHECK_EQ_INT(ck.SessionKeyLength, sk.SessionKeyLength);
    CHECK(memcmp(ck.SessionKey, sk.SessionKey, ck.SessionKeyLength) == 0);
    t->FreeContextBuffer(ck.SessionKey);
    t->FreeContextBuffer(sk.SessionKey);

    /* Negotiated flags: mutual authentication really happened, and what
     * FLAGS reports is what the last call returned. */
    CHECK(hs->client_attrs & ISC_RET_MUTUAL_AUTH);
    CHECK(hs->server_attrs & ASC_RET_MUTUAL_AUTH);
    CHECK(hs->client_attrs & ISC_RET_CONFIDENTIALITY);
    CHECK(hs->client_attrs & ISC_RET_INTEGRITY);
    CHECK(hs->server_attrs & ASC_RET_REPLAY_DETECT);
    CHECK(hs->server_attrs & ASC_RET_SEQUENCE_DETECT);
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK_EQ_INT(flags.Flags, hs->client_attrs);
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK_EQ_INT(flags.Flags, hs->server_attrs);

    /* Kerberos did the work, whichever package was asked for. */
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_PACKAGE_INFO, &pi), SEC_E_OK);
    CHECK_STR(pi.PackageInfo->Name, "Kerberos");
    CHECK_EQ_INT(pi.PackageInfo->wRPCID, RPC_C_AUTHN_GSS_KERBEROS);
    t->FreeContextBuffer(pi.PackageInfo);
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, "Kerberos");
    CHECK_EQ_INT(ni.NegotiationState, SECPKG_NEGOTIATION_COMPLETE);
    t->FreeContextBuffer(ni.PackageInfo);

    /* Lifespan: the ticket's. */
    CHECK_SEC(t->QueryContextAttributes(&hs->client, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    int64_t end = ticket_endtime(server_name);
    if (end > 0) {
        int64_t got = sspix_timestamp_to_unix(&life.tsExpiry);
        if (!(got >= end - 2 && got <= end + 2))
            fprintf(stderr, "lifespan %lld vs ticket %lld (%s)\n", (long long)got, (long long)end, server_name);
        CHECK(got >= end - 2 && got <= end + 2);
    }
    CHECK(sspix_timestamp_to_unix(&life.tsStart) <= (int64_t)time(NULL));
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    if (end > 0) {
        int64_t got = sspix_timestamp_to_unix(&life.tsExpiry);
        if (!(got >= end - 2 && got <= end + 2))
            fprintf(stderr, "lifespan %lld vs ticket %lld (%s)\n", (long long)got, (long long)end, server_name);
        CHECK(got >= end - 2 && got <= end + 2);
    }

    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbSecurityTrailer >= 60);
    CHECK(sizes.cbMaxSignature >= 28);
    CHECK(sizes.cbMaxToken >= 48000);
}

/* A message from the server to the client in the sample's layout. */
static void check_message(struct hs *hs)
{
    SecPkgContext_Sizes sizes;
    unsigned char trailer[256], data[64];
    const char *text = "Hello from the service";
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    CHECK(sizes.cbSecurityTrailer <= sizeof(trailer));
    memcpy(data, text, strlen(text));
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {(ULONG)strlen(text), SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(&hs->server, 0, &d, 0), SEC_E_OK);
    CHECK(memcmp(data, text, strlen(text)) != 0);    /* encrypted in place */
    CHECK(trailer[0] == 0x05 && trailer[1] == 0x04); /* RFC 4121 wrap token */
    ULONG qop = 99;
    CHECK_SEC(t->DecryptMessage(&hs->client, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);
    CHECK(b[1].cbBuffer == strlen(text) && memcmp(b[1].pvBuffer, text, strlen(text)) == 0);
}

static void test_mutual(const char *pkg, const char *target)
{
    CredHandle cc, sc;
    struct hs hs;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, target, HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    /* Mutual Kerberos: AP-REQ, AP-REP (SPNEGO adds no legs with an optimistic token). */
    CHECK(hs.legs >= 3);
    char server_name[300];
    if (strchr(target, '@') && !strchr(target, '/'))
        snprintf(server_name, sizeof(server_name), "%.*s/%s@%s", (int)(strchr(target, '@') - target), target,
                 strchr(target, '@') + 1, realm);
    else if (strchr(target, '@'))
        snprintf(server_name, sizeof(server_name), "%s", target);
    else
        snprintf(server_name, sizeof(server_name), "%s@%s", target, realm);
    check_established(&hs, alice, server_name);
    check_message(&hs);
    hs_free(t, &hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

static void test_password(const char *pkg, const char *password, SECURITY_STATUS expected)
{
    CredHandle cc, sc;
    struct hs hs;
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"bob",      3,
                                    (unsigned char *)realm,      (ULONG)strlen(realm),
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    SECURITY_STATUS st =
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cc, NULL);
    if (expected != SEC_E_OK) {
        CHECK_SEC(st, expected);
        CHECK(strstr(sspix_last_error(), "bob@") != NULL);
        return;
    }
    CHECK_SEC(st, SEC_E_OK);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    SecPkgContext_NamesA names;
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NAMES, &names), SEC_E_OK);
    CHECK_STR(names.sUserName, bob);
    t->FreeContextBuffer(names.sUserName);
    SecPkgCredentials_NamesA cn;
    CHECK_SEC(t->QueryCredentialsAttributes(&cc, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK_STR(cn.sUserName, bob);
    t->FreeContextBuffer(cn.sUserName);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

static void test_no_ticket(const char *pkg)
{
    CredHandle cc;
    char saved[1024];
    snprintf(saved, sizeof(saved), "%s", need_env("KRB5CCNAME"));
    setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-no-such-ccache", 1);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc, NULL),
        SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "kinit") != NULL);
    CHECK(strstr(sspix_last_error(), "/nonexistent/sspix-no-such-ccache") != NULL);
    setenv("KRB5CCNAME", saved, 1);
}

static void test_unknown_spn(const char *pkg)
{
    CredHandle cc, sc;
    struct hs hs;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "nosuchservice/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_TARGET_UNKNOWN);
    CHECK(strstr(sspix_last_error(), "nosuchservice") != NULL);
    CHECK(!hs.have_client); /* a failed first call creates no context */
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* One byte flipped anywhere in the client's first token: an error, never a
 * crash, and no context is left behind. */
static void test_flipped_bytes(const char *pkg)
{
    CredHandle cc, sc;
    struct hs hs;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    unsigned char tok[65536];
    ULONG len = hs.first_token_len;
    hs_free(t, &hs);
    CHECK(len > 100);
    int failures = 0;
    for (ULONG i = 0; i < len; i += 7) {
        memcpy(tok, hs.first_token, len);
        tok[i] ^= 0x5A;
        unsigned char out[65536];
        SecBuffer ib = {len, SECBUFFER_TOKEN, tok}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
        SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, outd = {SECBUFFER_VERSION, 1, &ob};
        CtxtHandle ctx;
        ULONG attrs;
        SECURITY_STATUS st =
            t->AcceptSecurityContext(&sc, NULL, &in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL);
        if (SEC_SUCCESS(st))
            t->DeleteSecurityContext(&ctx); /* a flip in an unauthenticated field may pass; must not crash */
        else
            failures++;
    }
    CHECK(failures > 0);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* The same first token accepted twice: the replay cache refuses the second. */
static void test_replay(const char *pkg)
{
    CredHandle cc, sc;
    struct hs hs;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    hs_free(t, &hs);
    unsigned char out[65536];
    SecBuffer ib = {hs.first_token_len, SECBUFFER_TOKEN, hs.first_token}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, outd = {SECBUFFER_VERSION, 1, &ob};
    CtxtHandle ctx;
    ULONG attrs;
    SECURITY_STATUS st =
        t->AcceptSecurityContext(&sc, NULL, &in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &outd, &attrs, NULL);
    CHECK(!SEC_SUCCESS(st));
    CHECK_SEC(st, SEC_E_LOGON_DENIED);
    CHECK(strstr(sspix_last_error(), "eplay") != NULL);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* Caller-supplied output buffers: too small is SEC_E_BUFFER_TOO_SMALL;
 * ISC_REQ_ALLOCATE_MEMORY hands out a buffer for FreeContextBuffer. */
static void test_output_buffers(const char *pkg)
{
    CredHandle cc;
    CtxtHandle ctx;
    ULONG attrs;
    unsigned char small[16];
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    memset(&ctx, 0, sizeof(ctx)); /* a failed first leg writes no handle: DeleteSecurityContext below sees zero */
    SecBuffer ob = {sizeof(small), SECBUFFER_TOKEN, small};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &ob};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                           NULL, 0, &ctx, &out, &attrs, NULL),
              SEC_E_BUFFER_TOO_SMALL);
    CHECK(strstr(sspix_last_error(), "bytes") != NULL);
    t->DeleteSecurityContext(&ctx);

    SecBuffer ab = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc aout = {SECBUFFER_VERSION, 1, &ab};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, (SEC_CHAR *)"host/localhost",
                                           HS_ISC_REQ | ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP, NULL, 0, &ctx,
                                           &aout, &attrs, NULL),
              SEC_I_CONTINUE_NEEDED);
    CHECK(ab.pvBuffer != NULL && ab.cbBuffer > 100);
    CHECK(attrs & ISC_RET_ALLOCATED_MEMORY);
    CHECK_SEC(t->FreeContextBuffer(ab.pvBuffer), SEC_E_OK);
    CHECK_SEC(t->DeleteSecurityContext(&ctx), SEC_E_OK);

    /* No memory and no ALLOCATE_MEMORY: refused before anything happens. */
    SecBuffer nb = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc nout = {SECBUFFER_VERSION, 1, &nb};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                           NULL, 0, &ctx, &nout, &attrs, NULL),
              SEC_E_BUFFER_TOO_SMALL);
    t->FreeCredentialsHandle(&cc);
}

/* Without ISC_REQ_MUTUAL_AUTH nobody claims mutual authentication. */
static void test_no_mutual(const char *pkg)
{
    CredHandle cc, sc;
    struct hs hs;
    acquire(pkg, SECPKG_CRED_OUTBOUND, NULL, &cc);
    acquire(pkg, SECPKG_CRED_INBOUND, NULL, &sc);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ & ~(ULONG)ISC_REQ_MUTUAL_AUTH, HS_ASC_REQ, &hs),
              SEC_E_OK);
    CHECK(!(hs.client_attrs & ISC_RET_MUTUAL_AUTH));
    CHECK(!(hs.server_attrs & ASC_RET_MUTUAL_AUTH));
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* Windows' Negotiate acceptor takes raw Kerberos; the Kerberos acceptor does
 * not take SPNEGO. */
static void test_cross_package(void)
{
    CredHandle kc, nc, ks, ns;
    struct hs hs;
    acquire("Kerberos", SECPKG_CRED_OUTBOUND, NULL, &kc);
    acquire("Negotiate", SECPKG_CRED_OUTBOUND, NULL, &nc);
    acquire("Kerberos", SECPKG_CRED_INBOUND, NULL, &ks);
    acquire("Negotiate", SECPKG_CRED_INBOUND, NULL, &ns);
    CHECK_SEC(hs_run(t, &kc, &ns, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(hs.server_attrs & ASC_RET_MUTUAL_AUTH);
    hs_free(t, &hs);
    SECURITY_STATUS st = hs_run(t, &nc, &ks, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs);
    CHECK(!SEC_SUCCESS(st));
    CHECK(!SEC_SUCCESS(hs.server_status));
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&kc);
    t->FreeCredentialsHandle(&nc);
    t->FreeCredentialsHandle(&ks);
    t->FreeCredentialsHandle(&ns);
}

/* An acceptor named by pszPrincipal, and its NAMES. */
static void test_named_acceptor(void)
{
    CredHandle sc;
    SecPkgCredentials_NamesA cn;
    char spn[300];
    snprintf(spn, sizeof(spn), "ADSockAuth/localhost/sspix@%s", realm);
    CHECK_SEC(t->AcquireCredentialsHandle((SEC_CHAR *)"ADSockAuth/localhost/sspix", (SEC_CHAR *)"Negotiate",
                                          SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, NULL),
              SEC_E_OK);
    CHECK_SEC(t->QueryCredentialsAttributes(&sc, SECPKG_CRED_ATTR_NAMES, &cn), SEC_E_OK);
    CHECK_STR(cn.sUserName, spn);
    t->FreeContextBuffer(cn.sUserName);
    t->FreeCredentialsHandle(&sc);
    /* A principal with no key in the keytab: a readable error at once. */
    CHECK_SEC(t->AcquireCredentialsHandle((SEC_CHAR *)"nokey/localhost", (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND,
                                          NULL, NULL, NULL, NULL, &sc, NULL),
              SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "keytab") != NULL);
    CHECK(strstr(sspix_last_error(), "nokey/localhost@") != NULL);
}

/* Credential stores named explicitly instead of through KRB5_* variables. */
static void test_auth_store(void)
{
    CredHandle cc, sc;
    struct hs hs;
    SSPIX_AUTH_STORE_A bad = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = "FILE:/nonexistent/sspix.keytab"};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &bad, NULL, NULL,
                                          &sc, NULL),
              SEC_E_NO_CREDENTIALS);
    CHECK(strstr(sspix_last_error(), "/nonexistent/sspix.keytab") != NULL);
    CHECK(strstr(sspix_last_error(), "unreadable") != NULL);

    SSPIX_AUTH_STORE_A server = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = need_env("KRB5_KTNAME")};
    SSPIX_AUTH_STORE_A client = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Ccache = need_env("KRB5CCNAME")};
    char saved_kt[1024], saved_cc[1024];
    snprintf(saved_kt, sizeof(saved_kt), "%s", need_env("KRB5_KTNAME"));
    snprintf(saved_cc, sizeof(saved_cc), "%s", need_env("KRB5CCNAME"));
    /* The defaults point nowhere: only the stores can make this work. */
    setenv("KRB5_KTNAME", "FILE:/nonexistent/default.keytab", 1);
    setenv("KRB5CCNAME", "FILE:/nonexistent/default.ccache", 1);
    server.Keytab = saved_kt;
    client.Ccache = saved_cc;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &server, NULL, NULL,
                                          &sc, NULL),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, &client, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(hs.client_attrs & ISC_RET_MUTUAL_AUTH);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    setenv("KRB5_KTNAME", saved_kt, 1);
    setenv("KRB5CCNAME", saved_cc, 1);
}

int main(void)
{
    snprintf(realm, sizeof(realm), "%s", need_env("SSPIX_REALM"));
    snprintf(alice, sizeof(alice), "alice@%s", realm);
    snprintf(bob, sizeof(bob), "bob@%s", realm);
    snprintf(host_spn, sizeof(host_spn), "host/localhost@%s", realm);
    t = InitSecurityInterface();
    CHECK(t != NULL);

    const char *pkgs[] = {"Negotiate", "Kerberos"};
    for (int p = 0; p < 2; p++) {
        char three_part[300];
        snprintf(three_part, sizeof(three_part), "ADSockAuth/localhost/sspix@%s", realm);
        test_mutual(pkgs[p], "host/localhost");
        test_mutual(pkgs[p], host_spn);
        test_mutual(pkgs[p], "host@localhost");
        test_mutual(pkgs[p], three_part);
        test_password(pkgs[p], need_env("SSPIX_BOB_PASSWORD"), SEC_E_OK);
        test_password(pkgs[p], "not-bobs-password", SEC_E_LOGON_DENIED);
        test_no_ticket(pkgs[p]);
        test_unknown_spn(pkgs[p]);
        test_flipped_bytes(pkgs[p]);
        test_replay(pkgs[p]);
        test_output_buffers(pkgs[p]);
        test_no_mutual(pkgs[p]);
    }
    test_cross_package();
    test_named_acceptor();
    test_auth_store();
    CHECK_EQ_INT(sspix_timestamp_to_unix(&(TimeStamp){.QuadPart = 116444736000000000LL}), 0);
    CHECK_DONE("integration.handshake");
}
