/* SPDX-License-Identifier: MIT */
/*
 * test_channel_bindings.c - SECBUFFER_CHANNEL_BINDINGS in the input of
 * InitializeSecurityContext / AcceptSecurityContext, in Windows' layout (a
 * SEC_CHANNEL_BINDINGS header with offsets, then the bytes), for Kerberos,
 * Negotiate (Kerberos), NTLM and Negotiate (NTLM):
 *
 *   - the same bindings on both sides: the handshake completes;
 *   - different bindings: the acceptor refuses with SEC_E_BAD_BINDINGS;
 *   - bindings on one side only: accepted, as MIT, gss-ntlmssp and Windows
 *     (without an "Extended Protection: required" policy) do;
 *   - a malformed buffer (a range outside it, a short header) is
 *     SEC_E_BAD_BINDINGS before any package sees it;
 *   - NTLM binds application data only: addresses are refused clearly.
 */
#define SECURITY_WIN32
#include <security.h>

#include <stdint.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char users_file[] = "/tmp/sspix-cb-users-XXXXXX";
static char creds_file[] = "/tmp/sspix-cb-creds-XXXXXX";
static const char *password = "Carol-Pa55word!";

struct cb_buf {
    SEC_CHANNEL_BINDINGS h;
    unsigned char data[128];
};

/* tls-server-end-point style application data (RFC 5929), no addresses. */
static ULONG make_cb(struct cb_buf *b, const char *hash)
{
    static const char prefix[] = "tls-server-end-point:";
    memset(b, 0, sizeof(*b));
    size_t n = strlen(prefix), m = strlen(hash);
    memcpy(b->data, prefix, n);
    memcpy(b->data + n, hash, m);
    b->h.cbApplicationDataLength = (ULONG)(n + m);
    b->h.dwApplicationDataOffset = sizeof(SEC_CHANNEL_BINDINGS);
    return (ULONG)(sizeof(SEC_CHANNEL_BINDINGS) + n + m);
}

static void expect_hint(const char *hint)
{
    if (strstr(sspix_last_error(), hint) == NULL) {
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", sspix_last_error(), hint);
        exit(1);
    }
}

/* Nonzero: the client passes its bindings on its first call only (as some
 * callers do); the package must keep them for the legs that follow. */
static int client_first_only;

/* hs_run with a SECBUFFER_CHANNEL_BINDINGS buffer in every input of the side that has one (NULL: none). */
static SECURITY_STATUS run_cb(CredHandle *cc, CredHandle *sc, const char *target, void *ccb, ULONG ccb_len, void *scb,
                              ULONG scb_len, struct hs *hs)
{
    unsigned char c2s[65536], s2c[65536];
    ULONG c2s_len = 0, s2c_len = 0;
    int client_done = 0, server_done = 0;
    memset(hs, 0, sizeof(*hs));
    for (int round = 0; round < 10 && !(client_done && server_done); round++) {
        if (!client_done) {
            SecBuffer in_b[2] = {{s2c_len, SECBUFFER_TOKEN, s2c}, {ccb_len, SECBUFFER_CHANNEL_BINDINGS, ccb}};
            SecBuffer out_b = {sizeof(c2s), SECBUFFER_TOKEN, c2s};
            int give = ccb != NULL && !(client_first_only && hs->have_client);
            SecBufferDesc in = {SECBUFFER_VERSION, give ? 2 : 1, in_b}, out = {SECBUFFER_VERSION, 1, &out_b};
            int with_input = hs->have_client || give;
            SECURITY_STATUS st = t->InitializeSecurityContext(
                cc, hs->have_client ? &hs->client : NULL, (SEC_CHAR *)target, HS_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                with_input ? &in : NULL, 0, &hs->client, &out, &hs->client_attrs, NULL);
            hs->client_status = st;
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_client = 1;
            c2s_len = out_b.cbBuffer;
            client_done = st == SEC_E_OK;
            s2c_len = 0;
        }
        if (c2s_len > 0) {
            SecBuffer in_b[2] = {{c2s_len, SECBUFFER_TOKEN, c2s}, {scb_len, SECBUFFER_CHANNEL_BINDINGS, scb}};
            SecBuffer out_b = {sizeof(s2c), SECBUFFER_TOKEN, s2c};
            SecBufferDesc in = {SECBUFFER_VERSION, scb ? 2 : 1, in_b}, out = {SECBUFFER_VERSION, 1, &out_b};
            SECURITY_STATUS st =
                t->AcceptSecurityContext(sc, hs->have_server ? &hs->server : NULL, &in, HS_ASC_REQ,
                                         SECURITY_NATIVE_DREP, &hs->server, &out, &hs->server_attrs, NULL);
            hs->server_status = st;
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_server = 1;
            server_done = st == SEC_E_OK;
            s2c_len = out_b.cbBuffer;
            c2s_len = 0;
            if (s2c_len == 0 && !client_done && server_done)
                break;
        }
    }
    return client_done && server_done ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

struct setup {
    const char *name;
    const char *client_pkg, *server_pkg;
    int ntlm;
};

static void creds(const struct setup *s, CredHandle *cc, CredHandle *sc)
{
    SSPIX_AUTH_STORE_A server_store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users_file};
    SSPIX_AUTH_STORE_A client_store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = creds_file};
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"carol",    5,
                                    (unsigned char *)"SSPIXDOM", 8,
                                    (unsigned char *)password,   (ULONG)strlen(password),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    void *client_data = NULL;
    if (s->ntlm)
        client_data = strcmp(s->client_pkg, "NTLM") == 0 ? (void *)&id : (void *)&client_store;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)s->client_pkg, SECPKG_CRED_OUTBOUND, NULL, client_data,
                                          NULL, NULL, cc, NULL),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)s->server_pkg, SECPKG_CRED_INBOUND, NULL,
                                          s->ntlm ? &server_store : NULL, NULL, NULL, sc, NULL),
              SEC_E_OK);
}

