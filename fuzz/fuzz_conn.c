/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conn.c - libFuzzer target for the server's per-connection state
 * machine, its socket replaced by a buffer.
 *
 * Targets: sspix_conn_feed / sspix_conn_eof / sspix_conn_pending /
 * sspix_conn_sent / sspix_conn_abort / sspix_conn_log_line / sspix_conn_free
 * (src/service/conn.c) and both wire protocols behind them: the Microsoft
 * sample (src/service/proto_ms.c: handshake framing, AcceptSecurityContext per
 * token, max legs, greet, echo frames with DecryptMessage) and MIT's
 * gss-sample (src/service/proto_gss.c: opener, CONTEXT tokens, DATA messages
 * unwrapped with DecryptMessage(STREAM), MIC replies, NOOP end), over the
 * real SSPI library and a real acceptor credential.
 *
 * Input: byte 0 = flags, byte 1 = chunk size (0 -> 1 byte), then with
 * flags & 1 one options byte, then the client->server byte stream, fed in
 * chunks of that size.
 *   flags & 1   a real client (InitializeSecurityContext from the realm's
 *               ccache) runs the whole handshake first, answering the server's
 *               tokens, so the stream lands in an authenticated session (ms:
 *               echo mode unless options & 1)
 *   flags & 2   that client uses Kerberos instead of Negotiate
 *   flags & 4   end with EOF; flags & 8 end with a timer abort instead
 *   flags & 16  max legs 2 (default 8)
 *   flags & 32  MIT's gss-sample protocol instead of the Microsoft sample's
 * Options (flags & 1 only):
 *   opt & 1     ms: greet mode (the server greets right after the handshake)
 *   opt & 2     the client asks for no replay or sequence detection (as MIT's
 *               gss-client does by default)
 *   opt & 4     target sha2svc/localhost (aes256-sha384) instead of
 *               host/localhost (aes256-sha1)
 *   opt & 8     the stream is a list of records (below) instead of raw bytes
 *   opt & 16    ms echo and gss: the server accepts weak contexts
 *               (--allow-weak-context), so a client without replay detection
 *               gets a session
 * Record: u8 op | u16 LE length | payload, then per op (op & 7):
 *   0  raw: the payload as it is
 *   1  protect: the payload as one message the client protects with its
 *      context and frames (ms: u32 length | u32 trailer length | trailer |
 *      data; gss: DATA|WRAPPED[|ENCRYPTED][|SEND_MIC] wrap token). op & 8:
 *      integrity only; op & 16: ask for a MIC (gss); op & 32: two bytes
 *      "index, xor" between length and payload corrupt the framed bytes;
 *      op & 64: the flags say ENCRYPTED even for integrity only (gss)
 *   2  framed: the payload in a frame (ms: u32 length; gss: DATA[|SEND_MIC])
 *   3  end: the end-of-session frame (ms: empty frame; gss: empty NOOP)
 *   4  replay: the last protected frame again, byte for byte
 *   5  eof now (the records after it are ignored)
 *   6, 7 raw
 * The client's context is kept, so the server's session output is checked
 * with it: an ms greeting decrypts; every ms echo reply decrypts to the
 * plaintext of a message this input protected; in gss, when the stream is
 * records and none was raw or corrupted, every MIC reply verifies over one of
 * the messages sent. A
 * server that sends anything else aborts the run.
 *
 * `fuzz_conn -gen=DIR` writes the seed corpus (deterministic: the target
 * protects the records with the fresh context of each run) and exits;
 * fuzz/make_corpus.sh runs it.
 *
 * Needs the realm's environment (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME): run it
 * through the fuzz.conn ctest or after `. DIR/env`. The replay cache is turned
 * off (KRB5RCACHETYPE=none) so that captured AP-REQs in the corpus stay
 * acceptable for their authenticator's clock-skew window, and so that fresh
 * handshakes run at full speed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/conn.h"
#include "fuzz_bytes.h"
#include "wire/gssframe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_SESSION  0x01u
#define F_KERBEROS 0x02u
#define F_EOF      0x04u
#define F_ABORT    0x08u
#define F_LEGS2    0x10u
#define F_GSS      0x20u

