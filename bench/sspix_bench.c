/* SPDX-License-Identifier: MIT */
/*
 * sspix_bench - in-process figures for bench/run.sh: the SSPI table against raw
 * MIT GSSAPI in the same process, alternating rounds, medians.
 *
 *   sspix_bench handshake ROUNDS N     Kerberos mutual handshakes (client + server in
 *                                      this process, credentials acquired once):
 *                                      handshakes/s through InitializeSecurityContext /
 *                                      AcceptSecurityContext vs gss_init/accept_sec_context
 *   sspix_bench protect ROUNDS SIZE MB EncryptMessage+DecryptMessage (TOKEN, DATA) vs
 *                                      gss_wrap_iov+gss_unwrap_iov (HEADER, DATA, PADDING) of
 *                                      SIZE-byte messages, MB megabytes per round: MB/s
 *
 * Prints one "key value" line per figure (medians of the rounds). Needs the
 * realm's environment: alice's ccache, the service keytab for host/localhost.
 */
#define SECURITY_WIN32
#include "bench_util.h"

#include <sspix/sspix.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROUNDS 64

static gss_OID_desc krb5_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, unsigned long code)
{
    fprintf(stderr, "sspix_bench: %s failed (0x%08lx): %s\n", what, code, sspix_last_error());
    exit(1);
}

/* ---- SSPI ------------------------------------------------------------------ */

struct sspi_pair {
    PSecurityFunctionTableA t;
    CredHandle ccred, scred;
    CtxtHandle cctx, sctx;
};

static void sspi_creds(struct sspi_pair *p)
{
    TimeStamp exp;
    SECURITY_STATUS st;
    p->t = InitSecurityInterfaceA();
    st = p->t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &p->ccred, &exp);
    if (st != SEC_E_OK)
        die("AcquireCredentialsHandle(OUTBOUND)", (unsigned long)st);
    st = p->t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)"Kerberos", SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &p->scred, &exp);
    if (st != SEC_E_OK)
        die("AcquireCredentialsHandle(INBOUND)", (unsigned long)st);
}

/* One mutual handshake; contexts left in p. */
static void sspi_handshake(struct sspi_pair *p)
{
    PSecurityFunctionTableA t = p->t;
    ULONG ca = 0, sa = 0;
    TimeStamp exp;
    SecBuffer cb = {0, SECBUFFER_TOKEN, NULL}, sb = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc cd = {SECBUFFER_VERSION, 1, &cb}, sd = {SECBUFFER_VERSION, 1, &sb};
    ULONG req = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |
                ISC_REQ_SEQUENCE_DETECT | ISC_REQ_ALLOCATE_MEMORY;
    SECURITY_STATUS cs = t->InitializeSecurityContextA(&p->ccred, NULL, (SEC_CHAR *)"host/localhost", req, 0,
                                                       SECURITY_NATIVE_DREP, NULL, 0, &p->cctx, &cd, &ca, &exp);
    if (cs != SEC_I_CONTINUE_NEEDED)
        die("InitializeSecurityContext", (unsigned long)cs);
    int have_s = 0;
    for (int leg = 0; leg < 4; leg++) {
        SecBufferDesc in = {SECBUFFER_VERSION, 1, &cb};
        sb.cbBuffer = 0;
        sb.pvBuffer = NULL;
        SECURITY_STATUS ss =
            t->AcceptSecurityContext(&p->scred, have_s ? &p->sctx : NULL, &in, req & ~(ULONG)ISC_REQ_CONFIDENTIALITY,
                                     SECURITY_NATIVE_DREP, &p->sctx, &sd, &sa, &exp);
        have_s = 1;
        t->FreeContextBuffer(cb.pvBuffer);
        cb.pvBuffer = NULL;
        if (!SEC_SUCCESS(ss))
            die("AcceptSecurityContext", (unsigned long)ss);
        if (cs == SEC_E_OK)
            break;
        SecBufferDesc in2 = {SECBUFFER_VERSION, 1, &sb};
        cb.cbBuffer = 0;
        cs = t->InitializeSecurityContextA(&p->ccred, &p->cctx, (SEC_CHAR *)"host/localhost", req, 0,
                                           SECURITY_NATIVE_DREP, &in2, 0, &p->cctx, &cd, &ca, &exp);
        t->FreeContextBuffer(sb.pvBuffer);
        if (!SEC_SUCCESS(cs))
            die("InitializeSecurityContext (reply)", (unsigned long)cs);
        if (cs == SEC_E_OK && cb.cbBuffer == 0)
            break;
    }
    if (!(ca & ISC_RET_MUTUAL_AUTH))
        die("mutual authentication", ca);
}

