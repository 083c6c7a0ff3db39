/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c - libFuzzer target for sspix-server's config-file reader and
 * its setter: sspix_svc_config_load, sspix_svc_config_set,
 * sspix_svc_config_copy, sspix_svc_config_limits, sspix_svc_config_absolute,
 * sspix_svc_config_free (src/service/config.c).
 *
 * Input: byte 0 chooses.
 *   even  the rest is a config file (given to the reader through a memfd,
 *         so no file is written), loaded over a config where port and mode
 *         were set on the command line
 *   odd   "key NUL value" for one sspix_svc_config_set call (byte 0 & 2: as
 *         from the command line)
 * Oracle: an error always comes with a message; the command line wins (port
 * and mode keep their values, whatever the file says); loading is
 * deterministic (twice gives the same settings); a deep copy equals its
 * source; path settings made absolute are absolute; and what a file set
 * survives a round trip: written back as key = "value" lines and read again,
 * it gives the same settings.
 *
 * `fuzz_config -gen=DIR` writes the seed corpus and exits.
 */
#define _GNU_SOURCE /* memfd_create */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_bytes.h"
#include "service/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char memfd_path[64];

static int generate(const char *dir);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i < *argc; i++)
        if (strncmp((*argv)[i], "-gen=", 5) == 0)
            exit(generate((*argv)[i] + 5));
    memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
    if (memfd < 0) {
        perror("fuzz_config: memfd_create");
        exit(1);
    }
    snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
    return 0;
}

/* The file's new contents. */
static void set_file(const void *p, size_t n)
{
    if (ftruncate(memfd, 0) != 0 || (n > 0 && pwrite(memfd, p, n, 0) != (ssize_t)n))
        fail("cannot write the memfd", strerror(errno));
}

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int config_eq(const sspix_svc_config *a, const sspix_svc_config *b)
{
    return a->port == b->port && str_eq(a->bind, b->bind) && str_eq(a->package, b->package) &&
           str_eq(a->keytab, b->keytab) && str_eq(a->spn, b->spn) && a->mode == b->mode && a->proto == b->proto &&
           a->threads == b->threads && a->max_token == b->max_token && a->max_message == b->max_message &&
           a->handshake_timeout == b->handshake_timeout && a->max_legs == b->max_legs &&
           a->max_connections == b->max_connections && a->idle_timeout == b->idle_timeout &&
           a->allow_no_mutual == b->allow_no_mutual && a->log == b->log && str_eq(a->pid_file, b->pid_file) &&
           str_eq(a->ntlm_users, b->ntlm_users) && str_eq(a->user, b->user) && a->shutdown_grace == b->shutdown_grace &&
           a->message_timeout == b->message_timeout && a->max_per_address == b->max_per_address &&
           a->allow_weak_context == b->allow_weak_context;
}

/* The two settings "given on the command line". */
static void cli(sspix_svc_config *c)
{
    char err[256];
    sspix_svc_config_init(c);
    if (sspix_svc_config_set(c, "port", "7", true, err, sizeof(err)) != 0 ||
        sspix_svc_config_set(c, "mode", "echo", true, err, sizeof(err)) != 0)
        fail("the command-line settings were refused", err);
}

static int load(sspix_svc_config *c, char *err, size_t cap)
{
    err[0] = '\0';
    int r = sspix_svc_config_load(c, memfd_path, err, cap);
    if (r != 0 && r != -1)
        fail("sspix_svc_config_load returned neither 0 nor -1", NULL);
    if (r == -1 && (err[0] == '\0' || strncmp(err, memfd_path, strlen(memfd_path)) != 0))
        fail("an error without a FILE:LINE message", err);
    if (c->port != 7 || c->mode != SSPIX_SVC_ECHO)
        fail("the file overrode a setting given on the command line", NULL);
    return r;
}

/* Longest value the round trip writes (its line must stay under the reader's 4096 bytes). */
#define ROUND_TRIP_MAX 4000u

static int put_str(FILE *f, const char *key, const char *v)
{
    if (v == NULL)
        return 0;
    if (strlen(v) > ROUND_TRIP_MAX)
        return -1;
    /* A quote that only blanks and a '#' follow would end the quoted value there: not representable. */
    for (const char *q = strchr(v, '"'); q != NULL; q = strchr(q + 1, '"')) {
        const char *r = q + 1;
        while (isspace((unsigned char)*r))
            r++;
        if (*r == '#')
            return -1;
    }
    fprintf(f, "%s = \"%s\"\n", key, v);
    return 0;
}

