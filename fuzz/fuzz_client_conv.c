/* SPDX-License-Identifier: MIT */
/*
 * fuzz_client_conv.c - libFuzzer target for sspix-client's conversation with
 * a hostile server: the bytes a server sends back, any split.
 *
 * Targets: sspix_client_conv_start / sspix_client_conv_feed / sspix_client_conv_eof /
 * sspix_client_conv_send / sspix_client_conv_end / sspix_client_conv_pending / sspix_client_conv_sent
 * (src/client/conv.c) in both wire protocols: the Microsoft sample
 * (handshake tokens, the unframed greeting read to EOF, echo frames with
 * DecryptMessage) and MIT's gss-sample (CONTEXT tokens, MIC replies checked
 * with VerifySignature, NOOP replies), over the real SSPI library: each run
 * starts a fresh client context (InitializeSecurityContext from the realm's
 * ccache) and, when asked, a real acceptor context that plays the server.
 *
 * Input: byte 0 = flags, byte 1 = chunk size (0 -> 1 byte), byte 2 =
 * options, then the server->client byte stream, fed in chunks of that size.
 *   flags & 1   MIT's gss-sample protocol instead of the Microsoft sample's
 *   flags & 2   Kerberos instead of Negotiate
 *   flags & 4   echo mode (else greet)
 *   flags & 8   a real acceptor answers the handshake first, so the stream
 *               lands after authentication (raw echo streams: the client
 *               sends a message whenever it is idle)
 *   flags & 16  end with EOF; flags & 32 end with a connection reset instead
 *   flags & 64  the stream is a list of records (below) instead of raw bytes
 *   flags & 128 target sha2svc/localhost (aes256-sha384) instead of
 *               host/localhost (aes256-sha1)
 *   opt & 1     --allow-no-mutual (mutual authentication neither asked nor required)
 *   opt & 2     --max-message 64 (default 4096)
 *   opt & 4     no replay or sequence detection asked for
 *   opt & 8     target nosuch/localhost, which the realm does not know
 *   opt & 0xe0  gss: the message flags WRAPPED, ENCRYPTED, SEND_MIC (DATA always)
 * Record: u8 op | u16 LE length | [2 bytes "index, xor" when op & 32] |
 * payload, then per op (op & 7):
 *   0  raw: the payload as it is
 *   1  protect: the acceptor protects the payload as the server would its
 *      reply (ms echo: a framed protected message; ms greet: the unframed
 *      greeting; gss: a MIC frame over the payload); op & 8: integrity only
 *   2  reply: what a real server sends next (handshake: the acceptor's answer
 *      to the client's tokens so far; echo: the echo of the message sent, or
 *      in gss its MIC / NOOP; greet: a greeting with the payload as text)
 *   3  send: the client sends the payload as a message (echo mode, when idle)
 *   4  end: the client ends the session (echo mode, when idle)
 *   5  eof (op & 8: a reset); the records after it are ignored
 *   6  framed: the payload in a frame (gss: its first byte is the flags byte)
 *   7  replay: the last protect or reply bytes again
 *   op & 32 corrupts the bytes of a protect or reply record before they are fed.
 * Checked besides the sanitizers: a client that requires mutual
 * authentication is never authenticated unless the acceptor completed its
 * context (no bytes a server can send make up for the proof), and no client
 * counts as accepted by the server without that context either; a reply record
 * after only protect/reply/send/end records (a genuine server) is accepted:
 * the handshake goes on, an echo completes its round trip; a failed
 * conversation has an exit code, a reason and a message, and queues nothing
 * more; a finished conversation wants no more input.
 *
 * `fuzz_client_conv -gen=DIR` writes the seed corpus and exits;
 * fuzz/make_corpus.sh runs it.
 *
 * Needs the realm's environment (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME): run it
 * through the fuzz.client_conv ctest or after `. DIR/env`. The replay cache
 * is off (KRB5RCACHETYPE=none): every run makes a fresh AP-REQ anyway.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/conv.h"
#include "fuzz_bytes.h"
#include "wire/gssframe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_GSS      0x01u
#define F_KERBEROS 0x02u
#define F_ECHO     0x04u
#define F_SESSION  0x08u
#define F_EOF      0x10u
#define F_RESET    0x20u
#define F_RECORDS  0x40u
#define F_SHA2     0x80u

#define O_NO_MUTUAL 0x01u
#define O_SMALL     0x02u
#define O_WEAK      0x04u
#define O_BAD_SPN   0x08u
#define O_GSS_FLAGS (SSPIX_GSSFRAME_WRAPPED | SSPIX_GSSFRAME_ENCRYPTED | SSPIX_GSSFRAME_SEND_MIC)

enum { OP_RAW = 0, OP_PROTECT = 1, OP_REPLY = 2, OP_SEND = 3, OP_END = 4, OP_EOF = 5, OP_FRAMED = 6, OP_REPLAY = 7 };
#define OP_INTEGRITY 0x08u
#define OP_CORRUPT   0x20u

/* Every op may carry the two corruption bytes. */
static int corrupts(unsigned op)
{
    return (op & OP_CORRUPT) != 0;
}

