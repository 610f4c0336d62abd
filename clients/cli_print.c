/*
 * cli_print: the printers of boxoffice-cli's answers (see cli_print.h).
 *
 * Layered low to high: JSON output through cJSON, the REST objects of
 * messages (one table of keys, per message type), the answers as text for
 * people, and the table of printers, one per reply type. Every reply is
 * printed either as short lines for people or as one JSON object per line,
 * whose keys and their order are those of the REST API. The text of seat maps
 * and of answers about venues (sections, holds of several seats, refunds) is
 * cli_print_venue.c's.
 */
#include "cli_print.h"
#include "cli_print_venue.h"

#include "bo_enum.h"
#include "bo_time.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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

/* How a member shows its field, or whether it is left out (flags). */
enum cli_key_how {
    CLI_AS_TIME = 1,    /* an int64 of Unix ms: an RFC 3339 time, null when 0 */
    CLI_IF_SET = 2,     /* left out when 0, "", false or an empty list */
    CLI_IF_PLACED = 4,  /* a seat's place: left out unless the seat's section is set */
    CLI_AS_LABEL = 8,   /* the seat's label "A-12-7" (at its section), when placed */
    CLI_IF_LISTED = 16, /* the seats of a hold or a payment: left out for one hall seat */
};

/* One member of the REST object of a message of type T (named as its descriptor's short_name):
 * its key, the field f it shows (CLI_TO), how (enum cli_key_how), and, when not NULL, the type
 * of the message whose list alone shows it. */
struct cli_key {
    const char *message;
    const char *key;
    size_t at;
    int how;
    const char *within;
};
#define CLI_KEY(T, name, f)                                                                        \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f)                                             \
    }
#define CLI_TIME(T, name, f)                                                                       \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f), .how = CLI_AS_TIME                         \
    }
#define CLI_KEY_HOW(T, name, f, flags)                                                             \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f), .how = (flags)                             \
    }
#define CLI_KEY_WITHIN(T, name, f, parent)                                                         \
    {                                                                                              \
        .message = #T, .key = name, .at = CLI_TO(T, f), .within = #parent                          \
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
    CLI_KEY_HOW(Schedule, "venueId", venue_id, CLI_IF_SET),
    CLI_KEY(ListSchedulesRequest, "concertId", concert_id),
    CLI_KEY(ListSchedulesReply, "schedules", schedules),

    CLI_KEY(Seat, "seatNo", seat_no),
    CLI_KEY_HOW(Seat, "section", section, CLI_IF_PLACED),
    CLI_KEY_HOW(Seat, "row", row, CLI_IF_PLACED),
    CLI_KEY_HOW(Seat, "number", number, CLI_IF_PLACED),
    CLI_KEY_HOW(Seat, "label", section, CLI_AS_LABEL),
    CLI_KEY(Seat, "price", price),
    CLI_KEY_HOW(Seat, "status", status, CLI_IF_SET),
    CLI_KEY(ListSeatsReply, "scheduleId", schedule_id),
    CLI_KEY(ListSeatsReply, "concertId", concert_id),
    CLI_KEY_HOW(ListSeatsReply, "seats", seats, CLI_IF_SET),
    CLI_KEY_HOW(ListSeatsReply, "section", section, CLI_IF_SET),
    CLI_KEY_HOW(ListSeatsReply, "firstSeatNo", first_seat_no, CLI_IF_SET),
    CLI_KEY_HOW(ListSeatsReply, "statuses", statuses, CLI_IF_SET),

    CLI_KEY(Section, "name", name),
    CLI_KEY(Section, "price", price),
    CLI_KEY(Section, "totalSeats", total_seats),
    CLI_KEY_WITHIN(Section, "availableSeats", available_seats, ListSectionsReply),
    CLI_KEY(Section, "rows", rows),
    CLI_KEY(Section, "seatsPerRow", seats_per_row),
    CLI_KEY(Section, "firstSeatNo", first_seat_no),
    CLI_KEY(ListSectionsReply, "scheduleId", schedule_id),
    CLI_KEY(ListSectionsReply, "concertId", concert_id),
    CLI_KEY(ListSectionsReply, "sections", sections),

    CLI_KEY(Venue, "id", id),
    CLI_KEY(Venue, "name", name),
    CLI_KEY(Venue, "capacity", capacity),
    CLI_KEY(Venue, "sections", sections),

    CLI_KEY(Reservation, "reservationId", id),
    CLI_KEY(Reservation, "status", status),
    CLI_TIME(Reservation, "expiresAt", expires_at_ms),
    CLI_KEY(Reservation, "price", price),
    CLI_KEY(Reservation, "userId", user_id),
    CLI_KEY(Reservation, "concertId", concert_id),
    CLI_KEY(Reservation, "scheduleId", schedule_id),
    CLI_KEY(Reservation, "seatNo", seat_no),
    CLI_TIME(Reservation, "heldAt", held_at_ms),
    CLI_KEY_HOW(Reservation, "seats", seats, CLI_IF_LISTED),

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
    CLI_KEY_HOW(Payment, "refundedAt", refunded_at_ms, CLI_AS_TIME | CLI_IF_SET),
    CLI_KEY(Payment, "balance", balance_after),
    CLI_KEY_HOW(Payment, "seats", seats, CLI_IF_LISTED),
    CLI_KEY(PayReply, "replayed", replayed),
    CLI_KEY(RefundReply, "replayed", replayed),

    CLI_KEY(AdmissionSettings, "ratePerSecond", rate_per_second),
    CLI_KEY(AdmissionSettings, "maxActive", max_active),
    CLI_KEY(AdmissionSettings, "tokenTtlSeconds", token_ttl_seconds),
    CLI_KEY(AdmissionSettings, "holdTtlSeconds", hold_ttl_seconds),
    CLI_KEY(AdmissionSettings, "maxSeatsPerHold", max_seats_per_hold),

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

static void cli_json_members(cJSON *o, const ProtobufCMessage *msg, const char *within);

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
        cJSON *obj = cli_json_object();
        memcpy(&item, items + i * sizeof(item), sizeof(item));
        cli_json_members(obj, item, msg->descriptor->short_name);
        cJSON_AddItemToArray(list, obj);
    }
}

