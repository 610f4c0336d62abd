/*
 * Integration suite of boxoffice-cli on venues: the binary from the build tree (cli_harness.c)
 * against one service instance with the demo seed.
 *
 * "local" needs no service: malformed seat lists, best-available and venue options are refused
 * with a usage error (exit 2) before any call, which against an address nobody answers would
 * end in exit 3. "service": a venue and a date on it made with the CLI, its sections, a
 * section's seats with their labels and as a compact map, a hold of several seats (every seat
 * with its label and price, and the total), one that overlaps it refused naming the taken seat,
 * best available, payment and refund (REFUNDED, the points back, the seats on sale again); and
 * on the seed's arena date of 20,000 seats, the whole map refused (SECTION_REQUIRED) and a
 * section's compact map a line a row. Users 120..129 are this suite's.
 */
#include "cli_harness.h"
#include "support_json.h"
#include "testenv.h"

#include <check.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HALL_CONCERT  "1"
#define ARENA_CONCERT "4"
#define ARENA_DATE    "16" /* ten sections A..J of 20 rows x 100 seats, in the seed */

/* ---- local: refused before any call ------------------------------------------- */

/* A run refused before any call: its arguments after the command and what stderr must hold. */
struct refused {
    const char *argv[12];
    const char *err[3];
};

static const struct refused refused_cases[] = {
    {{"hold", "--schedule", "1", "--seats", "3,,4", "--token", "t"}, {"--seats", "'3,,4'", NULL}},
    {{"hold", "--schedule", "1", "--seats", "x", "--token", "t"}, {"'x' is not a seat number"}},
    {{"hold", "--schedule", "1", "--seats", "1,2,3,4,5,6,7,8,9,10,11", "--token", "t"},
     {"more than 10 seats", NULL}},
    {{"hold", "--schedule", "1", "--seats", "3,4,3", "--token", "t"}, {"seat 3 twice", NULL}},
    {{"hold", "--schedule", "1", "--seats", "3,4,", "--token", "t"}, {"no empty item", NULL}},
    {{"hold", "--schedule", "1", "--seats", "0", "--token", "t"}, {"'0' is not a seat", NULL}},
    {{"hold", "--schedule", "1", "--token", "t"}, {"one of --seat N, --seats", NULL}},
    {{"hold", "--schedule", "1", "--seat", "3", "--seats", "4", "--token", "t"},
     {"only one of", NULL}},
    {{"hold", "--schedule", "1", "--best", "2", "--token", "t"}, {"--best needs --section", NULL}},
    {{"hold", "--schedule", "1", "--best", "11", "--section", "A", "--token", "t"},
     {"--best must be from 1 to 10", NULL}},
    {{"hold", "--schedule", "1", "--seat", "3", "--apart", "--token", "t"},
     {"go with --best", NULL}},
    {{"admin-venue", "--name", "X", "--section", "A:2y3:10", "--admin-key", "k"},
     {"NAME:ROWSxSEATS:PRICE", "'A:2y3:10'", NULL}},
    {{"admin-venue", "--name", "X", "--section", "A:2x3:10", "--section", "B-1:1x1:1",
      "--admin-key", "k"},
     {"'B-1:1x1:1'", NULL}},
    {{"admin-venue", "--name", "X", "--admin-key", "k"}, {"--section", NULL}},
    {{"admin-schedule", "--concert", "1", "--starts-at", "2030-01-01T00:00:00Z", "--admin-key",
      "k"},
     {"--price POINTS", "--venue ID", NULL}},
    {{"admin-schedule", "--concert", "1", "--starts-at", "2030-01-01T00:00:00Z", "--venue", "1",
      "--price", "5", "--admin-key", "k"},
     {"leave out --price", NULL}},
    {{"refund", "--payment", "0"}, {"--payment", NULL}},
};

/* Every case of refused_cases against an address nobody answers (a call would time out: exit
 * 3): exit 2, nothing on stdout, why on stderr. */
