/* SPDX-License-Identifier: MIT */
/*
 * attrs.c - QueryContextAttributes for the GSSAPI-backed packages (the
 * dispatcher answers PACKAGE_INFO and NEGOTIATION_INFO itself).
 */
#include "packages/gss_internal.h"

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <ctype.h>
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

static SECURITY_STATUS require_established(const struct sspix_gss_ctx *c)
{
    if (!c->established)
        return sspix_fail(SEC_E_NO_CONTEXT, "the handshake is not complete yet");
    return SEC_E_OK;
}

/* Header (with the rotated trailer, the Windows TOKEN layout) and padding of
 * an encrypted message, and the size of a MIC token. */
static SECURITY_STATUS protection_sizes(struct sspix_gss_ctx *c, ULONG *header, ULONG *padding, ULONG *mic)
{
    OM_uint32 major, minor;
    if (sspix_mech_is_ntlm(c->mech)) {
        /* Fixed by MS-NLMP: a 16-byte signature, RC4 needs no padding. */
        *header = *mic = SSPIX_NTLM_SIGNATURE;
        *padding = 0;
        return SEC_E_OK;
    }
    if (c->native && c->krb5_known) {
        /* RFC 4121 with the trailer rotated into the header: the token
         * header, the confounder, the encrypted copy of the header and the
         * checksum; no padding (EC 0). MIT's sizes for the same key
         * (test_krb5_native compares them). */
        *header = (ULONG)(16u + c->krb5.confounder + 16u + c->krb5.cksum);
        *padding = 0;
        *mic = (ULONG)sspix_krb5_mic_size(&c->krb5);
        return SEC_E_OK;
    }
    gss_iov_buffer_desc iov[3] = {{GSS_IOV_BUFFER_TYPE_HEADER, {0, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_DATA, {1, NULL}},
                                  {GSS_IOV_BUFFER_TYPE_PADDING, {0, NULL}}};
    major = gss_wrap_iov_length(&minor, c->ctx, 1, GSS_C_QOP_DEFAULT, NULL, iov, 3);
    if (GSS_ERROR(major))
        return sspix_gss_fail("computing message sizes", major, minor, c->mech);
    *header = (ULONG)iov[0].buffer.length;
    *padding = (ULONG)iov[2].buffer.length;
    gss_iov_buffer_desc mic_iov[2] = {{GSS_IOV_BUFFER_TYPE_DATA, {1, NULL}},
                                      {GSS_IOV_BUFFER_TYPE_MIC_TOKEN, {0, NULL}}};
    major = gss_get_mic_iov_length(&minor, c->ctx, GSS_C_QOP_DEFAULT, mic_iov, 2);
    if (GSS_ERROR(major))
        return sspix_gss_fail("computing signature size", major, minor, c->mech);
    *mic = (ULONG)mic_iov[1].buffer.length;
    return SEC_E_OK;
}

/*
 * The display forms of the client's and (server != NULL) the server's names,
 * malloc'ed for the caller. GSSAPI is asked once per context, on the first
 * query that needs a name (AcceptSecurityContext does not ask: MIT makes two
 * krb5_contexts for every name it hands out and releases), and its answer is
 * kept on the context for later queries.
 */
static SECURITY_STATUS query_names(struct sspix_gss_ctx *c, char **client, char **server)
{
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
    int want_server = server != NULL && c->server_name == NULL;
    if (c->client_name == NULL || want_server) {
        /* gss-ntlmssp crashes copying an acceptor's own name that has no SPN
         * (ours never has one, see sspix_ntlm_acceptor_name): an NTLM server
         * context reports this machine's host name as its own. */
        int ntlm_acceptor = c->server && sspix_mech_is_ntlm(c->mech);
        major = gss_inquire_context(&minor, c->ctx, c->client_name == NULL ? &src : NULL,
                                    want_server && !ntlm_acceptor ? &targ : NULL, NULL, NULL, NULL, NULL, NULL);
        if (GSS_ERROR(major))
            return sspix_gss_fail("inquiring the context", major, minor, c->mech);
        if (c->client_name == NULL)
            c->client_name = sspix_name_string(src);
        if (want_server && ntlm_acceptor) {
            char host[256] = "";
            gethostname(host, sizeof(host) - 1);
            c->server_name = sspix_dup_bytes(host, strlen(host));
        } else if (want_server) {
            c->server_name = sspix_name_string(targ);
        }
        if (src != GSS_C_NO_NAME)
            gss_release_name(&minor, &src);
        if (targ != GSS_C_NO_NAME)
            gss_release_name(&minor, &targ);
    }
    if (c->client_name == NULL || (server != NULL && c->server_name == NULL))
        return sspix_fail(SEC_E_NO_CONTEXT, "the peer names are not known yet");
    *client = strdup(c->client_name);
    if (server != NULL)
        *server = strdup(c->server_name);
    if (*client == NULL || (server != NULL && *server == NULL)) {
        free(*client);
        if (server != NULL)
            free(*server);
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    return SEC_E_OK;
}

/*
 * SECPKG_ATTR_KEY_INFO. MIT returns the session key's enctype as the last arc
 * of a second OID (1.2.840.113554.1.2.2.4.<enctype>) next to the key. The
 * algorithm numbers are Windows' (KERB_ETYPE_*, KERB_CHECKSUM_*, CALG_RC4).
 */
struct key_info_row {
    int enctype;
    ULONG key_bits, sig_alg, enc_alg;
    const char *sig_name, *enc_name;
};

static const struct key_info_row key_info_rows[] = {
    {17, 128, 15, 17, "HMAC-SHA1-96-AES128", "AES-128-CTS-HMAC-SHA1-96"},
    {18, 256, 16, 18, "HMAC-SHA1-96-AES256", "AES-256-CTS-HMAC-SHA1-96"},
    {19, 128, 19, 19, "HMAC-SHA256-128-AES128", "AES-128-CTS-HMAC-SHA256-128"},
    {20, 256, 20, 20, "HMAC-SHA384-192-AES256", "AES-256-CTS-HMAC-SHA384-192"},
    {23, 128, 0xFFFFFF76u, 23, "HMAC-MD5", "RC4-HMAC"},
};

static SECURITY_STATUS key_info_fill(SecPkgContext_KeyInfoA *k, ULONG bits, ULONG sig_alg, ULONG enc_alg,
                                     const char *sig, const char *enc)
{
    k->sSignatureAlgorithmName = sspix_dup_bytes(sig, strlen(sig));
    k->sEncryptAlgorithmName = sspix_dup_bytes(enc, strlen(enc));
    if (k->sSignatureAlgorithmName == NULL || k->sEncryptAlgorithmName == NULL) {
        free(k->sSignatureAlgorithmName);
        free(k->sEncryptAlgorithmName);
        k->sSignatureAlgorithmName = k->sEncryptAlgorithmName = NULL;
        return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
    }
    k->KeySize = bits;
    k->SignatureAlgorithm = sig_alg;
    k->EncryptAlgorithm = enc_alg;
    return SEC_E_OK;
}

static SECURITY_STATUS query_key_info(struct sspix_gss_ctx *c, SecPkgContext_KeyInfoA *k)
{
    static const uint8_t enctype_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x04};
    gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
    OM_uint32 major, minor;
    int enctype = -1;

    if (sspix_mech_is_ntlm(c->mech)) /* MS-NLMP sealing: RC4 with an HMAC-MD5 checksum, 128-bit keys */
        return key_info_fill(k, 128, 0xFFFFFF76u /* KERB_CHECKSUM_HMAC_MD5 */, 0x6801 /* CALG_RC4 */, "HMAC-MD5",
                             "RC4");
    if (c->native) {
        enctype = c->native_enctype;
        goto found;
    }
    major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
    if (GSS_ERROR(major) || set == GSS_C_NO_BUFFER_SET)
        return sspix_gss_fail("reading the session key type", major, minor, c->mech);
    if (set->count >= 2 && set->elements[1].length == sizeof(enctype_oid) + 1 &&
        memcmp(set->elements[1].value, enctype_oid, sizeof(enctype_oid)) == 0)
        enctype = ((const uint8_t *)set->elements[1].value)[sizeof(enctype_oid)];
    gss_release_buffer_set(&minor, &set);
found:
    for (size_t i = 0; i < sizeof(key_info_rows) / sizeof(key_info_rows[0]); i++)
        if (key_info_rows[i].enctype == enctype)
            return key_info_fill(k, key_info_rows[i].key_bits, key_info_rows[i].sig_alg, key_info_rows[i].enc_alg,
                                 key_info_rows[i].sig_name, key_info_rows[i].enc_name);
    return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "the session key's encryption type (%d) has no SSPI name", enctype);
}

