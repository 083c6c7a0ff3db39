/* SPDX-License-Identifier: MIT */
/*
 * fuzz_gssframe.c - libFuzzer target for the MIT gss-sample framing
 * (u8 flags + u32 BE length + token).
 *
 * Targets: sspix_framedec_feed/frame/take/next/reset and sspix_frame_encode
 * with the GSS header (src/wire/frame.c, src/common/buf.c), as set up by
 * sspix_gssframe_decoder_init (empty tokens allowed). The input is a raw
 * stream; see fuzz_frame_driver.c for the checks.
 */
#include <stddef.h>
#include <stdint.h>

#include "wire/frame.h"

int sspix_fuzz_frame_run(enum sspix_frame_kind kind, unsigned opts, const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sspix_fuzz_frame_run(SSPIX_FRAME_GSS, SSPIX_FRAMEDEC_ALLOW_EMPTY, data, size);
    return 0;
}
