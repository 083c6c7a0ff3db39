/* SPDX-License-Identifier: MIT */
/*
 * client/conv.c - the sspix-client conversation: SSPI handshake, mutual
 * authentication check, greeting and echo, over the project's wire codecs.
 * No I/O here; see conv.h.
 */
#include "client/conv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/protect.h"
#include "wire/gssframe.h"
#include "wire/msframe.h"
#include "wire/protmsg.h"

/* Bytes one queued item can take: a framed handshake token, or a framed
 * protected message (frame length, trailer length, trailer, data). */
static size_t out_max(const struct sspix_client_params *p)
{
    return (size_t)SSPIX_CLIENT_MAX_TOKEN + p->max_message + SSPIX_CLIENT_MESSAGE_SLACK + 2 * SSPIX_GSSFRAME_HDR;
}

/* Set up the decoder for the run's framing (empty frames: gss always, ms only after the handshake). */
static void decoder_init(struct sspix_client_conv *c, uint32_t max, int allow_empty)
{
    if (c->p->gss)
        sspix_gssframe_decoder_init(&c->dec, max);
    else
        sspix_msframe_decoder_init(&c->dec, max, allow_empty);
}

/* Queue one token in the run's framing (flags only for gss). */
static int queue_frame(struct sspix_client_conv *c, uint8_t flags, const void *tok, size_t len)
{
    if (c->p->gss)
        return sspix_gssframe_encode(&c->out, flags, tok, len);
    return sspix_msframe_encode(&c->out, tok, len);
}

void sspix_client_conv_init(struct sspix_client_conv *c, const struct sspix_client_params *p)
{
    memset(c, 0, sizeof(*c));
    c->p = p;
    c->state = SSPIX_CLIENT_HANDSHAKE;
    SecInvalidateHandle(&c->ctx);
    decoder_init(c, SSPIX_CLIENT_MAX_TOKEN, false);
    sspix_writer_init_heap(&c->out, out_max(p));
    sspix_writer_init_heap(&c->greet, (size_t)p->max_message + SSPIX_CLIENT_MESSAGE_SLACK);
}

void sspix_client_conv_free(struct sspix_client_conv *c)
{
    if (c->have_ctx) {
        c->p->sspi->DeleteSecurityContext(&c->ctx);
        c->have_ctx = 0;
        SecInvalidateHandle(&c->ctx);
    }
    sspix_framedec_reset(&c->dec);
    sspix_writer_free(&c->out);
    sspix_writer_free(&c->greet);
    free(c->expect);
    free(c->text);
    c->expect = c->text = NULL;
    c->expect_len = c->text_len = 0;
}

void sspix_client_conv_fail(struct sspix_client_conv *c, enum sspix_client_exit code, const char *reason,
                            const char *fmt, ...)
{
    va_list ap;
    if (c->state == SSPIX_CLIENT_FAILED || c->state == SSPIX_CLIENT_DONE)
        return;
    c->state = SSPIX_CLIENT_FAILED;
    c->exit_code = code;
    snprintf(c->reason, sizeof(c->reason), "%s", reason);
    va_start(ap, fmt);
    vsnprintf(c->message, sizeof(c->message), fmt, ap);
    va_end(ap);
    /* Nothing more goes out once the conversation has failed. */
    sspix_writer_reset(&c->out);
    c->out_sent = 0;
}

/* A failed SSPI call: its status name and the library's explanation. */
static void fail_sspi(struct sspix_client_conv *c, enum sspix_client_exit code, const char *prefix, const char *call,
                      SECURITY_STATUS st)
{
    char reason[sizeof(c->reason)];
    snprintf(reason, sizeof(reason), "%s%s", code == SSPIX_CLIENT_EXIT_NO_MUTUAL ? "no-mutual: " : "",
             sspix_status_name(st));
    sspix_client_conv_fail(c, code, reason, "%s%s failed: %s (0x%08x): %s", prefix, call, sspix_status_name(st),
                           (unsigned)st, sspix_last_error());
}

