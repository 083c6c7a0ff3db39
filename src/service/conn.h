/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one server connection as a state machine that does no I/O
 * (BearSSL style): the caller feeds it the bytes that arrived, sends the bytes
 * it hands back, and closes the socket when it says so. This is the Microsoft sample's
 * GetEntry state (new-conversation flag, context handle, legs so far, buffers)
 * plus the post-authentication modes; the event loop lives in engine.c.
 *
 *     sspix_conn_init(c, cred)                  a connection was accepted
 *     v = sspix_conn_feed(c, bytes, n)          bytes arrived (any split)
 *     p = sspix_conn_pending(c, &len) / sspix_conn_sent(c, k)   bytes to send
 *     v = sspix_conn_eof(c)                     the peer closed its side
 *     sspix_conn_abort(c, "deadline")           a timer fired / shutdown
 *     sspix_conn_log_line(c, ...)               the one log line
 *     sspix_conn_free(c)
 *
 * Verdicts: SSPIX_CONN_OPEN (keep going) or SSPIX_CONN_CLOSE (send what is
 * pending, then close; further input is ignored). Once CLOSE was returned it
 * stays: feed/eof return CLOSE again.
 *
 * The wire format is a protocol vtable chosen by the credential's limits
 * (proto): the Microsoft sample framing (proto_ms.c) or MIT's gss-sample
 * (proto_gss.c). The
 * SSPI work (AcceptSecurityContext, the mutual-authentication check,
 * CompleteAuthToken, EncryptMessage/DecryptMessage) is protocol-independent
 * and lives in conn.c, reached by protocols through the sspix_conn_* helpers
 * at the end of this header.
 *
 * Memory: the struct is embedded by the caller; between frames a connection
 * holds no heap buffers except what SSPI keeps for its context and the
 * pending output, which is freed as soon as it has been sent. Handshake
 * buffers are gone once the handshake ends.
 *
 * Threads: a connection belongs to one thread at a time. The credential is
 * shared and reference-counted (atomically), so connections on any number of
 * threads may hold the same one.
 */
#ifndef SSPIX_SERVICE_CONN_H
#define SSPIX_SERVICE_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sspix/sspix.h>

#include "common/buf.h"
#include "wire/frame.h"

enum sspix_svc_mode {
    SSPIX_SVC_GREET = 0, /* one protected greeting, then close (the sample) */
    SSPIX_SVC_ECHO = 1,  /* framed protected messages echoed back until an empty one or EOF */
};

enum sspix_svc_proto {
    SSPIX_SVC_PROTO_MS = 0,  /* Microsoft SSPI sockets sample: u32 LE length + token */
    SSPIX_SVC_PROTO_GSS = 1, /* MIT gss-sample: u8 flags + u32 BE length + token (mode is ignored) */
};

/* Protected-message trailers larger than this are refused (Kerberos uses 60-76 bytes). */
#define SSPIX_SVC_MAX_TRAILER 1024u

/* What each connection is allowed; fixed for the life of a credential generation. */
struct sspix_svc_limits {
    uint32_t max_token;   /* largest handshake token accepted, bytes */
    uint32_t max_message; /* largest echo plaintext, bytes */
    uint32_t max_legs;    /* tokens exchanged (both directions) before another client token is refused */
    bool allow_no_mutual; /* accept a context without ASC_RET_MUTUAL_AUTH */
    /* Accept a context that lacks what the session relies on: replay or
     * sequence detection where client messages are processed (echo, the
     * gss-sample protocol), confidentiality where the server encrypts (the
     * Microsoft framing), integrity for the gss-sample MICs. */
    bool allow_weak_context;
    enum sspix_svc_mode mode;
    enum sspix_svc_proto proto;
    unsigned handshake_ms; /* the engine's handshake deadline (conn.c does not use it) */
    unsigned idle_ms;      /* the engine's idle timeout in echo mode */
    unsigned message_ms;   /* the engine's per-frame deadline after the handshake (not re-armed by partial reads) */
};

