/* SPDX-License-Identifier: MIT */
/*
 * handshake.h - drive a client and a server context to completion in one
 * process, through the SSPI function table, as two peers would over a wire.
 */
#ifndef SSPIX_TEST_HANDSHAKE_H
#define SSPIX_TEST_HANDSHAKE_H

#include <string.h>

#include <sspix/sspix.h>

struct hs {
    CtxtHandle client, server;
    int have_client, have_server;
    ULONG client_attrs, server_attrs;
    TimeStamp client_expiry, server_expiry;
    SECURITY_STATUS client_status, server_status;
    int legs;
    /* The first token the client sent, kept for replay tests. */
    unsigned char first_token[65536];
    ULONG first_token_len;
};

#define HS_ISC_REQ                                                                                                     \
    (ISC_REQ_MUTUAL_AUTH | ISC_REQ_CONFIDENTIALITY | ISC_REQ_INTEGRITY | ISC_REQ_REPLAY_DETECT |                       \
     ISC_REQ_SEQUENCE_DETECT)
#define HS_ASC_REQ                                                                                                     \
    (ASC_REQ_MUTUAL_AUTH | ASC_REQ_CONFIDENTIALITY | ASC_REQ_INTEGRITY | ASC_REQ_REPLAY_DETECT |                       \
     ASC_REQ_SEQUENCE_DETECT)

/* Runs the loop; returns SEC_E_OK when both sides completed, else the first
 * failing status (hs->client_status / server_status say which). */
static inline SECURITY_STATUS hs_run(PSecurityFunctionTableA t, CredHandle *ccred, CredHandle *scred,
                                     const char *target, ULONG isc_req, ULONG asc_req, struct hs *hs)
{
    unsigned char c2s[65536], s2c[65536];
    ULONG c2s_len = 0, s2c_len = 0;
    int client_done = 0, server_done = 0;
    memset(hs, 0, sizeof(*hs));
    hs->client_status = hs->server_status = SEC_I_CONTINUE_NEEDED;

    for (int round = 0; round < 10 && !(client_done && server_done); round++) {
        if (!client_done) {
            SecBuffer in_b = {s2c_len, SECBUFFER_TOKEN, s2c}, out_b = {sizeof(c2s), SECBUFFER_TOKEN, c2s};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_b}, out = {SECBUFFER_VERSION, 1, &out_b};
            SECURITY_STATUS st = t->InitializeSecurityContext(
                ccred, hs->have_client ? &hs->client : NULL, (SEC_CHAR *)target, isc_req, 0, SECURITY_NATIVE_DREP,
                hs->have_client ? &in : NULL, 0, &hs->client, &out, &hs->client_attrs, &hs->client_expiry);
            hs->client_status = st;
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_client = 1;
            hs->legs++;
            c2s_len = out_b.cbBuffer;
            if (round == 0 && c2s_len <= sizeof(hs->first_token)) {
                memcpy(hs->first_token, c2s, c2s_len);
                hs->first_token_len = c2s_len;
            }
            client_done = st == SEC_E_OK;
            s2c_len = 0;
        }
        if (c2s_len > 0) {
            SecBuffer in_b = {c2s_len, SECBUFFER_TOKEN, c2s}, out_b = {sizeof(s2c), SECBUFFER_TOKEN, s2c};
            SecBufferDesc in = {SECBUFFER_VERSION, 1, &in_b}, out = {SECBUFFER_VERSION, 1, &out_b};
            SECURITY_STATUS st = t->AcceptSecurityContext(scred, hs->have_server ? &hs->server : NULL, &in, asc_req,
                                                          SECURITY_NATIVE_DREP, &hs->server, &out, &hs->server_attrs,
                                                          &hs->server_expiry);
            hs->server_status = st;
            if (!SEC_SUCCESS(st))
                return st;
            hs->have_server = 1;
            hs->legs++;
            server_done = st == SEC_E_OK;
            s2c_len = out_b.cbBuffer;
            c2s_len = 0;
            if (s2c_len == 0 && !client_done && server_done)
                break; /* server done, nothing for the client: the client would hang */
        }
    }
    return (client_done && server_done) ? SEC_E_OK : SEC_E_INTERNAL_ERROR;
}

static inline void hs_free(PSecurityFunctionTableA t, struct hs *hs)
{
    if (hs->have_client)
        t->DeleteSecurityContext(&hs->client);
    if (hs->have_server)
        t->DeleteSecurityContext(&hs->server);
    hs->have_client = hs->have_server = 0;
}

#endif
