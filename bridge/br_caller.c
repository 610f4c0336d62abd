/* br_caller: the proof of identity and the client's address of a request (see br_caller.h). */
#include "br_caller.h"

#include "bo_error.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* The prefix of an IPv4-mapped IPv6 address. */
static const unsigned char br_caller_v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int br_caller_ip_parse(const char *s, size_t len, struct br_ip *out)
{
    char text[BR_CALLER_ADDR_MAX];

    memset(out, 0, sizeof(*out));
    if (len == 0 || len >= sizeof(text)) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = AF_INET;
        return BO_OK;
    }
    if (inet_pton(AF_INET6, text, out->bytes) != 1) {
        memset(out, 0, sizeof(*out));
        return BO_E_INVALID_ARGUMENT;
    }
    out->family = AF_INET6;
    if (memcmp(out->bytes, br_caller_v4_mapped, sizeof(br_caller_v4_mapped)) == 0) {
        memmove(out->bytes, out->bytes + 12, 4);
        memset(out->bytes + 4, 0, 12);
        out->family = AF_INET;
    }
    return BO_OK;
}

int br_caller_ip_equal(const struct br_ip *a, const struct br_ip *b)
{
    size_t n = a->family == AF_INET ? 4 : 16;

    return a->family != 0 && a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

void br_caller_ip_format(const struct br_ip *ip, char out[BR_CALLER_ADDR_MAX])
{
    out[0] = '\0';
    if (ip->family == 0 || inet_ntop(ip->family, ip->bytes, out, BR_CALLER_ADDR_MAX) == NULL) {
        out[0] = '\0';
    }
}

/* br_caller_is_token_char tells whether c may be in a token68 before its '=' padding. */
static int br_caller_is_token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~+/", c) != NULL);
}

int br_caller_proof(const char *value, char proof[BO_PROOF_MAX + 1])
{
    static const char scheme[] = "Bearer";
    const char *p;
    size_t n = 0;

    proof[0] = '\0';
    if (value == NULL) {
        return BO_OK;
    }
    if (strncasecmp(value, scheme, sizeof(scheme) - 1) != 0 || value[sizeof(scheme) - 1] != ' ') {
        return BO_E_SESSION_INVALID;
    }
    p = value + sizeof(scheme) - 1;
    while (*p == ' ') {
        p++;
    }
    while (p[n] != '\0' && br_caller_is_token_char(p[n])) {
        n++;
    }
    size_t chars = n;
    while (p[n] == '=') {
        n++;
    }
    size_t end = n;
    while (p[end] == ' ' || p[end] == '\t') {
        end++;
    }
    if (chars == 0 || n > BO_PROOF_MAX || p[end] != '\0') {
        return BO_E_SESSION_INVALID;
    }
    memcpy(proof, p, n);
    proof[n] = '\0';
    return BO_OK;
}

/* br_caller_last_hop finds the last comma-separated element of xff, without the spaces and
 * tabs around it: *len 0 when it is empty. */
static const char *br_caller_last_hop(const char *xff, size_t *len)
{
    const char *start = strrchr(xff, ',');
    const char *end;

    start = start != NULL ? start + 1 : xff;
    while (*start == ' ' || *start == '\t') {
        start++;
    }
    end = start + strlen(start);
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) {
        end--;
    }
    *len = (size_t)(end - start);
    return start;
}

void br_caller_addr(const struct br_ip *trusted, const char *peer, const char *xff,
                    char out[BR_CALLER_ADDR_MAX])
{
    struct br_ip peer_ip;
    struct br_ip hop_ip;
    size_t len;

    if (br_caller_ip_parse(peer, strlen(peer), &peer_ip) != BO_OK) {
        /* civetweb always names the peer by its address; keep whatever it said */
        len = strnlen(peer, BR_CALLER_ADDR_MAX - 1);
        memcpy(out, peer, len);
        out[len] = '\0';
        return;
    }
    if (xff != NULL && br_caller_ip_equal(trusted, &peer_ip)) {
        const char *hop = br_caller_last_hop(xff, &len);
        if (br_caller_ip_parse(hop, len, &hop_ip) == BO_OK) {
            br_caller_ip_format(&hop_ip, out);
            return;
        }
    }
    br_caller_ip_format(&peer_ip, out);
}

int br_caller_read(const struct mg_request_info *ri, const struct br_ip *trusted,
                   struct br_caller *out)
{
    const char *auth = NULL;
    const char *xff = NULL;
    int nauth = 0;

    for (int i = 0; i < ri->num_headers; i++) {
        const char *name = ri->http_headers[i].name;
        if (strcasecmp(name, "Authorization") == 0) {
            auth = ri->http_headers[i].value;
            nauth++;
        } else if (strcasecmp(name, "X-Forwarded-For") == 0) {
            xff = ri->http_headers[i].value; /* the last one holds the last hop */
        }
    }
    out->proof[0] = '\0';
    br_caller_addr(trusted, ri->remote_addr, xff, out->addr);
    if (nauth > 1) {
        return BO_E_SESSION_INVALID;
    }
    return br_caller_proof(auth, out->proof);
}
