/* SPDX-License-Identifier: MIT */
/*
 * test_ntlm_msg.c - the NTLM message checks (src/packages/ntlm_msg.c): the
 * messages gss-ntlmssp and Windows send pass; each field MS-NLMP constrains
 * is refused when wrong, with a reason naming it; every truncation of a
 * valid message is refused; the layouts that crash gss-ntlmssp 1.2 are
 * refused.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "packages/ntlm_msg.h"

#define CHECK_REFUSED(msg, n, want, chal, reason)                                                                      \
    do {                                                                                                               \
        char why_[200];                                                                                                \
        int rc_ = sspix_ntlm_msg_check((msg), (n), (want), (chal), NULL, why_, sizeof(why_));                          \
        check_count++;                                                                                                 \
        if (rc_ != SSPIX_ERR_INVALID || strstr(why_, (reason)) == NULL) {                                              \
            fprintf(stderr, "%s:%d: expected refusal containing \"%s\", got rc %d \"%s\"\n", __FILE__, __LINE__,       \
                    (reason), rc_, why_);                                                                              \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

#define CHECK_OK(msg, n, want, chal)                                                                                   \
    do {                                                                                                               \
        char why_[200];                                                                                                \
        int rc_ = sspix_ntlm_msg_check((msg), (n), (want), (chal), NULL, why_, sizeof(why_));                          \
        check_count++;                                                                                                 \
        if (rc_ != 0) {                                                                                                \
            fprintf(stderr, "%s:%d: expected acceptance, got rc %d \"%s\"\n", __FILE__, __LINE__, rc_, why_);          \
            exit(1);                                                                                                   \
        }                                                                                                              \
    } while (0)

/* Flags of gss-ntlmssp's and Windows' usual exchange. */
#define F_BASE                                                                                                         \
    (SSPIX_NTLMSSP_NEGOTIATE_UNICODE | 0x4u /* REQUEST_TARGET */ | 0x10u /* SIGN */ | 0x20u /* SEAL */ |               \
     0x200u /* NTLM */ | 0x8000u /* ALWAYS_SIGN */ | 0x80000u /* EXTENDED_SESSIONSECURITY */ |                         \
     SSPIX_NTLMSSP_NEGOTIATE_VERSION | 0x20000000u /* 128 */ | SSPIX_NTLMSSP_NEGOTIATE_KEY_EXCH |                      \
     0x80000000u /* 56 */)

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xffff);
    put16(p + 2, v >> 16);
}

static void field(uint8_t *p, unsigned len, unsigned offset)
{
    put16(p, len);
    put16(p + 2, len);
    put32(p + 4, offset);
}

static size_t header(uint8_t *m, uint32_t type)
{
    memcpy(m, "NTLMSSP", 8);
    put32(m + 8, type);
    return 12;
}

/* A TargetInfo list like gss-ntlmssp's server sends. */
static size_t target_info(uint8_t *p)
{
    size_t n = 0;
    static const uint8_t name[] = {'S', 0, 'R', 0, 'V', 0};
    put16(p + n, 1); /* MsvAvNbComputerName */
    put16(p + n + 2, sizeof(name));
    memcpy(p + n + 4, name, sizeof(name));
    n += 4 + sizeof(name);
    put16(p + n, 2); /* MsvAvNbDomainName */
    put16(p + n + 2, sizeof(name));
    memcpy(p + n + 4, name, sizeof(name));
    n += 4 + sizeof(name);
    put16(p + n, 7); /* MsvAvTimestamp */
    put16(p + n + 2, 8);
    memset(p + n + 4, 0x11, 8);
    n += 12;
    put16(p + n, 0); /* MsvAvEOL */
    put16(p + n + 2, 0);
    return n + 4;
}

