/* SPDX-License-Identifier: MIT */
/*
 * test_hostile_ntlm.c - hostile NTLM and SPNEGO handshake tokens against the
 * NTLM and Negotiate packages, on both sides:
 *
 *   - a hostile server's CHALLENGE with a target type and an empty
 *     TargetName (gss-ntlmssp 1.2 writes through NULL), raw and inside a
 *     SPNEGO NegTokenResp; a second InitializeSecurityContext call without a
 *     token (gss-ntlmssp dereferences NULL); malformed SPNEGO DER; a
 *     mechListMIC that is not 16 bytes (gss-ntlmssp reads 16);
 *   - an authenticated client whose AUTHENTICATE negotiates key exchange
 *     without the session key (gss-ntlmssp copies 16 bytes from nothing),
 *     raw and inside SPNEGO; a NEGOTIATE with a field past its end; a message
 *     of the wrong type;
 *   - DecryptMessage with a TOKEN that is not the 16-byte signature.
 *
 * Each refused token gets SEC_E_INVALID_TOKEN and a message naming the field.
 * Every case runs in a child process, so a crash is reported as that case
 * failing rather than taking the others with it.
 */
#define SECURITY_WIN32
#include <security.h>

#include <sys/wait.h>
#include <unistd.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char users_file[] = "/tmp/sspix-hostile-ntlm-users-XXXXXX";
static char creds_file[] = "/tmp/sspix-hostile-ntlm-creds-XXXXXX";
static const char *domain = "SSPIXDOM";
static const char *user = "carol";
static const char *password = "Carol-Pa55word!";

#define REQ (ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT)

#define CHECK_ERR(substr)                                                                                              \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (strstr(sspix_last_error(), (substr)) == NULL) {                                                            \
            fprintf(stderr, "%s:%d: last error lacks \"%s\": %s\n", __FILE__, __LINE__, (substr), sspix_last_error()); \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

static void write_file(char *tmpl, const char *content)
{
    int fd = mkstemp(tmpl);
    CHECK(fd >= 0);
    CHECK(write(fd, content, strlen(content)) == (ssize_t)strlen(content));
    close(fd);
}

/* ---- two peers, one token at a time ------------------------------------ */

struct peers {
    CredHandle cc, sc;
    CtxtHandle c, s;
    int have_c, have_s;
    unsigned char out[16384];
    ULONG out_len;
};

static SECURITY_STATUS isc(struct peers *p, const void *in, ULONG in_len)
{
    ULONG attrs;
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {sizeof(p->out), SECBUFFER_TOKEN, p->out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st =
        t->InitializeSecurityContext(&p->cc, p->have_c ? &p->c : NULL, (SEC_CHAR *)"host/localhost", REQ, 0, 0,
                                     p->have_c && in != NULL ? &id : NULL, 0, &p->c, &od, &attrs, NULL);
    if (SEC_SUCCESS(st))
        p->have_c = 1;
    p->out_len = SEC_SUCCESS(st) ? ob.cbBuffer : 0;
    return st;
}

static SECURITY_STATUS asc(struct peers *p, const void *in, ULONG in_len)
{
    ULONG attrs;
    SecBuffer ib = {in_len, SECBUFFER_TOKEN, (void *)in}, ob = {sizeof(p->out), SECBUFFER_TOKEN, p->out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st =
        t->AcceptSecurityContext(&p->sc, p->have_s ? &p->s : NULL, &id, REQ, 0, &p->s, &od, &attrs, NULL);
    if (SEC_SUCCESS(st))
        p->have_s = 1;
    p->out_len = SEC_SUCCESS(st) ? ob.cbBuffer : 0;
    return st;
}

/* Credentials: NTLM alone, or Negotiate with NTLM allowed and no Kerberos
 * ticket, so that Negotiate has to use NTLM. */
static void peers_init(struct peers *p, const char *pkg)
{
    memset(p, 0, sizeof(*p));
    SSPIX_AUTH_STORE_A srv = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users_file};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &srv, NULL, NULL, &p->sc, NULL),
        SEC_E_OK);
    if (strcmp(pkg, "NTLM") == 0) {
        SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       (ULONG)strlen(user),       (unsigned char *)domain,
                                        (ULONG)strlen(domain),       (unsigned char *)password, (ULONG)strlen(password),
                                        SEC_WINNT_AUTH_IDENTITY_ANSI};
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                              &p->cc, NULL),
                  SEC_E_OK);
    } else {
        setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-hostile-no-ccache", 1);
        SSPIX_AUTH_STORE_A allow = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = creds_file};
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, &allow, NULL, NULL,
                                              &p->cc, NULL),
                  SEC_E_OK);
    }
}

