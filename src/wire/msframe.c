/* SPDX-License-Identifier: MIT */
#include "wire/msframe.h"

void sspix_msframe_decoder_init(sspix_framedec *d, uint32_t max, bool allow_empty)
{
    sspix_framedec_init(d, SSPIX_FRAME_MS, max, allow_empty ? SSPIX_FRAMEDEC_ALLOW_EMPTY : 0);
}

int sspix_msframe_encode(sspix_writer *w, const void *token, size_t len)
{
    return sspix_frame_encode(w, SSPIX_FRAME_MS, 0, token, len);
}