static void negotiated(struct hs *hs, const char *want)
{
    SecPkgContext_NegotiationInfoA ni;
    CHECK_SEC(t->QueryContextAttributes(&hs->server, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, want);
    t->FreeContextBuffer(ni.PackageInfo);
}

static void test_setup(const struct setup *s)
{
    CredHandle cc, sc;
    struct hs hs;
    struct cb_buf a, b;
    ULONG a_len = make_cb(&a, "0123456789abcdef0123456789abcdef");
    ULONG b_len = make_cb(&b, "fedcba9876543210fedcba9876543210");
    char saved[1024];
    snprintf(saved, sizeof(saved), "%s", need_env("KRB5CCNAME"));
    if (s->ntlm && strcmp(s->client_pkg, "Negotiate") == 0)
        setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-no-ccache", 1);
    creds(s, &cc, &sc);
    fprintf(stderr, "%s\n", s->name);

    /* The same bindings: bound and complete. */
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, &a, a_len, &hs), SEC_E_OK);
    negotiated(&hs, s->ntlm ? "NTLM" : "Kerberos");
    hs_free(t, &hs);

    /* Different bindings: the acceptor refuses. */
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, &b, b_len, &hs), SEC_E_BAD_BINDINGS);
    CHECK_EQ_INT(hs.server_status, SEC_E_BAD_BINDINGS);
    expect_hint(s->ntlm ? "channel bindings differ" : "same SEC_CHANNEL_BINDINGS");
    hs_free(t, &hs);

    /* Given on the client's first call only, the bindings still count on its later legs (NTLM binds them in
     * its AUTHENTICATE message, the second leg). */
    client_first_only = 1;
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, &a, a_len, &hs), SEC_E_OK);
    hs_free(t, &hs);
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, &b, b_len, &hs), SEC_E_BAD_BINDINGS);
    hs_free(t, &hs);
    client_first_only = 0;

    /* One side only: accepted (the client asserts nothing the server can
     * check, or the server does not ask). */
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", NULL, 0, &a, a_len, &hs), SEC_E_OK);
    hs_free(t, &hs);
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, NULL, 0, &hs), SEC_E_OK);
    hs_free(t, &hs);

    /* Malformed: the application data runs past the buffer; a short header. */
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len - 1, &a, a_len, &hs), SEC_E_BAD_BINDINGS);
    CHECK_EQ_INT(hs.client_status, SEC_E_BAD_BINDINGS);
    expect_hint("is not inside");
    hs_free(t, &hs);
    struct cb_buf huge = a;
    huge.h.dwApplicationDataOffset = 0xfffffff0u;
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, a_len, &huge, a_len, &hs), SEC_E_BAD_BINDINGS);
    CHECK_EQ_INT(hs.server_status, SEC_E_BAD_BINDINGS);
    expect_hint("is not inside");
    hs_free(t, &hs);
    CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &a, 16, &a, a_len, &hs), SEC_E_BAD_BINDINGS);
    expect_hint("less than a SEC_CHANNEL_BINDINGS header");
    hs_free(t, &hs);

    if (s->ntlm) {
        /* Addresses: NTLM cannot bind them. */
        struct cb_buf addr = a;
        addr.h.dwInitiatorAddrType = 2; /* GSS_C_AF_INET */
        addr.h.cbInitiatorLength = 4;
        addr.h.dwInitiatorOffset = (ULONG)(sizeof(SEC_CHANNEL_BINDINGS) + a.h.cbApplicationDataLength);
        memcpy(addr.data + a.h.cbApplicationDataLength, "\x7f\0\0\x01", 4);
        CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &addr, a_len + 4, &addr, a_len + 4, &hs), SEC_E_BAD_BINDINGS);
        expect_hint("application data only");
        hs_free(t, &hs);
    } else {
        /* Kerberos binds addresses too: the same ones on both sides work. */
        struct cb_buf addr = a;
        addr.h.dwInitiatorAddrType = 2; /* GSS_C_AF_INET */
        addr.h.cbInitiatorLength = 4;
        addr.h.dwInitiatorOffset = (ULONG)(sizeof(SEC_CHANNEL_BINDINGS) + a.h.cbApplicationDataLength);
        memcpy(addr.data + a.h.cbApplicationDataLength, "\x7f\0\0\x01", 4);
        CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &addr, a_len + 4, &addr, a_len + 4, &hs), SEC_E_OK);
        hs_free(t, &hs);
        CHECK_SEC(run_cb(&cc, &sc, "host/localhost", &addr, a_len + 4, &a, a_len, &hs), SEC_E_BAD_BINDINGS);
        hs_free(t, &hs);
    }

    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    setenv("KRB5CCNAME", saved, 1);
}

static void write_file(char *tmpl, const char *content)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct setup setups[] = {
        {"kerberos", "Kerberos", "Kerberos", 0},
        {"negotiate", "Negotiate", "Negotiate", 0},
        {"ntlm", "NTLM", "NTLM", 1},
        {"negotiate-ntlm", "Negotiate", "Negotiate", 1},
    };
    char line[256];
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    snprintf(line, sizeof(line), "SSPIXDOM:carol:%s\n", password);
    write_file(users_file, line);
    write_file(creds_file, line);
    for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++)
        if (argc < 2 || strcmp(argv[1], setups[i].name) == 0)
            test_setup(&setups[i]);
    unlink(users_file);
    unlink(creds_file);
    CHECK_DONE("integration.channel_bindings");
}
