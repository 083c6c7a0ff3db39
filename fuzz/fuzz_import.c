/* SPDX-License-Identifier: MIT */
/*
 * fuzz_import.c - libFuzzer target for ImportSecurityContextA and the packed
 * context format (src/packages/ctx_blob.c).
 *
 * Targets: ImportSecurityContextA (src/sspi/dispatch.c), sspix_ctx_import,
 * sspix_ctx_blob_decode, sspix_ctx_blob_encode (src/packages/ctx_blob.c), and
 * the calls an imported context answers (QueryContextAttributesA,
 * EncryptMessage, DecryptMessage, DeleteSecurityContext).
 *
 * Byte 0 of the input mod 3 picks the mode, the rest is the mode's data:
 *   0 RAW      the rest is a whole packed context, imported as Negotiate,
 *              Kerberos or NTLM (byte 0 / 3 mod 3). The fuzzer holds no export
 *              key, so every input must be refused before GSSAPI sees it:
 *              an import that succeeds is a crash.
 *   1 DECODE   the rest is a blob body for the decoder alone; whatever it
 *              accepts must re-encode to the same bytes.
 *   2 RESEALED the rest is a body; once the decoder accepts it, its context
 *              token is replaced by a genuine one (chosen by the body's token
 *              bytes) and the body is re-encoded and sealed with the process
 *              key, as only a key holder could: every field of sspix's own
 *              (package, role, times, mechanism, nonce) is fuzzed behind a
 *              valid MAC, while GSSAPI's import only ever sees a token it
 *              exported itself (MIT krb5 and gss-ntlmssp do not validate
 *              their serialised contexts; the MAC is what keeps fuzzed bytes
 *              from them). A context that imports must not claim mutual
 *              authentication for NTLM, must not outlive what GSSAPI allows,
 *              and must survive a message round.
 *
 * Genuine tokens: LLVMFuzzerInitialize authenticates against the realm when
 * its environment is set (SSPIX_REALM, as ctest's realm fixture provides) and
 * exports fresh Kerberos, Negotiate and NTLM contexts, both sides; otherwise
 * it takes the tokens of the RESEALED seeds in SSPIX_FUZZ_IMPORT_CORPUS (the
 * committed corpus; their Kerberos tickets may have expired, which still
 * exercises everything up to the lifetime check). With
 * SSPIX_FUZZ_IMPORT_WRITE=DIR it also writes the seeds (all three modes) of
 * the fresh contexts into DIR: this is how fuzz/corpus/import was made:
 *   . build/test-realm/env && SSPIX_FUZZ_IMPORT_WRITE=fuzz/corpus/import build/fuzz_import -runs=0
 */
#define SECURITY_WIN32
#include <security.h>

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "packages/ctx_blob.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_GENUINE 16

struct genuine {
    uint8_t *token;
    uint32_t len;
};

static PSecurityFunctionTableA t;
static struct genuine genuine[MAX_GENUINE];
static size_t ngenuine;
static const char *const packages[3] = {"Negotiate", "Kerberos", "NTLM"};

static void keep_token(const uint8_t *p, uint32_t n)
{
    if (ngenuine == MAX_GENUINE || n == 0)
        return;
    genuine[ngenuine].token = malloc(n);
    if (genuine[ngenuine].token == NULL)
        abort();
    memcpy(genuine[ngenuine].token, p, n);
    genuine[ngenuine].len = n;
    ngenuine++;
}

static void write_seed(const char *dir, const char *name, uint8_t mode, const uint8_t *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "fuzz_import: cannot write %s\n", path);
        abort();
    }
}

/* One exported blob: its token joins the genuine set; seeds when asked. */
static void take_blob(const char *name, const uint8_t *blob, size_t len)
{
    struct sspix_ctx_blob b;
    if (len < SSPIX_CTX_BLOB_MAC || sspix_ctx_blob_decode(blob, len - SSPIX_CTX_BLOB_MAC, &b) != SEC_E_OK)
        abort();
    keep_token(b.token, b.token_len);
    const char *dir = getenv("SSPIX_FUZZ_IMPORT_WRITE");
    if (dir != NULL) {
        char file[128];
        snprintf(file, sizeof(file), "%s.raw", name);
        write_seed(dir, file, 0, blob, len);
        snprintf(file, sizeof(file), "%s.decode", name);
        write_seed(dir, file, 1, blob, len - SSPIX_CTX_BLOB_MAC);
        snprintf(file, sizeof(file), "%s.resealed", name);
        write_seed(dir, file, 2, blob, len - SSPIX_CTX_BLOB_MAC);
    }
}

