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
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <pthread.h>

#include <sspix/sspix.h>

#include "service/config.h"
#include "service/engine.h"

#define EXIT_USAGE   1
#define EXIT_STARTUP 2
#define GRACE_MS     5000

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
            "      --allow-no-mutual      accept a context without mutual authentication\n"
            "      --log stderr|syslog    where the per-connection lines go (stderr)\n"
            "  -c, --config FILE          'key = value' lines, keys as the long options; options win\n"
            "  -t                         check the configuration and credentials, print, exit\n"
            "      --daemon               detach (default: stay in the foreground)\n"
            "      --pid-file FILE        write the process id here once listening\n"
            "  -h, --help                 this text\n"
            "  -V, --version              print the version\n"
            "\n"
            "Signals: SIGHUP reloads the config file and the credential; SIGTERM/SIGINT stop\n"
            "accepting, let handshakes in flight finish (up to 5 s) and exit 0.\n"
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

static SECURITY_STATUS acquire(const sspix_svc_config *c, sspix_svc_cred **out)
{
    struct sspix_svc_limits lim;
    sspix_svc_config_limits(c, &lim);
    return sspix_svc_cred_acquire_ntlm(c->package, c->spn, c->keytab, c->ntlm_users, &lim, out);
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

static void reload(sspix_engine *e, const sspix_svc_config *cli, const char *path, sspix_svc_config *cur)
{
    sspix_svc_config next;
    sspix_svc_cred *cred;
    char err[1024];
    if (build_config(cli, path, &next, err, sizeof(err)) < 0) {
        say("reload failed, keeping the running configuration: %s", err);
        return;
    }
    SECURITY_STATUS st = acquire(&next, &cred);
    if (st != SEC_E_OK) {
        say("reload failed, keeping the running configuration: cannot acquire %s credentials for %s from %s: %s: %s",
            next.package, next.spn ? next.spn : "any principal", keytab_name(&next), sspix_status_name(st),
            sspix_last_error());
        sspix_svc_config_free(&next);
        return;
    }
    if (next.port != cur->port || (next.bind == NULL) != (cur->bind == NULL) ||
        (next.bind && strcmp(next.bind, cur->bind) != 0) || next.threads != cur->threads || next.log != cur->log)
        say("reload: port, bind, threads and log take effect only after a restart");
    sspix_engine_set_cred(e, cred);
    sspix_engine_set_max_connections(e, next.max_connections);
    sspix_svc_cred_unref(cred); /* the engine holds it now */
    say("reloaded: %s, mode %s, principal %s in %s", next.package, next.mode == SSPIX_SVC_ECHO ? "echo" : "greet",
        next.spn ? next.spn : "any", keytab_name(&next));
    /* Keep the start-up values of what cannot change. */
    next.port = cur->port;
    next.threads = cur->threads;
    next.log = cur->log;
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

    /* Credentials once, for every connection and thread. */
    sspix_svc_cred *cred;
    SECURITY_STATUS st = acquire(&cfg, &cred);
    if (st != SEC_E_OK) {
        say("cannot acquire %s acceptor credentials for %s from %s: %s: %s", cfg.package,
            cfg.spn ? cfg.spn : "any principal", keytab_name(&cfg), sspix_status_name(st), sspix_last_error());
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    const char *bind_text = cfg.bind ? cfg.bind : "::";
    if (check_only) {
        printf("%s: configuration OK: would listen on %s%s%s:%u (%s, mode %s, %u threads, principal %s in %s)\n", prog,
               strchr(bind_text, ':') ? "[" : "", bind_text, strchr(bind_text, ':') ? "]" : "", cfg.port, cfg.package,
               cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any",
               keytab_name(&cfg));
        sspix_svc_cred_unref(cred);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return 0;
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
        .grace_ms = GRACE_MS,
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
    sspix_svc_cred_unref(cred); /* the engine holds it */
    if (daemon_mode && daemonize() < 0) {
        say("cannot detach: %s", strerror(errno));
        sspix_engine_free(e);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    say("listening on %s (%s, mode %s, %u threads, principal %s in %s)", sspix_engine_address(e), cfg.package,
        cfg.mode == SSPIX_SVC_ECHO ? "echo" : "greet", cfg.threads, cfg.spn ? cfg.spn : "any", keytab_name(&cfg));
    if (cfg.pid_file != NULL && write_pid_file(cfg.pid_file) < 0) {
        say("cannot write the pid file %s: %s", cfg.pid_file, strerror(errno));
        sspix_engine_free(e);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }
    if (sspix_engine_start(e) < 0) {
        say("cannot start the worker threads: %s", strerror(errno));
        sspix_engine_free(e);
        sspix_svc_config_free(&cfg);
        sspix_svc_config_free(&cli);
        return EXIT_STARTUP;
    }

    for (;;) {
        int sig;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload(e, &cli, config_path, &cfg);
            continue;
        }
        say("%s: stopping; handshakes in flight get up to %d s", sig == SIGTERM ? "SIGTERM" : "SIGINT",
            GRACE_MS / 1000);
        break;
    }
    sspix_engine_stop(e);
    sspix_engine_wait(e);
    sspix_engine_free(e);
    if (cfg.pid_file != NULL)
        unlink(cfg.pid_file);
    say("stopped");
    sspix_svc_config_free(&cfg);
    sspix_svc_config_free(&cli);
    if (log_target == SSPIX_SVC_LOG_SYSLOG)
        closelog();
    return 0;
}
