/* SPDX-License-Identifier: MIT */
/*
 * ntlm_msg.c - NTLM NEGOTIATE / CHALLENGE / AUTHENTICATE checks; see
 * ntlm_msg.h for what is checked and why.
 */
#include "packages/ntlm_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"

/* Fixed parts (MS-NLMP 2.2.1.1-3), without and with the 8-byte Version. */
#define NEG_FIXED       32u
#define CHAL_SHORT      32u /* pre-NT4 SP servers: no Reserved, TargetInfo or Version */
#define CHAL_FIXED      48u
#define AUTH_FIXED      64u
#define VERSION_LEN     8u
#define NTLMV1_RESPONSE 24u
/* NTProofStr (16) + NTLMv2_CLIENT_CHALLENGE up to its AvPairs (28). */
#define NTLMV2_HEADER 44u

/* AV_PAIR ids (MS-NLMP 2.2.2.1). */
enum {
    AV_EOL = 0,
    AV_NB_COMPUTER = 1,
    AV_NB_DOMAIN = 2,
    AV_DNS_COMPUTER = 3,
    AV_DNS_DOMAIN = 4,
    AV_DNS_TREE = 5,
    AV_FLAGS = 6,
    AV_TIMESTAMP = 7,
    AV_SINGLE_HOST = 8,
    AV_TARGET_NAME = 9,
    AV_CHANNEL_BINDINGS = 10,
    AV_KNOWN_MAX = 10,
};

struct why {
    char *buf;
    size_t cap;
};

static int refuse(struct why *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(struct why *w, const char *fmt, ...)
{
    if (w->cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->buf, w->cap, fmt, ap);
        va_end(ap);
    }
    return SSPIX_ERR_INVALID;
}

int sspix_ntlm_msg_is_ntlm(const uint8_t *p, size_t n)
{
    return n >= SSPIX_NTLM_SIGNATURE_LEN && memcmp(p, SSPIX_NTLM_SIGNATURE_BYTES, SSPIX_NTLM_SIGNATURE_LEN) == 0;
}

/* A (Len, MaxLen, BufferOffset) field at `at`, and the bytes it names. */
struct field {
    const char *name;
    uint16_t len;
    uint32_t offset;
    const uint8_t *bytes; /* NULL when len is 0 */
};

/*
 * Read the field header at byte `at` of the message and locate its bytes:
 * they must lie inside the message and past the fixed part (payload_start),
 * where MS-NLMP puts the Payload. An empty field's offset is not used by
 * anyone and is not checked.
 */
static int get_field(const uint8_t *p, size_t n, size_t at, size_t payload_start, const char *name, struct field *f,
                     struct why *w)
{
    sspix_reader r;
    uint16_t maxlen;
    sspix_reader_init(&r, p, n);
    f->name = name;
    f->bytes = NULL;
    if (sspix_reader_skip(&r, at) < 0 || sspix_reader_u16le(&r, &f->len) < 0 || sspix_reader_u16le(&r, &maxlen) < 0 ||
        sspix_reader_u32le(&r, &f->offset) < 0)
        return refuse(w, "%s fields cut off at byte %zu of %zu", name, at, n);
    if (f->len == 0)
        return 0;
    if (f->offset < payload_start)
        return refuse(w, "%s at offset %u overlaps the %zu-byte fixed part", name, (unsigned)f->offset, payload_start);
    sspix_reader_init(&r, p, n);
    if (sspix_reader_skip(&r, f->offset) < 0 || sspix_reader_bytes(&r, f->len, &f->bytes) < 0)
        return refuse(w, "%s (%u bytes at offset %u) runs past the %zu-byte message", name, (unsigned)f->len,
                      (unsigned)f->offset, n);
    return 0;
}

static int utf16_field(const struct field *f, uint32_t flags, struct why *w)
{
    if ((flags & SSPIX_NTLMSSP_NEGOTIATE_UNICODE) && (f->len & 1u))
        return refuse(w, "%s has an odd length (%u) for UTF-16", f->name, (unsigned)f->len);
    return 0;
}

