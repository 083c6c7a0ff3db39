/* SPDX-License-Identifier: MIT */
/*
 * protect_bench.c - RFC 4121 message protection: src/packages/rfc4121.c vs
 * MIT's gss_*_iov in the same process, vs the OpenSSL floor (the same EVP
 * calls alone, without the token), alternating rounds, medians.
 *
 *   protect_bench [ROUNDS [MB]]    (in a realm: . DIR/env first)
 *
 * For each enctype (aes256-cts-hmac-sha1-96 via host/localhost, aes256-cts-
 * hmac-sha384-192 via sha2svc/localhost) and size (64 B, 1 KiB, 16 KiB,
 * 1 MiB): Encrypt+Decrypt (wrap + unwrap in the Windows layout, HEADER |
 * DATA, as EncryptMessage lays it out) and Sign+Verify (MIC + verify). The
 * rfc4121 side is the acceptor end of one handshake against the initiator
 * end of another, both exported from MIT; MIT's side is a raw context pair.
 * Prints a Markdown table of MB/s medians and ratios, then "key value" lines.
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "packages/rfc4121.h"

#define MAX_ROUNDS   31
#define IOV(t, p, l) ((gss_iov_buffer_desc){(t), {(l), (p)}})

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what, OM_uint32 major)
{
    fprintf(stderr, "protect_bench: %s failed (0x%x)\n", what, major);
    exit(1);
}

static void establish(const char *service, krb5_enctype only, gss_ctx_id_t *ictx, gss_ctx_id_t *actx, OM_uint32 *fl)
{
    OM_uint32 min, maj;
    gss_name_t target;
    gss_buffer_desc nb = {strlen(service), (void *)service};
    gss_OID_set_desc krb5_only = {1, (gss_OID)gss_mech_krb5};
    gss_cred_id_t ic, ac;
    if (GSS_ERROR(maj = gss_import_name(&min, &nb, GSS_C_NT_HOSTBASED_SERVICE, &target)))
        die("gss_import_name", maj);
    if (GSS_ERROR(maj = gss_acquire_cred(&min, GSS_C_NO_NAME, 0, &krb5_only, GSS_C_INITIATE, &ic, NULL, NULL)))
        die("gss_acquire_cred(initiate)", maj);
    if (GSS_ERROR(maj = gss_acquire_cred(&min, GSS_C_NO_NAME, 0, &krb5_only, GSS_C_ACCEPT, &ac, NULL, NULL)))
        die("gss_acquire_cred(accept)", maj);
    if (only != 0 && GSS_ERROR(maj = gss_krb5_set_allowable_enctypes(&min, ic, 1, &only)))
        die("gss_krb5_set_allowable_enctypes", maj);
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER, out = GSS_C_EMPTY_BUFFER, back = GSS_C_EMPTY_BUFFER;
    *ictx = *actx = GSS_C_NO_CONTEXT;
    OM_uint32 req = GSS_C_MUTUAL_FLAG | GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    for (;;) {
        maj = gss_init_sec_context(&min, ic, ictx, target, (gss_OID)gss_mech_krb5, req, 0, NULL, &in, NULL, &out, fl,
                                   NULL);
        if (GSS_ERROR(maj))
            die("gss_init_sec_context", maj);
        gss_release_buffer(&min, &back);
        in = (gss_buffer_desc)GSS_C_EMPTY_BUFFER;
        if (out.length == 0)
            break;
        OM_uint32 a = gss_accept_sec_context(&min, actx, ac, &out, NULL, NULL, NULL, &back, NULL, NULL, NULL);
        if (GSS_ERROR(a))
            die("gss_accept_sec_context", a);
        gss_release_buffer(&min, &out);
        if (maj == GSS_S_COMPLETE)
            break;
        in = back;
    }
    gss_release_buffer(&min, &back);
    gss_release_cred(&min, &ic);
    gss_release_cred(&min, &ac);
    gss_release_name(&min, &target);
}

static sspix_rfc4121 *from_lucid(gss_ctx_id_t *ctx, OM_uint32 flags)
{
    OM_uint32 min, maj;
    void *lp = NULL;
    if (GSS_ERROR(maj = gss_krb5_export_lucid_sec_context(&min, ctx, 1, &lp)))
        die("gss_krb5_export_lucid_sec_context", maj);
    gss_krb5_lucid_context_v1_t *l = lp;
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
    sspix_rfc4121 *r = NULL;
    if (sspix_rfc4121_new(&p, &r, NULL) != 0)
        die("sspix_rfc4121_new", 0);
    gss_krb5_free_lucid_sec_context(&min, lp);
    return r;
}

/* The OpenSSL floor: what the token costs in AES-CBC and HMAC calls alone. */
struct floor {
    EVP_CIPHER_CTX *enc, *dec;
    EVP_MAC_CTX *mac;
    size_t mac_len;
    int sha2;
};

