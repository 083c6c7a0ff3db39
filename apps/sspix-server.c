/* SPDX-License-Identifier: MIT */
/*
 * sspix-server - the seed's authenticated sockets service: every client is
 * authenticated with AcceptSecurityContext (Negotiate by default, mutual
 * authentication required), then greeted or echoed with protected messages in
 * the Microsoft sample's layout. See sspix-server(8).
 *
 * This file is options, config, start-up checks, logging, signals, the pid
 * file, daemon and systemd integration (readiness, socket activation) and exit
 * codes; the service itself is src/service/ (engine.c, conn.c, proto_ms.c).
 *
 * Exit codes: 0 ok, 1 usage or configuration error, 2 credential or start-up
 * error (bind included).
 */
#define _GNU_SOURCE /* getresuid, getresgid, mkostemp, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#ifdef SSPIX_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <sspix/sspix.h>

#include "service/config.h"
#include "service/engine.h"

#define EXIT_USAGE   1
#define EXIT_STARTUP 2

static const char *prog = "sspix-server";
static enum sspix_svc_log log_target = SSPIX_SVC_LOG_STDERR;
/* stderr is a journald stream: lines carry "<priority>" and no timestamp. */
static bool log_journal;

/* ---- logging ------------------------------------------------------------------ */

/* JOURNAL_STREAM names the device and inode of the stream systemd connected
 * to journald; it counts only while stderr is still that stream. */
static bool stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static const char *priority_name(int prio)
{
    switch (prio) {
    case LOG_EMERG:
    case LOG_ALERT:
    case LOG_CRIT: return "critical";
    case LOG_ERR: return "error";
    case LOG_WARNING: return "warning";
    case LOG_NOTICE: return "notice";
    case LOG_INFO: return "info";
    default: return "debug";
    }
}

/* One line on stderr, in one write(2) so that lines from different threads
 * never interleave: "<4>text" under journald, else
 * "2026-01-31T12:00:00.123Z sspix-server: warning: text" (RFC 3339, UTC). */
static void stderr_line(int prio, const char *line)
{
    char buf[1300];
    int n;
    if (log_journal) {
        n = snprintf(buf, sizeof(buf), "<%d>%s\n", prio, line);
    } else {
        struct timespec ts;
        struct tm tm;
        char when[32] = "";
        clock_gettime(CLOCK_REALTIME, &ts);
        if (gmtime_r(&ts.tv_sec, &tm) != NULL)
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
        n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s: %s: %s\n", when, ts.tv_nsec / 1000000L, prog, priority_name(prio),
                     line);
    }
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

/*
 * --log syslog: one datagram per line on a socket to the syslog daemon
 * (/dev/log, journald's or rsyslog's) that stays connected, in the format
 * syslog(3) writes ("<PRI>Mmm dd hh:mm:ss sspix-server[PID]: text"). syslog(3)
 * costs a getpid(2) per line and, whenever the socket is not there, a
 * socket(2), connect(2) and close(2) per line; here a missing socket is
 * looked for again at most once a second, and a daemon that went away
 * (restarted) is reconnected to at once. Lines are dropped while there is no
 * daemon, as syslog(3) drops them.
 */
static int syslog_fd = -1;
static int syslog_type = SOCK_DGRAM;  /* SOCK_STREAM when the daemon listens on a stream socket */
static pid_t syslog_pid;              /* this process's pid (reset in a forked child) */
static struct timespec syslog_missed; /* last failed connect (0: none) */
static pthread_mutex_t syslog_lock = PTHREAD_MUTEX_INITIALIZER;

static void syslog_forked(void)
{
    syslog_pid = getpid();
}

/* Connect to the daemon unless that failed less than a second ago; lock held. */
static void syslog_connect_locked(bool now)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if (!now && syslog_missed.tv_sec != 0 && t.tv_sec - syslog_missed.tv_sec < 1)
        return;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", _PATH_LOG);
    for (int attempt = 0; attempt < 2; attempt++) {
        int fd = socket(AF_UNIX, syslog_type | SOCK_CLOEXEC, 0);
        if (fd < 0)
            break;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            syslog_fd = fd;
            syslog_missed.tv_sec = 0;
            return;
        }
        int err = errno;
        close(fd);
        if (err != EPROTOTYPE)
            break;
        syslog_type = syslog_type == SOCK_DGRAM ? SOCK_STREAM : SOCK_DGRAM;
    }
    syslog_missed = t;
    if (syslog_missed.tv_sec == 0)
        syslog_missed.tv_sec = 1;
}

static void syslog_open(void)
{
    pthread_mutex_lock(&syslog_lock);
    if (syslog_pid == 0) {
        syslog_pid = getpid();
        pthread_atfork(NULL, NULL, syslog_forked);
    }
    if (syslog_fd < 0)
        syslog_connect_locked(true);
    pthread_mutex_unlock(&syslog_lock);
}

static void syslog_close(void)
{
    pthread_mutex_lock(&syslog_lock);
    if (syslog_fd >= 0)
        close(syslog_fd);
    syslog_fd = -1;
    pthread_mutex_unlock(&syslog_lock);
}

