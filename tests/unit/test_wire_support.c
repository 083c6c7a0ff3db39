/* SPDX-License-Identifier: MIT */
/*
 * test_wire_support.c - shared by the buf and wire unit tests (not a test
 * itself): the check helpers behind each test's CHECK / CHECK_RC macros, and
 * a counting, failable allocator. cmake/tests-wire.cmake links the tests with
 * -Wl,--wrap=malloc -Wl,--wrap=realloc, so every malloc/realloc made by the
 * code under test comes through here: a test can assert that a rejected
 * length allocated nothing, and can make an allocation fail.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/guard.h"

void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);

/* A failed check prints where and what, and ends the test. */
void test_check(int ok, const char *file, int line, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    exit(1);
}

/* Negative tests assert the exact code; print both with their meaning. */
void test_check_rc(int got, int want, const char *file, int line, const char *what)
{
    if (got == want)
        return;
    fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s)\n", file, line, what, got, sspix_err_str(got), want,
            sspix_err_str(want));
    exit(1);
}

/* Requests above this fail like malloc under memory pressure, rather than
 * reaching a sanitizer allocator that would abort on them. */
#define TEST_ALLOC_LIMIT ((size_t)1 << 30)

void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

unsigned long test_alloc_calls; /* allocation requests so far, failed ones included */
int test_alloc_fail;            /* nonzero: every request fails */

void *__wrap_malloc(size_t n)
{
    test_alloc_calls++;
    if (test_alloc_fail || n > TEST_ALLOC_LIMIT)
        return NULL;
    return __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
    test_alloc_calls++;
    if (test_alloc_fail || n > TEST_ALLOC_LIMIT)
        return NULL;
    return __real_realloc(p, n);
}