START_TEST(test_refused_before_call)
{
    char url[64];
    int port = testenv_free_port();

    ck_assert_int_gt(port, 0);
    snprintf(url, sizeof(url), "--rpc-url=tcp://127.0.0.1:%d", port);
    for (size_t k = 0; k < sizeof(refused_cases) / sizeof(refused_cases[0]); k++) {
        const struct refused *rc = &refused_cases[k];
        char *argv[MAX_ARGS] = {NULL, url, "--timeout-ms=500"};
        char args[256] = "";
        struct run r;

        for (size_t i = 0; rc->argv[i] != NULL; i++) {
            argv[i + 3] = (char *)rc->argv[i];
            snprintf(args + strlen(args), sizeof(args) - strlen(args), " %s", rc->argv[i]);
        }
        cli_run_argv(&r, argv);
        ck_assert_msg(r.code == 2, "%s: exit %d, want 2\nstdout: %s\nstderr: %s", args, r.code,
                      r.out, r.err);
        ck_assert_msg(r.out[0] == '\0', "%s: stdout: %s", args, r.out);
        for (size_t i = 0; rc->err[i] != NULL; i++) {
            ck_assert_msg(strstr(r.err, rc->err[i]) != NULL, "%s: no '%s' in stderr: %s", args,
                          rc->err[i], r.err);
        }
    }
}
END_TEST

/* Help names the new options. */
START_TEST(test_help)
{
    struct run r;

    run_local(&r, "hold", "--help");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, "[--seats N,N,..]") && strstr(r.out, "[--best N]") &&
                      strstr(r.out, "[--section NAME]") && strstr(r.out, "[--apart]"),
                  "out: %s", r.out);
    run_local(&r, "admin-venue", "--help");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, "(repeat for more)") != NULL, "out: %s", r.out);
    run_local(&r, "--help");
    assert_exit(&r, 0);
    ck_assert_msg(strstr(r.out, "  sections ") && strstr(r.out, "  refund ") &&
                      strstr(r.out, "  admin-venue "),
                  "out: %s", r.out);
}
END_TEST

/* ---- service ------------------------------------------------------------------- */

/* num_after returns the whole number that follows the first needle in text; fails the test when
 * there is none. */
static long long num_after(const char *text, const char *needle)
{
    const char *p = strstr(text, needle);
    char *end = NULL;
    long long v;

    ck_assert_msg(p != NULL, "no '%s' in: %s", needle, text);
    v = strtoll(p + strlen(needle), &end, 10);
    ck_assert_msg(end != p + strlen(needle), "no number after '%s' in: %s", needle, text);
    return v;
}

/* assert_has fails unless text holds needle. */
static void assert_has(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle) != NULL, "no '%s' in:\n%s", needle, text);
}

/* venue_date makes venue "CLI Arena" (A: 3 rows x 4 at 1,000, seats 1-12; B: 2 x 5 at 2,000,
 * seats 13-22) and a date of the hall's concert 1 on it with the CLI; writes the date's id into
 * sched. */
static void venue_date(char *sched, size_t len)
{
    struct run r;
    char venue[32];

    setenv("BOXOFFICE_ADMIN_KEY", cli_env.admin_key, 1);
    run(&r, "admin-venue", "--name", "CLI Arena", "--section", "A:3x4:1000", "--section",
        "B:2x5:2000");
    assert_exit(&r, 0);
    assert_has(r.out, "(CLI Arena): 22 seats in 2 sections");
    assert_has(r.out, "3 x 4");
    assert_has(r.out, " 13-22\n");
    snprintf(venue, sizeof(venue), "%lld", num_after(r.out, "created venue "));

    run(&r, "--json", "admin-schedule", "--concert", HALL_CONCERT, "--starts-at",
        "2030-06-01T19:00:00Z", "--venue", venue);
    cJSON *j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("totalSeats", 22), INT("venueId", strtoll(venue, NULL, 10))));
    snprintf(sched, len, "%lld", support_json_int(j, "id"));
    cJSON_Delete(j);
    unsetenv("BOXOFFICE_ADMIN_KEY");
}

