/*
 * test_venues_rest: dates on venues through REST alone (issue 11), one bridge over one service
 * instance on a real PostgreSQL and Redis: venues made by the admin (and bad ones refused),
 * dates on them, sections whose availability follows holds, a section's seats with their
 * places, the compact map, the whole map refused past 2,000 seats, holds of several seats (all
 * or nothing, the taken seats named), best available, payment, refund (once, by its owner
 * only), and holds of several seats of the 50-seat hall seen at once in the bridge's memory.
 */
#include <check.h>
#include <cjson/cJSON.h>
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
#define HDR_MAX  2048

#define num(obj, name) support_json_int((obj), (name))

/* Seat maps (sections included) the bridge answered from its memory. */
#define METRIC_FROM_MEMORY "boxoffice_bridge_seatmaps_total{source=\"memory\"}"
#define str(obj, name)     support_json_str((obj), (name))

static struct testenv env;
static struct bridge_proc bridge;
static int env_ok;
static long long concert; /* the suite's own concert: every date below is one of its */

/* ---- helpers ---------------------------------------------------------------------------- */

/* call sends a request to the bridge, wants status want and returns the JSON body. */
static cJSON *call(const char *method, const char *path, const char *headers, const char *body,
                   int want)
{
    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    return http_json(bridge.port, method, path, headers, body, want);
}

/* expect_error sends a request and checks its error answer (http_error_check); returns the
 * parsed body when keep (caller frees), else NULL. */
static cJSON *expect_error(const char *method, const char *path, const char *headers,
                           const char *body, int want, const char *code, const char *mention,
                           int keep)
{
    struct http_resp r;
    char what[300];
    cJSON *json = NULL;

    ck_assert_msg(env_ok, "the test environment did not start (see stderr)");
    snprintf(what, sizeof(what), "%s %.200s %.60s", method, path, body != NULL ? body : "");
    ck_assert_msg(http_request(bridge.port, method, path, headers, body, 15000, &r) == 0,
                  "%s: no complete response", what);
    http_error_check(&r, what, want, code, mention);
    if (keep) {
        json = support_json_parse(r.body, what);
    }
    http_resp_free(&r);
    return json;
}

/* admin writes the Admin-Key header lines. */
static void admin(char *buf, size_t len)
{
    snprintf(buf, len, JSON_HDR "Admin-Key: %s\r\n", env.admin_key);
}

/* starts_at writes an RFC 3339 time days from now. */
static void starts_at(char *buf, size_t len, int days)
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* venue makes a venue of the sections given as JSON ("[{...}]"); returns its JSON. */
static cJSON *venue(const char *name, const char *sections)
{
    char hdr[HDR_MAX], body[1024];

    admin(hdr, sizeof(hdr));
    snprintf(body, sizeof(body), "{\"name\":\"%s\",\"sections\":%s}", name, sections);
    return call("POST", "/api/v1/admin/venues", hdr, body, 201);
}

/* date makes a date of the suite's concert: on venue_id, or in the hall at price (venue_id 0). */
static long long date(long long venue_id, long long price)
{
    char hdr[HDR_MAX], body[256], when[32], path[128];

    admin(hdr, sizeof(hdr));
    starts_at(when, sizeof(when), 30);
    if (venue_id != 0) {
        snprintf(body, sizeof(body), "{\"startsAt\":\"%s\",\"venueId\":%lld}", when, venue_id);
    } else {
        snprintf(body, sizeof(body), "{\"startsAt\":\"%s\",\"price\":%lld}", when, price);
    }
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld/schedules", concert);
    cJSON *d = call("POST", path, hdr, body, 201);
    long long id = num(d, "id");
    ck_assert_int_eq(cJSON_HasObjectItem(d, "venueId"), venue_id != 0);
    if (venue_id != 0) {
        ck_assert_int_eq(num(d, "venueId"), venue_id);
    }
    cJSON_Delete(d);
    return id;
}

/* token_is_active holds once the token of the header lines hdr (a char *) is ACTIVE. */
static int token_is_active(void *hdr)
{
    cJSON *cur = call("GET", "/api/v1/queue/tokens/current", hdr, NULL, 200);
    int active = strcmp(str(cur, "status"), "ACTIVE") == 0;
    cJSON_Delete(cur);
    return active;
}

