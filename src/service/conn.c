/* SPDX-License-Identifier: MIT */
/*
 * conn.c - the protocol-independent half of a server connection: the SSPI
 * calls (the Microsoft sample's GenServerContext), the outcome bookkeeping and the log
 * line. The wire format is in proto_*.c.
 */
#include "service/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "session/protect.h"

/* What every handshake asks for (the list). ASC_REQ_ALLOCATE_MEMORY
 * only changes who allocates the output token: the package allocates one of
 * the right size instead of us keeping a cbMaxToken (48 KB) buffer per
 * connection. */
#define CONN_ASC_REQ                                                                                                   \
    (ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |                       \
     ASC_REQ_SEQUENCE_DETECT | ASC_REQ_ALLOCATE_MEMORY)

/* Output may hold one handshake token or one echo reply per frame decoded
 * from one read (the engine reads at most SSPIX_CONN_READ_MAX bytes and stops
 * reading while output is pending), plus the frame being completed. */
#define SSPIX_CONN_READ_MAX (16u * 1024u)

/* ---- the shared credential ---------------------------------------------- */

/* One AcquireCredentialsHandle with the arguments kept in c. */
static SECURITY_STATUS acquire_one(sspix_svc_cred *c, PCredHandle h)
{
    SSPIX_AUTH_STORE_A store = {.Magic = SSPIX_AUTH_STORE_MAGIC,
                                .Keytab = c->acq_keytab,
                                .NtlmUsersFile = c->acq_ntlm_users,
                                .Flags = c->acq_flags};
    bool use_store = c->acq_keytab != NULL || c->acq_ntlm_users != NULL || c->acq_flags != 0;
    TimeStamp expiry;
    return c->sspi->AcquireCredentialsHandleA((SEC_CHAR *)c->acq_spn, (SEC_CHAR *)c->package, SECPKG_CRED_INBOUND, NULL,
                                              use_store ? &store : NULL, NULL, NULL, h, &expiry);
}

SECURITY_STATUS sspix_svc_cred_acquire(const char *package, const char *spn, const char *keytab,
                                       const struct sspix_svc_limits *limits, sspix_svc_cred **out)
{
    return sspix_svc_cred_acquire_ntlm(package, spn, keytab, NULL, limits, out);
}

SECURITY_STATUS sspix_svc_cred_acquire_ntlm(const char *package, const char *spn, const char *keytab,
                                            const char *ntlm_users, const struct sspix_svc_limits *limits,
                                            sspix_svc_cred **out)
{
    return sspix_svc_cred_acquire_flags(package, spn, keytab, ntlm_users, 0, limits, out);
}

SECURITY_STATUS sspix_svc_cred_acquire_flags(const char *package, const char *spn, const char *keytab,
                                             const char *ntlm_users, ULONG store_flags,
                                             const struct sspix_svc_limits *limits, sspix_svc_cred **out)
{
    *out = NULL;
    sspix_svc_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    c->sspi = InitSecurityInterfaceA();
    c->limits = *limits;
    snprintf(c->package, sizeof(c->package), "%s", package);
    snprintf(c->principal, sizeof(c->principal), "%s", spn ? spn : "any");
    c->acq_flags = store_flags;
    if ((spn != NULL && (c->acq_spn = strdup(spn)) == NULL) ||
        (keytab != NULL && (c->acq_keytab = strdup(keytab)) == NULL) ||
        (ntlm_users != NULL && (c->acq_ntlm_users = strdup(ntlm_users)) == NULL)) {
        free(c->acq_spn);
        free(c->acq_keytab);
        free(c);
        return SEC_E_INSUFFICIENT_MEMORY;
    }
    SECURITY_STATUS st = acquire_one(c, &c->handle);
    if (st != SEC_E_OK) {
        free(c->acq_spn);
        free(c->acq_keytab);
        free(c->acq_ntlm_users);
        free(c);
        return st;
    }
    atomic_init(&c->refs, 1);
    *out = c;
    return SEC_E_OK;
}

unsigned sspix_svc_cred_replicate(sspix_svc_cred *c, unsigned n)
{
    if (c->parent != NULL || c->extra != NULL || n <= 1)
        return 1 + c->nextra;
    c->extra = calloc(n - 1, sizeof(*c->extra));
    if (c->extra == NULL)
        return 1;
    while (c->nextra < n - 1 && acquire_one(c, &c->extra[c->nextra]) == SEC_E_OK)
        c->nextra++;
    if (c->nextra == 0) {
        free(c->extra);
        c->extra = NULL;
    }
    return 1 + c->nextra;
}

