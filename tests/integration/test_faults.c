/* SPDX-License-Identifier: MIT */
/*
 * test_faults.c - environment faults against the real realm: each one must
 * come back as the SEC_E_* status Windows gives for the same situation, with
 * a message that names the fix, for Kerberos and Negotiate alike (Negotiate's
 * SPNEGO layer renumbers the Kerberos minor codes, so a mapping that only
 * works on the plain Kerberos path shows up here).
 *
 * Every fault is made for real: a krb5.conf copy whose KDC port refuses
 * connections, keytabs written with the krb5 API that lack the ticket's kvno,
 * key or SPN, a keytab deleted after the credential was acquired, a replay
 * cache in a directory that does not exist or on a device that is full, and a
 * process with no descriptor left. The realm itself is never changed.
 *
 * Also pinned here: the texts of a tampered message, for NTLM and Negotiate
 * settled on NTLM too (no doubled "DecryptMessage: " prefix, no "Success" or
 * "Unknown error" standing for a code that was 0, no password hint).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <krb5/krb5.h>

#include <sspix/sspix.h>

#include "common/check.h"
#include "common/handshake.h"

static PSecurityFunctionTableA t;
static char realm[256];
static char tmpdir[256];
static unsigned failures;

/* A non-fatal check: every fault is tried even when an earlier one fails. */
static void expect(const char *name, SECURITY_STATUS got, SECURITY_STATUS want, const char *hint)
{
    const char *msg = sspix_last_error();
    check_count++;
    if (got == want && (hint == NULL || strstr(msg, hint) != NULL)) {
        printf("ok   %-34s %s: %s\n", name, sspix_status_name(got), msg);
        return;
    }
    failures++;
    fprintf(stderr, "FAIL %-34s got %s, want %s with \"%s\"\n     message: %s\n", name, sspix_status_name(got),
            sspix_status_name(want), hint ? hint : "", msg);
}

static void expect_not(const char *name, const char *needle)
{
    const char *msg = sspix_last_error();
    check_count++;
    if (strstr(msg, needle) == NULL)
        return;
    failures++;
    fprintf(stderr, "FAIL %-34s message has \"%s\": %s\n", name, needle, msg);
}

