/* SPDX-License-Identifier: MIT */
/*
 * ctx_blob.c - ExportSecurityContext / ImportSecurityContextA for the GSSAPI
 * packages: the authenticated blob of ctx_blob.h, its encoder and decoder,
 * the export key and the set of nonces already imported.
 *
 * Why a MAC: GSSAPI's import functions (MIT krb5's and gss-ntlmssp's) parse
 * their serialised contexts trusting every length in them; a damaged or
 * forged token reaches heap over-reads, assertions and unbounded
 * allocations. Only blobs this process (or one holding the same key) made
 * get past the MAC, so GSSAPI only ever sees tokens it produced itself.
 */
#include "packages/ctx_blob.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <krb5/krb5.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_internal.h"
#include "packages/gss_status.h"
#include "sspi/status.h"

#define BLOB_MAGIC   "SSPIXCTX"
#define BLOB_VERSION 3u
/* Key usage for the checksum: any value outside RFC 4120's and RFC 4121's. */
#define BLOB_KEY_USAGE 0x53505843
/* Imports remembered for replay detection. */
#define SEEN_MAX 1024u
/* How far the exporter's clock may be ahead of ours (seconds). */
#define CLOCK_SLACK 300
/* gss-ntlmssp's context lifetime: 36 hours from the handshake. */
#define NTLM_MAX_LIFETIME (36 * 3600)

/* ---- key and replay state (one lock) --------------------------------------- */

struct seen {
    uint8_t nonce[SSPIX_CTX_BLOB_NONCE];
    uint64_t exported_ns;
};

static pthread_mutex_t blob_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t process_key[SSPIX_CTX_BLOB_KEY_BYTES];
static int process_key_ok;
static uint8_t caller_key[SSPIX_CTX_BLOB_KEY_BYTES];
static int caller_key_set;
static struct seen *seen;
static size_t seen_n, seen_next;
/* Export time of the newest nonce forgotten to make room: an older blob can
 * no longer be told apart from a replay and is refused. */
static uint64_t seen_floor;

/* At load time, so that every process forked from this one later shares the
 * key. Never blocks a program's start: if the kernel's pool is not ready yet
 * (early boot), the key is made at the first export or import instead. */
__attribute__((constructor)) static void make_process_key(void)
{
    process_key_ok = getrandom(process_key, sizeof(process_key), GRND_NONBLOCK) == (ssize_t)sizeof(process_key);
}

SECURITY_STATUS sspix_ctx_blob_set_key(const void *key, size_t len)
{
    if (key == NULL && len == 0) {
        pthread_mutex_lock(&blob_lock);
        explicit_bzero(caller_key, sizeof(caller_key));
        caller_key_set = 0;
        pthread_mutex_unlock(&blob_lock);
        return SEC_E_OK;
    }
    if (key == NULL || len != SSPIX_CTX_BLOB_KEY_BYTES)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "the context export key must be %u bytes (got %zu%s)",
                          SSPIX_CTX_BLOB_KEY_BYTES, len, key == NULL ? ", NULL" : "");
    pthread_mutex_lock(&blob_lock);
    memcpy(caller_key, key, SSPIX_CTX_BLOB_KEY_BYTES);
    caller_key_set = 1;
    pthread_mutex_unlock(&blob_lock);
    return SEC_E_OK;
}

/* Caller holds blob_lock. */
static SECURITY_STATUS key_locked(krb5_keyblock *kb)
{
    if (!caller_key_set && !process_key_ok) {
        if (getrandom(process_key, sizeof(process_key), 0) != (ssize_t)sizeof(process_key))
            return sspix_fail(SEC_E_INTERNAL_ERROR, "no random bytes for the context export key (getrandom)");
        process_key_ok = 1;
    }
    kb->magic = KV5M_KEYBLOCK;
    kb->enctype = ENCTYPE_AES256_CTS_HMAC_SHA384_192;
    kb->length = SSPIX_CTX_BLOB_KEY_BYTES;
    kb->contents = caller_key_set ? caller_key : process_key;
    return SEC_E_OK;
}