/* buyer writes the header lines of user's identity and ACTIVE Queue-Token of the suite's
 * concert into hdr, after charging points to user. */
static void buyer(long long user, char *hdr, size_t len, long long points)
{
    char auth[1200], h[HDR_MAX], path[128], body[64];

    http_bearer(&env, user, auth, sizeof(auth));
    cJSON *t = http_token_take(bridge.port, auth, concert, 201);
    snprintf(hdr, len, "%sQueue-Token: %s\r\n" JSON_HDR, auth, str(t, "token"));
    cJSON_Delete(t);
    SUPPORT_WAIT(token_is_active, hdr, 30000, "user %lld was not admitted within 30 s", user);
    if (points > 0) {
        snprintf(h, sizeof(h), "%s" JSON_HDR, auth);
        snprintf(path, sizeof(path), "/api/v1/users/%lld/points/charges", user);
        snprintf(body, sizeof(body), "{\"amount\":%lld}", points);
        cJSON_Delete(call("POST", path, h, body, 200));
    }
}

/* balance returns user's balance (hdr: user's header lines). */
static long long balance(const char *hdr, long long user)
{
    char path[128];

    snprintf(path, sizeof(path), "/api/v1/users/%lld/points", user);
    cJSON *b = call("GET", path, hdr, NULL, 200);
    long long v = num(b, "balance");
    cJSON_Delete(b);
    return v;
}

/* compact returns the compact statuses of section of date (static buffer), checking the shape
 * and first_seat_no. */
static const char *compact(const char *hdr, long long d, const char *section, long long first)
{
    static const char *const keys[] = {"scheduleId", "section", "firstSeatNo", "statuses", NULL};
    static char statuses[4096];
    char path[160];

    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=%s&format=compact", d,
             section);
    cJSON *c = call("GET", path, hdr, NULL, 200);
    http_json_keys(c, keys);
    ck_assert_int_eq(num(c, "scheduleId"), d);
    ck_assert_str_eq(str(c, "section"), section);
    ck_assert_int_eq(num(c, "firstSeatNo"), first);
    snprintf(statuses, sizeof(statuses), "%s", str(c, "statuses"));
    cJSON_Delete(c);
    return statuses;
}

/* hold posts body as a hold, wanting want; returns the JSON (caller frees). */
static cJSON *hold(const char *hdr, const char *body, int want)
{
    return call("POST", "/api/v1/reservations", hdr, body, want);
}

/* check_seats checks a hold's or payment's "seats": n seats, seat i numbered seat_nos[i],
 * placed in section (NULL: the hall, places null) and priced price. */
static void check_seats(const cJSON *obj, int n, const long long *seat_nos, const char *section,
                        long long price)
{
    static const char *const keys[] = {"seatNo", "section", "row", "number",
                                       "label",  "price",   NULL};
    const cJSON *seats = cJSON_GetObjectItemCaseSensitive(obj, "seats");
    char label[64];

    ck_assert_msg(cJSON_GetArraySize(seats) == n, "want %d seats, got %d", n,
                  cJSON_GetArraySize(seats));
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(seats, i);
        http_json_keys(s, keys);
        ck_assert_int_eq(num(s, "seatNo"), seat_nos[i]);
        ck_assert_int_eq(num(s, "price"), price);
        if (section == NULL) {
            ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(s, "label")));
            continue;
        }
        ck_assert_str_eq(str(s, "section"), section);
        snprintf(label, sizeof(label), "%s-%lld-%lld", section, num(s, "row"), num(s, "number"));
        ck_assert_str_eq(str(s, "label"), label);
    }
}

/* seat_status returns the status of seat_no in the whole map of date d (static buffer). */
static const char *seat_status(const char *hdr, long long d, long long seat_no)
{
    static char status[16];
    char path[128];
    const cJSON *s;

    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", d);
    cJSON *m = call("GET", path, hdr, NULL, 200);
    status[0] = '\0';
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(m, "seats"))
    {
        if (num(s, "seatNo") == seat_no) {
            snprintf(status, sizeof(status), "%s", str(s, "status"));
        }
    }
    cJSON_Delete(m);
    return status;
}

