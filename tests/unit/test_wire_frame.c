/* SPDX-License-Identifier: MIT */
/*
 * test_wire_frame.c - the incremental frame decoder and encoder
 * (src/wire/frame.c), for both header kinds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/frame.h"

/* From test_wire_support.c. */
void test_check(int ok, const char *file, int line, const char *what);
void test_check_rc(int got, int want, const char *file, int line, const char *what);
#define CHECK(cond)          test_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_RC(expr, want) test_check_rc((expr), (want), __FILE__, __LINE__, #expr)
extern unsigned long test_alloc_calls;
extern int test_alloc_fail;

static const enum sspix_frame_kind kinds[] = {SSPIX_FRAME_MS, SSPIX_FRAME_GSS};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* xorshift64: deterministic, so a failure replays. */
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* Header bytes of a frame with the given length, written by hand so the
 * decoder is not only checked against its own encoder. */
static size_t put_header(enum sspix_frame_kind kind, uint8_t flags, uint32_t len, uint8_t *out)
{
    if (kind == SSPIX_FRAME_MS) {
        out[0] = (uint8_t)len;
        out[1] = (uint8_t)(len >> 8);
        out[2] = (uint8_t)(len >> 16);
        out[3] = (uint8_t)(len >> 24);
        return 4;
    }
    out[0] = flags;
    out[1] = (uint8_t)(len >> 24);
    out[2] = (uint8_t)(len >> 16);
    out[3] = (uint8_t)(len >> 8);
    out[4] = (uint8_t)len;
    return 5;
}

/* ---- the same stream, cut every way, gives the same frames ---------------- */

#define NFRAMES 40
#define MAXLEN  300

struct tframe {
    uint8_t flags;
    size_t len;
    uint8_t data[MAXLEN];
};

enum chunking { CHUNK_ALL, CHUNK_BYTE, CHUNK_RANDOM };

static size_t next_chunk(enum chunking how, size_t left)
{
    size_t n;

    switch (how) {
    case CHUNK_ALL: return left;
    case CHUNK_BYTE: return 1;
    case CHUNK_RANDOM:
        /* Mostly small (cuts inside headers), sometimes large (several frames), sometimes empty. */
        switch (rnd() % 4) {
        case 0: n = 0; break;
        case 1: n = 1 + rnd() % 6; break;
        case 2: n = 1 + rnd() % 64; break;
        default: n = 1 + rnd() % 1500; break;
        }
        return n < left ? n : left;
    }
    return left;
}

static void decode_stream(enum sspix_frame_kind kind, const uint8_t *stream, size_t slen, const struct tframe *want,
                          size_t nwant, enum chunking how)
{
    sspix_framedec d;
    size_t pos = 0, nf = 0, hsz = sspix_frame_header_size(kind);

    sspix_framedec_init(&d, kind, MAXLEN, SSPIX_FRAMEDEC_ALLOW_EMPTY);
    while (pos < slen) {
        size_t n = next_chunk(how, slen - pos), off = 0;

        for (;;) {
            size_t used = 99;
            int rc = sspix_framedec_feed(&d, stream + pos + off, n - off, &used);

            CHECK(rc == 0 || rc == SSPIX_FRAME_READY);
            CHECK(used <= n - off);
            off += used;
            if (rc == 0) {
                CHECK(off == n); /* "need more" means everything was used */
                break;
            }
            CHECK(nf < nwant);
            /* Exactly the declared size is held, nothing more. */
            CHECK(sspix_framedec_allocated(&d) == want[nf].len);
            CHECK(sspix_framedec_buffered(&d) == hsz + want[nf].len);
            if (nf % 2 == 0) {
                const uint8_t *data;
                size_t len;
                uint8_t flags = 0xaa;

                CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
                CHECK(len == want[nf].len && (len == 0 || memcmp(data, want[nf].data, len) == 0));
                CHECK(flags == want[nf].flags);
                sspix_framedec_next(&d);
            } else {
                uint8_t *data, flags = 0xaa;
                size_t len;

                CHECK_RC(sspix_framedec_take(&d, &data, &len, &flags), 0);
                CHECK(len == want[nf].len && (len == 0 || memcmp(data, want[nf].data, len) == 0));
                CHECK(flags == want[nf].flags);
                CHECK((data == NULL) == (len == 0));
                free(data);
            }
            CHECK(sspix_framedec_allocated(&d) == 0 && sspix_framedec_buffered(&d) == 0);
            nf++;
            if (off == n)
                break;
        }
        pos += n;
    }
    CHECK(nf == nwant);
    CHECK(sspix_framedec_buffered(&d) == 0 && sspix_framedec_allocated(&d) == 0);
    sspix_framedec_reset(&d);
}

