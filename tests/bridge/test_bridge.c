/*
 * test_bridge: the REST contract of DESIGN.md, end to end over HTTP.
 *
 * "local" runs a bridge dialling an address where nothing listens: routing,
 * input checks and a malformed Authorization (all answered by the bridge
 * before any rpc), the page, metrics and 503 UNAVAILABLE, hostile requests (a long query
 * into the push redirect, refused and broken bodies, Expect: 100-continue) and the edge
 * (nginx, bridge/edge) dropping a slow request head. "service" runs the
 * real service (PostgreSQL, Redis and two instances from tests/support)
 * behind bridges and walks every route: identity (operator tokens minted
 * with the instances' key, accounts, sessions), token -> admission ->
 * schedules -> seats -> hold -> charge -> pay, leaving the line, a sale's
 * opening, rate limits, the trusted proxy's X-Forwarded-For and the edge's
 * cap on open connections per address, kept by a bridge. Each test
 * uses its own users so tests do not see each other's tokens; every test
 * starts with the rate limits off.
 */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "boxoffice/client.h"
#include "bridge_proc.h"
#include "http_client.h"
#include "support.h"
#include "support_json.h"
#include "testenv.h"

#define JSON_HDR "Content-Type: application/json\r\n"

/* Room for an identity's header line, and for header lines carrying one, a queue token and
 * more. */
#define AUTH_MAX 1024
#define HDR_MAX  2048

static struct testenv env;
static struct bridge_proc bridge;
static int env_ok;

/* ---- helpers ---------------------------------------------------------------- */

/* request_on sends one request to the bridge on port and checks the response is complete. */
static void request_on(int port, const char *method, const char *path, const char *headers,
                       const char *body, struct http_resp *r)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    ck_assert_msg(http_request(port, method, path, headers, body, 15000, r) == 0,
                  "%s %s: no complete HTTP response", method, path);
}

/* request sends one request to the bridge under test (see request_on). */
static void request(const char *method, const char *path, const char *headers, const char *body,
                    struct http_resp *r)
{
    request_on(bridge.port, method, path, headers, body, r);
}

/* call sends a request to the bridge under test, expects status want and the REST contract's
 * JSON answer (see http_json) and returns the parsed body (free with cJSON_Delete). */
static cJSON *call(const char *method, const char *path, const char *headers, const char *body,
                   int want)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    return http_json(bridge.port, method, path, headers, body, want);
}

/* expect_error_on sends a request to the bridge on port and checks its error answer (see
 * http_error_check). */
static void expect_error_on(int port, const char *method, const char *path, const char *headers,
                            const char *body, int want, const char *code, const char *mention)
{
    struct http_resp r;
    char what[300];

    snprintf(what, sizeof(what), "%s %.200s", method, path);
    request_on(port, method, path, headers, body, &r);
    http_error_check(&r, what, want, code, mention);
    http_resp_free(&r);
}

/* expect_error checks the bridge under test's error answer (see http_error_check). */
static void expect_error(const char *method, const char *path, const char *headers,
                         const char *body, int want, const char *code)
{
    expect_error_on(bridge.port, method, path, headers, body, want, code, NULL);
}

/* The members of a parsed answer, read by support_json (each fails the test when missing). */
#define num(obj, name)     support_json_int((obj), (name))
#define str(obj, name)     support_json_str((obj), (name))
#define is_time(obj, name) support_json_is_time((obj), (name))

/* is_null tells whether obj's member name is there and null. */
static int is_null(const cJSON *obj, const char *name)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, name));
}

static const char *const token_keys[] = {"token",      "tokenId",   "userId",      "concertId",
                                         "status",     "position",  "etaSeconds",  "issuedAt",
                                         "admittedAt", "expiresAt", "saleOpensAt", NULL};
static const char *const current_keys[] = {"tokenId",   "userId",      "concertId", "status",
                                           "position",  "etaSeconds",  "issuedAt",  "admittedAt",
                                           "expiresAt", "saleOpensAt", NULL};
static const char *const reservation_keys[] = {"reservationId", "status",    "expiresAt",  "price",
                                               "userId",        "concertId", "scheduleId", "seatNo",
                                               "heldAt",        NULL};
static const char *const concert_keys[] = {
    "id", "title", "artist", "venue", "scheduleCount", "saleOpensAt", NULL};
static const char *const limits_keys[] = {"userLoginsPerMinute",
                                          "userTokenIssuesPerMinute",
                                          "userHoldsPerMinute",
                                          "userChargesPerMinute",
                                          "addressSignupsPerMinute",
                                          "addressLoginsPerMinute",
                                          "addressTokenIssuesPerMinute",
                                          "addressHoldsPerMinute",
                                          "addressChargesPerMinute",
                                          "addressPushConnections",
                                          "tokenPushConnections",
                                          "addressRestConnections",
                                          NULL};

/* assert_seat_of checks that a reservation or payment is user's, of seat_no of schedule. */
static void assert_seat_of(const cJSON *obj, long long user, long long schedule, long long seat_no)
{
    ck_assert_int_eq(num(obj, "userId"), user);
    ck_assert_int_eq(num(obj, "scheduleId"), schedule);
    ck_assert_int_eq(num(obj, "seatNo"), seat_no);
}

/* auth writes user's identity header line (an operator identity token, see http_bearer). */
static void auth(char *buf, size_t len, long long user)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    http_bearer(&env, user, buf, len);
}

/* auth_json writes user's identity header line and the JSON Content-Type. */
static void auth_json(char *buf, size_t len, long long user)
{
    char a[AUTH_MAX];
    auth(a, sizeof(a), user);
    snprintf(buf, len, "%s" JSON_HDR, a);
}

/* token_header writes the header lines of user's identity and Queue-Token tok, with the JSON
 * Content-Type (which requests without a body ignore). */
static void token_header(char *buf, size_t len, long long user, const char *tok)
{
    char a[AUTH_MAX];
    auth(a, sizeof(a), user);
    snprintf(buf, len, "%sQueue-Token: %s\r\n" JSON_HDR, a, tok);
}

/* take_token asks for user's place in concert's line, as user, wanting status want (see
 * http_token_take) and returns the token's JSON (free with cJSON_Delete). */
static cJSON *take_token(long long user, long long concert, int want)
{
    char a[AUTH_MAX];
    auth(a, sizeof(a), user);
    return http_token_take(bridge.port, a, concert, want);
}

/* admin_header writes the Admin-Key header line with the JSON Content-Type. */
static void admin_header(char *buf, size_t len)
{
    snprintf(buf, len, JSON_HDR "Admin-Key: %s\r\n", env.admin_key);
}

/* first_concert returns the id of the first concert of the catalog. */
static long long first_concert(void)
{
    cJSON *json = call("GET", "/api/v1/concerts", NULL, NULL, 200);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(json, "concerts");
    ck_assert_msg(cJSON_GetArraySize(arr) > 0, "the catalog is empty");
    long long id = num(cJSON_GetArrayItem(arr, 0), "id");
    cJSON_Delete(json);
    return id;
}

/* token_status writes the status of the token of header lines hdr into buf and returns it. */
static const char *token_status(const char *hdr, char *buf, size_t len)
{
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    snprintf(buf, len, "%s", str(cur, "status"));
    cJSON_Delete(cur);
    return buf;
}

/* token_active holds once the token of the header lines hdr (a char *) is ACTIVE. */
static int token_active(void *hdr)
{
    char st[32];
    return strcmp(token_status(hdr, st, sizeof(st)), "ACTIVE") == 0;
}

/* active_token takes a place for user in concert's queue, waits until ACTIVE and writes the
 * header lines of user's identity and token into hdr (and the bare token into tok when not
 * NULL). */
static void active_token(long long user, long long concert, char *hdr, size_t len, char *tok,
                         size_t toklen)
{
    cJSON *t = take_token(user, concert, 201);
    http_json_keys(t, token_keys);
    ck_assert_int_eq(num(t, "userId"), user);
    ck_assert_int_eq(num(t, "concertId"), concert);
    token_header(hdr, len, user, str(t, "token"));
    if (tok != NULL) {
        snprintf(tok, toklen, "%s", str(t, "token"));
    }
    cJSON_Delete(t);
    SUPPORT_WAIT(token_active, hdr, 30000, "user %lld was not admitted within 30 s", user);
}

/* first_schedule returns a schedule of concert with seats available. */
static long long first_schedule(const char *hdr, long long concert)
{
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    cJSON *json = call("GET", path, hdr, NULL, 200);
    const cJSON *s;
    long long id = 0;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(json, "schedules"))
    {
        if (num(s, "availableSeats") > 0) {
            id = num(s, "id");
            break;
        }
    }
    cJSON_Delete(json);
    ck_assert_msg(id > 0, "concert %lld has no date with seats left", concert);
    return id;
}

/* seat_status_on returns the status of seat_no on schedule as the bridge on port shows it (and
 * its price through *price). */
static const char *seat_status_on(int port, const char *hdr, long long schedule, long long seat_no,
                                  long long *price)
{
    static char status[16];
    char path[128];
    const cJSON *s;
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    cJSON *json = http_json(port, "GET", path, hdr, NULL, 200);
    status[0] = '\0';
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(json, "seats"))
    {
        if (num(s, "seatNo") == seat_no) {
            snprintf(status, sizeof(status), "%s", str(s, "status"));
            if (price != NULL) {
                *price = num(s, "price");
            }
        }
    }
    cJSON_Delete(json);
    return status;
}

/* seat_status returns the status of seat_no on schedule as the bridge under test shows it. */
static const char *seat_status(const char *hdr, long long schedule, long long seat_no,
                               long long *price)
{
    return seat_status_on(bridge.port, hdr, schedule, seat_no, price);
}

/* free_seat returns the number of an AVAILABLE seat of schedule other than except (0: any). */
static long long free_seat(const char *hdr, long long schedule, long long except)
{
    char path[128];
    const cJSON *s;
    long long seat = 0;
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    cJSON *json = call("GET", path, hdr, NULL, 200);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(json, "seats"))
    {
        if (strcmp(str(s, "status"), "AVAILABLE") == 0 && num(s, "seatNo") != except) {
            seat = num(s, "seatNo");
            break;
        }
    }
    cJSON_Delete(json);
    ck_assert_msg(seat > 0, "schedule %lld has no available seat", schedule);
    return seat;
}

/* new_concert creates a concert whose sale opens at opens (an RFC 3339 time, or "null"), with
 * one date; returns the concert's id. */
static long long new_concert(const char *opens)
{
    char hdr[256], path[128], body[256];
    admin_header(hdr, sizeof(hdr));
    snprintf(body, sizeof(body),
             "{\"title\":\"Opening\",\"artist\":\"Band\",\"venue\":\"Hall\",\"saleOpensAt\":%s}",
             opens);
    cJSON *c = call("POST", "/api/v1/admin/concerts", hdr, body, 201);
    http_json_keys(c, concert_keys);
    long long id = num(c, "id");
    cJSON_Delete(c);
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld/schedules", id);
    cJSON_Delete(
        call("POST", path, hdr, "{\"startsAt\":\"2031-05-01T19:00:00Z\",\"price\":100}", 201));
    return id;
}

/* limits_patch sends PATCH /api/v1/admin/limits with body and returns the limits answered. */
static cJSON *limits_patch(const char *body)
{
    char hdr[256];
    admin_header(hdr, sizeof(hdr));
    cJSON *l = call("PATCH", "/api/v1/admin/limits", hdr, body, 200);
    http_json_keys(l, limits_keys);
    return l;
}

/* limits_save writes the limits in force as a PATCH body into out, to restore them with. */
static void limits_save(char *out, size_t len)
{
    char hdr[256];
    admin_header(hdr, sizeof(hdr));
    cJSON *l = call("GET", "/api/v1/admin/limits", hdr, NULL, 200);
    http_json_keys(l, limits_keys);
    char *text = cJSON_PrintUnformatted(l);
    ck_assert_ptr_nonnull(text);
    ck_assert_uint_lt(strlen(text), len);
    snprintf(out, len, "%s", text);
    cJSON_free(text);
    cJSON_Delete(l);
}

/* Attempts to take a place that the rate limits may refuse: through which bridge, as whom,
 * with which extra header lines. */
struct issue_try {
    int port;
    long long user; /* the next attempt's user */
    long long concert;
    const char *extra; /* e.g. an X-Forwarded-For line, or "" */
    int new_user;      /* each attempt as the next user */
    int new_address;   /* each attempt with another X-Forwarded-For (extra is then unused) */
    int attempts;      /* made so far */
};

/* issue_status makes t's next attempt and returns the HTTP status (checking a 429's shape). */
static int issue_status(struct issue_try *t)
{
    char a[AUTH_MAX], xff[64], hdr[HDR_MAX], body[64];
    struct http_resp r;

    auth(a, sizeof(a), t->user);
    /* 198.18.0.0/15, for benchmarks: the service has seen none of these before */
    snprintf(xff, sizeof(xff), "X-Forwarded-For: 198.18.%d.%d\r\n", t->attempts / 250 % 256,
             t->attempts % 250 + 1);
    snprintf(hdr, sizeof(hdr), "%s%s" JSON_HDR, a, t->new_address ? xff : t->extra);
    snprintf(body, sizeof(body), "{\"concertId\":%lld}", t->concert);
    request_on(t->port, "POST", "/api/v1/queue/tokens", hdr, body, &r);
    int status = r.status;
    if (status == 429) {
        http_error_check(&r, "POST /api/v1/queue/tokens", 429, "RATE_LIMITED", NULL);
    } else {
        ck_assert_msg(status == 200 || status == 201, "token issue: got %d %s", status, r.body);
    }
    http_resp_free(&r);
    t->attempts++;
    t->user += t->new_user ? 1 : 0;
    return status;
}

/* issue_refused holds once an attempt of the issue_try arg is refused by a rate limit (limits
 * reach every worker within a second of being set). */
static int issue_refused(void *arg)
{
    return issue_status(arg) == 429;
}

