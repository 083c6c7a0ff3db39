/* SPDX-License-Identifier: MIT */
/*
 * test_wire_gssframe.c - MIT gss-sample framing (src/wire/gssframe.c): flag
 * values, exact bytes, big-endian lengths, empty tokens. The decoder machinery
 * itself is covered by test_wire_frame.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/gssframe.h"

/* From test_wire_support.c. */
void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);
#define CHECK(cond)          test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_RC(expr, want) test_check_rc((expr), (want), __FILE__, __LINE__, #expr)

static void test_constants(void)
{
    /* gss-misc.h of the MIT sample. */
    CHECK(SSPIX_GSSFRAME_NOOP == 0x01 && SSPIX_GSSFRAME_CONTEXT == 0x02 && SSPIX_GSSFRAME_DATA == 0x04);
    CHECK(SSPIX_GSSFRAME_MIC == 0x08 && SSPIX_GSSFRAME_CONTEXT_NEXT == 0x10 && SSPIX_GSSFRAME_WRAPPED == 0x20);
    CHECK(SSPIX_GSSFRAME_ENCRYPTED == 0x40 && SSPIX_GSSFRAME_SEND_MIC == 0x80);
    CHECK((SSPIX_GSSFRAME_DATA | SSPIX_GSSFRAME_WRAPPED | SSPIX_GSSFRAME_ENCRYPTED | SSPIX_GSSFRAME_SEND_MIC) == 0xe4);
    CHECK(SSPIX_GSSFRAME_HDR == 5 && sspix_frame_header_size(SSPIX_FRAME_GSS) == SSPIX_GSSFRAME_HDR);
}

static void test_encode(void)
{
    static const uint8_t want[] = {0x11, 0, 0, 0, 0, 0xe4, 0, 0, 0, 3, 'a', 'b', 'c'};
    uint8_t out[sizeof want], big[261];
    sspix_writer w;

    sspix_writer_init_fixed(&w, out, sizeof out);
    CHECK_RC(sspix_gssframe_encode(&w, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0), 0);
    CHECK_RC(sspix_gssframe_encode(&w, 0xe4, "abc", 3), 0);
    CHECK(sspix_writer_len(&w) == sizeof want && memcmp(out, want, sizeof want) == 0);
    CHECK_RC(sspix_gssframe_encode(&w, SSPIX_GSSFRAME_NOOP, NULL, 0), SSPIX_ERR_FULL);
    CHECK(sspix_writer_len(&w) == sizeof want);

    /* Length bytes are big-endian: 261 = 0x0105. */
    memset(big, 'b', sizeof big);
    sspix_writer_init_heap(&w, 5 + sizeof big);
    CHECK_RC(sspix_gssframe_encode(&w, SSPIX_GSSFRAME_CONTEXT, big, sizeof big), 0);
    CHECK(memcmp(sspix_writer_data(&w), "\x02\x00\x00\x01\x05", 5) == 0);
    sspix_writer_free(&w);
}

static void test_decode_be(void)
{
    uint8_t msg[5 + 261];
    const uint8_t *data;
    size_t len, used;
    uint8_t flags;
    sspix_framedec d;

    memcpy(msg, "\x08\x00\x00\x01\x05", 5);
    memset(msg + 5, 'q', 261);
    sspix_gssframe_decoder_init(&d, 261);
    CHECK_RC(sspix_framedec_feed(&d, msg, sizeof msg, &used), SSPIX_FRAME_READY);
    CHECK(used == sizeof msg);
    CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
    CHECK(len == 261 && data[260] == 'q' && flags == SSPIX_GSSFRAME_MIC);
    sspix_framedec_reset(&d);

    sspix_gssframe_decoder_init(&d, 260);
    CHECK_RC(sspix_framedec_feed(&d, msg, sizeof msg, &used), SSPIX_ERR_TOO_LONG);
    CHECK(used == 5 && sspix_framedec_allocated(&d) == 0);
    sspix_framedec_reset(&d);
}

/* The client side of an MIT gss-client session, in one buffer: opener,
 * a context token, a wrapped message, the closing empty NOOP. */
static void test_session(void)
{
    static const uint8_t ctx[] = {0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const struct {
        uint8_t flags;
        const uint8_t *data;
        size_t len;
    } want[] = {
        {SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0},
        {SSPIX_GSSFRAME_CONTEXT, ctx, sizeof ctx},
        {0xe4, (const uint8_t *)"\x05\x04wrapped", 9},
        {SSPIX_GSSFRAME_NOOP, NULL, 0},
    };
    sspix_writer w;
    sspix_framedec d;
    size_t i, off = 0;

    sspix_writer_init_heap(&w, 256);
    for (i = 0; i < 4; i++)
        CHECK_RC(sspix_gssframe_encode(&w, want[i].flags, want[i].data, want[i].len), 0);

    sspix_gssframe_decoder_init(&d, 64);
    for (i = 0; i < 4; i++) {
        const uint8_t *data;
        size_t len, used;
        uint8_t flags;

        CHECK_RC(sspix_framedec_feed(&d, sspix_writer_data(&w) + off, sspix_writer_len(&w) - off, &used),
                 SSPIX_FRAME_READY);
        off += used;
        CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
        CHECK(flags == want[i].flags && len == want[i].len);
        CHECK(len == 0 ? data == NULL : memcmp(data, want[i].data, len) == 0);
        sspix_framedec_next(&d);
    }
    CHECK(off == sspix_writer_len(&w) && sspix_framedec_buffered(&d) == 0);
    sspix_framedec_reset(&d);
    sspix_writer_free(&w);
}

int main(void)
{
    test_constants();
    test_encode();
    test_decode_be();
    test_session();
    printf("test_wire_gssframe: all checks passed\n");
    return 0;
}
