/* SPDX-License-Identifier: MIT */
/*
 * fuzz_conn_fake.c - libFuzzer target for the server's per-connection state
 * machine on the deterministic fake SSPI table (tests/common/fake_sspi.h): no
 * KDC, no clock, no KRB5_* variables, the same result for the same input.
 *
 * Targets: sspix_conn_feed / sspix_conn_eof / sspix_conn_pending /
 * sspix_conn_sent / sspix_conn_abort / sspix_conn_log_line / sspix_conn_free
 * (src/service/conn.c) and both wire protocols (proto_ms.c, proto_gss.c):
 * handshake legs and their limit, CompleteAuthToken, the mutual and
 * weak-context checks, greet, echo, gss-sample messages, replies.
 * fuzz_conn stays the realm-backed target for the real GSSAPI path.
 *
 * Input: byte 0 = flags, byte 1 = chunk size (0 -> 1), byte 2 = handshake,
 * byte 3 = context flags, [3 failure bytes with flags & 0x80], then records.
 *   flags   1 gss-sample protocol   2 echo (ms)   4 end with EOF   8 end
 *           with an abort   16 allow weak contexts   32 allow no mutual
 *           64 CompleteAuthToken asked for   128 failure bytes follow
 *   hshake  bits 0-1: legs - 1; bits 2-3: max_legs = 8 / exactly the tokens
 *           the handshake needs / one fewer / 1; bit 4: the last leg
 *           answers no token; bit 5: cbSecurityTrailer over 1024; bit 6:
 *           no harness handshake: the records start on the fresh connection
 *           (its handshake phase: gss opener, CONTEXT flags, empty tokens),
 *           protect and replay records are then raw bytes
 *   cflags  drop bit 0 mutual, 1 replay detect, 2 sequence detect,
 *           3 confidentiality, 4 integrity; bit 5 package NTLM
 *   failure call (mod the entry points), nth call (1 + b % 4), status
 *           (table below; bit 7: EMFILE, bit 6: AcceptSecurityContext hands
 *           out an error token)
 * Unless hshake bit 6 says otherwise, the harness runs the fake client's whole
 * handshake first (the gss opener included), so the session phase is reached
 * on every run whose settings allow it; when they do and no failure is
 * injected there, a connection that is not in its session (ms greet: greeted
 * and closed cleanly) aborts the run, and so does one in its session that the
 * settings refuse.
 * Records: u8 op | u16 LE length | payload, op & 7:
 *   0 raw bytes   1 protect: the payload as one message the client protects
 *   (op & 8 integrity only; op & 16 gss SEND_MIC; op & 32 two bytes "index,
 *   xor" after the length corrupt the framed bytes; op & 64 gss says
 *   ENCRYPTED whatever was done)   2 framed as it is (gss DATA[|SEND_MIC])
 *   3 end (ms empty frame, gss NOOP)   4 replay the last protected frame
 *   5 EOF now   6 abort now ("message_deadline")   7 raw
 * Oracle: every reply is checked with the client's context, in order. While
 * the input was pure (no raw, corrupted or unmatched record), the k-th reply
 * belongs to the k-th message the server should have accepted: an ms echo
 * decrypts to its plaintext, a gss MIC verifies over it (a NOOP when no MIC
 * was asked). A replay where the context detects replays must end the
 * connection with SEC_E_OUT_OF_SEQUENCE and no reply; where it does not (weak
 * contexts allowed), it is processed again.
 *
 * `fuzz_conn_fake -gen=DIR` writes the seed corpus and exits; fuzz/make_corpus.sh runs it.
 * With SSPIX_FUZZ_LOG set, each run prints the connection's log line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fake_sspi.h"
#include "fuzz_bytes.h"
#include "service/conn.h"
#include "wire/gssframe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define F_GSS      0x01u
#define F_ECHO     0x02u
#define F_EOF      0x04u
#define F_ABORT    0x08u
#define F_WEAK_OK  0x10u
#define F_NOMUT_OK 0x20u
#define F_COMPLETE 0x40u
#define F_FAIL     0x80u

#define H_LEGS      0x03u
#define H_MAXLEGS   0x0cu
#define H_NO_LAST   0x10u
#define H_BIG_TRAIL 0x20u
#define H_RAW       0x40u

#define C_MUTUAL 0x01u
#define C_REPLAY 0x02u
#define C_SEQ    0x04u
#define C_CONF   0x08u
#define C_INTEG  0x10u
#define C_NTLM   0x20u

enum { OP_RAW = 0, OP_PROTECT = 1, OP_FRAMED = 2, OP_END = 3, OP_REPLAY = 4, OP_EOF = 5, OP_ABORT = 6 };
#define OP_INTEGRITY 0x08u
#define OP_MIC       0x10u
#define OP_CORRUPT   0x20u
#define OP_CLAIM     0x40u

#define MAX_MESSAGE 1024u
#define MAX_EXPECT  256

static const SECURITY_STATUS fail_status[8] = {
    SEC_E_LOGON_DENIED,        SEC_E_INVALID_TOKEN,   SEC_E_MESSAGE_ALTERED, SEC_E_OUT_OF_SEQUENCE,
    SEC_E_INSUFFICIENT_MEMORY, SEC_E_CONTEXT_EXPIRED, SEC_E_INTERNAL_ERROR,  SEC_E_NO_CREDENTIALS,
};

static int corrupts(unsigned op)
{
    return (op & 7) == OP_PROTECT && (op & OP_CORRUPT);
}

static int generate(const char *dir);

static int print_log; /* SSPIX_FUZZ_LOG set: each run's log line goes to stderr (to read what a seed does) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-gen=", 5) == 0)
            exit(generate((*argv)[i] + 5));
    print_log = getenv("SSPIX_FUZZ_LOG") != NULL;
    return 0;
}

/* What the server should answer to one accepted message. */
struct expect {
    const uint8_t *msg; /* into the input */
    size_t len;
    int mic; /* gss: a MIC (1) or a NOOP (0) */
};

