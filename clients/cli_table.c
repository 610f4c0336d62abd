/*
 * cli_table: the commands of boxoffice-cli, one row each (see cli_command.h).
 *
 * A row holds a command's name, summary, rpc and options, each option naming
 * the field of the rpc's request it fills, so most commands need no code of
 * their own; signup and login (the password, maybe from stdin), admin-schedule
 * (seat prices or a venue), admin-settings and limits (which rpc, and a nested
 * message) add a build function that reads its options by enum index, as do
 * hold (one seat, several or the best available) and admin-venue (its
 * sections), whose build functions are in cli_table_venue.c. cli_print.c
 * prints the replies (by their type), cli_run.c runs the call path,
 * cli_watch.c is 'watch'. The table at the end is in the order of the help.
 * Who calls is the global --session (BOXOFFICE_SESSION), not an option here.
 */
#include "cli_command.h"

#include "cli_print.h"

#include <inttypes.h>
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
/* --user of a call made for the signed-in user: it may repeat that user; another one is
 * NOT_OWNER. */
#define CLI_ARG_SELF(T)                                                                            \
    CLI_ARG_OPTIONAL("user", CLI_ARG_ID, "ID",                                                     \
                     "user id (default: the signed-in user; another one is NOT_OWNER)", T,         \
                     user_id)
/* --key of a payment; does is what a repeat with the same key does only once ("pays"). */
#define CLI_ARG_IDEMPOTENCY_KEY(T, does)                                                           \
    CLI_ARG_OPTIONAL("key", CLI_ARG_STR, "KEY",                                                    \
                     "idempotency key: a repeat with the same key " does " once", T,               \
                     idempotency_key)

/* ---- lists ------------------------------------------------------------------- */

int cli_list_item(const char **p, char *item, size_t len)
{
    size_t n;

    if (*p == NULL) {
        return 0;
    }
    n = strcspn(*p, ",");
    if (n == 0 || n >= len) {
        return -1;
    }
    memcpy(item, *p, n);
    item[n] = '\0';
    *p = (*p)[n] == '\0' ? NULL : *p + n + 1;
    return 1;
}

/* ---- signup and login: the password -------------------------------------------- */

/* The options of signup and login, indexes into their rows' args. */
enum {
    CLI_PASSWORD_WHO, /* --name of signup, --user of login */
    CLI_PASSWORD_TEXT,
    CLI_PASSWORD_STDIN,
};

/* The longest line --password-stdin reads (the service takes at most 128 bytes). */
#define CLI_PASSWORD_LINE_MAX 1024

#define CLI_ARG_PASSWORD                                                                           \
    {                                                                                              \
        "password", CLI_ARG_STR, "PASSWORD", "BOXOFFICE_PASSWORD", 0,                              \
            "the password (others on this machine may see arguments: prefer the variable or "      \
            "--password-stdin)",                                                                   \
            0                                                                                      \
    }
#define CLI_ARG_PASSWORD_STDIN                                                                     \
    {                                                                                              \
        "password-stdin", CLI_ARG_FLAG, "", NULL, 0,                                               \
            "read the password from the first line of stdin instead", 0                            \
    }

/* cli_password_line reads the first line of stdin, without its line end, into a new string
 * (caller frees): CLI_EXIT_OK, or an exit code after printing why. Never prompts. */