/* issue_allowed holds once an attempt of the issue_try arg is no longer refused. */
static int issue_allowed(void *arg)
{
    return issue_status(arg) != 429;
}

/* Tokens of which one is awaited ACTIVE. */
struct one_of {
    char (*hdr)[HDR_MAX]; /* the header lines of each token (token_header) */
    int n;
    int except; /* a token not to look at, or -1 */
    int found;  /* the one found ACTIVE, or -1 */
};

/* one_of_active holds once one of the tokens of the one_of arg (but except) is ACTIVE. */
static int one_of_active(void *arg)
{
    struct one_of *o = arg;

    for (int i = 0; i < o->n; i++) {
        if (i != o->except && token_active(o->hdr[i])) {
            o->found = i;
            return 1;
        }
    }
    return 0;
}

/* Where a proof is awaited refused: the bridge's port, the path, the header lines. */
struct refusal {
    int port;
    const char *path;
    const char *headers;
};

/* refused holds once GET refusal->path is answered 401. */
static int refused(void *arg)
{
    const struct refusal *f = arg;
    struct http_resp r;

    request_on(f->port, "GET", f->path, f->headers, NULL, &r);
    int status = r.status;
    http_resp_free(&r);
    return status == 401;
}

/* ---- fixtures ----------------------------------------------------------------- */

/* local: a bridge whose service address has nobody listening. */
static void local_setup(void)
{
    char url[64];
    snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", testenv_free_port());
    env_ok = bridge_proc_start(&bridge, url, 1000, NULL) == 0;
}

static void local_teardown(void)
{
    ck_assert_int_eq(bridge_proc_stop(&bridge), 0);
}

/* events_flag writes "--events-urls=" with the events addresses of both instances into out. */
static const char *events_flag(char *out, size_t len)
{
    snprintf(out, len, "--events-urls=%s,%s", env.events_url[0], env.events_url[1]);
    return out;
}

/* service: two instances following each other's events (a session revoked on one is refused
 * on the other) and a bridge over the first, following the events of both: a request that
 * ends a token is followed by ones its instance refuses at once. */
static void service_setup(void)
{
    char events[300];
    const char *args[] = {events, NULL};

    memset(&env, 0, sizeof(env));
    env_ok = testenv_start(&env, TESTENV_SEED) == 0;
    env.peers = 1; /* each instance follows the other's seat and ended-token events */
    env_ok = env_ok && testenv_service_start(&env, 2, NULL) == 0;
    env_ok = env_ok && bridge_proc_start_args(&bridge, env.rpc_url[0], 5000, env.dir,
                                              (events_flag(events, sizeof(events)), args)) == 0;
}

static void service_teardown(void)
{
    bridge_proc_stop(&bridge);
    testenv_stop(&env);
}

/* limits_off: every test starts with the rate limits off, whatever an earlier one left. */
static void limits_off(void)
{
    ck_assert_msg(!env_ok || testenv_limits_off(&env) == 0, "cannot turn the rate limits off");
}

/* ---- local: answered by the bridge alone ---------------------------------------- */

START_TEST(test_health_and_page)
{
    struct http_resp r;
    char v[128];

    cJSON *json = call("GET", "/healthz", NULL, NULL, 200);
    ck_assert_str_eq(str(json, "status"), "ok");
    cJSON_Delete(json);

    request("GET", "/", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(http_resp_header(&r, "Content-Type", v, sizeof(v)));
    ck_assert_ptr_nonnull(strstr(v, "text/html"));
    ck_assert_ptr_nonnull(strstr(r.body, "<html"));
    http_resp_free(&r);

    request("GET", "/metrics", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.head, "text/plain"));
    ck_assert_ptr_nonnull(strstr(r.body, "boxoffice_bridge_requests_total{method=\"GET\","
                                         "route=\"/healthz\",status=\"2xx\"} "));
    ck_assert_ptr_nonnull(strstr(r.body, "boxoffice_bridge_request_duration_seconds_bucket"));
    ck_assert_ptr_nonnull(strstr(r.body, "boxoffice_bridge_request_duration_seconds_count"));
    http_resp_free(&r);
}
END_TEST

START_TEST(test_routing)
{
    struct http_resp r;
    char v[128];

    expect_error("GET", "/api/v1/nothing", NULL, NULL, 404, "NOT_FOUND");
    expect_error("GET", "/api/v1/concerts/1", NULL, NULL, 404, "NOT_FOUND");
    expect_error("GET", "/api/v2/concerts", NULL, NULL, 404, "NOT_FOUND");
    expect_error("DELETE", "/api/v1/sessions/7", NULL, NULL, 404, "NOT_FOUND");

    expect_error("DELETE", "/api/v1/concerts", NULL, NULL, 405, "METHOD_NOT_ALLOWED");
    static const struct {
        const char *method, *path, *allow;
    } allowed[] = {
        {"GET", "/api/v1/reservations", "POST"},
        {"POST", "/api/v1/admin/admission", "GET, PUT, PATCH"},
        {"POST", "/api/v1/queue/tokens/current", "GET, DELETE"},
        {"GET", "/api/v1/sessions/current", "DELETE"},
        {"GET", "/api/v1/accounts", "POST"},
        {"PUT", "/api/v1/admin/limits", "GET, PATCH"},
        {"GET", "/api/v1/admin/concerts/3", "PATCH"},
    };
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
        request(allowed[i].method, allowed[i].path, JSON_HDR, "{}", &r);
        ck_assert_msg(r.status == 405, "%s %s: got %d", allowed[i].method, allowed[i].path,
                      r.status);
        ck_assert_ptr_nonnull(http_resp_header(&r, "Allow", v, sizeof(v)));
        ck_assert_str_eq(v, allowed[i].allow);
        http_resp_free(&r);
    }

    /* path ids: digits only, 1..2^63-1 */
    expect_error("GET", "/api/v1/concerts/abc/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/0/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/-1/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/1.5/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/schedules/9223372036854775808/seats", NULL, NULL, 400,
                 "INVALID_ARGUMENT");
    expect_error("DELETE", "/api/v1/reservations/12x", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/users/%20/points", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("PATCH", "/api/v1/admin/concerts/x1", JSON_HDR, "{\"saleOpensAt\":null}", 400,
                 "INVALID_ARGUMENT");
}
END_TEST

/* A body problem answered by the bridge: the request, the code and what the message names. */
struct bad_body {
    const char *method;
    const char *path;
    const char *body;
    const char *code;
    const char *mention;
};

static const struct bad_body bad_bodies[] = {
    {"POST", "/api/v1/queue/tokens", "{\"userId\":1,", "INVALID_JSON", NULL},
    {"POST", "/api/v1/queue/tokens", "", "INVALID_JSON", NULL},
    {"POST", "/api/v1/queue/tokens", "[1,2]", "INVALID_JSON", NULL},
    {"POST", "/api/v1/queue/tokens", "\"x\"", "INVALID_JSON", NULL},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":\"1\",\"concertId\":1}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":1.5,\"concertId\":1}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":-3,\"concertId\":1}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":0,\"concertId\":1}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":9007199254740993,\"concertId\":1}",
     "INVALID_ARGUMENT", "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":true,\"concertId\":1}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/queue/tokens", "{\"userId\":1}", "INVALID_ARGUMENT", "concertId"},
    {"POST", "/api/v1/queue/tokens", "{}", "INVALID_ARGUMENT", "concertId"},
    {"POST", "/api/v1/reservations", "{\"scheduleId\":1,\"seatNo\":null}", "INVALID_ARGUMENT",
     "seatNo"},
    {"POST", "/api/v1/payments", "{\"reservationId\":[1]}", "INVALID_ARGUMENT", "reservationId"},
    {"POST", "/api/v1/users/1/points/charges", "{\"amount\":0}", "INVALID_ARGUMENT", "amount"},
    {"POST", "/api/v1/users/1/points/charges", "{\"amount\":10.25}", "INVALID_ARGUMENT", "amount"},
    /* identity */
    {"POST", "/api/v1/accounts", "{\"name\":\"Ann\"}", "INVALID_ARGUMENT", "password"},
    {"POST", "/api/v1/accounts", "{\"password\":\"long enough\"}", "INVALID_ARGUMENT", "name"},
    {"POST", "/api/v1/accounts", "{\"name\":\"\",\"password\":\"long enough\"}", "INVALID_ARGUMENT",
     "name"},
    {"POST", "/api/v1/accounts", "{\"name\":\"Ann\",\"password\":12345678}", "INVALID_ARGUMENT",
     "password"},
    {"POST", "/api/v1/sessions", "{\"userId\":\"1\",\"password\":\"demo\"}", "INVALID_ARGUMENT",
     "userId"},
    {"POST", "/api/v1/sessions", "{\"password\":\"demo\"}", "INVALID_ARGUMENT", "userId"},
    {"POST", "/api/v1/sessions", "{\"userId\":1}", "INVALID_ARGUMENT", "password"},
    {"POST", "/api/v1/sessions", "{\"userId\":1,\"password\":null}", "INVALID_ARGUMENT",
     "password"},
    /* admin */
    {"POST", "/api/v1/admin/concerts", "{\"title\":\"\",\"artist\":\"a\",\"venue\":\"v\"}",
     "INVALID_ARGUMENT", "title"},
    {"POST", "/api/v1/admin/concerts",
     "{\"title\":\"t\",\"artist\":\"a\",\"venue\":\"v\",\"saleOpensAt\":\"tomorrow\"}",
     "INVALID_ARGUMENT", "saleOpensAt"},
    {"POST", "/api/v1/admin/concerts",
     "{\"title\":\"t\",\"artist\":\"a\",\"venue\":\"v\",\"saleOpensAt\":1764032400}",
     "INVALID_ARGUMENT", "saleOpensAt"},
    {"PATCH", "/api/v1/admin/concerts/1", "{}", "INVALID_ARGUMENT", "saleOpensAt"},
    {"PATCH", "/api/v1/admin/concerts/1", "{\"saleOpensAt\":\"2030-13-01T00:00:00Z\"}",
     "INVALID_ARGUMENT", "saleOpensAt"},
    {"PATCH", "/api/v1/admin/concerts/1", "{\"saleOpensAt\":true}", "INVALID_ARGUMENT",
     "saleOpensAt"},
    {"POST", "/api/v1/admin/concerts/1/schedules", "{\"startsAt\":\"next friday\",\"price\":10}",
     "INVALID_ARGUMENT", "startsAt"},
    {"POST", "/api/v1/admin/concerts/1/schedules", "{\"startsAt\":null,\"price\":10}",
     "INVALID_ARGUMENT", "startsAt"},
    {"POST", "/api/v1/admin/concerts/1/schedules",
     "{\"startsAt\":\"2027-01-01T19:00:00Z\",\"price\":10,\"seatPrices\":[1,2,3]}",
     "INVALID_ARGUMENT", "seatPrices"},
    {"PUT", "/api/v1/admin/admission", "{\"maxActive\":-1}", "INVALID_ARGUMENT", "maxActive"},
    {"PATCH", "/api/v1/admin/limits", "{\"userHoldsPerMinute\":-1}", "INVALID_ARGUMENT",
     "userHoldsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"addressLoginsPerMinute\":2.5}", "INVALID_ARGUMENT",
     "addressLoginsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"userLoginsPerMinute\":\"5\"}", "INVALID_ARGUMENT",
     "userLoginsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"userLoginsPerMinute\":null}", "INVALID_ARGUMENT",
     "userLoginsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"userHoldsPerMinute\":4294967296}", "INVALID_ARGUMENT",
     "userHoldsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"userHoldsPerMinute\":5,\"holdsPerMinute\":5}",
     "INVALID_ARGUMENT", "holdsPerMinute"},
    {"PATCH", "/api/v1/admin/limits", "{\"maxActive\":5}", "INVALID_ARGUMENT", "maxActive"},
};

/* check_bad_body sends one row of bad_bodies as JSON and checks the 400. */
static void check_bad_body(const struct bad_body *b)
{
    expect_error_on(bridge.port, b->method, b->path, JSON_HDR, b->body, 400, b->code, b->mention);
}

SUPPORT_TABLE_TEST(test_bad_bodies_table, bad_bodies, check_bad_body)

START_TEST(test_bad_bodies)
{
    const char *p = "/api/v1/queue/tokens";

    expect_error("POST", p, NULL, NULL, 400, "INVALID_JSON");

    /* 415 for a body declared as something other than JSON */
    expect_error("POST", p, "Content-Type: text/plain\r\n", "{\"concertId\":1}", 415,
                 "UNSUPPORTED_MEDIA_TYPE");
    expect_error("POST", p, "Content-Type: application/x-www-form-urlencoded\r\n", "concertId=1",
                 415, "UNSUPPORTED_MEDIA_TYPE");

    /* 413 for a body over max-body-bytes (16384 by default) */
    size_t big = 20000;
    char *body = malloc(big + 1);
    ck_assert_ptr_nonnull(body);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    expect_error("POST", p, JSON_HDR, body, 413, "TOO_LARGE");
    free(body);

    /* a password over 128 bytes goes nowhere */
    char pw[400];
    memset(pw, 'p', 129);
    pw[129] = '\0';
    char login[512];
    snprintf(login, sizeof(login), "{\"userId\":1,\"password\":\"%s\"}", pw);
    expect_error_on(bridge.port, "POST", "/api/v1/sessions", JSON_HDR, login, 400,
                    "INVALID_ARGUMENT", "password");

    /* Idempotency-Key: 1..128 printable ASCII */
    char hdr[512];
    char key[200];
    memset(key, 'k', 129);
    key[129] = '\0';
    snprintf(hdr, sizeof(hdr), JSON_HDR "Idempotency-Key: %s\r\n", key);
    expect_error("POST", "/api/v1/users/1/points/charges", hdr, "{\"amount\":10}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/payments", JSON_HDR "Idempotency-Key: caf\xc3\xa9\r\n",
                 "{\"reservationId\":1}", 400, "INVALID_ARGUMENT");
}
END_TEST

