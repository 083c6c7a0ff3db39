/* SPDX-License-Identifier: MIT */
/*
 * sspix/sspix.h - what sspix adds to the SSPI API: diagnostics, time
 * conversion, and a way to name credential stores (keytab, ccache, replay
 * cache) explicitly instead of through KRB5_* environment variables.
 *
 * Everything here is thread-safe.
 */
#ifndef SSPIX_SSPIX_H
#define SSPIX_SSPIX_H

#include <sspix/sspi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SSPIX_VERSION_STRING "0.1.0"

/* The library's version, e.g. "0.1.0". Static storage. */
const char *sspix_version(void);

/*
 * Why the calling thread's most recent SSPI call failed: what failed, the
 * GSSAPI major/minor text behind it, and a hint at the fix, e.g.
 * "InitializeSecurityContext: no Kerberos ticket for alice@EXAMPLE.COM in
 * FILE:/tmp/krb5cc_0 (No credentials cache found): run kinit". Never NULL.
 * Each SSPI call starts afresh: after a call that succeeded it is "" (unless
 * that call recovered from something worth saying). Calls that only release
 * (FreeCredentialsHandle, DeleteSecurityContext and FreeContextBuffer) leave
 * an earlier failure's message in place when they succeed, so a caller may
 * clean up before reporting; so do InitSecurityInterface and the functions
 * of this header other than sspix_set_context_export_key,
 * sspix_query_local_name and sspix_query_delegated_credential. The pointer
 * stays valid until the thread's next SSPI call.
 */
const char *sspix_last_error(void);

/*
 * Where the library raised the error sspix_last_error() describes, as
 * "dir/file.c:line" of the sspix source, for bug reports. A library built
 * with NDEBUG (release builds) records no locations: then always "". Never
 * NULL; same lifetime as sspix_last_error().
 */
const char *sspix_last_error_location(void);

/* "SEC_E_LOGON_DENIED" for SEC_E_LOGON_DENIED, etc.; a status with no name
 * gives "SEC_E_UNKNOWN(0x...)" in thread-local storage. Never NULL. */
const char *sspix_status_name(SECURITY_STATUS status);

/*
 * TimeStamp (100 ns since 1601-01-01 UTC) <-> Unix seconds. Both saturate
 * rather than overflow: 0x7FFFFFFFFFFFFFFF ("never") and INT64_MAX map to
 * each other; a Unix time outside TimeStamp's range gives INT64_MIN or
 * INT64_MAX. A NULL ts converts to 0, or is left alone.
 */
int64_t sspix_timestamp_to_unix(const TimeStamp *ts);
void sspix_unix_to_timestamp(int64_t unix_seconds, TimeStamp *ts);

/*
 * The key that authenticates ExportSecurityContext's blobs (an
 * HMAC-SHA-384-192 over the whole blob; ImportSecurityContextA refuses a blob
 * whose MAC does not verify with SEC_E_INVALID_TOKEN before parsing it).
 *
 * By default every process has its own random key, made when the library is
 * loaded: a blob imports only in the process that exported it and in
 * processes fork()ed from it afterwards (a service handing contexts to its
 * forked workers needs nothing more). Unrelated processes of equal trust, or
 * a worker started with exec(), must share a key: each calls this function
 * with the same cbKey = 32 random bytes before exporting or importing (send
 * them over the same private channel as the blobs; whoever holds the key can
 * forge contexts for this process). pvKey NULL with cbKey 0 restores the
 * process's own key. The key is copied and applies to every thread.
 * SEC_E_INVALID_PARAMETER for another size.
 *
 * Each blob carries a random nonce and is imported at most once per process:
 * a second ImportSecurityContextA of the same blob is SEC_E_INVALID_TOKEN.
 * (The nonces of the last 1,024 imports are remembered; a blob exported
 * before all of them is refused too: export it again.) Another process
 * holding the key can still import it once; keep the blob to one receiver.
 */
