/* SPDX-License-Identifier: MIT */
/*
 * test_service_fake.c - the server's connection state machine
 * (src/service/conn.c, proto_ms.c, proto_gss.c) on the deterministic fake
 * SSPI table (tests/common/fake_sspi.h): no KDC, no clock. Both protocols,
 * the handshake's leg limit, greet and echo, protected-message framing,
 * replays, the weak-context rules, deadlines as explicit aborts, and every
 * outcome= value the state machine can log. Every case also checks that the
 * connection released everything the fake handed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/fake_sspi.h"
#include "service/conn.h"
#include "wire/gssframe.h"

static PSecurityFunctionTableA t;

struct bytes {
    uint8_t *p;
    size_t len, cap, off;
};

static void put(struct bytes *b, const void *src, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        uint8_t *p = realloc(b->p, cap);
        CHECK(p != NULL);
        b->p = p;
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void put_u32le(struct bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ms: u32 LE length | body; gss: flags | u32 BE length | body. */
static void put_frame(struct bytes *b, bool gss, uint8_t flags, const void *body, size_t len)
{
    if (gss) {
        uint8_t h[5] = {flags, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
        put(b, h, 5);
    } else {
        put_u32le(b, (uint32_t)len);
    }
    put(b, body, len);
}

/* The next whole frame of b at b->off, or false. */
static bool next_frame(struct bytes *b, bool gss, uint8_t *flags, const uint8_t **body, size_t *len)
{
    size_t h = gss ? 5 : 4, left = b->len - b->off;
    if (left < h)
        return false;
    const uint8_t *p = b->p + b->off;
    size_t n = gss ? ((size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4]) : get_u32le(p);
    if (left - h < n)
        return false;
    *flags = gss ? p[0] : 0;
    *body = p + h;
    *len = n;
    b->off += h + n;
    return true;
}

/* One connection on a fresh fake, and the client that talks to it. */
struct env {
    fake_sspi *f;  /* the server's package (failures are injected here) */
    fake_sspi *fc; /* the client's: the same settings, no failures */
    sspix_svc_cred *cred;
    sspix_conn c;
    bool gss;
    CredHandle ccred;
    CtxtHandle cctx;
    bool have_cctx;
    struct bytes out; /* everything the server sent */
    int verdict;
};

static struct sspix_svc_limits limits_for(bool gss, enum sspix_svc_mode mode)
{
    struct sspix_svc_limits l = {.max_token = 4096, .max_message = 256, .max_legs = 8, .mode = mode};
    l.proto = gss ? SSPIX_SVC_PROTO_GSS : SSPIX_SVC_PROTO_MS;
    return l;
}

static void env_open(struct env *e, const struct fake_sspi_config *cfg, const struct sspix_svc_limits *l)
{
    memset(e, 0, sizeof(*e));
    e->f = fake_sspi_new(cfg);
    struct fake_sspi_config client = *cfg;
    client.fail.call = FAKE_NONE;
    e->fc = fake_sspi_new(&client);
    CHECK(e->f != NULL && e->fc != NULL);
    e->cred = fake_sspi_svc_cred(e->f, l);
    CHECK(e->cred != NULL);
    e->gss = l->proto == SSPIX_SVC_PROTO_GSS;
    sspix_conn_init(&e->c, e->cred);
    sspix_svc_cred_unref(e->cred); /* the connection holds its own reference */
    TimeStamp ts;
    CHECK_SEC(t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Fake", SECPKG_CRED_OUTBOUND, NULL, e->fc, NULL, NULL,
                                           &e->ccred, &ts),
              SEC_E_OK);
    SecInvalidateHandle(&e->cctx);
}

static void drain(struct env *e)
{
    size_t len;
    const uint8_t *p;
    while ((p = sspix_conn_pending(&e->c, &len)) != NULL) {
        size_t n = len > 7 ? len / 2 : len; /* partial sends too */
        put(&e->out, p, n);
        sspix_conn_sent(&e->c, n);
    }
}

static int feed(struct env *e, const void *p, size_t n)
{
    e->verdict = sspix_conn_feed(&e->c, p, n);
    drain(e);
    return e->verdict;
}

static int feed_bytes(struct env *e, struct bytes *b)
{
    int v = feed(e, b->p, b->len);
    free(b->p);
    memset(b, 0, sizeof(*b));
    return v;
}

static int feed_frame(struct env *e, uint8_t flags, const void *body, size_t len)
{
    struct bytes b = {0};
    put_frame(&b, e->gss, flags, body, len);
    return feed_bytes(e, &b);
}

static char *log_line(const struct env *e)
{
    static char line[2048];
    size_t n = sspix_conn_log_line(&e->c, "127.0.0.1:9", 1.5, line, sizeof(line));
    CHECK(n < sizeof(line));
    CHECK(strchr(line, '\n') == NULL);
    return line;
}

