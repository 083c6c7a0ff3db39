/* SPDX-License-Identifier: MIT */
/* test_buf.c - sspix_reader / sspix_writer (src/common/buf.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* From test_wire_support.c. */
void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);
#define CHECK(cond)          test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_RC(expr, want) test_check_rc((expr), (want), __FILE__, __LINE__, #expr)
extern unsigned long test_alloc_calls;
extern int test_alloc_fail;

static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

static void test_reader_ints(void)
{
    sspix_reader r;
    uint8_t v8;
    uint16_t v16;
    uint32_t v32;

    sspix_reader_init(&r, bytes, sizeof bytes);
    CHECK(sspix_reader_left(&r) == 9 && sspix_reader_consumed(&r) == 0);
    CHECK_RC(sspix_reader_u8(&r, &v8), 0);
    CHECK(v8 == 0x01);
    CHECK_RC(sspix_reader_u16be(&r, &v16), 0);
    CHECK(v16 == 0x0203);
    CHECK_RC(sspix_reader_u16le(&r, &v16), 0);
    CHECK(v16 == 0x0504);
    CHECK_RC(sspix_reader_u32be(&r, &v32), 0);
    CHECK(v32 == 0x06070809);
    CHECK(sspix_reader_left(&r) == 0 && sspix_reader_consumed(&r) == 9);

    sspix_reader_init(&r, bytes, sizeof bytes);
    CHECK_RC(sspix_reader_u32le(&r, &v32), 0);
    CHECK(v32 == 0x04030201);

    /* High bits survive (no sign extension). */
    {
        static const uint8_t ff[] = {0xff, 0xfe, 0xfd, 0xfc};
        sspix_reader_init(&r, ff, sizeof ff);
        CHECK_RC(sspix_reader_u32be(&r, &v32), 0);
        CHECK(v32 == 0xfffefdfcu);
        sspix_reader_init(&r, ff, sizeof ff);
        CHECK_RC(sspix_reader_u32le(&r, &v32), 0);
        CHECK(v32 == 0xfcfdfeffu);
        sspix_reader_init(&r, ff, sizeof ff);
        CHECK_RC(sspix_reader_u16be(&r, &v16), 0);
        CHECK(v16 == 0xfffe);
        CHECK_RC(sspix_reader_u16le(&r, &v16), 0);
        CHECK(v16 == 0xfcfd);
    }
}

/* Every integer read on too few bytes: SHORT, cursor and output untouched. */
static void test_reader_ints_short(void)
{
    sspix_reader r;
    uint8_t v8 = 0xaa;
    uint16_t v16 = 0xaaaa;
    uint32_t v32 = 0xaaaaaaaa;
    size_t have;

    for (have = 0; have < 4; have++) {
        sspix_reader_init(&r, bytes, sizeof bytes);
        CHECK_RC(sspix_reader_skip(&r, sizeof bytes - have), 0);
        if (have < 1) {
            CHECK_RC(sspix_reader_u8(&r, &v8), SSPIX_ERR_SHORT);
            CHECK(v8 == 0xaa);
        }
        if (have < 2) {
            CHECK_RC(sspix_reader_u16be(&r, &v16), SSPIX_ERR_SHORT);
            CHECK_RC(sspix_reader_u16le(&r, &v16), SSPIX_ERR_SHORT);
            CHECK(v16 == 0xaaaa);
        }
        CHECK_RC(sspix_reader_u32be(&r, &v32), SSPIX_ERR_SHORT);
        CHECK_RC(sspix_reader_u32le(&r, &v32), SSPIX_ERR_SHORT);
        CHECK(v32 == 0xaaaaaaaa);
        CHECK(sspix_reader_left(&r) == have);
        CHECK(sspix_reader_consumed(&r) == sizeof bytes - have);
    }
}

