/* Unit suite for br_router: which route a method and path reach, their ids, 404 and 405, no
 * servers. */
#include "bo_error.h"
#include "br_router.h"
#include "br_status.h"
#include "support.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A request a route answers: the route's pattern and the id in the path (0: none). */
struct found_case {
    const char *method;
    const char *path;
    const char *pattern;
    uint64_t id;
};

static const struct found_case found_cases[] = {
    {"POST", "/api/v1/queue/tokens", "/api/v1/queue/tokens", 0},
    {"GET", "/api/v1/queue/tokens/current", "/api/v1/queue/tokens/current", 0},
    {"GET", "/api/v1/concerts", "/api/v1/concerts", 0},
    {"GET", "/api/v1/concerts/7/schedules", "/api/v1/concerts/{concertId}/schedules", 7},
    {"GET", "/api/v1/schedules/9223372036854775807/seats", "/api/v1/schedules/{scheduleId}/seats",
     INT64_MAX},
    {"DELETE", "/api/v1/reservations/42", "/api/v1/reservations/{reservationId}", 42},
    {"POST", "/api/v1/users/5/points/charges", "/api/v1/users/{userId}/points/charges", 5},
    {"PUT", "/api/v1/admin/admission", "/api/v1/admin/admission", 0},
    {"PATCH", "/api/v1/admin/admission", "/api/v1/admin/admission", 0},
    {"GET", "/metrics", "/metrics", 0},
    /* identity, leaving the line, a sale's opening, rate limits */
    {"POST", "/api/v1/accounts", "/api/v1/accounts", 0},
    {"POST", "/api/v1/sessions", "/api/v1/sessions", 0},
    {"DELETE", "/api/v1/sessions/current", "/api/v1/sessions/current", 0},
    {"DELETE", "/api/v1/queue/tokens/current", "/api/v1/queue/tokens/current", 0},
    {"PATCH", "/api/v1/admin/concerts/12", "/api/v1/admin/concerts/{concertId}", 12},
    {"POST", "/api/v1/admin/concerts/12/schedules", "/api/v1/admin/concerts/{concertId}/schedules",
     12},
    {"GET", "/api/v1/admin/limits", "/api/v1/admin/limits", 0},
    {"PATCH", "/api/v1/admin/limits", "/api/v1/admin/limits", 0},
    /* venues, sections, refunds (issue 11) */
    {"POST", "/api/v1/admin/venues", "/api/v1/admin/venues", 0},
    {"GET", "/api/v1/schedules/16/sections", "/api/v1/schedules/{scheduleId}/sections", 16},
    {"POST", "/api/v1/payments/900/refund", "/api/v1/payments/{paymentId}/refund", 900},
};

/* check_found checks that c's request reaches its route with its id. */
static void check_found(const struct found_case *c)
{
    struct br_router_match m;
    const char *method;
    const char *pattern;
    int rc = br_router_find(c->method, c->path, &m);

    ck_assert_msg(rc == BO_OK, "%s %s: got %d", c->method, c->path, rc);
    ck_assert_int_lt(m.route, br_router_count());
    br_router_describe(m.route, &method, &pattern);
    ck_assert_str_eq(method, c->method);
    ck_assert_str_eq(pattern, c->pattern);
    ck_assert_msg(m.ids[0] == c->id && m.ids[1] == 0, "%s: ids %llu, %llu", c->path,
                  (unsigned long long)m.ids[0], (unsigned long long)m.ids[1]);
}

SUPPORT_TABLE_TEST(found_table, found_cases, check_found)

/* A request no route answers: 400 (detail: the id's name), 405 (the Allow list) or 404. */
struct refused_case {
    const char *method;
    const char *path;
    int rc;
    const char *detail;
};