static void path_in_tmp(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* ---- the realm's credentials, rearranged with the krb5 API ------------------------- */

static krb5_context kctx;

/* A FILE ccache holding only alice's TGT: any service ticket needs the KDC. */
static void make_tgt_only_ccache(char *name, size_t cap)
{
    krb5_ccache src, dst;
    krb5_principal client, tgs;
    krb5_creds mcreds, creds;
    char path[512];
    path_in_tmp(path, sizeof(path), "tgt.ccache");
    snprintf(name, cap, "FILE:%s", path);
    CHECK(krb5_cc_resolve(kctx, need_env("KRB5CCNAME"), &src) == 0);
    CHECK(krb5_cc_get_principal(kctx, src, &client) == 0);
    CHECK(krb5_build_principal(kctx, &tgs, (unsigned)strlen(realm), realm, "krbtgt", realm, (char *)NULL) == 0);
    memset(&mcreds, 0, sizeof(mcreds));
    mcreds.client = client;
    mcreds.server = tgs;
    CHECK(krb5_cc_retrieve_cred(kctx, src, 0, &mcreds, &creds) == 0);
    CHECK(krb5_cc_resolve(kctx, name, &dst) == 0);
    CHECK(krb5_cc_initialize(kctx, dst, client) == 0);
    CHECK(krb5_cc_store_cred(kctx, dst, &creds) == 0);
    krb5_free_cred_contents(kctx, &creds);
    krb5_free_principal(kctx, tgs);
    krb5_free_principal(kctx, client);
    krb5_cc_close(kctx, dst);
    krb5_cc_close(kctx, src);
}

/* A keytab with the realm keytab's entries for spn (all kvnos, all enctypes). */
static void make_keytab_with(const char *file, const char *spn)
{
    krb5_keytab src, dst;
    krb5_kt_cursor cur;
    krb5_keytab_entry ent;
    krb5_principal want;
    char name[600];
    snprintf(name, sizeof(name), "FILE:%s", file);
    unlink(file);
    CHECK(krb5_parse_name(kctx, spn, &want) == 0);
    CHECK(krb5_kt_resolve(kctx, need_env("KRB5_KTNAME"), &src) == 0);
    CHECK(krb5_kt_resolve(kctx, name, &dst) == 0);
    CHECK(krb5_kt_start_seq_get(kctx, src, &cur) == 0);
    int copied = 0;
    while (krb5_kt_next_entry(kctx, src, &ent, &cur) == 0) {
        if (krb5_principal_compare(kctx, ent.principal, want)) {
            CHECK(krb5_kt_add_entry(kctx, dst, &ent) == 0);
            copied++;
        }
        krb5_free_keytab_entry_contents(kctx, &ent);
    }
    CHECK(krb5_kt_end_seq_get(kctx, src, &cur) == 0);
    CHECK(copied > 0);
    krb5_free_principal(kctx, want);
    krb5_kt_close(kctx, dst);
    krb5_kt_close(kctx, src);
}

/* A keytab with one random aes256 key for spn under kvno: the key the KDC
 * would have after the service was rekeyed, which the tickets do not use. */
static void make_keytab_rekeyed(const char *file, const char *spn, krb5_kvno kvno)
{
    krb5_keytab dst;
    krb5_keytab_entry ent;
    char name[600];
    snprintf(name, sizeof(name), "FILE:%s", file);
    unlink(file);
    memset(&ent, 0, sizeof(ent));
    CHECK(krb5_parse_name(kctx, spn, &ent.principal) == 0);
    ent.vno = kvno;
    CHECK(krb5_c_make_random_key(kctx, ENCTYPE_AES256_CTS_HMAC_SHA1_96, &ent.key) == 0);
    CHECK(krb5_kt_resolve(kctx, name, &dst) == 0);
    CHECK(krb5_kt_add_entry(kctx, dst, &ent) == 0);
    krb5_free_keytab_entry_contents(kctx, &ent);
    krb5_kt_close(kctx, dst);
}

/* The realm's krb5.conf with its KDC at 127.0.0.1:port, over TCP only. */
static void make_conf_with_kdc(const char *file, int port)
{
    FILE *in = fopen(need_env("KRB5_CONFIG"), "r");
    FILE *out = fopen(file, "w");
    char line[1024];
    int replaced = 0;
    CHECK(in != NULL && out != NULL);
    while (fgets(line, sizeof(line), in) != NULL) {
        if (strstr(line, "kdc = 127.0.0.1:") != NULL) {
            fprintf(out, "        kdc = 127.0.0.1:%d\n", port);
            replaced++;
            continue;
        }
        fputs(line, out);
        if (strncmp(line, "[libdefaults]", 13) == 0)
            fputs("    udp_preference_limit = 1\n", out);
    }
    CHECK(replaced == 1);
    fclose(in);
    CHECK(fclose(out) == 0);
}

/* ---- SSPI steps ----------------------------------------------------------------------- */

static SECURITY_STATUS client_cred(const char *pkg, const char *ccache, CredHandle *cc)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Ccache = ccache};
    return t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, ccache ? &store : NULL, NULL,
                                       NULL, cc, NULL);
}

static SECURITY_STATUS server_cred(const char *pkg, const char *keytab, const char *rcache, CredHandle *sc)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Keytab = keytab, .ReplayCache = rcache};
    return t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL,
                                       keytab || rcache ? &store : NULL, NULL, NULL, sc, NULL);
}

/* The first InitializeSecurityContext with cc to target; its token goes to
 * tok (*len: its size in, the token's length out), the context is deleted. */
static SECURITY_STATUS isc_first(CredHandle *cc, const char *target, unsigned char *tok, ULONG *len)
{
    CtxtHandle ctx;
    ULONG attrs;
    SecBuffer out_b = {*len, SECBUFFER_TOKEN, tok};
    SecBufferDesc out = {SECBUFFER_VERSION, 1, &out_b};
    SECURITY_STATUS st = t->InitializeSecurityContext(cc, NULL, (SEC_CHAR *)target, HS_ISC_REQ, 0, SECURITY_NATIVE_DREP,
                                                      NULL, 0, &ctx, &out, &attrs, NULL);
    *len = out_b.cbBuffer;
    if (SEC_SUCCESS(st))
        t->DeleteSecurityContext(&ctx);
    return st;
}