struct run {
    fake_sspi *f;  /* the server's instance (failures are injected here) */
    fake_sspi *fc; /* the client's: the same settings, no failures */
    PSecurityFunctionTableA t;
    sspix_conn c;
    int gss, echo;
    size_t chunk;
    CredHandle ccred;
    CtxtHandle cctx;
    int have_cctx;
    struct fuzz_bytes out;  /* the server's output after the handshake */
    struct fuzz_bytes last; /* the last protected frame, for replays */
    struct expect exp[MAX_EXPECT];
    int nexp;
    struct expect last_exp; /* what the last protected frame should get */
    int last_ok;            /* ... when it was one the server should accept */
    int pure;               /* every record so far had a predictable answer */
    int refused;            /* a record the server must refuse was sent: nothing may follow */
    int replay_seen;        /* a replay that must be refused was sent */
    int raw;                /* no client context: every record is bytes */
};

static void drain(struct run *r, struct fuzz_bytes *sink)
{
    size_t len;
    const uint8_t *p;
    while ((p = sspix_conn_pending(&r->c, &len)) != NULL) {
        size_t n = len < r->chunk * 3 + 1 ? len : r->chunk * 3 + 1;
        if (sink != NULL)
            fuzz_put(sink, p, n);
        sspix_conn_sent(&r->c, n);
    }
}

static int feed(struct run *r, const uint8_t *p, size_t n, struct fuzz_bytes *sink)
{
    int v = sspix_conn_closing(&r->c) ? SSPIX_CONN_CLOSE : SSPIX_CONN_OPEN;
    for (size_t off = 0; off < n && v == SSPIX_CONN_OPEN; off += r->chunk) {
        v = sspix_conn_feed(&r->c, p + off, n - off < r->chunk ? n - off : r->chunk);
        drain(r, sink);
    }
    return v;
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_conn_fake: %s\n", what);
    abort();
}

/* The fake client's handshake; the server's output after its last token stays in r->out. */
static void handshake(struct run *r)
{
    struct fuzz_bytes srv = {0}, f = {0};
    if (r->gss) {
        fuzz_put_frame(&f, 1, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0);
        feed(r, f.p, f.len, &srv);
    }
    const uint8_t *in = NULL;
    size_t in_len = 0;
    for (int step = 0; step <= FAKE_SSPI_MAX_LEGS; step++) {
        ULONG attrs;
        TimeStamp ts;
        SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
        SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st = r->t->InitializeSecurityContextA(
            &r->ccred, r->have_cctx ? &r->cctx : NULL, (SEC_CHAR *)"host/fake.test", ISC_REQ_ALLOCATE_MEMORY, 0,
            SECURITY_NATIVE_DREP, r->have_cctx ? &id : NULL, 0, &r->cctx, &od, &attrs, &ts);
        if (!SEC_SUCCESS(st))
            break;
        r->have_cctx = 1;
        if (ob.cbBuffer > 0) {
            f.len = 0;
            fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_CONTEXT, ob.pvBuffer, ob.cbBuffer);
            feed(r, f.p, f.len, &srv);
        }
        r->t->FreeContextBuffer(ob.pvBuffer);
        uint8_t flags;
        if (st != SEC_I_CONTINUE_NEEDED || !fuzz_next_frame(&srv, r->gss, &flags, &in, &in_len))
            break;
    }
    if (srv.len > srv.off)
        fuzz_put(&r->out, srv.p + srv.off, srv.len - srv.off); /* ms greet: the greeting */
    fuzz_bytes_free(&srv);
    fuzz_bytes_free(&f);
}