static void test_chunkings(void)
{
    static struct tframe frames[NFRAMES];
    size_t k, i, seed;

    for (k = 0; k < NKINDS; k++) {
        sspix_writer w;
        uint8_t *stream;
        size_t slen;

        sspix_writer_init_heap(&w, SIZE_MAX);
        for (i = 0; i < NFRAMES; i++) {
            size_t j;

            /* Empty, tiny and maximal frames all occur. */
            switch (i % 5) {
            case 0: frames[i].len = 0; break;
            case 1: frames[i].len = MAXLEN; break;
            case 2: frames[i].len = 1 + rnd() % 4; break;
            default: frames[i].len = rnd() % (MAXLEN + 1); break;
            }
            frames[i].flags = kinds[k] == SSPIX_FRAME_GSS ? (uint8_t)rnd() : 0;
            for (j = 0; j < frames[i].len; j++)
                frames[i].data[j] = (uint8_t)rnd();
            CHECK_RC(sspix_frame_encode(&w, kinds[k], frames[i].flags, frames[i].data, frames[i].len), 0);
        }
        CHECK_RC(sspix_writer_take(&w, &stream, &slen), 0);

        decode_stream(kinds[k], stream, slen, frames, NFRAMES, CHUNK_ALL);
        decode_stream(kinds[k], stream, slen, frames, NFRAMES, CHUNK_BYTE);
        for (seed = 1; seed <= 200; seed++) {
            rng = seed * 0x9e3779b97f4a7c15u;
            decode_stream(kinds[k], stream, slen, frames, NFRAMES, CHUNK_RANDOM);
        }
        free(stream);
    }
}

/* ---- one chunk, several frames --------------------------------------------- */

static void test_several_in_one_chunk(void)
{
    size_t k;

    for (k = 0; k < NKINDS; k++) {
        uint8_t buf[64], flags;
        size_t hsz = sspix_frame_header_size(kinds[k]), n = 0, used, len;
        const uint8_t *data;
        sspix_framedec d;

        n += put_header(kinds[k], 0x02, 2, buf + n);
        memcpy(buf + n, "ab", 2);
        n += 2;
        n += put_header(kinds[k], 0x04, 3, buf + n);
        memcpy(buf + n, "cde", 3);
        n += 3;
        buf[n++] = 0x00; /* start of a third header */

        sspix_framedec_init(&d, kinds[k], 16, 0);
        CHECK_RC(sspix_framedec_feed(&d, buf, n, &used), SSPIX_FRAME_READY);
        CHECK(used == hsz + 2);
        CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
        CHECK(len == 2 && memcmp(data, "ab", 2) == 0);
        CHECK(flags == (kinds[k] == SSPIX_FRAME_GSS ? 0x02 : 0));

        /* Not taken yet: further input is refused, nothing consumed, frame intact. */
        CHECK_RC(sspix_framedec_feed(&d, buf + used, n - used, &used), SSPIX_ERR_STATE);
        CHECK(used == 0);
        CHECK_RC(sspix_framedec_frame(&d, &data, &len, NULL), 0);
        CHECK(len == 2 && memcmp(data, "ab", 2) == 0);
        sspix_framedec_next(&d);

        CHECK_RC(sspix_framedec_feed(&d, buf + hsz + 2, n - hsz - 2, &used), SSPIX_FRAME_READY);
        CHECK(used == hsz + 3);
        CHECK_RC(sspix_framedec_frame(&d, &data, &len, &flags), 0);
        CHECK(len == 3 && memcmp(data, "cde", 3) == 0);
        CHECK(flags == (kinds[k] == SSPIX_FRAME_GSS ? 0x04 : 0));
        sspix_framedec_next(&d);

        CHECK_RC(sspix_framedec_feed(&d, buf + n - 1, 1, &used), 0);
        CHECK(used == 1 && sspix_framedec_buffered(&d) == 1);
        sspix_framedec_reset(&d);
        CHECK(sspix_framedec_buffered(&d) == 0);
    }
}