static void test_reader_bytes_peek_skip(void)
{
    sspix_reader r;
    const uint8_t *p = NULL, *q = NULL;

    sspix_reader_init(&r, bytes, sizeof bytes);
    CHECK_RC(sspix_reader_peek(&r, 3, &p), 0);
    CHECK(p == bytes && sspix_reader_consumed(&r) == 0);
    CHECK_RC(sspix_reader_bytes(&r, 3, &p), 0);
    CHECK(p == bytes && sspix_reader_consumed(&r) == 3);
    CHECK_RC(sspix_reader_skip(&r, 2), 0);
    CHECK_RC(sspix_reader_peek(&r, 4, &p), 0);
    CHECK(p == bytes + 5 && sspix_reader_left(&r) == 4);
    CHECK_RC(sspix_reader_bytes(&r, 0, &p), 0);
    CHECK(p == bytes + 5 && sspix_reader_left(&r) == 4);

    /* Failures: too many, and sizes that would overflow pos + n. */
    q = p;
    CHECK_RC(sspix_reader_peek(&r, 5, &p), SSPIX_ERR_SHORT);
    CHECK_RC(sspix_reader_bytes(&r, 5, &p), SSPIX_ERR_SHORT);
    CHECK_RC(sspix_reader_bytes(&r, SIZE_MAX, &p), SSPIX_ERR_SHORT);
    CHECK_RC(sspix_reader_skip(&r, 5), SSPIX_ERR_SHORT);
    CHECK_RC(sspix_reader_skip(&r, SIZE_MAX), SSPIX_ERR_SHORT);
    CHECK(p == q && sspix_reader_left(&r) == 4 && sspix_reader_consumed(&r) == 5);

    CHECK_RC(sspix_reader_skip(&r, 4), 0);
    CHECK(sspix_reader_left(&r) == 0);
    CHECK_RC(sspix_reader_skip(&r, 0), 0);
    CHECK_RC(sspix_reader_skip(&r, 1), SSPIX_ERR_SHORT);
    CHECK(sspix_reader_consumed(&r) == 9);

    /* An empty reader over NULL. */
    sspix_reader_init(&r, NULL, 0);
    CHECK(sspix_reader_left(&r) == 0);
    CHECK_RC(sspix_reader_bytes(&r, 0, &p), 0);
    CHECK(p == NULL);
    CHECK_RC(sspix_reader_u8(&r, &(uint8_t){0}), SSPIX_ERR_SHORT);
}

