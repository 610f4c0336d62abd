/* Unit suite for bo_seatmap and bo_feed: the order of a seat's changes, snapshots merged with
 * changes made while they were read, lapsing holds, renderings kept until out of date, the
 * table's bound, and events carried from a pub socket to the feed's handlers. */
#include "bo_error.h"
#include "bo_feed.h"
#include "bo_seatmap.h"
#include "support.h"

#include "boxoffice/v1/events.pb-c.h"

#include <check.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NOW_MS 1800000000000LL /* wall clock of the tests */

/* snapshot fills n seats, all AVAILABLE at price 100 * seat. */
static void snapshot(struct bo_seat_state *seats, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seats[i] = (struct bo_seat_state){.seat_no = (uint32_t)(i + 1),
                                          .status = BO_SEAT_AVAILABLE,
                                          .price = 100 * (int64_t)(i + 1)};
    }
}

static struct bo_seat_state held(uint32_t seat, uint64_t r, int64_t until)
{
    return (struct bo_seat_state){
        .seat_no = seat, .status = BO_SEAT_HELD, .held_until_ms = until, .reservation_id = r};
}

static struct bo_seat_state ended(uint32_t seat, uint64_t r, int status)
{
    return (struct bo_seat_state){.seat_no = seat, .status = status, .reservation_id = r};
}

/* status_of reads seat's status at now from the table (fresh at mono time 0). */
static int status_of(struct bo_seatmap_table *t, uint64_t schedule, uint32_t seat, int64_t now)
{
    struct bo_seat_state out[8];
    uint64_t concert = 0;
    size_t n = 0;

    ck_assert_int_eq(bo_seatmap_table_read(t, schedule, 0, 1000, &concert, out, 8, &n), BO_OK);
    ck_assert_uint_ge(n, seat);
    return bo_seat_status_at(&out[seat - 1], now);
}

START_TEST(changes_apply_in_reservation_order)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[8], c;
    size_t applied;

    snapshot(seats, 8);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, bo_seatmap_table_begin(t), 0),
                     BO_OK);

    /* r10 held, then a late "r9 released" from another instance changes nothing. */
    c = held(5, 10, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 1);
    c = ended(5, 9, BO_SEAT_AVAILABLE);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    ck_assert_int_eq(status_of(t, 7, 5, NOW_MS), BO_SEAT_HELD);

    /* The same hold twice changes nothing; its end does; a held event arriving after the
     * sale it led to changes nothing. */
    c = held(5, 10, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    c = ended(5, 10, BO_SEAT_SOLD);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 1);
    c = held(5, 10, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    ck_assert_int_eq(status_of(t, 7, 5, NOW_MS), BO_SEAT_SOLD);

    /* The sale refunded: the seat is free again, and the sale's event arriving late from
     * another instance changes nothing. */
    c = ended(5, 10, BO_SEAT_AVAILABLE);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 1);
    c = ended(5, 10, BO_SEAT_SOLD);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    ck_assert_int_eq(status_of(t, 7, 5, NOW_MS), BO_SEAT_AVAILABLE);

    /* A seat the date does not have, and a date the table does not hold, are skipped. */
    c = held(9, 11, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    c = held(1, 11, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 8, &c, 1, &applied);
    ck_assert_uint_eq(applied, 0);
    bo_seatmap_table_close(t);
}
END_TEST

START_TEST(hold_lapses_without_an_event)
{
    struct bo_seat_state s = held(1, 4, NOW_MS + 1000);

    ck_assert_int_eq(bo_seat_status_at(&s, NOW_MS + 999), BO_SEAT_HELD);
    ck_assert_int_eq(bo_seat_status_at(&s, NOW_MS + 1000), BO_SEAT_AVAILABLE);
    s = ended(1, 4, BO_SEAT_SOLD);
    ck_assert_int_eq(bo_seat_status_at(&s, NOW_MS + 5000), BO_SEAT_SOLD);
}
END_TEST