#define O_GREET   0x01u
#define O_WEAK    0x02u
#define O_SHA2    0x04u
#define O_RECORDS 0x08u
#define O_LENIENT 0x10u

enum { OP_RAW = 0, OP_PROTECT = 1, OP_FRAMED = 2, OP_END = 3, OP_REPLAY = 4, OP_EOF = 5 };
#define OP_INTEGRITY 0x08u
#define OP_MIC       0x10u
#define OP_CORRUPT   0x20u
#define OP_CLAIM     0x40u

/* Whether a record of this op carries the two corruption bytes. */
static int corrupts(unsigned op)
{
    return (op & 7) == OP_PROTECT && (op & OP_CORRUPT);
}

/* Bytes one protected message may carry (the credential's max_message). */
#define MAX_MESSAGE 4096u
/* Plaintexts remembered for the reply checks. */
#define MAX_SENT 64

static PSecurityFunctionTableA t;
/* [protocol][0 greet, 1 greet with max legs 2, 2 echo, 3 echo accepting weak contexts] */
static sspix_svc_cred *creds[2][4];
static CredHandle client_cred[2]; /* Negotiate, Kerberos */

static sspix_svc_cred *acquire(enum sspix_svc_proto proto, enum sspix_svc_mode mode, uint32_t max_legs, bool weak)
{
    struct sspix_svc_limits lim = {.max_token = 65536,
                                   .max_message = MAX_MESSAGE,
                                   .max_legs = max_legs,
                                   .allow_weak_context = weak,
                                   .mode = mode,
                                   .proto = proto};
    sspix_svc_cred *c;
    SECURITY_STATUS st = sspix_svc_cred_acquire("Negotiate", NULL, NULL, &lim, &c);
    if (st != SEC_E_OK) {
        fprintf(stderr, "fuzz_conn: acceptor credential: %s: %s\n(run with the realm's environment: . DIR/env)\n",
                sspix_status_name(st), sspix_last_error());
        exit(1);
    }
    return c;
}

static int generate(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-gen=", 5) == 0)
            exit(generate((*argv)[i] + 5));
    setenv("KRB5RCACHETYPE", "none", 1);
    t = InitSecurityInterfaceA();
    for (int p = 0; p < 2; p++) {
        creds[p][0] = acquire((enum sspix_svc_proto)p, SSPIX_SVC_GREET, 8, false);
        creds[p][1] = acquire((enum sspix_svc_proto)p, SSPIX_SVC_GREET, 2, false);
        creds[p][2] = acquire((enum sspix_svc_proto)p, SSPIX_SVC_ECHO, 8, false);
        creds[p][3] = acquire((enum sspix_svc_proto)p, SSPIX_SVC_ECHO, 8, true);
    }
    const char *pkgs[2] = {"Negotiate", "Kerberos"};
    for (int i = 0; i < 2; i++) {
        TimeStamp ts;
        SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_OUTBOUND, NULL, NULL,
                                                          NULL, NULL, &client_cred[i], &ts);
        if (st != SEC_E_OK) {
            fprintf(stderr, "fuzz_conn: client credential: %s\n", sspix_last_error());
            exit(1);
        }
    }
    return 0;
}

/* ---- the connection and the client that talks to it ----------------------- */

struct run {
    sspix_conn c;
    int gss;
    size_t chunk;
    struct fuzz_bytes out; /* what the server sent after the handshake */
    /* The client side. */
    CtxtHandle ctx;
    int have_ctx, authenticated;
    ULONG trailer;
    struct fuzz_bytes last; /* the last protected frame, for replays */
    const uint8_t *sent[MAX_SENT];
    size_t sent_len[MAX_SENT];
    int nsent;
    int pure; /* no raw or corrupted record: every gss reply is accounted for */
};

/* Take everything the server has to send, in pieces of step bytes, into b (NULL: dropped). */
static void drain(sspix_conn *c, size_t step, struct fuzz_bytes *b)
{
    size_t len;
    const uint8_t *p;
    while ((p = sspix_conn_pending(c, &len)) != NULL) {
        size_t n = len < step ? len : step;
        if (b != NULL)
            fuzz_put(b, p, n);
        sspix_conn_sent(c, n);
    }
}

