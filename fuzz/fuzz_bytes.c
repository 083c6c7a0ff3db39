/* SPDX-License-Identifier: MIT */
/* fuzz_bytes.c - see fuzz_bytes.h. */
#include "fuzz_bytes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_put(struct fuzz_bytes *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (p == NULL)
            abort();
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

void fuzz_put_u32le(struct fuzz_bytes *b, uint32_t v)
{
    uint8_t h[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fuzz_put(b, h, 4);
}

uint32_t fuzz_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void fuzz_put_frame(struct fuzz_bytes *b, int gss, uint8_t flags, const void *body, size_t len)
{
    if (gss) {
        uint8_t h[5] = {flags, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
        fuzz_put(b, h, 5);
    } else {
        fuzz_put_u32le(b, (uint32_t)len);
    }
    fuzz_put(b, body, len);
}

int fuzz_next_frame(struct fuzz_bytes *b, int gss, uint8_t *flags, const uint8_t **body, size_t *len)
{
    size_t hdr = gss ? 5 : 4, avail = b->len - b->off;
    if (avail < hdr)
        return 0;
    const uint8_t *h = b->p + b->off;
    uint32_t n = gss ? (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4] : fuzz_get_u32le(h);
    if (avail - hdr < n)
        return 0;
    *flags = gss ? h[0] : 0;
    *body = h + hdr;
    *len = n;
    b->off += hdr + n;
    return 1;
}

void fuzz_put_record(struct fuzz_bytes *b, uint8_t op, const uint8_t *fix, const char *payload)
{
    size_t len = strlen(payload);
    uint8_t h[3] = {op, (uint8_t)len, (uint8_t)(len >> 8)};
    fuzz_put(b, h, 3);
    if (fix != NULL)
        fuzz_put(b, fix, 2);
    fuzz_put(b, payload, len);
}

int fuzz_next_record(const uint8_t **p, size_t *n, int (*has_fix)(unsigned op), struct fuzz_record *rec)
{
    if (*n < 3)
        return 0;
    rec->op = (*p)[0];
    size_t len = (size_t)(*p)[1] | (size_t)(*p)[2] << 8, head = 3;
    rec->fix[0] = rec->fix[1] = 0;
    if (has_fix(rec->op)) {
        if (*n < 5)
            return 0;
        memcpy(rec->fix, *p + 3, 2);
        head = 5;
    }
    if (len > *n - head)
        len = *n - head;
    rec->payload = *p + head;
    rec->len = len;
    *p += head + len;
    *n -= head + len;
    return 1;
}

int fuzz_write_seed(const char *dir, const char *name, const struct fuzz_bytes *b)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL && fwrite(b->p, 1, b->len, f) == b->len;
    if (f != NULL && fclose(f) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "cannot write the seed %s: %s\n", path, strerror(errno));
    return !ok;
}

void fuzz_bytes_free(struct fuzz_bytes *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = b->off = 0;
}
