/* SPDX-License-Identifier: MIT */
/*
 * test_krb5_native.c - the native Kerberos acceptor (src/packages/
 * krb5_accept.c) against MIT's gss_accept_sec_context as its oracle, on the
 * same tokens from the throwaway KDC.
 *
 * Each client token is accepted twice: by a credential with
 * SSPIX_AUTH_STORE_REPLAY_IN_PROCESS (the native acceptor) and by one with
 * MIT's replay cache "none:" (MIT's acceptor; no native one). Both must agree
 * on the status, the error message, the returned attributes and expiry, every
 * context attribute (names, sizes, key type, lifespan, flags, package) and the
 * local account; the natively accepted context must then complete the MIT
 * initiator's handshake with its AP-REP, agree with it on the session key, and
 * exchange sealed and signed messages both ways, with MIT's status for a
 * replayed message; an exported and imported native context goes on. Tokens
 * the native acceptor declines (delegation, channel bindings, damaged or
 * unknown keys) are accepted or refused exactly as MIT does it. Whether the
 * native acceptor ran is read from the exported context (role 2): with
 * SSPIX_KRB5_ACCEPTOR=gssapi (the second ctest) it must never have.
 */
#define SECURITY_WIN32
#include <security.h>

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/der.h"
#include "common/handshake.h"
#include "packages/ctx_blob.h"
#include "packages/spnego_tok.h"

static PSecurityFunctionTableA t;
static int native_on;

static void server_cred(const char *pkg, int native, const char *keytab, CredHandle *sc)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC,
                                .Keytab = keytab,
                                .ReplayCache = native ? NULL : "none:",
                                .Flags = native ? SSPIX_AUTH_STORE_REPLAY_IN_PROCESS : 0};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL, sc, NULL),
        SEC_E_OK);
}

struct client {
    CtxtHandle ctx;
    unsigned char tok[65536];
    ULONG len;
    ULONG attrs;
};

static void client_start(CredHandle *cc, const char *target, ULONG req, struct client *c)
{
    SecBuffer ob = {sizeof(c->tok), SECBUFFER_TOKEN, c->tok};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st = t->InitializeSecurityContext(cc, NULL, (SEC_CHAR *)target, req, 0, SECURITY_NATIVE_DREP, NULL,
                                                      0, &c->ctx, &od, &c->attrs, NULL);
    /* Kerberos without mutual authentication completes at once; SPNEGO always waits for the reply. */
    CHECK(st == SEC_I_CONTINUE_NEEDED || (st == SEC_E_OK && !(req & ISC_REQ_MUTUAL_AUTH)));
    c->len = ob.cbBuffer;
}

struct side {
    CtxtHandle ctx;
    SECURITY_STATUS st;
    ULONG attrs;
    TimeStamp expiry;
    unsigned char out[65536];
    ULONG out_len;
    char err[1024];
};

static void accept_first(CredHandle *sc, const unsigned char *tok, ULONG len, const void *cb, ULONG cb_len,
                         struct side *s)
{
    SecBuffer ib[2] = {{len, SECBUFFER_TOKEN, (void *)tok}, {cb_len, SECBUFFER_CHANNEL_BINDINGS, (void *)cb}};
    SecBuffer ob = {sizeof(s->out), SECBUFFER_TOKEN, s->out};
    SecBufferDesc in = {SECBUFFER_VERSION, cb != NULL ? 2 : 1, ib}, out = {SECBUFFER_VERSION, 1, &ob};
    s->st =
        t->AcceptSecurityContext(sc, NULL, &in, HS_ASC_REQ, SECURITY_NATIVE_DREP, &s->ctx, &out, &s->attrs, &s->expiry);
    s->out_len = SEC_SUCCESS(s->st) ? ob.cbBuffer : 0;
    snprintf(s->err, sizeof(s->err), "%s", SEC_SUCCESS(s->st) ? "" : sspix_last_error());
}

/* The exported context's role: 2 when the native acceptor made it. Consumes the context. */
static uint32_t exported_role(CtxtHandle *ctx)
{
    SecBuffer blob = {0, 0, NULL};
    struct sspix_ctx_blob b;
    CHECK_SEC(t->ExportSecurityContext(ctx, 0, &blob, NULL), SEC_E_OK);
    CHECK(blob.cbBuffer > SSPIX_CTX_BLOB_MAC);
    CHECK_SEC(sspix_ctx_blob_decode(blob.pvBuffer, blob.cbBuffer - SSPIX_CTX_BLOB_MAC, &b), SEC_E_OK);
    t->FreeContextBuffer(blob.pvBuffer);
    t->DeleteSecurityContext(ctx);
    return b.role;
}

