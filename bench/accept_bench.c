/* SPDX-License-Identifier: MIT */
/*
 * accept_bench - what one handshake costs the acceptor alone, in one process,
 * on pre-generated fresh initiator tokens.
 *
 *   accept_bench ROUNDS N [VARIANT]
 *
 * With VARIANT (a name below), only that variant runs (for a profiler).
 * Each round first makes N fresh tokens per variant with gss_init_sec_context
 * for host@localhost (untimed; every token is used once, since a replay cache
 * refuses a second use), then times each variant on its own tokens, in an order
 * that rotates from round to round. Prints "accept_<variant>_us MEDIAN" (µs of
 * process CPU time, user + system, per handshake; median of the rounds) for:
 *
 *   sspi_krb5, sspi_spnego  the SSPI calls sspix-server makes per handshake
 *                           (src/service/conn.c): AcceptSecurityContext with
 *                           its ASC_REQ flags on one long-lived inbound
 *                           credential (replays caught in process, the
 *                           server's default), QueryContextAttributes NAMES,
 *                           PACKAGE_INFO and SIZES, FreeContextBuffer,
 *                           DeleteSecurityContext (Kerberos: the native
 *                           acceptor, src/packages/krb5_accept.c)
 *   sspi_krb5_gssapi        the same calls on a credential acquired with
 *                           SSPIX_KRB5_ACCEPTOR=gssapi (MIT's acceptor)
 *   gss_krb5, gss_spnego    gss_accept_sec_context on one acceptor credential
 *                           for host@localhost (as MIT's gss-server holds),
 *                           asking for the client name, default FILE keytab
 *                           and replay cache; the name, token and context freed
 *   gss_krb5_noname         the same without asking for the client name
 *   gss_krb5_memkt          the keytab copied into a MEMORY: keytab
 *   gss_krb5_rcnone         the replay cache "none:" (cred-store element rcache)
 *   gss_krb5_memkt_rcnone   both
 *   krb5_rdreq              raw libkrb5 on one long-lived krb5_context: a fresh
 *                           auth_context per token, krb5_rd_req (default
 *                           keytab, default replay cache), krb5_mk_rep
 *   krb5_rdreq_rcnone       the same with one long-lived "none:" replay cache
 *
 * Needs the realm's environment (alice's ccache, the keytab for host/localhost).
 */
#define SECURITY_WIN32
#include "bench_util.h"

#include <sspix/sspix.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 64
#define MAX_N      100000

/* The flags src/service/conn.c asks AcceptSecurityContext for. */
#define SERVER_ASC_REQ                                                                                                 \
    (ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |                       \
     ASC_REQ_SEQUENCE_DETECT | ASC_REQ_ALLOCATE_MEMORY)

static gss_OID_desc krb5_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};

/* CPU time, not wall time: the figures sit beside servers' on-CPU time, and a
 * busy machine's waits for a core do not count. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "accept_bench: %s\n", what);
    exit(1);
}

static void gss_die(const char *what, OM_uint32 major, OM_uint32 minor)
{
    fprintf(stderr, "accept_bench: %s failed: major 0x%08x minor %u\n", what, major, minor);
    exit(1);
}

static void krb5_die(krb5_context k, const char *what, krb5_error_code code)
{
    const char *m = krb5_get_error_message(k, code);
    fprintf(stderr, "accept_bench: %s failed: %s\n", what, m);
    krb5_free_error_message(k, m);
    exit(1);
}

/* ---- state shared by the variants ------------------------------------------- */

static struct {
    PSecurityFunctionTableA t;
    CredHandle sspi_krb5, sspi_krb5_gssapi, sspi_nego;
    gss_cred_id_t init_krb5, init_spnego;
    gss_name_t target;
    gss_cred_id_t acc_krb5, acc_spnego, acc_memkt, acc_rcnone, acc_memkt_rcnone;
    krb5_context k5;
    krb5_keytab kt_default, kt_mem;
    krb5_principal server;
    krb5_rcache rc_none;
} g;