/* ---- limits: checked the moment the length is known, before allocating ----- */

/* Feed the header one byte at a time; the last one must fail with want. */
static void expect_header_rejected(enum sspix_frame_kind kind, uint32_t max, unsigned opts, uint32_t len, int want)
{
    uint8_t buf[SSPIX_FRAME_HDR_MAX + 8];
    size_t hsz = put_header(kind, 0x01, len, buf), i, used;
    unsigned long calls = test_alloc_calls;
    sspix_framedec d;

    memset(buf + hsz, 'x', 8);
    sspix_framedec_init(&d, kind, max, opts);
    for (i = 0; i + 1 < hsz; i++) {
        CHECK_RC(sspix_framedec_feed(&d, buf + i, 1, &used), 0);
        CHECK(used == 1);
    }
    CHECK_RC(sspix_framedec_feed(&d, buf + i, 9, &used), want);
    CHECK(used == 1);
    CHECK(test_alloc_calls == calls && sspix_framedec_allocated(&d) == 0);

    /* Sticky: the stream is lost until reset. */
    CHECK_RC(sspix_framedec_feed(&d, buf + hsz, 8, &used), want);
    CHECK(used == 0);
    CHECK_RC(sspix_framedec_feed(&d, NULL, 0, &used), want);

    /* All at once: same error, consumed = the header. */
    sspix_framedec_reset(&d);
    CHECK_RC(sspix_framedec_feed(&d, buf, hsz + 8, &used), want);
    CHECK(used == hsz);
    CHECK(test_alloc_calls == calls && sspix_framedec_allocated(&d) == 0);

    /* After reset the decoder works again. */
    sspix_framedec_reset(&d);
    hsz = put_header(kind, 0, 1, buf);
    CHECK_RC(sspix_framedec_feed(&d, buf, hsz + 1, &used), max >= 1 ? SSPIX_FRAME_READY : SSPIX_ERR_TOO_LONG);
    sspix_framedec_reset(&d);
}