/* c written back as a file: 0, or -1 when a value is too long to write. */
static int write_back(const sspix_svc_config *c, char **text, size_t *len)
{
    FILE *f = open_memstream(text, len);
    if (f == NULL)
        abort();
    int r = 0;
    fprintf(f, "# written back\nport = %u\nmode = %s\n", c->port, c->mode == SSPIX_SVC_ECHO ? "echo" : "greet");
    fprintf(f, "protocol = %s\nthreads = %u\nmax-token = %u\nmax_message = %u\n",
            c->proto == SSPIX_SVC_PROTO_GSS ? "gss-sample" : "ms", c->threads, (unsigned)c->max_token,
            (unsigned)c->max_message);
    fprintf(f, "handshake-timeout = %u\nmax-legs = %u\nmax-connections = %u\nidle-timeout = %u\n", c->handshake_timeout,
            (unsigned)c->max_legs, c->max_connections, c->idle_timeout);
    fprintf(f, "allow-no-mutual = %s\nlog = %s\nshutdown-grace = %u\nmessage-timeout = %u\n",
            c->allow_no_mutual ? "yes" : "no", c->log == SSPIX_SVC_LOG_SYSLOG ? "syslog" : "stderr", c->shutdown_grace,
            c->message_timeout);
    fprintf(f, "max-per-address = %u\nallow-weak-context = %s\n", c->max_per_address,
            c->allow_weak_context ? "yes" : "no");
    r |= put_str(f, "bind", c->bind);
    r |= put_str(f, "package", c->package);
    r |= put_str(f, "keytab", c->keytab);
    r |= put_str(f, "spn", c->spn);
    r |= put_str(f, "pid-file", c->pid_file);
    r |= put_str(f, "ntlm-users", c->ntlm_users);
    r |= put_str(f, "user", c->user);
    if (fclose(f) != 0)
        abort();
    return r;
}

/* A keytab name that is a path (no TYPE: prefix, or FILE:/WRFILE:) must come out absolute. */
static int keytab_is_absolute(const char *k)
{
    const char *colon = strchr(k, ':');
    if (colon == NULL || memchr(k, '/', (size_t)(colon - k)) != NULL)
        return k[0] == '/';
    if (strncmp(k, "FILE:", 5) == 0 || strncmp(k, "WRFILE:", 7) == 0)
        return colon[1] == '/';
    return 1; /* MEMORY:, KEYRING:, ...: not a path */
}

/* The path settings made absolute against a start-up directory. */
static void check_absolute(sspix_svc_config *c)
{
    char err[1024];
    static const char base[] = "/srv/sspix";
    if (sspix_svc_config_absolute(c, base, err, sizeof(err)) != 0) {
        if (err[0] == '\0')
            fail("sspix_svc_config_absolute failed without a message", NULL);
        return;
    }
    if ((c->pid_file && c->pid_file[0] != '/') || (c->ntlm_users && c->ntlm_users[0] != '/') ||
        (c->keytab && !keytab_is_absolute(c->keytab)))
        fail("a path setting is still relative after sspix_svc_config_absolute", NULL);
}

static void file_case(const uint8_t *data, size_t size)
{
    char err[1024], err2[1024];
    sspix_svc_config a, b, copy;
    set_file(data, size);
    cli(&a);
    int ra = load(&a, err, sizeof(err));
    cli(&b);
    int rb = load(&b, err2, sizeof(err2));
    if (ra != rb || strcmp(err, err2) != 0 || !config_eq(&a, &b))
        fail("loading the same file twice gave different results", err);
    if (sspix_svc_config_copy(&copy, &a) != 0)
        abort();
    if (!config_eq(&copy, &a))
        fail("a copy differs from its source", NULL);
    struct sspix_svc_limits l;
    sspix_svc_config_limits(&copy, &l);
    if (l.max_token != a.max_token || l.max_legs != a.max_legs || l.mode != a.mode || l.proto != a.proto ||
        l.handshake_ms != a.handshake_timeout * 1000u)
        fail("the limits do not follow the settings", NULL);
    check_absolute(&copy);
    sspix_svc_config_free(&copy);
    sspix_svc_config_free(&b);

    if (ra == 0) {
        char *text = NULL;
        size_t len = 0;
        if (write_back(&a, &text, &len) == 0) {
            set_file(text, len);
            cli(&b);
            if (load(&b, err2, sizeof(err2)) != 0)
                fail("a file written back from loaded settings does not load", err2);
            if (!config_eq(&a, &b))
                fail("settings written back and read again differ", NULL);
            sspix_svc_config_free(&b);
        }
        free(text);
    }
    sspix_svc_config_free(&a);
}

