/* SPDX-License-Identifier: MIT */
#include "wire/frame.h"

#include <stdlib.h>
#include <string.h>

enum framedec_state {
    ST_HEADER, /* collecting header bytes (hdr_got < header size) */
    ST_BODY,   /* header valid, collecting body bytes (body grows as they come) */
    ST_READY,  /* a whole frame waits for the caller */
    ST_FAILED, /* sticky error in err */
};

size_t sspix_frame_header_size(enum sspix_frame_kind kind)
{
    switch (kind) {
    case SSPIX_FRAME_MS: return 4;
    case SSPIX_FRAME_GSS: return 5;
    }
    return 0;
}

void sspix_framedec_init(sspix_framedec *d, enum sspix_frame_kind kind, uint32_t max, unsigned opts)
{
    memset(d, 0, sizeof *d);
    d->kind = (uint8_t)kind;
    d->max = max;
    d->opts = (uint8_t)opts;
    d->state = ST_HEADER;
}

/* Back to "waiting for a header", releasing the body. Keeps config and err. */
static void start_frame(sspix_framedec *d)
{
    free(d->body);
    d->body = NULL;
    d->cap = 0;
    d->len = 0;
    d->got = 0;
    d->hdr_got = 0;
    d->flags = 0;
    d->state = ST_HEADER;
}

/* The header is complete: check the length, then (and only then) allocate. */
static int parse_header(sspix_framedec *d)
{
    sspix_reader r;
    uint32_t len;

    sspix_reader_init(&r, d->hdr, d->hdr_got);
    switch (d->kind) {
    case SSPIX_FRAME_MS: GUARD(sspix_reader_u32le(&r, &len)); break;
    case SSPIX_FRAME_GSS:
        GUARD(sspix_reader_u8(&r, &d->flags));
        GUARD(sspix_reader_u32be(&r, &len));
        break;
    default: return SSPIX_ERR_INVALID;
    }
    ENSURE(len <= d->max, SSPIX_ERR_TOO_LONG);
    ENSURE(len > 0 || (d->opts & SSPIX_FRAMEDEC_ALLOW_EMPTY), SSPIX_ERR_INVALID);
    d->len = len;
    return 0;
}

/*
 * Room for `need` body bytes. The body grows with the bytes that actually
 * arrived (doubling from FRAME_FIRST_CHUNK, never past the declared length),
 * so a peer that announces a large frame and then trickles costs only what it
 * sent, not the maximum.
 */
#define FRAME_FIRST_CHUNK 4096u

static int reserve_body(sspix_framedec *d, uint32_t need)
{
    if (need <= d->cap)
        return 0;
    uint32_t cap = d->cap ? d->cap : (d->len < FRAME_FIRST_CHUNK ? d->len : FRAME_FIRST_CHUNK);
    while (cap < need)
        cap = cap > d->len / 2 ? d->len : cap * 2;
    uint8_t *p = realloc(d->body, cap);
    ENSURE(p != NULL, SSPIX_ERR_NOMEM);
    d->body = p;
    d->cap = cap;
    return 0;
}

/* Move up to want bytes from the stream into dst; *done says how many. */
static int copy_in(sspix_reader *in, uint8_t *dst, size_t want, size_t *done)
{
    size_t n = sspix_reader_left(in) < want ? sspix_reader_left(in) : want;
    const uint8_t *p;

    GUARD(sspix_reader_bytes(in, n, &p));
    if (n > 0)
        memcpy(dst, p, n);
    *done = n;
    return 0;
}