/* A malformed Authorization is refused by the bridge before any call (here the service is
 * down: no 503), on every route that calls the service; an absent one is not. */
START_TEST(test_authorization_malformed)
{
    static const char *const bad[] = {
        "Authorization: Basic dXNlcjpwYXNz\r\n",
        "Authorization: Bearer\r\n",
        "Authorization: Bearer a b\r\n",
        "Authorization: Bearer \"quoted\"\r\n",
        "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n",
        "Authorization: s1.7.1764032710.AAAAAAAAAAAAAAAAAAAAAA.c2ln\r\n",
    };
    char hdr[256];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        expect_error("GET", "/api/v1/concerts", bad[i], NULL, 401, "SESSION_INVALID");
        snprintf(hdr, sizeof(hdr), "%s" JSON_HDR, bad[i]);
        expect_error("POST", "/api/v1/queue/tokens", hdr, "{\"concertId\":1}", 401,
                     "SESSION_INVALID");
        expect_error("DELETE", "/api/v1/sessions/current", bad[i], NULL, 401, "SESSION_INVALID");
    }
    expect_error("GET", "/api/v1/concerts", "Authorization: bearer abc.def\r\n", NULL, 503,
                 "UNAVAILABLE");
    expect_error("GET", "/api/v1/concerts", NULL, NULL, 503, "UNAVAILABLE");
}
END_TEST

START_TEST(test_keep_alive_pipelined)
{
    static const char raw[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: x\r\n"
                              "Content-Type: application/json\r\nContent-Length: 5\r\n\r\n{bad}"
                              "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char buf[8192];

    ck_assert(env_ok);
    long n = http_raw(bridge.port, raw, sizeof(raw) - 1, buf, sizeof(buf), 5000);
    ck_assert_int_gt(n, 0);
    const char *first = strstr(buf, "HTTP/1.1 200 OK");
    ck_assert_ptr_nonnull(first);
    const char *second = strstr(first + 1, "HTTP/1.1 400 Bad Request");
    ck_assert_ptr_nonnull(second);
    ck_assert_ptr_nonnull(strstr(second, "HTTP/1.1 200 OK"));
}
END_TEST

START_TEST(test_service_down)
{
    struct http_resp r;

    request("GET", "/api/v1/concerts", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":\"UNAVAILABLE\""));
    ck_assert_msg(r.elapsed_ms < 4000, "503 took %.0f ms with a 1000 ms timeout", r.elapsed_ms);
    http_resp_free(&r);
    expect_error("GET", "/readyz", NULL, NULL, 503, "UNAVAILABLE");
    expect_error("POST", "/api/v1/queue/tokens", JSON_HDR, "{\"concertId\":1}", 503, "UNAVAILABLE");
    expect_error("POST", "/api/v1/sessions", JSON_HDR, "{\"userId\":1,\"password\":\"demo\"}", 503,
                 "UNAVAILABLE");
    cJSON *json = call("GET", "/healthz", NULL, NULL, 200);
    cJSON_Delete(json);
}
END_TEST

/* ---- local: hostile requests (issue 10) ------------------------------------------ */

#define TOKENS_PATH "/api/v1/queue/tokens"
#define EVENTS_PATH "/api/v1/queue/events"

/* raw_error sends raw to the bridge under test, reads the answer to the close and checks its
 * error (see http_error_check). */
static void raw_error(const char *what, const char *raw, int want, const char *code,
                      const char *mention)
{
    char buf[8192];
    struct http_resp r;

    ck_assert(env_ok);
    long n = http_raw(bridge.port, raw, strlen(raw), buf, sizeof(buf), 10000);
    ck_assert_msg(n > 0 && http_resp_parse(buf, (size_t)n, &r) == 0, "%s: no answer: %s", what,
                  buf);
    http_error_check(&r, what, want, code, mention);
    http_resp_free(&r);
}

/* A long query goes whole into the 307's Location (the head no longer has to fit 512 bytes);
 * one past any sane URL is refused with a 400 that names the query. */
START_TEST(test_push_redirect_long_query)
{
    struct bridge_proc push;
    char listen[64], events[64], path[4096], want[4200], v[4200];
    const char *args[] = {listen, events, NULL};
    struct http_resp r;
    int port = testenv_free_port();

    ck_assert(env_ok);
    snprintf(listen, sizeof(listen), "--push-listen=127.0.0.1:%d", port);
    snprintf(events, sizeof(events), "--events-urls=tcp://127.0.0.1:%d", testenv_free_port());
    ck_assert_int_eq(bridge_proc_start_args(&push, "tcp://127.0.0.1:1", 1000, NULL, args), 0);

    int n = snprintf(path, sizeof(path), EVENTS_PATH "?token=");
    memset(path + n, 'q', 1500);
    path[n + 1500] = '\0';
    request_on(push.port, "GET", path, NULL, NULL, &r);
    ck_assert_msg(r.status == 307, "a 1,500-byte query: want 307, got %d %s", r.status, r.body);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d%s", port, path);
    ck_assert_ptr_nonnull(http_resp_header(&r, "Location", v, sizeof(v)));
    ck_assert_str_eq(v, want);
    http_resp_free(&r);

    memset(path + n, 'q', 3000);
    path[n + 3000] = '\0';
    expect_error_on(push.port, "GET", path, NULL, NULL, 400, "INVALID_ARGUMENT", "query");
    ck_assert_int_eq(bridge_proc_stop(&push), 0);
}
END_TEST

/* feed sends 4 KB more of a body on fd, as one chunk when chunked; returns 0, or -1 once the
 * bridge has closed (the send met its reset). */
static int feed(int fd, int chunked)
{
    static const char chunk_head[] = "1000\r\n"; /* 4096 bytes */
    char out[sizeof(chunk_head) - 1 + 4096 + 2];
    size_t len = 4096;

    memset(out, ' ', sizeof(out));
    if (chunked) {
        memcpy(out, chunk_head, sizeof(chunk_head) - 1);
        memcpy(out + sizeof(out) - 2, "\r\n", 2);
        len = sizeof(out);
    }
    return http_send(fd, out, len);
}

/* feed_until_closed feeds the rest of a body (see feed) while it waits up to 10 s for the bridge
 * to close; returns 1 once it has (EOF or reset), 0 if it read on. A piece every 50 ms keeps
 * civetweb's per-receive timeout from ending a bridge that reads on: about 800 KB in 10 s, less
 * than any body fed here, so a bridge reading on never reaches the body's end either. */