static void set_case(unsigned sel, const uint8_t *data, size_t size)
{
    char *key = malloc(size + 2), err[512];
    if (key == NULL)
        abort();
    memcpy(key, data, size);
    key[size] = key[size + 1] = '\0';
    const char *value = key + strlen(key) + 1; /* after the first NUL, or "" */
    if (value > key + size)
        value = key + size + 1;
    sspix_svc_config c;
    sspix_svc_config_init(&c);
    err[0] = '\0';
    bool from_cli = (sel & 2) != 0;
    int r = sspix_svc_config_set(&c, key, value, from_cli, err, sizeof(err));
    if (r != 0 && (r != -1 || err[0] == '\0'))
        fail("sspix_svc_config_set failed without a message", NULL);
    if (r == 0 && !from_cli && c.given != 0)
        fail("a file value was marked as given on the command line", NULL);
    /* Set from the command line, the same key is no longer taken from a file. */
    if (r == 0 && from_cli && c.given != 0) {
        sspix_svc_config before;
        if (sspix_svc_config_copy(&before, &c) != 0)
            abort();
        if (sspix_svc_config_set(&c, key, "", false, err, sizeof(err)) != 0 || !config_eq(&before, &c))
            fail("a file value replaced a command-line one", key);
        sspix_svc_config_free(&before);
    }
    sspix_svc_config_free(&c);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        set_case(data[0], data + 1, size - 1);
    else
        file_case(data + 1, size - 1);
    return 0;
}

/* ---- the seed corpus ----------------------------------------------------------- */

#define SEED(name, text)                                                                                               \
    {                                                                                                                  \
        name, text, sizeof(text) - 1                                                                                   \
    }

static int generate(const char *dir)
{
    static const struct {
        const char *name, *text;
        size_t len;
    } seeds[] = {
        SEED("file-sample", "\0# sspix-server.conf\nport = 2000\npackage = Negotiate\nmode = echo\n"
                            "protocol = gss-sample\nkeytab = \"FILE:/etc/krb5.keytab\"\nspn = host/server.example.com\n"
                            "threads = 4\nmax-token = 65536\nmax_message = 1024\nhandshake-timeout = 10\n"
                            "max-legs = 8\nmax-connections = 100\nidle-timeout = 60\nallow-no-mutual = no\n"
                            "log = syslog\npid-file = /run/sspix.pid\nntlm-users = /etc/sspix/ntlm\nuser = sspix\n"
                            "shutdown-grace = 5\nmessage-timeout = 30\nmax-per-address = 0\n"
                            "allow-weak-context = off\n"),
        SEED("file-quoted-hash", "\0spn = \"host/a#b\"\nbind = 127.0.0.1 # loopback\n  \n# only a comment\n"),
        SEED("file-quoted-comment", "\0keytab = \"/etc/krb5.keytab\"  # the default\n"),
        SEED("file-bad-key", "\0no-such-setting = 1\n"),
        SEED("file-no-equals", "\0port 2000\n"),
        SEED("file-out-of-range", "\0max-legs = 65\n"),
        SEED("file-cli-wins", "\0port = 9\nmode = greet\n"),
        SEED("file-crlf", "\0port = 2001\r\nmode = greet\r\n"),
        SEED("file-relative-paths", "\0keytab = FILE:etc/k.keytab\npid-file = ./run/sspix.pid\nntlm-users = users\n"),
        SEED("file-keytab-memory", "\0keytab = MEMORY:x\n"),
        SEED("file-set-twice", "\0spn = a\nspn = b\n"),
        SEED("file-bom", "\0\xef\xbb\xbfport = 2002\n"),
        SEED("set-port-cli", "\x03port\0"
                             "2000"),
        SEED("set-bool-empty-cli", "\x03"
                                   "allow-weak-context"),
        SEED("set-file-bool", "\x01"
                              "allow_no_mutual\0yes"),
        SEED("set-mixed-case", "\x01"
                               "Max_Token\0"
                               "64"),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        struct fuzz_bytes b = {0};
        fuzz_put(&b, seeds[i].text, seeds[i].len);
        rc |= fuzz_write_seed(dir, seeds[i].name, &b);
        fuzz_bytes_free(&b);
    }
    return rc;
}