/* A date on a new venue through the CLI: sections, seats with labels, the compact map, a hold of
 * three seats, one overlapping it refused naming the taken seat, best available, payment and
 * refund. */
START_TEST(test_venue_flow)
{
    struct run r;
    char sched[32], tok[512], other[512], resv[32], payment[32], me[SESSION_ARG], me2[SESSION_ARG];
    cJSON *j;

    venue_date(sched, sizeof(sched));
    cli_as_user(me, 120);
    cli_as_user(me2, 121);
    cli_active_token(120, 1, tok, sizeof(tok));
    cli_active_token(121, 1, other, sizeof(other));

    run(&r, "sections", "--schedule", sched, "--token", tok);
    assert_exit(&r, 0);
    assert_has(r.out, ": 22 of 22 seats available in 2 sections");
    assert_has(r.out, "ROWS x SEATS");
    ck_assert_msg(strstr(r.out, "\nA ") && strstr(r.out, "\nB "), "out: %s", r.out);
    assert_has(r.out, "2 x 5");
    assert_has(r.out, " 10/10\n");
    run(&r, "--json", "sections", "--schedule", sched, "--token", tok);
    j = cli_json_ok(&r);
    const cJSON *b = cJSON_GetArrayItem(cli_json_item(j, "sections", cJSON_Array), 1);
    cli_assert_members(b, WANT(STR("name", "B"), INT("price", 2000), INT("rows", 2),
                               INT("seatsPerRow", 5), INT("firstSeatNo", 13), INT("totalSeats", 10),
                               INT("availableSeats", 10)));
    cJSON_Delete(j);

    /* A's seats with their labels: seat 7 is row 2, number 3. */
    run(&r, "seats", "--schedule", sched, "--section", "A", "--token", tok);
    assert_exit(&r, 0);
    assert_has(r.out, " section A: 12 of 12 seats available");
    assert_has(r.out, "\nA-2-3        7       AVAILABLE  1000\n");
    ck_assert_int_eq(cli_count(r.out, "\nA-"), 12);
    run(&r, "--json", "seats", "--schedule", sched, "--section", "A", "--token", tok);
    j = cli_json_ok(&r);
    ck_assert_int_eq(cJSON_GetArraySize(cli_json_item(j, "seats", cJSON_Array)), 12);
    cli_assert_members(cli_seat_of(j, 7), WANT(STR("section", "A"), INT("row", 2), INT("number", 3),
                                               STR("label", "A-2-3"), STR("status", "AVAILABLE")));
    cJSON_Delete(j);

    /* Three seats of B in one hold: each with its label and price, and the total. */
    run(&r, me, "hold", "--schedule", sched, "--seats", "15,13,14", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "held 3 seats on schedule ", 25) == 0, "out: %s", r.out);
    assert_has(r.out, "  total 6000");
    assert_has(r.out, "\n  B-1-1        seat 13      price 2000\n");
    assert_has(r.out, "\n  B-1-2        seat 14      price 2000\n");
    assert_has(r.out, "\n  B-1-3        seat 15      price 2000\n");
    snprintf(resv, sizeof(resv), "%lld", num_after(r.out, "reservation "));

    /* The compact map of B, a line a row. */
    run(&r, "seats", "--schedule", sched, "--section", "B", "--compact", "--token", other);
    assert_exit(&r, 0);
    assert_has(r.out, " section B: 7 of 10 seats available");
    assert_has(r.out, "\nrow 1    HHHAA  seats 13-17\nrow 2    AAAAA  seats 18-22\n");
    run(&r, "--json", "seats", "--schedule", sched, "--section", "B", "--compact", "--token",
        other);
    j = cli_json_ok(&r);
    cli_assert_members(
        j, WANT(STR("section", "B"), INT("firstSeatNo", 13), STR("statuses", "HHHAAAAAAA")));
    cJSON_Delete(j);

    /* Overlapping the hold: refused, the taken seat named, nothing held. */
    run(&r, me2, "hold", "--schedule", sched, "--seats", "15,16", "--token", other);
    assert_exit(&r, 1);
    ck_assert_msg(strncmp(r.err, "error: SEAT_TAKEN: ", 19) == 0, "stderr: %s", r.err);
    assert_has(r.err, " (seat 15)\n");
    ck_assert_str_eq(r.out, "");
    run(&r, me2, "--json", "hold", "--schedule", sched, "--seats", "15,16", "--token", other);
    assert_exit(&r, 1);
    cli_error_code(&r, "SEAT_TAKEN");
    j = cli_out_json(r.err, "stderr");
    const cJSON *taken =
        cli_json_item(cli_json_item(j, "error", cJSON_Object), "seatNos", cJSON_Array);
    ck_assert_int_eq(cJSON_GetArraySize(taken), 1);
    ck_assert_int_eq(cJSON_GetArrayItem(taken, 0)->valueint, 15);
    cJSON_Delete(j);

    /* Best available: 2 together in A, in row 1 (nothing was held, so no HOLD_LIMIT). */
    run(&r, me2, "--json", "hold", "--schedule", sched, "--best", "2", "--section", "A", "--token",
        other);
    j = cli_json_ok(&r);
    const cJSON *seats = cli_json_item(j, "seats", cJSON_Array);
    ck_assert_int_eq(cJSON_GetArraySize(seats), 2);
    const cJSON *s0 = cJSON_GetArrayItem(seats, 0), *s1 = cJSON_GetArrayItem(seats, 1);
    cli_assert_members(s0, WANT(STR("section", "A"), INT("row", 1), INT("price", 1000)));
    cli_assert_members(s1, WANT(STR("section", "A"), INT("row", 1)));
    ck_assert_int_eq(support_json_int(s1, "seatNo"), support_json_int(s0, "seatNo") + 1);
    cli_assert_members(j, WANT(INT("price", 2000), STR("status", "HELD")));
    cJSON_Delete(j);

    /* Pay the three seats, then refund them: REFUNDED, the points back, the seats on sale. */
    run(&r, me, "charge", "--amount", "6000", "--key", "cli-venue-120");
    assert_exit(&r, 0);
    run(&r, me, "pay", "--reservation", resv, "--token", tok);
    assert_exit(&r, 0);
    assert_has(r.out, "  amount 6000  3 seats on schedule ");
    assert_has(r.out, " are yours  balance 0 ");
    assert_has(r.out, "\n  B-1-2        seat 14      price 2000\n");
    snprintf(payment, sizeof(payment), "%lld", num_after(r.out, "payment "));

    run(&r, me2, "refund", "--payment", payment);
    assert_exit(&r, 1); /* not hers */

    run(&r, me, "refund", "--payment", payment, "--key", "cli-refund-120");
    assert_exit(&r, 0);
    assert_has(r.out, "  REFUNDED  6000 points back  balance 6000  at ");
    assert_has(r.out, "\n  B-1-1        seat 13      price 2000  on sale again\n");
    ck_assert_int_eq(cli_count(r.out, "on sale again"), 3);
    run(&r, me, "--json", "refund", "--payment", payment, "--key", "cli-refund-120");
    j = cli_json_ok(&r);
    cli_assert_members(j,
                       WANT(STR("status", "REFUNDED"), INT("amount", 6000), INT("balance", 6000)));
    ck_assert(cli_json_bool(j, "replayed"));
    ck_assert_msg(support_json_is_time(j, "refundedAt"), "refundedAt in %s", r.out);
    cJSON_Delete(j);
    run(&r, me, "balance");
    assert_exit(&r, 0);
    assert_has(r.out, "balance 6000");
    run(&r, "seats", "--schedule", sched, "--section", "B", "--compact", "--token", other);
    assert_exit(&r, 0);
    assert_has(r.out, "\nrow 1    AAAAA  seats 13-17\n");
}
END_TEST

