/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ntlm_msg.c - libFuzzer target for the NTLM message checks
 * (src/packages/ntlm_msg.c: sspix_ntlm_msg_check, sspix_ntlm_msg_is_ntlm).
 * Deterministic: no KDC, no GSSAPI.
 *
 * Input: the message itself. The type asked for and the CHALLENGE flags an
 * acceptor would pass are derived from its length, so every input is tried
 * as each kind of leg without a header the mutator would have to learn.
 *
 * Checked beyond "no crash": an accepted message is of the type asked for,
 * carries the signature, reports the flags at the offset MS-NLMP gives, and
 * is accepted again (the check has no state).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packages/ntlm_msg.h"

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t chal_flags[] = {0, 0x40000000u, 0xe2898235u, 0x00000002u};
    char why[160];
    for (uint32_t want = 0; want <= SSPIX_NTLM_AUTHENTICATE; want++) {
        struct sspix_ntlm_info info;
        uint32_t cf = chal_flags[size % 4];
        int rc = sspix_ntlm_msg_check(data, size, want, cf, &info, why, sizeof(why));
        if (strlen(why) >= sizeof(why))
            abort();
        if (rc != 0) {
            if (rc != SSPIX_ERR_INVALID || why[0] == '\0')
                abort(); /* every refusal says why */
            continue;
        }
        if (!sspix_ntlm_msg_is_ntlm(data, size) || (want != 0 && info.type != want))
            abort();
        size_t at = info.type == SSPIX_NTLM_NEGOTIATE ? 12 : info.type == SSPIX_NTLM_CHALLENGE ? 20 : 60;
        if (size < at + 4 || le32(data + at) != info.flags)
            abort();
        if (sspix_ntlm_msg_check(data, size, want, cf, NULL, NULL, 0) != 0)
            abort();
    }
    return 0;
}
