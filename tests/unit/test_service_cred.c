/* SPDX-License-Identifier: MIT */
/*
 * test_service_cred.c - the server credential's handles, one per worker
 * thread (sspix_svc_cred_replicate, sspix_svc_cred_handle,
 * sspix_conn_init_slot): each slot gets its own handle, a connection on any
 * slot completes a Kerberos handshake with it, a rewrapped generation shares
 * its parent's handles, and when more handles cannot be had (the keytab is
 * gone) the slots share the one there is. Needs the realm (ctest fixture).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"
#include "service/config.h"
#include "service/conn.h"

static PSecurityFunctionTableA t;

#define ISC_FLAGS                                                                                                      \
    (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |                       \
     ISC_REQ_SEQUENCE_DETECT | ISC_REQ_ALLOCATE_MEMORY)

static void limits(struct sspix_svc_limits *l)
{
    sspix_svc_config cfg;
    sspix_svc_config_init(&cfg);
    cfg.mode = SSPIX_SVC_GREET;
    sspix_svc_config_limits(&cfg, l);
}

static bool same_handle(const CredHandle *a, const CredHandle *b)
{
    return a->dwLower == b->dwLower && a->dwUpper == b->dwUpper;
}

static uint32_t get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * One Kerberos handshake in the Microsoft framing on a connection that
 * accepts with slot's handle; returns the connection's log line.
 */
static void handshake_on_slot(sspix_svc_cred *cred, unsigned slot, char *line, size_t cap)
{
    CredHandle ccred;
    CtxtHandle cctx;
    TimeStamp ts;
    ULONG attrs;
    CHECK_SEC(t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                           &ccred, &ts),
              SEC_E_OK);
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    CHECK_SEC(t->InitializeSecurityContextA(&ccred, NULL, (SEC_CHAR *)"host/localhost", ISC_FLAGS, 0,
                                            SECURITY_NATIVE_DREP, NULL, 0, &cctx, &od, &attrs, &ts),
              SEC_I_CONTINUE_NEEDED);

    sspix_conn conn;
    sspix_conn_init_slot(&conn, cred, slot);
    CHECK_EQ_INT(conn.slot, slot);
    uint8_t frame[8192];
    CHECK(ob.cbBuffer + 4 <= sizeof(frame));
    frame[0] = (uint8_t)ob.cbBuffer;
    frame[1] = (uint8_t)(ob.cbBuffer >> 8);
    frame[2] = (uint8_t)(ob.cbBuffer >> 16);
    frame[3] = (uint8_t)(ob.cbBuffer >> 24);
    memcpy(frame + 4, ob.pvBuffer, ob.cbBuffer);
    t->FreeContextBuffer(ob.pvBuffer);
    CHECK_EQ_INT(sspix_conn_feed(&conn, frame, ob.cbBuffer + 4), SSPIX_CONN_CLOSE);

    /* The AP-REP frame, then the greeting: the client completes with the first. */
    size_t len;
    const uint8_t *out = sspix_conn_pending(&conn, &len);
    CHECK(out != NULL && len > 4 && get_u32le(out) <= len - 4);
    SecBuffer ib = {get_u32le(out), SECBUFFER_TOKEN, (void *)(out + 4)};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    ob.cbBuffer = 0;
    ob.pvBuffer = NULL;
    CHECK_SEC(t->InitializeSecurityContextA(&ccred, &cctx, (SEC_CHAR *)"host/localhost", ISC_FLAGS, 0,
                                            SECURITY_NATIVE_DREP, &id, 0, &cctx, &od, &attrs, &ts),
              SEC_E_OK);
    if (ob.pvBuffer != NULL)
        t->FreeContextBuffer(ob.pvBuffer);
    CHECK(attrs & ISC_RET_MUTUAL_AUTH);
    sspix_conn_sent(&conn, len);
    sspix_conn_log_line(&conn, "127.0.0.1:1", 1.0, line, cap);
    sspix_conn_free(&conn);
    t->DeleteSecurityContext(&cctx);
    t->FreeCredentialsHandle(&ccred);
}