/* The client protects msg and frames it, into f. Returns whether it was encrypted. */
static int protect(struct run *r, const uint8_t *msg, size_t len, unsigned op, struct fuzz_bytes *f)
{
    uint8_t *buf = malloc(FAKE_SSPI_HEADER + len + 1u);
    if (buf == NULL)
        abort();
    if (len > 0)
        memcpy(buf + FAKE_SSPI_HEADER, msg, len);
    SecBuffer b[2] = {{FAKE_SSPI_HEADER, SECBUFFER_TOKEN, buf}, {(ULONG)len, SECBUFFER_DATA, buf + FAKE_SSPI_HEADER}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = (op & OP_INTEGRITY) ? SECQOP_WRAP_NO_ENCRYPT : 0;
    int encrypted = qop == 0;
    if (r->t->EncryptMessage(&r->cctx, qop, &d, 0) != SEC_E_OK) {
        /* The client's context refuses too (no confidentiality): send it integrity-protected. */
        encrypted = 0;
        if (r->t->EncryptMessage(&r->cctx, SECQOP_WRAP_NO_ENCRYPT, &d, 0) != SEC_E_OK)
            fail("the client cannot protect a message");
    }
    if (r->gss) {
        uint8_t flags = SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED;
        flags |= encrypted || (op & OP_CLAIM) ? SSPIX_GSSFRAME_ENCRYPTED : 0;
        flags |= (op & OP_MIC) ? SSPIX_GSSFRAME_SEND_MIC : 0;
        fuzz_put_frame(f, 1, flags, buf, FAKE_SSPI_HEADER + len);
    } else {
        fuzz_put_u32le(f, (uint32_t)(4 + FAKE_SSPI_HEADER + len));
        fuzz_put_u32le(f, FAKE_SSPI_HEADER);
        fuzz_put(f, buf, FAKE_SSPI_HEADER + len);
    }
    free(buf);
    return encrypted;
}

static void expect(struct run *r, const uint8_t *msg, size_t len, int mic)
{
    if (r->nexp < MAX_EXPECT)
        r->exp[r->nexp++] = (struct expect){msg, len, mic};
    else
        r->pure = 0;
}

static int detects_replays(const struct fake_sspi_config *cfg)
{
    ULONG a = cfg->attrs;
    return (a & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)) != 0 ||
           (strcmp(cfg->package, "NTLM") == 0 && (a & ASC_RET_INTEGRITY) != 0);
}

