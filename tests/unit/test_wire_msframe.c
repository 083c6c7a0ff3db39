/* SPDX-License-Identifier: MIT */
/*
 * test_wire_msframe.c - Microsoft sample framing (src/wire/msframe.c): the
 * exact bytes, little-endian lengths, and the allow_empty switch. The decoder
 * machinery itself is covered by test_wire_frame.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/msframe.h"

/* From test_wire_support.c. */
void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);
#define CHECK(cond)          test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_RC(expr, want) test_check_rc((expr), (want), __FILE__, __LINE__, #expr)

/* A SPNEGO NegTokenInit offering Kerberos, MS-Kerberos and NTLM: the shape of
 * a real first token from a Windows client (GSS-API framing, 0x60). */
static const uint8_t spnego_init[] = {
    0x60, 0x32, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02, 0xa0, 0x28, 0x30, 0x26, 0xa0, 0x24, 0x30, 0x22,
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7,
    0x12, 0x01, 0x02, 0x02, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a,
};

static void test_encode(void)
{
    static const uint8_t want[] = {0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o', 0x00, 0x00, 0x00, 0x00};
    uint8_t out[sizeof want], big[261];
    sspix_writer w;

    CHECK(SSPIX_MSFRAME_HDR == 4 && sspix_frame_header_size(SSPIX_FRAME_MS) == SSPIX_MSFRAME_HDR);
    sspix_writer_init_fixed(&w, out, sizeof out);
    CHECK_RC(sspix_msframe_encode(&w, "hello", 5), 0);
    CHECK_RC(sspix_msframe_encode(&w, NULL, 0), 0);
    CHECK(sspix_writer_len(&w) == sizeof want && memcmp(out, want, sizeof want) == 0);
    CHECK_RC(sspix_msframe_encode(&w, NULL, 0), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == sizeof want);

    /* Length bytes are little-endian: 261 = 0x0105. */
    memset(big, 'b', sizeof big);
    sspix_writer_init_heap(&w, 4 + sizeof big);
    CHECK_RC(sspix_msframe_encode(&w, big, sizeof big), 0);
    CHECK(memcmp(sspix_writer_data(&w), "\x05\x01\x00\x00", 4) == 0);
    CHECK_RC(sspix_msframe_encode(&w, big, 0), SSPIX_ERR_FULL);
    sspix_writer_free(&w);
}

static void test_decode_le(void)
{
    uint8_t msg[4 + 261];
    const uint8_t *data;
    size_t len, used;
    uint8_t flags = 0xaa;
    sspix_framedec d;

    memcpy(msg, "\x05\x01\x00\x00", 4);
    memset(msg + 4, 'q', 261);
    sspix_msframe_decoder_init(&d, 261, false);
    CHECK_RC(sspix_framedec_feed(&d, msg, sizeof msg, &used), SSPIX_FRAME_READY);
    CHECK(used == sizeof msg);
    CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
    CHECK(len == 261 && data[260] == 'q' && flags == 0);
    sspix_framedec_reset(&d);

    sspix_msframe_decoder_init(&d, 260, false);
    CHECK_RC(sspix_framedec_feed(&d, msg, sizeof msg, &used), SSPIX_ERR_TOO_LONG);
    CHECK(used == 4 && sspix_framedec_allocated(&d) == 0);
    sspix_framedec_reset(&d);
}

/* Handshake legs never carry an empty token; the echo mode ends with one. */
static void test_allow_empty(void)
{
    static const uint8_t empty[] = {0, 0, 0, 0};
    sspix_framedec d;
    size_t used;

    sspix_msframe_decoder_init(&d, 100, false);
    CHECK_RC(sspix_framedec_feed(&d, empty, sizeof empty, &used), SSPIX_ERR_INVALID);
    CHECK(used == 4);
    sspix_framedec_reset(&d);

    sspix_msframe_decoder_init(&d, 100, true);
    CHECK_RC(sspix_framedec_feed(&d, empty, sizeof empty, &used), SSPIX_FRAME_READY);
    CHECK(used == 4 && sspix_framedec_allocated(&d) == 0);
    sspix_framedec_reset(&d);
}

/* An echo session: two messages then the empty end-of-session marker,
 * arriving one byte at a time. */
static void test_echo_session(void)
{
    static const char *const msgs[] = {"first", "second message", ""};
    sspix_writer w;
    sspix_framedec d;
    size_t i, nf = 0;

    sspix_writer_init_heap(&w, 1024);
    CHECK_RC(sspix_msframe_encode(&w, spnego_init, sizeof spnego_init), 0);
    for (i = 0; i < 3; i++)
        CHECK_RC(sspix_msframe_encode(&w, msgs[i], strlen(msgs[i])), 0);

    sspix_msframe_decoder_init(&d, 1024, true);
    for (i = 0; i < sspix_writer_len(&w); i++) {
        size_t used;
        int rc = sspix_framedec_feed(&d, sspix_writer_data(&w) + i, 1, &used);
        uint8_t *data;
        size_t len;

        CHECK(used == 1);
        if (rc == 0)
            continue;
        CHECK_RC(rc, SSPIX_FRAME_READY);
        CHECK_RC(sspix_framedec_take(&d, &data, &len, NULL), 0);
        if (nf == 0)
            CHECK(len == sizeof spnego_init && data[0] == 0x60 && memcmp(data, spnego_init, len) == 0);
        else
            CHECK(len == strlen(msgs[nf - 1]) && (len == 0 || memcmp(data, msgs[nf - 1], len) == 0));
        free(data);
        nf++;
    }
    CHECK(nf == 4 && sspix_framedec_buffered(&d) == 0);
    sspix_framedec_reset(&d);
    sspix_writer_free(&w);
}

int main(void)
{
    test_encode();
    test_decode_le();
    test_allow_empty();
    test_echo_session();
    printf("test_wire_msframe: all checks passed\n");
    return 0;
}
