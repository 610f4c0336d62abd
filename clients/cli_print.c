/*
 * cli_print: the printers of boxoffice-cli's answers (see cli_print.h).
 *
 * Layered low to high: JSON output through cJSON, the REST objects of
 * messages (one table of keys, per message type), the answers as text for
 * people, and the table of printers, one per reply type. Every reply is
 * printed either as short lines for people or as one JSON object per line,
 * whose keys and their order are those of the REST API.
 */
#include "cli_print.h"

#include "bo_enum.h"
#include "bo_time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Seat numbers above this are not drawn in the grid. */
#define CLI_MAX_SEATNO 10000

/* ---- JSON output ---------------------------------------------------------- */

/* Set when cJSON could not allocate, so a half-built object is never printed. The CLI is
 * one thread; the flag lives until the process ends. */
static int cli_json_oom;

static void *cli_json_malloc(size_t size)
{
    void *p = malloc(size);

    if (p == NULL) {
        cli_json_oom = 1;
    }
    return p;
}

cJSON *cli_json_object(void)
{
    cJSON_Hooks hooks = {cli_json_malloc, free};

    cJSON_InitHooks(&hooks);
    return cJSON_CreateObject();
}

void cli_json_str(cJSON *o, const char *key, const char *v)
{
    cJSON_AddStringToObject(o, key, v != NULL ? v : "");
}

void cli_json_time(cJSON *o, const char *key, int64_t ms)
{
    char buf[40];

    if (ms == 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    bo_time_format_ms(ms, buf, sizeof(buf));
    cJSON_AddStringToObject(o, key, buf);
}

int cli_json_emit(FILE *out, cJSON *o)
{
    char *text = o != NULL && !cli_json_oom ? cJSON_PrintUnformatted(o) : NULL;

    cJSON_Delete(o);
    if (text == NULL) {
        fprintf(stderr, "error: out of memory\n");
        return CLI_EXIT_SERVICE;
    }
    fprintf(out, "%s\n", text);
    cJSON_free(text);
    return CLI_EXIT_OK;
}

const char *cli_time(int64_t ms, char *buf, size_t len)
{
    if (ms == 0) {
        snprintf(buf, len, "-");
    } else {
        bo_time_format_ms(ms, buf, len);
    }
    return buf;
}

/* ---- the REST objects of messages --------------------------------------------- */

/* One member of the REST object of a message of type T (named as its descriptor's short_name):
 * its key and the field f it shows (CLI_TO); CLI_TIME marks an int64 of Unix ms. */
struct cli_key {
    const char *message;
    const char *key;
    size_t at;
    int time;
};
#define CLI_KEY(T, name, f)                                                                        \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f)                                             \
    }
#define CLI_TIME(T, name, f)                                                                       \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f), .time = 1                                  \
    }

/*
 * The members of the JSON objects the CLI prints, with the keys of the REST API: the rows of a
 * message type in the order of its members. A member shows the field by its type: text,
 * number, true/false, an enumeration's name, an array of the objects of a repeated message;
 * a CLI_TIME field holds Unix ms, shown as an RFC 3339 time (null when 0). The object of an
 * answer holds the members of its request, then of the part of the reply it prints, then of the
 * rest of the reply: most answers show only their part.
 */
