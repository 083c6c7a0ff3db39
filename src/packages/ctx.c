/* SPDX-License-Identifier: MIT */
/*
 * ctx.c - InitializeSecurityContext, AcceptSecurityContext and
 * DeleteSecurityContext over gss_init_sec_context / gss_accept_sec_context:
 * request and result flags, lifetimes, the handshake token checks, and the
 * native Kerberos acceptor's first leg (krb5_accept.h).
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
#include <errno.h>
#include <profile.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/guard.h"
#include "packages/gss_status.h"
#include "sspi/errors.h"
#include "packages/gss_core.h"
#include "packages/ntlm_msg.h"
#include "packages/replay.h"
#include "packages/spnego_tok.h"

/*
 * MIT reports an acceptor context's lifetime with the clock-skew allowance added
 * (endtime + clockskew - now); SSPI reports the ticket's end. The allowance
 * is read once from the krb5 profile.
 *
 * The krb5_context that reads it is kept for the life of the process: while
 * one context holds the parsed profile, MIT shares it with every new
 * krb5_context (its acceptor makes one per accepted context, its name calls
 * one per call) and only stats krb5.conf to see whether it changed, instead
 * of opening, reading and parsing it again each time the last context went
 * away. Edits to krb5.conf are still seen (the stat finds them).
 */
static pthread_once_t skew_once = PTHREAD_ONCE_INIT;
static int64_t clockskew = 300;
/* volatile: written once and never read, which a compiler may otherwise drop,
 * leaving the context unreferenced (a leak to valgrind). */
static krb5_context volatile profile_holder;

static void read_clockskew(void)
{
    krb5_context k;
    profile_t profile;
    int v;
    if (krb5_init_context(&k) != 0)
        return;
    if (krb5_get_profile(k, &profile) == 0) {
        if (profile_get_integer(profile, "libdefaults", "clockskew", NULL, 300, &v) == 0 && v >= 0)
            clockskew = v;
        profile_release(profile);
    }
    profile_holder = k;
}

/*
 * The process's replay set for acceptor credentials acquired with
 * SSPIX_AUTH_STORE_REPLAY_IN_PROCESS: one for all of them, so that a replay
 * to another credential (another engine thread's) is caught too. Entries
 * live 2 * clockskew (replay.h says why), and one second more for rounding.
 */
static pthread_once_t replay_once = PTHREAD_ONCE_INIT;
static struct sspix_replay_set *replay_set;

static void make_replay_set(void)
{
    pthread_once(&skew_once, read_clockskew);
    replay_set = sspix_replay_new(SSPIX_REPLAY_MAX_ENTRIES, 2 * clockskew + 1);
}

_Static_assert(sizeof(((struct sspix_gss_ctx *)0)->replay_tag) == SSPIX_REPLAY_TAG_BYTES, "replay tag size");

static SECURITY_STATUS replay_refused(void)
{
    return sspix_fail(SEC_E_LOGON_DENIED, "replayed authenticator: this token was already used (the in-process "
                                          "replay set holds it): a client must make a new AP-REQ for each "
                                          "connection");
}

/* Before GSSAPI decrypts it: the AP-REQ's authenticator, if this token
 * carries one, must not be in the replay set; its tag is kept for
 * replay_record. A token that may carry an AP-REQ this module cannot read
 * forgets the tag of an earlier leg: the AP-REQ GSSAPI verifies is then
 * unknown, and replay_record refuses the logon. */
static SECURITY_STATUS replay_check(struct sspix_gss_ctx *c, const uint8_t *in, size_t in_len)
{
    const uint8_t *cipher;
    size_t n;
    int r = sspix_replay_find_authenticator(in, in_len, &cipher, &n);
    if (r == SSPIX_REPLAY_NONE)
        return SEC_E_OK;
    if (r != 0) {
        c->has_replay_tag = 0;
        return SEC_E_OK;
    }
    pthread_once(&replay_once, make_replay_set);
    c->has_replay_tag = 0;
    if (replay_set == NULL || sspix_replay_tag(replay_set, cipher, n, c->replay_tag) != 0)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory (the in-process replay set)");
    c->has_replay_tag = 1;
    if (sspix_replay_check(replay_set, c->replay_tag, (int64_t)time(NULL)) == SSPIX_REPLAY_SEEN)
        return replay_refused();
    return SEC_E_OK;
}