/*
 * The server credential, acquired once and shared by every connection of a
 * generation; SIGHUP makes a new one and the old one lives until its last
 * connection ends. refs counts holders; the last sspix_svc_cred_unref() frees
 * the handle.
 */
typedef struct sspix_svc_cred {
    atomic_uint refs;
    PSecurityFunctionTableA sspi; /* InitSecurityInterface() */
    CredHandle handle;
    /*
     * More handles on the same keys (sspix_svc_cred_replicate), so that
     * threads accepting at the same time do not queue on one credential: MIT's
     * acceptor holds its credential's lock for the whole of each accept.
     * NULL/0: none, every slot uses handle.
     */
    CredHandle *extra;
    unsigned nextra;
    struct sspix_svc_limits limits;
    char package[16];    /* "Negotiate" / "Kerberos": what was asked for */
    char principal[256]; /* --spn, or "any" */
    /* What the acquire was given, for sspix_svc_cred_replicate (heap; NULL: not given). */
    char *acq_spn, *acq_keytab, *acq_ntlm_users;
    ULONG acq_flags;
    /* sspix_svc_cred_rewrap(): handle is parent's, which this holds a reference to. */
    struct sspix_svc_cred *parent;
} sspix_svc_cred;

/*
 * AcquireCredentialsHandle(spn or NULL, package, SECPKG_CRED_INBOUND, ...,
 * pAuthData = SSPIX_AUTH_STORE_A{Keytab} when keytab is given). On failure
 * returns the status, *out is NULL and sspix_last_error() tells why. The
 * result holds one reference.
 */
SECURITY_STATUS sspix_svc_cred_acquire(const char *package, const char *spn, const char *keytab,
                                       const struct sspix_svc_limits *limits, sspix_svc_cred **out);
/* The same, with an NTLM users file ("DOMAIN:user:password" lines) for the
 * NTLM package and NTLM inside Negotiate; NULL: NTLM is not offered. */
SECURITY_STATUS sspix_svc_cred_acquire_ntlm(const char *package, const char *spn, const char *keytab,
                                            const char *ntlm_users, const struct sspix_svc_limits *limits,
                                            sspix_svc_cred **out);
/* The same, with SSPIX_AUTH_STORE_A.Flags (e.g. SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY). */
SECURITY_STATUS sspix_svc_cred_acquire_flags(const char *package, const char *spn, const char *keytab,
                                             const char *ntlm_users, ULONG store_flags,
                                             const struct sspix_svc_limits *limits, sspix_svc_cred **out);
/*
 * A new generation that shares old's credential handle with other limits (a
 * reload that cannot re-acquire: the keytab is no longer readable). Holds a
 * reference to old until its own last reference goes. SEC_E_OK or
 * SEC_E_INSUFFICIENT_MEMORY.
 */
SECURITY_STATUS sspix_svc_cred_rewrap(sspix_svc_cred *old, const struct sspix_svc_limits *limits, sspix_svc_cred **out);
/*
 * Acquire handles until there are n in all (the first included), with the
 * arguments of the original acquire, one per thread that accepts. Only on a
 * credential no connection uses yet (nothing is locked). Returns how many
 * handles there are afterwards (>= 1): fewer than n when an acquire failed
 * (the keytab became unreadable, say); the slots then share them. A
 * rewrapped generation shares its parent's handles and cannot replicate.
 */
unsigned sspix_svc_cred_replicate(sspix_svc_cred *c, unsigned n);
/* The handle that slot (a worker thread's index) accepts with. */
PCredHandle sspix_svc_cred_handle(sspix_svc_cred *c, unsigned slot);
sspix_svc_cred *sspix_svc_cred_ref(sspix_svc_cred *c);
void sspix_svc_cred_unref(sspix_svc_cred *c); /* NULL is fine */

enum sspix_conn_verdict { SSPIX_CONN_OPEN = 0, SSPIX_CONN_CLOSE = 1 };

