/* SPDX-License-Identifier: MIT */
/*
 * test_rfc4121_mit.c - RFC 4121 tokens of src/packages/rfc4121.c against MIT
 * GSSAPI on real contexts of the test realm.
 *
 * Each handshake's context on one side is exported (gss_export_sec_context)
 * and imported twice: one copy is turned into an rfc4121 context through
 * gss_krb5_export_lucid_sec_context, the other stays a raw MIT context with
 * the same keys, role and sequence state (the twin, the oracle for refusals).
 * The peer side stays MIT. Both directions are tested by doing this once with
 * the initiator exported and once with the acceptor.
 *
 *   rfc4121 wrap -> MIT gss_unwrap (one token) and gss_unwrap_iov (HEADER|DATA)
 *   MIT gss_wrap -> rfc4121 STREAM; MIT gss_wrap_iov (HEADER|DATA, RRC = the
 *   trailer) -> rfc4121 HEADER|DATA; get_mic <-> gss_verify_mic / gss_get_mic
 *   sizes 0..4096 every one, random sizes to 1 MiB, conf and integrity only;
 *   every bit flip and every truncation of a token: the same major status as
 *   the MIT twin gives for the same bytes; replays and reordering: the same.
 *
 * Enctypes: aes256-cts-hmac-sha1-96 (host/localhost, with and without mutual
 * authentication, so with and without an acceptor subkey), aes128-cts-hmac-
 * sha1-96 (the initiator limited to it), aes256-cts-hmac-sha384-192 (sha2svc,
 * the initiator limited to it), and aes128-cts-hmac-sha256-128 as the
 * acceptor subkey negotiated when both ends prefer it over the sha2svc
 * ticket's aes256-sha384 session key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

#include "common/check.h"
#include "packages/rfc4121.h"

#define IOV(t, p, l) ((gss_iov_buffer_desc){(t), {(l), (p)}})

static void gss_check(OM_uint32 major, const OM_uint32 *minorp, const char *what)
{
    OM_uint32 minor = *minorp;
    if (!GSS_ERROR(major))
        return;
    OM_uint32 m2, ctx = 0;
    gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;
    gss_display_status(&m2, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx, &msg);
    fprintf(stderr, "%s failed: major 0x%x minor %u (%.*s)\n", what, major, minor, (int)msg.length,
            (const char *)msg.value);
    gss_release_buffer(&m2, &msg);
    exit(1);
}

struct config {
    const char *service;
    krb5_enctype init_enctypes[3];
    krb5_enctype acc_enctypes[3];
    int no_mutual; /* no AP-REP: no acceptor subkey, both ends use the initiator's key */
};

/* An established pair of MIT contexts. */
static void establish(const struct config *c, gss_ctx_id_t *ictx, gss_ctx_id_t *actx, OM_uint32 *iflags,
                      OM_uint32 *aflags)
{
    OM_uint32 maj, min;
    gss_name_t target;
    gss_buffer_desc nb = {strlen(c->service), (void *)c->service};
    gss_check(gss_import_name(&min, &nb, GSS_C_NT_HOSTBASED_SERVICE, &target), &min, "gss_import_name");
    gss_cred_id_t icred, acred;
    gss_OID_set_desc krb5_only = {1, (gss_OID)gss_mech_krb5};
    gss_check(gss_acquire_cred(&min, GSS_C_NO_NAME, 0, &krb5_only, GSS_C_INITIATE, &icred, NULL, NULL), &min,
              "gss_acquire_cred(initiate)");
    gss_check(gss_acquire_cred(&min, GSS_C_NO_NAME, 0, &krb5_only, GSS_C_ACCEPT, &acred, NULL, NULL), &min,
              "gss_acquire_cred(accept)");
    OM_uint32 n = 0;
    while (c->init_enctypes[n] != 0)
        n++;
    if (n > 0)
        gss_check(gss_krb5_set_allowable_enctypes(&min, icred, n, (krb5_enctype *)c->init_enctypes), &min,
                  "gss_krb5_set_allowable_enctypes(initiator)");
    n = 0;
    while (c->acc_enctypes[n] != 0)
        n++;
    if (n > 0)
        gss_check(gss_krb5_set_allowable_enctypes(&min, acred, n, (krb5_enctype *)c->acc_enctypes), &min,
                  "gss_krb5_set_allowable_enctypes(acceptor)");
    *ictx = *actx = GSS_C_NO_CONTEXT;
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER, back = GSS_C_EMPTY_BUFFER;
    OM_uint32 req = (c->no_mutual ? 0 : GSS_C_MUTUAL_FLAG) | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG |
                    GSS_C_INTEG_FLAG;
    for (int round = 0;; round++) {
        CHECK(round < 5);
        maj = gss_init_sec_context(&min, icred, ictx, target, (gss_OID)gss_mech_krb5, req, 0, NULL, &in, NULL, &out,
                                   iflags, NULL);
        gss_check(maj, &min, "gss_init_sec_context");
        gss_release_buffer(&min, &back);
        in = (gss_buffer_desc)GSS_C_EMPTY_BUFFER;
        if (out.length == 0)
            break;
        OM_uint32 amaj = gss_accept_sec_context(&min, actx, acred, &out, NULL, NULL, NULL, &back, aflags, NULL, NULL);
        gss_check(amaj, &min, "gss_accept_sec_context");
        gss_release_buffer(&min, &out);
        if (maj == GSS_S_COMPLETE)
            break;
        in = back;
    }
    gss_release_buffer(&min, &back);
    gss_release_cred(&min, &icred);
    gss_release_cred(&min, &acred);
    gss_release_name(&min, &target);
}

