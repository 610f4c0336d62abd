/* http_client: blocking HTTP/1.1 for tests (see http_client.h). */
#include "http_client.h"

#include "support_json.h"
#include "testenv.h"

#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int http_connect(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int http_send(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* http_recv_some reads what is there within the deadline; returns bytes, 0 on close (or a reset),
 * -1 when the deadline passed. */
static ssize_t http_recv_some(int fd, char *buf, size_t len, double deadline)
{
    for (;;) {
        double left = deadline - http_now_ms();
        struct pollfd pfd = {fd, POLLIN, 0};
        if (left <= 0) {
            return -1;
        }
        int rc = poll(&pfd, 1, (int)left + 1);
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            return -1;
        }
        ssize_t got = recv(fd, buf, len, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        return got < 0 ? 0 : got; /* a reset is the end too */
    }
}

long http_recv(int fd, char *buf, size_t len, int timeout_ms)
{
    return (long)http_recv_some(fd, buf, len, http_now_ms() + timeout_ms);
}

long http_recv_until(int fd, char *buf, size_t len, const char *stop, int timeout_ms, int *closed)
{
    double deadline = http_now_ms() + timeout_ms;
    size_t n = 0;
    int end = 0;

    buf[0] = '\0';
    while (n + 1 < len && (stop == NULL || strstr(buf, stop) == NULL)) {
        ssize_t got = http_recv_some(fd, buf + n, len - 1 - n, deadline);
        if (got < 0) {
            return -1;
        }
        if (got == 0) {
            end = 1;
            break;
        }
        n += (size_t)got;
        buf[n] = '\0';
    }
    if (closed != NULL) {
        *closed = end;
    }
    return (long)n;
}

int http_resp_parse(const char *raw, size_t rawlen, struct http_resp *out)
{
    const char *end = strstr(raw, "\r\n\r\n");
    char value[32];
    size_t head_len;

    memset(out, 0, sizeof(*out));
    if (end == NULL || (head_len = (size_t)(end - raw) + 4) >= sizeof(out->head)) {
        return -1;
    }
    memcpy(out->head, raw, head_len);
    out->head[head_len] = '\0';
    if (sscanf(raw, "HTTP/1.%*d %d", &out->status) != 1) {
        return -1;
    }
    out->body_len = rawlen - head_len;
    if (http_resp_header(out, "Content-Length", value, sizeof(value)) != NULL) {
        size_t want = (size_t)atoll(value);
        if (want > out->body_len) {
            return -1;
        }
        out->body_len = want;
    }
    if ((out->body = malloc(out->body_len + 1)) == NULL) {
        return -1;
    }
    memcpy(out->body, raw + head_len, out->body_len);
    out->body[out->body_len] = '\0';
    return 0;
}

long http_raw(int port, const char *raw, size_t rawlen, char *buf, size_t buflen, int timeout_ms)
{
    double deadline = http_now_ms() + timeout_ms;
    size_t n = 0;
    int fd = http_connect(port);

    if (fd < 0) {
        return -1;
    }
    if (http_send(fd, raw, rawlen) != 0) {
        /* The server may answer before reading everything; still read what came. */
    }
    while (n + 1 < buflen) {
        ssize_t got = http_recv_some(fd, buf + n, buflen - 1 - n, deadline);
        if (got <= 0) {
            break;
        }
        n += (size_t)got;
    }
    buf[n] = '\0';
    close(fd);
    return (long)n;
}

int http_request(int port, const char *method, const char *path, const char *headers,
                 const char *body, int timeout_ms, struct http_resp *out)
{
    double start = http_now_ms();
    double deadline = start + timeout_ms;
    size_t body_len = body != NULL ? strlen(body) : 0;
    size_t reqcap = 1024 + strlen(path) + (headers != NULL ? strlen(headers) : 0) + body_len;
    char *req = malloc(reqcap);
    size_t cap = 65536;
    char *buf = malloc(cap);
    size_t n = 0;
    size_t head_len = 0;
    long long content_length = -1;
    int fd = -1;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (req == NULL || buf == NULL) {
        goto done;
    }
    int len =
        snprintf(req, reqcap, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s",
                 method, path, port, headers != NULL ? headers : "");
    if (body != NULL) {
        len += snprintf(req + len, reqcap - (size_t)len, "Content-Length: %zu\r\n", body_len);
    }
    len += snprintf(req + len, reqcap - (size_t)len, "\r\n");
    if (body != NULL) {
        memcpy(req + len, body, body_len);
        len += (int)body_len;
    }
    if ((fd = http_connect(port)) < 0) {
        goto done;
    }
    if (http_send(fd, req, (size_t)len) != 0) {
        /* Read anyway: the server may have answered early (413) and closed its side. */
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                goto done;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t got = http_recv_some(fd, buf + n, cap - 1 - n, deadline);
        if (got < 0) {
            goto done;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
        buf[n] = '\0';
        if (head_len == 0) {
            char *end = strstr(buf, "\r\n\r\n");
            if (end == NULL) {
                continue;
            }
            head_len = (size_t)(end - buf) + 4;
            if (head_len >= sizeof(out->head)) {
                goto done;
            }
            memcpy(out->head, buf, head_len);
            out->head[head_len] = '\0';
            char value[32];
            if (http_resp_header(out, "Content-Length", value, sizeof(value)) != NULL) {
                content_length = atoll(value);
            }
        }
        if (content_length >= 0 && n >= head_len + (size_t)content_length) {
            break;
        }
    }
    if (head_len == 0 || http_resp_parse(buf, n, out) != 0) {
        goto done;
    }
    out->elapsed_ms = http_now_ms() - start;
    rc = 0;
done:
    if (fd >= 0) {
        close(fd);
    }
    free(req);
    free(buf);
    return rc;
}

const char *http_resp_header(const struct http_resp *r, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    const char *line = strstr(r->head, "\r\n");

    while (line != NULL && line[2] != '\r' && line[2] != '\0') {
        line += 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            while (*v == ' ') {
                v++;
            }
            size_t vlen = strcspn(v, "\r\n");
            if (vlen >= len) {
                vlen = len - 1;
            }
            memcpy(buf, v, vlen);
            buf[vlen] = '\0';
            return buf;
        }
        line = strstr(line, "\r\n");
    }
    return NULL;
}

