/* SPDX-License-Identifier: MIT */
/*
 * export_wire.h - the tiny framing test_export and export_helper use on their
 * Unix socket: u32 little-endian length, then the bytes. Lengths are bounded
 * before anything is read into the caller's buffer.
 */
#ifndef SSPIX_TEST_EXPORT_WIRE_H
#define SSPIX_TEST_EXPORT_WIRE_H

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

static inline int wire_full(int fd, void *p, size_t n, int writing)
{
    unsigned char *b = p;
    while (n > 0) {
        ssize_t r = writing ? write(fd, b, n) : read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static inline int wire_send(int fd, const void *p, uint32_t n)
{
    unsigned char len[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 24)};
    return wire_full(fd, len, 4, 1) == 0 && wire_full(fd, (void *)p, n, 1) == 0 ? 0 : -1;
}

/* Receives one frame into buf (cap bytes); -1 on EOF, error or oversize. */
static inline int wire_recv(int fd, void *buf, uint32_t cap, uint32_t *n)
{
    unsigned char len[4];
    if (wire_full(fd, len, 4, 0) != 0)
        return -1;
    *n = (uint32_t)len[0] | (uint32_t)len[1] << 8 | (uint32_t)len[2] << 16 | (uint32_t)len[3] << 24;
    if (*n > cap)
        return -1;
    return wire_full(fd, buf, *n, 0);
}

#endif
