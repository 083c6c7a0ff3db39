/* SPDX-License-Identifier: MIT */
/*
 * proto_gss.c - MIT's gss-sample on the wire (krb5-gss-samples' gss-server
 * and gss-client; DESIGN.md §4), so that MIT's gss-client can use
 * sspix-server as it uses gss-server.
 *
 * Every token is "u8 flags | u32 BE length | token" (wire/gssframe.h).
 *
 *   opener     the client sends NOOP|CONTEXT_NEXT with an empty token. A NOOP
 *              without CONTEXT_NEXT asks for an unauthenticated session
 *              (gss-client -na) and is refused; anything else (gss-client
 *              -v1, another protocol) is refused too.
 *   handshake  CONTEXT tokens both ways until AcceptSecurityContext says done;
 *              an empty output token is not sent (as gss-server does).
 *   messages   DATA [| WRAPPED [| ENCRYPTED]] [| SEND_MIC]: a WRAPPED token is
 *              one gss_wrap token, unwrapped with DecryptMessage(STREAM); a
 *              message flagged ENCRYPTED that arrives with integrity only is
 *              refused (gss-server only warns). The reply is MIC (a
 *              MakeSignature = gss_get_mic token over the plaintext) when
 *              SEND_MIC is set, else an empty NOOP. Unwrapped messages
 *              (gss-client -nw) are signed as they are, like gss-server does:
 *              the MIC only proves to the client that this server saw them.
 *   end        an empty NOOP from the client; the server closes. EOF at a
 *              token boundary after the handshake is a clean end too.
 *
 * The server's greet/echo mode does not apply: this protocol has one session
 * shape. Lengths are bounded before allocation: max_token in the handshake,
 * max_message + SSPIX_SVC_MAX_TRAILER afterwards (the plaintext is then
 * checked against max_message).
 */
#include <stdlib.h>
#include <string.h>

#include "service/conn.h"
#include "wire/gssframe.h"

enum gss_pstate { GSS_OPENER = 0, GSS_CONTEXT = 1 };

static void gss_init(sspix_conn *c)
{
    sspix_gssframe_decoder_init(&c->dec, c->cred->limits.max_token);
    c->pstate = GSS_OPENER;
}

static void gss_release(sspix_conn *c)
{
    sspix_framedec_reset(&c->dec);
}

static int opener(sspix_conn *c, uint8_t flags)
{
    sspix_framedec_next(&c->dec);
    if (!(flags & SSPIX_GSSFRAME_NOOP))
        return sspix_conn_fail(c, "bad_opener",
                               "the first token is not the NOOP|CONTEXT_NEXT opener of the gss-sample protocol "
                               "(a -v1 gss-client, or the wrong --protocol?)");
    if (!(flags & SSPIX_GSSFRAME_CONTEXT_NEXT))
        return sspix_conn_fail(c, "unauthenticated", "the client asked for an unauthenticated session (-na); refused");
    c->pstate = GSS_CONTEXT;
    return SSPIX_CONN_OPEN;
}

static int handshake_token(sspix_conn *c, uint8_t flags)
{
    const uint8_t *tok;
    size_t len, out_len;
    void *out;
    bool done;

    if (!(flags & SSPIX_GSSFRAME_CONTEXT)) {
        sspix_framedec_next(&c->dec);
        return sspix_conn_fail(c, "bad_flags", "a token without the CONTEXT flag arrived during the handshake");
    }
    if (sspix_framedec_frame(&c->dec, &tok, &len, NULL) < 0)
        return sspix_conn_fail(c, "internal", NULL);
    int r = sspix_conn_accept(c, tok, len, &out, &out_len, &done);
    sspix_framedec_next(&c->dec);
    if (r < 0)
        return SSPIX_CONN_CLOSE;
    r = out_len > 0 ? sspix_gssframe_encode(&c->out, SSPIX_GSSFRAME_CONTEXT, out, out_len) : 0;
    sspix_conn_free_token(c, out);
    if (r < 0)
        return sspix_conn_fail(c, "output_full", NULL);
    if (!done)
        return SSPIX_CONN_OPEN;
    sspix_framedec_reset(&c->dec);
    uint64_t max = (uint64_t)c->cred->limits.max_message + SSPIX_SVC_MAX_TRAILER;
    sspix_gssframe_decoder_init(&c->dec, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
    return SSPIX_CONN_OPEN;
}

static int message(sspix_conn *c)
{
    uint8_t *body, *plain;
    uint8_t flags;
    size_t len, plain_len;

    if (sspix_framedec_take(&c->dec, &body, &len, &flags) < 0)
        return sspix_conn_fail(c, "internal", NULL);
    if (flags & SSPIX_GSSFRAME_NOOP) {
        free(body);
        return sspix_conn_finish(c); /* the client's goodbye */
    }
    if (!(flags & SSPIX_GSSFRAME_DATA)) {
        free(body);
        return sspix_conn_fail(c, "bad_flags", "a token after the handshake is neither DATA nor NOOP");
    }
    plain = body;
    plain_len = len;
    if (flags & SSPIX_GSSFRAME_WRAPPED) {
        bool encrypted;
        if (len == 0) {
            free(body);
            return sspix_conn_fail(c, "bad_message", "an empty token is flagged WRAPPED");
        }
        if (sspix_conn_unwrap(c, body, len, &plain, &plain_len, &encrypted) < 0) {
            free(body);
            return SSPIX_CONN_CLOSE;
        }
        if ((flags & SSPIX_GSSFRAME_ENCRYPTED) && !encrypted) {
            free(body);
            c->status = SEC_E_QOP_NOT_SUPPORTED;
            return sspix_conn_fail(c, "not_encrypted", "a message flagged ENCRYPTED was integrity-protected only");
        }
    }
    if (plain_len > c->cred->limits.max_message) {
        free(body);
        return sspix_conn_fail(c, "too_long", "the message exceeds max-message");
    }
    c->messages++;
    int r;
    if (flags & SSPIX_GSSFRAME_SEND_MIC) {
        uint8_t mic[SSPIX_SVC_MAX_TRAILER];
        size_t mic_len;
        if (sspix_conn_sign(c, plain, plain_len, mic, sizeof(mic), &mic_len) < 0) {
            free(body);
            return SSPIX_CONN_CLOSE;
        }
        r = sspix_gssframe_encode(&c->out, SSPIX_GSSFRAME_MIC, mic, mic_len);
    } else {
        r = sspix_gssframe_encode(&c->out, SSPIX_GSSFRAME_NOOP, NULL, 0);
    }
    free(body);
    if (r < 0)
        return sspix_conn_fail(c, "output_full", NULL);
    return SSPIX_CONN_OPEN;
}

/* One complete frame: the opener, a CONTEXT token, or a message after them. */
static int gss_frame(sspix_conn *c)
{
    const uint8_t *tok;
    size_t len;
    uint8_t flags = 0;
    if (sspix_framedec_frame(&c->dec, &tok, &len, &flags) < 0)
        return sspix_conn_fail(c, "internal", NULL);
    if (c->phase == SSPIX_CONN_SESSION)
        return message(c);
    if (c->pstate == GSS_OPENER)
        return opener(c, flags);
    return handshake_token(c, flags);
}

static int gss_feed(sspix_conn *c, const uint8_t *in, size_t n)
{
    return sspix_conn_pump_frames(c, in, n, gss_frame);
}

const struct sspix_proto_ops sspix_proto_gss = {
    .name = "gss-sample",
    .init = gss_init,
    .feed = gss_feed,
    .eof = sspix_conn_framed_eof,
    .release = gss_release,
};
