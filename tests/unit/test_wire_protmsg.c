/* SPDX-License-Identifier: MIT */
/*
 * test_wire_protmsg.c - the post-authentication protected message
 * (src/wire/protmsg.c): round trips, every truncation point, the trailer
 * limit, and the echo-mode msframe wrapping.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/msframe.h"
#include "wire/protmsg.h"

/* From test_wire_support.c. */
void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);
#define CHECK(cond)          test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_RC(expr, want) test_check_rc((expr), (want), __FILE__, __LINE__, #expr)

/* Kerberos AES-SHA1 shape: a 60-byte TOKEN (RFC 4121 header, RRC 28) and a
 * 28-byte DATA. */
#define TRAILER_LEN 60
#define DATA_LEN    28
static uint8_t trailer[TRAILER_LEN], data[DATA_LEN];

static void fill(void)
{
    size_t i;

    for (i = 0; i < TRAILER_LEN; i++)
        trailer[i] = (uint8_t)(0x80 + i);
    memcpy(trailer, "\x05\x04\x06\xff\x00\x00\x00\x1c", 8);
    for (i = 0; i < DATA_LEN; i++)
        data[i] = (uint8_t)(0x20 + i);
}

static void test_round_trip(void)
{
    uint8_t msg[4 + TRAILER_LEN + DATA_LEN];
    sspix_writer w;
    sspix_protmsg m;

    sspix_writer_init_fixed(&w, msg, sizeof msg);
    CHECK_RC(sspix_protmsg_encode(&w, trailer, TRAILER_LEN, data, DATA_LEN), 0);
    CHECK(sspix_writer_len(&w) == sizeof msg);
    CHECK(memcmp(msg, "\x3c\x00\x00\x00", 4) == 0);
    CHECK(memcmp(msg + 4, trailer, TRAILER_LEN) == 0 && memcmp(msg + 4 + TRAILER_LEN, data, DATA_LEN) == 0);

    CHECK_RC(sspix_protmsg_decode(msg, sizeof msg, TRAILER_LEN, &m), 0);
    CHECK(m.trailer == msg + 4 && m.trailer_len == TRAILER_LEN);
    CHECK(m.data == msg + 4 + TRAILER_LEN && m.data_len == DATA_LEN);

    /* No room for the whole message: nothing written. */
    sspix_writer_init_fixed(&w, msg, sizeof msg - 1);
    CHECK_RC(sspix_protmsg_encode(&w, trailer, TRAILER_LEN, data, DATA_LEN), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == 0);
    CHECK_RC(sspix_protmsg_encode_framed(&w, trailer, TRAILER_LEN, data, DATA_LEN), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == 0);
}

/* Cut the message at every byte: SHORT while the length field or the trailer
 * is incomplete; past that a shorter DATA is all the codec can see (the
 * package's integrity check catches it). Failures leave *out alone. */
static void test_truncation(void)
{
    uint8_t msg[4 + TRAILER_LEN + DATA_LEN];
    sspix_writer w;
    size_t cut;

    sspix_writer_init_fixed(&w, msg, sizeof msg);
    CHECK_RC(sspix_protmsg_encode(&w, trailer, TRAILER_LEN, data, DATA_LEN), 0);
    for (cut = 0; cut <= sizeof msg; cut++) {
        sspix_protmsg m = {(const uint8_t *)"sentinel", 77, NULL, 88};

        if (cut < 4 + TRAILER_LEN) {
            CHECK_RC(sspix_protmsg_decode(msg, cut, 1000, &m), SSPIX_ERR_SHORT);
            CHECK(m.trailer_len == 77 && m.data_len == 88 && m.data == NULL);
            CHECK(strcmp((const char *)m.trailer, "sentinel") == 0);
        } else {
            CHECK_RC(sspix_protmsg_decode(msg, cut, 1000, &m), 0);
            CHECK(m.trailer_len == TRAILER_LEN && m.data_len == cut - 4 - TRAILER_LEN);
        }
    }
    {
        sspix_protmsg m;

        CHECK_RC(sspix_protmsg_decode(NULL, 0, 1000, &m), SSPIX_ERR_SHORT);
    }
}