PCredHandle sspix_svc_cred_handle(sspix_svc_cred *c, unsigned slot)
{
    if (c->nextra == 0 || slot % (c->nextra + 1) == 0)
        return &c->handle;
    return &c->extra[slot % (c->nextra + 1) - 1];
}

SECURITY_STATUS sspix_svc_cred_rewrap(sspix_svc_cred *old, const struct sspix_svc_limits *limits, sspix_svc_cred **out)
{
    *out = NULL;
    sspix_svc_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    c->sspi = old->sspi;
    c->handle = old->handle;
    c->extra = old->extra; /* the parent's, like handle */
    c->nextra = old->nextra;
    c->limits = *limits;
    memcpy(c->package, old->package, sizeof(c->package));
    memcpy(c->principal, old->principal, sizeof(c->principal));
    c->parent = sspix_svc_cred_ref(old);
    atomic_init(&c->refs, 1);
    *out = c;
    return SEC_E_OK;
}

sspix_svc_cred *sspix_svc_cred_ref(sspix_svc_cred *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

void sspix_svc_cred_unref(sspix_svc_cred *c)
{
    if (c == NULL)
        return;
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        if (c->parent != NULL) {
            sspix_svc_cred_unref(c->parent); /* the handles are the parent's */
        } else {
            c->sspi->FreeCredentialsHandle(&c->handle);
            for (unsigned i = 0; i < c->nextra; i++)
                c->sspi->FreeCredentialsHandle(&c->extra[i]);
            free(c->extra);
        }
        free(c->acq_spn);
        free(c->acq_keytab);
        free(c->acq_ntlm_users);
        free(c);
    }
}

/* ---- lifecycle ------------------------------------------------------------ */

static size_t out_max(const struct sspix_svc_limits *l)
{
    size_t unit = (l->max_token > l->max_message ? l->max_token : l->max_message) + SSPIX_SVC_MAX_TRAILER + 16;
    return 2 * unit + SSPIX_CONN_READ_MAX;
}

void sspix_conn_init(sspix_conn *c, sspix_svc_cred *cred)
{
    sspix_conn_init_slot(c, cred, 0);
}

void sspix_conn_init_slot(sspix_conn *c, sspix_svc_cred *cred, unsigned slot)
{
    memset(c, 0, sizeof(*c));
    c->cred = sspix_svc_cred_ref(cred);
    c->slot = slot;
    c->status = SEC_E_OK;
    SecInvalidateHandle(&c->ctx);
    sspix_writer_init_heap(&c->out, out_max(&cred->limits));
    switch (cred->limits.proto) {
    case SSPIX_SVC_PROTO_GSS: c->proto = &sspix_proto_gss; break;
    case SSPIX_SVC_PROTO_MS:
    default: c->proto = &sspix_proto_ms; break;
    }
    c->proto->init(c);
}

/* No more SSPI work: drop the context and the protocol's input buffers. */
static void retire(sspix_conn *c)
{
    c->phase = SSPIX_CONN_DONE;
    if (c->have_ctx) {
        c->cred->sspi->DeleteSecurityContext(&c->ctx);
        c->have_ctx = false;
    }
    c->proto->release(c);
}

void sspix_conn_free(sspix_conn *c)
{
    if (c->cred == NULL)
        return;
    retire(c);
    sspix_writer_free(&c->out);
    free(c->client);
    free(c->package);
    free(c->detail);
    c->client = c->package = c->detail = NULL;
    sspix_svc_cred_unref(c->cred);
    c->cred = NULL;
}

int sspix_conn_fail(sspix_conn *c, const char *reason, const char *detail)
{
    if (c->phase == SSPIX_CONN_DONE)
        return SSPIX_CONN_CLOSE;
    c->reason = reason;
    if (detail != NULL && *detail != '\0' && c->detail == NULL)
        c->detail = strdup(detail);
    retire(c);
    return SSPIX_CONN_CLOSE;
}

/* An SSPI call failed: its status and the library's message become the
 * connection's outcome. Returns SSPIX_ERR_AUTH. */
static int sspi_failed(sspix_conn *c, SECURITY_STATUS st)
{
    c->status = st;
    sspix_conn_fail(c, NULL, sspix_last_error());
    return SSPIX_ERR_AUTH;
}