static void floor_init(struct floor *f, int32_t enctype)
{
    static const uint8_t key[32] = {1, 2, 3};
    int aes256 = enctype == 18 || enctype == 20;
    const EVP_CIPHER *c = aes256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
    f->enc = EVP_CIPHER_CTX_new();
    f->dec = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(f->enc, c, NULL, key, key);
    EVP_DecryptInit_ex(f->dec, c, NULL, key, key);
    EVP_CIPHER_CTX_set_padding(f->enc, 0);
    EVP_CIPHER_CTX_set_padding(f->dec, 0);
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    f->mac = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);
    const char *digest = enctype == 19 ? "SHA256" : enctype == 20 ? "SHA384" : "SHA1";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_init(f->mac, key, enctype == 20 ? 24 : aes256 ? 32 : 16, params);
    f->sha2 = enctype >= 19;
}

static void floor_free(struct floor *f)
{
    EVP_CIPHER_CTX_free(f->enc);
    EVP_CIPHER_CTX_free(f->dec);
    EVP_MAC_CTX_free(f->mac);
}

static const uint8_t zero_iv[16];

static void floor_mac(struct floor *f, const uint8_t *p, size_t n, uint8_t *out)
{
    size_t ol = 0;
    EVP_MAC_init(f->mac, NULL, 0, NULL);
    EVP_MAC_update(f->mac, p, n);
    EVP_MAC_final(f->mac, out, &ol, 64);
}

/* confounder | data | header copy, rounded to whole blocks (CTS costs the same). */
static void floor_seal(struct floor *f, uint8_t *p, size_t n)
{
    uint8_t mac[64];
    int ol;
    size_t blocks = n & ~(size_t)15;
    EVP_EncryptInit_ex(f->enc, NULL, NULL, NULL, zero_iv);
    if (!f->sha2)
        floor_mac(f, p, n, mac);
    EVP_EncryptUpdate(f->enc, p, &ol, p, (int)blocks);
    if (f->sha2)
        floor_mac(f, p, n, mac);
}

static void floor_unseal(struct floor *f, uint8_t *p, size_t n)
{
    uint8_t mac[64];
    int ol;
    size_t blocks = n & ~(size_t)15;
    EVP_DecryptInit_ex(f->dec, NULL, NULL, NULL, zero_iv);
    if (f->sha2)
        floor_mac(f, p, n, mac);
    EVP_DecryptUpdate(f->dec, p, &ol, p, (int)blocks);
    if (!f->sha2)
        floor_mac(f, p, n, mac);
}

struct setup {
    const char *name;
    int32_t enctype;
    sspix_rfc4121 *r_send, *r_recv; /* rfc4121: an initiator end, and the acceptor end of the same handshake */
    gss_ctx_id_t g_send, g_recv;    /* MIT: a raw pair */
    struct floor fl;
};

static void setup_init(struct setup *s, const char *name, const char *service, krb5_enctype only)
{
    gss_ctx_id_t i1, a1;
    OM_uint32 f1;
    s->name = name;
    establish(service, only, &i1, &a1, &f1);
    s->r_send = from_lucid(&i1, f1);
    s->r_recv = from_lucid(&a1, f1);
    s->enctype = sspix_rfc4121_enctype(s->r_send);
    establish(service, only, &s->g_send, &s->g_recv, &f1);
    floor_init(&s->fl, s->enctype);
}

/* Which figure, and its three rates. */
struct result {
    double r, g, o;
};

