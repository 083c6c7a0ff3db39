/* SPDX-License-Identifier: MIT */
/*
 * test_client_conv.c - the client's conversation (src/client/conv.h) driven
 * with canned server bytes.
 *
 * Most cases run over a scripted SSPI function table: its first
 * InitializeSecurityContext returns the token "TOK1", the second accepts the
 * server token "REPLY1" (anything else is SEC_E_LOGON_DENIED); messages are
 * "protected" by a toy reversible scheme (data XOR 0x5a, a 4-byte trailer
 * that sums the plaintext), so every byte on the wire is known in advance and
 * no KDC is involved. The last case runs one real Kerberos conversation
 * against a real acceptor in the same process (the realm fixture's KDC).
 */
#define SECURITY_WIN32
#include <sspix/sspix.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/conv.h"
#include "common/check.h"
#include "wire/gssframe.h"
#include "wire/msframe.h"
#include "wire/protmsg.h"

#define CHECK_HAS(hay, needle)                                                                                         \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (strstr((hay), (needle)) == NULL) {                                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, (hay),        \
                    (needle));                                                                                         \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* ---- the scripted SSPI table ------------------------------------------------------------------------------------ */

#define TOY_TRAILER 4u

static struct {
    SECURITY_STATUS first_status; /* the first InitializeSecurityContext's result */
    ULONG attrs;                  /* ISC_RET_* on completion */
    ULONG decrypt_qop;            /* what DecryptMessage reports */
    int contexts;                 /* live contexts (DeleteSecurityContext balances them) */
} fake;

static void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
    fake.first_status = SEC_I_CONTINUE_NEEDED;
    fake.attrs = ISC_RET_MUTUAL_AUTH | ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY;
}

static void toy_sum(const uint8_t *data, size_t len, uint8_t out[TOY_TRAILER])
{
    uint32_t sum = 0x12345678u;
    for (size_t i = 0; i < len; i++)
        sum = sum * 31u + data[i];
    for (unsigned i = 0; i < TOY_TRAILER; i++)
        out[i] = (uint8_t)(sum >> (8 * i));
}

static SECURITY_STATUS fake_isc(PCredHandle cred, PCtxtHandle ctx, SEC_CHAR *target, ULONG req, ULONG r1, ULONG rep,
                                PSecBufferDesc in, ULONG r2, PCtxtHandle new_ctx, PSecBufferDesc out, ULONG *attrs,
                                PTimeStamp expiry)
{
    (void)cred, (void)target, (void)req, (void)r1, (void)rep, (void)r2, (void)expiry;
    out->pBuffers[0].cbBuffer = 0;
    out->pBuffers[0].pvBuffer = NULL;
    if (ctx == NULL) {
        if (!SEC_SUCCESS(fake.first_status))
            return fake.first_status;
        new_ctx->dwLower = 1;
        new_ctx->dwUpper = 1;
        fake.contexts++;
        out->pBuffers[0].pvBuffer = malloc(4);
        memcpy(out->pBuffers[0].pvBuffer, "TOK1", 4);
        out->pBuffers[0].cbBuffer = 4;
        *attrs = 0;
        return fake.first_status;
    }
    if (in == NULL || in->pBuffers[0].cbBuffer != 6 || memcmp(in->pBuffers[0].pvBuffer, "REPLY1", 6) != 0)
        return SEC_E_LOGON_DENIED;
    *attrs = fake.attrs;
    return SEC_E_OK;
}

static SECURITY_STATUS fake_delete(PCtxtHandle ctx)
{
    (void)ctx;
    fake.contexts--;
    return SEC_E_OK;
}

static SECURITY_STATUS fake_free(void *p)
{
    free(p);
    return SEC_E_OK;
}

static SECURITY_STATUS fake_query(PCtxtHandle ctx, ULONG attr, void *buf)
{
    (void)ctx;
    if (attr != SECPKG_ATTR_SIZES)
        return SEC_E_UNSUPPORTED_FUNCTION;
    SecPkgContext_Sizes *s = buf;
    memset(s, 0, sizeof(*s));
    s->cbSecurityTrailer = TOY_TRAILER;
    s->cbMaxSignature = TOY_TRAILER;
    s->cbMaxToken = 1024;
    return SEC_E_OK;
}

