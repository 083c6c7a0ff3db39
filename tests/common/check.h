/* SPDX-License-Identifier: MIT */
/*
 * check.h - the test suite's assertions: print where and why, exit 1.
 * Each test file is its own program; it ends with CHECK_DONE() which prints
 * "<name>: N checks passed".
 */
#ifndef SSPIX_TEST_CHECK_H
#define SSPIX_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned check_count;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        check_count++;                                                                                                 \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                                             \
    do {                                                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                                                            \
        check_count++;                                                                                                 \
        if (a_ != b_) {                                                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, #a, #b, a_, b_);     \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                                                \
    do {                                                                                                               \
        const char *a_ = (a), *b_ = (b);                                                                               \
        check_count++;                                                                                                 \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {                                                         \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__, __LINE__, #a, #b,          \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                                           \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* SSPI status check that prints the status name and the library's message. */
#define CHECK_SEC(expr, expected)                                                                                      \
    do {                                                                                                               \
        SECURITY_STATUS s_ = (expr);                                                                                   \
        check_count++;                                                                                                 \
        if (s_ != (expected)) {                                                                                        \
            fprintf(stderr, "%s:%d: %s returned %s, expected %s\n  last error: %s\n", __FILE__, __LINE__, #expr,       \
                    sspix_status_name(s_), sspix_status_name(expected), sspix_last_error());                           \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* The thread's last SSPI error message contains needle. */
#define CHECK_LAST_ERROR(needle)                                                                                       \
    do {                                                                                                               \
        const char *n_ = (needle);                                                                                     \
        check_count++;                                                                                                 \
        if (strstr(sspix_last_error(), n_) == NULL) {                                                                  \
            fprintf(stderr, "%s:%d: last error \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, sspix_last_error(), n_);    \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_DONE(name)                                                                                               \
    do {                                                                                                               \
        printf("%s: %u checks passed\n", (name), check_count);                                                         \
        return 0;                                                                                                      \
    } while (0)

/* Environment variable that must be set (the realm fixture provides them). */
static inline const char *need_env(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL || *v == '\0') {
        fprintf(stderr,
                "%s is not set: run this test through ctest (the realm fixture) or "
                "eval \"$(tests/realm/realm env DIR)\"\n",
                name);
        exit(1);
    }
    return v;
}

#endif