/*
 * An AV_PAIR list (MS-NLMP 2.2.2.1): pairs inside the bytes given, each known
 * id at most once, names in UTF-16 (even lengths), MsvAvFlags 4 bytes,
 * MsvAvTimestamp 8, MsvAvChannelBindings 16, ended by MsvAvEOL with length 0.
 * Bytes after MsvAvEOL are allowed (Windows pads the NTLMv2 response).
 * *av_flags gets MsvAvFlags' value (0 when absent).
 */
static int av_pairs(const uint8_t *p, size_t n, const char *where, uint32_t *av_flags, struct why *w)
{
    sspix_reader r;
    unsigned seen = 0;
    *av_flags = 0;
    sspix_reader_init(&r, p, n);
    for (;;) {
        uint16_t id, len;
        const uint8_t *v;
        size_t at = sspix_reader_consumed(&r);
        if (sspix_reader_u16le(&r, &id) < 0 || sspix_reader_u16le(&r, &len) < 0)
            return refuse(w, "%s: AV_PAIR list not terminated by MsvAvEOL (cut off at byte %zu of %zu)", where, at, n);
        if (sspix_reader_bytes(&r, len, &v) < 0)
            return refuse(w, "%s: AV_PAIR %u at byte %zu claims %u bytes, %zu are left", where, (unsigned)id, at,
                          (unsigned)len, sspix_reader_left(&r));
        if (id == AV_EOL) {
            if (len != 0)
                return refuse(w, "%s: MsvAvEOL with length %u, not 0", where, (unsigned)len);
            return 0;
        }
        if (id <= AV_KNOWN_MAX) {
            if (seen & (1u << id))
                return refuse(w, "%s: AV_PAIR %u appears twice", where, (unsigned)id);
            seen |= 1u << id;
        }
        switch (id) {
        case AV_NB_COMPUTER:
        case AV_NB_DOMAIN:
        case AV_DNS_COMPUTER:
        case AV_DNS_DOMAIN:
        case AV_DNS_TREE:
        case AV_TARGET_NAME:
            if (len & 1u)
                return refuse(w, "%s: AV_PAIR %u is a UTF-16 name of odd length %u", where, (unsigned)id,
                              (unsigned)len);
            break;
        case AV_FLAGS:
            if (len != 4)
                return refuse(w, "%s: MsvAvFlags has %u bytes, not 4", where, (unsigned)len);
            *av_flags = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
            break;
        case AV_TIMESTAMP:
            if (len != 8)
                return refuse(w, "%s: MsvAvTimestamp has %u bytes, not 8", where, (unsigned)len);
            break;
        case AV_CHANNEL_BINDINGS:
            if (len != 16)
                return refuse(w, "%s: MsvAvChannelBindings has %u bytes, not 16", where, (unsigned)len);
            break;
        default: break; /* MsvAvSingleHost and ids MS-NLMP may add later: skipped, as receivers must */
        }
    }
}

static int charset(uint32_t flags, struct why *w)
{
    if (!(flags & (SSPIX_NTLMSSP_NEGOTIATE_UNICODE | SSPIX_NTLMSSP_NEGOTIATE_OEM)))
        return refuse(w, "neither NTLMSSP_NEGOTIATE_UNICODE nor NTLMSSP_NEGOTIATE_OEM is set");
    return 0;
}

static int check_negotiate(const uint8_t *p, size_t n, uint32_t flags, struct why *w)
{
    struct field f;
    size_t fixed = NEG_FIXED + ((flags & SSPIX_NTLMSSP_NEGOTIATE_VERSION) ? VERSION_LEN : 0);
    if (n < fixed)
        return refuse(w, "NEGOTIATE message of %zu bytes; its fixed part has %zu", n, fixed);
    GUARD(charset(flags, w));
    GUARD(get_field(p, n, 16, fixed, "DomainName", &f, w));
    GUARD(get_field(p, n, 24, fixed, "Workstation", &f, w));
    return 0;
}