static void records(struct run *r, const uint8_t *p, size_t n)
{
    int v = sspix_conn_closing(&r->c) ? SSPIX_CONN_CLOSE : SSPIX_CONN_OPEN;
    struct fuzz_record rec;
    while (v == SSPIX_CONN_OPEN && fuzz_next_record(&p, &n, corrupts, &rec)) {
        unsigned op = rec.op;
        struct fuzz_bytes f = {0};
        int encrypted;
        switch (r->raw && ((op & 7) == OP_PROTECT || (op & 7) == OP_REPLAY) ? OP_RAW : op & 7) {
        case OP_PROTECT:
            encrypted = protect(r, rec.payload, rec.len, op, &f);
            r->last_ok = 0;
            if (op & OP_CORRUPT) {
                r->pure = 0;
                f.p[rec.fix[0] % f.len] ^= rec.fix[1];
            } else if (rec.len > MAX_MESSAGE) {
                r->refused = 1; /* too long */
            } else if (!encrypted && (!r->gss || (op & OP_CLAIM))) {
                r->refused = 1; /* not_encrypted */
            } else {
                r->last_exp = (struct expect){rec.payload, rec.len, r->gss ? (op & OP_MIC) != 0 : 0};
                r->last_ok = 1;
                expect(r, rec.payload, rec.len, r->last_exp.mic);
            }
            r->last.len = 0;
            fuzz_put(&r->last, f.p, f.len);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_FRAMED:
            if (!r->gss)
                r->pure = 0; /* ms: a frame that holds no protected message, or one by chance */
            else if (rec.len > MAX_MESSAGE)
                r->refused = 1;
            else
                expect(r, rec.payload, rec.len, (op & OP_MIC) != 0);
            fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_DATA | ((op & OP_MIC) ? SSPIX_GSSFRAME_SEND_MIC : 0), rec.payload,
                           rec.len);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_END:
            fuzz_put_frame(&f, r->gss, SSPIX_GSSFRAME_NOOP, NULL, 0);
            v = feed(r, f.p, f.len, &r->out);
            break;
        case OP_REPLAY:
            if (r->last.len == 0)
                break;
            if (detects_replays(&r->f->cfg)) {
                r->refused = r->replay_seen = 1;
            } else if (r->last_ok) {
                expect(r, r->last_exp.msg, r->last_exp.len, r->last_exp.mic);
            } else {
                r->pure = 0;
            }
            v = feed(r, r->last.p, r->last.len, &r->out);
            break;
        case OP_EOF: v = sspix_conn_eof(&r->c); break;
        case OP_ABORT:
            sspix_conn_abort(&r->c, "message_deadline");
            v = SSPIX_CONN_CLOSE;
            break;
        default:
            r->pure = 0;
            v = feed(r, rec.payload, rec.len, &r->out);
            break;
        }
        fuzz_bytes_free(&f);
    }
}

/* The client decrypts one ms protected message "u32 trailer len | trailer | data"; returns its plaintext. */
static uint8_t *open_protected(struct run *r, const uint8_t *m, size_t len, size_t *plain_len)
{
    if (len < 4 || fuzz_get_u32le(m) > len - 4)
        fail("a protected message from the server is cut short");
    uint32_t tl = fuzz_get_u32le(m);
    uint8_t *copy = malloc(len + 1u);
    if (copy == NULL)
        abort();
    memcpy(copy, m, len);
    SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, copy + 4}, {(ULONG)(len - 4 - tl), SECBUFFER_DATA, copy + 4 + tl}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 0;
    if (r->t->DecryptMessage(&r->cctx, &d, 0, &qop) != SEC_E_OK || qop != 0)
        fail("a protected message from the server does not decrypt");
    *plain_len = b[1].cbBuffer;
    memmove(copy, b[1].pvBuffer, b[1].cbBuffer);
    return copy;
}

static void check_session(struct run *r)
{
    uint8_t flags;
    const uint8_t *body;
    size_t len;
    int k = 0;
    while (fuzz_next_frame(&r->out, r->gss, &flags, &body, &len)) {
        const struct expect *e = k < r->nexp ? &r->exp[k] : NULL;
        k++;
        if (e == NULL && r->pure)
            fail("the server answered a message that it should have refused or never got");
        if (!r->gss) {
            size_t pl;
            uint8_t *plain = open_protected(r, body, len, &pl); /* every echo reply decrypts */
            if (r->pure && (pl != e->len || (pl > 0 && memcmp(plain, e->msg, pl) != 0)))
                fail("an echo reply is not the message it answers");
            free(plain);
        } else if (r->pure) {
            if (flags != (e->mic ? SSPIX_GSSFRAME_MIC : SSPIX_GSSFRAME_NOOP))
                fail("a gss reply has the wrong flags");
            if (e->mic) {
                uint8_t *m = malloc(e->len + 1u), *mic = malloc(len + 1u);
                if (m == NULL || mic == NULL)
                    abort();
                if (e->len > 0)
                    memcpy(m, e->msg, e->len);
                if (len > 0)
                    memcpy(mic, body, len);
                SecBuffer b[2] = {{(ULONG)e->len, SECBUFFER_DATA, m}, {(ULONG)len, SECBUFFER_TOKEN, mic}};
                SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
                ULONG qop;
                if (r->t->VerifySignature(&r->cctx, &d, 0, &qop) != SEC_E_OK)
                    fail("a MIC reply does not verify over the message it answers");
                free(m);
                free(mic);
            }
        }
    }
    if (r->out.off != r->out.len && !sspix_conn_closing(&r->c))
        fail("the server's output ends in the middle of a frame");
}

