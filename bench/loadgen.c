/* SPDX-License-Identifier: MIT */
/*
 * loadgen - one load generator for every server under test: P processes, each
 * doing K gss-sample handshakes (MIT gss-client's protocol) one after another
 * against one port, with real gss_init_sec_context tokens for host@localhost.
 *
 *   loadgen -p PORT [-a ADDR] [-P PROCS] [-n PER_PROC] [-s] [-f] [-w]
 *           [-S SRC,...] [-H HOLD_SEC]
 *
 *   -s          SPNEGO instead of the Kerberos mechanism
 *   -f          floor: the server's reply is read but not checked as a token
 *               (for bench/floor_server.c)
 *   -w          once every process is ready, print "ready" and wait for a line
 *               on stdin before starting (a caller samples the server's CPU
 *               time in between)
 *   -S a,b,...  bind each connection's source to these IPv4 addresses in turn
 *               (IP_BIND_ADDRESS_NO_PORT): more than one loopback source address
 *               lifts the ~28,000 ephemeral-port bound on connections to one port
 *   -H SEC      hold: keep every authenticated session open; once all P*K are
 *               held print "held: N", idle SEC seconds, then have every session
 *               send one wrapped message asking for a MIC, verify the MIC,
 *               and end; prints "result: OK ok, F failed"
 *
 * Each connection: connect, the NOOP|CONTEXT_NEXT opener and the first CONTEXT
 * token in one write, then token for token until the context is complete
 * (mutual authentication required), then, as gss-client -mcount 0 does, an
 * empty NOOP and close. The first token of every handshake is made before the
 * timed part starts (all processes start together once every one is ready),
 * so the clients' own cost stays small. "started" is printed as they start
 * (a caller can sample the server's CPU time there). Load mode then prints "key value" lines:
 * handshakes, failed, seconds, rate, request_bytes and reply_bytes (average
 * bytes the client sent before the reply / of the server's first reply frame),
 * legs (tokens per handshake).
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TOKEN      (64u * 1024u)
#define MAX_PROCS      64
#define MAX_SRC        64
#define IO_TIMEOUT_SEC 30

static gss_OID_desc krb5_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

static struct {
    struct sockaddr_in dst;
    struct sockaddr_in src[MAX_SRC];
    int nsrc;
    int spnego, floor, wait_stdin;
    double hold;
} opt;

/* What a child reports to the parent. */
struct result {
    unsigned long ok, failed;
    unsigned long long request_bytes, reply_bytes, legs;
};

static int errors_shown;

static void warn(const char *what, const char *why)
{
    if (errors_shown++ < 3)
        fprintf(stderr, "loadgen: %s: %s\n", what, why);
}

static void gss_warn(const char *what, OM_uint32 major, OM_uint32 minor)
{
    if (errors_shown++ < 3)
        fprintf(stderr, "loadgen: %s failed: major 0x%08x minor %u\n", what, major, minor);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- frames ------------------------------------------------------------------- */

static void put_hdr(uint8_t *h, unsigned flags, size_t len)
{
    h[0] = (uint8_t)flags;
    h[1] = (uint8_t)(len >> 24);
    h[2] = (uint8_t)(len >> 16);
    h[3] = (uint8_t)(len >> 8);
    h[4] = (uint8_t)len;
}

static int write_all(int fd, struct iovec *iov, int n)
{
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        size_t k = (size_t)w;
        while (n > 0 && k >= iov->iov_len) {
            k -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= k;
        }
    }
    return 0;
}

static int send_frame(int fd, unsigned flags, const void *tok, size_t len)
{
    uint8_t h[FRAME_HDR];
    put_hdr(h, flags, len);
    struct iovec iov[2] = {{h, FRAME_HDR}, {(void *)tok, len}};
    return write_all(fd, iov, len > 0 ? 2 : 1);
}