static const struct cli_key cli_keys[] = {
    CLI_KEY(PingReply, "instance", instance),
    CLI_TIME(PingReply, "now", now_ms),
    CLI_KEY(PingReply, "databaseOk", database_ok),
    CLI_KEY(PingReply, "redisOk", redis_ok),

    CLI_KEY(Token, "token", token),
    CLI_KEY(Token, "tokenId", token_id),
    CLI_KEY(Token, "userId", user_id),
    CLI_KEY(Token, "concertId", concert_id),
    CLI_KEY(Token, "status", status),
    CLI_KEY(Token, "position", position),
    CLI_KEY(Token, "etaSeconds", eta_seconds),
    CLI_TIME(Token, "issuedAt", issued_at_ms),
    CLI_TIME(Token, "admittedAt", admitted_at_ms),
    CLI_TIME(Token, "expiresAt", expires_at_ms),
    CLI_TIME(Token, "saleOpensAt", sale_opens_at_ms),

    CLI_KEY(Concert, "id", id),
    CLI_KEY(Concert, "title", title),
    CLI_KEY(Concert, "artist", artist),
    CLI_KEY(Concert, "venue", venue),
    CLI_KEY(Concert, "scheduleCount", schedule_count),
    CLI_TIME(Concert, "saleOpensAt", sale_opens_at_ms),
    CLI_KEY(ListConcertsReply, "concerts", concerts),

    CLI_KEY(Schedule, "id", id),
    CLI_KEY(Schedule, "concertId", concert_id),
    CLI_TIME(Schedule, "startsAt", starts_at_ms),
    CLI_KEY(Schedule, "availableSeats", available_seats),
    CLI_KEY(Schedule, "totalSeats", total_seats),
    CLI_KEY(ListSchedulesRequest, "concertId", concert_id),
    CLI_KEY(ListSchedulesReply, "schedules", schedules),

    CLI_KEY(Seat, "seatNo", seat_no),
    CLI_KEY(Seat, "price", price),
    CLI_KEY(Seat, "status", status),
    CLI_KEY(ListSeatsReply, "scheduleId", schedule_id),
    CLI_KEY(ListSeatsReply, "concertId", concert_id),
    CLI_KEY(ListSeatsReply, "seats", seats),

    CLI_KEY(Reservation, "reservationId", id),
    CLI_KEY(Reservation, "status", status),
    CLI_TIME(Reservation, "expiresAt", expires_at_ms),
    CLI_KEY(Reservation, "price", price),
    CLI_KEY(Reservation, "userId", user_id),
    CLI_KEY(Reservation, "concertId", concert_id),
    CLI_KEY(Reservation, "scheduleId", schedule_id),
    CLI_KEY(Reservation, "seatNo", seat_no),
    CLI_TIME(Reservation, "heldAt", held_at_ms),

    CLI_KEY(GetBalanceReply, "userId", user_id),
    CLI_KEY(GetBalanceReply, "balance", balance),

    CLI_KEY(ChargePointsReply, "userId", user_id),
    CLI_KEY(ChargePointsReply, "balance", balance),
    CLI_KEY(ChargePointsReply, "amount", amount),
    CLI_KEY(ChargePointsReply, "ledgerId", ledger_id),
    CLI_KEY(ChargePointsReply, "replayed", replayed),

    CLI_KEY(Payment, "paymentId", id),
    CLI_KEY(Payment, "status", status),
    CLI_KEY(Payment, "amount", amount),
    CLI_KEY(Payment, "reservationId", reservation_id),
    CLI_KEY(Payment, "userId", user_id),
    CLI_KEY(Payment, "scheduleId", schedule_id),
    CLI_KEY(Payment, "seatNo", seat_no),
    CLI_TIME(Payment, "paidAt", paid_at_ms),
    CLI_KEY(Payment, "balance", balance_after),
    CLI_KEY(PayReply, "replayed", replayed),

    CLI_KEY(AdmissionSettings, "ratePerSecond", rate_per_second),
    CLI_KEY(AdmissionSettings, "maxActive", max_active),
    CLI_KEY(AdmissionSettings, "tokenTtlSeconds", token_ttl_seconds),
    CLI_KEY(AdmissionSettings, "holdTtlSeconds", hold_ttl_seconds),

    CLI_KEY(Limits, "userLoginsPerMinute", user_logins_per_minute),
    CLI_KEY(Limits, "userTokenIssuesPerMinute", user_token_issues_per_minute),
    CLI_KEY(Limits, "userHoldsPerMinute", user_holds_per_minute),
    CLI_KEY(Limits, "userChargesPerMinute", user_charges_per_minute),
    CLI_KEY(Limits, "addressSignupsPerMinute", address_signups_per_minute),
    CLI_KEY(Limits, "addressLoginsPerMinute", address_logins_per_minute),
    CLI_KEY(Limits, "addressTokenIssuesPerMinute", address_token_issues_per_minute),
    CLI_KEY(Limits, "addressHoldsPerMinute", address_holds_per_minute),
    CLI_KEY(Limits, "addressChargesPerMinute", address_charges_per_minute),
    CLI_KEY(Limits, "addressPushConnections", address_push_connections),
    CLI_KEY(Limits, "tokenPushConnections", token_push_connections),
    CLI_KEY(Limits, "addressRestConnections", address_rest_connections),

    CLI_KEY(CreateAccountReply, "userId", user_id),
    CLI_KEY(CreateAccountReply, "name", name),

    CLI_KEY(LoginReply, "session", session),
    CLI_KEY(LoginReply, "userId", user_id),
    CLI_TIME(LoginReply, "expiresAt", expires_at_ms),

    CLI_KEY(LogoutReply, "userId", user_id),

    CLI_KEY(AdmissionEvent, "kind", kind),
    CLI_KEY(AdmissionEvent, "sequence", sequence),
    CLI_KEY(AdmissionEvent, "concertId", concert_id),
    CLI_KEY(AdmissionEvent, "userId", user_id),
    CLI_KEY(AdmissionEvent, "tokenId", token_id),
    CLI_TIME(AdmissionEvent, "admittedAt", admitted_at_ms),
    CLI_TIME(AdmissionEvent, "activeUntil", active_until_ms),
    CLI_KEY(AdmissionEvent, "position", position),
    CLI_KEY(AdmissionEvent, "etaSeconds", eta_seconds),
};

