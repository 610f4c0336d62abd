/*
 * test_bridge: the REST contract of DESIGN.md, end to end over HTTP.
 *
 * "local" runs a bridge dialling an address where nothing listens: routing,
 * input checks (all answered by the bridge before any rpc), the page,
 * metrics and 503 UNAVAILABLE. "service" runs the real service (PostgreSQL,
 * Redis and one instance from tests/support) behind a bridge and walks every
 * route: token -> admission -> schedules -> seats -> hold -> charge -> pay.
 * Each test uses its own users so tests do not see each other's tokens.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge_proc.h"
#include "http_client.h"
#include "support.h"
#include "support_json.h"
#include "testenv.h"

#define JSON_HDR "Content-Type: application/json\r\n"

static struct testenv env;
static struct bridge_proc bridge;
static int env_ok;

/* ---- helpers ---------------------------------------------------------------- */

/* request sends one request to the bridge under test and checks the response is complete. */
static void request(const char *method, const char *path, const char *headers, const char *body,
                    struct http_resp *r)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    ck_assert_msg(http_request(bridge.port, method, path, headers, body, 15000, r) == 0,
                  "%s %s: no complete HTTP response", method, path);
}

/* call sends a request to the bridge under test, expects status want and the REST contract's
 * JSON answer (see http_json) and returns the parsed body (free with cJSON_Delete). */
static cJSON *call(const char *method, const char *path, const char *headers, const char *body,
                   int want)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    return http_json(bridge.port, method, path, headers, body, want);
}

/* take_token asks for user's place in concert's line wanting status want (see
 * http_token_take) and returns the token's JSON (free with cJSON_Delete). */
static cJSON *take_token(long long user, long long concert, int want)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    return http_token_take(bridge.port, user, concert, want);
}

/* expect_error checks an error answer {"error":{"code","message"}}. */
static void expect_error(const char *method, const char *path, const char *headers,
                         const char *body, int want, const char *code)
{
    cJSON *json = call(method, path, headers, body, want);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(json, "error");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    ck_assert_msg(cJSON_IsString(c) && cJSON_IsString(m), "%s %s: not an error object", method,
                  path);
    ck_assert_msg(strcmp(c->valuestring, code) == 0, "%s %s: want code %s, got %s (%s)", method,
                  path, code, c->valuestring, m->valuestring);
    ck_assert_msg(strlen(m->valuestring) > 5, "%s %s: the message says nothing", method, path);
    ck_assert_int_eq(cJSON_GetArraySize(json), 1);
    cJSON_Delete(json);
}

/* The members of a parsed answer, read by support_json (each fails the test when missing). */
#define num(obj, name)     support_json_int((obj), (name))
#define str(obj, name)     support_json_str((obj), (name))
#define is_time(obj, name) support_json_is_time((obj), (name))

/* keys checks obj has exactly the NULL-terminated member names given. */
static void keys(const cJSON *obj, const char *const *names)
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

static const char *const token_keys[] = {"token",      "tokenId",   "userId",     "concertId",
                                         "status",     "position",  "etaSeconds", "issuedAt",
                                         "admittedAt", "expiresAt", NULL};
static const char *const reservation_keys[] = {"reservationId", "status",    "expiresAt",  "price",
                                               "userId",        "concertId", "scheduleId", "seatNo",
                                               "heldAt",        NULL};

/* assert_seat_of checks that a reservation or payment is user's, of seat_no of schedule. */
static void assert_seat_of(const cJSON *obj, long long user, long long schedule, long long seat_no)
{
    ck_assert_int_eq(num(obj, "userId"), user);
    ck_assert_int_eq(num(obj, "scheduleId"), schedule);
    ck_assert_int_eq(num(obj, "seatNo"), seat_no);
}

/* token_header formats the Queue-Token header line for tok, with the JSON Content-Type (which
 * requests without a body ignore). */
