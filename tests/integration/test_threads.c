/* SPDX-License-Identifier: MIT */
/*
 * test_threads.c - independent contexts on many threads at once, sharing one
 * client and one server credential: every handshake succeeds, every message
 * round-trips, and no handle is left behind. Then many threads on ONE
 * context: EncryptMessage calls are serialised per context, so every token
 * carries its own sequence number and the peer (with sequence detection)
 * decrypts all of them in sequence order.
 */
#define SECURITY_WIN32
#include <security.h>

#include <pthread.h>
#include <stdint.h>

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

/* ---- one context, many threads -------------------------------------------- */

#define SHARED_THREADS  4
#define SHARED_MESSAGES 200
#define SHARED_TRAILER  128

struct sealed {
    unsigned char token[SHARED_TRAILER];
    ULONG token_len;
    unsigned char data[16];
    uint64_t seq;
};

static CtxtHandle shared_ctx;
static struct sealed sealed[SHARED_THREADS * SHARED_MESSAGES];

struct shared_worker {
    int id;
    int failed;
    char error[512];
};

static void *seal_many(void *arg)
{
    struct shared_worker *w = arg;
    for (int i = 0; i < SHARED_MESSAGES; i++) {
        struct sealed *s = &sealed[w->id * SHARED_MESSAGES + i];
        snprintf((char *)s->data, sizeof(s->data), "t%d m%03d", w->id, i);
        SecBuffer b[2] = {{SHARED_TRAILER, SECBUFFER_TOKEN, s->token}, {sizeof(s->data), SECBUFFER_DATA, s->data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        SECURITY_STATUS st = t->EncryptMessage(&shared_ctx, 0, &d, 0);
        if (st != SEC_E_OK) {
            snprintf(w->error, sizeof(w->error), "EncryptMessage %d: %s: %s", i, sspix_status_name(st),
                     sspix_last_error());
            w->failed = 1;
            return NULL;
        }
        s->token_len = b[0].cbBuffer;
    }
    return NULL;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const struct sealed *)a)->seq, y = ((const struct sealed *)b)->seq;
    return x < y ? -1 : x > y;
}

static void test_one_context_many_threads(void)
{
    struct hs hs;
    /* Kerberos: the RFC 4121 token header carries SND_SEQ in the clear. */
    CHECK_SEC(hs_run(t, &client_cred[1], &server_cred[1], "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK(hs.server_attrs & ASC_RET_SEQUENCE_DETECT);
    shared_ctx = hs.client;
    pthread_t th[SHARED_THREADS];
    struct shared_worker w[SHARED_THREADS];
    for (int i = 0; i < SHARED_THREADS; i++) {
        w[i] = (struct shared_worker){.id = i};
        CHECK(pthread_create(&th[i], NULL, seal_many, &w[i]) == 0);
    }
    for (int i = 0; i < SHARED_THREADS; i++) {
        CHECK(pthread_join(th[i], NULL) == 0);
        if (w[i].failed)
            fprintf(stderr, "thread %d: %s\n", i, w[i].error);
        CHECK(!w[i].failed);
    }
    const size_t n = SHARED_THREADS * SHARED_MESSAGES;
    for (size_t i = 0; i < n; i++) {
        CHECK(sealed[i].token_len >= 16 && sealed[i].token[0] == 0x05 && sealed[i].token[1] == 0x04);
        uint64_t seq = 0;
        for (int k = 8; k < 16; k++)
            seq = seq << 8 | sealed[i].token[k];
        sealed[i].seq = seq;
    }
    qsort(sealed, n, sizeof(sealed[0]), by_seq);
    for (size_t i = 1; i < n; i++) {
        if (sealed[i].seq == sealed[i - 1].seq)
            fprintf(stderr, "sequence number %llu sent twice\n", (unsigned long long)sealed[i].seq);
        CHECK(sealed[i].seq != sealed[i - 1].seq);
    }
    /* In sequence order, every token decrypts, none is a duplicate or a gap. */
    for (size_t i = 0; i < n; i++) {
        SecBuffer b[2] = {{sealed[i].token_len, SECBUFFER_TOKEN, sealed[i].token},
                          {sizeof(sealed[i].data), SECBUFFER_DATA, sealed[i].data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(t->DecryptMessage(&hs.server, &d, 0, NULL), SEC_E_OK);
        CHECK(((const char *)b[1].pvBuffer)[0] == 't');
    }
    CHECK_EQ_INT(sealed[n - 1].seq - sealed[0].seq, n - 1);
    hs_free(t, &hs);
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
    test_one_context_many_threads();
    for (int p = 0; p < 2; p++) {
        CHECK_SEC(t->FreeCredentialsHandle(&client_cred[p]), SEC_E_OK);
        CHECK_SEC(t->FreeCredentialsHandle(&server_cred[p]), SEC_E_OK);
    }
    /* Nothing left in the handle table: every context and credential freed. */
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CRED), 0);
    CHECK_DONE("integration.threads");
}