static int handshake(const char *pkg, void *client_auth, void *server_auth, CtxtHandle *cl, CtxtHandle *sv)
{
    CredHandle cc, sc;
    unsigned char c2s[65536], s2c[65536];
    ULONG c2s_len = 0, s2c_len = 0, attrs;
    SECURITY_STATUS cs = SEC_I_CONTINUE_NEEDED, ss = SEC_I_CONTINUE_NEEDED;
    int have_c = 0, have_s = 0;
    const ULONG isc = ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_SEQUENCE_DETECT |
                      ISC_REQ_REPLAY_DETECT;
    const ULONG asc = ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_SEQUENCE_DETECT |
                      ASC_REQ_REPLAY_DETECT;
    if (t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_OUTBOUND, NULL, client_auth, NULL, NULL, &cc,
                                    NULL) != SEC_E_OK)
        return -1;
    if (t->AcquireCredentialsHandle(NULL, (SEC_CHAR *)pkg, SECPKG_CRED_INBOUND, NULL, server_auth, NULL, NULL, &sc,
                                    NULL) != SEC_E_OK) {
        t->FreeCredentialsHandle(&cc);
        return -1;
    }
    for (int round = 0; round < 8 && (cs != SEC_E_OK || ss != SEC_E_OK); round++) {
        if (cs != SEC_E_OK) {
            SecBuffer ib = {s2c_len, SECBUFFER_TOKEN, s2c}, ob = {sizeof(c2s), SECBUFFER_TOKEN, c2s};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
            cs = t->InitializeSecurityContext(&cc, have_c ? cl : NULL, "host/localhost", isc, 0, SECURITY_NATIVE_DREP,
                                              have_c ? &in : NULL, 0, cl, &out, &attrs, NULL);
            if (!SEC_SUCCESS(cs))
                break;
            have_c = 1;
            c2s_len = ob.cbBuffer;
        }
        if (c2s_len > 0 && ss != SEC_E_OK) {
            SecBuffer ib = {c2s_len, SECBUFFER_TOKEN, c2s}, ob = {sizeof(s2c), SECBUFFER_TOKEN, s2c};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, out = {SECBUFFER_VERSION, 1, &ob};
            ss = t->AcceptSecurityContext(&sc, have_s ? sv : NULL, &in, asc, SECURITY_NATIVE_DREP, sv, &out, &attrs,
                                          NULL);
            if (!SEC_SUCCESS(ss))
                break;
            have_s = 1;
            s2c_len = ob.cbBuffer;
            c2s_len = 0;
        }
    }
    t->FreeCredentialsHandle(&cc);
    t->FreeCredentialsHandle(&sc);
    if (cs == SEC_E_OK && ss == SEC_E_OK)
        return 0;
    if (have_c)
        t->DeleteSecurityContext(cl);
    if (have_s)
        t->DeleteSecurityContext(sv);
    return -1;
}

static void export_one(const char *name, CtxtHandle *h)
{
    SecBuffer packed = {0, SECBUFFER_EMPTY, NULL};
    if (t->ExportSecurityContext(h, 0, &packed, NULL) == SEC_E_OK) {
        take_blob(name, packed.pvBuffer, packed.cbBuffer);
        t->FreeContextBuffer(packed.pvBuffer);
    }
    t->DeleteSecurityContext(h);
}

static void fresh_contexts(void)
{
    static const char user[] = "carol", domain[] = "SSPIXDOM", pw[] = "Carol-Pa55word!";
    char users[] = "/tmp/sspix-fuzz-import-XXXXXX";
    CtxtHandle cl, sv;
    char name[64];
    for (int i = 0; i < 2; i++) {
        if (handshake(packages[i], NULL, NULL, &cl, &sv) == 0) {
            snprintf(name, sizeof(name), "%s-client", packages[i]);
            export_one(name, &cl);
            snprintf(name, sizeof(name), "%s-server", packages[i]);
            export_one(name, &sv);
        } else {
            fprintf(stderr, "fuzz_import: no %s context: %s\n", packages[i], sspix_last_error());
        }
    }
    int fd = mkstemp(users);
    if (fd < 0)
        return;
    char line[128];
    int n = snprintf(line, sizeof(line), "%s:%s:%s\n", domain, user, pw);
    if (write(fd, line, (size_t)n) != n) {
        close(fd);
        unlink(users);
        return;
    }
    close(fd);
    SEC_WINNT_AUTH_IDENTITY_A id = {(unsigned char *)user,       sizeof(user) - 1,    (unsigned char *)domain,
                                    sizeof(domain) - 1,          (unsigned char *)pw, sizeof(pw) - 1,
                                    SEC_WINNT_AUTH_IDENTITY_ANSI};
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC, .NtlmUsersFile = users};
    if (handshake("NTLM", &id, &store, &cl, &sv) == 0) {
        export_one("NTLM-client", &cl);
        export_one("NTLM-server", &sv);
    } else {
        fprintf(stderr, "fuzz_import: no NTLM context: %s\n", sspix_last_error());
    }
    unlink(users);
}

static void corpus_tokens(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    static uint8_t buf[SSPIX_CTX_BLOB_MAX + 1];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        struct sspix_ctx_blob b;
        if (n > 1 && buf[0] == 2 && sspix_ctx_blob_decode(buf + 1, n - 1, &b) == SEC_E_OK)
            keep_token(b.token, b.token_len);
    }
    closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    t = InitSecurityInterface();
    if (getenv("SSPIX_REALM") != NULL)
        fresh_contexts();
