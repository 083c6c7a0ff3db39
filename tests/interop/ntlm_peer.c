/* SPDX-License-Identifier: MIT */
/*
 * ntlm_peer.c - an NTLM acceptor or initiator written against the public SSPI
 * API only, driven over stdin/stdout by tests/interop/ntlm_independent.py,
 * which plays the other side with an NTLM implementation that shares no code
 * with sspix or gss-ntlmssp.
 *
 *   ntlm_peer server USERS_FILE
 *   ntlm_peer client DOMAIN USER PASSWORD
 *
 * Every message either way is a frame: u32 little-endian length, then the
 * bytes. The handshake tokens go as frames; then the acceptor sends
 * "authenticated DOMAIN\user". After that, in this order whatever the role
 * (both sides keep RC4 state, so the order is part of the protocol):
 *   1. in:  signature || sealed data -> DecryptMessage(TOKEN, DATA) -> out: plaintext
 *   2. in:  signature || sealed data -> DecryptMessage(STREAM)      -> out: plaintext
 *   3. out: EncryptMessage(TOKEN, DATA) of GREETING, as TOKEN || DATA
 *   4. out: MakeSignature over SIGNED as the 16-byte signature
 *   5. in:  message, in: signature   -> VerifySignature            -> out: "verified"
 *   6. in:  a tampered sealed message -> DecryptMessage            -> out: the status name
 * A refused message is answered with "refused: STATUS: message" instead, and
 * the exchange goes on (each direction has its own RC4 state, so a failure
 * one way does not hide the result the other way). Failures of the set-up go
 * to stderr with sspix_last_error(), and the exit code is 1.
 */
#define SECURITY_WIN32
#include <security.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GREETING  "sealed by sspix, unsealed by an independent NTLM"
#define SIGNED    "signed by sspix, verified by an independent NTLM"
#define MAX_FRAME 65536u

static PSecurityFunctionTableA t;

static void die(const char *what, SECURITY_STATUS st)
{
    fprintf(stderr, "ntlm_peer: %s: %s: %s\n", what, sspix_status_name(st), sspix_last_error());
    exit(1);
}

static size_t get_frame(unsigned char *buf)
{
    unsigned char h[4];
    if (fread(h, 1, 4, stdin) != 4) {
        fprintf(stderr, "ntlm_peer: the client closed the pipe\n");
        exit(1);
    }
    uint32_t n = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 24;
    if (n > MAX_FRAME || fread(buf, 1, n, stdin) != n) {
        fprintf(stderr, "ntlm_peer: bad frame of %u bytes\n", (unsigned)n);
        exit(1);
    }
    return n;
}

static void put_frame(const void *p, size_t n)
{
    unsigned char h[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 24)};
    if (fwrite(h, 1, 4, stdout) != 4 || (n > 0 && fwrite(p, 1, n, stdout) != n) || fflush(stdout) != 0) {
        fprintf(stderr, "ntlm_peer: write failed\n");
        exit(1);
    }
}

static void put_str(const char *s)
{
    put_frame(s, strlen(s));
}

static void put_refusal(const char *what, SECURITY_STATUS st)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), "refused: %s: %s: %s", what, sspix_status_name(st), sspix_last_error());
    put_str(msg);
}

/* Acceptor: NEGOTIATE -> CHALLENGE, AUTHENTICATE -> done; then the name. */
static void accept_handshake(CredHandle *cred, CtxtHandle *ctx)
{
    static unsigned char in[MAX_FRAME], out[MAX_FRAME];
    SECURITY_STATUS st;
    ULONG attrs;
    int have = 0;
    do {
        size_t n = get_frame(in);
        SecBuffer ib = {(ULONG)n, SECBUFFER_TOKEN, in}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        st = t->AcceptSecurityContext(cred, have ? ctx : NULL, &id, ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY, 0, ctx,
                                      &od, &attrs, NULL);
        if (!SEC_SUCCESS(st))
            die("AcceptSecurityContext", st);
        have = 1;
        if (ob.cbBuffer > 0)
            put_frame(out, ob.cbBuffer);
    } while (st == SEC_I_CONTINUE_NEEDED);
    SecPkgContext_NamesA names;
    if ((st = t->QueryContextAttributes(ctx, SECPKG_ATTR_NAMES, &names)) != SEC_E_OK)
        die("QueryContextAttributes(NAMES)", st);
    snprintf((char *)out, sizeof(out), "authenticated %s", names.sUserName);
    t->FreeContextBuffer(names.sUserName);
    put_str((char *)out);
}