/* The client's first token to target (with the realm's ccache). */
static void first_token(const char *pkg, const char *target, unsigned char *tok, ULONG *len)
{
    CredHandle cc;
    CHECK_SEC(client_cred(pkg, NULL, &cc), SEC_E_OK);
    CHECK_SEC(isc_first(&cc, target, tok, len), SEC_I_CONTINUE_NEEDED);
    t->FreeCredentialsHandle(&cc);
}

/* AcceptSecurityContext on tok; a context it made is deleted. */
static SECURITY_STATUS accept_token(CredHandle *sc, unsigned char *tok, ULONG len)
{
    unsigned char outbuf[16384];
    CtxtHandle ctx;
    ULONG attrs;
    SecBuffer in_b = {len, SECBUFFER_TOKEN, tok}, out_b = {sizeof(outbuf), SECBUFFER_TOKEN, outbuf};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_b}, out = {SECBUFFER_VERSION, 1, &out_b};
    SECURITY_STATUS st =
        t->AcceptSecurityContext(sc, NULL, &in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &out, &attrs, NULL);
    if (SEC_SUCCESS(st))
        t->DeleteSecurityContext(&ctx);
    return st;
}

/* A fresh first token from pkg to target, accepted with keytab/rcache. */
static SECURITY_STATUS accept_with(const char *pkg, const char *target, const char *keytab, const char *rcache)
{
    unsigned char tok[16384];
    ULONG len = sizeof(tok);
    CredHandle sc;
    first_token(pkg, target, tok, &len);
    CHECK_SEC(server_cred(pkg, keytab, rcache, &sc), SEC_E_OK);
    SECURITY_STATUS st = accept_token(&sc, tok, len);
    t->FreeCredentialsHandle(&sc);
    return st;
}

static const char *const pkgs[] = {"Kerberos", "Negotiate"};

/* For each package: a fresh first token for host/localhost, accepted with
 * keytab and rcache (NULL: the realm's), must fail with want and a message
 * that has both hints and lacks absent (each may be NULL). */
static void accept_fault(const char *fault, const char *keytab, const char *rcache, SECURITY_STATUS want,
                         const char *hint, const char *hint2, const char *absent)
{
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s.%s", fault, pkgs[i]);
        SECURITY_STATUS st = accept_with(pkgs[i], "host/localhost", keytab, rcache);
        expect(name, st, want, hint);
        if (hint2 != NULL)
            expect(name, st, want, hint2);
        if (absent != NULL)
            expect_not(name, absent);
    }
}

/* ---- the faults ----------------------------------------------------------------------- */

/*
 * No KDC answers while the client needs a service ticket. Windows' Kerberos
 * (and Negotiate with nothing to fall back to) gives
 * SEC_E_NO_AUTHENTICATING_AUTHORITY ("No authority could be contacted for
 * authentication"), its status for a domain controller that cannot be
 * reached; SEC_E_TARGET_UNKNOWN is for a KDC that answered that it does not
 * know the SPN, which is not what happened.
 */