static void syslog_line(int prio, const char *line)
{
    char buf[1300], when[32] = "";
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (localtime_r(&ts.tv_sec, &tm) != NULL)
        strftime(when, sizeof(when), "%h %e %T", &tm);
    int n = snprintf(buf, sizeof(buf), "<%d>%s %s[%ld]: %s", LOG_MAKEPRI(LOG_DAEMON, prio & LOG_PRIMASK), when, prog,
                     (long)syslog_pid, line);
    if (n < 0)
        return;
    size_t len = (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n;
    pthread_mutex_lock(&syslog_lock);
    if (syslog_fd < 0)
        syslog_connect_locked(false);
    /* A stream socket needs a terminator between messages; a datagram is one. */
    size_t out = len + (syslog_type == SOCK_STREAM ? 1 : 0);
    for (int attempt = 0; syslog_fd >= 0 && attempt < 2; attempt++) {
        if (send(syslog_fd, buf, out, MSG_NOSIGNAL) >= 0)
            break;
        if (errno == EINTR)
            continue;
        /* The daemon went away or restarted: connect again, send once more. */
        close(syslog_fd);
        syslog_fd = -1;
        if (attempt == 0)
            syslog_connect_locked(true);
    }
    pthread_mutex_unlock(&syslog_lock);
}

/* The engine's lines: per connection, refusals, resource trouble. */
static void log_line(void *arg, int prio, const char *line)
{
    (void)arg;
    if (log_target == SSPIX_SVC_LOG_SYSLOG) {
        syslog_line(prio, line);
        return;
    }
    stderr_line(prio, line);
}

/* The server's own lines (start-up, reload, stop): to the log, and with
 * --log syslog to stderr as well, so that whoever starts it sees them. */
static void say(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(int prio, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_line(prio, line);
    stderr_line(prio, line);
}

/* ---- systemd: readiness and socket activation ------------------------------ */

/* A state change for the service manager (NOTIFY_SOCKET); nothing without one. */
static void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void notify(const char *fmt, ...)
{
#ifdef SSPIX_HAVE_SYSTEMD
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int rc = sd_notify(0, msg);
    if (rc < 0) {
        static bool told;
        if (!told)
            say(LOG_WARNING, "cannot notify the service manager through NOTIFY_SOCKET: %s", strerror(-rc));
        told = true;
    }
#else
    (void)fmt;
#endif
}

static unsigned long long monotonic_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000u;
}

/* Listening sockets passed by the service manager (LISTEN_FDS, LISTEN_PID);
 * the variables are removed so that nothing started later inherits them.
 * Returns how many (0: none, bind --bind/--port), or -1 with err. */
static int take_listen_fds(int *fds, unsigned cap, char *err, size_t errlen)
{
#ifdef SSPIX_HAVE_SYSTEMD
    int n = sd_listen_fds(1);
    if (n < 0) {
        snprintf(err, errlen, "socket activation: LISTEN_FDS: %s", strerror(-n));
        return -1;
    }
    if ((unsigned)n > cap) {
        snprintf(err, errlen,
                 "socket activation: %d sockets passed; at most %u can be served: list fewer in the "
                 "socket unit",
                 n, cap);
        for (int i = 0; i < n; i++)
            close(SD_LISTEN_FDS_START + i);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (sd_is_socket(SD_LISTEN_FDS_START + i, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
            snprintf(err, errlen,
                     "socket activation: descriptor %d is not a listening stream socket: the socket unit must "
                     "use ListenStream= (and Accept=no)",
                     SD_LISTEN_FDS_START + i);
            for (int j = 0; j < n; j++)
                close(SD_LISTEN_FDS_START + j);
            return -1;
        }
        fds[i] = SD_LISTEN_FDS_START + i;
    }
    return n;
#else
    (void)fds, (void)cap;
    const char *pid = getenv("LISTEN_PID");
    if (pid != NULL && atol(pid) == (long)getpid() && getenv("LISTEN_FDS") != NULL) {
        snprintf(err, errlen,
                 "socket activation: this sspix-server was built without libsystemd: start it "
                 "without the socket unit, or rebuild with libsystemd-dev installed");
        return -1;
    }
    return 0;
#endif
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [options]\n"
            "Authenticate every client with SSPI (Negotiate or Kerberos, mutual authentication),\n"
            "then greet it or echo its messages, protected, in the Microsoft sample's wire format.\n"
            "\n"
            "  -p, --port PORT            TCP port (2000)\n"
            "  -b, --bind ADDR            numeric address to listen on (:: and 0.0.0.0)\n"
            "  -P, --package NAME         Negotiate (default; also accepts raw Kerberos), Kerberos or NTLM\n"
            "      --ntlm-users FILE      NTLM accounts, DOMAIN:user:password lines: offers NTLM (and\n"
            "                             NTLM inside Negotiate); NTLM cannot authenticate the server,\n"
            "                             so such clients also need --allow-no-mutual\n"
            "  -k, --keytab KEYTAB        acceptor keys (default: KRB5_KTNAME or the system keytab)\n"
            "  -s, --spn SPN              accept only this principal, e.g. host/server.example.com\n"
            "                             (default: any principal in the keytab)\n"
            "  -m, --mode greet|echo      after authentication: one greeting (default), or echo\n"
            "      --protocol ms|gss-sample  wire protocol: the Microsoft sample framing (default), or\n"
            "                             MIT's gss-sample, for gss-client (--mode does not apply)\n"
            "      --threads N            event loops, one per thread (default: one per CPU)\n"
            "      --max-token BYTES      largest handshake token (65536)\n"
            "      --max-message BYTES    largest echo message (65536)\n"
            "      --handshake-timeout S  handshake deadline in seconds (10)\n"
            "      --max-legs N           handshake tokens, both directions, before refusing more (8)\n"
            "      --max-connections N    open connections; beyond it new ones are closed (10000)\n"
            "      --idle-timeout S       echo mode: close after S seconds without a message (60)\n"
            "      --message-timeout S    a message begun must be complete within S seconds (30)\n"
            "      --max-per-address N    open connections from one client address; 0: no limit (1000)\n"
            "      --shutdown-grace S     SIGTERM: seconds for work in progress to finish (5)\n"
            "      --allow-no-mutual      accept a context without mutual authentication\n"
            "      --allow-weak-context   accept a context without replay/sequence detection (echo,\n"
            "                             gss-sample) or without the protection the mode uses\n"
            "      --replay-cache memory|mit  replayed Kerberos authenticators: caught by this process's\n"
            "                             replay set (memory, default) or MIT's file cache in KRB5RCACHEDIR\n"
            "                             (mit: for several servers on one keytab, or across restarts)\n"
            "      --log stderr|syslog    where the log goes (stderr: timestamped lines, or \"<N>\" lines\n"
            "                             for journald when JOURNAL_STREAM says stderr is the journal)\n"
            "  -c, --config FILE          'key = value' lines, keys as the long options; options win\n"
            "  -t                         run every start-up check (config, credentials, --user, krb5.conf,\n"
            "                             replay cache, pid file directory) without serving; print, exit\n"
            "  -T                         print the effective configuration, one 'key value' line per\n"
            "                             setting, and exit\n"
            "      --daemon               detach once listening (the starter exits with the start-up status)\n"
            "      --pid-file FILE        write the process id here once listening (before --user), locked\n"
            "                             while it runs; a pid file locked by a running server is refused\n"
            "      --user NAME            start as root, then after reading the keys and binding, and\n"
            "                             before accepting anyone, run as NAME (its groups, gid, uid);\n"
            "                             the keytab is read once, into memory; NAME must be able to\n"
            "                             write the replay cache directory (KRB5RCACHEDIR or /var/tmp)\n"
            "  -h, --help                 this text\n"
            "  -V, --version              print the version\n"
            "\n"
            "Relative paths (-c, --keytab, --pid-file, --ntlm-users) are resolved against the directory\n"
            "the server was started in. Under systemd: readiness with sd_notify (Type=notify), and the\n"
            "sockets of a socket unit (LISTEN_FDS) are served instead of --bind/--port.\n"
            "Signals: SIGHUP reloads the config file and the credential (with --user, the keys\n"
            "loaded at start-up are kept when NAME cannot read the keytab); SIGTERM/SIGINT stop\n"
            "accepting, let handshakes and messages in flight finish and get their replies (up to\n"
            "--shutdown-grace), and exit 0; a second SIGTERM/SIGINT closes everything at once.\n"
            "Exit codes: 0 ok, 1 usage or configuration error, 2 credential or start-up error.\n",
            prog);
}

enum {
    OPT_PROTOCOL = 256,
    OPT_MAX_TOKEN,
    OPT_MAX_MESSAGE,
    OPT_HANDSHAKE_TIMEOUT,
    OPT_MAX_LEGS,
    OPT_MAX_CONNECTIONS,
    OPT_IDLE_TIMEOUT,
    OPT_ALLOW_NO_MUTUAL,
    OPT_LOG,
    OPT_DAEMON,
    OPT_PID_FILE,
    OPT_NTLM_USERS,
    OPT_USER,
    OPT_SHUTDOWN_GRACE,
    OPT_MESSAGE_TIMEOUT,
    OPT_MAX_PER_ADDRESS,
    OPT_ALLOW_WEAK_CONTEXT,
    OPT_REPLAY_CACHE,
    OPT_THREADS,
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, 'b'},
    {"package", required_argument, NULL, 'P'},
    {"keytab", required_argument, NULL, 'k'},
    {"spn", required_argument, NULL, 's'},
    {"mode", required_argument, NULL, 'm'},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-token", required_argument, NULL, OPT_MAX_TOKEN},
    {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
    {"handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT},
    {"max-legs", required_argument, NULL, OPT_MAX_LEGS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"allow-no-mutual", no_argument, NULL, OPT_ALLOW_NO_MUTUAL},
    {"log", required_argument, NULL, OPT_LOG},
    {"config", required_argument, NULL, 'c'},
    {"daemon", no_argument, NULL, OPT_DAEMON},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"ntlm-users", required_argument, NULL, OPT_NTLM_USERS},
    {"user", required_argument, NULL, OPT_USER},
    {"shutdown-grace", required_argument, NULL, OPT_SHUTDOWN_GRACE},
    {"message-timeout", required_argument, NULL, OPT_MESSAGE_TIMEOUT},
    {"max-per-address", required_argument, NULL, OPT_MAX_PER_ADDRESS},
    {"allow-weak-context", no_argument, NULL, OPT_ALLOW_WEAK_CONTEXT},
    {"replay-cache", required_argument, NULL, OPT_REPLAY_CACHE},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* ---- privilege drop (--user) ------------------------------------------------ */

struct run_as {
    const char *name; /* NULL: no --user */
    uid_t uid;
    gid_t gid;
    bool dropped;
};

/* Where MIT's replay cache writes: the directory of a file2:PATH in
 * KRB5RCACHENAME, else (the default "dfl:") KRB5RCACHEDIR, else /var/tmp. */
static const char *rcache_dir(void)
{
    static char dir[4096];
    const char *name = getenv("KRB5RCACHENAME");
    if (name != NULL && strncmp(name, "file2:", 6) == 0 && strchr(name + 6, '/') != NULL) {
        snprintf(dir, sizeof(dir), "%s", name + 6);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else
            *slash = '\0';
        return dir;
    }
    const char *d = getenv("KRB5RCACHEDIR");
    return d && *d ? d : "/var/tmp";
}

/* False when no handshake will write a replay cache: NTLM only, or the
 * environment turns the cache off. */
static bool rcache_in_use(const sspix_svc_config *c)
{
    const char *type = getenv("KRB5RCACHETYPE"), *name = getenv("KRB5RCACHENAME");
    if (c->package != NULL && strcmp(c->package, "NTLM") == 0)
        return false;
    if (!c->replay_cache_mit)
        return false; /* the library's in-process replay set: no file */
    if (name != NULL && *name != '\0')
        return strncmp(name, "none:", 5) != 0;
    return type == NULL || strcmp(type, "none") != 0;
}

/* Can this process create a file in the replay cache directory? Every
 * Kerberos handshake does; without it each one fails after start-up. */
static int rcache_probe(const char *who, char *err, size_t errlen)
{
    char probe[4096];
    int n = snprintf(probe, sizeof(probe), "%s/.sspix-server-probe-XXXXXX", rcache_dir());
    int fd = n > 0 && (size_t)n < sizeof(probe) ? mkstemp(probe) : -1;
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen,
                 "the replay cache directory %s is not writable by %s (%s), so every Kerberos handshake would "
                 "fail: make it writable (mode 1777, as /var/tmp), or point KRB5RCACHEDIR at a directory %s can "
                 "write",
                 rcache_dir(), who, strerror(e), who);
        return -1;
    }
    close(fd);
    unlink(probe);
    return 0;
}