START_TEST(snapshot_keeps_changes_newer_than_itself)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[8], c;
    uint64_t ticket;

    snapshot(seats, 8);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, bo_seatmap_table_begin(t), 0),
                     BO_OK);
    c = held(2, 20, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, NULL); /* before the snapshot began */

    ticket = bo_seatmap_table_begin(t);
    c = held(3, 21, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, NULL); /* while it is read: the snapshot misses it */

    /* The snapshot (read from the truth) says seat 2's hold was released meanwhile and does
     * not have seat 3's hold yet: seat 2 follows the snapshot, seat 3 keeps the change. */
    seats[1] = ended(2, 20, BO_SEAT_AVAILABLE);
    seats[1].price = 200;
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, ticket, 0), BO_OK);
    ck_assert_int_eq(status_of(t, 7, 2, NOW_MS), BO_SEAT_AVAILABLE);
    ck_assert_int_eq(status_of(t, 7, 3, NOW_MS), BO_SEAT_HELD);

    /* The next snapshot is the truth again, change or not. */
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, bo_seatmap_table_begin(t), 0),
                     BO_OK);
    ck_assert_int_eq(status_of(t, 7, 3, NOW_MS), BO_SEAT_AVAILABLE);
    bo_seatmap_table_close(t);
}
END_TEST

/* A change that comes while a date is read for the first time is not lost. */
START_TEST(first_snapshot_keeps_changes_made_while_read)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[8], c;
    uint64_t ticket;

    snapshot(seats, 8);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    c = held(6, 30, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, &c, 1, NULL); /* before the read began: in its snapshot */
    ticket = bo_seatmap_table_begin(t);
    c = ended(6, 30, BO_SEAT_SOLD);
    bo_seatmap_table_apply(t, 7, &c, 1, NULL); /* while it is read: the snapshot misses it */
    c = held(2, 31, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 8, &c, 1, NULL); /* another date */
    seats[5] = held(6, 30, NOW_MS + 60000);
    seats[5].price = 600;
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, ticket, 0), BO_OK);
    ck_assert_int_eq(status_of(t, 7, 6, NOW_MS), BO_SEAT_SOLD);
    ck_assert_int_eq(status_of(t, 7, 2, NOW_MS), BO_SEAT_AVAILABLE);
    bo_seatmap_table_close(t);
}
END_TEST

START_TEST(old_or_missing_maps_are_not_answered)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[8], out[8];
    uint64_t concert;
    size_t n;

    snapshot(seats, 8);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_read(t, 7, 0, 400, &concert, out, 8, &n), BO_E_NOT_FOUND);
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 8, 0, 1000), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_read(t, 7, 1400, 400, &concert, out, 8, &n), BO_OK);
    ck_assert_uint_eq(concert, 3);
    ck_assert_uint_eq(n, 8);
    ck_assert_int_eq(out[7].price, 800);
    ck_assert_int_eq(bo_seatmap_table_read(t, 7, 1401, 400, &concert, out, 8, &n), BO_E_NOT_FOUND);
    ck_assert_int_eq(bo_seatmap_table_read(t, 7, 1000, 400, &concert, out, 4, &n),
                     BO_E_INVALID_ARGUMENT);
    /* Seats out of order are refused. */
    seats[3].seat_no = 9;
    ck_assert_int_eq(bo_seatmap_table_install(t, 8, 3, seats, 8, 0, 1000), BO_E_INVALID_ARGUMENT);
    bo_seatmap_table_close(t);
}
END_TEST

/* Counts a view sees: seats held at NOW_MS among seats 50001..100000 of a big map. */
struct view_count {
    uint64_t concert;
    size_t seen;
    size_t held;
};

static int count_view(void *arg, uint64_t concert_id, const struct bo_seat_state *seats, size_t n)
{
    struct view_count *c = arg;

    c->concert = concert_id;
    c->seen = n;
    for (size_t i = 50000; i < n; i++) {
        c->held += bo_seat_status_at(&seats[i], NOW_MS) == BO_SEAT_HELD;
    }
    return BO_OK;
}

