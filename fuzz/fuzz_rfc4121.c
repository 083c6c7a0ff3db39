/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rfc4121.c - libFuzzer target for the RFC 4121 token parsers of
 * src/packages/rfc4121.c: sspix_rfc4121_unwrap (STREAM, and HEADER | DATA
 * with or without a TRAILER) and sspix_rfc4121_verify_mic, deterministic:
 * the contexts have fixed keys, no KDC, no randomness reaches the checks.
 *
 * Input: byte 0 selects the enctype pair (bits 0-2: aes128/aes256 SHA-1,
 * aes128-SHA256, aes256-SHA384, with or without an acceptor subkey, or a
 * subkey of another enctype), the receiving role (bit 3) and the operation
 * (bits 4-6); byte 1 a split point. The rest is the token, or for operation
 * 6 and 7 a message that the peer wraps (7: gets a MIC for) and then byte 1
 * and 2 of the input modify (offset, xor) before it is unwrapped (verified):
 * tokens that carry a valid checksum but one changed byte, to reach the
 * decryption and the header-copy checks. Whatever the verdict, the state
 * stays consistent: every later call still works (checked with a fresh token).
 *
 *   cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DSSPIX_FUZZ=ON -DSSPIX_SANITIZE=ON
 *   cmake --build build-fuzz --target fuzz_rfc4121 && ctest --test-dir build-fuzz -R 'fuzz\.rfc4121'
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packages/rfc4121.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int32_t pairs[8][2] = {{17, 0}, {18, 0}, {19, 0}, {20, 0}, {17, 17}, {18, 18}, {20, 20}, {20, 19}};

static sspix_rfc4121 *make(int initiator, int32_t ce, int32_t se)
{
    static uint8_t ka[32], kb[32];
    for (size_t i = 0; i < 32; i++)
        ka[i] = (uint8_t)(i * 29 + 1), kb[i] = (uint8_t)(i * 53 + 9);
    size_t cl = ce == 17 || ce == 19 ? 16 : 32, sl = se == 17 || se == 19 ? 16 : 32;
    struct sspix_rfc4121_params p = {
        .initiator = initiator,
        .send_seq = initiator ? 7 : 900,
        .recv_seq = initiator ? 900 : 7,
        .have_acceptor_subkey = se != 0,
        .ctx_key = {ce, ka, cl},
        .acceptor_subkey = {se, kb, sl},
        .gss_flags = GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG,
    };
    sspix_rfc4121 *c = NULL;
    if (sspix_rfc4121_new(&p, &c, NULL) != 0)
        abort();
    return c;
}

#define IOV(t, p, l) ((gss_iov_buffer_desc){(t), {(l), (p)}})

