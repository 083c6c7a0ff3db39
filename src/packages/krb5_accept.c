/* SPDX-License-Identifier: MIT */
/*
 * krb5_accept.c - the native Kerberos acceptor (krb5_accept.h): the steps
 * of MIT's krb5 mechanism acceptor (lib/gssapi/krb5/accept_sec_context.c)
 * for the ordinary RFC 4121 token, on one krb5_context per credential.
 */
#include "packages/krb5_accept.h"

#include <gssapi/gssapi.h>
#include <krb5/krb5.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "packages/replay.h"
#include "packages/spnego_tok.h"

struct sspix_krb5_acceptor {
    pthread_mutex_t lock;
    krb5_context kctx;
    krb5_keytab kt;
    krb5_principal server; /* NULL: any principal in the keytab */
};

/* RFC 4121 section 4.1.1: the 0x8003 authenticator checksum. */
#define KG_CB_CKSUMTYPE 0x8003
#define KG_CB_FIXED     24u /* Lgth (4) | Bnd (16) | Flags (4) */
/* The checksum flags MIT's acceptor takes from the initiator. */
#define INITIATOR_FLAGS                                                                                                \
    (GSS_C_INTEG_FLAG | GSS_C_CONF_FLAG | GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG |                \
     GSS_C_DCE_STYLE | GSS_C_IDENTIFY_FLAG | GSS_C_EXTENDED_ERROR_FLAG)

static const uint8_t oid_krb5[9] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};

struct sspix_krb5_acceptor *sspix_krb5_acceptor_new(const char *keytab, const char *principal)
{
    const char *mode = getenv("SSPIX_KRB5_ACCEPTOR");
    if (mode != NULL && strcmp(mode, "gssapi") == 0)
        return NULL;
    struct sspix_krb5_acceptor *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return NULL;
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        return NULL;
    }
    if (krb5_init_context(&a->kctx) != 0) {
        a->kctx = NULL;
        goto fail;
    }
    if ((keytab != NULL ? krb5_kt_resolve(a->kctx, keytab, &a->kt) : krb5_kt_default(a->kctx, &a->kt)) != 0) {
        a->kt = NULL;
        goto fail;
    }
    if (principal != NULL && krb5_parse_name(a->kctx, principal, &a->server) != 0) {
        a->server = NULL;
        goto fail;
    }
    return a;
fail:
    sspix_krb5_acceptor_free(a);
    return NULL;
}

