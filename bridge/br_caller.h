/*
 * br_caller: who a REST request is made by, as the bridge tells the service:
 * the proof of identity from "Authorization: Bearer <proof>" and the client's
 * address, which is the peer's, or, when the peer is the configured trusted
 * proxy, the last hop of X-Forwarded-For (when that hop is an IP address).
 * Addresses are read with inet_pton and written back in canonical text, so
 * one client is one address however it was spelled. No I/O, no allocation.
 */
#ifndef BR_CALLER_H
#define BR_CALLER_H

#include <stddef.h>

#include "boxoffice/client.h"

struct mg_request_info;

/* Room for an address in canonical text, with its NUL (INET6_ADDRSTRLEN is 46). */
#define BR_CALLER_ADDR_MAX 48

/* An IP address in binary; family is AF_INET or AF_INET6, or 0 for none. An IPv4-mapped IPv6
 * address (::ffff:1.2.3.4) is read as the IPv4 address it maps. */
struct br_ip {
    int family;
    unsigned char bytes[16]; /* the first 4 for AF_INET */
};

/* Who sends a request, as br_caller_read found it. */
struct br_caller {
    char proof[BO_PROOF_MAX + 1];  /* the Bearer text; "" when no Authorization was sent */
    char addr[BR_CALLER_ADDR_MAX]; /* the client's address; "" when the peer's is unknown */
};

/* br_caller_ip_parse reads s[0..len) as an IPv4 or IPv6 address literal (no brackets, port or
 * spaces) into *out. Returns BO_OK, or BO_E_INVALID_ARGUMENT with *out zeroed. */
__attribute__((warn_unused_result)) int br_caller_ip_parse(const char *s, size_t len,
                                                           struct br_ip *out);

/* br_caller_ip_equal tells whether a and b are the same address (never when either is none). */
int br_caller_ip_equal(const struct br_ip *a, const struct br_ip *b);

/* br_caller_ip_format writes ip in canonical text into out (BR_CALLER_ADDR_MAX bytes); "" for
 * none. */
void br_caller_ip_format(const struct br_ip *ip, char out[BR_CALLER_ADDR_MAX]);

/* br_caller_proof reads an Authorization header value (NULL: absent, proof "") into proof
 * (BO_PROOF_MAX + 1 bytes). Returns BO_OK, or BO_E_SESSION_INVALID when the value is not
 * "Bearer <token68>" (the scheme in any case, then spaces, then at most BO_PROOF_MAX characters
 * of letters, digits and -._~+/ with '=' only at the end, then optional spaces). */
__attribute__((warn_unused_result)) int br_caller_proof(const char *value,
                                                        char proof[BO_PROOF_MAX + 1]);

/* br_caller_addr writes the client's address into out: the last comma-separated hop of xff
 * (the last X-Forwarded-For header's value; NULL: none) when peer (civetweb's remote address
 * text) is trusted (not none) and that hop is an IP address, else the peer's. */
void br_caller_addr(const struct br_ip *trusted, const char *peer, const char *xff,
                    char out[BR_CALLER_ADDR_MAX]);

/*
 * br_caller_read fills *out for the request ri (borrowed), trusted being the configured
 * trusted proxy (family 0: none). Returns BO_OK, or BO_E_SESSION_INVALID when the request has
 * an Authorization that br_caller_proof refuses, or more than one.
 */
__attribute__((warn_unused_result)) int br_caller_read(const struct mg_request_info *ri,
                                                       const struct br_ip *trusted,
                                                       struct br_caller *out);

#endif