static const char *const NO_PROOF = "server did not prove its identity: ";

int sspix_client_conv_accepted(const struct sspix_client_conv *c)
{
    return c->accepted;
}

/* The server closed the connection after the context completed on our side
 * without mutual authentication and before anything from it checked out:
 * the server has refused our credentials, as far as we can tell. */
static void closed_unaccepted(struct sspix_client_conv *c, const char *how, const char *instead)
{
    sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_AUTH, "closed before accepting us",
                           "%s %s, before the server showed that it accepted our "
                           "credentials; the context completed without mutual authentication (NTLM never has "
                           "it), so only the server can tell: it most likely refused them (a wrong password or "
                           "an unknown user; see the server's log)",
                           how, instead);
}

int sspix_client_conv_authenticated(const struct sspix_client_conv *c)
{
    return c->state == SSPIX_CLIENT_GREET || c->state == SSPIX_CLIENT_ECHO_IDLE || c->state == SSPIX_CLIENT_ECHO_WAIT ||
           c->state == SSPIX_CLIENT_CLOSING || c->state == SSPIX_CLIENT_DONE;
}

const char *sspix_client_flag_names(ULONG flags, char *buf, size_t size)
{
    static const struct {
        ULONG bit;
        const char *name;
    } names[] = {
        {ISC_RET_DELEGATE, "DELEGATE"},
        {ISC_RET_MUTUAL_AUTH, "MUTUAL_AUTH"},
        {ISC_RET_REPLAY_DETECT, "REPLAY_DETECT"},
        {ISC_RET_SEQUENCE_DETECT, "SEQUENCE_DETECT"},
        {ISC_RET_CONFIDENTIALITY, "CONFIDENTIALITY"},
        {ISC_RET_USE_SESSION_KEY, "USE_SESSION_KEY"},
        {ISC_RET_USED_COLLECTED_CREDS, "USED_COLLECTED_CREDS"},
        {ISC_RET_USED_SUPPLIED_CREDS, "USED_SUPPLIED_CREDS"},
        {ISC_RET_ALLOCATED_MEMORY, "ALLOCATED_MEMORY"},
        {ISC_RET_USED_DCE_STYLE, "USED_DCE_STYLE"},
        {ISC_RET_DATAGRAM, "DATAGRAM"},
        {ISC_RET_CONNECTION, "CONNECTION"},
        {ISC_RET_INTERMEDIATE_RETURN, "INTERMEDIATE_RETURN"},
        {ISC_RET_CALL_LEVEL, "CALL_LEVEL"},
        {ISC_RET_EXTENDED_ERROR, "EXTENDED_ERROR"},
        {ISC_RET_STREAM, "STREAM"},
        {ISC_RET_INTEGRITY, "INTEGRITY"},
        {ISC_RET_IDENTIFY, "IDENTIFY"},
        {ISC_RET_NULL_SESSION, "NULL_SESSION"},
        {ISC_RET_MANUAL_CRED_VALIDATION, "MANUAL_CRED_VALIDATION"},
        {ISC_RET_FRAGMENT_ONLY, "FRAGMENT_ONLY"},
        {ISC_RET_FORWARD_CREDENTIALS, "FORWARD_CREDENTIALS"},
        {ISC_RET_USED_HTTP_STYLE, "USED_HTTP_STYLE"},
        {ISC_RET_NO_ADDITIONAL_TOKEN, "NO_ADDITIONAL_TOKEN"},
        {ISC_RET_REAUTHENTICATION, "REAUTHENTICATION"},
        {ISC_RET_CONFIDENTIALITY_ONLY, "CONFIDENTIALITY_ONLY"},
    };
    size_t used = 0;
    ULONG known = 0;
    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        known |= names[i].bit;
        if ((flags & names[i].bit) && used < size) {
            int n = snprintf(buf + used, size - used, "%s%s", used ? " " : "", names[i].name);
            used += n > 0 ? (size_t)n : 0;
        }
    }
    if ((flags & ~known) && used < size)
        snprintf(buf + used, size - used, "%s0x%08x", used ? " " : "", (unsigned)(flags & ~known));
    return buf;
}

