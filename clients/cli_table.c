/*
 * cli_table: the commands of boxoffice-cli, one row each (see cli_command.h).
 *
 * A row holds a command's name, summary, rpc and options, each option naming
 * the field of the rpc's request it fills, so most commands need no code of
 * their own; admin-schedule (seat prices) and admin-settings (which rpc, and
 * a nested message) add a build function that reads its options by enum
 * index. cli_print.c prints the replies (by their type), cli_run.c runs the
 * call path, cli_watch.c is 'watch'. The table at the end is in the order of
 * the help.
 */
#include "cli_command.h"

#include <stdlib.h>
#include <string.h>

/* ---- options ---------------------------------------------------------------- */

/* An option that fills field f of request message T (see CLI_TO), required or not. */
#define CLI_ARG_REQUIRED(name, type, metavar, help, T, f)                                          \
    {                                                                                              \
        name, type, metavar, NULL, 1, help, CLI_TO(T, f)                                           \
    }
#define CLI_ARG_OPTIONAL(name, type, metavar, help, T, f)                                          \
    {                                                                                              \
        name, type, metavar, NULL, 0, help, CLI_TO(T, f)                                           \
    }
/* An optional option that fills no field: the command's own functions read it. */
#define CLI_ARG_READ(name, type, metavar, help)                                                    \
    {                                                                                              \
        name, type, metavar, NULL, 0, help, 0                                                      \
    }

/* Options several commands share, each defined once; T is the request message they fill. */
#define CLI_ARG_TOKEN(T)                                                                           \
    {                                                                                              \
        "token", CLI_ARG_STR, "TOKEN", "BOXOFFICE_TOKEN", 1, "queue token (from 'token')",         \
            CLI_TO(T, token)                                                                       \
    }
#define CLI_ARG_ADMIN_KEY(to)                                                                      \
    {                                                                                              \
        "admin-key", CLI_ARG_STR, "KEY", "BOXOFFICE_ADMIN_KEY", 1, "the service's admin key", to   \
    }
#define CLI_ARG_CONCERT(T)                                                                         \
    CLI_ARG_REQUIRED("concert", CLI_ARG_ID, "ID", "concert id", T, concert_id)
#define CLI_ARG_SCHEDULE(T)                                                                        \
    CLI_ARG_REQUIRED("schedule", CLI_ARG_ID, "ID", "schedule (date) id", T, schedule_id)
#define CLI_ARG_RESERVATION(T)                                                                     \
    CLI_ARG_REQUIRED("reservation", CLI_ARG_ID, "ID", "reservation id (from 'hold')", T,           \
                     reservation_id)
