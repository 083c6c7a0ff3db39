/* SPDX-License-Identifier: MIT */
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

/* First heap allocation; small tokens then fit without a second realloc. */
#define SSPIX_WRITER_MIN_ALLOC 64

/* ---- reader --------------------------------------------------------------- */

void sspix_reader_init(sspix_reader *r, const void *data, size_t len)
{
    r->data = data;
    r->len = data ? len : 0;
    r->pos = 0;
}

size_t sspix_reader_left(const sspix_reader *r)
{
    return r->len - r->pos;
}

size_t sspix_reader_consumed(const sspix_reader *r)
{
    return r->pos;
}

/* The one bounds check every read goes through. */
int sspix_reader_peek(const sspix_reader *r, size_t n, const uint8_t **out)
{
    ENSURE(n <= r->len - r->pos, SSPIX_ERR_SHORT);
    *out = r->data ? r->data + r->pos : NULL;
    return 0;
}

int sspix_reader_bytes(sspix_reader *r, size_t n, const uint8_t **out)
{
    GUARD(sspix_reader_peek(r, n, out));
    r->pos += n;
    return 0;
}

int sspix_reader_skip(sspix_reader *r, size_t n)
{
    const uint8_t *p;

    return sspix_reader_bytes(r, n, &p);
}

/* An unsigned integer of width bytes (1, 2 or 4) in either byte order. */
static int read_uint(sspix_reader *r, size_t width, int big_endian, uint32_t *out)
{
    const uint8_t *p;
    uint32_t v = 0;
    size_t i;

    GUARD(sspix_reader_bytes(r, width, &p));
    for (i = 0; i < width; i++)
        v = v << 8 | p[big_endian ? i : width - 1 - i];
    *out = v;
    return 0;
}

int sspix_reader_u8(sspix_reader *r, uint8_t *out)
{
    uint32_t v;

    GUARD(read_uint(r, 1, 1, &v));
    *out = (uint8_t)v;
    return 0;
}

int sspix_reader_u16be(sspix_reader *r, uint16_t *out)
{
    uint32_t v;

    GUARD(read_uint(r, 2, 1, &v));
    *out = (uint16_t)v;
    return 0;
}

int sspix_reader_u16le(sspix_reader *r, uint16_t *out)
{
    uint32_t v;

    GUARD(read_uint(r, 2, 0, &v));
    *out = (uint16_t)v;
    return 0;
}

int sspix_reader_u32be(sspix_reader *r, uint32_t *out)
{
    return read_uint(r, 4, 1, out);
}

int sspix_reader_u32le(sspix_reader *r, uint32_t *out)
{
    return read_uint(r, 4, 0, out);
}

int sspix_reader_prefixed(sspix_reader *r, enum sspix_prefix prefix, size_t max, const uint8_t **out, size_t *len)
{
    static const struct {
        uint8_t width, big_endian;
    } fmt[] = {
        [SSPIX_PREFIX_U8] = {1, 1},    [SSPIX_PREFIX_U16BE] = {2, 1}, [SSPIX_PREFIX_U16LE] = {2, 0},
        [SSPIX_PREFIX_U32BE] = {4, 1}, [SSPIX_PREFIX_U32LE] = {4, 0},
    };
    sspix_reader tmp = *r; /* commit only on success */
    uint32_t n;

    ENSURE((unsigned)prefix < sizeof fmt / sizeof fmt[0], SSPIX_ERR_INVALID);
    GUARD(read_uint(&tmp, fmt[prefix].width, fmt[prefix].big_endian, &n));
    ENSURE(n <= max, SSPIX_ERR_TOO_LONG);
    GUARD(sspix_reader_bytes(&tmp, n, out));
    *len = n;
    *r = tmp;
    return 0;
}

/* ---- writer --------------------------------------------------------------- */

void sspix_writer_init_fixed(sspix_writer *w, void *buf, size_t cap)
{
    w->data = buf;
    w->len = 0;
    w->cap = buf ? cap : 0;
    w->max = w->cap;
    w->heap = 0;
}

void sspix_writer_init_heap(sspix_writer *w, size_t max)
{
    w->data = NULL;
    w->len = 0;
    w->cap = 0;
    w->max = max;
    w->heap = 1;
}

size_t sspix_writer_len(const sspix_writer *w)
{
    return w->len;
}

const uint8_t *sspix_writer_data(const sspix_writer *w)
{
    return w->data;
}

size_t sspix_writer_room(const sspix_writer *w)
{
    return w->max - w->len;
}

/* Make room for n more bytes. len <= cap <= max holds before and after. */
static int writer_ensure(sspix_writer *w, size_t n)
{
    size_t need, cap;
    uint8_t *p;

    if (n <= w->cap - w->len)
        return 0;
    /* A fixed writer has cap == max, so it always stops here. */
    ENSURE(n <= w->max - w->len, SSPIX_ERR_FULL);
    need = w->len + n; /* cannot overflow: need <= max */
    cap = w->cap ? w->cap : SSPIX_WRITER_MIN_ALLOC;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
    if (cap > w->max)
        cap = w->max;
    p = realloc(w->data, cap);
    ENSURE(p != NULL, SSPIX_ERR_NOMEM);
    w->data = p;
    w->cap = cap;
    return 0;
}

int sspix_writer_reserve(sspix_writer *w, size_t n, uint8_t **out)
{
    GUARD(writer_ensure(w, n));
    *out = w->data ? w->data + w->len : NULL;
    w->len += n;
    return 0;
}

int sspix_writer_put_bytes(sspix_writer *w, const void *p, size_t n)
{
    uint8_t *dst;

    GUARD(sspix_writer_reserve(w, n, &dst));
    if (n > 0)
        memcpy(dst, p, n);
    return 0;
}

/* v as an unsigned integer of width bytes (1, 2 or 4) in either byte order. */
static int put_uint(sspix_writer *w, uint32_t v, size_t width, int big_endian)
{
    uint8_t b[4];
    size_t i;

    for (i = 0; i < width; i++)
        b[big_endian ? width - 1 - i : i] = (uint8_t)(v >> (8 * i));
    return sspix_writer_put_bytes(w, b, width);
}

int sspix_writer_put_u8(sspix_writer *w, uint8_t v)
{
    return put_uint(w, v, 1, 1);
}

int sspix_writer_put_u16be(sspix_writer *w, uint16_t v)
{
    return put_uint(w, v, 2, 1);
}

int sspix_writer_put_u16le(sspix_writer *w, uint16_t v)
{
    return put_uint(w, v, 2, 0);
}

int sspix_writer_put_u32be(sspix_writer *w, uint32_t v)
{
    return put_uint(w, v, 4, 1);
}

int sspix_writer_put_u32le(sspix_writer *w, uint32_t v)
{
    return put_uint(w, v, 4, 0);
}

int sspix_writer_take(sspix_writer *w, uint8_t **out, size_t *len)
{
    ENSURE(w->heap, SSPIX_ERR_STATE);
    *out = w->data;
    *len = w->len;
    sspix_writer_init_heap(w, w->max);
    return 0;
}

void sspix_writer_reset(sspix_writer *w)
{
    w->len = 0;
}

void sspix_writer_free(sspix_writer *w)
{
    if (w->heap) {
        free(w->data);
        sspix_writer_init_heap(w, w->max);
    } else {
        sspix_writer_reset(w);
    }
}
