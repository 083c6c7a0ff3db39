/*
 * fuzz_conn.c - libFuzzer target for the server's per-connection state
 * machine, its socket replaced by a buffer.
 *
 * Targets: sspix_conn_feed / sspix_conn_eof / sspix_conn_pending /
 * sspix_conn_sent / sspix_conn_abort / sspix_conn_log_line / sspix_conn_free
 * (src/service/conn.c) and the Microsoft sample protocol behind them
 * (src/service/proto_ms.c: handshake framing, AcceptSecurityContext per token,
 * max legs, greet, echo message parsing with DecryptMessage), over the real
 * SSPI library and a real acceptor credential.
 *
 * Input: byte 0 = flags, byte 1 = chunk size (0 -> 1 byte), the rest = the
 * client->server byte stream, fed in chunks of that size.
 *   flags & 1  echo mode, and a fresh valid handshake (InitializeSecurityContext
 *              from the realm's ccache) is fed first, so the stream lands in an
 *              authenticated echo session
 *   flags & 2  the fresh handshake uses Kerberos instead of Negotiate
 *   flags & 4  end with EOF; flags & 8 end with a timer abort instead
 *   flags & 16 max legs 2 (default 8)
 *
 * Needs the realm's environment (KRB5_CONFIG, KRB5_KTNAME, KRB5CCNAME): run it
 * through the fuzz.conn ctest or after `. DIR/env`. The replay cache is turned
 * off (KRB5RCACHETYPE=none) so that captured AP-REQs in the corpus stay
 * acceptable for their authenticator's clock-skew window.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/conn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static PSecurityFunctionTableA t;
static sspix_svc_cred *greet_cred, *greet_legs2_cred, *echo_cred;
static CredHandle client_cred[2]; /* Negotiate, Kerberos */

static sspix_svc_cred *acquire(enum sspix_svc_mode mode, uint32_t max_legs)
{
    struct sspix_svc_limits lim = {.max_token = 65536, .max_message = 4096, .max_legs = max_legs, .mode = mode};
    sspix_svc_cred *c;
    SECURITY_STATUS st = sspix_svc_cred_acquire("Negotiate", NULL, NULL, &lim, &c);
    if (st != SEC_E_OK) {
        fprintf(stderr, "fuzz_conn: acceptor credential: %s: %s\n(run with the realm's environment: . DIR/env)\n",
                sspix_status_name(st), sspix_last_error());
        exit(1);
    }
    return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("KRB5RCACHETYPE", "none", 1);
    t = InitSecurityInterfaceA();
    greet_cred = acquire(SSPIX_SVC_GREET, 8);
    greet_legs2_cred = acquire(SSPIX_SVC_GREET, 2);
    echo_cred = acquire(SSPIX_SVC_ECHO, 8);
    const char *pkgs[2] = {"Negotiate", "Kerberos"};
    for (int i = 0; i < 2; i++) {
        TimeStamp ts;
        SECURITY_STATUS st = t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_OUTBOUND, NULL, NULL,
                                                          NULL, NULL, &client_cred[i], &ts);
        if (st != SEC_E_OK) {
            fprintf(stderr, "fuzz_conn: client credential: %s\n", sspix_last_error());
            exit(1);
        }
    }
    return 0;
}

static void drain(sspix_conn *c, size_t step)
{
    size_t len;
    while (sspix_conn_pending(c, &len) != NULL)
        sspix_conn_sent(c, len < step ? len : step);
}

/* A real first client token, framed, fed to c. */
static void fresh_handshake(sspix_conn *c, int kerberos)
{
    CtxtHandle ctx;
    ULONG attrs;
    TimeStamp ts;
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st = t->InitializeSecurityContextA(&client_cred[kerberos], NULL, (SEC_CHAR *)"host/localhost",
                                                       ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY |
                                                           ISC_REQ_INTEGRITY | ISC_REQ_ALLOCATE_MEMORY,
                                                       0, SECURITY_NATIVE_DREP, NULL, 0, &ctx, &od, &attrs, &ts);
    if (!SEC_SUCCESS(st))
        return;
    uint8_t hdr[4] = {(uint8_t)ob.cbBuffer, (uint8_t)(ob.cbBuffer >> 8), (uint8_t)(ob.cbBuffer >> 16),
                      (uint8_t)(ob.cbBuffer >> 24)};
    sspix_conn_feed(c, hdr, 4);
    sspix_conn_feed(c, ob.pvBuffer, ob.cbBuffer);
    t->FreeContextBuffer(ob.pvBuffer);
    t->DeleteSecurityContext(&ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t flags = data[0];
    size_t chunk = data[1] ? data[1] : 1;
    data += 2;
    size -= 2;

    sspix_conn c;
    sspix_svc_cred *cred = (flags & 1) ? echo_cred : (flags & 16) ? greet_legs2_cred : greet_cred;
    sspix_conn_init(&c, cred);
    if (flags & 1) {
        fresh_handshake(&c, (flags & 2) != 0);
        drain(&c, 4096);
    }
    int v = SSPIX_CONN_OPEN;
    for (size_t off = 0; off < size && v == SSPIX_CONN_OPEN; off += chunk) {
        v = sspix_conn_feed(&c, data + off, size - off < chunk ? size - off : chunk);
        drain(&c, chunk * 3 + 1); /* partial sends too */
    }
    if (flags & 4)
        sspix_conn_eof(&c);
    else if (flags & 8)
        sspix_conn_abort(&c, "deadline");
    /* Whatever happened, the state is consistent and loggable. */
    char line[1024];
    size_t n = sspix_conn_log_line(&c, "127.0.0.1:1", 0.5, line, sizeof(line));
    if (n >= sizeof(line) || strchr(line, '\n') != NULL)
        abort();
    if (sspix_conn_closing(&c) && sspix_conn_feed(&c, (const uint8_t *)"x", 1) != SSPIX_CONN_CLOSE)
        abort();
    sspix_conn_free(&c);
    return 0;
}
