/*
 * cli_print: the printers of boxoffice-cli's answers (see cli_print.h).
 *
 * Layered low to high: JSON output through cJSON, the shapes several commands
 * print (token, concert, schedule, reservation), then one printer per answer.
 * Every printer prints either short lines for people or one JSON object per
 * line, whose keys and their order are those of the REST API.
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

/* ---- shapes several answers share ------------------------------------------- */

/* cli_json_concert returns the REST object of k (as cli_json_object). */
static cJSON *cli_json_concert(const Boxoffice__V1__Concert *k)
{
    cJSON *o = cli_json_object();

    cJSON_AddNumberToObject(o, "id", (double)k->id);
    cli_json_str(o, "title", k->title);
    cli_json_str(o, "artist", k->artist);
    cli_json_str(o, "venue", k->venue);
    cJSON_AddNumberToObject(o, "scheduleCount", k->schedule_count);
    return o;
}

static void cli_text_concert(const Boxoffice__V1__Concert *k)
{
    printf("%-5" PRIu64 " %-32s %-24s %-24s %" PRIu32 "\n", k->id, k->title, k->artist, k->venue,
           k->schedule_count);
}

/* cli_json_schedule returns the REST object of s (as cli_json_object). */
static cJSON *cli_json_schedule(const Boxoffice__V1__Schedule *s)
{
    cJSON *o = cli_json_object();

    cJSON_AddNumberToObject(o, "id", (double)s->id);
    cJSON_AddNumberToObject(o, "concertId", (double)s->concert_id);
    cli_json_time(o, "startsAt", s->starts_at_ms);
    cJSON_AddNumberToObject(o, "availableSeats", s->available_seats);
    cJSON_AddNumberToObject(o, "totalSeats", s->total_seats);
    return o;
}

static void cli_text_schedule(const Boxoffice__V1__Schedule *s)
{
    char buf[40];

    printf("%-7" PRIu64 " %-26s %" PRIu32 "/%" PRIu32 "\n", s->id,
           cli_time(s->starts_at_ms, buf, sizeof(buf)), s->available_seats, s->total_seats);
}

/* cli_print_reservation prints r, a hold that verb ("held", "released") describes. */
static int cli_print_reservation(const struct cli_ctx *c, const char *verb,
                                 const Boxoffice__V1__Reservation *r)
{
    const char *status = bo_enum_name(&boxoffice__v1__reservation_status__descriptor, r->status);
    char buf[40];

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "reservationId", (double)r->id);
        cli_json_str(o, "status", status);
        cli_json_time(o, "expiresAt", r->expires_at_ms);
        cJSON_AddNumberToObject(o, "price", (double)r->price);
        cJSON_AddNumberToObject(o, "userId", (double)r->user_id);
        cJSON_AddNumberToObject(o, "concertId", (double)r->concert_id);
        cJSON_AddNumberToObject(o, "scheduleId", (double)r->schedule_id);
        cJSON_AddNumberToObject(o, "seatNo", r->seat_no);
        cli_json_time(o, "heldAt", r->held_at_ms);
        return cli_json_emit(stdout, o);
    }
    printf("%s seat %" PRIu32 " on schedule %" PRIu64 "  reservation %" PRIu64
           "  %s  price %" PRId64,
           verb, r->seat_no, r->schedule_id, r->id, status, r->price);
    if (r->status == BOXOFFICE__V1__RESERVATION_STATUS__RESERVATION_HELD) {
        printf("  expires %s", cli_time(r->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
    return CLI_EXIT_OK;
}

/* ---- the printers of the table ------------------------------------------------ */

int cli_print_ping(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__PingReply *rep = (const Boxoffice__V1__PingReply *)a->reply;
    char buf[40];

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cli_json_str(o, "instance", rep->instance);
        cli_json_time(o, "now", rep->now_ms);
        cJSON_AddBoolToObject(o, "databaseOk", rep->database_ok);
        cJSON_AddBoolToObject(o, "redisOk", rep->redis_ok);
        return cli_json_emit(stdout, o);
    }
    printf("pong from %s  %s  database %s  redis %s\n", rep->instance,
           cli_time(rep->now_ms, buf, sizeof(buf)), rep->database_ok ? "ok" : "DOWN",
           rep->redis_ok ? "ok" : "DOWN");
    return CLI_EXIT_OK;
}

int cli_print_token(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__Token *t = a->part;
    const char *status = bo_enum_name(&boxoffice__v1__token_status__descriptor, t->status);
    char buf[40];

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cli_json_str(o, "token", t->token);
        cli_json_str(o, "tokenId", t->token_id);
        cJSON_AddNumberToObject(o, "userId", (double)t->user_id);
        cJSON_AddNumberToObject(o, "concertId", (double)t->concert_id);
        cli_json_str(o, "status", status);
        cJSON_AddNumberToObject(o, "position", (double)t->position);
        cJSON_AddNumberToObject(o, "etaSeconds", t->eta_seconds);
        cli_json_time(o, "issuedAt", t->issued_at_ms);
        cli_json_time(o, "admittedAt", t->admitted_at_ms);
        cli_json_time(o, "expiresAt", t->expires_at_ms);
        return cli_json_emit(stdout, o);
    }
    printf("token %s  %s", t->token, status);
    if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_WAITING) {
        printf("  position %" PRIu64 "  eta %" PRIu32 "s", t->position, t->eta_seconds);
    } else if (t->status == BOXOFFICE__V1__TOKEN_STATUS__TOKEN_ACTIVE) {
        printf("  expires %s", cli_time(t->expires_at_ms, buf, sizeof(buf)));
    }
    printf("\n");
    return CLI_EXIT_OK;
}