#define CLI_ARG_TOKEN_USER(T)                                                                      \
    CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id (the token's user)", T, user_id)
/* --key of a payment; does is what a repeat with the same key does only once ("pays"). */
#define CLI_ARG_IDEMPOTENCY_KEY(T, does)                                                           \
    CLI_ARG_OPTIONAL("key", CLI_ARG_STR, "KEY",                                                    \
                     "idempotency key: a repeat with the same key " does " once", T,               \
                     idempotency_key)

/* ---- admin-schedule ---------------------------------------------------------- */

/* The options of admin-schedule, indexes into its row's args. */
enum {
    CLI_SCHEDULE_CONCERT,
    CLI_SCHEDULE_STARTS_AT,
    CLI_SCHEDULE_PRICE,
    CLI_SCHEDULE_SEAT_PRICES,
    CLI_SCHEDULE_KEY,
};

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

/* The options of admin-settings, indexes into its row's args. */
enum {
    CLI_SETTINGS_RATE,
    CLI_SETTINGS_MAX_ACTIVE,
    CLI_SETTINGS_TOKEN_TTL,
    CLI_SETTINGS_HOLD_TTL,
    CLI_SETTINGS_KEY,
};

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

/* CLI_RPC is the row of a command that makes rpc and whose options, the rest, fill its
 * request. */
#define CLI_RPC(name, summary, rpc, ...)                                                           \
    {                                                                                              \
        name, summary, {__VA_ARGS__}, .method = rpc                                                \
    }

const struct cli_command cli_commands[] = {
    {"ping", "Ask a service instance whether it and its databases are up", .method = "Ping"},
    CLI_RPC("token", "Take a place in a concert's queue (asking again returns the same token)",
            "IssueToken",
            CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id", IssueTokenRequest, user_id),
            CLI_ARG_CONCERT(IssueTokenRequest)),
    CLI_RPC("status", "Show a queue token's status, place in line and expiry", "GetToken",
            CLI_ARG_TOKEN(GetTokenRequest)),
    {"concerts", "List the concerts", .method = "ListConcerts"},
    CLI_RPC("schedules", "List a concert's dates with seats still available (ACTIVE token)",
            "ListSchedules", CLI_ARG_CONCERT(ListSchedulesRequest),
            CLI_ARG_TOKEN(ListSchedulesRequest)),
    CLI_RPC("seats", "Show the 50 seats of a date with status and price (ACTIVE token)",
            "ListSeats", CLI_ARG_SCHEDULE(ListSeatsRequest), CLI_ARG_TOKEN(ListSeatsRequest)),
    CLI_RPC(
        "hold", "Hold a seat for the hold period (ACTIVE token)", "HoldSeat",
        CLI_ARG_SCHEDULE(HoldSeatRequest),
        CLI_ARG_REQUIRED("seat", CLI_ARG_U32, "N", "seat number (1..50)", HoldSeatRequest, seat_no),
        CLI_ARG_TOKEN(HoldSeatRequest)),
    CLI_RPC("release", "Release one's own hold (ACTIVE token)", "ReleaseHold",
            CLI_ARG_RESERVATION(ReleaseHoldRequest), CLI_ARG_TOKEN(ReleaseHoldRequest)),
    CLI_RPC("balance", "Show a user's point balance (the token's user)", "GetBalance",
            CLI_ARG_TOKEN_USER(GetBalanceRequest), CLI_ARG_TOKEN(GetBalanceRequest)),
    CLI_RPC("charge", "Charge points to a user's balance (the token's user)", "ChargePoints",
            CLI_ARG_TOKEN_USER(ChargePointsRequest),
            CLI_ARG_REQUIRED("amount", CLI_ARG_INT, "POINTS", "points to add", ChargePointsRequest,
                             amount),
            CLI_ARG_TOKEN(ChargePointsRequest),
            CLI_ARG_IDEMPOTENCY_KEY(ChargePointsRequest, "charges")),
    CLI_RPC("pay", "Pay a held reservation from points; the seat becomes the user's (ACTIVE token)",
            "Pay", CLI_ARG_RESERVATION(PayRequest), CLI_ARG_TOKEN(PayRequest),
            CLI_ARG_IDEMPOTENCY_KEY(PayRequest, "pays")),
    CLI_RPC("admin-concert", "Create a concert (admin)", "CreateConcert",
            CLI_ARG_REQUIRED("title", CLI_ARG_STR, "TEXT", "title", CreateConcertRequest, title),
            CLI_ARG_OPTIONAL("artist", CLI_ARG_STR, "TEXT", "artist", CreateConcertRequest, artist),
            CLI_ARG_OPTIONAL("venue", CLI_ARG_STR, "TEXT", "venue", CreateConcertRequest, venue),
            CLI_ARG_ADMIN_KEY(CLI_TO(CreateConcertRequest, admin_key))),
    {"admin-schedule",
     "Create a date of a concert with 50 seats (admin)",
     {
         [CLI_SCHEDULE_CONCERT] = CLI_ARG_CONCERT(CreateScheduleRequest),
         [CLI_SCHEDULE_STARTS_AT] = CLI_ARG_REQUIRED("starts-at", CLI_ARG_TIME, "TIME",
                                                     "start, RFC 3339 (2026-12-24T19:00:00Z)",
                                                     CreateScheduleRequest, starts_at_ms),
         [CLI_SCHEDULE_PRICE] = CLI_ARG_REQUIRED(
             "price", CLI_ARG_INT, "POINTS", "price of every seat", CreateScheduleRequest, price),
         [CLI_SCHEDULE_SEAT_PRICES] = CLI_ARG_READ("seat-prices", CLI_ARG_STR, "P1,P2,..",
                                                   "50 prices, seat 1 first, overriding --price"),
         [CLI_SCHEDULE_KEY] = CLI_ARG_ADMIN_KEY(CLI_TO(CreateScheduleRequest, admin_key)),
     },
     .method = "CreateSchedule",
     .build = cli_build_schedule},
    {"admin-settings",
     "Show admission settings, or change those given (admin)",
     {
         [CLI_SETTINGS_RATE] = CLI_ARG_READ("rate", CLI_ARG_U32, "N", "admissions per second"),
         [CLI_SETTINGS_MAX_ACTIVE] =
             CLI_ARG_READ("max-active", CLI_ARG_U32, "N", "most ACTIVE tokens at once"),
         [CLI_SETTINGS_TOKEN_TTL] = CLI_ARG_READ("token-ttl", CLI_ARG_U32, "SECONDS",
                                                 "an idle ACTIVE token expires after this"),
         [CLI_SETTINGS_HOLD_TTL] =
             CLI_ARG_READ("hold-ttl", CLI_ARG_U32, "SECONDS", "an unpaid hold ends after this"),
         [CLI_SETTINGS_KEY] = CLI_ARG_ADMIN_KEY(0),
     },
     .pick = cli_pick_settings,
     .build = cli_build_settings},
    {"watch",
     "Print admission events (ADMITTED, POSITION, EXPIRED) as they come, until interrupted",
     {
         [CLI_WATCH_CONCERT] =
             CLI_ARG_READ("concert", CLI_ARG_ID, "ID", "only this concert's events"),
         [CLI_WATCH_USER] = CLI_ARG_READ("user", CLI_ARG_ID, "ID", "only this user's events"),
         [CLI_WATCH_EVENTS_URL] = {"events-url", CLI_ARG_STR, "URLS", "BOXOFFICE_EVENTS_URL", 0,
                                   "events address of every service instance, comma-separated "
                                   "(default " BO_DEFAULT_EVENTS_URL ")",
                                   0},
     },
     .run = cli_watch_run},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);
