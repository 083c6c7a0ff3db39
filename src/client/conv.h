/* SPDX-License-Identifier: MIT */
/*
 * client/conv.h - one sspix-client conversation as an I/O-free state machine.
 *
 * The conversation owns the SSPI context, the frame decoder and the bytes
 * waiting to be sent; the caller owns the socket. The caller moves bytes both
 * ways (sspix_client_conv_pending/sspix_client_conv_sent out, sspix_client_conv_feed in, and
 * sspix_client_conv_eof when the peer closes) and asks what the conversation wants
 * next. The same machine runs under the blocking single-connection driver and
 * under the libevent load generator, so both speak exactly the same protocol.
 *
 * Wire (Microsoft SSPI sockets sample, DESIGN.md section 4):
 *   handshake  each token is "u32 LE length | token"; the client speaks first;
 *              empty tokens are not sent; completion is not signalled.
 *   greet      the server sends one protected message "u32 LE trailer length
 *              | trailer | ciphertext" with no outer length and closes.
 *   echo       "u32 LE length | protected message" both ways; a frame of
 *              length 0 from the client ends the session, then the server
 *              closes.
 * With params.gss the wire is MIT's gss-sample instead (gss-server's peer):
 *   handshake  "u8 flags | u32 BE length | token"; NOOP|CONTEXT_NEXT with an
 *              empty token first, then CONTEXT tokens both ways.
 *   messages   echo mode: each message goes as DATA (|WRAPPED: one
 *              EncryptMessage TOKEN||DATA wrap token) (|ENCRYPTED) (|SEND_MIC);
 *              the server answers MIC (checked with VerifySignature over what
 *              was sent) or an empty NOOP. greet mode sends no message.
 *   end        an empty NOOP; then the server closes.
 * Every received length is checked against its limit before anything is
 * allocated (the frame decoder of src/wire/frame.h, the protmsg codec).
 *
 * Thread safety: one conversation belongs to one thread at a time. Several
 * conversations may share one credential handle (SSPI allows it).
 */
#ifndef SSPIX_CLIENT_CONV_H
#define SSPIX_CLIENT_CONV_H

#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

#include "common/buf.h"
#include "wire/frame.h"

/* Exit codes of sspix-client (documented in sspix-client(1)). */
enum sspix_client_exit {
    SSPIX_CLIENT_EXIT_OK = 0,
    SSPIX_CLIENT_EXIT_USAGE = 1,
    SSPIX_CLIENT_EXIT_CONN = 2,      /* refused, reset, timeout */
    SSPIX_CLIENT_EXIT_AUTH = 3,      /* our side of the authentication failed (SEC_E_*) */
    SSPIX_CLIENT_EXIT_NO_MUTUAL = 4, /* the server did not prove its identity */
    SSPIX_CLIENT_EXIT_PROTOCOL = 5,  /* message protection or protocol error */
    SSPIX_CLIENT_EXIT_LOAD = 6,      /* a load run had failures */
};

enum sspix_client_mode { SSPIX_CLIENT_MODE_GREET = 0, SSPIX_CLIENT_MODE_ECHO = 1 };

/* Largest handshake token accepted from the server (the server's default too). */
#define SSPIX_CLIENT_MAX_TOKEN 65536u
/* Slack above --max-message for a received protected message's trailer and
 * length fields (the trailer itself is bounded by this too). */
#define SSPIX_CLIENT_MESSAGE_SLACK 65536u

/* What every conversation of a run shares; read-only while they run. */
struct sspix_client_params {
    PSecurityFunctionTableA sspi;
    CredHandle *cred; /* one outbound credential for all conversations */
    const char *spn;
    ULONG isc_req;      /* ISC_REQ_* asked for (ISC_REQ_ALLOCATE_MEMORY is added) */
    int require_mutual; /* fail unless ISC_RET_MUTUAL_AUTH on completion */
    enum sspix_client_mode mode;
    uint32_t max_message; /* largest plaintext sent or accepted */
    int gss;              /* MIT gss-sample protocol instead of the Microsoft sample's */
    uint8_t gss_flags;    /* gss: message flags, DATA plus any of WRAPPED, ENCRYPTED, SEND_MIC */
};

enum sspix_client_state {
    SSPIX_CLIENT_HANDSHAKE, /* InitializeSecurityContext returned CONTINUE: a token is due */
    SSPIX_CLIENT_GREET,     /* authenticated; reading the greeting to EOF */
    SSPIX_CLIENT_ECHO_IDLE, /* authenticated; the caller may send a message or end */
    SSPIX_CLIENT_ECHO_WAIT, /* a message was sent; its echo is due */
    SSPIX_CLIENT_CLOSING,   /* the end-of-session frame was queued; waiting for EOF */
    SSPIX_CLIENT_DONE,      /* finished successfully */
    SSPIX_CLIENT_FAILED,    /* finished with an error: exit_code, reason, message */
};

