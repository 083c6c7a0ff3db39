/* SPDX-License-Identifier: MIT */
#include "wire/protmsg.h"

#include <string.h>

int sspix_protmsg_decode(const void *msg, size_t len, size_t max_trailer, sspix_protmsg *out)
{
    sspix_reader r;
    const uint8_t *trailer, *data;
    size_t trailer_len, data_len;

    sspix_reader_init(&r, msg, len);
    GUARD(sspix_reader_prefixed(&r, SSPIX_PREFIX_U32LE, max_trailer, &trailer, &trailer_len));
    data_len = sspix_reader_left(&r);
    GUARD(sspix_reader_bytes(&r, data_len, &data));
    out->trailer = trailer;
    out->trailer_len = trailer_len;
    out->data = data;
    out->data_len = data_len;
    return 0;
}

/* framed: prepend the msframe length (echo mode). One reservation, so the
 * message is written whole or not at all. */
static int encode(sspix_writer *w, int framed, const void *trailer, size_t trailer_len, const void *data,
                  size_t data_len)
{
    uint8_t hdr[2 * SSPIX_PROTMSG_HDR];
    sspix_writer h;
    size_t body, hlen;
    uint8_t *p;

    ENSURE(trailer_len <= UINT32_MAX && trailer_len <= SIZE_MAX - sizeof hdr, SSPIX_ERR_TOO_LONG);
    ENSURE(data_len <= SIZE_MAX - sizeof hdr - trailer_len, SSPIX_ERR_TOO_LONG);
    body = SSPIX_PROTMSG_HDR + trailer_len + data_len;
    sspix_writer_init_fixed(&h, hdr, sizeof hdr);
    if (framed) {
        ENSURE(body <= UINT32_MAX, SSPIX_ERR_TOO_LONG);
        GUARD(sspix_writer_put_u32le(&h, (uint32_t)body));
    }
    GUARD(sspix_writer_put_u32le(&h, (uint32_t)trailer_len));
    hlen = sspix_writer_len(&h);

    GUARD(sspix_writer_reserve(w, hlen + trailer_len + data_len, &p));
    memcpy(p, hdr, hlen);
    if (trailer_len > 0)
        memcpy(p + hlen, trailer, trailer_len);
    if (data_len > 0)
        memcpy(p + hlen + trailer_len, data, data_len);
    return 0;
}

int sspix_protmsg_encode(sspix_writer *w, const void *trailer, size_t trailer_len, const void *data, size_t data_len)
{
    return encode(w, 0, trailer, trailer_len, data, data_len);
}

int sspix_protmsg_encode_framed(sspix_writer *w, const void *trailer, size_t trailer_len, const void *data,
                                size_t data_len)
{
    return encode(w, 1, trailer, trailer_len, data, data_len);
}
