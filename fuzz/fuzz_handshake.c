/* SPDX-License-Identifier: MIT */
/*
 * fuzz_handshake.c - libFuzzer target for the handshake entry points that take
 * a peer's token: AcceptSecurityContext on its first and second legs and
 * InitializeSecurityContext on its second and third, for the Negotiate,
 * Kerberos and NTLM packages, against the realm fixture (real credentials,
 * real peers; run it with the realm's environment, as fuzz/run.sh does).
 *
 * Input: one selector byte, then the token. The selector says which leg gets
 * it; the legs before it are played by a genuine peer on every run, so the
 * token meets a context in the state a hostile peer would find:
 *   0 Kerberos acceptor, first token (AP-REQ)
 *   1 Negotiate acceptor, first token (NegTokenInit, raw Kerberos, raw NTLM)
 *   2 NTLM acceptor, first token (NEGOTIATE)
 *   3 NTLM acceptor, second token (AUTHENTICATE), after a real NEGOTIATE
 *   4 Negotiate acceptor with NTLM, second token (NegTokenResp)
 *   5 NTLM initiator, second leg (CHALLENGE)
 *   6 Negotiate initiator using NTLM, second leg (NegTokenResp + CHALLENGE)
 *   7 Kerberos initiator, second leg (AP-REP)
 *   8 Negotiate initiator using Kerberos, second leg (NegTokenResp + AP-REP)
 *   9 Negotiate initiator using NTLM, third leg (the server's mechListMIC)
 *  10 Kerberos acceptor with the in-process replay set (the native acceptor,
 *     src/packages/krb5_accept.c, then MIT's for what it declines), first token
 *  11 the same acceptor on a fresh genuine AP-REQ edited by the input: u16
 *     big-endian offset, then bytes written over the token from that offset
 *     (modulo its length; a zero-length edit cuts the token there)
 *  12 Negotiate acceptor with the in-process replay set (the native
 *     acceptor's SPNEGO form, then MIT's SPNEGO), first token
 *
 * Seeds: SSPIX_FUZZ_WRITE_SEEDS=DIR runs the genuine handshakes once and
 * writes every token they exchange as DIR/handshake/<selector>-<name>, the
 * NTLM messages alone as DIR/ntlm_msg/<name> and the SPNEGO tokens as
 * DIR/spnego_tok/<name> (the corpora of fuzz_ntlm_msg and fuzz_spnego_tok),
 * then exits.
 *
 * Environment: the realm's (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME). The replay
 * cache is turned off (KRB5RCACHETYPE=none): the same AP-REQ comes back on
 * every run, and a replay verdict would hide everything after it.
 */
#define SECURITY_WIN32
#include <security.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "packages/ntlm_msg.h"
#include "packages/spnego_tok.h"

#define REQ    (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT)
#define TARGET "host/localhost"
#define NSEL   13

static PSecurityFunctionTableA t;
static CredHandle srv_krb5, srv_krb5_native, srv_nego_native, srv_nego, srv_ntlm, cli_krb5, cli_nego_krb5,
    cli_nego_ntlm, cli_ntlm;
static char users_file[] = "/tmp/sspix-fuzz-hs-users-XXXXXX";
static char ccache_env[1024];
static const char *seed_dir;

/* One side's context and its last output token. */
struct side {
    CtxtHandle h;
    int have;
    unsigned char out[65536];
    ULONG out_len;
};

static void fail_setup(const char *what, SECURITY_STATUS st)
{
    fprintf(stderr, "fuzz_handshake: %s: %s: %s\n", what, sspix_status_name(st), sspix_last_error());
    exit(1);
}

static SECURITY_STATUS isc(CredHandle *cred, struct side *s, const void *in, size_t in_len)
{
    ULONG attrs;
    SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in}, ob = {sizeof(s->out), SECBUFFER_TOKEN, s->out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st = t->InitializeSecurityContext(cred, s->have ? &s->h : NULL, (SEC_CHAR *)TARGET, REQ, 0, 0,
                                                      s->have ? &id : NULL, 0, &s->h, &od, &attrs, NULL);
    if (!s->have && SEC_SUCCESS(st))
        s->have = 1;
    s->out_len = SEC_SUCCESS(st) ? ob.cbBuffer : 0;
    return st;
}

static SECURITY_STATUS asc(CredHandle *cred, struct side *s, const void *in, size_t in_len)
{
    ULONG attrs;
    SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in}, ob = {sizeof(s->out), SECBUFFER_TOKEN, s->out};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st = t->AcceptSecurityContext(cred, s->have ? &s->h : NULL, &id, REQ, 0, &s->h, &od, &attrs, NULL);
    if (!s->have && SEC_SUCCESS(st))
        s->have = 1;
    s->out_len = SEC_SUCCESS(st) ? ob.cbBuffer : 0;
    return st;
}