#define SSPIX_CONTEXT_EXPORT_KEY_BYTES 32
SECURITY_STATUS sspix_set_context_export_key(const void *pvKey, ULONG cbKey);

/*
 * Explicit credential stores, passed as pAuthData to AcquireCredentialsHandleA
 * in place of SEC_WINNT_AUTH_IDENTITY_A. Zero-initialise, set Magic to
 * SSPIX_AUTH_STORE_MAGIC, and fill what you need; NULL members fall back to
 * the defaults (KRB5_KTNAME, KRB5CCNAME, ...). Strings are copied; the
 * structure may be freed once the call returns.
 *   Keytab      acceptor keys, e.g. "FILE:/etc/sspix/service.keytab"
 *   Ccache      initiator tickets, e.g. "FILE:/tmp/krb5cc_1000"
 *   ClientKeytab initiator keys for obtaining tickets without a password
 *   ReplayCache acceptor replay cache, e.g. "dfl:" or "file2:/var/tmp/rc"
 *   Identity    optional user/domain/password, as SEC_WINNT_AUTH_IDENTITY_A
 *               (or _EXA); through AcquireCredentialsHandleW it may also be
 *               a SEC_WINNT_AUTH_IDENTITY_W / _EXW, cast to this type
 *   NtlmUsersFile  NTLM accounts, one "DOMAIN:user:password" line each (the
 *               format gss-ntlmssp reads). For an acceptor (NTLM, or NTLM
 *               inside Negotiate) the users it verifies; for an initiator the
 *               credentials it uses (the line matching pszPrincipal, or the
 *               first). Naming it allows NTLM inside Negotiate.
 *   Flags       SSPIX_AUTH_STORE_ALLOW_NTLM: let Negotiate fall back to NTLM
 *               with gss-ntlmssp's defaults (NTLM_USER_FILE, winbind) when no
 *               NtlmUsersFile is named.
 *               SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY: for a SECPKG_CRED_INBOUND
 *               Kerberos or Negotiate credential, read the keytab (Keytab,
 *               or the default) once, here: its entries (only those of
 *               pszPrincipal when one is named) are copied into a MEMORY:
 *               keytab private to this credential, which lives exactly as
 *               long as the handle. The credential keeps working when the
 *               file later becomes unreadable (a server that drops root);
 *               new keys in the file are seen only by a new credential.
 *               Ignored for outbound credentials and the NTLM package.
 *               SSPIX_AUTH_STORE_REPLAY_IN_PROCESS: for a SECPKG_CRED_INBOUND
 *               (or _BOTH) Kerberos or Negotiate credential, catch replayed
 *               Kerberos authenticators in this process's memory instead of
 *               MIT's replay cache (which is then off for this credential,
 *               "none:"; ReplayCache must be NULL). A replayed AP-REQ is
 *               refused with SEC_E_LOGON_DENIED, as MIT's cache refuses it.
 *               All credentials of the process share one set, which keeps a
 *               SHA-256 tag of each accepted authenticator for 2 x clockskew
 *               (krb5.conf, default 300 s), at most 4,194,304 of them (about
 *               144 MiB: about 7,000 new logons a second, sustained); when it is
 *               full, new Kerberos logons fail (SEC_E_INSUFFICIENT_MEMORY)
 *               until entries expire; none is dropped early. What changes:
 *               MIT's file cache (KRB5RCACHEDIR) is shared by every process
 *               of the same user and survives a restart; this set is not. An
 *               AP-REQ captured on the wire and replayed to another process
 *               on the host (a pre-forked server, a second instance with the
 *               same keytab), or to this one after it restarted, within the
 *               clock-skew window, is not detected. Use it where one process
 *               accepts for the service, or where a replayed AP-REQ gains
 *               nothing (the protocol goes on to use the session key, which
 *               the replayer does not have). Costs no file I/O per logon.
 *               Such a credential also accepts plain Kerberos tokens (the
 *               krb5 mechanism's AP-REQ with the 24-byte checksum, no
 *               delegation, an AES key, no channel bindings given to
 *               AcceptSecurityContext; for Negotiate also inside a SPNEGO
 *               NegTokenInit whose first mechanism is Kerberos, without a
 *               mechListMIC) on libkrb5 directly (krb5_rd_req and
 *               krb5_mk_rep on one krb5_context per credential, serialised
 *               by a mutex), without MIT's GSSAPI layer; every other token,
 *               and every token libkrb5 refuses, goes to MIT's acceptor, so
 *               statuses and messages stay MIT's. The contexts are the same
 *               to the caller: flags, expiry, names, sizes, session key,
 *               message protection, export and import. The environment
 *               variable SSPIX_KRB5_ACCEPTOR=gssapi, read when the
 *               credential is acquired, sends every token to MIT's acceptor.
 *               NTLM (challenge-response) needs no replay cache either way.
 *
 * Negotiate offers NTLM only when NtlmUsersFile or SSPIX_AUTH_STORE_ALLOW_NTLM
 * says so; then it falls back to NTLM when Kerberos cannot be used (no ticket,
 * or a service the KDC does not know), and never otherwise.
 *
 * Compatibility: SSPIX_AUTH_STORE_MAGIC_V1 marks the original structure,
 * which ends at Identity; programs built against it keep working unchanged.
 */