/*
 * What the identity that serves (this process, or NAME after --user) must be
 * able to do, or every handshake fails after a clean start: read the krb5
 * profile (every accept reads it again) and, when Kerberos is in use, create
 * a file in the replay cache directory. Run by the start-up and by -t alike,
 * as that identity. who names it in the message.
 */
static int serving_identity_checks(const sspix_svc_config *c, const char *who, char *err, size_t errlen)
{
    if (c->package == NULL || strcmp(c->package, "NTLM") != 0) {
        const char *profile = getenv("KRB5_CONFIG");
        char files[4096];
        snprintf(files, sizeof(files), "%s", profile && *profile ? profile : "/etc/krb5.conf");
        for (char *save = NULL, *f = strtok_r(files, ":", &save); f != NULL; f = strtok_r(NULL, ":", &save)) {
            if (access(f, R_OK) < 0 && errno != ENOENT) {
                snprintf(err, errlen,
                         "the krb5 configuration %s is not readable by %s (%s): make it readable (it "
                         "holds no secrets), or point KRB5_CONFIG at a copy %s can read",
                         f, who, strerror(errno), who);
                return -1;
            }
        }
    }
    return rcache_in_use(c) ? rcache_probe(who, err, errlen) : 0;
}

/* Resolve --user NAME before anything is acquired. Returns 0 or -1 with err. */
static int run_as_lookup(const char *name, struct run_as *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof(*r));
    if (name == NULL)
        return 0;
    if (geteuid() != 0) {
        snprintf(err, errlen,
                 "--user %s: dropping privileges needs root, and this process runs as uid %ld: "
                 "start it as root, or leave --user out",
                 name, (long)geteuid());
        return -1;
    }
    errno = 0;
    struct passwd *pw = getpwnam(name);
    if (pw == NULL) {
        snprintf(err, errlen, "--user %s: no such user%s%s", name, errno ? ": " : "", errno ? strerror(errno) : "");
        return -1;
    }
    if (pw->pw_uid == 0 || pw->pw_gid == 0) {
        snprintf(err, errlen, "--user %s: uid %ld gid %ld is root: name an unprivileged account", name,
                 (long)pw->pw_uid, (long)pw->pw_gid);
        return -1;
    }
    r->name = name;
    r->uid = pw->pw_uid;
    r->gid = pw->pw_gid;
    return 0;
}