static int read_full(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* One frame; *body is malloc'ed (NULL for an empty one). */
static int recv_frame(int fd, unsigned *flags, uint8_t **body, size_t *len)
{
    uint8_t h[FRAME_HDR];
    *body = NULL;
    if (read_full(fd, h, FRAME_HDR) != 0)
        return -1;
    *flags = h[0];
    *len = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
    if (*len > MAX_TOKEN)
        return -1;
    if (*len == 0)
        return 0;
    if ((*body = malloc(*len)) == NULL || read_full(fd, *body, *len) != 0) {
        free(*body);
        *body = NULL;
        return -1;
    }
    return 0;
}

static int dial(unsigned long i)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct timeval tv = {IO_TIMEOUT_SEC, 0};
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (opt.nsrc > 0) {
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        const struct sockaddr_in *s = &opt.src[i % (unsigned long)opt.nsrc];
        if (bind(fd, (const struct sockaddr *)s, sizeof(*s)) != 0) {
            close(fd);
            return -1;
        }
    }
    if (connect(fd, (const struct sockaddr *)&opt.dst, sizeof(opt.dst)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- handshakes ------------------------------------------------------------------- */

struct session {
    gss_ctx_id_t ctx;
    gss_buffer_desc first; /* the pre-made first token */
    int fd;
    gss_buffer_desc exported; /* hold mode: the context, exported */
};

static gss_cred_id_t cred;
static gss_name_t target;

static const OM_uint32 req_flags =
    GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;

static int init_step(struct session *s, gss_buffer_t in, gss_buffer_desc *out, OM_uint32 *major, OM_uint32 *flags)
{
    OM_uint32 minor;
    *major = gss_init_sec_context(&minor, cred, &s->ctx, target, opt.spnego ? &spnego_oid : &krb5_oid, req_flags, 0,
                                  GSS_C_NO_CHANNEL_BINDINGS, in, NULL, out, flags, NULL);
    if (GSS_ERROR(*major)) {
        gss_warn("gss_init_sec_context", *major, minor);
        return -1;
    }
    return 0;
}

/* The handshake of one session; the connection stays open on success. */
static int handshake(struct session *s, unsigned long i, struct result *res)
{
    OM_uint32 minor, major = GSS_S_CONTINUE_NEEDED, flags = 0;
    s->fd = dial(i);
    if (s->fd < 0) {
        warn("connect", strerror(errno));
        return -1;
    }
    uint8_t opener[FRAME_HDR], h[FRAME_HDR];
    put_hdr(opener, F_NOOP | F_CONTEXT_NEXT, 0);
    put_hdr(h, F_CONTEXT, s->first.length);
    struct iovec iov[3] = {{opener, FRAME_HDR}, {h, FRAME_HDR}, {s->first.value, s->first.length}};
    if (write_all(s->fd, iov, 3) != 0) {
        warn("write", strerror(errno));
        return -1;
    }
    res->request_bytes += 2 * FRAME_HDR + s->first.length;
    res->legs++;
    for (int leg = 0;; leg++) {
        unsigned rflags;
        uint8_t *body;
        size_t len;
        if (recv_frame(s->fd, &rflags, &body, &len) != 0) {
            warn("reading the server's token", errno ? strerror(errno) : "connection closed");
            return -1;
        }
        res->legs++;
        if (leg == 0)
            res->reply_bytes += FRAME_HDR + len;
        if (opt.floor) {
            free(body);
            return 0;
        }
        if (!(rflags & F_CONTEXT) || len == 0) {
            free(body);
            warn("handshake", "the server's reply is not a CONTEXT token");
            return -1;
        }
        gss_buffer_desc in = {len, body}, out = GSS_C_EMPTY_BUFFER;
        int r = init_step(s, &in, &out, &major, &flags);
        free(body);
        if (r != 0)
            return -1;
        if (out.length > 0) {
            r = send_frame(s->fd, F_CONTEXT, out.value, out.length);
            res->legs++;
            gss_release_buffer(&minor, &out);
            if (r != 0)
                return -1;
        }
        if (major == GSS_S_COMPLETE)
            break;
        if (leg > 8)
            return -1;
    }
    if (!(flags & GSS_C_MUTUAL_FLAG)) {
        warn("handshake", "no mutual authentication");
        return -1;
    }
    return 0;
}

static void end_session(struct session *s)
{
    OM_uint32 minor;
    if (s->fd >= 0) {
        send_frame(s->fd, F_NOOP, NULL, 0);
        close(s->fd);
        s->fd = -1;
    }
    if (s->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
}

/* Hold mode, after the idle period: one wrapped message, its MIC verified. */
static int serve(struct session *s)
{
    OM_uint32 major, minor, qop;
    int conf = 0;
    major = gss_import_sec_context(&minor, &s->exported, &s->ctx);
    gss_release_buffer(&minor, &s->exported);
    if (GSS_ERROR(major))
        return gss_warn("gss_import_sec_context", major, minor), -1;
    gss_buffer_desc msg = {strlen("still here"), (void *)"still here"}, wrapped = GSS_C_EMPTY_BUFFER;
    major = gss_wrap(&minor, s->ctx, 1, GSS_C_QOP_DEFAULT, &msg, &conf, &wrapped);
    if (GSS_ERROR(major))
        return gss_warn("gss_wrap", major, minor), -1;
    int r = send_frame(s->fd, F_DATA | F_WRAPPED | F_ENCRYPTED | F_SEND_MIC, wrapped.value, wrapped.length);
    gss_release_buffer(&minor, &wrapped);
    unsigned flags;
    uint8_t *body = NULL;
    size_t len;
    if (r != 0 || recv_frame(s->fd, &flags, &body, &len) != 0) {
        warn("held session", "no answer to the wrapped message");
        return -1;
    }
    gss_buffer_desc mic = {len, body};
    major = (flags & F_MIC) ? gss_verify_mic(&minor, s->ctx, &msg, &mic, &qop) : GSS_S_BAD_SIG;
    free(body);
    if (GSS_ERROR(major))
        return gss_warn("gss_verify_mic", major, minor), -1;
    return 0;
}

/* Blocks until the parent closes the write end of the pipe go_fd reads. */
static void wait_go(int go_fd)
{
    char c;
    while (read(go_fd, &c, 1) < 0 && errno == EINTR) {
    }
}

static int child(unsigned long k, unsigned long base, int ready_fd, int go_fd, int serve_fd)
{
    OM_uint32 major, minor;
    struct result res = {0};
    gss_OID_set_desc mechs = {1, opt.spnego ? &spnego_oid : &krb5_oid};
    gss_buffer_desc name = {strlen("host@localhost"), (void *)"host@localhost"};
    major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &target);
    if (!GSS_ERROR(major))
        major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &cred, NULL, NULL);
    struct session *s = calloc(k, sizeof(*s));
    if (GSS_ERROR(major) || s == NULL) {
        gss_warn("gss_acquire_cred", major, minor);
        res.failed = k;
        (void)!write(ready_fd, &res, sizeof(res));
        return 1;
    }
    /* Untimed: the first token of every handshake. */
    for (unsigned long i = 0; i < k; i++) {
        OM_uint32 f;
        s[i].fd = -1;
        if (init_step(&s[i], GSS_C_NO_BUFFER, &s[i].first, &major, &f) != 0)
            s[i].first.length = 0;
    }
    struct result ready = {0};
    (void)!write(ready_fd, &ready, sizeof(ready));
    wait_go(go_fd);
    for (unsigned long i = 0; i < k; i++) {
        int r = s[i].first.length > 0 ? handshake(&s[i], base + i, &res) : -1;
        gss_release_buffer(&minor, &s[i].first);
        if (r == 0 && opt.hold > 0) {
            major = gss_export_sec_context(&minor, &s[i].ctx, &s[i].exported);
            if (GSS_ERROR(major)) {
                gss_warn("gss_export_sec_context", major, minor);
                r = -1;
            }
        }
        if (r != 0 || opt.hold <= 0)
            end_session(&s[i]);
        if (r == 0)
            res.ok++;
        else
            res.failed++;
    }
    if (opt.hold > 0) {
        /* Held: report, wait for the parent's second go, then every session once. */
        (void)!write(ready_fd, &res, sizeof(res));
        wait_go(serve_fd);
        res.ok = res.failed = 0;
        for (unsigned long i = 0; i < k; i++) {
            if (s[i].fd < 0) {
                res.failed++;
                continue;
            }
            if (serve(&s[i]) == 0)
                res.ok++;
            else
                res.failed++;
            end_session(&s[i]);
        }
    }
    (void)!write(ready_fd, &res, sizeof(res));
    free(s);
    gss_release_cred(&minor, &cred);
    gss_release_name(&minor, &target);
    return 0;
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    return inet_pton(AF_INET, s, &sa->sin_addr) == 1 ? 0 : -1;
}

static unsigned long num(const char *s, unsigned long lo, unsigned long hi)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "loadgen: '%s' must be a number from %lu to %lu\n", s, lo, hi);
        exit(2);
    }
    return v;
}