static SECURITY_STATUS fake_encrypt(PCtxtHandle ctx, ULONG qop, PSecBufferDesc d, ULONG seq)
{
    (void)ctx, (void)qop, (void)seq;
    SecBuffer *tok = &d->pBuffers[0], *data = &d->pBuffers[1];
    uint8_t *p = data->pvBuffer;
    toy_sum(p, data->cbBuffer, tok->pvBuffer);
    tok->cbBuffer = TOY_TRAILER;
    for (ULONG i = 0; i < data->cbBuffer; i++)
        p[i] ^= 0x5a;
    return SEC_E_OK;
}

static SECURITY_STATUS fake_decrypt(PCtxtHandle ctx, PSecBufferDesc d, ULONG seq, ULONG *qop)
{
    (void)ctx, (void)seq;
    SecBuffer *tok = &d->pBuffers[0], *data = &d->pBuffers[1];
    uint8_t *p = data->pvBuffer, sum[TOY_TRAILER];
    for (ULONG i = 0; i < data->cbBuffer; i++)
        p[i] ^= 0x5a;
    toy_sum(p, data->cbBuffer, sum);
    if (tok->cbBuffer != TOY_TRAILER || memcmp(tok->pvBuffer, sum, TOY_TRAILER) != 0)
        return SEC_E_MESSAGE_ALTERED;
    *qop = fake.decrypt_qop;
    return SEC_E_OK;
}

/* The MIC over data is its toy trailer. */
static SECURITY_STATUS fake_verify(PCtxtHandle ctx, PSecBufferDesc d, ULONG seq, ULONG *qop)
{
    (void)ctx, (void)seq;
    uint8_t sum[TOY_TRAILER];
    toy_sum(d->pBuffers[0].pvBuffer, d->pBuffers[0].cbBuffer, sum);
    *qop = 0;
    if (d->pBuffers[1].cbBuffer != TOY_TRAILER || memcmp(d->pBuffers[1].pvBuffer, sum, TOY_TRAILER) != 0)
        return SEC_E_MESSAGE_ALTERED;
    return SEC_E_OK;
}

static SecurityFunctionTableA fake_table = {
    .InitializeSecurityContextA = fake_isc,
    .DeleteSecurityContext = fake_delete,
    .FreeContextBuffer = fake_free,
    .QueryContextAttributesA = fake_query,
    .EncryptMessage = fake_encrypt,
    .DecryptMessage = fake_decrypt,
    .VerifySignature = fake_verify,
};

static CredHandle fake_cred = {1, 1};

static struct sspix_client_params params(enum sspix_client_mode mode, int gss)
{
    struct sspix_client_params p;
    memset(&p, 0, sizeof(p));
    p.sspi = &fake_table;
    p.cred = &fake_cred;
    p.spn = "host/test";
    p.isc_req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY;
    p.require_mutual = 1;
    p.mode = mode;
    p.max_message = 64;
    p.gss = gss;
    p.gss_flags = SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_SEND_MIC;
    return p;
}

/* ---- canned server bytes ------------------------------------------------------------------------------------------
 */

struct bytes {
    uint8_t b[4096];
    size_t n;
};

static void put_u32le(struct bytes *o, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        o->b[o->n++] = (uint8_t)(v >> (8 * i));
}