/* Every context attribute of two server contexts agrees. */
static void same_attributes(CtxtHandle *a, CtxtHandle *b)
{
    CtxtHandle *h[2] = {a, b};
    SecPkgContext_NamesA n[2];
    SecPkgContext_NativeNamesA nn[2];
    SecPkgContext_Sizes sz[2];
    SecPkgContext_KeyInfoA ki[2];
    SecPkgContext_Lifespan ls[2];
    SecPkgContext_Flags fl[2];
    SecPkgContext_PackageInfoA pi[2];
    SecPkgContext_SessionKey sk[2];
    char *local[2];
    for (int i = 0; i < 2; i++) {
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_NAMES, &n[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_NATIVE_NAMES, &nn[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_SIZES, &sz[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_KEY_INFO, &ki[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_LIFESPAN, &ls[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_FLAGS, &fl[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_PACKAGE_INFO, &pi[i]), SEC_E_OK);
        CHECK_SEC(t->QueryContextAttributes(h[i], SECPKG_ATTR_SESSION_KEY, &sk[i]), SEC_E_OK);
        CHECK_SEC(sspix_query_local_name(h[i], &local[i]), SEC_E_OK);
    }
    CHECK_STR(n[0].sUserName, n[1].sUserName);
    CHECK_STR(nn[0].sClientName, nn[1].sClientName);
    CHECK_STR(nn[0].sServerName, nn[1].sServerName);
    CHECK_EQ_INT(sz[0].cbMaxToken, sz[1].cbMaxToken);
    CHECK_EQ_INT(sz[0].cbMaxSignature, sz[1].cbMaxSignature);
    CHECK_EQ_INT(sz[0].cbBlockSize, sz[1].cbBlockSize);
    CHECK_EQ_INT(sz[0].cbSecurityTrailer, sz[1].cbSecurityTrailer);
    CHECK_STR(ki[0].sSignatureAlgorithmName, ki[1].sSignatureAlgorithmName);
    CHECK_STR(ki[0].sEncryptAlgorithmName, ki[1].sEncryptAlgorithmName);
    CHECK_EQ_INT(ki[0].KeySize, ki[1].KeySize);
    CHECK_EQ_INT(ki[0].SignatureAlgorithm, ki[1].SignatureAlgorithm);
    CHECK_EQ_INT(ki[0].EncryptAlgorithm, ki[1].EncryptAlgorithm);
    /* The two accepts ran a moment apart: start times may differ by a second, the ticket's end may not. */
    CHECK_EQ_INT(ls[0].tsExpiry.QuadPart, ls[1].tsExpiry.QuadPart);
    CHECK(llabs((long long)(ls[0].tsStart.QuadPart - ls[1].tsStart.QuadPart)) <= 10000000LL * 2);
    CHECK_EQ_INT(fl[0].Flags, fl[1].Flags);
    CHECK_STR(pi[0].PackageInfo->Name, pi[1].PackageInfo->Name);
    CHECK_EQ_INT(sk[0].SessionKeyLength, sk[1].SessionKeyLength); /* each has its own acceptor subkey */
    CHECK_STR(local[0], local[1]);
    for (int i = 0; i < 2; i++) {
        t->FreeContextBuffer(n[i].sUserName);
        t->FreeContextBuffer(nn[i].sClientName);
        t->FreeContextBuffer(nn[i].sServerName);
        t->FreeContextBuffer(ki[i].sSignatureAlgorithmName);
        t->FreeContextBuffer(ki[i].sEncryptAlgorithmName);
        t->FreeContextBuffer(pi[i].PackageInfo);
        t->FreeContextBuffer(sk[i].SessionKey);
        t->FreeContextBuffer(local[i]);
    }
}

/* An AP-REP in MIT's framing: 0x60, length, the krb5 OID, TOK_ID 02 00, [APPLICATION 15]. */
static void check_ap_rep(const unsigned char *p, ULONG n)
{
    static const unsigned char oid[11] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    CHECK(n > 20 && p[0] == 0x60);
    size_t o = (p[1] & 0x80) ? 2u + (p[1] & 0x7fu) : 2u;
    CHECK(o + sizeof(oid) + 3 < n);
    CHECK(memcmp(p + o, oid, sizeof(oid)) == 0);
    CHECK(p[o + 11] == 0x02 && p[o + 12] == 0x00 && p[o + 13] == 0x6f);
}

/* Two NegTokenResp replies agree on everything but the AP-REP's bytes; returns the native one's AP-REP. */
static struct sspix_spnego_tok same_negresp(const unsigned char *a, ULONG al, const unsigned char *b, ULONG bl)
{
    struct sspix_spnego_tok x, y;
    char why[64];
    CHECK(sspix_spnego_parse(a, al, &x, why, sizeof(why)) == 0);
    CHECK(sspix_spnego_parse(b, bl, &y, why, sizeof(why)) == 0);
    CHECK(x.kind == SSPIX_SPNEGO_RESP && y.kind == SSPIX_SPNEGO_RESP);
    CHECK_EQ_INT(x.has_neg_state, y.has_neg_state);
    CHECK_EQ_INT(x.neg_state, y.neg_state);
    CHECK(x.mech_len == y.mech_len && (x.mech_len == 0 || memcmp(x.mech, y.mech, x.mech_len) == 0));
    CHECK_EQ_INT(x.has_mic, y.has_mic);
    CHECK_EQ_INT(x.token != NULL, y.token != NULL);
    if (x.token != NULL) {
        check_ap_rep(x.token, (ULONG)x.token_len);
        check_ap_rep(y.token, (ULONG)y.token_len);
    }
    /* The same length too when the AP-REPs are: the encoding is MIT's byte for byte around them. */
    if (x.token_len == y.token_len)
        CHECK_EQ_INT(al, bl);
    return x;
}

static void client_finish(struct client *c, const unsigned char *tok, ULONG len)
{
    unsigned char spare[1024];
    SecBuffer ib = {len, SECBUFFER_TOKEN, (void *)tok}, ob = {sizeof(spare), SECBUFFER_TOKEN, spare};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
    CHECK_SEC(t->InitializeSecurityContext(NULL, &c->ctx, NULL, HS_ISC_REQ, 0, SECURITY_NATIVE_DREP, &in, 0, &c->ctx,
                                           &out, &c->attrs, NULL),
              SEC_E_OK);
    CHECK(c->attrs & ISC_RET_MUTUAL_AUTH);
}

/* from seals (or signs) msg; to opens (or verifies) it. Returns to's status. */
static SECURITY_STATUS pass(CtxtHandle *from, CtxtHandle *to, int sign, const char *msg, unsigned char *wire,
                            ULONG *wire_len, int resend)
{
    SecPkgContext_Sizes sz;
    CHECK_SEC(t->QueryContextAttributes(from, SECPKG_ATTR_SIZES, &sz), SEC_E_OK);
    ULONG hl = sign ? sz.cbMaxSignature : sz.cbSecurityTrailer, ml = (ULONG)strlen(msg);
    if (!resend) {
        memcpy(wire + hl, msg, ml);
        SecBuffer b[2] = {{hl, SECBUFFER_TOKEN, wire}, {ml, SECBUFFER_DATA, wire + hl}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        CHECK_SEC(sign ? t->MakeSignature(from, 0, &d, 0) : t->EncryptMessage(from, 0, &d, 0), SEC_E_OK);
        CHECK(b[0].cbBuffer == hl);
        *wire_len = hl + ml;
    }
    unsigned char copy[4096];
    memcpy(copy, wire, *wire_len);
    SecBuffer b[2] = {{hl, SECBUFFER_TOKEN, copy}, {*wire_len - hl, SECBUFFER_DATA, copy + hl}};
    SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
    ULONG qop = 0;
    SECURITY_STATUS st = sign ? t->VerifySignature(to, &d, 0, &qop) : t->DecryptMessage(to, &d, 0, &qop);
    if (st == SEC_E_OK)
        CHECK(b[1].cbBuffer == ml && memcmp(b[1].pvBuffer, msg, ml) == 0);
    return st;
}

/* Messages both ways; returns the status a replayed client message gets. */
static SECURITY_STATUS talk(CtxtHandle *client, CtxtHandle *server)
{
    unsigned char w[4096];
    ULONG wl = 0;
    for (int sign = 0; sign < 2; sign++) {
        CHECK_SEC(pass(client, server, sign, "from the client", w, &wl, 0), SEC_E_OK);
        CHECK_SEC(pass(server, client, sign, "from the server, a little longer", w, &wl, 0), SEC_E_OK);
    }
    CHECK_SEC(pass(client, server, 0, "once", w, &wl, 0), SEC_E_OK);
    return pass(client, server, 0, "once", w, &wl, 1);
}

/* One token each way, for a target, with or without mutual authentication;
 * client_pkg Negotiate: SPNEGO tokens (to a Negotiate server). */
static void test_same(const char *client_pkg, const char *pkg, const char *target, ULONG isc_req)
{
    CredHandle cc, sn, sm;
    struct client c, c2;
    static struct side n, m, m2;
    int spnego = strcmp(client_pkg, "Negotiate") == 0;
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)client_pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    server_cred(pkg, 1, NULL, &sn);
    server_cred(pkg, 0, NULL, &sm);
    client_start(&cc, target, isc_req, &c);
    accept_first(&sn, c.tok, c.len, NULL, 0, &n);
    accept_first(&sm, c.tok, c.len, NULL, 0, &m);
    CHECK_SEC(n.st, SEC_E_OK);
    CHECK_SEC(m.st, SEC_E_OK);
    CHECK_EQ_INT(n.attrs, m.attrs);
    CHECK_EQ_INT(n.expiry.QuadPart, m.expiry.QuadPart);
    CHECK_EQ_INT(n.out_len > 0, m.out_len > 0);
    if (spnego) {
        same_negresp(n.out, n.out_len, m.out, m.out_len);
    } else {
        CHECK_EQ_INT(n.out_len > 0, (isc_req & ISC_REQ_MUTUAL_AUTH) != 0);
        if (n.out_len > 0) {
            check_ap_rep(n.out, n.out_len);
            check_ap_rep(m.out, m.out_len);
        }
    }
    same_attributes(&n.ctx, &m.ctx);

    /* The MIT initiator takes the native AP-REP; both ends hold one key. */
    if ((isc_req & ISC_REQ_MUTUAL_AUTH) || spnego)
        client_finish(&c, n.out, n.out_len);
    SecPkgContext_SessionKey kc, ks;
    CHECK_SEC(t->QueryContextAttributes(&c.ctx, SECPKG_ATTR_SESSION_KEY, &kc), SEC_E_OK);
    CHECK_SEC(t->QueryContextAttributes(&n.ctx, SECPKG_ATTR_SESSION_KEY, &ks), SEC_E_OK);
    CHECK(kc.SessionKeyLength == ks.SessionKeyLength && kc.SessionKeyLength >= 16 &&
          memcmp(kc.SessionKey, ks.SessionKey, kc.SessionKeyLength) == 0);
    t->FreeContextBuffer(kc.SessionKey);
    t->FreeContextBuffer(ks.SessionKey);

    /* Messages, and a replay: the status MIT's context gives for the same. */
    SECURITY_STATUS replayed = talk(&c.ctx, &n.ctx);
    client_start(&cc, target, isc_req, &c2);
    accept_first(&sm, c2.tok, c2.len, NULL, 0, &m2);
    CHECK_SEC(m2.st, SEC_E_OK);
    if ((isc_req & ISC_REQ_MUTUAL_AUTH) || spnego)
        client_finish(&c2, m2.out, m2.out_len);
    CHECK_SEC(replayed, talk(&c2.ctx, &m2.ctx));
    CHECK(replayed != SEC_E_OK || !(isc_req & ISC_REQ_REPLAY_DETECT));

    /* Exported and imported, the native context goes on where it was. */
    SecBuffer blob = {0, 0, NULL};
    CtxtHandle imp;
    unsigned char w[4096];
    ULONG wl;
    CHECK_SEC(t->ExportSecurityContext(&n.ctx, 0, &blob, NULL), SEC_E_OK);
    struct sspix_ctx_blob b;
    CHECK_SEC(sspix_ctx_blob_decode(blob.pvBuffer, blob.cbBuffer - SSPIX_CTX_BLOB_MAC, &b), SEC_E_OK);
    CHECK_EQ_INT(b.role, native_on ? 2 : 1);
    CHECK_SEC(t->ImportSecurityContextA((SEC_CHAR *)pkg, &blob, NULL, &imp), SEC_E_OK);
    t->FreeContextBuffer(blob.pvBuffer);
    CHECK_SEC(pass(&c.ctx, &imp, 0, "after the import", w, &wl, 0), SEC_E_OK);
    CHECK_SEC(pass(&imp, &c.ctx, 1, "signed after the import", w, &wl, 0), SEC_E_OK);
    same_attributes(&imp, &m.ctx);
    CHECK_SEC(pass(&c.ctx, &imp, 0, "again", w, &wl, 0), SEC_E_OK);
    CHECK_SEC(pass(&c.ctx, &imp, 0, "again", w, &wl, 1), replayed);

    t->DeleteSecurityContext(&n.ctx);
    t->DeleteSecurityContext(&imp);
    CHECK_EQ_INT(exported_role(&m.ctx), 1);
    t->DeleteSecurityContext(&m2.ctx);
    t->DeleteSecurityContext(&c.ctx);
    t->DeleteSecurityContext(&c2.ctx);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sn);
    t->FreeCredentialsHandle(&sm);
}

/* ---- SPNEGO as Windows sends it -------------------------------------------- */

/* A framed NegTokenInit: mechTypes (DER OIDs, concatenated), the mechToken, an optional mechListMIC. */
static ULONG neg_token_init(const unsigned char *oids, size_t oids_len, const unsigned char *tok, size_t tok_len,
                            const unsigned char *mic, size_t mic_len, unsigned char *out)
{
    static struct der fields, x, body;
    static const unsigned char spnego_oid[6] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x02};
    fields.n = body.n = 0;
    der_wrap_bytes(&x, 0x30, oids, oids_len);
    der_append(&fields, 0xa0, &x);
    der_wrap_bytes(&x, 0x04, tok, tok_len);
    der_append(&fields, 0xa2, &x);
    if (mic != NULL) {
        der_wrap_bytes(&x, 0x04, mic, mic_len);
        der_append(&fields, 0xa3, &x);
    }
    der_wrap(&x, 0x30, &fields);
    der_append_bytes(&body, 0x06, spnego_oid, sizeof(spnego_oid));
    der_append(&body, 0xa0, &x);
    der_wrap(&x, 0x60, &body);
    memcpy(out, x.b, x.n);
    return (ULONG)x.n;
}

static const unsigned char OID_MS_KRB5[11] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x82, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const unsigned char OID_KRB5[11] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
static const unsigned char OID_NTLM[12] = {0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a};

static size_t add_oid(unsigned char *oids, size_t ol, const unsigned char *oid, size_t n)
{
    memcpy(oids + ol, oid, n);
    return ol + n;
}

/* A raw Kerberos client's AP-REQ wrapped in a NegTokenInit the way Windows
 * wraps one: Microsoft's krb5 OID first, then the standard one, then NTLM.
 * Native and MIT agree (supportedMech is Microsoft's OID, as listed), and the
 * Kerberos client completes with the AP-REP inside the native reply. Then the
 * forms the native acceptor leaves to MIT: NTLM first, a mechListMIC. */
static void test_spnego_forms(void)
{
    CredHandle cc, sn, sm;
    struct client c;
    static struct side n, m;
    static unsigned char init[70000], oids[64];
    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    server_cred("Negotiate", 1, NULL, &sn);
    server_cred("Negotiate", 0, NULL, &sm);

    size_t ol = add_oid(oids, 0, OID_MS_KRB5, sizeof(OID_MS_KRB5));
    ol = add_oid(oids, ol, OID_KRB5, sizeof(OID_KRB5));
    ol = add_oid(oids, ol, OID_NTLM, sizeof(OID_NTLM));
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    ULONG il = neg_token_init(oids, ol, c.tok, c.len, NULL, 0, init);
    accept_first(&sn, init, il, NULL, 0, &n);
    accept_first(&sm, init, il, NULL, 0, &m);
    CHECK_SEC(n.st, SEC_E_OK);
    CHECK_SEC(m.st, SEC_E_OK);
    CHECK_EQ_INT(n.attrs, m.attrs);
    CHECK_EQ_INT(n.expiry.QuadPart, m.expiry.QuadPart);
    struct sspix_spnego_tok r = same_negresp(n.out, n.out_len, m.out, m.out_len);
    CHECK(r.mech_len == 9 && memcmp(r.mech, OID_MS_KRB5 + 2, 9) == 0);
    CHECK(r.has_neg_state && r.neg_state == SSPIX_SPNEGO_ACCEPT_COMPLETE && !r.has_mic);
    same_attributes(&n.ctx, &m.ctx);
    client_finish(&c, r.token, (ULONG)r.token_len);
    CHECK(talk(&c.ctx, &n.ctx) != SEC_E_OK); /* the replayed message is refused */
    CHECK_EQ_INT(exported_role(&n.ctx), native_on ? 2 : 1);
    t->DeleteSecurityContext(&m.ctx);
    t->DeleteSecurityContext(&c.ctx);

    /* NTLM listed first, Kerberos second (the mechToken is then NTLM's): MIT's, both times. */
    ol = add_oid(oids, 0, OID_NTLM, sizeof(OID_NTLM));
    ol = add_oid(oids, ol, OID_KRB5, sizeof(OID_KRB5));
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    il = neg_token_init(oids, ol, c.tok, c.len, NULL, 0, init);
    accept_first(&sn, init, il, NULL, 0, &n);
    accept_first(&sm, init, il, NULL, 0, &m);
    CHECK_SEC(n.st, m.st);
    CHECK_EQ_INT(n.out_len, m.out_len);
    CHECK(n.out_len == 0 || memcmp(n.out, m.out, n.out_len) == 0);
    CHECK_STR(n.err, m.err);
    if (SEC_SUCCESS(n.st)) {
        t->DeleteSecurityContext(&n.ctx);
        t->DeleteSecurityContext(&m.ctx);
    }
    t->DeleteSecurityContext(&c.ctx);

    /* A mechListMIC in the first token: MIT's (which checks it), both times. */
    static const unsigned char bogus_mic[28] = {0x04, 0x04, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff};
    ol = add_oid(oids, 0, OID_KRB5, sizeof(OID_KRB5));
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    il = neg_token_init(oids, ol, c.tok, c.len, bogus_mic, sizeof(bogus_mic), init);
    accept_first(&sn, init, il, NULL, 0, &n);
    accept_first(&sm, init, il, NULL, 0, &m);
    CHECK_SEC(n.st, m.st);
    CHECK_STR(n.err, m.err);
    if (SEC_SUCCESS(n.st)) {
        CHECK_EQ_INT(exported_role(&n.ctx), 1);
        t->DeleteSecurityContext(&m.ctx);
    }
    t->DeleteSecurityContext(&c.ctx);

    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sn);
    t->FreeCredentialsHandle(&sm);
}

/* Tokens the native acceptor leaves to MIT: the same outcome, to the message. */
static void test_declined(void)
{
    CredHandle cc, sn, sm;
    struct client c;
    static struct side n, m;
    static const char cb_app[] = "tls-server-end-point:0123456789abcdef";
    static unsigned char cb[sizeof(SEC_CHANNEL_BINDINGS) + sizeof(cb_app)];
    SEC_CHANNEL_BINDINGS hdr = {0};
    hdr.cbApplicationDataLength = sizeof(cb_app) - 1;
    hdr.dwApplicationDataOffset = sizeof(hdr);
    memcpy(cb, &hdr, sizeof(hdr));
    memcpy(cb + sizeof(hdr), cb_app, sizeof(cb_app) - 1);

    CHECK_SEC(t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                          &cc, NULL),
              SEC_E_OK);
    server_cred("Kerberos", 1, NULL, &sn);
    server_cred("Kerberos", 0, NULL, &sm);

    /* Delegation (alice's TGT is forwardable): MIT's, with the delegated credential. */
    client_start(&cc, "host/localhost", HS_ISC_REQ | ISC_REQ_DELEGATE, &c);
    accept_first(&sn, c.tok, c.len, NULL, 0, &n);
    accept_first(&sm, c.tok, c.len, NULL, 0, &m);
    CHECK_SEC(n.st, SEC_E_OK);
    CHECK_SEC(m.st, SEC_E_OK);
    CHECK(n.attrs & ASC_RET_DELEGATE);
    CHECK_EQ_INT(n.attrs, m.attrs);
    same_attributes(&n.ctx, &m.ctx);
    CHECK_EQ_INT(exported_role(&n.ctx), 1);
    t->DeleteSecurityContext(&m.ctx);
    t->DeleteSecurityContext(&c.ctx);

    /* Channel bindings given by the server: MIT's (the client sent none; MIT takes that). */
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    accept_first(&sn, c.tok, c.len, cb, sizeof(hdr) + sizeof(cb_app) - 1, &n);
    accept_first(&sm, c.tok, c.len, cb, sizeof(hdr) + sizeof(cb_app) - 1, &m);
    CHECK_SEC(n.st, m.st);
    CHECK_EQ_INT(n.attrs, m.attrs);
    if (n.st == SEC_E_OK) {
        CHECK_EQ_INT(exported_role(&n.ctx), 1);
        t->DeleteSecurityContext(&m.ctx);
    }
    t->DeleteSecurityContext(&c.ctx);

    /* Damaged tokens: every byte of the authenticator's tail, a cut, a stray trailing byte. */
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    for (ULONG k = 1; k <= 24; k++) {
        static unsigned char bad[65536];
        memcpy(bad, c.tok, c.len);
        bad[c.len - k] ^= 0x5a;
        accept_first(&sn, bad, c.len, NULL, 0, &n);
        accept_first(&sm, bad, c.len, NULL, 0, &m);
        CHECK(!SEC_SUCCESS(n.st));
        CHECK_SEC(n.st, m.st);
        CHECK_STR(n.err, m.err);
    }
    accept_first(&sn, c.tok, c.len - 1, NULL, 0, &n);
    accept_first(&sm, c.tok, c.len - 1, NULL, 0, &m);
    CHECK(!SEC_SUCCESS(n.st));
    CHECK_SEC(n.st, m.st);
    CHECK_STR(n.err, m.err);
    t->DeleteSecurityContext(&c.ctx);

    /* A keytab without the service's keys. */
    CredHandle wn, wm;
    const char *wrong = need_env("SSPIX_WRONG_KEYTAB");
    server_cred("Kerberos", 1, wrong, &wn);
    server_cred("Kerberos", 0, wrong, &wm);
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    accept_first(&wn, c.tok, c.len, NULL, 0, &n);
    accept_first(&wm, c.tok, c.len, NULL, 0, &m);
    CHECK(!SEC_SUCCESS(n.st));
    CHECK_SEC(n.st, m.st);
    CHECK_STR(n.err, m.err);
    t->DeleteSecurityContext(&c.ctx);

    /* The native acceptor records what it accepts in the replay set. */
    client_start(&cc, "host/localhost", HS_ISC_REQ, &c);
    accept_first(&sn, c.tok, c.len, NULL, 0, &n);
    CHECK_SEC(n.st, SEC_E_OK);
    t->DeleteSecurityContext(&n.ctx);
    accept_first(&sn, c.tok, c.len, NULL, 0, &n);
    CHECK_SEC(n.st, SEC_E_LOGON_DENIED);
    CHECK(strstr(n.err, "replayed authenticator") != NULL);
    t->DeleteSecurityContext(&c.ctx);

    t->FreeCredentialsHandle(&wn);
    t->FreeCredentialsHandle(&wm);
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sn);
    t->FreeCredentialsHandle(&sm);
}

