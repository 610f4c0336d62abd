/*
 * cli_table: the commands of boxoffice-cli, one row each (see cli_command.h).
 *
 * For every command its options, each naming the field of the rpc's request
 * it fills, so most commands need no code of their own; admin-schedule (seat
 * prices) and admin-settings (which rpc, and a nested message) add a build
 * function that reads its options by enum index. The printers are in
 * cli_print.c, the call path in cli_run.c, 'watch' in cli_watch.c. The table
 * at the end puts them together, in the order of the help.
 */
#include "cli_command.h"

#include "cli_print.h"

#include <stdlib.h>
#include <string.h>

/* Options several commands share; T is the request message they fill. */
#define CLI_ARG_TOKEN(T)                                                                           \
    {                                                                                              \
        "token", CLI_ARG_STR, "TOKEN", "BOXOFFICE_TOKEN", 1, "queue token (from 'token')",         \
            CLI_TO(T, token)                                                                       \
    }
#define CLI_ARG_ADMIN_KEY(to)                                                                      \
    {                                                                                              \
        "admin-key", CLI_ARG_STR, "KEY", "BOXOFFICE_ADMIN_KEY", 1, "the service's admin key", to   \
    }
#define CLI_ARG_REQUIRED(name, type, metavar, help, to)                                            \
    {                                                                                              \
        name, type, metavar, NULL, 1, help, to                                                     \
    }
#define CLI_ARG_OPTIONAL(name, type, metavar, help, to)                                            \
    {                                                                                              \
        name, type, metavar, NULL, 0, help, to                                                     \
    }

/* CLI_ARGS sets a row's option table and its length. */
#define CLI_ARGS(table) .args = (table), .nargs = (int)(sizeof(table) / sizeof((table)[0]))

/* ---- options that fill their request's fields --------------------------------- */

static const struct cli_arg cli_token_args[] = {
    CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id", CLI_TO(IssueTokenRequest, user_id)),
    CLI_ARG_REQUIRED("concert", CLI_ARG_ID, "ID", "concert id",
                     CLI_TO(IssueTokenRequest, concert_id)),
};
CLI_ARGS_FIT(cli_token_args);

static const struct cli_arg cli_status_args[] = {
    CLI_ARG_TOKEN(GetTokenRequest),
};
CLI_ARGS_FIT(cli_status_args);

static const struct cli_arg cli_schedules_args[] = {
    CLI_ARG_REQUIRED("concert", CLI_ARG_ID, "ID", "concert id",
                     CLI_TO(ListSchedulesRequest, concert_id)),
    CLI_ARG_TOKEN(ListSchedulesRequest),
};
CLI_ARGS_FIT(cli_schedules_args);

static const struct cli_arg cli_seats_args[] = {
    CLI_ARG_REQUIRED("schedule", CLI_ARG_ID, "ID", "schedule (date) id",
                     CLI_TO(ListSeatsRequest, schedule_id)),
    CLI_ARG_TOKEN(ListSeatsRequest),
};
CLI_ARGS_FIT(cli_seats_args);

static const struct cli_arg cli_hold_args[] = {
    CLI_ARG_REQUIRED("schedule", CLI_ARG_ID, "ID", "schedule (date) id",
                     CLI_TO(HoldSeatRequest, schedule_id)),
    CLI_ARG_REQUIRED("seat", CLI_ARG_U32, "N", "seat number (1..50)",
                     CLI_TO(HoldSeatRequest, seat_no)),
    CLI_ARG_TOKEN(HoldSeatRequest),
};
CLI_ARGS_FIT(cli_hold_args);

static const struct cli_arg cli_release_args[] = {
    CLI_ARG_REQUIRED("reservation", CLI_ARG_ID, "ID", "reservation id (from 'hold')",
                     CLI_TO(ReleaseHoldRequest, reservation_id)),
    CLI_ARG_TOKEN(ReleaseHoldRequest),
};
CLI_ARGS_FIT(cli_release_args);