static void test_limits(void)
{
    uint8_t msg[4 + TRAILER_LEN + DATA_LEN];
    sspix_writer w;
    sspix_protmsg m = {NULL, 77, NULL, 88};

    sspix_writer_init_fixed(&w, msg, sizeof msg);
    CHECK_RC(sspix_protmsg_encode(&w, trailer, TRAILER_LEN, data, DATA_LEN), 0);
    CHECK_RC(sspix_protmsg_decode(msg, sizeof msg, TRAILER_LEN, &m), 0);
    m.trailer_len = 77;
    CHECK_RC(sspix_protmsg_decode(msg, sizeof msg, TRAILER_LEN - 1, &m), SSPIX_ERR_TOO_LONG);
    CHECK(m.trailer_len == 77);

    /* The limit is checked before presence: a huge length in a 4-byte message. */
    CHECK_RC(sspix_protmsg_decode("\xff\xff\xff\xff", 4, 1000, &m), SSPIX_ERR_TOO_LONG);
    CHECK_RC(sspix_protmsg_decode("\xff\xff\xff\xff", 4, SIZE_MAX, &m), SSPIX_ERR_SHORT);

    /* Empty trailer and empty data are the package's business, not the codec's. */
    CHECK_RC(sspix_protmsg_decode("\x00\x00\x00\x00", 4, 0, &m), 0);
    CHECK(m.trailer_len == 0 && m.data_len == 0);
    CHECK_RC(sspix_protmsg_decode("\x00\x00\x00\x00xy", 6, 0, &m), 0);
    CHECK(m.trailer_len == 0 && m.data_len == 2 && memcmp(m.data, "xy", 2) == 0);
    CHECK_RC(sspix_protmsg_decode("\x02\x00\x00\x00xy", 6, 2, &m), 0);
    CHECK(m.trailer_len == 2 && m.data_len == 0 && memcmp(m.trailer, "xy", 2) == 0);
    sspix_writer_init_fixed(&w, msg, sizeof msg);
    CHECK_RC(sspix_protmsg_encode(&w, NULL, 0, NULL, 0), 0);
    CHECK(sspix_writer_len(&w) == 4 && memcmp(msg, "\x00\x00\x00\x00", 4) == 0);

    /* Sizes nothing can carry are refused before any byte is read. */
    sspix_writer_init_heap(&w, SIZE_MAX);
    CHECK_RC(sspix_protmsg_encode(&w, "t", 1, "d", SIZE_MAX), SSPIX_ERR_TOO_LONG);
    CHECK_RC(sspix_protmsg_encode(&w, "t", SIZE_MAX, "d", 1), SSPIX_ERR_TOO_LONG);
#if SIZE_MAX > UINT32_MAX
    CHECK_RC(sspix_protmsg_encode(&w, "t", (size_t)UINT32_MAX + 1, "d", 1), SSPIX_ERR_TOO_LONG);
    CHECK_RC(sspix_protmsg_encode_framed(&w, "t", 16, "d", (size_t)UINT32_MAX - 16 - 3), SSPIX_ERR_TOO_LONG);
#endif
    CHECK(sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == NULL);
}

/* Echo mode: u32 LE total | protected message, read back through the
 * msframe decoder. */
static void test_framed(void)
{
    sspix_writer w;
    sspix_framedec d;
    const uint8_t *body, *p;
    size_t len, used, total = 4 + TRAILER_LEN + DATA_LEN;
    sspix_protmsg m;

    sspix_writer_init_heap(&w, 1024);
    CHECK_RC(sspix_protmsg_encode_framed(&w, trailer, TRAILER_LEN, data, DATA_LEN), 0);
    CHECK(sspix_writer_len(&w) == 4 + total);
    p = sspix_writer_data(&w);
    CHECK(p[0] == (uint8_t)total && p[1] == 0 && p[2] == 0 && p[3] == 0);
    CHECK(p[4] == TRAILER_LEN && p[5] == 0 && p[6] == 0 && p[7] == 0);

    sspix_msframe_decoder_init(&d, 1024, true);
    CHECK_RC(sspix_framedec_feed(&d, p, sspix_writer_len(&w), &used), SSPIX_FRAME_READY);
    CHECK(used == sspix_writer_len(&w));
    CHECK_RC(sspix_framedec_frame(&d, &body, &len, NULL), 0);
    CHECK_RC(sspix_protmsg_decode(body, len, 64, &m), 0);
    CHECK(m.trailer_len == TRAILER_LEN && memcmp(m.trailer, trailer, TRAILER_LEN) == 0);
    CHECK(m.data_len == DATA_LEN && memcmp(m.data, data, DATA_LEN) == 0);
    sspix_framedec_reset(&d);
    sspix_writer_free(&w);
}

int main(void)
{
    fill();
    test_round_trip();
    test_truncation();
    test_limits();
    test_framed();
    printf("test_wire_protmsg: all checks passed\n");
    return 0;
}