void http_resp_free(struct http_resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* http_json_header fails the test (what names the request) unless r has header name, of value
 * want when want is not NULL. */
static void http_json_header(const struct http_resp *r, const char *what, const char *name,
                             const char *want)
{
    char v[128];

    ck_assert_msg(http_resp_header(r, name, v, sizeof(v)) != NULL &&
                      (want == NULL || strcmp(v, want) == 0),
                  "%s: %s is not %s", what, name, want != NULL ? want : "there");
}

cJSON *http_json(int port, const char *method, const char *path, const char *headers,
                 const char *body, int want)
{
    struct http_resp r;
    char what[512];

    snprintf(what, sizeof(what), "%s %s", method, path);
    ck_assert_msg(http_request(port, method, path, headers, body, 15000, &r) == 0,
                  "%s: no complete HTTP response", what);
    ck_assert_msg(r.status == want, "%s: want %d, got %d %s", what, want, r.status, r.body);
    http_json_header(&r, what, "Content-Type", "application/json");
    http_json_header(&r, what, "Cache-Control", "no-store");
    http_json_header(&r, what, "Content-Length", NULL);
    cJSON *json = support_json_parse(r.body, what);
    http_resp_free(&r);
    return json;
}

long long http_metric(int port, const char *name)
{
    struct http_resp r;
    size_t n = strlen(name);

    ck_assert_msg(http_request(port, "GET", "/metrics", NULL, NULL, 15000, &r) == 0,
                  "GET /metrics: no complete HTTP response");
    ck_assert_int_eq(r.status, 200);
    for (const char *line = r.body; line != NULL && *line != '\0';) {
        if (strncmp(line, name, n) == 0 && line[n] == ' ') {
            long long v = atoll(line + n + 1);
            http_resp_free(&r);
            return v;
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    http_resp_free(&r);
    ck_abort_msg("GET /metrics has no %s", name);
    return -1;
}

void http_bearer(const struct testenv *env, long long user, char *out, size_t len)
{
    char jwt[1024];

    ck_assert_msg(testenv_jwt(env, (uint64_t)user, 0, jwt, sizeof(jwt)) == 0,
                  "cannot mint an identity token for user %lld", user);
    int n = snprintf(out, len, "Authorization: Bearer %s\r\n", jwt);
    ck_assert_msg(n > 0 && (size_t)n < len, "no room for user %lld's Authorization", user);
}

cJSON *http_token_take(int port, const char *auth, long long concert, int want)
{
    char body[128];
    char headers[1200];

    snprintf(body, sizeof(body), "{\"concertId\":%lld}", concert);
    snprintf(headers, sizeof(headers), "%sContent-Type: application/json\r\n",
             auth != NULL ? auth : "");
    return http_json(port, "POST", "/api/v1/queue/tokens", headers, body, want);
}

void http_error_check(const struct http_resp *r, const char *what, int want, const char *code,
                      const char *mention)
{
    char v[128];

    ck_assert_msg(r->status == want, "%s: want %d, got %d %s", what, want, r->status, r->body);
    ck_assert_msg(http_resp_header(r, "Content-Type", v, sizeof(v)) != NULL &&
                      strcmp(v, "application/json") == 0,
                  "%s: not JSON", what);
    if (want == 401) {
        ck_assert_msg(http_resp_header(r, "WWW-Authenticate", v, sizeof(v)) != NULL &&
                          strcmp(v, "Bearer") == 0,
                      "%s: a 401 without WWW-Authenticate: Bearer", what);
    }
    if (want == 429) {
        ck_assert_msg(http_resp_header(r, "Retry-After", v, sizeof(v)) != NULL &&
                          strspn(v, "0123456789") == strlen(v) && atoi(v) >= 1,
                      "%s: a 429 without Retry-After seconds", what);
    }
    cJSON *json = support_json_parse(r->body, what);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(json, "error");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    ck_assert_msg(cJSON_IsString(c) && cJSON_IsString(m), "%s: not an error object", what);
    ck_assert_msg(strcmp(c->valuestring, code) == 0, "%s: want code %s, got %s (%s)", what, code,
                  c->valuestring, m->valuestring);
    ck_assert_msg(strlen(m->valuestring) > 5, "%s: the message says nothing", what);
    ck_assert_msg(mention == NULL || strstr(m->valuestring, mention) != NULL,
                  "%s: the message '%s' does not mention %s", what, m->valuestring, mention);
    ck_assert_int_eq(cJSON_GetArraySize(json), 1);
    cJSON_Delete(json);
}

void http_json_keys(const cJSON *obj, const char *const *names)
{
    int n = 0;
    ck_assert_msg(cJSON_IsObject(obj), "not an object");
    for (; names[n] != NULL; n++) {
        ck_assert_msg(cJSON_GetObjectItemCaseSensitive(obj, names[n]) != NULL, "member %s missing",
                      names[n]);
    }
    ck_assert_msg(cJSON_GetArraySize(obj) == n, "object has %d members, want %d",
                  cJSON_GetArraySize(obj), n);
}
