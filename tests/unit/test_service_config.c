/*
 * test_service_config.c - sspix-server's settings (src/service/config.c):
 * defaults, the setter's checks, the config file, and "the command line wins".
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

    /* Errors name the file and line. */
    write_file(path, "port = 1\nthis is not a setting\n");
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);
    CHECK(strstr(err, ":2:") != NULL);
    write_file(path, "max-token = lots\n");
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);
    CHECK(strstr(err, ":1: max-token") != NULL);
    unlink(path);
    CHECK(sspix_svc_config_load(&c, path, err, sizeof(err)) < 0);

    sspix_svc_config copy;
    CHECK(sspix_svc_config_copy(&copy, &c) == 0);
    CHECK(copy.spn != c.spn);
    CHECK_STR(copy.spn, c.spn);
    sspix_svc_config_free(&copy);
    sspix_svc_config_free(&c);
    CHECK(c.spn == NULL);
    CHECK_DONE("test_service_config");
}