/* A Kerberos logon just completed: its authenticator goes into the replay
 * set, or the logon is refused (a replay that raced this one, a full set, or
 * an AP-REQ this module could not find: never accepted unchecked). */
static SECURITY_STATUS replay_record(struct sspix_gss_ctx *c)
{
    if (!c->has_replay_tag)
        return sspix_fail(SEC_E_INVALID_TOKEN, "the client's Kerberos AP-REQ could not be read for the in-process "
                                               "replay check, so the logon is refused: acquire the credential "
                                               "without SSPIX_AUTH_STORE_REPLAY_IN_PROCESS to use MIT's replay "
                                               "cache instead");
    int r = sspix_replay_record(replay_set, c->replay_tag, (int64_t)time(NULL));
    if (r == SSPIX_REPLAY_SEEN)
        return replay_refused();
    if (r == SSPIX_ERR_FULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY,
                          "the in-process replay set is full (%u authenticators of the last %lld s): new logons "
                          "are refused until entries expire; at this rate use MIT's replay cache (acquire without "
                          "SSPIX_AUTH_STORE_REPLAY_IN_PROCESS)",
                          SSPIX_REPLAY_MAX_ENTRIES, (long long)(2 * clockskew + 1));
    if (r < 0)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory (the in-process replay set)");
    return SEC_E_OK;
}

void sspix_expiry_from_lifetime(OM_uint32 lifetime, int skewed, int64_t now, int64_t *unix_out, TimeStamp *ts)
{
    int64_t expiry = INT64_MAX;
    if (lifetime != GSS_C_INDEFINITE) {
        expiry = now + (int64_t)lifetime;
        if (skewed) {
            pthread_once(&skew_once, read_clockskew);
            expiry -= clockskew;
        }
    }
    if (unix_out != NULL)
        *unix_out = expiry;
    if (ts != NULL)
        sspix_unix_to_timestamp(expiry, ts);
}

OM_uint32 sspix_isc_to_gss(ULONG req)
{
    OM_uint32 f = 0;
    if (req & ISC_REQ_DELEGATE)
        f |= GSS_C_DELEG_FLAG;
    if (req & ISC_REQ_MUTUAL_AUTH)
        f |= GSS_C_MUTUAL_FLAG;
    if (req & ISC_REQ_REPLAY_DETECT)
        f |= GSS_C_REPLAY_FLAG;
    if (req & ISC_REQ_SEQUENCE_DETECT)
        f |= GSS_C_SEQUENCE_FLAG;
    if (req & ISC_REQ_CONFIDENTIALITY)
        f |= GSS_C_CONF_FLAG;
    if (req & ISC_REQ_INTEGRITY)
        f |= GSS_C_INTEG_FLAG;
    if (req & ISC_REQ_USE_DCE_STYLE)
        f |= GSS_C_DCE_STYLE;
    if (req & ISC_REQ_IDENTIFY)
        f |= GSS_C_IDENTIFY_FLAG;
    return f;
}

/* The flags GSSAPI says were negotiated, in SSPI's terms. The mutual flag is
 * only reported once the context is complete: before that it is a request,
 * not a proof. */