static void test_reader_prefixed(void)
{
    static const struct {
        enum sspix_prefix prefix;
        uint8_t hdr[4];
        size_t hlen;
    } kinds[] = {
        {SSPIX_PREFIX_U8, {0x03}, 1},
        {SSPIX_PREFIX_U16BE, {0x00, 0x03}, 2},
        {SSPIX_PREFIX_U16LE, {0x03, 0x00}, 2},
        {SSPIX_PREFIX_U32BE, {0x00, 0x00, 0x00, 0x03}, 4},
        {SSPIX_PREFIX_U32LE, {0x03, 0x00, 0x00, 0x00}, 4},
    };
    size_t k;

    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        uint8_t msg[16];
        size_t mlen = kinds[k].hlen + 3, cut;
        const uint8_t *p = NULL;
        size_t n = 77;
        sspix_reader r;

        memcpy(msg, kinds[k].hdr, kinds[k].hlen);
        memcpy(msg + kinds[k].hlen, "abcX", 4); /* 3 bytes of field, then one more */

        /* Exactly at max: accepted, and the byte after it is left. */
        sspix_reader_init(&r, msg, mlen + 1);
        CHECK_RC(sspix_reader_prefixed(&r, kinds[k].prefix, 3, &p, &n), 0);
        CHECK(n == 3 && p == msg + kinds[k].hlen && memcmp(p, "abc", 3) == 0);
        CHECK(sspix_reader_left(&r) == 1);

        /* max - 1: TOO_LONG, nothing consumed, outputs untouched. */
        p = NULL;
        n = 77;
        sspix_reader_init(&r, msg, mlen);
        CHECK_RC(sspix_reader_prefixed(&r, kinds[k].prefix, 2, &p, &n), SSPIX_ERR_TOO_LONG);
        CHECK(sspix_reader_consumed(&r) == 0 && p == NULL && n == 77);

        /* Every truncation: SHORT (prefix or field cut off), nothing consumed.
         * With a too-small max as well, the limit wins once the prefix is whole. */
        for (cut = 0; cut < mlen; cut++) {
            sspix_reader_init(&r, msg, cut);
            CHECK_RC(sspix_reader_prefixed(&r, kinds[k].prefix, 3, &p, &n), SSPIX_ERR_SHORT);
            CHECK(sspix_reader_consumed(&r) == 0 && p == NULL && n == 77);
            CHECK_RC(sspix_reader_prefixed(&r, kinds[k].prefix, 2, &p, &n),
                     cut < kinds[k].hlen ? SSPIX_ERR_SHORT : SSPIX_ERR_TOO_LONG);
            CHECK(sspix_reader_consumed(&r) == 0 && p == NULL && n == 77);
        }
    }

    /* A zero-length field, and a u32 length near 4 GiB against a huge max. */
    {
        static const uint8_t zero[] = {0x00, 0x00, 0x00, 0x00};
        static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x00};
        const uint8_t *p;
        size_t n;
        sspix_reader r;

        sspix_reader_init(&r, zero, sizeof zero);
        CHECK_RC(sspix_reader_prefixed(&r, SSPIX_PREFIX_U32BE, 0, &p, &n), 0);
        CHECK(n == 0 && sspix_reader_left(&r) == 0);

        sspix_reader_init(&r, huge, sizeof huge);
        CHECK_RC(sspix_reader_prefixed(&r, SSPIX_PREFIX_U32LE, SIZE_MAX, &p, &n), SSPIX_ERR_SHORT);
        CHECK_RC(sspix_reader_prefixed(&r, SSPIX_PREFIX_U32LE, 0xfffffffeu, &p, &n), SSPIX_ERR_TOO_LONG);
        CHECK(sspix_reader_consumed(&r) == 0);
        CHECK_RC(sspix_reader_prefixed(&r, (enum sspix_prefix)99, SIZE_MAX, &p, &n), SSPIX_ERR_INVALID);
        CHECK(sspix_reader_consumed(&r) == 0);
    }
}