#define CHECK_LOG(e, text)                                                                                             \
    do {                                                                                                               \
        const char *l_ = log_line(e);                                                                                  \
        check_count++;                                                                                                 \
        if (strstr(l_, (text)) == NULL) {                                                                              \
            fprintf(stderr, "%s:%d: log line lacks \"%s\":\n  %s\n", __FILE__, __LINE__, (text), l_);                  \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* The client's whole handshake, answering the server's tokens; the status of its last step. */
static SECURITY_STATUS handshake(struct env *e)
{
    if (e->gss)
        feed_frame(e, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0);
    const uint8_t *in = NULL;
    size_t in_len = 0;
    SECURITY_STATUS st = SEC_E_INTERNAL_ERROR;
    for (int step = 0; step <= FAKE_SSPI_MAX_LEGS; step++) {
        ULONG attrs;
        TimeStamp ts;
        SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, (void *)in};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
        SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
        st = t->InitializeSecurityContextA(&e->ccred, e->have_cctx ? &e->cctx : NULL, (SEC_CHAR *)"host/fake.test",
                                           ISC_REQ_MUTUAL_AUTH | ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP,
                                           e->have_cctx ? &id : NULL, 0, &e->cctx, &od, &attrs, &ts);
        if (!SEC_SUCCESS(st))
            return st;
        e->have_cctx = true;
        if (ob.cbBuffer > 0)
            feed_frame(e, SSPIX_GSSFRAME_CONTEXT, ob.pvBuffer, ob.cbBuffer);
        t->FreeContextBuffer(ob.pvBuffer);
        if (st != SEC_I_CONTINUE_NEEDED)
            return st;
        uint8_t flags;
        if (!next_frame(&e->out, e->gss, &flags, &in, &in_len))
            return SEC_E_INCOMPLETE_MESSAGE;
    }
    return st;
}

/* The client protects msg: ms "u32 len | u32 trailer len | trailer | data" in
 * a frame, gss "DATA|WRAPPED|..." with trailer||data as one token. */
static void protect(struct env *e, struct bytes *b, const char *msg, ULONG qop, uint8_t gss_flags)
{
    uint8_t buf[FAKE_SSPI_HEADER + 512];
    size_t n = strlen(msg);
    CHECK(n <= 512);
    memcpy(buf + FAKE_SSPI_HEADER, msg, n);
    SecBuffer sb[2] = {{FAKE_SSPI_HEADER, SECBUFFER_TOKEN, buf}, {(ULONG)n, SECBUFFER_DATA, buf + FAKE_SSPI_HEADER}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, sb};
    CHECK_SEC(t->EncryptMessage(&e->cctx, qop, &d, 0), SEC_E_OK);
    CHECK_EQ_INT(sb[0].cbBuffer, FAKE_SSPI_HEADER);
    if (e->gss) {
        put_frame(b, true, gss_flags, buf, FAKE_SSPI_HEADER + n);
    } else {
        put_u32le(b, (uint32_t)(4 + FAKE_SSPI_HEADER + n));
        put_u32le(b, FAKE_SSPI_HEADER);
        put(b, buf, FAKE_SSPI_HEADER + n);
    }
}

#define GSS_WRAP (SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED | SSPIX_GSSFRAME_ENCRYPTED | SSPIX_GSSFRAME_SEND_MIC)

static int send_protected(struct env *e, const char *msg)
{
    struct bytes b = {0};
    protect(e, &b, msg, 0, GSS_WRAP);
    return feed_bytes(e, &b);
}

/* The client decrypts an ms protected message "u32 trailer len | trailer | data" into text. */
static void unprotect(struct env *e, const uint8_t *m, size_t len, char *text, size_t cap)
{
    CHECK(len >= 4);
    uint32_t tl = get_u32le(m);
    CHECK(tl <= len - 4);
    size_t dl = len - 4 - tl;
    CHECK(dl < cap);
    uint8_t tr[64];
    CHECK(tl <= sizeof(tr));
    memcpy(tr, m + 4, tl);
    memcpy(text, m + 4 + tl, dl);
    SecBuffer sb[2] = {{tl, SECBUFFER_TOKEN, tr}, {(ULONG)dl, SECBUFFER_DATA, text}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, sb};
    ULONG qop = 1;
    CHECK_SEC(t->DecryptMessage(&e->cctx, &d, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);
    text[dl] = '\0';
}

/* The next ms echo reply decrypts to want. */
static void expect_echo(struct env *e, const char *want)
{
    uint8_t flags;
    const uint8_t *body;
    size_t len;
    char text[600];
    CHECK(next_frame(&e->out, false, &flags, &body, &len));
    unprotect(e, body, len, text, sizeof(text));
    CHECK_STR(text, want);
}

/* The next gss reply is a MIC over want that verifies. */
static void expect_mic(struct env *e, const char *want)
{
    uint8_t flags;
    const uint8_t *body;
    size_t len;
    CHECK(next_frame(&e->out, true, &flags, &body, &len));
    CHECK_EQ_INT(flags, SSPIX_GSSFRAME_MIC);
    uint8_t mic[64];
    CHECK(len <= sizeof(mic));
    memcpy(mic, body, len);
    SecBuffer sb[2] = {{(ULONG)strlen(want), SECBUFFER_DATA, (void *)want}, {(ULONG)len, SECBUFFER_TOKEN, mic}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, sb};
    ULONG qop;
    CHECK_SEC(t->VerifySignature(&e->cctx, &d, 0, &qop), SEC_E_OK);
}

static void expect_noop(struct env *e)
{
    uint8_t flags;
    const uint8_t *body;
    size_t len;
    CHECK(next_frame(&e->out, true, &flags, &body, &len));
    CHECK_EQ_INT(flags, SSPIX_GSSFRAME_NOOP);
    CHECK_EQ_INT(len, 0);
}

static void expect_no_more(struct env *e)
{
    CHECK_EQ_INT(e->out.len - e->out.off, 0);
}

static void env_close(struct env *e)
{
    /* A closed connection stays closed. */
    if (sspix_conn_closing(&e->c))
        CHECK_EQ_INT(sspix_conn_feed(&e->c, (const uint8_t *)"x", 1), SSPIX_CONN_CLOSE);
    sspix_conn_free(&e->c);
    sspix_conn_free(&e->c); /* safe twice */
    if (e->have_cctx)
        CHECK_SEC(t->DeleteSecurityContext(&e->cctx), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&e->ccred), SEC_E_OK);
    CHECK_EQ_INT(fake_sspi_live(e->f), 0); /* nothing the package handed out is left */
    CHECK_EQ_INT(fake_sspi_live(e->fc), 0);
    fake_sspi_free(e->f);
    fake_sspi_free(e->fc);
    free(e->out.p);
}

static struct fake_sspi_config cfg_default(void)
{
    struct fake_sspi_config c;
    fake_sspi_config_default(&c);
    return c;
}

/* ---- the Microsoft framing ------------------------------------------------- */

static void test_ms_greet(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.strict = true;
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK(sspix_conn_in_handshake(&e.c));
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(e.verdict, SSPIX_CONN_CLOSE);
    CHECK(!sspix_conn_in_handshake(&e.c));
    /* The greeting: no outer length, the 16-byte trailer that came back (not
     * the 24 cbSecurityTrailer announced), the ciphertext. */
    size_t left = e.out.len - e.out.off;
    CHECK(left > 4);
    CHECK_EQ_INT(get_u32le(e.out.p + e.out.off), FAKE_SSPI_HEADER);
    char text[600];
    unprotect(&e, e.out.p + e.out.off, left, text, sizeof(text));
    CHECK_STR(text, "Hello alice@FAKE.TEST \xe2\x80\x94 you are talking to host/fake.test@FAKE.TEST over Kerberos");
    CHECK_STR(log_line(&e), "peer=127.0.0.1:9 client=alice@FAKE.TEST package=Kerberos mutual=yes legs=4 "
                            "outcome=SEC_E_OK ms=1.5 mode=greet");
    CHECK_EQ_INT(e.f->calls[FAKE_ENCRYPT], 1);
    CHECK_EQ_INT(e.f->calls[FAKE_COMPLETE], 0);
    CHECK_EQ_INT(sspix_conn_buffered(&e.c), 0); /* sent output and the handshake buffers are gone */
    env_close(&e);
}

/* legs= counts tokens both ways; an empty server token is not sent. */
static void test_ms_legs(void)
{
    for (unsigned legs = 1; legs <= 4; legs++) {
        struct fake_sspi_config cfg = cfg_default();
        cfg.legs = legs;
        cfg.strict = true;
        cfg.server_tokens[legs - 1] = ""; /* the last leg answers nothing */
        struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
        struct env e;
        env_open(&e, &cfg, &l);
        CHECK_SEC(handshake(&e), SEC_E_OK);
        char want[32];
        snprintf(want, sizeof(want), "legs=%u outcome=SEC_E_OK", 2 * legs - 1);
        CHECK_LOG(&e, want);
        CHECK_EQ_INT(e.f->calls[FAKE_ACCEPT], legs);
        env_close(&e);
    }
}

/* max_legs: at the limit the handshake completes, one leg more is refused
 * before AcceptSecurityContext sees the token. */
static void test_max_legs(void)
{
    for (int proto = 0; proto < 2; proto++) {
        struct fake_sspi_config cfg = cfg_default(); /* 2 legs: 4 tokens */
        struct sspix_svc_limits l = limits_for(proto, SSPIX_SVC_ECHO);
        l.max_legs = 3;
        struct env e;
        env_open(&e, &cfg, &l);
        CHECK_SEC(handshake(&e), SEC_E_OK);
        CHECK(!sspix_conn_in_handshake(&e.c));
        CHECK_LOG(&e, "legs=4 outcome=SEC_E_OK");
        env_close(&e);

        l.max_legs = 2;
        env_open(&e, &cfg, &l);
        CHECK_SEC(handshake(&e), SEC_E_INCOMPLETE_MESSAGE); /* no answer to the refused token */
        CHECK(sspix_conn_closing(&e.c));
        CHECK_LOG(&e, "legs=2 outcome=max_legs");
        CHECK_EQ_INT(e.f->calls[FAKE_ACCEPT], 1);
        env_close(&e);
    }
}

static void test_ms_echo(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(e.verdict, SSPIX_CONN_OPEN);
    CHECK(!sspix_conn_in_handshake(&e.c) && !sspix_conn_closing(&e.c));
    CHECK_EQ_INT(send_protected(&e, "hello, echo"), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(send_protected(&e, "a second message"), SSPIX_CONN_OPEN);
    expect_echo(&e, "hello, echo");
    expect_echo(&e, "a second message");
    CHECK_EQ_INT(feed_frame(&e, 0, NULL, 0), SSPIX_CONN_CLOSE); /* an empty frame ends it */
    expect_no_more(&e);
    CHECK_LOG(&e, "outcome=SEC_E_OK ms=1.5 mode=echo messages=2");
    env_close(&e);

    /* EOF at a frame boundary is a clean end too. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    send_protected(&e, "x");
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=SEC_E_OK ms=1.5 mode=echo messages=1");
    env_close(&e);
}

/* The same bytes in any split give the same output, byte for byte. */
static void test_splits(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes in = {0};
    protect(&e, &in, "split me", 0, 0);
    protect(&e, &in, "and me", 0, 0);
    put_frame(&in, false, 0, NULL, 0);
    size_t hs_out = e.out.len;
    CHECK_EQ_INT(feed(&e, in.p, in.len), SSPIX_CONN_CLOSE);
    struct bytes whole = {0};
    put(&whole, e.out.p + hs_out, e.out.len - hs_out);
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    for (size_t i = 0; i < in.len; i++)
        feed(&e, in.p + i, 1);
    CHECK_EQ_INT(e.verdict, SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(e.out.len - hs_out, whole.len);
    CHECK(memcmp(e.out.p + hs_out, whole.p, whole.len) == 0);
    CHECK_LOG(&e, "outcome=SEC_E_OK ms=1.5 mode=echo messages=2");
    env_close(&e);
    free(in.p);
    free(whole.p);
}

static void test_ms_replay(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes m = {0};
    protect(&e, &m, "pay 100", 0, 0);
    CHECK_EQ_INT(feed(&e, m.p, m.len), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(feed(&e, m.p, m.len), SSPIX_CONN_CLOSE);
    expect_echo(&e, "pay 100");
    expect_no_more(&e);
    CHECK_LOG(&e, "messages=1");
    CHECK_LOG(&e, "outcome=SEC_E_OUT_OF_SEQUENCE");
    env_close(&e);

    /* A changed byte anywhere in trailer or data is refused. */
    for (size_t at = 8; at < m.len; at += 5) {
        env_open(&e, &cfg, &l);
        CHECK_SEC(handshake(&e), SEC_E_OK);
        struct bytes x = {0};
        protect(&e, &x, "pay 100", 0, 0);
        x.p[at] ^= 0x20;
        CHECK_EQ_INT(feed_bytes(&e, &x), SSPIX_CONN_CLOSE);
        expect_no_more(&e);
        CHECK_LOG(&e, at < 10 ? "outcome=SEC_E_INVALID_TOKEN" : "outcome=SEC_E_MESSAGE_ALTERED");
        env_close(&e);
    }
    free(m.p);
}

/* Protected-message framing errors of the echo session. */
static void test_ms_framing(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    struct env e;

    /* A frame that holds no protected message. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(feed_frame(&e, 0, "abc", 3), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=bad_message");
    CHECK_LOG(&e, "reason=\"the frame does not hold a protected message");
    env_close(&e);

    /* A trailer length past the frame. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    static const uint8_t bad_tl[] = {0x08, 0, 0, 0, 'a', 'b', 'c', 'd'};
    CHECK_EQ_INT(feed_frame(&e, 0, bad_tl, sizeof(bad_tl)), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=bad_message");
    env_close(&e);

    /* A trailer over SSPIX_SVC_MAX_TRAILER. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes big = {0};
    put_u32le(&big, SSPIX_SVC_MAX_TRAILER + 1);
    for (unsigned i = 0; i <= SSPIX_SVC_MAX_TRAILER; i++)
        put(&big, "t", 1);
    CHECK_EQ_INT(feed_frame(&e, 0, big.p, big.len), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=too_long");
    free(big.p);
    env_close(&e);

    /* A length prefix over max_message + SSPIX_SVC_MAX_TRAILER: refused from the header alone. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes h = {0};
    put_u32le(&h, l.max_message + SSPIX_SVC_MAX_TRAILER + 1);
    CHECK_EQ_INT(feed_bytes(&e, &h), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=too_long");
    CHECK_LOG(&e, "reason=\"length prefix over the limit\"");
    env_close(&e);

    /* A plaintext over max_message inside a frame under the limit. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    char msg[300];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    CHECK_EQ_INT(send_protected(&e, msg), SSPIX_CONN_CLOSE);
    expect_no_more(&e);
    CHECK_LOG(&e, "outcome=too_long");
    CHECK_LOG(&e, "reason=\"the message exceeds max-message\"");
    env_close(&e);

    /* Integrity only: the echo is a confidential service. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes io = {0};
    protect(&e, &io, "plain", SECQOP_WRAP_NO_ENCRYPT, 0);
    CHECK_EQ_INT(feed_bytes(&e, &io), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=not_encrypted");
    CHECK_LOG(&e, "status=SEC_E_QOP_NOT_SUPPORTED");
    env_close(&e);

    /* EOF inside a frame. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes part = {0};
    protect(&e, &part, "cut", 0, 0);
    part.len -= 2;
    CHECK_EQ_INT(feed_bytes(&e, &part), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=truncated");
    env_close(&e);
}

/* Handshake framing: empty token, over-long token, EOF, EOF mid-frame. */
static void test_ms_handshake_framing(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    struct env e;

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed(&e, "\0\0\0\0", 4), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=0 outcome=empty_token");
    CHECK_EQ_INT(e.f->calls[FAKE_ACCEPT], 0);
    env_close(&e);

    env_open(&e, &cfg, &l);
    struct bytes h = {0};
    put_u32le(&h, l.max_token + 1);
    CHECK_EQ_INT(feed_bytes(&e, &h), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=too_long");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=0 outcome=eof");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed(&e, "\x09\0\0\0FAKE", 8), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=truncated");
    env_close(&e);

    /* A token the package refuses: its status is the outcome, and the failed
     * first leg leaves no context behind. */
    cfg.strict = true;
    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed_frame(&e, 0, "FAKE-X", 6), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=1 outcome=SEC_E_INVALID_TOKEN");
    CHECK_EQ_INT(e.f->live_contexts, 0);
    env_close(&e);
}

/* ---- the gss-sample protocol ------------------------------------------------- */

static void test_gss_session(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.strict = true;
    cfg.legs = 3;
    struct sspix_svc_limits l = limits_for(true, SSPIX_SVC_GREET); /* the mode does not apply */
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK(!sspix_conn_in_handshake(&e.c) && !sspix_conn_closing(&e.c));
    CHECK_EQ_INT(send_protected(&e, "wrapped, with a MIC"), SSPIX_CONN_OPEN);
    expect_mic(&e, "wrapped, with a MIC");
    struct bytes b = {0};
    protect(&e, &b, "wrapped, no MIC", 0, SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED | SSPIX_GSSFRAME_ENCRYPTED);
    CHECK_EQ_INT(feed_bytes(&e, &b), SSPIX_CONN_OPEN);
    expect_noop(&e);
    /* Integrity only, not flagged ENCRYPTED: accepted (gss-client -nc). */
    protect(&e, &b, "signed only", SECQOP_WRAP_NO_ENCRYPT,
            SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED | SSPIX_GSSFRAME_SEND_MIC);
    CHECK_EQ_INT(feed_bytes(&e, &b), SSPIX_CONN_OPEN);
    expect_mic(&e, "signed only");
    /* Unwrapped (gss-client -nw): signed as it is. */
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_SEND_MIC, "in the clear", 12), SSPIX_CONN_OPEN);
    expect_mic(&e, "in the clear");
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_NOOP, NULL, 0), SSPIX_CONN_CLOSE);
    expect_no_more(&e);
    CHECK_STR(log_line(&e), "peer=127.0.0.1:9 client=alice@FAKE.TEST package=Kerberos mutual=yes legs=6 "
                            "outcome=SEC_E_OK ms=1.5 mode=gss-sample messages=4");
    env_close(&e);

    /* EOF at a token boundary after the handshake is a clean end. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=SEC_E_OK");
    env_close(&e);
}

static void test_gss_refusals(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(true, SSPIX_SVC_ECHO);
    struct env e;

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_CONTEXT, "FAKE-C0", 7), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=bad_opener");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_NOOP, NULL, 0), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=unauthenticated");
    CHECK_LOG(&e, "(-na); refused");
    env_close(&e);

    env_open(&e, &cfg, &l);
    feed_frame(&e, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_DATA, "FAKE-C0", 7), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=0 outcome=bad_flags");
    CHECK_LOG(&e, "without the CONTEXT flag");
    env_close(&e);

    /* An empty CONTEXT token reaches the package, which refuses it. */
    env_open(&e, &cfg, &l);
    feed_frame(&e, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_CONTEXT, NULL, 0), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=1 outcome=SEC_E_INVALID_TOKEN");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_MIC, "x", 1), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=bad_flags");
    CHECK_LOG(&e, "neither DATA nor NOOP");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED, NULL, 0), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=bad_message");
    env_close(&e);

    /* Integrity only but flagged ENCRYPTED. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    struct bytes b = {0};
    protect(&e, &b, "claims", SECQOP_WRAP_NO_ENCRYPT, GSS_WRAP);
    CHECK_EQ_INT(feed_bytes(&e, &b), SSPIX_CONN_CLOSE);
    expect_no_more(&e);
    CHECK_LOG(&e, "outcome=not_encrypted");
    CHECK_LOG(&e, "status=SEC_E_QOP_NOT_SUPPORTED");
    env_close(&e);

    /* Over max_message, unwrapped; and a header over the frame limit. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    char msg[300];
    memset(msg, 'g', sizeof(msg));
    CHECK_EQ_INT(feed_frame(&e, SSPIX_GSSFRAME_DATA, msg, sizeof(msg)), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=too_long");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(feed(&e, "\x04\xff\xff\xff\xff", 5), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=too_long");
    env_close(&e);

    /* A replayed wrap token. */
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    protect(&e, &b, "once", 0, GSS_WRAP);
    CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_CLOSE);
    expect_mic(&e, "once");
    expect_no_more(&e);
    CHECK_LOG(&e, "outcome=SEC_E_OUT_OF_SEQUENCE");
    CHECK_LOG(&e, "messages=1");
    free(b.p);
    memset(&b, 0, sizeof(b));
    env_close(&e);

    /* EOF mid-token, in the handshake and after it. */
    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed(&e, "\x11\0\0\0\0\x02\0\0", 8), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=truncated");
    env_close(&e);

    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(feed(&e, "\x11\0\0\0\0", 5), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_eof(&e.c), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "legs=0 outcome=eof");
    env_close(&e);
}