enum variant {
    V_SSPI_KRB5,
    V_SSPI_KRB5_GSSAPI,
    V_SSPI_SPNEGO,
    V_GSS_KRB5,
    V_GSS_KRB5_NONAME,
    V_GSS_KRB5_MEMKT,
    V_GSS_KRB5_RCNONE,
    V_GSS_KRB5_MEMKT_RCNONE,
    V_GSS_SPNEGO,
    V_KRB5_RDREQ,
    V_KRB5_RDREQ_RCNONE,
    V_COUNT
};

static const char *const variant_name[V_COUNT] = {
    "sspi_krb5",       "sspi_krb5_gssapi",      "sspi_spnego", "gss_krb5",   "gss_krb5_noname",  "gss_krb5_memkt",
    "gss_krb5_rcnone", "gss_krb5_memkt_rcnone", "gss_spnego",  "krb5_rdreq", "krb5_rdreq_rcnone"};

static int variant_spnego(enum variant v)
{
    return v == V_SSPI_SPNEGO || v == V_GSS_SPNEGO;
}

static gss_cred_id_t acquire_from(gss_OID mech, const char *keytab, const char *rcache)
{
    OM_uint32 major, minor;
    gss_key_value_element_desc el[2];
    gss_key_value_set_desc store = {0, el};
    gss_OID_set_desc mechs = {1, mech};
    gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
    if (keytab != NULL)
        el[store.count++] = (gss_key_value_element_desc){"keytab", keytab};
    if (rcache != NULL)
        el[store.count++] = (gss_key_value_element_desc){"rcache", rcache};
    if (store.count == 0)
        major = gss_acquire_cred(&minor, g.target, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &cred, NULL, NULL);
    else
        major =
            gss_acquire_cred_from(&minor, g.target, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &store, &cred, NULL, NULL);
    if (GSS_ERROR(major))
        gss_die("gss_acquire_cred(accept)", major, minor);
    return cred;
}

/* A MEMORY: keytab holding a copy of every entry of the default keytab; it
 * lives as long as g.kt_mem stays open. */
static void make_memory_keytab(void)
{
    krb5_kt_cursor cur;
    krb5_keytab_entry e;
    krb5_error_code code;
    if ((code = krb5_kt_resolve(g.k5, "MEMORY:accept_bench", &g.kt_mem)) != 0)
        krb5_die(g.k5, "krb5_kt_resolve(MEMORY)", code);
    if ((code = krb5_kt_start_seq_get(g.k5, g.kt_default, &cur)) != 0)
        krb5_die(g.k5, "krb5_kt_start_seq_get", code);
    while (krb5_kt_next_entry(g.k5, g.kt_default, &e, &cur) == 0) {
        if ((code = krb5_kt_add_entry(g.k5, g.kt_mem, &e)) != 0)
            krb5_die(g.k5, "krb5_kt_add_entry", code);
        krb5_free_keytab_entry_contents(g.k5, &e);
    }
    krb5_kt_end_seq_get(g.k5, g.kt_default, &cur);
}