/* Initiator: NEGOTIATE, CHALLENGE -> AUTHENTICATE; then the acceptor's word. */
static void initiate_handshake(CredHandle *cred, CtxtHandle *ctx)
{
    static unsigned char in[MAX_FRAME], out[MAX_FRAME];
    SECURITY_STATUS st;
    ULONG attrs;
    size_t n = 0;
    for (int leg = 0;; leg++) {
        SecBuffer ib = {(ULONG)n, SECBUFFER_TOKEN, in}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        st = t->InitializeSecurityContext(cred, leg ? ctx : NULL, (SEC_CHAR *)"host/localhost",
                                          ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY, 0, 0, leg ? &id : NULL, 0, ctx,
                                          &od, &attrs, NULL);
        if (!SEC_SUCCESS(st))
            die("InitializeSecurityContext", st);
        if (ob.cbBuffer > 0)
            put_frame(out, ob.cbBuffer);
        if (st == SEC_E_OK)
            break;
        n = get_frame(in);
    }
    n = get_frame(in);
    if (n < 14 || memcmp(in, "authenticated ", 14) != 0) {
        fprintf(stderr, "ntlm_peer: the acceptor did not authenticate us: %.*s\n", (int)n, (char *)in);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static unsigned char in[MAX_FRAME], out[MAX_FRAME], extra[MAX_FRAME];
    CredHandle cred;
    CtxtHandle ctx;
    ULONG qop;
    SECURITY_STATUS st;

    int server = argc == 3 && strcmp(argv[1], "server") == 0;
    if (!server && !(argc == 5 && strcmp(argv[1], "client") == 0)) {
        fprintf(stderr, "usage: ntlm_peer server USERS_FILE | ntlm_peer client DOMAIN USER PASSWORD\n");
        return 2;
    }
    t = InitSecurityInterface();
    if (server) {
        SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = argv[2]};
        st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, &cred,
                                         NULL);
        if (st != SEC_E_OK)
            die("AcquireCredentialsHandle", st);
        accept_handshake(&cred, &ctx);
    } else {
        SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)argv[3],    (ULONG)strlen(argv[3]),   (unsigned char *)argv[2],
                                        (ULONG)strlen(argv[2]),      (unsigned char *)argv[4], (ULONG)strlen(argv[4]),
                                        SEC_WINNT_AUTH_IDENTITY_ANSI};
        st = t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"NTLM", SECPKG_CRED_OUTBOUND, NULL, &id, NULL, NULL, &cred,
                                         NULL);
        if (st != SEC_E_OK)
            die("AcquireCredentialsHandle", st);
        initiate_handshake(&cred, &ctx);
    }

    /* 1. TOKEN + DATA */
    size_t n = get_frame(in);
    if (n <= 16) {
        fprintf(stderr, "ntlm_peer: sealed message of %zu bytes\n", n);
        return 1;
    }
    SecBuffer b[2] = {{16, SECBUFFER_TOKEN, in}, {(ULONG)(n - 16), SECBUFFER_DATA, in + 16}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    if ((st = t->DecryptMessage(&ctx, &d, 0, &qop)) != SEC_E_OK)
        put_refusal("DecryptMessage(TOKEN, DATA)", st);
    else
        put_frame(b[1].pvBuffer, b[1].cbBuffer);

    /* 2. STREAM */
    n = get_frame(in);
    SecBuffer s[2] = {{(ULONG)n, SECBUFFER_STREAM, in}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc sd = {SECBUFFER_VERSION, 2, s};
    if ((st = t->DecryptMessage(&ctx, &sd, 0, &qop)) != SEC_E_OK)
        put_refusal("DecryptMessage(STREAM)", st);
    else
        put_frame(s[1].pvBuffer, s[1].cbBuffer);

    /* 3. EncryptMessage: TOKEN then DATA on the wire. */
    SecPkgContext_Sizes sizes;
    if ((st = t->QueryContextAttributes(&ctx, SECPKG_ATTR_SIZES, &sizes)) != SEC_E_OK)
        die("QueryContextAttributes(SIZES)", st);
    size_t g = strlen(GREETING);
    memcpy(extra, GREETING, g);
    SecBuffer e[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, out}, {(ULONG)g, SECBUFFER_DATA, extra}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
    if ((st = t->EncryptMessage(&ctx, 0, &ed, 0)) != SEC_E_OK)
        die("EncryptMessage", st);
    memcpy(out + e[0].cbBuffer, extra, g);
    put_frame(out, e[0].cbBuffer + g);

    /* 4. MakeSignature */
    SecBuffer m[2] = {{sizes.cbMaxSignature, SECBUFFER_TOKEN, out},
                      {(ULONG)strlen(SIGNED), SECBUFFER_DATA, (void *)SIGNED}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, m};
    if ((st = t->MakeSignature(&ctx, 0, &md, 0)) != SEC_E_OK)
        die("MakeSignature", st);
    put_frame(out, m[0].cbBuffer);

    /* 5. VerifySignature */
    n = get_frame(in);
    size_t sn = get_frame(extra);
    SecBuffer v[2] = {{(ULONG)sn, SECBUFFER_TOKEN, extra}, {(ULONG)n, SECBUFFER_DATA, in}};
    SecBufferDesc vd = {SECBUFFER_VERSION, 2, v};
    if ((st = t->VerifySignature(&ctx, &vd, 0, &qop)) != SEC_E_OK)
        put_refusal("VerifySignature", st);
    else
        put_str("verified");

    /* 6. A tampered message is refused; the context is then dead. */
    n = get_frame(in);
    SecBuffer x[2] = {{(ULONG)n, SECBUFFER_STREAM, in}, {0, SECBUFFER_DATA, NULL}};
    SecBufferDesc xd = {SECBUFFER_VERSION, 2, x};
    st = t->DecryptMessage(&ctx, &xd, 0, &qop);
    put_str(sspix_status_name(st));

    t->DeleteSecurityContext(&ctx);
    t->FreeCredentialsHandle(&cred);
    return 0;
}
