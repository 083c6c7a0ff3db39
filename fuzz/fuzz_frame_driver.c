/* SPDX-License-Identifier: MIT */
/*
 * fuzz_frame_driver.c - the shared body of fuzz_msframe and fuzz_gssframe
 * (not a target by itself).
 *
 * Targets: sspix_framedec_init/feed/frame/take/next/reset/buffered/allocated
 * and sspix_frame_encode (src/wire/frame.c), hence sspix_reader_* and
 * sspix_writer_* (src/common/buf.c).
 *
 * The input is a byte stream of frames. It is decoded three ways: all at
 * once, one byte at a time, and in chunk sizes drawn from a PRNG seeded by a
 * hash of the input (so libFuzzer's mutations also move the cuts). All three
 * must agree: the same frames, then the same error at the same stream offset,
 * or the same unfinished tail. Each frame must re-encode to exactly the bytes
 * it was decoded from. The maximum is small, so the TOO_LONG path is common.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/frame.h"

#define FUZZ_FRAME_MAX 1024

int sspix_fuzz_frame_run(enum sspix_frame_kind kind, unsigned opts, const uint8_t *data, size_t size);

enum chunking { CHUNK_ALL, CHUNK_BYTE, CHUNK_RANDOM };

struct outcome {
    size_t frames;   /* frames decoded */
    uint64_t digest; /* FNV-1a over every frame's flags, length and bytes */
    int err;         /* the error that stopped decoding, 0 if none */
    size_t offset;   /* stream offset reached: the end, or where the error was found */
    size_t tail;     /* bytes of an unfinished frame at the end */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;

    while (n--)
        h = (h ^ *b++) * 0x100000001b3u;
    return h;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t next_chunk(enum chunking how, uint64_t *rng, size_t left)
{
    size_t n;

    switch (how) {
    case CHUNK_ALL: return left;
    case CHUNK_BYTE: return 1;
    case CHUNK_RANDOM:
        n = xorshift(rng) % 8 == 0 ? 0 : 1 + xorshift(rng) % (xorshift(rng) % 2 ? 7 : 600);
        return n < left ? n : left;
    }
    return left;
}

/* A frame just completed at stream[start, end): check it and fold it into o. */
static void check_frame(sspix_framedec *d, enum sspix_frame_kind kind, const uint8_t *stream, size_t start, size_t end,
                        struct outcome *o)
{
    size_t hsz = sspix_frame_header_size(kind), len;
    const uint8_t *body;
    uint8_t *owned = NULL, flags, enc[SSPIX_FRAME_HDR_MAX + FUZZ_FRAME_MAX];
    sspix_writer w;

    if (sspix_framedec_allocated(d) != sspix_framedec_buffered(d) - hsz)
        abort();
    /* Until the frame is taken the decoder refuses input without consuming any. */
    if (sspix_framedec_feed(d, stream + end, 0, &len) != SSPIX_ERR_STATE || len != 0)
        abort();
    if (o->frames % 2 == 0) {
        if (sspix_framedec_frame(d, &body, &len, &flags) != 0)
            abort();
    } else {
        if (sspix_framedec_take(d, &owned, &len, &flags) != 0)
            abort();
        body = owned;
    }
    if (len > FUZZ_FRAME_MAX || end - start != hsz + len || (len == 0) != (body == NULL))
        abort();

    /* Re-encoding gives back the very bytes the frame came from. */
    sspix_writer_init_fixed(&w, enc, sizeof enc);
    if (sspix_frame_encode(&w, kind, flags, body, len) != 0 || sspix_writer_len(&w) != end - start ||
        memcmp(enc, stream + start, end - start) != 0)
        abort();

    o->digest = fnv(o->digest, &flags, 1);
    o->digest = fnv(o->digest, &len, sizeof len);
    o->digest = fnv(o->digest, body, len);
    o->frames++;
    free(owned);
    sspix_framedec_next(d);
    if (sspix_framedec_buffered(d) != 0 || sspix_framedec_allocated(d) != 0)
        abort();
}

static struct outcome decode(enum sspix_frame_kind kind, unsigned opts, const uint8_t *stream, size_t size,
                             enum chunking how, uint64_t seed)
{
    struct outcome o = {0, 0xcbf29ce484222325u, 0, 0, 0};
    size_t pos = 0, start = 0;
    uint64_t rng = seed | 1;
    sspix_framedec d;

    sspix_framedec_init(&d, kind, FUZZ_FRAME_MAX, opts);
    while (pos < size && o.err == 0) {
        size_t n = next_chunk(how, &rng, size - pos), off = 0;

        while (o.err == 0) {
            size_t used;
            int rc = sspix_framedec_feed(&d, stream + pos + off, n - off, &used);

            if (used > n - off)
                abort();
            off += used;
            if (rc < 0) {
                size_t again;

                o.err = rc;
                /* Sticky, and consumes nothing more. */
                if (sspix_framedec_feed(&d, stream, size, &again) != rc || again != 0 ||
                    sspix_framedec_allocated(&d) != 0)
                    abort();
            } else if (rc == SSPIX_FRAME_READY) {
                check_frame(&d, kind, stream, start, pos + off, &o);
                start = pos + off;
                if (off == n)
                    break;
            } else {
                if (rc != 0 || off != n)
                    abort();
                break;
            }
        }
        pos += off;
    }
    o.offset = pos;
    o.tail = sspix_framedec_buffered(&d);
    if (o.err == 0 && o.tail != pos - start)
        abort();
    sspix_framedec_reset(&d);
    if (sspix_framedec_allocated(&d) != 0 || sspix_framedec_buffered(&d) != 0)
        abort();
    return o;
}

/* Field by field: padding inside struct outcome is not part of the result. */
static int same(const struct outcome *a, const struct outcome *b)
{
    return a->frames == b->frames && a->digest == b->digest && a->err == b->err && a->offset == b->offset &&
           a->tail == b->tail;
}

int sspix_fuzz_frame_run(enum sspix_frame_kind kind, unsigned opts, const uint8_t *data, size_t size)
{
    struct outcome all, one, rnd;

    all = decode(kind, opts, data, size, CHUNK_ALL, 0);
    one = decode(kind, opts, data, size, CHUNK_BYTE, 0);
    rnd = decode(kind, opts, data, size, CHUNK_RANDOM, fnv(0xcbf29ce484222325u, data, size));
    if (!same(&all, &one) || !same(&all, &rnd))
        abort();
    return 0;
}