static int check_challenge(const uint8_t *p, size_t n, uint32_t flags, struct why *w)
{
    struct field name, info;
    uint32_t target_type = flags & (SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN | SSPIX_NTLMSSP_TARGET_TYPE_SERVER);
    size_t fixed;

    GUARD(charset(flags, w));
    if (n == CHAL_SHORT) {
        /* The old 32-byte form has no room for a payload. */
        if (flags & SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO)
            return refuse(w, "32-byte CHALLENGE message with NTLMSSP_NEGOTIATE_TARGET_INFO has no TargetInfo");
        fixed = CHAL_SHORT;
    } else {
        fixed = CHAL_FIXED + ((flags & SSPIX_NTLMSSP_NEGOTIATE_VERSION) ? VERSION_LEN : 0);
        if (n < fixed)
            return refuse(w, "CHALLENGE message of %zu bytes; its fixed part has %zu", n, fixed);
    }
    GUARD(get_field(p, n, 12, fixed, "TargetName", &name, w));
    if (target_type == (SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN | SSPIX_NTLMSSP_TARGET_TYPE_SERVER))
        return refuse(w, "both NTLMSSP_TARGET_TYPE_DOMAIN and NTLMSSP_TARGET_TYPE_SERVER are set");
    if (target_type != 0 && name.len == 0)
        return refuse(w, "NTLMSSP_TARGET_TYPE_%s is set but TargetName is empty",
                      target_type == SSPIX_NTLMSSP_TARGET_TYPE_DOMAIN ? "DOMAIN" : "SERVER");
    GUARD(utf16_field(&name, flags, w));
    if (n == CHAL_SHORT)
        return 0;
    GUARD(get_field(p, n, 40, fixed, "TargetInfo", &info, w));
    if (flags & SSPIX_NTLMSSP_NEGOTIATE_TARGET_INFO) {
        uint32_t av_flags;
        if (info.len == 0)
            return refuse(w, "NTLMSSP_NEGOTIATE_TARGET_INFO is set but TargetInfo is empty");
        GUARD(av_pairs(info.bytes, info.len, "TargetInfo", &av_flags, w));
    }
    return 0;
}

static int check_authenticate(const uint8_t *p, size_t n, uint32_t flags, uint32_t chal_flags, struct why *w)
{
    struct field lm, nt, dom, user, wks, key;
    /* The acceptor decodes names with the flags it negotiated. */
    uint32_t strings = chal_flags != 0 ? chal_flags : flags;
    size_t fixed = AUTH_FIXED + ((flags & SSPIX_NTLMSSP_NEGOTIATE_VERSION) ? VERSION_LEN : 0);

    if (n < fixed)
        return refuse(w, "AUTHENTICATE message of %zu bytes; its fixed part has %zu", n, fixed);
    GUARD(charset(flags, w));
    GUARD(get_field(p, n, 12, fixed, "LmChallengeResponse", &lm, w));
    GUARD(get_field(p, n, 20, fixed, "NtChallengeResponse", &nt, w));
    GUARD(get_field(p, n, 28, fixed, "DomainName", &dom, w));
    GUARD(get_field(p, n, 36, fixed, "UserName", &user, w));
    GUARD(get_field(p, n, 44, fixed, "Workstation", &wks, w));
    GUARD(get_field(p, n, 52, fixed, "EncryptedRandomSessionKey", &key, w));
    GUARD(utf16_field(&dom, strings, w));
    GUARD(utf16_field(&user, strings, w));
    GUARD(utf16_field(&wks, strings, w));

    /* LM: none, anonymous Z(1), or 24 bytes (LMv1/LMv2, or Z(24)). */
    if (lm.len != 0 && lm.len != 1 && lm.len != NTLMV1_RESPONSE)
        return refuse(w, "LmChallengeResponse has %u bytes; 0, 1 or 24 are allowed", (unsigned)lm.len);
    /* NT: none (anonymous), NTLMv1's 24 bytes, or an NTLMv2 response with
     * at least MsvAvEOL in its AV_PAIR list. */
    if (nt.len != 0 && nt.len != NTLMV1_RESPONSE) {
        uint32_t av_flags;
        if (nt.len < NTLMV2_HEADER + 4)
            return refuse(w, "NtChallengeResponse has %u bytes: too long for NTLMv1 (24), too short for NTLMv2 (%u)",
                          (unsigned)nt.len, NTLMV2_HEADER + 4);
        if (nt.bytes[16] != 1 || nt.bytes[17] != 1)
            return refuse(w, "NTLMv2 response RespType/HiRespType %u/%u, not 1/1", (unsigned)nt.bytes[16],
                          (unsigned)nt.bytes[17]);
        GUARD(av_pairs(nt.bytes + NTLMV2_HEADER, nt.len - NTLMV2_HEADER, "NTLMv2 response", &av_flags, w));
    }
    if (key.len != 0 && key.len != 16)
        return refuse(w, "EncryptedRandomSessionKey has %u bytes, not 16", (unsigned)key.len);
    if (((flags | chal_flags) & SSPIX_NTLMSSP_NEGOTIATE_KEY_EXCH) && key.len != 16)
        return refuse(w, "NTLMSSP_NEGOTIATE_KEY_EXCH was negotiated but EncryptedRandomSessionKey has %u bytes, not 16",
                      (unsigned)key.len);
    return 0;
}

