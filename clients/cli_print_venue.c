/*
 * cli_print_venue: seat maps and answers about venues as text for people (see
 * cli_print_venue.h).
 *
 * The hall's 50 seats print as a grid of ten seats a line, as they always have; the seats of a
 * date on a venue print one a line with their label ("A-12-7"); a compact map prints a line a
 * row, which needs the section's seats per row: the compact answer does not carry them, so
 * the printer asks ListSections with the same token (one more call), and prints the letters on
 * one line from the first seat number when that answer does not come.
 */
#include "cli_print_venue.h"

#include "cli_print.h"

#include "bo_enum.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Seat numbers above this are not drawn in the hall's grid. */
#define CLI_MAX_SEATNO 10000

/* ---- seats with places -------------------------------------------------------- */

int cli_seat_placed(const Boxoffice__V1__Seat *s)
{
    return s->section != NULL && s->section[0] != '\0';
}

const char *cli_seat_label(const Boxoffice__V1__Seat *s, char out[CLI_LABEL_MAX])
{
    if (!cli_seat_placed(s)) {
        out[0] = '\0';
    } else {
        snprintf(out, CLI_LABEL_MAX, "%.16s-%" PRIu32 "-%" PRIu32, s->section, s->row, s->number);
    }
    return out;
}

int cli_seats_listed(Boxoffice__V1__Seat *const *seats, size_t n)
{
    return n > 1 || (n == 1 && cli_seat_placed(seats[0]));
}

void cli_text_seat_lines(Boxoffice__V1__Seat *const *seats, size_t n, const char *note)
{
    char label[CLI_LABEL_MAX];

    for (size_t i = 0; i < n; i++) {
        if (cli_seat_placed(seats[i])) {
            printf("  %-12s seat %-7" PRIu32 " price %" PRId64 "%s\n",
                   cli_seat_label(seats[i], label), seats[i]->seat_no, seats[i]->price, note);
        } else {
            printf("  seat %-7" PRIu32 " price %" PRId64 "%s\n", seats[i]->seat_no, seats[i]->price,
                   note);
        }
    }
}

/* ---- sections ---------------------------------------------------------------------- */

/* cli_text_section_cells prints the first cells of a section's row of a table: name, price,
 * rows x seats per row (see cli_text_section_header). */
static void cli_text_section_cells(const Boxoffice__V1__Section *sec)
{
    char size[32];

    snprintf(size, sizeof(size), "%" PRIu32 " x %" PRIu32, sec->rows, sec->seats_per_row);
    printf("%-16s %10" PRId64 "  %-14s", sec->name, sec->price, size);
}

/* cli_text_section_header prints the header of a table of sections, last naming its last
 * column. */
static void cli_text_section_header(const char *last)
{
    printf("%-16s %10s  %-14s%s\n", "SECTION", "PRICE", "ROWS x SEATS", last);
}

void cli_text_sections(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSectionsReply *rep = a->reply;
    uint64_t available = 0, total = 0;

    for (size_t i = 0; i < rep->n_sections; i++) {
        available += rep->sections[i]->available_seats;
        total += rep->sections[i]->total_seats;
    }
    printf("schedule %" PRIu64 " (concert %" PRIu64 "): %" PRIu64 " of %" PRIu64
           " seats available in %zu section%s\n",
           rep->schedule_id, rep->concert_id, available, total, rep->n_sections,
           rep->n_sections == 1 ? "" : "s");
    cli_text_section_header(" AVAILABLE");
    for (size_t i = 0; i < rep->n_sections; i++) {
        cli_text_section_cells(rep->sections[i]);
        printf(" %" PRIu32 "/%" PRIu32 "\n", rep->sections[i]->available_seats,
               rep->sections[i]->total_seats);
    }
}

void cli_text_venue_created(const struct cli_answer *a)
{
    const Boxoffice__V1__Venue *v = a->part;

    printf("created venue %" PRIu64 " (%s): %" PRIu32 " seats in %zu section%s\n", v->id, v->name,
           v->capacity, v->n_sections, v->n_sections == 1 ? "" : "s");
    cli_text_section_header(" SEATS");
    for (size_t i = 0; i < v->n_sections; i++) {
        const Boxoffice__V1__Section *sec = v->sections[i];
        cli_text_section_cells(sec);
        printf(" %" PRIu32 "-%" PRIu32 "\n", sec->first_seat_no,
               sec->first_seat_no + sec->total_seats - 1);
    }
}

/* ---- a section's seats ---------------------------------------------------------- */

/* cli_section_per_row asks ListSections (the token and date of the ListSeats request of a) for
 * the seats per row of section; 0 when the answer does not come or names no such section. */