static int feed_until_closed(int fd, int chunked)
{
    int64_t until = support_now_ms() + 10000;
    char in[512];

    while (support_now_ms() < until) {
        if (feed(fd, chunked) != 0 || http_recv(fd, in, sizeof(in), 50) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A 413 closes the connection at once rather than read on through the rest of the body,
 * declared (Content-Length: 1 MiB, refused before any of it is read) or chunked (refused once
 * past 16 KB). */
START_TEST(test_refused_body_closes)
{
    static const char *const heads[] = {
        "POST " TOKENS_PATH " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 1048576\r\n\r\n",
        "POST " TOKENS_PATH " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n",
    };
    char buf[8192];
    struct http_resp r;

    ck_assert(env_ok);
    for (int chunked = 0; chunked < 2; chunked++) {
        const char *what = chunked ? "a chunked body past 16 KB" : "a 1 MiB body";
        int closed = 0;
        int fd = http_connect(bridge.port);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(http_send(fd, heads[chunked], strlen(heads[chunked])), 0);
        for (int i = 0; i < 5; i++) { /* 20 KB: past the limit */
            feed(fd, chunked);
        }
        long n = http_recv_until(fd, buf, sizeof(buf), "}}", 10000, &closed);
        ck_assert_msg(n > 0 && http_resp_parse(buf, (size_t)n, &r) == 0, "%s: no answer: %s", what,
                      buf);
        http_error_check(&r, what, 413, "TOO_LARGE", NULL);
        ck_assert_msg(strstr(r.head, "\r\nConnection: close\r\n") != NULL,
                      "%s: a 413 without Connection: close: %s", what, r.head);
        http_resp_free(&r);
        ck_assert_msg(closed || feed_until_closed(fd, chunked),
                      "%s: the bridge read on through the refused body", what);
        close(fd);
    }
}
END_TEST

/* Expect: 100-continue: a body within the limit is asked for with 100 Continue, then answered;
 * one past it gets its 413 without any 100, and the connection closes (the client will never
 * send that body). */
START_TEST(test_expect_continue)
{
    static const char small[] = "POST " TOKENS_PATH " HTTP/1.1\r\nHost: x\r\n"
                                "Content-Type: application/json\r\nConnection: close\r\n"
                                "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n";
    static const char large[] = "POST " TOKENS_PATH " HTTP/1.1\r\nHost: x\r\n"
                                "Content-Type: application/json\r\n"
                                "Expect: 100-continue\r\nContent-Length: 1048576\r\n\r\n";
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char buf[8192];
    struct http_resp r;
    int closed = 0;

    ck_assert(env_ok);
    int fd = http_connect(bridge.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(http_send(fd, small, sizeof(small) - 1), 0);
    long n = http_recv_until(fd, buf, sizeof(buf), "\r\n\r\n", 10000, NULL);
    ck_assert_msg(n == (long)sizeof(cont) - 1 && strcmp(buf, cont) == 0,
                  "want 100 Continue before the body, got: %s", n >= 0 ? buf : "nothing");
    ck_assert_int_eq(http_send(fd, "{}", 2), 0);
    n = http_recv_until(fd, buf, sizeof(buf), NULL, 10000, &closed);
    ck_assert_msg(n > 0 && closed && http_resp_parse(buf, (size_t)n, &r) == 0, "no answer: %s",
                  buf);
    http_error_check(&r, "Expect, 2 bytes", 400, "INVALID_ARGUMENT", "concertId");
    http_resp_free(&r);
    close(fd);

    fd = http_connect(bridge.port);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(http_send(fd, large, sizeof(large) - 1), 0);
    n = http_recv_until(fd, buf, sizeof(buf), "}}", 10000, &closed);
    ck_assert_msg(n > 0 && http_resp_parse(buf, (size_t)n, &r) == 0, "no answer: %s", buf);
    http_error_check(&r, "Expect, 1 MiB", 413, "TOO_LARGE", "1048576");
    ck_assert_msg(strstr(r.head, "\r\nConnection: close\r\n") != NULL,
                  "a 413 to Expect without Connection: close: %s", r.head);
    http_resp_free(&r);
    ck_assert_msg(closed || http_recv_until(fd, buf, sizeof(buf), NULL, 10000, &closed) >= 0,
                  "no close after the 413");
    ck_assert_msg(closed, "no close after the 413");
    close(fd);
}
END_TEST

/* A broken chunked body is answered as such, not as a body that is not JSON; a good one is
 * read. */
START_TEST(test_chunked_bodies)
{
#define CHUNKED_HEAD                                                                               \
    "POST " TOKENS_PATH " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"               \
    "Transfer-Encoding: chunked\r\n\r\n"
    raw_error("bad chunk size", CHUNKED_HEAD "zz\r\n{}\r\n0\r\n\r\n", 400, "MALFORMED_REQUEST",
              "chunked");
    raw_error("chunk without CRLF", CHUNKED_HEAD "2\r\n{}xx0\r\n\r\n", 400, "MALFORMED_REQUEST",
              "chunked");
    raw_error("cut short", CHUNKED_HEAD "14\r\n{\"concertId\"", 400, "MALFORMED_REQUEST",
              "chunked");
    raw_error("whole", CHUNKED_HEAD "2\r\n{}\r\n0\r\n\r\n", 400, "INVALID_ARGUMENT", "concertId");
    raw_error("whole, two chunks",
              CHUNKED_HEAD "1\r\n{\r\nd\r\n\"concertId\":0\r\n1\r\n}\r\n0\r\n\r\n", 400,
              "INVALID_ARGUMENT", "concertId");
#undef CHUNKED_HEAD
}
END_TEST

/* ---- local: the edge (nginx) in front of the bridge ------------------------------- */

/* The edge's template with one setting changed, running in front of the local bridge. */
struct edge {
    char dir[64]; /* its prefix: configuration, pid, log, temporary files */
    int port;
    struct support_child child;
};

/* edge_ready holds once a request through the edge is answered by the bridge. */
static int edge_ready(void *arg)
{
    const struct edge *e = arg;
    struct http_resp r;

    ck_assert_msg(support_child_alive((struct support_child *)&e->child),
                  "nginx exited at start (see %s/error.log)", e->dir);
    if (http_request(e->port, "GET", "/healthz", NULL, NULL, 1000, &r) != 0) {
        return 0;
    }
    int ok = r.status == 200 && strstr(r.body, "\"ok\"") != NULL;
    http_resp_free(&r);
    return ok;
}

/* edge_folder makes the edge's folder (its limits file: limits.conf, pid file: nginx.pid) and
 * picks its port, before edge_run starts it. */
static void edge_folder(struct edge *e)
{
    snprintf(e->dir, sizeof(e->dir), "/tmp/bo-edge-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(e->dir));
    e->port = testenv_free_port();
}

/* edge_run renders bridge/edge/nginx.conf.in as ./boxoffice up does (the limits file with the
 * default cap unless there is one), in front of the bridge on bridge_port, with setting (which
 * must be in the template) replaced by instead, and starts nginx in the foreground: as one
 * process (no workers: a test that fails leaves none behind), or with master a master and its
 * worker (nginx reloads only so); fails the test unless it answers. Stop it with edge_stop. */
static void edge_run(struct edge *e, int bridge_port, const char *setting, const char *instead,
                     int master)
{
    char render[1024], template[1024], cap[1024], listen[64], bridge_at[64], pid[128], log[128];
    char temp[128], limits[160], limits_file[128], conf_path[128];
    static char conf[65536];

    snprintf(render, sizeof(render), "%s/bridge/edge/render", support_source_dir());
    snprintf(template, sizeof(template), "%s/bridge/edge/nginx.conf.in", support_source_dir());
    snprintf(cap, sizeof(cap), "%s/bridge/edge/cap", support_source_dir());
    snprintf(listen, sizeof(listen), "LISTEN=127.0.0.1:%d", e->port);
    snprintf(bridge_at, sizeof(bridge_at), "BRIDGE=127.0.0.1:%d", bridge_port);
    snprintf(pid, sizeof(pid), "PID_FILE=%s/nginx.pid", e->dir);
    snprintf(log, sizeof(log), "ERROR_LOG=%s/error.log", e->dir);
    snprintf(temp, sizeof(temp), "TEMP_DIR=%s", e->dir);
    snprintf(limits_file, sizeof(limits_file), "%s/limits.conf", e->dir);
    snprintf(limits, sizeof(limits), "LIMITS_FILE=%s", limits_file);
    char *const cargv[] = {cap, "--default", limits_file, "256", NULL};
    ck_assert_msg(support_run(cargv, NULL, 10000) == 0, "bridge/edge/cap failed");
    char *const rargv[] = {render, template, listen, bridge_at, pid, log, temp, limits, NULL};
    struct support_spawn how = {.out = conf, .out_size = sizeof(conf)};
    ck_assert_msg(support_run(rargv, &how, 10000) == 0, "bridge/edge/render failed");

    char *at = strstr(conf, setting);
    ck_assert_msg(at != NULL, "the edge's template has no '%s'", setting);
    ck_assert_int_le(strlen(instead), strlen(setting));
    memset(at, ' ', strlen(setting));
    memcpy(at, instead, strlen(instead));
    snprintf(conf_path, sizeof(conf_path), "%s/nginx.conf", e->dir);
    FILE *f = fopen(conf_path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(conf, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);

    char prefix[80], errlog[128];
    snprintf(prefix, sizeof(prefix), "%s/", e->dir);
    snprintf(errlog, sizeof(errlog), "%s/error.log", e->dir);
    /* Debian's nginx is in /usr/sbin, which a user's PATH may lack */
    int sbin = access("/usr/sbin/nginx", X_OK) == 0;
    char *const nargv[] = {sbin ? "/usr/sbin/nginx" : "nginx",
                           "-p",
                           prefix,
                           "-c",
                           conf_path,
                           "-e",
                           errlog,
                           "-g",
                           master ? "daemon off;" : "daemon off; master_process off;",
                           NULL};
    /* a master told to stop (SIGTERM) stops its worker too, also when the test dies */
    struct support_spawn run = {.log = errlog, .search_path = !sbin, .deathsig = SIGTERM};
    ck_assert_msg(support_spawn(nargv, &run, &e->child) == 0, "nginx did not start");
    SUPPORT_WAIT(edge_ready, e, 10000, "the edge did not answer in 10 s (see %s)", errlog);
}

/* edge_start starts the edge in front of the local bridge as one process (see edge_run). */
static void edge_start(struct edge *e, const char *setting, const char *instead)
{
    edge_folder(e);
    edge_run(e, bridge.port, setting, instead, 0);
}

/* edge_stop stops the edge and removes its folder. */
static void edge_stop(struct edge *e)
{
    char *const rm[] = {"rm", "-rf", e->dir, NULL};
    struct support_spawn how = {.search_path = 1};

    ck_assert_int_eq(support_child_stop(&e->child, SIGTERM, 5000), 0);
    ck_assert_int_eq(support_run(rm, &how, 10000), 0);
}

/* A client that sends its request head one byte at a time is dropped once the head's deadline
 * (client_header_timeout, here 1 s instead of 10 s) has passed, though it never pauses long
 * enough for a timeout per read; a normal client is served meanwhile. */
START_TEST(test_edge_slow_head)
{
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: one byte at a time\r\n"
                               "Connection: close\r\n\r\n";
    struct edge e;
    char in[256];
    size_t sent = 0;
    int closed = 0;

    ck_assert(env_ok);
    edge_start(&e, "client_header_timeout 10s;", "client_header_timeout 1s;");
    int fd = http_connect(e.port);
    ck_assert_int_ge(fd, 0);
    int64_t start = support_now_ms();
    /* a byte every 300 ms: the head would take 25 s */
    while (!closed && sent < sizeof(head) - 1 && support_now_ms() - start < 8000) {
        if (http_send(fd, head + sent, 1) != 0) {
            closed = 1;
            break;
        }
        sent++;
        long got = http_recv(fd, in, sizeof(in), 300);
        ck_assert_msg(got <= 0, "the edge answered a head it has not had whole");
        closed = got == 0;
    }
    close(fd);
    ck_assert_msg(closed, "the edge still held a slow head after %lld ms (%zu bytes of it)",
                  (long long)(support_now_ms() - start), sent);
    ck_assert_msg(sent < sizeof(head) - 1, "the slow head was sent whole");
    cJSON *json = http_json(e.port, "GET", "/healthz", NULL, NULL, 200);
    cJSON_Delete(json);
    edge_stop(&e);
}
END_TEST

/* slow_connect opens a connection to 127.0.0.1:port from 127.0.0.<host>; -1 on failure. */
static int slow_connect(int port, int host)
{
    struct sockaddr_in from, to;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&from, 0, sizeof(from));
    memset(&to, 0, sizeof(to));
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)host);
    to.sin_family = AF_INET;
    to.sin_port = htons((unsigned short)port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
        connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* 1,500 slow clients from six addresses (127.0.0.2-7), half sending a head a byte at a time,
 * half a body far shorter than its Content-Length, hold the edge's connections; a normal
 * client from 127.0.0.1 is answered by the bridge (its 64 threads) all along, because the edge
 * holds the slow ones itself: it reads a whole head and a whole body before it passes a
 * request on (with the slow bodies passed on, the bridge's threads would all be waiting). */
START_TEST(test_edge_holds_off_slow_clients)
{
    enum { SLOW = 1500, ROUNDS = 12 };
    static const char head[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: a byte at a time\r\n";
    static const char body_head[] = "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Type: application/json\r\nContent-Length: 4000\r\n"
                                    "\r\n{\"concertId\":";
    static int fds[SLOW];
    struct rlimit rl;
    struct edge e;

    ck_assert(env_ok);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur < SLOW + 256) {
        rl.rlim_cur = rl.rlim_max < SLOW + 512 ? rl.rlim_max : SLOW + 512;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    ck_assert_msg(rl.rlim_cur >= SLOW + 256, "only %llu open files allowed",
                  (unsigned long long)rl.rlim_cur);
    edge_start(&e, "proxy_request_buffering on;", "proxy_request_buffering on;");
    for (int i = 0; i < SLOW; i++) {
        fds[i] = slow_connect(e.port, 2 + i % 6);
        ck_assert_msg(fds[i] >= 0, "slow client %d could not connect", i);
        if (i % 2 == 1) {
            ck_assert_int_eq(http_send(fds[i], body_head, sizeof(body_head) - 1), 0);
        }
    }
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < SLOW; i++) {
            /* one more byte each: of the head, or of the body ("1" repeated: still short) */
            const char *next = i % 2 == 0 ? head + (round % (sizeof(head) - 1)) : "1";
            (void)http_send(fds[i], next, 1); /* a client the edge dropped may fail: fine */
        }
        struct http_resp r;
        ck_assert_int_eq(http_request(e.port, "GET", "/healthz", NULL, NULL, 5000, &r), 0);
        ck_assert_int_eq(r.status, 200);
        http_resp_free(&r);
        ck_assert_int_eq(http_request(e.port, "POST", "/api/v1/queue/tokens",
                                      "Content-Type: application/json\r\n", "{\"concertId\":", 5000,
                                      &r),
                         0);
        /* the bridge read the body (a thread of its own served it) and found it broken */
        ck_assert_msg(r.status == 400 && strstr(r.body, "INVALID_JSON") != NULL, "round %d: %d %s",
                      round, r.status, r.body);
        http_resp_free(&r);
    }
    for (int i = 0; i < SLOW; i++) {
        close(fds[i]);
    }
    edge_stop(&e);
}
END_TEST

/* ---- service: every route against the real service ------------------------------- */

START_TEST(test_ready_and_catalog)
{
    const cJSON *c;

    cJSON *json = call("GET", "/readyz", NULL, NULL, 200);
    ck_assert_str_eq(str(json, "status"), "ready");
    str(json, "instance");
    cJSON_Delete(json);

    json = call("GET", "/api/v1/concerts", NULL, NULL, 200);
    ck_assert_int_eq(cJSON_GetArraySize(json), 1);
    ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json, "concerts")), 3);
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(json, "concerts"))
    {
        http_json_keys(c, concert_keys);
        ck_assert_int_gt(num(c, "id"), 0);
        ck_assert_int_gt(num(c, "scheduleCount"), 0);
        ck_assert(is_null(c, "saleOpensAt") || is_time(c, "saleOpensAt"));
    }
    cJSON_Delete(json);
}
END_TEST

START_TEST(test_full_flow)
{
    static const char *const schedule_keys[] = {
        "id", "concertId", "startsAt", "availableSeats", "totalSeats", NULL};
    static const char *const seat_keys[] = {"seatNo", "price", "status", NULL};
    static const char *const payment_keys[] = {"paymentId", "status",     "amount", "reservationId",
                                               "userId",    "scheduleId", "seatNo", "paidAt",
                                               "balance",   "replayed",   NULL};
    const long long user = 201;
    const long long other = 202;
    long long concert = first_concert();
    char hdr[HDR_MAX], other_hdr[HDR_MAX], id[HDR_MAX], path[256], body[256], h2[HDR_MAX + 200];
    long long price = -1;
    const cJSON *s;

    /* token: 201 when created, 200 with the same token when asked again (the user named in
     * the body too, when it is the proven one) */
    cJSON *t1 = take_token(user, concert, 201);
    http_json_keys(t1, token_keys);
    ck_assert(is_time(t1, "issuedAt"));
    ck_assert(is_null(t1, "saleOpensAt"));
    ck_assert_int_eq(num(t1, "userId"), user);
    const char *st = str(t1, "status");
    ck_assert(strcmp(st, "WAITING") == 0 || strcmp(st, "ACTIVE") == 0);
    auth_json(id, sizeof(id), user);
    snprintf(body, sizeof(body), "{\"userId\":%lld,\"concertId\":%lld}", user, concert);
    cJSON *t2 = call("POST", "/api/v1/queue/tokens", id, body, 200);
    ck_assert_str_eq(str(t2, "token"), str(t1, "token"));
    ck_assert_str_eq(str(t2, "tokenId"), str(t1, "tokenId"));
    cJSON_Delete(t2);
    token_header(hdr, sizeof(hdr), user, str(t1, "token"));
    cJSON_Delete(t1);

    /* wait for admission */
    SUPPORT_WAIT(token_active, hdr, 30000, "not admitted within 30 s");
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    http_json_keys(cur, current_keys);
    ck_assert_int_eq(num(cur, "userId"), user);
    ck_assert_int_eq(num(cur, "concertId"), concert);
    ck_assert(is_time(cur, "admittedAt"));
    ck_assert(is_time(cur, "expiresAt"));
    cJSON_Delete(cur);

    /* schedules and seats */
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    cJSON *sch = call("GET", path, hdr, NULL, 200);
    ck_assert_int_eq(num(sch, "concertId"), concert);
    ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sch, "schedules")), 0);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(sch, "schedules"))
    {
        http_json_keys(s, schedule_keys);
        ck_assert_int_eq(num(s, "concertId"), concert);
        ck_assert(is_time(s, "startsAt"));
        ck_assert_int_eq(num(s, "totalSeats"), 50);
    }
    cJSON_Delete(sch);
    long long schedule = first_schedule(hdr, concert);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    cJSON *seats = call("GET", path, hdr, NULL, 200);
    ck_assert_int_eq(num(seats, "scheduleId"), schedule);
    ck_assert_int_eq(num(seats, "concertId"), concert);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(seats, "seats")), 50);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(seats, "seats"))
    {
        http_json_keys(s, seat_keys);
        ck_assert_int_ge(num(s, "price"), 0);
    }
    cJSON_Delete(seats);

    /* hold; the seat then shows HELD and nobody else can hold it */
    long long seat = free_seat(hdr, schedule, 0);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    http_json_keys(hold, reservation_keys);
    ck_assert_str_eq(str(hold, "status"), "HELD");
    assert_seat_of(hold, user, schedule, seat);
    ck_assert_int_eq(num(hold, "concertId"), concert);
    ck_assert(is_time(hold, "expiresAt"));
    ck_assert(is_time(hold, "heldAt"));
    long long reservation = num(hold, "reservationId");
    long long amount = num(hold, "price");
    cJSON_Delete(hold);
    ck_assert_str_eq(seat_status(hdr, schedule, seat, &price), "HELD");
    ck_assert_int_eq(price, amount);

    active_token(other, concert, other_hdr, sizeof(other_hdr), NULL, 0);
    expect_error("POST", "/api/v1/reservations", other_hdr, body, 409, "SEAT_TAKEN");

    /* paying without points fails; charge (twice with one key: charged once; the identity
     * alone, no Queue-Token), then pay */
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", reservation);
    if (amount > 0) {
        expect_error("POST", "/api/v1/payments", hdr, body, 409, "INSUFFICIENT_POINTS");
    }
    static const char *const charge_keys[] = {"userId",   "balance",  "amount",
                                              "ledgerId", "replayed", NULL};
    char cbody[64];
    snprintf(cbody, sizeof(cbody), "{\"amount\":%lld}", amount > 0 ? amount : 1);
    snprintf(h2, sizeof(h2), "%sIdempotency-Key: flow-charge-%lld\r\n", id, user);
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points/charges", user);
    cJSON *ch = call("POST", path, h2, cbody, 200);
    http_json_keys(ch, charge_keys);
    ck_assert_int_eq(num(ch, "userId"), user);
    long long balance = num(ch, "balance");
    ck_assert_int_eq(num(ch, "amount"), amount > 0 ? amount : 1);
    ck_assert_int_gt(num(ch, "ledgerId"), 0);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(ch, "replayed")));
    cJSON_Delete(ch);
    ch = call("POST", path, h2, cbody, 200);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ch, "replayed")));
    ck_assert_int_eq(num(ch, "balance"), balance);
    cJSON_Delete(ch);
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points", user);
    cJSON *bal = call("GET", path, id, NULL, 200);
    static const char *const balance_keys[] = {"userId", "balance", NULL};
    http_json_keys(bal, balance_keys);
    ck_assert_int_eq(num(bal, "balance"), balance);
    cJSON_Delete(bal);

    snprintf(h2, sizeof(h2), "%sIdempotency-Key: flow-pay-%lld\r\n", hdr, user);
    cJSON *pay = call("POST", "/api/v1/payments", h2, body, 201);
    http_json_keys(pay, payment_keys);
    ck_assert_str_eq(str(pay, "status"), "COMPLETED");
    ck_assert_int_eq(num(pay, "amount"), amount);
    ck_assert_int_eq(num(pay, "reservationId"), reservation);
    assert_seat_of(pay, user, schedule, seat);
    ck_assert_int_eq(num(pay, "balance"), balance - amount);
    ck_assert(is_time(pay, "paidAt"));
    long long payment = num(pay, "paymentId");
    cJSON_Delete(pay);
    /* A retry with the same key (after a lost answer) is answered from the first payment,
     * even though paying ended the token. */
    pay = call("POST", "/api/v1/payments", h2, body, 200);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pay, "replayed")));
    ck_assert_int_eq(num(pay, "paymentId"), payment);
    ck_assert_int_eq(num(pay, "balance"), balance - amount);
    cJSON_Delete(pay);
    /* the balance belongs to the account, not to the admission window: the ended token, sent
     * along, is ignored */
    bal = call("GET", path, hdr, NULL, 200);
    ck_assert_int_eq(num(bal, "balance"), balance - amount);
    cJSON_Delete(bal);

    /* the seat is sold (seen with the other user's token: the payer's has expired) */
    ck_assert_str_eq(seat_status(other_hdr, schedule, seat, NULL), "SOLD");
    cJSON *done = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    ck_assert_str_eq(str(done, "status"), "EXPIRED");
    cJSON_Delete(done);
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    expect_error("GET", path, hdr, NULL, 401, "TOKEN_EXPIRED");
}
END_TEST