/* cli_json_list adds key to o: the array of the REST objects of msg's repeated message field f. */
static void cli_json_list(cJSON *o, const char *key, const ProtobufCMessage *msg,
                          const ProtobufCFieldDescriptor *f)
{
    cJSON *list = cJSON_AddArrayToObject(o, key);
    const char *items;
    size_t n;

    memcpy(&n, (const char *)msg + f->quantifier_offset, sizeof(n));
    memcpy(&items, (const char *)msg + f->offset, sizeof(items));
    for (size_t i = 0; i < n; i++) {
        const ProtobufCMessage *item;
        memcpy(&item, items + i * sizeof(item), sizeof(item));
        cJSON_AddItemToArray(list, cli_json_fields(item));
    }
}

/* cli_json_member adds k's member of msg to o: the field at k->at, shown by its type. A field
 * the table cannot show (none there, a single message, a repeated scalar) is null. */
static void cli_json_member(cJSON *o, const ProtobufCMessage *msg, const struct cli_key *k)
{
    const ProtobufCFieldDescriptor *f = cli_field_at(msg->descriptor, k->at);
    const char *v = (const char *)msg + k->at;

    if (f == NULL ||
        (f->label == PROTOBUF_C_LABEL_REPEATED) != (f->type == PROTOBUF_C_TYPE_MESSAGE)) {
        cJSON_AddNullToObject(o, k->key);
        return;
    }
    switch (f->type) {
    case PROTOBUF_C_TYPE_MESSAGE:
        cli_json_list(o, k->key, msg, f);
        break;
    case PROTOBUF_C_TYPE_STRING:
        cli_json_str(o, k->key, *(char *const *)v);
        break;
    case PROTOBUF_C_TYPE_ENUM:
        cli_json_str(o, k->key, bo_enum_name(f->descriptor, *(const int *)v));
        break;
    case PROTOBUF_C_TYPE_BOOL:
        cJSON_AddBoolToObject(o, k->key, *(const protobuf_c_boolean *)v);
        break;
    case PROTOBUF_C_TYPE_UINT32:
        cJSON_AddNumberToObject(o, k->key, *(const uint32_t *)v);
        break;
    case PROTOBUF_C_TYPE_UINT64:
        cJSON_AddNumberToObject(o, k->key, (double)*(const uint64_t *)v);
        break;
    case PROTOBUF_C_TYPE_INT64:
        if (k->time) {
            cli_json_time(o, k->key, *(const int64_t *)v);
        } else {
            cJSON_AddNumberToObject(o, k->key, (double)*(const int64_t *)v);
        }
        break;
    default:
        cJSON_AddNullToObject(o, k->key);
    }
}

/* cli_json_members adds to o the members of msg, the rows of its type in cli_keys. */
static void cli_json_members(cJSON *o, const ProtobufCMessage *msg)
{
    for (size_t i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
        if (strcmp(cli_keys[i].message, msg->descriptor->short_name) == 0) {
            cli_json_member(o, msg, &cli_keys[i]);
        }
    }
}

cJSON *cli_json_fields(const ProtobufCMessage *msg)
{
    cJSON *o = cli_json_object();

    cli_json_members(o, msg);
    return o;
}