/* The server's side of the handshake asks what sspix-server asks. */
#define ACCEPT_REQ                                                                                                     \
    (ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |                       \
     ASC_REQ_SEQUENCE_DETECT | ASC_REQ_ALLOCATE_MEMORY)

static PSecurityFunctionTableA t;
static CredHandle client_cred[2], server_cred[2]; /* Negotiate, Kerberos */

static int generate(const char *dir);

static void acquire(const char *pkg, ULONG use, CredHandle *h)
{
    TimeStamp ts;
    SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkg, use, NULL, NULL, NULL, NULL, h, &ts);
    if (st != SEC_E_OK) {
        fprintf(stderr, "fuzz_client_conv: %s credential: %s: %s\n(run with the realm's environment: . DIR/env)\n", pkg,
                sspix_status_name(st), sspix_last_error());
        exit(1);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-gen=", 5) == 0)
            exit(generate((*argv)[i] + 5));
    setenv("KRB5RCACHETYPE", "none", 1);
    t = InitSecurityInterfaceA();
    const char *pkgs[2] = {"Negotiate", "Kerberos"};
    for (int i = 0; i < 2; i++) {
        acquire(pkgs[i], SECPKG_CRED_OUTBOUND, &client_cred[i]);
        acquire(pkgs[i], SECPKG_CRED_INBOUND, &server_cred[i]);
    }
    return 0;
}

/* ---- one run: the conversation and the acceptor that plays the server ----- */

struct run {
    struct sspix_client_params p;
    struct sspix_client_conv c;
    size_t chunk;
    int gss, kerberos;
    struct fuzz_bytes c2s;  /* what the client sent, until the acceptor's handshake is over */
    struct fuzz_bytes last; /* the last protect/reply bytes, for replays */
    /* The acceptor. */
    CtxtHandle sctx;
    int have_sctx, server_done, server_failed;
    ULONG trailer;
};

/* Take what the client queued, in pieces, as a socket would. */
static void take_output(struct run *r)
{
    const uint8_t *p;
    size_t len;
    for (;;) {
        sspix_client_conv_pending(&r->c, &p, &len);
        if (len == 0)
            break;
        size_t n = len < r->chunk * 2 + 1 ? len : r->chunk * 2 + 1;
        if (!r->server_done)
            fuzz_put(&r->c2s, p, n);
        sspix_client_conv_sent(&r->c, n);
    }
}

/* Feed server bytes to the client in chunks, then take what it queued. */
static void feed(struct run *r, const uint8_t *p, size_t n)
{
    for (size_t off = 0; off < n; off += r->chunk) {
        enum sspix_client_state s = sspix_client_conv_feed(&r->c, p + off, n - off < r->chunk ? n - off : r->chunk);
        take_output(r);
        if (s == SSPIX_CLIENT_DONE || s == SSPIX_CLIENT_FAILED)
            break;
    }
}

