/* SPDX-License-Identifier: MIT */
/*
 * fuzz_replay.c - libFuzzer target for the in-process replay check's token
 * reader and set (src/packages/replay.c: sspix_replay_find_authenticator,
 * sspix_replay_tag, sspix_replay_record, sspix_replay_check). Deterministic:
 * no KDC, no GSSAPI; the set's clock is the fuzzer's input.
 *
 * Input: a client's first handshake token (an RFC 4121 InitialContextToken,
 * a bare AP-REQ, SPNEGO, NTLM or anything else).
 *
 * Checked beyond "no crash": the reader's answer is one of its three, and the
 * same again on a second call; a ciphertext it returns lies inside the token;
 * a recorded tag is then seen, refused a second time while live and forgotten
 * once its window has passed.
 */
#include <stdint.h>
#include <stdlib.h>

#include "common/guard.h"
#include "packages/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sspix_replay_set *set;
    const uint8_t *cipher = NULL, *again = NULL;
    size_t n = 0, n2 = 0;
    int rc = sspix_replay_find_authenticator(data, size, &cipher, &n);
    if (rc != 0 && rc != SSPIX_REPLAY_NONE && rc != SSPIX_ERR_INVALID)
        abort();
    if (sspix_replay_find_authenticator(data, size, &again, &n2) != rc)
        abort();
    if (rc != 0)
        return 0;
    if (cipher != again || n != n2 || cipher < data || n > size || (size_t)(cipher - data) > size - n)
        abort();

    if (set == NULL && (set = sspix_replay_new(64, 600)) == NULL)
        abort();
    uint8_t tag[SSPIX_REPLAY_TAG_BYTES];
    if (sspix_replay_tag(set, cipher, n, tag) != 0)
        abort();
    /* Each input at its own time, far beyond the last one's window: the set
     * never fills, and what came before has expired. */
    static int64_t now = 1000000;
    now += 10000;
    if (sspix_replay_check(set, tag, now) != 0 || sspix_replay_record(set, tag, now) != 0)
        abort();
    if (sspix_replay_check(set, tag, now + 1) != SSPIX_REPLAY_SEEN ||
        sspix_replay_record(set, tag, now + 1) != SSPIX_REPLAY_SEEN)
        abort();
    if (sspix_replay_check(set, tag, now + 601) != 0)
        abort();
    return 0;
}
