/* SPDX-License-Identifier: MIT */
/*
 * bench_util.h - what the benchmark programs share: the median of a round's
 * figures, and MIT gss-sample's frame header and flags (u8 flags, u32
 * big-endian length, token), as gss-client and gss-server use them.
 */
#ifndef SSPIX_BENCH_UTIL_H
#define SSPIX_BENCH_UTIL_H

#include <stdlib.h>

#define FRAME_HDR      5u
#define F_NOOP         0x01u
#define F_CONTEXT      0x02u
#define F_DATA         0x04u
#define F_MIC          0x08u
#define F_CONTEXT_NEXT 0x10u
#define F_WRAPPED      0x20u
#define F_ENCRYPTED    0x40u
#define F_SEND_MIC     0x80u

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n-1] (n >= 1); sorts v in place. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* SSPIX_BENCH_UTIL_H */
