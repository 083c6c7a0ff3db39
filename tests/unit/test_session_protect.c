/* SPDX-License-Identifier: MIT */
/*
 * test_session_protect.c - src/session/protect.c on the deterministic fake
 * SSPI table (tests/common/fake_sspi.c): each layout round-trips between a
 * client and a server context, the trailer length is the one the package
 * returned, joined tokens close the gap, failures of the SSPI call come back
 * unchanged, and lengths a ULONG cannot hold are refused before any call.
 */
#include <stdint.h>
#include <string.h>

#include "common/check.h"
#include "common/fake_sspi.h"
#include "common/handshake.h"
#include "session/protect.h"

struct peers {
    fake_sspi *f;
    PSecurityFunctionTableA t;
    CredHandle ccred, scred;
    struct hs hs;
};

static void peers_up(struct peers *p, const struct fake_sspi_config *cfg)
{
    TimeStamp ts;
    p->f = fake_sspi_new(cfg);
    CHECK(p->f != NULL);
    p->t = fake_sspi_table();
    CHECK_SEC(
        p->t->AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_OUTBOUND, NULL, p->f, NULL, NULL, &p->ccred, &ts),
        SEC_E_OK);
    CHECK_SEC(
        p->t->AcquireCredentialsHandleA(NULL, "Kerberos", SECPKG_CRED_INBOUND, NULL, p->f, NULL, NULL, &p->scred, &ts),
        SEC_E_OK);
    CHECK_SEC(hs_run(p->t, &p->ccred, &p->scred, "host/fake.test", HS_ISC_REQ, HS_ASC_REQ, &p->hs), SEC_E_OK);
}

static void peers_down(struct peers *p)
{
    hs_free(p->t, &p->hs);
    p->t->FreeCredentialsHandle(&p->ccred);
    p->t->FreeCredentialsHandle(&p->scred);
    CHECK_EQ_INT(fake_sspi_live(p->f), 0);
    fake_sspi_free(p->f);
}

static unsigned calls(const struct peers *p)
{
    unsigned n = 0;
    for (int i = 0; i < FAKE_CALL_COUNT; i++)
        n += p->f->calls[i];
    return n;
}

/* TOKEN + DATA, encrypted: the trailer is the 16 bytes the fake emits, not
 * the 24 it reports, and the plaintext comes back in place. */
static void test_seal_unseal(void)
{
    struct fake_sspi_config cfg;
    struct peers p;
    fake_sspi_config_default(&cfg);
    peers_up(&p, &cfg);

    uint8_t trailer[24], data[] = "hello, session";
    size_t tlen = 99, plain_len = 0;
    uint8_t *plain = NULL;
    ULONG qop = 77;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, trailer, sizeof(trailer), &tlen, data, 14), SEC_E_OK);
    CHECK_EQ_INT(tlen, FAKE_SSPI_HEADER);
    CHECK(memcmp(data, "hello, session", 14) != 0); /* encrypted in place */
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, trailer, tlen, data, 14, &plain, &plain_len, &qop), SEC_E_OK);
    CHECK(plain == data);
    CHECK_EQ_INT(plain_len, 14);
    CHECK(memcmp(plain, "hello, session", 14) == 0);
    CHECK_EQ_INT(qop, 0);

    /* The same message again: the server's window refuses the replay. */
    uint8_t t2[24], d2[5] = "again";
    size_t t2len = 0;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, t2, sizeof(t2), &t2len, d2, 5), SEC_E_OK);
    uint8_t copy_t[24], copy_d[5];
    memcpy(copy_t, t2, sizeof(t2));
    memcpy(copy_d, d2, sizeof(d2));
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, t2, t2len, d2, 5, &plain, &plain_len, &qop), SEC_E_OK);
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, copy_t, t2len, copy_d, 5, &plain, &plain_len, &qop),
              SEC_E_OUT_OF_SEQUENCE);

    /* Integrity only: the data travels as it is and the QOP says so. */
    uint8_t t3[24], d3[4] = "open";
    size_t t3len = 0;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.server, SECQOP_WRAP_NO_ENCRYPT, 0, t3, sizeof(t3), &t3len, d3, 4),
              SEC_E_OK);
    CHECK(memcmp(d3, "open", 4) == 0);
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.client, 0, t3, t3len, d3, 4, &plain, &plain_len, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, SECQOP_WRAP_NO_ENCRYPT);

    /* A changed byte is the package's SEC_E_MESSAGE_ALTERED, unchanged. */
    uint8_t t4[24], d4[3] = "abc";
    size_t t4len = 0;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, t4, sizeof(t4), &t4len, d4, 3), SEC_E_OK);
    d4[1] ^= 1;
    plain = NULL;
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, t4, t4len, d4, 3, &plain, &plain_len, &qop),
              SEC_E_MESSAGE_ALTERED);
    CHECK(plain == NULL); /* outputs untouched on failure */
    peers_down(&p);
}

/* One token: trailer room, then the plaintext; the data is moved down to
 * follow the shorter trailer, and the package finds it again as a STREAM. */