START_TEST(test_release)
{
    const long long user = 211;
    long long concert = first_concert();
    char hdr[HDR_MAX], body[128], path[128];

    active_token(user, concert, hdr, sizeof(hdr), NULL, 0);
    long long schedule = first_schedule(hdr, concert);
    long long seat = free_seat(hdr, schedule, 0);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    long long reservation = num(hold, "reservationId");
    cJSON_Delete(hold);

    snprintf(path, sizeof(path), "/api/v1/reservations/%lld", reservation);
    cJSON *rel = call("DELETE", path, hdr, NULL, 200);
    http_json_keys(rel, reservation_keys);
    ck_assert_str_eq(str(rel, "status"), "CANCELLED");
    ck_assert_int_eq(num(rel, "reservationId"), reservation);
    cJSON_Delete(rel);
    ck_assert_str_eq(seat_status(hdr, schedule, seat, NULL), "AVAILABLE");
    expect_error("DELETE", "/api/v1/reservations/999999999", hdr, NULL, 404,
                 "RESERVATION_NOT_FOUND");
}
END_TEST

START_TEST(test_auth_errors)
{
    const long long user = 221;
    long long concert = first_concert();
    char hdr[HDR_MAX], tok[1024], path[128], a[HDR_MAX], h[HDR_MAX + 200], jwt[1024];
    char body[128];

    /* the Queue-Token */
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    expect_error("GET", path, NULL, NULL, 401, "TOKEN_MISSING");
    expect_error("GET", "/api/v1/queue/tokens/current", NULL, NULL, 401, "TOKEN_MISSING");
    expect_error("GET", path, "Queue-Token: not-a-token\r\n", NULL, 401, "TOKEN_INVALID");

    active_token(user, concert, hdr, sizeof(hdr), tok, sizeof(tok));
    /* alter one character of a real token: the signature no longer matches */
    size_t n = strlen(tok);
    ck_assert_int_gt(n, 4);
    tok[n / 2] = tok[n / 2] == 'A' ? 'B' : 'A';
    char forged[1100];
    snprintf(forged, sizeof(forged), "Queue-Token: %s\r\n", tok);
    expect_error("GET", path, forged, NULL, 401, "TOKEN_INVALID");

    /* A's identity with B's id: points, charges, a token for B */
    auth_json(a, sizeof(a), user);
    expect_error("GET", "/api/v1/users/222/points", a, NULL, 403, "NOT_OWNER");
    expect_error("POST", "/api/v1/users/222/points/charges", a, "{\"amount\":5}", 403, "NOT_OWNER");
    snprintf(body, sizeof(body), "{\"userId\":222,\"concertId\":%lld}", concert);
    expect_error("POST", "/api/v1/queue/tokens", a, body, 403, "NOT_OWNER");
    /* A's Queue-Token with B's identity: a hold is refused */
    long long schedule = first_schedule(hdr, concert);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule,
             free_seat(hdr, schedule, 0));
    auth(a, sizeof(a), 223);
    snprintf(h, sizeof(h), "%s%s", a, strstr(hdr, "Queue-Token:"));
    expect_error("POST", "/api/v1/reservations", h, body, 403, "NOT_OWNER");

    /* identity tokens: altered, signed with another key, expired, not a token at all */
    ck_assert_int_eq(testenv_jwt(&env, (uint64_t)user, 0, jwt, sizeof(jwt)), 0);
    n = strlen(jwt);
    jwt[n - 3] = jwt[n - 3] == 'A' ? 'B' : 'A';
    snprintf(a, sizeof(a), "Authorization: Bearer %s\r\n", jwt);
    expect_error("GET", "/api/v1/users/221/points", a, NULL, 401, "SESSION_INVALID");
    struct testenv other = env;
    snprintf(other.jwt_secret, sizeof(other.jwt_secret), "%s", "another-key-of-32-bytes-or-more!");
    ck_assert_int_eq(testenv_jwt(&other, (uint64_t)user, 0, jwt, sizeof(jwt)), 0);
    snprintf(a, sizeof(a), "Authorization: Bearer %s\r\n", jwt);
    expect_error("GET", "/api/v1/users/221/points", a, NULL, 401, "SESSION_INVALID");
    ck_assert_int_eq(
        testenv_jwt(&env, (uint64_t)user, (int64_t)time(NULL) - 3600, jwt, sizeof(jwt)), 0);
    snprintf(a, sizeof(a), "Authorization: Bearer %s\r\n", jwt);
    expect_error("GET", "/api/v1/users/221/points", a, NULL, 401, "SESSION_EXPIRED");
    expect_error("GET", "/api/v1/users/221/points", "Authorization: Bearer abc.def.ghi\r\n", NULL,
                 401, "SESSION_INVALID");
    expect_error("GET", "/api/v1/users/221/points", "Authorization: Bearer s1.221.1.x.y\r\n", NULL,
                 401, "SESSION_INVALID");

    /* unknown schedule; unknown seat */
    struct http_resp r;
    request("GET", "/api/v1/schedules/999999999/seats", hdr, NULL, &r);
    ck_assert_msg(r.status == 404 && strstr(r.body, "NOT_FOUND\"") != NULL, "got %d %s", r.status,
                  r.body);
    http_resp_free(&r);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":51}", schedule);
    request("POST", "/api/v1/reservations", hdr, body, &r);
    ck_assert_msg(r.status == 404 || r.status == 400, "seat 51: got %d %s", r.status, r.body);
    http_resp_free(&r);
}
END_TEST

/* No route that acts for a user works without identity: each, sent with everything else it
 * needs (an ACTIVE Queue-Token, a hold of the user's), is 401 SESSION_MISSING, and changes
 * nothing. */