/* True when this process cannot open a few more descriptors right now. */
static bool short_of_descriptors(void)
{
    int fds[4], n = 0;
    bool short_of = false;
    for (; n < 4; n++) {
        fds[n] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fds[n] < 0) {
            short_of = errno == EMFILE || errno == ENFILE;
            break;
        }
    }
    while (n-- > 0)
        close(fds[n]);
    return short_of;
}

/* A handshake failed while the process was out of descriptors: the library's
 * message (often "key not available" for a keytab it could not open) hides
 * the cause, so name it. */
static int accept_failed(sspix_conn *c, SECURITY_STATUS st, int err)
{
    if (err != EMFILE && err != ENFILE && !short_of_descriptors())
        return sspi_failed(c, st);
    char why[768];
    snprintf(why, sizeof(why),
             "%s (the process is out of file descriptors, so the keytab, replay cache or krb5.conf could "
             "not be opened: raise RLIMIT_NOFILE (ulimit -n, LimitNOFILE=) or lower --max-connections)",
             sspix_last_error());
    c->status = st;
    sspix_conn_fail(c, "no_descriptors", why);
    return SSPIX_ERR_AUTH;
}

int sspix_conn_finish(sspix_conn *c)
{
    retire(c);
    return SSPIX_CONN_CLOSE;
}

static const char *frame_error(int r, bool handshake)
{
    switch (r) {
    case SSPIX_ERR_TOO_LONG: return "too_long";
    case SSPIX_ERR_INVALID: return handshake ? "empty_token" : "invalid";
    case SSPIX_ERR_NOMEM: return "nomem";
    default: return "invalid";
    }
}

int sspix_conn_pump_frames(sspix_conn *c, const uint8_t *in, size_t n, int (*on_frame)(sspix_conn *c))
{
    while (n > 0 && c->phase != SSPIX_CONN_DONE) {
        size_t used = 0;
        int r = sspix_framedec_feed(&c->dec, in, n, &used);
        in += used;
        n -= used;
        if (r < 0)
            return sspix_conn_fail(c, frame_error(r, c->phase == SSPIX_CONN_HANDSHAKE),
                                   r == SSPIX_ERR_TOO_LONG ? "length prefix over the limit" : NULL);
        if (r == SSPIX_FRAME_READY && on_frame(c) == SSPIX_CONN_CLOSE)
            return SSPIX_CONN_CLOSE;
    }
    return c->phase == SSPIX_CONN_DONE ? SSPIX_CONN_CLOSE : SSPIX_CONN_OPEN;
}

int sspix_conn_framed_eof(sspix_conn *c)
{
    bool partial = sspix_framedec_buffered(&c->dec) > 0;
    if (c->phase == SSPIX_CONN_HANDSHAKE)
        return sspix_conn_fail(c, partial ? "truncated" : "eof", NULL);
    if (partial)
        return sspix_conn_fail(c, "truncated", NULL);
    return sspix_conn_finish(c);
}

int sspix_conn_feed(sspix_conn *c, const uint8_t *in, size_t n)
{
    if (c->phase == SSPIX_CONN_DONE)
        return SSPIX_CONN_CLOSE;
    c->bytes_in += n;
    return c->proto->feed(c, in, n);
}

int sspix_conn_eof(sspix_conn *c)
{
    if (c->phase == SSPIX_CONN_DONE)
        return SSPIX_CONN_CLOSE;
    return c->proto->eof(c);
}

void sspix_conn_abort(sspix_conn *c, const char *reason)
{
    size_t pending;
    sspix_conn_pending(c, &pending);
    if (c->reason == NULL && (c->phase != SSPIX_CONN_DONE || pending > 0))
        c->reason = reason;
    retire(c);
    sspix_writer_free(&c->out);
    c->out_sent = 0;
}

const uint8_t *sspix_conn_pending(const sspix_conn *c, size_t *len)
{
    size_t have = sspix_writer_len(&c->out);
    *len = have - c->out_sent;
    return *len ? sspix_writer_data(&c->out) + c->out_sent : NULL;
}

void sspix_conn_sent(sspix_conn *c, size_t n)
{
    size_t have = sspix_writer_len(&c->out);
    c->out_sent += n < have - c->out_sent ? n : have - c->out_sent;
    c->bytes_out += n;
    if (c->out_sent == have) {
        sspix_writer_free(&c->out); /* idle connections hold no output buffer */
        c->out_sent = 0;
    }
}