/* A request body refused with 400 INVALID_ARGUMENT, and what its message must mention. */
struct bad_body {
    const char *body;
    const char *mention;
};

/* ---- fixture ---------------------------------------------------------------------------- */

static void suite_setup(void)
{
    char hdr[HDR_MAX];

    memset(&env, 0, sizeof(env));
    env_ok = testenv_start(&env, TESTENV_SEED) == 0;
    env_ok = env_ok && testenv_service_start(&env, 1, NULL) == 0;
    env_ok = env_ok && bridge_proc_start(&bridge, env.rpc_url[0], 5000, env.dir) == 0;
    env_ok = env_ok && testenv_limits_off(&env) == 0;
    if (!env_ok) {
        return;
    }
    /* everyone in at once; a concert of the suite's own */
    admin(hdr, sizeof(hdr));
    cJSON_Delete(call("PATCH", "/api/v1/admin/admission", hdr,
                      "{\"ratePerSecond\":100000,\"maxActive\":100000}", 200));
    cJSON *c = call("POST", "/api/v1/admin/concerts", hdr,
                    "{\"title\":\"Venues\",\"artist\":\"REST\",\"venue\":\"Arena\"}", 201);
    concert = num(c, "id");
    cJSON_Delete(c);
}

static void suite_teardown(void)
{
    int rc = bridge_proc_stop(&bridge); /* a sanitizer's finding makes the exit non-zero */

    testenv_stop(&env);
    ck_assert_msg(rc == 0, "the bridge exited with %d (see %s)", rc, bridge.log);
}

/* ---- tests ------------------------------------------------------------------------------ */

START_TEST(test_venue_created)
{
    static const char *const venue_keys[] = {"id", "name", "capacity", "sections", NULL};
    static const char *const section_keys[] = {"name",        "rows",       "seatsPerRow", "price",
                                               "firstSeatNo", "totalSeats", NULL};
    static const struct bad_body bad[] = {
        {"{\"sections\":[{\"name\":\"A\",\"rows\":1,\"seatsPerRow\":1,\"price\":1}]}", "name"},
        {"{\"name\":\"v\"}", "sections"},
        {"{\"name\":\"v\",\"sections\":[]}", "sections"},
        {"{\"name\":\"v\",\"sections\":{}}", "sections"},
        {"{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":1,\"seatsPerRow\":1,\"price\":1},"
         "{\"name\":\"B\",\"rows\":0,\"seatsPerRow\":1,\"price\":1}]}",
         "sections[1].rows"},
        {"{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":1,\"price\":1}]}",
         "sections[0].seatsPerRow"},
        {"{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":1,\"seatsPerRow\":1,\"price\":-1}"
         "]}",
         "sections[0].price"},
        {"{\"name\":\"v\",\"sections\":[{\"name\":\"\",\"rows\":1,\"seatsPerRow\":1,\"price\":1}]}",
         "sections[0].name"},
        {"{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":1,\"seatsPerRow\":1,\"price\":1,"
         "\"colour\":\"red\"}]}",
         "colour"},
        {"{\"name\":\"v\",\"sections\":[7]}", "sections[0]"},
        {"{\"name\":\"v\",\"size\":1,\"sections\":[]}", "size"},
    };
    char hdr[HDR_MAX], when[32], body[256], path[128];

    /* sections numbered on in order: A 1..200, B 201..250 */
    cJSON *v = venue("Hall of fame", "[{\"name\":\"A\",\"rows\":10,\"seatsPerRow\":20,\"price\":"
                                     "1000},{\"name\":\"B\",\"rows\":5,\"seatsPerRow\":10,"
                                     "\"price\":2000}]");
    http_json_keys(v, venue_keys);
    ck_assert_str_eq(str(v, "name"), "Hall of fame");
    ck_assert_int_eq(num(v, "capacity"), 250);
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(v, "sections");
    ck_assert_int_eq(cJSON_GetArraySize(secs), 2);
    const cJSON *b = cJSON_GetArrayItem(secs, 1);
    http_json_keys(b, section_keys);
    ck_assert_str_eq(str(b, "name"), "B");
    ck_assert_int_eq(num(b, "firstSeatNo"), 201);
    ck_assert_int_eq(num(b, "totalSeats"), 50);
    ck_assert_int_eq(num(b, "seatsPerRow"), 10);
    ck_assert_int_eq(num(b, "price"), 2000);
    long long venue_id = num(v, "id");
    cJSON_Delete(v);

    admin(hdr, sizeof(hdr));
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON_Delete(expect_error("POST", "/api/v1/admin/venues", hdr, bad[i].body, 400,
                                  "INVALID_ARGUMENT", bad[i].mention, 0));
    }
    /* past 100,000 seats: the service says no */
    cJSON_Delete(expect_error("POST", "/api/v1/admin/venues", hdr,
                              "{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":400,"
                              "\"seatsPerRow\":300,\"price\":1}]}",
                              400, "INVALID_ARGUMENT", NULL, 0));
    cJSON_Delete(expect_error("POST", "/api/v1/admin/venues", JSON_HDR,
                              "{\"name\":\"v\",\"sections\":[{\"name\":\"A\",\"rows\":1,"
                              "\"seatsPerRow\":1,\"price\":1}]}",
                              403, "ADMIN_KEY_INVALID", NULL, 0));

    /* a date on it answers venueId and the venue's capacity; the hall's as before */
    long long d = date(venue_id, 0);
    long long hall = date(0, 500);
    ck_assert_int_gt(d, 0);
    ck_assert_int_gt(hall, 0);
    starts_at(when, sizeof(when), 30);
    snprintf(path, sizeof(path), "/api/v1/admin/concerts/%lld/schedules", concert);
    snprintf(body, sizeof(body), "{\"startsAt\":\"%s\",\"venueId\":%lld,\"price\":5}", when,
             venue_id);
    cJSON_Delete(expect_error("POST", path, hdr, body, 400, "INVALID_ARGUMENT", "venueId", 0));
    snprintf(body, sizeof(body), "{\"startsAt\":\"%s\",\"venueId\":0}", when);
    cJSON_Delete(expect_error("POST", path, hdr, body, 400, "INVALID_ARGUMENT", "venueId", 0));
    snprintf(body, sizeof(body), "{\"startsAt\":\"%s\",\"venueId\":999999}", when);
    cJSON_Delete(expect_error("POST", path, hdr, body, 404, "VENUE_NOT_FOUND", NULL, 0));
}
END_TEST