START_TEST(test_identity_required)
{
    const long long user = 226;
    long long concert = first_concert();
    char hdr[HDR_MAX], tok[1024], qt[1200], path[128], hold_body[128], pay_body[64], take_body[64],
        take_as_body[96];

    active_token(user, concert, hdr, sizeof(hdr), tok, sizeof(tok));
    long long schedule = first_schedule(hdr, concert);
    long long seat = free_seat(hdr, schedule, 0);
    snprintf(hold_body, sizeof(hold_body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, hold_body, 201);
    long long reservation = num(hold, "reservationId");
    cJSON_Delete(hold);
    snprintf(hold_body, sizeof(hold_body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule,
             free_seat(hdr, schedule, seat));
    snprintf(pay_body, sizeof(pay_body), "{\"reservationId\":%lld}", reservation);
    snprintf(take_body, sizeof(take_body), "{\"concertId\":%lld}", concert);
    snprintf(take_as_body, sizeof(take_as_body), "{\"userId\":%lld,\"concertId\":%lld}", user,
             concert);
    snprintf(qt, sizeof(qt), "Queue-Token: %s\r\n" JSON_HDR "Idempotency-Key: no-identity-226\r\n",
             tok);
    char release[64], points[64], charges[64];
    snprintf(release, sizeof(release), "/api/v1/reservations/%lld", reservation);
    snprintf(points, sizeof(points), "/api/v1/users/%lld/points", user);
    snprintf(charges, sizeof(charges), "/api/v1/users/%lld/points/charges", user);
    const struct {
        const char *method, *path, *body;
    } routes[] = {
        {"POST", "/api/v1/queue/tokens", take_body},
        {"POST", "/api/v1/queue/tokens", take_as_body},
        {"DELETE", "/api/v1/queue/tokens/current", NULL},
        {"POST", "/api/v1/reservations", hold_body},
        {"DELETE", release, NULL},
        {"POST", "/api/v1/payments", pay_body},
        {"GET", points, NULL},
        {"POST", charges, "{\"amount\":100}"},
        {"DELETE", "/api/v1/sessions/current", NULL},
    };
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        expect_error(routes[i].method, routes[i].path, qt, routes[i].body, 401, "SESSION_MISSING");
    }

    /* nothing changed: the token is ACTIVE, the hold HELD, the balance 0 */
    ck_assert(token_active(hdr));
    ck_assert_str_eq(seat_status(hdr, schedule, seat, NULL), "HELD");
    cJSON *bal = call("GET", points, hdr, NULL, 200);
    ck_assert_int_eq(num(bal, "balance"), 0);
    cJSON_Delete(bal);
    /* what needs the Queue-Token alone still works without identity */
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    cJSON_Delete(call("GET", path, qt, NULL, 200));
    cJSON_Delete(call("DELETE", release, hdr, NULL, 200));
}
END_TEST

/* A session revoked on one instance is refused on the other: bridges over one instance each. */
START_TEST(test_sessions)
{
    static const char *const account_keys[] = {"userId", "name", NULL};
    static const char *const session_keys[] = {"session", "userId", "expiresAt", NULL};
    static const char *const logout_keys[] = {"userId", NULL};
    struct bridge_proc one, two;
    char path[128], s[HDR_MAX], sj[HDR_MAX + 64], body[256];

    ck_assert(env_ok);
    ck_assert_int_eq(bridge_proc_start(&one, env.rpc_url[0], 5000, env.dir), 0);
    ck_assert_int_eq(bridge_proc_start(&two, env.rpc_url[1], 5000, env.dir), 0);

    /* sign up, then log in on instance one */
    cJSON *acct = http_json(one.port, "POST", "/api/v1/accounts", JSON_HDR,
                            "{\"name\":\"Ann \\u00c9\",\"password\":\"correct horse\"}", 201);
    http_json_keys(acct, account_keys);
    ck_assert_str_eq(str(acct, "name"), "Ann \xc3\x89");
    long long user = num(acct, "userId");
    ck_assert_int_gt(user, 0);
    cJSON_Delete(acct);
    snprintf(body, sizeof(body), "{\"userId\":%lld,\"password\":\"correct horse\"}", user);
    cJSON *login = http_json(one.port, "POST", "/api/v1/sessions", JSON_HDR, body, 201);
    http_json_keys(login, session_keys);
    ck_assert_int_eq(num(login, "userId"), user);
    ck_assert(is_time(login, "expiresAt"));
    ck_assert_int_eq(strncmp(str(login, "session"), "s1.", 3), 0);
    snprintf(s, sizeof(s), "Authorization: Bearer %s\r\n", str(login, "session"));
    cJSON_Delete(login);
    snprintf(sj, sizeof(sj), "%s" JSON_HDR, s);

    /* the session works on both instances: a place in line, the balance */
    long long concert = first_concert();
    cJSON *t = http_token_take(two.port, s, concert, 201);
    ck_assert_int_eq(num(t, "userId"), user);
    cJSON_Delete(t);
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points", user);
    cJSON *bal = http_json(two.port, "GET", path, s, NULL, 200);
    ck_assert_int_eq(num(bal, "balance"), 0);
    cJSON_Delete(bal);
    bal = http_json(one.port, "GET", path, s, NULL, 200);
    cJSON_Delete(bal);

    /* log out on one: refused from then on, on both */
    cJSON *out = http_json(one.port, "DELETE", "/api/v1/sessions/current", s, NULL, 200);
    http_json_keys(out, logout_keys);
    ck_assert_int_eq(num(out, "userId"), user);
    cJSON_Delete(out);
    expect_error_on(one.port, "GET", path, s, NULL, 401, "SESSION_EXPIRED", NULL);
    struct refusal on_two = {two.port, path, s};
    SUPPORT_WAIT(refused, &on_two, 5000, "the other instance took the session 5 s after logout");
    expect_error_on(two.port, "GET", path, s, NULL, 401, "SESSION_EXPIRED", NULL);
    expect_error_on(two.port, "POST", "/api/v1/queue/tokens", sj, "{\"concertId\":1}", 401,
                    "SESSION_EXPIRED", NULL);
    expect_error_on(two.port, "DELETE", "/api/v1/sessions/current", s, NULL, 401, "SESSION_EXPIRED",
                    NULL);

    /* a demo user logs in with the demo password */
    login = http_json(two.port, "POST", "/api/v1/sessions", JSON_HDR,
                      "{\"userId\":3,\"password\":\"demo\"}", 201);
    ck_assert_int_eq(num(login, "userId"), 3);
    cJSON_Delete(login);

    ck_assert_int_eq(bridge_proc_stop(&one), 0);
    ck_assert_int_eq(bridge_proc_stop(&two), 0);
}
END_TEST

/* A wrong password and an unknown user get the same answer. */
START_TEST(test_login_failed)
{
    struct http_resp wrong, unknown;

    request("POST", "/api/v1/sessions", JSON_HDR, "{\"userId\":5,\"password\":\"not-demo\"}",
            &wrong);
    http_error_check(&wrong, "wrong password", 401, "LOGIN_FAILED", NULL);
    request("POST", "/api/v1/sessions", JSON_HDR,
            "{\"userId\":99999999999,\"password\":\"not-demo\"}", &unknown);
    http_error_check(&unknown, "unknown user", 401, "LOGIN_FAILED", NULL);
    ck_assert_str_eq(wrong.body, unknown.body);
    http_resp_free(&wrong);
    http_resp_free(&unknown);
}
END_TEST

/* A concert whose sale opens later: tokens wait with the opening's time; leaving ends the
 * token and gives up the place (another can be taken); at the opening the others are admitted
 * and, one active at a time, a leaving ACTIVE user lets the next in. */
START_TEST(test_opening_and_leaving)
{
    static const char *const admission_keys[] = {
        "ratePerSecond", "maxActive", "tokenTtlSeconds", "holdTtlSeconds", "maxSeatsPerHold", NULL};
    char admin[256], path[128], body[128], hdr[3][HDR_MAX], st[32];
    const long long users[3] = {241, 242, 243};

    admin_header(admin, sizeof(admin));
    cJSON *a = call("GET", "/api/v1/admin/admission", admin, NULL, 200);
    http_json_keys(a, admission_keys);
    long long max_active = num(a, "maxActive");
    cJSON_Delete(a);
    cJSON_Delete(call("PATCH", "/api/v1/admin/admission", admin, "{\"maxActive\":1}", 200));

    long long concert = new_concert("\"2030-01-01T00:00:00Z\"");
    cJSON *catalog = call("GET", "/api/v1/concerts", NULL, NULL, 200);
    const cJSON *c;
    int listed = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(catalog, "concerts"))
    {
        if (num(c, "id") == concert) {
            ck_assert_str_eq(str(c, "saleOpensAt"), "2030-01-01T00:00:00.000Z");
            listed = 1;
        }
    }
    cJSON_Delete(catalog);
    ck_assert(listed);

    /* before the opening: waiting, no place yet, the opening's time said */
    for (int i = 0; i < 3; i++) {
        cJSON *t = take_token(users[i], concert, 201);
        ck_assert_str_eq(str(t, "status"), "WAITING");
        ck_assert_int_eq(num(t, "position"), 0);
        ck_assert_int_eq(num(t, "etaSeconds"), 0);
        ck_assert_str_eq(str(t, "saleOpensAt"), "2030-01-01T00:00:00.000Z");
        ck_assert_str_eq(str(t, "message"),
                         "waiting for the sale to open at 2030-01-01T00:00:00.000Z");
        token_header(hdr[i], sizeof(hdr[i]), users[i], str(t, "token"));
        cJSON_Delete(t);
    }
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr[0], NULL, 200);
    ck_assert_str_eq(str(cur, "message"),
                     "waiting for the sale to open at 2030-01-01T00:00:00.000Z");
    cJSON_Delete(cur);

    /* the first leaves while waiting: EXPIRED; a new place is a new token */
    cJSON *left = call("DELETE", "/api/v1/queue/tokens/current", hdr[0], NULL, 200);
    http_json_keys(left, current_keys);
    ck_assert_str_eq(str(left, "status"), "EXPIRED");
    ck_assert_int_eq(num(left, "userId"), users[0]);
    char left_id[64];
    snprintf(left_id, sizeof(left_id), "%s", str(left, "tokenId"));
    cJSON_Delete(left);
    ck_assert_str_eq(token_status(hdr[0], st, sizeof(st)), "EXPIRED");
    cJSON *again = take_token(users[0], concert, 201);
    ck_assert_str_ne(str(again, "tokenId"), left_id);
    token_header(hdr[0], sizeof(hdr[0]), users[0], str(again, "token"));
    cJSON_Delete(again);
    /* leaving needs the token's own user */
    char h[HDR_MAX + 200], id[HDR_MAX];
    auth(id, sizeof(id), users[2]);
    snprintf(h, sizeof(h), "%s%s", id, strstr(hdr[1], "Queue-Token:"));
    expect_error("DELETE", "/api/v1/queue/tokens/current", h, NULL, 403, "NOT_OWNER");

    /* moving the opening: unknown concert, no key; then open now */
    expect_error("PATCH", "/api/v1/admin/concerts/999999999", admin, "{\"saleOpensAt\":null}", 404,
                 "CONCERT_NOT_FOUND");
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld", concert);
    expect_error("PATCH", path, JSON_HDR, "{\"saleOpensAt\":null}", 403, "ADMIN_KEY_INVALID");
    cJSON *opened = call("PATCH", path, admin, "{\"saleOpensAt\":null}", 200);
    http_json_keys(opened, concert_keys);
    ck_assert(is_null(opened, "saleOpensAt"));
    ck_assert_int_eq(num(opened, "id"), concert);
    cJSON_Delete(opened);

    /* one at a time: one is admitted, the others wait */
    struct one_of o = {hdr, 3, -1, -1};
    SUPPORT_WAIT(one_of_active, &o, 30000, "nobody was admitted within 30 s of the opening");
    int active = o.found;
    for (int i = 0; i < 3; i++) {
        if (i != active) {
            cJSON *w = call("GET", "/api/v1/queue/tokens/current", hdr[i], NULL, 200);
            ck_assert_str_eq(str(w, "status"), "WAITING");
            ck_assert(is_null(w, "saleOpensAt"));
            ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(w, "message"));
            cJSON_Delete(w);
        }
    }
    /* the ACTIVE one leaves: its window ends, the next is let in */
    left = call("DELETE", "/api/v1/queue/tokens/current", hdr[active], NULL, 200);
    ck_assert_str_eq(str(left, "status"), "EXPIRED");
    cJSON_Delete(left);
    snprintf(path, sizeof(path), "/api/v1/concerts/%lld/schedules", concert);
    expect_error("GET", path, hdr[active], NULL, 401, "TOKEN_EXPIRED");
    o.except = active;
    SUPPORT_WAIT(one_of_active, &o, 30000, "nobody was let in within 30 s of the leaving");

    snprintf(body, sizeof(body), "{\"maxActive\":%lld}", max_active);
    cJSON_Delete(call("PATCH", "/api/v1/admin/admission", admin, body, 200));
}
END_TEST

START_TEST(test_limits_shapes)
{
    char admin[256], saved[1024];
    static const char *const holds_seven = "{\"userHoldsPerMinute\":7}";

    expect_error("GET", "/api/v1/admin/limits", NULL, NULL, 403, "ADMIN_KEY_INVALID");
    expect_error("PATCH", "/api/v1/admin/limits", JSON_HDR, holds_seven, 403, "ADMIN_KEY_INVALID");
    admin_header(admin, sizeof(admin));
    limits_save(saved, sizeof(saved));
    cJSON *before = cJSON_Parse(saved);
    const cJSON *v;
    cJSON_ArrayForEach(v, before)
    {
        ck_assert_msg(cJSON_IsNumber(v) && v->valuedouble >= 0, "%s is no number >= 0", v->string);
    }

    /* one changes, the others stay; an empty PATCH changes nothing; 0 turns one off */
    cJSON *l = limits_patch(holds_seven);
    cJSON_ArrayForEach(v, l)
    {
        long long want = strcmp(v->string, "userHoldsPerMinute") == 0 ? 7 : num(before, v->string);
        ck_assert_msg(num(l, v->string) == want, "%s: %lld, want %lld", v->string,
                      num(l, v->string), want);
    }
    cJSON_Delete(l);
    l = limits_patch("{}");
    ck_assert_int_eq(num(l, "userHoldsPerMinute"), 7);
    cJSON_Delete(l);
    l = limits_patch("{\"userHoldsPerMinute\":0,\"addressChargesPerMinute\":600}");
    ck_assert_int_eq(num(l, "userHoldsPerMinute"), 0);
    ck_assert_int_eq(num(l, "addressChargesPerMinute"), 600);
    cJSON_Delete(l);
    cJSON *got = call("GET", "/api/v1/admin/limits", admin, NULL, 200);
    http_json_keys(got, limits_keys);
    ck_assert_int_eq(num(got, "addressChargesPerMinute"), 600);
    cJSON_Delete(got);
    expect_error_on(bridge.port, "PATCH", "/api/v1/admin/limits", admin, "{\"bogus\":1}", 400,
                    "INVALID_ARGUMENT", "bogus");

    l = limits_patch(saved);
    cJSON_ArrayForEach(v, l)
    {
        ck_assert_int_eq(num(l, v->string), num(before, v->string));
    }
    cJSON_Delete(l);
    cJSON_Delete(before);
}
END_TEST

/* Past a limit: 429 RATE_LIMITED with Retry-After; back under it once the limit is lifted. */
START_TEST(test_rate_limited)
{
    char saved[1024];
    struct issue_try t = {
        .port = bridge.port, .user = 251, .concert = first_concert(), .extra = ""};

    limits_save(saved, sizeof(saved));
    cJSON_Delete(limits_patch("{\"userTokenIssuesPerMinute\":2}"));
    /* the same user asks again and again (the same token each time) */
    SUPPORT_WAIT(issue_refused, &t, 10000, "%d token issues with a limit of 2 a minute all served",
                 t.attempts);
    /* another user is not limited by this user's count */
    struct issue_try other = {.port = bridge.port, .user = 252, .concert = t.concert, .extra = ""};
    ck_assert_int_eq(issue_status(&other), 201);

    cJSON_Delete(limits_patch(saved));
    SUPPORT_WAIT(issue_allowed, &t, 10000, "still limited 10 s after the limit was lifted");
}
END_TEST

/* X-Forwarded-For names the client only from the trusted proxy: seen through the per-address
 * token issue limit. */
START_TEST(test_forwarded_for)
{
    static const char *const trust[] = {"--trusted-proxy=127.0.0.1", NULL};
    struct bridge_proc proxied;
    char saved[1024];
    long long concert = first_concert();

    ck_assert(env_ok);
    ck_assert_int_eq(bridge_proc_start_args(&proxied, env.rpc_url[0], 5000, env.dir, trust), 0);
    limits_save(saved, sizeof(saved));
    cJSON_Delete(limits_patch("{\"addressTokenIssuesPerMinute\":2}"));

    /* through the trusted proxy: one forwarded address (the last hop) runs out, another not */
    struct issue_try one = {.port = proxied.port,
                            .user = 3001,
                            .concert = concert,
                            .extra = "X-Forwarded-For: 10.9.9.9, 198.51.100.7\r\n",
                            .new_user = 1};
    SUPPORT_WAIT(issue_refused, &one, 10000, "198.51.100.7 took %d places with a limit of 2",
                 one.attempts);
    struct issue_try two = {.port = proxied.port,
                            .user = 5001,
                            .concert = concert,
                            .extra = "X-Forwarded-For: 198.51.100.7, 198.51.100.8\r\n"};
    ck_assert_int_eq(issue_status(&two), 201);

    /* not through the trusted proxy: the header is ignored and every request counts for the
     * peer, so requests naming ever new addresses run out too */
    struct issue_try untrusted = {
        .port = bridge.port, .user = 6001, .concert = concert, .new_user = 1, .new_address = 1};
    SUPPORT_WAIT(issue_refused, &untrusted, 10000,
                 "an untrusted X-Forwarded-For was believed (%d places, limit 2)",
                 untrusted.attempts);

    cJSON_Delete(limits_patch(saved));
    SUPPORT_WAIT(issue_allowed, &untrusted, 10000, "still limited 10 s after the limit was lifted");
    ck_assert_int_eq(bridge_proc_stop(&proxied), 0);
}
END_TEST

START_TEST(test_idempotent_charge)
{
    const long long user = 231;
    char id[HDR_MAX], h2[HDR_MAX + 200];

    auth_json(id, sizeof(id), user);
    snprintf(h2, sizeof(h2), "%sIdempotency-Key: charge-once-231\r\n", id);
    cJSON *a = call("POST", "/api/v1/users/231/points/charges", h2, "{\"amount\":7000}", 200);
    cJSON *b = call("POST", "/api/v1/users/231/points/charges", h2, "{\"amount\":7000}", 200);
    ck_assert_int_eq(num(a, "balance"), 7000);
    ck_assert_int_eq(num(b, "balance"), 7000);
    ck_assert_int_eq(num(a, "ledgerId"), num(b, "ledgerId"));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "replayed")));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON *bal = call("GET", "/api/v1/users/231/points", id, NULL, 200);
    ck_assert_int_eq(num(bal, "userId"), 231);
    ck_assert_int_eq(num(bal, "balance"), 7000);
    cJSON_Delete(bal);
    /* the same key for a different request */
    expect_error("POST", "/api/v1/users/231/points/charges", h2, "{\"amount\":9}", 422,
                 "IDEMPOTENCY_MISMATCH");
}
END_TEST

