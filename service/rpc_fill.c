/* rpc_fill: the domain records of the service as protobuf messages, built in a call's memory
 * (see rpc_fill.h). */
#include "rpc_fill.h"

#include "bo_error.h"
#include "rpc_call.h"
#include "store.h"

void rpc_reservation_fill(const void *records, size_t i, void *msg)
{
    const struct reservation *r = &((const struct reservation *)records)[i];
    Boxoffice__V1__Reservation *out = msg;

    out->id = r->id;
    out->user_id = r->user_id;
    out->concert_id = r->concert_id;
    out->schedule_id = r->schedule_id;
    out->seat_no = r->seat_no;
    out->price = r->price;
    out->status = (Boxoffice__V1__ReservationStatus)r->status;
    out->held_at_ms = r->held_at_ms;
    out->expires_at_ms = r->expires_at_ms;
}

void rpc_payment_fill(const void *records, size_t i, void *msg)
{
    const struct payment *p = &((const struct payment *)records)[i];
    Boxoffice__V1__Payment *out = msg;

    out->id = p->id;
    out->reservation_id = p->reservation_id;
    out->user_id = p->user_id;
    out->schedule_id = p->schedule_id;
    out->seat_no = p->seat_no;
    out->amount = p->amount;
    out->status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_COMPLETED;
    out->paid_at_ms = p->paid_at_ms;
    out->balance_after = p->balance_after;
}

void rpc_concert_fill(const void *records, size_t i, void *msg)
{
    const struct concert *c = &((const struct concert *)records)[i];
    Boxoffice__V1__Concert *out = msg;

    out->id = c->id;
    out->title = (char *)c->title;
    out->artist = (char *)c->artist;
    out->venue = (char *)c->venue;
    out->schedule_count = c->schedule_count;
    out->sale_opens_at_ms = c->sale_opens_at_ms;
}

void rpc_schedule_fill(const void *records, size_t i, void *msg)
{
    const struct schedule *s = &((const struct schedule *)records)[i];
    Boxoffice__V1__Schedule *out = msg;

    out->id = s->id;
    out->concert_id = s->concert_id;
    out->starts_at_ms = s->starts_at_ms;
    out->available_seats = s->available_seats;
    out->total_seats = s->total_seats;
    out->venue_id = s->venue_id;
}

void rpc_seat_fill(const void *records, size_t i, void *msg)
{
    const struct bo_seat_state *s = &((const struct bo_seat_state *)records)[i];
    Boxoffice__V1__Seat *out = msg;

    out->seat_no = s->seat_no;
    out->price = s->price;
    out->status = (Boxoffice__V1__SeatStatus)s->status;
    out->held_until_ms = s->held_until_ms;
    out->reservation_id = s->reservation_id;
}

void rpc_settings_fill(const void *records, size_t i, void *msg)
{
    const struct admission_settings *s = &((const struct admission_settings *)records)[i];
    Boxoffice__V1__AdmissionSettings *out = msg;

    out->rate_per_second = s->rate_per_second;
    out->max_active = s->max_active;
    out->token_ttl_seconds = s->token_ttl_seconds;
    out->hold_ttl_seconds = s->hold_ttl_seconds;
    out->max_seats_per_hold = s->max_seats_per_hold;
}

/*
 * rpc_messages builds a repeated field: n messages of descriptor d, message i filled from
 * records by fill, behind an array of n pointers, in one block of the call. owned (records
 * when they came from malloc, else NULL) is freed with it. NULL when out of memory (the call
 * has failed then).
 */
void *rpc_messages(void *data, const ProtobufCMessageDescriptor *d, const void *records, size_t n,
                   rpc_fill_fn fill, void *owned)
{
    size_t head = n * sizeof(void *);
    char *block = rpc_call_alloc(data, head + n * d->sizeof_message, owned);
    void **ptrs = (void **)block;

    for (size_t i = 0; block != NULL && i < n; i++) {
        ptrs[i] = block + head + i * d->sizeof_message;
        protobuf_c_message_init(d, ptrs[i]);
        fill(records, i, ptrs[i]);
    }
    return block;
}

/* rpc_message is a message of descriptor d filled from the one record by fill, in a block of the
 * call; NULL when out of memory (the call has failed then). */
void *rpc_message(void *data, const ProtobufCMessageDescriptor *d, const void *record,
                  rpc_fill_fn fill)
{
    void *msg = rpc_call_alloc(data, d->sizeof_message, NULL);

    if (msg != NULL) {
        protobuf_c_message_init(d, msg);
        fill(record, 0, msg);
    }
    return msg;
}

/* rpc_seat_list_fill fills Seat i of a seat_list (records): its number, price and place. */
void rpc_seat_list_fill(const void *records, size_t i, void *msg)
{
    const struct seat_list *l = records;
    Boxoffice__V1__Seat *out = msg;

    out->seat_no = l->seat_nos[i];
    out->price = l->prices[i];
    out->section = (char *)l->where[i].section;
    out->row = l->where[i].row;
    out->number = l->where[i].number;
}

/* What a venue date's Seat i is filled from: the map read and its place math. */
void rpc_map_seat_fill(const void *records, size_t i, void *msg)
{
    const struct catalog_map *m = records;
    Boxoffice__V1__Seat *out = msg;
    struct seat_place p;

    rpc_seat_fill(m->seats, i, msg);
    if (m->venue.id != 0 && store_venue_place(&m->venue, m->seats[i].seat_no, &p) == BO_OK) {
        out->section = (char *)p.section->name;
        out->row = p.row;
        out->number = p.number;
    }
}

/* rpc_statuses writes the compact form of m: one letter per seat, A available, H held, S sold
 * (a block of the call); NULL when out of memory. */
char *rpc_statuses(void *data, const struct catalog_map *m)
{
    char *text = rpc_call_alloc(data, m->n + 1, NULL);

    for (size_t i = 0; text != NULL && i < m->n; i++) {
        text[i] = m->seats[i].status == BO_SEAT_SOLD   ? 'S'
                  : m->seats[i].status == BO_SEAT_HELD ? 'H'
                                                       : 'A';
    }
    return text;
}

void rpc_section_fill(const void *records, size_t i, void *msg)
{
    const struct section *sec = &((const struct section *)records)[i];
    Boxoffice__V1__Section *out = msg;

    out->name = (char *)sec->name;
    out->rows = sec->rows;
    out->seats_per_row = sec->seats_per_row;
    out->price = sec->price;
    out->first_seat_no = sec->first_seat_no;
    out->total_seats = sec->rows * sec->seats_per_row;
    out->available_seats = sec->available_seats;
}

void rpc_refund_fill(const void *records, size_t i, void *msg)
{
    const struct refund *r = &((const struct refund *)records)[i];
    Boxoffice__V1__Payment *out = msg;

    out->id = r->payment_id;
    out->reservation_id = r->reservation_id;
    out->schedule_id = r->schedule_id;
    out->amount = r->amount;
    out->status = BOXOFFICE__V1__PAYMENT_STATUS__PAYMENT_REFUNDED;
    out->paid_at_ms = r->paid_at_ms;
    out->refunded_at_ms = r->refunded_at_ms;
    out->balance_after = r->balance_after;
}