int cli_print_concerts(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__ListConcertsReply *rep =
        (const Boxoffice__V1__ListConcertsReply *)a->reply;

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON *list = cJSON_AddArrayToObject(o, "concerts");
        for (size_t i = 0; i < rep->n_concerts; i++) {
            cJSON_AddItemToArray(list, cli_json_concert(rep->concerts[i]));
        }
        return cli_json_emit(stdout, o);
    }
    printf("%-5s %-32s %-24s %-24s %s\n", "ID", "TITLE", "ARTIST", "VENUE", "DATES");
    for (size_t i = 0; i < rep->n_concerts; i++) {
        cli_text_concert(rep->concerts[i]);
    }
    return CLI_EXIT_OK;
}

int cli_print_schedules(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__ListSchedulesRequest *req =
        (const Boxoffice__V1__ListSchedulesRequest *)a->request;
    const Boxoffice__V1__ListSchedulesReply *rep =
        (const Boxoffice__V1__ListSchedulesReply *)a->reply;

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "concertId", (double)req->concert_id);
        cJSON *list = cJSON_AddArrayToObject(o, "schedules");
        for (size_t i = 0; i < rep->n_schedules; i++) {
            cJSON_AddItemToArray(list, cli_json_schedule(rep->schedules[i]));
        }
        return cli_json_emit(stdout, o);
    }
    printf("%-7s %-26s %s\n", "ID", "STARTS AT", "AVAILABLE");
    for (size_t i = 0; i < rep->n_schedules; i++) {
        cli_text_schedule(rep->schedules[i]);
    }
    return CLI_EXIT_OK;
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

/* cli_seats_grid prints seats as rows of ten "number mark" cells, a legend and the prices. */
static int cli_seats_grid(const Boxoffice__V1__ListSeatsReply *rep)
{
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
        return CLI_EXIT_OK; /* the summary line is printed; the grid needs memory */
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
    return CLI_EXIT_OK;
}

int cli_print_seats(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__ListSeatsReply *rep = (const Boxoffice__V1__ListSeatsReply *)a->reply;

    if (!c->g.json) {
        return cli_seats_grid(rep);
    }
    cJSON *o = cli_json_object();
    cJSON_AddNumberToObject(o, "scheduleId", (double)rep->schedule_id);
    cJSON_AddNumberToObject(o, "concertId", (double)rep->concert_id);
    cJSON *list = cJSON_AddArrayToObject(o, "seats");
    for (size_t i = 0; i < rep->n_seats; i++) {
        const Boxoffice__V1__Seat *s = rep->seats[i];
        cJSON *seat = cJSON_CreateObject();
        cJSON_AddNumberToObject(seat, "seatNo", s->seat_no);
        cJSON_AddNumberToObject(seat, "price", (double)s->price);
        cli_json_str(seat, "status",
                     bo_enum_name(&boxoffice__v1__seat_status__descriptor, s->status));
        cJSON_AddItemToArray(list, seat);
    }
    return cli_json_emit(stdout, o);
}

int cli_print_held(const struct cli_ctx *c, const struct cli_answer *a)
{
    return cli_print_reservation(c, "held", a->part);
}