static void setup(void)
{
    OM_uint32 major, minor;
    krb5_error_code code;
    TimeStamp exp;
    SECURITY_STATUS st;
    gss_buffer_desc name = {strlen("host@localhost"), (void *)"host@localhost"};

    g.t = InitSecurityInterfaceA();
    /* As sspix-server acquires by default: replays caught in process. */
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .Flags = SSPIX_AUTH_STORE_REPLAY_IN_PROCESS};
    st = g.t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                        &g.sspi_krb5, &exp);
    if (st != SEC_E_OK)
        die(sspix_last_error());
    /* The same credential with MIT's acceptor for every token (no native Kerberos acceptor). */
    setenv("SSPIX_KRB5_ACCEPTOR", "gssapi", 1);
    st = g.t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                        &g.sspi_krb5_gssapi, &exp);
    unsetenv("SSPIX_KRB5_ACCEPTOR");
    if (st != SEC_E_OK)
        die(sspix_last_error());
    st = g.t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, &store, NULL, NULL,
                                        &g.sspi_nego, &exp);
    if (st != SEC_E_OK)
        die(sspix_last_error());

    major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &g.target);
    if (GSS_ERROR(major))
        gss_die("gss_import_name", major, minor);
    gss_OID_set_desc k = {1, &krb5_oid}, s = {1, &spnego_oid};
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &k, GSS_C_INITIATE, &g.init_krb5, NULL, NULL);
    if (GSS_ERROR(major))
        gss_die("gss_acquire_cred(initiate, krb5)", major, minor);
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &s, GSS_C_INITIATE, &g.init_spnego, NULL, NULL);
    if (GSS_ERROR(major))
        gss_die("gss_acquire_cred(initiate, spnego)", major, minor);

    if ((code = krb5_init_context(&g.k5)) != 0)
        die("krb5_init_context failed");
    if ((code = krb5_kt_default(g.k5, &g.kt_default)) != 0)
        krb5_die(g.k5, "krb5_kt_default", code);
    make_memory_keytab();
    if ((code = krb5_parse_name(g.k5, "host/localhost", &g.server)) != 0)
        krb5_die(g.k5, "krb5_parse_name", code);
    /* libkrb5's public API opens a replay cache only through its default name,
     * which KRB5RCACHETYPE sets. */
    const char *type = getenv("KRB5RCACHETYPE");
    char *saved = type ? strdup(type) : NULL;
    krb5_data piece = {KV5M_DATA, 4, (char *)"host"};
    setenv("KRB5RCACHETYPE", "none", 1);
    code = krb5_get_server_rcache(g.k5, &piece, &g.rc_none);
    if (saved != NULL)
        setenv("KRB5RCACHETYPE", saved, 1);
    else
        unsetenv("KRB5RCACHETYPE");
    free(saved);
    if (code != 0)
        krb5_die(g.k5, "krb5_get_server_rcache(none)", code);

    g.acc_krb5 = acquire_from(&krb5_oid, NULL, NULL);
    g.acc_spnego = acquire_from(&spnego_oid, NULL, NULL);
    g.acc_memkt = acquire_from(&krb5_oid, "MEMORY:accept_bench", NULL);
    g.acc_rcnone = acquire_from(&krb5_oid, NULL, "none:");
    g.acc_memkt_rcnone = acquire_from(&krb5_oid, "MEMORY:accept_bench", "none:");
}

static void teardown(void)
{
    OM_uint32 minor;
    g.t->FreeCredentialsHandle(&g.sspi_krb5);
    g.t->FreeCredentialsHandle(&g.sspi_nego);
    gss_release_cred(&minor, &g.init_krb5);
    gss_release_cred(&minor, &g.init_spnego);
    gss_release_cred(&minor, &g.acc_krb5);
    gss_release_cred(&minor, &g.acc_spnego);
    gss_release_cred(&minor, &g.acc_memkt);
    gss_release_cred(&minor, &g.acc_rcnone);
    gss_release_cred(&minor, &g.acc_memkt_rcnone);
    gss_release_name(&minor, &g.target);
    krb5_auth_context ac;
    if (krb5_auth_con_init(g.k5, &ac) == 0) {
        krb5_auth_con_setrcache(g.k5, ac, g.rc_none); /* closed with it */
        krb5_auth_con_free(g.k5, ac);
    }
    krb5_free_principal(g.k5, g.server);
    krb5_kt_close(g.k5, g.kt_mem);
    krb5_kt_close(g.k5, g.kt_default);
    krb5_free_context(g.k5);
}

/* ---- tokens ------------------------------------------------------------------ */

/* One fresh initial token (the initiator context is dropped at once: only the
 * acceptor is measured). */
static void make_token(int spnego, gss_buffer_desc *tok)
{
    OM_uint32 major, minor;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 req = GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    major =
        gss_init_sec_context(&minor, spnego ? g.init_spnego : g.init_krb5, &ctx, g.target,
                             spnego ? &spnego_oid : &krb5_oid, req, 0, NULL, GSS_C_NO_BUFFER, NULL, tok, NULL, NULL);
    if (GSS_ERROR(major) || tok->length == 0)
        gss_die("gss_init_sec_context", major, minor);
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
}

/* The AP-REQ inside a krb5 GSS initial token: [APPLICATION 0] { OID, TOK_ID
 * 01 00, AP-REQ } (RFC 1964 §1.1, RFC 2743 §3.1). */