static int cli_password_line(char **out)
{
    char *line = malloc(CLI_PASSWORD_LINE_MAX + 2);
    size_t len;

    if (line == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    if (fgets(line, CLI_PASSWORD_LINE_MAX + 2, stdin) == NULL) {
        fprintf(stderr, "error: --password-stdin: stdin holds no line\n");
        free(line);
        return CLI_EXIT_USAGE;
    }
    len = strcspn(line, "\r\n");
    if (line[len] == '\0' && len > CLI_PASSWORD_LINE_MAX) {
        fprintf(stderr, "error: --password-stdin: the line is longer than %d bytes\n",
                CLI_PASSWORD_LINE_MAX);
        free(line);
        return CLI_EXIT_USAGE;
    }
    line[len] = '\0';
    *out = line;
    return CLI_EXIT_OK;
}

/* cli_build_password sets the password of a CreateAccountRequest or LoginRequest: one line of
 * stdin with --password-stdin, else --password or BOXOFFICE_PASSWORD. */
static int cli_build_password(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(req->descriptor, "password");
    char *password;
    int rc;

    if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING) {
        cli_error(c, BO_E_INTERNAL, "the request has no password");
        return CLI_EXIT_SERVICE;
    }
    if (cli_opt_given(c, CLI_PASSWORD_STDIN)) {
        if ((rc = cli_password_line(&password)) != CLI_EXIT_OK) {
            return rc;
        }
        *held = password;
    } else if (cli_opt_given(c, CLI_PASSWORD_TEXT)) {
        password = cli_opt_str(c, CLI_PASSWORD_TEXT);
    } else {
        fprintf(stderr,
                "error: %s needs --password PASSWORD, BOXOFFICE_PASSWORD or --password-stdin (see "
                "boxoffice-cli %s --help)\n",
                c->cmd->name, c->cmd->name);
        return CLI_EXIT_USAGE;
    }
    memcpy((char *)req + f->offset, &password, sizeof(password));
    return CLI_EXIT_OK;
}

/* ---- admin-schedule ---------------------------------------------------------- */

/* The options of admin-schedule, indexes into its row's args. */
enum {
    CLI_SCHEDULE_CONCERT,
    CLI_SCHEDULE_STARTS_AT,
    CLI_SCHEDULE_PRICE,
    CLI_SCHEDULE_SEAT_PRICES,
    CLI_SCHEDULE_VENUE,
    CLI_SCHEDULE_KEY,
};

/* cli_seat_prices parses "p1,p2,..." into a new array (caller frees): CLI_EXIT_OK, or
 * CLI_EXIT_USAGE after printing why. */
static int cli_seat_prices(const char *text, int64_t **out, size_t *n)
{
    size_t cap = 1;
    int64_t *v;
    char item[32];
    int more;

    for (const char *p = text; *p != '\0'; p++) {
        cap += *p == ',';
    }
    if ((v = calloc(cap, sizeof(*v))) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_USAGE;
    }
    *n = 0;
    for (const char *p = text; (more = cli_list_item(&p, item, sizeof(item))) > 0; (*n)++) {
        if (cli_parse_int(item, INT64_MIN, INT64_MAX, &v[*n]) != BO_OK) {
            goto bad;
        }
    }
    if (more < 0) {
        goto bad;
    }
    *out = v;
    return CLI_EXIT_OK;
bad:
    fprintf(stderr, "error: --seat-prices must be whole numbers separated by commas, not '%s'\n",
            text);
    free(v);
    return CLI_EXIT_USAGE;
}

/* cli_build_schedule sets the seat prices (--seat-prices) of a CreateScheduleRequest: a hall
 * date takes --price (or --seat-prices), a date on a venue (--venue) neither. */
static int cli_build_schedule(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__CreateScheduleRequest *r = (Boxoffice__V1__CreateScheduleRequest *)req;
    int priced = cli_opt_given(c, CLI_SCHEDULE_PRICE) || cli_opt_given(c, CLI_SCHEDULE_SEAT_PRICES);

    if (cli_opt_given(c, CLI_SCHEDULE_VENUE) && priced) {
        fprintf(stderr, "error: a date on a venue (--venue) takes its sections' prices: leave out "
                        "--price and --seat-prices\n");
        return CLI_EXIT_USAGE;
    }
    if (!cli_opt_given(c, CLI_SCHEDULE_VENUE) && !priced) {
        fprintf(stderr, "error: admin-schedule needs --price POINTS for a date in the hall, or "
                        "--venue ID for a date on a venue (see boxoffice-cli admin-schedule "
                        "--help)\n");
        return CLI_EXIT_USAGE;
    }
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
    CLI_SETTINGS_MAX_SEATS,
    CLI_SETTINGS_KEY,
};

