/*
 * bo_addr: the one parser of network addresses and URLs every process uses.
 *
 * Two shapes: a listen address ("8080", "127.0.0.1:8080", "[::1]:8080",
 * "localhost:8080") and a URL ("redis://user:secret@host:6379/2",
 * "http://[::1]:8081/base"). Both are checked whole: a port is 1..65535 in
 * decimal digits only, a bracketed host is an IPv6 literal, nothing is
 * silently truncated. Results are copied into fixed buffers of the struct.
 */
#ifndef BO_ADDR_H
#define BO_ADDR_H

#include <stddef.h>

#define BO_ADDR_HOST_MAX 256
#define BO_ADDR_PART_MAX 256

/* A host and port; host is empty when only a port was given ("any address"). */
struct bo_hostport {
    char host[BO_ADDR_HOST_MAX]; /* without IPv6 brackets */
    int port;                    /* 1..65535 */
    int ipv6;                    /* the host was written in brackets */
};

/* A URL split into its parts; absent parts are empty strings, an absent port is 0. */
struct bo_url {
    char scheme[16];                 /* lower-case as written, without "://" */
    char user[BO_ADDR_PART_MAX];     /* percent-decoded */
    char password[BO_ADDR_PART_MAX]; /* percent-decoded */
    int has_password;                /* "user:@" and ":pw@" differ from "user@" */
    char host[BO_ADDR_HOST_MAX];     /* without IPv6 brackets */
    int ipv6;
    int port;                    /* 0 when the URL names none */
    char path[BO_ADDR_PART_MAX]; /* from the first '/' after the authority, "" if none */
};

/* bo_hostport_parse reads s[0..len) as "PORT", "HOST:PORT" or "[V6]:PORT". Returns BO_OK or
 * BO_E_INVALID_ARGUMENT (out is then unspecified). */
__attribute__((warn_unused_result)) int bo_hostport_parse(const char *s, size_t len,
                                                          struct bo_hostport *out);

/* bo_hostport_is_numeric tells whether hp's host is empty, a dotted IPv4 address or an IPv6
 * literal (what a listener that resolves no names accepts). */
int bo_hostport_is_numeric(const struct bo_hostport *hp);

/* bo_url_parse reads "SCHEME://[USER[:PASSWORD]@]HOST[:PORT][/PATH]". The scheme is required;
 * a query or fragment is refused (none of our URLs has one). Returns BO_OK or
 * BO_E_INVALID_ARGUMENT. */
__attribute__((warn_unused_result)) int bo_url_parse(const char *url, struct bo_url *out);

/* bo_port_parse reads a whole decimal port 1..65535 from s[0..len). */
__attribute__((warn_unused_result)) int bo_port_parse(const char *s, size_t len, int *port);

#endif