int cli_json_key_at(const ProtobufCMessageDescriptor *d, const char *key, size_t *at)
{
    for (size_t i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
        if (strcmp(cli_keys[i].message, d->short_name) == 0 && strcmp(cli_keys[i].key, key) == 0) {
            *at = cli_keys[i].at;
            return BO_OK;
        }
    }
    return BO_E_NOT_FOUND;
}

void cli_json_keys(FILE *out, const ProtobufCMessageDescriptor *d)
{
    const char *sep = "";

    for (size_t i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
        if (strcmp(cli_keys[i].message, d->short_name) == 0) {
            fprintf(out, "%s%s", sep, cli_keys[i].key);
            sep = ", ";
        }
    }
}

/* ---- the answers as text ---------------------------------------------------------- */

/* What a printer reads: the request sent, the reply, and the part of the reply it prints. */
struct cli_answer {
    const void *request;
    const void *reply;
    const void *part; /* the reply's message field named by the printer, else the reply */
};

static void cli_text_ping(const struct cli_answer *a)
{
    const Boxoffice__V1__PingReply *rep = a->reply;
    char buf[40];

    printf("pong from %s  %s  database %s  redis %s\n", rep->instance,
           cli_time(rep->now_ms, buf, sizeof(buf)), rep->database_ok ? "ok" : "DOWN",
           rep->redis_ok ? "ok" : "DOWN");
}

