/* SPDX-License-Identifier: MIT */
/*
 * heimdal_client.c - a client of MIT's gss-sample protocol (the one
 * /usr/bin/gss-client speaks) on Heimdal's GSSAPI alone: an initiator from
 * another Kerberos implementation than MIT's, for sspix-server --protocol
 * gss-sample. Built against Heimdal's headers and libgssapi only (no MIT
 * header, no sspix code); see cmake/tests-heimdal.cmake and
 * tests/interop/heimdal.py.
 *
 *     heimdal_client [-p PORT] [-s SERVICE@HOST] [-m krb5|spnego] [-n COUNT]
 *                    [-M MSGS] [-e|-i|-u] [-x] [-d] [-q]
 *
 * Per connection to 127.0.0.1:PORT: the NOOP|CONTEXT_NEXT opener, CONTEXT
 * tokens both ways until gss_init_sec_context completes (with mutual
 * authentication the server's AP-REP is verified there), then MSGS messages,
 * each sent as DATA|WRAPPED|ENCRYPTED|SEND_MIC (-e, the default),
 * DATA|WRAPPED|SEND_MIC (-i) or DATA|SEND_MIC unwrapped (-u); the server's
 * MIC reply is verified over the plaintext. An empty NOOP ends the session.
 * Every frame is "u8 flags | u32 big-endian length | token"; a frame from the
 * server longer than 64 KiB is refused before anything is allocated for it.
 *
 * -x asks for no mutual authentication (the server is expected to refuse),
 * -d for delegation (the TGT must be forwarded: GSS_C_DELEG_FLAG comes back),
 * -q prints only the summary line. Exit status 0 only if every connection and
 * every message succeeded.
 */
#include <gssapi/gssapi.h>

#ifndef GSSAPI_GSSAPI_OID
#error "this program is built against Heimdal's gssapi.h (pkg-config heimdal-gssapi) only"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Token flags of the gss-sample protocol (gss-misc.h of MIT's sample). */
#define TOKEN_NOOP         0x01u
#define TOKEN_CONTEXT      0x02u
#define TOKEN_DATA         0x04u
#define TOKEN_MIC          0x08u
#define TOKEN_CONTEXT_NEXT 0x10u
#define TOKEN_WRAPPED      0x20u
#define TOKEN_ENCRYPTED    0x40u
#define TOKEN_SEND_MIC     0x80u

/* The largest frame accepted from the server. */
#define MAX_TOKEN (64u * 1024u)
/* Seconds a read or write may take before the connection counts as failed. */
#define IO_TIMEOUT 30

enum wrap_mode { WRAP_ENCRYPT, WRAP_INTEGRITY, WRAP_NONE };

struct options {
    uint16_t port;
    const char *service;
    const char *mech_name;
    gss_OID mech;
    unsigned long connections, messages;
    enum wrap_mode wrap;
    int no_mutual, delegate, quiet;
};

static void usage(FILE *f)
{
    fprintf(f, "usage: heimdal_client -p PORT [-s SERVICE@HOST] [-m krb5|spnego] [-n COUNT] [-M MSGS]\n"
               "                      [-e|-i|-u] [-x] [-d] [-q]\n"
               "  -p PORT          sspix-server (or gss-server) on 127.0.0.1:PORT\n"
               "  -s SERVICE@HOST  target, a host-based service name (default host@localhost)\n"
               "  -m krb5|spnego   the mechanism (default krb5)\n"
               "  -n COUNT         connections, one after the other (default 1)\n"
               "  -M MSGS          messages per connection (default 1)\n"
               "  -e / -i / -u     wrap with confidentiality (default) / integrity only / send unwrapped\n"
               "  -x               no mutual authentication (the server should refuse)\n"
               "  -d               request delegation (the TGT must be forwarded)\n"
               "  -q               print only the summary line\n");
}