static const char *type_name(uint32_t t)
{
    switch (t) {
    case SSPIX_NTLM_NEGOTIATE: return "NEGOTIATE";
    case SSPIX_NTLM_CHALLENGE: return "CHALLENGE";
    case SSPIX_NTLM_AUTHENTICATE: return "AUTHENTICATE";
    default: return "unknown";
    }
}

int sspix_ntlm_msg_check(const uint8_t *p, size_t n, uint32_t want, uint32_t chal_flags, struct sspix_ntlm_info *info,
                         char *why, size_t cap)
{
    struct why w = {why, cap};
    sspix_reader r;
    const uint8_t *sig;
    uint32_t type, flags;

    if (cap > 0)
        why[0] = '\0';
    sspix_reader_init(&r, p, n);
    if (sspix_reader_bytes(&r, SSPIX_NTLM_SIGNATURE_LEN, &sig) < 0 || sspix_reader_u32le(&r, &type) < 0)
        return refuse(&w, "%zu bytes are too few for an NTLM message (at least 12)", n);
    if (memcmp(sig, SSPIX_NTLM_SIGNATURE_BYTES, SSPIX_NTLM_SIGNATURE_LEN) != 0)
        return refuse(&w, "no \"NTLMSSP\\0\" signature");
    if (want != 0 && type != want)
        return refuse(&w, "message type %u (%s) where a %s message (type %u) belongs", (unsigned)type, type_name(type),
                      type_name(want), (unsigned)want);
    /* NegotiateFlags: right after the header in NEGOTIATE, after TargetName
     * in CHALLENGE, after the six fields in AUTHENTICATE. */
    size_t flags_at = type == SSPIX_NTLM_NEGOTIATE ? 12 : type == SSPIX_NTLM_CHALLENGE ? 20 : 60;
    sspix_reader_init(&r, p, n);
    if (type < SSPIX_NTLM_NEGOTIATE || type > SSPIX_NTLM_AUTHENTICATE)
        return refuse(&w, "unknown NTLM message type %u", (unsigned)type);
    if (sspix_reader_skip(&r, flags_at) < 0 || sspix_reader_u32le(&r, &flags) < 0)
        return refuse(&w, "%s message of %zu bytes ends before its NegotiateFlags", type_name(type), n);
    switch (type) {
    case SSPIX_NTLM_NEGOTIATE: GUARD(check_negotiate(p, n, flags, &w)); break;
    case SSPIX_NTLM_CHALLENGE: GUARD(check_challenge(p, n, flags, &w)); break;
    default: GUARD(check_authenticate(p, n, flags, chal_flags, &w)); break;
    }
    if (info != NULL) {
        info->type = type;
        info->flags = flags;
    }
    return 0;
}