START_TEST(test_sections_seats_and_holds)
{
    static const char *const sections_keys[] = {"scheduleId", "concertId", "sections", NULL};
    static const char *const section_keys[] = {"name",           "price", "totalSeats",
                                               "availableSeats", "rows",  "seatsPerRow",
                                               "firstSeatNo",    NULL};
    static const char *const seat_keys[] = {"seatNo", "price",  "status", "section",
                                            "row",    "number", "label",  NULL};
    char one[HDR_MAX], two[HDR_MAX], three[HDR_MAX], path[160], body[256];

    /* A 10 x 20 at 1,000 (1..200), B 5 x 10 at 2,000 (201..250), T 1 x 2 at 500 (251, 252) */
    cJSON *v = venue("Arena", "[{\"name\":\"A\",\"rows\":10,\"seatsPerRow\":20,\"price\":1000},"
                              "{\"name\":\"B\",\"rows\":5,\"seatsPerRow\":10,\"price\":2000},"
                              "{\"name\":\"T\",\"rows\":1,\"seatsPerRow\":2,\"price\":500}]");
    long long d = date(num(v, "id"), 0);
    cJSON_Delete(v);
    buyer(301, one, sizeof(one), 100000);
    buyer(302, two, sizeof(two), 0);
    buyer(303, three, sizeof(three), 0);

    /* the sections, all free */
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/sections", d);
    cJSON *s = call("GET", path, one, NULL, 200);
    http_json_keys(s, sections_keys);
    ck_assert_int_eq(num(s, "scheduleId"), d);
    ck_assert_int_eq(num(s, "concertId"), concert);
    const cJSON *secs = cJSON_GetObjectItemCaseSensitive(s, "sections");
    ck_assert_int_eq(cJSON_GetArraySize(secs), 3);
    http_json_keys(cJSON_GetArrayItem(secs, 1), section_keys);
    ck_assert_int_eq(num(cJSON_GetArrayItem(secs, 1), "availableSeats"), 50);
    ck_assert_int_eq(num(cJSON_GetArrayItem(secs, 1), "firstSeatNo"), 201);
    cJSON_Delete(s);

    /* a section's seats with their places and labels */
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=B", d);
    cJSON *m = call("GET", path, one, NULL, 200);
    const cJSON *seats = cJSON_GetObjectItemCaseSensitive(m, "seats");
    ck_assert_int_eq(cJSON_GetArraySize(seats), 50);
    const cJSON *b17 = cJSON_GetArrayItem(seats, 16); /* seat 217: row 2, number 7 */
    http_json_keys(b17, seat_keys);
    ck_assert_int_eq(num(b17, "seatNo"), 217);
    ck_assert_int_eq(num(b17, "row"), 2);
    ck_assert_int_eq(num(b17, "number"), 7);
    ck_assert_str_eq(str(b17, "label"), "B-2-7");
    ck_assert_str_eq(str(b17, "status"), "AVAILABLE");
    ck_assert_int_eq(num(b17, "price"), 2000);
    cJSON_Delete(m);
    ck_assert_str_eq(compact(one, d, "B", 201),
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    /* the whole map of this small date, with places (the service's answer) */
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", d);
    m = call("GET", path, one, NULL, 200);
    seats = cJSON_GetObjectItemCaseSensitive(m, "seats");
    ck_assert_int_eq(cJSON_GetArraySize(seats), 252);
    ck_assert_str_eq(str(cJSON_GetArrayItem(seats, 251), "label"), "T-1-2");

    /* section B again, now from the bridge's memory: seat for seat the service's answer */
    long long from_memory = http_metric(bridge.port, METRIC_FROM_MEMORY);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=B", d);
    cJSON *kept = call("GET", path, one, NULL, 200);
    ck_assert_int_gt(http_metric(bridge.port, METRIC_FROM_MEMORY), from_memory);
    const cJSON *kept_seats = cJSON_GetObjectItemCaseSensitive(kept, "seats");
    ck_assert_int_eq(cJSON_GetArraySize(kept_seats), 50);
    for (int i = 0; i < 50; i++) {
        char *a = cJSON_PrintUnformatted(cJSON_GetArrayItem(kept_seats, i));
        char *b = cJSON_PrintUnformatted(cJSON_GetArrayItem(seats, 200 + i));
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    cJSON_Delete(kept);
    cJSON_Delete(m);

    /* queries refused */
    static const char *const bad_queries[][2] = {
        {"format=xml", "format"}, {"section=B&format=json", "format"}, {"colour=red", "colour"},
        {"section=", "section"},  {"section=B&section=A", "section"},  {"section=B%2FA", "section"},
    };
    for (size_t i = 0; i < sizeof(bad_queries) / sizeof(bad_queries[0]); i++) {
        snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?%s", d, bad_queries[i][0]);
        cJSON_Delete(
            expect_error("GET", path, one, NULL, 400, "INVALID_ARGUMENT", bad_queries[i][1], 0));
    }
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=Z", d);
    cJSON_Delete(expect_error("GET", path, one, NULL, 404, "SECTION_NOT_FOUND", NULL, 0));

    /* three seats of B in one hold: priced together, placed */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNos\":[203,201,202]}", d);
    cJSON *h = hold(one, body, 201);
    const long long held[] = {201, 202, 203};
    check_seats(h, 3, held, "B", 2000);
    ck_assert_int_eq(num(h, "price"), 6000);
    ck_assert_str_eq(str(h, "status"), "HELD");
    long long reservation = num(h, "reservationId");
    cJSON_Delete(h);
    ck_assert_str_eq(compact(one, d, "B", 201),
                     "HHHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    /* the service's compact whole map says the same of B's seats */
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?format=compact", d);
    cJSON *whole = call("GET", path, one, NULL, 200);
    ck_assert_int_eq(num(whole, "firstSeatNo"), 1);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(whole, "section")));
    ck_assert_int_eq(strlen(str(whole, "statuses")), 252);
    ck_assert_int_eq(strncmp(str(whole, "statuses") + 200,
                             "HHHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 50),
                     0);
    cJSON_Delete(whole);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/sections", d);
    s = call("GET", path, one, NULL, 200);
    ck_assert_int_eq(num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(s, "sections"), 1),
                         "availableSeats"),
                     47);
    cJSON_Delete(s);

    /* another user's overlapping hold: 409 naming exactly the taken seat, nothing held */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNos\":[204,203]}", d);
    cJSON *e = expect_error("POST", "/api/v1/reservations", two, body, 409, "SEAT_TAKEN", "203", 1);
    const cJSON *taken =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(e, "error"), "seatNos");
    ck_assert_msg(cJSON_GetArraySize(taken) == 1 && cJSON_GetArrayItem(taken, 0)->valueint == 203,
                  "SEAT_TAKEN names seatNos [203] only");
    cJSON_Delete(e);
    ck_assert_str_eq(compact(two, d, "B", 201),
                     "HHHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    /* best available, 2 together in A: adjacent seats of row 1 */
    snprintf(body, sizeof(body),
             "{\"scheduleId\":%lld,\"section\":\"A\",\"quantity\":2,\"together\":true}", d);
    h = hold(two, body, 201);
    seats = cJSON_GetObjectItemCaseSensitive(h, "seats");
    ck_assert_int_eq(cJSON_GetArraySize(seats), 2);
    const cJSON *s0 = cJSON_GetArrayItem(seats, 0), *s1 = cJSON_GetArrayItem(seats, 1);
    ck_assert_int_eq(num(s0, "row"), 1);
    ck_assert_int_eq(num(s1, "row"), 1);
    ck_assert_int_eq(num(s1, "seatNo"), num(s0, "seatNo") + 1);
    ck_assert_int_eq(num(h, "price"), 2000);
    cJSON_Delete(h);

    /* the tiny section: two seats for one buyer, none left for the next */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"section\":\"T\",\"quantity\":2}", d);
    cJSON_Delete(hold(three, body, 201));
    char four[HDR_MAX];
    buyer(304, four, sizeof(four), 0);
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"section\":\"T\",\"quantity\":1}", d);
    cJSON_Delete(
        expect_error("POST", "/api/v1/reservations", four, body, 409, "NOT_ENOUGH_SEATS", NULL, 0));
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"section\":\"Q\",\"quantity\":1}", d);
    cJSON_Delete(expect_error("POST", "/api/v1/reservations", four, body, 404, "SECTION_NOT_FOUND",
                              NULL, 0));

    /* pay the 3-seat hold: the balance down by the total, the seats sold */
    long long before = balance(one, 301);
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", reservation);
    cJSON *p = call("POST", "/api/v1/payments", one, body, 201);
    check_seats(p, 3, held, "B", 2000);
    ck_assert_int_eq(num(p, "amount"), 6000);
    long long payment = num(p, "paymentId");
    cJSON_Delete(p);
    ck_assert_int_eq(balance(one, 301), before - 6000);
    /* the payment ended 301's token: the map is read by 302 from here on */
    ck_assert_str_eq(compact(two, d, "B", 201),
                     "SSSAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");

    /* someone else's refund: 403; an unknown payment: 404 */
    snprintf(path, sizeof(path), "/api/v1/payments/%lld/refund", payment);
    cJSON_Delete(expect_error("POST", path, two, NULL, 403, "NOT_OWNER", NULL, 0));
    cJSON_Delete(expect_error("POST", "/api/v1/payments/999999/refund", one, NULL, 404,
                              "PAYMENT_NOT_FOUND", NULL, 0));

    /* the refund: points back, the seats on sale again, once only */
    char keyed[HDR_MAX + 64];
    snprintf(keyed, sizeof(keyed), "%sIdempotency-Key: refund-301\r\n", one);
    cJSON *r = call("POST", path, keyed, NULL, 200);
    ck_assert_str_eq(str(r, "status"), "REFUNDED");
    ck_assert_int_eq(num(r, "paymentId"), payment);
    ck_assert_int_eq(num(r, "amount"), 6000);
    ck_assert_int_eq(num(r, "reservationId"), reservation);
    ck_assert_int_eq(num(r, "scheduleId"), d);
    ck_assert(support_json_is_time(r, "refundedAt"));
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "replayed")));
    cJSON_Delete(r);
    ck_assert_int_eq(balance(one, 301), before);
    ck_assert_str_eq(compact(two, d, "B", 201),
                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    r = call("POST", path, keyed, NULL, 200);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "replayed")));
    ck_assert_str_eq(str(r, "status"), "REFUNDED");
    cJSON_Delete(r);
    ck_assert_int_eq(balance(one, 301), before);
}
END_TEST

