/* SPDX-License-Identifier: MIT */
/*
 * server_load.c - many authenticated echo sessions at once against
 * sspix-server (the Microsoft sample framing), driven step by step from the
 * test through stdin, so that the test can act on the server (a signal)
 * while the sessions are in a known state.
 *
 *   server_load HOST PORT SPN PACKAGE N
 *
 * 1. Opens N connections first, then authenticates each in turn (mutual
 *    authentication required). Prints
 *        auth ok=A refused=R timeout=T failed=F
 *    where refused means the server closed the connection before the
 *    handshake ended (a refusal or a server-side failure: the server's log
 *    tells which), timeout that nothing came back in time, failed a local
 *    SSPI error. Then waits for a line on stdin: "send" goes on, "trickle"
 *    runs 5. instead, anything else (or EOF) ends the run here with exit 0.
 * 2. "send": on every authenticated session, builds one protected message
 *    (the u32 LE framed echo message); even sessions get the whole frame,
 *    odd ones only its first half. Prints "sent full=X partial=Y" and waits
 *    for the next line.
 * 3. "rest": sends the second halves. Prints "rest sent".
 * 4. Reads every session's reply, decrypts it and compares it with what was
 *    sent, then expects the server's FIN (EOF) after it. Prints
 *        replies=K eof=E lost=L
 *    and exits 0 (the test judges the numbers).
 * 5. "trickle": on the first authenticated session, sends one protected
 *    message one byte every 500 ms (at most 40 bytes), watching for the
 *    server to close. Prints "trickle closed after K bytes" or "trickle open
 *    after K bytes".
 *
 * Exit codes: 0 the run happened, 1 usage or set-up error.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sspix/sspix.h>

#define MSG_LEN   64
#define TIMEOUT_S 30
#define MAX_TOKEN 65536
#define ISC_FLAGS                                                                                                      \
    (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |                       \
     ISC_REQ_SEQUENCE_DETECT | ISC_REQ_ALLOCATE_MEMORY)

static PSecurityFunctionTableA t;

enum state { S_NONE, S_OK, S_REFUSED, S_TIMEOUT, S_FAILED };

struct session {
    int fd;
    enum state st;
    CtxtHandle ctx;
    uint8_t *msg; /* the framed message */
    size_t msg_len, sent;
};

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 0, or -1 on EOF/reset (errno 0 for EOF), or -2 on timeout. */
static int recv_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = recv(fd, b, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -2;
        if (r <= 0) {
            if (r == 0)
                errno = 0;
            return -1;
        }
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int connect_to(const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {TIMEOUT_S, 0};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One handshake on s->fd; sets s->st. */
static void authenticate(struct session *s, CredHandle *cred, const char *spn)
{
    uint8_t *in = NULL;
    uint32_t in_len = 0;
    ULONG attrs = 0;
    TimeStamp ts;
    int first = 1;
    for (;;) {
        SecBuffer ib = {in_len, SECBUFFER_TOKEN, in}, ob = {0, SECBUFFER_TOKEN, NULL};
        SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib}, od = {SECBUFFER_VERSION, 1, &ob};
        SECURITY_STATUS st =
            t->InitializeSecurityContextA(cred, first ? NULL : &s->ctx, (SEC_CHAR *)spn, ISC_FLAGS, 0,
                                          SECURITY_NATIVE_DREP, first ? NULL : &id, 0, &s->ctx, &od, &attrs, &ts);
        free(in);
        in = NULL;
        if (!SEC_SUCCESS(st)) {
            fprintf(stderr, "server_load: InitializeSecurityContext: %s: %s\n", sspix_status_name(st),
                    sspix_last_error());
            if (!first)
                t->DeleteSecurityContext(&s->ctx);
            s->st = S_FAILED;
            return;
        }
        first = 0;
        if (ob.cbBuffer > 0) {
            uint8_t h[4];
            put_u32le(h, ob.cbBuffer);
            int r = send_all(s->fd, h, 4) || send_all(s->fd, ob.pvBuffer, ob.cbBuffer) ? -1 : 0;
            t->FreeContextBuffer(ob.pvBuffer);
            if (r < 0) {
                s->st = S_REFUSED;
                break;
            }
        }
        if (st != SEC_I_CONTINUE_NEEDED) {
            s->st = (attrs & ISC_RET_MUTUAL_AUTH) ? S_OK : S_FAILED;
            if (s->st == S_FAILED)
                fprintf(stderr, "server_load: the server did not prove its identity\n");
            break;
        }
        uint8_t h[4];
        int r = recv_all(s->fd, h, 4);
        if (r == 0) {
            in_len = get_u32le(h);
            if (in_len == 0 || in_len > MAX_TOKEN || (in = malloc(in_len)) == NULL)
                r = -1;
            else
                r = recv_all(s->fd, in, in_len);
        }
        if (r < 0) {
            s->st = r == -2 ? S_TIMEOUT : S_REFUSED;
            break;
        }
    }
    free(in);
    if (s->st != S_OK)
        t->DeleteSecurityContext(&s->ctx);
}

static int build_message(struct session *s, size_t i)
{
    SecPkgContext_Sizes sizes;
    if (t->QueryContextAttributesA(&s->ctx, SECPKG_ATTR_SIZES, &sizes) != SEC_E_OK)
        return -1;
    uint8_t *m = malloc(8 + sizes.cbSecurityTrailer + MSG_LEN), *data;
    if (m == NULL)
        return -1;
    data = m + 8 + sizes.cbSecurityTrailer;
    for (size_t k = 0; k < MSG_LEN; k++)
        data[k] = (uint8_t)(k * 13 + i);
    SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, m + 8}, {MSG_LEN, SECBUFFER_DATA, data}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    if (t->EncryptMessage(&s->ctx, 0, &d, 0) != SEC_E_OK) {
        free(m);
        return -1;
    }
    memmove(m + 8 + b[0].cbBuffer, data, MSG_LEN);
    put_u32le(m, (uint32_t)(4 + b[0].cbBuffer + MSG_LEN));
    put_u32le(m + 4, b[0].cbBuffer);
    s->msg = m;
    s->msg_len = 8 + b[0].cbBuffer + MSG_LEN;
    return 0;
}