int main(void)
{
    need_env("KRB5_CONFIG");
    const char *mode = getenv("SSPIX_KRB5_ACCEPTOR");
    native_on = mode == NULL || strcmp(mode, "gssapi") != 0;
    t = InitSecurityInterfaceA();
    test_same("Kerberos", "Kerberos", "host/localhost", HS_ISC_REQ);    /* aes256-cts-hmac-sha1-96 */
    test_same("Kerberos", "Kerberos", "sha2svc/localhost", HS_ISC_REQ); /* aes256-sha384-192 */
    test_same("Kerberos", "Negotiate", "host/localhost", HS_ISC_REQ);   /* raw Kerberos to Negotiate */
    test_same("Kerberos", "Kerberos", "host/localhost", HS_ISC_REQ & ~ISC_REQ_MUTUAL_AUTH); /* no AP-REP */
    test_same("Kerberos", "Kerberos", "host/localhost", ISC_REQ_MUTUAL_AUTH); /* no replay or sequence detection */
    test_same("Negotiate", "Negotiate", "host/localhost", HS_ISC_REQ);        /* SPNEGO, MIT's initiator */
    test_same("Negotiate", "Negotiate", "sha2svc/localhost", HS_ISC_REQ);
    test_same("Negotiate", "Negotiate", "host/localhost", ISC_REQ_MUTUAL_AUTH);
    test_spnego_forms();
    test_declined();
    CHECK_DONE(native_on ? "integration.krb5_native" : "integration.krb5_native.gssapi");
}