START_TEST(test_big_date_and_bad_holds)
{
    char one[HDR_MAX], path[160], body[512];

    /* 3,000 seats: the whole map is refused, a section answered */
    cJSON *v = venue("Stadium", "[{\"name\":\"N\",\"rows\":30,\"seatsPerRow\":100,\"price\":100}]");
    long long d = date(num(v, "id"), 0);
    cJSON_Delete(v);
    buyer(311, one, sizeof(one), 0);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats", d);
    cJSON_Delete(expect_error("GET", path, one, NULL, 400, "SECTION_REQUIRED", NULL, 0));
    ck_assert_int_eq(strlen(compact(one, d, "N", 1)), 3000);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=N", d);
    cJSON *m = call("GET", path, one, NULL, 200);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "seats")), 3000);
    cJSON_Delete(m);

    /* a hall date has no sections */
    long long hall = date(0, 700);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/sections", hall);
    cJSON_Delete(expect_error("GET", path, one, NULL, 400, "NO_SECTIONS", NULL, 0));

    /* holds refused before any seat is taken */
    static const struct bad_body bad[] = {
        {"\"seatNos\":[]", "seatNos"},
        {"\"seatNos\":[5,5]", "twice"},
        {"\"seatNos\":[5,\"6\"]", "seatNos[1]"},
        {"\"seatNos\":[5,0]", "seatNos[1]"},
        {"\"seatNos\":5", "seatNos"},
        {"\"seatNos\":[1,2,3,4,5,6,7,8,9,10,11]", "seatNos"},
        {"\"seatNo\":5,\"seatNos\":[6]", "exactly one"},
        {"\"seatNo\":5,\"section\":\"N\",\"quantity\":1", "exactly one"},
        {"\"section\":\"N\"", "quantity"},
        {"\"section\":\"N\",\"quantity\":0", "quantity"},
        {"\"quantity\":2", "section"},
        {"\"section\":\"N\",\"quantity\":2,\"together\":\"yes\"", "together"},
        {"\"comment\":\"hi\"", "exactly one"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(body, sizeof(body), "{\"scheduleId\":%lld,%s}", d, bad[i].body);
        cJSON_Delete(expect_error("POST", "/api/v1/reservations", one, body, 400,
                                  "INVALID_ARGUMENT", bad[i].mention, 0));
    }
    /* more than maxSeatsPerHold (4): the service refuses */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNos\":[1,2,3,4,5]}", d);
    cJSON_Delete(
        expect_error("POST", "/api/v1/reservations", one, body, 400, "INVALID_ARGUMENT", NULL, 0));
    ck_assert_int_eq(strspn(compact(one, d, "N", 1), "A"), 3000);
}
END_TEST