static void side_free(struct side *s)
{
    if (s->have)
        t->DeleteSecurityContext(&s->h);
    s->have = 0;
}

/* Negotiate restricted to NTLM: no Kerberos ticket while it runs. */
static void no_ticket(int on)
{
    if (on)
        setenv("KRB5CCNAME", "FILE:/nonexistent/sspix-fuzz-no-ccache", 1);
    else
        setenv("KRB5CCNAME", ccache_env, 1);
}

static void write_seed(const char *sub, const char *name, int sel, const void *p, size_t n)
{
    char path[4096];
    if (seed_dir == NULL || n == 0)
        return;
    snprintf(path, sizeof(path), "%s/%s", seed_dir, sub);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return;
    if (sel >= 0)
        snprintf(path, sizeof(path), "%s/%s/%d-%s", seed_dir, sub, sel, name);
    else
        snprintf(path, sizeof(path), "%s/%s/%s", seed_dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return;
    if (sel >= 0) {
        unsigned char b = (unsigned char)sel;
        fwrite(&b, 1, 1, f);
    }
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Seeds: a token for selector sel, and the same bytes for the parser
 * targets when they are NTLM messages or SPNEGO tokens. */
static void seed(int sel, const char *name, const void *p, size_t n)
{
    struct sspix_spnego_tok tok;
    char inner[160];
    write_seed("handshake", name, sel, p, n);
    if (sspix_ntlm_msg_is_ntlm(p, n)) {
        write_seed("ntlm_msg", name, -1, p, n);
    } else if (sspix_spnego_parse(p, n, &tok, NULL, 0) == 0) {
        write_seed("spnego_tok", name, -1, p, n);
        snprintf(inner, sizeof(inner), "%s-inner", name);
        if (tok.token != NULL && sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len))
            write_seed("ntlm_msg", inner, -1, tok.token, tok.token_len);
    }
}

static void creds(void)
{
    SECURITY_STATUS st;
    SSPIX_AUTH_STORE_A users = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users_file};
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"carol",           5,  (unsigned char *)"SSPIXDOM", 8,
                                    (unsigned char *)"Carol-Pa55word!", 15, SEC_WINNT_AUTH_IDENTITY_ANSI};
    int fd = mkstemp(users_file);
    const char *line = "SSPIXDOM:carol:Carol-Pa55word!\n";
    if (fd < 0 || write(fd, line, strlen(line)) != (ssize_t)strlen(line))
        fail_setup("users file", SEC_E_INTERNAL_ERROR);
    close(fd);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                          &srv_krb5, NULL)) != SEC_E_OK)
        fail_setup("Kerberos acceptor", st);
    SSPIX_AUTH_STORE_A in_process = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Flags = SSPIX_AUTH_STORE_REPLAY_IN_PROCESS};
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &in_process, NULL,
                                          NULL, &srv_krb5_native, NULL)) != SEC_E_OK)
        fail_setup("Kerberos acceptor with the in-process replay set", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &in_process, NULL,
                                          NULL, &srv_nego_native, NULL)) != SEC_E_OK)
        fail_setup("Negotiate acceptor with the in-process replay set", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &users, NULL, NULL,
                                          &srv_nego, NULL)) != SEC_E_OK)
        fail_setup("Negotiate acceptor", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, &users, NULL, NULL,
                                          &srv_ntlm, NULL)) != SEC_E_OK)
        fail_setup("NTLM acceptor", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cli_krb5, NULL)) != SEC_E_OK)
        fail_setup("Kerberos initiator", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cli_nego_krb5, NULL)) != SEC_E_OK)
        fail_setup("Negotiate initiator", st);
    if ((st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL,
                                          &cli_ntlm, NULL)) != SEC_E_OK)
        fail_setup("NTLM initiator", st);
    no_ticket(1);
    users.NtlmUsersFile = users_file;
    st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &users, NULL, NULL,
                                     &cli_nego_ntlm, NULL);
    no_ticket(0);
    if (st != SEC_E_OK)
        fail_setup("Negotiate initiator with NTLM", st);
}

