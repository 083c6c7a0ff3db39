/* SPDX-License-Identifier: MIT */
/*
 * fake_sspi.c - the deterministic SSPI function table of fake_sspi.h.
 *
 * Handles carry a pointer to a heap object in dwLower and a magic number in
 * dwUpper; a handle whose magic is wrong is SEC_E_INVALID_HANDLE, never a
 * dereference. Buffers handed out carry a header naming their instance, so
 * FreeContextBuffer can count them back (and abort on a foreign pointer).
 */
#include "common/fake_sspi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CRED_MAGIC 0x46414b4543524544ull /* "FAKECRED" */
#define CTX_MAGIC  0x46414b45435458ull   /* "FAKECTX" */
#define BUF_MAGIC  0x46414b4542554655ull /* "FAKEBUFU" */

#define DEFAULT_KEY     0x5eed5eed0badf00dull
#define DEFAULT_TRAILER 24u

#define FLAG_ENCRYPTED 0x01u
#define FLAG_MIC       0x02u

enum { DIR_C2S = 0, DIR_S2C = 1 };

struct fake_cred {
    fake_sspi *f;
    ULONG usage; /* SECPKG_CRED_INBOUND / OUTBOUND */
};

struct fake_ctx {
    fake_sspi *f;
    bool server;
    unsigned legs;      /* tokens this side received (server) or sent (client) */
    bool complete;      /* the handshake is over */
    bool need_complete; /* CompleteAuthToken has not run yet */
    uint32_t send_seq, recv_seq;
};

struct buf_header {
    uint64_t magic;
    fake_sspi *f;
};
#define BUF_HEADER_SIZE ((sizeof(struct buf_header) + 15u) & ~(size_t)15u)

/* ---- bookkeeping ---------------------------------------------------------- */

void fake_sspi_config_default(struct fake_sspi_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->legs = 2;
    cfg->attrs = ASC_RET_MUTUAL_AUTH | ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT | ASC_RET_CONFIDENTIALITY |
                 ASC_RET_INTEGRITY;
    cfg->replay_detect = -1;
}

fake_sspi *fake_sspi_new(const struct fake_sspi_config *cfg)
{
    fake_sspi *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->cfg = *cfg;
    if (f->cfg.legs == 0)
        f->cfg.legs = 1;
    if (f->cfg.legs > FAKE_SSPI_MAX_LEGS)
        f->cfg.legs = FAKE_SSPI_MAX_LEGS;
    if (f->cfg.trailer == 0)
        f->cfg.trailer = DEFAULT_TRAILER;
    if (f->cfg.key == 0)
        f->cfg.key = DEFAULT_KEY;
    if (f->cfg.package == NULL)
        f->cfg.package = "Kerberos";
    if (f->cfg.client == NULL)
        f->cfg.client = "alice@FAKE.TEST";
    if (f->cfg.server == NULL)
        f->cfg.server = "host/fake.test@FAKE.TEST";
    return f;
}

void fake_sspi_free(fake_sspi *f)
{
    free(f);
}

unsigned fake_sspi_live(const fake_sspi *f)
{
    return f->live_creds + f->live_contexts + f->live_buffers;
}

/* Counts the call; true when the configured failure is this one. */
static bool inject(fake_sspi *f, enum fake_sspi_call call)
{
    unsigned n = ++f->calls[call];
    if (f->cfg.fail.call != call || f->cfg.fail.nth != n)
        return false;
    if (f->cfg.fail.err != 0)
        errno = f->cfg.fail.err;
    return true;
}

static void *fake_alloc(fake_sspi *f, size_t n)
{
    uint8_t *p = malloc(BUF_HEADER_SIZE + (n ? n : 1));
    if (p == NULL)
        return NULL;
    struct buf_header h = {BUF_MAGIC, f};
    memcpy(p, &h, sizeof(h));
    f->live_buffers++;
    return p + BUF_HEADER_SIZE;
}