START_TEST(test_hall_holds_of_several)
{
    char one[HDR_MAX], two[HDR_MAX], body[256], path[128];
    long long hall = date(0, 700);

    buyer(321, one, sizeof(one), 10000);
    buyer(322, two, sizeof(two), 0);
    /* the map read first, so the bridge holds it in memory */
    ck_assert_str_eq(seat_status(one, hall, 1), "AVAILABLE");

    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNos\":[1,2]}", hall);
    cJSON *h = hold(one, body, 201);
    const long long held[] = {1, 2};
    check_seats(h, 2, held, NULL, 700);
    ck_assert_int_eq(num(h, "price"), 1400);
    long long reservation = num(h, "reservationId");
    cJSON_Delete(h);
    /* both seats held on the holder's next read (the bridge applied every seat) */
    ck_assert_str_eq(seat_status(one, hall, 1), "HELD");
    ck_assert_str_eq(seat_status(one, hall, 2), "HELD");
    ck_assert_str_eq(seat_status(one, hall, 3), "AVAILABLE");
    /* the hall's compact map, from the service: no section, 50 letters */
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?format=compact", hall);
    cJSON *c = call("GET", path, one, NULL, 200);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(c, "section")));
    ck_assert_int_eq(num(c, "firstSeatNo"), 1);
    ck_assert_str_eq(str(c, "statuses"), "HHAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    cJSON_Delete(c);
    snprintf(path, sizeof(path), "/api/v1/schedules/%lld/seats?section=A", hall);
    cJSON_Delete(expect_error("GET", path, one, NULL, 400, "NO_SECTIONS", NULL, 0));

    /* one live hold per user and date */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":3}", hall);
    cJSON_Delete(
        expect_error("POST", "/api/v1/reservations", one, body, 409, "HOLD_LIMIT", NULL, 0));
    /* a one-seat hall hold answers as it always did: no seats */
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNo\":9}", hall);
    h = hold(two, body, 201);
    ck_assert(!cJSON_HasObjectItem(h, "seats"));
    ck_assert_int_eq(num(h, "seatNo"), 9);
    ck_assert_int_eq(num(h, "price"), 700);
    long long single = num(h, "reservationId");
    cJSON_Delete(h);
    /* released whole: the answer lists both seats, both free at once */
    snprintf(path, sizeof(path), "/api/v1/reservations/%lld", single);
    h = call("DELETE", path, two, NULL, 200);
    ck_assert(!cJSON_HasObjectItem(h, "seats"));
    cJSON_Delete(h);
    ck_assert_str_eq(seat_status(two, hall, 9), "AVAILABLE");

    /* paid: both sold; refunded: both free again on the next read */
    snprintf(body, sizeof(body), "{\"reservationId\":%lld}", reservation);
    cJSON *p = call("POST", "/api/v1/payments", one, body, 201);
    check_seats(p, 2, held, NULL, 700);
    long long payment = num(p, "paymentId");
    cJSON_Delete(p);
    ck_assert_str_eq(seat_status(two, hall, 1), "SOLD");
    ck_assert_str_eq(seat_status(two, hall, 2), "SOLD");
    snprintf(path, sizeof(path), "/api/v1/payments/%lld/refund", payment);
    cJSON *r = call("POST", path, one, NULL, 200);
    check_seats(r, 2, held, NULL, 700);
    cJSON_Delete(r);
    ck_assert_str_eq(seat_status(two, hall, 1), "AVAILABLE");
    ck_assert_str_eq(seat_status(two, hall, 2), "AVAILABLE");
}
END_TEST

