/* SPDX-License-Identifier: MIT */
/*
 * sspix-client - the client of Microsoft's SSPI sockets sample, on sspix.
 *
 * Connects to an sspix-server (or any server speaking the sample's protocol),
 * authenticates with Negotiate or Kerberos through the SSPI function table,
 * insists that the server proves its identity (ISC_RET_MUTUAL_AUTH), then
 * decrypts the server's greeting or runs an echo session of protected
 * messages. With --protocol gss-sample it speaks MIT's gss-sample instead
 * (a peer for gss-server). With --connections/--parallel it is a load generator.
 * See sspix-client(1) for options, output and exit codes.
 */
#define SECURITY_WIN32
#include <sspix/sspix.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/conv.h"
#include "client_load.h"
#include "client_net.h"
#include "client_opts.h"
#include "wire/gssframe.h"

/* ---- credentials -------------------------------------------------------------- */

/* First line of path, without its newline, into buf. Warns when the file can
 * be read by everyone. Returns 0 or -1 (message printed). */
static int read_password(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0) {
        fprintf(stderr, PROG ": cannot open the password file %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, PROG ": the password file %s is not a regular file\n", path);
        close(fd);
        return -1;
    }
    if (st.st_mode & S_IROTH)
        fprintf(stderr, PROG ": warning: the password file %s is readable by everyone; chmod o-r it\n", path);
    size_t got = 0;
    while (got < size - 1) {
        ssize_t n = read(fd, buf + got, size - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, PROG ": cannot read the password file %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (memchr(buf, '\n', got) != NULL)
            break;
    }
    close(fd);
    char *nl = memchr(buf, '\n', got);
    if (nl == NULL && got == size - 1) {
        fprintf(stderr, PROG ": the first line of %s is longer than %zu bytes\n", path, size - 2);
        return -1;
    }
    size_t len = nl ? (size_t)(nl - buf) : got;
    if (len > 0 && buf[len - 1] == '\r')
        len--;
    buf[len] = '\0';
    if (len == 0 || memchr(buf, '\0', len) != NULL) {
        fprintf(stderr, PROG ": the first line of %s is empty or holds a NUL byte\n", path);
        return -1;
    }
    return 0;
}

/* ---- the KDC deadline ------------------------------------------------------------
 *
 * The KDC exchanges happen inside AcquireCredentialsHandle (a password logon)
 * and the first InitializeSecurityContext (the service ticket). MIT krb5 1.20
 * has no setting that bounds them: it reads neither kdc_timeout (Heimdal's)
 * nor request_timeout (from 1.22), and for an unanswering KDC its fixed
 * schedule of retries takes about 3 s per UDP address plus 1 s per TCP
 * address plus 14 s, and up to 10 s more for every TCP connection the KDC
 * accepts without answering, per request. Those calls run under a timer
 * instead: when --timeout passes, the client says so and exits (code 2) from
 * the signal handler, which is all it can do while the library waits. */

static char kdc_deadline_msg[1024];
static size_t kdc_deadline_len;

static void kdc_deadline_fire(int sig)
{
    (void)sig;
    ssize_t w = write(STDERR_FILENO, kdc_deadline_msg, kdc_deadline_len);
    (void)w;
    _exit(SSPIX_CLIENT_EXIT_CONN);
}

/* Arm the deadline for one call that may wait for the KDC; what says what the
 * client was doing ("getting a ticket for host/x"). */
static void kdc_deadline_arm(double timeout, const char *what)
{
    int n = snprintf(kdc_deadline_msg, sizeof(kdc_deadline_msg),
                     PROG ": no answer from the KDC within %g s while %s (see --timeout); check that the KDC "
                          "is up and that the kdc entries for the realm in krb5.conf (KRB5_CONFIG) name it\n",
                     timeout, what);
    kdc_deadline_len = n < 0 ? 0 : (size_t)n >= sizeof(kdc_deadline_msg) ? sizeof(kdc_deadline_msg) - 1 : (size_t)n;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kdc_deadline_fire;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it;
    memset(&it, 0, sizeof(it));
    it.it_value.tv_sec = (time_t)timeout;
    it.it_value.tv_usec = (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void kdc_deadline_disarm(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof(it));
    setitimer(ITIMER_REAL, &it, NULL);
}

static int acquire(PSecurityFunctionTableA t, const struct client_opts *o, CredHandle *cred)
{
    char password[PASSWORD_MAX + 2];
    SEC_WINNT_AUTH_IDENTITY_A id;
    void *auth = NULL;
    TimeStamp expiry;

    if (o->user) {
        if (read_password(o->password_file, password, sizeof(password)) != 0)
            return SSPIX_CLIENT_EXIT_USAGE;
        memset(&id, 0, sizeof(id));
        id.User = (unsigned char *)o->user;
        id.UserLength = (ULONG)strlen(o->user);
        id.Domain = (unsigned char *)(o->domain ? o->domain : "");
        id.DomainLength = (ULONG)strlen((const char *)id.Domain);
        id.Password = (unsigned char *)password;
        id.PasswordLength = (ULONG)strlen(password);
        id.Flags = SEC_WINNT_AUTH_IDENTITY_ANSI;
        auth = &id;
    }
    if (o->user) {
        char what[600];
        snprintf(what, sizeof(what), "logging on as %s%s%s (AcquireCredentialsHandle)", o->user, o->domain ? "@" : "",
                 o->domain ? o->domain : "");
        kdc_deadline_arm(o->timeout, what);
    }
    SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)o->package, SECPKG_CRED_OUTBOUND, NULL, auth,
                                                      NULL, NULL, cred, &expiry);
    if (o->user)
        kdc_deadline_disarm();
    if (o->user)
        explicit_bzero(password, sizeof(password));
    if (st != SEC_E_OK) {
        fprintf(stderr, PROG ": AcquireCredentialsHandle(%s) failed: %s (0x%08x): %s\n", o->package,
                sspix_status_name(st), (unsigned)st, sspix_last_error());
        return SSPIX_CLIENT_EXIT_AUTH;
    }
    return 0;
}

