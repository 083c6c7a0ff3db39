/* SPDX-License-Identifier: MIT */
/*
 * test_handles.c - the handle table: live, freed, double-freed, made-up and
 * foreign handles; slot reuse does not revive stale handles; references keep
 * an object alive past its close; concurrent open/close from many threads.
 */
#include <pthread.h>

#include "common/check.h"
#include "sspi/handles.h"
#include <sspix/sspix.h>

static int destroyed;
static void destroy(void *p)
{
    (void)p;
    destroyed++;
}

#define N_THREADS 4
#define N_OPS     20000

static void *churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < N_OPS; i++) {
        SecHandle h;
        struct sspix_ref ref;
        static int dummy;
        if (sspix_handle_open(SSPIX_HANDLE_CTX, &dummy, NULL, &h) != SEC_E_OK)
            return (void *)1;
        if (sspix_handle_acquire(SSPIX_HANDLE_CTX, &h, &ref) != &dummy)
            return (void *)2;
        sspix_handle_release(&ref);
        if (sspix_handle_close(SSPIX_HANDLE_CTX, &h) != SEC_E_OK)
            return (void *)3;
        if (sspix_handle_close(SSPIX_HANDLE_CTX, &h) != SEC_E_INVALID_HANDLE)
            return (void *)4;
    }
    return NULL;
}

int main(void)
{
    int a = 1, b = 2;
    SecHandle ha, hb, stale;
    struct sspix_ref ref;

    CHECK_SEC(sspix_handle_open(SSPIX_HANDLE_CRED, &a, destroy, &ha), SEC_E_OK);
    CHECK_SEC(sspix_handle_open(SSPIX_HANDLE_CTX, &b, destroy, &hb), SEC_E_OK);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &ha, &ref) == &a);
    sspix_handle_release(&ref);
    CHECK(ref.object == NULL);

    /* Foreign: a credential handle is not a context handle and vice versa. */
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CTX, &ha, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &hb, &ref) == NULL);
    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CTX, &ha), SEC_E_INVALID_HANDLE);

    /* Made up: zero, all ones, an index out of range, a wrong generation. */
    SecHandle zero = {0, 0}, ones = {(ULONG_PTR)-1, (ULONG_PTR)-1}, far = {1u << 30, ha.dwUpper};
    SecHandle wrong_gen = {ha.dwLower, ha.dwUpper ^ 0x40};
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &zero, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &ones, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &far, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &wrong_gen, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, NULL, &ref) == NULL);
    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CRED, NULL), SEC_E_INVALID_HANDLE);

    /* Freed and double-freed. */
    stale = ha;
    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CRED, &ha), SEC_E_OK);
    CHECK_EQ_INT(destroyed, 1);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &stale, &ref) == NULL);
    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CRED, &stale), SEC_E_INVALID_HANDLE);

    /* The slot is reused, but the stale handle stays dead. */
    SecHandle hc;
    CHECK_SEC(sspix_handle_open(SSPIX_HANDLE_CRED, &a, destroy, &hc), SEC_E_OK);
    CHECK_EQ_INT(hc.dwLower, stale.dwLower);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &stale, &ref) == NULL);
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &hc, &ref) == &a);

    /* Closed while a reference is held: invalid at once, destroyed on release. */
    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CRED, &hc), SEC_E_OK);
    CHECK_EQ_INT(destroyed, 1);
    struct sspix_ref ref2;
    CHECK(sspix_handle_acquire(SSPIX_HANDLE_CRED, &hc, &ref2) == NULL);
    sspix_handle_release(&ref);
    CHECK_EQ_INT(destroyed, 2);

    CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CTX, &hb), SEC_E_OK);
    CHECK_EQ_INT(destroyed, 3);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CRED), 0);

    /* Growth past the first table size. */
    static SecHandle many[1000];
    for (int i = 0; i < 1000; i++)
        CHECK_SEC(sspix_handle_open(SSPIX_HANDLE_CTX, &b, NULL, &many[i]), SEC_E_OK);
    for (int i = 0; i < 1000; i++) {
        CHECK(sspix_handle_acquire(SSPIX_HANDLE_CTX, &many[i], &ref) == &b);
        sspix_handle_release(&ref);
    }
    for (int i = 0; i < 1000; i++)
        CHECK_SEC(sspix_handle_close(SSPIX_HANDLE_CTX, &many[i]), SEC_E_OK);

    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, churn, NULL) == 0);
    for (int i = 0; i < N_THREADS; i++) {
        void *rc;
        CHECK(pthread_join(th[i], &rc) == 0);
        CHECK(rc == NULL);
    }
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_DONE("unit.handles");
}
