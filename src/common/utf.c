/* SPDX-License-Identifier: MIT */
/*
 * utf.c - strict UTF-8 <-> UTF-16 / UTF-32 (see utf.h).
 *
 * Every direction goes through one pair of primitives: decode one code point
 * from the source encoding (rejecting what is not a scalar value), encode it
 * in the target. The _len functions run the decoder over the whole input
 * before anything is allocated or written.
 */
#include "common/utf.h"

#include <stdlib.h>

#define SURR_HI_MIN 0xD800u
#define SURR_HI_MAX 0xDBFFu
#define SURR_LO_MIN 0xDC00u
#define SURR_LO_MAX 0xDFFFu
#define MAX_SCALAR  0x10FFFFu

const char *sspix_utf_err_str(int err)
{
    switch (err) {
    case SSPIX_UTF_OK: return "no error";
    case SSPIX_UTF_UNPAIRED_SURROGATE: return "an unpaired surrogate";
    case SSPIX_UTF_OUT_OF_RANGE: return "a value above U+10FFFF";
    case SSPIX_UTF_EMBEDDED_NUL: return "a NUL inside the string's length";
    case SSPIX_UTF_BAD_UTF8: return "bytes that are not well-formed UTF-8";
    case SSPIX_UTF_NOMEM: return "out of memory";
    default: return "an unknown conversion error";
    }
}

size_t sspix_utf16_strnlen(const uint16_t *s, size_t max)
{
    for (size_t i = 0; i < max; i++)
        if (s[i] == 0)
            return i;
    return max + 1;
}

size_t sspix_utf32_strnlen(const uint32_t *s, size_t max)
{
    for (size_t i = 0; i < max; i++)
        if (s[i] == 0)
            return i;
    return max + 1;
}

/* ---- decoders: one scalar value from *at, advancing it ---------------------- */

static int decode16(const uint16_t *in, size_t n, size_t *at, uint32_t *cp)
{
    uint32_t u = in[*at];
    if (u == 0)
        return SSPIX_UTF_EMBEDDED_NUL;
    if (u >= SURR_LO_MIN && u <= SURR_LO_MAX)
        return SSPIX_UTF_UNPAIRED_SURROGATE;
    if (u >= SURR_HI_MIN && u <= SURR_HI_MAX) {
        if (*at + 1 >= n || in[*at + 1] < SURR_LO_MIN || in[*at + 1] > SURR_LO_MAX)
            return SSPIX_UTF_UNPAIRED_SURROGATE;
        *cp = 0x10000u + ((u - SURR_HI_MIN) << 10) + (in[*at + 1] - SURR_LO_MIN);
        *at += 2;
        return SSPIX_UTF_OK;
    }
    *cp = u;
    *at += 1;
    return SSPIX_UTF_OK;
}

static int decode32(const uint32_t *in, size_t n, size_t *at, uint32_t *cp)
{
    (void)n;
    uint32_t u = in[*at];
    if (u == 0)
        return SSPIX_UTF_EMBEDDED_NUL;
    if (u >= SURR_HI_MIN && u <= SURR_LO_MAX)
        return SSPIX_UTF_UNPAIRED_SURROGATE;
    if (u > MAX_SCALAR)
        return SSPIX_UTF_OUT_OF_RANGE;
    *cp = u;
    *at += 1;
    return SSPIX_UTF_OK;
}

/* RFC 3629's well-formed sequences only (Unicode table 3-7). */
static int decode8(const char *in, size_t n, size_t *at, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)in + *at;
    size_t left = n - *at;
    unsigned char b0 = p[0];
    size_t len;
    uint32_t v, min;
    if (b0 == 0)
        return SSPIX_UTF_EMBEDDED_NUL;
    if (b0 < 0x80) {
        *cp = b0;
        *at += 1;
        return SSPIX_UTF_OK;
    }
    if (b0 >= 0xC2 && b0 <= 0xDF)
        len = 2, v = b0 & 0x1Fu, min = 0x80;
    else if (b0 >= 0xE0 && b0 <= 0xEF)
        len = 3, v = b0 & 0x0Fu, min = 0x800;
    else if (b0 >= 0xF0 && b0 <= 0xF4)
        len = 4, v = b0 & 0x07u, min = 0x10000;
    else
        return SSPIX_UTF_BAD_UTF8;
    if (left < len)
        return SSPIX_UTF_BAD_UTF8;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            return SSPIX_UTF_BAD_UTF8;
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < min || v > MAX_SCALAR || (v >= SURR_HI_MIN && v <= SURR_LO_MAX))
        return SSPIX_UTF_BAD_UTF8;
    *cp = v;
    *at += len;
    return SSPIX_UTF_OK;
}

/* ---- encoders -------------------------------------------------------------------- */