static uint32_t cli_section_per_row(const struct cli_answer *a, const char *section)
{
    const Boxoffice__V1__ListSeatsRequest *seats = a->request;
    Boxoffice__V1__ListSectionsRequest req = BOXOFFICE__V1__LIST_SECTIONS_REQUEST__INIT;
    ProtobufCMessage *out = NULL;
    uint32_t per_row = 0;

    if (a->c->session == NULL) {
        return 0;
    }
    req.token = seats->token;
    req.schedule_id = seats->schedule_id;
    if (bo_call(a->c->session, "ListSections", &req.base, &out, NULL) != BO_OK || out == NULL) {
        return 0;
    }
    const Boxoffice__V1__ListSectionsReply *rep = (const Boxoffice__V1__ListSectionsReply *)out;
    for (size_t i = 0; i < rep->n_sections && per_row == 0; i++) {
        if (strcmp(rep->sections[i]->name, section) == 0) {
            per_row = rep->sections[i]->seats_per_row;
        }
    }
    protobuf_c_message_free_unpacked(out, NULL);
    return per_row;
}

/* cli_text_compact prints a compact map: a line a row ("row 3    AAHS..  seats 41-60"), or
 * the letters on one line from the first seat number when the rows are not known. */
static void cli_text_compact(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSeatsRequest *req = a->request;
    const Boxoffice__V1__ListSeatsReply *rep = a->reply;
    const char *section = rep->section[0] != '\0' ? rep->section : req->section;
    size_t n = strlen(rep->statuses), available = 0;
    uint32_t per_row = section[0] != '\0' ? cli_section_per_row(a, section) : 0;

    for (size_t i = 0; i < n; i++) {
        available += rep->statuses[i] == 'A';
    }
    printf("schedule %" PRIu64 "%s%s: %zu of %zu seats available (A available, H held, S sold)\n",
           rep->schedule_id, section[0] != '\0' ? " section " : "", section, available, n);
    if (per_row == 0) {
        printf("seats from %" PRIu32 ": %s\n", rep->first_seat_no, rep->statuses);
        return;
    }
    for (size_t i = 0, row = 1; i < n; i += per_row, row++) {
        size_t len = n - i < per_row ? n - i : per_row;
        printf("row %-4zu %.*s  seats %" PRIu64 "-%" PRIu64 "\n", row, (int)len, rep->statuses + i,
               (uint64_t)rep->first_seat_no + i, (uint64_t)rep->first_seat_no + i + len - 1);
    }
}

/* cli_text_venue_seats prints a ListSeatsReply of a venue date: seats with places one a line,
 * or a compact map. */
static void cli_text_venue_seats(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSeatsRequest *req = a->request;
    const Boxoffice__V1__ListSeatsReply *rep = a->reply;
    char label[CLI_LABEL_MAX];
    size_t available = 0;

    if (rep->statuses[0] != '\0') {
        cli_text_compact(a);
        return;
    }
    for (size_t i = 0; i < rep->n_seats; i++) {
        available += rep->seats[i]->status == BOXOFFICE__V1__SEAT_STATUS__SEAT_AVAILABLE;
    }
    printf("schedule %" PRIu64 " (concert %" PRIu64 ")%s%s: %zu of %zu seats available\n",
           rep->schedule_id, rep->concert_id, req->section[0] != '\0' ? " section " : "",
           req->section, available, rep->n_seats);
    printf("%-12s %-7s %-10s %s\n", "LABEL", "SEAT", "STATUS", "PRICE");
    for (size_t i = 0; i < rep->n_seats; i++) {
        const Boxoffice__V1__Seat *s = rep->seats[i];
        printf("%-12s %-7" PRIu32 " %-10s %" PRId64 "\n", cli_seat_label(s, label), s->seat_no,
               bo_enum_name(&boxoffice__v1__seat_status__descriptor, s->status), s->price);
    }
}

/* ---- the hall's grid ------------------------------------------------------------- */

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

void cli_text_seats(const struct cli_answer *a)
{
    const Boxoffice__V1__ListSeatsReply *rep = a->reply;
    const Boxoffice__V1__Seat **by_no;
    uint32_t max = 0, available = 0;

    if (rep->statuses[0] != '\0' || (rep->n_seats > 0 && cli_seat_placed(rep->seats[0]))) {
        cli_text_venue_seats(a);
        return;
    }
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

/* ---- refunds ------------------------------------------------------------------------ */

void cli_text_refund(const struct cli_answer *a)
{
    const Boxoffice__V1__RefundReply *rep = a->reply;
    const Boxoffice__V1__Payment *p = a->part;
    char buf[40];

    printf("payment %" PRIu64 "  %s  %" PRId64 " points back  balance %" PRId64 "  at %s%s\n",
           p->id, bo_enum_name(&boxoffice__v1__payment_status__descriptor, p->status), p->amount,
           p->balance_after, cli_time(p->refunded_at_ms, buf, sizeof(buf)),
           rep->replayed ? "  (replayed: already refunded)" : "");
    cli_text_seat_lines(p->seats, p->n_seats, "  on sale again");
}