/* One gss_display_status chain (major or minor code). */
static void print_status_chain(OM_uint32 code, int type, gss_OID mech)
{
    OM_uint32 minor, ctx = 0;
    do {
        gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
        if (GSS_ERROR(gss_display_status(&minor, code, type, mech, &ctx, &text))) {
            fprintf(stderr, "    (status %u, not displayable)\n", (unsigned)code);
            return;
        }
        fprintf(stderr, "    %.*s\n", (int)(text.length > INT_MAX ? INT_MAX : text.length), (const char *)text.value);
        gss_release_buffer(&minor, &text);
    } while (ctx != 0);
}

static void gss_complain(const char *conn, const char *what, OM_uint32 major, OM_uint32 minor, gss_OID mech)
{
    fprintf(stderr, "heimdal_client: %s: %s failed:\n", conn, what);
    print_status_chain(major, GSS_C_GSS_CODE, GSS_C_NO_OID);
    if (minor != 0)
        print_status_chain(minor, GSS_C_MECH_CODE, mech);
}

static int write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* 0, or -1 with *eof set when the server closed before len bytes came. */
static int read_all(int fd, void *buf, size_t len, int *eof)
{
    uint8_t *p = buf;
    *eof = 0;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            *eof = 1;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* strerror(errno) after a failed send or receive, in the words the test drivers look for when the server
 * is gone (a close with our data unread arrives as a reset). */
static const char *io_error(int eof)
{
    if (eof)
        return "the server closed the connection";
    if (errno == EPIPE || errno == ECONNRESET)
        return "the server closed the connection (reset)";
    return strerror(errno);
}

static int send_token(int fd, uint8_t flags, const void *tok, size_t len)
{
    uint8_t hdr[5];
    if (len > UINT32_MAX)
        return -1;
    hdr[0] = flags;
    hdr[1] = (uint8_t)(len >> 24);
    hdr[2] = (uint8_t)(len >> 16);
    hdr[3] = (uint8_t)(len >> 8);
    hdr[4] = (uint8_t)len;
    if (write_all(fd, hdr, sizeof(hdr)) < 0)
        return -1;
    return len > 0 ? write_all(fd, tok, len) : 0;
}

/* One frame from the server into *tok (malloc'd, freed by the caller); on
 * failure a message naming conn and what was expected, and -1. */
static int recv_token(int fd, const char *conn, const char *what, uint8_t *flags, gss_buffer_desc *tok)
{
    uint8_t hdr[5];
    int eof;
    tok->value = NULL;
    tok->length = 0;
    if (read_all(fd, hdr, sizeof(hdr), &eof) < 0) {
        fprintf(stderr, "heimdal_client: %s: %s: %s\n", conn, what, io_error(eof));
        return -1;
    }
    uint32_t len = (uint32_t)hdr[1] << 24 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 8 | hdr[4];
    if (len > MAX_TOKEN) {
        fprintf(stderr, "heimdal_client: %s: %s: the server announced a %u-byte token (limit %u)\n", conn, what,
                (unsigned)len, MAX_TOKEN);
        return -1;
    }
    *flags = hdr[0];
    if (len == 0)
        return 0;
    uint8_t *p = malloc(len);
    if (p == NULL) {
        fprintf(stderr, "heimdal_client: %s: out of memory\n", conn);
        return -1;
    }
    if (read_all(fd, p, len, &eof) < 0) {
        fprintf(stderr, "heimdal_client: %s: %s: %s inside a %u-byte token\n", conn, what, io_error(eof),
                (unsigned)len);
        free(p);
        return -1;
    }
    tok->value = p;
    tok->length = len;
    return 0;
}

static void free_token(gss_buffer_desc *tok)
{
    free(tok->value);
    tok->value = NULL;
    tok->length = 0;
}

static int connect_server(uint16_t port, const char *conn)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "heimdal_client: %s: socket: %s\n", conn, strerror(errno));
        return -1;
    }
    struct timeval tv = {IO_TIMEOUT, 0};
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
        fprintf(stderr, "heimdal_client: %s: connect to 127.0.0.1:%u: %s\n", conn, (unsigned)port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void print_flags(OM_uint32 flags)
{
    static const struct {
        OM_uint32 bit;
        const char *name;
    } names[] = {
        {GSS_C_DELEG_FLAG, "DELEG"},   {GSS_C_MUTUAL_FLAG, "MUTUAL"},
        {GSS_C_REPLAY_FLAG, "REPLAY"}, {GSS_C_SEQUENCE_FLAG, "SEQUENCE"},
        {GSS_C_CONF_FLAG, "CONF"},     {GSS_C_INTEG_FLAG, "INTEG"},
        {GSS_C_ANON_FLAG, "ANON"},     {GSS_C_PROT_READY_FLAG, "PROT_READY"},
        {GSS_C_TRANS_FLAG, "TRANS"},
    };
    const char *sep = "";
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (flags & names[i].bit) {
            printf("%s%s", sep, names[i].name);
            sep = "|";
        }
    }
    printf("\n");
}

