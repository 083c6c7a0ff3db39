/* SPDX-License-Identifier: MIT */
/*
 * test_service_config.c - sspix-server's settings (src/service/config.c):
 * defaults, the setter's checks, the config file (duplicate keys, a byte
 * order mark, a directory), "the command line wins", relative paths made
 * absolute, and every setting's printed value (-T).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "service/config.h"

static char err[512];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    sspix_svc_config c;
    struct sspix_svc_limits lim;

    sspix_svc_config_init(&c);
    CHECK_EQ_INT(c.port, 2000);
    CHECK_EQ_INT(c.max_token, 65536);
    CHECK_EQ_INT(c.max_message, 65536);
    CHECK_EQ_INT(c.handshake_timeout, 10);
    CHECK_EQ_INT(c.max_legs, 8);
    CHECK_EQ_INT(c.idle_timeout, 60);
    CHECK_EQ_INT(c.mode, SSPIX_SVC_GREET);
    CHECK(c.package == NULL && c.bind == NULL && !c.allow_no_mutual);
    CHECK_EQ_INT(c.shutdown_grace, 5);
    CHECK_EQ_INT(c.message_timeout, 30);
    CHECK_EQ_INT(c.max_per_address, 1000);
    CHECK(!c.allow_weak_context);

    /* The stop, per-address and per-message settings. */
    {
        sspix_svc_config d;
        sspix_svc_config_init(&d);
        CHECK(sspix_svc_config_set(&d, "shutdown-grace", "3601", true, err, sizeof(err)) < 0);
        CHECK(strstr(err, "shutdown-grace") != NULL);
        CHECK(sspix_svc_config_set(&d, "message-timeout", "0", true, err, sizeof(err)) < 0);
        CHECK(sspix_svc_config_set(&d, "max-per-address", "x", true, err, sizeof(err)) < 0);
        CHECK(sspix_svc_config_set(&d, "allow-weak-context", "perhaps", true, err, sizeof(err)) < 0);
        CHECK(sspix_svc_config_set(&d, "shutdown_grace", "0", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "message-timeout", "2", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "max-per-address", "0", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "allow-weak-context", "", true, err, sizeof(err)) == 0);
        CHECK_EQ_INT(d.shutdown_grace, 0);
        CHECK_EQ_INT(d.max_per_address, 0);
        CHECK(d.allow_weak_context);
        sspix_svc_config_limits(&d, &lim);
        CHECK_EQ_INT(lim.message_ms, 2000);
        CHECK(lim.allow_weak_context);
        sspix_svc_config_free(&d);
    }

    /* Bad values are refused with the setting's name. */
    CHECK(sspix_svc_config_set(&c, "port", "0", true, err, sizeof(err)) < 0);
    CHECK(strstr(err, "port") != NULL);
    CHECK(sspix_svc_config_set(&c, "port", "65536", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "port", "12x", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "port", "-1", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "max-token", "99999999999999999999", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "package", "Schannel", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "mode", "chat", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "protocol", "kerberos", true, err, sizeof(err)) < 0);
    CHECK(sspix_svc_config_set(&c, "nonsense", "1", true, err, sizeof(err)) < 0);
    CHECK(strstr(err, "unknown setting") != NULL);
    CHECK(sspix_svc_config_set(&c, "allow-no-mutual", "maybe", true, err, sizeof(err)) < 0);
    CHECK_EQ_INT(c.given, 0); /* failures mark nothing */

    /* Good values; both spellings of a key; package names are normalised. */
    CHECK(sspix_svc_config_set(&c, "port", "2345", true, err, sizeof(err)) == 0);
    CHECK(sspix_svc_config_set(&c, "max_legs", "3", true, err, sizeof(err)) == 0);
    CHECK(sspix_svc_config_set(&c, "package", "kerberos", true, err, sizeof(err)) == 0);
    CHECK_STR(c.package, "Kerberos");
    CHECK_EQ_INT(c.port, 2345);
    CHECK_EQ_INT(c.max_legs, 3);
    CHECK(sspix_svc_config_set(&c, "protocol", "gss-sample", true, err, sizeof(err)) == 0);
    CHECK_EQ_INT(c.proto, SSPIX_SVC_PROTO_GSS);
    CHECK(sspix_svc_config_set(&c, "protocol", "ms", true, err, sizeof(err)) == 0);
    CHECK_EQ_INT(c.proto, SSPIX_SVC_PROTO_MS);

    /* The file: comments, blanks, quotes; the command line wins. */
    char path[] = "/tmp/sspix-config-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_file(path, "# sspix-server\n\n  port = 9999   # ignored: given on the command line\n"
                     "mode=echo\nspn = \"host/x#y\"\nmax-message = 100\nallow_no_mutual = yes\n"
                     "handshake-timeout = 2\nidle-timeout = 3\n");
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) == 0);
    CHECK_EQ_INT(c.port, 2345);
    CHECK_EQ_INT(c.mode, SSPIX_SVC_ECHO);
    CHECK_STR(c.spn, "host/x#y");
    CHECK_EQ_INT(c.max_message, 100);
    CHECK(c.allow_no_mutual);
    sspix_svc_config_limits(&c, &lim);
    CHECK_EQ_INT(lim.max_legs, 3);
    CHECK_EQ_INT(lim.max_message, 100);
    CHECK_EQ_INT(lim.handshake_ms, 2000);
    CHECK_EQ_INT(lim.idle_ms, 3000);
    CHECK(lim.allow_no_mutual);

    /* A quoted value ends at its closing quote: a comment after it is not part of it, other text is an error. */
    {
        sspix_svc_config q;
        sspix_svc_config_init(&q);
        write_file(path, "keytab = \"/etc/krb5.keytab\"  # the default\nspn=\"a#b\"#c\n");
        CHECK(sspix_svc_config_load(&q, path, err, sizeof(err)) == 0);
        CHECK_STR(q.keytab, "/etc/krb5.keytab");
        CHECK_STR(q.spn, "a#b");
        sspix_svc_config_free(&q);
        sspix_svc_config_init(&q);
        write_file(path, "keytab = \"/etc/krb5.keytab\" extra\n");
        CHECK(sspix_svc_config_load(&q, path, err, sizeof(err)) < 0);
        CHECK(strstr(err, ":1: keytab: a quoted value ends at its closing quote") != NULL);
        sspix_svc_config_free(&q);
        sspix_svc_config_init(&q);
        write_file(path, "keytab = \"/etc/krb5.keytab\n");
        CHECK(sspix_svc_config_load(&q, path, err, sizeof(err)) < 0);
        CHECK(strstr(err, ":1: keytab:") != NULL);
        sspix_svc_config_free(&q);
    }

    /* Errors name the file and line. */
    write_file(path, "port = 1\nthis is not a setting\n");
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);
    CHECK(strstr(err, ":2:") != NULL);
    write_file(path, "max-token = lots\n");
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);
    CHECK(strstr(err, ":1: max-token") != NULL);
    unlink(path);
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);

    /* A key set twice in one file is an error naming both lines (both spellings count as one key). */
    {
        sspix_svc_config d;
        sspix_svc_config_init(&d);
        write_file(path, "mode = echo\nmax-legs = 3\n\n# again\nmax_legs = 4\n");
        CHECK(sspix_svc_config_load(&d, path, err, sizeof(err)) < 0);
        CHECK(strstr(err, ":5: max-legs is set twice (first on line 2)") != NULL);
        /* Given on the command line and once in the file: the command line wins, no error. */
        sspix_svc_config_free(&d);
        CHECK(sspix_svc_config_set(&d, "port", "2500", true, err, sizeof(err)) == 0);
        write_file(path, "port = 3000\n");
        CHECK(sspix_svc_config_load(&d, path, err, sizeof(err)) == 0);
        CHECK_EQ_INT(d.port, 2500);
        sspix_svc_config_free(&d);
    }

    /* A UTF-8 byte order mark before the first key is skipped; anywhere else it is part of the text. */
    {
        sspix_svc_config d;
        sspix_svc_config_init(&d);
        write_file(path, "\xef\xbb\xbfport = 3100\nmode = echo\n");
        CHECK(sspix_svc_config_load(&d, path, err, sizeof(err)) == 0);
        CHECK_EQ_INT(d.port, 3100);
        CHECK_EQ_INT(d.mode, SSPIX_SVC_ECHO);
        write_file(path, "\xef\xbb\xbf# a comment first\nport = 3200\n");
        CHECK(sspix_svc_config_load(&d, path, err, sizeof(err)) == 0);
        CHECK_EQ_INT(d.port, 3200);
        write_file(path, "port = 3300\n\xef\xbb\xbfmode = greet\n");
        CHECK(sspix_svc_config_load(&d, path, err, sizeof(err)) < 0);
        CHECK(strstr(err, ":2: unknown setting") != NULL);
        sspix_svc_config_free(&d);
    }

    /* A directory is not a configuration file (fopen reads it as empty). */
    {
        char dir[] = "/tmp/sspix-config-dir-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        CHECK(sspix_svc_config_load(&c, dir, err, sizeof(err)) < 0);
        CHECK(strstr(err, "not a regular file (a directory)") != NULL);
        rmdir(dir);
    }

    /* Relative paths are made absolute against the start-up directory. */
    {
        sspix_svc_config d;
        sspix_svc_config_init(&d);
        CHECK(sspix_svc_config_set(&d, "keytab", "FILE:conf/sspix.keytab", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "pid-file", "./run/s.pid", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "ntlm-users", "/etc/sspix/users", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_absolute(&d, "/srv/sspix", err, sizeof(err)) == 0);
        CHECK_STR(d.keytab, "FILE:/srv/sspix/conf/sspix.keytab");
        CHECK_STR(d.pid_file, "/srv/sspix/run/s.pid");
        CHECK_STR(d.ntlm_users, "/etc/sspix/users");
        CHECK(sspix_svc_config_set(&d, "keytab", "plain.keytab", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_absolute(&d, "/", err, sizeof(err)) == 0);
        CHECK_STR(d.keytab, "/plain.keytab");
        CHECK(sspix_svc_config_set(&d, "keytab", "MEMORY:svc", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_set(&d, "ntlm-users", "users", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_absolute(&d, "/a", err, sizeof(err)) == 0);
        CHECK_STR(d.keytab, "MEMORY:svc"); /* not a path */
        CHECK_STR(d.ntlm_users, "/a/users");
        CHECK(sspix_svc_config_set(&d, "keytab", "WRFILE:k", true, err, sizeof(err)) == 0);
        CHECK(sspix_svc_config_absolute(&d, "/b", err, sizeof(err)) == 0);
        CHECK_STR(d.keytab, "WRFILE:/b/k");
        CHECK(sspix_svc_config_absolute(&d, "relative", err, sizeof(err)) < 0);
        CHECK(strstr(err, "absolute") != NULL);
        sspix_svc_config_free(&d);
        char *p = sspix_svc_path_absolute("/x", "y/z");
        CHECK_STR(p, "/x/y/z");
        free(p);
    }

    /* Every setting has a name and prints as config-file text (-T). */
    {
        sspix_svc_config d;
        char v[256];
        sspix_svc_config_init(&d);
        for (int k = 0; k < SSPIX_KEY_COUNT; k++) {
            const char *name = sspix_svc_config_key_name((enum sspix_svc_key)k);
            CHECK(name != NULL);
            CHECK(sspix_svc_config_value(&d, (enum sspix_svc_key)k, v, sizeof(v)) > 0);
            /* What is printed reads back (unset names print as "none"). */
            if (strcmp(v, "none") != 0) {
                sspix_svc_config e;
                char again[256];
                sspix_svc_config_init(&e);
                CHECK(sspix_svc_config_set(&e, name, v, false, err, sizeof(err)) == 0);
                sspix_svc_config_value(&e, (enum sspix_svc_key)k, again, sizeof(again));
                CHECK_STR(again, v);
                sspix_svc_config_free(&e);
            }
        }
        CHECK(sspix_svc_config_key_name(SSPIX_KEY_COUNT) == NULL);
        sspix_svc_config_value(&d, SSPIX_KEY_MAX_TOKEN, v, sizeof(v));
        CHECK_STR(v, "65536");
        sspix_svc_config_value(&d, SSPIX_KEY_KEYTAB, v, sizeof(v));
        CHECK_STR(v, "none");
        sspix_svc_config_value(&d, SSPIX_KEY_ALLOW_NO_MUTUAL, v, sizeof(v));
        CHECK_STR(v, "no");
        CHECK(sspix_svc_config_set(&d, "protocol", "gss", true, err, sizeof(err)) == 0);
        sspix_svc_config_value(&d, SSPIX_KEY_PROTOCOL, v, sizeof(v));
        CHECK_STR(v, "gss-sample");
        CHECK_EQ_INT(sspix_svc_config_value(&d, SSPIX_KEY_PROTOCOL, v, 4), 3); /* truncated, terminated */
        CHECK_STR(v, "gss");
        sspix_svc_config_free(&d);
    }

    sspix_svc_config copy;
    CHECK(sspix_svc_config_copy(&copy, &c) == 0);
    CHECK(copy.spn != c.spn);
    CHECK_STR(copy.spn, c.spn);
    sspix_svc_config_free(&copy);
    sspix_svc_config_free(&c);
    CHECK(c.spn == NULL);
    CHECK_DONE("test_service_config");
}