ULONG sspix_gss_to_attrs(OM_uint32 g, int server, int complete)
{
    ULONG a = 0;
    if (g & GSS_C_DELEG_FLAG)
        a |= server ? ASC_RET_DELEGATE : ISC_RET_DELEGATE;
    if ((g & GSS_C_MUTUAL_FLAG) && complete)
        a |= server ? ASC_RET_MUTUAL_AUTH : ISC_RET_MUTUAL_AUTH;
    if (g & GSS_C_REPLAY_FLAG)
        a |= server ? ASC_RET_REPLAY_DETECT : ISC_RET_REPLAY_DETECT;
    if (g & GSS_C_SEQUENCE_FLAG)
        a |= server ? ASC_RET_SEQUENCE_DETECT : ISC_RET_SEQUENCE_DETECT;
    if (g & GSS_C_CONF_FLAG)
        a |= server ? ASC_RET_CONFIDENTIALITY : ISC_RET_CONFIDENTIALITY;
    if (g & GSS_C_INTEG_FLAG)
        a |= server ? ASC_RET_INTEGRITY : ISC_RET_INTEGRITY;
    if (g & GSS_C_DCE_STYLE)
        a |= server ? ASC_RET_USED_DCE_STYLE : ISC_RET_USED_DCE_STYLE;
    if (g & GSS_C_IDENTIFY_FLAG)
        a |= server ? ASC_RET_IDENTIFY : ISC_RET_IDENTIFY;
    return a;
}

void sspix_gss_delete_ctx(void *p)
{
    struct sspix_gss_ctx *c = p;
    OM_uint32 minor;
    if (c == NULL)
        return;
    if (c->ctx != GSS_C_NO_CONTEXT)
        gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
    explicit_bzero(c->native_key, sizeof(c->native_key));
    sspix_krb5_native_keys_free(c->native_keys);
    sspix_rfc4121_free(c->r4);
    if (c->target != GSS_C_NO_NAME)
        gss_release_name(&minor, &c->target);
    if (c->deleg != GSS_C_NO_CREDENTIAL)
        gss_release_cred(&minor, &c->deleg);
    free(c->ntlm_users_file);
    free(c->cb_mem);
    free(c->client_name);
    free(c->server_name);
    free(c);
}