static void peers_free(struct peers *p)
{
    if (p->have_c)
        t->DeleteSecurityContext(&p->c);
    if (p->have_s)
        t->DeleteSecurityContext(&p->s);
    t->FreeCredentialsHandle(&p->cc);
    t->FreeCredentialsHandle(&p->sc);
}

/* ---- hostile bytes ---------------------------------------------------------- */

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The 32-byte CHALLENGE: a server target type, Unicode, and no TargetName. */
static size_t crash_challenge(unsigned char *m)
{
    memset(m, 0, 32);
    memcpy(m, "NTLMSSP", 8);
    put32(m + 8, 2);
    put32(m + 20, 0x00000001 | 0x00000010 | 0x00000020 | 0x00000200 | 0x00020000 | 0x00080000);
    memcpy(m + 24, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
    return 32;
}

/* DER: identifier, length (short or two-byte long form), content. */
static size_t der(unsigned char *out, unsigned char tag, const void *content, size_t n)
{
    size_t k = 0;
    out[k++] = tag;
    if (n < 0x80) {
        out[k++] = (unsigned char)n;
    } else {
        out[k++] = 0x82;
        out[k++] = (unsigned char)(n >> 8);
        out[k++] = (unsigned char)n;
    }
    memmove(out + k, content, n);
    return k + n;
}

/* NegTokenResp { negState, supportedMech NTLM?, responseToken?, mechListMIC? } */
static size_t neg_token_resp(unsigned char *out, int state, int mech, const void *tok, size_t tok_len, const void *mic,
                             size_t mic_len)
{
    unsigned char body[8192], x[8192], y[8192];
    size_t n = 0, k;
    unsigned char e = (unsigned char)state;
    k = der(x, 0x0a, &e, 1);
    n += der(body + n, 0xa0, x, k);
    if (mech) {
        k = der(x, 0x06, "\x2b\x06\x01\x04\x01\x82\x37\x02\x02\x0a", 10);
        n += der(body + n, 0xa1, x, k);
    }
    if (tok != NULL) {
        k = der(x, 0x04, tok, tok_len);
        n += der(body + n, 0xa2, x, k);
    }
    if (mic != NULL) {
        k = der(x, 0x04, mic, mic_len);
        n += der(body + n, 0xa3, x, k);
    }
    k = der(y, 0x30, body, n);
    return der(out, 0xa1, y, k);
}

static unsigned char *find_ntlm(unsigned char *p, size_t n, unsigned type)
{
    for (size_t i = 0; i + 12 <= n; i++)
        if (memcmp(p + i, "NTLMSSP", 8) == 0 && p[i + 8] == type && p[i + 9] == 0 && p[i + 10] == 0 && p[i + 11] == 0)
            return p + i;
    return NULL;
}

/* ---- the cases ---------------------------------------------------------------- */

/* A hostile NTLM server: its CHALLENGE names a server target but no name. */
static void case_ntlm_client_empty_target(void)
{
    struct peers p;
    unsigned char m[64];
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    size_t n = crash_challenge(m);
    CHECK_SEC(isc(&p, m, (ULONG)n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the server's NTLM CHALLENGE message is malformed");
    CHECK_ERR("NTLMSSP_TARGET_TYPE_SERVER is set but TargetName is empty");
    peers_free(&p);
}

/* The same with a real server's CHALLENGE (Version, TargetInfo) whose
 * TargetName was emptied, and with the domain target type. */
static void case_ntlm_client_emptied_real_challenge(void)
{
    struct peers p;
    unsigned char chal[4096];
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    ULONG n = p.out_len;
    memcpy(chal, p.out, n);
    CHECK(n > 56 && memcmp(chal, "NTLMSSP", 8) == 0 && chal[8] == 2);
    memset(chal + 12, 0, 4); /* TargetName Len, MaxLen */
    CHECK_SEC(isc(&p, chal, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("TargetName is empty");
    chal[22] = (unsigned char)((chal[22] & ~0x02) | 0x01); /* TARGET_TYPE_DOMAIN instead of _SERVER */
    CHECK_SEC(isc(&p, chal, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("NTLMSSP_TARGET_TYPE_DOMAIN is set but TargetName is empty");
    peers_free(&p);
}

/* The second call without the server's token. */
static void case_ntlm_client_no_token(void)
{
    struct peers p;
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, NULL, 0), SEC_E_INVALID_TOKEN);
    CHECK_ERR("no input token");
    peers_free(&p);
}

/* Garbage and a message of the wrong type where the CHALLENGE belongs. */
static void case_ntlm_client_wrong_message(void)
{
    struct peers p;
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    unsigned char neg[64];
    memcpy(neg, p.out, p.out_len); /* the client's own NEGOTIATE, reflected */
    CHECK_SEC(isc(&p, neg, p.out_len), SEC_E_INVALID_TOKEN);
    CHECK_ERR("message type 1 (NEGOTIATE) where a CHALLENGE message (type 2) belongs");
    CHECK_SEC(isc(&p, "NTLMSSP", 8), SEC_E_INVALID_TOKEN);
    CHECK_ERR("too few");
    peers_free(&p);
}

/* Negotiate client, NTLM chosen: the same CHALLENGE inside SPNEGO. */
static void case_negotiate_client_empty_target(void)
{
    struct peers p;
    unsigned char m[64], resp[256];
    peers_init(&p, "Negotiate");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    size_t n = crash_challenge(m);
    size_t r = neg_token_resp(resp, 1, 1, m, n, NULL, 0);
    CHECK_SEC(isc(&p, resp, (ULONG)r), SEC_E_INVALID_TOKEN);
    CHECK_ERR("NTLM CHALLENGE message in the SPNEGO responseToken is malformed");
    CHECK_ERR("TargetName is empty");
    /* Without supportedMech the NTLM signature alone sends it to the check. */
    r = neg_token_resp(resp, 1, 0, m, n, NULL, 0);
    CHECK_SEC(isc(&p, resp, (ULONG)r), SEC_E_INVALID_TOKEN);
    CHECK_ERR("TargetName is empty");
    /* Malformed DER: indefinite length, bytes after the token. */
    static const unsigned char indefinite[] = {0xa1, 0x80, 0x30, 0x03, 0xa0, 0x01, 0x00, 0x00, 0x00};
    CHECK_SEC(isc(&p, indefinite, sizeof(indefinite)), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the server's SPNEGO token is malformed (token: indefinite length");
    r = neg_token_resp(resp, 1, 1, m, n, NULL, 0);
    resp[r] = 0;
    CHECK_SEC(isc(&p, resp, (ULONG)r + 1), SEC_E_INVALID_TOKEN);
    CHECK_ERR("1 bytes after the token's outermost element");
    /* A raw CHALLENGE handed to Negotiate is checked as well. */
    CHECK_SEC(isc(&p, m, (ULONG)n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("TargetName is empty");
    CHECK_SEC(isc(&p, NULL, 0), SEC_E_INVALID_TOKEN);
    CHECK_ERR("no input token");
    peers_free(&p);
}

/* Negotiate client, NTLM chosen, the real exchange up to the server's last
 * token, whose mechListMIC is then cut to 4 bytes. */
static void case_negotiate_client_short_mic(void)
{
    struct peers p;
    unsigned char resp[256];
    peers_init(&p, "Negotiate");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_E_OK);
    CHECK(p.out_len > 0); /* accept-complete with the server's mechListMIC */
    size_t r = neg_token_resp(resp, 0, 0, NULL, 0, "\x01\x00\x00\x00", 4);
    CHECK_SEC(isc(&p, resp, (ULONG)r), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the server's SPNEGO mechListMIC has 4 bytes; an NTLM signature has exactly 16");
    peers_free(&p);
}

/* An authenticated client whose AUTHENTICATE drops the session key that key
 * exchange needs (the length fields zeroed: nothing else changes, and
 * without a MIC nothing authenticates them). */
static void case_ntlm_server_no_session_key(void)
{
    struct peers p;
    unsigned char auth[4096];
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK(p.out_len > 24 && (p.out[23] & 0x40)); /* the server's CHALLENGE negotiates key exchange */
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_E_OK);
    ULONG n = p.out_len;
    memcpy(auth, p.out, n);
    CHECK(n > 64 && auth[8] == 3 && auth[52] == 16);
    memset(auth + 52, 0, 4);
    CHECK_SEC(asc(&p, auth, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the client's NTLM AUTHENTICATE message is malformed");
    CHECK_ERR("NTLMSSP_NEGOTIATE_KEY_EXCH was negotiated but EncryptedRandomSessionKey has 0 bytes");
    /* The AUTHENTICATE's own flags claiming no key exchange change nothing:
     * the CHALLENGE's flags rule. */
    auth[63] &= (unsigned char)~0x40;
    CHECK_SEC(asc(&p, auth, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("EncryptedRandomSessionKey has 0 bytes");
    peers_free(&p);
}

/* The same inside SPNEGO. */
static void case_negotiate_server_no_session_key(void)
{
    struct peers p;
    unsigned char tok[8192];
    peers_init(&p, "Negotiate");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    ULONG n = p.out_len;
    memcpy(tok, p.out, n);
    unsigned char *a = find_ntlm(tok, n, 3);
    CHECK(a != NULL && a[52] == 16);
    memset(a + 52, 0, 4);
    CHECK_SEC(asc(&p, tok, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("NTLM AUTHENTICATE message in the SPNEGO responseToken is malformed");
    CHECK_ERR("EncryptedRandomSessionKey has 0 bytes");
    peers_free(&p);
}

/* Acceptor: a NEGOTIATE whose Workstation runs past its end, the wrong
 * message type, malformed SPNEGO; and a real exchange still works. */
static void case_server_malformed(void)
{
    struct peers p;
    unsigned char m[64];
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    ULONG n = p.out_len;
    CHECK(n >= 40 && n <= sizeof(m));
    memcpy(m, p.out, n);
    m[24] = 200; /* Workstation Len */
    m[28] = 40;  /* ... at offset 40 */
    CHECK_SEC(asc(&p, m, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the client's NTLM NEGOTIATE message is malformed (Workstation (200 bytes at offset 40) runs past");
    crash_challenge(m);
    CHECK_SEC(asc(&p, m, 32), SEC_E_INVALID_TOKEN);
    CHECK_ERR("message type 2 (CHALLENGE) where a NEGOTIATE message (type 1) belongs");
    /* the genuine NEGOTIATE is accepted, and the handshake completes */
    CHECK_SEC(asc(&p, p.out, n), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_E_OK);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_E_OK);
    peers_free(&p);

    peers_init(&p, "Negotiate");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    n = p.out_len;
    unsigned char tok[4096];
    memcpy(tok, p.out, n);
    tok[n] = 0;
    CHECK_SEC(asc(&p, tok, n + 1), SEC_E_INVALID_TOKEN);
    CHECK_ERR("the client's SPNEGO token is malformed");
    unsigned char *neg = find_ntlm(tok, n, 1);
    CHECK(neg != NULL);
    neg[8] = 3; /* the optimistic token says AUTHENTICATE */
    CHECK_SEC(asc(&p, tok, n), SEC_E_INVALID_TOKEN);
    CHECK_ERR("NTLM NEGOTIATE message in the SPNEGO mechToken is malformed (message type 3");
    CHECK_SEC(asc(&p, p.out, n), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_E_OK);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_E_OK);
    peers_free(&p);
}

/* DecryptMessage takes exactly the 16-byte signature in the TOKEN: gss-ntlmssp
 * would read the first 16 bytes of anything longer and never look at the
 * rest. Refused before any cryptography, so the context stays usable. */
static void case_decrypt_token_length(void)
{
    struct peers p;
    unsigned char sig[32], data[64];
    ULONG qop;
    const char *text = "sixteen bytes, no more";
    size_t n = strlen(text);
    peers_init(&p, "NTLM");
    CHECK_SEC(isc(&p, NULL, 0), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(isc(&p, p.out, p.out_len), SEC_E_OK);
    CHECK_SEC(asc(&p, p.out, p.out_len), SEC_E_OK);
    memcpy(data, text, n);
    SecBuffer b[2] = {{sizeof(sig), SECBUFFER_TOKEN, sig}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(&p.c, 0, &d, 0), SEC_E_OK);
    CHECK_EQ_INT(b[0].cbBuffer, 16);
    memset(sig + 16, 0xee, 4);
    b[0].cbBuffer = 20;
    CHECK_SEC(t->DecryptMessage(&p.s, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    CHECK_ERR("an NTLM signature has exactly 16");
    b[0].cbBuffer = 15;
    CHECK_SEC(t->DecryptMessage(&p.s, &d, 0, &qop), SEC_E_INVALID_TOKEN);
    CHECK_ERR("holds 15 bytes");
    b[0].cbBuffer = 16;
    CHECK_SEC(t->DecryptMessage(&p.s, &d, 0, &qop), SEC_E_OK);
    CHECK(memcmp(data, text, n) == 0);
    peers_free(&p);
}

static int failures;

static void run(const char *name, void (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        fn();
        printf("  %s: ok (%u checks)\n", name, check_count);
        fflush(stdout);
        _exit(0);
    }
    int ws = 0;
    CHECK(waitpid(pid, &ws, 0) == pid);
    check_count++;
    if (WIFSIGNALED(ws)) {
        fprintf(stderr, "  %s: CRASHED (signal %d)\n", name, WTERMSIG(ws));
        failures++;
    } else if (WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "  %s: FAILED (exit %d)\n", name, WEXITSTATUS(ws));
        failures++;
    }
}

int main(void)
{
    char line[256];
    need_env("KRB5CCNAME");
    t = InitSecurityInterface();
    snprintf(line, sizeof(line), "%s:%s:%s\n", domain, user, password);
    write_file(users_file, line);
    write_file(creds_file, line);

    run("ntlm client: CHALLENGE with a target type and no TargetName", case_ntlm_client_empty_target);
    run("ntlm client: a real CHALLENGE with its TargetName emptied", case_ntlm_client_emptied_real_challenge);
    run("ntlm client: second call without a token", case_ntlm_client_no_token);
    run("ntlm client: wrong message type, truncated message", case_ntlm_client_wrong_message);
    run("negotiate client: the CHALLENGE inside SPNEGO, malformed DER", case_negotiate_client_empty_target);
    run("negotiate client: 4-byte mechListMIC", case_negotiate_client_short_mic);
    run("ntlm server: key exchange without the session key", case_ntlm_server_no_session_key);
    run("negotiate server: key exchange without the session key", case_negotiate_server_no_session_key);
    run("servers: malformed NEGOTIATE and SPNEGO, then a real exchange", case_server_malformed);
    run("DecryptMessage: a TOKEN of 20 or 15 bytes", case_decrypt_token_length);

    unlink(users_file);
    unlink(creds_file);
    if (failures != 0) {
        fprintf(stderr, "integration.hostile_ntlm: %d case(s) failed\n", failures);
        return 1;
    }
    CHECK_DONE("integration.hostile_ntlm");
}