bool sspix_conn_in_handshake(const sspix_conn *c)
{
    return c->phase == SSPIX_CONN_HANDSHAKE;
}

bool sspix_conn_closing(const sspix_conn *c)
{
    return c->phase == SSPIX_CONN_DONE;
}

size_t sspix_conn_buffered(const sspix_conn *c)
{
    return sspix_framedec_allocated(&c->dec) + c->out.cap;
}

/* ---- SSPI ------------------------------------------------------------------ */

/* Names and sizes of a completed context, for the log and the greeting. */
static int describe(sspix_conn *c)
{
    PSecurityFunctionTableA t = c->cred->sspi;
    SecPkgContext_NamesA names;
    SecPkgContext_PackageInfoA pkg;
    SecPkgContext_Sizes sizes;
    SECURITY_STATUS st;

    /* NAMES, not NATIVE_NAMES: the client's name alone (each name costs the
     * Kerberos library three krb5_contexts to convert, display and release). */
    if ((st = t->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_NAMES, &names)) != SEC_E_OK)
        goto fail;
    c->client = strdup(names.sUserName ? names.sUserName : "");
    t->FreeContextBuffer(names.sUserName);
    if ((st = t->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_PACKAGE_INFO, &pkg)) != SEC_E_OK)
        goto fail;
    c->package = strdup(pkg.PackageInfo->Name);
    t->FreeContextBuffer(pkg.PackageInfo);
    if ((st = t->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_SIZES, &sizes)) != SEC_E_OK)
        goto fail;
    if (c->client == NULL || c->package == NULL)
        return sspix_conn_fail(c, "nomem", NULL), SSPIX_ERR_NOMEM;
    c->trailer_max = sizes.cbSecurityTrailer;
    if (c->trailer_max > SSPIX_SVC_MAX_TRAILER)
        return sspix_conn_fail(c, "trailer_too_long", "the package's cbSecurityTrailer exceeds 1024 bytes"),
               SSPIX_ERR_TOO_LONG;
    return 0;
fail:
    return sspi_failed(c, st);
}

/*
 * What the session relies on, from the ASC_RET flags the context really has
 * (ASC_REQ flags are requests: a client may leave any of them out).
 *
 * Where the server processes client messages (echo mode, the gss-sample
 * protocol), a replayed message must be refused: that takes replay or
 * sequence detection, either of which makes DecryptMessage fail on a
 * duplicate. NTLM reports neither, but a connection-oriented NTLM context
 * with signing numbers every message and verifies the number, so there
 * integrity stands for sequence detection. The Microsoft framing encrypts
 * (confidentiality); the gss-sample protocol signs (integrity).
 */
static int check_strength(sspix_conn *c)
{
    const struct sspix_svc_limits *l = &c->cred->limits;
    bool gss = l->proto == SSPIX_SVC_PROTO_GSS;
    bool reads_messages = gss || l->mode == SSPIX_SVC_ECHO;
    bool ntlm = c->package != NULL && strcmp(c->package, "NTLM") == 0;
    ULONG a = c->attrs;
    const char *missing = NULL;
    if (reads_messages && !(a & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)) &&
        !(ntlm && (a & ASC_RET_INTEGRITY)))
        missing = "neither replay nor sequence detection (a replayed message would be processed again)";
    else if (!gss && !(a & ASC_RET_CONFIDENTIALITY))
        missing = "no confidentiality (messages could not be encrypted)";
    else if (gss && !(a & ASC_RET_INTEGRITY))
        missing = "no integrity protection (messages could not be signed)";
    if (missing == NULL)
        return 0;
    char why[256];
    snprintf(why, sizeof(why),
             "the client's context has %s (ASC_RET flags 0x%lx); it must request them, or start the server with "
             "--allow-weak-context",
             missing, (unsigned long)a);
    sspix_conn_fail(c, "weak_context", why);
    return SSPIX_ERR_AUTH;
}

