/* SPDX-License-Identifier: MIT */
/*
 * client_opts.c - sspix-client's options: --help's text, parsing and the
 * checks between options. See client_opts.h.
 */
#define SECURITY_WIN32
#include <sspix/sspix.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client_opts.h"
#include "wire/gssframe.h"

#define DEFAULT_PORT        2000
#define DEFAULT_TIMEOUT     10.0
#define DEFAULT_MAX_MESSAGE 65536u
#define MAX_MAX_MESSAGE     (64u * 1024u * 1024u)

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: " PROG " HOST [options]\n"
            "Authenticate to an SSPI sockets-sample server with mutual authentication.\n"
            "\n"
            "  -p, --port PORT            TCP port (default %d)\n"
            "  -s, --spn SPN              service principal (default host/HOST)\n"
            "  -P, --package NAME         Negotiate (default), Kerberos or NTLM (NTLM never\n"
            "                             authenticates the server: it needs --allow-no-mutual)\n"
            "      --user U --domain D --password-file F\n"
            "                             log on with a password (first line of F), not the ccache\n"
            "  -m, --mode greet|echo      read the server's greeting (default), or echo protected\n"
            "                             messages\n"
            "      --message TEXT         echo: send TEXT (default: one message per stdin line)\n"
            "      --size N --count M     echo: send M messages of N pseudo-random bytes\n"
            "      --connections N        load generator: N connections in total\n"
            "      --parallel P           load generator: at most P in flight\n"
            "      --threads N            load generator: event-loop threads (default: CPUs, max 8)\n"
            "      --timeout SEC          bound on each wait for the KDC (getting the ticket, or a\n"
            "                             password logon), each connect and each wait for the\n"
            "                             server (default 10)\n"
            "      --max-message BYTES    largest message sent or accepted (default %u)\n"
            "      --allow-no-mutual      do not ask for or require mutual authentication\n"
            "      --protocol ms|gss-sample\n"
            "                             the Microsoft sample's framing (default) or MIT's\n"
            "                             gss-sample (gss-server's protocol; echo messages are wrapped\n"
            "                             and answered by a MIC; greet mode sends no message)\n"
            "      --no-wrap, --no-encrypt, --no-mic\n"
            "                             gss-sample: send messages unwrapped / integrity-only /\n"
            "                             without asking for a MIC (gss-client's -nw, -nx, -nm)\n"
            "      --hold SEC             load generator, echo mode: each session idles SEC seconds\n"
            "                             once authenticated, then sends its messages (prints\n"
            "                             'held: N' once all sessions of --parallel are idle)\n"
            "  -q, --quiet                print only the greeting / echoes / summary and errors\n"
            "  -h, --help                 this text\n"
            "  -V, --version              print the version\n"
            "\n"
            "Exit: 0 ok, 1 usage, 2 connection error, 3 authentication failed, 4 server did not\n"
            "prove its identity, 5 message protection or protocol error, 6 load run had failures.\n",
            DEFAULT_PORT, DEFAULT_MAX_MESSAGE);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '" PROG " --help'.\n");
    exit(SSPIX_CLIENT_EXIT_USAGE);
}

static unsigned long long parse_num(const char *opt, const char *s, unsigned long long lo, unsigned long long hi)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0')
        die_usage("%s needs a non-negative integer", opt);
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, PROG ": %s must be an integer from %llu to %llu, not '%s'\n", opt, lo, hi, s);
        exit(SSPIX_CLIENT_EXIT_USAGE);
    }
    return v;
}

enum {
    OPT_USER = 256,
    OPT_DOMAIN,
    OPT_PASSWORD_FILE,
    OPT_MESSAGE,
    OPT_SIZE,
    OPT_COUNT,
    OPT_CONNECTIONS,
    OPT_PARALLEL,
    OPT_THREADS,
    OPT_TIMEOUT,
    OPT_MAX_MESSAGE,
    OPT_ALLOW_NO_MUTUAL,
    OPT_PROTOCOL,
    OPT_NO_WRAP,
    OPT_NO_ENCRYPT,
    OPT_NO_MIC,
    OPT_HOLD,
};