/* Feed bytes to the server in chunks, collecting its output. Returns the last verdict. */
static int feed(struct run *r, const uint8_t *p, size_t n, struct fuzz_bytes *sink)
{
    int v = sspix_conn_closing(&r->c) ? SSPIX_CONN_CLOSE : SSPIX_CONN_OPEN;
    for (size_t off = 0; off < n && v == SSPIX_CONN_OPEN; off += r->chunk) {
        v = sspix_conn_feed(&r->c, p + off, n - off < r->chunk ? n - off : r->chunk);
        drain(&r->c, r->chunk * 3 + 1, sink); /* partial sends too */
    }
    return v;
}

/* One InitializeSecurityContext step; its output token goes to the server framed. */
static SECURITY_STATUS client_step(struct run *r, int kerberos, const char *spn, ULONG req, const uint8_t *in,
                                   size_t in_len)
{
    ULONG attrs;
    TimeStamp ts;
    SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st = t->InitializeSecurityContextA(
        &client_cred[kerberos], r->have_ctx ? &r->ctx : NULL, (SEC_CHAR *)spn, req | ISC_REQ_ALLOCATE_MEMORY, 0,
        SECURITY_NATIVE_DREP, r->have_ctx ? &id : NULL, 0, &r->ctx, &od, &attrs, &ts);
    if (SEC_SUCCESS(st))
        r->have_ctx = 1;
    if (SEC_SUCCESS(st) && ob.cbBuffer > 0) {
        struct fuzz_bytes f = {0};
        fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_CONTEXT, ob.pvBuffer, ob.cbBuffer);
        sspix_conn_feed(&r->c, f.p, f.len);
        fuzz_bytes_free(&f);
    }
    if (ob.pvBuffer != NULL)
        t->FreeContextBuffer(ob.pvBuffer);
    return st;
}

/* A real client's whole handshake, answering the server's tokens, so that the
 * connection is authenticated; the client's context is kept in r. */
static void handshake(struct run *r, int kerberos, const char *spn, ULONG req)
{
    struct fuzz_bytes srv = {0};
    if (r->gss) {
        static const uint8_t opener[5] = {SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, 0, 0, 0, 0};
        sspix_conn_feed(&r->c, opener, sizeof(opener));
    }
    SECURITY_STATUS st = client_step(r, kerberos, spn, req, NULL, 0);
    for (int leg = 0; leg < 8 && st == SEC_I_CONTINUE_NEEDED; leg++) {
        uint8_t flags;
        const uint8_t *tok;
        size_t len;
        drain(&r->c, 4096, &srv);
        if (!fuzz_next_frame(&srv, r->gss, &flags, &tok, &len))
            break;
        st = client_step(r, kerberos, spn, req, tok, len);
    }
    /* In ms greet mode the greeting follows the last token: keep what is left. */
    drain(&r->c, 4096, &srv);
    if (srv.len > srv.off)
        fuzz_put(&r->out, srv.p + srv.off, srv.len - srv.off);
    fuzz_bytes_free(&srv);
    if (st != SEC_E_OK)
        return;
    SecPkgContext_Sizes sizes;
    if (t->QueryContextAttributesA(&r->ctx, SECPKG_ATTR_SIZES, &sizes) != SEC_E_OK || sizes.cbSecurityTrailer == 0 ||
        sizes.cbSecurityTrailer > SSPIX_SVC_MAX_TRAILER)
        return;
    r->trailer = sizes.cbSecurityTrailer;
    r->authenticated = 1;
}

