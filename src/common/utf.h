/* SPDX-License-Identifier: MIT */
/*
 * utf.h - strict conversion between UTF-8 (the library's own encoding) and
 * the two widths a caller's wchar_t may have: UTF-16 (Windows' ABI,
 * -fshort-wchar) and UTF-32 (gcc's default).
 *
 * Strict means: an unpaired surrogate (UTF-16 or UTF-32), a UTF-32 value
 * above U+10FFFF, overlong or truncated UTF-8 sequences, UTF-8 encodings of
 * surrogates, and a NUL inside a counted string are all errors, reported with
 * the index of the offending unit; nothing is replaced or dropped.
 *
 * Lengths are counted as the structures count them: "units" are UTF-16 or
 * UTF-32 code units (characters as Windows counts them, so a surrogate pair
 * is 2 units), UTF-8 lengths are bytes. Neither count includes a terminating
 * NUL; every output is NUL-terminated. Pure functions, no global state.
 */
#ifndef SSPIX_COMMON_UTF_H
#define SSPIX_COMMON_UTF_H

#include <stddef.h>
#include <stdint.h>

#include "common/guard.h"

enum sspix_utf_err {
    SSPIX_UTF_OK = 0,
    SSPIX_UTF_UNPAIRED_SURROGATE = -1, /* a lone high or low surrogate */
    SSPIX_UTF_OUT_OF_RANGE = -2,       /* a UTF-32 value above U+10FFFF */
    SSPIX_UTF_EMBEDDED_NUL = -3,       /* a NUL inside a counted string */
    SSPIX_UTF_BAD_UTF8 = -4,           /* not well-formed UTF-8 */
    SSPIX_UTF_NOMEM = -5,              /* allocation failed */
};

/* A short English phrase for an sspix_utf_err ("an unpaired surrogate"). */
const char *sspix_utf_err_str(int err);

/* Units before the first NUL, looking at no more than max units; max + 1
 * when there is no NUL among them (the caller's "too long"). */
size_t sspix_utf16_strnlen(const uint16_t *s, size_t max);
size_t sspix_utf32_strnlen(const uint32_t *s, size_t max);

/*
 * Wide -> UTF-8. Validates n units of in (in may be NULL when n is 0), and
 * sets *bytes to the UTF-8 length. *bad_at (may be NULL) receives the index
 * of the first offending unit on failure.
 */
int sspix_utf16_to_utf8_len(const uint16_t *in, size_t n, size_t *bytes, size_t *bad_at) SSPIX_MUST_CHECK;
int sspix_utf32_to_utf8_len(const uint32_t *in, size_t n, size_t *bytes, size_t *bad_at) SSPIX_MUST_CHECK;

/* Wide -> UTF-8 into a new malloc()ed, NUL-terminated string *out of *bytes
 * bytes (bytes may be NULL). On failure *out is NULL. */
int sspix_utf16_to_utf8(const uint16_t *in, size_t n, char **out, size_t *bytes, size_t *bad_at) SSPIX_MUST_CHECK;
int sspix_utf32_to_utf8(const uint32_t *in, size_t n, char **out, size_t *bytes, size_t *bad_at) SSPIX_MUST_CHECK;

/*
 * UTF-8 -> wide, in two steps so a caller can size one allocation for many
 * strings: _len validates n bytes and sets *units; _write then stores exactly
 * *units units and a NUL (units + 1 in all) at out. _write must only be called
 * on input _len accepted.
 */
int sspix_utf8_to_utf16_len(const char *in, size_t n, size_t *units, size_t *bad_at) SSPIX_MUST_CHECK;
int sspix_utf8_to_utf32_len(const char *in, size_t n, size_t *units, size_t *bad_at) SSPIX_MUST_CHECK;
void sspix_utf8_to_utf16_write(const char *in, size_t n, uint16_t *out);
void sspix_utf8_to_utf32_write(const char *in, size_t n, uint32_t *out);

#endif
