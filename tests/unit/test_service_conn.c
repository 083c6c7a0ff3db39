/* SPDX-License-Identifier: MIT */
/*
 * test_service_conn.c - the per-connection state machine (src/service/conn.c,
 * proto_ms.c) driven in-process: a client context made with
 * InitializeSecurityContext from the SSPI table, its bytes fed to the conn in
 * every split, no sockets. Needs the realm (ctest fixture).
 *
 * With SSPIX_CAPTURE_DIR set, the client->server byte streams of the sessions
 * below are written there (the seeds of fuzz/corpus/conn).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/check.h"
#include "service/config.h"
#include "service/conn.h"

static PSecurityFunctionTableA t;

#define ISC_FLAGS                                                                                                      \
    (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |                       \
     ISC_REQ_SEQUENCE_DETECT | ISC_REQ_ALLOCATE_MEMORY)

/* The client side of one connection, and everything it sent. */
struct client {
    CredHandle cred;
    CtxtHandle ctx;
    bool have_ctx;
    ULONG attrs;
    SECURITY_STATUS st;
    sspix_writer sent; /* client -> server bytes */
    uint8_t *first;    /* the first frame (header + token) */
    size_t first_len;
};

static void client_init(struct client *c, const char *package)
{
    TimeStamp ts;
    memset(c, 0, sizeof(*c));
    CHECK_SEC(t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                           &c->cred, &ts),
              SEC_E_OK);
    sspix_writer_init_heap(&c->sent, 1u << 24);
}

static void client_free(struct client *c)
{
    if (c->have_ctx)
        t->DeleteSecurityContext(&c->ctx);
    t->FreeCredentialsHandle(&c->cred);
    sspix_writer_free(&c->sent);
    free(c->first);
}

static void save(const char *name, const uint8_t *p, size_t n)
{
    const char *dir = getenv("SSPIX_CAPTURE_DIR");
    char path[1024];
    if (dir == NULL || *dir == '\0')
        return;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(p, 1, n, f) == n || n == 0);
    fclose(f);
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Feed bytes to the conn in chunks of `split` (0: all at once); record them. */
static int feed(sspix_conn *conn, struct client *cl, const uint8_t *p, size_t n, size_t split)
{
    int v = SSPIX_CONN_OPEN;
    if (cl != NULL)
        CHECK(sspix_writer_put_bytes(&cl->sent, p, n) == 0);
    if (split == 0)
        split = n ? n : 1;
    for (size_t off = 0; off < n && v == SSPIX_CONN_OPEN; off += split)
        v = sspix_conn_feed(conn, p + off, n - off < split ? n - off : split);
    return v;
}

/* Take all pending output. */
static size_t drain(sspix_conn *conn, uint8_t *buf, size_t cap)
{
    size_t len, got = 0;
    const uint8_t *p;
    while ((p = sspix_conn_pending(conn, &len)) != NULL) {
        size_t k = len < 1000 ? len : 1000; /* partial sends */
        CHECK(got + k <= cap);
        memcpy(buf + got, p, k);
        got += k;
        sspix_conn_sent(conn, k);
    }
    return got;
}

/*
 * Run a handshake through conn. Returns the conn's verdict after the last
 * client token; *rest / *rest_len is server output after the last handshake
 * token the client consumed (the greeting in greet mode).
 */