/* The client protects msg and frames it for the protocol, into f. Returns 0 or -1. */
static int protect(struct run *r, const uint8_t *msg, size_t len, unsigned op, struct fuzz_bytes *f)
{
    uint8_t *buf = malloc(r->trailer + len + 1u);
    if (buf == NULL)
        abort();
    if (len > 0)
        memcpy(buf + r->trailer, msg, len);
    SecBuffer b[2] = {{r->trailer, SECBUFFER_TOKEN, buf}, {(ULONG)len, SECBUFFER_DATA, buf + r->trailer}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    SECURITY_STATUS st = t->EncryptMessage(&r->ctx, (op & OP_INTEGRITY) ? SECQOP_WRAP_NO_ENCRYPT : 0, &d, 0);
    if (st != SEC_E_OK) {
        free(buf);
        return -1;
    }
    if (r->gss) {
        /* TOKEN||DATA is one wrap token; close the gap if TOKEN came back shorter. */
        if (b[0].cbBuffer < r->trailer && len > 0)
            memmove(buf + b[0].cbBuffer, buf + r->trailer, len);
        uint8_t flags = SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED;
        flags |= (op & (OP_INTEGRITY | OP_CLAIM)) == OP_INTEGRITY ? 0 : SSPIX_GSSFRAME_ENCRYPTED;
        flags |= (op & OP_MIC) ? SSPIX_GSSFRAME_SEND_MIC : 0;
        fuzz_put_frame(f, 1, flags, buf, b[0].cbBuffer + len);
    } else {
        fuzz_put_u32le(f, (uint32_t)(4 + b[0].cbBuffer + len));
        fuzz_put_u32le(f, b[0].cbBuffer);
        fuzz_put(f, buf, b[0].cbBuffer);
        fuzz_put(f, buf + r->trailer, len);
    }
    free(buf);
    return 0;
}

static void remember(struct run *r, const uint8_t *msg, size_t len)
{
    if (r->nsent < MAX_SENT) {
        r->sent[r->nsent] = msg;
        r->sent_len[r->nsent] = len;
        r->nsent++;
    }
}

static int was_sent(const struct run *r, const uint8_t *p, size_t len)
{
    for (int i = 0; i < r->nsent; i++)
        if (r->sent_len[i] == len && (len == 0 || memcmp(r->sent[i], p, len) == 0))
            return 1;
    return r->nsent == MAX_SENT; /* a forgotten one may match */
}

/* The session as records (see the header). */
static void records(struct run *r, const uint8_t *p, size_t n)
{
    int v = SSPIX_CONN_OPEN;
    struct fuzz_record rec;
    while (v == SSPIX_CONN_OPEN && fuzz_next_record(&p, &n, corrupts, &rec)) {
        unsigned op = rec.op;
        const uint8_t *payload = rec.payload, *fix = rec.fix;
        size_t len = rec.len;
        struct fuzz_bytes f = {0};
        switch (op & 7) {
        case OP_PROTECT:
            if (!r->authenticated || protect(r, payload, len, op, &f) != 0)
                break;
            remember(r, payload, len);
            if (op & OP_CORRUPT) {
                r->pure = 0;
                f.p[fix[0] % f.len] ^= fix[1];
            }
            r->last.len = 0;
            fuzz_put(&r->last, f.p, f.len);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_FRAMED:
            remember(r, payload, len); /* gss signs an unwrapped message as it is */
            fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_DATA | ((op & OP_MIC) ? SSPIX_GSSFRAME_SEND_MIC : 0), payload,
                           len);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_END:
            fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_NOOP, NULL, 0);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_REPLAY: v = feed(r, r->last.p, r->last.len, &r->out); break;
        case OP_EOF: v = sspix_conn_eof(&r->c); break;
        default:
            r->pure = 0;
            v = feed(r, payload, len, &r->out);
            break;
        }
        fuzz_bytes_free(&f);
    }
}

/* The client decrypts one protected message (u32 LE trailer length | trailer
 * | data, in place in m). Aborts unless it decrypts, and for an echo, to a
 * message this input protected. */