/* Two MIT copies of ctx (which is consumed). */
static void twin(gss_ctx_id_t *ctx, gss_ctx_id_t *a, gss_ctx_id_t *b)
{
    OM_uint32 min;
    gss_buffer_desc tok;
    gss_check(gss_export_sec_context(&min, ctx, &tok), &min, "gss_export_sec_context");
    gss_check(gss_import_sec_context(&min, &tok, a), &min, "gss_import_sec_context");
    gss_check(gss_import_sec_context(&min, &tok, b), &min, "gss_import_sec_context");
    gss_release_buffer(&min, &tok);
}

/* The rfc4121 context of ctx (which the lucid export deletes). */
static sspix_rfc4121 *from_lucid(gss_ctx_id_t *ctx, OM_uint32 flags, int32_t *ctx_enctype, int32_t *sub_enctype)
{
    OM_uint32 min;
    void *lp = NULL;
    gss_check(gss_krb5_export_lucid_sec_context(&min, ctx, 1, &lp), &min, "gss_krb5_export_lucid_sec_context");
    gss_krb5_lucid_context_v1_t *l = lp;
    CHECK_EQ_INT(l->protocol, 1);
    struct sspix_rfc4121_params p = {
        .initiator = (int)l->initiate,
        .send_seq = l->send_seq,
        .recv_seq = l->recv_seq,
        .have_acceptor_subkey = (int)l->cfx_kd.have_acceptor_subkey,
        .ctx_key = {(int32_t)l->cfx_kd.ctx_key.type, l->cfx_kd.ctx_key.data, l->cfx_kd.ctx_key.length},
        .acceptor_subkey = {(int32_t)l->cfx_kd.acceptor_subkey.type, l->cfx_kd.acceptor_subkey.data,
                            l->cfx_kd.acceptor_subkey.length},
        .gss_flags = flags,
    };
    *ctx_enctype = p.ctx_key.enctype;
    *sub_enctype = p.have_acceptor_subkey ? p.acceptor_subkey.enctype : 0;
    sspix_rfc4121 *r = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(sspix_rfc4121_new(&p, &r, &why), 0);
    gss_krb5_free_lucid_sec_context(&min, lp);
    return r;
}

/* One end as rfc4121 (r) with its MIT twin, and the MIT peer. */
struct end {
    sspix_rfc4121 *r;
    gss_ctx_id_t twin, peer;
    const char *name;
};

static uint8_t *msg, *buf, *buf2;
static size_t counts[8];
enum { N_SEAL_TO_MIT, N_MIT_TO_SEAL, N_MIC, N_FLIPS, N_CUTS, N_SAME_REFUSAL };

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed * 7u) ^ (i >> 8));
}

