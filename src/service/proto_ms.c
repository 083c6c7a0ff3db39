/* SPDX-License-Identifier: MIT */
/*
 * proto_ms.c - the Microsoft SSPI sockets sample on the wire (DESIGN.md §4).
 *
 * Handshake: every token is "u32 LE length | token", the client speaks first,
 * an empty token is never sent (a zero length is refused), completion is not
 * signalled, failure is a close.
 *
 * greet: after the last handshake token (if any) the server sends one
 *        protected message with no outer length, "u32 LE trailer length |
 *        trailer | ciphertext", and closes.
 * echo:  both directions carry "u32 LE length | protected message"; each
 *        message is decrypted and its plaintext encrypted back. An empty frame
 *        or EOF at a frame boundary ends the session cleanly. A frame longer
 *        than max_message + SSPIX_SVC_MAX_TRAILER is refused before anything
 *        is allocated; a plaintext longer than max_message is refused too.
 */
#include <stdlib.h>
#include <string.h>

#include "service/conn.h"
#include "wire/msframe.h"
#include "wire/protmsg.h"

static void ms_init(sspix_conn *c)
{
    sspix_msframe_decoder_init(&c->dec, c->cred->limits.max_token, false);
}

static void ms_release(sspix_conn *c)
{
    sspix_framedec_reset(&c->dec);
}

/* Send the greeting and finish (greet mode). */
static int greet(sspix_conn *c)
{
    char text[1024];
    uint8_t trailer[SSPIX_SVC_MAX_TRAILER];
    size_t len = sspix_conn_greeting(c, text, sizeof(text)), tlen;
    if (sspix_conn_encrypt(c, trailer, c->trailer_max, &tlen, (uint8_t *)text, len) < 0)
        return SSPIX_CONN_CLOSE;
    if (sspix_protmsg_encode(&c->out, trailer, tlen, text, len) < 0)
        return sspix_conn_fail(c, "output_full", NULL);
    c->messages++;
    return sspix_conn_finish(c);
}

/* One handshake token is ready in the decoder. */
static int handshake_token(sspix_conn *c)
{
    const uint8_t *tok;
    size_t len, out_len;
    void *out;
    bool done;

    if (sspix_framedec_frame(&c->dec, &tok, &len, NULL) < 0)
        return sspix_conn_fail(c, "internal", NULL);
    int r = sspix_conn_accept(c, tok, len, &out, &out_len, &done);
    sspix_framedec_next(&c->dec); /* the token buffer is not needed any more */
    if (r < 0)
        return SSPIX_CONN_CLOSE;
    r = out_len > 0 ? sspix_msframe_encode(&c->out, out, out_len) : 0;
    sspix_conn_free_token(c, out);
    if (r < 0)
        return sspix_conn_fail(c, "output_full", NULL);
    if (!done)
        return SSPIX_CONN_OPEN;

    sspix_framedec_reset(&c->dec);
    if (c->cred->limits.mode == SSPIX_SVC_GREET)
        return greet(c);
    uint64_t max = (uint64_t)c->cred->limits.max_message + SSPIX_SVC_MAX_TRAILER;
    sspix_msframe_decoder_init(&c->dec, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max, true);
    return SSPIX_CONN_OPEN;
}

/* One echo frame is ready in the decoder. */
static int echo_message(sspix_conn *c)
{
    uint8_t *body, *plain;
    size_t len, plain_len, tlen;
    sspix_protmsg m;
    uint8_t trailer[SSPIX_SVC_MAX_TRAILER];

    if (sspix_framedec_take(&c->dec, &body, &len, NULL) < 0)
        return sspix_conn_fail(c, "internal", NULL);
    if (len == 0)
        return sspix_conn_finish(c); /* an empty message ends the session */
    int r = sspix_protmsg_decode(body, len, SSPIX_SVC_MAX_TRAILER, &m);
    if (r < 0) {
        free(body);
        return sspix_conn_fail(c, r == SSPIX_ERR_TOO_LONG ? "too_long" : "bad_message",
                               "the frame does not hold a protected message (u32 LE trailer length, trailer, data)");
    }
    /* decode() hands out const views of our own buffer; decrypt in place. */
    uint8_t *mt = body + (m.trailer - body), *md = body + (m.data - body);
    if (sspix_conn_decrypt(c, mt, m.trailer_len, md, m.data_len, &plain, &plain_len) < 0) {
        free(body);
        return SSPIX_CONN_CLOSE;
    }
    if (plain_len > c->cred->limits.max_message) {
        free(body);
        return sspix_conn_fail(c, "too_long", "the message exceeds max-message");
    }
    c->messages++;
    if (sspix_conn_encrypt(c, trailer, c->trailer_max, &tlen, plain, plain_len) < 0) {
        free(body);
        return SSPIX_CONN_CLOSE;
    }
    r = sspix_protmsg_encode_framed(&c->out, trailer, tlen, plain, plain_len);
    free(body);
    if (r < 0)
        return sspix_conn_fail(c, "output_full", NULL);
    return SSPIX_CONN_OPEN;
}

/* One complete frame: a handshake token, or an echo message after it. */
static int ms_frame(sspix_conn *c)
{
    return c->phase == SSPIX_CONN_HANDSHAKE ? handshake_token(c) : echo_message(c);
}

static int ms_feed(sspix_conn *c, const uint8_t *in, size_t n)
{
    return sspix_conn_pump_frames(c, in, n, ms_frame);
}

const struct sspix_proto_ops sspix_proto_ms = {
    .name = "ms",
    .init = ms_init,
    .feed = ms_feed,
    .eof = sspix_conn_framed_eof,
    .release = ms_release,
};