/* Whether these settings let the handshake reach the session (conn.c's rules, restated). */
static int session_allowed(const struct fake_sspi_config *cfg, const struct sspix_svc_limits *l, unsigned tokens)
{
    ULONG a = cfg->attrs;
    int gss = l->proto == SSPIX_SVC_PROTO_GSS, reads = gss || l->mode == SSPIX_SVC_ECHO;
    int weak = (reads && !detects_replays(cfg)) || (!gss && !(a & ASC_RET_CONFIDENTIALITY)) ||
               (gss && !(a & ASC_RET_INTEGRITY));
    const char *last = cfg->server_tokens[cfg->legs - 1];
    unsigned last_reply = last == NULL || *last != '\0';
    if (tokens > l->max_legs + last_reply)
        return 0; /* a client token past the limit is refused; a last server token is not counted against it */
    return (a & ASC_RET_MUTUAL_AUTH || l->allow_no_mutual) && (!weak || l->allow_weak_context) &&
           cfg->trailer <= SSPIX_SVC_MAX_TRAILER;
}

/* The harness's handshake, the checks of what it must lead to, then the records as a session. */
static void run_session(struct run *r, const struct fake_sspi_config *cfg, const struct sspix_svc_limits *l,
                        unsigned tokens, const uint8_t *data, size_t size)
{
    handshake(r);
    enum fake_sspi_call fc = r->f->cfg.fail.call;
    int hs_fail = fc == FAKE_ACCEPT || (fc == FAKE_COMPLETE && cfg->complete_needed) || fc == FAKE_QUERY ||
                  (!r->gss && !r->echo && fc == FAKE_ENCRYPT);
    int allowed = session_allowed(&r->f->cfg, l, tokens);
    int greet_ok =
        cfg->attrs & ASC_RET_CONFIDENTIALITY ? r->c.status == SEC_E_OK : r->c.status == SEC_E_QOP_NOT_SUPPORTED;
    if (allowed && !hs_fail) {
        int ok = r->gss || r->echo ? r->c.phase == SSPIX_CONN_SESSION
                                   : sspix_conn_closing(&r->c) && r->c.reason == NULL && greet_ok;
        if (!ok)
            fail("the handshake did not reach the session although its settings allow it");
    }
    if (!allowed && !sspix_conn_closing(&r->c))
        fail("a handshake that its settings refuse reached the session");

    if (!r->gss && !r->echo) {
        if (allowed && !hs_fail && !(cfg->attrs & ASC_RET_CONFIDENTIALITY)) {
            /* A weak context taken without confidentiality: the package cannot encrypt the greeting. */
            if (r->c.status != SEC_E_QOP_NOT_SUPPORTED || r->out.len != 0)
                fail("a greeting went out on a context without confidentiality");
        } else if (allowed && !hs_fail) {
            size_t pl;
            uint8_t *g = open_protected(r, r->out.p, r->out.len, &pl);
            if (pl < 6 || memcmp(g, "Hello ", 6) != 0)
                fail("the greeting is not one");
            free(g);
        }
    } else if (r->c.phase == SSPIX_CONN_SESSION) {
        records(r, data, size);
        if (fc != FAKE_NONE)
            r->pure = 0; /* an injected failure may cut the session anywhere */
        check_session(r);
        if (r->pure && r->replay_seen && r->c.reason == NULL && r->c.status != SEC_E_OUT_OF_SEQUENCE &&
            sspix_conn_closing(&r->c))
            fail("a replay was refused with a status other than SEC_E_OUT_OF_SEQUENCE");
        if (r->pure && !r->refused && r->c.messages != (uint32_t)r->nexp && sspix_conn_closing(&r->c) &&
            r->c.reason == NULL && r->c.status == SEC_E_OK)
            fail("the session ended cleanly with a message count that is not the messages sent");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned flags = data[0], hs = data[2], cf = data[3];
    size_t chunk = data[1] ? data[1] : 1;
    data += 4;
    size -= 4;
    struct fake_sspi_config cfg;
    fake_sspi_config_default(&cfg);
    cfg.legs = 1 + (hs & H_LEGS);
    if (hs & H_NO_LAST)
        cfg.server_tokens[cfg.legs - 1] = "";
    if (hs & H_BIG_TRAIL)
        cfg.trailer = SSPIX_SVC_MAX_TRAILER + 1;
    cfg.complete_needed = (flags & F_COMPLETE) != 0;
    ULONG drop = 0;
    drop |= (cf & C_MUTUAL) ? ASC_RET_MUTUAL_AUTH : 0;
    drop |= (cf & C_REPLAY) ? ASC_RET_REPLAY_DETECT : 0;
    drop |= (cf & C_SEQ) ? ASC_RET_SEQUENCE_DETECT : 0;
    drop |= (cf & C_CONF) ? ASC_RET_CONFIDENTIALITY : 0;
    drop |= (cf & C_INTEG) ? ASC_RET_INTEGRITY : 0;
    cfg.attrs &= ~drop;
    if (cf & C_NTLM)
        cfg.package = "NTLM";
    if (flags & F_FAIL) {
        if (size < 3)
            return 0;
        cfg.fail.call = (enum fake_sspi_call)(1 + data[0] % (FAKE_CALL_COUNT - 1));
        cfg.fail.nth = 1 + data[1] % 4u;
        cfg.fail.status = fail_status[data[2] & 7];
        cfg.fail.err = (data[2] & 0x80) ? EMFILE : 0;
        cfg.fail.with_token = (data[2] & 0x40) != 0;
        data += 3;
        size -= 3;
    }
    /* Tokens both ways: a server token for every leg but perhaps the last. */
    unsigned tokens = 2 * cfg.legs - ((hs & H_NO_LAST) ? 1u : 0u);
    static const unsigned maxlegs_pick[4] = {8, 0, 0, 1};
    struct sspix_svc_limits l = {.max_token = 4096,
                                 .max_message = MAX_MESSAGE,
                                 .max_legs = maxlegs_pick[(hs & H_MAXLEGS) >> 2],
                                 .allow_no_mutual = (flags & F_NOMUT_OK) != 0,
                                 .allow_weak_context = (flags & F_WEAK_OK) != 0,
                                 .mode = (flags & F_ECHO) ? SSPIX_SVC_ECHO : SSPIX_SVC_GREET,
                                 .proto = (flags & F_GSS) ? SSPIX_SVC_PROTO_GSS : SSPIX_SVC_PROTO_MS};
    if (((hs & H_MAXLEGS) >> 2) == 1)
        l.max_legs = tokens - ((hs & H_NO_LAST) ? 0u : 1u); /* the last client token is the last one allowed */
    else if (((hs & H_MAXLEGS) >> 2) == 2)
        l.max_legs = tokens - ((hs & H_NO_LAST) ? 1u : 2u); /* the last client token is one too many */

    struct run *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return 0;
    r->f = fake_sspi_new(&cfg);
    cfg.fail.call = FAKE_NONE;
    r->fc = fake_sspi_new(&cfg);
    sspix_svc_cred *cred = r->f && r->fc ? fake_sspi_svc_cred(r->f, &l) : NULL;
    if (cred == NULL)
        abort();
    r->t = fake_sspi_table();
    r->gss = (flags & F_GSS) != 0;
    r->echo = !r->gss && (flags & F_ECHO);
    r->chunk = chunk;
    r->pure = 1;
    SecInvalidateHandle(&r->cctx);
    TimeStamp ts;
    if (r->t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Fake", SECPKG_CRED_OUTBOUND, NULL, r->fc, NULL, NULL,
                                        &r->ccred, &ts) != SEC_E_OK)
        abort();
    sspix_conn_init(&r->c, cred);
    sspix_svc_cred_unref(cred);

    if (hs & H_RAW) {
        r->raw = 1;
        r->pure = 0;
        records(r, data, size);
    } else {
        run_session(r, &cfg, &l, tokens, data, size);
    }
    if (flags & F_EOF)
        sspix_conn_eof(&r->c);
    else if (flags & F_ABORT)
        sspix_conn_abort(&r->c, "deadline");
    drain(r, NULL);

    char line[1024];
    size_t n = sspix_conn_log_line(&r->c, "127.0.0.1:1", 0.5, line, sizeof(line));
    if (n >= sizeof(line) || strchr(line, '\n') != NULL)
        fail("the log line is cut or split");
    if (print_log)
        fprintf(stderr, "%s\n", line);
    if (sspix_conn_closing(&r->c) && sspix_conn_feed(&r->c, (const uint8_t *)"x", 1) != SSPIX_CONN_CLOSE)
        fail("a closed connection took more input");
    sspix_conn_free(&r->c);
    if (r->have_cctx)
        r->t->DeleteSecurityContext(&r->cctx);
    r->t->FreeCredentialsHandle(&r->ccred);
    if (fake_sspi_live(r->f) != 0 || fake_sspi_live(r->fc) != 0)
        fail("the connection left SSPI handles or buffers behind");
    fake_sspi_free(r->f);
    fake_sspi_free(r->fc);
    fuzz_bytes_free(&r->out);
    fuzz_bytes_free(&r->last);
    free(r);
    return 0;
}