/* The seed's arena date: the whole map is refused (the service's message, exit 1), sections
 * and a section's compact map (rows from ListSections) answer; a hall date has no sections. */
START_TEST(test_arena_date)
{
    struct run r;
    char tok[512], hall[512];

    cli_active_token(122, 4, tok, sizeof(tok));
    run(&r, "seats", "--schedule", ARENA_DATE, "--token", tok);
    assert_exit(&r, 1);
    ck_assert_msg(strncmp(r.err, "error: SECTION_REQUIRED: ", 25) == 0, "stderr: %s", r.err);
    assert_has(r.err, "2,000");

    run(&r, "sections", "--schedule", ARENA_DATE, "--token", tok);
    assert_exit(&r, 0);
    assert_has(r.out, " of 20000 seats available in 10 sections");
    ck_assert_int_eq(cli_count(r.out, "20 x 100"), 10);

    run(&r, "seats", "--schedule", ARENA_DATE, "--section", "C", "--compact", "--token", tok);
    assert_exit(&r, 0);
    ck_assert_int_eq(cli_count(r.out, "\nrow "), 20);
    assert_has(r.out, "\nrow 1    A");
    assert_has(r.out, "  seats 4001-4100\n");
    assert_has(r.out, "  seats 5901-6000\n");

    /* Several seats in the hall: a line a seat, without labels. */
    cli_active_token(123, 2, hall, sizeof(hall));
    char sched[32], me[SESSION_ARG];
    snprintf(sched, sizeof(sched), "%" PRId64, cli_first_schedule(hall, "2"));
    run(&r, "sections", "--schedule", sched, "--token", hall);
    assert_exit(&r, 1);
    ck_assert_msg(strncmp(r.err, "error: NO_SECTIONS: ", 20) == 0, "stderr: %s", r.err);
    run(&r, cli_as_user(me, 123), "hold", "--schedule", sched, "--seats", "41,42", "--token", hall);
    assert_exit(&r, 0);
    ck_assert_msg(strncmp(r.out, "held 2 seats on schedule ", 25) == 0, "out: %s", r.out);
    assert_has(r.out, "\n  seat 41      price ");
    assert_has(r.out, "\n  seat 42      price ");

    /* One hall seat answers as it always did: no seat list, no places. */
    char other[512];
    cli_active_token(124, 2, other, sizeof(other));
    run(&r, cli_as_user(me, 124), "--json", "hold", "--schedule", sched, "--seat", "43", "--token",
        other);
    cJSON *j = cli_json_ok(&r);
    cli_assert_members(j, WANT(INT("seatNo", 43), STR("status", "HELD")));
    ck_assert_msg(cJSON_GetObjectItemCaseSensitive(j, "seats") == NULL, "out: %s", r.out);
    cJSON_Delete(j);
    run(&r, "--json", "seats", "--schedule", sched, "--token", other);
    j = cli_json_ok(&r);
    const cJSON *seat = cli_seat_of(j, 43);
    ck_assert_int_eq(cJSON_GetArraySize(seat), 3); /* seatNo, price, status */
    cli_assert_members(seat, WANT(STR("status", "HELD")));
    cJSON_Delete(j);
}
END_TEST

int main(void)
{
    const TTest *local[] = {test_refused_before_call, test_help, NULL};
    const TTest *service[] = {test_venue_flow, test_arena_date, NULL};
    const struct testenv_exe_suite suite = {
        "cli_venues", "clients/boxoffice-cli", cli_path, sizeof(cli_path), &cli_env, local, service,
        180};

    return testenv_exe_main(&suite);
}