/* 1 when the reply came back intact, 0 otherwise. */
static int read_reply(struct session *s, size_t i)
{
    uint8_t h[4];
    if (recv_all(s->fd, h, 4) < 0)
        return 0;
    uint32_t len = get_u32le(h);
    if (len < 4 || len > MAX_TOKEN)
        return 0;
    uint8_t *r = malloc(len);
    if (r == NULL || recv_all(s->fd, r, len) < 0 || get_u32le(r) > len - 4) {
        free(r);
        return 0;
    }
    uint32_t tl = get_u32le(r);
    SecBuffer b[2] = {{tl, SECBUFFER_TOKEN, r + 4}, {len - 4 - tl, SECBUFFER_DATA, r + 4 + tl}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop;
    int ok = t->DecryptMessage(&s->ctx, &d, 0, &qop) == SEC_E_OK && b[1].cbBuffer == MSG_LEN;
    for (size_t k = 0; ok && k < MSG_LEN; k++)
        ok = ((uint8_t *)b[1].pvBuffer)[k] == (uint8_t)(k * 13 + i);
    free(r);
    return ok;
}

static char last_line[64];

static int wait_line(const char *want)
{
    fflush(stdout);
    if (fgets(last_line, sizeof(last_line), stdin) == NULL)
        return 0;
    last_line[strcspn(last_line, "\n")] = '\0';
    return strcmp(last_line, want) == 0;
}

/* 1 when the server closed fd within ms. */
static int closed_within(int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    char b[256];
    if (poll(&p, 1, ms) <= 0)
        return 0;
    ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);
    return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void trickle(struct session *ss, size_t n)
{
    size_t i = 0;
    while (i < n && ss[i].st != S_OK)
        i++;
    if (i == n || build_message(&ss[i], i) < 0) {
        printf("trickle: no session\n");
        return;
    }
    size_t k = 0;
    int closed = 0;
    while (k < ss[i].msg_len && k < 40 && !closed) {
        if (send(ss[i].fd, ss[i].msg + k, 1, MSG_NOSIGNAL) != 1) {
            closed = 1;
            break;
        }
        k++;
        closed = closed_within(ss[i].fd, 500);
    }
    printf("trickle %s after %zu bytes\n", closed ? "closed" : "open", k);
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: server_load HOST PORT SPN PACKAGE N\n");
        return 1;
    }
    const char *spn = argv[3], *package = argv[4];
    size_t n = strtoul(argv[5], NULL, 10);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    if (n == 0 || getaddrinfo(argv[1], argv[2], &hints, &ai) != 0) {
        fprintf(stderr, "server_load: bad N or address\n");
        return 1;
    }
    t = InitSecurityInterfaceA();
    CredHandle cred;
    TimeStamp ts;
    SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)package, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL,
                                                      NULL, &cred, &ts);
    if (st != SEC_E_OK) {
        fprintf(stderr, "server_load: AcquireCredentialsHandle: %s: %s\n", sspix_status_name(st), sspix_last_error());
        return 1;
    }
    struct session *ss = calloc(n, sizeof(*ss));
    if (ss == NULL)
        return 1;
    for (size_t i = 0; i < n; i++)
        ss[i].fd = connect_to(ai);
    freeaddrinfo(ai);
    unsigned long c[5] = {0};
    for (size_t i = 0; i < n; i++) {
        if (ss[i].fd < 0)
            ss[i].st = S_TIMEOUT; /* connect timed out or failed */
        else
            authenticate(&ss[i], &cred, spn);
        c[ss[i].st]++;
    }
    printf("auth ok=%lu refused=%lu timeout=%lu failed=%lu\n", c[S_OK], c[S_REFUSED], c[S_TIMEOUT], c[S_FAILED]);

    if (!wait_line("send") && strcmp(last_line, "trickle") == 0) {
        trickle(ss, n);
    } else if (strcmp(last_line, "send") == 0) {
        unsigned long full = 0, partial = 0;
        for (size_t i = 0; i < n; i++) {
            if (ss[i].st != S_OK || build_message(&ss[i], i) < 0)
                continue;
            ss[i].sent = (i % 2 == 0) ? ss[i].msg_len : ss[i].msg_len / 2;
            if (send_all(ss[i].fd, ss[i].msg, ss[i].sent) < 0)
                ss[i].sent = 0;
            if (i % 2 == 0)
                full++;
            else
                partial++;
        }
        printf("sent full=%lu partial=%lu\n", full, partial);
        if (wait_line("rest")) {
            for (size_t i = 0; i < n; i++)
                if (ss[i].msg != NULL && ss[i].sent > 0 && ss[i].sent < ss[i].msg_len &&
                    send_all(ss[i].fd, ss[i].msg + ss[i].sent, ss[i].msg_len - ss[i].sent) < 0)
                    ss[i].sent = 0;
            printf("rest sent\n");
            fflush(stdout);
            unsigned long replies = 0, eof = 0, lost = 0;
            for (size_t i = 0; i < n; i++) {
                if (ss[i].msg == NULL)
                    continue;
                if (!read_reply(&ss[i], i)) {
                    lost++;
                    continue;
                }
                replies++;
                char b;
                if (recv(ss[i].fd, &b, 1, 0) == 0)
                    eof++;
                close(ss[i].fd);
                ss[i].fd = -1;
            }
            printf("replies=%lu eof=%lu lost=%lu\n", replies, eof, lost);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (ss[i].fd >= 0)
            close(ss[i].fd);
        if (ss[i].st == S_OK)
            t->DeleteSecurityContext(&ss[i].ctx);
        free(ss[i].msg);
    }
    free(ss);
    t->FreeCredentialsHandle(&cred);
    return 0;
}