static void check_line(const char *line, const char *want)
{
    if (strstr(line, want) == NULL)
        fprintf(stderr, "log line: %s\n  lacks: %s\n", line, want);
    CHECK(strstr(line, want) != NULL);
}

static void test_one_handle_per_slot(void)
{
    struct sspix_svc_limits lim;
    sspix_svc_cred *cred, *child;
    char line[1024];
    limits(&lim);
    CHECK_SEC(sspix_svc_cred_acquire("Kerberos", NULL, NULL, &lim, &cred), SEC_E_OK);
    /* Before replication every slot has the one handle. */
    CHECK(sspix_svc_cred_handle(cred, 0) == &cred->handle);
    CHECK(sspix_svc_cred_handle(cred, 5) == &cred->handle);

    CHECK_EQ_INT(sspix_svc_cred_replicate(cred, 3), 3);
    CHECK_EQ_INT(cred->nextra, 2);
    PCredHandle h0 = sspix_svc_cred_handle(cred, 0), h1 = sspix_svc_cred_handle(cred, 1),
                h2 = sspix_svc_cred_handle(cred, 2);
    CHECK(h0 == &cred->handle);
    CHECK(!same_handle(h0, h1) && !same_handle(h0, h2) && !same_handle(h1, h2));
    CHECK(sspix_svc_cred_handle(cred, 3) == h0); /* more workers than handles: they wrap round */
    CHECK(sspix_svc_cred_handle(cred, 4) == h1);
    /* A second call changes nothing. */
    CHECK_EQ_INT(sspix_svc_cred_replicate(cred, 8), 3);
    CHECK(sspix_svc_cred_handle(cred, 1) == h1);

    for (unsigned slot = 0; slot < 3; slot++) {
        handshake_on_slot(cred, slot, line, sizeof(line));
        check_line(line, "client=alice@");
        check_line(line, "package=Kerberos mutual=yes legs=2 outcome=SEC_E_OK");
    }

    /* A reload that keeps the keys shares the parent's handles, slot by slot. */
    CHECK_SEC(sspix_svc_cred_rewrap(cred, &lim, &child), SEC_E_OK);
    CHECK(same_handle(sspix_svc_cred_handle(child, 1), h1));
    CHECK(same_handle(sspix_svc_cred_handle(child, 2), h2));
    CHECK_EQ_INT(sspix_svc_cred_replicate(child, 5), 3); /* nothing acquired for a rewrapped one */
    sspix_svc_cred_unref(cred);                          /* the child holds the parent */
    handshake_on_slot(child, 2, line, sizeof(line));
    check_line(line, "outcome=SEC_E_OK");
    sspix_svc_cred_unref(child);
}

/* The keytab disappears after the first acquire (keys held in memory): no
 * more handles can be had, and every slot uses the first one. */
static void test_replication_falls_back(void)
{
    const char *kt = getenv("KRB5_KTNAME");
    CHECK(kt != NULL);
    const char *src = strncmp(kt, "FILE:", 5) == 0 ? kt + 5 : kt;
    char path[] = "/tmp/sspix-cred-kt.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *in = fopen(src, "rb");
    CHECK(in != NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        CHECK(write(fd, buf, n) == (ssize_t)n);
    fclose(in);
    close(fd);

    struct sspix_svc_limits lim;
    sspix_svc_cred *cred;
    char line[1024];
    limits(&lim);
    CHECK_SEC(
        sspix_svc_cred_acquire_flags("Kerberos", NULL, path, NULL, SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY, &lim, &cred),
        SEC_E_OK);
    CHECK(unlink(path) == 0);
    CHECK_EQ_INT(sspix_svc_cred_replicate(cred, 4), 1);
    CHECK_EQ_INT(cred->nextra, 0);
    CHECK(sspix_svc_cred_handle(cred, 3) == &cred->handle);
    handshake_on_slot(cred, 3, line, sizeof(line));
    check_line(line, "package=Kerberos mutual=yes legs=2 outcome=SEC_E_OK");
    sspix_svc_cred_unref(cred);
}

int main(void)
{
    t = InitSecurityInterfaceA();
    test_one_handle_per_slot();
    test_replication_falls_back();
    CHECK_DONE("test_service_cred");
}