static void fault_kdc_unreachable(void)
{
    /* A bound TCP socket that never listens: connecting to it is refused at
     * once, so no KDC answers and nothing waits for a timeout. */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    CHECK(s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(getsockname(s, (struct sockaddr *)&a, &alen) == 0);
    char conf[512], ccache[600], saved_conf[1024];
    path_in_tmp(conf, sizeof(conf), "nokdc.conf");
    make_conf_with_kdc(conf, ntohs(a.sin_port));
    make_tgt_only_ccache(ccache, sizeof(ccache));
    snprintf(saved_conf, sizeof(saved_conf), "%s", need_env("KRB5_CONFIG"));
    setenv("KRB5_CONFIG", conf, 1);
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        CredHandle cc;
        unsigned char tok[16384];
        ULONG len = sizeof(tok);
        char name[64];
        snprintf(name, sizeof(name), "kdc_unreachable.%s", pkgs[i]);
        CHECK_SEC(client_cred(pkgs[i], ccache, &cc), SEC_E_OK);
        SECURITY_STATUS st = isc_first(&cc, "host/localhost", tok, &len);
        expect(name, st, SEC_E_NO_AUTHENTICATING_AUTHORITY, "no KDC answered");
        expect(name, st, SEC_E_NO_AUTHENTICATING_AUTHORITY, "[realms]");
        t->FreeCredentialsHandle(&cc);
    }
    /* A password logon (SEC_WINNT_AUTH_IDENTITY_A) needs the KDC for the
     * TGT too: the same status, whichever call first needs the KDC. */
    const char *pw = need_env("SSPIX_ALICE_PASSWORD");
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)"alice",    5,
                                    (unsigned char *)realm,      (ULONG)strlen(realm),
                                    (unsigned char *)pw,         (ULONG)strlen(pw),
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        CredHandle cc;
        unsigned char tok[16384];
        ULONG len = sizeof(tok);
        char name[64];
        snprintf(name, sizeof(name), "kdc_unreachable_password.%s", pkgs[i]);
        SECURITY_STATUS st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_OUTBOUND, NULL, &id,
                                                         NULL, NULL, &cc, NULL);
        if (st == SEC_E_OK) {
            st = isc_first(&cc, "host/localhost", tok, &len);
            t->FreeCredentialsHandle(&cc);
        }
        expect(name, st, SEC_E_NO_AUTHENTICATING_AUTHORITY, "[realms]");
    }
    setenv("KRB5_CONFIG", saved_conf, 1);
    close(s);
}

/*
 * The keytab disappears after the credential was acquired (a rotation that
 * removed it, a changed mount). No key can be read: SEC_E_NO_CREDENTIALS, as
 * when AcquireCredentialsHandle finds no keytab, with the keytab named in the
 * hint.
 */
static void fault_keytab_gone(void)
{
    char file[512], kt[600];
    path_in_tmp(file, sizeof(file), "gone.keytab");
    snprintf(kt, sizeof(kt), "FILE:%s", file);
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        char spn[300], name[64];
        unsigned char tok[16384];
        ULONG len = sizeof(tok);
        CredHandle sc;
        snprintf(spn, sizeof(spn), "host/localhost@%s", realm);
        snprintf(name, sizeof(name), "keytab_gone.%s", pkgs[i]);
        make_keytab_with(file, spn);
        first_token(pkgs[i], "host/localhost", tok, &len);
        CHECK_SEC(server_cred(pkgs[i], kt, NULL, &sc), SEC_E_OK);
        CHECK(unlink(file) == 0);
        SECURITY_STATUS st = accept_token(&sc, tok, len);
        expect(name, st, SEC_E_NO_CREDENTIALS, "keytab");
        expect(name, st, SEC_E_NO_CREDENTIALS, "KRB5_KTNAME");
        t->FreeCredentialsHandle(&sc);
    }
    /* Missing from the start: AcquireCredentialsHandle says so itself. */
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        CredHandle sc;
        char name[64];
        snprintf(name, sizeof(name), "keytab_missing.%s", pkgs[i]);
        expect(name, server_cred(pkgs[i], kt, NULL, &sc), SEC_E_NO_CREDENTIALS, file);
        expect_not(name, "INTERNAL");
    }
}

/*
 * The service was rekeyed at the KDC and the keytab was not exported again:
 * the ticket's key version is not in the keytab. Windows refuses the logon
 * (SEC_E_LOGON_DENIED; the KDC-side name of the failure is KRB_AP_ERR_MODIFIED
 * or BADKEYVER): the client's identity is not in doubt, the server's keys are
 * stale, and the hint says which key version is missing and how to fix it.
 */
static void fault_kvno_not_in_keytab(void)
{
    char file[512], kt[600], spn[300];
    path_in_tmp(file, sizeof(file), "rekeyed.keytab");
    snprintf(kt, sizeof(kt), "FILE:%s", file);
    snprintf(spn, sizeof(spn), "host/localhost@%s", realm);
    make_keytab_rekeyed(file, spn, 7);
    accept_fault("kvno_not_in_keytab", kt, NULL, SEC_E_LOGON_DENIED, "key version", "ktadd", NULL);
}