/* The acceptor answers every client handshake token received so far, into f. */
static void server_answer(struct run *r, struct fuzz_bytes *f)
{
    uint8_t flags;
    const uint8_t *tok;
    size_t len;
    while (!r->server_done && !r->server_failed && fuzz_next_frame(&r->c2s, r->gss, &flags, &tok, &len)) {
        if (r->gss && !(flags & SSPIX_GSSFRAME_CONTEXT))
            continue; /* the opener */
        SecBuffer ib = {(ULONG)len, SECBUFFER_TOKEN, (void *)tok};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
        SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        ULONG attrs;
        TimeStamp ts;
        SECURITY_STATUS st = t->AcceptSecurityContext(&server_cred[r->kerberos], r->have_sctx ? &r->sctx : NULL, &id,
                                                      ACCEPT_REQ, SECURITY_NATIVE_DREP, &r->sctx, &od, &attrs, &ts);
        if (!SEC_SUCCESS(st)) {
            r->server_failed = 1;
        } else {
            r->have_sctx = 1;
            if (ob.cbBuffer > 0)
                fuzz_put_frame(f, r->gss, SSPIX_GSSFRAME_CONTEXT, ob.pvBuffer, ob.cbBuffer);
            if (st == SEC_E_OK) {
                SecPkgContext_Sizes sizes;
                if (t->QueryContextAttributesA(&r->sctx, SECPKG_ATTR_SIZES, &sizes) == SEC_E_OK)
                    r->trailer = sizes.cbSecurityTrailer;
                r->server_done = 1;
            }
        }
        if (ob.pvBuffer != NULL)
            t->FreeContextBuffer(ob.pvBuffer);
    }
    /* After the handshake the acceptor reads nothing: the client's messages are known from c. */
    if (r->server_done)
        r->c2s.len = r->c2s.off = 0;
}