SECURITY_STATUS sspix_gss_query_ctx(void *p, ULONG attr, void *buffer)
{
    struct sspix_gss_ctx *c = p;
    OM_uint32 major, minor;
    SECURITY_STATUS st;

    switch (attr) {
    case SECPKG_ATTR_FLAGS: ((SecPkgContext_Flags *)buffer)->Flags = c->attrs; return SEC_E_OK;
    case SECPKG_ATTR_NAMES: {
        char *client = NULL;
        if ((st = require_established(c)) != SEC_E_OK || (st = query_names(c, &client, NULL)) != SEC_E_OK)
            return st;
        ((SecPkgContext_NamesA *)buffer)->sUserName = client;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_NATIVE_NAMES: {
        char *client = NULL, *server = NULL;
        if ((st = require_established(c)) != SEC_E_OK || (st = query_names(c, &client, &server)) != SEC_E_OK)
            return st;
        ((SecPkgContext_NativeNamesA *)buffer)->sClientName = client;
        ((SecPkgContext_NativeNamesA *)buffer)->sServerName = server;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_LIFESPAN: {
        SecPkgContext_Lifespan *l = buffer;
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        sspix_unix_to_timestamp(c->start, &l->tsStart);
        sspix_unix_to_timestamp(c->expiry, &l->tsExpiry);
        return SEC_E_OK;
    }
    case SECPKG_ATTR_SIZES: {
        SecPkgContext_Sizes *s = buffer;
        ULONG header, padding, mic;
        if ((st = require_established(c)) != SEC_E_OK ||
            (st = protection_sizes(c, &header, &padding, &mic)) != SEC_E_OK)
            return st;
        s->cbMaxToken = sspix_mech_is_ntlm(c->mech) ? SSPIX_NTLM_MAX_TOKEN : c->pkg->max_token;
        s->cbMaxSignature = mic;
        /* AES-CTS and RC4 need no padding; Windows' NTLM says 0, and
         * Kerberos callers divide by it, so Kerberos says 1. */
        s->cbBlockSize = padding > 0 ? padding : sspix_mech_is_ntlm(c->mech) ? 0 : 1;
        s->cbSecurityTrailer = header;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_STREAM_SIZES: {
        SecPkgContext_StreamSizes *s = buffer;
        ULONG header, padding, mic;
        if ((st = require_established(c)) != SEC_E_OK ||
            (st = protection_sizes(c, &header, &padding, &mic)) != SEC_E_OK)
            return st;
        if (sspix_mech_is_ntlm(c->mech)) {
            /* A SECBUFFER_STREAM for NTLM is gss_wrap's output: sealed data,
             * then the signature. */
            s->cbHeader = 0;
            s->cbTrailer = SSPIX_NTLM_SIGNATURE;
            s->cbMaximumMessage = 64u * 1024u * 1024u;
            s->cBuffers = 2;
            s->cbBlockSize = 0;
            return SEC_E_OK;
        }
        /* DecryptMessage(STREAM) takes a whole RFC 4121 wrap token: the
         * header (with the rotated trailer) before the data, padding after. */
        s->cbHeader = header;
        s->cbTrailer = padding;
        s->cbMaximumMessage = 0x7FFFFFFFu - header - padding;
        s->cBuffers = 4;
        s->cbBlockSize = padding > 0 ? padding : 1;
        return SEC_E_OK;
    }
    case SECPKG_ATTR_KEY_INFO:
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        return query_key_info(c, buffer);
    case SECPKG_ATTR_SESSION_KEY: {
        gss_buffer_set_t set = GSS_C_NO_BUFFER_SET;
        if ((st = require_established(c)) != SEC_E_OK)
            return st;
        if (c->native) {
            SecPkgContext_SessionKey *nk = buffer;
            nk->SessionKey = malloc(c->native_key_len ? c->native_key_len : 1);
            if (nk->SessionKey == NULL)
                return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
            memcpy(nk->SessionKey, c->native_key, c->native_key_len);
            nk->SessionKeyLength = (ULONG)c->native_key_len;
            return SEC_E_OK;
        }
        major = gss_inquire_sec_context_by_oid(&minor, c->ctx, GSS_C_INQ_SSPI_SESSION_KEY, &set);
        if (GSS_ERROR(major) || set == GSS_C_NO_BUFFER_SET || set->count < 1)
            return sspix_gss_fail("reading the session key", major, minor, c->mech);
        SecPkgContext_SessionKey *k = buffer;
        k->SessionKey = malloc(set->elements[0].length ? set->elements[0].length : 1);
        if (k->SessionKey == NULL) {
            gss_release_buffer_set(&minor, &set);
            return sspix_fail(SEC_E_INSUFFICIENT_MEMORY, "out of memory");
        }
        memcpy(k->SessionKey, set->elements[0].value, set->elements[0].length);
        k->SessionKeyLength = (ULONG)set->elements[0].length;
        gss_release_buffer_set(&minor, &set);
        return SEC_E_OK;
    }
    default:
        return sspix_fail(SEC_E_UNSUPPORTED_FUNCTION, "context attribute %u is not supported by %s", (unsigned)attr,
                          c->pkg->name);
    }
}