/* cli_pick_settings changes the settings when any is given, else reads them. */
static const char *cli_pick_settings(const struct cli_ctx *c)
{
    for (int i = CLI_SETTINGS_RATE; i <= CLI_SETTINGS_MAX_SEATS; i++) {
        if (cli_opt_given(c, i)) {
            return "SetAdmissionSettings";
        }
    }
    return "GetAdmissionSettings";
}

/* cli_build_settings fills the request cli_pick_settings chose: the admin key, and for a
 * change the five settings (those not given are sent as 0, which leaves them as they are). */
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
    s->max_seats_per_hold = (uint32_t)cli_opt_num(c, CLI_SETTINGS_MAX_SEATS);
    ((Boxoffice__V1__SetAdmissionSettingsRequest *)req)->admin_key =
        cli_opt_str(c, CLI_SETTINGS_KEY);
    ((Boxoffice__V1__SetAdmissionSettingsRequest *)req)->settings = s;
    *held = s;
    return CLI_EXIT_OK;
}

/* ---- limits ------------------------------------------------------------------ */

/* The options of limits, indexes into its row's args. */
enum {
    CLI_LIMITS_SET,
    CLI_LIMITS_KEY,
};

/* cli_pick_limits changes the limits with --set, else reads them. */
static const char *cli_pick_limits(const struct cli_ctx *c)
{
    return cli_opt_given(c, CLI_LIMITS_SET) ? "SetLimits" : "GetLimits";
}

/* cli_limit_set sets in l the limit item names ("userHoldsPerMinute=5": the REST name, as
 * 'limits' prints it) and its bit in *mask: CLI_EXIT_OK, or CLI_EXIT_USAGE after printing
 * why. */
static int cli_limit_set(Boxoffice__V1__Limits *l, char *item, uint32_t *mask)
{
    const ProtobufCFieldDescriptor *f = NULL;
    char *eq = strchr(item, '=');
    int64_t v = 0;
    size_t at = 0;

    if (eq != NULL) {
        *eq = '\0';
        if (cli_json_key_at(l->base.descriptor, item, &at) == BO_OK) {
            f = cli_field_at(l->base.descriptor, at);
        }
    }
    if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT32 || f->id < 1 || f->id > 32) {
        fprintf(stderr, "error: --set takes NAME=N,... with NAME one of ");
        cli_json_keys(stderr, l->base.descriptor);
        fprintf(stderr, ", not '%s'\n", item);
        return CLI_EXIT_USAGE;
    }
    if (cli_parse_int(eq + 1, 0, UINT32_MAX, &v) != BO_OK) {
        fprintf(stderr,
                "error: --set %s= must be a whole number from 0 (off) to %" PRIu32 ", not '%s'\n",
                item, UINT32_MAX, eq + 1);
        return CLI_EXIT_USAGE;
    }
    *(uint32_t *)((char *)l + at) = (uint32_t)v;
    *mask |= 1u << (f->id - 1);
    return CLI_EXIT_OK;
}

/* cli_build_limits fills the request cli_pick_limits chose: the admin key, and for a change
 * the limits --set names (the others are left as they are). */