static void sspi_delete(struct sspi_pair *p)
{
    p->t->DeleteSecurityContext(&p->cctx);
    p->t->DeleteSecurityContext(&p->sctx);
}

/* ---- raw GSSAPI -------------------------------------------------------------- */

struct gss_pair {
    gss_cred_id_t ccred, scred;
    gss_name_t target;
    gss_ctx_id_t cctx, sctx;
};

static void gss_die(const char *what, OM_uint32 major, OM_uint32 minor)
{
    fprintf(stderr, "sspix_bench: %s failed: major 0x%08x minor %u\n", what, major, minor);
    exit(1);
}

static void gss_creds(struct gss_pair *p)
{
    OM_uint32 major, minor;
    gss_OID_set_desc mechs = {1, &krb5_oid};
    gss_buffer_desc name = {strlen("host@localhost"), (void *)"host@localhost"};
    major = gss_import_name(&minor, &name, GSS_C_NT_HOSTBASED_SERVICE, &p->target);
    if (GSS_ERROR(major))
        gss_die("gss_import_name", major, minor);
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &p->ccred, NULL, NULL);
    if (GSS_ERROR(major))
        gss_die("gss_acquire_cred(initiate)", major, minor);
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT, &p->scred, NULL, NULL);
    if (GSS_ERROR(major))
        gss_die("gss_acquire_cred(accept)", major, minor);
}

static void gss_handshake(struct gss_pair *p)
{
    OM_uint32 major, smajor, minor, flags = 0;
    gss_buffer_desc ctok = GSS_C_EMPTY_BUFFER, stok = GSS_C_EMPTY_BUFFER;
    OM_uint32 req = GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG;
    p->cctx = p->sctx = GSS_C_NO_CONTEXT;
    major = gss_init_sec_context(&minor, p->ccred, &p->cctx, p->target, &krb5_oid, req, 0, NULL, GSS_C_NO_BUFFER, NULL,
                                 &ctok, &flags, NULL);
    while (major == GSS_S_CONTINUE_NEEDED || ctok.length > 0) {
        if (GSS_ERROR(major))
            gss_die("gss_init_sec_context", major, minor);
        if (ctok.length == 0)
            break;
        smajor = gss_accept_sec_context(&minor, &p->sctx, p->scred, &ctok, NULL, NULL, NULL, &stok, NULL, NULL, NULL);
        gss_release_buffer(&minor, &ctok);
        if (GSS_ERROR(smajor))
            gss_die("gss_accept_sec_context", smajor, minor);
        if (major == GSS_S_COMPLETE)
            break;
        major = gss_init_sec_context(&minor, p->ccred, &p->cctx, p->target, &krb5_oid, req, 0, NULL, &stok, NULL, &ctok,
                                     &flags, NULL);
        gss_release_buffer(&minor, &stok);
        if (GSS_ERROR(major))
            gss_die("gss_init_sec_context (reply)", major, minor);
    }
    if (!(flags & GSS_C_MUTUAL_FLAG))
        gss_die("mutual authentication", 0, flags);
}

static void gss_delete(struct gss_pair *p)
{
    OM_uint32 minor;
    gss_delete_sec_context(&minor, &p->cctx, GSS_C_NO_BUFFER);
    gss_delete_sec_context(&minor, &p->sctx, GSS_C_NO_BUFFER);
}

/* ---- figures ------------------------------------------------------------------ */

static void bench_handshake(int rounds, int n)
{
    struct sspi_pair sp;
    struct gss_pair gp;
    double s_rate[MAX_ROUNDS], g_rate[MAX_ROUNDS];
    sspi_creds(&sp);
    gss_creds(&gp);
    /* Warm-up: service ticket in the ccache, replay cache files created. */
    for (int i = 0; i < 20; i++) {
        sspi_handshake(&sp);
        sspi_delete(&sp);
        gss_handshake(&gp);
        gss_delete(&gp);
    }
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            sspi_handshake(&sp);
            sspi_delete(&sp);
        }
        double t1 = now();
        for (int i = 0; i < n; i++) {
            gss_handshake(&gp);
            gss_delete(&gp);
        }
        double t2 = now();
        s_rate[r] = n / (t1 - t0);
        g_rate[r] = n / (t2 - t1);
    }
    double s = median(s_rate, rounds), g = median(g_rate, rounds);
    printf("handshake_sspi_per_s %.0f\nhandshake_gss_per_s %.0f\nhandshake_ratio %.3f\n", s, g, s / g);
}

