/* SPDX-License-Identifier: MIT */
/*
 * fuzz_msframe.c - libFuzzer target for the Microsoft sample framing
 * (u32 LE length + token).
 *
 * Targets: sspix_framedec_feed/frame/take/next/reset and sspix_frame_encode
 * with the MS header (src/wire/frame.c, src/common/buf.c), the code behind
 * sspix_msframe_decoder_init / sspix_msframe_encode. The input is a raw
 * stream, decoded both as handshake traffic (empty frames rejected) and as
 * echo traffic (empty frames allowed); see fuzz_frame_driver.c for the checks.
 */
#include <stddef.h>
#include <stdint.h>

#include "wire/frame.h"

int sspix_fuzz_frame_run(enum sspix_frame_kind kind, unsigned opts, const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sspix_fuzz_frame_run(SSPIX_FRAME_MS, 0, data, size);
    sspix_fuzz_frame_run(SSPIX_FRAME_MS, SSPIX_FRAMEDEC_ALLOW_EMPTY, data, size);
    return 0;
}