#define SSPIX_AUTH_STORE_MAGIC_V1 0x3172747378697073ull /* "spixstr1" */
#define SSPIX_AUTH_STORE_MAGIC    0x3272747378697073ull /* "spixstr2" */

#define SSPIX_AUTH_STORE_ALLOW_NTLM        0x00000001u
#define SSPIX_AUTH_STORE_KEYTAB_IN_MEMORY  0x00000002u
#define SSPIX_AUTH_STORE_REPLAY_IN_PROCESS 0x00000008u

typedef struct _SSPIX_AUTH_STORE_A {
    uint64_t Magic;
    const char *Keytab;
    const char *Ccache;
    const char *ClientKeytab;
    const char *ReplayCache;
    PSEC_WINNT_AUTH_IDENTITY_A Identity;
    /* SSPIX_AUTH_STORE_MAGIC (v2) only: */
    const char *NtlmUsersFile;
    ULONG Flags; /* SSPIX_AUTH_STORE_* */
} SSPIX_AUTH_STORE_A, *PSSPIX_AUTH_STORE_A;

/*
 * The local account a server context's client maps to, as
 * ImpersonateSecurityContext would use it: krb5's auth_to_local rules for
 * Kerberos (gss_localname), the user name for NTLM. On success *name is a
 * NUL-terminated string the caller frees with FreeContextBuffer().
 * SEC_E_NO_IMPERSONATION when the client maps to no local account;
 * SEC_E_INVALID_HANDLE for a handle that is not a live context. POSIX's
 * counterpart of the sample server's GetUserName() while impersonating.
 */
SECURITY_STATUS sspix_query_local_name(PCtxtHandle phContext, char **name);

/*
 * The credential a client delegated to this server context (it asked for
 * ISC_REQ_DELEGATE with a forwardable Kerberos ticket; the context reports
 * ASC_RET_DELEGATE), as a new outbound credential handle of the context's
 * package (Kerberos or Negotiate) that authenticates onward as the client.
 * The caller frees it with FreeCredentialsHandle; it stays valid after the
 * context is deleted. ptsExpiry (may be NULL): the delegated ticket's end.
 * Works without impersonation; while a thread impersonates the client
 * (ImpersonateSecurityContext), AcquireCredentialsHandle(SECPKG_CRED_OUTBOUND)
 * with no principal and no pAuthData gives the same credential, as Windows
 * does. SEC_E_NO_CREDENTIALS when the client delegated none;
 * SEC_E_UNSUPPORTED_FUNCTION for a client context or NTLM.
 */
SECURITY_STATUS sspix_query_delegated_credential(PCtxtHandle phContext, PCredHandle phCredential, PTimeStamp ptsExpiry);

#ifdef __cplusplus
}
#endif

#endif /* SSPIX_SSPIX_H */