START_TEST(big_map_is_viewed_in_place)
{
    /* A date of 100,000 seats is looked at where it is, with the changes applied to it. */
    static struct bo_seat_state seats[BO_SEATMAP_MAX_SEATS];
    struct bo_seatmap_table *t;
    struct view_count c = {0};
    struct bo_seat_state changes[] = {held(60000, 5, NOW_MS + 1000), held(99999, 6, NOW_MS - 1),
                                      held(7, 7, NOW_MS + 1000)};

    snapshot(seats, BO_SEATMAP_MAX_SEATS);
    ck_assert_int_eq(bo_seatmap_table_open(2, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_view(t, 9, 0, 400, count_view, &c), BO_E_NOT_FOUND);
    ck_assert_int_eq(bo_seatmap_table_install(t, 9, 4, seats, BO_SEATMAP_MAX_SEATS, 0, 0), BO_OK);
    bo_seatmap_table_apply(t, 9, changes, 3, NULL);
    ck_assert_int_eq(bo_seatmap_table_view(t, 9, 100, 400, count_view, &c), BO_OK);
    ck_assert_uint_eq(c.concert, 4);
    ck_assert_uint_eq(c.seen, BO_SEATMAP_MAX_SEATS);
    ck_assert_uint_eq(c.held, 1); /* 60000; 99999's hold has lapsed; 7 is below the range */
    ck_assert_int_eq(bo_seatmap_table_view(t, 9, 401, 400, count_view, &c), BO_E_NOT_FOUND);
    bo_seatmap_table_close(t);
}
END_TEST

START_TEST(least_recently_read_map_is_dropped)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[8], out[8];
    uint64_t concert;
    size_t n;

    snapshot(seats, 8);
    ck_assert_int_eq(bo_seatmap_table_open(2, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 1, 1, seats, 8, 0, 10), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 2, 1, seats, 8, 0, 20), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_read(t, 1, 30, 400, &concert, out, 8, &n), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 3, 1, seats, 8, 0, 40), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_read(t, 2, 50, 400, &concert, out, 8, &n), BO_E_NOT_FOUND);
    ck_assert_int_eq(bo_seatmap_table_read(t, 1, 50, 400, &concert, out, 8, &n), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_read(t, 3, 50, 400, &concert, out, 8, &n), BO_OK);
    bo_seatmap_table_close(t);
}
END_TEST

/* A renderer writing one letter per seat as seen at now, counting its calls. */
static int render_letters(void *arg, uint64_t schedule_id, uint64_t concert_id,
                          const struct bo_seat_state *seats, size_t n, int64_t now_ms,
                          struct bo_seatmap_blob **out)
{
    struct bo_seatmap_blob *b = bo_seatmap_blob_new(n);

    (void)schedule_id;
    (void)concert_id;
    if (b == NULL) {
        return BO_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        b->data[i] = "?AHS"[bo_seat_status_at(&seats[i], now_ms)];
    }
    (*(int *)arg)++;
    *out = b;
    return BO_OK;
}