enum sspix_conn_phase {
    SSPIX_CONN_HANDSHAKE = 0,
    SSPIX_CONN_SESSION = 1, /* authenticated: greet/echo */
    SSPIX_CONN_DONE = 2,    /* verdict CLOSE given */
};

struct sspix_conn;

/* A wire protocol. feed consumes all n bytes (or decides to close). */
struct sspix_proto_ops {
    const char *name;
    void (*init)(struct sspix_conn *c);
    int (*feed)(struct sspix_conn *c, const uint8_t *in, size_t n);
    int (*eof)(struct sspix_conn *c);
    void (*release)(struct sspix_conn *c); /* free protocol buffers; safe to call twice */
};

/* Treat as private outside src/service; public so that it can be embedded. */
typedef struct sspix_conn {
    const struct sspix_proto_ops *proto;
    sspix_svc_cred *cred; /* one reference held */
    CtxtHandle ctx;
    bool have_ctx;  /* !_fNewConversation of the Microsoft sample */
    bool mutual;    /* ASC_RET_MUTUAL_AUTH was returned */
    uint8_t phase;  /* enum sspix_conn_phase */
    uint8_t pstate; /* the protocol's own sub-state (proto_*.c) */
    uint32_t legs;  /* tokens exchanged so far, both directions */
    uint32_t messages;
    uint32_t trailer_max;   /* cbSecurityTrailer, once authenticated */
    uint32_t slot;          /* which of the credential's handles accepts (sspix_svc_cred_handle) */
    ULONG attrs;            /* ASC_RET_* of the last AcceptSecurityContext */
    SECURITY_STATUS status; /* last SSPI status (SEC_E_OK until something fails) */
    const char *reason;     /* static: NULL, "eof", "deadline", "too_long", ... */
    char *client;           /* client principal (heap), once known */
    char *package;          /* negotiated package name (heap), once known */
    char *detail;           /* heap: sspix_last_error() text of the failure, if any */
    sspix_framedec dec;     /* input frames */
    sspix_writer out;       /* pending output (heap, freed when sent) */
    size_t out_sent;        /* bytes of out already sent */
    uint64_t bytes_in, bytes_out;
} sspix_conn;

/* Start a connection holding a reference to cred (taken here). Allocates nothing. */
void sspix_conn_init(sspix_conn *c, sspix_svc_cred *cred);
/* The same, accepting with the credential's handle for slot (the engine's
 * worker index), so that each thread uses its own. */
void sspix_conn_init_slot(sspix_conn *c, sspix_svc_cred *cred, unsigned slot);

/* Bytes from the peer (in may be NULL only when n is 0). All are consumed. */
int sspix_conn_feed(sspix_conn *c, const uint8_t *in, size_t n);

/* The peer closed its sending side. Always returns SSPIX_CONN_CLOSE. */
int sspix_conn_eof(sspix_conn *c);

/* Give up now (timer, shutdown, I/O error): records reason (static string)
 * unless an outcome is already recorded. Pending output is dropped. */
void sspix_conn_abort(sspix_conn *c, const char *reason);

/* Output waiting to be sent: returns a pointer and sets *len (0: nothing). */
const uint8_t *sspix_conn_pending(const sspix_conn *c, size_t *len);

/* n bytes of the pending output were sent; the buffer is freed once all are. */
void sspix_conn_sent(sspix_conn *c, size_t n);

/* True while the handshake is still running. */
bool sspix_conn_in_handshake(const sspix_conn *c);

/* True once the verdict was CLOSE. */
bool sspix_conn_closing(const sspix_conn *c);

/* Heap bytes held by the connection's own buffers (not SSPI's). */
size_t sspix_conn_buffered(const sspix_conn *c);

/*
 * The log line, without a newline: "peer=ADDR client=... package=... mutual=
 * yes|no legs=N outcome=... ms=M.M mode=... messages=N [reason="..."]".
 * Returns the length written (truncated to fit cap, always NUL-terminated).
 */
size_t sspix_conn_log_line(const sspix_conn *c, const char *peer, double ms, char *buf, size_t cap);

/* Release everything (context, buffers, the credential reference). Safe twice. */
void sspix_conn_free(sspix_conn *c);