static const struct cli_arg cli_balance_args[] = {
    CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id (the token's user)",
                     CLI_TO(GetBalanceRequest, user_id)),
    CLI_ARG_TOKEN(GetBalanceRequest),
};
CLI_ARGS_FIT(cli_balance_args);

static const struct cli_arg cli_charge_args[] = {
    CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id (the token's user)",
                     CLI_TO(ChargePointsRequest, user_id)),
    CLI_ARG_REQUIRED("amount", CLI_ARG_INT, "POINTS", "points to add",
                     CLI_TO(ChargePointsRequest, amount)),
    CLI_ARG_TOKEN(ChargePointsRequest),
    CLI_ARG_OPTIONAL("key", CLI_ARG_STR, "KEY",
                     "idempotency key: a repeat with the same key charges once",
                     CLI_TO(ChargePointsRequest, idempotency_key)),
};
CLI_ARGS_FIT(cli_charge_args);

static const struct cli_arg cli_pay_args[] = {
    CLI_ARG_REQUIRED("reservation", CLI_ARG_ID, "ID", "reservation id (from 'hold')",
                     CLI_TO(PayRequest, reservation_id)),
    CLI_ARG_TOKEN(PayRequest),
    CLI_ARG_OPTIONAL("key", CLI_ARG_STR, "KEY",
                     "idempotency key: a repeat with the same key pays once",
                     CLI_TO(PayRequest, idempotency_key)),
};
CLI_ARGS_FIT(cli_pay_args);

static const struct cli_arg cli_concert_args[] = {
    CLI_ARG_REQUIRED("title", CLI_ARG_STR, "TEXT", "title", CLI_TO(CreateConcertRequest, title)),
    CLI_ARG_OPTIONAL("artist", CLI_ARG_STR, "TEXT", "artist", CLI_TO(CreateConcertRequest, artist)),
    CLI_ARG_OPTIONAL("venue", CLI_ARG_STR, "TEXT", "venue", CLI_TO(CreateConcertRequest, venue)),
    CLI_ARG_ADMIN_KEY(CLI_TO(CreateConcertRequest, admin_key)),
};
CLI_ARGS_FIT(cli_concert_args);

/* ---- admin-schedule ---------------------------------------------------------- */

enum {
    CLI_SCHEDULE_CONCERT,
    CLI_SCHEDULE_STARTS_AT,
    CLI_SCHEDULE_PRICE,
    CLI_SCHEDULE_SEAT_PRICES,
    CLI_SCHEDULE_KEY,
    CLI_SCHEDULE_NARGS
};
static const struct cli_arg cli_schedule_args[] = {
    [CLI_SCHEDULE_CONCERT] = CLI_ARG_REQUIRED("concert", CLI_ARG_ID, "ID", "concert id",
                                              CLI_TO(CreateScheduleRequest, concert_id)),
    [CLI_SCHEDULE_STARTS_AT] = CLI_ARG_REQUIRED("starts-at", CLI_ARG_TIME, "TIME",
                                                "start, RFC 3339 (2026-12-24T19:00:00Z)",
                                                CLI_TO(CreateScheduleRequest, starts_at_ms)),
    [CLI_SCHEDULE_PRICE] = CLI_ARG_REQUIRED("price", CLI_ARG_INT, "POINTS", "price of every seat",
                                            CLI_TO(CreateScheduleRequest, price)),
    [CLI_SCHEDULE_SEAT_PRICES] = CLI_ARG_OPTIONAL("seat-prices", CLI_ARG_STR, "P1,P2,..",
                                                  "50 prices, seat 1 first, overriding --price", 0),
    [CLI_SCHEDULE_KEY] = CLI_ARG_ADMIN_KEY(CLI_TO(CreateScheduleRequest, admin_key)),
};
CLI_ARGS_CHECK(cli_schedule_args, CLI_SCHEDULE_NARGS);