static int handshake(sspix_conn *conn, struct client *cl, const char *spn, ULONG flags, size_t split, uint8_t *out,
                     size_t *rest_off, size_t *out_len)
{
    uint8_t *in = NULL;
    size_t in_len = 0, got = 0, off = 0;
    int v = SSPIX_CONN_OPEN;
    for (int round = 0; round < 8; round++) {
        SecBuffer ib = {(ULONG)in_len, SECBUFFER_TOKEN, in}, ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        TimeStamp ts;
        cl->st = t->InitializeSecurityContextA(&cl->cred, cl->have_ctx ? &cl->ctx : NULL, (SEC_CHAR *)spn, flags, 0,
                                               SECURITY_NATIVE_DREP, cl->have_ctx ? &id : NULL, 0, &cl->ctx, &od,
                                               &cl->attrs, &ts);
        CHECK(SEC_SUCCESS(cl->st));
        cl->have_ctx = true;
        if (ob.cbBuffer > 0) {
            uint8_t *frame = malloc(4 + ob.cbBuffer);
            CHECK(frame != NULL);
            put_u32le(frame, ob.cbBuffer);
            memcpy(frame + 4, ob.pvBuffer, ob.cbBuffer);
            if (cl->first == NULL) {
                cl->first = frame;
                cl->first_len = 4 + ob.cbBuffer;
                frame = NULL;
                v = feed(conn, cl, cl->first, cl->first_len, split);
            } else {
                v = feed(conn, cl, frame, 4 + ob.cbBuffer, split);
            }
            free(frame);
            t->FreeContextBuffer(ob.pvBuffer);
            got += drain(conn, out + got, (1u << 20) - got);
        }
        if (cl->st == SEC_E_OK || got - off < 4)
            break;
        /* The next server token. */
        in_len = get_u32le(out + off);
        CHECK(got - off - 4 >= in_len);
        in = out + off + 4;
        off += 4 + in_len;
    }
    *rest_off = off;
    *out_len = got;
    return v;
}

static sspix_svc_cred *server_cred(const char *package, struct sspix_svc_limits *lim)
{
    sspix_svc_cred *c;
    CHECK_SEC(sspix_svc_cred_acquire(package, NULL, NULL, lim, &c), SEC_E_OK);
    return c;
}

static void default_limits(struct sspix_svc_limits *l, enum sspix_svc_mode mode)
{
    sspix_svc_config cfg;
    sspix_svc_config_init(&cfg);
    cfg.mode = mode;
    sspix_svc_config_limits(&cfg, l);
}

static void check_log(const sspix_conn *conn, const char *want)
{
    char line[1024];
    sspix_conn_log_line(conn, "127.0.0.1:1", 1.0, line, sizeof(line));
    if (strstr(line, want) == NULL)
        fprintf(stderr, "log line: %s\n  lacks: %s\n", line, want);
    CHECK(strstr(line, want) != NULL);
}

static uint8_t outbuf[1u << 20];

/* greet, for one package and one way of splitting the input. */
static void test_greet(const char *package, size_t split, const char *capture)
{
    struct sspix_svc_limits lim;
    default_limits(&lim, SSPIX_SVC_GREET);
    sspix_svc_cred *cred = server_cred(package, &lim);
    struct client cl;
    sspix_conn conn;
    size_t off, len;

    client_init(&cl, package);
    sspix_conn_init(&conn, cred);
    sspix_svc_cred_unref(cred); /* the conn holds its own reference */
    CHECK(sspix_conn_in_handshake(&conn));
    int v = handshake(&conn, &cl, "host/localhost", ISC_FLAGS, split, outbuf, &off, &len);
    CHECK_SEC(cl.st, SEC_E_OK);
    CHECK(cl.attrs & ISC_RET_MUTUAL_AUTH);
    CHECK_EQ_INT(v, SSPIX_CONN_CLOSE);
    CHECK(sspix_conn_closing(&conn));
    CHECK(conn.mutual);
    CHECK_EQ_INT(conn.legs, 2);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0); /* handshake buffers gone, output sent */

    /* The greeting: u32 LE trailer length | trailer | ciphertext, to the end. */
    CHECK(len - off >= 4);
    uint8_t *g = outbuf + off;
    uint32_t tl = get_u32le(g);
    CHECK(tl >= 60 && tl <= len - off - 4);
    SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, g + 4}, {(ULONG)(len - off - 4 - tl), SECBUFFER_DATA, g + 4 + tl}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    CHECK_SEC(t->DecryptMessage(&cl.ctx, &d, 0, &qop), SEC_E_OK);
    char text[512];
    snprintf(text, sizeof(text), "%.*s", (int)b[1].cbBuffer, (char *)b[1].pvBuffer);
    char want[512];
    snprintf(want, sizeof(want), "Hello alice@%s \xe2\x80\x94 you are talking to host/localhost@%s over Kerberos",
             need_env("SSPIX_REALM"), need_env("SSPIX_REALM"));
    CHECK_STR(text, want);

    check_log(&conn, "client=alice@");
    check_log(&conn, "package=Kerberos mutual=yes legs=2 outcome=SEC_E_OK");
    check_log(&conn, "mode=greet");
    /* Input after the end is ignored. */
    CHECK_EQ_INT(sspix_conn_feed(&conn, (const uint8_t *)"xx", 2), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_eof(&conn), SSPIX_CONN_CLOSE);
    if (capture)
        save(capture, sspix_writer_data(&cl.sent), sspix_writer_len(&cl.sent));

    /* Replay: the first token of this successful session on a new connection. */
    if (split == 0) {
        sspix_svc_cred *c2 = server_cred(package, &lim);
        sspix_conn replay;
        sspix_conn_init(&replay, c2);
        sspix_svc_cred_unref(c2);
        CHECK_EQ_INT(sspix_conn_feed(&replay, cl.first, cl.first_len), SSPIX_CONN_CLOSE);
        CHECK(replay.status != SEC_E_OK);
        CHECK(replay.detail != NULL && strstr(replay.detail, "replay") != NULL);
        size_t pend;
        CHECK(sspix_conn_pending(&replay, &pend) == NULL && pend == 0);
        sspix_conn_free(&replay);
    }
    sspix_conn_free(&conn);
    sspix_conn_free(&conn); /* twice is fine */
    client_free(&cl);
}

