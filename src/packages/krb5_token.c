/* SPDX-License-Identifier: MIT */
/*
 * krb5_token.c - validation of RFC 4121 and RFC 1964 / RFC 4757 per-message
 * tokens against the format of their context (see krb5_token.h).
 */
#include "packages/krb5_token.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"

/* RFC 4121 section 4.2.2 flags, and the token IDs of both formats. */
#define CFX_SENT_BY_ACCEPTOR 0x01
#define CFX_SEALED           0x02
#define CFX_ACCEPTOR_SUBKEY  0x04
#define CFX_HEADER           16
#define CFX_TOK_MIC          0x0404
#define CFX_TOK_WRAP         0x0504
#define CFX_TOK_DELETE       0x0405
#define V1_TOK_MIC           0x0101
#define V1_TOK_WRAP          0x0201
#define V1_TOK_DELETE        0x0102
/* RFC 1964 after TOK_ID: SGN_ALG, SEAL_ALG or filler, filler, SND_SEQ. */
#define V1_FIXED 14
/* SEAL_ALG of a token without confidentiality. */
#define V1_NO_SEAL 0xFFFF

struct enctype_row {
    int32_t enctype;
    const char *name;
    enum sspix_krb5_proto proto;
    uint16_t cksum, confounder, sgn_alg, seal_alg;
    uint8_t pad_block;
};

/*
 * RFC 3962 (aes-sha1: HMAC-SHA1-96), RFC 8009 (aes-sha2: 128 and 192-bit
 * truncations), RFC 6803 (Camellia: CMAC); each has a 16-byte confounder.
 * RFC 4757 (RC4: 8-byte checksum and confounder, HMAC-MD5 0x0011, RC4 0x0010)
 * and the DES3 key-derivation profile that MIT implements (HMAC-SHA1 0x0004,
 * 20 bytes; DES3-KD 0x0002) use RFC 1964 tokens, as MIT's kg_setup_keys
 * decides. Single DES is gone from MIT krb5 1.18 on.
 */
static const struct enctype_row enctypes[] = {
    {16, "des3-cbc-sha1", SSPIX_KRB5_RFC1964, 20, 8, 0x0004, 0x0002, 8},
    {17, "aes128-cts-hmac-sha1-96", SSPIX_KRB5_CFX, 12, 16, 0, 0, 0},
    {18, "aes256-cts-hmac-sha1-96", SSPIX_KRB5_CFX, 12, 16, 0, 0, 0},
    {19, "aes128-cts-hmac-sha256-128", SSPIX_KRB5_CFX, 16, 16, 0, 0, 0},
    {20, "aes256-cts-hmac-sha384-192", SSPIX_KRB5_CFX, 24, 16, 0, 0, 0},
    {23, "rc4-hmac", SSPIX_KRB5_RFC1964, 8, 8, 0x0011, 0x0010, 1},
    {24, "rc4-hmac-exp", SSPIX_KRB5_RFC1964, 8, 8, 0x0011, 0x0010, 1},
    {25, "camellia128-cts-cmac", SSPIX_KRB5_CFX, 16, 16, 0, 0, 0},
    {26, "camellia256-cts-cmac", SSPIX_KRB5_CFX, 16, 16, 0, 0, 0},
};

/* The DER-encoded mechanism OIDs a Kerberos token may be framed with: MIT's
 * 1.2.840.113554.1.2.2, Microsoft's 1.2.840.48018.1.2.2 and the pre-RFC
 * 1.3.5.1.5.2. Which one the context uses GSSAPI checks itself. */
