/* bo_addr: listen addresses and URLs parsed in one place (see bo_addr.h). */
#include "bo_addr.h"

#include "bo_error.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>

int bo_port_parse(const char *s, size_t len, int *port)
{
    int v = 0;

    if (len == 0 || len > 5) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return BO_E_INVALID_ARGUMENT;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535) {
        return BO_E_INVALID_ARGUMENT;
    }
    *port = v;
    return BO_OK;
}

/* bo_addr_copy copies s[0..len) into out (size outlen) as a string; refuses NUL bytes and what does
 * not fit. */
static int bo_addr_copy(const char *s, size_t len, char *out, size_t outlen)
{
    if (len >= outlen || memchr(s, '\0', len) != NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return BO_OK;
}

static int bo_addr_hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* bo_addr_decode percent-decodes s[0..len) into out (size outlen). */
static int bo_addr_decode(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '%') {
            int hi, lo;
            if (i + 2 >= len || (hi = bo_addr_hexval(s[i + 1])) < 0 ||
                (lo = bo_addr_hexval(s[i + 2])) < 0) {
                return BO_E_INVALID_ARGUMENT;
            }
            ch = (char)(hi * 16 + lo);
            i += 2;
        }
        if (ch == '\0' || o + 1 >= outlen) {
            return BO_E_INVALID_ARGUMENT;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    return BO_OK;
}

/* bo_addr_host_ok tells whether h[0..len) can be a host name or IPv4 address. */
static int bo_addr_host_ok(const char *h, size_t len)
{
    if (len == 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_') {
            return 0;
        }
    }
    return 1;
}

/* bo_addr_authority parses "HOST[:PORT]" or "[V6][:PORT]" from s[0..len); port_required says
 * whether a port must be there. */
static int bo_addr_authority(const char *s, size_t len, int port_required, char *host,
                             size_t hostlen, int *ipv6, int *port)
{
    const char *colon;
    size_t hlen;
    char v6[sizeof(struct in6_addr)];

    *port = 0;
    *ipv6 = 0;
    if (len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (close == NULL) {
            return BO_E_INVALID_ARGUMENT;
        }
        hlen = (size_t)(close - s - 1);
        if (bo_addr_copy(s + 1, hlen, host, hostlen) != BO_OK ||
            inet_pton(AF_INET6, host, v6) != 1) {
            return BO_E_INVALID_ARGUMENT;
        }
        *ipv6 = 1;
        colon = close + 1 < s + len ? close + 1 : NULL;
        if (colon != NULL && *colon != ':') {
            return BO_E_INVALID_ARGUMENT;
        }
    } else {
        colon = memchr(s, ':', len);
        hlen = (size_t)((colon != NULL ? colon : s + len) - s);
        if (!bo_addr_host_ok(s, hlen) || bo_addr_copy(s, hlen, host, hostlen) != BO_OK) {
            return BO_E_INVALID_ARGUMENT;
        }
    }
    if (colon != NULL) {
        return bo_port_parse(colon + 1, (size_t)(s + len - colon - 1), port);
    }
    return port_required ? BO_E_INVALID_ARGUMENT : BO_OK;
}

int bo_hostport_parse(const char *s, size_t len, struct bo_hostport *out)
{
    if (s == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    if (memchr(s, ':', len) == NULL && memchr(s, '[', len) == NULL) {
        return bo_port_parse(s, len, &out->port);
    }
    return bo_addr_authority(s, len, 1, out->host, sizeof(out->host), &out->ipv6, &out->port);
}

int bo_hostport_is_numeric(const struct bo_hostport *hp)
{
    struct in_addr v4;

    return hp->host[0] == '\0' || hp->ipv6 || inet_pton(AF_INET, hp->host, &v4) == 1;
}

int bo_url_parse(const char *url, struct bo_url *out)
{
    const char *sep, *auth, *end, *at = NULL;
    size_t slen;

    if (url == NULL || (sep = strstr(url, "://")) == NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof(*out));
    slen = (size_t)(sep - url);
    if (slen == 0 || bo_addr_copy(url, slen, out->scheme, sizeof(out->scheme)) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < slen; i++) {
        unsigned char c = (unsigned char)url[i];
        if (!isalnum(c) && c != '+' && c != '-' && c != '.') {
            return BO_E_INVALID_ARGUMENT;
        }
        out->scheme[i] = (char)tolower(c);
    }
    auth = sep + 3;
    end = auth + strcspn(auth, "/?#");
    if (*end == '?' || *end == '#' || strpbrk(end, "?#") != NULL) {
        return BO_E_INVALID_ARGUMENT;
    }
    for (const char *p = auth; p < end; p++) {
        if (*p == '@') {
            at = p; /* the last '@': a password may hold an encoded one only */
        }
    }
    if (at != NULL) {
        const char *colon = memchr(auth, ':', (size_t)(at - auth));
        size_t ulen = (size_t)((colon != NULL ? colon : at) - auth);
        if (bo_addr_decode(auth, ulen, out->user, sizeof(out->user)) != BO_OK) {
            return BO_E_INVALID_ARGUMENT;
        }
        if (colon != NULL) {
            out->has_password = 1;
            if (bo_addr_decode(colon + 1, (size_t)(at - colon - 1), out->password,
                               sizeof(out->password)) != BO_OK) {
                return BO_E_INVALID_ARGUMENT;
            }
        }
        auth = at + 1;
    }
    if (bo_addr_authority(auth, (size_t)(end - auth), 0, out->host, sizeof(out->host), &out->ipv6,
                          &out->port) != BO_OK) {
        return BO_E_INVALID_ARGUMENT;
    }
    return bo_addr_copy(end, strlen(end), out->path, sizeof(out->path));
}