/* CHALLENGE with a Version, a UTF-16 TargetName and a TargetInfo list. */
static size_t challenge(uint8_t *m, uint32_t flags, unsigned name_len, const uint8_t *info, size_t info_len)
{
    header(m, SSPIX_NTLM_CHALLENGE);
    size_t at = 56;
    field(m + 12, name_len, (unsigned)at);
    memset(m + at, 'x', name_len);
    at += name_len;
    put32(m + 20, flags);
    memcpy(m + 24, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
    memset(m + 32, 0, 8);
    field(m + 40, (unsigned)info_len, (unsigned)at);
    memcpy(m + at, info, info_len);
    at += info_len;
    memcpy(m + 48, "\x0a\x00\x63\x45\x00\x00\x00\x0f", 8);
    return at;
}

static void test_negotiate(void)
{
    uint8_t m[256] = {0};
    struct sspix_ntlm_info info;
    char why[200];

    /* 40 bytes with Version, as gss-ntlmssp and Windows send it. */
    header(m, SSPIX_NTLM_NEGOTIATE);
    put32(m + 12, F_BASE);
    field(m + 16, 0, 40);
    field(m + 24, 0, 40);
    CHECK(sspix_ntlm_msg_check(m, 40, SSPIX_NTLM_NEGOTIATE, 0, &info, why, sizeof(why)) == 0);
    CHECK(info.type == SSPIX_NTLM_NEGOTIATE && info.flags == F_BASE);
    CHECK_OK(m, 40, 0, 0);
    CHECK_REFUSED(m, 39, SSPIX_NTLM_NEGOTIATE, 0, "fixed part has 40");
    /* Without Version the fixed part is 32 bytes. */
    put32(m + 12, F_BASE & ~SSPIX_NTLMSSP_NEGOTIATE_VERSION);
    CHECK_OK(m, 32, SSPIX_NTLM_NEGOTIATE, 0);
    CHECK_REFUSED(m, 31, SSPIX_NTLM_NEGOTIATE, 0, "fixed part has 32");
    /* OEM domain and workstation in the payload. */
    put32(m + 12, F_BASE | SSPIX_NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED);
    field(m + 16, 6, 40);
    memcpy(m + 40, "DOMAIN", 6);
    CHECK_OK(m, 46, SSPIX_NTLM_NEGOTIATE, 0);
    CHECK_REFUSED(m, 45, SSPIX_NTLM_NEGOTIATE, 0, "DomainName (6 bytes at offset 40) runs past the 45-byte");
    field(m + 16, 6, 36); /* inside the Version */
    CHECK_REFUSED(m, 46, SSPIX_NTLM_NEGOTIATE, 0, "DomainName at offset 36 overlaps the 40-byte fixed part");
    field(m + 16, 6, 0xfffffffe); /* offset + len wraps a 32-bit sum */
    CHECK_REFUSED(m, 46, SSPIX_NTLM_NEGOTIATE, 0, "DomainName (6 bytes at offset 4294967294) runs past");
    field(m + 16, 0, 0xffffffff); /* empty: offset unused */
    CHECK_OK(m, 46, SSPIX_NTLM_NEGOTIATE, 0);
    field(m + 24, 0xffff, 40);
    CHECK_REFUSED(m, 46, SSPIX_NTLM_NEGOTIATE, 0, "Workstation (65535 bytes");
    /* No character set at all. */
    field(m + 24, 0, 40);
    put32(m + 12, F_BASE & ~SSPIX_NTLMSSP_NEGOTIATE_UNICODE);
    CHECK_REFUSED(m, 46, SSPIX_NTLM_NEGOTIATE, 0, "neither NTLMSSP_NEGOTIATE_UNICODE nor NTLMSSP_NEGOTIATE_OEM");
}

static void test_header(void)
{
    uint8_t m[64] = {0};
    CHECK_REFUSED(m, 0, 0, 0, "0 bytes are too few");
    CHECK_REFUSED(NULL, 0, 0, 0, "too few");
    CHECK_REFUSED(m, 11, 0, 0, "11 bytes are too few");
    CHECK_REFUSED(m, 40, 0, 0, "no \"NTLMSSP\\0\" signature");
    header(m, SSPIX_NTLM_CHALLENGE);
    CHECK(sspix_ntlm_msg_is_ntlm(m, 8) && !sspix_ntlm_msg_is_ntlm(m, 7));
    m[7] = 'x'; /* the NUL is part of the signature */
    CHECK_REFUSED(m, 40, 0, 0, "signature");
    m[7] = 0;
    CHECK_REFUSED(m, 40, SSPIX_NTLM_AUTHENTICATE, 0, "message type 2 (CHALLENGE) where a AUTHENTICATE");
    put32(m + 8, 4);
    CHECK_REFUSED(m, 40, 0, 0, "unknown NTLM message type 4");
    put32(m + 8, 0);
    CHECK_REFUSED(m, 40, 0, 0, "type 0");
    put32(m + 8, SSPIX_NTLM_AUTHENTICATE);
    CHECK_REFUSED(m, 63, 0, 0, "ends before its NegotiateFlags");
    /* the reason buffer may be absent, or tiny: always terminated */
    CHECK(sspix_ntlm_msg_check(m, 5, 0, 0, NULL, NULL, 0) == SSPIX_ERR_INVALID);
    char tiny[4] = "abc";
    CHECK(sspix_ntlm_msg_check(m, 5, 0, 0, NULL, tiny, sizeof(tiny)) == SSPIX_ERR_INVALID);
    CHECK(strlen(tiny) == 3 && memcmp(tiny, "5 b", 3) == 0);
}

static void test_challenge(void)
{
    uint8_t m[512], info[128], bad[128];
    size_t ilen = target_info(info);
    uint32_t f = F_BASE | SSPIX_NTLMSSP_TARGET_TYPE_SERVER | SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO;
    size_t n = challenge(m, f, 6, info, ilen);
    struct sspix_ntlm_info got;

    CHECK(sspix_ntlm_msg_check(m, n, SSPIX_NTLM_CHALLENGE, 0, &got, NULL, 0) == 0);
    CHECK(got.type == SSPIX_NTLM_CHALLENGE && got.flags == f);
    /* Every truncation is refused. */
    for (size_t k = 0; k < n; k++) {
        char why[200];
        check_count++;
        if (sspix_ntlm_msg_check(m, k, SSPIX_NTLM_CHALLENGE, 0, NULL, why, sizeof(why)) != SSPIX_ERR_INVALID) {
            fprintf(stderr, "CHALLENGE cut to %zu bytes was accepted\n", k);
            exit(1);
        }
    }

    /* The layouts that make gss-ntlmssp 1.2 write through NULL: a target
     * type with an empty TargetName, in the 32-byte form and the long one. */
    uint8_t s[32] = {0};
    header(s, SSPIX_NTLM_CHALLENGE);
    put32(s + 20, SSPIX_NTLMSSP_NEGOTIATE_UNICODE | SSPIX_NTLMSSP_TARGET_TYPE_SERVER);
    CHECK_REFUSED(s, 32, SSPIX_NTLM_CHALLENGE, 0, "NTLMSSP_TARGET_TYPE_SERVER is set but TargetName is empty");
    put32(s + 20, SSPIX_NTLMSSP_NEGOTIATE_UNICODE | SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN);
    CHECK_REFUSED(s, 32, SSPIX_NTLM_CHALLENGE, 0, "NTLMSSP_TARGET_TYPE_DOMAIN is set but TargetName is empty");
    put32(s + 20, SSPIX_NTLMSSP_NEGOTIATE_OEM | SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN);
    CHECK_REFUSED(s, 32, SSPIX_NTLM_CHALLENGE, 0, "TargetName is empty");
    n = challenge(m, f, 0, info, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "NTLMSSP_TARGET_TYPE_SERVER is set but TargetName is empty");
    /* The old 32-byte form without a target is fine; with a TargetName it
     * has no payload to hold it, and it cannot carry TargetInfo. */
    put32(s + 20, SSPIX_NTLMSSP_NEGOTIATE_UNICODE);
    CHECK_OK(s, 32, SSPIX_NTLM_CHALLENGE, 0);
    field(s + 12, 2, 30);
    CHECK_REFUSED(s, 32, SSPIX_NTLM_CHALLENGE, 0, "TargetName at offset 30 overlaps the 32-byte fixed part");
    field(s + 12, 0, 0);
    put32(s + 20, SSPIX_NTLMSSP_NEGOTIATE_UNICODE | SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO);
    CHECK_REFUSED(s, 32, SSPIX_NTLM_CHALLENGE, 0, "has no TargetInfo");
    CHECK_REFUSED(m, 40, SSPIX_NTLM_CHALLENGE, 0, "fixed part has 56");

    n = challenge(m, f | SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN, 6, info, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "both NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER");
    n = challenge(m, f, 5, info, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "TargetName has an odd length (5) for UTF-16");
    n = challenge(m, (f & ~SSPIX_NTLMSSP_NEGOTIATE_UNICODE) | SSPIX_NTLMSSP_NEGOTIATE_OEM, 5, info, ilen);
    CHECK_OK(m, n, SSPIX_NTLM_CHALLENGE, 0); /* OEM names have any length */
    n = challenge(m, f, 6, info, 0);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "NTLMSSP_NEGOTIATE_TARGET_INFO is set but TargetInfo is empty");
    n = challenge(m, f & ~SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO, 6, info, 0);
    CHECK_OK(m, n, SSPIX_NTLM_CHALLENGE, 0);
    n = challenge(m, f, 6, info, ilen);
    put32(m + 44, 0x7fffffff);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "TargetInfo (");

    /* Without the Version flag the payload may start at 48. */
    n = challenge(m, f & ~SSPIX_NTLMSSP_NEGOTIATE_VERSION, 6, info, ilen);
    CHECK_OK(m, n, SSPIX_NTLM_CHALLENGE, 0);

    /* AV_PAIR lists. */
    memcpy(bad, info, ilen);
    n = challenge(m, f, 6, bad, ilen - 4); /* no MsvAvEOL */
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "not terminated by MsvAvEOL");
    memcpy(bad, info, ilen);
    put16(bad + ilen - 2, 2); /* MsvAvEOL with a length */
    memset(bad + ilen, 0, 2);
    n = challenge(m, f, 6, bad, ilen + 2);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "MsvAvEOL with length 2");
    memcpy(bad, info, ilen);
    put16(bad + 2, 200); /* a pair longer than the list */
    n = challenge(m, f, 6, bad, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "claims 200 bytes");
    memcpy(bad, info, ilen);
    put16(bad + 10, 1); /* MsvAvNbComputerName twice */
    n = challenge(m, f, 6, bad, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "AV_PAIR 1 appears twice");
    memcpy(bad, info, ilen);
    put16(bad + 2, 5); /* odd UTF-16 name: the next pair then starts mid-name */
    n = challenge(m, f, 6, bad, ilen);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "odd length 5");
    size_t k = 0;
    put16(bad, 6); /* MsvAvFlags of 2 bytes */
    put16(bad + 2, 2);
    k = 6;
    put32(bad + k, 0);
    n = challenge(m, f, 6, bad, k + 4);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "MsvAvFlags has 2 bytes, not 4");
    put16(bad, 7);
    n = challenge(m, f, 6, bad, k + 4);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "MsvAvTimestamp has 2 bytes, not 8");
    put16(bad, 10);
    n = challenge(m, f, 6, bad, k + 4);
    CHECK_REFUSED(m, n, SSPIX_NTLM_CHALLENGE, 0, "MsvAvChannelBindings has 2 bytes, not 16");
    put16(bad, 0x77); /* an id MS-NLMP may add later: skipped */
    n = challenge(m, f, 6, bad, k + 4);
    CHECK_OK(m, n, SSPIX_NTLM_CHALLENGE, 0);
    /* padding after MsvAvEOL is allowed */
    memcpy(bad, info, ilen);
    memset(bad + ilen, 0, 4);
    n = challenge(m, f, 6, bad, ilen + 4);
    CHECK_OK(m, n, SSPIX_NTLM_CHALLENGE, 0);
}

