/* SPDX-License-Identifier: MIT */
/*
 * dispatch.c - the exported SSPI functions and InitSecurityInterfaceA's table.
 *
 * Each entry point validates its arguments and handles, moves handshake
 * tokens between SecBuffers and the package, and leaves everything
 * mechanism-specific to the package's vtable. Nothing here knows GSSAPI.
 *
 * Every call that reaches a context's package state (a handshake leg after
 * the first, message protection, attributes, export, the local name) holds
 * that context's mutex: GSSAPI contexts are not safe for concurrent use (two
 * threads sealing at once share MIT's key-usage cache and sequence counter),
 * so calls on one context run one at a time, in whatever order the threads
 * arrive. Independent contexts never wait for each other.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "packages/ctx_blob.h"
#include "packages/package.h"
#include "sspi/errors.h"
#include "sspi/handles.h"
#include "sspi/impersonate.h"

#include "sspi/export.h"

struct sspix_credential {
    const struct sspix_package *pkg;
    void *impl;
};

struct sspix_context {
    const struct sspix_package *pkg;
    void *impl;
    pthread_mutex_t lock; /* serialises every call that touches impl */
};

static struct sspix_context *context_new(const struct sspix_package *pkg, void *impl)
{
    struct sspix_context *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    c->pkg = pkg;
    c->impl = impl;
    return c;
}

static void credential_destroy(void *p)
{
    struct sspix_credential *c = p;
    c->pkg->ops->free_cred(c->impl);
    free(c);
}

