/*
 * br_seats: the parts of a venue as REST writes them outside the seat map's renderer: a seat's
 * place (section, row, number and the label "A-12-7"), the seats of a hold or a payment, and a
 * venue's or a date's sections.
 *
 * A seat of the 50-seat hall has no place: its section is empty and its row and number 0,
 * and its place members are null.
 */
#ifndef BR_SEATS_H
#define BR_SEATS_H

#include <stddef.h>
#include <stdint.h>

#include "boxoffice/v1/boxoffice.pb-c.h"
#include "br_json.h"

/* Room for a label with its NUL: a section of at most 16 characters, two 10-digit numbers. */
#define BR_SEATS_LABEL_MAX 48

/* br_seats_label writes the label of the seat at section (non-empty), row, number into out
 * (BR_SEATS_LABEL_MAX bytes): "A-12-7". */
void br_seats_label(const char *section, uint32_t row, uint32_t number,
                    char out[BR_SEATS_LABEL_MAX]);

/* br_seats_place writes the members "section", "row", "number" and "label" of a seat at
 * section, row, number into the object j has open; all null for a hall seat (section NULL or
 * empty). */
void br_seats_place(struct br_json *j, const char *section, uint32_t row, uint32_t number);

/* br_seats_listed tells whether the seats[0..n) of a hold or a payment are answered as its
 * "seats": when there are several, or one on a venue (a one-seat hall hold answers as it
 * always did). */
int br_seats_listed(Boxoffice__V1__Seat *const *seats, size_t n);

/* br_seats_member writes the member "seats":[{"seatNo","section","row","number","label",
 * "price"}...] of seats[0..n) into the object j has open. */
void br_seats_member(struct br_json *j, Boxoffice__V1__Seat *const *seats, size_t n);

/* br_seats_sections writes the member "sections":[...] of sections[0..n), each an object of the
 * members keys names (br_pb.h key list), into the object j has open. */
void br_seats_sections(struct br_json *j, Boxoffice__V1__Section *const *sections, size_t n,
                       const char *const *keys);

#endif