/* ---- output -------------------------------------------------------------------- */

/* Untrusted text from the server: control characters are shown escaped so the
 * server cannot drive the terminal; UTF-8 passes through. */
static void print_text(FILE *f, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            if (s[i] == '\t')
                fputc('\t', f);
            else
                fprintf(f, "\\x%02x", s[i]);
        } else {
            fputc(s[i], f);
        }
    }
}

static void print_details(PSecurityFunctionTableA t, struct sspix_client_conv *c, const char *peer,
                          const char *requested)
{
    SecPkgContext_PackageInfoA pi;
    SecPkgContext_NativeNamesA nn;
    SECURITY_STATUS st;
    char flags[512];

    printf("connected:  %s\n", peer);
    if ((st = t->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_PACKAGE_INFO, &pi)) == SEC_E_OK) {
        if (strcasecmp(requested, pi.PackageInfo->Name) == 0)
            printf("package:    %s\n", pi.PackageInfo->Name);
        else
            printf("package:    %s (negotiated by %s)\n", pi.PackageInfo->Name, requested);
        t->FreeContextBuffer(pi.PackageInfo);
    } else {
        printf("package:    ? (%s)\n", sspix_status_name(st));
    }
    if ((st = t->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_NATIVE_NAMES, &nn)) == SEC_E_OK) {
        printf("client:     %s\nserver:     %s\n", nn.sClientName, nn.sServerName);
        t->FreeContextBuffer(nn.sClientName);
        t->FreeContextBuffer(nn.sServerName);
    } else {
        printf("client:     ? (%s)\nserver:     ? (%s)\n", sspix_status_name(st), sspix_status_name(st));
    }
    printf("mutual:     %s\n", (c->attrs & ISC_RET_MUTUAL_AUTH) ? "yes, the server proved its identity" : "no");
    printf("flags:      0x%08x %s\n", (unsigned)c->attrs, sspix_client_flag_names(c->attrs, flags, sizeof(flags)));
    printf("legs:       %d\n", c->legs);
    fflush(stdout);
}

/* ---- one connection ------------------------------------------------------------ */

struct single {
    PSecurityFunctionTableA t;
    const struct client_opts *o;
    struct sspix_client_conv *c;
    int fd;
    char peer[96];
    int printed;
    uint8_t rbuf[65536];
};

/* Wait up to the timeout for events on s->fd. Returns 1 ready, 0 timeout, -1 error. */
static int wait_fd(struct single *s, short events)
{
    struct pollfd p = {s->fd, events, 0};
    int ms = (int)ceil(s->o->timeout * 1000.0);
    for (;;) {
        int rc = poll(&p, 1, ms);
        if (rc < 0 && errno == EINTR)
            continue;
        return rc < 0 ? -1 : rc > 0;
    }
}