/* Runs when the last reference is gone: no other thread can hold the lock. */
static void context_destroy(void *p)
{
    struct sspix_context *c = p;
    if (c->impl != NULL)
        c->pkg->ops->delete_ctx(c->impl);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* The context behind h, referenced and locked; NULL (nothing held) when h is
 * not a live context handle. */
static struct sspix_context *context_enter(const SecHandle *h, struct sspix_ref *ref)
{
    struct sspix_context *c = sspix_handle_acquire(SSPIX_HANDLE_CTX, h, ref);
    if (c != NULL)
        pthread_mutex_lock(&c->lock);
    return c;
}

static void context_leave(struct sspix_context *c, struct sspix_ref *ref)
{
    if (c != NULL)
        pthread_mutex_unlock(&c->lock);
    sspix_handle_release(ref);
}

/* ---- packages ----------------------------------------------------------- */

/* One allocation holding n SecPkgInfoA and their strings, so one
 * FreeContextBuffer releases it all. */
static SecPkgInfoA *pkginfo_block(const struct sspix_package *const *pkgs, size_t n)
{
    size_t size = n * sizeof(SecPkgInfoA);
    for (size_t i = 0; i < n; i++)
        size += strlen(pkgs[i]->name) + 1 + strlen(pkgs[i]->comment) + 1;
    SecPkgInfoA *info = malloc(size);
    if (info == NULL)
        return NULL;
    char *strings = (char *)(info + n);
    for (size_t i = 0; i < n; i++) {
        size_t ln = strlen(pkgs[i]->name) + 1, lc = strlen(pkgs[i]->comment) + 1;
        info[i].fCapabilities = pkgs[i]->capabilities;
        info[i].wVersion = pkgs[i]->version;
        info[i].wRPCID = pkgs[i]->rpcid;
        info[i].cbMaxToken = pkgs[i]->max_token;
        info[i].Name = memcpy(strings, pkgs[i]->name, ln);
        strings += ln;
        info[i].Comment = memcpy(strings, pkgs[i]->comment, lc);
        strings += lc;
    }
    return info;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY EnumerateSecurityPackagesA(ULONG *pcPackages, PSecPkgInfoA *ppPackageInfo)
{
    sspix_error_enter("EnumerateSecurityPackages");
    if (pcPackages == NULL || ppPackageInfo == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pcPackages and ppPackageInfo must not be NULL");
    const struct sspix_package *pkgs[SSPIX_PKG_COUNT];
    for (unsigned i = 0; i < SSPIX_PKG_COUNT; i++)
        pkgs[i] = sspix_package_by_id((enum sspix_package_id)i);
    SecPkgInfoA *info = pkginfo_block(pkgs, SSPIX_PKG_COUNT);
    if (info == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    *pcPackages = SSPIX_PKG_COUNT;
    *ppPackageInfo = info;
    return SEC_E_OK;
}

static SECURITY_STATUS find_package(const char *name, const struct sspix_package **pkg)
{
    *pkg = sspix_package_by_name(name);
    if (*pkg == NULL)
        return sspix_fail(SEC_E_SECPKG_NOT_FOUND,
                          "no security package named \"%.64s\": use Negotiate, Kerberos or NTLM",
                          name ? name : "(null)");
    return SEC_E_OK;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QuerySecurityPackageInfoA(SEC_CHAR *pszPackageName, PSecPkgInfoA *ppPackageInfo)
{
    const struct sspix_package *pkg;
    SECURITY_STATUS st;
    sspix_error_enter("QuerySecurityPackageInfo");
    if (ppPackageInfo == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "ppPackageInfo must not be NULL");
    if ((st = find_package(pszPackageName, &pkg)) != SEC_E_OK)
        return st;
    *ppPackageInfo = pkginfo_block(&pkg, 1);
    return *ppPackageInfo ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

/* ---- credentials --------------------------------------------------------- */

/* Opens a handle for a credential the package made; frees it on failure. */
static SECURITY_STATUS open_credential(const struct sspix_package *pkg, void *impl, const TimeStamp *expiry,
                                       PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    SECURITY_STATUS st;
    struct sspix_credential *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        pkg->ops->free_cred(impl);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    c->pkg = pkg;
    c->impl = impl;
    if ((st = sspix_handle_open(SSPIX_HANDLE_CRED, c, credential_destroy, phCredential)) != SEC_E_OK) {
        credential_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    if (ptsExpiry != NULL)
        *ptsExpiry = *expiry;
    return SEC_E_OK;
}

/*
 * deleg: the delegated credential of the client the calling thread
 * impersonates (NULL when none). As on Windows, an outbound Kerberos or
 * Negotiate credential asked for with no principal and no pAuthData is then
 * the client's, not the process's.
 */
static SECURITY_STATUS SEC_ENTRY paused_AcquireCredentialsHandleA(SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage,
                                                                  ULONG fCredentialUse, void *pvLogonId,
                                                                  void *pAuthData, SEC_GET_KEY_FN pGetKeyFn,
                                                                  void *pvGetKeyArgument, PCredHandle phCredential,
                                                                  PTimeStamp ptsExpiry, void *deleg)
{
    const struct sspix_package *pkg;
    SECURITY_STATUS st;
    TimeStamp expiry;
    (void)pvLogonId; /* logon sessions are a Windows notion; the caller's process identity applies */
    (void)pvGetKeyArgument;
    sspix_error_enter("AcquireCredentialsHandle");
    if (phCredential == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "phCredential must not be NULL");
    if (pGetKeyFn != NULL)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "pGetKeyFn is not supported (Windows' packages ignore it too)");
    if ((st = find_package(pszPackage, &pkg)) != SEC_E_OK)
        return st;
    ULONG use = fCredentialUse & ~(ULONG)(SECPKG_CRED_AUTOLOGON_RESTRICTED | SECPKG_CRED_PROCESS_POLICY_ONLY);
    if (deleg != NULL && use == SECPKG_CRED_OUTBOUND && pszPrincipal == NULL && pAuthData == NULL &&
        pkg->id != SSPIX_PKG_NTLM && pkg->ops->copy_cred != NULL) {
        void *impl = NULL;
        if ((st = pkg->ops->copy_cred(pkg, deleg, &impl, &expiry)) != SEC_E_OK)
            return st;
        return open_credential(pkg, impl, &expiry, phCredential, ptsExpiry);
    }

    struct sspix_credential *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    c->pkg = pkg;
    st = pkg->ops->acquire_cred(pkg, pszPrincipal, fCredentialUse, pAuthData, &c->impl, &expiry);
    if (st != SEC_E_OK) {
        free(c);
        return st;
    }
    if ((st = sspix_handle_open(SSPIX_HANDLE_CRED, c, credential_destroy, phCredential)) != SEC_E_OK) {
        credential_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    if (ptsExpiry != NULL)
        *ptsExpiry = expiry;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY paused_FreeCredentialsHandle(PCredHandle phCredential)
{
    sspix_error_enter("FreeCredentialsHandle");
    if (sspix_handle_close(SSPIX_HANDLE_CRED, phCredential) != SEC_E_OK)
        return sspix_fail(SEC_E_INVALID_HANDLE, "not a live credential handle (freed already, or never acquired)");
    return SEC_E_OK;
}

#define BAD_CRED() sspix_fail(SEC_E_INVALID_HANDLE, "not a live credential handle")
#define BAD_CTX()  sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle")

static SECURITY_STATUS SEC_ENTRY paused_QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                                    void *pBuffer)
{
    struct sspix_ref ref;
    sspix_error_enter("QueryCredentialsAttributes");
    struct sspix_credential *c = sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &ref);
    if (c == NULL)
        return BAD_CRED();
    SECURITY_STATUS st = pBuffer == NULL ? sspix_fail(SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL")
                                         : c->pkg->ops->query_cred(c->impl, ulAttribute, pBuffer);
    sspix_handle_release(&ref);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesExA(PCredHandle phCredential, ULONG ulAttribute,
                                                                     void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryCredentialsAttributesEx");
    if (ulAttribute == SECPKG_CRED_ATTR_NAMES && cbBuffer < sizeof(SecPkgCredentials_NamesA))
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "cbBuffer is smaller than SecPkgCredentials_NamesA");
    return QueryCredentialsAttributesA(phCredential, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AddCredentialsA(PCredHandle hCredentials, SEC_CHAR *pszPrincipal,
                                                       SEC_CHAR *pszPackage, ULONG fCredentialUse, void *pAuthData,
                                                       SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                       PTimeStamp ptsExpiry)
{
    struct sspix_ref ref;
    (void)pszPrincipal, (void)pszPackage, (void)fCredentialUse, (void)pAuthData, (void)pGetKeyFn;
    (void)pvGetKeyArgument, (void)ptsExpiry;
    sspix_error_enter("AddCredentials");
    if (sspix_handle_acquire(SSPIX_HANDLE_CRED, hCredentials, &ref) == NULL)
        return BAD_CRED();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "AddCredentials is not supported: acquire a second credential");
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    struct sspix_ref ref;
    (void)pBuffer, (void)cbBuffer;
    sspix_error_enter("SetCredentialsAttributes");
    if (sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &ref) == NULL)
        return BAD_CRED();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "credential attribute %u cannot be set", (unsigned)ulAttribute);
}

/* ---- buffer descriptors -------------------------------------------------------- */

/* Most buffers one SecBufferDesc may list (the message functions' limit). */
#define SSPIX_MAX_BUFFERS 16u

/*
 * A caller's SecBufferDesc, checked before any SecBuffer in it is read: a
 * count no larger than SSPIX_MAX_BUFFERS (the array itself cannot be
 * bounds-checked, only the count), an array when the count says there is one,
 * and for the handshake calls (which Windows marshals to its security service
 * and checks) the version SECBUFFER_VERSION. NULL is accepted: each caller
 * decides whether the descriptor may be absent. status: what a bad
 * descriptor is answered with.
 */
static SECURITY_STATUS check_desc(const SecBufferDesc *d, const char *name, SECURITY_STATUS status, int version)
{
    if (d == NULL)
        return SEC_E_OK;
    if (version && d->ulVersion != SECBUFFER_VERSION)
        return sspix_fail(status, "%s->ulVersion is %u: it must be SECBUFFER_VERSION (0)", name,
                          (unsigned)d->ulVersion);
    if (d->cBuffers > SSPIX_MAX_BUFFERS)
        return sspix_fail(status, "%s->cBuffers is %u: at most %u buffers are accepted", name, (unsigned)d->cBuffers,
                          SSPIX_MAX_BUFFERS);
    if (d->cBuffers > 0 && d->pBuffers == NULL)
        return sspix_fail(status, "%s->pBuffers is NULL but cBuffers is %u", name, (unsigned)d->cBuffers);
    return SEC_E_OK;
}

/* ---- handshake --------------------------------------------------------------- */

/* desc has passed check_desc(). */
static SecBuffer *find_buffer(PSecBufferDesc desc, ULONG type)
{
    if (desc == NULL || desc->pBuffers == NULL)
        return NULL;
    for (ULONG i = 0; i < desc->cBuffers; i++)
        if ((desc->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == type)
            return &desc->pBuffers[i];
    return NULL;
}

static SECURITY_STATUS input_token(PSecBufferDesc in, const uint8_t **p, size_t *len)
{
    *p = NULL;
    *len = 0;
    SecBuffer *b = find_buffer(in, SECBUFFER_TOKEN);
    if (b == NULL || b->cbBuffer == 0)
        return SEC_E_OK;
    if (b->pvBuffer == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the input SECBUFFER_TOKEN has a length but no memory");
    if (b->cbBuffer > SSPIX_MAX_HANDSHAKE_TOKEN)
        return sspix_fail(SEC_E_INVALID_TOKEN, "input token of %u bytes exceeds the %u-byte maximum",
                          (unsigned)b->cbBuffer, SSPIX_MAX_HANDSHAKE_TOKEN);
    *p = b->pvBuffer;
    *len = b->cbBuffer;
    return SEC_E_OK;
}

/* One 32-bit field of a SEC_CHANNEL_BINDINGS header, in this machine's byte
 * order (the structure is a C struct the caller filled in). */
static int read_ulong(sspix_reader *r, ULONG *out)
{
    uint32_t v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    int rc = sspix_reader_u32be(r, &v);
#else
    int rc = sspix_reader_u32le(r, &v);
#endif
    *out = v;
    return rc;
}

/* The bytes [offset, offset + len) of the bindings buffer, which must lie
 * inside it (after the header when not empty). */
static SECURITY_STATUS binding_range(const SecBuffer *b, ULONG offset, ULONG len, const char *what, const uint8_t **out,
                                     size_t *out_len)
{
    sspix_reader r;
    *out = NULL;
    *out_len = 0;
    if (len == 0)
        return SEC_E_OK;
    sspix_reader_init(&r, b->pvBuffer, b->cbBuffer);
    if (offset < sizeof(SEC_CHANNEL_BINDINGS) || sspix_reader_skip(&r, offset) != 0 ||
        sspix_reader_bytes(&r, len, out) != 0)
        return sspix_fail(SEC_E_BAD_BINDINGS,
                          "the SEC_CHANNEL_BINDINGS %s (offset %u, %u bytes) is not inside the %u-byte "
                          "SECBUFFER_CHANNEL_BINDINGS buffer after its header: offsets count from the start of the "
                          "structure",
                          what, (unsigned)offset, (unsigned)len, (unsigned)b->cbBuffer);
    *out_len = len;
    return SEC_E_OK;
}

/*
 * The input's SECBUFFER_CHANNEL_BINDINGS, if any: Windows' SEC_CHANNEL_BINDINGS
 * header (address types, and the length and offset of each part, offsets
 * from the start of the structure) followed by the parts. *out is NULL when
 * there is none (no such buffer, or an empty one).
 */
static SECURITY_STATUS input_bindings(PSecBufferDesc in, struct sspix_bindings *cb, const struct sspix_bindings **out)
{
    ULONG f[8];
    sspix_reader r;
    SECURITY_STATUS st;
    *out = NULL;
    SecBuffer *b = find_buffer(in, SECBUFFER_CHANNEL_BINDINGS);
    if (b == NULL || b->cbBuffer == 0)
        return SEC_E_OK;
    if (b->pvBuffer == NULL)
        return sspix_fail(SEC_E_BAD_BINDINGS, "the SECBUFFER_CHANNEL_BINDINGS buffer has a length but no memory");
    if (b->cbBuffer > SSPIX_MAX_HANDSHAKE_TOKEN)
        return sspix_fail(SEC_E_BAD_BINDINGS, "channel bindings of %u bytes exceed the %u-byte maximum",
                          (unsigned)b->cbBuffer, SSPIX_MAX_HANDSHAKE_TOKEN);
    sspix_reader_init(&r, b->pvBuffer, b->cbBuffer);
    for (size_t i = 0; i < 8; i++)
        if (read_ulong(&r, &f[i]) != 0)
            return sspix_fail(SEC_E_BAD_BINDINGS,
                              "the SECBUFFER_CHANNEL_BINDINGS buffer has %u bytes, less than a "
                              "SEC_CHANNEL_BINDINGS header (%zu)",
                              (unsigned)b->cbBuffer, sizeof(SEC_CHANNEL_BINDINGS));
    /* dwInitiatorAddrType, cbInitiatorLength, dwInitiatorOffset, dwAcceptorAddrType, cbAcceptorLength,
     * dwAcceptorOffset, cbApplicationDataLength, dwApplicationDataOffset */
    memset(cb, 0, sizeof(*cb));
    cb->initiator_type = f[0];
    cb->acceptor_type = f[3];
    if ((st = binding_range(b, f[2], f[1], "initiator address", &cb->initiator, &cb->initiator_len)) != SEC_E_OK ||
        (st = binding_range(b, f[5], f[4], "acceptor address", &cb->acceptor, &cb->acceptor_len)) != SEC_E_OK ||
        (st = binding_range(b, f[7], f[6], "application data", &cb->app, &cb->app_len)) != SEC_E_OK)
        return st;
    *out = cb;
    return SEC_E_OK;
}

/* Before the package runs: a caller-supplied output buffer must exist. */
static SECURITY_STATUS check_output(PSecBufferDesc out, int allocate)
{
    SecBuffer *b = find_buffer(out, SECBUFFER_TOKEN);
    if (b == NULL)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "pOutput has no SECBUFFER_TOKEN buffer for the output token");
    if (!allocate && b->pvBuffer == NULL)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the output SECBUFFER_TOKEN has no memory: give it cbMaxToken "
                                                  "bytes, or set ISC_REQ_ALLOCATE_MEMORY / ASC_REQ_ALLOCATE_MEMORY");
    return SEC_E_OK;
}

/* Hands the leg's token to the caller; consumes leg->out either way. */
static SECURITY_STATUS emit_output(PSecBufferDesc out, int allocate, struct sspix_leg *leg)
{
    SecBuffer *b = find_buffer(out, SECBUFFER_TOKEN);
    if (allocate) {
        b->pvBuffer = leg->out;
        b->cbBuffer = (ULONG)leg->out_len;
        leg->out = NULL;
        return SEC_E_OK;
    }
    if (leg->out_len > b->cbBuffer) {
        ULONG have = b->cbBuffer;
        free(leg->out);
        leg->out = NULL;
        b->cbBuffer = 0;
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "the output token needs %zu bytes; the buffer has %u", leg->out_len,
                          (unsigned)have);
    }
    if (leg->out_len > 0)
        memcpy(b->pvBuffer, leg->out, leg->out_len);
    b->cbBuffer = (ULONG)leg->out_len;
    free(leg->out);
    leg->out = NULL;
    return SEC_E_OK;
}

/* The shared shape of InitializeSecurityContext and AcceptSecurityContext. */
static SECURITY_STATUS handshake(int server, PCredHandle phCredential, PCtxtHandle phContext, const char *target,
                                 ULONG fContextReq, PSecBufferDesc pInput, PCtxtHandle phNewContext,
                                 PSecBufferDesc pOutput, ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    struct sspix_ref cred_ref = {0}, ctx_ref = {0};
    struct sspix_credential *cred = NULL;
    struct sspix_context *ctx = NULL;
    const uint8_t *in;
    size_t in_len;
    int allocate = (fContextReq & (server ? ASC_REQ_ALLOCATE_MEMORY : ISC_REQ_ALLOCATE_MEMORY)) != 0;
    struct sspix_leg leg = {0};
    struct sspix_bindings cb_storage;
    const struct sspix_bindings *cb = NULL;
    SECURITY_STATUS st;

    if ((st = check_desc(pInput, "pInput", SEC_E_INVALID_TOKEN, 1)) != SEC_E_OK ||
        (st = check_desc(pOutput, "pOutput", SEC_E_INVALID_PARAMETER, 1)) != SEC_E_OK)
        return st;
    if (phContext != NULL && (ctx = context_enter(phContext, &ctx_ref)) == NULL)
        return BAD_CTX();
    if (phCredential != NULL && (cred = sspix_handle_acquire(SSPIX_HANDLE_CRED, phCredential, &cred_ref)) == NULL) {
        st = BAD_CRED();
        goto out;
    }
    if (ctx == NULL && cred == NULL) {
        st = sspix_fail(SEC_E_INVALID_HANDLE, "the first call needs a credential handle");
        goto out;
    }
    if (ctx == NULL && phNewContext == NULL) {
        st = sspix_fail(SEC_E_INVALID_PARAMETER, "phNewContext must not be NULL on the first call");
        goto out;
    }
    if ((st = input_token(pInput, &in, &in_len)) != SEC_E_OK ||
        (st = input_bindings(pInput, &cb_storage, &cb)) != SEC_E_OK ||
        (st = check_output(pOutput, allocate)) != SEC_E_OK)
        goto out;

    const struct sspix_package *pkg = ctx ? ctx->pkg : cred->pkg;
    void *impl = ctx ? ctx->impl : NULL;
    void *cred_impl = cred && cred->pkg == pkg ? cred->impl : NULL;
    if (cred != NULL && cred->pkg != pkg) {
        st = sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential is for %s, the context for %s", cred->pkg->name,
                        pkg->name);
        goto out;
    }
    if (server)
        st = pkg->ops->accept_ctx(pkg, cred_impl, &impl, fContextReq, in, in_len, cb, &leg);
    else
        st = pkg->ops->init_ctx(pkg, cred_impl, &impl, target, fContextReq, in, in_len, cb, &leg);
    if (ctx != NULL)
        ctx->impl = impl; /* unchanged by the package after the first leg, but keep it exact */
    if (!SEC_SUCCESS(st)) {
        /* The package contract says a failed first leg leaves nothing behind;
         * hold it to that even on its own late failures. */
        if (ctx == NULL && impl != NULL)
            pkg->ops->delete_ctx(impl);
        goto out;
    }

    SECURITY_STATUS out_st = emit_output(pOutput, allocate, &leg);
    if (ctx == NULL) {
        /* A failed first call leaves nothing to delete: no handle is opened
         * unless the token reached the caller. */
        if (out_st != SEC_E_OK) {
            pkg->ops->delete_ctx(impl);
            st = out_st;
            goto out;
        }
        struct sspix_context *nc = context_new(pkg, impl);
        SECURITY_STATUS hs = SEC_E_INSUFFICIENT_MEMORY;
        if (nc != NULL)
            hs = sspix_handle_open(SSPIX_HANDLE_CTX, nc, context_destroy, phNewContext);
        if (hs != SEC_E_OK) {
            if (nc != NULL)
                context_destroy(nc);
            else
                pkg->ops->delete_ctx(impl);
            if (allocate) {
                SecBuffer *b = find_buffer(pOutput, SECBUFFER_TOKEN);
                free(b->pvBuffer);
                b->pvBuffer = NULL;
                b->cbBuffer = 0;
            }
            st = sspix_fail(hs, "out of memory");
            goto out;
        }
    } else if (phNewContext != NULL && phNewContext != phContext) {
        *phNewContext = *phContext;
    }
    if (out_st != SEC_E_OK) {
        st = out_st;
        goto out;
    }
    if (pfContextAttr != NULL)
        *pfContextAttr = leg.attrs | (allocate ? (server ? ASC_RET_ALLOCATED_MEMORY : ISC_RET_ALLOCATED_MEMORY) : 0);
    if (ptsExpiry != NULL)
        *ptsExpiry = leg.expiry;
out:
    free(leg.out);
    sspix_handle_release(&cred_ref);
    context_leave(ctx, &ctx_ref);
    return st;
}

static SECURITY_STATUS SEC_ENTRY paused_InitializeSecurityContextA(PCredHandle phCredential, PCtxtHandle phContext,
                                                                   SEC_CHAR *pszTargetName, ULONG fContextReq,
                                                                   ULONG Reserved1, ULONG TargetDataRep,
                                                                   PSecBufferDesc pInput, ULONG Reserved2,
                                                                   PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                                   ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    (void)Reserved1, (void)Reserved2, (void)TargetDataRep; /* tokens are byte strings in either representation */
    sspix_error_enter("InitializeSecurityContext");
    return handshake(0, phCredential, phContext, pszTargetName, fContextReq, pInput, phNewContext, pOutput,
                     pfContextAttr, ptsExpiry);
}

static SECURITY_STATUS SEC_ENTRY paused_AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                              PSecBufferDesc pInput, ULONG fContextReq,
                                                              ULONG TargetDataRep, PCtxtHandle phNewContext,
                                                              PSecBufferDesc pOutput, ULONG *pfContextAttr,
                                                              PTimeStamp ptsExpiry)
{
    (void)TargetDataRep;
    sspix_error_enter("AcceptSecurityContext");
    return handshake(1, phCredential, phContext, NULL, fContextReq, pInput, phNewContext, pOutput, pfContextAttr,
                     ptsExpiry);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY CompleteAuthToken(PCtxtHandle phContext, PSecBufferDesc pToken)
{
    struct sspix_ref ref;
    SECURITY_STATUS st;
    sspix_error_enter("CompleteAuthToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return BAD_CTX();
    sspix_handle_release(&ref);
    if (pToken == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pToken must not be NULL");
    if ((st = check_desc(pToken, "pToken", SEC_E_INVALID_TOKEN, 1)) != SEC_E_OK)
        return st;
    /* Kerberos and SPNEGO tokens are complete when produced: nothing to do. */
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY paused_DeleteSecurityContext(PCtxtHandle phContext)
{
    sspix_error_enter("DeleteSecurityContext");
    if (sspix_handle_close(SSPIX_HANDLE_CTX, phContext) != SEC_E_OK)
        return sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle (deleted already, or never created)");
    return SEC_E_OK;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ApplyControlToken(PCtxtHandle phContext, PSecBufferDesc pInput)
{
    struct sspix_ref ref;
    SECURITY_STATUS st;
    sspix_error_enter("ApplyControlToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return BAD_CTX();
    sspix_handle_release(&ref);
    if ((st = check_desc(pInput, "pInput", SEC_E_INVALID_TOKEN, 1)) != SEC_E_OK)
        return st;
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "Kerberos and Negotiate have no control tokens");
}

/* ---- attributes ---------------------------------------------------------------- */

/*
 * SECPKG_ATTR_AUTHORITY: who vouched for the client - the realm of its
 * Kerberos name ("alice@REALM"; an '@' escaped with a backslash belongs to
 * the name), or the domain of an NTLM one ("DOMAIN\user").
 */
static SECURITY_STATUS query_authority(struct sspix_context *c, SecPkgContext_AuthorityA *out)
{
    SecPkgContext_NamesA names = {0};
    SECURITY_STATUS st = c->pkg->ops->query_ctx(c->impl, SECPKG_ATTR_NAMES, &names);
    if (st != SEC_E_OK)
        return st;
    const char *name = names.sUserName, *at = NULL, *start = NULL;
    size_t len = 0;
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        else if (*p == '@')
            at = p;
    }
    if (at != NULL) {
        start = at + 1;
        len = strlen(start);
    } else if (strchr(name, '\\') != NULL) {
        start = name;
        len = (size_t)(strchr(name, '\\') - name);
    }
    if (start == NULL || len == 0) {
        st = sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "the client's name \"%.128s\" names no realm or domain", name);
        free(names.sUserName);
        return st;
    }
    out->sAuthorityName = malloc(len + 1);
    if (out->sAuthorityName != NULL) {
        memcpy(out->sAuthorityName, start, len);
        out->sAuthorityName[len] = '\0';
    }
    free(names.sUserName);
    return out->sAuthorityName ? SEC_E_OK : sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
}

static SECURITY_STATUS query_context(struct sspix_context *c, ULONG attr, void *buffer)
{
    int complete;
    if (c->impl == NULL)
        return sspix_fail(SEC_E_NO_CONTEXT, "the context has no state (its first leg failed)");
    if (attr == SECPKG_ATTR_PACKAGE_INFO || attr == SECPKG_ATTR_NEGOTIATION_INFO) {
        const struct sspix_package *pkg = sspix_package_by_id(c->pkg->ops->negotiated(c->impl, &complete));
        SecPkgInfoA *info = pkginfo_block(&pkg, 1);
        if (info == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        if (attr == SECPKG_ATTR_PACKAGE_INFO) {
            ((SecPkgContext_PackageInfoA *)buffer)->PackageInfo = info;
        } else {
            ((SecPkgContext_NegotiationInfoA *)buffer)->PackageInfo = info;
            ((SecPkgContext_NegotiationInfoA *)buffer)->NegotiationState =
                complete ? SECPKG_NEGOTIATION_COMPLETE : SECPKG_NEGOTIATION_IN_PROGRESS;
        }
        return SEC_E_OK;
    }
    if (attr == SECPKG_ATTR_AUTHORITY)
        return query_authority(c, buffer);
    return c->pkg->ops->query_ctx(c->impl, attr, buffer);
}

static SECURITY_STATUS SEC_ENTRY paused_QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer)
{
    struct sspix_ref ref;
    sspix_error_enter("QueryContextAttributes");
    struct sspix_context *c = context_enter(phContext, &ref);
    if (c == NULL)
        return BAD_CTX();
    SECURITY_STATUS st = pBuffer == NULL ? sspix_fail(SEC_E_INVALID_PARAMETER, "pBuffer must not be NULL")
                                         : query_context(c, ulAttribute, pBuffer);
    context_leave(c, &ref);
    return st;
}

static size_t attribute_size(ULONG attr)
{
    switch (attr) {
    case SECPKG_ATTR_SIZES: return sizeof(SecPkgContext_Sizes);
    case SECPKG_ATTR_NAMES: return sizeof(SecPkgContext_NamesA);
    case SECPKG_ATTR_LIFESPAN: return sizeof(SecPkgContext_Lifespan);
    case SECPKG_ATTR_STREAM_SIZES: return sizeof(SecPkgContext_StreamSizes);
    case SECPKG_ATTR_SESSION_KEY: return sizeof(SecPkgContext_SessionKey);
    case SECPKG_ATTR_PACKAGE_INFO: return sizeof(SecPkgContext_PackageInfoA);
    case SECPKG_ATTR_NEGOTIATION_INFO: return sizeof(SecPkgContext_NegotiationInfoA);
    case SECPKG_ATTR_NATIVE_NAMES: return sizeof(SecPkgContext_NativeNamesA);
    case SECPKG_ATTR_FLAGS: return sizeof(SecPkgContext_Flags);
    case SECPKG_ATTR_KEY_INFO: return sizeof(SecPkgContext_KeyInfoA);
    case SECPKG_ATTR_AUTHORITY: return sizeof(SecPkgContext_AuthorityA);
    default: return 0;
    }
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryContextAttributesExA(PCtxtHandle phContext, ULONG ulAttribute,
                                                                 void *pBuffer, ULONG cbBuffer)
{
    sspix_error_enter("QueryContextAttributesEx");
    size_t need = attribute_size(ulAttribute);
    if (need != 0 && cbBuffer < need)
        return sspix_fail(SEC_E_BUFFER_TOO_SMALL, "attribute %u needs a %zu-byte buffer, cbBuffer is %u",
                          (unsigned)ulAttribute, need, (unsigned)cbBuffer);
    return QueryContextAttributesA(phContext, ulAttribute, pBuffer);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY SetContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer,
                                                             ULONG cbBuffer)
{
    struct sspix_ref ref;
    (void)pBuffer, (void)cbBuffer;
    sspix_error_enter("SetContextAttributes");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return BAD_CTX();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "context attribute %u cannot be set", (unsigned)ulAttribute);
}

/* ---- impersonation ----------------------------------------------------------------- */

/*
 * ImpersonateSecurityContext switches the calling thread (only it) to the
 * local account the client maps to: krb5's auth_to_local rules for Kerberos,
 * the user name for NTLM. Needs root (or CAP_SETUID + CAP_SETGID). The thread
 * stays impersonating until RevertSecurityContext on any handle, or until it
 * impersonates again; deleting the context does not revert the thread.
 */
SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ImpersonateSecurityContext(PCtxtHandle phContext)
{
    struct sspix_ref ref;
    char *account = NULL;
    sspix_error_enter("ImpersonateSecurityContext");
    struct sspix_context *c = context_enter(phContext, &ref);
    if (c == NULL)
        return BAD_CTX();
    /* Impersonating again replaces the impersonation (as on Windows); the
     * name is mapped with the process's own identity, which can read
     * krb5.conf and the keytab. */
    SECURITY_STATUS st = sspix_impersonate_revert();
    void *deleg = NULL;
    if (st == SEC_E_OK)
        st = c->impl ? c->pkg->ops->local_name(c->impl, &account)
                     : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    /* The client's delegated credential goes with the impersonation (a copy:
     * the context may be deleted first), for AcquireCredentialsHandle. */
    if (st == SEC_E_OK && c->pkg->ops->delegated_cred != NULL) {
        TimeStamp ignored;
        char saved[1024];
        sspix_error_save(saved, sizeof(saved));
        if (c->pkg->ops->delegated_cred(c->impl, &sspix_package_kerberos, &deleg, &ignored) != SEC_E_OK)
            deleg = NULL; /* none delegated, or unusable: impersonation goes on without */
        sspix_error_restore(saved);
    }
    context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st == SEC_E_NO_CONTEXT || st == SEC_E_INSUFFICIENT_MEMORY || st == SEC_E_INTERNAL_ERROR
                   ? st
                   : SEC_E_NO_IMPERSONATION;
    st = sspix_impersonate_as(account, deleg, sspix_package_kerberos.ops->free_cred);
    free(account);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY RevertSecurityContext(PCtxtHandle phContext)
{
    struct sspix_ref ref;
    sspix_error_enter("RevertSecurityContext");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL) {
        /* A stale handle must not leave the thread running as the client. */
        if (sspix_impersonating() && sspix_impersonate_revert() == SEC_E_OK)
            return sspix_fail(SEC_E_INVALID_HANDLE, "not a live context handle (the thread's own identity was "
                                                    "restored anyway)");
        return BAD_CTX();
    }
    sspix_handle_release(&ref);
    return sspix_impersonate_revert();
}

static SECURITY_STATUS paused_sspix_query_local_name(PCtxtHandle phContext, char **name)
{
    struct sspix_ref ref;
    sspix_error_enter("sspix_query_local_name");
    if (name == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "name must not be NULL");
    *name = NULL;
    struct sspix_context *c = context_enter(phContext, &ref);
    if (c == NULL)
        return BAD_CTX();
    SECURITY_STATUS st =
        c->impl ? c->pkg->ops->local_name(c->impl, name) : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    context_leave(c, &ref);
    return st;
}

static SECURITY_STATUS paused_sspix_query_delegated_credential(PCtxtHandle phContext, PCredHandle phCredential,
                                                               PTimeStamp ptsExpiry)
{
    struct sspix_ref ref;
    void *impl = NULL;
    TimeStamp expiry;
    sspix_error_enter("sspix_query_delegated_credential");
    if (phCredential == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "phCredential must not be NULL");
    struct sspix_context *c = context_enter(phContext, &ref);
    if (c == NULL)
        return BAD_CTX();
    const struct sspix_package *pkg = c->pkg;
    SECURITY_STATUS st;
    if (c->impl == NULL)
        st = sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    else if (c->pkg->ops->delegated_cred == NULL)
        st = sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "%s has no delegation", c->pkg->name);
    else
        st = c->pkg->ops->delegated_cred(c->impl, NULL, &impl, &expiry);
    context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st;
    return open_credential(pkg, impl, &expiry, phCredential, ptsExpiry);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QuerySecurityContextToken(PCtxtHandle phContext, void **Token)
{
    struct sspix_ref ref;
    (void)Token;
    sspix_error_enter("QuerySecurityContextToken");
    if (sspix_handle_acquire(SSPIX_HANDLE_CTX, phContext, &ref) == NULL)
        return BAD_CTX();
    sspix_handle_release(&ref);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "POSIX has no Windows access tokens: use SECPKG_ATTR_NAMES, "
                                                  "sspix_query_local_name or ImpersonateSecurityContext");
}

/* ---- export and import ------------------------------------------------------------- */

/* Most bytes ImportSecurityContext takes (the package checks the exact layout). */
#define SSPIX_MAX_PACKED_CONTEXT (80u * 1024u)

/*
 * ExportSecurityContext hands a complete context to another process. GSSAPI
 * exports destructively, so the exported context is unusable here afterwards
 * whatever fFlags says: SECPKG_CONTEXT_EXPORT_DELETE_OLD semantics always
 * (calls on it return SEC_E_NO_CONTEXT); the handle itself stays valid until
 * DeleteSecurityContext. RESET_NEW is accepted and has no effect (message
 * sequence numbers continue in the new process); TO_KERNEL is refused. The
 * blob (pPackedContext->pvBuffer, freed with FreeContextBuffer) holds the
 * session keys: pass it only to a process of equal trust. It is
 * authenticated with the process's export key (packages/ctx_blob.h), so only
 * this process, its forked children, and processes given the same key with
 * sspix_set_context_export_key can import it, once each. *pToken, if given,
 * is set to NULL: there is no access token on POSIX.
 */
static SECURITY_STATUS SEC_ENTRY paused_ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                              PSecBuffer pPackedContext, void **pToken)
{
    struct sspix_ref ref;
    uint8_t *blob = NULL;
    size_t len = 0;
    sspix_error_enter("ExportSecurityContext");
    if (pToken != NULL)
        *pToken = NULL;
    struct sspix_context *c = context_enter(phContext, &ref);
    if (c == NULL)
        return BAD_CTX();
    SECURITY_STATUS st;
    if (pPackedContext == NULL)
        st = sspix_fail(SEC_E_INVALID_PARAMETER, "pPackedContext must not be NULL");
    else if (fFlags & ~(ULONG)(SECPKG_CONTEXT_EXPORT_RESET_NEW | SECPKG_CONTEXT_EXPORT_DELETE_OLD))
        st = sspix_fail(SEC_E_INVALID_PARAMETER,
                        "fFlags 0x%x: only SECPKG_CONTEXT_EXPORT_RESET_NEW and "
                        "SECPKG_CONTEXT_EXPORT_DELETE_OLD are supported",
                        (unsigned)fFlags);
    else if (c->impl == NULL)
        st = sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");
    else
        st = c->pkg->ops->export_ctx(c->impl, &blob, &len);
    context_leave(c, &ref);
    if (st != SEC_E_OK)
        return st;
    pPackedContext->BufferType = SECBUFFER_EMPTY;
    pPackedContext->cbBuffer = (ULONG)len;
    pPackedContext->pvBuffer = blob;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY paused_ImportSecurityContextA(SEC_CHAR *pszPackage, PSecBuffer pPackedContext,
                                                               void *Token, PCtxtHandle phContext)
{
    const struct sspix_package *pkg;
    void *impl = NULL;
    SECURITY_STATUS st;
    (void)Token; /* a Windows access token: nothing to attach on POSIX */
    sspix_error_enter("ImportSecurityContext");
    if (pPackedContext == NULL || phContext == NULL)
        return sspix_fail(SEC_E_INVALID_PARAMETER, "pPackedContext and phContext must not be NULL");
    if (pPackedContext->cbBuffer == 0 || pPackedContext->pvBuffer == NULL)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the packed context is empty");
    if (pPackedContext->cbBuffer > SSPIX_MAX_PACKED_CONTEXT)
        return sspix_fail(SEC_E_INVALID_TOKEN, "a packed context of %u bytes is larger than any sspix exports (%u)",
                          (unsigned)pPackedContext->cbBuffer, SSPIX_MAX_PACKED_CONTEXT);
    if ((st = find_package(pszPackage, &pkg)) != SEC_E_OK)
        return st;
    if ((st = pkg->ops->import_ctx(pkg, pPackedContext->pvBuffer, pPackedContext->cbBuffer, &impl)) != SEC_E_OK)
        return st;
    struct sspix_context *c = context_new(pkg, impl);
    if (c == NULL) {
        pkg->ops->delete_ctx(impl);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    if ((st = sspix_handle_open(SSPIX_HANDLE_CTX, c, context_destroy, phContext)) != SEC_E_OK) {
        context_destroy(c);
        return sspix_fail(st, "out of handles");
    }
    return SEC_E_OK;
}

_Static_assert(SSPIX_CONTEXT_EXPORT_KEY_BYTES == SSPIX_CTX_BLOB_KEY_BYTES, "one export key size");

SSPIX_EXPORT SECURITY_STATUS sspix_set_context_export_key(const void *pvKey, ULONG cbKey)
{
    sspix_error_enter("sspix_set_context_export_key");
    return sspix_ctx_blob_set_key(pvKey, cbKey);
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ChangeAccountPasswordA(SEC_CHAR *pszPackageName, SEC_CHAR *pszDomainName,
                                                              SEC_CHAR *pszAccountName, SEC_CHAR *pszOldPassword,
                                                              SEC_CHAR *pszNewPassword, BOOLEAN bImpersonating,
                                                              ULONG dwReserved, PSecBufferDesc pOutput)
{
    (void)pszPackageName, (void)pszDomainName, (void)pszAccountName, (void)pszOldPassword, (void)pszNewPassword;
    (void)bImpersonating, (void)dwReserved, (void)pOutput;
    sspix_error_enter("ChangeAccountPassword");
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "password changes are not supported: use kpasswd");
}

/* ---- message protection ------------------------------------------------------------ */

/* The message functions: the descriptor's count is bounded here for every
 * package; the layout is the package's business. */
#define WITH_CONTEXT(name, call)                                                                                       \
    do {                                                                                                               \
        struct sspix_ref ref_;                                                                                         \
        sspix_error_enter(name);                                                                                       \
        struct sspix_context *c = context_enter(phContext, &ref_);                                                     \
        if (c == NULL)                                                                                                 \
            return BAD_CTX();                                                                                          \
        SECURITY_STATUS st_ = check_desc(pMessage, "pMessage", SEC_E_INVALID_PARAMETER, 0);                            \
        if (st_ == SEC_E_OK)                                                                                           \
            st_ = c->impl ? (call) : sspix_fail(SEC_E_NO_CONTEXT, "the context has no state");                         \
        context_leave(c, &ref_);                                                                                       \
        return st_;                                                                                                    \
    } while (0)

static SECURITY_STATUS SEC_ENTRY paused_MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                                      ULONG MessageSeqNo)
{
    WITH_CONTEXT("MakeSignature", c->pkg->ops->make_signature(c->impl, fQOP, pMessage, MessageSeqNo));
}

static SECURITY_STATUS SEC_ENTRY paused_VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                                        ULONG MessageSeqNo, ULONG *pfQOP)
{
    WITH_CONTEXT("VerifySignature", c->pkg->ops->verify_signature(c->impl, pMessage, MessageSeqNo, pfQOP));
}

static SECURITY_STATUS SEC_ENTRY paused_EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                                       ULONG MessageSeqNo)
{
    WITH_CONTEXT("EncryptMessage", c->pkg->ops->encrypt(c->impl, fQOP, pMessage, MessageSeqNo));
}

static SECURITY_STATUS SEC_ENTRY paused_DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                                       ULONG MessageSeqNo, ULONG *pfQOP)
{
    WITH_CONTEXT("DecryptMessage", c->pkg->ops->decrypt(c->impl, pMessage, MessageSeqNo, pfQOP));
}

/* ---- memory and the table ---------------------------------------------------------- */

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY FreeContextBuffer(void *pvContextBuffer)
{
    free(pvContextBuffer);
    return SEC_E_OK;
}

/* ---- impersonating threads --------------------------------------------------------- */

/*
 * Entry points that reach a package run with the thread's own identity even
 * while it impersonates a client (see sspi/impersonate.h): the library reads
 * krb5.conf, keytabs and replay caches, which the client's account typically
 * cannot, and must free what it allocated.
 */
#define PAUSED(call)                                                                                                   \
    do {                                                                                                               \
        struct sspix_impersonation_pause pause_;                                                                       \
        sspix_impersonate_pause(&pause_);                                                                              \
        SECURITY_STATUS st_ = (call);                                                                                  \
        sspix_impersonate_resume(&pause_);                                                                             \
        return st_;                                                                                                    \
    } while (0)

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AcquireCredentialsHandleA(SEC_CHAR *pszPrincipal, SEC_CHAR *pszPackage,
                                                                 ULONG fCredentialUse, void *pvLogonId, void *pAuthData,
                                                                 SEC_GET_KEY_FN pGetKeyFn, void *pvGetKeyArgument,
                                                                 PCredHandle phCredential, PTimeStamp ptsExpiry)
{
    struct sspix_impersonation_pause pause;
    sspix_impersonate_pause(&pause);
    SECURITY_STATUS st = paused_AcquireCredentialsHandleA(pszPrincipal, pszPackage, fCredentialUse, pvLogonId,
                                                          pAuthData, pGetKeyFn, pvGetKeyArgument, phCredential,
                                                          ptsExpiry, sspix_impersonate_paused_delegation(&pause));
    sspix_impersonate_resume(&pause);
    return st;
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY FreeCredentialsHandle(PCredHandle phCredential)
{
    PAUSED(paused_FreeCredentialsHandle(phCredential));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryCredentialsAttributesA(PCredHandle phCredential, ULONG ulAttribute,
                                                                   void *pBuffer)
{
    PAUSED(paused_QueryCredentialsAttributesA(phCredential, ulAttribute, pBuffer));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY InitializeSecurityContextA(PCredHandle phCredential, PCtxtHandle phContext,
                                                                  SEC_CHAR *pszTargetName, ULONG fContextReq,
                                                                  ULONG Reserved1, ULONG TargetDataRep,
                                                                  PSecBufferDesc pInput, ULONG Reserved2,
                                                                  PCtxtHandle phNewContext, PSecBufferDesc pOutput,
                                                                  ULONG *pfContextAttr, PTimeStamp ptsExpiry)
{
    PAUSED(paused_InitializeSecurityContextA(phCredential, phContext, pszTargetName, fContextReq, Reserved1,
                                             TargetDataRep, pInput, Reserved2, phNewContext, pOutput, pfContextAttr,
                                             ptsExpiry));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY AcceptSecurityContext(PCredHandle phCredential, PCtxtHandle phContext,
                                                             PSecBufferDesc pInput, ULONG fContextReq,
                                                             ULONG TargetDataRep, PCtxtHandle phNewContext,
                                                             PSecBufferDesc pOutput, ULONG *pfContextAttr,
                                                             PTimeStamp ptsExpiry)
{
    PAUSED(paused_AcceptSecurityContext(phCredential, phContext, pInput, fContextReq, TargetDataRep, phNewContext,
                                        pOutput, pfContextAttr, ptsExpiry));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY DeleteSecurityContext(PCtxtHandle phContext)
{
    PAUSED(paused_DeleteSecurityContext(phContext));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY QueryContextAttributesA(PCtxtHandle phContext, ULONG ulAttribute, void *pBuffer)
{
    PAUSED(paused_QueryContextAttributesA(phContext, ulAttribute, pBuffer));
}

SSPIX_EXPORT SECURITY_STATUS sspix_query_local_name(PCtxtHandle phContext, char **name)
{
    PAUSED(paused_sspix_query_local_name(phContext, name));
}

SSPIX_EXPORT SECURITY_STATUS sspix_query_delegated_credential(PCtxtHandle phContext, PCredHandle phCredential,
                                                              PTimeStamp ptsExpiry)
{
    PAUSED(paused_sspix_query_delegated_credential(phContext, phCredential, ptsExpiry));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ExportSecurityContext(PCtxtHandle phContext, ULONG fFlags,
                                                             PSecBuffer pPackedContext, void **pToken)
{
    PAUSED(paused_ExportSecurityContext(phContext, fFlags, pPackedContext, pToken));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY ImportSecurityContextA(SEC_CHAR *pszPackage, PSecBuffer pPackedContext,
                                                              void *Token, PCtxtHandle phContext)
{
    PAUSED(paused_ImportSecurityContextA(pszPackage, pPackedContext, Token, phContext));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY MakeSignature(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                                     ULONG MessageSeqNo)
{
    PAUSED(paused_MakeSignature(phContext, fQOP, pMessage, MessageSeqNo));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY VerifySignature(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                                       ULONG MessageSeqNo, ULONG *pfQOP)
{
    PAUSED(paused_VerifySignature(phContext, pMessage, MessageSeqNo, pfQOP));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY EncryptMessage(PCtxtHandle phContext, ULONG fQOP, PSecBufferDesc pMessage,
                                                      ULONG MessageSeqNo)
{
    PAUSED(paused_EncryptMessage(phContext, fQOP, pMessage, MessageSeqNo));
}

SSPIX_EXPORT SECURITY_STATUS SEC_ENTRY DecryptMessage(PCtxtHandle phContext, PSecBufferDesc pMessage,
                                                      ULONG MessageSeqNo, ULONG *pfQOP)
{
    PAUSED(paused_DecryptMessage(phContext, pMessage, MessageSeqNo, pfQOP));
}

static const SecurityFunctionTableA function_table = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION_5,
    .EnumerateSecurityPackagesA = EnumerateSecurityPackagesA,
    .QueryCredentialsAttributesA = QueryCredentialsAttributesA,
    .AcquireCredentialsHandleA = AcquireCredentialsHandleA,
    .FreeCredentialsHandle = FreeCredentialsHandle,
    .Reserved2 = NULL,
    .InitializeSecurityContextA = InitializeSecurityContextA,
    .AcceptSecurityContext = AcceptSecurityContext,
    .CompleteAuthToken = CompleteAuthToken,
    .DeleteSecurityContext = DeleteSecurityContext,
    .ApplyControlToken = ApplyControlToken,
    .QueryContextAttributesA = QueryContextAttributesA,
    .ImpersonateSecurityContext = ImpersonateSecurityContext,
    .RevertSecurityContext = RevertSecurityContext,
    .MakeSignature = MakeSignature,
    .VerifySignature = VerifySignature,
    .FreeContextBuffer = FreeContextBuffer,
    .QuerySecurityPackageInfoA = QuerySecurityPackageInfoA,
    /* Windows fills these two reserved slots with the message functions. */
    .Reserved3 = (void *)EncryptMessage,
    .Reserved4 = (void *)DecryptMessage,
    .ExportSecurityContext = ExportSecurityContext,
    .ImportSecurityContextA = ImportSecurityContextA,
    .AddCredentialsA = AddCredentialsA,
    .Reserved8 = NULL,
    .QuerySecurityContextToken = QuerySecurityContextToken,
    .EncryptMessage = EncryptMessage,
    .DecryptMessage = DecryptMessage,
    .SetContextAttributesA = SetContextAttributesA,
    .SetCredentialsAttributesA = SetCredentialsAttributesA,
    .ChangeAccountPasswordA = ChangeAccountPasswordA,
    .QueryContextAttributesExA = QueryContextAttributesExA,
    .QueryCredentialsAttributesExA = QueryCredentialsAttributesExA,
};

SSPIX_EXPORT PSecurityFunctionTableA SEC_ENTRY InitSecurityInterfaceA(void)
{
    /* Read-only storage: a caller that writes to the table faults at once
     * instead of corrupting every other user of the library. */
    return (PSecurityFunctionTableA)&function_table;
}