/* ---- the seed corpus ---------------------------------------------------------- */

static int generate(const char *dir)
{
    static const struct {
        const char *name;
        uint8_t flags, hs, cf;
        uint8_t fail[3];
        uint8_t ops[5]; /* record ops, 0-terminated */
        int big;
    } seeds[] = {
        {"ms-greet", 0, 0x01, 0, {0}, {0}},
        {"ms-greet-1leg-no-last-token", 0, 0x10, 0, {0}, {0}},
        {"ms-greet-4legs-complete", F_COMPLETE, 0x03, 0, {0}, {0}},
        {"ms-greet-max-legs-exact", 0, 0x05, 0, {0}, {0}},
        {"ms-greet-max-legs-over", 0, 0x09, 0, {0}, {0}},
        {"ms-greet-no-mutual", 0, 0x01, C_MUTUAL, {0}, {0}},
        {"ms-greet-ntlm-no-mutual-allowed", F_NOMUT_OK, 0x02, C_MUTUAL | C_NTLM, {0}, {0}},
        {"ms-greet-no-conf", 0, 0x01, C_CONF, {0}, {0}},
        {"ms-greet-trailer-too-long", 0, 0x21, 0, {0}, {0}},
        {"ms-greet-encrypt-fails", F_FAIL, 0x01, 0, {FAKE_ENCRYPT - 1, 0, 5}, {0}},
        {"ms-greet-accept-emfile", F_FAIL, 0x01, 0, {FAKE_ACCEPT - 1, 0, 0x87}, {0}},
        {"ms-greet-accept-error-token", F_FAIL, 0x01, 0, {FAKE_ACCEPT - 1, 1, 0x41}, {0}},
        {"ms-echo", F_ECHO, 0x01, 0, {0}, {1, 1, 3}},
        {"ms-echo-replay", F_ECHO, 0x01, 0, {0}, {1, 4}},
        {"ms-echo-weak-refused", F_ECHO, 0x01, C_REPLAY | C_SEQ, {0}, {1, 3}},
        {"ms-echo-weak-allowed-replay", F_ECHO | F_WEAK_OK, 0x01, C_REPLAY | C_SEQ, {0}, {1, 4, 3}},
        {"ms-echo-ntlm-integrity", F_ECHO | F_NOMUT_OK, 0x01, C_REPLAY | C_SEQ | C_NTLM, {0}, {1, 4}},
        {"ms-echo-integrity-only", F_ECHO, 0x01, 0, {0}, {1 | OP_INTEGRITY, 3}},
        {"ms-echo-corrupt", F_ECHO, 0x01, 0, {0}, {1 | OP_CORRUPT}},
        {"ms-echo-framed-garbage", F_ECHO, 0x01, 0, {0}, {2}},
        {"ms-echo-too-long", F_ECHO, 0x01, 0, {0}, {1}, 1},
        {"ms-echo-eof", F_ECHO | F_EOF, 0x01, 0, {0}, {1, 5}},
        {"ms-echo-abort-mid", F_ECHO, 0x01, 0, {0}, {1, 6}},
        {"ms-echo-decrypt-fails", F_ECHO | F_FAIL, 0x01, 0, {FAKE_DECRYPT - 1, 1, 2}, {1, 1}},
        {"gss", F_GSS, 0x01, 0, {0}, {1 | OP_MIC, 1, 2 | OP_MIC, 3}},
        {"gss-4legs-complete", F_GSS | F_COMPLETE, 0x13, 0, {0}, {1 | OP_MIC, 3}},
        {"gss-replay", F_GSS, 0x01, 0, {0}, {1 | OP_MIC, 4}},
        {"gss-weak-refused", F_GSS, 0x01, C_REPLAY | C_SEQ, {0}, {1}},
        {"gss-no-integrity", F_GSS, 0x01, C_INTEG, {0}, {1}},
        {"gss-weak-allowed-replay", F_GSS | F_WEAK_OK, 0x01, C_REPLAY | C_SEQ, {0}, {1 | OP_MIC, 4, 3}},
        {"gss-integrity-only", F_GSS, 0x01, 0, {0}, {1 | OP_INTEGRITY | OP_MIC, 3}},
        {"gss-claims-encrypted", F_GSS, 0x01, 0, {0}, {1 | OP_INTEGRITY | OP_CLAIM}},
        {"gss-corrupt", F_GSS, 0x01, 0, {0}, {1 | OP_CORRUPT}},
        {"gss-too-long", F_GSS, 0x01, 0, {0}, {2}, 1},
        {"gss-raw-eof", F_GSS | F_EOF, 0x01, 0, {0}, {0}},
        {"gss-sign-fails", F_GSS | F_FAIL, 0x01, 0, {FAKE_SIGN - 1, 0, 4}, {1 | OP_MIC}},
        {"gss-query-fails", F_GSS | F_FAIL, 0x01, 0, {FAKE_QUERY - 1, 1, 6}, {0}},
        {"gss-abort", F_GSS | F_ABORT, 0x01, 0, {0}, {1}},
    };
    static char big[MAX_MESSAGE + 2];
    memset(big, 'x', sizeof(big) - 1);
    static const char *const texts[] = {"hello, echo", "a second message, a little longer than the first one"};
    static const uint8_t fix[2] = {9, 0x01};
    static const uint8_t chunks[3] = {1, 7, 255};
    int rc = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct fuzz_bytes b = {0};
        uint8_t h[4] = {seeds[i].flags, chunks[i % 3], seeds[i].hs, seeds[i].cf};
        fuzz_put(&b, h, 4);
        if (seeds[i].flags & F_FAIL)
            fuzz_put(&b, seeds[i].fail, 3);
        for (int k = 0; k < 5 && seeds[i].ops[k] != 0; k++) {
            uint8_t op = seeds[i].ops[k];
            const char *text = (op & 7) == OP_END || (op & 7) >= OP_REPLAY ? "" : seeds[i].big ? big : texts[k % 2];
            fuzz_put_record(&b, op, corrupts(op) ? fix : NULL, text);
        }
        if (seeds[i].ops[0] == 0 && (seeds[i].flags & F_GSS))
            fuzz_put_record(&b, OP_RAW, NULL,
                            "\x44\0\0\0\x03"
                            "abc");
        rc |= fuzz_write_seed(dir, seeds[i].name, &b);
        fuzz_bytes_free(&b);
    }
    /* No harness handshake: the connection's handshake phase from raw bytes (one raw record each). */
    static const struct {
        const char *name;
        uint8_t flags;
        uint8_t bytes[48];
        size_t len;
    } raw[] = {
        {"raw-gss-bad-opener", F_GSS, {0x02, 0, 0, 0, 1, 0x60}, 6},
        {"raw-gss-unauthenticated", F_GSS, {0x01, 0, 0, 0, 0}, 5},
        {"raw-gss-no-context-flag", F_GSS, {0x11, 0, 0, 0, 0, 0x04, 0, 0, 0, 1, 0x41}, 11},
        {"raw-gss-empty-context", F_GSS | F_EOF, {0x11, 0, 0, 0, 0, 0x02, 0, 0, 0, 0}, 10},
        {"raw-gss-handshake",
         F_GSS,
         {0x11, 0,   0,   0,   0,   0x02, 0,   0,   0,    7, 'F', 'A', 'K', 'E', '-', 'C',  '0', 0x02, 0, 0, 0,
          7,    'F', 'A', 'K', 'E', '-',  'C', '1', 0x04, 0, 0,   0,   2,   'h', 'i', 0x01, 0,   0,    0, 0},
         41},
        {"raw-ms-empty-token", 0, {0, 0, 0, 0}, 4},
        {"raw-ms-too-long", 0, {0xff, 0xff, 0xff, 0xff}, 4},
        {"raw-ms-handshake",
         F_ECHO,
         {7,   0,   0,   0,   'F', 'A', 'K', 'E', '-', 'C', '0', 7,   0,   0,  0,
          'F', 'A', 'K', 'E', '-', 'C', '1', 3,   0,   0,   0,   'x', 'y', 'z'},
         29},
        {"raw-ms-eof-mid-token", F_EOF, {9, 0, 0, 0, 'F', 'A', 'K', 'E'}, 8},
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        struct fuzz_bytes b = {0};
        uint8_t h[7] = {raw[i].flags, chunks[i % 3], H_RAW | 0x01, 0, OP_RAW, (uint8_t)raw[i].len, 0};
        fuzz_put(&b, h, sizeof(h));
        fuzz_put(&b, raw[i].bytes, raw[i].len);
        rc |= fuzz_write_seed(dir, raw[i].name, &b);
        fuzz_bytes_free(&b);
    }
    return rc;
}
