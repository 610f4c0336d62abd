/* br_http: body reading, one-write responses, JSON errors (see br_http.h). */
#include "br_http.h"

#include "br_config.h"
#include "br_json.h"
#include "br_status.h"

#include <cjson/cJSON.h>
#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Room kept in front of every body for the status line and headers. */
#define BR_HTTP_HEAD 512

static const char br_http_oom[] =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
    "Content-Length: 55\r\nCache-Control: no-store\r\n\r\n"
    "{\"error\":{\"code\":\"INTERNAL\",\"message\":\"out of memory\"}}";

struct br_buf *br_http_begin(struct br_req *r)
{
    br_buf_reset(&r->t->out, BR_HTTP_HEAD);
    return &r->t->out;
}

void br_http_begin_json(struct br_req *r, struct br_json *j)
{
    br_json_init(j, br_http_begin(r));
}

int br_http_send(struct br_req *r, int status, const char *content_type, const char *extra_headers)
{
    struct br_buf *b = &r->t->out;
    char head[BR_HTTP_HEAD + 1];
    size_t blen;
    int hlen;

    if (b->failed || b->head != BR_HTTP_HEAD) {
        mg_write(r->conn, br_http_oom, sizeof(br_http_oom) - 1);
        return 500;
    }
    br_buf_content(b, &blen);
    hlen = snprintf(head, sizeof(head),
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                    "Cache-Control: no-store\r\n%s\r\n",
                    status, br_status_reason(status),
                    content_type != NULL ? content_type : "application/json", blen,
                    extra_headers != NULL ? extra_headers : "");
    if (hlen < 0 || (size_t)hlen > BR_HTTP_HEAD) {
        mg_write(r->conn, br_http_oom, sizeof(br_http_oom) - 1);
        return 500;
    }
    /* The headers go right in front of the body: one buffer, one write. */
    char *start = b->data + BR_HTTP_HEAD - hlen;
    memcpy(start, head, (size_t)hlen);
    mg_write(r->conn, start, (size_t)hlen + blen);
    return status;
}

void br_http_end(struct br_req *r)
{
    cJSON_Delete(r->json);
    r->json = NULL;
}

static int br_http_verror(struct br_req *r, int err, const char *extra, const char *fmt, va_list ap)
{
    static const char challenge[] = "WWW-Authenticate: Bearer\r\n";
    char headers[256];
    char msg[512];
    struct br_json j;
    int status = br_status_http(err);

    if (fmt != NULL) {
        vsnprintf(msg, sizeof(msg), fmt, ap);
    } else {
        snprintf(msg, sizeof(msg), "%s", br_status_message(err));
    }
    if (status == 401) { /* RFC 7235: every 401 names the scheme that would do */
        snprintf(headers, sizeof(headers), "%s%s", extra != NULL ? extra : "", challenge);
        extra = headers;
    }
    br_http_begin_json(r, &j);
    br_status_error_json(&j, err, msg);
    return br_http_send(r, status, NULL, extra);
}

int br_http_error(struct br_req *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = br_http_verror(r, err, NULL, fmt, ap);
    va_end(ap);
    return status;
}

int br_http_error_hdr(struct br_req *r, int err, const char *extra_headers, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = br_http_verror(r, err, extra_headers, fmt, ap);
    va_end(ap);
    return status;
}

const char *br_http_header(const struct br_req *r, const char *name)
{
    return mg_get_header(r->conn, name);
}

/* br_http_is_json tells whether a Content-Type value is application/json (any parameters). */
static int br_http_is_json(const char *ct)
{
    static const char json[] = "application/json";
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    if (strncasecmp(ct, json, sizeof(json) - 1) != 0) {
        return 0;
    }
    ct += sizeof(json) - 1;
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    return *ct == '\0' || *ct == ';';
}

int br_http_body(struct br_req *r, const char **body, size_t *len)
{
    size_t max = (size_t)r->t->shared->cfg->max_body_bytes;
    const char *ct = br_http_header(r, "Content-Type");
    long long declared = r->ri->content_length;
    size_t n = 0;

    if (ct != NULL && !br_http_is_json(ct)) {
        return br_http_error(r, BR_E_UNSUPPORTED_MEDIA_TYPE,
                             "the request body must be sent as Content-Type: application/json, "
                             "not '%.100s'",
                             ct);
    }
    if (declared > (long long)max) {
        return br_http_error(r, BO_E_TOO_LARGE,
                             "the request body is %lld bytes; at most %zu are accepted", declared,
                             max);
    }
    if (r->t->body == NULL && (r->t->body = malloc(max + 1)) == NULL) {
        return br_http_error(r, BO_E_NOMEM, NULL);
    }
    /* Read one byte past the cap to tell "exactly max" from "too large" (chunked bodies). */
    for (;;) {
        int got = mg_read(r->conn, r->t->body + n, max + 1 - n);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
        if (n > max) {
            return br_http_error(r, BO_E_TOO_LARGE,
                                 "the request body is larger than %zu bytes, the most accepted",
                                 max);
        }
    }
    r->t->body[n] = '\0';
    *body = r->t->body;
    *len = n;
    return 0;
}