/* rfc4121 wraps as one token (HEADER|DATA|TRAILER adjacent); MIT gss_unwrap. */
static void r_to_mit_stream(struct end *e, int conf, size_t len)
{
    OM_uint32 min;
    size_t h = sspix_rfc4121_header_len(e->r, conf), t = sspix_rfc4121_trailer_len(e->r, conf);
    memcpy(buf + h, msg, len);
    gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, buf, h), IOV(GSS_IOV_BUFFER_TYPE_DATA, buf + h, len),
                                  IOV(GSS_IOV_BUFFER_TYPE_TRAILER, buf + h + len, t)};
    CHECK_EQ_INT(sspix_rfc4121_wrap(e->r, conf, 0, NULL, iov, 3), GSS_S_COMPLETE);
    gss_buffer_desc in = {h + len + t, buf}, out = GSS_C_EMPTY_BUFFER;
    int cs = -1;
    if (len == 0 && !conf) {
        /* MIT 1.20's gss_unwrap loses the empty message of an integrity-only
         * token (a leak under LeakSanitizer): its STREAM form instead. */
        gss_iov_buffer_desc s[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf, h + len + t),
                                    IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
        gss_check(gss_unwrap_iov(&min, e->peer, &cs, NULL, s, 2), &min, "gss_unwrap_iov of an rfc4121 token");
        CHECK_EQ_INT(s[1].buffer.length, 0);
    } else {
        gss_check(gss_unwrap(&min, e->peer, &in, &out, &cs, NULL), &min, "gss_unwrap of an rfc4121 token");
        CHECK_EQ_INT(out.length, len);
        CHECK(len == 0 || memcmp(out.value, msg, len) == 0);
        gss_release_buffer(&min, &out);
    }
    CHECK_EQ_INT(cs, conf);
    counts[N_SEAL_TO_MIT]++;
}

/* rfc4121 wraps in the Windows layout (HEADER with the rotated trailer | DATA); MIT gss_unwrap_iov. */
static void r_to_mit_split(struct end *e, int conf, size_t len)
{
    OM_uint32 min;
    uint8_t hdr[128];
    memcpy(buf, msg, len);
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, sizeof(hdr)),
                                  IOV(GSS_IOV_BUFFER_TYPE_DATA, buf, len)};
    CHECK_EQ_INT(sspix_rfc4121_wrap(e->r, conf, 0, NULL, iov, 2), GSS_S_COMPLETE);
    int cs = -1;
    gss_check(gss_unwrap_iov(&min, e->peer, &cs, NULL, iov, 2), &min, "gss_unwrap_iov of an rfc4121 token");
    CHECK(len == 0 || memcmp(buf, msg, len) == 0);
    counts[N_SEAL_TO_MIT]++;
}

/* MIT gss_wrap -> rfc4121 STREAM. */
static void mit_to_r_stream(struct end *e, int conf, size_t len)
{
    OM_uint32 min;
    gss_buffer_desc in = {len, msg}, out = GSS_C_EMPTY_BUFFER;
    gss_check(gss_wrap(&min, e->peer, conf, 0, &in, NULL, &out), &min, "gss_wrap");
    memcpy(buf, out.value, out.length);
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf, out.length),
                                  IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
    int cs = -1;
    OM_uint32 m = sspix_rfc4121_unwrap(e->r, &cs, NULL, iov, 2);
    if (m != GSS_S_COMPLETE)
        fprintf(stderr, "%s: stream unwrap of MIT's %zu-byte token (conf %d): 0x%x %s\n", e->name, len, conf, m,
                sspix_rfc4121_why(e->r));
    CHECK_EQ_INT(m, GSS_S_COMPLETE);
    CHECK_EQ_INT(iov[1].buffer.length, len);
    CHECK(len == 0 || memcmp(iov[1].buffer.value, msg, len) == 0);
    gss_release_buffer(&min, &out);
    counts[N_MIT_TO_SEAL]++;
}

/* MIT gss_wrap_iov (HEADER | DATA | PADDING, trailer rotated into the header) -> rfc4121. */
static void mit_to_r_split(struct end *e, int conf, size_t len)
{
    OM_uint32 min;
    uint8_t hdr[128];
    memcpy(buf, msg, len);
    gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, NULL, 0), IOV(GSS_IOV_BUFFER_TYPE_DATA, buf, len),
                                  IOV(GSS_IOV_BUFFER_TYPE_PADDING, NULL, 0)};
    gss_check(gss_wrap_iov_length(&min, e->peer, conf, 0, NULL, iov, 3), &min, "gss_wrap_iov_length");
    CHECK(iov[0].buffer.length <= sizeof(hdr));
    CHECK_EQ_INT(iov[2].buffer.length, 0);
    iov[0].buffer.value = hdr;
    gss_check(gss_wrap_iov(&min, e->peer, conf, 0, NULL, iov, 3), &min, "gss_wrap_iov");
    OM_uint32 m = sspix_rfc4121_unwrap(e->r, NULL, NULL, iov, 3);
    if (m != GSS_S_COMPLETE)
        fprintf(stderr, "%s: split unwrap of MIT's %zu-byte token (conf %d): 0x%x %s\n", e->name, len, conf, m,
                sspix_rfc4121_why(e->r));
    CHECK_EQ_INT(m, GSS_S_COMPLETE);
    CHECK(len == 0 || memcmp(buf, msg, len) == 0);
    counts[N_MIT_TO_SEAL]++;
}

