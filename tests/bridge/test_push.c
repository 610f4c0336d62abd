/*
 * test_push: admission pushed to browsers over WebSocket and SSE.
 *
 * Runs PostgreSQL, Redis and two service instances (tests/support) and a
 * bridge whose push listener gets a free port and dials both instances'
 * events (through BOXOFFICE_PUSH_LISTEN / BOXOFFICE_EVENTS_URLS, which the
 * bridge child inherits). Admission is set to one active token at a time,
 * and each test makes its own concert, so a second user waits until the
 * first one pays.
 *
 * The WebSocket and SSE clients are written here on plain sockets: the
 * handshake (Sec-WebSocket-Accept checked with libcrypto's SHA-1), unmasked
 * server frames, masked client frames; SSE as event:/data: lines. The scale
 * test opens 10,000 idle SSE connections from non-blocking sockets driven
 * by epoll (with the push caps off). The caps test opens connections from
 * 127.0.0.2 and 127.0.0.3 (source addresses bound before connecting) to
 * see a client address and a token held to their caps while others are
 * served; the bridge reads the caps with the admin key, and the tests wait
 * until its /metrics shows the caps set before relying on them. Bridges
 * whose service never answers show the job list of token checks bounded
 * and the total cap.
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <poll.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bridge_proc.h"
#include "http_client.h"
#include "support.h"
#include "support_json.h"
#include "testenv.h"

#define JSON_HDR    "Content-Type: application/json\r\n"
#define EVENTS_PATH "/api/v1/queue/events"

static struct testenv env;
static struct bridge_proc bridge;
static int push_port;
static int env_ok;

/* ---- helpers ---------------------------------------------------------------------- */

#define now_ms() ((double)support_now_ms())

/* The members of a parsed answer, read by support_json (each fails the test when missing). */
#define num(obj, name)     support_json_int((obj), (name))
#define str(obj, name)     support_json_str((obj), (name))
#define is_time(obj, name) support_json_is_time((obj), (name))

/* call sends a request to the bridge's REST port, expects status want and the REST contract's
 * JSON answer (see http_json) and returns the parsed body (free with cJSON_Delete). */
static cJSON *call(const char *method, const char *path, const char *headers, const char *body,
                   int want)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    return http_json(bridge.port, method, path, headers, body, want);
}

/* admin_hdr writes the Admin-Key header lines. */
static void admin_hdr(char *buf, size_t len)
{
    snprintf(buf, len, JSON_HDR "Admin-Key: %s\r\n", env.admin_key);
}

/* one_active sets admission to one active token at a time. */
static void one_active(void)
{
    char hdr[256];
    admin_hdr(hdr, sizeof(hdr));
    cJSON_Delete(call("PUT", "/api/v1/admin/admission", hdr, "{\"maxActive\":1}", 200));
}

/* new_concert creates a concert with one date priced 1000 and returns its id; the date's id
 * goes to *schedule. */
static long long new_concert(long long *schedule)
{
    char hdr[256], path[128];
    admin_hdr(hdr, sizeof(hdr));
    cJSON *c = call("POST", "/api/v1/admin/concerts", hdr,
                    "{\"title\":\"Push\",\"artist\":\"Band\",\"venue\":\"Hall\"}", 201);
    long long id = num(c, "id");
    cJSON_Delete(c);
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld/schedules", id);
    cJSON *s =
        call("POST", path, hdr, "{\"startsAt\":\"2027-05-01T19:00:00Z\",\"price\":1000}", 201);
    *schedule = num(s, "id");
    cJSON_Delete(s);
    return id;
}

/* take_token takes user's place in concert's line; writes the token text and id. */
static void take_token(long long user, long long concert, char *tok, size_t toklen, char *id,
                       size_t idlen)
{
    char auth[1024];
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    http_bearer(&env, user, auth, sizeof(auth));
    cJSON *t = http_token_take(bridge.port, auth, concert, 201);
    snprintf(tok, toklen, "%s", str(t, "token"));
    snprintf(id, idlen, "%s", str(t, "tokenId"));
    cJSON_Delete(t);
}

/* token_status returns the status of tok ("WAITING", "ACTIVE", "EXPIRED") in buf. */
static const char *token_status(const char *tok, char *buf, size_t len)
{
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "Queue-Token: %s\r\n", tok);
    cJSON *t = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    snprintf(buf, len, "%s", str(t, "status"));
    cJSON_Delete(t);
    return buf;
}

/* token_active holds once tok (a const char *) is ACTIVE. */
static int token_active(void *tok)
{
    char st[32];
    return strcmp(token_status(tok, st, sizeof(st)), "ACTIVE") == 0;
}

/* wait_active waits until tok is ACTIVE. */
static void wait_active(const char *tok)
{
    SUPPORT_WAIT(token_active, (void *)tok, 10000, "token was not admitted within 10 s");
}

/* first_admitted makes a concert (see new_concert) where one token at a time is active, takes
 * user's place in its line (see take_token) and waits until it is ACTIVE; returns the
 * concert. */
static long long first_admitted(long long user, long long *schedule, char *tok, size_t toklen,
                                char *id, size_t idlen)
{
    one_active();
    long long concert = new_concert(schedule);
    take_token(user, concert, tok, toklen, id, idlen);
    wait_active(tok);
    return concert;
}

/* pay buys a seat of schedule for user with tok, which ends the token and frees its slot. */
static void pay(long long user, long long schedule, int seat, const char *tok)
{
    char auth[1024], hdr[1600], path[128], body[128];
    http_bearer(&env, user, auth, sizeof(auth));
    snprintf(hdr, sizeof(hdr), "%sQueue-Token: %s\r\n" JSON_HDR, auth, tok);
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points/charges", user);
    cJSON_Delete(call("POST", path, hdr, "{\"amount\":1000}", 200));
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%d}", schedule, seat);
    cJSON *h = call("POST", "/api/v1/reservations", hdr, body, 201);
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", num(h, "reservationId"));
    cJSON_Delete(h);
    cJSON_Delete(call("POST", "/api/v1/payments", hdr, body, 201));
}