/* cli_seat_prices parses "p1,p2,..." into a new array (caller frees): CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after printing why. */
static int cli_seat_prices(const char *text, int64_t **out, size_t *n)
{
    size_t cap = 1;
    int64_t *v;
    char item[32];

    for (const char *p = text; *p != '\0'; p++) {
        cap += *p == ',';
    }
    if ((v = calloc(cap, sizeof(*v))) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    *n = 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof(item)) {
            goto bad;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (cli_parse_int(item, INT64_MIN, INT64_MAX, &v[*n]) != BO_OK) {
            goto bad;
        }
        (*n)++;
        if (p[len] == '\0') {
            break;
        }
        p += len + 1;
    }
    *out = v;
    return CLI_EXIT_OK;
bad:
    fprintf(stderr, "error: --seat-prices must be whole numbers separated by commas, not '%s'\n",
            text);
    free(v);
    return CLI_EXIT_USAGE;
}

/* cli_build_schedule sets the seat prices (--seat-prices) of a CreateScheduleRequest. */
static int cli_build_schedule(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__CreateScheduleRequest *r = (Boxoffice__V1__CreateScheduleRequest *)req;

    if (!cli_opt_given(c, CLI_SCHEDULE_SEAT_PRICES)) {
        return CLI_EXIT_OK;
    }
    if (cli_seat_prices(cli_opt_str(c, CLI_SCHEDULE_SEAT_PRICES), &r->seat_prices,
                        &r->n_seat_prices) != CLI_EXIT_OK) {
        return CLI_EXIT_USAGE;
    }
    *held = r->seat_prices;
    return CLI_EXIT_OK;
}

/* ---- admin-settings ---------------------------------------------------------- */

enum {
    CLI_SETTINGS_RATE,
    CLI_SETTINGS_MAX_ACTIVE,
    CLI_SETTINGS_TOKEN_TTL,
    CLI_SETTINGS_HOLD_TTL,
    CLI_SETTINGS_KEY,
    CLI_SETTINGS_NARGS
};
static const struct cli_arg cli_settings_args[] = {
    [CLI_SETTINGS_RATE] = CLI_ARG_OPTIONAL("rate", CLI_ARG_U32, "N", "admissions per second", 0),
    [CLI_SETTINGS_MAX_ACTIVE] =
        CLI_ARG_OPTIONAL("max-active", CLI_ARG_U32, "N", "most ACTIVE tokens at once", 0),
    [CLI_SETTINGS_TOKEN_TTL] = CLI_ARG_OPTIONAL("token-ttl", CLI_ARG_U32, "SECONDS",
                                                "an idle ACTIVE token expires after this", 0),
    [CLI_SETTINGS_HOLD_TTL] =
        CLI_ARG_OPTIONAL("hold-ttl", CLI_ARG_U32, "SECONDS", "an unpaid hold ends after this", 0),
    [CLI_SETTINGS_KEY] = CLI_ARG_ADMIN_KEY(0),
};
CLI_ARGS_CHECK(cli_settings_args, CLI_SETTINGS_NARGS);

/* cli_pick_settings changes the settings when any is given, else reads them. */
static const char *cli_pick_settings(const struct cli_ctx *c)
{
    for (int i = CLI_SETTINGS_RATE; i <= CLI_SETTINGS_HOLD_TTL; i++) {
        if (cli_opt_given(c, i)) {
            return "SetAdmissionSettings";
        }
    }
    return "GetAdmissionSettings";
}

/* cli_build_settings fills the request cli_pick_settings chose: the admin key, and for a
 * change the four settings (those not given are sent as 0). */