void sspix_krb5_acceptor_free(struct sspix_krb5_acceptor *a)
{
    if (a == NULL)
        return;
    if (a->server != NULL)
        krb5_free_principal(a->kctx, a->server);
    if (a->kt != NULL)
        krb5_kt_close(a->kctx, a->kt);
    if (a->kctx != NULL)
        krb5_free_context(a->kctx);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

void sspix_krb5_native_keys_free(struct sspix_krb5_native_keys *k)
{
    if (k == NULL)
        return;
    explicit_bzero(k, sizeof(*k));
    free(k);
}

int sspix_krb5_native_protection(const struct sspix_krb5_native_keys *k, sspix_rfc4121 **out, const char **why)
{
    struct sspix_rfc4121_params p = {
        .initiator = 0,
        .send_seq = k->send_seq,
        .recv_seq = k->recv_seq,
        .have_acceptor_subkey = k->have_acceptor_subkey,
        .ctx_key = {k->enctype[0], k->key[0], k->len[0]},
        .acceptor_subkey = {k->enctype[1], k->key[1], k->len[1]},
        .gss_flags = k->gss_flags,
    };
    return sspix_rfc4121_new(&p, out, why);
}

void sspix_krb5_accepted_clear(struct sspix_krb5_accepted *r)
{
    free(r->client);
    free(r->server);
    free(r->out);
    sspix_krb5_native_keys_free(r->keys);
    memset(r, 0, sizeof(*r));
}

int sspix_krb5_initial_token(const uint8_t *tok, size_t len, const uint8_t **ap_req, size_t *ap_req_len)
{
    sspix_reader r, inner, oid;
    const uint8_t *id;
    sspix_reader_init(&r, tok, len);
    GUARD(sspix_der_elem(&r, 0x60, &inner));
    ENSURE(sspix_reader_left(&r) == 0, SSPIX_ERR_INVALID);
    GUARD(sspix_der_elem(&inner, 0x06, &oid));
    ENSURE(sspix_reader_left(&oid) == sizeof(oid_krb5) && memcmp(oid.data, oid_krb5, sizeof(oid_krb5)) == 0,
           SSPIX_ERR_INVALID);
    GUARD(sspix_reader_bytes(&inner, 2, &id));
    ENSURE(id[0] == 0x01 && id[1] == 0x00 && sspix_reader_left(&inner) > 0, SSPIX_ERR_INVALID);
    *ap_req_len = sspix_reader_left(&inner);
    return sspix_reader_bytes(&inner, *ap_req_len, ap_req);
}

/* One DER tag and definite length at p[*o] (tag < 0x1f, len < 2^24). */
static void put_tl(uint8_t *p, size_t *o, uint8_t tag, size_t len)
{
    p[(*o)++] = tag;
    if (len < 0x80) {
        p[(*o)++] = (uint8_t)len;
        return;
    }
    size_t n = len < 0x100 ? 1 : len < 0x10000 ? 2 : 3;
    p[(*o)++] = (uint8_t)(0x80u | n);
    for (size_t k = n; k > 0; k--)
        p[(*o)++] = (uint8_t)(len >> (8 * (k - 1)));
}

static size_t tl_len(size_t len)
{
    return 1u + (len < 0x80 ? 1u : len < 0x100 ? 2u : len < 0x10000 ? 3u : 4u) + len;
}

/* The AP-REP in an InitialContextToken-style frame (TOK_ID 02 00), as MIT frames its own. */
static int frame_ap_rep(const krb5_data *rep, uint8_t **out, size_t *out_len)
{
    ENSURE(rep->length < 0x100000, SSPIX_ERR_INVALID);
    size_t inner = tl_len(sizeof(oid_krb5)) + 2 + rep->length, total = tl_len(inner);
    uint8_t *p = malloc(total);
    ENSURE(p != NULL, SSPIX_ERR_NOMEM);
    size_t o = 0;
    put_tl(p, &o, 0x60, inner);
    put_tl(p, &o, 0x06, sizeof(oid_krb5));
    memcpy(p + o, oid_krb5, sizeof(oid_krb5));
    o += sizeof(oid_krb5);
    p[o++] = 0x02;
    p[o++] = 0x00;
    memcpy(p + o, rep->data, rep->length);
    *out = p;
    *out_len = o + rep->length;
    return *out_len == total ? 0 : SSPIX_ERR_STATE;
}

static char *unparse(krb5_context k, krb5_const_principal p)
{
    char *s = NULL, *copy;
    if (krb5_unparse_name(k, p, &s) != 0)
        return NULL;
    copy = strdup(s);
    krb5_free_unparsed_name(k, s);
    return copy;
}

/* The GSS flags of a 0x8003 checksum MIT would take as it is, or -1 (decline). */
static int64_t checksum_flags(const krb5_checksum *ck)
{
    sspix_reader r;
    uint32_t cb_len, f;
    const uint8_t *bnd;
    if (ck == NULL || ck->checksum_type != KG_CB_CKSUMTYPE || ck->length != KG_CB_FIXED)
        return -1; /* none, Samba's regular checksum, delegation or extensions: MIT's */
    sspix_reader_init(&r, ck->contents, ck->length);
    if (sspix_reader_u32le(&r, &cb_len) < 0 || cb_len != 16 || sspix_reader_bytes(&r, cb_len, &bnd) < 0 ||
        sspix_reader_u32le(&r, &f) < 0)
        return -1;
    /* No acceptor channel bindings (the caller declines those): the
     * client's Bnd is not checked, as MIT does not check it then. */
    f &= INITIATOR_FLAGS;
    if (f & GSS_C_DCE_STYLE)
        return -1;
    return f;
}

/* The accept itself, under a->lock; 1 or 0 as sspix_krb5_native_accept. */
static int accept_locked(struct sspix_krb5_acceptor *a, const uint8_t *ap_req, size_t ap_req_len,
                         struct sspix_krb5_accepted *res)
{
    krb5_context k = a->kctx;
    krb5_auth_context ac = NULL;
    krb5_ticket *ticket = NULL;
    krb5_authenticator *auth = NULL;
    krb5_keyblock *subkey = NULL, *acc_subkey = NULL;
    krb5_data in = {.magic = 0, .length = (unsigned int)ap_req_len, .data = (char *)ap_req};
    krb5_data rep = {0};
    krb5_flags ap_opts = 0;
    krb5_int32 seq_recv = 0, seq_send = 0;
    int ok = 0;

    if (ap_req_len > 0x7fffffffu || krb5_auth_con_init(k, &ac) != 0)
        return 0;
    /* No replay cache: the caller keeps replays out (krb5_accept.h). The
     * authenticator's clock-skew check stays (krb5_rd_req makes it). */
    if (krb5_auth_con_setflags(k, ac, 0) != 0 || krb5_rd_req(k, &ac, &in, a->server, a->kt, &ap_opts, &ticket) != 0)
        goto done;
    if ((ap_opts & AP_OPTS_USE_SESSION_KEY) || ticket->enc_part2 == NULL)
        goto done; /* user-to-user: MIT's */
    if (krb5_auth_con_setflags(k, ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE) != 0 ||
        krb5_auth_con_getauthenticator(k, ac, &auth) != 0)
        goto done;
    int64_t flags = checksum_flags(auth->checksum);
    if (flags < 0)
        goto done;
    if (krb5_auth_con_getrecvsubkey(k, ac, &subkey) != 0)
        goto done;
    if (subkey == NULL && krb5_auth_con_getkey(k, ac, &subkey) != 0)
        goto done;
    if (subkey == NULL || !sspix_rfc4121_supported(subkey->enctype))
        goto done; /* DES3, RC4: MIT's RFC 1964 tokens */
    if (krb5_auth_con_getremoteseqnumber(k, ac, &seq_recv) != 0)
        goto done;
    uint32_t gss_flags = (uint32_t)flags | GSS_C_TRANS_FLAG;
    if (gss_flags & GSS_C_MUTUAL_FLAG) {
        /* An RFC 4121 key: MIT always asserts an acceptor subkey in its AP-REP. */
        if (krb5_auth_con_setflags(k, ac, KRB5_AUTH_CONTEXT_DO_SEQUENCE | KRB5_AUTH_CONTEXT_USE_SUBKEY) != 0 ||
            krb5_mk_rep(k, ac, &rep) != 0 || krb5_auth_con_getlocalseqnumber(k, ac, &seq_send) != 0 ||
            krb5_auth_con_getsendsubkey(k, ac, &acc_subkey) != 0 || acc_subkey == NULL ||
            !sspix_rfc4121_supported(acc_subkey->enctype))
            goto done;
        gss_flags |= GSS_C_PROT_READY_FLAG;
    } else {
        seq_send = seq_recv; /* as MIT: no AP-REP, no sequence number of our own */
    }

    struct sspix_krb5_native_keys *nk = calloc(1, sizeof(*nk));
    if ((res->keys = nk) == NULL || subkey->length > sizeof(nk->key[0]) ||
        (acc_subkey != NULL && acc_subkey->length > sizeof(nk->key[1])))
        goto done;
    nk->gss_flags = gss_flags;
    nk->send_seq = (uint32_t)seq_send;
    nk->recv_seq = (uint32_t)seq_recv;
    nk->enctype[0] = subkey->enctype;
    nk->len[0] = subkey->length;
    memcpy(nk->key[0], subkey->contents, subkey->length);
    if (acc_subkey != NULL) {
        nk->have_acceptor_subkey = 1;
        nk->enctype[1] = acc_subkey->enctype;
        nk->len[1] = acc_subkey->length;
        memcpy(nk->key[1], acc_subkey->contents, acc_subkey->length);
    }
    res->client = unparse(k, ticket->enc_part2->client);
    res->server = unparse(k, ticket->server);
    if (res->client == NULL || res->server == NULL ||
        (rep.length > 0 && frame_ap_rep(&rep, &res->out, &res->out_len) != 0))
        goto done;
    res->gss_flags = gss_flags;
    /* krb5_timestamp is unsigned on the wire and in MIT's arithmetic (ts2tt). */
    res->endtime = (int64_t)(uint32_t)ticket->enc_part2->times.endtime;
    ok = 1;
done:
    if (!ok)
        sspix_krb5_accepted_clear(res);
    if (rep.data != NULL) {
        explicit_bzero(rep.data, rep.length);
        krb5_free_data_contents(k, &rep);
    }
    krb5_free_keyblock(k, subkey);
    krb5_free_keyblock(k, acc_subkey);
    if (auth != NULL)
        krb5_free_authenticator(k, auth);
    if (ticket != NULL)
        krb5_free_ticket(k, ticket);
    krb5_auth_con_free(k, ac);
    return ok;
}

/*
 * MIT's SPNEGO acceptor's reply when the initiator's first mechanism is
 * Kerberos and its optimistic token completes at once without a mechListMIC
 * (make_spnego_tokenTarg_msg): NegTokenResp { negState accept-completed,
 * supportedMech (the OID as the initiator listed it, Microsoft's included),
 * responseToken (the AP-REP, when there is one) }, no mechListMIC.
 */
static int spnego_reply(const uint8_t *mech, size_t mech_len, const uint8_t *rep, size_t rep_len, uint8_t **out,
                        size_t *out_len)
{
    ENSURE(mech_len < 0x80 && rep_len < 0x100000, SSPIX_ERR_INVALID);
    size_t f0 = tl_len(3), f1 = tl_len(tl_len(mech_len)), f2 = rep_len > 0 ? tl_len(tl_len(rep_len)) : 0;
    size_t seq = f0 + f1 + f2, total = tl_len(tl_len(seq));
    uint8_t *p = malloc(total);
    ENSURE(p != NULL, SSPIX_ERR_NOMEM);
    size_t o = 0;
    put_tl(p, &o, 0xa1, tl_len(seq));
    put_tl(p, &o, 0x30, seq);
    put_tl(p, &o, 0xa0, 3);
    put_tl(p, &o, 0x0a, 1);
    p[o++] = SSPIX_SPNEGO_ACCEPT_COMPLETE;
    put_tl(p, &o, 0xa1, tl_len(mech_len));
    put_tl(p, &o, 0x06, mech_len);
    memcpy(p + o, mech, mech_len);
    o += mech_len;
    if (rep_len > 0) {
        put_tl(p, &o, 0xa2, tl_len(rep_len));
        put_tl(p, &o, 0x04, rep_len);
        memcpy(p + o, rep, rep_len);
        o += rep_len;
    }
    *out = p;
    *out_len = o;
    return o == total ? 0 : SSPIX_ERR_STATE;
}

/* The AP-REQ of a token this acceptor may take: a raw krb5 one, or (spnego)
 * a framed NegTokenInit whose first mechanism is Kerberos (the standard or
 * Microsoft's OID) with a krb5 mechToken and no mechListMIC; *mech then
 * names the first mechanism, for the reply. */
static int find_ap_req(const uint8_t *tok, size_t len, int spnego, const uint8_t **ap_req, size_t *ap_req_len,
                       const uint8_t **mech, size_t *mech_len)
{
    struct sspix_spnego_tok sp;
    char why[8];
    *mech = NULL;
    *mech_len = 0;
    if (sspix_krb5_initial_token(tok, len, ap_req, ap_req_len) == 0)
        return 0;
    if (!spnego || len < 2 || tok[0] != 0x60 || sspix_spnego_parse(tok, len, &sp, why, sizeof(why)) != 0 ||
        sp.kind != SSPIX_SPNEGO_INIT || sp.has_mic || sp.token == NULL || sp.mech == NULL ||
        !(sspix_spnego_oid_eq(sp.mech, sp.mech_len, sspix_spnego_oid_krb5, sizeof(sspix_spnego_oid_krb5)) ||
          sspix_spnego_oid_eq(sp.mech, sp.mech_len, sspix_spnego_oid_ms_krb5, sizeof(sspix_spnego_oid_ms_krb5))))
        return SSPIX_ERR_INVALID;
    GUARD(sspix_krb5_initial_token(sp.token, sp.token_len, ap_req, ap_req_len));
    *mech = sp.mech;
    *mech_len = sp.mech_len;
    return 0;
}

int sspix_krb5_native_accept(struct sspix_krb5_acceptor *a, const uint8_t *tok, size_t len, int spnego,
                             struct sspix_krb5_accepted *out)
{
    const uint8_t *ap_req, *mech;
    size_t ap_req_len, mech_len;
    if (a == NULL || find_ap_req(tok, len, spnego, &ap_req, &ap_req_len, &mech, &mech_len) != 0)
        return 0;
    struct sspix_krb5_accepted res = {0};
    pthread_mutex_lock(&a->lock);
    int ok = accept_locked(a, ap_req, ap_req_len, &res);
    pthread_mutex_unlock(&a->lock);
    if (ok && mech != NULL) {
        uint8_t *reply = NULL;
        size_t reply_len = 0;
        if (spnego_reply(mech, mech_len, res.out, res.out_len, &reply, &reply_len) != 0) {
            free(reply);
            sspix_krb5_accepted_clear(&res);
            return 0;
        }
        free(res.out);
        res.out = reply;
        res.out_len = reply_len;
        /* MIT's SPNEGO reports the mechanism's flags without PROT_READY. */
        res.gss_flags &= ~(uint32_t)GSS_C_PROT_READY_FLAG;
    }
    if (ok)
        *out = res;
    return ok;
}