/*
 * The MAC of data[0, len): computed into mac (expect NULL), or compared with
 * expect in constant time (mac NULL); SEC_E_INVALID_TOKEN when it differs.
 * MIT's checksum functions use no library context (none is read from
 * krb5.conf, none is shared between threads).
 */
static SECURITY_STATUS mac_op(const uint8_t *data, size_t len, uint8_t *mac, const uint8_t *expect)
{
    krb5_keyblock kb;
    krb5_data in = {KV5M_DATA, (unsigned int)len, (char *)data};
    krb5_checksum ck = {0};
    krb5_error_code code;
    krb5_boolean valid = 0;
    uint8_t copy[SSPIX_CTX_BLOB_MAC];
    SECURITY_STATUS st;

    pthread_mutex_lock(&blob_lock);
    if ((st = key_locked(&kb)) != SEC_E_OK) {
        pthread_mutex_unlock(&blob_lock);
        return st;
    }
    if (expect != NULL) {
        memcpy(copy, expect, sizeof(copy));
        ck.magic = KV5M_CHECKSUM;
        ck.checksum_type = CKSUMTYPE_HMAC_SHA384_192_AES256;
        ck.length = sizeof(copy);
        ck.contents = copy;
        code = krb5_c_verify_checksum(NULL, &kb, BLOB_KEY_USAGE, &in, &ck, &valid);
    } else {
        code = krb5_c_make_checksum(NULL, CKSUMTYPE_HMAC_SHA384_192_AES256, &kb, BLOB_KEY_USAGE, &in, &ck);
    }
    pthread_mutex_unlock(&blob_lock);
    if (code != 0)
        return sspix_fail(SEC_E_INTERNAL_ERROR, "the packed context's MAC (HMAC-SHA-384-192): krb5 error %ld",
                          (long)code);
    if (expect != NULL)
        return valid ? SEC_E_OK : SEC_E_INVALID_TOKEN;
    if (ck.length != SSPIX_CTX_BLOB_MAC) {
        krb5_free_checksum_contents(NULL, &ck);
        return sspix_fail(SEC_E_INTERNAL_ERROR, "unexpected MAC size %u", ck.length);
    }
    memcpy(mac, ck.contents, SSPIX_CTX_BLOB_MAC);
    krb5_free_checksum_contents(NULL, &ck);
    return SEC_E_OK;
}

SECURITY_STATUS sspix_ctx_blob_seal(uint8_t *blob, size_t body_len)
{
    return mac_op(blob, body_len, blob + body_len, NULL);
}