/* cli_json_unset tells whether field f of msg is 0, "", false or an empty list: its bytes are
 * zero (8 of a 64-bit number, else 4: the table shows no other scalar). */
static int cli_json_unset(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f)
{
    static const char zero[8];
    const char *v = (const char *)msg + f->offset;
    const char *text;
    size_t n;

    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        memcpy(&n, (const char *)msg + f->quantifier_offset, sizeof(n));
        return n == 0;
    }
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        memcpy(&text, v, sizeof(text));
        return text == NULL || text[0] == '\0';
    }
    n = f->type == PROTOBUF_C_TYPE_UINT64 || f->type == PROTOBUF_C_TYPE_INT64 ? 8 : 4;
    return memcmp(v, zero, n) == 0;
}

/* cli_json_shown tells whether k's member of msg is shown: its field is set when k->how says
 * CLI_IF_SET, its seats are listed (cli_seats_listed) when it says CLI_IF_LISTED, msg is a
 * placed seat when it says CLI_IF_PLACED or CLI_AS_LABEL. */
static int cli_json_shown(const ProtobufCMessage *msg, const struct cli_key *k,
                          const ProtobufCFieldDescriptor *f)
{
    Boxoffice__V1__Seat *const *seats;
    size_t n;

    if ((k->how & CLI_IF_SET) && cli_json_unset(msg, f)) {
        return 0;
    }
    if ((k->how & CLI_IF_LISTED) && f->label == PROTOBUF_C_LABEL_REPEATED &&
        f->descriptor == &boxoffice__v1__seat__descriptor) {
        memcpy(&n, (const char *)msg + f->quantifier_offset, sizeof(n));
        memcpy(&seats, (const char *)msg + f->offset, sizeof(seats));
        return cli_seats_listed(seats, n);
    }
    if (k->how & (CLI_IF_PLACED | CLI_AS_LABEL)) {
        return msg->descriptor == &boxoffice__v1__seat__descriptor &&
               cli_seat_placed((const Boxoffice__V1__Seat *)msg);
    }
    return 1;
}

/* cli_json_member adds k's member of msg to o: the field at k->at, shown by its type. A field
 * the table cannot show (none there, a single message, a repeated scalar) is null. */
static void cli_json_member(cJSON *o, const ProtobufCMessage *msg, const struct cli_key *k)
{
    const ProtobufCFieldDescriptor *f = cli_field_at(msg->descriptor, k->at);
    const char *v = (const char *)msg + k->at;
    char label[CLI_LABEL_MAX];

    if (f == NULL ||
        (f->label == PROTOBUF_C_LABEL_REPEATED) != (f->type == PROTOBUF_C_TYPE_MESSAGE)) {
        cJSON_AddNullToObject(o, k->key);
        return;
    }
    if (!cli_json_shown(msg, k, f)) {
        return;
    }
    if (k->how & CLI_AS_LABEL) {
        cli_json_str(o, k->key, cli_seat_label((const Boxoffice__V1__Seat *)msg, label));
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
        if (k->how & CLI_AS_TIME) {
            cli_json_time(o, k->key, *(const int64_t *)v);
        } else {
            cJSON_AddNumberToObject(o, k->key, (double)*(const int64_t *)v);
        }
        break;
    default:
        cJSON_AddNullToObject(o, k->key);
    }
}

