/*
 * cli_commands: the commands of boxoffice-cli (see cli.h).
 *
 * One table names every command with its options, its help and the function
 * that makes the call; options are parsed and checked from that table before
 * anything is dialled, so a usage error never waits on the network. Each
 * command makes exactly one rpc and prints the answer either as short lines
 * for people or as one JSON object per line whose fields match the REST API;
 * 'watch' instead subscribes to the admission events and prints one line per
 * event until SIGINT or SIGTERM.
 *
 * The file is layered low to high: JSON output, names of enumerations, option
 * parsing, calls and errors, the commands, the table and the entry point.
 */
#include "cli.h"

#include "bo_enum.h"
#include "bo_error.h"
#include "bo_time.h"
#include "boxoffice/client.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLI_MAX_ARGS   8
#define CLI_MAX_DEPTH  8
#define CLI_MAX_SEATNO 10000
/* How long watch waits for an event before it looks for a stop signal again. */
#define CLI_WATCH_POLL_MS 200

/* ---- JSON output ---------------------------------------------------------- */

/* A JSON writer to stdout: tracks whether the next member needs a comma. */
struct cli_json {
    int depth;
    int first[CLI_MAX_DEPTH];
};

/* cli_json_sep writes the comma before a member and its key (key NULL inside arrays). */
static void cli_json_sep(struct cli_json *j, const char *key)
{
    if (j->depth > 0 && !j->first[j->depth - 1]) {
        putchar(',');
    }
    if (j->depth > 0) {
        j->first[j->depth - 1] = 0;
    }
    if (key != NULL) {
        printf("\"%s\":", key);
    }
}

/* cli_json_string writes s as a JSON string, escaping quotes, backslashes and controls. */
static void cli_json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            putchar('\\');
            putchar(*p);
        } else if (*p == '\n') {
            fputs("\\n", stdout);
        } else if (*p == '\t') {
            fputs("\\t", stdout);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

/* cli_json_open starts an object ('{') or array ('[') under key (NULL at top or in arrays). */
static void cli_json_open(struct cli_json *j, const char *key, char bracket)
{
    cli_json_sep(j, key);
    putchar(bracket);
    if (j->depth < CLI_MAX_DEPTH) {
        j->first[j->depth] = 1;
    }
    j->depth++;
}

/* cli_json_close ends what cli_json_open started; at the top level it ends the line. */
static void cli_json_close(struct cli_json *j, char bracket)
{
    putchar(bracket);
    j->depth--;
    if (j->depth == 0) {
        putchar('\n');
    }
}

static void cli_json_str(struct cli_json *j, const char *key, const char *v)
{
    cli_json_sep(j, key);
    cli_json_string(v != NULL ? v : "");
}

static void cli_json_u64(struct cli_json *j, const char *key, uint64_t v)
{
    cli_json_sep(j, key);
    printf("%" PRIu64, v);
}

static void cli_json_i64(struct cli_json *j, const char *key, int64_t v)
{
    cli_json_sep(j, key);
    printf("%" PRId64, v);
}

static void cli_json_bool(struct cli_json *j, const char *key, int v)
{
    cli_json_sep(j, key);
    fputs(v ? "true" : "false", stdout);
}

/* cli_json_time writes ms as an RFC 3339 string, or null when ms is 0 (not set). */
static void cli_json_time(struct cli_json *j, const char *key, int64_t ms)
{
    char buf[40];

    cli_json_sep(j, key);
    if (ms == 0) {
        fputs("null", stdout);
        return;
    }
    bo_time_format_ms(ms, buf, sizeof(buf));
    cli_json_string(buf);
}

/* cli_time formats ms for people into buf; "-" when not set. Returns buf. */
static const char *cli_time(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "-");
    } else {
        bo_time_format_ms(ms, buf, len);
    }
    return buf;
}

/* ---- names of enumerations (upper case, as in REST) ----------------------- */

/* cli_seat_mark is the one-character mark of a seat status in the grid. */
static char cli_seat_mark(int v)
{
    switch (v) {
    case BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE:
        return '.';
    case BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD:
        return 'H';
    case BOXOFFICE__V1__SEAT_STATUS__SEAT_SOLD:
        return 'S';
    default:
        return '?';
    }
}

/* ---- options of a command ------------------------------------------------- */

enum cli_arg_type {
    CLI_ARG_STR,  /* any text */
    CLI_ARG_ID,   /* an id: whole number >= 1 */
    CLI_ARG_U32,  /* whole number 0..4294967295 */
    CLI_ARG_INT,  /* whole number, may be negative (the service checks ranges) */
    CLI_ARG_TIME, /* RFC 3339, kept as Unix ms */
};

/* One option of a command: --name METAVAR, optionally read from env when not given. */
struct cli_arg {
    const char *name;
    int type;
    const char *metavar;
    const char *env;
    int required;
    const char *help;
};

struct cli_command;

/* Everything a command's run function needs: options, output mode and the session. */
struct cli_ctx {
    struct cli_global g;
    const struct cli_command *cmd;
    const char *text[CLI_MAX_ARGS]; /* NULL when not given */
    int64_t num[CLI_MAX_ARGS];      /* parsed value of numeric and time options */
    struct bo_client *client;
    struct bo_session *session;
};

struct cli_command {
    const char *name;
    const char *summary;
    const struct cli_arg *args; /* terminated by an entry with name NULL */
    int (*run)(struct cli_ctx *c);
    int no_rpc; /* the command dials no rpc address (run gets no client or session) */
};

#define CLI_ARG_TOKEN                                                                              \
    {                                                                                              \
        "token", CLI_ARG_STR, "TOKEN", "BOXOFFICE_TOKEN", 1, "queue token (from 'token')"          \
    }
#define CLI_ARG_ADMIN_KEY                                                                          \
    {                                                                                              \
        "admin-key", CLI_ARG_STR, "KEY", "BOXOFFICE_ADMIN_KEY", 1, "the service's admin key"       \
    }
#define CLI_ARG_END                                                                                \
    {                                                                                              \
        NULL, 0, NULL, NULL, 0, NULL                                                               \
    }

/* cli_arg_index finds option name among cmd's; -1 if it has none. */
static int cli_arg_index(const struct cli_command *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->args[i].name != NULL; i++) {
        if (strlen(cmd->args[i].name) == len && strncmp(cmd->args[i].name, name, len) == 0) {
            return i;
        }
    }
    return -1;
}