/* The genuine handshakes, once, for the seeds. */
static void genuine(CredHandle *cc, CredHandle *sc, int ntlm_only, const char *name, int first_sel, int reply_sel,
                    int second_sel, int final_sel)
{
    struct side c = {.have = 0}, s = {.have = 0};
    char n[128];
    SECURITY_STATUS cst, sst = SEC_I_CONTINUE_NEEDED;
    no_ticket(ntlm_only);
    cst = isc(cc, &c, NULL, 0);
    for (int leg = 0; leg < 4 && SEC_SUCCESS(cst) && c.out_len > 0; leg++) {
        snprintf(n, sizeof(n), "%s-client-%d", name, leg);
        seed(leg == 0 ? first_sel : second_sel, n, c.out, c.out_len);
        sst = asc(sc, &s, c.out, c.out_len);
        if (!SEC_SUCCESS(sst) || s.out_len == 0)
            break;
        snprintf(n, sizeof(n), "%s-server-%d", name, leg);
        seed(sst == SEC_E_OK ? final_sel : reply_sel, n, s.out, s.out_len);
        if (cst == SEC_E_OK)
            break;
        cst = isc(cc, &c, s.out, s.out_len);
    }
    no_ticket(0);
    if (!SEC_SUCCESS(cst) || !SEC_SUCCESS(sst))
        fprintf(stderr, "fuzz_handshake: genuine %s handshake failed: %s\n", name, sspix_last_error());
    side_free(&c);
    side_free(&s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *cc = getenv("KRB5CCNAME");
    if (cc == NULL || getenv("KRB5_KTNAME") == NULL) {
        fprintf(stderr, "fuzz_handshake: run with the realm's environment (tests/realm/realm env DIR)\n");
        exit(1);
    }
    snprintf(ccache_env, sizeof(ccache_env), "%s", cc);
    setenv("KRB5RCACHETYPE", "none", 1);
    t = InitSecurityInterface();
    creds();
    seed_dir = getenv("SSPIX_FUZZ_WRITE_SEEDS");
    if (seed_dir != NULL) {
        genuine(&cli_krb5, &srv_krb5, 0, "kerberos", 0, 7, -1, 7);
        genuine(&cli_nego_krb5, &srv_nego, 0, "negotiate-krb5", 1, 8, -1, 8);
        genuine(&cli_ntlm, &srv_ntlm, 0, "ntlm", 2, 5, 3, 5);
        genuine(&cli_nego_ntlm, &srv_nego, 1, "negotiate-ntlm", 1, 6, 4, 9);
        unlink(users_file);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct side c = {.have = 0}, s = {.have = 0};
    if (size < 1)
        return 0;
    int sel = data[0] % NSEL;
    const uint8_t *tok = data + 1;
    size_t n = size - 1;

    switch (sel) {
    case 0: (void)asc(&srv_krb5, &s, tok, n); break;
    case 1: (void)asc(&srv_nego, &s, tok, n); break;
    case 2: (void)asc(&srv_ntlm, &s, tok, n); break;
    case 3:
        if (isc(&cli_ntlm, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED &&
            asc(&srv_ntlm, &s, c.out, c.out_len) == SEC_I_CONTINUE_NEEDED)
            (void)asc(&srv_ntlm, &s, tok, n);
        break;
    case 4:
        no_ticket(1);
        if (isc(&cli_nego_ntlm, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED &&
            asc(&srv_nego, &s, c.out, c.out_len) == SEC_I_CONTINUE_NEEDED)
            (void)asc(&srv_nego, &s, tok, n);
        no_ticket(0);
        break;
    case 5:
        if (isc(&cli_ntlm, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED)
            (void)isc(&cli_ntlm, &c, tok, n);
        break;
    case 6:
        no_ticket(1);
        if (isc(&cli_nego_ntlm, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED)
            (void)isc(&cli_nego_ntlm, &c, tok, n);
        no_ticket(0);
        break;
    case 7:
        if (isc(&cli_krb5, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED)
            (void)isc(&cli_krb5, &c, tok, n);
        break;
    case 8:
        if (isc(&cli_nego_krb5, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED)
            (void)isc(&cli_nego_krb5, &c, tok, n);
        break;
    case 10: (void)asc(&srv_krb5_native, &s, tok, n); break;
    case 12: (void)asc(&srv_nego_native, &s, tok, n); break;
    case 11:
        if (n >= 2 && isc(&cli_krb5, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED && c.out_len > 0) {
            size_t len = c.out_len, at = ((size_t)tok[0] << 8 | tok[1]) % len;
            if (n == 2)
                len = at;
            for (size_t i = 2; i < n && at + i - 2 < len; i++)
                c.out[at + i - 2] = tok[i];
            (void)asc(&srv_krb5_native, &s, c.out, len);
        }
        break;
    default: /* 9: the whole NTLM-in-SPNEGO exchange, then the server's last token */
        no_ticket(1);
        if (isc(&cli_nego_ntlm, &c, NULL, 0) == SEC_I_CONTINUE_NEEDED &&
            asc(&srv_nego, &s, c.out, c.out_len) == SEC_I_CONTINUE_NEEDED &&
            isc(&cli_nego_ntlm, &c, s.out, s.out_len) == SEC_I_CONTINUE_NEEDED)
            (void)isc(&cli_nego_ntlm, &c, tok, n);
        no_ticket(0);
        break;
    }
    side_free(&c);
    side_free(&s);
    return 0;
}