/* A fresh token from sender must still unwrap at receiver. */
static void still_works(sspix_rfc4121 *sender, sspix_rfc4121 *receiver)
{
    uint8_t buf[128], msg[5] = "hello";
    size_t h = sspix_rfc4121_header_len(sender, 1), t = sspix_rfc4121_trailer_len(sender, 1);
    memcpy(buf + h, msg, sizeof(msg));
    gss_iov_buffer_desc w[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, buf, h),
                                IOV(GSS_IOV_BUFFER_TYPE_DATA, buf + h, sizeof(msg)),
                                IOV(GSS_IOV_BUFFER_TYPE_TRAILER, buf + h + sizeof(msg), t)};
    if (sspix_rfc4121_wrap(sender, 1, 0, NULL, w, 3) != GSS_S_COMPLETE)
        abort();
    gss_iov_buffer_desc u[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, buf, h + sizeof(msg) + t),
                                IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
    /* A fuzzed token with a later sequence number may have opened a gap. */
    OM_uint32 m = sspix_rfc4121_unwrap(receiver, NULL, NULL, u, 2);
    if (GSS_ERROR(m) || u[1].buffer.length != sizeof(msg) || memcmp(u[1].buffer.value, msg, sizeof(msg)) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    const int32_t *pair = pairs[data[0] & 7];
    int recv_initiator = (data[0] >> 3) & 1, op = (data[0] >> 4) & 7;
    size_t split = data[1], body_len = size - 3;
    sspix_rfc4121 *rx = make(recv_initiator, pair[0], pair[1]), *tx = make(!recv_initiator, pair[0], pair[1]);
    uint8_t *body = malloc(body_len + 256);
    if (body == NULL)
        abort();
    memcpy(body, data + 3, body_len);
    int conf = 0;
    gss_qop_t qop = 1;

    switch (op) {
    case 0:
    case 1: { /* STREAM, with a SIGN_ONLY buffer for op 1 */
        gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, body, body_len),
                                      IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0),
                                      IOV(GSS_IOV_BUFFER_TYPE_SIGN_ONLY, (void *)data, 2)};
        OM_uint32 m = sspix_rfc4121_unwrap(rx, &conf, &qop, iov, op == 0 ? 2 : 3);
        if (!GSS_ERROR(m) && ((uint8_t *)iov[1].buffer.value < body ||
                              (uint8_t *)iov[1].buffer.value + iov[1].buffer.length > body + body_len))
            abort();
        break;
    }
    case 2:
    case 3: { /* HEADER | DATA, or HEADER | DATA | TRAILER split again */
        size_t h = split < body_len ? split : body_len, rest = body_len - h, t = op == 3 ? rest / 2 : 0;
        gss_iov_buffer_desc iov[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, body, h),
                                      IOV(GSS_IOV_BUFFER_TYPE_DATA, body + h, rest - t),
                                      IOV(GSS_IOV_BUFFER_TYPE_TRAILER, body + h + rest - t, t)};
        (void)sspix_rfc4121_unwrap(rx, &conf, &qop, iov, op == 2 ? 2 : 3);
        break;
    }
    case 4:
    case 5: { /* MIC token of `split` bytes over the rest */
        size_t h = split < body_len ? split : body_len;
        gss_iov_buffer_desc iov[2] = {
            IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, body, h),
            IOV(op == 4 ? GSS_IOV_BUFFER_TYPE_DATA : GSS_IOV_BUFFER_TYPE_SIGN_ONLY, body + h, body_len - h)};
        (void)sspix_rfc4121_verify_mic(rx, &qop, iov, 2);
        break;
    }
    case 6: { /* a valid token with one byte changed */
        int wconf = data[2] & 1;
        size_t h = sspix_rfc4121_header_len(tx, wconf), t = sspix_rfc4121_trailer_len(tx, wconf);
        uint8_t *tok = malloc(h + body_len + t);
        if (tok == NULL)
            abort();
        memcpy(tok + h, body, body_len);
        gss_iov_buffer_desc w[3] = {IOV(GSS_IOV_BUFFER_TYPE_HEADER, tok, h),
                                    IOV(GSS_IOV_BUFFER_TYPE_DATA, tok + h, body_len),
                                    IOV(GSS_IOV_BUFFER_TYPE_TRAILER, tok + h + body_len, t)};
        if (sspix_rfc4121_wrap(tx, wconf, 0, NULL, w, 3) != GSS_S_COMPLETE)
            abort();
        size_t n = h + body_len + t, at = (size_t)split % n;
        tok[at] ^= (uint8_t)(data[2] | 1);
        gss_iov_buffer_desc u[2] = {IOV(GSS_IOV_BUFFER_TYPE_STREAM, tok, n), IOV(GSS_IOV_BUFFER_TYPE_DATA, NULL, 0)};
        OM_uint32 m = sspix_rfc4121_unwrap(rx, &conf, &qop, u, 2);
        /* Only an RRC change that is the same rotation may pass (RRC is unprotected). */
        if (!GSS_ERROR(m) && !(at == 6 || at == 7))
            abort();
        free(tok);
        break;
    }
    default: { /* a valid MIC with one byte changed */
        uint8_t mic[64];
        gss_iov_buffer_desc iov[2] = {IOV(GSS_IOV_BUFFER_TYPE_DATA, body, body_len),
                                      IOV(GSS_IOV_BUFFER_TYPE_MIC_TOKEN, mic, sizeof(mic))};
        if (sspix_rfc4121_get_mic(tx, 0, iov, 2) != GSS_S_COMPLETE)
            abort();
        mic[(size_t)split % iov[1].buffer.length] ^= (uint8_t)(data[2] | 1);
        if (!GSS_ERROR(sspix_rfc4121_verify_mic(rx, &qop, iov, 2)))
            abort();
        break;
    }
    }
    if (qop != 0)
        abort();
    still_works(tx, rx);
    free(body);
    sspix_rfc4121_free(rx);
    sspix_rfc4121_free(tx);
    return 0;
}