START_TEST(test_admin)
{
    static const char *const schedule_keys[] = {
        "id", "concertId", "startsAt", "availableSeats", "totalSeats", NULL};
    static const char *const admission_keys[] = {
        "ratePerSecond", "maxActive", "tokenTtlSeconds", "holdTtlSeconds", "maxSeatsPerHold", NULL};
    const char *concert_body = "{\"title\":\"Night \\\"Live\\\"\",\"artist\":\"Band\","
                               "\"venue\":\"Hall\"}";
    char key[256], path[128], body[1024];

    expect_error("POST", "/api/v1/admin/concerts", JSON_HDR, concert_body, 403,
                 "ADMIN_KEY_INVALID");
    expect_error("POST", "/api/v1/admin/concerts", JSON_HDR "Admin-Key: wrong\r\n", concert_body,
                 403, "ADMIN_KEY_INVALID");
    expect_error("GET", "/api/v1/admin/admission", NULL, NULL, 403, "ADMIN_KEY_INVALID");

    admin_header(key, sizeof(key));
    cJSON *c = call("POST", "/api/v1/admin/concerts", key, concert_body, 201);
    http_json_keys(c, concert_keys);
    ck_assert_str_eq(str(c, "title"), "Night \"Live\"");
    ck_assert_int_eq(num(c, "scheduleCount"), 0);
    ck_assert(is_null(c, "saleOpensAt"));
    long long concert = num(c, "id");
    cJSON_Delete(c);
    c = call("POST", "/api/v1/admin/concerts", key,
             "{\"title\":\"Later\",\"artist\":\"Band\",\"venue\":\"Hall\","
             "\"saleOpensAt\":\"2031-06-01T10:00:00+02:00\"}",
             201);
    ck_assert_str_eq(str(c, "saleOpensAt"), "2031-06-01T08:00:00.000Z");
    cJSON_Delete(c);

    size_t n = (size_t)snprintf(body, sizeof(body),
                                "{\"startsAt\":\"2027-03-01T19:30:00Z\",\"price\":50000,"
                                "\"seatPrices\":[");
    for (int i = 0; i < 50; i++) {
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s%d", i ? "," : "", 1000 * (i + 1));
    }
    snprintf(body + n, sizeof(body) - n, "]}");
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld/schedules", concert);
    cJSON *s = call("POST", path, key, body, 201);
    http_json_keys(s, schedule_keys);
    ck_assert_int_eq(num(s, "concertId"), concert);
    ck_assert_int_eq(num(s, "totalSeats"), 50);
    ck_assert_int_eq(num(s, "availableSeats"), 50);
    ck_assert_str_eq(str(s, "startsAt"), "2027-03-01T19:30:00.000Z");
    cJSON_Delete(s);
    expect_error("POST", "/api/v1/admin/concerts/999999999/schedules", key,
                 "{\"startsAt\":\"2027-03-01T19:30:00Z\",\"price\":1}", 404, "CONCERT_NOT_FOUND");

    cJSON *a = call("GET", "/api/v1/admin/admission", key, NULL, 200);
    http_json_keys(a, admission_keys);
    long long max_active = num(a, "maxActive");
    long long rate = num(a, "ratePerSecond");
    cJSON_Delete(a);
    snprintf(body, sizeof(body), "{\"maxActive\":%lld}", max_active + 1);
    a = call("PUT", "/api/v1/admin/admission", key, body, 200);
    http_json_keys(a, admission_keys);
    ck_assert_int_eq(num(a, "maxActive"), max_active + 1);
    ck_assert_int_eq(num(a, "ratePerSecond"), rate);
    cJSON_Delete(a);
    snprintf(body, sizeof(body), "{\"maxActive\":%lld}", max_active);
    a = call("PATCH", "/api/v1/admin/admission", key, body, 200);
    ck_assert_int_eq(num(a, "maxActive"), max_active);
    cJSON_Delete(a);
}
END_TEST

/* ---- seat maps from the bridge's memory ---------------------------------------------- */

#define METRIC_FROM_MEMORY "boxoffice_bridge_seatmaps_total{source=\"memory\"}"
#define METRIC_FEED        "boxoffice_bridge_feed_events_total"

/* A seat awaited in a state on one bridge. */
struct seat_wait {
    int port;
    const char *hdr;
    long long schedule, seat_no;
    const char *want;
};

/* seat_is holds once the seat_wait arg's seat shows its wanted status. */
static int seat_is(void *arg)
{
    const struct seat_wait *w = arg;
    return strcmp(seat_status_on(w->port, w->hdr, w->schedule, w->seat_no, NULL), w->want) == 0;
}

/* Two reads of one map, and the memory answers counted before them. */
struct twice {
    const char *path, *hdr;
    long long before;
};

/* read_twice_from_memory holds once two reads of the twice arg's map in a row answer the same
 * bytes and the bridge counts one more answered from memory (the first may go to the service
 * when the map is old). */
static int read_twice_from_memory(void *arg)
{
    struct twice *t = arg;
    struct http_resp r1, r2;

    request("GET", t->path, t->hdr, NULL, &r1);
    request("GET", t->path, t->hdr, NULL, &r2);
    ck_assert_msg(r1.status == 200 && r2.status == 200, "seats: %d %s", r2.status, r2.body);
    int same = strcmp(r1.body, r2.body) == 0;
    http_resp_free(&r1);
    http_resp_free(&r2);
    long long now = http_metric(bridge.port, METRIC_FROM_MEMORY);
    int grew = now > t->before;
    t->before = now;
    return same && grew;
}

/* The bridge answers a known token's seat maps from memory, and its own writes show at once:
 * hold, release, payment; a token ended by paying or leaving through it is refused at once,
 * with the service's own answer. */
START_TEST(test_seats_from_memory)
{
    const long long user = 271;
    const long long other = 272;
    long long concert = first_concert();
    char hdr[HDR_MAX], other_hdr[HDR_MAX], path[128], body[128], pay[HDR_MAX + 200], id[HDR_MAX];
    struct bridge_proc plain;

    active_token(user, concert, hdr, sizeof(hdr), NULL, 0);
    active_token(other, concert, other_hdr, sizeof(other_hdr), NULL, 0);
    long long schedule = first_schedule(hdr, concert);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);

    struct twice t = {path, hdr, http_metric(bridge.port, METRIC_FROM_MEMORY)};
    SUPPORT_WAIT(read_twice_from_memory, &t, 10000, "no seat map answered from memory in 10 s");
    cJSON *seats = call("GET", path, hdr, NULL, 200);
    ck_assert_int_eq(num(seats, "scheduleId"), schedule);
    ck_assert_int_eq(num(seats, "concertId"), concert);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(seats, "seats")), 50);
    static const char *const seat_keys[] = {"seatNo", "price", "status", NULL};
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(seats, "seats"))
    {
        http_json_keys(s, seat_keys);
    }
    cJSON_Delete(seats);

    /* the writer's own writes, on its next read */
    long long seat = free_seat(hdr, schedule, 0);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    long long reservation = num(hold, "reservationId");
    long long amount = num(hold, "price");
    cJSON_Delete(hold);
    ck_assert_str_eq(seat_status(hdr, schedule, seat, NULL), "HELD");
    snprintf(body, sizeof(body), "/api/v1/reservations/%lld", reservation);
    cJSON_Delete(call("DELETE", body, hdr, NULL, 200));
    ck_assert_str_eq(seat_status(hdr, schedule, seat, NULL), "AVAILABLE");

    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    reservation = num(hold, "reservationId");
    cJSON_Delete(hold);
    ck_assert_str_eq(seat_status(hdr, schedule, seat, NULL), "HELD");
    auth_json(id, sizeof(id), user);
    snprintf(body, sizeof(body), "{\"amount\":%lld}", amount > 0 ? amount : 1);
    char charges[128];
    snprintf(charges, sizeof(charges), "/api/v1/users/%lld/points/charges", user);
    cJSON_Delete(call("POST", charges, id, body, 200));
    snprintf(pay, sizeof(pay), "%sIdempotency-Key: memory-pay-%lld\r\n", hdr, user);
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", reservation);
    cJSON_Delete(call("POST", "/api/v1/payments", pay, body, 201));

    /* sold for everyone; the payer's token ended: refused, as the service refuses it */
    ck_assert_str_eq(seat_status(other_hdr, schedule, seat, NULL), "SOLD");
    struct http_resp mem, rpc;
    request("GET", path, hdr, NULL, &mem);
    http_error_check(&mem, "seats with the paid token", 401, "TOKEN_EXPIRED", NULL);
    ck_assert_int_eq(bridge_proc_start(&plain, env.rpc_url[0], 5000, env.dir), 0);
    request_on(plain.port, "GET", path, hdr, NULL, &rpc);
    ck_assert_str_eq(mem.body, rpc.body);
    http_resp_free(&mem);
    http_resp_free(&rpc);
    ck_assert_int_eq(bridge_proc_stop(&plain), 0);

    /* leaving through the bridge: refused at once too */
    ck_assert_str_eq(seat_status(other_hdr, schedule, seat, NULL), "SOLD");
    cJSON_Delete(call("DELETE", "/api/v1/queue/tokens/current", other_hdr, NULL, 200));
    expect_error("GET", path, other_hdr, NULL, 401, "TOKEN_EXPIRED");
}
END_TEST

/* nng_session opens a session on the instance at url as user (an operator identity token). */
static void nng_session(const char *url, long long user, struct bo_client **c,
                        struct bo_session **s)
{
    char jwt[1024];

    ck_assert_int_eq(testenv_jwt(&env, (uint64_t)user, 0, jwt, sizeof(jwt)), 0);
    ck_assert_int_eq(bo_client_open(url, 5000, c), BO_OK);
    ck_assert_int_eq(bo_session_open(*c, s), BO_OK);
    ck_assert_int_eq(bo_session_set_caller(*s, jwt, NULL), BO_OK);
}

/* nng_call calls method with in on s and fails the test unless it succeeds; returns the reply
 * (free with protobuf_c_message_free_unpacked). */
static ProtobufCMessage *nng_call(struct bo_session *s, const char *method,
                                  const ProtobufCMessage *in)
{
    struct bo_status st;
    ProtobufCMessage *out = NULL;

    memset(&st, 0, sizeof(st));
    ck_assert_msg(bo_call(s, method, in, &out, &st) == BO_OK, "%s: %s", method, st.message);
    return out;
}

/* hold_elsewhere holds seat_nos[0..n) (or, when n is 0, seat alone) of schedule for tok's user
 * on another instance through session, bypassing the bridge; returns the reservation. */
static uint64_t hold_elsewhere(struct bo_session *session, char *tok, long long schedule,
                               uint32_t seat, uint32_t *seat_nos, size_t n)
{
    Boxoffice__V1__HoldSeatRequest hold = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    hold.token = tok;
    hold.schedule_id = (uint64_t)schedule;
    hold.seat_no = seat;
    hold.seat_nos = seat_nos;
    hold.n_seat_nos = n;
    Boxoffice__V1__HoldSeatReply *held =
        (Boxoffice__V1__HoldSeatReply *)nng_call(session, "HoldSeat", &hold.base);
    ck_assert_ptr_nonnull(held->reservation);
    uint64_t reservation = held->reservation->id;
    protobuf_c_message_free_unpacked(&held->base, NULL);
    return reservation;
}

/* release_elsewhere releases reservation of tok's user through session (another instance). */
static void release_elsewhere(struct bo_session *session, char *tok, uint64_t reservation)
{
    Boxoffice__V1__ReleaseHoldRequest release = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;
    release.token = tok;
    release.reservation_id = reservation;
    protobuf_c_message_free_unpacked(nng_call(session, "ReleaseHold", &release.base), NULL);
}

/* Changes made on the other instance, bypassing the bridge, show within 1 s on a bridge that
 * follows the events, within 2 s on one that gets none (it reads maps again), and a token that
 * ends there is refused within 1 s. */
START_TEST(test_seats_events)
{
    const long long user = 281;
    long long concert = first_concert();
    char hdr[HDR_MAX], tok[1024], path[128];
    struct bridge_proc quiet;
    struct bo_client *client;
    struct bo_session *session;

    active_token(user, concert, hdr, sizeof(hdr), tok, sizeof(tok));
    long long schedule = first_schedule(hdr, concert);
    long long seat = free_seat(hdr, schedule, 0);
    ck_assert_int_eq(bridge_proc_start(&quiet, env.rpc_url[0], 5000, env.dir), 0);
    ck_assert_str_eq(seat_status_on(quiet.port, hdr, schedule, seat, NULL), "AVAILABLE");
    long long events = http_metric(bridge.port, METRIC_FEED);
    nng_session(env.rpc_url[1], user, &client, &session);

    uint64_t reservation = hold_elsewhere(session, tok, schedule, (uint32_t)seat, NULL, 0);
    struct seat_wait on_events = {bridge.port, hdr, schedule, seat, "HELD"};
    struct seat_wait on_quiet = {quiet.port, hdr, schedule, seat, "HELD"};
    SUPPORT_WAIT(seat_is, &on_events, 1000, "a hold on the other instance not shown in 1 s");
    SUPPORT_WAIT(seat_is, &on_quiet, 2000, "a hold not shown in 2 s without events");
    ck_assert_int_gt(http_metric(bridge.port, METRIC_FEED), events);
    ck_assert_int_eq(http_metric(quiet.port, METRIC_FEED), 0);

    release_elsewhere(session, tok, reservation);
    on_events.want = on_quiet.want = "AVAILABLE";
    SUPPORT_WAIT(seat_is, &on_events, 1000, "a release on the other instance not shown in 1 s");
    SUPPORT_WAIT(seat_is, &on_quiet, 2000, "a release not shown in 2 s without events");

    Boxoffice__V1__LeaveQueueRequest leave = BOXOFFICE__V1__LEAVE_QUEUE_REQUEST__INIT;
    leave.token = tok;
    protobuf_c_message_free_unpacked(nng_call(session, "LeaveQueue", &leave.base), NULL);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    struct refusal ended = {bridge.port, path, hdr};
    SUPPORT_WAIT(refused, &ended, 1000, "a token ended on the other instance served after 1 s");
    expect_error("GET", path, hdr, NULL, 401, "TOKEN_EXPIRED");

    bo_session_close(session);
    bo_client_close(client);
    ck_assert_int_eq(bridge_proc_stop(&quiet), 0);
}
END_TEST

/* A section's compact map awaited on one bridge: the letters of its seats from index on. */
struct section_wait {
    int port;
    const char *hdr;
    long long schedule;
    const char *section;
    size_t index;
    const char *want;
};