static size_t utf8_size(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static char *encode8(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    switch (utf8_size(cp)) {
    case 1: *o++ = (unsigned char)cp; break;
    case 2:
        *o++ = (unsigned char)(0xC0u | (cp >> 6));
        *o++ = (unsigned char)(0x80u | (cp & 0x3Fu));
        break;
    case 3:
        *o++ = (unsigned char)(0xE0u | (cp >> 12));
        *o++ = (unsigned char)(0x80u | ((cp >> 6) & 0x3Fu));
        *o++ = (unsigned char)(0x80u | (cp & 0x3Fu));
        break;
    default:
        *o++ = (unsigned char)(0xF0u | (cp >> 18));
        *o++ = (unsigned char)(0x80u | ((cp >> 12) & 0x3Fu));
        *o++ = (unsigned char)(0x80u | ((cp >> 6) & 0x3Fu));
        *o++ = (unsigned char)(0x80u | (cp & 0x3Fu));
        break;
    }
    return (char *)o;
}

/* ---- wide -> UTF-8 ------------------------------------------------------------------ */

#define WIDE_TO_UTF8(suffix, unit_t, decode)                                                                           \
    int sspix_utf##suffix##_to_utf8_len(const unit_t *in, size_t n, size_t *bytes, size_t *bad_at)                     \
    {                                                                                                                  \
        size_t at = 0, total = 0;                                                                                      \
        uint32_t cp = 0;                                                                                               \
        while (at < n) {                                                                                               \
            int rc = decode(in, n, &at, &cp);                                                                          \
            if (rc != SSPIX_UTF_OK) {                                                                                  \
                if (bad_at != NULL)                                                                                    \
                    *bad_at = at;                                                                                      \
                return rc;                                                                                             \
            }                                                                                                          \
            total += utf8_size(cp);                                                                                    \
        }                                                                                                              \
        *bytes = total;                                                                                                \
        return SSPIX_UTF_OK;                                                                                           \
    }                                                                                                                  \
                                                                                                                       \
    int sspix_utf##suffix##_to_utf8(const unit_t *in, size_t n, char **out, size_t *bytes, size_t *bad_at)             \
    {                                                                                                                  \
        size_t len, at = 0;                                                                                            \
        uint32_t cp = 0;                                                                                               \
        *out = NULL;                                                                                                   \
        int rc = sspix_utf##suffix##_to_utf8_len(in, n, &len, bad_at);                                                 \
        if (rc != SSPIX_UTF_OK)                                                                                        \
            return rc;                                                                                                 \
        char *s = malloc(len + 1), *o = s;                                                                             \
        if (s == NULL)                                                                                                 \
            return SSPIX_UTF_NOMEM;                                                                                    \
        while (at < n) {                                                                                               \
            (void)decode(in, n, &at, &cp);                                                                             \
            o = encode8(cp, o);                                                                                        \
        }                                                                                                              \
        *o = '\0';                                                                                                     \
        *out = s;                                                                                                      \
        if (bytes != NULL)                                                                                             \
            *bytes = len;                                                                                              \
        return SSPIX_UTF_OK;                                                                                           \
    }

WIDE_TO_UTF8(16, uint16_t, decode16)
WIDE_TO_UTF8(32, uint32_t, decode32)

/* ---- UTF-8 -> wide ------------------------------------------------------------------ */

int sspix_utf8_to_utf16_len(const char *in, size_t n, size_t *units, size_t *bad_at)
{
    size_t at = 0, total = 0;
    uint32_t cp = 0;
    while (at < n) {
        int rc = decode8(in, n, &at, &cp);
        if (rc != SSPIX_UTF_OK) {
            if (bad_at != NULL)
                *bad_at = at;
            return rc;
        }
        total += cp >= 0x10000u ? 2 : 1;
    }
    *units = total;
    return SSPIX_UTF_OK;
}

int sspix_utf8_to_utf32_len(const char *in, size_t n, size_t *units, size_t *bad_at)
{
    size_t at = 0, total = 0;
    uint32_t cp = 0;
    while (at < n) {
        int rc = decode8(in, n, &at, &cp);
        if (rc != SSPIX_UTF_OK) {
            if (bad_at != NULL)
                *bad_at = at;
            return rc;
        }
        total++;
    }
    *units = total;
    return SSPIX_UTF_OK;
}

void sspix_utf8_to_utf16_write(const char *in, size_t n, uint16_t *out)
{
    size_t at = 0;
    uint32_t cp = 0;
    while (at < n && decode8(in, n, &at, &cp) == SSPIX_UTF_OK) {
        if (cp >= 0x10000u) {
            cp -= 0x10000u;
            *out++ = (uint16_t)(SURR_HI_MIN + (cp >> 10));
            *out++ = (uint16_t)(SURR_LO_MIN + (cp & 0x3FFu));
        } else {
            *out++ = (uint16_t)cp;
        }
    }
    *out = 0;
}

void sspix_utf8_to_utf32_write(const char *in, size_t n, uint32_t *out)
{
    size_t at = 0;
    uint32_t cp = 0;
    while (at < n && decode8(in, n, &at, &cp) == SSPIX_UTF_OK)
        *out++ = cp;
    *out = 0;
}