static void put(struct bytes *o, const void *p, size_t n)
{
    if (n > 0)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

/* A Microsoft-sample handshake frame. */
static struct bytes ms_frame(const char *tok)
{
    struct bytes o = {.n = 0};
    put_u32le(&o, (uint32_t)strlen(tok));
    put(&o, tok, strlen(tok));
    return o;
}

/* A gss-sample frame: flags, u32 BE length, body. */
static struct bytes gss_frame(uint8_t flags, const void *body, size_t n)
{
    struct bytes o = {.n = 0};
    o.b[o.n++] = flags;
    for (int i = 3; i >= 0; i--)
        o.b[o.n++] = (uint8_t)(n >> (8 * i));
    put(&o, body, n);
    return o;
}

/* What the toy server sends for text: u32 LE trailer length | trailer | ciphertext, framed for echoes. */
static struct bytes protected_msg(const char *text, int framed)
{
    struct bytes o = {.n = 0};
    size_t n = strlen(text);
    uint8_t trailer[TOY_TRAILER], data[256];
    memcpy(data, text, n);
    toy_sum(data, n, trailer);
    for (size_t i = 0; i < n; i++)
        data[i] ^= 0x5a;
    if (framed)
        put_u32le(&o, (uint32_t)(4 + TOY_TRAILER + n));
    put_u32le(&o, TOY_TRAILER);
    put(&o, trailer, TOY_TRAILER);
    put(&o, data, n);
    return o;
}

/* Feed b one byte at a time (every split must work). */
static enum sspix_client_state feed_bytewise(struct sspix_client_conv *c, const struct bytes *b)
{
    for (size_t i = 0; i < b->n && c->state != SSPIX_CLIENT_FAILED; i++)
        sspix_client_conv_feed(c, b->b + i, 1);
    return c->state;
}

/* Take everything pending into o (as the socket would). */
static struct bytes drain(struct sspix_client_conv *c)
{
    struct bytes o = {.n = 0};
    const uint8_t *d;
    size_t n;
    sspix_client_conv_pending(c, &d, &n);
    while (n > 0) {
        size_t k = n > 3 ? 3 : n; /* short writes */
        put(&o, d, k);
        sspix_client_conv_sent(c, k);
        sspix_client_conv_pending(c, &d, &n);
    }
    return o;
}

/* Start c and answer the handshake as the toy server. */
static void handshake(struct sspix_client_conv *c, const struct sspix_client_params *p)
{
    sspix_client_conv_init(c, p);
    CHECK_EQ_INT(sspix_client_conv_start(c), SSPIX_CLIENT_HANDSHAKE);
    struct bytes out = drain(c);
    if (p->gss) {
        struct bytes want = gss_frame(SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0);
        struct bytes tok = gss_frame(SSPIX_GSSFRAME_CONTEXT, "TOK1", 4);
        put(&want, tok.b, tok.n);
        CHECK(out.n == want.n && memcmp(out.b, want.b, want.n) == 0);
        struct bytes reply = gss_frame(SSPIX_GSSFRAME_CONTEXT, "REPLY1", 6);
        feed_bytewise(c, &reply);
    } else {
        struct bytes want = ms_frame("TOK1");
        CHECK(out.n == want.n && memcmp(out.b, want.b, want.n) == 0);
        struct bytes reply = ms_frame("REPLY1");
        feed_bytewise(c, &reply);
    }
}

/* ---- cases ------------------------------------------------------------------------------------------------------ */

static void test_greet(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 0);
    struct sspix_client_conv c;
    fake_reset();
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_GREET);
    CHECK(sspix_client_conv_authenticated(&c));
    CHECK(sspix_client_conv_accepted(&c)); /* mutual authentication is the server's proof */
    CHECK_EQ_INT(c.legs, 2);
    CHECK_STR(sspix_client_conv_waiting(&c), "waiting for the greeting");
    struct bytes g = protected_msg("hello alice", 0);
    CHECK_EQ_INT(feed_bytewise(&c, &g), SSPIX_CLIENT_GREET);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_DONE);
    CHECK(c.text_len == 11 && memcmp(c.text, "hello alice", 11) == 0);
    CHECK(!sspix_client_conv_wants_read(&c));
    sspix_client_conv_free(&c);
    sspix_client_conv_free(&c); /* safe twice */
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_first_token_fails(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 0);
    struct sspix_client_conv c;
    const uint8_t *d;
    size_t n;
    fake_reset();
    fake.first_status = SEC_E_TARGET_UNKNOWN;
    sspix_client_conv_init(&c, &p);
    CHECK_EQ_INT(sspix_client_conv_start(&c), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_AUTH);
    CHECK_STR(c.reason, "SEC_E_TARGET_UNKNOWN");
    CHECK_HAS(c.message, "InitializeSecurityContext failed: SEC_E_TARGET_UNKNOWN");
    /* Nothing to send: a driver that starts before connecting never needs to connect. */
    sspix_client_conv_pending(&c, &d, &n);
    CHECK_EQ_INT(n, 0);
    CHECK(!sspix_client_conv_wants_read(&c));
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_no_mutual(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 0);
    struct sspix_client_conv c;
    fake_reset();
    fake.attrs = ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY;
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_NO_MUTUAL);
    CHECK_STR(c.reason, "no-mutual: completed without ISC_RET_MUTUAL_AUTH");
    CHECK_HAS(c.message, "--allow-no-mutual accepts that");
    sspix_client_conv_free(&c);
}