/* Records the nonce, or refuses a replayed or unverifiable one. */
static SECURITY_STATUS remember_import(const struct sspix_ctx_blob *b)
{
    SECURITY_STATUS st = SEC_E_OK;
    pthread_mutex_lock(&blob_lock);
    if (seen == NULL && (seen = calloc(SEEN_MAX, sizeof(*seen))) == NULL) {
        pthread_mutex_unlock(&blob_lock);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    if (b->exported_ns <= seen_floor) {
        st = sspix_fail(SEC_E_INVALID_TOKEN,
                        "the packed context is older than every import this process still "
                        "remembers (%u): it cannot be told from a replay; export it again",
                        SEEN_MAX);
        goto out;
    }
    for (size_t i = 0; i < seen_n; i++)
        if (memcmp(seen[i].nonce, b->nonce, SSPIX_CTX_BLOB_NONCE) == 0) {
            st = sspix_fail(SEC_E_INVALID_TOKEN, "this packed context was already imported in this process: a "
                                                 "context can be imported once");
            goto out;
        }
    if (seen_n == SEEN_MAX && seen[seen_next].exported_ns > seen_floor)
        seen_floor = seen[seen_next].exported_ns;
    memcpy(seen[seen_next].nonce, b->nonce, SSPIX_CTX_BLOB_NONCE);
    seen[seen_next].exported_ns = b->exported_ns;
    seen_next = (seen_next + 1) % SEEN_MAX;
    if (seen_n < SEEN_MAX)
        seen_n++;
out:
    pthread_mutex_unlock(&blob_lock);
    return st;
}

void sspix_ctx_blob_forget_imports(void)
{
    pthread_mutex_lock(&blob_lock);
    seen_n = seen_next = 0;
    seen_floor = 0;
    pthread_mutex_unlock(&blob_lock);
}

/* ---- encoding ------------------------------------------------------------------ */

static int put_u64(sspix_writer *w, uint64_t v)
{
    GUARD(sspix_writer_put_u32be(w, (uint32_t)(v >> 32)));
    return sspix_writer_put_u32be(w, (uint32_t)v);
}

static int get_u64(sspix_reader *r, uint64_t *v)
{
    uint32_t hi, lo;
    GUARD(sspix_reader_u32be(r, &hi));
    GUARD(sspix_reader_u32be(r, &lo));
    *v = (uint64_t)hi << 32 | lo;
    return 0;
}

int sspix_ctx_blob_encode(sspix_writer *w, const struct sspix_ctx_blob *b)
{
    GUARD(sspix_writer_put_bytes(w, BLOB_MAGIC, 8));
    GUARD(sspix_writer_put_u32be(w, BLOB_VERSION));
    GUARD(sspix_writer_put_bytes(w, b->nonce, SSPIX_CTX_BLOB_NONCE));
    GUARD(put_u64(w, b->exported_ns));
    GUARD(sspix_writer_put_u32be(w, b->package));
    GUARD(sspix_writer_put_u32be(w, b->role));
    GUARD(put_u64(w, (uint64_t)b->start));
    GUARD(put_u64(w, (uint64_t)b->expiry));
    GUARD(sspix_writer_put_u8(w, b->mech_len));
    GUARD(sspix_writer_put_bytes(w, b->mech, b->mech_len));
    GUARD(sspix_writer_put_u32be(w, b->token_len));
    GUARD(sspix_writer_put_bytes(w, b->token, b->token_len));
    GUARD(sspix_writer_put_u16be(w, b->protect_len));
    return sspix_writer_put_bytes(w, b->protect, b->protect_len);
}

size_t sspix_ctx_blob_body_len(const struct sspix_ctx_blob *b)
{
    return SSPIX_CTX_BLOB_FIXED + b->mech_len + 4u + b->token_len + 2u + b->protect_len;
}

#define BAD(why) sspix_fail(SEC_E_INVALID_TOKEN, "the packed context is malformed: %s", why)

SECURITY_STATUS sspix_ctx_blob_decode(const uint8_t *body, size_t len, struct sspix_ctx_blob *out)
{
    sspix_reader r;
    const uint8_t *p;
    uint32_t version;
    uint64_t start, expiry;
    size_t n;

    memset(out, 0, sizeof(*out));
    sspix_reader_init(&r, body, len);
    if (sspix_reader_bytes(&r, 8, &p) < 0 || memcmp(p, BLOB_MAGIC, 8) != 0)
        return BAD("wrong magic");
    if (sspix_reader_u32be(&r, &version) < 0 || version != BLOB_VERSION)
        return BAD("unknown version");
    if (sspix_reader_bytes(&r, SSPIX_CTX_BLOB_NONCE, &p) < 0 || get_u64(&r, &out->exported_ns) < 0 ||
        sspix_reader_u32be(&r, &out->package) < 0 || sspix_reader_u32be(&r, &out->role) < 0 ||
        get_u64(&r, &start) < 0 || get_u64(&r, &expiry) < 0)
        return BAD("truncated");
    memcpy(out->nonce, p, SSPIX_CTX_BLOB_NONCE);
    out->start = (int64_t)start;
    out->expiry = (int64_t)expiry;
    if (out->package >= SSPIX_PKG_COUNT)
        return BAD("unknown package");
    if (out->role > 2)
        return BAD("unknown role");
    if (out->start < 0 || out->expiry < out->start)
        return BAD("times out of range");
    if (sspix_reader_prefixed(&r, SSPIX_PREFIX_U8, SSPIX_CTX_BLOB_MAX_MECH, &out->mech, &n) < 0 || n == 0)
        return BAD("bad mechanism");
    out->mech_len = (uint8_t)n;
    if (sspix_known_mech(out->mech, out->mech_len) == GSS_C_NO_OID)
        return BAD("unknown mechanism");
    if (sspix_reader_prefixed(&r, SSPIX_PREFIX_U32BE, SSPIX_CTX_BLOB_MAX_TOKEN, &out->token, &n) < 0 || n == 0)
        return BAD("bad context token length");
    out->token_len = (uint32_t)n;
    if (sspix_reader_prefixed(&r, SSPIX_PREFIX_U16BE, SSPIX_CTX_BLOB_MAX_PROTECT, &out->protect, &n) < 0)
        return BAD("bad protection state length");
    out->protect_len = (uint16_t)n;
    if (out->protect_len == 0)
        out->protect = NULL;
    if (sspix_reader_left(&r) != 0)
        return BAD("trailing bytes");
    if (out->role == 2 && (out->protect_len == 0 || sspix_known_mech(out->mech, out->mech_len) != &sspix_oid_krb5))
        return BAD("a native Kerberos context without Kerberos message protection");
    return SEC_E_OK;
}

/* ---- the native Kerberos acceptor's contexts ------------------------------------ */

/* Role 2's token: u32 GSS flags | u16 length | client principal | u16 length |
 * server principal | i32 enctype | u8 length (1..32) | the SSPI session key. */
#define NATIVE_NAME_MAX  4096u
#define NATIVE_TOKEN_MAX (4u + 2u + NATIVE_NAME_MAX + 2u + NATIVE_NAME_MAX + 4u + 1u + 32u)

static int native_token(const struct sspix_gss_ctx *c, sspix_writer *w)
{
    size_t cl = strlen(c->client_name), sl = strlen(c->server_name);
    ENSURE(cl <= NATIVE_NAME_MAX && sl <= NATIVE_NAME_MAX && c->native_key_len > 0 &&
               c->native_key_len <= sizeof(c->native_key),
           SSPIX_ERR_INVALID);
    GUARD(sspix_writer_put_u32be(w, c->gss_flags));
    GUARD(sspix_writer_put_u16be(w, (uint16_t)cl));
    GUARD(sspix_writer_put_bytes(w, c->client_name, cl));
    GUARD(sspix_writer_put_u16be(w, (uint16_t)sl));
    GUARD(sspix_writer_put_bytes(w, c->server_name, sl));
    GUARD(sspix_writer_put_u32be(w, (uint32_t)c->native_enctype));
    GUARD(sspix_writer_put_u8(w, (uint8_t)c->native_key_len));
    return sspix_writer_put_bytes(w, c->native_key, c->native_key_len);
}

static SECURITY_STATUS native_from_token(struct sspix_gss_ctx *c, const struct sspix_ctx_blob *b)
{
    sspix_reader r;
    uint32_t flags, enctype;
    uint8_t klen;
    const uint8_t *cl, *sl, *key;
    size_t cn, sn;
    sspix_reader_init(&r, b->token, b->token_len);
    if (sspix_reader_u32be(&r, &flags) < 0 ||
        sspix_reader_prefixed(&r, SSPIX_PREFIX_U16BE, NATIVE_NAME_MAX, &cl, &cn) < 0 || cn == 0 ||
        sspix_reader_prefixed(&r, SSPIX_PREFIX_U16BE, NATIVE_NAME_MAX, &sl, &sn) < 0 || sn == 0 ||
        sspix_reader_u32be(&r, &enctype) < 0 || sspix_reader_u8(&r, &klen) < 0 || klen == 0 ||
        klen > sizeof(c->native_key) || sspix_reader_bytes(&r, klen, &key) < 0 || sspix_reader_left(&r) != 0 ||
        memchr(cl, 0, cn) != NULL || memchr(sl, 0, sn) != NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed Kerberos context is malformed");
    if ((c->client_name = sspix_dup_bytes(cl, cn)) == NULL || (c->server_name = sspix_dup_bytes(sl, sn)) == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->native = 1;
    c->server = 1;
    c->native_enctype = (int32_t)enctype;
    c->native_key_len = klen;
    memcpy(c->native_key, key, klen);
    /* A delegated credential does not travel in the blob. */
    c->gss_flags = flags & ~(uint32_t)GSS_C_DELEG_FLAG;
    c->attrs = sspix_gss_to_attrs(c->gss_flags, 1, 1);
    if (sspix_krb5_format_init(&c->krb5, c->native_enctype, 0, (c->gss_flags & GSS_C_MUTUAL_FLAG) != 0) < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed Kerberos context names an unknown enctype");
    c->krb5_known = 1;
    int64_t now = (int64_t)time(NULL);
    if (b->start > now + CLOCK_SLACK)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed context starts in the future");
    if (b->expiry <= now)
        return sspix_fail(SEC_E_CONTEXT_EXPIRED, "the imported context has expired");
    c->start = b->start;
    c->expiry = b->expiry;
    c->established = 1;
    return SEC_E_OK;
}

/* ---- export -------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wipes the exported token and releases it: GSSAPI's is GSSAPI's to free; a
 * native context's lives on the exporter's stack. */
static void drop_token(gss_buffer_t tok, int native)
{
    OM_uint32 minor;
    explicit_bzero(tok->value, tok->length);
    if (!native)
        gss_release_buffer(&minor, tok);
}

SECURITY_STATUS sspix_ctx_export(void *p, uint8_t **blob, size_t *len)
{
    struct sspix_gss_ctx *c = p;
    struct sspix_ctx_blob b = {0};
    OM_uint32 major, minor;
    gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
    sspix_writer w;
    SECURITY_STATUS st;

    if (c->exported)
        return sspix_fail(SEC_E_NO_CONTEXT, "the context was exported already: export the imported one");
    if (!c->established || (c->ctx == GSS_C_NO_CONTEXT && !c->native))
        return sspix_fail(SEC_E_NO_CONTEXT, "only a complete context can be exported");
    if (c->mech == GSS_C_NO_OID || c->mech->length == 0 || c->mech->length > SSPIX_CTX_BLOB_MAX_MECH)
        return sspix_fail(SEC_E_INTERNAL_ERROR, "the context's mechanism is unknown");
    if (getrandom(b.nonce, sizeof(b.nonce), GRND_NONBLOCK) != (ssize_t)sizeof(b.nonce))
        return sspix_fail(SEC_E_INTERNAL_ERROR, "no random bytes for the packed context's nonce (getrandom)");
    /* Role 2 (no GSSAPI context): sspix's own token, beside rfc4121.c's
     * state, made now if no message has made it yet. */
    uint8_t native_tok[NATIVE_TOKEN_MAX];
    size_t native_len = 0;
    if (c->native) {
        SEC_GUARD(sspix_krb5_adopt_rfc4121(c));
        sspix_writer nw;
        sspix_writer_init_fixed(&nw, native_tok, sizeof(native_tok));
        int nrc = native_token(c, &nw);
        native_len = sspix_writer_len(&nw);
        if (nrc < 0) {
            explicit_bzero(native_tok, native_len);
            return sspix_fail(SEC_E_INTERNAL_ERROR, "serialising the Kerberos context failed");
        }
        tok.value = native_tok;
        tok.length = native_len;
    } else {
        major = gss_export_sec_context(&minor, &c->ctx, &tok);
        if (GSS_ERROR(major))
            return sspix_gss_fail("exporting the context", major, minor, c->mech);
    }
    /* GSSAPI has deleted the context; so is this one now, except for its handle. */
    c->established = 0;
    c->ctx = GSS_C_NO_CONTEXT;
    c->exported = 1;
    if (tok.length == 0 || tok.length > SSPIX_CTX_BLOB_MAX_TOKEN) {
        drop_token(&tok, c->native);
        return sspix_fail(SEC_E_INTERNAL_ERROR, "the exported context has %zu bytes, more than %u", tok.length,
                          SSPIX_CTX_BLOB_MAX_TOKEN);
    }
    b.exported_ns = now_ns();
    b.package = (uint32_t)c->pkg->id;
    b.role = c->native ? 2u : c->server ? 1u : 0u;
    b.start = c->start < 0 ? 0 : c->start;
    b.expiry = c->expiry < b.start ? b.start : c->expiry;
    b.mech = c->mech->elements;
    b.mech_len = (uint8_t)c->mech->length;
    b.token = tok.value;
    b.token_len = (uint32_t)tok.length;
    /* Messages protected by rfc4121.c: its keys and sequence numbers, which
     * the GSSAPI token (a copy made before the first message) lacks. */
    uint8_t protect[SSPIX_CTX_BLOB_MAX_PROTECT];
    if (c->r4 != NULL) {
        sspix_writer pw;
        sspix_writer_init_fixed(&pw, protect, sizeof(protect));
        int prc = sspix_rfc4121_export(c->r4, &pw);
        sspix_rfc4121_free(c->r4);
        c->r4 = NULL;
        if (prc < 0) {
            explicit_bzero(protect, sizeof(protect));
            drop_token(&tok, c->native);
            return sspix_fail(SEC_E_INTERNAL_ERROR, "serialising the context's message protection failed");
        }
        b.protect = protect;
        b.protect_len = (uint16_t)sspix_writer_len(&pw);
    }

    /* One exact allocation: no stray copies of the keys in freed memory. */
    size_t body = sspix_ctx_blob_body_len(&b), total = body + SSPIX_CTX_BLOB_MAC;
    uint8_t *out = malloc(total);
    st = SEC_E_INSUFFICIENT_MEMORY;
    if (out != NULL) {
        sspix_writer_init_fixed(&w, out, total);
        if (sspix_ctx_blob_encode(&w, &b) == 0 && sspix_writer_len(&w) == body)
            st = sspix_ctx_blob_seal(out, body);
        else
            st = sspix_fail(SEC_E_INTERNAL_ERROR, "serialising the context failed");
    } else {
        sspix_fail(st, "out of memory serialising the context");
    }
    drop_token(&tok, c->native);
    explicit_bzero(protect, sizeof(protect));
    if (st != SEC_E_OK) {
        if (out != NULL) {
            explicit_bzero(out, total);
            free(out);
        }
        return st;
    }
    *blob = out;
    *len = total;
    return SEC_E_OK;
}

/* ---- import -------------------------------------------------------------------- */

/* What GSSAPI says about the rebuilt context replaces what the blob said. */
static SECURITY_STATUS rederive(struct sspix_gss_ctx *c, const struct sspix_ctx_blob *b)
{
    OM_uint32 major, minor, lifetime = 0, flags = 0;
    gss_OID actual = GSS_C_NO_OID;
    int local = 0, open = 0;
    int64_t now = (int64_t)time(NULL);

    major = gss_inquire_context(&minor, c->ctx, NULL, NULL, &lifetime, &actual, &flags, &local, &open);
    if (GSS_ERROR(major))
        return sspix_gss_fail("inquiring the imported context", major, minor, c->mech);
    if (!open)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the imported context is not complete");
    if (actual != GSS_C_NO_OID && sspix_known_mech(actual->elements, actual->length) != GSS_C_NO_OID)
        c->mech = sspix_known_mech(actual->elements, actual->length);
    c->server = !local;
    if ((uint32_t)c->server != b->role)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed context says %s, GSSAPI says %s",
                          b->role ? "server" : "client", c->server ? "server" : "client");
    /* NTLM never authenticates the server, whatever gss-ntlmssp reports. */
    if (sspix_mech_is_ntlm(c->mech) || c->pkg->id == SSPIX_PKG_NTLM)
        flags &= ~(OM_uint32)GSS_C_MUTUAL_FLAG;
    /* A delegated credential does not travel in the blob: the imported context has none to offer. */
    if (c->server)
        flags &= ~(OM_uint32)GSS_C_DELEG_FLAG;
    c->gss_flags = flags;
    c->attrs = sspix_gss_to_attrs(flags, c->server, 1);
    c->established = 1;

    int64_t gss_end;
    if (sspix_mech_is_ntlm(c->mech)) {
        /* gss-ntlmssp (1.2) reports a lifetime of 0 for every live context
         * (its comparison is inverted) and enforces the expiry itself on
         * each message; bound the blob's claim by NTLM's own maximum. */
        gss_end = now + NTLM_MAX_LIFETIME;
    } else {
        if (lifetime == 0)
            return sspix_fail(SEC_E_CONTEXT_EXPIRED, "the imported context has expired");
        gss_end = lifetime == GSS_C_INDEFINITE ? INT64_MAX : now + (int64_t)lifetime;
    }
    if (b->start > now + CLOCK_SLACK)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed context starts in the future");
    c->start = b->start;
    c->expiry = b->expiry < gss_end ? b->expiry : gss_end;
    return SEC_E_OK;
}

SECURITY_STATUS sspix_ctx_import(const struct sspix_package *pkg, const uint8_t *blob, size_t len, void **out)
{
    struct sspix_ctx_blob b;
    SECURITY_STATUS st;
    OM_uint32 major, minor;

    SEC_ENSURE(len >= SSPIX_CTX_BLOB_MIN && len <= SSPIX_CTX_BLOB_MAX, SEC_E_INVALID_TOKEN,
               "a packed context has %u to %u bytes, not %zu", SSPIX_CTX_BLOB_MIN, SSPIX_CTX_BLOB_MAX, len);
    size_t body = len - SSPIX_CTX_BLOB_MAC;
    st = mac_op(blob, body, NULL, blob + body);
    SEC_ENSURE(st != SEC_E_INVALID_TOKEN, st,
               "the packed context is damaged, or was exported under another key: its MAC does not verify "
               "(processes that are not forked from one another must share a key set with "
               "sspix_set_context_export_key)");
    SEC_GUARD(st);
    SEC_GUARD(sspix_ctx_blob_decode(blob, body, &b));
    SEC_ENSURE(b.package == (uint32_t)pkg->id, SEC_E_SECPKG_NOT_FOUND,
               "the context was exported by another package, not %s", pkg->name);
    SEC_GUARD(remember_import(&b));

    struct sspix_gss_ctx *c = calloc(1, sizeof(*c));
    SEC_ENSURE(c != NULL, SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    c->mech = sspix_known_mech(b.mech, b.mech_len);
    if (b.role == 2) {
        sspix_reader pr;
        const char *why = NULL;
        sspix_reader_init(&pr, b.protect, b.protect_len);
        if ((st = native_from_token(c, &b)) == SEC_E_OK &&
            (sspix_rfc4121_import(&pr, &c->r4, &why) < 0 || sspix_reader_left(&pr) != 0))
            st = sspix_fail(SEC_E_INVALID_TOKEN, "the packed context's message protection state is malformed%s%s",
                            why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
        if (st != SEC_E_OK) {
            sspix_gss_delete_ctx(c);
            return st;
        }
        *out = c;
        return SEC_E_OK;
    }
    gss_buffer_desc tok = {b.token_len, (void *)b.token};
    major = gss_import_sec_context(&minor, &tok, &c->ctx);
    if (GSS_ERROR(major)) {
        free(c);
        st = sspix_gss_fail("importing the context", major, minor, sspix_known_mech(b.mech, b.mech_len));
        return sspix_fail_more(st == SEC_E_INTERNAL_ERROR ? SEC_E_INVALID_TOKEN : st,
                               "GSSAPI refused a context it exported: another library version?");
    }
    if ((st = rederive(c, &b)) == SEC_E_OK && b.protect_len > 0) {
        /* Its messages were protected by rfc4121.c: they go on there. */
        sspix_reader pr;
        const char *why = NULL;
        sspix_reader_init(&pr, b.protect, b.protect_len);
        if (sspix_mech_is_ntlm(c->mech) || sspix_rfc4121_import(&pr, &c->r4, &why) < 0 || sspix_reader_left(&pr) != 0)
            st = sspix_fail(SEC_E_INVALID_TOKEN, "the packed context's message protection state is malformed%s%s",
                            why != NULL && why[0] ? ": " : "", why != NULL ? why : "");
    }
    if (st != SEC_E_OK) {
        sspix_rfc4121_free(c->r4);
        gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
        free(c);
        return st;
    }
    *out = c;
    return SEC_E_OK;
}