static void *fake_strdup(fake_sspi *f, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = fake_alloc(f, n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static SECURITY_STATUS SEC_ENTRY fake_free_buffer(void *pv)
{
    if (pv == NULL)
        return SEC_E_OK;
    uint8_t *p = (uint8_t *)pv - BUF_HEADER_SIZE;
    struct buf_header h;
    memcpy(&h, p, sizeof(h));
    if (h.magic != BUF_MAGIC) {
        fprintf(stderr, "fake_sspi: FreeContextBuffer(%p): not a buffer this package handed out\n", pv);
        abort();
    }
    h.magic = 0;
    memcpy(p, &h, sizeof(h));
    h.f->live_buffers--;
    free(p);
    return SEC_E_OK;
}

static struct fake_cred *cred_of(PCredHandle h)
{
    if (h == NULL || h->dwUpper != (ULONG_PTR)CRED_MAGIC || h->dwLower == 0)
        return NULL;
    return (struct fake_cred *)h->dwLower;
}

static struct fake_ctx *ctx_of(PCtxtHandle h)
{
    if (h == NULL || h->dwUpper != (ULONG_PTR)CTX_MAGIC || h->dwLower == 0)
        return NULL;
    return (struct fake_ctx *)h->dwLower;
}

static SecBuffer *find_buffer(PSecBufferDesc d, ULONG type)
{
    if (d == NULL || d->pBuffers == NULL)
        return NULL;
    for (ULONG i = 0; i < d->cBuffers; i++)
        if ((d->pBuffers[i].BufferType & ~SECBUFFER_ATTRMASK) == type)
            return &d->pBuffers[i];
    return NULL;
}

/* ---- tokens of the handshake --------------------------------------------- */

const char *fake_sspi_client_token(const fake_sspi *f, unsigned leg, char *buf, size_t cap)
{
    if (leg < FAKE_SSPI_MAX_LEGS && f->cfg.client_tokens[leg] != NULL)
        return f->cfg.client_tokens[leg];
    snprintf(buf, cap, "FAKE-C%u", leg);
    return buf;
}

const char *fake_sspi_server_token(const fake_sspi *f, unsigned leg, char *buf, size_t cap)
{
    const char *t = leg < FAKE_SSPI_MAX_LEGS ? f->cfg.server_tokens[leg] : NULL;
    if (t != NULL)
        return *t ? t : NULL;
    snprintf(buf, cap, "FAKE-S%u", leg);
    return buf;
}

/* The output token: allocated, or into the caller's buffer. */
static SECURITY_STATUS put_token(fake_sspi *f, PSecBufferDesc out, const char *tok, bool allocate)
{
    SecBuffer *b = find_buffer(out, SECBUFFER_TOKEN);
    size_t n = tok ? strlen(tok) : 0;
    if (b == NULL)
        return n ? SEC_E_INVALID_TOKEN : SEC_E_OK;
    if (n == 0) {
        b->cbBuffer = 0;
        if (allocate)
            b->pvBuffer = NULL;
        return SEC_E_OK;
    }
    if (allocate) {
        b->pvBuffer = fake_alloc(f, n);
        if (b->pvBuffer == NULL)
            return SEC_E_INSUFFICIENT_MEMORY;
    } else if (b->pvBuffer == NULL || b->cbBuffer < n) {
        return SEC_E_BUFFER_TOO_SMALL;
    }
    memcpy(b->pvBuffer, tok, n);
    b->cbBuffer = (ULONG)n;
    return SEC_E_OK;
}

static bool token_is(const SecBuffer *b, const char *want)
{
    size_t n = strlen(want);
    return b != NULL && b->cbBuffer == n && (n == 0 || (b->pvBuffer && memcmp(b->pvBuffer, want, n) == 0));
}

static bool detects_replays(const fake_sspi *f)
{
    if (f->cfg.replay_detect >= 0)
        return f->cfg.replay_detect != 0;
    ULONG a = f->cfg.attrs;
    return (a & (ASC_RET_REPLAY_DETECT | ASC_RET_SEQUENCE_DETECT)) != 0 ||
           (strcmp(f->cfg.package, "NTLM") == 0 && (a & ASC_RET_INTEGRITY) != 0);
}

/* ASC_RET_* as the client sees them (ISC_RET_INTEGRITY has its own value). */
static ULONG client_attrs(ULONG a)
{
    ULONG r = a & (ISC_RET_MUTUAL_AUTH | ISC_RET_REPLAY_DETECT | ISC_RET_SEQUENCE_DETECT | ISC_RET_CONFIDENTIALITY);
    if (a & ASC_RET_INTEGRITY)
        r |= ISC_RET_INTEGRITY;
    return r;
}

static struct fake_ctx *new_ctx(fake_sspi *f, bool server, PCtxtHandle out)
{
    struct fake_ctx *x = calloc(1, sizeof(*x));
    if (x == NULL)
        return NULL;
    x->f = f;
    x->server = server;
    f->live_contexts++;
    out->dwLower = (ULONG_PTR)x;
    out->dwUpper = (ULONG_PTR)CTX_MAGIC;
    return x;
}

static void fixed_expiry(PTimeStamp ts)
{
    if (ts != NULL) {
        ts->LowPart = 0xffffffffu;
        ts->HighPart = 0x7fffffff;
    }
}

/* ---- credentials ----------------------------------------------------------- */

static SECURITY_STATUS SEC_ENTRY fake_acquire(SEC_CHAR *principal, SEC_CHAR *package, ULONG usage, void *logon_id,
                                              void *auth_data, SEC_GET_KEY_FN get_key, void *get_key_arg,
                                              PCredHandle cred, PTimeStamp expiry)
{
    (void)principal, (void)package, (void)logon_id, (void)get_key, (void)get_key_arg;
    if (auth_data == NULL || cred == NULL)
        return SEC_E_INVALID_PARAMETER; /* pAuthData names the instance */
    fake_sspi *f = auth_data;
    struct fake_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    c->f = f;
    c->usage = usage;
    f->live_creds++;
    cred->dwLower = (ULONG_PTR)c;
    cred->dwUpper = (ULONG_PTR)CRED_MAGIC;
    fixed_expiry(expiry);
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_free_cred(PCredHandle cred)
{
    struct fake_cred *c = cred_of(cred);
    if (c == NULL)
        return SEC_E_INVALID_HANDLE;
    c->f->live_creds--;
    free(c);
    SecInvalidateHandle(cred);
    return SEC_E_OK;
}

/* ---- the handshake ---------------------------------------------------------- */

static SECURITY_STATUS SEC_ENTRY fake_delete(PCtxtHandle h);

/* Every handshake call's start: a credential for this direction, the context so far (*x NULL: none yet). */
static SECURITY_STATUS leg_start(PCredHandle cred, ULONG usage, PCtxtHandle in_ctx, PCtxtHandle out_ctx, fake_sspi **f,
                                 struct fake_ctx **x)
{
    struct fake_cred *c = cred_of(cred);
    *x = NULL;
    if (c == NULL || !(c->usage & usage))
        return SEC_E_INVALID_HANDLE;
    *f = c->f;
    if (in_ctx != NULL && (*x = ctx_of(in_ctx)) == NULL)
        return SEC_E_INVALID_HANDLE;
    return out_ctx == NULL ? SEC_E_INVALID_PARAMETER : SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_accept(PCredHandle cred, PCtxtHandle in_ctx, PSecBufferDesc input, ULONG req,
                                             ULONG drep, PCtxtHandle out_ctx, PSecBufferDesc output, ULONG *attrs,
                                             PTimeStamp expiry)
{
    (void)drep;
    fake_sspi *f;
    struct fake_ctx *x;
    SECURITY_STATUS st = leg_start(cred, SECPKG_CRED_INBOUND, in_ctx, out_ctx, &f, &x);
    if (st != SEC_E_OK)
        return st;
    bool allocate = (req & ASC_REQ_ALLOCATE_MEMORY) != 0;
    if (inject(f, FAKE_ACCEPT)) {
        if (f->cfg.fail.with_token)
            put_token(f, output, "FAKE-ERROR", allocate);
        return f->cfg.fail.status;
    }
    if (x != NULL && (!x->server || x->complete))
        return SEC_E_OUT_OF_SEQUENCE;
    SecBuffer *tok = find_buffer(input, SECBUFFER_TOKEN);
    unsigned leg = x ? x->legs : 0;
    char want[32];
    if (tok == NULL || tok->cbBuffer == 0 || tok->pvBuffer == NULL ||
        (f->cfg.strict && !token_is(tok, fake_sspi_client_token(f, leg, want, sizeof(want)))))
        return SEC_E_INVALID_TOKEN; /* no context is made by a failed first leg */
    bool fresh = x == NULL;
    if (fresh && (x = new_ctx(f, true, out_ctx)) == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    if (out_ctx != in_ctx) {
        out_ctx->dwLower = (ULONG_PTR)x;
        out_ctx->dwUpper = (ULONG_PTR)CTX_MAGIC;
    }
    x->legs++;
    char mine[32];
    st = put_token(f, output, fake_sspi_server_token(f, leg, mine, sizeof(mine)), allocate);
    if (st != SEC_E_OK) {
        if (fresh)
            fake_delete(out_ctx);
        return st;
    }
    fixed_expiry(expiry);
    bool last = x->legs >= f->cfg.legs;
    if (attrs != NULL)
        *attrs = (last ? f->cfg.attrs : 0) | (allocate ? ASC_RET_ALLOCATED_MEMORY : 0);
    if (!last)
        return f->cfg.complete_needed ? SEC_I_COMPLETE_AND_CONTINUE : SEC_I_CONTINUE_NEEDED;
    x->complete = true;
    x->need_complete = f->cfg.complete_needed;
    return f->cfg.complete_needed ? SEC_I_COMPLETE_NEEDED : SEC_E_OK;
}

/*
 * The matching client: call i (0-based) takes the server's answer to leg i-1
 * (checked with cfg.strict) and sends client token i; done when no answer is
 * left to wait for.
 */
static SECURITY_STATUS SEC_ENTRY fake_init(PCredHandle cred, PCtxtHandle in_ctx, SEC_CHAR *target, ULONG req,
                                           ULONG reserved1, ULONG drep, PSecBufferDesc input, ULONG reserved2,
                                           PCtxtHandle out_ctx, PSecBufferDesc output, ULONG *attrs, PTimeStamp expiry)
{
    (void)target, (void)reserved1, (void)drep, (void)reserved2;
    fake_sspi *f;
    struct fake_ctx *x;
    SECURITY_STATUS st = leg_start(cred, SECPKG_CRED_OUTBOUND, in_ctx, out_ctx, &f, &x);
    if (st != SEC_E_OK)
        return st;
    if (inject(f, FAKE_INIT))
        return f->cfg.fail.status;
    if (x != NULL && (x->server || x->complete))
        return SEC_E_OUT_OF_SEQUENCE;
    unsigned step = x ? x->legs : 0;
    char buf[32];
    if (step > 0 && f->cfg.strict) {
        const char *want = fake_sspi_server_token(f, step - 1, buf, sizeof(buf));
        if (!token_is(find_buffer(input, SECBUFFER_TOKEN), want ? want : ""))
            return SEC_E_INVALID_TOKEN;
    }
    bool fresh = x == NULL;
    if (fresh && (x = new_ctx(f, false, out_ctx)) == NULL)
        return SEC_E_INSUFFICIENT_MEMORY;
    bool allocate = (req & ISC_REQ_ALLOCATE_MEMORY) != 0;
    const char *send = step < f->cfg.legs ? fake_sspi_client_token(f, step, buf, sizeof(buf)) : NULL;
    st = put_token(f, output, send, allocate);
    if (st != SEC_E_OK) {
        if (fresh)
            fake_delete(out_ctx);
        return st;
    }
    x->legs++;
    fixed_expiry(expiry);
    /* Done once the last client token is out and no answer to it is expected,
     * or once that answer came in. */
    bool last_answer = fake_sspi_server_token(f, f->cfg.legs - 1, buf, sizeof(buf)) != NULL;
    bool done = step >= f->cfg.legs || (step == f->cfg.legs - 1 && !last_answer);
    if (attrs != NULL)
        *attrs = (done ? client_attrs(f->cfg.attrs) : 0) | (allocate ? ISC_RET_ALLOCATED_MEMORY : 0);
    if (!done)
        return SEC_I_CONTINUE_NEEDED;
    x->complete = true;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_complete(PCtxtHandle h, PSecBufferDesc token)
{
    (void)token;
    struct fake_ctx *x = ctx_of(h);
    if (x == NULL)
        return SEC_E_INVALID_HANDLE;
    if (inject(x->f, FAKE_COMPLETE))
        return x->f->cfg.fail.status;
    x->need_complete = false;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_delete(PCtxtHandle h)
{
    struct fake_ctx *x = ctx_of(h);
    if (x == NULL)
        return SEC_E_INVALID_HANDLE;
    fake_sspi *f = x->f;
    f->calls[FAKE_DELETE]++;
    f->live_contexts--;
    free(x);
    SecInvalidateHandle(h);
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_query(PCtxtHandle h, ULONG attr, void *buffer)
{
    struct fake_ctx *x = ctx_of(h);
    if (x == NULL)
        return SEC_E_INVALID_HANDLE;
    fake_sspi *f = x->f;
    if (buffer == NULL)
        return SEC_E_INVALID_PARAMETER;
    if (inject(f, FAKE_QUERY))
        return f->cfg.fail.status;
    switch (attr) {
    case SECPKG_ATTR_SIZES: {
        SecPkgContext_Sizes *s = buffer;
        s->cbMaxToken = 12000;
        s->cbMaxSignature = FAKE_SSPI_HEADER;
        s->cbBlockSize = 1;
        s->cbSecurityTrailer = f->cfg.trailer;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_NAMES: {
        SecPkgContext_NamesA *n = buffer;
        n->sUserName = fake_strdup(f, f->cfg.client);
        return n->sUserName != NULL ? SEC_E_OK : SEC_E_INSUFFICIENT_MEMORY;
    }
    case SECPKG_ATTR_NATIVE_NAMES: {
        SecPkgContext_NativeNamesA *n = buffer;
        n->sClientName = fake_strdup(f, f->cfg.client);
        n->sServerName = fake_strdup(f, f->cfg.server);
        if (n->sClientName == NULL || n->sServerName == NULL) {
            fake_free_buffer(n->sClientName);
            fake_free_buffer(n->sServerName);
            n->sClientName = n->sServerName = NULL;
            return SEC_E_INSUFFICIENT_MEMORY;
        }
        return SEC_E_OK;
    }
    case SECPKG_ATTR_PACKAGE_INFO: {
        SecPkgContext_PackageInfoA *p = buffer;
        size_t n = strlen(f->cfg.package) + 1;
        SecPkgInfoA *i = fake_alloc(f, sizeof(*i) + n);
        if (i == NULL)
            return SEC_E_INSUFFICIENT_MEMORY;
        memset(i, 0, sizeof(*i));
        i->fCapabilities = SECPKG_FLAG_INTEGRITY | SECPKG_FLAG_PRIVACY;
        i->wVersion = 1;
        i->cbMaxToken = 12000;
        i->Name = (SEC_CHAR *)(i + 1);
        memcpy(i->Name, f->cfg.package, n);
        i->Comment = i->Name + n - 1; /* "" */
        p->PackageInfo = i;
        return SEC_E_OK;
    }
    default: return SEC_E_UNSUPPORTED_FUNCTION;
    }
}

/* ---- the toy protection ------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t checksum(uint64_t key, uint8_t dir, uint32_t seq, uint8_t flags, const uint8_t *p, size_t n)
{
    uint8_t head[14];
    for (int i = 0; i < 8; i++)
        head[i] = (uint8_t)(key >> (8 * i));
    head[8] = dir;
    for (int i = 0; i < 4; i++)
        head[9 + i] = (uint8_t)(seq >> (8 * i));
    head[13] = flags;
    return fnv(fnv(0xcbf29ce484222325ull, head, sizeof(head)), p, n);
}

/* XOR with a keystream of (key, dir, seq): its own inverse. */
static void keystream(uint64_t key, uint8_t dir, uint32_t seq, uint8_t *p, size_t n)
{
    uint64_t s = key ^ ((uint64_t)dir << 56) ^ ((uint64_t)seq << 8) ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] ^= (uint8_t)(s >> 24);
    }
}

static void put_header(uint8_t *h, uint8_t flags, uint8_t dir, uint32_t seq, uint64_t sum)
{
    h[0] = 'F', h[1] = 'K', h[2] = flags, h[3] = dir;
    for (int i = 0; i < 4; i++)
        h[4 + i] = (uint8_t)(seq >> (8 * i));
    for (int i = 0; i < 8; i++)
        h[8 + i] = (uint8_t)(sum >> (8 * i));
}

struct header {
    uint8_t flags, dir;
    uint32_t seq;
    uint64_t sum;
};

static SECURITY_STATUS get_header(const uint8_t *h, size_t n, struct header *out)
{
    if (h == NULL || n != FAKE_SSPI_HEADER || h[0] != 'F' || h[1] != 'K' || (h[2] & ~(FLAG_ENCRYPTED | FLAG_MIC)))
        return SEC_E_INVALID_TOKEN;
    out->flags = h[2];
    out->dir = h[3];
    out->seq = 0;
    out->sum = 0;
    for (int i = 3; i >= 0; i--)
        out->seq = out->seq << 8 | h[4 + i];
    for (int i = 7; i >= 0; i--)
        out->sum = out->sum << 8 | h[8 + i];
    return SEC_E_OK;
}

/* A message context: complete, CompleteAuthToken done. */
static struct fake_ctx *ready(PCtxtHandle h, SECURITY_STATUS *st)
{
    struct fake_ctx *x = ctx_of(h);
    *st = x == NULL ? SEC_E_INVALID_HANDLE : (!x->complete || x->need_complete) ? SEC_E_NO_CONTEXT : SEC_E_OK;
    return *st == SEC_E_OK ? x : NULL;
}

static uint8_t send_dir(const struct fake_ctx *x)
{
    return x->server ? DIR_S2C : DIR_C2S;
}

/* Checks a received header's direction, sum and number; moves recv_seq. */
static SECURITY_STATUS receive(struct fake_ctx *x, const struct header *h, const uint8_t *p, size_t n)
{
    uint8_t dir = x->server ? DIR_C2S : DIR_S2C;
    if (h->dir != dir || checksum(x->f->cfg.key, dir, h->seq, h->flags, p, n) != h->sum)
        return SEC_E_MESSAGE_ALTERED;
    if (detects_replays(x->f) && h->seq != x->recv_seq)
        return SEC_E_OUT_OF_SEQUENCE;
    x->recv_seq = h->seq + 1;
    return SEC_E_OK;
}

/* What every message call starts with: a ready context, the call counted
 * (and perhaps failed), its TOKEN (may be NULL) and DATA buffers. */
static SECURITY_STATUS message_call(PCtxtHandle h, enum fake_sspi_call call, PSecBufferDesc msg, struct fake_ctx **x,
                                    SecBuffer **tok, SecBuffer **data)
{
    SECURITY_STATUS st;
    if ((*x = ready(h, &st)) == NULL)
        return st;
    if (inject((*x)->f, call))
        return (*x)->f->cfg.fail.status;
    *tok = find_buffer(msg, SECBUFFER_TOKEN);
    *data = find_buffer(msg, SECBUFFER_DATA);
    if (*data == NULL || ((*data)->cbBuffer > 0 && (*data)->pvBuffer == NULL))
        return SEC_E_INVALID_TOKEN;
    return SEC_E_OK;
}

/* A header for DATA into TOKEN (wrap or MIC), the send number moved on. */
static SECURITY_STATUS seal(struct fake_ctx *x, SecBuffer *tok, SecBuffer *data, uint8_t flags)
{
    if (tok == NULL)
        return SEC_E_INVALID_TOKEN;
    if (tok->pvBuffer == NULL || tok->cbBuffer < FAKE_SSPI_HEADER)
        return SEC_E_BUFFER_TOO_SMALL;
    uint8_t dir = send_dir(x);
    uint32_t seq = x->send_seq++;
    if (flags & FLAG_ENCRYPTED)
        keystream(x->f->cfg.key, dir, seq, data->pvBuffer, data->cbBuffer);
    put_header(tok->pvBuffer, flags, dir, seq,
               checksum(x->f->cfg.key, dir, seq, flags, data->pvBuffer, data->cbBuffer));
    tok->cbBuffer = FAKE_SSPI_HEADER;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_encrypt(PCtxtHandle h, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    (void)seqno; /* connection-oriented: the package numbers messages itself */
    struct fake_ctx *x;
    SecBuffer *tok, *data;
    SECURITY_STATUS st = message_call(h, FAKE_ENCRYPT, msg, &x, &tok, &data);
    if (st != SEC_E_OK)
        return st;
    if (qop != 0 && qop != SECQOP_WRAP_NO_ENCRYPT)
        return SEC_E_QOP_NOT_SUPPORTED;
    if (qop == 0 && !(x->f->cfg.attrs & ASC_RET_CONFIDENTIALITY))
        return SEC_E_QOP_NOT_SUPPORTED;
    return seal(x, tok, data, qop == 0 ? FLAG_ENCRYPTED : 0);
}

static SECURITY_STATUS SEC_ENTRY fake_decrypt(PCtxtHandle h, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    (void)seqno;
    struct fake_ctx *x;
    SecBuffer *tok, *data;
    SECURITY_STATUS st = message_call(h, FAKE_DECRYPT, msg, &x, &tok, &data);
    if (st != SEC_E_OK)
        return st;
    SecBuffer *stream = find_buffer(msg, SECBUFFER_STREAM);
    const uint8_t *head;
    size_t head_len;
    if (stream != NULL) {
        if (stream->pvBuffer == NULL || stream->cbBuffer < FAKE_SSPI_HEADER)
            return SEC_E_INVALID_TOKEN;
        head = stream->pvBuffer;
        head_len = FAKE_SSPI_HEADER;
        data->pvBuffer = (uint8_t *)stream->pvBuffer + FAKE_SSPI_HEADER;
        data->cbBuffer = stream->cbBuffer - FAKE_SSPI_HEADER;
    } else if (tok != NULL) {
        head = tok->pvBuffer;
        head_len = tok->cbBuffer;
    } else {
        return SEC_E_INVALID_TOKEN;
    }
    struct header hd;
    if ((st = get_header(head, head_len, &hd)) != SEC_E_OK)
        return st;
    if (hd.flags & FLAG_MIC)
        return SEC_E_INVALID_TOKEN; /* a MIC is not a wrap token */
    if ((st = receive(x, &hd, data->pvBuffer, data->cbBuffer)) != SEC_E_OK)
        return st;
    if (hd.flags & FLAG_ENCRYPTED)
        keystream(x->f->cfg.key, hd.dir, hd.seq, data->pvBuffer, data->cbBuffer);
    if (qop != NULL)
        *qop = (hd.flags & FLAG_ENCRYPTED) ? 0 : SECQOP_WRAP_NO_ENCRYPT;
    return SEC_E_OK;
}

static SECURITY_STATUS SEC_ENTRY fake_sign(PCtxtHandle h, ULONG qop, PSecBufferDesc msg, ULONG seqno)
{
    (void)seqno;
    struct fake_ctx *x;
    SecBuffer *tok, *data;
    SECURITY_STATUS st = message_call(h, FAKE_SIGN, msg, &x, &tok, &data);
    if (st != SEC_E_OK)
        return st;
    if (qop != 0)
        return SEC_E_QOP_NOT_SUPPORTED;
    return seal(x, tok, data, FLAG_MIC);
}

static SECURITY_STATUS SEC_ENTRY fake_verify(PCtxtHandle h, PSecBufferDesc msg, ULONG seqno, ULONG *qop)
{
    (void)seqno;
    struct fake_ctx *x;
    SecBuffer *tok, *data;
    SECURITY_STATUS st = message_call(h, FAKE_VERIFY, msg, &x, &tok, &data);
    if (st != SEC_E_OK)
        return st;
    struct header hd;
    if (tok == NULL || (st = get_header(tok->pvBuffer, tok->cbBuffer, &hd)) != SEC_E_OK)
        return SEC_E_INVALID_TOKEN;
    if (hd.flags != FLAG_MIC)
        return SEC_E_INVALID_TOKEN;
    if ((st = receive(x, &hd, data->pvBuffer, data->cbBuffer)) != SEC_E_OK)
        return st;
    if (qop != NULL)
        *qop = 0;
    return SEC_E_OK;
}

/* ---- the table ------------------------------------------------------------------ */

static SecurityFunctionTableA fake_table = {
    .dwVersion = SECURITY_SUPPORT_PROVIDER_INTERFACE_VERSION,
    .AcquireCredentialsHandleA = fake_acquire,
    .FreeCredentialsHandle = fake_free_cred,
    .InitializeSecurityContextA = fake_init,
    .AcceptSecurityContext = fake_accept,
    .CompleteAuthToken = fake_complete,
    .DeleteSecurityContext = fake_delete,
    .QueryContextAttributesA = fake_query,
    .MakeSignature = fake_sign,
    .VerifySignature = fake_verify,
    .FreeContextBuffer = fake_free_buffer,
    .EncryptMessage = fake_encrypt,
    .DecryptMessage = fake_decrypt,
};

PSecurityFunctionTableA fake_sspi_table(void)
{
    return &fake_table;
}

sspix_svc_cred *fake_sspi_svc_cred(fake_sspi *f, const struct sspix_svc_limits *limits)
{
    sspix_svc_cred *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->sspi = &fake_table;
    c->limits = *limits;
    snprintf(c->package, sizeof(c->package), "Negotiate");
    snprintf(c->principal, sizeof(c->principal), "any");
    TimeStamp ts;
    if (fake_acquire(NULL, (SEC_CHAR *)"Negotiate", SECPKG_CRED_INBOUND, NULL, f, NULL, NULL, &c->handle, &ts) !=
        SEC_E_OK) {
        free(c);
        return NULL;
    }
    atomic_init(&c->refs, 1);
    return c;
}