/* ---- what the context must have --------------------------------------------- */

struct weak_case {
    bool gss;
    enum sspix_svc_mode mode;
    const char *package;
    ULONG drop;       /* ASC_RET_* left out of the default set */
    const char *want; /* NULL: accepted; else in the weak_context reason */
};

static void test_weak_contexts(void)
{
    static const struct weak_case cases[] = {
        {false, SSPIX_SVC_ECHO, NULL, ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT, "neither replay nor sequence"},
        {false, SSPIX_SVC_ECHO, NULL, ASC_RET_REPLAY_DETECT, NULL}, /* sequence detection is enough */
        {false, SSPIX_SVC_ECHO, NULL, ASC_RET_SEQUENCE_DETECT, NULL},
        {true, SSPIX_SVC_GREET, NULL, ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT, "neither replay nor sequence"},
        {false, SSPIX_SVC_GREET, NULL, ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT, NULL}, /* reads nothing */
        {false, SSPIX_SVC_GREET, NULL, ASC_RET_CONFIDENTIALITY, "no confidentiality"},
        {false, SSPIX_SVC_ECHO, NULL, ASC_RET_CONFIDENTIALITY, "no confidentiality"},
        {true, SSPIX_SVC_ECHO, NULL, ASC_RET_CONFIDENTIALITY, NULL}, /* gss signs, wrap may be integrity only */
        {true, SSPIX_SVC_ECHO, NULL, ASC_RET_INTEGRITY, "no integrity protection"},
        {false, SSPIX_SVC_ECHO, NULL, ASC_RET_INTEGRITY, NULL},
        /* NTLM numbers its signed messages: integrity stands for sequence detection. */
        {false, SSPIX_SVC_ECHO, "NTLM", ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT, NULL},
        {true, SSPIX_SVC_ECHO, "NTLM", ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT, NULL},
        {false, SSPIX_SVC_ECHO, "NTLM", ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT | ASC_RET_INTEGRITY,
         "neither replay nor sequence"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct weak_case *k = &cases[i];
        struct fake_sspi_config cfg = cfg_default();
        cfg.attrs &= ~k->drop;
        cfg.package = k->package;
        struct sspix_svc_limits l = limits_for(k->gss, k->mode);
        l.allow_no_mutual = true; /* NTLM has no mutual authentication in real life; here it has */
        struct env e;
        env_open(&e, &cfg, &l);
        handshake(&e);
        if (k->want == NULL) {
            if (k->mode == SSPIX_SVC_GREET && !k->gss) {
                CHECK_LOG(&e, "outcome=SEC_E_OK");
            } else {
                CHECK(!sspix_conn_closing(&e.c));
                /* Replays are refused all the same: the fake detects them as the flags say. */
                struct bytes b = {0};
                bool conf = !(k->drop & ASC_RET_CONFIDENTIALITY); /* else gss wraps with integrity only */
                protect(&e, &b, "m", conf ? 0 : SECQOP_WRAP_NO_ENCRYPT,
                        conf ? GSS_WRAP : GSS_WRAP & ~SSPIX_GSSFRAME_ENCRYPTED);
                CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_OPEN);
                CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_CLOSE);
                CHECK_LOG(&e, "outcome=SEC_E_OUT_OF_SEQUENCE");
                free(b.p);
            }
        } else {
            CHECK(sspix_conn_closing(&e.c));
            CHECK_LOG(&e, "legs=3 outcome=weak_context"); /* the last server token is not sent */
            CHECK_LOG(&e, k->want);
            CHECK_LOG(&e, "--allow-weak-context");
            CHECK_EQ_INT(e.f->calls[FAKE_ENCRYPT], 0); /* refused before any message */
        }
        env_close(&e);
    }
}