START_TEST(test_release_of_several)
{
    char one[HDR_MAX], body[256], path[128];
    long long hall = date(0, 300);

    buyer(331, one, sizeof(one), 0);
    ck_assert_str_eq(seat_status(one, hall, 4), "AVAILABLE");
    snprintf(body, sizeof(body), "{\"scheduleId\":%lld,\"seatNos\":[4,5,6]}", hall);
    cJSON *h = hold(one, body, 201);
    long long reservation = num(h, "reservationId");
    cJSON_Delete(h);
    ck_assert_str_eq(seat_status(one, hall, 6), "HELD");
    snprintf(path, sizeof(path), "/api/v1/reservations/%lld", reservation);
    h = call("DELETE", path, one, NULL, 200);
    const long long held[] = {4, 5, 6};
    check_seats(h, 3, held, NULL, 300);
    ck_assert_str_eq(str(h, "status"), "CANCELLED");
    cJSON_Delete(h);
    for (long long s = 4; s <= 6; s++) {
        ck_assert_str_eq(seat_status(one, hall, s), "AVAILABLE");
    }
}
END_TEST

int main(void)
{
    const TTest *tests[] = {test_venue_created,          test_sections_seats_and_holds,
                            test_big_date_and_bad_holds, test_hall_holds_of_several,
                            test_release_of_several,     NULL};
    const struct support_case cases[] = {
        {"venues_rest", tests, suite_setup, suite_teardown, NULL, NULL, 180},
    };

    return SUPPORT_RUN("venues_rest", cases, 0);
}