/* Move bytes until the conversation ends or waits for the caller (echo idle). */
static void pump(struct single *s)
{
    struct sspix_client_conv *c = s->c;
    for (;;) {
        /* Without mutual authentication the context completes on our side
         * before the server has checked our credentials: the details wait
         * until something from the server shows that it accepted them. */
        if (!s->printed && sspix_client_conv_authenticated(c) &&
            (sspix_client_conv_accepted(c) || c->state == SSPIX_CLIENT_DONE)) {
            s->printed = 1;
            if (!s->o->quiet)
                print_details(s->t, c, s->peer, s->o->package);
        }
        if (c->state == SSPIX_CLIENT_DONE || c->state == SSPIX_CLIENT_FAILED)
            return;
        const uint8_t *data;
        size_t len;
        sspix_client_conv_pending(c, &data, &len);
        while (len > 0) {
            ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
            if (n > 0) {
                sspix_client_conv_sent(c, (size_t)n);
                sspix_client_conv_pending(c, &data, &len);
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                int w = wait_fd(s, POLLOUT);
                if (w > 0)
                    continue;
                if (w == 0)
                    sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "send: timeout",
                                           "the server did not take our data within %g s", s->o->timeout);
                else
                    sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "poll", "poll: %s", strerror(errno));
                return;
            }
            int e = errno;
            if (c->state == SSPIX_CLIENT_HANDSHAKE && c->legs <= 1)
                sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "send", "sending our first token failed: %s",
                                       strerror(e));
            else
                sspix_client_conv_eof(c, e); /* the server went away; the state says what was due */
            return;
        }
        if (c->state == SSPIX_CLIENT_ECHO_IDLE)
            return;
        if (!sspix_client_conv_wants_read(c))
            return;
        int w = wait_fd(s, POLLIN);
        if (w <= 0) {
            if (w == 0)
                sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "timeout", "no answer from the server within %g s %s",
                                       s->o->timeout, sspix_client_conv_waiting(c));
            else
                sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "poll", "poll: %s", strerror(errno));
            return;
        }
        ssize_t n = recv(s->fd, s->rbuf, sizeof(s->rbuf), 0);
        if (n > 0)
            sspix_client_conv_feed(c, s->rbuf, (size_t)n);
        else if (n == 0)
            sspix_client_conv_eof(c, 0);
        else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
            sspix_client_conv_eof(c, errno);
    }
}

/* Send one echo message and wait for its echo; print it when it is text. */
static int echo_one(struct single *s, const void *msg, size_t len, int show)
{
    sspix_client_conv_send(s->c, msg, len);
    pump(s);
    if (s->c->state != SSPIX_CLIENT_ECHO_IDLE)
        return -1;
    if (show) {
        print_text(stdout, s->c->text, s->c->text_len);
        fputc('\n', stdout);
        fflush(stdout);
    }
    return 0;
}

static uint64_t rng_next(uint64_t *x)
{
    /* xorshift64*: test data, not secrets. */
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 2685821657736338717ull;
}

static void fill_random(uint8_t *buf, size_t n, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(rng_next(seed) >> 56);
}

static int run_echo(struct single *s)
{
    const struct client_opts *o = s->o;
    if (o->message) {
        for (unsigned long i = 0; i < o->count; i++)
            if (echo_one(s, o->message, strlen(o->message), !o->quiet || i == 0) != 0)
                return -1;
    } else if (o->size >= 0) {
        uint8_t *buf = malloc((size_t)o->size + 1);
        uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
        if (buf == NULL) {
            sspix_client_conv_fail(s->c, SSPIX_CLIENT_EXIT_PROTOCOL, "out of memory", "out of memory");
            return -1;
        }
        for (unsigned long i = 0; i < o->count; i++) {
            fill_random(buf, (size_t)o->size, &seed);
            if (echo_one(s, buf, (size_t)o->size, 0) != 0) {
                free(buf);
                return -1;
            }
        }
        free(buf);
    } else {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) >= 0) {
            if (n > 0 && line[n - 1] == '\n')
                n--;
            if (echo_one(s, line, (size_t)n, 1) != 0) {
                free(line);
                return -1;
            }
        }
        free(line);
    }
    sspix_client_conv_end(s->c);
    pump(s);
    return s->c->state == SSPIX_CLIENT_DONE ? 0 : -1;
}

/* The first InitializeSecurityContext, which gets the service ticket from the
 * KDC when the ccache has none, under the KDC deadline; it runs before any
 * connection is made, so a credential problem never reaches the server.
 * Returns 0, or the exit code with the message printed. */
static int first_token(struct sspix_client_conv *c, const struct client_opts *o)
{
    char what[1200];
    snprintf(what, sizeof(what), "getting a ticket for %s (InitializeSecurityContext)", o->spn);
    kdc_deadline_arm(o->timeout, what);
    sspix_client_conv_start(c);
    kdc_deadline_disarm();
    if (c->state != SSPIX_CLIENT_FAILED)
        return 0;
    fprintf(stderr, PROG ": %s; no connection was made\n", c->message);
    return (int)c->exit_code;
}