/* AUTHENTICATE with Version and MIC, NTLMv2 response, UTF-16 names. */
static size_t authenticate(uint8_t *m, uint32_t flags, unsigned lm_len, const uint8_t *nt, size_t nt_len,
                           unsigned user_len, unsigned key_len)
{
    memset(m, 0, 88);
    header(m, SSPIX_NTLM_AUTHENTICATE);
    size_t at = 88;
    field(m + 12, lm_len, (unsigned)at);
    memset(m + at, 0, lm_len);
    at += lm_len;
    field(m + 20, (unsigned)nt_len, (unsigned)at);
    memcpy(m + at, nt, nt_len);
    at += nt_len;
    field(m + 28, 4, (unsigned)at);
    memcpy(m + at, "D\0O\0", 4);
    at += 4;
    field(m + 36, user_len, (unsigned)at);
    memset(m + at, 'u', user_len);
    at += user_len;
    field(m + 44, 0, (unsigned)at);
    field(m + 52, key_len, (unsigned)at);
    memset(m + at, 0x5a, key_len);
    at += key_len;
    put32(m + 60, flags);
    return at;
}

static size_t ntlmv2_response(uint8_t *p)
{
    memset(p, 0xab, 16); /* NTProofStr */
    memset(p + 16, 0, 28);
    p[16] = p[17] = 1;
    size_t n = 44 + target_info(p + 44);
    memset(p + n, 0, 4); /* Z(4), as Windows appends */
    return n + 4;
}

