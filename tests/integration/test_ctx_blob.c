/* SPDX-License-Identifier: MIT */
/*
 * test_ctx_blob.c - the packed-context format behind Export/Import
 * (src/packages/ctx_blob.c), below the MAC:
 *
 *   - the decoder alone (no GSSAPI): round trip, every truncation, trailing
 *     bytes, and each field out of its range;
 *   - blobs that carry a genuine GSSAPI context but lie in their own fields
 *     (re-sealed with the process key, as only a key holder could): a wrong
 *     role is refused, a start in the future is refused, an expiry beyond
 *     what GSSAPI reports is cut down to it;
 *   - the bounded replay set: a blob older than every remembered import is
 *     refused once the set has rolled over;
 *   - sspix_set_context_export_key: another key refuses the blob, restoring
 *     the process key accepts it again.
 */
#define SECURITY_WIN32
#include <security.h>

#include <time.h>

#include "common/check.h"
#include "common/handshake.h"
#include "packages/ctx_blob.h"
#include "sspi/handles.h"

static PSecurityFunctionTableA t;

#define CHECK_MSG(needle)                                                                                              \
    do {                                                                                                               \
        if (strstr(sspix_last_error(), (needle)) == NULL)                                                              \
            fprintf(stderr, "last error: %s\n", sspix_last_error());                                                   \
        CHECK(strstr(sspix_last_error(), (needle)) != NULL);                                                           \
    } while (0)

/* Encodes b into buf (with room for the MAC); returns the body length. */
static size_t encode(const struct sspix_ctx_blob *b, uint8_t *buf, size_t cap)
{
    sspix_writer w;
    sspix_writer_init_fixed(&w, buf, cap);
    CHECK(sspix_ctx_blob_encode(&w, b) == 0);
    CHECK_EQ_INT(sspix_writer_len(&w), sspix_ctx_blob_body_len(b));
    return sspix_writer_len(&w);
}

