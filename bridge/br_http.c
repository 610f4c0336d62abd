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

/* Room kept in front of every body for the status line and headers; a head that does not
 * fit (a long Location) goes out through a buffer of its own size. */
#define BR_HTTP_HEAD 512

static const char br_http_oom[] =
    "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
    "Content-Length: 55\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
    "{\"error\":{\"code\":\"INTERNAL\",\"message\":\"out of memory\"}}";

static const char br_http_continue[] = "HTTP/1.1 100 Continue\r\n\r\n";

static const char br_http_close[] = "Connection: close\r\n";

struct br_buf *br_http_begin(struct br_req *r)
{
    br_buf_reset(&r->t->out, BR_HTTP_HEAD);
    return &r->t->out;
}

void br_http_begin_json(struct br_req *r, struct br_json *j)
{
    br_json_init(j, br_http_begin(r));
}

/* br_http_chunked tells whether the request's body comes chunked (civetweb refuses any other
 * Transfer-Encoding but identity before the request reaches the bridge). */
static int br_http_chunked(const struct br_req *r)
{
    const char *te = br_http_header(r, "Transfer-Encoding");

    return te != NULL && strcasecmp(te, "identity") != 0;
}

/* br_http_expects tells whether an HTTP/1.1 client waits for "100 Continue" before its body. */
static int br_http_expects(const struct br_req *r)
{
    const char *e = br_http_header(r, "Expect");

    return e != NULL && strcasecmp(e, "100-continue") == 0 && r->ri->http_version != NULL &&
           strcmp(r->ri->http_version, "1.1") == 0;
}

/* br_http_closing tells whether the connection must close after the answer: the body is left
 * unread and reading the rest would hold the thread (chunked, of unknown size; past the limit;
 * never coming, since the client waits for a 100 Continue it will not get) or is broken. */
static int br_http_closing(const struct br_req *r)
{
    long long declared = r->ri->content_length;

    switch (r->body_state) {
    case BR_HTTP_BODY_READ:
        return 0;
    case BR_HTTP_BODY_CUT:
        return 1;
    default:
        break;
    }
    if (br_http_chunked(r)) {
        return 1;
    }
    if (declared <= 0) {
        return 0;
    }
    return declared > r->t->shared->cfg->max_body_bytes || br_http_expects(r);
}

/* The parts of an answer's head. */
struct br_http_head {
    int status;
    const char *content_type;
    size_t body_len;
    const char *extra;   /* header lines, or "" */
    const char *extra2;  /* more header lines, or "" */
    const char *closing; /* "Connection: close\r\n", or "" */
};

/* br_http_head_print writes h's status line and headers, as snprintf does (its return). */
static int br_http_head_print(char *out, size_t len, const struct br_http_head *h)
{
    return snprintf(out, len,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                    "Cache-Control: no-store\r\n%s%s%s\r\n",
                    h->status, br_status_reason(h->status), h->content_type, h->body_len, h->extra,
                    h->extra2, h->closing);
}

/* br_http_send_hdr is br_http_send with two lists of extra header lines (each may be NULL). */
static int br_http_send_hdr(struct br_req *r, int status, const char *content_type,
                            const char *extra, const char *extra2)
{
    struct br_buf *b = &r->t->out;
    struct br_http_head h = {status,
                             content_type != NULL ? content_type : "application/json",
                             0,
                             extra != NULL ? extra : "",
                             extra2 != NULL ? extra2 : "",
                             ""};
    char head[BR_HTTP_HEAD + 1];
    const char *body;
    int hlen;

    if (br_http_closing(r)) {
        h.closing = br_http_close;
        mg_disable_connection_keep_alive(r->conn); /* civetweb then leaves the rest unread */
    }
    if (b->failed || b->head != BR_HTTP_HEAD) {
        goto oom;
    }
    body = br_buf_content(b, &h.body_len);
    if ((hlen = br_http_head_print(head, sizeof(head), &h)) < 0) {
        goto oom;
    }
    if ((size_t)hlen <= BR_HTTP_HEAD) {
        /* The headers go right in front of the body: one buffer, one write. */
        char *start = b->data + BR_HTTP_HEAD - hlen;
        memcpy(start, head, (size_t)hlen);
        mg_write(r->conn, start, (size_t)hlen + h.body_len);
        return status;
    }
    /* A head longer than the room in front: head and body in a buffer of their own size. */
    char *whole = malloc((size_t)hlen + 1 + h.body_len);
    if (whole == NULL) {
        goto oom;
    }
    br_http_head_print(whole, (size_t)hlen + 1, &h);
    memcpy(whole + hlen, body, h.body_len);
    mg_write(r->conn, whole, (size_t)hlen + h.body_len);
    free(whole);
    return status;
oom:
    mg_disable_connection_keep_alive(r->conn);
    mg_write(r->conn, br_http_oom, sizeof(br_http_oom) - 1);
    return 500;
}