static int cli_build_settings(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__AdmissionSettings *s;

    if (req->descriptor == &boxoffice__v1__get_admission_settings_request__descriptor) {
        ((Boxoffice__V1__GetAdmissionSettingsRequest *)req)->admin_key =
            cli_opt_str(c, CLI_SETTINGS_KEY);
        return CLI_EXIT_OK;
    }
    if ((s = malloc(sizeof(*s))) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    boxoffice__v1__admission_settings__init(s);
    s->rate_per_second = (uint32_t)cli_opt_num(c, CLI_SETTINGS_RATE);
    s->max_active = (uint32_t)cli_opt_num(c, CLI_SETTINGS_MAX_ACTIVE);
    s->token_ttl_seconds = (uint32_t)cli_opt_num(c, CLI_SETTINGS_TOKEN_TTL);
    s->hold_ttl_seconds = (uint32_t)cli_opt_num(c, CLI_SETTINGS_HOLD_TTL);
    ((Boxoffice__V1__SetAdmissionSettingsRequest *)req)->admin_key =
        cli_opt_str(c, CLI_SETTINGS_KEY);
    ((Boxoffice__V1__SetAdmissionSettingsRequest *)req)->settings = s;
    *held = s;
    return CLI_EXIT_OK;
}

/* ---- the table --------------------------------------------------------------- */

const struct cli_command cli_commands[] = {
    {.name = "ping",
     .summary = "Ask a service instance whether it and its databases are up",
     .method = "Ping",
     .print = cli_print_ping},
    {.name = "token",
     .summary = "Take a place in a concert's queue (asking again returns the same token)",
     CLI_ARGS(cli_token_args),
     .method = "IssueToken",
     .part = "token",
     .print = cli_print_token},
    {.name = "status",
     .summary = "Show a queue token's status, place in line and expiry",
     CLI_ARGS(cli_status_args),
     .method = "GetToken",
     .part = "token",
     .print = cli_print_token},
    {.name = "concerts",
     .summary = "List the concerts",
     .method = "ListConcerts",
     .print = cli_print_concerts},
    {.name = "schedules",
     .summary = "List a concert's dates with seats still available (ACTIVE token)",
     CLI_ARGS(cli_schedules_args),
     .method = "ListSchedules",
     .print = cli_print_schedules},
    {.name = "seats",
     .summary = "Show the 50 seats of a date with status and price (ACTIVE token)",
     CLI_ARGS(cli_seats_args),
     .method = "ListSeats",
     .print = cli_print_seats},
    {.name = "hold",
     .summary = "Hold a seat for the hold period (ACTIVE token)",
     CLI_ARGS(cli_hold_args),
     .method = "HoldSeat",
     .part = "reservation",
     .print = cli_print_held},
    {.name = "release",
     .summary = "Release one's own hold (ACTIVE token)",
     CLI_ARGS(cli_release_args),
     .method = "ReleaseHold",
     .part = "reservation",
     .print = cli_print_released},
    {.name = "balance",
     .summary = "Show a user's point balance (the token's user)",
     CLI_ARGS(cli_balance_args),
     .method = "GetBalance",
     .print = cli_print_balance},
    {.name = "charge",
     .summary = "Charge points to a user's balance (the token's user)",
     CLI_ARGS(cli_charge_args),
     .method = "ChargePoints",
     .print = cli_print_charge},
    {.name = "pay",
     .summary = "Pay a held reservation from points; the seat becomes the user's (ACTIVE token)",
     CLI_ARGS(cli_pay_args),
     .method = "Pay",
     .part = "payment",
     .print = cli_print_pay},
    {.name = "admin-concert",
     .summary = "Create a concert (admin)",
     CLI_ARGS(cli_concert_args),
     .method = "CreateConcert",
     .part = "concert",
     .print = cli_print_concert_created},
    {.name = "admin-schedule",
     .summary = "Create a date of a concert with 50 seats (admin)",
     CLI_ARGS(cli_schedule_args),
     .method = "CreateSchedule",
     .build = cli_build_schedule,
     .part = "schedule",
     .print = cli_print_schedule_created},
    {.name = "admin-settings",
     .summary = "Show admission settings, or change those given (admin)",
     CLI_ARGS(cli_settings_args),
     .pick = cli_pick_settings,
     .build = cli_build_settings,
     .part = "settings",
     .print = cli_print_settings},
    {.name = "watch",
     .summary =
         "Print admission events (ADMITTED, POSITION, EXPIRED) as they come, until interrupted",
     CLI_ARGS(cli_watch_args),
     .run = cli_watch_run},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);