static const struct refused_case refused_cases[] = {
    /* ids: digits only, 1 .. 2^63-1 */
    {"GET", "/api/v1/concerts/0/schedules", BO_E_INVALID_ARGUMENT, "concertId"},
    {"GET", "/api/v1/concerts/-1/schedules", BO_E_INVALID_ARGUMENT, "concertId"},
    {"GET", "/api/v1/concerts/1x/schedules", BO_E_INVALID_ARGUMENT, "concertId"},
    {"GET", "/api/v1/schedules/9223372036854775808/seats", BO_E_INVALID_ARGUMENT, "scheduleId"},
    {"GET", "/api/v1/users/99999999999999999999999/points", BO_E_INVALID_ARGUMENT, "userId"},
    /* a wrong method is 405 whatever the ids look like */
    {"GET", "/api/v1/queue/tokens", BR_E_METHOD_NOT_ALLOWED, "POST"},
    {"DELETE", "/api/v1/admin/admission", BR_E_METHOD_NOT_ALLOWED, "GET, PUT, PATCH"},
    {"GET", "/api/v1/reservations/abc", BR_E_METHOD_NOT_ALLOWED, "DELETE"},
    {"get", "/api/v1/concerts", BR_E_METHOD_NOT_ALLOWED, "GET"},
    {"POST", "/api/v1/queue/tokens/current", BR_E_METHOD_NOT_ALLOWED, "GET, DELETE"},
    {"GET", "/api/v1/sessions", BR_E_METHOD_NOT_ALLOWED, "POST"},
    {"GET", "/api/v1/sessions/current", BR_E_METHOD_NOT_ALLOWED, "DELETE"},
    {"PUT", "/api/v1/admin/limits", BR_E_METHOD_NOT_ALLOWED, "GET, PATCH"},
    {"GET", "/api/v1/admin/concerts/1", BR_E_METHOD_NOT_ALLOWED, "PATCH"},
    {"PATCH", "/api/v1/admin/concerts/0", BO_E_INVALID_ARGUMENT, "concertId"},
    /* unknown paths */
    {"GET", "/api/v1/nothing", BO_E_NOT_FOUND, NULL},
    {"GET", "/api/v1/concerts/", BO_E_NOT_FOUND, NULL},
    {"GET", "/api/v1/concerts//schedules", BO_E_NOT_FOUND, NULL},
    {"GET", "/api/v1/concerts/1/schedules/2", BO_E_NOT_FOUND, NULL},
    {"GET", "/api/v1/queue/token", BO_E_NOT_FOUND, NULL},
    {"GET", "", BO_E_NOT_FOUND, NULL},
    {"DELETE", "/api/v1/sessions/1", BO_E_NOT_FOUND, NULL},
    {"POST", "/api/v1/account", BO_E_NOT_FOUND, NULL},
};

/* check_refused checks that c's request is refused as the row says. */
static void check_refused(const struct refused_case *c)
{
    struct br_router_match m;
    const char *method;
    const char *pattern;
    int rc = br_router_find(c->method, c->path, &m);

    ck_assert_msg(rc == c->rc, "%s %s: expected %d, got %d", c->method, c->path, c->rc, rc);
    br_router_describe(m.route, &method, &pattern);
    if (rc == BO_E_INVALID_ARGUMENT) {
        /* the route matched (its metrics count the 400); the bad id points into the path */
        ck_assert_str_eq(method, c->method);
        ck_assert_uint_eq(m.bad_name_len, strlen(c->detail));
        ck_assert_int_eq(memcmp(m.bad_name, c->detail, m.bad_name_len), 0);
        ck_assert_msg(m.bad > c->path && m.bad + m.bad_len <= c->path + strlen(c->path),
                      "%s: the bad id is not in the path", c->path);
        ck_assert_int_eq(m.bad[-1], '/');
        ck_assert_msg(m.bad[m.bad_len] == '/' || m.bad[m.bad_len] == '\0',
                      "%s: the bad id is not a whole segment", c->path);
        return;
    }
    ck_assert_int_eq(m.route, br_router_count());
    ck_assert_str_eq(pattern, "unmatched");
    if (rc == BR_E_METHOD_NOT_ALLOWED) {
        ck_assert_str_eq(m.allow, c->detail);
    }
}