/* "context: SOURCE -> TARGET (mech), flags: ..." for the first connection. */
static void print_context(gss_ctx_id_t ctx, OM_uint32 flags)
{
    OM_uint32 major, minor;
    gss_name_t src = GSS_C_NO_NAME, targ = GSS_C_NO_NAME;
    gss_buffer_desc s = GSS_C_EMPTY_BUFFER, t = GSS_C_EMPTY_BUFFER;
    major = gss_inquire_context(&minor, ctx, &src, &targ, NULL, NULL, NULL, NULL, NULL);
    if (!GSS_ERROR(major)) {
        (void)gss_display_name(&minor, src, &s, NULL);
        (void)gss_display_name(&minor, targ, &t, NULL);
        printf("context: \"%.*s\" -> \"%.*s\"\n", (int)(s.length > INT_MAX ? INT_MAX : s.length),
               s.value ? (const char *)s.value : "", (int)(t.length > INT_MAX ? INT_MAX : t.length),
               t.value ? (const char *)t.value : "");
    }
    gss_release_buffer(&minor, &s);
    gss_release_buffer(&minor, &t);
    gss_release_name(&minor, &src);
    gss_release_name(&minor, &targ);
    printf("flags: ");
    print_flags(flags);
}

/* The handshake: 0 with *ctx established, or -1 with a message. */
static int establish(const struct options *o, int fd, const char *conn, gss_name_t target, gss_ctx_id_t *ctx,
                     OM_uint32 *ret_flags)
{
    OM_uint32 req = GSS_C_REPLAY_FLAG | GSS_C_SEQUENCE_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG;
    if (!o->no_mutual)
        req |= GSS_C_MUTUAL_FLAG;
    if (o->delegate)
        req |= GSS_C_DELEG_FLAG;
    if (send_token(fd, TOKEN_NOOP | TOKEN_CONTEXT_NEXT, NULL, 0) < 0) {
        fprintf(stderr, "heimdal_client: %s: sending the opener: %s\n", conn, io_error(0));
        return -1;
    }
    gss_buffer_desc in = GSS_C_EMPTY_BUFFER;
    for (unsigned leg = 1;; leg++) {
        OM_uint32 minor;
        gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
        gss_OID actual = GSS_C_NO_OID;
        OM_uint32 major =
            gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, ctx, target, o->mech, req, 0, GSS_C_NO_CHANNEL_BINDINGS,
                                 leg == 1 ? GSS_C_NO_BUFFER : &in, &actual, &out, ret_flags, NULL);
        free_token(&in);
        if (out.length > 0) {
            int r = send_token(fd, TOKEN_CONTEXT, out.value, out.length);
            OM_uint32 m2;
            gss_release_buffer(&m2, &out);
            if (r < 0) {
                fprintf(stderr, "heimdal_client: %s: sending context token %u: %s\n", conn, leg, io_error(0));
                return -1;
            }
        }
        if (GSS_ERROR(major)) {
            gss_complain(conn, "gss_init_sec_context", major, minor, o->mech);
            return -1;
        }
        if (!(major & GSS_S_CONTINUE_NEEDED))
            break;
        uint8_t flags = 0;
        if (recv_token(fd, conn, "waiting for the server's context token", &flags, &in) < 0)
            return -1;
        if (!(flags & TOKEN_CONTEXT)) {
            fprintf(stderr, "heimdal_client: %s: the server sent flags 0x%02x instead of a context token\n", conn,
                    flags);
            free_token(&in);
            return -1;
        }
    }
    if (!o->no_mutual && !(*ret_flags & GSS_C_MUTUAL_FLAG)) {
        fprintf(stderr, "heimdal_client: %s: the context completed without mutual authentication\n", conn);
        return -1;
    }
    if (o->delegate && !(*ret_flags & GSS_C_DELEG_FLAG)) {
        fprintf(stderr,
                "heimdal_client: %s: delegation was asked for but no credential was forwarded "
                "(is the TGT forwardable?)\n",
                conn);
        return -1;
    }
    if (o->wrap == WRAP_ENCRYPT && !(*ret_flags & GSS_C_CONF_FLAG)) {
        fprintf(stderr, "heimdal_client: %s: the context offers no confidentiality\n", conn);
        return -1;
    }
    return 0;
}