static void mics(struct end *e, size_t len)
{
    OM_uint32 min;
    uint8_t tok[64];
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, len),
                                  IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, tok, sizeof(tok))};
    CHECK_EQ_INT(sspix_rfc4121_get_mic(e->r, 0, iov, 2), GSS_S_COMPLETE);
    gss_buffer_desc m = {len, msg}, t = {iov[1].buffer.length, tok}, out = GSS_C_EMPTY_BUFFER;
    gss_check(gss_verify_mic(&min, e->peer, &m, &t, NULL), &min, "gss_verify_mic of an rfc4121 MIC");
    gss_check(gss_get_mic(&min, e->peer, 0, &m, &out), &min, "gss_get_mic");
    CHECK(out.length <= sizeof(tok));
    memcpy(tok, out.value, out.length);
    iov[1].buffer.length = out.length;
    OM_uint32 maj = sspix_rfc4121_verify_mic(e->r, NULL, iov, 2);
    if (maj != GSS_S_COMPLETE)
        fprintf(stderr, "%s: verify of MIT's MIC (%zu bytes): 0x%x %s\n", e->name, len, maj, sspix_rfc4121_why(e->r));
    CHECK_EQ_INT(maj, GSS_S_COMPLETE);
    gss_release_buffer(&min, &out);
    counts[N_MIC]++;
}

/* The twin must now see what r saw: it receives the same tokens. */
static OM_uint32 twin_stream(struct end *e, const uint8_t *tok, size_t n)
{
    OM_uint32 min;
    memcpy(buf2, tok, n);
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf2, n), IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
    return gss_unwrap_iov(&min, e->twin, NULL, NULL, iov, 2);
}

static OM_uint32 r_stream(struct end *e, const uint8_t *tok, size_t n)
{
    memcpy(buf, tok, n);
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf, n), IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
    return sspix_rfc4121_unwrap(e->r, NULL, NULL, iov, 2);
}

static void same(struct end *e, OM_uint32 mine, OM_uint32 mit, const char *what, size_t where)
{
    if (mine != mit) {
        fprintf(stderr, "%s: %s at %zu: rfc4121 0x%x (%s), MIT 0x%x\n", e->name, what, where, mine,
                sspix_rfc4121_why(e->r), mit);
        exit(1);
    }
    if (GSS_ERROR(mine))
        counts[N_SAME_REFUSAL]++;
}