/* cli_json_members adds to o the members of msg, the rows of its type in cli_keys; within is
 * the type of the message whose list holds msg (NULL for none), for the rows shown only there. */
static void cli_json_members(cJSON *o, const ProtobufCMessage *msg, const char *within)
{
    for (size_t i = 0; i < sizeof(cli_keys) / sizeof(cli_keys[0]); i++) {
        const struct cli_key *k = &cli_keys[i];
        if (strcmp(k->message, msg->descriptor->short_name) == 0 &&
            (k->within == NULL || (within != NULL && strcmp(k->within, within) == 0))) {
            cli_json_member(o, msg, k);
        }
    }
}

cJSON *cli_json_fields(const ProtobufCMessage *msg)
{
    cJSON *o = cli_json_object();

    cli_json_members(o, msg, NULL);
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

/* cli_text_reservation prints r, a hold that verb ("held", "released") describes: one hall
 * seat on one line as always, else a line of the hold and its total, then a line a seat. */
static void cli_text_reservation(const char *verb, const Boxoffice__V1__Reservation *r)
{
    int listed = cli_seats_listed(r->seats, r->n_seats);
    char buf[40];

    if (listed) {
        printf("%s %zu seat%s on schedule %" PRIu64 "  reservation %" PRIu64 "  %s  total %" PRId64,
               verb, r->n_seats, r->n_seats == 1 ? "" : "s", r->schedule_id, r->id,
               bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status), r->price);
    } else {
        printf("%s seat %" PRIu32 " on schedule %" PRIu64 "  reservation %" PRIu64
               "  %s  price %" PRId64,
               verb, r->seat_no, r->schedule_id, r->id,
               bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status), r->price);
    }
    if (r->status == BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD) {
        printf("  expires %s", cli_time(r->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
    if (listed) {
        cli_text_seat_lines(r->seats, r->n_seats, "");
    }
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
    int listed = cli_seats_listed(p->seats, p->n_seats);
    char buf[40], seats[48];

    if (listed) {
        snprintf(seats, sizeof(seats), "%zu seat%s", p->n_seats, p->n_seats == 1 ? "" : "s");
    } else {
        snprintf(seats, sizeof(seats), "seat %" PRIu32, p->seat_no);
    }
    printf("payment %" PRIu64 "  %s  amount %" PRId64 "  %s on schedule %" PRIu64
           " %s yours  balance %" PRId64 "  at %s%s\n",
           p->id, bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status), p->amount,
           seats, p->schedule_id, listed && p->n_seats > 1 ? "are" : "is", p->balance_after,
           cli_time(p->paid_at_ms, buf, sizeof(buf)),
           rep->replayed ? "  (replayed: already paid with this key)" : "");
    if (listed) {
        cli_text_seat_lines(p->seats, p->n_seats, "");
    }
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
           "s  hold ttl %" PRIu32 "s  max seats per hold %" PRIu32 "\n",
           s->rate_per_second, s->max_active, s->token_ttl_seconds, s->hold_ttl_seconds,
           s->max_seats_per_hold);
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
    {CLI_REPLY(list_sections), NULL, cli_text_sections},
    {CLI_REPLY(hold_seat), "reservation", cli_text_held},
    {CLI_REPLY(release_hold), "reservation", cli_text_released},
    {CLI_REPLY(get_balance), NULL, cli_text_balance},
    {CLI_REPLY(charge_points), NULL, cli_text_charge},
    {CLI_REPLY(pay), "payment", cli_text_pay},
    {CLI_REPLY(refund), "payment", cli_text_refund},
    {CLI_REPLY(create_venue), "venue", cli_text_venue_created},
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
    struct cli_answer a = {c, request, reply, reply};
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
        cli_json_members(o, request, NULL);
        cli_json_members(o, a.part, NULL);
        if (a.part != reply) {
            cli_json_members(o, reply, NULL);
        }
        return cli_json_emit(stdout, o);
    }
    p->text(&a);
    return CLI_EXIT_OK;
}
