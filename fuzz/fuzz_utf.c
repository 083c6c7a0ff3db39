/* SPDX-License-Identifier: MIT */
/*
 * fuzz_utf.c - libFuzzer target for the strict UTF conversion layer
 * (src/common/utf.c), the code every wide SSPI function's strings pass
 * through.
 *
 * Targets: sspix_utf8_to_utf16_len/_write, sspix_utf8_to_utf32_len/_write,
 * sspix_utf16_to_utf8(_len), sspix_utf32_to_utf8(_len). The input is read
 * three ways - as UTF-8 bytes, as UTF-16 units, as UTF-32 units - and every
 * accepted string must round-trip exactly; the two UTF-8 validators must
 * agree with each other and with the wide-to-UTF-8 direction. Any
 * disagreement aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/utf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void from_utf8(const char *s, size_t n)
{
    size_t u16 = 0, u32 = 0, bad16 = 0, bad32 = 0;
    int r16 = sspix_utf8_to_utf16_len(s, n, &u16, &bad16);
    int r32 = sspix_utf8_to_utf32_len(s, n, &u32, &bad32);
    if (r16 != r32 || (r16 != SSPIX_UTF_OK && bad16 != bad32))
        abort();
    if (r16 != SSPIX_UTF_OK) {
        if (bad16 >= n)
            abort();
        return;
    }
    if (u16 < u32 || u16 > 2 * u32 || u32 > n)
        abort();
    uint16_t *w16 = malloc((u16 + 1) * sizeof(*w16));
    uint32_t *w32 = malloc((u32 + 1) * sizeof(*w32));
    char *back = NULL;
    size_t len = 0;
    if (w16 == NULL || w32 == NULL)
        abort();
    sspix_utf8_to_utf16_write(s, n, w16);
    sspix_utf8_to_utf32_write(s, n, w32);
    if (w16[u16] != 0 || w32[u32] != 0)
        abort();
    if (sspix_utf16_to_utf8(w16, u16, &back, &len, NULL) != SSPIX_UTF_OK || len != n || memcmp(back, s, n) != 0)
        abort();
    free(back);
    if (sspix_utf32_to_utf8(w32, u32, &back, &len, NULL) != SSPIX_UTF_OK || len != n || memcmp(back, s, n) != 0)
        abort();
    free(back);
    free(w16);
    free(w32);
}

/* A wide string that converts must come back unit for unit. */
static void from_utf16(const uint16_t *w, size_t n)
{
    char *s = NULL;
    size_t len = 0, units = 0, bad = 0;
    int rc = sspix_utf16_to_utf8(w, n, &s, &len, &bad);
    if (rc != SSPIX_UTF_OK) {
        if (s != NULL || bad >= n)
            abort();
        return;
    }
    if (strlen(s) != len || sspix_utf8_to_utf16_len(s, len, &units, NULL) != SSPIX_UTF_OK || units != n)
        abort();
    uint16_t *again = malloc((units + 1) * sizeof(*again));
    if (again == NULL)
        abort();
    sspix_utf8_to_utf16_write(s, len, again);
    if (memcmp(again, w, n * sizeof(*w)) != 0)
        abort();
    free(again);
    free(s);
}

static void from_utf32(const uint32_t *w, size_t n)
{
    char *s = NULL;
    size_t len = 0, units = 0, bad = 0;
    int rc = sspix_utf32_to_utf8(w, n, &s, &len, &bad);
    if (rc != SSPIX_UTF_OK) {
        if (s != NULL || bad >= n)
            abort();
        return;
    }
    if (strlen(s) != len || sspix_utf8_to_utf32_len(s, len, &units, NULL) != SSPIX_UTF_OK || units != n)
        abort();
    uint32_t *again = malloc((units + 1) * sizeof(*again));
    if (again == NULL)
        abort();
    sspix_utf8_to_utf32_write(s, len, again);
    if (memcmp(again, w, n * sizeof(*w)) != 0)
        abort();
    free(again);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Aligned copies: the wide readers take arrays of units. */
    uint16_t *w16 = malloc(size / 2 * sizeof(uint16_t) + 1);
    uint32_t *w32 = malloc(size / 4 * sizeof(uint32_t) + 1);
    if (w16 == NULL || w32 == NULL)
        abort();
    memcpy(w16, data, size / 2 * sizeof(uint16_t));
    memcpy(w32, data, size / 4 * sizeof(uint32_t));
    from_utf8((const char *)data, size);
    from_utf16(w16, size / 2);
    from_utf32(w32, size / 4);
    free(w16);
    free(w32);
    return 0;
}