/* Every bit flip and truncation of MIT's token, fed to r and to the twin. */
static void hostile(struct end *e, int conf, size_t len)
{
    OM_uint32 min;
    gss_buffer_desc in = {len, msg}, out = GSS_C_EMPTY_BUFFER;
    gss_check(gss_wrap(&min, e->peer, conf, 0, &in, NULL, &out), &min, "gss_wrap");
    size_t n = out.length;
    uint8_t *good = malloc(n);
    memcpy(good, out.value, n);
    gss_release_buffer(&min, &out);
    for (size_t bit = 0; bit < n * 8; bit++) {
        uint8_t *tok = malloc(n);
        memcpy(tok, good, n);
        tok[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        OM_uint32 a = r_stream(e, tok, n), b = twin_stream(e, tok, n);
        same(e, a, b, conf ? "bit flip (sealed)" : "bit flip (integrity)", bit);
        counts[N_FLIPS]++;
        if (!GSS_ERROR(a)) {
            /* An unprotected RRC change that is the same rotation: both took it.
             * The next token is a fresh one. */
            free(good);
            gss_check(gss_wrap(&min, e->peer, conf, 0, &in, NULL, &out), &min, "gss_wrap");
            good = realloc(tok, out.length);
            memcpy(good, out.value, out.length);
            gss_release_buffer(&min, &out);
            continue;
        }
        free(tok);
    }
    for (size_t cut = 0; cut < n; cut++) {
        OM_uint32 a = r_stream(e, good, cut), b = twin_stream(e, good, cut);
        same(e, a, b, "truncation", cut);
        CHECK(GSS_ERROR(a));
        counts[N_CUTS]++;
    }
    /* the intact token, then its replay: both accept, then both refuse */
    OM_uint32 a = r_stream(e, good, n), b = twin_stream(e, good, n);
    same(e, a, b, "intact token", n);
    CHECK_EQ_INT(a, GSS_S_COMPLETE);
    a = r_stream(e, good, n), b = twin_stream(e, good, n);
    same(e, a, b, "replay", n);
    CHECK_EQ_INT(a, GSS_S_DUPLICATE_TOKEN);
    free(good);

    /* MIC: every flip and truncation, through gss_verify_mic on the twin */
    gss_buffer_desc m = {len, msg};
    gss_check(gss_get_mic(&min, e->peer, 0, &m, &out), &min, "gss_get_mic");
    uint8_t mic[64];
    size_t ml = out.length;
    memcpy(mic, out.value, ml);
    gss_release_buffer(&min, &out);
    for (size_t bit = 0; bit <= ml * 8; bit++) {
        for (size_t cut = (bit == ml * 8 ? 0 : ml); cut <= ml; cut++) {
            uint8_t t[64];
            memcpy(t, mic, ml);
            if (bit < ml * 8)
                t[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            else if (cut == ml)
                break;
            gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, len),
                                          IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, t, cut)};
            OM_uint32 x = sspix_rfc4121_verify_mic(e->r, NULL, iov, 2);
            gss_buffer_desc tb = {cut, t};
            OM_uint32 y = gss_verify_mic(&min, e->twin, &m, &tb, NULL);
            /* An empty token is refused by GSSAPI's mechanism glue before the mechanism sees it. */
            if (cut == 0)
                CHECK(GSS_ERROR(y));
            else
                same(e, x, y, bit < ml * 8 ? "MIC bit flip" : "MIC truncation", bit < ml * 8 ? bit : cut);
            CHECK(GSS_ERROR(x));
            counts[bit < ml * 8 ? N_FLIPS : N_CUTS]++;
        }
    }
    gss_buffer_desc tb = {ml, mic};
    gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, len), IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, ml)};
    same(e, sspix_rfc4121_verify_mic(e->r, NULL, iov, 2), gss_verify_mic(&min, e->twin, &m, &tb, NULL), "intact MIC",
         ml);
}

/* Tokens 0..5 delivered out of order to r and to the twin. */
static void reorder(struct end *e)
{
    OM_uint32 min;
    static const int order[] = {1, 0, 3, 3, 2, 5, 0, 4};
    uint8_t *toks[6];
    size_t lens[6];
    for (int i = 0; i < 6; i++) {
        gss_buffer_desc in = {10, msg}, out = GSS_C_EMPTY_BUFFER;
        gss_check(gss_wrap(&min, e->peer, 1, 0, &in, NULL, &out), &min, "gss_wrap");
        toks[i] = malloc(out.length);
        memcpy(toks[i], out.value, out.length);
        lens[i] = out.length;
        gss_release_buffer(&min, &out);
    }
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        int k = order[i];
        same(e, r_stream(e, toks[k], lens[k]), twin_stream(e, toks[k], lens[k]), "reordered token", (size_t)k);
    }
    for (int i = 0; i < 6; i++)
        free(toks[i]);
}

static void run_end(struct end *e, int quick)
{
    /* First what r and its twin both receive, while their windows agree. */
    fill(msg, 64, 1);
    static const size_t hostile_sizes[] = {0, 1, 17, 64};
    for (size_t i = 0; i < sizeof(hostile_sizes) / sizeof(hostile_sizes[0]); i++)
        for (int conf = 0; conf <= 1; conf++)
            hostile(e, conf, hostile_sizes[i]);
    reorder(e);
    /* Then the bulk, r and the MIT peer alone. */
    for (int conf = 0; conf <= 1; conf++)
        for (size_t len = 0; len <= 4096; len += (quick ? 97 : 1)) {
            fill(msg, len, (unsigned)len);
            r_to_mit_stream(e, conf, len);
            r_to_mit_split(e, conf, len);
            mit_to_r_stream(e, conf, len);
            mit_to_r_split(e, conf, len);
            mics(e, len);
        }
    srand(4121);
    for (int i = 0; i < (quick ? 4 : 24); i++) {
        size_t len = (size_t)rand() % (1u << 20) + 1;
        fill(msg, len, (unsigned)i);
        int conf = i & 1;
        r_to_mit_stream(e, conf, len);
        r_to_mit_split(e, conf, len);
        mit_to_r_stream(e, conf, len);
        mit_to_r_split(e, conf, len);
        mics(e, len);
    }
}