static int run_single(PSecurityFunctionTableA t, const struct client_opts *o, const struct sspix_client_params *p,
                      const struct client_addrs *addrs)
{
    struct single *s = calloc(1, sizeof(*s));
    struct sspix_client_conv conv;
    int which = 0, err = 0, rc;
    if (s == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return SSPIX_CLIENT_EXIT_CONN;
    }
    s->t = t;
    s->o = o;
    s->c = &conv;
    sspix_client_conv_init(&conv, p);
    if ((rc = first_token(&conv, o)) != 0) {
        sspix_client_conv_free(&conv);
        free(s);
        return rc;
    }
    s->fd = client_connect_any(addrs, o->timeout, &which, &err);
    if (s->fd < 0) {
        char a[96];
        if (addrs->count == 1)
            client_addr_str((const struct sockaddr *)&addrs->addr[0], a, sizeof(a));
        else
            snprintf(a, sizeof(a), "port %u, %d addresses", o->port, addrs->count);
        fprintf(stderr, PROG ": cannot connect to %s (%s): %s\n", o->host, a,
                err == ETIMEDOUT ? "timed out" : strerror(err));
        sspix_client_conv_free(&conv);
        free(s);
        return SSPIX_CLIENT_EXIT_CONN;
    }
    client_addr_str((const struct sockaddr *)&addrs->addr[which], s->peer, sizeof(s->peer));

    pump(s);
    if (conv.state == SSPIX_CLIENT_ECHO_IDLE)
        run_echo(s);
    if (conv.state == SSPIX_CLIENT_DONE) {
        if (o->mode == SSPIX_CLIENT_MODE_GREET && o->gss) {
            if (!o->quiet)
                printf("session:    authenticated; gss-sample has no greeting, closed with NOOP\n");
        } else if (o->mode == SSPIX_CLIENT_MODE_GREET) {
            if (!o->quiet)
                printf("greeting:   ");
            print_text(stdout, conv.text, conv.text_len);
            fputc('\n', stdout);
        } else if (!o->quiet) {
            printf("echo:       %llu message(s), %llu bytes, %s\n", (unsigned long long)conv.messages,
                   (unsigned long long)conv.bytes,
                   !o->gss     ? "every echo verified"
                   : o->no_mic ? "every reply received (no MIC asked for)"
                               : "every MIC verified");
        }
        rc = SSPIX_CLIENT_EXIT_OK;
    } else {
        fflush(stdout);
        fprintf(stderr, PROG ": %s\n", conv.message[0] ? conv.message : "the conversation did not finish");
        rc = conv.state == SSPIX_CLIENT_FAILED ? (int)conv.exit_code : SSPIX_CLIENT_EXIT_PROTOCOL;
    }
    close(s->fd);
    sspix_client_conv_free(&conv);
    free(s);
    return rc;
}

/* ---- load generator ------------------------------------------------------------- */

static double pct_ms(const uint32_t *sorted, size_t n, double pct)
{
    if (n == 0)
        return 0.0;
    size_t idx = (size_t)ceil(pct / 100.0 * (double)n);
    idx = idx == 0 ? 0 : idx - 1;
    if (idx >= n)
        idx = n - 1;
    return sorted[idx] / 1000.0;
}

static void raise_nofile(unsigned long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
        (void)getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && want + 64 > rl.rlim_cur)
        fprintf(stderr,
                PROG ": warning: --parallel %lu needs about %lu file descriptors; the limit is %llu "
                     "(raise it with ulimit -n)\n",
                want, want + 64, (unsigned long long)rl.rlim_cur);
}