int br_http_send(struct br_req *r, int status, const char *content_type, const char *extra_headers)
{
    return br_http_send_hdr(r, status, content_type, extra_headers, NULL);
}

void br_http_end(struct br_req *r)
{
    cJSON_Delete(r->json);
    r->json = NULL;
    if (r->t != NULL) {
        br_buf_trim(&r->t->out); /* the answer is sent: a big one's memory goes now */
    }
}

/* The seats an error names (br_http_error_seats); none for the others. */
struct br_http_seats {
    const uint32_t *seat_nos;
    size_t n;
};

/* br_http_verror is br_http_error_hdr naming seats, with its arguments in ap. */
__attribute__((format(printf, 5, 0))) static int br_http_verror(struct br_req *r, int err,
                                                                const char *extra,
                                                                struct br_http_seats seats,
                                                                const char *fmt, va_list ap)
{
    static const char challenge[] = "WWW-Authenticate: Bearer\r\n";
    char msg[512];
    struct br_json j;
    int status = br_status_http(err);

    if (fmt != NULL) {
        vsnprintf(msg, sizeof(msg), fmt, ap);
    } else {
        snprintf(msg, sizeof(msg), "%s", br_status_message(err));
    }
    br_http_begin_json(r, &j);
    br_status_error_json_seats(&j, err, msg, seats.seat_nos, seats.n);
    /* RFC 7235: every 401 names the scheme that would do */
    return br_http_send_hdr(r, status, NULL, extra, status == 401 ? challenge : NULL);
}

int br_http_error(struct br_req *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = br_http_verror(r, err, NULL, (struct br_http_seats){NULL, 0}, fmt, ap);
    va_end(ap);
    return status;
}

int br_http_error_hdr(struct br_req *r, int err, const char *extra_headers, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = br_http_verror(r, err, extra_headers, (struct br_http_seats){NULL, 0}, fmt, ap);
    va_end(ap);
    return status;
}

int br_http_error_seats(struct br_req *r, int err, const uint32_t *seat_nos, size_t n,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = br_http_verror(r, err, NULL, (struct br_http_seats){seat_nos, n}, fmt, ap);
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

/* br_http_body_cut answers a body that broke off after n bytes: a chunked one malformed or cut
 * short (civetweb does not tell which), one of a declared length ended (closed) or stalled
 * (request-timeout-ms) early. */
static int br_http_body_cut(struct br_req *r, size_t n)
{
    if (br_http_chunked(r)) {
        return br_http_error(r, BO_E_MALFORMED_REQUEST,
                             "the chunked request body is malformed: a bad chunk size line, a "
                             "chunk not ended by CRLF, or the body cut short");
    }
    return br_http_error(r, BO_E_MALFORMED_REQUEST,
                         "the request body stopped after %zu of its %lld bytes (the connection "
                         "closed, or nothing came for %lld ms)",
                         n, r->ri->content_length,
                         (long long)r->t->shared->cfg->request_timeout_ms);
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
    /* The length is fine (or not known yet: chunked): a client waiting for leave may send. */
    if ((declared > 0 || br_http_chunked(r)) && br_http_expects(r)) {
        mg_write(r->conn, br_http_continue, sizeof(br_http_continue) - 1);
    }
    r->body_state = BR_HTTP_BODY_CUT; /* until read to its end */
    /* Read one byte past the cap to tell "exactly max" from "too large" (chunked bodies). */
    for (;;) {
        int got = mg_read(r->conn, r->t->body + n, max + 1 - n);
        if (got == 0) {
            break;
        }
        if (got < 0) {
            return br_http_body_cut(r, n);
        }
        n += (size_t)got;
        if (n > max) {
            return br_http_error(r, BO_E_TOO_LARGE,
                                 "the request body is larger than %zu bytes, the most accepted",
                                 max);
        }
    }
    r->body_state = BR_HTTP_BODY_READ;
    r->t->body[n] = '\0';
    *body = r->t->body;
    *len = n;
    return 0;
}
