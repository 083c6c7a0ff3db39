/* SPDX-License-Identifier: MIT */
/*
 * fuzz_spnego_tok.c - libFuzzer target for the SPNEGO token reader
 * (src/packages/spnego_tok.c: sspix_spnego_parse), and for the NTLM checks
 * on the inner token it finds, as the Negotiate package chains them.
 * Deterministic: no KDC, no GSSAPI.
 *
 * Checked beyond "no crash": every pointer handed back lies inside the
 * input, a refusal says why, and parsing again gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packages/ntlm_msg.h"
#include "packages/spnego_tok.h"

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
    if (p == NULL) {
        if (n != 0)
            abort();
        return;
    }
    if (p < data || n > size || (size_t)(p - data) > size - n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sspix_spnego_tok tok, again;
    char why[160];
    int rc = sspix_spnego_parse(data, size, &tok, why, sizeof(why));
    if (rc != 0) {
        if (rc != SSPIX_ERR_INVALID || why[0] == '\0')
            abort();
        return 0;
    }
    inside(data, size, tok.mech, tok.mech_len);
    inside(data, size, tok.token, tok.token_len);
    inside(data, size, tok.mic, tok.mic_len);
    if (tok.kind == SSPIX_SPNEGO_INIT && (tok.mech_count == 0 || tok.mech == NULL))
        abort();
    if (sspix_spnego_parse(data, size, &again, NULL, 0) != 0 || memcmp(&tok, &again, sizeof(tok)) != 0)
        abort();
    if (tok.token != NULL && sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len)) {
        for (uint32_t want = SSPIX_NTLM_NEGOTIATE; want <= SSPIX_NTLM_AUTHENTICATE; want++)
            (void)!sspix_ntlm_msg_check(tok.token, tok.token_len, want, 0, NULL, why, sizeof(why));
    }
    return 0;
}