/* ---- handshake ------------------------------------------------------------ */

static void authenticated(struct sspix_client_conv *c)
{
    char names[512];
    if (c->p->require_mutual && !(c->attrs & ISC_RET_MUTUAL_AUTH)) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_NO_MUTUAL, "no-mutual: completed without ISC_RET_MUTUAL_AUTH",
                               "%sthe context completed without ISC_RET_MUTUAL_AUTH (flags 0x%08x: %s); "
                               "--allow-no-mutual accepts that",
                               NO_PROOF, (unsigned)c->attrs, sspix_client_flag_names(c->attrs, names, sizeof(names)));
        return;
    }
    if (c->attrs & ISC_RET_MUTUAL_AUTH)
        c->accepted = 1;
    if (c->p->mode == SSPIX_CLIENT_MODE_GREET && c->p->gss) {
        /* gss-sample has no greeting: authenticated, say goodbye (gss-client -mcount 0). */
        c->state = SSPIX_CLIENT_ECHO_IDLE;
        sspix_client_conv_end(c);
        return;
    }
    if (c->p->mode == SSPIX_CLIENT_MODE_GREET) {
        c->state = SSPIX_CLIENT_GREET;
        return;
    }
    SecPkgContext_Sizes sizes;
    SECURITY_STATUS st = c->p->sspi->QueryContextAttributesA(&c->ctx, SECPKG_ATTR_SIZES, &sizes);
    if (st != SEC_E_OK) {
        fail_sspi(c, SSPIX_CLIENT_EXIT_PROTOCOL, "", "QueryContextAttributes(SECPKG_ATTR_SIZES)", st);
        return;
    }
    if (sizes.cbSecurityTrailer == 0 || sizes.cbSecurityTrailer > SSPIX_CLIENT_MESSAGE_SLACK) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "bad cbSecurityTrailer",
                               "the package reports a security trailer of %u bytes", (unsigned)sizes.cbSecurityTrailer);
        return;
    }
    c->trailer_size = sizes.cbSecurityTrailer;
    /* The decoder sits at a frame boundary here: switch it to echo frames. */
    sspix_framedec_reset(&c->dec);
    decoder_init(c, c->p->max_message + SSPIX_CLIENT_MESSAGE_SLACK, true);
    c->state = SSPIX_CLIENT_ECHO_IDLE;
}

/* One InitializeSecurityContext call: tok is the server's token (NULL on the
 * first call). Queues our output token, if any. */