#ifdef SSPIX_FUZZ_IMPORT_CORPUS
    if (ngenuine == 0)
        corpus_tokens(SSPIX_FUZZ_IMPORT_CORPUS);
#endif
    fprintf(stderr, "fuzz_import: %zu genuine context tokens\n", ngenuine);
    return 0;
}

/* What an imported context must and must not say; then one message round. */
static void check_imported(CtxtHandle *h, uint32_t package)
{
    SecPkgContext_Flags flags;
    SecPkgContext_PackageInfoA pi;
    SecPkgContext_Lifespan life;
    SecPkgContext_Sizes sizes;
    int ntlm = package == 2;
    if (t->QueryContextAttributes(h, SECPKG_ATTR_PACKAGE_INFO, &pi) == SEC_E_OK) {
        ntlm |= strcmp(pi.PackageInfo->Name, "NTLM") == 0;
        t->FreeContextBuffer(pi.PackageInfo);
    }
    if (t->QueryContextAttributes(h, SECPKG_ATTR_FLAGS, &flags) != SEC_E_OK)
        abort();
    if (ntlm && (flags.Flags & ASC_RET_MUTUAL_AUTH)) /* ISC_RET_MUTUAL_AUTH has the same value */
        abort();
    if (t->QueryContextAttributes(h, SECPKG_ATTR_LIFESPAN, &life) == SEC_E_OK) {
        int64_t start = sspix_timestamp_to_unix(&life.tsStart), end = sspix_timestamp_to_unix(&life.tsExpiry);
        if (end < start || end > (int64_t)time(NULL) + 8 * 86400)
            abort();
    }
    if (t->QueryContextAttributes(h, SECPKG_ATTR_SIZES, &sizes) == SEC_E_OK && sizes.cbSecurityTrailer <= 256) {
        uint8_t trailer[256], data[16] = "fuzz import msg";
        SecBuffer b[2] = {{sizes.cbSecurityTrailer, SECBUFFER_TOKEN, trailer}, {sizeof(data), SECBUFFER_DATA, data}};
        SecBufferDesc d = {SECBUFFER_VERSION, 2, b};
        (void)t->EncryptMessage(h, 0, &d, 0);
        ULONG qop;
        (void)t->DecryptMessage(h, &d, 0, &qop); /* our own message: refused (wrong direction), never a crash */
    }
}

static void resealed(const uint8_t *body, size_t len)
{
    static uint8_t buf[SSPIX_CTX_BLOB_MAX];
    struct sspix_ctx_blob b;
    CtxtHandle h;
    if (ngenuine == 0 || sspix_ctx_blob_decode(body, len, &b) != SEC_E_OK)
        return;
    /* An unmutated token stays itself; any other picks a genuine one. */
    const struct genuine *g = &genuine[b.token[0] % ngenuine];
    for (size_t i = 0; i < ngenuine; i++)
        if (genuine[i].len == b.token_len && memcmp(genuine[i].token, b.token, b.token_len) == 0)
            g = &genuine[i];
    b.token = g->token;
    b.token_len = g->len;
    sspix_writer w;
    sspix_writer_init_fixed(&w, buf, sizeof(buf));
    if (sspix_ctx_blob_encode(&w, &b) != 0 || sspix_ctx_blob_seal(buf, sspix_writer_len(&w)) != SEC_E_OK)
        abort();
    sspix_ctx_blob_forget_imports();
    SecBuffer packed = {(ULONG)(sspix_writer_len(&w) + SSPIX_CTX_BLOB_MAC), SECBUFFER_EMPTY, buf};
    if (ImportSecurityContextA((SEC_CHAR *)packages[b.package], &packed, NULL, &h) != SEC_E_OK)
        return;
    check_imported(&h, b.package);
    if (DeleteSecurityContext(&h) != SEC_E_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t copy[SSPIX_CTX_BLOB_MAX + 64];
    if (size < 2)
        return 0;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    switch (data[0] % 3) {
    case 0: {
        CtxtHandle h;
        SecBuffer packed = {(ULONG)n, SECBUFFER_EMPTY, (void *)p};
        sspix_ctx_blob_forget_imports();
        if (ImportSecurityContextA((SEC_CHAR *)packages[(data[0] / 3) % 3], &packed, NULL, &h) == SEC_E_OK)
            abort(); /* a blob imported without the key: the MAC is broken */
        break;
    }
    case 1: {
        struct sspix_ctx_blob b;
        if (sspix_ctx_blob_decode(p, n, &b) != SEC_E_OK)
            break;
        sspix_writer w;
        sspix_writer_init_fixed(&w, copy, sizeof(copy));
        if (sspix_ctx_blob_encode(&w, &b) != 0 || sspix_writer_len(&w) != n || memcmp(copy, p, n) != 0)
            abort();
        break;
    }
    default: resealed(p, n); break;
    }
    return 0;
}