static void cli_text_token(const struct cli_answer *a)
{
    const Boxoffice__V1__Token *t = a->part;
    char buf[40];

    printf("token %s  %s", t->token,
           bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status));
    if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING && t->sale_opens_at_ms != 0) {
        printf("  waiting for the sale to open at %s",
               cli_time(t->sale_opens_at_ms, buf, sizeof(buf)));
    } else if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING) {
        printf("  position %" PRIu64 "  eta %" PRIu32 "s", t->position, t->eta_seconds);
    } else if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
        printf("  expires %s", cli_time(t->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
}

/* cli_text_concert prints k as a row of the table of concerts. */
static void cli_text_concert(const Boxoffice__V1__Concert *k)
{
    char buf[40];

    printf("%-5" PRIu64 " %-32s %-24s %-24s %-5" PRIu32 " %s\n", k->id, k->title, k->artist,
           k->venue, k->schedule_count,
           k->sale_opens_at_ms != 0 ? cli_time(k->sale_opens_at_ms, buf, sizeof(buf)) : "open");
}

static void cli_text_concerts(const struct cli_answer *a)
{
    const Boxoffice__V1__ListConcertsReply *rep = a->reply;

    printf("%-5s %-32s %-24s %-24s %-5s %s\n", "ID", "TITLE", "ARTIST", "VENUE", "DATES", "SALE");
    for (size_t i = 0; i < rep->n_concerts; i++) {
        cli_text_concert(rep->concerts[i]);
    }
}

static void cli_text_concert_created(const struct cli_answer *a)
{
    printf("created concert:\n");
    cli_text_concert(a->part);
}

static void cli_text_concert_updated(const struct cli_answer *a)
{
    const Boxoffice__V1__Concert *k = a->part;
    char buf[40];

    if (k->sale_opens_at_ms != 0) {
        printf("concert %" PRIu64 " (%s): the sale opens at %s\n", k->id, k->title,
               cli_time(k->sale_opens_at_ms, buf, sizeof(buf)));
    } else {
        printf("concert %" PRIu64 " (%s): the sale is open\n", k->id, k->title);
    }
}

/* cli_text_schedule prints s as a row of the table of schedules. */
static void cli_text_schedule(const Boxoffice__V1__Schedule *s)
{
    char buf[40];

    printf("%-7" PRIu64 " %-26s %" PRIu32 "/%" PRIu32 "\n", s->id,
           cli_time(s->starts_at_ms, buf, sizeof(buf)), s->available_seats, s->total_seats);
}

static void cli_text_schedules(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSchedulesReply *rep = a->reply;

    printf("%-7s %-26s %s\n", "ID", "STARTS AT", "AVAILABLE");
    for (size_t i = 0; i < rep->n_schedules; i++) {
        cli_text_schedule(rep->schedules[i]);
    }
}

static void cli_text_schedule_created(const struct cli_answer *a)
{
    const Boxoffice__V1__Schedule *s = a->part;

    printf("created schedule for concert %" PRIu64 ":\n", s->concert_id);
    cli_text_schedule(s);
}

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

/* cli_seats_prices prints the prices line of the grid: runs of seats at one price. */
static void cli_seats_prices(const Boxoffice__V1__Seat *const *by_no, uint32_t max)
{
    const char *sep = "";

    printf("prices:");
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
}

/* cli_text_seats prints a ListSeatsReply as rows of ten "number mark" cells, a legend and the
 * prices. */
static void cli_text_seats(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSeatsReply *rep = a->reply;
    const Boxoffice__V1__Seat **by_no;
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
        return; /* the summary line is printed; the grid needs memory */
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
    printf("legend: . available  H held  S sold\n");
    cli_seats_prices(by_no, max);
    free(by_no);
}

/* cli_text_reservation prints r, a hold that verb ("held", "released") describes. */
static void cli_text_reservation(const char *verb, const Boxoffice__V1__Reservation *r)
{
    char buf[40];

    printf("%s seat %" PRIu32 " on schedule %" PRIu64 "  reservation %" PRIu64
           "  %s  price %" PRId64,
           verb, r->seat_no, r->schedule_id, r->id,
           bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status), r->price);
    if (r->status == BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD) {
        printf("  expires %s", cli_time(r->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
}

static void cli_text_held(const struct cli_answer *a)
{
    cli_text_reservation("held", a->part);
}

static void cli_text_released(const struct cli_answer *a)
{
    cli_text_reservation("released", a->part);
}

static void cli_text_balance(const struct cli_answer *a)
{
    const Boxoffice__V1__GetBalanceReply *rep = a->reply;

    printf("user %" PRIu64 "  balance %" PRId64 "\n", rep->user_id, rep->balance);
}

static void cli_text_charge(const struct cli_answer *a)
{
    const Boxoffice__V1__ChargePointsReply *rep = a->reply;

    printf("charged %" PRId64 " to user %" PRIu64 "  balance %" PRId64 "  ledger %" PRIu64 "%s\n",
           rep->amount, rep->user_id, rep->balance, rep->ledger_id,
           rep->replayed ? "  (replayed: already charged with this key)" : "");
}

static void cli_text_pay(const struct cli_answer *a)
{
    const Boxoffice__V1__PayReply *rep = a->reply;
    const Boxoffice__V1__Payment *p = a->part;
    char buf[40];

    printf("payment %" PRIu64 "  %s  amount %" PRId64 "  seat %" PRIu32 " on schedule %" PRIu64
           " is yours  balance %" PRId64 "  at %s%s\n",
           p->id, bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status), p->amount,
           p->seat_no, p->schedule_id, p->balance_after, cli_time(p->paid_at_ms, buf, sizeof(buf)),
           rep->replayed ? "  (replayed: already paid with this key)" : "");
}

static void cli_text_signup(const struct cli_answer *a)
{
    const Boxoffice__V1__CreateAccountReply *rep = a->reply;

    printf("signed up user %" PRIu64 " (%s): sign in with 'login --user %" PRIu64 "'\n",
           rep->user_id, rep->name, rep->user_id);
}

/* cli_text_login prints the session alone, so that BOXOFFICE_SESSION=$(... login ...) works. */
static void cli_text_login(const struct cli_answer *a)
{
    const Boxoffice__V1__LoginReply *rep = a->reply;

    printf("%s\n", rep->session);
}

static void cli_text_logout(const struct cli_answer *a)
{
    const Boxoffice__V1__LogoutReply *rep = a->reply;

    printf("logged out user %" PRIu64 ": the session is refused from now on\n", rep->user_id);
}

/* cli_text_limits prints one line per limit (rates and connection caps), with the names of the
 * REST API. */
static void cli_text_limits(const struct cli_answer *a)
{
    const ProtobufCMessage *limits = a->part;

    for (size_t i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
        const struct cli_key *k = &cli_keys[i];
        const ProtobufCFieldDescriptor *f = cli_field_at(limits->descriptor, k->at);
        if (strcmp(k->message, limits->descriptor->short_name) == 0 && f != NULL &&
            f->type == PROTOBUF_C_TYPE_UINT32) {
            uint32_t v = *(const uint32_t *)((const char *)limits + k->at);
            /* the caps of open connections count connections, the rest actions a minute */
            const char *unit =
                strstr(k->key, "Connections") != NULL ? " open connections" : " per minute";
            printf("%-30s %" PRIu32 "%s\n", k->key, v, v == 0 ? " (off)" : unit);
        }
    }
}

static void cli_text_settings(const struct cli_answer *a)
{
    const Boxoffice__V1__AdmissionSettings *s = a->part;

    printf("admission rate %" PRIu32 "/s  max active %" PRIu32 "  token ttl %" PRIu32
           "s  hold ttl %" PRIu32 "s\n",
           s->rate_per_second, s->max_active, s->token_ttl_seconds, s->hold_ttl_seconds);
}

/* ---- one printer per reply type ------------------------------------------------ */

/* How one type of reply is printed: part names the message field of it that must be set and is
 * printed (NULL: the whole reply); text prints the answer for people (JSON is cli_keys'). */
struct cli_printer {
    const ProtobufCMessageDescriptor *reply;
    const char *part;
    void (*text)(const struct cli_answer *a);
};

/* CLI_REPLY is the descriptor of message boxoffice.v1.<Name>Reply, name in snake case. */
#define CLI_REPLY(name) &boxoffice__v1__##name##_reply__descriptor

static const struct cli_printer cli_printers[] = {
    {CLI_REPLY(ping), NULL, cli_text_ping},
    {CLI_REPLY(create_account), NULL, cli_text_signup},
    {CLI_REPLY(login), NULL, cli_text_login},
    {CLI_REPLY(logout), NULL, cli_text_logout},
    {CLI_REPLY(issue_token), "token", cli_text_token},
    {CLI_REPLY(leave_queue), "token", cli_text_token},
    {CLI_REPLY(get_token), "token", cli_text_token},
    {CLI_REPLY(list_concerts), NULL, cli_text_concerts},
    {CLI_REPLY(list_schedules), NULL, cli_text_schedules},
    {CLI_REPLY(list_seats), NULL, cli_text_seats},
    {CLI_REPLY(hold_seat), "reservation", cli_text_held},
    {CLI_REPLY(release_hold), "reservation", cli_text_released},
    {CLI_REPLY(get_balance), NULL, cli_text_balance},
    {CLI_REPLY(charge_points), NULL, cli_text_charge},
    {CLI_REPLY(pay), "payment", cli_text_pay},
    {CLI_REPLY(create_concert), "concert", cli_text_concert_created},
    {CLI_REPLY(update_concert), "concert", cli_text_concert_updated},
    {CLI_REPLY(create_schedule), "schedule", cli_text_schedule_created},
    {CLI_REPLY(admission_settings), "settings", cli_text_settings},
    {CLI_REPLY(limits), "limits", cli_text_limits},
};

/* cli_reply_part returns reply's message field name, NULL when unset or not a message. */
static const void *cli_reply_part(const ProtobufCMessage *reply, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(reply->descriptor, name);
    const void *part = NULL;

    if (f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE && f->label != PROTOBUF_C_LABEL_REPEATED) {
        memcpy(&part, (const char *)reply + f->offset, sizeof(part));
    }
    return part;
}

int cli_print_reply(const struct cli_ctx *c, const ProtobufCMessage *request,
                    const ProtobufCMessage *reply)
{
    const struct cli_printer *p = NULL;
    struct cli_answer a = {request, reply, reply};
    char why[160];

    for (size_t i = 0; i < sizeof(cli_printers) / sizeof(cli_printers[0]) && p == NULL; i++) {
        if (cli_printers[i].reply == reply->descriptor) {
            p = &cli_printers[i];
        }
    }
    if (p == NULL) {
        snprintf(why, sizeof(why), "no printer for %s", reply->descriptor->name);
        cli_error(c, BO_E_INTERNAL, why);
        return CLI_EXIT_SERVICE;
    }
    if (p->part != NULL && (a.part = cli_reply_part(reply, p->part)) == NULL) {
        snprintf(why, sizeof(why), "the reply carries no %s", p->part);
        cli_error(c, BO_E_INTERNAL, why);
        return CLI_EXIT_SERVICE;
    }
    if (c->g.json) {
        cJSON *o = cli_json_object();
        cli_json_members(o, request);
        cli_json_members(o, a.part);
        if (a.part != reply) {
            cli_json_members(o, reply);
        }
        return cli_json_emit(stdout, o);
    }
    p->text(&a);
    return CLI_EXIT_OK;
}