static void test_writer_fixed(void)
{
    static const uint8_t want[] = {0x11, 0x12, 0x13, 0x15, 0x14, 0x21, 0x22, 0x23, 0x24,
                                   0x34, 0x33, 0x32, 0x31, 'x',  'y',  0xee, 0xee};
    uint8_t buf[sizeof want];
    sspix_writer w;
    uint8_t *p = NULL, *taken = (uint8_t *)"sentinel";
    size_t n = 77;

    memset(buf, 0xcc, sizeof buf);
    sspix_writer_init_fixed(&w, buf, sizeof buf);
    CHECK(sspix_writer_room(&w) == sizeof buf && sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == buf);
    CHECK_RC(sspix_writer_put_u8(&w, 0x11), 0);
    CHECK_RC(sspix_writer_put_u16be(&w, 0x1213), 0);
    CHECK_RC(sspix_writer_put_u16le(&w, 0x1415), 0);
    CHECK_RC(sspix_writer_put_u32be(&w, 0x21222324), 0);
    CHECK_RC(sspix_writer_put_u32le(&w, 0x31323334), 0);
    CHECK_RC(sspix_writer_put_bytes(&w, "xy", 2), 0);
    CHECK_RC(sspix_writer_put_bytes(&w, NULL, 0), 0);
    CHECK_RC(sspix_writer_reserve(&w, 2, &p), 0);
    CHECK(p == buf + 15);
    p[0] = p[1] = 0xee;
    CHECK(sspix_writer_len(&w) == sizeof want && sspix_writer_room(&w) == 0);
    CHECK(memcmp(buf, want, sizeof want) == 0);

    /* Full: every put fails with FULL and changes nothing. */
    CHECK_RC(sspix_writer_put_u8(&w, 0), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_put_bytes(&w, "z", 1), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_reserve(&w, SIZE_MAX, &p), SSPIX_ERR_FULL);
    CHECK(p == buf + 15);
    CHECK_RC(sspix_writer_reserve(&w, 0, &p), 0);
    CHECK(sspix_writer_len(&w) == sizeof want && memcmp(buf, want, sizeof want) == 0);

    /* A fixed writer cannot give its bytes away. */
    CHECK_RC(sspix_writer_take(&w, &taken, &n), SSPIX_ERR_STATE);
    CHECK(n == 77 && strcmp((char *)taken, "sentinel") == 0);

    /* Partial room: a 4-byte put with 3 bytes left writes none of them. */
    sspix_writer_reset(&w);
    CHECK(sspix_writer_len(&w) == 0 && sspix_writer_room(&w) == sizeof buf);
    CHECK_RC(sspix_writer_reserve(&w, sizeof buf - 3, &p), 0);
    memset(buf + sizeof buf - 3, 0xcc, 3);
    CHECK_RC(sspix_writer_put_u32be(&w, 0xdeadbeef), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_put_u32le(&w, 0xdeadbeef), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_put_bytes(&w, "abcd", 4), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == sizeof buf - 3);
    CHECK(buf[sizeof buf - 3] == 0xcc && buf[sizeof buf - 1] == 0xcc);
    CHECK_RC(sspix_writer_put_u16le(&w, 0x0102), 0);
    CHECK_RC(sspix_writer_put_u16be(&w, 0x0102), SSPIX_ERR_FULL);
    CHECK(sspix_writer_room(&w) == 1);

    /* free on a fixed writer only forgets; the caller's buffer stays. */
    sspix_writer_free(&w);
    CHECK(sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == buf);

    /* A zero-size fixed writer over NULL. */
    sspix_writer_init_fixed(&w, NULL, 0);
    CHECK_RC(sspix_writer_put_bytes(&w, NULL, 0), 0);
    CHECK_RC(sspix_writer_put_u8(&w, 1), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == 0);
}

