/* SPDX-License-Identifier: MIT */
/*
 * der.h - a tiny DER writer for hand-built tokens in the tests: a fixed
 * buffer, an identifier and a definite length (short form, or long form with
 * one or two bytes) before each element's content. Overflow is a test
 * failure (CHECK), never a truncated token.
 */
#ifndef SSPIX_TEST_DER_H
#define SSPIX_TEST_DER_H

#include <stdint.h>
#include <string.h>

#include "common/check.h"

struct der {
    uint8_t b[16384];
    size_t n;
};

/* Appends n raw bytes. */
static inline void der_put(struct der *d, const void *p, size_t n)
{
    CHECK(n <= sizeof(d->b) - d->n);
    if (n > 0)
        memcpy(d->b + d->n, p, n);
    d->n += n;
}

/* Appends one element: tag, length, then the n bytes at p. */
static inline void der_append_bytes(struct der *d, uint8_t tag, const void *p, size_t n)
{
    uint8_t h[4];
    size_t k = 0;
    CHECK(n < 0x10000);
    h[k++] = tag;
    if (n < 0x80) {
        h[k++] = (uint8_t)n;
    } else if (n < 0x100) {
        h[k++] = 0x81;
        h[k++] = (uint8_t)n;
    } else {
        h[k++] = 0x82;
        h[k++] = (uint8_t)(n >> 8);
        h[k++] = (uint8_t)n;
    }
    der_put(d, h, k);
    der_put(d, p, n);
}

/* Appends one element whose content is everything in c. */
static inline void der_append(struct der *d, uint8_t tag, const struct der *c)
{
    der_append_bytes(d, tag, c->b, c->n);
}

/* *out becomes one element: tag, length, the content of in (out may be in). */
static inline void der_wrap(struct der *out, uint8_t tag, const struct der *in)
{
    static struct der tmp; /* the tests are single-threaded where they build tokens */
    tmp.n = 0;
    der_append(&tmp, tag, in);
    memcpy(out->b, tmp.b, tmp.n);
    out->n = tmp.n;
}

/* *out becomes one element of tag around the n bytes at p (p may point into out). */
static inline void der_wrap_bytes(struct der *out, uint8_t tag, const void *p, size_t n)
{
    static struct der tmp;
    tmp.n = 0;
    der_append_bytes(&tmp, tag, p, n);
    memcpy(out->b, tmp.b, tmp.n);
    out->n = tmp.n;
}

#endif