static void handshake_step(struct sspix_client_conv *c, const uint8_t *tok, size_t len)
{
    PSecurityFunctionTableA t = c->p->sspi;
    SecBuffer ib = {(ULONG)len, SECBUFFER_TOKEN, (void *)tok};
    SecBufferDesc id = {SECBUFFER_VERSION, 1, &ib};
    SecBuffer ob = {0, SECBUFFER_TOKEN, NULL};
    SecBufferDesc od = {SECBUFFER_VERSION, 1, &ob};
    TimeStamp expiry;
    int first = !c->have_ctx;

    if (!first)
        c->legs++; /* the server's token */
    SECURITY_STATUS st = t->InitializeSecurityContextA(c->p->cred, first ? NULL : &c->ctx, (SEC_CHAR *)c->p->spn,
                                                       c->p->isc_req | ISC_REQ_ALLOCATE_MEMORY, 0, SECURITY_NATIVE_DREP,
                                                       first ? NULL : &id, 0, &c->ctx, &od, &c->attrs, &expiry);
    c->status = st;
    if (!SEC_SUCCESS(st)) {
        if (ob.pvBuffer != NULL)
            t->FreeContextBuffer(ob.pvBuffer);
        if (first)
            fail_sspi(c, SSPIX_CLIENT_EXIT_AUTH, "", "InitializeSecurityContext", st);
        else
            fail_sspi(c, SSPIX_CLIENT_EXIT_NO_MUTUAL, NO_PROOF, "InitializeSecurityContext on its reply", st);
        return;
    }
    c->have_ctx = 1;
    if (st == SEC_I_COMPLETE_NEEDED || st == SEC_I_COMPLETE_AND_CONTINUE) {
        SECURITY_STATUS cst = t->CompleteAuthToken(&c->ctx, &od);
        if (cst != SEC_E_OK) {
            if (ob.pvBuffer != NULL)
                t->FreeContextBuffer(ob.pvBuffer);
            fail_sspi(c, SSPIX_CLIENT_EXIT_AUTH, "", "CompleteAuthToken", cst);
            return;
        }
    }
    if (ob.cbBuffer > 0) {
        int r = queue_frame(c, SSPIX_GSSFRAME_CONTEXT, ob.pvBuffer, ob.cbBuffer);
        t->FreeContextBuffer(ob.pvBuffer);
        if (r != 0) {
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_AUTH, "token too large", "cannot queue our %u-byte token: %s",
                                   (unsigned)ob.cbBuffer, sspix_err_str(r));
            return;
        }
        c->legs++;
    } else if (ob.pvBuffer != NULL) {
        t->FreeContextBuffer(ob.pvBuffer);
    }
    if (st == SEC_E_OK || st == SEC_I_COMPLETE_NEEDED)
        authenticated(c);
    else if (ob.cbBuffer == 0 && first)
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_AUTH, "no initial token",
                               "InitializeSecurityContext returned %s without a token to send", sspix_status_name(st));
}

enum sspix_client_state sspix_client_conv_start(struct sspix_client_conv *c)
{
    if (c->state == SSPIX_CLIENT_HANDSHAKE && !c->have_ctx) {
        /* gss-sample: announce an authenticated session before the first token. */
        if (c->p->gss &&
            sspix_gssframe_encode(&c->out, SSPIX_GSSFRAME_NOOP | SSPIX_GSSFRAME_CONTEXT_NEXT, NULL, 0) != 0) {
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_AUTH, "out of memory", "out of memory");
            return c->state;
        }
        handshake_step(c, NULL, 0);
    }
    return c->state;
}

/* ---- output --------------------------------------------------------------- */

void sspix_client_conv_pending(const struct sspix_client_conv *c, const uint8_t **data, size_t *len)
{
    size_t total = sspix_writer_len(&c->out);
    *data = total > c->out_sent ? sspix_writer_data(&c->out) + c->out_sent : NULL;
    *len = total - c->out_sent;
}

void sspix_client_conv_sent(struct sspix_client_conv *c, size_t n)
{
    c->out_sent += n;
    if (c->out_sent >= sspix_writer_len(&c->out)) {
        sspix_writer_reset(&c->out);
        c->out_sent = 0;
    }
}

const char *sspix_client_conv_waiting(const struct sspix_client_conv *c)
{
    switch (c->state) {
    case SSPIX_CLIENT_HANDSHAKE: return "during the handshake";
    case SSPIX_CLIENT_GREET: return "waiting for the greeting";
    case SSPIX_CLIENT_ECHO_WAIT: return "waiting for an echo";
    case SSPIX_CLIENT_CLOSING: return "waiting for the server to close";
    default: return "";
    }
}

int sspix_client_conv_wants_read(const struct sspix_client_conv *c)
{
    return c->state == SSPIX_CLIENT_HANDSHAKE || c->state == SSPIX_CLIENT_GREET || c->state == SSPIX_CLIENT_ECHO_WAIT ||
           c->state == SSPIX_CLIENT_CLOSING;
}

