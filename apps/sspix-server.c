/*
 * sspix-server - the seed's authenticated sockets service: every client is
 * authenticated with AcceptSecurityContext (Negotiate by default, mutual
 * authentication required), then greeted or echoed with protected messages in
 * the Microsoft sample's layout. See sspix-server(8).
 *
 * This file is options, config, logging, signals and exit codes; the service
 * itself is src/service/ (engine.c, conn.c, proto_ms.c).
 *
 * Exit codes: 0 ok, 1 usage or configuration error, 2 credential or start-up
 * error (bind included).
 */
#define _GNU_SOURCE /* getresuid, getresgid */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <pthread.h>

#include <sspix/sspix.h>

#include "service/config.h"
#include "service/engine.h"

#define EXIT_USAGE   1
#define EXIT_STARTUP 2

static const char *prog = "sspix-server";
static enum sspix_svc_log log_target = SSPIX_SVC_LOG_STDERR;

static void log_line(void *arg, const char *line)
{
    (void)arg;
    if (log_target == SSPIX_SVC_LOG_SYSLOG) {
        syslog(LOG_INFO, "%s", line);
        return;
    }
    /* One write(2) per line, so lines from different threads never interleave. */
    char buf[1200];
    int n = snprintf(buf, sizeof(buf), "%s: %s\n", prog, line);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf)) {
        n = sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
    (void)w;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        syslog(LOG_NOTICE, "%s", line);
    fprintf(stderr, "%s: %s\n", prog, line);
    fflush(stderr);
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
            "  -T, --threads N            event loops, one per thread (default: one per CPU)\n"
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
            "      --log stderr|syslog    where the per-connection lines go (stderr)\n"
            "  -c, --config FILE          'key = value' lines, keys as the long options; options win\n"
            "  -t                         check the configuration and credentials, print, exit\n"
            "      --daemon               detach (default: stay in the foreground)\n"
            "      --pid-file FILE        write the process id here once listening (before --user)\n"
            "      --user NAME            start as root, then after reading the keys and binding, and\n"
            "                             before accepting anyone, run as NAME (its groups, gid, uid);\n"
            "                             the keytab is read once, into memory; NAME must be able to\n"
            "                             write the replay cache directory (KRB5RCACHEDIR or /var/tmp)\n"
            "  -h, --help                 this text\n"
            "  -V, --version              print the version\n"
            "\n"
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
};

static const struct option long_opts[] = {
    {"port", required_argument, NULL, 'p'},
    {"bind", required_argument, NULL, 'b'},
    {"package", required_argument, NULL, 'P'},
    {"keytab", required_argument, NULL, 'k'},
    {"spn", required_argument, NULL, 's'},
    {"mode", required_argument, NULL, 'm'},
    {"protocol", required_argument, NULL, OPT_PROTOCOL},
    {"threads", required_argument, NULL, 'T'},
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
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

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

static const char *keytab_name(const sspix_svc_config *c)
{
    if (c->keytab)
        return c->keytab;
    const char *env = getenv("KRB5_KTNAME");
    return env && *env ? env : "the default keytab";
}

/* With --user the keys are read once, into memory: NAME cannot read the keytab. */
static SECURITY_STATUS acquire(const sspix_svc_config *c, bool in_memory, sspix_svc_cred **out)
{
    struct sspix_svc_limits lim;
    sspix_svc_config_limits(c, &lim);
    return sspix_svc_cred_acquire_flags(c->package, c->spn, c->keytab, c->ntlm_users,
                                        in_memory ? SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY : 0, &lim, out);
}

/* ---- privilege separation (--user) ---------------------------------------- */

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
static int run_as_drop(struct run_as *r, char *err, size_t errlen)
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

    /* Every accept reads the krb5 profile again; an unreadable one fails them all. */
    const char *profile = getenv("KRB5_CONFIG");
    char files[4096];
    snprintf(files, sizeof(files), "%s", profile && *profile ? profile : "/etc/krb5.conf");
    for (char *save = NULL, *f = strtok_r(files, ":", &save); f != NULL; f = strtok_r(NULL, ":", &save)) {
        if (access(f, R_OK) < 0 && errno != ENOENT) {
            snprintf(err, errlen,
                     "the krb5 configuration %s is not readable by %s (%s): make it readable (it "
                     "holds no secrets), or point KRB5_CONFIG at a copy %s can read",
                     f, r->name, strerror(errno), r->name);
            return -1;
        }
    }

    return rcache_probe(r->name, err, errlen);
}