static SECURITY_STATUS take_output(gss_buffer_t out, struct sspix_leg *leg)
{
    OM_uint32 minor;
    leg->out = NULL;
    leg->out_len = 0;
    if (out->length == 0) {
        gss_release_buffer(&minor, out);
        return SEC_E_OK;
    }
    leg->out = malloc(out->length);
    if (leg->out == NULL) {
        gss_release_buffer(&minor, out);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    memcpy(leg->out, out->value, out->length);
    leg->out_len = out->length;
    gss_release_buffer(&minor, out);
    return SEC_E_OK;
}

/* Common end of a leg: status, attributes, expiry. */
static SECURITY_STATUS finish_leg(struct sspix_gss_ctx *c, OM_uint32 major, OM_uint32 ret_flags, OM_uint32 lifetime,
                                  gss_OID mech, struct sspix_leg *leg)
{
    int64_t now = (int64_t)time(NULL);
    if (mech != GSS_C_NO_OID)
        c->mech = mech;
    /* gss-ntlmssp's initiator claims GSS_C_MUTUAL_FLAG, but NTLM never
     * authenticates the server: nothing the server sends proves that it
     * knows a secret the client could check. Never pass that claim on as
     * ISC_RET_MUTUAL_AUTH / ASC_RET_MUTUAL_AUTH (DESIGN.md section 2). */
    if (sspix_mech_is_ntlm(c->mech) || c->pkg->id == SSPIX_PKG_NTLM)
        ret_flags &= ~(OM_uint32)GSS_C_MUTUAL_FLAG;
    c->gss_flags = ret_flags;
    if (!(major & GSS_S_CONTINUE_NEEDED)) {
        c->established = 1;
        c->start = now;
        /* Message calls check tokens against it; if GSSAPI cannot say, the
         * first of them reports why. */
        c->protect = sspix_protect_for(c->mech);
        if (c->protect == &sspix_protect_krb5)
            (void)sspix_krb5_learn_format(c, 1);
    }
    c->attrs = sspix_gss_to_attrs(ret_flags, c->server, c->established);
    /* Delegation is reported once there is a credential to use. */
    if (c->server && c->deleg == GSS_C_NO_CREDENTIAL)
        c->attrs &= ~(ULONG)ASC_RET_DELEGATE;
    sspix_expiry_from_lifetime(lifetime, c->server, now, &c->expiry, &leg->expiry);
    leg->attrs = c->attrs;
    return c->established ? SEC_E_OK : SEC_I_CONTINUE_NEEDED;
}

/* Keeps a copy of this leg's channel bindings (NULL: keep the last ones),
 * as GSSAPI takes them; GSSAPI sees them on every later leg too. */
static SECURITY_STATUS keep_bindings(struct sspix_gss_ctx *c, const struct sspix_bindings *cb)
{
    if (cb == NULL)
        return SEC_E_OK;
    size_t total = cb->initiator_len + cb->acceptor_len + cb->app_len; /* each at most the buffer's size */
    uint8_t *mem = malloc(total ? total : 1);
    if (mem == NULL)
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    free(c->cb_mem);
    c->cb_mem = mem;
    c->has_cb = 1;
    uint8_t *p = mem;
    if (cb->initiator_len)
        memcpy(p, cb->initiator, cb->initiator_len);
    c->cb.initiator_addrtype = cb->initiator_type;
    c->cb.initiator_address = (gss_buffer_desc){cb->initiator_len, p};
    p += cb->initiator_len;
    if (cb->acceptor_len)
        memcpy(p, cb->acceptor, cb->acceptor_len);
    c->cb.acceptor_addrtype = cb->acceptor_type;
    c->cb.acceptor_address = (gss_buffer_desc){cb->acceptor_len, p};
    p += cb->acceptor_len;
    if (cb->app_len)
        memcpy(p, cb->app, cb->app_len);
    c->cb.application_data = (gss_buffer_desc){cb->app_len, p};
    return SEC_E_OK;
}

static gss_channel_bindings_t bindings_of(struct sspix_gss_ctx *c)
{
    return c->has_cb ? &c->cb : GSS_C_NO_CHANNEL_BINDINGS;
}

/* A failed leg with channel bindings: what the caller should check. NTLM
 * (gss-ntlmssp) binds application data only, and reports a mismatch as a
 * defective token refused with EACCES. */
static SECURITY_STATUS bindings_failure(struct sspix_gss_ctx *c, int ntlm, OM_uint32 major, OM_uint32 minor,
                                        gss_OID mech, SECURITY_STATUS st)
{
    if (!c->has_cb)
        return st;
    if (ntlm && GSS_ROUTINE_ERROR(major) == GSS_S_DEFECTIVE_TOKEN && sspix_gss_minor_is(minor, mech, EACCES))
        st = sspix_fail(SEC_E_BAD_BINDINGS, "the client's NTLM channel bindings differ from the server's");
    if (st != SEC_E_BAD_BINDINGS)
        return st;
    if (ntlm && (c->cb.initiator_addrtype != 0 || c->cb.initiator_address.length != 0 || c->cb.acceptor_addrtype != 0 ||
                 c->cb.acceptor_address.length != 0 || c->cb.application_data.length == 0))
        return sspix_fail_more(st, "NTLM binds application data only (such as tls-server-end-point): leave the "
                                   "initiator and acceptor addresses empty");
    return sspix_fail_more(st, "both ends must pass the same SEC_CHANNEL_BINDINGS (the same TLS channel: a "
                               "proxy or TLS terminator between them breaks the binding)");
}

/* Before GSSAPI parses the peer's token: the token checks, and the channel bindings kept on the
 * context. On failure a context made by this first leg is deleted. */
static SECURITY_STATUS check_leg_input(struct sspix_gss_ctx *c, int accept, int first, const uint8_t *in, size_t in_len,
                                       const struct sspix_bindings *cb)
{
    SECURITY_STATUS st;
    if ((st = sspix_handshake_check_input(c, accept, first, in, in_len)) != SEC_E_OK ||
        (st = keep_bindings(c, cb)) != SEC_E_OK) {
        if (first)
            sspix_gss_delete_ctx(c);
    }
    return st;
}

SECURITY_STATUS sspix_gss_init(const struct sspix_package *pkg, void *cred_p, void **ctx_p, const char *target,
                               ULONG req, const uint8_t *in, size_t in_len, const struct sspix_bindings *cb,
                               struct sspix_leg *leg)
{
    struct sspix_gss_cred *cred = cred_p;
    struct sspix_gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID actual = GSS_C_NO_OID;
    SECURITY_STATUS st;

    pthread_once(&skew_once, read_clockskew); /* and the profile kept parsed */
    if (cred != NULL && !(cred->use & SECPKG_CRED_OUTBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_INBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_OUTBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        /* NTLM needs no target, but gss-ntlmssp takes host-based names only. */
        st = pkg->id == SSPIX_PKG_NTLM ? sspix_ntlm_server_name(target, &c->target)
                                       : sspix_import_target(target, &c->target);
        if (st != SEC_E_OK) {
            sspix_gss_delete_ctx(c);
            return st;
        }
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The server's token is checked before GSSAPI parses it. */
    if ((st = check_leg_input(c, 0, first, in, in_len, cb)) != SEC_E_OK)
        return st;

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    major = gss_init_sec_context(&minor, cred ? cred->cred : GSS_C_NO_CREDENTIAL, &c->ctx, c->target,
                                 sspix_package_mech(pkg), sspix_isc_to_gss(req), GSS_C_INDEFINITE, bindings_of(c),
                                 in_len ? &input : GSS_C_NO_BUFFER, &actual, &output, &ret_flags, &lifetime);
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        char *t = sspix_name_string(c->target);
        st = sspix_gss_fail("initiating", major, minor, sspix_package_mech(pkg));
        st = bindings_failure(c, pkg->id == SSPIX_PKG_NTLM || c->ntlm_seen, major, minor, sspix_package_mech(pkg), st);
        sspix_fail_more(st, "target %s", t ? t : target ? target : "?");
        free(t);
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }
    *ctx_p = c;
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, actual, leg);
}

/* After a failed NTLM logon: the users file, when it is the cause because it
 * cannot be opened (gss-ntlmssp reports that, and a user the file lacks, as
 * ENOENT alike); NULL otherwise. */
static const char *users_file_unreadable(const struct sspix_gss_ctx *c, OM_uint32 minor, gss_OID mech)
{
    const char *file = c->ntlm_users_file ? c->ntlm_users_file : getenv("NTLM_USER_FILE");
    if (!sspix_gss_minor_is_local(minor, mech) || file == NULL)
        return NULL;
    FILE *f = fopen(file, "re");
    if (f != NULL) {
        fclose(f);
        return NULL;
    }
    return file;
}

/* Whether a Negotiate acceptor's first token is NTLM's: a raw NTLMSSP
 * message, another mechanism's RFC 2743 token with NTLM's OID, or a
 * NegTokenInit whose first (preferred) mechanism is NTLM. The token has
 * passed sspix_handshake_check_input. */
static int first_token_is_ntlm(const uint8_t *in, size_t in_len)
{
    struct sspix_spnego_tok tok;
    char why[8];
    if (sspix_ntlm_msg_is_ntlm(in, in_len))
        return 1;
    if (sspix_spnego_parse(in, in_len, &tok, why, sizeof(why)) < 0)
        return 0;
    return (tok.kind == SSPIX_SPNEGO_INIT || tok.kind == SSPIX_SPNEGO_OTHER) &&
           sspix_spnego_oid_eq(tok.mech, tok.mech_len, sspix_spnego_oid_ntlm, sizeof(sspix_spnego_oid_ntlm));
}

/* A NegTokenInit offering more than one mechanism, the first not NTLM: NTLM
 * may be among the others. */
static int first_token_lists_ntlm(const uint8_t *in, size_t in_len)
{
    struct sspix_spnego_tok tok;
    char why[8];
    return sspix_spnego_parse(in, in_len, &tok, why, sizeof(why)) == 0 && tok.kind == SSPIX_SPNEGO_INIT &&
           tok.mech_count > 1;
}

/* The end of a first leg the native acceptor completed: the context takes
 * what it made (names, protection, key), as a GSSAPI leg would have. */
static SECURITY_STATUS native_accepted(struct sspix_gss_ctx *c, struct sspix_krb5_accepted *nat, void **ctx_p,
                                       struct sspix_leg *leg)
{
    SECURITY_STATUS st;
    if ((st = replay_record(c)) != SEC_E_OK) {
        sspix_krb5_accepted_clear(nat);
        sspix_gss_delete_ctx(c);
        return st;
    }
    OM_uint32 flags = nat->gss_flags;
    int64_t endtime = nat->endtime;
    c->native = 1;
    c->client_name = nat->client;
    c->server_name = nat->server;
    c->native_keys = nat->keys;
    /* SECPKG_ATTR_SESSION_KEY: the acceptor subkey when there is one, as MIT reports it; kept after the keys go to
     * rfc4121.c. */
    int sk = c->native_keys->have_acceptor_subkey ? 1 : 0;
    c->native_enctype = c->native_keys->enctype[sk];
    c->native_key_len = c->native_keys->len[sk];
    memcpy(c->native_key, c->native_keys->key[sk], c->native_key_len);
    leg->out = nat->out;
    leg->out_len = nat->out_len;
    nat->client = nat->server = NULL;
    nat->keys = NULL;
    nat->out = NULL;
    sspix_krb5_accepted_clear(nat);
    if (sspix_krb5_format_init(&c->krb5, c->native_enctype, 0, (flags & GSS_C_MUTUAL_FLAG) != 0) == 0)
        c->krb5_known = 1;
    /* GSSAPI's time_rec for the ticket's end (MIT adds the clock skew as grace; finish_leg takes it off). */
    int64_t now = (int64_t)time(NULL), left = endtime - now + clockskew;
    OM_uint32 lifetime = left <= 0 ? 0 : left >= (int64_t)GSS_C_INDEFINITE ? GSS_C_INDEFINITE - 1 : (OM_uint32)left;
    *ctx_p = c;
    return finish_leg(c, GSS_S_COMPLETE, flags, lifetime, &sspix_oid_krb5, leg);
}

SECURITY_STATUS sspix_gss_accept(const struct sspix_package *pkg, void *cred_p, void **ctx_p, ULONG req,
                                 const uint8_t *in, size_t in_len, const struct sspix_bindings *cb,
                                 struct sspix_leg *leg)
{
    struct sspix_gss_cred *cred = cred_p;
    struct sspix_gss_ctx *c = *ctx_p;
    int first = c == NULL;
    OM_uint32 major, minor, ret_flags = 0, lifetime = 0;
    gss_OID mech = GSS_C_NO_OID;
    gss_cred_id_t deleg = GSS_C_NO_CREDENTIAL;
    SECURITY_STATUS st;

    (void)req;
    pthread_once(&skew_once, read_clockskew); /* and the profile kept parsed */
    if (in_len == 0)
        return sspix_fail(SEC_E_INVALID_TOKEN, "no input token: pass the client's token in a SECBUFFER_TOKEN");
    if (cred != NULL && !(cred->use & SECPKG_CRED_INBOUND))
        return sspix_fail(SEC_E_WRONG_CREDENTIAL_HANDLE, "the credential was acquired for SECPKG_CRED_OUTBOUND only");
    if (first) {
        if (cred == NULL)
            return sspix_fail(SEC_E_NO_CREDENTIALS, "no credential handle: acquire one with SECPKG_CRED_INBOUND");
        c = calloc(1, sizeof(*c));
        if (c == NULL)
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        c->pkg = pkg;
        c->server = 1;
        c->replay_in_process = cred->replay_in_process && pkg->id != SSPIX_PKG_NTLM;
        if (cred->ntlm_users_file != NULL && (c->ntlm_users_file = strdup(cred->ntlm_users_file)) == NULL) {
            free(c);
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        }
    } else if (c->established || c->exported) {
        return sspix_fail(SEC_E_OUT_OF_SEQUENCE, "the context is already complete");
    }
    /* The client's token is checked before GSSAPI parses it. */
    if ((st = check_leg_input(c, 1, first, in, in_len, cb)) != SEC_E_OK)
        return st;
    if (c->replay_in_process && (st = replay_check(c, in, in_len)) != SEC_E_OK) {
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }
    /* A plain Kerberos token: natively, unless the native acceptor declines
     * it (krb5_accept.h); then GSSAPI sees the same token. */
    struct sspix_krb5_accepted nat;
    if (first && cred->native != NULL && !c->has_cb &&
        sspix_krb5_native_accept(cred->native, in, in_len, pkg->id == SSPIX_PKG_NEGOTIATE, &nat))
        return native_accepted(c, &nat, ctx_p, leg);

    gss_buffer_desc input = {in_len, (void *)in};
    gss_buffer_desc output = GSS_C_EMPTY_BUFFER;
    /* Negotiate with NTLM allowed has two acceptor credentials (see
     * sspix_gss_cred.ncred): the first token's mechanism says which one the client
     * wants. If a NegTokenInit's first choice is not NTLM and the Kerberos
     * credential finds no mechanism in it that it takes, the NTLM one gets
     * the same token (NTLM may be a later choice in mechTypes); the first
     * failure is the one reported. A Kerberos token that fails is never
     * retried as NTLM: that would downgrade a refused logon. */
    int two = first && cred != NULL && cred->ncred != GSS_C_NO_CREDENTIAL;
    if (two) {
        c->ntlm_cred = first_token_is_ntlm(in, in_len);
        two = !c->ntlm_cred && first_token_lists_ntlm(in, in_len);
    }
    gss_cred_id_t acceptor = cred == NULL ? GSS_C_NO_CREDENTIAL : c->ntlm_cred ? cred->ncred : cred->cred;
    /* No src_name: MIT makes two krb5_contexts to hand one out and release
     * it. A query that needs the client's name asks then (attrs.c). */
    major = gss_accept_sec_context(&minor, &c->ctx, acceptor, &input, bindings_of(c), NULL, &mech, &output, &ret_flags,
                                   &lifetime, &deleg);
    if (two && sspix_gss_failed(major) && GSS_ROUTINE_ERROR(major) == GSS_S_BAD_MECH) {
        char saved[1024];
        OM_uint32 m2;
        SECURITY_STATUS first_st =
            sspix_gss_fail("accepting", major, minor, mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg));
        sspix_error_save(saved, sizeof(saved));
        gss_release_buffer(&m2, &output);
        if (c->ctx != GSS_C_NO_CONTEXT)
            gss_delete_sec_context(&m2, &c->ctx, GSS_C_NO_BUFFER);
        if (deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &deleg);
        c->ntlm_cred = !c->ntlm_cred;
        mech = GSS_C_NO_OID;
        major = gss_accept_sec_context(&minor, &c->ctx, c->ntlm_cred ? cred->ncred : cred->cred, &input, bindings_of(c),
                                       NULL, &mech, &output, &ret_flags, &lifetime, &deleg);
        if (sspix_gss_failed(major)) {
            gss_release_buffer(&m2, &output);
            if (deleg != GSS_C_NO_CREDENTIAL)
                gss_release_cred(&m2, &deleg);
            sspix_error_restore(saved);
            sspix_gss_delete_ctx(c);
            return first_st;
        }
    }
    if (sspix_gss_failed(major)) {
        OM_uint32 m2;
        if (deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &deleg);
        gss_release_buffer(&m2, &output);
        int ntlm = pkg->id == SSPIX_PKG_NTLM || c->ntlm_cred || c->ntlm_seen || sspix_mech_is_ntlm(c->mech) ||
                   sspix_mech_is_ntlm(mech);
        gss_OID shown = ntlm ? &sspix_oid_ntlm : mech != GSS_C_NO_OID ? mech : sspix_package_mech(pkg);
        st = sspix_gss_fail("accepting", major, minor, shown);
        /* NTLM's AUTHENTICATE message failed. gss-ntlmssp says EINVAL for a
         * wrong password and ENOENT for a user its users file lacks; Windows
         * says SEC_E_LOGON_DENIED to both (and does not tell them apart). A
         * malformed message stays SEC_E_INVALID_TOKEN, and a users file that
         * cannot be opened (ENOENT too, told apart by opening it) stays what
         * it is: the operator's to fix, not the client's password. */
        const char *gone = !first && ntlm ? users_file_unreadable(c, minor, shown) : NULL;
        SECURITY_STATUS bound = bindings_failure(c, ntlm, major, minor, shown, st);
        if (bound == SEC_E_BAD_BINDINGS)
            st = bound;
        else if (gone != NULL)
            sspix_fail_more(st, "NTLM users file %s cannot be opened", gone);
        else if (!first && ntlm && st != SEC_E_INVALID_TOKEN && st != SEC_E_INSUFFICIENT_MEMORY)
            st = sspix_fail_more(SEC_E_LOGON_DENIED, "NTLM logon failed: wrong password, or a user the users file "
                                                     "does not list");
        if (first)
            sspix_gss_delete_ctx(c);
        return st;
    }
    /* A Kerberos logon is complete: its authenticator is recorded now, after
     * GSSAPI verified it, so that only real authenticators take room. */
    if (c->replay_in_process && !(major & GSS_S_CONTINUE_NEEDED) && !c->ntlm_cred &&
        !sspix_mech_is_ntlm(mech != GSS_C_NO_OID ? mech : c->mech) && (st = replay_record(c)) != SEC_E_OK) {
        OM_uint32 m2;
        gss_release_buffer(&m2, &output);
        if (deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&m2, &deleg);
        if (first) {
            sspix_gss_delete_ctx(c);
        } else {
            /* The caller's handle stays until DeleteSecurityContext, unusable. */
            gss_delete_sec_context(&m2, &c->ctx, GSS_C_NO_BUFFER);
            c->exported = 1;
        }
        return st;
    }
    if (deleg != GSS_C_NO_CREDENTIAL) {
        if (c->deleg != GSS_C_NO_CREDENTIAL)
            gss_release_cred(&minor, &c->deleg);
        c->deleg = deleg;
    }
    *ctx_p = c;
    sspix_handshake_note_output(c, output.value, output.length);
    if ((st = take_output(&output, leg)) != SEC_E_OK)
        return st;
    return finish_leg(c, major, ret_flags, lifetime, mech, leg);
}

SECURITY_STATUS sspix_gss_delegated_cred(void *p, const struct sspix_package *pkg, void **cred, TimeStamp *expiry)
{
    struct sspix_gss_ctx *c = p;
    SECURITY_STATUS st;
    if ((st = sspix_gss_ready(c)) != SEC_E_OK)
        return st;
    if (!c->server)
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "only a server context can hold a delegated credential");
    if (c->deleg == GSS_C_NO_CREDENTIAL)
        return sspix_fail(SEC_E_NO_CREDENTIALS,
                          "the client delegated no credential: it must ask for ISC_REQ_DELEGATE with a forwardable "
                          "ticket (kinit -f), and the KDC must allow delegation to this service");
    return sspix_gss_cred_from_tickets(pkg != NULL ? pkg : c->pkg, c->deleg, cred, expiry);
}

enum sspix_package_id sspix_gss_negotiated(void *p, int *complete)
{
    struct sspix_gss_ctx *c = p;
    *complete = c->established;
    if (c->established && sspix_oid_is(c->mech, &sspix_oid_krb5))
        return SSPIX_PKG_KERBEROS;
    if (c->established && sspix_mech_is_ntlm(c->mech))
        return SSPIX_PKG_NTLM;
    return c->pkg->id;
}