static int feed_stream(sspix_framedec *d, sspix_reader *in)
{
    size_t hsz = sspix_frame_header_size(d->kind);
    size_t n;

    if (d->state == ST_HEADER) {
        ENSURE(hsz > 0, SSPIX_ERR_INVALID);
        GUARD(copy_in(in, d->hdr + d->hdr_got, hsz - d->hdr_got, &n));
        d->hdr_got = (uint8_t)(d->hdr_got + n);
        if (d->hdr_got < hsz)
            return 0;
        GUARD(parse_header(d));
        d->state = ST_BODY;
    }
    if (d->got < d->len) {
        size_t avail = sspix_reader_left(in) < d->len - d->got ? sspix_reader_left(in) : d->len - d->got;
        if (avail == 0)
            return 0;
        GUARD(reserve_body(d, d->got + (uint32_t)avail));
        GUARD(copy_in(in, d->body + d->got, d->len - d->got, &n));
        d->got += (uint32_t)n;
        if (d->got < d->len)
            return 0;
    }
    d->state = ST_READY;
    return SSPIX_FRAME_READY;
}

int sspix_framedec_feed(sspix_framedec *d, const void *in, size_t n, size_t *consumed)
{
    sspix_reader r;
    int rc;

    *consumed = 0;
    if (d->state == ST_FAILED)
        return d->err;
    if (d->state == ST_READY)
        return SSPIX_ERR_STATE;
    sspix_reader_init(&r, in, n);
    rc = feed_stream(d, &r);
    *consumed = sspix_reader_consumed(&r);
    if (rc < 0) {
        d->state = ST_FAILED;
        d->err = rc;
    }
    return rc;
}

int sspix_framedec_frame(const sspix_framedec *d, const uint8_t **data, size_t *len, uint8_t *flags)
{
    ENSURE(d->state == ST_READY, SSPIX_ERR_STATE);
    *data = d->body;
    *len = d->len;
    if (flags)
        *flags = d->flags;
    return 0;
}

int sspix_framedec_take(sspix_framedec *d, uint8_t **data, size_t *len, uint8_t *flags)
{
    ENSURE(d->state == ST_READY, SSPIX_ERR_STATE);
    *data = d->body;
    *len = d->len;
    if (flags)
        *flags = d->flags;
    d->body = NULL; /* the caller's now */
    d->cap = 0;
    start_frame(d);
    return 0;
}

void sspix_framedec_next(sspix_framedec *d)
{
    if (d->state == ST_READY)
        start_frame(d);
}

void sspix_framedec_reset(sspix_framedec *d)
{
    start_frame(d);
    d->err = 0;
}

size_t sspix_framedec_buffered(const sspix_framedec *d)
{
    return (size_t)d->hdr_got + d->got;
}

size_t sspix_framedec_allocated(const sspix_framedec *d)
{
    return d->body ? d->cap : 0;
}

static int encode_header(enum sspix_frame_kind kind, uint8_t flags, uint32_t len, uint8_t hdr[SSPIX_FRAME_HDR_MAX],
                         size_t *hlen)
{
    sspix_writer h;

    sspix_writer_init_fixed(&h, hdr, SSPIX_FRAME_HDR_MAX);
    switch (kind) {
    case SSPIX_FRAME_MS: GUARD(sspix_writer_put_u32le(&h, len)); break;
    case SSPIX_FRAME_GSS:
        GUARD(sspix_writer_put_u8(&h, flags));
        GUARD(sspix_writer_put_u32be(&h, len));
        break;
    default: return SSPIX_ERR_INVALID;
    }
    *hlen = sspix_writer_len(&h);
    return 0;
}

int sspix_frame_encode(sspix_writer *w, enum sspix_frame_kind kind, uint8_t flags, const void *token, size_t len)
{
    uint8_t hdr[SSPIX_FRAME_HDR_MAX];
    size_t hlen;
    uint8_t *p;

    ENSURE(len <= UINT32_MAX && len <= SIZE_MAX - SSPIX_FRAME_HDR_MAX, SSPIX_ERR_TOO_LONG);
    GUARD(encode_header(kind, flags, (uint32_t)len, hdr, &hlen));
    /* One reservation, so the frame is written whole or not at all. */
    GUARD(sspix_writer_reserve(w, hlen + len, &p));
    memcpy(p, hdr, hlen);
    if (len > 0)
        memcpy(p + hlen, token, len);
    return 0;
}