/* -t: try the drop in a child and report; the parent keeps its privileges. */
static int run_as_check(const struct run_as *r)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        say("--user %s: cannot fork to check it: %s", r->name, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        char err[1024];
        struct run_as child = *r;
        if (run_as_drop(&child, err, sizeof(err)) < 0) {
            say("--user %s would fail: %s", r->name, err);
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
    printf("%s: would drop privileges after binding to user %s (uid %ld, gid %ld, its groups); keytab read once "
           "into memory; replay cache directory %s writable by %s\n",
           prog, r->name, (long)r->uid, (long)r->gid, rcache_dir(), r->name);
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

static int write_pid_file(const char *path)
{
    char tmp[4096], buf[32];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (write(fd, buf, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
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
        if (log_target == SSPIX_SVC_LOG_SYSLOG)
            dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

/*
 * SIGHUP. *running is the generation the engine serves (main holds a
 * reference). After --user dropped root the keytab normally cannot be read
 * again: then the new settings are applied around the credential loaded at
 * start-up.
 */
static void reload(sspix_engine *e, const sspix_svc_config *cli, const char *path, sspix_svc_config *cur,
                   const struct run_as *ras, sspix_svc_cred **running)
{
    sspix_svc_config next;
    sspix_svc_cred *cred;
    char err[1024];
    bool kept = false;
    if (build_config(cli, path, &next, err, sizeof(err)) < 0) {
        say("reload failed, keeping the running configuration: %s", err);
        return;
    }
    SECURITY_STATUS st = acquire(&next, ras->name != NULL, &cred);
    /* Without root the keys usually cannot be read again; whatever the reason,
     * the keys loaded at start-up stay, and the library says why. */
    if (st != SEC_E_OK && ras->dropped) {
        if (!same_str(next.package, cur->package) || !same_str(next.spn, cur->spn) ||
            !same_str(next.keytab, cur->keytab) || !same_str(next.ntlm_users, cur->ntlm_users)) {
            say("reload failed, keeping the running configuration: cannot re-read keytab %s after dropping "
                "privileges to %s (%s), and package, spn, keytab or ntlm-users changed: restart to apply them",
                keytab_name(&next), ras->name, sspix_last_error());
            sspix_svc_config_free(&next);
            return;
        }
        say("SIGHUP: cannot re-read keytab %s after dropping privileges to %s (%s); keeping the credential "
            "loaded at start-up; restart to reload keys",
            keytab_name(&next), ras->name, sspix_last_error());
        struct sspix_svc_limits lim;
        sspix_svc_config_limits(&next, &lim);
        st = sspix_svc_cred_rewrap(*running, &lim, &cred);
        kept = true;
    }
    if (st != SEC_E_OK) {
        say("reload failed, keeping the running configuration: cannot acquire %s credentials for %s from %s: %s: %s",
            next.package, next.spn ? next.spn : "any principal", keytab_name(&next), sspix_status_name(st),
            sspix_last_error());
        sspix_svc_config_free(&next);
        return;
    }
    if (next.port != cur->port || (next.bind == NULL) != (cur->bind == NULL) ||
        (next.bind && strcmp(next.bind, cur->bind) != 0) || next.threads != cur->threads || next.log != cur->log ||
        !same_str(next.user, cur->user) || next.shutdown_grace != cur->shutdown_grace)
        say("reload: port, bind, threads, log, user and shutdown-grace take effect only after a restart");
    sspix_engine_set_cred(e, cred);
    sspix_engine_set_max_connections(e, next.max_connections);
    sspix_engine_set_max_per_address(e, next.max_per_address);
    sspix_svc_cred_unref(*running);
    *running = cred; /* our reference; the engine holds its own */
    say("reloaded: %s, mode %s, principal %s in %s%s", next.package, next.mode == SSPIX_SVC_ECHO ? "echo" : "greet",
        next.spn ? next.spn : "any", keytab_name(&next), kept ? " (keys from start-up)" : "");
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
}

int main(int argc, char **argv)
{
    sspix_svc_config cli, cfg;
    const char *config_path = NULL;
    bool check_only = false, daemon_mode = false;
    char err[1024];
    int opt;

    sspix_svc_config_init(&cli);
    while ((opt = getopt_long(argc, argv, "p:b:P:k:s:m:T:c:thV", long_opts, NULL)) != -1) {
        const char *key = NULL;
        switch (opt) {
        case 'p': key = "port"; break;
        case 'b': key = "bind"; break;
        case 'P': key = "package"; break;
        case 'k': key = "keytab"; break;
        case 's': key = "spn"; break;
        case 'm': key = "mode"; break;
        case 'T': key = "threads"; break;
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
        case OPT_ALLOW_WEAK_CONTEXT:
            key = "allow-weak-context";
            optarg = (char *)"yes";
            break;
        case 'c': config_path = optarg; break;
        case 't': check_only = true; break;
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
    if (build_config(&cli, config_path, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err);
        sspix_svc_config_free(&cli);
        return EXIT_USAGE;
    }
    log_target = cfg.log;
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        openlog(prog, LOG_PID, LOG_DAEMON);
    raise_nofile();

    struct run_as ras;
    if (run_as_lookup(cfg.user, &ras, err, sizeof(err)) < 0) {
        say("%s", err);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_USAGE;
    }

    /* Credentials once, for every connection and thread. */
    sspix_svc_cred *cred;
    SECURITY_STATUS st = acquire(&cfg, ras.name != NULL, &cred);
    if (st != SEC_E_OK) {
        say("cannot acquire %s acceptor credentials for %s from %s: %s: %s", cfg.package,
            cfg.spn ? cfg.spn : "any principal", keytab_name(&cfg), sspix_status_name(st), sspix_last_error());
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    /* Without --user this process serves as it is; with --user the drop (or
     * its check under -t) probes as NAME. */
    if (ras.name == NULL && rcache_in_use(&cfg)) {
        struct passwd *pw = getpwuid(geteuid());
        char who[128];
        snprintf(who, sizeof(who), "%s (uid %ld)", pw ? pw->pw_name : "this user", (long)geteuid());
        if (rcache_probe(who, err, sizeof(err)) < 0) {
            say("%s", err);
            sspix_svc_cred_unref(cred);
            sspix_svc_config_free(&cfg);
            sspix_svc_config_free(&cli);
            return EXIT_STARTUP;
        }
    }
    const char *bind_text = cfg.bind ? cfg.bind : "::";
    if (check_only) {
        printf("%s: configuration OK: would listen on %s%s%s:%u (%s, mode %s, %u threads, principal %s in %s)\n", prog,
               strchr(bind_text, ':') ? "[" : "", bind_text, strchr(bind_text, ':') ? "]" : "", cfg.port, cfg.package,
               cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any",
               keytab_name(&cfg));
        int rc = ras.name != NULL && run_as_check(&ras) < 0 ? EXIT_STARTUP : 0;
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
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
        .log = log_line,
    };
    sspix_engine *e;
    if (sspix_engine_create(&eo, cred, &e, err, sizeof(err)) < 0) {
        say("cannot listen: %s", err);
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    sspix_svc_cred *running = cred; /* main's reference; the engine holds its own */
    if (daemon_mode && daemonize() < 0) {
        say("cannot detach: %s", strerror(errno));
        sspix_engine_free(e);
        sspix_svc_cred_unref(running);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    say("listening on %s (%s, mode %s, %u threads, principal %s in %s)", sspix_engine_address(e), cfg.package,
        cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any", keytab_name(&cfg));
    if (cfg.pid_file != NULL && write_pid_file(cfg.pid_file) < 0) {
        say("cannot write the pid file %s: %s", cfg.pid_file, strerror(errno));
        sspix_engine_free(e);
        sspix_svc_cred_unref(running);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    /* Keys in memory, sockets bound, pid file written: nothing needs root any more. */
    if (ras.name != NULL) {
        if (run_as_drop(&ras, err, sizeof(err)) < 0) {
            say("cannot drop privileges to %s: %s", ras.name, err);
            sspix_engine_free(e);
            sspix_svc_cred_unref(running);
            sspix_svc_config_free(&cfg);
            sspix_svc_config_free(&cli);
            return EXIT_STARTUP;
        }
        say("dropped privileges to %s (uid %ld, gid %ld)", ras.name, (long)ras.uid, (long)ras.gid);
    }
    if (sspix_engine_start(e) < 0) {
        say("cannot start the worker threads: %s", strerror(errno));
        sspix_engine_free(e);
        sspix_svc_cred_unref(running);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }

    for (;;) {
        int sig;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload(e, &cli, config_path, &cfg, &ras, &running);
            continue;
        }
        say("%s: stopping; handshakes and messages in flight get up to %u s to finish (send it again to stop now)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.shutdown_grace);
        break;
    }
    sspix_engine_stop(e);
    /* While the stop runs, a second SIGTERM/SIGINT cuts it short; SIGHUP is ignored. */
    bool cut = false;
    while (!sspix_engine_done(e)) {
        struct timespec tick = {0, 50 * 1000 * 1000};
        int sig = sigtimedwait(&sigs, NULL, &tick);
        if (!cut && (sig == SIGTERM || sig == SIGINT)) {
            say("%s again: closing every connection now", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            sspix_engine_stop_now(e);
            cut = true;
        }
    }
    sspix_engine_wait(e);
    sspix_engine_free(e);
    sspix_svc_cred_unref(running);
    /* After --user this fails unless NAME may write the pid file's directory. */
    if (cfg.pid_file != NULL)
        unlink(cfg.pid_file);
    say("stopped");
    sspix_svc_config_free(&cfg);
    sspix_svc_config_free(&cli);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        closelog();
    return 0;
}