/*
 * Same kvno, different key (the KDC's key changed, or the keytab came from
 * another realm or account): the ticket cannot be decrypted. Windows says
 * SEC_E_LOGON_DENIED for the server side of KRB_AP_ERR_MODIFIED.
 */
static void fault_wrong_key(void)
{
    accept_fault("wrong_key", need_env("SSPIX_WRONG_KEYTAB"), NULL, SEC_E_LOGON_DENIED, "cannot decrypt the ticket",
                 "ktadd", "wrong password");
}

/*
 * The client asked for a service principal the keytab has no key for
 * (KRB_AP_ERR_NOT_US): Windows' SEC_E_WRONG_PRINCIPAL, "the target principal
 * name is incorrect".
 */
static void fault_spn_not_in_keytab(void)
{
    char file[512], kt[600], spn[300];
    path_in_tmp(file, sizeof(file), "other-spn.keytab");
    snprintf(kt, sizeof(kt), "FILE:%s", file);
    snprintf(spn, sizeof(spn), "ADSockAuth/localhost/sspix@%s", realm);
    make_keytab_with(file, spn);
    accept_fault("spn_not_in_keytab", kt, NULL, SEC_E_WRONG_PRINCIPAL, "not in the keytab", "klist -k", NULL);
}

/*
 * The replay cache cannot be written. Without it MIT refuses every
 * authenticator, so the acceptor credential is unusable: a directory that
 * does not exist is a configuration fault of the acceptor's credential
 * (SEC_E_NO_CREDENTIALS, like a missing keytab); a full disk is a resource
 * running out (SEC_E_INSUFFICIENT_MEMORY, Windows' status for exhausted
 * resources), which clears when space is freed.
 */
static void fault_replay_cache(void)
{
    char saved[1024], missing[512];
    snprintf(saved, sizeof(saved), "%s", need_env("KRB5RCACHEDIR"));
    path_in_tmp(missing, sizeof(missing), "no-such-dir");
    setenv("KRB5RCACHEDIR", missing, 1);
    accept_fault("rcache_dir_missing", NULL, NULL, SEC_E_NO_CREDENTIALS, "replay cache", "KRB5RCACHEDIR", NULL);
    setenv("KRB5RCACHEDIR", saved, 1);
    /* Writes to /dev/full fail with ENOSPC, as on a full disk. */
    if (access("/dev/full", W_OK) == 0)
        accept_fault("rcache_full", NULL, "file2:/dev/full", SEC_E_INSUFFICIENT_MEMORY, "replay cache", "no space",
                     NULL);
}

/*
 * No descriptor left when AcceptSecurityContext must open the keytab and the
 * replay cache. Windows reports exhausted resources as
 * SEC_E_INSUFFICIENT_MEMORY (not an internal error: nothing is broken, and the
 * call succeeds again once descriptors are free); the hint names the limit.
 */
/* Takes every descriptor the process may still open (under a lowered soft
 * limit), and gives them back. */
struct squeeze {
    struct rlimit saved;
    int fill[1024], n;
};

static void squeeze_descriptors(struct squeeze *q)
{
    struct rlimit low;
    CHECK(getrlimit(RLIMIT_NOFILE, &q->saved) == 0);
    low = q->saved;
    low.rlim_cur = 256;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    q->n = 0;
    for (int fd; q->n < 1024 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        q->fill[q->n++] = fd;
    CHECK(errno == EMFILE);
}

static void release_descriptors(struct squeeze *q)
{
    while (q->n > 0)
        close(q->fill[--q->n]);
    CHECK(setrlimit(RLIMIT_NOFILE, &q->saved) == 0);
}

static void fault_out_of_descriptors(void)
{
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        unsigned char tok[16384];
        ULONG len = sizeof(tok);
        CredHandle sc;
        char name[64];
        struct squeeze q;
        snprintf(name, sizeof(name), "out_of_descriptors.%s", pkgs[i]);
        first_token(pkgs[i], "host/localhost", tok, &len);
        CHECK_SEC(server_cred(pkgs[i], NULL, NULL, &sc), SEC_E_OK);
        squeeze_descriptors(&q);
        SECURITY_STATUS st = accept_token(&sc, tok, len);
        release_descriptors(&q);
        expect(name, st, SEC_E_INSUFFICIENT_MEMORY, "out of file descriptors");
        expect(name, st, SEC_E_INSUFFICIENT_MEMORY, "ulimit -n");
        t->FreeCredentialsHandle(&sc);
        /* Descriptors back: the same credential works again. */
        CHECK_SEC(server_cred(pkgs[i], NULL, NULL, &sc), SEC_E_OK);
        t->FreeCredentialsHandle(&sc);
    }
}