static void check_protected(struct run *r, uint8_t *m, size_t len, int greeting)
{
    if (len < 4 || fuzz_get_u32le(m) > len - 4) {
        fprintf(stderr, "fuzz_conn: the server sent a %zu-byte protected message that is cut short\n", len);
        abort();
    }
    uint32_t tl = fuzz_get_u32le(m);
    SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, m + 4}, {(ULONG)(len - 4 - tl), SECBUFFER_DATA, m + 4 + tl}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 0;
    SECURITY_STATUS st = t->DecryptMessage(&r->ctx, &d, 0, &qop);
    if (st != SEC_E_OK) {
        fprintf(stderr, "fuzz_conn: a %s from the server does not decrypt: %s: %s\n", greeting ? "greeting" : "reply",
                sspix_status_name(st), sspix_last_error());
        abort();
    }
    if (!greeting && !was_sent(r, b[1].pvBuffer, b[1].cbBuffer)) {
        fprintf(stderr, "fuzz_conn: the server echoed %u bytes that no message carried\n", (unsigned)b[1].cbBuffer);
        abort();
    }
}

/* The client verifies one MIC reply over the messages sent; aborts if none matches. */
static void check_mic(struct run *r, uint8_t *mic, size_t len)
{
    int ok = r->nsent == MAX_SENT;
    for (int i = 0; i < r->nsent && !ok; i++) {
        uint8_t *m = malloc(r->sent_len[i] + 1u);
        if (m == NULL)
            abort();
        if (r->sent_len[i] > 0)
            memcpy(m, r->sent[i], r->sent_len[i]);
        SecBuffer b[2] = {{(ULONG)r->sent_len[i], SECBUFFER_DATA, m}, {(ULONG)len, SECBUFFER_TOKEN, mic}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        ULONG qop = 0;
        ok = t->VerifySignature(&r->ctx, &d, 0, &qop) == SEC_E_OK;
        free(m);
    }
    if (!ok) {
        fprintf(stderr, "fuzz_conn: a MIC reply verifies over no message sent\n");
        abort();
    }
}

/* The server's session output, checked with the client's context. */
static void check_replies(struct run *r, int echo)
{
    uint8_t flags;
    const uint8_t *body;
    size_t len;
    if (!r->authenticated)
        return;
    if (!r->gss && !echo) {
        if (r->out.len > 0)
            check_protected(r, r->out.p, r->out.len, 1);
        return;
    }
    while (fuzz_next_frame(&r->out, r->gss, &flags, &body, &len)) {
        uint8_t *copy = malloc(len + 1u);
        if (copy == NULL)
            abort();
        if (len > 0)
            memcpy(copy, body, len);
        if (!r->gss)
            check_protected(r, copy, len, 0);
        else if ((flags & SSPIX_GSSFRAME_MIC) && r->pure)
            check_mic(r, copy, len);
        free(copy);
    }
    if (r->out.off != r->out.len) {
        fprintf(stderr, "fuzz_conn: the server's output ends in the middle of a frame\n");
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned flags = data[0], opt = 0;
    size_t chunk = data[1] ? data[1] : 1;
    data += 2;
    size -= 2;
    if (flags & F_SESSION) {
        if (size < 1)
            return 0;
        opt = data[0];
        data++;
        size--;
    }

    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return 0;
    r->gss = (flags & F_GSS) != 0;
    r->chunk = chunk;
    r->pure = 1;
    SecInvalidateHandle(&r->ctx);
    int session = (flags & F_SESSION) != 0;
    int echo = session && !(opt & O_GREET);
    sspix_conn *c = &r->c;
    int kind = echo ? ((opt & O_LENIENT) ? 3 : 2) : (flags & F_LEGS2) ? 1 : 0;
    if (r->gss && session && (opt & O_LENIENT))
        kind = 3; /* gss ignores the mode */
    sspix_conn_init(c, creds[r->gss][kind]);
    if (session) {
        ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
        if (!(opt & O_WEAK))
            req |= ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
        handshake(r, (flags & F_KERBEROS) != 0, (opt & O_SHA2) ? "sha2svc/localhost" : "host/localhost", req);
    }
    if (session && (opt & O_RECORDS)) {
        records(r, data, size);
    } else {
        /* Raw bytes may hold unwrapped DATA frames that the server signs as they are. */
        r->pure = size == 0;
        feed(r, data, size, session ? &r->out : NULL);
    }
    if (flags & F_EOF)
        sspix_conn_eof(c);
    else if (flags & F_ABORT)
        sspix_conn_abort(c, "deadline");
    drain(c, 4096, session ? &r->out : NULL);
    if (session)
        check_replies(r, echo);

    /* Whatever happened, the state is consistent and loggable. */
    char line[1024];
    size_t n = sspix_conn_log_line(c, "127.0.0.1:1", 0.5, line, sizeof(line));
    if (n >= sizeof(line) || strchr(line, '\n') != NULL)
        abort();
    if (sspix_conn_closing(c) && sspix_conn_feed(c, (const uint8_t *)"x", 1) != SSPIX_CONN_CLOSE)
        abort();
    sspix_conn_free(c);
    if (r->have_ctx)
        t->DeleteSecurityContext(&r->ctx);
    fuzz_bytes_free(&r->out);
    fuzz_bytes_free(&r->last);
    free(r);
    return 0;
}

/* ---- the seed corpus -------------------------------------------------------- */

/* One seed per mode, protocol, package and record kind. */
static int generate(const char *dir)
{
    static const struct {
        const char *name;
        uint8_t flags, opt;
        uint8_t ops[4]; /* record ops, 0-terminated; none: raw session bytes */
        int big;        /* the messages are over max_message */
    } seeds[] = {
        {"ms-echo-negotiate", F_SESSION, O_RECORDS, {1, 1, 3}},
        {"ms-echo-kerberos", F_SESSION | F_KERBEROS, O_RECORDS, {1, 1, 3}},
        {"ms-echo-kerberos-sha2", F_SESSION | F_KERBEROS, O_RECORDS | O_SHA2, {1, 1, 3}},
        {"ms-echo-negotiate-weak-refused", F_SESSION, O_RECORDS | O_WEAK, {1, 3}},
        {"ms-echo-negotiate-weak-replay", F_SESSION, O_RECORDS | O_WEAK | O_LENIENT, {1, 4, 3}},
        {"ms-echo-kerberos-replay", F_SESSION | F_KERBEROS, O_RECORDS, {1, 4}},
        {"ms-echo-integrity-only", F_SESSION | F_KERBEROS, O_RECORDS, {1 | OP_INTEGRITY, 3}},
        {"ms-echo-corrupt", F_SESSION, O_RECORDS, {1 | OP_CORRUPT}},
        {"ms-echo-framed-garbage", F_SESSION | F_KERBEROS, O_RECORDS, {2}},
        {"ms-echo-eof-mid-session", F_SESSION | F_EOF, O_RECORDS, {1, 5}},
        {"ms-echo-abort", F_SESSION | F_KERBEROS | F_ABORT, O_RECORDS, {1}},
        {"ms-echo-raw", F_SESSION | F_EOF, 0, {0}},
        {"ms-greet-negotiate", F_SESSION, O_GREET, {0}},
        {"ms-greet-kerberos-sha2", F_SESSION | F_KERBEROS, O_GREET | O_SHA2, {0}},
        {"gss-negotiate", F_SESSION | F_GSS, O_RECORDS, {1, 1 | OP_MIC, 3}},
        {"gss-kerberos", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS, {1 | OP_MIC, 1, 3}},
        {"gss-kerberos-sha2", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS | O_SHA2, {1 | OP_MIC, 3}},
        {"gss-integrity-only-mic", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS, {1 | OP_INTEGRITY | OP_MIC, 3}},
        {"gss-weak-refused", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS | O_WEAK, {1, 3}},
        {"gss-weak-replay", F_SESSION | F_GSS, O_RECORDS | O_WEAK | O_LENIENT, {1 | OP_MIC, 4, 3}},
        {"gss-corrupt", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS, {1 | OP_CORRUPT}},
        {"gss-unwrapped-mic", F_SESSION | F_GSS, O_RECORDS, {2 | OP_MIC, 2, 3}},
        {"gss-eof-after-message", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS, {1, 5}},
        {"gss-raw", F_SESSION | F_GSS | F_KERBEROS | F_EOF, 0, {0}},
        {"gss-claims-encrypted", F_SESSION | F_GSS | F_KERBEROS, O_RECORDS, {1 | OP_INTEGRITY | OP_CLAIM}},
        {"gss-message-too-long", F_SESSION | F_GSS, O_RECORDS, {2}, 1},
        {"ms-echo-message-too-long", F_SESSION | F_KERBEROS, O_RECORDS, {1}, 1},
    };
    static char big[MAX_MESSAGE + 5];
    memset(big, 'x', sizeof(big) - 1);
    static const char *const texts[] = {"hello, echo", "a second message, a little longer than the first one"};
    static const uint8_t fix[2] = {20, 0x01}; /* one bit inside the trailer */
    int rc = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct fuzz_bytes b = {0};
        int gss = (seeds[i].flags & F_GSS) != 0;
        static const uint8_t chunks[3] = {1, 7, 255}; /* byte by byte, small pieces, whole records */
        uint8_t h[3] = {seeds[i].flags, chunks[i % 3], seeds[i].opt};
        fuzz_put(&b, h, 3);
        if (!(seeds[i].opt & O_RECORDS) && !(seeds[i].opt & O_GREET)) {
            /* Raw session bytes: a message that does not decrypt, then the end. */
            static const uint8_t junk[24] = {4, 0, 0, 0, 0x05, 0x04};
            fuzz_put_frame(&b, gss, SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED, junk, sizeof(junk));
            fuzz_put_frame(&b, gss, SSPIX_GSSFRAME_NOOP, NULL, 0);
        }
        for (int k = 0; k < 4 && seeds[i].ops[k] != 0; k++)
            fuzz_put_record(&b, seeds[i].ops[k], corrupts(seeds[i].ops[k]) ? fix : NULL,
                            (seeds[i].ops[k] & 7) == OP_END ? ""
                            : seeds[i].big                  ? big
                                                            : texts[k % 2]);
        rc |= fuzz_write_seed(dir, seeds[i].name, &b);
        fuzz_bytes_free(&b);
    }
    /* Raw streams: the gss-sample handshake phase (no fresh context: the stream
     * is the client's), and malformed ms echo frames after a fresh handshake. */
    static const struct {
        const char *name;
        uint8_t flags;
        uint8_t bytes[16];
        size_t len;
    } raw[] = {
        {"ms-echo-bad-trailer-len", F_SESSION, {0, 8, 0, 0, 0, 0x0f, 0x27, 0, 0, 'a', 'b', 'c', 'd'}, 13},
        {"ms-echo-frame-too-long", F_SESSION, {0, 0x01, 0x04, 0x01, 0}, 5},
        {"gss-opener-then-eof", F_GSS | F_EOF, {0x11, 0, 0, 0, 0}, 5},
        {"gss-unauthenticated", F_GSS, {0x01, 0, 0, 0, 0}, 5},
        {"gss-bad-opener", F_GSS, {0x02, 0, 0, 0, 1, 0x60}, 6},
        {"gss-context-garbage", F_GSS, {0x11, 0, 0, 0, 0, 0x02, 0, 0, 0, 3, 0x60, 0x01, 0x00}, 13},
        {"gss-no-context-flag", F_GSS | F_LEGS2, {0x11, 0, 0, 0, 0, 0x04, 0, 0, 0, 1, 0x41}, 11},
        {"gss-too-long", F_GSS, {0x11, 0, 0, 0, 0, 0x02, 0xff, 0xff, 0xff, 0xff}, 10},
        {"gss-deadline-mid-frame", F_GSS | F_ABORT, {0x11, 0, 0, 0, 0, 0x02, 0, 0}, 8},
        /* An unwrapped DATA frame asking for a MIC, in a raw stream after a fresh handshake. */
        {"gss-raw-unwrapped-mic",
         F_SESSION | F_GSS | F_KERBEROS | F_EOF,
         {0, 0x84, 0, 0, 0, 3, 'a', 'b', 'c', 0x01, 0, 0, 0, 0},
         14},
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        struct fuzz_bytes b = {0};
        uint8_t h[2] = {raw[i].flags, 255};
        fuzz_put(&b, h, 2); /* with F_SESSION, bytes[0] is the options byte */
        fuzz_put(&b, raw[i].bytes, raw[i].len);
        rc |= fuzz_write_seed(dir, raw[i].name, &b);
        fuzz_bytes_free(&b);
    }
    return rc;
}