/* The client address connections come from (NULL: the kernel's choice, 127.0.0.1); set by
 * the caps test. */
static const char *client_addr;

/* tcp_open connects to the push port from client_addr (blocking, with receive and send
 * timeouts). */
static int tcp_open(int timeout_ms)
{
    struct sockaddr_in sa;
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    if (client_addr != NULL) {
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, client_addr, &sa.sin_addr), 1);
        ck_assert_msg(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind %s: %s", client_addr,
                      strerror(errno));
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)push_port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect to push: %s",
                  strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        ck_assert_msg(k > 0, "send: %s", strerror(errno));
        c += k;
        n -= (size_t)k;
    }
}

/* read_head reads a response head (to the blank line) into buf; leftover bytes after it go
 * to rest/restlen. */
static void read_head(int fd, char *buf, size_t len, char *rest, size_t *restlen)
{
    size_t n = 0;
    char *end = NULL;
    while (end == NULL) {
        ck_assert_msg(n + 1 < len, "response head too long");
        ssize_t k = recv(fd, buf + n, len - 1 - n, 0);
        ck_assert_msg(k > 0, "no response head (%s)", k < 0 ? strerror(errno) : "closed");
        n += (size_t)k;
        buf[n] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    size_t head = (size_t)(end - buf) + 4;
    *restlen = n - head;
    memcpy(rest, buf + head, *restlen);
    buf[head] = '\0';
}

/* ---- WebSocket client ---------------------------------------------------------------- */

struct ws {
    int fd;
    unsigned char buf[16384];
    size_t len;
};

/* ws_accept_for computes Sec-WebSocket-Accept for key. */
static void ws_accept_for(const char *key, char *out)
{
    char cat[128];
    unsigned char sha[SHA_DIGEST_LENGTH];
    snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    SHA1((const unsigned char *)cat, strlen(cat), sha);
    EVP_EncodeBlock((unsigned char *)out, sha, SHA_DIGEST_LENGTH);
}

/* ws_open upgrades a connection to path; returns the HTTP status (101 on success). */
static int ws_open(struct ws *w, const char *path, const char *extra)
{
    unsigned char raw[16];
    char key[32], want[64], req[2048], head[4096], *acc;

    RAND_bytes(raw, sizeof(raw));
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
    ws_accept_for(key, want);
    w->fd = tcp_open(10000);
    w->len = 0;
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
             "Origin: http://127.0.0.1\r\n%s\r\n",
             path, push_port, key, extra != NULL ? extra : "");
    send_all(w->fd, req, strlen(req));
    read_head(w->fd, head, sizeof(head), (char *)w->buf, &w->len);
    int status = atoi(head + 9);
    if (status == 101) {
        acc = strcasestr(head, "Sec-WebSocket-Accept:");
        ck_assert_ptr_nonnull(acc);
        acc += 21;
        while (*acc == ' ') {
            acc++;
        }
        ck_assert_msg(strncmp(acc, want, strlen(want)) == 0, "Sec-WebSocket-Accept is wrong");
    }
    return status;
}

/* ws_send sends one masked client frame. */
static void ws_send(struct ws *w, int opcode, const void *data, size_t n)
{
    unsigned char f[256];
    unsigned char mask[4];
    ck_assert_uint_lt(n, 126);
    RAND_bytes(mask, 4);
    f[0] = (unsigned char)(0x80 | opcode);
    f[1] = (unsigned char)(0x80 | n);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < n; i++) {
        f[6 + i] = ((const unsigned char *)data)[i] ^ mask[i % 4];
    }
    send_all(w->fd, f, 6 + n);
}

/* ws_frame takes the next whole frame from w's buffer: returns its opcode with the payload
 * NUL-terminated in out, or 0 when no whole frame is there yet. */
static int ws_frame(struct ws *w, char *out, size_t outlen, size_t *outn)
{
    unsigned char *b = w->buf;
    size_t hl = 2, n;

    if (w->len < 2) {
        return 0;
    }
    ck_assert_msg((b[1] & 0x80) == 0, "the server masked a frame");
    n = b[1] & 0x7f;
    if (n == 126) {
        hl = 4;
        n = w->len >= 4 ? ((size_t)b[2] << 8 | b[3]) : 0;
    } else if (n == 127) {
        ck_abort_msg("unexpectedly large frame");
    }
    if (w->len < hl || w->len < hl + n) {
        return 0;
    }
    int op = b[0] & 0x0f;
    ck_assert_msg(b[0] & 0x80, "fragmented frame");
    ck_assert_uint_lt(n, outlen);
    memcpy(out, b + hl, n);
    out[n] = '\0';
    *outn = n;
    memmove(w->buf, w->buf + hl + n, w->len - hl - n);
    w->len -= hl + n;
    return op;
}

/* ws_next reads the next data or close frame (answering pings): returns its opcode with the
 * payload NUL-terminated in out; -1 when the connection closed or timed out. */
static int ws_next(struct ws *w, char *out, size_t outlen, size_t *outn)
{
    for (;;) {
        int op = ws_frame(w, out, outlen, outn);
        if (op == 9) {
            ws_send(w, 10, out, *outn);
            continue;
        }
        if (op == 10) {
            continue;
        }
        if (op != 0) {
            return op;
        }
        ssize_t k = recv(w->fd, w->buf + w->len, sizeof(w->buf) - w->len, 0);
        if (k <= 0) {
            return -1;
        }
        w->len += (size_t)k;
    }
}