/*
 * Become r->name for good: its supplementary groups, gid, then uid (glibc's
 * wrappers change every thread of the process; this runs before the workers
 * start anyway), then prove root cannot come back. Afterwards the replay cache
 * directory must take a new file, or every handshake would fail later.
 */
static int run_as_drop(const sspix_svc_config *c, struct run_as *r, char *err, size_t errlen)
{
    if (initgroups(r->name, r->gid) < 0) {
        snprintf(err, errlen, "initgroups(%s, %ld): %s", r->name, (long)r->gid, strerror(errno));
        return -1;
    }
    if (setgid(r->gid) < 0) {
        snprintf(err, errlen, "setgid(%ld): %s", (long)r->gid, strerror(errno));
        return -1;
    }
    if (setuid(r->uid) < 0) {
        snprintf(err, errlen, "setuid(%ld): %s", (long)r->uid, strerror(errno));
        return -1;
    }
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != r->uid || eu != r->uid || su != r->uid ||
        rg != r->gid || eg != r->gid || sg != r->gid) {
        snprintf(err, errlen, "after setuid(%ld): uids or gids are not all %s's", (long)r->uid, r->name);
        return -1;
    }
    if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1) {
        snprintf(err, errlen, "after dropping privileges to %s, root could be regained: refusing to run", r->name);
        return -1;
    }
    r->dropped = true;
    return serving_identity_checks(c, r->name, err, errlen);
}