int sspix_conn_accept(sspix_conn *c, const uint8_t *token, size_t len, void **out, size_t *out_len, bool *done)
{
    PSecurityFunctionTableA t = c->cred->sspi;
    TimeStamp expiry;
    SECURITY_STATUS st;

    *out = NULL;
    *out_len = 0;
    *done = false;
    /* The Microsoft sample loops for as long as the package says CONTINUE; a peer that
     * keeps a handshake going forever is cut off here. */
    if (c->legs >= c->cred->limits.max_legs) {
        sspix_conn_fail(c, "max_legs", NULL);
        return SSPIX_ERR_TOO_LONG;
    }
    c->legs++;

    SecBuffer ib = {(ULONG)len, SECBUFFER_TOKEN, (void *)token};
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc in = {SECBUFFER_VERSION, 1, &ib}, outd = {SECBUFFER_VERSION, 1, &ob};
    errno = 0;
    st = t->AcceptSecurityContext(sspix_svc_cred_handle(c->cred, c->slot), c->have_ctx ? &c->ctx : NULL, &in,
                                  CONN_ASC_REQ, SECURITY_NATIVE_DREP, &c->ctx, &outd, &c->attrs, &expiry);
    int err = errno;
    c->status = st;
    if (!SEC_SUCCESS(st)) {
        if (ob.pvBuffer != NULL)
            t->FreeContextBuffer(ob.pvBuffer);
        return accept_failed(c, st, err);
    }
    c->have_ctx = true;

    /* Never with Kerberos or Negotiate, but the Microsoft sample handles it, and so do we. */
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS cst = t->CompleteAuthToken(&c->ctx, &outd);
        if (!SEC_SUCCESS(cst)) {
            if (ob.pvBuffer != NULL)
                t->FreeContextBuffer(ob.pvBuffer);
            return sspi_failed(c, cst);
        }
    }
    *done = !(st == SEC_I_CONTINUE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE);
    if (ob.cbBuffer > 0)
        c->legs++;
    *out = ob.pvBuffer;
    *out_len = ob.cbBuffer;
    if (!*done)
        return 0;

    c->status = SEC_E_OK;
    /* A bitwise test: the Microsoft sample's `ContextAttributes && ASC_RET_MUTUAL_AUTH`
     * is true for any nonzero attribute set. */
    c->mutual = (c->attrs & ASC_RET_MUTUAL_AUTH) != 0;
    int r = describe(c);
    if (r == 0 && !c->mutual && !c->cred->limits.allow_no_mutual) {
        if (c->package != NULL && strcmp(c->package, "NTLM") == 0)
            sspix_conn_fail(c, "no_mutual", "NTLM cannot authenticate the server; use --allow-no-mutual to accept it");
        else
            sspix_conn_fail(c, "no_mutual", "the context was established without mutual authentication");
        r = SSPIX_ERR_AUTH;
    }
    if (r == 0 && !c->cred->limits.allow_weak_context)
        r = check_strength(c);
    if (r < 0) {
        if (*out_len > 0)
            c->legs--; /* the last token is dropped, not sent: legs counts what crossed the wire */
        sspix_conn_free_token(c, *out);
        *out = NULL;
        *out_len = 0;
        return r;
    }
    c->phase = SSPIX_CONN_SESSION;
    return 0;
}

void sspix_conn_free_token(sspix_conn *c, void *token)
{
    if (token != NULL)
        c->cred->sspi->FreeContextBuffer(token);
}