void client_parse_opts(int argc, char **argv, struct client_opts *o)
{
    static const struct option longopts[] = {
        {"port", required_argument, NULL, 'p'},
        {"spn", required_argument, NULL, 's'},
        {"package", required_argument, NULL, 'P'},
        {"user", required_argument, NULL, OPT_USER},
        {"domain", required_argument, NULL, OPT_DOMAIN},
        {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
        {"mode", required_argument, NULL, 'm'},
        {"message", required_argument, NULL, OPT_MESSAGE},
        {"size", required_argument, NULL, OPT_SIZE},
        {"count", required_argument, NULL, OPT_COUNT},
        {"connections", required_argument, NULL, OPT_CONNECTIONS},
        {"parallel", required_argument, NULL, OPT_PARALLEL},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"max-message", required_argument, NULL, OPT_MAX_MESSAGE},
        {"allow-no-mutual", no_argument, NULL, OPT_ALLOW_NO_MUTUAL},
        {"quiet", no_argument, NULL, 'q'},
        {"protocol", required_argument, NULL, OPT_PROTOCOL},
        {"no-wrap", no_argument, NULL, OPT_NO_WRAP},
        {"no-encrypt", no_argument, NULL, OPT_NO_ENCRYPT},
        {"no-mic", no_argument, NULL, OPT_NO_MIC},
        {"hold", required_argument, NULL, OPT_HOLD},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch, have_conn = 0, have_par = 0;

    memset(o, 0, sizeof(*o));
    o->port = DEFAULT_PORT;
    o->package = "Negotiate";
    o->mode = SSPIX_CLIENT_MODE_GREET;
    o->size = -1;
    o->timeout = DEFAULT_TIMEOUT;
    o->max_message = DEFAULT_MAX_MESSAGE;
    o->connections = 1;

    opterr = 0;
    while ((ch = getopt_long(argc, argv, ":p:s:P:m:qhV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': o->port = (unsigned)parse_num("--port", optarg, 1, 65535); break;
        case 's': o->spn = optarg; break;
        case 'P':
            if (strcasecmp(optarg, "Negotiate") == 0)
                o->package = "Negotiate";
            else if (strcasecmp(optarg, "Kerberos") == 0)
                o->package = "Kerberos";
            else if (strcasecmp(optarg, "NTLM") == 0)
                o->package = "NTLM"; /* never mutual: needs --allow-no-mutual, or the client refuses the server */
            else
                die_usage("--package must be Negotiate, Kerberos or NTLM, not '%s'", optarg);
            break;
        case OPT_USER: o->user = optarg; break;
        case OPT_DOMAIN: o->domain = optarg; break;
        case OPT_PASSWORD_FILE: o->password_file = optarg; break;
        case 'm':
            if (strcmp(optarg, "greet") == 0)
                o->mode = SSPIX_CLIENT_MODE_GREET;
            else if (strcmp(optarg, "echo") == 0)
                o->mode = SSPIX_CLIENT_MODE_ECHO;
            else
                die_usage("--mode must be greet or echo, not '%s'", optarg);
            break;
        case OPT_MESSAGE: o->message = optarg; break;
        case OPT_SIZE: o->size = (long long)parse_num("--size", optarg, 0, MAX_MAX_MESSAGE + 1ull); break;
        case OPT_COUNT: o->count = (unsigned long)parse_num("--count", optarg, 1, 1000000000ull); break;
        case OPT_CONNECTIONS:
            o->connections = (unsigned long)parse_num("--connections", optarg, 1, 1000000000ull);
            have_conn = 1;
            break;
        case OPT_PARALLEL:
            o->parallel = (unsigned long)parse_num("--parallel", optarg, 1, 1000000ull);
            have_par = 1;
            break;
        case OPT_THREADS: o->threads = (unsigned)parse_num("--threads", optarg, 1, 64); break;
        case OPT_TIMEOUT: {
            char *end;
            errno = 0;
            double t = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || !(t > 0.0) || t > 86400.0)
                die_usage("--timeout must be a number of seconds above 0 (at most 86400), not '%s'", optarg);
            o->timeout = t;
            break;
        }
        case OPT_MAX_MESSAGE:
            o->max_message = (unsigned long)parse_num("--max-message", optarg, 1, MAX_MAX_MESSAGE);
            break;
        case OPT_ALLOW_NO_MUTUAL: o->allow_no_mutual = 1; break;
        case OPT_PROTOCOL:
            if (strcmp(optarg, "ms") == 0 || strcmp(optarg, "ms-sample") == 0)
                o->gss = 0;
            else if (strcmp(optarg, "gss-sample") == 0 || strcmp(optarg, "gss") == 0)
                o->gss = 1;
            else
                die_usage("--protocol must be ms or gss-sample, not '%s'", optarg);
            break;
        case OPT_NO_WRAP: o->no_wrap = 1; break;
        case OPT_NO_ENCRYPT: o->no_encrypt = 1; break;
        case OPT_NO_MIC: o->no_mic = 1; break;
        case OPT_HOLD: {
            char *end;
            errno = 0;
            double h = strtod(optarg, &end);
            if (errno != 0 || *end != '\0' || !(h >= 0.0) || h > 3600.0)
                die_usage("--hold must be a number of seconds from 0 to 3600, not '%s'", optarg);
            o->hold = h;
            break;
        }
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        /* The same format as sspix-server's: program, version, the library's version. */
        case 'V': printf(PROG " %s (libsspix %s)\n", SSPIX_VERSION_STRING, sspix_version()); exit(0);
        case ':': die_usage("option '%s' needs a value", argv[optind - 1]);
        default: die_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        die_usage("%s", "missing HOST");
    o->host = argv[optind++];
    if (optind < argc)
        die_usage("unexpected argument '%s'", argv[optind]);

    if (o->spn == NULL) {
        snprintf(o->spn_buf, sizeof(o->spn_buf), "host/%s", o->host);
        o->spn = o->spn_buf;
    }
    if ((o->domain || o->password_file) && !o->user)
        die_usage("%s", "--domain and --password-file go with --user");
    if (o->user && !o->password_file)
        die_usage("%s", "--user needs --password-file");
    if (o->mode == SSPIX_CLIENT_MODE_GREET && (o->message || o->size >= 0 || o->count))
        die_usage("%s", "--message, --size and --count need --mode echo");
    if (o->message && o->size >= 0)
        die_usage("%s", "--message and --size exclude each other");
    if (o->count && !o->message && o->size < 0)
        die_usage("%s", "--count goes with --message or --size");
    if ((o->no_wrap || o->no_encrypt || o->no_mic) && !o->gss)
        die_usage("%s", "--no-wrap, --no-encrypt and --no-mic go with --protocol gss-sample");
    o->load = have_conn || have_par;
    if (o->hold > 0 && (!o->load || o->mode != SSPIX_CLIENT_MODE_ECHO))
        die_usage("%s", "--hold goes with a load run (--connections/--parallel) in --mode echo");
    if (!o->load && o->threads)
        die_usage("%s", "--threads goes with --connections/--parallel");
    if (o->load) {
        if (!have_par)
            o->parallel = o->connections < 100 ? o->connections : 100;
        if (o->parallel > o->connections)
            o->parallel = o->connections;
        if (o->mode == SSPIX_CLIENT_MODE_ECHO && !o->message && o->size < 0)
            die_usage("%s", "a load run in echo mode needs --message or --size (stdin is for one connection)");
        if (o->threads == 0) {
            long n = sysconf(_SC_NPROCESSORS_ONLN);
            o->threads = n < 1 ? 1 : n > 8 ? 8 : (unsigned)n;
        }
    }
    if (o->count == 0)
        o->count = 1;
}