/* One echo message; returns the verdict. */
static int echo_one(sspix_conn *conn, struct client *cl, size_t n, size_t split, bool expect_reply)
{
    SecPkgContext_Sizes sizes;
    CHECK_SEC(t->QueryContextAttributesA(&cl->ctx, SECPKG_ATTR_SIZES, &sizes), SEC_E_OK);
    uint8_t *msg = malloc(8 + sizes.cbSecurityTrailer + n + 1);
    CHECK(msg != NULL);
    uint8_t *data = msg + 8 + sizes.cbSecurityTrailer;
    for (size_t k = 0; k < n; k++)
        data[k] = (uint8_t)(k * 13 + 1);
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, msg + 8}, {(ULONG)n, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    CHECK_SEC(t->EncryptMessage(&cl->ctx, 0, &d, 0), SEC_E_OK);
    memmove(msg + 8 + b[0].cbBuffer, data, n);
    put_u32le(msg, (uint32_t)(4 + b[0].cbBuffer + n));
    put_u32le(msg + 4, b[0].cbBuffer);
    int v = feed(conn, cl, msg, 8 + b[0].cbBuffer + n, split);
    free(msg);
    size_t len = drain(conn, outbuf, sizeof(outbuf));
    if (!expect_reply) {
        CHECK_EQ_INT(len, 0);
        return v;
    }
    CHECK_EQ_INT(v, SSPIX_CONN_OPEN);
    CHECK(len >= 8 && get_u32le(outbuf) == len - 4);
    uint32_t tl = get_u32le(outbuf + 4);
    CHECK(tl <= len - 8);
    SecBuffer e[2] = {{tl, SECBUFFER_TOKEN, outbuf + 8}, {(ULONG)(len - 8 - tl), SECBUFFER_DATA, outbuf + 8 + tl}};
    SecBufferDesc ed = {SECBUFFER_VERSION, 2, e};
    ULONG qop;
    CHECK_SEC(t->DecryptMessage(&cl->ctx, &ed, 0, &qop), SEC_E_OK);
    CHECK_EQ_INT(e[1].cbBuffer, n);
    for (size_t k = 0; k < n; k++)
        CHECK(((uint8_t *)e[1].pvBuffer)[k] == (uint8_t)(k * 13 + 1));
    return v;
}

static void echo_session(const char *package, sspix_conn *conn, struct client *cl, uint32_t max_message)
{
    struct sspix_svc_limits lim;
    size_t off, len;
    default_limits(&lim, SSPIX_SVC_ECHO);
    lim.max_message = max_message;
    sspix_svc_cred *cred = server_cred(package, &lim);
    client_init(cl, package);
    sspix_conn_init(conn, cred);
    sspix_svc_cred_unref(cred);
    CHECK_EQ_INT(handshake(conn, cl, "host/localhost", ISC_FLAGS, 0, outbuf, &off, &len), SSPIX_CONN_OPEN);
    CHECK_SEC(cl->st, SEC_E_OK);
    CHECK_EQ_INT(off, len);
    CHECK(!sspix_conn_in_handshake(conn));
}