static int ap_req_of(const gss_buffer_desc *tok, krb5_data *out)
{
    const unsigned char *p = tok->value;
    size_t n = tok->length, i = 0, len = 0;
    if (n < 2 || p[i++] != 0x60)
        return -1;
    if (p[i] < 0x80) {
        len = p[i++];
    } else {
        size_t k = p[i++] & 0x7fu;
        if (k == 0 || k > 3 || i + k > n)
            return -1;
        while (k-- > 0)
            len = len << 8 | p[i++];
    }
    if (len != n - i || n - i < 2 + krb5_oid.length + 2)
        return -1;
    if (p[i] != 0x06 || p[i + 1] != krb5_oid.length || memcmp(p + i + 2, krb5_oid.elements, krb5_oid.length) != 0)
        return -1;
    i += 2 + krb5_oid.length;
    if (p[i] != 0x01 || p[i + 1] != 0x00)
        return -1;
    i += 2;
    out->magic = KV5M_DATA;
    out->length = (unsigned int)(n - i);
    out->data = (char *)(p + i);
    return 0;
}

/* ---- one handshake per variant -------------------------------------------------- */

static void sspi_accept(CredHandle *cred, const gss_buffer_desc *tok)
{
    PSecurityFunctionTableA t = g.t;
    CtxtHandle ctx;
    ULONG attrs = 0;
    TimeStamp exp;
    SecBuffer ib = {(ULONG)tok->length, SECBUFFER_TOKEN, tok->value};
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
    SECURITY_STATUS st =
        t->AcceptSecurityContext(cred, NULL, &in, SERVER_ASC_REQ, SECURITY_NATIVE_DREP, &ctx, &out, &attrs, &exp);
    if (st != SEC_E_OK || ob.cbBuffer == 0 || !(attrs & ASC_RET_MUTUAL_AUTH))
        die(sspix_last_error());
    t->FreeContextBuffer(ob.pvBuffer);
    /* What the server's describe() asks once a context is complete. */
    SecPkgContext_NamesA names;
    SecPkgContext_PackageInfoA pkg;
    SecPkgContext_Sizes sizes;
    if (t->QueryContextAttributesA(&ctx, SECPKG_ATTR_NAMES, &names) != SEC_E_OK)
        die(sspix_last_error());
    char *client = strdup(names.sUserName ? names.sUserName : "");
    t->FreeContextBuffer(names.sUserName);
    if (t->QueryContextAttributesA(&ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg) != SEC_E_OK)
        die(sspix_last_error());
    char *package = strdup(pkg.PackageInfo->Name);
    t->FreeContextBuffer(pkg.PackageInfo);
    if (t->QueryContextAttributesA(&ctx, SECPKG_ATTR_SIZES, &sizes) != SEC_E_OK)
        die(sspix_last_error());
    if (client == NULL || package == NULL)
        die("out of memory");
    free(client);
    free(package);
    t->DeleteSecurityContext(&ctx);
}

static void gss_accept(gss_cred_id_t cred, gss_buffer_desc *tok, int want_name)
{
    OM_uint32 major, minor;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    gss_name_t src = GSS_C_NO_NAME;
    gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
    OM_uint32 flags = 0;
    major = gss_accept_sec_context(&minor, &ctx, cred, tok, GSS_C_NO_CHANNEL_BINDINGS, want_name ? &src : NULL, NULL,
                                   &out, &flags, NULL, NULL);
    if (major != GSS_S_COMPLETE || out.length == 0 || !(flags & GSS_C_MUTUAL_FLAG))
        gss_die("gss_accept_sec_context", major, minor);
    gss_release_buffer(&minor, &out);
    if (want_name)
        gss_release_name(&minor, &src);
    gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
}

static void krb5_accept(const gss_buffer_desc *tok, int rc_none)
{
    krb5_auth_context ac = NULL;
    krb5_data req, rep;
    krb5_ticket *ticket = NULL;
    krb5_flags options = 0;
    krb5_error_code code;
    if (ap_req_of(tok, &req) != 0)
        die("not a krb5 GSS initial token");
    if ((code = krb5_auth_con_init(g.k5, &ac)) != 0)
        krb5_die(g.k5, "krb5_auth_con_init", code);
    if (rc_none)
        krb5_auth_con_setrcache(g.k5, ac, g.rc_none);
    if ((code = krb5_rd_req(g.k5, &ac, &req, g.server, g.kt_default, &options, &ticket)) != 0)
        krb5_die(g.k5, "krb5_rd_req", code);
    if ((code = krb5_mk_rep(g.k5, ac, &rep)) != 0)
        krb5_die(g.k5, "krb5_mk_rep", code);
    krb5_free_data_contents(g.k5, &rep);
    krb5_free_ticket(g.k5, ticket);
    if (rc_none)
        krb5_auth_con_setrcache(g.k5, ac, NULL); /* long-lived: not closed with the auth context */
    krb5_auth_con_free(g.k5, ac);
}

