/* SPDX-License-Identifier: MIT */
#include "wire/gssframe.h"

void sspix_gssframe_decoder_init(sspix_framedec *d, uint32_t max)
{
    sspix_framedec_init(d, SSPIX_FRAME_GSS, max, SSPIX_FRAMEDEC_ALLOW_EMPTY);
}

int sspix_gssframe_encode(sspix_writer *w, uint8_t flags, const void *token, size_t len)
{
    return sspix_frame_encode(w, SSPIX_FRAME_GSS, flags, token, len);
}