static const char *enctype_name(int32_t e)
{
    switch (e) {
    case 17: return "aes128-cts-hmac-sha1-96";
    case 18: return "aes256-cts-hmac-sha1-96";
    case 19: return "aes128-cts-hmac-sha256-128";
    case 20: return "aes256-cts-hmac-sha384-192";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    /* quick: every 97th size and 4 random ones, for a run under valgrind too */
    const char *preload = getenv("LD_PRELOAD");
    int quick = (argc > 1 && strcmp(argv[1], "quick") == 0) || (preload != NULL && strstr(preload, "vgpreload"));
    msg = malloc((1u << 20) + 256);
    buf = malloc((1u << 20) + 512);
    buf2 = malloc((1u << 20) + 512);
    CHECK(msg != NULL && buf != NULL && buf2 != NULL);
    static const struct config configs[] = {
        {"host@localhost", {0}, {0}},
        {"host@localhost", {0}, {0}, 1},
        {"host@localhost", {ENCTYPE_AES128_CTS_HMAC_SHA1_96, 0}, {0}},
        {"sha2svc@localhost", {0}, {0}},
        {"sha2svc@localhost", {ENCTYPE_AES256_CTS_HMAC_SHA384_192, 0}, {0}},
        {"sha2svc@localhost",
         {ENCTYPE_AES128_CTS_HMAC_SHA256_128, ENCTYPE_AES256_CTS_HMAC_SHA384_192, 0},
         {ENCTYPE_AES128_CTS_HMAC_SHA256_128, ENCTYPE_AES256_CTS_HMAC_SHA384_192, 0}},
    };
    int seen[4] = {0};
    for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++)
        for (int side = 0; side < 2; side++) {
            gss_ctx_id_t ictx, actx, a, b;
            OM_uint32 iflags = 0, aflags = 0, min;
            establish(&configs[c], &ictx, &actx, &iflags, &aflags);
            struct end e;
            int32_t ce, se;
            if (side == 0) {
                twin(&ictx, &a, &b);
                e.r = from_lucid(&b, iflags, &ce, &se);
                e.twin = a;
                e.peer = actx;
                e.name = "initiator";
            } else {
                twin(&actx, &a, &b);
                e.r = from_lucid(&b, aflags, &ce, &se);
                e.twin = a;
                e.peer = ictx;
                e.name = "acceptor";
            }
            int32_t used = sspix_rfc4121_enctype(e.r);
            printf("%s, rfc4121 %s: context key %s, acceptor subkey %s\n", configs[c].service, e.name, enctype_name(ce),
                   se ? enctype_name(se) : "none");
            fflush(stdout);
            if (used >= 17 && used <= 20)
                seen[used - 17] = 1;
            run_end(&e, quick);
            sspix_rfc4121_free(e.r);
            gss_delete_sec_context(&min, &e.twin, GSS_C_NO_BUFFER);
            gss_delete_sec_context(&min, &e.peer, GSS_C_NO_BUFFER);
        }
    for (int i = 0; i < 4; i++)
        if (!seen[i])
            printf("no context sent with %s\n", enctype_name(17 + i));
    for (int i = 0; i < 4; i++)
        CHECK(seen[i]);
    printf("rfc4121 -> MIT %zu, MIT -> rfc4121 %zu, MIC pairs %zu, bit flips %zu, truncations %zu, refusals equal to "
           "MIT's %zu\n",
           counts[N_SEAL_TO_MIT], counts[N_MIT_TO_SEAL], counts[N_MIC], counts[N_FLIPS], counts[N_CUTS],
           counts[N_SAME_REFUSAL]);
    free(msg);
    free(buf);
    free(buf2);
    CHECK_DONE("test_rfc4121_mit");
    return 0;
}