/* ws_json reads the next text frame as JSON (free with cJSON_Delete). */
static cJSON *ws_json(struct ws *w)
{
    char msg[4096];
    size_t n;
    int op = ws_next(w, msg, sizeof(msg), &n);
    ck_assert_msg(op == 1, "want a text frame, got opcode %d (%s)", op, op == 8 ? msg + 2 : "");
    cJSON *j = cJSON_Parse(msg);
    ck_assert_msg(j != NULL, "not JSON: %s", msg);
    return j;
}

/* ws_expect_close reads the close frame; checks its code and returns it. */
static void ws_expect_close(struct ws *w, int code)
{
    char msg[256];
    size_t n;
    int op = ws_next(w, msg, sizeof(msg), &n);
    ck_assert_msg(op == 8, "want a close frame, got %d", op);
    ck_assert_uint_ge(n, 2);
    int got = ((unsigned char)msg[0] << 8) | (unsigned char)msg[1];
    ck_assert_msg(got == code, "close code %d (%s), want %d", got, msg + 2, code);
    if (code != 1000) {
        ck_assert_msg(n > 4, "close %d came without a reason", code);
    }
}

/* ---- SSE client ---------------------------------------------------------------------- */

struct sse {
    int fd;
    char buf[16384];
    size_t len;
};

/* sse_open asks for an event stream; returns the HTTP status and the head in head. */
static int sse_open(struct sse *s, const char *path, const char *extra, char *head, size_t hlen)
{
    char req[2048];
    s->fd = tcp_open(10000);
    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: text/event-stream\r\n%s\r\n", path,
             push_port, extra != NULL ? extra : "");
    send_all(s->fd, req, strlen(req));
    read_head(s->fd, head, hlen, s->buf, &s->len);
    return atoi(head + 9);
}

/* sse_next reads the next event (keep-alive comments skipped): its type into type and its
 * data as JSON. Returns NULL when the stream ended. */
static cJSON *sse_next(struct sse *s, char *type, size_t tlen)
{
    for (;;) {
        s->buf[s->len] = '\0';
        char *end = strstr(s->buf, "\n\n");
        if (end != NULL) {
            *end = '\0';
            char *ev = strstr(s->buf, "event: ");
            char *data = strstr(s->buf, "data: ");
            cJSON *j = NULL;
            if (ev != NULL && data != NULL) {
                snprintf(type, tlen, "%.*s", (int)strcspn(ev + 7, "\n"), ev + 7);
                j = cJSON_Parse(data + 6);
                ck_assert_msg(j != NULL, "data is not JSON: %s", data + 6);
            } else {
                ck_assert_msg(s->buf[0] == ':', "neither an event nor a comment: %s", s->buf);
            }
            size_t used = (size_t)(end - s->buf) + 2;
            memmove(s->buf, s->buf + used, s->len - used);
            s->len -= used;
            if (j != NULL) {
                return j;
            }
            continue;
        }
        ck_assert_uint_lt(s->len, sizeof(s->buf) - 1);
        ssize_t k = recv(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len, 0);
        if (k <= 0) {
            return NULL;
        }
        s->len += (size_t)k;
    }
}

/* ---- fixture ---------------------------------------------------------------------------- */

static void setup(void)
{
    char listen[64], events[300];

    memset(&env, 0, sizeof(env));
    env_ok = testenv_start(&env, TESTENV_SEED) == 0 && testenv_service_start(&env, 2, NULL) == 0;
    if (!env_ok) {
        return;
    }
    push_port = testenv_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", push_port);
    snprintf(events, sizeof(events), "%s,%s", env.events_url[0], env.events_url[1]);
    setenv("BOXOFFICE_PUSH_LISTEN", listen, 1);
    setenv("BOXOFFICE_EVENTS_URLS", events, 1);
    setenv("BOXOFFICE_ADMIN_KEY", env.admin_key, 1); /* push reads its caps with it */
    env_ok = bridge_proc_start(&bridge, env.rpc_urls, 5000, env.dir) == 0;
}