static void test_decoder(void)
{
    static const uint8_t krb5_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    static const uint8_t token[40] = {1, 2, 3};
    struct sspix_ctx_blob b = {.exported_ns = 1,
                               .package = 1,
                               .role = 1,
                               .start = 10,
                               .expiry = 20,
                               .mech = krb5_oid,
                               .mech_len = sizeof(krb5_oid),
                               .token = token,
                               .token_len = sizeof(token)};
    memset(b.nonce, 0xA5, sizeof(b.nonce));
    uint8_t buf[512], bad[512];
    struct sspix_ctx_blob d;
    size_t n = encode(&b, buf, sizeof(buf));

    CHECK_SEC(sspix_ctx_blob_decode(buf, n, &d), SEC_E_OK);
    CHECK(memcmp(d.nonce, b.nonce, sizeof(b.nonce)) == 0);
    CHECK_EQ_INT(d.package, 1);
    CHECK_EQ_INT(d.role, 1);
    CHECK_EQ_INT(d.start, 10);
    CHECK_EQ_INT(d.expiry, 20);
    CHECK_EQ_INT(d.token_len, sizeof(token));
    CHECK(d.token == buf + n - 2 - sizeof(token)); /* then the (empty) protection state's length */
    CHECK(d.protect == NULL && d.protect_len == 0);
    for (size_t cut = 0; cut < n; cut++)
        CHECK_SEC(sspix_ctx_blob_decode(buf, cut, &d), SEC_E_INVALID_TOKEN);
    memcpy(bad, buf, n);
    bad[n] = 0;
    CHECK_SEC(sspix_ctx_blob_decode(bad, n + 1, &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("trailing");
    memcpy(bad, buf, n);
    bad[11] = 1; /* version 1: the unauthenticated format */
    CHECK_SEC(sspix_ctx_blob_decode(bad, n, &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("version");

    struct sspix_ctx_blob e = b;
    e.package = 3;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("package");
    e = b;
    e.role = 3;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("role");
    e = b;
    e.role = 2; /* a natively accepted Kerberos context must carry rfc4121's state */
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("native Kerberos context without Kerberos message protection");
    e = b;
    e.start = -1;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("times");
    e = b;
    e.expiry = 9;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("times");
    e = b;
    e.mech_len = 0;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    e = b;
    e.mech_len = 8; /* a prefix of the krb5 OID: no mechanism */
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("mechanism");
    e = b;
    e.token_len = 0;
    CHECK_SEC(sspix_ctx_blob_decode(buf, encode(&e, buf, sizeof(buf)), &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("token");
    /* rfc4121.c's state after the token: kept as given, bounded */
    static const uint8_t state[3] = {7, 8, 9};
    e = b;
    e.protect = state;
    e.protect_len = sizeof(state);
    n = encode(&e, buf, sizeof(buf));
    CHECK_SEC(sspix_ctx_blob_decode(buf, n, &d), SEC_E_OK);
    CHECK(d.protect_len == sizeof(state) && d.protect == buf + n - sizeof(state));
    buf[n - sizeof(state) - 2] = 0x01; /* 259 bytes claimed, 3 there */
    CHECK_SEC(sspix_ctx_blob_decode(buf, n, &d), SEC_E_INVALID_TOKEN);
    CHECK_MSG("protection state");
}

/* A genuine exported server context, decoded (body points into *blob). */
struct genuine {
    uint8_t *blob;
    size_t len;
    struct sspix_ctx_blob b;
};

static void export_server(const char *pkg, struct genuine *g)
{
    CredHandle cc, sc;
    struct hs hs;
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL, &cc, NULL),
        SEC_E_OK);
    CHECK_SEC(
        t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL, &sc, NULL),
        SEC_E_OK);
    CHECK_SEC(hs_run(t, &cc, &sc, "host/localhost", HS_ISC_REQ, HS_ASC_REQ, &hs), SEC_E_OK);
    CHECK_SEC(t->ExportSecurityContext(&hs.server, 0, &packed, NULL), SEC_E_OK);
    g->len = packed.cbBuffer;
    g->blob = malloc(g->len);
    CHECK(g->blob != NULL);
    memcpy(g->blob, packed.pvBuffer, g->len);
    t->FreeContextBuffer(packed.pvBuffer);
    CHECK_SEC(sspix_ctx_blob_decode(g->blob, g->len - SSPIX_CTX_BLOB_MAC, &g->b), SEC_E_OK);
    hs_free(t, &hs);
    CHECK_SEC(t->FreeCredentialsHandle(&cc), SEC_E_OK);
    CHECK_SEC(t->FreeCredentialsHandle(&sc), SEC_E_OK);
}

/* Re-encodes b with a fresh nonce, seals it and imports it. */
static SECURITY_STATUS import_forged(const char *pkg, struct sspix_ctx_blob *b, CtxtHandle *h)
{
    static uint8_t buf[SSPIX_CTX_BLOB_MAX];
    static uint32_t counter;
    counter++;
    memcpy(b->nonce, &counter, sizeof(counter));
    size_t n = encode(b, buf, sizeof(buf));
    CHECK_SEC(sspix_ctx_blob_seal(buf, n), SEC_E_OK);
    SecBuffer packed = {(ULONG)(n + SSPIX_CTX_BLOB_MAC), SECBUFFER_EMPTY, buf};
    return t->ImportSecurityContextA((SEC_CHAR *)pkg, &packed, NULL, h);
}

static void test_lying_fields(void)
{
    struct genuine g;
    CtxtHandle h;
    export_server("Kerberos", &g);
    int64_t now = (int64_t)time(NULL);

    struct sspix_ctx_blob b = g.b;
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_OK); /* re-sealing alone changes nothing */
    CHECK_SEC(t->DeleteSecurityContext(&h), SEC_E_OK);

    b = g.b;
    b.role = 0; /* a server context claiming to be the client */
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_INVALID_TOKEN);
    CHECK_MSG("GSSAPI says server");

    b = g.b;
    b.start = now + 3600;
    b.expiry = now + 7200;
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_INVALID_TOKEN);
    CHECK_MSG("future");

    b = g.b;
    b.expiry = INT64_MAX; /* "never expires": GSSAPI knows the ticket's end */
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_OK);
    SecPkgContext_Lifespan life;
    CHECK_SEC(t->QueryContextAttributes(&h, SECPKG_ATTR_LIFESPAN, &life), SEC_E_OK);
    CHECK(life.tsExpiry.QuadPart != INT64_MAX);
    CHECK(sspix_timestamp_to_unix(&life.tsExpiry) <= now + 2 * 86400);
    CHECK(sspix_timestamp_to_unix(&life.tsExpiry) > now);
    SecPkgContext_Flags flags;
    CHECK_SEC(t->QueryContextAttributes(&h, SECPKG_ATTR_FLAGS, &flags), SEC_E_OK);
    CHECK(flags.Flags & ASC_RET_MUTUAL_AUTH); /* from GSSAPI, which knows it */
    CHECK_SEC(t->DeleteSecurityContext(&h), SEC_E_OK);

    /* Roll the replay set over; then a blob older than all of it is refused. */
    sspix_ctx_blob_forget_imports();
    uint64_t t0 = g.b.exported_ns;
    for (unsigned i = 0; i <= 1024; i++) {
        b = g.b;
        b.exported_ns = t0 + 1000 + i;
        CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_OK);
        CHECK_SEC(t->DeleteSecurityContext(&h), SEC_E_OK);
    }
    b = g.b;
    b.exported_ns = t0 + 1000; /* as old as the forgotten one */
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_INVALID_TOKEN);
    CHECK_MSG("older than every import");
    b.exported_ns = t0 + 1001 + 1024; /* newer than everything: fine */
    CHECK_SEC(import_forged("Kerberos", &b, &h), SEC_E_OK);
    CHECK_SEC(t->DeleteSecurityContext(&h), SEC_E_OK);
    sspix_ctx_blob_forget_imports();

    /* Another key: the genuine blob no longer verifies; the process key again: it does. */
    uint8_t key[SSPIX_CONTEXT_EXPORT_KEY_BYTES];
    memset(key, 0x42, sizeof(key));
    CHECK_SEC(sspix_set_context_export_key(key, sizeof(key)), SEC_E_OK);
    SecBuffer packed = {(ULONG)g.len, SECBUFFER_EMPTY, g.blob};
    CHECK_SEC(t->ImportSecurityContextA("Kerberos", &packed, NULL, &h), SEC_E_INVALID_TOKEN);
    CHECK_MSG("MAC");
    CHECK_SEC(sspix_set_context_export_key(NULL, 0), SEC_E_OK);
    CHECK_SEC(t->ImportSecurityContextA("Kerberos", &packed, NULL, &h), SEC_E_OK);
    CHECK_SEC(t->DeleteSecurityContext(&h), SEC_E_OK);
    free(g.blob);
}

/* Usage: test_ctx_blob [decoder]: the decoder checks only (no KDC needed). */
int main(int argc, char **argv)
{
    t = InitSecurityInterface();
    test_decoder();
    if (argc < 2 || strcmp(argv[1], "decoder") != 0) {
        need_env("KRB5CCNAME");
        test_lying_fields();
    }
    CHECK_EQ_INT(sspix_handle_count(SSPIX_HANDLE_CTX), 0);
    CHECK_DONE("integration.ctx_blob");
}
