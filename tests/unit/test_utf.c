/* SPDX-License-Identifier: MIT */
/*
 * test_utf.c - strict UTF-8 <-> UTF-16 / UTF-32 (src/common/utf.c).
 *
 * Every code point class (ASCII, 2-, 3- and 4-byte UTF-8, the edges of each,
 * the last scalar values before and after the surrogates, U+10FFFF), surrogate
 * pairs, unpaired surrogates in every position, values past U+10FFFF, every
 * kind of ill-formed UTF-8, embedded NULs, and lengths in units vs bytes.
 */
#include <stdint.h>

#include "common/check.h"
#include "common/utf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* One scalar value through every direction. */
static void round_trip(uint32_t cp, const char *utf8, size_t units16)
{
    size_t bytes = strlen(utf8), n, bad = 99;
    uint16_t w16[4];
    uint32_t w32[2];
    char *s;

    CHECK_EQ_INT(sspix_utf8_to_utf16_len(utf8, bytes, &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, units16);
    sspix_utf8_to_utf16_write(utf8, bytes, w16);
    CHECK_EQ_INT(w16[units16], 0);
    if (units16 == 1) {
        CHECK_EQ_INT(w16[0], cp);
    } else {
        CHECK_EQ_INT(w16[0], 0xD800 + ((cp - 0x10000) >> 10));
        CHECK_EQ_INT(w16[1], 0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
    CHECK_EQ_INT(sspix_utf16_to_utf8(w16, units16, &s, &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, bytes);
    CHECK_STR(s, utf8);
    free(s);

    CHECK_EQ_INT(sspix_utf8_to_utf32_len(utf8, bytes, &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 1);
    sspix_utf8_to_utf32_write(utf8, bytes, w32);
    CHECK_EQ_INT(w32[0], cp);
    CHECK_EQ_INT(w32[1], 0);
    CHECK_EQ_INT(sspix_utf32_to_utf8(w32, 1, &s, &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, bytes);
    CHECK_STR(s, utf8);
    free(s);
}

static void test_code_point_classes(void)
{
    round_trip(0x01, "\x01", 1);
    round_trip('A', "A", 1);
    round_trip(0x7F, "\x7F", 1);
    round_trip(0x80, "\xC2\x80", 1);
    round_trip(0xE9, "\xC3\xA9", 1); /* é */
    round_trip(0x7FF, "\xDF\xBF", 1);
    round_trip(0x800, "\xE0\xA0\x80", 1);
    round_trip(0x20AC, "\xE2\x82\xAC", 1); /* € */
    round_trip(0xD7FF, "\xED\x9F\xBF", 1); /* just below the surrogates */
    round_trip(0xE000, "\xEE\x80\x80", 1); /* just above them */
    round_trip(0xFFFD, "\xEF\xBF\xBD", 1);
    round_trip(0xFFFF, "\xEF\xBF\xBF", 1);
    round_trip(0x10000, "\xF0\x90\x80\x80", 2);
    round_trip(0x1F600, "\xF0\x9F\x98\x80", 2); /* 😀 */
    round_trip(0x10FFFF, "\xF4\x8F\xBF\xBF", 2);
}

/* A mixed string: units vs bytes as the structures count them. */
static void test_lengths(void)
{
    /* "jürgen😀": 7 characters, 8 UTF-16 units, 7 UTF-32 units, 11 bytes. */
    static const char utf8[] = "j\xC3\xBCrgen\xF0\x9F\x98\x80";
    static const uint16_t w16[] = {'j', 0xFC, 'r', 'g', 'e', 'n', 0xD83D, 0xDE00};
    static const uint32_t w32[] = {'j', 0xFC, 'r', 'g', 'e', 'n', 0x1F600};
    size_t n, bad;
    char *s;
    uint16_t out16[N(w16) + 1];
    uint32_t out32[N(w32) + 1];

    CHECK_EQ_INT(sspix_utf16_to_utf8_len(w16, N(w16), &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 11);
    CHECK_EQ_INT(sspix_utf32_to_utf8_len(w32, N(w32), &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 11);
    CHECK_EQ_INT(sspix_utf8_to_utf16_len(utf8, strlen(utf8), &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(sspix_utf8_to_utf32_len(utf8, strlen(utf8), &n, &bad), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 7);
    sspix_utf8_to_utf16_write(utf8, strlen(utf8), out16);
    CHECK(memcmp(out16, w16, sizeof(w16)) == 0 && out16[N(w16)] == 0);
    sspix_utf8_to_utf32_write(utf8, strlen(utf8), out32);
    CHECK(memcmp(out32, w32, sizeof(w32)) == 0 && out32[N(w32)] == 0);
    CHECK_EQ_INT(sspix_utf16_to_utf8(w16, N(w16), &s, NULL, NULL), SSPIX_UTF_OK);
    CHECK_STR(s, utf8);
    free(s);
    /* A counted prefix converts only what the count covers. */
    CHECK_EQ_INT(sspix_utf16_to_utf8(w16, 2, &s, &n, NULL), SSPIX_UTF_OK);
    CHECK_STR(s, "j\xC3\xBC");
    CHECK_EQ_INT(n, 3);
    free(s);
    /* Empty: a NUL-terminated empty string. */
    CHECK_EQ_INT(sspix_utf16_to_utf8(NULL, 0, &s, &n, NULL), SSPIX_UTF_OK);
    CHECK_STR(s, "");
    CHECK_EQ_INT(n, 0);
    free(s);
    CHECK_EQ_INT(sspix_utf8_to_utf16_len("", 0, &n, NULL), SSPIX_UTF_OK);
    CHECK_EQ_INT(n, 0);

    /* strnlen: stops at NUL, max + 1 without one. */
    static const uint16_t z16[] = {'a', 'b', 0, 'c'};
    static const uint32_t z32[] = {'a', 'b', 'c', 'd'};
    CHECK_EQ_INT(sspix_utf16_strnlen(z16, 4), 2);
    CHECK_EQ_INT(sspix_utf16_strnlen(z16, 2), 3);
    CHECK_EQ_INT(sspix_utf32_strnlen(z32, 4), 5);
}

static void check_bad16(const uint16_t *w, size_t n, int want, size_t want_at)
{
    size_t bytes = 77, bad = 99;
    char *s = (char *)"untouched";
    CHECK_EQ_INT(sspix_utf16_to_utf8_len(w, n, &bytes, &bad), want);
    CHECK_EQ_INT(bad, want_at);
    CHECK_EQ_INT(bytes, 77);
    bad = 99;
    CHECK_EQ_INT(sspix_utf16_to_utf8(w, n, &s, NULL, &bad), want);
    CHECK(s == NULL);
    CHECK_EQ_INT(bad, want_at);
}

static void check_bad32(const uint32_t *w, size_t n, int want, size_t want_at)
{
    size_t bytes, bad = 99;
    char *s;
    CHECK_EQ_INT(sspix_utf32_to_utf8_len(w, n, &bytes, &bad), want);
    CHECK_EQ_INT(bad, want_at);
    CHECK_EQ_INT(sspix_utf32_to_utf8(w, n, &s, NULL, NULL), want);
    CHECK(s == NULL);
}

static void test_unpaired_surrogates(void)
{
    static const uint16_t lone_high[] = {'a', 0xD800, 'b'};
    static const uint16_t lone_low[] = {'a', 0xDC00, 'b'};
    static const uint16_t high_at_end[] = {'a', 'b', 0xDBFF};
    static const uint16_t reversed[] = {0xDC00, 0xD800};
    static const uint16_t two_highs[] = {0xD800, 0xD800, 0xDC00};
    static const uint16_t pair[] = {0xD800, 0xDC00};
    check_bad16(lone_high, N(lone_high), SSPIX_UTF_UNPAIRED_SURROGATE, 1);
    check_bad16(lone_low, N(lone_low), SSPIX_UTF_UNPAIRED_SURROGATE, 1);
    check_bad16(high_at_end, N(high_at_end), SSPIX_UTF_UNPAIRED_SURROGATE, 2);
    check_bad16(reversed, N(reversed), SSPIX_UTF_UNPAIRED_SURROGATE, 0);
    check_bad16(two_highs, N(two_highs), SSPIX_UTF_UNPAIRED_SURROGATE, 0);
    /* A pair cut by the count is unpaired. */
    check_bad16(pair, 1, SSPIX_UTF_UNPAIRED_SURROGATE, 0);

    /* In UTF-32 any surrogate value is an error. */
    static const uint32_t s32a[] = {'x', 0xD800};
    static const uint32_t s32b[] = {0xDFFF};
    static const uint32_t s32c[] = {0xD83D, 0xDE00}; /* a UTF-16 pair stored as UTF-32 */
    check_bad32(s32a, N(s32a), SSPIX_UTF_UNPAIRED_SURROGATE, 1);
    check_bad32(s32b, N(s32b), SSPIX_UTF_UNPAIRED_SURROGATE, 0);
    check_bad32(s32c, N(s32c), SSPIX_UTF_UNPAIRED_SURROGATE, 0);
}

static void test_out_of_range(void)
{
    static const uint32_t big[] = {'a', 0x110000};
    static const uint32_t huge[] = {0xFFFFFFFFu};
    check_bad32(big, N(big), SSPIX_UTF_OUT_OF_RANGE, 1);
    check_bad32(huge, N(huge), SSPIX_UTF_OUT_OF_RANGE, 0);
}

static void test_embedded_nul(void)
{
    static const uint16_t n16[] = {'a', 0, 'b'};
    static const uint32_t n32[] = {'a', 'b', 0};
    check_bad16(n16, N(n16), SSPIX_UTF_EMBEDDED_NUL, 1);
    check_bad32(n32, N(n32), SSPIX_UTF_EMBEDDED_NUL, 2);
    size_t units, bad = 99;
    CHECK_EQ_INT(sspix_utf8_to_utf16_len("ab\0c", 4, &units, &bad), SSPIX_UTF_EMBEDDED_NUL);
    CHECK_EQ_INT(bad, 2);
    CHECK_EQ_INT(sspix_utf8_to_utf32_len("\0", 1, &units, &bad), SSPIX_UTF_EMBEDDED_NUL);
    CHECK_EQ_INT(bad, 0);
}

static void check_bad8(const char *s, size_t n, size_t want_at)
{
    size_t units = 77, bad = 99;
    CHECK_EQ_INT(sspix_utf8_to_utf16_len(s, n, &units, &bad), SSPIX_UTF_BAD_UTF8);
    CHECK_EQ_INT(bad, want_at);
    CHECK_EQ_INT(units, 77);
    bad = 99;
    CHECK_EQ_INT(sspix_utf8_to_utf32_len(s, n, &units, &bad), SSPIX_UTF_BAD_UTF8);
    CHECK_EQ_INT(bad, want_at);
}

static void test_bad_utf8(void)
{
    check_bad8("\x80", 1, 0);             /* lone continuation byte */
    check_bad8("a\xBF", 2, 1);            /* another one */
    check_bad8("\xC0\x80", 2, 0);         /* overlong NUL */
    check_bad8("\xC1\xBF", 2, 0);         /* overlong 2-byte */
    check_bad8("\xE0\x9F\xBF", 3, 0);     /* overlong 3-byte */
    check_bad8("\xF0\x8F\xBF\xBF", 4, 0); /* overlong 4-byte */
    check_bad8("\xED\xA0\x80", 3, 0);     /* U+D800 encoded */
    check_bad8("\xED\xBF\xBF", 3, 0);     /* U+DFFF encoded */
    check_bad8("\xF4\x90\x80\x80", 4, 0); /* U+110000 */
    check_bad8("\xF5\x80\x80\x80", 4, 0); /* lead byte past F4 */
    check_bad8("\xFF", 1, 0);             /* never valid */
    check_bad8("ab\xC3", 3, 2);           /* truncated 2-byte */
    check_bad8("\xE2\x82", 2, 0);         /* truncated 3-byte */
    check_bad8("\xF0\x9F\x98", 3, 0);     /* truncated 4-byte */
    check_bad8("\xE2\x28\xA1", 3, 0);     /* bad continuation */
    check_bad8("\xC3\xA9\xC3", 3, 2);     /* good, then cut */
}

static void test_error_strings(void)
{
    CHECK(strstr(sspix_utf_err_str(SSPIX_UTF_UNPAIRED_SURROGATE), "surrogate") != NULL);
    CHECK(strstr(sspix_utf_err_str(SSPIX_UTF_OUT_OF_RANGE), "10FFFF") != NULL);
    CHECK(strstr(sspix_utf_err_str(SSPIX_UTF_EMBEDDED_NUL), "NUL") != NULL);
    CHECK(strstr(sspix_utf_err_str(SSPIX_UTF_BAD_UTF8), "UTF-8") != NULL);
    CHECK(strstr(sspix_utf_err_str(-1000), "unknown") != NULL);
}

int main(void)
{
    test_code_point_classes();
    test_lengths();
    test_unpaired_surrogates();
    test_out_of_range();
    test_embedded_nul();
    test_bad_utf8();
    test_error_strings();
    CHECK_DONE("unit.utf");
}