static void test_limits(void)
{
    size_t k;

    for (k = 0; k < NKINDS; k++) {
        enum sspix_frame_kind kind = kinds[k];
        uint8_t buf[SSPIX_FRAME_HDR_MAX + 100];
        size_t hsz = put_header(kind, 0, 100, buf), used;
        unsigned long calls;
        sspix_framedec d;

        /* length == max: accepted; the header alone allocates nothing, the
         * first body bytes one buffer of exactly the (small) declared size. */
        memset(buf + hsz, 'm', 100);
        sspix_framedec_init(&d, kind, 100, 0);
        calls = test_alloc_calls;
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz, &used), 0);
        CHECK(used == hsz && test_alloc_calls == calls && sspix_framedec_allocated(&d) == 0);
        CHECK_RC(sspix_framedec_feed(&d, buf + hsz, 99, &used), 0);
        CHECK(test_alloc_calls == calls + 1 && sspix_framedec_allocated(&d) == 100);
        CHECK(sspix_framedec_buffered(&d) == hsz + 99);
        CHECK_RC(sspix_framedec_feed(&d, buf + hsz + 99, 1, &used), SSPIX_FRAME_READY);
        CHECK(test_alloc_calls == calls + 1);
        sspix_framedec_reset(&d);

        /* A peer that announces a large frame and trickles: what is held
         * follows what arrived, not what was announced. */
        {
            uint8_t big[SSPIX_FRAME_HDR_MAX + 10];
            size_t bh = put_header(kind, 0, 1u << 20, big);
            memset(big + bh, 't', 10);
            sspix_framedec_init(&d, kind, 1u << 20, 0);
            CHECK_RC(sspix_framedec_feed(&d, big, bh + 10, &used), 0);
            CHECK(sspix_framedec_allocated(&d) > 0 && sspix_framedec_allocated(&d) <= 4096);
            sspix_framedec_reset(&d);
        }

        /* max + 1 and 0xFFFFFFFF: TOO_LONG right after the last length byte, nothing allocated. */
        expect_header_rejected(kind, 100, 0, 101, SSPIX_ERR_TOO_LONG);
        expect_header_rejected(kind, 100, 0, 0xffffffffu, SSPIX_ERR_TOO_LONG);
        expect_header_rejected(kind, 0xfffffffeu, 0, 0xffffffffu, SSPIX_ERR_TOO_LONG);
        expect_header_rejected(kind, 0, SSPIX_FRAMEDEC_ALLOW_EMPTY, 1, SSPIX_ERR_TOO_LONG);

        /* Empty frames: INVALID unless allowed; allowed ones allocate nothing. */
        expect_header_rejected(kind, 100, 0, 0, SSPIX_ERR_INVALID);
        hsz = put_header(kind, 0x11, 0, buf);
        sspix_framedec_init(&d, kind, 0, SSPIX_FRAMEDEC_ALLOW_EMPTY);
        calls = test_alloc_calls;
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz, &used), SSPIX_FRAME_READY);
        CHECK(test_alloc_calls == calls);
        {
            uint8_t *data = buf, flags;
            size_t len = 99;

            CHECK_RC(sspix_framedec_take(&d, &data, &len, &flags), 0);
            CHECK(data == NULL && len == 0 && flags == (kind == SSPIX_FRAME_GSS ? 0x11 : 0));
        }
        sspix_framedec_reset(&d);

        /* The allocation fails: NOMEM, sticky, nothing held. */
        hsz = put_header(kind, 0, 10, buf);
        sspix_framedec_init(&d, kind, 100, 0);
        test_alloc_fail = 1;
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz + 5, &used), SSPIX_ERR_NOMEM);
        test_alloc_fail = 0;
        CHECK(used == hsz && sspix_framedec_allocated(&d) == 0);
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz, &used), SSPIX_ERR_NOMEM);
        sspix_framedec_reset(&d);
    }
}

/* ---- state rules -------------------------------------------------------------- */

static void test_states(void)
{
    size_t k;

    for (k = 0; k < NKINDS; k++) {
        enum sspix_frame_kind kind = kinds[k];
        uint8_t buf[SSPIX_FRAME_HDR_MAX + 4];
        size_t hsz = put_header(kind, 0x08, 4, buf), used;
        const uint8_t *cdata = (const uint8_t *)"sentinel";
        uint8_t *data = (uint8_t *)"sentinel", flags = 0xaa;
        size_t len = 77;
        sspix_framedec d;

        memcpy(buf + hsz, "wxyz", 4);
        sspix_framedec_init(&d, kind, 16, 0);

        /* Nothing ready: frame/take refuse and leave outputs alone; next is a no-op. */
        CHECK_RC(sspix_framedec_frame(&d, &cdata, &len, &flags), SSPIX_ERR_STATE);
        CHECK_RC(sspix_framedec_take(&d, &data, &len, &flags), SSPIX_ERR_STATE);
        CHECK(len == 77 && flags == 0xaa && strcmp((const char *)cdata, "sentinel") == 0);
        CHECK(strcmp((char *)data, "sentinel") == 0);
        CHECK_RC(sspix_framedec_feed(&d, buf, 2, &used), 0);
        sspix_framedec_next(&d); /* mid-header: must not lose the two bytes */
        CHECK(sspix_framedec_buffered(&d) == 2);
        CHECK_RC(sspix_framedec_feed(&d, buf + 2, hsz, &used), 0); /* header + 2 body bytes */
        CHECK(used == hsz && sspix_framedec_buffered(&d) == hsz + 2);
        sspix_framedec_next(&d); /* mid-body: same */
        CHECK_RC(sspix_framedec_feed(&d, NULL, 0, &used), 0);
        CHECK(used == 0);
        CHECK_RC(sspix_framedec_feed(&d, buf + hsz + 2, 2, &used), SSPIX_FRAME_READY);
        CHECK_RC(sspix_framedec_take(&d, &data, &len, &flags), 0);
        CHECK(len == 4 && memcmp(data, "wxyz", 4) == 0 && flags == (kind == SSPIX_FRAME_GSS ? 0x08 : 0));
        free(data);
        CHECK_RC(sspix_framedec_take(&d, &data, &len, NULL), SSPIX_ERR_STATE);

        /* Reset in the middle of a body frees it (ASan/valgrind check the leak). */
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz + 1, &used), 0);
        CHECK(sspix_framedec_allocated(&d) > 0 && sspix_framedec_allocated(&d) <= 4);
        sspix_framedec_reset(&d);
        CHECK(sspix_framedec_allocated(&d) == 0 && sspix_framedec_buffered(&d) == 0);
        CHECK_RC(sspix_framedec_feed(&d, buf, hsz + 4, &used), SSPIX_FRAME_READY);
        sspix_framedec_reset(&d); /* a ready frame too */
        sspix_framedec_reset(&d);
    }

    /* An unknown kind: nothing decodes or encodes. */
    {
        sspix_framedec d;
        sspix_writer w;
        uint8_t out[16];
        size_t used;

        CHECK(sspix_frame_header_size((enum sspix_frame_kind)7) == 0);
        sspix_framedec_init(&d, (enum sspix_frame_kind)7, 16, 0);
        CHECK_RC(sspix_framedec_feed(&d, "abcdef", 6, &used), SSPIX_ERR_INVALID);
        CHECK(used == 0);
        sspix_writer_init_fixed(&w, out, sizeof out);
        CHECK_RC(sspix_frame_encode(&w, (enum sspix_frame_kind)7, 0, "a", 1), SSPIX_ERR_INVALID);
        CHECK(sspix_writer_len(&w) == 0);
    }

    /* Idle memory stays small: a server keeps one per connection. */
    CHECK(sizeof(sspix_framedec) <= 48);
}