static struct result bench(struct setup *s, int sign, size_t size, int rounds, double mb)
{
    double rr[MAX_ROUNDS], gr[MAX_ROUNDS], orr[MAX_ROUNDS];
    uint8_t *msg = malloc(size + 64), hdr[128], mic[64];
    for (size_t i = 0; i < size + 64; i++)
        msg[i] = (uint8_t)i;
    long iters = (long)(mb * 1e6 / (double)size);
    if (iters < 16)
        iters = 16;
    OM_uint32 maj, min;
    for (int r = 0; r < rounds; r++) {
        double t0 = now();
        for (long i = 0; i < iters; i++) {
            if (!sign) {
                gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, sizeof(hdr)),
                                              IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, size)};
                if ((maj = sspix_rfc4121_wrap(s->r_send, 1, 0, NULL, iov, 2)) != 0)
                    die("sspix_rfc4121_wrap", maj);
                if ((maj = sspix_rfc4121_unwrap(s->r_recv, NULL, NULL, iov, 2)) != 0)
                    die("sspix_rfc4121_unwrap", maj);
            } else {
                gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, size),
                                              IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, sizeof(mic))};
                if ((maj = sspix_rfc4121_get_mic(s->r_send, 0, iov, 2)) != 0)
                    die("sspix_rfc4121_get_mic", maj);
                if ((maj = sspix_rfc4121_verify_mic(s->r_recv, NULL, iov, 2)) != 0)
                    die("sspix_rfc4121_verify_mic", maj);
            }
        }
        double t1 = now();
        for (long i = 0; i < iters; i++) {
            if (!sign) {
                gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, hdr, 0),
                                              IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, size),
                                              IOV(GSS_IOV_BUFFER_TYPE_PADDING, NULL, 0)};
                /* the sizes, as EncryptMessage's caller knows them from QueryContextAttributes */
                iov[0].buffer.length = 16 + 16 + 16 + (s->enctype == 20 ? 24 : s->enctype == 19 ? 16 : 12);
                if (GSS_ERROR(maj = gss_wrap_iov(&min, s->g_send, 1, 0, NULL, iov, 3)))
                    die("gss_wrap_iov", maj);
                if (GSS_ERROR(maj = gss_unwrap_iov(&min, s->g_recv, NULL, NULL, iov, 3)))
                    die("gss_unwrap_iov", maj);
            } else {
                gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, msg, size),
                                              IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, sizeof(mic))};
                iov[1].buffer.length = 16 + (s->enctype == 20 ? 24 : s->enctype == 19 ? 16 : 12);
                if (GSS_ERROR(maj = gss_get_mic_iov(&min, s->g_send, 0, iov, 2)))
                    die("gss_get_mic_iov", maj);
                if (GSS_ERROR(maj = gss_verify_mic_iov(&min, s->g_recv, NULL, iov, 2)))
                    die("gss_verify_mic_iov", maj);
            }
        }
        double t2 = now();
        for (long i = 0; i < iters; i++) {
            uint8_t m[64];
            if (!sign) {
                floor_seal(&s->fl, msg, size + 32);
                floor_unseal(&s->fl, msg, size + 32);
            } else {
                floor_mac(&s->fl, msg, size + 16, m);
                floor_mac(&s->fl, msg, size + 16, m);
            }
        }
        double t3 = now();
        double bytes = (double)iters * (double)size / 1e6;
        rr[r] = bytes / (t1 - t0);
        gr[r] = bytes / (t2 - t1);
        orr[r] = bytes / (t3 - t2);
    }
    free(msg);
    struct result res = {median(rr, rounds), median(gr, rounds), median(orr, rounds)};
    return res;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    double mb = argc > 2 ? atof(argv[2]) : 64;
    if (rounds < 1 || rounds > MAX_ROUNDS || mb <= 0) {
        fprintf(stderr, "usage: protect_bench [ROUNDS (1-%d) [MB per round]]\n", MAX_ROUNDS);
        return 2;
    }
    struct setup setups[2];
    setup_init(&setups[0], "aes256-cts-hmac-sha1-96", "host@localhost", 0);
    setup_init(&setups[1], "aes256-cts-hmac-sha384-192", "sha2svc@localhost", ENCTYPE_AES256_CTS_HMAC_SHA384_192);
    static const size_t sizes[] = {64, 1024, 16384, 1 << 20};
    printf("| enctype | operation | size | rfc4121 MB/s | MIT gss_*_iov MB/s | OpenSSL floor MB/s | rfc4121 / MIT | "
           "floor / rfc4121 |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    char keys[4096];
    size_t kl = 0;
    for (int s = 0; s < 2; s++)
        for (int sign = 0; sign <= 1; sign++)
            for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
                struct result r = bench(&setups[s], sign, sizes[z], rounds, mb);
                printf("| %s | %s | %zu | %.1f | %.1f | %.1f | %.2f | %.2f |\n", setups[s].name,
                       sign ? "Sign+Verify" : "Encrypt+Decrypt", sizes[z], r.r, r.g, r.o, r.r / r.g, r.o / r.r);
                fflush(stdout);
                kl += (size_t)snprintf(keys + kl, sizeof(keys) - kl, "%s_%d_%s_%zu %.1f %.1f %.1f\n",
                                       sign ? "sign" : "seal", setups[s].enctype, "rfc4121_mit_floor", sizes[z], r.r,
                                       r.g, r.o);
            }
    printf("\n```\n%s```\n", keys);
    for (int s = 0; s < 2; s++) {
        OM_uint32 min;
        sspix_rfc4121_free(setups[s].r_send);
        sspix_rfc4121_free(setups[s].r_recv);
        gss_delete_sec_context(&min, &setups[s].g_send, GSS_C_NO_BUFFER);
        gss_delete_sec_context(&min, &setups[s].g_recv, GSS_C_NO_BUFFER);
        floor_free(&setups[s].fl);
    }
    return 0;
}
