/*
 * cli_print_venue: the text for people of seat maps and answers about venues (see
 * cli_print.h): the hall's grid, a date's sections, a section's seats with their places or as
 * a compact map, the seats of a hold or a payment, a refund and a new venue. cli_print.c
 * chooses the printer and prints JSON.
 */
#ifndef CLI_PRINT_VENUE_H
#define CLI_PRINT_VENUE_H

#include "cli_command.h"

#include <stddef.h>

/* What a printer reads: the command's context (its session may make one more call), the
 * request sent, the reply, and the part of the reply it prints. All borrowed. */
struct cli_answer {
    const struct cli_ctx *c;
    const void *request;
    const void *reply;
    const void *part; /* the reply's message field named by the printer, else the reply */
};

/* Room for a seat's label with its NUL: a section of at most 16 characters, two numbers. */
#define CLI_LABEL_MAX 48

/* cli_seat_placed tells whether seat s has a place (a seat of a venue, not of the hall). */
int cli_seat_placed(const Boxoffice__V1__Seat *s);

/* cli_seat_label writes s's label "A-12-7" into out ("" for a seat without a place); returns
 * out. */
const char *cli_seat_label(const Boxoffice__V1__Seat *s, char out[CLI_LABEL_MAX]);

/* cli_seats_listed tells whether the seats[0..n) of a hold or a payment are printed one a line:
 * when there are several, or one with a place (a hall hold of one seat prints as always). */
int cli_seats_listed(Boxoffice__V1__Seat *const *seats, size_t n);

/* cli_text_seat_lines prints seats[0..n), one an indented line: label, number, price, and
 * after them note (may be ""). */
void cli_text_seat_lines(Boxoffice__V1__Seat *const *seats, size_t n, const char *note);

/* cli_text_sections prints a ListSectionsReply as a table: name, price, rows x seats per row,
 * available of total. */
void cli_text_sections(const struct cli_answer *a);

/* cli_text_seats prints a ListSeatsReply: the hall's seats as rows of ten "number mark" cells,
 * a legend and the prices; a venue's seats with places one a line; a compact map a row a line
 * (the section's seats per row asked with ListSections; without them, the letters on one line
 * from the first seat number). */
void cli_text_seats(const struct cli_answer *a);

/* cli_text_refund prints a refunded payment: REFUNDED, the points back, the balance, the seats
 * on sale again. */
void cli_text_refund(const struct cli_answer *a);

/* cli_text_venue_created prints a new venue: its id, capacity and sections. */
void cli_text_venue_created(const struct cli_answer *a);

#endif
