/* SPDX-License-Identifier: MIT */
/*
 * fuzz_protect_krb5.c - libFuzzer target for message protection on
 * established Kerberos contexts, with arbitrary SecBuffer layouts.
 *
 * Targets: DecryptMessage, VerifySignature, MakeSignature, EncryptMessage
 * (src/packages/gss_core.c: map_iov, the layout checks, core_*) and the token
 * validator in front of GSSAPI (src/packages/krb5_token.c), over real MIT
 * krb5 contexts. LLVMFuzzerInitialize authenticates, sspix at both ends:
 *   pair 0  Kerberos  host/localhost     mutual      aes256-cts-hmac-sha1-96, acceptor subkey
 *   pair 1  Kerberos  sha2svc/localhost  not mutual  aes256-cts-hmac-sha384-192 (ticket session key)
 *   pair 2  Negotiate host/localhost     not mutual  aes256-cts-hmac-sha1-96, no subkey
 *   pair 3  Negotiate sha2svc/localhost  mutual      acceptor subkey
 *   pair 4  Kerberos  rc4svc/localhost   not mutual  rc4-hmac, RFC 1964 / RFC 4757 tokens
 *   pair 5  Negotiate rc4svc/localhost   not mutual  rc4-hmac
 * (pairs 4 and 5 only on a realm built with SSPIX_REALM_RC4=1, as the ctest uses)
 * and every input runs on one side (initiator or acceptor) of one pair.
 *
 * Input:
 *   byte 0  (pair << 1) | side (0: the client's context, 1: the server's); pair modulo the
 *           pairs established
 *   byte 1  op & 3: 0 DecryptMessage, 1 VerifySignature, 2 MakeSignature, 3 EncryptMessage
 *           4   genuine: Decrypt/Verify get a fresh token made by the peer (EncryptMessage or
 *               MakeSignature over the payload), mutated, then laid out across the buffers
 *           8   KERB_WRAP_NO_ENCRYPT (the genuine token's, or EncryptMessage's QOP)
 *           16  round trip: a successful MakeSignature/EncryptMessage goes to the peer's
 *               VerifySignature/DecryptMessage with the same buffers, which must accept it
 *               (SEC_E_OK, or SEC_E_OUT_OF_SEQUENCE after tokens the peer never saw)
 *           32  a QOP other than 0 / KERB_WRAP_NO_ENCRYPT
 *   byte 2  number of buffers (% 7)
 *   then per buffer 3 bytes: type (& 7 -> EMPTY, DATA, TOKEN, PADDING, STREAM, DATA, TOKEN, EXTRA;
 *           16 READONLY, 32 READONLY_WITH_CHECKSUM, 64 NULL memory), size u16 LE (% 2049)
 *   genuine only: a mutation count (% 17), each u16 LE offset + XOR byte, then a cut byte (bytes
 *           dropped from the end)
 *   the rest: the payload of a genuine token, else the buffers' contents in order.
 *
 * Checks: no crash, no sanitizer report; the round trip. State carries over between inputs
 * (sequence numbers), as it does on a connection.
 *
 * Needs the realm's environment: run it through the fuzz.protect_krb5 ctest or after `. DIR/env`.
 * With SSPIX_FUZZ_WRITE_SEEDS=DIR it writes a seed corpus to DIR (one input per op, layout and
 * context) and exits: the seeds describe layouts, the tokens are made at run time.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECURITY_WIN32
#include <security.h>

#include "common/handshake.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPAIRS   6
#define MAX_BUFS 6
#define MAX_SIZE 2048

static PSecurityFunctionTableA t;
static CredHandle ccred[2], scred[2]; /* Kerberos, Negotiate */
static struct pair {
    struct hs hs;
    SecPkgContext_Sizes sizes;
} pairs[NPAIRS];
static unsigned npairs; /* established: the rc4 pairs need a realm built with SSPIX_REALM_RC4=1 */

static const struct {
    int negotiate;
    const char *spn;
    int mutual;
    int rc4;
} pair_spec[NPAIRS] = {
    {0, "host/localhost", 1, 0},    {0, "sha2svc/localhost", 0, 0}, {1, "host/localhost", 0, 0},
    {1, "sha2svc/localhost", 1, 0}, {0, "rc4svc/localhost", 0, 1},  {1, "rc4svc/localhost", 0, 1},
};