static int cli_build_limits(const struct cli_ctx *c, ProtobufCMessage *req, void **held)
{
    Boxoffice__V1__SetLimitsRequest *set = (Boxoffice__V1__SetLimitsRequest *)req;
    Boxoffice__V1__Limits *l;
    const char *p = cli_opt_str(c, CLI_LIMITS_SET);
    char item[96];
    int more = 0, rc = CLI_EXIT_OK;

    if (req->descriptor == &boxoffice__v1__get_limits_request__descriptor) {
        ((Boxoffice__V1__GetLimitsRequest *)req)->admin_key = cli_opt_str(c, CLI_LIMITS_KEY);
        return CLI_EXIT_OK;
    }
    if ((l = malloc(sizeof(*l))) == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    boxoffice__v1__limits__init(l);
    *held = l;
    set->admin_key = cli_opt_str(c, CLI_LIMITS_KEY);
    set->limits = l;
    while (rc == CLI_EXIT_OK && (more = cli_list_item(&p, item, sizeof(item))) > 0) {
        rc = cli_limit_set(l, item, &set->fields_set);
    }
    if (rc == CLI_EXIT_OK && more < 0) {
        fprintf(stderr, "error: --set takes NAME=N,... (no empty item), not '%s'\n",
                cli_opt_str(c, CLI_LIMITS_SET));
        rc = CLI_EXIT_USAGE;
    }
    return rc;
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
    {"signup",
     "Create an account (a password of 8 to 128 bytes); prints its user id",
     {
         [CLI_PASSWORD_WHO] =
             CLI_ARG_REQUIRED("name", CLI_ARG_STR, "NAME", "display name, 1 to 64 characters",
                              CreateAccountRequest, name),
         [CLI_PASSWORD_TEXT] = CLI_ARG_PASSWORD,
         [CLI_PASSWORD_STDIN] = CLI_ARG_PASSWORD_STDIN,
     },
     .method = "CreateAccount",
     .build = cli_build_password},
    {"login",
     "Sign in; prints the session to pass as --session or BOXOFFICE_SESSION (--json: with its "
     "user and expiry)",
     {
         [CLI_PASSWORD_WHO] =
             CLI_ARG_REQUIRED("user", CLI_ARG_ID, "ID", "user id", LoginRequest, user_id),
         [CLI_PASSWORD_TEXT] = CLI_ARG_PASSWORD,
         [CLI_PASSWORD_STDIN] = CLI_ARG_PASSWORD_STDIN,
     },
     .method = "Login",
     .build = cli_build_password},
    {"logout", "End the session given as --session or BOXOFFICE_SESSION, on every instance",
     .method = "Logout"},
    CLI_RPC("token",
            "Take a place in a concert's queue as the signed-in user (asking again returns the "
            "same token)",
            "IssueToken", CLI_ARG_SELF(IssueTokenRequest), CLI_ARG_CONCERT(IssueTokenRequest)),
    CLI_RPC("leave", "Leave a concert's queue, or end an ACTIVE window early (signed in)",
            "LeaveQueue", CLI_ARG_TOKEN(LeaveQueueRequest)),
    CLI_RPC("status", "Show a queue token's status, place in line and expiry", "GetToken",
            CLI_ARG_TOKEN(GetTokenRequest)),
    {"concerts", "List the concerts", .method = "ListConcerts"},
    CLI_RPC("schedules", "List a concert's dates with seats still available (ACTIVE token)",
            "ListSchedules", CLI_ARG_CONCERT(ListSchedulesRequest),
            CLI_ARG_TOKEN(ListSchedulesRequest)),
    CLI_RPC("sections",
            "List the sections of a date on a venue: price, rows x seats per row, seats "
            "available now (ACTIVE token)",
            "ListSections", CLI_ARG_SCHEDULE(ListSectionsRequest),
            CLI_ARG_TOKEN(ListSectionsRequest)),
    CLI_RPC("seats",
            "Show a date's seats with status and price: the 50 of the hall, or one section's "
            "with their places on a venue (ACTIVE token)",
            "ListSeats", CLI_ARG_SCHEDULE(ListSeatsRequest),
            CLI_ARG_OPTIONAL("section", CLI_ARG_STR, "NAME",
                             "only this section's seats (needed on a date of more than 2,000 "
                             "seats; see 'sections')",
                             ListSeatsRequest, section),
            CLI_ARG_OPTIONAL("compact", CLI_ARG_FLAG, "",
                             "one letter a seat (A available, H held, S sold), a line a row",
                             ListSeatsRequest, compact),
            CLI_ARG_TOKEN(ListSeatsRequest)),
    {"hold",
     "Hold seats for the hold period, all or nothing: one, several, or the best available of a "
     "section (signed in, ACTIVE token)",
     {
         [CLI_HOLD_SCHEDULE] = CLI_ARG_SCHEDULE(HoldSeatRequest),
         [CLI_HOLD_SEAT] = CLI_ARG_OPTIONAL("seat", CLI_ARG_U32, "N", "one seat by its number",
                                            HoldSeatRequest, seat_no),
         [CLI_HOLD_SEATS] =
             CLI_ARG_READ("seats", CLI_ARG_STR, "N,N,..",
                          "several seats by number, all or nothing (at most the service's "
                          "maxSeatsPerHold, default 4)"),
         [CLI_HOLD_BEST] = CLI_ARG_OPTIONAL("best", CLI_ARG_U32, "N",
                                            "the best N available seats of --section, nearest "
                                            "the stage, side by side in one row",
                                            HoldSeatRequest, quantity),
         [CLI_HOLD_SECTION] = CLI_ARG_OPTIONAL("section", CLI_ARG_STR, "NAME",
                                               "with --best: the section to pick in (required)",
                                               HoldSeatRequest, section),
         [CLI_HOLD_APART] = CLI_ARG_READ("apart", CLI_ARG_FLAG, "",
                                         "with --best: the seats need not sit together"),
         [CLI_HOLD_TOKEN] = CLI_ARG_TOKEN(HoldSeatRequest),
     },
     .method = "HoldSeat",
     .build = cli_build_hold},
    CLI_RPC("release", "Release one's own hold (signed in, ACTIVE token)", "ReleaseHold",
            CLI_ARG_RESERVATION(ReleaseHoldRequest), CLI_ARG_TOKEN(ReleaseHoldRequest)),
    CLI_RPC("balance", "Show the signed-in user's point balance", "GetBalance",
            CLI_ARG_SELF(GetBalanceRequest)),
    CLI_RPC("charge", "Charge points to the signed-in user's balance", "ChargePoints",
            CLI_ARG_REQUIRED("amount", CLI_ARG_INT, "POINTS", "points to add", ChargePointsRequest,
                             amount),
            CLI_ARG_SELF(ChargePointsRequest),
            CLI_ARG_IDEMPOTENCY_KEY(ChargePointsRequest, "charges")),
    CLI_RPC("pay",
            "Pay a held reservation from points; the seat becomes the user's (signed in, ACTIVE "
            "token)",
            "Pay", CLI_ARG_RESERVATION(PayRequest), CLI_ARG_TOKEN(PayRequest),
            CLI_ARG_IDEMPOTENCY_KEY(PayRequest, "pays")),
    CLI_RPC("refund",
            "Refund one's own payment before the date's refund cutoff: the points come back, the "
            "seats go on sale again (signed in; no token)",
            "Refund",
            CLI_ARG_REQUIRED("payment", CLI_ARG_ID, "ID", "payment id (from 'pay')", RefundRequest,
                             payment_id),
            CLI_ARG_IDEMPOTENCY_KEY(RefundRequest, "refunds")),
    CLI_RPC("admin-concert", "Create a concert (admin)", "CreateConcert",
            CLI_ARG_REQUIRED("title", CLI_ARG_STR, "TEXT", "title", CreateConcertRequest, title),
            CLI_ARG_OPTIONAL("artist", CLI_ARG_STR, "TEXT", "artist", CreateConcertRequest, artist),
            CLI_ARG_OPTIONAL("venue", CLI_ARG_STR, "TEXT", "venue", CreateConcertRequest, venue),
            CLI_ARG_OPTIONAL("sale-opens-at", CLI_ARG_TIME, "TIME",
                             "when the sale opens, RFC 3339 (default: at once); who joins before "
                             "is placed in a random order then",
                             CreateConcertRequest, sale_opens_at_ms),
            CLI_ARG_ADMIN_KEY(CLI_TO(CreateConcertRequest, admin_key))),
    CLI_RPC("concert-opens", "Set when a concert's sale opens, or open it now (admin)",
            "UpdateConcert", CLI_ARG_CONCERT(UpdateConcertRequest),
            CLI_ARG_REQUIRED("at", CLI_ARG_WHEN, "TIME|now",
                             "RFC 3339 time (2026-12-24T10:00:00Z), or now", UpdateConcertRequest,
                             sale_opens_at_ms),
            CLI_ARG_ADMIN_KEY(CLI_TO(UpdateConcertRequest, admin_key))),
    {"admin-venue",
     "Create a venue of sections, numbered in the order given (admin); prints its id for "
     "'admin-schedule --venue'",
     {
         [CLI_VENUE_NAME] = CLI_ARG_REQUIRED("name", CLI_ARG_STR, "TEXT", "the venue's name",
                                             CreateVenueRequest, name),
         [CLI_VENUE_SECTION] = {"section", CLI_ARG_MANY, "NAME:ROWSxSEATS:PRICE", NULL, 1,
                                "a section: its name, rows x seats per row (row 1 nearest the "
                                "stage) and the price of its seats, e.g. A:20x100:150000",
                                0},
         [CLI_VENUE_KEY] = CLI_ARG_ADMIN_KEY(CLI_TO(CreateVenueRequest, admin_key)),
     },
     .method = "CreateVenue",
     .build = cli_build_venue},
    {"admin-schedule",
     "Create a date of a concert: 50 seats in the hall (--price), or on a venue (--venue) "
     "(admin)",
     {
         [CLI_SCHEDULE_CONCERT] = CLI_ARG_CONCERT(CreateScheduleRequest),
         [CLI_SCHEDULE_STARTS_AT] = CLI_ARG_REQUIRED("starts-at", CLI_ARG_TIME, "TIME",
                                                     "start, RFC 3339 (2026-12-24T19:00:00Z)",
                                                     CreateScheduleRequest, starts_at_ms),
         [CLI_SCHEDULE_PRICE] =
             CLI_ARG_OPTIONAL("price", CLI_ARG_INT, "POINTS", "hall: price of every seat",
                              CreateScheduleRequest, price),
         [CLI_SCHEDULE_SEAT_PRICES] =
             CLI_ARG_READ("seat-prices", CLI_ARG_STR, "P1,P2,..",
                          "hall: 50 prices, seat 1 first, overriding --price"),
         [CLI_SCHEDULE_VENUE] = CLI_ARG_OPTIONAL(
             "venue", CLI_ARG_ID, "ID",
             "a date on this venue (from 'admin-venue'), its seats and prices its sections'",
             CreateScheduleRequest, venue_id),
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
         [CLI_SETTINGS_MAX_SEATS] = CLI_ARG_READ("max-seats-per-hold", CLI_ARG_U32, "N",
                                                 "seats one hold may take (1 to 10)"),
         [CLI_SETTINGS_KEY] = CLI_ARG_ADMIN_KEY(0),
     },
     .pick = cli_pick_settings,
     .build = cli_build_settings},
    {"limits",
     "Show the rate limits (per minute, 0 = off), or change those given (admin)",
     {
         [CLI_LIMITS_SET] = CLI_ARG_READ("set", CLI_ARG_STR, "NAME=N,..",
                                         "change these limits, named as shown "
                                         "(userHoldsPerMinute=5,addressLoginsPerMinute=0)"),
         [CLI_LIMITS_KEY] = CLI_ARG_ADMIN_KEY(0),
     },
     .pick = cli_pick_limits,
     .build = cli_build_limits},
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