static void bench_protect(int rounds, size_t size, double mb)
{
    struct sspi_pair sp;
    struct gss_pair gp;
    double s_rate[MAX_ROUNDS], g_rate[MAX_ROUNDS];
    sspi_creds(&sp);
    sspi_handshake(&sp);
    gss_creds(&gp);
    gss_handshake(&gp);
    SecPkgContext_Sizes sizes;
    if (sp.t->QueryContextAttributesA(&sp.cctx, SECPKG_ATTR_SIZES, &sizes) != SEC_E_OK)
        die("QueryContextAttributes(SIZES)", 0);
    uint8_t *msg = malloc(size), *trailer = malloc(sizes.cbSecurityTrailer), *pad = malloc(64);
    uint8_t *gh = malloc(1024), *gpad = malloc(64);
    for (size_t i = 0; i < size; i++)
        msg[i] = (uint8_t)i;
    long iters = (long)(mb * 1e6 / (double)size);
    if (iters < 1)
        iters = 1;
    /* Raw GSSAPI at its best: the sizes are computed once, as an application would. */
    OM_uint32 gmajor, gminor;
    gss_iov_buffer_desc giov[3] = {{GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}},
                                   {GSS_IOV_BUFFER_TYPE_DATA, {size, NULL}},
                                   {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}}};
    gmajor = gss_wrap_iov_length(&gminor, gp.cctx, 1, GSS_C_QOP_DEFAULT, NULL, giov, 3);
    if (GSS_ERROR(gmajor) || giov[0].buffer.length > 1024 || giov[2].buffer.length > 64)
        gss_die("gss_wrap_iov_length", gmajor, gminor);
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            SecBuffer b[3] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer},
                              {(ULONG)size, SECBUFFER_DATA, msg},
                              {sizes.cbBlockSize, SECBUFFER_PADDING, pad}};
            SecBufferDesc d = {SECBUFFER_VERSION, 3, b};
            SECURITY_STATUS st = sp.t->EncryptMessage(&sp.cctx, 0, &d, 0);
            if (st != SEC_E_OK)
                die("EncryptMessage", (unsigned long)st);
            ULONG qop;
            st = sp.t->DecryptMessage(&sp.sctx, &d, 0, &qop);
            if (st != SEC_E_OK)
                die("DecryptMessage", (unsigned long)st);
        }
        double t1 = now();
        for (long i = 0; i < iters; i++) {
            OM_uint32 major, minor;
            int conf;
            gss_iov_buffer_desc iov[3] = {{GSS_IOV_BUFFER_TYPE_HEADER, {giov[0].buffer.length, gh}},
                                          {GSS_IOV_BUFFER_TYPE_DATA, {size, msg}},
                                          {GSS_IOV_BUFFER_TYPE_PADDING, {giov[2].buffer.length, gpad}}};
            major = gss_wrap_iov(&minor, gp.cctx, 1, GSS_C_QOP_DEFAULT, &conf, iov, 3);
            if (GSS_ERROR(major))
                gss_die("gss_wrap_iov", major, minor);
            major = gss_unwrap_iov(&minor, gp.sctx, &conf, NULL, iov, 3);
            if (GSS_ERROR(major))
                gss_die("gss_unwrap_iov", major, minor);
        }
        double t2 = now();
        s_rate[r] = (double)iters * (double)size / 1e6 / (t1 - t0);
        g_rate[r] = (double)iters * (double)size / 1e6 / (t2 - t1);
    }
    double s = median(s_rate, rounds), g = median(g_rate, rounds);
    printf("protect_%zu_sspi_mb_s %.1f\nprotect_%zu_gss_mb_s %.1f\nprotect_%zu_ratio %.3f\n", size, s, size, g, size,
           s / g);
    free(msg);
    free(trailer);
    free(pad);
    free(gh);
    free(gpad);
    sspi_delete(&sp);
    gss_delete(&gp);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "handshake") == 0) {
        int rounds = atoi(argv[2]), n = atoi(argv[3]);
        if (rounds < 1 || rounds > MAX_ROUNDS || n < 1)
            return 2;
        bench_handshake(rounds, n);
        return 0;
    }
    if (argc == 5 && strcmp(argv[1], "protect") == 0) {
        int rounds = atoi(argv[2]);
        long size = atol(argv[3]);
        double mb = atof(argv[4]);
        if (rounds < 1 || rounds > MAX_ROUNDS || size < 1 || mb <= 0)
            return 2;
        bench_protect(rounds, (size_t)size, mb);
        return 0;
    }
    fprintf(stderr, "usage: sspix_bench handshake ROUNDS N | protect ROUNDS SIZE MB\n");
    return 2;
}