static void run_one(enum variant v, gss_buffer_desc *tok)
{
    switch (v) {
    case V_SSPI_KRB5: sspi_accept(&g.sspi_krb5, tok); break;
    case V_SSPI_KRB5_GSSAPI: sspi_accept(&g.sspi_krb5_gssapi, tok); break;
    case V_SSPI_SPNEGO: sspi_accept(&g.sspi_nego, tok); break;
    case V_GSS_KRB5: gss_accept(g.acc_krb5, tok, 1); break;
    case V_GSS_KRB5_NONAME: gss_accept(g.acc_krb5, tok, 0); break;
    case V_GSS_KRB5_MEMKT: gss_accept(g.acc_memkt, tok, 1); break;
    case V_GSS_KRB5_RCNONE: gss_accept(g.acc_rcnone, tok, 1); break;
    case V_GSS_KRB5_MEMKT_RCNONE: gss_accept(g.acc_memkt_rcnone, tok, 1); break;
    case V_GSS_SPNEGO: gss_accept(g.acc_spnego, tok, 1); break;
    case V_KRB5_RDREQ: krb5_accept(tok, 0); break;
    case V_KRB5_RDREQ_RCNONE: krb5_accept(tok, 1); break;
    case V_COUNT: break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: accept_bench ROUNDS N [VARIANT]\n");
        return 2;
    }
    int rounds = atoi(argv[1]), n = atoi(argv[2]);
    int only = -1;
    for (int v = 0; argc == 4 && v < V_COUNT; v++)
        if (strcmp(argv[3], variant_name[v]) == 0)
            only = v;
    if (argc == 4 && only < 0) {
        fprintf(stderr, "accept_bench: no variant %s\n", argv[3]);
        return 2;
    }
    if (rounds < 1 || rounds > MAX_ROUNDS || n < 1 || n > MAX_N) {
        fprintf(stderr, "accept_bench: ROUNDS must be 1..%d and N 1..%d\n", MAX_ROUNDS, MAX_N);
        return 2;
    }
    setup();
    gss_buffer_desc *tok = calloc((size_t)V_COUNT * (size_t)n, sizeof(*tok));
    static double us[V_COUNT][MAX_ROUNDS];
    if (tok == NULL)
        die("out of memory");
    /* Warm-up, untimed: service tickets in the ccache, replay cache files, lazy initialisation. */
    for (int v = 0; v < V_COUNT; v++) {
        for (int i = 0; i < 10 && (only < 0 || v == only); i++) {
            OM_uint32 minor;
            gss_buffer_desc t;
            make_token(variant_spnego((enum variant)v), &t);
            run_one((enum variant)v, &t);
            gss_release_buffer(&minor, &t);
        }
    }
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < V_COUNT; v++)
            for (int i = 0; i < n && (only < 0 || v == only); i++)
                make_token(variant_spnego((enum variant)v), &tok[(size_t)v * (size_t)n + (size_t)i]);
        for (int k = 0; k < V_COUNT; k++) {
            enum variant v = (enum variant)((k + r) % V_COUNT);
            if (only >= 0 && (int)v != only)
                continue;
            gss_buffer_desc *t = &tok[(size_t)v * (size_t)n];
            double t0 = now();
            for (int i = 0; i < n; i++)
                run_one(v, &t[i]);
            us[v][r] = (now() - t0) * 1e6 / n;
        }
        for (size_t i = 0; i < (size_t)V_COUNT * (size_t)n; i++) {
            OM_uint32 minor;
            if (tok[i].value != NULL)
                gss_release_buffer(&minor, &tok[i]);
        }
    }
    for (int v = 0; v < V_COUNT; v++)
        if (only < 0 || v == only)
            printf("accept_%s_us %.1f\n", variant_name[v], median(us[v], rounds));
    free(tok);
    teardown();
    return 0;
}