/* --allow-weak-context takes such a context, and then a replay is processed
 * again: what the rule above is there to prevent. */
static void test_weak_allowed(void)
{
    for (int proto = 0; proto < 2; proto++) {
        struct fake_sspi_config cfg = cfg_default();
        cfg.attrs &= ~(ULONG)(ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT);
        struct sspix_svc_limits l = limits_for(proto, SSPIX_SVC_ECHO);
        l.allow_weak_context = true;
        struct env e;
        env_open(&e, &cfg, &l);
        CHECK_SEC(handshake(&e), SEC_E_OK);
        struct bytes b = {0};
        protect(&e, &b, "again", 0, GSS_WRAP);
        CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_OPEN);
        CHECK_EQ_INT(feed(&e, b.p, b.len), SSPIX_CONN_OPEN);
        if (proto) {
            expect_mic(&e, "again");
        } else {
            expect_echo(&e, "again");
            CHECK(next_frame(&e.out, false, &(uint8_t){0}, &(const uint8_t *){NULL}, &(size_t){0}));
        }
        CHECK_LOG(&e, "messages=2");
        free(b.p);
        env_close(&e);
    }

    /* Without confidentiality the greeting cannot be encrypted: the package's refusal is the outcome. */
    struct fake_sspi_config cfg = cfg_default();
    cfg.attrs &= ~(ULONG)ASC_RET_CONFIDENTIALITY;
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    l.allow_weak_context = true;
    struct env e;
    env_open(&e, &cfg, &l);
    handshake(&e);
    CHECK_LOG(&e, "outcome=SEC_E_QOP_NOT_SUPPORTED");
    env_close(&e);
}