static void teardown(void)
{
    bridge_proc_stop(&bridge);
    testenv_stop(&env);
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(test_websocket)
{
    char tok_a[256], id_a[64], tok_b[256], id_b[64], path[512];
    long long schedule;
    struct ws w;

    ck_assert(env_ok);
    long long concert = first_admitted(5001, &schedule, tok_a, sizeof(tok_a), id_a, sizeof(id_a));
    take_token(5002, concert, tok_b, sizeof(tok_b), id_b, sizeof(id_b));

    /* the token as a query parameter, as browsers must send it */
    snprintf(path, sizeof(path), EVENTS_PATH "?token=%s", tok_b);
    ck_assert_int_eq(ws_open(&w, path, NULL), 101);
    cJSON *m = ws_json(&w);
    ck_assert_str_eq(str(m, "type"), "position");
    ck_assert_str_eq(str(m, "tokenId"), id_b);
    ck_assert_str_eq(str(m, "status"), "WAITING");
    ck_assert_int_eq(num(m, "position"), 1);
    (void)num(m, "etaSeconds");
    cJSON_Delete(m);

    /* the active user pays: the slot frees and B is admitted by push */
    double t0 = now_ms();
    pay(5001, schedule, 1, tok_a);
    for (;;) {
        m = ws_json(&w);
        if (strcmp(str(m, "type"), "admitted") == 0) {
            break;
        }
        ck_assert_str_eq(str(m, "type"), "position");
        cJSON_Delete(m);
    }
    printf("websocket: admitted %.0f ms after the payment\n", now_ms() - t0);
    ck_assert_str_eq(str(m, "tokenId"), id_b);
    ck_assert_str_eq(str(m, "status"), "ACTIVE");
    ck_assert(is_time(m, "admittedAt"));
    ck_assert(is_time(m, "expiresAt"));
    cJSON_Delete(m);

    /* B pays too: its token ends, push says so and closes normally */
    pay(5002, schedule, 2, tok_b);
    m = ws_json(&w);
    ck_assert_str_eq(str(m, "type"), "expired");
    ck_assert_str_eq(str(m, "tokenId"), id_b);
    ck_assert_str_eq(str(m, "status"), "EXPIRED");
    cJSON_Delete(m);
    ws_expect_close(&w, 1000);
    close(w.fd);

    /* a forged token (header form) is closed with 4401 and a reason */
    ck_assert_int_eq(ws_open(&w, EVENTS_PATH, "Queue-Token: v1.1.1.1.Zm9yZ2Vk\r\n"), 101);
    ws_expect_close(&w, 4401);
    close(w.fd);
    /* no token at all */
    ck_assert_int_eq(ws_open(&w, EVENTS_PATH, NULL), 101);
    ws_expect_close(&w, 4401);
    close(w.fd);
    /* another path is refused */
    ck_assert_int_eq(ws_open(&w, "/api/v1/queue/other", NULL), 404);
    close(w.fd);
}
END_TEST

START_TEST(test_sse)
{
    char tok_a[256], id_a[64], tok_b[256], id_b[64], hdr[512], head[4096], type[32];
    long long schedule;
    struct sse s;

    ck_assert(env_ok);
    long long concert = first_admitted(5101, &schedule, tok_a, sizeof(tok_a), id_a, sizeof(id_a));
    take_token(5102, concert, tok_b, sizeof(tok_b), id_b, sizeof(id_b));

    snprintf(hdr, sizeof(hdr), "Queue-Token: %s\r\n", tok_b);
    ck_assert_int_eq(sse_open(&s, EVENTS_PATH, hdr, head, sizeof(head)), 200);
    ck_assert_ptr_nonnull(strcasestr(head, "Content-Type: text/event-stream"));
    cJSON *m = sse_next(&s, type, sizeof(type));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(type, "position");
    ck_assert_str_eq(str(m, "type"), "position");
    ck_assert_str_eq(str(m, "tokenId"), id_b);
    ck_assert_str_eq(str(m, "status"), "WAITING");
    ck_assert_int_eq(num(m, "position"), 1);
    cJSON_Delete(m);

    pay(5101, schedule, 1, tok_a);
    for (;;) {
        m = sse_next(&s, type, sizeof(type));
        ck_assert_msg(m != NULL, "the stream ended before the admission");
        if (strcmp(type, "admitted") == 0) {
            break;
        }
        ck_assert_str_eq(type, "position");
        cJSON_Delete(m);
    }
    ck_assert_str_eq(str(m, "type"), "admitted");
    ck_assert_str_eq(str(m, "tokenId"), id_b);
    ck_assert_str_eq(str(m, "status"), "ACTIVE");
    ck_assert(is_time(m, "admittedAt") && is_time(m, "expiresAt"));
    cJSON_Delete(m);

    pay(5102, schedule, 2, tok_b);
    m = sse_next(&s, type, sizeof(type));
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(type, "expired");
    ck_assert_str_eq(str(m, "status"), "EXPIRED");
    cJSON_Delete(m);
    ck_assert_ptr_null(sse_next(&s, type, sizeof(type))); /* the stream ends */
    close(s.fd);

    /* a forged token: 401 with the JSON error shape; the query form is read too */
    ck_assert_int_eq(sse_open(&s, EVENTS_PATH "?token=v1.1.1.1.Zm9yZ2Vk", NULL, head, sizeof(head)),
                     401);
    ck_assert_ptr_nonnull(strcasestr(head, "Content-Type: application/json"));
    while (s.len < sizeof(s.buf) - 1) {
        ssize_t k = recv(s.fd, s.buf + s.len, sizeof(s.buf) - 1 - s.len, 0);
        if (k <= 0) {
            break;
        }
        s.len += (size_t)k;
    }
    s.buf[s.len] = '\0';
    cJSON *e = cJSON_Parse(s.buf);
    ck_assert_msg(e != NULL, "401 body is not JSON: %s", s.buf);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(e, "error");
    ck_assert_str_eq(str(err, "code"), "TOKEN_INVALID");
    ck_assert_uint_gt(strlen(str(err, "message")), 5);
    cJSON_Delete(e);
    close(s.fd);
}
END_TEST

START_TEST(test_routes)
{
    struct http_resp r;
    char v[512], want[512];

    ck_assert(env_ok);
    ck_assert_int_eq(
        http_request(bridge.port, "GET", EVENTS_PATH "?token=abc", NULL, NULL, 5000, &r), 0);
    ck_assert_int_eq(r.status, 307);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d" EVENTS_PATH "?token=abc", push_port);
    ck_assert_ptr_nonnull(http_resp_header(&r, "Location", v, sizeof(v)));
    ck_assert_str_eq(v, want);
    cJSON *j = cJSON_Parse(r.body);
    ck_assert_ptr_nonnull(j);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d" EVENTS_PATH, push_port);
    ck_assert_str_eq(str(j, "sse"), want);
    cJSON_Delete(j);
    http_resp_free(&r);

    j = call("GET", "/api/v1/queue/push", NULL, NULL, 200);
    snprintf(want, sizeof(want), "ws://127.0.0.1:%d" EVENTS_PATH, push_port);
    ck_assert_str_eq(str(j, "websocket"), want);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d" EVENTS_PATH, push_port);
    ck_assert_str_eq(str(j, "sse"), want);
    cJSON_Delete(j);

    /* the push listener answers other paths and plain GETs with JSON errors */
    struct sse s;
    char head[4096];
    ck_assert_int_eq(sse_open(&s, "/nothing", NULL, head, sizeof(head)), 404);
    close(s.fd);
}
END_TEST

/* ---- connection caps -------------------------------------------------------------------- */

/* The caps a test set, as caps_learned waits for them on the bridge's /metrics. */
struct caps_want {
    unsigned address, token;
};

/* metrics_value returns the value of the /metrics line starting with series (-1: none). */
static long long metrics_value(const char *series)
{
    struct http_resp r;
    long long v = -1;
    ck_assert_int_eq(http_request(bridge.port, "GET", "/metrics", NULL, NULL, 5000, &r), 0);
    ck_assert_int_eq(r.status, 200);
    for (const char *line = r.body; line != NULL && *line != '\0';) {
        if (strncmp(line, series, strlen(series)) == 0 && line[strlen(series)] == ' ') {
            v = atoll(line + strlen(series) + 1);
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    http_resp_free(&r);
    return v;
}

/* caps_learned holds once the bridge's push listener uses the caps of arg (a caps_want). */
static int caps_learned(void *arg)
{
    const struct caps_want *w = arg;
    return metrics_value("boxoffice_bridge_push_cap{per=\"address\"}") == w->address &&
           metrics_value("boxoffice_bridge_push_cap{per=\"token\"}") == w->token;
}

/* push_caps sets the push caps per address and per token (0: off) and waits until the bridge
 * uses them. */
static void push_caps(unsigned address, unsigned token)
{
    char hdr[256], body[128];
    struct caps_want w = {address, token};
    admin_hdr(hdr, sizeof(hdr));
    snprintf(body, sizeof(body), "{\"addressPushConnections\":%u,\"tokenPushConnections\":%u}",
             address, token);
    cJSON *l = call("PATCH", "/api/v1/admin/limits", hdr, body, 200);
    ck_assert_int_eq(num(l, "addressPushConnections"), address);
    ck_assert_int_eq(num(l, "tokenPushConnections"), token);
    cJSON_Delete(l);
    SUPPORT_WAIT(caps_learned, &w, 10000, "the bridge did not take the caps %u/%u within 10 s",
                 address, token);
}

/* ws_try opens a WebSocket from address from (NULL: 127.0.0.1) following tok: returns 1 when
 * its first message came (about id; w stays open), else checks that it was refused with
 * close 1013 whose reason holds why, closes it and returns 0. */
static int ws_try(struct ws *w, const char *from, const char *tok, const char *id, const char *why)
{
    char path[512], msg[4096];
    size_t n;

    snprintf(path, sizeof(path), EVENTS_PATH "?token=%s", tok);
    client_addr = from;
    int status = ws_open(w, path, NULL);
    client_addr = NULL;
    ck_assert_int_eq(status, 101);
    int op = ws_next(w, msg, sizeof(msg), &n);
    if (op == 1) {
        cJSON *m = cJSON_Parse(msg);
        ck_assert_msg(m != NULL, "not JSON: %s", msg);
        ck_assert_str_eq(str(m, "tokenId"), id);
        cJSON_Delete(m);
        return 1;
    }
    ck_assert_msg(op == 8 && n > 4, "want a message or close 1013, got opcode %d", op);
    int code = ((unsigned char)msg[0] << 8) | (unsigned char)msg[1];
    ck_assert_msg(code == 1013, "close code %d (%s), want 1013", code, msg + 2);
    ck_assert_msg(strstr(msg + 2, why) != NULL, "close reason '%s' does not say '%s'", msg + 2,
                  why);
    close(w->fd);
    return 0;
}

/* ws_follow opens a WebSocket (see ws_try) that must be let in. */
static void ws_follow(struct ws *w, const char *from, const char *tok, const char *id)
{
    ck_assert_msg(ws_try(w, from, tok, id, "(none)"), "a connection from %s was refused",
                  from != NULL ? from : "127.0.0.1");
}

/* ws_refused opens a WebSocket (see ws_try) that must be refused with 1013 saying why. */
static void ws_refused(const char *from, const char *tok, const char *id, const char *why)
{
    struct ws w;
    ck_assert_msg(!ws_try(&w, from, tok, id, why), "a connection over the cap was let in");
}

/* A connection that is let in once the bridge saw an earlier one close. */
struct ws_retry {
    struct ws w;
    const char *from, *tok, *id, *why;
};

static int ws_let_in(void *arg)
{
    struct ws_retry *r = arg;
    return ws_try(&r->w, r->from, r->tok, r->id, r->why);
}

/* stuck_refusals starts a second bridge with the option arg whose token checks cannot finish
 * (its service address answers nothing; each check waits out a 2 s timeout), opens six
 * connections to it at once and returns how many were closed with 1013 for the reason why
 * (every one is closed with 1013: refused, or its check timed out). */
static int stuck_refusals(const char *arg, const char *why)
{
    const char *const args[] = {arg, NULL};
    char listen[64], dead[64], path[512], msg[256];
    struct bridge_proc b2;
    struct ws w[6];
    int main_port = push_port, refusals = 0;
    size_t n;

    snprintf(dead, sizeof(dead), "tcp://127.0.0.1:%d", testenv_free_port());
    push_port = testenv_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", push_port);
    setenv("BOXOFFICE_PUSH_LISTEN", listen, 1);
    memset(&b2, 0, sizeof(b2));
    ck_assert_int_eq(bridge_proc_start_args(&b2, dead, 2000, env.dir, args), 0);
    snprintf(path, sizeof(path), EVENTS_PATH "?token=v1.1.1.1.Zm9yZ2Vk");
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(ws_open(&w[i], path, NULL), 101);
    }
    for (int i = 0; i < 6; i++) {
        int op = ws_next(&w[i], msg, sizeof(msg), &n);
        ck_assert_msg(op == 8 && n > 4, "want a close frame, got opcode %d", op);
        int code = ((unsigned char)msg[0] << 8) | (unsigned char)msg[1];
        ck_assert_msg(code == 1013, "close code %d (%s), want 1013", code, msg + 2);
        refusals += strstr(msg + 2, why) != NULL;
        close(w[i].fd);
    }
    bridge_proc_stop(&b2);
    push_port = main_port;
    return refusals;
}

/* What one push client heard while idle (keep_alives). */
struct idle_peer {
    int fd;
    struct ws *w;   /* a WebSocket, else an event stream read raw */
    int answers;    /* a WebSocket that answers pings */
    int keepalives; /* pings (WebSocket) or ": keep-alive" comments (SSE) */
    double gone_ms; /* when the bridge closed it (0: open) */
    char sse[4096];
    size_t sse_len;
};

/* idle_peer_read takes what p's connection has; now_at is the time into the test. */
static void idle_peer_read(struct idle_peer *p, double now_at)
{
    char msg[256];
    size_t n;

    if (p->w == NULL) {
        ssize_t k = recv(p->fd, p->sse + p->sse_len, sizeof(p->sse) - 1 - p->sse_len, 0);
        if (k <= 0) {
            p->gone_ms = now_at;
            return;
        }
        p->sse_len += (size_t)k;
        p->sse[p->sse_len] = '\0';
        char *c;
        while ((c = strstr(p->sse, ": keep-alive\n\n")) != NULL) {
            p->keepalives++;
            size_t used = (size_t)(c - p->sse) + 14;
            memmove(p->sse, p->sse + used, p->sse_len - used + 1);
            p->sse_len -= used;
        }
        return;
    }
    ssize_t k = recv(p->fd, p->w->buf + p->w->len, sizeof(p->w->buf) - p->w->len, 0);
    if (k <= 0) {
        p->gone_ms = now_at;
        return;
    }
    p->w->len += (size_t)k;
    int op;
    while ((op = ws_frame(p->w, msg, sizeof(msg), &n)) != 0) {
        if (op == 9) {
            p->keepalives++;
            if (p->answers) {
                ws_send(p->w, 10, msg, n);
            }
        }
    }
}

/* Keep-alives (--push-keepalive-ms, 1 s here): an idle event stream gets a comment and an idle
 * WebSocket a ping every period; a WebSocket that answers stays open, one that answers nothing
 * is closed after a period without a pong. */
START_TEST(test_keep_alives)
{
    const char *const args[] = {"--push-keepalive-ms=1000", NULL};
    char listen[64], tok[256], id[64], path[512], hdr[512], head[4096], type[32];
    struct bridge_proc b2;
    struct ws talk, mute;
    struct sse s;
    int main_port = push_port;

    ck_assert(env_ok);
    take_token(7001, 1, tok, sizeof(tok), id, sizeof(id));
    push_port = testenv_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", push_port);
    setenv("BOXOFFICE_PUSH_LISTEN", listen, 1);
    memset(&b2, 0, sizeof(b2));
    ck_assert_int_eq(bridge_proc_start_args(&b2, env.rpc_urls, 5000, env.dir, args), 0);

    snprintf(path, sizeof(path), EVENTS_PATH "?token=%s", tok);
    ck_assert_int_eq(ws_open(&talk, path, NULL), 101);
    ck_assert_int_eq(ws_open(&mute, path, NULL), 101);
    snprintf(hdr, sizeof(hdr), "Queue-Token: %s\r\n", tok);
    ck_assert_int_eq(sse_open(&s, EVENTS_PATH, hdr, head, sizeof(head)), 200);
    cJSON_Delete(ws_json(&talk));
    cJSON_Delete(ws_json(&mute));
    cJSON *first = sse_next(&s, type, sizeof(type));
    ck_assert_ptr_nonnull(first);
    cJSON_Delete(first);

    struct idle_peer peers[3] = {
        {.fd = talk.fd, .w = &talk, .answers = 1}, {.fd = mute.fd, .w = &mute}, {.fd = s.fd}};
    memcpy(peers[2].sse, s.buf, s.len); /* what followed the first event */
    peers[2].sse_len = s.len;
    peers[2].sse[s.len] = '\0';
    double t0 = now_ms();
    while (now_ms() - t0 < 5500) {
        struct pollfd fds[3];
        for (int i = 0; i < 3; i++) {
            fds[i] =
                (struct pollfd){.fd = peers[i].gone_ms > 0 ? -1 : peers[i].fd, .events = POLLIN};
        }
        if (poll(fds, 3, 100) > 0) {
            for (int i = 0; i < 3; i++) {
                if (fds[i].revents != 0) {
                    idle_peer_read(&peers[i], now_ms() - t0);
                }
            }
        }
    }
    printf("keep-alives in 5.5 s at 1 s: WebSocket answering %d pings, silent %d (closed at "
           "%.0f ms), event stream %d comments\n",
           peers[0].keepalives, peers[1].keepalives, peers[1].gone_ms, peers[2].keepalives);
    ck_assert_msg(peers[0].gone_ms == 0, "a WebSocket that answers pings was closed");
    ck_assert_int_ge(peers[0].keepalives, 3);
    ck_assert_msg(peers[2].gone_ms == 0, "an idle event stream was closed");
    ck_assert_int_ge(peers[2].keepalives, 3);
    ck_assert_int_ge(peers[1].keepalives, 1);
    ck_assert_msg(peers[1].gone_ms > 0, "a WebSocket that answered no ping is still open");
    for (int i = 0; i < 3; i++) {
        close(peers[i].fd);
    }
    ck_assert_int_eq(bridge_proc_stop(&b2), 0);
    push_port = main_port;
}
END_TEST

START_TEST(test_caps)
{
    char tok[5][256], id[5][64], path[512], head[4096], body[2048];
    struct ws held[3], w, ten[6];
    struct ws_retry again;
    long long schedule;
    struct sse s;
    size_t len;

    ck_assert(env_ok);
    long long concert = first_admitted(7000, &schedule, tok[0], sizeof(tok[0]), id[0], 64);
    for (int i = 1; i < 5; i++) {
        take_token(7000 + i, concert, tok[i], sizeof(tok[i]), id[i], 64);
    }

    /* per address: three from 127.0.0.2; a fourth is refused, WebSocket and SSE alike */
    push_caps(3, 0);
    for (int i = 0; i < 3; i++) {
        ws_follow(&held[i], "127.0.0.2", tok[1], id[1]);
    }
    ws_refused("127.0.0.2", tok[1], id[1], "from your address");
    ws_refused("127.0.0.2", tok[2], id[2], "from your address");
    snprintf(path, sizeof(path), EVENTS_PATH "?token=%s", tok[1]);
    client_addr = "127.0.0.2";
    ck_assert_int_eq(sse_open(&s, path, NULL, head, sizeof(head)), 503);
    client_addr = NULL;
    ck_assert_ptr_nonnull(strcasestr(head, "Retry-After: "));
    len = s.len < sizeof(body) ? s.len : sizeof(body) - 1;
    memcpy(body, s.buf, len);
    while (len + 1 < sizeof(body)) {
        ssize_t k = recv(s.fd, body + len, sizeof(body) - 1 - len, 0);
        if (k <= 0) {
            break;
        }
        len += (size_t)k;
    }
    body[len] = '\0';
    close(s.fd);
    cJSON *err = cJSON_Parse(body);
    ck_assert_msg(err != NULL, "the 503 body is not JSON: %s", body);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(err, "error");
    ck_assert_str_eq(str(e, "code"), "UNAVAILABLE");
    ck_assert_ptr_nonnull(strstr(str(e, "message"), "from your address"));
    cJSON_Delete(err);
    /* ... while other addresses are served, on the same token too */
    ws_follow(&w, NULL, tok[1], id[1]);
    close(w.fd);
    ws_follow(&w, "127.0.0.3", tok[0], id[0]);
    close(w.fd);
    /* closing one lets one more in from 127.0.0.2, and no more */
    close(held[0].fd);
    again = (struct ws_retry){
        .from = "127.0.0.2", .tok = tok[2], .id = id[2], .why = "from your address"};
    SUPPORT_WAIT(ws_let_in, &again, 10000, "no room from 127.0.0.2 after one closed");
    held[0] = again.w;
    ws_refused("127.0.0.2", tok[2], id[2], "from your address");
    ck_assert_int_ge(metrics_value("boxoffice_bridge_push_refused_total{reason=\"address\"}"), 3);
    for (int i = 0; i < 3; i++) {
        close(held[i].fd);
    }

    /* per token: two follow tok[3] (from two addresses); a third is refused, another token is
     * served from the same address; closing one lets one more in */
    push_caps(0, 2);
    ws_follow(&held[0], "127.0.0.2", tok[3], id[3]);
    ws_follow(&held[1], "127.0.0.3", tok[3], id[3]);
    ws_refused(NULL, tok[3], id[3], "per-token cap");
    ws_follow(&held[2], "127.0.0.2", tok[2], id[2]);
    close(held[0].fd);
    again = (struct ws_retry){.from = NULL, .tok = tok[3], .id = id[3], .why = "per-token cap"};
    SUPPORT_WAIT(ws_let_in, &again, 10000, "no room on the token after one closed");
    ws_refused("127.0.0.3", tok[3], id[3], "per-token cap");
    ck_assert_int_ge(metrics_value("boxoffice_bridge_push_refused_total{reason=\"token\"}"), 2);
    close(again.w.fd);
    close(held[1].fd);
    close(held[2].fd);

    /* caps off: six from one address on one token */
    push_caps(0, 0);
    for (int i = 0; i < 6; i++) {
        ws_follow(&ten[i], "127.0.0.2", tok[4], id[4]);
    }
    for (int i = 0; i < 6; i++) {
        close(ten[i].fd);
    }

    /* Room for one waiting token check: the two workers take two, one waits, the rest are
     * refused at once. A total cap of two: the third and later are refused. */
    int n = stuck_refusals("--push-max-jobs=1", "token check");
    ck_assert_msg(n >= 3, "%d of 6 refused for the full job list, want 3 or more", n);
    n = stuck_refusals("--push-max-connections=2", "listener is full");
    ck_assert_msg(n >= 3, "%d of 6 refused for the total cap, want 3 or more", n);
}
END_TEST

/* ---- 10,000 idle connections ------------------------------------------------------------ */

#define MANY        10000
#define MANY_TOKENS 100 /* distinct waiting tokens, MANY / MANY_TOKENS connections each */

struct idle {
    int fd;
    int token; /* index into the tokens */
    int state; /* 0 connecting, 1 request sent, 2 first event read */
    int admitted;
    char buf[600];
    size_t len;
};

static long proc_status(pid_t pid, const char *key)
{
    char path[64], line[256];
    long v = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, strlen(key)) == 0) {
            v = atol(line + strlen(key) + 1);
        }
    }
    fclose(f);
    return v;
}