/* Read one result from each child. */
static int gather(int *fds, unsigned long procs, struct result *sum)
{
    memset(sum, 0, sizeof(*sum));
    for (unsigned long i = 0; i < procs; i++) {
        struct result r;
        ssize_t n;
        do
            n = read(fds[i], &r, sizeof(r));
        while (n < 0 && errno == EINTR);
        if (n != (ssize_t)sizeof(r))
            return -1;
        sum->ok += r.ok;
        sum->failed += r.failed;
        sum->request_bytes += r.request_bytes;
        sum->reply_bytes += r.reply_bytes;
        sum->legs += r.legs;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    unsigned long port = 0, procs = 1, per = 100;
    int ch;
    while ((ch = getopt(argc, argv, "p:a:P:n:sfwS:H:")) != -1) {
        switch (ch) {
        case 'p': port = num(optarg, 1, 65535); break;
        case 'a': addr = optarg; break;
        case 'P': procs = num(optarg, 1, MAX_PROCS); break;
        case 'n': per = num(optarg, 1, 1000000); break;
        case 's': opt.spnego = 1; break;
        case 'f': opt.floor = 1; break;
        case 'w': opt.wait_stdin = 1; break;
        case 'H': opt.hold = (double)num(optarg, 0, 3600); break;
        case 'S': {
            char *list = strdup(optarg), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
                if (opt.nsrc == MAX_SRC || parse_addr(t, &opt.src[opt.nsrc]) != 0) {
                    fprintf(stderr, "loadgen: bad source address '%s'\n", t);
                    return 2;
                }
                opt.nsrc++;
            }
            free(list);
            break;
        }
        default:
            fprintf(stderr, "usage: loadgen -p PORT [-a ADDR] [-P PROCS] [-n PER_PROC] [-s] [-f] [-w] [-S SRC,...] "
                            "[-H HOLD_SEC]\n");
            return 2;
        }
    }
    if (port == 0 || parse_addr(addr, &opt.dst) != 0) {
        fprintf(stderr, "loadgen: -p PORT is required and -a must be an IPv4 address\n");
        return 2;
    }
    opt.dst.sin_port = htons((uint16_t)port);
    if (opt.floor && opt.hold > 0) {
        fprintf(stderr, "loadgen: -H needs a real server (no -f)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    int go[2], serve[2], res_fd[MAX_PROCS];
    pid_t pid[MAX_PROCS];
    if (pipe2(go, O_CLOEXEC) != 0 || pipe2(serve, O_CLOEXEC) != 0)
        return 1;
    for (unsigned long i = 0; i < procs; i++) {
        int p[2];
        if (pipe2(p, O_CLOEXEC) != 0)
            return 1;
        fflush(stdout);
        pid[i] = fork();
        if (pid[i] < 0)
            return 1;
        if (pid[i] == 0) {
            close(go[1]);
            close(serve[1]);
            close(p[0]);
            exit(child(per, i * per, p[1], go[0], serve[0]));
        }
        close(p[1]);
        res_fd[i] = p[0];
    }
    close(go[0]);
    close(serve[0]);
    struct result sum;
    int rc = 0;
    if (gather(res_fd, procs, &sum) != 0) { /* every child ready */
        fprintf(stderr, "loadgen: a client process failed to start\n");
        rc = 1;
    }
    if (opt.wait_stdin && rc == 0) {
        /* The caller samples the server's CPU time here, then sends a line. */
        printf("ready\n");
        fflush(stdout);
        int ch2;
        while ((ch2 = getchar()) != EOF && ch2 != '\n') {
        }
    }
    double t0 = now();
    close(go[1]); /* EOF: every child starts now */
    printf("started\n");
    fflush(stdout);
    if (opt.hold > 0) {
        if (rc == 0 && gather(res_fd, procs, &sum) != 0)
            rc = 1;
        double t1 = now();
        printf("handshakes %lu\nfailed %lu\nseconds %.3f\n", sum.ok, sum.failed, t1 - t0);
        printf("held: %lu\n", sum.ok);
        fflush(stdout);
        struct timespec ts = {(time_t)opt.hold, 0};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        close(serve[1]);
        serve[1] = -1;
        if (rc == 0 && gather(res_fd, procs, &sum) != 0)
            rc = 1;
        printf("result: %lu ok, %lu failed\n", sum.ok, sum.failed);
    } else {
        if (rc == 0 && gather(res_fd, procs, &sum) != 0)
            rc = 1;
        double t1 = now();
        unsigned long n = sum.ok + sum.failed;
        printf("handshakes %lu\nfailed %lu\nseconds %.4f\nrate %.1f\n", sum.ok, sum.failed, t1 - t0,
               (double)sum.ok / (t1 - t0));
        printf("request_bytes %.1f\nreply_bytes %.1f\nlegs %.2f\n", n ? (double)sum.request_bytes / (double)n : 0.0,
               n ? (double)sum.reply_bytes / (double)n : 0.0, n ? (double)sum.legs / (double)n : 0.0);
    }
    if (serve[1] >= 0)
        close(serve[1]);
    for (unsigned long i = 0; i < procs; i++) {
        int st;
        close(res_fd[i]);
        while (waitpid(pid[i], &st, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = 1;
    }
    if (rc == 0 && sum.failed > 0)
        rc = 3;
    return rc;
}