static void test_no_mutual(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.attrs &= ~(ULONG)ASC_RET_MUTUAL_AUTH;
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    struct env e;
    env_open(&e, &cfg, &l);
    handshake(&e);
    /* legs= counts what crossed the wire: the last server token is dropped, not sent. */
    CHECK_LOG(&e, "mutual=no legs=3 outcome=no_mutual");
    CHECK_LOG(&e, "without mutual authentication");
    /* The last server token is not sent, and nothing is encrypted. */
    CHECK_EQ_INT(e.out.len - e.out.off, 0);
    CHECK_EQ_INT(e.f->calls[FAKE_ENCRYPT], 0);
    env_close(&e);

    cfg.package = "NTLM";
    env_open(&e, &cfg, &l);
    handshake(&e);
    CHECK_LOG(&e, "package=NTLM mutual=no legs=3 outcome=no_mutual");
    CHECK_LOG(&e, "NTLM cannot authenticate the server; use --allow-no-mutual");
    env_close(&e);

    l.allow_no_mutual = true;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_LOG(&e, "package=NTLM mutual=no legs=4 outcome=SEC_E_OK");
    env_close(&e);
}

/* ---- the package failing ------------------------------------------------------ */

struct fail_case {
    bool gss;
    enum sspix_svc_mode mode;
    struct fake_sspi_fail fail;
    const char *want;
};