/* The acceptor protects msg as a server reply of this protocol and mode, into f. */
static void server_protect(struct run *r, const uint8_t *msg, size_t len, unsigned op, struct fuzz_bytes *f)
{
    if (!r->server_done || r->trailer == 0 || r->trailer > 65536)
        return;
    if (r->gss) {
        uint8_t mic[1024];
        uint8_t *m = malloc(len + 1u);
        if (m == NULL)
            abort();
        if (len > 0)
            memcpy(m, msg, len);
        SecBuffer b[2] = {{(ULONG)len, SECBUFFER_DATA, m}, {sizeof(mic), SECBUFFER_TOKEN, mic}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if (t->MakeSignature(&r->sctx, 0, &d, 0) == SEC_E_OK)
            fuzz_put_frame(f, 1, SSPIX_GSSFRAME_MIC, mic, b[1].cbBuffer);
        free(m);
        return;
    }
    uint8_t *buf = malloc(r->trailer + len + 1u);
    if (buf == NULL)
        abort();
    if (len > 0)
        memcpy(buf + r->trailer, msg, len);
    SecBuffer b[2] = {{r->trailer, SECBUFFER_TOKEN, buf}, {(ULONG)len, SECBUFFER_DATA, buf + r->trailer}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    if (t->EncryptMessage(&r->sctx, (op & OP_INTEGRITY) ? SECQOP_WRAP_NO_ENCRYPT : 0, &d, 0) == SEC_E_OK) {
        if (r->p.mode == SSPIX_CLIENT_MODE_ECHO)
            fuzz_put_u32le(f, (uint32_t)(4 + b[0].cbBuffer + len));
        fuzz_put_u32le(f, b[0].cbBuffer);
        fuzz_put(f, buf, b[0].cbBuffer);
        fuzz_put(f, buf + r->trailer, len);
    }
    free(buf);
}

/* What a real server sends next, into f. */
static void server_reply(struct run *r, const uint8_t *payload, size_t len, unsigned op, struct fuzz_bytes *f)
{
    /* A client that completed on its own (no mutual authentication) still sent its token. */
    if (!r->server_done)
        server_answer(r, f);
    switch (r->c.state) {
    case SSPIX_CLIENT_HANDSHAKE: break;
    case SSPIX_CLIENT_GREET: server_protect(r, payload, len, op, f); break;
    case SSPIX_CLIENT_ECHO_WAIT:
        if (!r->gss)
            server_protect(r, r->c.expect, r->c.expect_len, op, f);
        else if (r->p.gss_flags & SSPIX_GSSFRAME_SEND_MIC)
            server_protect(r, r->c.expect, r->c.expect_len, op, f);
        else
            fuzz_put_frame(f, 1, SSPIX_GSSFRAME_NOOP, NULL, 0);
        break;
    default: break;
    }
}

/* A real handshake: the acceptor answers until the client is authenticated. */
static void handshake(struct run *r)
{
    for (int leg = 0; leg < 8 && r->c.state == SSPIX_CLIENT_HANDSHAKE; leg++) {
        struct fuzz_bytes f = {0};
        server_answer(r, &f);
        if (f.len == 0) {
            fuzz_bytes_free(&f);
            break;
        }
        feed(r, f.p, f.len);
        fuzz_bytes_free(&f);
    }
}

/* A real server's answer, after nothing but what a real server sends, is
 * accepted: the handshake goes on, an echo completes its round trip. */
static void check_accepted(const struct run *r, enum sspix_client_state before)
{
    int ok = before == SSPIX_CLIENT_HANDSHAKE   ? r->c.state != SSPIX_CLIENT_FAILED
             : before == SSPIX_CLIENT_ECHO_WAIT ? r->c.state == SSPIX_CLIENT_ECHO_IDLE
                                                : 1;
    if (!ok) {
        fprintf(stderr, "fuzz_client_conv: a genuine server reply was refused (state %d -> %d): %s\n", (int)before,
                (int)r->c.state, r->c.message);
        abort();
    }
}

/* The session as records (see the header). */
static void records(struct run *r, const uint8_t *p, size_t n)
{
    struct fuzz_record rec;
    int clean = 1; /* everything fed so far is what a real server sends */
    while (r->c.state != SSPIX_CLIENT_DONE && r->c.state != SSPIX_CLIENT_FAILED &&
           fuzz_next_record(&p, &n, corrupts, &rec)) {
        unsigned op = rec.op;
        const uint8_t *payload = rec.payload, *fix = rec.fix;
        size_t len = rec.len;
        struct fuzz_bytes f = {0};
        switch (op & 7) {
        case OP_PROTECT:
        case OP_REPLY: {
            enum sspix_client_state before = r->c.state;
            if ((op & 7) == OP_PROTECT)
                server_protect(r, payload, len, op, &f);
            else
                server_reply(r, payload, len, op, &f);
            if (f.len > 0 && (op & OP_CORRUPT))
                f.p[fix[0] % f.len] ^= fix[1];
            r->last.len = 0;
            fuzz_put(&r->last, f.p, f.len);
            feed(r, f.p, f.len);
            if (op & OP_CORRUPT)
                clean = 0;
            else if ((op & 7) == OP_REPLY && !(op & OP_INTEGRITY) && clean && f.len > 0 && r->server_done)
                check_accepted(r, before);
            break;
        }
        case OP_SEND:
            sspix_client_conv_send(&r->c, payload, len);
            take_output(r);
            break;
        case OP_END:
            sspix_client_conv_end(&r->c);
            take_output(r);
            break;
        case OP_EOF:
            sspix_client_conv_eof(&r->c, (op & OP_INTEGRITY) ? ECONNRESET : 0);
            n = 0;
            break;
        case OP_FRAMED:
            clean = 0;
            if (r->gss)
                fuzz_put_frame(&f, 1, len > 0 ? payload[0] : 0, payload + (len > 0), len - (len > 0));
            else
                fuzz_put_frame(&f, 0, 0, payload, len);
            feed(r, f.p, f.len);
            break;
        case OP_REPLAY:
            clean = 0;
            feed(r, r->last.p, r->last.len);
            break;
        default:
            clean = 0;
            feed(r, payload, len);
            break;
        }
        fuzz_bytes_free(&f);
    }
}

/* Raw server bytes; in echo mode the client sends a message whenever it may. */
static void raw(struct run *r, const uint8_t *p, size_t n)
{
    static const char msg[] = "hello, echo";
    int sent = 0;
    for (size_t off = 0;; off += r->chunk) {
        if (r->c.state == SSPIX_CLIENT_ECHO_IDLE && sent < 16) {
            sspix_client_conv_send(&r->c, msg, sizeof(msg) - 1);
            take_output(r);
            sent++;
        }
        if (off >= n || r->c.state == SSPIX_CLIENT_DONE || r->c.state == SSPIX_CLIENT_FAILED)
            break;
        sspix_client_conv_feed(&r->c, p + off, n - off < r->chunk ? n - off : r->chunk);
        take_output(r);
    }
}

static void check(struct run *r)
{
    const struct sspix_client_conv *c = &r->c;
    const uint8_t *p;
    size_t len;
    sspix_client_conv_pending(c, &p, &len);
    if (c->state > SSPIX_CLIENT_FAILED || sspix_client_conv_waiting(c) == NULL)
        abort();
    if (c->p->require_mutual && sspix_client_conv_authenticated(c) && !r->server_done) {
        fprintf(stderr, "fuzz_client_conv: authenticated (state %d) without the acceptor's proof\n", (int)c->state);
        abort();
    }
    /* Only the acceptor's context can make the bytes that show the server accepted us. */
    if (sspix_client_conv_accepted(c) && !r->server_done) {
        fprintf(stderr, "fuzz_client_conv: accepted (state %d) without an acceptor context\n", (int)c->state);
        abort();
    }
    if (c->state == SSPIX_CLIENT_FAILED) {
        if (c->exit_code == SSPIX_CLIENT_EXIT_OK || c->reason[0] == '\0' || c->message[0] == '\0' ||
            strlen(c->message) >= sizeof(c->message) || len != 0) {
            fprintf(stderr, "fuzz_client_conv: a failure without exit code, reason or message, or with output\n");
            abort();
        }
    }
    if ((c->state == SSPIX_CLIENT_DONE || c->state == SSPIX_CLIENT_FAILED) && sspix_client_conv_wants_read(c))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned flags = data[0], opt = data[2];
    size_t chunk = data[1] ? data[1] : 1;
    data += 3;
    size -= 3;

    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return 0;
    r->chunk = chunk;
    r->gss = (flags & F_GSS) != 0;
    r->kerberos = (flags & F_KERBEROS) != 0;
    SecInvalidateHandle(&r->sctx);
    r->p.sspi = t;
    r->p.cred = &client_cred[r->kerberos];
    r->p.spn = (opt & O_BAD_SPN) ? "nosuch/localhost" : (flags & F_SHA2) ? "sha2svc/localhost" : "host/localhost";
    r->p.isc_req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY;
    if (!(opt & O_WEAK))
        r->p.isc_req |= ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT;
    if (!(opt & O_NO_MUTUAL))
        r->p.isc_req |= ISC_REQ_MUTUAL_AUTH;
    r->p.require_mutual = !(opt & O_NO_MUTUAL);
    r->p.mode = (flags & F_ECHO) ? SSPIX_CLIENT_MODE_ECHO : SSPIX_CLIENT_MODE_GREET;
    r->p.max_message = (opt & O_SMALL) ? 64 : 4096;
    r->p.gss = r->gss;
    r->p.gss_flags = (uint8_t)(SSPIX_GSSFRAME_DATA | (opt & O_GSS_FLAGS));

    sspix_client_conv_init(&r->c, &r->p);
    sspix_client_conv_start(&r->c);
    take_output(r);
    if (flags & F_SESSION)
        handshake(r);
    if (flags & F_RECORDS)
        records(r, data, size);
    else
        raw(r, data, size);
    if (flags & (F_EOF | F_RESET))
        sspix_client_conv_eof(&r->c, (flags & F_EOF) ? 0 : ECONNRESET);
    check(r);

    sspix_client_conv_free(&r->c);
    sspix_client_conv_free(&r->c); /* safe more than once */
    if (r->have_sctx)
        t->DeleteSecurityContext(&r->sctx);
    fuzz_bytes_free(&r->c2s);
    fuzz_bytes_free(&r->last);
    free(r);
    return 0;
}

/* ---- the seed corpus -------------------------------------------------------- */

/* One seed per protocol, mode, package and record kind; the acceptor protects
 * the records with the fresh context of each run. */
static int generate(const char *dir)
{
    enum { MIC = SSPIX_GSSFRAME_SEND_MIC, WRAP = SSPIX_GSSFRAME_WRAPPED, ENC = SSPIX_GSSFRAME_ENCRYPTED };
    static const struct {
        const char *name;
        uint8_t flags, opt;
        uint8_t ops[6]; /* record ops, 0-terminated (0 first: raw bytes) */
    } seeds[] = {
        /* The handshake: the acceptor's real answer, then what follows it. */
        {"ms-greet-negotiate", F_RECORDS, 0, {2, 2, 5}},
        {"ms-greet-kerberos", F_RECORDS | F_KERBEROS, 0, {2, 2, 5}},
        {"ms-greet-kerberos-sha2", F_RECORDS | F_KERBEROS | F_SHA2, 0, {2, 2, 5}},
        {"ms-handshake-corrupt-negotiate", F_RECORDS, 0, {2 | OP_CORRUPT, 2}},
        {"ms-handshake-corrupt-kerberos", F_RECORDS | F_KERBEROS, 0, {2 | OP_CORRUPT, 2}},
        {"ms-handshake-replay", F_RECORDS | F_KERBEROS, 0, {2, 7, 5}},
        {"ms-no-mutual", F_RECORDS | F_KERBEROS, O_NO_MUTUAL, {2, 5}},
        {"ms-unknown-spn", F_RECORDS, O_BAD_SPN, {2, 5}},
        {"ms-greet-integrity-only", F_RECORDS | F_KERBEROS, 0, {2, 2 | OP_INTEGRITY, 5}},
        {"ms-greet-too-large", F_RECORDS | F_KERBEROS, O_SMALL, {2, 1, 5}},
        {"ms-greet-twice", F_RECORDS | F_KERBEROS, 0, {2, 2, 1, 5}},
        /* Echo sessions after a real handshake. */
        {"ms-echo-negotiate", F_SESSION | F_RECORDS | F_ECHO, 0, {3, 2, 3, 2, 4, 5}},
        {"ms-echo-kerberos-sha2", F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS | F_SHA2, 0, {3, 2, 4, 5}},
        {"ms-echo-mismatch", F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, 0, {3, 1}},
        {"ms-echo-replayed-echo", F_SESSION | F_RECORDS | F_ECHO, 0, {3, 2, 3, 7}},
        {"ms-echo-corrupt", F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, 0, {3, 2 | OP_CORRUPT}},
        {"ms-echo-garbage-frame", F_SESSION | F_RECORDS | F_ECHO, 0, {3, 6}},
        {"ms-echo-reset", F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, O_WEAK, {3, 5 | OP_INTEGRITY}},
        {"ms-echo-unexpected", F_SESSION | F_RECORDS | F_ECHO, 0, {1}},
        {"gss-negotiate-mic", F_GSS | F_RECORDS | F_ECHO, MIC | WRAP | ENC, {2, 2, 3, 2, 4, 5}},
        {"gss-kerberos-mic", F_GSS | F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, MIC | WRAP | ENC, {3, 2, 3, 2, 4}},
        {"gss-kerberos-sha2-mic",
         F_GSS | F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS | F_SHA2,
         MIC | WRAP,
         {3, 2, 4, 5}},
        {"gss-noop-replies", F_GSS | F_SESSION | F_RECORDS | F_ECHO, WRAP | ENC, {3, 2, 3, 2, 4, 5}},
        {"gss-unwrapped", F_GSS | F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, MIC, {3, 2, 4}},
        {"gss-wrong-mic", F_GSS | F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, MIC | WRAP | ENC, {3, 1}},
        {"gss-corrupt-mic", F_GSS | F_SESSION | F_RECORDS | F_ECHO, MIC | WRAP | ENC, {3, 2 | OP_CORRUPT}},
        {"gss-replayed-mic", F_GSS | F_SESSION | F_RECORDS | F_ECHO | F_KERBEROS, MIC | WRAP, {3, 2, 3, 7}},
        {"gss-framed-flags", F_GSS | F_SESSION | F_RECORDS | F_ECHO, MIC | WRAP | ENC, {3, 6}},
        {"gss-greet", F_GSS | F_RECORDS | F_KERBEROS, 0, {2, 2, 5}},
        {"gss-handshake-corrupt", F_GSS | F_RECORDS, 0, {2 | OP_CORRUPT, 2}},
        /* Raw server bytes. */
        {"ms-raw-handshake", F_EOF, 0, {0}},
        {"ms-raw-greeting", F_SESSION | F_KERBEROS | F_EOF, 0, {0}},
        {"ms-raw-echo", F_SESSION | F_ECHO | F_RESET, 0, {0}},
        {"gss-raw-handshake", F_GSS | F_KERBEROS | F_EOF, 0, {0}},
        {"gss-raw-noop-replies", F_GSS | F_SESSION | F_ECHO | F_EOF, WRAP | ENC, {0}},
    };
    static const char *const texts[] = {"hello, echo",
                                        "Hello from the server: a greeting, or a message, longer than a small limit",
                                        "a third message, a little longer than the first"};
    static const uint8_t fix[2] = {20, 0x01}; /* one bit inside the trailer or the token */
    int rc = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        static const uint8_t chunks[3] = {1, 7, 255}; /* byte by byte, small pieces, whole records */
        struct fuzz_bytes b = {0};
        int gss = (seeds[i].flags & F_GSS) != 0;
        uint8_t h[3] = {seeds[i].flags, chunks[i % 3], seeds[i].opt};
        fuzz_put(&b, h, 3);
        if (!(seeds[i].flags & F_RECORDS)) {
            /* A token or message that proves nothing, then a NOOP / end frame. */
            static const uint8_t junk[28] = {24, 0, 0, 0, 0x05, 0x04, 0x06, 0xff};
            fuzz_put_frame(&b, gss, gss ? SSPIX_GSSFRAME_CONTEXT : 0, junk, sizeof(junk));
            fuzz_put_frame(&b, gss, SSPIX_GSSFRAME_NOOP, NULL, 0);
        }
        for (int k = 0; k < 6 && seeds[i].ops[k] != 0; k++)
            fuzz_put_record(&b, seeds[i].ops[k], (seeds[i].ops[k] & OP_CORRUPT) ? fix : NULL,
                            (seeds[i].ops[k] & 7) == OP_END || (seeds[i].ops[k] & 7) == OP_EOF ? "" : texts[k % 3]);
        rc |= fuzz_write_seed(dir, seeds[i].name, &b);
        fuzz_bytes_free(&b);
    }
    return rc;
}