int cli_print_released(const struct cli_ctx *c, const struct cli_answer *a)
{
    return cli_print_reservation(c, "released", a->part);
}

int cli_print_balance(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__GetBalanceReply *rep = (const Boxoffice__V1__GetBalanceReply *)a->reply;

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "userId", (double)rep->user_id);
        cJSON_AddNumberToObject(o, "balance", (double)rep->balance);
        return cli_json_emit(stdout, o);
    }
    printf("user %" PRIu64 "  balance %" PRId64 "\n", rep->user_id, rep->balance);
    return CLI_EXIT_OK;
}

int cli_print_charge(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__ChargePointsReply *rep =
        (const Boxoffice__V1__ChargePointsReply *)a->reply;

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "userId", (double)rep->user_id);
        cJSON_AddNumberToObject(o, "balance", (double)rep->balance);
        cJSON_AddNumberToObject(o, "amount", (double)rep->amount);
        cJSON_AddNumberToObject(o, "ledgerId", (double)rep->ledger_id);
        cJSON_AddBoolToObject(o, "replayed", rep->replayed);
        return cli_json_emit(stdout, o);
    }
    printf("charged %" PRId64 " to user %" PRIu64 "  balance %" PRId64 "  ledger %" PRIu64 "%s\n",
           rep->amount, rep->user_id, rep->balance, rep->ledger_id,
           rep->replayed ? "  (replayed: already charged with this key)" : "");
    return CLI_EXIT_OK;
}

int cli_print_pay(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__PayReply *rep = (const Boxoffice__V1__PayReply *)a->reply;
    const Boxoffice__V1__Payment *p = a->part;
    const char *status = bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status);
    char buf[40];

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "paymentId", (double)p->id);
        cli_json_str(o, "status", status);
        cJSON_AddNumberToObject(o, "amount", (double)p->amount);
        cJSON_AddNumberToObject(o, "reservationId", (double)p->reservation_id);
        cJSON_AddNumberToObject(o, "userId", (double)p->user_id);
        cJSON_AddNumberToObject(o, "scheduleId", (double)p->schedule_id);
        cJSON_AddNumberToObject(o, "seatNo", p->seat_no);
        cli_json_time(o, "paidAt", p->paid_at_ms);
        cJSON_AddNumberToObject(o, "balance", (double)p->balance_after);
        cJSON_AddBoolToObject(o, "replayed", rep->replayed);
        return cli_json_emit(stdout, o);
    }
    printf("payment %" PRIu64 "  %s  amount %" PRId64 "  seat %" PRIu32 " on schedule %" PRIu64
           " is yours  balance %" PRId64 "  at %s%s\n",
           p->id, status, p->amount, p->seat_no, p->schedule_id, p->balance_after,
           cli_time(p->paid_at_ms, buf, sizeof(buf)),
           rep->replayed ? "  (replayed: already paid with this key)" : "");
    return CLI_EXIT_OK;
}

int cli_print_concert_created(const struct cli_ctx *c, const struct cli_answer *a)
{
    if (c->g.json) {
        return cli_json_emit(stdout, cli_json_concert(a->part));
    }
    printf("created concert:\n");
    cli_text_concert(a->part);
    return CLI_EXIT_OK;
}

int cli_print_schedule_created(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__Schedule *s = a->part;

    if (c->g.json) {
        return cli_json_emit(stdout, cli_json_schedule(s));
    }
    printf("created schedule for concert %" PRIu64 ":\n", s->concert_id);
    cli_text_schedule(s);
    return CLI_EXIT_OK;
}

int cli_print_settings(const struct cli_ctx *c, const struct cli_answer *a)
{
    const Boxoffice__V1__AdmissionSettings *s = a->part;

    if (c->g.json) {
        cJSON *o = cli_json_object();
        cJSON_AddNumberToObject(o, "ratePerSecond", s->rate_per_second);
        cJSON_AddNumberToObject(o, "maxActive", s->max_active);
        cJSON_AddNumberToObject(o, "tokenTtlSeconds", s->token_ttl_seconds);
        cJSON_AddNumberToObject(o, "holdTtlSeconds", s->hold_ttl_seconds);
        return cli_json_emit(stdout, o);
    }
    printf("admission rate %" PRIu32 "/s  max active %" PRIu32 "  token ttl %" PRIu32
           "s  hold ttl %" PRIu32 "s\n",
           s->rate_per_second, s->max_active, s->token_ttl_seconds, s->hold_ttl_seconds);
    return CLI_EXIT_OK;
}