static const uint8_t oid_krb5[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_krb5_ms[] = {0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const uint8_t oid_krb5_old[] = {0x2b, 0x05, 0x01, 0x05, 0x02};

static const struct enctype_row *find_enctype(int32_t enctype)
{
    for (size_t i = 0; i < sizeof(enctypes) / sizeof(enctypes[0]); i++)
        if (enctypes[i].enctype == enctype)
            return &enctypes[i];
    return NULL;
}

const char *sspix_krb5_enctype_name(int32_t enctype)
{
    const struct enctype_row *row = find_enctype(enctype);
    return row != NULL ? row->name : "unknown";
}

int sspix_krb5_format_init(struct sspix_krb5_format *f, int32_t enctype, int initiator, int mutual)
{
    const struct enctype_row *row = find_enctype(enctype);
    ENSURE(row != NULL, SSPIX_ERR_INVALID);
    memset(f, 0, sizeof(*f));
    f->enctype = enctype;
    f->proto = row->proto;
    f->initiator = initiator != 0;
    f->cksum = row->cksum;
    f->confounder = row->confounder;
    f->sgn_alg = row->sgn_alg;
    f->seal_alg = row->seal_alg;
    f->pad_block = row->pad_block;
    /* MIT's acceptor makes a subkey whenever it sends an AP-REP for an RFC
     * 4121 key, and uses it from then on; the initiator only knows that an
     * AP-REP came, not whether another acceptor put a subkey in it. */
    if (row->proto != SSPIX_KRB5_CFX || !mutual)
        f->subkey = SSPIX_KRB5_SUBKEY_NO;
    else
        f->subkey = initiator ? SSPIX_KRB5_SUBKEY_MAYBE : SSPIX_KRB5_SUBKEY_YES;
    return 0;
}

static size_t v1_framed_size(size_t body)
{
    /* 0x60, DER length, 06 09 <OID>, then body (TOK_ID onwards). */
    size_t inner = 2 + sizeof(oid_krb5) + body;
    size_t lenlen = inner < 0x80 ? 1 : inner < 0x100 ? 2 : inner < 0x10000 ? 3 : inner < 0x1000000 ? 4 : 5;
    return 1 + lenlen + inner;
}

size_t sspix_krb5_mic_size(const struct sspix_krb5_format *f)
{
    if (f->proto == SSPIX_KRB5_CFX)
        return CFX_HEADER + f->cksum;
    return v1_framed_size(2 + V1_FIXED + f->cksum);
}

__attribute__((format(printf, 4, 5))) static int fail(int rc, char *why, size_t cap, const char *fmt, ...)
{
    if (cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, cap, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static const char *tok_id_name(unsigned id)
{
    switch (id) {
    case CFX_TOK_MIC: return "an RFC 4121 MIC token";
    case CFX_TOK_WRAP: return "an RFC 4121 wrap token";
    case CFX_TOK_DELETE: return "an RFC 4121 context-deletion token";
    case V1_TOK_MIC: return "an RFC 1964 MIC token";
    case V1_TOK_WRAP: return "an RFC 1964 wrap token";
    case V1_TOK_DELETE: return "an RFC 1964 context-deletion token";
    default: return "no Kerberos token";
    }
}

static void set_info(struct sspix_krb5_wrap_info *info, int sealed, size_t ec, size_t rrc)
{
    if (info != NULL) {
        info->sealed = sealed;
        info->ec = ec;
        info->rrc = rrc;
    }
}

/* ---- RFC 4121 --------------------------------------------------------------- */

/*
 * The first bytes of an RFC 4121 header, as far as r holds them: TOK_ID,
 * flags, and the filler byte (all of bytes 3..7 for a MIC). SSPIX_ERR_SHORT
 * only when every byte present is right. *flags is 0 until read.
 */
static int cfx_prefix(const struct sspix_krb5_format *f, sspix_reader *r, unsigned want, uint8_t *flags, char *why,
                      size_t cap)
{
    const char *what = want == CFX_TOK_WRAP ? "wrap" : "MIC";
    uint8_t b0, b1, fl, filler;
    *flags = 0;
    if (sspix_reader_u8(r, &b0) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "an empty token");
    if (b0 == 0x60)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "RFC 1964 framing (0x60) on a context whose key (%s) uses RFC 4121 tokens (%02x %02x)",
                    sspix_krb5_enctype_name(f->enctype), want >> 8, want & 0xff);
    if (sspix_reader_u8(r, &b1) < 0)
        return b0 == (want >> 8)
                   ? fail(SSPIX_ERR_SHORT, why, cap, "1 byte of the token ID")
                   : fail(SSPIX_ERR_INVALID, why, cap, "token ID %02x..: not an RFC 4121 %s token", b0, what);
    unsigned id = (unsigned)b0 << 8 | b1;
    if (id != want)
        return fail(SSPIX_ERR_INVALID, why, cap, "token ID %02x %02x is %s; %s needs an RFC 4121 %s token (%02x %02x)",
                    b0, b1, tok_id_name(id), want == CFX_TOK_WRAP ? "DecryptMessage" : "VerifySignature", what,
                    want >> 8, want & 0xff);
    if (sspix_reader_u8(r, &fl) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its header");
    *flags = fl;
    /* Reserved flag bits are ignored, as RFC 4121 tells receivers to. */
    if (((fl & CFX_SENT_BY_ACCEPTOR) != 0) != (f->initiator != 0))
        return fail(SSPIX_ERR_INVALID, why, cap, "flag SentByAcceptor is %s, but the peer is the %s",
                    (fl & CFX_SENT_BY_ACCEPTOR) ? "set" : "clear", f->initiator ? "acceptor" : "initiator");
    if ((fl & CFX_ACCEPTOR_SUBKEY) && f->subkey == SSPIX_KRB5_SUBKEY_NO)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "flag AcceptorSubkey is set, but this context has no acceptor subkey (no mutual authentication)");
    if (!(fl & CFX_ACCEPTOR_SUBKEY) && f->subkey == SSPIX_KRB5_SUBKEY_YES)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "flag AcceptorSubkey is clear, but this context protects its messages with the acceptor subkey");
    if (want == CFX_TOK_MIC && (fl & CFX_SEALED))
        return fail(SSPIX_ERR_INVALID, why, cap, "flag Sealed is set in a MIC token");
    for (int i = 3; i < (want == CFX_TOK_MIC ? 8 : 4); i++) {
        if (sspix_reader_u8(r, &filler) < 0)
            return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its header");
        if (filler != 0xFF)
            return fail(SSPIX_ERR_INVALID, why, cap, "filler byte %d is 0x%02x, not 0xff", i, filler);
    }
    return 0;
}

/* EC and RRC of a wrap header whose first four bytes were read. */
static void cfx_ec_rrc(sspix_reader *r, size_t *ec, size_t *rrc)
{
    uint16_t e = 0, c = 0;
    /* The caller checked that the 16-byte header is there. */
    if (sspix_reader_u16be(r, &e) < 0 || sspix_reader_u16be(r, &c) < 0)
        e = c = 0;
    *ec = e;
    *rrc = c;
}

static int cfx_wrap_stream(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len,
                           struct sspix_krb5_wrap_info *info, char *why, size_t cap)
{
    sspix_reader r;
    uint8_t fl;
    size_t ec, rrc;
    sspix_reader_init(&r, tok, len);
    int rc = cfx_prefix(f, &r, CFX_TOK_WRAP, &fl, why, cap);
    int sealed = (fl & CFX_SEALED) != 0;
    /* The least a token can be: header, then (sealed) the confounder, the
     * encrypted header copy and the checksum, or (signed) the checksum. EC
     * is not counted: a cut token and a modified EC must not look alike. */
    size_t need = CFX_HEADER + f->cksum + (sealed ? (size_t)f->confounder + CFX_HEADER : 0);
    if (rc == SSPIX_ERR_SHORT || (rc == 0 && len < need))
        return fail(SSPIX_ERR_SHORT, why, cap,
                    "the SECBUFFER_STREAM holds %zu bytes; the token needs at least %zu: read the rest of the message",
                    len, rc == 0 ? need : (size_t)CFX_HEADER + f->cksum);
    if (rc < 0)
        return rc;
    cfx_ec_rrc(&r, &ec, &rrc);
    if (rrc > len - CFX_HEADER)
        return fail(SSPIX_ERR_INVALID, why, cap, "RRC %zu is more than the %zu bytes after the header", rrc,
                    len - CFX_HEADER);
    if (sealed && ec > len - need)
        return fail(SSPIX_ERR_INVALID, why, cap, "EC %zu does not fit in a %zu-byte token", ec, len);
    if (!sealed && ec != f->cksum)
        return fail(SSPIX_ERR_INVALID, why, cap, "EC is %zu in a token without confidentiality; it must be %u", ec,
                    (unsigned)f->cksum);
    set_info(info, sealed, ec, rrc);
    return 0;
}

static int cfx_wrap_split(const struct sspix_krb5_format *f, const uint8_t *hdr, size_t hdr_len,
                          struct sspix_krb5_wrap_info *info, char *why, size_t cap)
{
    sspix_reader r;
    uint8_t fl;
    size_t ec, rrc;
    sspix_reader_init(&r, hdr, hdr_len);
    int rc = cfx_prefix(f, &r, CFX_TOK_WRAP, &fl, why, cap);
    if (rc == 0 && hdr_len < CFX_HEADER)
        rc = SSPIX_ERR_SHORT;
    if (rc == SSPIX_ERR_SHORT)
        return fail(SSPIX_ERR_INVALID, why, cap, "the SECBUFFER_TOKEN holds %zu bytes, less than a wrap token header",
                    hdr_len);
    if (rc < 0)
        return rc;
    cfx_ec_rrc(&r, &ec, &rrc);
    int sealed = (fl & CFX_SEALED) != 0;
    /* Header and rotated trailer in TOKEN: RRC is the whole trailer
     * (EC filler, encrypted header copy, checksum) or, signed only, the
     * checksum, which EC then also counts. */
    size_t want_rrc = sealed ? ec + CFX_HEADER + f->cksum : f->cksum;
    size_t want_len = CFX_HEADER + (sealed ? (size_t)f->confounder : 0u) + want_rrc;
    if (!sealed && ec != f->cksum)
        return fail(SSPIX_ERR_INVALID, why, cap, "EC is %zu in a token without confidentiality; it must be %u", ec,
                    (unsigned)f->cksum);
    if (rrc != want_rrc)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "RRC is %zu; a token whose header is in SECBUFFER_TOKEN has its %zu-byte trailer rotated into it",
                    rrc, want_rrc);
    if (hdr_len != want_len)
        return fail(SSPIX_ERR_INVALID, why, cap, "the SECBUFFER_TOKEN holds %zu bytes; this token's header has %zu",
                    hdr_len, want_len);
    set_info(info, sealed, ec, rrc);
    return 0;
}

static int cfx_mic(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len, char *why, size_t cap)
{
    sspix_reader r;
    uint8_t fl;
    sspix_reader_init(&r, tok, len);
    int rc = cfx_prefix(f, &r, CFX_TOK_MIC, &fl, why, cap);
    if (rc == 0 && len != CFX_HEADER + (size_t)f->cksum)
        rc = SSPIX_ERR_SHORT;
    if (rc == SSPIX_ERR_SHORT)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "a %zu-byte signature; a MIC token of this context (%s) has exactly %u", len,
                    sspix_krb5_enctype_name(f->enctype), (unsigned)(CFX_HEADER + f->cksum));
    return rc;
}