/* ---- message protection ----------------------------------------------------- */

/* Decrypt the protected message msg (owned, len bytes, modified in place) and
 * keep the plaintext in c->text. what names it in errors. Returns 0 or -1. */
static int unprotect(struct sspix_client_conv *c, uint8_t *msg, size_t len, const char *what)
{
    sspix_protmsg pm;
    int r = sspix_protmsg_decode(msg, len, SSPIX_CLIENT_MESSAGE_SLACK, &pm);
    if (r != 0) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "malformed protected message",
                               "the %s (%zu bytes) is not a protected message in the sample's layout: %s", what, len,
                               sspix_err_str(r));
        return -1;
    }
    /* pm points into msg, which we own: DecryptMessage works in place. */
    uint8_t *trailer = msg + (pm.trailer - msg);
    uint8_t *data = msg + (pm.data - msg);
    uint8_t *plain = NULL;
    size_t plain_len = 0;
    ULONG qop = 0;
    SECURITY_STATUS st = sspix_protect_unseal(c->p->sspi, &c->ctx, 0, trailer, pm.trailer_len, data, pm.data_len,
                                              &plain, &plain_len, &qop);
    if (st != SEC_E_OK) {
        char prefix[96];
        snprintf(prefix, sizeof(prefix), "the %s did not decrypt: ", what);
        fail_sspi(c, SSPIX_CLIENT_EXIT_PROTOCOL, prefix, "DecryptMessage", st);
        return -1;
    }
    if (qop & SECQOP_WRAP_NO_ENCRYPT) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "not encrypted",
                               "the %s was integrity-protected only (QOP 0x%08x); confidentiality was asked for", what,
                               (unsigned)qop);
        return -1;
    }
    if (plain_len > c->p->max_message) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "message too large",
                               "the %s holds %u bytes of plaintext, over --max-message %u", what, (unsigned)plain_len,
                               (unsigned)c->p->max_message);
        return -1;
    }
    free(c->text);
    c->text = malloc(plain_len + 1u);
    if (c->text == NULL) {
        c->text_len = 0;
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "out of memory", "out of memory");
        return -1;
    }
    if (plain_len > 0)
        memcpy(c->text, plain, plain_len);
    c->text[plain_len] = '\0';
    c->text_len = plain_len;
    c->accepted = 1; /* only the peer of this context could protect it */
    return 0;
}

/* gss-sample: queue one message with the run's flags (gss_wrap = EncryptMessage
 * TOKEN||DATA, or the plaintext for -nw style runs). buf holds trailer_size
 * bytes of room, then the len bytes of plaintext. Returns 0 or -1 (failed). */
static int gss_queue_message(struct sspix_client_conv *c, uint8_t *buf, size_t len)
{
    uint8_t flags = c->p->gss_flags;
    uint8_t *tok = buf + c->trailer_size;
    size_t tok_len = len;
    if (flags & SSPIX_GSSFRAME_WRAPPED) {
        ULONG qop = (flags & SSPIX_GSSFRAME_ENCRYPTED) ? 0 : SECQOP_WRAP_NO_ENCRYPT;
        /* TOKEN||DATA is one RFC 4121 wrap token (the header says where the
         * rotated trailer is). */
        SECURITY_STATUS st =
            sspix_protect_seal_joined(c->p->sspi, &c->ctx, qop, 0, buf, c->trailer_size, len, &tok_len);
        if (st != SEC_E_OK) {
            fail_sspi(c, SSPIX_CLIENT_EXIT_PROTOCOL, "", "EncryptMessage", st);
            return -1;
        }
        tok = buf;
    }
    int r = sspix_gssframe_encode(&c->out, flags, tok, tok_len);
    if (r != 0) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "cannot frame message",
                               "cannot frame a %zu-byte message: %s", len, sspix_err_str(r));
        return -1;
    }
    return 0;
}