/* Without mutual authentication (NTLM) the context completes before the
 * server has checked our credentials: a close then is a refusal. */
static void test_unaccepted_close(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 0);
    struct sspix_client_conv c;
    fake_reset();
    fake.attrs = ISC_RET_CONFIDENTIALITY | ISC_RET_INTEGRITY;
    p.require_mutual = 0;
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_GREET);
    CHECK(sspix_client_conv_authenticated(&c));
    CHECK(!sspix_client_conv_accepted(&c));
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_AUTH);
    CHECK_STR(c.reason, "closed before accepting us");
    CHECK_HAS(c.message, "the server closed the connection instead of sending a greeting, before the server showed "
                         "that it accepted our credentials");
    sspix_client_conv_free(&c);

    /* A reset is the same refusal. */
    handshake(&c, &p);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, ECONNRESET), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_AUTH);
    sspix_client_conv_free(&c);

    /* A greeting that decrypts is the server's acceptance. */
    handshake(&c, &p);
    struct bytes g = protected_msg("hi", 0);
    feed_bytewise(&c, &g);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_DONE);
    CHECK(sspix_client_conv_accepted(&c));
    sspix_client_conv_free(&c);

    /* Echo mode: closing instead of the first echo is a refusal too. */
    p.mode = SSPIX_CLIENT_MODE_ECHO;
    handshake(&c, &p);
    CHECK_EQ_INT(sspix_client_conv_send(&c, "abc", 3), SSPIX_CLIENT_ECHO_WAIT);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, ECONNRESET), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_AUTH);
    CHECK_HAS(c.message, "instead of echoing message 1, before the server showed that it accepted our credentials");
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_handshake_refusals(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 0);
    struct sspix_client_conv c;
    fake_reset();

    /* Closed before its token. */
    sspix_client_conv_init(&c, &p);
    sspix_client_conv_start(&c);
    drain(&c);
    uint8_t half[2] = {6, 0};
    sspix_client_conv_feed(&c, half, sizeof(half));
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_NO_MUTUAL);
    CHECK_STR(c.reason, "no-mutual: closed during handshake");
    CHECK_HAS(c.message, "closed the connection during the handshake in the middle of a frame (2 bytes of it");
    sspix_client_conv_free(&c);

    /* A frame over the token limit is refused from its length alone. */
    sspix_client_conv_init(&c, &p);
    sspix_client_conv_start(&c);
    struct bytes big = {.n = 0};
    put_u32le(&big, SSPIX_CLIENT_MAX_TOKEN + 1);
    CHECK_EQ_INT(feed_bytewise(&c, &big), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "no-mutual: oversized frame");
    sspix_client_conv_free(&c);

    /* A token the context rejects. */
    sspix_client_conv_init(&c, &p);
    sspix_client_conv_start(&c);
    struct bytes junk = ms_frame("JUNK");
    CHECK_EQ_INT(feed_bytewise(&c, &junk), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_NO_MUTUAL);
    CHECK_STR(c.reason, "no-mutual: SEC_E_LOGON_DENIED");
    CHECK_HAS(c.message, "server did not prove its identity: InitializeSecurityContext on its reply failed");
    sspix_client_conv_free(&c);

    /* A made-up greeting instead of a token: the server never proved itself. */
    sspix_client_conv_init(&c, &p);
    sspix_client_conv_start(&c);
    struct bytes g = protected_msg("Hello alice", 0);
    sspix_client_conv_feed(&c, g.b, g.n);
    sspix_client_conv_eof(&c, 0);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_NO_MUTUAL);
    CHECK(!sspix_client_conv_authenticated(&c));
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_echo(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_ECHO, 0);
    struct sspix_client_conv c;
    fake_reset();
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_ECHO_IDLE);
    CHECK(!sspix_client_conv_wants_read(&c));

    /* What goes out is the framed protected message of "ping". */
    CHECK_EQ_INT(sspix_client_conv_send(&c, "ping", 4), SSPIX_CLIENT_ECHO_WAIT);
    struct bytes out = drain(&c), want = protected_msg("ping", 1);
    CHECK(out.n == want.n && memcmp(out.b, want.b, want.n) == 0);
    CHECK_EQ_INT(feed_bytewise(&c, &want), SSPIX_CLIENT_ECHO_IDLE);
    CHECK_EQ_INT(c.messages, 1);
    CHECK_EQ_INT(c.bytes, 4);
    CHECK(c.text_len == 4 && memcmp(c.text, "ping", 4) == 0);

    /* An empty message is legal both ways. */
    CHECK_EQ_INT(sspix_client_conv_send(&c, "", 0), SSPIX_CLIENT_ECHO_WAIT);
    struct bytes empty = protected_msg("", 1);
    drain(&c);
    CHECK_EQ_INT(feed_bytewise(&c, &empty), SSPIX_CLIENT_ECHO_IDLE);
    CHECK_EQ_INT(c.messages, 2);

    /* Over --max-message: refused before anything is queued. */
    char big[65];
    memset(big, 'x', sizeof(big));
    CHECK_EQ_INT(sspix_client_conv_send(&c, big, sizeof(big)), SSPIX_CLIENT_FAILED);
    CHECK_HAS(c.message, "message 3 is 65 bytes, over the limit of 64 bytes (--max-message); not sent");
    sspix_client_conv_free(&c);

    /* End of session: an empty frame, then the server closes. */
    handshake(&c, &p);
    CHECK_EQ_INT(sspix_client_conv_end(&c), SSPIX_CLIENT_CLOSING);
    out = drain(&c);
    CHECK(out.n == 4 && memcmp(out.b, "\0\0\0\0", 4) == 0);
    uint8_t extra = 'x';
    sspix_client_conv_feed(&c, &extra, 1);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_FAILED);
    CHECK_HAS(c.message, "1 unexpected bytes after the end of the session");
    sspix_client_conv_free(&c);
    handshake(&c, &p);
    sspix_client_conv_end(&c);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_DONE);
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_echo_refusals(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_ECHO, 0);
    struct sspix_client_conv c;
    fake_reset();

    /* A different echo. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "ping", 4);
    struct bytes other = protected_msg("pong", 1);
    CHECK_EQ_INT(feed_bytewise(&c, &other), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_PROTOCOL);
    CHECK_STR(c.reason, "echo mismatch");
    sspix_client_conv_free(&c);

    /* A tampered echo. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "ping", 4);
    struct bytes bad = protected_msg("ping", 1);
    bad.b[bad.n - 1] ^= 1;
    CHECK_EQ_INT(feed_bytewise(&c, &bad), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "SEC_E_MESSAGE_ALTERED");
    CHECK_HAS(c.message, "the echo of message 1 did not decrypt: DecryptMessage failed");
    sspix_client_conv_free(&c);

    /* Integrity only, where confidentiality was asked for. */
    handshake(&c, &p);
    fake.decrypt_qop = SECQOP_WRAP_NO_ENCRYPT;
    sspix_client_conv_send(&c, "ping", 4);
    struct bytes plain = protected_msg("ping", 1);
    CHECK_EQ_INT(feed_bytewise(&c, &plain), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "not encrypted");
    fake.decrypt_qop = 0;
    sspix_client_conv_free(&c);

    /* An end frame instead of the echo. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "ping", 4);
    struct bytes end = {.n = 0};
    put_u32le(&end, 0);
    CHECK_EQ_INT(feed_bytewise(&c, &end), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "end frame instead of echo");
    sspix_client_conv_free(&c);

    /* After mutual authentication a close instead of the echo is a protocol error, not a refusal. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "ping", 4);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_FAILED);
    CHECK_EQ_INT(c.exit_code, SSPIX_CLIENT_EXIT_PROTOCOL);
    CHECK_HAS(c.message, "the server closed the connection instead of echoing message 1 (4 bytes)");
    sspix_client_conv_free(&c);

    /* A frame over --max-message plus the slack. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "ping", 4);
    struct bytes huge = {.n = 0};
    put_u32le(&huge, 64 + SSPIX_CLIENT_MESSAGE_SLACK + 1);
    CHECK_EQ_INT(feed_bytewise(&c, &huge), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "oversized frame");
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_gss_sample(void)
{
    struct sspix_client_params p = params(SSPIX_CLIENT_MODE_GREET, 1);
    struct sspix_client_conv c;
    fake_reset();

    /* Greet mode: authenticated, then the end NOOP at once. */
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_CLOSING);
    struct bytes out = drain(&c), noop = gss_frame(SSPIX_GSSFRAME_NOOP, NULL, 0);
    CHECK(out.n == noop.n && memcmp(out.b, noop.b, noop.n) == 0);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_DONE);
    sspix_client_conv_free(&c);

    /* Echo mode with a MIC: the unwrapped message goes out, its MIC comes back. */
    p.mode = SSPIX_CLIENT_MODE_ECHO;
    handshake(&c, &p);
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_ECHO_IDLE);
    CHECK_EQ_INT(sspix_client_conv_send(&c, "data", 4), SSPIX_CLIENT_ECHO_WAIT);
    out = drain(&c);
    struct bytes want = gss_frame(SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_SEND_MIC, "data", 4);
    CHECK(out.n == want.n && memcmp(out.b, want.b, want.n) == 0);
    uint8_t mic[TOY_TRAILER];
    toy_sum((const uint8_t *)"data", 4, mic);
    struct bytes reply = gss_frame(SSPIX_GSSFRAME_MIC, mic, sizeof(mic));
    CHECK_EQ_INT(feed_bytewise(&c, &reply), SSPIX_CLIENT_ECHO_IDLE);
    CHECK_EQ_INT(c.messages, 1);

    /* A MIC that does not verify. */
    sspix_client_conv_send(&c, "data", 4);
    mic[0] ^= 1;
    reply = gss_frame(SSPIX_GSSFRAME_MIC, mic, sizeof(mic));
    CHECK_EQ_INT(feed_bytewise(&c, &reply), SSPIX_CLIENT_FAILED);
    CHECK_HAS(c.message, "the MIC in the reply to message 2 does not verify");
    sspix_client_conv_free(&c);

    /* A NOOP where a MIC was asked for. */
    handshake(&c, &p);
    sspix_client_conv_send(&c, "data", 4);
    CHECK_EQ_INT(feed_bytewise(&c, &noop), SSPIX_CLIENT_FAILED);
    CHECK_STR(c.reason, "no MIC");
    sspix_client_conv_free(&c);
    CHECK_EQ_INT(fake.contexts, 0);
}