/* One message and its MIC reply: 0 or -1 with a message. */
static int exchange(const struct options *o, int fd, const char *conn, gss_ctx_id_t ctx, unsigned long conn_no,
                    unsigned long msg_no)
{
    OM_uint32 major, minor, m2;
    char text[128];
    int n = snprintf(text, sizeof(text), "heimdal message %lu of connection %lu", msg_no, conn_no);
    gss_buffer_desc plain = {(size_t)n, text};
    gss_buffer_desc wrapped = GSS_C_EMPTY_BUFFER;
    uint8_t flags = TOKEN_DATA | TOKEN_SEND_MIC;
    int r;

    if (o->wrap == WRAP_NONE) {
        r = send_token(fd, flags, plain.value, plain.length);
    } else {
        int conf_req = o->wrap == WRAP_ENCRYPT, conf_state = 0;
        major = gss_wrap(&minor, ctx, conf_req, GSS_C_QOP_DEFAULT, &plain, &conf_state, &wrapped);
        if (GSS_ERROR(major)) {
            gss_complain(conn, "gss_wrap", major, minor, o->mech);
            return -1;
        }
        if (conf_state != conf_req) {
            fprintf(stderr, "heimdal_client: %s: gss_wrap gave conf_state %d for conf_req %d\n", conn, conf_state,
                    conf_req);
            gss_release_buffer(&m2, &wrapped);
            return -1;
        }
        flags |= TOKEN_WRAPPED;
        if (conf_req)
            flags |= TOKEN_ENCRYPTED;
        r = send_token(fd, flags, wrapped.value, wrapped.length);
        gss_release_buffer(&m2, &wrapped);
    }
    if (r < 0) {
        fprintf(stderr, "heimdal_client: %s: sending message %lu: %s\n", conn, msg_no, io_error(0));
        return -1;
    }

    gss_buffer_desc mic = GSS_C_EMPTY_BUFFER;
    uint8_t rflags = 0;
    if (recv_token(fd, conn, "waiting for the server's MIC", &rflags, &mic) < 0)
        return -1;
    if (rflags != TOKEN_MIC || mic.length == 0) {
        fprintf(stderr,
                "heimdal_client: %s: message %lu: the server replied with flags 0x%02x and %zu bytes, "
                "not a MIC\n",
                conn, msg_no, rflags, mic.length);
        free_token(&mic);
        return -1;
    }
    gss_qop_t qop = 0;
    major = gss_verify_mic(&minor, ctx, &plain, &mic, &qop);
    free_token(&mic);
    if (major != GSS_S_COMPLETE) {
        gss_complain(conn, "gss_verify_mic of the server's reply", major, minor, o->mech);
        return -1;
    }
    return 0;
}

