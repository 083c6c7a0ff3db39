/*
 * test_threads.c - independent contexts on many threads at once, sharing one
 * client and one server credential: every handshake succeeds, every message
 * round-trips, and no handle is left behind.
 */
#define SECURITY_WIN32
#include <security.h>

#include <pthread.h>

#include "common/check.h"
#include "common/handshake.h"
#include "sspi/handles.h"

#define MAX_THREADS 4
#define HANDSHAKES  500

static PSecurityFunctionTableA t;
static CredHandle client_cred[2], server_cred[2];

struct worker {
    int id;
    int ok;
    char error[512];
};

static void *run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < HANDSHAKES; i++) {
        int p = (w->id + i) % 2; /* both packages interleaved */
        struct hs hs;
        SECURITY_STATUS st = hs_run(t, &client_cred[p], &server_cred[p], "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs);
        if (st != SEC_E_OK || !(hs.server_attrs & ASC_RET_MUTUAL_AUTH)) {
            snprintf(w->error, sizeof(w->error), "handshake %d: %s: %s", i, sspix_status_name(st), sspix_last_error());
            hs_free(t, &hs);
            return NULL;
        }
        unsigned char trailer[128], data[32] = "thread message";
        SecBuffer b[2] = {{sizeof(trailer), SECBUFFER_TOKEN, trailer}, {sizeof(data), SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        if ((st = t->EncryptMessage(&hs.client, 0, &d, 0)) != SEC_E_OK ||
            (st = t->DecryptMessage(&hs.server, &d, 0, NULL)) != SEC_E_OK ||
            memcmp(b[1].pvBuffer, "thread message", 14) != 0) {
            snprintf(w->error, sizeof(w->error), "message %d: %s: %s", i, sspix_status_name(st), sspix_last_error());
            hs_free(t, &hs);
            return NULL;
        }
        hs_free(t, &hs);
        w->ok++;
    }
    return NULL;
}

int main(void)
{
    const char *pkgs[2] = {"Negotiate", "Kerberos"};
    t = InitSecurityInterface();
    for (int p = 0; p < 2; p++) {
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkgs[p], SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                              &client_cred[p], NULL),
                  SEC_E_OK);
        CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkgs[p], SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                              &server_cred[p], NULL),
                  SEC_E_OK);
    }
    /* 4 threads; SSPIX_TEST_THREADS=1 under valgrind, whose scheduler stalls a
     * whole process while one thread waits on the replay cache's OFD lock. */
    int threads = MAX_THREADS;
    const char *env = getenv("SSPIX_TEST_THREADS");
    if (env != NULL && atoi(env) >= 1 && atoi(env) <= MAX_THREADS)
        threads = atoi(env);
    pthread_t th[MAX_THREADS];
    struct worker w[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        w[i] = (struct worker){.id = i};
        CHECK(pthread_create(&th[i], NULL, run, &w[i]) == 0);
    }
    for (int i = 0; i < threads; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        if (w[i].ok != HANDSHAKES)
            fprintf(stderr, "thread %d: %s\n", i, w[i].error);
        CHECK_EQ_INT(w[i].ok, HANDSHAKES);
    }
    for (int p = 0; p < 2; p++) {
        CHECK_SEC(t->FreeCredentialsHandle(&client_cred[p]), SEC_E_OK);
        CHECK_SEC(t->FreeCredentialsHandle(&server_cred[p]), SEC_E_OK);
    }
    /* Nothing left in the handle table: every context and credential freed. */
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CRED), 0);
    CHECK_DONE("integration.threads");
}