static void test_joined_stream(void)
{
    struct fake_sspi_config cfg;
    struct peers p;
    fake_sspi_config_default(&cfg);
    peers_up(&p, &cfg);

    uint8_t buf[24 + 6], *plain = NULL;
    size_t tok_len = 0, plain_len = 0;
    ULONG qop = 0;
    memset(buf, 0xEE, 24);
    memcpy(buf + 24, "joined", 6);
    CHECK_SEC(sspix_protect_seal_joined(p.t, &p.hs.client, 0, 0, buf, 24, 6, &tok_len), SEC_E_OK);
    CHECK_EQ_INT(tok_len, FAKE_SSPI_HEADER + 6);
    CHECK(buf[0] == 'F' && buf[1] == 'K'); /* the fake's header leads */
    CHECK_SEC(sspix_protect_unseal_stream(p.t, &p.hs.server, 0, buf, tok_len, &plain, &plain_len, &qop), SEC_E_OK);
    CHECK(plain == buf + FAKE_SSPI_HEADER);
    CHECK_EQ_INT(plain_len, 6);
    CHECK(memcmp(plain, "joined", 6) == 0);
    CHECK_EQ_INT(qop, 0);

    /* An empty message is a token too. */
    uint8_t empty[24];
    CHECK_SEC(sspix_protect_seal_joined(p.t, &p.hs.server, 0, 0, empty, 24, 0, &tok_len), SEC_E_OK);
    CHECK_EQ_INT(tok_len, FAKE_SSPI_HEADER);
    CHECK_SEC(sspix_protect_unseal_stream(p.t, &p.hs.client, 0, empty, tok_len, &plain, &plain_len, &qop), SEC_E_OK);
    CHECK_EQ_INT(plain_len, 0);
    peers_down(&p);
}

/* DATA + TOKEN: a signature the peer verifies; a changed byte of the data
 * does not verify. */
static void test_sign_verify(void)
{
    struct fake_sspi_config cfg;
    struct peers p;
    fake_sspi_config_default(&cfg);
    peers_up(&p, &cfg);

    const uint8_t msg[] = "signed text";
    uint8_t mic[64];
    size_t mic_len = 0;
    ULONG qop = 5;
    CHECK_SEC(sspix_protect_sign(p.t, &p.hs.server, 0, msg, 11, mic, sizeof(mic), &mic_len), SEC_E_OK);
    CHECK_EQ_INT(mic_len, FAKE_SSPI_HEADER);
    CHECK_SEC(sspix_protect_verify(p.t, &p.hs.client, 0, msg, 11, mic, mic_len, &qop), SEC_E_OK);
    CHECK_EQ_INT(qop, 0);

    uint8_t other[11];
    memcpy(other, msg, 11);
    other[0] ^= 0x20;
    CHECK_SEC(sspix_protect_sign(p.t, &p.hs.server, 0, msg, 11, mic, sizeof(mic), &mic_len), SEC_E_OK);
    CHECK_SEC(sspix_protect_verify(p.t, &p.hs.client, 0, other, 11, mic, mic_len, &qop), SEC_E_MESSAGE_ALTERED);
    peers_down(&p);
}

/* The SSPI call's own failure comes back as it is; lengths a ULONG cannot
 * hold never reach the table. */
static void test_failures(void)
{
    struct fake_sspi_config cfg;
    struct peers p;
    fake_sspi_config_default(&cfg);
    cfg.fail = (struct fake_sspi_fail){.call = FAKE_ENCRYPT, .nth = 1, .status = SEC_E_CONTEXT_EXPIRED};
    peers_up(&p, &cfg);

    uint8_t trailer[24], data[4] = "data", buf[28], mic[32], *plain = NULL;
    size_t n = 0, plain_len = 0;
    ULONG qop = 0;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, trailer, sizeof(trailer), &n, data, 4),
              SEC_E_CONTEXT_EXPIRED);

    unsigned before = calls(&p);
    size_t huge = (size_t)UINT32_MAX + 1u;
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, trailer, sizeof(trailer), &n, data, huge),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_seal(p.t, &p.hs.client, 0, 0, trailer, huge, &n, data, 4), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_seal_joined(p.t, &p.hs.client, 0, 0, buf, 24, huge, &n), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, trailer, huge, data, 4, &plain, &plain_len, &qop),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_unseal(p.t, &p.hs.server, 0, trailer, 16, data, huge, &plain, &plain_len, &qop),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_unseal_stream(p.t, &p.hs.server, 0, buf, huge, &plain, &plain_len, &qop),
              SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_sign(p.t, &p.hs.server, 0, data, huge, mic, sizeof(mic), &n), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_sign(p.t, &p.hs.server, 0, data, 4, mic, huge, &n), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_verify(p.t, &p.hs.client, 0, data, huge, mic, 16, &qop), SEC_E_INVALID_PARAMETER);
    CHECK_SEC(sspix_protect_verify(p.t, &p.hs.client, 0, data, 4, mic, huge, &qop), SEC_E_INVALID_PARAMETER);
    CHECK_EQ_INT(calls(&p), before);
    CHECK(plain == NULL);
    peers_down(&p);
}

int main(void)
{
    test_seal_unseal();
    test_joined_stream();
    test_sign_verify();
    test_failures();
    CHECK_DONE("session_protect");
}