static void test_authenticate(void)
{
    uint8_t m[1024], nt[256];
    size_t ntlen = ntlmv2_response(nt);
    size_t n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 16);

    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, 0);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, F_BASE);
    for (size_t k = 0; k < n; k++) {
        check_count++;
        if (sspix_ntlm_msg_check(m, k, SSPIX_NTLM_AUTHENTICATE, F_BASE, NULL, NULL, 0) != SSPIX_ERR_INVALID) {
            fprintf(stderr, "AUTHENTICATE cut to %zu bytes was accepted\n", k);
            exit(1);
        }
    }
    /* NTLMv1 (24 bytes) and anonymous (no NT response, LM Z(1)). */
    n = authenticate(m, F_BASE, 24, nt, 24, 10, 16);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, 0);
    n = authenticate(m, F_BASE, 1, nt, 0, 0, 16);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, 0);

    /* Key exchange negotiated without the 16-byte session key: gss-ntlmssp
     * copies 16 bytes from it. The CHALLENGE's flags rule, whatever the
     * AUTHENTICATE message claims. */
    n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 0);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "NTLMSSP_NEGOTIATE_KEY_EXCH was negotiated");
    n = authenticate(m, F_BASE & ~SSPIX_NTLMSSP_NEGOTIATE_KEY_EXCH, 24, nt, ntlen, 10, 0);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, 0);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, F_BASE & ~SSPIX_NTLMSSP_NEGOTIATE_KEY_EXCH);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, F_BASE, "EncryptedRandomSessionKey has 0 bytes, not 16");
    n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 8);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "EncryptedRandomSessionKey has 8 bytes, not 16");

    /* Response lengths MS-NLMP allows. */
    n = authenticate(m, F_BASE, 23, nt, ntlen, 10, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "LmChallengeResponse has 23 bytes");
    n = authenticate(m, F_BASE, 24, nt, 30, 10, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "NtChallengeResponse has 30 bytes");
    n = authenticate(m, F_BASE, 24, nt, 44, 10, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "NtChallengeResponse has 44 bytes");
    nt[16] = 2;
    n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "RespType/HiRespType 2/1");
    nt[16] = 1;
    put16(nt + 44 + 2, 300); /* the response's AV_PAIR list */
    n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "NTLMv2 response: AV_PAIR 1 at byte 0 claims 300 bytes");
    ntlen = ntlmv2_response(nt);

    /* Names: UTF-16 when the negotiated flags say Unicode. */
    n = authenticate(m, F_BASE, 24, nt, ntlen, 9, 16);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "UserName has an odd length (9)");
    uint32_t oem = (F_BASE & ~SSPIX_NTLMSSP_NEGOTIATE_UNICODE) | SSPIX_NTLMSSP_NEGOTIATE_OEM;
    n = authenticate(m, oem, 24, nt, ntlen, 9, 16);
    CHECK_OK(m, n, SSPIX_NTLM_AUTHENTICATE, oem);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, F_BASE, "UserName has an odd length");

    /* Fields out of the message or inside the fixed part. */
    n = authenticate(m, F_BASE, 24, nt, ntlen, 10, 16);
    field(m + 36, 10, 60);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "UserName at offset 60 overlaps the 72-byte fixed part");
    field(m + 36, 10, (unsigned)n - 9);
    CHECK_REFUSED(m, n, SSPIX_NTLM_AUTHENTICATE, 0, "UserName (10 bytes at offset");
    CHECK_REFUSED(m, 71, SSPIX_NTLM_AUTHENTICATE, 0, "fixed part has 72");
}

int main(void)
{
    test_header();
    test_negotiate();
    test_challenge();
    test_authenticate();
    CHECK_DONE("unit.ntlm_msg");
}