static void test_writer_heap(void)
{
    sspix_writer w;
    uint8_t *out = NULL, *p;
    size_t n = 0, i;
    unsigned long calls;

    /* Init allocates nothing; growth keeps the content. */
    calls = test_alloc_calls;
    sspix_writer_init_heap(&w, 1000);
    CHECK(test_alloc_calls == calls && sspix_writer_data(&w) == NULL && sspix_writer_room(&w) == 1000);
    for (i = 0; i < 250; i++)
        CHECK_RC(sspix_writer_put_u32be(&w, (uint32_t)i), 0);
    CHECK(sspix_writer_len(&w) == 1000 && sspix_writer_room(&w) == 0);
    for (i = 0; i < 250; i++) {
        const uint8_t *d = sspix_writer_data(&w) + 4 * i;
        CHECK(d[0] == 0 && d[1] == 0 && d[2] == (uint8_t)(i >> 8) && d[3] == (uint8_t)i);
    }

    /* At the maximum: FULL, before any allocation, nothing written. */
    calls = test_alloc_calls;
    CHECK_RC(sspix_writer_put_u8(&w, 0), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_reserve(&w, SIZE_MAX, &p), SSPIX_ERR_FULL);
    CHECK(test_alloc_calls == calls && sspix_writer_len(&w) == 1000);

    /* Take: the bytes are ours, the writer starts over empty. */
    CHECK_RC(sspix_writer_take(&w, &out, &n), 0);
    CHECK(n == 1000 && out[999] == 249 && out[995] == 248);
    free(out);
    CHECK(sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == NULL && sspix_writer_room(&w) == 1000);

    /* Taking from a writer that never wrote gives NULL / 0. */
    out = (uint8_t *)&n;
    CHECK_RC(sspix_writer_take(&w, &out, &n), 0);
    CHECK(out == NULL && n == 0);

    /* A request over the max is refused without allocating, even when it would
     * fit a later, smaller one. */
    calls = test_alloc_calls;
    CHECK_RC(sspix_writer_reserve(&w, 1001, &p), SSPIX_ERR_FULL);
    CHECK(test_alloc_calls == calls);
    CHECK_RC(sspix_writer_reserve(&w, 1000, &p), 0);
    CHECK(test_alloc_calls == calls + 1);
    memset(p, 0x5a, 1000);

    /* Reset keeps the allocation: rewriting costs no allocation. */
    sspix_writer_reset(&w);
    calls = test_alloc_calls;
    CHECK_RC(sspix_writer_put_bytes(&w, "hello", 5), 0);
    CHECK(test_alloc_calls == calls && memcmp(sspix_writer_data(&w), "hello", 5) == 0);
    sspix_writer_free(&w);
    sspix_writer_free(&w); /* twice is fine */
    CHECK(sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == NULL && sspix_writer_room(&w) == 1000);

    /* Failed allocation: NOMEM, writer unchanged, and usable afterwards. */
    CHECK_RC(sspix_writer_put_bytes(&w, "abc", 3), 0);
    test_alloc_fail = 1;
    CHECK_RC(sspix_writer_reserve(&w, 500, &p), SSPIX_ERR_NOMEM);
    test_alloc_fail = 0;
    CHECK(sspix_writer_len(&w) == 3 && memcmp(sspix_writer_data(&w), "abc", 3) == 0);
    CHECK_RC(sspix_writer_reserve(&w, 500, &p), 0);
    CHECK(sspix_writer_len(&w) == 503 && memcmp(sspix_writer_data(&w), "abc", 3) == 0);
    sspix_writer_free(&w);

    /* Size arithmetic at the top of size_t: no wrap-around. */
    sspix_writer_init_heap(&w, SIZE_MAX);
    CHECK_RC(sspix_writer_put_bytes(&w, "0123456789", 10), 0);
    calls = test_alloc_calls;
    CHECK_RC(sspix_writer_reserve(&w, SIZE_MAX - 5, &p), SSPIX_ERR_FULL);
    CHECK(test_alloc_calls == calls);
    CHECK_RC(sspix_writer_reserve(&w, SIZE_MAX - 10, &p), SSPIX_ERR_NOMEM); /* allowed, but no such memory */
    CHECK(sspix_writer_len(&w) == 10 && memcmp(sspix_writer_data(&w), "0123456789", 10) == 0);
    sspix_writer_free(&w);

    /* A zero maximum. */
    sspix_writer_init_heap(&w, 0);
    CHECK_RC(sspix_writer_put_bytes(&w, NULL, 0), 0);
    CHECK_RC(sspix_writer_put_u8(&w, 1), SSPIX_ERR_FULL);
    sspix_writer_free(&w);

    /* A maximum below the first allocation size is still exact. */
    sspix_writer_init_heap(&w, 5);
    CHECK_RC(sspix_writer_put_u32le(&w, 0x04030201), 0);
    CHECK_RC(sspix_writer_put_u16le(&w, 0), SSPIX_ERR_FULL);
    CHECK_RC(sspix_writer_put_u8(&w, 5), 0);
    CHECK(memcmp(sspix_writer_data(&w), "\x01\x02\x03\x04\x05", 5) == 0);
    sspix_writer_free(&w);
}

int main(void)
{
    test_reader_ints();
    test_reader_ints_short();
    test_reader_bytes_peek_skip();
    test_reader_prefixed();
    test_writer_fixed();
    test_writer_heap();
    printf("test_buf: all checks passed\n");
    return 0;
}