struct sspix_client_conv {
    const struct sspix_client_params *p;
    enum sspix_client_state state;
    CtxtHandle ctx;
    int have_ctx;
    ULONG attrs;  /* ISC_RET_* from the last InitializeSecurityContext */
    int legs;     /* handshake tokens sent plus received */
    int accepted; /* the server showed that it accepted us: mutual authentication, or a protected
                   * message from it that decrypted or verified under this context */
    SECURITY_STATUS status;
    ULONG trailer_size; /* SECPKG_ATTR_SIZES cbSecurityTrailer (echo mode) */

    sspix_framedec dec; /* handshake tokens, then echo frames */
    sspix_writer out;   /* bytes queued for the server */
    size_t out_sent;    /* of out, already written */
    sspix_writer greet; /* greet mode: the message read so far */

    uint8_t *expect; /* echo: the plaintext whose echo is due (owned) */
    size_t expect_len;
    uint64_t messages, bytes; /* echo: verified round trips and their plaintext bytes */
    uint8_t *text;            /* the last decrypted greeting or echo (owned) */
    size_t text_len;

    enum sspix_client_exit exit_code; /* set when state is SSPIX_CLIENT_FAILED */
    char reason[96];                  /* short key for the load summary, e.g. "SEC_E_TARGET_UNKNOWN" */
    char message[1024];               /* the full explanation, one line */
};

/* Set up c; no SSPI call, no allocation. */
void sspix_client_conv_init(struct sspix_client_conv *c, const struct sspix_client_params *p);

/* Release everything c holds (context, buffers). Safe more than once. */
void sspix_client_conv_free(struct sspix_client_conv *c);

/* The first InitializeSecurityContext; queues its token. Returns c->state. */
enum sspix_client_state sspix_client_conv_start(struct sspix_client_conv *c);

/* Bytes queued for the server: *data / *len (len 0: nothing to send). */
void sspix_client_conv_pending(const struct sspix_client_conv *c, const uint8_t **data, size_t *len);

/* n bytes of the pending ones were written. */
void sspix_client_conv_sent(struct sspix_client_conv *c, size_t n);

/* Nonzero when the conversation waits for bytes from the server. */
int sspix_client_conv_wants_read(const struct sspix_client_conv *c);

/* Bytes from the server, any split. Returns c->state. */
enum sspix_client_state sspix_client_conv_feed(struct sspix_client_conv *c, const uint8_t *data, size_t n);

/* The server closed the connection (err 0) or it failed with errno err. */
enum sspix_client_state sspix_client_conv_eof(struct sspix_client_conv *c, int err);

/* Echo mode, in SSPIX_CLIENT_ECHO_IDLE: encrypt and queue one message (len may be 0). */
enum sspix_client_state sspix_client_conv_send(struct sspix_client_conv *c, const void *msg, size_t len);

/* Echo mode, in SSPIX_CLIENT_ECHO_IDLE: queue the end-of-session frame. */
enum sspix_client_state sspix_client_conv_end(struct sspix_client_conv *c);

/* Mark the conversation failed (e.g. a timeout seen by the driver); the first
 * failure wins. reason is a short key, the message is printf-style. */
void sspix_client_conv_fail(struct sspix_client_conv *c, enum sspix_client_exit code, const char *reason,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Nonzero once the handshake completed (and mutual authentication was checked). */
int sspix_client_conv_authenticated(const struct sspix_client_conv *c);

/* Nonzero once the server has shown that it accepted our authentication: the
 * context completed with ISC_RET_MUTUAL_AUTH, or a greeting, echo or MIC from
 * the server checked out under the context. A context without mutual
 * authentication (NTLM) completes on our side before the server has checked
 * our credentials, so until then nothing is known about the outcome. */
int sspix_client_conv_accepted(const struct sspix_client_conv *c);

/* What the conversation waits for, for timeout messages: "during the
 * handshake", "waiting for the greeting", ... ("" when it waits for nothing). */
const char *sspix_client_conv_waiting(const struct sspix_client_conv *c);

/* ISC_RET_* flags as names, space separated, into buf. Returns buf. */
const char *sspix_client_flag_names(ULONG flags, char *buf, size_t size);

#endif /* SSPIX_CLIENT_CONV_H */