/* gss-sample: the server's answer to the message in c->expect. */
static void gss_reply(struct sspix_client_conv *c, uint8_t flags, uint8_t *body, size_t len)
{
    char what[64];
    snprintf(what, sizeof(what), "reply to message %llu", (unsigned long long)c->messages + 1);
    if (c->p->gss_flags & SSPIX_GSSFRAME_SEND_MIC) {
        if (!(flags & SSPIX_GSSFRAME_MIC) || len == 0) {
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "no MIC",
                                   "the %s is not a MIC token (flags 0x%02x, %zu bytes)", what, flags, len);
            return;
        }
        ULONG qop = 0;
        SECURITY_STATUS st = sspix_protect_verify(c->p->sspi, &c->ctx, 0, c->expect, c->expect_len, body, len, &qop);
        if (st != SEC_E_OK) {
            char prefix[160];
            snprintf(prefix, sizeof(prefix), "the MIC in the %s does not verify: ", what);
            fail_sspi(c, SSPIX_CLIENT_EXIT_PROTOCOL, prefix, "VerifySignature", st);
            return;
        }
        c->accepted = 1;
    } else if (!(flags & SSPIX_GSSFRAME_NOOP)) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "no NOOP", "the %s is not a NOOP token (flags 0x%02x)",
                               what, flags);
        return;
    }
    /* What was sent is what the server signed: keep it as the message's text. */
    free(c->text);
    c->text = c->expect;
    c->text_len = c->expect_len;
    c->expect = NULL;
    c->expect_len = 0;
    c->messages++;
    c->bytes += c->text_len;
    c->state = SSPIX_CLIENT_ECHO_IDLE;
}

enum sspix_client_state sspix_client_conv_send(struct sspix_client_conv *c, const void *msg, size_t len)
{
    if (c->state != SSPIX_CLIENT_ECHO_IDLE)
        return c->state;
    if (len > c->p->max_message) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "message over --max-message",
                               "message %llu is %zu bytes, over the limit of %u bytes (--max-message); not sent",
                               (unsigned long long)c->messages + 1, len, (unsigned)c->p->max_message);
        return c->state;
    }
    uint8_t *buf = malloc(c->trailer_size + len + 1u);
    uint8_t *copy = malloc(len + 1u);
    if (buf == NULL || copy == NULL) {
        free(buf);
        free(copy);
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "out of memory", "out of memory");
        return c->state;
    }
    if (len > 0) {
        memcpy(buf + c->trailer_size, msg, len);
        memcpy(copy, msg, len);
    }
    if (c->p->gss) {
        if (gss_queue_message(c, buf, len) != 0) {
            free(buf);
            free(copy);
            return c->state;
        }
        free(buf);
        free(c->expect);
        c->expect = copy;
        c->expect_len = len;
        c->state = SSPIX_CLIENT_ECHO_WAIT;
        return c->state;
    }
    /* A non-NULL DATA pointer even for 0 bytes: an empty plaintext is legal. */
    size_t trailer_len = 0;
    SECURITY_STATUS st =
        sspix_protect_seal(c->p->sspi, &c->ctx, 0, 0, buf, c->trailer_size, &trailer_len, buf + c->trailer_size, len);
    if (st != SEC_E_OK) {
        free(buf);
        free(copy);
        fail_sspi(c, SSPIX_CLIENT_EXIT_PROTOCOL, "", "EncryptMessage", st);
        return c->state;
    }
    /* Windows' rule: use the TOKEN length EncryptMessage returns, not cbSecurityTrailer. */
    int r = sspix_protmsg_encode_framed(&c->out, buf, trailer_len, buf + c->trailer_size, len);
    free(buf);
    if (r != 0) {
        free(copy);
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "cannot frame message",
                               "cannot frame a %zu-byte message: %s", len, sspix_err_str(r));
        return c->state;
    }
    free(c->expect);
    c->expect = copy;
    c->expect_len = len;
    c->state = SSPIX_CLIENT_ECHO_WAIT;
    return c->state;
}