size_t sspix_conn_greeting(const sspix_conn *c, char *buf, size_t cap)
{
    SecPkgContext_NativeNamesA names = {0};
    PSecurityFunctionTableA t = c->cred->sspi;
    const char *server = c->cred->principal;
    if (t->QueryContextAttributesA((PCtxtHandle)&c->ctx, SECPKG_ATTR_NATIVE_NAMES, &names) == SEC_E_OK &&
        names.sServerName != NULL)
        server = names.sServerName;
    int n = snprintf(buf, cap, "Hello %s \xe2\x80\x94 you are talking to %s over %s", c->client ? c->client : "?",
                     server, c->package ? c->package : c->cred->package);
    if (names.sClientName)
        t->FreeContextBuffer(names.sClientName);
    if (names.sServerName)
        t->FreeContextBuffer(names.sServerName);
    if (n < 0)
        return 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

int sspix_conn_encrypt(sspix_conn *c, uint8_t *trailer, size_t trailer_cap, size_t *trailer_len, uint8_t *data,
                       size_t len)
{
    /* Windows reports a larger cbSecurityTrailer than it emits: *trailer_len is what came back. */
    SECURITY_STATUS st =
        sspix_protect_seal(c->cred->sspi, &c->ctx, 0, c->messages, trailer, trailer_cap, trailer_len, data, len);
    return st != SEC_E_OK ? sspi_failed(c, st) : 0;
}

int sspix_conn_decrypt(sspix_conn *c, uint8_t *trailer, size_t trailer_len, uint8_t *data, size_t len, uint8_t **plain,
                       size_t *plain_len)
{
    ULONG qop = 0;
    SECURITY_STATUS st = sspix_protect_unseal(c->cred->sspi, &c->ctx, c->messages, trailer, trailer_len, data, len,
                                              plain, plain_len, &qop);
    if (st != SEC_E_OK) {
        return sspi_failed(c, st);
    }
    if (qop != 0) { /* integrity only: the echo is a confidential service */
        c->status = SEC_E_QOP_NOT_SUPPORTED;
        sspix_conn_fail(c, "not_encrypted", "the client sent a message with integrity protection only");
        return SSPIX_ERR_AUTH;
    }
    return 0;
}

int sspix_conn_unwrap(sspix_conn *c, uint8_t *tok, size_t len, uint8_t **plain, size_t *plain_len, bool *encrypted)
{
    ULONG qop = 0;
    SECURITY_STATUS st =
        sspix_protect_unseal_stream(c->cred->sspi, &c->ctx, c->messages, tok, len, plain, plain_len, &qop);
    if (st != SEC_E_OK) {
        return sspi_failed(c, st);
    }
    *encrypted = (qop & SECQOP_WRAP_NO_ENCRYPT) == 0;
    return 0;
}

int sspix_conn_sign(sspix_conn *c, const uint8_t *data, size_t len, uint8_t *mic, size_t cap, size_t *mic_len)
{
    SECURITY_STATUS st = sspix_protect_sign(c->cred->sspi, &c->ctx, c->messages, data, len, mic, cap, mic_len);
    return st != SEC_E_OK ? sspi_failed(c, st) : 0;
}

/* ---- the log line ---------------------------------------------------------- */

struct line {
    char *p;
    size_t cap, len;
};

static void put(struct line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n && l->len + 1 < l->cap; i++)
        l->p[l->len++] = s[i];
    l->p[l->len] = '\0';
}

static void putf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct line *l, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0)
        put(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* A value from the peer or a library: anything but printable ASCII (and the
 * quote and backslash inside quotes) becomes \xNN, so a log line cannot be
 * split or forged by a crafted principal name. */
static void put_value(struct line *l, const char *v, bool quoted)
{
    if (v == NULL || *v == '\0') {
        put(l, quoted ? "\"\"" : "-", quoted ? 2 : 1);
        return;
    }
    if (quoted)
        put(l, "\"", 1);
    for (const unsigned char *s = (const unsigned char *)v; *s; s++) {
        bool plain = *s > 0x20 && *s < 0x7f && *s != '"' && *s != '\\' && (quoted || *s != '=');
        if (plain || (quoted && *s == ' '))
            put(l, (const char *)s, 1);
        else
            putf(l, "\\x%02x", *s);
    }
    if (quoted)
        put(l, "\"", 1);
}

size_t sspix_conn_log_line(const sspix_conn *c, const char *peer, double ms, char *buf, size_t cap)
{
    struct line l = {buf, cap, 0};
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    put(&l, "peer=", 5);
    put_value(&l, peer, false);
    put(&l, " client=", 8);
    put_value(&l, c->client, false);
    put(&l, " package=", 9);
    put_value(&l, c->package ? c->package : c->cred->package, false);
    putf(&l, " mutual=%s legs=%u outcome=", c->mutual ? "yes" : "no", (unsigned)c->legs);
    const char *outcome = c->reason ? c->reason : sspix_status_name(c->status);
    put_value(&l, outcome, false);
    bool gss = c->cred->limits.proto == SSPIX_SVC_PROTO_GSS;
    putf(&l, " ms=%.1f mode=%s", ms, gss ? "gss-sample" : c->cred->limits.mode == SSPIX_SVC_ECHO ? "echo" : "greet");
    if (gss || c->cred->limits.mode == SSPIX_SVC_ECHO)
        putf(&l, " messages=%u", (unsigned)c->messages);
    if (c->reason != NULL && c->status != SEC_E_OK) {
        put(&l, " status=", 8);
        put_value(&l, sspix_status_name(c->status), false);
    }
    if (c->detail != NULL) {
        put(&l, " reason=", 8);
        put_value(&l, c->detail, true);
    }
    return l.len;
}
