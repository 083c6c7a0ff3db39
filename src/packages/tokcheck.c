/* SPDX-License-Identifier: MIT */
/*
 * tokcheck.c - every handshake token from the peer, checked before
 * gss_init_sec_context / gss_accept_sec_context parse it: NTLM messages
 * (ntlm_msg.c), raw or inside SPNEGO (spnego_tok.c), and SPNEGO's DER.
 * gss-ntlmssp and MIT's SPNEGO are not trusted to refuse malformed input
 * safely. Kerberos AP-REQ/AP-REP are left to MIT's ASN.1 decoder (fuzzed by
 * fuzz_handshake).
 */
#include "packages/gss_core.h"
#include "packages/gss_internal.h"

#include <stdlib.h>
#include <string.h>

#include "packages/ntlm_msg.h"
#include "packages/spnego_tok.h"
#include "sspi/status.h"

/* gss-ntlmssp verifies a mechListMIC as an NTLM signature, reading 16 bytes
 * whatever the length. */
#define NTLM_MIC_LEN 16u

static const char *ntlm_type_name(uint32_t t)
{
    return t == SSPIX_NTLM_NEGOTIATE ? "NEGOTIATE" : t == SSPIX_NTLM_CHALLENGE ? "CHALLENGE" : "AUTHENTICATE";
}

/* One NTLM message from the peer, of the type this leg takes. */
static SECURITY_STATUS check_ntlm_message(struct sspix_gss_ctx *c, int accept, uint32_t want, const uint8_t *p,
                                          size_t n, const char *where)
{
    char why[160];
    struct sspix_ntlm_info info;
    if (sspix_ntlm_msg_check(p, n, want, accept ? c->ntlm_flags : 0, &info, why, sizeof(why)) < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's NTLM %s message%s is malformed (%s): the peer is broken or "
                          "hostile; nothing was passed to gss-ntlmssp",
                          accept ? "client" : "server", ntlm_type_name(want), where, why);
    c->ntlm_seen = 1;
    if (!accept && want == SSPIX_NTLM_CHALLENGE)
        c->ntlm_flags = info.flags;
    return SEC_E_OK;
}

static int is_ntlm_oid(const uint8_t *p, size_t n)
{
    return sspix_spnego_oid_eq(p, n, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
}

/* A Negotiate token: SPNEGO's DER, the NTLM message inside it, and the
 * mechListMIC that gss-ntlmssp will verify. */
static SECURITY_STATUS check_spnego(struct sspix_gss_ctx *c, int accept, int first, uint32_t want, const uint8_t *in,
                                    size_t in_len)
{
    struct sspix_spnego_tok tok;
    char why[160];
    const char *peer = accept ? "client" : "server";

    if (sspix_ntlm_msg_is_ntlm(in, in_len)) /* raw NTLM given to Negotiate */
        return check_ntlm_message(c, accept, want, in, in_len, "");
    if (sspix_spnego_parse(in, in_len, &tok, why, sizeof(why)) < 0)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO token is malformed (%s): the peer is broken or "
                          "hostile; nothing was passed to GSSAPI",
                          peer, why);
    if (accept && first) {
        if (tok.kind == SSPIX_SPNEGO_OTHER)
            return SEC_E_OK; /* another mechanism's own token (raw Kerberos): not SPNEGO's to check */
        if (tok.kind != SSPIX_SPNEGO_INIT)
            return sspix_fail(SEC_E_INVALID_TOKEN, "the client's first SPNEGO token is a NegTokenResp; a "
                                                   "NegTokenInit starts the handshake");
    } else if (tok.kind != SSPIX_SPNEGO_RESP) {
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO token is not a NegTokenResp, which every token "
                          "after the first must be",
                          peer);
    }
    int ntlm = c->ntlm_seen || sspix_mech_is_ntlm(c->mech) || is_ntlm_oid(tok.mech, tok.mech_len);
    /* The inner token goes to NTLM when NTLM is the mechanism, and whenever
     * it looks like NTLM: gss-ntlmssp is not trusted with it either way. */
    if (tok.token != NULL && tok.token_len > 0 && (ntlm || sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len))) {
        /* A NegTokenInit's mechToken is for the first mechanism only. */
        if (tok.kind != SSPIX_SPNEGO_INIT || is_ntlm_oid(tok.mech, tok.mech_len) ||
            sspix_ntlm_msg_is_ntlm(tok.token, tok.token_len)) {
            SEC_GUARD(check_ntlm_message(c, accept, want, tok.token, tok.token_len,
                                         tok.kind == SSPIX_SPNEGO_INIT ? " in the SPNEGO mechToken"
                                                                       : " in the SPNEGO responseToken"));
            ntlm = 1;
        }
    }
    if (tok.kind == SSPIX_SPNEGO_RESP && ntlm && tok.has_mic && tok.mic_len != NTLM_MIC_LEN)
        return sspix_fail(SEC_E_INVALID_TOKEN,
                          "the %s's SPNEGO mechListMIC has %zu bytes; an NTLM signature has "
                          "exactly %u",
                          peer, tok.mic_len, NTLM_MIC_LEN);
    return SEC_E_OK;
}

SECURITY_STATUS sspix_handshake_check_input(struct sspix_gss_ctx *c, int accept, int first, const uint8_t *in,
                                            size_t in_len)
{
    /* Acceptor: NEGOTIATE first, AUTHENTICATE next. Initiator: only ever a
     * CHALLENGE from the server (the first call takes no token). */
    uint32_t want = accept ? (first ? SSPIX_NTLM_NEGOTIATE : SSPIX_NTLM_AUTHENTICATE) : SSPIX_NTLM_CHALLENGE;

    if (c->pkg->id == SSPIX_PKG_KERBEROS || (!accept && first))
        return SEC_E_OK;
    if (in_len == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no input token: pass the %s's reply in a SECBUFFER_TOKEN",
                          accept ? "client" : "server");
    if (c->pkg->id == SSPIX_PKG_NTLM)
        return check_ntlm_message(c, accept, want, in, in_len, "");
    return check_spnego(c, accept, first, want, in, in_len);
}

void sspix_handshake_note_output(struct sspix_gss_ctx *c, const uint8_t *out, size_t out_len)
{
    struct sspix_spnego_tok tok;
    struct sspix_ntlm_info info;
    char why[8];

    /* Our own CHALLENGE, raw or in a NegTokenResp: its flags say what the
     * AUTHENTICATE message must carry. */
    if (!c->server || c->pkg->id == SSPIX_PKG_KERBEROS || out_len == 0)
        return;
    if (!sspix_ntlm_msg_is_ntlm(out, out_len)) {
        if (sspix_spnego_parse(out, out_len, &tok, why, sizeof(why)) < 0 || tok.token == NULL)
            return;
        out = tok.token;
        out_len = tok.token_len;
    }
    if (sspix_ntlm_msg_check(out, out_len, SSPIX_NTLM_CHALLENGE, 0, &info, why, sizeof(why)) == 0) {
        c->ntlm_seen = 1;
        c->ntlm_flags = info.flags;
    }
}
