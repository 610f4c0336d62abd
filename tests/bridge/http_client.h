/*
 * http_client: a tiny blocking HTTP/1.1 client for the bridge tests.
 *
 * One connection per request (Connection: close); the response is read up
 * to its Content-Length (or to the close when it has none). http_json is the
 * checked call the suites share: it fails the test unless the answer is
 * complete, has the wanted status and is JSON as the REST contract sends it;
 * http_bearer is who the caller is, and http_token_take the one request every
 * flow starts with.
 */
#ifndef HTTP_CLIENT_H
#define HTTP_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

struct testenv;

struct http_resp {
    int status;
    char head[8192]; /* status line and headers, NUL-terminated */
    char *body;      /* NUL-terminated; free with http_resp_free */
    size_t body_len;
    double elapsed_ms;
};

/* http_request sends method path to 127.0.0.1:port with the extra header lines
 * ("Name: value\r\n"..., may be NULL) and body (may be NULL; sent with Content-Length).
 * Returns 0 with *out filled, or -1 when no complete response arrived within timeout_ms. */
int http_request(int port, const char *method, const char *path, const char *headers,
                 const char *body, int timeout_ms, struct http_resp *out);

/* http_raw sends raw bytes and reads until the server closes or timeout_ms passes; returns
 * the number of bytes read into buf (NUL-terminated) or -1. */
long http_raw(int port, const char *raw, size_t rawlen, char *buf, size_t buflen, int timeout_ms);

/* http_connect opens a TCP connection to 127.0.0.1:port; returns the socket (the caller closes
 * it) or -1. */
int http_connect(int port);

/* http_send sends the n bytes at p on fd; returns 0, or -1 once the peer closed or failed. */
int http_send(int fd, const void *p, size_t n);

/* http_recv waits up to timeout_ms for bytes on fd and reads what came (at most len); returns
 * the count, 0 when the peer closed (or reset) the connection, or -1 when nothing came in
 * time. */
long http_recv(int fd, char *buf, size_t len, int timeout_ms);

/* http_recv_until reads from fd into buf (NUL-terminated, at most len - 1 bytes) until buf
 * holds stop (NULL: until the peer closes), the peer closes or buf is full; returns the bytes
 * read, or -1 when timeout_ms passed first. *closed (may be NULL) says whether the peer
 * closed. */
long http_recv_until(int fd, char *buf, size_t len, const char *stop, int timeout_ms, int *closed);

/* http_resp_parse fills *out (status, head, body: free with http_resp_free) from the response
 * in raw (rawlen bytes, NUL-terminated); returns 0, or -1 when raw holds no complete head or
 * less body than its Content-Length. */
int http_resp_parse(const char *raw, size_t rawlen, struct http_resp *out);

/* http_resp_header copies the value of header name (case-insensitive) into buf; returns buf,
 * or NULL when absent. */
const char *http_resp_header(const struct http_resp *r, const char *name, char *buf, size_t len);

/* http_resp_free frees the body; safe on a zeroed response. */
void http_resp_free(struct http_resp *r);

/* http_json sends method path (as http_request, with a 15 s timeout), fails the test unless a
 * complete response came with status want, Content-Type application/json, Cache-Control
 * no-store, a Content-Length and a JSON body, and returns the parsed body (caller frees with
 * cJSON_Delete). */
cJSON *http_json(int port, const char *method, const char *path, const char *headers,
                 const char *body, int want);

/* http_metric returns the value of the Prometheus line name (with its labels, as printed) of
 * GET /metrics on port; fails the test when the answer or the line is missing. */
long long http_metric(int port, const char *name);

/* http_json_keys fails the test unless obj is an object with exactly the members names
 * (NULL-terminated) names. */
void http_json_keys(const cJSON *obj, const char *const *names);

/* http_error_check fails the test unless r is the error answer {"error":{"code","message"}}
 * (nothing else at the top) with status want and code, whose message mentions mention (when
 * not NULL); a 401 must name the Bearer scheme (WWW-Authenticate) and a 429 say when to try
 * again (Retry-After, whole seconds >= 1). what names the request in failures. */
void http_error_check(const struct http_resp *r, const char *what, int want, const char *code,
                      const char *mention);

/* http_bearer writes the header line "Authorization: Bearer <JWT>\r\n" for user into out: an
 * operator identity token minted with env's key (testenv_jwt), valid for an hour; fails the test
 * when it does not fit. */
void http_bearer(const struct testenv *env, long long user, char *out, size_t len);

/* http_token_take asks for the caller's place in concert's line (POST /api/v1/queue/tokens
 * {"concertId"}, checked as by http_json) with the header lines auth (http_bearer's, or NULL),
 * wanting status want (201 for a new token, 200 for the caller's one again), and returns the
 * token's JSON (caller frees with cJSON_Delete). */
cJSON *http_token_take(int port, const char *auth, long long concert, int want);

#endif