/* ---- encoder ------------------------------------------------------------------ */

static void test_encode(void)
{
    size_t k;

    for (k = 0; k < NKINDS; k++) {
        uint8_t out[16], want[16];
        size_t hsz = put_header(kinds[k], 0xe4, 3, want);
        sspix_writer w;

        memcpy(want + hsz, "abc", 3);
        sspix_writer_init_fixed(&w, out, sizeof out);
        CHECK_RC(sspix_writer_put_u8(&w, 0x99), 0);
        CHECK_RC(sspix_frame_encode(&w, kinds[k], 0xe4, "abc", 3), 0);
        CHECK(sspix_writer_len(&w) == 1 + hsz + 3 && out[0] == 0x99 && memcmp(out + 1, want, hsz + 3) == 0);

        /* Empty token, NULL pointer. */
        CHECK_RC(sspix_frame_encode(&w, kinds[k], 0x01, NULL, 0), 0);
        CHECK(sspix_writer_len(&w) == 1 + hsz + 3 + hsz);

        /* No room for the whole frame: nothing at all is written. */
        sspix_writer_init_fixed(&w, out, hsz + 2);
        CHECK_RC(sspix_frame_encode(&w, kinds[k], 0, "abc", 3), SSPIX_ERR_FULL);
        CHECK(sspix_writer_len(&w) == 0);
        sspix_writer_init_heap(&w, hsz + 2);
        CHECK_RC(sspix_frame_encode(&w, kinds[k], 0, "abc", 3), SSPIX_ERR_FULL);
        CHECK(sspix_writer_len(&w) == 0);
        sspix_writer_free(&w);

#if SIZE_MAX > UINT32_MAX
        /* A length the header cannot carry (checked before the token is read). */
        sspix_writer_init_heap(&w, SIZE_MAX);
        CHECK_RC(sspix_frame_encode(&w, kinds[k], 0, "abc", (size_t)UINT32_MAX + 1), SSPIX_ERR_TOO_LONG);
        CHECK(sspix_writer_len(&w) == 0 && sspix_writer_data(&w) == NULL);
#endif
    }
}

int main(void)
{
    test_chunkings();
    test_several_in_one_chunk();
    test_limits();
    test_states();
    test_encode();
    printf("test_wire_frame: all checks passed\n");
    return 0;
}
