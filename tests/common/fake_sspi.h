/* SPDX-License-Identifier: MIT */
/*
 * fake_sspi.h - a deterministic SecurityFunctionTableA for tests and fuzz
 * targets of code that reaches SSPI only through a function table (the
 * server's connection state machine, src/service/conn.c).
 *
 * No KDC, no clock, no randomness, no globals: every decision comes from a
 * struct fake_sspi_config and the calls made so far. What it models:
 *
 *   handshake   AcceptSecurityContext completes after cfg.legs client tokens;
 *               leg i answers with cfg.server_tokens[i] (NULL: "FAKE-S<i>",
 *               "": no output token). With cfg.strict every client token must
 *               equal cfg.client_tokens[i] (NULL: "FAKE-C<i>"), else
 *               SEC_E_INVALID_TOKEN; otherwise any non-empty token is taken.
 *               The completed context reports cfg.attrs (ASC_RET_*); with
 *               cfg.complete_needed the last leg says SEC_I_COMPLETE_NEEDED
 *               (earlier legs SEC_I_COMPLETE_AND_CONTINUE) and message calls
 *               fail with SEC_E_NO_CONTEXT until CompleteAuthToken ran.
 *               InitializeSecurityContextA plays the matching client.
 *   protection  a toy reversible scheme, never a cipher: a 16-byte header
 *               "F K flags dir seq(u32 LE) sum(u64 LE)", the data XORed with a
 *               keystream of (key, direction, seq) when encrypted, and an
 *               FNV-1a sum over key, direction, seq, flags and the bytes as
 *               sent (checked before anything is decrypted). Each direction
 *               numbers its wrap and MIC tokens together from 0; with replay
 *               detection on (cfg.replay_detect, by default from the flags:
 *               ASC_RET_REPLAY_DETECT or _SEQUENCE_DETECT, or NTLM with
 *               ASC_RET_INTEGRITY) a token whose number is not the next one is
 *               SEC_E_OUT_OF_SEQUENCE; without it any number is taken, so a
 *               replayed message is processed again. A reflected token (the
 *               receiver's own direction) or any changed byte is
 *               SEC_E_MESSAGE_ALTERED; a malformed header SEC_E_INVALID_TOKEN.
 *               EncryptMessage with QOP 0 on a context without
 *               ASC_RET_CONFIDENTIALITY is SEC_E_QOP_NOT_SUPPORTED.
 *   sizes       SECPKG_ATTR_SIZES reports cbSecurityTrailer = cfg.trailer
 *               (default 24, more than the 16 bytes emitted, as Windows does).
 *   failures    cfg.fail: the nth call (1-based, counted per instance) of one
 *               entry point returns fail.status, with errno set to fail.err
 *               and, for AcceptSecurityContext, an output token when
 *               fail.with_token (as Windows returns error tokens).
 *
 * Entry points provided: AcquireCredentialsHandleA (pAuthData must be the
 * fake_sspi instance), FreeCredentialsHandle, InitializeSecurityContextA,
 * AcceptSecurityContext, CompleteAuthToken, DeleteSecurityContext,
 * QueryContextAttributesA (SIZES, NATIVE_NAMES, PACKAGE_INFO), EncryptMessage,
 * DecryptMessage (TOKEN + DATA, or STREAM + empty DATA), MakeSignature,
 * VerifySignature, FreeContextBuffer. The other entries are NULL.
 *
 * Ownership: every buffer the fake hands out is freed with FreeContextBuffer,
 * which aborts on a pointer the fake did not allocate; fake_sspi_live() counts
 * what is still allocated (credentials, contexts, buffers), so a test can
 * assert that nothing leaked. The instance must outlive its handles.
 * Not thread-safe: one instance belongs to one thread.
 */
#ifndef SSPIX_TEST_FAKE_SSPI_H
#define SSPIX_TEST_FAKE_SSPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

#include "service/conn.h"

#define FAKE_SSPI_MAX_LEGS 8
#define FAKE_SSPI_HEADER   16u /* bytes of every wrap and MIC header */

enum fake_sspi_call {
    FAKE_NONE = 0,
    FAKE_ACCEPT,
    FAKE_INIT,
    FAKE_COMPLETE,
    FAKE_QUERY,
    FAKE_ENCRYPT,
    FAKE_DECRYPT,
    FAKE_SIGN,
    FAKE_VERIFY,
    FAKE_DELETE,
    FAKE_CALL_COUNT
};

struct fake_sspi_fail {
    enum fake_sspi_call call; /* FAKE_NONE: no failure */
    unsigned nth;             /* which call of that entry point fails, 1-based */
    SECURITY_STATUS status;   /* what it returns */
    int err;                  /* errno it leaves (0: unchanged) */
    bool with_token;          /* AcceptSecurityContext: hand out an output token anyway */
};

struct fake_sspi_config {
    unsigned legs;        /* client tokens until the server context is complete, 1..FAKE_SSPI_MAX_LEGS */
    ULONG attrs;          /* ASC_RET_* of the completed context */
    bool strict;          /* client (and server) tokens must be exactly the configured ones */
    bool complete_needed; /* the handshake asks for CompleteAuthToken */
    int replay_detect;    /* -1: from attrs (see above); 0: off; 1: on */
    ULONG trailer;        /* cbSecurityTrailer reported; 0: 24 */
    uint64_t key;         /* the toy key; 0: a fixed default */
    const char *package;  /* SECPKG_ATTR_PACKAGE_INFO name; NULL: "Kerberos" */
    const char *client;   /* client principal; NULL: "alice@FAKE.TEST" */
    const char *server;   /* server principal; NULL: "host/fake.test@FAKE.TEST" */
    const char *client_tokens[FAKE_SSPI_MAX_LEGS]; /* NULL: "FAKE-C<i>" */
    const char *server_tokens[FAKE_SSPI_MAX_LEGS]; /* NULL: "FAKE-S<i>"; "": none sent */
    struct fake_sspi_fail fail;
};

typedef struct fake_sspi {
    struct fake_sspi_config cfg;
    unsigned calls[FAKE_CALL_COUNT]; /* calls made so far, per entry point */
    unsigned live_creds, live_contexts, live_buffers;
} fake_sspi;

/* A config with the defaults: 2 legs, mutual authentication, replay and
 * sequence detection, confidentiality and integrity, Kerberos. */
void fake_sspi_config_default(struct fake_sspi_config *cfg);

/* An instance (heap; NULL on allocation failure). cfg is copied (its strings
 * are not: they must outlive the instance). */
fake_sspi *fake_sspi_new(const struct fake_sspi_config *cfg);

/* Frees the instance; its handles must be gone (see fake_sspi_live). NULL is fine. */
void fake_sspi_free(fake_sspi *f);

/* Credentials + contexts + buffers still allocated. */
unsigned fake_sspi_live(const fake_sspi *f);

/* The function table (static storage, shared by every instance). */
PSecurityFunctionTableA fake_sspi_table(void);

/*
 * A server credential on the fake, as sspix_svc_cred_acquire() would make
 * with the real library: one reference, limits copied, package "Negotiate".
 * NULL on failure. Released with sspix_svc_cred_unref().
 */
sspix_svc_cred *fake_sspi_svc_cred(fake_sspi *f, const struct sspix_svc_limits *limits);

/* The client token of leg i and the server's answer to it (NULL: none), as configured. */
const char *fake_sspi_client_token(const fake_sspi *f, unsigned leg, char *buf, size_t cap);
const char *fake_sspi_server_token(const fake_sspi *f, unsigned leg, char *buf, size_t cap);

#endif /* SSPIX_TEST_FAKE_SSPI_H */