/* ---- NTLM, where the fault applies to it --------------------------------------------- */

static char ntlm_users[512];

static SECURITY_STATUS ntlm_creds(CredHandle *cc, CredHandle *sc)
{
    static char user[] = "carol", domain[] = "SSPIXDOM", password[] = "Carol-Pa55word!";
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       sizeof(user) - 1,          (unsigned char *)domain,
                                    sizeof(domain) - 1,          (unsigned char *)password, sizeof(password) - 1,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = ntlm_users};
    if (ntlm_users[0] == '\0') {
        path_in_tmp(ntlm_users, sizeof(ntlm_users), "ntlm-users");
        FILE *f = fopen(ntlm_users, "w");
        CHECK(f != NULL);
        fprintf(f, "%s:%s:%s\n", domain, user, password);
        CHECK(fclose(f) == 0);
    }
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, cc, NULL),
        SEC_E_OK);
    return t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, sc,
                                       NULL);
}

/* NTLM reads its users file when the AUTHENTICATE message arrives: with no
 * descriptor left that is a resource fault, not a wrong password. */
static void fault_out_of_descriptors_ntlm(void)
{
    CredHandle cc, sc;
    CtxtHandle c, s;
    ULONG attrs;
    unsigned char t1[4096], t2[4096], t3[4096], t4[4096];
    struct squeeze q;
    CHECK_SEC(ntlm_creds(&cc, &sc), SEC_E_OK);
    SecBuffer o1 = {sizeof(t1), SECBUFFER_TOKEN, t1}, o2 = {sizeof(t2), SECBUFFER_TOKEN, t2};
    SecBuffer o3 = {sizeof(t3), SECBUFFER_TOKEN, t3}, o4 = {sizeof(t4), SECBUFFER_TOKEN, t4};
    SecBufferDesc d1 = {SECBUFFER_VERSION, 1, &o1}, d2 = {SECBUFFER_VERSION, 1, &o2};
    SecBufferDesc d3 = {SECBUFFER_VERSION, 1, &o3}, d4 = {SECBUFFER_VERSION, 1, &o4};
    CHECK_SEC(t->InitializeSecurityContext(&cc, NULL, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, 0, NULL, 0, &c, &d1,
                                           &attrs, NULL),
              SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(t->AcceptSecurityContext(&sc, NULL, &d1, HS_ASC_REQ, 0, &s, &d2, &attrs, NULL), SEC_I_CONTINUE_NEEDED);
    CHECK_SEC(t->InitializeSecurityContext(&cc, &c, (SEC_CHAR *)"host/localhost", HS_ISC_REQ, 0, 0, &d2, 0, &c, &d3,
                                           &attrs, NULL),
              SEC_E_OK);
    squeeze_descriptors(&q);
    SECURITY_STATUS st = t->AcceptSecurityContext(&sc, &s, &d3, HS_ASC_REQ, 0, &s, &d4, &attrs, NULL);
    release_descriptors(&q);
    expect("out_of_descriptors.NTLM", st, SEC_E_INSUFFICIENT_MEMORY, "out of file descriptors");
    expect_not("out_of_descriptors.NTLM", "wrong password");
    t->DeleteSecurityContext(&c);
    t->DeleteSecurityContext(&s);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

/* ---- message texts ---------------------------------------------------------------------- */

static void check_tampered_texts(const char *name, CtxtHandle *from, CtxtHandle *to)
{
    SecPkgContext_Sizes sz;
    CHECK_SEC(t->QueryContextAttributes(from, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    unsigned char trailer[256], data[16] = "attack at dawn!";
    CHECK(sz.cbSecurityTrailer <= sizeof(trailer));
    SecBuffer b[2] = {{sz.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {sizeof(data), SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
    data[3] ^= 1;
    ULONG qop;
    expect(name, t->DecryptMessage(to, &d, 0, &qop), SEC_E_MESSAGE_ALTERED, "modified");
    expect_not(name, "DecryptMessage: DecryptMessage");
    expect_not(name, "password");
    expect_not(name, "Success");
    expect_not(name, "Unknown error");
    /* A signature over other data. */
    unsigned char sig[256];
    CHECK(sz.cbMaxSignature <= sizeof(sig));
    SecBuffer m[2] = {{sz.cbMaxSignature, SECBUFFER_TOKEN, sig}, {sizeof(data), SECBUFFER_DATA, data}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
    CHECK_SEC(t->MakeSignature(from, 0, &md, 0), SEC_E_OK);
    data[0] ^= 1;
    expect(name, t->VerifySignature(to, &md, 0, &qop), SEC_E_MESSAGE_ALTERED, "modified");
    expect_not(name, "VerifySignature: VerifySignature");
    expect_not(name, "password");
    expect_not(name, "Success");
    expect_not(name, "Unknown error");
}

static void texts_on_a_tampered_message(void)
{
    for (size_t i = 0; i < sizeof(pkgs) / sizeof(pkgs[0]); i++) {
        CredHandle cc, sc;
        struct hs hs;
        char name[64];
        snprintf(name, sizeof(name), "tampered.%s", pkgs[i]);
        CHECK_SEC(client_cred(pkgs[i], NULL, &cc), SEC_E_OK);
        CHECK_SEC(server_cred(pkgs[i], NULL, NULL, &sc), SEC_E_OK);
        CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
        check_tampered_texts(name, &hs.client, &hs.server);
        hs_free(t, &hs);
        t->FreeCredentialsHandle(&cc);
        t->FreeCredentialsHandle(&sc);
    }
    CredHandle cc, sc;
    struct hs hs;
    CHECK_SEC(ntlm_creds(&cc, &sc), SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    check_tampered_texts("tampered.NTLM", &hs.client, &hs.server);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    /* Negotiate that settles on NTLM (the KDC does not know the SPN; both
     * ends allow NTLM, the client with a credentials file). */
    SSPIX_AUTH_STORE_A allow = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = ntlm_users};
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_OUTBOUND, NULL, &allow, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &allow, NULL, NULL,
                                          &sc, NULL),
              SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "nosuchservice/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    SecPkgContext_NegotiationInfoA ni;
    CHECK_SEC(t->QueryContextAttributes(&hs.server, SECPKG_ATTR_NEGOTIATION_INFO, &ni), SEC_E_OK);
    CHECK_STR(ni.PackageInfo->Name, "NTLM");
    t->FreeContextBuffer(ni.PackageInfo);
    check_tampered_texts("tampered.Negotiate-NTLM", &hs.client, &hs.server);
    hs_free(t, &hs);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
}

int main(void)
{
    snprintf(realm, sizeof(realm), "%s", need_env("SSPIX_REALM"));
    snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/sspix-faults-XXXXXX");
    CHECK(mkdtemp(tmpdir) != NULL);
    CHECK(krb5_init_context(&kctx) == 0);
    t = InitSecurityInterface();
    CHECK(t != NULL);

    fault_kdc_unreachable();
    fault_keytab_gone();
    fault_kvno_not_in_keytab();
    fault_wrong_key();
    fault_spn_not_in_keytab();
    fault_replay_cache();
    fault_out_of_descriptors();
    fault_out_of_descriptors_ntlm();
    texts_on_a_tampered_message();

    krb5_free_context(kctx);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    CHECK(system(cmd) == 0);
    if (failures != 0) {
        fprintf(stderr, "integration.faults: %u of %u checks failed\n", failures, check_count);
        return 1;
    }
    CHECK_DONE("integration.faults");
}