static void token_header(char *buf, size_t len, const char *tok)
{
    snprintf(buf, len, "Queue-Token: %s\r\n" JSON_HDR, tok);
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

/* token_active holds once the token of the Queue-Token header line hdr (a char *) is ACTIVE. */
static int token_active(void *hdr)
{
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    int active = strcmp(str(cur, "status"), "ACTIVE") == 0;
    cJSON_Delete(cur);
    return active;
}

/* active_token takes a place for user in concert's queue, waits until ACTIVE and writes the
 * Queue-Token header line for it into hdr (and the bare token into tok when not NULL). */
static void active_token(long long user, long long concert, char *hdr, size_t len, char *tok,
                         size_t toklen)
{
    cJSON *t = take_token(user, concert, 201);
    keys(t, token_keys);
    ck_assert_int_eq(num(t, "userId"), user);
    ck_assert_int_eq(num(t, "concertId"), concert);
    token_header(hdr, len, str(t, "token"));
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

/* seat_status returns the status of seat_no on schedule (and its price through *price). */
static const char *seat_status(const char *hdr, long long schedule, long long seat_no,
                               long long *price)
{
    static char status[16];
    char path[128];
    const cJSON *s;
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    cJSON *json = call("GET", path, hdr, NULL, 200);
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

/* free_seat returns the number of an AVAILABLE seat of schedule. */
static long long free_seat(const char *hdr, long long schedule)
{
    char path[128];
    const cJSON *s;
    long long seat = 0;
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", schedule);
    cJSON *json = call("GET", path, hdr, NULL, 200);
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(json, "seats"))
    {
        if (strcmp(str(s, "status"), "AVAILABLE") == 0) {
            seat = num(s, "seatNo");
            break;
        }
    }
    cJSON_Delete(json);
    ck_assert_msg(seat > 0, "schedule %lld has no available seat", schedule);
    return seat;
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

static void service_setup(void)
{
    memset(&env, 0, sizeof(env));
    env_ok = testenv_start(&env, TESTENV_SEED) == 0 && testenv_service_start(&env, 1, NULL) == 0 &&
             bridge_proc_start(&bridge, env.rpc_urls, 5000, env.dir) == 0;
}

static void service_teardown(void)
{
    bridge_proc_stop(&bridge);
    testenv_stop(&env);
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

    expect_error("DELETE", "/api/v1/concerts", NULL, NULL, 405, "METHOD_NOT_ALLOWED");
    request("GET", "/api/v1/reservations", NULL, NULL, &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_ptr_nonnull(http_resp_header(&r, "Allow", v, sizeof(v)));
    ck_assert_str_eq(v, "POST");
    http_resp_free(&r);
    request("POST", "/api/v1/admin/admission", JSON_HDR, "{}", &r);
    ck_assert_int_eq(r.status, 405);
    ck_assert_ptr_nonnull(http_resp_header(&r, "Allow", v, sizeof(v)));
    ck_assert_str_eq(v, "GET, PUT, PATCH");
    http_resp_free(&r);

    /* path ids: digits only, 1..2^63-1 */
    expect_error("GET", "/api/v1/concerts/abc/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/0/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/-1/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/concerts/1.5/schedules", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/schedules/9223372036854775808/seats", NULL, NULL, 400,
                 "INVALID_ARGUMENT");
    expect_error("DELETE", "/api/v1/reservations/12x", NULL, NULL, 400, "INVALID_ARGUMENT");
    expect_error("GET", "/api/v1/users/%20/points", NULL, NULL, 400, "INVALID_ARGUMENT");
}
END_TEST

START_TEST(test_bad_bodies)
{
    const char *p = "/api/v1/queue/tokens";

    expect_error("POST", p, JSON_HDR, "{\"userId\":1,", 400, "INVALID_JSON");
    expect_error("POST", p, JSON_HDR, "", 400, "INVALID_JSON");
    expect_error("POST", p, NULL, NULL, 400, "INVALID_JSON");
    expect_error("POST", p, JSON_HDR, "[1,2]", 400, "INVALID_JSON");
    expect_error("POST", p, JSON_HDR, "\"x\"", 400, "INVALID_JSON");
    expect_error("POST", p, JSON_HDR, "{\"userId\":\"1\",\"concertId\":1}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":1.5,\"concertId\":1}", 400, "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":-3,\"concertId\":1}", 400, "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":0,\"concertId\":1}", 400, "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":9007199254740993,\"concertId\":1}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":true,\"concertId\":1}", 400, "INVALID_ARGUMENT");
    expect_error("POST", p, JSON_HDR, "{\"userId\":1}", 400, "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/reservations", JSON_HDR, "{\"scheduleId\":1,\"seatNo\":null}",
                 400, "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/payments", JSON_HDR, "{\"reservationId\":[1]}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/users/1/points/charges", JSON_HDR, "{\"amount\":0}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/users/1/points/charges", JSON_HDR, "{\"amount\":10.25}", 400,
                 "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/admin/concerts", JSON_HDR,
                 "{\"title\":\"\",\"artist\":\"a\",\"venue\":\"v\"}", 400, "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/admin/concerts/1/schedules", JSON_HDR,
                 "{\"startsAt\":\"next friday\",\"price\":10}", 400, "INVALID_ARGUMENT");
    expect_error("POST", "/api/v1/admin/concerts/1/schedules", JSON_HDR,
                 "{\"startsAt\":\"2027-01-01T19:00:00Z\",\"price\":10,\"seatPrices\":[1,2,3]}", 400,
                 "INVALID_ARGUMENT");
    expect_error("PUT", "/api/v1/admin/admission", JSON_HDR, "{\"maxActive\":-1}", 400,
                 "INVALID_ARGUMENT");

    /* 415 for a body declared as something other than JSON */
    expect_error("POST", p, "Content-Type: text/plain\r\n", "{\"userId\":1,\"concertId\":1}", 415,
                 "UNSUPPORTED_MEDIA_TYPE");
    expect_error("POST", p, "Content-Type: application/x-www-form-urlencoded\r\n", "userId=1", 415,
                 "UNSUPPORTED_MEDIA_TYPE");

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
    expect_error("POST", "/api/v1/queue/tokens", JSON_HDR, "{\"userId\":1,\"concertId\":1}", 503,
                 "UNAVAILABLE");
    cJSON *json = call("GET", "/healthz", NULL, NULL, 200);
    cJSON_Delete(json);
}
END_TEST

/* ---- service: every route against the real service ------------------------------- */

START_TEST(test_ready_and_catalog)
{
    static const char *const concert_keys[] = {"id",    "title",         "artist",
                                               "venue", "scheduleCount", NULL};
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
        keys(c, concert_keys);
        ck_assert_int_gt(num(c, "id"), 0);
        ck_assert_int_gt(num(c, "scheduleCount"), 0);
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
    char hdr[2048], other_hdr[2048], path[256], body[256], h2[2200];
    long long price = -1;
    const cJSON *s;

    /* token: 201 when created, 200 with the same token when asked again */
    cJSON *t1 = take_token(user, concert, 201);
    keys(t1, token_keys);
    ck_assert(is_time(t1, "issuedAt"));
    const char *st = str(t1, "status");
    ck_assert(strcmp(st, "WAITING") == 0 || strcmp(st, "ACTIVE") == 0);
    cJSON *t2 = take_token(user, concert, 200);
    ck_assert_str_eq(str(t2, "token"), str(t1, "token"));
    ck_assert_str_eq(str(t2, "tokenId"), str(t1, "tokenId"));
    cJSON_Delete(t2);
    token_header(hdr, sizeof(hdr), str(t1, "token"));
    cJSON_Delete(t1);

    /* wait for admission */
    SUPPORT_WAIT(token_active, hdr, 30000, "not admitted within 30 s");
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    static const char *const current_keys[] = {"tokenId",   "userId",     "concertId", "status",
                                               "position",  "etaSeconds", "issuedAt",  "admittedAt",
                                               "expiresAt", NULL};
    keys(cur, current_keys);
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
        keys(s, schedule_keys);
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
        keys(s, seat_keys);
        ck_assert_int_ge(num(s, "price"), 0);
    }
    cJSON_Delete(seats);

    /* hold; the seat then shows HELD and nobody else can hold it */
    long long seat = free_seat(hdr, schedule);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    keys(hold, reservation_keys);
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

    /* paying without points fails; charge (twice with one key: charged once), then pay */
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", reservation);
    if (amount > 0) {
        expect_error("POST", "/api/v1/payments", hdr, body, 409, "INSUFFICIENT_POINTS");
    }
    static const char *const charge_keys[] = {"userId",   "balance",  "amount",
                                              "ledgerId", "replayed", NULL};
    char cbody[64];
    snprintf(cbody, sizeof(cbody), "{\"amount\":%lld}", amount > 0 ? amount : 1);
    snprintf(h2, sizeof(h2), "%sIdempotency-Key: flow-charge-%lld\r\n", hdr, user);
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points/charges", user);
    cJSON *ch = call("POST", path, h2, cbody, 200);
    keys(ch, charge_keys);
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
    cJSON *bal = call("GET", path, hdr, NULL, 200);
    static const char *const balance_keys[] = {"userId", "balance", NULL};
    keys(bal, balance_keys);
    ck_assert_int_eq(num(bal, "balance"), balance);
    cJSON_Delete(bal);

    snprintf(h2, sizeof(h2), "%sIdempotency-Key: flow-pay-%lld\r\n", hdr, user);
    cJSON *pay = call("POST", "/api/v1/payments", h2, body, 201);
    keys(pay, payment_keys);
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
    snprintf(path, sizeof(path), "/api/v1/users/%lld/points", user);
    expect_error("GET", path, hdr, NULL, 401, "TOKEN_EXPIRED");

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
    char hdr[2048], body[128], path[128];

    active_token(user, concert, hdr, sizeof(hdr), NULL, 0);
    long long schedule = first_schedule(hdr, concert);
    long long seat = free_seat(hdr, schedule);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":%lld}", schedule, seat);
    cJSON *hold = call("POST", "/api/v1/reservations", hdr, body, 201);
    long long reservation = num(hold, "reservationId");
    cJSON_Delete(hold);

    snprintf(path, sizeof(path), "/api/v1/reservations/%lld", reservation);
    cJSON *rel = call("DELETE", path, hdr, NULL, 200);
    keys(rel, reservation_keys);
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
    char hdr[2048], tok[1024], path[128];

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

    /* points of another user */
    expect_error("GET", "/api/v1/users/222/points", hdr, NULL, 403, "NOT_OWNER");
    expect_error("POST", "/api/v1/users/222/points/charges", hdr, "{\"amount\":5}", 403,
                 "NOT_OWNER");

    /* unknown schedule; unknown seat */
    struct http_resp r;
    request("GET", "/api/v1/schedules/999999999/seats", hdr, NULL, &r);
    ck_assert_msg(r.status == 404 && strstr(r.body, "NOT_FOUND\"") != NULL, "got %d %s", r.status,
                  r.body);
    http_resp_free(&r);
    long long schedule = first_schedule(hdr, concert);
    char body[128];
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":51}", schedule);
    request("POST", "/api/v1/reservations", hdr, body, &r);
    ck_assert_msg(r.status == 404 || r.status == 400, "seat 51: got %d %s", r.status, r.body);
    http_resp_free(&r);
}
END_TEST

START_TEST(test_idempotent_charge)
{
    const long long user = 231;
    long long concert = first_concert();
    char hdr[2048], h2[2200];

    active_token(user, concert, hdr, sizeof(hdr), NULL, 0);
    snprintf(h2, sizeof(h2), "%sIdempotency-Key: charge-once-231\r\n", hdr);
    cJSON *a = call("POST", "/api/v1/users/231/points/charges", h2, "{\"amount\":7000}", 200);
    cJSON *b = call("POST", "/api/v1/users/231/points/charges", h2, "{\"amount\":7000}", 200);
    ck_assert_int_eq(num(a, "balance"), 7000);
    ck_assert_int_eq(num(b, "balance"), 7000);
    ck_assert_int_eq(num(a, "ledgerId"), num(b, "ledgerId"));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "replayed")));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON *bal = call("GET", "/api/v1/users/231/points", hdr, NULL, 200);
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
    static const char *const concert_keys[] = {"id",    "title",         "artist",
                                               "venue", "scheduleCount", NULL};
    static const char *const schedule_keys[] = {
        "id", "concertId", "startsAt", "availableSeats", "totalSeats", NULL};
    static const char *const admission_keys[] = {"ratePerSecond", "maxActive", "tokenTtlSeconds",
                                                 "holdTtlSeconds", NULL};
    const char *concert_body = "{\"title\":\"Night \\\"Live\\\"\",\"artist\":\"Band\","
                               "\"venue\":\"Hall\"}";
    char key[256], path[128], body[1024];

    expect_error("POST", "/api/v1/admin/concerts", JSON_HDR, concert_body, 403,
                 "ADMIN_KEY_INVALID");
    expect_error("POST", "/api/v1/admin/concerts", JSON_HDR "Admin-Key: wrong\r\n", concert_body,
                 403, "ADMIN_KEY_INVALID");
    expect_error("GET", "/api/v1/admin/admission", NULL, NULL, 403, "ADMIN_KEY_INVALID");

    snprintf(key, sizeof(key), JSON_HDR "Admin-Key: %s\r\n", env.admin_key);
    cJSON *c = call("POST", "/api/v1/admin/concerts", key, concert_body, 201);
    keys(c, concert_keys);
    ck_assert_str_eq(str(c, "title"), "Night \"Live\"");
    ck_assert_int_eq(num(c, "scheduleCount"), 0);
    long long concert = num(c, "id");
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
    keys(s, schedule_keys);
    ck_assert_int_eq(num(s, "concertId"), concert);
    ck_assert_int_eq(num(s, "totalSeats"), 50);
    ck_assert_int_eq(num(s, "availableSeats"), 50);
    ck_assert_str_eq(str(s, "startsAt"), "2027-03-01T19:30:00.000Z");
    cJSON_Delete(s);
    expect_error("POST", "/api/v1/admin/concerts/999999999/schedules", key,
                 "{\"startsAt\":\"2027-03-01T19:30:00Z\",\"price\":1}", 404, "CONCERT_NOT_FOUND");

    cJSON *a = call("GET", "/api/v1/admin/admission", key, NULL, 200);
    keys(a, admission_keys);
    long long max_active = num(a, "maxActive");
    long long rate = num(a, "ratePerSecond");
    cJSON_Delete(a);
    snprintf(body, sizeof(body), "{\"maxActive\":%lld}", max_active + 1);
    a = call("PUT", "/api/v1/admin/admission", key, body, 200);
    keys(a, admission_keys);
    ck_assert_int_eq(num(a, "maxActive"), max_active + 1);
    ck_assert_int_eq(num(a, "ratePerSecond"), rate);
    cJSON_Delete(a);
    snprintf(body, sizeof(body), "{\"maxActive\":%lld}", max_active);
    a = call("PATCH", "/api/v1/admin/admission", key, body, 200);
    ck_assert_int_eq(num(a, "maxActive"), max_active);
    cJSON_Delete(a);
}
END_TEST

int main(void)
{
    const TTest *local[] = {test_health_and_page,      test_routing,      test_bad_bodies,
                            test_keep_alive_pipelined, test_service_down, NULL};
    const TTest *service[] = {
        test_ready_and_catalog, test_full_flow, test_release, test_auth_errors,
        test_idempotent_charge, test_admin,     NULL};
    const struct support_case cases[] = {
        {"local", local, local_setup, local_teardown, NULL, NULL, 60},
        {"service", service, service_setup, service_teardown, NULL, NULL, 120},
    };

    return SUPPORT_RUN("bridge", cases, 0);
}