/* cli_given tells whether option name was given (or came from its environment variable). */
static int cli_given(const struct cli_ctx *c, const char *name)
{
    int i = cli_arg_index(c->cmd, name, strlen(name));
    return i >= 0 && c->text[i] != NULL;
}

/* cli_str returns option name's text, "" when not given. Borrowed from argv or environ. */
static const char *cli_str(const struct cli_ctx *c, const char *name)
{
    int i = cli_arg_index(c->cmd, name, strlen(name));
    return i >= 0 && c->text[i] != NULL ? c->text[i] : "";
}

/* cli_num returns the parsed value of numeric or time option name, 0 when not given. */
static int64_t cli_num(const struct cli_ctx *c, const char *name)
{
    int i = cli_arg_index(c->cmd, name, strlen(name));
    return i >= 0 && c->text[i] != NULL ? c->num[i] : 0;
}

static void cli_command_usage(FILE *out, const struct cli_command *cmd)
{
    char flag[64];

    fprintf(out, "Usage: boxoffice-cli [global options] %s", cmd->name);
    for (int i = 0; cmd->args[i].name != NULL; i++) {
        const struct cli_arg *a = &cmd->args[i];
        fprintf(out, a->required ? " --%s %s" : " [--%s %s]", a->name, a->metavar);
    }
    fprintf(out, "\n\n%s.\n", cmd->summary);
    if (cmd->args[0].name != NULL) {
        fprintf(out, "\nOptions:\n");
    }
    for (int i = 0; cmd->args[i].name != NULL; i++) {
        const struct cli_arg *a = &cmd->args[i];
        snprintf(flag, sizeof(flag), "--%s %s", a->name, a->metavar);
        fprintf(out, "  %-24s %s", flag, a->help);
        if (a->required) {
            fprintf(out, " (required)");
        }
        if (a->env != NULL) {
            fprintf(out, " [env %s]", a->env);
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-24s %s\n", "--json", "print one JSON object per line");
}

/* cli_parse_int reads a whole number in lo..hi from text; 0 or -1. */
static int cli_parse_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (*text == '\0' || isspace((unsigned char)*text)) {
        return -1;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

/* cli_arg_convert checks and converts option i's text into c->num[i]; prints why on error. */
static int cli_arg_convert(struct cli_ctx *c, int i)
{
    const struct cli_arg *a = &c->cmd->args[i];
    const char *t = c->text[i];

    switch (a->type) {
    case CLI_ARG_ID:
        if (cli_parse_int(t, 1, INT64_MAX, &c->num[i]) != 0) {
            fprintf(stderr, "error: --%s must be a whole number of at least 1, not '%s'\n", a->name,
                    t);
            return -1;
        }
        return 0;
    case CLI_ARG_U32:
        if (cli_parse_int(t, 0, UINT32_MAX, &c->num[i]) != 0) {
            fprintf(stderr, "error: --%s must be a whole number from 0 to %" PRIu32 ", not '%s'\n",
                    a->name, UINT32_MAX, t);
            return -1;
        }
        return 0;
    case CLI_ARG_INT:
        if (cli_parse_int(t, INT64_MIN, INT64_MAX, &c->num[i]) != 0) {
            fprintf(stderr, "error: --%s must be a whole number, not '%s'\n", a->name, t);
            return -1;
        }
        return 0;
    case CLI_ARG_TIME:
        if (bo_time_parse_rfc3339(t, &c->num[i]) != BO_OK) {
            fprintf(stderr,
                    "error: --%s must be an RFC 3339 time like 2026-12-24T19:00:00Z, not '%s'\n",
                    a->name, t);
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/*
 * cli_args_parse reads the command's options from argv[1..argc) into c (text borrowed from
 * argv or environ). Returns CLI_EXIT_OK to go on, CLI_EXIT_USAGE after printing why, or -1
 * after printing the help.
 */
static int cli_args_parse(struct cli_ctx *c, int argc, char **argv)
{
    const struct cli_command *cmd = c->cmd;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_command_usage(stdout, cmd);
            return -1;
        }
        if (strcmp(a, "--json") == 0) {
            c->g.json = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            fprintf(stderr,
                    "error: unexpected argument '%s' for %s (see boxoffice-cli %s --help)\n", a,
                    cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        int k = cli_arg_index(cmd, name, len);
        if (k < 0) {
            fprintf(stderr, "error: unknown option '%.*s' for %s (see boxoffice-cli %s --help)\n",
                    (int)len + 2, a, cmd->name, cmd->name);
            return CLI_EXIT_USAGE;
        }
        if (eq != NULL) {
            c->text[k] = eq + 1;
        } else if (i + 1 < argc) {
            c->text[k] = argv[++i];
        } else {
            fprintf(stderr, "error: option --%s needs a value (%s)\n", cmd->args[k].name,
                    cmd->args[k].metavar);
            return CLI_EXIT_USAGE;
        }
    }
    for (int k = 0; cmd->args[k].name != NULL; k++) {
        const struct cli_arg *a = &cmd->args[k];
        if (c->text[k] == NULL && a->env != NULL) {
            const char *v = getenv(a->env);
            if (v != NULL && *v != '\0') {
                c->text[k] = v;
            }
        }
        if (c->text[k] == NULL) {
            if (a->required) {
                fprintf(stderr, "error: %s needs --%s %s%s%s (see boxoffice-cli %s --help)\n",
                        cmd->name, a->name, a->metavar, a->env != NULL ? " or " : "",
                        a->env != NULL ? a->env : "", cmd->name);
                return CLI_EXIT_USAGE;
            }
            continue;
        }
        if (cli_arg_convert(c, k) != 0) {
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

/* ---- calls and errors ----------------------------------------------------- */

/* cli_exit_for maps an error code to the exit code: no answer is 3, any other error 1. */
static int cli_exit_for(int err)
{
    if (err == BO_E_TIMEOUT || err == BO_E_UNAVAILABLE) {
        return CLI_EXIT_UNREACHABLE;
    }
    return CLI_EXIT_SERVICE;
}

/* cli_error prints err to stderr: "error: CODE: message", or the REST error object in JSON. */
static void cli_error(const struct cli_ctx *c, int err, const char *message)
{
    const char *msg = message != NULL && *message != '\0' ? message : bo_error_message(err);

    if (c->g.json) {
        fprintf(stderr, "{\"error\":{\"code\":\"%s\",\"message\":\"", bo_error_name(err));
        for (const char *p = msg; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\') {
                fputc('\\', stderr);
                fputc(*p, stderr);
            } else if ((unsigned char)*p >= 0x20) {
                fputc(*p, stderr);
            }
        }
        fprintf(stderr, "\"}}\n");
    } else if (cli_exit_for(err) == CLI_EXIT_UNREACHABLE) {
        fprintf(stderr, "error: %s: %s (rpc url %s, timeout %" PRId64 " ms)\n", bo_error_name(err),
                msg, c->g.rpc_url, c->g.timeout_ms);
    } else {
        fprintf(stderr, "error: %s: %s\n", bo_error_name(err), msg);
    }
}

/*
 * cli_call calls method with in. On success returns CLI_EXIT_OK with *out the reply (caller
 * frees with protobuf_c_message_free_unpacked); otherwise prints the error and returns its
 * exit code.
 */
static int cli_call(struct cli_ctx *c, const char *method, const ProtobufCMessage *in,
                    ProtobufCMessage **out)
{
    struct bo_status st;
    int rc;

    memset(&st, 0, sizeof(st));
    rc = bo_call(c->session, method, in, out, &st);
    if (rc == BO_OK && *out == NULL) {
        rc = BO_E_INTERNAL;
    }
    if (rc != BO_OK) {
        cli_error(c, rc, st.message);
        return cli_exit_for(rc);
    }
    return CLI_EXIT_OK;
}

/* ---- printing shared shapes ----------------------------------------------- */

static void cli_print_token(const struct cli_ctx *c, const Boxoffice__V1__Token *t)
{
    char buf[40];

    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_str(&j, "token", t->token);
        cli_json_str(&j, "tokenId", t->token_id);
        cli_json_u64(&j, "userId", t->user_id);
        cli_json_u64(&j, "concertId", t->concert_id);
        cli_json_str(&j, "status",
                     bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status));
        cli_json_u64(&j, "position", t->position);
        cli_json_u64(&j, "etaSeconds", t->eta_seconds);
        cli_json_time(&j, "issuedAt", t->issued_at_ms);
        cli_json_time(&j, "admittedAt", t->admitted_at_ms);
        cli_json_time(&j, "expiresAt", t->expires_at_ms);
        cli_json_close(&j, '}');
        return;
    }
    printf("token %s  %s", t->token,
           bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status));
    if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING) {
        printf("  position %" PRIu64 "  eta %" PRIu32 "s", t->position, t->eta_seconds);
    } else if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
        printf("  expires %s", cli_time(t->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
}

static void cli_print_concert(const struct cli_ctx *c, struct cli_json *j,
                              const Boxoffice__V1__Concert *k)
{
    if (c->g.json) {
        cli_json_open(j, NULL, '{');
        cli_json_u64(j, "id", k->id);
        cli_json_str(j, "title", k->title);
        cli_json_str(j, "artist", k->artist);
        cli_json_str(j, "venue", k->venue);
        cli_json_u64(j, "scheduleCount", k->schedule_count);
        cli_json_close(j, '}');
        return;
    }
    printf("%-5" PRIu64 " %-32s %-24s %-24s %" PRIu32 "\n", k->id, k->title, k->artist, k->venue,
           k->schedule_count);
}

static void cli_print_schedule(const struct cli_ctx *c, struct cli_json *j,
                               const Boxoffice__V1__Schedule *s)
{
    char buf[40];

    if (c->g.json) {
        cli_json_open(j, NULL, '{');
        cli_json_u64(j, "id", s->id);
        cli_json_u64(j, "concertId", s->concert_id);
        cli_json_time(j, "startsAt", s->starts_at_ms);
        cli_json_u64(j, "availableSeats", s->available_seats);
        cli_json_u64(j, "totalSeats", s->total_seats);
        cli_json_close(j, '}');
        return;
    }
    printf("%-7" PRIu64 " %-26s %" PRIu32 "/%" PRIu32 "\n", s->id,
           cli_time(s->starts_at_ms, buf, sizeof(buf)), s->available_seats, s->total_seats);
}

static void cli_print_reservation(const struct cli_ctx *c, const char *verb,
                                  const Boxoffice__V1__Reservation *r)
{
    char buf[40];

    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "reservationId", r->id);
        cli_json_str(&j, "status",
                     bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status));
        cli_json_time(&j, "expiresAt", r->expires_at_ms);
        cli_json_i64(&j, "price", r->price);
        cli_json_u64(&j, "userId", r->user_id);
        cli_json_u64(&j, "concertId", r->concert_id);
        cli_json_u64(&j, "scheduleId", r->schedule_id);
        cli_json_u64(&j, "seatNo", r->seat_no);
        cli_json_time(&j, "heldAt", r->held_at_ms);
        cli_json_close(&j, '}');
        return;
    }
    printf("%s seat %" PRIu32 " on schedule %" PRIu64 "  reservation %" PRIu64
           "  %s  price %" PRId64,
           verb, r->seat_no, r->schedule_id, r->id,
           bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status), r->price);
    if (r->status == BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD) {
        printf("  expires %s", cli_time(r->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
}

static void cli_print_settings(const struct cli_ctx *c, const Boxoffice__V1__AdmissionSettings *s)
{
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "ratePerSecond", s->rate_per_second);
        cli_json_u64(&j, "maxActive", s->max_active);
        cli_json_u64(&j, "tokenTtlSeconds", s->token_ttl_seconds);
        cli_json_u64(&j, "holdTtlSeconds", s->hold_ttl_seconds);
        cli_json_close(&j, '}');
        return;
    }
    printf("admission rate %" PRIu32 "/s  max active %" PRIu32 "  token ttl %" PRIu32
           "s  hold ttl %" PRIu32 "s\n",
           s->rate_per_second, s->max_active, s->token_ttl_seconds, s->hold_ttl_seconds);
}

/* ---- the commands --------------------------------------------------------- */

static int cli_cmd_ping(struct cli_ctx *c)
{
    Boxoffice__V1__PingRequest req = BOXOFFICE__V1__PING_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char buf[40];
    int rc = cli_call(c, "Ping", &req.base, &out);

    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__PingReply *rep = (const Boxoffice__V1__PingReply *)out;
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_str(&j, "instance", rep->instance);
        cli_json_time(&j, "now", rep->now_ms);
        cli_json_bool(&j, "databaseOk", rep->database_ok);
        cli_json_bool(&j, "redisOk", rep->redis_ok);
        cli_json_close(&j, '}');
    } else {
        printf("pong from %s  %s  database %s  redis %s\n", rep->instance,
               cli_time(rep->now_ms, buf, sizeof(buf)), rep->database_ok ? "ok" : "DOWN",
               rep->redis_ok ? "ok" : "DOWN");
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_token(struct cli_ctx *c)
{
    Boxoffice__V1__IssueTokenRequest req = BOXOFFICE__V1__ISSUE_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.user_id = (uint64_t)cli_num(c, "user");
    req.concert_id = (uint64_t)cli_num(c, "concert");
    if ((rc = cli_call(c, "IssueToken", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__IssueTokenReply *rep = (const Boxoffice__V1__IssueTokenReply *)out;
    if (rep->token == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no token");
        return CLI_EXIT_SERVICE;
    }
    cli_print_token(c, rep->token);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_status(struct cli_ctx *c)
{
    Boxoffice__V1__GetTokenRequest req = BOXOFFICE__V1__GET_TOKEN_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    if ((rc = cli_call(c, "GetToken", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__GetTokenReply *rep = (const Boxoffice__V1__GetTokenReply *)out;
    if (rep->token == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no token");
        return CLI_EXIT_SERVICE;
    }
    cli_print_token(c, rep->token);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_concerts(struct cli_ctx *c)
{
    Boxoffice__V1__ListConcertsRequest req = BOXOFFICE__V1__LIST_CONCERTS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct cli_json j = {0};
    int rc;

    if ((rc = cli_call(c, "ListConcerts", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__ListConcertsReply *rep = (const Boxoffice__V1__ListConcertsReply *)out;
    if (c->g.json) {
        cli_json_open(&j, NULL, '{');
        cli_json_open(&j, "concerts", '[');
    } else {
        printf("%-5s %-32s %-24s %-24s %s\n", "ID", "TITLE", "ARTIST", "VENUE", "DATES");
    }
    for (size_t i = 0; i < rep->n_concerts; i++) {
        cli_print_concert(c, &j, rep->concerts[i]);
    }
    if (c->g.json) {
        cli_json_close(&j, ']');
        cli_json_close(&j, '}');
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_schedules(struct cli_ctx *c)
{
    Boxoffice__V1__ListSchedulesRequest req = BOXOFFICE__V1__LIST_SCHEDULES_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct cli_json j = {0};
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.concert_id = (uint64_t)cli_num(c, "concert");
    if ((rc = cli_call(c, "ListSchedules", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__ListSchedulesReply *rep = (const Boxoffice__V1__ListSchedulesReply *)out;
    if (c->g.json) {
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "concertId", req.concert_id);
        cli_json_open(&j, "schedules", '[');
    } else {
        printf("%-7s %-26s %s\n", "ID", "STARTS AT", "AVAILABLE");
    }
    for (size_t i = 0; i < rep->n_schedules; i++) {
        cli_print_schedule(c, &j, rep->schedules[i]);
    }
    if (c->g.json) {
        cli_json_close(&j, ']');
        cli_json_close(&j, '}');
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

/* cli_seats_grid prints seats as rows of ten "number mark" cells, a legend and the prices. */
static void cli_seats_grid(const Boxoffice__V1__ListSeatsReply *rep)
{
    const Boxoffice__V1__Seat **by_no;
    const char *sep = "";
    uint32_t max = 0, available = 0;

    for (size_t i = 0; i < rep->n_seats; i++) {
        uint32_t no = rep->seats[i]->seat_no;
        if (no <= CLI_MAX_SEATNO && no > max) {
            max = no;
        }
        available += rep->seats[i]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE;
    }
    printf("schedule %" PRIu64 " (concert %" PRIu64 "): %" PRIu32 " of %zu seats available\n",
           rep->schedule_id, rep->concert_id, available, rep->n_seats);
    by_no = calloc((size_t)max + 1, sizeof(*by_no));
    if (by_no == NULL) {
        return;
    }
    for (size_t i = 0; i < rep->n_seats; i++) {
        if (rep->seats[i]->seat_no <= max) {
            by_no[rep->seats[i]->seat_no] = rep->seats[i];
        }
    }
    for (uint32_t no = 1; no <= max; no++) {
        if (by_no[no] != NULL) {
            printf("%4" PRIu32 " %c", no, cli_seat_mark(by_no[no]->status));
        } else {
            printf("      ");
        }
        printf(no % 10 == 0 || no == max ? "\n" : " ");
    }
    printf("legend: . available  H held  S sold\nprices:");
    for (uint32_t no = 1; no <= max;) {
        if (by_no[no] == NULL) {
            no++;
            continue;
        }
        uint32_t last = no;
        while (last + 1 <= max && by_no[last + 1] != NULL &&
               by_no[last + 1]->price == by_no[no]->price) {
            last++;
        }
        if (last == no) {
            printf("%s seat %" PRIu32 ": %" PRId64, sep, no, by_no[no]->price);
        } else {
            printf("%s seats %" PRIu32 "-%" PRIu32 ": %" PRId64, sep, no, last, by_no[no]->price);
        }
        no = last + 1;
        sep = ",";
    }
    printf("\n");
    free(by_no);
}

static int cli_cmd_seats(struct cli_ctx *c)
{
    Boxoffice__V1__ListSeatsRequest req = BOXOFFICE__V1__LIST_SEATS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.schedule_id = (uint64_t)cli_num(c, "schedule");
    if ((rc = cli_call(c, "ListSeats", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)out;
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "scheduleId", rep->schedule_id);
        cli_json_u64(&j, "concertId", rep->concert_id);
        cli_json_open(&j, "seats", '[');
        for (size_t i = 0; i < rep->n_seats; i++) {
            cli_json_open(&j, NULL, '{');
            cli_json_u64(&j, "seatNo", rep->seats[i]->seat_no);
            cli_json_i64(&j, "price", rep->seats[i]->price);
            cli_json_str(
                &j, "status",
                bo_enum_name(&boxoffice__v1__seat_status__descriptor, rep->seats[i]->status));
            cli_json_close(&j, '}');
        }
        cli_json_close(&j, ']');
        cli_json_close(&j, '}');
    } else {
        cli_seats_grid(rep);
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_hold(struct cli_ctx *c)
{
    Boxoffice__V1__HoldSeatRequest req = BOXOFFICE__V1__HOLD_SEAT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.schedule_id = (uint64_t)cli_num(c, "schedule");
    req.seat_no = (uint32_t)cli_num(c, "seat");
    if ((rc = cli_call(c, "HoldSeat", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__HoldSeatReply *rep = (const Boxoffice__V1__HoldSeatReply *)out;
    if (rep->reservation == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no reservation");
        return CLI_EXIT_SERVICE;
    }
    cli_print_reservation(c, "held", rep->reservation);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_release(struct cli_ctx *c)
{
    Boxoffice__V1__ReleaseHoldRequest req = BOXOFFICE__V1__RELEASE_HOLD_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.reservation_id = (uint64_t)cli_num(c, "reservation");
    if ((rc = cli_call(c, "ReleaseHold", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__ReleaseHoldReply *rep = (const Boxoffice__V1__ReleaseHoldReply *)out;
    if (rep->reservation == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no reservation");
        return CLI_EXIT_SERVICE;
    }
    cli_print_reservation(c, "released", rep->reservation);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_balance(struct cli_ctx *c)
{
    Boxoffice__V1__GetBalanceRequest req = BOXOFFICE__V1__GET_BALANCE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.user_id = (uint64_t)cli_num(c, "user");
    if ((rc = cli_call(c, "GetBalance", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__GetBalanceReply *rep = (const Boxoffice__V1__GetBalanceReply *)out;
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "userId", rep->user_id);
        cli_json_i64(&j, "balance", rep->balance);
        cli_json_close(&j, '}');
    } else {
        printf("user %" PRIu64 "  balance %" PRId64 "\n", rep->user_id, rep->balance);
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_charge(struct cli_ctx *c)
{
    Boxoffice__V1__ChargePointsRequest req = BOXOFFICE__V1__CHARGE_POINTS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.user_id = (uint64_t)cli_num(c, "user");
    req.amount = cli_num(c, "amount");
    req.idempotency_key = (char *)cli_str(c, "key");
    if ((rc = cli_call(c, "ChargePoints", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__ChargePointsReply *rep = (const Boxoffice__V1__ChargePointsReply *)out;
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "userId", rep->user_id);
        cli_json_i64(&j, "balance", rep->balance);
        cli_json_i64(&j, "amount", rep->amount);
        cli_json_u64(&j, "ledgerId", rep->ledger_id);
        cli_json_bool(&j, "replayed", rep->replayed);
        cli_json_close(&j, '}');
    } else {
        printf("charged %" PRId64 " to user %" PRIu64 "  balance %" PRId64 "  ledger %" PRIu64
               "%s\n",
               rep->amount, rep->user_id, rep->balance, rep->ledger_id,
               rep->replayed ? "  (replayed: already charged with this key)" : "");
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_pay(struct cli_ctx *c)
{
    Boxoffice__V1__PayRequest req = BOXOFFICE__V1__PAY_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    char buf[40];
    int rc;

    req.token = (char *)cli_str(c, "token");
    req.reservation_id = (uint64_t)cli_num(c, "reservation");
    req.idempotency_key = (char *)cli_str(c, "key");
    if ((rc = cli_call(c, "Pay", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__PayReply *rep = (const Boxoffice__V1__PayReply *)out;
    const Boxoffice__V1__Payment *p = rep->payment;
    if (p == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no payment");
        return CLI_EXIT_SERVICE;
    }
    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_u64(&j, "paymentId", p->id);
        cli_json_str(&j, "status",
                     bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status));
        cli_json_i64(&j, "amount", p->amount);
        cli_json_u64(&j, "reservationId", p->reservation_id);
        cli_json_u64(&j, "userId", p->user_id);
        cli_json_u64(&j, "scheduleId", p->schedule_id);
        cli_json_u64(&j, "seatNo", p->seat_no);
        cli_json_time(&j, "paidAt", p->paid_at_ms);
        cli_json_i64(&j, "balance", p->balance_after);
        cli_json_bool(&j, "replayed", rep->replayed);
        cli_json_close(&j, '}');
    } else {
        printf("payment %" PRIu64 "  %s  amount %" PRId64 "  seat %" PRIu32 " on schedule %" PRIu64
               " is yours  balance %" PRId64 "  at %s%s\n",
               p->id, bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status),
               p->amount, p->seat_no, p->schedule_id, p->balance_after,
               cli_time(p->paid_at_ms, buf, sizeof(buf)),
               rep->replayed ? "  (replayed: already paid with this key)" : "");
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_admin_concert(struct cli_ctx *c)
{
    Boxoffice__V1__CreateConcertRequest req = BOXOFFICE__V1__CREATE_CONCERT_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct cli_json j = {0};
    int rc;

    req.admin_key = (char *)cli_str(c, "admin-key");
    req.title = (char *)cli_str(c, "title");
    req.artist = (char *)cli_str(c, "artist");
    req.venue = (char *)cli_str(c, "venue");
    if ((rc = cli_call(c, "CreateConcert", &req.base, &out)) != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__CreateConcertReply *rep = (const Boxoffice__V1__CreateConcertReply *)out;
    if (rep->concert == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no concert");
        return CLI_EXIT_SERVICE;
    }
    if (!c->g.json) {
        printf("created concert:\n");
    }
    cli_print_concert(c, &j, rep->concert);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

/* cli_seat_prices parses "p1,p2,..." into a new array (caller frees); 0 or -1 after printing. */
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
        return -1;
    }
    *n = 0;
    for (const char *p = text;;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof(item)) {
            goto bad;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        if (cli_parse_int(item, INT64_MIN, INT64_MAX, &v[*n]) != 0) {
            goto bad;
        }
        (*n)++;
        if (p[len] == '\0') {
            break;
        }
        p += len + 1;
    }
    *out = v;
    return 0;
bad:
    fprintf(stderr, "error: --seat-prices must be whole numbers separated by commas, not '%s'\n",
            text);
    free(v);
    return -1;
}

static int cli_cmd_admin_schedule(struct cli_ctx *c)
{
    Boxoffice__V1__CreateScheduleRequest req = BOXOFFICE__V1__CREATE_SCHEDULE_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    struct cli_json j = {0};
    int64_t *prices = NULL;
    size_t nprices = 0;
    int rc;

    if (cli_given(c, "seat-prices") &&
        cli_seat_prices(cli_str(c, "seat-prices"), &prices, &nprices) != 0) {
        return CLI_EXIT_USAGE;
    }
    req.admin_key = (char *)cli_str(c, "admin-key");
    req.concert_id = (uint64_t)cli_num(c, "concert");
    req.starts_at_ms = cli_num(c, "starts-at");
    req.price = cli_num(c, "price");
    req.seat_prices = prices;
    req.n_seat_prices = nprices;
    rc = cli_call(c, "CreateSchedule", &req.base, &out);
    free(prices);
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__CreateScheduleReply *rep = (const Boxoffice__V1__CreateScheduleReply *)out;
    if (rep->schedule == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no schedule");
        return CLI_EXIT_SERVICE;
    }
    if (!c->g.json) {
        printf("created schedule for concert %" PRIu64 ":\n", rep->schedule->concert_id);
    }
    cli_print_schedule(c, &j, rep->schedule);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

static int cli_cmd_admin_settings(struct cli_ctx *c)
{
    ProtobufCMessage *out = NULL;
    int rc;

    if (cli_given(c, "rate") || cli_given(c, "max-active") || cli_given(c, "token-ttl") ||
        cli_given(c, "hold-ttl")) {
        Boxoffice__V1__SetAdmissionSettingsRequest req =
            BOXOFFICE__V1__SET_ADMISSION_SETTINGS_REQUEST__INIT;
        Boxoffice__V1__AdmissionSettings s = BOXOFFICE__V1__ADMISSION_SETTINGS__INIT;
        s.rate_per_second = (uint32_t)cli_num(c, "rate");
        s.max_active = (uint32_t)cli_num(c, "max-active");
        s.token_ttl_seconds = (uint32_t)cli_num(c, "token-ttl");
        s.hold_ttl_seconds = (uint32_t)cli_num(c, "hold-ttl");
        req.admin_key = (char *)cli_str(c, "admin-key");
        req.settings = &s;
        rc = cli_call(c, "SetAdmissionSettings", &req.base, &out);
    } else {
        Boxoffice__V1__GetAdmissionSettingsRequest req =
            BOXOFFICE__V1__GET_ADMISSION_SETTINGS_REQUEST__INIT;
        req.admin_key = (char *)cli_str(c, "admin-key");
        rc = cli_call(c, "GetAdmissionSettings", &req.base, &out);
    }
    if (rc != CLI_EXIT_OK) {
        return rc;
    }
    const Boxoffice__V1__AdmissionSettingsReply *rep =
        (const Boxoffice__V1__AdmissionSettingsReply *)out;
    if (rep->settings == NULL) {
        protobuf_c_message_free_unpacked(out, NULL);
        cli_error(c, BO_E_INTERNAL, "the reply carries no settings");
        return CLI_EXIT_SERVICE;
    }
    cli_print_settings(c, rep->settings);
    protobuf_c_message_free_unpacked(out, NULL);
    return CLI_EXIT_OK;
}

/* ---- watch: admission events ------------------------------------------------ */

/* The last admission number seen per concert, to drop repeats and report gaps. */
struct cli_watch_seen {
    uint64_t concert_id;
    uint64_t last;
};

struct cli_watch {
    struct cli_watch_seen *seen; /* owned */
    size_t nseen;
    int check_gaps; /* only a whole concert's events are consecutive, not one user's */
};

/*
 * cli_watch_admitted records an ADMITTED event's sequence: 0 to print it, 1 when it repeats
 * one already printed (a new leader announces its predecessor's last admissions again).
 * Reports a gap in the concert's sequence on stderr.
 */
static int cli_watch_admitted(const struct cli_ctx *c, struct cli_watch *w,
                              const Boxoffice__V1__AdmissionEvent *e)
{
    struct cli_watch_seen *s = NULL;

    for (size_t i = 0; i < w->nseen && s == NULL; i++) {
        if (w->seen[i].concert_id == e->concert_id) {
            s = &w->seen[i];
        }
    }
    if (s == NULL) {
        struct cli_watch_seen *grown = realloc(w->seen, (w->nseen + 1) * sizeof(*grown));
        if (grown == NULL) {
            return 0; /* without memory for it, print everything and check nothing */
        }
        w->seen = grown;
        s = &w->seen[w->nseen++];
        s->concert_id = e->concert_id;
        s->last = e->sequence;
        return 0;
    }
    if (e->sequence <= s->last) {
        return 1;
    }
    if (w->check_gaps && e->sequence > s->last + 1) {
        if (c->g.json) {
            fprintf(stderr,
                    "{\"gap\":{\"concertId\":%" PRIu64 ",\"from\":%" PRIu64 ",\"to\":%" PRIu64
                    "}}\n",
                    e->concert_id, s->last + 1, e->sequence - 1);
        } else {
            fprintf(stderr,
                    "gap: concert %" PRIu64 ": admissions %" PRIu64 "..%" PRIu64
                    " were not received; read the tokens with 'status' to resynchronise\n",
                    e->concert_id, s->last + 1, e->sequence - 1);
        }
        fflush(stderr);
    }
    s->last = e->sequence;
    return 0;
}

/* cli_print_event prints one event as a line: received time and the event, or JSON. */
static void cli_print_event(const struct cli_ctx *c, const Boxoffice__V1__AdmissionEvent *e)
{
    char now[40], buf[40];

    if (c->g.json) {
        struct cli_json j = {0};
        cli_json_open(&j, NULL, '{');
        cli_json_str(&j, "kind", bo_enum_name(&boxoffice__v1__event_kind__descriptor, e->kind));
        cli_json_u64(&j, "sequence", e->sequence);
        cli_json_u64(&j, "concertId", e->concert_id);
        cli_json_u64(&j, "userId", e->user_id);
        cli_json_str(&j, "tokenId", e->token_id);
        cli_json_time(&j, "admittedAt", e->admitted_at_ms);
        cli_json_time(&j, "activeUntil", e->active_until_ms);
        cli_json_u64(&j, "position", e->position);
        cli_json_u64(&j, "etaSeconds", e->eta_seconds);
        cli_json_close(&j, '}');
    } else {
        bo_time_format_ms(bo_time_now_ms(), now, sizeof(now));
        printf("%s %s concert %" PRIu64 " user %" PRIu64 " token %s", now,
               bo_enum_name(&boxoffice__v1__event_kind__descriptor, e->kind), e->concert_id,
               e->user_id, e->token_id != NULL ? e->token_id : "-");
        if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED) {
            printf(" admission %" PRIu64 " active until %s", e->sequence,
                   cli_time(e->active_until_ms, buf, sizeof(buf)));
        } else if (e->kind == BOXOFFICE__V1__EVENT_KIND__EVENT_POSITION) {
            printf(" position %" PRIu64 " eta %" PRIu32 "s", e->position, e->eta_seconds);
        }
        printf("\n");
    }
    /* One line per event as it comes, also into a pipe. */
    fflush(stdout);
}

/* cli_stop_requested tells whether SIGINT or SIGTERM (blocked, so pending) has arrived. */
static int cli_stop_requested(const sigset_t *stop)
{
    struct timespec zero = {0, 0};

    return sigtimedwait(stop, NULL, &zero) > 0;
}

static int cli_cmd_watch(struct cli_ctx *c)
{
    struct cli_watch w = {NULL, 0, 0};
    struct bo_subscription *sub = NULL;
    const char *urls =
        cli_given(c, "events-url") ? cli_str(c, "events-url") : BO_DEFAULT_EVENTS_URL;
    uint64_t user = (uint64_t)cli_num(c, "user");
    sigset_t stop;
    int rc, exit_code = CLI_EXIT_OK;

    /* Blocked before NNG starts its threads, so the signals stay pending for the loop below
     * to take: stopping is the normal end of a watch, with exit code 0. */
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, NULL);
    rc = bo_subscribe(urls, (uint64_t)cli_num(c, "concert"), user, &sub);
    if (rc != BO_OK) {
        fprintf(stderr, "error: %s: cannot use --events-url '%s': %s\n", bo_error_name(rc), urls,
                bo_error_message(rc));
        return rc == BO_E_INVALID_ARGUMENT ? CLI_EXIT_USAGE : cli_exit_for(rc);
    }
    w.check_gaps = user == 0;
    while (!cli_stop_requested(&stop)) {
        Boxoffice__V1__AdmissionEvent *e = NULL;
        rc = bo_subscription_next(sub, CLI_WATCH_POLL_MS, &e);
        if (rc == BO_E_TIMEOUT) {
            continue;
        }
        if (rc != BO_OK) {
            cli_error(c, rc, "the subscription ended");
            exit_code = cli_exit_for(rc);
            break;
        }
        if (e->kind != BOXOFFICE__V1__EVENT_KIND__EVENT_ADMITTED || !cli_watch_admitted(c, &w, e)) {
            cli_print_event(c, e);
        }
        boxoffice__v1__admission_event__free_unpacked(e, NULL);
    }
    /* Closing can hang in libnng 1.5.2 (nanomsg/nng#1543): with the signals unblocked again,
     * a second Ctrl-C or SIGTERM still ends the process. */
    sigprocmask(SIG_UNBLOCK, &stop, NULL);
    bo_subscription_close(sub);
    free(w.seen);
    return exit_code;
}

/* ---- the command table ---------------------------------------------------- */

static const struct cli_arg cli_args_none[] = {CLI_ARG_END};
static const struct cli_arg cli_args_token[] = {
    {"user", CLI_ARG_ID, "ID", NULL, 1, "user id"},
    {"concert", CLI_ARG_ID, "ID", NULL, 1, "concert id"},
    CLI_ARG_END,
};
static const struct cli_arg cli_args_status[] = {CLI_ARG_TOKEN, CLI_ARG_END};
static const struct cli_arg cli_args_schedules[] = {
    {"concert", CLI_ARG_ID, "ID", NULL, 1, "concert id"},
    CLI_ARG_TOKEN,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_seats[] = {
    {"schedule", CLI_ARG_ID, "ID", NULL, 1, "schedule (date) id"},
    CLI_ARG_TOKEN,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_hold[] = {
    {"schedule", CLI_ARG_ID, "ID", NULL, 1, "schedule (date) id"},
    {"seat", CLI_ARG_U32, "N", NULL, 1, "seat number (1..50)"},
    CLI_ARG_TOKEN,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_release[] = {
    {"reservation", CLI_ARG_ID, "ID", NULL, 1, "reservation id (from 'hold')"},
    CLI_ARG_TOKEN,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_balance[] = {
    {"user", CLI_ARG_ID, "ID", NULL, 1, "user id (the token's user)"},
    CLI_ARG_TOKEN,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_charge[] = {
    {"user", CLI_ARG_ID, "ID", NULL, 1, "user id (the token's user)"},
    {"amount", CLI_ARG_INT, "POINTS", NULL, 1, "points to add"},
    CLI_ARG_TOKEN,
    {"key", CLI_ARG_STR, "KEY", NULL, 0,
     "idempotency key: a repeat with the same key charges once"},
    CLI_ARG_END,
};
static const struct cli_arg cli_args_pay[] = {
    {"reservation", CLI_ARG_ID, "ID", NULL, 1, "reservation id (from 'hold')"},
    CLI_ARG_TOKEN,
    {"key", CLI_ARG_STR, "KEY", NULL, 0, "idempotency key: a repeat with the same key pays once"},
    CLI_ARG_END,
};
static const struct cli_arg cli_args_admin_concert[] = {
    {"title", CLI_ARG_STR, "TEXT", NULL, 1, "title"},
    {"artist", CLI_ARG_STR, "TEXT", NULL, 0, "artist"},
    {"venue", CLI_ARG_STR, "TEXT", NULL, 0, "venue"},
    CLI_ARG_ADMIN_KEY,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_admin_schedule[] = {
    {"concert", CLI_ARG_ID, "ID", NULL, 1, "concert id"},
    {"starts-at", CLI_ARG_TIME, "TIME", NULL, 1, "start, RFC 3339 (2026-12-24T19:00:00Z)"},
    {"price", CLI_ARG_INT, "POINTS", NULL, 1, "price of every seat"},
    {"seat-prices", CLI_ARG_STR, "P1,P2,..", NULL, 0,
     "50 prices, seat 1 first, overriding --price"},
    CLI_ARG_ADMIN_KEY,
    CLI_ARG_END,
};
static const struct cli_arg cli_args_admin_settings[] = {
    {"rate", CLI_ARG_U32, "N", NULL, 0, "admissions per second"},
    {"max-active", CLI_ARG_U32, "N", NULL, 0, "most ACTIVE tokens at once"},
    {"token-ttl", CLI_ARG_U32, "SECONDS", NULL, 0, "an idle ACTIVE token expires after this"},
    {"hold-ttl", CLI_ARG_U32, "SECONDS", NULL, 0, "an unpaid hold ends after this"},
    CLI_ARG_ADMIN_KEY,
    CLI_ARG_END,
};

static const struct cli_arg cli_args_watch[] = {
    {"concert", CLI_ARG_ID, "ID", NULL, 0, "only this concert's events"},
    {"user", CLI_ARG_ID, "ID", NULL, 0, "only this user's events"},
    {"events-url", CLI_ARG_STR, "URLS", "BOXOFFICE_EVENTS_URL", 0,
     "events address of every service instance, comma-separated (default " BO_DEFAULT_EVENTS_URL
     ")"},
    CLI_ARG_END,
};

static const struct cli_command cli_commands[] = {
    {"ping", "Ask a service instance whether it and its databases are up", cli_args_none,
     cli_cmd_ping, 0},
    {"token", "Take a place in a concert's queue (asking again returns the same token)",
     cli_args_token, cli_cmd_token, 0},
    {"status", "Show a queue token's status, place in line and expiry", cli_args_status,
     cli_cmd_status, 0},
    {"concerts", "List the concerts", cli_args_none, cli_cmd_concerts, 0},
    {"schedules", "List a concert's dates with seats still available (ACTIVE token)",
     cli_args_schedules, cli_cmd_schedules, 0},
    {"seats", "Show the 50 seats of a date with status and price (ACTIVE token)", cli_args_seats,
     cli_cmd_seats, 0},
    {"hold", "Hold a seat for the hold period (ACTIVE token)", cli_args_hold, cli_cmd_hold, 0},
    {"release", "Release one's own hold (ACTIVE token)", cli_args_release, cli_cmd_release, 0},
    {"balance", "Show a user's point balance (the token's user)", cli_args_balance, cli_cmd_balance,
     0},
    {"charge", "Charge points to a user's balance (the token's user)", cli_args_charge,
     cli_cmd_charge, 0},
    {"pay", "Pay a held reservation from points; the seat becomes the user's (ACTIVE token)",
     cli_args_pay, cli_cmd_pay, 0},
    {"admin-concert", "Create a concert (admin)", cli_args_admin_concert, cli_cmd_admin_concert, 0},
    {"admin-schedule", "Create a date of a concert with 50 seats (admin)", cli_args_admin_schedule,
     cli_cmd_admin_schedule, 0},
    {"admin-settings", "Show admission settings, or change those given (admin)",
     cli_args_admin_settings, cli_cmd_admin_settings, 0},
    {"watch",
     "Print admission events (ADMITTED, POSITION, EXPIRED) as they come, until interrupted",
     cli_args_watch, cli_cmd_watch, 1},
};
#define CLI_NCOMMANDS (sizeof(cli_commands) / sizeof(cli_commands[0]))

/* ---- entry point ---------------------------------------------------------- */

void cli_commands_usage(FILE *out)
{
    fprintf(out, "Commands:\n");
    for (size_t i = 0; i < CLI_NCOMMANDS; i++) {
        fprintf(out, "  %-16s %s\n", cli_commands[i].name, cli_commands[i].summary);
    }
    fprintf(out, "  %-16s %s\n", "help [COMMAND]", "Describe the commands, or one");
}

static const struct cli_command *cli_command_find(const char *name)
{
    for (size_t i = 0; i < CLI_NCOMMANDS; i++) {
        if (strcmp(cli_commands[i].name, name) == 0) {
            return &cli_commands[i];
        }
    }
    return NULL;
}

int cli_command_run(const struct cli_global *g, int argc, char **argv)
{
    struct cli_ctx c;
    int rc;

    if (strcmp(argv[0], "help") == 0) {
        const struct cli_command *cmd = argc > 1 ? cli_command_find(argv[1]) : NULL;
        if (cmd != NULL) {
            cli_command_usage(stdout, cmd);
            return CLI_EXIT_OK;
        }
        if (argc > 1) {
            fprintf(stderr, "error: unknown command '%s'\n", argv[1]);
            cli_commands_usage(stderr);
            return CLI_EXIT_USAGE;
        }
        cli_commands_usage(stdout);
        return CLI_EXIT_OK;
    }
    memset(&c, 0, sizeof(c));
    c.g = *g;
    c.cmd = cli_command_find(argv[0]);
    if (c.cmd == NULL) {
        fprintf(stderr, "error: unknown command '%s' (see boxoffice-cli --help)\n", argv[0]);
        return CLI_EXIT_USAGE;
    }
    rc = cli_args_parse(&c, argc, argv);
    if (rc != CLI_EXIT_OK) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    if (c.cmd->no_rpc) {
        rc = c.cmd->run(&c);
        fflush(stdout);
        return rc;
    }
    rc = bo_client_open(c.g.rpc_url, (int)c.g.timeout_ms, &c.client);
    if (rc != BO_OK) {
        fprintf(stderr, "error: %s: cannot use --rpc-url '%s': %s\n", bo_error_name(rc),
                c.g.rpc_url, bo_error_message(rc));
        return rc == BO_E_INVALID_ARGUMENT ? CLI_EXIT_USAGE : cli_exit_for(rc);
    }
    rc = bo_session_open(c.client, &c.session);
    if (rc != BO_OK) {
        cli_error(&c, rc, NULL);
        bo_client_close(c.client);
        return cli_exit_for(rc);
    }
    rc = c.cmd->run(&c);
    fflush(stdout);
    bo_session_close(c.session);
    bo_client_close(c.client);
    return rc;
}
