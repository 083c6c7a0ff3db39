/* SPDX-License-Identifier: MIT */
/*
 * client_opts.h - sspix-client's command line: the options and their
 * checks. A bad command line prints why and exits with
 * SSPIX_CLIENT_EXIT_USAGE; --help prints the usage and exits 0.
 */
#ifndef SSPIX_CLIENT_OPTS_H
#define SSPIX_CLIENT_OPTS_H

#include "client/conv.h"

#define PROG         "sspix-client"
#define PASSWORD_MAX 1024

struct client_opts {
    const char *host;
    unsigned port;
    const char *spn;
    char spn_buf[1100];
    const char *package;
    const char *user, *domain, *password_file;
    enum sspix_client_mode mode;
    const char *message;
    long long size; /* -1: not given */
    unsigned long count;
    unsigned long connections;
    unsigned long parallel;
    int load;
    unsigned threads;
    double timeout;
    unsigned long max_message;
    int allow_no_mutual;
    int quiet;
    int gss;                         /* --protocol gss-sample */
    int no_wrap, no_encrypt, no_mic; /* gss-client's -nw, -nx, -nm */
    double hold;                     /* load, echo: seconds each session idles once authenticated */
};

/* Fills *o from argv, defaults included; returns only when the command line is usable. */
void client_parse_opts(int argc, char **argv, struct client_opts *o);

#endif