/* section_is holds once the section_wait arg's letters read as wanted. */
static int section_is(void *arg)
{
    const struct section_wait *w = arg;
    char path[160];
    struct http_resp r;

    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=%s&format=compact",
             w->schedule, w->section);
    request_on(w->port, "GET", path, w->hdr, NULL, &r);
    ck_assert_msg(r.status == 200, "%s: %d %s", path, r.status, r.body);
    cJSON *c = support_json_parse(r.body, path);
    http_resp_free(&r);
    const char *letters = str(c, "statuses");
    int same = strlen(letters) >= w->index + strlen(w->want) &&
               strncmp(letters + w->index, w->want, strlen(w->want)) == 0;
    cJSON_Delete(c);
    return same;
}

/* A venue's sections are kept in the bridge's memory as the hall's maps are: a hold of several
 * seats made on the other instance, bypassing the bridge, shows in a section's compact map
 * on a bridge that follows the events (read from its memory) and on one that gets none (it
 * reads sections again); so does its release. The waits are generous for a loaded machine: the
 * bench measures the delays (100 ms / 1 s contract). */
START_TEST(test_section_events)
{
    const long long user = 282;
    const long long concert = 4;   /* the seed's arena: sections A-J of 2,000 seats */
    const long long schedule = 16; /* its first date; C is seats 4001-6000 */
    char hdr[HDR_MAX], tok[1024];
    struct bridge_proc quiet;
    struct bo_client *client;
    struct bo_session *session;

    active_token(user, concert, hdr, sizeof(hdr), tok, sizeof(tok));
    ck_assert_int_eq(bridge_proc_start(&quiet, env.rpc_url[0], 5000, env.dir), 0);
    struct section_wait on_events = {bridge.port, hdr, schedule, "C", 1990, "AAAAAAAAAA"};
    struct section_wait on_quiet = {quiet.port, hdr, schedule, "C", 1990, "AAAAAAAAAA"};
    ck_assert(section_is(&on_events));
    ck_assert(section_is(&on_quiet));
    long long from_memory = http_metric(bridge.port, METRIC_FROM_MEMORY);
    ck_assert(section_is(&on_events));
    ck_assert_int_gt(http_metric(bridge.port, METRIC_FROM_MEMORY), from_memory);

    nng_session(env.rpc_url[1], user, &client, &session);
    uint32_t seat_nos[] = {5992, 5993, 5994};
    uint64_t reservation = hold_elsewhere(session, tok, schedule, 0, seat_nos, 3);
    on_events.want = on_quiet.want = "AHHHAAAAAA"; /* 5991-6000 */
    SUPPORT_WAIT(section_is, &on_events, 5000, "a hold on the other instance not shown in 5 s");
    SUPPORT_WAIT(section_is, &on_quiet, 10000, "a hold not shown in 10 s without events");

    release_elsewhere(session, tok, reservation);
    on_events.want = on_quiet.want = "AAAAAAAAAA";
    SUPPORT_WAIT(section_is, &on_events, 5000, "a release on the other instance not shown in 5 s");
    SUPPORT_WAIT(section_is, &on_quiet, 10000, "a release not shown in 10 s without events");

    bo_session_close(session);
    bo_client_close(client);
    ck_assert_int_eq(bridge_proc_stop(&quiet), 0);
}
END_TEST

/* ---- the edge's cap on open REST connections per address ------------------------------- */

#define METRIC_EDGE_CAP "boxoffice_bridge_edge_rest_cap"

/* An edge whose cap on open REST connections per address is awaited. */
struct edge_cap_wait {
    const struct edge *e;
    long long want;
};

/* edge_workers counts the processes the edge's nginx master (the child edge_run started with
 * master) has: one once a reload has ended, two while the old worker still shuts down. */
static int edge_workers(const struct edge *e)
{
    char path[64], list[256];
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)e->child.pid, (int)e->child.pid);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot read %s", path);
    size_t got = fread(list, 1, sizeof(list) - 1, f);
    fclose(f);
    list[got] = '\0';
    for (char *t = strtok(list, " \n"); t != NULL; t = strtok(NULL, " \n")) {
        n++;
    }
    return n;
}

/* edge_cap_is holds once GET /_edge/limits through the edge says the cap awaited (nginx has
 * loaded the limits file the bridge wrote) and the worker of before the reload, which may
 * still take a connection until it has heard it must stop, is gone. */
static int edge_cap_is(void *arg)
{
    const struct edge_cap_wait *w = arg;
    struct http_resp r;

    if (http_request(w->e->port, "GET", "/_edge/limits", NULL, NULL, 2000, &r) != 0) {
        return 0;
    }
    cJSON *json = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    const cJSON *cap = cJSON_GetObjectItemCaseSensitive(json, "addressRestConnections");
    int ok = cJSON_IsNumber(cap) && (long long)cap->valuedouble == w->want;
    cJSON_Delete(json);
    http_resp_free(&r);
    return ok && edge_workers(w->e) == 1;
}

/* edge_cap_set sets addressRestConnections to cap and waits until the keeper bridge on
 * keeper_port has written it (its gauge) and nginx has loaded it. */
static void edge_cap_set(const struct edge *e, int keeper_port, long long cap)
{
    char body[64];
    struct edge_cap_wait w = {e, cap};

    snprintf(body, sizeof(body), "{\"addressRestConnections\":%lld}", cap);
    cJSON *l = limits_patch(body);
    ck_assert_int_eq(num(l, "addressRestConnections"), cap);
    cJSON_Delete(l);
    SUPPORT_WAIT(edge_cap_is, &w, 20000, "the edge's cap is not %lld 20 s after the PATCH (see %s)",
                 cap, e->dir);
    ck_assert_int_eq(http_metric(keeper_port, METRIC_EDGE_CAP), cap);
}

/* check_too_many checks that the n bytes in buf, all the edge sent before it closed, are its
 * 503 TOO_MANY_CONNECTIONS for a cap of 4, saying Connection: close. */
static void check_too_many(const char *buf, long n, const char *what)
{
    struct http_resp r;
    char v[64];

    ck_assert_msg(http_resp_parse(buf, (size_t)n, &r) == 0, "%s: not a response: %s", what, buf);
    http_error_check(&r, what, 503, "TOO_MANY_CONNECTIONS", "at most 4");
    ck_assert_msg(http_resp_header(&r, "Connection", v, sizeof(v)) != NULL &&
                      strcmp(v, "close") == 0,
                  "%s: a refusal without Connection: close: %s", what, r.head);
    http_resp_free(&r);
}

/* expect_from opens a connection from 127.0.0.<host> to port and sends the head of a request
 * with a body, with Expect: 100-continue, and none of the body; returns the socket. */
static int expect_from(int port, int host)
{
    static const char head[] = "POST /api/v1/queue/tokens HTTP/1.1\r\nHost: x\r\n"
                               "Content-Type: application/json\r\nContent-Length: 15\r\n"
                               "Expect: 100-continue\r\n\r\n";
    int fd = slow_connect(port, host);

    ck_assert_msg(fd >= 0, "cannot connect from 127.0.0.%d", host);
    ck_assert_int_eq(http_send(fd, head, sizeof(head) - 1), 0);
    return fd;
}

/* heads_answered sends expect_from's head from 127.0.0.2 on n new connections (their sockets
 * into fds) and returns how many nginx took; the others it refused. nginx answers 100 Continue
 * to each head once it has decided on it (a refused one too: it asks for the body to drop it)
 * and, to a refused one, the 503 in the same turn of its loop. So once every connection has its
 * 100 and one more request has been answered by the edge's one worker, a refusal has been sent
 * whole: the connections with more to read are the refused ones. */
static int heads_answered(int port, int *fds, int n)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    char buf[4096];
    int took = 0;
    struct http_resp probe;

    for (int i = 0; i < n; i++) {
        fds[i] = expect_from(port, 2);
    }
    for (int i = 0; i < n; i++) {
        long got = http_recv(fds[i], buf, sizeof(cont) - 1, 10000);
        ck_assert_msg(got == (long)sizeof(cont) - 1 && memcmp(buf, cont, sizeof(cont) - 1) == 0,
                      "request %d from 127.0.0.2: no 100 Continue in 10 s (%ld bytes)", i, got);
    }
    ck_assert_int_eq(http_request(port, "GET", "/_edge/limits", NULL, NULL, 10000, &probe), 0);
    http_resp_free(&probe);
    for (int i = 0; i < n; i++) {
        char what[64];
        int closed = 0;
        snprintf(what, sizeof(what), "request %d from 127.0.0.2", i);
        if (recv(fds[i], buf, 1, MSG_PEEK | MSG_DONTWAIT) < 0) {
            took++; /* its body awaited: it counts against the cap until it ends */
            continue;
        }
        long got = http_recv_until(fds[i], buf, sizeof(buf), NULL, 10000, &closed);
        ck_assert_msg(got > 0 && closed, "%s: a refusal not closed within 10 s: %s", what, buf);
        check_too_many(buf, got, what);
    }
    return took;
}

/* healthz_from asks GET /healthz from 127.0.0.<host> on a connection of its own and returns
 * the whole answer's status; a 503 is checked as the refusal. */
static int healthz_from(int port, int host)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    char buf[4096];
    struct http_resp r;
    int fd = slow_connect(port, host);

    ck_assert_msg(fd >= 0, "cannot connect from 127.0.0.%d", host);
    ck_assert_int_eq(http_send(fd, req, sizeof(req) - 1), 0);
    long n = http_recv_until(fd, buf, sizeof(buf), NULL, 10000, NULL);
    close(fd);
    ck_assert_msg(n > 0 && http_resp_parse(buf, (size_t)n, &r) == 0, "no answer from 127.0.0.%d",
                  host);
    int status = r.status;
    http_resp_free(&r);
    if (status == 503) {
        check_too_many(buf, n, "GET /healthz from 127.0.0.2 over its cap");
    }
    return status;
}

/* The cap on open REST connections per client address, end to end: an admin's PATCH reaches
 * the edge through a bridge keeping its limits file (--edge-limits, --edge-pid: the file
 * written anew and nginx sent SIGHUP). With a cap of 4, of 7 requests with bodies from
 * 127.0.0.2 (each waiting for 100 Continue) 4 are taken and 3 answered 503
 * TOO_MANY_CONNECTIONS and closed, as is a quick request from there, while 127.0.0.1 is
 * served; with the cap off all 7 are taken and the quick one is served. The edge's 503 for a
 * bridge that is down stays UNAVAILABLE. */
START_TEST(test_edge_caps_connections_per_address)
{
    enum { CAP = 4, SLOW = CAP + 3 };
    char key[300], limits[160], pid[160], push[64], events[300];
    const char *args[] = {key, limits, pid, push, events, NULL};
    struct bridge_proc keeper;
    struct edge e;
    int fds[SLOW];

    ck_assert(env_ok);
    edge_folder(&e);
    snprintf(key, sizeof(key), "--admin-key=%s", env.admin_key);
    snprintf(limits, sizeof(limits), "--edge-limits=%s/limits.conf", e.dir);
    snprintf(pid, sizeof(pid), "--edge-pid=%s/nginx.pid", e.dir);
    snprintf(push, sizeof(push), "--push-listen=127.0.0.1:%d", testenv_free_port());
    events_flag(events, sizeof(events));
    ck_assert_int_eq(bridge_proc_start_args(&keeper, env.rpc_url[0], 5000, env.dir, args), 0);
    edge_run(&e, keeper.port, "proxy_request_buffering on;", "proxy_request_buffering on;", 1);
    /* the suite's limits are off, this one too: the keeper brings the edge to 0 */
    struct edge_cap_wait off = {&e, 0};
    SUPPORT_WAIT(edge_cap_is, &off, 20000, "the edge's cap is not 0 (off) after 20 s (see %s)",
                 e.dir);

    edge_cap_set(&e, keeper.port, CAP);
    ck_assert_int_eq(heads_answered(e.port, fds, SLOW), CAP);
    ck_assert_int_eq(healthz_from(e.port, 2), 503);
    ck_assert_int_eq(healthz_from(e.port, 1), 200);
    for (int i = 0; i < SLOW; i++) {
        close(fds[i]);
    }

    edge_cap_set(&e, keeper.port, 0);
    ck_assert_int_eq(heads_answered(e.port, fds, SLOW), SLOW);
    ck_assert_int_eq(healthz_from(e.port, 2), 200);
    for (int i = 0; i < SLOW; i++) {
        close(fds[i]);
    }

    ck_assert_int_eq(bridge_proc_stop(&keeper), 0);
    expect_error_on(e.port, "GET", "/api/v1/concerts", NULL, NULL, 503, "UNAVAILABLE", NULL);
    edge_stop(&e);
}
END_TEST

int main(void)
{
    const TTest *local[] = {test_health_and_page,
                            test_routing,
                            test_bad_bodies_table,
                            test_bad_bodies,
                            test_authorization_malformed,
                            test_keep_alive_pipelined,
                            test_service_down,
                            test_push_redirect_long_query,
                            test_refused_body_closes,
                            test_expect_continue,
                            test_chunked_bodies,
                            test_edge_slow_head,
                            test_edge_holds_off_slow_clients,
                            NULL};
    const TTest *service[] = {test_ready_and_catalog,
                              test_full_flow,
                              test_release,
                              test_auth_errors,
                              test_identity_required,
                              test_sessions,
                              test_login_failed,
                              test_idempotent_charge,
                              test_admin,
                              test_limits_shapes,
                              test_rate_limited,
                              test_forwarded_for,
                              test_opening_and_leaving,
                              test_seats_from_memory,
                              test_seats_events,
                              test_section_events,
                              test_edge_caps_connections_per_address,
                              NULL};
    const struct support_case cases[] = {
        {"local", local, local_setup, local_teardown, NULL, NULL, 60},
        {"service", service, service_setup, service_teardown, limits_off, NULL, 180},
    };

    return SUPPORT_RUN("bridge", cases, 0);
}