static const ULONG buf_types[8] = {SECBUFFER_EMPTY,  SECBUFFER_DATA, SECBUFFER_TOKEN, SECBUFFER_PADDING,
                                   SECBUFFER_STREAM, SECBUFFER_DATA, SECBUFFER_TOKEN, SECBUFFER_EXTRA};

static void die(const char *what)
{
    fprintf(stderr, "fuzz_protect_krb5: %s: %s\n(run with the realm's environment: . DIR/env)\n", what,
            sspix_last_error());
    exit(1);
}

static void write_seeds(const char *dir);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    setenv("KRB5RCACHETYPE", "none", 1);
    t = InitSecurityInterfaceA();
    const char *pkgs[2] = {"Kerberos", "Negotiate"};
    for (int i = 0; i < 2; i++) {
        if (t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_OUTBOUND, NULL, NULL, NULL, NULL,
                                         &ccred[i], NULL) != SEC_E_OK ||
            t->AcquireCredentialsHandleA(NULL, (SEC_CHAR *)pkgs[i], SECPKG_CRED_INBOUND, NULL, NULL, NULL, NULL,
                                         &scred[i], NULL) != SEC_E_OK)
            die("credentials");
    }
    for (int i = 0; i < NPAIRS; i++) {
        int k = pair_spec[i].negotiate;
        ULONG isc = pair_spec[i].mutual ? HS_ISC_REQ : HS_ISC_REQ & ~(ULONG)ISC_REQ_MUTUAL_AUTH;
        if (hs_run(t, &ccred[k], &scred[k], pair_spec[i].spn, isc, HS_ASC_REQ, &pairs[i].hs) != SEC_E_OK) {
            if (pair_spec[i].rc4)
                break;
            die("handshake");
        }
        if (t->QueryContextAttributesA(&pairs[i].hs.client, SECPKG_ATTR_SIZES, &pairs[i].sizes) != SEC_E_OK)
            die("sizes");
        npairs = (unsigned)i + 1;
    }
    const char *seeds = getenv("SSPIX_FUZZ_WRITE_SEEDS");
    if (seeds != NULL && *seeds != '\0') {
        write_seeds(seeds);
        exit(0);
    }
    return 0;
}