/* idle_read reads what is there; marks the first event and an admission. */
static void idle_read(struct idle *c)
{
    for (;;) {
        if (c->len >= sizeof(c->buf) - 1) {
            /* keep only the tail: an event name cannot be longer */
            memmove(c->buf, c->buf + c->len - 64, 64);
            c->len = 64;
        }
        ssize_t k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
        if (k <= 0) {
            return;
        }
        c->len += (size_t)k;
        c->buf[c->len] = '\0';
        if (c->state == 1 && strstr(c->buf, "event: position\n") != NULL) {
            c->state = 2;
        }
        if (strstr(c->buf, "event: admitted\n") != NULL) {
            c->admitted = 1;
        }
    }
}

START_TEST(test_ten_thousand_idle)
{
    static struct idle conns[MANY];
    static char toks[MANY_TOKENS][256];
    char id[64], tok_a[256], id_a[64], req[1024];
    struct rlimit rl;
    long long schedule;
    int ep;

    ck_assert(env_ok);
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    ck_assert_msg(rl.rlim_max > MANY + 100, "the open-files hard limit %llu is too low",
                  (unsigned long long)rl.rlim_max);

    push_caps(0, 0); /* every connection comes from 127.0.0.1, a hundred per token */
    long long concert = first_admitted(6000, &schedule, tok_a, sizeof(tok_a), id_a, sizeof(id_a));
    for (int i = 0; i < MANY_TOKENS; i++) {
        take_token(6001 + i, concert, toks[i], sizeof(toks[i]), id, sizeof(id));
    }

    long threads_before = proc_status(bridge.pid, "Threads:");
    long rss_before = proc_status(bridge.pid, "VmRSS:");
    ep = epoll_create1(0);
    ck_assert_int_ge(ep, 0);

    double t0 = now_ms();
    int ready = 0;
    for (int base = 0; base < MANY; base += 500) {
        /* a batch of non-blocking connects; the request goes out when each is writable */
        for (int i = base; i < base + 500 && i < MANY; i++) {
            struct sockaddr_in sa;
            struct epoll_event e;
            struct idle *c = &conns[i];
            memset(c, 0, sizeof(*c));
            c->token = i % MANY_TOKENS;
            c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            ck_assert_msg(c->fd >= 0, "socket %d: %s", i, strerror(errno));
            memset(&sa, 0, sizeof(sa));
            sa.sin_family = AF_INET;
            sa.sin_port = htons((uint16_t)push_port);
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
            ck_assert_msg(rc == 0 || errno == EINPROGRESS, "connect %d: %s", i, strerror(errno));
            e.events = EPOLLOUT | EPOLLIN;
            e.data.u32 = (uint32_t)i;
            ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e), 0);
        }
        /* drive the batch until every connection of it has its first event */
        int want = base + 500 < MANY ? base + 500 : MANY;
        while (ready < want) {
            struct epoll_event evs[512];
            ck_assert_msg(now_ms() - t0 < 40000, "only %d of %d streams opened in 40 s", ready,
                          want);
            int n = epoll_wait(ep, evs, 512, 1000);
            for (int k = 0; k < n; k++) {
                struct idle *c = &conns[evs[k].data.u32];
                if (c->state == 0 && (evs[k].events & EPOLLOUT)) {
                    int len = snprintf(req, sizeof(req),
                                       "GET " EVENTS_PATH " HTTP/1.1\r\nHost: x\r\n"
                                       "Accept: text/event-stream\r\nQueue-Token: %s\r\n\r\n",
                                       toks[c->token]);
                    ck_assert_int_eq(send(c->fd, req, (size_t)len, MSG_NOSIGNAL), len);
                    c->state = 1;
                    struct epoll_event e = {.events = EPOLLIN, .data.u32 = evs[k].data.u32};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
                }
                if (evs[k].events & EPOLLIN) {
                    int was = c->state;
                    idle_read(c);
                    if (was != 2 && c->state == 2) {
                        ready++;
                    }
                }
            }
        }
    }
    double open_ms = now_ms() - t0;
    long threads_open = proc_status(bridge.pid, "Threads:");
    long rss_open = proc_status(bridge.pid, "VmRSS:");
    printf("10k idle: opened %d streams in %.0f ms; bridge threads %ld -> %ld, RSS %ld -> %ld kB "
           "(%.2f kB per connection)\n",
           ready, open_ms, threads_before, threads_open, rss_before, rss_open,
           (double)(rss_open - rss_before) / MANY);
    ck_assert_int_eq(ready, MANY);
    ck_assert_msg(threads_open <= threads_before + 4, "bridge threads grew from %ld to %ld",
                  threads_before, threads_open);

    /* REST on the other port keeps answering */
    struct http_resp r;
    ck_assert_int_eq(http_request(bridge.port, "GET", "/healthz", NULL, NULL, 5000, &r), 0);
    ck_assert_int_eq(r.status, 200);
    printf("10k idle: GET /healthz %.1f ms\n", r.elapsed_ms);
    http_resp_free(&r);
    ck_assert_int_eq(http_request(bridge.port, "GET", "/api/v1/concerts", NULL, NULL, 5000, &r), 0);
    ck_assert_int_eq(r.status, 200);
    printf("10k idle: GET /api/v1/concerts %.1f ms\n", r.elapsed_ms);
    http_resp_free(&r);

    /* the active user pays: the first waiting token (its MANY / MANY_TOKENS streams among the
     * rest) is admitted and every one of its streams hears it */
    pay(6000, schedule, 1, tok_a);
    double t1 = now_ms();
    int admitted = 0;
    int per_token = MANY / MANY_TOKENS;
    while (admitted < per_token && now_ms() - t1 < 10000) {
        struct epoll_event evs[512];
        int n = epoll_wait(ep, evs, 512, 200);
        for (int k = 0; k < n; k++) {
            struct idle *c = &conns[evs[k].data.u32];
            int was = c->admitted;
            idle_read(c);
            if (!was && c->admitted) {
                ck_assert_msg(c->token == 0, "stream of token %d heard an admission", c->token);
                admitted++;
            }
        }
    }
    printf("10k idle: %d of %d streams of the admitted token heard it within %.0f ms\n", admitted,
           per_token, now_ms() - t1);
    ck_assert_int_eq(admitted, per_token);

    for (int i = 0; i < MANY; i++) {
        close(conns[i].fd);
    }
    close(ep);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_routes, test_websocket,         test_sse,
                            test_caps,   test_ten_thousand_idle, test_keep_alives,
                            NULL};
    const struct support_case cases[] = {{"push", tests, setup, teardown, NULL, NULL, 90}};

    return SUPPORT_RUN("push", cases, 0);
}
