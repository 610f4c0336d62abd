/*
 * rpc_fill: the domain records of the service as protobuf messages. A filler fills one
 * initialised message from records[i], an array of the matching record (struct concert for a
 * Concert, ...); rpc_messages and rpc_message build messages with them in blocks of the call
 * (rpc_call_alloc), which live until its reply is packed.
 */
#ifndef SVC_RPC_FILL_H
#define SVC_RPC_FILL_H

#include "catalog.h"
#include "model.h"

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

/* A filler fills the initialised message msg from records[i]. */
typedef void (*rpc_fill_fn)(const void *records, size_t i, void *msg);

/* The fillers: Reservation from struct reservation, Payment from struct payment, Concert,
 * Schedule, Seat from struct bo_seat_state, AdmissionSettings from struct admission_settings,
 * Seat from a struct seat_list (number, price, place), Seat i of a struct catalog_map (with its
 * place on a venue), Section from struct section, Payment from struct refund (REFUNDED). */
void rpc_reservation_fill(const void *records, size_t i, void *msg);
void rpc_payment_fill(const void *records, size_t i, void *msg);
void rpc_concert_fill(const void *records, size_t i, void *msg);
void rpc_schedule_fill(const void *records, size_t i, void *msg);
void rpc_seat_fill(const void *records, size_t i, void *msg);
void rpc_settings_fill(const void *records, size_t i, void *msg);
void rpc_seat_list_fill(const void *records, size_t i, void *msg);
void rpc_map_seat_fill(const void *records, size_t i, void *msg);
void rpc_section_fill(const void *records, size_t i, void *msg);
void rpc_refund_fill(const void *records, size_t i, void *msg);

/*
 * rpc_messages builds a repeated field: n messages of descriptor d, message i filled from
 * records by fill, behind an array of n pointers, in one block of the call. owned (records
 * when they came from malloc, else NULL) is freed with it. NULL when out of memory (the call
 * has failed then).
 */
void *rpc_messages(void *data, const ProtobufCMessageDescriptor *d, const void *records, size_t n,
                   rpc_fill_fn fill, void *owned);

/* rpc_message is a message of descriptor d filled from the one record by fill, in a block of the
 * call; NULL when out of memory (the call has failed then). */
void *rpc_message(void *data, const ProtobufCMessageDescriptor *d, const void *record,
                  rpc_fill_fn fill);

/* rpc_statuses writes the compact form of m: one letter per seat, A available, H held, S sold
 * (a block of the call); NULL when out of memory. */
char *rpc_statuses(void *data, const struct catalog_map *m);

#endif