static void test_flag_names(void)
{
    char buf[256];
    CHECK_STR(sspix_client_flag_names(ISC_RET_MUTUAL_AUTH | ISC_RET_CONFIDENTIALITY, buf, sizeof(buf)),
              "MUTUAL_AUTH CONFIDENTIALITY");
    CHECK_STR(sspix_client_flag_names(0, buf, sizeof(buf)), "");
    char tiny[8];
    sspix_client_flag_names(ISC_RET_MUTUAL_AUTH | ISC_RET_CONFIDENTIALITY, tiny, sizeof(tiny));
    CHECK(strlen(tiny) < sizeof(tiny));
}

/* ---- one real conversation -------------------------------------------------------------------------------------- */

/* The client against a real Kerberos acceptor: handshake, then a greeting
 * protected by the acceptor, through the same byte-level calls. */
static void test_real_kerberos(void)
{
    PSecurityFunctionTableA t = InitSecurityInterfaceA();
    CredHandle ccred, scred;
    CtxtHandle sctx;
    TimeStamp exp;
    ULONG sattrs = 0;
    need_env("KRB5CCNAME");
    CHECK_SEC(t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                           &ccred, &exp),
              SEC_E_OK);
    CHECK_SEC(t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                           &scred, &exp),
              SEC_E_OK);
    struct sspix_client_params p;
    memset(&p, 0, sizeof(p));
    p.sspi = t;
    p.cred = &ccred;
    p.spn = "host/localhost";
    p.isc_req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                ISC_REQ_SEQUENCE_DETECT;
    p.require_mutual = 1;
    p.mode = SSPIX_CLIENT_MODE_GREET;
    p.max_message = 4096;

    struct sspix_client_conv c;
    sspix_client_conv_init(&c, &p);
    CHECK_EQ_INT(sspix_client_conv_start(&c), SSPIX_CLIENT_HANDSHAKE);
    const uint8_t *d;
    size_t n;
    sspix_client_conv_pending(&c, &d, &n);
    CHECK(n > 4 &&
          (size_t)((uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24) == n - 4);

    uint8_t out[65536];
    SecBuffer ib = {(ULONG)(n - 4), SECBUFFER_TOKEN, (void *)(d + 4)}, ob = {sizeof(out), SECBUFFER_TOKEN, out};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
    CHECK_SEC(t->AcceptSecurityContext(&scred, NULL, &in, ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY, 0, &sctx, &od,
                                       &sattrs, &exp),
              SEC_E_OK);
    sspix_client_conv_sent(&c, n);
    sspix_writer w;
    sspix_writer_init_heap(&w, 1u << 20);
    CHECK_EQ_INT(sspix_msframe_encode(&w, out, ob.cbBuffer), 0);
    sspix_client_conv_feed(&c, sspix_writer_data(&w), sspix_writer_len(&w));
    CHECK_EQ_INT(c.state, SSPIX_CLIENT_GREET);
    CHECK(c.attrs & ISC_RET_MUTUAL_AUTH);
    CHECK(sspix_client_conv_accepted(&c));

    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributesA(&sctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    const char *text = "Hello alice from a real acceptor";
    uint8_t trailer[1024], data[64];
    memcpy(data, text, strlen(text));
    SecBuffer mb[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer},
                       {(ULONG)strlen(text), SECBUFFER_DATA, data}};
    SecBufferDesc md = {SECBUFFER_VERSION, 2, mb};
    CHECK_SEC(t->EncryptMessage(&sctx, 0, &md, 0), SEC_E_OK);
    sspix_writer_reset(&w);
    CHECK_EQ_INT(sspix_protmsg_encode(&w, mb[0].pvBuffer, mb[0].cbBuffer, mb[1].pvBuffer, mb[1].cbBuffer), 0);
    /* In two pieces, then the close. */
    sspix_client_conv_feed(&c, sspix_writer_data(&w), 7);
    sspix_client_conv_feed(&c, sspix_writer_data(&w) + 7, sspix_writer_len(&w) - 7);
    CHECK_EQ_INT(sspix_client_conv_eof(&c, 0), SSPIX_CLIENT_DONE);
    CHECK(c.text_len == strlen(text) && memcmp(c.text, text, c.text_len) == 0);

    sspix_writer_free(&w);
    sspix_client_conv_free(&c);
    t->DeleteSecurityContext(&sctx);
    t->FreeCredentialsHandle(&ccred);
    t->FreeCredentialsHandle(&scred);
}

int main(void)
{
    test_greet();
    test_first_token_fails();
    test_no_mutual();
    test_unaccepted_close();
    test_handshake_refusals();
    test_echo();
    test_echo_refusals();
    test_gss_sample();
    test_flag_names();
    test_real_kerberos();
    CHECK_DONE("test_client_conv");
}
