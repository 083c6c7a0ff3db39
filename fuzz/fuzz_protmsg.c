/* SPDX-License-Identifier: MIT */
/*
 * fuzz_protmsg.c - libFuzzer target for the post-authentication protected
 * message (u32 LE trailer length | trailer | data).
 *
 * Targets: sspix_protmsg_decode, sspix_protmsg_encode,
 * sspix_protmsg_encode_framed (src/wire/protmsg.c) and sspix_reader_prefixed
 * (src/common/buf.c). The input is one whole message as a greet-mode client
 * would read it to EOF. Checks: the result matches an independent reading of
 * the length field (SHORT / TOO_LONG / the exact split); a decoded message
 * re-encodes to the input byte for byte; the echo-mode framed encoding reads
 * back through the msframe decoder to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "wire/msframe.h"
#include "wire/protmsg.h"

#define FUZZ_TRAILER_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_framed(const uint8_t *data, size_t size, const sspix_protmsg *m)
{
    sspix_writer w;
    sspix_framedec d;
    const uint8_t *body;
    size_t len, used;

    sspix_writer_init_heap(&w, SIZE_MAX);
    if (sspix_protmsg_encode_framed(&w, m->trailer, m->trailer_len, m->data, m->data_len) != 0)
        abort();
    sspix_msframe_decoder_init(&d, (uint32_t)size, true);
    if (sspix_framedec_feed(&d, sspix_writer_data(&w), sspix_writer_len(&w), &used) != SSPIX_FRAME_READY ||
        used != sspix_writer_len(&w))
        abort();
    if (sspix_framedec_frame(&d, &body, &len, NULL) != 0 || len != size || memcmp(body, data, size) != 0)
        abort();
    sspix_framedec_reset(&d);
    sspix_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sspix_protmsg m;
    uint32_t tlen;
    sspix_writer w;
    int rc = sspix_protmsg_decode(data, size, FUZZ_TRAILER_MAX, &m);

    if (size < 4) {
        if (rc != SSPIX_ERR_SHORT)
            abort();
        return 0;
    }
    tlen = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    if (tlen > FUZZ_TRAILER_MAX) {
        if (rc != SSPIX_ERR_TOO_LONG)
            abort();
        return 0;
    }
    if (tlen > size - 4) {
        if (rc != SSPIX_ERR_SHORT)
            abort();
        return 0;
    }
    if (rc != 0 || m.trailer != data + 4 || m.trailer_len != tlen || m.data != data + 4 + tlen ||
        m.data_len != size - 4 - tlen)
        abort();

    sspix_writer_init_heap(&w, size);
    if (sspix_protmsg_encode(&w, m.trailer, m.trailer_len, m.data, m.data_len) != 0 || sspix_writer_len(&w) != size ||
        memcmp(sspix_writer_data(&w), data, size) != 0)
        abort();
    sspix_writer_free(&w);

    check_framed(data, size, &m);
    return 0;
}