static void test_failures(void)
{
    static const struct fail_case cases[] = {
        {false, SSPIX_SVC_GREET, {FAKE_ACCEPT, 1, SEC_E_LOGON_DENIED, 0, false}, "legs=1 outcome=SEC_E_LOGON_DENIED"},
        {false, SSPIX_SVC_GREET, {FAKE_ACCEPT, 2, SEC_E_TIME_SKEW, 0, true}, "legs=3 outcome=SEC_E_TIME_SKEW"},
        {true, SSPIX_SVC_ECHO, {FAKE_ACCEPT, 2, SEC_E_INVALID_TOKEN, 0, true}, "legs=3 outcome=SEC_E_INVALID_TOKEN"},
        {false, SSPIX_SVC_GREET, {FAKE_ACCEPT, 1, SEC_E_NO_CREDENTIALS, EMFILE, false}, "outcome=no_descriptors"},
        {false, SSPIX_SVC_GREET, {FAKE_QUERY, 1, SEC_E_INTERNAL_ERROR, 0, false}, "outcome=SEC_E_INTERNAL_ERROR"},
        {false,
         SSPIX_SVC_GREET,
         {FAKE_QUERY, 3, SEC_E_UNSUPPORTED_FUNCTION, 0, false},
         "outcome=SEC_E_UNSUPPORTED_FUNCTION"},
        {false, SSPIX_SVC_GREET, {FAKE_ENCRYPT, 1, SEC_E_CONTEXT_EXPIRED, 0, false}, "outcome=SEC_E_CONTEXT_EXPIRED"},
        {false, SSPIX_SVC_ECHO, {FAKE_DECRYPT, 1, SEC_E_DECRYPT_FAILURE, 0, false}, "outcome=SEC_E_DECRYPT_FAILURE"},
        {false, SSPIX_SVC_ECHO, {FAKE_ENCRYPT, 1, SEC_E_ENCRYPT_FAILURE, 0, false}, "outcome=SEC_E_ENCRYPT_FAILURE"},
        {true, SSPIX_SVC_ECHO, {FAKE_DECRYPT, 1, SEC_E_MESSAGE_ALTERED, 0, false}, "outcome=SEC_E_MESSAGE_ALTERED"},
        {true,
         SSPIX_SVC_ECHO,
         {FAKE_SIGN, 1, SEC_E_INSUFFICIENT_MEMORY, 0, false},
         "outcome=SEC_E_INSUFFICIENT_MEMORY"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct fail_case *k = &cases[i];
        struct fake_sspi_config cfg = cfg_default();
        cfg.fail = k->fail;
        struct sspix_svc_limits l = limits_for(k->gss, k->mode);
        struct env e;
        env_open(&e, &cfg, &l);
        handshake(&e);
        if (!sspix_conn_closing(&e.c)) {
            struct bytes b = {0};
            protect(&e, &b, "m", 0, GSS_WRAP);
            feed_bytes(&e, &b);
        }
        CHECK(sspix_conn_closing(&e.c));
        CHECK_LOG(&e, k->want);
        if (k->fail.err == EMFILE) {
            CHECK_LOG(&e, "status=SEC_E_NO_CREDENTIALS");
            CHECK_LOG(&e, "raise RLIMIT_NOFILE");
        }
        env_close(&e); /* an error token handed out with the failure is freed too */
    }
}

/* CompleteAuthToken: run on every leg that asks for it, and the context works after. */
static void test_complete_needed(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.complete_needed = true;
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_EQ_INT(e.f->calls[FAKE_COMPLETE], 2);
    send_protected(&e, "after completion");
    expect_echo(&e, "after completion");
    env_close(&e);

    cfg.fail = (struct fake_sspi_fail){FAKE_COMPLETE, 2, SEC_E_INVALID_TOKEN, 0, false};
    env_open(&e, &cfg, &l);
    handshake(&e);
    CHECK_LOG(&e, "outcome=SEC_E_INVALID_TOKEN");
    env_close(&e);
}

static void test_trailer_too_long(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.trailer = SSPIX_SVC_MAX_TRAILER + 1;
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    struct env e;
    env_open(&e, &cfg, &l);
    handshake(&e);
    CHECK_LOG(&e, "legs=3 outcome=trailer_too_long");
    CHECK_LOG(&e, "cbSecurityTrailer exceeds 1024 bytes");
    env_close(&e);

    cfg.trailer = SSPIX_SVC_MAX_TRAILER; /* at the limit: fine */
    env_open(&e, &cfg, &l);
    handshake(&e);
    CHECK_LOG(&e, "outcome=SEC_E_OK");
    env_close(&e);
}

/* Output is bounded: a peer that sends frames faster than it reads replies is cut off. */
static void test_output_full(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    l.max_token = 64;
    l.max_message = 64;
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    e.out.off = e.out.len;
    struct bytes b = {0};
    char msg[65];
    memset(msg, 'o', 64);
    msg[64] = '\0';
    unsigned n = 0;
    for (; n < 1000 && b.len < 200000; n++)
        protect(&e, &b, msg, 0, 0);
    /* Fed without draining, as an engine whose socket does not drain. */
    CHECK_EQ_INT(sspix_conn_feed(&e.c, b.p, b.len), SSPIX_CONN_CLOSE);
    CHECK_LOG(&e, "outcome=output_full");
    size_t pending;
    sspix_conn_pending(&e.c, &pending);
    CHECK(pending > 0 && pending <= 2u * (64 + SSPIX_SVC_MAX_TRAILER + 16) + 16u * 1024u);
    free(b.p);
    env_close(&e);
}

/* ---- deadlines: the engine's timers, as explicit calls -------------------------- */

static void test_deadlines(void)
{
    struct fake_sspi_config cfg = cfg_default();
    struct env e;
    size_t pending;

    /* In the handshake, with a server token not yet sent: dropped. */
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_ECHO);
    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(sspix_conn_feed(&e.c, (const uint8_t *)"\x07\0\0\0FAKE-C0", 11), SSPIX_CONN_OPEN);
    sspix_conn_pending(&e.c, &pending);
    CHECK(pending > 0);
    sspix_conn_abort(&e.c, "deadline");
    sspix_conn_pending(&e.c, &pending);
    CHECK_EQ_INT(pending, 0);
    CHECK(sspix_conn_closing(&e.c));
    CHECK_EQ_INT(e.f->live_contexts, 0); /* the server's context went with the abort */
    CHECK_LOG(&e, "legs=2 outcome=deadline");
    CHECK_EQ_INT(sspix_conn_feed(&e.c, (const uint8_t *)"\x07\0\0\0FAKE-C1", 11), SSPIX_CONN_CLOSE);
    env_close(&e);

    /* In the session: a frame begun and not finished, an idle session. */
    static const char *const reasons[] = {"message_deadline", "idle", "shutdown", "io_error", "reset"};
    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        for (int proto = 0; proto < 2; proto++) {
            l = limits_for(proto, SSPIX_SVC_ECHO);
            env_open(&e, &cfg, &l);
            CHECK_SEC(handshake(&e), SEC_E_OK);
            if (i == 0)
                feed(&e, "\x04\0\0", 3);
            sspix_conn_abort(&e.c, reasons[i]);
            char want[64];
            snprintf(want, sizeof(want), "outcome=%s", reasons[i]);
            CHECK_LOG(&e, want);
            env_close(&e);
        }
    }

    /* After a clean end with everything sent, a late timer changes nothing. */
    l = limits_for(false, SSPIX_SVC_GREET);
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    sspix_conn_abort(&e.c, "shutdown");
    CHECK_LOG(&e, "outcome=SEC_E_OK");
    env_close(&e);

    /* ... but with the greeting still unsent, the abort is what happened. */
    env_open(&e, &cfg, &l);
    CHECK_EQ_INT(sspix_conn_feed(&e.c, (const uint8_t *)"\x07\0\0\0FAKE-C0", 11), SSPIX_CONN_OPEN);
    drain(&e);
    CHECK_EQ_INT(sspix_conn_feed(&e.c, (const uint8_t *)"\x07\0\0\0FAKE-C1", 11), SSPIX_CONN_CLOSE);
    sspix_conn_pending(&e.c, &pending);
    CHECK(pending > 0);
    sspix_conn_abort(&e.c, "shutdown");
    CHECK_LOG(&e, "outcome=shutdown");
    env_close(&e);

    /* A failure recorded first wins over a later abort. */
    env_open(&e, &cfg, &l);
    feed(&e, "\0\0\0\0", 4);
    sspix_conn_abort(&e.c, "deadline");
    CHECK_LOG(&e, "outcome=empty_token");
    env_close(&e);
}

/* Hostile names cannot split or forge the log line. */
static void test_log_escaping(void)
{
    struct fake_sspi_config cfg = cfg_default();
    cfg.client = "eve outcome=SEC_E_OK\nforged=1";
    cfg.package = "K\"x";
    struct sspix_svc_limits l = limits_for(false, SSPIX_SVC_GREET);
    struct env e;
    env_open(&e, &cfg, &l);
    CHECK_SEC(handshake(&e), SEC_E_OK);
    CHECK_LOG(&e, "client=eve\\x20outcome\\x3dSEC_E_OK\\x0aforged\\x3d1 package=K\\x22x mutual=yes");
    env_close(&e);
}

int main(void)
{
    t = fake_sspi_table();
    test_ms_greet();
    test_ms_legs();
    test_max_legs();
    test_ms_echo();
    test_splits();
    test_ms_replay();
    test_ms_framing();
    test_ms_handshake_framing();
    test_gss_session();
    test_gss_refusals();
    test_weak_contexts();
    test_weak_allowed();
    test_no_mutual();
    test_failures();
    test_complete_needed();
    test_trailer_too_long();
    test_output_full();
    test_deadlines();
    test_log_escaping();
    CHECK_DONE("test_service_fake");
}