enum sspix_client_state sspix_client_conv_end(struct sspix_client_conv *c)
{
    if (c->state != SSPIX_CLIENT_ECHO_IDLE)
        return c->state;
    int r = queue_frame(c, SSPIX_GSSFRAME_NOOP, NULL, 0);
    if (r != 0) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "cannot frame end",
                               "cannot queue the end-of-session frame: %s", sspix_err_str(r));
        return c->state;
    }
    c->state = SSPIX_CLIENT_CLOSING;
    return c->state;
}

/* An echo frame arrived (body owned by us now). */
static void echo_frame(struct sspix_client_conv *c, uint8_t *body, size_t len)
{
    char what[64];
    snprintf(what, sizeof(what), "echo of message %llu", (unsigned long long)c->messages + 1);
    if (len == 0) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "end frame instead of echo",
                               "the server sent an end-of-session frame instead of the %s", what);
        return;
    }
    if (unprotect(c, body, len, what) != 0)
        return;
    if (c->text_len != c->expect_len || (c->text_len > 0 && memcmp(c->text, c->expect, c->text_len) != 0)) {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "echo mismatch",
                               "the %s differs from what was sent (%zu bytes sent, %zu received)", what, c->expect_len,
                               c->text_len);
        return;
    }
    c->messages++;
    c->bytes += c->expect_len;
    c->state = SSPIX_CLIENT_ECHO_IDLE;
}

/* ---- input ------------------------------------------------------------------ */

static void frame_error(struct sspix_client_conv *c, int r)
{
    if (c->state == SSPIX_CLIENT_HANDSHAKE) {
        if (r == SSPIX_ERR_TOO_LONG)
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_NO_MUTUAL, "no-mutual: oversized frame",
                                   "%sit sent a frame longer than %u bytes where a handshake token was expected",
                                   NO_PROOF, (unsigned)SSPIX_CLIENT_MAX_TOKEN);
        else
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_NO_MUTUAL, "no-mutual: bad frame",
                                   "%sit sent a malformed frame where a handshake token was expected: %s", NO_PROOF,
                                   sspix_err_str(r));
    } else {
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, r == SSPIX_ERR_TOO_LONG ? "oversized frame" : "bad frame",
                               "the server sent a %s frame (limit %u bytes): %s",
                               r == SSPIX_ERR_TOO_LONG ? "too long" : "malformed",
                               (unsigned)(c->p->max_message + SSPIX_CLIENT_MESSAGE_SLACK), sspix_err_str(r));
    }
}

enum sspix_client_state sspix_client_conv_feed(struct sspix_client_conv *c, const uint8_t *data, size_t n)
{
    while (n > 0) {
        size_t used = 0;
        int r;
        switch (c->state) {
        case SSPIX_CLIENT_HANDSHAKE:
        case SSPIX_CLIENT_ECHO_WAIT:
            r = sspix_framedec_feed(&c->dec, data, n, &used);
            if (r < 0) {
                frame_error(c, r);
                return c->state;
            }
            data += used;
            n -= used;
            if (r == SSPIX_FRAME_READY) {
                if (c->state == SSPIX_CLIENT_HANDSHAKE) {
                    const uint8_t *tok;
                    size_t len;
                    if (sspix_framedec_frame(&c->dec, &tok, &len, NULL) == 0)
                        handshake_step(c, tok, len);
                    sspix_framedec_next(&c->dec);
                } else {
                    uint8_t *body = NULL, flags = 0;
                    size_t len = 0;
                    if (sspix_framedec_take(&c->dec, &body, &len, &flags) == 0) {
                        if (c->p->gss)
                            gss_reply(c, flags, body, len);
                        else
                            echo_frame(c, body, len);
                    }
                    free(body);
                }
            }
            break;
        case SSPIX_CLIENT_GREET:
            r = sspix_writer_put_bytes(&c->greet, data, n);
            if (r != 0) {
                sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "greeting too large",
                                       "the greeting is longer than %zu bytes (--max-message %u + %u): %s",
                                       (size_t)c->p->max_message + SSPIX_CLIENT_MESSAGE_SLACK,
                                       (unsigned)c->p->max_message, (unsigned)SSPIX_CLIENT_MESSAGE_SLACK,
                                       sspix_err_str(r));
                return c->state;
            }
            n = 0;
            break;
        case SSPIX_CLIENT_ECHO_IDLE:
        case SSPIX_CLIENT_CLOSING:
            sspix_client_conv_fail(
                c, SSPIX_CLIENT_EXIT_PROTOCOL, "unexpected data", "the server sent %zu unexpected bytes %s", n,
                c->state == SSPIX_CLIENT_CLOSING ? "after the end of the session" : "while no echo was due");
            return c->state;
        case SSPIX_CLIENT_DONE:
        case SSPIX_CLIENT_FAILED: return c->state;
        }
    }
    return c->state;
}