/* ---- input ------------------------------------------------------------------ */

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned take8(struct in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned take16(struct in *in)
{
    unsigned lo = take8(in);
    return lo | take8(in) << 8;
}

/* ---- one input ------------------------------------------------------------------ */

/* A fresh token from the peer: EncryptMessage (TOKEN||DATA||PADDING) or
 * MakeSignature (MIC||DATA) over the payload. Returns its length in out. */
static size_t genuine(CtxtHandle *peer, const SecPkgContext_Sizes *sz, int mic, ULONG qop, const uint8_t *payload,
                      size_t len, uint8_t *out)
{
    uint8_t tok[256], pad[16], data[512];
    if (len > sizeof(data))
        len = sizeof(data);
    memcpy(data, payload, len);
    SecBuffer b[3] = {{mic ? sz->cbMaxSignature : sz->cbSecurityTrailer, SECBUFFER_TOKEN, tok},
                      {(ULONG)len, SECBUFFER_DATA, data},
                      {sz->cbBlockSize, SECBUFFER_PADDING, pad}};
    SecBufferDesc d = {SECBUFFER_VERSION, mic ? 2 : 3, b};
    if (b[0].cbBuffer > sizeof(tok) || b[2].cbBuffer > sizeof(pad))
        abort();
    if ((mic ? t->MakeSignature(peer, 0, &d, 0) : t->EncryptMessage(peer, qop, &d, 0)) != SEC_E_OK)
        return 0;
    size_t n = 0;
    for (ULONG i = 0; i < d.cBuffers; i++) {
        memcpy(out + n, b[i].pvBuffer, b[i].cbBuffer);
        n += b[i].cbBuffer;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    unsigned sel = take8(&in), op = take8(&in), nbuf = take8(&in) % (MAX_BUFS + 1);
    struct pair *pr = &pairs[(sel >> 1) % npairs];
    CtxtHandle *me = (sel & 1) ? &pr->hs.server : &pr->hs.client;
    CtxtHandle *peer = (sel & 1) ? &pr->hs.client : &pr->hs.server;
    SecBuffer b[MAX_BUFS];
    uint8_t *mem[MAX_BUFS] = {0};
    size_t len[MAX_BUFS] = {0};
    SecBufferDesc d = {SECBUFFER_VERSION, nbuf, b};
    ULONG qop = (op & 32) ? 0x12345u : (op & 8) ? KERB_WRAP_NO_ENCRYPT : 0;

    for (unsigned i = 0; i < nbuf; i++) {
        unsigned ty = take8(&in);
        size_t sz = take16(&in) % (MAX_SIZE + 1);
        b[i].BufferType = buf_types[ty & 7] | ((ty & 16) ? SECBUFFER_READONLY : 0) |
                          ((ty & 32) ? SECBUFFER_READONLY_WITH_CHECKSUM : 0);
        b[i].cbBuffer = (ULONG)sz;
        len[i] = sz;
        /* Exact-size allocations, so that any read past a buffer is caught. */
        mem[i] = malloc(sz ? sz : 1);
        if (mem[i] == NULL)
            abort();
        memset(mem[i], 0, sz ? sz : 1);
        b[i].pvBuffer = (ty & 64) ? NULL : mem[i];
    }

    int receive = (op & 3) < 2;
    if (receive && (op & 4)) {
        static uint8_t g[4096];
        struct {
            size_t at;
            uint8_t x;
        } mut[16];
        unsigned nmut = take8(&in) % 17;
        for (unsigned i = 0; i < nmut; i++) {
            mut[i].at = take16(&in);
            mut[i].x = (uint8_t)take8(&in);
        }
        unsigned cut = take8(&in);
        size_t glen = genuine(peer, &pr->sizes, (op & 3) == 1, (op & 8) ? KERB_WRAP_NO_ENCRYPT : 0, in.p, in.n, g);
        for (unsigned i = 0; i < nmut; i++)
            if (glen > 0)
                g[mut[i].at % glen] ^= mut[i].x;
        glen = cut < glen ? glen - cut : 0;
        size_t at = 0;
        for (unsigned i = 0; i < nbuf && at < glen; i++) {
            size_t k = b[i].cbBuffer < glen - at ? b[i].cbBuffer : glen - at;
            memcpy(mem[i], g + at, k);
            at += k;
        }
    } else {
        for (unsigned i = 0; i < nbuf; i++) {
            size_t k = b[i].cbBuffer < in.n ? b[i].cbBuffer : in.n;
            memcpy(mem[i], in.p, k);
            in.p += k;
            in.n -= k;
        }
    }

    ULONG out_qop = 0;
    SECURITY_STATUS st = 0;
    switch (op & 3) {
    case 0: st = t->DecryptMessage(me, &d, 0, &out_qop); break;
    case 1: st = t->VerifySignature(me, &d, 0, &out_qop); break;
    case 2: st = t->MakeSignature(me, (op & 32) ? 1 : 0, &d, 0); break;
    case 3: st = t->EncryptMessage(me, qop, &d, 0); break;
    }
    if (st == SEC_E_OK && receive) {
        /* Whatever was accepted lies inside the caller's buffers. */
        for (unsigned i = 0; i < nbuf; i++) {
            const uint8_t *q = b[i].pvBuffer;
            int inside = b[i].cbBuffer == 0;
            for (unsigned j = 0; j < nbuf && !inside; j++)
                inside = q >= mem[j] && (size_t)(q - mem[j]) + b[i].cbBuffer <= len[j];
            if (!inside)
                abort();
        }
    }
    if (st == SEC_E_OK && !receive && (op & 16)) {
        SECURITY_STATUS back =
            (op & 3) == 2 ? t->VerifySignature(peer, &d, 0, &out_qop) : t->DecryptMessage(peer, &d, 0, &out_qop);
        if (back != SEC_E_OK && back != SEC_E_OUT_OF_SEQUENCE) {
            fprintf(stderr, "round trip: %s: %s\n", sspix_status_name(back), sspix_last_error());
            abort();
        }
    }
    for (unsigned i = 0; i < nbuf; i++)
        free(mem[i]);
    return 0;
}

/* ---- seeds ------------------------------------------------------------------ */

struct seed_buf {
    unsigned type, size;
};

/* One input: header, buffers, for a genuine token the mutations (offset 2 =
 * the RFC 4121 flags byte) and the cut, then the payload. */
static void seed(const char *dir, const char *name, unsigned sel, unsigned op, unsigned nbuf,
                 const struct seed_buf *bufs, unsigned flip_flags, unsigned cut, const void *payload, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-p%u%s", dir, name, sel >> 1, (sel & 1) ? "-acceptor" : "-initiator");
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    fputc((int)sel, f);
    fputc((int)op, f);
    fputc((int)nbuf, f);
    for (unsigned i = 0; i < nbuf; i++) {
        fputc((int)bufs[i].type, f);
        fputc((int)(bufs[i].size & 0xff), f);
        fputc((int)(bufs[i].size >> 8), f);
    }
    if ((op & 4) && (op & 3) < 2) {
        fputc(flip_flags ? 1 : 0, f);
        if (flip_flags) {
            fputc(2, f);
            fputc(0, f);
            fputc((int)flip_flags, f);
        }
        fputc((int)cut, f);
    }
    fwrite(payload, 1, len, f);
    if (fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* Buffer type bytes of the input format. */
enum { B_EMPTY = 0, B_DATA = 1, B_TOKEN = 2, B_PADDING = 3, B_STREAM = 4, B_READONLY = 16, B_CHECKSUM = 32 };

/* The layouts callers really use, and the inputs that crashed MIT before the
 * token checks, on every context and side. */
static void write_seeds(const char *dir)
{
    static const char msg[] = "a message from the other side";
    static const uint8_t v1_id[16] = {0x01, 0x01};
    const unsigned n = sizeof(msg) - 1;
    for (unsigned sel = 0; sel < 2 * npairs; sel++) {
        const SecPkgContext_Sizes *sz = &pairs[sel >> 1].sizes;
        int rc4 = pair_spec[sel >> 1].rc4;
        /* RC4 (RFC 4757): one pad byte after the data; the header is the same
         * signed only; cbMaxSignature counts a confounder that MICs lack. */
        unsigned hdr = sz->cbSecurityTrailer, pad = rc4 ? 1 : 0, mic = rc4 ? 37 : sz->cbMaxSignature;
        /* genuine STREAM + empty DATA: sealed, signed only (header and checksum, as a MIC), one
         * flag flipped, cut short */
        struct seed_buf stream[2] = {{B_STREAM, hdr + n + pad}, {B_DATA, 0}};
        seed(dir, "decrypt-stream", sel, 4, 2, stream, 0, 0, msg, n);
        seed(dir, "decrypt-stream-mutated", sel, 4, 2, stream, 0x01, 0, msg, n);
        seed(dir, "decrypt-stream-cut", sel, 4, 2, stream, 0, 7, msg, n);
        struct seed_buf noconf[2] = {{B_STREAM, (rc4 ? hdr : mic) + n + pad}, {B_DATA, 0}};
        seed(dir, "decrypt-stream-noconf", sel, 4 | 8, 2, noconf, 0, 0, msg, n);
        /* genuine TOKEN + DATA + PADDING, Windows' layout */
        struct seed_buf split[3] = {{B_TOKEN, hdr}, {B_DATA, n}, {B_PADDING, pad}};
        seed(dir, "decrypt-token-data", sel, 4, 3, split, 0, 0, msg, n);
        /* an RFC 1964 token ID in a 16-byte STREAM */
        struct seed_buf v1[2] = {{B_STREAM, 16}, {B_DATA, 0}};
        seed(dir, "decrypt-stream-rfc1964-id", sel, 0, 2, v1, 0, 0, v1_id, sizeof(v1_id));
        /* genuine MIC + DATA; the MIC cut to its 16-byte header; a MIC as a STREAM */
        struct seed_buf verify[2] = {{B_TOKEN, mic}, {B_DATA, n}};
        seed(dir, "verify-mic", sel, 1 | 4, 2, verify, 0, 0, msg, n);
        verify[0].size = 16;
        seed(dir, "verify-mic-header-only", sel, 1 | 4, 2, verify, 0, 0, msg, n);
        verify[0] = (struct seed_buf){B_STREAM, mic};
        seed(dir, "verify-stream", sel, 1 | 4, 2, verify, 0, 0, msg, n);
        /* MakeSignature and EncryptMessage, with read-only data, round trip to the peer */
        struct seed_buf sign[3] = {{B_TOKEN, sz->cbMaxSignature}, {B_DATA, n}, {B_DATA | B_READONLY, 8}};
        seed(dir, "sign-roundtrip", sel, 2 | 16, 3, sign, 0, 0, msg, n);
        struct seed_buf enc[4] = {{B_TOKEN, hdr}, {B_DATA, n}, {B_DATA | B_CHECKSUM, 5}, {B_PADDING, sz->cbBlockSize}};
        seed(dir, "encrypt-roundtrip", sel, 3 | 16, 4, enc, 0, 0, msg, n);
        seed(dir, "encrypt-roundtrip-noconf", sel, 3 | 16 | 8, 4, enc, 0, 0, msg, n);
    }
}