/* ---- RFC 1964 ----------------------------------------------------------------- */

/*
 * The framing and fixed fields of an RFC 1964 token, as far as r holds them.
 * *declared is the DER length (the bytes after it), *after_len the offset
 * where those bytes start, *body the bytes after TOK_ID that the DER length
 * promises (0 while unknown). SSPIX_ERR_SHORT when the bytes present are a
 * correct prefix.
 */
static int v1_prefix(const struct sspix_krb5_format *f, sspix_reader *r, unsigned want, size_t *declared,
                     size_t *after_len, size_t *body, uint16_t *seal_alg, char *why, size_t cap)
{
    uint8_t tag, b, oid_len;
    const uint8_t *oid;
    uint16_t id, sgn, seal, filler;
    *declared = *after_len = *body = 0;
    *seal_alg = V1_NO_SEAL;
    if (sspix_reader_u8(r, &tag) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "an empty token");
    if (tag != 0x60) {
        uint8_t next = 0;
        int have_next = sspix_reader_u8(r, &next) == 0;
        unsigned id2 = (unsigned)tag << 8 | next;
        if (have_next && (id2 == CFX_TOK_MIC || id2 == CFX_TOK_WRAP || id2 == CFX_TOK_DELETE))
            return fail(SSPIX_ERR_INVALID, why, cap, "%s (%02x %02x) on a context whose key (%s) uses RFC 1964 tokens",
                        tok_id_name(id2), tag, next, sspix_krb5_enctype_name(f->enctype));
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "the token starts with 0x%02x, not the GSS framing 0x60 that RFC 1964 tokens of this context (%s) "
                    "carry",
                    tag, sspix_krb5_enctype_name(f->enctype));
    }
    if (sspix_reader_u8(r, &b) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its framing");
    if (b < 0x80) {
        *declared = b;
    } else {
        size_t n = b & 0x7f;
        if (n == 0 || n > 4)
            return fail(SSPIX_ERR_INVALID, why, cap, "framing length of %zu bytes", n);
        for (size_t i = 0; i < n; i++) {
            if (sspix_reader_u8(r, &b) < 0)
                return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its framing");
            *declared = *declared << 8 | b;
        }
    }
    *after_len = sspix_reader_consumed(r);
    if (sspix_reader_u8(r, &b) < 0 || sspix_reader_u8(r, &oid_len) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its framing");
    if (b != 0x06)
        return fail(SSPIX_ERR_INVALID, why, cap, "the framing has tag 0x%02x where the mechanism OID (0x06) belongs",
                    b);
    if (sspix_reader_bytes(r, oid_len, &oid) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its mechanism OID");
    if (!((oid_len == sizeof(oid_krb5) && memcmp(oid, oid_krb5, oid_len) == 0) ||
          (oid_len == sizeof(oid_krb5_ms) && memcmp(oid, oid_krb5_ms, oid_len) == 0) ||
          (oid_len == sizeof(oid_krb5_old) && memcmp(oid, oid_krb5_old, oid_len) == 0)))
        return fail(SSPIX_ERR_INVALID, why, cap, "the framing names a mechanism other than Kerberos");
    size_t framing = sspix_reader_consumed(r) - *after_len;
    if (*declared < framing + 2)
        return fail(SSPIX_ERR_INVALID, why, cap, "framing length %zu is shorter than its own mechanism OID", *declared);
    *body = *declared - framing - 2;
    if (sspix_reader_u16be(r, &id) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends before its token ID");
    if (id != want)
        return fail(SSPIX_ERR_INVALID, why, cap, "token ID %02x %02x is %s; %s needs an RFC 1964 %s token (%02x %02x)",
                    id >> 8, id & 0xff, tok_id_name(id), want == V1_TOK_WRAP ? "DecryptMessage" : "VerifySignature",
                    want == V1_TOK_WRAP ? "wrap" : "MIC", want >> 8, want & 0xff);
    /* SGN_ALG and SEAL_ALG are little-endian (RFC 1964 section 1.2.1). */
    if (sspix_reader_u16le(r, &sgn) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its header");
    if (sgn != f->sgn_alg)
        return fail(SSPIX_ERR_INVALID, why, cap, "SGN_ALG 0x%04x; this context (%s) signs with 0x%04x", sgn,
                    sspix_krb5_enctype_name(f->enctype), f->sgn_alg);
    if (sspix_reader_u16le(r, &seal) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its header");
    if (want == V1_TOK_WRAP && seal != V1_NO_SEAL && seal != f->seal_alg)
        return fail(SSPIX_ERR_INVALID, why, cap, "SEAL_ALG 0x%04x; this context (%s) seals with 0x%04x or not at all",
                    seal, sspix_krb5_enctype_name(f->enctype), f->seal_alg);
    if (want == V1_TOK_MIC && seal != 0xFFFF)
        return fail(SSPIX_ERR_INVALID, why, cap, "filler bytes 4-5 are 0x%04x, not 0xffff", seal);
    *seal_alg = seal;
    if (sspix_reader_u16le(r, &filler) < 0)
        return fail(SSPIX_ERR_SHORT, why, cap, "the token ends in its header");
    if (filler != 0xFFFF)
        return fail(SSPIX_ERR_INVALID, why, cap, "filler bytes 6-7 are 0x%04x, not 0xffff", filler);
    return 0;
}

static int v1_wrap(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len, int stream, size_t body_len,
                   struct sspix_krb5_wrap_info *info, char *why, size_t cap)
{
    sspix_reader r;
    size_t declared, after_len, body;
    uint16_t seal;
    sspix_reader_init(&r, tok, len);
    int rc = v1_prefix(f, &r, V1_TOK_WRAP, &declared, &after_len, &body, &seal, why, cap);
    if (rc == SSPIX_ERR_SHORT && !stream)
        return fail(SSPIX_ERR_INVALID, why, cap, "the SECBUFFER_TOKEN holds %zu bytes, less than a wrap token header",
                    len);
    if (rc < 0)
        return rc;
    /* After TOK_ID: the fixed fields, the checksum and the confounder, then
     * data and padding (RFC 4757: one pad byte for RC4; DES3 pads to 8). */
    size_t fixed = V1_FIXED + (size_t)f->cksum + f->confounder;
    size_t header = sspix_reader_consumed(&r) - 6 + fixed; /* 6 of the fixed bytes were read */
    size_t min = fixed + (stream ? 1 : 0);
    if (body < min)
        return fail(SSPIX_ERR_INVALID, why, cap, "framing length %zu leaves %zu bytes for a token that needs %zu",
                    declared, body, min);
    if (stream) {
        if (declared > len - after_len)
            return fail(SSPIX_ERR_SHORT, why, cap,
                        "the SECBUFFER_STREAM holds %zu bytes; the token says %zu: read the rest of the message", len,
                        after_len + declared);
        if (declared < len - after_len)
            return fail(SSPIX_ERR_INVALID, why, cap, "%zu bytes follow the %zu-byte token in the SECBUFFER_STREAM",
                        len - after_len - declared, after_len + declared);
        body_len = body - fixed;
    } else {
        if (len != header)
            return fail(SSPIX_ERR_INVALID, why, cap, "the SECBUFFER_TOKEN holds %zu bytes; this token's header has %zu",
                        len, header);
        if (body - fixed != body_len)
            return fail(SSPIX_ERR_INVALID, why, cap,
                        "framing length %zu promises %zu bytes of data and padding; the buffers hold %zu", declared,
                        body - fixed, body_len);
    }
    if (f->pad_block > 1 && (body_len + f->confounder) % f->pad_block != 0)
        return fail(SSPIX_ERR_INVALID, why, cap, "%zu bytes of data and padding: %s pads to %u-byte blocks", body_len,
                    sspix_krb5_enctype_name(f->enctype), f->pad_block);
    set_info(info, seal != V1_NO_SEAL, 0, 0);
    return 0;
}

static int v1_mic(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len, char *why, size_t cap)
{
    sspix_reader r;
    size_t declared, after_len, body;
    uint16_t seal;
    sspix_reader_init(&r, tok, len);
    int rc = v1_prefix(f, &r, V1_TOK_MIC, &declared, &after_len, &body, &seal, why, cap);
    (void)body;
    /* SND_SEQ and SGN_CKSUM follow the six fixed bytes read, and end the token. */
    if (rc == 0 && (len != sspix_reader_consumed(&r) + 8 + f->cksum || declared != len - after_len))
        rc = SSPIX_ERR_SHORT;
    if (rc == SSPIX_ERR_SHORT)
        return fail(SSPIX_ERR_INVALID, why, cap,
                    "a %zu-byte signature; a MIC token of this context (%s) has exactly %zu", len,
                    sspix_krb5_enctype_name(f->enctype), sspix_krb5_mic_size(f));
    return rc;
}

/* ---- entry points ------------------------------------------------------------- */

int sspix_krb5_check_wrap_stream(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len,
                                 struct sspix_krb5_wrap_info *info, char *why, size_t cap)
{
    if (cap > 0)
        why[0] = '\0';
    if (f->proto == SSPIX_KRB5_CFX)
        return cfx_wrap_stream(f, tok, len, info, why, cap);
    return v1_wrap(f, tok, len, 1, 0, info, why, cap);
}

int sspix_krb5_check_wrap_split(const struct sspix_krb5_format *f, const uint8_t *hdr, size_t hdr_len, size_t body_len,
                                struct sspix_krb5_wrap_info *info, char *why, size_t cap)
{
    if (cap > 0)
        why[0] = '\0';
    if (f->proto == SSPIX_KRB5_CFX)
        return cfx_wrap_split(f, hdr, hdr_len, info, why, cap);
    return v1_wrap(f, hdr, hdr_len, 0, body_len, info, why, cap);
}

int sspix_krb5_check_mic(const struct sspix_krb5_format *f, const uint8_t *tok, size_t len, char *why, size_t cap)
{
    if (cap > 0)
        why[0] = '\0';
    if (f->proto == SSPIX_KRB5_CFX)
        return cfx_mic(f, tok, len, why, cap);
    return v1_mic(f, tok, len, why, cap);
}