enum sspix_client_state sspix_client_conv_eof(struct sspix_client_conv *c, int err)
{
    char how[160];
    if (err)
        snprintf(how, sizeof(how), "the connection failed (%s)", strerror(err));
    else
        snprintf(how, sizeof(how), "the server closed the connection");

    switch (c->state) {
    case SSPIX_CLIENT_HANDSHAKE: {
        size_t partial = sspix_framedec_buffered(&c->dec);
        char part[96] = "";
        if (partial > 0)
            snprintf(part, sizeof(part), " in the middle of a frame (%zu bytes of it received)", partial);
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_NO_MUTUAL,
                               err ? "no-mutual: reset during handshake" : "no-mutual: closed during handshake",
                               "%s%s during the handshake%s, after %d leg(s), instead of sending its next token; "
                               "the server rejected our token or cannot use its key for %s (see its log)",
                               NO_PROOF, how, part, c->legs, c->p->spn);
        break;
    }
    case SSPIX_CLIENT_GREET: {
        uint8_t *msg = NULL;
        size_t len = 0;
        if (!c->accepted && (err || sspix_writer_len(&c->greet) == 0)) {
            closed_unaccepted(c, how, "instead of sending a greeting");
            break;
        }
        if (err) {
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "reset before greeting", "%s while reading the greeting",
                                   how);
            break;
        }
        if (sspix_writer_take(&c->greet, &msg, &len) != 0 || len == 0) {
            free(msg);
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "no greeting",
                                   "the server closed the connection after authentication without sending a greeting");
            break;
        }
        if (unprotect(c, msg, len, "greeting") == 0)
            c->state = SSPIX_CLIENT_DONE;
        free(msg);
        break;
    }
    case SSPIX_CLIENT_ECHO_WAIT:
        if (!c->accepted) {
            char instead[64];
            snprintf(instead, sizeof(instead), "instead of echoing message %llu", (unsigned long long)c->messages + 1);
            closed_unaccepted(c, how, instead);
            break;
        }
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, err ? "reset instead of echo" : "closed instead of echo",
                               "%s instead of echoing message %llu (%zu bytes)%s", how,
                               (unsigned long long)c->messages + 1, c->expect_len,
                               c->expect_len > 0 ? "; it may exceed the server's --max-message" : "");
        break;
    case SSPIX_CLIENT_ECHO_IDLE:
        sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_PROTOCOL, "closed early", "%s before the end of the session", how);
        break;
    case SSPIX_CLIENT_CLOSING:
        if (err)
            sspix_client_conv_fail(c, SSPIX_CLIENT_EXIT_CONN, "reset at end", "%s at the end of the session", how);
        else
            c->state = SSPIX_CLIENT_DONE;
        break;
    case SSPIX_CLIENT_DONE:
    case SSPIX_CLIENT_FAILED: break;
    }
    return c->state;
}