static void test_echo(const char *package, const char *capture)
{
    sspix_conn conn;
    struct client cl;
    echo_session(package, &conn, &cl, 65536);
    echo_one(&conn, &cl, 0, 0, true);
    echo_one(&conn, &cl, 1, 0, true);
    echo_one(&conn, &cl, 1000, 7, true);
    echo_one(&conn, &cl, 65536, 0, true);
    CHECK_EQ_INT(conn.messages, 4);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0); /* idle: nothing held */
    /* An empty frame ends the session cleanly. */
    static const uint8_t empty[4] = {0};
    CHECK_EQ_INT(feed(&conn, &cl, empty, 4, 0), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=SEC_E_OK");
    check_log(&conn, "mode=echo messages=4");
    if (capture)
        save(capture, sspix_writer_data(&cl.sent), sspix_writer_len(&cl.sent));
    sspix_conn_free(&conn);
    client_free(&cl);

    /* 65537 bytes: refused, closed, logged. */
    echo_session(package, &conn, &cl, 65536);
    CHECK_EQ_INT(echo_one(&conn, &cl, 65537, 0, false), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=too_long");
    sspix_conn_free(&conn);
    client_free(&cl);

    /* EOF at a frame boundary: clean; inside a frame: truncated. */
    echo_session(package, &conn, &cl, 65536);
    echo_one(&conn, &cl, 3, 1, true);
    CHECK_EQ_INT(sspix_conn_eof(&conn), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=SEC_E_OK");
    sspix_conn_free(&conn);
    client_free(&cl);
    echo_session(package, &conn, &cl, 65536);
    static const uint8_t part[6] = {50, 0, 0, 0, 1, 2};
    CHECK_EQ_INT(feed(&conn, &cl, part, sizeof(part), 0), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_eof(&conn), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=truncated");
    sspix_conn_free(&conn);
    client_free(&cl);

    /* A frame over max message + max trailer: refused before allocation. */
    echo_session(package, &conn, &cl, 100);
    uint8_t big[4];
    put_u32le(big, 100 + SSPIX_SVC_MAX_TRAILER + 1);
    CHECK_EQ_INT(feed(&conn, &cl, big, 4, 0), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0);
    check_log(&conn, "outcome=too_long");
    sspix_conn_free(&conn);
    client_free(&cl);

    /* A tampered message: DecryptMessage refuses it. */
    echo_session(package, &conn, &cl, 65536);
    uint8_t bad[4 + 4 + 80];
    memset(bad, 0x41, sizeof(bad));
    put_u32le(bad, sizeof(bad) - 4);
    put_u32le(bad + 4, 60);
    CHECK_EQ_INT(feed(&conn, &cl, bad, sizeof(bad), 0), SSPIX_CONN_CLOSE);
    CHECK(conn.status != SEC_E_OK);
    sspix_conn_free(&conn);
    client_free(&cl);
}

/* Hostile handshake input: each one closes, with the right outcome, and never
 * allocates for a length over the limit. */
static void test_hostile(void)
{
    struct sspix_svc_limits lim;
    default_limits(&lim, SSPIX_SVC_GREET);
    sspix_svc_cred *cred = server_cred("Negotiate", &lim);
    sspix_conn conn;
    static const uint8_t ffff[4] = {0xff, 0xff, 0xff, 0xff};
    static const uint8_t over[4] = {0x01, 0x00, 0x01, 0x00}; /* 65537 */
    static const uint8_t zero[4] = {0, 0, 0, 0};

    sspix_conn_init(&conn, cred);
    CHECK_EQ_INT(sspix_conn_feed(&conn, ffff, 4), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0);
    check_log(&conn, "outcome=too_long");
    sspix_conn_free(&conn);

    sspix_conn_init(&conn, cred);
    for (int i = 0; i < 3; i++)
        CHECK_EQ_INT(sspix_conn_feed(&conn, over + i, 1), SSPIX_CONN_OPEN);
    CHECK_EQ_INT(sspix_conn_feed(&conn, over + 3, 1), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0);
    sspix_conn_free(&conn);

    sspix_conn_init(&conn, cred);
    CHECK_EQ_INT(sspix_conn_feed(&conn, zero, 4), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=empty_token");
    sspix_conn_free(&conn);

    /* Truncated frame then EOF; nothing then EOF. */
    sspix_conn_init(&conn, cred);
    static const uint8_t trunc[7] = {100, 0, 0, 0, 0x60, 0x82, 0x01};
    CHECK_EQ_INT(sspix_conn_feed(&conn, trunc, sizeof(trunc)), SSPIX_CONN_OPEN);
    CHECK(sspix_conn_buffered(&conn) > 0);
    CHECK_EQ_INT(sspix_conn_eof(&conn), SSPIX_CONN_CLOSE);
    CHECK_EQ_INT(sspix_conn_buffered(&conn), 0);
    check_log(&conn, "outcome=truncated");
    sspix_conn_free(&conn);
    sspix_conn_init(&conn, cred);
    CHECK_EQ_INT(sspix_conn_eof(&conn), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=eof");
    sspix_conn_abort(&conn, "deadline"); /* an outcome is kept */
    check_log(&conn, "outcome=eof");
    sspix_conn_free(&conn);

    /* Timer: the deadline is recorded. */
    sspix_conn_init(&conn, cred);
    sspix_conn_abort(&conn, "deadline");
    check_log(&conn, "outcome=deadline");
    CHECK_EQ_INT(sspix_conn_feed(&conn, zero, 4), SSPIX_CONN_CLOSE);
    sspix_conn_free(&conn);

    /* Garbage tokens in valid framing. */
    uint8_t junk[4 + 200];
    srand(7);
    for (int round = 0; round < 4; round++) {
        put_u32le(junk, 200);
        for (size_t i = 4; i < sizeof(junk); i++)
            junk[i] = (uint8_t)rand();
        if (round == 1)
            junk[4] = 0x60; /* looks like a GSS token */
        if (round == 2)
            memcpy(junk + 4, "\x60\x81\xc5\x06\x06\x2b\x06\x01\x05\x05\x02", 11); /* SPNEGO, then junk */
        if (round == 3)
            memcpy(junk + 4, "\x60\x81\xc5\x06\x09\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x01\x00", 16); /* krb5 AP-REQ */
        sspix_conn_init(&conn, cred);
        CHECK_EQ_INT(sspix_conn_feed(&conn, junk, sizeof(junk)), SSPIX_CONN_CLOSE);
        CHECK(!SEC_SUCCESS(conn.status));
        CHECK(conn.detail != NULL);
        check_log(&conn, "reason=\"");
        CHECK_EQ_INT(conn.legs, 1);
        sspix_conn_free(&conn);
    }
    sspix_svc_cred_unref(cred);
}

/* SPNEGO NegTokenInit offering krb5 with no optimistic token: the acceptor
 * answers with a continue, which lets a test run into max_legs. */
static const uint8_t neg_init_no_token[] = {0x60, 0x1b, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02,
                                            0xa0, 0x11, 0x30, 0x0f, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09,
                                            0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

static void test_max_legs(void)
{
    struct sspix_svc_limits lim;
    default_limits(&lim, SSPIX_SVC_GREET);
    lim.max_legs = 2;
    sspix_svc_cred *cred = server_cred("Negotiate", &lim);
    sspix_conn conn;
    uint8_t frame[4 + sizeof(neg_init_no_token)];
    put_u32le(frame, sizeof(neg_init_no_token));
    memcpy(frame + 4, neg_init_no_token, sizeof(neg_init_no_token));

    sspix_conn_init(&conn, cred);
    int v = sspix_conn_feed(&conn, frame, sizeof(frame));
    if (v == SSPIX_CONN_OPEN) {
        /* CONTINUE with a NegTokenResp: legs 2 (in, out). The next token is one too many. */
        CHECK_SEC(conn.status, SEC_I_CONTINUE_NEEDED);
        size_t n = drain(&conn, outbuf, sizeof(outbuf));
        CHECK(n > 4);
        CHECK_EQ_INT(conn.legs, 2);
        CHECK_EQ_INT(sspix_conn_feed(&conn, frame, sizeof(frame)), SSPIX_CONN_CLOSE);
        check_log(&conn, "outcome=max_legs");
        CHECK_EQ_INT(conn.legs, 2);
    } else {
        fprintf(stderr,
                "note: this SPNEGO acceptor refuses a NegTokenInit without a token (%s); max_legs is "
                "tested with max_legs = 0 semantics instead\n",
                sspix_status_name(conn.status));
    }
    sspix_conn_free(&conn);
    sspix_svc_cred_unref(cred);

    /* max_legs 1: the first token is always taken, a second never. */
    default_limits(&lim, SSPIX_SVC_GREET);
    lim.max_legs = 1;
    cred = server_cred("Negotiate", &lim);
    sspix_conn_init(&conn, cred);
    conn.legs = 1; /* as after one token */
    CHECK_EQ_INT(sspix_conn_feed(&conn, frame, sizeof(frame)), SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=max_legs");
    sspix_conn_free(&conn);
    sspix_svc_cred_unref(cred);
}

/* A context without mutual authentication is refused unless allowed. */
static void test_mutual_required(void)
{
    for (int allow = 0; allow < 2; allow++) {
        struct sspix_svc_limits lim;
        default_limits(&lim, SSPIX_SVC_GREET);
        lim.allow_no_mutual = allow;
        sspix_svc_cred *cred = server_cred("Kerberos", &lim);
        struct client cl;
        sspix_conn conn;
        size_t off, len;
        client_init(&cl, "Kerberos");
        sspix_conn_init(&conn, cred);
        sspix_svc_cred_unref(cred);
        int v = handshake(&conn, &cl, "host/localhost", ISC_FLAGS & ~(ULONG)ISC_REQ_MUTUAL_AUTH, 0, outbuf, &off, &len);
        CHECK_EQ_INT(v, SSPIX_CONN_CLOSE);
        CHECK(!conn.mutual);
        if (allow) {
            check_log(&conn, "mutual=no legs=1 outcome=SEC_E_OK");
            CHECK(len > 4); /* the greeting */
        } else {
            check_log(&conn, "outcome=no_mutual");
            CHECK_EQ_INT(len, 0);
        }
        sspix_conn_free(&conn);
        client_free(&cl);
    }
}

/*
 * ASC_REQ flags are requests: a client that leaves out replay and sequence
 * detection gets a context without them, on which a replayed message would
 * be processed again. Echo mode refuses it unless weak contexts are allowed;
 * greet mode, which reads no client message, does not need them.
 */
static void test_weak_context(void)
{
    const ULONG weak = ISC_FLAGS & ~(ULONG)(ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT);
    for (int c = 0; c < 4; c++) {
        bool echo = c < 3, allow = c == 1;
        ULONG flags = c == 2 ? ISC_FLAGS & ~(ULONG)ISC_REQ_REPLAY_DETECT : weak; /* 2: sequence detection only */
        struct sspix_svc_limits lim;
        default_limits(&lim, echo ? SSPIX_SVC_ECHO : SSPIX_SVC_GREET);
        lim.allow_weak_context = allow;
        sspix_svc_cred *cred = server_cred("Kerberos", &lim);
        struct client cl;
        sspix_conn conn;
        size_t off, len;
        client_init(&cl, "Kerberos");
        sspix_conn_init(&conn, cred);
        sspix_svc_cred_unref(cred);
        int v = handshake(&conn, &cl, "host/localhost", flags, 0, outbuf, &off, &len);
        if (c != 0)
            CHECK_SEC(cl.st, SEC_E_OK); /* refused: the client never gets the AP-REP */
        if (c == 0) {
            CHECK_EQ_INT(v, SSPIX_CONN_CLOSE);
            CHECK(!(conn.attrs & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)));
            check_log(&conn, "outcome=weak_context");
            check_log(&conn, "neither replay nor sequence detection");
            check_log(&conn, "--allow-weak-context");
        } else if (c == 3) {
            CHECK_EQ_INT(v, SSPIX_CONN_CLOSE); /* the greeting was sent */
            check_log(&conn, "outcome=SEC_E_OK");
            CHECK(len > 4);
        } else {
            CHECK_EQ_INT(v, SSPIX_CONN_OPEN);
            CHECK(!sspix_conn_in_handshake(&conn));
        }
        sspix_conn_free(&conn);
        client_free(&cl);
    }
}

/*
 * A handshake that fails because the process is out of descriptors (the
 * library cannot open the keytab, replay cache or krb5.conf) says so, instead
 * of passing on the library's "key not available"-style message alone.
 */
static void test_out_of_descriptors(void)
{
    struct sspix_svc_limits lim;
    default_limits(&lim, SSPIX_SVC_GREET);
    sspix_svc_cred *cred = server_cred("Kerberos", &lim);
    struct client cl;
    sspix_conn conn;
    TimeStamp ts;
    client_init(&cl, "Kerberos");
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    cl.st = t->InitializeSecurityContextA(&cl.cred, NULL, (SEC_CHAR *)"host/localhost", ISC_FLAGS, 0,
                                          SECURITY_NATIVE_DREP, NULL, 0, &cl.ctx, &od, &cl.attrs, &ts);
    CHECK_SEC(cl.st, SEC_I_CONTINUE_NEEDED);
    cl.have_ctx = true;
    uint8_t *fr = malloc(4 + ob.cbBuffer);
    CHECK(fr != NULL);
    put_u32le(fr, ob.cbBuffer);
    memcpy(fr + 4, ob.pvBuffer, ob.cbBuffer);
    t->FreeContextBuffer(ob.pvBuffer);
    sspix_conn_init(&conn, cred);
    sspix_svc_cred_unref(cred);

    /* Every descriptor below a low limit taken. */
    struct rlimit old, low;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    low = old;
    low.rlim_cur = 256;
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
    static int fill[256];
    int n = 0;
    while (n < 256 && (fill[n] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
        n++;
    CHECK(n < 256);
    int v = sspix_conn_feed(&conn, fr, 4 + ob.cbBuffer);
    while (n-- > 0)
        close(fill[n]);
    CHECK(setrlimit(RLIMIT_NOFILE, &old) == 0);

    CHECK_EQ_INT(v, SSPIX_CONN_CLOSE);
    check_log(&conn, "outcome=no_descriptors");
    check_log(&conn, "out of file descriptors");
    check_log(&conn, "RLIMIT_NOFILE");
    sspix_conn_free(&conn);
    client_free(&cl);
    free(fr);
}

/* The log line cannot be forged by what a peer controls. */
static void test_log_escaping(void)
{
    struct sspix_svc_limits lim;
    default_limits(&lim, SSPIX_SVC_GREET);
    sspix_svc_cred *cred = server_cred("Negotiate", &lim);
    sspix_conn conn;
    char line[512];
    sspix_conn_init(&conn, cred);
    conn.client = strdup("evil\n outcome=SEC_E_OK \"x\"");
    conn.reason = "eof";
    conn.detail = strdup("a \"quoted\"\nline\\");
    sspix_conn_log_line(&conn, "127.0.0.1:9", 2.25, line, sizeof(line));
    CHECK(strchr(line, '\n') == NULL);
    CHECK(strstr(line, "client=evil\\x0a\\x20outcome\\x3dSEC_E_OK\\x20\\x22x\\x22 ") != NULL);
    CHECK(strstr(line, "reason=\"a \\x22quoted\\x22\\x0aline\\x5c\"") != NULL);
    CHECK(strstr(line, "peer=127.0.0.1:9 ") == line);
    CHECK(strstr(line, "ms=2.2") != NULL || strstr(line, "ms=2.3") != NULL);
    /* Truncation is safe. */
    CHECK_EQ_INT(sspix_conn_log_line(&conn, "p", 0, line, 10), 9);
    CHECK_EQ_INT(strlen(line), 9);
    sspix_conn_free(&conn);
    sspix_svc_cred_unref(cred);
}

int main(void)
{
    need_env("KRB5_KTNAME");
    t = InitSecurityInterfaceA();
    test_greet("Negotiate", 0, "negotiate-greet");
    test_greet("Kerberos", 0, "kerberos-greet");
    test_greet("Negotiate", 1, NULL); /* one byte at a time */
    test_greet("Kerberos", 3, NULL);
    test_echo("Negotiate", "negotiate-echo");
    test_echo("Kerberos", "kerberos-echo");
    test_hostile();
    test_max_legs();
    test_mutual_required();
    test_weak_context();
    test_out_of_descriptors();
    test_log_escaping();
    CHECK_DONE("test_service_conn");
}