/* -t: try the drop and its checks in a child; the parent keeps its privileges. */
static int run_as_check(const sspix_svc_config *c, const struct run_as *r)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        say(LOG_ERR, "--user %s: cannot fork to check it: %s", r->name, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char err[1024];
        struct run_as child = *r;
        if (run_as_drop(c, &child, err, sizeof(err)) < 0) {
            say(LOG_ERR, "--user %s would fail: %s", r->name, err);
            _exit(EXIT_STARTUP);
        }
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- the configuration --------------------------------------------------------- */

/* The directory the server was started in: relative paths are resolved
 * against it, at start-up and on SIGHUP (a daemon runs in /). */
static char start_dir[PATH_MAX];

/* The config a start or a reload runs with: the command line, then the file. */
static int build_config(const sspix_svc_config *cli, const char *path, sspix_svc_config *out, char *err, size_t errlen)
{
    if (sspix_svc_config_copy(out, cli) < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (path != NULL && sspix_svc_config_load(out, path, err, errlen) < 0) {
        sspix_svc_config_free(out);
        return -1;
    }
    if (sspix_svc_config_absolute(out, start_dir, err, errlen) < 0) {
        sspix_svc_config_free(out);
        return -1;
    }
    if (out->package == NULL && (out->package = strdup("Negotiate")) == NULL) {
        snprintf(err, errlen, "out of memory");
        sspix_svc_config_free(out);
        return -1;
    }
    if (out->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        out->threads = n > 0 ? (unsigned)(n > 256 ? 256 : n) : 1;
    }
    return 0;
}

/* A relative value of a krb5 environment variable, made absolute for a
 * daemon; for KRB5_CONFIG every ':'-separated file. */
static void absolute_env(const char *name, bool list)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0')
        return;
    char out[8192] = "", copy[4096];
    size_t used = 0;
    bool changed = false;
    snprintf(copy, sizeof(copy), "%s", v);
    const char *prefix = "";
    char *rest = copy;
    if (!list && (strncmp(rest, "FILE:", 5) == 0 || strncmp(rest, "WRFILE:", 7) == 0)) {
        prefix = rest[0] == 'F' ? "FILE:" : "WRFILE:";
        rest += strlen(prefix);
    } else if (!list && strchr(rest, ':') != NULL) {
        return; /* another keytab type */
    }
    for (char *save = NULL, *f = list ? strtok_r(rest, ":", &save) : rest; f != NULL;
         f = list ? strtok_r(NULL, ":", &save) : NULL) {
        char *abs = f[0] == '/' ? NULL : sspix_svc_path_absolute(start_dir, f);
        changed |= abs != NULL;
        int n = snprintf(out + used, sizeof(out) - used, "%s%s", used ? ":" : prefix, abs ? abs : f);
        free(abs);
        if (n < 0 || (size_t)n >= sizeof(out) - used)
            return;
        used += (size_t)n;
    }
    if (changed)
        setenv(name, out, 1);
}

/* -T: every setting, one "key value" line each, in the order of the options. */
static void print_config(const sspix_svc_config *c)
{
    char v[4200];
    for (int k = 0; k < SSPIX_KEY_COUNT; k++) {
        sspix_svc_config_value(c, (enum sspix_svc_key)k, v, sizeof(v));
        printf("%s %s\n", sspix_svc_config_key_name((enum sspix_svc_key)k), v);
    }
}

static const char *keytab_name(const sspix_svc_config *c)
{
    if (c->keytab)
        return c->keytab;
    const char *env = getenv("KRB5_KTNAME");
    return env && *env ? env : "the default keytab";
}

/* With --user the keys are read once, into memory: NAME cannot read the keytab.
 * Replays are caught by the library's in-process set unless the
 * configuration asks for MIT's file cache (replay-cache = mit). */
static SECURITY_STATUS acquire(const sspix_svc_config *c, bool in_memory, sspix_svc_cred **out)
{
    struct sspix_svc_limits lim;
    sspix_svc_config_limits(c, &lim);
    ULONG flags = (in_memory ? SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY : 0) |
                  (c->replay_cache_mit || (c->package != NULL && strcmp(c->package, "NTLM") == 0)
                       ? 0
                       : SSPIX_AUTH_STORE_REPLAY_IN_PROCESS);
    SECURITY_STATUS st = sspix_svc_cred_acquire_flags(c->package, c->spn, c->keytab, c->ntlm_users, flags, &lim, out);
    /* One handle per worker thread: the acceptor locks its credential for
     * the whole of each accept, so threads sharing one would take turns. */
    if (st == SEC_E_OK)
        sspix_svc_cred_replicate(*out, c->threads);
    return st;
}

/*
 * The checks a start runs before it binds, and -t runs instead of serving:
 * the settings that only fail later, --user, the credential, and what the
 * serving identity must be able to read and write. Returns 0 (*cred set), or
 * an exit code after saying why.
 */
static int preflight(const sspix_svc_config *c, bool check_only, struct run_as *ras, sspix_svc_cred **cred)
{
    char err[1024];
    *cred = NULL;
    if (strcmp(c->package, "NTLM") == 0 && c->ntlm_users == NULL) {
        say(LOG_ERR, "--package NTLM without --ntlm-users: no NTLM logon could succeed; give the users file "
                     "(DOMAIN:user:password lines), or choose Negotiate or Kerberos");
        return EXIT_USAGE;
    }
    if (c->bind != NULL) {
        unsigned char a[16];
        if (inet_pton(AF_INET, c->bind, a) != 1 && inet_pton(AF_INET6, c->bind, a) != 1) {
            say(LOG_ERR, "--bind %s: not a numeric IPv4 or IPv6 address", c->bind);
            return EXIT_USAGE;
        }
    }
    if (c->pid_file != NULL) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", c->pid_file);
        char *slash = strrchr(dir, '/');
        if (slash == dir)
            slash[1] = '\0';
        else if (slash != NULL)
            *slash = '\0';
        if (access(dir, W_OK | X_OK) < 0) {
            say(LOG_ERR, "--pid-file %s: cannot create files in %s: %s", c->pid_file, dir, strerror(errno));
            return EXIT_STARTUP;
        }
    }
    if (run_as_lookup(c->user, ras, err, sizeof(err)) < 0) {
        say(LOG_ERR, "%s", err);
        return EXIT_USAGE;
    }
    SECURITY_STATUS st = acquire(c, ras->name != NULL, cred);
    if (st != SEC_E_OK) {
        say(LOG_ERR, "cannot acquire %s acceptor credentials for %s from %s: %s: %s", c->package,
            c->spn ? c->spn : "any principal", keytab_name(c), sspix_status_name(st), sspix_last_error());
        *cred = NULL;
        return EXIT_STARTUP;
    }
    /* Without --user this process serves as it is; with --user the drop
     * runs these checks as NAME (under -t in a child). */
    int rc = 0;
    if (ras->name == NULL) {
        struct passwd *pw = getpwuid(geteuid());
        char who[128];
        snprintf(who, sizeof(who), "%s (uid %ld)", pw ? pw->pw_name : "this user", (long)geteuid());
        if (serving_identity_checks(c, who, err, sizeof(err)) < 0) {
            say(LOG_ERR, "%s", err);
            rc = EXIT_STARTUP;
        }
    } else if (check_only && run_as_check(c, ras) < 0) {
        rc = EXIT_STARTUP;
    }
    if (rc != 0) {
        sspix_svc_cred_unref(*cred);
        *cred = NULL;
    }
    return rc;
}

/* ---- the pid file ---------------------------------------------------------------- */

/* The pid file this process wrote; its descriptor holds a write lock on it
 * for the process's lifetime, which is how another start tells a live pid
 * file from a stale one. */
static int pid_fd = -1;