START_TEST(rendering_is_kept_until_out_of_date)
{
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[4], c;
    struct bo_seatmap_blob *a, *b;
    uint64_t concert;
    int calls = 0;

    snapshot(seats, 4);
    seats[1] = held(2, 5, NOW_MS + 100);
    ck_assert_int_eq(bo_seatmap_table_open(4, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install(t, 7, 3, seats, 4, 0, 0), BO_OK);
    ck_assert_int_eq(
        bo_seatmap_table_rendered(t, 7, 0, NOW_MS, 400, render_letters, &calls, &concert, &a),
        BO_OK);
    ck_assert_str_eq(a->data, "AHAA");
    ck_assert_int_eq(
        bo_seatmap_table_rendered(t, 7, 0, NOW_MS + 99, 400, render_letters, &calls, &concert, &b),
        BO_OK);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(calls, 1);
    bo_seatmap_blob_unref(b);

    /* The hold lapses: rendered again, while the old rendering stays the holder's. */
    ck_assert_int_eq(
        bo_seatmap_table_rendered(t, 7, 0, NOW_MS + 100, 400, render_letters, &calls, &concert, &b),
        BO_OK);
    ck_assert_str_eq(b->data, "AAAA");
    ck_assert_str_eq(a->data, "AHAA");
    bo_seatmap_blob_unref(a);
    bo_seatmap_blob_unref(b);

    /* A change makes a new version. */
    c = ended(4, 6, BO_SEAT_SOLD);
    bo_seatmap_table_apply(t, 7, &c, 1, NULL);
    ck_assert_int_eq(
        bo_seatmap_table_rendered(t, 7, 0, NOW_MS + 100, 400, render_letters, &calls, &concert, &b),
        BO_OK);
    ck_assert_str_eq(b->data, "AAAS");
    ck_assert_int_eq(calls, 3);
    ck_assert_uint_eq(concert, 3);
    bo_seatmap_blob_unref(b);
    /* Too old a map is not rendered. */
    ck_assert_int_eq(
        bo_seatmap_table_rendered(t, 7, 401, NOW_MS, 400, render_letters, &calls, &concert, &b),
        BO_E_NOT_FOUND);
    bo_seatmap_table_close(t);
}
END_TEST

/* ---- bo_feed -------------------------------------------------------------------------- */

struct feed_seen {
    pthread_mutex_t lock;
    uint64_t schedule_id, concert_id, ended_concert, ended_sequence, ended_user;
    struct bo_seat_state first;
    size_t n;
    int admissions; /* admission events handed over */
    int admission_kind;
    char admission_token[32];
};

static void feed_on_seats(void *arg, uint64_t schedule_id, uint64_t concert_id,
                          const struct bo_seat_state *changes, size_t n)
{
    struct feed_seen *s = arg;

    pthread_mutex_lock(&s->lock);
    s->schedule_id = schedule_id;
    s->concert_id = concert_id;
    s->n = n;
    if (n > 0) {
        s->first = changes[0];
    }
    pthread_mutex_unlock(&s->lock);
}

static void feed_on_ended(void *arg, uint64_t concert_id, uint64_t sequence, uint64_t user_id)
{
    struct feed_seen *s = arg;

    pthread_mutex_lock(&s->lock);
    s->ended_concert = concert_id;
    s->ended_sequence = sequence;
    s->ended_user = user_id;
    pthread_mutex_unlock(&s->lock);
}

static void feed_on_admission(void *arg, const Boxoffice__V1__AdmissionEvent *e)
{
    struct feed_seen *s = arg;

    pthread_mutex_lock(&s->lock);
    s->admissions++;
    s->admission_kind = (int)e->kind;
    snprintf(s->admission_token, sizeof(s->admission_token), "%s",
             e->token_id != NULL ? e->token_id : "");
    pthread_mutex_unlock(&s->lock);
}

/* publish sends topic + '\n' + the packed message m. */
static void publish(nng_socket pub, const char *topic, const ProtobufCMessage *m)
{
    size_t tlen = strlen(topic), len = protobuf_c_message_get_packed_size(m);
    nng_msg *msg;

    ck_assert_int_eq(nng_msg_alloc(&msg, tlen + 1 + len), 0);
    memcpy(nng_msg_body(msg), topic, tlen);
    ((char *)nng_msg_body(msg))[tlen] = '\n';
    protobuf_c_message_pack(m, (uint8_t *)nng_msg_body(msg) + tlen + 1);
    ck_assert_int_eq(nng_sendmsg(pub, msg, 0), 0);
}

struct feed_case {
    nng_socket pub;
    struct feed_seen *seen;
    int admission; /* the feed takes admission events too: wait for one */
};

/* feed_got_both republishes both events until the feed has seen them (a subscriber that has
 * just dialled misses what was sent before its subscription reached the publisher). */
static int feed_got_both(void *arg)
{
    struct feed_case *c = arg;
    Boxoffice__V1__Seat seat = BOXOFFICE__V1__SEAT__INIT, *seatp = &seat;
    Boxoffice__V1__SeatEvent se = BOXOFFICE__V1__SEAT_EVENT__INIT;
    Boxoffice__V1__AdmissionEvent ae = BOXOFFICE__V1__ADMISSION_EVENT__INIT;
    int done;

    seat.seat_no = 4;
    seat.status = BOXOFFICE__V1__SEAT_STATUS__SEAT_HELD;
    seat.held_until_ms = NOW_MS;
    seat.reservation_id = 77;
    se.schedule_id = 12;
    se.concert_id = 2;
    se.n_seats = 1;
    se.seats = &seatp;
    ae.kind = BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED;
    ae.concert_id = 2;
    ae.user_id = 42;
    ae.token_id = "2-901";
    publish(c->pub, "schedule/12/", &se.base);
    publish(c->pub, "concert/2/", &ae.base); /* followed only with an admission handler */
    publish(c->pub, "ended/2/", &ae.base);
    pthread_mutex_lock(&c->seen->lock);
    done = c->seen->schedule_id == 12 && c->seen->ended_sequence == 901 &&
           (!c->admission || c->seen->admissions > 0);
    pthread_mutex_unlock(&c->seen->lock);
    return done;
}

/* feed_case_end closes the publisher first, then stops the feed: libnng 1.5 can hang closing a
 * socket while messages still arrive at it (nanomsg/nng#1543), and the publisher may still be
 * sending what feed_got_both published last (seen: a test timeout once in a CI run). */
static void feed_case_end(struct feed_case *c, struct bo_feed *f)
{
    nng_close(c->pub);
    bo_feed_stop(f);
}

/* part_letters renders the part of date 7 from seat first in form form, at NOW_MS. */
static void part_letters(struct bo_seatmap_table *t, uint32_t first, unsigned form, int *calls,
                         char *out, size_t len)
{
    struct bo_seatmap_blob *b = NULL;
    uint64_t concert = 0;

    ck_assert_int_eq(bo_seatmap_table_rendered_part(t, 7, first, form, 0, NOW_MS, 400,
                                                    render_letters, calls, &concert, &b),
                     BO_OK);
    ck_assert_uint_eq(concert, 3);
    snprintf(out, len, "%.*s", (int)b->len, b->data);
    bo_seatmap_blob_unref(b);
}

START_TEST(parts_of_a_date_take_their_own_seats)
{
    /* Date 7 of 12 seats in three sections: 1-4, 5-8 (held), 9-12 (not held yet). */
    struct bo_seatmap_table *t;
    struct bo_seat_state seats[12], c[3];
    char text[16];
    int calls = 0;

    snapshot(seats, 12);
    ck_assert_int_eq(bo_seatmap_table_open(8, &t), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install_part(t, 7, 1, 3, seats, 4, 0, 0), BO_OK);
    ck_assert_int_eq(bo_seatmap_table_install_part(t, 7, 5, 3, seats + 4, 4, 0, 0), BO_OK);
    /* A part must start where it says. */
    ck_assert_int_eq(bo_seatmap_table_install_part(t, 7, 6, 3, seats + 4, 4, 0, 0),
                     BO_E_INVALID_ARGUMENT);
    ck_assert_int_eq(bo_seatmap_table_install_part(t, 7, 0, 3, seats, 4, 0, 0),
                     BO_E_INVALID_ARGUMENT);

    /* One change of seats of every section: each part takes its own seats. */
    uint64_t ticket = bo_seatmap_table_begin(t);
    c[0] = held(2, 40, NOW_MS + 60000);
    c[1] = held(6, 40, NOW_MS + 60000);
    c[2] = held(10, 40, NOW_MS + 60000);
    bo_seatmap_table_apply(t, 7, c, 3, NULL);
    part_letters(t, 1, 0, &calls, text, sizeof(text));
    ck_assert_str_eq(text, "AHAA");
    part_letters(t, 5, 0, &calls, text, sizeof(text));
    ck_assert_str_eq(text, "AHAA");

    /* The third part, read while the change was made, keeps the change it missed. */
    ck_assert_int_eq(bo_seatmap_table_install_part(t, 7, 9, 3, seats + 8, 4, ticket, 0), BO_OK);
    part_letters(t, 9, 0, &calls, text, sizeof(text));
    ck_assert_str_eq(text, "AHAA");

    /* Each form is rendered once per version, apart from the other. */
    calls = 0;
    part_letters(t, 5, 1, &calls, text, sizeof(text));
    part_letters(t, 5, 1, &calls, text, sizeof(text));
    part_letters(t, 5, 0, &calls, text, sizeof(text));
    ck_assert_int_eq(calls, 1);
    c[0] = ended(7, 41, BO_SEAT_SOLD);
    bo_seatmap_table_apply(t, 7, c, 1, NULL);
    part_letters(t, 5, 1, &calls, text, sizeof(text));
    ck_assert_str_eq(text, "AHSA");
    part_letters(t, 1, 1, &calls, text, sizeof(text)); /* another part: not changed */
    ck_assert_str_eq(text, "AHAA");
    ck_assert_int_eq(calls, 3);
    struct bo_seatmap_blob *b = NULL;
    uint64_t concert;
    ck_assert_int_eq(bo_seatmap_table_rendered_part(t, 7, 5, BO_SEATMAP_FORMS, 0, NOW_MS, 400,
                                                    render_letters, &calls, &concert, &b),
                     BO_E_INVALID_ARGUMENT);
    /* The whole date is not one of its parts: not held. */
    ck_assert_int_eq(bo_seatmap_table_rendered_part(t, 7, 2, 0, 0, NOW_MS, 400, render_letters,
                                                    &calls, &concert, &b),
                     BO_E_NOT_FOUND);
    bo_seatmap_table_close(t);
}
END_TEST

START_TEST(feed_hands_over_seat_and_ended_events)
{
    struct feed_seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct feed_case c = {.seen = &seen};
    struct bo_feed_handlers h = {.seats = feed_on_seats, .ended = feed_on_ended, .arg = &seen};
    struct bo_feed *f = NULL;
    char url[64];

    snprintf(url, sizeof(url), "ipc:///tmp/bo-test-feed-%d", (int)getpid());
    ck_assert_int_eq(nng_pub0_open(&c.pub), 0);
    ck_assert_int_eq(nng_listen(c.pub, url, NULL, 0), 0);
    ck_assert_int_eq(bo_feed_start(url, "tcp://127.0.0.1:1", &h, &f), BO_OK);
    SUPPORT_WAIT(feed_got_both, &c, 10000, "the feed never handed over both events");
    ck_assert_uint_eq(seen.concert_id, 2);
    ck_assert_uint_eq(seen.n, 1);
    ck_assert_uint_eq(seen.first.seat_no, 4);
    ck_assert_int_eq(seen.first.status, BO_SEAT_HELD);
    ck_assert_uint_eq(seen.first.reservation_id, 77);
    ck_assert_int_eq(seen.first.held_until_ms, NOW_MS);
    ck_assert_uint_eq(seen.ended_concert, 2);
    ck_assert_uint_eq(seen.ended_user, 42);
    ck_assert_uint_ge(bo_feed_received(f), 2);
    feed_case_end(&c, f);
    ck_assert_int_eq(seen.admissions, 0); /* nobody asked for them */
}
END_TEST

START_TEST(feed_hands_over_admission_events_when_asked)
{
    struct feed_seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct feed_case c = {.seen = &seen, .admission = 1};
    struct bo_feed_handlers h = {.seats = feed_on_seats,
                                 .ended = feed_on_ended,
                                 .admission = feed_on_admission,
                                 .arg = &seen};
    struct bo_feed *f = NULL;
    char url[64];

    snprintf(url, sizeof(url), "ipc:///tmp/bo-test-feed-adm-%d", (int)getpid());
    ck_assert_int_eq(nng_pub0_open(&c.pub), 0);
    ck_assert_int_eq(nng_listen(c.pub, url, NULL, 0), 0);
    ck_assert_int_eq(bo_feed_start(url, NULL, &h, &f), BO_OK);
    SUPPORT_WAIT(feed_got_both, &c, 10000, "the feed never handed over all three events");
    feed_case_end(&c, f);
    ck_assert_int_eq(seen.admission_kind, BOXOFFICE__V1__EVENT_KIND__EVENT_EXPIRED);
    ck_assert_str_eq(seen.admission_token, "2-901");
    ck_assert_uint_eq(seen.ended_sequence, 901); /* the other events still arrive */
    ck_assert_uint_eq(seen.schedule_id, 12);
}
END_TEST

START_TEST(feed_skips_its_own_address_and_takes_an_empty_list)
{
    struct bo_feed_handlers h = {0};
    struct bo_feed *f = NULL;

    ck_assert_int_eq(bo_feed_start("tcp://127.0.0.1:7701", "tcp://127.0.0.1:7701", &h, &f), BO_OK);
    ck_assert_uint_eq(bo_feed_received(f), 0);
    bo_feed_stop(f);
    ck_assert_int_eq(bo_feed_start("", NULL, &h, &f), BO_OK);
    bo_feed_stop(f);
    ck_assert_int_eq(bo_feed_start("bogus://x", NULL, &h, &f), BO_E_INVALID_ARGUMENT);
}
END_TEST

int main(void)
{
    const TTest *tests[] = {changes_apply_in_reservation_order,
                            big_map_is_viewed_in_place,
                            hold_lapses_without_an_event,
                            snapshot_keeps_changes_newer_than_itself,
                            first_snapshot_keeps_changes_made_while_read,
                            old_or_missing_maps_are_not_answered,
                            least_recently_read_map_is_dropped,
                            rendering_is_kept_until_out_of_date,
                            parts_of_a_date_take_their_own_seats,
                            feed_hands_over_seat_and_ended_events,
                            feed_hands_over_admission_events_when_asked,
                            feed_skips_its_own_address_and_takes_an_empty_list,
                            NULL};

    return support_tests_run("seatmap", "memory", tests);
}