/* One connection: 0 if the handshake and every message succeeded. */
static int one_connection(const struct options *o, gss_name_t target, unsigned long conn_no)
{
    char conn[64];
    snprintf(conn, sizeof(conn), "connection %lu", conn_no);
    int fd = connect_server(o->port, conn);
    if (fd < 0)
        return -1;
    gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
    OM_uint32 ret_flags = 0, minor;
    int rc = establish(o, fd, conn, target, &ctx, &ret_flags);
    if (rc == 0 && conn_no == 1 && !o->quiet)
        print_context(ctx, ret_flags);
    for (unsigned long m = 1; rc == 0 && m <= o->messages; m++)
        rc = exchange(o, fd, conn, ctx, conn_no, m);
    if (rc == 0) {
        /* The empty NOOP ends the session; the server then closes. */
        if (send_token(fd, TOKEN_NOOP, NULL, 0) < 0) {
            fprintf(stderr, "heimdal_client: %s: sending the closing NOOP: %s\n", conn, io_error(0));
            rc = -1;
        } else {
            uint8_t b;
            int eof;
            (void)shutdown(fd, SHUT_WR);
            if (read_all(fd, &b, 1, &eof) == 0) {
                fprintf(stderr, "heimdal_client: %s: the server sent data after the closing NOOP\n", conn);
                rc = -1;
            }
        }
    }
    if (ctx != GSS_C_NO_CONTEXT)
        (void)gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    close(fd);
    return rc;
}

static int parse_count(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || *s == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {0, "host@localhost", "krb5", GSS_KRB5_MECHANISM, 1, 1, WRAP_ENCRYPT, 0, 0, 0};
    unsigned long port = 0;
    int opt;
    /* Lines in order when stdout and stderr go to the same pipe. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    while ((opt = getopt(argc, argv, "p:s:m:n:M:eiuxdqh")) != -1) {
        switch (opt) {
        case 'p':
            if (parse_count(optarg, 65535, &port) < 0 || port == 0) {
                fprintf(stderr, "heimdal_client: bad port '%s'\n", optarg);
                return 2;
            }
            o.port = (uint16_t)port;
            break;
        case 's': o.service = optarg; break;
        case 'm':
            if (strcmp(optarg, "krb5") == 0)
                o.mech = GSS_KRB5_MECHANISM;
            else if (strcmp(optarg, "spnego") == 0)
                o.mech = GSS_SPNEGO_MECHANISM;
            else {
                fprintf(stderr, "heimdal_client: unknown mechanism '%s' (krb5 or spnego)\n", optarg);
                return 2;
            }
            o.mech_name = optarg;
            break;
        case 'n':
            if (parse_count(optarg, 1000000, &o.connections) < 0 || o.connections == 0) {
                fprintf(stderr, "heimdal_client: bad connection count '%s'\n", optarg);
                return 2;
            }
            break;
        case 'M':
            if (parse_count(optarg, 1000000, &o.messages) < 0) {
                fprintf(stderr, "heimdal_client: bad message count '%s'\n", optarg);
                return 2;
            }
            break;
        case 'e': o.wrap = WRAP_ENCRYPT; break;
        case 'i': o.wrap = WRAP_INTEGRITY; break;
        case 'u': o.wrap = WRAP_NONE; break;
        case 'x': o.no_mutual = 1; break;
        case 'd': o.delegate = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || o.port == 0) {
        usage(stderr);
        return 2;
    }

    OM_uint32 major, minor;
    gss_buffer_desc svc = {strlen(o.service), (void *)(uintptr_t)o.service};
    gss_name_t target = GSS_C_NO_NAME;
    major = gss_import_name(&minor, &svc, GSS_C_NT_HOSTBASED_SERVICE, &target);
    if (GSS_ERROR(major)) {
        gss_complain(o.service, "gss_import_name", major, minor, GSS_C_NO_OID);
        return 1;
    }

    unsigned long failed = 0;
    for (unsigned long i = 1; i <= o.connections; i++) {
        if (one_connection(&o, target, i) < 0)
            failed++;
    }
    (void)gss_release_name(&minor, &target);

    static const char *const wrap_names[] = {"encrypted", "integrity-only", "unwrapped"};
    if (failed == 0) {
        printf("heimdal_client: %lu connection(s) to %s (%s, %s messages), %lu message(s) each: "
               "every MIC verified\n",
               o.connections, o.service, o.mech_name, wrap_names[o.wrap], o.messages);
        return 0;
    }
    printf("heimdal_client: %lu of %lu connection(s) to %s (%s, %s messages) failed\n", failed, o.connections,
           o.service, o.mech_name, wrap_names[o.wrap]);
    return 1;
}