/* ---- for protocols (proto_*.c) ------------------------------------------- */

/*
 * Run AcceptSecurityContext on one client token. On success *out / *out_len
 * is the token to send (possibly empty; free it with sspix_conn_free_token)
 * and *done tells whether the context is complete. Enforces max_legs, checks
 * ASC_RET_MUTUAL_AUTH on completion, calls CompleteAuthToken when asked, and
 * fills in client/package/trailer_max. On failure records the outcome and
 * returns SSPIX_ERR_AUTH (or SSPIX_ERR_TOO_LONG for max_legs).
 */
int sspix_conn_accept(sspix_conn *c, const uint8_t *token, size_t len, void **out, size_t *out_len, bool *done);
void sspix_conn_free_token(sspix_conn *c, void *token);

/* The greeting text for this (completed) context into buf; returns its length. */
size_t sspix_conn_greeting(const sspix_conn *c, char *buf, size_t cap);

/*
 * EncryptMessage(TOKEN = trailer[trailer_cap], DATA = data[len] in place).
 * *trailer_len is the trailer's real size. Returns 0 or SSPIX_ERR_AUTH.
 */
int sspix_conn_encrypt(sspix_conn *c, uint8_t *trailer, size_t trailer_cap, size_t *trailer_len, uint8_t *data,
                       size_t len);

/* DecryptMessage(TOKEN = trailer, DATA = data in place); *plain / *plain_len
 * is the plaintext (inside data). Returns 0 or SSPIX_ERR_AUTH. */
int sspix_conn_decrypt(sspix_conn *c, uint8_t *trailer, size_t trailer_len, uint8_t *data, size_t len, uint8_t **plain,
                       size_t *plain_len);

/*
 * DecryptMessage(SECBUFFER_STREAM = tok[len], SECBUFFER_DATA empty): tok is one
 * whole wrap token (gss_wrap output), decrypted in place. *plain / *plain_len
 * is the plaintext (inside tok); *encrypted tells whether it was encrypted
 * (false: integrity only). Returns 0 or SSPIX_ERR_AUTH (outcome recorded).
 */
int sspix_conn_unwrap(sspix_conn *c, uint8_t *tok, size_t len, uint8_t **plain, size_t *plain_len, bool *encrypted);

/* MakeSignature over data[len] (a gss_get_mic token) into mic[cap]; *mic_len
 * is its size. Returns 0 or SSPIX_ERR_AUTH (outcome recorded). */
int sspix_conn_sign(sspix_conn *c, const uint8_t *data, size_t len, uint8_t *mic, size_t cap, size_t *mic_len);

/* Record a failure (first one wins) and move to DONE; returns SSPIX_CONN_CLOSE. */
int sspix_conn_fail(sspix_conn *c, const char *reason, const char *detail);

/* Move to DONE after a clean end; returns SSPIX_CONN_CLOSE. */
int sspix_conn_finish(sspix_conn *c);

/*
 * Bytes in for a framed protocol: they go through the connection's frame
 * decoder, and each complete frame to on_frame (which reads it from c->dec).
 * A decoder error ends the connection with an outcome named after it
 * (too_long, empty_token, invalid, nomem). Returns SSPIX_CONN_OPEN or
 * SSPIX_CONN_CLOSE.
 */
int sspix_conn_pump_frames(sspix_conn *c, const uint8_t *in, size_t n, int (*on_frame)(sspix_conn *c));

/* End of stream for a framed protocol: a failure during the handshake or in
 * the middle of a frame, a clean end at a frame boundary after it (the ms echo
 * session's end, or MIT's gss-client closing right after its NOOP). */
int sspix_conn_framed_eof(sspix_conn *c);

/* The Microsoft sample framing (proto_ms.c) and MIT's gss-sample (proto_gss.c). */
extern const struct sspix_proto_ops sspix_proto_ms;
extern const struct sspix_proto_ops sspix_proto_gss;

#endif /* SSPIX_SERVICE_CONN_H */