/* Is the file at path locked by a live process? Sets *holder to its pid. */
static int pid_file_holder(const char *path, long *holder, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    *holder = 0;
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path,
                 errno == ELOOP ? "is a symbolic link: refusing to follow it; remove it" : strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file: remove it or choose another --pid-file", path);
        close(fd);
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &fl) < 0) {
        snprintf(err, errlen, "%s: cannot test its lock: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    if (fl.l_type != F_UNLCK)
        *holder = fl.l_pid > 0 ? (long)fl.l_pid : -1;
    return 0;
}

/*
 * Write the pid file without following or overwriting anything: the pid goes
 * into a new file (O_CREAT|O_EXCL, so never through a symbolic link), which
 * is locked and then hard-linked into place, which fails if the name exists.
 * An existing one that a live server holds locked is refused; one that
 * nobody holds (stale, left by a crash) is replaced.
 */
static int pid_file_write(const char *path, char *err, size_t errlen)
{
    char tmp[PATH_MAX + 8], buf[32];
    int n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(err, errlen, "%s: name too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a file beside %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (fchmod(fd, 0644) < 0 || fcntl(fd, F_SETLK, &fl) < 0 || write(fd, buf, (size_t)n) != n) {
        snprintf(err, errlen, "cannot write the pid to a new file beside %s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    for (int attempt = 0;; attempt++) {
        if (link(tmp, path) == 0)
            break;
        long holder;
        if (errno != EEXIST || attempt == 3) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        } else if (pid_file_holder(path, &holder, err, errlen) < 0) {
            /* err says why */
        } else if (holder != 0) {
            snprintf(err, errlen,
                     "%s is held by a running sspix-server (pid %ld): stop it first, or give this one its own "
                     "--pid-file",
                     path, holder);
        } else if (unlink(path) == 0 || errno == ENOENT) {
            continue; /* stale: nobody holds it */
        } else {
            snprintf(err, errlen, "%s is stale but cannot be removed: %s", path, strerror(errno));
        }
        close(fd);
        unlink(tmp);
        return -1;
    }
    unlink(tmp);
    pid_fd = fd;
    return 0;
}

/* At exit: remove the pid file if it is still ours (the same inode). */
static void pid_file_remove(const char *path)
{
    struct stat mine, there;
    if (pid_fd < 0)
        return;
    if (fstat(pid_fd, &mine) == 0 && lstat(path, &there) == 0 && mine.st_dev == there.st_dev &&
        mine.st_ino == there.st_ino && unlink(path) < 0)
        say(LOG_WARNING, "cannot remove the pid file %s: %s (a new start replaces it: nothing holds it now)", path,
            strerror(errno));
    close(pid_fd);
    pid_fd = -1;
}

/* ---- --daemon ---------------------------------------------------------------------- */

/* The daemon's end of the pipe its starter waits on: one byte, the start-up's
 * exit status (0 once it serves). */
static int ready_fd = -1;

/*
 * Detach before anything else is set up (no threads, no event loops, no
 * credential yet): fork, setsid, fork again, chdir /. The starter waits until
 * the daemon reports its start-up and exits with that status, so that a
 * failed start fails the command that started it; until then the daemon's
 * errors go to the starter's stderr.
 */
static int daemonize(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0) {
        unsigned char status = EXIT_STARTUP;
        ssize_t n;
        close(p[1]);
        while ((n = read(p[0], &status, 1)) < 0 && errno == EINTR)
            ;
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        _exit(n == 1 ? status : EXIT_STARTUP);
    }
    close(p[0]);
    ready_fd = p[1];
    if (setsid() < 0)
        return -1;
    pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (chdir("/") < 0)
        return -1;
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

/* Tell the starter how the start-up ended; once serving with --log syslog,
 * stderr goes to /dev/null as well. */
static void daemon_report(int status)
{
    if (ready_fd < 0)
        return;
    unsigned char b = (unsigned char)status;
    ssize_t w = write(ready_fd, &b, 1);
    (void)w;
    close(ready_fd);
    ready_fd = -1;
    if (status == 0 && log_target == SSPIX_SVC_LOG_SYSLOG) {
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
    }
}

/*
 * SIGHUP. *running is the generation the engine serves (main holds a
 * reference). After --user dropped root the keytab normally cannot be read
 * again: then the new settings are applied around the credential loaded at
 * start-up. Returns true when the new configuration is in force.
 */
static bool reload(sspix_engine *e, const sspix_svc_config *cli, const char *path, sspix_svc_config *cur,
                   const struct run_as *ras, sspix_svc_cred **running)
{
    sspix_svc_config next;
    sspix_svc_cred *cred;
    char err[1024];
    bool kept = false;
    if (build_config(cli, path, &next, err, sizeof(err)) < 0) {
        say(LOG_ERR, "reload failed, keeping the running configuration: %s", err);
        return false;
    }
    if (strcmp(next.package, "NTLM") == 0 && next.ntlm_users == NULL) {
        say(LOG_ERR, "reload failed, keeping the running configuration: package NTLM without ntlm-users");
        sspix_svc_config_free(&next);
        return false;
    }
    SECURITY_STATUS st = acquire(&next, ras->name != NULL, &cred);
    /* Without root the keys usually cannot be read again; whatever the reason,
     * the keys loaded at start-up stay, and the library says why. */
    if (st != SEC_E_OK && ras->dropped) {
        if (!same_str(next.package, cur->package) || !same_str(next.spn, cur->spn) ||
            !same_str(next.keytab, cur->keytab) || !same_str(next.ntlm_users, cur->ntlm_users)) {
            say(LOG_ERR,
                "reload failed, keeping the running configuration: cannot re-read keytab %s after dropping "
                "privileges to %s (%s), and package, spn, keytab or ntlm-users changed: restart to apply them",
                keytab_name(&next), ras->name, sspix_last_error());
            sspix_svc_config_free(&next);
            return false;
        }
        say(LOG_WARNING,
            "SIGHUP: cannot re-read keytab %s after dropping privileges to %s (%s); keeping the credential "
            "loaded at start-up; restart to reload keys",
            keytab_name(&next), ras->name, sspix_last_error());
        struct sspix_svc_limits lim;
        sspix_svc_config_limits(&next, &lim);
        st = sspix_svc_cred_rewrap(*running, &lim, &cred);
        kept = true;
    }
    if (st != SEC_E_OK) {
        say(LOG_ERR,
            "reload failed, keeping the running configuration: cannot acquire %s credentials for %s from %s: %s: %s",
            next.package, next.spn ? next.spn : "any principal", keytab_name(&next), sspix_status_name(st),
            sspix_last_error());
        sspix_svc_config_free(&next);
        return false;
    }
    if (next.port != cur->port || (next.bind == NULL) != (cur->bind == NULL) ||
        (next.bind && strcmp(next.bind, cur->bind) != 0) || next.threads != cur->threads || next.log != cur->log ||
        !same_str(next.user, cur->user) || next.shutdown_grace != cur->shutdown_grace)
        say(LOG_NOTICE, "reload: port, bind, threads, log, user and shutdown-grace take effect only after a restart");
    sspix_engine_set_cred(e, cred);
    sspix_engine_set_max_connections(e, next.max_connections);
    sspix_engine_set_max_per_address(e, next.max_per_address);
    sspix_svc_cred_unref(*running);
    *running = cred; /* our reference; the engine holds its own */
    say(LOG_INFO, "reloaded: %s, mode %s, principal %s in %s%s", next.package,
        next.mode == SSPIX_SVC_ECHO ? "echo" : "greet", next.spn ? next.spn : "any", keytab_name(&next),
        kept ? " (keys from start-up)" : "");
    /* Keep the start-up values of what cannot change. */
    next.port = cur->port;
    next.threads = cur->threads;
    next.shutdown_grace = cur->shutdown_grace;
    next.log = cur->log;
    char *user = next.user;
    next.user = cur->user;
    cur->user = user;
    sspix_svc_config_free(cur);
    *cur = next;
    return true;
}

/* Everything after the options; main() reports its status to a --daemon starter. */
static int serve(sspix_svc_config *cli, const char *config_path, bool check_only, bool dump_only, bool daemon_mode)
{
    sspix_svc_config cfg;
    char err[1024];
    char *abs_config = NULL;

    if (getcwd(start_dir, sizeof(start_dir)) == NULL) {
        fprintf(stderr, "%s: cannot tell the current directory (%s), against which relative paths are resolved\n", prog,
                strerror(errno));
        return EXIT_USAGE;
    }
    if (config_path != NULL && (config_path = abs_config = sspix_svc_path_absolute(start_dir, config_path)) == NULL) {
        fprintf(stderr, "%s: -c: out of memory\n", prog);
        return EXIT_USAGE;
    }
    if (build_config(cli, config_path, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        free(abs_config);
        return EXIT_USAGE;
    }
    if (dump_only) {
        print_config(&cfg);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return 0;
    }
    log_target = cfg.log;
    log_journal = stderr_is_journal();
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_open();
    raise_nofile();

    int lfds[SSPIX_ENGINE_MAX_LISTEN];
    int nlfds = check_only ? 0 : take_listen_fds(lfds, SSPIX_ENGINE_MAX_LISTEN, err, sizeof(err));
    if (nlfds < 0) {
        say(LOG_ERR, "%s", err);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return EXIT_STARTUP;
    }
    /* Before any credential, thread or event loop exists; every path it will
     * read is absolute by now (the krb5 variables too). */
    if (daemon_mode && !check_only) {
        absolute_env("KRB5_KTNAME", false);
        absolute_env("KRB5_CONFIG", true);
        absolute_env("KRB5RCACHEDIR", false);
        if (daemonize() < 0) {
            say(LOG_ERR, "cannot detach: %s", strerror(errno));
            for (int i = 0; i < nlfds; i++)
                close(lfds[i]);
            sspix_svc_config_free(&cfg);
            free(abs_config);
            return EXIT_STARTUP;
        }
    }

    /* Credentials once, for every connection and thread. */
    struct run_as ras;
    sspix_svc_cred *cred;
    int rc = preflight(&cfg, check_only, &ras, &cred);
    if (rc != 0 || check_only) {
        if (rc == 0) {
            const char *bind_text = cfg.bind ? cfg.bind : "::";
            printf("%s: configuration OK: would listen on %s%s%s:%u (%s, mode %s, %u threads, principal %s in %s)\n",
                   prog, strchr(bind_text, ':') ? "[" : "", bind_text, strchr(bind_text, ':') ? "]" : "", cfg.port,
                   cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any",
                   keytab_name(&cfg));
            if (ras.name != NULL)
                printf("%s: would drop privileges after binding to user %s (uid %ld, gid %ld, its groups); keytab "
                       "read once into memory; krb5 configuration readable and replay cache directory %s "
                       "writable by %s\n",
                       prog, ras.name, (long)ras.uid, (long)ras.gid, rcache_dir(), ras.name);
        }
        for (int i = 0; i < nlfds; i++)
            close(lfds[i]);
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return rc;
    }

    /* Signals are taken by sigwait() in this thread only; workers inherit the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct sspix_engine_opts eo = {
        .bind = cfg.bind,
        .port = cfg.port,
        .threads = cfg.threads,
        .max_connections = cfg.max_connections,
        .max_per_address = cfg.max_per_address,
        .grace_ms = cfg.shutdown_grace * 1000u,
        .listen_fds = lfds,
        .nlisten_fds = (unsigned)nlfds,
        .log = log_line,
    };
    sspix_engine *e;
    if (sspix_engine_create(&eo, cred, &e, err, sizeof(err)) < 0) {
        say(LOG_ERR, "cannot listen: %s", err);
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        free(abs_config);
        return EXIT_STARTUP;
    }
    sspix_svc_cred *running = cred; /* this function's reference; the engine holds its own */
    if (nlfds > 0)
        say(LOG_INFO, "socket activation: serving %d inherited socket%s (%s)%s", nlfds, nlfds == 1 ? "" : "s",
            sspix_engine_address(e),
            (cli->given & ((1u << SSPIX_KEY_BIND) | (1u << SSPIX_KEY_PORT))) ? "; --bind and --port are not used" : "");
    rc = EXIT_STARTUP;
    if (cfg.pid_file != NULL && pid_file_write(cfg.pid_file, err, sizeof(err)) < 0) {
        say(LOG_ERR, "cannot write the pid file: %s", err);
        goto out;
    }
    /* Keys in memory, sockets bound, pid file written: nothing needs root any more. */
    if (ras.name != NULL) {
        if (run_as_drop(&cfg, &ras, err, sizeof(err)) < 0) {
            say(LOG_ERR, "cannot drop privileges to %s: %s", ras.name, err);
            goto out;
        }
        say(LOG_INFO, "dropped privileges to %s (uid %ld, gid %ld)", ras.name, (long)ras.uid, (long)ras.gid);
    }
    if (sspix_engine_start(e) < 0) {
        say(LOG_ERR, "cannot start the worker threads: %s", strerror(errno));
        goto out;
    }
    say(LOG_INFO, "listening on %s (%s, mode %s, %u threads, principal %s in %s)", sspix_engine_address(e), cfg.package,
        cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any", keytab_name(&cfg));
    daemon_report(0);
    notify("READY=1\nMAINPID=%ld\nSTATUS=listening on %s (%s, mode %s)", (long)getpid(), sspix_engine_address(e),
           cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet");

    for (;;) {
        int sig;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration", monotonic_usec());
            bool ok = reload(e, cli, config_path, &cfg, &ras, &running);
            notify("READY=1\nSTATUS=%s on %s (%s, mode %s)",
                   ok ? "listening" : "reload failed (see the log), still serving the previous configuration",
                   sspix_engine_address(e), cfg.package, cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet");
            continue;
        }
        say(LOG_NOTICE,
            "%s: stopping; handshakes and messages in flight get up to %u s to finish (send it again to stop now)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.shutdown_grace);
        break;
    }
    notify("STOPPING=1\nSTATUS=stopping: finishing the work in flight (up to %u s)", cfg.shutdown_grace);
    sspix_engine_stop(e);
    /* While the stop runs, a second SIGTERM/SIGINT cuts it short; SIGHUP is ignored. */
    bool cut = false;
    while (!sspix_engine_done(e)) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (!cut && (sig == SIGTERM || sig == SIGINT)) {
            say(LOG_NOTICE, "%s again: closing every connection now", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            sspix_engine_stop_now(e);
            cut = true;
        }
    }
    sspix_engine_wait(e);
    rc = 0;
out:
    sspix_engine_free(e);
    sspix_svc_cred_unref(running);
    /* After --user this fails unless NAME may write the pid file's directory. */
    if (cfg.pid_file != NULL)
        pid_file_remove(cfg.pid_file);
    if (rc == 0)
        say(LOG_INFO, "stopped");
    sspix_svc_config_free(&cfg);
    free(abs_config);
    return rc;
}

int main(int argc, char **argv)
{
    sspix_svc_config cli;
    const char *config_path = NULL;
    bool check_only = false, dump_only = false, daemon_mode = false;
    char err[1024];
    int opt;

    sspix_svc_config_init(&cli);
    while ((opt = getopt_long(argc, argv, "p:b:P:k:s:m:c:tThV", long_opts, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case 'p': key = "port"; break;
        case 'b': key = "bind"; break;
        case 'P': key = "package"; break;
        case 'k': key = "keytab"; break;
        case 's': key = "spn"; break;
        case 'm': key = "mode"; break;
        case OPT_THREADS: key = "threads"; break;
        case OPT_PROTOCOL: key = "protocol"; break;
        case OPT_MAX_TOKEN: key = "max-token"; break;
        case OPT_MAX_MESSAGE: key = "max-message"; break;
        case OPT_HANDSHAKE_TIMEOUT: key = "handshake-timeout"; break;
        case OPT_MAX_LEGS: key = "max-legs"; break;
        case OPT_MAX_CONNECTIONS: key = "max-connections"; break;
        case OPT_IDLE_TIMEOUT: key = "idle-timeout"; break;
        case OPT_ALLOW_NO_MUTUAL:
            key = "allow-no-mutual";
            optarg = (char *)"yes";
            break;
        case OPT_LOG: key = "log"; break;
        case OPT_PID_FILE: key = "pid-file"; break;
        case OPT_NTLM_USERS: key = "ntlm-users"; break;
        case OPT_USER: key = "user"; break;
        case OPT_SHUTDOWN_GRACE: key = "shutdown-grace"; break;
        case OPT_MESSAGE_TIMEOUT: key = "message-timeout"; break;
        case OPT_MAX_PER_ADDRESS: key = "max-per-address"; break;
        case OPT_REPLAY_CACHE: key = "replay-cache"; break;
        case OPT_ALLOW_WEAK_CONTEXT:
            key = "allow-weak-context";
            optarg = (char *)"yes";
            break;
        case 'c': config_path = optarg; break;
        case 't': check_only = true; break;
        case 'T': dump_only = true; break;
        case OPT_DAEMON: daemon_mode = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("%s %s (libsspix %s)\n", prog, SSPIX_VERSION_STRING, sspix_version()); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
        if (key != NULL && sspix_svc_config_set(&cli, key, optarg, true, err, sizeof(err)) < 0) {
            fprintf(stderr, "%s: --%s\n", prog, err);
            sspix_svc_config_free(&cli);
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
        sspix_svc_config_free(&cli);
        return EXIT_USAGE;
    }
    int rc = serve(&cli, config_path, check_only, dump_only, daemon_mode);
    daemon_report(rc);
    sspix_svc_config_free(&cli);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog_close();
    return rc;
}