SUPPORT_TABLE_TEST(refused_table, refused_cases, check_refused)

struct owns_case {
    const char *path;
    int owned;
};

static const struct owns_case owns_cases[] = {
    {"/api", 1},      {"/api/", 1}, {"/api/v1/anything", 1}, {"/healthz", 1}, {"/readyz", 1},
    {"/metrics", 1},  {"/", 0},     {"/index.html", 0},      {"/apiary", 0},  {"/metrics/x", 0},
    {"/healthz/", 0},
};

/* check_owns_table checks one row of owns_cases. */
static void check_owns_table(const struct owns_case *c)
{
    ck_assert_msg(br_router_owns(c->path) == c->owned, "%s: owned should be %d", c->path, c->owned);
}

SUPPORT_TABLE_TEST(owns_table, owns_cases, check_owns_table)

/* Every route in the table is reachable by its own method and pattern (ids filled in). */
START_TEST(every_route_reachable)
{
    for (int i = 0; i < br_router_count(); i++) {
        const char *method;
        const char *pattern;
        char path[256];
        size_t o = 0;
        struct br_router_match m;

        br_router_describe(i, &method, &pattern);
        for (const char *p = pattern; *p != '\0' && o + 2 < sizeof(path);) {
            if (*p == '{') {
                path[o++] = '3';
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        ck_assert_msg(br_router_find(method, path, &m) == BO_OK, "%s %s", method, path);
        ck_assert_int_eq(m.route, i);
    }
    ck_assert_int_gt(br_router_count(), 10);
}
END_TEST

/* The HTTP statuses of the codes of venues, holds of several seats and refunds. */
START_TEST(venue_statuses)
{
    static const struct {
        int err, http;
    } want[] = {
        {BO_E_SEAT_TAKEN, 409},      {BO_E_NOT_ENOUGH_SEATS, 409},  {BO_E_HOLD_LIMIT, 409},
        {BO_E_REFUND_CLOSED, 409},   {BO_E_SECTION_REQUIRED, 400},  {BO_E_NO_SECTIONS, 400},
        {BO_E_VENUE_NOT_FOUND, 404}, {BO_E_SECTION_NOT_FOUND, 404}, {BO_E_PAYMENT_NOT_FOUND, 404},
        {BO_E_NOT_OWNER, 403},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_msg(br_status_http(want[i].err) == want[i].http, "%s: %d, want %d",
                      bo_error_name(want[i].err), br_status_http(want[i].err), want[i].http);
    }
}
END_TEST

/* A SEAT_TAKEN error names its seats for programs: "seatNos" in the error object. */
START_TEST(error_names_seats)
{
    static const uint32_t seats[] = {203, 7};
    struct br_buf b;
    struct br_json j;
    size_t len;

    br_buf_init(&b);
    br_buf_reset(&b, 0);
    br_json_init(&j, &b);
    br_status_error_json_seats(&j, BO_E_SEAT_TAKEN, "seats 203 and 7 are taken", seats, 2);
    const char *text = br_buf_content(&b, &len);
    ck_assert_str_eq(text, "{\"error\":{\"code\":\"SEAT_TAKEN\",\"message\":\"seats 203 and 7 "
                           "are taken\",\"seatNos\":[203,7]}}");
    br_buf_reset(&b, 0);
    br_json_init(&j, &b);
    br_status_error_json_seats(&j, BO_E_HOLD_LIMIT, NULL, NULL, 0);
    text = br_buf_content(&b, &len);
    ck_assert_ptr_null(strstr(text, "seatNos"));
    br_buf_fini(&b);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {found_table,    refused_table,     owns_table, every_route_reachable,
                            venue_statuses, error_names_seats, NULL};

    return support_tests_run("br_router", "match", tests);
}