static int run_load(const struct client_opts *o, const struct sspix_client_params *p, const struct client_addrs *addrs)
{
    struct client_load_params lp;
    struct client_load_result res;
    char err[256] = "";
    uint8_t *msg = NULL;
    char a[96];

    memset(&lp, 0, sizeof(lp));
    lp.conv = p;
    lp.addrs = addrs;
    lp.connections = o->connections;
    lp.parallel = (unsigned)o->parallel;
    lp.threads = o->threads;
    lp.timeout = o->timeout;
    lp.count = o->count;
    lp.hold = o->hold;
    if (o->mode == SSPIX_CLIENT_MODE_ECHO) {
        if (o->message) {
            lp.msg = (const uint8_t *)o->message;
            lp.msg_len = strlen(o->message);
        } else {
            uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
            msg = malloc((size_t)o->size + 1);
            if (msg == NULL) {
                fprintf(stderr, PROG ": out of memory\n");
                return SSPIX_CLIENT_EXIT_LOAD;
            }
            fill_random(msg, (size_t)o->size, &seed);
            lp.msg = msg;
            lp.msg_len = (size_t)o->size;
        }
    }
    raise_nofile(o->parallel);
    if (!o->quiet)
        printf("load:       %lu connection(s), at most %lu in flight, %u thread(s), %s, %s mode, %s (%s)\n",
               o->connections, o->parallel, lp.threads > lp.parallel ? lp.parallel : lp.threads, o->package,
               o->mode == SSPIX_CLIENT_MODE_GREET ? "greet" : "echo", o->host,
               client_addr_str((const struct sockaddr *)&addrs->addr[0], a, sizeof(a)));
    fflush(stdout);
    if (client_load_run(&lp, &res, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": load generator: %s\n", err);
        free(msg);
        client_load_result_free(&res);
        return SSPIX_CLIENT_EXIT_LOAD;
    }
    free(msg);
    printf("result:     %lu ok, %lu failed in %.3f s: %.1f handshakes/s\n", res.ok, res.failed, res.seconds,
           res.seconds > 0 ? (double)res.ok / res.seconds : 0.0);
    if (res.n_lat > 0) {
        printf("latency:    %-31s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
               "connect -> authenticated:", pct_ms(res.auth_us, res.n_lat, 50), pct_ms(res.auth_us, res.n_lat, 90),
               pct_ms(res.auth_us, res.n_lat, 99), pct_ms(res.auth_us, res.n_lat, 100));
        printf("latency:    %-31s p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms\n",
               o->mode == SSPIX_CLIENT_MODE_GREET ? "connect -> greeting decrypted:" : "connect -> echo session done:",
               pct_ms(res.done_us, res.n_lat, 50), pct_ms(res.done_us, res.n_lat, 90),
               pct_ms(res.done_us, res.n_lat, 99), pct_ms(res.done_us, res.n_lat, 100));
    }
    if (res.failed > 0) {
        printf("failures by reason:\n");
        for (unsigned i = 0; i < res.n_reasons; i++)
            printf("  %8lu  %s (exit %d), e.g.: %s\n", res.reasons[i].count, res.reasons[i].reason,
                   (int)res.reasons[i].exit_code, res.reasons[i].example);
        if (res.other_reasons)
            printf("  %8lu  other reasons\n", res.other_reasons);
    }
    fflush(stdout);
    int rc = res.failed ? SSPIX_CLIENT_EXIT_LOAD : SSPIX_CLIENT_EXIT_OK;
    client_load_result_free(&res);
    return rc;
}

/* ---- main ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    struct client_opts o;
    struct client_addrs addrs;
    struct sspix_client_params p;
    CredHandle cred;
    char err[512];
    int rc;

    client_parse_opts(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);

    if (client_resolve(o.host, (uint16_t)o.port, &addrs, err, sizeof(err)) != 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return SSPIX_CLIENT_EXIT_CONN;
    }
    PSecurityFunctionTableA t = InitSecurityInterfaceA();
    if ((rc = acquire(t, &o, &cred)) != 0)
        return rc;

    memset(&p, 0, sizeof(p));
    p.sspi = t;
    p.cred = &cred;
    p.spn = o.spn;
    p.isc_req = ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT | ISC_REQ_SEQUENCE_DETECT |
                (o.allow_no_mutual ? 0 : ISC_REQ_MUTUAL_AUTH);
    p.require_mutual = !o.allow_no_mutual;
    p.mode = o.mode;
    p.max_message = (uint32_t)o.max_message;
    p.gss = o.gss;
    p.gss_flags = SSPIX_GSSFRAME_DATA | (o.no_wrap ? 0 : SSPIX_GSSFRAME_WRAPPED) |
                  (o.no_encrypt ? 0 : SSPIX_GSSFRAME_ENCRYPTED) | (o.no_mic ? 0 : SSPIX_GSSFRAME_SEND_MIC);

    if (o.load) {
        /* One first token before the run, under the KDC deadline: it puts the
         * service ticket in the credential's cache for every conversation of
         * the run (each still makes its own first token before it connects),
         * and a credential problem ends the run before any connection. */
        struct sspix_client_conv probe;
        sspix_client_conv_init(&probe, &p);
        rc = first_token(&probe, &o);
        sspix_client_conv_free(&probe);
        if (rc == 0)
            rc = run_load(&o, &p, &addrs);
    } else {
        rc = run_single(t, &o, &p, &addrs);
    }
    t->FreeCredentialsHandle(&cred);
    fflush(stdout);
    return rc;
}
